"""Action-plan figures on the synthetic county file (50 plans, 5,000 actions, 15,000
milestones, 25,000 updates).

* ``overdue_milestones_service_ms``: :func:`milestones.overdue_milestones` (SQLAlchemy,
  rows built as dataclasses); ``overdue_milestones_sqlite3_ms``: the same SQL, same
  rows, through the plain ``sqlite3`` module; ``overdue_milestones_ratio`` = service /
  sqlite3 (target: within 3x).  ``overdue_milestones_rows`` says how many rows.
* ``action_rows_1000_ms`` / ``plan_tree_1000_ms``: the flat rows and the tree of one
  plan with 1,000 actions (added to a copy of the file: 2,000 agency links, 3,000
  milestones, 5,000 updates), what the Action plans view loads when it opens.
* ``action_rows_all_5000_ms``: every live action of every plan as rows.
* ``search_sql_5000_ms``: :func:`plans.search_actions` over 5,000 actions (reference,
  text, outcomes, lead, agency names and every progress update).
  ``filter_keystroke_5000_ms``: filter-as-you-type in memory over the 5,000 loaded rows
  (:meth:`ActionRow.matches`), per keystroke (target: under 50 ms).
* ``copy_forward_1000_ms``: copying that 1,000-action plan forward (rolled back).
* ``changes_since_90d_ms``: "changed since" over the last 90 days of the audit trail.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta
from pathlib import Path

TODAY = date(2026, 11, 23)


def _add_big_plan(path: Path, actions: int = 1000) -> str:
    """Add one plan with ``actions`` actions (and their children) straight into the file."""
    from sqlalchemy import insert

    from dvcoord.store import Database
    from dvcoord.store.base import utcnow, uuid7
    from dvcoord.store.schema import metadata

    rng = random.Random(1000)
    db = Database.open(path, user="Bench", backup=False)
    now = utcnow()

    def row(**values):
        base = {
            "id": uuid7(),
            "created_at": now,
            "updated_at": now,
            "updated_by": "Bench",
            "origin": db.database_id,
            "deleted_at": None,
        }
        base.update(values)
        return base

    words = [
        "refuge",
        "outreach",
        "housing",
        "police",
        "health",
        "training",
        "awareness",
        "referrals",
        "MARAC",
        "IDVA",
        "perpetrator",
        "programme",
        "schools",
        "children",
        "sanctuary",
        "alarms",
    ]

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    with db.engine.begin() as conn:
        agency_ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM agency")]
        plan = row(
            title="Big plan 2026/27",
            partnership="Bench",
            strategy_from_fy=2026,
            strategy_to_fy=2028,
            plan_from_fy=2026,
            plan_to_fy=2026,
            status="approved",
            version_label="1.0",
            rag_key="",
            owner="",
            marking="OFFICIAL",
            description="",
            predecessor_id=None,
        )
        conn.execute(insert(metadata.tables["plan"]), [plan])
        themes = [
            row(plan_id=plan["id"], position=t, code=str(t + 1), title=text(4), key_objective="")
            for t in range(8)
        ]
        conn.execute(insert(metadata.tables["theme"]), themes)
        aims = [
            row(theme_id=t["id"], position=a, reference=f"{t['code']}.{a}", text=text(8))
            for t in themes
            for a in range(3)
        ]
        conn.execute(insert(metadata.tables["aim"]), aims)
        acts, links, miles, ups = [], [], [], []
        for i in range(actions):
            theme = themes[i % len(themes)]
            aim = aims[(i % len(themes)) * 3 + rng.randrange(3)] if i % 4 else None
            start = date(2026, 4, 1) + timedelta(days=rng.randrange(360))
            a = row(
                plan_id=plan["id"],
                theme_id=theme["id"],
                aim_id=aim["id"] if aim else None,
                position=i,
                reference=f"B{i + 1}",
                text=text(20),
                lead_text="",
                target_text=start.strftime("%B %Y"),
                target_kind="month",
                target_start=start.replace(day=1),
                target_end=start,
                outcomes=text(10),
                baseline="",
                performance_measure="",
                outputs="",
                funding_source="",
                cost_pence=None,
                status="in progress",
                rag=rng.choice("RAG"),
                carried_from_id=None,
            )
            acts.append(a)
            for pos, role in enumerate(("lead", "support")):
                links.append(
                    row(
                        action_id=a["id"], agency_id=rng.choice(agency_ids), role=role, position=pos
                    )
                )
            for m in range(3):
                due = start + timedelta(days=30 * m)
                miles.append(
                    row(
                        action_id=a["id"],
                        position=m,
                        text=text(8),
                        due_text=due.strftime("%B %Y"),
                        due_kind="month",
                        due_start=due.replace(day=1),
                        due_end=due,
                        completed_on=None,
                        status="open",
                    )
                )
            for u in range(5):
                ups.append(
                    row(
                        action_id=a["id"],
                        update_date=start + timedelta(days=20 * u),
                        author="Bench",
                        agency_id=None,
                        text=text(30),
                        rag=rng.choice("RAG"),
                    )
                )
        for table, rows in (
            ("action", acts),
            ("action_agency", links),
            ("milestone", miles),
            ("progress_update", ups),
        ):
            conn.execute(insert(metadata.tables[table]), rows)
    db.close()
    return plan["id"]


def run(ctx) -> list[tuple[str, float, str]]:  # noqa: ANN001
    from dvcoord.services import milestones as ms
    from dvcoord.services import plans as ps
    from dvcoord.store import Database
    from dvcoord.store.backups import copy_database

    figures: list[tuple[str, float, str]] = []
    large = ctx.large_db()
    db = Database.open(large, user="Bench", readonly=True, backup=False)
    try:
        with db.session() as s:
            rows = ms.overdue_milestones(s, TODAY)
            service = ctx.time_ms(lambda: ms.overdue_milestones(s, TODAY))
        sql = "\n".join(
            [
                ms._MILESTONE_SQL,
                "AND p.status != 'archived'",
                "AND m.status = 'open' AND m.due_end < ?",
                "ORDER BY m.due_end IS NULL, m.due_end, p.title, a.reference, m.position",
            ]
        )
        conn = sqlite3.connect(f"file:{large}?mode=ro", uri=True)
        try:
            raw_rows = conn.execute(sql, (TODAY.isoformat(),)).fetchall()
            assert len(raw_rows) == len(rows)
            raw = ctx.time_ms(lambda: conn.execute(sql, (TODAY.isoformat(),)).fetchall())
        finally:
            conn.close()
        figures += [
            ("overdue_milestones_rows", len(rows), "rows"),
            ("overdue_milestones_service_ms", service, "ms"),
            ("overdue_milestones_sqlite3_ms", raw, "ms"),
            ("overdue_milestones_ratio", service / raw if raw else 0.0, "x"),
        ]
        with db.session() as s:
            all_rows = ps.action_rows(s)
            figures.append(
                ("action_rows_all_5000_ms", ctx.time_ms(lambda: ps.action_rows(s)), "ms")
            )
            figures.append(
                (
                    "search_sql_5000_ms",
                    ctx.time_ms(lambda: ps.search_actions(s, "refuge training")),
                    "ms",
                )
            )
            since = TODAY - timedelta(days=90)
            figures.append(
                (
                    "changes_since_90d_ms",
                    ctx.time_ms(lambda: ps.changes_since(s, since), repeat=3),
                    "ms",
                )
            )
        typed = "refuge trai"

        def keystrokes() -> None:
            for n in range(1, len(typed) + 1):
                [r for r in all_rows if r.matches(typed[:n])]

        per_key = ctx.time_ms(keystrokes) / len(typed)
        figures.append(("filter_keystroke_5000_ms", per_key, "ms"))
        figures.append(("filter_rows", len(all_rows), "rows"))
    finally:
        db.close()

    copy = copy_database(large, ctx.tmp / "plans-big.sqlite")
    plan_id = _add_big_plan(copy)
    big = Database.open(copy, user="Bench", backup=False)
    try:
        with big.session() as s:
            assert len(ps.action_rows(s, plan_id)) == 1000
            figures.append(
                ("action_rows_1000_ms", ctx.time_ms(lambda: ps.action_rows(s, plan_id)), "ms")
            )
            figures.append(
                ("plan_tree_1000_ms", ctx.time_ms(lambda: ps.plan_tree(s, plan_id)), "ms")
            )

        # copying the 1,000-action plan forward (in a transaction that is rolled back)
        def copy_forward() -> None:
            with big.session() as s:
                ps.copy_plan_forward(s, plan_id, today=TODAY)
                s.rollback()

        figures.append(("copy_forward_1000_ms", ctx.time_ms(copy_forward, repeat=3), "ms"))
    finally:
        big.close()
    return figures
