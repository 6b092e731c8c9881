"""The dashboard: one tile per figure that needs attention, from every area.

Tiles come from :func:`dvcoord.services.dashboard.collect` (each area's
``dashboard_tiles``), so a new area's tiles appear here without a change to this
module.  They sit in a grid that reflows to the window's width; each is a large target
that opens its area (click, Enter or Space).  Severity is shown by colour, an icon and
a word, never colour alone.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dvcoord.gui import views as view_registry
from dvcoord.gui.context import AppContext
from dvcoord.gui.formatting import format_date
from dvcoord.gui.plans import common
from dvcoord.services import dashboard as dashboard_service
from dvcoord.services.dashboard import Tile

log = logging.getLogger(__name__)

#: severity -> (word, colour, glyph)
SEVERITY = {
    "alert": ("Needs action", "#B3261E", "!"),
    "warning": ("Due soon", "#8A5A00", "!"),
    "ok": ("On track", "#2E7D32", "✓"),
    "info": ("For information", "#1D4E89", "i"),
}
TILE_WIDTH = 300
#: Views that understand ``open_with(tile=...)``.
TILE_AWARE = {"plans", "milestones", "indicators"}

STYLE = """
QWidget#dashboardInner { background: #FFFFFF; }
QFrame#dashTile { background: #FFFFFF; border: 1px solid #B1B4B6; border-radius: 4px; }
QFrame#dashTile[clickable="true"]:hover { background: #F3F5F7; }
QFrame#dashTile:focus { border: 3px solid #0B0C0C; background: #FFF4B3; }
QFrame#dashTile[severity="alert"] { border-left: 8px solid #B3261E; }
QFrame#dashTile[severity="warning"] { border-left: 8px solid #F2B705; }
QFrame#dashTile[severity="ok"] { border-left: 8px solid #2E7D32; }
QFrame#dashTile[severity="info"] { border-left: 8px solid #1D4E89; }
QLabel#tileArea { color: #505A5F; font-size: 9pt; font-weight: bold; }
QLabel#tileTitle { color: #0B0C0C; font-size: 11pt; font-weight: bold; }
QLabel#tileValue { color: #0B0C0C; font-size: 26pt; font-weight: bold; }
QLabel#tileDetail { color: #505A5F; }
QLabel#tileLines { color: #0B0C0C; font-size: 9pt; }
QLabel#tileOpen { color: #1D4E89; font-weight: bold; }
QLabel#tileSeverity { font-weight: bold; }
"""


def severity_icon(severity: str, size: int = 18) -> QPixmap:
    """A filled circle of the severity's colour with its glyph (! ✓ i)."""
    _word, colour, glyph = SEVERITY.get(severity, SEVERITY["info"])
    ratio = 2
    pixmap = QPixmap(size * ratio, size * ratio)
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QColor(colour))
        painter.setPen(QPen(QColor(colour)))
        painter.drawEllipse(QRectF(0.5, 0.5, size - 1, size - 1))
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(int(size * 0.72))
        painter.setFont(font)
        painter.setPen(QColor("#FFFFFF"))
        painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, glyph)
    finally:
        painter.end()
    return pixmap


class TileWidget(QFrame):
    """One dashboard tile; :attr:`activated` when clicked or Enter/Space is pressed."""

    activated = Signal(object)

    def __init__(self, tile: Tile, clickable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tile = tile
        self.clickable = clickable
        self.setObjectName("dashTile")
        self.setProperty("severity", tile.severity if tile.severity in SEVERITY else "info")
        self.setProperty("clickable", clickable)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus if clickable else Qt.FocusPolicy.NoFocus)
        if clickable:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setMinimumWidth(TILE_WIDTH - 40)
        word, colour, _glyph = SEVERITY.get(tile.severity, SEVERITY["info"])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(3)
        top = QHBoxLayout()
        area = QLabel(tile.area.upper(), self)
        area.setObjectName("tileArea")
        icon = QLabel(self)
        icon.setPixmap(severity_icon(tile.severity))
        badge = QLabel(word, self)
        badge.setObjectName("tileSeverity")
        badge.setStyleSheet(f"color: {colour};")
        top.addWidget(area, 1)
        top.addWidget(icon)
        top.addWidget(badge)
        layout.addLayout(top)
        title = QLabel(tile.title, self)
        title.setObjectName("tileTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        value = QLabel(tile.value, self)
        value.setObjectName("tileValue")
        layout.addWidget(value)
        if tile.detail:
            detail = QLabel(tile.detail, self)
            detail.setObjectName("tileDetail")
            detail.setWordWrap(True)
            layout.addWidget(detail)
        if tile.lines:
            lines = QLabel("\n".join(f"• {line}" for line in tile.lines), self)
            lines.setObjectName("tileLines")
            lines.setWordWrap(True)
            layout.addWidget(lines)
        layout.addStretch(1)
        if clickable:
            spec = view_registry.get(tile.view)
            more = QLabel(f"Open {spec.title if spec else tile.view} ›", self)
            more.setObjectName("tileOpen")
            layout.addWidget(more)
        self.setAccessibleName(f"{tile.title}: {tile.value}")
        self.setAccessibleDescription(". ".join(x for x in (tile.detail, word, *tile.lines) if x))
        self.setToolTip(f"{word}. {tile.detail}" if tile.detail else word)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if (
            self.clickable
            and event.button() == Qt.MouseButton.LeftButton
            and self.rect().contains(event.position().toPoint())
        ):
            self.activated.emit(self.tile)
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.clickable and event.key() in (
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
            Qt.Key.Key_Space,
        ):
            self.activated.emit(self.tile)
            return
        super().keyPressEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(TILE_WIDTH, hint.height())


class DashboardView(QScrollArea):
    """The landing page: every area's tiles in a grid that reflows with the width."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("dashboardView")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.inner = QWidget(self)
        self.inner.setObjectName("dashboardInner")
        outer = QVBoxLayout(self.inner)
        outer.setContentsMargins(24, 18, 24, 18)
        outer.setSpacing(10)
        self.title = QLabel("Dashboard", self.inner)
        self.title.setObjectName("pageTitle")
        self.subtitle = QLabel(self.inner)
        self.subtitle.setObjectName("pageSubtitle")
        self.subtitle.setWordWrap(True)
        outer.addWidget(self.title)
        outer.addWidget(self.subtitle)
        self.message = QLabel(self.inner)
        self.message.setWordWrap(True)
        self.message.setObjectName("dashboardMessage")
        self.message.hide()
        outer.addWidget(self.message)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(14)
        outer.addLayout(self.grid)
        outer.addStretch(1)
        self.setWidget(self.inner)
        self.tiles: list[TileWidget] = []
        self._columns = 0
        app = QApplication.instance()
        if app is not None and app.styleSheet():  # type: ignore[union-attr]
            self.setStyleSheet(STYLE)
        self.refresh()

    def refresh(self) -> None:
        today = common.today()
        db = self.ctx.db
        who = db.partnership or db.display_name
        self.subtitle.setText(f"{who} · as at {format_date(today)}")
        try:
            with db.session() as s:
                tiles = dashboard_service.collect(s, today)
        except Exception:  # noqa: BLE001 - one area's fault must not blank the page
            log.exception("dashboard tiles could not be collected")
            tiles = []
            self.message.setText(
                "Some figures could not be worked out; details were saved to the log."
            )
            self.message.show()
        else:
            self.message.setVisible(not tiles)
            self.message.setText(
                "Nothing to show yet. Start with Action plans: add a plan, or open a "
                "database that holds one."
            )
        for widget in self.tiles:
            self.grid.removeWidget(widget)
            widget.deleteLater()
        self.tiles = []
        for tile in tiles:
            clickable = bool(tile.view) and view_registry.get(tile.view) is not None
            widget = TileWidget(tile, clickable, self.inner)
            widget.activated.connect(self.open_tile)
            self.tiles.append(widget)
        self._columns = 0
        self._reflow()

    def set_database(self, db) -> None:  # noqa: ANN001
        self.refresh()

    def columns_for(self, width: int) -> int:
        return max(1, (width - 48 + 14) // (TILE_WIDTH + 14))

    def _reflow(self) -> None:
        columns = self.columns_for(self.viewport().width())
        if columns == self._columns:
            return
        self._columns = columns
        for widget in self.tiles:
            self.grid.removeWidget(widget)
        for n, widget in enumerate(self.tiles):
            self.grid.addWidget(widget, n // columns, n % columns)
        for c in range(max(columns, self.grid.columnCount())):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow()

    def open_tile(self, tile: Tile) -> Any:
        kwargs = {"tile": tile.key} if tile.view in TILE_AWARE else {}
        return self.ctx.open_view(tile.view, **kwargs)
