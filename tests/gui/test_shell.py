"""The app shell: window, navigation, menus, settings, recent files, backups, errors."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import hashlib
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from dvcoord import paths
from dvcoord.errors import DvcoordError
from dvcoord.gui import views as view_registry
from dvcoord.gui.settings import AppSettings
from dvcoord.gui.views import ViewSpec
from dvcoord.gui.widgets import FilterBar
from dvcoord.store import Database
from dvcoord.store.schema import core


# --------------------------------------------------------------------------- helpers
class AreaView(QWidget):
    """A registered view that counts what the shell asks of it."""

    built = 0

    def __init__(self, ctx) -> None:  # noqa: ANN001
        super().__init__()
        type(self).built += 1
        self.ctx = ctx
        self.refreshed = 0
        self.databases: list = []
        self.opened_with: dict = {}
        self.bar = FilterBar(self)
        QVBoxLayout(self).addWidget(self.bar)
        self.allow_leave = True

    def refresh(self) -> None:
        self.refreshed += 1

    def set_database(self, db) -> None:  # noqa: ANN001
        self.databases.append(db)

    def open_with(self, **kwargs) -> None:
        self.opened_with = kwargs

    def can_leave(self) -> bool:
        return self.allow_leave


@pytest.fixture
def area_view():
    AreaView.built = 0
    view_registry.register(ViewSpec("testarea", "Test area", 15, "plans", AreaView))
    yield AreaView
    view_registry.unregister("testarea")


def nav_titles(win) -> list[str]:  # noqa: ANN001
    return [win.nav.item(i).text() for i in range(win.nav.count())]


def menu_texts(win, name: str) -> list[str]:  # noqa: ANN001
    return [a.text() if not a.isSeparator() else "--" for a in win.menu(name).actions()]


def make_window(db):  # noqa: ANN001
    from dvcoord.gui.main_window import MainWindow

    return MainWindow(db, AppSettings())


# --------------------------------------------------------------------------- window
def test_window_opens_on_database(window, db):
    assert window.windowTitle() == "test — dvcoord"
    assert window.path_label.text() == str(db.path)
    assert window.officer_label.text() == "Officer: Test Officer"
    expected = [s.title for s in view_registry.all_views()]
    assert nav_titles(window) == expected
    assert "This database" in expected
    assert window.current_view_key() == window.landing_view_key()
    if "Dashboard" in expected:
        assert window.current_view_key() == "dashboard"  # the landing page
    page = window.show_view("overview")
    assert page.title.text() == "test"
    assert page.fields["partnership"].text() == "Test CSP"
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Help"]


def test_registered_view_is_listed_built_lazily_and_switched_to(
    db, qtbot, dialogs, area_view, gui_app
):
    win = make_window(db)
    qtbot.addWidget(win)
    titles = nav_titles(win)
    specs = view_registry.all_views()
    position = [s.key for s in specs].index("testarea")
    assert all(s.order <= 15 for s in specs[:position])  # its place is set by its order
    assert all(s.order > 15 for s in specs[position + 1 :])
    assert titles.index("Test area") == position
    assert area_view.built == 0  # not built until shown
    view_action = win.action("view.testarea")
    assert view_action.shortcut() == QKeySequence(f"Ctrl+{position + 1}")
    view_action.trigger()
    assert area_view.built == 1
    assert win.current_view_key() == "testarea"
    assert win.nav.currentItem().text() == "Test area"
    assert win.stack.currentWidget() is win.view_widget("testarea")
    # back with the navigation list, and again: still one widget
    win.nav.setCurrentRow(titles.index("This database"))
    assert win.current_view_key() == "overview"
    assert win.action("view.overview").isChecked()
    win.show_view("testarea", plan_id="abc")
    assert area_view.built == 1
    assert win.view_widget("testarea").opened_with == {"plan_id": "abc"}
    assert win.show_view("no-such-view") is None


def test_edit_find_focuses_the_filter_box(db, qtbot, dialogs, area_view, gui_app):
    win = make_window(db)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.show_view("overview")
    assert not win.action("edit.find").isEnabled()  # the overview has no filter box
    view = win.show_view("testarea")
    assert win.action("edit.find").isEnabled()
    win.activateWindow()
    win.action("edit.find").trigger()
    assert win.focusWidget() is view.bar.edit


def test_changes_refresh_the_visible_view_and_mark_others(db, qtbot, dialogs, area_view, gui_app):
    win = make_window(db)
    qtbot.addWidget(win)
    view = win.show_view("testarea")
    win.context.notify_changed("plans")
    assert view.refreshed == 1
    win.context.notify_changed("plans", source=view)  # a view's own change: not refreshed
    assert view.refreshed == 1
    win.show_view("overview")
    win.context.notify_changed("plans")
    assert view.refreshed == 1  # hidden: refreshed only when shown again
    win.context.open_view("testarea")
    assert view.refreshed == 2


def test_settings_dialog_saves_to_database_and_ini(window, db):
    from dvcoord.gui.dialogs import SettingsDialog

    dialog = SettingsDialog(window.context, window)
    f = dialog.form
    assert f.partnershipEdit.text() == "Test CSP"
    f.displayNameEdit.setText("  Sevenoaks   DA plan ")
    f.partnershipEdit.setText("Sevenoaks District Community Safety Partnership")
    f.markingCombo.setCurrentIndex(f.markingCombo.findData("OFFICIAL-SENSITIVE"))
    f.officerEdit.setText("Sam Patel")
    assert dialog.save()
    assert db.meta(core.META_PARTNERSHIP) == "Sevenoaks District Community Safety Partnership"
    assert db.meta(core.META_MARKING) == "OFFICIAL-SENSITIVE"
    assert db.meta(core.META_DISPLAY_NAME) == "Sevenoaks DA plan"
    assert db.user == "Sam Patel"
    assert AppSettings().officer_name() == "Sam Patel"
    assert window.windowTitle() == "Sevenoaks DA plan — dvcoord"
    assert window.officer_label.text() == "Officer: Sam Patel"
    reopened = Database.open(db.path, user="x", backup=False)
    try:
        assert reopened.default_marking == "OFFICIAL-SENSITIVE"
        assert reopened.partnership == "Sevenoaks District Community Safety Partnership"
    finally:
        reopened.close()


def test_settings_dialog_shows_problems_beside_fields_and_saves_nothing(window, db):
    from dvcoord.gui.dialogs import SettingsDialog

    dialog = SettingsDialog(window.context, window)
    f = dialog.form
    f.partnershipEdit.setText("   ")
    f.officerEdit.setText("")
    f.displayNameEdit.setText("Kept")
    assert not dialog.save()
    assert "partnership" in dialog.error_text("partnership").lower()
    assert "your name" in dialog.error_text("officer").lower()
    assert dialog.error_text("display_name") == ""
    assert not f.partnershipError.isHidden() and f.displayNameError.isHidden()
    assert f.partnershipEdit.accessibleDescription() == dialog.error_text("partnership")
    assert db.meta(core.META_PARTNERSHIP) == "Test CSP"
    assert db.meta(core.META_DISPLAY_NAME) == "test"
    assert f.displayNameEdit.text() == "Kept"  # what was typed stays
    # fixing it clears the messages
    f.partnershipEdit.setText("Test CSP 2")
    f.officerEdit.setText("A. Officer")
    assert dialog.save()
    assert dialog.error_text("partnership") == ""


def test_settings_form_has_accessible_names_and_tab_order(window):
    from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QLineEdit

    from dvcoord.gui.dialogs import SettingsDialog

    dialog = SettingsDialog(window.context, window)
    f = dialog.form
    controls = (
        f.findChildren(QLineEdit) + f.findChildren(QComboBox) + f.findChildren(QDialogButtonBox)
    )
    assert len(controls) >= 5
    for control in controls:
        assert control.accessibleName(), control.objectName()
    for label in f.findChildren(QLabel):
        if "&" in label.text():
            assert label.buddy() is not None, label.objectName()
    order = []
    w = f.displayNameEdit
    for _ in range(12):
        order.append(w.objectName())
        w = w.nextInFocusChain()
    wanted = ["displayNameEdit", "partnershipEdit", "markingCombo", "officerEdit"]
    positions = [order.index(name) for name in wanted]
    assert positions == sorted(positions)


# --------------------------------------------------------------------------- files
def test_open_save_copy_and_recent_files(window, db, tmp_path, dialogs):
    other = Database.create(tmp_path / "other.sqlite", user="t", partnership="Other CSP")
    other.close()
    third = Database.create(tmp_path / "third.sqlite", user="t", partnership="Third CSP")
    third.close()
    dialogs.open_files.append(tmp_path / "other.sqlite")
    assert window.action("file.open").trigger() is None
    assert window.db.path == tmp_path / "other.sqlite"
    assert window.windowTitle() == "other — dvcoord"
    assert window.show_view("overview").fields["partnership"].text() == "Other CSP"
    assert window.open_database(tmp_path / "third.sqlite")
    recent = AppSettings().recent_files()
    assert recent[:2] == [
        (tmp_path / "third.sqlite").resolve(),
        (tmp_path / "other.sqlite").resolve(),
    ]

    # save a copy: a consistent copy, the open file stays the same
    dialogs.save_files.append(tmp_path / "copies" / "third copy")
    written = window.save_copy()
    assert written == tmp_path / "copies" / "third copy.sqlite"
    assert window.db.path == tmp_path / "third.sqlite"
    with Database.open(written, user="t", backup=False) as copy:
        assert copy.partnership == "Third CSP"

    # a missing file is greyed out in File > Recent files, and can be pruned
    (tmp_path / "other.sqlite").unlink()
    window._fill_recent_menu()
    entries = {a.data(): a for a in window.recent_menu.actions() if a.data()}
    missing = entries[str((tmp_path / "other.sqlite").resolve())]
    assert not missing.isEnabled() and "not found" in missing.text()
    assert entries[str((tmp_path / "third.sqlite").resolve())].isEnabled()
    prune = next(a for a in window.recent_menu.actions() if a.text().startswith("Remove missing"))
    assert prune.isEnabled()
    prune.trigger()
    assert (tmp_path / "other.sqlite").resolve() not in AppSettings().recent_files()


def test_recent_files_keep_eight_newest_first(gui_app, tmp_path):
    settings = AppSettings()
    for n in range(10):
        settings.add_recent_file(tmp_path / f"f{n}.sqlite")
    settings.add_recent_file(tmp_path / "f3.sqlite")
    files = settings.recent_files()
    assert len(files) == 8
    assert files[0].name == "f3.sqlite" and files[1].name == "f9.sqlite"
    assert [f.name for f in files].count("f3.sqlite") == 1
    assert settings.path == paths.settings_path()


def test_opening_a_bad_file_keeps_the_current_one(window, db, tmp_path, dialogs):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(os.urandom(4096))
    assert not window.open_database(bad)
    assert window.db is db
    assert "bad.sqlite" in dialogs.last().text


def test_new_database_switches_and_opens_settings(window, db, tmp_path, dialogs, monkeypatch):
    from dvcoord.gui.dialogs import SettingsDialog

    asked = []
    monkeypatch.setattr(SettingsDialog, "exec", lambda self: asked.append(self) or 0)
    dialogs.save_files.append(tmp_path / "fresh")
    assert window.action("file.new").trigger() is None
    assert window.db.path == tmp_path / "fresh.sqlite"
    assert window.db.partnership == "Test CSP"  # carried over, to be changed in Settings
    assert window.windowTitle() == "fresh — dvcoord"
    assert len(asked) == 1
    assert window.undo_stack.count() == 0


# --------------------------------------------------------------------------- backups
def test_backups_dialog_lists_a_backup_after_back_up_now(window, db):
    from dvcoord.gui.dialogs import BackupsDialog

    dialog = BackupsDialog(window)
    before = dialog.model.rowCount()
    dialog.form.backupNowButton.click()
    assert dialog.model.rowCount() == before + 1
    texts = [dialog.model.text(r, 1) for r in range(dialog.model.rowCount())]
    assert "Taken by hand" in texts
    newest = dialog.table.current_row()
    assert newest is not None and newest.reason == "manual"
    row = dialog.model.row_for_key(str(newest.path))
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", dialog.model.text(row, 0))
    assert dialog.form.restoreButton.isEnabled()


def test_restore_round_trips_a_change(window, db, dialogs):
    from dvcoord.gui.dialogs import BackupsDialog
    from dvcoord.store import backups

    db.set_meta(core.META_PARTNERSHIP, "Before CSP")
    dialog = BackupsDialog(window)
    assert dialog.back_up_now()
    db.set_meta(core.META_PARTNERSHIP, "After CSP")
    assert window.context.db.partnership == "After CSP"

    dialogs.answer("Cancel")
    assert not dialog.restore_selected()  # the user thought better of it
    assert window.db is db

    dialogs.answer("Restore")
    assert dialog.restore_selected()
    assert window.db is not db
    assert window.db.partnership == "Before CSP"
    assert window.show_view("overview").fields["partnership"].text() == "Before CSP"
    assert any(b.reason == "before-restore" for b in backups.list_backups(window.db.path))
    assert "backed up first" in dialogs.shown[-1].informative


# --------------------------------------------------------------------------- bad files at start
def _future_copy(db, tmp_path) -> Path:  # noqa: ANN001
    from dvcoord.store.backups import copy_database

    path = copy_database(db.path, tmp_path / "future.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num='9999_future'")
    conn.commit()
    conn.close()
    return path


def test_startup_on_random_bytes_offers_a_choice_without_raising(gui_app, tmp_path, dialogs):
    from dvcoord.gui.app import open_startup_database

    bad = tmp_path / "random.sqlite"
    bad.write_bytes(os.urandom(8192))
    assert open_startup_database(bad, False, AppSettings()) is None  # no answer = Quit
    shown = dialogs.last()
    assert "random.sqlite" in shown.text
    assert "Traceback" not in shown.text
    assert sorted(shown.buttons) == ["Create a new database…", "Open another file…", "Quit"]


def test_startup_on_newer_file_refuses_it_untouched(gui_app, db, tmp_path, dialogs):
    from dvcoord.gui.app import open_startup_database

    future = _future_copy(db, tmp_path)
    digest = hashlib.sha256(future.read_bytes()).hexdigest()
    assert open_startup_database(future, False, AppSettings()) is None
    assert "newer version" in dialogs.last().text
    assert hashlib.sha256(future.read_bytes()).hexdigest() == digest


def test_startup_missing_file_then_open_another(gui_app, db, tmp_path, dialogs):
    from dvcoord.gui.app import open_startup_database

    db.close()
    dialogs.answer("Open another file…", "Open another file…")
    dialogs.open_files.extend([tmp_path / "still-missing.sqlite", db.path])
    opened = open_startup_database(tmp_path / "nothing-here.sqlite", False, AppSettings())
    try:
        assert opened is not None and opened.path == db.path
        assert "There is no file" in dialogs.shown[0].text
        assert "still-missing.sqlite" in dialogs.shown[1].text
        assert AppSettings().recent_files()[0] == db.path.resolve()
    finally:
        opened.close()


def test_startup_create_new_after_a_failure(gui_app, tmp_path, dialogs):
    from dvcoord.gui.app import open_startup_database

    dialogs.answer("Create a new database…")
    dialogs.save_files.append(tmp_path / "brand new")
    opened = open_startup_database(tmp_path / "absent.sqlite", False, AppSettings())
    try:
        assert opened.path == tmp_path / "brand new.sqlite"
        assert opened.display_name == "brand new"
    finally:
        opened.close()


def test_default_database_is_created_when_missing(gui_app, dialogs):
    from dvcoord.gui.app import open_startup_database

    assert not paths.default_db_path().exists()
    opened = open_startup_database(None, False, AppSettings())
    try:
        assert opened.path == paths.default_db_path() and opened.path.is_file()
        assert not dialogs.shown
    finally:
        opened.close()


def test_run_gui_wires_everything_and_closes_the_database(gui_app, db, dialogs, monkeypatch):
    from PySide6.QtWidgets import QApplication

    from dvcoord.gui import app as gui_app_module
    from dvcoord.gui.main_window import MainWindow

    windows = []
    monkeypatch.setattr(
        QApplication,
        "exec",
        lambda *a: (
            windows.extend(
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, MainWindow) and w.isVisible()
            )
            or 0
        ),
    )
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr("threading.excepthook", __import__("threading").excepthook)
    db.close()
    try:
        assert gui_app_module.run_gui(db.path, demo=False) == 0
        assert len(windows) == 1 and windows[0].db.path == db.path
        assert QApplication.applicationName() == "dvcoord"
        from PySide6.QtCore import QLocale

        assert QLocale().name() == "en_GB"
        assert gui_app_module.run_gui(db.path.with_name("gone.sqlite"), demo=False) == 1
        assert "There is no file" in dialogs.last().text
    finally:
        for w in windows:
            w.close()
            w.deleteLater()
        from PySide6.QtCore import qInstallMessageHandler

        qInstallMessageHandler(None)


# --------------------------------------------------------------------------- errors
@pytest.mark.qt_no_exception_capture
def test_unexpected_exception_is_logged_and_shown_and_the_app_keeps_going(
    window, qtbot, dialogs, monkeypatch, log_file
):
    from PySide6.QtCore import QTimer, qInstallMessageHandler

    from dvcoord.gui.app import install_error_handlers
    from dvcoord.gui.workers import WorkFailed

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr("threading.excepthook", __import__("threading").excepthook)
    reporter = install_error_handlers()
    try:
        window.show()
        typed = QLineEdit(window)
        typed.setText("half-written update")

        def broken_slot() -> None:
            raise ZeroDivisionError("boom")

        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: bool(dialogs.shown))
        shown = dialogs.last()
        assert shown.text.startswith("Something went wrong")
        assert str(paths.log_path()) in shown.informative
        assert "Open log folder" in shown.buttons
        assert typed.text() == "half-written update"
        assert window.isVisible()
        text = log_file()
        assert "ZeroDivisionError: boom" in text and "broken_slot" in text

        # a DvcoordError escaping a slot is shown as its own sentence
        reporter.excepthook(DvcoordError, DvcoordError("That file is read-only."), None)
        reporter.show_pending()
        assert dialogs.last().text == "That file is read-only."

        # a job that already told the user is not reported twice
        count = len(dialogs.shown)
        reporter.excepthook(WorkFailed, WorkFailed(ValueError("x")), None)
        reporter.show_pending()
        assert len(dialogs.shown) == count
    finally:
        qInstallMessageHandler(None)


def test_qt_messages_go_to_the_log(gui_app, log_file):
    from PySide6.QtCore import QtMsgType

    from dvcoord.gui.app import qt_message_handler

    qt_message_handler(QtMsgType.QtWarningMsg, None, "a Qt warning for the log")
    assert "WARNING dvcoord.qt: a Qt warning for the log" in log_file()


# --------------------------------------------------------------------------- hooks
def test_add_action_places_entries_by_group(window):
    merge = QAction("Merge a received file…", window)
    report = QAction("Export report…", window)
    share = QAction("Share a copy…", window)
    window.add_action("File", report, group="report")
    window.add_action("File", merge, group="exchange", order=20)
    window.add_action("File", share, group="exchange", order=10)
    texts = menu_texts(window, "File")
    assert texts.index("Share a copy…") < texts.index("Merge a received file…")
    assert texts.index("&Recent files") < texts.index("Share a copy…")
    assert texts.index("Merge a received file…") < texts.index("Export report…")
    assert texts.index("Export report…") < texts.index("&Backups…") < texts.index("&Quit")
    assert texts[-1] == "&Quit" and texts[-2] == "--"
    tools = QAction("Check the database", window)
    window.add_action("Tools", tools)
    names = [a.text() for a in window.menuBar().actions()]
    assert names.index("Tools") == names.index("&Help") - 1


def test_actions_package_installs_every_module(db, qtbot, dialogs, gui_app, tmp_path, monkeypatch):
    import dvcoord.gui.actions as actions_pkg

    extra = tmp_path / "extra_actions"
    extra.mkdir()
    (extra / "zz_share_test.py").write_text(
        "from PySide6.QtGui import QAction\n"
        "def install(window):\n"
        "    a = QAction('Share a copy…', window)\n"
        "    a.setObjectName('test.share')\n"
        "    window.add_action('File', a, group='exchange')\n",
        encoding="utf-8",
    )
    (extra / "zz_broken_test.py").write_text(
        "def install(window):\n    raise RuntimeError('broken area')\n", encoding="utf-8"
    )
    monkeypatch.setattr(actions_pkg, "__path__", [*actions_pkg.__path__, str(extra)])
    try:
        win = make_window(db)
        qtbot.addWidget(win)
        assert win.action("test.share") is not None
        assert "Share a copy…" in menu_texts(win, "File")
        assert "could not be loaded" in win.statusBar().currentMessage()
    finally:
        for name in ("zz_share_test", "zz_broken_test"):
            sys.modules.pop(f"dvcoord.gui.actions.{name}", None)


def test_about_and_log_folder(window, dialogs):
    import dvcoord

    window.action("help.about").trigger()
    about = dialogs.last()
    assert dvcoord.__version__ in about.text
    assert str(paths.log_dir()) in about.text and str(window.db.path) in about.text
    assert "MIT" in about.text
    window.action("help.log_folder").trigger()
    assert dialogs.urls and dialogs.urls[-1].endswith(paths.log_dir().name)


def test_view_menu_lists_every_view_with_shortcuts(window):
    actions = [a for a in window.menu("View").actions() if not a.isSeparator()]
    assert [a.text() for a in actions] == [s.title for s in view_registry.all_views()]
    for n, action in enumerate(actions[:9], start=1):
        assert action.shortcut() == QKeySequence(f"Ctrl+{n}")
    undo = window.action("edit.undo")
    assert undo.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)


# --------------------------------------------------------------------------- state
def test_geometry_and_view_saved_to_ini_under_home_and_nowhere_else(
    gui_app, db, qtbot, dialogs, dvcoord_home, tmp_path, monkeypatch
):
    outside = tmp_path / "outside"
    for var, sub in (
        ("HOME", ""),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", "share"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(var, str(outside / sub))
    outside.mkdir()
    before_db_folder = sorted(p.name for p in db.path.parent.iterdir())
    win = make_window(db)
    qtbot.addWidget(win)
    win.show()
    win.resize(701, 455)
    from dvcoord.gui.dialogs import BackupsDialog, SettingsDialog

    settings_dialog = SettingsDialog(win.context, win)
    settings_dialog.form.officerEdit.setText("Sam Patel")
    assert settings_dialog.save()
    assert BackupsDialog(win).back_up_now()
    win.close()

    ini = dvcoord_home / "config" / "dvcoord.ini"
    assert ini.is_file() and ini == paths.settings_path()
    text = ini.read_text(encoding="utf-8")
    assert "geometry=" in text and f"last_view={win.landing_view_key()}" in text
    assert "Sam Patel" in text
    assert AppSettings().window_geometry() is not None
    assert [p for p in outside.rglob("*")] == []
    assert sorted(p.name for p in db.path.parent.iterdir()) == before_db_folder

    again = make_window(db)
    qtbot.addWidget(again)
    assert again.size().width() == 701 and again.size().height() == 455
