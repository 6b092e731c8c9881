"""Milestones in a period (A4 portrait): overdue, due, and completed.

The period is a financial quarter or any date range (``--from``/``--to``); by default the
financial quarter holding today.  One plan (``--plan``) or every plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib.units import mm

from dvcoord.reports import layout as L
from dvcoord.reports._plan_common import AREA, free, milestone_due_cell, options_for, today_of
from dvcoord.reports.registry import ReportKind, ReportRequest, register
from dvcoord.services.dates import format_date
from dvcoord.services.plan_reports import (
    MilestoneRow,
    MilestonesModel,
    build_milestones_model,
    resolve_plan,
)

if TYPE_CHECKING:
    from dvcoord.store import Database

TITLE = "Milestones"


#: A plan's list longer than this is split into one table per theme (easier to read,
#: and much quicker to lay out than one very long table).
_SPLIT_OVER = 40


def _groups(
    rows: Sequence[MilestoneRow], key: Callable[[MilestoneRow], str]
) -> list[tuple[str, list[MilestoneRow]]]:
    groups: dict[str, list[MilestoneRow]] = {}
    for r in rows:
        groups.setdefault(key(r), []).append(r)
    return list(groups.items())


def _table(
    rows: Sequence[MilestoneRow],
    last_header: str,
    last: Callable[[MilestoneRow], Any],
    options: L.ReportOptions,
) -> Any:
    data = [
        [
            m.action_reference,
            free(m.action_text, options),
            free(m.text, options),
            milestone_due_cell(m),
            m.lead,
            last(m),
        ]
        for m in rows
    ]
    return L.data_table(
        ["Ref", "Action", "Milestone", "Due", "Lead", last_header],
        data,
        [11 * mm, 0.4, 0.34, 27 * mm, 0.26, 17 * mm],
        right_align=(5,) if last_header.startswith("Days") else (),
    )


def _section(
    title: str,
    rows: Sequence[MilestoneRow],
    empty: str,
    last_header: str,
    last: Callable[[MilestoneRow], Any],
    model: MilestonesModel,
    options: L.ReportOptions,
) -> list[Any]:
    out: list[Any] = [L.heading(f"{title} ({len(rows)})", 1)]
    if not rows:
        out.append(L.no_data(empty))
        return out
    plans = [("", list(rows))] if model.plan is not None else _groups(rows, _plan_of)
    for plan_title, group in plans:
        if plan_title:
            out.append(L.heading(plan_title, 2))
        if len(group) <= _SPLIT_OVER:
            out.append(_table(group, last_header, last, options))
            continue
        for theme, part in _groups(group, _theme_of):
            out.append(L.heading(theme or "Other actions", 3))
            out.append(_table(part, last_header, last, options))
    return out


def _plan_of(m: MilestoneRow) -> str:
    return m.plan_title


def _theme_of(m: MilestoneRow) -> str:
    return m.theme_title


def render_milestones(
    model: MilestonesModel, out_path: Path | str, options: L.ReportOptions
) -> Path:
    """Write the milestones report for ``model`` to ``out_path`` (atomically)."""
    doc = L.ReportDocument(
        out_path,
        title=TITLE,
        subtitle=model.plan.title if model.plan else "All action plans",
        period=model.period,
        plan_version=(model.plan.version or None) if model.plan else None,
        options=options,
    )
    today = model.today
    story: list[Any] = [
        L.para(
            f"Milestones due between {format_date(model.date_from)} and "
            f"{format_date(model.date_to)}, as they stood on {format_date(today)}: "
            f"{len(model.overdue)} overdue, {len(model.due)} still to come, "
            f"{len(model.completed)} completed. Overdue milestones from earlier periods that "
            "are still open are listed too."
        )
    ]
    story += _section(
        "Overdue",
        model.overdue,
        f"No open milestone was overdue on {format_date(today)}.",
        "Days late",
        lambda m: f"{m.days_overdue(today):,}",
        model,
        options,
    )
    story += _section(
        "Due in the period",
        model.due,
        "No open milestone is still to come in this period.",
        "Days left",
        lambda m: f"{(m.due_end - today).days:,}" if m.due_end else "",
        model,
        options,
    )
    story += _section(
        "Completed in the period",
        model.completed,
        "No milestone was completed in this period.",
        "Completed",
        lambda m: format_date(m.completed_on),
        model,
        options,
    )
    return doc.build(story)


def build(db: Database, request: ReportRequest) -> Path:
    with db.session() as s:
        plan = resolve_plan(s, request.plan) if request.plan else None
        model = build_milestones_model(
            s,
            plan.id if plan else None,
            date_from=request.date_from,
            date_to=request.date_to,
            today=today_of(request),
        )
    marking = model.plan.marking if model.plan else None
    options = options_for(db, request, KIND, marking, model.partnership)
    return render_milestones(model, request.out, options)


KIND = register(
    ReportKind(
        name="milestones",
        title="Milestones: overdue, due and completed",
        area=AREA,
        build=build,
        uses_plan=True,
        uses_period=True,
        description="Milestones overdue, due and completed in a financial quarter or date "
        "range (default: this quarter), for one plan or all of them.",
    )
)
