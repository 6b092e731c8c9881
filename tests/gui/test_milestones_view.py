"""The Milestones view: its filters, mark complete (undoable) and "Go to action"."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date

import pytest

from dvcoord.services import dates, plan_lookup
from dvcoord.services import milestones as milestone_service

pytest_plugins = ("plans_gui_support",)
pytestmark = pytest.mark.usefixtures("today")

TODAY = date(2026, 11, 23)


def open_milestones(win):  # noqa: ANN001, ANN201
    view = win.show_view("milestones")
    assert view is not None
    return view


def shown(view) -> list[milestone_service.MilestoneRow]:  # noqa: ANN001
    return view.table.proxy.visible_rows()


def all_rows(win) -> list[milestone_service.MilestoneRow]:  # noqa: ANN001
    with win.context.db.session() as s:
        return milestone_service.milestone_rows(s)


def test_filters_overdue_quarters_done_and_all(demo_window):
    view = open_milestones(demo_window)
    rows = all_rows(demo_window)
    with demo_window.context.db.session() as s:
        overdue = milestone_service.overdue_milestones(s, TODAY)
    assert view.mode == "overdue"
    assert sorted(r.id for r in shown(view)) == sorted(r.id for r in overdue)
    assert len(overdue) == 4
    assert view.summary.text() == "4 overdue on 23/11/2026"
    status = view.table.proxy.index(0, 6)
    assert status.data().startswith("Overdue (")

    view.mode_buttons["this_quarter"].click()
    start, end = dates.quarter_range(2026, 3)
    assert view.quarter_combo.currentText() == "2026/27 Q3"
    assert sorted(r.id for r in shown(view)) == sorted(
        r.id for r in rows if r.due_end and start <= r.due_end <= end
    )
    assert shown(view)

    view.mode_buttons["next_quarter"].click()
    assert view.quarter_combo.currentText() == "2026/27 Q4"
    start, end = dates.quarter_range(2026, 4)
    assert sorted(r.id for r in shown(view)) == sorted(
        r.id for r in rows if r.due_end and start <= r.due_end <= end
    )

    pos = view.quarter_combo.findText("2026/27 Q2")
    view.quarter_combo.setCurrentIndex(pos)
    view.quarter_combo.activated.emit(pos)
    assert view.mode == "quarter" and view.mode_buttons["quarter"].isChecked()
    start, end = dates.quarter_range(2026, 2)
    expected = [r for r in rows if r.due_end and start <= r.due_end <= end]
    assert sorted(r.id for r in shown(view)) == sorted(r.id for r in expected)
    assert view.summary.text().startswith(f"{len(expected)} due in 2026/27 Q2")

    view.mode_buttons["done"].click()
    assert shown(view) and all(r.status == "complete" for r in shown(view))
    view.mode_buttons["all"].click()
    assert len(shown(view)) == len(rows)

    view.filter_bar.set_text("swanley")
    assert shown(view) and all("swanley" in r.text.lower() for r in shown(view))
    view.filter_bar.clear()
    view.archived.setChecked(True)
    with demo_window.context.db.session() as s:
        everything = milestone_service.milestone_rows(s, include_archived=True)
        plans = plan_lookup.plan_choices(s)
    assert view.model.rowCount() == len(everything)
    plan = plans[0]
    view.plan_combo.setCurrentIndex(view.plan_combo.findData(plan.id))
    view.plan_combo.activated.emit(view.plan_combo.currentIndex())
    assert shown(view) and all(r.plan_id == plan.id for r in shown(view))


def test_mark_complete_takes_the_date_and_can_be_undone(demo_window, answers):
    view = open_milestones(demo_window)
    first, second = shown(view)[:2]
    view.table.select_key(first.id)
    view.table.selectionModel().select(
        view.table.proxy.index(1, 0),
        view.table.selectionModel().SelectionFlag.Select
        | view.table.selectionModel().SelectionFlag.Rows,
    )
    assert {r.id for r in view.table.selected_rows()} == {first.id, second.id}
    assert view.complete_button.isEnabled()

    def when(dialog) -> bool:  # noqa: ANN001
        assert dialog.completed_on() == TODAY  # today by default
        dialog.date_edit.setDate(dialog.date_edit.date().addDays(-3))
        return True

    answers.add(when)
    view.complete_button.click()
    done = {r.id: r for r in all_rows(demo_window)}
    assert done[first.id].status == done[second.id].status == "complete"
    assert done[first.id].completed_on == date(2026, 11, 20)
    assert {r.id for r in shown(view)}.isdisjoint({first.id, second.id})
    assert view.summary.text() == "2 overdue on 23/11/2026"
    assert "Mark 2 milestones complete" in demo_window.undo_stack.undoText()

    demo_window.action("edit.undo").trigger()
    again = {r.id: r for r in all_rows(demo_window)}
    assert again[first.id].status == again[second.id].status == "open"
    assert again[first.id].completed_on is None
    assert {first.id, second.id} <= {r.id for r in shown(view)}


def test_cancelled_mark_complete_changes_nothing(demo_window, answers):
    view = open_milestones(demo_window)
    first = shown(view)[0]
    view.table.select_key(first.id)
    answers.add(lambda dialog: False)
    view.complete_button.click()
    assert {r.id: r for r in all_rows(demo_window)}[first.id].status == "open"
    assert demo_window.undo_stack.count() == 0


def test_go_to_action_opens_the_plans_view_on_it(demo_window):
    view = open_milestones(demo_window)
    row = shown(view)[0]
    view.table.select_key(row.id)
    view.goto_button.click()
    assert demo_window.current_view_key() == "plans"
    plans = demo_window.view_widget("plans")
    assert plans.current_node().id == row.action_id
    assert plans.action_editor.binder.value("reference") == row.action_reference
    milestones = plans.action_editor.milestone_model.rows()
    assert row.id in {m.id for m in milestones}


def test_edits_elsewhere_show_when_the_view_comes_back(demo_window):
    view = open_milestones(demo_window)
    row = shown(view)[0]
    demo_window.show_view("plans")
    with demo_window.context.db.transaction() as s:
        milestone_service.complete_milestone(s, row.id, TODAY)
    demo_window.context.notify_changed("plans")
    open_milestones(demo_window)
    assert row.id not in {r.id for r in shown(view)}
    demo_window.context.open_view("milestones", tile="plans.due_this_quarter")
    assert view.mode == "this_quarter"
