"""File > Import plan… (wizard) and File > Export plan to spreadsheet…, driven as a user
would: type or choose the file, step through the pages, change a column, map agencies,
look at the preview, import."""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWizard
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
import plan_fixtures as pf  # noqa: E402

from dvcoord.gui.plans_io import (  # noqa: E402
    CREATE_NEW,
    KEEP_TEXT,
    NOT_IMPORTED,
    PlanExportDialog,
    PlanImportWizard,
)
from dvcoord.store.schema.plans import Action, Agency, Plan  # noqa: E402


@pytest.fixture(scope="module")
def sevenoaks(tmp_path_factory) -> Path:
    return pf.build_docx(pf.SEVENOAKS, tmp_path_factory.mktemp("gui") / "sevenoaks.docx")


@pytest.fixture
def wizards(window, qtbot):
    """Make wizards; each is deleted (not just closed) when the test ends."""
    from PySide6.QtCore import QCoreApplication, QEvent

    made: list[PlanImportWizard] = []

    def make() -> PlanImportWizard:
        wizard = PlanImportWizard(window.context, window)
        wizard.show()
        made.append(wizard)
        return wizard

    yield make
    for wizard in made:
        wizard.close()
        wizard.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _set_combo(combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not in {[combo.itemText(i) for i in range(combo.count())]}"
    combo.setCurrentIndex(index)


def test_menu_has_import_and_export(window):
    names = [a.objectName() for a in window.menu("File").actions()]
    assert "importPlanAction" in names and "exportPlanAction" in names
    assert window.findChild(QAction, "importPlanAction").text() == "&Import plan…"


def test_wizard_imports_a_word_plan(window, wizards, dialogs, sevenoaks):
    db = window.context.db
    with db.transaction() as s:
        s.add(Agency(name="Kent Police", short_name="Police", sector="police"))
    wizard = wizards()

    # 1. the file
    page = wizard.file_page
    assert not page.isComplete()
    page.form.fileEdit.setText(str(sevenoaks))
    assert page.isComplete()
    wizard.next()
    assert wizard.currentPage() is wizard.target_page

    # 2. a new plan, with its own title
    target = wizard.target_page.form
    assert target.titleEdit.text() == "DOMESTIC ABUSE ACTION PLAN"
    assert "22 action(s)" in target.foundLabel.text()
    assert not target.mergeRadio.isEnabled()  # no plan to merge into yet
    target.titleEdit.setText("Sevenoaks DA action plan 2007")
    wizard.next()
    assert wizard.currentPage() is wizard.columns_page

    # 3. columns: one header layout, five columns; leave Outcomes out
    columns = wizard.columns_page
    assert columns.table.rowCount() == 5
    headings = [columns.table.item(r, 1).text() for r in range(5)]
    assert headings == ["Action", "Lead Agency", "Target date", "Outcomes", "Status"]
    read_as = [combo.currentText() for combo, _k, _c in columns.combos]
    assert read_as == ["Action", "Lead agency", "Target date", "Outcomes", "Status"]
    _set_combo(columns.combos[3][0], NOT_IMPORTED)
    wizard.next()
    assert wizard.currentPage() is wizard.agencies_page
    assert all(not a.outcomes for a in wizard.parsed.actions)

    # 4. agencies: suggestions, then the user's choices
    agencies = wizard.agencies_page
    assert agencies.combos["building bridges"].currentText() == CREATE_NEW
    assert agencies.combos["housing providers"].currentText() == KEEP_TEXT
    _set_combo(agencies.combos["housing providers"], "Link to Kent Police")
    _set_combo(agencies.combos["sevenoaks district community safety partnership"], KEEP_TEXT)
    wizard.next()
    assert wizard.currentPage() is wizard.preview_page

    # 5. preview
    preview = wizard.preview_page
    tree = preview.tree
    assert tree.topLevelItemCount() == 6
    assert tree.topLevelItem(1).text(0) == "2. Support in the Community"
    assert tree.topLevelItem(1).childCount() == 7
    a25 = tree.topLevelItem(1).child(4)
    assert a25.text(0) == "2.5" and a25.childCount() == 2
    assert a25.child(0).text(0) == "Milestone" and a25.child(0).text(1) == "Manual available"
    assert preview.warnings.count() >= 3
    assert "22 action(s)" in preview.summary.text()

    # import
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert wizard.summary is not None and wizard.summary.actions_created == 22
    assert dialogs.last().text == "Imported the plan from sevenoaks.docx."
    with db.session() as s:
        plan = s.scalars(select(Plan)).one()
        assert plan.title == "Sevenoaks DA action plan 2007"
        assert s.scalar(select(func.count()).select_from(Action)) == 22
        assert s.scalar(select(func.count()).select_from(Action).where(Action.outcomes != "")) == 0
        names = set(s.scalars(select(Agency.name)))
        assert "Building Bridges" in names
        assert "Sevenoaks District Community Safety Partnership" not in names


def test_wizard_reports_a_file_it_cannot_read(wizards, tmp_path):
    prose = pf.build_docx(pf.KENT_SUMMARY, tmp_path / "summary.docx")
    wizard = wizards()
    wizard.file_page.form.fileEdit.setText(str(prose))
    wizard.next()
    assert wizard.currentPage() is wizard.file_page
    assert "'summary.docx' has no tables" in wizard.file_page.form.errorLabel.text()
    wizard.file_page.form.fileEdit.setText(str(tmp_path / "missing.xlsx"))
    assert wizard.file_page.form.errorLabel.text() == ""
    wizard.next()
    assert "does not exist" in wizard.file_page.form.errorLabel.text()


def test_browse_fills_the_file(wizards, dialogs, sevenoaks):
    wizard = wizards()
    dialogs.open_files.append(sevenoaks)
    wizard.file_page.form.browseButton.click()
    assert wizard.file_page.form.fileEdit.text() == str(sevenoaks)


def test_export_then_merge_back_through_the_wizard(
    window, qtbot, wizards, dialogs, sevenoaks, tmp_path
):
    from dvcoord.importers.plan_import import default_agency_map, parse_plan, write_plan

    db = window.context.db
    parsed = parse_plan(sevenoaks, db=db)
    summary = write_plan(db, parsed, agency_map=default_agency_map(parsed, "new"))

    # Export, one sheet, through the dialog and its file chooser
    dialog = PlanExportDialog(window.context, window, plan_id=summary.plan_id)
    qtbot.addWidget(dialog)
    dialog.form.formatCombo.setCurrentIndex(1)
    out = tmp_path / "returned"
    dialogs.save_files.append(out)
    dialog.form.buttonBox.button(dialog.form.buttonBox.StandardButton.Ok).click()
    assert dialog.written == tmp_path / "returned.xlsx"
    assert dialogs.last().text.startswith("Exported 'DOMESTIC ABUSE ACTION PLAN'")

    # A partner rates 2.3 Green and sends it back
    wb = openpyxl.load_workbook(dialog.written)
    ws = wb.active
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("Ref")].value == "2.3":
            row[header.index("RAG")].value = "G"
            row[header.index("Progress to date")].value = "Now also in Swanley."
    wb.save(dialog.written)

    wizard = wizards()
    wizard.file_page.form.fileEdit.setText(str(dialog.written))
    wizard.next()
    target = wizard.target_page.form
    assert target.mergeRadio.isEnabled()
    target.mergeRadio.setChecked(True)
    assert target.planCombo.currentData() == summary.plan_id
    wizard.next()
    wizard.next()
    assert wizard.agencies_page.combos == {}  # every agency matched
    wizard.next()
    assert "merged into the chosen plan" in wizard.preview_page.summary.text()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    merged = wizard.summary
    assert (merged.created_plan, merged.actions_created, merged.updates_created) == (False, 0, 1)
    assert dialogs.last().text == "Merged the plan from returned.xlsx."
    with db.session() as s:
        a23 = s.scalars(select(Action).where(Action.reference == "2.3")).one()
        assert a23.rag == "G"
        assert s.scalar(select(func.count()).select_from(Plan)) == 1


def test_export_with_no_plans_says_so(window, dialogs):
    from dvcoord.gui.plans_io import open_export_dialog

    assert open_export_dialog(window.context, window) is None
    assert "no action plans" in dialogs.last().text


def test_menu_entries_open_the_wizard_and_the_export_dialog(window, qtbot, dialogs, sevenoaks):
    from PySide6.QtCore import QCoreApplication, QEvent

    from dvcoord.importers.plan_import import parse_plan, write_plan

    window.findChild(QAction, "importPlanAction").trigger()
    wizard = window._plan_import_wizard
    assert wizard.isVisible() and wizard.currentPage() is wizard.file_page
    wizard.reject()
    write_plan(window.context.db, parse_plan(sevenoaks))
    window.findChild(QAction, "exportPlanAction").trigger()
    dialog = window._plan_export_dialog
    assert dialog.isVisible() and dialog.form.planCombo.count() == 1
    dialog.reject()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def test_preview_warns_of_a_plan_with_the_same_title(window, wizards, dialogs, sevenoaks):
    db = window.context.db
    with db.transaction() as s:
        from dvcoord.services import plans as plan_service

        plan_service.create_plan(s, title="Sevenoaks plan", plan_from_fy=2026)
    wizard = wizards()
    wizard.file_page.form.fileEdit.setText(str(sevenoaks))
    wizard.next()
    wizard.target_page.form.newRadio.setChecked(True)
    wizard.target_page.form.titleEdit.setText("sevenoaks PLAN")
    while wizard.currentPage() is not wizard.preview_page:
        wizard.next()
    first = wizard.preview_page.warnings.item(0).text()
    assert first.startswith("A plan called \u2018Sevenoaks plan\u2019 already exists (2026/27")
    assert first.endswith(
        "the import will add it as a separate plan with the same title \u2014 go back to give "
        "it another title, or merge into the existing plan."
    )
    # another title: no such warning
    wizard.back()
    while wizard.currentPage() is not wizard.target_page:
        wizard.back()
    wizard.target_page.form.titleEdit.setText("Sevenoaks plan 2027")
    while wizard.currentPage() is not wizard.preview_page:
        wizard.next()
    texts = [wizard.preview_page.warnings.item(i).text() for i in range(3)]
    assert not any("already exists" in t for t in texts)
