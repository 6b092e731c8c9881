"""Alembic: one linear chain, migrations equal to create_all, upgrade on open with a
backup first, newer files refused untouched, foreign keys intact, loggers left alone."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from dvcoord.errors import DvcoordError, NewerVersionError
from dvcoord.store import Database, backups, migrate
from dvcoord.store.engine import APPLICATION_ID, make_engine
from dvcoord.store.schema import core, metadata

FIRST = "0001_foundation"


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_at(path: Path, revision: str, *, meta: bool = True) -> Path:
    """A dvcoord file built by running the migrations from base up to ``revision``."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.close()
    engine = make_engine(path, pooled=False)
    try:
        with engine.begin() as c:
            command.upgrade(migrate.alembic_config(c), revision)
            if meta:
                c.execute(
                    text("INSERT INTO meta (key, value) VALUES (:k, :v)"),
                    [
                        {"k": core.META_APPLICATION, "v": "dvcoord"},
                        {"k": core.META_DATABASE_ID, "v": "01900000-0000-7000-8000-0000000000aa"},
                        {"k": core.META_DISPLAY_NAME, "v": "Old file"},
                        {"k": core.META_SCHEMA_REVISION, "v": revision},
                    ],
                )
    finally:
        engine.dispose()
    return path


def schema_objects(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT type, name, tbl_name FROM sqlite_schema "
            "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ).fetchall()
        columns = {}
        for (name,) in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'"):
            columns[name] = [
                (r[1], r[2].upper(), r[3], r[5])
                for r in conn.execute(f'PRAGMA table_info("{name}")')
            ]
        fks = {
            name: sorted(r[2:5] for r in conn.execute(f'PRAGMA foreign_key_list("{name}")'))
            for name in columns
        }
    finally:
        conn.close()
    return {"objects": rows, "columns": columns, "fks": fks}


def test_one_head_and_a_linear_chain():
    script = migrate._script()
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1
    revisions = list(script.walk_revisions())  # head first
    for rev in revisions:
        assert not isinstance(rev.down_revision, tuple | list), f"{rev.revision} is a merge"
        assert len(rev.nextrev) <= 1, f"{rev.revision} branches"
    chain = [r.revision for r in revisions]
    assert chain[0] == migrate.head_revision() and chain[-1] == FIRST
    assert len(set(chain)) == len(chain) == len(migrate.known_revisions())
    # Each revision's file is named after its id (tools/new_migration.py --rev).
    versions = migrate.alembic_config().get_main_option("script_location")
    assert sorted(p.stem for p in (Path(versions) / "versions").glob("*.py")) == sorted(chain)


def test_upgrade_from_empty_equals_create_all(tmp_path):
    migrated = file_at(tmp_path / "migrated.sqlite", "head", meta=False)
    created = Database.create(tmp_path / "created.sqlite")
    created.close()

    engine = make_engine(migrated, pooled=False)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diffs == [], f"migrations and models differ: {diffs}"

    a, b = schema_objects(migrated), schema_objects(created.path)
    assert [o[:2] for o in a["objects"]] == [o[:2] for o in b["objects"]]
    assert a["columns"] == b["columns"]
    assert a["fks"] == b["fks"]


def test_older_file_is_backed_up_then_upgraded(tmp_path):
    path = file_at(tmp_path / "old.sqlite", FIRST)
    original = sha256(path)
    with Database.open(path, user="Officer") as db:
        assert db.revision == migrate.head_revision()
        assert db.meta(core.META_SCHEMA_REVISION) == migrate.head_revision()
        assert db.display_name == "Old file"
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            # the migration switched foreign keys off on its connection, and back on
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    found = backups.list_backups(path)
    assert [b.reason for b in found] == ["before-upgrade"]
    # The backup is the file as it was before the upgrade (same pages, same content).
    conn = sqlite3.connect(found[0].path)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == FIRST
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
        assert tables == {"alembic_version", "audit_log", "meta"}
    finally:
        conn.close()
    assert sha256(path) != original
    assert not Path(str(path) + "-journal").exists()


def test_every_step_of_the_chain_upgrades_to_head(tmp_path):
    chain = [r.revision for r in migrate._script().walk_revisions()][::-1]
    for i, rev in enumerate(chain[:-1]):
        path = file_at(tmp_path / f"at-{i}.sqlite", rev)
        with Database.open(path, backup=False) as db:
            assert db.revision == migrate.head_revision()
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []


def test_failed_upgrade_is_undone(tmp_path):
    """A file whose links are broken is not half-upgraded: the revision stays."""
    chain = [r.revision for r in migrate._script().walk_revisions()][::-1]
    if len(chain) < 3:
        pytest.skip("needs a revision with a foreign key below head")
    path = file_at(tmp_path / "broken.sqlite", "0002_plans")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")
    conn.execute(
        "INSERT INTO theme (plan_id, position, code, title, key_objective, id, created_at, "
        "updated_at, updated_by, origin) VALUES ('no-such-plan', 0, '', 't', '', 'x', "
        "'2026-01-01', '2026-01-01', '', '')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(DvcoordError, match="broken links"):
        Database.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0002_plans"
    conn.close()
    assert not Path(str(path) + "-journal").exists()


def test_newer_file_is_refused_untouched(tmp_path):
    created = Database.create(tmp_path / "future.sqlite")
    created.close()
    path = created.path
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num='9999_future'")
    conn.commit()
    conn.close()
    before = sha256(path)
    for readonly in (False, True):
        with pytest.raises(NewerVersionError) as info:
            Database.open(path, readonly=readonly)
        message = str(info.value)
        assert "newer version of dvcoord" in message and "9999_future" in message
        assert "not been changed" in message
    assert sha256(path) == before
    assert not Path(str(path) + "-journal").exists()
    assert backups.list_backups(path) == []  # refused before any backup or upgrade


def test_env_py_leaves_the_app_loggers_alone(tmp_path):
    logger = logging.getLogger("dvcoord")
    child = logging.getLogger("dvcoord.store.database")
    handler = logging.NullHandler()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        path = file_at(tmp_path / "old.sqlite", FIRST)
        Database.open(path).close()
        assert handler in logger.handlers
        assert logger.level == logging.DEBUG
        assert not logger.disabled and not child.disabled
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    env_py = Path(migrate.alembic_config().get_main_option("script_location")) / "env.py"
    assert "fileConfig(" not in env_py.read_text(encoding="utf-8")


def test_the_light_revision_scan_agrees_with_alembic():
    """Opening reads revision ids from versions/*.py without importing Alembic."""
    script = migrate._script()
    assert migrate.head_revision() == script.get_current_head()
    assert migrate.known_revisions() == {r.revision for r in script.walk_revisions()}
    chain = migrate._chain()
    assert chain is not None, "every revision file has the template's plain form"
    assert chain == {r.revision: r.down_revision for r in script.walk_revisions()}


def test_opening_a_current_file_does_not_import_alembic(db):
    import subprocess
    import sys

    path = db.path
    db.close()
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dvcoord.store import Database\n"
        f"Database.open(Path({str(path)!r}), backup=False).close()\n"
        "print(sorted(m for m in ('alembic', 'mako', 'pygments') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
