"""Light look-ups of action plans for choosers and headings: plain columns in one
query each, without loading a plan's themes, aims and change history (which
:func:`plans.get_plan` and :func:`plans.list_plans` bring with every ``Plan`` row).

The Action plans view uses them on every reload, so they must stay cheap whatever the
size of the file: :func:`plan_choices` for the plan chooser, :func:`plan_header` for
the plan shown (with its RAG key), :func:`action_place` for the heading of an action.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dvcoord.errors import ValidationError
from dvcoord.services.plans import RagKeyEntry, rag_key_for
from dvcoord.store.schema.plans import Action, Aim, Plan, PlanChange, Theme

__all__ = ["ActionPlace", "PlanChoice", "PlanHeader", "action_place", "plan_choices", "plan_header"]


@dataclass(frozen=True, slots=True)
class PlanChoice:
    id: str
    title: str
    status: str
    plan_from_fy: int | None
    plan_to_fy: int | None


def plan_choices(session: Session, *, include_archived: bool = True) -> list[PlanChoice]:
    """Live plans, newest plan year first, then by title (as :func:`plans.list_plans`)."""
    query = (
        select(Plan.id, Plan.title, Plan.status, Plan.plan_from_fy, Plan.plan_to_fy)
        .where(Plan.deleted_at.is_(None))
        .order_by(Plan.plan_from_fy.desc().nulls_last(), func.lower(Plan.title))
    )
    if not include_archived:
        query = query.where(Plan.status != "archived")
    return [PlanChoice(*row) for row in session.execute(query)]


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
