"""services.plan_lookup: light look-ups for the plan chooser and headings."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from dvcoord.errors import ValidationError
from dvcoord.services import plan_lookup
from dvcoord.services import plans as ps


def _make(db):  # noqa: ANN001, ANN202
    with db.transaction() as s:
        old = ps.create_plan(s, title="Plan 2012/13", plan_from_fy=2012, status="archived")
        new = ps.create_plan(
            s, title="Plan 2013/14", plan_from_fy=2013, plan_to_fy=2014, partnership="CSP"
        )
        undated = ps.create_plan(s, title="a plan with no year")
        gone = ps.create_plan(s, title="Deleted plan", plan_from_fy=2020)
        ps.set_rag_key(
            s,
            new.id,
            [
                {"letter": "G", "name": "Green", "meaning": "Done"},
                {"letter": "A", "name": "Amber", "meaning": "Under way"},
                {"letter": "R", "name": "Red", "meaning": "Stuck"},
                {"letter": "B", "name": "Blue", "meaning": "Complete", "colour": "#1565C0"},
            ],
        )
        ps.add_plan_change(s, new.id, summary="First draft", version="0.1")
        ps.add_plan_change(s, new.id, summary="Approved", version="1.0")
        theme = ps.create_theme(s, new.id, title="Safety", code="1")
        aim = ps.create_aim(s, theme.id, reference="1.A", text="Point of contact")
        action = ps.create_action(s, theme.id, aim_id=aim.id, reference="1.1", text="Helpline")
        loose = ps.create_action(s, theme.id, reference="1.2", text="Leaflets")
        ps.tombstone_plan(s, gone.id)
        return old.id, new.id, undated.id, gone.id, theme.id, aim.id, action.id, loose.id


def test_plan_choices_in_list_order_without_deleted_or_archived(db):
    old, new, undated, gone, *_ = _make(db)
    with db.session() as s:
        choices = plan_lookup.plan_choices(s)
        assert [c.id for c in choices] == [p.id for p in ps.list_plans(s)]
        assert [c.id for c in choices] == [new, old, undated]
        assert choices[0] == plan_lookup.PlanChoice(
            new, "Plan 2013/14", "draft", 2013, 2014, label="Plan 2013/14"
        )
        assert [c.id for c in plan_lookup.plan_choices(s, include_archived=False)] == [
            new,
            undated,
        ]


def test_plan_header_reads_the_plan_its_key_and_history_count(db):
    old, new, *_ = _make(db)
    with db.session() as s:
        header = plan_lookup.plan_header(s, new)
        assert (header.title, header.partnership, header.plan_from_fy, header.plan_to_fy) == (
            "Plan 2013/14",
            "CSP",
            2013,
            2014,
        )
        assert header.own_rag_key and [e.letter for e in header.rag_key] == ["G", "A", "R", "B"]
        assert header.rag_key[2].meaning == "Stuck"
        assert header.changes == 2
        plan = ps.get_plan(s, new)
        assert list(header.rag_key) == ps.rag_key_for(plan, s)
        default = plan_lookup.plan_header(s, old)
        assert not default.own_rag_key
        assert [e.name for e in default.rag_key] == ["Green", "Amber", "Red"]
        assert default.changes == 0


def test_plan_header_of_a_deleted_plan_is_refused(db):
    *_, gone, _t, _a, _x, _y = _make(db)
    with db.session() as s, pytest.raises(ValidationError, match="no longer exists"):
        plan_lookup.plan_header(s, gone)


def test_plan_header_is_one_statement_and_loads_no_themes(db):
    _old, new, *_ = _make(db)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as s:
            plan_lookup.plan_header(s, new)
            plan_lookup.plan_choices(s)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 2
    assert not any("FROM theme" in st and "count" not in st for st in statements)


def test_action_place_names_its_theme_and_aim(db):
    _old, new, _u, _g, theme, aim, action, loose = _make(db)
    with db.session() as s:
        place = plan_lookup.action_place(s, action)
        assert place == plan_lookup.ActionPlace(
            action, new, theme, "1", "Safety", aim, "1.A", "Point of contact"
        )
        bare = plan_lookup.action_place(s, loose)
        assert (bare.aim_id, bare.aim_reference, bare.aim_text) == (None, "", "")
    with db.transaction() as s:
        ps.tombstone_action(s, loose)
    with db.session() as s, pytest.raises(ValidationError, match="no longer exists"):
        plan_lookup.action_place(s, loose)


# --------------------------------------------------------------------------- telling plans apart
def test_short_ids_are_at_least_eight_characters_and_unique():
    ids = ["01a20713-aaaa-7000-8000-000000000001", "01a20713-abcd-7000-8000-000000000002"]
    got = plan_lookup.short_ids(ids + ["01b00000-0000-7000-8000-000000000003"], ids)
    assert got == {ids[0]: "01a20713-aa", ids[1]: "01a20713-ab"}  # never ends on a hyphen
    lone = plan_lookup.short_ids(ids[:1], ids[:1])
    assert lone == {ids[0]: "01a20713"}


def test_plans_titled_and_the_same_title_notice(db):
    from datetime import UTC, datetime

    from dvcoord.services.dates import format_date, uk_date

    with db.transaction() as s:
        first = ps.create_plan(s, title="DA Plan", plan_from_fy=2026, status="approved")
        theme = ps.create_theme(s, first.id, title="Safety", code="1")
        ps.create_action(s, theme.id, reference="1.1", text="Helpline")
        ps.create_action(s, theme.id, reference="1.2", text="Leaflets")
        ps.create_plan(s, title="Another plan")
    today = format_date(uk_date(datetime.now(UTC)))
    with db.session() as s:
        [found] = plan_lookup.plans_titled(s, "  da   PLAN ")
        assert found.id == first.id and found.actions == 2 and found.status == "approved"
        assert first.id.startswith(found.short_id) and len(found.short_id) >= 8
        assert found.describe() == (
            f"\u2018DA Plan\u2019 (2026/27, approved, 2 actions, created {today}) "
            f"\u2014 id {found.short_id}"
        )
        assert plan_lookup.same_title_notice(s, "Not there") == ""
        notice = plan_lookup.same_title_notice(s, "da plan", advice="rename it")
        assert notice.startswith(
            f"A plan called \u2018DA Plan\u2019 already exists (2026/27, approved, 2 actions, "
            f"created {today}, id {found.short_id}); "
        )
        assert notice.endswith(
            "the import will add it as a separate plan with the same title \u2014 rename it."
        )
        assert plan_lookup.same_title_notice(s, "DA Plan", exclude=first.id) == ""


def test_describe_apart_adds_the_time_only_when_the_date_is_shared():
    from datetime import date

    def summary(plan_id: str, day: int, time: str) -> plan_lookup.PlanSummary:
        return plan_lookup.PlanSummary(
            plan_id, plan_id[:8], "Plan", "draft", 2026, 2026, 3, date(2026, 11, day), time
        )

    a, b = summary("aaaaaaaa1", 20, "09:15:02"), summary("bbbbbbbb1", 23, "10:00:01")
    c = summary("cccccccc1", 23, "10:00:59")
    assert plan_lookup.describe_apart([a]) == [
        "\u2018Plan\u2019 (2026/27, draft, 3 actions, created 20/11/2026) \u2014 id aaaaaaaa"
    ]
    assert plan_lookup.describe_apart([a, b, c], with_title=False) == [
        "id aaaaaaaa (2026/27, draft, 3 actions, created 20/11/2026)",
        "id bbbbbbbb (2026/27, draft, 3 actions, created 23/11/2026 at 10:00:01)",
        "id cccccccc (2026/27, draft, 3 actions, created 23/11/2026 at 10:00:59)",
    ]
    d = summary("dddddddd1", 23, "11:30:00")
    assert plan_lookup.describe_apart([b, d], with_title=False)[1].endswith("at 11:30)")


def test_plan_choices_label_plans_of_one_title_apart(db):
    with db.transaction() as s:
        a = ps.create_plan(s, title="DA Plan", plan_from_fy=2026, status="approved")
        theme = ps.create_theme(s, a.id, title="Safety", code="1")
        ps.create_action(s, theme.id, reference="1.1", text="Helpline")
        b = ps.create_plan(s, title="da  plan", plan_from_fy=2026)  # same title, told apart
        c = ps.create_plan(s, title="Another plan")
    with db.session() as s:
        labels = {ch.id: ch.label for ch in plan_lookup.plan_choices(s)}
    assert labels[c.id] == "Another plan"
    assert labels[a.id].startswith("DA Plan \u2014 id ") and "approved, 1 action," in labels[a.id]
    assert labels[b.id].startswith("da  plan \u2014 id ") and "draft, 0 actions," in labels[b.id]
    assert labels[a.id].split(" (")[0][-8:] != labels[b.id].split(" (")[0][-8:]
