"""File > Export report…: choices from the registry, sensible defaults, the PDF written
off the UI thread with Cancel, and the offer to open it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QDate

from dvcoord.gui import workers
from dvcoord.gui.export_report import ALL_PLANS, OWN_DATES, ExportReportDialog
from dvcoord.reports import layout, registry
from dvcoord.services import plans as ps

TODAY = date(2026, 11, 23)


@pytest.fixture
def demo_window(gui_app, demo_db, qtbot, dialogs):
    from dvcoord.gui.main_window import MainWindow
    from dvcoord.gui.settings import AppSettings

    win = MainWindow(demo_db, AppSettings())
    qtbot.addWidget(win)
    yield win


@pytest.fixture
def make_dialog(demo_window, qtbot):
    made = []

    def make(**kwargs) -> ExportReportDialog:
        kwargs.setdefault("today", TODAY)
        dialog = ExportReportDialog(demo_window.context, demo_window, **kwargs)
        qtbot.addWidget(dialog)
        made.append(dialog)
        return dialog

    return make


def _current_plan(demo_db):
    with demo_db.session() as s:
        return next(p for p in ps.list_plans(s) if p.status == "approved")


def _choose(combo, data) -> None:
    pos = combo.findData(data)
    assert pos >= 0, data
    combo.setCurrentIndex(pos)


@pytest.fixture
def out_dir(tmp_path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    return folder


def _text(pdf: Path) -> str:
    return " ".join(" ".join(p.extract_text() or "" for p in PdfReader(str(pdf)).pages).split())


# --------------------------------------------------------------------------- menu
def test_file_menu_opens_the_dialog_on_the_plan_shown(demo_window, demo_db, monkeypatch):
    import dvcoord.gui.export_report as module

    action = demo_window.action("file.export_report")
    assert action is not None and action in demo_window.menu("File").actions()
    assert action.shortcut().toString() == "Ctrl+Shift+E"
    calls = []
    monkeypatch.setattr(module, "show_export_dialog", lambda ctx, parent, **kw: calls.append(kw))
    demo_window.show_view("plans")
    shown = demo_window.current_view().plan_id
    action.trigger()
    assert calls == [{"plan_id": shown}]


# --------------------------------------------------------------------------- choices
def test_kinds_are_grouped_by_area_from_the_registry(make_dialog):
    dialog = make_dialog()
    combo = dialog.form.kindCombo
    model = combo.model()
    names, headers = [], []
    for i in range(combo.count()):
        if combo.itemData(i) is None:
            headers.append(combo.itemText(i))
            assert not model.item(i).isEnabled()
        else:
            names.append(combo.itemData(i))
    assert headers[0] == "Action plans"
    assert sorted(names) == sorted(registry.kinds())
    assert {"Action plans", "Panic alarms"} <= set(headers)
    assert combo.currentData() == "action-plan"


def test_defaults_follow_the_kind_and_plan(make_dialog, demo_db, tmp_path):
    plan = _current_plan(demo_db)
    dialog = make_dialog(plan_id=plan.id)
    f = dialog.form
    assert f.planCombo.currentData() == plan.id
    assert f.markingCombo.currentData() == plan.marking == "OFFICIAL"
    name = Path(f.fileEdit.text()).name
    assert name == "action-plan-sevenoaks-district-domestic-abuse-2026-11-23.pdf"
    assert not f.periodBox.isVisibleTo(dialog) and not f.agencyCombo.isVisibleTo(dialog)

    _choose(f.kindCombo, "alarms-loans")  # can show case data
    assert f.markingCombo.currentData() == "OFFICIAL-SENSITIVE"
    assert not f.planCombo.isVisibleTo(dialog)
    assert Path(f.fileEdit.text()).name == "alarms-loans-2026-11-23.pdf"

    _choose(f.kindCombo, "agency-return")
    assert f.agencyCombo.isVisibleTo(dialog) and f.planCombo.itemText(0) == ALL_PLANS
    _choose(f.agencyCombo, f.agencyCombo.itemData(0))
    agency = f.agencyCombo.currentText()
    assert Path(f.fileEdit.text()).name.startswith("agency-return-")

    # once the officer types a name of their own, it is kept
    own = str(tmp_path / "for the board.pdf")
    f.fileEdit.setText(own)
    f.fileEdit.textEdited.emit(own)
    f.agencyCombo.setCurrentIndex(1 if f.agencyCombo.currentIndex() == 0 else 0)
    assert f.fileEdit.text() == own
    assert agency


def test_period_is_a_financial_quarter_or_dates(make_dialog):
    dialog = make_dialog(kind="milestones")
    f = dialog.form
    assert f.periodBox.isVisibleTo(dialog) and f.toDate.isVisibleTo(dialog)
    assert f.quarterCombo.currentText() == "2026/27 Q3 (Oct\u2013Dec 2026)"
    assert f.fromDate.date() == QDate(2026, 10, 1) and f.toDate.date() == QDate(2026, 12, 31)
    f.quarterCombo.setCurrentIndex(f.quarterCombo.findText("2026/27 Q1 (Apr\u2013Jun 2026)"))
    assert f.fromDate.date() == QDate(2026, 4, 1) and f.toDate.date() == QDate(2026, 6, 30)
    f.toDate.setDate(QDate(2026, 7, 15))
    assert f.quarterCombo.currentText() == OWN_DATES
    request = dialog.request()
    assert (request.date_from, request.date_to) == (date(2026, 4, 1), date(2026, 7, 15))

    _choose(f.kindCombo, "progress")  # "changes since" one date
    assert not f.toDate.isVisibleTo(dialog)
    assert f.fromDate.date() == QDate(2026, 7, 1)  # start of the previous quarter
    assert dialog.request().date_to is None


def test_bad_choices_are_shown_in_the_dialog(make_dialog, tmp_path):
    dialog = make_dialog(kind="milestones")
    f = dialog.form
    f.fromDate.setDate(QDate(2026, 12, 1))
    f.toDate.setDate(QDate(2026, 10, 1))
    assert dialog.export() is None
    assert "after it ends" in f.errorLabel.text() and f.errorLabel.isVisibleTo(dialog)
    f.toDate.setDate(QDate(2026, 12, 31))
    f.fileEdit.setText("")
    assert dialog.export() is None and f.errorLabel.text() == "Give the PDF a file name."
    f.fileEdit.setText(str(tmp_path / "missing" / "m.pdf"))
    assert dialog.export() is None and "does not exist" in f.errorLabel.text()
    assert not list(tmp_path.rglob("*.pdf"))


# --------------------------------------------------------------------------- export
def test_export_writes_the_pdf_and_offers_to_open_it(
    make_dialog, demo_window, demo_db, dialogs, out_dir
):
    plan = _current_plan(demo_db)
    dialog = make_dialog(plan_id=plan.id)
    out = out_dir / "plan.pdf"
    dialog.form.fileEdit.setText(str(out))
    dialog.form.redactCheck.setChecked(True)
    dialogs.answer("Open the PDF")
    result = dialog.export()
    assert result is not None and result.path == out and out.is_file()
    assert result.pages == len(PdfReader(str(out)).pages) > 1
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialogs.last().text == f"The report was saved ({result.pages} pages)."
    assert sorted(dialogs.last().buttons) == ["Close", "Open the PDF", "Show in folder"]
    assert dialogs.urls[-1].endswith("/plan.pdf")
    assert demo_window.context.settings.last_folder("report") == out_dir
    text = _text(out)
    assert "Case references have been left out of this report." in text
    assert plan.title in text

    # the next one starts in the folder used last, and can show the folder
    again = make_dialog(kind="milestones")
    assert Path(again.form.fileEdit.text()).parent == out_dir
    dialogs.answer("Show in folder")
    assert again.export() is not None
    assert dialogs.urls[-1].rstrip("/").endswith(out_dir.name)


def test_cancel_leaves_no_file_behind(make_dialog, demo_db, dialogs, out_dir, monkeypatch):
    plan = _current_plan(demo_db)
    dialog = make_dialog(plan_id=plan.id)
    out = out_dir / "plan.pdf"
    out.write_bytes(b"%PDF- the copy sent to the board")
    dialog.form.fileEdit.setText(str(out))
    original = workers._Worker.progress

    def press_cancel_at_page_one(self, done, total=None, text=None):  # noqa: ANN001
        if "page" in (text or ""):
            self.cancel.set()  # as if Cancel were pressed while page 1 was written
        return original(self, done, total, text)

    monkeypatch.setattr(workers._Worker, "progress", press_cancel_at_page_one)
    dialogs.answer("Replace")
    assert dialog.export() is None
    assert dialog.form.errorLabel.text() == "Export cancelled: no file was written."
    assert out.read_bytes() == b"%PDF- the copy sent to the board"
    assert sorted(p.name for p in out_dir.iterdir()) == ["plan.pdf"]
    assert dialog.exported is None


def test_a_pdf_held_open_by_a_viewer_gets_a_clear_message(
    make_dialog, demo_db, dialogs, out_dir, monkeypatch
):
    plan = _current_plan(demo_db)
    dialog = make_dialog(plan_id=plan.id)
    out = out_dir / "plan.pdf"
    dialog.form.fileEdit.setText(str(out))

    real_replace = os.replace

    def held(src, dst):  # only the PDF is held open; everything else works
        if str(dst).endswith(".pdf"):
            raise PermissionError(13, "The process cannot access the file", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(layout.os, "replace", held)
    assert dialog.export() is None
    assert "may be open in a PDF viewer; close it and try again" in dialogs.last().text
    assert not out.exists() and not list(out_dir.iterdir())
    assert dialog.result() != dialog.DialogCode.Accepted
