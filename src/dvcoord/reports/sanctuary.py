"""Sanctuary Scheme reports: open cases by stage, spend, waiting times and the stock.

Kinds (``dvcoord report KIND``):

* ``sanctuary-cases`` – every open case by stage, with what is still missing before works
  can be ordered.  Case references are printed unless "leave out case references"
  (``--redact``); **locations are never printed unless asked for** (``--show-locations``):
  then the postcode district, and the full address only where the database records
  addresses at all.  Defaults to OFFICIAL-SENSITIVE.
* ``sanctuary-spend`` – spend on measures fitted by financial year and quarter, with the
  measures by item for each year and the stock bought (default: up to five financial
  years ending with the current one).
* ``sanctuary-times`` – referral-to-installation times of the cases installed in a period:
  median, longest, the distribution, by financial year, the longest waits and who is still
  waiting (case references left out with ``--redact``).
* ``sanctuary-stock`` – the hardware in store, reorder levels, what to reorder.

Each report reads its model through :mod:`dvcoord.services.sanctuary` and renders it on
:mod:`dvcoord.reports.layout`.  No report prints notes or other free text of a case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether

from dvcoord.reports import layout as L
from dvcoord.reports.registry import ReportKind, ReportRequest, register
from dvcoord.services import sanctuary as svc
from dvcoord.services.dates import financial_year_of, format_date, fy_label, fy_range

if TYPE_CHECKING:
    from dvcoord.store import Database

AREA = "Sanctuary Scheme"
RISK_LABELS = {"standard": "Standard", "medium": "Medium", "high": "High"}
LONGEST_SHOWN = 10


# --------------------------------------------------------------------------- shared
def _today(request: ReportRequest) -> date:
    return request.today or date.today()


def _options(db: Database, request: ReportRequest, kind: ReportKind) -> L.ReportOptions:
    marking = request.marking or kind.default_marking(db)
    try:
        parsed = L.Marking.parse(marking)
    except ValueError as exc:
        raise L.ReportError(str(exc)) from None
    return L.ReportOptions(
        marking=parsed,
        redact=request.redact,
        officer=request.officer or db.user,
        partnership=db.partnership,
    )


def _d(value: date | None) -> str:
    return format_date(value) if value else "\u2013"


def _days(n: int | float | None) -> str:
    if n is None:
        return "\u2013"
    n = round(n)
    return f"{n:,} day{'s' if n != 1 else ''}"


def _money(pence: int) -> str:
    return svc.format_pounds(pence)


def _period(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date, str]:
    """A period for the times report: the dates asked for, else the current financial year."""
    if date_from is None and date_to is None:
        fy = financial_year_of(today)
        first, last = fy_range(fy)
        return first, last, f"Financial year {fy_label(fy)}"
    date_from = date_from or fy_range(financial_year_of(date_to))[0]  # type: ignore[arg-type]
    date_to = date_to or fy_range(financial_year_of(date_from))[1]
    if (date_from, date_to) == fy_range(financial_year_of(date_from)):
        return date_from, date_to, f"Financial year {fy_label(financial_year_of(date_from))}"
    return date_from, date_to, f"{format_date(date_from)} to {format_date(date_to)}"


# --------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class CasesModel:
    today: date
    rows: list[svc.CaseRow]
    counts: dict[str, int]
    show_locations: bool
    addresses: dict[str, str]


def build_cases_model(db: Database, today: date, *, show_locations: bool = False) -> CasesModel:
    with db.session() as s:
        return CasesModel(
            today=today,
            rows=svc.open_cases(s, today),
            counts=svc.stage_counts(s),
            show_locations=show_locations,
            addresses=svc.case_addresses(s) if show_locations else {},
        )


def _next_step(r: svc.CaseRow, today: date) -> str:
    if r.missing:
        return "Missing: " + "; ".join(r.missing)
    if r.stage in ("referred", "assessed", "approved"):
        return "Checklist complete"
    if r.stage == "works ordered":
        return f"Works ordered {_days(r.days_at_stage)} ago"
    if r.stage == "installed" and r.follow_up_due is not None:
        due = r.follow_up_due
        if due < today:
            return f"Follow-up overdue since {format_date(due)}"
        return f"Follow-up due {format_date(due)}"
    if r.stage == "follow-up done":
        return "Ready to close"
    return ""


def _wait(r: svc.CaseRow) -> str:
    if r.waiting_days is None:
        return "\u2013"
    if r.installed_on is not None:
        return f"{_days(r.waiting_days)} to installation"
    return _days(r.waiting_days)


def render_cases(model: CasesModel, out: Path | str, options: L.ReportOptions) -> Path:
    doc = L.ReportDocument(
        out,
        title="Sanctuary Scheme: open cases by stage",
        subtitle="Every case still being worked on, and what each is waiting for",
        period=f"As at {format_date(model.today)}",
        landscape=True,
        options=options,
    )
    rows = model.rows
    counts = model.counts
    story: list[Any] = [
        L.para(
            f"{len(rows):,} open case{'s' if len(rows) != 1 else ''}; "
            f"{sum(1 for r in rows if r.missing):,} waiting on the checklist before works can "
            f"be ordered. Cases ended: {counts['closed']:,} closed, {counts['declined']:,} "
            f"declined, {counts['withdrawn']:,} withdrawn."
        )
    ]
    if not model.show_locations:
        story.append(
            L.para(
                "Locations are left out of this report. Ask for them explicitly only when the "
                "reader needs them.",
                "small",
            )
        )
    story.append(
        L.key_values(
            [(svc.STAGE_LABELS[s], f"{counts[s]:,}") for s in svc.OPEN_STAGES],
            label_width=40 * mm,
        )
    )
    if not rows:
        story.append(L.no_data("There are no open Sanctuary Scheme cases."))
        return doc.build(story)
    show_refs = not options.redact
    show_address = model.show_locations and bool(model.addresses)
    header: list[str] = []
    widths: list[float] = []
    if show_refs:
        header.append("Case reference")
        widths.append(34 * mm)
    header += ["Agency", "Risk", "MARAC", "Tenure", "Referred", "At stage since", "Wait so far"]
    widths += [0.2, 18 * mm, 15 * mm, 0.2, 19 * mm, 21 * mm, 19 * mm]
    if model.show_locations:
        header.append("District")
        widths.append(16 * mm)
    if show_address:
        header.append("Address")
        widths.append(0.25)
    header.append("Next / still missing")
    widths.append(0.6 if not show_address else 0.35)
    sections = []
    for stage in svc.OPEN_STAGES:
        in_stage = [r for r in rows if r.stage == stage]
        table_rows = []
        for r in in_stage:
            row: list[Any] = []
            if show_refs:
                row.append(L.case_ref(r.reference, options))
            row += [
                r.agency or "\u2013",
                RISK_LABELS.get(r.risk_level, r.risk_level),
                "Yes" if r.marac else "No",
                r.tenure.capitalize(),
                _d(r.referral_date),
                _d(r.stage_since),
                _wait(r),
            ]
            if model.show_locations:
                row.append(r.postcode_district or "\u2013")
            if show_address:
                row.append(model.addresses.get(r.case_id, "") or "\u2013")
            row.append(_next_step(r, model.today))
            table_rows.append(row)
        sections.append(
            L.TableSection(
                f"{svc.STAGE_LABELS[stage]} ({len(in_stage)})",
                table_rows,
            )
        )
    story.append(L.heading("Cases by stage", 1))
    story += L.sections_as_tables(sections, header, widths, empty_text="No case is at this stage.")
    return doc.build(story)


def build_cases(db: Database, request: ReportRequest) -> Path:
    model = build_cases_model(db, _today(request), show_locations=request.show_locations)
    return render_cases(model, request.out, _options(db, request, CASES))


# --------------------------------------------------------------------------- spend
@dataclass(frozen=True)
class SpendModel:
    today: date
    summary: svc.SpendSummary


def build_spend_model(
    db: Database, date_from: date | None, date_to: date | None, today: date
) -> SpendModel:
    with db.session() as s:
        if date_from is None and date_to is None:
            fy_from, fy_to = svc.spend_years(s, today)
        else:
            fy_from = financial_year_of(date_from or date_to)  # type: ignore[arg-type]
            fy_to = financial_year_of(date_to or date_from)  # type: ignore[arg-type]
        return SpendModel(today, svc.spend_summary(s, fy_from, fy_to))


def render_spend(model: SpendModel, out: Path | str, options: L.ReportOptions) -> Path:
    sm = model.summary
    years = list(range(sm.fy_from, sm.fy_to + 1))
    period = (
        f"Financial year {fy_label(sm.fy_from)}"
        if sm.fy_from == sm.fy_to
        else f"Financial years {fy_label(sm.fy_from)} to {fy_label(sm.fy_to)}"
    )
    doc = L.ReportDocument(
        out,
        title="Sanctuary Scheme: spend",
        subtitle="Spend on measures fitted, by financial year and quarter",
        period=period,
        landscape=True,
        options=options,
    )
    total = sm.total
    bought = sum(sm.stock_bought.values())
    story: list[Any] = [
        L.key_values(
            [
                ("Spent on measures fitted", _money(total.spend_pence)),
                ("Measures fitted", f"{total.measures:,} ({total.items:,} items)"),
                ("Homes made safer", f"{total.cases:,} (counted once in each year)"),
                ("Stock bought", _money(bought) if bought else "None recorded"),
            ],
            label_width=55 * mm,
        ),
        L.para(
            "Spend is the quantity fitted times the unit cost of each measure, in the "
            "quarter it was fitted (Q1 = April to June). Hardware fitted from stock is "
            "counted when it is fitted; buying stock is shown separately.",
            "small",
        ),
        L.heading("By financial year and quarter", 1),
    ]
    table_rows: list[list[Any]] = []
    for y in years:
        year = sm.years[y]
        table_rows.append(
            [
                fy_label(y),
                *[_money(sm.quarters[(y, q)].spend_pence) for q in (1, 2, 3, 4)],
                _money(year.spend_pence),
                f"{year.measures:,}",
                f"{year.cases:,}",
                _money(sm.stock_bought.get(y, 0)),
            ]
        )
    if len(years) > 1:
        table_rows.append(
            [
                "All years",
                *[
                    _money(sum(sm.quarters[(y, q)].spend_pence for y in years))
                    for q in (1, 2, 3, 4)
                ],
                _money(total.spend_pence),
                f"{total.measures:,}",
                f"{total.cases:,}",
                _money(bought),
            ]
        )
    story.append(
        L.data_table(
            ["Year", "Q1", "Q2", "Q3", "Q4", "Year total", "Measures", "Homes", "Stock bought"],
            table_rows,
            [0.12, 0.11, 0.11, 0.11, 0.11, 0.12, 0.09, 0.08, 0.12],
            right_align=(1, 2, 3, 4, 5, 6, 7, 8),
            total_row=len(years) > 1,
        )
    )
    story.append(L.heading("Spend by quarter (£)", 2))
    story.append(
        L.bar_chart(
            ["Q1 Apr-Jun", "Q2 Jul-Sep", "Q3 Oct-Dec", "Q4 Jan-Mar"],
            {
                fy_label(y): [round(sm.quarters[(y, q)].spend_pence / 100) for q in (1, 2, 3, 4)]
                for y in years
            },
            value_labels=len(years) <= 3,
            height=55 * mm,
        )
    )
    story.append(L.heading("Measures fitted", 1))
    for n, y in enumerate(years):
        items = [r for r in sm.items if r.fy == y]
        story.append(L.heading(f"{fy_label(y)}: {_money(sm.years[y].spend_pence)}", 2))
        if not items:
            story.append(L.no_data(f"No measures were fitted in {fy_label(y)}."))
            continue
        rows: list[list[Any]] = [
            [
                r.item,
                f"{r.measures:,}",
                f"{r.quantity:,}",
                f"{r.cases:,}",
                _money(r.spend_pence),
                _money(r.spend_pence // r.quantity) if r.quantity else "\u2013",
            ]
            for r in items
        ]
        year = sm.years[y]
        rows.append(
            [
                "All items",
                f"{year.measures:,}",
                f"{year.items:,}",
                f"{year.cases:,}",
                _money(year.spend_pence),
                "",
            ]
        )
        table = L.data_table(
            ["Item", "Measures", "Quantity", "Homes", "Spend", "Average unit cost"],
            rows,
            [0.4, 0.11, 0.11, 0.1, 0.14, 0.14],
            right_align=(1, 2, 3, 4, 5),
            total_row=True,
        )
        # A year's items (at most one row per catalogue item) fit on a page: keep the
        # heading, the rows and their total together rather than orphan the total.
        if n == 0:  # the section heading stays with the first year
            story[-2:] = [KeepTogether([story[-2], story[-1], table])]
        else:
            story[-1] = KeepTogether([story[-1], table])
    return doc.build(story)


def build_spend(db: Database, request: ReportRequest) -> Path:
    model = build_spend_model(db, request.date_from, request.date_to, _today(request))
    return render_spend(model, request.out, _options(db, request, SPEND))


# --------------------------------------------------------------------------- times
@dataclass(frozen=True)
class TimesModel:
    today: date
    period: str
    times: svc.TimesSummary
    by_year: list[tuple[int, svc.TimesSummary]]
    waiting: list[svc.CaseRow]


def build_times_model(
    db: Database, date_from: date | None, date_to: date | None, today: date
) -> TimesModel:
    first, last, period = _period(date_from, date_to, today)
    with db.session() as s:
        times = svc.installation_times(s, first, last)
        by_year = []
        for fy in range(financial_year_of(first), financial_year_of(last) + 1):
            start, end = fy_range(fy)
            by_year.append((fy, svc.installation_times(s, max(start, first), min(end, last))))
        waiting = svc.waiting_longest(s, today, LONGEST_SHOWN)
    return TimesModel(today, period, times, by_year, waiting)


def render_times(model: TimesModel, out: Path | str, options: L.ReportOptions) -> Path:
    doc = L.ReportDocument(
        out,
        title="Sanctuary Scheme: waiting times",
        subtitle="From referral to installation of the measures",
        period=model.period,
        landscape=True,
        options=options,
    )
    t = model.times
    show_refs = not options.redact
    within_4 = sum(1 for r in t.rows if r.days <= 28)
    story: list[Any] = []
    longest = t.longest
    pairs: list[tuple[str, Any]] = [
        ("Homes installed", f"{len(t.rows):,}"),
        ("Median wait", _days(t.median)),
        (
            "Longest wait",
            (
                _days(longest.days)
                + (f" ({L.case_ref(longest.reference, options)})" if show_refs else "")
            )
            if longest
            else "\u2013",
        ),
        ("Shortest wait", _days(t.shortest.days) if t.shortest else "\u2013"),
        (
            "Installed within 4 weeks",
            f"{within_4:,} of {len(t.rows):,} ({within_4 * 100 // len(t.rows)}%)"
            if t.rows
            else "\u2013",
        ),
    ]
    story.append(L.key_values(pairs, label_width=50 * mm))
    story.append(
        L.para(
            "The wait is counted in calendar days from the referral date to the date the "
            "case was marked installed, for cases installed in the period.",
            "small",
        )
    )
    story.append(L.heading("Distribution of waits", 1))
    story.append(
        L.bar_chart(
            [label for label, _ in t.bands],
            {"Homes installed": [n for _, n in t.bands]},
            height=60 * mm,
        )
    )
    if len(model.by_year) > 1:
        story.append(L.heading("By financial year", 1))
        story.append(
            L.data_table(
                ["Financial year", "Installed", "Median wait", "Longest wait"],
                [
                    [
                        fy_label(fy),
                        f"{len(s.rows):,}",
                        _days(s.median),
                        _days(s.longest.days) if s.longest else "\u2013",
                    ]
                    for fy, s in model.by_year
                ],
                [0.3, 0.2, 0.25, 0.25],
                right_align=(1, 2, 3),
            )
        )
    story.append(L.heading(f"Longest waits ({min(LONGEST_SHOWN, len(t.rows))})", 1))
    if t.rows:
        header = (["Case reference"] if show_refs else []) + [
            "Agency",
            "Risk",
            "Referred",
            "Installed",
            "Wait",
        ]
        widths = ([38 * mm] if show_refs else []) + [1.0, 20 * mm, 24 * mm, 24 * mm, 24 * mm]
        story.append(
            L.data_table(
                header,
                [
                    ([L.case_ref(r.reference, options)] if show_refs else [])
                    + [
                        r.agency or "\u2013",
                        RISK_LABELS.get(r.risk_level, r.risk_level),
                        _d(r.referral_date),
                        _d(r.installed_on),
                        _days(r.days),
                    ]
                    for r in t.rows[:LONGEST_SHOWN]
                ],
                widths,
                right_align=(len(header) - 1,),
            )
        )
    else:
        story.append(L.no_data("No case was installed in this period."))
    story.append(L.heading(f"Still waiting on {format_date(model.today)}", 1))
    if model.waiting:
        header = (["Case reference"] if show_refs else []) + [
            "Agency",
            "Stage",
            "Referred",
            "Waiting so far",
            "Still missing",
        ]
        widths = ([38 * mm] if show_refs else []) + [0.35, 28 * mm, 22 * mm, 26 * mm, 0.65]
        story.append(
            L.data_table(
                header,
                [
                    ([L.case_ref(r.reference, options)] if show_refs else [])
                    + [
                        r.agency or "\u2013",
                        svc.STAGE_LABELS[r.stage],
                        _d(r.referral_date),
                        _days(r.waiting_days),
                        "; ".join(r.missing) or "\u2013",
                    ]
                    for r in model.waiting
                ],
                widths,
            )
        )
    else:
        story.append(L.no_data("Nobody is waiting for works."))
    return doc.build(story)


def build_times(db: Database, request: ReportRequest) -> Path:
    model = build_times_model(db, request.date_from, request.date_to, _today(request))
    return render_times(model, request.out, _options(db, request, TIMES))


# --------------------------------------------------------------------------- stock
@dataclass(frozen=True)
class StockModel:
    today: date
    rows: list[svc.StockRow]


def build_stock_model(db: Database, today: date) -> StockModel:
    with db.session() as s:
        return StockModel(today, svc.stock_rows(s, today))


def render_stock(model: StockModel, out: Path | str, options: L.ReportOptions) -> Path:
    doc = L.ReportDocument(
        out,
        title="Sanctuary Scheme: hardware stock",
        subtitle="What is in store and what to reorder",
        period=f"As at {format_date(model.today)}",
        landscape=True,
        options=options,
    )
    reorder = [r for r in model.rows if r.to_reorder]
    stocked = [r for r in model.rows if r.in_store or r.reorder_level]
    story: list[Any] = [
        L.para(
            f"{sum(r.in_store for r in model.rows if r.in_store > 0):,} items in store across "
            f"{sum(1 for r in model.rows if r.in_store > 0)} lines; "
            f"{len(reorder)} line{'s' if len(reorder) != 1 else ''} to reorder. The quantity "
            "in store is worked out from every delivery, fitting and count recorded."
        ),
        L.heading(f"To reorder ({len(reorder)})", 1),
    ]
    if reorder:
        story.append(
            L.data_table(
                ["Item", "In store", "Reorder level", "Status", "Supplier", "Last delivery"],
                [
                    [
                        r.name,
                        f"{r.in_store:,}",
                        f"{r.reorder_level:,}",
                        r.status,
                        r.supplier or "\u2013",
                        _d(r.last_delivery),
                    ]
                    for r in reorder
                ],
                [0.3, 18 * mm, 24 * mm, 0.25, 0.45, 24 * mm],
                right_align=(1, 2),
            )
        )
    else:
        story.append(L.no_data("Nothing is at or below its reorder level."))
    story.append(L.heading("All stocked items", 1))
    if stocked:
        story.append(
            L.data_table(
                [
                    "Item",
                    "Kind",
                    "In store",
                    "Reorder level",
                    "Status",
                    "Fitted from stock (12 months)",
                    "Supplier",
                    "Last delivery",
                ],
                [
                    [
                        r.name,
                        r.kind.capitalize(),
                        f"{r.in_store:,}",
                        f"{r.reorder_level:,}",
                        r.status,
                        f"{r.fitted_last_year:,}",
                        r.supplier or "\u2013",
                        _d(r.last_delivery),
                    ]
                    for r in stocked
                ],
                [0.24, 0.2, 17 * mm, 22 * mm, 0.22, 28 * mm, 0.34, 24 * mm],
                right_align=(2, 3, 5),
            )
        )
    else:
        story.append(L.no_data("No hardware is kept in stock."))
    not_stocked = [r.name for r in model.rows if not (r.in_store or r.reorder_level)]
    if not_stocked:
        story.append(
            L.para("Bought for each job, not kept in stock: " + ", ".join(not_stocked) + ".")
        )
    return doc.build(story)


def build_stock(db: Database, request: ReportRequest) -> Path:
    model = build_stock_model(db, _today(request))
    return render_stock(model, request.out, _options(db, request, STOCK))


# --------------------------------------------------------------------------- kinds
CASES = register(
    ReportKind(
        name="sanctuary-cases",
        title="Sanctuary Scheme: open cases by stage",
        area=AREA,
        build=build_cases,
        shows_case_data=True,
        shows_locations=True,
        description="Every open case by stage with what it is waiting for. Case references "
        "are left out with 'leave out case references'; locations are printed only when "
        "asked for.",
    )
)
SPEND = register(
    ReportKind(
        name="sanctuary-spend",
        title="Sanctuary Scheme: spend by year and quarter",
        area=AREA,
        build=build_spend,
        uses_period=True,
        description="Spend on measures fitted by financial year and quarter, and the "
        "measures fitted by item (default: up to five years to this one).",
    )
)
TIMES = register(
    ReportKind(
        name="sanctuary-times",
        title="Sanctuary Scheme: referral to installation times",
        area=AREA,
        build=build_times,
        uses_period=True,
        shows_case_data=True,
        description="Median and longest waits from referral to installation, their "
        "distribution, the longest waits and who is still waiting (default: this "
        "financial year).",
    )
)
STOCK = register(
    ReportKind(
        name="sanctuary-stock",
        title="Sanctuary Scheme: hardware stock and reorders",
        area=AREA,
        build=build_stock,
        description="Hardware in store, reorder levels, suppliers and what to reorder.",
    )
)
