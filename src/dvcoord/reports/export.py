"""Exporting a report from the window (File > Export report…): the choices the dialog
offers and the one call that writes the file, with no Qt in sight.

* :func:`kinds_by_area` - the registered kinds grouped by area, Action plans first;
* :func:`quarter_choices` - financial quarters around today for the period picker;
* :func:`default_file_name` - ``<kind>-<plan>-<yyyy-mm-dd>.pdf``;
* :func:`default_marking` - the kind's (OFFICIAL-SENSITIVE for case data), else the
  plan's own, else the database's;
* :func:`export_report` - build the kind for a request and count its pages, calling
  ``on_page`` as pages are finished (for a progress bar; raising from it cancels and
  leaves no file).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from dvcoord.reports import layout, registry
from dvcoord.reports.registry import ReportKind, ReportRequest
from dvcoord.services.dates import (
    format_date,
    next_quarter,
    prev_quarter,
    quarter_label,
    quarter_of,
    quarter_range,
)

if TYPE_CHECKING:
    from dvcoord.store import Database

FIRST_AREA = "Action plans"


@dataclass(frozen=True, slots=True)
class QuarterChoice:
    label: str  # "2026/27 Q3 (Oct–Dec 2026)"
    start: date
    end: date
    current: bool


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    pages: int


def kinds_by_area() -> list[tuple[str, list[ReportKind]]]:
    """Every registered kind, grouped by area (Action plans first, then by name), each
    area's kinds by title."""
    areas: dict[str, list[ReportKind]] = {}
    for kind in registry.kinds().values():
        areas.setdefault(kind.area, []).append(kind)
    order = sorted(areas, key=lambda a: (a != FIRST_AREA, a.casefold()))
    return [(a, sorted(areas[a], key=lambda k: k.title.casefold())) for a in order]


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def quarter_choices(today: date, *, back: int = 8, ahead: int = 2) -> list[QuarterChoice]:
    """Financial quarters from ``ahead`` after the current one to ``back`` before it,
    newest first."""
    fy, q = quarter_of(today)
    for _ in range(ahead):
        fy, q = next_quarter(fy, q)
    out = []
    for _ in range(ahead + back + 1):
        start, end = quarter_range(fy, q)
        months = f"{_MONTHS[start.month - 1]}\u2013{_MONTHS[end.month - 1]} {end.year}"
        out.append(
            QuarterChoice(f"{quarter_label(fy, q)} ({months})", start, end, start <= today <= end)
        )
        fy, q = prev_quarter(fy, q)
    return out


# Letters that Unicode does not split into a base letter and an accent.
_NO_DECOMPOSITION = str.maketrans(
    {
        "Ł": "L",
        "ł": "l",
        "Ø": "O",
        "ø": "o",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "ß": "ss",
        "Đ": "D",
        "đ": "d",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
    }
)


def slug(text: str, limit: int = 40) -> str:
    """File-name-safe words: "Sevenoaks DA Plan 2026/27" -> "sevenoaks-da-plan-2026-27"."""
    spelt = (text or "").translate(_NO_DECOMPOSITION)
    plain = unicodedata.normalize("NFKD", spelt).encode("ascii", "ignore").decode()
    words = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()
    if len(words) > limit:
        words = words[:limit].rsplit("-", 1)[0] or words[:limit]
    return words


def default_file_name(
    kind_name: str, *, plan_title: str = "", agency: str = "", today: date
) -> str:
    """``<kind>-<plan>-<yyyy-mm-dd>.pdf`` (the agency too for a return)."""
    parts = [kind_name, slug(plan_title), slug(agency, 30), today.isoformat()]
    return "-".join(p for p in parts if p) + ".pdf"


def default_marking(db: Database, kind: ReportKind, plan_marking: str | None = None) -> str:
    """The marking a report gets unless the officer chooses another."""
    if kind.shows_case_data:
        return "OFFICIAL-SENSITIVE"
    if plan_marking and (kind.needs_plan or kind.uses_plan):
        return plan_marking
    return db.default_marking


def describe_period(kind: ReportKind, date_from: date | None, date_to: date | None) -> str:
    if not kind.uses_period or date_from is None:
        return ""
    if not kind.uses_period_end or date_to is None:
        return f"since {format_date(date_from)}"
    return f"{format_date(date_from)} \u2013 {format_date(date_to)}"


def export_report(
    db: Database,
    kind_name: str,
    request: ReportRequest,
    *,
    on_page: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the report ``kind_name`` for ``request``; the file and its page count."""
    kind = registry.get(kind_name)
    if on_page is None:
        path = kind.build(db, request)
    else:
        with layout.on_each_page(on_page):
            path = kind.build(db, request)
    return ExportResult(Path(path), registry.page_count(path))
