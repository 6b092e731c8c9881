"""The store: creating and opening files, pragmas, meta, the shared-row mixin and the
audit hook (proved on a test model with its own declarative base), and uuid7."""

from __future__ import annotations

import json
import struct
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from dvcoord.errors import DvcoordError
from dvcoord.store import Database, audit, migrate
from dvcoord.store.audit import PurgeRefused
from dvcoord.store.base import SharedMixin, shared_models, utcnow, uuid7
from dvcoord.store.engine import APPLICATION_ID
from dvcoord.store.schema import core
from dvcoord.store.schema.core import AuditEntry


# --------------------------------------------------------------------------- test model
class ProofBase(DeclarativeBase):
    """A declarative base of the tests' own, not the app's metadata."""


class Widget(SharedMixin, ProofBase):
    __tablename__ = "proof_widget"

    name: Mapped[str] = mapped_column(String(100))
    colour: Mapped[str] = mapped_column(String(20), default="grey")
    box_id: Mapped[str | None] = mapped_column(ForeignKey("proof_box.id"), default=None)

    box: Mapped[Box | None] = relationship(back_populates="widgets")


class Box(SharedMixin, ProofBase):
    __tablename__ = "proof_box"

    label: Mapped[str] = mapped_column(String(100))
    widgets: Mapped[list[Widget]] = relationship(back_populates="box")


@pytest.fixture
def pdb(db):
    """The conftest database with the proof tables added to the same file."""
    ProofBase.metadata.create_all(db.engine)
    return db


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(audit, "utcnow", fake)
    return fake


def audit_rows(db, row_id: str | None = None) -> list[AuditEntry]:
    with db.session() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        if row_id is not None:
            stmt = stmt.where(AuditEntry.row_id == row_id)
        return list(s.scalars(stmt))


def add_widget(db, **kw) -> Widget:
    with db.transaction() as s:
        w = Widget(name="sprocket", **kw)
        s.add(w)
    return w


# --------------------------------------------------------------------------- create/open
def test_create_then_open(tmp_path):
    path = tmp_path / "new.sqlite"
    db = Database.create(path, user="A. Officer", partnership="Test CSP")
    db_id = db.database_id
    db.close()
    assert path.is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["new.sqlite"]  # no temp file left
    with Database.open(path, user="B. Officer", backup=False) as again:
        assert again.database_id == db_id
        assert again.user == "B. Officer"
        assert again.revision == migrate.head_revision()


def test_create_refuses_existing_file_and_missing_folder(tmp_path):
    path = tmp_path / "x.sqlite"
    path.write_bytes(b"keep me")
    with pytest.raises(DvcoordError, match="already exists"):
        Database.create(path)
    assert path.read_bytes() == b"keep me"
    with pytest.raises(DvcoordError, match="does not exist"):
        Database.create(tmp_path / "nowhere" / "x.sqlite")


def test_create_failure_leaves_nothing(tmp_path, monkeypatch):
    def broken(engine):
        raise RuntimeError("boom")

    monkeypatch.setattr(migrate, "create_schema", broken)
    with pytest.raises(RuntimeError):
        Database.create(tmp_path / "x.sqlite")
    assert list(tmp_path.iterdir()) == []


def test_pragmas_on_engine_connections(db):
    expected = {
        "foreign_keys": 1,
        "journal_mode": "delete",
        "synchronous": 2,
        "secure_delete": 1,
        "trusted_schema": 0,
    }
    # Two connections at once, so both the first and a further pooled one are checked.
    with db.engine.connect() as c1, db.engine.connect() as c2:
        for conn in (c1, c2):
            for pragma, value in expected.items():
                assert conn.exec_driver_sql(f"PRAGMA {pragma}").scalar() == value, pragma
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    with db.session() as s:
        assert s.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_application_id_in_header(db):
    header = db.path.read_bytes()[:100]
    assert header.startswith(b"SQLite format 3\x00")
    assert struct.unpack(">I", header[68:72])[0] == APPLICATION_ID


def test_meta_contents(tmp_path):
    path = tmp_path / "Sevenoaks.sqlite"
    with Database.create(
        path, user="A", partnership="Sevenoaks CSP", marking="OFFICIAL-SENSITIVE"
    ) as db:
        assert uuid.UUID(db.database_id).version == 7
        assert db.meta(core.META_DATABASE_ID) == db.database_id
        assert db.display_name == "Sevenoaks"
        assert db.partnership == "Sevenoaks CSP"
        assert db.default_marking == "OFFICIAL-SENSITIVE"
        assert [k["letter"] for k in db.rag_key] == ["G", "A", "R"]
        assert json.loads(db.meta(core.META_RAG_KEY)) == db.rag_key
        assert db.meta(core.META_SCHEMA_REVISION) == migrate.head_revision()
        assert db.meta(core.META_APPLICATION) == "dvcoord"
    with Database.create(tmp_path / "b.sqlite", display_name="Shared copy") as other:
        assert other.display_name == "Shared copy"
        assert other.database_id != db.database_id


def test_set_meta_persists(db):
    db.set_meta(core.META_PARTNERSHIP, "Renamed CSP")
    assert db.partnership == "Renamed CSP"
    with Database.open(db.path, backup=False) as again:
        assert again.partnership == "Renamed CSP"


def test_transaction_rolls_back_on_error(pdb):
    with pytest.raises(ValueError), pdb.transaction() as s:
        s.add(Widget(name="lost"))
        s.flush()
        raise ValueError("stop")
    with pdb.session() as s:
        assert s.scalar(select(func.count()).select_from(Widget)) == 0
    assert audit_rows(pdb) == []


def test_readonly_database_refuses_transactions(db):
    path = db.path
    db.close()
    ro = Database.open(path, readonly=True)
    try:
        with pytest.raises(DvcoordError, match="read-only"), ro.transaction():
            pass
    finally:
        ro.close()


def test_app_shared_models_carry_the_mixin():
    models = shared_models()
    assert models, "the app has shared tables"
    assert Widget not in models  # the tests' own base stays out of the app's registry
    for model in models:
        cols = set(model.__table__.c.keys())
        assert {"id", "created_at", "updated_at", "updated_by", "origin", "deleted_at"} <= cols


# --------------------------------------------------------------------------- mixin + audit
def test_insert_fills_bookkeeping_and_audits(pdb, clock):
    w = add_widget(pdb)
    assert uuid.UUID(w.id).version == 7 and len(w.id) == 36
    assert w.updated_by == "Test Officer"
    assert w.origin == pdb.database_id
    assert w.deleted_at is None
    with pdb.session() as s:
        stored = s.get(Widget, w.id)
        for stamp in (stored.created_at, stored.updated_at):
            assert stamp.tzinfo is not None and stamp.utcoffset() == timedelta(0)
        assert stored.created_at == w.created_at
    (entry,) = audit_rows(pdb, w.id)
    assert (entry.action, entry.table_name, entry.user) == (
        "insert",
        "proof_widget",
        "Test Officer",
    )
    assert entry.before is None
    after = json.loads(entry.after)
    assert after["name"] == "sprocket"
    assert after["colour"] == "grey"  # column defaults are in the audit row too
    assert after["id"] == w.id and after["origin"] == pdb.database_id
    assert entry.at.tzinfo is not None


def test_update_moves_updated_at_and_records_before_after(pdb, clock):
    w = add_widget(pdb)
    first = w.updated_at
    with pdb.transaction() as s:
        s.get(Widget, w.id).colour = "blue"
    with pdb.session() as s:
        stored = s.get(Widget, w.id)
        assert stored.updated_at > first
        assert stored.created_at == w.created_at
    entries = audit_rows(pdb, w.id)
    assert [e.action for e in entries] == ["insert", "update"]
    before, after = json.loads(entries[1].before), json.loads(entries[1].after)
    assert before["colour"] == "grey" and after["colour"] == "blue"
    assert after["updated_at"] > before["updated_at"]


def test_update_of_an_unloaded_value_reads_before_from_the_file(pdb):
    w = add_widget(pdb)
    with pdb.transaction() as s:
        stored = s.get(Widget, w.id)
        s.expire(stored)
        stored.colour = "red"  # set without the old value ever being loaded
    before = json.loads(audit_rows(pdb, w.id)[-1].before)
    assert before["colour"] == "grey"
    assert before["name"] == "sprocket"


def test_reparenting_through_a_relationship_is_audited(pdb, clock):
    with pdb.transaction() as s:
        a, b = Box(label="a"), Box(label="b")
        w = Widget(name="sprocket", box=a)
        s.add_all([a, b, w])
    (insert,) = audit_rows(pdb, w.id)
    assert json.loads(insert.after)["box_id"] == a.id  # the foreign key, not null
    stamp = w.updated_at
    with pdb.transaction() as s:
        s.get(Widget, w.id).box = s.get(Box, b.id)
    entries = audit_rows(pdb, w.id)
    assert [e.action for e in entries] == ["insert", "update"]
    assert json.loads(entries[1].before)["box_id"] == a.id
    assert json.loads(entries[1].after)["box_id"] == b.id
    with pdb.session() as s:
        assert s.get(Widget, w.id).updated_at > stamp


def test_tombstone_and_restore(pdb, clock):
    w = add_widget(pdb)
    with pdb.transaction() as s:
        s.get(Widget, w.id).deleted_at = utcnow()
    with pdb.session() as s:
        assert s.get(Widget, w.id).is_deleted
    with pdb.transaction() as s:
        s.get(Widget, w.id).deleted_at = None
    entries = audit_rows(pdb, w.id)
    assert [e.action for e in entries] == ["insert", "tombstone", "restore"]
    assert json.loads(entries[1].after)["deleted_at"] is not None
    assert json.loads(entries[2].after)["deleted_at"] is None
    with pdb.session() as s:
        assert [e.action for e in audit.history(s, "proof_widget", w.id)] == [
            "insert",
            "tombstone",
            "restore",
        ]


def test_hard_delete_is_refused_and_writes_nothing(pdb):
    w = add_widget(pdb)
    before = audit_rows(pdb)
    with pytest.raises(PurgeRefused), pdb.transaction() as s:
        s.delete(s.get(Widget, w.id))
    with pdb.session() as s:
        assert s.get(Widget, w.id) is not None
    assert [e.id for e in audit_rows(pdb)] == [e.id for e in before]


def test_allowed_purge_is_audited(pdb):
    w = add_widget(pdb)
    with pdb.transaction() as s:
        s.info["allow_purge"] = True
        s.delete(s.get(Widget, w.id))
    with pdb.session() as s:
        assert s.get(Widget, w.id) is None
    entry = audit_rows(pdb, w.id)[-1]
    assert entry.action == "purge" and entry.after is None
    assert json.loads(entry.before)["name"] == "sprocket"


def test_flush_without_real_change_writes_no_audit_row(pdb):
    w = add_widget(pdb)
    stamp = w.updated_at
    with pdb.transaction() as s:
        stored = s.get(Widget, w.id)
        stored.name = "sprocket"  # same value
        stored.colour = "grey"
        s.flush()
    with pdb.session() as s:
        assert s.get(Widget, w.id).updated_at == stamp
    assert [e.action for e in audit_rows(pdb, w.id)] == ["insert"]


def test_caller_cannot_forge_bookkeeping(pdb):
    forged = datetime(2000, 1, 1, tzinfo=UTC)
    w = add_widget(pdb, updated_by="Someone Else", origin="elsewhere", updated_at=forged)
    with pdb.session() as s:
        stored = s.get(Widget, w.id)
        assert stored.updated_by == "Test Officer"
        assert stored.origin == pdb.database_id
        assert stored.updated_at > forged


def test_merge_flag_keeps_given_bookkeeping(pdb):
    stamp = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
    with pdb.session() as s, s.begin():
        s.info["merging"] = True
        s.add(
            Widget(
                id="01900000-0000-7000-8000-000000000001",
                name="from afar",
                created_at=stamp,
                updated_at=stamp,
                updated_by="Other Officer",
                origin="other-database",
            )
        )
    with pdb.session() as s:
        stored = s.get(Widget, "01900000-0000-7000-8000-000000000001")
        assert (stored.updated_at, stored.created_at) == (stamp, stamp)
        assert (stored.updated_by, stored.origin) == ("Other Officer", "other-database")
    with pdb.session() as s, s.begin():
        s.info["merging"] = True
        stored = s.get(Widget, "01900000-0000-7000-8000-000000000001")
        stored.colour = "green"
        stored.updated_at = stamp + timedelta(days=1)
    with pdb.session() as s:
        assert s.get(Widget, stored.id).updated_at == stamp + timedelta(days=1)
        assert s.get(Widget, stored.id).updated_by == "Other Officer"
    assert [e.action for e in audit_rows(pdb, stored.id)] == ["merge", "merge"]


def test_audit_note_and_user_recorded(pdb):
    with pdb.transaction() as s:
        s.info["audit_note"] = "imported from plan.docx"
        s.add(Widget(name="n"))
    (entry,) = audit_rows(pdb)
    assert entry.note == "imported from plan.docx"
    assert entry.user == "Test Officer"


def test_app_model_insert_is_audited(db):
    from dvcoord.store.schema.plans import Agency

    with db.transaction() as s:
        s.add(Agency(name="Kent Police", sector="police"))
    (entry,) = audit_rows(db)
    assert entry.table_name == "agency"
    assert json.loads(entry.after)["short_name"] == ""


# --------------------------------------------------------------------------- uuid7
def test_uuid7_is_a_valid_version_7_uuid():
    before = datetime.now(UTC)
    value = uuid7()
    after = datetime.now(UTC)
    parsed = uuid.UUID(value)
    assert str(parsed) == value and len(value) == 36
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    ms = parsed.int >> 80
    assert int(before.timestamp() * 1000) - 1 <= ms <= int(after.timestamp() * 1000) + 1


def test_uuid7_strictly_increasing_in_a_tight_loop():
    ids = [uuid7() for _ in range(20_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0, max_value=2**31))
def test_uuid7_ordered_even_when_the_clock_stands_still_or_steps_back(n, step_back_ns):
    import time as real_time
    from types import SimpleNamespace

    from dvcoord.store import base

    start = real_time.time_ns()
    ticks = iter([start] * n + [start - step_back_ns] * n)
    original = base.time
    base.time = SimpleNamespace(time_ns=lambda: next(ticks))  # only uuid7's clock
    try:
        ids = [uuid7() for _ in range(2 * n)]
    finally:
        base.time = original
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 7 for i in ids)


def test_database_path_is_kept(db):
    assert isinstance(db.path, Path) and db.path.name == "test.sqlite"


# --------------------------------------------------------------------------- verified files
@pytest.fixture
def quick_checks(monkeypatch):
    """Record whether each Database.open asked for SQLite's full quick_check."""
    from dvcoord.store import fileguard

    calls: list[bool] = []
    real = fileguard.inspect_file

    def spy(path, *, known_revisions, quick_check=True):
        calls.append(quick_check)
        return real(path, known_revisions=known_revisions, quick_check=quick_check)

    monkeypatch.setattr(fileguard, "inspect_file", spy)
    return calls


def test_reopening_a_cleanly_closed_file_skips_the_full_check(tmp_path, quick_checks):
    path = tmp_path / "mine.sqlite"
    Database.create(path).close()
    quick_checks.clear()
    with Database.open(path, backup=False) as db:
        db.set_meta(core.META_PARTNERSHIP, "Changed in this session")
    Database.open(path, backup=False).close()
    assert quick_checks == [False, False]


def test_a_file_changed_elsewhere_is_checked_in_full(tmp_path, quick_checks):
    import sqlite3

    path = tmp_path / "mine.sqlite"
    Database.create(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value='x' WHERE key='partnership_name'")
    conn.commit()
    conn.close()
    quick_checks.clear()
    Database.open(path, backup=False).close()
    Database.open(path, backup=False).close()
    assert quick_checks == [True, False]


def test_a_file_not_closed_cleanly_is_checked_in_full(tmp_path, quick_checks):
    path = tmp_path / "mine.sqlite"
    Database.create(path).close()
    db = Database.open(path, backup=False)
    db.set_meta(core.META_PARTNERSHIP, "Written, then the app died")
    db.engine.dispose()  # no close(): as after a crash
    quick_checks.clear()
    Database.open(path, backup=False).close()
    assert quick_checks == [True]


def test_a_copied_file_is_checked_in_full(tmp_path, quick_checks):
    from dvcoord.store.backups import copy_database

    path = tmp_path / "mine.sqlite"
    Database.create(path).close()
    copy = copy_database(path, tmp_path / "copy.sqlite")
    quick_checks.clear()
    Database.open(copy, backup=False).close()
    assert quick_checks == [True]


def test_bookkeeping_set_by_hand_on_an_update_is_not_written(pdb):
    w = add_widget(pdb)
    with pdb.transaction() as s:
        stored = s.get(Widget, w.id)
        stored.updated_by = "Someone Else"
        stored.origin = "elsewhere"
    with pdb.session() as s:
        stored = s.get(Widget, w.id)
        assert (stored.updated_by, stored.origin) == ("Test Officer", pdb.database_id)
    with pdb.transaction() as s:
        stored = s.get(Widget, w.id)
        stored.updated_by = "Someone Else"
        stored.colour = "red"
    with pdb.session() as s:
        assert s.get(Widget, w.id).updated_by == "Test Officer"
    assert [e.action for e in audit_rows(pdb, w.id)] == ["insert", "update"]


def test_an_unwritable_verified_record_never_stops_create_or_open(tmp_path, monkeypatch):
    """The record of checked files is a cache: if its folder cannot be made (here the
    data folder is a plain file), creating and opening databases still work."""
    from dvcoord import paths
    from dvcoord.store import Database

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setattr(paths, "data_dir", lambda: blocker / "data")
    path = tmp_path / "a.sqlite"
    Database.create(path, user="A").close()
    with Database.open(path, user="A", backup=False) as db:
        assert db.database_id
