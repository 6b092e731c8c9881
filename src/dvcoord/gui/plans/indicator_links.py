"""The performance indicators linked to an action, in the action editor's *Indicators*
tab: each with its latest figure and period, the target for that period and its status
(the same words and colours as the Performance view), a button to open it there, and
(on a database that can be changed) buttons to link and unlink indicators.

The rows are :class:`dvcoord.services.indicators.IndicatorRow` read for the one action
shown (:func:`~dvcoord.services.indicators.action_indicator_rows`); linking and
unlinking are undoable commands of the view (:meth:`PlanOperations.link_indicators`,
:meth:`PlanOperations.unlink_indicator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.widgets import DataTable, FilterBar, stretch_column
from dvcoord.services import indicators as indicator_service

if TYPE_CHECKING:
    from dvcoord.gui.plans.editors import ActionEditor

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _status_colours() -> dict[str, tuple[str, str]]:
    # the Performance view's palette (imported when the action editor is first built)
    from dvcoord.gui.indicators_dialogs import STATUS_COLOURS

    return STATUS_COLOURS


def indicator_columns() -> list[Column]:
    colours = _status_colours()
    no_data = colours[indicator_service.NO_DATA]

    def status_text(r: indicator_service.IndicatorRow) -> str:
        return indicator_service.STATUS_LABELS[r.status]

    return [
        Column(
            "Indicator",
            lambda r: r.display_name if r.active else f"{r.display_name} (inactive)",
            sort_key=lambda r: (r.code.casefold(), r.name.casefold()),
            tooltip=lambda r: r.description or None,
            width=24,
        ),
        Column(
            "Period",
            lambda r: r.latest_label,
            sort_key=lambda r: r.latest.start if r.latest else None,
            header_tooltip="The latest period with a figure",
            width=10,
        ),
        Column(
            "Figure",
            lambda r: r.value,
            text=lambda r: r.value_text,
            align=RIGHT,
            tooltip=lambda r: r.note or None,
            width=9,
        ),
        Column(
            "Target",
            lambda r: r.target.target,
            text=lambda r: r.target_text,
            align=RIGHT,
            tooltip=lambda r: f"Target for {r.target.describe}" if r.target.source else None,
            width=9,
        ),
        Column(
            "Status",
            lambda r: indicator_service.STATUSES.index(r.status),
            text=status_text,
            align=Qt.AlignmentFlag.AlignCenter,
            background=lambda r: colours.get(r.status, no_data)[0],
            foreground=lambda r: colours.get(r.status, no_data)[1],
            tooltip=lambda r: indicator_service.DIRECTION_LABELS[r.direction],
            accessible=lambda r: f"Status {status_text(r)}",
            width=9,
        ),
    ]


class LinkedIndicatorsTab(QWidget):
    """The action editor's *Indicators* tab (see the module notes)."""

    def __init__(self, editor: ActionEditor) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setObjectName("linkedIndicatorsTab")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        heading = QLabel("Linked indicators", self)
        heading.setObjectName("sectionHeading")
        layout.addWidget(heading)
        self.note = QLabel(self)
        self.note.setObjectName("linkedIndicatorsNote")
        self.note.setWordWrap(True)
        self.note.setProperty("role", "help")
        layout.addWidget(self.note)
        self.model = RowTableModel(indicator_columns(), row_key=lambda r: r.id)
        self.table = DataTable(
            self.model, self, accessible_name="Performance indicators linked to the action"
        )
        self.table.setObjectName("linkedIndicatorTable")
        # the editor is narrow: the name wraps, the figures take the width they need
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        stretch_column(self.table, 0)
        header = self.table.horizontalHeader()
        for column in range(1, self.model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("&Open in Performance", self)
        self.open_button.setObjectName("openIndicatorButton")
        self.open_button.setToolTip("Show the indicator, its figures and targets")
        self.link_button = QPushButton("&Link indicator…", self)
        self.link_button.setObjectName("linkIndicatorButton")
        self.link_button.setToolTip("Link performance indicators that measure this action")
        self.unlink_button = QPushButton("&Unlink", self)
        self.unlink_button.setObjectName("unlinkIndicatorButton")
        self.unlink_button.setToolTip(
            "Remove the link (the indicator and its figures are kept; Edit > Undo links it again)"
        )
        for button in (self.open_button, self.link_button, self.unlink_button):
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.open_button.clicked.connect(lambda _c=False: self.open_current())
        self.link_button.clicked.connect(lambda _c=False: self.link())
        self.unlink_button.clicked.connect(lambda _c=False: self.unlink_current())
        self.table.row_activated.connect(lambda row: self.editor.view.open_indicator(row.id))
        self.table.rows_selected.connect(lambda _rows: self.update_buttons())

    # ------------------------------------------------------------------ showing
    def show_rows(self, rows: Sequence[indicator_service.IndicatorRow]) -> None:
        self.model.set_rows(list(rows))
        self._show_note()
        self.update_buttons()

    def _show_note(self) -> None:
        n = self.model.rowCount()
        if n:
            text = (
                (
                    "1 indicator measures this action: its latest figure"
                    if n == 1
                    else f"{n} indicators measure this action: the latest figure of each"
                )
                + ", the target for that period and whether it was met. Figures and targets "
                "are kept in the Performance view; double-click an indicator to open it there."
            )
        elif self.editor.view.readonly:
            text = "No performance indicator is linked to this action."
        else:
            text = (
                "No performance indicator is linked to this action yet. Link indicator… "
                "chooses from the indicators kept in the Performance view."
            )
        self.note.setText(text)

    def update_buttons(self) -> None:
        writable = not self.editor.view.readonly
        shown = not self.editor.new_mode and self.editor.row_id is not None
        chosen = self.table.current_row() is not None
        self.open_button.setEnabled(shown and chosen)
        # a read-only database offers no link or unlink at all
        self.link_button.setVisible(writable)
        self.unlink_button.setVisible(writable)
        self.link_button.setEnabled(writable and shown)
        self.unlink_button.setEnabled(writable and shown and chosen)

    # ------------------------------------------------------------------ doing
    def current(self) -> indicator_service.IndicatorRow | None:
        return self.table.current_row()

    def open_current(self) -> None:
        row = self.current()
        if row is not None:
            self.editor.view.open_indicator(row.id)

    def link(self) -> None:
        if self.editor.row_id is not None:
            self.editor.view.link_indicators(self.editor.row_id)

    def unlink_current(self) -> None:
        row = self.current()
        if row is not None and self.editor.row_id is not None:
            self.editor.view.unlink_indicator(self.editor.row_id, row)


class IndicatorPickerDialog(QDialog):
    """Choose indicators to link to an action: the ones not linked yet, searchable by
    reference or name; several may be chosen at once."""

    def __init__(
        self,
        parent: QWidget | None,
        what: str,
        choices: Sequence[indicator_service.IndicatorChoice],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("indicatorPickerDialog")
        self.setWindowTitle("Link indicators")
        self.resize(720, 480)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Choose the performance indicators that measure {what}. Hold Ctrl to choose "
            "more than one.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.search = FilterBar(
            self, placeholder="Find an indicator…", accessible_name="Find indicator"
        )
        layout.addWidget(self.search)
        self.model = RowTableModel(
            [
                Column("Ref", lambda c: c.code, width=8),
                Column("Indicator", lambda c: c.name, tooltip=lambda c: c.name, width=40),
                Column(
                    "Reported",
                    lambda c: indicator_service.PERIOD_LABELS[c.period],
                    width=14,
                    searchable=False,
                ),
                Column(
                    "Kind",
                    lambda c: (
                        ("Computed" if c.computed else "Typed in")
                        + ("" if c.active else ", inactive")
                    ),
                    width=14,
                    searchable=False,
                ),
            ],
            row_key=lambda c: c.id,
        )
        self.model.set_rows(list(choices))
        self.table = DataTable(
            self.model, self, accessible_name="Indicators to link", multi_select=True
        )
        self.table.setObjectName("indicatorChoices")
        stretch_column(self.table, 1)
        self.search.connect_proxy(self.table.proxy)
        layout.addWidget(self.table, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Link")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.table.rows_selected.connect(lambda rows: self.ok_button.setEnabled(bool(rows)))
        self.table.row_activated.connect(lambda _row: self.accept())
        self.ok_button.setEnabled(False)

    def choose(self, *indicator_ids: str) -> None:
        """Select these indicators (as a user would with Ctrl+click)."""
        selection = self.table.selectionModel()
        selection.clearSelection()
        for key in indicator_ids:
            pos = self.model.row_for_key(key)
            if pos is None:
                raise KeyError(key)
            index = self.table.proxy.mapFromSource(self.model.index(pos, 0))
            selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)

    def chosen(self) -> list[str]:
        return [c.id for c in self.table.selected_rows()]
