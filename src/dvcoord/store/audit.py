"""The audit trail, written from one session hook for every change to a shared row.

Callers never write audit rows or bookkeeping columns themselves.  A session carries in
``session.info``:

* ``user``    – the officer's name, stored in ``updated_by`` and the audit row;
* ``origin``  – this database's id, stored in ``origin``;
* ``merging`` – set by the merge, which copies rows with their own bookkeeping intact
  (the audit row is then written with action ``merge``);
* ``audit_note`` – optional text stored with every audit row of the flush.

Shared rows are tombstoned (``deleted_at``), not deleted; a hard ``session.delete`` of a
shared row raises unless ``session.info["allow_purge"]`` is set (retention purges), and
is then audited as ``purge`` with the row's last state.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from dvcoord.store.base import SharedMixin, utcnow, uuid7
from dvcoord.store.schema.core import AuditEntry

BOOKKEEPING = ("created_at", "updated_at", "updated_by", "origin")


class PurgeRefused(RuntimeError):
    """A shared row was deleted outright instead of tombstoned."""


def to_jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def row_values(obj: SharedMixin) -> dict[str, Any]:
    """Current column values of a mapped object, as JSON-able values."""
    mapper = inspect(obj).mapper
    return {attr.key: to_jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def _previous_values(obj: SharedMixin) -> dict[str, Any]:
    state = inspect(obj)
    values = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.deleted:
            values[attr.key] = to_jsonable(hist.deleted[0])
        elif attr.key in state.committed_state:
            values[attr.key] = to_jsonable(state.committed_state[attr.key])
        else:
            values[attr.key] = to_jsonable(getattr(obj, attr.key))
    return values


def _dumps(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True)


@event.listens_for(Session, "before_flush")
def _audit_before_flush(session: Session, flush_context, instances) -> None:  # noqa: ANN001
    info = session.info
    if info.get("audit") is False:
        return
    user = info.get("user", "")
    origin = info.get("origin", "")
    merging = bool(info.get("merging"))
    note = info.get("audit_note", "")
    now = utcnow()
    entries: list[AuditEntry] = []

    for obj in list(session.new):
        if not isinstance(obj, SharedMixin):
            continue
        if not merging:
            if not obj.id:
                obj.id = uuid7()
            obj.created_at = obj.created_at or now
            obj.updated_at = now
            obj.updated_by = user
            obj.origin = origin
        elif not obj.id:
            obj.id = uuid7()
        entries.append(
            AuditEntry(
                at=now,
                user=user,
                table_name=obj.__tablename__,
                row_id=obj.id,
                action="merge" if merging else "insert",
                before=None,
                after=_dumps(row_values(obj)),
                note=note,
            )
        )

    for obj in list(session.dirty):
        if not isinstance(obj, SharedMixin) or not session.is_modified(
            obj, include_collections=False
        ):
            continue
        before = _previous_values(obj)
        state = inspect(obj)
        changed = {
            a.key for a in state.mapper.column_attrs if state.attrs[a.key].history.has_changes()
        }
        if not changed - set(BOOKKEEPING) and not merging:
            continue
        if not merging:
            obj.updated_at = now
            obj.updated_by = user
            obj.origin = origin
        if merging:
            action = "merge"
        elif "deleted_at" in changed and before.get("deleted_at") is None:
            action = "tombstone"
        elif "deleted_at" in changed and obj.deleted_at is None:
            action = "restore"
        else:
            action = "update"
        entries.append(
            AuditEntry(
                at=now,
                user=user,
                table_name=obj.__tablename__,
                row_id=obj.id,
                action=action,
                before=_dumps(before),
                after=_dumps(row_values(obj)),
                note=note,
            )
        )

    for obj in list(session.deleted):
        if not isinstance(obj, SharedMixin):
            continue
        if not info.get("allow_purge"):
            raise PurgeRefused(
                f"{type(obj).__name__} rows are marked deleted, never removed outright"
            )
        entries.append(
            AuditEntry(
                at=now,
                user=user,
                table_name=obj.__tablename__,
                row_id=obj.id,
                action="purge",
                before=_dumps(row_values(obj)),
                after=None,
                note=note,
            )
        )

    if entries:
        session.add_all(entries)


def history(session: Session, table_name: str, row_id: str) -> list[AuditEntry]:
    """Every audit row of one shared row, oldest first."""
    from sqlalchemy import select

    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.table_name == table_name, AuditEntry.row_id == row_id)
            .order_by(AuditEntry.id)
        )
    )
