"""Reference data matched by name, and whether a received file is related to this one.

Two databases that were started separately give the same partner agency ("Police",
"Women's Aid") two different UUIDs, so a merge by UUID alone would add a second copy.
Before a merge is planned, each received row of a *reference list* whose id this
database does not hold is matched against this database's live rows by its key (a
normalised name; see :data:`REFERENCE_LISTS`).  A matched row is not added: every
reference to it in the received file (action agencies, progress updates, trainers,
loans, ...) is re-pointed at this database's row, on the private checked copy of the
file, before anything else reads it.  The merge then treats those references like any
others, so merging the same file again finds nothing to do.

**What counts as a match.**  Names are compared ignoring case, spacing and
punctuation; "&" reads as "and" and apostrophes are dropped
("Women's Aid" = "WOMENS AID" = "women’s  aid").  Only live rows on this side are
targets; when several share a key, an active one is preferred, then the oldest id, so
the choice is deterministic.  A received row that is already marked deleted is matched
only through an earlier match (below), never by name alone.

**Remembered matches.**  The pairs matched by a merge are kept in this database's
settings (``meta`` key ``merge_aliases``, never merged), so a received row stays pointed
at the same local row after either side renames it.  A remembered target that has since
been deleted here is not used.

**Nothing silently lost.**  This database's row is kept as it is.  When the received row
holds anything different (a short name, notes, another sector...), its version is
written to the local row's audit trail as "received in a merge but not taken", where
the History dialog shows it and can restore it; the same version is recorded only once.

**Lineage.**  A received file is *related* to this database when it is this database or
a copy of it (same database id), when either side holds rows last written by the other
or both hold rows written by a third database (``origin`` ids), when either side's
merge log names the other, or when both hold a row with the same random (version 7)
UUID.  Deterministic ids (version 5, e.g. the Sanctuary catalogue) are the same in
every database by design and prove nothing.  A file that is not related while both
sides hold records is *unrelated*: the preview says so in one sentence and the GUI and
the CLI ask before merging it.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALIASES_META_KEY = "merge_aliases"

_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")
_NOT_WORD = re.compile(r"[\W_]+")


def normalise_name(value: Any) -> str:
    """The comparison form of a name: case, spacing, punctuation and "&"/"and" ignored."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    text = text.replace("&", " and ").replace("+", " and ")
    text = _APOSTROPHES.sub("", text)
    text = _NOT_WORD.sub(" ", text)
    return " ".join(text.split())


#: Key columns compared as names (the others as they are stored).
_TEXT = {"supplier"}


def _name_key(*columns: str) -> Callable[[dict[str, Any]], tuple | None]:
    def key(row: dict[str, Any]) -> tuple | None:
        name = normalise_name(row.get("name"))
        if not name:
            return None
        return (name, *(normalise_name(row.get(c)) if c in _TEXT else row.get(c) for c in columns))

    return key


@dataclass(frozen=True)
class ReferenceList:
    """A lookup list whose rows mean the same thing in every database when their key is
    the same."""

    table: str
    singular: str
    plural: str
    key: Callable[[dict[str, Any]], tuple | None]


#: The true reference lists.  Agencies and training topics are keyed by name; a
#: training level by its number and name (the number orders the matrix); an alarm type
#: by its name, supplier and the settings that decide tests, batteries and SIMs, so
#: devices are never moved onto a type with another test interval.  Courses, roles,
#: trainers, contractors and indicators are the partnership's own records, not lookup
#: lists, and are merged by id only.
REFERENCE_LISTS: tuple[ReferenceList, ...] = (
    ReferenceList("agency", "agency", "agencies", _name_key()),
    ReferenceList("training_level", "training level", "training levels", _name_key("number")),
    ReferenceList("training_topic", "training topic", "training topics", _name_key()),
    ReferenceList(
        "alarm_type",
        "alarm type",
        "alarm types",
        _name_key("supplier", "has_sim", "test_interval_days", "battery_life_months"),
    ),
)


@dataclass(frozen=True)
class NameMatch:
    """A received reference row mapped onto this database's row."""

    table: str
    incoming_id: str
    local_id: str
    #: The local row's name, for people.
    name: str
    #: "name" (matched now) or "earlier merge" (a remembered match).
    by: str
    #: The two versions (column -> JSON-able value) when their content differs.
    theirs: dict[str, Any] = field(default_factory=dict, compare=False)
    mine: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def differs(self) -> bool:
        return bool(self.theirs)


def read_aliases(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """The remembered matches of this database (table -> received id -> local id)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (ALIASES_META_KEY,)).fetchone()
    return read_aliases_text(row[0] if row else None)


def read_aliases_text(text: str | None) -> dict[str, dict[str, str]]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    out: dict[str, dict[str, str]] = {}
    for table, pairs in value.items():
        if isinstance(table, str) and isinstance(pairs, dict):
            out[table] = {str(k): str(v) for k, v in pairs.items() if isinstance(v, str)}
    return out


def dump_aliases(aliases: dict[str, dict[str, str]]) -> str:
    return json.dumps(
        {t: dict(sorted(p.items())) for t, p in sorted(aliases.items()) if p},
        separators=(",", ":"),
        sort_keys=True,
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def find_matches(
    loc: sqlite3.Connection,
    inc: sqlite3.Connection,
    columns: Callable[[str], list[str]],
    content_columns: Callable[[str], list[str]],
    convert: Callable[[str, tuple], dict[str, Any]],
    aliases: dict[str, dict[str, str]],
) -> dict[str, list[NameMatch]]:
    """Received reference rows that this database already has under another id.

    ``columns(table)`` lists the table's columns (id first); ``content_columns(table)``
    those that are not bookkeeping; ``convert(table, row)`` turns a raw row into
    JSON-able values by column.  Deterministic: the same two files give the same matches.
    """
    out: dict[str, list[NameMatch]] = {}
    for spec in REFERENCE_LISTS:
        cols = columns(spec.table)
        pos = {c: i for i, c in enumerate(cols)}
        sql = f"SELECT {', '.join(_q(c) for c in cols)} FROM {_q(spec.table)} ORDER BY id"
        mine_rows = loc.execute(sql).fetchall()
        theirs_rows = inc.execute(sql).fetchall()
        local_ids = {r[0] for r in mine_rows}
        deleted_there = {r[0] for r in theirs_rows if r[pos["deleted_at"]] is not None}
        live = {
            r[0]: r for r in mine_rows if r[pos["deleted_at"]] is None and r[0] not in deleted_there
        }

        def as_dict(row: tuple, _cols: list[str] = cols) -> dict[str, Any]:
            return dict(zip(_cols, row, strict=True))

        active = pos.get("active")
        by_key: dict[tuple, tuple] = {}
        ordered = sorted(
            live.values(),
            key=lambda r, a=active: (0 if a is None or r[a] else 1, r[0]),
        )
        for r in ordered:
            k = spec.key(as_dict(r))
            if k is not None and k not in by_key:
                by_key[k] = r
        remembered = aliases.get(spec.table, {})
        content = content_columns(spec.table)
        found: list[NameMatch] = []
        for r in theirs_rows:
            if r[0] in local_ids:
                continue  # the same row on both sides: merged by id
            target, by = None, ""
            alias = remembered.get(r[0])
            if alias is not None and alias in live:
                target, by = live[alias], "earlier merge"
            elif r[pos["deleted_at"]] is None:
                k = spec.key(as_dict(r))
                if k is not None and k in by_key:
                    target, by = by_key[k], "name"
            if target is None:
                continue
            theirs_v, mine_v = convert(spec.table, r), convert(spec.table, target)
            differs = any(theirs_v.get(c) != mine_v.get(c) for c in content)
            found.append(
                NameMatch(
                    table=spec.table,
                    incoming_id=r[0],
                    local_id=target[0],
                    name=str(target[pos["name"]] or ""),
                    by=by,
                    theirs=theirs_v if differs else {},
                    mine=mine_v if differs else {},
                )
            )
        if found:
            out[spec.table] = found
    return out


def repoint(
    path,  # noqa: ANN001 - the checked copy's path
    matches: dict[str, list[NameMatch]],
    references: dict[str, list[tuple[str, str]]],
    connect: Callable[..., sqlite3.Connection],
) -> bool:
    """Re-point every reference to a matched row at the local row, and drop the matched
    rows, in the private checked copy at ``path`` (one transaction).

    ``references`` maps a reference table to its (table, column) foreign keys.  False
    (and the copy untouched) if re-pointing would break a uniqueness rule of the copy:
    the file is then merged by id alone, as before matching existed.
    """
    if not matches:
        return True
    conn = connect(path, readonly=False, untrusted=True)
    try:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("BEGIN IMMEDIATE")
        for table, found in matches.items():
            pairs = [(m.local_id, m.incoming_id) for m in found]
            for child, column in references.get(table, []):
                conn.executemany(
                    f"UPDATE {_q(child)} SET {_q(column)} = ? WHERE {_q(column)} = ?", pairs
                )
            conn.executemany(
                f"DELETE FROM {_q(table)} WHERE id = ?", [(m.incoming_id,) for m in found]
            )
        conn.execute("COMMIT")
        return True
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK")
        return False
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


@dataclass
class Lineage:
    """What ties a received file to this database, gathered while both are read."""

    own_id: str
    peer_id: str
    logged: bool = False
    local_rows: bool = False
    incoming_rows: bool = False
    shared_row: bool = False
    local_origins: set[str] = field(default_factory=set)
    incoming_origins: set[str] = field(default_factory=set)

    def see_shared_id(self, row_id: str) -> None:
        # Only random, time-ordered ids (version 7) prove a common ancestor; version-5
        # ids are derived from fixed names and are the same everywhere by design.
        if not self.shared_row and len(row_id) == 36 and row_id[14] == "7":
            self.shared_row = True

    @property
    def related(self) -> bool:
        if self.own_id == self.peer_id or self.logged or self.shared_row:
            return True
        if self.peer_id in self.local_origins or self.own_id in self.incoming_origins:
            return True
        return bool((self.local_origins & self.incoming_origins) - {""})

    @property
    def unrelated(self) -> bool:
        """Separately started, and both sides hold records (so some may mean the same)."""
        return not self.related and self.local_rows and self.incoming_rows


def plan_key(title: Any, plan_from: Any, plan_to: Any, strat_from: Any, strat_to: Any) -> tuple:
    """A plan's title and period, for spotting the same plan started twice."""
    period = (plan_from, plan_to) if plan_from is not None or plan_to is not None else None
    if period is None:
        period = (strat_from, strat_to)
    return (normalise_name(title), *period)
