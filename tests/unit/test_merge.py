"""Merging a received database: new rows, the later change wins, tombstones, conflicts and
choices, missing parents, uniqueness, the audit trail, the merge log, idempotence."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from exchange_data import build_pair, execute, make_db, sha256, shared_rows
from sqlalchemy import select

from dvcoord.errors import DvcoordError
from dvcoord.exchange import merge as merge_mod
from dvcoord.exchange.merge import (
    MINE,
    THEIRS,
    apply_merge,
    local_tables,
    merged_tables,
    plan_merge,
    rule_winner,
)
from dvcoord.exchange.share import share_copy
from dvcoord.store import Database, backups
from dvcoord.store.base import Base, SharedMixin, utcnow
from dvcoord.store.schema import metadata
from dvcoord.store.schema.exchange import MergeLog
from dvcoord.store.schema.plans import Action, Agency, Theme


# --------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def pair_templates(tmp_path_factory):
    return build_pair(tmp_path_factory.mktemp("pair"))


@pytest.fixture
def pair(pair_templates, tmp_path):
    """Two databases with the same rows: B took A's copy in its first merge."""
    a, b = pair_templates
    return (
        Path(shutil.copyfile(a, tmp_path / "a.sqlite")),
        Path(shutil.copyfile(b, tmp_path / "b.sqlite")),
    )


_counter = iter(range(10_000))


def merge(into: Path, source: Path, *, user: str = "Officer", choices=None, dry=False):
    """Share ``source`` and merge the copy into ``into``; the report (or the preview)."""
    copy = share_copy(source, into.parent / f"copy-{next(_counter)}-{source.name}")
    db = Database.open(into, user=user, backup=False)
    try:
        preview = plan_merge(db, copy)
        if dry:
            preview.close()
            return preview
        return apply_merge(db, preview, choices)
    finally:
        db.close()


def preview_of(into: Path, source: Path, *, user: str = "Officer"):
    copy = share_copy(source, into.parent / f"copy-{next(_counter)}-{source.name}")
    db = Database.open(into, user=user, backup=False)
    return db, plan_merge(db, copy)


def edit(path: Path, model, where, *, user="Officer", **values) -> str:
    db = Database.open(path, user=user, backup=False)
    try:
        with db.transaction() as s:
            obj = s.scalars(select(model).where(where).order_by(model.id)).first()
            for k, v in values.items():
                setattr(obj, k, v)
            return obj.id
    finally:
        db.close()


def row(path: Path, table: str, row_id: str) -> dict:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        r = conn.execute(f'SELECT * FROM "{table}" WHERE id = ?', (row_id,)).fetchone()
        return dict(r) if r else {}
    finally:
        conn.close()


def audit(path: Path, row_id: str) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(r)
            for r in conn.execute("SELECT * FROM audit_log WHERE row_id = ? ORDER BY id", (row_id,))
        ]
    finally:
        conn.close()


FIRST_ACTION = Action.reference == "1.1"


# --------------------------------------------------------------------------- coverage
def test_every_mapped_table_is_merged_or_local():
    merged = {t.name for t in merged_tables()}
    local = {t.name for t in local_tables()}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        is_shared = issubclass(cls, SharedMixin)
        is_local = bool(getattr(cls, "__local__", False))
        assert is_shared != is_local, f"{cls.__name__} must be shared or __local__, not both"
        assert cls.__tablename__ in (merged if is_shared else local)
    assert merged.isdisjoint(local)
    assert set(metadata.tables) == merged | local, "a table is neither merged nor local"
    assert {"meta", "audit_log", "merge_log"} <= local
    assert {"agency", "plan", "action", "milestone"} <= merged


def test_merged_tables_are_in_dependency_order():
    order = [t.name for t in merged_tables()]
    for table in merged_tables():
        for fk in table.foreign_keys:
            parent = fk.column.table.name
            if parent != table.name and parent in order:
                assert order.index(parent) < order.index(table.name)


def test_rule_is_a_total_order():
    ix = merge_mod._Ix(updated_at=1, deleted_at=2, origin=3, content=(4,))
    older = ("id", "2026-01-01 00:00:00.000000", None, "o1", "x")
    newer = ("id", "2026-01-02 00:00:00.000000", None, "o1", "y")
    assert rule_winner(older, newer, ix) == THEIRS and rule_winner(newer, older, ix) == MINE
    tomb = ("id", "2026-01-01 00:00:00.000000", "2026-01-01 00:00:00.000000", "o1", "x")
    assert rule_winner(older, tomb, ix) == THEIRS and rule_winner(tomb, older, ix) == MINE
    other_origin = ("id", "2026-01-01 00:00:00.000000", None, "o2", "z")
    assert rule_winner(older, other_origin, ix) == THEIRS
    assert rule_winner(other_origin, older, ix) == MINE
    same_all_but_content = ("id", "2026-01-01 00:00:00.000000", None, "o1", "w")
    a, b = (
        rule_winner(older, same_all_but_content, ix),
        rule_winner(same_all_but_content, older, ix),
    )
    assert {a, b} == {MINE, THEIRS}


# --------------------------------------------------------------------------- basics
def test_first_merge_adds_every_row_with_its_bookkeeping(pair):
    a, b = pair
    rows_a, rows_b = shared_rows(a), shared_rows(b)
    assert rows_a == rows_b
    action_id = rows_a["action"][0][[c.name for c in metadata.tables["action"].columns].index("id")]
    assert row(b, "action", action_id)["updated_by"] == "Officer A"
    entries = audit(b, action_id)
    assert [e["action"] for e in entries] == ["merge"]
    assert entries[0]["before"] is None and "merged from" in entries[0]["note"]


def test_a_change_on_one_side_is_taken_and_the_loser_kept_in_the_audit(pair):
    a, b = pair
    old = row(b, "action", edit(a, Action, FIRST_ACTION, text="Helpline open 9 to 5"))
    report = merge(b, a)
    assert report.counts["action"].changed == 1 and report.totals.conflicts == 0
    action_id = old["id"]
    assert row(b, "action", action_id)["text"] == "Helpline open 9 to 5"
    last = audit(b, action_id)[-1]
    assert last["action"] == "merge"
    before = json.loads(last["before"])
    assert before["text"] == old["text"] and before["updated_at"]  # the full losing row


def test_this_databases_newer_change_is_kept(pair):
    a, b = pair
    action_id = edit(b, Action, FIRST_ACTION, text="Changed here")
    report = merge(b, a)
    assert report.totals.writes == 0 and report.counts["action"].kept == 1
    assert row(b, "action", action_id)["text"] == "Changed here"


def test_a_tombstone_wins_over_an_older_edit(pair):
    a, b = pair
    action_id = edit(a, Action, FIRST_ACTION, deleted_at=utcnow())
    report = merge(b, a)
    assert report.counts["action"].deleted == 1
    assert row(b, "action", action_id)["deleted_at"] is not None


def test_an_edit_after_a_tombstone_brings_the_row_back(pair):
    a, b = pair
    action_id = edit(a, Action, FIRST_ACTION, deleted_at=utcnow())
    edit(b, Action, FIRST_ACTION, text="Still needed")  # later than the tombstone
    report = merge(a, b)
    assert report.totals.conflicts == 1  # both changed since the last merge
    assert report.choices[("action", action_id)] == THEIRS
    restored = row(a, "action", action_id)
    assert restored["deleted_at"] is None and restored["text"] == "Still needed"


def test_rows_new_on_both_sides_all_arrive(pair):
    a, b = pair
    db = Database.open(b, user="Officer B", backup=False)
    with db.transaction() as s:
        s.add(Agency(name="Women's Aid", sector="voluntary sector"))
    db.close()
    db = Database.open(a, user="Officer A", backup=False)
    with db.transaction() as s:
        s.add(Agency(name="Probation", sector="probation"))
    db.close()
    merge(a, b)
    merge(b, a)
    assert shared_rows(a) == shared_rows(b)
    names = {r[0] for r in sqlite3.connect(a).execute("SELECT name FROM agency")}
    assert {"Women's Aid", "Probation"} <= names


# --------------------------------------------------------------------------- conflicts
def test_conflict_lists_both_versions_field_by_field(pair):
    a, b = pair
    edit(b, Action, FIRST_ACTION, text="District wording", rag="R")
    action_id = edit(a, Action, FIRST_ACTION, text="County wording")
    db, preview = preview_of(b, a)
    try:
        assert len(preview.conflicts) == 1
        c = preview.conflicts[0]
        assert c.key == ("action", action_id)
        assert c.mine["text"] == "District wording" and c.theirs["text"] == "County wording"
        assert {d.field for d in c.diffs} == {"text", "rag"}
        assert c.rule == THEIRS  # the county's change is later
        assert "'1.1'" in c.label
        assert preview.counts["action"].conflicts == 1
        assert preview.counts["action"].changed == 0
        text = "\n".join(preview.summary_lines())
        assert "Conflicts (1)" in text and "text, rag" in text
    finally:
        preview.close()
        db.close()


def test_conflict_settled_by_the_rule(pair):
    a, b = pair
    edit(b, Action, FIRST_ACTION, text="District wording")
    action_id = edit(a, Action, FIRST_ACTION, text="County wording")
    report = merge(b, a)
    assert report.choices == {("action", action_id): THEIRS}
    assert row(b, "action", action_id)["text"] == "County wording"
    before = json.loads(audit(b, action_id)[-1]["before"])
    assert before["text"] == "District wording"


def test_keeping_mine_against_the_rule_is_restamped_and_propagates(pair):
    a, b = pair
    edit(b, Action, FIRST_ACTION, text="District wording")
    action_id = edit(a, Action, FIRST_ACTION, text="County wording")  # later: rule = theirs
    report = merge(b, a, user="Officer B", choices={("action", action_id): MINE})
    kept = row(b, "action", action_id)
    assert kept["text"] == "District wording"
    assert kept["updated_by"] == "Officer B"
    assert kept["updated_at"] > row(a, "action", action_id)["updated_at"]
    assert report.choices[("action", action_id)] == MINE
    declined = [e for e in audit(b, action_id) if e["action"] == "merge-declined"]
    assert len(declined) == 1
    assert json.loads(declined[0]["before"])["text"] == "County wording"
    # Sent back, the choice wins on the other side too, without a new conflict.
    back = merge(a, b)
    assert back.totals.conflicts == 0
    assert row(a, "action", action_id)["text"] == "District wording"
    assert shared_rows(a) == shared_rows(b)


def test_taking_theirs_against_the_rule(pair):
    a, b = pair
    action_id = edit(a, Action, FIRST_ACTION, text="County wording")
    edit(b, Action, FIRST_ACTION, text="District wording")  # later: rule = mine
    merge(b, a, user="Officer B", choices={("action", action_id): THEIRS})
    assert row(b, "action", action_id)["text"] == "County wording"
    assert row(b, "action", action_id)["updated_by"] == "Officer B"
    back = merge(a, b)
    assert back.totals.conflicts == 0
    assert shared_rows(a) == shared_rows(b)


def test_a_change_only_to_bookkeeping_is_not_a_conflict(pair):
    a, b = pair
    edit(a, Action, FIRST_ACTION, text="Same words")
    edit(b, Action, FIRST_ACTION, text="Same words")
    report = merge(b, a)
    assert report.totals.conflicts == 0


def test_bad_choices_are_refused(pair, tmp_path):
    a, b = pair
    edit(b, Action, FIRST_ACTION, text="District wording")
    action_id = edit(a, Action, FIRST_ACTION, text="County wording")
    db, preview = preview_of(b, a)
    try:
        with pytest.raises(DvcoordError, match="no conflict"):
            apply_merge(db, preview, {("action", "nope"): MINE})
        with pytest.raises(DvcoordError, match="'mine' or 'theirs'"):
            apply_merge(db, preview, {("action", action_id): "both"})
    finally:
        preview.close()
        db.close()


# --------------------------------------------------------------------------- references
def test_rows_whose_parent_is_missing_are_left_out_and_reported(pair, tmp_path):
    a, b = pair
    db = Database.open(a, user="Officer A", backup=False)
    with db.transaction() as s:
        theme = s.scalars(select(Theme)).first()
        orphan_theme = Theme(plan_id=theme.plan_id, title="Orphan theme")
        s.add(orphan_theme)
        s.flush()
        orphan = Action(
            plan_id=theme.plan_id,
            theme_id=orphan_theme.id,
            reference="9.9",
            text="Under a theme that will vanish",
        )
        s.add(orphan)
        s.flush()
        orphan_id, orphan_theme_id = orphan.id, orphan_theme.id
    db.close()
    copy = share_copy(a, tmp_path / "broken.sqlite")
    execute(copy, "PRAGMA foreign_keys=OFF", f"DELETE FROM theme WHERE id = '{orphan_theme_id}'")
    before = shared_rows(b)
    db = Database.open(b, user="Officer B", backup=False)
    try:
        preview = plan_merge(db, copy)
        assert preview.counts["action"].left_out == 1
        assert any(
            p.row_id == orphan_id and "in neither database" in p.message for p in preview.problems
        )
        report = apply_merge(db, preview)
    finally:
        db.close()
    assert report.counts["action"].left_out == 1
    assert row(b, "action", orphan_id) == {}
    assert shared_rows(b) == before
    conn = sqlite3.connect(b)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_children_of_a_left_out_row_are_left_out_too(pair, tmp_path):
    from dvcoord.store.schema.plans import Milestone

    a, b = pair
    db = Database.open(a, user="Officer A", backup=False)
    with db.transaction() as s:
        theme = s.scalars(select(Theme)).first()
        ghost = Theme(plan_id=theme.plan_id, title="Ghost")
        s.add(ghost)
        s.flush()
        act = Action(plan_id=theme.plan_id, theme_id=ghost.id, text="Child")
        s.add(act)
        s.flush()
        ms = Milestone(action_id=act.id, text="Grandchild")
        s.add(ms)
        s.flush()
        ghost_id, ms_id = ghost.id, ms.id
    db.close()
    copy = share_copy(a, tmp_path / "broken.sqlite")
    execute(copy, "PRAGMA foreign_keys=OFF", f"DELETE FROM theme WHERE id = '{ghost_id}'")
    db = Database.open(b, user="Officer B", backup=False)
    try:
        report = apply_merge(db, plan_merge(db, copy))
    finally:
        db.close()
    assert report.counts["milestone"].left_out == 1
    assert row(b, "milestone", ms_id) == {}


def test_a_received_row_breaking_a_uniqueness_rule_is_left_out(pair):
    from dvcoord.store.schema.alarms import Alarm, AlarmType

    a, b = pair
    for path, user in ((a, "Officer A"), (b, "Officer B")):
        db = Database.open(path, user=user, backup=False)
        with db.transaction() as s:
            kind = AlarmType(name=f"Pendant {user}")
            s.add(kind)
            s.flush()
            s.add(Alarm(asset_tag="PA-001", type_id=kind.id))
        db.close()
    report = merge(b, a)
    assert report.counts["alarm"].left_out == 1
    assert report.counts["alarm_type"].new == 1
    assert any("asset_tag" in p.message for p in report.problems)
    tags = sqlite3.connect(b).execute("SELECT count(*) FROM alarm WHERE asset_tag='PA-001'")
    assert tags.fetchone()[0] == 1


# --------------------------------------------------------------------------- safety
def test_the_same_file_twice_changes_nothing(pair, tmp_path):
    a, b = pair
    edit(a, Action, FIRST_ACTION, text="County wording")
    copy = share_copy(a, tmp_path / "twice.sqlite")
    db = Database.open(b, user="Officer B", backup=False)
    try:
        apply_merge(db, plan_merge(db, copy))
        rows = shared_rows(b)
        audits = sqlite3.connect(b).execute("SELECT count(*) FROM audit_log").fetchone()[0]
        preview = plan_merge(db, copy)
        assert not preview.has_changes
        assert "Nothing to merge" in "\n".join(preview.summary_lines())
        second = apply_merge(db, preview)
    finally:
        db.close()
    assert second.totals.writes == 0 and second.backup is None
    assert shared_rows(b) == rows
    assert sqlite3.connect(b).execute("SELECT count(*) FROM audit_log").fetchone()[0] == audits


def test_the_merge_log_and_the_backup(pair):
    a, b = pair
    edit(a, Action, FIRST_ACTION, text="County wording")
    report = merge(b, a, user="Officer B")
    assert report.backup is not None and report.backup.exists()
    assert any(x.reason == "before-merge" for x in backups.list_backups(b))
    db = Database.open(b, backup=False)
    try:
        with db.session() as s:
            entries = list(s.scalars(select(MergeLog).order_by(MergeLog.id)))
    finally:
        db.close()
    last = entries[-1]
    assert last.user == "Officer B" and last.peer_name == "County"
    assert last.file_name.endswith("a.sqlite") and last.rows_changed == 1
    assert last.peer_id == Database.open(a, backup=False).database_id
    assert json.loads(last.details)["action"]["changed"] == 1
    assert last.peer_mark is not None and last.local_mark is not None


def test_a_stale_preview_is_refused_and_changes_nothing(pair):
    a, b = pair
    edit(a, Action, FIRST_ACTION, text="County wording")
    db, preview = preview_of(b, a)
    try:
        edit(b, Action, FIRST_ACTION, text="Changed while the preview was open")
        before = sha256(b)
        with pytest.raises(DvcoordError, match="changed after the merge preview"):
            apply_merge(db, preview)
        assert sha256(b) == before
        with pytest.raises(DvcoordError, match="already been used"):
            apply_merge(db, preview)
    finally:
        db.close()


def test_a_preview_for_another_database_is_refused(pair, tmp_path):
    a, b = pair
    other = make_db(tmp_path / "other.sqlite", actions=0)
    db, preview = preview_of(b, a)
    db.close()
    odb = Database.open(other, backup=False)
    try:
        with pytest.raises(DvcoordError, match="another database"):
            apply_merge(odb, preview)
    finally:
        odb.close()
        preview.close()


def test_a_failure_part_way_undoes_everything(pair, monkeypatch):
    a, b = pair
    db = Database.open(a, user="Officer A", backup=False)
    with db.transaction() as s:
        s.add(Agency(name="New agency"))
        for act in s.scalars(select(Action)):
            act.text = "Rewritten"
    db.close()
    calls = []
    original = merge_mod._apply_table

    def failing(s, inc, table, *args, **kw):
        calls.append(table.name)
        if table.name == "action":
            raise sqlite3.OperationalError("disk I/O error")
        return original(s, inc, table, *args, **kw)

    monkeypatch.setattr(merge_mod, "_apply_table", failing)
    before = sha256(b)
    with pytest.raises(DvcoordError, match="undone"):
        merge(b, a)
    assert "agency" in calls
    assert sha256(b) == before


def test_the_preview_copy_is_deleted(pair):
    a, b = pair
    db, preview = preview_of(b, a)
    work = preview._checked.path.parent
    assert work.exists()
    preview.close()
    db.close()
    assert not work.exists()


def test_a_copy_of_this_same_database(pair, tmp_path):
    a, _b = pair
    copy = share_copy(a, tmp_path / "self.sqlite")
    edit(a, Action, FIRST_ACTION, text="Changed after the copy")
    db = Database.open(a, backup=False)
    try:
        preview = plan_merge(db, copy)
        assert preview.same_database
        report = apply_merge(db, preview)
    finally:
        db.close()
    assert report.totals.writes == 0


def test_first_contact_judges_changes_from_where_the_files_part(tmp_path):
    """Two files that parted without a merge between them (a copy given its own id):
    only rows changed on both sides since the parting are conflicts."""
    from dvcoord.store.base import uuid7

    a = make_db(tmp_path / "a.sqlite", user="Officer A")
    b = Path(shutil.copyfile(a, tmp_path / "b.sqlite"))
    execute(b, f"UPDATE meta SET value = '{uuid7()}' WHERE key = 'database_id'")
    edit(a, Action, Action.reference == "1.1", text="A only")
    edit(b, Action, Action.reference == "1.2", text="B only")
    both = edit(a, Action, Action.reference == "2.1", text="A's wording")
    edit(b, Action, Action.reference == "2.1", text="B's wording")
    db, preview = preview_of(a, b)
    try:
        assert preview.first_contact
        assert [c.row_id for c in preview.conflicts] == [both]
        assert preview.counts["action"].changed == 1 and preview.counts["action"].kept == 1
    finally:
        preview.close()
        db.close()
