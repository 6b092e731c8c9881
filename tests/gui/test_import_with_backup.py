"""The shared shape of spreadsheet imports: a backup first, one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dvcoord.errors import ValidationError
from dvcoord.gui.workers import WorkAborted, import_with_backup
from dvcoord.store import backups
from dvcoord.store.schema.plans import Agency


def _count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Agency))


def test_backup_then_one_transaction(gui_app, db, dialogs):
    def apply(session):
        session.add_all([Agency(name="Kent Police"), Agency(name="Oasis IDVA")])
        return 2

    assert import_with_backup(None, db, "Importing", "Importing 2 rows", apply) == 2
    assert _count(db) == 2
    assert [b.reason for b in backups.list_backups(db.path)] == ["before-import"]


def test_a_failing_import_writes_nothing(gui_app, db, dialogs):
    def apply(session):
        session.add(Agency(name="Half written"))
        session.flush()
        raise ValidationError("Row 3: the date is not a real date.")

    with pytest.raises(WorkAborted):
        import_with_backup(None, db, "Importing", "Importing rows", apply)
    assert _count(db) == 0
    assert "not a real date" in dialogs.last().text
