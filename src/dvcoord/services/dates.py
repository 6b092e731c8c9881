"""Target dates as real plans write them, UK financial years and quarters, UK date formats.

Plain Python (no Qt, no SQLAlchemy). The centre is :func:`parse_target_date`, which turns
the words in a plan's "Target date" cell ("March 2008", "Sept 08", "On-going",
"Qtr 2 2013/14", "Subject to external funding bid", "Oct 208", ...) into a
:class:`TargetDate`: the words exactly as written, a :class:`DateKind` and the inclusive
date range they mean. It never raises; what it cannot read comes back flagged
(``DateKind.UNREADABLE``) with a note saying why.

UK local time: dates that users give and see are UK dates, but the store keeps every
timestamp in UTC.  :func:`uk_day_start` turns a UK date into the UTC instant its day
starts (00:00 GMT or BST); :func:`uk_local` and :func:`uk_date` turn a stored UTC
timestamp into UK local time and its UK date.  Always "Europe/London", whatever zone
the computer is set to (on Windows the zone rules come from the ``tzdata`` package).

Conventions: the financial year starts on 1 April and is named by its start year
(2013 is "2013/14"); Q1 = Apr-Jun ... Q4 = Jan-Mar; two-digit years 00-69 are 2000s and
70-99 are 1900s; fuzzy texts accept years 1900-2099 only, so that typos such as
"Oct 3008" are flagged rather than believed.
"""

from __future__ import annotations

import calendar
import enum
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "DATED_KINDS",
    "MAX_YEAR",
    "MIN_YEAR",
    "DateKind",
    "StoredTargetDate",
    "TargetDate",
    "add_months",
    "financial_year_of",
    "find_dated_items",
    "format_date",
    "format_target",
    "fy_label",
    "fy_range",
    "next_quarter",
    "parse_quarter_label",
    "parse_target_date",
    "parse_date_entry",
    "parse_uk_date",
    "prev_quarter",
    "quarter_label",
    "quarter_of",
    "quarter_range",
    "quarters_between",
    "uk_date",
    "uk_day_start",
    "uk_local",
    "uk_zone",
]

MIN_YEAR = 1900
MAX_YEAR = 2099

MONTH_NAMES = (
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
)
MONTH_ABBR = tuple(name[:3] for name in MONTH_NAMES)


class DateKind(enum.StrEnum):
    """What sort of target a text names (its precision, or why it has no date)."""

    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    FINANCIAL_YEAR = "financial_year"
    YEAR = "year"
    ONGOING = "ongoing"
    TBD = "tbd"
    CONDITIONAL = "conditional"
    UNREADABLE = "unreadable"
    EMPTY = "empty"


#: Kinds that carry a date range; every other kind has ``start`` and ``end`` of None.
DATED_KINDS = frozenset(
    {DateKind.DAY, DateKind.MONTH, DateKind.QUARTER, DateKind.FINANCIAL_YEAR, DateKind.YEAR}
)

_PRECISION = {
    DateKind.DAY: "day",
    DateKind.MONTH: "month",
    DateKind.QUARTER: "quarter",
    DateKind.FINANCIAL_YEAR: "financial year",
    DateKind.YEAR: "year",
}
_UNDATED_ORDER = {
    DateKind.ONGOING: 1,
    DateKind.CONDITIONAL: 2,
    DateKind.TBD: 3,
    DateKind.UNREADABLE: 4,
    DateKind.EMPTY: 5,
}


# --------------------------------------------------------------------------- whole months


def add_months(d: date, months: int) -> date:
    """``d`` plus whole months, clamped to the month's last day (31/01 + 1 -> 28/02)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


# --------------------------------------------------------------------------- financial years


def financial_year_of(d: date) -> int:
    """The financial year holding ``d``, named by its start year (1 April starts one)."""
    return d.year if d.month >= 4 else d.year - 1


def fy_label(start_year: int) -> str:
    """``2013`` -> ``"2013/14"``."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def fy_range(start_year: int) -> tuple[date, date]:
    """First and last day of the financial year starting in April of ``start_year``."""
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


def _check_quarter(q: int) -> None:
    if isinstance(q, bool) or not isinstance(q, int) or not 1 <= q <= 4:
        raise ValueError(f"a quarter is 1, 2, 3 or 4, not {q!r}")


def quarter_of(d: date) -> tuple[int, int]:
    """``(financial year start, quarter 1-4)`` of ``d``; Q1 is April to June."""
    return financial_year_of(d), (d.month - 4) % 12 // 3 + 1


def quarter_range(fy: int, q: int) -> tuple[date, date]:
    """First and last day of quarter ``q`` of financial year ``fy``."""
    _check_quarter(q)
    first = 4 + 3 * (q - 1)
    year = fy
    if first > 12:
        first -= 12
        year += 1
    last = first + 2
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def quarter_label(fy: int, q: int) -> str:
    """``(2013, 2)`` -> ``"2013/14 Q2"``."""
    _check_quarter(q)
    return f"{fy_label(fy)} Q{q}"


def next_quarter(fy: int, q: int) -> tuple[int, int]:
    """The quarter after ``(fy, q)``."""
    _check_quarter(q)
    return (fy + 1, 1) if q == 4 else (fy, q + 1)


def prev_quarter(fy: int, q: int) -> tuple[int, int]:
    """The quarter before ``(fy, q)``."""
    _check_quarter(q)
    return (fy - 1, 4) if q == 1 else (fy, q - 1)


def quarters_between(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
    """Every quarter from ``a`` to ``b`` inclusive, in order; empty if ``a`` is after ``b``."""
    _check_quarter(a[1])
    _check_quarter(b[1])
    first = a[0] * 4 + a[1] - 1
    last = b[0] * 4 + b[1] - 1
    return [(i // 4, i % 4 + 1) for i in range(first, last + 1)]


# --------------------------------------------------------------------------- UK local time


@functools.cache
def uk_zone() -> ZoneInfo:
    """The zone of every date a user gives or sees: "Europe/London".

    Looked up on first use, not at import: where the zone rules are missing (Windows
    without the ``tzdata`` package) only UK-time features fail, not every command.
    """
    return ZoneInfo("Europe/London")


def uk_day_start(day: date) -> datetime:
    """The instant (timezone-aware, UTC) at which the UK day ``day`` starts.

    00:00 BST on 01/07/2026 is 23:00 UTC on 30/06/2026; 00:00 GMT is 00:00 UTC.  UK
    clocks change at 01:00 UTC, so local midnight always exists and is never ambiguous.
    """
    return datetime.combine(day, time.min, tzinfo=uk_zone()).astimezone(UTC)


def uk_local(moment: datetime) -> datetime:
    """A stored timestamp as UK local time (a naive value counts as UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(uk_zone())


def uk_date(moment: datetime) -> date:
    """The UK date of a stored timestamp: 23:30 UTC on 30/06 in summer is 01/07."""
    return uk_local(moment).date()


# --------------------------------------------------------------------------- UK day formats


def format_date(d: date | None) -> str:
    """``dd/mm/yyyy``; ``None`` gives ``""``."""
    if d is None:
        return ""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _why_impossible(year: int, month: int, day: int) -> str | None:
    """Why ``year-month-day`` is not a real date, or None if it is one."""
    if year < 1 or year > 9999:
        return f"there is no year {year}"
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    days = calendar.monthrange(year, month)[1]
    if day < 1:
        return "there is no day 0"
    if day > days:
        return f"{MONTH_NAMES[month - 1]} {year} has {days} days"
    return None


def _two_digit_year(yy: int) -> int:
    return 2000 + yy if yy < 70 else 1900 + yy


_STRICT_DATE_RE = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d+)", re.ASCII)


def parse_uk_date(s: str) -> date:
    """Read a strict ``dd/mm/yyyy`` entry (``/``, ``.`` or ``-`` between the parts).

    Raises ``ValueError`` with a message fit to show the user.
    """
    raw = "" if s is None else str(s).strip()
    if not raw:
        raise ValueError("Enter a date as dd/mm/yyyy, for example 31/03/2024.")
    match = _STRICT_DATE_RE.fullmatch(raw)
    if match is None:
        raise ValueError(f"'{raw}' is not a date in the form dd/mm/yyyy, for example 31/03/2024.")
    day, month, year_text = int(match[1]), int(match[3]), match[4]
    if len(year_text) != 4:
        if len(year_text) == 2:
            example = f"{day:02d}/{month:02d}/{_two_digit_year(int(year_text))}"
        else:
            example = "31/03/2024"
        raise ValueError(f"'{raw}' needs a four-digit year, for example {example}.")
    year = int(year_text)
    reason = _why_impossible(year, month, day)
    if reason:
        raise ValueError(f"'{raw}' is not a real date: {reason}.")
    return date(year, month, day)


_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)


def parse_date_entry(s: str) -> date:
    """Read a date typed by a user (command-line options): ``dd/mm/yyyy`` as
    :func:`parse_uk_date`, or ISO ``yyyy-mm-dd``.

    Raises ``ValueError`` with a message fit to show the user (one full sentence).
    """
    raw = "" if s is None else str(s).strip()
    match = _ISO_DATE_RE.fullmatch(raw)
    if match is not None:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        reason = _why_impossible(year, month, day)
        if reason:
            raise ValueError(f"'{raw}' is not a real date: {reason}.")
        return date(year, month, day)
    if raw and _STRICT_DATE_RE.fullmatch(raw) is None:
        raise ValueError(
            f"'{raw}' is not a date in the form dd/mm/yyyy (or yyyy-mm-dd), for example 31/03/2024."
        )
    return parse_uk_date(raw)


# --------------------------------------------------------------------------- TargetDate


class StoredTargetDate(NamedTuple):
    """The four columns a model persists for a target date."""

    text: str
    kind: str
    start: date | None
    end: date | None


def _as_date(value: object) -> date | None:
    """A ``date`` from a date, datetime, ISO string or None (ValueError otherwise)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        stripped = value.strip()
        return date.fromisoformat(stripped[:10]) if stripped else None
    raise ValueError(f"{value!r} is not a date.")


def _range_label(kind: DateKind, start: date, end: date) -> str:
    if kind is DateKind.DAY:
        return f"{end.day} {MONTH_NAMES[end.month - 1]} {end.year}"
    if kind is DateKind.MONTH:
        return f"{MONTH_NAMES[end.month - 1]} {end.year}"
    if kind is DateKind.QUARTER:
        fy, q = quarter_of(start)
        months = f"{MONTH_ABBR[start.month - 1]}\u2013{MONTH_ABBR[end.month - 1]} {end.year}"
        return f"Q{q} {fy_label(fy)} ({months})"
    if kind is DateKind.FINANCIAL_YEAR:
        return f"Financial year {fy_label(financial_year_of(start))}"
    return str(end.year)


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "\u2026"


@dataclass(frozen=True, slots=True)
class TargetDate:
    """A target date: the words as written, their kind and the inclusive range they mean."""

    text: str
    kind: DateKind
    start: date | None = None
    end: date | None = None
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", "" if self.text is None else self.text)
        object.__setattr__(self, "kind", DateKind(self.kind))
        object.__setattr__(self, "start", _as_date(self.start))
        object.__setattr__(self, "end", _as_date(self.end))
        if (self.start is None) != (self.end is None):
            raise ValueError("a target date needs both start and end, or neither")
        if self.kind in DATED_KINDS:
            if self.start is None:
                raise ValueError(f"a {self.kind} target date needs a start and an end")
            if self.start > self.end:  # type: ignore[operator]
                raise ValueError(
                    f"start {format_date(self.start)} is after end {format_date(self.end)}"
                )
        elif self.start is not None:
            raise ValueError(f"a {self.kind} target date has no date range")

    # ---- factories for editors
    @classmethod
    def on_day(cls, d: date) -> TargetDate:
        """An exact day, written dd/mm/yyyy."""
        d = _as_date(d)  # type: ignore[assignment]
        return cls(format_date(d), DateKind.DAY, d, d)

    @classmethod
    def in_month(cls, year: int, month: int) -> TargetDate:
        """A whole month, written "March 2008"."""
        start = date(year, month, 1)
        end = date(year, month, calendar.monthrange(year, month)[1])
        return cls(f"{MONTH_NAMES[month - 1]} {year}", DateKind.MONTH, start, end)

    @classmethod
    def in_quarter(cls, fy: int, q: int) -> TargetDate:
        """A financial-year quarter, written "2013/14 Q2"."""
        start, end = quarter_range(fy, q)
        return cls(quarter_label(fy, q), DateKind.QUARTER, start, end)

    @classmethod
    def in_financial_year(cls, fy: int) -> TargetDate:
        """A financial year, written "2013/14"."""
        start, end = fy_range(fy)
        return cls(fy_label(fy), DateKind.FINANCIAL_YEAR, start, end)

    @classmethod
    def in_year(cls, year: int) -> TargetDate:
        """A calendar year, written "2008"."""
        return cls(str(year), DateKind.YEAR, date(year, 1, 1), date(year, 12, 31))

    # ---- properties
    @property
    def is_flagged(self) -> bool:
        """True when the text could not be read and a person should look at it."""
        return self.kind is DateKind.UNREADABLE

    @property
    def is_dated(self) -> bool:
        """True when there is a date range (and so a due date)."""
        return self.end is not None

    @property
    def precision(self) -> str:
        """Precision label: "day", "month", "quarter", "financial year", "year" or "no date"."""
        return _PRECISION.get(self.kind, "no date")

    @property
    def due(self) -> date | None:
        """The date by which it is due: the end of the range (None without one)."""
        return self.end

    @property
    def sort_key(self) -> tuple:
        """Orders dated targets by due date, then the undated ones by kind and text."""
        if self.end is not None:
            return (0, self.end, self.start, self.text)
        return (1, _UNDATED_ORDER.get(self.kind, 9), self.text)

    def is_overdue(self, today: date) -> bool:
        """True when the due date is before ``today``."""
        return self.end is not None and self.end < today

    def is_due_within(self, start: date, end: date) -> bool:
        """True when the due date falls in ``start``..``end`` inclusive."""
        return self.end is not None and start <= self.end <= end

    def label(self) -> str:
        """A short description in UK English, e.g. "Q2 2013/14 (Jul–Sep 2013)"."""
        if self.kind in DATED_KINDS:
            return _range_label(self.kind, self.start, self.end)  # type: ignore[arg-type]
        if self.kind is DateKind.ONGOING:
            return "Ongoing"
        if self.kind is DateKind.TBD:
            return "To be determined"
        if self.kind is DateKind.CONDITIONAL:
            words = _short(self.text)
            return f"Conditional: {words}" if words else "Conditional"
        if self.kind is DateKind.UNREADABLE:
            return f"Could not read '{_short(self.text)}'"
        return "No target date"

    # ---- persistence
    def to_storage(self) -> StoredTargetDate:
        """``(text, kind, start, end)`` for the model's columns."""
        return StoredTargetDate(self.text, self.kind.value, self.start, self.end)

    @classmethod
    def from_storage(
        cls,
        text: str | None,
        kind: str | None,
        start: date | str | None,
        end: date | str | None,
        note: str = "",
    ) -> TargetDate:
        """Rebuild from stored columns without re-parsing.

        Never raises: if the stored values do not fit together (unknown kind, one date
        missing, start after end) the text is read again and the note says so.
        """
        text = "" if text is None else str(text)
        try:
            return cls(text, DateKind(kind), _as_date(start), _as_date(end), note)
        except (ValueError, TypeError):
            reread = parse_target_date(text)
            why = f"Stored value ({kind!r}, {start!r}, {end!r}) did not fit; read again from text."
            joined = f"{why} {reread.note}".strip()
            return cls(reread.text, reread.kind, reread.start, reread.end, joined)


def format_target(td: TargetDate | None) -> str:
    """The target as written; an exact day written alone comes back as dd/mm/yyyy."""
    if td is None:
        return ""
    if td.kind is DateKind.DAY and (not td.text.strip() or _is_sole_date(td.text)):
        return format_date(td.start)
    if td.text.strip():
        return td.text.strip()
    if td.kind is DateKind.EMPTY:
        return ""
    return td.label()


# --------------------------------------------------------------------------- scanning text

_FLAGS = re.IGNORECASE | re.ASCII

# Same-length normalisation, so that spans found in the copy index the original text.
_NORMALISE = str.maketrans(
    {
        **{c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"},
        **{
            c: " "
            for c in "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
            "\u2008\u2009\u200a\u200b\u200c\u200d\u202f\u205f\u3000\ufeff"
        },
        **{c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u00b4`"},
        "\uff0f": "/",
        "\u2044": "/",
    }
)


def _normalise(text: str) -> str:
    return text.translate(_NORMALISE)


def _month_spellings() -> dict[str, int]:
    spellings: dict[str, int] = {}
    for number, name in enumerate(MONTH_NAMES, start=1):
        lower = name.lower()
        for length in range(3, len(lower) + 1):
            spellings[lower[:length]] = number
    for typo, number in (("febuary", 2), ("feburary", 2), ("septmber", 9), ("setpember", 9)):
        spellings[typo] = number
    return spellings


_MONTH_WORDS = _month_spellings()
_MON = "(?:" + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True)) + ")(?![a-z])"
_QN_WORDS = {
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
}


def _qn(name: str) -> str:
    return rf"(?P<{name}>1st|2nd|3rd|4th|first|second|third|fourth|one|two|three|four|\d)"


_FYX = r"(?P<a>\d{2,5})(?:\s*(?P<s>[/\-])\s*(?P<b>\d{2,5}))?"
_FY_PREFIX = r"(?:fy|f/y|financial\s+year|fin\.?\s+year)"
_QWORD = r"(?:quarters?|qtrs?|qrt|q)"
_SEASON_MONTHS = {  # (month due, year offset); "term" means the school term
    ("spring", False): (5, 0),
    ("summer", False): (8, 0),
    ("autumn", False): (11, 0),
    ("fall", False): (11, 0),
    ("winter", False): (2, 1),
    ("spring", True): (3, 0),
    ("summer", True): (7, 0),
    ("autumn", True): (12, 0),
    ("fall", True): (12, 0),
    ("winter", True): (3, 0),
}


class _Bad(Exception):
    """A piece of text that looks like a date but cannot be one."""


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    kind: DateKind | None = None
    first: date | None = None
    last: date | None = None
    error: str = ""
    note: str = ""
    span: bool = False  # covers several quarters ("Qtr 1 and 2 2013/14")

    def label(self) -> str:
        if self.kind is None or self.first is None or self.last is None:
            return ""
        return _range_label(self.kind, self.first, self.last)


def _year(digits: str) -> int:
    """A year from two or four digits, within MIN_YEAR..MAX_YEAR, or _Bad."""
    if len(digits) == 2:
        return _two_digit_year(int(digits))
    if len(digits) == 4:
        year = int(digits)
        if MIN_YEAR <= year <= MAX_YEAR:
            return year
        raise _Bad(f"has the year {year}, outside {MIN_YEAR}\u2013{MAX_YEAR}")
    raise _Bad(f"has '{_short(digits, 10)}' where a year should be (two or four digits)")


def _day_hit(year: int, month: int, day: int) -> tuple[DateKind, date, date, str]:
    reason = _why_impossible(year, month, day)
    if reason:
        raise _Bad(f"is not a real date: {reason}")
    d = date(year, month, day)
    return DateKind.DAY, d, d, ""


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _consecutive(a: str, first: int, b: str) -> bool:
    if len(b) == 2:
        return (first + 1) % 100 == int(b)
    return len(b) == 4 and int(b) == first + 1


def _fy_parts(a: str, sep: str | None, b: str | None) -> tuple[int, str]:
    """Financial-year start from "2013/14"-like parts (b None: a bare year), or _Bad."""
    if b is None:
        if len(a) != 4:
            raise _Bad(f"has '{a}' where a financial year such as 2013/14 should be")
        fy = _year(a)
        return fy, f"Read '{a}' as the financial year {fy_label(fy)}."
    first = _year(a)
    if len(b) not in (2, 4):
        raise _Bad(f"has '{b}' where a year should be (two or four digits)")
    if not _consecutive(a, first, b):
        raise _Bad(
            f"is not a financial year: the years must follow one another, as in {fy_label(first)}"
        )
    return first, ""


# Converters take a match and return (kind, start, end, note), None (not a date after
# all) or raise _Bad (looks like a date, cannot be one).
_Conv = Callable[[re.Match[str]], "tuple[DateKind, date, date, str] | None"]


def _conv_ymd(m: re.Match[str]) -> tuple[DateKind, date, date, str]:
    year = int(m["y"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _Bad(f"has the year {year}, outside {MIN_YEAR}\u2013{MAX_YEAR}")
    return _day_hit(year, int(m["m"]), int(m["d"]))


def _conv_dmy(m: re.Match[str]) -> tuple[DateKind, date, date, str]:
    return _day_hit(_year(m["y"]), int(m["m"]), int(m["d"]))


def _conv_d_mon_y(m: re.Match[str]) -> tuple[DateKind, date, date, str]:
    return _day_hit(_year(m["y"]), _MONTH_WORDS[m["mon"].lower()], int(m["d"]))


def _conv_mon_y(m: re.Match[str]) -> tuple[DateKind, date, date, str]:
    month = _MONTH_WORDS[m["mon"].lower()]
    first, last = _month_range(_year(m["y"]), month)
    return DateKind.MONTH, first, last, ""


def _conv_quarter(m: re.Match[str]) -> tuple[DateKind, date, date, str]:
    groups = m.groupdict()
    q = _QN_WORDS.get(m["q"].lower())
    if q is None:
        raise _Bad(f"names quarter {m['q']}, but quarters are 1 to 4")
    if groups.get("q2"):
        q2 = _QN_WORDS.get(m["q2"].lower())
        if q2 is None:
            raise _Bad(f"names quarter {m['q2']}, but quarters are 1 to 4")
    else:
        q2 = None
    fy, note = _fy_parts(m["a"], m["s"], m["b"])
    if q2 is not None and q2 != q:
        lo, hi = sorted((q, q2))
        note = (note + f" Covers Q{lo} to Q{hi} {fy_label(fy)}; due at the end of Q{hi}.").strip()
        q = hi
    first, last = quarter_range(fy, q)
    return DateKind.QUARTER, first, last, note


def _conv_fy(m: re.Match[str]) -> tuple[DateKind, date, date, str] | None:
    a, sep, b, prefix = m["a"], m["s"], m["b"], m["pre"]
    if len(a) not in (2, 4) or len(b) not in (2, 4):
        if prefix or (len(a) == 4 and a[:2] in ("19", "20")):
            bad = a if len(a) not in (2, 4) else b
            raise _Bad(f"has '{bad}' where a year should be (two or four digits)")
        return None
    if len(a) == 2 and len(b) == 4 and not prefix:
        if sep == "/" and 1 <= int(a) <= 12:  # "03/2008"
            first, last = _month_range(_year(b), int(a))
            return DateKind.MONTH, first, last, ""
        return None
    if len(a) == 4 and not MIN_YEAR <= int(a) <= MAX_YEAR and not prefix:
        return None
    start_year = _year(a)
    if _consecutive(a, start_year, b):
        note = ""
        if len(a) == 2 and not prefix:
            note = f"Read '{m.group(0).strip()}' as the financial year {fy_label(start_year)}."
        first, last = fy_range(start_year)
        return DateKind.FINANCIAL_YEAR, first, last, note
    if prefix:
        _fy_parts(a, sep, b)  # raises, saying why
    if len(a) == 4 and len(b) == 2:
        if sep == "-" and 1 <= int(b) <= 12:  # ISO year-month, "2008-10"
            first, last = _month_range(start_year, int(b))
            return DateKind.MONTH, first, last, ""
        if sep == "/":
            _fy_parts(a, sep, b)  # raises, saying why
    return None  # "2007-2010", "11-16" and the like: not one financial year


def _conv_fy_single(m: re.Match[str]) -> tuple[DateKind, date, date, str]:
    raise _Bad(f"does not say which financial year: write it as {fy_label(_year(m['y']))}")


def _conv_season(m: re.Match[str]) -> tuple[DateKind, date, date, str]:
    season = m["season"].lower()
    term = bool(m["term"])
    month, offset = _SEASON_MONTHS[(season, term)]
    year = _year(m["y"])
    if m["y2"]:
        if not _consecutive(m["y"], year, m["y2"]):
            raise _Bad("does not name consecutive years")
        offset = 0 if season in ("autumn", "fall") else 1
    first, last = _month_range(year + offset, month)
    words = " ".join(m.group(0).split())
    note = f"Read '{words}' as due by the end of {MONTH_NAMES[month - 1]} {year + offset}."
    return DateKind.MONTH, first, last, note


def _conv_year(m: re.Match[str]) -> tuple[DateKind, date, date, str]:
    year = int(m["y"])
    return DateKind.YEAR, date(year, 1, 1), date(year, 12, 31), ""


_PATTERNS: tuple[tuple[re.Pattern[str], _Conv], ...] = tuple(
    (re.compile(pattern, _FLAGS), conv)
    for pattern, conv in (
        (
            r"(?<![\w/.\-])(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})\b",
            _conv_ymd,
        ),
        (r"(?<![\w/.\-])(?P<d>\d{1,2})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<y>\d+)\b", _conv_dmy),
        (
            rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[ \t\-/.]*(?:of\s+)?(?P<mon>{_MON})\.?"
            rf"[ \t\-/.,']*(?P<y>\d+)\b",
            _conv_d_mon_y,
        ),
        (
            rf"\b(?P<mon>{_MON})\.?[ \t]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?[ \t]+(?P<y>\d{{4}})\b",
            _conv_d_mon_y,
        ),
        (
            rf"\b{_QWORD}\.?\s*{_qn('q')}(?:\s*(?:and|&|to|-|/|,)\s*(?:{_QWORD}\.?\s*)?{_qn('q2')})?"
            rf"(?!\w)[\s,:\-]*(?:(?:of|in)\s+)?(?:the\s+)?(?:{_FY_PREFIX}\s*)?'?{_FYX}\b",
            _conv_quarter,
        ),
        (
            rf"\b{_qn('q')}\s*(?:quarter|qtr|q)\.?(?![a-z])[\s,:\-]*(?:(?:of|in)\s+)?(?:the\s+)?"
            rf"(?:{_FY_PREFIX}\s*)?'?{_FYX}\b",
            _conv_quarter,
        ),
        (
            rf"(?:\b{_FY_PREFIX}\s*:?\s*|(?<![\w/.]))'?{_FYX}[\s,:\-]*{_QWORD}\.?\s*{_qn('q')}(?!\w)",
            _conv_quarter,
        ),
        (
            rf"(?:\b(?P<pre>{_FY_PREFIX})\s*:?\s*'?|(?<![\w/.]))(?P<a>\d{{2,5}})\s*(?P<s>[/\-])\s*"
            rf"(?P<b>\d{{2,5}})\b",
            _conv_fy,
        ),
        (rf"\b{_FY_PREFIX}\s*:?\s*'?(?P<y>\d{{2}}|\d{{4}})\b(?!\s*[/\-]\s*\d)", _conv_fy_single),
        (rf"\b(?P<mon>{_MON})\.?[ \t\-/.,']*(?P<y>\d+)\b", _conv_mon_y),
        (
            r"\b(?P<season>spring|summer|autumn|fall|winter)(?P<term>\s+term)?[ \t\-/.,']*"
            r"(?P<y>\d+)(?:\s*/\s*(?P<y2>\d{2}|\d{4}))?\b",
            _conv_season,
        ),
        (r"\b(?P<y>(?:19|20)\d{2})\b", _conv_year),
    )
)


def _scan(norm: str) -> list[_Hit]:
    """Date-like pieces of ``norm``, left to right, longest first where they overlap."""
    found: list[tuple[int, int, int, _Hit]] = []
    for priority, (pattern, conv) in enumerate(_PATTERNS):
        for m in pattern.finditer(norm):
            start, end = m.span()
            while end > start and norm[end - 1].isspace():
                end -= 1
            try:
                result = conv(m)
            except _Bad as bad:
                hit = _Hit(start, end, error=str(bad))
            except (ValueError, OverflowError, KeyError) as exc:
                hit = _Hit(start, end, error=f"cannot be read ({exc})")
            else:
                if result is None:
                    continue
                kind, first, last, note = result
                groups = m.groupdict()
                span = bool(groups.get("q2")) and (
                    _QN_WORDS.get(groups["q2"].lower()) != _QN_WORDS.get(groups["q"].lower())
                )
                hit = _Hit(start, end, kind, first, last, note=note, span=span)
            found.append((start, -(end - start), priority, hit))
    found.sort(key=lambda item: item[:3])
    chosen: list[_Hit] = []
    reached = 0
    for start, _, _, hit in found:
        if start >= reached:
            chosen.append(hit)
            reached = hit.end
    return chosen


_CONDITIONAL_RE = re.compile(
    r"\b(?:subject\s+to|dependent\s+(?:on|upon)|depending\s+(?:on|upon)|depends\s+(?:on|upon)"
    r"|conditional|contingent\s+(?:on|upon)|(?:if|when|once)\s+(?:funding|funded)"
    r"|funding\s+permitting|if\s+(?:approved|agreed))\b",
    _FLAGS,
)
_TBD_RE = re.compile(
    r"\b(?:to\s+be\s+(?:determined|confirmed|agreed|decided|arranged|advised|set|announced)"
    r"|t\.?b\.?[cda]\b\.?|not\s+yet\s+(?:set|known|agreed|decided|confirmed)"
    r"|no\s+date(?:\s+(?:set|yet|confirmed|agreed))?|date\s+unknown|unknown)\b",
    _FLAGS,
)
_ONGOING_RE = re.compile(r"\bon\s*-?\s*going\b", _FLAGS)
_RECURRING_RE = re.compile(
    r"\b(?:continuous(?:ly)?|continuing|continual|rolling|annual(?:ly)?|yearly|quarterly"
    r"|monthly|weekly|bi-?monthly|every\s+(?:year|quarter|month)|as\s+(?:and\s+when\s+)?"
    r"(?:required|needed|necessary)|throughout)\b",
    _FLAGS,
)
_FILLER_RE = re.compile(
    r"\b(?:no\s+later\s+than|not\s+later\s+than|by|the|end|of|on|in|before|until|till|due|from"
    r"|during|at|latest|start|starting|beginning|early|mid|late|approx|approximately|around"
    r"|circa|c|target|date|deadline|complete|completed|w/c|week|commencing|onwards|and)\b"
    r"|[\s\-:;,.()\[\]'\"/]",
    _FLAGS,
)
_RELATIVE_RE = re.compile(
    r"\b(?:(?P<which>this|current|next|last|previous)\s+(?P<unit>month|quarter|qtr"
    r"|financial\s+year|fy|year)|end\s+of\s+(?:the\s+)?(?P<fin>financial\s+)?year"
    r"|(?P<ye>(?:financial\s+)?year[\s\-]*end))\b",
    _FLAGS,
)


def _leftover(norm: str, hits: list[_Hit]) -> str:
    chars = list(norm)
    for hit in hits:
        chars[hit.start : hit.end] = " " * (hit.end - hit.start)
    return _FILLER_RE.sub("", "".join(chars))


def _is_sole_date(text: str) -> bool:
    """True when ``text`` is one date and nothing but filler words ("by", "end of")."""
    norm = _normalise(text)
    hits = _scan(norm)
    return len(hits) == 1 and not hits[0].error and not _leftover(norm, hits)


def parse_quarter_label(s: str) -> tuple[int, int]:
    """``"2013/14 Q2"`` (or "Q2 2013/14", "Qtr 2 2013-14") -> ``(2013, 2)``; ValueError if not."""
    norm = _normalise("" if s is None else str(s))
    hits = _scan(norm)
    if (
        len(hits) == 1
        and hits[0].kind is DateKind.QUARTER
        and not hits[0].span
        and not _leftover(norm, hits)
        and hits[0].first is not None
    ):
        return quarter_of(hits[0].first)
    raise ValueError(f"'{s}' is not a quarter such as 2013/14 Q2")


def _relative(norm: str, today: date | None, text: str) -> TargetDate | None:
    """Texts that need ``today``: a month with no year, "this quarter", "year end"."""
    words = _FILLER_RE.sub(" ", norm).split()
    month = _MONTH_WORDS.get(words[0].lower()) if len(words) == 1 else None
    match = _RELATIVE_RE.search(norm) if month is None else None
    if month is None and match is None:
        return None
    if today is None:
        what = "no year is given" if month else "it is relative to today"
        return TargetDate(text, DateKind.UNREADABLE, note=f"Could not date this: {what}.")
    if month is not None:
        year = today.year if month >= today.month else today.year + 1
        first, last = _month_range(year, month)
        note = f"No year given: read as {MONTH_NAMES[month - 1]} {year}."
        return TargetDate(text, DateKind.MONTH, first, last, note)
    assert match is not None
    unit = (match["unit"] or "").lower()
    step = {"next": 1, "last": -1, "previous": -1}.get((match["which"] or "").lower(), 0)
    if unit == "month":
        index = today.year * 12 + today.month - 1 + step
        first, last = _month_range(index // 12, index % 12 + 1)
        kind = DateKind.MONTH
    elif unit in ("quarter", "qtr"):
        fy, q = quarter_of(today)
        index = fy * 4 + q - 1 + step
        first, last = quarter_range(index // 4, index % 4 + 1)
        kind = DateKind.QUARTER
    elif unit == "year" or (not unit and not match["fin"] and not match["ye"]):
        year = today.year + step
        first, last = date(year, 1, 1), date(year, 12, 31)
        kind = DateKind.YEAR
    else:
        first, last = fy_range(financial_year_of(today) + step)
        kind = DateKind.FINANCIAL_YEAR
    note = f"Relative date read against {format_date(today)}."
    return TargetDate(text, kind, first, last, note)


def _listing(parts: list[str], limit: int = 6) -> str:
    shown = parts if len(parts) <= limit else [*parts[: limit - 1], "\u2026", parts[-1]]
    return "; ".join(shown)


def _mentions(text: str, hits: list[_Hit]) -> str:
    parts = []
    for hit in hits:
        if hit.error:
            parts.append(f"'{_short(text[hit.start : hit.end], 40)}' (could not be read)")
        else:
            parts.append(hit.label())
    return f"Also mentions {_listing(parts)}." if parts else ""


def _parse(text: str, today: date | None) -> TargetDate:
    if not text.strip():
        return TargetDate(text, DateKind.EMPTY)
    norm = _normalise(text)
    hits = _scan(norm)
    for regex, kind in (
        (_CONDITIONAL_RE, DateKind.CONDITIONAL),
        (_TBD_RE, DateKind.TBD),
        (_ONGOING_RE, DateKind.ONGOING),
    ):
        if regex.search(norm):
            return TargetDate(text, kind, note=_mentions(text, hits))
    if hits:
        bad = [hit for hit in hits if hit.error]
        if bad:
            reasons = _listing([f"'{_short(text[h.start : h.end], 40)}' {h.error}" for h in bad])
            return TargetDate(text, DateKind.UNREADABLE, note=f"{reasons}.")
        last = hits[-1]
        notes = [last.note] if last.note else []
        if len(hits) > 1:
            labels = _listing([hit.label() for hit in hits])
            notes.append(f"Holds {len(hits)} dates ({labels}); due is the last.")
        return TargetDate(text, last.kind, last.first, last.last, " ".join(notes))  # type: ignore[arg-type]
    if _RECURRING_RE.search(norm):
        return TargetDate(text, DateKind.ONGOING, note="Read as ongoing (a recurring task).")
    relative = _relative(norm, today, text)
    if relative is not None:
        return relative
    return TargetDate(text, DateKind.UNREADABLE, note="No date found in the text.")


def parse_target_date(text: str | None, *, today: date | None = None) -> TargetDate:
    """Read a target-date cell as written in a plan. Never raises.

    ``today`` dates texts that need it ("March" with no year, "this quarter", "year end");
    without it they are flagged rather than guessed.
    """
    if text is None:
        return TargetDate("", DateKind.EMPTY)
    if isinstance(text, datetime):
        text = text.date()
    if isinstance(text, date):
        return TargetDate(format_date(text), DateKind.DAY, text, text)
    if not isinstance(text, str):
        text = str(text)
    try:
        return _parse(text, today)
    except Exception as exc:  # noqa: BLE001 - the contract is never to raise
        return TargetDate(text, DateKind.UNREADABLE, note=f"Could not read this ({exc}).")


# --------------------------------------------------------------------------- milestone cells

_KEYWORD_TOKEN_RE = re.compile(
    r"\bon\s*-?\s*going\b|\bto\s+be\s+(?:determined|confirmed|agreed|decided|arranged|advised)\b"
    r"|\bt\.?b\.?[cda]\b\.?",
    _FLAGS,
)
_LEAD_IN_RE = re.compile(
    r"(?:\b(?:by\s+the\s+end\s+of|by\s+end\s+of|(?:the\s+)?end\s+of|no\s+later\s+than|due\s+by"
    r"|by|from|in|on|before|until|till|due|during|for|starting|commencing|w/c|early|mid|late"
    r"|date)\s+)+$",
    _FLAGS,
)
_SEPARATORS = " \t\r\n-\u2013\u2014:;,.\u2022*\u00b7|>()"


def _clean_label(text: str) -> str:
    return " ".join(_normalise(text).strip(_SEPARATORS).split())


def find_dated_items(text: str | None) -> list[tuple[str, TargetDate]]:
    """Split a milestone cell into ``(label, TargetDate)`` pairs.

    "Tender process established – Jul 2008 Contract awarded – Sept 2008" gives two items.
    Lead-in words ("by", "from", "end of") go with the date; a label with no date gets an
    empty TargetDate, so no words are lost. Never raises.
    """
    if text is None or not str(text).strip():
        return []
    text = str(text)
    try:
        return _find_dated_items(text)
    except Exception:  # noqa: BLE001 - keep the whole cell rather than fail an import
        return [(_clean_label(text), parse_target_date(""))]


def _find_dated_items(text: str) -> list[tuple[str, TargetDate]]:
    norm = _normalise(text)
    spans = [(hit.start, hit.end) for hit in _scan(norm)]
    for m in _KEYWORD_TOKEN_RE.finditer(norm):
        if all(m.end() <= s or m.start() >= e for s, e in spans):
            spans.append(m.span())
    spans.sort()
    if not spans:
        return [(_clean_label(text), TargetDate("", DateKind.EMPTY))]
    items: list[tuple[str, TargetDate]] = []
    head = _clean_label(text[: spans[0][0]])
    tail = _clean_label(text[spans[-1][1] :])
    if not head and tail:  # dates first: "Apr 2008 – Helpline available"
        bounds = [s for s, _ in spans[1:]] + [len(text)]
        for (start, end), stop in zip(spans, bounds, strict=True):
            items.append((_clean_label(text[end:stop]), parse_target_date(text[start:end])))
        return items
    previous = 0
    for start, end in spans:
        label = text[previous:start]
        lead_in = _LEAD_IN_RE.search(_normalise(label))
        cut = lead_in.start() if lead_in else len(label)
        date_start = previous + cut
        items.append((_clean_label(label[:cut]), parse_target_date(text[date_start:end])))
        previous = end
    if tail:
        items.append((tail, TargetDate("", DateKind.EMPTY)))
    return items
