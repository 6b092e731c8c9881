"""Shared fixtures of the plan view tests (imported by ``test_plans_view.py``,
``test_milestones_view.py`` and ``test_dashboard_view.py``).

* ``answers``: replaces :func:`dvcoord.gui.plans.dialogs.run`, the one place the plan
  views show their dialogs.  ``answers.add(fn)`` queues a function that gets the next
  dialog and returns whether it was accepted (it fills in fields and calls
  ``dialog.try_accept()`` for form dialogs); a dialog with nothing queued fails the test.
  ``answers.accept_with(field=value, ...)`` makes such a function, ``answers.fill``
  sets fields of a form dialog.

Test modules load this file with ``pytest_plugins = ("plans_gui_support",)``.
* ``today``: the plan views' "today" pinned to the demo database's day (23/11/2026).
* ``demo_window``: the main window on a copy of the demo database.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

DEMO_TODAY = date(2026, 11, 23)


class Answers:
    def __init__(self) -> None:
        self.queue: list[Callable[[Any], bool]] = []
        self.seen: list[Any] = []

    def add(self, *fns: Callable[[Any], bool]) -> None:
        self.queue.extend(fns)

    @staticmethod
    def fill(dialog: Any, **values: Any) -> None:
        fill(dialog, **values)

    @staticmethod
    def accept_with(**values: Any) -> Callable[[Any], bool]:
        return accept_with(**values)

    def run(self, dialog: Any) -> bool:
        self.seen.append(type(dialog).__name__)
        assert self.queue, f"unexpected dialog {type(dialog).__name__}"
        answer = self.queue.pop(0)
        return bool(answer(dialog))


@pytest.fixture
def answers(monkeypatch) -> Answers:
    from dvcoord.gui.plans import dialogs

    rec = Answers()
    monkeypatch.setattr(dialogs, "run", rec.run)
    yield rec
    assert not rec.queue, f"answers left unused: {len(rec.queue)}"


@pytest.fixture
def today(monkeypatch) -> date:
    from dvcoord.gui.plans import common

    monkeypatch.setattr(common, "today", lambda: DEMO_TODAY)
    return DEMO_TODAY


@pytest.fixture
def demo_window(gui_app, demo_db, qtbot, dialogs, today, answers):
    from dvcoord.gui.main_window import MainWindow
    from dvcoord.gui.settings import AppSettings

    win = MainWindow(demo_db, AppSettings())
    win.resize(1300, 850)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.undo_stack.clear()


@pytest.fixture
def empty_window(gui_app, db, qtbot, dialogs, today, answers):
    from dvcoord.gui.main_window import MainWindow
    from dvcoord.gui.settings import AppSettings

    win = MainWindow(db, AppSettings())
    win.resize(1300, 850)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.undo_stack.clear()


def fill(dialog: Any, **values: Any) -> None:
    """Set fields of a form dialog by their service names."""
    for name, value in values.items():
        dialog.binder.set_value(name, value)


def accept_with(**values: Any) -> Callable[[Any], bool]:
    """An answer that fills a form dialog and presses OK."""

    def answer(dialog: Any) -> bool:
        fill(dialog, **values)
        return dialog.try_accept()

    return answer
