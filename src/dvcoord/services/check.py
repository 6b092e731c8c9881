"""``dvcoord check``: is a file sound, at which schema revision, and what does it hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dvcoord.errors import DvcoordError
from dvcoord.store import fileguard, migrate
from dvcoord.store.engine import raw_connect


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
    """Check a file read-only.  Never raises for a bad file: problems are listed."""
    path = Path(path)
    report = CheckReport(path=path, head=migrate.head_revision())
    try:
        facts = fileguard.inspect_file(path, known_revisions=migrate.known_revisions(),
                                       quick_check=False)
    except DvcoordError as exc:
        report.problems.append(str(exc))
        return report
    report.display_name = facts.display_name
    report.database_id = facts.database_id
    report.revision = facts.revision
    conn = raw_connect(path, readonly=True, untrusted=True)
    try:
        rows = conn.execute("PRAGMA integrity_check(50)").fetchall()
        bad = [r[0] for r in rows if r[0] != "ok"]
        report.problems.extend(f"SQLite integrity check: {b}" for b in bad)
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            tables = sorted({r[0] for r in fk})
            report.problems.append(
                f"{len(fk)} record(s) point to records that do not exist (in {', '.join(tables)})"
            )
        if facts.revision is None:
            report.problems.append("The file has no schema revision stamp.")
        existing = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")
        }
        from dvcoord.store.schema import metadata

        for table in sorted(metadata.tables.values(), key=lambda t: t.name):
            if table.name not in existing:
                if facts.revision == report.head:
                    report.problems.append(f"Table '{table.name}' is missing.")
                continue
            live = conn.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0]
            deleted = None
            if "deleted_at" in table.c:
                deleted = conn.execute(
                    f'SELECT count(*) FROM "{table.name}" WHERE deleted_at IS NOT NULL'
                ).fetchone()[0]
                live -= deleted
            report.counts.append((table.name, live, deleted))
    except Exception as exc:  # noqa: BLE001 - a damaged file can fail anywhere
        report.problems.append(f"The file could not be read completely: {exc}")
    finally:
        conn.close()
    return report
