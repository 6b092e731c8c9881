"""The spreadsheet import preview shared by the alarms, training and indicators areas.

The user chooses what each column of the file holds, sees every row with what will happen
to it and its problems, and a count of each; Import stays disabled while nothing can be
imported, or while rows have errors and "Import the rows without errors" is not ticked.
Import takes a backup and writes in one transaction
(:func:`~dvcoord.gui.workers.import_with_backup`).

Each area subclasses :class:`ImportPreviewDialog` with its form, its columns, its words
and its importer's ``plan_import`` / ``apply_import``.
"""

from __future__ import annotations

from collections.abc import Callable, Sized
from types import ModuleType
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dvcoord.errors import DvcoordError
from dvcoord.gui.context import AppContext
from dvcoord.gui.forms import fill_combo
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import DataTable, choose_open_file, show_error
from dvcoord.gui.workers import WorkAborted, import_with_backup, run_in_worker

__all__ = ["NOT_IMPORTED", "ImportPreviewDialog", "MappingGroup", "read_in_worker"]

NOT_IMPORTED = "(not imported)"

T = TypeVar("T")

#: One table of the file in the column chooser: its name (shown when ``TABLE_COLUMN``),
#: its column mapping, and the ``(field, label)`` choices for each of its columns.
MappingGroup = tuple[str, Any, list[tuple[str, str]]]


class ImportPreviewDialog(QDialog):
    """Choose the columns, preview every row's fate, then import after a backup.

    Subclasses set the class attributes and implement the hooks below; ``source`` is what
    the area's reader returned (kept as ``self.source``) and ``importer`` the module with
    ``plan_import(session, source)`` and ``apply_import``.
    """

    OBJECT_NAME = ""
    FORM = ""
    SIZE = (960, 680)
    #: Show a "Table" column in the column chooser (files with several tables).
    TABLE_COLUMN = False
    #: When a field is chosen for a column, show the column that held it as not imported.
    CLEAR_MOVED_FIELD = True
    #: ``row.action`` -> the words in the "Will be" column.
    ACTIONS: dict[str, str] = {}
    #: Title of the message when rows have errors, and of the progress dialog.
    ERROR_TITLE = ""
    PROGRESS_TITLE = ""
    #: What ``ctx.notify_changed`` announces after an import ("" = everything).
    AREA = ""

    def __init__(
        self, ctx: AppContext, source: Any, importer: ModuleType, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.importer = importer
        self.source = source
        self.plan: Any = None
        self.summary: Any = None
        self.setObjectName(self.OBJECT_NAME)
        self.form = f = load_ui(self.FORM, self)
        f.layout().setContentsMargins(14, 12, 14, 10)
        self.resize(*self.SIZE)
        f.fileLabel.setText(self.file_text())
        headers = ["Column in the file", "Holds"]
        if self.TABLE_COLUMN:
            headers.insert(0, "Table")
        self.mapping = QTableWidget(0, len(headers), f.mappingHost)
        self.mapping.setObjectName("mappingTable")
        self.mapping.setAccessibleName("Columns of the file and what they hold")
        self.mapping.setHorizontalHeaderLabels(headers)
        self.mapping.verticalHeader().setVisible(False)
        for c in range(len(headers)):
            self.mapping.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(f.mappingHost)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.mapping)
        self.combos: list[QComboBox] = []
        self._mapping_of: list[tuple[QComboBox, Any]] = []
        for table_name, mapping, fields in self.mapping_groups():
            self._add_mapping_rows(table_name, mapping, [(None, NOT_IMPORTED), *fields])
        self.model = RowTableModel(
            [
                Column("Where", lambda r: r.where, width=18),
                *self.row_columns(),
                Column("Will be", lambda r: self.ACTIONS[r.action], width=12),
                Column("Problems and notes", lambda r: " ".join(r.errors + r.warnings), width=60),
            ]
        )
        self.preview = DataTable(self.model, f.previewHost, accessible_name="Rows of the file")
        layout = QVBoxLayout(f.previewHost)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview)
        ok = f.buttonBox.button(f.buttonBox.StandardButton.Ok)
        ok.setText("Import")
        f.buttonBox.accepted.connect(self.run_import)
        f.buttonBox.rejected.connect(self.reject)
        f.skipErrorsCheck.toggled.connect(lambda _on: self._update_summary())
        self.replan()

    # ------------------------------------------------------------------ area hooks
    def file_text(self) -> str:
        """The line naming the file (and its tables)."""
        raise TypeError(f"{type(self).__name__} does not name its file (file_text)")

    def mapping_groups(self) -> list[MappingGroup]:
        raise TypeError(f"{type(self).__name__} does not list its columns (mapping_groups)")

    def row_columns(self) -> list[Column]:
        """The preview's columns between "Where" and "Will be"."""
        return []

    def summary_text(self, plan: Any) -> str:
        raise TypeError(f"{type(self).__name__} does not count its rows (summary_text)")

    def writes(self, plan: Any) -> Sized:
        """The rows the import would write (none: Import stays disabled)."""
        raise TypeError(f"{type(self).__name__} does not say what it writes (writes)")

    def progress_text(self, plan: Any) -> str:
        return f"Importing {len(self.writes(plan))} row(s)"

    def apply(self, session: Any, plan: Any, skip_errors: bool) -> Any:
        """Write ``plan`` in ``session``; the importer's summary."""
        return self.importer.apply_import(session, plan, skip_errors=skip_errors)

    def done_message(self, summary: Any) -> str:
        raise TypeError(f"{type(self).__name__} does not report its import (done_message)")

    # ------------------------------------------------------------------ columns
    def _add_mapping_rows(
        self, table_name: str, mapping: Any, choices: list[tuple[str | None, str]]
    ) -> None:
        texts = [table_name] if self.TABLE_COLUMN else []
        for col, header in enumerate(mapping.headers):
            if not header:
                continue
            row = self.mapping.rowCount()
            self.mapping.insertRow(row)
            for c, text in enumerate([*texts, header]):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.mapping.setItem(row, c, item)
            combo = QComboBox(self.mapping)
            combo.setAccessibleName(f"What the column {header} holds")
            fill_combo(combo, choices, mapping.field_of(col))
            combo.currentIndexChanged.connect(
                lambda _i, cb=combo, m=mapping, c=col: self._assign(cb, m, c)
            )
            self.mapping.setCellWidget(row, len(texts) + 1, combo)
            self.combos.append(combo)
            self._mapping_of.append((combo, mapping))

    def _assign(self, combo: QComboBox, mapping: Any, column: int) -> None:
        field = combo.currentData()
        current = mapping.field_of(column)
        if current is not None:
            mapping.assign(current, None)
        if field is not None:
            mapping.assign(field, column)
        if self.CLEAR_MOVED_FIELD and field is not None:
            # a field lives in one column: show the column it left as not imported
            for other, other_mapping in self._mapping_of:
                if other is not combo and other_mapping is mapping and other.currentData() == field:
                    other.blockSignals(True)
                    other.setCurrentIndex(0)
                    other.blockSignals(False)
        self.replan()

    # ------------------------------------------------------------------ preview
    def replan(self) -> None:
        try:
            with self.ctx.db.session() as s:
                self.plan = self.importer.plan_import(s, self.source)
        except DvcoordError as exc:
            self.plan = None
            self.model.set_rows([])
            self.form.summaryLabel.setText(str(exc))
            self._update_summary()
            return
        self.model.set_rows(self.plan.rows)
        self._update_summary()

    def _update_summary(self) -> None:
        ok = self.form.buttonBox.button(self.form.buttonBox.StandardButton.Ok)
        plan = self.plan
        if plan is None:
            ok.setEnabled(False)
            return
        self.form.summaryLabel.setText(self.summary_text(plan))
        self.form.skipErrorsCheck.setVisible(bool(plan.errors))
        ok.setEnabled(
            bool(self.writes(plan)) and (not plan.errors or self.form.skipErrorsCheck.isChecked())
        )

    # ------------------------------------------------------------------ import
    def run_import(self) -> bool:
        plan = self.plan
        if plan is None or not self.writes(plan):
            return False
        skip = self.form.skipErrorsCheck.isChecked()
        if plan.errors and not skip:
            show_error(
                self,
                DvcoordError(
                    f"{len(plan.errors)} row(s) have errors; correct them in the file, or tick "
                    "'Import the rows without errors'."
                ),
                title=self.ERROR_TITLE,
            )
            return False
        try:
            self.summary = import_with_backup(
                self,
                self.ctx.db,
                self.PROGRESS_TITLE,
                self.progress_text(plan),
                lambda s: self.apply(s, plan, skip),
            )
        except WorkAborted:
            return False
        self.ctx.notify_changed(self.AREA, self.parent())
        self.ctx.show_message(self.done_message(self.summary))
        self.accept()
        return True


def read_in_worker(parent: QWidget, read: Callable[[], T]) -> T:
    """Read a spreadsheet off the UI thread with ``read()`` (raises WorkAborted on failure)."""
    return run_in_worker(
        parent, "Reading the spreadsheet", lambda _p, _c: read(), cancellable=False
    )


SPREADSHEETS = "Spreadsheets (*.xlsx *.xlsm *.csv);;All files (*)"


def choose_and_preview(
    view: Any,
    title: str,
    read: Callable[[QWidget, Any], T],
    make_dialog: Callable[[T], QDialog],
) -> QDialog | None:
    """The start of every spreadsheet import: ask for the file (titled ``title``), read
    it off the UI thread with ``read(view, path)`` and return the area's preview dialog,
    ``make_dialog(what_was_read)``; None when the user cancelled or the file could not
    be read (they have been told why)."""
    path = choose_open_file(
        view, title, file_filter=SPREADSHEETS, purpose="import", settings=view.ctx.settings
    )
    if path is None:
        return None
    try:
        data = read(view, path)
    except WorkAborted:
        return None
    return make_dialog(data)
