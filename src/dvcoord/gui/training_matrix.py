"""The training matrix on screen: a table model over the service's one-shot matrix, and
the panel around it (filters, grouping, key).

:class:`MatrixModel` never queries: it is handed a :class:`~dvcoord.services.training.Matrix`
(computed in one go by :func:`~dvcoord.services.training.training_matrix`) and answers
``data()`` for the cells Qt paints from it, so 3,000 trainees x 40 courses fill and scroll
at once.  Rows are trainees, grouped under a heading row per agency or per role (or not
at all); the trainee's name is the row header, so it stays in view when the table scrolls
sideways.  Columns are the agency, the role, then the courses, grouped by level (or by
code).  Each cell is coloured *and* marked (✓ done, ! expiring, ✗ expired, – missing) with
its completion date; its tooltip and accessible text say it in words.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dvcoord.gui.widgets import FilterBar
from dvcoord.services import training as svc

Index = QModelIndex | QPersistentModelIndex

#: Rows shown by the status filter: label -> test on a row's statistics.
STATUS_FILTERS: list[tuple[str, str | None]] = [
    ("Everyone", None),
    ("Anything missing", "missing"),
    ("Anything expired", "expired"),
    ("Anything expiring", "expiring"),
    ("Not up to date (missing or expired)", "not compliant"),
    ("Fully up to date", "compliant"),
]
GROUPINGS = [("Agency", "agency"), ("Role", "role"), ("No grouping", "none")]
FIXED_COLUMNS = ("Agency", "Role")
_GROUP_TINT = QColor("#E3E9F1")
_MUTED = QColor("#56616B")


@dataclass(frozen=True)
class RowStats:
    required: int
    compliant: int
    missing: int
    expired: int
    expiring: int


def _stats(cells: list[svc.Cell | None]) -> RowStats:
    counts = {s: 0 for s in svc.REQUIRED_STATUSES}
    for cell in cells:
        if cell is not None and cell.required:
            counts[cell.status] += 1
    required = sum(counts.values())
    return RowStats(
        required,
        counts[svc.DONE] + counts[svc.EXPIRING],
        counts[svc.MISSING],
        counts[svc.EXPIRED],
        counts[svc.EXPIRING],
    )


def _matches(stats: RowStats, status: str | None) -> bool:
    if status is None:
        return True
    if status == "missing":
        return stats.missing > 0
    if status == "expired":
        return stats.expired > 0
    if status == "expiring":
        return stats.expiring > 0
    if status == "not compliant":
        return stats.missing + stats.expired > 0
    if status == "compliant":
        return stats.required > 0 and stats.compliant == stats.required
    raise ValueError(status)


def _percent(compliant: int, required: int) -> str:
    return f"{100 * compliant / required:.1f}%" if required else "nothing required"


class MatrixModel(QAbstractTableModel):
    """Trainees (grouped) x courses over a :class:`~dvcoord.services.training.Matrix`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.matrix: svc.Matrix | None = None
        self._stats: list[RowStats] = []
        #: Shown rows: a trainee's index in the matrix, or -(g + 1) for group heading g.
        self._rows: list[int] = []
        self._groups: list[str] = []
        self._cols: list[int] = []
        self.filters: dict[str, Any] = {
            "agency_id": None,
            "sector": None,
            "role_id": None,
            "status": None,
            "text": "",
            "level": None,
        }
        self.group_rows_by = "agency"
        self.by_level = True
        self._brushes = {s: QBrush(QColor(c)) for s, c in svc.STATUS_COLOURS.items()}
        self._group_brush = QBrush(_GROUP_TINT)
        self._bold = QFont()
        self._bold.setBold(True)

    # ------------------------------------------------------------------ input
    def set_matrix(self, matrix: svc.Matrix) -> None:
        self.matrix = matrix
        self._stats = [_stats(cells) for cells in matrix.cells]
        self._rebuild()

    def set_filters(self, **changes: Any) -> None:
        unknown = set(changes) - set(self.filters)
        if unknown:
            raise TypeError(f"unknown matrix filters: {sorted(unknown)}")
        self.filters.update(changes)
        self._rebuild()

    def set_grouping(self, rows: str | None = None, by_level: bool | None = None) -> None:
        if rows is not None:
            self.group_rows_by = rows
        if by_level is not None:
            self.by_level = by_level
        self._rebuild()

    def _rebuild(self) -> None:
        self.beginResetModel()
        self._rows, self._groups, self._cols = [], [], []
        m = self.matrix
        if m is not None:
            self._cols = self._columns(m)
            self._rows, self._groups = self._visible_rows(m)
        self.endResetModel()

    def _columns(self, m: svc.Matrix) -> list[int]:
        level = self.filters["level"]
        cols = [i for i, c in enumerate(m.columns) if level is None or c.level_number == level]
        if not self.by_level:
            cols.sort(key=lambda i: (m.columns[i].kind != "course", m.columns[i].code.lower()))
        return cols

    def _visible_rows(self, m: svc.Matrix) -> tuple[list[int], list[str]]:
        f = self.filters
        words = f["text"].casefold().split()
        keep = []
        for r, row in enumerate(m.rows):
            if f["agency_id"] and row.agency_id != f["agency_id"]:
                continue
            if f["sector"] and row.sector != f["sector"]:
                continue
            if f["role_id"] and row.role_id != f["role_id"]:
                continue
            if not _matches(self._stats[r], f["status"]):
                continue
            if words:
                hay = f"{row.name}\n{row.email}".casefold()
                if not all(w in hay for w in words):
                    continue
            keep.append(r)
        if self.group_rows_by == "none":
            keep.sort(key=lambda r: (m.rows[r].name.casefold(), m.rows[r].agency.casefold()))
            return keep, []
        key = (
            (lambda r: m.rows[r].agency)
            if self.group_rows_by == "agency"
            else (lambda r: m.rows[r].role or "No role recorded")
        )
        groups: dict[str, list[int]] = defaultdict(list)
        for r in keep:
            groups[key(r)].append(r)
        rows: list[int] = []
        labels: list[str] = []
        for label in sorted(groups, key=str.casefold):
            members = sorted(groups[label], key=lambda r: m.rows[r].name.casefold())
            required = sum(self._stats[r].required for r in members)
            compliant = sum(self._stats[r].compliant for r in members)
            labels.append(
                f"{label} \u2013 {len(members)} staff, {_percent(compliant, required)} of "
                "required courses up to date"
            )
            rows.append(-len(labels))
            rows.extend(members)
        return rows, labels

    # ------------------------------------------------------------------ lookups
    def group_rows(self) -> list[int]:
        """Model rows that are group headings (the view spans them across the table)."""
        return [i for i, r in enumerate(self._rows) if r < 0]

    def trainee_count(self) -> int:
        return sum(1 for r in self._rows if r >= 0)

    def shown_stats(self) -> tuple[int, int]:
        """(compliant, required) over the trainees shown."""
        rows = [r for r in self._rows if r >= 0]
        return (
            sum(self._stats[r].compliant for r in rows),
            sum(self._stats[r].required for r in rows),
        )

    def trainee_at(self, row: int) -> svc.MatrixRow | None:
        if not 0 <= row < len(self._rows) or self._rows[row] < 0 or self.matrix is None:
            return None
        return self.matrix.rows[self._rows[row]]

    def column_at(self, column: int) -> svc.MatrixColumn | None:
        c = column - len(FIXED_COLUMNS)
        if self.matrix is None or not 0 <= c < len(self._cols):
            return None
        return self.matrix.columns[self._cols[c]]

    def cell_at(
        self, index: Index
    ) -> tuple[svc.MatrixRow, svc.MatrixColumn, svc.Cell | None] | None:
        """The trainee, column and cell at ``index`` (None on a heading or fixed column)."""
        row, col = self.trainee_at(index.row()), self.column_at(index.column())
        if row is None or col is None:
            return None
        r = self._rows[index.row()]
        return row, col, self.matrix.cells[r][self._cols[index.column() - len(FIXED_COLUMNS)]]  # type: ignore[union-attr]

    def index_of(self, trainee_id: str, key: str) -> QModelIndex:
        m = self.matrix
        if m is None:
            return QModelIndex()
        for i, r in enumerate(self._rows):
            if r >= 0 and m.rows[r].trainee_id == trainee_id:
                for j, c in enumerate(self._cols):
                    if m.columns[c].key == key:
                        return self.index(i, j + len(FIXED_COLUMNS))
        return QModelIndex()

    # ------------------------------------------------------------------ Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(FIXED_COLUMNS) + len(self._cols)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.matrix is None:
            return None
        r = self._rows[index.row()]
        c = index.column()
        if r < 0:  # a group heading, spanned across the table
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return self._groups[-r - 1] if c == 0 else None
            if role == Qt.ItemDataRole.BackgroundRole:
                return self._group_brush
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            return None
        row = self.matrix.rows[r]
        if c < len(FIXED_COLUMNS):
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return row.agency_short if c == 0 else (row.role or "\u2013")
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{row.agency} ({row.sector})" if c == 0 else None
            return None
        col = self.matrix.columns[self._cols[c - len(FIXED_COLUMNS)]]
        cell = self.matrix.cells[r][self._cols[c - len(FIXED_COLUMNS)]]
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if cell is None else cell.text
        if cell is None:
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return f"{row.name}, {col.code}: not required"
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._brushes[cell.status] if cell.status != svc.EXTRA else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(_MUTED) if cell.status == svc.EXTRA else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{row.name} \u2013 {col.label}\n{svc.STATUS_LABELS[cell.status]}. "
                f"{cell.describe(self.matrix.today)}"
            )
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return (
                f"{row.name}, {col.code}: {svc.STATUS_LABELS[cell.status]}. "
                f"{cell.describe(self.matrix.today)}"
            )
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if self.matrix is None:
            return None
        if orientation == Qt.Orientation.Vertical:
            if not 0 <= section < len(self._rows):
                return None
            r = self._rows[section]
            if r < 0:  # the group's name stays in view when the table scrolls sideways
                label = self._groups[-r - 1].split(" \u2013 ")[0]
                if role == Qt.ItemDataRole.DisplayRole:
                    return label
                if role == Qt.ItemDataRole.FontRole:
                    return self._bold
                if role == Qt.ItemDataRole.ToolTipRole:
                    return self._groups[-r - 1]
                return None
            row = self.matrix.rows[r]
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{row.name} \u2021" if row.same_name else row.name
            if role == Qt.ItemDataRole.ToolTipRole:
                text = f"{row.name}, {row.role or 'no role'} at {row.agency}"
                if row.email:
                    text += f" ({row.email})"
                if row.same_name:
                    text += "\n\u2021 Another member of staff has the same name."
                return text
            return None
        if section < len(FIXED_COLUMNS):
            return FIXED_COLUMNS[section] if role == Qt.ItemDataRole.DisplayRole else None
        col = self.column_at(section)
        if col is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            code = "any" if col.kind == "level" else col.code
            if self.by_level:
                return f"L{col.level_number}\n{code}"
            return f"any L{col.level_number}" if col.kind == "level" else code
        if role == Qt.ItemDataRole.ToolTipRole:
            refresher = (
                f"refresher every {col.refresher_months} months"
                if col.refresher_months
                else ("any course of the level" if col.kind == "level" else "no refresher")
            )
            topic = f"; {col.topic}" if col.topic else ""
            return (
                f"{col.label}\nLevel {col.level_number} \u2013 {col.level_name}{topic}; {refresher}"
            )
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def legend_html() -> str:
    """The key under the matrix: each mark on its colour, and what it means."""
    parts = []
    for status in (svc.DONE, svc.EXPIRING, svc.EXPIRED, svc.MISSING):
        parts.append(
            f"<span style='background:{svc.STATUS_COLOURS[status]}; color:#1B1B1B'>"
            f"&nbsp;{svc.MARKS[status]}&nbsp;</span> {svc.STATUS_LABELS[status].lower()}"
        )
    parts.append(
        f"<span style='color:{_MUTED.name()}'>({svc.MARKS[svc.EXTRA]})</span> done, not required"
    )
    parts.append("\u2021 same name as someone else")
    return " &nbsp;&nbsp; ".join(parts)


class MatrixPanel(QWidget):
    """The Matrix tab: filters, grouping, the table and its key.

    ``cell_selected(trainee_id, column_key)`` fires when the current cell moves to a
    course cell (and ``("", "")`` when it leaves one); ``cell_activated`` on double-click
    or Enter.
    """

    cell_selected = Signal(str, str)
    cell_activated = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingMatrixPanel")
        self.model = MatrixModel(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 6, 0, 0)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)

        def combo(row: int, col: int, label: str, name: str, accessible: str) -> QComboBox:
            caption = QLabel(label, self)
            box = QComboBox(self)
            box.setObjectName(name)
            box.setAccessibleName(accessible)
            box.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            box.setMinimumContentsLength(14)
            caption.setBuddy(box)
            grid.addWidget(caption, row, col)
            grid.addWidget(box, row, col + 1)
            return box

        self.agency_combo = combo(0, 0, "A&gency:", "matrixAgency", "Show the staff of agency")
        self.sector_combo = combo(0, 2, "Se&ctor:", "matrixSector", "Show the staff of sector")
        self.role_combo = combo(0, 4, "Ro&le:", "matrixRole", "Show the staff in role")
        self.status_combo = combo(0, 6, "Sho&w:", "matrixStatus", "Show staff whose training is")
        for label, value in STATUS_FILTERS:
            self.status_combo.addItem(label, value)
        self.group_combo = combo(1, 0, "Group &rows by:", "matrixGroup", "Group rows by")
        for label, value in GROUPINGS:
            self.group_combo.addItem(label, value)
        self.level_combo = combo(1, 2, "Co&urses:", "matrixLevel", "Show courses of level")
        self.by_level_check = QCheckBox("Group courses by le&vel", self)
        self.by_level_check.setObjectName("matrixByLevel")
        self.by_level_check.setAccessibleName("Group courses by level")
        self.by_level_check.setChecked(True)
        grid.addWidget(self.by_level_check, 1, 4, 1, 2)
        self.filter_bar = FilterBar(
            self, placeholder="Find a name or e-mail…", accessible_name="Find a trainee"
        )
        grid.addWidget(self.filter_bar, 1, 6, 1, 2)
        grid.setColumnStretch(8, 1)
        outer.addLayout(grid)

        self.table = QTableView(self)
        self.table.setObjectName("trainingMatrix")
        self.table.setAccessibleName("Training matrix")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)
        char = self.table.fontMetrics().averageCharWidth()
        self.table.horizontalHeader().setDefaultSectionSize(14 * char + 12)
        self.table.horizontalHeader().setMinimumSectionSize(6 * char)
        self.table.horizontalHeader().setHighlightSections(False)
        vertical = self.table.verticalHeader()
        vertical.setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        vertical.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        vertical.setFixedWidth(30 * char)  # long names and agency headings are elided
        vertical.setTextElideMode(Qt.TextElideMode.ElideRight)
        outer.addWidget(self.table, 1)

        bottom = QHBoxLayout()
        self.legend = QLabel(legend_html(), self)
        self.legend.setObjectName("matrixLegend")
        self.legend.setAccessibleName("Key to the matrix")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.summary = QLabel(self)
        self.summary.setObjectName("matrixSummary")
        self.summary.setAccessibleName("Staff shown")
        bottom.addWidget(self.legend, 1)
        bottom.addWidget(self.summary)
        outer.addLayout(bottom)

        self.model.modelReset.connect(self._after_reset)
        self.table.selectionModel().currentChanged.connect(self._current_changed)
        self.table.activated.connect(self._activated)
        self.agency_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filters(agency_id=self.agency_combo.currentData())
        )
        self.sector_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filters(sector=self.sector_combo.currentData())
        )
        self.role_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filters(role_id=self.role_combo.currentData())
        )
        self.status_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filters(status=self.status_combo.currentData())
        )
        self.level_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_filters(level=self.level_combo.currentData())
        )
        self.group_combo.currentIndexChanged.connect(
            lambda _i: self.model.set_grouping(rows=self.group_combo.currentData())
        )
        self.by_level_check.toggled.connect(lambda on: self.model.set_grouping(by_level=on))
        self.filter_bar.changed.connect(lambda text: self.model.set_filters(text=text))

    # ------------------------------------------------------------------ data
    def set_matrix(self, matrix: svc.Matrix) -> None:
        """Show ``matrix``, keeping the filters, choices and current cell where they still apply."""
        current = self.current_cell()
        self._fill_choices(matrix)
        self.model.set_matrix(matrix)
        if current is not None:
            self.select_cell(current[0].trainee_id, current[1].key)

    def _fill_choices(self, m: svc.Matrix) -> None:
        agencies = sorted({(r.agency, r.agency_id) for r in m.rows}, key=lambda x: x[0].casefold())
        sectors = sorted({r.sector for r in m.rows})
        roles = sorted(
            {(r.role, r.role_id) for r in m.rows if r.role_id}, key=lambda x: x[0].casefold()
        )
        levels = sorted({(c.level_number, c.level_name) for c in m.columns})
        for box, items in (
            (self.agency_combo, [("Every agency", None), *agencies]),
            (self.sector_combo, [("Every sector", None), *[(s.capitalize(), s) for s in sectors]]),
            (self.role_combo, [("Every role", None), *roles]),
            (
                self.level_combo,
                [("Every level", None), *[(f"Level {n} \u2013 {name}", n) for n, name in levels]],
            ),
        ):
            keep = box.currentData()
            box.blockSignals(True)
            box.clear()
            for label, value in items:
                box.addItem(label, value)
            pos = box.findData(keep)
            box.setCurrentIndex(pos if pos >= 0 else 0)
            box.blockSignals(False)
        self.model.filters.update(
            agency_id=self.agency_combo.currentData(),
            sector=self.sector_combo.currentData(),
            role_id=self.role_combo.currentData(),
            level=self.level_combo.currentData(),
        )

    def set_status_filter(self, status: str | None) -> None:
        pos = self.status_combo.findData(status)
        self.status_combo.setCurrentIndex(pos if pos >= 0 else 0)

    def _after_reset(self) -> None:
        self.table.clearSpans()
        columns = self.model.columnCount()
        for row in self.model.group_rows():
            self.table.setSpan(row, 0, 1, columns)
        compliant, required = self.model.shown_stats()
        shown = self.model.trainee_count()
        total = len(self.model.matrix.rows) if self.model.matrix is not None else 0
        staff = f"{shown} of {total} staff" if shown != total else f"{total} staff"
        self.summary.setText(f"{staff} \u00b7 {_percent(compliant, required)} up to date")

    # ------------------------------------------------------------------ cells
    def current_cell(self) -> tuple[svc.MatrixRow, svc.MatrixColumn, svc.Cell | None] | None:
        return self.model.cell_at(self.table.currentIndex())

    def select_cell(self, trainee_id: str, key: str) -> bool:
        index = self.model.index_of(trainee_id, key)
        if not index.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.table.scrollTo(index)
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        found = self.model.cell_at(current)
        if found is None:
            self.cell_selected.emit("", "")
        else:
            self.cell_selected.emit(found[0].trainee_id, found[1].key)

    def _activated(self, index: QModelIndex) -> None:
        found = self.model.cell_at(index)
        if found is not None:
            self.cell_activated.emit(found[0].trainee_id, found[1].key)

    def focus_filter(self) -> None:
        self.filter_bar.focus()
