"""Helpers shared by the action-plan services (:mod:`.agencies`, :mod:`.plans`,
:mod:`.milestones`): field limits, validation, tombstone/restore and reordering.

Field limits (characters).  A longer value is refused with a message naming the limit,
and nothing is saved:

* titles (plan, theme), agency name: the column width (500 / 300);
* references, codes, short names, version labels: 60 / 40 / 60 / 40;
* target and due dates as written: 500;
* action text, outcomes, baseline, measure, outputs, funding source, aim text,
  key objective, plan description, change summary, milestone text, agency notes: 10,000;
* progress update text: 20,000.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dvcoord.errors import ValidationError
from dvcoord.store.base import SharedMixin, utcnow

MAX_TITLE = 500
MAX_NAME = 300
MAX_SHORT = 60
MAX_REFERENCE = 60
MAX_CODE = 40
MAX_VERSION = 40
MAX_DATE_TEXT = 500
MAX_TEXT = 10_000
MAX_PROGRESS = 20_000
MAX_PERSON = 200


def clean(value: Any) -> str:
    """Text with surrounding white space removed (None gives "")."""
    return "" if value is None else str(value).strip()


def check_text(
    value: Any,
    *,
    field: str,
    label: str,
    limit: int,
    required: bool = False,
    strip: bool = True,
) -> str:
    """Validate one text field and return it (stripped unless ``strip`` is False)."""
    text = "" if value is None else str(value)
    if strip:
        text = text.strip()
    if required and not text.strip():
        raise ValidationError(f"{label} cannot be empty.", field=field)
    if len(text) > limit:
        raise ValidationError(
            f"{label} is {len(text):,} characters long; the limit is {limit:,}. "
            "Shorten it: nothing has been saved.",
            field=field,
        )
    return text


def check_choice(value: Any, *, field: str, label: str, choices: Sequence[str]) -> str:
    text = clean(value)
    if text not in choices:
        allowed = ", ".join(f"'{c}'" for c in choices if c)
        raise ValidationError(f"{label} must be one of {allowed}, not '{text}'.", field=field)
    return text


def check_date(value: Any, *, field: str, label: str, required: bool = False) -> date | None:
    if value is None or value == "":
        if required:
            raise ValidationError(f"{label} is needed.", field=field)
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        from dvcoord.services.dates import parse_uk_date

        try:
            return parse_uk_date(value)
        except ValueError as exc:
            raise ValidationError(str(exc), field=field) from None
    raise ValidationError(f"{label} must be a date.", field=field)


def get_live(session: Session, model: type, row_id: str, what: str) -> Any:
    """The live row ``row_id`` of ``model``, or a ValidationError naming ``what``."""
    obj = session.get(model, row_id) if row_id else None
    if obj is None or obj.deleted_at is not None:
        raise ValidationError(f"That {what} no longer exists (it may have been deleted).")
    return obj


def get_any(session: Session, model: type, row_id: str, what: str) -> Any:
    obj = session.get(model, row_id) if row_id else None
    if obj is None:
        raise ValidationError(f"That {what} does not exist.")
    return obj


def set_fields(obj: Any, values: dict[str, Any]) -> bool:
    """Assign only the values that differ; True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


# --------------------------------------------------------------------------- tombstones


def tombstone_rows(rows: Iterable[SharedMixin], when: datetime) -> int:
    """Mark every live row deleted at ``when``; returns how many were marked."""
    n = 0
    for row in rows:
        if row.deleted_at is None:
            row.deleted_at = when
            n += 1
    return n


def restore_rows(rows: Iterable[SharedMixin], when: datetime | None) -> int:
    """Restore the rows tombstoned at exactly ``when`` (those deleted together)."""
    if when is None:
        return 0
    n = 0
    for row in rows:
        if row.deleted_at is not None and _same_instant(row.deleted_at, when):
            row.deleted_at = None
            n += 1
    return n


def _same_instant(a: datetime, b: datetime) -> bool:
    def norm(d: datetime) -> datetime:
        return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)

    return norm(a) == norm(b)


def now() -> datetime:
    return utcnow()


# --------------------------------------------------------------------------- ordering


def live_siblings(session: Session, model: type, where: Sequence[Any]) -> list[Any]:
    """Live rows of ``model`` matching ``where``, in their current order."""
    return list(
        session.scalars(
            select(model)
            .where(*where, model.deleted_at.is_(None))
            .order_by(model.position, model.created_at, model.id)
        )
    )


def place(siblings: list[Any], obj: Any, to_index: int | None) -> None:
    """Put ``obj`` at ``to_index`` among ``siblings`` (None: at the end) and renumber
    every sibling 0..n-1.  ``obj`` may or may not already be in ``siblings``."""
    others = [s for s in siblings if s is not obj]
    if to_index is None or to_index >= len(others):
        index = len(others)
    else:
        index = max(0, int(to_index))
    others.insert(index, obj)
    for i, row in enumerate(others):
        if row.position != i:
            row.position = i


def renumber(siblings: list[Any]) -> None:
    for i, row in enumerate(siblings):
        if row.position != i:
            row.position = i


def user_of(session: Session) -> str:
    return str(session.info.get("user", "") or "")
