"""The tree of a plan: themes > aims > actions, over one :func:`plans.plan_tree` read.

:class:`PlanTreeModel` holds plain rows (``ThemeNode``, ``AimNode``, ``ActionRow``)
from three queries, whatever the size of the plan; Qt asks only for the rows it paints.
Under a theme the actions that sit directly under it come first, then its aims (the
order of :func:`plans.action_rows`).

Rows are dragged to reorder or to move to another theme or aim.  The model does not
move anything itself: it emits :attr:`PlanTreeModel.move_requested` with the
:class:`~dvcoord.gui.plans.commands.Placement` asked for, and the view makes the move
through an undoable command and reloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from dvcoord.gui.formatting import rag_colours
from dvcoord.gui.plans.commands import Placement
from dvcoord.services import plans as plan_service

Index = QModelIndex | QPersistentModelIndex
MIME = "application/x-dvcoord-plan-item"
KIND_ROLE = Qt.ItemDataRole.UserRole + 10
ID_ROLE = Qt.ItemDataRole.UserRole + 11
COLUMNS = ("Theme, aim or action", "Lead", "Target date", "RAG")
COL_ITEM, COL_LEAD, COL_TARGET, COL_RAG = range(4)
KIND_NAMES = {"theme": "Theme", "aim": "Aim", "action": "Action"}

_NCOLS = len(COLUMNS)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_ROLES = frozenset((_DISPLAY, _FONT, _ALIGN, _BACKGROUND, _FOREGROUND, _TOOLTIP, _ACCESSIBLE)) | {
    int(KIND_ROLE),
    int(ID_ROLE),
}
_CENTRE = Qt.AlignmentFlag.AlignCenter
_MISSING = object()
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_ROOT_FLAGS = Qt.ItemFlag.ItemIsDropEnabled
_FIXED_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_ROW_FLAGS = _FIXED_FLAGS | Qt.ItemFlag.ItemIsDragEnabled
_GROUP_FLAGS = _ROW_FLAGS | Qt.ItemFlag.ItemIsDropEnabled


def one_line(text: str, limit: int = 160) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class Node:
    __slots__ = ("kind", "id", "parent", "children", "data", "row")

    def __init__(self, kind: str, node_id: str, parent: Node | None, data: Any = None) -> None:
        self.kind = kind
        self.id = node_id
        self.parent = parent
        self.children: list[Node] = []
        self.data = data
        self.row = 0

    def add(self, child: Node) -> Node:
        child.row = len(self.children)
        self.children.append(child)
        return child

    # ------------------------------------------------------------------ labels
    def label(self) -> str:
        d = self.data
        if self.kind == "theme":
            return f"{d.code}  {one_line(d.title)}" if d.code else one_line(d.title)
        if self.kind == "aim":
            return f"{d.reference}  {one_line(d.text)}".strip() if d.reference else one_line(d.text)
        if self.kind == "action":
            text = one_line(d.text)
            return f"{d.reference}  {text}" if d.reference else text
        return ""

    def full_text(self) -> str:
        d = self.data
        if self.kind == "theme":
            parts = [f"{d.code} {d.title}".strip()]
            if d.key_objective:
                parts.append(f"Key objective: {d.key_objective}")
            return "\n".join(parts)
        if self.kind == "aim":
            return f"{d.reference} {d.text}".strip()
        if self.kind == "action":
            return f"{d.reference} {d.text}".strip()
        return ""

    # ------------------------------------------------------------------ placement
    def direct_actions(self) -> int:
        """How many actions sit directly under this theme (they come before the aims)."""
        return sum(1 for c in self.children if c.kind == "action")

    def placement(self) -> Placement:
        """Where this row sits now (its parent and index among its siblings)."""
        parent = self.parent
        if self.kind == "theme" or parent is None:
            return Placement(self.row)
        if self.kind == "aim":
            return Placement(self.row - parent.direct_actions(), theme_id=parent.id)
        if parent.kind == "aim":
            return Placement(self.row, theme_id=parent.parent.id, aim_id=parent.id)  # type: ignore[union-attr]
        return Placement(self.row, theme_id=parent.id, aim_id=None)

    def siblings(self) -> list[Node]:
        """The rows this one is ordered among (same kind, same parent)."""
        if self.parent is None:
            return [self]
        return [c for c in self.parent.children if c.kind == self.kind]


class PlanTreeModel(QAbstractItemModel):
    """Themes > aims > actions of one plan (see the module notes)."""

    move_requested = Signal(str, str, object)  # kind, id, Placement

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.root = Node("root", "", None)
        self._by_id: dict[str, Node] = {}
        self.colours: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.movable = True
        self._bold = QFont()
        self._bold.setBold(True)
        self._brushes: dict[str, Any] = {}
        self._flag_brush = QBrush(QColor("#8A1C1C"))

    # ------------------------------------------------------------------ loading
    def set_tree(
        self,
        tree: plan_service.PlanTree | None,
        rag_key: Sequence[plan_service.RagKeyEntry] = (),
    ) -> None:
        """Show ``tree`` (None: nothing) with the plan's RAG key colours."""
        self.beginResetModel()
        self.colours = {e.letter: e.colour for e in rag_key}
        self._brushes = {}
        self.names = {e.letter: e.name for e in rag_key}
        self.root = Node("root", "", None)
        self._by_id = {}
        if tree is not None:
            for theme in tree.themes:
                t = self._add(self.root, Node("theme", theme.id, self.root, theme))
                for action in theme.actions:
                    self._add(t, Node("action", action.id, t, action))
                for aim in theme.aims:
                    a = self._add(t, Node("aim", aim.id, t, aim))
                    for action in aim.actions:
                        self._add(a, Node("action", action.id, a, action))
        self.endResetModel()

    def _add(self, parent: Node, node: Node) -> Node:
        self._by_id[node.id] = node
        return parent.add(node)

    def update_action(self, row: plan_service.ActionRow) -> bool:
        """Show fresh values of one action in place; False if it is not in the tree."""
        node = self._by_id.get(row.id)
        if node is None or node.kind != "action":
            return False
        if (node.parent.kind, node.parent.id) != (  # type: ignore[union-attr]
            ("aim", row.aim_id) if row.aim_id else ("theme", row.theme_id)
        ):
            return False
        node.data = row
        first = self.createIndex(node.row, 0, node)
        last = self.createIndex(node.row, len(COLUMNS) - 1, node)
        self.dataChanged.emit(first, last)
        return True

    # ------------------------------------------------------------------ look-ups
    def node(self, index: Index) -> Node:
        if not index.isValid():
            return self.root
        return index.internalPointer()  # type: ignore[return-value]

    def node_by_id(self, node_id: str) -> Node | None:
        return self._by_id.get(node_id)

    def index_of(self, node_id: str, column: int = 0) -> QModelIndex:
        node = self._by_id.get(node_id)
        if node is None:
            return QModelIndex()
        return self.createIndex(node.row, column, node)

    def action_rows(self) -> list[plan_service.ActionRow]:
        """Every action in the tree, in plan order."""
        out: list[plan_service.ActionRow] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if child.kind == "action":
                    out.append(child.data)
                else:
                    walk(child)

        walk(self.root)
        return out

    def themes(self) -> list[Node]:
        return list(self.root.children)

    def rag_counts(self, plan_id: str, plan_title: str) -> list[plan_service.RagCount]:
        """Actions of each theme by current RAG ("" = not rated), as shown now."""
        out = []
        for theme in self.root.children:
            counts: dict[str, int] = {}
            stack = list(theme.children)
            while stack:
                node = stack.pop()
                if node.kind == "action":
                    counts[node.data.rag] = counts.get(node.data.rag, 0) + 1
                else:
                    stack.extend(node.children)
            title = f"{theme.data.code} {theme.data.title}".strip()
            out.append(plan_service.RagCount(plan_id, plan_title, theme.id, title, counts))
        return out

    # ------------------------------------------------------------------ Qt model
    # These run for every row Qt lays out or paints, so they stay lean: roles are
    # compared as plain ints and colours are worked out once per letter.
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = parent.internalPointer() if parent.isValid() else self.root
        children = node.children
        if 0 <= row < len(children) and 0 <= column < _NCOLS:
            return self.createIndex(row, column, children[row])
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        parent = index.internalPointer().parent
        if parent is None or parent is self.root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.root.children)
        if parent.column() != 0:
            return 0
        return len(parent.internalPointer().children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return _NCOLS

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and int(role) == _DISPLAY:
            return COLUMNS[section]
        return None

    def _rag_brushes(self, letter: str) -> tuple[QBrush, QBrush] | None:
        found = self._brushes.get(letter, _MISSING)
        if found is _MISSING:
            info = rag_colours(letter, self.colours.get(letter))
            found = (QBrush(info.background), QBrush(info.foreground)) if info else None
            self._brushes[letter] = found
        return found  # type: ignore[return-value]

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        role = int(role)
        if role not in _ROLES or not index.isValid():
            return None
        node: Node = index.internalPointer()
        col = index.column()
        if role == _DISPLAY:
            return self._display(node, col)
        kind = node.kind
        if role == _FONT:
            if (kind == "theme" and col == COL_ITEM) or (kind == "action" and col == COL_RAG):
                return self._bold
            return None
        if kind == "action":
            if col == COL_RAG:
                if role == _ALIGN:
                    return _CENTRE
                if role in (_BACKGROUND, _FOREGROUND):
                    brushes = self._rag_brushes(node.data.rag)
                    if brushes is None:
                        return None
                    return brushes[0] if role == _BACKGROUND else brushes[1]
            elif col == COL_TARGET and role == _FOREGROUND and node.data.target_flagged:
                return self._flag_brush
        if role == int(KIND_ROLE):
            return kind
        if role == int(ID_ROLE):
            return node.id
        if role == _TOOLTIP:
            return self._tooltip(node, col)
        if role == _ACCESSIBLE:
            if col == COL_RAG and kind == "action":
                letter = node.data.rag
                return f"RAG {self.names.get(letter, letter)}" if letter else "Not rated"
            text = self._display(node, col)
            if col == COL_ITEM:
                return f"{KIND_NAMES.get(kind, '')} {text}"
            return text
        return None

    def _display(self, node: Node, col: int) -> str:
        if col == COL_ITEM:
            return node.label()
        if node.kind != "action":
            if col == COL_LEAD and node.kind in ("theme", "aim"):
                n = sum(1 if c.kind == "action" else len(c.children) for c in node.children)
                return f"{n} action{'s' if n != 1 else ''}"
            return ""
        row: plan_service.ActionRow = node.data
        if col == COL_LEAD:
            return one_line(row.lead_display, 80)
        if col == COL_TARGET:
            text = one_line(row.target_text, 60)
            return f"⚠ {text}" if row.target_flagged else text
        if col == COL_RAG:
            return row.rag
        return ""

    def _tooltip(self, node: Node, col: int) -> str | None:
        if col == COL_ITEM:
            return node.full_text() or None
        if node.kind != "action":
            return None
        row: plan_service.ActionRow = node.data
        if col == COL_LEAD:
            support = f"\nSupporting: {row.support_agencies}" if row.support_agencies else ""
            return f"Lead: {row.lead_display}{support}" if row.lead_display else None
        if col == COL_TARGET:
            if row.target_flagged:
                return f"'{row.target_text}' could not be read as a date; it is kept as written."
            return row.target_text or None
        if col == COL_RAG and row.rag:
            return self.names.get(row.rag, row.rag)
        return None

    # ------------------------------------------------------------------ drag and drop
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return _ROOT_FLAGS if self.movable else _NO_FLAGS
        if not self.movable:
            return _FIXED_FLAGS
        return _GROUP_FLAGS if index.internalPointer().kind != "action" else _ROW_FLAGS

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        data = QMimeData()
        for index in indexes:
            if index.isValid():
                node: Node = index.internalPointer()
                data.setData(MIME, QByteArray(f"{node.kind}\n{node.id}".encode()))
                break
        return data

    def _decode(self, data: QMimeData) -> Node | None:
        if not data.hasFormat(MIME):
            return None
        try:
            kind, node_id = bytes(data.data(MIME).data()).decode().split("\n", 1)
        except ValueError:
            return None
        node = self._by_id.get(node_id)
        return node if node is not None and node.kind == kind else None

    def drop_placement(self, node: Node, parent: Node, row: int) -> Placement | None:
        """Where dropping ``node`` at ``row`` of ``parent`` puts it (None: not allowed)."""
        allowed = {"theme": ("root",), "aim": ("theme",), "action": ("theme", "aim")}
        if parent.kind not in allowed.get(node.kind, ()):
            return None
        if node.kind == "theme":
            count = len(parent.children)
            index = count if row < 0 else min(row, count)
            offset = 0
            theme_id = aim_id = None
        elif node.kind == "aim":
            offset = parent.direct_actions()
            count = len(parent.children) - offset
            index = count if row < 0 else min(max(row - offset, 0), count)
            theme_id, aim_id = parent.id, None
        elif parent.kind == "theme":
            count = offset = parent.direct_actions()
            index = count if row < 0 else min(row, count)
            offset = 0
            theme_id, aim_id = parent.id, None
        else:
            count = len(parent.children)
            index = count if row < 0 else min(row, count)
            offset = 0
            theme_id, aim_id = parent.parent.id, parent.id  # type: ignore[union-attr]
        if node.parent is parent:
            current = node.row - offset if node.kind == "aim" else node.row
            if current < index:
                index -= 1
            if index == current:
                return None
        return Placement(index, theme_id=theme_id, aim_id=aim_id)

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        node = self._decode(data)
        if node is None or not self.movable:
            return False
        target = self.node(parent)
        if node.kind in ("theme", "aim") and target is node:
            return False
        allowed = {"theme": ("root",), "aim": ("theme",), "action": ("theme", "aim")}
        return target.kind in allowed.get(node.kind, ())

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        node = self._decode(data)
        placement = self.drop_placement(node, self.node(parent), row)  # type: ignore[arg-type]
        if placement is None:
            return False
        self.move_requested.emit(node.kind, node.id, placement)  # type: ignore[union-attr]
        return True
