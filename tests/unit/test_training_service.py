"""Training services: every rule and bad input, the matrix and its status boundaries,
compliance, capacity, history and the dashboard tiles."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from dvcoord.errors import ValidationError
from dvcoord.services import training as T
from dvcoord.store import Database
from dvcoord.store.backups import copy_database
from dvcoord.store.schema.plans import Agency
from dvcoord.store.schema.training import Attendance, Course, RoleRequirement, Trainee

TODAY = date(2026, 11, 23)


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))


def _build_base(db) -> dict[str, str]:
    """Two agencies, the standard lists, three courses, a trainer, two roles."""
    ids: dict[str, str] = {}
    with db.transaction() as s:
        police = Agency(name="Kent Police", short_name="Police", sector="police")
        housing = Agency(name="District Housing", short_name="Housing", sector="housing")
        s.add_all([police, housing])
        s.flush()
        T.seed_default_lists(s)
        levels = {lvl.number: lvl.id for lvl in T.list_levels(s)}
        awr = T.create_course(
            s,
            code="AWR-1",
            title="Domestic abuse awareness",
            level_id=levels[1],
            refresher_months=36,
            offered_from=date(2020, 1, 1),
            today=TODAY,
        )
        dash = T.create_course(
            s,
            code="DASH-2",
            title="DASH risk identification",
            level_id=levels[2],
            refresher_months=12,
            offered_from=date(2020, 1, 1),
            today=TODAY,
        )
        marac = T.create_course(
            s, code="MARAC-3", title="MARAC practice", level_id=levels[3], today=TODAY
        )
        trainer = T.create_trainer(
            s,
            name="Alex Trainer",
            agency_id=police.id,
            authorised_until=date(2030, 3, 31),
            course_ids=[awr.id, dash.id, marac.id],
            today=TODAY,
        )
        response = T.create_role(
            s, name="Response officer", agency_id=police.id, course_ids=[awr.id, dash.id]
        )
        options = T.create_role(
            s,
            name="Housing options officer",
            agency_id=housing.id,
            course_ids=[awr.id],
            level_ids=[levels[3]],
        )
        ids.update(
            police=police.id,
            housing=housing.id,
            awr=awr.id,
            dash=dash.id,
            marac=marac.id,
            trainer=trainer.id,
            response=response.id,
            options=options.id,
            **{f"level{n}": lid for n, lid in levels.items()},
        )
    return ids


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The base set-up built once; each test works on its own copy (much faster)."""
    folder = tmp_path_factory.mktemp("training")
    old = os.environ.get("DVCOORD_HOME")
    os.environ["DVCOORD_HOME"] = str(folder / "home")
    try:
        database = Database.create(folder / "base.sqlite", user="Test Officer")
        try:
            ids = _build_base(database)
        finally:
            database.close()
    finally:
        if old is None:
            os.environ.pop("DVCOORD_HOME", None)
        else:
            os.environ["DVCOORD_HOME"] = old
    return folder / "base.sqlite", ids


@pytest.fixture
def db(template, tmp_path):
    database = Database.open(
        copy_database(template[0], tmp_path / "t.sqlite"), user="Test Officer", backup=False
    )
    yield database
    database.close()


@pytest.fixture
def base(template, db):
    return dict(template[1])


@pytest.fixture
def fresh_db(tmp_path):
    database = Database.create(tmp_path / "fresh.sqlite", user="Test Officer")
    yield database
    database.close()


def add_trainee(db, base, name, agency="police", role="response", **kw):
    with db.transaction() as s:
        return T.create_trainee(
            s, name=name, agency_id=base[agency], role_id=base[role] if role else None, **kw
        ).trainee.id


def completed(db, base, trainee_id, course, on, capacity=20):
    """A past session of ``course`` on ``on`` that the trainee attended."""
    with db.transaction() as s:
        row = T.create_session(
            s, course_id=base[course], session_date=on, capacity=capacity, today=TODAY
        )
        T.record_attendance(s, row.id, [T.AttendanceEntry(trainee_id, "attended")], today=TODAY)
        return row.id


def matrix(db, **kw):
    with db.session() as s:
        return T.training_matrix(s, TODAY, **kw)


def fails(db, fn, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info, db.transaction() as s:
        fn(s, *args, **kwargs)
    return info.value


# --------------------------------------------------------------------------- lists
def test_default_levels_and_topics_are_seeded_once(fresh_db):
    with fresh_db.transaction() as s:
        assert T.seed_default_lists(s) == (3, 12)
        assert T.seed_default_lists(s) == (0, 0)
        assert [lvl.number for lvl in T.list_levels(s)] == [1, 2, 3]
        assert [t.name for t in T.list_topics(s)] == list(T.DEFAULT_TOPICS)
        assert T.list_levels(s)[1].name == "Risk identification (DASH)"


def test_level_rules(db, base):
    err = fails(db, T.create_level, number=2, name="Another")
    assert (err.field, str(err)) == (
        "number",
        "Level 2 already exists (Risk identification (DASH)).",
    )
    assert fails(db, T.create_level, number=0, name="Zero").field == "number"
    err = fails(db, T.create_level, number=4, name="awareness")
    assert "already called 'awareness'" in str(err)
    err = fails(db, T.delete_level, base["level1"])
    assert "1 course(s) are at level 1" in str(err)
    with db.transaction() as s:
        extra = T.create_level(s, number=4, name="Strategic leadership")
        T.update_level(s, extra.id, name="Strategic leaders")
        T.delete_level(s, extra.id)
    with db.session() as s:
        assert [lvl.number for lvl in T.list_levels(s)] == [1, 2, 3]


def test_topic_rules(db, base):
    err = fails(db, T.create_topic, name="adult victims")
    assert "already a topic called" in str(err)
    with db.transaction() as s:
        topic = T.list_topics(s)[0]
        T.update_course(s, base["awr"], topic_id=topic.id, today=TODAY)
        topic_id = topic.id
    err = fails(db, T.delete_topic, topic_id)
    assert "1 course(s) are on the topic" in str(err)


# --------------------------------------------------------------------------- courses
@pytest.mark.parametrize("bad", [0, -6, "0", "-1", "twelve", 121, "1.5"])
def test_refresher_of_zero_or_negative_is_refused(db, base, bad):
    before = count(db, Course)
    err = fails(
        db,
        T.create_course,
        code="X-1",
        title="X",
        level_id=base["level1"],
        refresher_months=bad,
        today=TODAY,
    )
    assert err.field == "refresher_months"
    assert str(err) == (
        "A refresher interval must be a whole number of months from 1 to 120, or empty when "
        "the course needs no refresher."
    )
    assert count(db, Course) == before


def test_refresher_none_or_empty_means_never_stale(db, base):
    with db.transaction() as s:
        c = T.create_course(
            s, code="X-1", title="X", level_id=base["level1"], refresher_months="", today=TODAY
        )
        assert c.refresher_months is None
        T.update_course(s, c.id, refresher_months="24", today=TODAY)
        assert c.refresher_months == 24


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"code": ""}, "code", "Enter a short code"),
        ({"code": "awr-1"}, "code", "already used by the course 'Domestic abuse awareness'"),
        ({"code": "=HYPERLINK"}, "code", "letters, digits"),
        ({"title": "  "}, "title", "Enter the course's title"),
        ({"level_id": ""}, "level_id", "Choose the course's level"),
        ({"delivery": "carrier pigeon"}, "delivery", "classroom, e-learning, webinar"),
        ({"duration_minutes": 0}, "duration_minutes", "minutes from 1"),
        ({"offered_from": "31/02/2025"}, "offered_from", "February 2025 has 28 days"),
        ({"offered_from": "1/1/25"}, "offered_from", "four-digit year"),
        ({"offered_from": date(1899, 1, 1)}, "offered_from", "before 1990"),
        ({"offered_from": date(2031, 1, 1)}, "offered_from", "more than 3 years ahead"),
    ],
)
def test_course_bad_input(db, base, values, field, words):
    data = {"code": "NEW-1", "title": "New course", "level_id": base["level1"], **values}
    err = fails(db, T.create_course, today=TODAY, **data)
    assert err.field == field
    assert words in str(err)


def test_course_cannot_be_first_offered_after_its_sessions(db, base):
    trainee = add_trainee(db, base, "Sam Cole")
    completed(db, base, trainee, "awr", date(2021, 5, 4))
    err = fails(db, T.update_course, base["awr"], offered_from=date(2022, 1, 1), today=TODAY)
    assert err.field == "offered_from"
    assert "held on 04/05/2021" in str(err)


def test_course_with_sessions_is_withdrawn_not_deleted(db, base):
    trainee = add_trainee(db, base, "Sam Cole")
    completed(db, base, trainee, "dash", date(2026, 6, 1))
    err = fails(db, T.delete_course, base["dash"])
    assert "1 session(s) on record" in str(err)
    with db.transaction() as s:
        T.update_course(s, base["dash"], active=False, today=TODAY)
    assert [c.code for c in matrix(db).columns] == ["AWR-1", "L3", "MARAC-3"]
    with db.transaction() as s:
        T.delete_course(s, base["marac"])
    with db.session() as s:
        assert all(
            r.course_id != base["marac"]
            for r in s.scalars(select(RoleRequirement))
            if r.deleted_at is None
        )
        assert [c.code for c in T.list_courses(s)] == ["AWR-1", "DASH-2"]
        assert [c.code for c in T.list_courses(s, include_inactive=False)] == ["AWR-1"]


def test_format_duration():
    assert [T.format_duration(m) for m in (None, 45, 60, 90, 420)] == [
        "",
        "45 min",
        "1 h",
        "1 h 30 min",
        "7 h",
    ]


# --------------------------------------------------------------------------- trainers
def test_trainer_authorisations(db, base):
    with db.session() as s:
        rows = T.list_trainers(s)
        assert rows[0].courses == "AWR-1, DASH-2, MARAC-3"
        assert [t.name for t in T.trainers_for_course(s, base["dash"], date(2030, 3, 31))] == [
            "Alex Trainer"
        ]
        assert T.trainers_for_course(s, base["dash"], date(2030, 4, 1)) == []
    with db.transaction() as s:
        other = T.create_trainer(s, name="Bo Smith", course_ids=[base["awr"]], today=TODAY)
        other_id = other.id
    err = fails(
        db,
        T.create_session,
        course_id=base["dash"],
        session_date=date(2026, 12, 1),
        trainer_ids=[other_id],
        today=TODAY,
    )
    assert err.field == "trainers"
    assert "Bo Smith is not authorised to deliver DASH-2" in str(err)
    err = fails(
        db,
        T.create_session,
        course_id=base["dash"],
        session_date=date(2030, 6, 1),
        trainer_ids=[base["trainer"]],
        today=date(2028, 1, 1),
    )
    assert "authorisation ended on 31/03/2030" in str(err)
    err = fails(db, T.create_trainer, name="Bad", email="not an address", today=TODAY)
    assert err.field == "email"


def test_trainer_who_delivered_is_kept(db, base):
    with db.transaction() as s:
        T.create_session(
            s,
            course_id=base["awr"],
            session_date=date(2026, 12, 5),
            trainer_ids=[base["trainer"]],
            today=TODAY,
        )
    err = fails(db, T.delete_trainer, base["trainer"])
    assert "delivered 1 session(s)" in str(err)


# --------------------------------------------------------------------------- roles
def test_role_sector_defaults_to_the_agency_and_is_checked(db, base):
    with db.transaction() as s:
        role = T.create_role(s, name="PCSO", agency_id=base["police"])
        assert role.sector == "police"
        shared = T.create_role(s, name="Health visitor", sector="health")
        assert shared.agency_id is None
    err = fails(db, T.create_role, name="Mystery")
    assert err.field == "sector"
    err = fails(db, T.create_role, name="response OFFICER", agency_id=base["police"])
    assert "already a role 'response OFFICER' at Kent Police" in str(err)


def test_requirements_are_replaced_as_a_set(db, base):
    with db.transaction() as s:
        T.set_requirements(
            s, base["response"], course_ids=[base["dash"], base["dash"]], level_ids=[base["level3"]]
        )
        assert T.requirements_of(s, base["response"]) == ([base["dash"]], [base["level3"]])
        rows = {r.name: r for r in T.list_roles(s)}
        assert rows["Response officer"].requirements == "DASH-2, any level 3"
    with db.transaction() as s:
        T.update_course(s, base["marac"], active=False, today=TODAY)
    err = fails(db, T.set_requirements, base["response"], course_ids=[base["marac"]])
    assert "no longer offered" in str(err)


def test_role_held_by_trainees_cannot_go(db, base):
    add_trainee(db, base, "Sam Cole")
    err = fails(db, T.delete_role, base["response"])
    assert "1 trainee(s) hold the role" in str(err)
    err = fails(db, T.update_role, base["response"], agency_id=base["housing"])
    assert "at other agencies" in str(err)


# --------------------------------------------------------------------------- trainees
def test_trainee_in_two_agencies_is_refused_by_role(db, base):
    before = count(db, Trainee)
    err = fails(
        db, T.create_trainee, name="Sam Cole", agency_id=base["police"], role_id=base["options"]
    )
    assert err.field == "role_id"
    assert str(err).startswith(
        "The role 'Housing options officer' belongs to District Housing, but the trainee is at "
        "Kent Police; a person can be in one agency only."
    )
    assert count(db, Trainee) == before


def test_trainee_in_two_agencies_is_refused_by_email(db, base):
    add_trainee(db, base, "Sam Cole", email="sam.cole@example.org")
    err = fails(
        db,
        T.create_trainee,
        name="Samantha Cole",
        agency_id=base["housing"],
        role_id=base["options"],
        email="SAM.COLE@example.org",
    )
    assert err.field == "email"
    assert "belongs" not in str(err)
    assert "is the e-mail address of Sam Cole at Kent Police: a person can be in one agency" in str(
        err
    )
    err = fails(
        db, T.create_trainee, name="Sam C", agency_id=base["police"], email="sam.cole@example.org"
    )
    assert "already the e-mail address of Sam Cole at Kent Police" in str(err)


def test_duplicate_names_are_allowed_but_shown(db, base):
    first = add_trainee(db, base, "Jo Smith")
    with db.transaction() as s:
        result = T.create_trainee(
            s, name="jo smith", agency_id=base["housing"], role_id=base["options"]
        )
    assert len(result.warnings) == 1
    assert "already a trainee called jo smith at Kent Police as Response officer" in (
        result.warnings[0].message
    )
    add_trainee(db, base, "Ann Other")
    m = matrix(db)
    flags = {(r.name, r.agency): r.same_name for r in m.rows}
    assert flags == {
        ("Jo Smith", "Kent Police"): True,
        ("jo smith", "District Housing"): True,
        ("Ann Other", "Kent Police"): False,
    }
    with db.session() as s:
        groups = T.same_name_groups(s)
        assert [[r.agency for r in g] for g in groups] == [["District Housing", "Kent Police"]]
        assert {r.name: r.same_name for r in T.list_trainees(s)}["Ann Other"] == 0
    with db.transaction() as s:  # editing the first keeps the warning, saves the change
        again = T.update_trainee(s, first, email="jo@example.org")
        assert again.warnings and again.trainee.email == "jo@example.org"


def test_trainee_rules(db, base):
    assert fails(db, T.create_trainee, name="", agency_id=base["police"]).field == "name"
    assert fails(db, T.create_trainee, name="X", agency_id=None).field == "agency_id"
    assert fails(db, T.create_trainee, name="X" * 121, agency_id=base["police"]).field == "name"
    shared = None
    with db.transaction() as s:
        shared = T.create_role(s, name="Volunteer", sector="voluntary sector").id
        t = T.create_trainee(s, name="Any Agency", agency_id=base["housing"], role_id=shared)
        assert t.trainee.role_id == shared


def test_trainee_with_records_is_kept(db, base):
    trainee = add_trainee(db, base, "Sam Cole")
    completed(db, base, trainee, "awr", date(2026, 3, 1))
    err = fails(db, T.delete_trainee, trainee)
    assert "has 1 training record(s)" in str(err)
    with db.transaction() as s:
        T.update_trainee(s, trainee, active=False)
    assert matrix(db).rows == []
    assert [r.name for r in matrix(db, include_inactive=True).rows] == ["Sam Cole"]
    spare = add_trainee(db, base, "Typo Person")
    with db.transaction() as s:
        T.delete_trainee(s, spare)
    assert count(db, Trainee) == 1


def test_problems_found_after_a_merge(db, base):
    add_trainee(db, base, "Sam Cole", email="sam@example.org")
    with db.transaction() as s:  # as a merge of two copies could leave it
        s.add(Trainee(name="Sam Cole", agency_id=base["housing"], email="sam@example.org"))
        s.add(Trainee(name="Lee Ray", agency_id=base["housing"], role_id=base["response"]))
    with db.session() as s:
        problems = T.trainee_problems(s)
    assert len(problems) == 2
    assert problems[0].startswith("sam@example.org belongs to trainees at 2 agencies")
    assert "Lee Ray is at District Housing but holds the role 'Response officer'" in problems[1]


# --------------------------------------------------------------------------- sessions
def test_session_before_the_course_existed_is_refused(db, base):
    err = fails(
        db, T.create_session, course_id=base["awr"], session_date=date(2019, 12, 31), today=TODAY
    )
    assert err.field == "session_date"
    assert str(err) == (
        "The course AWR-1 was first offered on 01/01/2020; a session on 31/12/2019 would be "
        "before the course existed."
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("30/02/2026", "February 2026 has 28 days"),
        ("2026-13-01", "not a date in the form dd/mm/yyyy"),
        ("", "The session date is needed"),
        (date(2030, 1, 1), "more than 3 years ahead"),
    ],
)
def test_session_impossible_dates(db, base, value, words):
    err = fails(db, T.create_session, course_id=base["marac"], session_date=value, today=TODAY)
    assert err.field == "session_date"
    assert words in str(err)


@pytest.mark.parametrize("bad", [0, -3, 501, "lots", None])
def test_session_capacity_must_be_sensible(db, base, bad):
    err = fails(
        db,
        T.create_session,
        course_id=base["awr"],
        session_date=date(2026, 12, 1),
        capacity=bad,
        today=TODAY,
    )
    assert (err.field, str(err)) == (
        "capacity",
        "The capacity must be a whole number of places from 1 to 500.",
    )


def test_withdrawn_course_cannot_get_new_sessions(db, base):
    with db.transaction() as s:
        T.update_course(s, base["marac"], active=False, today=TODAY)
    err = fails(db, T.create_session, course_id=base["marac"], session_date=TODAY, today=TODAY)
    assert "no longer offered" in str(err)


def test_booking_over_capacity_is_refused_and_nothing_is_written(db, base):
    people = [add_trainee(db, base, f"Person {i}") for i in range(4)]
    with db.transaction() as s:
        sid = T.create_session(
            s, course_id=base["dash"], session_date=date(2026, 12, 10), capacity=3, today=TODAY
        ).id
        assert T.book_trainees(s, sid, people[:2], today=TODAY) == (2, [])
    err = fails(db, T.book_trainees, sid, people[2:], today=TODAY)
    assert err.field == "trainees"
    assert str(err) == (
        "The session of DASH-2 on 10/12/2026 has 3 places and 2 are taken, so 2 more cannot be "
        "added (at most 1). Raise its capacity or choose another session."
    )
    assert count(db, Attendance) == 2
    with db.transaction() as s:
        booked, already = T.book_trainees(s, sid, [people[0], people[2]], today=TODAY)
        assert (booked, already) == (1, ["Person 0"])
        T.record_attendance(s, sid, [T.AttendanceEntry(people[1], "cancelled")], today=TODAY)
        assert T.book_trainees(s, sid, [people[3]], today=TODAY) == (1, [])
    with db.session() as s:
        row = T.list_sessions(s)[0]
        assert (row.booked, row.cancelled, row.taken, row.places_left) == (3, 1, 3, 0)


def test_capacity_cannot_drop_below_places_taken(db, base):
    people = [add_trainee(db, base, f"Person {i}") for i in range(3)]
    with db.transaction() as s:
        sid = T.create_session(
            s, course_id=base["awr"], session_date=date(2026, 12, 10), capacity=5, today=TODAY
        ).id
        T.book_trainees(s, sid, people, today=TODAY)
    err = fails(db, T.update_session, sid, capacity=2, today=TODAY)
    assert "3 places on this session are taken" in str(err)
    err = fails(db, T.delete_session, sid)
    assert "3 trainee(s) are booked" in str(err)


def test_inactive_trainee_cannot_be_booked(db, base):
    trainee = add_trainee(db, base, "Left Already", active=False)
    with db.transaction() as s:
        sid = T.create_session(
            s, course_id=base["awr"], session_date=date(2026, 12, 10), today=TODAY
        ).id
    err = fails(db, T.book_trainees, sid, [trainee], today=TODAY)
    assert "no longer in post" in str(err)


def test_attendance_rules(db, base):
    trainee = add_trainee(db, base, "Sam Cole")
    with db.transaction() as s:
        future = T.create_session(
            s, course_id=base["dash"], session_date=date(2026, 12, 10), today=TODAY
        ).id
        past = T.create_session(
            s, course_id=base["dash"], session_date=date(2026, 10, 1), today=TODAY
        ).id
    err = fails(
        db, T.record_attendance, future, [T.AttendanceEntry(trainee, "attended")], today=TODAY
    )
    assert "has not happened yet" in str(err)
    err = fails(
        db,
        T.record_attendance,
        past,
        [T.AttendanceEntry(trainee, "attended", date(2026, 9, 30))],
        today=TODAY,
    )
    assert "completion date 30/09/2026 is before the session on 01/10/2026" in str(err)
    err = fails(
        db,
        T.record_attendance,
        past,
        [T.AttendanceEntry(trainee, "attended", TODAY + timedelta(days=1))],
        today=TODAY,
    )
    assert "is in the future" in str(err)
    err = fails(
        db,
        T.record_attendance,
        past,
        [T.AttendanceEntry(trainee, "did not attend", date(2026, 10, 1))],
        today=TODAY,
    )
    assert "so there is no completion date" in str(err)
    err = fails(db, T.record_attendance, past, [T.AttendanceEntry(trainee, "slept")], today=TODAY)
    assert "'slept' is not an attendance status" in str(err)
    assert count(db, Attendance) == 0
    with db.transaction() as s:
        assert (
            T.record_attendance(
                s, past, [T.AttendanceEntry(trainee, "attended", date(2026, 10, 3))], today=TODAY
            )
            == 1
        )
        assert (
            T.record_attendance(
                s, past, [T.AttendanceEntry(trainee, "attended", date(2026, 10, 3))], today=TODAY
            )
            == 0
        )
    err = fails(db, T.delete_session, past)
    assert "must be kept" in str(err)
    err = fails(db, T.update_session, past, session_date=date(2026, 12, 20), today=TODAY)
    assert "still to come" in str(err)
    err = fails(db, T.update_session, past, session_date=date(2026, 10, 5), today=TODAY)
    assert "completed this session on 03/10/2026" in str(err)


def test_attendance_recorded_over_capacity_is_refused(db, base):
    people = [add_trainee(db, base, f"Person {i}") for i in range(3)]
    with db.transaction() as s:
        sid = T.create_session(
            s, course_id=base["awr"], session_date=date(2026, 10, 1), capacity=2, today=TODAY
        ).id
    err = fails(
        db,
        T.record_attendance,
        sid,
        [T.AttendanceEntry(p, "attended") for p in people],
        today=TODAY,
    )
    assert "has 2 places and 0 are taken, so 3 more cannot be added" in str(err)
    assert count(db, Attendance) == 0


def test_attendance_before_the_course_existed_is_refused(db, base):
    trainee = add_trainee(db, base, "Sam Cole")
    with db.transaction() as s:
        sid = T.create_session(
            s, course_id=base["marac"], session_date=date(2018, 5, 1), today=TODAY
        ).id
        T.update_course(s, base["marac"], today=TODAY)
    # a later edit cannot put the course after its sessions
    fails(db, T.update_course, base["marac"], offered_from=date(2019, 1, 1), today=TODAY)
    with db.transaction() as s:
        s.get(Course, base["marac"]).offered_from = date(2019, 1, 1)  # as a merge could
    err = fails(db, T.record_attendance, sid, [T.AttendanceEntry(trainee, "attended")], today=TODAY)
    assert "MARAC-3 was first offered on 01/01/2019" in str(err)
    assert "before it existed" in str(err)


def test_remove_attendance(db, base):
    trainee = add_trainee(db, base, "Sam Cole")
    with db.transaction() as s:
        sid = T.create_session(
            s, course_id=base["awr"], session_date=date(2026, 12, 1), today=TODAY
        ).id
        T.book_trainees(s, sid, [trainee], today=TODAY)
        attendance_id = T.session_attendance(s, [sid])[sid][0].attendance_id
        T.remove_attendance(s, attendance_id)
        T.delete_session(s, sid)
    assert count(db, Attendance) == 0


# --------------------------------------------------------------------------- matrix
@pytest.mark.parametrize(
    ("days_left", "status"),
    [(61, "done"), (60, "expiring"), (1, "expiring"), (0, "expiring"), (-1, "expired")],
)
def test_status_boundaries_of_the_warning_window(days_left, status):
    due = TODAY + timedelta(days=days_left)
    done_on = date(due.year - 1, due.month, due.day)
    cell = T.cell_status(done_on, 12, TODAY, 60)
    assert cell.due == due
    assert cell.status == status


def test_status_without_refresher_missing_and_extra():
    assert T.cell_status(date(2001, 1, 1), None, TODAY, 60).status == "done"
    assert T.cell_status(date(2001, 1, 1), None, TODAY, 60).due is None
    assert T.cell_status(None, 12, TODAY, 60).status == "missing"
    assert T.cell_status(None, 12, TODAY, 60, required=False) is None
    extra = T.cell_status(date(2020, 1, 1), 12, TODAY, 60, required=False)
    assert (extra.status, extra.required, extra.text) == ("extra", False, "(✓ 01/01/2020)")
    # month arithmetic clamps to the month's end
    assert T.cell_status(date(2026, 1, 31), 1, TODAY, 0).due == date(2026, 2, 28)


def test_cells_are_marked_and_dated():
    cells = {
        s: T.cell_status(date(2026, 1, 10), m, TODAY, 60)
        for s, m in (("done", 36), ("expiring", 11), ("expired", 6))
    }
    assert cells["done"].text == "✓ 10/01/2026"
    assert cells["expiring"].text == "! 10/01/2026"
    assert cells["expired"].text == "✗ 10/01/2026"
    assert T.cell_status(None, 6, TODAY, 60).text == "–"
    assert "refresher was due 10/07/2026 (136 days ago)" in cells["expired"].describe(TODAY)


def test_warning_window_setting(db, base):
    trainee = add_trainee(db, base, "Sam Cole")
    completed(db, base, trainee, "dash", TODAY - timedelta(days=365) + timedelta(days=45))
    assert matrix(db).cell(trainee, base["dash"]).status == "expiring"
    with db.transaction() as s:
        assert T.set_warning_days(s, "30") == 30
    assert matrix(db).cell(trainee, base["dash"]).status == "done"
    with db.session() as s:
        assert T.warning_days(s) == 30
    for bad in (-1, 366, "soon"):
        err = fails(db, T.set_warning_days, bad)
        assert err.field == "warning_days"


def test_matrix_columns_rows_and_cells(db, base):
    sam = add_trainee(db, base, "Sam Cole")
    ana = add_trainee(db, base, "Ana Bell", agency="housing", role="options")
    nobody = add_trainee(db, base, "No Role", role=None)
    completed(db, base, sam, "awr", date(2024, 3, 15))
    completed(db, base, sam, "dash", date(2025, 1, 5))  # expired 05/01/2026
    completed(db, base, ana, "marac", date(2021, 2, 2))  # never stale; satisfies "any level 3"
    completed(db, base, ana, "dash", date(2026, 10, 1))  # not required: extra
    m = matrix(db)
    assert [c.code for c in m.columns] == ["AWR-1", "DASH-2", "L3", "MARAC-3"]
    assert m.columns[2].title == "Any level 3 course (MARAC and specialist practice)"
    assert [r.name for r in m.rows] == ["Ana Bell", "No Role", "Sam Cole"]  # by agency, name
    text = {r.name: [c.text if c else "" for c in m.cells[i]] for i, r in enumerate(m.rows)}
    assert text["Sam Cole"] == ["✓ 15/03/2024", "✗ 05/01/2025", "", ""]
    assert text["Ana Bell"] == ["–", "(✓ 01/10/2026)", "✓ 02/02/2021", "(✓ 02/02/2021)"]
    assert text["No Role"] == ["", "", "", ""]
    assert m.cell(nobody, base["awr"]) is None
    only = matrix(db, agency_id=base["housing"])
    assert [r.name for r in only.rows] == ["Ana Bell"]
    assert [r.name for r in matrix(db, sector="police").rows] == ["No Role", "Sam Cole"]
    assert [r.name for r in matrix(db, role_id=base["response"]).rows] == ["Sam Cole"]


def test_level_requirement_takes_the_longest_valid_course(db, base):
    with db.transaction() as s:
        other = T.create_course(
            s,
            code="DV-3B",
            title="Specialist refresher",
            level_id=base["level3"],
            refresher_months=12,
            today=TODAY,
        ).id
        base["other"] = other
        T.set_trainer_courses(s, base["trainer"], [base["awr"], base["dash"], base["marac"], other])
    ana = add_trainee(db, base, "Ana Bell", agency="housing", role="options")
    completed(db, base, ana, "other", date(2026, 9, 1))
    cell = matrix(db).cell(ana, f"level:{base['level3']}")
    assert (cell.status, cell.completed, cell.due) == ("done", date(2026, 9, 1), date(2027, 9, 1))
    completed(db, base, ana, "marac", date(2019, 6, 1))  # older, but never goes stale
    cell = matrix(db).cell(ana, f"level:{base['level3']}")
    assert (cell.status, cell.completed, cell.due) == ("done", date(2019, 6, 1), None)


def test_only_the_latest_completion_counts(db, base):
    sam = add_trainee(db, base, "Sam Cole")
    completed(db, base, sam, "dash", date(2024, 3, 1))
    completed(db, base, sam, "dash", date(2026, 3, 1))
    assert matrix(db).cell(sam, base["dash"]).completed == date(2026, 3, 1)


def test_matrix_uses_a_fixed_number_of_queries(db, base):
    def statements(n_trainees: int) -> int:
        people = [add_trainee(db, base, f"Bulk {n_trainees}-{i}") for i in range(n_trainees)]
        for p in people:
            completed(db, base, p, "awr", date(2026, 2, 1))
        seen = []

        def record(*_args):
            seen.append(1)

        with db.session() as s:
            engine = s.get_bind()
            event.listen(engine, "before_cursor_execute", record)
            try:
                T.training_matrix(s, TODAY)
            finally:
                event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    few = statements(2)
    many = statements(25)
    assert few == many
    assert many <= 6


# --------------------------------------------------------------------------- compliance
def test_compliance_by_agency_sector_course_and_overall(db, base):
    sam = add_trainee(db, base, "Sam Cole")
    lee = add_trainee(db, base, "Lee Ray")
    ana = add_trainee(db, base, "Ana Bell", agency="housing", role="options")
    completed(db, base, sam, "awr", date(2026, 1, 1))
    completed(db, base, sam, "dash", date(2026, 6, 1))
    completed(db, base, lee, "awr", date(2022, 1, 1))  # expired 01/01/2025
    completed(db, base, ana, "awr", date(2024, 1, 1))
    m = matrix(db)
    agencies = T.compliance_by_agency(m)
    assert [(c.name, c.required, c.compliant, c.percent) for c in agencies] == [
        ("District Housing", 2, 1, 50.0),
        ("Kent Police", 4, 2, 50.0),
    ]
    police = agencies[1]
    assert (police.done, police.expiring, police.expired, police.missing) == (2, 0, 1, 1)
    assert police.compliant_trainees == 1
    sectors = T.compliance_by_sector(m)
    assert [(c.name, c.percent) for c in sectors] == [("housing", 50.0), ("police", 50.0)]
    overall = T.compliance_overall(m)
    assert (overall.trainees, overall.required, overall.percent) == (3, 6, 50.0)
    by_course = {c.name.split(" ")[0]: c for c in T.compliance_by_column(m)}
    assert by_course["AWR-1"].required == 3 and by_course["AWR-1"].expired == 1
    assert by_course["L3"].missing == 1
    empty = T.compliance_overall(matrix(db, agency_id="none"))
    assert empty.percent is None


def test_expiring_list(db, base):
    sam = add_trainee(db, base, "Sam Cole")
    lee = add_trainee(db, base, "Lee Ray")
    completed(db, base, sam, "dash", date(2025, 12, 20))  # due 20/12/2026: 27 days
    completed(db, base, lee, "dash", date(2026, 1, 10))  # due 10/01/2027: 48 days
    completed(db, base, lee, "awr", date(2023, 1, 1))  # expired 01/01/2026
    with db.session() as s:
        rows = T.expiring(s, TODAY)
    assert [(r.name, r.code, r.days_left) for r in rows] == [
        ("Sam Cole", "DASH-2", 27),
        ("Lee Ray", "DASH-2", 48),
    ]
    assert [r.name for r in T.expiring_list(matrix(db), 30)] == ["Sam Cole"]
    everything = T.expiring_list(matrix(db), include_expired=True)
    assert [(r.code, r.status) for r in everything][0] == ("AWR-1", "expired")


# --------------------------------------------------------------------------- sessions, history
def test_sessions_capacity_warnings(db, base):
    people = [add_trainee(db, base, f"Person {i}") for i in range(10)]
    with db.transaction() as s:
        full = T.create_session(
            s, course_id=base["awr"], session_date=date(2027, 1, 5), capacity=3, today=TODAY
        ).id
        T.book_trainees(s, full, people[:3], today=TODAY)
        nearly = T.create_session(
            s, course_id=base["dash"], session_date=date(2027, 1, 6), capacity=10, today=TODAY
        ).id
        T.book_trainees(s, nearly, people[:9], today=TODAY)
        thin = T.create_session(
            s, course_id=base["marac"], session_date=date(2026, 12, 1), capacity=10, today=TODAY
        ).id
        T.book_trainees(s, thin, people[:2], today=TODAY)
        open_past = T.create_session(
            s, course_id=base["marac"], session_date=date(2026, 11, 1), capacity=10, today=TODAY
        ).id
        T.book_trainees(s, open_past, people[:1], today=TODAY)
        over = T.create_session(
            s, course_id=base["awr"], session_date=date(2026, 10, 1), capacity=1, today=TODAY
        ).id
        for p in people[:2]:  # as two merged copies could leave it
            s.add(Attendance(session_id=over, trainee_id=p, status="attended"))
    with db.session() as s:
        warnings = T.capacity_warnings(s, TODAY)
    found = {w.session_id: (w.severity, w.message) for w in warnings}
    assert found[over] == ("alert", "Over capacity: 2 places taken of 1.")
    assert found[full] == ("info", "Full (3 places).")
    assert found[nearly] == ("info", "Nearly full: 1 of 10 places left.")
    assert found[thin] == ("warning", "Under-booked: 2 of 10 places taken, 8 days to go.")
    assert found[open_past] == ("warning", "1 booking(s) still to be marked attended or not.")
    assert warnings[0].severity == "alert"


def test_list_sessions_period_and_attendance(db, base):
    sam = add_trainee(db, base, "Sam Cole")
    completed(db, base, sam, "awr", date(2026, 4, 2))
    completed(db, base, sam, "dash", date(2026, 3, 30))
    with db.session() as s:
        rows = T.list_sessions(s, date(2026, 4, 1), date(2027, 3, 31))
        assert [r.code for r in rows] == ["AWR-1"]
        assert rows[0].attended == 1
        attendance = T.session_attendance(s, [r.session_id for r in rows])
        assert [a.name for a in attendance[rows[0].session_id]] == ["Sam Cole"]
        with pytest.raises(ValidationError):
            T.list_sessions(s, date(2027, 1, 1), date(2026, 1, 1))


def test_cell_history_and_booking_choices(db, base):
    sam = add_trainee(db, base, "Sam Cole")
    completed(db, base, sam, "dash", date(2025, 2, 1))
    completed(db, base, sam, "dash", date(2026, 1, 10))
    with db.transaction() as s:
        upcoming = T.create_session(
            s,
            course_id=base["dash"],
            session_date=date(2027, 1, 12),
            venue="Police HQ",
            today=TODAY,
        ).id
        T.create_session(s, course_id=base["awr"], session_date=date(2027, 1, 13), today=TODAY)
    with db.session() as s:
        history = T.cell_history(s, sam, base["dash"], TODAY)
        assert history.cell.status == "expiring"
        assert [r.session_date for r in history.records] == [date(2026, 1, 10), date(2025, 2, 1)]
        assert history.records[0].due == date(2027, 1, 10)
        choices = T.sessions_for_booking(s, base["dash"], TODAY)
        assert [c.session_id for c in choices] == [upcoming]
        level = T.sessions_for_booking(s, f"level:{base['level2']}", TODAY)
        assert [c.session_id for c in level] == [upcoming]


def test_dashboard_tiles(db, base):
    with db.session() as s:
        assert T.dashboard_tiles(s, TODAY) == []
    sam = add_trainee(db, base, "Sam Cole")
    add_trainee(db, base, "Ana Bell", agency="housing", role="options")
    completed(db, base, sam, "awr", date(2026, 10, 1))
    completed(db, base, sam, "dash", date(2025, 12, 20))
    with db.session() as s:
        tiles = {t.key: t for t in T.dashboard_tiles(s, TODAY)}
    compliance = tiles["training.compliance"]
    assert compliance.value == "50.0%"
    assert compliance.lines == ("District Housing – 0.0%", "Kent Police – 100.0%")
    assert compliance.severity == "alert"
    assert tiles["training.expiring"].value == "1"
    assert tiles["training.expiring"].lines == ("Sam Cole (Kent Police) – DASH-2 due 20/12/2026",)
    quarter = tiles["training.sessions_quarter"]
    assert quarter.title == "Training sessions 2026/27 Q3"
    assert quarter.value == "1"
    assert all(t.view == "training" for t in tiles.values())


def test_who_needs_a_course(db, base):
    sam = add_trainee(db, base, "Sam Cole")
    lee = add_trainee(db, base, "Lee Ray")
    ana = add_trainee(db, base, "Ana Bell", agency="housing", role="options")
    completed(db, base, sam, "dash", date(2025, 12, 20))  # expiring
    completed(db, base, lee, "dash", date(2026, 9, 1))  # done
    completed(db, base, ana, "marac", date(2021, 1, 1))  # level 3 met for good
    with db.session() as s:
        assert T.who_needs(s, base["dash"], TODAY) == {sam: "expiring"}
        assert T.who_needs(s, base["awr"], TODAY) == {
            sam: "missing",
            lee: "missing",
            ana: "missing",
        }
        assert T.who_needs(s, base["marac"], TODAY) == {}
