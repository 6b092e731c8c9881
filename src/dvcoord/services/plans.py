"""Action plans: plans and their change history, themes, aims, actions, lead and
supporting agencies, progress updates; copying a plan forward; the queries behind the
Action plans view, its reports and the dashboard.

Conventions
-----------
* Every write function takes a session opened by ``db.transaction()``.  Input is checked
  first and a :class:`~dvcoord.errors.ValidationError` (with ``field`` set) is raised
  before anything changes, so the caller's rollback loses nothing.  Writes are flushed,
  so ids and audit rows exist when the function returns.
* Edits take a plain input dataclass (``PlanInput``, ``ThemeInput``, ``AimInput``,
  ``ActionInput``, ``UpdateInput``, ``ChangeInput``) or keyword fields; an ``update_*``
  call with keywords changes only the fields given.
* Rows are never deleted: ``tombstone_*`` marks a row and everything under it deleted
  at one instant; ``restore_*`` brings back the row and exactly what was deleted with it
  (children deleted earlier on their own stay deleted).
* Field limits are listed in :mod:`dvcoord.services._plancommon` (action text 10,000
  characters, progress text 20,000, titles 500, references 60, ...).
* Target dates are stored as written plus what :func:`dates.parse_target_date` read;
  a text that cannot be read is kept and flagged, never refused.
* Queries return frozen dataclasses and run a fixed number of SQL statements whatever
  the number of rows (never one per row).
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session, object_session

from dvcoord.errors import ValidationError
from dvcoord.services import dates
from dvcoord.services._plancommon import (
    MAX_CODE,
    MAX_DATE_TEXT,
    MAX_PERSON,
    MAX_PROGRESS,
    MAX_REFERENCE,
    MAX_TEXT,
    MAX_TITLE,
    MAX_VERSION,
    check_choice,
    check_date,
    check_text,
    get_any,
    get_live,
    live_siblings,
    now,
    place,
    restore_rows,
    set_fields,
    tombstone_rows,
    user_of,
)
from dvcoord.services.dashboard import Tile
from dvcoord.store import database as _database
from dvcoord.store.base import uuid7
from dvcoord.store.database import MARKINGS
from dvcoord.store.schema.core import META_RAG_KEY, AuditEntry, Meta
from dvcoord.store.schema.plans import (
    ACTION_STATUSES,
    AGENCY_ROLES,
    PLAN_STATUSES,
    RAG_VALUES,
    Action,
    ActionAgency,
    Agency,
    Aim,
    Milestone,
    Plan,
    PlanChange,
    ProgressUpdate,
    Theme,
)

#: Statuses of an action that is finished with (not carried forward, not "open").
CLOSED_STATUSES = ("complete", "dropped")

DEFAULT_COLOURS = {"G": "#2E7D32", "A": "#F9A825", "R": "#C62828", "B": "#1565C0"}
#: Green/Amber/Red as DOMAIN.md defines them (the database's default key).
DEFAULT_RAG_KEY = tuple(_database.DEFAULT_RAG_KEY)
BLUE_ENTRY = {"letter": "B", "name": "Blue", "meaning": "Complete"}


# =========================================================================== RAG key


@dataclass(frozen=True)
class RagKeyEntry:
    letter: str
    name: str
    meaning: str
    colour: str


def _key_entries(raw: Any) -> list[RagKeyEntry]:
    entries = []
    for item in raw or ():
        letter = str(item.get("letter", "")).strip().upper()
        if not letter:
            continue
        entries.append(
            RagKeyEntry(
                letter,
                str(item.get("name", "")) or letter,
                str(item.get("meaning", "")),
                str(item.get("colour", "")) or DEFAULT_COLOURS.get(letter, "#9E9E9E"),
            )
        )
    return entries


def database_rag_key(session: Session) -> list[RagKeyEntry]:
    """The database's own key (meta ``rag_key``), or Green/Amber/Red as in DOMAIN.md."""
    raw = session.scalar(select(Meta.value).where(Meta.key == META_RAG_KEY))
    try:
        entries = _key_entries(json.loads(raw)) if raw else []
    except (ValueError, AttributeError, TypeError):
        entries = []
    return entries or _key_entries(DEFAULT_RAG_KEY)


def rag_key_for(plan: Plan, session: Session | None = None) -> list[RagKeyEntry]:
    """The plan's RAG key (letter, name, meaning, colour); the database's if it has none."""
    if plan.rag_key:
        try:
            entries = _key_entries(json.loads(plan.rag_key))
        except (ValueError, AttributeError, TypeError):
            entries = []
        if entries:
            return entries
    session = session or object_session(plan)
    if session is None:
        return _key_entries(DEFAULT_RAG_KEY)
    return database_rag_key(session)


def rag_letters(plan: Plan, session: Session | None = None) -> tuple[str, ...]:
    return tuple(e.letter for e in rag_key_for(plan, session))


_COLOUR_RE = re.compile(r"#[0-9A-Fa-f]{6}")


def set_rag_key(
    session: Session, plan_id: str, entries: Sequence[dict[str, str] | RagKeyEntry] | None
) -> Plan:
    """Give a plan its own RAG key; ``None`` or empty goes back to the database's key.

    Each entry has a letter (R, A, G or B), a name, a meaning and an optional colour
    (``#RRGGBB``).  Letters in use by the plan's actions or updates cannot be removed.
    """
    plan = get_live(session, Plan, plan_id, "plan")
    if not entries:
        new_json = ""
        letters: set[str] = {e.letter for e in database_rag_key(session)}
    else:
        cleaned = []
        seen: set[str] = set()
        for item in entries:
            d = item.__dict__ if isinstance(item, RagKeyEntry) else dict(item)
            letter = str(d.get("letter", "")).strip().upper()
            if letter not in RAG_VALUES:
                raise ValidationError(
                    f"A RAG letter must be one of {', '.join(RAG_VALUES)}, not '{letter}'.",
                    field="rag_key",
                )
            if letter in seen:
                raise ValidationError(
                    f"The letter {letter} appears twice in the key.", field="rag_key"
                )
            seen.add(letter)
            name = check_text(
                d.get("name"),
                field="rag_key",
                label=f"The name of {letter}",
                limit=40,
                required=True,
            )
            meaning = check_text(
                d.get("meaning"), field="rag_key", label=f"The meaning of {letter}", limit=500
            )
            colour = str(d.get("colour", "") or DEFAULT_COLOURS.get(letter, "")).strip()
            if colour and not _COLOUR_RE.fullmatch(colour):
                raise ValidationError(
                    f"'{colour}' is not a colour such as #2E7D32.", field="rag_key"
                )
            cleaned.append(
                {"letter": letter, "name": name, "meaning": meaning, "colour": colour.upper()}
            )
        if len(cleaned) < 2:
            raise ValidationError("A RAG key needs at least two entries.", field="rag_key")
        new_json = json.dumps(cleaned, ensure_ascii=False)
        letters = seen
    used = set(
        session.scalars(
            select(Action.rag)
            .where(Action.plan_id == plan.id, Action.deleted_at.is_(None), Action.rag != "")
            .distinct()
        )
    )
    missing = sorted(used - letters)
    if missing:
        raise ValidationError(
            f"Actions in this plan are rated {', '.join(missing)}; keep "
            f"{'that letter' if len(missing) == 1 else 'those letters'} in the key.",
            field="rag_key",
        )
    if plan.rag_key != new_json:
        plan.rag_key = new_json
        session.flush()
    return plan


def _check_rag(session: Session, plan: Plan, value: Any, field: str = "rag") -> str:
    letter = str(value or "").strip().upper()
    if not letter:
        return ""
    letters = rag_letters(plan, session)
    if letter not in letters:
        names = ", ".join(f"{e.letter} ({e.name})" for e in rag_key_for(plan, session))
        raise ValidationError(
            f"'{letter}' is not in this plan's RAG key; use one of {names}, or leave it blank.",
            field=field,
        )
    return letter


# =========================================================================== input types


@dataclass
class PlanInput:
    title: str = ""
    partnership: str = ""
    strategy_from_fy: int | None = None
    strategy_to_fy: int | None = None
    plan_from_fy: int | None = None
    plan_to_fy: int | None = None
    status: str = "draft"
    version_label: str = "1.0"
    owner: str = ""
    marking: str = "OFFICIAL"
    description: str = ""

    @classmethod
    def from_row(cls, plan: Plan) -> PlanInput:
        return cls(**{f.name: getattr(plan, f.name) for f in fields(cls)})


@dataclass
class ChangeInput:
    summary: str = ""
    version: str = ""
    changed_on: date | None = None
    editor: str = ""

    @classmethod
    def from_row(cls, row: PlanChange) -> ChangeInput:
        return cls(row.summary, row.version, row.changed_on, row.editor)


@dataclass
class ThemeInput:
    title: str = ""
    code: str = ""
    key_objective: str = ""

    @classmethod
    def from_row(cls, theme: Theme) -> ThemeInput:
        return cls(theme.title, theme.code, theme.key_objective)


@dataclass
class AimInput:
    reference: str = ""
    text: str = ""

    @classmethod
    def from_row(cls, aim: Aim) -> AimInput:
        return cls(aim.reference, aim.text)


@dataclass
class ActionInput:
    text: str = ""
    reference: str = ""
    lead_text: str = ""
    target_text: str = ""
    outcomes: str = ""
    baseline: str = ""
    performance_measure: str = ""
    outputs: str = ""
    funding_source: str = ""
    cost_pence: int | None = None
    status: str = "not started"
    rag: str = ""

    @classmethod
    def from_row(cls, action: Action) -> ActionInput:
        return cls(**{f.name: getattr(action, f.name) for f in fields(cls)})


@dataclass
class UpdateInput:
    update_date: date | None = None
    text: str = ""
    author: str = ""
    agency_id: str | None = None
    rag: str = ""
    #: Optional new status for the action, set together with the update.
    status: str | None = None

    @classmethod
    def from_row(cls, row: ProgressUpdate) -> UpdateInput:
        return cls(row.update_date, row.text, row.author, row.agency_id, row.rag)


def _merge_input(cls: type, data: Any, given: dict[str, Any], base: Any) -> Any:
    names = {f.name for f in fields(cls)}
    unknown = set(given) - names
    if unknown:
        raise TypeError(f"unknown {cls.__name__} field(s): {', '.join(sorted(unknown))}")
    return replace(data if data is not None else base, **given)


# =========================================================================== plans


def _check_fy(value: Any, field: str, label: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text_value = value.strip()
        match = re.fullmatch(r"(\d{4})(?:\s*[/-]\s*(\d{2}|\d{4}))?", text_value)
        if not match:
            raise ValidationError(f"{label} must be a financial year such as 2013/14.", field=field)
        value = int(match[1])
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2098:
        raise ValidationError(f"{label} must be a financial year such as 2013/14.", field=field)
    return value


def _validate_plan(data: PlanInput) -> dict[str, Any]:
    values = {
        "title": check_text(
            data.title, field="title", label="The plan's title", limit=MAX_TITLE, required=True
        ),
        "partnership": check_text(
            data.partnership, field="partnership", label="The partnership", limit=300
        ),
        "strategy_from_fy": _check_fy(
            data.strategy_from_fy, "strategy_from_fy", "The strategy's first year"
        ),
        "strategy_to_fy": _check_fy(
            data.strategy_to_fy, "strategy_to_fy", "The strategy's last year"
        ),
        "plan_from_fy": _check_fy(data.plan_from_fy, "plan_from_fy", "The plan's first year"),
        "plan_to_fy": _check_fy(data.plan_to_fy, "plan_to_fy", "The plan's last year"),
        "status": check_choice(
            data.status, field="status", label="The plan's status", choices=PLAN_STATUSES
        ),
        "version_label": check_text(
            data.version_label, field="version_label", label="The version", limit=MAX_VERSION
        ),
        "owner": check_text(data.owner, field="owner", label="The owner", limit=MAX_PERSON),
        "marking": check_choice(
            data.marking, field="marking", label="The protective marking", choices=MARKINGS
        ),
        "description": check_text(
            data.description, field="description", label="The description", limit=MAX_TEXT
        ),
    }
    for a, b, label in (
        ("strategy_from_fy", "strategy_to_fy", "strategy"),
        ("plan_from_fy", "plan_to_fy", "plan"),
    ):
        if values[a] is not None and values[b] is not None and values[b] < values[a]:
            raise ValidationError(
                f"The {label} period ends ({dates.fy_label(values[b])}) before it starts "
                f"({dates.fy_label(values[a])}).",
                field=b,
            )
    return values


def create_plan(session: Session, data: PlanInput | None = None, **given: Any) -> Plan:
    """Start a new plan: ``create_plan(s, title="DA action plan 2013/14", plan_from_fy=2013)``."""
    values = _validate_plan(_merge_input(PlanInput, data, given, PlanInput()))
    plan = Plan(**values)
    session.add(plan)
    session.flush()
    return plan


def update_plan(
    session: Session, plan_id: str, data: PlanInput | None = None, **given: Any
) -> Plan:
    plan = get_live(session, Plan, plan_id, "plan")
    values = _validate_plan(_merge_input(PlanInput, data, given, PlanInput.from_row(plan)))
    if values["plan_from_fy"] is not None and values["plan_from_fy"] != plan.plan_from_fy:
        start = dates.fy_range(values["plan_from_fy"])[0]
        early = session.scalar(
            select(func.count(Milestone.id))
            .join(Action, Action.id == Milestone.action_id)
            .where(
                Action.plan_id == plan.id,
                Action.deleted_at.is_(None),
                Milestone.deleted_at.is_(None),
                Milestone.status == "open",
                Milestone.due_end < start,
            )
        )
        if early:
            raise ValidationError(
                f"{early} open milestone{'s are' if early != 1 else ' is'} due before "
                f"{dates.format_date(start)}; the plan cannot start in "
                f"{dates.fy_label(values['plan_from_fy'])}.",
                field="plan_from_fy",
            )
    if set_fields(plan, values):
        session.flush()
    return plan


def get_plan(session: Session, plan_id: str) -> Plan:
    return get_live(session, Plan, plan_id, "plan")


def list_plans(
    session: Session, *, include_archived: bool = True, include_deleted: bool = False
) -> list[Plan]:
    """Plans, newest plan year first, then by title."""
    query = select(Plan).order_by(Plan.plan_from_fy.desc().nulls_last(), func.lower(Plan.title))
    if not include_deleted:
        query = query.where(Plan.deleted_at.is_(None))
    if not include_archived:
        query = query.where(Plan.status != "archived")
    return list(session.scalars(query))


def _plan_family(session: Session, plan: Plan) -> list[Any]:
    """Every row that belongs to a plan (for tombstone / restore)."""
    rows: list[Any] = []
    rows += session.scalars(select(PlanChange).where(PlanChange.plan_id == plan.id))
    themes = list(session.scalars(select(Theme).where(Theme.plan_id == plan.id)))
    rows += themes
    theme_ids = [t.id for t in themes]
    if theme_ids:
        rows += session.scalars(select(Aim).where(Aim.theme_id.in_(theme_ids)))
    actions = list(session.scalars(select(Action).where(Action.plan_id == plan.id)))
    rows += actions
    rows += _action_children(session, [a.id for a in actions])
    return rows


def _action_children(session: Session, action_ids: list[str]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(action_ids), 500):
        chunk = action_ids[start : start + 500]
        for model in (ActionAgency, ProgressUpdate, Milestone):
            rows += session.scalars(select(model).where(model.action_id.in_(chunk)))
    return rows


def tombstone_plan(session: Session, plan_id: str) -> int:
    """Mark a plan and everything in it deleted; returns the number of rows marked."""
    plan = get_live(session, Plan, plan_id, "plan")
    when = now()
    n = tombstone_rows(_plan_family(session, plan), when)
    plan.deleted_at = when
    session.flush()
    return n + 1


def restore_plan(session: Session, plan_id: str) -> Plan:
    """Bring back a deleted plan with everything deleted with it."""
    plan = get_any(session, Plan, plan_id, "plan")
    if plan.deleted_at is None:
        return plan
    when = plan.deleted_at
    restore_rows(_plan_family(session, plan), when)
    plan.deleted_at = None
    session.flush()
    return plan


# --------------------------------------------------------------------------- change history


def _validate_change(data: ChangeInput, session: Session) -> dict[str, Any]:
    return {
        "summary": check_text(
            data.summary,
            field="summary",
            label="The summary of change",
            limit=MAX_TEXT,
            required=True,
        ),
        "version": check_text(
            data.version, field="version", label="The version", limit=MAX_VERSION
        ),
        "changed_on": check_date(data.changed_on, field="changed_on", label="The date")
        or date.today(),
        "editor": check_text(data.editor, field="editor", label="The editor", limit=MAX_PERSON)
        or user_of(session),
    }


def add_plan_change(
    session: Session, plan_id: str, data: ChangeInput | None = None, **given: Any
) -> PlanChange:
    """Add a change-history row (version, date, editor, summary) to a plan."""
    plan = get_live(session, Plan, plan_id, "plan")
    values = _validate_change(_merge_input(ChangeInput, data, given, ChangeInput()), session)
    row = PlanChange(plan_id=plan.id, **values)
    session.add(row)
    session.flush()
    return row


def update_plan_change(
    session: Session, change_id: str, data: ChangeInput | None = None, **given: Any
) -> PlanChange:
    row = get_live(session, PlanChange, change_id, "change-history row")
    values = _validate_change(
        _merge_input(ChangeInput, data, given, ChangeInput.from_row(row)), session
    )
    if set_fields(row, values):
        session.flush()
    return row


def plan_changes(session: Session, plan_id: str) -> list[PlanChange]:
    """The plan's live change history, oldest first."""
    return list(
        session.scalars(
            select(PlanChange)
            .where(PlanChange.plan_id == plan_id, PlanChange.deleted_at.is_(None))
            .order_by(PlanChange.changed_on, PlanChange.created_at)
        )
    )


def tombstone_plan_change(session: Session, change_id: str) -> None:
    row = get_live(session, PlanChange, change_id, "change-history row")
    row.deleted_at = now()
    session.flush()


def restore_plan_change(session: Session, change_id: str) -> PlanChange:
    row = get_any(session, PlanChange, change_id, "change-history row")
    if row.deleted_at is not None:
        _require_live_parent(session, Plan, row.plan_id, "plan")
        row.deleted_at = None
        session.flush()
    return row


def _require_live_parent(session: Session, model: type, row_id: str | None, what: str) -> None:
    if row_id is None:
        return
    parent = session.get(model, row_id)
    if parent is None or parent.deleted_at is not None:
        raise ValidationError(f"Its {what} is deleted; restore the {what} first.")


# =========================================================================== themes


def _validate_theme(data: ThemeInput) -> dict[str, Any]:
    return {
        "title": check_text(
            data.title, field="title", label="The theme's title", limit=MAX_TITLE, required=True
        ),
        "code": check_text(data.code, field="code", label="The code", limit=MAX_CODE),
        "key_objective": check_text(
            data.key_objective, field="key_objective", label="The key objective", limit=MAX_TEXT
        ),
    }


def create_theme(
    session: Session,
    plan_id: str,
    data: ThemeInput | None = None,
    *,
    position: int | None = None,
    **given: Any,
) -> Theme:
    """Add a theme (section, strand) to a plan, at ``position`` (default: the end)."""
    plan = get_live(session, Plan, plan_id, "plan")
    values = _validate_theme(_merge_input(ThemeInput, data, given, ThemeInput()))
    theme = Theme(plan_id=plan.id, position=0, **values)
    siblings = live_siblings(session, Theme, [Theme.plan_id == plan.id])
    session.add(theme)
    place(siblings, theme, position)
    session.flush()
    return theme


def update_theme(
    session: Session, theme_id: str, data: ThemeInput | None = None, **given: Any
) -> Theme:
    theme = get_live(session, Theme, theme_id, "theme")
    values = _validate_theme(_merge_input(ThemeInput, data, given, ThemeInput.from_row(theme)))
    if set_fields(theme, values):
        session.flush()
    return theme


def move_theme(session: Session, theme_id: str, to_index: int) -> Theme:
    """Move a theme to ``to_index`` (0 = first) within its plan."""
    theme = get_live(session, Theme, theme_id, "theme")
    place(live_siblings(session, Theme, [Theme.plan_id == theme.plan_id]), theme, to_index)
    session.flush()
    return theme


def _theme_family(session: Session, theme: Theme) -> list[Any]:
    rows: list[Any] = list(session.scalars(select(Aim).where(Aim.theme_id == theme.id)))
    actions = list(session.scalars(select(Action).where(Action.theme_id == theme.id)))
    rows += actions
    rows += _action_children(session, [a.id for a in actions])
    return rows


def tombstone_theme(session: Session, theme_id: str) -> int:
    """Mark a theme, its aims and actions (with their updates, milestones and agency
    links) deleted; returns the number of rows marked."""
    theme = get_live(session, Theme, theme_id, "theme")
    when = now()
    n = tombstone_rows(_theme_family(session, theme), when)
    theme.deleted_at = when
    session.flush()
    return n + 1


def restore_theme(session: Session, theme_id: str) -> Theme:
    theme = get_any(session, Theme, theme_id, "theme")
    if theme.deleted_at is None:
        return theme
    _require_live_parent(session, Plan, theme.plan_id, "plan")
    family = _theme_family(session, theme)
    _check_restorable_references(
        session,
        theme.plan_id,
        [r for r in family if isinstance(r, Action) and _deleted_with(r, theme.deleted_at)],
    )
    restore_rows(family, theme.deleted_at)
    theme.deleted_at = None
    place(live_siblings(session, Theme, [Theme.plan_id == theme.plan_id]), theme, theme.position)
    session.flush()
    return theme


def _deleted_with(row: Any, when: datetime | None) -> bool:
    """True if ``row`` was marked deleted at exactly ``when`` (deleted with its parent)."""
    return row.deleted_at is not None and when is not None and _utc(row.deleted_at) == _utc(when)


def _utc(d: datetime) -> datetime:
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


# =========================================================================== aims


def _validate_aim(data: AimInput) -> dict[str, Any]:
    values = {
        "reference": check_text(
            data.reference, field="reference", label="The reference", limit=MAX_REFERENCE
        ),
        "text": check_text(data.text, field="text", label="The aim's text", limit=MAX_TEXT),
    }
    if not values["reference"] and not values["text"]:
        raise ValidationError("Give the aim a reference or some text.", field="text")
    return values


def create_aim(
    session: Session,
    theme_id: str,
    data: AimInput | None = None,
    *,
    position: int | None = None,
    **given: Any,
) -> Aim:
    """Add an aim, objective or recommendation under a theme."""
    theme = get_live(session, Theme, theme_id, "theme")
    values = _validate_aim(_merge_input(AimInput, data, given, AimInput()))
    aim = Aim(theme_id=theme.id, position=0, **values)
    siblings = live_siblings(session, Aim, [Aim.theme_id == theme.id])
    session.add(aim)
    place(siblings, aim, position)
    session.flush()
    return aim


def update_aim(session: Session, aim_id: str, data: AimInput | None = None, **given: Any) -> Aim:
    aim = get_live(session, Aim, aim_id, "aim")
    values = _validate_aim(_merge_input(AimInput, data, given, AimInput.from_row(aim)))
    if set_fields(aim, values):
        session.flush()
    return aim


def move_aim(
    session: Session, aim_id: str, *, theme_id: str | None = None, to_index: int | None = None
) -> Aim:
    """Move an aim (with its actions) to ``to_index`` under ``theme_id`` (default: its own
    theme).  The theme must be in the same plan."""
    aim = get_live(session, Aim, aim_id, "aim")
    old_theme = get_live(session, Theme, aim.theme_id, "theme")
    theme = (
        old_theme
        if theme_id in (None, aim.theme_id)
        else get_live(session, Theme, theme_id, "theme")
    )
    if theme.plan_id != old_theme.plan_id:
        raise ValidationError(
            "An aim can only move within its own plan; copy the plan forward to carry "
            "work into another plan.",
            field="theme",
        )
    if theme is not old_theme:
        aim.theme_id = theme.id
        for action in session.scalars(
            select(Action).where(Action.aim_id == aim.id, Action.deleted_at.is_(None))
        ):
            action.theme_id = theme.id
        others = live_siblings(session, Aim, [Aim.theme_id == old_theme.id, Aim.id != aim.id])
        for i, row in enumerate(others):
            if row.position != i:
                row.position = i
    siblings = live_siblings(session, Aim, [Aim.theme_id == theme.id, Aim.id != aim.id])
    place(siblings, aim, to_index)
    session.flush()
    return aim


def _aim_family(session: Session, aim: Aim) -> list[Any]:
    actions = list(session.scalars(select(Action).where(Action.aim_id == aim.id)))
    return actions + _action_children(session, [a.id for a in actions])


def tombstone_aim(session: Session, aim_id: str) -> int:
    """Mark an aim and its actions (with their children) deleted."""
    aim = get_live(session, Aim, aim_id, "aim")
    when = now()
    n = tombstone_rows(_aim_family(session, aim), when)
    aim.deleted_at = when
    session.flush()
    return n + 1


def restore_aim(session: Session, aim_id: str) -> Aim:
    aim = get_any(session, Aim, aim_id, "aim")
    if aim.deleted_at is None:
        return aim
    _require_live_parent(session, Theme, aim.theme_id, "theme")
    family = _aim_family(session, aim)
    theme = session.get(Theme, aim.theme_id)
    _check_restorable_references(
        session,
        theme.plan_id,
        [r for r in family if isinstance(r, Action) and _deleted_with(r, aim.deleted_at)],
    )
    restore_rows(family, aim.deleted_at)
    aim.deleted_at = None
    place(live_siblings(session, Aim, [Aim.theme_id == aim.theme_id]), aim, aim.position)
    session.flush()
    return aim


# =========================================================================== actions


def parse_pounds(value: Any, field: str = "cost_pence") -> int | None:
    """ "£1,234.50" / "1234.5" / "" -> pence (123450 / None); ValidationError otherwise."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raw = str(value).strip().replace(",", "").replace("£", "").strip()
    if not raw:
        return None
    match = re.fullmatch(r"(\d{1,9})(?:\.(\d{1,2}))?", raw)
    if not match:
        raise ValidationError(
            f"'{value}' is not an amount of money such as £1,250.00.", field=field
        )
    pence = (match[2] or "").ljust(2, "0")
    return int(match[1]) * 100 + int(pence or 0)


def format_pence(pence: int | None) -> str:
    """123450 -> "£1,234.50"; None -> ""."""
    if pence is None:
        return ""
    return f"£{pence // 100:,}.{pence % 100:02d}"


def _validate_action(
    session: Session,
    plan: Plan,
    data: ActionInput,
    action_id: str | None,
    today: date | None,
) -> dict[str, Any]:
    long = {
        "outcomes": "The outcomes",
        "baseline": "The baseline",
        "performance_measure": "The performance measure",
        "outputs": "The outputs",
        "funding_source": "The funding source",
        "lead_text": "The lead agency text",
    }
    values: dict[str, Any] = {
        "text": check_text(
            data.text, field="text", label="The action's text", limit=MAX_TEXT, required=True
        ),
        "reference": check_text(
            data.reference, field="reference", label="The reference", limit=MAX_REFERENCE
        ),
    }
    for key, label in long.items():
        values[key] = check_text(getattr(data, key), field=key, label=label, limit=MAX_TEXT)
    target_text = check_text(
        data.target_text, field="target_text", label="The target date", limit=MAX_DATE_TEXT
    )
    target = dates.parse_target_date(target_text, today=today).to_storage()
    values.update(
        target_text=target.text,
        target_kind=target.kind,
        target_start=target.start,
        target_end=target.end,
    )
    cost = parse_pounds(data.cost_pence)
    if cost is not None and cost < 0:
        raise ValidationError("The cost cannot be negative.", field="cost_pence")
    values["cost_pence"] = cost
    values["status"] = check_choice(
        data.status, field="status", label="The status", choices=ACTION_STATUSES
    )
    values["rag"] = _check_rag(session, plan, data.rag)
    _check_reference_free(session, plan.id, values["reference"], action_id)
    return values


def _check_reference_free(
    session: Session, plan_id: str, reference: str, action_id: str | None
) -> None:
    if not reference:
        return
    other = session.execute(
        select(Action.reference, Action.text, Theme.title)
        .join(Theme, Theme.id == Action.theme_id)
        .where(
            Action.plan_id == plan_id,
            Action.deleted_at.is_(None),
            func.lower(func.trim(Action.reference)) == reference.lower(),
            Action.id != (action_id or ""),
        )
    ).first()
    if other is not None:
        raise ValidationError(
            f"Reference {reference} is already used in this plan by the action "
            f"'{_short(other.text, 70)}' under '{_short(other.title, 40)}'. "
            "Choose another reference.",
            field="reference",
        )


def _check_restorable_references(session: Session, plan_id: str, actions: list[Action]) -> None:
    for action in actions:
        _check_reference_free(session, plan_id, action.reference.strip(), action.id)


def _short(value: str, limit: int) -> str:
    flat = " ".join((value or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _resolve_parent(
    session: Session, theme_id: str, aim_id: str | None
) -> tuple[Theme, Aim | None, Plan]:
    theme = get_live(session, Theme, theme_id, "theme")
    plan = get_live(session, Plan, theme.plan_id, "plan")
    aim = None
    if aim_id:
        aim = get_live(session, Aim, aim_id, "aim")
        if aim.theme_id != theme.id:
            raise ValidationError("That aim belongs to another theme.", field="aim")
    return theme, aim, plan


def _action_siblings(
    session: Session, theme_id: str, aim_id: str | None, exclude: str | None = None
) -> list[Action]:
    where = [
        Action.theme_id == theme_id,
        Action.aim_id.is_(None) if aim_id is None else Action.aim_id == aim_id,
    ]
    if exclude:
        where.append(Action.id != exclude)
    return live_siblings(session, Action, where)


def create_action(
    session: Session,
    theme_id: str,
    data: ActionInput | None = None,
    *,
    aim_id: str | None = None,
    position: int | None = None,
    lead_agency_ids: Sequence[str] = (),
    support_agency_ids: Sequence[str] = (),
    today: date | None = None,
    **given: Any,
) -> Action:
    """Add an action under a theme (and optionally one of its aims).

    The target date is stored as written and as read (see :func:`target_of`); ``today``
    dates relative texts such as "this quarter".
    """
    theme, aim, plan = _resolve_parent(session, theme_id, aim_id)
    values = _validate_action(
        session, plan, _merge_input(ActionInput, data, given, ActionInput()), None, today
    )
    agencies = _check_agency_sets(session, lead_agency_ids, support_agency_ids)
    action = Action(
        plan_id=plan.id, theme_id=theme.id, aim_id=aim.id if aim else None, position=0, **values
    )
    siblings = _action_siblings(session, theme.id, action.aim_id)
    session.add(action)
    place(siblings, action, position)
    session.flush()
    _apply_agency_sets(session, action, agencies)
    session.flush()
    return action


def update_action(
    session: Session,
    action_id: str,
    data: ActionInput | None = None,
    *,
    today: date | None = None,
    **given: Any,
) -> Action:
    """Edit an action: a whole :class:`ActionInput`, or only the keyword fields given."""
    action = get_live(session, Action, action_id, "action")
    plan = get_live(session, Plan, action.plan_id, "plan")
    merged = _merge_input(ActionInput, data, given, ActionInput.from_row(action))
    values = _validate_action(session, plan, merged, action.id, today)
    if values["target_text"] == action.target_text and today is None:
        # The words did not change: keep what they were read as (a relative text such as
        # "this quarter" was dated against the day it was entered).
        for key in ("target_kind", "target_start", "target_end"):
            values[key] = getattr(action, key)
    if set_fields(action, values):
        session.flush()
    return action


def target_of(action: Action | Milestone) -> dates.TargetDate:
    """How an action's target (or a milestone's due date) was read, with its note."""
    if isinstance(action, Milestone):
        stored = (action.due_text, action.due_kind, action.due_start, action.due_end)
    else:
        stored = (action.target_text, action.target_kind, action.target_start, action.target_end)
    reread = dates.parse_target_date(stored[0])
    if tuple(reread.to_storage()) == stored:
        return reread
    return dates.TargetDate.from_storage(*stored)


def preview_target_date(text_value: str, today: date | None = None) -> dates.TargetDate:
    """What a target-date text would be read as (for the editor, as the user types)."""
    return dates.parse_target_date(text_value, today=today)


def move_action(
    session: Session,
    action_id: str,
    *,
    theme_id: str | None = None,
    aim_id: str | None | type[...] = ...,
    to_index: int | None = None,
) -> Action:
    """Move an action to another theme / aim of the same plan and/or another position.

    ``aim_id`` left out keeps the current aim if the theme does not change (and no aim if
    it does); ``aim_id=None`` puts the action directly under the theme.
    """
    action = get_live(session, Action, action_id, "action")
    new_theme_id = theme_id or action.theme_id
    if aim_id is ...:
        new_aim_id = action.aim_id if new_theme_id == action.theme_id else None
    else:
        new_aim_id = aim_id  # type: ignore[assignment]
    theme, aim, plan = _resolve_parent(session, new_theme_id, new_aim_id)
    if plan.id != action.plan_id:
        raise ValidationError(
            "An action can only move within its own plan; copy the plan forward to carry "
            "actions into next year's plan.",
            field="theme",
        )
    old_group = (action.theme_id, action.aim_id)
    new_group = (theme.id, aim.id if aim else None)
    if old_group != new_group:
        action.theme_id, action.aim_id = new_group
        remaining = _action_siblings(session, old_group[0], old_group[1], exclude=action.id)
        for i, row in enumerate(remaining):
            if row.position != i:
                row.position = i
    place(
        _action_siblings(session, new_group[0], new_group[1], exclude=action.id), action, to_index
    )
    session.flush()
    return action


def tombstone_action(session: Session, action_id: str) -> int:
    """Mark an action, its agency links, updates and milestones deleted."""
    action = get_live(session, Action, action_id, "action")
    when = now()
    n = tombstone_rows(_action_children(session, [action.id]), when)
    action.deleted_at = when
    session.flush()
    return n + 1


def restore_action(session: Session, action_id: str) -> Action:
    """Bring back a deleted action with what was deleted with it."""
    action = get_any(session, Action, action_id, "action")
    if action.deleted_at is None:
        return action
    _require_live_parent(session, Theme, action.theme_id, "theme")
    _require_live_parent(session, Aim, action.aim_id, "aim")
    _check_reference_free(session, action.plan_id, action.reference.strip(), action.id)
    restore_rows(_action_children(session, [action.id]), action.deleted_at)
    action.deleted_at = None
    place(
        _action_siblings(session, action.theme_id, action.aim_id, exclude=action.id),
        action,
        action.position,
    )
    _sync_current_rag(session, action)
    session.flush()
    return action


def get_action(session: Session, action_id: str) -> Action:
    return get_live(session, Action, action_id, "action")


# --------------------------------------------------------------------------- agency links


def _check_agency_sets(
    session: Session, lead_ids: Sequence[str], support_ids: Sequence[str]
) -> list[tuple[str, str]]:
    wanted: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    for role, ids in (("lead", lead_ids), ("support", support_ids)):
        for agency_id in ids or ():
            agency = get_live(session, Agency, agency_id, "agency")
            if agency.id in seen:
                what = "leads" if seen[agency.id] == "lead" else "supports"
                raise ValidationError(
                    f"{agency.name} is listed twice: it already {what} this action.",
                    field="lead_agencies" if role == "lead" else "support_agencies",
                )
            seen[agency.id] = role
            wanted.append((agency.id, role))
    return wanted


def _live_links(session: Session, action_id: str) -> list[ActionAgency]:
    return list(
        session.scalars(
            select(ActionAgency)
            .where(ActionAgency.action_id == action_id, ActionAgency.deleted_at.is_(None))
            .order_by(ActionAgency.role, ActionAgency.position, ActionAgency.created_at)
        )
    )


def _apply_agency_sets(session: Session, action: Action, wanted: list[tuple[str, str]]) -> None:
    current = {(link.agency_id, link.role): link for link in _live_links(session, action.id)}
    when = now()
    for key, link in current.items():
        if key not in wanted:
            link.deleted_at = when
    counters = {"lead": 0, "support": 0}
    for agency_id, role in wanted:
        link = current.get((agency_id, role))
        if link is None:
            link = ActionAgency(
                action_id=action.id, agency_id=agency_id, role=role, position=counters[role]
            )
            session.add(link)
        elif link.position != counters[role]:
            link.position = counters[role]
        counters[role] += 1


def set_action_agencies(
    session: Session,
    action_id: str,
    lead_agency_ids: Sequence[str],
    support_agency_ids: Sequence[str] = (),
) -> list[ActionAgency]:
    """Make these (in this order) the action's lead and supporting agencies.

    Links no longer wanted are marked deleted; an agency cannot both lead and support.
    """
    action = get_live(session, Action, action_id, "action")
    wanted = _check_agency_sets(session, lead_agency_ids, support_agency_ids)
    _apply_agency_sets(session, action, wanted)
    session.flush()
    return _live_links(session, action.id)


def add_action_agency(
    session: Session,
    action_id: str,
    agency_id: str,
    role: str = "lead",
    position: int | None = None,
) -> ActionAgency:
    """Link one more agency to an action as lead or support."""
    action = get_live(session, Action, action_id, "action")
    agency = get_live(session, Agency, agency_id, "agency")
    role = check_choice(role, field="role", label="The role", choices=AGENCY_ROLES)
    links = _live_links(session, action.id)
    for link in links:
        if link.agency_id == agency.id:
            what = "leads" if link.role == "lead" else "supports"
            raise ValidationError(f"{agency.name} already {what} this action.", field="agency")
    link = ActionAgency(action_id=action.id, agency_id=agency.id, role=role, position=0)
    session.add(link)
    place([x for x in links if x.role == role], link, position)
    session.flush()
    return link


def agency_links(session: Session, action_id: str) -> list[ActionAgency]:
    """The action's live agency links: leads first, each in order."""
    return _live_links(session, action_id)


def tombstone_action_agency(session: Session, link_id: str) -> None:
    link = get_live(session, ActionAgency, link_id, "agency link")
    link.deleted_at = now()
    session.flush()


def restore_action_agency(session: Session, link_id: str) -> ActionAgency:
    link = get_any(session, ActionAgency, link_id, "agency link")
    if link.deleted_at is None:
        return link
    _require_live_parent(session, Action, link.action_id, "action")
    _require_live_parent(session, Agency, link.agency_id, "agency")
    if any(x.agency_id == link.agency_id for x in _live_links(session, link.action_id)):
        raise ValidationError("That agency is already linked to the action again.", field="agency")
    link.deleted_at = None
    session.flush()
    return link


# =========================================================================== progress updates


def _validate_update(session: Session, plan: Plan, data: UpdateInput) -> dict[str, Any]:
    text_value = check_text(
        data.text, field="text", label="The progress update", limit=MAX_PROGRESS, strip=False
    ).strip()
    rag = _check_rag(session, plan, data.rag)
    if not text_value and not rag:
        raise ValidationError(
            "Write what progress has been made, or give a RAG rating.", field="text"
        )
    agency_id = data.agency_id or None
    if agency_id:
        get_live(session, Agency, agency_id, "agency")
    return {
        "update_date": check_date(
            data.update_date, field="update_date", label="The date of the update"
        )
        or date.today(),
        "text": text_value,
        "author": check_text(data.author, field="author", label="The author", limit=MAX_PERSON)
        or user_of(session),
        "agency_id": agency_id,
        "rag": rag,
    }


def _sync_current_rag(session: Session, action: Action) -> None:
    """Current RAG = the RAG of the latest live update that gives one."""
    latest = session.scalar(
        select(ProgressUpdate.rag)
        .where(
            ProgressUpdate.action_id == action.id,
            ProgressUpdate.deleted_at.is_(None),
            ProgressUpdate.rag != "",
        )
        .order_by(ProgressUpdate.update_date.desc(), ProgressUpdate.created_at.desc())
        .limit(1)
    )
    if latest and action.rag != latest:
        action.rag = latest


def add_progress_update(
    session: Session, action_id: str, data: UpdateInput | None = None, **given: Any
) -> ProgressUpdate:
    """Add a dated progress update.  The action's current RAG follows the latest update
    that gives one; ``status`` (if given) is set on the action too."""
    action = get_live(session, Action, action_id, "action")
    plan = get_live(session, Plan, action.plan_id, "plan")
    merged = _merge_input(UpdateInput, data, given, UpdateInput())
    values = _validate_update(session, plan, merged)
    status = None
    if merged.status:
        status = check_choice(
            merged.status, field="status", label="The status", choices=ACTION_STATUSES
        )
    row = ProgressUpdate(action_id=action.id, **values)
    session.add(row)
    session.flush()
    _sync_current_rag(session, action)
    if status and action.status != status:
        action.status = status
    session.flush()
    return row


def update_progress_update(
    session: Session, update_id: str, data: UpdateInput | None = None, **given: Any
) -> ProgressUpdate:
    row = get_live(session, ProgressUpdate, update_id, "progress update")
    action = get_live(session, Action, row.action_id, "action")
    plan = get_live(session, Plan, action.plan_id, "plan")
    merged = _merge_input(UpdateInput, data, given, UpdateInput.from_row(row))
    values = _validate_update(session, plan, merged)
    if merged.status:
        action.status = check_choice(
            merged.status, field="status", label="The status", choices=ACTION_STATUSES
        )
    if set_fields(row, values):
        session.flush()
    _sync_current_rag(session, action)
    session.flush()
    return row


def tombstone_progress_update(session: Session, update_id: str) -> None:
    row = get_live(session, ProgressUpdate, update_id, "progress update")
    row.deleted_at = now()
    session.flush()
    action = session.get(Action, row.action_id)
    if action is not None:
        _sync_current_rag(session, action)
        session.flush()


def restore_progress_update(session: Session, update_id: str) -> ProgressUpdate:
    row = get_any(session, ProgressUpdate, update_id, "progress update")
    if row.deleted_at is None:
        return row
    _require_live_parent(session, Action, row.action_id, "action")
    row.deleted_at = None
    session.flush()
    _sync_current_rag(session, session.get(Action, row.action_id))
    session.flush()
    return row


def progress_history(session: Session, action_id: str) -> list[ProgressUpdate]:
    """The action's live updates, newest first (the first is "progress to date")."""
    return list(
        session.scalars(
            select(ProgressUpdate)
            .where(ProgressUpdate.action_id == action_id, ProgressUpdate.deleted_at.is_(None))
            .order_by(ProgressUpdate.update_date.desc(), ProgressUpdate.created_at.desc())
        )
    )


def progress_to_date(session: Session, action_id: str) -> ProgressUpdate | None:
    """The latest live update of an action, or None."""
    history = session.scalars(
        select(ProgressUpdate)
        .where(ProgressUpdate.action_id == action_id, ProgressUpdate.deleted_at.is_(None))
        .order_by(ProgressUpdate.update_date.desc(), ProgressUpdate.created_at.desc())
        .limit(1)
    )
    return history.first()


# =========================================================================== generic edits

_KINDS: dict[str, type] = {
    "plan": Plan,
    "plan_change": PlanChange,
    "theme": Theme,
    "aim": Aim,
    "action": Action,
    "action_agency": ActionAgency,
    "progress_update": ProgressUpdate,
    "milestone": Milestone,
    "agency": Agency,
}


def kind_of(row: Any) -> str:
    """The kind name (``"action"``, ``"theme"``...) of a plan row, for the generic calls."""
    for name, model in _KINDS.items():
        if isinstance(row, model):
            return name
    raise ValueError(f"not an action-plan row: {type(row).__name__}")


def tombstone(session: Session, kind: str, row_id: str, **options: Any) -> int:
    """Mark any plan row deleted, with everything under it (see the ``tombstone_*``)."""
    from dvcoord.services import agencies, milestones

    handlers = {
        "plan": tombstone_plan,
        "plan_change": tombstone_plan_change,
        "theme": tombstone_theme,
        "aim": tombstone_aim,
        "action": tombstone_action,
        "action_agency": tombstone_action_agency,
        "progress_update": tombstone_progress_update,
        "milestone": milestones.tombstone_milestone,
        "agency": agencies.tombstone_agency,
    }
    result = handlers[kind](session, row_id, **options)
    return result if isinstance(result, int) else 1


def restore(session: Session, kind: str, row_id: str) -> Any:
    """Restore any plan row with what was deleted with it (see the ``restore_*``)."""
    from dvcoord.services import agencies, milestones

    handlers = {
        "plan": restore_plan,
        "plan_change": restore_plan_change,
        "theme": restore_theme,
        "aim": restore_aim,
        "action": restore_action,
        "action_agency": restore_action_agency,
        "progress_update": restore_progress_update,
        "milestone": milestones.restore_milestone,
        "agency": agencies.restore_agency,
    }
    return handlers[kind](session, row_id)


def _siblings_of(session: Session, row: Any) -> list[Any]:
    if isinstance(row, Theme):
        return live_siblings(session, Theme, [Theme.plan_id == row.plan_id])
    if isinstance(row, Aim):
        return live_siblings(session, Aim, [Aim.theme_id == row.theme_id])
    if isinstance(row, Action):
        return _action_siblings(session, row.theme_id, row.aim_id)
    if isinstance(row, Milestone):
        return live_siblings(session, Milestone, [Milestone.action_id == row.action_id])
    if isinstance(row, ActionAgency):
        return live_siblings(
            session,
            ActionAgency,
            [ActionAgency.action_id == row.action_id, ActionAgency.role == row.role],
        )
    raise ValidationError(f"{type(row).__name__} rows have no order to change.")


def reorder(session: Session, kind: str, row_id: str, to_index: int) -> int:
    """Move a theme, aim, action, milestone or agency link to ``to_index`` among its
    siblings (0 = first; past the end = last).  Returns its new index."""
    row = get_live(session, _KINDS[kind], row_id, kind.replace("_", " "))
    siblings = _siblings_of(session, row)
    place(siblings, row, to_index)
    session.flush()
    return row.position


def move_up(session: Session, kind: str, row_id: str) -> int:
    """Move a row one place earlier among its siblings (no change if it is first)."""
    row = get_live(session, _KINDS[kind], row_id, kind.replace("_", " "))
    siblings = _siblings_of(session, row)
    index = siblings.index(row)
    return reorder(session, kind, row_id, max(0, index - 1))


def move_down(session: Session, kind: str, row_id: str) -> int:
    """Move a row one place later among its siblings (no change if it is last)."""
    row = get_live(session, _KINDS[kind], row_id, kind.replace("_", " "))
    siblings = _siblings_of(session, row)
    index = siblings.index(row)
    return reorder(session, kind, row_id, min(len(siblings) - 1, index + 1))


# =========================================================================== copy forward

_FY_IN_TEXT = re.compile(r"(?<!\d)(\d{4})(\s*[/-]\s*)(\d{2}|\d{4})(?!\d)")


def bump_title(title: str, years: int = 1, from_fy: int | None = None) -> str:
    """Move the financial years (or, failing that, the plan's year) named in a title on.

    "DA action plan 2013/14" -> "DA action plan 2014/15"; "Plan 2007" (from_fy 2007) ->
    "Plan 2008"; a title naming no year gets the new plan year added.
    """

    def fy(match: re.Match[str]) -> str:
        first, sep, second = int(match[1]), match[2], match[3]
        if (first + 1) % (100 if len(second) == 2 else 10_000) != int(second):
            return match[0]
        new_first = first + years
        new_second = new_first + 1
        shown = f"{new_second % 100:02d}" if len(second) == 2 else str(new_second)
        return f"{new_first}{sep}{shown}"

    bumped, n = _FY_IN_TEXT.subn(fy, title)
    if bumped != title:
        return bumped
    if from_fy is not None:
        year_re = re.compile(rf"(?<!\d)({from_fy}|{from_fy + 1})(?!\d)")
        if year_re.search(title):
            return year_re.sub(lambda m: str(int(m[1]) + years), title)
        return f"{title} {dates.fy_label(from_fy + years)}"
    return title


@dataclass(frozen=True)
class CopyResult:
    plan: Plan
    actions_carried: int
    milestones_carried: int
    updates_copied: int
    actions_left: int  # complete or dropped: stay in the old plan only


def copy_plan_forward(
    session: Session,
    plan_id: str,
    *,
    title: str | None = None,
    plan_from_fy: int | None = None,
    plan_to_fy: int | None = None,
    today: date | None = None,
    archive_previous: bool = False,
) -> CopyResult:
    """Start next year's plan from this one.

    The new plan gets the title and plan period moved on one financial year (or those
    given), the same partnership, strategy period, RAG key, owner and marking; every live
    theme and aim; and every OPEN action (status other than complete or dropped) with
    its agencies, its open milestones and its latest progress update as the starting
    update.  Carried actions point back with ``carried_from_id``.  The old plan is left
    as it was (its history intact; ``archive_previous`` marks it archived) and both plans
    get a change-history row.
    """
    old = get_live(session, Plan, plan_id, "plan")
    today = today or date.today()
    years = 1
    if plan_from_fy is None:
        plan_from_fy = (
            (old.plan_from_fy + 1)
            if old.plan_from_fy is not None
            else (dates.financial_year_of(today))
        )
    else:
        plan_from_fy = _check_fy(plan_from_fy, "plan_from_fy", "The new plan's first year")
    if old.plan_from_fy is not None:
        years = plan_from_fy - old.plan_from_fy
        if years <= 0:
            raise ValidationError(
                f"The new plan must start after {dates.fy_label(old.plan_from_fy)}.",
                field="plan_from_fy",
            )
    if plan_to_fy is None:
        span = (
            (old.plan_to_fy - old.plan_from_fy)
            if (old.plan_to_fy is not None and old.plan_from_fy is not None)
            else 0
        )
        plan_to_fy = plan_from_fy + max(0, span)
    new_title = title if title is not None else bump_title(old.title, years, old.plan_from_fy)
    strategy_to = old.strategy_to_fy
    if strategy_to is not None and plan_to_fy > strategy_to:
        strategy_to = plan_to_fy
    new_values = _validate_plan(
        PlanInput(
            title=new_title,
            partnership=old.partnership,
            strategy_from_fy=old.strategy_from_fy,
            strategy_to_fy=strategy_to,
            plan_from_fy=plan_from_fy,
            plan_to_fy=plan_to_fy,
            status="draft",
            version_label="1.0",
            owner=old.owner,
            marking=old.marking,
            description=old.description,
        )
    )
    new = Plan(rag_key=old.rag_key, predecessor_id=old.id, **new_values)
    session.add(new)
    session.flush()

    theme_map: dict[str, str] = {}
    aim_map: dict[str, str] = {}
    for theme in live_siblings(session, Theme, [Theme.plan_id == old.id]):
        copy = Theme(
            id=uuid7(),
            plan_id=new.id,
            position=theme.position,
            code=theme.code,
            title=theme.title,
            key_objective=theme.key_objective,
        )
        session.add(copy)
        theme_map[theme.id] = copy.id
        for aim in live_siblings(session, Aim, [Aim.theme_id == theme.id]):
            aim_copy = Aim(
                id=uuid7(),
                theme_id=copy.id,
                position=aim.position,
                reference=aim.reference,
                text=aim.text,
            )
            session.add(aim_copy)
            aim_map[aim.id] = aim_copy.id

    actions = list(
        session.scalars(
            select(Action)
            .where(
                Action.plan_id == old.id,
                Action.deleted_at.is_(None),
                Action.theme_id.in_(list(theme_map) or [""]),
            )
            .order_by(Action.theme_id, Action.aim_id, Action.position)
        )
    )
    carried = [
        a
        for a in actions
        if a.status not in CLOSED_STATUSES and (a.aim_id is None or a.aim_id in aim_map)
    ]
    copied_fields = [f.name for f in fields(ActionInput)] + [
        "target_kind",
        "target_start",
        "target_end",
    ]
    n_milestones = n_updates = 0
    old_ids = [a.id for a in carried]
    by_action: dict[str, list[Any]] = {}
    for child in _action_children(session, old_ids):
        if child.deleted_at is None:
            by_action.setdefault(child.action_id, []).append(child)
    live_agencies = set(session.scalars(select(Agency.id).where(Agency.deleted_at.is_(None))))
    for action in carried:
        copy = Action(
            id=uuid7(),
            plan_id=new.id,
            theme_id=theme_map[action.theme_id],
            aim_id=aim_map.get(action.aim_id) if action.aim_id else None,
            position=action.position,
            carried_from_id=action.id,
            **{name: getattr(action, name) for name in copied_fields},
        )
        session.add(copy)
        mine = by_action.get(action.id, [])
        for link in sorted(
            (c for c in mine if isinstance(c, ActionAgency)), key=lambda c: (c.role, c.position)
        ):
            if link.agency_id in live_agencies:
                session.add(
                    ActionAgency(
                        action_id=copy.id,
                        agency_id=link.agency_id,
                        role=link.role,
                        position=link.position,
                    )
                )
        for milestone in sorted(
            (c for c in mine if isinstance(c, Milestone)), key=lambda c: c.position
        ):
            if milestone.status != "open":
                continue
            session.add(
                Milestone(
                    action_id=copy.id,
                    position=milestone.position,
                    text=milestone.text,
                    due_text=milestone.due_text,
                    due_kind=milestone.due_kind,
                    due_start=milestone.due_start,
                    due_end=milestone.due_end,
                    status="open",
                )
            )
            n_milestones += 1
        updates = sorted(
            (c for c in mine if isinstance(c, ProgressUpdate)),
            key=lambda c: (c.update_date, _utc(c.created_at)),
        )
        if updates:
            latest = updates[-1]
            session.add(
                ProgressUpdate(
                    action_id=copy.id,
                    update_date=latest.update_date,
                    author=latest.author,
                    agency_id=latest.agency_id,
                    text=latest.text,
                    rag=latest.rag,
                )
            )
            n_updates += 1
    editor = user_of(session)
    old_label = _plan_label(old)
    new_label = _plan_label(new)
    session.add(
        PlanChange(
            plan_id=new.id,
            version=new.version_label,
            changed_on=today,
            editor=editor,
            summary=(
                f"Copied forward from {old_label}: {len(carried)} open "
                f"action{'s' if len(carried) != 1 else ''} carried over with "
                f"{n_milestones} open milestone{'s' if n_milestones != 1 else ''}."
            ),
        )
    )
    session.add(
        PlanChange(
            plan_id=old.id,
            version=old.version_label,
            changed_on=today,
            editor=editor,
            summary=(
                f"Copied forward to {new_label}: {len(carried)} open "
                f"action{'s' if len(carried) != 1 else ''} carried over."
            ),
        )
    )
    if archive_previous and old.status != "archived":
        old.status = "archived"
    session.flush()
    return CopyResult(new, len(carried), n_milestones, n_updates, len(actions) - len(carried))


def _plan_label(plan: Plan) -> str:
    label = f"'{plan.title}'"
    if plan.plan_from_fy is not None:
        period = dates.fy_label(plan.plan_from_fy)
        if plan.plan_to_fy not in (None, plan.plan_from_fy):
            period += f" to {dates.fy_label(plan.plan_to_fy)}"
        if period not in plan.title:
            label += f" ({period})"
    return label


# =========================================================================== queries


def _d(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True, slots=True)
class ActionRow:
    """One action, flattened for tables, filters and reports."""

    id: str
    plan_id: str
    plan_title: str
    theme_id: str
    theme_code: str
    theme_title: str
    theme_position: int
    aim_id: str | None
    aim_reference: str
    aim_text: str
    aim_position: int
    position: int
    reference: str
    text: str
    lead_text: str
    lead_agencies: str
    support_agencies: str
    target_text: str
    target_kind: str
    target_start: date | None
    target_end: date | None
    outcomes: str
    status: str
    rag: str
    latest_update_date: date | None
    latest_update_text: str
    latest_update_author: str
    open_milestones: int
    next_milestone_due: date | None
    carried_from_id: str | None

    @property
    def lead_display(self) -> str:
        """The lead as written in the plan, else the linked lead agencies."""
        return self.lead_text or self.lead_agencies

    @property
    def target_flagged(self) -> bool:
        return self.target_kind == dates.DateKind.UNREADABLE.value

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def matches(self, words: str) -> bool:
        """In-memory filter-as-you-type: every word appears in the reference, text,
        outcomes, lead (as written or linked), target or latest progress."""
        haystack = "\n".join(
            (
                self.reference,
                self.text,
                self.outcomes,
                self.lead_text,
                self.lead_agencies,
                self.support_agencies,
                self.target_text,
                self.latest_update_text,
                self.theme_title,
                self.aim_reference,
            )
        ).casefold()
        return all(w in haystack for w in words.casefold().split())


_ACTION_SQL = """
SELECT a.id, a.plan_id, p.title, a.theme_id, t.code, t.title, t.position,
       a.aim_id, COALESCE(am.reference, ''), COALESCE(am.text, ''),
       COALESCE(am.position, -1),
       a.position, a.reference, a.text, a.lead_text,
       COALESCE((SELECT group_concat(name, '; ') FROM (
           SELECT ag.name AS name FROM action_agency aa JOIN agency ag ON ag.id = aa.agency_id
           WHERE aa.action_id = a.id AND aa.role = 'lead' AND aa.deleted_at IS NULL
             AND ag.deleted_at IS NULL ORDER BY aa.position, aa.created_at)), ''),
       COALESCE((SELECT group_concat(name, '; ') FROM (
           SELECT ag.name AS name FROM action_agency aa JOIN agency ag ON ag.id = aa.agency_id
           WHERE aa.action_id = a.id AND aa.role = 'support' AND aa.deleted_at IS NULL
             AND ag.deleted_at IS NULL ORDER BY aa.position, aa.created_at)), ''),
       a.target_text, a.target_kind, a.target_start, a.target_end, a.outcomes, a.status, a.rag,
       lu.update_date, COALESCE(lu.text, ''), COALESCE(lu.author, ''),
       (SELECT count(*) FROM milestone m WHERE m.action_id = a.id AND m.deleted_at IS NULL
          AND m.status = 'open'),
       (SELECT min(m.due_end) FROM milestone m WHERE m.action_id = a.id
          AND m.deleted_at IS NULL AND m.status = 'open'),
       a.carried_from_id
FROM action a
JOIN plan p ON p.id = a.plan_id AND p.deleted_at IS NULL
JOIN theme t ON t.id = a.theme_id AND t.deleted_at IS NULL
LEFT JOIN aim am ON am.id = a.aim_id
LEFT JOIN progress_update lu ON lu.id = (
    SELECT pu.id FROM progress_update pu
    WHERE pu.action_id = a.id AND pu.deleted_at IS NULL
    ORDER BY pu.update_date DESC, pu.created_at DESC LIMIT 1)
WHERE a.deleted_at IS NULL AND (a.aim_id IS NULL OR am.deleted_at IS NULL)
"""

_SEARCH_SQL = """(
    a.reference LIKE :{w} ESCAPE '\\' OR a.text LIKE :{w} ESCAPE '\\'
    OR a.outcomes LIKE :{w} ESCAPE '\\' OR a.lead_text LIKE :{w} ESCAPE '\\'
    OR EXISTS (SELECT 1 FROM action_agency aa JOIN agency ag ON ag.id = aa.agency_id
               WHERE aa.action_id = a.id AND aa.deleted_at IS NULL
                 AND ag.name LIKE :{w} ESCAPE '\\')
    OR EXISTS (SELECT 1 FROM progress_update pu
               WHERE pu.action_id = a.id AND pu.deleted_at IS NULL
                 AND pu.text LIKE :{w} ESCAPE '\\'))"""


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def action_rows(
    session: Session,
    plan_id: str | None = None,
    *,
    rag: str | Iterable[str] | None = None,
    status: str | Iterable[str] | None = None,
    agency_id: str | None = None,
    agency_role: str | None = None,
    theme_id: str | None = None,
    aim_id: str | None = None,
    search: str | None = None,
    open_only: bool = False,
    include_archived: bool = True,
) -> list[ActionRow]:
    """Live actions as flat rows, in plan order (theme, aim, position): one SQL query.

    Filters combine with AND: ``rag`` / ``status`` (one value or several; ``rag=""``
    finds unrated actions), ``agency_id`` (lead or support, or only ``agency_role``),
    ``theme_id``, ``aim_id``, ``search`` (every word must appear in the reference, text,
    outcomes, lead text, a linked agency's name or any progress update), ``open_only``
    (not complete or dropped).
    """
    sql = [_ACTION_SQL]
    params: dict[str, Any] = {}
    if plan_id is not None:
        sql.append("AND a.plan_id = :plan_id")
        params["plan_id"] = plan_id
    if not include_archived:
        sql.append("AND p.status != 'archived'")
    for name, column, values in (
        ("rag", "a.rag", _as_tuple(rag)),
        ("status", "a.status", _as_tuple(status)),
    ):
        if values is not None:
            keys = []
            for i, value in enumerate(values):
                params[f"{name}{i}"] = value
                keys.append(f":{name}{i}")
            sql.append(f"AND {column} IN ({', '.join(keys) or 'NULL'})")
    if open_only:
        sql.append("AND a.status NOT IN ('complete', 'dropped')")
    if theme_id is not None:
        sql.append("AND a.theme_id = :theme_id")
        params["theme_id"] = theme_id
    if aim_id is not None:
        sql.append("AND a.aim_id = :aim_id")
        params["aim_id"] = aim_id
    if agency_id is not None:
        role = ""
        if agency_role:
            role = "AND x.role = :agency_role"
            params["agency_role"] = agency_role
        sql.append(
            "AND EXISTS (SELECT 1 FROM action_agency x WHERE x.action_id = a.id "
            f"AND x.agency_id = :agency_id AND x.deleted_at IS NULL {role})"
        )
        params["agency_id"] = agency_id
    for i, word in enumerate((search or "").split()):
        sql.append("AND " + _SEARCH_SQL.replace("{w}", f"w{i}"))
        params[f"w{i}"] = _like(word)
    sql.append(
        "ORDER BY p.plan_from_fy DESC, p.title, p.id, t.position, "
        "COALESCE(am.position, -1), a.position, a.created_at"
    )
    rows = session.execute(text("\n".join(sql)), params).all()
    return [
        ActionRow(
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
            r[11],
            r[12],
            r[13],
            r[14],
            r[15],
            r[16],
            r[17],
            r[18],
            _d(r[19]),
            _d(r[20]),
            r[21],
            r[22],
            r[23],
            _d(r[24]),
            r[25],
            r[26],
            r[27],
            _d(r[28]),
            r[29],
        )
        for r in rows
    ]


def search_actions(session: Session, words: str, plan_id: str | None = None) -> list[ActionRow]:
    """Actions whose reference, text, outcomes, lead or progress hold every word."""
    return action_rows(session, plan_id, search=words)


def actions_by_rag(
    session: Session, rag: str | Iterable[str], plan_id: str | None = None
) -> list[ActionRow]:
    return action_rows(session, plan_id, rag=rag)


def actions_by_status(
    session: Session, status: str | Iterable[str], plan_id: str | None = None
) -> list[ActionRow]:
    return action_rows(session, plan_id, status=status)


def actions_by_agency(
    session: Session, agency_id: str, role: str | None = None, plan_id: str | None = None
) -> list[ActionRow]:
    return action_rows(session, plan_id, agency_id=agency_id, agency_role=role)


def actions_by_theme(session: Session, theme_id: str) -> list[ActionRow]:
    return action_rows(session, theme_id=theme_id)


# --------------------------------------------------------------------------- plan tree


@dataclass(frozen=True)
class AimNode:
    id: str
    reference: str
    text: str
    position: int
    actions: tuple[ActionRow, ...]


@dataclass(frozen=True)
class ThemeNode:
    id: str
    code: str
    title: str
    key_objective: str
    position: int
    aims: tuple[AimNode, ...]
    actions: tuple[ActionRow, ...]  # directly under the theme (no aim)

    def all_actions(self) -> list[ActionRow]:
        out = list(self.actions)
        for aim in self.aims:
            out.extend(aim.actions)
        return out


@dataclass(frozen=True)
class PlanTree:
    plan_id: str
    title: str
    themes: tuple[ThemeNode, ...]

    @property
    def action_count(self) -> int:
        return sum(len(t.all_actions()) for t in self.themes)


def plan_tree(session: Session, plan_id: str) -> PlanTree:
    """Themes > aims > actions of a plan, in order, in three queries."""
    plan = get_live(session, Plan, plan_id, "plan")
    themes = session.execute(
        select(Theme.id, Theme.code, Theme.title, Theme.key_objective, Theme.position)
        .where(Theme.plan_id == plan.id, Theme.deleted_at.is_(None))
        .order_by(Theme.position, Theme.created_at)
    ).all()
    aims = session.execute(
        select(Aim.id, Aim.theme_id, Aim.reference, Aim.text, Aim.position)
        .join(Theme, Theme.id == Aim.theme_id)
        .where(Theme.plan_id == plan.id, Aim.deleted_at.is_(None))
        .order_by(Aim.position, Aim.created_at)
    ).all()
    by_group: dict[tuple[str, str | None], list[ActionRow]] = {}
    for row in action_rows(session, plan.id):
        by_group.setdefault((row.theme_id, row.aim_id), []).append(row)
    nodes = []
    for t in themes:
        aim_nodes = tuple(
            AimNode(a.id, a.reference, a.text, a.position, tuple(by_group.get((t.id, a.id), ())))
            for a in aims
            if a.theme_id == t.id
        )
        nodes.append(
            ThemeNode(
                t.id,
                t.code,
                t.title,
                t.key_objective,
                t.position,
                aim_nodes,
                tuple(by_group.get((t.id, None), ())),
            )
        )
    return PlanTree(plan.id, plan.title, tuple(nodes))


# --------------------------------------------------------------------------- RAG counts


@dataclass(frozen=True)
class RagCount:
    plan_id: str
    plan_title: str
    theme_id: str | None = None
    theme_title: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # letter ("" = unrated) -> n

    def __getitem__(self, letter: str) -> int:
        return self.counts.get(letter, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def line(self, letters: Sequence[str] = ("R", "A", "G", "B")) -> str:
        parts = [
            f"{letter} {self[letter]}" for letter in letters if self[letter] or letter in "RAG"
        ]
        if self[""]:
            parts.append(f"unrated {self['']}")
        return " · ".join(parts)


def rag_counts_by_theme(session: Session, plan_id: str) -> list[RagCount]:
    """Live actions of each live theme of a plan by current RAG, in theme order."""
    plan = get_live(session, Plan, plan_id, "plan")
    rows = session.execute(
        select(Theme.id, Theme.title, Action.rag, func.count(Action.id))
        .outerjoin(Action, (Action.theme_id == Theme.id) & Action.deleted_at.is_(None))
        .where(Theme.plan_id == plan.id, Theme.deleted_at.is_(None))
        .group_by(Theme.id, Action.rag)
        .order_by(Theme.position, Theme.created_at)
    ).all()
    out: dict[str, RagCount] = {}
    for theme_id, title, rag, n in rows:
        entry = out.setdefault(theme_id, RagCount(plan.id, plan.title, theme_id, title, {}))
        if rag is not None and n:
            entry.counts[rag] = n
    return list(out.values())


def rag_counts_by_plan(session: Session, *, include_archived: bool = False) -> list[RagCount]:
    """Live actions of each live plan by current RAG (one query)."""
    query = (
        select(Plan.id, Plan.title, Action.rag, func.count(Action.id))
        .outerjoin(Action, (Action.plan_id == Plan.id) & Action.deleted_at.is_(None))
        .where(Plan.deleted_at.is_(None))
        .group_by(Plan.id, Action.rag)
        .order_by(Plan.plan_from_fy.desc().nulls_last(), Plan.title)
    )
    if not include_archived:
        query = query.where(Plan.status != "archived")
    out: dict[str, RagCount] = {}
    for plan_id, title, rag, n in session.execute(query):
        entry = out.setdefault(plan_id, RagCount(plan_id, title, None, "", {}))
        if rag is not None and n:
            entry.counts[rag] = n
    return list(out.values())


# --------------------------------------------------------------------------- recent updates


@dataclass(frozen=True, slots=True)
class UpdateRow:
    id: str
    action_id: str
    action_reference: str
    action_text: str
    plan_id: str
    plan_title: str
    update_date: date
    author: str
    agency_name: str
    text: str
    rag: str


def recent_updates(
    session: Session,
    *,
    since: date | None = None,
    until: date | None = None,
    plan_id: str | None = None,
    limit: int | None = 50,
) -> list[UpdateRow]:
    """Live progress updates of live actions, newest first (one query)."""
    query = (
        select(
            ProgressUpdate.id,
            Action.id,
            Action.reference,
            Action.text,
            Plan.id,
            Plan.title,
            ProgressUpdate.update_date,
            ProgressUpdate.author,
            func.coalesce(Agency.name, ""),
            ProgressUpdate.text,
            ProgressUpdate.rag,
        )
        .join(Action, Action.id == ProgressUpdate.action_id)
        .join(Plan, Plan.id == Action.plan_id)
        .outerjoin(Agency, Agency.id == ProgressUpdate.agency_id)
        .where(
            ProgressUpdate.deleted_at.is_(None),
            Action.deleted_at.is_(None),
            Plan.deleted_at.is_(None),
        )
        .order_by(ProgressUpdate.update_date.desc(), ProgressUpdate.created_at.desc())
    )
    if since is not None:
        query = query.where(ProgressUpdate.update_date >= since)
    if until is not None:
        query = query.where(ProgressUpdate.update_date <= until)
    if plan_id is not None:
        query = query.where(Action.plan_id == plan_id)
    if limit is not None:
        query = query.limit(limit)
    return [UpdateRow(*row) for row in session.execute(query)]


# --------------------------------------------------------------------------- changed since


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: Any
    after: Any

    def describe(self) -> str:
        if self.field in _LONG_FIELDS:
            return f"{self.label} changed"
        return f"{self.label}: {_show(self.before)} → {_show(self.after)}"


@dataclass(frozen=True)
class ChangeRow:
    """One audited change to an action, progress update or milestone (or plan, theme,
    aim) since a date, with its plan and action for context."""

    at: datetime
    user: str
    table: str
    row_id: str
    action: str  # insert, update, tombstone, restore, merge
    plan_id: str
    plan_title: str
    action_id: str
    action_reference: str
    description: str
    changes: tuple[FieldChange, ...] = ()


_FIELD_LABELS = {
    "rag": "RAG",
    "status": "Status",
    "text": "Text",
    "reference": "Reference",
    "lead_text": "Lead agency",
    "target_text": "Target date",
    "outcomes": "Outcomes",
    "baseline": "Baseline",
    "performance_measure": "Performance measure",
    "outputs": "Outputs",
    "funding_source": "Funding source",
    "cost_pence": "Cost",
    "due_text": "Due",
    "completed_on": "Completed on",
    "update_date": "Date",
    "author": "Author",
    "title": "Title",
    "code": "Code",
    "key_objective": "Key objective",
    "position": "Order",
    "theme_id": "Theme",
    "aim_id": "Aim",
    "version_label": "Version",
    "plan_from_fy": "Plan starts",
    "plan_to_fy": "Plan ends",
    "owner": "Owner",
    "marking": "Marking",
    "description": "Description",
    "partnership": "Partnership",
    "summary": "Summary",
}
_LONG_FIELDS = {
    "text",
    "outcomes",
    "baseline",
    "performance_measure",
    "outputs",
    "funding_source",
    "key_objective",
    "description",
    "summary",
}
_IGNORED = {
    "id",
    "created_at",
    "updated_at",
    "updated_by",
    "origin",
    "deleted_at",
    "target_kind",
    "target_start",
    "target_end",
    "due_kind",
    "due_start",
    "due_end",
    "rag_key",
}
_TABLE_NOUNS = {
    "action": "action",
    "progress_update": "progress update",
    "milestone": "milestone",
    "plan": "plan",
    "theme": "theme",
    "aim": "aim",
    "plan_change": "change-history row",
}
CHANGE_TABLES = ("action", "progress_update", "milestone")


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, str) and len(value) == 10 and _ISO_DAY.fullmatch(value):
        return dates.format_date(date.fromisoformat(value))
    return str(value)


def _since_instant(since: date | datetime) -> datetime:
    """Where "since" starts: a date is a UK date, so from 00:00 UK time (GMT or BST) on
    it; a datetime is that instant (a naive one counts as UTC, as the store keeps times)."""
    if isinstance(since, datetime):
        return since if since.tzinfo else since.replace(tzinfo=UTC)
    return dates.uk_day_start(since)


def changes_since(
    session: Session,
    since: date | datetime,
    *,
    plan_id: str | None = None,
    tables: Sequence[str] = CHANGE_TABLES,
) -> list[ChangeRow]:
    """What was added, changed, deleted or restored since ``since``, read from the audit
    trail, oldest first; for board papers.

    A date is a UK date: "since 01/07/2026" starts at 00:00 BST that day (23:00 UTC on
    30/06).  Each row's ``at`` is UTC; show it with :func:`dates.uk_local` or group it
    by :func:`dates.uk_date`.  ``tables`` defaults to actions, progress updates and
    milestones; add ``"plan"``, ``"theme"``, ``"aim"`` or ``"plan_change"`` for
    structural changes.  Edits that changed only bookkeeping are left out.

    Runs a fixed number of queries.  SQLite finds the rows through the
    ``(table_name, at)`` index and works out each row's plan itself, so that for one
    plan only that plan's rows (and their JSON) come back; each row's JSON is decoded
    once in Python.
    """
    state_json = func.coalesce(AuditEntry.after, AuditEntry.before)
    action_ref = case(
        (AuditEntry.table_name == "action", AuditEntry.row_id),
        else_=func.json_extract(state_json, "$.action_id"),
    )
    # The plan of a row: a plan is its own; whatever belongs to an action (the action,
    # its updates and milestones) takes the action's; an aim its theme's; the rest
    # (themes, change-history rows) says which plan it belongs to.
    row_plan = case(
        (AuditEntry.table_name == "plan", AuditEntry.row_id),
        else_=func.coalesce(
            select(Action.plan_id).where(Action.id == action_ref).scalar_subquery(),
            case(
                (
                    AuditEntry.table_name == "aim",
                    select(Theme.plan_id)
                    .where(Theme.id == func.json_extract(state_json, "$.theme_id"))
                    .scalar_subquery(),
                )
            ),
            func.json_extract(state_json, "$.plan_id"),
            "",
        ),
    )
    query = select(
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.user,
        AuditEntry.table_name,
        AuditEntry.row_id,
        AuditEntry.action,
        action_ref,
        row_plan,
        AuditEntry.before,
        AuditEntry.after,
    ).where(AuditEntry.table_name.in_(list(tables)), AuditEntry.at >= _since_instant(since))
    if plan_id is not None:
        query = query.where(row_plan == plan_id)
    if session.autoflush:
        session.flush()  # the audit rows of pending changes (Core, below, does not flush)
    # Sorted here rather than by ORDER BY, which would make SQLite carry every row, JSON
    # and all, through a temporary B-tree.
    with _collector_paused():
        rows = sorted(session.connection().execute(query).all(), key=itemgetter(0))
        return _change_rows(session, rows)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while tens of thousands of rows are read
    and described.  None of them is in a reference cycle, yet every object they add makes
    the collector's full passes, which walk every live object, more frequent: a fifth of
    the time of :func:`changes_since` on a county-sized file.  Restored on the way out."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _change_rows(session: Session, rows: list[Any]) -> list[ChangeRow]:
    """Describe the audit rows :func:`changes_since` read (with their action and plan)."""
    actions = _lookup(session, select(Action.id, Action.reference), Action.id, {r[6] for r in rows})
    plans = _lookup(session, select(Plan.id, Plan.title), Plan.id, {r[7] for r in rows})
    out = []
    for _id, at, user, table, row_id, kind, action_id, row_plan_id, before, after in rows:
        text_state = after or before
        state: dict[str, Any] = json.loads(text_state) if text_state else {}
        changes: tuple[FieldChange, ...] = ()
        if kind in ("update", "merge") and before and after:
            changes = _diff(json.loads(before), state)
            if not changes and kind == "update":
                continue
        reference = actions[action_id][1] if action_id in actions else ""
        out.append(
            ChangeRow(
                at,
                user,
                table,
                row_id,
                kind,
                row_plan_id,
                plans[row_plan_id][1] if row_plan_id in plans else "",
                action_id or "",
                reference,
                _describe(kind, table, state, reference, changes),
                changes,
            )
        )
    return out


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    changed = [k for k, v in after.items() if v != before.get(k) and k not in _IGNORED]
    return tuple(
        FieldChange(
            k, _FIELD_LABELS.get(k) or k.replace("_", " ").capitalize(), before.get(k), after[k]
        )
        for k in changed
    )


def _lookup(session: Session, query: Any, key_column: Any, ids: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    id_list = [i for i in ids if i]
    for start in range(0, len(id_list), 500):
        for row in session.execute(query.where(key_column.in_(id_list[start : start + 500]))):
            found[row[0]] = row
    return found


def _describe(
    kind: str, table: str, state: dict[str, Any], reference: str, changes: tuple[FieldChange, ...]
) -> str:
    noun = _TABLE_NOUNS.get(table, table.replace("_", " "))
    on = f" on action {reference}" if reference and table != "action" else ""
    if table == "action":
        name = f"action {reference}".strip() if reference else "action"
        label = f"{name} '{_short(state.get('text', ''), 60)}'"
    elif table == "progress_update":
        when = _show(state.get("update_date"))
        rag = f", RAG {state['rag']}" if state.get("rag") else ""
        label = f"progress update of {when}{rag}{on}"
    elif table == "milestone":
        due = f" (due {state['due_text']})" if state.get("due_text") else ""
        label = f"milestone '{_short(state.get('text', ''), 60)}'{due}{on}"
    else:
        title = state.get("title") or state.get("reference") or state.get("summary") or ""
        label = f"{noun} '{_short(str(title), 60)}'" if title else noun
    if kind == "insert":
        return f"Added {label}."
    if kind == "tombstone":
        return f"Deleted {label}."
    if kind == "restore":
        return f"Restored {label}."
    if kind == "purge":
        return f"Removed {label} for good."
    what = "; ".join(c.describe() for c in changes)
    prefix = "Merged" if kind == "merge" else "Changed"
    return f"{prefix} {label}: {what}." if what else f"{prefix} {label}."


# =========================================================================== dashboard


def dashboard_tiles(session: Session, today: date) -> list[Tile]:
    """RAG counts per live plan and recent progress updates."""
    tiles = []
    counts = [c for c in rag_counts_by_plan(session) if c.total]
    if counts:
        reds = sum(c["R"] for c in counts)
        total = sum(c.total for c in counts)
        tiles.append(
            Tile(
                key="plans.rag",
                area="Action plans",
                title="Actions rated red",
                value=str(reds),
                detail=f"of {total} action{'s' if total != 1 else ''} in "
                f"{len(counts)} plan{'s' if len(counts) != 1 else ''}",
                severity="alert" if reds else "ok",
                view="plans",
                order=10,
                lines=tuple(f"{_short(c.plan_title, 50)}: {c.line()}" for c in counts[:5]),
            )
        )
    since = today - timedelta(days=90)
    recent = recent_updates(session, since=since, until=today, limit=None)
    tiles.append(
        Tile(
            key="plans.recent_updates",
            area="Action plans",
            title="Progress updates, last 90 days",
            value=str(len(recent)),
            detail=f"since {dates.format_date(since)}",
            severity="info" if recent else "warning",
            view="plans",
            order=13,
            lines=tuple(
                f"{dates.format_date(u.update_date)} {u.action_reference} "
                f"{_short(u.text, 60)}".replace("  ", " ")
                for u in recent[:5]
            ),
        )
    )
    return tiles
