"""A row's history from the audit trail, and restoring an earlier version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from exchange_data import build_pair
from sqlalchemy import select

from dvcoord.errors import DvcoordError
from dvcoord.exchange.history import restore_version, row_history
from dvcoord.exchange.merge import MINE, apply_merge, plan_merge
from dvcoord.exchange.share import share_copy
from dvcoord.store import Database
from dvcoord.store.base import utcnow
from dvcoord.store.schema.plans import Action, Theme


@pytest.fixture
def db(tmp_path):
    database = Database.create(tmp_path / "h.sqlite", user="Officer A")
    yield database
    database.close()


def _action(db, **values) -> str:
    with db.transaction() as s:
        from dvcoord.store.schema.plans import Plan

        plan = Plan(title="Plan")
        s.add(plan)
        s.flush()
        theme = Theme(plan_id=plan.id, title="Theme")
        s.add(theme)
        s.flush()
        action = Action(plan_id=plan.id, theme_id=theme.id, **values)
        s.add(action)
        s.flush()
        return action.id


def _set(db, row_id, **values) -> None:
    with db.transaction() as s:
        obj = s.get(Action, row_id)
        for k, v in values.items():
            setattr(obj, k, v)


def test_history_lists_every_version_newest_first(db):
    row_id = _action(db, text="First words", rag="R")
    _set(db, row_id, text="Second words")
    _set(db, row_id, deleted_at=utcnow())
    versions = row_history(db, "action", row_id)
    assert [v.description for v in versions] == ["Marked deleted", "Changed", "Created"]
    assert versions[-1].values["text"] == "First words"
    assert versions[1].changed_fields == ["text"]
    assert versions[0].is_deleted and versions[0].user == "Officer A"


def test_restore_writes_the_version_back_as_a_new_change(db):
    row_id = _action(db, text="First words", rag="R")
    _set(db, row_id, text="Second words", rag="G")
    first = row_history(db, "action", row_id)[-1]
    assert restore_version(db, "action", row_id, first.audit_id) is True
    with db.session() as s:
        obj = s.get(Action, row_id)
        assert (obj.text, obj.rag) == ("First words", "R")
    versions = row_history(db, "action", row_id)
    assert versions[0].description == "Changed"
    assert "restored the version" in versions[0].note
    assert versions[1].values["text"] == "Second words"  # nothing lost
    # Restoring the version the row already holds writes nothing.
    assert restore_version(db, "action", row_id, first.audit_id) is False
    assert len(row_history(db, "action", row_id)) == len(versions)


def test_restore_brings_a_deleted_row_back(db):
    row_id = _action(db, text="Words")
    _set(db, row_id, deleted_at=utcnow())
    live = row_history(db, "action", row_id)[-1]
    restore_version(db, "action", row_id, live.audit_id)
    with db.session() as s:
        assert s.get(Action, row_id).deleted_at is None
    assert row_history(db, "action", row_id)[0].description == "Brought back"


def test_bad_requests(db):
    row_id = _action(db, text="Words")
    other = _action(db, text="Other")
    audit_id = row_history(db, "action", other)[0].audit_id
    with pytest.raises(DvcoordError, match="not in this record's history"):
        restore_version(db, "action", row_id, audit_id)
    with pytest.raises(DvcoordError, match="no shared table"):
        row_history(db, "meta", row_id)
    with pytest.raises(DvcoordError, match="no shared table"):
        restore_version(db, "audit_log", row_id, audit_id)


def test_versions_overwritten_or_declined_in_a_merge_can_be_restored(tmp_path_factory, tmp_path):
    a_t, b_t = build_pair(tmp_path_factory.mktemp("hist"))
    a = Path(shutil.copyfile(a_t, tmp_path / "a.sqlite"))
    b = Path(shutil.copyfile(b_t, tmp_path / "b.sqlite"))

    def edit(path, text):
        db = Database.open(path, user=path.stem, backup=False)
        with db.transaction() as s:
            obj = s.scalars(select(Action).where(Action.reference == "1.1")).one()
            obj.text = text
            row_id = obj.id
        db.close()
        return row_id

    edit(b, "District text")
    row_id = edit(a, "County text")
    db = Database.open(b, user="Officer B", backup=False)
    try:
        # The rule takes the county's later text; the district's is overwritten.
        apply_merge(db, plan_merge(db, share_copy(a, tmp_path / "c1.sqlite")))
        versions = row_history(db, "action", row_id)
        assert versions[0].description == "Taken from a merged file"
        assert versions[0].values["text"] == "County text"
        lost = [v for v in versions if v.values["text"] == "District text"]
        assert len(lost) == 1  # listed once, though the merge also recorded it
        assert restore_version(db, "action", row_id, lost[0].audit_id, side=lost[0].side)
        with db.session() as s:
            assert s.get(Action, row_id).text == "District text"
    finally:
        db.close()

    # Keep mine in a conflict: the received version is recorded as declined.
    edit(a, "County text again")
    edit(b, "District text again")
    edit(a, "County text, third")
    db = Database.open(b, user="Officer B", backup=False)
    try:
        preview = plan_merge(db, share_copy(a, tmp_path / "c2.sqlite"))
        assert [c.row_id for c in preview.conflicts] == [row_id]
        apply_merge(db, preview, {("action", row_id): MINE})
        declined = [
            v
            for v in row_history(db, "action", row_id)
            if v.description == "Received in a merge but not taken"
        ]
        assert declined and declined[0].values["text"] == "County text, third"
        restore_version(db, "action", row_id, declined[0].audit_id, side="before")
        with db.session() as s:
            assert s.get(Action, row_id).text == "County text, third"
    finally:
        db.close()
