"""Panic-alarm figures on the synthetic county file (500 alarms, 20,000 loans, 50,000
device-log rows at scale 1.0; added to the shared file by :func:`alarms` below).

* ``alarms_inventory_ms``: :func:`services.alarms.inventory`, the whole stock with each
  alarm's open loan, last test and due dates (what the Panic alarms view loads).
* ``alarms_stock_counts_ms``: the counts always shown above the table.
* ``alarms_loans_past_review_ms``, ``alarms_tests_due_ms``, ``alarms_batteries_due_ms``,
  ``alarms_warranties_ending_ms``: the due lists (target: each under 200 ms).
* ``alarms_activity_year_ms``: a financial year's activity by agency.
* ``alarms_issue_ms`` / ``alarms_return_ms``: issuing / returning one alarm, one
  transaction with its audit rows, committed (target: each under 50 ms).
* ``alarms_loans`` / ``alarms_log_rows`` / ``alarms_count``: the size of what was timed.
"""

from __future__ import annotations

from datetime import date, timedelta

from synth import SynthContext, register_builder

TODAY = date(2026, 11, 23)
_TYPES = (
    ("Fixed home alarm", 180, 36, False),
    ("Personal pendant alarm", 90, 24, False),
    ("Mobile handset with SIM", 30, 12, True),
)


@register_builder
def alarms(conn, ctx: SynthContext) -> int:  # noqa: ANN001
    """500 alarms, 20,000 loans and 50,000 log rows (times ``ctx.scale``)."""
    rng = ctx.rng
    agencies = ctx.ids.get("agency") or []
    n_alarms = ctx.n(500)
    loans_per_alarm = max(1, ctx.n(20_000) // n_alarms)
    logs_per_alarm = max(1, ctx.n(50_000) // n_alarms)
    types = [
        ctx.shared(
            name=name,
            supplier="Synthetic Safety Ltd",
            monitoring_centre="Synthetic hub",
            test_interval_days=days,
            battery_life_months=months,
            has_sim=sim,
            notes="",
        )
        for name, days, months, sim in _TYPES
    ]
    total = ctx.insert(conn, "alarm_type", types)
    start = date(2019, 4, 1)
    span = (TODAY - timedelta(days=20) - start).days
    alarm_rows, loan_rows, log_rows = [], [], []
    statuses = (
        ["issued"] * 55
        + ["available"] * 30
        + ["awaiting return"] * 3
        + ["in repair"] * 3
        + ["faulty"] * 3
        + ["lost"] * 2
        + ["retired"] * 4
    )
    for i in range(n_alarms):
        t = types[i % len(types)]
        bought = start - timedelta(days=rng.randint(0, 200))
        status = rng.choice(statuses)
        alarm = ctx.shared(
            asset_tag=f"SY-{i:05d}",
            serial_number=f"SN{i:07d}",
            type_id=t["id"],
            sim_number=f"07700 9{i:05d}" if t["has_sim"] else "",
            purchase_date=bought,
            warranty_end=bought + timedelta(days=rng.randint(700, 2900)),
            owner_agency_id=rng.choice(agencies) if agencies and rng.random() < 0.3 else None,
            storage_location=rng.choice(("Council offices", "Police station", "IDVA office")),
            status=status,
            notes="",
        )
        alarm_rows.append(alarm)
        # Loans one after another over the years; the last stays open if the alarm is out.
        slot = span // loans_per_alarm
        for k in range(loans_per_alarm):
            issued = start + timedelta(days=k * slot + rng.randint(0, max(1, slot // 4)))
            last = k == loans_per_alarm - 1
            open_loan = last and status in ("issued", "awaiting return")
            ended = (
                None if open_loan else issued + timedelta(days=rng.randint(5, max(6, slot // 2)))
            )
            loan_rows.append(
                ctx.shared(
                    alarm_id=alarm["id"],
                    agency_id=rng.choice(agencies) if agencies else None,
                    officer=f"IDVA {rng.randint(1, 40)}",
                    case_reference=f"SY-MARAC-{issued.year}-{i:05d}{k:02d}",
                    marac=rng.random() < 0.4,
                    police_marker=rng.random() < 0.3,
                    police_marker_date=None,
                    issued_date=issued,
                    installed_date=issued + timedelta(days=1),
                    review_date=issued + timedelta(days=rng.choice((60, 90, 120))),
                    returned_date=ended,
                    ended_date=ended,
                    return_condition="" if open_loan else "good",
                    end_reason="" if open_loan else "no longer needed",
                    notes="",
                )
            )
        step = max(1, span // logs_per_alarm)
        for k in range(logs_per_alarm):
            on = start + timedelta(days=k * step + rng.randint(0, max(1, step // 3)))
            kind = "battery change" if k % 25 == 24 else "test"
            log_rows.append(
                ctx.shared(
                    alarm_id=alarm["id"],
                    loan_id=None,
                    entry_date=min(on, TODAY - timedelta(days=1)),
                    kind=kind,
                    result=("pass" if rng.random() < 0.97 else "fail") if kind == "test" else "",
                    by_whom="Co-ordinator",
                    details="",
                    cost_pence=None,
                )
            )
    total += ctx.insert(conn, "alarm", alarm_rows)
    total += ctx.insert(conn, "alarm_loan", loan_rows)
    total += ctx.insert(conn, "alarm_log", log_rows)
    return total


def run(ctx) -> list[tuple[str, float | int, str]]:  # noqa: ANN001
    from sqlalchemy import func, select

    from dvcoord.services import alarms as svc
    from dvcoord.store import Database
    from dvcoord.store.backups import copy_database
    from dvcoord.store.schema.alarms import Alarm, DeviceLogEntry, Loan

    path = copy_database(ctx.large_db(), ctx.tmp / "alarms.sqlite")
    db = Database.open(path, user="Bench", backup=False)
    figures: list[tuple[str, float | int, str]] = []
    try:
        with db.session() as s:
            n_alarms = s.scalar(select(func.count()).select_from(Alarm))
            n_loans = s.scalar(select(func.count()).select_from(Loan))
            n_logs = s.scalar(select(func.count()).select_from(DeviceLogEntry))
            free = [
                i
                for (i,) in s.execute(
                    select(Alarm.id).where(Alarm.status == "available").order_by(Alarm.asset_tag)
                )
            ]
            agency = s.scalar(select(Loan.agency_id).where(Loan.agency_id.is_not(None)))

        def timed(name: str, fn) -> None:  # noqa: ANN001
            def once() -> None:
                with db.session() as s:
                    fn(s)

            figures.append((name, round(ctx.time_ms(once), 1), "ms"))

        timed("alarms_inventory_ms", lambda s: svc.inventory(s))
        timed("alarms_stock_counts_ms", lambda s: svc.stock_counts(s))
        timed("alarms_loans_past_review_ms", lambda s: svc.loans_past_review(s, TODAY))
        timed("alarms_tests_due_ms", lambda s: svc.tests_due(s, TODAY, 14))
        timed("alarms_batteries_due_ms", lambda s: svc.batteries_due(s, TODAY, 30))
        timed("alarms_warranties_ending_ms", lambda s: svc.warranties_ending(s, TODAY, 60))
        timed(
            "alarms_activity_year_ms",
            lambda s: svc.activity_by_agency(s, date(2025, 4, 1), date(2026, 3, 31)),
        )

        # Issue then return different free alarms, each in its own committed transaction.
        pending = list(free)
        issued: list[str] = []

        def issue() -> None:
            alarm_id = pending.pop(0)
            with db.transaction() as s:
                svc.issue_alarm(
                    s,
                    alarm_id=alarm_id,
                    case_reference="BENCH-2026-001",
                    agency_id=agency,
                    issued_date=TODAY,
                    today=TODAY,
                )
            issued.append(alarm_id)

        def give_back() -> None:
            alarm_id = issued.pop(0)
            with db.transaction() as s:
                svc.return_alarm(s, alarm_id=alarm_id, returned_date=TODAY, today=TODAY)

        repeat = min(ctx.repeat, len(pending))
        figures.append(("alarms_issue_ms", round(ctx.time_ms(issue, repeat=repeat), 1), "ms"))
        figures.append(("alarms_return_ms", round(ctx.time_ms(give_back, repeat=repeat), 1), "ms"))
        figures += [
            ("alarms_count", n_alarms, "alarms"),
            ("alarms_loans", n_loans, "loans"),
            ("alarms_log_rows", n_logs, "rows"),
        ]
    finally:
        db.close()
    return figures
