"""Light look-ups of action plans for choosers and headings: plain columns in one
query each, without loading a plan's themes, aims and change history (which
:func:`plans.get_plan` and :func:`plans.list_plans` bring with every ``Plan`` row).

The Action plans view uses them on every reload, so they must stay cheap whatever the
size of the file: :func:`plan_choices` for the plan chooser, :func:`plan_header` for
the plan shown (with its RAG key), :func:`action_place` for the heading of an action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dvcoord.errors import ValidationError
from dvcoord.services.dates import format_date, fy_label, uk_local
from dvcoord.services.plans import RagKeyEntry, rag_key_for
from dvcoord.store.schema.plans import Action, Aim, Plan, PlanChange, Theme

__all__ = [
    "ActionPlace",
    "PlanChoice",
    "PlanHeader",
    "PlanSummary",
    "action_place",
    "describe_apart",
    "plan_choices",
    "plan_header",
    "plan_summaries",
    "plans_titled",
    "same_title_notice",
    "short_ids",
]


@dataclass(frozen=True, slots=True)
class PlanChoice:
    id: str
    title: str
    status: str
    plan_from_fy: int | None
    plan_to_fy: int | None
    #: What a picker shows: the title, and for plans sharing a title what tells them
    #: apart ("id 01a20724 (2026/27, draft, 20 actions, created 23/11/2026)").
    label: str = ""


def plan_choices(session: Session, *, include_archived: bool = True) -> list[PlanChoice]:
    """Live plans, newest plan year first, then by title (as :func:`plans.list_plans`);
    plans of one title are labelled so that a picker tells them apart."""
    query = (
        select(Plan.id, Plan.title, Plan.status, Plan.plan_from_fy, Plan.plan_to_fy)
        .where(Plan.deleted_at.is_(None))
        .order_by(Plan.plan_from_fy.desc().nulls_last(), func.lower(Plan.title))
    )
    if not include_archived:
        query = query.where(Plan.status != "archived")
    rows = list(session.execute(query))
    by_title: dict[str, list[str]] = {}
    for row in rows:
        by_title.setdefault(_norm(row.title), []).append(row.id)
    apart: dict[str, str] = {}
    for ids in by_title.values():
        if len(ids) > 1:
            summaries = plan_summaries(session, ids)
            apart.update(
                zip(
                    (s.id for s in summaries),
                    describe_apart(summaries, with_title=False),
                    strict=True,
                )
            )
    return [
        PlanChoice(
            *row, label=f"{row.title} \u2014 {apart[row.id]}" if row.id in apart else row.title
        )
        for row in rows
    ]


@dataclass(frozen=True)
class PlanHeader:
    id: str
    title: str
    partnership: str
    status: str
    version_label: str
    owner: str
    marking: str
    description: str
    strategy_from_fy: int | None
    strategy_to_fy: int | None
    plan_from_fy: int | None
    plan_to_fy: int | None
    own_rag_key: bool
    rag_key: tuple[RagKeyEntry, ...]
    changes: int


@dataclass(frozen=True)
class _KeyHolder:
    rag_key: str


def plan_header(session: Session, plan_id: str) -> PlanHeader:
    """A live plan's own fields, its RAG key (the database's if it has none) and how many
    change-history rows it has; ValidationError if it no longer exists."""
    row = session.execute(
        select(
            Plan.id,
            Plan.title,
            Plan.partnership,
            Plan.status,
            Plan.version_label,
            Plan.owner,
            Plan.marking,
            Plan.description,
            Plan.strategy_from_fy,
            Plan.strategy_to_fy,
            Plan.plan_from_fy,
            Plan.plan_to_fy,
            Plan.rag_key,
            select(func.count(PlanChange.id))
            .where(PlanChange.plan_id == Plan.id, PlanChange.deleted_at.is_(None))
            .scalar_subquery(),
        ).where(Plan.id == plan_id, Plan.deleted_at.is_(None))
    ).first()
    if row is None:
        raise ValidationError("That plan no longer exists (it may have been deleted).")
    key = rag_key_for(_KeyHolder(row.rag_key or ""), session)  # type: ignore[arg-type]
    return PlanHeader(*row[:12], bool(row.rag_key), tuple(key), row[13])


@dataclass(frozen=True)
class ActionPlace:
    action_id: str
    plan_id: str
    theme_id: str
    theme_code: str
    theme_title: str
    aim_id: str | None
    aim_reference: str
    aim_text: str


def action_place(session: Session, action_id: str) -> ActionPlace:
    """Where a live action sits: its plan, theme and aim (for headings and moves)."""
    row = session.execute(
        select(
            Action.id,
            Action.plan_id,
            Theme.id,
            Theme.code,
            Theme.title,
            Action.aim_id,
            func.coalesce(Aim.reference, ""),
            func.coalesce(Aim.text, ""),
        )
        .join(Theme, Theme.id == Action.theme_id)
        .outerjoin(Aim, Aim.id == Action.aim_id)
        .where(Action.id == action_id, Action.deleted_at.is_(None))
    ).first()
    if row is None:
        raise ValidationError("That action no longer exists (it may have been deleted).")
    return ActionPlace(*row)


# --------------------------------------------------------------------------- telling plans apart
SHORT_ID = 8  # the shortest id prefix shown; longer where two plans share it


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """What tells two plans of the same title apart in a message."""

    id: str
    short_id: str
    title: str
    status: str
    plan_from_fy: int | None
    plan_to_fy: int | None
    actions: int
    created_on: date | None
    created_time: str = ""  # "14:05:09", UK time

    def details(self, *, with_time: bool = False, seconds: bool = False) -> str:
        """ "2026/27, draft, 12 actions, created 01/11/2026" (``with_time``: "… at 14:05",
        with ``seconds`` "… at 14:05:09")."""
        parts = [p for p in (_fy_span(self.plan_from_fy, self.plan_to_fy), self.status) if p]
        parts.append(f"{self.actions} action{'' if self.actions == 1 else 's'}")
        if self.created_on is not None:
            shown = self.created_time if seconds else self.created_time[:5]
            at = f" at {shown}" if with_time and shown else ""
            parts.append(f"created {format_date(self.created_on)}{at}")
        return ", ".join(parts)

    def describe(
        self, *, with_title: bool = True, with_time: bool = False, seconds: bool = False
    ) -> str:
        """ "‘Title’ (2026/27, draft, 12 actions, created 01/11/2026) — id 01a20713", or
        without the title "id 01a20713 (2026/27, …)"."""
        details = self.details(with_time=with_time, seconds=seconds)
        if not with_title:
            return f"id {self.short_id} ({details})"
        return f"\u2018{self.title}\u2019 ({details}) \u2014 id {self.short_id}"


def describe_apart(summaries: list[PlanSummary], *, with_title: bool = True) -> list[str]:
    """Each plan described; the time of creation is added when two share a created date
    (to the second when they share the minute too)."""
    days = [s.created_on for s in summaries]
    minutes = [(s.created_on, s.created_time[:5]) for s in summaries]
    return [
        s.describe(
            with_title=with_title,
            with_time=days.count(s.created_on) > 1,
            seconds=minutes.count((s.created_on, s.created_time[:5])) > 1,
        )
        for s in summaries
    ]


def _fy_span(first: int | None, last: int | None) -> str:
    if first is None and last is None:
        return ""
    if first is None or last is None or first == last:
        return fy_label(first if first is not None else last)  # type: ignore[arg-type]
    return f"{fy_label(first)} \u2013 {fy_label(last)}"


def short_ids(all_ids: list[str], wanted: list[str]) -> dict[str, str]:
    """The shortest prefix (at least :data:`SHORT_ID` characters) of each wanted id that
    no other id in ``all_ids`` starts with."""
    lowered = [i.lower() for i in all_ids]
    result = {}
    for plan_id in wanted:
        key = plan_id.lower()
        length = SHORT_ID
        while length < len(key) and any(
            other != key and other.startswith(key[:length]) for other in lowered
        ):
            length += 1
        if key[length - 1 : length] == "-":  # never end a prefix on a hyphen
            length += 1
        result[plan_id] = plan_id[:length]
    return result


def plan_summaries(session: Session, plan_ids: list[str]) -> list[PlanSummary]:
    """A :class:`PlanSummary` for each live plan in ``plan_ids`` (in that order), with an
    id prefix that is unique among the live plans."""
    if not plan_ids:
        return []
    all_ids = list(session.scalars(select(Plan.id).where(Plan.deleted_at.is_(None))))
    prefixes = short_ids(all_ids, plan_ids)
    actions = (
        select(func.count(Action.id))
        .where(Action.plan_id == Plan.id, Action.deleted_at.is_(None))
        .scalar_subquery()
    )
    rows = {
        row.id: row
        for row in session.execute(
            select(
                Plan.id,
                Plan.title,
                Plan.status,
                Plan.plan_from_fy,
                Plan.plan_to_fy,
                actions.label("actions"),
                Plan.created_at,
            ).where(Plan.id.in_(plan_ids), Plan.deleted_at.is_(None))
        )
    }
    out = []
    for plan_id in plan_ids:
        row = rows.get(plan_id)
        if row is None:
            continue
        local = uk_local(row.created_at) if row.created_at is not None else None
        out.append(
            PlanSummary(
                row.id,
                prefixes[row.id],
                row.title,
                row.status,
                row.plan_from_fy,
                row.plan_to_fy,
                int(row.actions or 0),
                local.date() if local else None,
                local.strftime("%H:%M:%S") if local else "",
            )
        )
    return out


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def plans_titled(session: Session, title: str) -> list[PlanSummary]:
    """Live plans whose title is ``title`` (case and spacing ignored), oldest first."""
    key = _norm(title or "")
    if not key:
        return []
    ids = [
        plan_id
        for plan_id, plan_title in session.execute(
            select(Plan.id, Plan.title)
            .where(Plan.deleted_at.is_(None))
            .order_by(Plan.created_at, Plan.id)
        )
        if _norm(plan_title) == key
    ]
    return plan_summaries(session, ids)


def same_title_notice(
    session: Session, title: str, *, advice: str = "", done: bool = False, exclude: str = ""
) -> str:
    """One sentence warning that a new plan called ``title`` will sit (``done``: was put)
    beside a live plan of the same title; empty when there is none. ``advice`` ends the
    sentence; ``exclude`` is the id of the new plan itself once written."""
    same = [p for p in plans_titled(session, title) if p.id != exclude]
    if not same:
        return ""
    if len(same) == 1:
        found = (
            f"A plan called \u2018{same[0].title}\u2019 already exists "
            f"({same[0].details()}, id {same[0].short_id})"
        )
    else:
        found = f"{len(same)} plans called \u2018{same[0].title}\u2019 already exist"
    added = "it was added as" if done else "the import will add it as"
    return f"{found}; {added} a separate plan with the same title" + (
        f" \u2014 {advice}." if advice else "."
    )
