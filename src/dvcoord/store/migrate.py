"""Alembic, in-process: the schema's history from the first table on.

The :class:`~alembic.config.Config` is built in code (no ``alembic.ini``); the script
directory ``store/migrations`` ships as package data.  Upgrades run with foreign keys
off on the migration connection and ``foreign_key_check`` afterwards.  An empty file
gets ``create_all`` plus ``stamp head``.
"""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from dvcoord import paths
from dvcoord.errors import DamagedFileError


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(paths.migrations_dir()))
    cfg.set_main_option("file_template", "%%(rev)s")
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    heads = _script().get_heads()
    if len(heads) != 1:  # pragma: no cover - guarded by a test
        raise RuntimeError(f"dvcoord's migrations have {len(heads)} heads: {heads}")
    return heads[0]


def known_revisions() -> set[str]:
    return {rev.revision for rev in _script().walk_revisions()}


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def create_schema(engine: Engine) -> None:
    """Create every table of a new, empty database and mark it as at head."""
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
