"""Consistent, rotated backups through SQLite's backup API.

Backups of one database live in ``<backup dir>/<database id>/`` as
``<name>_<YYYYmmdd-HHMMSS-ffffff>_<reason>.sqlite``.  Rotation keeps the ten newest and,
for each of the last thirty days, the newest backup of that day.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dvcoord import paths
from dvcoord.errors import DvcoordError
from dvcoord.store import fileguard
from dvcoord.store.engine import raw_connect

log = logging.getLogger(__name__)

KEEP_LATEST = 10
KEEP_DAILY_DAYS = 30
_NAME_RE = re.compile(r"^(?P<stem>.+)_(?P<ts>\d{8}-\d{6}-\d{6})_(?P<reason>[a-z0-9-]+)\.sqlite$")


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: datetime
    reason: str
    size: int

    @property
    def label(self) -> str:
        local = self.taken_at.astimezone()
        return f"{local:%d/%m/%Y %H:%M:%S} – {self.reason.replace('-', ' ')}"


def _database_id(db_path: Path) -> str:
    conn = raw_connect(db_path, readonly=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key='database_id'").fetchone()
    except sqlite3.Error:
        row = None
    finally:
        conn.close()
    return row[0] if row and row[0] else "unknown"


def folder_for(db_path: Path) -> Path:
    folder = paths.backup_dir() / _database_id(Path(db_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_problem(dest: Path, exc: OSError) -> DvcoordError:
    if exc.errno == errno.ENOSPC:
        return DvcoordError(f"The disk is full: could not write '{dest}'.")
    return DvcoordError(f"Could not write '{dest}': {exc.strerror or exc}.")


def copy_database(src: Path, dest: Path) -> Path:
    """Write a consistent copy of ``src`` to ``dest`` (via a temporary file and rename)."""
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".dvcoord-copy-", suffix=".tmp", dir=dest.parent)
        os.close(fd)
    except OSError as exc:
        raise _write_problem(dest, exc) from None
    tmp = Path(tmp_name)
    try:
        source = raw_connect(Path(src), readonly=True)
        try:
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        os.replace(tmp, dest)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "disk is full" in str(exc):
            raise DvcoordError(f"The disk is full: could not write '{dest}'.") from None
        raise DvcoordError(f"Could not copy '{src}': {exc}.") from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _write_problem(dest, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def take_backup(db_path: Path, reason: str = "manual", dest: Path | None = None) -> Path:
    """Back up ``db_path`` now; to ``dest`` if given (a file, or a folder to put it in),
    else into its backup folder, which is then rotated."""
    db_path = Path(db_path)
    reason = re.sub(r"[^a-z0-9-]+", "-", reason.lower()).strip("-") or "manual"
    now = datetime.now(UTC)
    name = f"{db_path.stem}_{now:%Y%m%d-%H%M%S-%f}_{reason}.sqlite"
    if dest is None:
        folder = folder_for(db_path)
        dest = folder / name
        copy_database(db_path, dest)
        rotate(folder, now=now)
    else:
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / name
        copy_database(db_path, dest)
    log.info("backup taken (%s)", reason)
    return Path(dest)


def list_backups(db_path: Path) -> list[BackupInfo]:
    """Backups of this database, newest first."""
    return _scan(folder_for(Path(db_path)))


def _scan(folder: Path) -> list[BackupInfo]:
    found = []
    for entry in folder.glob("*.sqlite"):
        m = _NAME_RE.match(entry.name)
        if not m:
            continue
        taken = datetime.strptime(m["ts"], "%Y%m%d-%H%M%S-%f").replace(tzinfo=UTC)
        found.append(BackupInfo(entry, taken, m["reason"], entry.stat().st_size))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def _uk_day(moment: datetime) -> str:
    """The UK calendar day of a UTC moment (UTC itself if the zone data is missing)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return moment.astimezone(ZoneInfo("Europe/London")).date().isoformat()
    except ZoneInfoNotFoundError:
        return moment.date().isoformat()


def rotate(folder: Path, *, now: datetime | None = None) -> list[Path]:
    """Delete backups beyond the ten newest and one a day for thirty days (UK days:
    a backup at 00:30 in summer time belongs to that day, not the one before)."""
    now = now or datetime.now(UTC)
    backups = _scan(folder)
    keep = {b.path for b in backups[:KEEP_LATEST]}
    seen_days: set[str] = set()
    for b in backups:  # newest first: the first seen of a day is that day's newest
        day = _uk_day(b.taken_at)
        if now - b.taken_at <= timedelta(days=KEEP_DAILY_DAYS) and day not in seen_days:
            keep.add(b.path)
            seen_days.add(day)
    removed = []
    for b in backups:
        if b.path not in keep:
            b.path.unlink(missing_ok=True)
            removed.append(b.path)
    return removed


def backup_if_changed(db_path: Path) -> Path | None:
    """Take an ``on-open`` backup unless the newest backup is newer than the file."""
    db_path = Path(db_path)
    existing = list_backups(db_path)
    mtime = datetime.fromtimestamp(db_path.stat().st_mtime, UTC)
    if existing and existing[0].taken_at >= mtime:
        return None
    return take_backup(db_path, reason="on-open")


def restore_backup(backup: Path, db_path: Path) -> Path:
    """Replace the contents of ``db_path`` with ``backup``.

    The backup is checked first; the current file is itself backed up (returned) before
    it is overwritten, through the backup API so the write is one transaction.
    """
    from dvcoord.store import migrate

    backup, db_path = Path(backup), Path(db_path)
    fileguard.inspect_file(backup, known_revisions=migrate.known_revisions())
    safety = None
    if db_path.exists():
        fileguard.check_writable(db_path)
        safety = take_backup(db_path, reason="before-restore")
    try:
        source = raw_connect(backup, readonly=True)
        target = sqlite3.connect(db_path, timeout=4)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    except sqlite3.Error as exc:
        raise DvcoordError(f"Could not restore into '{db_path}': {exc}.") from None
    log.info("restored backup %s", backup.name)
    return safety or db_path
