"""Long jobs off the UI thread, with a progress dialog and a Cancel button.

::

    def job(progress, cancel, plan_id):
        rows = service.rows(plan_id)
        for i, row in enumerate(rows):
            progress(i, len(rows), f"Writing {i} of {len(rows)}")  # raises Cancelled
            ...                                                    # once Cancel is pressed
        return path

    try:
        path = run_in_worker(self, "Exporting the report", job, plan_id)
    except WorkAborted:
        return  # it failed (the user has been told) or the user cancelled

``fn(progress, cancel, *args, **kwargs)`` runs in a :class:`QThread`.  ``progress(done,
total=None, text=None)`` moves the bar (``total=None``: busy indicator) and raises
:class:`Cancelled` once the user has pressed Cancel; ``cancel`` is a
:class:`threading.Event` for jobs that want to check it themselves.  The job must not
touch widgets; it opens its own sessions (``db.session()`` is safe in a thread).

:func:`run_in_worker` waits (the UI keeps painting, the window is blocked by the modal
progress dialog) and returns ``fn``'s result.  If ``fn`` raises, the error is shown in a
plain dialog (a :class:`~dvcoord.errors.DvcoordError` as its sentence; anything else is
logged with its traceback) and :class:`WorkFailed` is raised; if the user cancelled,
:class:`Cancelled`.  Both derive from :class:`WorkAborted`, which the application's
exception hook ignores, so a caller that does not catch it shows nothing twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from dvcoord.errors import DvcoordError

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The dialog appears only if a job takes longer than this (milliseconds).
SHOW_AFTER_MS = 400
#: Progress reports closer together than this (seconds) are dropped.
PROGRESS_EVERY_S = 0.05


class WorkAborted(Exception):  # noqa: N818 - a family name, not an error of its own
    """A background job did not produce a result."""


class Cancelled(WorkAborted):
    """The user pressed Cancel (raised by ``progress`` inside the job, and to the caller)."""


class WorkFailed(WorkAborted):
    """The job raised; the user has been told.  ``error`` is what it raised."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


_USER_INPUT = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.KeyPress,
    QEvent.Type.KeyRelease,
    QEvent.Type.Shortcut,
    QEvent.Type.ShortcutOverride,
    QEvent.Type.Wheel,
    QEvent.Type.Close,
}


class _InputBlocker(QObject):
    """While a job runs, the user can reach only its progress dialog.

    The dialog is modal once it appears, but it appears only after
    :data:`SHOW_AFTER_MS`; until then this stops a second click from starting a
    second job (or closing the window) underneath the first.
    """

    def __init__(self, dialog: QProgressDialog) -> None:
        super().__init__()
        self.dialog = dialog

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() not in _USER_INPUT or not isinstance(obj, QWidget):
            return False
        return not (obj is self.dialog or self.dialog.isAncestorOf(obj))


class _Worker(QThread):
    progressed = Signal(int, int, str)

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.cancel = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        self._last = 0.0
        self._last_text = ""

    def progress(self, done: int, total: int | None = None, text: str | None = None) -> None:
        if self.cancel.is_set():
            raise Cancelled("cancelled")
        now = time.monotonic()
        text = text or ""
        last_step = total is not None and done >= total
        if now - self._last < PROGRESS_EVERY_S and not last_step and text == self._last_text:
            return  # the bar moves a few times a second; more would only flood the UI
        self._last, self._last_text = now, text
        self.progressed.emit(int(done), -1 if total is None else int(total), text)

    def run(self) -> None:
        try:
            self.result = self.fn(self.progress, self.cancel, *self.args, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the UI thread
            self.error = exc


def run_in_worker(
    parent: QWidget | None,
    title: str,
    fn: Callable[..., T],
    *args: Any,
    cancellable: bool = True,
    label: str | None = None,
    show_errors: bool = True,
    show_dialog: bool = True,
    **kwargs: Any,
) -> T:
    """Run ``fn(progress, cancel, *args, **kwargs)`` in a thread; see the module notes.

    ``show_dialog=False`` when the caller shows the progress itself (the waiting main
    window at start-up): no dialog appears, but input is still held until it ends.
    """
    from dvcoord.gui.widgets import show_error

    worker = _Worker(fn, args, kwargs)
    dialog = QProgressDialog(label or f"{title}…", "Cancel" if cancellable else "", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setAccessibleName(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOW_AFTER_MS if show_dialog else 2**31 - 1)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if not cancellable:
        dialog.setCancelButton(None)

    def on_progress(done: int, total: int, text: str) -> None:
        if total < 0:
            dialog.setRange(0, 0)
        else:
            dialog.setRange(0, max(total, 1))
            dialog.setValue(min(done, max(total, 1)))
        if text and not worker.cancel.is_set():
            dialog.setLabelText(text)

    def on_cancel() -> None:
        if not worker.isFinished():
            worker.cancel.set()
            dialog.setLabelText("Cancelling…")
            dialog.show()

    loop = QEventLoop()
    worker.progressed.connect(on_progress)
    worker.finished.connect(loop.quit)
    dialog.canceled.connect(on_cancel)
    dialog.setValue(0)
    blocker = _InputBlocker(dialog)
    app = QApplication.instance()
    if app is not None:
        app.installEventFilter(blocker)
    try:
        worker.start()
        if not worker.isFinished():
            loop.exec()
        worker.wait()
    finally:
        if app is not None:
            app.removeEventFilter(blocker)
    worker.progressed.disconnect(on_progress)
    dialog.canceled.disconnect(on_cancel)
    # reset() stops the dialog's show-after-a-delay timer: without it a job that ended
    # before the delay leaves the timer running, and the busy box pops up later over
    # whatever dialog comes next (deleteLater does not run inside that dialog's loop).
    dialog.reset()
    dialog.hide()
    dialog.deleteLater()

    error = worker.error
    if error is None:
        return worker.result  # type: ignore[return-value]
    if isinstance(error, Cancelled):
        log.info("%s: cancelled", title)
        raise Cancelled(title)
    if isinstance(error, DvcoordError):
        log.info("%s: %s", title, type(error).__name__)
        if show_errors:
            show_error(parent, error, title=title)
        raise WorkFailed(error) from error
    log.error("%s failed", title, exc_info=(type(error), error, error.__traceback__))
    if show_errors:
        from dvcoord.gui.widgets import ErrorDialog

        ErrorDialog.show_error(
            parent,
            f"{title} did not finish: something went wrong ({type(error).__name__}). "
            "dvcoord is still running and nothing has been lost.",
            title=title,
            logged=True,
        )
    raise WorkFailed(error) from error


def import_with_backup(
    parent: QWidget | None,
    db: Any,
    title: str,
    label: str,
    apply: Callable[[Any], T],
) -> T:
    """Back up ``db``, then run ``apply(session)`` in one transaction, off the UI thread.

    The shared shape of every spreadsheet import: a ``before-import`` backup first, the
    writes in a single transaction, a progress dialog meanwhile.  Raises
    :class:`WorkAborted` when it fails (the user has already been told why).
    """

    def job(progress: Callable[..., None], _cancel: threading.Event) -> T:
        from dvcoord.store import backups

        progress(0, None, "Taking a backup")
        backups.take_backup(db.path, reason="before-import")
        progress(0, None, label)
        with db.transaction() as session:
            return apply(session)

    return run_in_worker(parent, title, job, cancellable=False)
