"""Alembic, in-process: the schema's history from the first table on.

The :class:`~alembic.config.Config` is built in code (no ``alembic.ini``); the script
directory ``store/migrations`` ships as package data.  Upgrades run with foreign keys
off on the migration connection and ``foreign_key_check`` afterwards.  An empty file
gets ``create_all`` plus ``stamp head``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

from dvcoord import paths
from dvcoord.errors import DamagedFileError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic (and the Mako and Pygments it pulls in) costs about a tenth of a second to
# import, so it is imported only to create, stamp or upgrade a file.  Opening a file
# that is already at head needs only the revision ids, read from versions/*.py below.
_REVISION_RE = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_RE = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(paths.migrations_dir()))
    cfg.set_main_option("file_template", "%%(rev)s")
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


@lru_cache(maxsize=1)
def _chain() -> dict[str, str | None] | None:
    """``{revision: down_revision}`` read from the text of versions/*.py.

    None when a file does not have the plain form our template writes (then Alembic
    itself is asked).
    """
    chain: dict[str, str | None] = {}
    for path in sorted((paths.migrations_dir() / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION_RE.search(source), _DOWN_RE.search(source)
        if rev is None or down is None:
            return None
        value = down.group(1).strip()
        if value == "None":
            chain[rev.group(1)] = None
        elif m := re.fullmatch(r"['\"]([^'\"]+)['\"]", value):
            chain[rev.group(1)] = m.group(1)
        else:  # a merge point or anything unusual
            return None
    return chain or None


def head_revision() -> str:
    chain = _chain()
    if chain is not None:
        heads = sorted(set(chain) - {d for d in chain.values() if d})
    else:
        heads = list(_script().get_heads())
    if len(heads) != 1:  # pragma: no cover - guarded by a test
        raise RuntimeError(f"dvcoord's migrations have {len(heads)} heads: {heads}")
    return heads[0]


def known_revisions() -> set[str]:
    chain = _chain()
    if chain is not None:
        return set(chain)
    return {rev.revision for rev in _script().walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    """The revision stamped in the file (None if it has no ``alembic_version``)."""
    has_table = connection.execute(
        text("SELECT 1 FROM sqlite_schema WHERE type='table' AND name='alembic_version'")
    ).first()
    if has_table is None:
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    if len(rows) > 1:  # pragma: no cover - branches are refused by a test
        raise DamagedFileError("The file is stamped with more than one schema revision.")
    return rows[0][0] if rows else None


def create_schema(engine: Engine) -> None:
    """Create every table of a new, empty database and mark it as at head."""
    from alembic import command

    from dvcoord.store.schema import metadata

    with engine.begin() as conn:
        metadata.create_all(conn)
        cfg = alembic_config(conn)
        command.stamp(cfg, "head")


def upgrade(engine: Engine, target: str = "head") -> None:
    """Upgrade an existing database to ``target`` (take a backup first!).

    The whole upgrade is one transaction: it is either complete or undone.  Foreign keys
    are switched off on the migration connection (batch mode rebuilds tables) and checked
    with ``foreign_key_check`` before the commit.
    """
    from alembic import command

    with engine.connect() as conn:
        # PRAGMA foreign_keys is a no-op inside a transaction, and SQLAlchemy would
        # begin one on the first statement; so set it on the driver connection first.
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                command.upgrade(alembic_config(conn), target)
                problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise DamagedFileError(
                        "Upgrading the database left broken links between records "
                        f"({len(problems)} found); the upgrade was undone."
                    )
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
