"""A shared copy coming back: the copy says when it was made, so only a record changed on
both sides since then is a conflict (copies of copies too); the preview's lines about
where the file comes from; the conflict sentence; malformed copy points are ignored."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from exchange_data import execute, make_db, shared_rows
from sqlalchemy import select

from dvcoord.exchange.history import row_history
from dvcoord.exchange.merge import (
    COPY_LINEAGE_KEY,
    THEIRS,
    apply_merge,
    common_copy_point,
    conflict_heading,
    plan_merge,
    read_copy_lineage,
)
from dvcoord.exchange.share import share_copy
from dvcoord.store import Database
from dvcoord.store.schema.plans import Action, Agency

POLICE = Agency.name == "Kent Police"
HOUSING = Agency.name == "District Housing"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("copies")
    import os

    old = os.environ.get("DVCOORD_HOME")
    os.environ["DVCOORD_HOME"] = str(folder / "home")
    try:
        return make_db(folder / "mine.sqlite", user="Officer", name="County")
    finally:
        if old is None:
            os.environ.pop("DVCOORD_HOME", None)
        else:
            os.environ["DVCOORD_HOME"] = old


@pytest.fixture
def mine(template, tmp_path):
    return Path(shutil.copyfile(template, tmp_path / "mine.sqlite"))


def edit(path: Path, model, where, *, user: str, **values) -> str:
    db = Database.open(path, user=user, backup=False)
    try:
        with db.transaction() as s:
            obj = s.scalars(select(model).where(where).order_by(model.id)).first()
            for k, v in values.items():
                setattr(obj, k, v)
            return obj.id
    finally:
        db.close()


def value(path: Path, table: str, row_id: str, column: str):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f'SELECT "{column}" FROM "{table}" WHERE id = ?', (row_id,)).fetchone()[
            0
        ]
    finally:
        conn.close()


def preview(into: Path, received: Path, *, user: str = "Officer"):
    db = Database.open(into, user=user, backup=False)
    return db, plan_merge(db, received)


def merge(into: Path, received: Path, *, user: str = "Officer"):
    db, p = preview(into, received, user=user)
    try:
        return apply_merge(db, p)
    finally:
        db.close()


# --------------------------------------------------------------------------- the copy point
def test_a_copy_records_when_it_was_made_and_a_copy_of_a_copy_both_points(mine, tmp_path):
    row_id = edit(mine, Agency, POLICE, user="Officer", notes="the newest row of the file")
    newest = value(mine, "agency", row_id, "updated_at")
    copy = share_copy(mine, tmp_path / "copy.sqlite")
    conn = sqlite3.connect(copy)
    try:
        (point,) = read_copy_lineage(conn)
        dbid = conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()[0]
    finally:
        conn.close()
    assert point[0] == newest and point[2] == dbid
    assert read_copy_lineage(sqlite3.connect(mine)) == []  # the source is untouched

    again = share_copy(copy, tmp_path / "copy-of-copy.sqlite")
    conn = sqlite3.connect(again)
    try:
        first, second = read_copy_lineage(conn)
    finally:
        conn.close()
    assert first == point and second[1] > point[1]


def test_common_copy_point_is_the_same_either_way_round():
    p0 = ("2026-01-01 10:00:00.000000", "2026-01-01T10:00:01+00:00", "db")
    p1 = ("2026-02-01 10:00:00.000000", "2026-02-01T10:00:01+00:00", "db")
    p2 = ("2026-03-01 10:00:00.000000", "2026-03-01T10:00:01+00:00", "db")
    q = ("2026-01-15 10:00:00.000000", "2026-01-15T10:00:01+00:00", "db")
    cases = {
        ((), (p0,)): p0,  # the source and its copy
        ((), (p0, p1)): p0,  # the source and a copy of its copy
        ((p0,), (p0, p1)): p1,  # a copy and a copy made from it
        ((p0,), (q,)): p0,  # two copies of one file: the earlier one
        ((p0, p1), (p0, p2)): p1,
        ((p0, p1), (q,)): p0,
        ((), ()): None,  # the file itself, or a copy made by hand
        ((p0,), (p0,)): None,
    }
    for (a, b), expected in cases.items():
        assert common_copy_point(list(a), list(b)) == expected
        assert common_copy_point(list(b), list(a)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "{}",
        '[{"mark": 1, "at": "2026-01-01T00:00:00", "database_id": "x"}]',
        '[{"mark": "yesterday", "at": "2026-01-01T00:00:00", "database_id": "x"}]',
        '[{"mark": "2026-01-01 00:00:00", "at": "soon", "database_id": "x"}]',
        '["2026-01-01 00:00:00"]',
        json.dumps([{"mark": "", "at": "2026-01-01T00:00:00", "database_id": "x"}] * 33),
    ],
)
def test_a_malformed_copy_point_is_ignored(text):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("INSERT INTO meta VALUES (?, ?)", (COPY_LINEAGE_KEY, text))
    assert read_copy_lineage(conn) == []


# --------------------------------------------------------------------------- the reviewer's case
def test_a_copy_edited_by_a_colleague_comes_back_without_a_conflict(mine, tmp_path):
    """The officer's last change before the copy is to the very record the colleague
    then edits in the copy: her side has not changed since, so the edit is taken."""
    row_id = edit(mine, Agency, POLICE, user="Officer", notes="Officer's note")
    copy = share_copy(mine, tmp_path / "copy.sqlite")
    edit(copy, Agency, POLICE, user="Colleague", notes="Officer's note; colleague's addition")

    db, p = preview(mine, copy)
    try:
        assert p.same_database and not p.first_contact
        assert p.conflicts == []
        assert p.counts["agency"].changed == 1
        text = "\n".join(p.summary_lines())
        assert "It is a copy of this same database, made on " in text
        assert "No earlier merge" not in text
        report = apply_merge(db, p)
    finally:
        db.close()
    assert report.totals.conflicts == 0 and report.totals.changed == 1
    assert value(mine, "agency", row_id, "notes") == "Officer's note; colleague's addition"
    assert value(mine, "agency", row_id, "updated_by") == "Colleague"
    conn = sqlite3.connect(mine)
    try:
        assert conn.execute("SELECT conflicts FROM merge_log").fetchall() == [(0,)]
    finally:
        conn.close()


def test_a_record_changed_on_both_sides_after_the_copy_is_still_a_conflict(mine, tmp_path):
    row_id = edit(mine, Agency, POLICE, user="Officer", notes="Before the copy")
    copy = share_copy(mine, tmp_path / "copy.sqlite")
    edit(mine, Agency, POLICE, user="Officer", notes="Officer, after the copy")
    edit(copy, Agency, POLICE, user="Colleague", notes="Colleague, after the copy")
    other = edit(copy, Agency, HOUSING, user="Colleague", notes="Only the colleague")

    db, p = preview(mine, copy)
    try:
        assert [c.row_id for c in p.conflicts] == [row_id]
        assert p.conflicts[0].rule == THEIRS  # the colleague's change is the later one
        assert p.counts["agency"].changed == 1  # the other record, without a conflict
        text = "\n".join(p.summary_lines())
        assert "unless you choose otherwise" not in text
        assert conflict_heading(1, settled=False) in text
        report = apply_merge(db, p)
    finally:
        db.close()
    assert report.totals.conflicts == 1
    assert value(mine, "agency", row_id, "notes") == "Colleague, after the copy"
    assert value(mine, "agency", other, "notes") == "Only the colleague"
    # the sentence says the losing version is in the record's History: it is
    db = Database.open(mine, backup=False)
    try:
        kept = [v.values.get("notes") for v in row_history(db, "agency", row_id)]
    finally:
        db.close()
    assert "Officer, after the copy" in kept


def test_a_kept_version_leaves_the_received_one_in_history(mine, tmp_path):
    row_id = edit(mine, Agency, POLICE, user="Officer", notes="Before the copy")
    copy = share_copy(mine, tmp_path / "copy.sqlite")
    edit(copy, Agency, POLICE, user="Colleague", notes="Colleague, after the copy")
    edit(mine, Agency, POLICE, user="Officer", notes="Officer, later still")
    report = merge(mine, copy)
    assert report.totals.conflicts == 1
    assert value(mine, "agency", row_id, "notes") == "Officer, later still"
    db = Database.open(mine, backup=False)
    try:
        declined = [
            v.values.get("notes")
            for v in row_history(db, "agency", row_id)
            if v.action == "merge-declined"
        ]
    finally:
        db.close()
    assert declined == ["Colleague, after the copy"]


def test_a_copy_of_a_copy_comes_back_without_a_conflict(mine, tmp_path):
    police = edit(mine, Agency, POLICE, user="Officer", notes="Officer's note")
    first = share_copy(mine, tmp_path / "first.sqlite")
    edit(first, Agency, POLICE, user="Colleague", notes="Colleague's note")
    second = share_copy(first, tmp_path / "second.sqlite")
    housing = edit(second, Agency, HOUSING, user="Third", notes="Third's note")
    action = edit(mine, Action, Action.reference == "1.1", user="Officer", text="Officer later")

    report = merge(mine, second)
    assert report.totals.conflicts == 0 and report.totals.changed == 2
    assert value(mine, "agency", police, "notes") == "Colleague's note"
    assert value(mine, "agency", housing, "notes") == "Third's note"
    assert value(mine, "action", action, "text") == "Officer later"


def test_two_copies_of_one_file_merged_into_each_other(mine, tmp_path):
    """Each copy was made from the officer's file at its own time: the earlier copy is
    where they part, so the officer's change between the two copies is not a conflict."""
    police = edit(mine, Agency, POLICE, user="Officer", notes="At the first copy")
    early = share_copy(mine, tmp_path / "early.sqlite")
    edit(mine, Agency, POLICE, user="Officer", notes="Between the copies")
    late = share_copy(mine, tmp_path / "late.sqlite")
    housing = edit(early, Agency, HOUSING, user="Colleague", notes="In the early copy")

    report = merge(early, late, user="Colleague")
    assert report.totals.conflicts == 0
    assert value(early, "agency", police, "notes") == "Between the copies"
    assert value(early, "agency", housing, "notes") == "In the early copy"
    back = merge(late, share_copy(early, tmp_path / "early-2.sqlite"), user="Colleague")
    assert back.totals.conflicts == 0
    assert shared_rows(early) == shared_rows(late)


def test_after_the_copy_came_back_the_next_copy_starts_afresh(mine, tmp_path):
    row_id = edit(mine, Agency, POLICE, user="Officer", notes="One")
    copy = share_copy(mine, tmp_path / "copy.sqlite")
    edit(copy, Agency, POLICE, user="Colleague", notes="Two")
    merge(mine, copy)
    edit(mine, Agency, POLICE, user="Officer", notes="Three")
    again = share_copy(mine, tmp_path / "again.sqlite")
    edit(again, Agency, POLICE, user="Colleague", notes="Four")
    report = merge(mine, again)
    assert report.totals.conflicts == 0
    assert value(mine, "agency", row_id, "notes") == "Four"


def test_copies_sent_to_two_colleagues_come_back_one_after_the_other(mine, tmp_path):
    """The first copy's merge says nothing about the second copy: a record that she and
    the second colleague both changed after the second copy is still a conflict."""
    first = share_copy(mine, tmp_path / "first.sqlite")
    second = share_copy(mine, tmp_path / "second.sqlite")
    row_id = edit(mine, Agency, HOUSING, user="Officer", notes="Officer")
    edit(second, Agency, HOUSING, user="Second", notes="Second colleague")
    edit(first, Agency, POLICE, user="First", notes="First colleague")
    assert merge(mine, first).totals.conflicts == 0

    db, p = preview(mine, second)
    try:
        assert [c.row_id for c in p.conflicts] == [row_id]
    finally:
        p.close()
        db.close()


def test_a_copy_sent_again_after_it_was_merged(mine, tmp_path):
    """The colleague goes on working in her copy and sends it again: what the first merge
    took is not a change on her side any more."""
    row_id = edit(mine, Agency, POLICE, user="Officer", notes="One")
    copy = share_copy(mine, tmp_path / "copy.sqlite")
    edit(copy, Agency, POLICE, user="Colleague", notes="Two")
    merge(mine, copy)
    edit(mine, Agency, POLICE, user="Officer", notes="Three")  # after the merge
    other = edit(copy, Agency, HOUSING, user="Colleague", notes="Later in the copy")
    db, p = preview(mine, copy)
    try:
        assert p.conflicts == []
        assert p.counts["agency"].changed == 1
    finally:
        p.close()
        db.close()
    merge(mine, copy)
    assert value(mine, "agency", row_id, "notes") == "Three"
    assert value(mine, "agency", other, "notes") == "Later in the copy"


def test_the_colleague_takes_the_officers_file_after_her_copy_came_back(mine, tmp_path):
    copy = share_copy(mine, tmp_path / "copy.sqlite")
    police = edit(copy, Agency, POLICE, user="Colleague", notes="Colleague")
    merge(mine, copy)
    housing = edit(mine, Agency, HOUSING, user="Officer", notes="Officer, after the merge")
    report = merge(copy, share_copy(mine, tmp_path / "update.sqlite"), user="Colleague")
    assert report.totals.conflicts == 0
    assert value(copy, "agency", housing, "notes") == "Officer, after the merge"
    assert value(copy, "agency", police, "notes") == "Colleague"
    assert shared_rows(copy) == shared_rows(mine)


def test_the_merge_log_records_which_copy_was_merged(mine, tmp_path):
    copy = share_copy(mine, tmp_path / "copy.sqlite")
    merge(mine, copy)
    conn = sqlite3.connect(mine)
    try:
        details = json.loads(conn.execute("SELECT details FROM merge_log").fetchone()[0])
    finally:
        conn.close()
    (point,) = details["_copy_lineage"]
    assert set(point) == {"database_id", "mark", "at"}


# --------------------------------------------------------------------------- the preview's lines
def test_the_database_merged_into_itself(mine):
    db, p = preview(mine, mine)
    try:
        assert p.own_file and not p.first_contact and not p.has_changes
        lines = p.summary_lines()
        assert "It is this database's own file." in lines
        assert not any("No earlier merge" in line for line in lines)
        assert any(line.startswith("Nothing to merge") for line in lines)
    finally:
        p.close()
        db.close()


def test_no_earlier_merge_is_said_only_when_there_is_something_to_merge(mine, tmp_path):
    """A copy made by hand (no copy point) and then changed on both sides is the case the
    sentence is for; unchanged, there is nothing to merge and it is not said."""
    by_hand = Path(shutil.copyfile(mine, tmp_path / "by-hand.sqlite"))
    db, p = preview(mine, by_hand)
    try:
        assert not p.own_file and p.same_database
        assert not p.first_contact and not p.has_changes
        assert not any("No earlier merge" in line for line in p.summary_lines())
    finally:
        p.close()
        db.close()
    edit(by_hand, Agency, POLICE, user="Colleague", notes="Colleague")
    edit(mine, Agency, POLICE, user="Officer", notes="Officer")
    db, p = preview(mine, by_hand)
    try:
        assert p.first_contact and len(p.conflicts) == 1
        assert any("No earlier merge" in line for line in p.summary_lines())
    finally:
        p.close()
        db.close()


def test_a_copy_point_of_another_database_id_is_not_used(mine, tmp_path):
    """Only a file of this same database can have been copied from it."""
    from dvcoord.store.base import uuid7

    copy = share_copy(mine, tmp_path / "copy.sqlite")
    execute(copy, f"UPDATE meta SET value = '{uuid7()}' WHERE key = 'database_id'")
    db, p = preview(mine, copy)
    try:
        assert not p.same_database and p.copied_at == ""
    finally:
        p.close()
        db.close()


def test_conflict_heading_says_what_happens():
    before = conflict_heading(2, settled=False)
    after = conflict_heading(2, settled=True)
    assert before.startswith("Conflicts (2): changed on both sides")
    assert "the later change is kept" in before and "History" in before
    assert "History" in after and "later change" not in after


# --------------------------------------------------------------------------- property
_OPS = ("agency_notes", "action_text", "tombstone", "restore")
_BOOKKEEPING = {"id", "created_at", "updated_at", "updated_by", "origin"}


def _apply(path: Path, op: str, n: int, word: str, user: str) -> None:
    from dvcoord.store.base import utcnow

    db = Database.open(path, user=user, backup=False)
    try:
        with db.transaction() as s:
            if op == "agency_notes":
                agencies = list(s.scalars(select(Agency).order_by(Agency.id)))
                agencies[n % len(agencies)].notes = f"{user} {word}"
                return
            actions = list(s.scalars(select(Action).order_by(Action.id)))
            action = actions[n % len(actions)]
            if op == "action_text":
                action.text = f"{user} {word}"
            elif op == "tombstone" and action.deleted_at is None:
                action.deleted_at = utcnow()
            elif op == "restore" and action.deleted_at is not None:
                action.deleted_at = None
    finally:
        db.close()


def _versions(path: Path) -> dict[tuple[str, str], tuple[str, tuple]]:
    """(table, id) -> (updated_at, content) of the agencies and actions."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table in ("agency", "action"):
            cur = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cur.description]
            for r in cur:
                row = dict(zip(names, r, strict=True))
                content = tuple((k, v) for k, v in row.items() if k not in _BOOKKEEPING)
                out[(table, row["id"])] = (row["updated_at"], content)
        return out
    finally:
        conn.close()


def test_property_only_records_changed_on_both_sides_since_the_copy_conflict(template):
    """Random edits on the officer's file and on her shared copy, then the copy merged
    back: the conflicts are exactly the records both sides changed since the copy (and
    that differ); a record changed on one side only ends as that side's version; sent
    back, the copy ends the same as her file with nothing more to settle."""
    import tempfile

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    op = st.tuples(
        st.sampled_from(("mine", "copy")),
        st.sampled_from(_OPS),
        st.integers(min_value=0, max_value=20),
        st.text(alphabet="abcde", min_size=1, max_size=4),
    )

    @settings(
        max_examples=6,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(before=st.lists(op, max_size=3), after=st.lists(op, min_size=1, max_size=8))
    def check(before, after):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            mine = Path(shutil.copyfile(template, folder / "mine.sqlite"))
            for _side, kind, n, word in before:  # her work before the copy
                _apply(mine, kind, n, word, "Officer")
            copy = share_copy(mine, folder / "copy.sqlite")
            base = _versions(mine)
            for side, kind, n, word in after:
                path, user = (mine, "Officer") if side == "mine" else (copy, "Colleague")
                _apply(path, kind, n, word, user)
            here, there = _versions(mine), _versions(copy)
            touched_here = {k for k, v in here.items() if v[0] != base[k][0]}
            touched_there = {k for k, v in there.items() if v[0] != base[k][0]}
            expected = {k for k in touched_here & touched_there if here[k][1] != there[k][1]}

            db, p = preview(mine, copy)
            try:
                assert {c.key for c in p.conflicts} == expected
                assert not p.first_contact
                apply_merge(db, p)
            finally:
                db.close()
            merged = _versions(mine)
            for k in touched_there - touched_here:
                assert merged[k][1] == there[k][1]
            for k in touched_here - touched_there:
                assert merged[k][1] == here[k][1]

            back = merge(copy, share_copy(mine, folder / "back.sqlite"), user="Colleague")
            assert back.totals.conflicts == 0
            assert shared_rows(copy) == shared_rows(mine)

    check()
