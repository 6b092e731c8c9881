"""Starting the window: the application object, error handling, the first database.

:func:`run_gui` is what ``dvcoord`` (no sub-command) calls.  The window is shown
first, with its navigation and menus (disabled) and a line saying which file is being
opened; the database is then opened (and upgraded, if it is older) off the UI thread
and the window filled in.  SQLAlchemy and the ~40 table declarations are imported only
then, so the window appears about as fast as a bare Qt window does.  A file that cannot
be opened gives a plain message and the choice of opening another file, creating a new
database, or quitting - never a traceback.  While the window runs, an unexpected
exception is logged with its traceback and reported in a plain dialog; the app keeps
running and nothing typed is lost.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, QSettings, Qt, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

import dvcoord
from dvcoord import paths
from dvcoord.errors import DvcoordError
from dvcoord.gui.icons import app_icon
from dvcoord.gui.settings import AppSettings
from dvcoord.gui.workers import WorkAborted, WorkFailed, run_in_worker

if TYPE_CHECKING:
    from dvcoord.store import Database

log = logging.getLogger("dvcoord.gui")
qt_log = logging.getLogger("dvcoord.qt")

UNEXPECTED = (
    "Something went wrong, but dvcoord is still running and nothing you typed has been "
    "lost. If it happens again, please tell whoever looks after dvcoord for you."
)


# --------------------------------------------------------------------------- application
def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, set up once: names, en-GB locale, icon, stylesheet, INI settings."""
    app = QApplication.instance()
    if app is None:
        _windows_app_id()
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("dvcoord")
    app.setOrganizationName("dvcoord")
    app.setApplicationVersion(dvcoord.__version__)
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    # Any QSettings that Qt makes itself in the default format goes to our folder as INI.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(paths.config_dir())
    )
    app.setWindowIcon(app_icon())
    apply_look(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def _prefers_high_contrast(app: QApplication) -> bool:
    try:
        hints = app.styleHints()
        return hints.accessibility().contrastPreference() == Qt.ContrastPreference.HighContrast
    except (AttributeError, RuntimeError):  # Qt before 6.10
        return False


def apply_look(app: QApplication) -> None:
    """Fusion with a light, high-contrast palette and dvcoord's stylesheet.

    When the system asks for high contrast (a Windows contrast theme), the system's own
    colours win and no stylesheet is applied.
    """
    font = app.font()
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
    if _prefers_high_contrast(app):
        log.info("system prefers high contrast: keeping the system's colours")
        return
    app.setStyle("Fusion")
    app.styleHints().setColorScheme(Qt.ColorScheme.Light)
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#FFFFFF",
        QPalette.ColorRole.WindowText: "#0B0C0C",
        QPalette.ColorRole.Base: "#FFFFFF",
        QPalette.ColorRole.AlternateBase: "#F6F8FA",
        QPalette.ColorRole.Text: "#0B0C0C",
        QPalette.ColorRole.PlaceholderText: "#505A5F",
        QPalette.ColorRole.Button: "#F3F5F7",
        QPalette.ColorRole.ButtonText: "#0B0C0C",
        QPalette.ColorRole.Highlight: "#1D4E89",
        QPalette.ColorRole.HighlightedText: "#FFFFFF",
        QPalette.ColorRole.ToolTipBase: "#FFFFFF",
        QPalette.ColorRole.ToolTipText: "#0B0C0C",
        QPalette.ColorRole.Link: "#1D4E89",
        QPalette.ColorRole.Mid: "#B1B4B6",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6F777B"))
    app.setPalette(palette)
    app.setStyleSheet(load_stylesheet())


def load_stylesheet() -> str:
    try:
        return paths.resource("style.qss").read_text(encoding="utf-8")
    except OSError:
        log.warning("stylesheet not found; using the plain style")
        return ""


def _windows_app_id() -> None:
    """On Windows, group the taskbar button under dvcoord's own icon."""
    if sys.platform != "win32":
        return
    try:
        import ctypes

        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID("dvcoord.app")  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - cosmetic only
        log.debug("could not set the Windows application id")


# --------------------------------------------------------------------------- errors
class ErrorReporter:
    """``sys.excepthook`` for the running window: log, then say so plainly.

    The dialog is shown from the event loop (not from inside the failing code, which
    may be a paint event), and errors arriving while one is pending share one dialog.
    """

    def __init__(self) -> None:
        self.pending: list[BaseException] = []
        self.shown = 0
        self._scheduled = False
        self._showing = False

    def excepthook(
        self, etype: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(etype, KeyboardInterrupt):
            app = QApplication.instance()
            if app is not None:
                app.quit()
            return
        if isinstance(value, WorkAborted):  # the user has already been told
            log.info("background job ended early (%s)", etype.__name__)
            return
        if isinstance(value, DvcoordError):  # a sentence for the user, not a fault
            log.info("message for the user from an event handler (%s)", etype.__name__)
        else:
            log.error("unexpected error", exc_info=(etype, value, tb))
        self.pending.append(value)
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self.show_pending)

    def show_pending(self) -> None:
        self._scheduled = False
        if self._showing or not self.pending:
            return
        problems, self.pending = self.pending, []
        self._showing = True
        try:
            first = problems[0]
            if isinstance(first, DvcoordError) and len(problems) == 1:
                text = str(first)
                logged = False
            else:
                text = UNEXPECTED
                logged = True
            from dvcoord.gui.widgets import ErrorDialog

            ErrorDialog.show_error(_dialog_parent(), text, title="dvcoord", logged=logged)
            self.shown += 1
        finally:
            self._showing = False


def _dialog_parent() -> QWidget | None:
    app = QApplication.instance()
    return app.activeWindow() if app is not None else None  # type: ignore[union-attr]


_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def qt_message_handler(mode: QtMsgType, context, message: str) -> None:  # noqa: ANN001
    """Qt's own warnings go to the log file, not to a console nobody sees."""
    qt_log.log(_LEVELS.get(mode, logging.WARNING), "%s", message)


_reporter: ErrorReporter | None = None


def install_error_handlers() -> ErrorReporter:
    """Route uncaught exceptions and Qt's messages to the log and a plain dialog."""
    global _reporter
    if _reporter is None:
        _reporter = ErrorReporter()
    sys.excepthook = _reporter.excepthook

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        log.error(
            "unexpected error in a background thread",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )

    threading.excepthook = thread_hook
    qInstallMessageHandler(qt_message_handler)
    return _reporter


# --------------------------------------------------------------------------- first database
def describe_open_error(exc: BaseException) -> str:
    """One sentence for why a database could not be opened (faults are logged)."""
    if isinstance(exc, WorkFailed):
        exc = exc.error
    if isinstance(exc, DvcoordError):
        return str(exc)
    if isinstance(exc, sqlite3.Error):
        log.error("database error while opening", exc_info=(type(exc), exc, exc.__traceback__))
        return f"The database reported a problem: {exc}."
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        return f"The file could not be opened: {exc.strerror or exc}{where}."
    log.error("unexpected error while opening", exc_info=(type(exc), exc, exc.__traceback__))
    return (
        f"dvcoord could not open the database because of an unexpected error "
        f"({type(exc).__name__}). Details were saved to {paths.log_path()}."
    )


OPEN_OTHER, CREATE_NEW, QUIT = "open", "create", "quit"


def ask_recovery(message: str, parent: QWidget | None = None) -> str:
    """After a failed open: open another file, create a new database, or quit."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("dvcoord cannot open the database")
    box.setText(message)
    box.setInformativeText("You can open another file, create a new database, or quit.")
    box.setAccessibleName("The database could not be opened")
    open_button = box.addButton("Open another file…", QMessageBox.ButtonRole.AcceptRole)
    create_button = box.addButton("Create a new database…", QMessageBox.ButtonRole.ActionRole)
    quit_button = box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(open_button)
    box.setEscapeButton(quit_button)
    box.exec()
    clicked = box.clickedButton()
    if clicked is open_button:
        return OPEN_OTHER
    if clicked is create_button:
        return CREATE_NEW
    return QUIT


def _first_attempt(db_path: Path | None, demo: bool, user: str) -> Callable[..., Database]:
    if demo:

        def build(_progress, _cancel) -> Database:
            from dvcoord.demo import build_demo
            from dvcoord.store import Database

            path = build_demo(paths.demo_db_path())
            return Database.open(path, user=user, backup=False)

        return build
    if db_path is not None:
        return _open_attempt(Path(db_path), user)
    default = paths.default_db_path()

    def default_db(_progress, _cancel) -> Database:
        from dvcoord.store import Database

        if not default.exists():
            return Database.create(default, user=user, display_name="My dvcoord database")
        return Database.open(default, user=user, backup=False)

    return default_db


def open_startup_database(
    db_path: Path | None,
    demo: bool,
    settings: AppSettings,
    *,
    parent: QWidget | None = None,
    on_attempt: Callable[[str], None] | None = None,
) -> Database | None:
    """Open the database the window will show, or None if the user chose to quit.

    ``parent`` (the waiting window) owns the progress and recovery dialogs;
    ``on_attempt(text)`` is told, before each try, what is being opened.
    """
    from dvcoord.gui.widgets import choose_open_file, choose_save_file

    user = settings.officer_or_login()
    attempt: Callable[..., Database] | None = _first_attempt(db_path, demo, user)
    title = "Building the demo database" if demo else "Opening the database"
    target = _describe_target(db_path, demo)
    last_message = ""
    while True:
        if attempt is not None:
            if on_attempt is not None:
                on_attempt(target)
            try:
                db = run_in_worker(
                    parent,
                    title,
                    attempt,
                    cancellable=False,
                    show_errors=False,
                    show_dialog=on_attempt is None,  # the waiting window shows it instead
                )
            except Exception as exc:  # noqa: BLE001 - every failure gets the same choice
                last_message = describe_open_error(exc)
            else:
                if not demo:
                    settings.add_recent_file(db.path)
                log.info("opened %s", db.path.name)
                return db
        if on_attempt is not None:
            on_attempt("No database is open.")
        choice = ask_recovery(last_message, parent)
        attempt, demo = None, False
        if choice == QUIT:
            return None
        if choice == OPEN_OTHER:
            path = choose_open_file(parent, "Open a dvcoord database", settings=settings)
            if path is not None:
                title = "Opening the database"
                target = _describe_target(path, False)
                attempt = _open_attempt(path, user)
        elif choice == CREATE_NEW:
            path = choose_save_file(
                parent, "Create a new database", suggested="dvcoord.sqlite", settings=settings
            )
            if path is not None:
                title = "Creating the database"
                target = f"Creating {path.name}…"
                attempt = _create_attempt(path, user)


def _describe_target(db_path: Path | None, demo: bool) -> str:
    """What the waiting window says while the first database opens."""
    if demo:
        return "Building the demo database…"
    path = Path(db_path) if db_path is not None else paths.default_db_path()
    return f"Opening {path.name}…"


def _open_attempt(path: Path, user: str) -> Callable[..., Database]:
    def attempt(_progress, _cancel) -> Database:
        from dvcoord.store import Database

        return Database.open(path, user=user, backup=False)

    return attempt


def start_background_backup(path: Path) -> threading.Thread:
    """Take the on-open backup after the window is shown, off the UI thread.

    A backup of a large file takes most of a second; the user should not wait for it
    before the window appears.  SQLite's backup API gives a consistent copy even while
    the window writes to the file.
    """
    from dvcoord.store import backups

    def work() -> None:
        try:
            backups.backup_if_changed(path)
        except Exception:  # noqa: BLE001 - a failed backup is logged, never fatal
            log.exception("on-open backup failed")

    thread = threading.Thread(target=work, name="dvcoord-open-backup", daemon=True)
    thread.start()
    return thread


def _create_attempt(path: Path, user: str) -> Callable[..., Database]:
    def attempt(_progress, _cancel) -> Database:
        from dvcoord.store import Database

        return Database.create(path, user=user, display_name=path.stem)

    return attempt


# --------------------------------------------------------------------------- entry point
def _report_shown(app: QApplication, mark: str) -> None:
    """``DVCOORD_QUIT_AFTER_SHOWN=1``: print ``shown`` once the waiting window has been
    laid out and painted, then ``usable`` once the database is open in it and the first
    view painted; after ``usable``, quit normally.  For start-up timing (bench/) and the
    frozen smoke test; a windowed Windows executable has no stdout, so the line is also
    logged."""
    app.processEvents()
    log.info("main window %s (DVCOORD_QUIT_AFTER_SHOWN)", mark)
    if sys.stdout is not None:
        print(mark, flush=True)
    if mark == "usable":
        QTimer.singleShot(0, app.quit)


def run_gui(db_path: Path | None = None, demo: bool = False) -> int:
    """Open the window (on ``db_path``, a fresh demo database, or the default one).

    The window is shown first, waiting, and filled in once the database is open.
    """
    app = create_application()
    install_error_handlers()
    settings = AppSettings()
    from dvcoord.gui.main_window import MainWindow

    window = MainWindow(None, settings)
    window.show_opening(_describe_target(db_path, demo))
    window.show()
    timing = bool(os.environ.get("DVCOORD_QUIT_AFTER_SHOWN"))
    if timing:
        _report_shown(app, "shown")
    db = open_startup_database(
        db_path, demo, settings, parent=window, on_attempt=window.show_opening
    )
    if db is None:
        log.info("no database opened; quitting")
        window.close()
        window.deleteLater()
        return 1
    window.attach_database(db)
    if not demo:
        backup_thread = start_background_backup(db.path)
    if timing:
        _report_shown(app, "usable")
    code = app.exec()
    if not demo:
        backup_thread.join(timeout=30)
    window.context.db.close()
    settings.sync()
    log.info("window closed")
    return int(code)
