"""Action-plan services: every write rule, every query, copy forward, tombstone/restore
cascades and the audit trail."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from dvcoord.errors import ValidationError
from dvcoord.services import agencies as ag
from dvcoord.services import milestones as ms
from dvcoord.services import plans as ps
from dvcoord.services.dashboard import collect
from dvcoord.store.base import utcnow
from dvcoord.store.schema.core import AuditEntry
from dvcoord.store.schema.plans import (
    Action,
    ActionAgency,
    Agency,
    Aim,
    Milestone,
    Plan,
    PlanChange,
    ProgressUpdate,
    Theme,
)


@pytest.fixture
def plan(db):
    """A 2013/14 plan: two themes, an aim, three actions, agencies, updates, milestones."""
    with db.transaction() as s:
        police = ag.create_agency(s, name="Kent Police", short_name="KP", sector="police")
        housing = ag.create_agency(s, name="SDC Housing", sector="housing")
        refuge = ag.create_agency(s, name="West Kent Refuge", sector="voluntary sector")
        p = ps.create_plan(
            s,
            title="DA action plan 2013/14",
            partnership="Test CSP",
            plan_from_fy=2013,
            plan_to_fy=2013,
            strategy_from_fy=2013,
            strategy_to_fy=2015,
        )
        t1 = ps.create_theme(s, p.id, title="Support in the Community", code="2")
        t2 = ps.create_theme(s, p.id, title="Safe & Supportive Housing", code="4")
        aim = ps.create_aim(s, t1.id, reference="Recommendation 6", text="Training matrix")
        a1 = ps.create_action(
            s,
            t1.id,
            reference="2.1",
            text="Holistic support service",
            lead_text="Domestic Abuse Working Group",
            target_text="March 2014",
            outcomes="Increased safety",
            lead_agency_ids=[police.id, housing.id],
            support_agency_ids=[refuge.id],
        )
        a2 = ps.create_action(
            s,
            t1.id,
            aim_id=aim.id,
            reference="2.2",
            text="Webinar portfolio",
            target_text="Qtr 2 2013/14",
            lead_agency_ids=[refuge.id],
        )
        a3 = ps.create_action(
            s,
            t2.id,
            reference="4.1",
            text="Children's services in refuge",
            target_text="Subject to external funding bid",
            lead_agency_ids=[housing.id],
            status="complete",
        )
        ps.add_progress_update(
            s, a1.id, update_date=date(2013, 6, 30), text="Group set up", rag="A"
        )
        ps.add_progress_update(
            s, a2.id, update_date=date(2013, 9, 30), text="Needs analysis 50% done", rag="R"
        )
        m1 = ms.create_milestone(s, a1.id, text="Helpline available", due_text="Apr 2013")
        ms.create_milestone(
            s,
            a1.id,
            text="Free-phone secured",
            due_text="May 2013",
            status="complete",
            completed_on=date(2013, 5, 20),
        )
    return {
        "plan": p.id,
        "t1": t1.id,
        "t2": t2.id,
        "aim": aim.id,
        "a1": a1.id,
        "a2": a2.id,
        "a3": a3.id,
        "police": police.id,
        "housing": housing.id,
        "refuge": refuge.id,
        "m1": m1.id,
    }


def count(db, model, live=True):
    with db.session() as s:
        q = select(func.count()).select_from(model)
        if live:
            q = q.where(model.deleted_at.is_(None))
        return s.scalar(q)


def live(s, model):
    return s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))


# =========================================================================== bad input


def test_empty_required_fields_are_refused_and_nothing_is_saved(db, plan):
    cases = [
        (lambda s: ps.create_plan(s, title="   "), "title"),
        (lambda s: ps.create_theme(s, plan["plan"], title=""), "title"),
        (lambda s: ps.create_action(s, plan["t1"], text=" \n", reference="9.9"), "text"),
        (lambda s: ps.create_aim(s, plan["t1"]), "text"),
        (lambda s: ps.add_plan_change(s, plan["plan"], summary=""), "summary"),
        (lambda s: ag.create_agency(s, name=""), "name"),
        (lambda s: ps.add_progress_update(s, plan["a1"], text="  "), "text"),
    ]
    before = [count(db, m) for m in (Plan, Theme, Action, Aim, PlanChange, Agency, ProgressUpdate)]
    for call, field in cases:
        with pytest.raises(ValidationError) as err, db.transaction() as s:
            call(s)
        assert err.value.field == field
        assert (
            "cannot be empty" in str(err.value)
            or "Give" in str(err.value)
            or "Write" in str(err.value)
        )
    after = [count(db, m) for m in (Plan, Theme, Action, Aim, PlanChange, Agency, ProgressUpdate)]
    assert before == after


def test_a_50000_character_paste_is_refused_with_its_limit(db, plan):
    paste = "x" * 50_000
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ps.update_action(s, plan["a1"], text=paste)
    assert err.value.field == "text"
    assert "50,000" in str(err.value) and "10,000" in str(err.value)
    with db.session() as s:
        assert s.get(Action, plan["a1"]).text == "Holistic support service"
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ps.add_progress_update(s, plan["a1"], text=paste)
    assert "20,000" in str(err.value) and err.value.field == "text"
    for call in (
        lambda s: ps.update_action(s, plan["a1"], outcomes=paste),
        lambda s: ps.create_theme(s, plan["plan"], title=paste),
        lambda s: ms.create_milestone(s, plan["a1"], text=paste),
        lambda s: ps.update_plan(s, plan["plan"], description=paste),
    ):
        with pytest.raises(ValidationError, match="the limit is"), db.transaction() as s:
            call(s)
    # at the limit is fine
    with db.transaction() as s:
        ps.add_progress_update(s, plan["a1"], text="y" * 20_000)
        ps.update_action(s, plan["a1"], text="z" * 10_000)


def test_reference_used_twice_in_one_plan_names_the_other_action(db, plan):
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ps.create_action(s, plan["t2"], reference=" 2.1 ", text="Another")
    assert err.value.field == "reference"
    assert "Holistic support service" in str(err.value)
    assert "Support in the Community" in str(err.value)
    with pytest.raises(ValidationError), db.transaction() as s:
        ps.update_action(s, plan["a3"], reference="2.2")
    # another plan may use it; a deleted action frees it
    with db.transaction() as s:
        other = ps.create_plan(s, title="Other plan")
        theme = ps.create_theme(s, other.id, title="T")
        ps.create_action(s, theme.id, reference="2.1", text="Same reference elsewhere")
        ps.tombstone_action(s, plan["a1"])
        reused = ps.create_action(s, plan["t2"], reference="2.1", text="Reused")
    with pytest.raises(ValidationError, match="already used"), db.transaction() as s:
        ps.restore_action(s, plan["a1"])
    with db.transaction() as s:
        ps.update_action(s, reused.id, reference="2.1b")
        ps.restore_action(s, plan["a1"])


def test_rag_status_and_sector_are_validated(db, plan):
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ps.update_action(s, plan["a1"], rag="X")
    assert err.value.field == "rag" and "G (Green)" in str(err.value)
    with pytest.raises(ValidationError, match="'B' is not in this plan"), db.transaction() as s:
        ps.add_progress_update(s, plan["a1"], text="done", rag="B")
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ps.update_action(s, plan["a1"], status="finished")
    assert err.value.field == "status" and "'complete'" in str(err.value)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ag.create_agency(s, name="Fire", sector="fire")
    assert err.value.field == "sector"
    with pytest.raises(ValidationError), db.transaction() as s:
        ps.update_plan(s, plan["plan"], status="live")
    with pytest.raises(ValidationError), db.transaction() as s:
        ps.update_plan(s, plan["plan"], marking="SECRET")
    with db.transaction() as s:
        ps.set_rag_key(s, plan["plan"], [*ps.DEFAULT_RAG_KEY, ps.BLUE_ENTRY])
        ps.add_progress_update(s, plan["a1"], text="done", rag="b", update_date=date(2014, 1, 1))
        assert s.get(Action, plan["a1"]).rag == "B"


def test_plan_period_and_money_are_checked(db, plan):
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ps.create_plan(s, title="Backwards", plan_from_fy=2014, plan_to_fy=2013)
    assert err.value.field == "plan_to_fy" and "2013/14" in str(err.value)
    with db.transaction() as s:
        p = ps.create_plan(s, title="From text", plan_from_fy="2015/16")
        assert p.plan_from_fy == 2015
    with pytest.raises(ValidationError), db.transaction() as s:
        ps.create_plan(s, title="Bad year", plan_from_fy="next year")
    assert ps.parse_pounds("£1,234.5") == 123450
    assert ps.parse_pounds("") is None
    assert ps.format_pence(123450) == "£1,234.50"
    with pytest.raises(ValidationError):
        ps.parse_pounds("lots")
    with db.transaction() as s:
        ps.update_action(s, plan["a1"], cost_pence="£2,500")
        assert s.get(Action, plan["a1"]).cost_pence == 250000
    # an open milestone due in Apr 2013 stops the plan starting later
    with pytest.raises(ValidationError, match="open milestone") as err, db.transaction() as s:
        ps.update_plan(s, plan["plan"], plan_from_fy=2014, plan_to_fy=2014)
    assert err.value.field == "plan_from_fy"


def test_unknown_field_names_are_programming_errors(db, plan):
    with pytest.raises(TypeError), db.transaction() as s:
        ps.update_action(s, plan["a1"], colour="red")


# =========================================================================== target dates


def test_target_dates_are_stored_as_written_and_as_read(db, plan):
    with db.transaction() as s:
        a = ps.update_action(s, plan["a1"], target_text="Oct 208")
        assert (a.target_text, a.target_kind, a.target_end) == ("Oct 208", "unreadable", None)
        td = ps.target_of(a)
        assert td.is_flagged and td.note
        b = ps.update_action(s, plan["a2"], target_text="Qtr 2 2013/14")
        assert (b.target_start, b.target_end) == (date(2013, 7, 1), date(2013, 9, 30))
        assert ps.target_of(b).label().startswith("Q2 2013/14")
        c = ps.update_action(s, plan["a3"], target_text="this quarter", today=date(2013, 8, 1))
        assert c.target_end == date(2013, 9, 30)
        # editing another field keeps how a relative date was read
        ps.update_action(s, plan["a3"], outcomes="x")
        assert c.target_end == date(2013, 9, 30)
    assert ps.preview_target_date("Sept 2008").end == date(2008, 9, 30)
    with db.session() as s:
        row = next(r for r in ps.action_rows(s) if r.id == plan["a1"])
        assert row.target_flagged and row.target_text == "Oct 208"


# =========================================================================== progress


def test_progress_updates_keep_current_rag_and_history(db, plan):
    with db.transaction() as s:
        old = ps.add_progress_update(
            s, plan["a1"], update_date=date(2013, 3, 1), text="Backdated note", rag="R"
        )
        assert s.get(Action, plan["a1"]).rag == "A"  # the later update still rules
        new = ps.add_progress_update(
            s,
            plan["a1"],
            update_date=date(2013, 12, 31),
            text="Nearly done",
            rag="G",
            status="in progress",
        )
        action = s.get(Action, plan["a1"])
        assert (action.rag, action.status) == ("G", "in progress")
        assert [u.text for u in ps.progress_history(s, plan["a1"])] == [
            "Nearly done",
            "Group set up",
            "Backdated note",
        ]
        assert ps.progress_to_date(s, plan["a1"]).id == new.id
        assert new.author == "Test Officer"
        ps.tombstone_progress_update(s, new.id)
        assert s.get(Action, plan["a1"]).rag == "A"
        ps.restore_progress_update(s, new.id)
        assert s.get(Action, plan["a1"]).rag == "G"
        ps.update_progress_update(s, new.id, rag="R")
        assert s.get(Action, plan["a1"]).rag == "R"
        assert old.rag == "R"
    with pytest.raises(ValidationError), db.transaction() as s:
        ps.add_progress_update(s, plan["a1"], text="x", update_date="31/02/2014")
    with pytest.raises(ValidationError), db.transaction() as s:
        ps.add_progress_update(s, plan["a1"], text="x", status="sleeping")


# =========================================================================== agencies


def test_agency_leading_live_actions_cannot_be_deleted_without_a_choice(db, plan):
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        ag.tombstone_agency(s, plan["housing"])
    msg = str(err.value)
    assert "SDC Housing still leads 2 live actions in 1 plan" in msg
    assert "DA action plan 2013/14" in msg
    assert count(db, Agency) == 3
    # force: links go with it, and come back with it
    with db.transaction() as s:
        assert ag.tombstone_agency(s, plan["housing"], force=True) == 2
    with db.session() as s:
        row = next(r for r in ps.action_rows(s) if r.id == plan["a1"])
        assert row.lead_agencies == "Kent Police"
        assert not ps.actions_by_agency(s, plan["housing"])
    with db.transaction() as s:
        ag.restore_agency(s, plan["housing"])
    with db.session() as s:
        assert len(ps.actions_by_agency(s, plan["housing"], role="lead")) == 2


def test_agency_reassign_moves_its_links(db, plan):
    with db.transaction() as s:
        moved = ag.tombstone_agency(s, plan["housing"], reassign_to=plan["police"])
        assert moved == 2
    with db.session() as s:
        rows = {r.id: r for r in ps.action_rows(s)}
        assert rows[plan["a1"]].lead_agencies == "Kent Police"  # duplicate link dropped
        assert rows[plan["a3"]].lead_agencies == "Kent Police"
    with pytest.raises(ValidationError), db.transaction() as s:
        ag.tombstone_agency(s, plan["police"], reassign_to=plan["police"])


def test_agency_names_are_unique_and_usage_is_counted(db, plan):
    with pytest.raises(ValidationError, match="already an agency"), db.transaction() as s:
        ag.create_agency(s, name="kent police")
    with db.transaction() as s:
        ag.update_agency(s, plan["police"], short_name="Police", active=False)
        unused = ag.create_agency(s, name="Probation", sector="probation")
    with db.session() as s:
        usage = {u.name: u for u in ag.agency_usage(s)}
        assert (usage["SDC Housing"].lead_actions, usage["SDC Housing"].support_actions) == (2, 0)
        assert usage["West Kent Refuge"].lead_actions == 1
        assert usage["West Kent Refuge"].support_actions == 1
        assert usage["West Kent Refuge"].plan_titles == ("DA action plan 2013/14",)
        assert usage["Probation"].total == 0
        assert [a.name for a in ag.list_agencies(s, include_inactive=False)] == [
            "Probation",
            "SDC Housing",
            "West Kent Refuge",
        ]
        assert ag.find_agency(s, "police").id == plan["police"]
        assert unused.id in {u.agency_id for u in ag.agency_usage(s, include_inactive=False)}


def test_action_agency_links(db, plan):
    with pytest.raises(ValidationError, match="listed twice"), db.transaction() as s:
        ps.set_action_agencies(s, plan["a1"], [plan["police"]], [plan["police"]])
    with db.transaction() as s:
        links = ps.set_action_agencies(s, plan["a1"], [plan["refuge"], plan["police"]])
        assert [(x.agency_id, x.role) for x in links] == [
            (plan["refuge"], "lead"),
            (plan["police"], "lead"),
        ]
        with pytest.raises(ValidationError, match="already leads"):
            ps.add_action_agency(s, plan["a1"], plan["refuge"], "support")
        link = ps.add_action_agency(s, plan["a1"], plan["housing"], "support")
        ps.move_up(s, "action_agency", links[1].id)
    with db.session() as s:
        row = next(r for r in ps.action_rows(s) if r.id == plan["a1"])
        assert row.lead_agencies == "Kent Police; West Kent Refuge"
        assert row.support_agencies == "SDC Housing"
    with db.transaction() as s:
        ps.tombstone_action_agency(s, link.id)
        ps.restore_action_agency(s, link.id)


# =========================================================================== order & moves


def test_reorder_themes_aims_actions(db, plan):
    with db.transaction() as s:
        t3 = ps.create_theme(s, plan["plan"], title="Perpetrators", position=0)
        assert [t.title for t in ps.plan_tree(s, plan["plan"]).themes] == [
            "Perpetrators",
            "Support in the Community",
            "Safe & Supportive Housing",
        ]
        ps.move_down(s, "theme", t3.id)
        ps.reorder(s, "theme", plan["t2"], 0)
        assert [t.title for t in ps.plan_tree(s, plan["plan"]).themes] == [
            "Safe & Supportive Housing",
            "Support in the Community",
            "Perpetrators",
        ]
        ps.move_up(s, "theme", plan["t2"])  # already first
        a4 = ps.create_action(s, plan["t1"], reference="2.3", text="Freedom Programme")
        ps.move_up(s, "action", a4.id)
        tree = ps.plan_tree(s, plan["plan"])
        theme = next(t for t in tree.themes if t.id == plan["t1"])
        assert [a.reference for a in theme.actions] == ["2.3", "2.1"]
        assert [a.reference for a in theme.all_actions()] == ["2.3", "2.1", "2.2"]
        ps.reorder(s, "action", a4.id, 99)
        theme = next(t for t in ps.plan_tree(s, plan["plan"]).themes if t.id == plan["t1"])
        assert [a.reference for a in theme.actions] == ["2.1", "2.3"]


def test_move_action_and_aim(db, plan):
    with db.transaction() as s:
        ps.move_action(s, plan["a1"], theme_id=plan["t2"], to_index=0)
        a1 = s.get(Action, plan["a1"])
        assert (a1.theme_id, a1.aim_id, a1.position) == (plan["t2"], None, 0)
        ps.move_action(s, plan["a1"], theme_id=plan["t1"], aim_id=plan["aim"])
        assert (a1.theme_id, a1.aim_id) == (plan["t1"], plan["aim"])
        assert [r.reference for r in ps.action_rows(s, aim_id=plan["aim"])] == ["2.2", "2.1"]
        ps.move_aim(s, plan["aim"], theme_id=plan["t2"])
        assert {r.theme_id for r in ps.action_rows(s, aim_id=plan["aim"])} == {plan["t2"]}
        other = ps.create_plan(s, title="Another plan")
        theme = ps.create_theme(s, other.id, title="Elsewhere")
        with pytest.raises(ValidationError, match="within its own plan"):
            ps.move_action(s, plan["a1"], theme_id=theme.id)
        with pytest.raises(ValidationError, match="within its own plan"):
            ps.move_aim(s, plan["aim"], theme_id=theme.id)
        with pytest.raises(ValidationError, match="another theme"):
            ps.move_action(s, plan["a3"], theme_id=plan["t1"], aim_id=s.get(Aim, plan["aim"]).id)


# =========================================================================== tombstones


def test_tombstone_plan_cascades_and_restore_brings_back_only_its_own(db, plan):
    with db.transaction() as s:
        ps.tombstone_action(s, plan["a3"])  # deleted earlier, on its own
    with db.transaction() as s:
        n = ps.tombstone(s, "plan", plan["plan"])
        assert n >= 10
    for model in (Plan, Theme, Aim, Action, ActionAgency, ProgressUpdate, Milestone):
        assert count(db, model) == 0, model
    with db.session() as s:
        assert ps.action_rows(s) == []
        assert ms.overdue_milestones(s, date(2030, 1, 1)) == []
        assert ps.list_plans(s) == []
        assert len(ps.list_plans(s, include_deleted=True)) == 1
        tombstones = s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "tombstone")
        )
        assert tombstones == n + 2  # and 4.1 with its agency link, deleted before
    with db.transaction() as s:
        ps.restore(s, "plan", plan["plan"])
    with db.session() as s:
        refs = sorted(r.reference for r in ps.action_rows(s))
        assert refs == ["2.1", "2.2"]  # 4.1 was deleted before and stays deleted
        assert count(db, Milestone) == 2
        assert (
            s.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "restore")
            )
            == n
        )


def test_tombstone_theme_aim_action_and_restore(db, plan):
    with db.transaction() as s:
        ps.tombstone_theme(s, plan["t1"])
        assert live(s, Aim) == 0
        assert [r.reference for r in ps.action_rows(s)] == ["4.1"]
        with pytest.raises(ValidationError, match="restore the theme first"):
            ps.restore_action(s, plan["a1"])
        ps.restore_theme(s, plan["t1"])
        assert sorted(r.reference for r in ps.action_rows(s)) == ["2.1", "2.2", "4.1"]
        ps.tombstone_aim(s, plan["aim"])
        assert sorted(r.reference for r in ps.action_rows(s)) == ["2.1", "4.1"]
        ps.restore_aim(s, plan["aim"])
        ps.tombstone_action(s, plan["a1"])
        assert live(s, Milestone) == 0 and live(s, ProgressUpdate) == 1
        ps.restore(s, "action", plan["a1"])
        assert live(s, Milestone) == 2 and live(s, ProgressUpdate) == 2
        change = ps.add_plan_change(
            s, plan["plan"], summary="Reviewed", version="1.1", changed_on=date(2013, 10, 1)
        )
        ps.tombstone(s, "plan_change", change.id)
        assert ps.plan_changes(s, plan["plan"]) == []
        ps.restore(s, "plan_change", change.id)
        assert [c.summary for c in ps.plan_changes(s, plan["plan"])] == ["Reviewed"]
        assert change.editor == "Test Officer"


def test_every_write_is_audited(db, plan):
    with db.session() as s:
        tables = set(s.scalars(select(AuditEntry.table_name).where(AuditEntry.action == "insert")))
    assert {
        "agency",
        "plan",
        "theme",
        "aim",
        "action",
        "action_agency",
        "progress_update",
        "milestone",
    } <= tables
    with db.transaction() as s:
        ps.update_action(s, plan["a1"], status="deferred")
    with db.session() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (last.table_name, last.action, last.user) == ("action", "update", "Test Officer")
        assert json.loads(last.before)["status"] == "not started"
        assert json.loads(last.after)["status"] == "deferred"


# =========================================================================== copy forward


def test_bump_title():
    assert ps.bump_title("DA action plan 2013/14") == "DA action plan 2014/15"
    assert ps.bump_title("Plan 2013-2014 (v2)") == "Plan 2014-2015 (v2)"
    assert ps.bump_title("Plan 2007", from_fy=2007) == "Plan 2008"
    assert ps.bump_title("Domestic Abuse Action Plan", from_fy=2006) == (
        "Domestic Abuse Action Plan 2007/08"
    )
    assert ps.bump_title("Plan 2013/14", years=2) == "Plan 2015/16"


def test_copy_plan_forward(db, plan):
    with db.transaction() as s:
        ps.set_rag_key(s, plan["plan"], [*ps.DEFAULT_RAG_KEY, ps.BLUE_ENTRY])
        result = ps.copy_plan_forward(s, plan["plan"], today=date(2014, 3, 20))
    new = result.plan
    assert (new.title, new.plan_from_fy, new.plan_to_fy, new.status) == (
        "DA action plan 2014/15",
        2014,
        2014,
        "draft",
    )
    assert new.predecessor_id == plan["plan"]
    assert (result.actions_carried, result.actions_left) == (2, 1)
    assert (result.milestones_carried, result.updates_copied) == (1, 2)
    with db.session() as s:
        rows = {r.reference: r for r in ps.action_rows(s, new.id)}
        assert sorted(rows) == ["2.1", "2.2"]  # 4.1 is complete: left behind
        assert rows["2.1"].carried_from_id == plan["a1"]
        assert rows["2.1"].lead_agencies == "Kent Police; SDC Housing"
        assert rows["2.1"].support_agencies == "West Kent Refuge"
        assert rows["2.1"].latest_update_text == "Group set up" and rows["2.1"].rag == "A"
        assert rows["2.2"].aim_reference == "Recommendation 6"
        assert rows["2.1"].target_text == "March 2014"
        assert [t.title for t in ps.plan_tree(s, new.id).themes] == [
            "Support in the Community",
            "Safe & Supportive Housing",
        ]
        assert [m.text for m in ms.milestone_rows(s, plan_id=new.id)] == ["Helpline available"]
        assert [e.letter for e in ps.rag_key_for(s.get(Plan, new.id))] == ["G", "A", "R", "B"]
        new_history = ps.plan_changes(s, new.id)
        old_history = ps.plan_changes(s, plan["plan"])
        assert "Copied forward from 'DA action plan 2013/14'" in new_history[-1].summary
        assert "Copied forward to 'DA action plan 2014/15'" in old_history[-1].summary
        # history stays in the old plan
        assert len(ps.action_rows(s, plan["plan"])) == 3
        assert len(ps.progress_history(s, plan["a1"])) == 1
        assert s.get(Plan, plan["plan"]).status == "draft"
    with db.transaction() as s:
        again = ps.copy_plan_forward(
            s,
            new.id,
            title="Custom",
            plan_from_fy=2016,
            archive_previous=True,
            today=date(2016, 4, 1),
        )
        assert again.plan.title == "Custom" and again.plan.plan_from_fy == 2016
        assert s.get(Plan, new.id).status == "archived"
        with pytest.raises(ValidationError, match="must start after"):
            ps.copy_plan_forward(s, again.plan.id, plan_from_fy=2015)


# =========================================================================== queries


def test_action_rows_content_and_filters(db, plan):
    with db.session() as s:
        rows = ps.action_rows(s, plan["plan"])
        assert [r.reference for r in rows] == ["2.1", "2.2", "4.1"]
        r1 = rows[0]
        assert (r1.theme_title, r1.theme_code, r1.lead_text) == (
            "Support in the Community",
            "2",
            "Domestic Abuse Working Group",
        )
        assert r1.lead_agencies == "Kent Police; SDC Housing"
        assert (r1.target_kind, r1.target_end) == ("month", date(2014, 3, 31))
        assert (r1.latest_update_date, r1.latest_update_text, r1.rag) == (
            date(2013, 6, 30),
            "Group set up",
            "A",
        )
        assert (r1.open_milestones, r1.next_milestone_due) == (1, date(2013, 4, 30))
        assert rows[1].aim_reference == "Recommendation 6"
        assert [r.reference for r in ps.actions_by_rag(s, "R")] == ["2.2"]
        assert [r.reference for r in ps.action_rows(s, rag="")] == ["4.1"]
        assert [r.reference for r in ps.action_rows(s, rag=["A", "R"])] == ["2.1", "2.2"]
        assert [r.reference for r in ps.actions_by_status(s, "complete")] == ["4.1"]
        assert [r.reference for r in ps.action_rows(s, open_only=True)] == ["2.1", "2.2"]
        assert [r.reference for r in ps.actions_by_agency(s, plan["refuge"])] == ["2.1", "2.2"]
        assert [r.reference for r in ps.actions_by_agency(s, plan["refuge"], "lead")] == ["2.2"]
        assert [r.reference for r in ps.actions_by_theme(s, plan["t2"])] == ["4.1"]
        assert [r.reference for r in ps.action_rows(s, aim_id=plan["aim"])] == ["2.2"]
        assert ps.action_rows(s, "no-such-plan") == []


SEARCHES = [
    ("holistic", ["2.1"]),  # text, any case
    ("4.1", ["4.1"]),  # reference
    ("increased safety", ["2.1"]),  # outcomes, every word
    ("working group", ["2.1"]),  # lead as written
    ("west kent refuge", ["2.1", "2.2"]),  # linked agency (support or lead)
    ("analysis", ["2.2"]),  # progress
    ("50%", ["2.2"]),  # LIKE wildcards are literal
    ("_", []),
    ("holistic webinar", []),
]


def test_text_search(db, plan):
    with db.transaction() as s:
        ps.add_progress_update(s, plan["a3"], update_date=date(2013, 1, 1), text="old words")
        ps.add_progress_update(s, plan["a3"], update_date=date(2013, 2, 1), text="newer")
    with db.session() as s:
        rows = ps.action_rows(s)
        for words, expected in SEARCHES:
            assert [r.reference for r in ps.search_actions(s, words)] == expected, words
            in_memory = [r.reference for r in rows if r.matches(words)]
            assert in_memory == expected, words
        # SQL search reads every update; the row filter only the latest one
        assert [r.reference for r in ps.search_actions(s, "old words")] == ["4.1"]
        assert not [r for r in rows if r.matches("old words")]


def test_plan_tree_and_rag_counts(db, plan):
    with db.transaction() as s:
        ps.create_aim(s, plan["t2"], reference="4.A", text="Empty aim")
    with db.session() as s:
        tree = ps.plan_tree(s, plan["plan"])
        assert tree.action_count == 3
        t1, t2 = tree.themes
        assert [a.reference for a in t1.actions] == ["2.1"]
        assert [(a.reference, [x.reference for x in a.actions]) for a in t1.aims] == [
            ("Recommendation 6", ["2.2"])
        ]
        assert [a.reference for a in t2.aims] == ["4.A"] and not t2.aims[0].actions
        by_theme = ps.rag_counts_by_theme(s, plan["plan"])
        assert [(c.theme_title, c.counts) for c in by_theme] == [
            ("Support in the Community", {"A": 1, "R": 1}),
            ("Safe & Supportive Housing", {"": 1}),
        ]
        assert by_theme[0].line() == "R 1 · A 1 · G 0"
        by_plan = ps.rag_counts_by_plan(s)
        assert len(by_plan) == 1 and by_plan[0].total == 3 and by_plan[0]["R"] == 1


def test_rag_key_for_plan_and_database(db, plan):
    with db.session() as s:
        p = s.get(Plan, plan["plan"])
        key = ps.rag_key_for(p)
        assert [(e.letter, e.name) for e in key] == [("G", "Green"), ("A", "Amber"), ("R", "Red")]
        assert key[0].meaning == "Completed or advanced progress" and key[0].colour.startswith("#")
    with pytest.raises(ValidationError, match="rated A, R"), db.transaction() as s:
        ps.set_rag_key(
            s, plan["plan"], [{"letter": "G", "name": "Green"}, {"letter": "B", "name": "Blue"}]
        )
    with pytest.raises(ValidationError, match="twice"), db.transaction() as s:
        ps.set_rag_key(
            s, plan["plan"], [{"letter": "G", "name": "Green"}, {"letter": "G", "name": "Go"}]
        )
    with pytest.raises(ValidationError, match="colour"), db.transaction() as s:
        ps.set_rag_key(
            s,
            plan["plan"],
            [*ps.DEFAULT_RAG_KEY[:2], {"letter": "R", "name": "Red", "colour": "red"}],
        )
    with db.transaction() as s:
        ps.set_rag_key(s, plan["plan"], [*ps.DEFAULT_RAG_KEY, ps.BLUE_ENTRY])
        assert ps.rag_letters(s.get(Plan, plan["plan"])) == ("G", "A", "R", "B")
        ps.set_rag_key(s, plan["plan"], None)
        assert s.get(Plan, plan["plan"]).rag_key == ""


def test_recent_updates(db, plan):
    with db.session() as s:
        rows = ps.recent_updates(s)
        assert [(u.action_reference, u.text) for u in rows] == [
            ("2.2", "Needs analysis 50% done"),
            ("2.1", "Group set up"),
        ]
        assert ps.recent_updates(s, since=date(2013, 7, 1))[0].action_reference == "2.2"
        assert ps.recent_updates(s, until=date(2013, 7, 1))[0].action_reference == "2.1"


def test_changes_since_reads_the_audit_trail(db, plan):
    mark = utcnow()
    with db.transaction() as s:
        ps.add_progress_update(
            s, plan["a1"], update_date=date(2014, 1, 10), text="Done", rag="G", status="complete"
        )
        ps.update_action(s, plan["a2"], target_text="Dec 2013", text="Webinars devised")
        ms.complete_milestone(s, plan["m1"], date(2014, 1, 12))
        ps.tombstone_action(s, plan["a3"])
        other = ps.create_plan(s, title="Other")
        theme = ps.create_theme(s, other.id, title="T")
        ps.create_action(s, theme.id, text="Elsewhere", reference="X1")
    with db.session() as s:
        changes = ps.changes_since(s, mark)
        texts = [c.description for c in changes]
        assert "Added progress update of 10/01/2014, RAG G on action 2.1." in texts
        assert any(
            t.startswith("Changed action 2.1")
            and "RAG: A → G" in t
            and "Status: not started → complete" in t
            for t in texts
        )
        assert any(
            t.startswith("Changed action 2.2")
            and "Target date: Qtr 2 2013/14 → Dec 2013" in t
            and "Text changed" in t
            for t in texts
        )
        assert any(
            "milestone 'Helpline available'" in t and "Completed on: (blank) → 12/01/2014" in t
            for t in texts
        )
        assert any(t.startswith("Deleted action 4.1") for t in texts)
        assert any(t.startswith("Deleted milestone") is False for t in texts)
        mine = ps.changes_since(s, mark, plan_id=plan["plan"])
        assert {c.plan_title for c in mine} == {"DA action plan 2013/14"}
        assert "Added action X1 'Elsewhere'." not in [c.description for c in mine]
        assert "Added action X1 'Elsewhere'." in texts
        rag_change = next(c for c in mine if c.table == "action" and c.action_reference == "2.1")
        assert ("rag", "A", "G") in [(f.field, f.before, f.after) for f in rag_change.changes]
        assert ps.changes_since(s, date(2100, 1, 1)) == []
        structural = ps.changes_since(s, mark, tables=("plan", "theme"))
        assert {c.table for c in structural} == {"plan", "theme"}
        all_since_start = ps.changes_since(s, date(2000, 1, 1), plan_id=plan["plan"])
        assert len(all_since_start) > len(mine)


def test_dashboard_tiles(db, plan):
    with db.session() as s:
        tiles = {t.key: t for t in collect(s, date(2013, 10, 15))}
    rag = tiles["plans.rag"]
    assert (rag.value, rag.severity) == ("1", "alert")
    assert rag.lines == ("DA action plan 2013/14: R 1 · A 1 · G 0 · unrated 1",)
    recent = tiles["plans.recent_updates"]
    # the last 90 days: 30/09/2013 is in, 30/06/2013 is not
    assert recent.value == "1" and recent.lines[0].startswith("30/09/2013 2.2 Needs analysis")
    overdue = tiles["plans.overdue_milestones"]
    assert overdue.value == "1" and "Helpline available" in overdue.lines[0]
    assert "168 days overdue" in overdue.lines[0]
