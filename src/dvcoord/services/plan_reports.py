"""Report models for the action-plan PDF reports (plain dataclasses, no ReportLab).

Each ``build_*_model`` reads through the plan services' queries
(:func:`dvcoord.services.plans.plan_tree`, :func:`~dvcoord.services.plans.action_rows`,
:func:`~dvcoord.services.plans.rag_counts_by_theme`,
:func:`~dvcoord.services.plans.changes_since`,
:func:`dvcoord.services.milestones.milestone_rows`) and returns a frozen model that
:mod:`dvcoord.reports` turns into a PDF:

* :func:`build_action_plan_model` - the whole plan: cover facts, change history, RAG key,
  themes > aims > actions with their latest progress update;
* :func:`build_progress_model` - for a board: RAG counts per theme, red actions, overdue
  milestones, actions changed since a date;
* :func:`build_milestones_model` - milestones overdue, due and completed in a period
  (default: the financial quarter holding ``today``);
* :func:`build_agency_return_model` - every live action one agency leads, for it to update.

:func:`resolve_plan` and :func:`resolve_agency` read what a user typed (``--plan``,
``--agency``) and raise one :class:`~dvcoord.errors.DvcoordError` listing the choices when
it is unknown or ambiguous.  Every query runs a fixed number of SQL statements whatever
the number of actions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dvcoord.errors import DvcoordError
from dvcoord.services import milestones as ms
from dvcoord.services import plans as ps
from dvcoord.services.dates import (
    format_date,
    fy_label,
    quarter_label,
    quarter_of,
    quarter_range,
    uk_date,
)
from dvcoord.services.milestones import MilestoneRow
from dvcoord.services.plans import ActionRow
from dvcoord.store.schema.plans import Agency, Milestone, Plan, PlanChange

__all__ = [
    "ActionPlanModel",
    "ActionRow",
    "AgencyInfo",
    "AgencyReturnModel",
    "AgencyReturnPlan",
    "AimBlock",
    "ChangeRow",
    "ChangedAction",
    "MilestoneRow",
    "MilestonesModel",
    "PlanInfo",
    "ProgressModel",
    "RagKeyEntry",
    "ThemeBlock",
    "ThemeRagCount",
    "agencies_cell",
    "build_action_plan_model",
    "build_agency_return_model",
    "build_milestones_model",
    "build_progress_model",
    "default_period",
    "period_label",
    "resolve_agency",
    "resolve_plan",
    "since_default",
    "theme_heading",
]

_RAG_ORDER = ("R", "A", "G", "B", "")
_RAG_NAMES = {"R": "Red", "A": "Amber", "G": "Green", "B": "Blue", "": "not rated"}


# --------------------------------------------------------------------------- models
@dataclass(frozen=True, slots=True)
class RagKeyEntry:
    letter: str
    name: str
    meaning: str

    def as_tuple(self) -> tuple[str, str, str]:
        return (self.letter, self.name, self.meaning)


@dataclass(frozen=True, slots=True)
class PlanInfo:
    """What a report prints about a plan on its cover and title block."""

    id: str
    title: str
    partnership: str
    status: str
    version: str
    owner: str
    marking: str
    description: str
    plan_period: str  # "2013/14", "2007/08 – 2009/10" or ""
    strategy_period: str
    rag_key: tuple[RagKeyEntry, ...]

    @property
    def rag_key_tuples(self) -> list[tuple[str, str, str]]:
        return [e.as_tuple() for e in self.rag_key]

    @property
    def status_label(self) -> str:
        return self.status.capitalize() if self.status else ""

    def rag_name(self, letter: str) -> str:
        if not letter:
            return "Not rated"
        for e in self.rag_key:
            if e.letter == letter:
                return e.name
        return _RAG_NAMES.get(letter, letter)


@dataclass(frozen=True, slots=True)
class AimBlock:
    reference: str
    text: str
    actions: tuple[ActionRow, ...]

    @property
    def heading(self) -> str:
        return " ".join(p for p in (self.reference, self.text) if p)


@dataclass(frozen=True, slots=True)
class ThemeBlock:
    id: str
    code: str
    title: str
    key_objective: str
    #: Actions directly under the theme (not under an aim); the aims follow them.
    actions: tuple[ActionRow, ...]
    aims: tuple[AimBlock, ...]

    @property
    def heading(self) -> str:
        return theme_heading(self.code, self.title)

    @property
    def all_actions(self) -> list[ActionRow]:
        out = list(self.actions)
        for aim in self.aims:
            out.extend(aim.actions)
        return out


@dataclass(frozen=True, slots=True)
class ChangeRow:
    version: str
    changed_on: date
    editor: str
    summary: str


@dataclass(frozen=True, slots=True)
class ActionPlanModel:
    plan: PlanInfo
    changes: tuple[ChangeRow, ...]
    themes: tuple[ThemeBlock, ...]
    today: date

    @property
    def actions(self) -> list[ActionRow]:
        return [a for t in self.themes for a in t.all_actions]


@dataclass(frozen=True, slots=True)
class ThemeRagCount:
    title: str
    counts: dict[str, int]  # letter ("" = not rated) -> number of live actions

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class ChangedAction:
    action: ActionRow
    last_changed: date
    what: tuple[str, ...]  # "Progress update of 12/10/2026 added", "RAG: A → R", …


@dataclass(frozen=True, slots=True)
class ProgressModel:
    plan: PlanInfo
    today: date
    since: date
    rag_counts: tuple[ThemeRagCount, ...]
    red_actions: tuple[ActionRow, ...]
    overdue_milestones: tuple[MilestoneRow, ...]
    changed: tuple[ChangedAction, ...]

    @property
    def rag_letters(self) -> list[str]:
        """The letters to count: the plan's key in order, then any others in use."""
        letters = [e.letter for e in self.plan.rag_key]
        used = {k for row in self.rag_counts for k, v in row.counts.items() if v}
        for letter in _RAG_ORDER:
            if letter in used and letter not in letters:
                letters.append(letter)
        for letter in sorted(used - set(letters)):
            letters.append(letter)
        return letters

    @property
    def totals(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for row in self.rag_counts:
            total.update(row.counts)
        return {letter: total.get(letter, 0) for letter in self.rag_letters}

    @property
    def action_count(self) -> int:
        return sum(t.total for t in self.rag_counts)


@dataclass(frozen=True, slots=True)
class MilestonesModel:
    plan: PlanInfo | None  # None: every plan that is not archived
    partnership: str
    today: date
    date_from: date
    date_to: date
    period: str  # "2026/27 Q3 (01/10/2026 – 31/12/2026)"
    overdue: tuple[MilestoneRow, ...]
    due: tuple[MilestoneRow, ...]
    completed: tuple[MilestoneRow, ...]


@dataclass(frozen=True, slots=True)
class AgencyInfo:
    id: str
    name: str
    short_name: str
    sector: str


@dataclass(frozen=True, slots=True)
class AgencyReturnPlan:
    plan: PlanInfo
    actions: tuple[ActionRow, ...]
    open_milestones: dict[str, tuple[MilestoneRow, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgencyReturnModel:
    agency: AgencyInfo
    partnership: str
    today: date
    plans: tuple[AgencyReturnPlan, ...]
    rag_key: tuple[RagKeyEntry, ...]

    @property
    def action_count(self) -> int:
        return sum(len(p.actions) for p in self.plans)


# --------------------------------------------------------------------------- small helpers
def agencies_cell(action: ActionRow) -> str:
    """Lead and supporting agencies for a table cell.

    The lead as written in the plan (else the linked lead agencies), then any linked
    supporting agency the written words do not already name.
    """
    lead = action.lead_display.strip()
    written = lead.casefold()
    support = [
        name
        for name in (s.strip() for s in action.support_agencies.split(";"))
        if name and name.casefold() not in written
    ]
    if not support:
        return lead
    support_text = "Support: " + "; ".join(support)
    return f"{lead}\n{support_text}" if lead else support_text


_BARE_CODE = re.compile(r"(?:\d+|[IVXLC]+|[A-Z])")


def theme_heading(code: str, title: str) -> str:
    """ "2. Support in the Community" from code "2"; "SC Select…" from code "SC"."""
    code = (code or "").strip()
    if not code or title.startswith(code):
        return title
    if _BARE_CODE.fullmatch(code):
        return f"{code}. {title}"
    return f"{code} {title}"


def period_label(date_from: date, date_to: date) -> str:
    """A period as a report names it: "2026/27 Q3 (01/10/2026 – 31/12/2026)" for a whole
    financial quarter, "Financial year 2026/27" for a whole year, else the two dates."""
    fy, q = quarter_of(date_from)
    if (date_from, date_to) == quarter_range(fy, q):
        return f"{quarter_label(fy, q)} ({format_date(date_from)} \u2013 {format_date(date_to)})"
    if (date_from, date_to) == (date(fy, 4, 1), date(fy + 1, 3, 31)):
        return f"Financial year {fy_label(fy)}"
    return f"{format_date(date_from)} \u2013 {format_date(date_to)}"


def default_period(today: date) -> tuple[date, date]:
    """The financial quarter holding ``today`` (Q1 = April to June)."""
    return quarter_range(*quarter_of(today))


def since_default(today: date) -> date:
    """Start of the previous financial quarter: "since the last board" by default."""
    fy, q = quarter_of(today)
    return quarter_range(fy - 1, 4)[0] if q == 1 else quarter_range(fy, q - 1)[0]


def _check_period(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    if date_from is None and date_to is None:
        return default_period(today)
    if date_from is None:
        date_from = quarter_range(*quarter_of(date_to))[0]  # type: ignore[arg-type]
    if date_to is None:
        date_to = quarter_range(*quarter_of(date_from))[1]
    if date_from > date_to:
        raise DvcoordError(
            f"The period starts on {format_date(date_from)}, after it ends on "
            f"{format_date(date_to)}; swap the dates."
        )
    return date_from, date_to


def _fy_span(first: int | None, last: int | None) -> str:
    if first is None and last is None:
        return ""
    if first is None or last is None or first == last:
        return fy_label(first if first is not None else last)  # type: ignore[arg-type]
    return f"{fy_label(first)} \u2013 {fy_label(last)}"


def _choices(titles: Iterable[str], limit: int = 12) -> str:
    shown = [f"\u2018{t}\u2019" for t in titles]
    if len(shown) > limit:
        shown = shown[:limit] + [f"and {len(shown) - limit} more"]
    return "; ".join(shown)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


# --------------------------------------------------------------------------- resolving
def _live_plans(session: Session) -> list[Plan]:
    return list(
        session.scalars(
            select(Plan).where(Plan.deleted_at.is_(None)).order_by(func.lower(Plan.title))
        )
    )


def _plan_list(
    session: Session, plans: list[Plan], limit: int = 12, *, same_title: bool = False
) -> str:
    """The plans by title; a plan whose title another listed plan shares is shown with its
    period, status, actions, created date (and time, if that is shared too) and a short id
    that ``--plan`` accepts.  ``same_title``: all share one title, which is left out."""
    from dvcoord.services.plan_lookup import describe_apart, plan_summaries

    counts: dict[str, int] = {}
    for p in plans:
        counts[_norm(p.title)] = counts.get(_norm(p.title), 0) + 1
    shown = plans[:limit]
    shared = plan_summaries(session, [p.id for p in shown if counts[_norm(p.title)] > 1])
    described = dict(
        zip(
            (s.id for s in shared),
            describe_apart(shared, with_title=not same_title),
            strict=True,
        )
    )
    parts = [described.get(p.id) or f"\u2018{p.title}\u2019" for p in shown]
    if len(plans) > limit:
        parts.append(f"and {len(plans) - limit} more")
    return "; ".join(parts)


_ID_PREFIX_RE = re.compile(r"[0-9a-f][0-9a-f-]{5,}", re.IGNORECASE)


def resolve_plan(session: Session, ref_or_title: str | None) -> Plan:
    """The live plan a user meant: its id (or the start of it, at least six characters),
    its exact title, or a title prefix.

    Titles are compared case-insensitively with white space collapsed; an exact title wins
    over an id prefix, which wins over a title prefix.  With nothing given, the only plan in
    the database is chosen.  An unknown or ambiguous choice raises one
    :class:`DvcoordError` listing the plans so that they can be told apart.
    """
    plans = _live_plans(session)
    if not plans:
        raise DvcoordError("This database holds no action plans yet.")
    text = " ".join((ref_or_title or "").split())
    if not text:
        if len(plans) == 1:
            return plans[0]
        raise DvcoordError(
            f"This database holds {len(plans)} plans; choose one with --plan: "
            f"{_plan_list(session, plans)}."
        )
    for p in plans:
        if p.id.lower() == text.lower():
            return p
    key = text.casefold()
    exact = [p for p in plans if _norm(p.title) == key]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        exact.sort(key=lambda p: (p.created_at, p.id))
        raise DvcoordError(
            f"{len(exact)} plans are called \u2018{text}\u2019; choose one with --plan and "
            f"its id: {_plan_list(session, exact, same_title=True)}."
        )
    if _ID_PREFIX_RE.fullmatch(text):
        by_id = [p for p in plans if p.id.lower().startswith(key)]
        if len(by_id) == 1:
            return by_id[0]
        if by_id:
            raise DvcoordError(
                f"\u2018{text}\u2019 is the start of the ids of {len(by_id)} plans; give "
                f"more of the id: {_plan_list(session, by_id)}."
            )
    prefixed = [p for p in plans if _norm(p.title).startswith(key)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise DvcoordError(
            f"\u2018{text}\u2019 matches {len(prefixed)} plans; give more of the title: "
            f"{_plan_list(session, prefixed)}."
        )
    raise DvcoordError(
        f"There is no plan \u2018{text}\u2019. Choose one of: {_plan_list(session, plans)}."
    )


def resolve_agency(session: Session, id_or_name: str | None) -> Agency:
    """The live agency a user meant: id, name or short name, or a unique name prefix."""
    text = " ".join((id_or_name or "").split())
    if not text:
        raise DvcoordError(
            "Name the agency whose return you want, for example --agency \u2018Kent Police\u2019."
        )
    agencies = list(
        session.scalars(
            select(Agency).where(Agency.deleted_at.is_(None)).order_by(func.lower(Agency.name))
        )
    )
    if not agencies:
        raise DvcoordError("This database holds no agencies yet.")
    for a in agencies:
        if a.id.lower() == text.lower():
            return a
    key = text.casefold()
    exact = [a for a in agencies if key in (_norm(a.name), _norm(a.short_name or ""))]
    if len(exact) == 1:
        return exact[0]
    pool = exact or [a for a in agencies if _norm(a.name).startswith(key)]
    if len(pool) == 1:
        return pool[0]
    if pool:
        raise DvcoordError(
            f"\u2018{text}\u2019 matches {len(pool)} agencies; give more of the name: "
            f"{_choices(a.name for a in pool)}."
        )
    raise DvcoordError(
        f"There is no agency \u2018{text}\u2019. Choose one of: "
        f"{_choices((a.name for a in agencies), limit=20)}."
    )


# --------------------------------------------------------------------------- plan facts
def _key_of(entries: Iterable[ps.RagKeyEntry]) -> tuple[RagKeyEntry, ...]:
    return tuple(RagKeyEntry(e.letter, e.name, e.meaning) for e in entries)


def plan_info(session: Session, plan: Plan, partnership: str = "") -> PlanInfo:
    return PlanInfo(
        id=plan.id,
        title=plan.title,
        partnership=plan.partnership or partnership,
        status=plan.status,
        version=plan.version_label or "",
        owner=plan.owner or "",
        marking=plan.marking or "",
        description=plan.description or "",
        plan_period=_fy_span(plan.plan_from_fy, plan.plan_to_fy),
        strategy_period=_fy_span(plan.strategy_from_fy, plan.strategy_to_fy),
        rag_key=_key_of(ps.rag_key_for(plan, session)),
    )


def _partnership(session: Session) -> str:
    from dvcoord.store.schema.core import META_PARTNERSHIP, Meta

    return session.scalar(select(Meta.value).where(Meta.key == META_PARTNERSHIP)) or ""


def _get_plan(session: Session, plan_id: str) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None or plan.deleted_at is not None:
        raise DvcoordError("That plan no longer exists (it may have been deleted).")
    return plan


# --------------------------------------------------------------------------- action plan
def build_action_plan_model(
    session: Session, plan_id: str, *, today: date | None = None
) -> ActionPlanModel:
    """The whole plan, theme by theme, each action with its latest progress update."""
    plan = _get_plan(session, plan_id)
    tree = ps.plan_tree(session, plan.id)
    themes = tuple(
        ThemeBlock(
            id=t.id,
            code=t.code or "",
            title=t.title,
            key_objective=t.key_objective or "",
            actions=t.actions,
            aims=tuple(AimBlock(a.reference or "", a.text or "", a.actions) for a in t.aims),
        )
        for t in tree.themes
    )
    changes = tuple(
        ChangeRow(c.version or "", c.changed_on, c.editor or "", c.summary or "")
        for c in session.scalars(
            select(PlanChange)
            .where(PlanChange.plan_id == plan.id, PlanChange.deleted_at.is_(None))
            .order_by(PlanChange.changed_on, PlanChange.created_at)
        )
    )
    return ActionPlanModel(
        plan=plan_info(session, plan, _partnership(session)),
        changes=changes,
        themes=themes,
        today=today or date.today(),
    )


# --------------------------------------------------------------------------- milestones
def build_milestones_model(
    session: Session,
    plan_id: str | None,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
) -> MilestonesModel:
    """Milestones overdue (open, due before today and by the end of the period), due in
    the period and not yet late, and completed in the period.

    With no dates the period is the financial quarter holding ``today``; with one date it
    is the quarter of that date from or to it.  ``plan_id`` None covers every plan that
    is not archived.
    """
    today = today or date.today()
    start, end = _check_period(date_from, date_to, today)
    plan = _get_plan(session, plan_id) if plan_id else None
    pid = plan.id if plan else None
    # A plan chosen by name is reported even if archived; "all plans" means current ones.
    archived = plan is not None
    overdue = tuple(
        m
        for m in ms.milestone_rows(
            session, plan_id=pid, overdue_on=today, include_archived=archived
        )
        if m.due_end is not None and m.due_end <= end
    )
    due = tuple(
        m
        for m in ms.milestone_rows(
            session,
            plan_id=pid,
            status="open",
            due_from=start,
            due_to=end,
            include_archived=archived,
        )
        if m.due_end is not None and m.due_end >= today
    )
    completed = tuple(
        sorted(
            ms.milestone_rows(
                session,
                plan_id=pid,
                status="complete",
                completed_from=start,
                completed_to=end,
                include_archived=archived,
            ),
            key=lambda r: (r.completed_on, r.plan_title, r.action_reference),
        )
    )
    partnership = _partnership(session)
    return MilestonesModel(
        plan=plan_info(session, plan, partnership) if plan else None,
        partnership=(plan.partnership if plan and plan.partnership else partnership),
        today=today,
        date_from=start,
        date_to=end,
        period=period_label(start, end),
        overdue=overdue,
        due=due,
        completed=completed,
    )


# --------------------------------------------------------------------------- progress
_FIELD_WORDS = {
    "rag": "RAG",
    "status": "status",
    "reference": "reference",
    "target_text": "target date",
    "lead_text": "lead agency",
    "cost_pence": "cost",
    "theme_id": "theme",
    "aim_id": "aim",
    "due_text": "due date",
    "update_date": "date",
}


def _value_words(field_name: str, value: Any) -> str:
    if field_name == "rag":
        return _RAG_NAMES.get(str(value or ""), str(value))
    if value is None or value == "":
        return "blank"
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return format_date(date.fromisoformat(value))
    return str(value)


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "\u2026"


def _field_phrases(changes: Iterable[ps.FieldChange], *, first_fill: bool = True) -> list[str]:
    """Phrases for field changes; ``first_fill=False`` leaves out blank -> value changes
    (a new plan being filled in)."""
    out = []
    for c in changes:
        if c.field in ("position", "completed_on"):
            continue
        if not first_fill and c.before in (None, ""):
            continue
        if c.field in _FIELD_WORDS and c.field not in ("theme_id", "aim_id"):
            word = _FIELD_WORDS[c.field]
            out.append(
                f"{word[0].upper()}{word[1:]} {_value_words(c.field, c.before)} \u2192 "
                f"{_value_words(c.field, c.after)}"
            )
        elif c.field in ("theme_id", "aim_id"):
            out.append(f"Moved to another {_FIELD_WORDS[c.field]}")
        else:
            out.append(f"{c.label} changed")
    return out


def _change_phrase(
    row: ps.ChangeRow, milestone_text: dict[str, str], *, new_plan: bool = False
) -> str:
    """A short phrase for a table cell beside the action itself ("" if nothing to say)."""
    fields = _field_phrases(row.changes, first_fill=not new_plan)
    merged = " (merged from another copy)" if row.action == "merge" else ""
    if row.table == "action":
        if row.action == "insert":
            return "Added to the plan"
        if row.action == "restore":
            return "Restored"
        if not fields and new_plan and row.changes:
            return ""  # only filled in for the first time
        return ("; ".join(fields) or "Edited") + merged
    if row.table == "milestone":
        name = f"Milestone \u2018{_short(milestone_text.get(row.row_id, ''), 50)}\u2019"
        if row.action == "insert":
            return f"{name} added"
        if row.action == "tombstone":
            return f"{name} deleted"
        if row.action == "restore":
            return f"{name} restored"
        if any(c.field == "status" and c.after == "complete" for c in row.changes):
            return f"{name} completed"
        fields = [f for f in fields if not f.startswith("Status ")] or fields
        return f"{name}: {'; '.join(fields) or 'edited'}{merged}"
    if row.table == "progress_update":
        if row.action == "insert":
            return "Progress update added"
        if row.action == "tombstone":
            return "Progress update deleted"
        return "Progress update corrected" + merged
    return row.description.rstrip(".")


def changed_actions(
    session: Session, plan_id: str, since: date, rows: Sequence[ActionRow]
) -> tuple[ChangedAction, ...]:
    """Each live action of the plan with what happened to it on or after ``since``.

    Progress updates count by their own date (as partners wrote them) and by when they
    were entered; everything else comes from the audit trail.  An action added since the
    date is summed up in one line rather than listing each of its parts.
    """
    by_id = {r.id: r for r in rows}
    found: dict[str, tuple[date, list[str]]] = {}

    def note(action_id: str, when: date, what: str) -> None:
        if action_id not in by_id:
            return
        last, items = found.get(action_id, (when, []))
        if what not in items:
            items.append(what)
        found[action_id] = (max(last, when), items)

    added: set[str] = set()
    audit = ps.changes_since(session, since, plan_id=plan_id)
    plan = session.get(Plan, plan_id)
    created = uk_date(plan.created_at) if plan and plan.created_at else None
    new_plan = created is not None and created >= since
    if new_plan:
        # The whole plan is new since the date (entered, imported or copied forward):
        # that every part of it was added says nothing, so only its later edits and its
        # progress updates (by their own dates) are listed.
        audit = [r for r in audit if r.action != "insert"]
    for row in audit:
        if row.table == "action" and row.action == "insert":
            added.add(row.action_id)
    dated = ps.recent_updates(session, since=since, plan_id=plan_id, limit=None)
    dated_ids = {u.id for u in dated}
    for u in sorted(dated, key=lambda u: u.update_date):
        if u.action_id not in added:
            note(u.action_id, u.update_date, f"Progress update of {format_date(u.update_date)}")
    milestone_text = dict(
        session.execute(
            select(Milestone.id, Milestone.text).where(
                Milestone.id.in_([r.row_id for r in audit if r.table == "milestone"])
            )
        ).all()
    )
    for row in audit:
        when = uk_date(row.at)  # stored in UTC; the day is a UK day
        if row.action_id in added:
            if row.table == "action" and row.action == "insert":
                note(row.action_id, when, "Added to the plan")
            continue
        if row.table == "progress_update" and row.row_id in dated_ids:
            continue  # listed above by its own date
        if row.table == "progress_update" and row.action == "insert":
            note(row.action_id, when, f"Progress update entered {format_date(when)}")
            continue
        phrase = _change_phrase(row, milestone_text, new_plan=new_plan)
        if phrase:
            note(row.action_id, when, phrase)
    order = {r.id: i for i, r in enumerate(rows)}
    return tuple(
        ChangedAction(by_id[aid], last, tuple(what))
        for aid, (last, what) in sorted(found.items(), key=lambda kv: order[kv[0]])
    )


def build_progress_model(
    session: Session, plan_id: str, since: date | None = None, today: date | None = None
) -> ProgressModel:
    """A board's progress summary: RAG counts per theme, every red action with its latest
    update, overdue milestones, and the actions changed on or after ``since`` (default:
    the start of the previous financial quarter, i.e. "since the last board")."""
    today = today or date.today()
    since = since or since_default(today)
    if since > today:
        raise DvcoordError(
            f"\u2018Changed since\u2019 is {format_date(since)}, after today "
            f"({format_date(today)}); choose an earlier date."
        )
    plan = _get_plan(session, plan_id)
    rows = ps.action_rows(session, plan.id)
    counts = tuple(
        ThemeRagCount(
            theme_heading(
                next((r.theme_code for r in rows if r.theme_id == c.theme_id), ""), c.theme_title
            ),
            {(k or "").strip().upper(): v for k, v in c.counts.items()},
        )
        for c in ps.rag_counts_by_theme(session, plan.id)
    )
    return ProgressModel(
        plan=plan_info(session, plan, _partnership(session)),
        today=today,
        since=since,
        rag_counts=counts,
        red_actions=tuple(r for r in rows if r.rag == "R"),
        overdue_milestones=tuple(
            ms.milestone_rows(session, plan_id=plan.id, overdue_on=today, include_archived=True)
        ),
        changed=changed_actions(session, plan.id, since, rows),
    )


# --------------------------------------------------------------------------- agency return
def build_agency_return_model(
    session: Session,
    agency: str,
    plan_id: str | None = None,
    *,
    today: date | None = None,
) -> AgencyReturnModel:
    """Every live, open action the agency leads (in one plan, or in every plan that is
    not archived), each with its latest update and open milestones, for it to update.

    ``agency`` is an id, a name or short name, or a unique name prefix.  Actions that are
    complete or dropped are left out: there is nothing more to report on them.
    """
    today = today or date.today()
    found = resolve_agency(session, agency)
    partnership = _partnership(session)
    plan = _get_plan(session, plan_id) if plan_id else None
    rows = ps.action_rows(
        session,
        plan.id if plan else None,
        agency_id=found.id,
        agency_role="lead",
        open_only=True,
        include_archived=plan is not None,
    )
    plan_ids: list[str] = []
    for r in rows:
        if r.plan_id not in plan_ids:
            plan_ids.append(r.plan_id)
    open_ms: dict[str, list[MilestoneRow]] = {}
    wanted = {r.id for r in rows}
    for pid in plan_ids:
        for m in ms.milestone_rows(session, plan_id=pid, status="open", include_archived=True):
            if m.action_id in wanted:
                open_ms.setdefault(m.action_id, []).append(m)
    blocks = []
    for pid in plan_ids:
        p = plan if plan and plan.id == pid else _get_plan(session, pid)
        blocks.append(
            AgencyReturnPlan(
                plan=plan_info(session, p, partnership),
                actions=tuple(r for r in rows if r.plan_id == pid),
                open_milestones={
                    r.id: tuple(open_ms[r.id]) for r in rows if r.plan_id == pid and r.id in open_ms
                },
            )
        )
    if plan is not None:
        key = plan_info(session, plan, partnership).rag_key
    elif len(blocks) == 1:
        key = blocks[0].plan.rag_key
    else:
        key = _key_of(ps.database_rag_key(session))
    only = plan or (_get_plan(session, plan_ids[0]) if len(plan_ids) == 1 else None)
    return AgencyReturnModel(
        agency=AgencyInfo(found.id, found.name, found.short_name or "", found.sector or ""),
        partnership=(only.partnership if only and only.partnership else partnership),
        today=today,
        plans=tuple(blocks),
        rag_key=key,
    )
