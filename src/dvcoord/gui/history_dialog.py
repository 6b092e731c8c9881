"""The history of one record, from the audit trail, with "Restore this version".

Any view opens it for a row of a shared table::

    from dvcoord.gui.history_dialog import open_history
    open_history(self.ctx, "action", action_id, self)

A view may also implement ``current_record() -> (table, row_id) | None``; Edit > History
of the selected record… then opens this dialog for the record selected in it.

Every version is listed, newest first (created, changed, marked deleted, brought back,
taken from a merged file, replaced by a merge, received in a merge but not taken), with
who and when; choosing one shows it field by field beside the record as it is now.
Restoring writes that version back as a new change, so the version it replaces stays in
the history too (:func:`dvcoord.exchange.history.restore_version`).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QHeaderView, QTableWidgetItem, QWidget

from dvcoord.errors import DvcoordError
from dvcoord.exchange.history import RowVersion, restore_version, row_history
from dvcoord.gui.context import AppContext
from dvcoord.gui.exchange_dialogs import display_fields, field_label, show_value, table_title
from dvcoord.gui.formatting import format_datetime
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import confirm, show_error

log = logging.getLogger(__name__)

_HIDDEN = ("id", "created_at", "updated_at", "origin")


class HistoryDialog(QDialog):
    """Versions of the row ``row_id`` of the shared table ``table``."""

    def __init__(
        self, ctx: AppContext, table: str, row_id: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.table = table
        self.row_id = row_id
        self.versions: list[RowVersion] = []
        self.restored = 0
        self.setObjectName("historyDialog")
        self.form = f = load_ui("row_history", self)
        self.resize(840, 580)
        f.versionsTable.itemSelectionChanged.connect(self._show_selected)
        f.restoreButton.clicked.connect(self.restore_selected)
        f.buttonBox.rejected.connect(self.reject)
        f.buttonBox.accepted.connect(self.accept)
        self.reload()

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        f = self.form
        self.versions = row_history(self.ctx.db, self.table, self.row_id)
        current = self.current_values()
        from dvcoord.exchange.merge import row_label

        name = row_label(self.table, current) if current else table_title(self.table)
        self.setWindowTitle(f"History of {name}")
        f.recordLabel.setText(
            f"{name} – {len(self.versions)} version(s) on record, newest first."
            if self.versions
            else f"{name} – no history is recorded for this record yet."
        )
        t = f.versionsTable
        headers = ["When", "Who", "What", "Fields changed"]
        t.setColumnCount(len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.setRowCount(len(self.versions))
        for r, v in enumerate(self.versions):
            cells = [
                format_datetime(v.at),
                v.edited_by if v.side == "after" else v.user,
                v.description
                + (" (marked deleted)" if v.is_deleted and v.action != "tombstone" else ""),
                ", ".join(field_label(x) for x in v.changed_fields),
            ]
            for c, text in enumerate(cells):
                t.setItem(r, c, QTableWidgetItem(text))
        t.verticalHeader().setVisible(False)
        t.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        t.resizeColumnsToContents()
        f.restoreButton.setEnabled(False)
        if self.versions:
            t.selectRow(0)
        else:
            f.valuesTable.setRowCount(0)

    def current_values(self) -> dict:
        return (
            dict(self.versions[0].values)
            if self.versions and self.versions[0].side == "after"
            else {}
        )

    def selected_version(self) -> RowVersion | None:
        rows = {i.row() for i in self.form.versionsTable.selectedIndexes()}
        if len(rows) != 1:
            return None
        row = rows.pop()
        return self.versions[row] if 0 <= row < len(self.versions) else None

    def _show_selected(self) -> None:
        f = self.form
        v = self.selected_version()
        t = f.valuesTable
        if v is None:
            t.setRowCount(0)
            f.restoreButton.setEnabled(False)
            return
        now = self._now()
        differing = {k for k in v.values if k not in _HIDDEN and now.get(k) != v.values.get(k)}
        fields = display_fields({k: x for k, x in v.values.items() if k not in _HIDDEN}, differing)
        t.setColumnCount(3)
        t.setHorizontalHeaderLabels(["Field", "This version", "Now"])
        t.setRowCount(len(fields))
        bold = QFont()
        bold.setBold(True)
        for r, name in enumerate(fields):
            differs = now.get(name) != v.values.get(name)
            cells = [
                field_label(name) + (" (differs)" if differs else ""),
                show_value(name, v.values.get(name)),
                show_value(name, now.get(name)),
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if differs:
                    item.setFont(bold)
                t.setItem(r, c, item)
        t.verticalHeader().setVisible(False)
        header = t.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        t.resizeRowsToContents()
        same = all(now.get(k) == v.values.get(k) for k in fields if k != "updated_by")
        f.restoreButton.setEnabled(not self.ctx.db.readonly and not same)

    def _now(self) -> dict:
        from sqlalchemy import inspect as sa_inspect

        from dvcoord.exchange.merge import model_for
        from dvcoord.store.audit import to_jsonable

        model = model_for(self.table)
        with self.ctx.db.session() as s:
            obj = s.get(model, self.row_id)
            if obj is None:
                return {}
            return {a.key: to_jsonable(getattr(obj, a.key)) for a in sa_inspect(model).column_attrs}

    # ------------------------------------------------------------------ restoring
    def restore_selected(self, *, ask: bool = True) -> bool:
        v = self.selected_version()
        if v is None:
            return False
        if ask and not confirm(
            self,
            f"Restore the version of {format_datetime(v.at)}?",
            title="Restore this version",
            yes="Restore",
            informative="The record as it is now stays in its history, so this can be undone "
            "by restoring that version.",
        ):
            return False
        try:
            changed = restore_version(self.ctx.db, self.table, self.row_id, v.audit_id, side=v.side)
        except DvcoordError as exc:
            show_error(self, exc, title="Restore this version")
            return False
        if changed:
            self.restored += 1
            log.info("restored a version of a %s row", self.table)
            self.ctx.notify_changed("", self)
            self.ctx.show_message("The version was restored.")
        self.reload()
        return changed


def open_history(
    ctx: AppContext, table: str, row_id: str, parent: QWidget | None = None
) -> HistoryDialog | None:
    """Show the history of one record (modeless); None if it cannot be shown."""
    try:
        dialog = HistoryDialog(ctx, table, row_id, parent)
    except DvcoordError as exc:
        show_error(parent, exc, title="History")
        return None
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
