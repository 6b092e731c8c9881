"""Making a copy of a database to send to someone.

The copy is written with SQLite's ``VACUUM INTO`` from a read-only connection: one
consistent snapshot, rebuilt page by page, so nothing of the live file's free pages (text
that was deleted) travels with it, and the live file itself is never copied.  The copy is
then tidied before it leaves:

* the **audit trail is emptied**: it holds every earlier version of every row, including
  words someone deliberately deleted, and it is local (a merge never reads it);
* the **full addresses of Sanctuary Scheme cases are left out** unless the sender asks
  for them (``include_addresses=True``): the column is blanked and the copy is marked so
  that the receiver's merge keeps its own addresses (:mod:`dvcoord.exchange.withheld`).
  Postcode districts stay: they are the data-minimised location the scheme keeps;
* the copy is compacted again so the emptied pages do not travel either.

The merge log stays: it holds no case data, and it tells the receiver what this database
last took from theirs (see :mod:`dvcoord.exchange.merge`).  The copy keeps this
database's id, so the receiver's merge knows where the rows came from.

The copy also records *when* it was made (``meta`` key ``copy_lineage``): the newest
``updated_at`` of its rows and the time of the copy, after the points of the file it was
made from (a copy of a copy carries both).  When the copy comes back, the merge knows
the two files held the same rows at that point, so a record changed since then on one
side only is simply taken, and only a record changed on both sides is a conflict.

With ``encrypt=True`` the plain copy is made in a private temporary folder, sealed into a
``.dvcx`` bundle (:mod:`dvcoord.exchange.bundle`) and only the bundle is written beside
``out``; without it, the copy is made beside ``out`` under a temporary name and renamed
into place, so ``out`` is never half-written.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dvcoord.errors import DvcoordError
from dvcoord.exchange import bundle, withheld
from dvcoord.exchange.merge import COPY_LINEAGE_KEY, copy_lineage_text
from dvcoord.store import fileguard, migrate
from dvcoord.store.base import utcnow
from dvcoord.store.engine import raw_connect
from dvcoord.store.schema import core

log = logging.getLogger(__name__)

#: Local tables emptied in a shared copy (their rows hold earlier versions of rows).
STRIPPED_TABLES = ("audit_log",)

ADDRESS_WARNING = (
    "The copy will carry the full addresses of Sanctuary Scheme cases: anyone who gets the "
    "file can find those homes. Include them only when the receiver needs them, encrypt "
    "the copy, and delete it once it has been merged."
)


def _addresses(n: int) -> str:
    return f"{n} full address{'es' if n != 1 else ''}"


def _vacuum_into(src: Path, dest: Path) -> None:
    # The copy is readable by its owner only from the moment it exists, like every other
    # file dvcoord writes (SQLite would create it with the default permissions).
    try:
        os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # VACUUM INTO accepts an empty file; the chmod below still applies
    conn = raw_connect(src, readonly=True)
    try:
        conn.execute("VACUUM INTO ?", (str(dest),))
    finally:
        conn.close()
    os.chmod(dest, 0o600)


@dataclass(frozen=True)
class SharedCopy:
    """What :func:`make_shared_copy` wrote."""

    path: Path
    encrypted: bool
    #: Full addresses left out of the copy (0 when they were included).
    addresses_withheld: int
    #: Full addresses the copy carries (0 unless they were included).
    addresses_included: int

    def address_lines(self) -> list[str]:
        """What the copy did with the Sanctuary Scheme addresses, for the officer."""
        if self.addresses_included:
            return [
                f"{_addresses(self.addresses_included)} of Sanctuary Scheme cases included, "
                "as you asked.",
                "Warning: " + ADDRESS_WARNING.replace("will carry", "carries"),
            ]
        if self.addresses_withheld:
            return [
                f"{_addresses(self.addresses_withheld)} of Sanctuary Scheme cases left out of "
                "the copy (postcode districts are kept); the receiver keeps their own "
                "addresses when they merge it."
            ]
        return []


def _record_copy_point(conn: sqlite3.Connection) -> None:
    """Add this copy's point to the lineage in the copy's ``meta`` (before anything in
    the copy is tidied, so the mark is the newest row of the snapshot)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (core.META_DATABASE_ID,)).fetchone()
    text = copy_lineage_text(conn, row[0] if row else "", utcnow())
    if text is None:
        return  # too deep: the copy keeps its source's points (never fewer)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (COPY_LINEAGE_KEY, text),
    )


def _strip(copy: Path, *, include_addresses: bool) -> tuple[int, int]:
    """Tidy the copy in one transaction; returns (addresses withheld, included)."""
    conn = raw_connect(copy)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        # No need to overwrite the freed pages one by one: the VACUUM below rebuilds
        # the whole file from the live rows only.
        conn.execute("PRAGMA secure_delete=OFF")
        conn.execute("BEGIN IMMEDIATE")
        for table in STRIPPED_TABLES:
            if table in tables:
                conn.execute(f'DELETE FROM "{table}"')
        _record_copy_point(conn)
        if include_addresses:
            counts = (0, withheld.include_addresses(conn))
        else:
            counts = (withheld.withhold_addresses(conn), 0)
        conn.execute("COMMIT")
        conn.execute("VACUUM")
    finally:
        conn.close()
    return counts


def share_copy(
    db_path: Path,
    out: Path,
    *,
    encrypt: bool = False,
    passphrase: str | None = None,
    scrypt_params: dict[str, int] | None = None,
    include_addresses: bool = False,
) -> Path:
    """Write a copy of ``db_path`` to send to someone; returns ``out``.  See
    :func:`make_shared_copy`."""
    return make_shared_copy(
        db_path,
        out,
        encrypt=encrypt,
        passphrase=passphrase,
        scrypt_params=scrypt_params,
        include_addresses=include_addresses,
    ).path


def make_shared_copy(
    db_path: Path,
    out: Path,
    *,
    encrypt: bool = False,
    passphrase: str | None = None,
    scrypt_params: dict[str, int] | None = None,
    include_addresses: bool = False,
) -> SharedCopy:
    """Write a copy of ``db_path`` to send to someone, with the Sanctuary Scheme cases'
    full addresses left out unless ``include_addresses``; says how many were left out.

    Raises :class:`DvcoordError` with a clear sentence for every problem; ``out`` is
    either written completely or not at all.
    """
    db_path, out = Path(db_path), Path(out)
    fileguard.inspect_file(db_path, known_revisions=migrate.known_revisions())
    if out.exists() and out.is_dir():
        raise DvcoordError(f"'{out}' is a folder; choose a file name for the copy.")
    if out.exists() and out.resolve() == db_path.resolve():
        raise DvcoordError(
            "The copy cannot be written over the database itself; choose another name."
        )
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise DvcoordError(f"The folder '{folder}' does not exist.")
    if encrypt:
        bundle.check_passphrase(passphrase, for_encryption=True)

    if encrypt:
        work = Path(tempfile.mkdtemp(prefix="dvcoord-share-"))
        plain = work / "copy.sqlite"
    else:
        work = Path(tempfile.mkdtemp(prefix=".dvcoord-share-", dir=folder))
        plain = work / "copy.sqlite"
    try:
        try:
            _vacuum_into(db_path, plain)
            held, included = _strip(plain, include_addresses=include_addresses)
        except sqlite3.Error as exc:
            raise DvcoordError(f"Could not make a copy of '{db_path}': {exc}.") from None
        if encrypt:
            assert passphrase is not None
            bundle.encrypt_file(plain, out, passphrase, **(scrypt_params or {}))
        else:
            os.replace(plain, out)
    except OSError as exc:
        if exc.errno == 28:
            raise DvcoordError(f"The disk is full: could not write '{out}'.") from None
        raise DvcoordError(f"Could not write '{out}': {exc.strerror or exc}.") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info(
        "shared copy written: %s (%s; %d address(es) left out, %d included)",
        out.name,
        "encrypted" if encrypt else "plain",
        held,
        included,
    )
    return SharedCopy(
        path=out, encrypted=encrypt, addresses_withheld=held, addresses_included=included
    )
