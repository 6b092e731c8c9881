"""The Action plans view driven as a user would: widgets filled in, buttons clicked,
then what was saved read back through the services."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, Qt
from PySide6.QtWidgets import QApplication

from dvcoord.services import agencies as agency_service
from dvcoord.services import milestones as milestone_service
from dvcoord.services import plan_lookup
from dvcoord.services import plans as plan_service

pytest_plugins = ("plans_gui_support",)
pytestmark = pytest.mark.usefixtures("today")


# --------------------------------------------------------------------------- helpers
def open_plans(win):  # noqa: ANN001, ANN201
    view = win.show_view("plans")
    assert view is not None
    return view


def rows(win, plan_id: str | None = None) -> dict[str, plan_service.ActionRow]:  # noqa: ANN001
    with win.context.db.session() as s:
        return {r.reference: r for r in plan_service.action_rows(s, plan_id)}


def action_node(view, ref: str):  # noqa: ANN001, ANN201
    for row in view.tree_model.action_rows():
        if row.reference == ref:
            return view.tree_model.node_by_id(row.id)
    raise AssertionError(f"no action {ref} in the tree")


def choose(view, ref: str):  # noqa: ANN001, ANN201
    node = action_node(view, ref)
    assert view.select("action", node.id)
    assert view.right.currentWidget() is view.action_editor
    return node


def commit(editor, name: str, value) -> None:  # noqa: ANN001
    """Type ``value`` into a field of ``editor`` and leave the field."""
    widget = editor.binder.widget(name)
    if hasattr(widget, "setPlainText"):
        widget.setPlainText(value)
        widget.editingFinished.emit()
    elif hasattr(widget, "setText"):
        widget.setText(value)
        widget.editingFinished.emit()
    else:
        editor.binder.set_value(name, value)
        editor.binder.committed.emit(name)


def theme_order(win, plan_id: str, theme_code: str) -> list[str]:  # noqa: ANN001
    with win.context.db.session() as s:
        tree = plan_service.plan_tree(s, plan_id)
    theme = next(t for t in tree.themes if t.code == theme_code)
    return [a.reference for a in theme.all_actions()]


def undo(win) -> None:  # noqa: ANN001
    win.action("edit.undo").trigger()


def redo(win) -> None:  # noqa: ANN001
    win.action("edit.redo").trigger()


# --------------------------------------------------------------------------- opening
def test_opens_on_the_current_plan_with_its_tree_and_rag_letters(demo_window):
    view = open_plans(demo_window)
    with demo_window.context.db.session() as s:
        current = plan_lookup.plan_choices(s, include_archived=False)[0]
    assert view.plan_id == current.id
    assert "Approved" in view.plan_combo.currentText()
    codes = [node.data.code for node in view.tree_model.themes()]
    assert codes == ["I", "2", "3", "4", "5", "6"]
    node = action_node(view, "2.2")
    rag = view.tree_model.index(
        node.row, 3, view.tree_model.parent(view.tree_model.index_of(node.id))
    )
    assert rag.data() == "R"
    assert rag.data(Qt.ItemDataRole.BackgroundRole).color().name().upper() == "#C62828"
    assert rag.data(Qt.ItemDataRole.AccessibleTextRole) == "RAG Red"
    # nothing chosen: the plan at a glance, with RAG counts per theme
    assert view.right.currentWidget() is view.plan_page
    counts = {c.theme_title: c for c in view.plan_page.counts_model.rows()}
    assert counts["2 Support in the Community"]["R"] == 2


# --------------------------------------------------------------------------- creating
def test_create_plan_theme_aim_and_action_through_the_ui(empty_window, answers):
    win = empty_window
    view = open_plans(win)
    assert view.plan_id is None and view.right.currentWidget() is view.plan_page

    answers.add(
        answers.accept_with(
            title="Domestic Abuse Action Plan 2026/27",
            plan_from_fy=2026,
            plan_to_fy=2026,
            status="draft",
        )
    )
    view.act_new_plan.trigger()
    with win.context.db.session() as s:
        (plan,) = plan_lookup.plan_choices(s)
    assert plan.title == "Domestic Abuse Action Plan 2026/27" and view.plan_id == plan.id

    view.buttons["addTheme"].click()
    editor = view.theme_editor
    assert view.right.currentWidget() is editor and editor.new_mode
    editor.binder.widget("code").setText("1")
    editor.binder.widget("title").setText("Safety and Support")
    editor.binder.widget("key_objective").setPlainText("Victims are safe and supported.")
    editor.add_button.click()
    assert not editor.new_mode
    theme = view.current_node()
    assert theme.kind == "theme" and theme.data.title == "Safety and Support"

    view.buttons["addAim"].click()
    aim_editor = view.aim_editor
    aim_editor.binder.widget("reference").setText("Recommendation 1")
    aim_editor.binder.widget("text").setPlainText("Provide a point of contact for victims")
    aim_editor.add_button.click()
    aim = view.current_node()
    assert aim.kind == "aim" and aim.parent.id == theme.id

    view.buttons["addAction"].click()
    act = view.action_editor
    assert act.new_mode and "Recommendation 1" in act.heading.text()
    act.binder.widget("reference").setText("1.1")
    act.binder.widget("text").setPlainText("Set up a helpline with a free-phone number")
    act.binder.widget("target_text").setText("Qtr 2 2026/27")
    act.binder.widget("cost_pence").setText("£1,250.50")
    act.binder.set_value("status", "in progress")
    act.add_button.click()
    assert not act.new_mode

    row = rows(win, plan.id)["1.1"]
    assert row.text == "Set up a helpline with a free-phone number"
    assert row.aim_id == aim.id and row.theme_id == theme.id
    assert (row.target_kind, row.target_start, row.target_end) == (
        "quarter",
        date(2026, 7, 1),
        date(2026, 9, 30),
    )
    assert row.status == "in progress"
    with win.context.db.session() as s:
        assert plan_service.get_action(s, row.id).cost_pence == 125050
    node = view.current_node()
    assert node.kind == "action" and node.id == row.id and node.parent.id == aim.id
    assert act.binder.value("cost_pence") == "£1,250.50"


# --------------------------------------------------------------------------- editing
def test_fields_save_as_they_are_left_and_the_target_shows_how_it_was_read(demo_window):
    view = open_plans(demo_window)
    choose(view, "2.1")
    editor = view.action_editor
    target = editor.binder.widget("target_text")
    target.setText("Qtr 2 2013/14")
    assert editor.target_preview.text() == "Read as: Q2 2013/14 (01/07/2013–30/09/2013)"
    assert not editor.target_preview.flagged
    target.setText("Oct 208")
    assert editor.target_preview.text() == "Could not read — kept as written"
    assert editor.target_preview.property("flagged") is True
    target.editingFinished.emit()
    row = rows(demo_window, view.plan_id)["2.1"]
    assert (row.target_text, row.target_kind) == ("Oct 208", "unreadable")
    assert action_node(view, "2.1").data.target_text == "Oct 208"

    commit(editor, "outcomes", "Fewer repeat referrals to MARAC")
    commit(editor, "cost_pence", "1250.5")
    assert editor.binder.value("cost_pence") == "£1,250.50"
    with demo_window.context.db.session() as s:
        action = plan_service.get_action(s, row.id)
        assert action.outcomes == "Fewer repeat referrals to MARAC"
        assert action.cost_pence == 125050

    editor.binder.set_value("rag", "R")
    editor.binder.committed.emit("rag")
    assert rows(demo_window, view.plan_id)["2.1"].rag == "R"
    assert action_node(view, "2.1").data.rag == "R"


BAD_INPUT = [
    ("text", "   ", "The action's text cannot be empty."),
    ("reference", "2.2", "Reference 2.2 is already used in this plan"),
    ("outcomes", "x" * 50_000, "is 50,000 characters long; the limit is 10,000"),
    ("cost_pence", "£abc", "'£abc' is not an amount of money"),
]


def test_bad_input_is_shown_at_the_field_and_nothing_is_saved(demo_window):
    view = open_plans(demo_window)
    node = choose(view, "2.1")
    editor = view.action_editor
    with demo_window.context.db.session() as s:
        before = plan_service.ActionInput.from_row(plan_service.get_action(s, node.id))
    depth = demo_window.undo_stack.count()
    for field, value, message in BAD_INPUT:
        commit(editor, field, value)
        assert message in editor.binder.error_text(field), field
        assert editor.binder.widget(field).property("invalid") is True
        assert editor.binder.value(field) == value  # what was typed is kept
        with demo_window.context.db.session() as s:
            after = plan_service.ActionInput.from_row(plan_service.get_action(s, node.id))
        assert after == before
        assert demo_window.undo_stack.count() == depth
        # putting it right clears the message
        commit(editor, field, editor.binder.saved(field))
        assert editor.binder.error_text(field) == ""
        assert editor.binder.widget(field).property("invalid") is False


def test_a_new_action_without_text_is_refused_at_the_field(demo_window):
    view = open_plans(demo_window)
    choose(view, "2.1")
    count = len(rows(demo_window, view.plan_id))
    view.buttons["addAction"].click()
    editor = view.action_editor
    editor.binder.widget("reference").setText("2.8")
    editor.add_button.click()
    assert editor.new_mode
    assert editor.binder.error_text("text") == "The action's text cannot be empty."
    assert len(rows(demo_window, view.plan_id)) == count


def test_leaving_refused_input_asks_first_and_keeps_it_if_told(demo_window, dialogs):
    view = open_plans(demo_window)
    choose(view, "2.1")
    editor = view.action_editor
    commit(editor, "reference", "2.2")
    assert editor.has_unsaved()
    other = action_node(view, "2.3")
    view.tree.setCurrentIndex(view.tree_model.index_of(other.id))  # box recorded: "Cancel"
    assert "could not be saved" in dialogs.last().text
    assert view.current_node().data.reference == "2.1"
    assert editor.binder.value("reference") == "2.2"
    dialogs.answer("Discard")
    view.tree.setCurrentIndex(view.tree_model.index_of(other.id))
    assert view.current_node().id == other.id
    assert editor.binder.value("reference") == "2.3"


# --------------------------------------------------------------------------- table mode
def test_table_mode_filters_by_text_rag_status_agency_and_theme(demo_window):
    view = open_plans(demo_window)
    view.table_mode.click()
    assert view.in_table_mode() and view.filter_row.isVisible()
    proxy = view.table.proxy
    assert proxy.rowCount() == 20
    view.filter_bar.set_text("refuge")
    shown = proxy.visible_rows()
    assert shown and len(shown) < 20
    assert all("refuge" in (r.text + r.lead_display + r.target_text).lower() for r in shown)
    assert view.filter_bar.count_label.text() == f"{len(shown)} of 20"
    view.filter_bar.clear()

    view.rag_filter.setCurrentIndex(view.rag_filter.findData("R"))
    view.rag_filter.activated.emit(view.rag_filter.currentIndex())
    assert sorted(r.reference for r in proxy.visible_rows()) == ["2.2", "2.5", "5.1"]
    rag_col = 2
    index = proxy.index(0, rag_col)
    assert index.data() == "R" and index.data(Qt.ItemDataRole.BackgroundRole) is not None

    view.status_filter.setCurrentIndex(view.status_filter.findData("ongoing"))
    view.status_filter.activated.emit(view.status_filter.currentIndex())
    assert [r.reference for r in proxy.visible_rows()] == ["5.1"]
    view.rag_filter.setCurrentIndex(0)
    view.rag_filter.activated.emit(0)
    view.status_filter.setCurrentIndex(0)
    view.status_filter.activated.emit(0)

    with demo_window.context.db.session() as s:
        refuge = agency_service.find_agency(s, "West Kent Refuge")
    view.agency_filter.setCurrentIndex(view.agency_filter.findData(refuge.id))
    view.agency_filter.activated.emit(view.agency_filter.currentIndex())
    assert {r.reference for r in proxy.visible_rows()} == {
        r.reference
        for r in rows(demo_window, view.plan_id).values()
        if "West Kent Refuge" in (r.lead_agencies + r.support_agencies)
    }
    view.agency_filter.setCurrentIndex(0)
    view.agency_filter.activated.emit(0)
    theme4 = view.tree_model.themes()[3]
    view.theme_filter.setCurrentIndex(view.theme_filter.findData(theme4.id))
    view.theme_filter.activated.emit(view.theme_filter.currentIndex())
    assert [r.reference for r in proxy.visible_rows()] == ["4.1", "4.2", "4.3", "4.4"]

    # a row chosen in the table is edited beside it
    view.table.selectRow(1)
    assert view.action_editor.binder.value("reference") == "4.2"
    view.all_plans.setChecked(True)
    with demo_window.context.db.session() as s:
        assert view.table_model.rowCount() == len(plan_service.action_rows(s)) > 20
    assert not view.table.isColumnHidden(0)


# --------------------------------------------------------------------------- moving
def test_move_down_and_up_reorder_in_the_database_with_undo(demo_window):
    view = open_plans(demo_window)
    plan_id = view.plan_id
    choose(view, "2.1")
    assert not view.act_up.isEnabled() and view.act_down.isEnabled()
    view.buttons["moveDown"].click()
    assert theme_order(demo_window, plan_id, "2")[:3] == ["2.2", "2.1", "2.3"]
    assert view.current_node().data.reference == "2.1"  # still chosen
    assert [n.data.reference for n in view.current_node().parent.children[:2]] == ["2.2", "2.1"]
    undo(demo_window)
    assert theme_order(demo_window, plan_id, "2")[:3] == ["2.1", "2.2", "2.3"]
    redo(demo_window)
    assert theme_order(demo_window, plan_id, "2")[:3] == ["2.2", "2.1", "2.3"]
    view.act_up.trigger()
    assert theme_order(demo_window, plan_id, "2")[:3] == ["2.1", "2.2", "2.3"]
    # themes move too
    view.select("theme", view.tree_model.themes()[0].id)
    view.act_down.trigger()
    assert [t.data.code for t in view.tree_model.themes()][:2] == ["2", "I"]


def test_drag_and_drop_moves_an_action_to_another_theme(demo_window, qtbot):
    view = open_plans(demo_window)
    plan_id = view.plan_id
    node = action_node(view, "5.1")
    target = view.tree_model.themes()[5]  # 6 Education & Prevention
    data = view.tree_model.mimeData([view.tree_model.index_of(node.id)])
    assert isinstance(data, QMimeData)
    parent = view.tree_model.index_of(target.id)
    assert view.tree_model.canDropMimeData(data, Qt.DropAction.MoveAction, 1, 0, parent)
    assert not view.tree_model.canDropMimeData(
        data, Qt.DropAction.MoveAction, 0, 0, view.tree_model.index_of(action_node(view, "6.1").id)
    )
    assert view.tree_model.dropMimeData(data, Qt.DropAction.MoveAction, 1, 0, parent)
    qtbot.waitUntil(lambda: theme_order(demo_window, plan_id, "6")[:3] == ["6.1", "5.1", "6.2"])
    assert theme_order(demo_window, plan_id, "5") == []
    assert action_node(view, "5.1").parent.id == target.id
    undo(demo_window)
    assert theme_order(demo_window, plan_id, "5") == ["5.1"]
    # dropping a theme on a theme is refused
    theme_data = view.tree_model.mimeData([view.tree_model.index_of(target.id)])
    assert not view.tree_model.canDropMimeData(
        theme_data,
        Qt.DropAction.MoveAction,
        0,
        0,
        view.tree_model.index_of(view.tree_model.themes()[0].id),
    )
    assert view.tree_model.canDropMimeData(
        theme_data, Qt.DropAction.MoveAction, 0, 0, QModelIndex()
    )


def test_move_to_puts_an_action_under_an_aim_of_another_theme(demo_window, answers):
    view = open_plans(demo_window)
    with demo_window.context.db.session() as s:
        plans = plan_lookup.plan_choices(s)
    tracker = next(p for p in plans if p.title.startswith("Select Committee"))
    view.show_plan(tracker.id)
    first_theme = view.tree_model.themes()[0]
    aims = [c for c in first_theme.children if c.kind == "aim"]
    source = aims[0].children[0]
    dest = aims[1]

    def pick(dialog) -> bool:  # noqa: ANN001
        pos = next(
            i
            for i in range(dialog.combo.count())
            if dialog.combo.itemData(i) == (first_theme.id, dest.id)
        )
        dialog.combo.setCurrentIndex(pos)
        return True

    answers.add(pick)
    view.select("action", source.id)
    view.act_move_to.trigger()
    moved = view.tree_model.node_by_id(source.id)
    assert moved.parent.id == dest.id and moved.row == len(moved.parent.children) - 1
    undo(demo_window)
    assert view.tree_model.node_by_id(source.id).parent.id == aims[0].id


# --------------------------------------------------------------------------- undo and redo
def test_undo_and_redo_of_an_edit_an_add_and_a_delete(demo_window, dialogs):
    win = demo_window
    view = open_plans(win)
    plan_id = view.plan_id
    node = choose(view, "2.1")
    old_text = node.data.text
    commit(view.action_editor, "text", "A holistic support service across the District")
    assert rows(win, plan_id)["2.1"].text.startswith("A holistic")
    assert "Edit action 2.1" in win.undo_stack.undoText()
    undo(win)
    assert rows(win, plan_id)["2.1"].text == old_text
    assert view.action_editor.binder.value("text") == old_text
    redo(win)
    assert rows(win, plan_id)["2.1"].text.startswith("A holistic")

    view.buttons["addAction"].click()
    editor = view.action_editor
    editor.binder.widget("reference").setText("2.1a")
    editor.binder.widget("text").setPlainText("Map the support on offer in each town")
    editor.add_button.click()
    new_id = rows(win, plan_id)["2.1a"].id
    assert theme_order(win, plan_id, "2")[:2] == ["2.1", "2.1a"]
    undo(win)
    assert "2.1a" not in rows(win, plan_id)
    redo(win)
    assert rows(win, plan_id)["2.1a"].id == new_id

    choose(view, "2.2")
    with win.context.db.session() as s:
        milestones_before = len(
            milestone_service.milestones_for_action(s, action_node(view, "2.2").id)
        )
    assert milestones_before
    dialogs.answer("Delete")
    view.buttons["deleteItem"].click()
    assert "Delete action 2.2" in dialogs.last().text
    assert "2.2" not in rows(win, plan_id)
    undo(win)
    restored = rows(win, plan_id)["2.2"]
    with win.context.db.session() as s:
        assert len(milestone_service.milestones_for_action(s, restored.id)) == milestones_before
    assert theme_order(win, plan_id, "2")[:3] == ["2.1", "2.1a", "2.2"]


def test_progress_update_sets_the_rag_and_undo_puts_it_back(demo_window, answers):
    view = open_plans(demo_window)
    node = choose(view, "2.1")
    editor = view.action_editor
    assert node.data.rag == "G"
    updates_before = editor.update_model.rowCount()
    answers.add(
        answers.accept_with(
            text="Service specification slipped: no provider yet.", rag="R", status="deferred"
        )
    )
    editor.up_add.click()
    row = rows(demo_window, view.plan_id)["2.1"]
    assert (row.rag, row.status) == ("R", "deferred")
    assert row.latest_update_text == "Service specification slipped: no provider yet."
    assert editor.update_model.rowCount() == updates_before + 1
    assert editor.binder.value("rag") == "R"
    assert "RAG R" in editor.latest.text()
    undo(demo_window)
    row = rows(demo_window, view.plan_id)["2.1"]
    assert (row.rag, row.status) == ("G", "in progress")
    assert editor.update_model.rowCount() == updates_before


def test_an_update_with_nothing_in_it_is_refused_in_the_dialog(demo_window, answers):
    view = open_plans(demo_window)
    choose(view, "2.1")

    def empty(dialog) -> bool:  # noqa: ANN001
        answers.fill(dialog, text="", rag="")
        assert not dialog.try_accept()
        assert "Write what progress has been made" in dialog.binder.error_text("text")
        return False

    answers.add(empty)
    view.action_editor.up_add.click()
    assert rows(demo_window, view.plan_id)["2.1"].rag == "G"


def test_milestones_of_an_action_add_complete_and_delete(demo_window, answers):
    view = open_plans(demo_window)
    node = choose(view, "6.2")
    editor = view.action_editor
    before = editor.milestone_model.rowCount()

    def new(dialog) -> bool:  # noqa: ANN001
        answers.fill(dialog, text="Assemblies in every secondary school", due_text="2019")
        assert not dialog.try_accept()  # before the plan starts (April 2026)
        assert "before the plan starts" in dialog.binder.error_text("due_text")
        dialog.widget("dueEdit").setText("Q4 2026/27")
        assert dialog.preview.text() == "Read as: Q4 2026/27 (01/01/2027–31/03/2027)"
        return dialog.try_accept()

    answers.add(new)
    editor.ms_add.click()
    assert editor.milestone_model.rowCount() == before + 1
    editor.milestone_table.select_key(editor.milestone_model.rows()[-1].id)
    answers.add(
        lambda dialog: dialog.date_edit.setDate(dialog.date_edit.date().addDays(-2)) or True
    )
    editor.ms_complete.click()
    with demo_window.context.db.session() as s:
        ms = milestone_service.milestones_for_action(s, node.id)[-1]
    assert (ms.text, ms.status, ms.completed_on) == (
        "Assemblies in every secondary school",
        "complete",
        date(2026, 11, 21),
    )
    undo(demo_window)
    with demo_window.context.db.session() as s:
        ms = milestone_service.milestones_for_action(s, node.id)[-1]
    assert (ms.status, ms.completed_on) == ("open", None)
    editor.milestone_table.select_key(ms.id)
    editor.ms_delete.click()
    with demo_window.context.db.session() as s:
        assert len(milestone_service.milestones_for_action(s, node.id)) == before


# --------------------------------------------------------------------------- agencies
def test_agency_picker_sets_lead_and_support_with_undo(demo_window, answers):
    view = open_plans(demo_window)
    node = choose(view, "5.1")
    with demo_window.context.db.session() as s:
        police = agency_service.find_agency(s, "Kent Police")
        probation = agency_service.find_agency(s, "Kent Probation Service")
        before = [(x.agency_id, x.role) for x in plan_service.agency_links(s, node.id)]

    def pick(dialog) -> bool:  # noqa: ANN001
        dialog.search.set_text("kent pol")
        visible = [i for i, item in dialog.items.items() if not item.isHidden()]
        assert visible == [police.id]
        dialog.set_role(police.id, "support")
        dialog.set_role(probation.id, "lead")
        return True

    answers.add(pick)
    view.action_editor.agency_button.click()
    with demo_window.context.db.session() as s:
        links = {(x.agency_id, x.role) for x in plan_service.agency_links(s, node.id)}
    assert (police.id, "support") in links and (probation.id, "lead") in links
    assert "Kent Police" in view.action_editor.agency_summary.text()
    undo(demo_window)
    with demo_window.context.db.session() as s:
        assert [(x.agency_id, x.role) for x in plan_service.agency_links(s, node.id)] == before


def test_agencies_manager_refuses_to_delete_a_lead_agency_unless_told(
    demo_window, answers, dialogs
):
    view = open_plans(demo_window)

    def manage(dialog) -> bool:  # noqa: ANN001
        line = next(r for r in dialog.model.rows() if r.name == "West Kent Refuge")
        assert line.lead_actions > 0
        dialog.table.select_key(line.id)
        dialog.delete_button.click()  # the box is only recorded: Cancel
        assert "still leads" in dialogs.last().text
        assert any(r.id == line.id for r in dialog.model.rows())
        dialogs.answer("Delete anyway")
        dialog.delete_button.click()
        assert all(r.id != line.id for r in dialog.model.rows())
        # add one, with a refused name first
        answers.add(add_agency)
        dialog.add_button.click()
        assert any(r.name == "Swanley Women's Centre" for r in dialog.model.rows())
        return True

    def add_agency(dialog) -> bool:  # noqa: ANN001
        answers.fill(dialog, name="Kent Police", sector="voluntary sector")
        assert not dialog.try_accept()
        assert "already an agency called" in dialog.binder.error_text("name")
        answers.fill(dialog, name="Swanley Women's Centre")
        return dialog.try_accept()

    answers.add(manage)
    view.agencies_button.click()
    with demo_window.context.db.session() as s:
        assert agency_service.find_agency(s, "West Kent Refuge") is None
        assert agency_service.find_agency(s, "Swanley Women's Centre").sector == "voluntary sector"
    undo(demo_window)  # the add
    undo(demo_window)  # the delete
    with demo_window.context.db.session() as s:
        assert agency_service.find_agency(s, "West Kent Refuge") is not None
        assert agency_service.find_agency(s, "Swanley Women's Centre") is None


# --------------------------------------------------------------------------- the plan
def test_plan_properties_with_blue_key_and_a_period_refused_at_the_field(demo_window, answers):
    view = open_plans(demo_window)
    plan_id = view.plan_id

    def edit(dialog) -> bool:  # noqa: ANN001
        answers.fill(dialog, plan_from_fy=2026, plan_to_fy=2025)
        assert not dialog.try_accept()
        assert "ends (2025/26) before it starts (2026/27)" in dialog.binder.error_text("plan_to_fy")
        answers.fill(dialog, plan_to_fy=2027, version_label="2.0", owner="CSP board")
        assert dialog.own_check.isChecked() and dialog.blue_check.isChecked()
        dialog.table.item(2, 1).setText("Red alert")
        return dialog.try_accept()

    answers.add(edit)
    view.properties_button.click()
    with demo_window.context.db.session() as s:
        header = plan_lookup.plan_header(s, plan_id)
    assert (header.plan_to_fy, header.version_label, header.owner) == (2027, "2.0", "CSP board")
    assert [e.name for e in header.rag_key][2] == "Red alert"
    assert "2.0" in view.plan_page.facts.text() or view.right.currentWidget() is not view.plan_page
    undo(demo_window)
    with demo_window.context.db.session() as s:
        header = plan_lookup.plan_header(s, plan_id)
    assert header.version_label != "2.0" and header.rag_key[2].name == "Red"


def test_change_history_rows_are_added_and_checked(demo_window, answers):
    view = open_plans(demo_window)
    plan_id = view.plan_id

    def history(dialog) -> bool:  # noqa: ANN001
        before = dialog.model.rowCount()
        dialog.binder.set_value("summary", "")
        assert not dialog.add_row()
        assert dialog.binder.error_text("summary") == "The summary of change cannot be empty."
        dialog.binder.set_value("summary", "Approved by the CSP board")
        dialog.binder.set_value("version", "1.1")
        assert dialog.add_row()
        assert dialog.model.rowCount() == before + 1
        return True

    answers.add(history)
    view.act_history.trigger()
    with demo_window.context.db.session() as s:
        last = plan_service.plan_changes(s, plan_id)[-1]
    assert (last.summary, last.version, last.editor) == (
        "Approved by the CSP board",
        "1.1",
        "Test Officer",
    )


def test_copy_forward_starts_next_years_plan_and_undo_removes_it(demo_window, answers):
    view = open_plans(demo_window)
    old_id = view.plan_id
    answers.add(answers.accept_with(archive_previous=True))
    view.act_copy.trigger()
    with demo_window.context.db.session() as s:
        choices = {p.id: p for p in plan_lookup.plan_choices(s)}
    new_id = view.plan_id
    assert new_id != old_id and choices[new_id].plan_from_fy == 2027
    assert "2027/28" in choices[new_id].title
    assert choices[old_id].status == "archived"
    carried = [r for r in rows(demo_window, old_id).values() if r.is_open]
    assert len(view.tree_model.action_rows()) == len(carried) == 15
    undo(demo_window)
    with demo_window.context.db.session() as s:
        choices = {p.id: p for p in plan_lookup.plan_choices(s)}
    assert new_id not in choices and choices[old_id].status == "approved"


def test_archive_and_delete_a_plan_after_confirmation(demo_window, dialogs):
    view = open_plans(demo_window)
    plan_id = view.plan_id
    view.act_archive.trigger()
    assert "Archived" in view.plan_combo.currentText()
    assert view.act_archive.text() == "Bring back from the archive"
    view.act_delete_plan.trigger()  # recorded, answered Cancel
    assert "Delete the plan" in dialogs.last().text
    with demo_window.context.db.session() as s:
        assert any(p.id == plan_id for p in plan_lookup.plan_choices(s))
    dialogs.answer("Delete plan")
    view.act_delete_plan.trigger()
    with demo_window.context.db.session() as s:
        assert all(p.id != plan_id for p in plan_lookup.plan_choices(s))
    assert view.plan_id != plan_id
    undo(demo_window)
    with demo_window.context.db.session() as s:
        assert any(p.id == plan_id for p in plan_lookup.plan_choices(s))


def test_open_with_an_action_switches_plan_and_chooses_it(demo_window):
    view = open_plans(demo_window)
    with demo_window.context.db.session() as s:
        tracker = next(
            p for p in plan_lookup.plan_choices(s) if p.title.startswith("Select Committee")
        )
        target = plan_service.action_rows(s, tracker.id)[5]
    demo_window.show_view("milestones")
    demo_window.context.open_view("plans", action_id=target.id)
    assert demo_window.current_view_key() == "plans"
    assert view.plan_id == tracker.id
    assert view.current_node().id == target.id
    assert view.action_editor.binder.value("text") == target.text
    QApplication.processEvents()


def test_history_of_the_chosen_record(demo_window):
    view = open_plans(demo_window)
    assert view.current_record() == ("plan", view.plan_id)
    node = choose(view, "2.1")
    assert view.current_record() == ("action", node.id)
    commit(view.action_editor, "outcomes", "Changed, so there is history to show")
    view.show_history()
    shown = [
        w
        for w in QApplication.topLevelWidgets()
        if w.objectName() == "historyDialog" and w.isVisible()
    ]
    assert len(shown) == 1 and shown[0].row_id == node.id and shown[0].table == "action"
    assert len(shown[0].versions) >= 2
    shown[0].close()


def test_keyboard_alt_down_moves_and_ctrl_z_ctrl_y_undo_and_redo(demo_window, qtbot):
    view = open_plans(demo_window)
    plan_id = view.plan_id
    choose(view, "6.1")
    demo_window.activateWindow()
    view.tree.setFocus()
    qtbot.keyClick(view.tree, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert theme_order(demo_window, plan_id, "6")[:2] == ["6.2", "6.1"]
    undo_keys = [k.toString() for k in demo_window.action("edit.undo").shortcuts()]
    redo_keys = [k.toString() for k in demo_window.action("edit.redo").shortcuts()]
    assert "Ctrl+Z" in undo_keys and "Ctrl+Y" in redo_keys
    qtbot.keyClick(view.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert theme_order(demo_window, plan_id, "6")[:2] == ["6.1", "6.2"]
    qtbot.keyClick(view.tree, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert theme_order(demo_window, plan_id, "6")[:2] == ["6.2", "6.1"]
    qtbot.keyClick(view.tree, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert theme_order(demo_window, plan_id, "6")[:2] == ["6.1", "6.2"]


def test_plans_of_one_title_are_told_apart_in_the_plan_picker(empty_window, db):
    with db.transaction() as s:
        first = plan_service.create_plan(s, title="DA Plan", plan_from_fy=2026, status="approved")
        second = plan_service.create_plan(s, title="DA Plan", plan_from_fy=2026)
        other = plan_service.create_plan(s, title="Housing plan", plan_from_fy=2026)
    view = open_plans(empty_window)
    view.refresh()
    combo = view.plan_combo
    texts = {combo.itemData(i): combo.itemText(i) for i in range(combo.count())}
    assert texts[first.id] != texts[second.id]
    assert "approved" in texts[first.id] and "draft" in texts[second.id]
    assert texts[other.id] == "Housing plan  —  Draft"
