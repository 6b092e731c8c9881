"""A row's history from the audit trail, and putting an earlier version back.

Every change to a shared row leaves an audit entry with the row's full version after it
(and before it).  :func:`row_history` turns the entries of one row into a list of
versions, newest first, including the versions a merge overwrote or did not take;
:func:`restore_version` writes one of them back as a new change (itself audited), so
restoring never loses the version it replaces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from dvcoord.errors import DvcoordError
from dvcoord.exchange.merge import model_for
from dvcoord.store.base import SharedMixin
from dvcoord.store.schema.core import AuditEntry

#: Columns a restore never writes (the audit hook stamps them).
_NOT_RESTORED = ("id", "created_at", "updated_at", "updated_by", "origin")

_DESCRIPTIONS = {
    ("insert", "after"): "Created",
    ("update", "after"): "Changed",
    ("tombstone", "after"): "Marked deleted",
    ("restore", "after"): "Brought back",
    ("merge", "after"): "Taken from a merged file",
    ("merge", "before"): "Replaced by a merge",
    ("merge-declined", "before"): "Received in a merge but not taken",
    ("purge", "before"): "Removed for good",
}


@dataclass
class RowVersion:
    """One version of a row, from one side of one audit entry."""

    audit_id: int
    side: str  # "after": the version the change wrote; "before": the one it replaced
    at: datetime
    user: str
    action: str
    note: str
    values: dict[str, Any]
    changed_fields: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        return _DESCRIPTIONS.get((self.action, self.side), self.action.capitalize())

    @property
    def is_deleted(self) -> bool:
        return self.values.get("deleted_at") is not None

    @property
    def edited_by(self) -> str:
        return str(self.values.get("updated_by") or self.user or "")


def _content(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in _NOT_RESTORED}


def _load(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def row_history(db, table: str, row_id: str) -> list[RowVersion]:
    """Every known version of one row, newest first."""
    model_for(table)  # a clear error for a table that is not shared
    with db.session() as s:
        entries = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.table_name == table, AuditEntry.row_id == row_id)
                .order_by(AuditEntry.id)
            )
        )
    versions: list[RowVersion] = []
    previous: dict[str, Any] | None = None
    for e in entries:
        sides = []
        before, after = _load(e.before), _load(e.after)
        if (
            e.action in ("merge", "purge")
            and before is not None
            and (previous is None or _content(before) != _content(previous))
        ):
            sides.append(("before", before))
        if e.action == "merge-declined" and before is not None:
            sides.append(("before", before))
        if e.action not in ("purge", "merge-declined") and after is not None:
            sides.append(("after", after))
        for side, values in sides:
            prior = previous or {}
            changed = (
                sorted(k for k in _content(values) if prior.get(k) != values.get(k))
                if previous is not None
                else []
            )
            versions.append(RowVersion(e.id, side, e.at, e.user, e.action, e.note, values, changed))
            if side == "after" or e.action == "purge":
                previous = values
    versions.reverse()
    return versions


def _python_value(column, value: Any) -> Any:  # noqa: ANN001
    if value is None:
        return None
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    if kind is datetime:
        dt = datetime.fromisoformat(str(value))
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    if kind is date:
        return date.fromisoformat(str(value)[:10])
    if kind is bool:
        return bool(value)
    if kind is int:
        return int(value)
    if kind is float:
        return float(value)
    if kind is Decimal:
        return Decimal(str(value))
    if kind is bytes:
        return bytes.fromhex(str(value))
    if kind is str:
        return str(value)
    return value


def restore_version(db, table: str, row_id: str, audit_id: int, *, side: str = "after") -> bool:
    """Write the version held by audit entry ``audit_id`` back into the row.

    The restore is an ordinary change (audited, stamped with this officer), so the
    version it replaces stays in the history.  Returns False when the row already holds
    that version (nothing is written).
    """
    model = model_for(table)
    if side not in ("after", "before"):
        raise DvcoordError("A version is the one a change wrote ('after') or replaced ('before').")
    with db.session() as s:
        entry = s.get(AuditEntry, audit_id)
    if entry is None or entry.table_name != table or entry.row_id != row_id:
        raise DvcoordError("That version is not in this record's history.")
    values = _load(entry.after if side == "after" else entry.before)
    if values is None:
        raise DvcoordError("That entry of the history holds no version to restore.")
    mapper = sa_inspect(model)
    converted: dict[str, Any] = {}
    try:
        for attr in mapper.column_attrs:
            if attr.key in _NOT_RESTORED or attr.key not in values:
                continue
            converted[attr.key] = _python_value(attr.columns[0], values[attr.key])
    except (ValueError, TypeError):
        raise DvcoordError("That version cannot be read back; it was not restored.") from None
    when = entry.at.astimezone().strftime("%d/%m/%Y %H:%M") if entry.at else "?"
    try:
        with db.transaction() as s:
            s.info["audit_note"] = f"restored the version of {when} (history entry {audit_id})"
            obj = s.get(model, row_id)
            if obj is None:
                s.add(model(id=row_id, **converted))
                return True
            assert isinstance(obj, SharedMixin)
            changed = False
            for key, value in converted.items():
                if getattr(obj, key) != value:
                    setattr(obj, key, value)
                    changed = True
            return changed
    except sa_exc.IntegrityError:
        raise DvcoordError(
            "That version refers to records that no longer exist, so it was not restored."
        ) from None
