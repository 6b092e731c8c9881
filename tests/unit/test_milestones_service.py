"""Milestones: rules, the overdue / due-in-quarter / completed queries and the tiles."""

from __future__ import annotations

from datetime import date

import pytest

from dvcoord.errors import ValidationError
from dvcoord.services import agencies as ag
from dvcoord.services import milestones as ms
from dvcoord.services import plans as ps
from dvcoord.store.schema.plans import Milestone


@pytest.fixture
def setup(db):
    """A 2013/14 plan with two actions and milestones across the year."""
    with db.transaction() as s:
        police = ag.create_agency(s, name="Kent Police", sector="police")
        plan = ps.create_plan(s, title="DA plan 2013/14", plan_from_fy=2013, plan_to_fy=2013)
        theme = ps.create_theme(s, plan.id, title="Safety", code="1")
        a1 = ps.create_action(
            s, theme.id, reference="1.1", text="Helpline", lead_agency_ids=[police.id]
        )
        a2 = ps.create_action(
            s, theme.id, reference="1.2", text="Leaflets", lead_text="DA Working Group"
        )
        made = {}
        for action, text, due in (
            (a1, "Helpline available", "Apr 2013"),  # Q1
            (a1, "Free-phone number secured", "Jul 2013"),  # Q2
            (a1, "Extend opening hours", "Mar 2014"),  # Q4
            (a2, "Leaflets designed", "30/09/2013"),  # Q2, last day
            (a2, "Leaflets printed", "Qtr 3 2013/14"),  # Q3
            (a2, "Distribution ongoing", "Ongoing"),  # undated
        ):
            made[text] = ms.create_milestone(s, action.id, text=text, due_text=due).id
    return {"plan": plan.id, "theme": theme.id, "a1": a1.id, "a2": a2.id, **made}


def test_create_validates_text_and_due_date(db, setup):
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ms.create_milestone(s, setup["a1"], text="  ", due_text="May 2013")
    assert err.value.field == "text"
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ms.create_milestone(s, setup["a1"], text="Too early", due_text="March 2013")
    assert err.value.field == "due_text"
    assert "before the plan starts on 01/04/2013 (2013/14)" in str(err.value)
    with pytest.raises(ValidationError, match="10,000"), db.transaction() as s:
        ms.create_milestone(s, setup["a1"], text="m" * 50_000, due_text="May 2013")
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ms.create_milestone(s, setup["a1"], text="x", status="late")
    assert err.value.field == "status"
    with db.transaction() as s:
        odd = ms.create_milestone(s, setup["a1"], text="Typo", due_text="Oct 208")
        assert (odd.due_text, odd.due_kind, odd.due_end) == ("Oct 208", "unreadable", None)
        assert ps.target_of(odd).is_flagged
        assert len(ms.milestones_for_action(s, setup["a1"])) == 4


def test_overdue_as_of_a_date(db, setup):
    with db.session() as s:
        rows = ms.overdue_milestones(s, date(2013, 10, 1))
        assert [r.text for r in rows] == [
            "Helpline available",
            "Free-phone number secured",
            "Leaflets designed",
        ]
        first = rows[0]
        assert (first.plan_title, first.action_reference, first.theme_title) == (
            "DA plan 2013/14",
            "1.1",
            "Safety",
        )
        assert first.lead == "Kent Police"
        assert rows[2].lead == "DA Working Group"
        assert first.days_overdue(date(2013, 10, 1)) == 154
        assert first.is_overdue(date(2013, 10, 1))
        # due on the day itself is not overdue
        assert [r.text for r in ms.overdue_milestones(s, date(2013, 9, 30))] == [
            "Helpline available",
            "Free-phone number secured",
        ]
        assert ms.overdue_milestones(s, date(2013, 4, 30)) == []


def test_completed_dropped_deleted_and_archived_are_not_overdue(db, setup):
    with db.transaction() as s:
        ms.complete_milestone(s, setup["Helpline available"], date(2013, 5, 2))
        ms.update_milestone(s, setup["Free-phone number secured"], status="dropped")
        ms.tombstone_milestone(s, setup["Leaflets designed"])
    with db.session() as s:
        assert ms.overdue_milestones(s, date(2013, 10, 1)) == []
    with db.transaction() as s:
        ms.restore_milestone(s, setup["Leaflets designed"])
        ps.update_plan(s, setup["plan"], status="archived")
    with db.session() as s:
        assert ms.overdue_milestones(s, date(2013, 10, 1)) == []
        archived = ms.milestone_rows(s, overdue_on=date(2013, 10, 1), include_archived=True)
        assert [r.text for r in archived] == ["Leaflets designed"]
    with db.transaction() as s:
        ps.update_plan(s, setup["plan"], status="approved")
        ps.tombstone_action(s, setup["a2"])
    with db.session() as s:
        assert ms.overdue_milestones(s, date(2013, 10, 1)) == []


def test_due_in_a_financial_quarter(db, setup):
    with db.session() as s:
        q2 = ms.milestones_due_in_quarter(s, 2013, 2)
        assert [r.text for r in q2] == ["Free-phone number secured", "Leaflets designed"]
        assert [r.text for r in ms.milestones_due_in_quarter(s, 2013, 3)] == ["Leaflets printed"]
        assert [r.text for r in ms.milestones_due_in_quarter(s, 2013, 4)] == [
            "Extend opening hours"
        ]
        assert ms.milestones_due_in_quarter(s, 2014, 1) == []
        assert [
            r.text for r in ms.milestones_due_between(s, date(2013, 4, 1), date(2013, 7, 31))
        ] == ["Helpline available", "Free-phone number secured"]
    with db.transaction() as s:
        ms.complete_milestone(s, setup["Leaflets designed"], date(2013, 9, 1))
    with db.session() as s:
        assert [r.text for r in ms.milestones_due_in_quarter(s, 2013, 2)] == [
            "Free-phone number secured"
        ]
        assert len(ms.milestones_due_in_quarter(s, 2013, 2, status=None)) == 2
        with pytest.raises(ValueError):
            ms.milestones_due_in_quarter(s, 2013, 5)


def test_completed_in_a_period_and_reopen(db, setup):
    with db.transaction() as s:
        ms.complete_milestone(s, setup["Leaflets printed"], date(2013, 12, 2))
        ms.complete_milestone(s, setup["Helpline available"], date(2013, 4, 20))
        row = ms.complete_milestone(s, setup["Extend opening hours"])
        assert row.completed_on == date.today() and row.status == "complete"
    with db.session() as s:
        done = ms.milestones_completed_between(s, date(2013, 4, 1), date(2013, 12, 31))
        assert [(r.text, r.completed_on) for r in done] == [
            ("Helpline available", date(2013, 4, 20)),
            ("Leaflets printed", date(2013, 12, 2)),
        ]
    with db.transaction() as s:
        again = ms.reopen_milestone(s, setup["Leaflets printed"])
        assert (again.status, again.completed_on) == ("open", None)


def test_redating_rules(db, setup):
    with pytest.raises(ValidationError, match="before the plan starts"), db.transaction() as s:
        ms.update_milestone(s, setup["Leaflets printed"], due_text="Jan 2013")
    with db.transaction() as s:
        row = ms.update_milestone(s, setup["Leaflets printed"], due_text="Feb 2014")
        assert row.due_end == date(2014, 2, 28)
        # a milestone carried into a later plan keeps its old date when its words change
        result = ps.copy_plan_forward(s, setup["plan"], today=date(2014, 3, 1))
        carried = ms.milestone_rows(s, plan_id=result.plan.id)
        assert len(carried) == 6
        old = next(m for m in carried if m.text == "Helpline available")
        edited = ms.update_milestone(s, old.id, text="Helpline available (24 hours)")
        assert edited.due_end == date(2013, 4, 30)


def test_reorder_tombstone_restore(db, setup):
    with db.transaction() as s:
        ps.move_down(s, "milestone", setup["Helpline available"])
        assert [m.text for m in ms.milestones_for_action(s, setup["a1"])] == [
            "Free-phone number secured",
            "Helpline available",
            "Extend opening hours",
        ]
        ps.reorder(s, "milestone", setup["Extend opening hours"], 0)
        assert ms.milestones_for_action(s, setup["a1"])[0].text == "Extend opening hours"
        ps.tombstone(s, "milestone", setup["Extend opening hours"])
        assert len(ms.milestones_for_action(s, setup["a1"])) == 2
        ps.restore(s, "milestone", setup["Extend opening hours"])
        assert ms.milestones_for_action(s, setup["a1"])[0].text == "Extend opening hours"
        ps.tombstone_action(s, setup["a1"])
        with pytest.raises(ValidationError, match="restore the action first"):
            ms.restore_milestone(s, setup["Helpline available"])
        assert s.get(Milestone, setup["Helpline available"]).deleted_at is not None


def test_rows_by_plan_order_and_text_filter(db, setup):
    with db.session() as s:
        rows = ms.milestone_rows(s, plan_id=setup["plan"], order="plan")
        assert [r.action_reference for r in rows] == ["1.1"] * 3 + ["1.2"] * 3
        by_due = ms.milestone_rows(s)
        assert by_due[-1].text == "Distribution ongoing"  # undated last
        assert by_due[-1].due_end is None and not by_due[-1].is_overdue(date(2030, 1, 1))
        assert [r.text for r in by_due if r.matches("leaflets ongoing")] == ["Distribution ongoing"]
        assert [r.text for r in ms.milestone_rows(s, action_id=setup["a2"], status="open")][:1] == [
            "Leaflets designed"
        ]


def test_dashboard_tiles(db, setup):
    with db.transaction() as s:
        for n in range(5):
            ms.create_milestone(s, setup["a2"], text=f"Extra {n}", due_text=f"{n + 1}/05/2013")
    with db.session() as s:
        tiles = {t.key: t for t in ms.dashboard_tiles(s, date(2013, 11, 15))}
    overdue = tiles["plans.overdue_milestones"]
    assert overdue.value == "8" and overdue.severity == "alert"
    assert len(overdue.lines) == 5
    assert overdue.lines[0] == "1.1 Helpline available (due Apr 2013, 199 days overdue)"
    due = tiles["plans.due_this_quarter"]
    assert due.value == "1" and due.detail.startswith("2013/14 Q3")
    assert due.lines == ("1.2 Leaflets printed (due 31/12/2013)",)
    with db.session() as s:
        quiet = {t.key: t for t in ms.dashboard_tiles(s, date(2013, 4, 2))}
    assert quiet["plans.overdue_milestones"].value == "0"
    assert quiet["plans.overdue_milestones"].severity == "ok"
