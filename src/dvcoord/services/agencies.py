"""Partner agencies: create, edit, tombstone (with the actions they lead in mind),
restore, look up and count their use.

Agencies are shared by every plan (and by training, alarms and the Sanctuary Scheme).
Every write function takes a session opened by ``db.transaction()``: a
:class:`~dvcoord.errors.ValidationError` is raised before anything is changed, so the
caller's rollback loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from dvcoord.errors import ValidationError
from dvcoord.services._plancommon import (
    MAX_NAME,
    MAX_SHORT,
    MAX_TEXT,
    check_choice,
    check_text,
    get_any,
    get_live,
    now,
    restore_rows,
    set_fields,
    tombstone_rows,
)
from dvcoord.store.schema.plans import SECTORS, Action, ActionAgency, Agency, Plan

__all__ = [
    "SECTORS",
    "AgencyInput",
    "AgencyUsage",
    "agency_usage",
    "create_agency",
    "find_agency",
    "list_agencies",
    "restore_agency",
    "tombstone_agency",
    "update_agency",
]


@dataclass
class AgencyInput:
    name: str = ""
    short_name: str = ""
    sector: str = "other"
    active: bool = True
    notes: str = ""

    @classmethod
    def from_row(cls, agency: Agency) -> AgencyInput:
        return cls(agency.name, agency.short_name, agency.sector, agency.active, agency.notes)


@dataclass(frozen=True)
class AgencyUsage:
    agency_id: str
    name: str
    short_name: str
    sector: str
    active: bool
    lead_actions: int
    support_actions: int
    plans: int
    plan_titles: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return self.lead_actions + self.support_actions


def _input(data: AgencyInput | None, given: dict[str, Any], base: AgencyInput) -> AgencyInput:
    names = {f.name for f in fields(AgencyInput)}
    unknown = set(given) - names
    if unknown:
        raise TypeError(f"unknown agency field(s): {', '.join(sorted(unknown))}")
    return replace(data or base, **given)


def _validate(session: Session, data: AgencyInput, agency_id: str | None) -> dict[str, Any]:
    name = check_text(
        data.name, field="name", label="The agency's name", limit=MAX_NAME, required=True
    )
    values = {
        "name": name,
        "short_name": check_text(
            data.short_name, field="short_name", label="The short name", limit=MAX_SHORT
        ),
        "sector": check_choice(data.sector, field="sector", label="The sector", choices=SECTORS),
        "active": bool(data.active),
        "notes": check_text(data.notes, field="notes", label="The notes", limit=MAX_TEXT),
    }
    clash = session.scalar(
        select(Agency.id).where(
            func.lower(Agency.name) == name.lower(),
            Agency.deleted_at.is_(None),
            Agency.id != (agency_id or ""),
        )
    )
    if clash:
        raise ValidationError(f"There is already an agency called '{name}'.", field="name")
    return values


def create_agency(session: Session, data: AgencyInput | None = None, **given: Any) -> Agency:
    """Add an agency.  ``create_agency(s, name="Kent Police", sector="police")``."""
    values = _validate(session, _input(data, given, AgencyInput()), None)
    agency = Agency(**values)
    session.add(agency)
    session.flush()
    return agency


def update_agency(
    session: Session, agency_id: str, data: AgencyInput | None = None, **given: Any
) -> Agency:
    """Edit an agency: a whole :class:`AgencyInput`, or only the keyword fields given."""
    agency = get_live(session, Agency, agency_id, "agency")
    values = _validate(session, _input(data, given, AgencyInput.from_row(agency)), agency.id)
    if set_fields(agency, values):
        session.flush()
    return agency


def list_agencies(
    session: Session, *, include_inactive: bool = True, include_deleted: bool = False
) -> list[Agency]:
    """Agencies by name (case-insensitive)."""
    query = select(Agency).order_by(func.lower(Agency.name))
    if not include_deleted:
        query = query.where(Agency.deleted_at.is_(None))
    if not include_inactive:
        query = query.where(Agency.active.is_(True))
    return list(session.scalars(query))


def find_agency(session: Session, name: str) -> Agency | None:
    """The live agency whose name or short name is ``name`` (case-insensitive)."""
    key = (name or "").strip().lower()
    if not key:
        return None
    return session.scalars(
        select(Agency)
        .where(
            Agency.deleted_at.is_(None),
            (func.lower(Agency.name) == key) | (func.lower(Agency.short_name) == key),
        )
        .order_by(Agency.created_at)
    ).first()


def _live_links(session: Session, agency_id: str) -> list[ActionAgency]:
    return list(
        session.scalars(
            select(ActionAgency)
            .join(Action, Action.id == ActionAgency.action_id)
            .join(Plan, Plan.id == Action.plan_id)
            .where(
                ActionAgency.agency_id == agency_id,
                ActionAgency.deleted_at.is_(None),
                Action.deleted_at.is_(None),
                Plan.deleted_at.is_(None),
            )
        )
    )


def tombstone_agency(
    session: Session,
    agency_id: str,
    *,
    force: bool = False,
    reassign_to: str | None = None,
) -> int:
    """Mark an agency deleted.

    If it still leads live actions this is refused with a message saying how many and in
    which plans, unless ``reassign_to`` names another agency (its lead and support links
    move there) or ``force`` is set (its links are marked deleted with it, and come back
    if it is restored; the actions keep their lead text as written).
    Returns the number of action links moved or marked deleted.
    """
    agency = get_live(session, Agency, agency_id, "agency")
    links = _live_links(session, agency.id)
    leads = [link for link in links if link.role == "lead"]
    target = None
    if reassign_to:
        if reassign_to == agency.id:
            raise ValidationError(
                "Choose a different agency to take over its actions.", field="reassign_to"
            )
        target = get_live(session, Agency, reassign_to, "agency")
    if leads and target is None and not force:
        plan_titles = sorted(
            set(
                session.scalars(
                    select(Plan.title)
                    .join(Action, Action.plan_id == Plan.id)
                    .where(Action.id.in_([link.action_id for link in leads]))
                )
            )
        )
        n = len({link.action_id for link in leads})
        actions = "action" if n == 1 else "actions"
        plans = "plan" if len(plan_titles) == 1 else "plans"
        raise ValidationError(
            f"{agency.name} still leads {n} live {actions} in {len(plan_titles)} {plans} "
            f"({'; '.join(plan_titles)}). Choose another agency to take them over, "
            "or delete it anyway.",
            field="agency",
        )
    when = now()
    moved = 0
    if target is not None:
        existing = {
            (link.action_id, link.role)
            for link in session.scalars(
                select(ActionAgency).where(
                    ActionAgency.agency_id == target.id, ActionAgency.deleted_at.is_(None)
                )
            )
        }
        for link in links:
            if (link.action_id, link.role) in existing:
                link.deleted_at = when
            else:
                link.agency_id = target.id
                existing.add((link.action_id, link.role))
            moved += 1
    else:
        moved = tombstone_rows(links, when)
    agency.deleted_at = when
    session.flush()
    return moved


def restore_agency(session: Session, agency_id: str) -> Agency:
    """Bring back a deleted agency and the action links deleted with it."""
    agency = get_any(session, Agency, agency_id, "agency")
    if agency.deleted_at is None:
        return agency
    clash = session.scalar(
        select(Agency.id).where(
            func.lower(Agency.name) == agency.name.lower(), Agency.deleted_at.is_(None)
        )
    )
    if clash:
        raise ValidationError(
            f"Another agency called '{agency.name}' exists now; rename one of them first.",
            field="name",
        )
    when = agency.deleted_at
    links = session.scalars(
        select(ActionAgency)
        .join(Action, Action.id == ActionAgency.action_id)
        .where(ActionAgency.agency_id == agency.id, Action.deleted_at.is_(None))
    )
    restore_rows(links, when)
    agency.deleted_at = None
    session.flush()
    return agency


def agency_usage(session: Session, *, include_inactive: bool = True) -> list[AgencyUsage]:
    """How many live actions each live agency leads and supports, and in which plans.

    One query, whatever the number of agencies.
    """
    live_link = and_(
        ActionAgency.agency_id == Agency.id,
        ActionAgency.deleted_at.is_(None),
    )
    live_action = and_(Action.id == ActionAgency.action_id, Action.deleted_at.is_(None))
    live_plan = and_(Plan.id == Action.plan_id, Plan.deleted_at.is_(None))
    counted = case((Plan.id.is_not(None), Action.id))
    query = (
        select(
            Agency.id,
            Agency.name,
            Agency.short_name,
            Agency.sector,
            Agency.active,
            func.count(func.distinct(case((ActionAgency.role == "lead", counted)))),
            func.count(func.distinct(case((ActionAgency.role == "support", counted)))),
            func.count(func.distinct(Plan.id)),
        )
        .select_from(Agency)
        .outerjoin(ActionAgency, live_link)
        .outerjoin(Action, live_action)
        .outerjoin(Plan, live_plan)
        .where(Agency.deleted_at.is_(None))
        .group_by(Agency.id)
        .order_by(func.lower(Agency.name))
    )
    if not include_inactive:
        query = query.where(Agency.active.is_(True))
    titles: dict[str, set[str]] = {}
    for agency_id, title in session.execute(
        select(ActionAgency.agency_id, Plan.title)
        .join(Action, live_action)
        .join(Plan, live_plan)
        .where(ActionAgency.deleted_at.is_(None))
        .distinct()
    ):
        titles.setdefault(agency_id, set()).add(title)
    return [
        AgencyUsage(
            row[0],
            row[1],
            row[2],
            row[3],
            bool(row[4]),
            row[5],
            row[6],
            row[7],
            tuple(sorted(titles.get(row[0], ()))),
        )
        for row in session.execute(query)
    ]
