"""Looking at a file before trusting it as a dvcoord database.

:func:`inspect_file` reads only the 100-byte SQLite header and, read-only, the ``meta``
and ``alembic_version`` tables; it never writes, never runs a migration, and turns every
problem into one clear sentence (a :class:`~dvcoord.errors.DvcoordError`).

The one exception to "never writes" is SQLite's own crash recovery.  When a program
stopped in the middle of saving (a crash, a power cut, ``kill -9``), SQLite leaves a
*hot journal* beside the file holding the pages as they were before the unfinished
transaction; the file cannot be read until they are put back.  :func:`inspect_file`
does that through a read-write connection (exactly what any SQLite program does on its
first read), which returns the file to its last committed state, and then carries on
read-only.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path

from dvcoord.errors import (
    DamagedFileError,
    DvcoordError,
    FileInUseError,
    NewerVersionError,
    NotADvcoordFile,
)
from dvcoord.store.engine import APPLICATION_ID, raw_connect

log = logging.getLogger(__name__)

#: Seconds to wait for another program's lock before calling the file "in use".
LOCK_WAIT_S = 1.5

SQLITE_MAGIC = b"SQLite format 3\x00"

_OTHER_FORMATS = [
    (b"PK\x03\x04", "a Word, Excel or zip file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office document"),
    (b"%PDF", "a PDF document"),
    (b"DVCX", "an encrypted dvcoord bundle (use Merge a received file… to open it)"),
]


@dataclass(frozen=True)
class FileFacts:
    path: Path
    size: int
    database_id: str
    display_name: str
    revision: str | None


def describe_path(path: Path) -> str:
    return f"'{path}'"


def check_header(path: Path) -> int:
    """Raise unless ``path`` is a readable file with a dvcoord SQLite header.

    Returns the file size.
    """
    name = describe_path(path)
    if not path.exists():
        raise DvcoordError(f"There is no file at {name}.")
    if path.is_dir():
        raise DvcoordError(f"{name} is a folder, not a dvcoord database file.")
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            header = fh.read(100)
    except PermissionError:
        raise DvcoordError(f"dvcoord is not allowed to read {name}.") from None
    except OSError as exc:
        raise DvcoordError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    if size == 0:
        raise NotADvcoordFile(f"{name} is empty (0 bytes): it is not a dvcoord database.")
    if not header.startswith(SQLITE_MAGIC):
        for magic, what in _OTHER_FORMATS:
            if header.startswith(magic):
                raise NotADvcoordFile(f"{name} is {what}, not a dvcoord database.")
        raise NotADvcoordFile(f"{name} is not a dvcoord database (it is not a SQLite file).")
    if len(header) < 100:
        raise DamagedFileError(f"{name} is damaged: the file is cut short.")
    (app_id,) = struct.unpack(">I", header[68:72])
    if app_id != APPLICATION_ID:
        raise NotADvcoordFile(
            f"{name} is a database of another application, not a dvcoord database."
        )
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise DamagedFileError(f"{name} is damaged: its header gives an impossible page size.")
    return size


def clean_problem(text: str) -> str:
    """One line of SQLite's integrity report, without its header and line breaks."""
    text = text.replace("*** in database main ***", " ")
    return " ".join(text.split())


def _sqlite_problem(name: str, exc: sqlite3.Error) -> DvcoordError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return FileInUseError(f"{name} is in use by another program; close it there and try again.")
    if "malformed" in text or "corrupt" in text or "not a database" in text:
        # SQLite's own words go to the log only (with the file's name, not its folder).
        log.warning("%s cannot be opened: %s", Path(name.strip("'")).name, exc)
        return DamagedFileError(
            f"{name} is damaged and cannot be opened (some of its pages cannot be read)."
        )
    if "unable to open" in text:
        return DvcoordError(f"{name} cannot be opened: {exc}.")
    return DamagedFileError(f"{name} cannot be read as a database ({exc}).")


def _is_hot_journal(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK"


def recover_hot_journal(path: Path) -> None:
    """Let SQLite undo a transaction that a stopped program left half-written.

    Raises :class:`DvcoordError` when the file or its folder cannot be written, since
    the recovery needs write access.
    """
    name = describe_path(path)
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        raise DvcoordError(
            f"{name} was left half-saved when a program stopped suddenly, and dvcoord "
            "needs write access to it and its folder to undo the unfinished change."
        )
    try:
        conn = raw_connect(path, readonly=False, timeout=LOCK_WAIT_S)
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _sqlite_problem(name, exc) from None
    log.warning("rolled back an unfinished transaction left in %s", path.name)


def connect_readonly(
    path: Path, *, untrusted: bool = True, timeout: float | None = None
) -> sqlite3.Connection:
    """A read-only connection that has read the schema, after crash recovery if needed."""
    name = describe_path(path)
    for attempt in (1, 2):
        try:
            conn = raw_connect(
                path, readonly=True, untrusted=untrusted, timeout=timeout or LOCK_WAIT_S
            )
        except sqlite3.Error as exc:
            raise _sqlite_problem(name, exc) from None
        try:
            conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
            return conn
        except sqlite3.Error as exc:
            conn.close()
            if _is_hot_journal(exc) and attempt == 1:
                recover_hot_journal(path)
                continue
            raise _sqlite_problem(name, exc) from None
    raise AssertionError("unreachable")  # pragma: no cover


def inspect_file(path: Path, *, known_revisions: set[str], quick_check: bool = True) -> FileFacts:
    """Check a file read-only and return what it says about itself.

    Raises :class:`NotADvcoordFile`, :class:`DamagedFileError`, :class:`FileInUseError`
    or :class:`NewerVersionError`; never writes to the file.
    """
    path = Path(path)
    name = describe_path(path)
    size = check_header(path)
    conn = connect_readonly(path)
    try:
        cur = conn.cursor()
        if quick_check:
            rows = cur.execute("PRAGMA quick_check(20)").fetchall()
            problems = [clean_problem(r[0]) for r in rows if r[0] != "ok"]
            if problems:
                raise DamagedFileError(
                    f"{name} is damaged: SQLite's check reports {len(problems)} "
                    f"problem(s), the first being: {problems[0].rstrip('.')}."
                )
        tables = {
            r[0]
            for r in cur.execute("SELECT name FROM sqlite_schema WHERE type='table'").fetchall()
        }
        if "meta" not in tables:
            raise NotADvcoordFile(
                f"{name} has no dvcoord settings table: it is not a dvcoord database."
            )
        meta = dict(cur.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("application") != "dvcoord":
            raise NotADvcoordFile(f"{name} is not a dvcoord database.")
        revision = None
        if "alembic_version" in tables:
            row = cur.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        if revision is not None and revision not in known_revisions:
            raise NewerVersionError(
                f"{name} was saved by a newer version of dvcoord (schema {revision}); "
                "install the newer dvcoord to open it. The file has not been changed."
            )
        return FileFacts(
            path=path,
            size=size,
            database_id=meta.get("database_id", ""),
            display_name=meta.get("display_name", path.stem),
            revision=revision,
        )
    except sqlite3.Error as exc:
        raise _sqlite_problem(name, exc) from None
    finally:
        conn.close()


def check_writable(path: Path) -> None:
    """Raise unless the file and its folder can be written (the journal lives beside it)."""
    name = describe_path(path)
    if not os.access(path, os.W_OK):
        raise DvcoordError(
            f"{name} is read-only. Save a copy somewhere you can write to, or ask IT to "
            "allow changes to it."
        )
    if not os.access(path.parent, os.W_OK):
        raise DvcoordError(
            f"The folder of {name} is read-only, so dvcoord cannot save changes safely. "
            "Copy the file to a folder of your own."
        )


def check_not_locked(path: Path) -> None:
    """Raise :class:`FileInUseError` if another process holds a write lock."""
    name = describe_path(path)
    try:
        conn = raw_connect(path, readonly=False, timeout=LOCK_WAIT_S)
    except sqlite3.Error as exc:
        raise _sqlite_problem(name, exc) from None
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise _sqlite_problem(name, exc) from None
    finally:
        conn.close()
