"""How values look on screen: UK dates, sizes, and RAG colours.

Plain helpers with no widgets, shared by table models, views and dialogs (and
re-exported by :mod:`dvcoord.gui.widgets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from PySide6.QtCore import QDate
from PySide6.QtGui import QColor

DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
QT_DATE_FORMAT = "dd/MM/yyyy"


def format_date(value: date | datetime | None) -> str:
    """``dd/mm/yyyy``; a datetime is shown as its local calendar date; None is blank."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    return value.strftime(DATE_FORMAT)


def format_datetime(value: datetime | None, *, seconds: bool = False) -> str:
    """``dd/mm/yyyy HH:MM`` in local time (stored times are UTC)."""
    if value is None:
        return ""
    fmt = DATETIME_FORMAT + (":%S" if seconds else "")
    return _local(value).strftime(fmt)


def _local(value: datetime) -> datetime:
    return value.astimezone() if value.tzinfo is not None else value


def to_qdate(value: date | None) -> QDate:
    return QDate(value.year, value.month, value.day) if value is not None else QDate()


def from_qdate(value: QDate) -> date | None:
    return date(value.year(), value.month(), value.day()) if value.isValid() else None


def format_size(size: int) -> str:
    """``532 bytes``, ``12.5 KB``, ``3.4 MB``."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def format_pence(pence: int | None) -> str:
    """Money held as integer pence, shown as ``£1,234.50``."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds, p = divmod(abs(int(pence)), 100)
    return f"{sign}£{pounds:,}.{p:02d}"


def display_text(value: object) -> str:
    """The text a table cell shows for a plain Python value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, int | Decimal):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


# --------------------------------------------------------------------------- RAG
@dataclass(frozen=True)
class RagColours:
    letter: str
    name: str
    background: QColor
    foreground: QColor


#: Default RAG shades, chosen for at least 4.5:1 contrast with their text colour.
_RAG = {
    "R": ("Red", "#B3261E", "#FFFFFF"),
    "A": ("Amber", "#F2B705", "#000000"),
    "G": ("Green", "#2E7D32", "#FFFFFF"),
    "B": ("Blue", "#1F5FA8", "#FFFFFF"),
}
RAG_ORDER = {"R": 0, "A": 1, "G": 2, "B": 3}


def _readable_on(background: QColor) -> QColor:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    lum = (
        0.2126 * lin(background.redF())
        + 0.7152 * lin(background.greenF())
        + 0.0722 * lin(background.blueF())
    )
    # Contrast with white is 1.05/(L+0.05); with black (L+0.05)/0.05: pick the larger.
    return QColor("#000000") if (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) else QColor("#FFFFFF")


def rag_colours(
    letter: str | None, colour: str | None = None, name: str | None = None
) -> RagColours | None:
    """Background and text colour for a RAG letter (R/A/G/B), or None for no rating.

    ``colour`` (``#rrggbb``) overrides the shade, as a plan's own RAG key may do; the
    text colour is then chosen for contrast.  Colour is never the only signal: cells
    show the letter too.
    """
    key = (letter or "").strip().upper()[:1]
    if not key:
        return None
    default_name, bg, fg = _RAG.get(key, (key, "#5F6368", "#FFFFFF"))
    background = QColor(colour) if colour and QColor(colour).isValid() else QColor(bg)
    foreground = _readable_on(background) if colour and QColor(colour).isValid() else QColor(fg)
    return RagColours(key, name or default_name, background, foreground)
