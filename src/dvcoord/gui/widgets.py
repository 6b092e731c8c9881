"""Building blocks every view reuses: messages, file choosers, a filter bar, a table.

* :class:`ErrorDialog`, :func:`show_error`, :func:`inform`, :func:`confirm` - plain
  message boxes (always shown through ``QMessageBox.exec`` so tests can record them);
* :func:`choose_open_file` / :func:`choose_save_file` - file dialogs that remember the
  last folder per purpose;
* :class:`FilterBar` - "Filter…" box with a clear button and a "12 of 40" count;
* :class:`DataTable` - a sortable, filterable table over a
  :class:`~dvcoord.gui.tablemodel.RowTableModel` that keeps its selection across
  refreshes;
* date and RAG helpers re-exported from :mod:`dvcoord.gui.formatting`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QModelIndex, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableView,
    QWidget,
)

from dvcoord import paths
from dvcoord.errors import DvcoordError
from dvcoord.gui.formatting import (  # noqa: F401  (re-exported for views)
    QT_DATE_FORMAT,
    RAG_ORDER,
    RagColours,
    display_text,
    format_date,
    format_datetime,
    format_pence,
    format_size,
    from_qdate,
    rag_colours,
    to_qdate,
)
from dvcoord.gui.tablemodel import FilterProxy, RowTableModel

log = logging.getLogger(__name__)

APP_TITLE = "dvcoord"
DATABASE_FILTER = "dvcoord databases (*.sqlite *.db);;All files (*)"


# --------------------------------------------------------------------------- messages
class ErrorDialog(QMessageBox):
    """A plain warning: one sentence, optionally where the details were logged."""

    def __init__(
        self,
        parent: QWidget | None,
        text: str,
        *,
        title: str = APP_TITLE,
        logged: bool = False,
        informative: str = "",
    ) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(title)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)
        self.setAccessibleName("Error message")
        self.setAccessibleDescription(text)
        extra = informative
        if logged:
            extra = (extra + "\n\n" if extra else "") + f"Details were saved to {paths.log_path()}."
        if extra:
            self.setInformativeText(extra)
        self._log_button = (
            self.addButton("Open log folder", QMessageBox.ButtonRole.HelpRole) if logged else None
        )
        self.addButton(QMessageBox.StandardButton.Ok)
        self.setDefaultButton(QMessageBox.StandardButton.Ok)

    @classmethod
    def show_error(cls, parent: QWidget | None, text: str, **kwargs: Any) -> None:
        dialog = cls(parent, text, **kwargs)
        dialog.exec()
        if dialog._log_button is not None and dialog.clickedButton() is dialog._log_button:
            open_folder(paths.log_dir())


def show_error(
    parent: QWidget | None, problem: BaseException | str, *, title: str = APP_TITLE, doing: str = ""
) -> None:
    """Tell the user about ``problem`` in one plain sentence.

    A :class:`DvcoordError` is shown as it is; anything else is a fault: it is logged
    with its traceback and the user is told where the details went.
    """
    if isinstance(problem, DvcoordError):
        ErrorDialog.show_error(parent, str(problem), title=title)
        return
    if isinstance(problem, BaseException):
        log.error(
            "unexpected error%s",
            f" while {doing}" if doing else "",
            exc_info=(type(problem), problem, problem.__traceback__),
        )
        what = f"while {doing} " if doing else ""
        ErrorDialog.show_error(
            parent,
            f"Something went wrong {what}({type(problem).__name__}). "
            "dvcoord is still running and nothing you typed has been lost.",
            title=title,
            logged=True,
        )
        return
    ErrorDialog.show_error(parent, str(problem), title=title)


def inform(
    parent: QWidget | None, text: str, *, title: str = APP_TITLE, informative: str = ""
) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    box.addButton(QMessageBox.StandardButton.Ok)
    box.exec()


def confirm(
    parent: QWidget | None,
    text: str,
    *,
    title: str = APP_TITLE,
    yes: str = "Yes",
    no: str = "Cancel",
    informative: str = "",
    danger: bool = False,
) -> bool:
    """Ask a yes/no question; True only if the user chose ``yes``.

    With ``danger=True`` the safe answer is the default, so pressing Enter does no harm.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if danger else QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button if danger else yes_button)
    box.setEscapeButton(no_button)
    box.exec()
    return box.clickedButton() is yes_button


def open_folder(folder: Path) -> bool:
    """Show ``folder`` in the system's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


@contextlib.contextmanager
def busy_cursor() -> Iterator[None]:
    """An hourglass for something short that must stay on the UI thread."""
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QGuiApplication.restoreOverrideCursor()


# --------------------------------------------------------------------------- files
def _start_folder(settings: Any, purpose: str) -> str:
    folder = settings.last_folder(purpose) if settings is not None else None
    return str(folder) if folder else str(Path.home())


def choose_open_file(
    parent: QWidget | None,
    title: str,
    *,
    file_filter: str = DATABASE_FILTER,
    purpose: str = "database",
    settings: Any = None,
) -> Path | None:
    """Ask for an existing file; None if the user cancelled."""
    name, _ = QFileDialog.getOpenFileName(
        parent, title, _start_folder(settings, purpose), file_filter
    )
    if not name:
        return None
    path = Path(name)
    if settings is not None:
        settings.set_last_folder(path.parent, purpose)
    return path


def choose_save_file(
    parent: QWidget | None,
    title: str,
    *,
    suggested: str = "",
    file_filter: str = DATABASE_FILTER,
    suffix: str = ".sqlite",
    purpose: str = "database",
    settings: Any = None,
) -> Path | None:
    """Ask for a file name to write; ``suffix`` is added when the user left it off."""
    start = Path(_start_folder(settings, purpose))
    name, _ = QFileDialog.getSaveFileName(
        parent, title, str(start / suggested) if suggested else str(start), file_filter
    )
    if not name:
        return None
    path = Path(name)
    if suffix and not path.suffix:
        path = path.with_suffix(suffix)
    if settings is not None:
        settings.set_last_folder(path.parent, purpose)
    return path


# --------------------------------------------------------------------------- filter bar
class FilterBar(QWidget):
    """A "Filter…" box: emits :attr:`changed` as the user types (after a short pause)."""

    changed = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        placeholder: str = "Filter…",
        accessible_name: str = "Filter",
        delay_ms: int = 150,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("filterEdit")
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName(accessible_name)
        self.edit.setAccessibleDescription("Shows only the rows that contain every word typed")
        self.edit.setMinimumWidth(220)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("filterCount")
        self.count_label.setAccessibleName("Rows shown")
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.count_label)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.flush)
        self.edit.textChanged.connect(self._typed)
        self.setFocusProxy(self.edit)

    def _typed(self, text: str) -> None:
        if not text:  # cleared: show everything at once
            self.flush()
        else:
            self._timer.start()

    def flush(self) -> None:
        """Apply what is typed now, without waiting for the pause."""
        self._timer.stop()
        self.changed.emit(self.edit.text())

    def text(self) -> str:
        return self.edit.text()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)
        self.flush()

    def clear(self) -> None:
        self.set_text("")

    def focus(self) -> None:
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.edit.text():
            self.clear()
            return
        super().keyPressEvent(event)

    def connect_proxy(self, proxy: FilterProxy) -> None:
        """Filter ``proxy`` as the user types and show how many rows remain."""
        self.changed.connect(proxy.set_text)

        def update() -> None:
            src = proxy.sourceModel()
            total = src.rowCount() if src is not None else 0
            shown = proxy.rowCount()
            self.count_label.setText(f"{shown} of {total}" if shown != total else f"{total}")

        for signal in (
            proxy.modelReset,
            proxy.layoutChanged,
            proxy.rowsInserted,
            proxy.rowsRemoved,
        ):
            signal.connect(update)
        update()


# --------------------------------------------------------------------------- table
class DataTable(QTableView):
    """A read-only, sortable, filterable table of rows.

    ``table.proxy`` is its :class:`FilterProxy`; connect a :class:`FilterBar` with
    ``bar.connect_proxy(table.proxy)``.  :attr:`row_activated` fires on double-click
    or Enter with the row object.  The selection survives :meth:`RowTableModel.set_rows`
    when the model has a ``row_key``.
    """

    row_activated = Signal(object)
    rows_selected = Signal(list)

    def __init__(
        self,
        model: RowTableModel,
        parent: QWidget | None = None,
        *,
        filter_columns: Sequence[int] | None = None,
        accessible_name: str = "",
        multi_select: bool = False,
        sort_column: int = -1,
        sort_order: Qt.SortOrder = Qt.SortOrder.AscendingOrder,
    ) -> None:
        super().__init__(parent)
        self.source_model = model
        self.proxy = FilterProxy(model, self, columns=filter_columns)
        self.setModel(self.proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection
            if multi_select
            else QAbstractItemView.SelectionMode.SingleSelection
        )
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setTabKeyNavigation(False)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionsMovable(True)
        header.setSortIndicator(sort_column, sort_order)
        self.setSortingEnabled(True)
        if accessible_name:
            self.setAccessibleName(accessible_name)
        char = self.fontMetrics().averageCharWidth()
        for i, col in enumerate(model.columns):
            if col.width:
                self.setColumnWidth(i, col.width * char + 16)
        self._kept: tuple[list[Any], Any] | None = None
        model.modelAboutToBeReset.connect(self._remember_selection)
        model.modelReset.connect(self._restore_selection)
        self.doubleClicked.connect(self._activated)
        self.selectionModel().selectionChanged.connect(
            lambda *_: self.rows_selected.emit(self.selected_rows())
        )

    # ------------------------------------------------------------------ selection
    def selected_rows(self) -> list[Any]:
        rows = sorted({ix.row() for ix in self.selectionModel().selectedRows()})
        return [self.proxy.row(r) for r in rows]

    def current_row(self) -> Any | None:
        index = self.currentIndex()
        return self.proxy.row(index.row()) if index.isValid() else None

    def select_key(self, key: Any) -> bool:
        """Select and show the row whose ``row_key`` is ``key``."""
        pos = self.source_model.row_for_key(key)
        if pos is None:
            return False
        index = self.proxy.mapFromSource(self.source_model.index(pos, 0))
        if not index.isValid():
            return False
        self.setCurrentIndex(index)
        self.selectRow(index.row())
        self.scrollTo(index)
        return True

    def _remember_selection(self) -> None:
        model = self.source_model
        current = self.current_row()
        self._kept = (
            [model.key_of(r) for r in self.selected_rows()],
            model.key_of(current) if current is not None else None,
        )

    def _restore_selection(self) -> None:
        if not self._kept:
            return
        keys, current = self._kept
        self._kept = None
        if current is not None:
            self.select_key(current)
        for key in keys:
            pos = self.source_model.row_for_key(key)
            if pos is None:
                continue
            index = self.proxy.mapFromSource(self.source_model.index(pos, 0))
            if index.isValid():
                self.selectionModel().select(
                    index,
                    self.selectionModel().SelectionFlag.Select
                    | self.selectionModel().SelectionFlag.Rows,
                )

    # ------------------------------------------------------------------ activation
    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.row_activated.emit(self.proxy.row(index.row()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._activated(self.currentIndex())
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ state
    def save_state(self, settings: Any, view: str, name: str = "table") -> None:
        settings.set_view_state(view, name, self.horizontalHeader().saveState())

    def restore_state(self, settings: Any, view: str, name: str = "table") -> bool:
        state: QByteArray | None = settings.view_state(view, name)
        if state is None:
            return False
        ok = self.horizontalHeader().restoreState(state)
        if ok:
            header = self.horizontalHeader()
            self.proxy.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        return ok


def stretch_column(table: QTableView, column: int) -> None:
    """Let ``column`` take the spare width (instead of the last column)."""
    table.horizontalHeader().setStretchLastSection(False)
    table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
