"""'Changed since' on the synthetic county file (the audit trail of 50 plans: ~24,500
entries of actions, milestones and progress updates in the last 90 days, ~144,000 in
all, 200,000 rows in the file).

* ``changes_since_all_90d_ms``: :func:`plans.changes_since` for every plan over the last
  90 days (``changes_since_all_90d_rows`` rows).  ``..._cpu_ms``: the same in process
  CPU time, steadier than wall time on a shared machine.
* ``changes_since_plan_90d_ms``: the same for one plan (what the board progress report
  asks for; ``changes_since_plan_90d_rows`` rows), and ``..._cpu_ms``.
* ``progress_model_plan_ms``: the whole board progress summary of that plan
  (:func:`plan_reports.build_progress_model`, "changed since" the last quarter).
* ``audit_index_upgrade_ms``: revision 0010 on a copy of the file, i.e. adding the
  ``(table_name, at)`` index of the audit trail when an older county file is opened.

``python bench/run.py --only changes_since``
"""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

TODAY = date(2026, 11, 23)
SINCE = TODAY - timedelta(days=90)


def _cpu_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def run(ctx):
    from sqlalchemy import func, select, text

    from dvcoord.services import plan_reports as pr
    from dvcoord.services import plans as ps
    from dvcoord.store import Database, migrate
    from dvcoord.store.backups import copy_database
    from dvcoord.store.engine import make_engine
    from dvcoord.store.schema.plans import Action, Plan

    large = ctx.large_db()
    figures = []
    db = Database.open(large, user="Bench", backup=False)
    try:
        with db.session() as s:
            # the plan with the most actions: the largest board report
            plan_id = s.execute(
                select(Plan.id)
                .join(Action, Action.plan_id == Plan.id)
                .group_by(Plan.id)
                .order_by(func.count().desc(), Plan.id)
                .limit(1)
            ).scalar_one()
            every = ps.changes_since(s, SINCE)
            mine = ps.changes_since(s, SINCE, plan_id=plan_id)
            repeat = max(3, ctx.repeat)
            figures += [
                ("changes_since_all_90d_rows", len(every), "rows"),
                (
                    "changes_since_all_90d_ms",
                    ctx.time_ms(lambda: ps.changes_since(s, SINCE), repeat=repeat),
                    "ms",
                ),
                (
                    "changes_since_all_90d_cpu_ms",
                    _cpu_ms(lambda: ps.changes_since(s, SINCE), repeat),
                    "ms",
                ),
                ("changes_since_plan_90d_rows", len(mine), "rows"),
                (
                    "changes_since_plan_90d_ms",
                    ctx.time_ms(lambda: ps.changes_since(s, SINCE, plan_id=plan_id)),
                    "ms",
                ),
                (
                    "changes_since_plan_90d_cpu_ms",
                    _cpu_ms(lambda: ps.changes_since(s, SINCE, plan_id=plan_id), ctx.repeat),
                    "ms",
                ),
                (
                    "progress_model_plan_ms",
                    ctx.time_ms(lambda: pr.build_progress_model(s, plan_id, today=TODAY)),
                    "ms",
                ),
            ]
    finally:
        db.close()

    # An older file: the index and revision 0010 taken away, then upgraded again.
    before_0010 = migrate._script().get_revision("0010_audit_since").down_revision
    copy = copy_database(large, ctx.tmp / "changes-since-upgrade.sqlite")
    engine = make_engine(copy)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_audit_log_table_at"))
            conn.execute(
                text("UPDATE alembic_version SET version_num = :rev"), {"rev": before_0010}
            )
        start = time.perf_counter()
        migrate.upgrade(engine)
        figures.append(("audit_index_upgrade_ms", (time.perf_counter() - start) * 1000, "ms"))
        with engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
    finally:
        engine.dispose()
        copy.unlink(missing_ok=True)
    return figures
