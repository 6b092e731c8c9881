"""The dashboard: every area's tiles, severity in words, a click opens the area, the
grid reflows, and it follows changes to the database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel

from dvcoord.services import dashboard as dashboard_service
from dvcoord.services import milestones as milestone_service

pytest_plugins = ("plans_gui_support",)
pytestmark = pytest.mark.usefixtures("today")


def open_dashboard(win):  # noqa: ANN001, ANN201
    view = win.show_view("dashboard")
    assert view is not None
    return view


def tile(view, key: str):  # noqa: ANN001, ANN201
    return next(t for t in view.tiles if t.tile.key == key)


def texts(widget) -> list[str]:  # noqa: ANN001
    return [label.text() for label in widget.findChildren(QLabel)]


def test_dashboard_comes_first_and_shows_every_areas_tiles(demo_window, today):
    assert demo_window.view_keys().index("dashboard") < demo_window.view_keys().index("plans")
    view = open_dashboard(demo_window)
    with demo_window.context.db.session() as s:
        expected = dashboard_service.collect(s, today)
    assert [t.tile.key for t in view.tiles] == [t.key for t in expected]
    keys = {t.tile.key for t in view.tiles}
    assert {"plans.rag", "plans.overdue_milestones", "plans.recent_updates"} <= keys
    overdue = tile(view, "plans.overdue_milestones")
    words = texts(overdue)
    assert "4" in words and "Overdue milestones" in words
    assert "Needs action" in words  # severity as a word, not only a colour
    assert overdue.property("severity") == "alert"
    assert any("Freedom Programme" in w for w in words)
    assert overdue.accessibleName() == "Overdue milestones: 4"
    red = tile(view, "plans.rag")
    assert red.tile.value == "3" and "Open Action plans ›" in texts(red)
    assert "23/11/2026" in view.subtitle.text()


def test_clicking_or_pressing_enter_on_a_tile_opens_its_view(demo_window, qtbot):
    view = open_dashboard(demo_window)
    overdue = tile(view, "plans.overdue_milestones")
    qtbot.mouseClick(overdue, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    assert demo_window.current_view_key() == "milestones"
    assert demo_window.view_widget("milestones").mode == "overdue"
    open_dashboard(demo_window)
    red = tile(view, "plans.rag")
    red.setFocus()
    qtbot.keyClick(red, Qt.Key.Key_Return)
    assert demo_window.current_view_key() == "plans"


def test_the_grid_reflows_with_the_width(demo_window):
    view = open_dashboard(demo_window)
    assert len(view.tiles) >= 4
    assert [view.columns_for(w) for w in (300, 700, 1000, 1400)] == [1, 2, 3, 4]
    demo_window.resize(700, 800)
    view.resize(500, 800)
    assert view._columns == view.columns_for(view.viewport().width()) == 1
    positions = {view.grid.getItemPosition(view.grid.indexOf(t))[:2] for t in view.tiles}
    assert {c for _, c in positions} == {0}
    view.resize(1400, 800)
    columns = view.columns_for(view.viewport().width())
    assert columns >= 3 and view._columns == columns
    second = view.tiles[1]
    assert view.grid.getItemPosition(view.grid.indexOf(second))[:2] == (0, 1)


def test_refreshes_when_the_database_changes(demo_window, today):
    view = open_dashboard(demo_window)
    with demo_window.context.db.session() as s:
        overdue = milestone_service.overdue_milestones(s, today)
    with demo_window.context.db.transaction() as s:
        for row in overdue[:3]:
            milestone_service.complete_milestone(s, row.id, today)
    demo_window.context.notify_changed("plans")
    assert tile(view, "plans.overdue_milestones").tile.value == "1"


def test_an_empty_database_says_where_to_start(empty_window):
    view = open_dashboard(empty_window)
    keys = {t.tile.key for t in view.tiles}
    assert "plans.rag" not in keys
    if not view.tiles:
        assert view.message.isVisible() and "Action plans" in view.message.text()
