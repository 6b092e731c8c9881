"""The main window: navigation on the left, the chosen area on the right, and menus.

Areas are found through the view registry (:mod:`dvcoord.gui.views`); menu entries of
other areas through :mod:`dvcoord.gui.actions` and :meth:`MainWindow.add_action`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from dvcoord import paths
from dvcoord.gui import views as view_registry
from dvcoord.gui.context import AppContext
from dvcoord.gui.icons import app_icon, icon
from dvcoord.gui.settings import AppSettings
from dvcoord.gui.views import ViewSpec, call_if_present
from dvcoord.gui.workers import WorkAborted, run_in_worker

if TYPE_CHECKING:  # the store (SQLAlchemy and ~40 tables) loads after the window shows
    from dvcoord.store import Database

# The widgets module (tables, dialogs, formatting) is imported where it is first used,
# not at start-up: the window should appear before anything it does not need yet.

#: The view a first start lands on (later starts reopen the last view used).
LANDING_VIEW = "dashboard"

log = logging.getLogger(__name__)

#: Groups of each menu, top to bottom; groups first used by an area go before ``quit``.
GROUP_ORDER = {
    "File": ["database", "exchange", "import", "report", "backups", "settings", "quit"],
    "Edit": ["undo", "find"],
    "View": ["views"],
    "Help": ["help"],
}
MENU_TITLES = {"File": "&File", "Edit": "&Edit", "View": "&View", "Help": "&Help"}


class MainWindow(QMainWindow):
    """The dvcoord window over one open :class:`~dvcoord.store.Database`.

    ``window.context`` is the :class:`~dvcoord.gui.context.AppContext` every view gets.

    At start-up the window is built and shown *before* the database is opened
    (``db=None``): the navigation and menus are there at once but disabled, the centre
    says which file is being opened, and :meth:`attach_database` then fills it in.
    """

    def __init__(
        self,
        db: Database | None,
        settings: AppSettings | None = None,
        *,
        install_actions: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.settings = settings or AppSettings()
        self.undo_stack = QUndoStack(self)
        self.context = AppContext(
            db, self.settings, window=self, undo_stack=self.undo_stack, open_view=self.show_view
        )
        self.context.changed.connect(self._on_changed)
        self._specs: dict[str, ViewSpec] = {s.key: s for s in view_registry.all_views()}
        self._widgets: dict[str, QWidget] = {}
        self._stale: set[str] = set()
        self._current: str | None = None
        self._actions: dict[str, QAction] = {}
        self._menus: dict[str, QMenu] = {}
        self._groups: dict[str, dict[str, list[tuple[int, int, QAction]]]] = {}
        self._separators: dict[str, list[QAction]] = {}
        self._seq = 0
        self._held: list[QAction] = []  # actions disabled until a database is open
        self.open_backup_thread = None  # the on-open backup of File > Open, if running

        self._build_body()
        self._build_menus()
        self._build_status_bar()
        problems = list(view_registry.failed_modules())
        if install_actions:
            from dvcoord.gui.actions import install_all

            problems += list(install_all(self))
        if problems:
            self.statusBar().showMessage(
                f"Part of dvcoord could not be loaded; details were saved to {paths.log_path()}.",
                15000,
            )
        self._restore_window()
        if db is None:
            self._set_waiting(True)
        else:
            self._update_labels()
            self._show_first_view()

    def _show_first_view(self) -> None:
        start = self.settings.last_view()
        if self._specs:
            self.show_view(start if start in self._specs else self.landing_view_key())

    _USABLE_WHILE_WAITING = frozenset({"file.quit"})

    def _set_waiting(self, waiting: bool, text: str = "") -> None:
        """While no database is open: everything disabled, the centre says why."""
        self.nav.setEnabled(not waiting)
        self.menuBar().setEnabled(not waiting)
        if waiting:
            for action in self._actions.values():
                if action.isEnabled() and action.objectName() not in self._USABLE_WHILE_WAITING:
                    action.setEnabled(False)
                    self._held.append(action)
        else:
            held, self._held = self._held, []
            for action in held:
                action.setEnabled(True)
        if waiting:
            text = text or "Opening the database…"
            self.waiting_label.setText(text)
            # Busy only while something is being opened, not while a choice is awaited.
            self.waiting_bar.setVisible(text.endswith("…"))
            self.stack.setCurrentWidget(self.waiting_page)
            self.setWindowTitle("dvcoord")
            self.path_label.setText("")
            self.officer_label.setText("")

    def show_opening(self, text: str) -> None:
        """Before :meth:`attach_database`: say in the window what is being opened."""
        self._set_waiting(True, text)

    def attach_database(self, db: Database) -> None:
        """Start-up: the database the window was shown waiting for is open."""
        if self.context.db is not None:
            self.set_database(db)
            return
        self.context.set_database(db)
        self._set_waiting(False)
        self._update_labels()
        self._show_first_view()
        if self._current is not None:
            self._actions["edit.find"].setEnabled(
                self._find_target(self.current_view()) is not None
            )

    def landing_view_key(self) -> str:
        """The page a first start opens on: the Dashboard when it is there."""
        return LANDING_VIEW if LANDING_VIEW in self._specs else self.view_keys()[0]

    # ------------------------------------------------------------------ layout
    def _build_body(self) -> None:
        body = QWidget(self)
        layout = QHBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.nav = QListWidget(body)
        self.nav.setObjectName("navList")
        self.nav.setAccessibleName("Areas")
        self.nav.setAccessibleDescription("Choose an area of dvcoord to show")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setFixedWidth(200)
        self.nav.setUniformItemSizes(True)
        for spec in self._specs.values():
            item = QListWidgetItem(icon(spec.icon_name), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(spec.description or spec.title)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, spec.title)
            self.nav.addItem(item)
        self.nav.currentItemChanged.connect(self._nav_changed)
        self.stack = QStackedWidget(body)
        self.stack.setObjectName("viewStack")
        self.waiting_page = QWidget(self.stack)
        self.waiting_page.setObjectName("waitingPage")
        waiting = QVBoxLayout(self.waiting_page)
        waiting.addStretch(1)
        self.waiting_label = QLabel(self.waiting_page)
        self.waiting_label.setObjectName("waitingLabel")
        self.waiting_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.waiting_label.setWordWrap(True)
        self.waiting_label.setAccessibleName("Opening the database")
        self.waiting_bar = QProgressBar(self.waiting_page)
        self.waiting_bar.setObjectName("waitingBar")
        self.waiting_bar.setRange(0, 0)  # busy: how long an open takes is not known
        self.waiting_bar.setTextVisible(False)
        self.waiting_bar.setFixedWidth(240)
        self.waiting_bar.setAccessibleName("Working")
        waiting.addWidget(self.waiting_label)
        waiting.addWidget(self.waiting_bar, 0, Qt.AlignmentFlag.AlignHCenter)
        waiting.addStretch(1)
        self.stack.addWidget(self.waiting_page)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(body)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("statusBar")
        self.path_label = QLabel(bar)
        self.path_label.setObjectName("statusPath")
        self.path_label.setAccessibleName("Database file")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.officer_label = QLabel(bar)
        self.officer_label.setObjectName("statusOfficer")
        self.officer_label.setAccessibleName("Officer")
        self.officer_label.linkActivated.connect(lambda _link: self.show_settings())
        bar.addPermanentWidget(self.path_label, 1)
        bar.addPermanentWidget(self.officer_label)

    # ------------------------------------------------------------------ menus
    def _std(
        self, name: str, text: str, slot, *, shortcuts=(), icon_name: str = "", tip: str = ""
    ) -> QAction:
        action = QAction(icon(icon_name) if icon_name else icon(""), text, self)
        action.setObjectName(name)
        keys = [QKeySequence(k) for k in shortcuts]
        keys = [k for k in keys if not k.isEmpty()]
        if keys:
            action.setShortcuts(keys)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self._actions[name] = action
        return action

    def _build_menus(self) -> None:
        for name in ("File", "Edit", "View", "Help"):
            self._menu(name)
        add = self.add_action
        add(
            "File",
            self._std(
                "file.new",
                "&New database…",
                self.new_database,
                shortcuts=[QKeySequence.StandardKey.New],
                tip="Create a new, empty database file",
            ),
            group="database",
            order=10,
        )
        add(
            "File",
            self._std(
                "file.open",
                "&Open…",
                self.choose_and_open,
                icon_name="open",
                shortcuts=[QKeySequence.StandardKey.Open],
                tip="Open another database file",
            ),
            group="database",
            order=20,
        )
        add(
            "File",
            self._std(
                "file.save_copy",
                "Save a &copy as…",
                self.save_copy,
                icon_name="save",
                shortcuts=["Ctrl+Shift+S"],
                tip="Write a copy of this database to another file",
            ),
            group="database",
            order=30,
        )
        self.recent_menu = QMenu("&Recent files", self)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._actions["file.recent"] = self.recent_menu.menuAction()
        add("File", self.recent_menu.menuAction(), group="database", order=40)
        add(
            "File",
            self._std(
                "file.backups",
                "&Backups…",
                self.show_backups,
                icon_name="backup",
                tip="Take or restore a backup",
            ),
            group="backups",
        )
        add(
            "File",
            self._std(
                "file.settings",
                "Se&ttings…",
                self.show_settings,
                shortcuts=[QKeySequence.StandardKey.Preferences, "Ctrl+,"],
                tip="Partnership name, protective marking and your name",
            ),
            group="settings",
        )
        add(
            "File",
            self._std(
                "file.quit",
                "&Quit",
                self.close,
                shortcuts=[QKeySequence.StandardKey.Quit, "Ctrl+Q"],
            ),
            group="quit",
        )

        undo = self.undo_stack.createUndoAction(self, "&Undo")
        undo.setObjectName("edit.undo")
        undo.setShortcuts(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "&Redo")
        redo.setObjectName("edit.redo")
        redo.setShortcuts(QKeySequence.StandardKey.Redo)
        self._actions["edit.undo"], self._actions["edit.redo"] = undo, redo
        add("Edit", undo, group="undo", order=10)
        add("Edit", redo, group="undo", order=20)
        add(
            "Edit",
            self._std(
                "edit.find",
                "&Find…",
                self.find_in_view,
                shortcuts=[QKeySequence.StandardKey.Find],
                tip="Go to the filter box of this area",
            ),
            group="find",
        )

        self._view_group = QActionGroup(self)
        self._view_group.setExclusive(True)
        for n, spec in enumerate(self._specs.values(), start=1):
            action = self._std(
                f"view.{spec.key}",
                spec.title,
                lambda key=spec.key: self.show_view(key),
                icon_name=spec.icon_name,
                shortcuts=[f"Ctrl+{n}"] if n <= 9 else [],
            )
            action.setCheckable(True)
            self._view_group.addAction(action)
            add("View", action, group="views", order=n)

        add(
            "Help",
            self._std("help.about", "&About dvcoord", self.show_about),
            group="help",
            order=10,
        )
        add(
            "Help",
            self._std(
                "help.log_folder",
                "Open &log folder",
                self._open_log_folder,
                tip="Show the folder where dvcoord writes its log",
            ),
            group="help",
            order=20,
        )

    def _menu(self, name: str) -> QMenu:
        menu = self._menus.get(name)
        if menu is not None:
            return menu
        menu = QMenu(MENU_TITLES.get(name, name), self)
        menu.setObjectName(f"menu{name.replace(' ', '')}")
        help_menu = self._menus.get("Help")
        if help_menu is not None and name != "Help":
            self.menuBar().insertMenu(help_menu.menuAction(), menu)
        else:
            self.menuBar().addMenu(menu)
        self._menus[name] = menu
        self._groups[name] = {}
        return menu

    def add_action(
        self, menu_name: str, action: QAction, group: str = "", order: int = 50
    ) -> QAction:
        """Put ``action`` into the menu ``menu_name`` ("File", "Edit", "View", "Help" or
        a new menu, created before Help), in ``group`` (see :data:`GROUP_ORDER`; groups
        are separated by a line), sorted by ``order`` within the group.

        Give the action a parent (the window) so it lives as long as the window.  It is
        also reachable as ``window.action(action.objectName())`` when it has a name.
        """
        self._menu(menu_name)
        self._seq += 1
        self._groups[menu_name].setdefault(group or "other", []).append((order, self._seq, action))
        if action.objectName():
            self._actions.setdefault(action.objectName(), action)
        if action.parent() is None:
            action.setParent(self)
        self._rebuild_menu(menu_name)
        return action

    def _rebuild_menu(self, menu_name: str) -> None:
        menu = self._menus[menu_name]
        known = GROUP_ORDER.get(menu_name, [])
        groups = self._groups[menu_name]

        def rank(group: str) -> tuple[int, int]:
            if group == "quit":
                return (2, 0)
            if group in known:
                return (0, known.index(group))
            return (1, list(groups).index(group))

        # Not menu.clear(): PySide invalidates the Python side of every action it removes.
        for old in menu.actions():
            menu.removeAction(old)
        for separator in self._separators.pop(menu_name, []):
            separator.deleteLater()
        separators = self._separators[menu_name] = []
        first = True
        for group in sorted(groups, key=rank):
            entries = sorted(groups[group], key=lambda t: (t[0], t[1]))
            if not entries:
                continue
            if not first:
                separators.append(menu.addSeparator())
            first = False
            for _, _, action in entries:
                menu.addAction(action)

    def action(self, name: str) -> QAction | None:
        """A standard action by name: ``file.new``, ``file.open``, ``file.save_copy``,
        ``file.backups``, ``file.settings``, ``file.quit``, ``edit.undo``, ``edit.redo``,
        ``edit.find``, ``view.<key>``, ``help.about``, ``help.log_folder``."""
        return self._actions.get(name)

    def menu(self, name: str) -> QMenu:
        return self._menu(name)

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.settings.recent_files()
        if not files:
            empty = menu.addAction("No recent files")
            empty.setEnabled(False)
            return
        missing = 0
        for n, path in enumerate(files, start=1):
            exists = path.is_file()
            label = f"&{n}  {path.name}   ({path.parent})"
            action = menu.addAction(label if exists else f"{label} (not found)")
            action.setData(str(path))
            action.setToolTip(str(path))
            action.setStatusTip(str(path) if exists else f"{path} is no longer there")
            action.setEnabled(exists)
            if not exists:
                missing += 1
            action.triggered.connect(lambda _c=False, p=path: self.open_database(p))
        menu.addSeparator()
        prune = menu.addAction("Remove missing files from the list")
        prune.setEnabled(missing > 0)
        prune.triggered.connect(self.settings.remove_missing_recent_files)
        clear = menu.addAction("Clear the list")
        clear.triggered.connect(self.settings.clear_recent_files)

    # ------------------------------------------------------------------ views
    def view_keys(self) -> list[str]:
        return list(self._specs)

    def current_view_key(self) -> str | None:
        return self._current

    def view_widget(self, key: str) -> QWidget | None:
        """The widget of view ``key`` if it has been built."""
        return self._widgets.get(key)

    def current_view(self) -> QWidget | None:
        return self._widgets.get(self._current) if self._current else None

    def show_view(self, key: str, **kwargs) -> QWidget | None:
        """Switch to the view ``key`` (building it the first time); its widget."""
        spec = self._specs.get(key)
        if spec is None:
            log.warning("no view called %s", key)
            return None
        widget = self._widgets.get(key)
        if widget is None:
            try:
                widget = spec.factory(self.context)
            except Exception as exc:  # noqa: BLE001 - report and stay where we were
                from dvcoord.gui.widgets import show_error

                show_error(self, exc, doing=f"opening {spec.title}")
                self._select_nav(self._current)
                return None
            if not widget.objectName():
                widget.setObjectName(f"view_{key}")
            if not widget.accessibleName():
                widget.setAccessibleName(spec.title)
            self._widgets[key] = widget
            self.stack.addWidget(widget)
        elif key in self._stale:
            self._stale.discard(key)
            call_if_present(widget, "refresh")
        self.stack.setCurrentWidget(widget)
        self._current = key
        self._select_nav(key)
        self.settings.set_last_view(key)
        self._actions["edit.find"].setEnabled(self._find_target(widget) is not None)
        if kwargs:
            call_if_present(widget, "open_with", **kwargs)
        return widget

    def _select_nav(self, key: str | None) -> None:
        self.nav.blockSignals(True)
        try:
            for row in range(self.nav.count()):
                item = self.nav.item(row)
                if item.data(Qt.ItemDataRole.UserRole) == key:
                    self.nav.setCurrentRow(row)
                    break
        finally:
            self.nav.blockSignals(False)
        action = self._actions.get(f"view.{key}") if key else None
        if action is not None:
            action.setChecked(True)

    def _nav_changed(self, current: QListWidgetItem | None, _previous=None) -> None:
        if current is not None:
            self.show_view(current.data(Qt.ItemDataRole.UserRole))

    def _open_log_folder(self) -> None:
        from dvcoord.gui.widgets import open_folder

        open_folder(paths.log_dir())

    def _find_target(self, widget: QWidget | None):
        from dvcoord.gui.widgets import FilterBar

        if widget is None:
            return None
        if callable(getattr(widget, "focus_filter", None)):
            return widget
        return widget.findChild(FilterBar)

    def find_in_view(self) -> bool:
        from dvcoord.gui.widgets import FilterBar

        target = self._find_target(self.current_view())
        if target is None:
            return False
        if isinstance(target, FilterBar):
            target.focus()
        else:
            target.focus_filter()
        return True

    def _on_changed(self, area: str, source) -> None:
        if area in ("", "settings"):
            self._update_labels()
        for key, widget in self._widgets.items():
            if widget is source:
                continue
            if key == self._current:
                call_if_present(widget, "refresh")
            else:
                self._stale.add(key)

    def _views_can_leave(self) -> bool:
        for widget in self._widgets.values():
            check = getattr(widget, "can_leave", None)
            if callable(check) and not check():
                return False
        return True

    # ------------------------------------------------------------------ database
    @property
    def db(self) -> Database:
        return self.context.db  # type: ignore[return-value]  (None only while starting)

    def set_database(self, db: Database) -> None:
        """Show ``db`` in every view and close the one shown before."""
        old = self.context.db
        self.context.set_database(db)
        self._stale.clear()
        for key, widget in self._widgets.items():
            if call_if_present(widget, "set_database", db):
                continue
            if key == self._current:
                call_if_present(widget, "refresh")
            else:
                self._stale.add(key)
        if old is not None and old is not db:
            old.close()
        self.settings.add_recent_file(db.path)
        self._update_labels()
        log.info("database switched to %s", db.path.name)

    def _update_labels(self) -> None:
        db = self.context.db
        suffix = " (read-only)" if db.readonly else ""
        self.setWindowTitle(f"{db.display_name}{suffix} — dvcoord")
        self.path_label.setText(str(db.path))
        self.path_label.setToolTip(f"The open database: {db.path}")
        from dvcoord.gui.officer import show_on_status

        show_on_status(self.officer_label, self.settings, db.user)

    def open_database(self, path: Path) -> bool:
        """Open ``path`` in place of the current database; False (after telling the
        user why) if it cannot be opened, leaving the current one open."""
        path = Path(path)
        try:
            same = path.resolve() == self.db.path.resolve()
        except OSError:
            same = False
        if same:
            self.context.show_message("That database is already open.")
            return True
        if not self._views_can_leave():
            return False
        user = self.settings.officer_or_login()
        from dvcoord.store import Database

        try:
            db = run_in_worker(
                self,
                "Opening the database",
                lambda _p, _c: Database.open(path, user=user, backup=False),
                cancellable=False,
            )
        except WorkAborted:
            return False
        from dvcoord.gui.app import start_background_backup

        # The on-open backup (most of a second on a large file) is taken while the
        # window is already usable, as at start-up.
        if not db.readonly:
            self.open_backup_thread = start_background_backup(db.path)
        self.set_database(db)
        self.context.show_message(f"Opened {path.name}.")
        return True

    def choose_and_open(self) -> bool:
        from dvcoord.gui.widgets import choose_open_file

        path = choose_open_file(self, "Open a dvcoord database", settings=self.settings)
        return self.open_database(path) if path is not None else False

    def new_database(self) -> bool:
        from dvcoord.gui.widgets import choose_save_file

        path = choose_save_file(
            self, "Create a new database", suggested="dvcoord.sqlite", settings=self.settings
        )
        if path is None or not self._views_can_leave():
            return False
        user = self.settings.officer_or_login()
        old = self.db
        from dvcoord.store import Database

        try:
            db = run_in_worker(
                self,
                "Creating the database",
                lambda _p, _c: Database.create(
                    path,
                    user=user,
                    display_name=path.stem,
                    partnership=old.partnership,
                    marking=old.default_marking,
                ),
                cancellable=False,
            )
        except WorkAborted:
            return False
        self.set_database(db)
        self.context.show_message(f"Created {path.name}.")
        self.show_settings()
        return True

    def save_copy(self) -> Path | None:
        from dvcoord.gui.widgets import choose_save_file, show_error
        from dvcoord.store import backups

        src = self.db.path
        dest = choose_save_file(
            self, "Save a copy as", suggested=f"{src.stem} copy.sqlite", settings=self.settings
        )
        if dest is None:
            return None
        try:
            if dest.resolve() == src.resolve():
                show_error(
                    self,
                    "That is the file that is open; choose another name for the copy.",
                    title="Save a copy",
                )
                return None
        except OSError:
            pass
        try:
            written = run_in_worker(
                self,
                "Saving a copy",
                lambda _p, _c: backups.copy_database(src, dest),
                cancellable=False,
            )
        except WorkAborted:
            return None
        log.info("copy saved as %s", dest.name)
        self.context.show_message(f"A copy was saved to {written}.")
        return written

    def restore_backup(self, backup: Path, taken_at=None, parent: QWidget | None = None) -> bool:
        """Replace the open database with ``backup`` after asking; True if restored."""
        from dvcoord.gui.widgets import confirm, format_datetime, show_error

        parent = parent or self
        when = f" taken on {format_datetime(taken_at)}" if taken_at is not None else ""
        if not confirm(
            parent,
            f"Restore the backup{when}?",
            informative="The database will be replaced by this backup. The database as it "
            "is now is backed up first, so you can go back to it.",
            yes="Restore",
            danger=True,
            title="Restore a backup",
        ):
            return False
        if not self._views_can_leave():
            return False
        from dvcoord.store import Database, backups

        db = self.db
        path, user, readonly = db.path, db.user, db.readonly
        db.close()
        restored = True
        try:
            run_in_worker(
                parent,
                "Restoring a backup",
                lambda _p, _c: backups.restore_backup(Path(backup), path),
                cancellable=False,
            )
        except WorkAborted:
            restored = False
        try:
            new_db = Database.open(path, user=user, readonly=readonly, backup=False)
        except Exception as exc:  # noqa: BLE001 - the old object can still serve reads
            show_error(parent, exc, title="Restore a backup", doing="reopening the database")
            return False
        self.set_database(new_db)
        if restored:
            log.info("backup restored")
            self.context.notify_changed("")
            self.context.show_message("The backup was restored.")
        return restored

    # ------------------------------------------------------------------ dialogs
    def show_settings(self) -> bool:
        from dvcoord.gui.dialogs import SettingsDialog

        dialog = SettingsDialog(self.context, self)
        try:
            return bool(dialog.exec())
        finally:
            dialog.deleteLater()

    def show_backups(self) -> None:
        from dvcoord.gui.dialogs import BackupsDialog

        dialog = BackupsDialog(self)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    def show_about(self) -> None:
        from dvcoord.gui.dialogs import show_about

        show_about(self.context, self)

    # ------------------------------------------------------------------ window state
    def _restore_window(self) -> None:
        geometry = self.settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1200, 780)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)

    def save_window_state(self) -> None:
        self.settings.set_window_geometry(self.saveGeometry())
        self.settings.set_window_state(self.saveState())
        if self._current:
            self.settings.set_last_view(self._current)
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._views_can_leave():
            event.ignore()
            return
        self.save_window_state()
        event.accept()
