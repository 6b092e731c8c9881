"""The Panic alarms view: stock counts, the inventory and the due lists.

Counts (available / on loan / out of service) and the low-stock warning stay visible
above the tabs.  The inventory filters by status and searches asset tags and serial
numbers; each loan or status operation is one dialog (:mod:`dvcoord.gui.alarms_dialogs`).
The Due lists tab shows loans past review, devices due a test, batteries due and
warranties ending.  Everything is read through :mod:`dvcoord.services.alarms`.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dvcoord.gui import alarms_dialogs as dlg
from dvcoord.gui.context import AppContext
from dvcoord.gui.import_preview import choose_and_preview
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.widgets import (
    DataTable,
    FilterBar,
    choose_save_file,
    confirm,
    inform,
    stretch_column,
)
from dvcoord.gui.workers import WorkAborted, run_in_worker
from dvcoord.services import alarms as svc

log = logging.getLogger(__name__)

TEST_LOOKAHEAD_DAYS = 14
BATTERY_LOOKAHEAD_DAYS = 30
WARRANTY_LOOKAHEAD_DAYS = 60

#: Status filter label -> statuses shown (None: every status).
STATUS_FILTERS: list[tuple[str, tuple[str, ...] | None]] = [
    ("In stock (not retired)", tuple(s for s in svc.ALARM_STATUSES if s != "retired")),
    ("Available", ("available",)),
    ("On loan", ("issued", "awaiting return")),
    ("Out of service", ("in repair", "faulty", "lost")),
    ("Retired", ("retired",)),
    ("Every alarm", None),
]
_STATUS_COLOURS = {
    "available": "#2E7D32",
    "issued": "#1D4E89",
    "awaiting return": "#8A5A00",
    "in repair": "#8A5A00",
    "faulty": "#B3261E",
    "lost": "#B3261E",
    "retired": "#505A5F",
}


def _when(due: date | None, today: date) -> str:
    if due is None:
        return ""
    days = (due - today).days
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} overdue"
    if days == 0:
        return "today"
    return f"in {days} day{'s' if days != 1 else ''}"


class AlarmsView(QWidget):
    """Inventory, loans and due lists of the panic-alarm stock."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("alarmsView")
        self.today = date.today()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 12)
        title = QLabel("Panic alarms", self)
        title.setObjectName("pageTitle")
        outer.addWidget(title)

        counts = QHBoxLayout()
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("alarmCounts")
        self.counts_label.setAccessibleName("Alarm stock counts")
        self.counts_label.setTextFormat(Qt.TextFormat.PlainText)
        self.low_stock_label = QLabel(self)
        self.low_stock_label.setObjectName("lowStockWarning")
        self.low_stock_label.setProperty("role", "error")
        self.low_stock_label.setAccessibleName("Low-stock warning")
        counts.addWidget(self.counts_label)
        counts.addSpacing(16)
        counts.addWidget(self.low_stock_label)
        counts.addStretch(1)
        self.settings_button = self._button(
            "Settings…", "Low-stock warning level", self.edit_settings, counts
        )
        outer.addLayout(counts)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("alarmTabs")
        outer.addWidget(self.tabs, 1)
        self._build_inventory()
        self._build_due()
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

    def _build_inventory(self) -> None:
        page = QWidget(self.tabs)
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        show = QLabel("&Show:", page)
        self.status_combo = QComboBox(page)
        self.status_combo.setObjectName("statusFilter")
        self.status_combo.setAccessibleName("Show alarms with status")
        show.setBuddy(self.status_combo)
        for label, statuses in STATUS_FILTERS:
            self.status_combo.addItem(label, statuses)
        self.status_combo.currentIndexChanged.connect(self._apply_status_filter)
        self.filter_bar = FilterBar(
            page,
            placeholder="Search asset tag or serial number…",
            accessible_name="Search by asset tag or serial number",
        )
        top.addWidget(show)
        top.addWidget(self.status_combo)
        top.addWidget(self.filter_bar, 1)
        layout.addLayout(top)

        buttons = QHBoxLayout()
        self.issue_button = self._button(
            "Issue…", "Lend an available alarm to a case", self.issue, buttons
        )
        self.return_button = self._button(
            "Return…", "The alarm is back", self.return_alarm, buttons
        )
        self.review_button = self._button(
            "Extend review…", "Move the loan's review date later", self.extend_review, buttons
        )
        self.status_button = self._button(
            "Change status…",
            "Mark lost or faulty, repair, back in service, retire",
            self.change_status,
            buttons,
        )
        self.log_button = self._button(
            "Record test…",
            "Record a test, battery change, SIM change or repair",
            self.record_log,
            buttons,
        )
        self.history_button = self._button(
            "History…", "Everything that happened to the alarm", self.show_history, buttons
        )
        buttons.addStretch(1)
        self.add_button = self._button(
            "Add alarm…", "Add a device to the stock", self.add_alarm, buttons
        )
        self.edit_button = self._button(
            "Edit…", "Change the alarm's details", self.edit_alarm, buttons
        )
        self.import_button = self._button(
            "Import…", "Import a stock spreadsheet (.xlsx, .csv)", self.import_stock, buttons
        )
        self.export_button = self._button(
            "Export…", "Write the inventory to .xlsx", self.export_stock, buttons
        )
        layout.addLayout(buttons)

        self.model = RowTableModel(
            [
                Column("Asset tag", lambda r: r.asset_tag, width=11),
                Column("Serial number", lambda r: r.serial_number, width=14),
                Column("Type", lambda r: r.type_name, width=20, searchable=False),
                Column(
                    "Status",
                    lambda r: r.status,
                    text=lambda r: r.status.capitalize(),
                    foreground=lambda r: _STATUS_COLOURS.get(r.status),
                    width=14,
                    searchable=False,
                ),
                Column("With agency", lambda r: r.loan_agency, width=16, searchable=False),
                Column("Case reference", lambda r: r.case_reference, width=21, searchable=False),
                Column("Issued", lambda r: r.issued_date, width=10, searchable=False),
                Column(
                    "Review",
                    lambda r: r.review_date,
                    width=10,
                    searchable=False,
                    foreground=lambda r: (
                        "#B3261E" if r.review_date and r.review_date < self.today else None
                    ),
                    tooltip=lambda r: (
                        f"Review {_when(r.review_date, self.today)}" if r.review_date else None
                    ),
                ),
                Column(
                    "Next test",
                    lambda r: r.next_test_due,
                    width=10,
                    searchable=False,
                    foreground=lambda r: (
                        "#B3261E" if r.next_test_due and r.next_test_due < self.today else None
                    ),
                ),
                Column("Battery due", lambda r: r.battery_due, width=10, searchable=False),
                Column("Stored at", lambda r: r.storage_location, width=24, searchable=False),
            ],
            row_key=lambda r: r.alarm_id,
        )
        self.table = DataTable(
            self.model,
            page,
            accessible_name="Panic alarm inventory",
            filter_columns=[0, 1],
            sort_column=0,
        )
        self.filter_bar.connect_proxy(self.table.proxy)
        self.table.rows_selected.connect(lambda _rows: self._update_buttons())
        self.table.row_activated.connect(lambda row: self.show_history(row.alarm_id))
        layout.addWidget(self.table, 1)
        self.tabs.addTab(page, "&Inventory")
        self._apply_status_filter()

    def _due_table(
        self,
        layout,
        title: str,
        name: str,
        columns: list[Column],  # noqa: ANN001
        key,
    ) -> tuple[QLabel, DataTable]:  # noqa: ANN001
        heading = QLabel(title, self)
        heading.setObjectName("sectionHeading")
        model = RowTableModel(columns, row_key=key)
        table = DataTable(model, self, accessible_name=title)
        table.setObjectName(name)
        table.row_activated.connect(lambda row: self.show_history(row.alarm_id))
        layout.addWidget(heading)
        layout.addWidget(table, 1)
        return heading, table

    def _build_due(self) -> None:
        page = QWidget(self.tabs)
        layout = QVBoxLayout(page)
        note = QLabel(
            f"Loans past their review date; devices due a test in the next "
            f"{TEST_LOOKAHEAD_DAYS} days; batteries due in the next {BATTERY_LOOKAHEAD_DAYS} "
            f"days; warranties ending in the next {WARRANTY_LOOKAHEAD_DAYS} days. "
            "Double-click a row for the alarm's history.",
            page,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.reviews_heading, self.reviews_table = self._due_table(
            layout,
            "Loans past review",
            "reviewsTable",
            [
                Column("Asset tag", lambda r: r.asset_tag, width=11),
                Column("Agency", lambda r: r.agency, width=20),
                Column("Case reference", lambda r: r.case_reference, width=21),
                Column("Issued", lambda r: r.issued_date, width=10),
                Column("Review", lambda r: r.review_date, width=10),
                Column("Days overdue", lambda r: r.days_past_review, width=12),
            ],
            lambda r: r.loan_id,
        )
        self.tests_heading, self.tests_table = self._due_table(
            layout,
            "Devices due a test",
            "testsTable",
            [
                Column("Asset tag", lambda r: r.asset_tag, width=11),
                Column("Type", lambda r: r.type_name, width=20),
                Column("Status", lambda r: r.status.capitalize(), width=14),
                Column("Last passed test", lambda r: r.last_test, width=12),
                Column("Due", lambda r: r.due, width=10),
                Column(
                    "When",
                    lambda r: _when(r.due, self.today),
                    sort_key=lambda r: r.due,
                    width=18,
                ),
            ],
            lambda r: r.alarm_id,
        )
        self.batteries_heading, self.batteries_table = self._due_table(
            layout,
            "Batteries due",
            "batteriesTable",
            [
                Column("Asset tag", lambda r: r.asset_tag, width=11),
                Column("Type", lambda r: r.type_name, width=20),
                Column("Last change", lambda r: r.last_change, width=12),
                Column("Due", lambda r: r.due, width=10),
                Column(
                    "When",
                    lambda r: _when(r.due, self.today),
                    sort_key=lambda r: r.due,
                    width=18,
                ),
            ],
            lambda r: r.alarm_id,
        )
        self.warranties_heading, self.warranties_table = self._due_table(
            layout,
            "Warranties ending",
            "warrantiesTable",
            [
                Column("Asset tag", lambda r: r.asset_tag, width=11),
                Column("Type", lambda r: r.type_name, width=20),
                Column("Status", lambda r: r.status.capitalize(), width=14),
                Column("Warranty ends", lambda r: r.warranty_end, width=14),
                Column("Days left", lambda r: r.days_left, width=10),
            ],
            lambda r: r.alarm_id,
        )
        for table in (
            self.reviews_table,
            self.tests_table,
            self.batteries_table,
            self.warranties_table,
        ):
            stretch_column(table, 1)
        self.due_index = self.tabs.addTab(page, "&Due lists")

    # ------------------------------------------------------------------ data
    def refresh(self) -> None:
        self.today = date.today()
        today = self.today
        with self.ctx.db.session() as s:
            rows = svc.inventory(s)
            counts = svc.stock_counts(s)
            threshold = svc.low_stock_threshold(s)
            reviews = svc.loans_past_review(s, today)
            tests = svc.tests_due(s, today, TEST_LOOKAHEAD_DAYS)
            batteries = svc.batteries_due(s, today, BATTERY_LOOKAHEAD_DAYS)
            warranties = svc.warranties_ending(s, today, WARRANTY_LOOKAHEAD_DAYS)
        self.model.set_rows(rows)
        self.counts = counts
        self.counts_label.setText(
            f"Available: {counts.available}    On loan: {counts.issued}    "
            f"Out of service: {counts.out_of_service}    Retired: {counts.retired}"
        )
        warning = svc.low_stock_warning(counts, threshold)
        self.low_stock_label.setText(warning or "")
        self.low_stock_label.setVisible(bool(warning))
        for heading, table, found, title in (
            (self.reviews_heading, self.reviews_table, reviews, "Loans past review"),
            (self.tests_heading, self.tests_table, tests, "Devices due a test"),
            (self.batteries_heading, self.batteries_table, batteries, "Batteries due"),
            (self.warranties_heading, self.warranties_table, warranties, "Warranties ending"),
        ):
            heading.setText(f"{title} ({len(found)})")
            table.source_model.set_rows(found)
        overdue = len(reviews) + sum(1 for t in tests if t.due < today)
        self.tabs.setTabText(
            self.due_index, f"&Due lists ({overdue} overdue)" if overdue else "&Due lists"
        )
        self._update_buttons()

    def set_database(self, db) -> None:  # noqa: ANN001
        self.refresh()

    def open_with(self, tab: str | None = None, alarm_id: str | None = None, **_: Any) -> None:
        if tab == "due":
            self.tabs.setCurrentIndex(self.due_index)
        elif tab == "inventory" or alarm_id:
            self.tabs.setCurrentIndex(0)
        if alarm_id:
            self.status_combo.setCurrentIndex(len(STATUS_FILTERS) - 1)
            self.table.select_key(alarm_id)

    def focus_filter(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.filter_bar.focus()

    def _apply_status_filter(self, _index: int = 0) -> None:
        statuses = self.status_combo.currentData()
        if statuses is None:
            self.table.proxy.set_predicate("status", None)
        else:
            wanted = set(statuses)
            self.table.proxy.set_predicate("status", lambda r: r.status in wanted)
        self._update_buttons()

    def selected(self) -> svc.InventoryRow | None:
        rows = self.table.selected_rows()
        return rows[0] if rows else None

    def current_record(self) -> tuple[str, str] | None:
        """The alarm chosen in the inventory, for Edit > History: (table, id)."""
        if self.tabs.currentIndex() != 0:
            return None
        row = self.selected()
        return ("alarm", row.alarm_id) if row is not None else None

    def _update_buttons(self) -> None:
        row = self.selected()
        status = row.status if row else ""
        writable = not self.ctx.db.readonly
        self.issue_button.setEnabled(
            writable
            and (row is None or status == "available")
            and getattr(self, "counts", None) is not None
            and self.counts.available > 0
        )
        self.return_button.setEnabled(writable and status in ("issued", "awaiting return"))
        self.review_button.setEnabled(writable and status in ("issued", "awaiting return"))
        self.status_button.setEnabled(writable and bool(svc.status_actions(status)))
        self.log_button.setEnabled(writable and row is not None and status != "retired")
        self.history_button.setEnabled(row is not None)
        self.edit_button.setEnabled(writable and row is not None)
        for button in (self.add_button, self.import_button, self.settings_button):
            button.setEnabled(writable)

    # ------------------------------------------------------------------ actions
    def _run(self, dialog) -> bool:  # noqa: ANN001
        try:
            done = bool(dialog.exec())
        finally:
            dialog.deleteLater()
        if done:
            self.refresh()
        return done

    def issue(self) -> bool:
        row = self.selected()
        alarm_id = row.alarm_id if row is not None and row.status == "available" else None
        return self._run(dlg.IssueDialog(self.ctx, self, alarm_id=alarm_id))

    def return_alarm(self) -> bool:
        row = self.selected()
        return row is not None and self._run(dlg.ReturnDialog(self.ctx, row.alarm_id, self))

    def extend_review(self) -> bool:
        row = self.selected()
        return row is not None and self._run(dlg.ReviewDialog(self.ctx, row.alarm_id, self))

    def change_status(self, action: str | None = None) -> bool:
        row = self.selected()
        return row is not None and self._run(
            dlg.StatusDialog(self.ctx, row.alarm_id, self, action=action)
        )

    def record_log(self) -> bool:
        row = self.selected()
        return row is not None and self._run(dlg.LogDialog(self.ctx, row.alarm_id, self))

    def add_alarm(self) -> bool:
        dialog = dlg.AlarmDialog(self.ctx, self)
        done = self._run(dialog)
        if done and dialog.result_value:
            self.table.select_key(dialog.result_value)
        return done

    def edit_alarm(self) -> bool:
        row = self.selected()
        return row is not None and self._run(dlg.AlarmDialog(self.ctx, self, alarm_id=row.alarm_id))

    def edit_settings(self) -> bool:
        return self._run(dlg.StockSettingsDialog(self.ctx, self))

    def show_history(self, alarm_id: str | None = None) -> bool:
        if alarm_id is None:
            row = self.selected()
            if row is None:
                return False
            alarm_id = row.alarm_id
        dialog = dlg.HistoryDialog(self.ctx, alarm_id, self)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()
        return True

    def import_stock(self) -> bool:
        dialog = choose_and_preview(
            self,
            "Import alarm stock",
            dlg.read_sheet_in_worker,
            lambda sheet: dlg.ImportDialog(self.ctx, sheet, self),
        )
        return dialog is not None and self._run(dialog)

    def export_stock(self) -> Path | None:
        path = choose_save_file(
            self,
            "Export the alarm inventory",
            suggested="alarm-inventory.xlsx",
            file_filter="Excel workbooks (*.xlsx)",
            suffix=".xlsx",
            purpose="export",
            settings=self.ctx.settings,
        )
        if path is None:
            return None
        with_refs = confirm(
            self,
            "Include the case references of open loans?",
            title="Export the alarm inventory",
            informative="A file with case references must be handled as OFFICIAL-SENSITIVE.",
            yes="Include them",
            no="Leave them out",
            danger=True,
        )
        db = self.ctx.db

        def job(_progress, _cancel) -> int:  # noqa: ANN001
            from dvcoord.importers.alarms import export_inventory

            with db.session() as s:
                return export_inventory(s, path, include_case_references=with_refs)

        try:
            n = run_in_worker(self, "Exporting the alarm inventory", job, cancellable=False)
        except WorkAborted:
            return None
        self.ctx.show_message(f"{n} alarm(s) written to {path.name}.")
        inform(self, f"{n} alarm(s) written to {path}.", title="Export the alarm inventory")
        return path
