"""``dvcoord share`` and ``dvcoord merge`` as a user runs them (subprocesses)."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PASSPHRASE = "seven blue herons at dawn"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _make(path: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from exchange_data import make_db

    return make_db(path, user="Officer", name=path.stem)


def test_share_encrypted_then_merge(run, tmp_path):
    county = _make(tmp_path / "county.sqlite")
    district = tmp_path / "district.sqlite"
    from dvcoord.store import Database

    Database.create(district, user="Officer B").close()
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")

    result = run(
        "share",
        "--db",
        county,
        "-o",
        tmp_path / "county.dvcx",
        "--encrypt",
        "--passphrase-file",
        pw,
    )
    assert result.returncode == 0, result.stderr
    assert "Encrypted copy written to" in result.stdout
    assert "Send the passphrase another way" in result.stdout
    assert PASSPHRASE not in result.stdout + result.stderr

    before = _sha(district)
    dry = run(
        "merge", "--db", district, tmp_path / "county.dvcx", "--passphrase-file", pw, "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: nothing was changed." in dry.stdout
    assert "action" in dry.stdout and "New" in dry.stdout
    assert _sha(district) == before

    done = run("merge", "--db", district, tmp_path / "county.dvcx", "--passphrase-file", pw)
    assert done.returncode == 0, done.stderr
    assert "Merged 'county.dvcx'" in done.stdout and "A backup of the database" in done.stdout
    count = sqlite3.connect(district).execute("SELECT count(*) FROM action").fetchone()[0]
    assert count == 6

    again = run("merge", "--db", district, tmp_path / "county.dvcx", "--passphrase-file", pw)
    assert again.returncode == 0 and "Nothing to merge" in again.stdout


def test_merge_refusals(run, tmp_path, dvcoord_home):
    district = tmp_path / "district.sqlite"
    from dvcoord.store import Database

    Database.create(district, user="Officer B").close()
    county = _make(tmp_path / "county.sqlite")
    pw = tmp_path / "pw.txt"
    pw.write_text(PASSPHRASE, encoding="utf-8")
    assert (
        run("share", "--db", county, "-o", tmp_path / "c.dvcx", "--passphrase-file", pw).returncode
        == 0
    )
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase", encoding="utf-8")
    before = _sha(district)

    result = run("merge", "--db", district, tmp_path / "c.dvcx", "--passphrase-file", wrong)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "dvcoord: The passphrase is wrong, or the file was changed after it was sent."
    )

    result = run("merge", "--db", district, tmp_path / "c.dvcx")  # no terminal, no file
    assert result.returncode == 1 and "--passphrase-file" in result.stderr

    hostile = tmp_path / "hostile.sqlite"
    assert run("share", "--db", county, "-o", hostile).returncode == 0
    conn = sqlite3.connect(hostile)
    conn.execute("CREATE TRIGGER wipe AFTER INSERT ON agency BEGIN DELETE FROM plan; END")
    conn.commit()
    conn.close()
    result = run("merge", "--db", district, hostile)
    assert result.returncode == 1
    assert "contains a trigger 'wipe' that dvcoord does not create" in result.stderr
    assert _sha(district) == before

    logs = "".join(p.read_text(errors="replace") for p in dvcoord_home.rglob("*.log"))
    assert PASSPHRASE not in logs and "not the passphrase" not in logs
    assert "Kent Police" not in logs  # no row content in the log


def test_share_without_a_passphrase_source(run, tmp_path):
    county = _make(tmp_path / "county.sqlite")
    result = run("share", "--db", county, "-o", tmp_path / "c.dvcx", "--encrypt")
    assert result.returncode == 1 and "passphrase is needed" in result.stderr
    assert not (tmp_path / "c.dvcx").exists()
    short = tmp_path / "short.txt"
    short.write_text("abc\n")
    result = run("share", "--db", county, "-o", tmp_path / "c.dvcx", "--passphrase-file", short)
    assert result.returncode == 1 and "too short" in result.stderr
