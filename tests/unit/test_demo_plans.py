"""The demo plans hold the reference plans word for word.

The reference documents (copies in ``tests/data/reference``) are parsed here independently of the demo's JSON,
and every action reference, text, lead, target date, outcome and status must arrive in
the demo database exactly.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from dvcoord.services import dates
from dvcoord.services import milestones as ms
from dvcoord.services import plans as ps
from dvcoord.store.schema.plans import (
    Action,
    Aim,
    Milestone,
    Plan,
    PlanChange,
    ProgressUpdate,
    Theme,
)

DEMO_TODAY = date(2026, 11, 23)  # the conftest builds the demo as of this day
_HERE = Path(__file__).resolve()
_CANDIDATES = [
    _HERE.parents[1] / "data" / "reference",
    _HERE.parents[2].parent / "shared" / "reference",
]
REFERENCE = next((p for p in _CANDIDATES if (p / "sevenoaks-action-plan-2007.txt").is_file()), None)
needs_reference = pytest.mark.skipif(REFERENCE is None, reason="reference plans not present")

REF_RE = re.compile(r"^((?:[IVX]+|\d+)\.\d+)\s+(.*)$", re.S)


def _cells(line: str) -> list[str]:
    line = re.sub(r"</?p>", "", line)
    return [c.strip() for c in line.split("\t")]


def sevenoaks_rows() -> list[list[str]]:
    """(reference, text, lead, target, outcomes, status) of every action row."""
    rows = []
    text = (REFERENCE / "sevenoaks-action-plan-2007.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if "\t" not in line:
            continue
        cells = _cells(line)
        match = REF_RE.match(cells[0])
        if match:
            rows.append([match[1], match[2], *cells[1:]])
    return rows


def words(text: str) -> set[str]:
    text = re.sub(r"<[^>]*>", "", text)
    text = text.replace("&lt;", "<").replace("&amp;", "&")
    text = re.sub(r"<[^>]*>", " ", text)  # markup that was escaped in the source
    return set(re.findall(r"[A-Za-z]+|\d+", text))


def plan_by_title(session, title: str) -> Plan:
    return session.scalars(select(Plan).where(Plan.title == title)).one()


def plan_words(session, plan: Plan) -> set[str]:
    parts = [
        plan.title,
        plan.description,
        plan.owner,
        plan.partnership,
        plan.version_label,
        plan.rag_key,
    ]
    for ch in session.scalars(select(PlanChange).where(PlanChange.plan_id == plan.id)):
        parts += [ch.version, ch.editor, ch.summary, ch.changed_on.strftime("%d.%m.%Y")]
    themes = list(session.scalars(select(Theme).where(Theme.plan_id == plan.id)))
    for t in themes:
        parts += [t.code, t.title, t.key_objective]
        for a in session.scalars(select(Aim).where(Aim.theme_id == t.id)):
            parts += [a.reference, a.text]
    for a in session.scalars(select(Action).where(Action.plan_id == plan.id)):
        parts += [a.reference, a.text, a.lead_text, a.target_text, a.outcomes, a.baseline]
        for u in session.scalars(select(ProgressUpdate).where(ProgressUpdate.action_id == a.id)):
            parts.append(u.text)
        for m in session.scalars(select(Milestone).where(Milestone.action_id == a.id)):
            parts += [m.text, m.due_text]
    out: set[str] = set()
    for p in parts:
        out |= words(p or "")
    return out


# --------------------------------------------------------------------------- Sevenoaks


@needs_reference
def test_reference_parser_finds_every_sevenoaks_action():
    refs = [r[0] for r in sevenoaks_rows()]
    assert refs[:3] == ["I.1", "I.2", "I.3"]
    assert len(refs) == 22 and len(set(refs)) == 22
    assert all(len(r) == 6 for r in sevenoaks_rows())


@needs_reference
def test_every_sevenoaks_action_arrives_exactly(demo_db):
    with demo_db.session() as s:
        plan = plan_by_title(s, "Domestic Abuse Action Plan")
        actions = {
            a.reference: a
            for a in s.scalars(
                select(Action).where(Action.plan_id == plan.id, Action.deleted_at.is_(None))
            )
        }
        rows = sevenoaks_rows()
        assert sorted(actions) == sorted(r[0] for r in rows)
        for ref, text, lead, target, outcomes, status in rows:
            action = actions[ref]
            assert action.text == text, ref
            assert action.lead_text == lead, ref
            assert action.target_text == target, ref
            assert action.outcomes == outcomes, ref
            updates = [u.text for u in ps.progress_history(s, action.id)]
            assert updates == [status], ref
            assert action.rag == ""  # the plan gives none


@needs_reference
def test_sevenoaks_themes_and_target_dates_are_read(demo_db):
    with demo_db.session() as s:
        plan = plan_by_title(s, "Domestic Abuse Action Plan")
        tree = ps.plan_tree(s, plan.id)
        assert [t.code for t in tree.themes] == ["I", "2", "3", "4", "5", "6"]
        assert tree.themes[3].title == "Safe & Supportive Housing"
        by_ref = {a.reference: a for t in tree.themes for a in t.all_actions()}
        assert by_ref["4.1"].target_kind == "conditional"
        assert by_ref["I.2"].target_kind == "ongoing"
        assert by_ref["5.1"].target_kind == "ongoing"  # "On going"
        assert by_ref["2.1"].target_end == date(2008, 3, 31)
        assert "Sevenoaks District Council Housing" in by_ref["2.7"].lead_agencies
        assert "Building Bridges" in by_ref["2.3"].lead_agencies
        assert plan.status == "archived"  # carried forward to the current demo plan


@needs_reference
def test_sevenoaks_source_words_all_arrive(demo_db):
    text = (REFERENCE / "sevenoaks-action-plan-2007.txt").read_text(encoding="utf-8")
    with demo_db.session() as s:
        stored = plan_words(s, plan_by_title(s, "Domestic Abuse Action Plan"))
    missing = (
        words(text)
        - stored
        - {"Action", "Lead", "Agency", "Target", "Outcomes", "Status", "Date", "date"}
    )
    assert not missing


# --------------------------------------------------------------------------- Kent tracker

TRACKER = "Select Committee Domestic Abuse Action Plan"


@needs_reference
def test_tracker_recommendations_are_aims_with_rag_as_given(demo_db):
    source = (REFERENCE / "kent-select-committee-tracker-2013.txt").read_text(encoding="utf-8")
    numbers = sorted({int(n) for n in re.findall(r"Recommendation (\d+)", source)} | {1})
    assert numbers == list(range(1, 15))
    with demo_db.session() as s:
        plan = plan_by_title(s, TRACKER)
        tree = ps.plan_tree(s, plan.id)
        aims = [a for t in tree.themes for a in t.aims]
        assert [a.reference for a in aims] == [f"Recommendation {n}" for n in numbers]
        for aim in aims:
            assert aim.actions, aim.reference
            expected = "" if aim.reference == "Recommendation 11" else "A"
            assert {a.rag for a in aim.actions} == {expected}, aim.reference
            for action in aim.actions:
                assert action.latest_update_date == date(2013, 3, 14)
                assert "Status: " in action.latest_update_text
        rec2 = next(a for a in aims if a.reference == "Recommendation 2")
        assert [a.lead_text for a in rec2.actions] == [
            "Kent Police",
            "Kent Police",
            "Kent Police with KCC and Health",
            "Kent Police with KCC and Health",
            "Kent Police with KCC and Health",
            "Kent Children and Adult Safeguarding Boards",
        ]


@needs_reference
def test_tracker_change_history_and_key(demo_db):
    source = (REFERENCE / "kent-select-committee-tracker-2013.txt").read_text(encoding="utf-8")
    history = [_cells(line) for line in source.splitlines() if re.match(r"^V\d\t", line)]
    key = {
        m[1]: m[2].strip()
        for m in re.finditer(r"^\**(Green|Amber|Red)\**\s*=\s*(.+)$", source, re.M)
    }
    with demo_db.session() as s:
        plan = plan_by_title(s, TRACKER)
        changes = ps.plan_changes(s, plan.id)
        got = [(c.version, c.changed_on.strftime("%d.%m.%Y"), c.editor) for c in changes]
        assert got[:4] == [(v, d, e) for v, d, e, _ in history]
        assert changes[0].summary == history[0][3]
        entries = {e.name: e.meaning for e in ps.rag_key_for(plan, s)}
        assert entries == key


@needs_reference
def test_tracker_source_words_all_arrive(demo_db):
    text = (REFERENCE / "kent-select-committee-tracker-2013.txt").read_text(encoding="utf-8")
    with demo_db.session() as s:
        stored = plan_words(s, plan_by_title(s, TRACKER))
    missing = (
        words(text)
        - stored
        - {
            "VERSION",
            "CONTROL",
            "MANAGEMENT",
            "Change",
            "History",
            "Version",
            "Date",
            "Summary",
            "Key",
            "Progress",
        }
    )
    assert not missing


@needs_reference
def test_strategy_summary_words_all_arrive(demo_db):
    text = (REFERENCE / "kent-medway-strategy-summary-2009.txt").read_text(encoding="utf-8")
    text = re.sub(r"\(mailto:[^)]*\)", "", text)
    with demo_db.session() as s:
        plan = s.scalars(select(Plan).where(Plan.title.like("Kent and Medway Multi-Agency%"))).one()
        stored = plan_words(s, plan)
        refs = [r.reference for r in ps.action_rows(s, plan.id)]
    assert refs == [f"2.{i}" for i in range(1, 9)]
    assert not words(text) - stored


# --------------------------------------------------------------------------- demo plan


def test_current_demo_plan_has_overdue_due_and_done_milestones(demo_db):
    fy, q = dates.quarter_of(DEMO_TODAY)
    with demo_db.session() as s:
        overdue = ms.overdue_milestones(s, DEMO_TODAY)
        due = ms.milestones_due_in_quarter(s, fy, q)
        done = ms.milestones_completed_between(s, date(2026, 4, 1), DEMO_TODAY)
        assert overdue and all(m.due_end < DEMO_TODAY for m in overdue)
        assert [m for m in due if m.due_end >= DEMO_TODAY]
        assert done
        plan_ids = {m.plan_id for m in overdue + due}
        assert len(plan_ids) == 1
        plan = s.get(Plan, plan_ids.pop())
        assert "(demonstration)" in plan.title and plan.predecessor_id
        rows = ps.action_rows(s, plan.id)
        assert rows and all(r.carried_from_id for r in rows)
        update_quarters = {
            dates.quarter_of(u.update_date)
            for u in ps.recent_updates(s, plan_id=plan.id, limit=None)
            if u.update_date.year >= 2026
        }
        assert len(update_quarters) >= 2


def test_demo_populates_on_any_day(db):
    from dvcoord.demo import plans as demo

    demo.populate(db, date(2025, 4, 2))  # first days of a financial year
    with db.session() as s:
        titles = [p.title for p in ps.list_plans(s)]
        assert len(titles) == 4
        assert any("2024/25" in t for t in titles)
        assert ms.overdue_milestones(s, date(2025, 4, 2))
