"""Opening, creating and using one dvcoord database file.

>>> db = Database.create(path, user="A. Officer", partnership="Sevenoaks CSP")
>>> with db.transaction() as s:
...     s.add(...)
>>> db = Database.open(path, user="A. Officer")   # checks, backs up, upgrades

Opening never changes a file it refuses: every check (:mod:`.fileguard`) runs read-only
first.  An older file is backed up, then upgraded; a newer one is refused untouched.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

import dvcoord
from dvcoord.errors import DvcoordError
from dvcoord.store import audit as _audit  # noqa: F401  (registers the session hook)
from dvcoord.store import fileguard, migrate, verified
from dvcoord.store.base import utcnow, uuid7
from dvcoord.store.engine import APPLICATION_ID, make_engine
from dvcoord.store.schema import core
from dvcoord.users import default_user

log = logging.getLogger(__name__)

DEFAULT_RAG_KEY = [
    {"letter": "G", "name": "Green", "meaning": "Completed or advanced progress"},
    {"letter": "A", "name": "Amber", "meaning": "Progress underway"},
    {"letter": "R", "name": "Red", "meaning": "No significant progress"},
]
MARKINGS = ("OFFICIAL", "OFFICIAL-SENSITIVE", "NONE")


class Database:
    """One open dvcoord file: its engine, a session factory and its settings."""

    def __init__(self, path: Path, engine: Engine, *, user: str, readonly: bool) -> None:
        self.path = Path(path)
        self.engine = engine
        self.readonly = readonly
        self.user = user
        self._closed = False
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        with self._sessions() as s:
            self._meta = {m.key: m.value for m in s.scalars(select(core.Meta))}
        self.database_id = self._meta.get(core.META_DATABASE_ID, "")

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def create(
        cls,
        path: Path,
        *,
        user: str | None = None,
        display_name: str | None = None,
        partnership: str = "",
        marking: str = "OFFICIAL",
        overwrite: bool = False,
    ) -> Database:
        """Create a new, empty database at ``path``.

        The file is built under a temporary name in the same folder and renamed into
        place, so a failure never leaves a half-made file under ``path``.
        """
        path = Path(path)
        if path.exists() and not overwrite:
            raise DvcoordError(f"'{path}' already exists; choose another name.")
        if path.is_dir():
            raise DvcoordError(f"'{path}' is a folder; choose a file name.")
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise DvcoordError(f"The folder '{folder}' does not exist.")
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".dvcoord-new-", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise DvcoordError(f"Cannot create a file in '{folder}': {exc.strerror}.") from None
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            conn = sqlite3.connect(tmp)
            conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
            conn.execute("PRAGMA journal_mode=DELETE")
            conn.commit()
            conn.close()
            engine = make_engine(tmp, pooled=False)
            migrate.create_schema(engine)
            meta = {
                core.META_APPLICATION: "dvcoord",
                core.META_DATABASE_ID: uuid7(),
                core.META_DISPLAY_NAME: display_name or path.stem,
                core.META_PARTNERSHIP: partnership,
                core.META_MARKING: marking,
                core.META_RAG_KEY: json.dumps(DEFAULT_RAG_KEY),
                core.META_SCHEMA_REVISION: migrate.head_revision(),
                core.META_CREATED_AT: utcnow().isoformat(),
                core.META_CREATED_WITH: dvcoord.__version__,
            }
            with Session(engine) as s, s.begin():
                s.add_all(core.Meta(key=k, value=v) for k, v in meta.items())
            engine.dispose()
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise DvcoordError(f"Cannot create '{path}': {exc.strerror or exc}.") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        log.info("created database %s", path.name)
        return cls.open(path, user=user, backup=False)

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        user: str | None = None,
        readonly: bool = False,
        backup: bool = True,
    ) -> Database:
        """Open an existing file: check it, back it up, upgrade it if it is older.

        SQLite's full ``quick_check`` is skipped only when the file is exactly as dvcoord
        last found or left it sound (see :mod:`dvcoord.store.verified`).
        """
        path = Path(path)
        full_check = not verified.is_known_sound(path)
        facts = fileguard.inspect_file(
            path, known_revisions=migrate.known_revisions(), quick_check=full_check
        )
        if full_check:
            verified.remember_sound(path)
        if not readonly:
            fileguard.check_writable(path)
            fileguard.check_not_locked(path)
        engine = make_engine(path, readonly=readonly)
        user = default_user() if user is None else user
        head = migrate.head_revision()
        if facts.revision != head:
            if readonly:
                engine.dispose()
                raise DvcoordError(
                    f"'{path}' was made by an older dvcoord and must be upgraded, "
                    "which needs write access."
                )
            from dvcoord.store import backups

            taken = backups.take_backup(path, reason="before-upgrade")
            log.info(
                "upgrading %s from %s to %s (backup %s)",
                path.name,
                facts.revision,
                head,
                taken.name,
            )
            try:
                migrate.upgrade(engine)
            except DvcoordError:
                engine.dispose()
                raise
            except Exception as exc:
                engine.dispose()
                log.exception("upgrade failed")
                raise DvcoordError(
                    f"Upgrading '{path}' failed and was undone ({exc}). A backup is at '{taken}'."
                ) from None
            db = cls(path, engine, user=user, readonly=False)
            db.set_meta(core.META_SCHEMA_REVISION, head)
        else:
            db = cls(path, engine, user=user, readonly=readonly)
            if backup and not readonly:
                from dvcoord.store import backups

                backups.backup_if_changed(path)
        return db

    def close(self) -> None:
        """Close every connection; a file closed cleanly is remembered as sound."""
        self.engine.dispose()
        if not self.readonly and not self._closed:
            verified.remember_sound(self.path)
        self._closed = True

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ sessions
    def session(self) -> Session:
        """A new session whose changes are stamped with this officer and database."""
        s = self._sessions()
        s.info["user"] = self.user
        s.info["origin"] = self.database_id
        return s

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        if self.readonly:
            raise DvcoordError(f"'{self.path}' is open read-only; changes cannot be saved.")
        with self.session() as s, s.begin():
            yield s

    # ------------------------------------------------------------------ settings
    def meta(self, key: str, default: str = "") -> str:
        return self._meta.get(key, default)

    def set_meta(self, key: str, value: str) -> None:
        self.set_metas({key: value})

    def set_metas(self, values: dict[str, str]) -> None:
        """Write several settings in one transaction (all or none)."""
        with self.transaction() as s:
            for key, value in values.items():
                s.merge(core.Meta(key=key, value=value))
        self._meta.update(values)

    @property
    def display_name(self) -> str:
        return self.meta(core.META_DISPLAY_NAME, self.path.stem)

    @property
    def partnership(self) -> str:
        return self.meta(core.META_PARTNERSHIP)

    @property
    def default_marking(self) -> str:
        return self.meta(core.META_MARKING, "OFFICIAL") or "OFFICIAL"

    @property
    def rag_key(self) -> list[dict[str, str]]:
        try:
            return json.loads(self.meta(core.META_RAG_KEY)) or DEFAULT_RAG_KEY
        except ValueError:
            return DEFAULT_RAG_KEY

    @property
    def revision(self) -> str | None:
        with self.engine.connect() as conn:
            return migrate.current_revision(conn)
