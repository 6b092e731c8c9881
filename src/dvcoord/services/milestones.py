"""Milestones of actions: create, edit, complete, reorder, tombstone, restore; the
overdue / due-this-quarter / completed queries and the dashboard tiles.

A milestone's due date is a target date as written ("Apr 2008", "Qtr 2 2013/14") read
by :func:`dvcoord.services.dates.parse_target_date`; it is *overdue* on a day when its
due range has ended before that day and it is still open.  A new or re-dated milestone
may not fall due before its plan starts (1 April of ``plan_from_fy``).

Write functions take a session from ``db.transaction()`` and validate before changing
anything (see :mod:`dvcoord.services.plans`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from dvcoord.errors import ValidationError
from dvcoord.services import dates
from dvcoord.services._plancommon import (
    MAX_DATE_TEXT,
    MAX_TEXT,
    check_choice,
    check_date,
    check_text,
    get_any,
    get_live,
    live_siblings,
    now,
    place,
    set_fields,
)
from dvcoord.services.dashboard import Tile
from dvcoord.store.schema.plans import MILESTONE_STATUSES, Action, Milestone, Plan

__all__ = [
    "MILESTONE_STATUSES",
    "MilestoneInput",
    "MilestoneRow",
    "complete_milestone",
    "create_milestone",
    "dashboard_tiles",
    "milestone_rows",
    "milestones_completed_between",
    "milestones_due_between",
    "milestones_due_in_quarter",
    "milestones_for_action",
    "overdue_milestones",
    "reopen_milestone",
    "restore_milestone",
    "tombstone_milestone",
    "update_milestone",
]


@dataclass
class MilestoneInput:
    text: str = ""
    due_text: str = ""
    status: str = "open"
    completed_on: date | None = None

    @classmethod
    def from_row(cls, row: Milestone) -> MilestoneInput:
        return cls(row.text, row.due_text, row.status, row.completed_on)


def _merge(
    data: MilestoneInput | None, given: dict[str, Any], base: MilestoneInput
) -> MilestoneInput:
    names = {f.name for f in fields(MilestoneInput)}
    unknown = set(given) - names
    if unknown:
        raise TypeError(f"unknown milestone field(s): {', '.join(sorted(unknown))}")
    return replace(data if data is not None else base, **given)


def _validate(
    data: MilestoneInput, plan: Plan, *, check_start: bool, today: date | None
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "text": check_text(
            data.text, field="text", label="The milestone", limit=MAX_TEXT, required=True
        ),
    }
    due_text = check_text(
        data.due_text, field="due_text", label="The due date", limit=MAX_DATE_TEXT
    )
    due = dates.parse_target_date(due_text, today=today)
    stored = due.to_storage()
    values.update(
        due_text=stored.text, due_kind=stored.kind, due_start=stored.start, due_end=stored.end
    )
    status = check_choice(
        data.status, field="status", label="The milestone's status", choices=MILESTONE_STATUSES
    )
    completed = check_date(data.completed_on, field="completed_on", label="The completion date")
    if status == "complete" and completed is None:
        completed = today or date.today()
    if status != "complete":
        completed = None
    values.update(status=status, completed_on=completed)
    if check_start and due.end is not None and plan.plan_from_fy is not None:
        start = dates.fy_range(plan.plan_from_fy)[0]
        if due.end < start:
            raise ValidationError(
                f"'{due_text}' is before the plan starts on {dates.format_date(start)} "
                f"({dates.fy_label(plan.plan_from_fy)}); choose a later due date.",
                field="due_text",
            )
    return values


def _plan_of(session: Session, action: Action) -> Plan:
    return get_live(session, Plan, action.plan_id, "plan")


def create_milestone(
    session: Session,
    action_id: str,
    data: MilestoneInput | None = None,
    *,
    position: int | None = None,
    today: date | None = None,
    **given: Any,
) -> Milestone:
    """Add a milestone to an action (at ``position``; default: the end)."""
    action = get_live(session, Action, action_id, "action")
    plan = _plan_of(session, action)
    values = _validate(_merge(data, given, MilestoneInput()), plan, check_start=True, today=today)
    row = Milestone(action_id=action.id, position=0, **values)
    siblings = live_siblings(session, Milestone, [Milestone.action_id == action.id])
    session.add(row)
    place(siblings, row, position)
    session.flush()
    return row


def update_milestone(
    session: Session,
    milestone_id: str,
    data: MilestoneInput | None = None,
    *,
    today: date | None = None,
    **given: Any,
) -> Milestone:
    """Edit a milestone.  The "not before the plan starts" rule applies when the due
    date's words change (a milestone carried forward keeps its old date)."""
    row = get_live(session, Milestone, milestone_id, "milestone")
    action = get_live(session, Action, row.action_id, "action")
    merged = _merge(data, given, MilestoneInput.from_row(row))
    due_changed = merged.due_text.strip() != row.due_text.strip()
    values = _validate(merged, _plan_of(session, action), check_start=due_changed, today=today)
    if not due_changed:
        for key in ("due_text", "due_kind", "due_start", "due_end"):
            values[key] = getattr(row, key)
    if set_fields(row, values):
        session.flush()
    return row


def complete_milestone(
    session: Session, milestone_id: str, completed_on: date | None = None
) -> Milestone:
    """Mark a milestone complete on ``completed_on`` (default today)."""
    return update_milestone(
        session, milestone_id, status="complete", completed_on=completed_on or date.today()
    )


def reopen_milestone(session: Session, milestone_id: str) -> Milestone:
    return update_milestone(session, milestone_id, status="open", completed_on=None)


def tombstone_milestone(session: Session, milestone_id: str) -> None:
    row = get_live(session, Milestone, milestone_id, "milestone")
    row.deleted_at = now()
    session.flush()


def restore_milestone(session: Session, milestone_id: str) -> Milestone:
    row = get_any(session, Milestone, milestone_id, "milestone")
    if row.deleted_at is None:
        return row
    action = session.get(Action, row.action_id)
    if action is None or action.deleted_at is not None:
        raise ValidationError("Its action is deleted; restore the action first.")
    row.deleted_at = None
    place(
        live_siblings(
            session, Milestone, [Milestone.action_id == row.action_id, Milestone.id != row.id]
        ),
        row,
        row.position,
    )
    session.flush()
    return row


def milestones_for_action(session: Session, action_id: str) -> list[Milestone]:
    return live_siblings(session, Milestone, [Milestone.action_id == action_id])


# =========================================================================== queries


@dataclass(frozen=True, slots=True)
class MilestoneRow:
    id: str
    action_id: str
    action_reference: str
    action_text: str
    plan_id: str
    plan_title: str
    theme_title: str
    position: int
    text: str
    due_text: str
    due_kind: str
    due_start: date | None
    due_end: date | None
    completed_on: date | None
    status: str
    lead: str  # lead as written, else the linked lead agencies

    def days_overdue(self, today: date) -> int:
        """Days since the due range ended (0 if not overdue on ``today``)."""
        if self.status != "open" or self.due_end is None or self.due_end >= today:
            return 0
        return (today - self.due_end).days

    def is_overdue(self, today: date) -> bool:
        return self.days_overdue(today) > 0

    @property
    def due_flagged(self) -> bool:
        return self.due_kind == dates.DateKind.UNREADABLE.value

    def matches(self, words: str) -> bool:
        haystack = "\n".join(
            (
                self.text,
                self.due_text,
                self.action_reference,
                self.action_text,
                self.plan_title,
                self.lead,
            )
        ).casefold()
        return all(w in haystack for w in words.casefold().split())


_MILESTONE_SQL = """
SELECT m.id, a.id, a.reference, a.text, p.id, p.title, t.title, m.position, m.text,
       m.due_text, m.due_kind, m.due_start, m.due_end, m.completed_on, m.status,
       CASE WHEN a.lead_text != '' THEN a.lead_text ELSE COALESCE((
           SELECT group_concat(name, '; ') FROM (
               SELECT ag.name AS name FROM action_agency aa
               JOIN agency ag ON ag.id = aa.agency_id
               WHERE aa.action_id = a.id AND aa.role = 'lead' AND aa.deleted_at IS NULL
                 AND ag.deleted_at IS NULL ORDER BY aa.position)), '') END
FROM milestone m
JOIN action a ON a.id = m.action_id AND a.deleted_at IS NULL
JOIN plan p ON p.id = a.plan_id AND p.deleted_at IS NULL
JOIN theme t ON t.id = a.theme_id AND t.deleted_at IS NULL
WHERE m.deleted_at IS NULL
"""


def _d(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def milestone_rows(
    session: Session,
    *,
    plan_id: str | None = None,
    action_id: str | None = None,
    status: str | tuple[str, ...] | None = None,
    overdue_on: date | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    completed_from: date | None = None,
    completed_to: date | None = None,
    include_archived: bool = False,
    order: str = "due",
) -> list[MilestoneRow]:
    """Live milestones of live actions with their plan/action context (one query).

    ``overdue_on``: open and due before that day.  ``due_from``/``due_to``: the due date
    (end of its range) falls in that span.  ``completed_from``/``completed_to``: completed
    in that span.  Archived plans are left out unless ``include_archived``.
    ``order``: "due" (undated last) or "plan" (plan, action, position).
    """
    sql = [_MILESTONE_SQL]
    params: dict[str, Any] = {}
    if not include_archived:
        sql.append("AND p.status != 'archived'")
    if plan_id is not None:
        sql.append("AND a.plan_id = :plan_id")
        params["plan_id"] = plan_id
    if action_id is not None:
        sql.append("AND m.action_id = :action_id")
        params["action_id"] = action_id
    if status is not None:
        values = (status,) if isinstance(status, str) else tuple(status)
        keys = [f":st{i}" for i in range(len(values))]
        params.update({f"st{i}": v for i, v in enumerate(values)})
        sql.append(f"AND m.status IN ({', '.join(keys) or 'NULL'})")
    if overdue_on is not None:
        sql.append("AND m.status = 'open' AND m.due_end < :overdue_on")
        params["overdue_on"] = overdue_on.isoformat()
    if due_from is not None:
        sql.append("AND m.due_end >= :due_from")
        params["due_from"] = due_from.isoformat()
    if due_to is not None:
        sql.append("AND m.due_end <= :due_to")
        params["due_to"] = due_to.isoformat()
    if completed_from is not None:
        sql.append("AND m.completed_on >= :completed_from")
        params["completed_from"] = completed_from.isoformat()
    if completed_to is not None:
        sql.append("AND m.completed_on <= :completed_to")
        params["completed_to"] = completed_to.isoformat()
    if order == "plan":
        sql.append("ORDER BY p.title, t.position, a.position, m.position")
    else:
        sql.append("ORDER BY m.due_end IS NULL, m.due_end, p.title, a.reference, m.position")
    return [
        MilestoneRow(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            _d(r[11]),
            _d(r[12]),
            _d(r[13]),
            r[14],
            r[15] or "",
        )
        for r in session.execute(text("\n".join(sql)), params)
    ]


def overdue_milestones(
    session: Session, today: date, *, plan_id: str | None = None
) -> list[MilestoneRow]:
    """Open milestones whose due date ended before ``today``, most overdue first."""
    return milestone_rows(session, plan_id=plan_id, overdue_on=today)


def milestones_due_between(
    session: Session,
    start: date,
    end: date,
    *,
    plan_id: str | None = None,
    status: str | tuple[str, ...] | None = "open",
) -> list[MilestoneRow]:
    """Milestones (open ones by default) due between ``start`` and ``end`` inclusive."""
    return milestone_rows(session, plan_id=plan_id, status=status, due_from=start, due_to=end)


def milestones_due_in_quarter(
    session: Session,
    fy: int,
    quarter: int,
    *,
    plan_id: str | None = None,
    status: str | tuple[str, ...] | None = "open",
) -> list[MilestoneRow]:
    """Milestones due in financial-year quarter ``quarter`` of ``fy`` (2013, 2 = Jul–Sep
    2013); open ones unless ``status`` says otherwise (None: any status)."""
    start, end = dates.quarter_range(fy, quarter)
    return milestones_due_between(session, start, end, plan_id=plan_id, status=status)


def milestones_completed_between(
    session: Session, start: date, end: date, *, plan_id: str | None = None
) -> list[MilestoneRow]:
    """Milestones completed between ``start`` and ``end`` inclusive."""
    rows = milestone_rows(
        session, plan_id=plan_id, status="complete", completed_from=start, completed_to=end
    )
    return sorted(rows, key=lambda r: (r.completed_on, r.plan_title, r.action_reference))


# =========================================================================== dashboard


def dashboard_tiles(session: Session, today: date) -> list[Tile]:
    """Overdue milestones (with the five most overdue) and those due this quarter."""
    overdue = overdue_milestones(session, today)
    fy, q = dates.quarter_of(today)
    due = milestones_due_in_quarter(session, fy, q)
    due_ahead = [m for m in due if m.due_end is not None and m.due_end >= today]

    def line(row: MilestoneRow, suffix: str) -> str:
        ref = f"{row.action_reference} " if row.action_reference else ""
        words = " ".join(row.text.split())
        if len(words) > 60:
            words = words[:59].rstrip() + "…"
        return f"{ref}{words} ({suffix})"

    return [
        Tile(
            key="plans.overdue_milestones",
            area="Milestones",
            title="Overdue milestones",
            value=str(len(overdue)),
            detail=f"open and due before {dates.format_date(today)}",
            severity="alert" if overdue else "ok",
            view="milestones",
            order=11,
            lines=tuple(
                line(
                    m,
                    f"due {m.due_text or dates.format_date(m.due_end)}, "
                    f"{m.days_overdue(today)} days overdue",
                )
                for m in overdue[:5]
            ),
        ),
        Tile(
            key="plans.due_this_quarter",
            area="Milestones",
            title="Milestones due this quarter",
            value=str(len(due_ahead)),
            detail=f"{dates.quarter_label(fy, q)}, still to come",
            severity="warning" if due_ahead else "info",
            view="milestones",
            order=12,
            lines=tuple(line(m, f"due {dates.format_date(m.due_end)}") for m in due_ahead[:5]),
        ),
    ]
