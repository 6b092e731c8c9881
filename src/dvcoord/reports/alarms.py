"""Panic-alarm reports: stock summary, loans open now, what is overdue, a year's activity.

Kinds (``dvcoord report KIND``):

* ``alarms-stock`` – counts by status, low-stock warning, the stock by type.
* ``alarms-loans`` – every loan open now.  The only alarm report that can print case
  references, so it defaults to OFFICIAL-SENSITIVE; with "leave out case references"
  (``--redact``) the column is not printed at all.
* ``alarms-due`` – loans past review, devices due a test, batteries due, warranties ending.
* ``alarms-activity`` – loans issued, returned and lost, MARAC cases and average loan
  length by requesting agency, for a period (default: the current financial year).

Each report reads its model through :mod:`dvcoord.services.alarms` and renders it on
:mod:`dvcoord.reports.layout`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib.units import mm

from dvcoord.reports import layout as L
from dvcoord.reports.registry import ReportKind, ReportRequest, register
from dvcoord.services import alarms as svc
from dvcoord.services.dates import financial_year_of, format_date, fy_label, fy_range

if TYPE_CHECKING:
    from dvcoord.store import Database

AREA = "Panic alarms"
TEST_LOOKAHEAD_DAYS = 14
BATTERY_LOOKAHEAD_DAYS = 30
WARRANTY_LOOKAHEAD_DAYS = 60
STATUS_LABELS = {
    "available": "Available",
    "issued": "Issued",
    "awaiting return": "Awaiting return",
    "in repair": "In repair",
    "faulty": "Faulty",
    "lost": "Lost",
    "retired": "Retired",
}


# --------------------------------------------------------------------------- shared
def _today(request: ReportRequest) -> date:
    return getattr(request, "today", None) or date.today()


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


def _days(n: int) -> str:
    return f"{n:,} day{'s' if n != 1 else ''}"


def _when(due: date, today: date) -> str:
    if due < today:
        return f"{_days((today - due).days)} overdue"
    if due == today:
        return "due today"
    return f"in {_days((due - today).days)}"


# --------------------------------------------------------------------------- stock
@dataclass(frozen=True)
class StockModel:
    today: date
    counts: svc.StockCounts
    threshold: int
    rows: list[svc.InventoryRow]


def build_stock_model(db: Database, today: date) -> StockModel:
    with db.session() as s:
        return StockModel(
            today=today,
            counts=svc.stock_counts(s),
            threshold=svc.low_stock_threshold(s),
            rows=svc.inventory(s, statuses="in stock"),
        )


def render_stock(model: StockModel, out: Path | str, options: L.ReportOptions) -> Path:
    doc = L.ReportDocument(
        out,
        title="Panic alarm stock",
        subtitle="Inventory and stock summary",
        period=f"As at {format_date(model.today)}",
        landscape=True,
        options=options,
    )
    c = model.counts
    warning = svc.low_stock_warning(c, model.threshold)
    story: list[Any] = [L.heading("Summary", 1)]
    story.append(
        L.key_values(
            [
                ("Available now", f"{c.available:,}"),
                (
                    "On loan",
                    f"{c.issued:,} (of which awaiting return: "
                    f"{c.by_status.get('awaiting return', 0):,})",
                ),
                (
                    "Out of service",
                    f"{c.out_of_service:,} (in repair "
                    f"{c.by_status.get('in repair', 0):,}, faulty {c.by_status.get('faulty', 0):,},"
                    f" lost {c.by_status.get('lost', 0):,})",
                ),
                ("In stock (not retired)", f"{c.in_stock:,}"),
                ("Retired", f"{c.retired:,}"),
                ("Low-stock warning level", f"{model.threshold:,} available"),
            ],
            label_width=55 * mm,
        )
    )
    if warning:
        story.append(L.para(warning, "note"))
    story.append(
        L.donut(
            [
                (STATUS_LABELS[s], c.by_status.get(s, 0))
                for s in svc.ALARM_STATUSES
                if s != "retired"
            ],
            centre_label="in stock",
        )
    )
    by_type: dict[str, list[svc.InventoryRow]] = {}
    for r in model.rows:
        by_type.setdefault(r.type_name, []).append(r)
    story.append(L.heading("Stock by type", 1))
    if not model.rows:
        story.append(L.no_data("There are no alarms in stock."))
    sections = []
    for type_name in sorted(by_type, key=str.lower):
        rows = by_type[type_name]
        counts = Counter(r.status for r in rows)
        intro = ", ".join(
            f"{STATUS_LABELS[s].lower()} {counts[s]}" for s in svc.ALARM_STATUSES if counts[s]
        )
        sections.append(
            L.TableSection(
                f"{type_name} ({len(rows)})",
                [
                    [
                        r.asset_tag,
                        r.serial_number,
                        STATUS_LABELS.get(r.status, r.status),
                        r.loan_agency
                        if r.loan_id
                        else ("\u2013" if r.status == "lost" else r.storage_location),
                        _d(r.last_test),
                        _d(r.next_test_due),
                        _d(r.battery_due),
                        _d(r.warranty_end),
                    ]
                    for r in rows
                ],
                intro.capitalize() + ".",
            )
        )
    story += L.sections_as_tables(
        sections,
        [
            "Asset tag",
            "Serial number",
            "Status",
            "With agency / stored at",
            "Last test",
            "Next test",
            "Battery due",
            "Warranty end",
        ],
        [26 * mm, 0.35, 26 * mm, 0.65, 22 * mm, 22 * mm, 22 * mm, 24 * mm],
    )
    return doc.build(story)


def build_stock(db: Database, request: ReportRequest) -> Path:
    model = build_stock_model(db, _today(request))
    return render_stock(model, request.out, _options(db, request, STOCK))


# --------------------------------------------------------------------------- loans
@dataclass(frozen=True)
class LoansModel:
    today: date
    loans: list[svc.LoanRow]


def build_loans_model(db: Database, today: date) -> LoansModel:
    with db.session() as s:
        return LoansModel(today=today, loans=svc.open_loans(s, today))


def render_loans(model: LoansModel, out: Path | str, options: L.ReportOptions) -> Path:
    doc = L.ReportDocument(
        out,
        title="Panic alarm loans open now",
        subtitle="Every alarm issued and not yet back",
        period=f"As at {format_date(model.today)}",
        landscape=True,
        options=options,
    )
    today = model.today
    past = [r for r in model.loans if r.review_date < today]
    marac = sum(1 for r in model.loans if r.marac)
    story: list[Any] = [
        L.para(
            f"{len(model.loans):,} open loan{'s' if len(model.loans) != 1 else ''}, "
            f"{len(past):,} past their review date, {marac:,} for MARAC cases. "
            "Soonest review first."
        )
    ]
    if not model.loans:
        story.append(L.no_data("No alarm is on loan."))
        return doc.build(story)
    show_refs = not options.redact
    header = ["Asset tag", "Type", "Agency", "Officer"]
    widths: list[float] = [22 * mm, 0.3, 0.28, 0.18]
    if show_refs:  # wide enough for WK-MARAC-2025-031 on one line
        header.append("Case reference")
        widths.append(38 * mm)
    header += ["MARAC", "Police marker", "Issued", "Installed", "Review", "Review status"]
    widths += [14 * mm, 16 * mm, 19 * mm, 19 * mm, 19 * mm, 0.24]
    rows = []
    for r in model.loans:
        row: list[Any] = [r.asset_tag, r.type_name, r.agency or "\u2013", r.officer or "\u2013"]
        if show_refs:
            row.append(L.case_ref(r.case_reference, options))
        if r.status == "awaiting return" and r.review_date > today:
            status = "Awaiting return"
        else:
            status = f"Review {_when(r.review_date, today)}"
        row += [
            "Yes" if r.marac else "No",
            "Yes" if r.police_marker else "No",
            _d(r.issued_date),
            _d(r.installed_date),
            _d(r.review_date),
            status,
        ]
        rows.append(row)
    story.append(L.data_table(header, rows, widths))
    return doc.build(story)


def build_loans(db: Database, request: ReportRequest) -> Path:
    model = build_loans_model(db, _today(request))
    return render_loans(model, request.out, _options(db, request, LOANS))


# --------------------------------------------------------------------------- due
@dataclass(frozen=True)
class DueModel:
    today: date
    reviews: list[svc.LoanRow]
    tests: list[svc.DueTest]
    batteries: list[svc.DueBattery]
    warranties: list[svc.WarrantyRow]


def build_due_model(db: Database, today: date) -> DueModel:
    with db.session() as s:
        return DueModel(
            today=today,
            reviews=svc.loans_past_review(s, today),
            tests=svc.tests_due(s, today, TEST_LOOKAHEAD_DAYS),
            batteries=svc.batteries_due(s, today, BATTERY_LOOKAHEAD_DAYS),
            warranties=svc.warranties_ending(s, today, WARRANTY_LOOKAHEAD_DAYS),
        )


def render_due(model: DueModel, out: Path | str, options: L.ReportOptions) -> Path:
    today = model.today
    doc = L.ReportDocument(
        out,
        title="Panic alarms: overdue reviews and tests",
        subtitle="Loans past review, devices due a test or a battery, warranties ending",
        period=f"As at {format_date(today)}",
        options=options,
    )
    overdue_tests = sum(1 for t in model.tests if t.due < today)
    story: list[Any] = [
        L.key_values(
            [
                ("Loans past review", f"{len(model.reviews):,}"),
                (
                    "Devices due a test",
                    f"{overdue_tests:,} overdue, "
                    f"{len(model.tests) - overdue_tests:,} due within {TEST_LOOKAHEAD_DAYS} days",
                ),
                (
                    "Batteries due",
                    f"{len(model.batteries):,} by "
                    f"{format_date(today + timedelta(days=BATTERY_LOOKAHEAD_DAYS))}",
                ),
                (
                    "Warranties ending",
                    f"{len(model.warranties):,} within {WARRANTY_LOOKAHEAD_DAYS} days",
                ),
            ],
            label_width=50 * mm,
        ),
        L.heading(f"Loans past review ({len(model.reviews)})", 1),
    ]
    if model.reviews:
        story.append(
            L.data_table(
                ["Asset tag", "Type", "Agency", "Issued", "Review date", "Overdue by"],
                [
                    [
                        r.asset_tag,
                        r.type_name,
                        r.agency or "\u2013",
                        _d(r.issued_date),
                        _d(r.review_date),
                        _days(r.days_past_review),
                    ]
                    for r in sorted(model.reviews, key=lambda r: -r.days_past_review)
                ],
                [22 * mm, 0.35, 0.45, 21 * mm, 21 * mm, 0.2],
                right_align=(5,),
            )
        )
    else:
        story.append(L.no_data(f"No open loan was past its review date on {format_date(today)}."))
    story.append(L.heading(f"Devices due a test ({len(model.tests)})", 1))
    if model.tests:
        story.append(
            L.data_table(
                ["Asset tag", "Type", "Status", "Last passed test", "Test due", "When"],
                [
                    [
                        t.asset_tag,
                        t.type_name,
                        STATUS_LABELS.get(t.status, t.status),
                        _d(t.last_test) if t.last_test else "Never",
                        _d(t.due),
                        _when(t.due, today),
                    ]
                    for t in model.tests
                ],
                [22 * mm, 0.45, 0.25, 26 * mm, 21 * mm, 0.3],
            )
        )
    else:
        story.append(L.no_data(f"No device is due a test in the next {TEST_LOOKAHEAD_DAYS} days."))
    story.append(L.heading(f"Batteries due ({len(model.batteries)})", 1))
    if model.batteries:
        story.append(
            L.data_table(
                ["Asset tag", "Type", "Status", "Last change", "Battery due", "When"],
                [
                    [
                        b.asset_tag,
                        b.type_name,
                        STATUS_LABELS.get(b.status, b.status),
                        _d(b.last_change) if b.last_change else "Since purchase",
                        _d(b.due),
                        _when(b.due, today),
                    ]
                    for b in model.batteries
                ],
                [22 * mm, 0.45, 0.25, 26 * mm, 21 * mm, 0.3],
            )
        )
    else:
        story.append(L.no_data(f"No battery is due in the next {BATTERY_LOOKAHEAD_DAYS} days."))
    story.append(L.heading(f"Warranties ending ({len(model.warranties)})", 1))
    if model.warranties:
        story.append(
            L.data_table(
                ["Asset tag", "Type", "Status", "Warranty ends", "Days left"],
                [
                    [
                        w.asset_tag,
                        w.type_name,
                        STATUS_LABELS.get(w.status, w.status),
                        _d(w.warranty_end),
                        f"{w.days_left:,}",
                    ]
                    for w in model.warranties
                ],
                [22 * mm, 0.55, 0.3, 26 * mm, 0.15],
                right_align=(4,),
            )
        )
    else:
        story.append(L.no_data(f"No warranty ends in the next {WARRANTY_LOOKAHEAD_DAYS} days."))
    return doc.build(story)


def build_due(db: Database, request: ReportRequest) -> Path:
    model = build_due_model(db, _today(request))
    return render_due(model, request.out, _options(db, request, DUE))


# --------------------------------------------------------------------------- activity
@dataclass(frozen=True)
class ActivityModel:
    date_from: date
    date_to: date
    period: str
    rows: list[svc.ActivityRow]


def build_activity_model(
    db: Database, date_from: date | None, date_to: date | None, today: date
) -> ActivityModel:
    if date_from is None and date_to is None:
        fy = financial_year_of(today)
        date_from, date_to = fy_range(fy)
        period = f"Financial year {fy_label(fy)}"
    else:
        date_from = date_from or fy_range(financial_year_of(date_to))[0]  # type: ignore[arg-type]
        date_to = date_to or fy_range(financial_year_of(date_from))[1]
        if (date_from, date_to) == fy_range(financial_year_of(date_from)):
            period = f"Financial year {fy_label(financial_year_of(date_from))}"
        else:
            period = f"{format_date(date_from)} to {format_date(date_to)}"
    with db.session() as s:
        rows = svc.activity_by_agency(s, date_from, date_to)
    return ActivityModel(date_from, date_to, period, rows)


def _avg(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else "\u2013"


def render_activity(model: ActivityModel, out: Path | str, options: L.ReportOptions) -> Path:
    doc = L.ReportDocument(
        out,
        title="Panic alarm activity",
        subtitle="Loans by requesting agency",
        period=model.period,
        options=options,
    )
    rows = model.rows
    issued = sum(r.issued for r in rows)
    returned = sum(r.returned for r in rows)
    lost = sum(r.ended_lost for r in rows)
    ended = [
        (r.average_days, r.returned + r.ended_lost) for r in rows if r.average_days is not None
    ]
    n_ended = sum(n for _, n in ended)
    overall = sum(a * n for a, n in ended) / n_ended if n_ended else None
    story: list[Any] = [
        L.para(
            f"Between {format_date(model.date_from)} and {format_date(model.date_to)}: "
            f"{issued:,} alarm loan{'s' if issued != 1 else ''} issued, {returned:,} returned"
            + (f", {lost:,} ended with the alarm lost" if lost else "")
            + (
                f"; loans that ended lasted {overall:,.0f} days on average."
                if overall is not None
                else "."
            )
        ),
        L.para(
            "Average length is over the loans that ended in the period (issue to return). "
            "'Open at end' counts loans still open on the last day of the period.",
            "small",
        ),
    ]
    if not rows:
        story.append(L.no_data("No alarm loans in this period."))
        return doc.build(story)
    table_rows: list[list[Any]] = [
        [
            r.agency,
            f"{r.issued:,}",
            f"{r.returned:,}",
            f"{r.ended_lost:,}",
            f"{r.marac:,}",
            _avg(r.average_days),
            f"{r.open_at_end:,}",
        ]
        for r in rows
    ]
    table_rows.append(
        [
            "All agencies",
            f"{issued:,}",
            f"{returned:,}",
            f"{lost:,}",
            f"{sum(r.marac for r in rows):,}",
            _avg(overall),
            f"{sum(r.open_at_end for r in rows):,}",
        ]
    )
    story.append(L.heading("By requesting agency", 1))
    story.append(
        L.data_table(
            ["Agency", "Issued", "Returned", "Lost", "MARAC cases", "Average days", "Open at end"],
            table_rows,
            [1.0, 16 * mm, 19 * mm, 14 * mm, 18 * mm, 18 * mm, 18 * mm],
            right_align=(1, 2, 3, 4, 5, 6),
            total_row=True,
        )
    )
    story.append(L.heading("Issued and returned", 2))
    story.append(
        L.bar_chart(
            [r.agency for r in rows],
            {"Issued": [r.issued for r in rows], "Returned": [r.returned for r in rows]},
        )
    )
    return doc.build(story)


def build_activity(db: Database, request: ReportRequest) -> Path:
    model = build_activity_model(db, request.date_from, request.date_to, _today(request))
    return render_activity(model, request.out, _options(db, request, ACTIVITY))


# --------------------------------------------------------------------------- kinds
STOCK = register(
    ReportKind(
        name="alarms-stock",
        title="Panic alarms: inventory and stock summary",
        area=AREA,
        build=build_stock,
        description="How many alarms are available, on loan and out of service, and the "
        "whole stock by type with test, battery and warranty dates.",
    )
)
LOANS = register(
    ReportKind(
        name="alarms-loans",
        title="Panic alarms: loans open now",
        area=AREA,
        build=build_loans,
        shows_case_data=True,
        description="Every alarm on loan: agency, case reference (left out with 'leave out "
        "case references'), MARAC, police marker, issue and review dates.",
    )
)
DUE = register(
    ReportKind(
        name="alarms-due",
        title="Panic alarms: overdue reviews and tests",
        area=AREA,
        build=build_due,
        description="Loans past review, devices due a test, batteries due and warranties "
        "ending soon.",
    )
)
ACTIVITY = register(
    ReportKind(
        name="alarms-activity",
        title="Panic alarms: a year's activity by agency",
        area=AREA,
        build=build_activity,
        uses_period=True,
        description="Loans issued, returned and lost, MARAC cases and average loan length by "
        "requesting agency (default: this financial year).",
    )
)
