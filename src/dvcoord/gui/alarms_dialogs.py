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

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.gui.context import AppContext
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import (
    DataTable,
    confirm,
    from_qdate,
    show_error,
    stretch_column,
    to_qdate,
)
from dvcoord.gui.workers import WorkAborted, import_with_backup, run_in_worker
from dvcoord.services import alarms as svc
from dvcoord.services.common import FieldWarning
from dvcoord.services.dates import add_months, format_date
from dvcoord.store.schema.plans import Agency

log = logging.getLogger(__name__)

NOT_IMPORTED = "(not imported)"


def _set_error(label: QLabel | None, widget: QWidget | None, message: str) -> None:
    if label is not None:
        label.setText(message)
        label.setVisible(bool(message))
    if widget is not None:
        widget.setProperty("invalid", bool(message))
        widget.setAccessibleDescription(message or widget.toolTip() or "")
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def agencies(ctx: AppContext) -> list[tuple[str, str]]:
    """``(id, name)`` of the live, active agencies, by name."""
    with ctx.db.session() as s:
        rows = s.execute(
            select(Agency.id, Agency.name)
            .where(Agency.deleted_at.is_(None), Agency.active.is_(True))
            .order_by(Agency.name)
        ).all()
    return [(i, n) for i, n in rows]


def _fill_combo(combo: QComboBox, items: list[tuple[Any, str]], current: Any = None) -> None:
    combo.clear()
    for value, label in items:
        combo.addItem(label, value)
    if current is not None:
        pos = combo.findData(current)
        if pos >= 0:
            combo.setCurrentIndex(pos)


def _date(edit: QDateEdit, value: date | None = None) -> None:
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setCalendarPopup(True)
    edit.setDate(to_qdate(value or date.today()))


def _optional(check: QCheckBox, edit: QDateEdit, value: date | None) -> None:
    _date(edit, value)
    check.setChecked(value is not None)
    edit.setEnabled(value is not None)
    check.toggled.connect(edit.setEnabled)


def _optional_value(check: QCheckBox, edit: QDateEdit) -> date | None:
    return from_qdate(edit.date()) if check.isChecked() else None


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
class FormDialog(QDialog):
    """A dialog on a Designer form whose OK button saves through a service call.

    Subclasses set ``FORM`` and ``FIELDS`` (service field name -> widget name; the error
    label is found by the widget's base name + "Error") and implement :meth:`apply`.
    """

    FORM = ""
    FIELDS: dict[str, str] = {}
    TITLE = ""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"{self.FORM}Dialog")
        self.form = load_ui(self.FORM, self)
        self.form.layout().setContentsMargins(14, 12, 14, 10)
        self.setMinimumWidth(520)
        if self.TITLE:
            self.setWindowTitle(self.TITLE)
        for label in self.form.findChildren(QLabel):
            if label.objectName().endswith("Error"):
                label.setProperty("role", "error")
                _set_error(label, None, "")
            elif label.objectName().endswith("Help"):
                label.setProperty("role", "help")
        self.result_value: Any = None
        self.form.buttonBox.accepted.connect(self.save)
        self.form.buttonBox.rejected.connect(self.reject)

    # ------------------------------------------------------------------ errors
    def _widgets_for(self, field: str | None) -> tuple[QLabel | None, QWidget | None]:
        name = self.FIELDS.get(field or "")
        if not name:
            return None, None
        widget = getattr(self.form, name, None)
        base = name
        for suffix in ("Edit", "Combo", "Date", "Spin", "Check"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        return getattr(self.form, f"{base}Error", None), widget

    def clear_errors(self) -> None:
        for field in self.FIELDS:
            _set_error(*self._widgets_for(field), "")

    def show_problem(self, exc: ValidationError) -> None:
        label, widget = self._widgets_for(exc.field)
        if label is None:
            show_error(self, exc, title=self.windowTitle())
            return
        _set_error(label, widget, str(exc))
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def error_text(self, field: str) -> str:
        label, _ = self._widgets_for(field)
        return label.text() if label is not None and label.isVisibleTo(self) else ""

    # ------------------------------------------------------------------ saving
    def before_save(self) -> bool:
        """Checks that need the user (a confirmation); False keeps the dialog open."""
        return True

    def apply(self, session) -> Any:  # noqa: ANN001
        """Write the form through the services; every FormDialog subclass defines it."""
        raise TypeError(f"{type(self).__name__} does not say how to save its form (apply)")

    def save(self) -> bool:
        self.clear_errors()
        if not self.before_save():
            return False
        try:
            with self.ctx.db.transaction() as s:
                self.result_value = self.apply(s)
        except ValidationError as exc:
            self.show_problem(exc)
            return False
        except DvcoordError as exc:
            show_error(self, exc, title=self.windowTitle())
            return False
        self.ctx.notify_changed("alarms", self.parent())
        self.accept()
        return True


# --------------------------------------------------------------------------- issue
class IssueDialog(FormDialog):
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
        _fill_combo(f.alarmCombo, free, alarm_id)
        _fill_combo(f.agencyCombo, [(None, "Choose the agency…"), *agencies(ctx)])
        today = date.today()
        _date(f.issuedDate, today)
        _date(f.reviewDate, svc.default_review_date(today))
        _optional(f.installedDateCheck, f.installedDate, None)
        _optional(f.markerDateCheck, f.markerDate, None)
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
        return svc.case_reference_warnings(self.form.caseRefEdit.text())

    def _check_reference(self, _text: str = "") -> None:
        found = self.warnings()
        label = self.form.caseRefHelp
        if found:
            label.setText("Check: " + " ".join(dict.fromkeys(w.message for w in found)))
            label.setProperty("role", "error")
        else:
            label.setText(
                "The agency's own reference only: never a person's name, address or phone number."
            )
            label.setProperty("role", "help")
        label.style().unpolish(label)
        label.style().polish(label)

    def before_save(self) -> bool:
        found = self.warnings()
        if not found or self.confirmed_warnings:
            return True
        ok = confirm(
            self,
            "The case reference may hold personal data.",
            title="Check the case reference",
            informative=" ".join(dict.fromkeys(w.message for w in found)) + " Save it as it is?",
            yes="Save as it is",
            no="Change it",
            danger=True,
        )
        if not ok:
            self.form.caseRefEdit.setFocus()
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
            installed_date=_optional_value(f.installedDateCheck, f.installedDate),
            police_marker=f.markerDateCheck.isChecked(),
            police_marker_date=_optional_value(f.markerDateCheck, f.markerDate),
            notes=f.notesEdit.toPlainText(),
        )


# --------------------------------------------------------------------------- return
class ReturnDialog(FormDialog):
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
        _date(f.returnedDate)
        conditions = [c for c in svc.RETURN_CONDITIONS if c != "not returned"]
        _fill_combo(f.conditionCombo, [(c, c.capitalize()) for c in conditions])
        _fill_combo(f.reasonCombo, [(r, r.capitalize()) for r in svc.END_REASONS])
        with ctx.db.session() as s:
            alarm = svc.get_alarm(s, alarm_id)
            f.locationEdit.setText(alarm.storage_location)
            loan = svc.open_loan(s, alarm_id)
            if loan is not None and loan.end_reason in svc.END_REASONS:
                _fill_combo(
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
class ReviewDialog(FormDialog):
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
        _date(f.reviewDate, add_months(max(current, date.today()), 3))
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
class StatusDialog(FormDialog):
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
        _fill_combo(f.actionCombo, svc.status_actions(status), action)
        _date(f.dateEdit)
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
class LogDialog(FormDialog):
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
        _fill_combo(f.kindCombo, [(k, k[0].upper() + k[1:]) for k in kinds])
        _fill_combo(f.resultCombo, [("pass", "Passed"), ("fail", "Failed")])
        _date(f.dateEdit)
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
class TypeDialog(FormDialog):
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
class AlarmDialog(FormDialog):
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
        _fill_combo(f.ownerCombo, [(None, "(none)"), *agencies(ctx)], current.get("owner"))
        _optional(f.purchaseDateCheck, f.purchaseDate, current.get("bought"))
        _optional(f.warrantyDateCheck, f.warrantyDate, current.get("warranty"))
        f.newTypeButton.clicked.connect(self.add_type)
        f.assetTagEdit.setFocus()

    def _load_types(self, current: str | None = None) -> None:
        with self.ctx.db.session() as s:
            types = [(t.id, t.name) for t in svc.alarm_types(s)]
        _fill_combo(self.form.typeCombo, types, current)

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
            purchase_date=_optional_value(f.purchaseDateCheck, f.purchaseDate),
            warranty_end=_optional_value(f.warrantyDateCheck, f.warrantyDate),
            owner_agency_id=f.ownerCombo.currentData(),
            storage_location=f.locationEdit.text(),
            notes=f.notesEdit.toPlainText(),
        )
        if self.alarm_id:
            return svc.update_alarm(session, self.alarm_id, **values).id
        return svc.create_alarm(session, **values).id


# --------------------------------------------------------------------------- settings
class StockSettingsDialog(FormDialog):
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
class ImportDialog(QDialog):
    """Preview a stock spreadsheet: choose what each column holds, see every row's fate
    (add / already there / error), then import in one transaction after a backup."""

    def __init__(self, ctx: AppContext, sheet, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        from dvcoord.importers import alarms as importer

        self.ctx = ctx
        self.importer = importer
        self.sheet = sheet
        self.plan = None
        self.summary = None
        self.setObjectName("alarmImportDialog")
        self.form = f = load_ui("alarm_import", self)
        f.layout().setContentsMargins(14, 12, 14, 10)
        self.resize(960, 680)
        f.fileLabel.setText(f"File: {sheet.path.name} ({sheet.table.name})")
        self.mapping = QTableWidget(0, 2, f.mappingHost)
        self.mapping.setObjectName("mappingTable")
        self.mapping.setAccessibleName("Columns of the file and what they hold")
        self.mapping.setHorizontalHeaderLabels(["Column in the file", "Holds"])
        self.mapping.verticalHeader().setVisible(False)
        self.mapping.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.mapping.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(f.mappingHost)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.mapping)
        self.combos: list[QComboBox] = []
        choices = [(None, NOT_IMPORTED)] + [(k, v[0]) for k, v in importer.FIELDS.items()]
        headers = sheet.mapping.headers
        for col, header in enumerate(headers):
            if not header:
                continue
            row = self.mapping.rowCount()
            self.mapping.insertRow(row)
            item = QTableWidgetItem(header)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.mapping.setItem(row, 0, item)
            combo = QComboBox(self.mapping)
            combo.setAccessibleName(f"What the column {header} holds")
            _fill_combo(combo, choices, sheet.mapping.field_of(col))
            combo.setProperty("column", col)
            combo.currentIndexChanged.connect(lambda _i, c=combo: self._assign(c))
            self.mapping.setCellWidget(row, 1, combo)
            self.combos.append(combo)
        self.model = RowTableModel(
            [
                Column("Where", lambda r: r.where, width=18),
                Column("Asset tag", lambda r: r.asset_tag, width=12),
                Column(
                    "Will be",
                    lambda r: {"add": "Added", "skip": "Left as it is", "error": "Not imported"}[
                        r.action
                    ],
                    width=12,
                ),
                Column("Problems and notes", lambda r: " ".join(r.errors + r.warnings), width=60),
            ]
        )
        self.preview = DataTable(self.model, f.previewHost, accessible_name="Rows of the file")
        layout = QVBoxLayout(f.previewHost)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview)
        ok = f.buttonBox.button(f.buttonBox.StandardButton.Ok)
        ok.setText("Import")
        f.buttonBox.accepted.connect(self.run_import)
        f.buttonBox.rejected.connect(self.reject)
        f.skipErrorsCheck.toggled.connect(lambda _on: self._update_summary())
        self.replan()

    def _assign(self, combo: QComboBox) -> None:
        field = combo.currentData()
        column = combo.property("column")
        current = self.sheet.mapping.field_of(column)
        if current is not None:
            self.sheet.mapping.assign(current, None)
        if field is not None:
            self.sheet.mapping.assign(field, column)
        # a field lives in one column: show the column it left as not imported
        for other in self.combos:
            if other is not combo and other.currentData() == field and field is not None:
                other.blockSignals(True)
                other.setCurrentIndex(0)
                other.blockSignals(False)
        self.replan()

    def replan(self) -> None:
        try:
            with self.ctx.db.session() as s:
                self.plan = self.importer.plan_import(s, self.sheet)
        except ValidationError as exc:
            self.plan = None
            self.model.set_rows([])
            self.form.summaryLabel.setText(str(exc))
            self._update_summary()
            return
        self.model.set_rows(self.plan.rows)
        self._update_summary()

    def _update_summary(self) -> None:
        ok = self.form.buttonBox.button(self.form.buttonBox.StandardButton.Ok)
        plan = self.plan
        if plan is None:
            ok.setEnabled(False)
            return
        text = (
            f"{len(plan.to_add)} alarm(s) to add ({plan.loans} on loan), "
            f"{len(plan.skipped)} already in the database, {len(plan.errors)} with errors."
        )
        if plan.new_types:
            text += " New alarm types: " + ", ".join(plan.new_types) + "."
        if plan.new_agencies:
            text += " New agencies: " + ", ".join(plan.new_agencies) + "."
        self.form.summaryLabel.setText(text)
        self.form.skipErrorsCheck.setVisible(bool(plan.errors))
        ok.setEnabled(
            bool(plan.to_add) and (not plan.errors or self.form.skipErrorsCheck.isChecked())
        )

    def run_import(self) -> bool:
        plan = self.plan
        if plan is None or not plan.to_add:
            return False
        skip = self.form.skipErrorsCheck.isChecked()
        if plan.errors and not skip:
            show_error(
                self,
                DvcoordError(
                    f"{len(plan.errors)} row(s) have errors; correct them in the file, or tick "
                    "'Import the rows without errors'."
                ),
                title="Import alarm stock",
            )
            return False
        importer = self.importer
        try:
            self.summary = import_with_backup(
                self,
                self.ctx.db,
                "Importing alarm stock",
                f"Importing {len(plan.to_add)} alarm(s)",
                lambda s: importer.apply_import(s, plan, skip_errors=skip),
            )
        except WorkAborted:
            return False
        self.ctx.notify_changed("", self.parent())
        self.ctx.show_message(
            f"Imported {self.summary.added} alarm(s) and {self.summary.loans} open loan(s)."
        )
        self.accept()
        return True


def read_sheet_in_worker(parent: QWidget, path: Path):  # noqa: ANN201
    """Read a stock spreadsheet off the UI thread (raises WorkAborted on failure)."""
    from dvcoord.importers import alarms as importer

    return run_in_worker(
        parent,
        "Reading the spreadsheet",
        lambda _p, _c: importer.read_inventory(path),
        cancellable=False,
    )
