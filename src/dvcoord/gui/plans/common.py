"""Pieces the plan views share: forms that save as each field is left, messages shown
at the field, RAG swatches, how a target date was read, and ``today()``.

:class:`FormBinder` ties named fields (the names the services use in
``ValidationError.field``) to widgets and their error labels.  A field is *committed*
when the user leaves it (Enter or focus out for text, a choice for a combo box, a click
for a check box); the binder emits :attr:`FormBinder.committed` only if the value
differs from what was last loaded, and a field the user has changed but not yet saved
(because it was refused) is *dirty*: reloading the form after someone else's change
leaves it as typed, so nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFocusEvent, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QWidget,
)

from dvcoord.gui.formatting import QT_DATE_FORMAT, from_qdate, rag_colours, to_qdate
from dvcoord.services import dates


def today() -> date:
    """The day the views treat as today (tests replace it)."""
    return date.today()


#: The plan views' own touches on dvcoord's stylesheet (same palette), by object name.
#: Each is set on its one label (cheap, unlike a stylesheet on a whole view), and not
#: at all when the application runs without a stylesheet (a high-contrast theme).
LABEL_STYLES = {
    "editorKind": "QLabel { color: #505A5F; font-size: 9pt; font-weight: bold; "
    "letter-spacing: 1px; }",
    "editorHeading": "QLabel { font-size: 13pt; font-weight: bold; color: #0B0C0C; }",
    "targetPreview": "QLabel { color: #1F4E2C; padding: 2px 6px; } "
    'QLabel[flagged="true"] { color: #5C3A00; background: #FFF1C7; '
    "border-left: 4px solid #F2B705; font-weight: bold; }",
    "progressToDate": "QLabel { background: #F3F5F7; border-left: 4px solid #1D4E89; "
    "padding: 6px 8px; }",
}


def styled() -> bool:
    """True when dvcoord's stylesheet is in use (not a system high-contrast theme)."""
    app = QApplication.instance()
    return app is not None and bool(app.styleSheet())  # type: ignore[union-attr]


def style_label(label: QLabel, name: str) -> QLabel:
    """Name ``label`` and give it its look from :data:`LABEL_STYLES`."""
    label.setObjectName(name)
    if name == "editorKind":
        label.setText(label.text().upper())
    if styled() and name in LABEL_STYLES:
        label.setStyleSheet(LABEL_STYLES[name])
    return label


# --------------------------------------------------------------------------- target dates
def describe_target(td: dates.TargetDate) -> tuple[str, bool]:
    """How a target date was read, for the line under the field, and whether it is
    flagged (could not be read).

    ``"Read as: Q2 2013/14 (01/07/2013–30/09/2013)"``, ``"Read as: ongoing (no date)"``,
    ``"Could not read — kept as written"``.
    """
    kind = td.kind
    if kind is dates.DateKind.UNREADABLE:
        return "Could not read — kept as written", True
    if kind is dates.DateKind.EMPTY:
        return "No target date", False
    if td.start is not None and td.end is not None:
        if kind is dates.DateKind.QUARTER:
            fy, q = dates.quarter_of(td.start)
            name = f"Q{q} {dates.fy_label(fy)}"
        elif kind is dates.DateKind.FINANCIAL_YEAR:
            name = f"financial year {dates.fy_label(dates.financial_year_of(td.start))}"
        elif kind is dates.DateKind.MONTH:
            name = td.end.strftime("%B %Y")
        elif kind is dates.DateKind.DAY:
            return f"Read as: {td.end.day} {td.end.strftime('%B %Y')}", False
        else:
            name = str(td.end.year)
        span = f"{dates.format_date(td.start)}–{dates.format_date(td.end)}"
        return f"Read as: {name} ({span})", False
    words = {
        dates.DateKind.ONGOING: "ongoing (no date)",
        dates.DateKind.TBD: "to be determined (no date)",
        dates.DateKind.CONDITIONAL: "conditional (no date)",
    }
    return f"Read as: {words.get(kind, td.label())}", False


class TargetPreview(QLabel):
    """The line under a target-date field that says how the words were read."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        style_label(self, "targetPreview")
        self.setWordWrap(True)
        self.setAccessibleName("How the date was read")
        self.flagged = False

    def show_for(self, text: str) -> None:
        td = dates.parse_target_date(text, today=today())
        message, flagged = describe_target(td)
        self.flagged = flagged
        self.setText(message)
        self.setToolTip(td.note or "")
        self.setProperty("flagged", flagged)
        self.style().unpolish(self)
        self.style().polish(self)


def connect_preview(edit: QLineEdit, preview: TargetPreview) -> None:
    """Update ``preview`` live as ``edit`` is typed in."""
    edit.textChanged.connect(preview.show_for)
    preview.show_for(edit.text())


# --------------------------------------------------------------------------- widgets
class PlainTextEdit(QPlainTextEdit):
    """A multi-line text box that says when the user has left it (like QLineEdit) and
    grows with its text from ``lines`` up to ``max_lines`` lines, then scrolls."""

    editingFinished = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, lines: int = 3, max_lines: int = 12
    ) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._lines = lines
        self._max_lines = max(lines, max_lines)
        self.document().documentLayout().documentSizeChanged.connect(lambda _s: self._fit())
        self._fit()

    def _fit(self) -> None:
        shown = int(self.document().size().height() + 0.99)
        lines = max(self._lines, min(self._max_lines, shown))
        margins = self.contentsMargins()
        height = (
            lines * self.fontMetrics().lineSpacing()
            + int(2 * self.document().documentMargin())
            + margins.top()
            + margins.bottom()
            + 2 * self.frameWidth()
            + 4
        )
        if height != self.height():
            self.setFixedHeight(height)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if event.reason() != Qt.FocusReason.PopupFocusReason:
            self.editingFinished.emit()


def rag_icon(letter: str, colour: str | None = None, size: int = 18) -> QIcon:
    """A square of the RAG colour with its letter on it (colour is never the only sign)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    info = rag_colours(letter, colour)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if info is None:
            painter.setPen(QColor("#6F777B"))
            painter.drawRect(1, 1, size - 3, size - 3)
            painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "–")
        else:
            painter.setBrush(info.background)
            painter.setPen(info.background.darker(130))
            painter.drawRoundedRect(0, 0, size - 1, size - 1, 3, 3)
            font = QFont(painter.font())
            font.setBold(True)
            font.setPixelSize(int(size * 0.7))
            painter.setFont(font)
            painter.setPen(info.foreground)
            painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, info.letter)
    finally:
        painter.end()
    return QIcon(pixmap)


def fill_rag_combo(combo: QComboBox, entries: Sequence[Any], *, blank: str = "Not rated") -> None:
    """Put a blank choice and each entry of a RAG key (swatch, letter, name) in ``combo``;
    the item data is the letter and the tooltip its meaning."""
    combo.clear()
    combo.setIconSize(QSize(18, 18))
    combo.addItem(rag_icon(""), blank, "")
    for e in entries:
        combo.addItem(rag_icon(e.letter, e.colour), f"{e.letter} – {e.name}", e.letter)
        if e.meaning:
            combo.setItemData(combo.count() - 1, e.meaning, Qt.ItemDataRole.ToolTipRole)


class RagCombo(QComboBox):
    """Choose a RAG letter from a plan's key: each entry shows its colour and letter."""

    def __init__(self, parent: QWidget | None = None, *, blank: str = "Not rated") -> None:
        super().__init__(parent)
        self._blank = blank
        self.setIconSize(QSize(18, 18))
        self.set_key([])

    def set_key(self, entries: Sequence[Any]) -> None:
        """``entries``: the plan's RAG key (objects with letter, name, meaning, colour)."""
        current = self.currentData()
        self.blockSignals(True)
        try:
            fill_rag_combo(self, entries, blank=self._blank)
            self.set_value(current or "")
        finally:
            self.blockSignals(False)

    def value(self) -> str:
        return str(self.currentData() or "")

    def set_value(self, letter: str) -> None:
        pos = self.findData(letter or "")
        if pos < 0 and letter:  # a letter outside the key (kept so it can be seen)
            self.addItem(rag_icon(letter), letter, letter)
            pos = self.count() - 1
        self.setCurrentIndex(max(pos, 0))


def fill_fy_combo(combo: QComboBox, first: int, last: int, *, blank: str = "—") -> None:
    """Financial years ``first``..``last`` as "2013/14", with a blank choice first."""
    combo.clear()
    combo.addItem(blank, None)
    for year in range(first, last + 1):
        combo.addItem(dates.fy_label(year), year)


def set_combo_data(combo: QComboBox, value: Any) -> None:
    """Select the entry whose data is ``value`` (a missing financial year is added)."""
    pos = next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)
    if pos < 0 and isinstance(value, int) and not isinstance(value, bool):
        combo.addItem(dates.fy_label(value), value)
        pos = combo.count() - 1
    combo.setCurrentIndex(max(pos, 0))


def error_label(parent: QWidget, accessible: str) -> QLabel:
    label = QLabel(parent)
    label.setProperty("role", "error")
    label.setWordWrap(True)
    label.setAccessibleName(accessible)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setVisible(False)
    return label


def show_field_error(label: QLabel | None, widget: QWidget | None, message: str) -> None:
    """Show ``message`` under ``widget`` (or clear it), with the red frame and the words."""
    if label is not None:
        label.setText(message)
        label.setVisible(bool(message))
    if widget is not None:
        widget.setProperty("invalid", bool(message))
        widget.setAccessibleDescription(message)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def _set_line(edit: QLineEdit, value: Any) -> None:
    edit.setText("" if value is None else str(value))
    edit.setCursorPosition(0)  # show the start of a long text, not its end


# --------------------------------------------------------------------------- the binder
class FormBinder(QObject):
    """Named fields of a form: values, what was last saved, and messages at the field."""

    committed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._widgets: dict[str, QWidget] = {}
        self._errors: dict[str, QLabel | None] = {}
        self._saved: dict[str, Any] = {}
        self._getters: dict[str, Callable[[], Any]] = {}
        self._setters: dict[str, Callable[[Any], None]] = {}
        self.auto_commit = True

    # ------------------------------------------------------------------ set-up
    def add(self, name: str, widget: QWidget, error: QLabel | None = None) -> QWidget:
        self._widgets[name] = widget
        self._errors[name] = error
        emit = lambda *_: self._left(name)  # noqa: E731
        if isinstance(widget, RagCombo):
            self._getters[name] = widget.value
            self._setters[name] = lambda v, w=widget: w.set_value(v or "")
            widget.activated.connect(emit)
        elif isinstance(widget, QComboBox):
            self._getters[name] = widget.currentData
            self._setters[name] = lambda v, w=widget: set_combo_data(w, v)
            widget.activated.connect(emit)
        elif isinstance(widget, QLineEdit):
            self._getters[name] = widget.text
            self._setters[name] = lambda v, w=widget: _set_line(w, v)
            widget.editingFinished.connect(emit)
        elif isinstance(widget, QPlainTextEdit):
            self._getters[name] = widget.toPlainText
            self._setters[name] = lambda v, w=widget: w.setPlainText("" if v is None else str(v))
            if isinstance(widget, PlainTextEdit):
                widget.editingFinished.connect(emit)
        elif isinstance(widget, QCheckBox):
            self._getters[name] = widget.isChecked
            self._setters[name] = lambda v, w=widget: w.setChecked(bool(v))
            widget.clicked.connect(emit)
        elif isinstance(widget, QDateEdit):
            widget.setDisplayFormat(QT_DATE_FORMAT)
            widget.setCalendarPopup(True)
            self._getters[name] = lambda w=widget: from_qdate(w.date())
            self._setters[name] = lambda v, w=widget: w.setDate(to_qdate(v or today()))
            widget.editingFinished.connect(emit)
        else:
            raise TypeError(f"no binding for {type(widget).__name__}")
        return widget

    def names(self) -> list[str]:
        return list(self._widgets)

    def widget(self, name: str) -> QWidget:
        return self._widgets[name]

    # ------------------------------------------------------------------ values
    def value(self, name: str) -> Any:
        return self._getters[name]()

    def values(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        return {n: self.value(n) for n in (names if names is not None else self._widgets)}

    def saved(self, name: str) -> Any:
        return self._saved.get(name)

    def is_dirty(self, name: str) -> bool:
        return name in self._saved and self._norm(self.value(name)) != self._norm(self._saved[name])

    def dirty_fields(self) -> list[str]:
        return [n for n in self._widgets if self.is_dirty(n)]

    @staticmethod
    def _norm(value: Any) -> Any:
        return "" if value is None else value

    def set_value(self, name: str, value: Any) -> None:
        widget = self._widgets[name]
        widget.blockSignals(True)
        try:
            self._setters[name](value)
        finally:
            widget.blockSignals(False)

    def load(self, values: dict[str, Any], *, keep_dirty: bool = False) -> None:
        """Show ``values`` as saved.  With ``keep_dirty``, fields the user has changed
        and not saved keep what was typed (and their message)."""
        for name, value in values.items():
            if name not in self._widgets:
                continue
            dirty = keep_dirty and self.is_dirty(name)
            self._saved[name] = value
            if dirty:
                continue
            if self._norm(self.value(name)) != self._norm(value):
                self.set_value(name, value)
            self.show_error(name, "")

    def mark_saved(self, name: str, value: Any | None = None) -> None:
        self._saved[name] = self.value(name) if value is None else value

    def clear(self) -> None:
        for name in self._widgets:
            self.set_value(name, None)
            self.show_error(name, "")
        self._saved.clear()

    # ------------------------------------------------------------------ messages
    def show_error(self, name: str, message: str) -> bool:
        """Show ``message`` at field ``name``; False if there is no such field."""
        if name not in self._widgets:
            return False
        show_field_error(self._errors.get(name), self._widgets[name], message)
        return True

    def error_text(self, name: str) -> str:
        label = self._errors.get(name)
        return label.text() if label is not None else ""

    def clear_errors(self) -> None:
        for name in self._widgets:
            self.show_error(name, "")

    def focus(self, name: str) -> None:
        widget = self._widgets.get(name)
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_enabled(self, enabled: bool) -> None:
        for widget in self._widgets.values():
            if isinstance(widget, QLineEdit | QPlainTextEdit):
                widget.setReadOnly(not enabled)
            else:
                widget.setEnabled(enabled)

    # ------------------------------------------------------------------ commits
    def _left(self, name: str) -> None:
        if not self.auto_commit:
            return
        if self.is_dirty(name):
            self.committed.emit(name)
        else:  # put back as it was: nothing to save, and no message left standing
            self.show_error(name, "")
