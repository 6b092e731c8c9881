"""Declarative base, naming convention and the shared-row mixin.

Every table that is shared between copies of a database (and so merged row by row)
uses :class:`SharedMixin`: a time-ordered UUID primary key, ``created_at`` /
``updated_at`` in UTC, ``updated_by`` (officer name), ``origin`` (id of the database
that last wrote the row) and a ``deleted_at`` tombstone instead of a hard delete.
The audit hook in :mod:`dvcoord.store.audit` fills the bookkeeping columns; callers
never set them.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


_uuid_lock = threading.Lock()
_uuid_last_stamp = 0


def uuid7() -> str:
    """A time-ordered UUID (RFC 9562 version 7) as a 36-character string.

    Time-ordered keys keep SQLite's B-trees compact and make ids sort by creation time.
    The 48-bit millisecond timestamp is followed by 12 bits of sub-millisecond time
    (RFC 9562 section 6.2, method 3); within one process each id is strictly greater
    than the one before, even when the clock stands still or steps back.
    """
    global _uuid_last_stamp
    ns = time.time_ns()
    stamp = (ns // 1_000_000) << 12 | ((ns % 1_000_000) * 4096 // 1_000_000)
    with _uuid_lock:
        if stamp <= _uuid_last_stamp:
            stamp = _uuid_last_stamp + 1
        _uuid_last_stamp = stamp
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = ((stamp >> 12) & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (stamp & 0xFFF) << 64  # rand_a: sub-millisecond time
    value |= 0b10 << 62  # variant
    value |= rand_b
    return str(uuid.UUID(int=value))


def utcnow() -> datetime:
    """Current time in UTC, timezone-aware, microsecond precision."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores datetimes as naive UTC ISO text, returns them timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SharedMixin:
    """Columns every shared (mergeable) table carries.

    Tables that are deliberately local (audit trail, merge log, settings) set
    ``__local__ = True`` and do not use this mixin.
    """

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=False)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    origin: Mapped[str] = mapped_column(String(36), default="")
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def shared_models() -> list[type]:
    """Every mapped class that carries the shared-row mixin (so is merged)."""
    from dvcoord.store import schema  # noqa: F401  (registers every model)

    return sorted(
        (m.class_ for m in Base.registry.mappers if issubclass(m.class_, SharedMixin)),
        key=lambda c: c.__tablename__,
    )
