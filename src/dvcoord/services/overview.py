"""A short description of an open database: what it is, where it is, what it holds.

Used by the window's Overview page.  Counts come from every shared table (so a new
area's records are counted without touching this module); a model may set a class
attribute ``__label__ = "Panic alarms"`` to be listed under a friendlier name than the
one derived from its class name.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from dvcoord.store.base import shared_models
from dvcoord.store.database import Database
from dvcoord.store.schema import core

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordCount:
    label: str
    table: str
    live: int


@dataclass(frozen=True)
class DatabaseSummary:
    display_name: str
    path: Path
    partnership: str
    marking: str
    size_bytes: int
    created_at: datetime | None
    created_with: str
    revision: str
    changes_recorded: int
    counts: list[RecordCount] = field(default_factory=list)

    @property
    def total_records(self) -> int:
        return sum(c.live for c in self.counts)


def label_for(model: type) -> str:
    """``ActionAgency`` -> ``Action agency`` unless the model names itself."""
    explicit = getattr(model, "__label__", None)
    if explicit:
        return str(explicit)
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", model.__name__)
    text = " ".join(words).lower()
    return text[:1].upper() + text[1:]


def _parse_when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def summarise(db: Database) -> DatabaseSummary:
    """Facts about ``db`` and the number of live (not deleted) records of each kind."""
    counts: list[RecordCount] = []
    with db.session() as s:
        for model in shared_models():
            live = s.scalar(
                select(func.count()).select_from(model).where(model.deleted_at.is_(None))
            )
            counts.append(RecordCount(label_for(model), model.__tablename__, int(live or 0)))
        changes = int(s.scalar(select(func.count()).select_from(core.AuditEntry)) or 0)
    try:
        size = db.path.stat().st_size
    except OSError:
        size = 0
    counts.sort(key=lambda c: c.label)
    return DatabaseSummary(
        display_name=db.display_name,
        path=db.path,
        partnership=db.partnership,
        marking=db.default_marking,
        size_bytes=size,
        created_at=_parse_when(db.meta(core.META_CREATED_AT)),
        created_with=db.meta(core.META_CREATED_WITH),
        revision=db.meta(core.META_SCHEMA_REVISION),
        changes_recorded=changes,
        counts=counts,
    )
