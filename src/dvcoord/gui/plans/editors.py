"""The editors beside the plan tree: the plan at a glance, a theme, an aim, an action.

Every field is saved when the user leaves it, through the view's undoable commands;
a refusal is shown under the field with the typed text kept.  An editor in *new* mode
(after "Add theme", "Add aim" or "Add action") saves nothing until its Add button is
pressed, and then creates the row with everything filled in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from dvcoord.errors import DvcoordError
from dvcoord.gui.formatting import format_date, rag_colours
from dvcoord.gui.plans.common import (
    FormBinder,
    PlainTextEdit,
    RagCombo,
    TargetPreview,
    error_label,
    rag_icon,
    show_field_error,
    style_label,
    today,
)
from dvcoord.gui.plans.dialogs import capitalised
from dvcoord.gui.plans.indicator_links import LinkedIndicatorsTab
from dvcoord.gui.tablemodel import Column, RowTableModel, rag_column
from dvcoord.gui.widgets import DataTable, stretch_column
from dvcoord.services import dates, plan_lookup
from dvcoord.services import indicators as indicator_service
from dvcoord.services import milestones as milestone_service
from dvcoord.services import plans as plan_service
from dvcoord.store.schema.plans import ACTION_STATUSES

if TYPE_CHECKING:
    from dvcoord.gui.plans.view import PlansView

ACTION_FIELDS = (
    "reference",
    "text",
    "lead_text",
    "target_text",
    "status",
    "rag",
    "outcomes",
    "baseline",
    "performance_measure",
    "outputs",
    "funding_source",
    "cost_pence",
)


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class MilestoneLine:
    id: str
    text: str
    due_text: str
    due_end: date | None
    status: str
    completed_on: date | None
    position: int

    def state(self, on: date) -> str:
        if self.status == "complete":
            return "Complete"
        if self.status == "dropped":
            return "Dropped"
        if self.due_end is not None and self.due_end < on:
            return f"Overdue ({(on - self.due_end).days} days)"
        return "Open"


@dataclass(frozen=True)
class UpdateLine:
    id: str
    update_date: date
    author: str
    agency: str
    rag: str
    text: str


@dataclass
class ActionData:
    id: str
    plan_id: str
    plan_title: str
    theme_id: str
    aim_id: str | None
    where: str
    values: dict[str, Any]
    lead_ids: list[str]
    support_ids: list[str]
    lead_names: list[str]
    support_names: list[str]
    milestones: list[MilestoneLine]
    updates: list[UpdateLine]
    rag_key: list[plan_service.RagKeyEntry]
    #: The performance indicators linked to the action, with their latest figures.
    indicators: list[indicator_service.IndicatorRow] = field(default_factory=list)


def where_label(theme_code: str, theme_title: str, aim_ref: str = "", aim_text: str = "") -> str:
    theme = f"{theme_code} {theme_title}".strip()
    if not (aim_ref or aim_text):
        return theme
    aim = f"{aim_ref} {aim_text}".strip()
    return f"{theme} › {aim if len(aim) < 60 else aim[:59] + '…'}"


def fetch_action(session: Session, action_id: str, agency_names: dict[str, str]) -> ActionData:
    """Everything the action editor shows, read through the services."""
    action = plan_service.get_action(session, action_id)
    place = plan_lookup.action_place(session, action_id)
    header = plan_lookup.plan_header(session, action.plan_id)
    links = plan_service.agency_links(session, action.id)
    lead = [link for link in links if link.role == "lead"]
    support = [link for link in links if link.role == "support"]
    return ActionData(
        id=action.id,
        plan_id=header.id,
        plan_title=header.title,
        theme_id=action.theme_id,
        aim_id=action.aim_id,
        where=where_label(place.theme_code, place.theme_title, place.aim_reference, place.aim_text),
        values={name: getattr(action, name) for name in ACTION_FIELDS},
        lead_ids=[link.agency_id for link in lead],
        support_ids=[link.agency_id for link in support],
        lead_names=[agency_names.get(link.agency_id, "") for link in lead],
        support_names=[agency_names.get(link.agency_id, "") for link in support],
        milestones=[
            MilestoneLine(m.id, m.text, m.due_text, m.due_end, m.status, m.completed_on, m.position)
            for m in milestone_service.milestones_for_action(session, action.id)
        ],
        updates=[
            UpdateLine(
                u.id,
                u.update_date,
                u.author,
                agency_names.get(u.agency_id or "", ""),
                u.rag,
                u.text,
            )
            for u in plan_service.progress_history(session, action.id)
        ],
        rag_key=list(header.rag_key),
        indicators=indicator_service.action_indicator_rows(session, action.id, today()),
    )


# --------------------------------------------------------------------------- base
class Editor(QWidget):
    """A titled form whose fields are saved as they are left (see module notes)."""

    kind = ""
    created = Signal(str)  # id of a row made in new mode

    def __init__(self, view: PlansView, title: str) -> None:
        super().__init__(view)
        self.view = view
        self.row_id: str | None = None
        self.raw: dict[str, Any] = {}
        self.new_mode = False
        self.parent_info: dict[str, Any] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.inner = QWidget(self.scroll)
        self.inner.setObjectName("editorInner")
        self.body = QVBoxLayout(self.inner)
        self.body.setContentsMargins(16, 12, 16, 12)
        self.body.setSpacing(8)
        self.kind_label = style_label(QLabel(title, self.inner), "editorKind")
        self.heading = style_label(QLabel(self.inner), "editorHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = error_label(self.inner, "Problem")
        self.body.addWidget(self.kind_label)
        self.body.addWidget(self.heading)
        self.body.addWidget(self.banner)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(4)
        self.grid.setColumnStretch(1, 1)
        self._grid_row = 0
        self.body.addLayout(self.grid)
        self.binder = FormBinder(self)
        self.binder.committed.connect(self._committed)
        self.scroll.setWidget(self.inner)
        outer.addWidget(self.scroll)
        # new-mode buttons
        self.new_bar = QWidget(self)
        bar = QHBoxLayout(self.new_bar)
        bar.setContentsMargins(16, 6, 16, 10)
        self.add_button = QPushButton(f"&Add {title.lower()}", self.new_bar)
        self.add_button.setObjectName("addButton")
        self.add_button.setDefault(True)
        self.add_button.setAccessibleName(f"Add this {title.lower()}")
        self.cancel_button = QPushButton("Cancel", self.new_bar)
        self.cancel_button.setObjectName("cancelNewButton")
        bar.addStretch(1)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.add_button)
        self.add_button.clicked.connect(self.create)
        self.cancel_button.clicked.connect(self.cancel_new)
        outer.addWidget(self.new_bar)
        self.new_bar.hide()

    # ------------------------------------------------------------------ building
    def add_field(
        self,
        name: str,
        label: str,
        widget: QWidget,
        *,
        accessible: str,
        help_text: str = "",
        extra: QWidget | None = None,
    ) -> QWidget:
        caption = QLabel(label, self.inner)
        caption.setBuddy(widget)
        caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        caption.setObjectName("fieldCaption")
        widget.setObjectName(f"{name}Field")
        widget.setAccessibleName(accessible)
        if help_text:
            widget.setToolTip(help_text)
        err = error_label(self.inner, f"Problem with the {accessible.lower()}")
        err.setObjectName(f"{name}Error")
        r = self._grid_row
        self.grid.addWidget(caption, r, 0)
        self.grid.addWidget(widget, r, 1)
        r += 1
        if extra is not None:
            self.grid.addWidget(extra, r, 1)
            r += 1
        self.grid.addWidget(err, r, 1)
        self._grid_row = r + 1
        self.binder.add(name, widget, err)
        return widget

    def line_edit(self, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(self.inner)
        edit.setPlaceholderText(placeholder)
        return edit

    def text_edit(self, lines: int = 3) -> PlainTextEdit:
        return PlainTextEdit(self.inner, lines=lines)

    # ------------------------------------------------------------------ state
    def values_for_form(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The values as the form shows them (override to format)."""
        return dict(raw)

    def load(self, row_id: str, raw: dict[str, Any], *, keep_dirty: bool = False) -> None:
        same = row_id == self.row_id and not self.new_mode
        self.set_new_mode(False)
        self.row_id = row_id
        self.raw = dict(raw)
        if not same:
            keep_dirty = False
            self.banner.setVisible(False)
        self.binder.load(self.values_for_form(raw), keep_dirty=keep_dirty)
        editable = not self.view.readonly
        self.binder.set_enabled(editable)

    def start_new(self, parent_info: dict[str, Any], heading: str) -> None:
        """Show an empty form for a new row under ``parent_info``."""
        self.row_id = None
        self.raw = {}
        self.parent_info = dict(parent_info)
        self.binder.clear()
        self.binder.load(self.values_for_form(self.new_defaults()))
        self.heading.setText(heading)
        self.banner.setVisible(False)
        self.set_new_mode(True)
        first = self.binder.names()[0] if self.binder.names() else None
        if first:
            self.binder.focus(self.first_field())

    def first_field(self) -> str:
        return self.binder.names()[0]

    def new_defaults(self) -> dict[str, Any]:
        return {}

    def set_new_mode(self, on: bool) -> None:
        self.new_mode = on
        self.binder.auto_commit = not on
        self.new_bar.setVisible(on)
        self.binder.set_enabled(True if on else not self.view.readonly)

    def has_unsaved(self) -> bool:
        """True if something typed here is not saved (refused, or a new row not added)."""
        if self.new_mode:
            return any(self.binder.value(n) not in ("", None) for n in self.binder.names())
        return bool(self.binder.dirty_fields())

    def unsaved_fields(self) -> list[str]:
        return self.binder.dirty_fields()

    # ------------------------------------------------------------------ saving
    def _committed(self, name: str) -> None:
        if self.new_mode or self.row_id is None:
            return
        self.save({name: self.binder.value(name)})

    def save(self, values: dict[str, Any]) -> bool:
        """Save ``values`` (typed form values) of the current row; False if refused."""
        old = {name: self.raw.get(name) for name in values}
        before = {name: self.binder.saved(name) for name in values}
        for name in values:
            self.binder.mark_saved(name, values[name])
        try:
            self.view.edit_row(self.kind, self.row_id, values, old, self.describe_edit(values))
        except DvcoordError as exc:
            for name, value in before.items():
                self.binder.mark_saved(name, value)
            self.show_problem(exc, next(iter(values)))
            return False
        for name in values:
            self.binder.show_error(name, "")
        self.banner.setVisible(False)
        return True

    def describe_edit(self, values: dict[str, Any]) -> str:
        names = ", ".join(n.replace("_", " ") for n in values)
        return f"Edit {self.kind} {names}"

    def show_problem(self, exc: DvcoordError, fallback: str | None = None) -> None:
        name = getattr(exc, "field", None) or fallback
        if name == "cost":
            name = "cost_pence"
        if name and self.binder.show_error(name, str(exc)):
            self.binder.focus(name)
            return
        self.banner.setText(str(exc))
        self.banner.setVisible(True)

    def create(self) -> bool:
        """Add the row typed in new mode; False (with the message at the field) if refused."""
        self.binder.clear_errors()
        self.banner.setVisible(False)
        try:
            new_id = self.view.create_row(self.kind, self.parent_info, self.new_values())
        except DvcoordError as exc:
            self.show_problem(exc)
            return False
        self.set_new_mode(False)
        self.created.emit(new_id)
        return True

    def new_values(self) -> dict[str, Any]:
        return self.binder.values()

    def cancel_new(self) -> None:
        self.set_new_mode(False)
        self.binder.clear()
        self.view.cancel_new()


# --------------------------------------------------------------------------- theme and aim
class ThemeEditor(Editor):
    kind = "theme"

    def __init__(self, view: PlansView) -> None:
        super().__init__(view, "Theme")
        self.setObjectName("themeEditor")
        self.add_field(
            "code",
            "&Code:",
            self.line_edit("for example 1, DV or I"),
            accessible="Theme code",
            help_text="The number or letters the plan gives the theme",
        )
        self.add_field(
            "title",
            "&Title:",
            self.line_edit("for example Support in the Community"),
            accessible="Theme title",
        )
        self.add_field(
            "key_objective",
            "&Key objective:",
            self.text_edit(3),
            accessible="Key objective",
            help_text="The strand's key objective sentence, if the plan gives one",
        )
        self.body.addStretch(1)

    def first_field(self) -> str:
        return "title"

    def new_defaults(self) -> dict[str, Any]:
        return {"code": "", "title": "", "key_objective": ""}

    def show_theme(self, node: plan_service.ThemeNode, *, keep_dirty: bool = False) -> None:
        n = len(node.all_actions())
        self.heading.setText(
            f"{node.code} {node.title}".strip() + f"  ·  {n} action{'s' if n != 1 else ''}"
        )
        self.load(
            node.id,
            {"code": node.code, "title": node.title, "key_objective": node.key_objective},
            keep_dirty=keep_dirty,
        )


class AimEditor(Editor):
    kind = "aim"

    def __init__(self, view: PlansView) -> None:
        super().__init__(view, "Aim")
        self.setObjectName("aimEditor")
        self.add_field(
            "reference",
            "&Reference:",
            self.line_edit("for example 1. or Recommendation 6"),
            accessible="Aim reference",
        )
        self.add_field("text", "&Text:", self.text_edit(4), accessible="Aim text")
        self.body.addStretch(1)

    def new_defaults(self) -> dict[str, Any]:
        return {"reference": "", "text": ""}

    def show_aim(self, node: plan_service.AimNode, where: str, *, keep_dirty=False) -> None:
        n = len(node.actions)
        self.heading.setText(f"{where}  ·  {n} action{'s' if n != 1 else ''}")
        self.load(node.id, {"reference": node.reference, "text": node.text}, keep_dirty=keep_dirty)


# --------------------------------------------------------------------------- action
class ActionEditor(Editor):
    kind = "action"

    def __init__(self, view: PlansView) -> None:
        super().__init__(view, "Action")
        self.setObjectName("actionEditor")
        self.data: ActionData | None = None
        self.pending_agencies: tuple[list[str], list[str]] = ([], [])
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("actionTabs")
        self.tabs.setDocumentMode(True)
        # the form built by Editor goes into the first tab
        layout = self.layout()
        layout.removeWidget(self.scroll)
        self.tabs.addTab(self.scroll, "&Details")
        layout.insertWidget(0, self.tabs)

        self.add_field(
            "reference",
            "&Reference:",
            self.line_edit("for example 2.1, DV4 or I.3"),
            accessible="Action reference",
            help_text="The reference as the plan writes it; used once in a plan",
        )
        self.add_field("text", "&Action:", self.text_edit(4), accessible="Action text")
        # agencies
        self.agency_box = QWidget(self.inner)
        box = QHBoxLayout(self.agency_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.agency_summary = QLabel(self.agency_box)
        self.agency_summary.setObjectName("agencySummary")
        self.agency_summary.setWordWrap(True)
        self.agency_summary.setAccessibleName("Lead and supporting agencies")
        self.agency_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.agency_button = QPushButton("&Choose…", self.agency_box)
        self.agency_button.setObjectName("chooseAgenciesButton")
        self.agency_button.setAccessibleName("Choose lead and supporting agencies")
        self.agency_button.clicked.connect(self.choose_agencies)
        box.addWidget(self.agency_summary, 1)
        box.addWidget(self.agency_button, 0, Qt.AlignmentFlag.AlignTop)
        caption = QLabel("Agencies:", self.inner)
        caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.agency_error = error_label(self.inner, "Problem with the agencies")
        self.agency_error.setObjectName("agenciesError")
        r = self._grid_row
        self.grid.addWidget(caption, r, 0)
        self.grid.addWidget(self.agency_box, r, 1)
        self.grid.addWidget(self.agency_error, r + 1, 1)
        self._grid_row = r + 2
        self.add_field(
            "lead_text",
            "Lead as &written:",
            self.line_edit("the lead exactly as the plan names it, if different"),
            accessible="Lead agency as written",
            help_text="Kept word for word from the plan, beside the agencies chosen",
        )
        self.target_preview = TargetPreview(self.inner)
        target = self.line_edit("for example Sept 2026, Q2 2026/27, 2026/27, Ongoing")
        self.add_field(
            "target_text",
            "&Target date:",
            target,
            accessible="Target date as written",
            help_text="Written as the plan says it; dvcoord shows how it reads it",
            extra=self.target_preview,
        )
        target.textChanged.connect(self.target_preview.show_for)
        status = QComboBox(self.inner)
        for value in ACTION_STATUSES:
            status.addItem(capitalised(value), value)
        self.add_field("status", "&Status:", status, accessible="Action status")
        self.rag_combo = RagCombo(self.inner)
        self.add_field(
            "rag",
            "RA&G:",
            self.rag_combo,
            accessible="RAG rating",
            help_text="The current rating; adding a progress update with a rating sets it",
        )
        for name, label, accessible in (
            ("outcomes", "&Outcomes:", "Expected outcomes"),
            ("baseline", "&Baseline:", "Baseline data"),
            ("performance_measure", "&Measure:", "Performance measure"),
            ("outputs", "O&utputs:", "Outputs"),
            ("funding_source", "&Funding:", "Funding source"),
        ):
            self.add_field(name, label, self.text_edit(2), accessible=accessible)
        self.add_field(
            "cost_pence",
            "C&ost (£):",
            self.line_edit("for example £1,250.50"),
            accessible="Cost in pounds",
            help_text="An amount in pounds and pence, such as £1,250.50",
        )
        self.body.addStretch(1)

        # milestones tab
        self.milestones_tab = QWidget(self)
        mlay = QVBoxLayout(self.milestones_tab)
        mlay.setContentsMargins(8, 8, 8, 8)
        self.milestone_model = RowTableModel(
            [
                Column("Milestone", lambda m: m.text, width=34),
                Column("Due (as written)", lambda m: m.due_text, width=14),
                Column("Due by", lambda m: m.due_end, width=10),
                Column("Status", lambda m: m.state(today()), width=14),
                Column("Completed", lambda m: m.completed_on, width=10),
            ],
            row_key=lambda m: m.id,
        )
        self.milestone_table = DataTable(
            self.milestone_model, self.milestones_tab, accessible_name="Milestones of the action"
        )
        self.milestone_table.setObjectName("milestoneTable")
        wrap_rows(self.milestone_table)
        stretch_column(self.milestone_table, 0)
        mlay.addWidget(self.milestone_table, 1)
        mbuttons = QHBoxLayout()
        self.ms_add = QPushButton("&Add milestone…", self.milestones_tab)
        self.ms_edit = QPushButton("&Edit…", self.milestones_tab)
        self.ms_complete = QPushButton("Mark &complete…", self.milestones_tab)
        self.ms_delete = QPushButton("&Delete", self.milestones_tab)
        for button, name in (
            (self.ms_add, "milestoneAddButton"),
            (self.ms_edit, "milestoneEditButton"),
            (self.ms_complete, "milestoneCompleteButton"),
            (self.ms_delete, "milestoneDeleteButton"),
        ):
            button.setObjectName(name)
            mbuttons.addWidget(button)
        mbuttons.addStretch(1)
        mlay.addLayout(mbuttons)
        self.ms_add.clicked.connect(lambda: self.view.add_milestone(self.row_id))
        self.ms_edit.clicked.connect(self._edit_milestone)
        self.milestone_table.row_activated.connect(lambda _m: self._edit_milestone())
        self.ms_complete.clicked.connect(self._complete_milestone)
        self.ms_delete.clicked.connect(self._delete_milestone)
        self.milestone_table.rows_selected.connect(lambda _r: self._update_buttons())
        self.tabs.addTab(self.milestones_tab, "&Milestones")

        # progress tab
        self.progress_tab = QWidget(self)
        play = QVBoxLayout(self.progress_tab)
        play.setContentsMargins(8, 8, 8, 8)
        self.latest = style_label(QLabel(self.progress_tab), "progressToDate")
        self.latest.setWordWrap(True)
        self.latest.setAccessibleName("Progress to date")
        self.latest.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        play.addWidget(self.latest)
        self._update_key: list[plan_service.RagKeyEntry] = []
        self.update_model = RowTableModel(self._update_columns([]), row_key=lambda u: u.id)
        self.update_table = DataTable(
            self.update_model,
            self.progress_tab,
            accessible_name="Progress updates, newest first",
        )
        self.update_table.setObjectName("updateTable")
        wrap_rows(self.update_table)
        stretch_column(self.update_table, 3)
        play.addWidget(self.update_table, 1)
        ubuttons = QHBoxLayout()
        self.up_add = QPushButton("&Add update…", self.progress_tab)
        self.up_add.setObjectName("addUpdateButton")
        self.up_delete = QPushButton("&Delete update", self.progress_tab)
        self.up_delete.setObjectName("deleteUpdateButton")
        ubuttons.addWidget(self.up_add)
        ubuttons.addWidget(self.up_delete)
        ubuttons.addStretch(1)
        play.addLayout(ubuttons)
        self.up_add.clicked.connect(lambda: self.view.add_update(self.row_id))
        self.up_delete.clicked.connect(self._delete_update)
        self.update_table.rows_selected.connect(lambda _r: self._update_buttons())
        self.tabs.addTab(self.progress_tab, "&Progress")

        # linked performance indicators tab
        self.indicators_tab = LinkedIndicatorsTab(self)
        self.tabs.addTab(self.indicators_tab, "&Indicators")

    def _update_columns(self, key: Sequence[plan_service.RagKeyEntry]) -> list[Column]:
        return [
            Column("Date", lambda u: u.update_date, width=10),
            Column(
                "From",
                lambda u: "\n".join(x for x in dict.fromkeys((u.author, u.agency)) if x),
                width=14,
                header_tooltip="Who reported it, and for which agency",
            ),
            rag_column(
                "RAG",
                lambda u: u.rag,
                names={e.letter: e.name for e in key},
                colours={e.letter: e.colour for e in key},
            ),
            Column("Progress", lambda u: u.text, width=40),
        ]

    def first_field(self) -> str:
        return "reference"

    def new_defaults(self) -> dict[str, Any]:
        return {
            "reference": "",
            "text": "",
            "lead_text": "",
            "target_text": "",
            "status": "not started",
            "rag": "",
            "outcomes": "",
            "baseline": "",
            "performance_measure": "",
            "outputs": "",
            "funding_source": "",
            "cost_pence": "",
        }

    def values_for_form(self, raw: dict[str, Any]) -> dict[str, Any]:
        shown = dict(raw)
        cost = raw.get("cost_pence")
        shown["cost_pence"] = plan_service.format_pence(cost) if isinstance(cost, int) else cost
        return shown

    # ------------------------------------------------------------------ showing
    def show_action(self, data: ActionData, *, keep_dirty: bool = False) -> None:
        self.data = data
        self.rag_combo.set_key(data.rag_key)
        ref = data.values.get("reference") or ""
        self.heading.setText(f"{data.where}{'  ·  ' + ref if ref else ''}")
        self.load(data.id, data.values, keep_dirty=keep_dirty)
        self.target_preview.show_for(self.binder.value("target_text"))
        self._show_agencies(data.lead_names, data.support_names)
        show_field_error(self.agency_error, None, "")
        self.milestone_model.set_rows(data.milestones)
        if [e.letter for e in self._update_key] != [e.letter for e in data.rag_key]:
            self._update_key = list(data.rag_key)
            self.update_model = RowTableModel(
                self._update_columns(data.rag_key), row_key=lambda u: u.id
            )
            self._swap_update_model()
        self.update_model.set_rows(data.updates)
        self._show_latest(data)
        open_ms = sum(1 for m in data.milestones if m.status == "open")
        self.tabs.setTabText(1, f"&Milestones ({open_ms} open of {len(data.milestones)})")
        self.tabs.setTabText(2, f"&Progress ({len(data.updates)})")
        self.tabs.setTabText(3, f"&Indicators ({len(data.indicators)})")
        self.indicators_tab.show_rows(data.indicators)
        for i in (1, 2, 3):
            self.tabs.setTabEnabled(i, True)
        self._update_buttons()

    def _swap_update_model(self) -> None:
        table = self.update_table
        table.source_model = self.update_model
        table.proxy.setSourceModel(self.update_model)
        self.update_model.modelAboutToBeReset.connect(table._remember_selection)
        self.update_model.modelReset.connect(table._restore_selection)

    def _show_latest(self, data: ActionData) -> None:
        if not data.updates:
            self.latest.setText("<b>Progress to date:</b> no updates yet.")
            return
        u = data.updates[0]
        who = ", ".join(x for x in (u.author, u.agency) if x)
        rag = ""
        if u.rag:
            name = next((e.name for e in data.rag_key if e.letter == u.rag), u.rag)
            rag = f" — RAG {u.rag} ({name})"
        text = u.text if len(u.text) < 400 else u.text[:399] + "…"
        self.latest.setTextFormat(Qt.TextFormat.RichText)
        self.latest.setText(
            f"<b>Progress to date</b> ({format_date(u.update_date)}"
            f"{', ' + _html(who) if who else ''}{rag}):<br>{_html(text)}"
        )

    def _show_agencies(self, lead: Sequence[str], support: Sequence[str]) -> None:
        self.agency_summary.setText(
            f"Lead: {'; '.join(lead) or 'none chosen'}\nSupporting: {'; '.join(support) or 'none'}"
        )

    def _update_buttons(self) -> None:
        editable = not self.view.readonly and not self.new_mode and self.row_id is not None
        chosen = self.milestone_table.current_row()
        self.ms_add.setEnabled(editable)
        self.ms_edit.setEnabled(editable and chosen is not None)
        self.ms_complete.setEnabled(editable and chosen is not None and chosen.status != "complete")
        self.ms_delete.setEnabled(editable and chosen is not None)
        self.up_add.setEnabled(editable)
        self.up_delete.setEnabled(editable and self.update_table.current_row() is not None)
        self.agency_button.setEnabled(not self.view.readonly)
        self.indicators_tab.update_buttons()

    def start_new(self, parent_info: dict[str, Any], heading: str) -> None:
        self.data = None
        self.pending_agencies = ([], [])
        self._show_agencies([], [])
        self.rag_combo.set_key(self.view.rag_key)
        super().start_new(parent_info, heading)
        self.milestone_model.set_rows([])
        self.update_model.set_rows([])
        self.indicators_tab.show_rows([])
        self.tabs.setCurrentIndex(0)
        self.tabs.setTabText(1, "&Milestones")
        self.tabs.setTabText(2, "&Progress")
        self.tabs.setTabText(3, "&Indicators")
        for i in (1, 2, 3):
            self.tabs.setTabEnabled(i, False)
        self._update_buttons()

    # ------------------------------------------------------------------ agencies
    def choose_agencies(self) -> None:
        if self.new_mode:
            lead, support = self.pending_agencies
        elif self.data is not None:
            lead, support = self.data.lead_ids, self.data.support_ids
        else:
            return
        chosen = self.view.pick_agencies(lead, support)
        if chosen is None:
            return
        if self.new_mode:
            self.pending_agencies = chosen
            names = self.view.agency_names
            self._show_agencies([names[i] for i in chosen[0]], [names[i] for i in chosen[1]])
            return
        if (list(chosen[0]), list(chosen[1])) == (lead, support):
            return
        try:
            self.view.edit_row(
                "action",
                self.row_id,
                {"agencies": chosen},
                {"agencies": (list(lead), list(support))},
                "Change the action's agencies",
            )
        except DvcoordError as exc:
            show_field_error(self.agency_error, None, str(exc))

    def new_values(self) -> dict[str, Any]:
        values = self.binder.values()
        values["lead_agency_ids"], values["support_agency_ids"] = self.pending_agencies
        return values

    def show_problem(self, exc: DvcoordError, fallback: str | None = None) -> None:
        if getattr(exc, "field", None) in ("lead_agencies", "support_agencies", "agency"):
            show_field_error(self.agency_error, None, str(exc))
            return
        super().show_problem(exc, fallback)

    # ------------------------------------------------------------------ milestones, updates
    def _edit_milestone(self) -> None:
        line = self.milestone_table.current_row()
        if line is not None and not self.view.readonly:
            self.view.edit_milestone(line)

    def _complete_milestone(self) -> None:
        line = self.milestone_table.current_row()
        if line is not None:
            self.view.complete_milestones([line])

    def _delete_milestone(self) -> None:
        line = self.milestone_table.current_row()
        if line is not None:
            self.view.delete_milestone(line)

    def _delete_update(self) -> None:
        line = self.update_table.current_row()
        if line is not None and self.row_id is not None:
            self.view.delete_update(line, self.row_id)

    def describe_edit(self, values: dict[str, Any]) -> str:
        ref = (self.raw.get("reference") or "").strip()
        labels = {
            "text": "text",
            "lead_text": "lead",
            "target_text": "target date",
            "performance_measure": "measure",
            "funding_source": "funding",
            "cost_pence": "cost",
            "rag": "RAG",
        }
        names = ", ".join(labels.get(n, n.replace("_", " ")) for n in values)
        return f"Edit action {ref + ' ' if ref else ''}{names}"


def wrap_rows(table: DataTable) -> None:
    """Let long cells wrap, each row as tall as its text (for short lists)."""
    table.setWordWrap(True)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)


def _html(text: str) -> str:
    import html

    return html.escape(text).replace("\n", "<br>")


# --------------------------------------------------------------------------- the plan
def span_label(first: int | None, last: int | None) -> str:
    """``2013/14``, ``2013/14 to 2015/16`` or ``not set``."""
    if first is None:
        return "not set"
    if last is None or last == first:
        return dates.fy_label(first)
    return f"{dates.fy_label(first)} to {dates.fy_label(last)}"


class PlanPage(QWidget):
    """The plan at a glance, shown when no theme, aim or action is chosen."""

    def __init__(self, view: PlansView, actions: Sequence[tuple[str, Callable[[], Any]]]) -> None:
        super().__init__(view)
        self.setObjectName("planPage")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget(scroll)
        inner.setObjectName("editorInner")
        body = QVBoxLayout(inner)
        body.setContentsMargins(16, 12, 16, 12)
        self.kind_label = style_label(QLabel("Plan", inner), "editorKind")
        self.heading = style_label(QLabel(inner), "editorHeading")
        self.heading.setWordWrap(True)
        self.facts = QLabel(inner)
        self.facts.setObjectName("planFacts")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.RichText)
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body.addWidget(self.kind_label)
        body.addWidget(self.heading)
        body.addWidget(self.facts)
        key_heading = QLabel("RAG key", inner)
        key_heading.setObjectName("sectionHeading")
        body.addWidget(key_heading)
        self.key_grid = QGridLayout()
        self.key_grid.setHorizontalSpacing(8)
        self.key_grid.setColumnStretch(1, 1)
        body.addLayout(self.key_grid)
        counts_heading = QLabel("Actions by RAG, theme by theme", inner)
        counts_heading.setObjectName("sectionHeading")
        body.addWidget(counts_heading)
        self.counts_model = RowTableModel([Column("Theme", lambda c: c.theme_title)])
        self.counts_table = DataTable(
            self.counts_model, inner, accessible_name="Actions by RAG for each theme"
        )
        self.counts_table.setObjectName("ragCountsTable")
        stretch_column(self.counts_table, 0)
        self.counts_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        body.addWidget(self.counts_table)
        hint = QLabel(
            "Choose a theme, aim or action on the left to edit it. Every change is saved "
            "as you make it; Edit > Undo (Ctrl+Z) takes it back.",
            inner,
        )
        hint.setWordWrap(True)
        hint.setProperty("role", "help")
        body.addWidget(hint)
        buttons = QHBoxLayout()
        for text, slot in actions:
            button = QPushButton(text, inner)
            button.clicked.connect(lambda _c=False, s=slot: s())
            buttons.addWidget(button)
        buttons.addStretch(1)
        body.addLayout(buttons)
        body.addStretch(1)
        scroll.setWidget(inner)
        outer.addWidget(scroll)
        self._key_labels: list[QLabel] = []
        self._inner = inner

    def show_plan(
        self,
        header: plan_lookup.PlanHeader | None,
        counts: Sequence[plan_service.RagCount] = (),
    ) -> None:
        for label in self._key_labels:
            self.key_grid.removeWidget(label)
            label.hide()
            label.deleteLater()
        self._key_labels = []
        if header is None:
            self.heading.setText("No plan yet")
            self.facts.setText(
                "Start one with <b>Plan › New plan…</b>, or open a database that holds one."
            )
            self.counts_model.set_rows([])
            return
        self.heading.setText(header.title)
        rows = [
            ("Partnership", header.partnership or "not set"),
            ("Plan period", span_label(header.plan_from_fy, header.plan_to_fy)),
            ("Strategy period", span_label(header.strategy_from_fy, header.strategy_to_fy)),
            ("Status", capitalised(header.status)),
            ("Version", header.version_label or "not set"),
            ("Owner", header.owner or "not set"),
            ("Marking", header.marking),
            ("Change history", f"{header.changes} row{'s' if header.changes != 1 else ''}"),
        ]
        html_rows = "".join(
            f"<tr><td style='padding-right:14px; color:#505A5F'>{_html(k)}</td>"
            f"<td>{_html(v)}</td></tr>"
            for k, v in rows
        )
        desc = f"<p>{_html(header.description)}</p>" if header.description else ""
        self.facts.setText(f"<table>{html_rows}</table>{desc}")
        for row, e in enumerate(header.rag_key):
            swatch = QLabel(self._inner)
            swatch.setPixmap(rag_icon(e.letter, e.colour, 20).pixmap(20, 20))
            swatch.setAccessibleName(e.name)
            text = QLabel(f"<b>{_html(e.name)}</b> — {_html(e.meaning)}", self._inner)
            text.setWordWrap(True)
            self.key_grid.addWidget(swatch, row, 0)
            self.key_grid.addWidget(text, row, 1)
            self._key_labels += [swatch, text]
        columns = [Column("Theme", lambda c: c.theme_title, width=30)]
        for e in header.rag_key:
            info = rag_colours(e.letter, e.colour)
            columns.append(
                Column(
                    e.letter,
                    lambda c, letter=e.letter: c[letter],
                    width=4,
                    background=lambda c, i=info, x=e.letter: i.background if c[x] else None,
                    foreground=lambda c, i=info, x=e.letter: i.foreground if c[x] else None,
                    header_tooltip=f"{e.name}: {e.meaning}",
                )
            )
        columns.append(
            Column("None", lambda c: c[""], width=5, header_tooltip="Actions not rated yet")
        )
        columns.append(Column("Total", lambda c: c.total, width=5))
        self.counts_model = RowTableModel(columns)
        self.counts_table.source_model = self.counts_model
        self.counts_table.proxy.setSourceModel(self.counts_model)
        self.counts_model.set_rows(counts)
        char = self.counts_table.fontMetrics().averageCharWidth()
        for i, col in enumerate(columns):
            if col.width and i:
                self.counts_table.setColumnWidth(i, col.width * char + 16)
        stretch_column(self.counts_table, 0)
        rows = self.counts_model.rowCount()
        height = self.counts_table.horizontalHeader().sizeHint().height() + 6
        height += rows * self.counts_table.verticalHeader().defaultSectionSize()
        self.counts_table.setFixedHeight(min(height, 420))
