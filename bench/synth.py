"""A synthetic county-scale dvcoord database, built fast with SQLAlchemy Core.

:func:`build_large_db` creates a real dvcoord file (``Database.create``: schema, meta,
Alembic stamp) and bulk-inserts rows into the real tables.  At ``scale=1.0``: 60
agencies, 50 plans, 300 themes, 600 aims, 5,000 actions with 10,000 agency links,
15,000 milestones, 25,000 progress updates, and the audit trail those rows would have
left (an ``insert`` for each, then ``update``s), over 200,000 rows in all.

Other areas add their tables with a builder::

    from synth import register_builder

    @register_builder
    def alarms(conn, ctx):          # ctx: SynthContext (rng, scale, ids, helpers)
        ...insert rows...
        return rows_inserted

Builders run after the action-plan tables and before the audit trail is topped up,
in the order they were registered; ``ctx.ids`` holds the ids made so far by table.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert

from dvcoord.store import Database
from dvcoord.store.audit import to_jsonable
from dvcoord.store.base import uuid7
from dvcoord.store.schema import metadata

#: Rows the whole file should reach at scale 1.0 (the audit trail is topped up to it).
TARGET_ROWS = 200_000

SECTORS = ("police", "housing", "health", "probation", "council", "voluntary sector")
WORDS = [
    "domestic",
    "abuse",
    "survivors",
    "partnership",
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
    "young",
    "people",
    "sanctuary",
    "alarms",
    "funding",
    "commissioning",
    "review",
    "homicide",
    "learning",
    "practitioners",
    "pathway",
    "safeguarding",
    "data",
    "quarterly",
    "report",
    "board",
    "district",
    "county",
    "helpline",
]


@dataclass
class SynthContext:
    rng: random.Random
    scale: float
    database_id: str
    user: str = "Synthetic Officer"
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    ids: dict[str, list[str]] = field(default_factory=dict)
    #: (table name, row) of every shared row inserted, for the audit trail.
    audited: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def n(self, count: int) -> int:
        return max(1, round(count * self.scale))

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(low, high)))

    def day(self, start: date = date(2019, 4, 1), span_days: int = 2500) -> date:
        return start + timedelta(days=self.rng.randrange(span_days))

    def shared(self, **values: Any) -> dict[str, Any]:
        """A row with the shared-row bookkeeping filled in as the audit hook would."""
        stamp = self.now - timedelta(minutes=self.rng.randrange(60 * 24 * 900))
        row = {
            "id": uuid7(),
            "created_at": stamp,
            "updated_at": stamp,
            "updated_by": self.user,
            "origin": self.database_id,
            "deleted_at": None,
        }
        row.update(values)
        return row

    def insert(self, conn: Connection, table: str | Table, rows: list[dict[str, Any]]) -> int:
        """Bulk-insert shared rows, remember their ids, and queue their audit rows."""
        tbl = metadata.tables[table] if isinstance(table, str) else table
        if not rows:
            return 0
        conn.execute(insert(tbl), rows)
        self.ids.setdefault(tbl.name, []).extend(r["id"] for r in rows)
        self.audited.extend((tbl.name, r) for r in rows)
        return len(rows)


Builder = Callable[[Connection, SynthContext], int]
_BUILDERS: list[Builder] = []


def register_builder(fn: Builder) -> Builder:
    """Add an area's tables to the synthetic database (see the module docstring)."""
    if fn not in _BUILDERS:
        _BUILDERS.append(fn)
    return fn


# --------------------------------------------------------------------------- action plans
def build_action_plans(conn: Connection, ctx: SynthContext) -> int:
    rng = ctx.rng
    total = 0
    agencies = [
        ctx.shared(
            name=f"Agency {i:03d} {rng.choice(WORDS).title()}",
            short_name=f"AG{i:03d}",
            sector=rng.choice(SECTORS),
            active=rng.random() > 0.1,
            notes=ctx.words(0, 12),
        )
        for i in range(ctx.n(60))
    ]
    total += ctx.insert(conn, "agency", agencies)

    plans, changes, themes, aims = [], [], [], []
    for p in range(ctx.n(50)):
        fy = 2013 + p % 13
        plan = ctx.shared(
            title=f"Domestic Abuse Action Plan {fy}/{(fy + 1) % 100:02d} – area {p}",
            partnership=f"Partnership {p % 12}",
            strategy_from_fy=fy,
            strategy_to_fy=fy + 2,
            plan_from_fy=fy,
            plan_to_fy=fy,
            status=rng.choice(("draft", "approved", "archived")),
            version_label=f"{rng.randint(1, 4)}.{rng.randint(0, 9)}",
            rag_key="",
            owner="Community Safety Manager",
            marking="OFFICIAL",
            description=ctx.words(10, 40),
            predecessor_id=None,
        )
        plans.append(plan)
        for v in range(3):
            changes.append(
                ctx.shared(
                    plan_id=plan["id"],
                    version=f"0.{v + 1}",
                    changed_on=ctx.day(),
                    editor="Co-ordinator",
                    summary=ctx.words(4, 15),
                )
            )
        for t in range(6):
            theme = ctx.shared(
                plan_id=plan["id"],
                position=t,
                code=f"T{t + 1}",
                title=ctx.words(3, 8).capitalize(),
                key_objective=ctx.words(8, 25),
            )
            themes.append(theme)
            for a in range(2):
                aims.append(
                    ctx.shared(
                        theme_id=theme["id"],
                        position=a,
                        reference=f"{t + 1}.{a + 1}",
                        text=ctx.words(6, 20),
                    )
                )
    total += ctx.insert(conn, "plan", plans)
    total += ctx.insert(conn, "plan_change", changes)
    total += ctx.insert(conn, "theme", themes)
    total += ctx.insert(conn, "aim", aims)

    themes_by_plan: dict[str, list[dict]] = {}
    for theme in themes:
        themes_by_plan.setdefault(theme["plan_id"], []).append(theme)
    aims_by_theme: dict[str, list[str]] = {}
    for aim in aims:
        aims_by_theme.setdefault(aim["theme_id"], []).append(aim["id"])

    actions, links, milestones, updates = [], [], [], []
    per_plan = max(1, ctx.n(5000) // len(plans))
    for plan in plans:
        plan_themes = themes_by_plan[plan["id"]]
        for i in range(per_plan):
            theme = plan_themes[i % len(plan_themes)]
            start = ctx.day()
            action = ctx.shared(
                plan_id=plan["id"],
                theme_id=theme["id"],
                aim_id=rng.choice(aims_by_theme[theme["id"]]),
                position=i,
                reference=f"{theme['code']}.{i + 1}",
                text=ctx.words(10, 30),
                lead_text=rng.choice(agencies)["name"],
                target_text=f"Q{rng.randint(1, 4)} {start.year}/{(start.year + 1) % 100:02d}",
                target_kind="quarter",
                target_start=start,
                target_end=start + timedelta(days=90),
                outcomes=ctx.words(5, 20),
                baseline=ctx.words(0, 10),
                performance_measure=ctx.words(3, 12),
                outputs=ctx.words(0, 10),
                funding_source=rng.choice(("", "PCC grant", "Home Office", "council budget")),
                cost_pence=rng.choice((None, rng.randint(0, 5_000_000))),
                status=rng.choice(("not started", "in progress", "complete", "ongoing")),
                rag=rng.choice(("R", "A", "G", "")),
                carried_from_id=None,
            )
            actions.append(action)
            for pos, role in enumerate(("lead", "support")):
                links.append(
                    ctx.shared(
                        action_id=action["id"],
                        agency_id=rng.choice(agencies)["id"],
                        role=role,
                        position=pos,
                    )
                )
            for m in range(3):
                due = start + timedelta(days=30 * (m + 1))
                done = rng.random() < 0.4
                milestones.append(
                    ctx.shared(
                        action_id=action["id"],
                        position=m,
                        text=ctx.words(5, 15),
                        due_text=due.strftime("%B %Y"),
                        due_kind="month",
                        due_start=due.replace(day=1),
                        due_end=due,
                        completed_on=due if done else None,
                        status="complete" if done else "open",
                    )
                )
            for u in range(5):
                updates.append(
                    ctx.shared(
                        action_id=action["id"],
                        update_date=start + timedelta(days=45 * u),
                        author="Partner officer",
                        agency_id=rng.choice(agencies)["id"],
                        text=ctx.words(15, 45),
                        rag=rng.choice(("R", "A", "G")),
                    )
                )
    total += ctx.insert(conn, "action", actions)
    total += ctx.insert(conn, "action_agency", links)
    total += ctx.insert(conn, "milestone", milestones)
    total += ctx.insert(conn, "progress_update", updates)
    return total


# --------------------------------------------------------------------------- audit trail
def _dumps(row: dict[str, Any]) -> str:
    return json.dumps({k: to_jsonable(v) for k, v in row.items()}, sort_keys=True)


def _audit_rows(ctx: SynthContext, extra_updates: int) -> Iterable[dict[str, Any]]:
    for table, row in ctx.audited:
        yield {
            "at": row["created_at"],
            "user": ctx.user,
            "table_name": table,
            "row_id": row["id"],
            "action": "insert",
            "before": None,
            "after": _dumps(row),
            "note": "",
        }
    editable = [(t, r) for t, r in ctx.audited if t in ("action", "milestone", "progress_update")]
    editable = editable or ctx.audited
    for i in range(extra_updates):
        table, row = editable[i % len(editable)]
        after = dict(row)
        after["updated_at"] = row["updated_at"] + timedelta(days=1 + i % 300)
        if "status" in after:
            after["status"] = ctx.rng.choice(("in progress", "complete", "open"))
        if "text" in after:
            after["text"] = row["text"] + " (revised)"
        yield {
            "at": after["updated_at"],
            "user": ctx.user,
            "table_name": table,
            "row_id": row["id"],
            "action": "update",
            "before": _dumps(row),
            "after": _dumps(after),
            "note": "",
        }


def build_large_db(path: Path, scale: float = 1.0, *, seed: int = 2026) -> Path:
    """Write a synthetic county-scale database to ``path`` (replacing any file there)."""
    path = Path(path)
    for leftover in (path, path.with_name(path.name + "-journal")):
        leftover.unlink(missing_ok=True)
    db = Database.create(
        path,
        user="Synthetic Officer",
        display_name="Synthetic county",
        partnership="Synthetic County Community Safety Partnership",
    )
    ctx = SynthContext(rng=random.Random(seed), scale=scale, database_id=db.database_id)
    try:
        with db.engine.begin() as conn:
            shared = build_action_plans(conn, ctx)
            for builder in _BUILDERS:
                shared += builder(conn, ctx)
        target = int(TARGET_ROWS * scale)
        extra = max(0, target - 2 * shared)
        audit = metadata.tables["audit_log"]
        batch: list[dict[str, Any]] = []
        with db.engine.begin() as conn:
            for row in _audit_rows(ctx, extra):
                batch.append(row)
                if len(batch) == 5000:
                    conn.execute(insert(audit), batch)
                    batch = []
            if batch:
                conn.execute(insert(audit), batch)
    finally:
        db.close()
    return path


def count_rows(path: Path) -> int:
    """Rows in every table of the file."""
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return sum(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables)
    finally:
        conn.close()
