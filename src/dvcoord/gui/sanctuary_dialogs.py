"""The Sanctuary Scheme dialogs: the case editor (details, safety checks, the checklist in
ticks and words, stage changes, measures fitted, follow-up visits) and the small forms it
and the view open (stage change, measure, visit, delivery, stock count, item,
contractor, settings).

Every form comes from ``ui/sanctuary_*.ui`` through :func:`~dvcoord.gui.uiload.load_ui`.
Each save goes through :mod:`dvcoord.services.sanctuary` in one transaction; a
:class:`~dvcoord.errors.ValidationError` is shown beside its field (switching to the tab
that holds it) and the dialog stays open with everything typed, so nothing is lost.
Free text that looks like an address, and a case reference that looks like a name, are
pointed out as the officer types and confirmed before saving.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dvcoord.errors import DvcoordError
from dvcoord.gui.context import AppContext
from dvcoord.gui.forms import (
    REFERENCE_HELP,
    FormDialog,
    agencies,
    fill_combo,
    optional_date,
    optional_value,
    polish,
    set_date,
    set_note,
)
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.widgets import (
    DataTable,
    confirm,
    format_pence,
    from_qdate,
    show_error,
    stretch_column,
)
from dvcoord.services import sanctuary as svc
from dvcoord.services.common import case_reference_warnings
from dvcoord.services.dates import format_date
from dvcoord.store.schema.sanctuary import SanctuaryCase

log = logging.getLogger(__name__)

AREA = "sanctuary"
TICK, CROSS, DASH = "\u2714", "\u2718", "\u2013"
PERMISSION_CHOICES = [
    ("", "Not asked for yet"),
    ("requested", "Requested"),
    ("given", "Given"),
    ("refused", "Refused"),
]


# --------------------------------------------------------------------------- helpers
def case_summary(ctx: AppContext, case_id: str) -> str:
    """ "Case SDC-SS-2025-014 (Kent Police), approved since 06/09/2026"."""
    with ctx.db.session() as s:
        c = svc.get_case(s, case_id)
        agency = c.agency.short_name or c.agency.name if c.agency is not None else "no agency"
        since = c.stage_date(c.stage) or c.referral_date
        return (
            f"Case {c.reference} ({agency}), {svc.STAGE_LABELS[c.stage].lower()} "
            f"since {format_date(since)}."
        )


# --------------------------------------------------------------------------- base
class SanctuaryForm(FormDialog):
    """A form dialog of the Sanctuary Scheme (changes are announced as "sanctuary")."""

    AREA = AREA


# --------------------------------------------------------------------------- case
class CaseDialog(SanctuaryForm):
    """Open or add a case: details, safety checks and notes are edited and saved with
    Save; stages, measures and visits are recorded at once through their buttons (after
    any unsaved details are saved)."""

    FORM = "sanctuary_case"
    FIELDS = {
        "reference": "referenceEdit",
        "agency": "agencyCombo",
        "referring_officer": "officerEdit",
        "referral_date": "referralDate",
        "risk": "riskCombo",
        "tenure": "tenureCombo",
        "landlord": "landlordEdit",
        "permission": "permissionCombo",
        "permission_requested_on": "askedDate",
        "permission_on": "replyDate",
        "consent_on": "consentDate",
        "perpetrator_gone_on": "goneDate",
        "survey_on": "surveyDate",
        "survey_officer": "surveyOfficerEdit",
        "marker_on": "markerDate",
        "fire_check_on": "fireDate",
        "postcode_district": "districtEdit",
        "address": "addressEdit",
        "notes": "notesEdit",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, case_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.case_id = case_id
        self.changed_anything = False
        f = self.form
        self.resize(1100, 720)
        self.save_button = f.buttonBox.button(QDialogButtonBox.StandardButton.Save)
        self.close_button = f.buttonBox.button(QDialogButtonBox.StandardButton.Close)
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.close_dialog)
        with ctx.db.session() as s:
            self.addresses_on = svc.address_enabled(s)
        fill_combo(f.riskCombo, [(r, r.capitalize()) for r in svc.RISK_LEVELS], "high", quiet=True)
        fill_combo(f.tenureCombo, [(t, t.capitalize()) for t in svc.TENURES], quiet=True)
        fill_combo(f.permissionCombo, PERMISSION_CHOICES, quiet=True)
        self.checklist_labels: list[QLabel] = []
        host = QVBoxLayout(f.checklistHost)
        host.setContentsMargins(0, 0, 0, 0)
        self.checklist_layout = host
        stage_host = QVBoxLayout(f.stageButtonsHost)
        stage_host.setContentsMargins(0, 0, 0, 0)
        self.stage_layout = stage_host
        self.stage_buttons: dict[str, QPushButton] = {}
        f.stageNote.setWordWrap(True)
        f.stageLabel.setObjectName("stageLabel")
        f.titleLabel.setObjectName("sectionHeading")
        self._build_tables()
        self._load()
        for signal in (
            f.consentCheck.toggled,
            f.goneCheck.toggled,
            f.surveyCheck.toggled,
            f.markerCheck.toggled,
            f.fireCheck.toggled,
            f.askedCheck.toggled,
            f.tenureCombo.currentIndexChanged,
            f.permissionCombo.currentIndexChanged,
            f.consentDate.dateChanged,
            f.surveyDate.dateChanged,
            f.replyDate.dateChanged,
            f.landlordEdit.textChanged,
            f.surveyOfficerEdit.textChanged,
        ):
            signal.connect(self._form_changed)
        f.referenceEdit.textChanged.connect(self._check_reference)
        f.notesEdit.textChanged.connect(self._check_notes)
        f.addMeasureButton.clicked.connect(lambda _c=False: self.add_measure())
        f.editMeasureButton.clicked.connect(lambda _c=False: self.edit_measure())
        f.removeMeasureButton.clicked.connect(lambda _c=False: self.remove_measure())
        f.addVisitButton.clicked.connect(lambda _c=False: self.add_visit())
        f.removeVisitButton.clicked.connect(lambda _c=False: self.remove_visit())
        f.revertButton.clicked.connect(lambda _c=False: self.revert_stage())
        self._form_changed()
        self._check_reference()
        self._check_notes()
        self.saved_values = self.values()
        f.tabs.setCurrentIndex(0)
        f.referenceEdit.setFocus()

    # ------------------------------------------------------------------ building
    def _build_tables(self) -> None:
        f = self.form
        self.measures_model = RowTableModel(
            [
                Column("Fitted", lambda r: r.fitted_on, width=10),
                Column("Item", lambda r: r.item, width=22),
                Column("Quantity", lambda r: r.quantity, width=9),
                Column(
                    "Unit cost",
                    lambda r: r.unit_cost_pence,
                    text=lambda r: format_pence(r.unit_cost_pence),
                    width=10,
                ),
                Column(
                    "Cost",
                    lambda r: r.cost_pence,
                    text=lambda r: format_pence(r.cost_pence),
                    width=10,
                ),
                Column("Contractor", lambda r: r.contractor, width=20),
                Column("From stock", lambda r: r.from_stock, width=11),
            ],
            row_key=lambda r: r.measure_id,
        )
        self.measures_table = DataTable(
            self.measures_model, f.measuresHost, accessible_name="Measures fitted"
        )
        self.measures_table.setObjectName("measuresTable")
        stretch_column(self.measures_table, 1)
        self.measures_table.rows_selected.connect(lambda _r: self._update_buttons())
        self.measures_table.row_activated.connect(lambda row: self.edit_measure(row.measure_id))
        layout = QVBoxLayout(f.measuresHost)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.measures_table)
        self.visits_model = RowTableModel(
            [
                Column("Visited", lambda v: v.visit_on, width=10),
                Column("By", lambda v: v.by_whom, width=18),
                Column("Outcome", lambda v: v.outcome, width=40),
                Column("Further work", lambda v: v.further_work, width=10),
            ],
            row_key=lambda v: v.id,
        )
        self.visits_table = DataTable(
            self.visits_model, f.visitsHost, accessible_name="Follow-up visits"
        )
        self.visits_table.setObjectName("visitsTable")
        stretch_column(self.visits_table, 2)
        self.visits_table.rows_selected.connect(lambda _r: self._update_buttons())
        layout = QVBoxLayout(f.visitsHost)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.visits_table)

    def _load(self) -> None:
        """Fill the form from the stored case (or the defaults for a new referral)."""
        f = self.form
        c: dict[str, Any] = {}
        if self.case_id:
            with self.ctx.db.session() as s:
                row = svc.get_case(s, self.case_id)
                c = {name: getattr(row, name) for name in svc.CASE_FIELDS}
                c["stage"] = row.stage
                c["has_address"] = bool(row.address)
        f.referenceEdit.setText(c.get("reference", ""))
        fill_combo(
            f.agencyCombo,
            [(None, "Choose the agency…"), *agencies(self.ctx, c.get("agency_id"))],
            c.get("agency_id"),
            quiet=True,
        )
        f.officerEdit.setText(c.get("referring_officer", ""))
        set_date(f.referralDate, c.get("referral_date"))
        fill_combo(
            f.riskCombo,
            [(r, r.capitalize()) for r in svc.RISK_LEVELS],
            c.get("risk_level", "high"),
            quiet=True,
        )
        f.maracCheck.setChecked(bool(c.get("marac")))
        fill_combo(
            f.tenureCombo,
            [(t, t.capitalize()) for t in svc.TENURES],
            c.get("tenure", "council"),
            quiet=True,
        )
        f.landlordEdit.setText(c.get("landlord", ""))
        fill_combo(f.permissionCombo, PERMISSION_CHOICES, c.get("permission", ""), quiet=True)
        optional_date(f.askedCheck, f.askedDate, c.get("permission_requested_on"))
        set_date(f.replyDate, c.get("permission_on"))
        optional_date(f.consentCheck, f.consentDate, c.get("consent_on"))
        optional_date(f.goneCheck, f.goneDate, c.get("perpetrator_gone_on"))
        f.goneCheck.setChecked(bool(c.get("perpetrator_gone")))
        optional_date(f.surveyCheck, f.surveyDate, c.get("survey_on"))
        f.surveyOfficerEdit.setText(c.get("survey_officer", ""))
        optional_date(f.markerCheck, f.markerDate, c.get("marker_on"))
        f.markerCheck.setChecked(bool(c.get("marker_placed")))
        optional_date(f.fireCheck, f.fireDate, c.get("fire_check_on"))
        f.fireCheck.setChecked(bool(c.get("fire_check")))
        f.districtEdit.setText(c.get("postcode_district", ""))
        f.notesEdit.setPlainText(c.get("notes", ""))
        if self.addresses_on:
            f.addressEdit.setPlainText(c.get("address", ""))
            f.addressHelp.setText(
                "Recorded only because full addresses are switched on for this database. "
                "It is never printed or exported unless locations are asked for."
            )
        else:
            f.addressEdit.setPlainText("")
            f.addressEdit.setEnabled(False)
            f.addressEdit.setPlaceholderText("Full addresses are switched off")
            f.addressHelp.setText(
                "Full addresses are switched off for this database: the postcode district "
                "on the Referral tab is all that is kept."
                + (
                    " (An address received from another copy is held but not shown.)"
                    if c.get("has_address")
                    else ""
                )
            )
        f.addressHelp.setVisible(True)
        self.stage = c.get("stage", "")
        self._refresh_related()

    # ------------------------------------------------------------------ values
    def values(self) -> dict[str, Any]:
        f = self.form
        permission = f.permissionCombo.currentData() or ""
        values: dict[str, Any] = {
            "reference": f.referenceEdit.text(),
            "agency_id": f.agencyCombo.currentData(),
            "referring_officer": f.officerEdit.text(),
            "referral_date": from_qdate(f.referralDate.date()),
            "risk_level": f.riskCombo.currentData(),
            "marac": f.maracCheck.isChecked(),
            "tenure": f.tenureCombo.currentData(),
            "landlord": f.landlordEdit.text(),
            "permission": permission,
            "permission_requested_on": optional_value(f.askedCheck, f.askedDate)
            if permission
            else None,
            "permission_on": from_qdate(f.replyDate.date())
            if permission in ("given", "refused")
            else None,
            "consent": f.consentCheck.isChecked(),
            "consent_on": optional_value(f.consentCheck, f.consentDate),
            "perpetrator_gone": f.goneCheck.isChecked(),
            "perpetrator_gone_on": optional_value(f.goneCheck, f.goneDate),
            "survey_on": optional_value(f.surveyCheck, f.surveyDate),
            "survey_officer": f.surveyOfficerEdit.text(),
            "marker_placed": f.markerCheck.isChecked(),
            "marker_on": optional_value(f.markerCheck, f.markerDate),
            "fire_check": f.fireCheck.isChecked(),
            "fire_check_on": optional_value(f.fireCheck, f.fireDate),
            "postcode_district": f.districtEdit.text(),
            "notes": f.notesEdit.toPlainText(),
        }
        if self.addresses_on:
            values["address"] = f.addressEdit.toPlainText()
        return values

    @property
    def dirty(self) -> bool:
        return self.values() != self.saved_values

    # ------------------------------------------------------------------ live feedback
    def _form_changed(self, *_args: Any) -> None:
        f = self.form
        tenure = f.tenureCombo.currentData()
        needs = tenure != "owner-occupier"
        if not needs and f.permissionCombo.currentData():
            f.permissionCombo.setCurrentIndex(0)
        f.permissionCombo.setEnabled(needs)
        permission = f.permissionCombo.currentData() or ""
        f.askedCheck.setEnabled(bool(permission))
        f.askedDate.setEnabled(bool(permission) and f.askedCheck.isChecked())
        answered = permission in ("given", "refused")
        f.replyDate.setEnabled(answered)
        f.replyDateLabel.setEnabled(answered)
        self._show_checklist()

    def _transient_case(self) -> SanctuaryCase:
        v = self.values()
        return SanctuaryCase(
            tenure=v["tenure"] or "other",
            landlord=" ".join(v["landlord"].split()),
            permission=v["permission"],
            permission_requested_on=v["permission_requested_on"],
            permission_on=v["permission_on"],
            consent=v["consent"],
            consent_on=v["consent_on"],
            perpetrator_gone=v["perpetrator_gone"],
            perpetrator_gone_on=v["perpetrator_gone_on"],
            survey_on=v["survey_on"],
            survey_officer=" ".join(v["survey_officer"].split()),
            marker_placed=v["marker_placed"],
            marker_on=v["marker_on"],
            fire_check=v["fire_check"],
            fire_check_on=v["fire_check_on"],
        )

    def checklist(self) -> list[svc.CheckItem]:
        """The checklist as the form stands now (saved or not)."""
        return svc.checklist(self._transient_case())

    def _show_checklist(self) -> None:
        items = self.checklist()
        while len(self.checklist_labels) < len(items):
            label = QLabel(self.form.checklistHost)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            self.checklist_layout.addWidget(label)
            self.checklist_labels.append(label)
        for label, item in zip(self.checklist_labels, items, strict=False):
            mark = TICK if item.done else (CROSS if item.required else DASH)
            state = "Done" if item.done else ("Missing" if item.required else "Recommended")
            label.setText(f"{mark} {state}: {item.label}\n    {item.detail}")
            label.setAccessibleName(f"{item.label}: {state.lower()}. {item.detail}")
            label.setProperty("role", "error" if item.required and not item.done else "")
            polish(label)
        self._update_stage_buttons()

    def _check_reference(self, _text: str = "") -> None:
        found = [w.message for w in case_reference_warnings(self.form.referenceEdit.text())]
        set_note(self.form.referenceHelp, found, REFERENCE_HELP)

    def _check_notes(self) -> None:
        found = [w.message for w in svc.address_warnings(self.form.notesEdit.toPlainText())]
        set_note(self.form.notesHelp, found, "No names or addresses in the notes.")

    # ------------------------------------------------------------------ related rows
    def _refresh_related(self) -> None:
        f = self.form
        has_case = self.case_id is not None
        if has_case:
            with self.ctx.db.session() as s:
                row = svc.get_case(s, self.case_id)
                self.stage = row.stage
                since = row.stage_date(row.stage) or row.referral_date
                agency = row.agency.name if row.agency is not None else ""
                reference = row.reference
                outcome = row.outcome
                measures = svc.measures(s, self.case_id)
                visits = svc.follow_ups(s, self.case_id)
                interval = svc.follow_up_days(s)
            f.titleLabel.setText(f"Case {reference}" + (f" \u2013 {agency}" if agency else ""))
            self.setWindowTitle(f"Sanctuary case {reference}")
            text = f"{svc.STAGE_LABELS[self.stage]} since {format_date(since)}"
            if outcome:
                text += f" ({outcome})"
            f.stageLabel.setText(text)
            total = sum(m.cost_pence for m in measures)
            f.measuresTotal.setText(
                f"{len(measures)} measure{'s' if len(measures) != 1 else ''} fitted, "
                f"{format_pence(total)} in all."
                if measures
                else "No measures fitted yet. Measures are recorded once works are ordered."
            )
            self.measures_model.set_rows(measures)
            self.visits_model.set_rows(visits)
            f.visitsNote.setText(
                f"A follow-up visit is due {interval} days after installation (Sanctuary "
                "Scheme settings). Mark the follow-up done once a visit finds all is well."
            )
        else:
            f.titleLabel.setText("New referral")
            self.setWindowTitle("New Sanctuary Scheme referral")
            f.stageLabel.setText("Not saved yet")
            f.measuresTotal.setText("Save the referral first.")
            f.visitsNote.setText("Save the referral first.")
        f.tabs.setTabEnabled(3, has_case)
        f.tabs.setTabEnabled(4, has_case)
        self._rebuild_stage_buttons()
        self._update_buttons()

    def _rebuild_stage_buttons(self) -> None:
        """One button per stage change allowed from the stored stage."""
        for button in self.stage_buttons.values():
            self.stage_layout.removeWidget(button)
            button.hide()
            button.deleteLater()
        self.stage_buttons = {}
        moves = svc.allowed_moves(self.stage) if self.case_id else []
        for stage, verb in moves:
            button = QPushButton(verb + "…", self.form.stageButtonsHost)
            button.setObjectName("stage_" + stage.replace(" ", "_").replace("-", "_"))
            button.setAccessibleName(verb)
            button.clicked.connect(lambda _c=False, st=stage: self.move_to(st))
            self.stage_layout.addWidget(button)
            self.stage_buttons[stage] = button
        self._update_stage_buttons()

    def _update_stage_buttons(self) -> None:
        """Enable the stage buttons and say in words why "Order works" is not offered."""
        f = self.form
        writable = not self.ctx.db.readonly
        missing = svc.missing_for_works(self._transient_case())
        note = ""
        for stage, button in self.stage_buttons.items():
            enabled = writable
            if stage == "works ordered" and missing:
                enabled = False
                note = "Works cannot be ordered yet. Still missing: " + "; ".join(missing) + "."
            button.setToolTip(note if stage == "works ordered" and note else "")
            button.setEnabled(enabled)
        if not self.case_id:
            note = "Save the referral to move it through its stages."
        elif not self.stage_buttons:
            note = "The case has ended; no further stage."
        f.stageNote.setText(note)
        f.stageNote.setProperty("role", "error" if "missing" in note else "help")
        f.stageNote.setVisible(bool(note))
        polish(f.stageNote)
        f.revertButton.setEnabled(writable and bool(self.case_id) and self.stage != "referred")

    def _update_buttons(self) -> None:
        f = self.form
        writable = not self.ctx.db.readonly
        fitting = self.stage in svc.FITTING_STAGES
        f.addMeasureButton.setEnabled(writable and bool(self.case_id) and fitting)
        f.addMeasureButton.setToolTip(
            "Record hardware fitted to the home"
            if fitting
            else "Measures are recorded once the case is approved and works are ordered"
        )
        chosen = bool(self.measures_table.selected_rows())
        f.editMeasureButton.setEnabled(writable and chosen)
        f.removeMeasureButton.setEnabled(writable and chosen)
        f.addVisitButton.setEnabled(
            writable and bool(self.case_id) and self.stage in svc.VISIT_STAGES
        )
        f.removeVisitButton.setEnabled(writable and bool(self.visits_table.selected_rows()))
        self.save_button.setEnabled(writable)

    # ------------------------------------------------------------------ saving
    def before_save(self) -> bool:
        f = self.form
        found = [w.message for w in case_reference_warnings(f.referenceEdit.text())]
        if not self.confirm_warnings(found, "case reference", f.referenceEdit):
            return False
        found = [w.message for w in svc.address_warnings(f.notesEdit.toPlainText())]
        if not self.confirm_warnings(found, "notes", f.notesEdit):
            f.tabs.setCurrentWidget(f.notesPage)
            return False
        return True

    def apply(self, session) -> str:  # noqa: ANN001
        if self.case_id:
            svc.update_case(session, self.case_id, **self.values())
        else:
            self.case_id = svc.create_case(session, **self.values()).case.id
        return self.case_id

    def save(self) -> bool:
        """Save the details (the dialog stays open)."""
        if not self.write():
            return False
        self.changed_anything = True
        self.ctx.notify_changed(AREA, self.parent())
        self.saved_values = self.values()
        self._refresh_related()
        self.ctx.show_message("Case saved.")
        return True

    def _saved_first(self) -> bool:
        """Save unsaved details before a stage, measure or visit is recorded."""
        return (not self.dirty and self.case_id is not None) or self.save()

    def _after(self, done: bool) -> bool:
        if done:
            self.changed_anything = True
            self._refresh_related()
        return done

    def _run(self, dialog: QDialog) -> bool:
        try:
            return self._after(bool(dialog.exec()))
        finally:
            dialog.deleteLater()

    # ------------------------------------------------------------------ actions
    def move_to(self, stage: str) -> bool:
        if not self._saved_first():
            return False
        return self._run(StageDialog(self.ctx, self.case_id, stage, self))

    def revert_stage(self) -> bool:
        if not self.case_id or not confirm(
            self,
            f"Undo the last stage change ({svc.STAGE_LABELS[self.stage].lower()})?",
            title="Undo last stage change",
            informative="The case goes back to the stage before, and the date of this stage "
            "is cleared. Use this only to correct a mistake.",
            yes="Undo it",
            no="Keep it",
            danger=True,
        ):
            return False
        try:
            with self.ctx.db.transaction() as s:
                svc.revert_stage(s, self.case_id)
        except DvcoordError as exc:
            show_error(self, exc, title="Undo last stage change")
            return False
        self.ctx.notify_changed(AREA, self.parent())
        return self._after(True)

    def add_measure(self) -> bool:
        if not self._saved_first():
            return False
        return self._run(MeasureDialog(self.ctx, self.case_id, self))

    def edit_measure(self, measure_id: str | None = None) -> bool:
        if measure_id is None:
            rows = self.measures_table.selected_rows()
            if not rows:
                return False
            measure_id = rows[0].measure_id
        return self._run(MeasureDialog(self.ctx, self.case_id, self, measure_id=measure_id))

    def remove_measure(self) -> bool:
        rows = self.measures_table.selected_rows()
        if not rows:
            return False
        m = rows[0]
        back = " The hardware goes back into the store." if m.from_stock else ""
        if not confirm(
            self,
            f"Remove {m.quantity} × {m.item} fitted on {format_date(m.fitted_on)}?",
            title="Remove a measure",
            informative="Only for a measure recorded by mistake." + back,
            yes="Remove it",
            no="Keep it",
            danger=True,
        ):
            return False
        try:
            with self.ctx.db.transaction() as s:
                svc.delete_measure(s, m.measure_id)
        except DvcoordError as exc:
            show_error(self, exc, title="Remove a measure")
            return False
        self.ctx.notify_changed(AREA, self.parent())
        return self._after(True)

    def add_visit(self) -> bool:
        if not self._saved_first():
            return False
        return self._run(FollowUpDialog(self.ctx, self.case_id, self))

    def remove_visit(self) -> bool:
        rows = self.visits_table.selected_rows()
        if not rows:
            return False
        visit = rows[0]
        if not confirm(
            self,
            f"Remove the visit of {format_date(visit.visit_on)}?",
            title="Remove a visit",
            informative="Only for a visit recorded by mistake.",
            yes="Remove it",
            no="Keep it",
            danger=True,
        ):
            return False
        try:
            with self.ctx.db.transaction() as s:
                svc.delete_follow_up(s, visit.id)
        except DvcoordError as exc:
            show_error(self, exc, title="Remove a visit")
            return False
        self.ctx.notify_changed(AREA, self.parent())
        return self._after(True)

    # ------------------------------------------------------------------ closing
    def close_dialog(self) -> bool:
        if (
            self.dirty
            and not self.ctx.db.readonly
            and not confirm(
                self,
                "Close without saving the changes to this case?",
                title=self.windowTitle(),
                yes="Close without saving",
                no="Keep editing",
                danger=True,
            )
        ):
            return False
        self.done(QDialog.DialogCode.Accepted if self.changed_anything else 0)
        return True

    def reject(self) -> None:  # Escape
        self.close_dialog()

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802
        if self.isVisible() and self.dirty and not self.ctx.db.readonly:
            event.ignore()
            self.close_dialog()
            return
        super().closeEvent(event)


# --------------------------------------------------------------------------- stage
class StageDialog(SanctuaryForm):
    FORM = "sanctuary_stage"
    FIELDS = {
        "stage": "stageDate",
        "stage_date": "stageDate",
        "outcome": "outcomeCombo",
        "reason": "reasonEdit",
    }

    def __init__(
        self, ctx: AppContext, case_id: str, stage: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.case_id = case_id
        self.stage = stage
        f = self.form
        self.setWindowTitle(svc.MOVE_LABELS.get(stage, "Change the stage"))
        f.summaryLabel.setText(
            case_summary(ctx, case_id) + f" New stage: {svc.STAGE_LABELS.get(stage, stage)}."
        )
        set_date(f.stageDate)
        fill_combo(
            f.outcomeCombo,
            [(None, "Choose the outcome…")] + [(o, o.capitalize()) for o in svc.OUTCOMES],
            quiet=True,
        )
        closing = stage == "closed"
        ending = stage in svc.END_STAGES
        for widget in (f.outcomeCombo, f.outcomeComboLabel):
            widget.setVisible(closing)
        for widget in (f.reasonEdit, f.reasonEditLabel):
            widget.setVisible(ending)
        f.reasonHelp.setVisible(False)
        f.reasonEdit.textChanged.connect(self._check_reason)
        f.stageDate.setFocus()

    def _check_reason(self) -> None:
        found = [w.message for w in svc.address_warnings(self.form.reasonEdit.toPlainText())]
        set_note(self.form.reasonHelp, found, "")

    def before_save(self) -> bool:
        found = [w.message for w in svc.address_warnings(self.form.reasonEdit.toPlainText())]
        return self.confirm_warnings(found, "reason", self.form.reasonEdit)

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        outcome = f.outcomeCombo.currentData() if self.stage == "closed" else ""
        return svc.move_stage(
            session,
            self.case_id,
            self.stage,
            from_qdate(f.stageDate.date()),
            outcome=outcome or "",
            reason=f.reasonEdit.toPlainText() if self.stage in svc.END_STAGES else "",
        )


# --------------------------------------------------------------------------- measure
class MeasureDialog(SanctuaryForm):
    FORM = "sanctuary_measure"
    FIELDS = {
        "item": "itemCombo",
        "quantity": "quantitySpin",
        "unit_cost": "costEdit",
        "contractor": "contractorCombo",
        "fitted_on": "fittedDate",
        "notes": "notesEdit",
    }

    def __init__(
        self,
        ctx: AppContext,
        case_id: str,
        parent: QWidget | None = None,
        measure_id: str | None = None,
    ) -> None:
        super().__init__(ctx, parent)
        self.case_id = case_id
        self.measure_id = measure_id
        f = self.form
        self.setWindowTitle("Change a measure" if measure_id else "Add a measure fitted")
        f.summaryLabel.setText(case_summary(ctx, case_id))
        current: svc.MeasureRow | None = None
        with ctx.db.session() if ctx.db.readonly else ctx.db.transaction() as s:
            if not ctx.db.readonly:
                svc.ensure_catalogue(s)
            if measure_id:
                current = next(m for m in svc.measures(s, case_id) if m.measure_id == measure_id)
            items = svc.catalogue(s, include_inactive=True)
            self.items = {
                i.id: i for i in items if i.active or (current and i.id == current.item_id)
            }
            firms = [
                (c.id, c.name)
                for c in svc.contractors(s, include_inactive=True)
                if c.active or (current and c.id == current.contractor_id)
            ]
            self.balances = {r.item_id: r.in_store for r in svc.stock_rows(s)}
        fill_combo(
            f.itemCombo,
            [(i.id, i.name) for i in self.items.values()],
            current.item_id if current else None,
            quiet=True,
        )
        fill_combo(
            f.contractorCombo,
            [(None, "(not recorded)"), *firms],
            current.contractor_id if current else None,
            quiet=True,
        )
        f.quantitySpin.setValue(current.quantity if current else 1)
        set_date(f.fittedDate, current.fitted_on if current else None)
        f.stockCheck.setChecked(bool(current and current.from_stock))
        f.notesEdit.setPlainText(current.notes if current else "")
        self._cost_typed = bool(current)
        if current:
            f.costEdit.setText(f"{current.unit_cost_pence / 100:.2f}")
        f.costEdit.textEdited.connect(self._typed)
        f.itemCombo.currentIndexChanged.connect(self._item_changed)
        f.stockCheck.toggled.connect(lambda _on: self._item_changed())
        self._item_changed()
        f.itemCombo.setFocus()

    def _typed(self, _text: str) -> None:
        self._cost_typed = True

    def _item_changed(self, _i: int = 0) -> None:
        f = self.form
        item = self.items.get(f.itemCombo.currentData())
        if item is None:
            f.stockHelp.setText("")
            return
        if not self._cost_typed:
            f.costEdit.setText(
                f"{item.usual_cost_pence / 100:.2f}" if item.usual_cost_pence is not None else ""
            )
        n = self.balances.get(item.id, 0)
        f.stockHelp.setVisible(True)
        f.stockHelp.setText(
            f"{n} in store."
            + (
                " Untick 'from stock' if it was bought for this job."
                if f.stockCheck.isChecked() and n <= 0
                else ""
            )
        )

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            item_id=f.itemCombo.currentData() or "",
            quantity=f.quantitySpin.value(),
            unit_cost_pence=svc.parse_cost(f.costEdit.text()) or 0,
            contractor_id=f.contractorCombo.currentData(),
            fitted_on=from_qdate(f.fittedDate.date()),
            from_stock=f.stockCheck.isChecked(),
            notes=f.notesEdit.toPlainText(),
        )
        if self.measure_id:
            return svc.update_measure(session, self.measure_id, **values).id
        return svc.record_measure(session, case_id=self.case_id, **values).id

    def before_save(self) -> bool:
        found = [w.message for w in svc.address_warnings(self.form.notesEdit.toPlainText())]
        return self.confirm_warnings(found, "notes", self.form.notesEdit)


# --------------------------------------------------------------------------- visit
class FollowUpDialog(SanctuaryForm):
    FORM = "sanctuary_follow_up"
    TITLE = "Record a follow-up visit"
    FIELDS = {
        "visit_on": "visitDate",
        "by_whom": "byEdit",
        "outcome": "outcomeEdit",
        "notes": "notesEdit",
    }

    def __init__(self, ctx: AppContext, case_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.case_id = case_id
        f = self.form
        f.summaryLabel.setText(case_summary(ctx, case_id))
        set_date(f.visitDate)
        f.byEdit.setText(ctx.db.user)
        f.outcomeEdit.textChanged.connect(self._check)
        f.notesEdit.textChanged.connect(self._check)
        f.visitDate.setFocus()

    def _warnings(self) -> list[str]:
        f = self.form
        return [
            w.message
            for w in svc.address_warnings(f.outcomeEdit.text())
            + svc.address_warnings(f.notesEdit.toPlainText())
        ]

    def _check(self, *_a: Any) -> None:
        set_note(self.form.notesHelp, self._warnings(), "")

    def before_save(self) -> bool:
        return self.confirm_warnings(self._warnings(), "visit notes", self.form.outcomeEdit)

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        visit, _ = svc.record_follow_up(
            session,
            case_id=self.case_id,
            visit_on=from_qdate(f.visitDate.date()),
            by_whom=f.byEdit.text(),
            outcome=f.outcomeEdit.text(),
            further_work=f.furtherCheck.isChecked(),
            notes=f.notesEdit.toPlainText(),
        )
        return visit.id


# --------------------------------------------------------------------------- stock
def _items(ctx: AppContext, current: str | None = None) -> list[tuple[str, str]]:
    with ctx.db.session() if ctx.db.readonly else ctx.db.transaction() as s:
        if not ctx.db.readonly:
            svc.ensure_catalogue(s)
        return [(i.id, i.name) for i in svc.catalogue(s) if i.active or i.id == current]


class DeliveryDialog(SanctuaryForm):
    FORM = "sanctuary_delivery"
    TITLE = "Record a delivery"
    FIELDS = {
        "item": "itemCombo",
        "quantity": "quantitySpin",
        "moved_on": "movedDate",
        "supplier": "supplierEdit",
        "unit_cost": "costEdit",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, item_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        f = self.form
        fill_combo(f.itemCombo, _items(ctx, item_id), item_id, quiet=True)
        set_date(f.movedDate)
        with ctx.db.session() as s:
            self.suppliers = {r.item_id: r.supplier for r in svc.stock_rows(s)}
        f.itemCombo.currentIndexChanged.connect(self._item_changed)
        self._item_changed()
        f.quantitySpin.setFocus()

    def _item_changed(self, _i: int = 0) -> None:
        supplier = self.suppliers.get(self.form.itemCombo.currentData(), "")
        if supplier and not self.form.supplierEdit.isModified():
            self.form.supplierEdit.setText(supplier)

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        return svc.record_delivery(
            session,
            item_id=f.itemCombo.currentData() or "",
            quantity=f.quantitySpin.value(),
            on=from_qdate(f.movedDate.date()),
            supplier=f.supplierEdit.text(),
            unit_cost_pence=svc.parse_cost(f.costEdit.text()),
            notes=f.notesEdit.toPlainText(),
        ).id


class CountDialog(SanctuaryForm):
    FORM = "sanctuary_count"
    TITLE = "Stock count"
    FIELDS = {"item": "itemCombo", "counted": "countedSpin", "moved_on": "movedDate"}

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, item_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        f = self.form
        fill_combo(f.itemCombo, _items(ctx, item_id), item_id, quiet=True)
        set_date(f.movedDate)
        f.itemCombo.currentIndexChanged.connect(self._item_changed)
        self._item_changed()
        f.countedSpin.setFocus()

    def _item_changed(self, _i: int = 0) -> None:
        item_id = self.form.itemCombo.currentData()
        with self.ctx.db.session() as s:
            n = svc.stock_balance(s, item_id) if item_id else 0
        self.form.recordedLabel.setText(
            f"{n} recorded in store now; the difference is recorded as an adjustment."
        )
        self.form.countedSpin.setValue(max(0, n))

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        return svc.record_stock_count(
            session,
            item_id=f.itemCombo.currentData() or "",
            counted=f.countedSpin.value(),
            on=from_qdate(f.movedDate.date()),
            notes=f.notesEdit.toPlainText(),
        ).id


class ItemDialog(SanctuaryForm):
    """Add a catalogue item or change one, with its reorder level and supplier."""

    FORM = "sanctuary_item"
    FIELDS = {
        "kind": "kindCombo",
        "name": "nameEdit",
        "usual_cost": "costEdit",
        "reorder_level": "reorderSpin",
        "supplier": "supplierEdit",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, item_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.item_id = item_id
        f = self.form
        self.setWindowTitle("Change an item" if item_id else "Add a hardware item")
        fill_combo(f.kindCombo, [(k, k.capitalize()) for k in svc.ITEM_KINDS], "other", quiet=True)
        f.activeCheck.setChecked(True)
        if item_id:
            with ctx.db.session() as s:
                item = svc.get_item(s, item_id)
                row = next(
                    r for r in svc.stock_rows(s, include_inactive=True) if r.item_id == item_id
                )
                fill_combo(
                    f.kindCombo,
                    [(k, k.capitalize()) for k in svc.ITEM_KINDS],
                    item.kind,
                    quiet=True,
                )
                f.nameEdit.setText(item.name)
                if item.usual_cost_pence is not None:
                    f.costEdit.setText(f"{item.usual_cost_pence / 100:.2f}")
                f.activeCheck.setChecked(item.active)
                f.notesEdit.setPlainText(item.notes)
                f.reorderSpin.setValue(row.reorder_level)
                f.supplierEdit.setText(row.supplier)
        f.nameEdit.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            kind=f.kindCombo.currentData(),
            name=f.nameEdit.text(),
            usual_cost_pence=svc.parse_cost(f.costEdit.text(), "usual_cost"),
            notes=f.notesEdit.toPlainText(),
        )
        if self.item_id:
            item = svc.update_item(
                session, self.item_id, active=f.activeCheck.isChecked(), **values
            )
        else:
            item = svc.create_item(session, **values)
            item.active = f.activeCheck.isChecked()
        svc.set_stock_level(
            session,
            item.id,
            reorder_level=f.reorderSpin.value(),
            supplier=f.supplierEdit.text(),
        )
        return item.id


class ContractorDialog(SanctuaryForm):
    FORM = "sanctuary_contractor"
    FIELDS = {"name": "nameEdit", "trade": "tradeEdit", "phone": "phoneEdit", "email": "emailEdit"}

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, contractor_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.contractor_id = contractor_id
        f = self.form
        self.setWindowTitle("Change a contractor" if contractor_id else "Add a contractor")
        f.activeCheck.setChecked(True)
        if contractor_id:
            with ctx.db.session() as s:
                c = next(
                    c for c in svc.contractors(s, include_inactive=True) if c.id == contractor_id
                )
                f.nameEdit.setText(c.name)
                f.tradeEdit.setText(c.trade)
                f.phoneEdit.setText(c.phone)
                f.emailEdit.setText(c.email)
                f.activeCheck.setChecked(c.active)
                f.notesEdit.setPlainText(c.notes)
        f.nameEdit.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            name=f.nameEdit.text(),
            trade=f.tradeEdit.text(),
            phone=f.phoneEdit.text(),
            email=f.emailEdit.text(),
            notes=f.notesEdit.toPlainText(),
        )
        if self.contractor_id:
            return svc.update_contractor(
                session, self.contractor_id, active=f.activeCheck.isChecked(), **values
            ).id
        row = svc.create_contractor(session, **values)
        row.active = f.activeCheck.isChecked()
        return row.id


class SettingsDialog(SanctuaryForm):
    FORM = "sanctuary_settings"
    TITLE = "Sanctuary Scheme settings"
    FIELDS = {"follow_up_days": "followUpSpin", "address_enabled": "addressCheck"}

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        f = self.form
        with ctx.db.session() as s:
            f.followUpSpin.setValue(svc.follow_up_days(s))
            self.was_on = svc.address_enabled(s)
            self.recorded = svc.addresses_recorded(s)
        f.addressCheck.setChecked(self.was_on)
        self.clear = False
        f.followUpSpin.setFocus()

    def before_save(self) -> bool:
        self.clear = False
        on = self.form.addressCheck.isChecked()
        if on and not self.was_on:
            return confirm(
                self,
                "Record full addresses of sanctuary homes?",
                title=self.windowTitle(),
                informative="An address is among the most dangerous facts this file could "
                "hold. The postcode district is enough for the work; switch this on only if "
                "your organisation requires it.",
                yes="Switch addresses on",
                no="Leave them off",
                danger=True,
            )
        if not on and self.was_on and self.recorded:
            self.clear = confirm(
                self,
                f"Clear the {self.recorded} full address"
                f"{'es' if self.recorded != 1 else ''} recorded?",
                title=self.windowTitle(),
                informative="Switching addresses off empties every address field. The "
                "postcode districts are kept.",
                yes="Clear them",
                no="Keep addresses on",
                danger=True,
            )
            return self.clear
        return True

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        svc.set_follow_up_days(session, f.followUpSpin.value())
        on = f.addressCheck.isChecked()
        if on != self.was_on:
            return svc.set_address_enabled(session, on, clear=self.clear)
        return 0
