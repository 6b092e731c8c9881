"""Backups: taking, listing, restoring, rotation, consistency under writes, full disk."""

from __future__ import annotations

import errno
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dvcoord import paths
from dvcoord.errors import DvcoordError, NotADvcoordFile
from dvcoord.store import Database, backups
from dvcoord.store.schema import core


def meta_value(path: Path, key: str) -> str | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------- take/list
def test_take_and_list(db):
    taken = backups.take_backup(db.path, reason="Before import!")
    assert taken.parent == paths.backup_dir() / db.database_id
    assert taken.name.startswith("test_") and taken.name.endswith("_before-import.sqlite")
    assert integrity(taken) == "ok"
    assert meta_value(taken, core.META_DATABASE_ID) == db.database_id
    second = backups.take_backup(db.path)
    found = backups.list_backups(db.path)
    assert [b.path for b in found] == [second, taken]  # newest first
    assert [b.reason for b in found] == ["manual", "before-import"]
    assert found[0].size == second.stat().st_size
    assert found[0].taken_at.tzinfo is not None
    assert "manual" in found[0].label and "/" in found[0].label  # dd/mm/yyyy
    assert not [p for p in taken.parent.iterdir() if p.suffix == ".tmp"]


def test_backup_to_a_chosen_file_or_folder(db, tmp_path):
    out = backups.take_backup(db.path, dest=tmp_path / "out" / "copy.sqlite")
    assert out == tmp_path / "out" / "copy.sqlite" and integrity(out) == "ok"
    into_folder = backups.take_backup(db.path, dest=tmp_path / "out")
    assert into_folder.parent == tmp_path / "out" and into_folder.suffix == ".sqlite"
    assert backups.list_backups(db.path) == []  # chosen places are not the backup folder


def test_backups_of_different_databases_are_kept_apart(db, tmp_path):
    other = Database.create(tmp_path / "other.sqlite")
    other.close()
    backups.take_backup(db.path)
    backups.take_backup(other.path)
    assert len(backups.list_backups(db.path)) == 1
    assert len(backups.list_backups(other.path)) == 1
    assert backups.folder_for(db.path) != backups.folder_for(other.path)


# --------------------------------------------------------------------------- restore
def test_restore_undoes_a_change_and_keeps_the_file_as_it_was(db):
    db.set_meta(core.META_PARTNERSHIP, "Before")
    taken = backups.take_backup(db.path)
    db.set_meta(core.META_PARTNERSHIP, "After")
    db.close()
    safety = backups.restore_backup(taken, db.path)
    assert meta_value(db.path, core.META_PARTNERSHIP) == "Before"
    assert safety != db.path and "before-restore" in safety.name
    assert meta_value(safety, core.META_PARTNERSHIP) == "After"
    reasons = [b.reason for b in backups.list_backups(db.path)]
    assert reasons == ["before-restore", "manual"]
    with Database.open(db.path, backup=False) as again:
        assert again.partnership == "Before"
    assert integrity(db.path) == "ok"


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    bogus = tmp_path / "bogus.sqlite"
    bogus.write_bytes(b"not a database at all" * 100)
    before = db.path.read_bytes()
    db.close()
    with pytest.raises(NotADvcoordFile):
        backups.restore_backup(bogus, db.path)
    assert db.path.read_bytes() == before
    assert backups.list_backups(db.path) == []  # refused before any safety copy


def test_restore_to_a_new_place(db, tmp_path):
    taken = backups.take_backup(db.path)
    target = tmp_path / "restored.sqlite"
    assert backups.restore_backup(taken, target) == target
    assert meta_value(target, core.META_DATABASE_ID) == db.database_id


# --------------------------------------------------------------------------- rotation
def fake_backup(folder: Path, when: datetime, reason: str = "on-open") -> Path:
    path = folder / f"plan_{when:%Y%m%d-%H%M%S-%f}_{reason}.sqlite"
    path.write_bytes(b"x")
    return path


def test_rotation_keeps_ten_newest_and_one_a_day_for_thirty_days(tmp_path):
    folder = tmp_path / "rot"
    folder.mkdir()
    now = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    today = [fake_backup(folder, now.replace(hour=h)) for h in (7, 8, 9, 10, 11)]
    by_day: dict[int, list[Path]] = {}
    for back in range(1, 60):
        day = now - timedelta(days=back)
        by_day[back] = [fake_backup(folder, day.replace(hour=h)) for h in (8, 13, 18)]
    stray = folder / "notes.txt"
    stray.write_text("not a backup")
    odd = folder / "my own copy.sqlite"
    odd.write_bytes(b"x")

    removed = backups.rotate(folder, now=now)

    kept = {p for p in folder.iterdir()}
    expected = set(today) | set(by_day[1]) | set(by_day[2][1:])  # the ten newest
    expected |= {by_day[back][-1] for back in range(1, 31)}  # newest of each of 30 days
    expected |= {stray, odd}  # other files are never touched
    assert kept == expected
    assert len(removed) == 5 + 59 * 3 - (len(expected) - 2)
    assert by_day[31][-1] not in kept  # a day beyond thirty keeps nothing
    assert by_day[30][-1] in kept and by_day[30][0] not in kept
    assert backups.rotate(folder, now=now) == []  # rotating again removes nothing


def test_one_a_day_counts_uk_days_in_summer_time(tmp_path):
    folder = tmp_path / "bst"
    folder.mkdir()
    now = datetime(2026, 7, 20, 12, 0, tzinfo=UTC)
    # 22:30 and 23:30 UTC on 01/07 are 23:30 on 01/07 and 00:30 on 02/07 in the UK.
    late = fake_backup(folder, datetime(2026, 7, 1, 22, 30, tzinfo=UTC))
    after_midnight = fake_backup(folder, datetime(2026, 7, 1, 23, 30, tzinfo=UTC))
    recent = [fake_backup(folder, now - timedelta(minutes=m)) for m in range(1, 11)]
    backups.rotate(folder, now=now)
    kept = set(folder.iterdir())
    assert set(recent) <= kept
    assert late in kept and after_midnight in kept  # two UK days: one each


def test_take_backup_rotates(db):
    for _ in range(13):
        backups.take_backup(db.path)
    assert len(backups.list_backups(db.path)) == 10


# --------------------------------------------------------------------------- consistency
def test_backup_while_another_connection_writes_is_consistent(db, tmp_path):
    stop = threading.Event()
    written = []

    def writer() -> None:
        conn = sqlite3.connect(db.path, timeout=10, isolation_level=None)
        i = 0
        while not stop.is_set() and i < 5000:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO meta VALUES (?, ?)", (f"row{i}", "x" * 500))
            conn.execute("COMMIT")
            written.append(i)
            i += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        copies = [backups.copy_database(db.path, tmp_path / f"c{n}.sqlite") for n in range(8)]
    finally:
        stop.set()
        thread.join()
    assert written, "the writer ran"
    counts = []
    for copy in copies:
        assert integrity(copy) == "ok"
        conn = sqlite3.connect(copy)
        rows = [r[0] for r in conn.execute("SELECT key FROM meta WHERE key LIKE 'row%'")]
        conn.close()
        # each copy is one committed state: rows 0..n-1 with no gaps
        assert sorted(int(k[3:]) for k in rows) == list(range(len(rows)))
        counts.append(len(rows))
    assert counts == sorted(counts)


def test_backup_if_changed(db):
    first = backups.backup_if_changed(db.path)
    assert first is not None and "on-open" in first.name
    assert backups.backup_if_changed(db.path) is None  # unchanged since
    db.set_meta(core.META_PARTNERSHIP, "Changed")
    assert backups.backup_if_changed(db.path) is not None


def test_open_takes_an_on_open_backup_only_when_changed(db):
    path = db.path
    db.close()
    Database.open(path).close()
    Database.open(path).close()
    assert [b.reason for b in backups.list_backups(path)] == ["on-open"]


# --------------------------------------------------------------------------- full disk
def test_full_disk_on_rename_is_a_clear_error(db, tmp_path, monkeypatch):
    def no_space(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backups.os, "replace", no_space)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(DvcoordError) as info:
        backups.take_backup(db.path, dest=out / "copy.sqlite")
    assert str(info.value).startswith("The disk is full")
    assert "copy.sqlite" in str(info.value)
    assert list(out.iterdir()) == []  # no temporary file left behind
    with pytest.raises(DvcoordError, match="disk is full"):
        backups.take_backup(db.path)
    assert list(backups.folder_for(db.path).iterdir()) == []


def test_full_disk_inside_sqlite_is_a_clear_error(db, tmp_path, monkeypatch):
    real_connect = backups.raw_connect

    class FullSource:
        def __init__(self, conn):
            self.conn = conn

        def backup(self, target):
            raise sqlite3.OperationalError("database or disk is full")

        def close(self):
            self.conn.close()

    monkeypatch.setattr(backups, "raw_connect", lambda *a, **k: FullSource(real_connect(*a, **k)))
    with pytest.raises(DvcoordError, match="^The disk is full"):
        backups.copy_database(db.path, tmp_path / "copy.sqlite")
    assert names(tmp_path) == ["test.sqlite"]


def test_no_space_for_the_temporary_file(db, tmp_path, monkeypatch):
    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backups.tempfile, "mkstemp", no_space)
    with pytest.raises(DvcoordError, match="^The disk is full"):
        backups.copy_database(db.path, tmp_path / "copy.sqlite")
