"""What the area dialogs (alarms, training, Sanctuary Scheme) share: the Designer-form
dialog whose OK button saves through a service call in one transaction
(:class:`FormDialog`), the error label beside a field, combo-box and date helpers, and the
list of agencies to choose from.

A :class:`~dvcoord.errors.ValidationError` is shown beside its field (switching to the tab
that holds it) and the dialog stays open with everything typed, so nothing is lost; a
saved change is announced with ``ctx.notify_changed(AREA, ...)`` so other views refresh.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTabWidget,
    QWidget,
)
from sqlalchemy import select

from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.gui.context import AppContext
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import confirm, from_qdate, show_error, to_qdate
from dvcoord.store.schema.plans import Agency

__all__ = [
    "REFERENCE_HELP",
    "FormDialog",
    "agencies",
    "fill_combo",
    "optional_date",
    "optional_value",
    "polish",
    "set_date",
    "set_error",
    "set_note",
]

#: The help under every case-reference field.
REFERENCE_HELP = "The agency's own reference only: never a person's name, address or phone number."


# --------------------------------------------------------------------------- helpers
def polish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property ("invalid", "role") changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def set_error(label: QLabel | None, widget: QWidget | None, message: str) -> None:
    """Show ``message`` in ``label`` (hidden when empty) and mark ``widget`` invalid, also
    for screen readers (its accessible description)."""
    if label is not None:
        label.setText(message)
        label.setVisible(bool(message))
    if widget is not None:
        widget.setProperty("invalid", bool(message))
        widget.setAccessibleDescription(message or widget.toolTip() or "")
        polish(widget)


def set_note(label: QLabel, warnings: list[str], default: str) -> None:
    """A help label that turns into a warning (words, not only colour)."""
    if warnings:
        label.setText("Check: " + " ".join(dict.fromkeys(warnings)))
        label.setProperty("role", "error")
    else:
        label.setText(default)
        label.setProperty("role", "help")
    label.setVisible(bool(label.text()))
    polish(label)


def agencies(ctx: AppContext, current: str | None = None) -> list[tuple[str, str]]:
    """``(id, name)`` of the live, active agencies (and ``current`` even if inactive), by name."""
    with ctx.db.session() as s:
        rows = s.execute(
            select(Agency.id, Agency.name, Agency.active)
            .where(Agency.deleted_at.is_(None))
            .order_by(Agency.name)
        ).all()
    return [(i, n) for i, n, active in rows if active or i == current]


def fill_combo(
    combo: QComboBox, items: list[tuple[Any, str]], current: Any = None, *, quiet: bool = False
) -> None:
    """Fill ``combo`` with ``(value, label)`` items and choose ``current`` (else the first).

    ``quiet`` fills it without emitting ``currentIndexChanged`` on the way.
    """
    if quiet:
        combo.blockSignals(True)
    combo.clear()
    for value, label in items:
        combo.addItem(label, value)
    if current is not None:
        pos = combo.findData(current)
        if pos >= 0:
            combo.setCurrentIndex(pos)
    if quiet:
        combo.blockSignals(False)


def set_date(edit: QDateEdit, value: date | None = None) -> None:
    """A dd/mm/yyyy date edit with a calendar, showing ``value`` (today if None)."""
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setCalendarPopup(True)
    edit.setDate(to_qdate(value or date.today()))


def optional_date(check: QCheckBox, edit: QDateEdit, value: date | None) -> None:
    """A date that may be left out: ``check`` ticked and ``edit`` enabled when there is one."""
    set_date(edit, value)
    check.setChecked(value is not None)
    edit.setEnabled(value is not None)
    check.toggled.connect(edit.setEnabled)


def optional_value(check: QCheckBox, edit: QDateEdit) -> date | None:
    return from_qdate(edit.date()) if check.isChecked() else None


# --------------------------------------------------------------------------- base
class FormDialog(QDialog):
    """A dialog on a Designer form whose OK button saves through a service call.

    Subclasses set ``FORM`` and ``FIELDS`` (service field name -> widget name; the error
    label is found by the widget's base name + "Error"), ``AREA`` (announced with
    ``ctx.notify_changed`` after a save) and implement :meth:`apply`.
    """

    FORM = ""
    FIELDS: dict[str, str] = {}
    TITLE = ""
    AREA = ""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"{self.FORM}Dialog")
        self.form = load_ui(self.FORM, self)
        self.form.layout().setContentsMargins(14, 12, 14, 10)
        self.setMinimumWidth(520)
        if self.TITLE:
            self.setWindowTitle(self.TITLE)
        for label in self.form.findChildren(QLabel):
            if label.objectName().endswith("Error"):
                label.setProperty("role", "error")
                set_error(label, None, "")
            elif label.objectName().endswith("Help"):
                label.setProperty("role", "help")
                label.setVisible(bool(label.text()))
        self.result_value: Any = None
        box = getattr(self.form, "buttonBox", None)
        if box is not None and box.button(QDialogButtonBox.StandardButton.Ok) is not None:
            box.accepted.connect(self.save)
            box.rejected.connect(self.reject)

    # ------------------------------------------------------------------ errors
    def _widgets_for(self, field: str | None) -> tuple[QLabel | None, QWidget | None]:
        name = self.FIELDS.get(field or "")
        if not name:
            return None, None
        widget = getattr(self.form, name, None)
        base = name
        for suffix in ("Edit", "Combo", "Date", "Spin", "Check"):
            if base.endswith(suffix):
                base = base[: -len(suffix)]
                break
        return getattr(self.form, f"{base}Error", None), widget

    def clear_errors(self) -> None:
        for field in self.FIELDS:
            set_error(*self._widgets_for(field), "")

    def show_problem(self, exc: ValidationError) -> None:
        label, widget = self._widgets_for(exc.field)
        if label is None:
            show_error(self, exc, title=self.windowTitle())
            return
        if widget is not None:
            for tab in self.form.findChildren(QTabWidget):
                for i in range(tab.count()):
                    if tab.widget(i).isAncestorOf(widget):
                        tab.setCurrentIndex(i)
        set_error(label, widget, str(exc))
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def error_text(self, field: str) -> str:
        """The message shown beside ``field`` ("" when none)."""
        label, _ = self._widgets_for(field)
        return label.text() if label is not None and not label.isHidden() else ""

    # ------------------------------------------------------------------ saving
    def before_save(self) -> bool:
        """Checks that need the user (a confirmation); False keeps the dialog open."""
        return True

    def apply(self, session) -> Any:  # noqa: ANN001
        """Write the form through the services; every FormDialog subclass defines it."""
        raise TypeError(f"{type(self).__name__} does not say how to save its form (apply)")

    def write(self) -> bool:
        """Check with the user, then :meth:`apply` in one transaction (its result in
        ``result_value``); a refusal is shown and False returned, nothing written."""
        self.clear_errors()
        if not self.before_save():
            return False
        try:
            with self.ctx.db.transaction() as s:
                self.result_value = self.apply(s)
        except ValidationError as exc:
            self.show_problem(exc)
            return False
        except DvcoordError as exc:
            show_error(self, exc, title=self.windowTitle())
            return False
        return True

    def save(self) -> bool:
        """OK: write, announce the change and close."""
        if not self.write():
            return False
        self.ctx.notify_changed(self.AREA, self.parent())
        self.accept()
        return True

    def confirm_warnings(self, messages: list[str], what: str, focus: QWidget) -> bool:
        """Ask before saving text that may hold personal data; False keeps the dialog open."""
        if not messages:
            return True
        ok = confirm(
            self,
            f"The {what} may hold personal data.",
            title=f"Check the {what}",
            informative=" ".join(dict.fromkeys(messages)) + " Save it as it is?",
            yes="Save as it is",
            no="Change it",
            danger=True,
        )
        if not ok:
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        return ok
