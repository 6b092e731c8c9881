"""Computed indicators against hand-counted fixtures, built through each area's own
services: alarms issued and loans open, sanctuary installations and median days,
training sessions delivered and people trained, milestones completed on time."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dvcoord.services import alarms as A
from dvcoord.services import indicators as I
from dvcoord.services import milestones as ms
from dvcoord.services import plans as ps
from dvcoord.store.schema.plans import Agency

TODAY = date(2014, 5, 20)


def quarters(first: str, last: str) -> list[I.Period]:
    return I.periods_between(I.parse_period(first), I.parse_period(last))


def months(first: str, last: str) -> list[I.Period]:
    return I.periods_between(I.parse_period(first), I.parse_period(last))


def computed(db, key: str, periods: list[I.Period], today: date = TODAY) -> list[int | None]:
    with db.transaction() as s:
        ind = I.create_indicator(s, computed_key=key, period=periods[0].kind)
    with db.session() as s:
        return [p.value for p in I.series(s, ind.id, periods, today)]


def whole(values):
    return [None if v is None else v // 100 for v in values]


@pytest.fixture
def agency(db):
    with db.transaction() as s:
        row = Agency(name="Kent Police", short_name="Police", sector="police")
        s.add(row)
        s.flush()
        return row.id


# --------------------------------------------------------------------------- alarms
@pytest.fixture
def loans(db, agency):
    """Loans (issued -> returned):
    WK-1  10/05/2013 -> 20/08/2013, then 05/09/2013 -> 15/01/2014
    WK-2  01/06/2013 -> 01/12/2013
    WK-3  01/02/2014 -> still out
    """
    with db.transaction() as s:
        kind = A.create_alarm_type(s, name="Pendant", test_interval_days=90)
        ids = [
            A.create_alarm(
                s,
                asset_tag=f"WK-{n}",
                type_id=kind.id,
                purchase_date=date(2013, 1, 1),
                today=date(2013, 1, 1),
            ).id
            for n in (1, 2, 3)
        ]

        def issue(alarm, on, ref):
            A.issue_alarm(
                s, alarm_id=alarm, case_reference=ref, agency_id=agency, issued_date=on, today=on
            )

        def back(alarm, on):
            A.return_alarm(s, alarm_id=alarm, returned_date=on, today=on)

        issue(ids[0], date(2013, 5, 10), "KP-DA-2013-001")
        issue(ids[1], date(2013, 6, 1), "KP-DA-2013-002")
        back(ids[0], date(2013, 8, 20))
        issue(ids[0], date(2013, 9, 5), "KP-DA-2013-003")
        back(ids[1], date(2013, 12, 1))
        back(ids[0], date(2014, 1, 15))
        issue(ids[2], date(2014, 2, 1), "KP-DA-2014-004")
    return ids


def test_alarms_issued_per_quarter(db, loans):
    values = computed(db, "alarms.issued", quarters("2012/13 Q4", "2014/15 Q2"))
    # Q4 12/13, Q1-Q4 13/14, Q1 14/15 (under way: counted to today), Q2 (not started)
    assert whole(values) == [0, 2, 1, 0, 1, 0, None]


def test_loans_open_at_the_end_of_each_month(db, loans):
    values = computed(db, "alarms.loans_open", months("2013-04", "2014-06"))
    assert whole(values) == [
        0,  # Apr 2013
        1,  # May: WK-1
        2,  # Jun: WK-1, WK-2
        2,  # Jul
        1,  # Aug: WK-1 back on the 20th
        2,  # Sep: WK-1 out again
        2,  # Oct
        2,  # Nov
        1,  # Dec: WK-2 back on the 1st
        0,  # Jan 2014: WK-1 back on the 15th
        1,  # Feb: WK-3
        1,  # Mar
        1,  # Apr
        1,  # May 2014, as at today
        None,  # Jun 2014 has not started
    ]


# --------------------------------------------------------------------------- sanctuary
def test_sanctuary_installations_and_median_days(db, agency):
    S = pytest.importorskip("dvcoord.services.sanctuary")
    with db.transaction() as s:
        S.ensure_catalogue(s)
        door = next(i.id for i in S.catalogue(s) if i.kind == "reinforced door")
        firm = S.create_contractor(s, name="Demo Locks Ltd", trade="locksmith")

        def installed(ref: str, referred: date, days: int) -> None:
            case = S.create_case(
                s,
                reference=ref,
                agency_id=agency,
                referral_date=referred,
                tenure="owner-occupier",
                risk_level="high",
                consent=True,
                consent_on=referred,
                survey_on=referred + timedelta(days=1),
                survey_officer="PC 1187",
                perpetrator_gone=True,
                perpetrator_gone_on=referred,
                today=TODAY,
            ).case
            S.move_stage(s, case.id, "assessed", referred + timedelta(days=1), today=TODAY)
            S.move_stage(s, case.id, "approved", referred + timedelta(days=2), today=TODAY)
            S.move_stage(s, case.id, "works ordered", referred + timedelta(days=3), today=TODAY)
            on = referred + timedelta(days=days)
            S.record_measure(
                s,
                case_id=case.id,
                item_id=door,
                quantity=1,
                unit_cost_pence=30000,
                fitted_on=on,
                contractor_id=firm.id,
                today=TODAY,
            )
            S.move_stage(s, case.id, "installed", on, today=TODAY)

        # Q1 2013/14: installed after 10, 20 and 45 days; Q2: after 31 and 12 days
        installed("SS-1", date(2013, 4, 2), 10)
        installed("SS-2", date(2013, 4, 10), 20)
        installed("SS-3", date(2013, 4, 15), 45)
        installed("SS-4", date(2013, 7, 1), 31)
        installed("SS-5", date(2013, 9, 1), 12)
        S.create_case(  # referred, never installed: counts for neither
            s,
            reference="SS-6",
            agency_id=agency,
            referral_date=date(2013, 5, 1),
            tenure="owner-occupier",
            today=TODAY,
        )
    span = quarters("2013/14 Q1", "2013/14 Q3")
    assert whole(computed(db, "sanctuary.installations", span)) == [3, 2, 0]
    median = computed(db, "sanctuary.median_days", span)
    assert median == [2000, 2150, None]  # 20 days; (12 + 31) / 2 = 21.5 days; none


# --------------------------------------------------------------------------- training
def test_training_sessions_delivered_and_people_trained(db, agency):
    T = pytest.importorskip("dvcoord.services.training")
    with db.transaction() as s:
        housing = Agency(name="District Council Housing", short_name="Housing", sector="housing")
        s.add(housing)
        s.flush()
        T.seed_default_lists(s)
        level = T.list_levels(s)[0]
        course = T.create_course(
            s, code="DA-1", title="Domestic abuse awareness", level_id=level.id, today=TODAY
        )
        people = [
            T.create_trainee(s, name=f"Officer {n}", agency_id=a).trainee.id
            for n, a in enumerate((agency, agency, housing.id, housing.id))
        ]

        def held(on: date, attended: list[int], missed: list[int] = ()) -> None:
            sess = T.create_session(s, course_id=course.id, session_date=on, today=TODAY)
            entries = [T.AttendanceEntry(people[i], "attended") for i in attended]
            entries += [T.AttendanceEntry(people[i], "did not attend") for i in missed]
            if entries:
                T.record_attendance(s, sess.id, entries, today=TODAY)

        held(date(2013, 4, 20), [0, 1])  # Q1
        held(date(2013, 6, 3), [1, 2], [3])  # Q1: person 1 again
        held(date(2013, 6, 30), [], [0])  # Q1: nobody came -> not delivered
        held(date(2013, 8, 14), [3])  # Q2
        held(date(2013, 12, 1), [])  # Q3: planned, no attendance recorded
    span = quarters("2013/14 Q1", "2013/14 Q3")
    assert whole(computed(db, "training.sessions", span)) == [2, 1, 0]
    assert whole(computed(db, "training.people", span)) == [3, 1, 0]


# --------------------------------------------------------------------------- milestones
def test_milestones_completed_on_time(db):
    with db.transaction() as s:
        plan = ps.create_plan(s, title="DA plan 2013/14", plan_from_fy=2013, plan_to_fy=2013)
        theme = ps.create_theme(s, plan.id, title="Safety", code="1")
        action = ps.create_action(s, theme.id, reference="1.1", text="Helpline")

        def milestone(text: str, due: str, done: date | None = None, dropped: bool = False):
            row = ms.create_milestone(s, action.id, text=text, due_text=due)
            if done is not None:
                ms.complete_milestone(s, row.id, done)
            if dropped:
                ms.update_milestone(s, row.id, status="dropped")

        # Q1: 3 due (one done early, one late, one still open) -> 1 of 3 on time
        milestone("a", "30/04/2013", date(2013, 4, 28))
        milestone("b", "31/05/2013", date(2013, 6, 10))
        milestone("c", "30/06/2013")
        milestone("d", "15/06/2013", dropped=True)  # left out
        # Q2: 2 due, both on the day -> 100%
        milestone("e", "July 2013", date(2013, 7, 31))
        milestone("f", "30/09/2013", date(2013, 9, 30))
        # Q3: nothing due -> no value
    values = computed(db, "plans.milestones_on_time", quarters("2013/14 Q1", "2013/14 Q3"))
    assert values == [3330, 10000, None]
    with db.session() as s:
        judged = {r.computed_key: r for r in I.indicator_rows(s, date(2013, 10, 5))}
        later = {r.computed_key: r for r in I.indicator_rows(s, date(2014, 1, 5))}
    # the latest figure is the last *complete* quarter's (Q3 is under way on 05/10/2013)
    row = judged["plans.milestones_on_time"]
    assert (row.latest.key, row.value_text, row.status) == ("2013/14 Q2", "100.0%", I.NO_TARGET)
    # in Q4 the last complete quarter is Q3, when nothing was due: no data
    row = later["plans.milestones_on_time"]
    assert (row.latest.key, row.value, row.status) == ("2013/14 Q3", None, I.NO_DATA)


def test_every_computed_indicator_is_offered():
    assert set(I.COMPUTED) == {
        "alarms.issued",
        "alarms.loans_open",
        "sanctuary.installations",
        "sanctuary.median_days",
        "training.sessions",
        "training.people",
        "plans.milestones_on_time",
    }
    assert all(spec.unit in I.UNITS for spec in I.computed_choices())


def test_an_unknown_calculation_from_a_newer_file_shows_no_data(db):
    from dvcoord.store.schema.indicators import Indicator

    with db.transaction() as s:
        s.add(Indicator(name="From a newer dvcoord", computed_key="future.thing", unit="count"))
    with db.session() as s:
        (row,) = I.indicator_rows(s, TODAY)
    assert row.status == I.NO_DATA and row.source_text == "Computed (not available)"
