"""The action editor's linked performance indicators (Action plans view, Indicators tab):
shown for the right action, opened in the Performance view, linked and unlinked as a
user would, surviving a reopened file, and not offered on a read-only database."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from dvcoord.services import indicators as indicator_service

pytest_plugins = ("plans_gui_support",)
pytestmark = pytest.mark.usefixtures("today")


def choose(view, ref: str) -> str:  # noqa: ANN001
    row = next(r for r in view.tree_model.action_rows() if r.reference == ref)
    assert view.select("action", row.id)
    assert view.right.currentWidget() is view.action_editor
    return row.id


def shown(view) -> list[str]:  # noqa: ANN001
    return [r.code for r in view.action_editor.indicators_tab.model.rows()]


def indicator_id(win, code: str) -> str:  # noqa: ANN001
    with win.context.db.session() as s:
        return next(c.id for c in indicator_service.indicator_choices(s) if c.code == code)


def linked_codes(db, action_id: str) -> list[str]:  # noqa: ANN001
    with db.session() as s:
        return sorted(i.code for i in indicator_service.indicators_for_action(s, action_id))


def test_linked_indicators_appear_for_their_action_only(demo_window):
    view = demo_window.show_view("plans")
    choose(view, "2.1")
    editor = view.action_editor
    tab = editor.indicators_tab
    assert editor.tabs.tabText(3) == "&Indicators (3)"
    assert shown(view) == ["NI 32", "PI 2", "PI 5"]
    rows = {r.code: r for r in tab.model.rows()}
    # the latest figure, its period, the target for that period and the status (worded)
    marac = rows["PI 2"]
    column = {col.header: c for c, col in enumerate(tab.model.columns)}
    pos = tab.model.row_for_key(marac.id)
    cell = {name: tab.model.index(pos, c).data() for name, c in column.items()}
    assert cell["Indicator"] == "PI 2 Referrals to MARAC"
    assert cell["Period"] == marac.latest_label and cell["Figure"] == "33"
    assert cell["Target"] == "37.5"  # 150 for the year, shared out by quarter
    assert cell["Status"] == "Not met"
    assert "3 indicators measure this action" in tab.note.text()

    choose(view, "2.2")
    assert shown(view) == ["PI 9"] and editor.tabs.tabText(3) == "&Indicators (1)"
    choose(view, "3.1")
    assert shown(view) == [] and editor.tabs.tabText(3) == "&Indicators (0)"
    assert "No performance indicator is linked" in tab.note.text()
    assert not tab.open_button.isEnabled() and not tab.unlink_button.isEnabled()


def test_open_in_performance_switches_view_and_selects_the_indicator(demo_window):
    win = demo_window
    perf = win.show_view("indicators")
    perf.filter_bar.set_text("sanction")  # a search that hides the indicator wanted
    view = win.show_view("plans")
    choose(view, "2.1")
    tab = view.action_editor.indicators_tab
    view.action_editor.tabs.setCurrentWidget(tab)
    assert tab.table.select_key(indicator_id(win, "PI 5"))
    assert tab.open_button.isEnabled()
    tab.open_button.click()
    assert win.current_view() is perf
    assert perf.tabs.currentIndex() == perf.table_index
    assert perf.selected() is not None and perf.selected().code == "PI 5"
    assert perf.filter_bar.text() == ""
    # double-clicking (or Enter on) a row opens it too
    win.show_view("plans")
    tab.table.row_activated.emit(next(r for r in tab.model.rows() if r.code == "NI 32"))
    assert win.current_view() is perf and perf.selected().code == "NI 32"


def test_link_and_unlink_are_saved_undoable_and_survive_reopening(demo_window, answers):
    win = demo_window
    path = win.context.db.path
    perf = win.show_view("indicators")
    pi4 = indicator_id(win, "PI 4")
    before = next(r for r in perf.rows if r.id == pi4).actions
    view = win.show_view("plans")
    action = choose(view, "2.1")
    tab = view.action_editor.indicators_tab
    view.action_editor.tabs.setCurrentWidget(tab)
    assert tab.link_button.isVisible() and tab.unlink_button.isVisible()
    assert tab.link_button.isEnabled() and not tab.unlink_button.isEnabled()

    offered: list[str] = []

    def pick(dialog) -> bool:  # noqa: ANN001
        offered.extend(r.code for r in dialog.model.rows())
        dialog.choose(pi4)
        assert dialog.ok_button.isEnabled()
        return True

    answers.add(pick)
    tab.link_button.click()
    assert "PI 2" not in offered and "PI 4" in offered  # only those not linked yet
    assert shown(view) == ["NI 32", "PI 2", "PI 4", "PI 5"]
    assert view.action_editor.tabs.tabText(3) == "&Indicators (4)"
    assert linked_codes(win.context.db, action) == ["NI 32", "PI 2", "PI 4", "PI 5"]
    # the Performance view hears of it: its Actions count goes up when next shown
    win.show_view("indicators")
    assert next(r for r in perf.rows if r.id == pi4).actions == before + 1
    win.show_view("plans")

    assert tab.table.select_key(indicator_id(win, "PI 2"))
    tab.unlink_button.click()
    assert shown(view) == ["NI 32", "PI 4", "PI 5"]
    win.action("edit.undo").trigger()  # brings the link back
    assert shown(view) == ["NI 32", "PI 2", "PI 4", "PI 5"]
    win.action("edit.redo").trigger()
    assert shown(view) == ["NI 32", "PI 4", "PI 5"]
    # the other action PI 2 measures is untouched
    assert linked_codes(win.context.db, choose(view, "2.2")) == ["PI 9"]

    # the file opened again from disc, in the window (which closes the old one)
    from dvcoord.store import Database

    again = Database.open(path, user="Test Officer", backup=False)
    try:
        win.set_database(again)
        view = win.show_view("plans")
        choose(view, "2.1")
        assert shown(view) == ["NI 32", "PI 4", "PI 5"]
        assert linked_codes(again, action) == ["NI 32", "PI 4", "PI 5"]
    finally:
        win.undo_stack.clear()
        again.close()


def test_link_with_nothing_left_to_link_says_so(empty_window, dialogs, answers):
    from dvcoord.services import plans as plan_service

    db = empty_window.context.db
    with db.transaction() as s:
        plan = plan_service.create_plan(s, title="Plan", plan_from_fy=2026, plan_to_fy=2026)
        theme = plan_service.create_theme(s, plan.id, title="Safety", code="1")
        plan_service.create_action(s, theme.id, reference="1.1", text="Helpline")
    view = empty_window.show_view("plans")
    view.refresh()
    choose(view, "1.1")
    view.action_editor.indicators_tab.link_button.click()
    assert dialogs.last().text == "There are no performance indicators yet."


def test_read_only_database_offers_no_link_or_unlink(gui_app, demo_path, qtbot, dialogs, today):
    from dvcoord.gui.main_window import MainWindow
    from dvcoord.gui.settings import AppSettings
    from dvcoord.store import Database

    db = Database.open(demo_path, readonly=True, backup=False)
    try:
        win = MainWindow(db, AppSettings())
        qtbot.addWidget(win)
        win.show()
        view = win.show_view("plans")
        choose(view, "2.1")
        tab = view.action_editor.indicators_tab
        view.action_editor.tabs.setCurrentWidget(tab)
        assert shown(view) == ["NI 32", "PI 2", "PI 5"]
        assert tab.link_button.isHidden() and tab.unlink_button.isHidden()
        assert tab.table.select_key(indicator_id(win, "PI 2"))
        assert tab.open_button.isEnabled()  # looking is still allowed
        assert view.link_indicators(view.action_editor.row_id) == 0
    finally:
        db.close()


def test_links_changed_in_the_performance_view_show_when_plans_is_next_shown(demo_window):
    win = demo_window
    view = win.show_view("plans")
    action = choose(view, "3.1")
    assert shown(view) == []
    perf = win.show_view("indicators")
    with win.context.db.transaction() as s:  # as the indicator editor saves its links
        indicator_service.set_action_links(s, indicator_id(win, "PI 7"), [action])
    win.context.notify_changed("indicators", perf)
    win.show_view("plans")
    assert shown(view) == ["PI 7"]
    assert view.action_editor.tabs.tabText(3) == "&Indicators (1)"
