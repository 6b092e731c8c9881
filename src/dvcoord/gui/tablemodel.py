"""Table models over plain rows, and a filtering proxy.

A view asks a service for a list of plain rows (dataclasses or named tuples holding
only what the table shows, never ORM objects with lazy relationships) and hands them to
a :class:`RowTableModel` described by :class:`Column` specs::

    model = RowTableModel([
        Column("Ref", lambda r: r.ref),
        Column("Target", lambda r: r.target, sort_key=lambda r: r.target_start),
        rag_column("RAG", lambda r: r.rag),
    ], row_key=lambda r: r.id)
    proxy = FilterProxy(model, columns=[0, 1])
    view.setModel(proxy)
    model.set_rows(service.list_actions(session, plan_id))

Sorting is done by the model on whole rows with Python's sort (fast, stable, empty
values last in both directions); :class:`FilterProxy` keeps the model's order and only
filters: free text across chosen columns (every word must match, case-insensitive) plus
named predicate functions on the row objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from dvcoord.gui.formatting import RAG_ORDER, display_text, rag_colours

Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  #: the row object itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  #: the value the column sorts by
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTRE = Qt.AlignmentFlag.AlignCenter

ColourFn = Callable[[Any], "QColor | str | None"]


@dataclass(frozen=True)
class Column:
    """How one column shows and sorts a row.

    ``getter(row)`` gives the value: text is shown as it is, dates as ``dd/mm/yyyy``,
    booleans as Yes/No, numbers right-aligned.  ``text`` overrides the shown text;
    ``sort_key`` what the column sorts by (default: the value, with numbers inside text
    compared as numbers so ``2.10`` follows ``2.9``).  ``background``/``foreground``
    give a cell colour (a :class:`QColor` or ``"#rrggbb"``); ``tooltip`` a hover text.
    ``width`` is an initial width in average characters.  ``searchable`` columns are
    the ones a :class:`FilterProxy` searches when it is given no column list.
    """

    header: str
    getter: Callable[[Any], Any]
    align: Qt.AlignmentFlag | None = None
    sort_key: Callable[[Any], Any] | None = None
    background: ColourFn | None = None
    foreground: ColourFn | None = None
    tooltip: Callable[[Any], str | None] | None = None
    text: Callable[[Any], str] | None = None
    header_tooltip: str = ""
    width: int | None = None
    searchable: bool = True
    accessible: Callable[[Any], str | None] | None = None


def rag_column(
    header: str,
    getter: Callable[[Any], str | None],
    *,
    names: dict[str, str] | None = None,
    colours: dict[str, str] | None = None,
    width: int = 5,
) -> Column:
    """A RAG column: the letter on its colour, the colour's name as tooltip.

    ``names``/``colours`` map letters to a plan's own RAG key (name, ``#rrggbb``).
    """
    names = names or {}
    colours = colours or {}

    def info(row: Any):
        letter = getter(row)
        return rag_colours(
            letter, colours.get((letter or "").upper()), names.get((letter or "").upper())
        )

    def tip(row: Any) -> str | None:
        c = info(row)
        return c.name if c else None

    return Column(
        header,
        lambda r: (getter(r) or "").upper(),
        align=_CENTRE,
        sort_key=lambda r: RAG_ORDER.get((getter(r) or "").upper(), 9) if getter(r) else None,
        background=lambda r: c.background if (c := info(r)) else None,
        foreground=lambda r: c.foreground if (c := info(r)) else None,
        tooltip=tip,
        accessible=tip,
        width=width,
    )


# --------------------------------------------------------------------------- sorting
_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """``"Action 2.10"`` sorts after ``"Action 2.9"``; case is ignored."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in _DIGITS.split(text)
        if part
    )


def sort_value(value: Any) -> tuple:
    """A key that compares any two cell values without a TypeError."""
    if value is None or value == "":
        return (9,)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float | Decimal):
        return (0, value)
    if isinstance(value, datetime):
        return (1, value.timestamp())
    if isinstance(value, date):
        return (1, datetime(value.year, value.month, value.day).timestamp())
    if isinstance(value, str):
        return (3, natural_key(value))
    if isinstance(value, tuple | list):
        return (4, tuple(sort_value(v) for v in value))
    return (5, str(value))


def _as_brush(value: QColor | str | None) -> QBrush | None:
    if value is None:
        return None
    colour = value if isinstance(value, QColor) else QColor(value)
    return QBrush(colour) if colour.isValid() else None


# --------------------------------------------------------------------------- model
class RowTableModel(QAbstractTableModel):
    """A read-only table over a list of plain rows."""

    def __init__(
        self,
        columns: Sequence[Column],
        rows: Iterable[Any] = (),
        *,
        row_key: Callable[[Any], Any] | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._row_key = row_key
        self._rows: list[Any] = []
        self._keys: list[Any] | None = None
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._search: dict[tuple[int, ...], list[str | None]] = {}
        if rows:
            self.set_rows(rows)

    # ------------------------------------------------------------------ rows
    @property
    def columns(self) -> list[Column]:
        return list(self._columns)

    def rows(self) -> list[Any]:
        """The rows in their current (sorted) order."""
        return list(self._rows)

    def row(self, index: int | Index) -> Any:
        r = index if isinstance(index, int) else index.row()
        return self._rows[r]

    def key_of(self, row: Any) -> Any:
        return self._row_key(row) if self._row_key else id(row)

    def row_for_key(self, key: Any) -> int | None:
        """The position of the row whose ``row_key`` is ``key``, or None."""
        for i, r in enumerate(self._rows):
            if self.key_of(r) == key:
                return i
        return None

    def set_rows(self, rows: Iterable[Any]) -> None:
        """Replace every row.

        When a ``row_key`` was given and the same rows come back in the same order
        (the usual refresh after an edit), only ``dataChanged`` is emitted, so views
        keep their selection and scroll position; otherwise the model is reset.
        """
        new = list(rows)
        if self._sort_column >= 0:
            new = self._sorted(new, self._sort_column, self._sort_order)
        keys = [self._row_key(r) for r in new] if self._row_key else None
        if keys is not None and self._keys is not None and keys == self._keys and new:
            self._rows = new
            self._search.clear()
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(new) - 1, len(self._columns) - 1)
            )
            return
        self.beginResetModel()
        self._rows = new
        self._keys = keys
        self._search.clear()
        self.endResetModel()

    def update_row(self, row: Any) -> bool:
        """Replace the row with the same key as ``row``; False if there is none."""
        pos = self.row_for_key(self.key_of(row))
        if pos is None:
            return False
        self._rows[pos] = row
        self._search.clear()
        self.dataChanged.emit(self.index(pos, 0), self.index(pos, len(self._columns) - 1))
        return True

    # ------------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def text(self, row: int, column: int) -> str:
        col = self._columns[column]
        item = self._rows[row]
        return col.text(item) if col.text else display_text(col.getter(item))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if r >= len(self._rows) or c >= len(self._columns):
            return None
        col = self._columns[c]
        item = self._rows[r]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(r, c)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col.align is not None:
                return col.align
            value = col.getter(item)
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                return _RIGHT
            return _LEFT
        if role == Qt.ItemDataRole.BackgroundRole and col.background:
            return _as_brush(col.background(item))
        if role == Qt.ItemDataRole.ForegroundRole and col.foreground:
            return _as_brush(col.foreground(item))
        if role == Qt.ItemDataRole.ToolTipRole:
            if col.tooltip:
                return col.tooltip(item)
            text = self.text(r, c)
            return text if len(text) > 60 else None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if col.accessible:
                return col.accessible(item) or self.text(r, c)
            return self.text(r, c)
        if role == ROW_ROLE:
            return item
        if role == SORT_ROLE:
            return self._key_fn(c)(item)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        col = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.header_tooltip or None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # ------------------------------------------------------------------ sorting
    @property
    def sort_column(self) -> int:
        return self._sort_column

    @property
    def sort_order(self) -> Qt.SortOrder:
        return self._sort_order

    def _key_fn(self, column: int) -> Callable[[Any], tuple]:
        col = self._columns[column]
        base = col.sort_key or col.getter
        return lambda row: sort_value(base(row))

    def _sorted(self, rows: list[Any], column: int, order: Qt.SortOrder) -> list[Any]:
        key = self._key_fn(column)
        keyed = [(key(r), r) for r in rows]
        filled = [p for p in keyed if p[0] != (9,)]
        empty = [p[1] for p in keyed if p[0] == (9,)]
        filled.sort(key=lambda p: p[0], reverse=order == Qt.SortOrder.DescendingOrder)
        return [p[1] for p in filled] + empty

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            return
        self._sort_column, self._sort_order = column, order
        if not self._rows:
            return
        self.layoutAboutToBeChanged.emit()
        key = self._key_fn(column)
        keyed = [(key(r), i, r) for i, r in enumerate(self._rows)]
        filled = [t for t in keyed if t[0] != (9,)]
        empty = [(i, r) for k, i, r in keyed if k == (9,)]
        filled.sort(key=lambda t: t[0], reverse=order == Qt.SortOrder.DescendingOrder)
        new_order = [(i, r) for _, i, r in filled] + empty
        where = {old: new for new, (old, _) in enumerate(new_order)}
        old_indexes = self.persistentIndexList()
        new_indexes = [
            self.index(where[ix.row()], ix.column()) if ix.row() in where else QModelIndex()
            for ix in old_indexes
        ]
        self._rows = [r for _, r in new_order]
        if self._keys is not None:
            self._keys = [self._row_key(r) for r in self._rows]  # type: ignore[misc]
        self._search.clear()
        self.changePersistentIndexList(old_indexes, new_indexes)
        self.layoutChanged.emit()

    # ------------------------------------------------------------------ searching
    def search_text(self, row: int, columns: tuple[int, ...]) -> str:
        """The case-folded text of ``columns`` of one row (cached until rows change)."""
        cache = self._search.get(columns)
        if cache is None:
            cache = self._search[columns] = [None] * len(self._rows)
        text = cache[row]
        if text is None:
            text = "\n".join(self.text(row, c) for c in columns).casefold()
            cache[row] = text
        return text


# --------------------------------------------------------------------------- proxy
class FilterProxy(QSortFilterProxyModel):
    """Filter-as-you-type over chosen columns, plus named predicates on the row objects.

    ``set_text("housing red")`` keeps rows whose chosen columns contain both words;
    ``set_predicate("overdue", lambda row: row.overdue)`` adds a filter and
    ``set_predicate("overdue", None)`` removes it.  Sorting is passed to the
    :class:`RowTableModel` underneath, so the proxy keeps its order.
    """

    def __init__(
        self,
        source: RowTableModel | None = None,
        parent=None,
        *,
        columns: Sequence[int] | None = None,
    ) -> None:
        super().__init__(parent)
        self._columns: tuple[int, ...] | None = tuple(columns) if columns is not None else None
        self._terms: tuple[str, ...] = ()
        self._text = ""
        self._predicates: dict[str, Callable[[Any], bool]] = {}
        if source is not None:
            self.setSourceModel(source)

    # ------------------------------------------------------------------ set-up
    def source(self) -> RowTableModel:
        return self.sourceModel()  # type: ignore[return-value]

    def set_filter_columns(self, columns: Sequence[int] | None) -> None:
        self._change(lambda: setattr(self, "_columns", tuple(columns) if columns else None))

    def _search_columns(self) -> tuple[int, ...]:
        if self._columns is not None:
            return self._columns
        src = self.sourceModel()
        if isinstance(src, RowTableModel):
            return tuple(i for i, c in enumerate(src.columns) if c.searchable)
        return tuple(range(src.columnCount())) if src is not None else ()

    def _change(self, apply: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - Qt before 6.9
            apply()
            self.invalidateFilter()

    # ------------------------------------------------------------------ filters
    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        terms = tuple(t for t in text.casefold().split() if t)
        self._text = text
        if terms != self._terms:
            self._change(lambda: setattr(self, "_terms", terms))

    def set_predicate(self, name: str, predicate: Callable[[Any], bool] | None) -> None:
        def apply() -> None:
            if predicate is None:
                self._predicates.pop(name, None)
            else:
                self._predicates[name] = predicate

        self._change(apply)

    def clear_predicates(self) -> None:
        self._change(self._predicates.clear)

    def predicates(self) -> list[str]:
        return list(self._predicates)

    def is_filtering(self) -> bool:
        return bool(self._terms or self._predicates)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if source_parent.isValid():
            return False
        src = self.sourceModel()
        if isinstance(src, RowTableModel):
            if self._predicates:
                item = src.row(source_row)
                if not all(p(item) for p in self._predicates.values()):
                    return False
            if self._terms:
                hay = src.search_text(source_row, self._search_columns())
                return all(t in hay for t in self._terms)
            return True
        if not self._terms:  # any other model: search its display text
            return True
        hay = "\n".join(
            str(src.index(source_row, c).data() or "") for c in self._search_columns()
        ).casefold()
        return all(t in hay for t in self._terms)

    # ------------------------------------------------------------------ rows and sorting
    def row(self, proxy_row: int | Index) -> Any:
        """The row object shown at ``proxy_row`` of this proxy."""
        index = proxy_row if not isinstance(proxy_row, int) else self.index(proxy_row, 0)
        return self.source().row(self.mapToSource(index).row())

    def visible_rows(self) -> list[Any]:
        return [self.row(i) for i in range(self.rowCount())]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        src = self.sourceModel()
        if isinstance(src, RowTableModel):
            src.sort(column, order)
        else:
            super().sort(column, order)
