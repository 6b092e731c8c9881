"""The Milestones view: every milestone of every plan, filtered to what is overdue, due
this quarter, due next quarter, due in a chosen financial quarter, done, or all; mark
them complete (undoably) and jump to their action.

The rows come from one :func:`milestones.milestone_rows` query; the filters are
predicates on those rows (the rules - what "overdue" means - are the rows' own
methods, from the service).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dvcoord.gui.context import AppContext
from dvcoord.gui.plans import common
from dvcoord.gui.plans.dialogs import capitalised
from dvcoord.gui.plans.operations import complete_milestones
from dvcoord.gui.plans.tree import one_line
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.widgets import DataTable, FilterBar, stretch_column
from dvcoord.services import dates, plan_lookup
from dvcoord.services import milestones as milestone_service

log = logging.getLogger(__name__)

MODES = (
    ("overdue", "&Overdue"),
    ("this_quarter", "&This quarter"),
    ("next_quarter", "&Next quarter"),
    ("quarter", "&Quarter:"),
    ("done", "&Done"),
    ("all", "&All"),
)
TILE_MODES = {"plans.overdue_milestones": "overdue", "plans.due_this_quarter": "this_quarter"}
ALL = "\x00all"


def state_text(row: milestone_service.MilestoneRow, on: date) -> str:
    days = row.days_overdue(on)
    if days:
        return f"Overdue ({days} day{'s' if days != 1 else ''})"
    return capitalised(row.status)


class MilestonesView(QWidget):
    """See the module notes.  ``open_with(mode="overdue")`` (or ``tile=`` a dashboard
    tile key) chooses the filter."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("milestonesView")
        self.mode = "overdue"
        self.quarter = dates.quarter_of(common.today())
        self.rows: list[milestone_service.MilestoneRow] = []
        self._applied: dict[str, Any] = {}
        self._build()
        saved = ctx.settings.view_value("milestones", "mode", "overdue")
        self.set_mode(saved if saved in dict(MODES) else "overdue", save=False)
        self.refresh()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 6)
        outer.setSpacing(6)
        title = common.style_label(QLabel("Milestones", self), "editorHeading")
        self.summary = QLabel(self)
        self.summary.setObjectName("milestoneSummary")
        self.summary.setAccessibleName("Summary")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(self.summary, 1)
        outer.addLayout(head)

        modes = QHBoxLayout()
        show = QLabel("Show:", self)
        modes.addWidget(show)
        self.mode_group = QButtonGroup(self)
        self.mode_buttons: dict[str, QToolButton] = {}
        for n, (key, text) in enumerate(MODES):
            button = QToolButton(self)
            button.setText(text)
            button.setObjectName(f"mode_{key}")
            button.setCheckable(True)
            button.setAccessibleName(text.replace("&", "").rstrip(":"))
            self.mode_group.addButton(button, n)
            self.mode_buttons[key] = button
            modes.addWidget(button)
            if key == "quarter":
                self.quarter_combo = QComboBox(self)
                self.quarter_combo.setObjectName("quarterCombo")
                self.quarter_combo.setAccessibleName("Financial quarter")
                self.quarter_combo.activated.connect(lambda _i: self._quarter_chosen())
                modes.addWidget(self.quarter_combo)
        self.mode_group.idClicked.connect(lambda n: self.set_mode(MODES[n][0]))
        modes.addStretch(1)
        outer.addLayout(modes)

        filters = QHBoxLayout()
        self.filter_bar = FilterBar(
            self, placeholder="Filter milestones…", accessible_name="Filter milestones"
        )
        filters.addWidget(self.filter_bar, 2)
        plan_label = QLabel("&Plan:", self)
        self.plan_combo = QComboBox(self)
        self.plan_combo.setObjectName("planFilter")
        self.plan_combo.setAccessibleName("Filter by plan")
        self.plan_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.plan_combo.setMinimumContentsLength(30)
        plan_label.setBuddy(self.plan_combo)
        self.plan_combo.activated.connect(lambda _i: self._apply())
        filters.addWidget(plan_label)
        filters.addWidget(self.plan_combo, 2)
        self.archived = QCheckBox("Include archived plans", self)
        self.archived.setObjectName("includeArchived")
        self.archived.toggled.connect(lambda _on: self.refresh())
        filters.addWidget(self.archived)
        outer.addLayout(filters)

        self.model = RowTableModel(self._columns(), row_key=lambda r: r.id)
        self.table = DataTable(
            self.model, self, accessible_name="Milestones", multi_select=True, sort_column=-1
        )
        self.table.setObjectName("milestonesTable")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        stretch_column(self.table, 3)
        self.filter_bar.connect_proxy(self.table.proxy)
        self.filter_bar.changed.connect(lambda _t: self._update_summary())
        self.table.row_activated.connect(lambda row: self.go_to_action(row))
        self.table.rows_selected.connect(lambda _rows: self._update_buttons())
        outer.addWidget(self.table, 1)

        buttons = QHBoxLayout()
        self.complete_button = QPushButton("Mark &complete…", self)
        self.complete_button.setObjectName("completeButton")
        self.complete_button.setAccessibleName("Mark the chosen milestones complete")
        self.complete_button.clicked.connect(self.complete_selected)
        self.goto_button = QPushButton("&Go to action", self)
        self.goto_button.setObjectName("goToActionButton")
        self.goto_button.setAccessibleName("Show the chosen milestone's action")
        self.goto_button.clicked.connect(lambda: self.go_to_action(self.table.current_row()))
        buttons.addWidget(self.complete_button)
        buttons.addWidget(self.goto_button)
        buttons.addStretch(1)
        outer.addLayout(buttons)

    def _columns(self) -> list[Column]:
        def overdue_colour(row: Any) -> str | None:
            return "#B3261E" if row.is_overdue(common.today()) else None

        return [
            Column("Plan", lambda r: r.plan_title, width=16),
            Column("Theme", lambda r: r.theme_title, width=12),
            Column("Action", lambda r: r.action_reference, width=7),
            Column("Milestone", lambda r: one_line(r.text, 300), width=34),
            Column(
                "Due (as written)",
                lambda r: r.due_text,
                sort_key=lambda r: (r.due_end is None, r.due_end),
                width=17,
                foreground=lambda r: "#5C3A00" if r.due_flagged else None,
                tooltip=lambda r: (
                    "Could not be read as a date; kept as written." if r.due_flagged else None
                ),
            ),
            Column("Due by", lambda r: r.due_end, width=10),
            Column(
                "Status",
                lambda r: state_text(r, common.today()),
                sort_key=lambda r: (-r.days_overdue(common.today()), r.status),
                foreground=overdue_colour,
                width=19,
            ),
            Column("Completed", lambda r: r.completed_on, width=10),
            Column("Lead", lambda r: r.lead, width=14),
        ]

    # ------------------------------------------------------------------ loading
    def refresh(self) -> None:
        today = common.today()
        with self.ctx.db.session() as s:
            self.rows = milestone_service.milestone_rows(
                s, include_archived=self.archived.isChecked()
            )
            plans = [
                (p.id, p.label)
                for p in plan_lookup.plan_choices(s, include_archived=self.archived.isChecked())
            ]
        current = self.plan_combo.currentData()
        self.plan_combo.clear()
        self.plan_combo.addItem("All plans", ALL)
        for plan_id, title in plans:
            self.plan_combo.addItem(one_line(title, 110), plan_id)
        pos = self.plan_combo.findData(current) if current else 0
        self.plan_combo.setCurrentIndex(max(pos, 0))
        self._fill_quarters(today)
        self._apply(summary=False)  # filters first: the new rows are then filtered once
        self.model.set_rows(self.rows)
        self._update_summary()
        self._update_buttons()

    def set_database(self, db) -> None:  # noqa: ANN001
        self.refresh()

    def _fill_quarters(self, today: date) -> None:
        fy_now = dates.financial_year_of(today)
        years = {r.due_end.year for r in self.rows if r.due_end is not None}
        first = min([fy_now - 2, *(y - 1 for y in years)])
        last = max([fy_now + 2, *years])
        first = max(first, fy_now - 30)
        self.quarter_combo.blockSignals(True)
        self.quarter_combo.clear()
        for fy in range(last, first - 1, -1):
            for q in (4, 3, 2, 1):
                self.quarter_combo.addItem(dates.quarter_label(fy, q), (fy, q))
        pos = next(
            (
                i
                for i in range(self.quarter_combo.count())
                if self.quarter_combo.itemData(i) == self.quarter
            ),
            -1,
        )
        if pos < 0:
            self.quarter_combo.addItem(dates.quarter_label(*self.quarter), self.quarter)
            pos = self.quarter_combo.count() - 1
        self.quarter_combo.setCurrentIndex(pos)
        self.quarter_combo.blockSignals(False)

    # ------------------------------------------------------------------ filters
    def set_mode(self, mode: str, *, save: bool = True) -> None:
        self.mode = mode
        today = common.today()
        if mode == "this_quarter":
            self.quarter = dates.quarter_of(today)
        elif mode == "next_quarter":
            self.quarter = dates.next_quarter(*dates.quarter_of(today))
        self.mode_buttons[mode].setChecked(True)
        if mode in ("this_quarter", "next_quarter") and self.quarter_combo.count():
            self._fill_quarters(today)
        if save:
            self.ctx.settings.set_view_value("milestones", "mode", mode)
        self._apply()

    def set_quarter(self, fy: int, q: int) -> None:
        """Show the milestones due in quarter ``q`` of financial year ``fy``."""
        self.quarter = (fy, q)
        self._fill_quarters(common.today())
        self.set_mode("quarter")

    def _quarter_chosen(self) -> None:
        data = self.quarter_combo.currentData()
        if data:
            self.quarter = tuple(data)
            self.set_mode("quarter")

    def _mode_predicate(self):
        today = common.today()
        if self.mode == "overdue":
            return lambda r: r.is_overdue(today)
        if self.mode in ("this_quarter", "next_quarter", "quarter"):
            start, end = dates.quarter_range(*self.quarter)
            return lambda r: r.due_end is not None and start <= r.due_end <= end
        if self.mode == "done":
            return lambda r: r.status == "complete"
        return None

    def _apply(self, *, summary: bool = True) -> None:
        """Filter by the mode and the plan chosen (the proxy refilters only on a change)."""
        if not hasattr(self, "table"):
            return
        proxy = self.table.proxy
        mode_key = (self.mode, self.quarter, common.today())
        if mode_key != self._applied.get("mode"):
            self._applied["mode"] = mode_key
            proxy.set_predicate("mode", self._mode_predicate())
        plan = self.plan_combo.currentData()
        plan = None if plan in (None, ALL) else plan
        if plan != self._applied.get("plan", None) or "plan" not in self._applied:
            self._applied["plan"] = plan
            proxy.set_predicate(
                "plan", None if plan is None else (lambda r, x=plan: r.plan_id == x)
            )
        if summary:
            self._update_summary()
            self._update_buttons()

    def _update_summary(self) -> None:
        today = common.today()
        proxy = self.table.proxy
        count = proxy.rowCount()
        if self.mode == "overdue":
            text = f"{count} overdue on {dates.format_date(today)}"
        elif self.mode in ("this_quarter", "next_quarter", "quarter"):
            shown = proxy.visible_rows()  # one quarter: a short list
            done = sum(1 for r in shown if r.status == "complete")
            still = sum(1 for r in shown if r.status == "open")
            text = f"{count} due in {dates.quarter_label(*self.quarter)}: {done} done, {still} open"
        elif self.mode == "done":
            text = f"{count} complete"
        else:
            text = f"{count} milestones"
            if not self.filter_bar.text():
                plan = self._applied.get("plan")
                overdue = sum(
                    1
                    for r in self.rows
                    if r.is_overdue(today) and (plan is None or r.plan_id == plan)
                )
                text += f", {overdue} overdue"
        self.summary.setText(text)

    def _update_buttons(self) -> None:
        chosen = self.table.selected_rows()
        writable = not self.ctx.db.readonly
        self.complete_button.setEnabled(writable and any(r.status != "complete" for r in chosen))
        self.goto_button.setEnabled(self.table.current_row() is not None)

    def current_record(self) -> tuple[str, str] | None:
        """The milestone chosen here, for Edit > History: (table, id)."""
        row = self.table.current_row()
        return ("milestone", row.id) if row is not None else None

    def focus_filter(self) -> None:
        self.filter_bar.focus()

    def open_with(self, mode: str | None = None, tile: str | None = None, **_: Any) -> None:
        wanted = mode or TILE_MODES.get(tile or "")
        if wanted in dict(MODES):
            self.set_mode(wanted)

    # ------------------------------------------------------------------ actions
    def complete_selected(self) -> bool:
        rows = [r for r in self.table.selected_rows() if r.status != "complete"]
        if not rows or self.ctx.db.readonly:
            return False
        return complete_milestones(
            self.ctx, self, rows, after=lambda _c, _p: self.refresh(), source=self
        )

    def go_to_action(self, row: milestone_service.MilestoneRow | None) -> None:
        if row is not None:
            self.ctx.open_view("plans", action_id=row.action_id)
