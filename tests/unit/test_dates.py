"""Tests for dvcoord.services.dates: fuzzy target dates, financial years and quarters."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dvcoord.services.dates import (
    DATED_KINDS,
    MAX_YEAR,
    MIN_YEAR,
    DateKind,
    TargetDate,
    financial_year_of,
    find_dated_items,
    format_date,
    format_target,
    fy_label,
    fy_range,
    next_quarter,
    parse_date_entry,
    parse_quarter_label,
    parse_target_date,
    parse_uk_date,
    prev_quarter,
    quarter_label,
    quarter_of,
    quarter_range,
    quarters_between,
)

D = date
K = DateKind
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
PLAUSIBLE_DAYS = st.dates(min_value=D(MIN_YEAR, 1, 1), max_value=D(MAX_YEAR, 12, 31))
FAST = settings(max_examples=200, deadline=None)

# (text as written, kind, start, end)
EXAMPLES = [
    ("March 2008", K.MONTH, D(2008, 3, 1), D(2008, 3, 31)),
    ("Sept 2008", K.MONTH, D(2008, 9, 1), D(2008, 9, 30)),
    ("Sep 08", K.MONTH, D(2008, 9, 1), D(2008, 9, 30)),
    ("Oct 2008", K.MONTH, D(2008, 10, 1), D(2008, 10, 31)),
    ("February 2008", K.MONTH, D(2008, 2, 1), D(2008, 2, 29)),
    ("Feb 09", K.MONTH, D(2009, 2, 1), D(2009, 2, 28)),
    ("March '09", K.MONTH, D(2009, 3, 1), D(2009, 3, 31)),
    ("Mar-09", K.MONTH, D(2009, 3, 1), D(2009, 3, 31)),
    ("Sep08", K.MONTH, D(2008, 9, 1), D(2008, 9, 30)),
    ("03/2008", K.MONTH, D(2008, 3, 1), D(2008, 3, 31)),
    ("2008-10", K.MONTH, D(2008, 10, 1), D(2008, 10, 31)),
    ("Febuary 2008", K.MONTH, D(2008, 2, 1), D(2008, 2, 29)),
    ("Sep 99", K.MONTH, D(1999, 9, 1), D(1999, 9, 30)),
    ("Sep 69", K.MONTH, D(2069, 9, 1), D(2069, 9, 30)),
    ("Sep 70", K.MONTH, D(1970, 9, 1), D(1970, 9, 30)),
    ("31/03/2008", K.DAY, D(2008, 3, 31), D(2008, 3, 31)),
    ("31.03.08", K.DAY, D(2008, 3, 31), D(2008, 3, 31)),
    ("31-03-2008", K.DAY, D(2008, 3, 31), D(2008, 3, 31)),
    ("1/4/09", K.DAY, D(2009, 4, 1), D(2009, 4, 1)),
    ("1 March 2008", K.DAY, D(2008, 3, 1), D(2008, 3, 1)),
    ("1st March 2008", K.DAY, D(2008, 3, 1), D(2008, 3, 1)),
    ("29 Feb 2008", K.DAY, D(2008, 2, 29), D(2008, 2, 29)),
    ("1-Mar-08", K.DAY, D(2008, 3, 1), D(2008, 3, 1)),
    ("March 31, 2008", K.DAY, D(2008, 3, 31), D(2008, 3, 31)),
    ("2008-03-31", K.DAY, D(2008, 3, 31), D(2008, 3, 31)),
    ("2008-03-31 00:00:00", K.DAY, D(2008, 3, 31), D(2008, 3, 31)),
    ("Ongoing", K.ONGOING, None, None),
    ("On-going", K.ONGOING, None, None),
    ("On going", K.ONGOING, None, None),
    ("ongoing", K.ONGOING, None, None),
    ("ONGOING", K.ONGOING, None, None),
    ("On\u2013going", K.ONGOING, None, None),
    ("Annually", K.ONGOING, None, None),
    ("Subject to external funding bid", K.CONDITIONAL, None, None),
    ("Dependent on funding", K.CONDITIONAL, None, None),
    ("date to be determined", K.TBD, None, None),
    ("TBD", K.TBD, None, None),
    ("TBC", K.TBD, None, None),
    ("t.b.c.", K.TBD, None, None),
    ("To be confirmed", K.TBD, None, None),
    ("Qtr 2 2013/14", K.QUARTER, D(2013, 7, 1), D(2013, 9, 30)),
    ("Q2 2013/14", K.QUARTER, D(2013, 7, 1), D(2013, 9, 30)),
    ("Quarter 2 2013-14", K.QUARTER, D(2013, 7, 1), D(2013, 9, 30)),
    ("2013/14 Q2", K.QUARTER, D(2013, 7, 1), D(2013, 9, 30)),
    ("Q2 13/14", K.QUARTER, D(2013, 7, 1), D(2013, 9, 30)),
    ("second quarter of 2013/14", K.QUARTER, D(2013, 7, 1), D(2013, 9, 30)),
    ("Q1 2013/14", K.QUARTER, D(2013, 4, 1), D(2013, 6, 30)),
    ("Q3 2013/14", K.QUARTER, D(2013, 10, 1), D(2013, 12, 31)),
    ("Q4 2013/14", K.QUARTER, D(2014, 1, 1), D(2014, 3, 31)),
    ("Q4 1999/00", K.QUARTER, D(2000, 1, 1), D(2000, 3, 31)),
    ("2008/09", K.FINANCIAL_YEAR, D(2008, 4, 1), D(2009, 3, 31)),
    ("2008/2009", K.FINANCIAL_YEAR, D(2008, 4, 1), D(2009, 3, 31)),
    ("2008-09", K.FINANCIAL_YEAR, D(2008, 4, 1), D(2009, 3, 31)),
    ("2008\u201309", K.FINANCIAL_YEAR, D(2008, 4, 1), D(2009, 3, 31)),
    ("FY 2008/09", K.FINANCIAL_YEAR, D(2008, 4, 1), D(2009, 3, 31)),
    ("FY2008/09", K.FINANCIAL_YEAR, D(2008, 4, 1), D(2009, 3, 31)),
    ("Financial year 2008/09", K.FINANCIAL_YEAR, D(2008, 4, 1), D(2009, 3, 31)),
    ("1999/00", K.FINANCIAL_YEAR, D(1999, 4, 1), D(2000, 3, 31)),
    ("2008", K.YEAR, D(2008, 1, 1), D(2008, 12, 31)),
    ("end of 2008", K.YEAR, D(2008, 1, 1), D(2008, 12, 31)),
    ("Spring 2008", K.MONTH, D(2008, 5, 1), D(2008, 5, 31)),
    ("Summer 2013", K.MONTH, D(2013, 8, 1), D(2013, 8, 31)),
    ("Autumn term 2008", K.MONTH, D(2008, 12, 1), D(2008, 12, 31)),
    ("Winter 2008/09", K.MONTH, D(2009, 2, 1), D(2009, 2, 28)),
    ("end of March 2008", K.MONTH, D(2008, 3, 1), D(2008, 3, 31)),
    ("by March 2008", K.MONTH, D(2008, 3, 1), D(2008, 3, 31)),
    ("By the end of Sept 2008", K.MONTH, D(2008, 9, 1), D(2008, 9, 30)),
    (
        "Manual available from May 2007 Training Delivered September 2007",
        K.MONTH,
        D(2007, 9, 1),
        D(2007, 9, 30),
    ),
    ("Oct 208", K.UNREADABLE, None, None),
    ("Oct 3008", K.UNREADABLE, None, None),
    ("31/02/2008", K.UNREADABLE, None, None),
    ("31/03/208", K.UNREADABLE, None, None),
    ("13/13/2008", K.UNREADABLE, None, None),
    ("2008/10", K.UNREADABLE, None, None),
    ("Q5 2013/14", K.UNREADABLE, None, None),
    ("Qtr 2 2013/15", K.UNREADABLE, None, None),
    ("FY 2008", K.UNREADABLE, None, None),
    ("As soon as possible", K.UNREADABLE, None, None),
    ("March", K.UNREADABLE, None, None),
    ("May 2007 and Oct 208", K.UNREADABLE, None, None),
    ("", K.EMPTY, None, None),
    ("   ", K.EMPTY, None, None),
]

# Every target-date text found in /work/shared/reference/*.txt (target-date columns, and
# the dates promised inside progress notes, which the importer may meet in such cells).
REFERENCE = [
    ("March 2007", K.MONTH, D(2007, 3, 1), D(2007, 3, 31)),
    ("March 2008", K.MONTH, D(2008, 3, 1), D(2008, 3, 31)),
    ("September 2007", K.MONTH, D(2007, 9, 1), D(2007, 9, 30)),
    ("Ongoing", K.ONGOING, None, None),
    ("ongoing", K.ONGOING, None, None),
    ("On going", K.ONGOING, None, None),
    ("On-going", K.ONGOING, None, None),
    ("<p>March 2007</p>", K.MONTH, D(2007, 3, 1), D(2007, 3, 31)),
    ("Subject to external funding bid", K.CONDITIONAL, None, None),
    (
        "Manual available from May 2007 Training Delivered September 2007",
        K.MONTH,
        D(2007, 9, 1),
        D(2007, 9, 30),
    ),
    ("Qtr 2 2013/14", K.QUARTER, D(2013, 7, 1), D(2013, 9, 30)),
    ("by Qtr 2 2013/14", K.QUARTER, D(2013, 7, 1), D(2013, 9, 30)),
    ("Qtr 1 2013/14", K.QUARTER, D(2013, 4, 1), D(2013, 6, 30)),
    ("Qtr 1 and 2 2013/14", K.QUARTER, D(2013, 7, 1), D(2013, 9, 30)),
    ("13 /14", K.FINANCIAL_YEAR, D(2013, 4, 1), D(2014, 3, 31)),
    ("July 08", K.MONTH, D(2008, 7, 1), D(2008, 7, 31)),
    ("by March 09", K.MONTH, D(2009, 3, 1), D(2009, 3, 31)),
    ("Jan and Feb 09", K.MONTH, D(2009, 2, 1), D(2009, 2, 28)),
    ("by April 09", K.MONTH, D(2009, 4, 1), D(2009, 4, 30)),
    ("April 09 onwards depending on funding", K.CONDITIONAL, None, None),
    ("June 07", K.MONTH, D(2007, 6, 1), D(2007, 6, 30)),
    ("Dec 08", K.MONTH, D(2008, 12, 1), D(2008, 12, 31)),
    ("April 2008", K.MONTH, D(2008, 4, 1), D(2008, 4, 30)),
    ("December 2007", K.MONTH, D(2007, 12, 1), D(2007, 12, 31)),
    ("during April 2013", K.MONTH, D(2013, 4, 1), D(2013, 4, 30)),
    ("March 2013", K.MONTH, D(2013, 3, 1), D(2013, 3, 31)),
    ("June 2013", K.MONTH, D(2013, 6, 1), D(2013, 6, 30)),
    ("by June 2013", K.MONTH, D(2013, 6, 1), D(2013, 6, 30)),
    ("May 2013", K.MONTH, D(2013, 5, 1), D(2013, 5, 31)),
    ("October 2013", K.MONTH, D(2013, 10, 1), D(2013, 10, 31)),
    ("by December 2013", K.MONTH, D(2013, 12, 1), D(2013, 12, 31)),
    ("November 2012", K.MONTH, D(2012, 11, 1), D(2012, 11, 30)),
    ("late 2012", K.YEAR, D(2012, 1, 1), D(2012, 12, 31)),
    ("2014 onwards", K.YEAR, D(2014, 1, 1), D(2014, 12, 31)),
    ("2007 \u2013 2010", K.YEAR, D(2010, 1, 1), D(2010, 12, 31)),
    ("Oct 208", K.UNREADABLE, None, None),
]


def _check(text: str, kind: DateKind, start: date | None, end: date | None) -> TargetDate:
    td = parse_target_date(text)
    assert td.text == text
    assert (td.kind, td.start, td.end) == (kind, start, end), td.note
    assert td.due == end
    assert td.is_flagged == (kind is K.UNREADABLE)
    return td


@pytest.mark.parametrize(("text", "kind", "start", "end"), EXAMPLES)
def test_examples(text, kind, start, end):
    _check(text, kind, start, end)


@pytest.mark.parametrize(("text", "kind", "start", "end"), REFERENCE)
def test_reference_plan_texts(text, kind, start, end):
    _check(text, kind, start, end)


def test_none_is_empty():
    td = parse_target_date(None)
    assert td.kind is K.EMPTY and td.text == "" and td.due is None
    assert td.label() == "No target date"


def test_date_objects_from_spreadsheets():
    assert parse_target_date(datetime(2008, 3, 31, 0, 0)) == TargetDate(
        "31/03/2008", K.DAY, D(2008, 3, 31), D(2008, 3, 31)
    )


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Sept 2008", "September 2008"),
        ("Qtr 2 2013/14", "Q2 2013/14 (Jul\u2013Sep 2013)"),
        ("Q4 2013/14", "Q4 2013/14 (Jan\u2013Mar 2014)"),
        ("2008-09", "Financial year 2008/09"),
        ("2008", "2008"),
        ("1 March 2008", "1 March 2008"),
        ("On-going", "Ongoing"),
        ("TBC", "To be determined"),
        ("Subject to external funding bid", "Conditional: Subject to external funding bid"),
        ("Oct 208", "Could not read 'Oct 208'"),
    ],
)
def test_labels(text, label):
    assert parse_target_date(text).label() == label


def test_precision():
    assert parse_target_date("31/03/2008").precision == "day"
    assert parse_target_date("March 2008").precision == "month"
    assert parse_target_date("Q2 2013/14").precision == "quarter"
    assert parse_target_date("2008/09").precision == "financial year"
    assert parse_target_date("2008").precision == "year"
    assert parse_target_date("Ongoing").precision == "no date"


def test_notes_explain():
    several = parse_target_date("Manual available from May 2007 Training Delivered September 2007")
    assert "2 dates" in several.note and "May 2007" in several.note
    assert "February 2008 has 29 days" in parse_target_date("31/02/2008").note
    assert "208" in parse_target_date("Oct 208").note
    assert "October 2008" in parse_target_date("Training by Oct 2008, then on-going").note
    assert parse_target_date("Spring 2008").note


def test_keywords_win_over_dates_but_dates_are_noted():
    td = parse_target_date("Subject to funding \u2013 April 2009")
    assert td.kind is K.CONDITIONAL and td.due is None and "April 2009" in td.note


def test_today_resolves_relative_texts():
    today = D(2024, 5, 15)
    assert parse_target_date("March", today=today).start == D(2025, 3, 1)
    assert parse_target_date("by May", today=today).start == D(2024, 5, 1)
    assert parse_target_date("this quarter", today=today).end == D(2024, 6, 30)
    assert parse_target_date("next quarter", today=today).end == D(2024, 9, 30)
    assert parse_target_date("year end", today=today).end == D(2025, 3, 31)
    assert parse_target_date("end of the year", today=today).end == D(2024, 12, 31)
    assert parse_target_date("next month", today=D(2024, 12, 3)).start == D(2025, 1, 1)
    assert parse_target_date("this quarter").kind is K.UNREADABLE


def test_outside_plausible_years_is_flagged_but_kept():
    td = parse_target_date("01/01/3008")
    assert td.is_flagged and td.text == "01/01/3008" and "3008" in td.note


# ------------------------------------------------------------------ milestones in one cell


def test_find_dated_items_tender_cell():
    cell = (
        "Tender process established \u2013 Jul 2008 Contract awarded \u2013 Sept 2008 "
        "Service in place \u2013 Oct 2008"
    )
    items = find_dated_items(cell)
    assert [label for label, _ in items] == [
        "Tender process established",
        "Contract awarded",
        "Service in place",
    ]
    assert [td.due for _, td in items] == [D(2008, 7, 31), D(2008, 9, 30), D(2008, 10, 31)]
    assert [td.text for _, td in items] == ["Jul 2008", "Sept 2008", "Oct 2008"]


def test_find_dated_items_single_and_multiline():
    assert find_dated_items("Helpline available \u2013 Apr 2008") == [
        ("Helpline available", parse_target_date("Apr 2008"))
    ]
    cell = (
        "Helpline available - Apr 2008\nFree-phone number secured: May 2008\n"
        "Extend opening hours \u2013 Mar 2009"
    )
    items = find_dated_items(cell)
    assert [label for label, _ in items] == [
        "Helpline available",
        "Free-phone number secured",
        "Extend opening hours",
    ]
    assert items[-1][1].due == D(2009, 3, 31)


def test_find_dated_items_lead_in_words_go_with_the_date():
    items = find_dated_items("Manual available from May 2007 Training Delivered September 2007")
    assert items[0] == ("Manual available", parse_target_date("from May 2007"))
    assert items[1][0] == "Training Delivered" and items[1][1].due == D(2007, 9, 30)


def test_find_dated_items_keywords_dates_first_and_leftovers():
    items = find_dated_items("Review \u2013 TBC; Outreach \u2013 ongoing")
    assert [(label, td.kind) for label, td in items] == [
        ("Review", K.TBD),
        ("Outreach", K.ONGOING),
    ]
    first = find_dated_items("Apr 2008 \u2013 Helpline available; May 2008 \u2013 Free-phone")
    assert [(label, td.due) for label, td in first] == [
        ("Helpline available", D(2008, 4, 30)),
        ("Free-phone", D(2008, 5, 31)),
    ]
    assert find_dated_items("Helpline available") == [
        ("Helpline available", TargetDate("", K.EMPTY))
    ]
    assert find_dated_items("Launch \u2013 Oct 208")[0][1].is_flagged
    assert find_dated_items("") == [] and find_dated_items(None) == []


# ------------------------------------------------------------------ financial years


@pytest.mark.parametrize("year", [1999, 2000, 2008, 2013, 2024])
def test_financial_year_boundary(year):
    assert financial_year_of(D(year, 3, 31)) == year - 1
    assert financial_year_of(D(year, 4, 1)) == year
    assert quarter_of(D(year, 3, 31)) == (year - 1, 4)
    assert quarter_of(D(year, 4, 1)) == (year, 1)
    assert fy_range(year) == (D(year, 4, 1), D(year + 1, 3, 31))


def test_fy_and_quarter_helpers():
    assert fy_label(2013) == "2013/14"
    assert fy_label(1999) == "1999/00"
    assert quarter_range(2013, 2) == (D(2013, 7, 1), D(2013, 9, 30))
    assert quarter_range(2013, 4) == (D(2014, 1, 1), D(2014, 3, 31))
    assert quarter_label(2013, 2) == "2013/14 Q2"
    assert parse_quarter_label("2013/14 Q2") == (2013, 2)
    assert parse_quarter_label("Qtr 2 2013-14") == (2013, 2)
    assert next_quarter(2013, 4) == (2014, 1)
    assert prev_quarter(2014, 1) == (2013, 4)
    assert quarters_between((2013, 3), (2014, 2)) == [(2013, 3), (2013, 4), (2014, 1), (2014, 2)]
    assert quarters_between((2014, 2), (2013, 3)) == []
    for bad in ("Qtr 1 and 2 2013/14", "March 2013", "2013/14", "nonsense", ""):
        with pytest.raises(ValueError):
            parse_quarter_label(bad)
    with pytest.raises(ValueError):
        quarter_range(2013, 5)
    with pytest.raises(ValueError):
        quarter_label(2013, 0)


@FAST
@given(st.dates(min_value=D(2, 1, 1), max_value=D(9998, 12, 31)))
def test_fy_and_quarter_contain_the_day(d):
    fy = financial_year_of(d)
    start, end = fy_range(fy)
    assert start <= d <= end
    fyq, q = quarter_of(d)
    assert fyq == fy
    q_start, q_end = quarter_range(fyq, q)
    assert q_start <= d <= q_end
    assert financial_year_of(end + timedelta(days=1)) == fy + 1
    assert financial_year_of(start - timedelta(days=1)) == fy - 1


@FAST
@given(st.integers(MIN_YEAR, MAX_YEAR - 1), st.integers(1, 4))
def test_quarter_labels_round_trip(fy, q):
    label = quarter_label(fy, q)
    assert parse_quarter_label(label) == (fy, q)
    td = parse_target_date(label)
    assert td.kind is K.QUARTER and (td.start, td.end) == quarter_range(fy, q)
    assert quarter_of(td.start) == quarter_of(td.end) == (fy, q)
    assert prev_quarter(*next_quarter(fy, q)) == (fy, q)
    assert len(quarters_between((fy, q), next_quarter(*next_quarter(fy, q)))) == 3
    assert TargetDate.in_quarter(fy, q) == td


@FAST
@given(st.integers(MIN_YEAR, MAX_YEAR - 1))
def test_fy_labels_round_trip(fy):
    td = parse_target_date(fy_label(fy))
    assert td.kind is K.FINANCIAL_YEAR and (td.start, td.end) == fy_range(fy)
    assert td == TargetDate.in_financial_year(fy)


@FAST
@given(st.integers(MIN_YEAR, MAX_YEAR), st.integers(1, 12), st.booleans())
def test_month_labels_round_trip(year, month, short):
    name = MONTHS[month - 1][:3] if short else MONTHS[month - 1]
    td = parse_target_date(f"{name} {year}")
    assert td.kind is K.MONTH
    assert td.start == D(year, month, 1)
    assert (td.end + timedelta(days=1)).day == 1 and td.end.month == month
    assert td.label() == f"{MONTHS[month - 1]} {year}"
    assert parse_target_date(td.label()) == TargetDate.in_month(year, month)


# ------------------------------------------------------------------ UK day formats


@FAST
@given(PLAUSIBLE_DAYS)
def test_exact_days_round_trip(d):
    td = parse_target_date(format_date(d))
    assert td.kind is K.DAY and td.start == td.end == d
    assert format_target(td) == format_date(d)
    assert td == TargetDate.on_day(d)


@FAST
@given(st.dates())
def test_parse_uk_date_round_trips_any_date(d):
    assert parse_uk_date(format_date(d)) == d


def test_format_date():
    assert format_date(D(2008, 3, 1)) == "01/03/2008"
    assert format_date(D(5, 1, 2)) == "02/01/0005"
    assert format_date(None) == ""


def test_parse_uk_date_messages():
    assert parse_uk_date(" 1/4/2024 ") == D(2024, 4, 1)
    assert parse_uk_date("01.04.2024") == D(2024, 4, 1)
    cases = {
        "31/02/2024": "'31/02/2024' is not a real date: February 2024 has 29 days",
        "31/02/2023": "February 2023 has 28 days",
        "12/13/2024": "there is no month 13",
        "00/01/2024": "there is no day 0",
        "1/4/24": "four-digit year, for example 01/04/2024",
        "March 2024": "dd/mm/yyyy",
        "": "dd/mm/yyyy",
    }
    for text, message in cases.items():
        with pytest.raises(ValueError, match=message):
            parse_uk_date(text)


def test_format_target():
    assert format_target(parse_target_date("1 March 2008")) == "01/03/2008"
    assert format_target(parse_target_date("by 31.03.08")) == "31/03/2008"
    assert format_target(parse_target_date("Sept 08")) == "Sept 08"
    assert format_target(parse_target_date("On-going")) == "On-going"
    assert format_target(parse_target_date("Oct 208")) == "Oct 208"
    several = "Draft 01/02/2008, final 31/03/2008"
    assert format_target(parse_target_date(several)) == several
    assert format_target(parse_target_date("")) == ""
    assert format_target(None) == ""
    assert format_target(TargetDate("", K.MONTH, D(2008, 3, 1), D(2008, 3, 31))) == "March 2008"


# ------------------------------------------------------------------ TargetDate


def test_storage_round_trip_without_reparsing():
    td = parse_target_date("Qtr 2 2013/14")
    stored = td.to_storage()
    assert stored == ("Qtr 2 2013/14", "quarter", D(2013, 7, 1), D(2013, 9, 30))
    assert TargetDate.from_storage(*stored) == TargetDate(td.text, td.kind, td.start, td.end)
    # A corrected range is kept as stored, not re-read from the text.
    edited = TargetDate.from_storage("Sept 2008", "day", D(2008, 9, 12), D(2008, 9, 12))
    assert edited.kind is K.DAY and edited.due == D(2008, 9, 12)
    assert TargetDate.from_storage("x", "month", "2008-03-01", "2008-03-31").due == D(2008, 3, 31)


def test_from_storage_never_raises_on_bad_columns():
    bad = TargetDate.from_storage("March 2008", "fortnight", None, None)
    assert bad.kind is K.MONTH and "did not fit" in bad.note
    mixed = TargetDate.from_storage("Ongoing", "month", D(2008, 3, 31), D(2008, 3, 1))
    assert mixed.kind is K.ONGOING
    assert TargetDate.from_storage(None, None, None, None).kind is K.EMPTY


def test_target_date_rejects_inconsistent_values():
    with pytest.raises(ValueError):
        TargetDate("x", K.MONTH)
    with pytest.raises(ValueError):
        TargetDate("x", K.DAY, D(2008, 3, 2), D(2008, 3, 1))
    with pytest.raises(ValueError):
        TargetDate("x", K.ONGOING, D(2008, 3, 1), D(2008, 3, 1))
    with pytest.raises(ValueError):
        TargetDate("x", "weekly")
    assert TargetDate("x", "ongoing").kind is K.ONGOING


def test_overdue_due_within_and_sorting():
    march = parse_target_date("March 2008")
    assert march.is_overdue(D(2008, 4, 1)) and not march.is_overdue(D(2008, 3, 31))
    assert march.is_due_within(*quarter_range(2007, 4))
    assert not parse_target_date("Ongoing").is_overdue(D(2030, 1, 1))
    texts = ["Ongoing", "Oct 208", "Sept 2008", "", "March 2008", "TBC"]
    ordered = [td.text for td in sorted(map(parse_target_date, texts), key=lambda t: t.sort_key)]
    assert ordered == ["March 2008", "Sept 2008", "Ongoing", "TBC", "Oct 208", ""]


# ------------------------------------------------------------------ never raises


@FAST
@given(st.text())
def test_parse_never_raises_and_keeps_text(text):
    td = parse_target_date(text)
    assert td.text == text
    assert (td.start is None) == (td.end is None)
    if td.start is not None:
        assert td.start <= td.end
        assert td.kind in DATED_KINDS
    else:
        assert td.kind not in DATED_KINDS
    assert td.is_flagged == (td.kind is K.UNREADABLE)
    assert isinstance(td.label(), str) and isinstance(format_target(td), str)
    back = TargetDate.from_storage(*td.to_storage())
    assert (back.text, back.kind, back.start, back.end) == (td.text, td.kind, td.start, td.end)


_DATEY = st.lists(
    st.sampled_from(
        [
            "Qtr ",
            "Q",
            "2",
            "2013/14",
            " 2008",
            "/",
            "-",
            "\u2013",
            " ",
            "Sept",
            "Oct ",
            "208",
            "31",
            "02",
            ".",
            "ongoing",
            "TBC",
            "by ",
            "Spring ",
            "FY",
            "quarter ",
            " and ",
            "\n",
            "Helpline available \u2013 ",
            "subject to ",
            "09",
            "1st ",
            "March",
        ]
    ),
    max_size=12,
).map("".join)


@FAST
@given(st.one_of(st.text(), _DATEY))
def test_date_like_noise_never_raises(text):
    td = parse_target_date(text)
    assert td.text == text
    if td.start is not None:
        assert td.start <= td.end
    for label, item in find_dated_items(text):
        assert isinstance(label, str)
        assert item.text in text


def test_date_messages_are_full_sentences():
    for text in ("31/02/2026", "12/13/2024", "00/01/2024", "31/04/2026", "1/4/24", "x", ""):
        with pytest.raises(ValueError) as err:
            parse_uk_date(text)
        assert str(err.value).endswith("."), str(err.value)
    with pytest.raises(ValueError) as err:
        parse_uk_date("29/02/2026")
    assert str(err.value) == "'29/02/2026' is not a real date: February 2026 has 28 days."


def test_parse_date_entry_takes_uk_and_iso_dates():
    assert parse_date_entry("2026-01-01") == D(2026, 1, 1)
    assert parse_date_entry(" 2026-4-1 ") == D(2026, 4, 1)
    assert parse_date_entry("01/04/2026") == D(2026, 4, 1)
    cases = {
        "2026-13-01": "'2026-13-01' is not a real date: there is no month 13.",
        "2026-02-29": "'2026-02-29' is not a real date: February 2026 has 28 days.",
        "30/02/2024": "'30/02/2024' is not a real date: February 2024 has 29 days.",
        "1/4/26": "'1/4/26' needs a four-digit year, for example 01/04/2026.",
        "April 2026": "'April 2026' is not a date in the form dd/mm/yyyy (or yyyy-mm-dd), "
        "for example 31/03/2024.",
        "": "Enter a date as dd/mm/yyyy, for example 31/03/2024.",
    }
    for text, message in cases.items():
        with pytest.raises(ValueError) as err:
            parse_date_entry(text)
        assert str(err.value) == message
