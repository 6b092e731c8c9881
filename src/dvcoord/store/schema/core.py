"""Tables every database has: ``meta`` (the database's own settings) and ``audit_log``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dvcoord.store.base import Base, UTCDateTime, utcnow

# Keys of the meta table.  Values are text (JSON for structured ones).
META_APPLICATION = "application"  # always "dvcoord"
META_DATABASE_ID = "database_id"
META_DISPLAY_NAME = "display_name"
META_PARTNERSHIP = "partnership_name"
META_MARKING = "default_marking"
META_RAG_KEY = "rag_key"  # JSON list of {letter, name, meaning}
META_SCHEMA_REVISION = "schema_revision"
META_CREATED_AT = "created_at"
META_CREATED_WITH = "created_with"  # dvcoord version that created the file


class Meta(Base):
    """Key/value settings of this database file.  Local: never merged."""

    __tablename__ = "meta"
    __local__ = True

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class AuditEntry(Base):
    """One insert, update, tombstone, restore or merge of a shared row.

    Written only by the session hook in :mod:`dvcoord.store.audit`.  ``before`` and
    ``after`` are JSON objects of the row's columns.  Local: never merged, never edited.
    """

    __tablename__ = "audit_log"
    __local__ = True
    __table_args__ = (
        Index("ix_audit_log_row", "table_name", "row_id"),
        Index("ix_audit_log_at", "at"),
        # "what changed since" (plans.changes_since) reads a few tables from a date on
        Index("ix_audit_log_table_at", "table_name", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[str] = mapped_column(String(200), default="")
    table_name: Mapped[str] = mapped_column(String(100))
    row_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(20))  # insert/update/tombstone/restore/merge
    before: Mapped[str | None] = mapped_column(Text, default=None)
    after: Mapped[str | None] = mapped_column(Text, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
