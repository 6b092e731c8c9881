"""``dvcoord merge`` of a database that was started separately: the preview says so, the
merge needs ``--allow-unrelated`` (or "yes" at a terminal), agencies are matched by name
and a second merge changes nothing; a copy merges without a word about it."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

UNRELATED = "This file was not made from your database or from a copy of it: "


def _make(path: Path, name: str) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from exchange_data import make_db

    return make_db(path, user="Officer", name=name, actions=3)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _agencies(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in conn.execute("SELECT name FROM agency"))
    finally:
        conn.close()


def test_a_separately_started_file(run, tmp_path):
    county = _make(tmp_path / "county.sqlite", "County team")
    district = _make(tmp_path / "district.sqlite", "District")
    before = _sha(district)

    dry = run("merge", "--db", district, county, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[1].startswith(UNRELATED)
    assert lines[2].startswith(
        "2 agencies matched by name to yours (District Housing, Kent Police)"
    )
    assert "1 plan has the same title as a plan you already have" in dry.stdout

    refused = run("merge", "--db", district, county)  # no terminal to ask at
    assert refused.returncode != 0
    assert UNRELATED in refused.stdout
    assert "--allow-unrelated" in refused.stderr + refused.stdout
    assert _sha(district) == before

    done = run("merge", "--db", district, county, "--allow-unrelated")
    assert done.returncode == 0, done.stderr
    assert "Merged 'county.sqlite'" in done.stdout
    assert _agencies(district) == ["District Housing", "Kent Police"]

    again = run("merge", "--db", district, county)  # related now: no question asked
    assert again.returncode == 0, again.stderr
    assert UNRELATED not in again.stdout and "Nothing to merge" in again.stdout
    assert _agencies(district) == ["District Housing", "Kent Police"]


def test_a_copy_is_merged_without_a_warning(run, tmp_path):
    district = _make(tmp_path / "district.sqlite", "District")
    copy = Path(shutil.copyfile(district, tmp_path / "copy.sqlite"))
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE action SET text = 'Changed in the copy' WHERE reference = '1.1'")
    conn.commit()
    conn.close()
    done = run("merge", "--db", district, copy)
    assert done.returncode == 0, done.stderr
    assert UNRELATED not in done.stdout and "matched by name" not in done.stdout
