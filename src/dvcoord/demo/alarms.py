"""Demo panic-alarm stock: about fifty devices of three types, two years of loans with
made-up case references (``WK-MARAC-2025-031``), tests, battery and SIM changes and repairs.

Everything is clearly fictional (suppliers, monitoring centre, case references; officers
are recorded by role, never by name).  The history is played through the real services
day by day, so it obeys every rule, and it is arranged relative to ``today`` so that the
due lists have something in them: some loans past review, some devices due a test or a
battery, a few warranties ending soon, one alarm lost, one faulty, one in repair, one
retired and one awaiting return.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from dvcoord.services import alarms as svc
from dvcoord.services.dates import add_months
from dvcoord.store import Database
from dvcoord.store.schema.plans import Agency

ORDER = 30

#: Requesting agencies: (names to look for, best first; short name and sector used if
#: none exists yet; case-reference prefix; officer role).  The action-plan demo already
#: holds most of them, so the alarm loans use the same agency rows.
AGENCIES = (
    (("Kent Police",), "Kent Police", "police", "KP-DA", "PC"),
    (
        ("Kent and Medway IDVA Service", "Oasis Domestic Abuse Service (IDVA)"),
        "IDVA Service",
        "voluntary sector",
        "IDVA",
        "IDVA",
    ),
    (
        ("Sevenoaks District Council", "Sevenoaks District Council Housing"),
        "SDC",
        "housing",
        "SDC-HOU",
        "Housing Officer",
    ),
    (
        ("KCC Specialist Children's Services", "Kent County Council Children's Social Care"),
        "KCC SCS",
        "children's social care",
        "KCC-CSC",
        "Social Worker",
    ),
    (("Victim Support",), "Victim Support", "voluntary sector", "VS", "Caseworker"),
)

TYPES = (
    # name, supplier, monitoring centre, test days, battery months, SIM, how many
    (
        "Fixed home alarm",
        "Demo Safety Systems Ltd",
        "Demo Monitoring Centre (fictional)",
        180,
        36,
        False,
        12,
    ),
    (
        "Personal pendant alarm",
        "Demo Safety Systems Ltd",
        "Demo Monitoring Centre (fictional)",
        90,
        24,
        False,
        22,
    ),
    (
        "Mobile handset with SIM",
        "Example Mobile Safety plc",
        "Example Response Hub (fictional)",
        30,
        12,
        True,
        16,
    ),
)

STORES = (
    "Council offices, Argyle Road (secure cupboard)",
    "Police station store",
    "IDVA office safe",
)


@dataclass
class _Plan:
    """What to arrange for one alarm near ``today``."""

    final: str = "normal"  # normal / overdue / due_test / due_battery / lost / faulty /
    # repair / retired / awaiting / warranty


def _agencies(session) -> list[tuple[str, str, str]]:  # noqa: ANN001
    found = []
    for names, short, sector, prefix, role in AGENCIES:
        agency_id = None
        for name in names:
            agency_id = session.scalar(
                select(Agency.id).where(
                    func.lower(Agency.name) == name.lower(), Agency.deleted_at.is_(None)
                )
            )
            if agency_id is not None:
                break
        if agency_id is None:
            agency = Agency(name=names[-1], short_name=short, sector=sector)
            session.add(agency)
            session.flush()
            agency_id = agency.id
        found.append((agency_id, prefix, role))
    return found


def populate(db: Database, today: date) -> None:
    rng = random.Random(7_2025)
    with db.transaction() as s:
        agencies = _agencies(s)
        counters: dict[tuple[str, int], int] = {}

        def next_ref(prefix: str, marac: bool, on: date) -> str:
            key = ("WK-MARAC" if marac else prefix, on.year)
            counters[key] = counters.get(key, rng.randint(3, 40)) + rng.randint(1, 4)
            return f"{key[0]}-{on.year}-{counters[key]:03d}"

        types = [
            svc.create_alarm_type(
                s,
                name=n,
                supplier=sup,
                monitoring_centre=mc,
                test_interval_days=days,
                battery_life_months=months,
                has_sim=sim,
            )
            for n, sup, mc, days, months, sim, _ in TYPES
        ]
        alarms = []
        number = 0
        for alarm_type, spec in zip(types, TYPES, strict=True):
            for _ in range(spec[6]):
                number += 1
                age = rng.randint(420, 1000)
                bought = today - timedelta(days=age)
                alarms.append(
                    (
                        svc.create_alarm(
                            s,
                            asset_tag=f"WK-PA-{number:03d}",
                            type_id=alarm_type.id,
                            serial_number=f"{alarm_type.name[:2].upper()}{rng.randint(10, 99)}-"
                            f"{100000 + number * 7919 % 900000}",
                            sim_number=f"07700 900{number:03d}" if alarm_type.has_sim else "",
                            purchase_date=bought,
                            warranty_end=add_months(bought, 36),
                            storage_location=rng.choice(STORES),
                            today=today,
                        ),
                        alarm_type,
                    )
                )
        finals = (
            ["overdue"] * 5
            + ["due_test"] * 5
            + ["due_battery"] * 2
            + ["lost", "faulty", "repair", "retired", "awaiting"]
            + ["warranty"] * 3
        )
        plans = [_Plan(f) for f in finals] + [_Plan() for _ in range(len(alarms) - len(finals))]
        rng.shuffle(plans)
        for (alarm, alarm_type), plan in zip(alarms, plans, strict=True):
            if plan.final == "warranty":
                alarm.warranty_end = today + timedelta(days=rng.randint(10, 55))
            _play(s, rng, alarm, alarm_type, plan, today, agencies, next_ref)
        s.flush()


def _play(s, rng, alarm, alarm_type, plan, today, agencies, next_ref) -> None:  # noqa: ANN001, C901
    """Play one alarm's life from its purchase to ``today`` through the services."""
    start = max(alarm.purchase_date, today - timedelta(days=730))
    interval = alarm_type.test_interval_days
    battery_months = alarm_type.battery_life_months
    stop_tests = (
        today - timedelta(days=interval + rng.randint(5, 25)) if plan.final == "due_test" else today
    )
    next_test = start + timedelta(days=rng.randint(1, interval))
    next_battery = add_months(alarm.purchase_date, battery_months)
    if plan.final == "due_battery":
        next_battery = today + timedelta(days=3650)  # never changed: due by now
        alarm.purchase_date = add_months(today, -battery_months) - timedelta(days=20)
        start = max(alarm.purchase_date, today - timedelta(days=730))
        next_test = start + timedelta(days=rng.randint(1, interval))

    def upkeep(until: date) -> None:
        nonlocal next_test, next_battery
        while next_test <= until and next_test <= stop_tests:
            if alarm.status in svc.IN_SERVICE_STATUSES:
                svc.add_log_entry(
                    s,
                    alarm_id=alarm.id,
                    kind="test",
                    entry_date=next_test,
                    result="pass",
                    by_whom="Co-ordinator",
                    today=next_test,
                    details=rng.choice(
                        ("Test call to monitoring centre.", "Button test; call answered.", "")
                    ),
                )
            next_test += timedelta(days=interval - rng.randint(0, 6))
        while next_battery <= until and plan.final != "due_battery":
            when = next_battery - timedelta(days=rng.randint(0, 20))
            when = max(when, alarm.purchase_date)
            svc.add_log_entry(
                s,
                alarm_id=alarm.id,
                kind="battery change",
                entry_date=when,
                by_whom="Co-ordinator",
                today=when,
            )
            next_battery = add_months(when, battery_months)

    free_at_end = plan.final in ("faulty", "repair", "retired", "due_battery") or (
        plan.final == "normal" and rng.random() < 0.4
    )
    t = start
    while True:
        gap = rng.randint(5, 90)
        issue_on = t + timedelta(days=gap)
        length = rng.randint(40, 220)
        if free_at_end and issue_on + timedelta(days=length) >= today - timedelta(days=10):
            break
        # The last loan of an alarm meant to be overdue or awaiting return runs past today.
        if plan.final in ("overdue", "awaiting", "lost") and issue_on + timedelta(
            days=length
        ) >= today - timedelta(days=30):
            issue_on = (
                today - timedelta(days=rng.randint(100, 150))
                if plan.final == "overdue"
                else today - timedelta(days=rng.randint(40, 80))
            )
            issue_on = max(issue_on, t + timedelta(days=1))
            length = 10_000
        if issue_on >= today - timedelta(days=1):
            break
        upkeep(issue_on)
        agency_id, prefix, role = rng.choice(agencies)
        marac = rng.random() < 0.4
        marker = alarm_type.name.startswith("Fixed") or rng.random() < 0.3
        installed = issue_on + timedelta(days=rng.randint(0, 3))
        svc.issue_alarm(
            s,
            alarm_id=alarm.id,
            case_reference=next_ref(prefix, marac, issue_on),
            agency_id=agency_id,
            issued_date=issue_on,
            officer=f"{role} {rng.randint(2, 19)}",
            marac=marac,
            installed_date=installed if installed <= today else None,
            police_marker=marker,
            police_marker_date=installed if marker and installed <= today else None,
            today=max(installed, issue_on) if installed <= today else issue_on,
        )
        end = issue_on + timedelta(days=length)
        review = svc.default_review_date(issue_on)
        # Reviews that fall before the end are extended (except the overdue ones).
        while review < min(end, today):
            if plan.final == "overdue" and end > today:
                break
            upkeep(review - timedelta(days=2))
            new_review = add_months(review, 3)
            svc.extend_review(
                s,
                alarm_id=alarm.id,
                new_review_date=new_review,
                by_whom="Co-ordinator",
                reason="Risk still high at review.",
                today=review - timedelta(days=2),
            )
            review = new_review
        if end >= today:
            upkeep(today)
            if plan.final == "awaiting":
                svc.mark_awaiting_return(
                    s,
                    alarm_id=alarm.id,
                    reason="risk reduced",
                    on=today - timedelta(days=4),
                    today=today,
                )
            elif plan.final == "lost":
                svc.mark_lost(
                    s,
                    alarm_id=alarm.id,
                    on=today - timedelta(days=12),
                    details="Holder moved away; device not recovered.",
                    today=today,
                )
            return
        upkeep(end)
        damaged = rng.random() < 0.12
        svc.return_alarm(
            s,
            alarm_id=alarm.id,
            returned_date=end,
            condition="damaged" if damaged else "good",
            reason=rng.choice(
                ("no longer needed", "risk reduced", "risk reduced", "moved out of area")
            ),
            by_whom="Co-ordinator",
            today=end,
        )
        t = end
        if damaged:
            repair_on = end + timedelta(days=rng.randint(2, 10))
            back_on = repair_on + timedelta(days=rng.randint(7, 30))
            if back_on >= today:
                break
            svc.send_to_repair(
                s,
                alarm_id=alarm.id,
                on=repair_on,
                by_whom="Co-ordinator",
                details="Returned to supplier.",
                cost_pence=rng.choice((0, 1500, 2450, 3900)),
                today=repair_on,
            )
            svc.back_in_service(
                s,
                alarm_id=alarm.id,
                on=back_on,
                by_whom="Co-ordinator",
                details="Repaired and tested.",
                today=back_on,
            )
            if alarm_type.has_sim and rng.random() < 0.5:
                svc.add_log_entry(
                    s,
                    alarm_id=alarm.id,
                    kind="SIM change",
                    entry_date=back_on,
                    new_sim_number=f"07700 9{rng.randint(10000, 99999)}",
                    details="New SIM after repair.",
                    by_whom="Co-ordinator",
                    today=back_on,
                )
            t = back_on
    upkeep(today)
    if alarm.status in svc.ON_LOAN_STATUSES:
        return
    if alarm.status != "available":
        return
    if plan.final == "faulty":
        svc.add_log_entry(
            s,
            alarm_id=alarm.id,
            kind="test",
            result="fail",
            entry_date=today - timedelta(days=6),
            by_whom="Co-ordinator",
            details="No connection to the monitoring centre.",
            today=today,
        )
    elif plan.final == "repair":
        svc.send_to_repair(
            s,
            alarm_id=alarm.id,
            on=today - timedelta(days=9),
            by_whom="Co-ordinator",
            details="Cracked casing; sent to supplier.",
            today=today,
        )
    elif plan.final == "retired":
        svc.retire_alarm(
            s,
            alarm_id=alarm.id,
            on=today - timedelta(days=20),
            by_whom="Co-ordinator",
            details="Obsolete model; disposed of.",
            today=today,
        )
    elif plan.final == "lost":
        svc.mark_lost(
            s,
            alarm_id=alarm.id,
            on=today - timedelta(days=15),
            details="Not found at stock check.",
            today=today,
        )
