"""Persistence: one SQLite file per partnership, through SQLAlchemy 2 and Alembic."""

from dvcoord.store.database import Database

__all__ = ["Database"]
