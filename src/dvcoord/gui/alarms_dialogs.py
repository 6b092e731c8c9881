"""The panic-alarm dialogs: issue, return, extend review, status changes, device log,
alarm and type editors, history, stock settings and the spreadsheet import preview.

Every form comes from ``ui/alarm_*.ui`` through :func:`~dvcoord.gui.uiload.load_ui`.
Each editing dialog checks and saves through :mod:`dvcoord.services.alarms` in one
transaction; a :class:`~dvcoord.errors.ValidationError` is shown beside its field and
the dialog stays open with everything typed, so nothing is lost.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QDialog,
    QVBoxLayout,
    QWidget,
)

from dvcoord.errors import ValidationError
from dvcoord.gui.context import AppContext
from dvcoord.gui.forms import (
    REFERENCE_HELP,
    FormDialog,
    agencies,
    fill_combo,
    optional_date,
    optional_value,
    set_date,
    set_note,
)
from dvcoord.gui.import_preview import ImportPreviewDialog, MappingGroup, read_in_worker
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import (
    DataTable,
    from_qdate,
    stretch_column,
    to_qdate,
)
from dvcoord.services import alarms as svc
from dvcoord.services.common import FieldWarning, case_reference_warnings
from dvcoord.services.dates import add_months, format_date

log = logging.getLogger(__name__)


def alarm_summary(alarm_id: str, ctx: AppContext) -> str:
    """ "WK-PA-012 (Personal pendant alarm), issued to IDVA on 01/10/2026, review 01/01/2027"."""
    with ctx.db.session() as s:
        alarm = svc.get_alarm(s, alarm_id)
        text = f"{alarm.asset_tag} ({alarm.alarm_type.name}), {alarm.status}"
        loan = svc.open_loan(s, alarm.id)
        if loan is not None:
            agency = loan.agency.name if loan.agency is not None else "no agency recorded"
            text += (
                f": issued to {agency} on {format_date(loan.issued_date)}, "
                f"review {format_date(loan.review_date)}"
            )
    return text + "."


# --------------------------------------------------------------------------- base
class AlarmForm(FormDialog):
    """A form dialog of the alarms area (changes are announced as "alarms")."""

    AREA = "alarms"


# --------------------------------------------------------------------------- issue
class IssueDialog(AlarmForm):
    """Lend an available alarm: alarm, case reference, agency, officer, dates."""

    FORM = "alarm_issue"
    TITLE = "Issue an alarm"
    FIELDS = {
        "alarm": "alarmCombo",
        "case_reference": "caseRefEdit",
        "agency": "agencyCombo",
        "officer": "officerEdit",
        "issued_date": "issuedDate",
        "review_date": "reviewDate",
        "installed_date": "installedDate",
        "police_marker_date": "markerDate",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, alarm_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        f = self.form
        with ctx.db.session() as s:
            free = svc.free_alarms(s)
        fill_combo(f.alarmCombo, free, alarm_id)
        fill_combo(f.agencyCombo, [(None, "Choose the agency…"), *agencies(ctx)])
        today = date.today()
        set_date(f.issuedDate, today)
        set_date(f.reviewDate, svc.default_review_date(today))
        optional_date(f.installedDateCheck, f.installedDate, None)
        optional_date(f.markerDateCheck, f.markerDate, None)
        self._review_touched = False
        f.reviewDate.dateChanged.connect(self._review_edited)
        f.issuedDate.dateChanged.connect(self._issued_changed)
        self.warning_label = f.caseRefHelp
        f.caseRefEdit.textChanged.connect(self._check_reference)
        f.caseRefEdit.setFocus() if alarm_id else f.alarmCombo.setFocus()
        self.confirmed_warnings = False

    def _review_edited(self, _d: QDate) -> None:
        if not getattr(self, "_setting_review", False):
            self._review_touched = True

    def _issued_changed(self, qd: QDate) -> None:
        if self._review_touched:
            return
        issued = from_qdate(qd)
        if issued is not None:
            self._setting_review = True
            self.form.reviewDate.setDate(to_qdate(svc.default_review_date(issued)))
            self._setting_review = False

    def warnings(self) -> list[FieldWarning]:
        return case_reference_warnings(self.form.caseRefEdit.text())

    def _check_reference(self, _text: str = "") -> None:
        set_note(self.form.caseRefHelp, [w.message for w in self.warnings()], REFERENCE_HELP)

    def before_save(self) -> bool:
        if self.confirmed_warnings:
            return True
        found = [w.message for w in self.warnings()]
        ok = self.confirm_warnings(found, "case reference", self.form.caseRefEdit)
        if not ok:
            self.form.caseRefEdit.selectAll()
        return ok

    def apply(self, session) -> svc.IssueResult:  # noqa: ANN001
        f = self.form
        alarm_id = f.alarmCombo.currentData()
        if not alarm_id:
            raise ValidationError("There is no available alarm to issue.", field="alarm")
        return svc.issue_alarm(
            session,
            alarm_id=alarm_id,
            case_reference=f.caseRefEdit.text(),
            agency_id=f.agencyCombo.currentData(),
            officer=f.officerEdit.text(),
            marac=f.maracCheck.isChecked(),
            issued_date=from_qdate(f.issuedDate.date()),
            review_date=from_qdate(f.reviewDate.date()),
            installed_date=optional_value(f.installedDateCheck, f.installedDate),
            police_marker=f.markerDateCheck.isChecked(),
            police_marker_date=optional_value(f.markerDateCheck, f.markerDate),
            notes=f.notesEdit.toPlainText(),
        )


# --------------------------------------------------------------------------- return
class ReturnDialog(AlarmForm):
    FORM = "alarm_return"
    TITLE = "Return an alarm"
    FIELDS = {
        "returned_date": "returnedDate",
        "condition": "conditionCombo",
        "end_reason": "reasonCombo",
        "storage_location": "locationEdit",
        "alarm": "summaryLabel",
    }

    def __init__(self, ctx: AppContext, alarm_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.alarm_id = alarm_id
        f = self.form
        f.summaryLabel.setText(alarm_summary(alarm_id, ctx))
        set_date(f.returnedDate)
        conditions = [c for c in svc.RETURN_CONDITIONS if c != "not returned"]
        fill_combo(f.conditionCombo, [(c, c.capitalize()) for c in conditions])
        fill_combo(f.reasonCombo, [(r, r.capitalize()) for r in svc.END_REASONS])
        with ctx.db.session() as s:
            alarm = svc.get_alarm(s, alarm_id)
            f.locationEdit.setText(alarm.storage_location)
            loan = svc.open_loan(s, alarm_id)
            if loan is not None and loan.end_reason in svc.END_REASONS:
                fill_combo(
                    f.reasonCombo, [(r, r.capitalize()) for r in svc.END_REASONS], loan.end_reason
                )
        f.byEdit.setText(ctx.db.user)
        f.returnedDate.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        return svc.return_alarm(
            session,
            alarm_id=self.alarm_id,
            returned_date=from_qdate(f.returnedDate.date()),
            condition=f.conditionCombo.currentData(),
            reason=f.reasonCombo.currentData(),
            by_whom=f.byEdit.text(),
            notes=f.notesEdit.toPlainText(),
            storage_location=f.locationEdit.text(),
        )


# --------------------------------------------------------------------------- review
class ReviewDialog(AlarmForm):
    FORM = "alarm_review"
    TITLE = "Extend the review"
    FIELDS = {"review_date": "reviewDate"}

    def __init__(self, ctx: AppContext, alarm_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.alarm_id = alarm_id
        f = self.form
        f.summaryLabel.setText(alarm_summary(alarm_id, ctx))
        with ctx.db.session() as s:
            loan = svc.open_loan(s, alarm_id)
            current = loan.review_date if loan is not None else date.today()
        set_date(f.reviewDate, add_months(max(current, date.today()), 3))
        f.byEdit.setText(ctx.db.user)
        f.reviewDate.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        return svc.extend_review(
            session,
            alarm_id=self.alarm_id,
            new_review_date=from_qdate(f.reviewDate.date()),
            by_whom=f.byEdit.text(),
            reason=f.reasonEdit.text(),
        )


# --------------------------------------------------------------------------- status
class StatusDialog(AlarmForm):
    """Mark lost or faulty, send for repair, back in service, found, retire."""

    FORM = "alarm_status"
    TITLE = "Change an alarm's status"
    FIELDS = {
        "action": "actionCombo",
        "status": "actionCombo",
        "date": "dateEdit",
        "cost": "costEdit",
    }

    def __init__(
        self,
        ctx: AppContext,
        alarm_id: str,
        parent: QWidget | None = None,
        action: str | None = None,
    ) -> None:
        super().__init__(ctx, parent)
        self.alarm_id = alarm_id
        f = self.form
        f.summaryLabel.setText(alarm_summary(alarm_id, ctx))
        with ctx.db.session() as s:
            status = svc.get_alarm(s, alarm_id).status
        fill_combo(f.actionCombo, svc.status_actions(status), action)
        set_date(f.dateEdit)
        f.byEdit.setText(ctx.db.user)
        f.actionCombo.currentIndexChanged.connect(self._action_changed)
        self._action_changed()
        f.actionCombo.setFocus()

    def _action_changed(self, _i: int = 0) -> None:
        repair = self.form.actionCombo.currentData() in ("send_to_repair", "back_in_service")
        self.form.costEdit.setEnabled(repair)
        self.form.costLabel.setEnabled(repair)

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        action = f.actionCombo.currentData()
        cost = svc.parse_pounds(f.costEdit.text()) if f.costEdit.isEnabled() else None
        return svc.apply_status_action(
            session,
            action or "",
            alarm_id=self.alarm_id,
            on=from_qdate(f.dateEdit.date()),
            by_whom=f.byEdit.text(),
            details=f.detailsEdit.toPlainText(),
            cost_pence=cost,
        )


# --------------------------------------------------------------------------- log
class LogDialog(AlarmForm):
    """Record a test, battery change, SIM change or repair note."""

    FORM = "alarm_log"
    TITLE = "Record a test or a change"
    FIELDS = {
        "kind": "kindCombo",
        "entry_date": "dateEdit",
        "result": "resultCombo",
        "sim_number": "simEdit",
        "cost": "costEdit",
        "alarm": "kindCombo",
    }

    def __init__(self, ctx: AppContext, alarm_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.alarm_id = alarm_id
        f = self.form
        f.summaryLabel.setText(alarm_summary(alarm_id, ctx))
        with ctx.db.session() as s:
            has_sim = svc.get_alarm(s, alarm_id).alarm_type.has_sim
        kinds = ["test", "battery change", "repair"] + (["SIM change"] if has_sim else [])
        fill_combo(f.kindCombo, [(k, k[0].upper() + k[1:]) for k in kinds])
        fill_combo(f.resultCombo, [("pass", "Passed"), ("fail", "Failed")])
        set_date(f.dateEdit)
        f.byEdit.setText(ctx.db.user)
        f.kindCombo.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        f.kindCombo.setFocus()

    def _kind_changed(self, _i: int = 0) -> None:
        f = self.form
        kind = f.kindCombo.currentData()
        for widget, on in (
            (f.resultCombo, kind == "test"),
            (f.resultLabel, kind == "test"),
            (f.simEdit, kind == "SIM change"),
            (f.simLabel, kind == "SIM change"),
            (f.costEdit, kind == "repair"),
            (f.costLabel, kind == "repair"),
        ):
            widget.setEnabled(on)

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        kind = f.kindCombo.currentData()
        return svc.add_log_entry(
            session,
            alarm_id=self.alarm_id,
            kind=kind,
            entry_date=from_qdate(f.dateEdit.date()),
            result=f.resultCombo.currentData() if kind == "test" else "",
            by_whom=f.byEdit.text(),
            details=f.detailsEdit.toPlainText(),
            cost_pence=svc.parse_pounds(f.costEdit.text()) if kind == "repair" else None,
            new_sim_number=f.simEdit.text() if kind == "SIM change" else "",
        )


# --------------------------------------------------------------------------- types
class TypeDialog(AlarmForm):
    FORM = "alarm_type"
    TITLE = "Alarm type"
    FIELDS = {
        "name": "nameEdit",
        "test_interval_days": "intervalSpin",
        "battery_life_months": "batterySpin",
        "has_sim": "simCheck",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, type_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.type_id = type_id
        f = self.form
        if type_id:
            with ctx.db.session() as s:
                t = svc.get_alarm_type(s, type_id)
                f.nameEdit.setText(t.name)
                f.supplierEdit.setText(t.supplier)
                f.centreEdit.setText(t.monitoring_centre)
                f.intervalSpin.setValue(t.test_interval_days)
                f.batterySpin.setValue(t.battery_life_months or 0)
                f.simCheck.setChecked(t.has_sim)
                f.notesEdit.setPlainText(t.notes)
        f.nameEdit.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            name=f.nameEdit.text(),
            supplier=f.supplierEdit.text(),
            monitoring_centre=f.centreEdit.text(),
            test_interval_days=f.intervalSpin.value(),
            battery_life_months=f.batterySpin.value() or None,
            has_sim=f.simCheck.isChecked(),
            notes=f.notesEdit.toPlainText(),
        )
        if self.type_id:
            return svc.update_alarm_type(session, self.type_id, **values).id
        return svc.create_alarm_type(session, **values).id


# --------------------------------------------------------------------------- alarm
class AlarmDialog(AlarmForm):
    """Add an alarm to the stock, or change one's details."""

    FORM = "alarm_edit"
    FIELDS = {
        "asset_tag": "assetTagEdit",
        "serial_number": "serialEdit",
        "type": "typeCombo",
        "sim_number": "simEdit",
        "purchase_date": "purchaseDate",
        "warranty_end": "warrantyDate",
        "owner_agency": "ownerCombo",
        "storage_location": "locationEdit",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, alarm_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.alarm_id = alarm_id
        self.setWindowTitle("Change an alarm" if alarm_id else "Add an alarm")
        f = self.form
        current: dict[str, Any] = {}
        if alarm_id:
            with ctx.db.session() as s:
                a = svc.get_alarm(s, alarm_id)
                current = dict(
                    tag=a.asset_tag,
                    serial=a.serial_number,
                    type=a.type_id,
                    sim=a.sim_number,
                    bought=a.purchase_date,
                    warranty=a.warranty_end,
                    owner=a.owner_agency_id,
                    location=a.storage_location,
                    notes=a.notes,
                )
        f.assetTagEdit.setText(current.get("tag", ""))
        f.serialEdit.setText(current.get("serial", ""))
        f.simEdit.setText(current.get("sim", ""))
        f.locationEdit.setText(current.get("location", ""))
        f.notesEdit.setPlainText(current.get("notes", ""))
        self._load_types(current.get("type"))
        fill_combo(f.ownerCombo, [(None, "(none)"), *agencies(ctx)], current.get("owner"))
        optional_date(f.purchaseDateCheck, f.purchaseDate, current.get("bought"))
        optional_date(f.warrantyDateCheck, f.warrantyDate, current.get("warranty"))
        f.newTypeButton.clicked.connect(self.add_type)
        f.assetTagEdit.setFocus()

    def _load_types(self, current: str | None = None) -> None:
        with self.ctx.db.session() as s:
            types = [(t.id, t.name) for t in svc.alarm_types(s)]
        fill_combo(self.form.typeCombo, types, current)

    def add_type(self) -> str | None:
        dialog = TypeDialog(self.ctx, self)
        try:
            if dialog.exec():
                self._load_types(dialog.result_value)
                return dialog.result_value
        finally:
            dialog.deleteLater()
        return None

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            asset_tag=f.assetTagEdit.text(),
            serial_number=f.serialEdit.text(),
            type_id=f.typeCombo.currentData() or "",
            sim_number=f.simEdit.text(),
            purchase_date=optional_value(f.purchaseDateCheck, f.purchaseDate),
            warranty_end=optional_value(f.warrantyDateCheck, f.warrantyDate),
            owner_agency_id=f.ownerCombo.currentData(),
            storage_location=f.locationEdit.text(),
            notes=f.notesEdit.toPlainText(),
        )
        if self.alarm_id:
            return svc.update_alarm(session, self.alarm_id, **values).id
        return svc.create_alarm(session, **values).id


# --------------------------------------------------------------------------- settings
class StockSettingsDialog(AlarmForm):
    FORM = "alarm_settings"
    TITLE = "Panic alarm settings"
    FIELDS = {"low_stock_threshold": "thresholdSpin"}

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        with ctx.db.session() as s:
            self.form.thresholdSpin.setValue(svc.low_stock_threshold(s))
        self.form.thresholdSpin.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        return svc.set_low_stock_threshold(session, self.form.thresholdSpin.value())


# --------------------------------------------------------------------------- history
class HistoryDialog(QDialog):
    """Everything that happened to one device, oldest first."""

    def __init__(self, ctx: AppContext, alarm_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("alarmHistoryDialog")
        self.form = f = load_ui("alarm_history", self)
        f.layout().setContentsMargins(14, 12, 14, 10)
        self.resize(900, 560)
        with ctx.db.session() as s:
            self.history = svc.device_history(s, alarm_id)
            alarm = self.history.alarm
            type_name = alarm.alarm_type.name
            owner = alarm.owner_agency.name if alarm.owner_agency is not None else "none"
        self.setWindowTitle(f"History of alarm {alarm.asset_tag}")
        f.titleLabel.setText(f"{alarm.asset_tag} \u2013 {type_name} ({alarm.status})")
        facts = [
            f"Serial number {alarm.serial_number or 'not recorded'}",
            f"owner agency {owner}",
            f"stored at {alarm.storage_location or 'not recorded'}",
        ]
        if alarm.sim_number:
            facts.append(f"SIM {alarm.sim_number}")
        if self.history.next_test_due:
            facts.append(f"next test due {format_date(self.history.next_test_due)}")
        if self.history.battery_due:
            facts.append(f"battery due {format_date(self.history.battery_due)}")
        if alarm.warranty_end:
            facts.append(f"warranty ends {format_date(alarm.warranty_end)}")
        f.factsLabel.setText("; ".join(facts) + f". {len(self.history.loans)} loan(s) in all.")
        self.model = RowTableModel(
            [
                Column("Date", lambda e: e.on, width=11),
                Column("What", lambda e: e.kind.capitalize(), width=14),
                Column("Details", lambda e: e.text, width=50),
                Column("Case reference", lambda e: e.case_reference, width=18),
                Column("By", lambda e: e.by_whom, width=16),
            ]
        )
        self.model.set_rows(self.history.events)
        self.table = DataTable(self.model, f.tableHost, accessible_name="History of the alarm")
        stretch_column(self.table, 2)
        host = QVBoxLayout(f.tableHost)
        host.setContentsMargins(0, 0, 0, 0)
        host.addWidget(self.table)
        f.showRefsCheck.toggled.connect(self._show_refs)
        self._show_refs(False)
        f.buttonBox.rejected.connect(self.reject)
        f.buttonBox.accepted.connect(self.accept)

    def _show_refs(self, on: bool) -> None:
        self.table.setColumnHidden(3, not on)


# --------------------------------------------------------------------------- import
class ImportDialog(ImportPreviewDialog):
    """Preview a stock spreadsheet: choose what each column holds, see every row's fate
    (add / already there / error), then import in one transaction after a backup."""

    OBJECT_NAME = "alarmImportDialog"
    FORM = "alarm_import"
    ACTIONS = {"add": "Added", "skip": "Left as it is", "error": "Not imported"}
    ERROR_TITLE = "Import alarm stock"
    PROGRESS_TITLE = "Importing alarm stock"

    def __init__(self, ctx: AppContext, sheet, parent: QWidget | None = None) -> None:  # noqa: ANN001
        from dvcoord.importers import alarms as importer

        super().__init__(ctx, sheet, importer, parent)

    def file_text(self) -> str:
        return f"File: {self.source.path.name} ({self.source.table.name})"

    def mapping_groups(self) -> list[MappingGroup]:
        fields = [(k, v[0]) for k, v in self.importer.FIELDS.items()]
        return [(self.source.table.name, self.source.mapping, fields)]

    def row_columns(self) -> list[Column]:
        return [Column("Asset tag", lambda r: r.asset_tag, width=12)]

    def summary_text(self, plan) -> str:  # noqa: ANN001
        text = (
            f"{len(plan.to_add)} alarm(s) to add ({plan.loans} on loan), "
            f"{len(plan.skipped)} already in the database, {len(plan.errors)} with errors."
        )
        if plan.new_types:
            text += " New alarm types: " + ", ".join(plan.new_types) + "."
        if plan.new_agencies:
            text += " New agencies: " + ", ".join(plan.new_agencies) + "."
        return text

    def writes(self, plan):  # noqa: ANN001, ANN201
        return plan.to_add

    def progress_text(self, plan) -> str:  # noqa: ANN001
        return f"Importing {len(plan.to_add)} alarm(s)"

    def done_message(self, summary) -> str:  # noqa: ANN001
        return f"Imported {summary.added} alarm(s) and {summary.loans} open loan(s)."


def read_sheet_in_worker(parent: QWidget, path: Path):  # noqa: ANN201
    """Read a stock spreadsheet off the UI thread (raises WorkAborted on failure)."""
    from dvcoord.importers import alarms as importer

    return read_in_worker(parent, lambda: importer.read_inventory(path))
