"""Performance indicators: definitions, targets and values per period, status against
target, trends, the indicators dvcoord computes from its own records, and dashboard tiles.

Every write function takes a :class:`~sqlalchemy.orm.Session` inside the caller's
transaction (``with db.transaction() as s: set_value(s, ...)``), validates everything
before it changes anything and raises :class:`~dvcoord.errors.ValidationError` with the
offending ``field`` and one UK-English sentence, so a refused call leaves nothing behind.

Periods
-------
An indicator is reported monthly, quarterly or per financial year (its *cadence*,
``Indicator.period``).  A :class:`Period` is written as a key: ``"2013-04"`` (April
2013), ``"2013/14 Q2"`` (July to September 2013) or ``"2013/14"`` (April 2013 to March
2014).  :func:`parse_period` reads what people type ("Apr 2013", "Q2 2013/14",
"2013-14", "FY 2013/14") and refuses a period of the wrong cadence with a message that
says which cadence is wanted.  A value is for a period of the indicator's own cadence,
never one that has not started; a target is for a period of the indicator's cadence *or
a longer one* ("40% for 2013/14" covers each quarter of the year).

Targets and status
------------------
The target for a value's period is the target of that period, else of the quarter or
financial year that holds it.  A longer period's target is shared out for counts and
money (150 referrals for the year is 37.5 a quarter) and applies as it is to
percentages and days (a 40% rate is 40% in every quarter).  The national figure is found
the same way.  The status of a value is **met** (at or above the target when higher is
better, at or below it when lower is better), **not met**, **no target** (a value but no
target for its period) or **no data** (no value).

Numbers
-------
Values are exact: held in hundredths (pence for money), typed with at most two decimal
places.  A count is a whole number; a percentage is 0 to 100; nothing is negative.

Computed indicators
-------------------
:data:`COMPUTED` lists the figures dvcoord works out itself, per period, from its own
records: alarms issued and loans open (panic alarms), sanctuary installations completed
and the median days from referral to installation (Sanctuary Scheme), training sessions
delivered and people trained (training), and milestones completed on time (action
plans).  Each is registered only when its area's tables are part of this dvcoord.  A
computed indicator stores no values; its targets are stored like any other's.  Its latest
value is that of the last *complete* period (a half-finished month is not judged; a
period in which nothing was due or done has no data).
"""

from __future__ import annotations

import bisect
import functools
import importlib.util
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from dvcoord.errors import ValidationError
from dvcoord.services.dates import (
    MONTH_ABBR,
    MONTH_NAMES,
    financial_year_of,
    format_date,
    fy_label,
    parse_quarter_label,
    quarter_of,
)
from dvcoord.store.base import utcnow
from dvcoord.store.schema.indicators import (
    DIRECTIONS,
    PERIODS,
    UNITS,
    Indicator,
    IndicatorAction,
    IndicatorTarget,
    IndicatorValue,
)
from dvcoord.store.schema.plans import Action, Agency, Plan

__all__ = [
    "COMPUTED",
    "DIRECTIONS",
    "DIRECTION_LABELS",
    "MET",
    "NOT_MET",
    "NO_DATA",
    "NO_TARGET",
    "PERIODS",
    "PERIOD_LABELS",
    "STATUSES",
    "STATUS_LABELS",
    "UNITS",
    "UNIT_LABELS",
    "ActionLink",
    "ComputedSpec",
    "GridRow",
    "IndicatorChoice",
    "IndicatorRow",
    "Period",
    "PeriodEntry",
    "ResolvedTarget",
    "SeriesPoint",
    "action_choices",
    "action_indicator_rows",
    "computed_choices",
    "create_indicator",
    "dashboard_tiles",
    "delete_indicator",
    "delete_target",
    "delete_value",
    "format_number",
    "get_indicator",
    "indicator_choices",
    "indicator_rows",
    "indicators_for_action",
    "last_complete_period",
    "link_action",
    "linked_actions",
    "off_target",
    "parse_number",
    "parse_period",
    "period_of",
    "periods_between",
    "recent_periods",
    "resolve_target",
    "save_periods",
    "series",
    "set_action_links",
    "set_target",
    "set_value",
    "status_of",
    "unlink_action",
    "update_indicator",
    "value_grid",
]

MET, NOT_MET, NO_TARGET, NO_DATA = "met", "not met", "no target", "no data"
STATUSES = (MET, NOT_MET, NO_TARGET, NO_DATA)
STATUS_LABELS = {MET: "Met", NOT_MET: "Not met", NO_TARGET: "No target", NO_DATA: "No data"}
UNIT_LABELS = {
    "count": "Count",
    "percentage": "Percentage (%)",
    "money": "Money (£)",
    "days": "Days",
}
DIRECTION_LABELS = {"higher": "Higher is better", "lower": "Lower is better"}
PERIOD_LABELS = {
    "month": "Monthly",
    "quarter": "Quarterly",
    "financial year": "Yearly (financial year)",
}
#: How each cadence is said in a sentence ("reported quarterly").
_ADVERBS = {"month": "monthly", "quarter": "quarterly", "financial year": "once a financial year"}
_EXAMPLES = {
    "month": "a month such as 2013-04 (April 2013)",
    "quarter": "a quarter such as 2013/14 Q2",
    "financial year": "a financial year such as 2013/14",
}
_RANK = {"month": 0, "quarter": 1, "financial year": 2}
#: Units whose target for a longer period is shared out over its shorter periods.
ADDITIVE_UNITS = ("count", "money")

MIN_YEAR = 1990
MAX_YEAR = 2099
MAX_HUNDREDTHS = 10**14  # a trillion pounds: anything larger is a typing slip
MAX_NAME = 300
MAX_CODE = 30
MAX_SOURCE = 300
MAX_TEXT = 10_000
#: Periods in a trend line: two years of months, three of quarters, five years.
TREND_POINTS = {"month": 24, "quarter": 12, "financial year": 5}

_NAMESPACE = uuid.UUID("8f0d3b7e-1c5a-4e0f-9b61-2d7c4a9e5f13")


# =========================================================================== periods
@dataclass(frozen=True, order=True)
class Period:
    """A month, a financial-year quarter or a financial year (sorted by start)."""

    start: date
    kind: str

    # Worked out once per object (a frozen dataclass keeps an instance __dict__ for them).
    @functools.cached_property
    def fy(self) -> int:
        return financial_year_of(self.start)

    @functools.cached_property
    def end(self) -> date:
        if self.kind == "month":
            nxt = _month_index(self.start) + 1
            return _month_start(nxt) - timedelta(days=1)
        if self.kind == "quarter":
            return _month_start(_month_index(self.start) + 3) - timedelta(days=1)
        return date(self.start.year + 1, 3, 31)

    @property
    def quarter(self) -> int:
        return quarter_of(self.start)[1]

    @functools.cached_property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{fy_label(self.fy)} Q{self.quarter}"
        return fy_label(self.fy)

    @property
    def label(self) -> str:
        """What a person reads: "April 2013", "2013/14 Q2", "2013/14"."""
        if self.kind == "month":
            return f"{MONTH_NAMES[self.start.month - 1]} {self.start.year}"
        return self.key

    @property
    def short_label(self) -> str:
        """For chart axes: "Apr 13", "Q2 13/14", "2013/14"."""
        if self.kind == "month":
            return f"{MONTH_ABBR[self.start.month - 1]} {self.start.year % 100:02d}"
        if self.kind == "quarter":
            return f"Q{self.quarter} {self.fy % 100:02d}/{(self.fy + 1) % 100:02d}"
        return self.key

    def describe(self) -> str:
        """ "the month April 2013", "the quarter 2013/14 Q2", "the financial year 2013/14"."""
        return f"the {self.kind} {self.label}"

    def next(self) -> Period:
        return _shift(self, 1)

    def prev(self) -> Period:
        return _shift(self, -1)

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end

    def parts(self, kind: str) -> int:
        """How many periods of ``kind`` make up this one (12 months in a year)."""
        months = {"month": 1, "quarter": 3, "financial year": 12}
        return months[self.kind] // months[kind]

    def __str__(self) -> str:
        return self.key


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


@functools.lru_cache(maxsize=8192)
def _shift(p: Period, n: int) -> Period:
    months = {"month": 1, "quarter": 3, "financial year": 12}[p.kind]
    return Period(_month_start(_month_index(p.start) + n * months), p.kind)


def month_period(year: int, month: int) -> Period:
    return Period(date(year, month, 1), "month")


def quarter_period(fy: int, q: int) -> Period:
    return Period(_month_start(fy * 12 + 3 + 3 * (q - 1)), "quarter")


def year_period(fy: int) -> Period:
    return Period(date(fy, 4, 1), "financial year")


def period_of(d: date, kind: str) -> Period:
    """The period of ``kind`` that holds the day ``d``."""
    if isinstance(d, datetime):
        d = d.date()
    return _period_of(d, kind)


@functools.lru_cache(maxsize=8192)
def _period_of(d: date, kind: str) -> Period:
    if kind == "month":
        return month_period(d.year, d.month)
    if kind == "quarter":
        fy, q = quarter_of(d)
        return quarter_period(fy, q)
    if kind == "financial year":
        return year_period(financial_year_of(d))
    raise ValueError(f"unknown period kind {kind!r}")


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period from ``first`` to ``last`` inclusive (same kind), in order."""
    if first.kind != last.kind:
        raise ValueError("periods of different kinds")
    out: list[Period] = []
    p = first
    while p <= last:
        out.append(p)
        p = p.next()
    return out


def recent_periods(last: Period, n: int) -> list[Period]:
    """The ``n`` periods ending with ``last``, oldest first."""
    out = [last]
    for _ in range(n - 1):
        out.append(out[-1].prev())
    return out[::-1]


def last_complete_period(kind: str, today: date) -> Period:
    """The latest period of ``kind`` that ended before ``today``."""
    return period_of(today, kind).prev()


_MONTH_WORDS = {name.lower(): i + 1 for i, name in enumerate(MONTH_NAMES)}
_MONTH_WORDS.update({abbr.lower(): i + 1 for i, abbr in enumerate(MONTH_ABBR)})
_MONTH_WORDS["sept"] = 9
_ISO_MONTH = re.compile(r"(\d{4})\s*-\s*(\d{1,2})")
_NUM_MONTH = re.compile(r"(\d{1,2})\s*[/.]\s*(\d{4})")
_WORD_MONTH = re.compile(r"([A-Za-z]+)\.?[\s\-/,]*(\d{4}|\d{2})")
_FY = re.compile(r"(?:fy|f/y|financial\s+year)?\s*(\d{4})\s*[/\-]\s*(\d{4}|\d{2})", re.I)
_FY_QUARTER = re.compile(
    r"(?:fy\s*)?(\d{4})\s*[/\-]\s*(\d{4}|\d{2})\s*,?\s*(?:q|qtr|quarter)\s*([1-4])", re.I
)
_QUARTER_FY = re.compile(
    r"(?:q|qtr|quarter)\s*([1-4])\s*,?\s*(?:of\s+)?(?:fy\s*)?(\d{4})\s*[/\-]\s*(\d{4}|\d{2})",
    re.I,
)


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


def _consecutive(a: int, b_text: str) -> bool:
    b = int(b_text)
    return b == (a + 1) % 100 if len(b_text) == 2 else b == a + 1


def _read_month(text: str) -> Period | None:
    for pattern, order in ((_ISO_MONTH, "ym"), (_NUM_MONTH, "my")):
        m = pattern.fullmatch(text)
        if m:
            year, month = (int(m[1]), int(m[2])) if order == "ym" else (int(m[2]), int(m[1]))
            if 1 <= month <= 12 and MIN_YEAR <= year <= MAX_YEAR:
                return month_period(year, month)
            return None
    m = _WORD_MONTH.fullmatch(text)
    if m and m[1].lower() in _MONTH_WORDS:
        year = _year(m[2])
        if MIN_YEAR <= year <= MAX_YEAR:
            return month_period(year, _MONTH_WORDS[m[1].lower()])
    return None


def _read_quarter(text: str) -> Period | None:
    m = _FY_QUARTER.fullmatch(text)
    if m:
        fy, b, q = int(m[1]), m[2], int(m[3])
    else:
        m = _QUARTER_FY.fullmatch(text)
        if m:
            q, fy, b = int(m[1]), int(m[2]), m[3]
        else:
            try:
                fy, q = parse_quarter_label(text)
            except ValueError:
                return None
            b = f"{(fy + 1) % 100:02d}"
    if not _consecutive(fy, b) or not MIN_YEAR <= fy <= MAX_YEAR:
        return None
    return quarter_period(fy, q)


def _read_year(text: str) -> Period | None:
    m = _FY.fullmatch(text)
    if not m:
        return None
    fy = int(m[1])
    if not _consecutive(fy, m[2]) or not MIN_YEAR <= fy <= MAX_YEAR:
        return None
    return year_period(fy)


_READERS = {"month": _read_month, "quarter": _read_quarter, "financial year": _read_year}


def _read_period(text: str, prefer: str | None) -> Period | None:
    order = list(PERIODS)
    if prefer in order:
        order.remove(prefer)
        order.insert(0, prefer)
    for kind in order:
        found = _READERS[kind](text)
        if found is not None:
            return found
    return None


def parse_period(
    value: Any,
    kind: str | None = None,
    *,
    field: str = "period",
    allow_longer: bool = False,
) -> Period:
    """Read a period ("2013-04", "Apr 2013", "2013/14 Q2", "Q2 2013/14", "2013/14", ...).

    With ``kind`` the period must be of that cadence (or, with ``allow_longer``, of a
    longer one: targets).  A date (from a spreadsheet cell) gives the period of ``kind``
    that holds it.  Raises ValidationError (``field``) with a message for the user.
    """
    if isinstance(value, Period):
        found: Period | None = value
        text = value.key
    elif isinstance(value, date):
        found = period_of(value, kind or "month")
        text = format_date(value if not isinstance(value, datetime) else value.date())
    else:
        text = " ".join(("" if value is None else str(value)).split())
        if not text:
            what = _EXAMPLES[kind] if kind else "a month, a quarter or a financial year"
            raise ValidationError(f"Enter the period: {what}.", field=field)
        found = _read_period(text, kind)
    if found is None:
        raise ValidationError(
            f"'{text}' is not a period dvcoord can read: give a month such as 2013-04, a "
            "quarter such as 2013/14 Q2 or a financial year such as 2013/14.",
            field=field,
        )
    if kind is not None and found.kind != kind:
        if allow_longer and _RANK[found.kind] > _RANK[kind]:
            return found
        if allow_longer:
            allowed = [k for k in PERIODS if _RANK[k] >= _RANK[kind]]
            raise ValidationError(
                f"This indicator is reported {_ADVERBS[kind]}, so its targets are for "
                f"{' or '.join('a ' + k for k in allowed)}, not {found.describe()}.",
                field=field,
            )
        raise ValidationError(
            f"This indicator is reported {_ADVERBS[kind]}: give {_EXAMPLES[kind]}, "
            f"not {found.describe()}.",
            field=field,
        )
    return found


# =========================================================================== numbers
_NUMBER_RE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?")
_EXAMPLE_NUMBER = {"count": "17", "percentage": "51.2", "money": "1,234.50", "days": "23.5"}


def parse_number(value: Any, unit: str, *, field: str = "value", label: str = "The value") -> int:
    """A typed number as hundredths (pence for money); ValidationError for bad input.

    Accepts ``51.2``, ``51.2%``, ``£1,234.50``, ``1234``, ``23.5 days`` (text) and numbers
    from spreadsheet cells (rounded to two decimal places, half up).
    """
    if unit not in UNITS:
        raise ValidationError(f"'{unit}' is not a unit of measure.", field="unit")
    shown = value
    if isinstance(value, bool):
        raise ValidationError(f"{label} must be a number, not {value}.", field=field)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValidationError(f"{label} must be a number.", field=field)
        number = Decimal(repr(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    elif isinstance(value, Decimal):
        number = value.quantize(Decimal("0.01"), ROUND_HALF_UP)
    else:
        text = " ".join(("" if value is None else str(value)).split())
        shown = text
        if not text:
            raise ValidationError(f"{label} is empty: enter a number.", field=field)
        raw = text.replace(" ", "")
        if unit == "money":
            raw = re.sub(r"^([+-]?)£", r"\1", raw)
            raw = re.sub(r"(?i)^gbp", "", raw)
        if unit == "percentage":
            raw = raw.removesuffix("%")
        if unit == "days":
            raw = re.sub(r"(?i)days?$", "", raw)
        if not raw or not _NUMBER_RE.fullmatch(raw) or not any(c.isdigit() for c in raw):
            raise ValidationError(
                f"{label} '{text}' is not a number: type it in figures, for example "
                f"{_EXAMPLE_NUMBER.get(unit, '17')}.",
                field=field,
            )
        try:
            number = Decimal(raw.replace(",", ""))
        except InvalidOperation:
            raise ValidationError(f"{label} '{text}' is not a number.", field=field) from None
        places = -number.as_tuple().exponent  # type: ignore[operator]
        if places > 2:
            raise ValidationError(
                f"{label} '{text}' has {places} decimal places; give it to two at most.",
                field=field,
            )
    if number < 0:
        raise ValidationError(f"{label} cannot be negative ({shown}).", field=field)
    if unit == "percentage" and number > 100:
        raise ValidationError(
            f"{label} is a percentage, so it cannot be over 100 ({shown}).", field=field
        )
    if unit == "count" and number != number.to_integral_value():
        raise ValidationError(
            f"{label} is a count, so it must be a whole number ({shown} is not).", field=field
        )
    hundredths = int((number * 100).to_integral_value(ROUND_HALF_UP))
    if hundredths > MAX_HUNDREDTHS:
        raise ValidationError(f"{label} {shown} is too large to be right.", field=field)
    return hundredths


def _plain(hundredths: int, min_places: int) -> str:
    whole, frac = divmod(abs(hundredths), 100)
    text = f"{whole:,}"
    if frac or min_places:
        digits = f"{frac:02d}"
        if digits.endswith("0") and min_places < 2:
            digits = digits[:1]
            if digits == "0" and min_places == 0:
                digits = ""
        if digits:
            text += "." + digits
    return ("-" if hundredths < 0 else "") + text


def format_number(hundredths: int | None, unit: str, *, with_unit: bool = True) -> str:
    """51.2% · 1,234 · £1,234.50 · 23.5 days ("" for None)."""
    if hundredths is None:
        return ""
    if unit == "money":
        text = "£" + _plain(hundredths, 2) if hundredths >= 0 else "-£" + _plain(-hundredths, 2)
        return text if with_unit else text.lstrip("-£")
    if unit == "percentage":
        text = _plain(hundredths, 1)
        return f"{text}%" if with_unit else text
    if unit == "days":
        text = _plain(hundredths, 0)
        if not with_unit:
            return text
        return f"{text} day" if hundredths == 100 else f"{text} days"
    return _plain(hundredths, 0)


def to_float(hundredths: int | None) -> float | None:
    return None if hundredths is None else hundredths / 100


def _round_div(numerator: int, denominator: int) -> int:
    return int((Decimal(numerator) / Decimal(denominator)).to_integral_value(ROUND_HALF_UP))


# =========================================================================== status
@dataclass(frozen=True)
class ResolvedTarget:
    """The target and national figure that apply to one period, and where they came from."""

    target: int | None = None
    national: int | None = None
    #: The period whose target row applies (None: no target row covers the period).
    source: Period | None = None
    #: True when a longer period's target was shared out (counts and money).
    shared_out: bool = False

    @property
    def describe(self) -> str:
        if self.source is None:
            return ""
        if self.shared_out:
            return f"share of the {self.source.kind} {self.source.label}"
        return self.source.label


def status_of(value: int | None, target: int | None, direction: str) -> str:
    """met / not met / no target / no data, higher or lower being better."""
    if value is None:
        return NO_DATA
    if target is None:
        return NO_TARGET
    if direction == "lower":
        return MET if value <= target else NOT_MET
    return MET if value >= target else NOT_MET


def shortfall(value: int | None, target: int | None, direction: str) -> float:
    """How far off target, relative to the target (0 when met or not judged)."""
    if value is None or target is None or status_of(value, target, direction) == MET:
        return 0.0
    gap = (target - value) if direction == "higher" else (value - target)
    return gap / target if target else float(gap)


def resolve_target(
    targets: dict[str, tuple[int | None, int | None]],
    period: Period,
    unit: str,
) -> ResolvedTarget:
    """The target for ``period`` from ``targets`` (period key -> (target, national)).

    The period's own target first, then the quarter and the financial year holding it;
    a longer period's figure is shared out for counts and money.
    """
    candidates = [period]
    if period.kind == "month":
        candidates.append(period_of(period.start, "quarter"))
    if period.kind in ("month", "quarter"):
        candidates.append(period_of(period.start, "financial year"))
    target: int | None = None
    national: int | None = None
    source: Period | None = None
    shared = False
    for candidate in candidates:
        found = targets.get(candidate.key)
        if found is None:
            continue
        parts = candidate.parts(period.kind)
        share = unit in ADDITIVE_UNITS and parts > 1
        t, n = found
        if target is None and t is not None:
            target = _round_div(t, parts) if share else t
            if source is None:
                source, shared = candidate, share
        if national is None and n is not None:
            national = _round_div(n, parts) if share else n
            if source is None:
                source, shared = candidate, share
        if target is not None and national is not None:
            break
    return ResolvedTarget(target, national, source, shared)


# =========================================================================== computed
#: compute(session, periods, today) -> a value (hundredths) or None for each period.
ComputeFn = Callable[[Session, list[Period], date], list[int | None]]


@dataclass(frozen=True)
class ComputedSpec:
    key: str
    name: str
    description: str
    unit: str
    direction: str
    period: str  # the usual cadence (any cadence can be chosen)
    data_source: str
    area: str
    compute: ComputeFn


COMPUTED: dict[str, ComputedSpec] = {}


def _module_present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _register(spec: ComputedSpec, needs: Sequence[str]) -> None:
    """Offer ``spec`` only when every module in ``needs`` is part of this dvcoord."""
    if all(_module_present(n) for n in needs):
        COMPUTED[spec.key] = spec


def _as_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _judged(periods: list[Period], today: date) -> list[tuple[Period, date] | None]:
    """Each period with the last day to count (today for the current one), or None for a
    period that has not started."""
    return [(p, min(p.end, today)) if p.start <= today else None for p in periods]


def _bucket_counts(days: Iterable[date], periods: list[Period], today: date) -> list[int | None]:
    starts = [p.start for p in periods]
    counts = [0] * len(periods)
    for d in days:
        if d is None:
            continue
        i = bisect.bisect_right(starts, d) - 1
        if 0 <= i < len(periods) and d <= periods[i].end:
            counts[i] += 1
    return [
        c * 100 if j is not None else None
        for c, j in zip(counts, _judged(periods, today), strict=True)
    ]


def _alarms_issued(session: Session, periods: list[Period], today: date) -> list[int | None]:
    from dvcoord.store.schema.alarms import Loan

    days = session.scalars(
        select(Loan.issued_date).where(
            Loan.deleted_at.is_(None),
            Loan.issued_date.between(periods[0].start, min(periods[-1].end, today)),
        )
    )
    return _bucket_counts((_as_date(d) for d in days), periods, today)


def _loans_open(session: Session, periods: list[Period], today: date) -> list[int | None]:
    """Loans open at the end of each period (at today for the current one)."""
    from dvcoord.store.schema.alarms import Loan

    judged = _judged(periods, today)
    last = max((j[1] for j in judged if j is not None), default=None)
    if last is None:
        return [None] * len(periods)
    first = periods[0].end
    rows = session.execute(
        select(Loan.issued_date, Loan.ended_date).where(
            Loan.deleted_at.is_(None),
            Loan.issued_date <= last,
            (Loan.ended_date.is_(None)) | (Loan.ended_date > min(first, last)),
        )
    ).all()
    issued = sorted(_as_date(i) for i, _ in rows)
    ended = sorted(d for _, e in rows if (d := _as_date(e)) is not None)
    out: list[int | None] = []
    for j in judged:
        if j is None:
            out.append(None)
            continue
        on = j[1]
        n = bisect.bisect_right(issued, on) - bisect.bisect_right(ended, on)
        out.append(max(0, n) * 100)
    return out


def _installations(session: Session, periods: list[Period], today: date) -> list[int | None]:
    from dvcoord.services.sanctuary import installation_times

    out: list[int | None] = []
    for p, j in zip(periods, _judged(periods, today), strict=True):
        out.append(len(installation_times(session, p.start, j[1]).rows) * 100 if j else None)
    return out


def _median_days(session: Session, periods: list[Period], today: date) -> list[int | None]:
    from dvcoord.services.sanctuary import installation_times

    out: list[int | None] = []
    for p, j in zip(periods, _judged(periods, today), strict=True):
        if j is None:
            out.append(None)
            continue
        median = installation_times(session, p.start, j[1]).median
        out.append(None if median is None else int(Decimal(str(median)) * 100))
    return out


def _sessions_delivered(session: Session, periods: list[Period], today: date) -> list[int | None]:
    """Sessions held in the period (on or before today) that someone attended."""
    from dvcoord.store.schema.training import Attendance, TrainingSession

    attended = exists().where(
        Attendance.session_id == TrainingSession.id,
        Attendance.status == "attended",
        Attendance.deleted_at.is_(None),
    )
    days = session.scalars(
        select(TrainingSession.session_date).where(
            TrainingSession.deleted_at.is_(None),
            TrainingSession.session_date.between(periods[0].start, min(periods[-1].end, today)),
            attended,
        )
    )
    return _bucket_counts((_as_date(d) for d in days), periods, today)


def _people_trained(session: Session, periods: list[Period], today: date) -> list[int | None]:
    """Different people who completed a session in the period (attended)."""
    from dvcoord.store.schema.training import Attendance, Trainee, TrainingSession

    rows = session.execute(
        select(
            Attendance.trainee_id,
            func.coalesce(Attendance.completed_on, TrainingSession.session_date),
        )
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(Trainee, Trainee.id == Attendance.trainee_id)
        .where(
            Attendance.deleted_at.is_(None),
            Attendance.status == "attended",
            TrainingSession.deleted_at.is_(None),
            Trainee.deleted_at.is_(None),
            func.coalesce(Attendance.completed_on, TrainingSession.session_date).between(
                periods[0].start, min(periods[-1].end, today)
            ),
        )
    ).all()
    starts = [p.start for p in periods]
    people: list[set[str]] = [set() for _ in periods]
    for trainee, on in rows:
        d = _as_date(on)
        i = bisect.bisect_right(starts, d) - 1
        if 0 <= i < len(periods) and d <= periods[i].end:
            people[i].add(trainee)
    return [
        len(found) * 100 if j is not None else None
        for found, j in zip(people, _judged(periods, today), strict=True)
    ]


def _milestones_on_time(session: Session, periods: list[Period], today: date) -> list[int | None]:
    """Of the milestones due in the period (up to today, not dropped), the percentage
    completed on or before their due date (to one decimal place).  The same milestones as
    :func:`dvcoord.services.milestones.milestone_rows` (live, of live actions, themes and
    plans, archived plans included), read with one lean query."""
    from dvcoord.store.schema.plans import Milestone, Theme

    last = min(periods[-1].end, today)
    if last < periods[0].start:
        return [None] * len(periods)
    rows = session.execute(
        select(Milestone.due_end, Milestone.completed_on, Milestone.status)
        .join(Action, (Action.id == Milestone.action_id) & Action.deleted_at.is_(None))
        .join(Plan, (Plan.id == Action.plan_id) & Plan.deleted_at.is_(None))
        .join(Theme, (Theme.id == Action.theme_id) & Theme.deleted_at.is_(None))
        .where(
            Milestone.deleted_at.is_(None),
            Milestone.status.in_(("open", "complete")),
            Milestone.due_end.between(periods[0].start, last),
        )
    ).all()
    starts = [p.start for p in periods]
    due = [0] * len(periods)
    on_time = [0] * len(periods)
    for due_end, completed_on, status in rows:
        due_end, completed_on = _as_date(due_end), _as_date(completed_on)
        i = bisect.bisect_right(starts, due_end) - 1
        if not 0 <= i < len(periods) or due_end > periods[i].end:
            continue
        due[i] += 1
        if status == "complete" and completed_on is not None and completed_on <= due_end:
            on_time[i] += 1
    return [
        _round_div(o * 1000, d) * 10 if j is not None and d else None
        for o, d, j in zip(on_time, due, _judged(periods, today), strict=True)
    ]


_register(
    ComputedSpec(
        "alarms.issued",
        "Panic alarms issued",
        "Alarm loans issued in the period, from the panic-alarm records.",
        "count",
        "higher",
        "quarter",
        "dvcoord: panic alarms",
        "Panic alarms",
        _alarms_issued,
    ),
    ["dvcoord.store.schema.alarms"],
)
_register(
    ComputedSpec(
        "alarms.loans_open",
        "Panic alarm loans open",
        "Alarm loans still open at the end of the period (at today for the current one).",
        "count",
        "higher",
        "month",
        "dvcoord: panic alarms",
        "Panic alarms",
        _loans_open,
    ),
    ["dvcoord.store.schema.alarms"],
)
_register(
    ComputedSpec(
        "sanctuary.installations",
        "Sanctuary Scheme installations completed",
        "Homes where the Sanctuary measures were installed in the period.",
        "count",
        "higher",
        "quarter",
        "dvcoord: Sanctuary Scheme",
        "Sanctuary Scheme",
        _installations,
    ),
    ["dvcoord.store.schema.sanctuary", "dvcoord.services.sanctuary"],
)
_register(
    ComputedSpec(
        "sanctuary.median_days",
        "Median days from Sanctuary referral to installation",
        "For the homes installed in the period, the median number of days from referral "
        "to installation.",
        "days",
        "lower",
        "quarter",
        "dvcoord: Sanctuary Scheme",
        "Sanctuary Scheme",
        _median_days,
    ),
    ["dvcoord.store.schema.sanctuary", "dvcoord.services.sanctuary"],
)
_register(
    ComputedSpec(
        "training.sessions",
        "Training sessions delivered",
        "Training sessions held in the period that at least one person attended.",
        "count",
        "higher",
        "quarter",
        "dvcoord: training",
        "Training",
        _sessions_delivered,
    ),
    ["dvcoord.store.schema.training"],
)
_register(
    ComputedSpec(
        "training.people",
        "People trained",
        "Different members of staff who attended a training session in the period.",
        "count",
        "higher",
        "quarter",
        "dvcoord: training",
        "Training",
        _people_trained,
    ),
    ["dvcoord.store.schema.training"],
)
_register(
    ComputedSpec(
        "plans.milestones_on_time",
        "Milestones completed on time",
        "Of the action-plan milestones due in the period, the percentage completed by "
        "their due date (dropped milestones are left out).",
        "percentage",
        "higher",
        "quarter",
        "dvcoord: action plans",
        "Action plans",
        _milestones_on_time,
    ),
    ["dvcoord.services.milestones"],
)


def computed_choices() -> list[ComputedSpec]:
    """The computed indicators this dvcoord offers, by area then name."""
    return sorted(COMPUTED.values(), key=lambda s: (s.area, s.name))


def compute_series(
    session: Session, indicator: Indicator, periods: list[Period], today: date
) -> list[int | None]:
    """The computed values of ``indicator`` for ``periods`` (None where not known)."""
    spec = COMPUTED.get(indicator.computed_key or "")
    if spec is None or not periods:
        return [None] * len(periods)
    return spec.compute(session, periods, today)


def computed_id(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"computed:{key}"))


def _value_id(indicator_id: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"value:{indicator_id}:{key}"))


def _target_id(indicator_id: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"target:{indicator_id}:{key}"))


def _link_id(indicator_id: str, action_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"action:{indicator_id}:{action_id}"))


# =========================================================================== helpers
def _live(model):  # noqa: ANN001, ANN202
    return model.deleted_at.is_(None)


def _flush(session: Session, note: str) -> None:
    previous = session.info.get("audit_note", "")
    session.info["audit_note"] = note
    try:
        session.flush()
    finally:
        session.info["audit_note"] = previous


def _text(value: Any, limit: int, field_name: str, label: str, *, required: bool = False) -> str:
    text = " ".join(("" if value is None else str(value)).split())
    if required and not text:
        raise ValidationError(f"Enter {label.lower()}.", field=field_name)
    if len(text) > limit:
        raise ValidationError(f"{label} must be {limit} characters or fewer.", field=field_name)
    return text


def _long_text(value: Any, field_name: str, label: str) -> str:
    text = ("" if value is None else str(value)).strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(
            f"{label} is {len(text):,} characters long; the limit is {MAX_TEXT:,}.",
            field=field_name,
        )
    return text


def get_indicator(session: Session, indicator_id: str | None) -> Indicator:
    found = session.get(Indicator, indicator_id) if indicator_id else None
    if found is None or found.deleted_at is not None:
        raise ValidationError(
            "That indicator is no longer in the database (it may have been deleted).",
            field="indicator",
        )
    return found


def _agency(session: Session, agency_id: str | None) -> str | None:
    if not agency_id:
        return None
    found = session.get(Agency, agency_id)
    if found is None or found.deleted_at is not None:
        raise ValidationError("That agency is no longer in the database.", field="owner_agency")
    return found.id


def _choice(value: Any, choices: Sequence[str], field_name: str, label: str) -> str:
    text = " ".join(("" if value is None else str(value)).split()).lower()
    if text not in choices:
        raise ValidationError(
            f"{label} must be one of {', '.join(choices)}, not '{value}'.", field=field_name
        )
    return text


def _counts(session: Session, indicator_id: str) -> tuple[int, int]:
    values = session.scalar(
        select(func.count())
        .select_from(IndicatorValue)
        .where(IndicatorValue.indicator_id == indicator_id, _live(IndicatorValue))
    )
    targets = session.scalar(
        select(func.count())
        .select_from(IndicatorTarget)
        .where(IndicatorTarget.indicator_id == indicator_id, _live(IndicatorTarget))
    )
    return int(values or 0), int(targets or 0)


# =========================================================================== indicators
_FIELDS = {
    "code",
    "name",
    "description",
    "unit",
    "direction",
    "period",
    "data_source",
    "owner_agency_id",
    "active",
}


def _definition(session: Session, values: dict[str, Any], exclude_id: str | None) -> dict[str, Any]:
    name = _text(values.get("name"), MAX_NAME, "name", "The indicator's name", required=True)
    clash = session.scalar(
        select(Indicator.name).where(
            func.lower(Indicator.name) == name.lower(),
            _live(Indicator),
            Indicator.id != (exclude_id or ""),
        )
    )
    if clash:
        raise ValidationError(f"There is already an indicator called '{clash}'.", field="name")
    return {
        "code": _text(values.get("code"), MAX_CODE, "code", "The reference"),
        "name": name,
        "description": _long_text(values.get("description"), "description", "The description"),
        "unit": _choice(values.get("unit"), UNITS, "unit", "The unit"),
        "direction": _choice(values.get("direction"), DIRECTIONS, "direction", "The direction"),
        "period": _choice(values.get("period"), PERIODS, "period", "How often it is reported"),
        "data_source": _text(values.get("data_source"), MAX_SOURCE, "data_source", "The source"),
        "owner_agency_id": _agency(session, values.get("owner_agency_id")),
        "active": bool(values.get("active", True)),
    }


def create_indicator(
    session: Session, *, computed_key: str | None = None, **values: Any
) -> Indicator:
    """Add an indicator: ``name``, ``unit``, ``direction``, ``period`` and optionally
    ``code``, ``description``, ``data_source``, ``owner_agency_id``, ``active``.

    With ``computed_key`` (one of :data:`COMPUTED`) dvcoord works its values out; its unit
    and direction are the calculation's and anything left out is filled in from it.
    """
    unknown = set(values) - _FIELDS
    if unknown:
        raise TypeError(f"unknown indicator fields: {sorted(unknown)}")
    row_id: str | None = None
    if computed_key:
        spec = COMPUTED.get(computed_key)
        if spec is None:
            raise ValidationError(
                f"dvcoord cannot compute '{computed_key}'; choose one of the figures it offers.",
                field="computed_key",
            )
        values = {
            "name": spec.name,
            "description": spec.description,
            "period": spec.period,
            "data_source": spec.data_source,
            **{k: v for k, v in values.items() if v not in (None, "")},
            "unit": spec.unit,
            "direction": spec.direction,
        }
        row_id = computed_id(computed_key)
    clean = _definition(session, values, row_id)
    if row_id is not None:
        existing = session.get(Indicator, row_id)
        if existing is not None and existing.deleted_at is None:
            raise ValidationError(
                f"dvcoord already tracks '{existing.name}' (computed); edit that one.",
                field="computed_key",
            )
        if existing is not None:  # deleted before: the same row comes back
            for key, value in clean.items():
                setattr(existing, key, value)
            existing.deleted_at = None
            _flush(session, "computed indicator added again")
            return existing
    extra = {"id": row_id} if row_id is not None else {}
    row = Indicator(computed_key=computed_key or None, **extra, **clean)
    session.add(row)
    _flush(session, "indicator added")
    return row


def update_indicator(session: Session, indicator_id: str, **changes: Any) -> Indicator:
    """Change an indicator's definition.  The unit and cadence cannot change once values
    or targets are recorded; a computed indicator's unit and direction never change."""
    unknown = set(changes) - _FIELDS
    if unknown:
        raise TypeError(f"unknown indicator fields: {sorted(unknown)}")
    row = get_indicator(session, indicator_id)
    current = {name: getattr(row, name) for name in _FIELDS}
    clean = _definition(session, {**current, **changes}, row.id)
    if row.computed_key:
        for name in ("unit", "direction"):
            if clean[name] != current[name]:
                raise ValidationError(
                    f"This indicator is computed by dvcoord; its {name} is fixed.", field=name
                )
    if clean["unit"] != row.unit or clean["period"] != row.period:
        n_values, n_targets = _counts(session, row.id)
        if n_values or n_targets:
            what = "unit" if clean["unit"] != row.unit else "period"
            field_name = "unit" if what == "unit" else "period"
            raise ValidationError(
                f"This indicator already has {n_values} value(s) and {n_targets} target(s), "
                f"so its {'unit' if what == 'unit' else 'reporting period'} cannot change; "
                "add a new indicator instead.",
                field=field_name,
            )
    for key, value in clean.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
    _flush(session, "indicator changed")
    return row


def delete_indicator(session: Session, indicator_id: str) -> None:
    """Tombstone the indicator with its values, targets and action links."""
    row = get_indicator(session, indicator_id)
    when = utcnow()
    for model in (IndicatorValue, IndicatorTarget, IndicatorAction):
        for child in session.scalars(
            select(model).where(model.indicator_id == row.id, _live(model))
        ):
            child.deleted_at = when
    row.deleted_at = when
    _flush(session, "indicator deleted")


# =========================================================================== values
def _period_row(session: Session, model, indicator_id: str, key: str, row_id: str | None):  # noqa: ANN001, ANN202
    """The live row of ``model`` for the period, else (when ``row_id`` is given) the row
    with that deterministic id even if deleted (it comes back), else None."""
    found = session.scalars(
        select(model).where(
            model.indicator_id == indicator_id, model.period_key == key, _live(model)
        )
    ).first()
    if found is not None or row_id is None:
        return found
    return session.get(model, row_id)


def set_value(
    session: Session,
    indicator_id: str,
    period: Any,
    value: Any,
    note: str = "",
    *,
    today: date | None = None,
) -> IndicatorValue:
    """Record (or change) the value of one period."""
    today = today or date.today()
    indicator = get_indicator(session, indicator_id)
    if indicator.computed_key:
        raise ValidationError(
            f"'{indicator.name}' is computed by dvcoord from its own records; its values "
            "cannot be typed in.",
            field="value",
        )
    p = parse_period(period, indicator.period)
    if p.start > today:
        raise ValidationError(
            f"{p.label} has not started yet, so there is no value to record for it.",
            field="period",
        )
    hundredths = parse_number(value, indicator.unit)
    note = _long_text(note, "note", "The note")
    row_id = _value_id(indicator.id, p.key)
    row = _period_row(session, IndicatorValue, indicator.id, p.key, row_id)
    if row is None:
        row = IndicatorValue(
            id=row_id,
            indicator_id=indicator.id,
            period_key=p.key,
            period_start=p.start,
            period_end=p.end,
            value_hundredths=hundredths,
            note=note,
        )
        session.add(row)
    else:
        row.period_key, row.period_start, row.period_end = p.key, p.start, p.end
        if row.value_hundredths != hundredths:
            row.value_hundredths = hundredths
        if row.note != note:
            row.note = note
        if row.deleted_at is not None:
            row.deleted_at = None
    _flush(session, "indicator value recorded")
    return row


def delete_value(session: Session, indicator_id: str, period: Any) -> bool:
    """Remove the value of one period; False if there was none."""
    indicator = get_indicator(session, indicator_id)
    p = parse_period(period, indicator.period)
    row = _period_row(session, IndicatorValue, indicator.id, p.key, None)
    if row is None:
        return False
    row.deleted_at = utcnow()
    _flush(session, "indicator value deleted")
    return True


def set_target(
    session: Session,
    indicator_id: str,
    period: Any,
    target: Any = None,
    national: Any = None,
    note: str = "",
) -> IndicatorTarget:
    """Record the local target (and optionally the national figure) for a period of the
    indicator's cadence or a longer one."""
    indicator = get_indicator(session, indicator_id)
    if period is None or (isinstance(period, str) and not period.strip()):
        raise ValidationError(
            "A target needs the period it is for: "
            f"{_EXAMPLES[indicator.period]} (or a longer period).",
            field="period",
        )
    p = parse_period(period, indicator.period, allow_longer=True)
    empty_t = target is None or (isinstance(target, str) and not target.strip())
    empty_n = national is None or (isinstance(national, str) and not national.strip())
    if empty_t and empty_n:
        raise ValidationError(
            f"Enter the target for {p.label}, or a national figure, or both.", field="target"
        )
    t = (
        None
        if empty_t
        else parse_number(target, indicator.unit, field="target", label="The target")
    )
    n = (
        None
        if empty_n
        else parse_number(national, indicator.unit, field="national", label="The national figure")
    )
    note = _long_text(note, "target_note", "The note")
    row_id = _target_id(indicator.id, p.key)
    row = _period_row(session, IndicatorTarget, indicator.id, p.key, row_id)
    if row is None:
        row = IndicatorTarget(
            id=row_id,
            indicator_id=indicator.id,
            period_key=p.key,
            period_start=p.start,
            period_end=p.end,
            target_hundredths=t,
            national_hundredths=n,
            note=note,
        )
        session.add(row)
    else:
        for key, value in (
            ("period_key", p.key),
            ("period_start", p.start),
            ("period_end", p.end),
            ("target_hundredths", t),
            ("national_hundredths", n),
            ("note", note),
        ):
            if getattr(row, key) != value:
                setattr(row, key, value)
        if row.deleted_at is not None:
            row.deleted_at = None
    _flush(session, "indicator target recorded")
    return row


def delete_target(session: Session, indicator_id: str, period: Any) -> bool:
    indicator = get_indicator(session, indicator_id)
    p = parse_period(period, indicator.period, allow_longer=True)
    row = _period_row(session, IndicatorTarget, indicator.id, p.key, None)
    if row is None:
        return False
    row.deleted_at = utcnow()
    _flush(session, "indicator target deleted")
    return True


# --------------------------------------------------------------------------- the grid
@dataclass(frozen=True)
class GridRow:
    """One period of an indicator's values grid (the editor)."""

    period: Period
    value: int | None  # stored, or computed for a computed indicator
    note: str
    target: int | None
    national: int | None
    target_note: str
    has_value_row: bool
    has_target_row: bool
    #: The target that applies to this period (own or from a longer period).
    resolved: ResolvedTarget
    status: str


def _targets_of(session: Session, indicator_ids: Iterable[str]):  # noqa: ANN202
    found: dict[str, dict[str, tuple[int | None, int | None]]] = defaultdict(dict)
    ids = list(indicator_ids)
    if not ids:
        return found
    for iid, key, t, n in session.execute(
        select(
            IndicatorTarget.indicator_id,
            IndicatorTarget.period_key,
            IndicatorTarget.target_hundredths,
            IndicatorTarget.national_hundredths,
        ).where(_live(IndicatorTarget), IndicatorTarget.indicator_id.in_(ids))
    ):
        found[iid][key] = (t, n)
    return found


def value_grid(
    session: Session, indicator_id: str, today: date, *, computed_periods: int = 24
) -> list[GridRow]:
    """Every period with a value or a target (newest first); for a computed indicator,
    also the last ``computed_periods`` periods with their computed values."""
    indicator = get_indicator(session, indicator_id)
    values = {
        v.period_key: v
        for v in session.scalars(
            select(IndicatorValue).where(
                IndicatorValue.indicator_id == indicator.id, _live(IndicatorValue)
            )
        )
    }
    target_rows = {
        t.period_key: t
        for t in session.scalars(
            select(IndicatorTarget).where(
                IndicatorTarget.indicator_id == indicator.id, _live(IndicatorTarget)
            )
        )
    }
    targets = {k: (t.target_hundredths, t.national_hundredths) for k, t in target_rows.items()}
    periods: dict[str, Period] = {}
    for key in list(values) + list(target_rows):
        p = parse_period(key)
        periods[p.key] = p
    computed: dict[str, int | None] = {}
    if indicator.computed_key:
        span = recent_periods(last_complete_period(indicator.period, today), computed_periods)
        own = [p for p in periods.values() if p.kind == indicator.period and p.start <= today]
        span = sorted(set(span) | set(own))
        for p, v in zip(span, compute_series(session, indicator, span, today), strict=True):
            computed[p.key] = v
            periods[p.key] = p
    rows = []
    for key, p in periods.items():
        v = values.get(key)
        t = target_rows.get(key)
        value = computed.get(key) if indicator.computed_key else (v.value_hundredths if v else None)
        own_cadence = p.kind == indicator.period
        resolved = resolve_target(targets, p, indicator.unit) if own_cadence else ResolvedTarget()
        rows.append(
            GridRow(
                period=p,
                value=value,
                note=v.note if v else "",
                target=t.target_hundredths if t else None,
                national=t.national_hundredths if t else None,
                target_note=t.note if t else "",
                has_value_row=v is not None,
                has_target_row=t is not None,
                resolved=resolved,
                status=status_of(value, resolved.target, indicator.direction)
                if own_cadence
                else NO_DATA,
            )
        )
    # newest first; a year's row above its quarters (its end is the latest)
    return sorted(rows, key=lambda r: (r.period.end, _RANK[r.period.kind]), reverse=True)


@dataclass(frozen=True)
class PeriodEntry:
    """One row of the values grid as typed: every field is text."""

    period: str
    value: str = ""
    note: str = ""
    target: str = ""
    national: str = ""
    target_note: str = ""


def save_periods(
    session: Session,
    indicator_id: str,
    entries: Sequence[PeriodEntry],
    *,
    today: date | None = None,
) -> tuple[int, int]:
    """Make the indicator's values and targets exactly what the grid holds.

    A period left out (or with the value and targets emptied) loses its value and target.
    ValidationError fields are ``"rows.<n>.<column>"`` (``n`` from 0) so a grid can show
    the problem at its cell.  Returns (values, targets) kept.
    """
    today = today or date.today()
    indicator = get_indicator(session, indicator_id)
    seen: dict[str, int] = {}
    wanted_values: set[str] = set()
    wanted_targets: set[str] = set()
    for n, e in enumerate(entries):
        try:
            p = parse_period(e.period, indicator.period, allow_longer=True)
        except ValidationError as exc:
            raise ValidationError(str(exc), field=f"rows.{n}.period") from None
        if p.key in seen:
            raise ValidationError(
                f"{p.label} is in the grid twice (rows {seen[p.key] + 1} and {n + 1}).",
                field=f"rows.{n}.period",
            )
        seen[p.key] = n
        has_value = bool(e.value.strip()) and not indicator.computed_key
        has_target = bool(e.target.strip() or e.national.strip())
        if has_value:
            if p.kind != indicator.period:
                raise ValidationError(
                    f"Values of this indicator are for {_EXAMPLES[indicator.period]}; "
                    f"{p.label} can hold a target only.",
                    field=f"rows.{n}.value",
                )
            try:
                set_value(session, indicator.id, p, e.value, e.note, today=today)
            except ValidationError as exc:
                column = "note" if exc.field == "note" else "value"
                if exc.field == "period":
                    column = "period"
                raise ValidationError(str(exc), field=f"rows.{n}.{column}") from None
            wanted_values.add(p.key)
        elif e.note.strip() and not indicator.computed_key:
            raise ValidationError(
                f"The note for {p.label} needs a value to go with it.", field=f"rows.{n}.value"
            )
        if has_target:
            try:
                set_target(session, indicator.id, p, e.target, e.national, e.target_note)
            except ValidationError as exc:
                column = exc.field if exc.field in ("national", "period") else "target"
                raise ValidationError(str(exc), field=f"rows.{n}.{column}") from None
            wanted_targets.add(p.key)
    when = utcnow()
    for model, wanted in ((IndicatorValue, wanted_values), (IndicatorTarget, wanted_targets)):
        if model is IndicatorValue and indicator.computed_key:
            continue
        for row in session.scalars(
            select(model).where(model.indicator_id == indicator.id, _live(model))
        ):
            if row.period_key not in wanted:
                row.deleted_at = when
    _flush(session, "indicator values saved")
    return len(wanted_values), len(wanted_targets)


# =========================================================================== series
@dataclass(frozen=True)
class SeriesPoint:
    period: Period
    value: int | None
    target: int | None
    national: int | None
    status: str
    note: str = ""


def series(
    session: Session,
    indicator_id: str,
    periods: Sequence[Period],
    today: date,
) -> list[SeriesPoint]:
    """The indicator's values, targets and status for each of ``periods`` (its cadence)."""
    indicator = get_indicator(session, indicator_id)
    return _series_for(session, indicator, list(periods), today)


def _series_for(
    session: Session,
    indicator: Indicator,
    periods: list[Period],
    today: date,
    *,
    stored: dict[str, tuple[int, str]] | None = None,
    targets: dict[str, tuple[int | None, int | None]] | None = None,
) -> list[SeriesPoint]:
    if not periods:
        return []
    if targets is None:
        targets = _targets_of(session, [indicator.id]).get(indicator.id, {})
    if indicator.computed_key:
        values = compute_series(session, indicator, periods, today)
        notes = [""] * len(periods)
    else:
        if stored is None:
            stored = {
                key: (v, note)
                for key, v, note in session.execute(
                    select(
                        IndicatorValue.period_key,
                        IndicatorValue.value_hundredths,
                        IndicatorValue.note,
                    ).where(
                        IndicatorValue.indicator_id == indicator.id,
                        _live(IndicatorValue),
                        IndicatorValue.period_start.between(periods[0].start, periods[-1].start),
                    )
                )
            }
        values = [stored[p.key][0] if p.key in stored else None for p in periods]
        notes = [stored[p.key][1] if p.key in stored else "" for p in periods]
    out = []
    for p, v, note in zip(periods, values, notes, strict=True):
        r = resolve_target(targets, p, indicator.unit)
        out.append(
            SeriesPoint(
                p, v, r.target, r.national, status_of(v, r.target, indicator.direction), note
            )
        )
    return out


# =========================================================================== the table
@dataclass(frozen=True)
class IndicatorRow:
    """An indicator with its latest value, the target for that period and its trend."""

    id: str
    code: str
    name: str
    description: str
    unit: str
    direction: str
    period: str
    data_source: str
    owner: str
    computed_key: str | None
    active: bool
    latest: Period | None
    value: int | None
    note: str
    target: ResolvedTarget
    status: str
    trend: tuple[SeriesPoint, ...]
    actions: int = 0

    @property
    def computed(self) -> bool:
        return bool(self.computed_key)

    @property
    def computed_known(self) -> bool:
        return self.computed_key in COMPUTED

    @property
    def value_text(self) -> str:
        return format_number(self.value, self.unit)

    @property
    def target_text(self) -> str:
        return format_number(self.target.target, self.unit)

    @property
    def national_text(self) -> str:
        return format_number(self.target.national, self.unit)

    @property
    def latest_label(self) -> str:
        return self.latest.label if self.latest else ""

    @property
    def source_text(self) -> str:
        if self.computed_key:
            return "Computed by dvcoord" if self.computed_known else "Computed (not available)"
        return self.data_source

    @property
    def shortfall(self) -> float:
        return shortfall(self.value, self.target.target, self.direction)

    @property
    def display_name(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name


def _latest_stored(
    session: Session, ids: list[str], points: int
) -> dict[str, list[tuple[str, int, str]]]:
    """The newest ``points`` stored values of each indicator (newest first), one query."""
    if not ids:
        return {}
    ranked = (
        select(
            IndicatorValue.indicator_id,
            IndicatorValue.period_key,
            IndicatorValue.value_hundredths,
            IndicatorValue.note,
            func.row_number()
            .over(
                partition_by=IndicatorValue.indicator_id,
                order_by=IndicatorValue.period_start.desc(),
            )
            .label("rank"),
        )
        .where(_live(IndicatorValue), IndicatorValue.indicator_id.in_(ids))
        .subquery()
    )
    found: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for iid, key, v, note, _rank in session.execute(
        select(ranked).where(ranked.c.rank <= points).order_by(ranked.c.indicator_id, ranked.c.rank)
    ):
        found[iid].append((key, v, note))
    return found


def indicator_rows(
    session: Session,
    today: date,
    *,
    include_inactive: bool = True,
    trend_points: dict[str, int] | None = None,
    ids: Iterable[str] | None = None,
) -> list[IndicatorRow]:
    """Every live indicator (or those of ``ids``) with its latest value, target, status
    and recent trend.

    Typed-in indicators: the latest stored value, and the ``trend_points[cadence]``
    periods (default :data:`TREND_POINTS`) ending with it.  Computed ones: the last
    complete period (no data if nothing happened in it), and the periods ending with it.  Computed ones: the last complete period, and the periods ending with it.
    A handful of queries whatever the number of indicators and values.
    """
    where = [_live(Indicator)]
    if not include_inactive:
        where.append(Indicator.active.is_(True))
    if ids is not None:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        where.append(Indicator.id.in_(wanted))
    indicators = list(
        session.execute(
            select(Indicator, Agency.name, Agency.short_name)
            .outerjoin(Agency, Agency.id == Indicator.owner_agency_id)
            .where(*where)
            .order_by(func.lower(Indicator.code), func.lower(Indicator.name))
        )
    )
    points_for = {**TREND_POINTS, **(trend_points or {})}
    ids = [ind.id for ind, _n, _s in indicators]
    manual = [ind.id for ind, _n, _s in indicators if not ind.computed_key]
    latest = _latest_stored(session, manual, max(points_for.values()))
    targets = _targets_of(session, ids)
    links = dict(
        session.execute(
            select(IndicatorAction.indicator_id, func.count())
            .join(Action, Action.id == IndicatorAction.action_id)
            .where(_live(IndicatorAction), _live(Action), IndicatorAction.indicator_id.in_(ids))
            .group_by(IndicatorAction.indicator_id)
        ).all()
    )
    rows: list[IndicatorRow] = []
    for ind, agency_name, agency_short in indicators:
        mine = targets.get(ind.id, {})
        if ind.computed_key:
            last = last_complete_period(ind.period, today)
            points = _series_for(
                session, ind, recent_periods(last, points_for[ind.period]), today, targets=mine
            )
            newest = points[-1]  # the last complete period, with or without a figure
        else:
            stored = latest.get(ind.id, [])
            if stored:
                last = parse_period(stored[0][0], ind.period)
                points = _series_for(
                    session,
                    ind,
                    recent_periods(last, points_for[ind.period]),
                    today,
                    stored={k: (v, note) for k, v, note in stored},
                    targets=mine,
                )
                newest = points[-1]
            else:
                points, newest = [], None
        resolved = (
            resolve_target(mine, newest.period, ind.unit)
            if newest is not None
            else ResolvedTarget()
        )
        rows.append(
            IndicatorRow(
                id=ind.id,
                code=ind.code,
                name=ind.name,
                description=ind.description,
                unit=ind.unit,
                direction=ind.direction,
                period=ind.period,
                data_source=ind.data_source,
                owner=agency_short or agency_name or "",
                computed_key=ind.computed_key,
                active=ind.active,
                latest=newest.period if newest else None,
                value=newest.value if newest else None,
                note=newest.note if newest else "",
                target=resolved,
                status=status_of(newest.value if newest else None, resolved.target, ind.direction),
                trend=tuple(points),
                actions=int(links.get(ind.id, 0)),
            )
        )
    return rows


def off_target(rows: Iterable[IndicatorRow]) -> list[IndicatorRow]:
    """Active indicators whose latest value misses its target, furthest off first."""
    return sorted(
        (r for r in rows if r.active and r.status == NOT_MET),
        key=lambda r: (-r.shortfall, r.name.lower()),
    )


# =========================================================================== actions
@dataclass(frozen=True)
class ActionLink:
    action_id: str
    plan_id: str
    plan_title: str
    reference: str
    text: str

    @property
    def label(self) -> str:
        words = " ".join(self.text.split())
        if len(words) > 90:
            words = words[:89].rstrip() + "…"
        ref = f"{self.reference} " if self.reference else ""
        return f"{ref}{words}"


def _action_rows(session: Session, *where: Any) -> list[ActionLink]:
    return [
        ActionLink(*row)
        for row in session.execute(
            select(Action.id, Plan.id, Plan.title, Action.reference, Action.text)
            .join(Plan, Plan.id == Action.plan_id)
            .where(_live(Action), _live(Plan), *where)
            .order_by(func.lower(Plan.title), Action.reference, Action.position)
        )
    ]


def linked_actions(session: Session, indicator_id: str) -> list[ActionLink]:
    linked = select(IndicatorAction.action_id).where(
        IndicatorAction.indicator_id == indicator_id, _live(IndicatorAction)
    )
    return _action_rows(session, Action.id.in_(linked))


def action_choices(session: Session, plan_id: str | None = None) -> list[ActionLink]:
    """Live actions (of one plan, or every plan) to link an indicator to."""
    return _action_rows(session, *([Action.plan_id == plan_id] if plan_id else []))


def indicators_for_action(session: Session, action_id: str) -> list[Indicator]:
    linked = select(IndicatorAction.indicator_id).where(
        IndicatorAction.action_id == action_id, _live(IndicatorAction)
    )
    return list(
        session.scalars(
            select(Indicator)
            .where(Indicator.id.in_(linked), _live(Indicator))
            .order_by(func.lower(Indicator.name))
        )
    )


def action_indicator_rows(session: Session, action_id: str, today: date) -> list[IndicatorRow]:
    """The live indicators linked to one action, each with its latest figure, the target
    for that period and its status (as in the indicators table, without the trend), by
    reference then name.  One query when nothing is linked, a handful otherwise."""
    linked = list(
        session.scalars(
            select(IndicatorAction.indicator_id).where(
                IndicatorAction.action_id == action_id, _live(IndicatorAction)
            )
        )
    )
    if not linked:
        return []
    latest_only = dict.fromkeys(PERIODS, 1)
    return indicator_rows(session, today, trend_points=latest_only, ids=linked)


@dataclass(frozen=True)
class IndicatorChoice:
    """An indicator to offer when linking one to an action."""

    id: str
    code: str
    name: str
    period: str
    active: bool
    computed: bool

    @property
    def display_name(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name


def indicator_choices(session: Session) -> list[IndicatorChoice]:
    """Every live indicator, active ones first, by reference (those without one last)
    then name (one query)."""
    rows = session.execute(
        select(
            Indicator.id,
            Indicator.code,
            Indicator.name,
            Indicator.period,
            Indicator.active,
            Indicator.computed_key,
        )
        .where(_live(Indicator))
        .order_by(
            Indicator.active.desc(),
            Indicator.code == "",
            func.lower(Indicator.code),
            func.lower(Indicator.name),
        )
    )
    return [
        IndicatorChoice(i, code, name, period, bool(active), bool(key))
        for i, code, name, period, active, key in rows
    ]


def _live_action(session: Session, action_id: str | None) -> Action:
    found = session.get(Action, action_id) if action_id else None
    if found is None or found.deleted_at is not None:
        raise ValidationError(
            "That action is no longer in the database (it may have been deleted).",
            field="action",
        )
    return found


def link_action(session: Session, indicator_id: str, action_id: str) -> bool:
    """Link one indicator to one action (the indicator's other links are kept).

    True if a link was made, False if they were linked already.  A link removed before
    comes back as the same row, so copies of the file merge it as one.
    """
    indicator = get_indicator(session, indicator_id)
    action = _live_action(session, action_id)
    row_id = _link_id(indicator.id, action.id)
    live = session.scalar(
        select(IndicatorAction).where(
            IndicatorAction.indicator_id == indicator.id,
            IndicatorAction.action_id == action.id,
            _live(IndicatorAction),
        )
    )
    if live is not None:
        return False
    link = session.get(IndicatorAction, row_id)
    if link is None:
        session.add(IndicatorAction(id=row_id, indicator_id=indicator.id, action_id=action.id))
    else:
        link.deleted_at = None
    _flush(session, "indicator linked to an action")
    return True


def unlink_action(session: Session, indicator_id: str, action_id: str) -> bool:
    """Remove the link between one indicator and one action (a tombstone, so shared
    copies learn of it); True if there was one."""
    indicator = get_indicator(session, indicator_id)
    links = list(
        session.scalars(
            select(IndicatorAction).where(
                IndicatorAction.indicator_id == indicator.id,
                IndicatorAction.action_id == action_id,
                _live(IndicatorAction),
            )
        )
    )
    if not links:
        return False
    when = utcnow()
    for link in links:
        link.deleted_at = when
    _flush(session, "indicator unlinked from an action")
    return True


def set_action_links(session: Session, indicator_id: str, action_ids: Iterable[str]) -> int:
    """Make ``action_ids`` exactly the actions the indicator is linked to; how many."""
    indicator = get_indicator(session, indicator_id)
    wanted = list(dict.fromkeys(a for a in action_ids if a))
    if wanted:
        found = set(session.scalars(select(Action.id).where(Action.id.in_(wanted), _live(Action))))
        missing = [a for a in wanted if a not in found]
        if missing:
            raise ValidationError(
                "An action chosen is no longer in the database; choose the actions again.",
                field="actions",
            )
    when = utcnow()
    for link in session.scalars(
        select(IndicatorAction).where(
            IndicatorAction.indicator_id == indicator.id, _live(IndicatorAction)
        )
    ):
        if link.action_id not in wanted:
            link.deleted_at = when
    live = set(
        session.scalars(
            select(IndicatorAction.action_id).where(
                IndicatorAction.indicator_id == indicator.id, _live(IndicatorAction)
            )
        )
    )
    for action_id in wanted:
        if action_id in live:
            continue
        row_id = _link_id(indicator.id, action_id)
        link = session.get(IndicatorAction, row_id)
        if link is None:
            session.add(IndicatorAction(id=row_id, indicator_id=indicator.id, action_id=action_id))
        elif link.deleted_at is not None:
            link.deleted_at = None
    _flush(session, "indicator action links changed")
    return len(wanted)


# =========================================================================== dashboard
OFF_TARGET_LINES = 5


def dashboard_tiles(session: Session, today: date) -> list:
    from dvcoord.services.dashboard import Tile

    has_any = session.scalar(select(func.count()).select_from(Indicator).where(_live(Indicator)))
    tiles = []
    if has_any:
        # Only the latest figures matter here (same as the view's, without the trends).
        latest_only = dict.fromkeys(PERIODS, 1)
        rows = indicator_rows(session, today, include_inactive=False, trend_points=latest_only)
        missed = off_target(rows)
        judged = [r for r in rows if r.status in (MET, NOT_MET)]
        tiles.append(
            Tile(
                key="indicators.off_target",
                area="Performance",
                title="Indicators off target",
                value=str(len(missed)),
                detail=(
                    f"{len(missed)} of {len(judged)} indicators with a target; furthest off first"
                    if missed
                    else f"All {len(judged)} indicators with a target are on target"
                    if judged
                    else "No indicator has a value and a target yet"
                ),
                severity="alert" if missed else ("ok" if judged else "info"),
                view="indicators",
                order=14,
                lines=tuple(
                    f"{r.display_name}: {r.value_text} against {r.target_text} ({r.latest_label})"
                    for r in missed[:OFF_TARGET_LINES]
                ),
            )
        )
    from dvcoord.services import bvpi225

    tiles.extend(bvpi225.score_tiles(session, today, force=bool(has_any)))
    return tiles
