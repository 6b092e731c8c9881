"""What every view is given: the open database and the window's shared services.

``ctx.db``
    the open :class:`~dvcoord.store.Database`.  Read it each time you load data: it
    changes when the user opens another file or restores a backup.
``ctx.settings``
    the officer's :class:`~dvcoord.gui.settings.AppSettings`.
``ctx.undo_stack``
    the window's :class:`QUndoStack` (Edit > Undo/Redo); cleared when the database
    changes.
``ctx.status_bar`` / ``ctx.show_message(text)``
    the window's status bar.
``ctx.window``
    the main window (the parent for dialogs).
``ctx.changed`` / ``ctx.notify_changed(area, source=self)``
    after a view writes to the database it calls ``notify_changed("plans", source=self)``;
    the shell refreshes the other views (the visible one at once, the others when they
    are next shown) and any widget may connect to ``changed(area, source)`` itself.
    ``area=""`` means "anything may have changed" (after a merge or an import).
``ctx.database_changed``
    emitted with the new database after File > Open/New or a restore.
``ctx.open_view(key, **kwargs)``
    switch to another view; it receives ``open_with(**kwargs)`` if it implements it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMainWindow, QStatusBar, QWidget

if TYPE_CHECKING:
    from dvcoord.gui.settings import AppSettings
    from dvcoord.store import Database


class AppContext(QObject):
    changed = Signal(str, object)  # area, source widget (or None)
    database_changed = Signal(object)  # the new Database

    def __init__(
        self,
        db: Database,
        settings: AppSettings,
        *,
        window: QMainWindow | None = None,
        undo_stack: QUndoStack | None = None,
        open_view: Callable[..., QWidget | None] | None = None,
    ) -> None:
        super().__init__(window)
        self._db = db
        self.settings = settings
        self.window = window
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)
        self._open_view = open_view

    # ------------------------------------------------------------------ database
    @property
    def db(self) -> Database:
        return self._db

    def set_database(self, db: Database) -> None:
        """Used by the shell only: switch every view to ``db``."""
        self._db = db
        self.undo_stack.clear()
        self.database_changed.emit(db)

    # ------------------------------------------------------------------ events
    def notify_changed(self, area: str = "", source: QObject | None = None) -> None:
        self.changed.emit(area, source)

    def open_view(self, key: str, **kwargs: Any) -> QWidget | None:
        """Show the view ``key`` (passing ``kwargs`` to its ``open_with``); its widget."""
        if self._open_view is None:
            return None
        return self._open_view(key, **kwargs)

    # ------------------------------------------------------------------ status bar
    @property
    def status_bar(self) -> QStatusBar | None:
        return self.window.statusBar() if self.window is not None else None

    def show_message(self, text: str, msecs: int = 6000) -> None:
        bar = self.status_bar
        if bar is not None:
            bar.showMessage(text, msecs)
