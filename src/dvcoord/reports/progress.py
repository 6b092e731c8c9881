"""Progress summary for a board (A4 portrait).

RAG counts per theme (a table and a bar chart), the RAG key, every red action with its
latest update, the overdue milestones, and the actions changed since a chosen date
(``--from``; by default the start of the previous financial quarter).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib.units import mm

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
from dvcoord.services.dates import format_date
from dvcoord.services.plan_reports import (
    ProgressModel,
    agencies_cell,
    build_progress_model,
    resolve_plan,
)

if TYPE_CHECKING:
    from dvcoord.store import Database

TITLE = "Action plan progress summary"


def _name(letter: str, model: ProgressModel) -> str:
    return model.plan.rag_name(letter)


def _counts(model: ProgressModel) -> list[Any]:
    letters = model.rag_letters
    header = ["Theme"] + [_name(x, model) for x in letters] + ["Total"]
    rows: list[list[Any]] = []
    for t in model.rag_counts:
        rows.append([t.title] + [t.counts.get(x, 0) for x in letters] + [t.total])
    totals = model.totals
    rows.append(["All themes"] + [totals.get(x, 0) for x in letters] + [sum(totals.values())])
    widths = [1.0] + [17 * mm] * len(letters) + [15 * mm]
    numeric = range(1, len(letters) + 2)
    out: list[Any] = [L.data_table(header, rows, widths, right_align=numeric, total_row=True)]
    rated = [x for x in letters if x]
    series = {_name(x, model): [t.counts.get(x, 0) for t in model.rag_counts] for x in rated}
    if model.rag_counts and any(v for vals in series.values() for v in vals):
        colours = {_name(x, model): L.RAG_COLOURS.get(x, L.RAG_COLOURS[""]) for x in rated}
        out.append(
            L.bar_chart([t.title for t in model.rag_counts], series, colours, height=72 * mm)
        )
    return out


def _red(model: ProgressModel, options: L.ReportOptions) -> list[Any]:
    if not model.red_actions:
        return [L.no_data("No action is rated red.")]
    rows = [
        [
            a.reference,
            free(a.text, options),
            agencies_cell(a),
            target_cell(a),
            progress_cell(a, options),
            a.rag,
        ]
        for a in model.red_actions
    ]
    return [
        L.data_table(
            ["Ref", "Action", "Lead", "Target date", "Latest update", "RAG"],
            rows,
            [12 * mm, 0.33, 0.17, 19 * mm, 0.5, 10 * mm],
            rag_column=5,
        )
    ]


def _overdue(model: ProgressModel, options: L.ReportOptions) -> list[Any]:
    if not model.overdue_milestones:
        return [L.no_data(f"No milestone was overdue on {format_date(model.today)}.")]
    rows = [
        [
            m.action_reference,
            free(m.text, options),
            milestone_due_cell(m),
            m.days_overdue(model.today),
            m.lead,
        ]
        for m in model.overdue_milestones
    ]
    return [
        L.data_table(
            ["Ref", "Milestone", "Due", "Days late", "Lead"],
            rows,
            [12 * mm, 0.58, 26 * mm, 15 * mm, 0.42],
            right_align=(3,),
        )
    ]


def _changed(model: ProgressModel, options: L.ReportOptions) -> list[Any]:
    if not model.changed:
        return [L.no_data(f"No action has changed since {format_date(model.since)}.")]
    rows = []
    for c in model.changed:
        a = c.action
        what = "\n".join(w[:1].upper() + w[1:] for w in c.what)
        rows.append([a.reference, free(a.text, options), what, progress_cell(a, options), a.rag])
    return [
        L.data_table(
            ["Ref", "Action", "What changed", "Latest update", "RAG"],
            rows,
            [12 * mm, 0.32, 0.2, 0.48, 10 * mm],
            rag_column=4,
        )
    ]


def render_progress(model: ProgressModel, out_path: Path | str, options: L.ReportOptions) -> Path:
    """Write the progress summary for ``model`` to ``out_path`` (atomically)."""
    p = model.plan
    doc = L.ReportDocument(
        out_path,
        title=TITLE,
        subtitle=p.title,
        period=f"Position at {format_date(model.today)}",
        plan_version=p.version or None,
        options=options,
    )
    n_actions = sum(t.total for t in model.rag_counts)
    story: list[Any] = [
        L.para(
            f"The position of the plan's {n_actions:,} action{'s' if n_actions != 1 else ''} "
            f"on {format_date(model.today)}: {len(model.red_actions)} rated red, "
            f"{len(model.overdue_milestones)} overdue milestone"
            f"{'s' if len(model.overdue_milestones) != 1 else ''}, and "
            f"{len(model.changed)} action{'s' if len(model.changed) != 1 else ''} changed since "
            f"{format_date(model.since)}."
        ),
        L.heading("RAG status by theme", 1),
    ]
    story += _counts(model)
    story += [L.heading("RAG key", 2), L.rag_key_table(p.rag_key_tuples)]
    story += [L.heading(f"Red actions ({len(model.red_actions)})", 1)]
    story += _red(model, options)
    story += [L.heading(f"Overdue milestones ({len(model.overdue_milestones)})", 1)]
    story += _overdue(model, options)
    story += [L.heading(f"Changed since {format_date(model.since)} ({len(model.changed)})", 1)]
    story += _changed(model, options)
    return doc.build(story)


def build(db: Database, request: ReportRequest) -> Path:
    with db.session() as s:
        plan = resolve_plan(s, request.plan)
        model = build_progress_model(s, plan.id, since=request.date_from, today=today_of(request))
    options = options_for(db, request, KIND, model.plan.marking, model.plan.partnership)
    return render_progress(model, request.out, options)


KIND = register(
    ReportKind(
        name="progress",
        title="Progress summary for a board",
        area=AREA,
        build=build,
        needs_plan=True,
        uses_period=True,
        description="RAG counts per theme with a chart, red actions, overdue milestones and "
        "the actions changed since a date (From).",
    )
)
