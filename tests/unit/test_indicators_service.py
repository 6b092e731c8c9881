"""Performance indicators: periods across financial-year boundaries, numbers, bad input,
targets (own or from a longer period, shared out for counts), status, the table rows,
the values grid, action links and the dashboard tile."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from dvcoord.errors import ValidationError
from dvcoord.services import indicators as I
from dvcoord.services import plans as ps
from dvcoord.services.dashboard import collect
from dvcoord.store import Database
from dvcoord.store.schema.indicators import Indicator, IndicatorTarget, IndicatorValue

TODAY = date(2014, 5, 20)


def P(text: str) -> I.Period:  # noqa: N802
    return I.parse_period(text)


# --------------------------------------------------------------------------- periods
@pytest.mark.parametrize(
    ("typed", "key", "start", "end"),
    [
        ("2013-04", "2013-04", date(2013, 4, 1), date(2013, 4, 30)),
        ("Apr 2013", "2013-04", date(2013, 4, 1), date(2013, 4, 30)),
        ("April 2013", "2013-04", date(2013, 4, 1), date(2013, 4, 30)),
        ("04/2013", "2013-04", date(2013, 4, 1), date(2013, 4, 30)),
        ("Sept 2013", "2013-09", date(2013, 9, 1), date(2013, 9, 30)),
        ("2016-02", "2016-02", date(2016, 2, 1), date(2016, 2, 29)),
        ("2013/14 Q2", "2013/14 Q2", date(2013, 7, 1), date(2013, 9, 30)),
        ("Q2 2013/14", "2013/14 Q2", date(2013, 7, 1), date(2013, 9, 30)),
        ("Qtr 4 2013-14", "2013/14 Q4", date(2014, 1, 1), date(2014, 3, 31)),
        ("2013/14", "2013/14", date(2013, 4, 1), date(2014, 3, 31)),
        ("2013-14", "2013/14", date(2013, 4, 1), date(2014, 3, 31)),
        ("FY 2013/2014", "2013/14", date(2013, 4, 1), date(2014, 3, 31)),
        ("1999/00", "1999/00", date(1999, 4, 1), date(2000, 3, 31)),
    ],
)
def test_periods_are_read_and_keyed(typed, key, start, end):
    p = P(typed)
    assert (p.key, p.start, p.end) == (key, start, end)
    assert P(p.key) == p  # the key reads back as itself


def test_quarters_and_months_across_the_year_end():
    q4 = P("2013/14 Q4")
    assert (q4.start, q4.end, q4.fy) == (date(2014, 1, 1), date(2014, 3, 31), 2013)
    assert q4.next().key == "2014/15 Q1" and q4.next().start == date(2014, 4, 1)
    assert P("2014/15 Q1").prev() == q4
    march = P("2014-03")
    assert march.fy == 2013 and march.next().key == "2014-04" and march.next().fy == 2014
    assert P("2013-12").next().key == "2014-01"
    assert P("2013/14").next().key == "2014/15"
    assert I.period_of(date(2014, 3, 31), "quarter").key == "2013/14 Q4"
    assert I.period_of(date(2014, 4, 1), "quarter").key == "2014/15 Q1"
    assert I.period_of(date(2014, 3, 31), "financial year").key == "2013/14"
    assert I.period_of(date(2014, 4, 1), "financial year").key == "2014/15"
    assert [p.key for p in I.recent_periods(P("2014/15 Q1"), 3)] == [
        "2013/14 Q3",
        "2013/14 Q4",
        "2014/15 Q1",
    ]
    assert [p.key for p in I.periods_between(P("2014-02"), P("2014-05"))] == [
        "2014-02",
        "2014-03",
        "2014-04",
        "2014-05",
    ]
    assert I.last_complete_period("quarter", date(2014, 4, 1)).key == "2013/14 Q4"
    assert I.last_complete_period("financial year", date(2014, 3, 31)).key == "2012/13"
    assert P("2013/14").contains(P("2014-03")) and not P("2013/14").contains(P("2014-04"))
    assert P("2013/14 Q4").contains(P("2014-02")) and P("2013/14").parts("month") == 12


def test_a_date_in_a_cell_gives_the_period_holding_it():
    assert I.parse_period(date(2014, 2, 14), "quarter").key == "2013/14 Q4"
    assert I.parse_period(date(2014, 2, 14), "month").key == "2014-02"
    assert I.parse_period(date(2014, 2, 14), "financial year").key == "2013/14"


def test_the_cadence_decides_between_a_month_and_a_year():
    assert P("2011-12").key == "2011-12"  # December 2011 when nothing else is known
    assert I.parse_period("2011-12", "financial year").key == "2011/12"


@pytest.mark.parametrize(
    ("typed", "kind", "message"),
    [
        (
            "2013-04",
            "quarter",
            "reported quarterly: give a quarter such as 2013/14 Q2, not the month April 2013",
        ),
        ("2013/14", "month", "reported monthly"),
        ("2013/14 Q1", "financial year", "not the quarter 2013/14 Q1"),
        ("", "quarter", "Enter the period: a quarter such as 2013/14 Q2"),
        ("soon", None, "'soon' is not a period"),
        ("2013/15", None, "is not a period"),
        ("2013-13", None, "is not a period"),
        ("Q5 2013/14", "quarter", "is not a period"),
    ],
)
def test_bad_periods_get_a_clear_message(typed, kind, message):
    with pytest.raises(ValidationError) as err:
        I.parse_period(typed, kind)
    assert message in str(err.value)
    assert err.value.field == "period"


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("typed", "unit", "hundredths", "shown"),
    [
        ("51.2", "percentage", 5120, "51.2%"),
        ("51.2%", "percentage", 5120, "51.2%"),
        ("100", "percentage", 10000, "100.0%"),
        ("40", "percentage", 4000, "40.0%"),
        ("17", "count", 1700, "17"),
        ("1,234", "count", 123400, "1,234"),
        ("£1,234.50", "money", 123450, "£1,234.50"),
        ("250", "money", 25000, "£250.00"),
        ("23.5 days", "days", 2350, "23.5 days"),
        ("1", "days", 100, "1 day"),
        (51.2, "percentage", 5120, "51.2%"),
        (17, "count", 1700, "17"),
    ],
)
def test_numbers_are_exact_hundredths(typed, unit, hundredths, shown):
    assert I.parse_number(typed, unit) == hundredths
    assert I.format_number(hundredths, unit) == shown


@pytest.mark.parametrize(
    ("typed", "unit", "message"),
    [
        ("120", "percentage", "cannot be over 100"),
        ("100.01", "percentage", "cannot be over 100"),
        ("abc", "count", "'abc' is not a number: type it in figures, for example 17"),
        ("twelve", "percentage", "for example 51.2"),
        ("12.5", "count", "must be a whole number"),
        ("-3", "count", "cannot be negative"),
        ("1.234", "days", "3 decimal places"),
        ("", "count", "is empty"),
        ("1.2.3", "money", "is not a number"),
        (True, "count", "must be a number"),
    ],
)
def test_bad_numbers_get_a_clear_message(typed, unit, message):
    with pytest.raises(ValidationError) as err:
        I.parse_number(typed, unit)
    assert message in str(err.value)
    assert err.value.field == "value"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture
def sdr(db):
    """Sanction-detection rate (quarterly %, higher better) with a 2013/14 target."""
    with db.transaction() as s:
        ind = I.create_indicator(
            s,
            code="PI 3",
            name="Sanction detection rate",
            unit="percentage",
            direction="higher",
            period="quarter",
            data_source="Kent Police",
        )
        I.set_target(s, ind.id, "2013/14", "40", "35.6")
        return ind.id


def count_live(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))


# --------------------------------------------------------------------------- CRUD
def test_create_validates_every_field(db):
    good = dict(name="MARAC referrals", unit="count", direction="higher", period="quarter")
    for change, field, words in (
        ({"name": "  "}, "name", "Enter the indicator's name"),
        ({"unit": "furlongs"}, "unit", "The unit must be one of"),
        ({"direction": "sideways"}, "direction", "higher, lower"),
        ({"period": "weekly"}, "period", "month, quarter, financial year"),
        ({"name": "x" * 301}, "name", "300 characters"),
        ({"owner_agency_id": "no-such-agency"}, "owner_agency", "no longer in the database"),
    ):
        with pytest.raises(ValidationError) as err, db.transaction() as s:
            I.create_indicator(s, **{**good, **change})
        assert err.value.field == field
        assert words in str(err.value)
    assert count_live(db, Indicator) == 0
    with db.transaction() as s:
        I.create_indicator(s, **good)
    with pytest.raises(ValidationError, match="already an indicator called"), db.transaction() as s:
        I.create_indicator(s, **{**good, "name": "marac REFERRALS"})


def test_values_and_targets_follow_the_cadence(db, sdr):
    with db.transaction() as s:
        I.set_value(s, sdr, "2013/14 Q2", "51.2", "Demo", today=TODAY)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.set_value(s, sdr, "2013-07", "40", today=TODAY)
    assert err.value.field == "period"
    assert "reported quarterly" in str(err.value)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.set_value(s, sdr, "2014/15 Q2", "40", today=TODAY)
    assert "has not started yet" in str(err.value)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.set_value(s, sdr, "2013/14 Q3", "140", today=TODAY)
    assert err.value.field == "value" and "over 100" in str(err.value)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.set_value(s, sdr, "2013/14 Q3", "fifty", today=TODAY)
    assert err.value.field == "value"
    # a target without a period, or for a shorter period than the cadence
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.set_target(s, sdr, "", "40")
    assert err.value.field == "period" and "needs the period" in str(err.value)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.set_target(s, sdr, "2013-07", "40")
    assert "targets are for a quarter or a financial year, not the month July 2013" in str(
        err.value
    )
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.set_target(s, sdr, "2013/14 Q3", "", "")
    assert err.value.field == "target"
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.set_target(s, sdr, "2013/14 Q3", "40", "abc")
    assert err.value.field == "national"
    # nothing was lost by the refusals
    assert count_live(db, IndicatorValue) == 1
    assert count_live(db, IndicatorTarget) == 1


def test_a_value_is_one_row_per_period_even_after_deletion(db, sdr):
    with db.transaction() as s:
        first = I.set_value(s, sdr, "2013/14 Q2", "51.2", today=TODAY).id
        again = I.set_value(s, sdr, "Q2 2013/14", "52", today=TODAY).id
        assert first == again
        assert I.delete_value(s, sdr, "2013/14 Q2")
        assert not I.delete_value(s, sdr, "2013/14 Q2")
        back = I.set_value(s, sdr, "2013/14 Q2", "50", today=TODAY)
        assert back.id == first and back.deleted_at is None and back.value_hundredths == 5000


def test_ids_are_the_same_in_every_database(tmp_path, db, sdr):
    other = Database.create(tmp_path / "other.sqlite", user="Other")
    try:
        with other.transaction() as s:
            ind = I.create_indicator(s, computed_key="alarms.issued")
            assert ind.id == I.computed_id("alarms.issued")
            mine = I.create_indicator(
                s, name="X", unit="count", direction="higher", period="quarter"
            )
            t1 = I.set_target(s, mine.id, "2013/14", "4").id
        with db.transaction() as s:
            assert I.create_indicator(s, computed_key="alarms.issued").id == ind.id
        assert t1 == I._target_id(mine.id, "2013/14")
    finally:
        other.close()


def test_computed_indicators_take_no_typed_values_and_keep_their_unit(db):
    with db.transaction() as s:
        ind = I.create_indicator(s, computed_key="sanctuary.median_days", period="month")
        assert (ind.unit, ind.direction, ind.period) == ("days", "lower", "month")
        assert ind.name == I.COMPUTED["sanctuary.median_days"].name
    with pytest.raises(ValidationError, match="computed by dvcoord"), db.transaction() as s:
        I.set_value(s, ind.id, "2013-05", "20", today=TODAY)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.update_indicator(s, ind.id, direction="higher")
    assert err.value.field == "direction"
    with pytest.raises(ValidationError, match="already tracks"), db.transaction() as s:
        I.create_indicator(s, computed_key="sanctuary.median_days")
    with pytest.raises(ValidationError, match="cannot compute"), db.transaction() as s:
        I.create_indicator(s, computed_key="weather.sunshine")
    with db.transaction() as s:
        I.delete_indicator(s, ind.id)
        back = I.create_indicator(s, computed_key="sanctuary.median_days")
        assert back.id == ind.id and back.deleted_at is None


def test_unit_and_cadence_are_fixed_once_there_are_figures(db, sdr):
    with db.transaction() as s:
        I.update_indicator(s, sdr, name="Sanction detection rate (DA crimes)", code="PI 3a")
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.update_indicator(s, sdr, period="month")
    assert err.value.field == "period" and "cannot change" in str(err.value)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.update_indicator(s, sdr, unit="count")
    assert err.value.field == "unit"
    with db.session() as s:
        assert s.get(Indicator, sdr).name == "Sanction detection rate (DA crimes)"


def test_delete_tombstones_the_figures(db, sdr):
    with db.transaction() as s:
        I.set_value(s, sdr, "2013/14 Q1", "38", today=TODAY)
        I.delete_indicator(s, sdr)
    assert count_live(db, Indicator) == 0
    assert count_live(db, IndicatorValue) == 0
    assert count_live(db, IndicatorTarget) == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(IndicatorValue)) == 1  # tombstone


# --------------------------------------------------------------------------- targets and status
def test_status_is_direction_aware():
    assert I.status_of(5120, 4000, "higher") == I.MET
    assert I.status_of(4000, 4000, "higher") == I.MET
    assert I.status_of(3999, 4000, "higher") == I.NOT_MET
    assert I.status_of(2800, 3000, "lower") == I.MET
    assert I.status_of(3100, 3000, "lower") == I.NOT_MET
    assert I.status_of(None, 3000, "lower") == I.NO_DATA
    assert I.status_of(3100, None, "lower") == I.NO_TARGET


def test_targets_from_a_longer_period_shared_out_for_counts_only():
    targets = {"2013/14": (15000, None), "2013/14 Q3": (5000, 4000), "2014/15": (None, 90000)}
    q2 = I.resolve_target(targets, P("2013/14 Q2"), "count")
    assert (q2.target, q2.national, q2.source.key, q2.shared_out) == (3750, None, "2013/14", True)
    q3 = I.resolve_target(targets, P("2013/14 Q3"), "count")
    assert (q3.target, q3.national, q3.source.key, q3.shared_out) == (
        5000,
        4000,
        "2013/14 Q3",
        False,
    )
    month = I.resolve_target(targets, P("2014-03"), "count")  # Q4 2013/14 -> the year
    assert month.target == 1250 and month.source.key == "2013/14"
    april = I.resolve_target(targets, P("2014-04"), "count")  # a new year: its own figure
    assert (april.target, april.national) == (None, 7500)
    rate = I.resolve_target({"2013/14": (4000, 3560)}, P("2014-03"), "percentage")
    assert (rate.target, rate.national, rate.shared_out) == (4000, 3560, False)
    assert I.resolve_target({}, P("2014-03"), "count") == I.ResolvedTarget()


def test_rows_show_latest_value_target_status_and_trend(db, sdr):
    with db.transaction() as s:
        marac = I.create_indicator(
            s, name="MARAC referrals", unit="count", direction="higher", period="quarter"
        )
        I.set_target(s, marac.id, "2013/14", "150")
        for key, v in (("2013/14 Q1", "36"), ("2013/14 Q2", "41"), ("2013/14 Q4", "30")):
            I.set_value(s, marac.id, key, v, today=TODAY)
        I.set_value(s, sdr, "2013/14 Q1", "38.2", today=TODAY)
        I.set_value(s, sdr, "2013/14 Q2", "51.2", "achieved", today=TODAY)
        repeat = I.create_indicator(
            s, name="Repeat MARAC cases", unit="percentage", direction="lower", period="quarter"
        )
        I.set_value(s, repeat.id, "2014/15 Q1", "25", today=TODAY)
        I.create_indicator(
            s, name="Never reported", unit="count", direction="higher", period="month"
        )
    with db.session() as s:
        rows = {r.name: r for r in I.indicator_rows(s, TODAY)}
    r = rows["Sanction detection rate"]
    assert (r.latest.key, r.value_text, r.target_text, r.national_text) == (
        "2013/14 Q2",
        "51.2%",
        "40.0%",
        "35.6%",
    )
    assert r.status == I.MET and r.note == "achieved" and r.code == "PI 3"
    assert len(r.trend) == I.TREND_POINTS["quarter"]
    assert r.trend[-1].period.key == "2013/14 Q2" and r.trend[-2].value == 3820
    assert r.trend[-3].value is None
    m = rows["MARAC referrals"]
    assert (m.latest.key, m.value, m.target.target, m.status) == (
        "2013/14 Q4",
        3000,
        3750,
        I.NOT_MET,
    )
    assert [p.value for p in m.trend[-4:]] == [3600, 4100, None, 3000]
    assert rows["Repeat MARAC cases"].status == I.NO_TARGET
    assert rows["Never reported"].status == I.NO_DATA and rows["Never reported"].trend == ()
    assert [x.name for x in I.off_target(rows.values())] == ["MARAC referrals"]


def test_the_values_grid_saves_exactly_what_it_holds(db, sdr):
    E = I.PeriodEntry
    with db.transaction() as s:
        I.set_value(s, sdr, "2012/13 Q4", "30", today=TODAY)
        kept = I.save_periods(
            s,
            sdr,
            [
                E("2013/14 Q1", "38.2", "first"),
                E("Q2 2013/14", "51.2"),
                E("2013/14", target="40", national="35.6"),
                E("2014/15", target="42"),
            ],
            today=TODAY,
        )
    assert kept == (2, 2)
    with db.session() as s:
        grid = {r.period.key: r for r in I.value_grid(s, sdr, TODAY)}
    assert set(grid) == {"2013/14 Q1", "2013/14 Q2", "2013/14", "2014/15"}  # Q4 2012/13 gone
    assert grid["2013/14 Q1"].note == "first" and grid["2013/14 Q1"].status == I.NOT_MET
    assert grid["2013/14 Q2"].resolved.target == 4000 and grid["2013/14 Q2"].status == I.MET
    assert grid["2014/15"].target == 4200


@pytest.mark.parametrize(
    ("entries", "field", "words"),
    [
        (
            [I.PeriodEntry("2013/14 Q1", "38"), I.PeriodEntry("Q1 2013/14", "39")],
            "rows.1.period",
            "in the grid twice",
        ),
        (
            [I.PeriodEntry("2013/14 Q1", "38"), I.PeriodEntry("2013/14 Q2", "140")],
            "rows.1.value",
            "over 100",
        ),
        ([I.PeriodEntry("2013/14", "38")], "rows.0.value", "can hold a target only"),
        ([I.PeriodEntry("2013-05", "38")], "rows.0.period", "not the month May 2013"),
        ([I.PeriodEntry("2013/14 Q3", "", "a note")], "rows.0.value", "needs a value"),
        ([I.PeriodEntry("2013/14 Q3", target="x")], "rows.0.target", "is not a number"),
        ([I.PeriodEntry("2013/14 Q3", national="101")], "rows.0.national", "over 100"),
    ],
)
def test_grid_errors_name_the_row_and_column_and_lose_nothing(db, sdr, entries, field, words):
    with db.transaction() as s:
        I.set_value(s, sdr, "2013/14 Q1", "30", today=TODAY)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.save_periods(s, sdr, entries, today=TODAY)
    assert err.value.field == field
    assert words in str(err.value)
    with db.session() as s:
        grid = {r.period.key: r.value for r in I.value_grid(s, sdr, TODAY)}
    assert grid == {"2013/14 Q1": 3000, "2013/14": None}


def test_series_over_a_year_end(db, sdr):
    with db.transaction() as s:
        I.set_value(s, sdr, "2013/14 Q4", "41", today=TODAY)
        I.set_value(s, sdr, "2014/15 Q1", "39", today=date(2014, 7, 1))
        I.set_target(s, sdr, "2014/15", "42")
    with db.session() as s:
        points = I.series(s, sdr, I.periods_between(P("2013/14 Q3"), P("2014/15 Q1")), TODAY)
    assert [(p.period.key, p.value, p.target, p.status) for p in points] == [
        ("2013/14 Q3", None, 4000, I.NO_DATA),
        ("2013/14 Q4", 4100, 4000, I.MET),
        ("2014/15 Q1", 3900, 4200, I.NOT_MET),
    ]


# --------------------------------------------------------------------------- action links
def test_action_links(db, sdr):
    with db.transaction() as s:
        plan = ps.create_plan(s, title="DA plan 2013/14", plan_from_fy=2013, plan_to_fy=2013)
        theme = ps.create_theme(s, plan.id, title="Protection and justice", code="2")
        a1 = ps.create_action(s, theme.id, reference="2.1", text="Improve sanction detections")
        a2 = ps.create_action(s, theme.id, reference="2.2", text="SDVC at Maidstone")
        assert I.set_action_links(s, sdr, [a1.id, a2.id, a1.id]) == 2
    with db.session() as s:
        assert [a.reference for a in I.linked_actions(s, sdr)] == ["2.1", "2.2"]
        assert [i.id for i in I.indicators_for_action(s, a1.id)] == [sdr]
        assert I.indicator_rows(s, TODAY)[0].actions == 2
        assert {a.reference for a in I.action_choices(s, plan.id)} == {"2.1", "2.2"}
    with db.transaction() as s:
        I.set_action_links(s, sdr, [a2.id])
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.set_action_links(s, sdr, ["not-an-action"])
    assert err.value.field == "actions"
    with db.session() as s:
        assert [a.reference for a in I.linked_actions(s, sdr)] == ["2.2"]


# --------------------------------------------------------------------------- dashboard
def test_dashboard_shows_indicators_off_target_worst_first(db, sdr):
    with db.transaction() as s:
        I.set_value(s, sdr, "2013/14 Q4", "36", today=TODAY)  # 10% short of 40
        worse = I.create_indicator(
            s, name="Referrals to IDVAs", unit="count", direction="higher", period="quarter"
        )
        I.set_target(s, worse.id, "2013/14 Q4", "100")
        I.set_value(s, worse.id, "2013/14 Q4", "50", today=TODAY)  # 50% short
    with db.session() as s:
        tiles = {t.key: t for t in collect(s, TODAY)}
    tile = tiles["indicators.off_target"]
    assert tile.value == "2" and tile.severity == "alert" and tile.view == "indicators"
    assert tile.lines[0].startswith("Referrals to IDVAs: 50 against 100")
    assert tile.lines[1].startswith("PI 3 Sanction detection rate: 36.0% against 40.0%")
    assert tiles["indicators.bvpi225"].value == "\u2013"


def test_no_tiles_in_an_empty_database(db):
    with db.session() as s:
        assert not [t for t in collect(s, TODAY) if t.key.startswith("indicators.")]
