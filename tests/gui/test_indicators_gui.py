"""The Performance view (indicators table with sparklines, the editor with its values
grid and links, import and export) and the BVPI 225 form (pytest-qt, offscreen)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import csv
from datetime import date

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from sqlalchemy import func, select

from dvcoord.gui import indicators_dialogs as dlg
from dvcoord.gui import views as view_registry
from dvcoord.gui.indicators_view import (
    OFF_TARGET,
    SHOW_FILTERS,
    IndicatorsView,
    SparklineDelegate,
    trend_words,
)
from dvcoord.gui.widgets import to_qdate
from dvcoord.services import bvpi225 as B
from dvcoord.services import indicators as I
from dvcoord.services import plans as ps
from dvcoord.store.schema.indicators import Indicator, IndicatorValue

TODAY = date.today()
FY = I.period_of(TODAY, "financial year")
LAST_Q = I.last_complete_period("quarter", TODAY)


@pytest.fixture
def figures(db):
    """Two quarterly indicators (one on target, one off) and an action to link."""
    with db.transaction() as s:
        sdr = I.create_indicator(
            s,
            code="PI 1",
            name="Sanction detection rate",
            unit="percentage",
            direction="higher",
            period="quarter",
            data_source="Kent Police",
        )
        marac = I.create_indicator(
            s,
            code="PI 2",
            name="Referrals to MARAC",
            unit="count",
            direction="higher",
            period="quarter",
        )
        for ind, target in ((sdr, "40"), (marac, "150")):
            I.set_target(s, ind.id, I.year_period(LAST_Q.fy), target)
        for n, p in enumerate(I.recent_periods(LAST_Q, 4)):
            I.set_value(s, sdr.id, p, str(40 + n * 3.5), "", today=TODAY)
            I.set_value(s, marac.id, p, str(30 + n), "", today=TODAY)
        plan = ps.create_plan(s, title="DA plan", plan_from_fy=FY.fy, plan_to_fy=FY.fy)
        theme = ps.create_theme(s, plan.id, title="Justice", code="2")
        action = ps.create_action(s, theme.id, reference="2.1", text="Improve detections")
    return {"sdr": sdr.id, "marac": marac.id, "action": action.id}


@pytest.fixture
def view(gui_app, db, figures, qtbot, dialogs):
    from dvcoord.gui.context import AppContext
    from dvcoord.gui.settings import AppSettings

    widget = IndicatorsView(AppContext(db, AppSettings()))
    qtbot.addWidget(widget)
    yield widget
    # Delete the view and its dialogs now: every widget left alive makes the next
    # test's application style sheet slower to apply.
    widget.close()
    widget.deleteLater()
    gui_app.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def pick(view, indicator_id):
    view.show_combo.setCurrentIndex(len(SHOW_FILTERS) - 1)
    assert view.table.select_key(indicator_id)


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))


# --------------------------------------------------------------------------- the view
def test_view_is_registered_at_order_70(window):
    spec = view_registry.get("indicators")
    assert (spec.title, spec.order, spec.icon_name) == ("Performance", 70, "indicators")
    assert isinstance(window.show_view("indicators"), IndicatorsView)


def test_table_shows_latest_figure_target_and_worded_coloured_status(view, figures):
    model = view.model
    rows = {model.row(r).code: r for r in range(model.rowCount())}
    headers = [c.header for c in model.columns]
    col = {h: headers.index(h) for h in headers}

    def cell(code, header, role=Qt.ItemDataRole.DisplayRole):
        return model.data(model.index(rows[code], col[header]), role)

    assert cell("PI 1", "Figure") == "50.5%" and cell("PI 1", "Target") == "40.0%"
    assert cell("PI 1", "Latest period") == LAST_Q.label
    assert cell("PI 1", "Status") == "Met"
    assert cell("PI 2", "Status") == "Not met"  # 33 against 37.5 a quarter
    assert cell("PI 2", "Target") == "37.5"
    red = cell("PI 2", "Status", Qt.ItemDataRole.BackgroundRole).color()
    assert red == QColor("#B3261E")
    assert "Rising" in cell("PI 1", "Trend", Qt.ItemDataRole.AccessibleTextRole)
    assert "1 not met" in view.summary_label.text()
    assert "(1 off target)" in view.tabs.tabText(view.table_index)


def test_show_filter_and_search(view, figures):
    view.show_combo.setCurrentIndex(OFF_TARGET)
    assert [r.code for r in view.table.proxy.visible_rows()] == ["PI 2"]
    view.show_combo.setCurrentIndex(0)
    view.filter_bar.set_text("sanction")
    assert [r.code for r in view.table.proxy.visible_rows()] == ["PI 1"]


def test_sparkline_is_drawn_with_qpainter(view, figures):
    row = next(r for r in view.rows if r.code == "PI 1")
    rect = QRectF(0, 0, 120, 24)
    values, targets = SparklineDelegate.points(rect, row)
    shown = [p for p in values if p is not None]
    assert len(shown) == 4 and len(values) == I.TREND_POINTS["quarter"]
    assert shown[-1].y() < shown[0].y()  # rising: the latest figure is higher up
    assert all(t is None or abs(t.y() - targets[-1].y()) < 0.01 for t in targets)
    image = QImage(120, 24, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    SparklineDelegate.draw(painter, rect, row)
    painter.end()
    last = shown[-1]
    assert image.pixelColor(int(last.x()), int(last.y())) == QColor("#2E7D32")  # met: green
    assert trend_words(row).startswith("Rising: 40.0% in")


def test_open_with_dashboard_tiles(view, figures):
    view.open_with(tile="indicators.off_target")
    assert view.show_combo.currentIndex() == OFF_TARGET
    view.open_with(tile="indicators.bvpi225")
    assert view.tabs.currentIndex() == view.bvpi_index
    view.open_with(indicator_id=figures["sdr"])
    assert view.selected().code == "PI 1"
    assert view.current_record() == ("indicator", figures["sdr"])


def test_dashboard_tile_opens_the_off_target_list(window, figures):
    dash = window.show_view("dashboard")
    dash.refresh()
    tile = next(t for t in dash.tiles if t.tile.key == "indicators.off_target")
    assert tile.tile.value == "1" and tile.clickable
    widget = dash.open_tile(tile.tile)
    assert isinstance(widget, IndicatorsView)
    assert widget.show_combo.currentIndex() == OFF_TARGET


def test_buttons_follow_the_selection(view, figures):
    assert not view.edit_button.isEnabled() and view.add_button.isEnabled()
    pick(view, figures["sdr"])
    assert view.edit_button.isEnabled() and view.values_button.isEnabled()


def test_delete_asks_first(view, db, figures, dialogs):
    pick(view, figures["marac"])
    assert not view.delete()  # no answer: kept
    dialogs.answer("Delete")
    assert view.delete()
    assert count(db, Indicator) == 1


# --------------------------------------------------------------------------- editor
def set_cell(dialog, r, c, text):
    item = dialog.grid.item(r, c)
    item.setText(text)


def test_add_a_typed_indicator_with_figures_targets_and_a_link(view, db, figures):
    dialog = dlg.IndicatorDialog(view.ctx, view)
    f = dialog.form
    f.codeEdit.setText("PI 5")
    f.nameEdit.setText("Referrals to the IDVA service")
    f.unitCombo.setCurrentIndex(f.unitCombo.findData("count"))
    f.periodCombo.setCurrentIndex(f.periodCombo.findData("quarter"))
    r = dialog.add_period()
    assert dialog.grid.item(r, dlg.PERIOD).text() == LAST_Q.key
    set_cell(dialog, r, dlg.VALUE, "31")
    set_cell(dialog, r, dlg.NOTE, "IDVA return")
    y = dialog.add_year()
    assert dialog.grid.item(y, dlg.PERIOD).text() == FY.key
    assert not (dialog.grid.item(y, dlg.VALUE).flags() & Qt.ItemFlag.ItemIsEditable)
    set_cell(dialog, y, dlg.TARGET, "120")
    item = next(
        f.actionsList.item(i)
        for i in range(f.actionsList.count())
        if f.actionsList.item(i).data(Qt.ItemDataRole.UserRole) == figures["action"]
    )
    item.setCheckState(Qt.CheckState.Checked)
    assert dialog.save()
    with db.session() as s:
        ind = s.get(Indicator, dialog.result_value)
        grid = {g.period.key: g for g in I.value_grid(s, ind.id, TODAY)}
        assert grid[LAST_Q.key].value == 3100 and grid[LAST_Q.key].note == "IDVA return"
        assert grid[FY.key].target == 12000
        assert [a.reference for a in I.linked_actions(s, ind.id)] == ["2.1"]


def test_grid_problems_are_shown_at_the_cell_and_nothing_is_lost(view, db, figures):
    dialog = dlg.IndicatorDialog(view.ctx, view, indicator_id=figures["sdr"], tab="values")
    assert dialog.form.tabs.currentWidget() is dialog.form.valuesPage
    r = dialog.add_period()
    set_cell(dialog, r, dlg.PERIOD, LAST_Q.prev().prev().prev().prev().key)
    set_cell(dialog, r, dlg.VALUE, "120")
    assert not dialog.save()
    text = dialog.error_text("values")
    assert text.startswith("Row 1") and "cannot be over 100" in text
    assert dialog.grid.item(r, dlg.VALUE).background().color() == QColor(dlg.ERROR_FILL)
    assert dialog.grid.item(r, dlg.VALUE).text() == "120"  # still as typed
    set_cell(dialog, r, dlg.VALUE, "fifty")
    assert not dialog.save() and "is not a number" in dialog.error_text("values")
    set_cell(dialog, r, dlg.VALUE, "39")
    set_cell(dialog, r, dlg.PERIOD, "2013-05")
    assert not dialog.save() and "reported quarterly" in dialog.error_text("values")
    assert count(db, IndicatorValue) == 8  # nothing saved by the refusals
    set_cell(dialog, r, dlg.PERIOD, LAST_Q.prev().prev().prev().prev().key)
    assert dialog.save()
    assert count(db, IndicatorValue) == 9


def test_definition_problems_beside_the_field(view, db, figures):
    dialog = dlg.IndicatorDialog(view.ctx, view)
    assert not dialog.save()
    assert "Enter the indicator's name" in dialog.error_text("name")
    dialog.form.nameEdit.setText("referrals to marac")
    assert not dialog.save()
    assert "already an indicator called" in dialog.error_text("name")
    assert count(db, Indicator) == 2


def test_a_computed_indicator_takes_targets_only(view, db, figures):
    dialog = dlg.IndicatorDialog(view.ctx, view)
    f = dialog.form
    f.computedCombo.setCurrentIndex(f.computedCombo.findData("alarms.issued"))
    assert f.nameEdit.text() == "Panic alarms issued"
    assert not f.unitCombo.isEnabled() and not f.directionCombo.isEnabled()
    y = dialog.add_year()
    set_cell(dialog, y, dlg.TARGET, "80")
    r = dialog.add_period()
    assert not (dialog.grid.item(r, dlg.VALUE).flags() & Qt.ItemFlag.ItemIsEditable)
    assert dialog.save()
    with db.session() as s:
        ind = s.get(Indicator, dialog.result_value)
        assert ind.computed_key == "alarms.issued"
        assert {g.period.key: g.target for g in I.value_grid(s, ind.id, TODAY)}[FY.key] == 8000
    again = dlg.IndicatorDialog(view.ctx, view, indicator_id=ind.id)
    assert not again.form.computedCombo.isEnabled()
    assert again.windowTitle() == "Indicator: Panic alarms issued"


def test_unit_and_cadence_are_locked_once_there_are_figures(view, figures):
    dialog = dlg.IndicatorDialog(view.ctx, view, indicator_id=figures["sdr"])
    assert not dialog.form.unitCombo.isEnabled() and not dialog.form.periodCombo.isEnabled()
    rows = [dialog.grid.item(r, dlg.PERIOD).text() for r in range(dialog.grid.rowCount())]
    target_row = rows.index(I.year_period(LAST_Q.fy).key)
    assert dialog.grid.item(target_row, dlg.STATUS).text() == "Target row"


# --------------------------------------------------------------------------- import / export
def test_import_dialog_previews_and_imports(view, db, figures, tmp_path):
    path = tmp_path / "figures.csv"
    older = LAST_Q.prev().prev().prev().prev()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ["Ref", "When", "Actual"],
                ["PI 1", older.key, "39.5"],
                ["PI 2", older.key, "lots"],
            ]
        )
    sheet = dlg.read_values_in_worker(view, path)
    dialog = dlg.ImportDialog(view.ctx, sheet, view)
    ok = dialog.form.buttonBox.button(dialog.form.buttonBox.StandardButton.Ok)
    assert ok.text() == "Import"
    # "When" was not recognised: nothing can be planned until it is mapped to Period
    when = dialog.combos[1]
    assert dialog.plan is None and not ok.isEnabled()
    assert "Choose the columns" in dialog.form.summaryLabel.text()
    when.setCurrentIndex(when.findData("period"))
    assert [r.action for r in dialog.plan.rows] == ["add", "error"]
    assert not ok.isEnabled()
    dialog.form.skipErrorsCheck.setChecked(True)
    assert ok.isEnabled()
    assert dialog.run_import()
    assert dialog.summary.added == 1
    assert count(db, IndicatorValue) == 9


def test_export_writes_xlsx(view, figures, tmp_path, dialogs):
    out = tmp_path / "indicators.xlsx"
    dialogs.save_files.append(out)
    assert view.export() == out
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Indicators", "Values", "Targets"]
    wb.close()
    assert dialogs.last().text.startswith("2 indicator(s) with their figures")


# --------------------------------------------------------------------------- BVPI 225
def answer(form, number, choice, evidence=""):
    block = form.blocks[number - 1]
    {"yes": block.form.yesRadio, "no": block.form.noRadio}[choice].setChecked(True)
    if evidence:
        block.form.evidenceEdit.setPlainText(evidence)


def test_bvpi_form_live_score_save_and_reload(view, db):
    form = view.bvpi
    assert form.form.scoreLabel.text() == "Score 0.0"
    for n in (1, 3, 4, 5, 6):
        answer(form, n, "yes", f"Evidence {n}")
    answer(form, 2, "no")
    assert form.form.scoreLabel.text() == "Score 45.5"
    assert form.dirty
    answer(form, 9, "yes")  # no evidence: saved, with a warning
    assert form.save()
    assert not form.dirty
    assert "Question 9 is answered yes without any evidence" in form.form.warningsLabel.text()
    with db.session() as s:
        saved = B.assessment_view(s, FY.fy, TODAY)
    assert saved.yes_count == 6 and str(saved.score) == "54.5"
    assert saved.answers[0].evidence == "Evidence 1"
    assert "(score 54.5)" in form.form.fyCombo.currentText()
    assert form.current_record()[0] == "bvpi225_assessment"
    form.load(FY.fy)
    assert form.form.scoreLabel.text() == "Score 54.5"


def test_bvpi_form_shows_problems_beside_the_question(view, db):
    form = view.bvpi
    answer(form, 4, "yes", "Strategy adopted")
    block = form.blocks[3]
    block.form.evidenceDateCheck.setChecked(True)
    block.form.evidenceDate.setDate(to_qdate(date(2099, 1, 1)))
    assert not form.save()
    assert "cannot be in the future" in form.error_text("q4.evidence_date")
    assert block.form.evidenceEdit.toPlainText() == "Strategy adopted"
    with db.session() as s:
        assert not B.assessment_view(s, FY.fy, TODAY).exists


def test_bvpi_form_shows_what_the_records_say_beside_7_and_11(view):
    form = view.bvpi
    q7, q11, q1 = form.blocks[6], form.blocks[10], form.blocks[0]
    assert q7.form.dataLabel.isVisibleTo(form) and q11.form.dataLabel.isVisibleTo(form)
    assert not q1.form.dataLabel.isVisibleTo(form)
    assert q7.form.dataLabel.text().startswith("dvcoord's records say: No Sanctuary")
    answer(form, 7, "yes")
    assert "does not match" in q7.form.dataLabel.text()
    answer(form, 7, "no")
    assert "does not match" not in q7.form.dataLabel.text()


def test_bvpi_form_asks_before_leaving_unsaved_answers(view, db, dialogs):
    form = view.bvpi
    answer(form, 1, "yes", "Directory online")
    other = form.form.fyCombo.findData(FY.fy - 1)
    form.form.fyCombo.setCurrentIndex(other)  # no answer: Cancel -> stays on the year
    assert form.fy == FY.fy and form.form.fyCombo.currentData() == FY.fy
    assert "Save the changes" in dialogs.last().text
    dialogs.answer("Discard")
    form.form.fyCombo.setCurrentIndex(other)
    assert form.fy == FY.fy - 1 and form.form.scoreLabel.text() == "Score 0.0"
    answer(form, 2, "yes", "Refuge places")
    dialogs.answer("Save")
    assert view.can_leave()
    with db.session() as s:
        assert B.assessment_view(s, FY.fy - 1, TODAY).yes_count == 1


def test_linked_actions_menu_opens_the_action_in_action_plans(window, db, figures):
    with db.transaction() as s:
        I.link_action(s, figures["sdr"], figures["action"])
    view = window.show_view("indicators")
    view.refresh()
    pick(view, figures["marac"])
    assert not view.actions_button.isEnabled()  # nothing linked to this one
    pick(view, figures["sdr"])
    assert view.actions_button.isEnabled()
    view._fill_actions_menu()
    entries = view.actions_menu.actions()
    assert [a.text() for a in entries] == ["DA plan: 2.1 Improve detections"]
    entries[0].trigger()
    assert window.current_view_key() == "plans"
    assert window.current_view().current_record() == ("action", figures["action"])
