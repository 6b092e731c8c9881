"""The Action plans view: choose a plan; its themes > aims > actions as a tree (or a
flat, sortable, filterable table) beside an editor for the chosen row.

Every change goes through an undoable command (:mod:`.commands`) and is saved as it is
made.  Reads come from the services: the tree from :func:`plans.plan_tree` (three
queries), the table from :func:`plans.action_rows` (one), the editor from a handful of
look-ups of the one row shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.gui.context import AppContext
from dvcoord.gui.plans import commands as cmd
from dvcoord.gui.plans import common
from dvcoord.gui.plans import dialogs as dlg
from dvcoord.gui.plans.dialogs import capitalised
from dvcoord.gui.plans.editors import (
    ActionEditor,
    AimEditor,
    PlanPage,
    ThemeEditor,
    fetch_action,
    where_label,
)
from dvcoord.gui.plans.operations import PlanOperations
from dvcoord.gui.plans.tree import KIND_ROLE, Node, PlanTreeModel, one_line
from dvcoord.gui.tablemodel import Column, RowTableModel, rag_column
from dvcoord.gui.widgets import DataTable, FilterBar, confirm, show_error
from dvcoord.services import agencies as agency_service
from dvcoord.services import plan_lookup
from dvcoord.services import plans as plan_service
from dvcoord.store.schema.plans import ACTION_STATUSES

log = logging.getLogger(__name__)

ANY = "\x00any"


class PlansView(PlanOperations, QWidget):
    """See the module notes.  ``ctx.open_view("plans", plan_id=..., action_id=...)``
    shows a plan, or the plan of an action with that action chosen."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("plansView")
        self.plan_id: str | None = None
        self.rag_key: list[plan_service.RagKeyEntry] = []
        self.agencies: list[dlg.AgencyChoice] = []
        self.agency_names: dict[str, str] = {}
        self.tree_data: plan_service.PlanTree | None = None
        self.header: plan_lookup.PlanHeader | None = None
        self._collapsed: set[str] = set()
        self._selecting = False
        self._table_plan: str | None = "\x00none"
        self._table_signature: tuple = ()
        self._agency_ids: set[str] | None = None
        self._shown: tuple[str, str] | None = None
        self._build()
        self.refresh(first=True)

    # ================================================================== building
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 6)
        outer.setSpacing(6)

        top = QHBoxLayout()
        plan_label = QLabel("&Plan:", self)
        plan_label.setObjectName("planLabel")
        self.plan_combo = QComboBox(self)
        self.plan_combo.setObjectName("planCombo")
        self.plan_combo.setAccessibleName("Plan")
        self.plan_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.plan_combo.setMinimumContentsLength(48)
        self.plan_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        plan_label.setBuddy(self.plan_combo)
        self.plan_combo.activated.connect(self._plan_chosen)
        top.addWidget(plan_label)
        top.addWidget(self.plan_combo, 1)

        self.act_new_plan = self._action("New plan…", self.new_plan, "newPlan")
        self.act_properties = self._action("Plan properties…", self.plan_properties, "planProps")
        self.act_history = self._action("Change history…", self.change_history, "planHistory")
        self.act_copy = self._action("Copy forward to next year…", self.copy_forward, "copyFwd")
        self.act_archive = self._action("Archive plan", self.toggle_archive, "archivePlan")
        self.act_delete_plan = self._action("Delete plan…", self.delete_plan, "deletePlan")
        self.plan_menu = QMenu(self)
        self.plan_menu.setObjectName("planMenu")
        for action in (self.act_new_plan, None, self.act_properties, self.act_history):
            self.plan_menu.addSeparator() if action is None else self.plan_menu.addAction(action)
        self.plan_menu.addSeparator()
        for action in (self.act_copy, self.act_archive, self.act_delete_plan):
            self.plan_menu.addAction(action)
        self.plan_button = QPushButton("Pla&n", self)
        self.plan_button.setObjectName("planMenuButton")
        self.plan_button.setAccessibleName("Plan menu")
        self.plan_button.setMenu(self.plan_menu)
        self.properties_button = QPushButton("P&roperties…", self)
        self.properties_button.setObjectName("propertiesButton")
        self.properties_button.clicked.connect(self.plan_properties)
        self.agencies_button = QPushButton("A&gencies…", self)
        self.agencies_button.setObjectName("agenciesButton")
        self.agencies_button.setToolTip("Add, edit or delete partner agencies")
        self.agencies_button.clicked.connect(self.manage_agencies)
        top.addWidget(self.properties_button)
        top.addWidget(self.plan_button)
        top.addWidget(self.agencies_button)
        outer.addLayout(top)

        bar = QHBoxLayout()
        self.tree_mode = QToolButton(self)
        self.tree_mode.setText("Tree")
        self.tree_mode.setObjectName("treeModeButton")
        self.table_mode = QToolButton(self)
        self.table_mode.setText("Table")
        self.table_mode.setObjectName("tableModeButton")
        self.mode_group = QButtonGroup(self)
        for n, button in enumerate((self.tree_mode, self.table_mode)):
            button.setCheckable(True)
            button.setAccessibleName(f"Show as a {button.text().lower()}")
            self.mode_group.addButton(button, n)
        self.tree_mode.setChecked(True)
        self.mode_group.idClicked.connect(lambda n: self.set_table_mode(n == 1))
        bar.addWidget(self.tree_mode)
        bar.addWidget(self.table_mode)
        bar.addSpacing(12)
        self.act_add_theme = self._action("Add theme", self.add_theme, "addTheme")
        self.act_add_aim = self._action("Add aim", self.add_aim, "addAim")
        self.act_add_action = self._action("Add action", self.add_action, "addAction")
        self.act_up = self._action("Move up", self.move_up, "moveUp")
        self.act_down = self._action("Move down", self.move_down, "moveDown")
        self.act_move_to = self._action("Move to…", self.move_to, "moveTo")
        self.act_delete = self._action("Delete…", self.delete_selected, "deleteItem")
        self.act_up.setToolTip("Move up (Alt+Up)")
        self.act_down.setToolTip("Move down (Alt+Down)")
        self.buttons: dict[str, QToolButton] = {}
        for action in (
            self.act_add_theme,
            self.act_add_aim,
            self.act_add_action,
            None,
            self.act_up,
            self.act_down,
            self.act_move_to,
            None,
            self.act_delete,
        ):
            if action is None:
                bar.addSpacing(12)
                continue
            button = QToolButton(self)
            button.setDefaultAction(action)
            button.setObjectName(f"{action.objectName()}Button")
            button.setAccessibleName(action.text().rstrip("…"))
            bar.addWidget(button)
            self.buttons[action.objectName()] = button
        bar.addStretch(1)
        outer.addLayout(bar)

        # filters (table mode)
        self.filter_row = QWidget(self)
        frow = QHBoxLayout(self.filter_row)
        frow.setContentsMargins(0, 0, 0, 0)
        self.filter_bar = FilterBar(
            self.filter_row, placeholder="Filter actions…", accessible_name="Filter actions"
        )
        frow.addWidget(self.filter_bar, 2)
        self.rag_filter = self._filter_combo("RAG", "ragFilter")
        self.status_filter = self._filter_combo("Status", "statusFilter")
        self.agency_filter = self._filter_combo("Agency", "agencyFilter")
        self.theme_filter = self._filter_combo("Theme", "themeFilter")
        for label, combo in (
            ("RAG:", self.rag_filter),
            ("Status:", self.status_filter),
            ("Agency:", self.agency_filter),
            ("Theme:", self.theme_filter),
        ):
            caption = QLabel(label, self.filter_row)
            caption.setBuddy(combo)
            frow.addWidget(caption)
            frow.addWidget(combo, 1)
        self.all_plans = QCheckBox("All plans", self.filter_row)
        self.all_plans.setObjectName("allPlansCheck")
        self.all_plans.setToolTip("Show the actions of every plan in the table")
        self.all_plans.toggled.connect(lambda _on: self._load_table(force=True))
        frow.addWidget(self.all_plans)
        outer.addWidget(self.filter_row)
        self.filter_row.hide()
        self.status_filter.addItem("Any status", ANY)
        for status in ACTION_STATUSES:
            self.status_filter.addItem(capitalised(status), status)
        for combo in (self.rag_filter, self.status_filter, self.agency_filter, self.theme_filter):
            combo.activated.connect(lambda _i: self._apply_filters())

        # body
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("plansSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.left = QStackedWidget(self.splitter)
        self.tree_model = PlanTreeModel(self)
        self.tree_model.move_requested.connect(self._drop_move, Qt.ConnectionType.QueuedConnection)
        self.tree = QTreeView(self.left)
        self.tree.setObjectName("planTree")
        self.tree.setAccessibleName("Themes, aims and actions")
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setDropIndicatorShown(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._tree_menu)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 170), (2, 120), (3, 46)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            self.tree.setColumnWidth(col, width)
        self.tree.selectionModel().currentChanged.connect(self._tree_current)
        self.tree.collapsed.connect(lambda ix: self._collapsed.add(self.tree_model.node(ix).id))
        self.tree.expanded.connect(lambda ix: self._collapsed.discard(self.tree_model.node(ix).id))
        for action, keys in (
            (self.act_up, "Alt+Up"),
            (self.act_down, "Alt+Down"),
            (self.act_delete, QKeySequence.StandardKey.Delete),
        ):
            shortcut = QAction(action.text(), self.tree)
            shortcut.setShortcut(QKeySequence(keys))
            shortcut.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.triggered.connect(action.trigger)
            self.tree.addAction(shortcut)
        self.left.addWidget(self.tree)

        self._table: DataTable | None = None
        self.table_model = RowTableModel(self._table_columns(), row_key=lambda r: r.id)

        self.right = QStackedWidget(self.splitter)
        self.right.setObjectName("editorStack")
        self.plan_page = PlanPage(
            self,
            [
                ("Plan properties…", self.plan_properties),
                ("Change history…", self.change_history),
                ("Add theme", self.add_theme),
            ],
        )
        self.right.addWidget(self.plan_page)
        self._editors: dict[str, Any] = {}
        self.splitter.addWidget(self.left)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([640, 520])
        outer.addWidget(self.splitter, 1)

    # ------------------------------------------------------------------ built when first needed
    @property
    def table(self) -> DataTable:
        """The table of table mode (built the first time it is wanted)."""
        if self._table is None:
            table = DataTable(
                self.table_model, self.left, accessible_name="Actions", sort_column=-1
            )
            table.setObjectName("actionTable")
            self._table = table
            self.filter_bar.connect_proxy(table.proxy)
            table.rows_selected.connect(lambda _rows: self._table_current())
            self.left.addWidget(table)
        return self._table

    def _editor(self, kind: str) -> Any:
        editor = self._editors.get(kind)
        if editor is None:
            cls = {"theme": ThemeEditor, "aim": AimEditor, "action": ActionEditor}[kind]
            editor = cls(self)
            editor.created.connect(lambda new_id, k=kind: self._created(k, new_id))
            self.right.addWidget(editor)
            self._editors[kind] = editor
        return editor

    @property
    def theme_editor(self) -> ThemeEditor:
        return self._editor("theme")

    @property
    def aim_editor(self) -> AimEditor:
        return self._editor("aim")

    @property
    def action_editor(self) -> ActionEditor:
        return self._editor("action")

    def _action(self, text: str, slot: Callable[[], Any], name: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.triggered.connect(lambda _c=False: slot())
        return action

    def _filter_combo(self, what: str, name: str) -> QComboBox:
        combo = QComboBox(self.filter_row)
        combo.setObjectName(name)
        combo.setAccessibleName(f"Filter by {what.lower()}")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
        return combo

    def _table_columns(self) -> list[Column]:
        key = self.rag_key if not self._all_plans() else []
        return [
            Column("Plan", lambda r: r.plan_title, width=20),
            Column("Ref", lambda r: r.reference, width=5),
            rag_column(
                "RAG",
                lambda r: r.rag,
                names={e.letter: e.name for e in key},
                colours={e.letter: e.colour for e in key},
            ),
            Column("Action", lambda r: one_line(r.text, 300), width=40),
            Column("Lead", lambda r: r.lead_display, width=16),
            Column(
                "Target",
                lambda r: r.target_text,
                sort_key=lambda r: (r.target_end is None, r.target_end, r.target_text),
                width=11,
            ),
            Column("Status", lambda r: capitalised(r.status), width=10),
            Column(
                "Theme",
                lambda r: f"{r.theme_code} {r.theme_title}".strip(),
                sort_key=lambda r: (r.plan_title, r.theme_position),
                width=16,
            ),
            Column("Last update", lambda r: r.latest_update_date, width=10, searchable=False),
        ]

    # ================================================================== properties
    @property
    def readonly(self) -> bool:
        return bool(self.ctx.db.readonly)

    def _all_plans(self) -> bool:
        return hasattr(self, "all_plans") and self.all_plans.isChecked()

    def in_table_mode(self) -> bool:
        return self._table is not None and self.left.currentWidget() is self._table

    def current_node(self) -> Node | None:
        index = self.tree.currentIndex()
        return self.tree_model.node(index) if index.isValid() else None

    # ================================================================== loading
    def refresh(self, first: bool = False) -> None:
        """Reload everything from the database (keeping what is typed and not saved)."""
        self._load_agencies()
        wanted = self.plan_id
        if first:
            wanted = self.ctx.settings.view_value("plans", "plan") or None
        self._load_plans(wanted)
        self.reload(keep_dirty=True)

    def set_database(self, db) -> None:  # noqa: ANN001
        self.plan_id = None
        self._collapsed.clear()
        self._shown = None
        self._table_plan = "\x00none"
        self.refresh()

    def _load_agencies(self) -> None:
        with self.ctx.db.session() as s:
            rows = agency_service.list_agencies(s)
            self.agencies = [
                dlg.AgencyChoice(a.id, a.name, a.short_name, a.sector, a.active) for a in rows
            ]
        self.agency_names = {a.id: a.name for a in self.agencies}
        current = self.agency_filter.currentData()
        self.agency_filter.blockSignals(True)
        self.agency_filter.clear()
        self.agency_filter.addItem("Any agency", ANY)
        for a in self.agencies:
            self.agency_filter.addItem(a.name, a.id)
        pos = self.agency_filter.findData(current) if current else 0
        self.agency_filter.setCurrentIndex(max(pos, 0))
        self.agency_filter.blockSignals(False)

    def _load_plans(self, wanted: str | None) -> None:
        with self.ctx.db.session() as s:
            choices = plan_lookup.plan_choices(s)
        self.plan_combo.blockSignals(True)
        self.plan_combo.clear()
        for p in choices:
            # a label that tells plans of one title apart already names the status
            text = p.label if p.label != p.title else f"{p.title}  —  {capitalised(p.status)}"
            self.plan_combo.addItem(text, p.id)
            self.plan_combo.setItemData(
                self.plan_combo.count() - 1, p.label, Qt.ItemDataRole.ToolTipRole
            )
        ids = [p.id for p in choices]
        if wanted not in ids:
            live = [p.id for p in choices if p.status != "archived"]
            wanted = (live or ids or [None])[0]
        if wanted is not None:
            self.plan_combo.setCurrentIndex(ids.index(wanted))
        self.plan_combo.blockSignals(False)
        if wanted != self.plan_id:
            self._collapsed.clear()
            self._shown = None
        self.plan_id = wanted
        if wanted:
            self.ctx.settings.set_view_value("plans", "plan", wanted)
        self._update_plan_actions({p.id: p.status for p in choices}.get(wanted))

    def _update_plan_actions(self, status: str | None) -> None:
        has = self.plan_id is not None
        writable = not self.readonly
        self.act_new_plan.setEnabled(writable)
        for action in (self.act_copy, self.act_archive, self.act_delete_plan):
            action.setEnabled(has and writable)
        self.act_properties.setEnabled(has)
        self.properties_button.setEnabled(has)
        self.act_history.setEnabled(has)
        self.act_archive.setText(
            "Bring back from the archive" if status == "archived" else "Archive plan"
        )
        self.act_add_theme.setEnabled(has and writable)

    def _plan_chosen(self, _index: int) -> None:
        wanted = self.plan_combo.currentData()
        if wanted == self.plan_id:
            return
        if not self._may_leave_editor():
            pos = self.plan_combo.findData(self.plan_id)
            self.plan_combo.setCurrentIndex(max(pos, 0))
            return
        self.show_plan(wanted)

    def show_plan(self, plan_id: str | None, select: tuple[str, str] | None = None) -> None:
        self._load_plans(plan_id)
        self.reload(select=select)

    def reload(self, select: tuple[str, str] | None = None, *, keep_dirty: bool = False) -> None:
        """Read the plan's tree again and show it, keeping what was open and chosen."""
        current = self.current_node()
        keep = select or ((current.kind, current.id) if current is not None else None)
        with self.ctx.db.session() as s:
            if self.plan_id is not None:
                self.header = plan_lookup.plan_header(s, self.plan_id)
                self.rag_key = list(self.header.rag_key)
                self.tree_data = plan_service.plan_tree(s, self.plan_id)
            else:
                self.header, self.rag_key, self.tree_data = None, [], None
        self._selecting = True
        try:
            self.tree_model.movable = not self.readonly
            self.tree_model.set_tree(self.tree_data, self.rag_key)
            self._expand()
            index = self.tree_model.index_of(keep[1]) if keep else QModelIndex()
            if index.isValid():
                self.tree.setCurrentIndex(index)
                self.tree.scrollTo(index)
        finally:
            self._selecting = False
        self._load_theme_filter()
        if self.in_table_mode():
            self._load_table(force=True)
            if select is not None and select[0] == "action":
                self._selecting = True
                try:
                    self.table.select_key(select[1])
                finally:
                    self._selecting = False
        else:
            self._table_plan = "\x00stale"
        self._show_current(keep_dirty=keep_dirty)

    def _expand(self) -> None:
        if not self._collapsed:
            self.tree.expandAll()
            return
        self.tree.expandAll()
        for node_id in list(self._collapsed):
            index = self.tree_model.index_of(node_id)
            if index.isValid():
                self.tree.collapse(index)

    def _load_theme_filter(self) -> None:
        current = self.theme_filter.currentData()
        self.theme_filter.blockSignals(True)
        self.theme_filter.clear()
        self.theme_filter.addItem("Any theme", ANY)
        for theme in self.tree_data.themes if self.tree_data else ():
            self.theme_filter.addItem(one_line(f"{theme.code} {theme.title}".strip(), 50), theme.id)
        pos = self.theme_filter.findData(current) if current else 0
        self.theme_filter.setCurrentIndex(max(pos, 0))
        self.theme_filter.blockSignals(False)
        self.rag_filter.blockSignals(True)
        current = self.rag_filter.currentData()
        common.fill_rag_combo(self.rag_filter, self.rag_key, blank="Not rated")
        self.rag_filter.insertItem(0, "Any RAG", ANY)
        pos = self.rag_filter.findData(current) if current is not None else 0
        self.rag_filter.setCurrentIndex(max(pos, 0))
        self.rag_filter.blockSignals(False)

    # ================================================================== tree and editors
    def _tree_current(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self._selecting:
            return
        if not self._may_leave_editor():
            self._selecting = True
            try:
                self.tree.setCurrentIndex(previous)
            finally:
                self._selecting = False
            return
        self._show_current()

    def _table_current(self) -> None:
        row = self.table.current_row()
        if row is None or self._selecting:
            return
        if self._shown == ("action", row.id):
            return
        if not self._may_leave_editor():
            return
        self._show_action(row.id)

    def _may_leave_editor(self) -> bool:
        editor = self.right.currentWidget()
        has_unsaved = getattr(editor, "has_unsaved", None)
        if not callable(has_unsaved) or not has_unsaved():
            return True
        if editor.new_mode:
            text = "Discard the new item you have started?"
        else:
            text = "Some of what you typed could not be saved. Discard it?"
        if not confirm(
            self,
            text,
            yes="Discard",
            danger=True,
            title="Action plans",
            informative="The rest of your changes are already saved.",
        ):
            return False
        if editor.new_mode:
            editor.set_new_mode(False)
        editor.binder.clear_errors()
        editor.binder.load({n: editor.binder.saved(n) for n in editor.binder.names()})
        return True

    def _show_current(self, keep_dirty: bool = False) -> None:
        if self.in_table_mode():
            row = self.table.current_row()
            if row is not None:
                self._show_action(row.id, keep_dirty=keep_dirty)
            else:
                self._show_plan_page()
            self._update_item_actions()
            return
        node = self.current_node()
        if node is None:
            self._show_plan_page()
        elif node.kind == "theme":
            self.theme_editor.show_theme(
                node.data, keep_dirty=keep_dirty and self._shown == ("theme", node.id)
            )
            self.right.setCurrentWidget(self.theme_editor)
            self._shown = ("theme", node.id)
        elif node.kind == "aim":
            theme = node.parent.data  # type: ignore[union-attr]
            self.aim_editor.show_aim(
                node.data,
                where_label(theme.code, theme.title, node.data.reference, node.data.text),
                keep_dirty=keep_dirty and self._shown == ("aim", node.id),
            )
            self.right.setCurrentWidget(self.aim_editor)
            self._shown = ("aim", node.id)
        else:
            self._show_action(node.id, keep_dirty=keep_dirty)
        self._update_item_actions()

    def _show_plan_page(self) -> None:
        if self.header is not None:
            counts = self.tree_model.rag_counts(self.header.id, self.header.title)
            self.plan_page.show_plan(self.header, counts)
        else:
            self.plan_page.show_plan(None)
        self.right.setCurrentWidget(self.plan_page)
        self._shown = None

    def _show_action(self, action_id: str, keep_dirty: bool = False) -> None:
        try:
            with self.ctx.db.session() as s:
                data = fetch_action(s, action_id, self.agency_names)
        except ValidationError:  # deleted meanwhile
            self._show_plan_page()
            return
        self.action_editor.show_action(
            data, keep_dirty=keep_dirty and self._shown == ("action", action_id)
        )
        self.right.setCurrentWidget(self.action_editor)
        self._shown = ("action", action_id)

    def _update_item_actions(self) -> None:
        node = self.current_node()
        writable = not self.readonly and self.plan_id is not None
        tree = not self.in_table_mode()
        self.act_add_theme.setEnabled(writable)
        self.act_add_aim.setEnabled(writable and tree and node is not None)
        self.act_add_action.setEnabled(writable and tree and node is not None)
        movable = writable and tree and node is not None
        if movable:
            siblings = node.siblings()
            pos = siblings.index(node)
            self.act_up.setEnabled(pos > 0)
            self.act_down.setEnabled(pos < len(siblings) - 1)
        else:
            self.act_up.setEnabled(False)
            self.act_down.setEnabled(False)
        self.act_move_to.setEnabled(movable and node.kind in ("action", "aim"))
        chosen = node if tree else self.table.current_row()
        self.act_delete.setEnabled(not self.readonly and chosen is not None)

    def select(self, kind: str, row_id: str) -> bool:
        """Choose a row of the tree (or the table, in table mode) and show its editor."""
        if self.in_table_mode() and kind == "action":
            found = self.table.select_key(row_id)
            if found:
                self._show_action(row_id)
            return found
        index = self.tree_model.index_of(row_id)
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def open_with(self, plan_id: str | None = None, action_id: str | None = None, **_: Any) -> None:
        if action_id is not None:
            try:
                with self.ctx.db.session() as s:
                    plan_id = plan_service.get_action(s, action_id).plan_id
            except ValidationError as exc:
                show_error(self, exc, title="Action plans")
                return
        if plan_id is not None and plan_id != self.plan_id:
            self.show_plan(plan_id)
        if action_id is not None:
            if self.in_table_mode() and not self.table.select_key(action_id):
                self.set_table_mode(False)
            self.select("action", action_id)

    def focus_filter(self) -> None:
        self.set_table_mode(True)
        self.filter_bar.focus()

    def can_leave(self) -> bool:
        return self._may_leave_editor()

    # ================================================================== table mode
    def set_table_mode(self, on: bool) -> None:
        if on == self.in_table_mode():
            return
        (self.table_mode if on else self.tree_mode).setChecked(True)
        self.filter_row.setVisible(on)
        total = sum(self.splitter.sizes())
        share = 0.62 if on else 0.55
        self.splitter.setSizes([int(total * share), total - int(total * share)])
        if on:
            self._load_table()
            self.left.setCurrentWidget(self.table)
            if self._shown and self._shown[0] == "action":
                self.table.select_key(self._shown[1])
        else:
            self.left.setCurrentWidget(self.tree)
            if self._shown and self._shown[0] == "action":
                self._selecting = True
                try:
                    index = self.tree_model.index_of(self._shown[1])
                    if index.isValid():
                        self.tree.setCurrentIndex(index)
                        self.tree.scrollTo(index)
                finally:
                    self._selecting = False
        self._update_item_actions()

    def _load_table(self, force: bool = False) -> None:
        """Fill the table (the plan's actions, or every plan's), keeping the chosen row."""
        scope = None if self._all_plans() else self.plan_id
        if not force and self._table_plan == scope:
            return
        if self._all_plans():
            with self.ctx.db.session() as s:
                rows = plan_service.action_rows(s)
        else:
            rows = self.tree_model.action_rows()
        signature = (
            self._all_plans(),
            tuple((e.letter, e.name, e.colour) for e in self.rag_key),
        )
        if signature != self._table_signature:
            self._table_signature = signature
            self.table_model = RowTableModel(self._table_columns(), row_key=lambda r: r.id)
            self._swap_table_model()
        self._selecting = True
        try:
            self.table_model.set_rows(rows)
        finally:
            self._selecting = False
        self.table.setColumnHidden(0, not self._all_plans())
        # the text filter reads these columns (not the RAG letter or the update date;
        # the plan's title only when every plan is shown)
        searched = ([0] if self._all_plans() else []) + [1, 3, 4, 5, 6, 7]
        self.table.proxy.set_filter_columns(searched)
        # read the searched text of every row once the table is painted, so the first
        # key typed in the filter box is as quick as the rest
        QTimer.singleShot(0, self, lambda cols=tuple(searched): self._warm_search(cols))
        self.theme_filter.setEnabled(not self._all_plans())
        self._table_plan = scope
        self._apply_filters()

    def _warm_search(self, columns: tuple[int, ...]) -> None:
        model = self.table_model
        for row in range(model.rowCount()):
            model.search_text(row, columns)

    def _swap_table_model(self) -> None:
        table = self.table
        header = table.horizontalHeader()
        sort, order = header.sortIndicatorSection(), header.sortIndicatorOrder()
        table.source_model = self.table_model
        table.proxy.setSourceModel(self.table_model)
        self.table_model.modelAboutToBeReset.connect(table._remember_selection)
        self.table_model.modelReset.connect(table._restore_selection)
        if 0 <= sort < self.table_model.columnCount():
            self.table_model.sort(sort, order)

    def _apply_filters(self) -> None:
        proxy = self.table.proxy
        rag = self.rag_filter.currentData()
        status = self.status_filter.currentData()
        theme = self.theme_filter.currentData() if self.theme_filter.isEnabled() else ANY
        agency = self.agency_filter.currentData()
        proxy.set_predicate("rag", None if rag in (ANY, None) else (lambda r, x=rag: r.rag == x))
        proxy.set_predicate(
            "status", None if status in (ANY, None) else (lambda r, x=status: r.status == x)
        )
        proxy.set_predicate(
            "theme", None if theme in (ANY, None) else (lambda r, x=theme: r.theme_id == x)
        )
        if agency in (ANY, None):
            proxy.set_predicate("agency", None)
        else:
            with self.ctx.db.session() as s:
                ids = {
                    r.id
                    for r in plan_service.action_rows(
                        s, None if self._all_plans() else self.plan_id, agency_id=agency
                    )
                }
            proxy.set_predicate("agency", lambda r, x=frozenset(ids): r.id in x)
        total = self.table_model.rowCount()
        shown = proxy.rowCount()
        self.filter_bar.count_label.setText(f"{shown} of {total}" if shown != total else str(total))

    # ================================================================== running commands
    def _after(
        self,
        select: Callable[[str], tuple[str, str] | None] | None = None,
        *,
        scope: str = "tree",
        action_id: str | None = None,
    ):
        """What to reload once a command has run: ``scope`` "action" (one action's row and
        editor; the whole tree if it moved), "tree", "plans" (the plan chooser too) or
        "agencies" (the agency list too)."""

        def after(command: cmd.ServiceCommand, phase: str) -> None:
            if scope == "action" and action_id and self._refresh_action(action_id):
                return
            if scope == "agencies":
                self._load_agencies()
            if scope in ("plans", "agencies"):
                self._load_plans(self.plan_id)
            target = select(phase) if select is not None else None
            self.reload(select=target, keep_dirty=True)

        return after

    def _refresh_action(self, action_id: str) -> bool:
        """Show fresh values of one action in the tree, the table and its editor; False
        if it is not where it was (the caller then reloads everything)."""
        node = self.tree_model.node_by_id(action_id)
        table_pos = self.table_model.row_for_key(action_id) if self._table is not None else None
        if node is not None:
            theme_id = node.data.theme_id
        elif table_pos is not None:
            theme_id = self.table_model.row(table_pos).theme_id
        else:
            return False
        with self.ctx.db.session() as s:
            rows = plan_service.action_rows(s, theme_id=theme_id)
        row = next((r for r in rows if r.id == action_id), None)
        if row is None:
            return False
        if node is not None and not self.tree_model.update_action(row):
            return False
        if table_pos is not None:
            self.table_model.update_row(row)
        if self._shown == ("action", action_id):
            self._show_action(action_id, keep_dirty=True)
        self._update_item_actions()
        return True

    def _push(self, command: cmd.ServiceCommand) -> Any:
        command.source = self
        return cmd.push(self.ctx, command)

    def edit_row(
        self,
        kind: str,
        row_id: str | None,
        values: dict[str, Any],
        old: dict[str, Any],
        text: str,
    ) -> None:
        """Save ``values`` to one row (undo restores ``old``); raises if refused."""
        if row_id is None:
            return
        if kind == "action":
            after = self._after(scope="action", action_id=row_id)
        else:
            after = self._after(lambda _p: (kind, row_id))
        command = cmd.edit_command(self.ctx, text, kind, row_id, values, old, after=after)
        self._push(command)

    def create_row(self, kind: str, parent: dict[str, Any], values: dict[str, Any]) -> str:
        """Add a theme, aim or action typed in an editor's new mode; its id."""
        values = dict(values)
        position = parent.get("position")
        if kind == "theme":
            plan_id = parent["plan_id"]

            def create(s):
                return plan_service.create_theme(s, plan_id, position=position, **values)

            text = f"Add theme '{one_line(values.get('title', ''), 40)}'"
        elif kind == "aim":
            theme_id = parent["theme_id"]

            def create(s):
                return plan_service.create_aim(s, theme_id, position=position, **values)

            text = f"Add aim {values.get('reference', '')}".rstrip()
        else:
            theme_id, aim_id = parent["theme_id"], parent.get("aim_id")
            lead = values.pop("lead_agency_ids", [])
            support = values.pop("support_agency_ids", [])

            def create(s):
                return plan_service.create_action(
                    s,
                    theme_id,
                    aim_id=aim_id,
                    position=position,
                    lead_agency_ids=lead,
                    support_agency_ids=support,
                    today=common.today(),
                    **values,
                )

            text = f"Add action {values.get('reference', '')}".rstrip()
        holder: dict[str, str] = {}

        def select(phase: str) -> tuple[str, str] | None:
            if phase == "undo":
                return parent.get("select")
            return (kind, holder["id"]) if "id" in holder else None

        # no reload after the first run: it waits (below) until the new id is known
        command = cmd.add_command(self.ctx, text, kind, create, after=None)
        new_id = self._push(command)
        holder["id"] = new_id
        command.after = self._after(select)
        for editor in self._editors.values():
            editor.set_new_mode(False)
        self._load_plans(self.plan_id)
        self.reload(select=(kind, new_id))
        return new_id

    def _created(self, kind: str, new_id: str) -> None:
        self.ctx.show_message(f"{capitalised(kind)} added.")

    def cancel_new(self) -> None:
        self._show_current()

    # ================================================================== adding rows
    def _context(self) -> tuple[Node | None, Node | None, Node | None]:
        """(theme, aim, action) around the current tree row."""
        node = self.current_node()
        theme = aim = action = None
        while node is not None and node.kind != "root":
            if node.kind == "action":
                action = action or node
            elif node.kind == "aim":
                aim = aim or node
            elif node.kind == "theme":
                theme = node
            node = node.parent
        return theme, aim, action

    def _start_new(self, editor: Any, parent: dict[str, Any], heading: str) -> None:
        if not self._may_leave_editor():
            return
        current = self.current_node()
        parent["select"] = (current.kind, current.id) if current is not None else None
        editor.start_new(parent, heading)
        self.right.setCurrentWidget(editor)

    def add_theme(self) -> None:
        if self.plan_id is None:
            return
        if self.in_table_mode():
            self.set_table_mode(False)
        theme, _aim, _action = self._context()
        position = theme.row + 1 if theme is not None else None
        title = self.plan_combo.currentData(Qt.ItemDataRole.ToolTipRole) or ""
        self._start_new(
            self.theme_editor,
            {"plan_id": self.plan_id, "position": position},
            f"New theme in {one_line(title, 80)}",
        )

    def add_aim(self) -> None:
        theme, aim, _action = self._context()
        if theme is None:
            return
        position = aim.row - theme.direct_actions() + 1 if aim is not None else None
        self._start_new(
            self.aim_editor,
            {"theme_id": theme.id, "position": position},
            f"New aim under {theme.label()}",
        )

    def add_action(self) -> None:
        theme, aim, action = self._context()
        if theme is None:
            return
        position = action.row + 1 if action is not None else None
        where = where_label(
            theme.data.code,
            theme.data.title,
            aim.data.reference if aim else "",
            aim.data.text if aim else "",
        )
        self._start_new(
            self.action_editor,
            {"theme_id": theme.id, "aim_id": aim.id if aim else None, "position": position},
            f"New action in {where}",
        )

    # ================================================================== moving
    def move_up(self) -> None:
        self._step(-1)

    def move_down(self) -> None:
        self._step(1)

    def _step(self, delta: int) -> None:
        node = self.current_node()
        if node is None or self.in_table_mode() or self.readonly:
            return
        siblings = node.siblings()
        pos = siblings.index(node)
        if not 0 <= pos + delta < len(siblings):
            return
        back = node.placement()
        to = cmd.Placement(back.index + delta, back.theme_id, back.aim_id)
        word = "up" if delta < 0 else "down"
        self._move(node, to, back, f"Move {node.kind} {self._name(node)} {word}")

    def _name(self, node: Node) -> str:
        if node.kind == "action":
            return node.data.reference or one_line(node.data.text, 30)
        if node.kind == "aim":
            return node.data.reference or one_line(node.data.text, 30)
        return one_line(node.data.code or node.data.title, 30)

    def _move(self, node: Node, to: cmd.Placement, back: cmd.Placement, text: str) -> bool:
        command = cmd.move_command(
            self.ctx,
            text,
            node.kind,
            node.id,
            to,
            back,
            after=self._after(lambda _p, k=node.kind, i=node.id: (k, i)),
        )
        try:
            self._push(command)
        except DvcoordError as exc:
            show_error(self, exc, title="Move")
            return False
        return True

    def _drop_move(self, kind: str, node_id: str, placement: cmd.Placement) -> None:
        node = self.tree_model.node_by_id(node_id)
        if node is None or node.kind != kind or self.readonly:
            return
        self._move(node, placement, node.placement(), f"Move {kind} {self._name(node)}")

    def move_to(self) -> None:
        node = self.current_node()
        if node is None or node.kind not in ("action", "aim") or self.tree_data is None:
            return
        choices: list[tuple[str, str | None, str]] = []
        for theme in self.tree_data.themes:
            label = one_line(f"{theme.code} {theme.title}".strip(), 70)
            choices.append((theme.id, None, label))
            if node.kind == "action":
                for aim in theme.aims:
                    aim_label = one_line(f"{aim.reference} {aim.text}".strip(), 64)
                    choices.append((theme.id, aim.id, f"      {aim_label}"))
        back = node.placement()
        dialog = dlg.MoveToDialog(
            self, f"{node.kind} {self._name(node)}", choices, (back.theme_id, back.aim_id)
        )
        try:
            if not dlg.run(dialog):
                return
            theme_id, aim_id = dialog.destination()
        finally:
            dialog.deleteLater()
        if (theme_id, aim_id) == (back.theme_id, back.aim_id):
            return
        to = cmd.Placement(10**6, theme_id, aim_id)
        self._move(node, to, back, f"Move {node.kind} {self._name(node)}")

    # ================================================================== deleting
    def delete_selected(self) -> None:
        if self.readonly:
            return
        if self.in_table_mode():
            row = self.table.current_row()
            if row is None:
                return
            kind, row_id, label = "action", row.id, row.reference or one_line(row.text, 40)
            detail = self._action_detail(row)
        else:
            node = self.current_node()
            if node is None:
                return
            kind, row_id, label = node.kind, node.id, self._name(node)
            detail = self._node_detail(node)
        if detail and not confirm(
            self,
            f"Delete {kind} {label}{detail}?",
            yes="Delete",
            danger=True,
            title="Delete",
            informative="Edit > Undo (Ctrl+Z) brings it back.",
        ):
            return
        parent = self.current_node().parent if self.current_node() else None
        parent_sel = (
            (parent.kind, parent.id) if parent is not None and parent.kind != "root" else None
        )
        command = cmd.delete_command(
            self.ctx,
            f"Delete {kind} {label}",
            kind,
            row_id,
            after=self._after(lambda p: (kind, row_id) if p == "undo" else parent_sel),
        )
        try:
            self._push(command)
        except DvcoordError as exc:
            show_error(self, exc, title="Delete")
            return
        self.ctx.show_message(f"{capitalised(kind)} {label} deleted. Edit > Undo brings it back.")

    @staticmethod
    def _action_detail(row: plan_service.ActionRow) -> str:
        return f" and its {row.open_milestones} open milestones" if row.open_milestones else ""

    def _node_detail(self, node: Node) -> str:
        if node.kind == "theme":
            n = len(node.data.all_actions())
            aims = len(node.data.aims)
            if n or aims:
                return f" with its {aims} aims and {n} actions"
            return ""
        if node.kind == "aim":
            n = len(node.data.actions)
            return f" with its {n} actions" if n else ""
        return self._action_detail(node.data)

    # ================================================================== history
    def current_record(self) -> tuple[str, str] | None:
        """The record chosen here, for Edit > History: (table, id)."""
        if self.in_table_mode():
            row = self.table.current_row()
            return ("action", row.id) if row is not None else None
        node = self.current_node()
        if node is not None:
            return (node.kind, node.id)
        return ("plan", self.plan_id) if self.plan_id else None

    def show_history(self) -> None:
        record = self.current_record()
        if record is not None and history_available():
            from dvcoord.gui.history_dialog import open_history

            open_history(self.ctx, record[0], record[1], self)

    # ================================================================== context menu
    def _tree_menu(self, pos) -> None:  # noqa: ANN001
        index = self.tree.indexAt(pos)
        if index.isValid():
            self.tree.setCurrentIndex(index)
        menu = QMenu(self)
        kind = index.data(KIND_ROLE) if index.isValid() else None
        for action in (self.act_add_theme, self.act_add_aim, self.act_add_action):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.act_up, self.act_down, self.act_move_to):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.act_delete)
        if kind is None:
            menu.addSeparator()
            menu.addAction(self.act_properties)
        elif history_available():
            menu.addSeparator()
            history = menu.addAction("History…")
            history.triggered.connect(lambda _c=False: self.show_history())
        QTimer.singleShot(0, self, lambda: menu.exec(self.tree.viewport().mapToGlobal(pos)))


def history_available() -> bool:
    """True if this build has the record-history dialog (the sharing area's)."""
    import importlib.util

    return importlib.util.find_spec("dvcoord.gui.history_dialog") is not None
