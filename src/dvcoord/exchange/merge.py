"""Merging a received database into this one, row by row by UUID, without losing work.

``plan_merge`` checks the received file through the gate (:mod:`.gate`) and compares it
with this database; nothing is written.  ``apply_merge`` writes the plan in one
transaction, after a backup.

**Which tables.**  Every mapped class that carries the shared-row mixin
(:func:`dvcoord.store.base.shared_models`), discovered at run time, so an area added
later is merged with nothing more to do.  Tables marked ``__local__ = True`` (settings,
audit trail, merge log) are never merged.

**Which version wins.**  A row only in the received file is added (also when it is
already marked deleted, so that a deletion is never lost).  For a row on both sides that
differs, the later ``updated_at`` wins; at equal times a tombstone wins, then the higher
``origin`` id, then the higher SHA-256 of the row: a total order, so merging A into B and
B into A gives both the same rows.  A tombstone is an edit like any other: it wins over
older edits, and an edit made after it brings the row back.

**Conflicts.**  A row that differs in its content (not only in its bookkeeping) and was
changed on *both* sides since the last merge between the two databases is a conflict.
"Since the last merge" uses the marks of the merge log (:mod:`dvcoord.store.schema.
exchange`) kept on both sides (a shared copy carries its log): this database's newest
change when the other side last took from it, and the other side's newest change when
this side last took from it.  A version whose ``origin`` is the other database is that
database's own work (not a change here), and vice versa.  A copy of this database
coming back (or a copy of a copy, or another copy of the same file) says when it was made
(``meta`` key ``copy_lineage``, written by :mod:`.share`; :func:`common_copy_point`):
both files held the same rows then, so a row changed since on one side only is simply
that side's change, and only a row changed on both sides since the copy is a conflict.
Every copy of a database has its id, so the merge log records which copy a merge took
(``details["_copy_lineage"]``), and a later merge uses that entry only for a file that
holds what it took (the same working copy, or a copy made of it afterwards).
With neither a merge nor a copy known between the two, the newest version both hold
alike marks where they parted.  The preview lists each conflict with both versions;
the GUI lets the user choose per conflict (``dvcoord merge`` applies the rule).  A
choice *against* the rule is stamped as a fresh change (now, by this officer), so it
wins when the two databases next merge.  Which version wins never depends on the
marks: they only decide what is shown as a conflict.

**Nothing is lost.**  Every overwritten row is written to the audit trail with its full
previous version as ``before`` (the session is marked ``merging``, so the received rows
keep their own bookkeeping); in a conflict where this database's version is kept, the
received version is recorded too (action ``merge-declined``).  Both can be restored from
the row's history (:mod:`.history`).

**References.**  Rows are written in dependency order with foreign keys deferred and
checked before the commit.  A received row that refers to a row that exists in neither
database (or that would break a uniqueness rule, e.g. two alarms with one asset tag) is
*left out* (for a changed row: this database's version is kept) and listed in the
report as a problem; the rows that depend on it are left out too.  Nothing is written
that would leave a broken link.  A later merge brings such rows in once their parents
arrive.

**Reference data and separately started files.**  Before the comparison, received rows
of the reference lists (agencies, training levels and topics, alarm types) that this
database holds under another id, by normalised name, are mapped onto this database's
rows and every reference to them re-pointed, in the checked copy (:mod:`.matching`).
The preview says how many were matched, says in one sentence when the file was started
separately from this database (:attr:`MergePreview.unrelated`; the GUI and the CLI ask
before merging it), and warns of received plans with the title and period of a plan
this database already has (they are added as separate plans, never combined).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, select
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import lazyload
from sqlalchemy.pool import NullPool

from dvcoord.errors import DvcoordError
from dvcoord.exchange import gate, matching
from dvcoord.store import backups
from dvcoord.store.audit import to_jsonable
from dvcoord.store.base import shared_models, utcnow
from dvcoord.store.engine import raw_connect
from dvcoord.store.schema import core, metadata
from dvcoord.store.schema.exchange import MergeLog

log = logging.getLogger(__name__)

BOOKKEEPING = ("id", "created_at", "updated_at", "updated_by", "origin")
MINE, THEIRS = "mine", "theirs"
_BATCH = 500
_LABEL_FIELDS = ("reference", "asset_tag", "code", "title", "name", "case_reference", "text")

Progress = Callable[[int, int, str], None]


# =========================================================================== results
@dataclass(frozen=True)
class FieldDiff:
    field: str
    mine: Any
    theirs: Any


@dataclass
class Conflict:
    """A row changed on both sides since the last merge, with both versions."""

    table: str
    row_id: str
    label: str
    mine: dict[str, Any]
    theirs: dict[str, Any]
    diffs: list[FieldDiff]
    #: The version the rule (later change wins) would keep.
    rule: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.table, self.row_id)

    def describe_rule(self) -> str:
        side = self.theirs if self.rule == THEIRS else self.mine
        who = side.get("updated_by") or "someone"
        when = _when(side.get("updated_at"))
        whose = "the received version" if self.rule == THEIRS else "this database's version"
        return f"{whose} (changed {when} by {who})"


@dataclass(frozen=True)
class Problem:
    table: str
    row_id: str
    message: str


@dataclass
class TableCounts:
    table: str
    new: int = 0
    changed: int = 0
    deleted: int = 0
    conflicts: int = 0
    kept: int = 0
    unchanged: int = 0
    left_out: int = 0

    @property
    def writes(self) -> int:
        return self.new + self.changed + self.deleted

    def as_dict(self) -> dict[str, int]:
        return {
            "new": self.new,
            "changed": self.changed,
            "deleted": self.deleted,
            "conflicts": self.conflicts,
            "kept": self.kept,
            "left_out": self.left_out,
        }


@dataclass
class _Planned:
    kind: str  # "new" | "changed" | "deleted"
    local_stamp: str | None  # raw updated_at of this database's row at planning time
    fk: tuple  # values of the table's foreign-key columns in the received version
    conflict: bool = False


@dataclass
class _TablePlan:
    writes: dict[str, _Planned] = field(default_factory=dict)  # rule says theirs
    conflicts: dict[str, _Planned] = field(default_factory=dict)  # every conflict
    left_out: set[str] = field(default_factory=set)


@dataclass
class MergePreview:
    """What a merge would do; nothing has been written."""

    db_path: Path
    database_id: str
    file_name: str
    peer_id: str
    peer_name: str
    peer_revision: str
    upgraded: bool
    encrypted: bool
    same_database: bool
    #: No earlier merge between the two and no copy point known, and something to merge.
    first_contact: bool
    counts: dict[str, TableCounts]
    conflicts: list[Conflict]
    problems: list[Problem]
    peer_mark: str | None
    #: Separately started (see :mod:`.matching`): the user is asked before merging.
    unrelated: bool = False
    #: Received reference rows mapped onto this database's rows, by table.
    matches: dict[str, list[matching.NameMatch]] = field(default_factory=dict)
    #: Received plans (labels) with the title and period of a plan this database has.
    same_title_plans: list[str] = field(default_factory=list)
    #: When the received file (or the copy it came from) was copied from this database
    #: (or both from one file): ISO time of the copy; "" when not known.
    copied_at: str = ""
    #: The received file is this database's own file.
    own_file: bool = False
    #: Full addresses in the received file not taken: this database records none.
    addresses_not_taken: int = 0
    _checked: gate.CheckedFile | None = field(default=None, repr=False)
    _plans: dict[str, _TablePlan] = field(default_factory=dict, repr=False)
    #: The received file's copy points (recorded in the merge log).
    _peer_lineage: list = field(default_factory=list, repr=False)

    @property
    def totals(self) -> TableCounts:
        total = TableCounts("all")
        for c in self.counts.values():
            for key in ("new", "changed", "deleted", "conflicts", "kept", "unchanged", "left_out"):
                setattr(total, key, getattr(total, key) + getattr(c, key))
        return total

    @property
    def has_changes(self) -> bool:
        t = self.totals
        return bool(t.writes or t.conflicts)

    @property
    def is_open(self) -> bool:
        return self._checked is not None

    def close(self) -> None:
        """Delete the checked copy of the received file (the preview can no longer be
        applied)."""
        if self._checked is not None:
            self._checked.close()
            self._checked = None

    @property
    def unrelated_message(self) -> str:
        """One sentence for a separately started file ("" for a related one)."""
        if not self.unrelated:
            return ""
        return (
            f"This file was not made from your database or from a copy of it: "
            f"'{self.peer_name}' was started separately, so apart from agencies and other "
            "lists matched by name, its records (plans included) will be added beside "
            "yours rather than combined with them."
        )

    def match_lines(self) -> list[str]:
        """One line per reference list: "N agencies matched by name..."."""
        out = []
        for spec in matching.REFERENCE_LISTS:
            found = self.matches.get(spec.table, [])
            if not found:
                continue
            names = sorted({m.name for m in found}, key=str.casefold)
            shown = ", ".join(names[:6]) + (", …" if len(names) > 6 else "")
            what = spec.singular if len(found) == 1 else spec.plural
            differing = sum(1 for m in found if m.differs)
            line = (
                f"{len(found)} {what} matched by name to yours ({shown}): the received "
                "records point to yours and no second copy is added."
            )
            if differing:
                line += (
                    f" {differing} of them hold details that differ from yours; yours are "
                    "kept and the received details are saved in the record's history."
                )
            out.append(line)
        return out

    @property
    def plan_warning(self) -> str:
        n = len(self.same_title_plans)
        if not n:
            return ""
        if n == 1:
            return (
                "1 plan has the same title as a plan you already have; it will be added "
                "as a separate plan."
            )
        return (
            f"{n} plans have the same title as plans you already have; they will be added "
            "as separate plans."
        )

    def summary_lines(self) -> list[str]:
        lines = [
            f"Received file: {self.file_name} – database '{self.peer_name}' "
            f"(id {self.peer_id})" + (", encrypted" if self.encrypted else ""),
        ]
        if self.unrelated:
            lines.append(self.unrelated_message)
        lines.extend(self.match_lines())
        if self.plan_warning:
            lines.append(self.plan_warning)
        if self.upgraded:
            lines.append(
                f"It was made by an older dvcoord (schema {self.peer_revision}); "
                "its copy was brought up to date for the merge."
            )
        lines.extend(self.source_lines())
        lines.extend(_count_table(self.counts.values()))
        lines.extend(_conflict_lines(self.conflicts, None))
        lines.extend(_problem_lines(self.problems))
        return lines

    def source_lines(self) -> list[str]:
        """What ties the file to this database, as far as it decides the conflicts: its
        own file, a copy of it (made when), or two databases never merged before (only
        said when there is something to merge)."""
        lines = []
        if self.own_file:
            lines.append("It is this database's own file.")
        elif self.same_database and self.copied_at:
            lines.append(
                f"It is a copy of this same database, made on {_when(self.copied_at)}: only "
                "records changed on both sides since then count as conflicts."
            )
        elif self.same_database:
            lines.append("It is a copy of this same database.")
        if self.addresses_not_taken:
            n = self.addresses_not_taken
            lines.append(
                f"{n} full address{'es' if n != 1 else ''} of Sanctuary Scheme cases in the "
                "file will not be taken: this database does not record full addresses."
            )
        if self.first_contact:
            lines.append(
                "No earlier merge between these two databases is known: every row "
                "changed on both sides counts as a conflict."
            )
        return lines


@dataclass
class MergeReport:
    """What a merge did."""

    file_name: str
    peer_id: str
    peer_name: str
    counts: dict[str, TableCounts]
    conflicts: list[Conflict]
    choices: dict[tuple[str, str], str]
    problems: list[Problem]
    backup: Path | None
    merged_at: datetime
    #: "N agencies matched by name ..." lines of the preview.
    matched: list[str] = field(default_factory=list)

    @property
    def totals(self) -> TableCounts:
        total = TableCounts("all")
        for c in self.counts.values():
            for key in ("new", "changed", "deleted", "conflicts", "kept", "left_out"):
                setattr(total, key, getattr(total, key) + getattr(c, key))
        return total

    def summary_lines(self) -> list[str]:
        t = self.totals
        lines = [
            f"Merged '{self.file_name}' from '{self.peer_name}': {t.new} new, {t.changed} "
            f"changed, {t.deleted} marked deleted, {t.conflicts} conflict(s), "
            f"{t.left_out} left out.",
        ]
        lines.extend(self.matched)
        lines.extend(_conflict_lines(self.conflicts, self.choices))
        lines.extend(_problem_lines(self.problems))
        if self.backup is not None:
            lines.append(f"A backup of the database as it was before is at {self.backup}")
        return lines


def _count_table(counts) -> list[str]:
    rows = [c for c in counts if c.writes or c.conflicts or c.left_out or c.kept]
    if not rows:
        return ["Nothing to merge: this database already has everything in the file."]
    out = [
        f"{'Table':<24}{'New':>8}{'Changed':>9}{'Deleted':>9}{'Conflicts':>11}"
        f"{'Kept':>7}{'Left out':>10}"
    ]
    for c in rows:
        out.append(
            f"{c.table:<24}{c.new:>8}{c.changed:>9}{c.deleted:>9}{c.conflicts:>11}"
            f"{c.kept:>7}{c.left_out:>10}"
        )
    return out


def conflict_heading(count: int, *, settled: bool) -> str:
    """The first line over a list of conflicts: what they are and what happens to them.

    Before the merge (``settled=False``) the rule decides, as ``dvcoord merge`` applies
    it; after it (``settled=True``) the choices were made.  Either way the version not
    kept stays in the record's history: the overwritten one as the merge's "before", the
    received one as "received in a merge but not taken" (see :mod:`.history`).
    """
    what = (
        f"Conflicts ({count}): changed on both sides since the two databases last met (a "
        "merge, or the copy being made); "
    )
    if settled:
        return what + (
            "the version not kept is saved in the record's History, where it can be put back."
        )
    return what + (
        "the later change is kept, and the other version is saved in the record's "
        "History, where it can be put back."
    )


def _conflict_lines(conflicts: list[Conflict], choices) -> list[str]:
    if not conflicts:
        return []
    out = [conflict_heading(len(conflicts), settled=choices is not None)]
    for c in conflicts:
        fields = ", ".join(d.field for d in c.diffs) or "bookkeeping only"
        chosen = (choices or {}).get(c.key, c.rule)
        if choices is None:
            outcome = f"keeps {c.describe_rule()}"
        else:
            outcome = (
                "kept the received version" if chosen == THEIRS else "kept this database's version"
            )
        out.append(f"  {c.label} [{c.row_id}]: {fields} – {outcome}")
    return out


def _problem_lines(problems: list[Problem]) -> list[str]:
    if not problems:
        return []
    return [f"Problems ({len(problems)}):"] + [f"  {p.message}" for p in problems]


def _when(raw: Any) -> str:
    if not raw:
        return "at an unknown time"
    try:
        dt = datetime.fromisoformat(str(raw))
    except ValueError:
        return str(raw)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone().strftime("%d/%m/%Y %H:%M")


# =========================================================================== tables
def merged_tables() -> list[Table]:
    """The tables a merge covers, parents before children."""
    names = {m.__tablename__ for m in shared_models()}
    return [t for t in metadata.sorted_tables if t.name in names]


def local_tables() -> list[Table]:
    from dvcoord.store.base import Base

    names = {
        m.class_.__tablename__
        for m in Base.registry.mappers
        if getattr(m.class_, "__local__", False)
    }
    return [t for t in metadata.sorted_tables if t.name in names]


def model_for(table_name: str) -> type:
    for model in shared_models():
        if model.__tablename__ == table_name:
            return model
    raise DvcoordError(f"dvcoord has no shared table called '{table_name}'.")


def _columns(table: Table) -> list[str]:
    return ["id"] + [c.name for c in table.columns if c.name != "id"]


def _fk_columns(table: Table, shared: set[str]) -> list[tuple[str, str]]:
    """(column, parent table) of each foreign key to a shared table's id."""
    out = []
    for fk in sorted(table.foreign_keys, key=lambda f: f.parent.name):
        target = fk.column
        if target.table.name in shared and target.name == "id":
            out.append((fk.parent.name, target.table.name))
    return out


def _unique_sets(table: Table) -> list[tuple[tuple[str, ...], str | None]]:
    """Column sets that must be unique (with the SQL condition of a partial index)."""
    from sqlalchemy import UniqueConstraint
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    out: list[tuple[tuple[str, ...], str | None]] = []
    for cons in table.constraints:
        if isinstance(cons, UniqueConstraint):
            out.append((tuple(c.name for c in cons.columns), None))
    for index in table.indexes:
        if not index.unique:
            continue
        where = index.dialect_options["sqlite"].get("where")
        where_sql = None
        if where is not None:
            where_sql = str(
                where.compile(
                    dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}
                )
            )
        out.append((tuple(c.name for c in index.columns), where_sql))
    return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> Iterator[tuple]:
    cur = conn.execute(sql, params)
    while True:
        batch = cur.fetchmany(2000)
        if not batch:
            return
        yield from batch


def _row_hash(row: tuple) -> str:
    enc = [v.hex() if isinstance(v, bytes) else v for v in row]
    return hashlib.sha256(json.dumps(enc, default=str).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Ix:
    updated_at: int
    deleted_at: int
    origin: int
    content: tuple[int, ...]


def rule_winner(mine: tuple, theirs: tuple, ix: _Ix) -> str:
    """The version the rule keeps: later ``updated_at``, then tombstone, then origin,
    then row hash (a total order over distinct versions)."""
    mu, tu = mine[ix.updated_at] or "", theirs[ix.updated_at] or ""
    if mu != tu:
        return THEIRS if tu > mu else MINE
    md, td = mine[ix.deleted_at] is not None, theirs[ix.deleted_at] is not None
    if md != td:
        return THEIRS if td else MINE
    mo, to = mine[ix.origin] or "", theirs[ix.origin] or ""
    if mo != to:
        return THEIRS if to > mo else MINE
    return THEIRS if _row_hash(theirs) > _row_hash(mine) else MINE


# =========================================================================== values
class _Converter:
    """Turns raw SQLite values into Python values with dvcoord's own column types."""

    def __init__(self, table: Table, columns: list[str], dialect) -> None:  # noqa: ANN001
        self.table = table
        self.columns = columns
        self.procs = [
            table.c[c].type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ]

    def values(self, row: tuple) -> dict[str, Any]:
        out = {}
        for col, proc, value in zip(self.columns, self.procs, row, strict=True):
            try:
                out[col] = proc(value) if proc is not None and value is not None else value
            except (ValueError, TypeError, OverflowError):
                raise DvcoordError(
                    f"The received file holds a value in '{self.table.name}.{col}' that "
                    "dvcoord cannot read; nothing was merged."
                ) from None
        return out


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: to_jsonable(v) for k, v in values.items()}


def _label(table: str, values: dict[str, Any]) -> str:
    title = table.replace("_", " ")
    for key in _LABEL_FIELDS:
        v = values.get(key)
        if isinstance(v, str) and v.strip():
            v = " ".join(v.split())
            return f"{title} '{v[:50]}{'…' if len(v) > 50 else ''}'"
    return f"{title} {str(values.get('id', ''))[:8]}"


def row_label(table: str, values: dict[str, Any]) -> str:
    """A short name for a row, for people: its table and reference, title or name."""
    return _label(table, values)


def _raw_mark(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _parse_mark(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC)
    except ValueError:
        return None


# =========================================================================== copies
#: ``meta`` key of a shared copy: the copy points it descends from, oldest first, as a
#: JSON list of ``{"database_id", "mark", "at"}`` (written by :mod:`.share`).
COPY_LINEAGE_KEY = "copy_lineage"
#: A copy of a copy of ... deeper than this records no further point (the merge then
#: falls back to where the rows part, as for a file copied by hand).
LINEAGE_LIMIT = 32

CopyPoint = tuple[str, str, str]  # (mark, at, database_id)
#: Key in ``merge_log.details``: the merged file's copy points (not a table name).
LOG_LINEAGE_KEY = "_copy_lineage"


def shared_high_water(conn: sqlite3.Connection) -> str:
    """The newest ``updated_at`` of any shared row ("" for none), as stored."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
    mark = ""
    for table in merged_tables():
        if table.name in present:
            value = conn.execute(f"SELECT max(updated_at) FROM {_q(table.name)}").fetchone()[0]
            if isinstance(value, str) and value > mark:
                mark = value
    return mark


def read_copy_lineage(conn: sqlite3.Connection) -> list[CopyPoint]:
    """The copy points recorded in a file's ``meta`` ([] when none, or unreadable: the
    received file's meta is untrusted, and a malformed value only loses the shortcut)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (COPY_LINEAGE_KEY,)).fetchone()
    if not row or not isinstance(row[0], str):
        return []
    try:
        items = json.loads(row[0])
    except ValueError:
        return []
    return _lineage_points(items) or []


def _lineage_points(items: Any) -> list[CopyPoint] | None:
    """Copy points from their JSON form (None when malformed), times normalised."""
    if not isinstance(items, list) or len(items) > LINEAGE_LIMIT:
        return None
    out: list[CopyPoint] = []
    for item in items:
        if not isinstance(item, dict):
            return None
        mark, at, dbid = item.get("mark"), item.get("at"), item.get("database_id")
        if not (isinstance(mark, str) and isinstance(at, str) and isinstance(dbid, str)):
            return None
        if mark:
            parsed = _parse_mark(mark)
            if parsed is None:
                return None
            mark = _raw_mark(parsed)
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        out.append((mark or "", moment.astimezone(UTC).isoformat(), dbid))
    return out


def _lineage_json(points: list[CopyPoint]) -> list[dict[str, str]]:
    return [{"database_id": d, "mark": m, "at": a} for m, a, d in points]


def _holds_merged_file(holder: list[CopyPoint], merged: list[CopyPoint], at: Any) -> bool:
    """Whether a file of lineage ``holder`` holds what a merge at ``at`` took from a file
    of lineage ``merged`` (both of one database): it is that same working file, or a copy
    of it made after the merge.  Any other file of the database (the source the merged
    file was copied from, another copy of it) may lack what was edited in the merged one,
    so that merge tells nothing about it."""
    if holder == merged:
        return True
    k = len(merged)
    if len(holder) <= k or holder[:k] != merged:
        return False
    when = _parse_mark(str(at)) if at else None
    if when is None:
        return False
    return datetime.fromisoformat(holder[k][1]) >= when


def copy_lineage_text(conn: sqlite3.Connection, database_id: str, at: datetime) -> str | None:
    """The lineage a new copy of the file behind ``conn`` carries: the file's own points
    and this copy's (the file's newest row, and now).  None past :data:`LINEAGE_LIMIT`."""
    points = read_copy_lineage(conn)
    if len(points) >= LINEAGE_LIMIT:
        return None
    points.append((shared_high_water(conn), at.astimezone(UTC).isoformat(), database_id))
    return json.dumps([{"database_id": d, "mark": m, "at": a} for m, a, d in points])


def common_copy_point(mine: list[CopyPoint], theirs: list[CopyPoint]) -> CopyPoint | None:
    """The newest copy point two files of one database both descend from, or None.

    Each file's lineage lists the copies it was made through, from the original file on.
    Where the two lineages first differ, each file was copied from one common file at
    its own point: that file's state at the earlier point is in both.  When one lineage
    is the start of the other, the longer file was copied from (a file like) the shorter
    at its next point.  Identical lineages (the file itself, or a copy made by hand) give
    None.  The same answer either way round.
    """
    for a, b in zip(mine, theirs, strict=False):
        if a != b:
            return min(a, b)
    if len(mine) == len(theirs):
        return None
    longer = mine if len(mine) > len(theirs) else theirs
    return longer[min(len(mine), len(theirs))]


# =========================================================================== planning
def _sync_marks(
    loc: sqlite3.Connection,
    inc: sqlite3.Connection,
    own_id: str,
    peer_id: str,
    lineages: tuple[list[CopyPoint], list[CopyPoint]] | None = None,
) -> tuple[str | None, str | None]:
    """(L, R): a row here changed since the last merge if its ``updated_at`` > L; a row
    there changed since if its ``updated_at`` > R.  None: no merge known.

    ``lineages`` (this file's and the received file's copy points) is given for two
    files of one database: every copy of it has its id, so a merge of one copy says
    nothing about another, and an entry that recorded which copy it took
    (:func:`_holds_merged_file`) is used only for the file that holds what it took.
    """
    marks_l: list[str] = []
    marks_r: list[str] = []

    def usable(details: Any, at: Any, holder: list[CopyPoint]) -> bool:
        try:
            recorded = json.loads(details) if isinstance(details, str) else None
        except ValueError:
            recorded = None
        merged = None
        if isinstance(recorded, dict) and LOG_LINEAGE_KEY in recorded:
            merged = _lineage_points(recorded[LOG_LINEAGE_KEY])
            if merged is None:
                return False
        # an entry written before merges recorded the copy is used as it always was
        return merged is None or _holds_merged_file(holder, merged, at)

    sql = "SELECT {}, {}, details, merged_at FROM merge_log WHERE peer_id = ?"
    for here_mark, there_mark, details, at in loc.execute(
        sql.format("local_mark", "peer_mark"), (peer_id,)
    ):
        if lineages is None or usable(details, at, lineages[1]):
            marks_l.extend([here_mark] if here_mark else [])
            marks_r.extend([there_mark] if there_mark else [])
    for here_mark, there_mark, details, at in inc.execute(
        sql.format("peer_mark", "local_mark"), (own_id,)
    ):
        if lineages is None or usable(details, at, lineages[0]):
            marks_l.extend([here_mark] if isinstance(here_mark, str) and here_mark else [])
            marks_r.extend([there_mark] if isinstance(there_mark, str) and there_mark else [])
    return (max(marks_l) if marks_l else None, max(marks_r) if marks_r else None)


def plan_merge(
    db, incoming_path: Path, passphrase: str | None = None, *, progress: Progress | None = None
) -> MergePreview:
    """Check ``incoming_path`` and work out what merging it into ``db`` would do.

    Nothing is written.  Close the preview (or apply it) to delete the checked copy.
    """

    def gate_progress(done: int, total: int, text: str) -> None:
        if progress is not None:
            progress(done, total * 3, text)

    checked = gate.check_incoming(Path(incoming_path), passphrase, progress=gate_progress)
    name = f"'{Path(incoming_path).name}'"
    try:
        dropped = _keep_withheld_addresses(db, checked)
        preview = _plan(db, checked, progress)
        preview.addresses_not_taken = dropped
        try:
            preview.own_file = Path(incoming_path).resolve() == Path(db.path).resolve()
        except OSError:
            preview.own_file = False
        return preview
    except gate.ProgressStopped as stop:
        checked.close()
        raise stop.original from None
    except DvcoordError:
        checked.close()
        raise
    except (sqlite3.Error, UnicodeError) as exc:
        checked.close()
        raise gate.describe_sqlite_problem(name, exc, "nothing was changed") from None
    except MemoryError:
        checked.close()
        raise DvcoordError(f"The file {name} is too large to merge on this computer.") from None
    except Exception:
        checked.close()
        log.exception("unexpected error while planning a merge")
        raise DvcoordError(
            f"The file {name} could not be compared with this database (an "
            "unexpected problem, recorded in the log); nothing was changed."
        ) from None


def _keep_withheld_addresses(db, checked: gate.CheckedFile) -> int:
    """A blank Sanctuary Scheme address in the received file that the sender left out
    (not cleared) takes this database's address, in the checked copy only, before the
    merge is worked out: a merge never erases an address because the sender withheld
    it.  When this database records no addresses, received ones are not taken at all
    (returns how many).  The rules are in :mod:`dvcoord.exchange.withheld`."""
    from dvcoord.exchange import withheld

    dropped = withheld.drop_addresses_when_off(Path(db.path), checked.path)
    withheld.keep_local_addresses(Path(db.path), checked.path)
    return dropped


def _address_winner(
    table: str, mine: tuple, theirs: tuple, pos: dict[str, int], own_id: str, peer_id: str
) -> str | None:
    """Two versions of a Sanctuary Scheme case that are the same version except that one
    address is blank (what withholding leaves behind): the version of the database that
    made it wins, else the one with the address (None: the rule below decides).  See
    :func:`dvcoord.exchange.withheld.same_version_winner`."""
    from dvcoord.exchange import withheld

    return withheld.same_version_winner(table, mine, theirs, pos, own_id, peer_id)


def _conflicts(
    loc: sqlite3.Connection, inc: sqlite3.Connection, table: Table, ids: list, dialect
) -> list[Conflict]:  # noqa: ANN001
    """Both versions of each conflicting row, read again by id (conflicts are few)."""
    if not ids:
        return []
    cols = _columns(table)
    conv = _Converter(table, cols, dialect)
    select_sql = f"SELECT {', '.join(_q(c) for c in cols)} FROM {_q(table.name)} WHERE id IN "
    out = []
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        marks = "(" + ", ".join("?" * len(batch)) + ")"
        keys = tuple(i for i, _w in batch)
        mine = {r[0]: r for r in loc.execute(select_sql + marks, keys)}
        theirs = {r[0]: r for r in inc.execute(select_sql + marks, keys)}
        for row_id, winner in batch:
            mv, tv = conv.values(mine[row_id]), conv.values(theirs[row_id])
            out.append(
                Conflict(
                    table=table.name,
                    row_id=row_id,
                    label=_label(table.name, mv),
                    mine=_jsonable(mv),
                    theirs=_jsonable(tv),
                    diffs=[
                        FieldDiff(c, to_jsonable(mv[c]), to_jsonable(tv[c]))
                        for c in cols
                        if c not in BOOKKEEPING and mv[c] != tv[c]
                    ],
                    rule=winner,
                )
            )
    return out


@dataclass
class _Pending:
    """A row on both sides in two versions, before it is classified."""

    row_id: str
    planned: _Planned
    winner: str
    differs: bool
    mine_key: tuple  # (updated_at, origin) of this database's version
    theirs_key: tuple  # (updated_at, origin) of the received version


def _plan(db, checked: gate.CheckedFile, progress: Progress | None) -> MergePreview:
    own_id = db.database_id
    peer_id = checked.database_id
    same = own_id == peer_id
    tables = merged_tables()
    shared = {t.name for t in tables}
    dialect = db.engine.dialect
    matches = _match_reference_rows(db, checked, tables, shared, dialect)
    lineage = matching.Lineage(own_id, peer_id)
    inc = checked.connect()
    loc = raw_connect(db.path, readonly=True)
    plans: dict[str, _TablePlan] = {}
    counts: dict[str, TableCounts] = {}
    conflicts: list[Conflict] = []
    pending: dict[str, list[_Pending]] = {}
    fk_targets = {parent for t in tables for _c, parent in _fk_columns(t, shared)}
    local_ids: dict[str, set[str]] = defaultdict(set)
    peer_mark: str | None = None
    same_mark: str | None = None  # newest version both sides hold exactly alike
    point: CopyPoint | None = None  # the copy both files descend from
    peer_lineage: list[CopyPoint] = []
    try:
        loc.execute("BEGIN")
        copies = (read_copy_lineage(loc), read_copy_lineage(inc))
        peer_lineage = copies[1]
        mark_l, mark_r = _sync_marks(loc, inc, own_id, peer_id, copies if same else None)
        lineage.logged = not (mark_l is None and mark_r is None)
        # A copy of this database (or of a copy of it) says when it was made: until then
        # both files held the same rows, so that is where their changes start.
        if same:
            point = common_copy_point(*copies)
        if point is not None:
            mark_l = point[0] if mark_l is None else max(mark_l, point[0])
            mark_r = point[0] if mark_r is None else max(mark_r, point[0])
        first_contact = mark_l is None and mark_r is None
        origins_l, origins_r = lineage.local_origins, lineage.incoming_origins
        n_tables = len(tables)
        for n, table in enumerate(tables):
            gate.report_progress(progress, n_tables + n, n_tables * 3, f"Comparing {table.name}")
            cols = _columns(table)
            pos = {c: i for i, c in enumerate(cols)}
            content = tuple(i for c, i in pos.items() if c not in BOOKKEEPING)
            ix = _Ix(pos["updated_at"], pos["deleted_at"], pos["origin"], content)
            fks = [(pos[c], parent) for c, parent in _fk_columns(table, shared)]
            plan = _TablePlan()
            tc = TableCounts(table.name)
            todo: list[_Pending] = []
            sql = f"SELECT {', '.join(_q(c) for c in cols)} FROM {_q(table.name)} ORDER BY id"
            keep_ids = local_ids[table.name] if table.name in fk_targets else None
            upd, dele, orig = ix.updated_at, ix.deleted_at, ix.origin

            mine_it, theirs_it = _rows(loc, sql), _rows(inc, sql)
            mine, theirs = next(mine_it, None), next(theirs_it, None)
            if mine is not None:
                lineage.local_rows = True
            if theirs is not None:
                lineage.incoming_rows = True
            while mine is not None or theirs is not None:
                if theirs is not None:
                    stamp = theirs[upd]
                    if stamp and (peer_mark is None or stamp > peer_mark):
                        peer_mark = stamp
                    origins_r.add(theirs[orig])
                if mine is not None:
                    origins_l.add(mine[orig])
                if theirs is None or (mine is not None and mine[0] < theirs[0]):
                    if keep_ids is not None:
                        keep_ids.add(mine[0])
                    mine = next(mine_it, None)
                    continue
                fk = tuple(theirs[i] for i, _p in fks)
                if mine is None or theirs[0] < mine[0]:
                    plan.writes[theirs[0]] = _Planned("new", None, fk)
                    theirs = next(theirs_it, None)
                    continue
                # the row is on both sides
                lineage.see_shared_id(mine[0])
                if keep_ids is not None:
                    keep_ids.add(mine[0])
                if mine == theirs:
                    tc.unchanged += 1
                    stamp = mine[upd]
                    if stamp and (same_mark is None or stamp > same_mark):
                        same_mark = stamp
                else:
                    kind = "changed"
                    if theirs[dele] is not None and mine[dele] is None:
                        kind = "deleted"
                    todo.append(
                        _Pending(
                            mine[0],
                            _Planned(kind, mine[upd], fk),
                            _address_winner(table.name, mine, theirs, pos, own_id, peer_id)
                            or rule_winner(mine, theirs, ix),
                            any(mine[i] != theirs[i] for i in content),
                            (mine[upd] or "", mine[orig]),
                            (theirs[upd] or "", theirs[orig]),
                        )
                    )
                mine, theirs = next(mine_it, None), next(theirs_it, None)
            plans[table.name] = plan
            counts[table.name] = tc
            pending[table.name] = todo

        # With no merge known between the two, the newest version both hold alike marks
        # where they parted: a change after it is a change since.
        if first_contact:
            mark_l = mark_r = same_mark

        def changed_here(key: tuple) -> bool:
            if not same and key[1] == peer_id:
                return False
            return mark_l is None or key[0] > mark_l

        def changed_there(key: tuple) -> bool:
            if not same and key[1] == own_id:
                return False
            return mark_r is None or key[0] > mark_r

        for table in tables:
            plan, tc = plans[table.name], counts[table.name]
            conflict_ids = []
            for p in pending[table.name]:
                is_conflict = p.differs and changed_here(p.mine_key) and changed_there(p.theirs_key)
                p.planned.conflict = is_conflict
                if is_conflict:
                    plan.conflicts[p.row_id] = p.planned
                    conflict_ids.append((p.row_id, p.winner))
                if p.winner == THEIRS:
                    plan.writes[p.row_id] = p.planned
                elif not is_conflict:
                    tc.kept += 1
            conflicts.extend(_conflicts(loc, inc, table, conflict_ids, dialect))
        del pending
        problems = _leave_out(
            loc, inc, tables, plans, local_ids, shared, dialect, conflicts, progress
        )
        same_title_plans = _same_title_plans(loc, inc, plans["plan"])
    finally:
        try:
            loc.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        loc.close()
        inc.close()

    # Conflicts whose received version cannot be taken are not offered as a choice.
    kept_conflicts = []
    for c in conflicts:
        if c.row_id in plans[c.table].left_out:
            continue
        kept_conflicts.append(c)
    for table in tables:
        plan, tc = plans[table.name], counts[table.name]
        for row_id, p in plan.writes.items():
            if row_id in plan.left_out or p.conflict:
                continue
            setattr(tc, p.kind, getattr(tc, p.kind) + 1)
        tc.conflicts = sum(1 for c in kept_conflicts if c.table == table.name)
        tc.left_out = len(plan.left_out)
    return MergePreview(
        db_path=Path(db.path),
        database_id=own_id,
        file_name=checked.file_name,
        peer_id=peer_id,
        peer_name=checked.display_name,
        peer_revision=checked.revision,
        upgraded=checked.upgraded,
        encrypted=checked.encrypted,
        same_database=same,
        first_contact=first_contact and any(tc.writes or tc.conflicts for tc in counts.values()),
        counts=counts,
        conflicts=kept_conflicts,
        problems=problems,
        peer_mark=peer_mark,
        unrelated=lineage.unrelated,
        matches=matches,
        same_title_plans=same_title_plans,
        copied_at=point[1] if point is not None else "",
        _peer_lineage=peer_lineage,
        _checked=checked,
        _plans=plans,
    )


def _match_reference_rows(
    db, checked: gate.CheckedFile, tables: list[Table], shared: set[str], dialect
) -> dict[str, list[matching.NameMatch]]:  # noqa: ANN001
    """Find the received reference rows this database holds under another id, and
    re-point the checked copy's references to them at this database's rows."""
    by_name = {t.name: t for t in tables}
    converters: dict[str, _Converter] = {}

    def columns(table: str) -> list[str]:
        return _columns(by_name[table])

    def content(table: str) -> list[str]:
        return [c for c in columns(table) if c not in BOOKKEEPING and c != "deleted_at"]

    def convert(table: str, row: tuple) -> dict[str, Any]:
        if table not in converters:
            converters[table] = _Converter(by_name[table], columns(table), dialect)
        return _jsonable(converters[table].values(row))

    inc = checked.connect()
    loc = raw_connect(db.path, readonly=True)
    try:
        loc.execute("BEGIN")
        aliases = matching.read_aliases(loc)
        found = matching.find_matches(loc, inc, columns, content, convert, aliases)
    finally:
        try:
            loc.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        loc.close()
        inc.close()
    if found:
        references: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for table in tables:
            for column, parent in _fk_columns(table, shared):
                if parent in found:
                    references[parent].append((table.name, column))
        if not matching.repoint(checked.path, found, references, raw_connect):
            log.warning(
                "received file %s: matching by name would break a uniqueness rule; "
                "merged by id only",
                checked.file_name,
            )
            return {}
        log.info(
            "received file %s: %d reference rows matched by name",
            checked.file_name,
            sum(len(v) for v in found.values()),
        )
    return found


def _same_title_plans(loc: sqlite3.Connection, inc: sqlite3.Connection, plan: _TablePlan):
    """Labels of received new, live plans with the title and period of a live plan here."""
    sql = (
        "SELECT id, title, plan_from_fy, plan_to_fy, strategy_from_fy, strategy_to_fy "
        "FROM plan WHERE deleted_at IS NULL ORDER BY id"
    )
    here = {matching.plan_key(*r[1:]) for r in loc.execute(sql)}
    out = []
    for r in inc.execute(sql):
        p = plan.writes.get(r[0])
        if p is None or p.kind != "new" or r[0] in plan.left_out:
            continue
        key = matching.plan_key(*r[1:])
        if key[0] and key in here:
            out.append(_label("plan", {"title": r[1], "id": r[0]}))
    return out


def _leave_out(
    loc: sqlite3.Connection,
    inc: sqlite3.Connection,
    tables: list[Table],
    plans: dict[str, _TablePlan],
    local_ids: dict[str, set[str]],
    shared: set[str],
    dialect,  # noqa: ANN001
    conflicts: list[Conflict],
    progress: Progress | None,
) -> list[Problem]:
    """Leave out received rows that would break a link or a uniqueness rule (and the
    rows that depend on them), until nothing more changes."""
    problems: list[Problem] = []
    labels = {c.key: c.label for c in conflicts}

    def label(table: str, row_id: str) -> str:
        if (table, row_id) in labels:
            return labels[(table, row_id)]
        t = metadata.tables[table]
        cols = [c for c in _LABEL_FIELDS if c in t.c]
        row = None
        if cols:
            row = inc.execute(
                f"SELECT {', '.join(_q(c) for c in cols)} FROM {_q(table)} WHERE id = ?",
                (row_id,),
            ).fetchone()
        values = dict(zip(cols, row, strict=True)) if row else {}
        values["id"] = row_id
        labels[(table, row_id)] = _label(table, values)
        return labels[(table, row_id)]

    def candidates(plan: _TablePlan) -> Iterator[tuple[str, _Planned]]:
        for row_id, p in plan.writes.items():
            if row_id not in plan.left_out:
                yield row_id, p
        for row_id, p in plan.conflicts.items():
            if row_id not in plan.left_out and row_id not in plan.writes:
                yield row_id, p

    def exists(table: str, row_id: str) -> bool:
        if row_id in local_ids[table]:
            return True
        p = plans[table].writes.get(row_id)
        return p is not None and p.kind == "new" and row_id not in plans[table].left_out

    uniques = {t.name: _unique_sets(t) for t in tables}
    changed = True
    while changed:
        changed = False
        for table in tables:
            plan = plans[table.name]
            fks = _fk_columns(table, shared)
            if fks:
                for row_id, p in list(candidates(plan)):
                    for (col, parent), value in zip(fks, p.fk, strict=True):
                        if value is not None and not exists(parent, value):
                            plan.left_out.add(row_id)
                            changed = True
                            what = (
                                "was left out"
                                if p.kind == "new"
                                else "was not taken; this database's version is kept"
                            )
                            problems.append(
                                Problem(
                                    table.name,
                                    row_id,
                                    f"{label(table.name, row_id)} refers to a "
                                    f"{parent.replace('_', ' ')} ({col}) that is in neither "
                                    f"database; the received row {what}.",
                                )
                            )
                            break
            for cols, where in uniques[table.name]:
                for row_id in _unique_clashes(loc, inc, table, plan, cols, where, candidates):
                    p = plan.writes.get(row_id) or plan.conflicts[row_id]
                    plan.left_out.add(row_id)
                    changed = True
                    what = (
                        "was left out"
                        if p.kind == "new"
                        else "was not taken; this database's version is kept"
                    )
                    problems.append(
                        Problem(
                            table.name,
                            row_id,
                            f"{label(table.name, row_id)}: this database already has a "
                            f"{table.name.replace('_', ' ')} with the same {', '.join(cols)}; "
                            f"the received row {what}.",
                        )
                    )
    return problems


def _unique_clashes(loc, inc, table: Table, plan: _TablePlan, cols, where, candidates):
    """Received rows whose values would clash with another row on a unique column set."""
    cand = dict(candidates(plan))
    if not cand:
        return []
    cond = f" WHERE {where}" if where else ""
    sel = f"SELECT id, {', '.join(_q(c) for c in cols)} FROM {_q(table.name)}{cond}"
    after: dict[str, tuple] = {}
    for row in _rows(loc, sel):
        if row[0] not in cand:
            after[row[0]] = tuple(row[1:])
    for row in _rows(inc, sel):
        if row[0] in cand:
            after[row[0]] = tuple(row[1:])
    groups: dict[tuple, list[str]] = defaultdict(list)
    for row_id, key in after.items():
        if any(v is None for v in key):
            continue  # NULLs never clash in SQLite
        groups[key].append(row_id)
    clashes = []
    for ids in groups.values():
        if len(ids) > 1:
            clashes.extend(i for i in ids if i in cand)
    return sorted(clashes)


# =========================================================================== applying
def apply_merge(
    db,
    preview: MergePreview,
    choices: dict[tuple[str, str], str] | None = None,
    *,
    progress: Progress | None = None,
) -> MergeReport:
    """Write a previewed merge into ``db`` in one transaction, after a backup.

    ``choices`` maps a conflict's ``(table, row_id)`` to ``"mine"`` or ``"theirs"``;
    conflicts not in it follow the rule.  The preview is used up (its copy deleted).
    """
    if not preview.is_open:
        raise DvcoordError(
            "This merge preview has already been used or closed; run the merge again."
        )
    if (
        db.database_id != preview.database_id
        or Path(db.path).resolve() != preview.db_path.resolve()
    ):
        raise DvcoordError("This merge preview was made for another database; run the merge again.")
    choices = dict(choices or {})
    known = {c.key for c in preview.conflicts}
    for key, value in choices.items():
        if key not in known:
            raise DvcoordError(f"There is no conflict for {key[0]} {key[1]} in this merge.")
        if value not in (MINE, THEIRS):
            raise DvcoordError(f"A conflict can be settled with 'mine' or 'theirs', not {value!r}.")
    try:
        return _apply(db, preview, choices, progress)
    except DvcoordError:
        raise
    except (sa_exc.SQLAlchemyError, sqlite3.Error) as exc:
        log.exception("merge failed and was undone")
        raise DvcoordError(
            f"The merge could not be completed and was undone; this database "
            f"is as it was ({type(exc).__name__})."
        ) from None
    finally:
        preview.close()


def _apply(db, preview: MergePreview, choices: dict, progress: Progress | None) -> MergeReport:
    checked = preview._checked
    assert checked is not None
    tables = merged_tables()
    own_id = db.database_id
    conflicts_by_key = {c.key: c for c in preview.conflicts}
    backup = None
    if preview.has_changes:
        backup = backups.take_backup(db.path, "before-merge")
    inc_engine = create_engine("sqlite+pysqlite://", creator=checked.connect, poolclass=NullPool)
    applied: dict[str, TableCounts] = {}
    now = utcnow()
    try:
        with db.transaction() as s, inc_engine.connect() as inc:
            s.info["merging"] = True
            s.info["audit_note"] = (f"merged from '{preview.file_name}' ({preview.peer_name})")[
                :500
            ]
            conn = s.connection()
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for n, table in enumerate(tables):
                if progress is not None:
                    progress(n, len(tables), f"Merging {table.name}")
                applied[table.name] = _apply_table(
                    s, inc, table, preview, choices, conflicts_by_key, own_id, db.user, now
                )
            _record_matches(s, preview, db.user, now)
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            names = {t.name for t in tables}
            broken = sorted({r[0] for r in problems if r[0] in names})
            if broken:
                raise DvcoordError(
                    "The merge would leave records pointing to records that do not exist (in "
                    f"{', '.join(broken)}); it was undone and this database is as it was."
                )
            local_mark = None
            for table in tables:
                value = conn.exec_driver_sql(
                    f"SELECT max(updated_at) FROM {_q(table.name)}"
                ).scalar()
                if value and (local_mark is None or value > local_mark):
                    local_mark = value
            totals = TableCounts("all")
            for tc in applied.values():
                for key in ("new", "changed", "deleted", "conflicts", "left_out"):
                    setattr(totals, key, getattr(totals, key) + getattr(tc, key))
            s.add(
                MergeLog(
                    merged_at=now,
                    user=db.user,
                    peer_id=preview.peer_id,
                    peer_name=preview.peer_name[:300],
                    file_name=preview.file_name[:300],
                    peer_revision=preview.peer_revision[:60],
                    peer_mark=_parse_mark(preview.peer_mark),
                    local_mark=_parse_mark(local_mark),
                    rows_new=totals.new,
                    rows_changed=totals.changed,
                    rows_deleted=totals.deleted,
                    conflicts=totals.conflicts,
                    problems=len(preview.problems),
                    details=json.dumps(
                        {k: v.as_dict() for k, v in applied.items() if any(v.as_dict().values())}
                        | {LOG_LINEAGE_KEY: _lineage_json(preview._peer_lineage)}
                    ),
                    backup_file=str(backup or ""),
                )
            )
    finally:
        inc_engine.dispose()
    log.info(
        "merged %s: %d new, %d changed, %d deleted, %d conflicts, %d left out",
        preview.file_name,
        totals.new,
        totals.changed,
        totals.deleted,
        totals.conflicts,
        totals.left_out,
    )
    return MergeReport(
        file_name=preview.file_name,
        peer_id=preview.peer_id,
        peer_name=preview.peer_name,
        counts=applied,
        conflicts=list(preview.conflicts),
        choices={c.key: choices.get(c.key, c.rule) for c in preview.conflicts},
        problems=list(preview.problems),
        backup=backup,
        merged_at=now,
        matched=preview.match_lines(),
    )


def _record_matches(s, preview: MergePreview, user: str, now: datetime) -> None:
    """Remember the rows matched by name (so they stay matched after a rename), and keep
    each received version that differs from this database's in the local row's history
    (once: the same version is not recorded again)."""
    if not preview.matches:
        return
    conn = s.connection()
    row = conn.exec_driver_sql(
        "SELECT value FROM meta WHERE key = ?", (matching.ALIASES_META_KEY,)
    ).fetchone()
    raw = row[0] if row else None
    aliases = matching.read_aliases_text(raw)
    audit = core.AuditEntry.__table__
    entries = []
    for table, found in preview.matches.items():
        pairs = aliases.setdefault(table, {})
        mapper = sa_inspect(model_for(table))
        t = metadata.tables[table]
        attr = {c.name: mapper.get_property_by_column(c).key for c in t.columns}
        for m in found:
            pairs[m.incoming_id] = m.local_id
            if not m.differs:
                continue
            before = json.dumps(
                {attr[k]: v for k, v in m.theirs.items()}, ensure_ascii=False, sort_keys=True
            )
            seen = conn.exec_driver_sql(
                "SELECT 1 FROM audit_log WHERE table_name = ? AND row_id = ? AND action = ? "
                "AND before = ? LIMIT 1",
                (table, m.local_id, "merge-declined", before),
            ).fetchone()
            if seen:
                continue
            entries.append(
                {
                    "at": now,
                    "user": user,
                    "table_name": table,
                    "row_id": m.local_id,
                    "action": "merge-declined",
                    "before": before,
                    "after": json.dumps(
                        {attr[k]: v for k, v in m.mine.items()}, ensure_ascii=False, sort_keys=True
                    ),
                    "note": (
                        f"'{preview.peer_name}' holds this record separately, matched by "
                        "name; this database's version is kept and the received one is "
                        "kept here as 'before'"
                    )[:500],
                }
            )
    if entries:
        conn.execute(audit.insert(), entries)
    text = matching.dump_aliases(aliases)
    if text != (raw or matching.dump_aliases({})):
        s.merge(core.Meta(key=matching.ALIASES_META_KEY, value=text))


def _batches(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), _BATCH):
        yield items[i : i + _BATCH]


def _apply_table(
    s,
    inc,
    table: Table,
    preview: MergePreview,
    choices: dict,
    conflicts_by_key: dict,
    own_id: str,
    user: str,
    now: datetime,
) -> TableCounts:
    plan = preview._plans[table.name]
    model = model_for(table.name)
    mapper = sa_inspect(model)
    attr = {c.name: mapper.get_property_by_column(c).key for c in table.columns}
    tc = TableCounts(table.name)

    inserts: list[str] = []
    updates: list[str] = []  # take the received version as it is
    take_restamped: list[str] = []  # received version chosen against the rule
    keep_restamped: list[str] = []  # this database's version chosen against the rule
    declined: list[str] = []  # conflicts where this database's version stays
    for row_id, p in plan.writes.items():
        if row_id in plan.left_out:
            continue
        if p.conflict:
            continue
        if p.kind == "new":
            inserts.append(row_id)
        else:
            updates.append(row_id)
        setattr(tc, p.kind, getattr(tc, p.kind) + 1)
    for row_id in plan.conflicts:
        if row_id in plan.left_out:
            continue
        c = conflicts_by_key[(table.name, row_id)]
        chosen = choices.get(c.key, c.rule)
        tc.conflicts += 1
        if chosen == THEIRS and c.rule == THEIRS:
            updates.append(row_id)
        elif chosen == THEIRS:
            take_restamped.append(row_id)
        elif c.rule == THEIRS:
            keep_restamped.append(row_id)
            declined.append(row_id)
        else:
            declined.append(row_id)
    tc.left_out = len(plan.left_out)
    tc.kept = preview.counts[table.name].kept
    tc.unchanged = preview.counts[table.name].unchanged

    # This database must not have changed since the preview.
    stamps = {
        rid: (plan.writes.get(rid) or plan.conflicts[rid]).local_stamp
        for rid in updates + take_restamped + keep_restamped + declined
    }
    conn = s.connection()
    for batch in _batches(list(stamps)):
        marks = ", ".join("?" * len(batch))
        current = dict(
            conn.exec_driver_sql(
                f"SELECT id, updated_at FROM {_q(table.name)} WHERE id IN ({marks})", tuple(batch)
            ).fetchall()
        )
        for rid in batch:
            if current.get(rid) != stamps[rid]:
                raise DvcoordError(
                    "This database changed after the merge preview was made; "
                    "run the merge again. Nothing was changed."
                )
    for batch in _batches(inserts):
        existing = conn.exec_driver_sql(
            f"SELECT count(*) FROM {_q(table.name)} WHERE id IN ({', '.join('?' * len(batch))})",
            tuple(batch),
        ).scalar()
        if existing:
            raise DvcoordError(
                "This database changed after the merge preview was made; run "
                "the merge again. Nothing was changed."
            )

    def received(ids: list[str]) -> Iterator[dict[str, Any]]:
        for batch in _batches(ids):
            rows = inc.execute(select(table).where(table.c.id.in_(batch))).mappings().all()
            if len(rows) != len(batch):
                raise DvcoordError(
                    "The received file's checked copy changed during the "
                    "merge; nothing was changed."
                )
            yield from rows

    def local(ids: list[str]) -> dict[str, Any]:
        objs = s.scalars(select(model).where(model.id.in_(ids)).options(lazyload("*"))).all()
        return {o.id: o for o in objs}

    def flush() -> None:
        s.flush()
        s.expunge_all()

    try:
        # new rows
        for batch in _batches(inserts):
            s.add_all(model(**{attr[k]: v for k, v in row.items()}) for row in received(batch))
            flush()
        # rows where the received version wins
        restamp = set(take_restamped)
        for batch in _batches(updates + take_restamped):
            objs = local(batch)
            for row in received(batch):
                obj = objs[row["id"]]
                for k, v in row.items():
                    # Only what differs: an unchanged column is left out of the UPDATE.
                    if k != "id" and getattr(obj, attr[k]) != v:
                        setattr(obj, attr[k], v)
                if row["id"] in restamp:
                    obj.updated_at, obj.updated_by, obj.origin = now, user, own_id
            flush()
        # this database's version chosen against the rule: a fresh change, so it wins next
        for batch in _batches(keep_restamped):
            for obj in local(batch).values():
                obj.updated_at, obj.updated_by, obj.origin = now, user, own_id
            flush()
    except (ValueError, TypeError, OverflowError):
        raise DvcoordError(
            f"The received file holds a value in '{table.name}' that dvcoord "
            "cannot read; nothing was merged."
        ) from None

    # the received versions not taken stay on record, so they can be restored
    if declined:
        by_key = conflicts_by_key
        audit = core.AuditEntry.__table__
        rows = []
        for rid in declined:
            c = by_key[(table.name, rid)]
            rows.append(
                {
                    "at": now,
                    "user": user,
                    "table_name": table.name,
                    "row_id": rid,
                    "action": "merge-declined",
                    "before": json.dumps(
                        {attr[k]: v for k, v in c.theirs.items()},
                        ensure_ascii=False,
                        sort_keys=True,
                    ),
                    "after": json.dumps(
                        {attr[k]: v for k, v in c.mine.items()}, ensure_ascii=False, sort_keys=True
                    ),
                    "note": (
                        f"kept this database's version; the version received from "
                        f"'{preview.peer_name}' is kept here as 'before'"
                    )[:500],
                }
            )
        conn.execute(audit.insert(), rows)
    return tc
