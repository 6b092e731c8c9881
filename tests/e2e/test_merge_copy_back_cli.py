"""The reviewer's case as an officer runs it: ``dvcoord share`` a copy, a colleague edits
the notes of one record in it, ``dvcoord merge`` it back: no conflict, the edit taken."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.slow


def _edit_notes(path: Path, user: str, notes: str) -> str:
    from dvcoord.store import Database
    from dvcoord.store.schema.plans import Agency

    db = Database.open(path, user=user, backup=False)
    try:
        with db.transaction() as s:
            agency = s.scalars(select(Agency).where(Agency.name == "Kent Police")).one()
            agency.notes = notes
            return agency.id
    finally:
        db.close()


def _one(path: Path, sql: str, *params):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.close()


def test_a_shared_copy_edited_by_a_colleague_merges_back_without_a_conflict(run, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from exchange_data import make_db

    mine = make_db(tmp_path / "mine.sqlite", user="Officer", name="County")
    # her last change before sharing is to the very record the colleague edits
    row_id = _edit_notes(mine, "Officer", "Officer's note")
    copy = tmp_path / "copy.sqlite"
    assert run("share", "--db", mine, "-o", copy).returncode == 0
    _edit_notes(copy, "Colleague", "Officer's note; the colleague's addition")

    dry = run("merge", "--db", mine, copy, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Conflicts (" not in dry.stdout
    assert "No earlier merge" not in dry.stdout

    done = run("merge", "--db", mine, copy)
    assert done.returncode == 0, done.stderr
    assert "Conflicts (" not in done.stdout
    assert _one(mine, "SELECT notes, updated_by FROM agency WHERE id = ?", row_id) == (
        "Officer's note; the colleague's addition",
        "Colleague",
    )
    assert _one(mine, "SELECT rows_changed, conflicts FROM merge_log") == (1, 0)

    itself = run("merge", "--db", mine, mine, "--dry-run")
    assert itself.returncode == 0, itself.stderr
    assert "Nothing to merge" in itself.stdout and "No earlier merge" not in itself.stdout


def test_a_record_changed_on_both_sides_after_the_copy_is_a_conflict(run, tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
    from exchange_data import make_db

    mine = make_db(tmp_path / "mine.sqlite", user="Officer", name="County")
    copy = tmp_path / "copy.sqlite"
    assert run("share", "--db", mine, "-o", copy).returncode == 0
    row_id = _edit_notes(mine, "Officer", "The officer's words")
    _edit_notes(copy, "Colleague", "The colleague's words")  # later: the rule takes it

    done = run("merge", "--db", mine, copy)
    assert done.returncode == 0, done.stderr
    assert "Conflicts (1)" in done.stdout
    assert "unless you choose otherwise" not in done.stdout
    assert _one(mine, "SELECT notes FROM agency WHERE id = ?", row_id) == ("The colleague's words",)
    assert _one(mine, "SELECT conflicts FROM merge_log") == (1,)
    # the officer's words are kept in the record's history
    before = _one(
        mine,
        "SELECT before FROM audit_log WHERE row_id = ? AND action = 'merge' ORDER BY id DESC",
        row_id,
    )
    assert "The officer's words" in before[0]
