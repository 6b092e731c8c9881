"""Performance reports: indicators against targets, and the BVPI 225 return.

Kinds (``dvcoord report KIND``):

* ``indicators`` – the board's performance page: every active indicator's figure for
  the period (the latest period of its own cadence that ends by the end date and has a
  figure, else that period marked "No data"; a yearly indicator in a mid-year report
  shows the last complete year; default: this financial year to date), with the
  target and national figure for that
  period, the previous period's figure and the status (coloured *and* worded), then a
  trend chart of each indicator over three years with its target line.
* ``bvpi225`` – the BVPI 225 self-assessment of a financial year (the year holding the
  end date; default: this one): the eleven questions, the answers, the evidence and its
  date, what dvcoord's records say for questions 7 and 11, and the score.

Neither prints case data.  Each reads its model through :mod:`dvcoord.services.indicators`
and :mod:`dvcoord.services.bvpi225` and renders it on :mod:`dvcoord.reports.layout`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle
from sqlalchemy import select

from dvcoord.reports import fonts
from dvcoord.reports import layout as L
from dvcoord.reports.registry import ReportKind, ReportRequest, register
from dvcoord.services import bvpi225 as bv
from dvcoord.services import indicators as svc
from dvcoord.services.dates import financial_year_of, format_date, fy_range
from dvcoord.store.schema.indicators import Indicator, IndicatorValue

if TYPE_CHECKING:
    from dvcoord.store import Database

AREA = "Performance"
TREND_YEARS = 3
#: status -> (background, text colour)
STATUS_COLOURS = {
    svc.MET: (L.RAG_COLOURS["G"], colors.HexColor("#0B0C0C")),
    svc.NOT_MET: (L.RAG_COLOURS["R"], colors.white),
    svc.NO_TARGET: (L.RAG_COLOURS[""], colors.HexColor("#0B0C0C")),
    svc.NO_DATA: (L.RAG_COLOURS[""], colors.HexColor("#0B0C0C")),
}
SERIES_COLOURS = {
    "Value": L.PALETTE[0],
    "Target": L.RAG_COLOURS["G"],
    "National": L.PALETTE[1],
}


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


def _span(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    end = date_to or today
    start = date_from or fy_range(financial_year_of(end))[0]
    if start > end:
        raise L.ReportError("The period starts after it ends; swap the dates.")
    return start, end


def _period_words(start: date, end: date) -> str:
    """The period in words: 2013/14, 2013/14 Q2, April 2013, "2013/14 to 20/11/2013"."""
    fy = financial_year_of(start)
    if (start, end) == fy_range(fy):
        return svc.year_period(fy).label
    for kind in ("quarter", "month"):
        p = svc.period_of(start, kind)
        if (p.start, p.end) == (start, end):
            return p.label
    if start == fy_range(fy)[0] and end < fy_range(fy)[1]:
        return f"{svc.year_period(fy).label} to {format_date(end)}"
    return f"{format_date(start)} to {format_date(end)}"


_STATUS_STYLE: dict[str, ParagraphStyle] = {}


def status_cell(status: str) -> Paragraph:
    """The status as a word on its colour (colour is never the only signal)."""
    style = _STATUS_STYLE.get(status)
    if style is None:
        background, ink = STATUS_COLOURS.get(status, STATUS_COLOURS[svc.NO_DATA])
        style = ParagraphStyle(
            f"dv-status-{status}",
            fontName=fonts.SANS_BOLD,
            fontSize=8,
            leading=10,
            textColor=ink,
            backColor=background,
            borderPadding=(1.5, 3, 2, 3),
            alignment=1,
        )
        _STATUS_STYLE[status] = style
    return Paragraph(svc.STATUS_LABELS.get(status, status), style)


# --------------------------------------------------------------------------- indicators
@dataclass(frozen=True)
class ReportLine:
    indicator: Indicator
    owner: str
    point: svc.SeriesPoint | None  # the reported period
    previous: svc.SeriesPoint | None
    trend: list[svc.SeriesPoint]

    @property
    def status(self) -> str:
        return self.point.status if self.point else svc.NO_DATA


@dataclass(frozen=True)
class IndicatorsModel:
    date_from: date
    date_to: date
    today: date
    lines: list[ReportLine]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def period_label(self) -> str:
        return _period_words(self.date_from, self.date_to)


def _trend_length(kind: str) -> int:
    return {"month": 12, "quarter": 4, "financial year": 1}[kind] * TREND_YEARS


def build_indicators_model(
    db: Database, date_from: date | None, date_to: date | None, today: date
) -> IndicatorsModel:
    start, end = _span(date_from, date_to, today)
    lines: list[ReportLine] = []
    with db.session() as s:
        rows = s.execute(
            select(Indicator).where(Indicator.deleted_at.is_(None), Indicator.active.is_(True))
        ).scalars()
        ordered = sorted(rows, key=lambda i: (not i.code, i.code.lower(), i.name.lower()))
        for ind in ordered:
            owner = ind.owner_agency.name if ind.owner_agency is not None else ""
            # the latest period of its cadence that ends by the report's end date ...
            last = svc.period_of(end, ind.period)
            if last.end > end:
                last = last.prev()
            if ind.computed_key:
                while last.end >= today:  # ... and is complete, for a computed figure
                    last = last.prev()
            elif last.end >= start:
                newest = s.scalar(
                    select(IndicatorValue.period_key)
                    .where(
                        IndicatorValue.indicator_id == ind.id,
                        IndicatorValue.deleted_at.is_(None),
                        IndicatorValue.period_start >= min(start, last.start),
                        IndicatorValue.period_end <= last.end,
                    )
                    .order_by(IndicatorValue.period_start.desc())
                    .limit(1)
                )
                if newest is not None:
                    last = svc.parse_period(newest, ind.period)
            periods = svc.recent_periods(last, _trend_length(ind.period))
            trend = svc.series(s, ind.id, periods, today)
            point = trend[-1]
            previous = trend[-2] if len(trend) > 1 else None
            lines.append(ReportLine(ind, owner, point, previous, trend))
    counts = Counter(line.status for line in lines)
    return IndicatorsModel(start, end, today, lines, dict(counts))


def _fmt(value: int | None, unit: str) -> str:
    return svc.format_number(value, unit) if value is not None else "\u2013"


def _axis_format(unit: str):  # noqa: ANN202
    if unit == "percentage":
        return lambda v: f"{v:,.0f}%"
    if unit == "money":  # the series are in pounds
        return lambda v: f"£{v:,.0f}"
    return lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _change(line: ReportLine) -> str:
    if line.point is None or line.point.value is None:
        return "\u2013"
    prev = line.previous
    if prev is None or prev.value is None:
        return "no earlier figure"
    unit = line.indicator.unit
    diff = line.point.value - prev.value
    if diff == 0:
        return f"same as {prev.period.label} ({_fmt(prev.value, unit)})"
    better = (diff > 0) == (line.indicator.direction == "higher")
    return (
        f"{'up' if diff > 0 else 'down'} from {_fmt(prev.value, unit)} in {prev.period.label}"
        f" ({'better' if better else 'worse'})"
    )


def _trend_cell(line: ReportLine, width: float) -> list[Any]:
    ind = line.indicator
    head = f"{ind.code} {ind.name}" if ind.code else ind.name
    facts = [
        svc.PERIOD_LABELS[ind.period],
        svc.UNIT_LABELS[ind.unit],
        svc.DIRECTION_LABELS[ind.direction],
        "computed by dvcoord" if ind.computed_key else f"source: {ind.data_source or '–'}",
    ]
    if line.owner:
        facts.append(f"owner: {line.owner}")
    series: dict[str, list[float | None]] = {"Value": [svc.to_float(p.value) for p in line.trend]}
    dashed = []
    if any(p.target is not None for p in line.trend):
        series["Target"] = [svc.to_float(p.target) for p in line.trend]
        dashed.append("Target")
    if any(p.national is not None for p in line.trend):
        series["National"] = [svc.to_float(p.national) for p in line.trend]
        dashed.append("National")
    chart = L.line_chart(
        [p.period.short_label for p in line.trend],
        series,
        SERIES_COLOURS,
        width=width,
        height=34 * mm,
        dashed=dashed,
        value_format=_axis_format(ind.unit),
    )
    return [L.para(" \u00b7 ".join(facts), "small", label=head.rstrip(".") + "."), chart]


def render_indicators(model: IndicatorsModel, out: Path | str, options: L.ReportOptions) -> Path:
    doc = L.ReportDocument(
        out,
        title="Performance indicators",
        subtitle="Figures against targets",
        period=model.period_label,
        landscape=True,
        options=options,
    )
    n = len(model.lines)
    c = model.counts
    story: list[Any] = [
        L.para(
            f"{n:,} indicator{'s' if n != 1 else ''}: {c.get(svc.MET, 0)} met, "
            f"{c.get(svc.NOT_MET, 0)} not met, {c.get(svc.NO_TARGET, 0)} without a target, "
            f"{c.get(svc.NO_DATA, 0)} without a figure for the period. Each indicator shows "
            "its latest period ending by "
            f"{format_date(model.date_to)}; computed indicators are worked out by dvcoord "
            "from its own records.",
        ),
    ]
    if not model.lines:
        story.append(L.no_data("No active indicator is recorded."))
        return doc.build(story)
    rows = []
    for line in model.lines:
        ind = line.indicator
        unit = ind.unit
        p = line.point
        source = "Computed by dvcoord" if ind.computed_key else (ind.data_source or "")
        rows.append(
            [
                ind.code or "\u2013",
                L.cell_text(source, label=ind.name) if source else ind.name,
                p.period.label if p else "\u2013",
                _fmt(p.value if p else None, unit),
                _fmt(p.target if p else None, unit),
                _fmt(p.national if p else None, unit),
                _change(line),
                status_cell(line.status),
            ]
        )
    story.append(L.heading("Indicators against targets", 1))
    story.append(
        L.data_table(
            ["Ref", "Indicator", "Period", "Figure", "Target", "National", "Change", "Status"],
            rows,
            [16 * mm, 0.55, 24 * mm, 22 * mm, 22 * mm, 22 * mm, 0.45, 22 * mm],
            right_align=(3, 4, 5),
        )
    )
    story.append(
        L.para(
            "Higher or lower is better as set for each indicator. A target set for a longer "
            "period applies to each of its periods; for counts and money it is shared out "
            "(150 a year is 37.5 a quarter).",
            "small",
        )
    )
    story.append(L.page_break())
    story.append(L.heading("Trends", 1))
    story.append(
        L.para(
            f"Each indicator over {TREND_YEARS} years up to its reported period; the dashed "
            "lines are the target and the national figure.",
            "small",
        )
    )
    half = doc.frame_width / 2
    cells = [_trend_cell(line, half - 8) for line in model.lines]
    grid = [cells[i : i + 2] + [""] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)]
    table = Table(grid, colWidths=[half, half], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, L.RULE),
            ]
        )
    )
    story.append(table)
    return doc.build(story)


def build_indicators(db: Database, request: ReportRequest) -> Path:
    today = _today(request)
    model = build_indicators_model(db, request.date_from, request.date_to, today)
    return render_indicators(model, request.out, _options(db, request, INDICATORS))


# --------------------------------------------------------------------------- BVPI 225
@dataclass(frozen=True)
class Bvpi225Model:
    view: bv.AssessmentView
    today: date


def build_bvpi225_model(db: Database, fy: int, today: date) -> Bvpi225Model:
    with db.session() as s:
        return Bvpi225Model(bv.assessment_view(s, fy, today), today)


def render_bvpi225(model: Bvpi225Model, out: Path | str, options: L.ReportOptions) -> Path:
    view = model.view
    doc = L.ReportDocument(
        out,
        title="BVPI 225 self-assessment",
        subtitle="Actions against domestic violence",
        period=f"Financial year {view.label}",
        landscape=True,
        options=options,
    )
    story: list[Any] = []
    if not view.exists:
        story.append(
            L.para(
                f"No self-assessment has been saved for {view.label}: the answers below are "
                "blank, for use as a checklist.",
                "note",
            )
        )
    story.append(
        L.key_values(
            [
                ("Financial year", view.label),
                ("Assessed by", view.officer or "\u2013"),
                ("Date of assessment", format_date(view.assessed_on) or "\u2013"),
                (
                    "Score",
                    f"{view.score} (questions answered yes: {view.yes_count} of "
                    f"{len(view.answers)}; answered: {view.answered})",
                ),
            ],
            label_width=45 * mm,
        )
    )
    story.append(
        L.para(
            "The score is the number of questions answered yes, divided by 11, times 100, to "
            "one decimal place. A yes needs the goal fully met, with evidence.",
            "small",
        )
    )
    rows = []
    for a in view.answers:
        evidence = a.evidence or ""
        label = f"Evidence dated {format_date(a.evidence_date)}" if a.evidence_date else ""
        evidence_cell: Any = (
            L.cell_text(evidence or "\u2013", label=label)
            if label
            else (evidence or L.cell_text("No evidence recorded", muted=True))
        )
        data = "\u2013"
        if a.data is not None:
            data = a.data.text
            if a.disagrees:
                data += f" This does not agree with the answer given ({a.answer_label.lower()})."
        rows.append(
            [
                str(a.question.number),
                L.cell_text(a.question.text, label=a.question.title),
                a.answer_label,
                evidence_cell,
                data,
            ]
        )
    story.append(L.heading("Questions and answers", 1))
    story.append(
        L.data_table(
            ["No.", "Question", "Answer", "Evidence", "dvcoord's records say"],
            rows,
            [11 * mm, 0.38, 22 * mm, 0.34, 0.28],
        )
    )
    if view.notes:
        story.append(L.heading("Notes", 2))
        story.append(L.para(view.notes))
    return doc.build(story)


def build_bvpi225(db: Database, request: ReportRequest) -> Path:
    today = _today(request)
    fy = financial_year_of(request.date_to or request.date_from or today)
    model = build_bvpi225_model(db, fy, today)
    return render_bvpi225(model, request.out, _options(db, request, BVPI225))


# --------------------------------------------------------------------------- kinds
INDICATORS = register(
    ReportKind(
        name="indicators",
        title="Performance indicators against targets",
        area=AREA,
        build=build_indicators,
        uses_period=True,
        description="Each indicator's latest figure in the period against its target and "
        "the national figure, with its status and a three-year trend chart (default: this "
        "financial year to date).",
    )
)
BVPI225 = register(
    ReportKind(
        name="bvpi225",
        title="BVPI 225 self-assessment return",
        area=AREA,
        build=build_bvpi225,
        uses_period=True,
        description="The eleven questions with the answers, evidence and score for the "
        "financial year holding the end date (default: this one).",
    )
)
