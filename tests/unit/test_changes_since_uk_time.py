"""'Changed since' reads a user's date as a UK date (GMT or BST), and UTC timestamps are
shown and grouped by their UK date, including on the days the clocks change."""

from __future__ import annotations

import gc
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text, update

from dvcoord.services import alarms as al
from dvcoord.services import dates
from dvcoord.services import milestones as ms
from dvcoord.services import plan_reports as pr
from dvcoord.services import plans as ps
from dvcoord.store.schema.core import AuditEntry


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (date(2026, 7, 1), utc(2026, 6, 30, 23)),  # BST
        (date(2026, 1, 15), utc(2026, 1, 15)),  # GMT
        (date(2026, 3, 29), utc(2026, 3, 29)),  # clocks go forward at 01:00 GMT that day
        (date(2026, 3, 30), utc(2026, 3, 29, 23)),  # first whole day of BST
        (date(2026, 10, 25), utc(2026, 10, 24, 23)),  # clocks go back at 02:00 BST that day
        (date(2026, 10, 26), utc(2026, 10, 26)),  # first whole day of GMT
    ],
)
def test_uk_day_start(day, start):
    assert dates.uk_day_start(day) == start
    assert dates.uk_date(start) == day
    assert dates.uk_date(start - timedelta(microseconds=1)) == day - timedelta(days=1)


@pytest.mark.parametrize(
    ("moment", "day", "hour"),
    [
        (utc(2026, 6, 30, 23, 30), date(2026, 7, 1), 0),  # 00:30 BST
        (utc(2026, 6, 30, 22, 30), date(2026, 6, 30), 23),  # 23:30 BST
        (utc(2026, 12, 31, 23, 30), date(2026, 12, 31), 23),  # 23:30 GMT
        (datetime(2026, 6, 30, 23, 30), date(2026, 7, 1), 0),  # naive counts as UTC
        (utc(2026, 10, 25, 0, 30), date(2026, 10, 25), 1),  # 01:30 BST, first time
        (utc(2026, 10, 25, 1, 30), date(2026, 10, 25), 1),  # 01:30 GMT, second time
    ],
)
def test_uk_local_and_uk_date(moment, day, hour):
    assert dates.uk_date(moment) == day
    assert dates.uk_local(moment).hour == hour


# ----------------------------------------------------------------------------- changes_since


@pytest.fixture
def one_action(db):
    with db.transaction() as s:
        plan = ps.create_plan(s, title="Summer plan")
        theme = ps.create_theme(s, plan.id, title="Safety")
        action = ps.create_action(s, theme.id, text="Run the helpline", reference="1.1")
        ids = {"plan": plan.id, "theme": theme.id, "action": action.id}
    # the plan and its action were written long before any date these tests ask about
    with db.transaction() as s:
        s.execute(update(AuditEntry).values(at=utc(2025, 1, 1, 12)))
        for table in ("plan", "theme", "action"):
            s.execute(text(f"UPDATE {table} SET created_at = '2025-01-01 12:00:00.000000'"))
    return ids


def _edit_at(db, action_id: str, when: datetime, **values) -> None:
    """Edit the action, then date that edit's audit row ``when`` (UTC)."""
    with db.transaction() as s:
        ps.update_action(s, action_id, **values)
    with db.transaction() as s:
        last = s.query(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1).scalar()
        s.execute(update(AuditEntry).where(AuditEntry.id == last).values(at=when))


def _targets(changes) -> list[str]:
    return [f.after for c in changes for f in c.changes if f.field == "target_text"]


def test_a_uk_date_starts_at_uk_midnight_in_summer(db, one_action):
    a = one_action["action"]
    _edit_at(db, a, utc(2026, 6, 30, 22, 30), target_text="June 2027")  # 23:30 BST 30/06
    _edit_at(db, a, utc(2026, 6, 30, 23, 30), target_text="July 2027")  # 00:30 BST 01/07
    with db.session() as s:
        assert _targets(ps.changes_since(s, date(2026, 7, 1))) == ["July 2027"]
        assert _targets(ps.changes_since(s, date(2026, 6, 30))) == ["June 2027", "July 2027"]
        assert _targets(ps.changes_since(s, date(2026, 7, 2))) == []
        # the same for one plan (the board report's path)
        mine = ps.changes_since(s, date(2026, 7, 1), plan_id=one_action["plan"])
        assert _targets(mine) == ["July 2027"]
        assert ps.changes_since(s, date(2026, 7, 1), plan_id="no-such-plan") == []
        # a datetime is an instant, as before (naive = UTC)
        assert _targets(ps.changes_since(s, datetime(2026, 6, 30, 23))) == ["July 2027"]
        assert _targets(ps.changes_since(s, utc(2026, 6, 30, 22))) == ["June 2027", "July 2027"]


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        # Sunday 29/03/2026: the day starts at 00:00 GMT (= UTC)
        (date(2026, 3, 29), ["29 Mar 00:10", "30 Mar 00:30 BST"]),
        # Monday 30/03/2026 starts at 00:00 BST = 23:00 UTC on the 29th
        (date(2026, 3, 30), ["30 Mar 00:30 BST"]),
        # Sunday 25/10/2026 starts at 00:00 BST = 23:00 UTC on the 24th
        (date(2026, 10, 25), ["25 Oct 00:15 BST", "25 Oct 23:30 GMT"]),
        # Monday 26/10/2026 starts at 00:00 GMT
        (date(2026, 10, 26), []),
    ],
)
def test_clock_change_days(db, one_action, since, expected):
    a = one_action["action"]
    for when, label in [
        (utc(2026, 3, 28, 23, 50), "28 Mar 23:50"),  # GMT, the day before
        (utc(2026, 3, 29, 0, 10), "29 Mar 00:10"),
        (utc(2026, 3, 29, 23, 30), "30 Mar 00:30 BST"),
    ]:
        _edit_at(db, a, when, target_text=label)
    with db.session() as s:
        spring = _targets(ps.changes_since(s, since))
    for when, label in [
        (utc(2026, 10, 24, 22, 30), "24 Oct 23:30 BST"),
        (utc(2026, 10, 24, 23, 15), "25 Oct 00:15 BST"),
        (utc(2026, 10, 25, 23, 30), "25 Oct 23:30 GMT"),
    ]:
        _edit_at(db, a, when, target_text=label)
    with db.session() as s:
        found = _targets(ps.changes_since(s, since))
    if since.month == 3:
        assert spring == expected
    else:
        assert [t for t in found if "Oct" in t] == expected


def test_board_report_groups_changes_by_uk_day(db, one_action):
    a = one_action["action"]
    _edit_at(db, a, utc(2026, 6, 30, 23, 30), target_text="July 2027")  # 00:30 BST 01/07
    with db.session() as s:
        rows = ps.action_rows(s, one_action["plan"])
        changed = pr.changed_actions(s, one_action["plan"], date(2026, 7, 1), rows)
        assert [(c.action.reference, c.last_changed) for c in changed] == [
            ("1.1", date(2026, 7, 1))
        ]
        assert pr.changed_actions(s, one_action["plan"], date(2026, 7, 2), rows) == ()


def test_board_report_plan_created_just_after_uk_midnight_is_new(db, one_action):
    """A plan created at 00:30 BST on 01/07 is new 'since 01/07': its parts are not listed
    one by one as added."""
    with db.transaction() as s:
        theme = ps.create_theme(s, one_action["plan"], title="Housing")
        ps.create_action(s, theme.id, text="Sanctuary referrals", reference="2.1")
    with db.transaction() as s:
        s.execute(text("UPDATE plan SET created_at = '2026-06-30 23:30:00.000000'"))
        s.execute(
            update(AuditEntry)
            .where(AuditEntry.at > utc(2026, 1, 1))
            .values(at=utc(2026, 6, 30, 23, 40))
        )
    with db.session() as s:
        rows = ps.action_rows(s, one_action["plan"])
        changed = pr.changed_actions(s, one_action["plan"], date(2026, 7, 1), rows)
    assert changed == ()


# ----------------------------------------------------------------------------- alarms


def test_alarm_never_tested_counts_from_its_uk_day_added(db):
    with db.transaction() as s:
        kind = al.create_alarm_type(s, name="Pendant", test_interval_days=1)
        alarm = al.create_alarm(s, asset_tag="PA-001", type_id=kind.id, today=date(2026, 7, 1))
        alarm_id = alarm.id
    with db.transaction() as s:  # added at 00:30 BST on 01/07 (23:30 UTC on 30/06)
        s.execute(text("UPDATE alarm SET created_at = '2026-06-30 23:30:00.000000'"))
    with db.session() as s:
        assert al.tests_due(s, date(2026, 7, 1)) == []
        due = al.tests_due(s, date(2026, 7, 2))
        assert [(d.alarm_id, d.due) for d in due] == [(alarm_id, date(2026, 7, 2))]
        row = next(r for r in al.inventory(s) if r.alarm_id == alarm_id)
        assert row.next_test_due == date(2026, 7, 2)


# ----------------------------------------------------------------------------- one plan


ALL_TABLES = ("plan", "theme", "aim", "action", "milestone", "progress_update", "plan_change")


def _build_plan(s, title: str, reference: str) -> dict[str, str]:
    plan = ps.create_plan(s, title=title)
    theme = ps.create_theme(s, plan.id, title=f"{title} theme")
    aim = ps.create_aim(s, theme.id, reference="A1", text="An aim")
    action = ps.create_action(s, theme.id, aim_id=aim.id, text="Act", reference=reference)
    ms.create_milestone(s, action.id, text="Helpline live", due_text="March 2027")
    ps.add_progress_update(s, action.id, update_date=date(2026, 7, 1), text="Begun", rag="A")
    ps.add_plan_change(s, plan.id, summary="First version", version="1.0")
    return {"plan": plan.id, "action": action.id}


def test_one_plan_gets_exactly_its_own_rows_of_every_table(db):
    """For one plan SQLite works out each row's plan; the rows must be the same as the
    rows of that plan among all of them."""
    with db.transaction() as s:
        first = _build_plan(s, "First", "1.1")
        second = _build_plan(s, "Second", "2.1")
    with db.transaction() as s:
        ps.update_action(s, first["action"], text="Act now")
        ps.tombstone_action(s, second["action"])
    since = date(2000, 1, 1)
    with db.session() as s:
        everything = ps.changes_since(s, since, tables=ALL_TABLES)
        assert gc.isenabled()
        assert {c.plan_id for c in everything} == {first["plan"], second["plan"]}
        for ids, title in ((first, "First"), (second, "Second")):
            mine = ps.changes_since(s, since, plan_id=ids["plan"], tables=ALL_TABLES)
            assert mine == [c for c in everything if c.plan_id == ids["plan"]]
            assert {c.table for c in mine} == set(ALL_TABLES)
            assert {c.plan_title for c in mine} == {title}
            assert {c.action_reference for c in mine if c.table == "milestone"} == {
                "1.1" if title == "First" else "2.1"
            }
    texts = [c.description for c in everything]
    assert "Changed action 1.1 'Act now': Text changed." in texts
    assert any(t.startswith("Deleted action 2.1") for t in texts)
