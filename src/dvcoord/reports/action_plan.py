"""The full action plan as a council would publish it (A4 landscape).

Cover (partnership, plan, period as financial years, version, status, marking, owner),
change history, RAG key, then one table per theme - its key objective above it, its aims
as sub-heading rows inside it - with the columns Ref, Action, Lead / support agencies,
Target date (as written), Outcomes, Progress to date (the latest update, dated) and RAG.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Table, TableStyle

from dvcoord.reports import layout as L
from dvcoord.reports._plan_common import (
    AREA,
    free,
    options_for,
    progress_cell,
    target_cell,
    today_of,
)
from dvcoord.reports.registry import ReportKind, ReportRequest, register
from dvcoord.services.dates import format_date
from dvcoord.services.plan_reports import (
    ActionPlanModel,
    ActionRow,
    ThemeBlock,
    agencies_cell,
    build_action_plan_model,
    resolve_plan,
)

if TYPE_CHECKING:
    from dvcoord.store import Database

TITLE = "Domestic abuse action plan"
#: (header, width, optional): points for narrow columns, shares of what is left for the
#: others.  An optional column is left out when no action of the plan fills it in.
COLUMNS: tuple[tuple[str, float, bool], ...] = (
    ("Ref", 14 * mm, False),
    ("Action", 0.2, False),
    ("Lead / support agencies", 0.16, False),
    ("Target date", 22 * mm, True),
    ("Outcomes", 0.18, True),
    ("Progress to date", 0.46, False),
    ("RAG", 11 * mm, False),
)
#: Share of a page that must be left for a theme to start on it.
_MIN_START = 0.4


def _cells(a: ActionRow, options: L.ReportOptions) -> list[Any]:
    return [
        a.reference,
        free(a.text, options),
        agencies_cell(a),
        target_cell(a),
        free(a.outcomes, options),
        progress_cell(a, options),
        a.rag,
    ]


class _Columns:
    """The columns a plan's tables print (empty optional columns dropped)."""

    def __init__(self, actions: list[ActionRow]) -> None:
        filled = {
            "Target date": any(target_cell(a) for a in actions),
            "Outcomes": any((a.outcomes or "").strip() for a in actions),
        }
        self.keep = [
            i
            for i, (name, _, optional) in enumerate(COLUMNS)
            if not optional or filled.get(name, True)
        ]
        self.header = [COLUMNS[i][0] for i in self.keep]
        self.widths = [COLUMNS[i][1] for i in self.keep]
        self.rag_column = self.header.index("RAG")

    def row(self, a: ActionRow, options: L.ReportOptions) -> list[Any]:
        cells = _cells(a, options)
        return [cells[i] for i in self.keep]


def _theme_flowables(theme: ThemeBlock, columns: _Columns, options: L.ReportOptions) -> list[Any]:
    out: list[Any] = [L.heading(theme.heading, 1)]
    if theme.key_objective:
        out.append(
            L.para(
                free(theme.key_objective, options),
                "body",
                label="Key objective",
                keep_with_next=True,
            )
        )
    rows: list[Any] = [columns.row(a, options) for a in theme.actions]
    for aim in theme.aims:
        rows.append(L.span_row(free(aim.heading, options) or "Aim"))
        if aim.actions:
            rows.extend(columns.row(a, options) for a in aim.actions)
        else:
            rows.append(L.span_row("No actions under this aim yet.", kind="note"))
    if not rows:
        out.append(L.no_data("No actions in this theme yet."))
        return out
    out.append(L.data_table(columns.header, rows, columns.widths, rag_column=columns.rag_column))
    return out


def _facts(model: ActionPlanModel, options: L.ReportOptions) -> list[tuple[str, Any]]:
    p = model.plan
    n_themes = len(model.themes)
    pairs: list[tuple[str, Any]] = [("Partnership", p.partnership or "\u2013"), ("Plan", p.title)]
    if p.plan_period:
        pairs.append(("Plan period", p.plan_period))
    if p.strategy_period and p.strategy_period != p.plan_period:
        pairs.append(("Strategy period", p.strategy_period))
    pairs += [
        ("Version", p.version or "\u2013"),
        ("Status", p.status_label or "\u2013"),
        ("Protective marking", options.marking.label or "None"),
        ("Owner", p.owner or "\u2013"),
        ("Actions", f"{len(model.actions):,} in {n_themes:,} theme{'s' if n_themes != 1 else ''}"),
        ("Position at", format_date(model.today)),
    ]
    return pairs


def _themes_summary(model: ActionPlanModel) -> list[Any]:
    if not model.themes:
        return []
    letters = [e.letter for e in model.plan.rag_key]
    known = set(letters)
    if any(a.rag not in known for a in model.actions):
        letters.append("")  # counted as "Not rated" (or a letter outside the key)
    rows = []
    for t in model.themes:
        actions = t.all_actions
        rows.append(
            [t.heading, len(actions)]
            + [sum(1 for a in actions if (a.rag if a.rag in known else "") == x) for x in letters]
        )
    header = ["Theme", "Actions"] + [model.plan.rag_name(x) if x else "Not rated" for x in letters]
    widths = [1.0, 15 * mm] + [(17 if x == "" else 14) * mm for x in letters]
    right = tuple(range(1, len(header)))
    return [L.heading("Themes", 2), L.data_table(header, rows, widths, right_align=right)]


def _cover(model: ActionPlanModel, options: L.ReportOptions, width: float) -> list[Any]:
    """Facts on the left; the RAG key and the themes at a glance on the right."""
    left: list[Any] = [
        L.heading("About this plan", 2),
        L.key_values(_facts(model, options), label_width=36 * mm),
    ]
    right: list[Any] = [L.heading("RAG key", 2), L.rag_key_table(model.plan.rag_key_tuples)]
    right += _themes_summary(model)
    gap = 10 * mm
    side = Table(
        [[left, right]], colWidths=[(width - gap) * 0.42, (width - gap) * 0.58 + gap], hAlign="LEFT"
    )
    side.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LEFTPADDING", (1, 0), (1, 0), gap),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    out: list[Any] = [side]
    if model.plan.description:
        out.append(L.heading("Notes on this plan", 2))
        out.append(L.para(free(model.plan.description, options)))
    return out


def render_action_plan(
    model: ActionPlanModel, out_path: Path | str, options: L.ReportOptions
) -> Path:
    """Write the full action plan for ``model`` to ``out_path`` (atomically)."""
    p = model.plan
    doc = L.ReportDocument(
        out_path,
        title=p.title or TITLE,
        subtitle=TITLE if p.title and p.title.strip().lower() != TITLE.lower() else "",
        period=p.plan_period,
        plan_version=p.version or None,
        landscape=True,
        options=options,
    )
    story: list[Any] = _cover(model, options, doc.frame_width)
    story.append(L.heading("Change history", 2))
    if model.changes:
        story.append(
            L.data_table(
                ["Version", "Date", "Editor", "Summary of change"],
                [
                    [c.version, format_date(c.changed_on), c.editor, free(c.summary, options)]
                    for c in model.changes
                ],
                [22 * mm, 24 * mm, 0.25, 0.75],
            )
        )
    else:
        story.append(L.no_data("No changes recorded yet."))
    if not model.actions and not any(t.aims for t in model.themes):
        story.append(L.heading("Actions", 1))
        story.append(L.no_data("This plan has no actions yet."))
    columns = _Columns(model.actions)
    for theme in model.themes:
        # A theme starts on a new page unless a good part of this one is left.
        story.append(CondPageBreak(doc.frame_height * _MIN_START))
        story += _theme_flowables(theme, columns, options)
    return doc.build(story)


def build(db: Database, request: ReportRequest) -> Path:
    with db.session() as s:
        plan = resolve_plan(s, request.plan)
        model = build_action_plan_model(s, plan.id, today=today_of(request))
    options = options_for(db, request, KIND, model.plan.marking, model.plan.partnership)
    return render_action_plan(model, request.out, options)


KIND = register(
    ReportKind(
        name="action-plan",
        title="Full action plan",
        area=AREA,
        build=build,
        needs_plan=True,
        description="The whole plan for publication: cover, change history, RAG key and "
        "one table per theme with the latest progress on every action.",
    )
)
