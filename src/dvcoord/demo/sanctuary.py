"""Demo Sanctuary Scheme: a year and a half of clearly fictional cases at every stage, with
the checklist, measures, costs, contractors, hardware stock and follow-up visits.

Case references are made up (``SDC-SS-2025-014``); locations are postcode districts only
(TN13, TN14, TN15, TN16, TN8, BR8); no address is recorded (addresses stay switched off);
contractors and suppliers are invented firms; officers are recorded by role and a made-up
number, never by name.  Every case is played through the real services in date order, so
it obeys every rule, and the timeline is arranged relative to ``today`` so that every
stage, a few follow-ups due and a couple of items to reorder are there to see.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from dvcoord.errors import ValidationError
from dvcoord.services import sanctuary as svc
from dvcoord.store import Database
from dvcoord.store.schema.plans import Agency

ORDER = 40
SPAN_DAYS = 548  # a year and a half of referrals

#: (name, short name, sector, officer role)
AGENCIES = (
    ("Kent Police", "Kent Police", "police", "PC"),
    ("Oasis Domestic Abuse Service (IDVA)", "IDVA", "voluntary sector", "IDVA"),
    ("Sevenoaks District Council Housing", "SDC Housing", "housing", "Housing Officer"),
    ("Victim Support", "Victim Support", "voluntary sector", "Caseworker"),
    (
        "Kent County Council Children's Social Care",
        "KCC CSC",
        "children's social care",
        "Social Worker",
    ),
)
DISTRICTS = ("TN13", "TN13", "TN14", "TN15", "TN16", "TN8", "BR8", "BR8")
TENURES = (
    ("council", "Demo District Council (landlord services)"),
    ("housing association", "Example Homes Housing Association (fictional)"),
    ("housing association", "Demo Valley Housing Trust (fictional)"),
    ("private rented", "Private landlord, through Example Lettings (fictional)"),
    ("owner-occupier", ""),
    ("other", ""),
)
#: Invented firms; 01632 960xxx numbers are Ofcom's drama range, .example never resolves.
CONTRACTORS = (
    ("Demo Secure Doors Ltd", "Doors and joinery", "01632 960100", "jobs@demo-doors.example"),
    ("Example Locksmiths & Glazing", "Locksmith", "01632 960200", "work@example-locks.example"),
    ("Sample Electrical Services", "Electrical", "01632 960300", "office@sample-elec.example"),
)
#: kind -> (typical unit cost in pence, fitted from stock?, contractor index, reorder level)
ITEMS = {
    "reinforced door": (54_000, False, 0, 0),
    "door chain": (1_450, True, 1, 6),
    "door viewer": (1_950, True, 1, 6),
    "additional lock": (6_800, True, 1, 5),
    "window lock": (1_150, True, 1, 12),
    "safe-room solid-core door": (72_000, False, 0, 0),
    "fire-safe letterbox": (7_400, True, 1, 4),
    "security light": (5_900, False, 2, 0),
    "smoke alarm": (1_800, True, 2, 6),
}
SUPPLIER = "Demo Hardware Supplies Ltd (fictional)"
#: What the scheme bought at the start and part way through: kind -> quantity.
FIRST_DELIVERY = {
    "door chain": 24,
    "door viewer": 24,
    "additional lock": 14,
    "window lock": 60,
    "fire-safe letterbox": 12,
    "smoke alarm": 24,
}
TOP_UP = {"door chain": 12, "window lock": 30, "smoke alarm": 12, "door viewer": 10}
VISIT_OUTCOMES = (
    ("All measures in place and working; feels safer at home.", False),
    ("Measures working well; no further work needed.", False),
    ("Person reports feeling much safer; marker confirmed with police.", False),
    ("Rear window lock stiff; contractor asked to return.", True),
)


@dataclass
class _Timeline:
    """When each step of one case happens (None: never)."""

    referral: date
    consent: date
    gone: date
    permission_asked: date | None
    permission_reply: date | None
    permission: str
    survey: date
    assessed: date
    approved: date
    works: date
    installed: date
    visit: date
    closed: date
    ending: str = ""  # "declined" / "withdrawn" / ""
    ending_on: date | None = None
    further_work: bool = False
    kinds: list[str] = field(default_factory=list)


def _agencies(session) -> list[tuple[str, str]]:  # noqa: ANN001
    found = []
    for name, short, sector, role in AGENCIES:
        agency_id = session.scalar(
            select(Agency.id).where(
                func.lower(Agency.name) == name.lower(), Agency.deleted_at.is_(None)
            )
        )
        if agency_id is None:
            agency = Agency(name=name, short_name=short, sector=sector)
            session.add(agency)
            session.flush()
            agency_id = agency.id
        found.append((agency_id, role))
    return found


def _timeline(rng: random.Random, referral: date, tenure: str) -> _Timeline:
    def after(d: date, low: int, high: int) -> date:
        return d + timedelta(days=rng.randint(low, high))

    consent = after(referral, 0, 6)
    gone = referral - timedelta(days=rng.randint(0, 20))
    survey = after(referral, 4, 24)
    asked = reply = None
    permission = ""
    if tenure in svc.RENTED_TENURES:
        asked = after(referral, 1, 5)
        reply = after(asked, 5, 30 if tenure == "private rented" else 18)
        permission = "given"
    pace = rng.random()
    if pace < 0.15 and tenure not in svc.RENTED_TENURES:  # urgent: done within days
        consent, survey = referral, after(referral, 0, 2)
        assessed = after(referral, 0, 1)
        approved = after(assessed, 0, 1)
        works = after(max(approved, survey), 0, 1)
        installed = after(works, 2, 6)
    else:
        assessed = after(referral, 2, 10)
        approved = after(assessed, 3, 14)
        ready = max(d for d in (consent, survey, reply or consent, approved) if d is not None)
        works = after(ready, 1, 8)
        installed = after(works, 7, 35)
        if pace > 0.8:  # a bespoke door or a busy contractor
            installed += timedelta(days=rng.randint(30, 110))
    visit = after(installed, 25, 55)
    closed = after(visit, 7, 45)
    kinds = []
    if rng.random() < 0.45:
        kinds.append("reinforced door")
    kinds += rng.sample(
        ["door chain", "door viewer", "additional lock", "window lock", "smoke alarm"],
        rng.randint(2, 4),
    )
    if rng.random() < 0.35:
        kinds.append("fire-safe letterbox")
    if rng.random() < 0.3:
        kinds.append("security light")
    if rng.random() < 0.2:
        kinds.append("safe-room solid-core door")
    return _Timeline(
        referral,
        consent,
        gone,
        asked,
        reply,
        permission,
        survey,
        assessed,
        approved,
        works,
        installed,
        visit,
        closed,
        kinds=kinds,
    )


def populate(db: Database, today: date) -> None:
    rng = random.Random(60_2025)
    start = today - timedelta(days=SPAN_DAYS)
    with db.transaction() as s:
        agencies = _agencies(s)
        svc.ensure_catalogue(s)
        items = {i.kind: i for i in svc.catalogue(s)}
        firms = [
            svc.create_contractor(s, name=name, trade=trade, phone=phone, email=email)
            for name, trade, phone, email in CONTRACTORS
        ]
        for kind, (cost, stocked, _, level) in ITEMS.items():
            items[kind].usual_cost_pence = cost
            if stocked:
                svc.set_stock_level(s, items[kind].id, reorder_level=level, supplier=SUPPLIER)
        first = start - timedelta(days=10)
        for kind, qty in FIRST_DELIVERY.items():
            svc.record_delivery(
                s,
                item_id=items[kind].id,
                quantity=qty,
                on=first,
                supplier=SUPPLIER,
                unit_cost_pence=ITEMS[kind][0] * 55 // 100,
                today=today,
            )
        top_up_on = start + timedelta(days=300)
        topped = False

        # About 48 referrals spread over the span, busier in winter.
        referrals = sorted(start + timedelta(days=rng.randint(0, SPAN_DAYS - 3)) for _ in range(48))
        # The last few referrals are recent, so the early stages are there today.
        referrals[-6:] = sorted(today - timedelta(days=d) for d in (40, 28, 20, 14, 8, 3))
        counters: dict[int, int] = {}
        for n, referral in enumerate(referrals):
            counters[referral.year] = counters.get(referral.year, rng.randint(3, 9)) + 1
            ref = f"SDC-SS-{referral.year}-{counters[referral.year]:03d}"
            tenure, landlord = rng.choice(TENURES)
            line = _timeline(rng, referral, tenure)
            if n % 11 == 4:
                line.ending, line.ending_on = "declined", line.assessed + timedelta(days=2)
            elif n % 13 == 7:
                line.ending, line.ending_on = "withdrawn", line.approved + timedelta(days=4)
            elif n == len(referrals) - 9:  # a landlord who said no, waiting for a decision
                line.permission = "refused"
            line.further_work = n % 5 == 2
            if n >= len(referrals) - 2:  # the newest referrals are not assessed yet
                line.assessed = today + timedelta(days=7)
            elif n == len(referrals) - 3:  # assessed, waiting for the panel
                line.approved = today + timedelta(days=5)
            if today - timedelta(days=80) <= line.installed <= today - timedelta(days=43):
                line.visit = today + timedelta(days=6)  # its follow-up visit is overdue
            if not topped and referral >= top_up_on:
                for kind, qty in TOP_UP.items():
                    svc.record_delivery(
                        s,
                        item_id=items[kind].id,
                        quantity=qty,
                        on=top_up_on,
                        supplier=SUPPLIER,
                        unit_cost_pence=ITEMS[kind][0] * 55 // 100,
                        today=today,
                    )
                topped = True
            _play(s, rng, today, ref, tenure, landlord, line, agencies, items, firms)
        s.flush()


def _play(s, rng, today, ref, tenure, landlord, line, agencies, items, firms) -> None:  # noqa: ANN001, C901
    """Play one case's life through the services, stopping at ``today``."""
    agency_id, role = rng.choice(agencies)

    def known(d: date | None) -> date | None:
        return d if d is not None and d <= today else None

    reply = known(line.permission_reply)
    permission = ""
    if line.permission_asked and known(line.permission_asked):
        permission = line.permission if reply else "requested"
    created = svc.create_case(
        s,
        reference=ref,
        agency_id=agency_id,
        referring_officer=f"{role} {rng.randint(2, 40)}",
        referral_date=line.referral,
        risk_level=rng.choice(("high", "high", "medium", "medium", "standard")),
        marac=rng.random() < 0.55,
        tenure=tenure,
        landlord=landlord,
        permission=permission,
        permission_requested_on=known(line.permission_asked) if permission else None,
        permission_on=reply if permission in ("given", "refused") else None,
        consent=known(line.consent) is not None,
        consent_on=known(line.consent),
        perpetrator_gone=True,
        perpetrator_gone_on=line.gone,
        survey_on=known(line.survey),
        survey_officer=f"PC {rng.randint(1100, 2999)} (crime reduction)"
        if known(line.survey)
        else "",
        postcode_district=rng.choice(DISTRICTS),
        notes=rng.choice(
            (
                "Referred after MARAC; client wishes to stay in the family home.",
                "Children attend local school; staying put is the client's clear choice.",
                "Perpetrator on bail conditions not to attend the area.",
                "Client works locally and has family support nearby.",
                "",
            )
        ),
        today=today,
    )
    case = created.case
    steps = [("assessed", line.assessed), ("approved", line.approved)]
    for stage, on in steps:
        if line.ending == "declined" and stage == "approved":
            break
        if on > today:
            return
        svc.move_stage(s, case.id, stage, on, today=today)
    if line.ending:
        if line.ending_on <= today:
            reason = (
                "Client chose to move to another area; referred to housing options."
                if line.ending == "withdrawn"
                else "Perpetrator still has a tenancy interest in the home; other safety "
                "options offered."
            )
            svc.move_stage(s, case.id, line.ending, line.ending_on, reason=reason, today=today)
        return
    if line.works > today or svc.missing_for_works(case):
        return
    svc.move_stage(s, case.id, "works ordered", line.works, today=today)
    span = max(1, (line.installed - line.works).days)
    fitted_any = False
    for kind in line.kinds:
        on = line.works + timedelta(days=rng.randint(1, span))
        if on > today:
            continue
        cost, stocked, firm_index, _ = ITEMS[kind]
        quantity = rng.randint(2, 6) if kind == "window lock" else 1
        from_stock = stocked and svc.stock_balance(s, items[kind].id) >= quantity
        svc.record_measure(
            s,
            case_id=case.id,
            item_id=items[kind].id,
            quantity=quantity,
            unit_cost_pence=cost + rng.choice((-500, 0, 0, 250, 900)) if cost > 5000 else cost,
            fitted_on=on,
            contractor_id=firms[firm_index].id,
            from_stock=from_stock,
            today=today,
        )
        fitted_any = True
    if line.installed > today or not fitted_any:
        return
    svc.move_stage(s, case.id, "installed", line.installed, today=today)
    if line.installed + timedelta(days=5) <= today:
        svc.update_case(
            s,
            case.id,
            marker_placed=True,
            marker_on=line.installed + timedelta(days=rng.randint(0, 5)),
            fire_check=True,
            fire_check_on=line.installed,
            today=today,
        )
    if line.visit > today:
        return
    outcome, further = rng.choice(VISIT_OUTCOMES)
    if line.further_work:
        outcome, further = VISIT_OUTCOMES[-1]
    svc.record_follow_up(
        s,
        case_id=case.id,
        visit_on=line.visit,
        by_whom="Sanctuary co-ordinator",
        outcome=outcome,
        further_work=further,
        today=today,
    )
    if further:
        again = line.visit + timedelta(days=rng.randint(7, 20))
        if again > today:
            return
        try:
            svc.record_measure(
                s,
                case_id=case.id,
                item_id=items["window lock"].id,
                quantity=1,
                unit_cost_pence=ITEMS["window lock"][0],
                fitted_on=again,
                contractor_id=firms[1].id,
                notes="Replacement after follow-up visit.",
                today=today,
            )
        except ValidationError:
            return
        line.visit = again + timedelta(days=rng.randint(3, 10))
        if line.visit > today:
            return
        svc.record_follow_up(
            s,
            case_id=case.id,
            visit_on=line.visit,
            by_whom="Sanctuary co-ordinator",
            outcome="Lock replaced; all measures working.",
            today=today,
        )
    svc.move_stage(s, case.id, "follow-up done", line.visit, today=today)
    closed = max(line.closed, line.visit + timedelta(days=3))
    if closed > today:
        return
    svc.move_stage(
        s,
        case.id,
        "closed",
        closed,
        outcome=rng.choice(("remained in home",) * 8 + ("moved", "other")),
        today=today,
    )
