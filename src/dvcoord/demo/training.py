"""Demo training programme: the three standard levels and twelve topics, fourteen courses
covering every topic, eight authorised trainers, a dozen staff roles across police,
housing, health, social care, education and the IDVA service, about 150 trainees and two
years of sessions with attendance.

Everything is clearly fictional: the trainees and trainers are made-up names with
``@example.org`` / ``@example.net`` addresses, the venues are invented.  The history is
played through the real services (so it obeys every rule) and arranged relative to
``today``: most required courses are done, some refreshers are due within the warning
window, some have expired, some were never done; a handful of sessions are still to come
with bookings (one nearly full, one under-booked).  Two trainees share a name, as happens.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from dvcoord.services import agencies as ag
from dvcoord.services import training as svc
from dvcoord.services.dates import add_months
from dvcoord.store import Database

ORDER = 20

#: (code, title, topic number 1-12, level, delivery, refresher months, minutes, provider)
COURSES = (
    ("AWR-1", "Domestic abuse awareness", 1, 1, "e-learning", 36, 90, "Partnership e-learning"),
    ("WPL-1", "Domestic abuse in the workplace", 9, 1, "webinar", None, 60, "Partnership team"),
    ("HSB-1", "Housing and benefits: the basics", 12, 1, "classroom", 36, 180, "District Housing"),
    (
        "DASH-2",
        "Risk identification with the DASH checklist",
        1,
        2,
        "classroom",
        12,
        360,
        "Partnership team",
    ),
    ("ADV-2", "Supporting adult victims", 2, 2, "classroom", 24, 360, "IDVA Service"),
    (
        "CYP-2",
        "Children and young people living with abuse",
        3,
        2,
        "classroom",
        24,
        360,
        "Safeguarding Children Board",
    ),
    ("SUB-2", "Domestic abuse and substance misuse", 5, 2, "webinar", 36, 120, "Partnership team"),
    (
        "SPN-2",
        "Specialised needs: disability, older people, BME and LGBT+ victims",
        6,
        2,
        "classroom",
        36,
        300,
        "Partnership team",
    ),
    (
        "LAW-2",
        "Civil and criminal law for front-line staff",
        7,
        2,
        "classroom",
        36,
        240,
        "Community Legal Service",
    ),
    (
        "HLT-2",
        "What health professionals need to know",
        10,
        2,
        "classroom",
        24,
        240,
        "NHS safeguarding team",
    ),
    ("EDU-2", "The role of education", 11, 2, "classroom", 24, 180, "Schools safeguarding team"),
    (
        "MARAC-3",
        "MARAC representatives: practice and information sharing",
        8,
        3,
        "classroom",
        12,
        360,
        "Partnership team",
    ),
    ("PRP-3", "Working with perpetrators", 4, 3, "classroom", 24, 720, "Building Bridges"),
    (
        "MAR-3",
        "Multi-agency roles and risk management",
        8,
        3,
        "classroom",
        24,
        360,
        "Partnership team",
    ),
)
#: A course launched recently (its sessions all come after this many days ago).
NEW_COURSE = ("WPL-1", 240)

#: (role, agency name, courses needed, levels needed (any course of the level), how many)
ROLES = (
    ("Police response officer", "Kent Police", ("AWR-1", "DASH-2"), (), 22),
    ("Police domestic abuse investigator", "Kent Police", ("DASH-2", "LAW-2", "MARAC-3"), (), 8),
    (
        "Housing options officer",
        "Sevenoaks District Council Housing",
        ("AWR-1", "HSB-1", "DASH-2"),
        (),
        14,
    ),
    ("Tenancy support officer", "West Kent Housing Association", ("AWR-1", "HSB-1"), (2,), 10),
    ("Health visitor", "NHS Kent and Medway", ("AWR-1", "HLT-2", "CYP-2"), (), 14),
    ("Emergency department nurse", "East Kent NHS Trust", ("AWR-1", "HLT-2"), (), 14),
    (
        "Children's social worker",
        "Kent County Council Children's Social Care",
        ("DASH-2", "CYP-2", "MAR-3"),
        (),
        14,
    ),
    (
        "Adult social care worker",
        "Kent County Council Adult Social Services",
        ("AWR-1", "ADV-2", "SPN-2"),
        (),
        12,
    ),
    (
        "Designated safeguarding lead",
        "Kent schools (Personal, Social and Health Education leads)",
        ("CYP-2", "EDU-2"),
        (3,),
        12,
    ),
    ("Teacher", "Kent schools (Personal, Social and Health Education leads)", ("AWR-1",), (), 14),
    ("IDVA", "Kent and Medway IDVA Service", ("DASH-2", "MARAC-3", "ADV-2"), (), 8),
    ("Probation officer", "Kent Probation Service", ("AWR-1", "PRP-3"), (), 8),
)

FIRST = (
    "Aisha",
    "Alex",
    "Amira",
    "Ben",
    "Beth",
    "Callum",
    "Chloe",
    "Dan",
    "Dev",
    "Eleni",
    "Ewan",
    "Farah",
    "Finn",
    "Gemma",
    "Hannah",
    "Harvey",
    "Imogen",
    "Isaac",
    "Jade",
    "Jamal",
    "Kate",
    "Kieran",
    "Lena",
    "Liam",
    "Maya",
    "Marcus",
    "Nadia",
    "Noah",
    "Olu",
    "Orla",
    "Priya",
    "Rhys",
    "Rosa",
    "Sam",
    "Sana",
    "Tom",
    "Uma",
    "Will",
    "Yasmin",
    "Zoe",
)
LAST = (
    "Ashdown",
    "Barrowfield",
    "Calloway",
    "Denholm",
    "Ellery",
    "Fairweather",
    "Greaves",
    "Hollins",
    "Ingleby",
    "Jessop",
    "Kettering",
    "Lambourne",
    "Merriman",
    "Northcott",
    "Oakhurst",
    "Pemberton",
    "Quarrie",
    "Radley",
    "Stanmore",
    "Thornbury",
    "Underhill",
    "Vickery",
    "Wetherall",
    "Yardley",
)
TRAINERS = (
    # name, agency, course codes, authorisation ends (months from today; None = open)
    (
        "Morgan Fairlie",
        "Sevenoaks District Community Safety Partnership",
        ("AWR-1", "DASH-2", "MARAC-3", "MAR-3", "WPL-1", "SUB-2", "SPN-2"),
        18,
    ),
    ("Jordan Ellwood", "Kent Police", ("DASH-2", "LAW-2", "MARAC-3"), 9),
    ("Robin Castellan", "Kent and Medway IDVA Service", ("ADV-2", "DASH-2", "MARAC-3"), 24),
    ("Casey Marlowe", "NHS Kent and Medway", ("HLT-2", "CYP-2", "AWR-1"), 30),
    ("Taylor Brindle", "Sevenoaks District Council Housing", ("HSB-1", "AWR-1"), None),
    ("Avery Lockwood", "Kent Safeguarding Children Board", ("CYP-2", "EDU-2"), 12),
    ("Quinn Harcourt", "Building Bridges", ("PRP-3", "MAR-3"), 6),
    ("Rowan Tilling", "Community Legal Service", ("LAW-2", "SPN-2", "SUB-2"), -4),
)
VENUES = (
    "Community Safety Hub, training room 2",
    "Police station training suite",
    "Online (video call)",
    "Hospital education centre, seminar room B",
    "Council offices, committee room 1",
)
#: The course the demo's trainees take to meet "any course of level N".
LEVEL_COURSE = {2: "ADV-2", 3: "MAR-3"}
#: Weekday (Mon=0) and week of the month of each level's monthly session slot.
SLOTS = {1: (1, 1), 2: (2, 2), 3: (3, 3)}


def _slot(year: int, month: int, level: int, offset: int) -> date:
    weekday, week = SLOTS[level]
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (week - 1))
    return day + timedelta(days=7 * (offset % 2))


def _calendar(level: int, offset: int, start: date, end: date) -> list[date]:
    out = []
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        day = _slot(year, month, level, offset)
        if start <= day <= end:
            out.append(day)
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def populate(db: Database, today: date) -> None:
    rng = random.Random(20_2025)
    with db.transaction() as s:
        s.info["audit_note"] = "demo data"
        svc.seed_default_lists(s)
        levels = {lvl.number: lvl.id for lvl in svc.list_levels(s)}
        topics = [t.id for t in svc.list_topics(s)]
        agencies = {}
        for name in sorted({r[1] for r in ROLES} | {t[1] for t in TRAINERS}):
            found = ag.find_agency(s, name)
            if found is None:
                found = ag.create_agency(s, name=name, sector=_guess_sector(name))
            agencies[name] = found
        history_start = today - timedelta(days=730)
        launched = add_months(today, -36)
        courses = {}
        for code, title, topic, level, delivery, months, minutes, provider in COURSES:
            offered = today - timedelta(days=NEW_COURSE[1]) if code == NEW_COURSE[0] else launched
            courses[code] = svc.create_course(
                s,
                code=code,
                title=title,
                level_id=levels[level],
                topic_id=topics[topic - 1],
                delivery=delivery,
                refresher_months=months,
                duration_minutes=minutes,
                provider=provider,
                offered_from=offered,
                today=today,
            )
        trainers = []
        for name, agency, codes, months in TRAINERS:
            until = None if months is None else add_months(today, months)
            trainer = svc.create_trainer(
                s,
                name=name,
                agency_id=agencies[agency].id,
                email=name.lower().replace(" ", ".") + "@example.net",
                authorised_until=until,
                course_ids=[courses[c].id for c in codes],
                notes="Fictional trainer (demo data).",
                today=today,
            )
            trainers.append((trainer, set(codes), until))
        roles = []
        for name, agency, codes, level_numbers, headcount in ROLES:
            role = svc.create_role(
                s,
                name=name,
                agency_id=agencies[agency].id,
                course_ids=[courses[c].id for c in codes],
                level_ids=[levels[n] for n in level_numbers],
            )
            level_codes = [LEVEL_COURSE[n] for n in level_numbers]
            roles.append((role, agencies[agency], list(codes) + level_codes, headcount))

        # ---- trainees, with made-up names (one name deliberately shared)
        used: set[str] = set()
        people = []
        for role, agency, needs, headcount in roles:
            for _ in range(headcount):
                while True:
                    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                    if name not in used:
                        break
                used.add(name)
                people.append((name, role, agency, needs))
        shared = people[3][0]
        housing_index = next(i for i, p in enumerate(people) if p[2].sector == "housing")
        people[housing_index] = (shared, *people[housing_index][1:])
        trainees = []
        for n, (name, role, agency, needs) in enumerate(people):
            email = (
                ""
                if n % 9 == 4
                else (name.lower().replace(" ", ".") + f"{n if name == shared else ''}@example.org")
            )
            trainee = svc.create_trainee(
                s,
                name=name,
                agency_id=agency.id,
                role_id=role.id,
                email=email,
                notes="Fictional member of staff (demo data).",
            ).trainee
            trainees.append((trainee, needs))

        # ---- decide each required course's story, then hold the sessions it needs
        calendars = {
            code: _calendar(
                level,
                i,
                max(history_start, courses[code].offered_from),
                today - timedelta(days=3),
            )
            for i, (code, _t, _tp, level, *_x) in enumerate(COURSES)
        }
        planned: dict[tuple[str, date], list[str]] = defaultdict(list)
        no_shows: dict[tuple[str, date], list[str]] = defaultdict(list)
        still_needed: dict[str, list[str]] = defaultdict(list)
        leavers = set(rng.sample(range(len(trainees)), 6))
        for trainee, needs in trainees:
            for code in dict.fromkeys(needs):
                months = courses[code].refresher_months
                when = _story(rng, calendars[code], months, today)
                if when is None:
                    still_needed[code].append(trainee.id)
                    if rng.random() < 0.2 and calendars[code]:
                        no_shows[(code, rng.choice(calendars[code]))].append(trainee.id)
                    continue
                planned[(code, when)].append(trainee.id)
                if months and rng.random() < 0.3:  # an earlier round of the same course
                    earlier = [d for d in calendars[code] if d < add_months(when, -months)]
                    if earlier:
                        planned[(code, rng.choice(earlier))].append(trainee.id)
            if rng.random() < 0.08:  # something not required, out of interest
                extra = rng.choice(["WPL-1", "SUB-2", "SPN-2"])
                if extra not in needs and calendars[extra]:
                    planned[(extra, rng.choice(calendars[extra]))].append(trainee.id)

        keys = sorted(set(planned) | set(no_shows), key=lambda k: (k[1], k[0]))
        for code, on in keys:
            attended = list(dict.fromkeys(planned.get((code, on), [])))
            missed = [t for t in dict.fromkeys(no_shows.get((code, on), [])) if t not in attended]
            course = courses[code]
            capacity = max(12, len(attended) + len(missed) + rng.randint(0, 6))
            session = svc.create_session(
                s,
                course_id=course.id,
                session_date=on,
                venue=_venue(course.delivery, rng),
                capacity=capacity,
                trainer_ids=_trainers_for(trainers, code, on, rng),
                today=today,
            )
            entries = []
            for tid in attended:
                finish = on
                if course.delivery == "e-learning":
                    finish = min(today - timedelta(days=1), on + timedelta(days=rng.randint(0, 12)))
                entries.append(svc.AttendanceEntry(tid, "attended", finish))
            for tid in missed:
                outcome = "cancelled" if rng.random() < 0.4 else "did not attend"
                entries.append(svc.AttendanceEntry(tid, outcome))
            svc.record_attendance(s, session.id, entries, today=today)
        for index in sorted(leavers):  # six have left since; their records stay
            svc.update_trainee(s, trainees[index][0].id, active=False)

        # ---- sessions still to come, with bookings for people who need them
        upcoming = (
            ("DASH-2", 9, 16, 15),
            ("AWR-1", 20, 20, 4),
            ("MARAC-3", 34, 12, 5),
            ("CYP-2", 41, 16, 8),
            ("HLT-2", 48, 14, 13),
            ("PRP-3", 55, 10, 3),
            ("WPL-1", 12, 40, 6),
        )
        for code, days, capacity, wanted in upcoming:
            on = today + timedelta(days=days)
            while on.weekday() >= 5:
                on += timedelta(days=1)
            session = svc.create_session(
                s,
                course_id=courses[code].id,
                session_date=on,
                venue=_venue(courses[code].delivery, rng),
                capacity=capacity,
                trainer_ids=_trainers_for(trainers, code, on, rng),
                today=today,
            )
            active_ids = {t.id for t, _ in trainees if t.active}
            pool = [t for t in still_needed.get(code, []) if t in active_ids]
            others = [t.id for t, needs in trainees if code in needs and t.id in active_ids]
            if not others:  # nobody needs it: a few volunteers, out of interest
                others = rng.sample(sorted(active_ids), wanted)
            chosen = list(dict.fromkeys(pool + others))[: min(wanted, capacity)]
            if chosen:
                svc.book_trainees(s, session.id, chosen, today=today)
        svc.set_warning_days(s, svc.DEFAULT_WARNING_DAYS)


def _story(rng: random.Random, calendar: list[date], months: int | None, today: date):  # noqa: ANN202
    """When (if ever) a trainee last completed a required course: done, expiring soon,
    expired or never (missing).  Picks one of the course's session dates."""
    if not calendar:
        return None
    roll = rng.random()
    if roll < 0.12:
        return None  # missing
    if months and months <= 24:
        due_from = add_months(today, -months)
        if roll < 0.24:  # expiring: refresher due in 10-55 days
            window = [d for d in calendar if 10 <= (d - due_from).days <= 55]
            if window:
                return rng.choice(window)
        elif roll < 0.42:  # expired some months ago
            window = [d for d in calendar if d < due_from - timedelta(days=7)]
            if window:
                return rng.choice(window)
        fresh = [d for d in calendar if (d - due_from).days > 75]
        return rng.choice(fresh) if fresh else None
    return rng.choice(calendar)


def _venue(delivery: str, rng: random.Random) -> str:
    if delivery in ("e-learning", "webinar"):
        return "Online (video call)" if delivery == "webinar" else "Online (e-learning)"
    return rng.choice([v for v in VENUES if not v.startswith("Online")])


def _trainers_for(trainers, code: str, on: date, rng: random.Random) -> list[str]:  # noqa: ANN001
    able = [
        t.id for t, codes, until in trainers if code in codes and (until is None or until >= on)
    ]
    rng.shuffle(able)
    return able[: 2 if len(able) > 2 and rng.random() < 0.3 else 1]


def _guess_sector(name: str) -> str:
    lowered = name.lower()
    for word, sector in (
        ("police", "police"),
        ("housing", "housing"),
        ("nhs", "health"),
        ("children", "children's social care"),
        ("adult", "adult social care"),
        ("school", "education"),
        ("probation", "probation"),
        ("idva", "voluntary sector"),
        ("bridges", "voluntary sector"),
        ("legal", "courts"),
    ):
        if word in lowered:
            return sector
    return "council"
