"""The Panic alarms view and its dialogs (pytest-qt, offscreen)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import csv
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from dvcoord.gui import alarms_dialogs as dlg
from dvcoord.gui import views as view_registry
from dvcoord.gui.alarms_view import STATUS_FILTERS, AlarmsView
from dvcoord.gui.import_preview import NOT_IMPORTED
from dvcoord.gui.widgets import to_qdate
from dvcoord.services import alarms as A
from dvcoord.services.dates import add_months
from dvcoord.store.schema.alarms import Alarm, Loan
from dvcoord.store.schema.plans import Agency

TODAY = date.today()


@pytest.fixture
def stock(db):
    """Agencies, two types, four alarms (one issued and past review, one faulty)."""
    with db.transaction() as s:
        police = Agency(name="Kent Police", short_name="Police")
        idva = Agency(name="Oasis IDVA Service", short_name="IDVA")
        s.add_all([police, idva])
        s.flush()
        pendant = A.create_alarm_type(
            s, name="Pendant", test_interval_days=90, battery_life_months=24
        )
        mobile = A.create_alarm_type(s, name="Mobile", test_interval_days=30, has_sim=True)
        ids = {"police": police.id, "idva": idva.id, "pendant": pendant.id}
        for n, (type_id, bought) in enumerate(
            [(pendant.id, 30), (pendant.id, 60), (mobile.id, 400), (pendant.id, 10)], start=1
        ):
            alarm = A.create_alarm(
                s,
                asset_tag=f"WK-00{n}",
                type_id=type_id,
                serial_number=f"SER-{n}",
                purchase_date=TODAY - timedelta(days=bought),
                storage_location="Office safe",
            )
            ids[f"a{n}"] = alarm.id
        issued = TODAY - timedelta(days=120)
        A.issue_alarm(
            s,
            alarm_id=ids["a3"],
            case_reference="WK-MARAC-2026-031",
            agency_id=idva.id,
            issued_date=issued,
            review_date=issued + timedelta(days=90),
            today=issued,
        )
        A.mark_faulty(s, alarm_id=ids["a4"])
    return ids


@pytest.fixture
def view(gui_app, db, stock, qtbot, dialogs):
    """The view on its own (the window is built only where a test needs it)."""
    from dvcoord.gui.context import AppContext
    from dvcoord.gui.settings import AppSettings

    widget = AlarmsView(AppContext(db, AppSettings()))
    qtbot.addWidget(widget)
    return widget


def test_window_shows_the_view(window, stock):
    widget = window.show_view("alarms")
    assert isinstance(widget, AlarmsView)
    assert window.current_view_key() == "alarms"
    assert "Available: 2" in widget.counts_label.text()


def visible_tags(view) -> list[str]:
    return [r.asset_tag for r in view.table.proxy.visible_rows()]


def pick(view, alarm_id) -> None:
    view.status_combo.setCurrentIndex(len(STATUS_FILTERS) - 1)
    assert view.table.select_key(alarm_id)


# --------------------------------------------------------------------------- view
def test_view_is_registered_at_order_50():
    spec = view_registry.get("alarms")
    assert (spec.title, spec.order, spec.icon_name) == ("Panic alarms", 50, "alarms")


def test_counts_low_stock_and_status_filter(view, db):
    assert view.counts_label.text().split() == [
        "Available:",
        "2",
        "On",
        "loan:",
        "1",
        "Out",
        "of",
        "service:",
        "1",
        "Retired:",
        "0",
    ]
    assert view.low_stock_label.isVisibleTo(view)  # 2 < 5
    assert "only 2 alarms are available" in view.low_stock_label.text()
    assert visible_tags(view) == ["WK-001", "WK-002", "WK-003", "WK-004"]
    view.status_combo.setCurrentIndex(1)  # Available
    assert visible_tags(view) == ["WK-001", "WK-002"]
    view.status_combo.setCurrentIndex(2)  # On loan
    assert visible_tags(view) == ["WK-003"]
    view.status_combo.setCurrentIndex(3)  # Out of service
    assert visible_tags(view) == ["WK-004"]
    view.status_combo.setCurrentIndex(0)
    view.filter_bar.set_text("ser-2")
    assert visible_tags(view) == ["WK-002"]
    view.filter_bar.set_text("oasis")  # agency names are not searched, tags and serials are
    assert visible_tags(view) == []
    assert view.filter_bar.count_label.text() == "0 of 4"


def test_low_stock_setting_dialog(view, db):
    dialog = dlg.StockSettingsDialog(view.ctx, view)
    assert dialog.form.thresholdSpin.value() == 5
    dialog.form.thresholdSpin.setValue(2)
    assert dialog.save()
    view.refresh()
    assert not view.low_stock_label.isVisibleTo(view)
    with db.session() as s:
        assert A.low_stock_threshold(s) == 2


def test_buttons_follow_the_selected_alarm(view, stock):
    pick(view, stock["a1"])
    assert view.issue_button.isEnabled() and not view.return_button.isEnabled()
    assert view.status_button.isEnabled()
    pick(view, stock["a3"])
    assert not view.issue_button.isEnabled()
    assert view.return_button.isEnabled() and view.review_button.isEnabled()
    pick(view, stock["a4"])
    assert not view.return_button.isEnabled()
    assert view.history_button.isEnabled() and view.log_button.isEnabled()


def test_due_lists_tab(view, stock):
    assert view.reviews_heading.text() == "Loans past review (1)"
    assert [r.asset_tag for r in view.reviews_table.source_model.rows()] == ["WK-003"]
    assert view.reviews_table.source_model.rows()[0].days_past_review == 30
    # WK-003 (mobile, bought 400 days ago, never tested) is due; WK-004 is faulty: not listed
    assert [r.asset_tag for r in view.tests_table.source_model.rows()] == ["WK-003"]
    assert view.tabs.tabText(view.due_index) == "&Due lists (2 overdue)"
    view.open_with(tab="due")
    assert view.tabs.currentIndex() == view.due_index
    view.open_with(alarm_id=stock["a2"])
    assert view.tabs.currentIndex() == 0
    assert view.selected().asset_tag == "WK-002"


def test_dashboard_tile_opens_this_view(window, stock):
    from dvcoord.services.dashboard import collect

    with window.context.db.session() as s:
        tiles = [t for t in collect(s, TODAY) if t.area == "Panic alarms"]
    assert {t.view for t in tiles} == {"alarms"}
    assert isinstance(window.show_view(tiles[0].view), AlarmsView)


# --------------------------------------------------------------------------- issue
def fill_issue(dialog, *, ref="MARAC-2026-117", agency="Kent Police"):
    f = dialog.form
    f.caseRefEdit.setText(ref)
    f.agencyCombo.setCurrentIndex(f.agencyCombo.findText(agency))
    f.officerEdit.setText("IDVA 3")


def test_issue_dialog_issues_the_chosen_alarm(view, db, stock):
    pick(view, stock["a2"])
    dialog = dlg.IssueDialog(view.ctx, view, alarm_id=stock["a2"])
    f = dialog.form
    assert [f.alarmCombo.itemText(i).split()[0] for i in range(f.alarmCombo.count())] == [
        "WK-001",
        "WK-002",
    ]
    assert f.alarmCombo.currentData() == stock["a2"]
    assert f.reviewDate.date() == to_qdate(A.default_review_date(TODAY))
    f.issuedDate.setDate(to_qdate(TODAY - timedelta(days=2)))  # review follows the issue date
    assert f.reviewDate.date() == to_qdate(A.default_review_date(TODAY - timedelta(days=2)))
    fill_issue(dialog)
    f.maracCheck.setChecked(True)
    f.installedDateCheck.setChecked(True)
    f.installedDate.setDate(to_qdate(TODAY - timedelta(days=1)))
    assert dialog.save()
    with db.session() as s:
        loan = s.scalars(select(Loan).where(Loan.alarm_id == stock["a2"])).one()
        assert (loan.case_reference, loan.officer, loan.marac) == ("MARAC-2026-117", "IDVA 3", True)
        assert loan.installed_date == TODAY - timedelta(days=1)
        assert s.get(Alarm, stock["a2"]).status == "issued"
    view.refresh()
    assert "Available: 1" in view.counts_label.text()


def test_issue_dialog_shows_problems_beside_fields_and_keeps_input(view, db, stock):
    dialog = dlg.IssueDialog(view.ctx, view)
    f = dialog.form
    assert not dialog.save()  # no case reference
    assert "case reference" in dialog.error_text("case_reference")
    fill_issue(dialog, agency="Choose the agency…")
    assert not dialog.save()
    assert dialog.error_text("agency") == "Choose the agency that asked for the alarm."
    assert dialog.error_text("case_reference") == ""
    fill_issue(dialog)
    f.reviewDate.setDate(to_qdate(TODAY - timedelta(days=1)))
    assert not dialog.save()
    assert "in the past" in dialog.error_text("review_date")
    assert f.caseRefEdit.text() == "MARAC-2026-117"  # nothing typed is lost
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Loan)) == 1  # only the fixture's


def test_issue_dialog_warns_about_names_and_addresses(view, db, stock, dialogs):
    dialog = dlg.IssueDialog(view.ctx, view)
    fill_issue(dialog, ref="Jane Smith")
    assert "person's name" in dialog.form.caseRefHelp.text()
    assert not dialog.save()  # the officer chose "Change it"
    assert dialogs.last().title == "Check the case reference"
    assert dialogs.last().buttons == ["Save as it is", "Change it"]
    fill_issue(dialog, ref="12 Acacia Avenue")
    assert "address" in dialog.form.caseRefHelp.text()
    dialogs.answer("Save as it is")
    assert dialog.save()
    with db.session() as s:
        refs = set(s.scalars(select(Loan.case_reference)))
    assert "12 Acacia Avenue" in refs and "Jane Smith" not in refs


# --------------------------------------------------------------------------- loans
def test_return_dialog(view, db, stock):
    dialog = dlg.ReturnDialog(view.ctx, stock["a3"], view)
    f = dialog.form
    assert "WK-003" in f.summaryLabel.text() and "Oasis IDVA Service" in f.summaryLabel.text()
    f.returnedDate.setDate(to_qdate(TODAY - timedelta(days=200)))
    assert not dialog.save()
    assert "before the issue date" in dialog.error_text("returned_date")
    f.returnedDate.setDate(to_qdate(TODAY))
    f.conditionCombo.setCurrentIndex(f.conditionCombo.findData("damaged"))
    assert dialog.save()
    with db.session() as s:
        assert s.get(Alarm, stock["a3"]).status == "faulty"
        assert s.scalars(select(Loan)).one().ended_date == TODAY


def test_review_dialog_extends(view, db, stock):
    dialog = dlg.ReviewDialog(view.ctx, stock["a3"], view)
    f = dialog.form
    assert f.reviewDate.date() == to_qdate(add_months(TODAY, 3))  # review was overdue
    f.reviewDate.setDate(to_qdate(TODAY - timedelta(days=3)))
    assert not dialog.save()
    assert "in the past" in dialog.error_text("review_date")
    f.reviewDate.setDate(to_qdate(TODAY + timedelta(days=40)))
    f.reasonEdit.setText("Perpetrator due for release")
    assert dialog.save()
    view.refresh()
    assert view.reviews_heading.text() == "Loans past review (0)"


def test_status_dialog_offers_only_allowed_changes(view, db, stock):
    dialog = dlg.StatusDialog(view.ctx, stock["a4"], view)  # faulty
    f = dialog.form
    offered = [f.actionCombo.itemData(i) for i in range(f.actionCombo.count())]
    assert offered == ["send_to_repair", "back_in_service", "mark_lost", "retire_alarm"]
    f.actionCombo.setCurrentIndex(0)
    assert f.costEdit.isEnabled()
    f.costEdit.setText("twelve pounds")
    assert not dialog.save()
    assert "not an amount of money" in dialog.error_text("cost")
    f.costEdit.setText("£24.50")
    assert dialog.save()
    with db.session() as s:
        assert s.get(Alarm, stock["a4"]).status == "in repair"
        history = A.device_history(s, stock["a4"])
    assert "Cost £24.50." in history.events[-1].text
    dialog = dlg.StatusDialog(view.ctx, stock["a3"], view, action="mark_lost")  # issued
    assert dialog.form.actionCombo.currentData() == "mark_lost"
    assert not dialog.form.costEdit.isEnabled()
    assert dialog.save()
    with db.session() as s:
        assert s.get(Alarm, stock["a3"]).status == "lost"
        assert A.open_loans(s, TODAY) == []


def test_log_dialog_records_a_failed_test(view, db, stock):
    dialog = dlg.LogDialog(view.ctx, stock["a1"], view)
    f = dialog.form
    kinds = [f.kindCombo.itemData(i) for i in range(f.kindCombo.count())]
    assert kinds == ["test", "battery change", "repair"]  # a pendant has no SIM
    f.resultCombo.setCurrentIndex(f.resultCombo.findData("fail"))
    f.dateEdit.setDate(to_qdate(TODAY + timedelta(days=1)))
    assert not dialog.save()
    assert "future" in dialog.error_text("entry_date")
    f.dateEdit.setDate(to_qdate(TODAY))
    assert dialog.save()
    with db.session() as s:
        assert s.get(Alarm, stock["a1"]).status == "faulty"
    dialog = dlg.LogDialog(view.ctx, stock["a3"], view)  # mobile: SIM change offered
    f = dialog.form
    f.kindCombo.setCurrentIndex(f.kindCombo.findData("SIM change"))
    assert f.simEdit.isEnabled() and not f.resultCombo.isEnabled()
    f.simEdit.setText("07700 900456")
    assert dialog.save()


def test_history_dialog_hides_case_references_until_asked(view, stock):
    dialog = dlg.HistoryDialog(view.ctx, stock["a3"], view)
    model = dialog.model
    assert [r.kind for r in model.rows()] == ["purchased", "issued"]
    assert dialog.table.isColumnHidden(3)
    dialog.form.showRefsCheck.setChecked(True)
    assert not dialog.table.isColumnHidden(3)
    assert model.text(1, 3) == "WK-MARAC-2026-031"


# --------------------------------------------------------------------------- stock
def test_add_and_edit_alarm_dialogs(view, db, stock):
    dialog = dlg.AlarmDialog(view.ctx, view)
    f = dialog.form
    f.assetTagEdit.setText("wk-001")
    f.typeCombo.setCurrentIndex(f.typeCombo.findText("Pendant"))
    assert not dialog.save()
    assert "already has the asset tag" in dialog.error_text("asset_tag")
    f.assetTagEdit.setText("WK-010")
    f.simEdit.setText("07700 900999")
    assert not dialog.save()
    assert "no SIM card" in dialog.error_text("sim_number")
    f.simEdit.clear()
    f.purchaseDateCheck.setChecked(True)
    f.purchaseDate.setDate(to_qdate(TODAY - timedelta(days=3)))
    assert dialog.save()
    new_id = dialog.result_value
    edit = dlg.AlarmDialog(view.ctx, view, alarm_id=new_id)
    assert edit.form.assetTagEdit.text() == "WK-010"
    assert edit.form.purchaseDateCheck.isChecked()
    edit.form.locationEdit.setText("Police station store")
    assert edit.save()
    with db.session() as s:
        alarm = s.get(Alarm, new_id)
        assert (alarm.storage_location, alarm.purchase_date) == (
            "Police station store",
            TODAY - timedelta(days=3),
        )


def test_type_dialog(view, db, stock):
    dialog = dlg.TypeDialog(view.ctx, view)
    f = dialog.form
    f.nameEdit.setText("pendant")
    assert not dialog.save()
    assert "already an alarm type" in dialog.error_text("name")
    f.nameEdit.setText("Fixed home alarm")
    f.intervalSpin.setValue(180)
    assert dialog.save()
    with db.session() as s:
        made = [t for t in A.alarm_types(s) if t.name == "Fixed home alarm"][0]
    assert made.test_interval_days == 180 and made.battery_life_months is None


def test_import_dialog_maps_previews_and_imports(view, db, stock, tmp_path):
    path = tmp_path / "stock.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ["Tag", "Kind", "Serial"],
                ["NEW-1", "Pendant", "N-1"],
                ["NEW-2", "Pendant", "SER-1"],  # serial already in the database
                ["WK-001", "Pendant", "X"],  # already there
            ]
        )
    sheet = dlg.read_sheet_in_worker(view, path)
    dialog = dlg.ImportDialog(view.ctx, sheet, view)
    ok = dialog.form.buttonBox.button(dialog.form.buttonBox.StandardButton.Ok)
    assert ok.text() == "Import"
    # "Kind" was not recognised: every row is an error until it is mapped to Type
    kind_combo = dialog.combos[1]
    assert kind_combo.currentText() == NOT_IMPORTED
    assert not ok.isEnabled()
    kind_combo.setCurrentIndex(kind_combo.findData("type"))
    assert [r.action for r in dialog.plan.rows] == ["add", "error", "skip"]
    assert "1 alarm(s) to add" in dialog.form.summaryLabel.text()
    assert not ok.isEnabled()
    dialog.form.skipErrorsCheck.setChecked(True)
    assert ok.isEnabled()
    assert dialog.run_import()
    assert dialog.summary.added == 1
    with db.session() as s:
        assert s.scalar(select(Alarm.id).where(Alarm.asset_tag == "NEW-1"))


def test_export_writes_xlsx_without_case_references(view, stock, tmp_path, dialogs):
    out = tmp_path / "inventory.xlsx"
    dialogs.save_files.append(out)
    dialogs.answer("Leave them out")
    assert view.export_stock() == out
    wb = load_workbook(out, read_only=True)
    cells = {str(c) for row in wb["Inventory"].iter_rows(values_only=True) for c in row}
    wb.close()
    assert "WK-003" in cells and "WK-MARAC-2026-031" not in cells
    assert dialogs.last().text.startswith("4 alarm(s) written to")


def test_current_record_names_the_selected_alarm_for_history(view, stock):
    """Edit > History works on the Panic alarms view: it names the selected alarm."""
    view.refresh()
    assert view.current_record() is None or view.current_record()[0] == "alarm"
    assert view.table.select_key(stock["a2"])
    assert view.current_record() == ("alarm", stock["a2"])
    view.tabs.setCurrentIndex(view.due_index)
    assert view.current_record() is None
