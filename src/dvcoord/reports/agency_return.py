"""Agency return (A4 portrait): every action one agency leads, for it to update.

The quarterly chase as a PDF: a short note on what to do, the RAG key, then for each
action its target, outcomes, current RAG, progress to date and open milestones, with
ruled space for the new update, boxes to tick for the new RAG, and a line for who
updated it and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from dvcoord.reports import fonts
from dvcoord.reports import layout as L
from dvcoord.reports._plan_common import (
    AREA,
    free,
    milestone_due_cell,
    options_for,
    progress_cell,
    target_cell,
    today_of,
)
from dvcoord.reports.registry import ReportKind, ReportRequest, register
from dvcoord.services.dates import format_date, quarter_label, quarter_of
from dvcoord.services.plan_reports import (
    ActionRow,
    AgencyReturnModel,
    AgencyReturnPlan,
    RagKeyEntry,
    build_agency_return_model,
    resolve_plan,
    theme_heading,
)

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

    from dvcoord.store import Database

TITLE = "Action plan return"
_LINE_GAP = 7.5 * mm
_LINE_FOOT = 2.5 * mm  # space under the lowest line, clear of the table's own rule


class RuledLines(Flowable):
    """Blank ruled lines to write on (``lines`` of them, ``gap`` apart)."""

    def __init__(self, lines: int = 5, gap: float = _LINE_GAP) -> None:
        super().__init__()
        self.lines = lines
        self.gap = gap

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        return availWidth, self.lines * self.gap + _LINE_FOOT

    def draw(self) -> None:
        canv: Canvas = self.canv
        canv.saveState()
        canv.setStrokeColor(colors.HexColor("#8A949E"))
        canv.setLineWidth(0.5)
        for i in range(self.lines):
            y = _LINE_FOOT + i * self.gap
            canv.line(0, y, self.width, y)
        canv.restoreState()


class RagChoice(Flowable):
    """One tick box per entry of the RAG key, each with its coloured letter and name."""

    def __init__(self, entries: tuple[RagKeyEntry, ...]) -> None:
        super().__init__()
        self.entries = entries
        self.height = 7 * mm

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        return availWidth, self.height

    def draw(self) -> None:
        canv: Canvas = self.canv
        canv.saveState()
        box = 4.2 * mm
        x = 0.0
        y = (self.height - box) / 2
        step = min(self.width / max(len(self.entries), 1), 38 * mm)
        for e in self.entries:
            canv.setStrokeColor(colors.HexColor("#1B1B1B"))
            canv.setLineWidth(0.8)
            canv.setFillColor(colors.white)
            canv.rect(x, y, box, box, stroke=1, fill=1)
            fill = L.RAG_COLOURS.get(e.letter, L.RAG_COLOURS[""])
            canv.setFillColor(fill)
            canv.setStrokeColor(fill)
            canv.rect(x + box + 2 * mm, y, box + 1 * mm, box, stroke=0, fill=1)
            canv.setFillColor(colors.white if e.letter == "R" else colors.HexColor("#1B1B1B"))
            canv.setFont(fonts.CONDENSED_BOLD, 8.5)
            canv.drawCentredString(x + box + 2 * mm + (box + 1 * mm) / 2, y + 1.2 * mm, e.letter)
            canv.setFillColor(colors.HexColor("#1B1B1B"))
            canv.setFont(fonts.SANS, 8.5)
            canv.drawString(x + 2 * box + 4.5 * mm, y + 1.2 * mm, e.name)
            x += step
        canv.restoreState()


def _milestones_cell(
    block: AgencyReturnPlan, action: ActionRow, model: AgencyReturnModel, options: L.ReportOptions
) -> Any:
    found = block.open_milestones.get(action.id, ())
    if not found:
        return "None open."
    lines = []
    for m in found:
        due = milestone_due_cell(m).replace("\n", " ")
        late = m.days_overdue(model.today)
        flag = f" (overdue by {late:,} day{'s' if late != 1 else ''})" if late else ""
        lines.append(f"\u2022 {free(m.text, options)} \u2013 due {due}{flag}")
    return "\n".join(lines)


def _action_block(
    block: AgencyReturnPlan,
    a: ActionRow,
    model: AgencyReturnModel,
    options: L.ReportOptions,
    lead: Sequence[Any] = (),
) -> list[Any]:
    text = free(a.text, options)
    head, shortened = _first_line(text)
    pairs: list[tuple[str, Any]] = []
    if shortened:
        pairs.append(("Action", text))
    if a.support_agencies:
        pairs.append(("Supported by", a.support_agencies))
    pairs += [
        ("Target date", target_cell(a) or "\u2013"),
        ("Outcomes", free(a.outcomes, options) or "\u2013"),
        ("Current RAG", _current_rag(a, model)),
        ("Progress to date", progress_cell(a, options)),
        ("Open milestones", _milestones_cell(block, a, model, options)),
        ("New update", RuledLines(5)),
        ("New RAG (tick one)", RagChoice(model.rag_key)),
        ("Name and date", RuledLines(1)),
    ]
    title = f"{a.reference}  {head}".strip() or "Action"
    # The whole block on one page (a form is filled in by hand), unless it is longer.
    return [KeepTogether([*lead, L.heading(title, 3), L.key_values(pairs, label_width=36 * mm)])]


def _current_rag(a: ActionRow, model: AgencyReturnModel) -> Any:
    for e in model.rag_key:
        if e.letter == a.rag:
            return L.rag_key_table([e.as_tuple()])
    if a.rag:
        return L.rag_key_table([(a.rag, a.rag, "Not in this plan's RAG key")])
    return L.rag_key_table([("", "Not rated", "No RAG status given yet")])


def _first_line(text: str, limit: int = 160) -> tuple[str, bool]:
    """The action text for a heading, and whether it had to be shortened."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat, False
    return flat[: limit - 1].rstrip() + "\u2026", True


def render_agency_return(
    model: AgencyReturnModel, out_path: Path | str, options: L.ReportOptions
) -> Path:
    """Write the agency's return form for ``model`` to ``out_path`` (atomically)."""
    fy, q = quarter_of(model.today)
    single = model.plans[0].plan if len(model.plans) == 1 else None
    doc = L.ReportDocument(
        out_path,
        title=f"{TITLE}: {model.agency.name}",
        subtitle=single.title if single else "Actions led by this agency in every current plan",
        period=f"Return for {quarter_label(fy, q)}",
        plan_version=(single.version or None) if single else None,
        options=options,
    )
    n = model.action_count
    sent_by = f" to {options.officer}" if options.officer else " to the co-ordinator"
    story: list[Any] = [
        L.para(
            f"{model.agency.name} leads the {n:,} open action{'s' if n != 1 else ''} below "
            f"(position at {format_date(model.today)}). For each one, please write what has "
            "been done since the last update in the space given, tick the RAG status that "
            f"fits it now, add your name and the date, and return the form{sent_by}."
        ),
        L.heading("RAG key", 2),
        L.rag_key_table([e.as_tuple() for e in model.rag_key]),
    ]
    if not model.plans:
        story.append(L.no_data(f"{model.agency.name} does not lead any action in a current plan."))
        return doc.build(story)
    for block in model.plans:
        story.append(L.heading(block.plan.title, 1))
        current_theme = None
        for a in block.actions:
            lead = []
            if theme_heading(a.theme_code, a.theme_title) != current_theme:
                current_theme = theme_heading(a.theme_code, a.theme_title)
                lead = [L.heading(current_theme or "Actions", 2)]
            story += _action_block(block, a, model, options, lead)
    return doc.build(story)


def build(db: Database, request: ReportRequest) -> Path:
    from dvcoord.errors import DvcoordError

    if not (request.agency or "").strip():
        raise DvcoordError("Choose the agency whose return you want (--agency NAME).")
    with db.session() as s:
        plan = resolve_plan(s, request.plan) if request.plan else None
        model = build_agency_return_model(
            s, request.agency, plan.id if plan else None, today=today_of(request)
        )
    single = model.plans[0].plan if len(model.plans) == 1 else None
    options = options_for(db, request, KIND, single.marking if single else None, model.partnership)
    return render_agency_return(model, request.out, options)


KIND = register(
    ReportKind(
        name="agency-return",
        title="Agency return (quarterly chase)",
        area=AREA,
        build=build,
        uses_plan=True,
        uses_agency=True,
        description="Every action one agency leads, with space for its new update and RAG, "
        "to send as the quarterly chase.",
    )
)
