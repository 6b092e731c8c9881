"""BVPI 225: the score formula for every number of yes answers, saving and reading an
assessment, bad input, and what dvcoord's own records say about questions 7 and 11."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dvcoord.errors import ValidationError
from dvcoord.services import bvpi225 as B
from dvcoord.services.dashboard import collect
from dvcoord.store import Database
from dvcoord.store.schema.indicators import Bvpi225Answer, Bvpi225Assessment
from dvcoord.store.schema.plans import Agency

TODAY = date(2014, 5, 20)
FY = 2013


@pytest.mark.parametrize(
    ("yes", "expected"),
    [
        (0, "0.0"),
        (1, "9.1"),
        (2, "18.2"),
        (3, "27.3"),
        (4, "36.4"),
        (5, "45.5"),
        (6, "54.5"),
        (7, "63.6"),
        (8, "72.7"),
        (9, "81.8"),
        (10, "90.9"),
        (11, "100.0"),
    ],
)
def test_score_is_yes_over_eleven_times_100_to_one_decimal(yes, expected):
    assert B.score_text(yes) == expected
    assert B.score(yes) == Decimal(expected)
    assert B.score(yes).as_tuple().exponent == -1  # always one decimal place


@pytest.mark.parametrize("bad", [-1, 12, 5.0, True, "5"])
def test_score_refuses_impossible_counts(bad):
    with pytest.raises(ValueError):
        B.score(bad)


def test_eleven_questions_fully_phrased():
    assert [q.number for q in B.QUESTIONS] == list(range(1, 12))
    for q in B.QUESTIONS:
        assert q.text.endswith("?") and len(q.text) > 60
    assert "10,000" in B.QUESTIONS[1].text
    assert "four times a year" in B.QUESTIONS[4].text
    assert "Sanctuary" in B.QUESTIONS[6].text
    assert "housing, social services, education, health and the police" in B.QUESTIONS[10].text


def answers(
    yes: set[int], evidence: bool = True, on: date = date(2014, 3, 1)
) -> list[B.AnswerInput]:
    return [
        B.AnswerInput(
            n,
            "yes" if n in yes else "no",
            f"Evidence for {n}" if evidence and n in yes else "",
            on if n in yes else None,
        )
        for n in range(1, 12)
    ]


def test_save_and_read_back(db):
    with db.transaction() as s:
        result = B.save_assessment(
            s,
            FY,
            answers=answers({1, 3, 4, 5, 7}),
            officer="Demo Co-ordinator",
            assessed_on=date(2014, 4, 10),
            today=TODAY,
        )
    assert result.yes_count == 5 and str(result.score) == "45.5" and not result.warnings
    with db.session() as s:
        view = B.assessment_view(s, FY, TODAY)
    assert view.exists and view.label == "2013/14" and view.officer == "Demo Co-ordinator"
    assert view.yes_count == 5 and view.answered == 11 and str(view.score) == "45.5"
    assert view.answers[0].evidence == "Evidence for 1"
    assert view.answers[0].evidence_date == date(2014, 3, 1)
    assert view.answers[1].answer_label == "No"
    # saving again changes answers in place (one row per question)
    with db.transaction() as s:
        again = B.save_assessment(
            s, FY, answers=answers(set(range(1, 12)), evidence=False), today=TODAY
        )
    assert again.yes_count == 11 and str(again.score) == "100.0"
    assert len(again.warnings) == 11 and "without any evidence" in again.warnings[0]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Bvpi225Answer)) == 11
        assert s.scalar(select(func.count()).select_from(Bvpi225Assessment)) == 1
        assert B.assessed_years(s) == [(FY, 11)]


def test_an_unsaved_year_reads_as_blank(db):
    with db.session() as s:
        view = B.assessment_view(s, 2016, TODAY)
    assert not view.exists and view.yes_count == 0 and view.answered == 0
    assert all(a.answer_label == "Not answered" for a in view.answers)


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"answers": [B.AnswerInput(3, "maybe")]}, "q3.answer", "with yes or no"),
        ({"answers": [B.AnswerInput(12, "yes")]}, "question", "no question 12"),
        ({"answers": [B.AnswerInput(2, "yes"), B.AnswerInput(2, "no")]}, "q2.answer", "twice"),
        (
            {"answers": [B.AnswerInput(4, "yes", "x", TODAY + timedelta(days=1))]},
            "q4.evidence_date",
            "cannot be in the future",
        ),
        ({"answers": [B.AnswerInput(5, "yes", "e" * 10_001)]}, "q5.evidence", "10,000"),
        ({"answers": [], "assessed_on": date(2013, 3, 31)}, "assessed_on", "before the year"),
        ({"answers": [], "assessed_on": TODAY + timedelta(days=3)}, "assessed_on", "future"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(db, kwargs, field, words):
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        B.save_assessment(s, FY, today=TODAY, **kwargs)
    assert err.value.field == field
    assert words in str(err.value)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Bvpi225Assessment)) == 0


def test_a_year_out_of_range_is_refused(db):
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        B.save_assessment(s, 1850, answers=[], today=TODAY)
    assert err.value.field == "financial_year"


def test_the_same_year_has_the_same_rows_in_every_database(db, tmp_path):
    other = Database.create(tmp_path / "other.sqlite", user="Other")
    try:
        ids = []
        for database in (db, other):
            with database.transaction() as s:
                ids.append(
                    B.save_assessment(s, FY, answers=answers({1}), today=TODAY).assessment.id
                )
        assert ids[0] == ids[1] == B.assessment_id(FY)
    finally:
        other.close()


def test_delete_and_save_again(db):
    with db.transaction() as s:
        B.save_assessment(s, FY, answers=answers({1, 2}), today=TODAY)
        assert B.delete_assessment(s, FY)
        assert not B.delete_assessment(s, FY)
    with db.session() as s:
        assert not B.assessment_view(s, FY, TODAY).exists
        assert B.assessed_years(s) == []
    with db.transaction() as s:
        again = B.save_assessment(s, FY, answers=answers({3}), today=TODAY)
    assert again.yes_count == 1


# --------------------------------------------------------------------------- question 7
def _install(s, S, agency_id, ref, referred, days, door, firm):
    case = S.create_case(
        s,
        reference=ref,
        agency_id=agency_id,
        referral_date=referred,
        tenure="owner-occupier",
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
        unit_cost_pence=20000,
        fitted_on=on,
        contractor_id=firm,
        today=TODAY,
    )
    S.move_stage(s, case.id, "installed", on, today=TODAY)


def test_question_7_shows_the_sanctuary_records_of_the_year(db):
    S = pytest.importorskip("dvcoord.services.sanctuary")
    with db.transaction() as s:
        police = Agency(name="Kent Police", sector="police")
        s.add(police)
        s.flush()
        S.ensure_catalogue(s)
        door = next(i.id for i in S.catalogue(s) if i.kind == "reinforced door")
        firm = S.create_contractor(s, name="Demo Locks Ltd").id
        _install(s, S, police.id, "SS-1", date(2013, 3, 1), 20, door, firm)  # 21/03/2013: 12/13
        _install(s, S, police.id, "SS-2", date(2013, 6, 1), 20, door, firm)  # 2013/14
        _install(s, S, police.id, "SS-3", date(2014, 3, 20), 15, door, firm)  # 04/04/2014: 14/15
        S.create_case(
            s,
            reference="SS-4",
            agency_id=police.id,
            referral_date=date(2013, 11, 1),
            tenure="owner-occupier",
            today=TODAY,
        )
    with db.session() as s:
        q7 = B.data_check(s, 7, FY, assessed_on=None, today=TODAY)
        assert q7.suggests == "yes"
        assert (
            q7.text == "1 home had Sanctuary measures installed in 2013/14 (3 referrals received)."
        )
        none = B.data_check(s, 7, 2015, assessed_on=None, today=date(2016, 5, 1))
        assert (
            none.suggests == "no" and "No Sanctuary Scheme case is recorded in 2015/16" in none.text
        )
    with db.transaction() as s:
        B.save_assessment(s, FY, answers=[B.AnswerInput(7, "no")], today=TODAY)
    with db.session() as s:
        view = B.assessment_view(s, FY, TODAY)
        q = view.answers[6]
        assert q.data is not None and q.disagrees
        assert view.answers[0].data is None  # only 7 and 11 are checked


# --------------------------------------------------------------------------- question 11
def test_question_11_counts_sectors_trained_in_the_twelve_months(db):
    T = pytest.importorskip("dvcoord.services.training")
    with db.transaction() as s:
        agencies = {}
        for name, sector in (
            ("Kent Police", "police"),
            ("District Council", "council"),
            ("Victim Support", "voluntary sector"),
            ("KCC Children's Social Care", "children's social care"),
        ):
            row = Agency(name=name, sector=sector)
            s.add(row)
            s.flush()
            agencies[sector] = row.id
        T.seed_default_lists(s)
        level = T.list_levels(s)[0]
        course = T.create_course(s, code="DA-1", title="Awareness", level_id=level.id, today=TODAY)
        housing_role = T.create_role(
            s, name="Housing options officer", agency_id=None, sector="housing"
        ).id

        def person(name: str, sector: str, role: str | None = None) -> str:
            return T.create_trainee(
                s, name=name, agency_id=agencies[sector], role_id=role
            ).trainee.id

        pc = person("PC One", "police")
        council_housing = person("Housing Officer", "council", housing_role)  # role: housing
        council_other = person("Clerk", "council")  # council: not one of the five
        vs = person("Caseworker", "voluntary sector")
        social = person("Social Worker", "children's social care")

        def held(on: date, who: list[str]) -> None:
            sess = T.create_session(s, course_id=course.id, session_date=on, today=TODAY)
            T.record_attendance(
                s, sess.id, [T.AttendanceEntry(t, "attended") for t in who], today=TODAY
            )

        held(date(2013, 2, 1), [social])  # before the window for 2013/14
        held(date(2013, 5, 10), [pc, council_other, vs])
    with db.session() as s:
        one = B.data_check(s, 11, FY, assessed_on=date(2014, 3, 31), today=TODAY)
    assert one.suggests == "no"
    assert "only by staff from police (1)" in one.text and "two are needed" in one.text
    assert "twelve months to 31/03/2014" in one.text
    with db.transaction() as s:
        held(date(2013, 11, 5), [council_housing, pc])
    with db.session() as s:
        two = B.data_check(s, 11, FY, assessed_on=date(2014, 3, 31), today=TODAY)
        # an assessment dated 01/10/2013 looks back to 02/10/2012: social care, police
        early = B.data_check(s, 11, FY, assessed_on=date(2013, 10, 1), today=TODAY)
    assert two.suggests == "yes"
    assert "from housing (1), police (1): 2 of the 5 sectors" in two.text
    assert two.details == ("Housing: 1 person", "Police: 1 person")
    assert early.suggests == "yes" and "social services (1), police (1)" in early.text


def test_training_window_is_twelve_months_to_the_assessment():
    assert B.training_window(2013, date(2014, 3, 31), TODAY) == (
        date(2013, 4, 1),
        date(2014, 3, 31),
    )
    assert B.training_window(2013, None, TODAY) == (date(2013, 4, 1), date(2014, 3, 31))
    assert B.training_window(2014, None, TODAY) == (date(2013, 5, 21), TODAY)
    assert B.training_window(2015, date(2016, 2, 29), date(2016, 5, 1))[0] == date(2015, 3, 1)


# --------------------------------------------------------------------------- tile
def test_score_tile_for_the_current_year(db):
    today = date(2014, 2, 1)
    with db.transaction() as s:
        on = date(2014, 1, 10)
        B.save_assessment(s, 2012, answers=answers({1, 2, 3}, on=on), today=today)
        B.save_assessment(
            s,
            2013,
            answers=answers({1, 2, 3, 4, 5, 6, 8, 9}, on=on),
            assessed_on=today,
            today=today,
        )
    with db.session() as s:
        tile = {t.key: t for t in collect(s, today)}["indicators.bvpi225"]
    assert tile.title == "BVPI 225 score 2013/14" and tile.value == "72.7"
    assert tile.detail == "8 of 11 questions answered yes; assessed 01/02/2014"
    assert "2012/13: 27.3" in tile.lines
    with db.session() as s:
        later = {t.key: t for t in collect(s, date(2014, 4, 2))}["indicators.bvpi225"]
    assert later.value == "\u2013" and "2013/14 scored 72.7" in later.detail
