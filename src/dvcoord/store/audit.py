"""The audit trail, written by one set of hooks for every change to a shared row.

Callers never write audit rows or bookkeeping columns themselves.  A session carries in
``session.info``:

* ``user``    – the officer's name, stored in ``updated_by`` and the audit row;
* ``origin``  – this database's id, stored in ``origin``;
* ``merging`` – set by the merge, which copies rows with their own bookkeeping intact
  (the audit row is then written with action ``merge``);
* ``audit_note`` – optional text stored with every audit row of the flush;
* ``audit`` – ``False`` switches the hooks off (schema tools only).

The hooks are mapper events on :class:`~dvcoord.store.base.SharedMixin`, so they see
every row SQLAlchemy actually INSERTs or UPDATEs, with its final values: defaults filled
in, foreign keys set from relationships (re-parenting a row through a relationship is a
change like any other), and the previous values read from the database when the session
never loaded them.  Audit rows go out on the flush's own connection, in the same
transaction as the change.

Shared rows are tombstoned (``deleted_at``), not deleted; a hard ``session.delete`` of a
shared row raises :class:`PurgeRefused` before anything is written, unless
``session.info["allow_purge"]`` is set (retention purges), and is then audited as
``purge`` with the row's last state.
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, event, inspect, select
from sqlalchemy.orm import Mapper, Session, object_session

from dvcoord.store.base import SharedMixin, utcnow, uuid7
from dvcoord.store.schema.core import AuditEntry

BOOKKEEPING = ("created_at", "updated_at", "updated_by", "origin")

_AUDIT_TABLE = AuditEntry.__table__


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


def _dumps(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True)


def _info(target: object) -> dict:
    session = object_session(target)
    return session.info if session is not None else {}


def _stored_values(
    mapper: Mapper, connection: Connection, target: object, keys: list[str]
) -> dict[str, Any]:
    """Values of ``keys`` as the database holds them now (before this flush's UPDATE)."""
    cols = [mapper.get_property(k).columns[0] for k in keys]
    pk_cols = mapper.primary_key
    identity = inspect(target).identity or mapper.primary_key_from_instance(target)
    stmt = select(*cols).where(*(c == v for c, v in zip(pk_cols, identity, strict=True)))
    row = connection.execute(stmt).first()
    if row is None:
        return {}
    return dict(zip(keys, row, strict=True))


def _previous_values(mapper: Mapper, connection: Connection, target: object) -> dict[str, Any]:
    """The row's column values before the pending change, as JSON-able values."""
    state = inspect(target)
    values: dict[str, Any] = {}
    unknown: list[str] = []
    for attr in mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if hist.deleted:
            values[attr.key] = hist.deleted[0]
        elif hist.unchanged:
            values[attr.key] = hist.unchanged[0]
        else:  # never loaded, or overwritten without the old value being loaded
            unknown.append(attr.key)
    if unknown:
        values.update(_stored_values(mapper, connection, target, unknown))
    return {k: to_jsonable(values.get(k)) for k in (a.key for a in mapper.column_attrs)}


def _write(
    connection: Connection,
    info: dict,
    target: object,
    action: str,
    before: dict | None,
    after: dict | None,
    now: datetime,
) -> None:
    connection.execute(
        _AUDIT_TABLE.insert(),
        [
            {
                "at": now,
                "user": info.get("user", ""),
                "table_name": target.__tablename__,  # type: ignore[attr-defined]
                "row_id": target.id,  # type: ignore[attr-defined]
                "action": action,
                "before": _dumps(before),
                "after": _dumps(after),
                "note": info.get("audit_note", ""),
            }
        ],
    )


# ----------------------------------------------------------------------------- deletes
@event.listens_for(Session, "before_flush")
def _refuse_purge(session: Session, flush_context, instances) -> None:  # noqa: ANN001
    """Refuse a hard delete of a shared row before any SQL of the flush is sent."""
    if session.info.get("audit") is False or session.info.get("allow_purge"):
        return
    for obj in session.deleted:
        if isinstance(obj, SharedMixin):
            raise PurgeRefused(
                f"{type(obj).__name__} rows are marked deleted, never removed outright"
            )


@event.listens_for(SharedMixin, "before_delete", propagate=True)
def _before_delete(mapper: Mapper, connection: Connection, target: SharedMixin) -> None:
    info = _info(target)
    if info.get("audit") is False:
        return
    if not info.get("allow_purge"):  # pragma: no cover - _refuse_purge stops it first
        raise PurgeRefused(
            f"{type(target).__name__} rows are marked deleted, never removed outright"
        )
    before = _previous_values(mapper, connection, target)
    _write(connection, info, target, "purge", before, None, utcnow())


# ----------------------------------------------------------------------------- inserts
@event.listens_for(SharedMixin, "before_insert", propagate=True)
def _before_insert(mapper: Mapper, connection: Connection, target: SharedMixin) -> None:
    info = _info(target)
    if info.get("audit") is False:
        return
    if not target.id:
        target.id = uuid7()
    if info.get("merging"):
        return  # the merge keeps the row's own bookkeeping
    now = utcnow()
    target.created_at = target.created_at or now
    target.updated_at = now
    target.updated_by = info.get("user", "")
    target.origin = info.get("origin", "")


@event.listens_for(SharedMixin, "after_insert", propagate=True)
def _after_insert(mapper: Mapper, connection: Connection, target: SharedMixin) -> None:
    info = _info(target)
    if info.get("audit") is False:
        return
    action = "merge" if info.get("merging") else "insert"
    # After the INSERT every column default has been filled in on the object.
    _write(connection, info, target, action, None, row_values(target), utcnow())


# ----------------------------------------------------------------------------- updates
@event.listens_for(SharedMixin, "before_update", propagate=True)
def _before_update(mapper: Mapper, connection: Connection, target: SharedMixin) -> None:
    info = _info(target)
    if info.get("audit") is False:
        return
    merging = bool(info.get("merging"))
    state = inspect(target)
    changed = {a.key for a in mapper.column_attrs if state.attrs[a.key].history.has_changes()}
    if not (changed if merging else changed - set(BOOKKEEPING)):
        if changed:  # only bookkeeping was set by hand: put it back, so nothing is written
            _restore_bookkeeping(mapper, connection, target, changed)
        return  # nothing real changed: no UPDATE, no audit row
    before = _previous_values(mapper, connection, target)
    now = utcnow()
    if not merging:
        target.updated_at = now
        target.updated_by = info.get("user", "")
        target.origin = info.get("origin", "")
    after = dict(before)
    for attr in mapper.column_attrs:
        if attr.key in state.dict:
            after[attr.key] = to_jsonable(state.dict[attr.key])
    if merging:
        action = "merge"
    elif "deleted_at" in changed and before.get("deleted_at") is None:
        action = "tombstone"
    elif "deleted_at" in changed and target.deleted_at is None:
        action = "restore"
    else:
        action = "update"
    _write(connection, info, target, action, before, after, now)


def _restore_bookkeeping(
    mapper: Mapper, connection: Connection, target: SharedMixin, keys: set[str]
) -> None:
    state = inspect(target)
    unknown = []
    for key in sorted(keys):
        hist = state.attrs[key].history
        if hist.deleted:
            setattr(target, key, hist.deleted[0])
        else:
            unknown.append(key)
    if unknown:
        for key, value in _stored_values(mapper, connection, target, unknown).items():
            setattr(target, key, value)


def history(session: Session, table_name: str, row_id: str) -> list[AuditEntry]:
    """Every audit row of one shared row, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.table_name == table_name, AuditEntry.row_id == row_id)
            .order_by(AuditEntry.id)
        )
    )
