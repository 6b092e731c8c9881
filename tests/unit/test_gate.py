"""Hostile received files: each is refused with one plain sentence, or merged correctly.

For every file: no exception other than :class:`DvcoordError` escapes, the received file
is never changed, and where the file is refused the user's database is unchanged byte
for byte (sha256 before and after).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import struct
from pathlib import Path

import pytest
from exchange_data import attempt, build_templates, execute, refused, sha256, shared_rows

from dvcoord.errors import NewerVersionError
from dvcoord.exchange import bundle, gate
from dvcoord.exchange.merge import plan_merge
from dvcoord.store import Database

FAST_SCRYPT = {"n": 2**10, "r": 8, "p": 1}
PASSPHRASE = "correct horse battery staple"


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    return build_templates(tmp_path_factory.mktemp("gate"))


@pytest.fixture
def incoming(templates, tmp_path) -> Path:
    return Path(shutil.copyfile(templates["incoming"], tmp_path / "received.sqlite"))


@pytest.fixture
def mine(templates, tmp_path) -> Path:
    return Path(shutil.copyfile(templates["fresh"], tmp_path / "mine.sqlite"))


# --------------------------------------------------------------------------- baseline
def test_a_sound_copy_is_merged(mine, incoming):
    kind, report = attempt(mine, incoming)
    assert kind == "merged"
    assert report.totals.new > 20
    assert shared_rows(mine)["action"]  # the rows arrived


def test_gate_returns_a_private_checked_copy(incoming):
    with gate.check_incoming(incoming) as checked:
        assert checked.path != incoming and checked.path.exists()
        assert checked.display_name == "County team"
        assert checked.row_counts["action"] == 6
        work = checked.path.parent
        assert oct(work.stat().st_mode & 0o777) == "0o700"
    assert not work.exists()


# --------------------------------------------------------------------------- schema
def test_trigger_that_would_write_on_insert(mine, incoming):
    execute(
        incoming,
        "CREATE TRIGGER agency_sync AFTER INSERT ON agency "
        "BEGIN DELETE FROM plan; UPDATE meta SET value = 'x'; END",
    )
    message = refused(mine, incoming)
    assert "contains a trigger 'agency_sync' that dvcoord does not create" in message
    assert message.endswith("it was not opened.")


def test_view_shadowing_a_table_name(mine, incoming):
    execute(
        incoming,
        "PRAGMA foreign_keys=OFF",
        "ALTER TABLE agency RENAME TO agency_data",
        "CREATE VIEW agency AS SELECT * FROM agency_data",
    )
    assert "contains a view 'agency' that dvcoord does not create" in refused(mine, incoming)


def test_meta_claiming_a_newer_revision(mine, incoming):
    execute(incoming, "UPDATE meta SET value = '0999_future' WHERE key = 'schema_revision'")
    db = Database.open(mine, backup=False)
    try:
        with pytest.raises(NewerVersionError, match="newer version of dvcoord"):
            plan_merge(db, incoming)
    finally:
        db.close()
    refused(mine, incoming)


def test_alembic_version_newer(mine, incoming):
    execute(incoming, "UPDATE alembic_version SET version_num = '0999_future'")
    assert "newer version of dvcoord" in refused(mine, incoming)


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (["CREATE TABLE extra (x TEXT)"], "contains a table 'extra'"),
        (["CREATE INDEX ix_extra ON action (text)"], "contains an index 'ix_extra'"),
        (["CREATE VIRTUAL TABLE notes USING fts5(body)"], "contains a virtual table 'notes'"),
        (
            ["CREATE VIRTUAL TABLE places USING rtree(id, x0, x1)"],
            "contains a virtual table 'places'",
        ),
        (
            ["ALTER TABLE agency ADD COLUMN phone TEXT"],
            "has a column 'phone' in the table 'agency'",
        ),
        (
            ["DROP INDEX ix_action_theme_id", "CREATE INDEX ix_action_theme_id ON action (text)"],
            "the index 'ix_action_theme_id' defined differently",
        ),
        (["DROP INDEX ix_milestone_due"], "lacks the index 'ix_milestone_due'"),
        (["PRAGMA foreign_keys=OFF", "DROP TABLE milestone"], "lacks the table 'milestone'"),
        (["CREATE VIEW summary AS SELECT count(*) FROM action"], "contains a view 'summary'"),
        (
            ["CREATE TRIGGER t1 BEFORE UPDATE ON meta BEGIN SELECT 1; END"],
            "contains a trigger 't1'",
        ),
    ],
)
def test_unexpected_schema_objects(mine, incoming, statements, expected):
    execute(incoming, *statements)
    message = refused(mine, incoming)
    assert expected in message
    assert message.endswith("it was not opened.")


def test_virtual_table_of_an_unknown_module(mine, incoming):
    execute(
        incoming,
        "PRAGMA writable_schema=ON",
        "INSERT INTO sqlite_schema VALUES ('table', 'evil', 'evil', 0, "
        "'CREATE VIRTUAL TABLE evil USING nosuchmodule(x)')",
    )
    assert "virtual table" in refused(mine, incoming)


def test_changed_table_definition(mine, incoming):
    # Same columns, but a column loses its NOT NULL: a changed definition.
    execute(
        incoming,
        "PRAGMA writable_schema=ON",
        "UPDATE sqlite_schema SET sql = replace(sql, 'short_name VARCHAR(60) NOT NULL', "
        "'short_name VARCHAR(60)') WHERE name = 'agency'",
    )
    assert "'agency'" in refused(mine, incoming)


def test_table_definition_stored_as_bytes(mine, incoming):
    # A damaged or hostile file can hold a definition as a BLOB, not text.
    execute(
        incoming,
        "PRAGMA writable_schema=ON",
        "UPDATE sqlite_schema SET sql = CAST(sql AS BLOB) WHERE name = 'agency'",
    )
    message = refused(mine, incoming)
    assert "damaged" in message and "unexpected" not in message


def test_meta_as_a_view(mine, incoming):
    execute(
        incoming,
        "ALTER TABLE meta RENAME TO meta_data",
        "CREATE VIEW meta AS SELECT * FROM meta_data",
    )
    assert "meta" in refused(mine, incoming)


def test_another_applications_database(mine, tmp_path):
    other = tmp_path / "other.sqlite"
    execute(other, "CREATE TABLE meta (key TEXT, value TEXT)")
    assert "another application" in refused(mine, other)


def test_meta_saying_it_is_not_dvcoord(mine, incoming):
    execute(incoming, "UPDATE meta SET value = 'something else' WHERE key = 'application'")
    assert "is not a dvcoord database" in refused(mine, incoming)


def test_no_meta_table(mine, incoming):
    execute(incoming, "DROP TABLE meta")
    assert "no dvcoord settings table" in refused(mine, incoming)


# --------------------------------------------------------------------------- values
def test_huge_blob(mine, incoming):
    execute(incoming, "UPDATE action SET text = zeroblob(2000000) WHERE rowid = 1")
    assert "larger than dvcoord allows" in refused(mine, incoming)


def test_huge_text(mine, incoming):
    execute(incoming, "UPDATE agency SET notes = hex(randomblob(700000)) WHERE rowid = 1")
    assert "larger than dvcoord allows" in refused(mine, incoming)


def test_value_beyond_sqlites_hard_limit(mine, incoming):
    execute(incoming, "UPDATE plan SET description = zeroblob(17000000)")
    assert "larger than dvcoord allows" in refused(mine, incoming)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("UPDATE action SET position = 'first' WHERE rowid = 1", "wrong kind"),
        ("UPDATE action SET target_start = '2027-02-30' WHERE rowid = 1", "not dates"),
        ("UPDATE action SET updated_at = 'yesterday' WHERE rowid = 1", "not dates"),
        ("UPDATE agency SET name = x'00ff' WHERE rowid = 1", "wrong kind"),
        ("UPDATE action SET target_start = '2027-13-01' WHERE rowid = 1", "not dates"),
        (
            "UPDATE action SET created_at = '2026-01-01 24:00:00.000000' WHERE rowid = 1",
            "not dates",
        ),
        ("UPDATE meta SET value = x'00ff' WHERE key = 'display_name'", "settings"),
        ("DELETE FROM meta WHERE key = 'database_id'", "no database id"),
        ("DELETE FROM alembic_version", "schema revision"),
    ],
)
def test_values_dvcoord_would_not_write(mine, incoming, sql, expected):
    execute(incoming, sql)
    assert expected in refused(mine, incoming)


def test_too_many_rows(mine, incoming, monkeypatch):
    monkeypatch.setattr(gate, "MAX_ROWS_PER_TABLE", 10)
    assert "more than dvcoord accepts" in refused(mine, incoming)


def test_attach_style_paths_in_text_are_just_text(mine, incoming, tmp_path, monkeypatch):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    values = ["file:/etc/passwd", "../../x.sqlite", "ATTACH DATABASE '../../y.sqlite' AS y; --"]
    execute(incoming, "UPDATE agency SET name = ? WHERE rowid = 1", params=(values[0],))
    execute(incoming, "UPDATE action SET text = ? WHERE rowid = 1", params=(values[1],))
    execute(incoming, "UPDATE plan SET description = ?", params=(values[2],))
    kind, _report = attempt(mine, incoming)
    assert kind == "merged"
    conn = sqlite3.connect(mine)
    stored = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM agency UNION SELECT text FROM action UNION SELECT description FROM plan"
        )
    }
    conn.close()
    assert set(values) <= stored
    assert not (tmp_path / "x.sqlite").exists() and not (tmp_path / "y.sqlite").exists()
    assert not Path("/etc/passwd-journal").exists()


# --------------------------------------------------------------------------- the header
def _set_header(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


@pytest.mark.parametrize("page_size", [1024, 8192, 3000, 256])
def test_wrong_page_size_in_the_header(mine, incoming, page_size):
    _set_header(incoming, 16, struct.pack(">H", page_size))
    assert "damaged" in refused(mine, incoming)


def test_a_genuinely_different_page_size_is_fine(mine, templates, tmp_path):
    received = Path(shutil.copyfile(templates["small"], tmp_path / "small.sqlite"))
    kind, report = attempt(mine, received)
    assert kind == "merged" and report.totals.new > 20


def test_write_ahead_log_mode(mine, incoming):
    _set_header(incoming, 18, b"\x02\x02")
    assert "write-ahead-log" in refused(mine, incoming)


def test_another_applications_id(mine, incoming):
    _set_header(incoming, 68, struct.pack(">I", 0x12345678))
    assert "another application" in refused(mine, incoming)


def test_utf16_database(mine, tmp_path):
    other = tmp_path / "utf16.sqlite"
    execute(
        other,
        "PRAGMA encoding='UTF-16le'",
        f"PRAGMA application_id={0x44564344}",
        "CREATE TABLE meta (key TEXT)",
    )
    assert "UTF-8" in refused(mine, other)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty (0 bytes)"),
        (b"%PDF-1.4\n" + b"x" * 2000, "a PDF document"),
        (b"PK\x03\x04" + b"\x00" * 2000, "zip file"),
        (b"Dear colleague, please find attached the plan.\n" * 50, "not a SQLite file"),
        (bytes(random.Random(7).randrange(256) for _ in range(8192)), "not a SQLite file"),
        (b"SQLite format 3\x00", "cut short"),
        (b"SQLite for", "cut short"),
    ],
)
def test_files_that_are_not_databases(mine, tmp_path, content, expected):
    path = tmp_path / "attachment.sqlite"
    path.write_bytes(content)
    assert expected in refused(mine, path)


def test_missing_file_and_folder(mine, tmp_path):
    assert "no file" in refused(mine, tmp_path / "nothing.sqlite")
    assert "folder" in refused(mine, tmp_path)


def test_a_journal_beside_the_received_file_is_ignored(mine, incoming):
    journal = incoming.with_name(incoming.name + "-journal")
    journal.write_bytes(b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7" + b"\x00" * 4000)
    before = sha256(journal)
    kind, _ = attempt(mine, incoming)
    assert kind == "merged"
    assert sha256(journal) == before


def test_older_revision_is_upgraded_in_the_copy_only(mine, tmp_path):
    """A file at 0002 (before alarms and the merge log) is upgraded in the gate's copy."""
    from alembic import command

    from dvcoord.store import migrate
    from dvcoord.store.engine import APPLICATION_ID, make_engine

    old = tmp_path / "old.sqlite"
    execute(old, f"PRAGMA application_id={APPLICATION_ID}")
    engine = make_engine(old, pooled=False)
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), "0002_plans")
    engine.dispose()
    stamp = "2026-01-02 03:04:05.000000"
    execute(
        old,
        "INSERT INTO meta VALUES ('application', 'dvcoord'), ('database_id', "
        "'01900000-0000-7000-8000-000000000001'), ('display_name', 'Old file'), "
        "('schema_revision', '0002_plans')",
        "INSERT INTO agency (id, name, short_name, sector, active, notes, created_at, "
        f"updated_at, updated_by, origin) VALUES ('01900000-0000-7000-8000-0000000000aa', "
        f"'Old Agency', '', 'police', 1, '', '{stamp}', '{stamp}', 'Someone', "
        "'01900000-0000-7000-8000-000000000001')",
    )
    before = sha256(old)
    with gate.check_incoming(old) as checked:
        assert checked.upgraded and checked.revision == "0002_plans"
    assert sha256(old) == before
    kind, report = attempt(mine, old)
    assert kind == "merged" and report.counts["agency"].new == 1
    assert sha256(old) == before


# --------------------------------------------------------------------------- bundles
@pytest.fixture
def sealed(templates, tmp_path) -> Path:
    out = tmp_path / "received.dvcx"
    bundle.encrypt_file(templates["incoming"], out, PASSPHRASE, **FAST_SCRYPT)
    return out


def test_sealed_bundle_is_merged_with_the_right_passphrase(mine, sealed):
    kind, report = attempt(mine, sealed, PASSPHRASE)
    assert kind == "merged" and report.totals.new > 20


def test_bundle_with_wrong_passphrase(mine, sealed):
    assert refused(mine, sealed, "wrong passphrase here") == bundle.WRONG_PASSPHRASE


def test_bundle_without_a_passphrase(mine, sealed):
    assert "passphrase is needed" in refused(mine, sealed, None)
    assert "passphrase is empty" in refused(mine, sealed, "")


@pytest.mark.parametrize("cut", [4, 5, 40, 69, 70, 100, -17, -1])
def test_truncated_bundle(mine, sealed, cut):
    data = sealed.read_bytes()
    sealed.write_bytes(data[:cut])
    assert "cut short" in refused(mine, sealed, PASSPHRASE)


def test_bundle_with_bytes_added(mine, sealed):
    sealed.write_bytes(sealed.read_bytes() + b"\x00")
    assert "extra bytes" in refused(mine, sealed, PASSPHRASE)


@pytest.mark.parametrize("offset", [5, 8, 12, 20, 40, 50, 60, 75, 500, -5])
def test_bundle_with_a_flipped_byte(mine, sealed, offset):
    data = bytearray(sealed.read_bytes())
    data[offset] ^= 0x40
    sealed.write_bytes(bytes(data))
    message = refused(mine, sealed, PASSPHRASE)
    assert any(
        words in message
        for words in (
            "passphrase is wrong",
            "changed or damaged",
            "damaged",
            "newer version",
            "cut short",
            "extra bytes",
        )
    ), message


def test_bundle_from_a_newer_format(mine, sealed):
    data = bytearray(sealed.read_bytes())
    data[4:6] = struct.pack(">H", bundle.FORMAT_VERSION + 1)
    sealed.write_bytes(bytes(data))
    assert "newer version of dvcoord" in refused(mine, sealed, PASSPHRASE)


def test_bundle_with_ruinous_scrypt_settings_is_refused_at_once(mine, sealed):
    data = bytearray(sealed.read_bytes())
    data[6:10] = struct.pack(">I", 2**30)  # 128 GB of memory
    sealed.write_bytes(bytes(data))
    assert "key settings" in refused(mine, sealed, PASSPHRASE)


def test_bundle_holding_a_hostile_database(mine, incoming, tmp_path):
    execute(incoming, "CREATE TRIGGER x AFTER INSERT ON plan BEGIN DELETE FROM agency; END")
    out = bundle.encrypt_file(incoming, tmp_path / "hostile.dvcx", PASSPHRASE, **FAST_SCRYPT)
    assert "trigger 'x'" in refused(mine, out, PASSPHRASE)
