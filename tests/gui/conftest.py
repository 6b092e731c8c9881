"""Fixtures for GUI tests (pytest-qt, offscreen).

* ``dialogs``: records every message box and answers file dialogs, so no test ever
  blocks on a modal dialog.  ``dialogs.answer("Restore")`` clicks the button with that
  text in the next message box; with no answer queued a box is just recorded (so
  ``confirm`` returns False).  ``dialogs.open_files``/``dialogs.save_files`` are queues
  of paths the next file dialogs return (empty queue: the user cancelled).
* ``gui_app``: the QApplication set up as ``dvcoord`` sets it up (locale, style).
* ``window``: a :class:`MainWindow` on the ``db`` fixture.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@dataclass
class Shown:
    title: str
    text: str
    informative: str
    buttons: list[str]


class Dialogs:
    def __init__(self) -> None:
        self.shown: list[Shown] = []
        self.answers: list[str] = []
        self.open_files: list[Path] = []
        self.save_files: list[Path] = []
        self.urls: list[str] = []

    def answer(self, *buttons: str) -> None:
        self.answers.extend(buttons)

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.shown]

    def last(self) -> Shown:
        assert self.shown, "no message box was shown"
        return self.shown[-1]

    def _exec(self, box) -> int:  # noqa: ANN001
        names = [b.text().replace("&", "") for b in box.buttons()]
        self.shown.append(Shown(box.windowTitle(), box.text(), box.informativeText(), names))
        if self.answers:
            wanted = self.answers.pop(0)
            for button in box.buttons():
                if button.text().replace("&", "") == wanted:
                    button.click()
                    break
            else:
                raise AssertionError(f"no button {wanted!r} in message box; it has {names}")
        return 0


@pytest.fixture
def dialogs(monkeypatch) -> Dialogs:
    from PySide6.QtGui import QDesktopServices
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    rec = Dialogs()
    monkeypatch.setattr(QMessageBox, "exec", lambda self: rec._exec(self))

    def static(kind):
        def record(parent, title, text, *args, **kwargs):  # noqa: ANN001
            rec.shown.append(Shown(title, text, "", [kind]))
            return QMessageBox.StandardButton.NoButton

        return staticmethod(record)

    for kind in ("information", "warning", "critical", "question"):
        monkeypatch.setattr(QMessageBox, kind, static(kind))

    def get_open(*args, **kwargs):
        return (str(rec.open_files.pop(0)), "") if rec.open_files else ("", "")

    def get_save(*args, **kwargs):
        return (str(rec.save_files.pop(0)), "") if rec.save_files else ("", "")

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(get_open))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save))
    monkeypatch.setattr(
        QDesktopServices,
        "openUrl",
        staticmethod(lambda url: rec.urls.append(url.toString()) or True),
    )
    return rec


@pytest.fixture
def gui_app(qapp):
    from dvcoord.gui.app import create_application

    return create_application()


@pytest.fixture
def window(gui_app, db, qtbot, dialogs):
    from dvcoord.gui.main_window import MainWindow
    from dvcoord.gui.settings import AppSettings

    win = MainWindow(db, AppSettings())
    qtbot.addWidget(win)
    yield win
    win.context.db.close()


@pytest.fixture
def log_file():
    """The log file of this test's DVCOORD_HOME (``logs.setup`` runs once per process)."""
    import logging

    from dvcoord import paths

    logger = logging.getLogger("dvcoord")
    handler = logging.FileHandler(paths.log_path(), encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)

    def read() -> str:
        handler.flush()
        return paths.log_path().read_text(encoding="utf-8")

    yield read
    logger.removeHandler(handler)
    handler.close()
    logger.setLevel(old_level)
