"""Demo performance indicators and BVPI 225 self-assessments.

The indicators are the kinds the reference plans track (a sanction-detection rate
against a 40% target and a 35.6% national figure, referrals to MARAC, repeat incidents
(the Kent LAA indicator NI 32), IDVA referrals, perpetrator-programme completions, the
Freedom Programme, homelessness acceptances, funding secured) with three financial
years of made-up figures up to the last complete period before ``today``, and targets
for each year.  Every typed figure carries the note "Demo figure (fictional)".  The
figures dvcoord computes itself (alarms issued, loans open, sanctuary installations and
days to install, training delivered, milestones on time) are added as computed
indicators with targets, so they show whatever the other demo areas hold.

Two completed BVPI 225 self-assessments (this year and last) answer the eleven
questions with evidence drawn from the demo plans.  Indicators are linked to the
matching actions of the demonstration plan.  Everything goes through the services.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from dvcoord.services import agencies as ag
from dvcoord.services import bvpi225 as bv
from dvcoord.services import indicators as svc
from dvcoord.services.dates import financial_year_of, fy_label, fy_range
from dvcoord.store import Database

ORDER = 60
YEARS = 3
NOTE = "Demo figure (fictional)"


@dataclass(frozen=True)
class Manual:
    code: str
    name: str
    unit: str
    direction: str
    period: str
    source: str
    owner: str  # agency name or short name ("" for none)
    start: float  # the first period's typical value
    drift: float  # change per period
    noise: float
    target: float | None  # per financial year (shared out for counts and money)
    national: float | None = None
    description: str = ""
    actions: tuple[str, ...] = ()  # action references in the demonstration plan
    latest: float | None = None  # the last period's figure, if fixed


MANUAL = (
    Manual(
        "PI 1",
        "Sanction detection rate for domestic abuse crimes",
        "percentage",
        "higher",
        "quarter",
        "Kent Police performance team",
        "Kent Police",
        41.0,
        0.8,
        3.0,
        40.0,
        35.6,
        "Domestic abuse crimes detected by a charge, caution or other sanction, as a "
        "percentage of the domestic abuse crimes recorded.",
        ("5.1",),
        latest=51.2,
    ),
    Manual(
        "PI 2",
        "Referrals to MARAC",
        "count",
        "higher",
        "quarter",
        "MARAC co-ordinator",
        "Kent Police",
        30,
        0.4,
        4,
        150,
        description="High-risk cases referred to the Multi-Agency Risk Assessment Conference.",
        actions=("2.1",),
        latest=33,
    ),
    Manual(
        "NI 32",
        "Repeat incidents of domestic violence (repeat MARAC cases)",
        "percentage",
        "lower",
        "quarter",
        "MARAC co-ordinator (Kent LAA indicator NI 32)",
        "Kent Police",
        31.0,
        -0.3,
        2.5,
        28.0,
        25.0,
        "Cases heard at MARAC that had been heard in the previous twelve months, as a "
        "percentage of all cases heard.",
        ("2.1",),
        latest=29.4,
    ),
    Manual(
        "PI 4",
        "Domestic abuse incidents reported to the police",
        "count",
        "higher",
        "month",
        "Kent Police crime and incident data",
        "Kent Police",
        96,
        0.3,
        12,
        None,
        description="Incidents flagged as domestic abuse; more reports are read as more "
        "confidence in reporting.",
        actions=("6.2",),
    ),
    Manual(
        "PI 5",
        "Referrals to the IDVA service",
        "count",
        "higher",
        "quarter",
        "Kent and Medway IDVA Service",
        "IDVA Service",
        26,
        0.5,
        4,
        120,
        actions=("2.1",),
    ),
    Manual(
        "PI 6",
        "Perpetrator programme completions (CDAP, West Kent)",
        "count",
        "higher",
        "financial year",
        "Kent Probation Service",
        "Probation Service",
        11,
        1,
        2,
        12,
        description="Men completing the Community Domestic Abuse Programme.",
        actions=("5.1", "5.2"),
    ),
    Manual(
        "PI 7",
        "Freedom Programme places taken up",
        "count",
        "higher",
        "quarter",
        "Building Bridges",
        "Building Bridges",
        9,
        0.2,
        3,
        40,
        actions=("2.3", "6.4"),
    ),
    Manual(
        "PI 8",
        "Homelessness acceptances where domestic abuse was the main reason",
        "count",
        "lower",
        "quarter",
        "Sevenoaks District Council Housing (P1E returns)",
        "SDC Housing",
        9,
        -0.15,
        2,
        32,
        actions=("4.3", "4.4"),
    ),
    Manual(
        "PI 9",
        "Funding secured for domestic abuse services",
        "money",
        "higher",
        "financial year",
        "Community Safety Partnership budget",
        "Sevenoaks CSP",
        42_000,
        4_000,
        5_000,
        50_000,
        description="Grants and contributions secured for local domestic abuse services.",
        actions=("2.2",),
    ),
)

#: computed key -> (financial-year target, national, linked action references)
COMPUTED = {
    "alarms.issued": (80, None, ("I.2",)),
    "alarms.loans_open": (None, None, ("I.2",)),
    "sanctuary.installations": (24, None, ("2.7",)),
    "sanctuary.median_days": (28, None, ("2.7",)),
    "training.sessions": (80, None, ("2.5",)),
    "training.people": (200, None, ("2.5",)),
    "plans.milestones_on_time": (75, None, ()),
}

#: question -> (answer, evidence) this year; last year differs where noted.
ANSWERS = {
    1: (
        "yes",
        "Directory of local domestic abuse services on the district council website "
        "(action I.3), checked by the working group each quarter.",
    ),
    2: (
        "no",
        "West Kent Refuge serves three districts; places come to about 0.6 per 10,000 "
        "people. Supporting People are looking at a second refuge (actions 4.1, 4.2).",
    ),
    3: (
        "yes",
        "District domestic abuse co-ordinator post funded by the council and the "
        "Community Safety Partnership; county co-ordinator part-funded.",
    ),
    4: (
        "yes",
        "Kent and Medway multi-agency domestic abuse strategy adopted by the council; "
        "the district action plan implements it locally.",
    ),
    5: (
        "yes",
        "The Domestic Abuse Working Group meets quarterly; minutes and attendance "
        "kept (action I.1).",
    ),
    6: (
        "yes",
        "Kent and Medway information-sharing protocol signed by the council, police, "
        "health, probation and county social care.",
    ),
    7: (
        "yes",
        "Safe Haven and Panic Room initiatives continue as the district's Sanctuary "
        "Scheme (action 2.7); cases are recorded in dvcoord.",
    ),
    8: ("no", "Repeat acceptances due to domestic abuse rose from 5 to 7 (demo figures)."),
    9: (
        "yes",
        "Clause 7.3 of the tenancy agreement (demo wording) makes domestic abuse by "
        "the tenant grounds for possession.",
    ),
    10: (
        "yes",
        "Domestic Abuse Safe Schools Officer input to the PSHE curriculum, part-funded "
        "by the council (action 6.1).",
    ),
    11: (
        "yes",
        "Multi-agency awareness and DASH courses from the county training manual "
        "delivered to housing, police and health staff (action 2.5).",
    ),
}
LAST_YEAR = {
    10: ("no", "Safe Schools Officer input agreed for the following year; no pack funded yet."),
}


def _owner(s: Session, name: str) -> str | None:
    if not name:
        return None
    found = ag.find_agency(s, name)
    return found.id if found is not None else None


def _actions(s: Session) -> dict[str, str]:
    """Action reference -> id, preferring the demonstration (current) plan."""
    found: dict[str, str] = {}
    for link in sorted(svc.action_choices(s), key=lambda a: "(demonstration)" not in a.plan_title):
        found.setdefault(link.reference, link.action_id)
    return found


def _number(value: float, unit: str) -> str:
    if unit == "count":
        return str(max(0, round(value)))
    if unit == "money":
        return f"{max(0, round(value / 50) * 50):.2f}"
    if unit == "percentage":
        return f"{min(100.0, max(0.0, value)):.1f}"
    return f"{max(0.0, value):.1f}"


def populate(db: Database, today: date) -> None:
    rng = random.Random(2013_14)
    fy_now = financial_year_of(today)
    first_fy = fy_now - (YEARS - 1)
    with db.transaction() as s:
        s.info["audit_note"] = "demo data"
        actions = _actions(s)
        for spec in MANUAL:
            ind = svc.create_indicator(
                s,
                code=spec.code,
                name=spec.name,
                description=spec.description,
                unit=spec.unit,
                direction=spec.direction,
                period=spec.period,
                data_source=spec.source,
                owner_agency_id=_owner(s, spec.owner),
            )
            for fy in range(first_fy, fy_now + 1):
                if spec.target is not None or spec.national is not None:
                    svc.set_target(
                        s,
                        ind.id,
                        fy_label(fy),
                        _number(spec.target, spec.unit) if spec.target is not None else "",
                        _number(spec.national, spec.unit) if spec.national is not None else "",
                    )
            first = svc.period_of(fy_range(first_fy)[0], spec.period)
            last = svc.last_complete_period(spec.period, today)
            periods = svc.periods_between(first, last) if last >= first else []
            for n, period in enumerate(periods):
                value = spec.start + spec.drift * n + rng.uniform(-spec.noise, spec.noise)
                if spec.latest is not None and n == len(periods) - 1:
                    value = spec.latest
                svc.set_value(s, ind.id, period, _number(value, spec.unit), NOTE, today=today)
            svc.set_action_links(s, ind.id, [actions[r] for r in spec.actions if r in actions])
        for key, (target, national, refs) in COMPUTED.items():
            if key not in svc.COMPUTED:
                continue
            spec = svc.COMPUTED[key]
            ind = svc.create_indicator(s, computed_key=key)
            if target is not None:
                for fy in range(first_fy, fy_now + 1):
                    svc.set_target(s, ind.id, fy_label(fy), _number(target, spec.unit), national)
            svc.set_action_links(s, ind.id, [actions[r] for r in refs if r in actions])
        _assessments(s, today, fy_now)


def _assessments(s: Session, today: date, fy_now: int) -> None:
    for fy, officer in ((fy_now - 1, "Community Safety Manager"), (fy_now, "DA Co-ordinator")):
        start, end = fy_range(fy)
        assessed = min(end, today)
        evidence_on = max(start, assessed - timedelta(days=20))
        answers = []
        for q in bv.QUESTIONS:
            answer, evidence = ANSWERS[q.number]
            if fy < fy_now and q.number in LAST_YEAR:
                answer, evidence = LAST_YEAR[q.number]
            answers.append(bv.AnswerInput(q.number, answer, evidence, evidence_on))
        bv.save_assessment(
            s,
            fy,
            answers=answers,
            officer=f"{officer} (demo)",
            assessed_on=assessed,
            notes="Demonstration self-assessment: the answers and evidence are invented.",
            today=today,
        )
