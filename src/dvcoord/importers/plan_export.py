"""Export a plan to a spreadsheet (.xlsx or .csv) that partners can fill in and send back.

* ``.xlsx``: one sheet per theme (or one sheet with every action), a header row, wrapped
  text, fixed column widths, a frozen header, filters, and the RAG cell filled with the
  plan's colour and holding the letter (colour is never the only signal).
* ``.csv``: one table, UTF-8 with BOM so Excel shows "£".

Every sheet starts with a Theme column holding the theme's full title (a sheet name is
limited to 31 characters), so that the file imports back (:mod:`.plan_import`) to the same
plan: references, texts, lead text, target text, outcomes, status, latest progress with
its date, RAG and milestones. Columns that no action uses (baseline, outputs, ...) are
left out. Cells are written so that Excel never runs them as formulas.

The plan's title, partnership and periods travel in the workbook's document properties
(Excel: File > Info > Properties), so that the sheets stay clean tables with the header
in row 1: the core Title, Subject (partnership and periods in words) and Author (the
officer who exported it), and custom properties (:data:`PROP_TITLE`, ...) that
:mod:`.plan_import` reads back to title a new plan.  A ``.csv`` is one plain table and
carries none of them (a title row would break it as a table); importing one takes the
title from ``--plan-title`` or the file name.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dvcoord.errors import DvcoordError
from dvcoord.importers.tabular import SheetSpec, sheet_title, write_csv, write_xlsx

log = logging.getLogger(__name__)

__all__ = [
    "EXPORT_COLUMNS",
    "ExportSummary",
    "export_plan",
    "parse_period",
    "period_text",
    "plan_properties",
    "plan_rows",
]

#: Custom document properties of an exported workbook (read back by the import).
PROP_TITLE = "dvcoord plan title"
PROP_PARTNERSHIP = "dvcoord partnership"
PROP_PLAN_PERIOD = "dvcoord plan period"
PROP_STRATEGY_PERIOD = "dvcoord strategy period"

#: (key, header, width in characters, optional: left out when every action leaves it empty)
EXPORT_COLUMNS: tuple[tuple[str, str, float, bool], ...] = (
    ("theme", "Theme", 24, False),
    ("ref", "Ref", 9, False),
    ("action", "Action", 50, False),
    ("aim", "Aim", 30, True),
    ("lead", "Lead agency", 26, False),
    ("support", "Supporting agencies", 24, True),
    ("target", "Target date", 16, False),
    ("milestones", "Milestones", 34, True),
    ("outcomes", "Outcomes", 40, False),
    ("baseline", "Baseline data", 26, True),
    ("measure", "Performance measure", 26, True),
    ("outputs", "Outputs", 26, True),
    ("funding", "Funding source and cost", 26, True),
    ("cost", "Cost (£)", 11, True),
    ("status", "Status", 12, False),
    ("rag", "RAG", 6, False),
    ("progress", "Progress to date", 60, False),
    ("progress_date", "Progress date", 13, False),
)


@dataclass
class ExportSummary:
    path: Path
    plan_title: str
    themes: int = 0
    actions: int = 0
    sheets: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def period_text(from_fy: int | None, to_fy: int | None) -> str:
    """Financial years in words: "2026/27", "2025/26 to 2027/28", "from 2025/26",
    "to 2027/28", or "" (read back by :func:`parse_period`)."""
    from dvcoord.services.dates import fy_label

    if from_fy is None and to_fy is None:
        return ""
    if from_fy is None:
        return f"to {fy_label(to_fy)}"  # type: ignore[arg-type]
    if to_fy is None:
        return f"from {fy_label(from_fy)}"
    if to_fy == from_fy:
        return fy_label(from_fy)
    return f"{fy_label(from_fy)} to {fy_label(to_fy)}"


_FY = r"(\d{4})/(\d{2})"
_PERIOD_RE = re.compile(rf"(?:(from|to)\s+)?{_FY}(?:\s+to\s+{_FY})?", re.IGNORECASE)


def parse_period(text: str) -> tuple[int | None, int | None] | None:
    """The ``(first, last)`` financial years of :func:`period_text`'s words; None when
    the text is not such a period (or names years that do not follow one another)."""
    m = _PERIOD_RE.fullmatch((text or "").strip())
    if m is None:
        return None
    years = []
    for a, b in ((m[2], m[3]), (m[4], m[5])):
        if a is None:
            years.append(None)
            continue
        if (int(a) + 1) % 100 != int(b) or not 1900 <= int(a) <= 2098:
            return None
        years.append(int(a))
    first, last = years
    word = (m[1] or "").lower()
    if word and last is not None:
        return None
    if word == "from":
        return first, None
    if word == "to":
        return None, first
    if last is None:
        return first, first
    if last < first:
        return None
    return first, last


def plan_properties(plan: Any, officer: str = "", today: date | None = None) -> dict[str, str]:
    """The document properties of a plan's workbook (see the module's note)."""
    from dvcoord.services.dates import format_date

    plan_period = period_text(plan.plan_from_fy, plan.plan_to_fy)
    strategy_period = period_text(plan.strategy_from_fy, plan.strategy_to_fy)
    about = [plan.partnership or ""]
    if plan_period:
        about.append(f"action plan {plan_period}")
    if strategy_period:
        about.append(f"strategy {strategy_period}")
    return {
        "title": plan.title,
        "subject": " \u2013 ".join(p for p in about if p),
        "creator": officer,
        "description": (
            f"Exported from dvcoord on {format_date(today or date.today())}. It imports back "
            "with File > Import plan, or dvcoord import-plan."
        ),
        PROP_TITLE: plan.title,
        PROP_PARTNERSHIP: plan.partnership or "",
        PROP_PLAN_PERIOD: plan_period,
        PROP_STRATEGY_PERIOD: strategy_period,
    }


def _aim_label(reference: str, text: str) -> str:
    reference, text = reference.strip(), text.strip()
    if not reference:
        return text
    if reference.isdigit():
        return f"{reference}. {text}".strip()
    return f"{reference} {text}".strip()


def _milestone_line(text: str, due_text: str) -> str:
    text, due_text = " ".join(text.split()), " ".join(due_text.split())
    if not due_text or due_text == text:
        return text or due_text
    return f"{text} \u2013 {due_text}"


def plan_rows(session: Any, plan_id: str) -> tuple[Any, list[tuple[Any, list[dict[str, Any]]]]]:
    """``(plan, [(theme, [row dict per action]), ...])`` in plan order; a fixed number of
    queries whatever the size of the plan."""
    from dvcoord.store.schema.plans import (
        Action,
        ActionAgency,
        Agency,
        Aim,
        Milestone,
        Plan,
        ProgressUpdate,
        Theme,
    )

    plan = session.get(Plan, plan_id)
    if plan is None or plan.deleted_at is not None:
        raise DvcoordError("That plan no longer exists (it may have been deleted).")
    themes = list(
        session.scalars(
            select(Theme)
            .where(Theme.plan_id == plan.id, Theme.deleted_at.is_(None))
            .order_by(Theme.position, Theme.created_at)
        )
    )
    aims = {
        a.id: a
        for a in session.scalars(
            select(Aim)
            .join(Theme, Theme.id == Aim.theme_id)
            .where(Theme.plan_id == plan.id, Aim.deleted_at.is_(None))
        )
    }
    actions = list(
        session.scalars(
            select(Action)
            .where(Action.plan_id == plan.id, Action.deleted_at.is_(None))
            .order_by(Action.position, Action.created_at)
        )
    )
    action_ids = [a.id for a in actions]
    links: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    milestones: dict[str, list[Any]] = defaultdict(list)
    latest: dict[str, Any] = {}
    if action_ids:
        for action_id, role, position, name in session.execute(
            select(ActionAgency.action_id, ActionAgency.role, ActionAgency.position, Agency.name)
            .join(Agency, Agency.id == ActionAgency.agency_id)
            .join(Action, Action.id == ActionAgency.action_id)
            .where(
                Action.plan_id == plan.id,
                ActionAgency.deleted_at.is_(None),
                Agency.deleted_at.is_(None),
            )
        ):
            links[action_id].append((role, position, name))
        for m in session.scalars(
            select(Milestone)
            .join(Action, Action.id == Milestone.action_id)
            .where(Action.plan_id == plan.id, Milestone.deleted_at.is_(None))
            .order_by(Milestone.position, Milestone.created_at)
        ):
            milestones[m.action_id].append(m)
        for u in session.scalars(
            select(ProgressUpdate)
            .join(Action, Action.id == ProgressUpdate.action_id)
            .where(Action.plan_id == plan.id, ProgressUpdate.deleted_at.is_(None))
            .order_by(ProgressUpdate.update_date, ProgressUpdate.created_at)
        ):
            latest[u.action_id] = u  # ordered oldest first: the last one wins
    aim_order = {a.id: (a.position, a.created_at) for a in aims.values()}
    by_theme: dict[str, list[Any]] = defaultdict(list)
    for action in actions:
        by_theme[action.theme_id].append(action)
    result = []
    for theme in themes:
        theme_label = f"{theme.code}. {theme.title}" if theme.code else theme.title
        ordered = sorted(
            by_theme.get(theme.id, []),
            key=lambda a: (
                0 if a.aim_id is None else 1,
                aim_order.get(a.aim_id, (0, a.created_at)) if a.aim_id else (0, a.created_at),
                a.position,
                a.created_at,
            ),
        )
        rows = []
        for action in ordered:
            mine = sorted(links.get(action.id, []), key=lambda x: (x[0] != "lead", x[1]))
            leads = [name for role, _, name in mine if role == "lead"]
            supports = [name for role, _, name in mine if role == "support"]
            update = latest.get(action.id)
            aim = aims.get(action.aim_id) if action.aim_id else None
            rows.append(
                {
                    "theme": theme_label,
                    "ref": action.reference,
                    "action": action.text,
                    "aim": _aim_label(aim.reference, aim.text) if aim else "",
                    "lead": action.lead_text or "; ".join(leads),
                    "support": "; ".join(supports),
                    "target": action.target_text,
                    "milestones": "\n".join(
                        _milestone_line(m.text, m.due_text) for m in milestones.get(action.id, [])
                    ),
                    "outcomes": action.outcomes,
                    "baseline": action.baseline,
                    "measure": action.performance_measure,
                    "outputs": action.outputs,
                    "funding": action.funding_source,
                    "cost": None if action.cost_pence is None else action.cost_pence / 100,
                    "status": action.status,
                    "rag": action.rag,
                    "progress": update.text if update is not None else "",
                    "progress_date": update.update_date if update is not None else None,
                }
            )
        result.append((theme, rows))
    return plan, result


def export_plan(
    db: Any, plan_id: str, path: Path | str, *, single_sheet: bool = False
) -> ExportSummary:
    """Write the plan to ``path`` (.xlsx or .csv, by its extension), atomically."""
    from dvcoord.services import plans as plan_service

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".xlsx", ".csv"):
        raise DvcoordError(
            f"'{path.name}': choose a file name ending in .xlsx (Excel) or .csv for the export."
        )
    with db.session() as s:
        plan, themes = plan_rows(s, plan_id)
        colours = {
            e.letter: e.colour.lstrip("#").upper()
            for e in plan_service.rag_key_for(plan, s)
            if e.colour
        }
        title = plan.title
        properties = plan_properties(plan, getattr(db, "user", "") or "")
    every_row = [row for _, rows in themes for row in rows]
    columns = [
        c
        for c in EXPORT_COLUMNS
        if not c[3] or any(row[c[0]] not in ("", None) for row in every_row)
    ]
    header = [c[1] for c in columns]
    widths = [c[2] for c in columns]
    rag_col = next(i for i, c in enumerate(columns) if c[0] == "rag")
    summary = ExportSummary(path=path, plan_title=title, themes=len(themes), actions=len(every_row))

    def values(row: dict[str, Any], csv: bool) -> list[Any]:
        out = []
        for key, *_ in columns:
            value = row[key]
            if csv and key == "cost" and value is not None:
                value = f"{value:.2f}"
            if csv and key == "progress_date" and isinstance(value, date):
                value = f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
            out.append(value)
        return out

    if ext == ".csv":
        write_csv(path, header, (values(row, True) for row in every_row))
        summary.sheets = [path.name]
    else:
        sheets = []
        groups = (
            [(title, every_row)]
            if single_sheet
            else [(theme.title, rows) for theme, rows in themes]
        )
        if not groups:
            groups = [(title, [])]
        for name, rows in groups:
            fills = {
                (r, rag_col): colours[row["rag"]]
                for r, row in enumerate(rows)
                if row["rag"] in colours
            }
            sheets.append(
                SheetSpec(
                    title=name,
                    header=header,
                    rows=[values(row, False) for row in rows],
                    widths=widths,
                    fills=fills,
                )
            )
        summary.notices = write_xlsx(path, sheets, properties=properties)
        used: set[str] = set()
        summary.sheets = [sheet_title(spec.title, used) for spec in sheets]
    log.info("exported plan (%d action(s)) to %s", len(every_row), path.name)
    return summary
