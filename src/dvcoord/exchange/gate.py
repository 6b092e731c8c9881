"""The untrusted-file gate: a received file is checked before a single row of it is used.

:func:`check_incoming` takes a file that arrived by e-mail (a plain database or an
encrypted ``.dvcx`` bundle) and returns a :class:`CheckedFile`: a private copy that has
passed every check below, at this dvcoord's schema revision.  Anything else is refused
with one plain sentence (a :class:`~dvcoord.errors.DvcoordError`) naming what was found.

1. The file is copied (or decrypted) into a private temporary folder; the original is
   only ever read, and a journal lying beside it is ignored.
2. The 100-byte SQLite header must be one dvcoord writes: dvcoord's application id,
   UTF-8, a rollback journal, no reserved bytes, a page size that fits the file's size
   and page count (this catches most truncation and tampering before SQLite looks).
3. The copy is opened read-only with ``trusted_schema=OFF`` (nothing in the schema may
   call a function with side effects), ``cell_size_check=ON``, no ATTACH allowed, no
   extension loading (never enabled) and a hard limit on the size of any value; then
   ``PRAGMA quick_check``.
4. ``meta`` and ``alembic_version`` must be plain tables exactly as dvcoord defines
   them; only then are they read: the file must say it is a dvcoord database, and name
   a schema revision this dvcoord knows (a newer one is refused).
5. The whole schema is compared object by object (``sqlite_schema``: type, name, table
   and normalised SQL; ``PRAGMA table_xinfo`` for the columns) with what dvcoord itself
   creates at that revision (a reference file built with Alembic, cached per revision).
   Any extra trigger, view, table, virtual table, index or column, a missing one, or a
   changed definition is refused.
6. Every value is checked against its column: storage class, dates dvcoord can read,
   no value over 1 MB; and the number of rows is bounded.
7. An older file is upgraded with Alembic *in the copy* (never in place) and its schema
   checked again.

Nothing of the file is ever executed: it is never attached to the user's database, its
views and triggers are refused before any row is read, and rows are read only with
queries dvcoord writes, naming dvcoord's own tables and columns.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import struct
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command

from dvcoord.errors import DamagedFileError, DvcoordError, NewerVersionError, NotADvcoordFile
from dvcoord.exchange import bundle
from dvcoord.store import migrate
from dvcoord.store.engine import APPLICATION_ID, make_engine, raw_connect
from dvcoord.store.schema import core

log = logging.getLogger(__name__)

#: Largest file accepted (a database attached to an e-mail is far smaller).
MAX_FILE_BYTES = 1024 * 1024 * 1024
#: Largest single value (text or binary) in a shared table or ``meta``.
MAX_VALUE_BYTES = 1_000_000
#: Largest value in the local history tables (they hold two versions of a row).
MAX_LOCAL_VALUE_BYTES = 8_000_000
#: SQLite refuses outright to read anything larger than this from the file.
HARD_VALUE_LIMIT = 16_000_000
MAX_ROWS_PER_TABLE = 2_000_000
MAX_TOTAL_ROWS = 5_000_000
MAX_SCHEMA_OBJECTS = 2_000
MAX_META_ROWS = 1_000
#: Tables whose values may be larger (their rows are never merged).
_HISTORY_TABLES = {"audit_log"}
#: SQLite's own bookkeeping tables, which may appear in any database.
_INTERNAL = {"sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"}

SQLITE_MAGIC = b"SQLite format 3\x00"
_OTHER_FORMATS = [
    (b"PK\x03\x04", "a Word, Excel or zip file"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office document"),
    (b"%PDF", "a PDF document"),
]


class Cancelled(DvcoordError):
    """The user stopped a long job; nothing was changed."""


# =========================================================================== checked file
@dataclass
class CheckedFile:
    """A private, checked copy of a received file, at this dvcoord's schema revision."""

    source: Path
    path: Path
    database_id: str
    display_name: str
    revision: str
    upgraded: bool
    encrypted: bool
    row_counts: dict[str, int] = field(default_factory=dict)
    _work: Path | None = None

    @property
    def file_name(self) -> str:
        return self.source.name

    def connect(self) -> sqlite3.Connection:
        """A read-only connection to the checked copy (with the gate's limits)."""
        return _open_untrusted(self.path)

    def close(self) -> None:
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None

    def __enter__(self) -> CheckedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # a forgotten copy still goes
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass


# =========================================================================== SQL text
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>'(?:[^']|'')*'?)
  | (?P<quoted>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+)
  | (?P<word>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)
  | (?P<op>\|\||<=|>=|<>|!=|==|<<|>>|.)
    """,
    re.S | re.X,
)


def sql_tokens(sql: str) -> list[str]:
    """SQL split into tokens: whitespace and comments gone, identifiers unquoted and
    lower-cased (SQLite's names are case-insensitive), string literals kept as written."""
    out: list[str] = []
    for m in _TOKEN_RE.finditer(sql):
        kind = m.lastgroup
        text = m.group()
        if kind in ("ws", "comment"):
            continue
        if kind == "quoted":
            inner = text[1:-1] if len(text) >= 2 else text[1:]
            if text[0] == '"':
                inner = inner.replace('""', '"')
            elif text[0] == "`":
                inner = inner.replace("``", "`")
            out.append("ident:" + inner.lower())
        elif kind == "word":
            out.append("ident:" + text.lower())
        else:
            out.append(text)
    return out


def normalise_sql(sql: str | None, *, object_type: str = "") -> str | None:
    """A canonical form of a schema statement, so equal definitions compare equal.

    Besides the token clean-up, the items between the outer brackets of ``CREATE TABLE``
    (columns and table constraints) are sorted: a table built by ``create_all`` and the
    same table built by migrations may list its constraints in another order.
    """
    if sql is None:
        return None
    tokens = sql_tokens(sql)
    if object_type == "table" and "(" in tokens:
        start = tokens.index("(")
        depth = 0
        items: list[list[str]] = [[]]
        end = None
        for i in range(start + 1, len(tokens)):
            tok = tokens[i]
            if tok == "(":
                depth += 1
            elif tok == ")":
                if depth == 0:
                    end = i
                    break
                depth -= 1
            if tok == "," and depth == 0:
                items.append([])
            else:
                items[-1].append(tok)
        if end is not None:
            body = sorted(" ".join(item) for item in items)
            return (
                " ".join(tokens[:start])
                + " ( "
                + " , ".join(body)
                + " ) "
                + " ".join(tokens[end + 1 :])
            )
    return " ".join(tokens)


# =========================================================================== schema
@dataclass(frozen=True)
class SchemaObject:
    type: str
    name: str
    tbl_name: str
    sql: str | None  # normalised

    @property
    def kind(self) -> str:
        if self.type == "table" and self.sql and self.sql.startswith("ident:create ident:virtual"):
            return "virtual table"
        return self.type


@dataclass
class Schema:
    objects: dict[str, SchemaObject]
    #: table -> column name -> (type, notnull, default, pk, hidden)
    columns: dict[str, dict[str, tuple]] = field(default_factory=dict)


def _column_key(row: tuple) -> tuple[str, tuple]:
    _cid, name, ctype, notnull, dflt, pk, hidden = row
    ctype = " ".join(str(ctype or "").upper().split())
    return str(name).lower(), (ctype, int(notnull), normalise_sql(dflt), int(pk), int(hidden))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_objects(conn: sqlite3.Connection, name: str) -> dict[str, SchemaObject]:
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema LIMIT ?", (MAX_SCHEMA_OBJECTS + 1,)
    ).fetchall()
    if len(rows) > MAX_SCHEMA_OBJECTS:
        raise DvcoordError(
            f"The file {name} has far more tables and indexes than a dvcoord "
            "database; it was not opened."
        )
    objects: dict[str, SchemaObject] = {}
    for otype, oname, tbl, sql in rows:
        if (
            not isinstance(oname, str)
            or not isinstance(otype, str)
            or not isinstance(sql, str | None)  # a damaged page can turn text into bytes
        ):
            raise DamagedFileError(
                f"The file {name} is damaged: its list of tables is not readable."
            )
        if oname in _INTERNAL:
            continue
        objects[oname.lower()] = SchemaObject(
            otype, oname, str(tbl or ""), normalise_sql(sql, object_type=otype)
        )
    return objects


def read_columns(conn: sqlite3.Connection, table: str) -> dict[str, tuple]:
    rows = conn.execute(f"PRAGMA table_xinfo({_q(table)})").fetchall()
    return dict(_column_key(r) for r in rows)


def read_schema(conn: sqlite3.Connection, name: str = "the reference") -> Schema:
    objects = read_objects(conn, name)
    schema = Schema(objects)
    for obj in objects.values():
        if obj.type == "table" and obj.kind == "table":
            schema.columns[obj.name.lower()] = read_columns(conn, obj.name)
    return schema


_REF_LOCK = threading.Lock()
_REF_CACHE: dict[str, list[Schema]] = {}


def _new_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.close()


def reference_schemas(revision: str) -> list[Schema]:
    """What dvcoord creates at ``revision``: the schema of an empty file migrated there
    with Alembic, and at the head also that of a new file (``create_all``).  Cached."""
    with _REF_LOCK:
        cached = _REF_CACHE.get(revision)
        if cached is not None:
            return cached
        work = Path(tempfile.mkdtemp(prefix="dvcoord-reference-"))
        try:
            schemas = []
            path = work / "migrated.sqlite"
            _new_file(path)
            engine = make_engine(path, pooled=False)
            try:
                with engine.begin() as conn:
                    command.upgrade(migrate.alembic_config(conn), revision)
            finally:
                engine.dispose()
            schemas.append(_schema_of(path))
            if revision == migrate.head_revision():
                path = work / "created.sqlite"
                _new_file(path)
                engine = make_engine(path, pooled=False)
                try:
                    migrate.create_schema(engine)
                finally:
                    engine.dispose()
                schemas.append(_schema_of(path))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _REF_CACHE[revision] = schemas
        return schemas


def _schema_of(path: Path) -> Schema:
    conn = raw_connect(path, readonly=True)
    try:
        return read_schema(conn)
    finally:
        conn.close()


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


def schema_differences(
    conn: sqlite3.Connection, found: dict[str, SchemaObject], ref: Schema, name: str
) -> list[str]:
    """Sentences describing how the file's schema differs from ``ref`` (most serious
    first).  Columns are read only for tables whose definition matched."""
    # An object in place of one of dvcoord's of another kind (a view named like a
    # table) counts as an extra object: that is what it is.
    extra = [
        o
        for k, o in found.items()
        if k not in ref.objects or (o.type, o.kind) != (ref.objects[k].type, ref.objects[k].kind)
    ]
    order = {"trigger": 0, "view": 1, "virtual table": 2, "table": 3, "index": 4}
    extra.sort(key=lambda o: (order.get(o.kind, 5), o.name))
    problems = [
        f"The file {name} contains {_a(o.kind)} '{o.name}' that dvcoord does not create"
        for o in extra
    ]
    for key, want in ref.objects.items():
        have = found.get(key)
        if have is None:
            problems.append(
                f"The file {name} lacks the {want.kind} '{want.name}' that dvcoord creates"
            )
            continue
        if (have.type, have.kind) != (want.type, want.kind):
            continue  # reported above
        if have.tbl_name.lower() != want.tbl_name.lower():
            problems.append(
                f"The file {name} has the {have.kind} '{have.name}' on the table "
                f"'{have.tbl_name}', not on '{want.tbl_name}'"
            )
            continue
        if want.type == "table" and want.kind == "table" and have.kind == "table":
            cols = read_columns(conn, have.name)
            want_cols = ref.columns.get(key, {})
            for col in cols:
                if col not in want_cols:
                    problems.append(
                        f"The file {name} has a column '{col}' in the table "
                        f"'{have.name}' that dvcoord does not create"
                    )
            for col, spec in want_cols.items():
                if col not in cols:
                    problems.append(
                        f"The file {name} lacks the column '{col}' of the table '{have.name}'"
                    )
                elif cols[col] != spec:
                    problems.append(
                        f"The file {name} has the column '{col}' of the table "
                        f"'{have.name}' defined differently from dvcoord's"
                    )
        if have.sql != want.sql:
            problems.append(
                f"The file {name} has the {have.kind} '{have.name}' defined "
                "differently from dvcoord's"
            )
    return problems


def check_schema(conn: sqlite3.Connection, revision: str, name: str) -> None:
    """Raise unless the schema matches what dvcoord creates at ``revision``."""
    found = read_objects(conn, name)
    best: list[str] | None = None
    for ref in reference_schemas(revision):
        problems = schema_differences(conn, found, ref, name)
        if not problems:
            return
        if best is None or len(problems) < len(best):
            best = problems
    assert best
    first = best[0]
    more = len(best) - 1
    extra = f" (and {more} other difference{'s' if more > 1 else ''})" if more else ""
    raise DvcoordError(f"{first}{extra}; it was not opened.")


# =========================================================================== header
def _check_header(path: Path, name: str) -> None:
    size = path.stat().st_size
    if size == 0:
        raise NotADvcoordFile(f"The file {name} is empty (0 bytes): it is not a dvcoord database.")
    with open(path, "rb") as fh:
        header = fh.read(100)
    if not header.startswith(SQLITE_MAGIC):
        for magic, what in _OTHER_FORMATS:
            if header.startswith(magic):
                raise NotADvcoordFile(f"The file {name} is {what}, not a dvcoord database.")
        if SQLITE_MAGIC.startswith(header):
            raise DamagedFileError(f"The file {name} is damaged: it is cut short.")
        raise NotADvcoordFile(
            f"The file {name} is not a dvcoord database (it is not a SQLite file)."
        )
    if len(header) < 100:
        raise DamagedFileError(f"The file {name} is damaged: it is cut short.")
    (app_id,) = struct.unpack(">I", header[68:72])
    if app_id != APPLICATION_ID:
        raise NotADvcoordFile(
            f"The file {name} is a database of another application, not a dvcoord database."
        )
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise DamagedFileError(
            f"The file {name} is damaged: its header gives an impossible page size."
        )
    if size % page_size:
        raise DamagedFileError(
            f"The file {name} is damaged: its length does not fit its page "
            "size (it was cut short or altered)."
        )
    (change_counter,) = struct.unpack(">I", header[24:28])
    (page_count,) = struct.unpack(">I", header[28:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    if valid_for == change_counter and page_count * page_size != size:
        raise DamagedFileError(
            f"The file {name} is damaged: it is not the size its header "
            "says (it was cut short or altered)."
        )
    if header[18] == 2 or header[19] == 2:
        raise DvcoordError(
            f"The file {name} was saved in write-ahead-log mode, which dvcoord "
            "never uses; it was not opened."
        )
    if header[18] != 1 or header[19] != 1:
        raise DamagedFileError(
            f"The file {name} is damaged: its header gives an unknown file format version."
        )
    if header[20] != 0 or header[21:24] != b"\x40\x20\x20":
        raise DvcoordError(
            f"The file {name} uses a page layout that dvcoord does not create; it was not opened."
        )
    (encoding,) = struct.unpack(">I", header[56:60])
    if encoding != 1:
        raise DvcoordError(
            f"The file {name} does not store text as UTF-8 as dvcoord does; it was not opened."
        )
    (schema_format,) = struct.unpack(">I", header[44:48])
    if schema_format not in (1, 2, 3, 4):
        raise DamagedFileError(
            f"The file {name} is damaged: its header gives an unknown schema format."
        )


# =========================================================================== values
def _column_rule(ctype: str) -> tuple[tuple[str, ...] | None, str | None]:
    """Allowed storage classes and date kind for a declared column type."""
    t = ctype.upper()
    if t.startswith("DATETIME") or t.startswith("TIMESTAMP"):
        return ("text",), "datetime"
    if t.startswith("DATE"):
        return ("text",), "date"
    if "INT" in t or t.startswith("BOOL"):
        return ("integer",), None
    if "CHAR" in t or "TEXT" in t or "CLOB" in t:
        return ("text",), None
    if any(k in t for k in ("REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL")):
        return ("real", "integer"), None
    if "BLOB" in t:
        return None, None
    return ("text", "integer", "real"), None


_DATE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
_TIME_GLOB = "[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
_DATETIME_GLOBS = (
    f"{_DATE_GLOB} {_TIME_GLOB}.[0-9][0-9][0-9][0-9][0-9][0-9]",
    f"{_DATE_GLOB} {_TIME_GLOB}",
)


def _valid_date(q: str) -> str:
    """SQL: the YYYY-MM-DD at the start of ``q`` is a real calendar day (Python's rules)."""
    return (
        f"CAST(substr({q}, 1, 4) AS INTEGER) >= 1 "
        f"AND CAST(substr({q}, 6, 2) AS INTEGER) BETWEEN 1 AND 12 "
        f"AND CAST(substr({q}, 9, 2) AS INTEGER) BETWEEN 1 AND CAST(strftime('%d', "
        f"substr({q}, 1, 8) || '01', '+1 month', '-1 day') AS INTEGER)"
    )


def _valid_time(q: str) -> str:
    """SQL: the HH:MM:SS after the date in ``q`` is a real time of day."""
    return (
        f"CAST(substr({q}, 12, 2) AS INTEGER) <= 23 "
        f"AND CAST(substr({q}, 15, 2) AS INTEGER) <= 59 "
        f"AND CAST(substr({q}, 18, 2) AS INTEGER) <= 59"
    )


def _check_values(conn: sqlite3.Connection, ref: Schema, name: str, progress) -> dict[str, int]:
    counts: dict[str, int] = {}
    total = 0
    tables = [o for o in ref.objects.values() if o.type == "table" and o.kind == "table"]
    for n, obj in enumerate(sorted(tables, key=lambda o: o.name)):
        if progress is not None:
            progress(n, len(tables), f"Checking {obj.name}")
        cols = ref.columns.get(obj.name.lower(), {})
        limit = MAX_LOCAL_VALUE_BYTES if obj.name in _HISTORY_TABLES else MAX_VALUE_BYTES
        exprs = ["count(*)"]
        checks: list[tuple[str, str]] = []
        for col, (ctype, _notnull, _dflt, _pk, hidden) in cols.items():
            if hidden:
                continue
            q = _q(col)
            exprs.append(
                f"max(CASE typeof({q}) WHEN 'blob' THEN length({q}) "
                f"WHEN 'text' THEN length(CAST({q} AS BLOB)) ELSE 0 END)"
            )
            checks.append((col, "size"))
            allowed, dates = _column_rule(ctype)
            if allowed is not None:
                kinds = ", ".join(f"'{k}'" for k in (*allowed, "null"))
                exprs.append(f"total(typeof({q}) NOT IN ({kinds}))")
                checks.append((col, "type"))
            if dates == "date":
                exprs.append(
                    f"total({q} IS NOT NULL AND NOT coalesce({q} GLOB '{_DATE_GLOB}' "
                    f"AND {_valid_date(q)}, 0))"
                )
                checks.append((col, "date"))
            elif dates == "datetime":
                globs = " OR ".join(f"{q} GLOB '{g}'" for g in _DATETIME_GLOBS)
                exprs.append(
                    f"total({q} IS NOT NULL AND NOT coalesce(({globs}) AND {_valid_date(q)} "
                    f"AND {_valid_time(q)}, 0))"
                )
                checks.append((col, "date"))
        row = conn.execute(f"SELECT {', '.join(exprs)} FROM {_q(obj.name)}").fetchone()
        count = int(row[0])
        if count > MAX_ROWS_PER_TABLE:
            raise DvcoordError(
                f"The file {name} holds {count:,} rows in the table "
                f"'{obj.name}', more than dvcoord accepts; it was not opened."
            )
        total += count
        if total > MAX_TOTAL_ROWS:
            raise DvcoordError(
                f"The file {name} holds more rows than dvcoord accepts; it was not opened."
            )
        for (col, what), value in zip(checks, row[1:], strict=True):
            if what == "size" and (value or 0) > limit:
                raise DvcoordError(
                    f"The file {name} holds a value of {int(value) / 1e6:.1f} MB in "
                    f"'{obj.name}.{col}', larger than dvcoord allows; it was not opened."
                )
            if what == "type" and value:
                raise DvcoordError(
                    f"The file {name} holds {int(value)} value(s) of the wrong kind in "
                    f"'{obj.name}.{col}'; it was not opened."
                )
            if what == "date" and value:
                raise DvcoordError(
                    f"The file {name} holds {int(value)} value(s) in '{obj.name}.{col}' that "
                    "are not dates dvcoord can read; it was not opened."
                )
        counts[obj.name] = count
    return counts


# =========================================================================== the gate
def _open_untrusted(path: Path) -> sqlite3.Connection:
    conn = raw_connect(path, readonly=True, untrusted=True, timeout=1.0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, HARD_VALUE_LIMIT)
    conn.execute("PRAGMA mmap_size=0")
    return conn


def _fetch(path: Path, dest: Path, passphrase: str | None, name: str) -> bool:
    """Copy (or decrypt) ``path`` into ``dest``; True if it was an encrypted bundle."""
    if not path.exists():
        raise DvcoordError(f"There is no file at '{path}'.")
    if path.is_dir():
        raise DvcoordError(f"'{path}' is a folder, not a dvcoord database file.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DvcoordError(
            f"The file {name} is too large to be a dvcoord database; it was not opened."
        )
    with open(path, "rb") as fh:
        start = fh.read(len(bundle.MAGIC))
    if start == bundle.MAGIC:
        if passphrase is None:
            raise bundle.PassphraseNeeded(
                f"The file {name} is encrypted: a passphrase is needed to open it."
            )
        bundle.decrypt_file(path, dest, passphrase)
        return True
    shutil.copyfile(path, dest)
    os.chmod(dest, 0o600)
    return False


def _read_core(conn: sqlite3.Connection, name: str) -> tuple[dict[str, str], str]:
    """Check and read ``meta`` and ``alembic_version`` (after checking they are the plain
    tables dvcoord creates)."""
    found = read_objects(conn, name)
    head = reference_schemas(migrate.head_revision())[0]
    meta = found.get("meta")
    if meta is not None and meta.kind != "table":
        raise DvcoordError(
            f"The file {name} contains {_a(meta.kind)} 'meta' that dvcoord does not create "
            "(in place of its settings table); it was not opened."
        )
    if meta is None:
        raise NotADvcoordFile(
            f"The file {name} has no dvcoord settings table: it is not a dvcoord database."
        )
    for table in ("meta", "alembic_version"):
        have, want = found.get(table), head.objects[table]
        if have is None:
            raise DamagedFileError(
                f"The file {name} has no schema revision: it was not made "
                "by dvcoord, or it is damaged."
            )
        if have.type != "table" or have.sql != want.sql:
            raise DvcoordError(
                f"The file {name} has the table '{table}' defined differently "
                "from dvcoord's; it was not opened."
            )
    count, biggest, odd = conn.execute(
        "SELECT count(*), max(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))), "
        "total(typeof(key) != 'text' OR typeof(value) != 'text') FROM meta"
    ).fetchone()
    if count > MAX_META_ROWS or (biggest or 0) > MAX_VALUE_BYTES or odd:
        raise DvcoordError(
            f"The file {name} has settings dvcoord would not write; it was not opened."
        )
    meta_rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta_rows.get(core.META_APPLICATION) != "dvcoord":
        raise NotADvcoordFile(f"The file {name} is not a dvcoord database.")
    versions = conn.execute(
        "SELECT version_num FROM alembic_version WHERE typeof(version_num) = 'text' "
        "AND length(version_num) <= 200 LIMIT 3"
    ).fetchall()
    if len(versions) != 1:
        raise DamagedFileError(
            f"The file {name} does not record one schema revision; it is damaged."
        )
    revision = versions[0][0]
    known = migrate.known_revisions()
    claimed = meta_rows.get(core.META_SCHEMA_REVISION, revision)
    for rev in (revision, claimed):
        if rev not in known:
            raise NewerVersionError(
                f"The file {name} was saved by a newer version of dvcoord (schema "
                f"{rev[:60]!r}); install the newer dvcoord to open it. It was not opened."
            )
    db_id = meta_rows.get(core.META_DATABASE_ID, "")
    if not db_id or len(db_id) > 64:
        raise DamagedFileError(f"The file {name} has no database id; it is damaged.")
    return meta_rows, revision


class ProgressStopped(Exception):  # noqa: N818 - a carrier, not an error of its own
    """The caller's progress callback raised (e.g. the user pressed Cancel); ``original``
    is what it raised, passed on untouched once the temporary files are gone."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


def report_progress(progress, done: int, total: int, text: str) -> None:  # noqa: ANN001
    """Call ``progress(done, total, text)``; what it raises comes out as ProgressStopped."""
    if progress is not None:
        try:
            progress(done, total, text)
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller untouched
            raise ProgressStopped(exc) from exc


_progress = report_progress


def check_incoming(path: Path, passphrase: str | None = None, *, progress=None) -> CheckedFile:
    """Check a received file; return a private checked copy or raise :class:`DvcoordError`.

    ``progress(done, total, text)``, if given, is called as the work goes on; it may
    raise :class:`Cancelled` to stop.  The caller closes the returned file (or uses it
    as a context manager) to delete the copy.
    """
    path = Path(path)
    name = f"'{path.name}'"
    work = Path(tempfile.mkdtemp(prefix="dvcoord-incoming-"))
    try:
        copy = work / "incoming.sqlite"
        _progress(progress, 0, 4, "Reading the file")
        encrypted = _fetch(path, copy, passphrase, name)
        checked = _check_copy(copy, name, progress)
        checked.source = path
        checked.encrypted = encrypted
        checked._work = work
        log.info(
            "received file %s passed the checks (revision %s%s)",
            path.name,
            checked.revision,
            ", upgraded" if checked.upgraded else "",
        )
        return checked
    except ProgressStopped as stop:
        shutil.rmtree(work, ignore_errors=True)
        raise stop.original from None
    except DvcoordError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    except (sqlite3.Error, UnicodeError) as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise _sqlite_problem(name, exc) from None
    except OSError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise DvcoordError(f"The file {name} cannot be read: {exc.strerror or exc}.") from None
    except MemoryError:
        shutil.rmtree(work, ignore_errors=True)
        raise DvcoordError(f"The file {name} is too large to check on this computer.") from None
    except Exception:
        shutil.rmtree(work, ignore_errors=True)
        log.exception("unexpected error while checking a received file")
        raise DvcoordError(
            f"The file {name} could not be checked (an unexpected problem, "
            "recorded in the log); it was not opened."
        ) from None


def clean_detail(text: object, limit: int = 150) -> str:
    """One short line of a message from SQLite (which may span lines or quote data)."""
    lines = [ln.strip() for ln in str(text).splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("*** in database")]
    detail = " ".join(" ".join(lines).split())
    return detail if len(detail) <= limit else detail[: limit - 1] + "…"


_UTF8_RE = re.compile(r"could not decode to utf-8 column '([^']*)'", re.I)


def describe_sqlite_problem(
    name: str, exc: BaseException, doing: str = "it was not opened"
) -> DvcoordError:
    """A plain sentence for an error SQLite (or decoding its text) raised on a received file."""
    text = str(exc).lower()
    if "too big" in text:
        return DvcoordError(f"The file {name} holds a value larger than dvcoord allows; {doing}.")
    if "no such module" in text:
        return DvcoordError(
            f"The file {name} contains a virtual table that dvcoord does not create; {doing}."
        )
    m = _UTF8_RE.search(str(exc))
    if m or isinstance(exc, UnicodeError):
        where = f" (in the column '{m.group(1)}')" if m else ""
        return DamagedFileError(
            f"The file {name} is damaged: it holds text that is not valid UTF-8{where}; {doing}."
        )
    return DamagedFileError(
        f"The file {name} is damaged and cannot be read ({clean_detail(exc)}); {doing}."
    )


def _sqlite_problem(name: str, exc: BaseException) -> DvcoordError:
    return describe_sqlite_problem(name, exc)


def _quick_check(conn: sqlite3.Connection, name: str) -> None:
    conn.text_factory = bytes
    try:
        rows = conn.execute("PRAGMA quick_check(20)").fetchall()
    finally:
        conn.text_factory = str
    problems = [
        r[0].decode("utf-8", "replace") if isinstance(r[0], bytes) else str(r[0]) for r in rows
    ]
    problems = [p for p in problems if p != "ok"]
    if problems:
        raise DamagedFileError(
            f"The file {name} is damaged: SQLite's check reports a problem "
            f"({clean_detail(problems[0])}); it was not opened."
        )


def _check_copy(copy: Path, name: str, progress) -> CheckedFile:
    _check_header(copy, name)
    _progress(progress, 1, 4, "Checking the file's structure")
    conn = _open_untrusted(copy)
    try:
        _quick_check(conn, name)
        meta_rows, revision = _read_core(conn, name)
        _progress(progress, 2, 4, "Comparing its tables with dvcoord's")
        check_schema(conn, revision, name)
        ref = reference_schemas(revision)[0]
        counts = _check_values(conn, ref, name, None)
    finally:
        conn.close()
    head = migrate.head_revision()
    upgraded = False
    if revision != head:
        _progress(progress, 3, 4, "Bringing the copy up to date")
        engine = make_engine(copy, pooled=False)
        try:
            migrate.upgrade(engine)
        except DvcoordError as exc:
            raise DvcoordError(f"The file {name} could not be brought up to date: {exc}") from None
        finally:
            engine.dispose()
        conn = _open_untrusted(copy)
        try:
            check_schema(conn, head, name)
        finally:
            conn.close()
        upgraded = True
    _progress(progress, 4, 4, "Checked")
    return CheckedFile(
        source=copy,
        path=copy,
        database_id=meta_rows.get(core.META_DATABASE_ID, ""),
        display_name=(meta_rows.get(core.META_DISPLAY_NAME) or "")[:300],
        revision=revision,
        upgraded=upgraded,
        encrypted=False,
        row_counts=counts,
    )
