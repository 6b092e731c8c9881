"""The Sanctuary Scheme view: cases by stage, the hardware stock and the contractors.

The Cases tab opens with a board of the open stages (each a button with its count: a
click shows that stage) above a table of cases filtered by stage, risk level, tenure,
referring agency and financial year of referral (the filters run in the service's one
query) and searched by case reference.  Each row says in words what the case is waiting
for.  Postcode districts are hidden until "Show districts" is ticked.  A double-click
opens the case editor (:class:`~dvcoord.gui.sanctuary_dialogs.CaseDialog`).

The Stock tab shows the quantity in store of each item (worked out from the deliveries,
fittings and counts), its reorder level and a status in words; the Contractors tab lists
the firms with the measures they fitted.  Everything is read through
:mod:`dvcoord.services.sanctuary`.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dvcoord.gui import sanctuary_dialogs as dlg
from dvcoord.gui.context import AppContext
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.widgets import (
    DataTable,
    FilterBar,
    choose_save_file,
    confirm,
    format_pence,
    inform,
    show_error,
    stretch_column,
)
from dvcoord.gui.workers import WorkAborted, run_in_worker
from dvcoord.services import sanctuary as svc
from dvcoord.services.dates import financial_year_of, format_date, fy_label

log = logging.getLogger(__name__)

ENDED = ("closed", "declined", "withdrawn")
#: Stage filter label -> stages shown (None: every stage).
STAGE_FILTERS: list[tuple[str, tuple[str, ...] | None]] = [
    ("Open cases", svc.OPEN_STAGES),
    *[(svc.STAGE_LABELS[s], (s,)) for s in svc.STAGES],
    ("Ended cases", ENDED),
    ("Every case", None),
]
_STAGE_COLOURS = {
    "referred": "#1D4E89",
    "assessed": "#1D4E89",
    "approved": "#1D4E89",
    "works ordered": "#8A5A00",
    "installed": "#2E7D32",
    "follow-up done": "#2E7D32",
    "closed": "#505A5F",
    "declined": "#505A5F",
    "withdrawn": "#505A5F",
}
_ALERT = "#B3261E"


def _next_step(r: svc.CaseRow, today: date) -> str:
    """What the case is waiting for, in words."""
    if r.missing:
        return "Missing: " + "; ".join(r.missing)
    if r.stage in ("referred", "assessed", "approved"):
        return "Checklist complete"
    if r.stage == "works ordered":
        return "Waiting for installation"
    if r.stage == "installed" and r.follow_up_due is not None:
        if r.follow_up_due < today:
            return f"Follow-up overdue (due {format_date(r.follow_up_due)})"
        return f"Follow-up due {format_date(r.follow_up_due)}"
    if r.stage == "follow-up done":
        return "Ready to close"
    if r.stage == "closed":
        return r.outcome.capitalize()
    return ""


class SanctuaryView(QWidget):
    """Cases by stage, stock and contractors of the Sanctuary Scheme."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("sanctuaryView")
        self.today = date.today()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 12)
        top = QHBoxLayout()
        title = QLabel("Sanctuary Scheme", self)
        title.setObjectName("pageTitle")
        top.addWidget(title)
        top.addStretch(1)
        self.settings_button = self._button(
            "Settings…",
            "Follow-up interval; whether full addresses are recorded",
            self.edit_settings,
            top,
        )
        outer.addLayout(top)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("sanctuaryTabs")
        outer.addWidget(self.tabs, 1)
        self._build_cases()
        self._build_stock()
        self._build_contractors()
        self.refresh()

    # ------------------------------------------------------------------ building
    def _button(self, text: str, tip: str, slot, layout) -> QPushButton:  # noqa: ANN001
        button = QPushButton(text, self)
        button.setObjectName("button_" + "".join(ch for ch in text.lower() if ch.isalpha()))
        button.setToolTip(tip)
        button.setAccessibleName(text.rstrip("…"))
        button.clicked.connect(lambda _checked=False: slot())
        layout.addWidget(button)
        return button

    def _combo(self, page: QWidget, label: str, name: str, accessible: str, layout) -> QComboBox:  # noqa: ANN001
        text = QLabel(label, page)
        combo = QComboBox(page)
        combo.setObjectName(name)
        combo.setAccessibleName(accessible)
        text.setBuddy(combo)
        layout.addWidget(text)
        layout.addWidget(combo)
        combo.currentIndexChanged.connect(lambda _i: self.load_cases())
        return combo

    def _build_cases(self) -> None:
        page = QWidget(self.tabs)
        layout = QVBoxLayout(page)
        board = QHBoxLayout()
        board_label = QLabel("Open cases by stage:", page)
        board.addWidget(board_label)
        self.board_buttons: dict[str, QPushButton] = {}
        for stage in svc.OPEN_STAGES:
            button = QPushButton(page)
            button.setObjectName("board_" + stage.replace(" ", "_").replace("-", "_"))
            button.setCheckable(True)
            button.setToolTip(f"Show the cases at stage '{svc.STAGE_LABELS[stage].lower()}'")
            button.clicked.connect(lambda _c=False, st=stage: self.show_stage(st))
            board.addWidget(button)
            self.board_buttons[stage] = button
        board.addStretch(1)
        layout.addLayout(board)

        filters = QHBoxLayout()
        self.stage_combo = self._combo(
            page, "&Stage:", "stageFilter", "Show cases at stage", filters
        )
        for label, stages in STAGE_FILTERS:
            self.stage_combo.addItem(label, stages)
        self.risk_combo = self._combo(page, "&Risk:", "riskFilter", "Risk level", filters)
        self.risk_combo.addItem("Any", None)
        for r in svc.RISK_LEVELS:
            self.risk_combo.addItem(r.capitalize(), r)
        self.tenure_combo = self._combo(page, "&Tenure:", "tenureFilter", "Tenure", filters)
        self.tenure_combo.addItem("Any", None)
        for t in svc.TENURES:
            self.tenure_combo.addItem(t.capitalize(), t)
        self.agency_combo = self._combo(
            page, "A&gency:", "agencyFilter", "Referring agency", filters
        )
        self.fy_combo = self._combo(
            page, "Referred in &year:", "yearFilter", "Financial year of referral", filters
        )
        filters.addStretch(1)
        layout.addLayout(filters)

        search = QHBoxLayout()
        self.filter_bar = FilterBar(
            page,
            placeholder="Search case reference…",
            accessible_name="Search by case reference",
        )
        self.districts_check = QCheckBox("Show &districts", page)
        self.districts_check.setObjectName("showDistricts")
        self.districts_check.setAccessibleName("Show postcode districts")
        self.districts_check.setToolTip("Postcode districts are hidden unless you ask for them")
        self.districts_check.toggled.connect(self._show_districts)
        search.addWidget(self.filter_bar, 1)
        search.addWidget(self.districts_check)
        layout.addLayout(search)

        buttons = QHBoxLayout()
        self.new_button = self._button("New case…", "Record a referral", self.new_case, buttons)
        self.open_button = self._button(
            "Open case…",
            "Details, checklist, stages, measures and visits",
            self.open_case,
            buttons,
        )
        self.delete_button = self._button(
            "Delete case…", "Remove a case entered by mistake", self.delete_case, buttons
        )
        buttons.addStretch(1)
        self.export_button = self._button(
            "Export cases…", "Write the cases and measures to .xlsx", self.export_cases, buttons
        )
        self.spend_button = self._button(
            "Export spend…",
            "Write the spend by year, quarter and item to .xlsx",
            self.export_spend,
            buttons,
        )
        layout.addLayout(buttons)

        self.model = RowTableModel(
            [
                Column("Case reference", lambda r: r.reference, width=18),
                Column("Agency", lambda r: r.agency, width=14, searchable=False),
                Column("Risk", lambda r: r.risk_level.capitalize(), width=8, searchable=False),
                Column("MARAC", lambda r: r.marac, width=8, searchable=False),
                Column("Tenure", lambda r: r.tenure.capitalize(), width=16, searchable=False),
                Column(
                    "Stage",
                    lambda r: svc.STAGE_LABELS[r.stage],
                    sort_key=lambda r: svc.STAGES.index(r.stage),
                    foreground=lambda r: _STAGE_COLOURS.get(r.stage),
                    width=13,
                    searchable=False,
                ),
                Column("Since", lambda r: r.stage_since, width=10, searchable=False),
                Column(
                    "Wait (days)",
                    lambda r: r.waiting_days,
                    width=12,
                    searchable=False,
                    tooltip=lambda r: (
                        "Referral to installation"
                        if r.installed_on
                        else ("Waiting since referral" if r.waiting_days is not None else None)
                    ),
                ),
                Column(
                    "Next / still missing",
                    lambda r: _next_step(r, self.today),
                    width=40,
                    searchable=False,
                    tooltip=lambda r: _next_step(r, self.today) or None,
                    foreground=lambda r: (
                        _ALERT
                        if r.missing or (r.follow_up_due and r.follow_up_due < self.today)
                        else None
                    ),
                ),
                Column("Measures", lambda r: r.measures, width=10, searchable=False),
                Column(
                    "Spend",
                    lambda r: r.spend_pence,
                    text=lambda r: format_pence(r.spend_pence),
                    width=10,
                    searchable=False,
                ),
                Column("District", lambda r: r.postcode_district, width=8, searchable=False),
            ],
            row_key=lambda r: r.case_id,
        )
        self.table = DataTable(
            self.model, page, accessible_name="Sanctuary Scheme cases", filter_columns=[0]
        )
        self.table.setObjectName("casesTable")
        stretch_column(self.table, 8)
        self.filter_bar.connect_proxy(self.table.proxy)
        self.table.rows_selected.connect(lambda _rows: self._update_buttons())
        self.table.row_activated.connect(lambda row: self.open_case(row.case_id))
        layout.addWidget(self.table, 1)
        self.tabs.addTab(page, "&Cases")
        self._show_districts(False)

    def _build_stock(self) -> None:
        page = QWidget(self.tabs)
        layout = QVBoxLayout(page)
        self.reorder_label = QLabel(page)
        self.reorder_label.setObjectName("reorderWarning")
        self.reorder_label.setWordWrap(True)
        self.reorder_label.setTextFormat(Qt.TextFormat.PlainText)
        self.reorder_label.setAccessibleName("Items to reorder")
        layout.addWidget(self.reorder_label)
        note = QLabel(
            "The quantity in store is worked out from every delivery, fitting from stock "
            "and stock count recorded.",
            page,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        buttons = QHBoxLayout()
        self.delivery_button = self._button(
            "Record delivery…",
            "Hardware delivered into the store",
            self.record_delivery,
            buttons,
        )
        self.count_button = self._button(
            "Stock count…",
            "Correct the quantity after counting the store",
            self.stock_count,
            buttons,
        )
        buttons.addStretch(1)
        self.add_item_button = self._button(
            "Add item…", "Add an item to the catalogue", self.add_item, buttons
        )
        self.edit_item_button = self._button(
            "Change item…",
            "Name, usual cost, reorder level and supplier",
            self.edit_item,
            buttons,
        )
        layout.addLayout(buttons)
        self.stock_model = RowTableModel(
            [
                Column("Item", lambda r: r.name, width=24),
                Column("Kind", lambda r: r.kind.capitalize(), width=20),
                Column(
                    "In store",
                    lambda r: r.in_store,
                    width=8,
                    foreground=lambda r: _ALERT if r.to_reorder else None,
                ),
                Column("Reorder at", lambda r: r.reorder_level or None, width=11),
                Column(
                    "Status",
                    lambda r: r.status,
                    width=22,
                    foreground=lambda r: _ALERT if r.to_reorder else None,
                ),
                Column("Supplier", lambda r: r.supplier, width=28),
                Column("Last delivery", lambda r: r.last_delivery, width=13),
                Column(
                    "Fitted (12 months)",
                    lambda r: r.fitted_last_year,
                    width=17,
                    header_tooltip="Fitted from stock in the last twelve months",
                ),
                Column(
                    "Usual cost",
                    lambda r: r.usual_cost_pence,
                    text=lambda r: format_pence(r.usual_cost_pence),
                    width=12,
                ),
            ],
            row_key=lambda r: r.item_id,
        )
        self.stock_table = DataTable(self.stock_model, page, accessible_name="Hardware stock")
        self.stock_table.setObjectName("stockTable")
        stretch_column(self.stock_table, 5)
        self.stock_table.rows_selected.connect(lambda _rows: self._update_buttons())
        self.stock_table.row_activated.connect(lambda row: self.edit_item(row.item_id))
        layout.addWidget(self.stock_table, 1)
        self.stock_index = self.tabs.addTab(page, "St&ock")

    def _build_contractors(self) -> None:
        page = QWidget(self.tabs)
        layout = QVBoxLayout(page)
        buttons = QHBoxLayout()
        self.add_contractor_button = self._button(
            "Add contractor…", "Add a firm that fits measures", self.add_contractor, buttons
        )
        self.edit_contractor_button = self._button(
            "Change contractor…", "Change the firm's details", self.edit_contractor, buttons
        )
        self.inactive_check = QCheckBox("Show firms no longer &used", page)
        self.inactive_check.setObjectName("showInactive")
        self.inactive_check.toggled.connect(lambda _on: self._filter_contractors())
        buttons.addWidget(self.inactive_check)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.contractor_model = RowTableModel(
            [
                Column("Contractor", lambda r: r.name, width=28),
                Column("Trade", lambda r: r.trade, width=18),
                Column("Phone", lambda r: r.phone, width=14),
                Column("E-mail", lambda r: r.email, width=24),
                Column("In use", lambda r: r.active, width=7),
                Column("Measures fitted", lambda r: r.measures, width=10),
                Column(
                    "Spend",
                    lambda r: r.spend_pence,
                    text=lambda r: format_pence(r.spend_pence),
                    width=11,
                ),
                Column("Last fitted", lambda r: r.last_fitted, width=11),
            ],
            row_key=lambda r: r.contractor_id,
        )
        self.contractor_table = DataTable(
            self.contractor_model, page, accessible_name="Contractors"
        )
        self.contractor_table.setObjectName("contractorsTable")
        stretch_column(self.contractor_table, 0)
        self.contractor_table.rows_selected.connect(lambda _rows: self._update_buttons())
        self.contractor_table.row_activated.connect(
            lambda row: self.edit_contractor(row.contractor_id)
        )
        layout.addWidget(self.contractor_table, 1)
        self.contractors_index = self.tabs.addTab(page, "Co&ntractors")
        self._filter_contractors()

    # ------------------------------------------------------------------ data
    def _fill_filter_choices(self, session) -> None:  # noqa: ANN001
        from sqlalchemy import func, select

        from dvcoord.store.schema.plans import Agency
        from dvcoord.store.schema.sanctuary import SanctuaryCase

        agencies = session.execute(
            select(Agency.id, Agency.name)
            .where(
                Agency.id.in_(
                    select(SanctuaryCase.agency_id).where(SanctuaryCase.deleted_at.is_(None))
                )
            )
            .order_by(Agency.name)
        ).all()
        first = session.scalar(
            select(func.min(SanctuaryCase.referral_date)).where(SanctuaryCase.deleted_at.is_(None))
        )
        current_fy = financial_year_of(self.today)
        first_fy = financial_year_of(first) if first else current_fy
        for combo, items in (
            (self.agency_combo, [(None, "Any"), *agencies]),
            (
                self.fy_combo,
                [(None, "Any")] + [(y, fy_label(y)) for y in range(current_fy, first_fy - 1, -1)],
            ),
        ):
            keep = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for value, label in items:
                combo.addItem(label, value)
            pos = combo.findData(keep)
            combo.setCurrentIndex(pos if pos >= 0 else 0)
            combo.blockSignals(False)

    def refresh(self) -> None:
        self.today = date.today()
        with self.ctx.db.session() as s:
            self._fill_filter_choices(s)
            counts = svc.stage_counts(s)
            stock = svc.stock_rows(s, self.today)
            contractors = svc.contractor_rows(s)
        for stage, button in self.board_buttons.items():
            button.setText(f"{svc.STAGE_LABELS[stage]}: {counts[stage]}")
            button.setAccessibleName(f"{svc.STAGE_LABELS[stage]}: {counts[stage]} cases")
        self.stock_model.set_rows(stock)
        reorder = [r for r in stock if r.to_reorder]
        if reorder:
            self.reorder_label.setText(
                f"Reorder now ({len(reorder)}): "
                + "; ".join(f"{r.name} ({r.in_store} in store)" for r in reorder)
            )
            self.reorder_label.setProperty("role", "error")
        else:
            self.reorder_label.setText("No item is at or below its reorder level.")
            self.reorder_label.setProperty("role", "")
        self.reorder_label.style().unpolish(self.reorder_label)
        self.reorder_label.style().polish(self.reorder_label)
        self.tabs.setTabText(
            self.stock_index, f"St&ock ({len(reorder)} to reorder)" if reorder else "St&ock"
        )
        self.contractor_model.set_rows(contractors)
        self.load_cases()

    def filters(self) -> dict[str, Any]:
        return {
            "stages": self.stage_combo.currentData(),
            "risk": self.risk_combo.currentData(),
            "tenure": self.tenure_combo.currentData(),
            "agency_id": self.agency_combo.currentData(),
            "fy": self.fy_combo.currentData(),
        }

    def load_cases(self) -> None:
        """Run the cases query with the chosen filters (the search box filters on screen)."""
        if not hasattr(self, "table"):
            return
        with self.ctx.db.session() as s:
            rows = svc.case_rows(s, self.today, **self.filters())
        self.model.set_rows(rows)
        stages = self.stage_combo.currentData()
        for stage, button in self.board_buttons.items():
            button.setChecked(stages == (stage,))
        self._update_buttons()

    def set_database(self, db) -> None:  # noqa: ANN001
        self.refresh()

    def open_with(self, tab: str | None = None, case_id: str | None = None, **_: Any) -> None:
        if tab == "stock":
            self.tabs.setCurrentIndex(self.stock_index)
        elif tab == "contractors":
            self.tabs.setCurrentIndex(self.contractors_index)
        elif tab == "cases" or case_id:
            self.tabs.setCurrentIndex(0)
        if case_id:
            self.stage_combo.setCurrentIndex(len(STAGE_FILTERS) - 1)
            self.table.select_key(case_id)

    def focus_filter(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.filter_bar.focus()

    def show_stage(self, stage: str) -> None:
        pos = next(i for i, (_, st) in enumerate(STAGE_FILTERS) if st == (stage,))
        if self.stage_combo.currentIndex() == pos:  # a second click: back to all open cases
            pos = 0
        self.stage_combo.setCurrentIndex(pos)
        self.load_cases()

    def _show_districts(self, on: bool) -> None:
        self.table.setColumnHidden(self.model.columnCount() - 1, not on)

    def _filter_contractors(self) -> None:
        if self.inactive_check.isChecked():
            self.contractor_table.proxy.set_predicate("active", None)
        else:
            self.contractor_table.proxy.set_predicate("active", lambda r: r.active)

    def selected(self) -> svc.CaseRow | None:
        rows = self.table.selected_rows()
        return rows[0] if rows else None

    def current_record(self) -> tuple[str, str] | None:
        """The case chosen on the Cases tab, for Edit > History: (table, id)."""
        if self.tabs.currentIndex() != 0:
            return None
        row = self.selected()
        return ("sanctuary_case", row.case_id) if row is not None else None

    def _update_buttons(self) -> None:
        writable = not self.ctx.db.readonly
        row = self.selected()
        self.open_button.setEnabled(row is not None)
        self.delete_button.setEnabled(writable and row is not None and row.measures == 0)
        for button in (
            self.new_button,
            self.settings_button,
            self.delivery_button,
            self.count_button,
            self.add_item_button,
            self.add_contractor_button,
        ):
            button.setEnabled(writable)
        self.edit_item_button.setEnabled(writable and bool(self.stock_table.selected_rows()))
        self.edit_contractor_button.setEnabled(
            writable and bool(self.contractor_table.selected_rows())
        )

    # ------------------------------------------------------------------ actions
    def _run(self, dialog) -> bool:  # noqa: ANN001
        try:
            done = bool(dialog.exec())
        finally:
            dialog.deleteLater()
        if done:
            self.refresh()
        return done

    def new_case(self) -> bool:
        dialog = dlg.CaseDialog(self.ctx, self)
        done = self._run(dialog)
        if done and dialog.case_id:
            self.table.select_key(dialog.case_id)
        return done

    def open_case(self, case_id: str | None = None) -> bool:
        if case_id is None:
            row = self.selected()
            if row is None:
                return False
            case_id = row.case_id
        return self._run(dlg.CaseDialog(self.ctx, self, case_id=case_id))

    def delete_case(self) -> bool:
        row = self.selected()
        if row is None or not confirm(
            self,
            f"Delete case {row.reference}?",
            title="Delete a case",
            informative="Only for a case entered by mistake. A case that ends is declined, "
            "withdrawn or closed instead, so its record is kept.",
            yes="Delete it",
            no="Keep it",
            danger=True,
        ):
            return False
        try:
            with self.ctx.db.transaction() as s:
                svc.delete_case(s, row.case_id)
        except Exception as exc:  # noqa: BLE001 - shown as a sentence (or logged as a fault)
            show_error(self, exc, title="Delete a case", doing="deleting a case")
            return False
        self.ctx.notify_changed("sanctuary", self)
        self.refresh()
        return True

    def record_delivery(self) -> bool:
        rows = self.stock_table.selected_rows()
        return self._run(dlg.DeliveryDialog(self.ctx, self, rows[0].item_id if rows else None))

    def stock_count(self) -> bool:
        rows = self.stock_table.selected_rows()
        return self._run(dlg.CountDialog(self.ctx, self, rows[0].item_id if rows else None))

    def add_item(self) -> bool:
        return self._run(dlg.ItemDialog(self.ctx, self))

    def edit_item(self, item_id: str | None = None) -> bool:
        if item_id is None:
            rows = self.stock_table.selected_rows()
            if not rows:
                return False
            item_id = rows[0].item_id
        return self._run(dlg.ItemDialog(self.ctx, self, item_id=item_id))

    def add_contractor(self) -> bool:
        return self._run(dlg.ContractorDialog(self.ctx, self))

    def edit_contractor(self, contractor_id: str | None = None) -> bool:
        if contractor_id is None:
            rows = self.contractor_table.selected_rows()
            if not rows:
                return False
            contractor_id = rows[0].contractor_id
        return self._run(dlg.ContractorDialog(self.ctx, self, contractor_id=contractor_id))

    def edit_settings(self) -> bool:
        return self._run(dlg.SettingsDialog(self.ctx, self))

    # ------------------------------------------------------------------ exports
    def export_cases(self) -> Path | None:
        path = choose_save_file(
            self,
            "Export Sanctuary Scheme cases",
            suggested="sanctuary-cases.xlsx",
            file_filter="Excel workbooks (*.xlsx)",
            suffix=".xlsx",
            purpose="export",
            settings=self.ctx.settings,
        )
        if path is None:
            return None
        with_refs = confirm(
            self,
            "Include the case references?",
            title="Export Sanctuary Scheme cases",
            informative="A file with case references must be handled as OFFICIAL-SENSITIVE.",
            yes="Include them",
            no="Leave them out",
            danger=True,
        )
        with self.ctx.db.session() as s:
            addresses = svc.address_enabled(s)
        with_locations = confirm(
            self,
            "Include locations?",
            title="Export Sanctuary Scheme cases",
            informative="The postcode district of each home"
            + (", and its full address," if addresses else "")
            + " would be written to the file. Leave them out unless the reader needs them.",
            yes="Include them",
            no="Leave them out",
            danger=True,
        )
        db = self.ctx.db
        today = self.today

        def job(_progress, _cancel) -> int:  # noqa: ANN001
            from dvcoord.importers.sanctuary import export_cases

            with db.session() as s:
                return export_cases(
                    s,
                    path,
                    today=today,
                    with_case_references=with_refs,
                    with_locations=with_locations,
                )

        try:
            n = run_in_worker(self, "Exporting the cases", job, cancellable=False)
        except WorkAborted:
            return None
        self.ctx.show_message(f"{n} case(s) written to {path.name}.")
        inform(self, f"{n} case(s) written to {path}.", title="Export Sanctuary Scheme cases")
        return path

    def export_spend(self) -> Path | None:
        path = choose_save_file(
            self,
            "Export Sanctuary Scheme spend",
            suggested="sanctuary-spend.xlsx",
            file_filter="Excel workbooks (*.xlsx)",
            suffix=".xlsx",
            purpose="export",
            settings=self.ctx.settings,
        )
        if path is None:
            return None
        db = self.ctx.db
        today = self.today

        def job(_progress, _cancel) -> tuple[int, int]:  # noqa: ANN001
            from dvcoord.importers.sanctuary import export_spend

            with db.session() as s:
                years = svc.spend_years(s, today)
                export_spend(s, path, *years)
            return years

        try:
            first, last = run_in_worker(self, "Exporting the spend", job, cancellable=False)
        except WorkAborted:
            return None
        span = fy_label(first) + ("" if first == last else f" to {fy_label(last)}")
        self.ctx.show_message(f"Spend for {span} written to {path.name}.")
        inform(self, f"Spend for {span} written to {path}.", title="Export Sanctuary Scheme spend")
        return path
