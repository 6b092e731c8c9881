"""``dvcoord check``: is a file sound, at which schema revision, and what does it hold."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from dvcoord.errors import DvcoordError
from dvcoord.store import fileguard, migrate

log = logging.getLogger(__name__)

#: Problems SQLite's integrity check is asked to list at most.
MAX_DETAILS = 50

RESTORE = "restore a backup with `dvcoord restore`"
#: The problem shown for a file SQLite calls damaged; SQLite's own words go to the log.
DAMAGED = f"The file is damaged (some of its pages cannot be read); {RESTORE}."


def _is_damage(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(w in text for w in ("malformed", "corrupt", "not a database", "disk i/o"))


def _plain(exc: BaseException) -> str:
    """SQLite's error as words a user can act on (its own wording is logged)."""
    text = str(exc).lower()
    if _is_damage(exc):
        return "some of its pages cannot be read"
    if "locked" in text or "busy" in text:
        return "another program is using the file"
    return "the file could not be read"


@dataclass
class CheckReport:
    path: Path
    display_name: str = ""
    database_id: str = ""
    revision: str | None = None
    head: str = ""
    problems: list[str] = field(default_factory=list)
    counts: list[tuple[str, int, int | None]] = field(default_factory=list)

    @property
    def sound(self) -> bool:
        return not self.problems

    def render(self) -> str:
        lines = [f"File: {self.path}"]
        if self.display_name:
            lines.append(f"Database: {self.display_name} (id {self.database_id})")
        if self.revision:
            state = "current" if self.revision == self.head else "older: upgraded when opened"
            lines.append(f"Schema revision: {self.revision} ({state})")
        if self.counts:
            lines.append("Rows (live / marked deleted):")
            for table, live, deleted in self.counts:
                extra = f" / {deleted}" if deleted is not None else ""
                lines.append(f"  {table:<32} {live:>8}{extra}")
        if self.problems:
            lines.append(f"PROBLEMS ({len(self.problems)}):")
            lines.extend(f"  - {p}" for p in self.problems)
        else:
            lines.append("Result: sound.")
        return "\n".join(lines)


def check_database(path: Path) -> CheckReport:
    """Check a file read-only.  Never raises for a bad file: problems are listed.

    The only write it can cause is SQLite's own crash recovery (see
    :mod:`dvcoord.store.fileguard`), which returns a file that a stopped program left
    half-saved to its last committed state.
    """
    path = Path(path)
    report = CheckReport(path=path, head=migrate.head_revision())
    try:
        facts = fileguard.inspect_file(
            path, known_revisions=migrate.known_revisions(), quick_check=False
        )
        conn = fileguard.connect_readonly(path)
    except fileguard.DamagedFileError as exc:
        report.problems.append(f"{str(exc).rstrip('.')}; {RESTORE}.")
        return report
    except DvcoordError as exc:
        report.problems.append(str(exc))
        return report
    report.display_name = facts.display_name
    report.database_id = facts.database_id
    report.revision = facts.revision
    try:
        _check_open_file(conn, facts.revision, report)
    finally:
        conn.close()
    return report


def _damaged(report: CheckReport, what: str, exc: sqlite3.Error) -> None:
    """Note that ``what`` failed: SQLite's words in the log, a plain sentence shown."""
    log.warning("check %s: %s failed: %s", report.path.name, what, exc)
    if _is_damage(exc):
        if not any(p.startswith("The file is damaged") for p in report.problems):
            report.problems.append(DAMAGED)
    else:
        report.problems.append(f"The {what} could not be done: {_plain(exc)}.")


def _check_open_file(conn: sqlite3.Connection, revision: str | None, report: CheckReport) -> None:
    from dvcoord import paths

    try:
        rows = conn.execute(f"PRAGMA integrity_check({MAX_DETAILS})").fetchall()
    except sqlite3.DatabaseError as exc:
        _damaged(report, "integrity check", exc)
        return
    bad = [fileguard.clean_problem(r[0]) for r in rows if r[0] != "ok"]
    if bad:
        for line in bad:
            log.warning("check %s: SQLite integrity check: %s", report.path.name, line)
        report.problems.append(
            "The file is damaged (some of its pages cannot be read or do not fit together; "
            f"the details are in the log, {paths.log_path()}); {RESTORE}."
        )
    try:
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.DatabaseError as exc:
        _damaged(report, "check of the links between records", exc)
        fk = []
    if fk:
        tables = sorted({r[0] for r in fk})
        report.problems.append(
            f"{len(fk)} record(s) point to records that do not exist (in {', '.join(tables)})."
        )
    if revision is None:
        report.problems.append("The file has no schema revision stamp.")
    existing = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
    from dvcoord.store.schema import metadata

    unreadable: list[str] = []
    reasons: set[str] = set()
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        if table.name not in existing:
            if revision == report.head:
                report.problems.append(f"Table '{table.name}' is missing.")
            continue
        try:
            live = conn.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
            deleted = None
            if "deleted_at" in table.c:
                deleted = conn.execute(
                    f'SELECT count(*) FROM "{table.name}" WHERE deleted_at IS NOT NULL'
                ).fetchone()[0]
                live -= deleted
        except sqlite3.DatabaseError as exc:
            log.warning("check %s: table %s could not be read: %s", report.path.name, table, exc)
            unreadable.append(table.name)
            reasons.add("the file is damaged" if _is_damage(exc) else _plain(exc))
            continue
        report.counts.append((table.name, live, deleted))
    if unreadable:
        because = "; ".join(sorted(reasons))
        listed = ", ".join(unreadable)
        report.problems.append(
            f"{len(unreadable)} table(s) could not be read ({because}): {listed}."
            if len(unreadable) > 1
            else f"Table '{listed}' could not be read ({because})."
        )
