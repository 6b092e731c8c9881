"""Full addresses of Sanctuary Scheme cases in shared copies: left out unless the sender
chooses to include them, and never erased by a merge because a sender left them out.

**Sending.**  A copy made by :mod:`dvcoord.exchange.share` has the ``address`` column of
every ``sanctuary_case`` row blanked (in the same transaction that empties the audit
trail, before the copy is compacted, so the text does not travel in free pages either),
and carries the meta key :data:`META_WITHHELD` = ``"yes"``.  A copy made with addresses
included carries the key too when the database has addresses switched off (its blank
addresses say nothing about the receiver's: it records none), or is itself a copy that
left them out.  Only the address is blanked:
the postcode district (``TN13``) is the data-minimised location the scheme keeps on
purpose: an outward code covers thousands of homes and does not point to one, and a
partner needs it for the work.  The row's bookkeeping (``updated_at``, ``origin``) is
left as it was: blanking is not an edit.

**Receiving into a database that records no addresses** (its switch is off):
:func:`drop_addresses_when_off` blanks every received address in the checked copy
first, so a merge never brings in what this database has chosen not to hold.

**Receiving.**  A blank address in a received row means one of two things: the sender
cleared it (a real change), or the sender never sent it.  Before a merge is worked out,
:func:`keep_local_addresses` puts this database's address back into the received rows,
in the gate's private checked copy (never in the received file), wherever the received
address is blank and this database's is not, and

* the copy says addresses were withheld (:data:`META_WITHHELD`), or
* the two rows are the *same version* (same ``updated_at`` and ``origin``) and the
  sender is not the database that made that version: one edit cannot have two
  different addresses, so the blank one can only be an address that was left out
  somewhere along the way (for example a copy that this database sent without
  addresses, merged by the other side and sent back with addresses included).

The merge then compares, counts and applies rows as usual: a row that differs only by
the withheld address counts as unchanged, and a row the sender did change is taken with
this database's address kept.

**The same version, one address blank** is what withholding leaves behind (the
receiver holds the sender's version of the row, minus the address).  For such a pair
the merge asks :func:`same_version_winner` before its usual tie-break (a hash, which
would keep a coin-toss share of them): the version held by the database that *made*
it wins (``origin``), because it knows what that edit wrote; when neither side made it,
the one with the address wins.  So a copy sent later with addresses included delivers
every address, and a clear made by the sender travels in a copy with addresses
included, never in one that left them out.  Both directions of a merge pick the same
version, so two databases still end up alike.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from dvcoord.store.engine import raw_connect
from dvcoord.store.schema.core import META_DATABASE_ID

log = logging.getLogger(__name__)

MINE, THEIRS = "mine", "theirs"  # as :mod:`dvcoord.exchange.merge` names the two sides

#: Meta key written into a shared copy whose addresses were left out.
META_WITHHELD = "share.addresses_withheld"
#: The database's own switch (``dvcoord.services.sanctuary.META_ADDRESS_ENABLED``).
META_ADDRESS_ENABLED = "sanctuary.address_enabled"
TABLE = "sanctuary_case"
COLUMN = "address"
_BATCH = 500


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type='table' AND name=?", (name,)
    ).fetchone()
    return row is not None


def count_addresses(conn: sqlite3.Connection) -> int:
    """Sanctuary cases (live or marked deleted) with a full address recorded."""
    if not _has_table(conn, TABLE):
        return 0
    return int(
        conn.execute(f'SELECT count(*) FROM "{TABLE}" WHERE trim("{COLUMN}") != \'\'').fetchone()[0]
    )


def addresses_in(db_path: Path) -> int:
    """How many full addresses a database file holds (what a shared copy would leave out)."""
    conn = raw_connect(Path(db_path), readonly=True)
    try:
        return count_addresses(conn)
    finally:
        conn.close()


def _yes(value: object) -> bool:
    return str(value or "").strip().lower() in ("1", "yes", "true")


def _meta_value(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def mark_withheld(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, 'yes')", (META_WITHHELD,))


def include_addresses(conn: sqlite3.Connection) -> int:
    """A copy that keeps its addresses: returns how many it carries.  Marked as having
    left addresses out all the same when the database records none (addresses switched
    off), so that its blank addresses never clear a receiver's."""
    if not _yes(_meta_value(conn, META_ADDRESS_ENABLED)):
        mark_withheld(conn)
    return count_addresses(conn)


def withhold_addresses(conn: sqlite3.Connection) -> int:
    """Blank every address in a copy and mark the copy; returns how many were blanked.

    Call inside the transaction that tidies the copy (the caller commits and compacts).
    """
    blanked = 0
    if _has_table(conn, TABLE):
        blanked = conn.execute(
            f'UPDATE "{TABLE}" SET "{COLUMN}" = \'\' WHERE "{COLUMN}" != \'\''
        ).rowcount
    mark_withheld(conn)
    return max(blanked, 0)


def was_withheld(conn: sqlite3.Connection) -> bool:
    return _yes(_meta_value(conn, META_WITHHELD))


def _database_id(conn: sqlite3.Connection) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_DATABASE_ID,)).fetchone()
    return str(row[0]) if row else ""


def same_version_winner(
    table: str, mine: tuple, theirs: tuple, pos: dict[str, int], own_id: str, peer_id: str
) -> str | None:
    """For two versions of a ``sanctuary_case`` row that are the same version (same
    ``updated_at``, ``origin`` and deletion) and differ only in that one address is
    blank: which one the merge keeps (``"mine"`` / ``"theirs"``; see the module notes).
    None for every other pair: the merge's own rule decides."""
    if table != TABLE:
        return None
    upd, orig, dele, addr = pos["updated_at"], pos["origin"], pos["deleted_at"], pos[COLUMN]
    if mine[upd] != theirs[upd] or mine[orig] != theirs[orig]:
        return None
    if (mine[dele] is None) != (theirs[dele] is None):
        return None
    mine_blank = not (mine[addr] or "").strip()
    theirs_blank = not (theirs[addr] or "").strip()
    if mine_blank == theirs_blank:
        return None
    if any(mine[i] != theirs[i] for i in range(len(mine)) if i != addr):
        return None
    if own_id != peer_id:
        if mine[orig] == own_id:
            return MINE
        if mine[orig] == peer_id:
            return THEIRS
    return THEIRS if mine_blank else MINE


def keep_local_addresses(local_path: Path, checked_path: Path) -> int:
    """Put this database's addresses back where a received row's address is blank only
    because it was left out (see the module notes).  Works on the gate's private checked
    copy; returns how many addresses were kept."""
    loc = raw_connect(Path(local_path), readonly=True)
    try:
        if not _has_table(loc, TABLE):
            return 0
        own_id = _database_id(loc)
        mine = {
            r[0]: (r[1], r[2], r[3])
            for r in loc.execute(
                f'SELECT id, "{COLUMN}", updated_at, origin FROM "{TABLE}" '
                f"WHERE trim(\"{COLUMN}\") != ''"
            )
        }
    finally:
        loc.close()
    if not mine:
        return 0
    inc = raw_connect(Path(checked_path))
    kept = 0
    try:
        if not _has_table(inc, TABLE):
            return 0
        withheld = was_withheld(inc)
        peer_id = _database_id(inc)
        ids = list(mine)
        fills: list[tuple[str, str]] = []
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            marks = ", ".join("?" * len(batch))
            for row_id, updated_at, origin in inc.execute(
                f'SELECT id, updated_at, origin FROM "{TABLE}" '
                f"WHERE id IN ({marks}) AND trim(\"{COLUMN}\") = ''",
                tuple(batch),
            ):
                address, my_updated, my_origin = mine[row_id]
                same_version = updated_at == my_updated and origin == my_origin
                sender_made_it = origin == peer_id and peer_id != own_id
                if withheld or (same_version and not sender_made_it):
                    fills.append((address, row_id))
        if fills:
            inc.execute("BEGIN IMMEDIATE")
            inc.executemany(f'UPDATE "{TABLE}" SET "{COLUMN}" = ? WHERE id = ?', fills)
            inc.execute("COMMIT")
            kept = len(fills)
    finally:
        inc.close()
    if kept:
        log.info(
            "merge: %d address(es) left out of the received file kept from this database", kept
        )
    return kept


def drop_addresses_when_off(local_path: Path, checked_path: Path) -> int:
    """When this database records no full addresses (its switch is off), blank them in
    the gate's private checked copy of a received file, so a merge never brings into
    it what it has chosen not to hold.  Returns how many were not taken."""
    loc = raw_connect(Path(local_path), readonly=True)
    try:
        enabled = _has_table(loc, "meta") and _yes(_meta_value(loc, META_ADDRESS_ENABLED))
    finally:
        loc.close()
    if enabled:
        return 0
    inc = raw_connect(Path(checked_path))
    try:
        if not _has_table(inc, TABLE):
            return 0
        inc.execute("BEGIN IMMEDIATE")
        dropped = inc.execute(
            f'UPDATE "{TABLE}" SET "{COLUMN}" = \'\' WHERE trim("{COLUMN}") != \'\''
        ).rowcount
        inc.execute("COMMIT")
    finally:
        inc.close()
    if dropped:
        log.info("merge: %d received address(es) not taken (addresses are off here)", dropped)
    return int(dropped)
