"""The Sanctuary Scheme view and its dialogs (pytest-qt, offscreen)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from dvcoord.gui import sanctuary_dialogs as dlg
from dvcoord.gui import views as view_registry
from dvcoord.gui.sanctuary_view import STAGE_FILTERS, SanctuaryView
from dvcoord.gui.widgets import to_qdate
from dvcoord.services import sanctuary as S
from dvcoord.services.dates import financial_year_of
from dvcoord.store.schema.plans import Agency
from dvcoord.store.schema.sanctuary import MeasureFitted, SanctuaryCase

TODAY = date.today()
D = TODAY - timedelta(days=40)


def day(n: int) -> date:
    return D + timedelta(days=n)


@pytest.fixture(autouse=True)
def _delete_dialogs(qapp):
    """Dialogs made by a test are deleted after it (a leftover one can upset the next
    test's stylesheet)."""
    yield
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication, QDialog

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog):
            widget.hide()
            widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def data(db):
    """Two agencies, the catalogue with door chains in stock, a contractor and three cases:
    referred (council), approved with the checklist done, and works ordered."""
    with db.transaction() as s:
        police = Agency(name="Kent Police", short_name="Police")
        idva = Agency(name="Oasis IDVA Service", short_name="IDVA")
        s.add_all([police, idva])
        s.flush()
        S.ensure_catalogue(s)
        items = {i.kind: i.id for i in S.catalogue(s)}
        S.set_stock_level(s, items["door chain"], reorder_level=4, supplier="Demo Hardware")
        S.record_delivery(s, item_id=items["door chain"], quantity=5, on=day(0))
        firm = S.create_contractor(s, name="Demo Locks Ltd", trade="Locksmith")
        referred = S.create_case(
            s,
            reference="SDC-SS-2026-001",
            agency_id=police.id,
            referral_date=day(10),
            tenure="council",
            risk_level="medium",
            postcode_district="TN13",
        ).case
        ready = S.create_case(
            s,
            reference="SDC-SS-2026-002",
            agency_id=idva.id,
            referral_date=day(1),
            tenure="owner-occupier",
            risk_level="high",
            consent=True,
            consent_on=day(1),
            survey_on=day(2),
            perpetrator_gone=True,
            perpetrator_gone_on=day(0),
            postcode_district="BR8",
        ).case
        S.move_stage(s, ready.id, "assessed", day(3))
        S.move_stage(s, ready.id, "approved", day(4))
        works = S.create_case(
            s,
            reference="SDC-SS-2026-003",
            agency_id=idva.id,
            referral_date=day(0),
            tenure="other",
            consent=True,
            consent_on=day(0),
            survey_on=day(1),
            perpetrator_gone=True,
            perpetrator_gone_on=day(0),
        ).case
        for stage, n in (("assessed", 2), ("approved", 3), ("works ordered", 4)):
            S.move_stage(s, works.id, stage, day(n))
    return {
        "police": police.id,
        "idva": idva.id,
        "firm": firm.id,
        "referred": referred.id,
        "ready": ready.id,
        "works": works.id,
        **items,
    }


@pytest.fixture
def view(gui_app, db, data, qtbot, dialogs):
    from dvcoord.gui.context import AppContext
    from dvcoord.gui.settings import AppSettings

    widget = SanctuaryView(AppContext(db, AppSettings()))
    qtbot.addWidget(widget)
    return widget


def refs(view) -> list[str]:
    return [r.reference for r in view.table.proxy.visible_rows()]


# --------------------------------------------------------------------------- view
def test_view_is_registered_at_order_60(window, data):
    spec = view_registry.get("sanctuary")
    assert (spec.title, spec.order, spec.icon_name) == ("Sanctuary Scheme", 60, "sanctuary")
    widget = window.show_view("sanctuary")
    assert isinstance(widget, SanctuaryView)
    assert window.current_view_key() == "sanctuary"


def test_board_counts_and_stage_buttons_filter(view):
    board = view.board_buttons
    assert board["referred"].text() == "Referred: 1"
    assert board["approved"].text() == "Approved: 1"
    assert board["works ordered"].text() == "Works ordered: 1"
    assert refs(view) == ["SDC-SS-2026-003", "SDC-SS-2026-002", "SDC-SS-2026-001"]
    board["approved"].click()
    assert refs(view) == ["SDC-SS-2026-002"]
    assert board["approved"].isChecked() and not board["referred"].isChecked()
    board["approved"].click()  # again: back to every open case
    assert len(refs(view)) == 3 and not board["approved"].isChecked()


def test_filters_run_in_the_query(view, data):
    view.risk_combo.setCurrentIndex(view.risk_combo.findData("high"))
    assert refs(view) == ["SDC-SS-2026-002"]
    view.risk_combo.setCurrentIndex(0)
    view.tenure_combo.setCurrentIndex(view.tenure_combo.findData("council"))
    assert refs(view) == ["SDC-SS-2026-001"]
    view.tenure_combo.setCurrentIndex(0)
    view.agency_combo.setCurrentIndex(view.agency_combo.findData(data["idva"]))
    assert refs(view) == ["SDC-SS-2026-003", "SDC-SS-2026-002"]
    view.agency_combo.setCurrentIndex(0)
    fy = financial_year_of(day(10))
    view.fy_combo.setCurrentIndex(view.fy_combo.findData(fy))
    expected = [
        r
        for r in ("SDC-SS-2026-003", "SDC-SS-2026-002", "SDC-SS-2026-001")
        if financial_year_of(
            day({"SDC-SS-2026-001": 10, "SDC-SS-2026-002": 1, "SDC-SS-2026-003": 0}[r])
        )
        == fy
    ]
    assert refs(view) == expected
    view.fy_combo.setCurrentIndex(0)
    view.filter_bar.set_text("002")
    assert refs(view) == ["SDC-SS-2026-002"]
    view.filter_bar.set_text("")
    view.stage_combo.setCurrentIndex(len(STAGE_FILTERS) - 2)  # ended cases
    assert refs(view) == []


def test_districts_hidden_until_asked(view):
    column = view.model.columnCount() - 1
    assert view.model.columns[column].header == "District"
    assert view.table.isColumnHidden(column)
    view.districts_check.setChecked(True)
    assert not view.table.isColumnHidden(column)


def test_rows_say_what_each_case_is_waiting_for(view):
    texts = {r.reference: view.model.text(i, 8) for i, r in enumerate(view.model.rows())}
    assert texts["SDC-SS-2026-001"].startswith("Missing: the person's consent")
    assert "the landlord's permission" in texts["SDC-SS-2026-001"]
    assert texts["SDC-SS-2026-002"] == "Checklist complete"
    assert texts["SDC-SS-2026-003"] == "Waiting for installation"


# --------------------------------------------------------------------------- case editor
def test_new_case_problems_beside_fields_then_saved(view, db, data):
    dialog = dlg.CaseDialog(view.ctx, view)
    f = dialog.form
    assert not f.tabs.isTabEnabled(3) and not f.tabs.isTabEnabled(4)
    assert "Save the referral" in f.stageNote.text()
    assert not dialog.save()
    assert "case reference" in dialog.error_text("reference")
    f.referenceEdit.setText("SDC-SS-2026-010")
    assert not dialog.save()
    assert dialog.error_text("agency") == "Choose the agency that made the referral."
    f.agencyCombo.setCurrentIndex(f.agencyCombo.findData(data["police"]))
    f.districtEdit.setText("TN13 1AA")
    f.tabs.setCurrentIndex(2)
    assert not dialog.save()
    assert "Enter only the district" in dialog.error_text("postcode_district")
    assert f.tabs.currentIndex() == 0  # the tab with the problem is shown
    f.districtEdit.setText("tn14")
    assert dialog.save()
    assert dialog.case_id and f.tabs.isTabEnabled(3)
    with db.session() as s:
        row = s.get(SanctuaryCase, dialog.case_id)
        assert (row.reference, row.postcode_district, row.stage) == (
            "SDC-SS-2026-010",
            "TN14",
            "referred",
        )
    assert [b.text() for b in dialog.stage_buttons.values()] == [
        "Mark assessed…",
        "Decline…",
        "Withdraw…",
    ]


def test_checklist_shows_ticks_and_words_live(view, data):
    dialog = dlg.CaseDialog(view.ctx, view, case_id=data["referred"])
    f = dialog.form
    texts = [label.text() for label in dialog.checklist_labels]
    assert texts[0].startswith("\u2718 Missing: Consent of the person recorded")
    assert "Not asked for yet" in texts[1]
    assert texts[4].startswith("\u2013 Recommended: Police address marker placed")
    f.consentCheck.setChecked(True)  # not saved yet, the checklist follows the form
    assert dialog.checklist_labels[0].text().startswith("\u2714 Done: Consent")
    f.tenureCombo.setCurrentIndex(f.tenureCombo.findData("owner-occupier"))
    assert "Not needed (owner-occupier)" in dialog.checklist_labels[1].text()
    assert not f.permissionCombo.isEnabled()
    assert dialog.dirty


def test_order_works_is_offered_only_when_the_checklist_is_done(view, db, data):
    with db.transaction() as s:
        S.move_stage(s, data["referred"], "assessed", day(11))
        S.move_stage(s, data["referred"], "approved", day(12))
    dialog = dlg.CaseDialog(view.ctx, view, case_id=data["referred"])
    f = dialog.form
    button = dialog.stage_buttons["works ordered"]
    assert set(dialog.stage_buttons) == {"works ordered", "withdrawn"}
    assert not button.isEnabled()
    assert "Works cannot be ordered yet" in f.stageNote.text()
    for words in ("consent", "landlord's permission", "survey", "perpetrator"):
        assert words in f.stageNote.text()
    f.consentCheck.setChecked(True)
    f.goneCheck.setChecked(True)
    f.surveyCheck.setChecked(True)
    f.permissionCombo.setCurrentIndex(f.permissionCombo.findData("given"))
    assert button.isEnabled() and not f.stageNote.text()
    assert dialog.save()
    stage = dlg.StageDialog(view.ctx, data["referred"], "works ordered", dialog)
    stage.form.stageDate.setDate(to_qdate(day(5)))  # before the case was approved
    assert not stage.save()
    assert "before the case became approved" in stage.error_text("stage_date")
    stage.form.stageDate.setDate(to_qdate(TODAY))
    assert stage.save()
    with db.session() as s:
        assert s.get(SanctuaryCase, data["referred"]).stage == "works ordered"


def test_closing_needs_an_outcome(view, db, data):
    with db.transaction() as s:
        S.record_measure(s, case_id=data["works"], item_id=data["door viewer"], fitted_on=day(6))
        S.move_stage(s, data["works"], "installed", day(7))
    stage = dlg.StageDialog(view.ctx, data["works"], "closed", view)
    assert stage.form.outcomeCombo.isVisibleTo(stage)
    assert not stage.form.reasonEdit.isVisibleTo(stage)
    assert not stage.save()
    assert "outcome" in stage.error_text("outcome")
    stage.form.outcomeCombo.setCurrentIndex(stage.form.outcomeCombo.findData("moved"))
    assert stage.save()
    with db.session() as s:
        row = s.get(SanctuaryCase, data["works"])
        assert (row.stage, row.outcome) == ("closed", "moved")


def test_measure_dialog_refuses_more_than_in_stock_and_negative_costs(view, db, data):
    dialog = dlg.MeasureDialog(view.ctx, data["works"], view)
    f = dialog.form
    f.itemCombo.setCurrentIndex(f.itemCombo.findData(data["door chain"]))
    assert f.stockHelp.text().startswith("5 in store")
    f.stockCheck.setChecked(True)
    f.quantitySpin.setValue(6)
    f.costEdit.setText("-5")
    assert not dialog.save()
    assert dialog.error_text("unit_cost") == "A cost cannot be negative."
    f.costEdit.setText("14.50")
    assert not dialog.save()
    assert "Only 5 × Door chain in stock" in dialog.error_text("quantity")
    f.quantitySpin.setValue(2)
    f.contractorCombo.setCurrentIndex(f.contractorCombo.findData(data["firm"]))
    assert dialog.save()
    with db.session() as s:
        assert S.stock_balance(s, data["door chain"]) == 3
        m = s.scalars(select(MeasureFitted)).one()
        assert (m.quantity, m.unit_cost_pence, m.from_stock) == (2, 1450, True)


def test_measures_are_refused_before_works_are_ordered(view, db, data, dialogs):
    dialog = dlg.CaseDialog(view.ctx, view, case_id=data["ready"])  # approved
    assert not dialog.form.addMeasureButton.isEnabled()
    assert "works are ordered" in dialog.form.addMeasureButton.toolTip()
    measure = dlg.MeasureDialog(view.ctx, data["ready"], view)
    assert not measure.save()  # the service says why, in a message
    assert "approved and works are ordered" in dialogs.last().text
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(MeasureFitted)) == 0


def test_measures_tab_and_removal_give_stock_back(view, db, data, dialogs):
    with db.transaction() as s:
        S.record_measure(
            s,
            case_id=data["works"],
            item_id=data["door chain"],
            quantity=2,
            unit_cost_pence=1450,
            fitted_on=day(6),
            from_stock=True,
        )
    dialog = dlg.CaseDialog(view.ctx, view, case_id=data["works"])
    f = dialog.form
    assert f.measuresTotal.text() == "1 measure fitted, £29.00 in all."
    assert dialog.measures_table.select_key(dialog.measures_model.rows()[0].measure_id)
    assert f.removeMeasureButton.isEnabled()
    dialogs.answer("Remove it")
    assert dialog.remove_measure()
    assert "goes back into the store" in dialogs.last().informative
    with db.session() as s:
        assert S.stock_balance(s, data["door chain"]) == 5
    assert dialog.measures_model.rows() == []


def test_notes_with_an_address_are_pointed_out_and_confirmed(view, db, data, dialogs):
    dialog = dlg.CaseDialog(view.ctx, view, case_id=data["referred"])
    f = dialog.form
    f.notesEdit.setPlainText("Now at 12 Acacia Avenue")
    assert f.notesHelp.text().startswith("Check: This looks like it contains an address")
    assert not dialog.save()  # the officer chose "Change it"
    assert dialogs.last().title == "Check the notes"
    dialogs.answer("Save as it is")
    assert dialog.save()
    with db.session() as s:
        assert s.get(SanctuaryCase, data["referred"]).notes == "Now at 12 Acacia Avenue"


def test_closing_with_unsaved_changes_asks(view, data, dialogs):
    dialog = dlg.CaseDialog(view.ctx, view, case_id=data["referred"])
    dialog.form.officerEdit.setText("IDVA 7")
    assert not dialog.close_dialog()  # "Keep editing" (no answer queued)
    assert dialogs.last().buttons == ["Close without saving", "Keep editing"]
    assert dialog.form.officerEdit.text() == "IDVA 7"
    dialogs.answer("Close without saving")
    assert dialog.close_dialog()


def test_follow_up_visit_and_address_warning(view, db, data, dialogs):
    with db.transaction() as s:
        S.record_measure(s, case_id=data["works"], item_id=data["door viewer"], fitted_on=day(6))
        S.move_stage(s, data["works"], "installed", day(7))
    visit = dlg.FollowUpDialog(view.ctx, data["works"], view)
    f = visit.form
    assert not visit.save()
    assert "what the visit found" in visit.error_text("outcome")
    f.outcomeEdit.setText("Met at 4 Elm Road, all fine")
    assert f.notesHelp.text().startswith("Check:")
    assert not visit.save()
    f.outcomeEdit.setText("All measures in place and working")
    assert visit.save()
    case = dlg.CaseDialog(view.ctx, view, case_id=data["works"])
    assert [v.outcome for v in case.visits_model.rows()] == ["All measures in place and working"]
    assert "follow-up done" in case.stage_buttons and "closed" in case.stage_buttons


def test_undo_last_stage_change(view, db, data, dialogs):
    dialog = dlg.CaseDialog(view.ctx, view, case_id=data["ready"])
    assert dialog.form.revertButton.isEnabled()
    dialogs.answer("Undo it")
    assert dialog.revert_stage()
    assert dialog.stage == "assessed"
    assert "Assessed since" in dialog.form.stageLabel.text()
    assert "approved" in dialog.stage_buttons


# --------------------------------------------------------------------------- addresses
def test_address_field_off_by_default_and_settings(view, db, data, dialogs):
    dialog = dlg.CaseDialog(view.ctx, view, case_id=data["referred"])
    assert not dialog.form.addressEdit.isEnabled()
    assert "switched off" in dialog.form.addressHelp.text()
    settings = dlg.SettingsDialog(view.ctx, view)
    settings.form.addressCheck.setChecked(True)
    assert not settings.save()  # "Leave them off"
    dialogs.answer("Switch addresses on")
    settings.form.followUpSpin.setValue(30)
    assert settings.save()
    with db.session() as s:
        assert S.address_enabled(s) and S.follow_up_days(s) == 30
    dialog = dlg.CaseDialog(view.ctx, view, case_id=data["referred"])
    assert dialog.form.addressEdit.isEnabled()
    dialog.form.addressEdit.setPlainText("12 Acacia Avenue")
    assert dialog.save()
    settings = dlg.SettingsDialog(view.ctx, view)
    settings.form.addressCheck.setChecked(False)
    dialogs.answer("Clear them")
    assert settings.save()
    assert "Clear the 1 full address recorded?" in dialogs.last().text
    with db.session() as s:
        assert not S.address_enabled(s)
        assert s.get(SanctuaryCase, data["referred"]).address == ""


# --------------------------------------------------------------------------- stock
def test_stock_tab_reorder_warning_delivery_and_count(view, db, data):
    assert view.reorder_label.text() == "No item is at or below its reorder level."
    rows = {r.name: r for r in view.stock_model.rows()}
    assert rows["Door chain"].in_store == 5 and rows["Door chain"].status == "In stock"
    assert rows["Reinforced door"].status == "Not kept in stock"
    count = dlg.CountDialog(view.ctx, view, data["door chain"])
    assert count.form.countedSpin.value() == 5
    count.form.countedSpin.setValue(3)
    assert count.save()
    view.refresh()
    assert view.reorder_label.text() == "Reorder now (1): Door chain (3 in store)"
    assert view.tabs.tabText(view.stock_index) == "St&ock (1 to reorder)"
    delivery = dlg.DeliveryDialog(view.ctx, view, data["door chain"])
    assert delivery.form.supplierEdit.text() == "Demo Hardware"
    delivery.form.quantitySpin.setValue(10)
    delivery.form.costEdit.setText("8.20")
    assert delivery.save()
    view.refresh()
    assert {r.name: r.in_store for r in view.stock_model.rows()}["Door chain"] == 13
    assert not view.reorder_label.text().startswith("Reorder now")


def test_item_dialog_sets_reorder_level(view, db, data):
    dialog = dlg.ItemDialog(view.ctx, view)
    f = dialog.form
    f.kindCombo.setCurrentIndex(f.kindCombo.findData("window lock"))
    f.nameEdit.setText("Sash window lock")
    f.costEdit.setText("-1")
    assert not dialog.save()
    assert dialog.error_text("usual_cost") == "A cost cannot be negative."
    f.costEdit.setText("12.00")
    f.reorderSpin.setValue(8)
    f.supplierEdit.setText("Demo Hardware")
    assert dialog.save()
    with db.session() as s:
        row = next(r for r in S.stock_rows(s) if r.name == "Sash window lock")
    assert (row.reorder_level, row.supplier, row.usual_cost_pence) == (8, "Demo Hardware", 1200)
    assert row.to_reorder  # none in store yet
    edit = dlg.ItemDialog(view.ctx, view, item_id=row.item_id)
    assert edit.form.reorderSpin.value() == 8 and edit.form.nameEdit.text() == "Sash window lock"


# --------------------------------------------------------------------------- contractors
def test_contractors_tab_and_dialog(view, db):
    assert [r.name for r in view.contractor_model.rows()] == ["Demo Locks Ltd"]
    dialog = dlg.ContractorDialog(view.ctx, view)
    f = dialog.form
    f.nameEdit.setText("Example Joinery")
    f.emailEdit.setText("not an address")
    assert not dialog.save()
    assert "is not an e-mail address" in dialog.error_text("email")
    f.emailEdit.setText("jobs@joinery.example")
    f.activeCheck.setChecked(False)
    assert dialog.save()
    view.refresh()
    assert [r.name for r in view.contractor_table.proxy.visible_rows()] == ["Demo Locks Ltd"]
    view.inactive_check.setChecked(True)
    assert len(view.contractor_table.proxy.visible_rows()) == 2


# --------------------------------------------------------------------------- flows
def test_new_and_open_case_from_the_view(view, db, data, monkeypatch):
    opened = []

    def fake_exec(self):
        opened.append(self.case_id)
        if self.case_id is None:
            self.form.referenceEdit.setText("SDC-SS-2026-020")
            self.form.agencyCombo.setCurrentIndex(1)
            assert self.save()
        return 1

    monkeypatch.setattr(dlg.CaseDialog, "exec", fake_exec)
    assert view.new_case()
    assert "SDC-SS-2026-020" in refs(view)
    assert view.selected().reference == "SDC-SS-2026-020"
    view.table.row_activated.emit(view.selected())
    assert opened[-1] == view.selected().case_id


def test_delete_case_only_without_measures(view, db, data, dialogs):
    view.open_with(case_id=data["referred"])
    assert view.delete_button.isEnabled()
    dialogs.answer("Delete it")
    assert view.delete_case()
    assert "SDC-SS-2026-001" not in refs(view)
    with db.session() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(SanctuaryCase)
                .where(SanctuaryCase.deleted_at.is_(None))
            )
            == 2
        )


def test_export_cases_leaves_out_what_was_not_asked_for(view, dialogs, tmp_path):
    out = tmp_path / "cases.xlsx"
    dialogs.save_files.append(out)
    assert view.export_cases() == out  # no answers queued: references and locations left out
    wb = load_workbook(out, read_only=True)
    values = {str(c) for row in wb["Cases"].iter_rows(values_only=True) for c in row}
    wb.close()
    assert not {"SDC-SS-2026-001", "TN13", "BR8"} & values
    assert "3 case(s) written" in dialogs.last().text


def test_dashboard_tile_opens_the_view(window, data):
    from dvcoord.services.dashboard import collect

    with window.context.db.session() as s:
        tiles = [t for t in collect(s, TODAY) if t.area == "Sanctuary Scheme"]
    assert {t.view for t in tiles} == {"sanctuary"}
    assert isinstance(window.show_view(tiles[0].view), SanctuaryView)


def test_current_record_names_the_selected_case_for_history(view, data):
    view.refresh()
    view.tabs.setCurrentIndex(0)
    assert view.table.select_key(data["ready"])
    assert view.current_record() == ("sanctuary_case", data["ready"])
    view.tabs.setCurrentIndex(view.stock_index)
    assert view.current_record() is None
