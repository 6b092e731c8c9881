"""File > Export report…: choose a report, its plan, period, agency and marking, write the
PDF off the UI thread (progress dialog with Cancel), then offer to open it.

The form is ``ui/export_report.ui``.  Kinds come from the report registry, grouped by
area, so other areas' reports appear here without touching this module.  A kind that
declares ``shows_locations`` gets the "Show districts and addresses" switch (off every
time a kind is chosen, with a warning while it is on): the same
``ReportRequest.show_locations`` as the command line's ``--show-locations``.  The PDF is
written by :func:`dvcoord.reports.export.export_report`, the same ``build`` the command
line calls, so both produce the same file.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFont, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QMessageBox, QWidget

from dvcoord.errors import ValidationError
from dvcoord.gui.context import AppContext
from dvcoord.gui.officer import report_name_text
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import choose_save_file, confirm, from_qdate, open_folder, to_qdate
from dvcoord.gui.workers import Cancelled, WorkAborted, run_in_worker
from dvcoord.reports import export
from dvcoord.reports.registry import ReportKind, ReportRequest
from dvcoord.services import agencies as agency_service
from dvcoord.services import plans as plan_service
from dvcoord.services.dates import format_date
from dvcoord.services.plan_reports import since_default
from dvcoord.services.settings import MARKING_LABELS

log = logging.getLogger(__name__)

PDF_FILTER = "PDF documents (*.pdf);;All files (*)"
OWN_DATES = "Dates of my own"
ALL_PLANS = "All current plans"
TITLE = "Export report"


def documents_folder() -> Path:
    """The officer's Documents folder (their home folder if there is none)."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(found) if found else Path.home()
    return folder if folder.is_dir() else Path.home()


class ExportReportDialog(QDialog):
    """The Export report dialog.  ``exported`` holds the result after a successful export."""

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        kind: str | None = None,
        plan_id: str | None = None,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = today or date.today()
        self.exported: export.ExportResult | None = None
        self.setObjectName("exportReportDialog")
        self.form = f = load_ui("export_report", self)
        self.setMinimumWidth(620)
        self._kinds: dict[str, ReportKind] = {}
        self._plans: list[tuple[str, str, str]] = []  # id, title, marking
        self._file_auto = True
        self._marking_auto = True
        self._setting_dates = False

        f.buttonBox.button(QDialogButtonBox.StandardButton.Ok).setText("&Export")
        # Room for three lines of description, so the dialog does not jump between kinds.
        f.kindDescription.setMinimumHeight(f.kindDescription.fontMetrics().lineSpacing() * 3 + 4)
        f.kindDescription.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        f.quarterCombo.setMinimumContentsLength(22)
        f.quarterCombo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        f.errorLabel.setProperty("role", "error")
        f.errorLabel.setVisible(False)
        for code, label in MARKING_LABELS.items():
            f.markingCombo.addItem(label, code)
        self._fill_kinds(kind)
        self._fill_plans(plan_id)
        self._fill_agencies()
        self._fill_quarters()

        f.kindCombo.currentIndexChanged.connect(self._kind_changed)
        f.planCombo.currentIndexChanged.connect(self._plan_changed)
        f.agencyCombo.currentIndexChanged.connect(lambda _i: self._update_file_name())
        f.quarterCombo.currentIndexChanged.connect(self._quarter_chosen)
        f.fromDate.dateChanged.connect(self._dates_edited)
        f.toDate.dateChanged.connect(self._dates_edited)
        f.markingCombo.activated.connect(self._marking_chosen)
        f.locationsCheck.toggled.connect(self._locations_toggled)
        f.fileEdit.textEdited.connect(self._file_edited)
        f.browseButton.clicked.connect(self.browse)
        f.officerButton.clicked.connect(self.change_officer)
        self._show_officer()
        f.buttonBox.accepted.connect(self.export)
        f.buttonBox.rejected.connect(self.reject)
        self._kind_changed()
        f.kindCombo.setFocus()

    # ------------------------------------------------------------------ filling
    def _fill_kinds(self, wanted: str | None) -> None:
        combo = self.form.kindCombo
        model = combo.model()
        bold = QFont(combo.font())
        bold.setBold(True)
        select = -1
        for area, kinds in export.kinds_by_area():
            combo.addItem(area, None)
            header = combo.count() - 1
            if isinstance(model, QStandardItemModel):
                item = model.item(header)
                item.setEnabled(False)
                item.setFont(bold)
            for kind in kinds:
                self._kinds[kind.name] = kind
                combo.addItem(f"    {kind.title}", kind.name)
                combo.setItemData(combo.count() - 1, kind.description, Qt.ItemDataRole.ToolTipRole)
                if kind.name == (wanted or "action-plan") or select < 0 and wanted is None:
                    select = combo.count() - 1
        if select >= 0:
            combo.setCurrentIndex(select)

    def _fill_plans(self, wanted: str | None) -> None:
        with self.ctx.db.session() as s:
            plans = plan_service.list_plans(s, include_archived=True)
            self._plans = [(p.id, p.title, p.marking or "") for p in plans]
        combo = self.form.planCombo
        combo.clear()
        for plan_id, title, _ in self._plans:
            combo.addItem(title, plan_id)
        if wanted:
            pos = combo.findData(wanted)
            if pos >= 0:
                combo.setCurrentIndex(pos)

    def _fill_agencies(self) -> None:
        with self.ctx.db.session() as s:
            found = agency_service.list_agencies(s, include_inactive=False)
            items = [(a.id, a.name) for a in found]
        combo = self.form.agencyCombo
        combo.clear()
        for agency_id, name in items:
            combo.addItem(name, agency_id)

    def _fill_quarters(self) -> None:
        combo = self.form.quarterCombo
        combo.clear()
        for choice in export.quarter_choices(self.today):
            combo.addItem(choice.label, (choice.start, choice.end))
        combo.addItem(OWN_DATES, None)

    # ------------------------------------------------------------------ reacting
    def _uses_plan(self) -> bool:
        kind = self.kind()
        return kind is not None and (kind.needs_plan or kind.uses_plan)

    def _uses_period_end(self) -> bool:
        kind = self.kind()
        return kind is None or kind.uses_period_end

    def kind(self) -> ReportKind | None:
        name = self.form.kindCombo.currentData()
        return self._kinds.get(name) if name else None

    def _kind_changed(self, _index: int = -1) -> None:
        f = self.form
        kind = self.kind()
        if kind is None:
            return
        f.kindDescription.setText(kind.description)
        uses_plan = kind.needs_plan or kind.uses_plan
        f.planLabel.setVisible(uses_plan)
        f.planCombo.setVisible(uses_plan)
        # "All current plans" only where the report can cover them all.
        all_pos = f.planCombo.findData("")
        if kind.uses_plan and not kind.needs_plan and all_pos < 0:
            f.planCombo.insertItem(0, ALL_PLANS, "")
            f.planCombo.setCurrentIndex(0)
        elif kind.needs_plan and all_pos >= 0:
            f.planCombo.removeItem(all_pos)
        f.periodLabel.setVisible(kind.uses_period)
        f.periodBox.setVisible(kind.uses_period)
        f.toLabel.setVisible(kind.uses_period_end)
        f.toDate.setVisible(kind.uses_period_end)
        f.fromLabel.setText("changes &since" if not kind.uses_period_end else "&from")
        if kind.uses_period:
            self._default_period(kind)
        f.agencyLabel.setVisible(kind.uses_agency)
        f.agencyCombo.setVisible(kind.uses_agency)
        f.redactCheck.setToolTip(
            "This report can show case references."
            if kind.shows_case_data
            else "Case references found in notes are withheld too."
        )
        # Locations are identifying: offered only where the kind can print them, and off
        # again whenever the report changes.
        f.locationsCheck.setVisible(kind.shows_locations)
        f.locationsCheck.setChecked(False)
        self._locations_toggled(False)
        self._marking_auto = True
        self._plan_changed()
        self.adjustSize()

    def _locations_toggled(self, on: bool) -> None:
        self.form.locationsWarning.setVisible(bool(on))
        if on:  # districts and addresses are printed only under OFFICIAL-SENSITIVE
            pos = self.form.markingCombo.findData("OFFICIAL-SENSITIVE")
            if pos >= 0:
                self.form.markingCombo.setCurrentIndex(pos)

    def _default_period(self, kind: ReportKind) -> None:
        """This quarter; for "changed since" reports, since the start of the last one."""
        combo = self.form.quarterCombo
        start = since_default(self.today) if not kind.uses_period_end else None
        for i in range(combo.count()):
            span = combo.itemData(i)
            if span is None:
                continue
            if (start is not None and span[0] == start) or (
                start is None and span[0] <= self.today <= span[1]
            ):
                combo.setCurrentIndex(i)
                self._quarter_chosen(i)
                return

    def _plan_changed(self, _index: int = -1) -> None:
        if self._marking_auto:
            kind = self.kind()
            if kind is not None:
                code = export.default_marking(self.ctx.db, kind, self._plan_marking())
                pos = self.form.markingCombo.findData(code)
                self.form.markingCombo.setCurrentIndex(max(pos, 0))
        self._update_file_name()

    def _plan_marking(self) -> str | None:
        plan_id = self.form.planCombo.currentData() if self._uses_plan() else None
        for pid, _title, marking in self._plans:
            if pid == plan_id:
                return marking or None
        return None

    def _marking_chosen(self, _index: int) -> None:
        self._marking_auto = False

    def _quarter_chosen(self, index: int) -> None:
        span = self.form.quarterCombo.itemData(index)
        if span is None:
            return
        self._setting_dates = True
        try:
            self.form.fromDate.setDate(to_qdate(span[0]))
            self.form.toDate.setDate(to_qdate(span[1]))
        finally:
            self._setting_dates = False

    def _dates_edited(self, _date: Any) -> None:
        if self._setting_dates:
            return
        combo = self.form.quarterCombo
        start, end = from_qdate(self.form.fromDate.date()), from_qdate(self.form.toDate.date())
        for i in range(combo.count()):
            span = combo.itemData(i)
            matches = (
                span is not None
                and span[0] == start
                and (span[1] == end or not self._uses_period_end())
            )
            if matches:
                combo.blockSignals(True)
                combo.setCurrentIndex(i)
                combo.blockSignals(False)
                return
        combo.blockSignals(True)
        combo.setCurrentIndex(combo.findData(None))
        combo.blockSignals(False)

    # ------------------------------------------------------------------ file name
    def default_folder(self) -> Path:
        last = self.ctx.settings.last_folder("report")
        return last if last is not None else documents_folder()

    def default_file_name(self) -> str:
        kind = self.kind()
        if kind is None:
            return "report.pdf"
        f = self.form
        plan = f.planCombo.currentText() if self._uses_plan() and f.planCombo.currentData() else ""
        agency = f.agencyCombo.currentText() if kind.uses_agency else ""
        return export.default_file_name(kind.name, plan_title=plan, agency=agency, today=self.today)

    def _update_file_name(self) -> None:
        if not self._file_auto:
            return
        current = self.form.fileEdit.text().strip()
        folder = Path(current).parent if current else self.default_folder()
        self.form.fileEdit.setText(str(folder / self.default_file_name()))

    def _file_edited(self, _text: str) -> None:
        self._file_auto = False

    def browse(self) -> Path | None:
        current = Path(self.form.fileEdit.text().strip() or self.default_file_name())
        chosen = choose_save_file(
            self,
            "Save the report as",
            suggested=current.name,
            file_filter=PDF_FILTER,
            suffix=".pdf",
            purpose="report",
            settings=self.ctx.settings,
        )
        if chosen is not None:
            self.form.fileEdit.setText(str(chosen))
            self._file_auto = False
        return chosen

    # ------------------------------------------------------------------ officer
    def _show_officer(self) -> None:
        """Say whose name the footer will print; the login name is flagged."""
        text, needs_name = report_name_text(self.ctx.settings)
        f = self.form
        f.officerName.setText(text)
        font = f.officerName.font()
        font.setBold(needs_name)
        f.officerName.setFont(font)
        f.officerButton.setAutoDefault(False)

    def change_officer(self) -> bool:
        """Open Settings (where the officer's name is kept); True if it was saved."""
        from dvcoord.gui.dialogs import SettingsDialog

        dialog = SettingsDialog(self.ctx, self)
        try:
            saved = bool(dialog.exec())
        finally:
            dialog.deleteLater()
        self._show_officer()
        return saved

    # ------------------------------------------------------------------ export
    def _show_problem(self, message: str) -> None:
        self.form.errorLabel.setText(message)
        self.form.errorLabel.setVisible(bool(message))

    def request(self) -> ReportRequest:
        """The request the choices make; ValidationError (with ``field``) if one is wrong."""
        f = self.form
        kind = self.kind()
        if kind is None:
            raise ValidationError("Choose a report.", field="kind")
        plan: str | None = None
        if kind.needs_plan or kind.uses_plan:
            plan = f.planCombo.currentData() or None
            if kind.needs_plan and not plan:
                raise ValidationError(
                    "Choose a plan."
                    if self._plans
                    else "This database holds no action plans "
                    "yet, so there is nothing to report on.",
                    field="plan",
                )
        agency: str | None = None
        if kind.uses_agency:
            agency = f.agencyCombo.currentData() or None
            if not agency:
                raise ValidationError("Choose the agency whose return you want.", field="agency")
        date_from = date_to = None
        if kind.uses_period:
            date_from = from_qdate(f.fromDate.date())
            if kind.uses_period_end:
                date_to = from_qdate(f.toDate.date())
                if date_from > date_to:
                    raise ValidationError(
                        f"The period starts on {format_date(date_from)}, after it ends on "
                        f"{format_date(date_to)}.",
                        field="period",
                    )
        text = f.fileEdit.text().strip()
        if not text:
            raise ValidationError("Give the PDF a file name.", field="file")
        out = Path(text).expanduser()
        if not out.suffix:
            out = out.with_suffix(".pdf")
        if out.is_dir():
            raise ValidationError(f"{out} is a folder; give a file name.", field="file")
        if not out.parent.is_dir():
            raise ValidationError(f"The folder {out.parent} does not exist.", field="file")
        return ReportRequest(
            out=out,
            marking=f.markingCombo.currentData() or None,
            redact=f.redactCheck.isChecked(),
            plan=plan,
            date_from=date_from,
            date_to=date_to,
            agency=agency,
            show_locations=kind.shows_locations and f.locationsCheck.isChecked(),
            officer=self.ctx.settings.officer_or_login(),
            today=self.today,
        )

    def export(self) -> export.ExportResult | None:
        """Write the report (off the UI thread); close and offer to open it."""
        try:
            request = self.request()
        except ValidationError as exc:
            self._show_problem(str(exc))
            return None
        self._show_problem("")
        if request.out.exists() and not confirm(
            self,
            f"{request.out.name} already exists. Replace it?",
            yes="Replace",
            title=TITLE,
        ):
            return None
        kind = self.kind()
        assert kind is not None
        db = self.ctx.db

        def job(progress, _cancel) -> export.ExportResult:  # noqa: ANN001
            progress(0, None, "Reading the database…")
            return export.export_report(
                db,
                kind.name,
                request,
                on_page=lambda n: progress(n, None, f"Writing page {n}…"),
            )

        try:
            result = run_in_worker(self, f"Exporting \u2018{kind.title}\u2019", job)
        except Cancelled:
            self._show_problem("Export cancelled: no file was written.")
            return None
        except WorkAborted:
            return None  # the problem has been shown
        self.exported = result
        self.ctx.settings.set_last_folder(result.path.parent, "report")
        log.info("report %s exported (%d pages)", kind.name, result.pages)
        self.ctx.show_message(f"Report saved to {result.path} ({result.pages} pages).")
        self.accept()
        offer_to_open(self.parentWidget(), result)
        return result


def offer_to_open(parent: QWidget | None, result: export.ExportResult) -> str:
    """Tell the officer where the PDF went and offer to open it or its folder.

    Returns "pdf", "folder" or "" (closed)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(TITLE)
    box.setTextFormat(Qt.TextFormat.PlainText)
    pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
    box.setText(f"The report was saved ({pages}).")
    box.setInformativeText(str(result.path))
    open_pdf = box.addButton("Open the PDF", QMessageBox.ButtonRole.AcceptRole)
    open_dir = box.addButton("Show in folder", QMessageBox.ButtonRole.ActionRole)
    close = box.addButton("Close", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(open_pdf)
    box.setEscapeButton(close)
    box.exec()
    clicked = box.clickedButton()
    if clicked is open_pdf:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(result.path)))
        return "pdf"
    if clicked is open_dir:
        open_folder(result.path.parent)
        return "folder"
    return ""


def show_export_dialog(
    ctx: AppContext, parent: QWidget | None = None, **kwargs: Any
) -> export.ExportResult | None:
    dialog = ExportReportDialog(ctx, parent, **kwargs)
    try:
        dialog.exec()
        return dialog.exported
    finally:
        dialog.deleteLater()
