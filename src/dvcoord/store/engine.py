"""SQLAlchemy engines over one SQLite file, with the pragmas dvcoord relies on.

* ``foreign_keys=ON``; rollback journal (``journal_mode=DELETE``) so the database stays
  one self-contained file that can be attached to an e-mail; ``synchronous=FULL``;
  a busy timeout; ``secure_delete=ON`` so deleted text does not linger in free pages;
  ``trusted_schema=OFF`` so nothing in a schema can call application functions.
* Transactions begin explicitly (pysqlite's own implicit BEGIN is switched off), so a
  read sees one consistent snapshot and SAVEPOINTs work.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool, QueuePool

#: ``PRAGMA application_id`` of every dvcoord file ("DVCD").  SQLite keeps it in the
#: file header, so a file can be recognised before any table is read.
APPLICATION_ID = 0x44564344
BUSY_TIMEOUT_MS = 4000


def sqlite_uri(path: Path, *, readonly: bool, immutable: bool = False) -> str:
    uri = "file:" + quote(str(Path(path).resolve()).replace("\\", "/"), safe="/:")
    params = ["mode=ro" if readonly else "mode=rw"]
    if immutable:
        params.append("immutable=1")
    return uri + "?" + "&".join(params)


def raw_connect(
    path: Path, *, readonly: bool = False, untrusted: bool = False, timeout: float = 4.0
) -> sqlite3.Connection:
    """A plain sqlite3 connection with dvcoord's pragmas (used by the engine too)."""
    conn = sqlite3.connect(
        sqlite_uri(path, readonly=readonly),
        uri=True,
        timeout=timeout,
        check_same_thread=False,
        isolation_level=None,
    )
    try:
        cur = conn.cursor()
        cur.execute("PRAGMA trusted_schema=OFF")
        if untrusted:
            cur.execute("PRAGMA cell_size_check=ON")
        cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        if not readonly:
            cur.execute("PRAGMA journal_mode=DELETE")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA secure_delete=ON")
        cur.close()
    except BaseException:
        conn.close()
        raise
    return conn


def make_engine(path: Path, *, readonly: bool = False, pooled: bool = True) -> Engine:
    """An engine on an existing SQLite file (it is never created here)."""
    path = Path(path)

    def creator() -> sqlite3.Connection:
        return raw_connect(path, readonly=readonly, timeout=BUSY_TIMEOUT_MS / 1000)

    engine = create_engine(
        "sqlite+pysqlite://",
        creator=creator,
        poolclass=QueuePool if pooled else NullPool,
        **({"pool_size": 4, "max_overflow": 4} if pooled else {}),
    )

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # noqa: ANN001
        conn.exec_driver_sql("BEGIN")

    return engine
