"""The officer's name: the command line reads what the window's Settings saved (a real
QSettings file), and a name never given is shown, with an easy way to give it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date

import pytest
from PySide6.QtCore import QByteArray, QSettings

from dvcoord import officer as off
from dvcoord import paths
from dvcoord.gui.settings import AppSettings
from dvcoord.store import Database

LOGIN = "jsmith01"

NAMES = [
    "Sam Patel",
    "Siân O'Brien, DA Co-ordinator",
    'Jo "JB" Bloggs',
    "back\\slash; semi=colon # not a comment",
    "@ at the start",
    "%(interpolation)s and 100%",
    "[not a section]",
    "Zoë Ng-Wórth €",
    "日本の担当者",
]


@pytest.mark.parametrize("name", NAMES)
def test_cli_reads_the_name_qsettings_wrote(name, tmp_path, qapp):
    ini = tmp_path / "dvcoord.ini"
    settings = AppSettings(ini)
    # the other keys the window writes sit in the same file
    settings.add_recent_file(tmp_path / "a, b.sqlite")
    settings.set_window_geometry(QByteArray(bytes(range(256))))
    settings.set_view_value("plans", "filter", "overdue, = ; #")
    settings.set_officer_name(name)
    settings.sync()
    assert settings.status_ok()
    assert off.saved_officer_name(ini) == name
    assert off.resolve_officer(environ={}, settings_path=ini) == off.Officer(
        name, off.FROM_SETTINGS
    )


def test_key_is_the_one_app_settings_uses(tmp_path, qapp):
    AppSettings().set_officer_name("Default File")
    AppSettings().sync()
    assert AppSettings().path == paths.settings_path()
    raw = QSettings(str(paths.settings_path()), QSettings.Format.IniFormat)
    assert raw.value(f"{off.SETTINGS_SECTION}/{off.SETTINGS_KEY}") == "Default File"
    assert off.resolve_officer(environ={}).name == "Default File"


@pytest.fixture
def login(monkeypatch):
    monkeypatch.setattr("dvcoord.users.default_user", lambda: LOGIN)
    return LOGIN


@pytest.fixture
def login_window(gui_app, tmp_path, qtbot, dialogs, login):
    """The window as a first start opens it: no name saved, the login name in use."""
    from dvcoord.gui.main_window import MainWindow

    settings = AppSettings()
    db = Database.create(tmp_path / "t.sqlite", user=settings.officer_or_login(), partnership="P")
    win = MainWindow(db, settings)
    qtbot.addWidget(win)
    yield win
    win.context.db.close()


def _save_name_in(dialog, name: str) -> bool:
    dialog.form.officerEdit.setText(name)
    return dialog.save()


def test_status_bar_says_the_login_name_stands_in_and_links_to_settings(login_window, monkeypatch):
    from dvcoord.gui.dialogs import SettingsDialog

    label = login_window.officer_label
    assert label.text() == (
        f'Officer: {LOGIN} (your login name; <a href="settings">set your name in Settings</a>)'
    )
    opened = []
    monkeypatch.setattr(
        SettingsDialog, "exec", lambda self: opened.append(1) or _save_name_in(self, "Sam Patel")
    )
    label.linkActivated.emit("settings")
    assert opened == [1]
    assert label.text() == "Officer: Sam Patel"
    assert login_window.db.user == "Sam Patel"
    assert AppSettings().officer_name() == "Sam Patel"


def test_a_name_like_markup_is_shown_as_written(gui_app, tmp_path, qtbot, dialogs, monkeypatch):
    from dvcoord.gui.main_window import MainWindow

    monkeypatch.setattr("dvcoord.users.default_user", lambda: "<b>admin</b>")
    db = Database.create(tmp_path / "t.sqlite", user="<b>admin</b>")
    win = MainWindow(db, AppSettings())
    qtbot.addWidget(win)
    try:
        assert "Officer: &lt;b&gt;admin&lt;/b&gt; (your login name;" in win.officer_label.text()
    finally:
        db.close()


def test_settings_dialog_does_not_offer_the_login_name_as_yours(login_window):
    from dvcoord.gui.dialogs import SettingsDialog

    dialog = SettingsDialog(login_window.context, login_window)
    f = dialog.form
    assert f.officerEdit.text() == ""
    assert f.officerEdit.placeholderText().startswith("Your full name")
    assert f"login name \u2018{LOGIN}\u2019" in f.officerHelp.text()
    assert not dialog.save()  # OK with no name: asked for it, nothing saved
    assert "your name" in dialog.error_text("officer").lower()
    assert AppSettings().officer_name() == ""
    assert _save_name_in(dialog, "Sam Patel")
    again = SettingsDialog(login_window.context, login_window)
    assert again.form.officerEdit.text() == "Sam Patel"
    assert "login name" not in again.form.officerHelp.text()


def test_export_dialog_shows_who_is_printed_and_opens_settings(login_window, qtbot, monkeypatch):
    from dvcoord.gui.dialogs import SettingsDialog
    from dvcoord.gui.export_report import ExportReportDialog

    dialog = ExportReportDialog(
        login_window.context, login_window, kind="alarms-loans", today=date(2026, 11, 23)
    )
    qtbot.addWidget(dialog)
    f = dialog.form
    assert f.officerName.text() == f"{LOGIN} (your login name: give your own in Settings)"
    assert f.officerName.font().bold()
    assert f.officerButton.isVisibleTo(dialog) and f.officerButton.accessibleName()
    monkeypatch.setattr(SettingsDialog, "exec", lambda self: _save_name_in(self, "Sam Patel"))
    f.officerButton.click()
    assert f.officerName.text() == "Sam Patel" and not f.officerName.font().bold()
    assert login_window.officer_label.text() == "Officer: Sam Patel"
    f.fileEdit.setText(str(login_window.db.path.parent / "r.pdf"))
    assert dialog.request().officer == "Sam Patel"
    # cancelled: the name stays as it was
    monkeypatch.setattr(SettingsDialog, "exec", lambda self: 0)
    assert not dialog.change_officer()
    assert f.officerName.text() == "Sam Patel"


def test_a_name_given_is_shown_plainly(window):
    window.settings.set_officer_name("Test Officer")
    window.context.notify_changed("settings")
    assert window.officer_label.text() == "Officer: Test Officer"
