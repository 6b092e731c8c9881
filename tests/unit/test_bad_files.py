"""Opening files that are not a sound dvcoord database of this version.

Each case: the right exception class, one clear sentence naming the problem, the file
byte-for-byte unchanged, no ``-journal`` left beside it, and ``dvcoord check`` (the
service behind it) reporting the problem instead of raising.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dvcoord.errors import (
    DamagedFileError,
    DvcoordError,
    FileInUseError,
    NewerVersionError,
    NotADvcoordFile,
)
from dvcoord.services.check import check_database
from dvcoord.store import Database, fileguard
from dvcoord.store.base import uuid7
from dvcoord.store.engine import APPLICATION_ID
from dvcoord.store.schema.plans import Agency


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def journal(path: Path) -> Path:
    return path.with_name(path.name + "-journal")


def assert_one_sentence(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message
    assert message.endswith("."), message
    assert len(message) < 400, message


def assert_refused(path: Path, exc_type: type[DvcoordError], *words: str, readonly=False):
    """Database.open refuses ``path`` with ``exc_type``; the file is left as it was."""
    before = sha256(path) if path.is_file() else None
    with pytest.raises(DvcoordError) as info:
        Database.open(path, user="Officer", readonly=readonly)
    assert type(info.value) is exc_type, f"{type(info.value).__name__}: {info.value}"
    message = str(info.value)
    assert_one_sentence(message)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    if before is not None:
        assert sha256(path) == before
    assert not journal(path).exists()
    report = check_database(path)
    assert not report.sound
    for word in words:
        assert word in report.problems[0], f"{word!r} not in {report.problems[0]!r}"
    return message


# --------------------------------------------------------------------------- files
@pytest.fixture(scope="module")
def big_template(tmp_path_factory) -> Path:
    """A dvcoord file of a few hundred pages, mostly one table of agencies."""
    folder = tmp_path_factory.mktemp("big")
    old = os.environ.get("DVCOORD_HOME")
    os.environ["DVCOORD_HOME"] = str(folder / "home")
    try:
        db = Database.create(folder / "big.sqlite")
        stamp = datetime(2026, 1, 1, tzinfo=UTC)
        rows = [
            dict(
                id=uuid7(),
                name=f"Agency {i}",
                short_name="",
                sector="other",
                active=True,
                notes=f"notes {i} " * 40,
                created_at=stamp,
                updated_at=stamp,
                updated_by="",
                origin=db.database_id,
                deleted_at=None,
            )
            for i in range(2000)
        ]
        with db.engine.begin() as conn:
            conn.execute(Agency.__table__.insert(), rows)
        db.close()
    finally:
        if old is None:
            os.environ.pop("DVCOORD_HOME", None)
        else:
            os.environ["DVCOORD_HOME"] = old
    return folder / "big.sqlite"


@pytest.fixture
def good(tmp_path) -> Path:
    db = Database.create(tmp_path / "good.sqlite")
    db.close()
    return db.path


def agency_leaf_page(path: Path) -> tuple[int, int]:
    """(page number, page size) of a leaf page of the agency table, mid-file."""
    conn = sqlite3.connect(path)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        try:
            pages = [
                r[0]
                for r in conn.execute(
                    "SELECT pageno FROM dbstat WHERE name='agency' AND pagetype='leaf' "
                    "ORDER BY pageno"
                )
            ]
        except sqlite3.OperationalError:  # SQLite built without dbstat
            count = conn.execute("PRAGMA page_count").fetchone()[0]
            pages = [count // 2]
    finally:
        conn.close()
    return pages[len(pages) // 2], page_size


# --------------------------------------------------------------------------- cases
def test_missing_file(tmp_path):
    path = tmp_path / "nothing.sqlite"
    message = assert_refused(path, DvcoordError, "There is no file", "nothing.sqlite")
    assert not path.exists()
    assert message.startswith("There is no file")


def test_a_folder(tmp_path):
    folder = tmp_path / "folder.sqlite"
    folder.mkdir()
    assert_refused(folder, DvcoordError, "is a folder")
    assert folder.is_dir() and list(folder.iterdir()) == []


def test_zero_bytes(tmp_path):
    path = tmp_path / "empty.sqlite"
    path.write_bytes(b"")
    assert_refused(path, NotADvcoordFile, "empty (0 bytes)", "not a dvcoord database")
    assert path.stat().st_size == 0


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.sqlite"
    path.write_bytes(random.Random(1).randbytes(64 * 1024))
    assert_refused(path, NotADvcoordFile, "not a dvcoord database", "not a SQLite file")


def test_a_word_document(tmp_path):
    path = tmp_path / "plan.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    assert_refused(path, NotADvcoordFile, "Word, Excel or zip", "not a dvcoord database")


@pytest.mark.parametrize(
    ("magic", "words"),
    [(b"%PDF-1.7\n", "a PDF document"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old-style Office")],
)
def test_other_documents(tmp_path, magic, words):
    path = tmp_path / "file.sqlite"
    path.write_bytes(magic + bytes(2000))
    assert_refused(path, NotADvcoordFile, words)


def test_another_apps_sqlite_database(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('a', '1')")
    conn.commit()
    conn.close()
    assert_refused(path, NotADvcoordFile, "another application", "not a dvcoord database")


def test_sqlite_file_claiming_our_id_without_our_tables(tmp_path):
    path = tmp_path / "imposter.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    assert_refused(path, NotADvcoordFile, "not a dvcoord database")


def test_a_file_from_a_newer_dvcoord(good):
    conn = sqlite3.connect(good)
    conn.execute("UPDATE alembic_version SET version_num='9999_future'")
    conn.commit()
    conn.close()
    assert_refused(good, NewerVersionError, "newer version of dvcoord", "9999_future")


def test_a_file_cut_short(big_template, tmp_path):
    path = tmp_path / "cut.sqlite"
    data = big_template.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    assert_refused(path, DamagedFileError, "damaged")


def test_a_header_cut_short(tmp_path):
    path = tmp_path / "stub.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + bytes(40))
    assert_refused(path, DamagedFileError, "damaged", "cut short")


def test_a_broken_page(big_template, tmp_path):
    path = shutil.copy(big_template, tmp_path / "broken.sqlite")
    path = Path(path)
    page, size = agency_leaf_page(path)
    assert path.stat().st_size // size > 10 and 2 < page < path.stat().st_size // size
    garbage = random.Random(7).randbytes(size)
    with open(path, "r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(garbage)
    assert_refused(path, DamagedFileError, "damaged")
    assert Database.open(big_template, backup=False).close() is None  # the template is fine


SQLITE_WORDS = ("malformed", "disk image", "btreeInitPage", "error code", "Tree ")


@pytest.mark.parametrize("where", ["first page", "agency pages"])
def test_check_says_damaged_in_plain_words_and_logs_sqlites(big_template, tmp_path, caplog, where):
    path = Path(shutil.copy(big_template, tmp_path / "damaged.sqlite"))
    page, size = agency_leaf_page(path)
    with open(path, "r+b") as fh:
        if where == "first page":  # the schema itself: the file cannot be opened
            fh.seek(100)
            fh.write(b"\xff" * (size - 100))
        else:  # several pages of a table: opened, but the check finds the damage
            for n in range(page - 3, page + 3):
                fh.seek((n - 1) * size)
                fh.write(b"\xff" * size)
    caplog.set_level("WARNING")
    report = check_database(path)
    assert not report.sound
    first = report.problems[0]
    if where == "first page":
        assert first == (
            f"'{path}' is damaged and cannot be opened (some of its pages cannot be "
            "read); restore a backup with `dvcoord restore`."
        )
    else:
        assert first.startswith("The file is damaged (some of its pages cannot be read")
        assert first.endswith("; restore a backup with `dvcoord restore`.")
    for problem in report.problems:
        assert "\n" not in problem and problem.endswith("."), problem
        assert not any(w in problem for w in SQLITE_WORDS), problem
    assert sum(p.startswith("The file is damaged") for p in report.problems) <= 1
    assert any(w in caplog.text for w in SQLITE_WORDS)  # SQLite's own words: the log only


def test_read_only_file_is_reported_before_anything_is_written(good, monkeypatch):
    real_access = os.access

    def access(p, mode, *a, **kw):
        if mode == os.W_OK and Path(p) == good:
            return False
        return real_access(p, mode, *a, **kw)

    monkeypatch.setattr(fileguard.os, "access", access)
    before = sha256(good)
    with pytest.raises(DvcoordError) as info:
        Database.open(good)
    assert "read-only" in str(info.value) and "good.sqlite" in str(info.value)
    assert_one_sentence(str(info.value))
    assert sha256(good) == before and not journal(good).exists()
    # Read-only use still works, and so does the check.
    with Database.open(good, readonly=True) as db:
        assert db.readonly
    assert check_database(good).sound


def test_read_only_folder_is_reported(good, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(
        fileguard.os,
        "access",
        lambda p, mode, *a, **kw: (
            False if mode == os.W_OK and Path(p) == good.parent else real_access(p, mode, *a, **kw)
        ),
    )
    with pytest.raises(DvcoordError, match="folder of .* is read-only"):
        Database.open(good)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: chmod does not stop root writing, so only the monkeypatched "
    "test of the read-only check applies",
)
def test_read_only_file_by_chmod(good):
    good.chmod(0o444)
    try:
        message = assert_refused(good, DvcoordError, "read-only")
        assert "Save a copy" in message
        with Database.open(good, readonly=True) as db:
            assert db.display_name == "good"
    finally:
        good.chmod(0o644)


HOLD_LOCK = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
conn.close()
"""


def test_locked_by_another_process(good, monkeypatch):
    monkeypatch.setattr(fileguard, "LOCK_WAIT_S", 0.2)  # how long to wait is not the point
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(good)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        message = assert_refused(good, FileInUseError, "in use by another program")
        assert "in use" in check_database(good).problems[0]
        assert message.endswith("try again.")
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=10)
    assert holder.returncode == 0
    with Database.open(good, backup=False) as db:  # free again once the other lets go
        assert db.revision


HALF_SAVED = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size=2")
conn.execute("BEGIN")
for i in range(300):
    conn.execute("INSERT INTO meta VALUES (?, ?)", (f"junk{i}", "x" * 3000))
print("half-saved", flush=True)
sys.stdin.readline()
"""


def test_file_left_half_saved_by_a_stopped_program(good):
    """A hot journal (crash mid-transaction) is rolled back; nothing committed is lost."""
    with Database.open(good, backup=False) as db:
        db.set_meta("kept", "yes")
    proc = subprocess.Popen(
        [sys.executable, "-c", HALF_SAVED, str(good)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "half-saved"
    proc.kill()
    proc.wait(timeout=10)
    assert journal(good).exists()
    report = check_database(good)
    assert report.sound, report.problems
    assert not journal(good).exists()
    with Database.open(good, backup=False) as db:
        assert db.meta("kept") == "yes"
        assert db.meta("junk0") == ""
