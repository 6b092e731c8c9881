"""The Performance view: the indicators table and the BVPI 225 self-assessment.

The *Indicators* tab lists every indicator with its latest figure, the target and
national figure for that period, the status (coloured *and* worded) and a small trend
line drawn with QPainter (:class:`SparklineDelegate`).  A filter shows the ones off
target, met, computed, typed in or inactive; the editor (:mod:`dvcoord.gui.
indicators_dialogs`) holds the definition, the values grid by period and the linked
actions.  Import and export of values go through :mod:`dvcoord.importers.indicators`.
The *BVPI 225* tab is :class:`dvcoord.gui.bvpi225_form.Bvpi225Form`.  Everything is read
through :mod:`dvcoord.services.indicators`.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dvcoord.errors import DvcoordError
from dvcoord.gui import indicators_dialogs as dlg
from dvcoord.gui.bvpi225_form import Bvpi225Form
from dvcoord.gui.context import AppContext
from dvcoord.gui.import_preview import choose_and_preview
from dvcoord.gui.tablemodel import ROW_ROLE, Column, RowTableModel
from dvcoord.gui.widgets import (
    DataTable,
    FilterBar,
    choose_save_file,
    confirm,
    inform,
    show_error,
    stretch_column,
)
from dvcoord.gui.workers import WorkAborted, run_in_worker
from dvcoord.services import indicators as svc

log = logging.getLogger(__name__)

STATUS_COLOURS = dlg.STATUS_COLOURS
VALUE_COLOUR = "#1D4E89"
SHORT_PERIODS = {"month": "Monthly", "quarter": "Quarterly", "financial year": "Yearly"}
TARGET_COLOUR = "#6F777B"

#: Show filter label -> predicate on IndicatorRow (None: every row).
SHOW_FILTERS: list[tuple[str, Any]] = [
    ("Active indicators", lambda r: r.active),
    ("Off target", lambda r: r.active and r.status == svc.NOT_MET),
    ("On target", lambda r: r.active and r.status == svc.MET),
    ("Without a target or figure", lambda r: r.active and r.status in (svc.NO_TARGET, svc.NO_DATA)),
    ("Computed by dvcoord", lambda r: r.computed),
    ("Typed in", lambda r: not r.computed),
    ("Inactive", lambda r: not r.active),
    ("Every indicator", None),
]
OFF_TARGET = 1


def trend_words(row: svc.IndicatorRow) -> str:
    """The trend as a sentence (the sparkline's accessible text and tooltip)."""
    points = [p for p in row.trend if p.value is not None]
    if not points:
        return "No figures yet."
    first, last = points[0], points[-1]
    unit = row.unit
    if len(points) == 1:
        return f"{last.period.label}: {svc.format_number(last.value, unit)}."
    change = "rising" if last.value > first.value else "falling"
    if last.value == first.value:
        change = "level"
    text = (
        f"{change.capitalize()}: {svc.format_number(first.value, unit)} in "
        f"{first.period.label}, {svc.format_number(last.value, unit)} in {last.period.label}"
    )
    if last.target is not None:
        text += f" (target {svc.format_number(last.target, unit)})"
    return text + "."


class SparklineDelegate(QStyledItemDelegate):
    """A small trend line of an :class:`~dvcoord.services.indicators.IndicatorRow`: the
    figures as a line, the target as a dashed grey line, the latest figure as a dot in
    its status colour."""

    PAD = 4

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        style = option.widget.style() if option.widget is not None else None
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, option.widget)
        row = index.data(ROW_ROLE)
        if row is None:
            return
        self.draw(painter, QRectF(option.rect), row)

    @classmethod
    def points(
        cls, rect: QRectF, row: svc.IndicatorRow
    ) -> tuple[list[QPointF | None], list[QPointF | None]]:
        """Where each figure and each target falls in ``rect`` (None for a gap)."""
        trend = row.trend
        if not trend:
            return [], []
        numbers = [p.value for p in trend if p.value is not None]
        numbers += [p.target for p in trend if p.target is not None]
        if not numbers:
            return [None] * len(trend), [None] * len(trend)
        low, high = min(numbers), max(numbers)
        if high == low:
            low, high = low - 1, high + 1
        area = rect.adjusted(cls.PAD, cls.PAD + 1, -cls.PAD, -cls.PAD - 1)
        step = area.width() / max(1, len(trend) - 1)

        def at(i: int, v: int | None) -> QPointF | None:
            if v is None:
                return None
            y = area.bottom() - (v - low) / (high - low) * area.height()
            return QPointF(area.left() + i * step, y)

        return (
            [at(i, p.value) for i, p in enumerate(trend)],
            [at(i, p.target) for i, p in enumerate(trend)],
        )

    @classmethod
    def draw(cls, painter: QPainter, rect: QRectF, row: svc.IndicatorRow) -> None:
        values, targets = cls.points(rect, row)
        if not any(values):
            return
        painter.save()
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            dashed = QPen(QColor(TARGET_COLOUR), 1, Qt.PenStyle.DashLine)
            cls._polyline(painter, targets, dashed)
            cls._polyline(painter, values, QPen(QColor(VALUE_COLOUR), 1.6))
            last = next((p for p in reversed(values) if p is not None), None)
            if last is not None:
                colour = QColor(STATUS_COLOURS.get(row.status, STATUS_COLOURS[svc.NO_DATA])[0])
                if row.status in (svc.NO_TARGET, svc.NO_DATA):
                    colour = QColor(VALUE_COLOUR)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawEllipse(last, 3.2, 3.2)
        finally:
            painter.restore()

    @staticmethod
    def _polyline(painter: QPainter, points: list[QPointF | None], pen: QPen) -> None:
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        path = QPainterPath()
        drawing = False
        for p in points:
            if p is None:
                drawing = False
                continue
            if drawing:
                path.lineTo(p)
            else:
                path.moveTo(p)
                drawing = True
        painter.drawPath(path)

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:  # noqa: N802
        return QSize(110, max(22, option.fontMetrics.height() + 8))


class IndicatorsView(QWidget):
    """Indicators against targets, and the BVPI 225 self-assessment."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("indicatorsView")
        self.today = date.today()
        self.rows: list[svc.IndicatorRow] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 12)
        title = QLabel("Performance", self)
        title.setObjectName("pageTitle")
        outer.addWidget(title)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("indicatorSummary")
        self.summary_label.setAccessibleName("Indicators by status")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        outer.addWidget(self.summary_label)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("indicatorTabs")
        outer.addWidget(self.tabs, 1)
        self._build_table()
        self.bvpi = Bvpi225Form(ctx, self.tabs)
        self.bvpi_index = self.tabs.addTab(self.bvpi, "&BVPI 225")
        self.refresh()

    # ------------------------------------------------------------------ building
    def _button(self, text: str, tip: str, slot, layout) -> QPushButton:  # noqa: ANN001
        button = QPushButton(text, self)
        button.setObjectName("button_" + "".join(ch for ch in text.lower() if ch.isalpha()))
        button.setToolTip(tip)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.clicked.connect(lambda _checked=False: slot())
        layout.addWidget(button)
        return button

    def _build_table(self) -> None:
        page = QWidget(self.tabs)
        layout = QVBoxLayout(page)
        top = QHBoxLayout()
        show = QLabel("&Show:", page)
        self.show_combo = QComboBox(page)
        self.show_combo.setObjectName("showFilter")
        self.show_combo.setAccessibleName("Show indicators")
        show.setBuddy(self.show_combo)
        for label, predicate in SHOW_FILTERS:
            self.show_combo.addItem(label, predicate)
        self.show_combo.currentIndexChanged.connect(self._apply_show_filter)
        self.filter_bar = FilterBar(
            page,
            placeholder="Search indicators…",
            accessible_name="Search indicators by reference, name or source",
        )
        top.addWidget(show)
        top.addWidget(self.show_combo)
        top.addWidget(self.filter_bar, 1)
        layout.addLayout(top)

        buttons = QHBoxLayout()
        self.add_button = self._button(
            "Add indicator…", "A new indicator, typed in or computed by dvcoord", self.add, buttons
        )
        self.edit_button = self._button(
            "Edit…", "The indicator's definition and linked actions", self.edit, buttons
        )
        self.values_button = self._button(
            "Values and targets…", "The figures and targets by period", self.edit_values, buttons
        )
        self.actions_button = self._button(
            "Linked actions",
            "Open one of the plan actions this indicator is linked to",
            lambda: None,
            buttons,
        )
        self.actions_menu = QMenu(self.actions_button)
        self.actions_menu.setObjectName("linkedActionsMenu")
        self.actions_menu.aboutToShow.connect(self._fill_actions_menu)
        self.actions_button.setMenu(self.actions_menu)
        self.delete_button = self._button(
            "Delete…", "Delete the indicator with its figures", self.delete, buttons
        )
        buttons.addStretch(1)
        self.import_button = self._button(
            "Import values…",
            "Import figures and targets from a spreadsheet",
            self.import_values,
            buttons,
        )
        self.export_button = self._button(
            "Export…", "Write the indicators, figures and targets to .xlsx", self.export, buttons
        )
        self.report_button = self._button(
            "Report…", "Print the indicators against targets (PDF)", self.report, buttons
        )
        layout.addLayout(buttons)

        def status_colours(r: svc.IndicatorRow, which: int) -> str:
            return STATUS_COLOURS.get(r.status, STATUS_COLOURS[svc.NO_DATA])[which]

        self.model = RowTableModel(
            [
                Column("Ref", lambda r: r.code, width=7),
                Column(
                    "Indicator",
                    lambda r: r.name,
                    width=40,
                    tooltip=lambda r: r.description or None,
                ),
                Column(
                    "Reported",
                    lambda r: SHORT_PERIODS[r.period],
                    tooltip=lambda r: svc.PERIOD_LABELS[r.period],
                    width=9,
                    searchable=False,
                ),
                Column(
                    "Latest period",
                    lambda r: r.latest_label,
                    sort_key=lambda r: r.latest.start if r.latest else None,
                    width=13,
                    searchable=False,
                ),
                Column(
                    "Figure",
                    lambda r: r.value,
                    text=lambda r: r.value_text,
                    align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    tooltip=lambda r: r.note or None,
                    width=10,
                    searchable=False,
                ),
                Column(
                    "Target",
                    lambda r: r.target.target,
                    text=lambda r: r.target_text,
                    align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    tooltip=lambda r: (
                        f"Target for {r.target.describe}" if r.target.source else None
                    ),
                    width=10,
                    searchable=False,
                ),
                Column(
                    "National",
                    lambda r: r.target.national,
                    text=lambda r: r.national_text,
                    align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    width=9,
                    searchable=False,
                ),
                Column(
                    "Status",
                    lambda r: svc.STATUSES.index(r.status),
                    text=lambda r: svc.STATUS_LABELS[r.status],
                    align=Qt.AlignmentFlag.AlignCenter,
                    background=lambda r: status_colours(r, 0),
                    foreground=lambda r: status_colours(r, 1),
                    tooltip=lambda r: svc.DIRECTION_LABELS[r.direction],
                    width=9,
                    searchable=False,
                ),
                Column(
                    "Trend",
                    lambda r: len([p for p in r.trend if p.value is not None]),
                    text=lambda r: "",
                    tooltip=trend_words,
                    accessible=trend_words,
                    width=14,
                    searchable=False,
                ),
                Column("Source", lambda r: r.source_text, width=18),
                Column("Owner", lambda r: r.owner, width=12),
                Column(
                    "Actions",
                    lambda r: r.actions,
                    width=7,
                    searchable=False,
                    header_tooltip="Plan actions linked to the indicator",
                ),
            ],
            row_key=lambda r: r.id,
        )
        self.table = DataTable(
            self.model, page, accessible_name="Performance indicators", filter_columns=[0, 1, 9]
        )
        self.sparkline = SparklineDelegate(self.table)
        self.table.setItemDelegateForColumn(self.TREND_COLUMN, self.sparkline)
        stretch_column(self.table, 1)
        self.filter_bar.connect_proxy(self.table.proxy)
        self.table.rows_selected.connect(lambda _rows: self._update_buttons())
        self.table.row_activated.connect(lambda row: self.edit_values(row.id))
        layout.addWidget(self.table, 1)
        self.table_index = self.tabs.addTab(page, "&Indicators")
        self._apply_show_filter()

    TREND_COLUMN = 8

    # ------------------------------------------------------------------ data
    def refresh(self) -> None:
        self.today = date.today()
        try:
            with self.ctx.db.session() as s:
                self.rows = svc.indicator_rows(s, self.today)
        except DvcoordError as exc:
            show_error(self, exc, title="Performance")
            self.rows = []
        self.model.set_rows(self.rows)
        active = [r for r in self.rows if r.active]
        counts = {s: sum(1 for r in active if r.status == s) for s in svc.STATUSES}
        self.summary_label.setText(
            f"{len(active)} active indicator{'s' if len(active) != 1 else ''}: "
            f"{counts[svc.MET]} met, {counts[svc.NOT_MET]} not met, "
            f"{counts[svc.NO_TARGET]} without a target, {counts[svc.NO_DATA]} without a figure."
        )
        off = counts[svc.NOT_MET]
        self.tabs.setTabText(
            self.table_index, f"&Indicators ({off} off target)" if off else "&Indicators"
        )
        self.bvpi.refresh()
        self._update_buttons()

    def set_database(self, db) -> None:  # noqa: ANN001
        self.bvpi.set_database(db)
        self.refresh()

    def can_leave(self) -> bool:
        return self.bvpi.can_leave()

    def open_with(
        self,
        tile: str | None = None,
        tab: str | None = None,
        indicator_id: str | None = None,
        **_: Any,
    ) -> None:
        if tile == "indicators.bvpi225" or tab == "bvpi225":
            self.tabs.setCurrentIndex(self.bvpi_index)
            return
        self.tabs.setCurrentIndex(self.table_index)
        if tile == "indicators.off_target":
            self.show_combo.setCurrentIndex(OFF_TARGET)
        if indicator_id:
            self.show_combo.setCurrentIndex(len(SHOW_FILTERS) - 1)
            if not self.table.select_key(indicator_id) and self.filter_bar.text():
                self.filter_bar.clear()  # the search typed here hid it
                self.table.select_key(indicator_id)

    def focus_filter(self) -> None:
        self.tabs.setCurrentIndex(self.table_index)
        self.filter_bar.focus()

    def _apply_show_filter(self, _index: int = 0) -> None:
        self.table.proxy.set_predicate("show", self.show_combo.currentData())
        self._update_buttons()

    def current_record(self) -> tuple[str, str] | None:
        """For Edit > History: the chosen indicator, or the year's BVPI 225 assessment."""
        if self.tabs.currentIndex() == self.bvpi_index:
            return self.bvpi.current_record()
        row = self.selected()
        return ("indicator", row.id) if row is not None else None

    def selected(self) -> svc.IndicatorRow | None:
        rows = self.table.selected_rows()
        return rows[0] if rows else None

    def _update_buttons(self) -> None:
        row = self.selected()
        writable = not self.ctx.db.readonly
        self.edit_button.setEnabled(writable and row is not None)
        self.values_button.setEnabled(row is not None)
        self.actions_button.setEnabled(row is not None and bool(row.actions))
        self.delete_button.setEnabled(writable and row is not None)
        for button in (self.add_button, self.import_button):
            button.setEnabled(writable)

    # ------------------------------------------------------------------ actions
    def _fill_actions_menu(self) -> None:
        """The selected indicator's linked actions; choosing one opens it in Action plans."""
        self.actions_menu.clear()
        row = self.selected()
        if row is None:
            return
        with self.ctx.db.session() as s:
            links = svc.linked_actions(s, row.id)
        for link in links:
            action = self.actions_menu.addAction(f"{link.plan_title}: {link.label}")
            action.triggered.connect(
                lambda _c=False, a=link.action_id: self.ctx.open_view("plans", action_id=a)
            )
        if not links:
            self.actions_menu.addAction("No linked actions").setEnabled(False)

    def _run(self, dialog) -> bool:  # noqa: ANN001
        try:
            done = bool(dialog.exec())
        finally:
            dialog.deleteLater()
        if done:
            self.refresh()
        return done

    def add(self) -> bool:
        dialog = dlg.IndicatorDialog(self.ctx, self)
        done = self._run(dialog)
        if done and dialog.result_value:
            self.show_combo.setCurrentIndex(len(SHOW_FILTERS) - 1)
            self.table.select_key(dialog.result_value)
        return done

    def edit(self, indicator_id: str | None = None, tab: str = "definition") -> bool:
        if indicator_id is None:
            row = self.selected()
            if row is None:
                return False
            indicator_id = row.id
        return self._run(dlg.IndicatorDialog(self.ctx, self, indicator_id=indicator_id, tab=tab))

    def edit_values(self, indicator_id: str | None = None) -> bool:
        return self.edit(indicator_id, tab="values")

    def delete(self) -> bool:
        row = self.selected()
        if row is None:
            return False
        what = "its figures, targets and links" if not row.computed else "its targets and links"
        if not confirm(
            self,
            f"Delete the indicator '{row.display_name}' with {what}?",
            title="Delete indicator",
            informative="The deletion is kept in the history and travels with shared copies.",
            yes="Delete",
            no="Keep it",
            danger=True,
        ):
            return False
        try:
            with self.ctx.db.transaction() as s:
                svc.delete_indicator(s, row.id)
        except DvcoordError as exc:
            show_error(self, exc, title="Delete indicator")
            return False
        self.ctx.notify_changed("indicators", self)
        self.refresh()
        return True

    def import_values(self) -> bool:
        dialog = choose_and_preview(
            self,
            "Import indicator values",
            dlg.read_values_in_worker,
            lambda sheet: dlg.ImportDialog(self.ctx, sheet, self),
        )
        return dialog is not None and self._run(dialog)

    def export(self) -> Path | None:
        path = choose_save_file(
            self,
            "Export indicators",
            suggested="indicators.xlsx",
            file_filter="Excel workbooks (*.xlsx)",
            suffix=".xlsx",
            purpose="export",
            settings=self.ctx.settings,
        )
        if path is None:
            return None
        db = self.ctx.db

        def job(_progress, _cancel) -> int:  # noqa: ANN001
            from dvcoord.importers.indicators import export_indicators

            with db.session() as s:
                return export_indicators(s, path)

        try:
            n = run_in_worker(self, "Exporting indicators", job, cancellable=False)
        except WorkAborted:
            return None
        self.ctx.show_message(f"{n} indicator(s) written to {path.name}.")
        inform(
            self,
            f"{n} indicator(s) with their figures and targets written to {path}.",
            title="Export indicators",
        )
        return path

    def report(self, kind: str = "indicators") -> None:
        from dvcoord.gui.export_report import show_export_dialog

        show_export_dialog(self.ctx, self, kind=kind)
