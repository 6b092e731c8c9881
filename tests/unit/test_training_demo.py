"""The demo training programme: clearly fictional, every topic and level, a dozen roles
across the sectors, about 150 trainees, two years of sessions, every matrix status."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from dvcoord.demo import training as demo
from dvcoord.services import training as T

TODAY = date(2026, 11, 23)  # the conftest builds the demo as of this day


def test_demo_runs_after_the_plans_and_before_the_alarms():
    assert demo.ORDER == 20


def test_lists_courses_and_roles(demo_db):
    with demo_db.session() as s:
        assert [lvl.number for lvl in T.list_levels(s)] == [1, 2, 3]
        assert [t.name for t in T.list_topics(s)] == list(T.DEFAULT_TOPICS)
        courses = T.list_courses(s)
        assert len(courses) == 14
        assert {c.topic for c in courses} == set(T.DEFAULT_TOPICS)
        assert {c.level_number for c in courses} == {1, 2, 3}
        roles = T.list_roles(s)
        assert len(roles) == 12
        sectors = {r.sector for r in roles}
        for sector in ("police", "housing", "health", "education"):
            assert sector in sectors
        assert sectors & {"children's social care", "adult social care"}
        assert any(r.level_ids for r in roles)  # a level requirement
        trainers = T.list_trainers(s)
        assert len(trainers) == 8
        assert all(t.email.endswith("@example.net") for t in trainers)


def test_trainees_are_fictional_and_one_name_is_shared(demo_db):
    with demo_db.session() as s:
        trainees = T.list_trainees(s)
        groups = T.same_name_groups(s)
    assert 140 <= len(trainees) <= 160
    assert sum(1 for t in trainees if not t.active) == 6
    assert all(t.email == "" or t.email.endswith("@example.org") for t in trainees)
    assert len(groups) == 1
    assert len({t.agency for t in groups[0]}) == 2


def test_two_years_of_sessions_and_some_to_come(demo_db):
    with demo_db.session() as s:
        sessions = T.list_sessions(s)
        warnings = T.capacity_warnings(s, TODAY)
    assert len(sessions) > 100
    assert min(r.session_date for r in sessions) >= TODAY - timedelta(days=731)
    assert min(r.session_date for r in sessions) <= TODAY - timedelta(days=600)
    future = [r for r in sessions if r.session_date > TODAY]
    assert future and all(r.booked for r in future)
    assert sum(r.attended for r in sessions) > 300
    assert sum(r.did_not_attend for r in sessions) > 0
    assert sum(r.cancelled for r in sessions) > 0
    assert {w.message.split(":")[0] for w in warnings} >= {"Under-booked", "Nearly full"}


def test_every_status_is_in_the_matrix(demo_db):
    with demo_db.session() as s:
        matrix = T.training_matrix(s, TODAY)
    statuses = Counter(c.status for row in matrix.cells for c in row if c is not None)
    for status in ("done", "expiring", "expired", "missing", "extra"):
        assert statuses[status] > 0, status
    assert statuses["done"] > statuses["missing"] > 0
    percent = T.compliance_overall(matrix).percent
    assert 60 < percent < 100
