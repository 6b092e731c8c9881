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


@pytest.mark.parametrize(
    ("view_key", "method", "module", "reader"),
    [
        ("alarms", "import_stock", "dvcoord.gui.alarms_dialogs", "read_sheet_in_worker"),
        ("training", "import_file", "dvcoord.gui.training_dialogs", "read_file_in_worker"),
        ("indicators", "import_values", "dvcoord.gui.indicators_dialogs", "read_values_in_worker"),
    ],
)
def test_each_area_asks_for_a_file_reads_it_then_previews(
    window, dialogs, tmp_path, monkeypatch, view_key, method, module, reader
):
    import importlib

    dlg = importlib.import_module(module)
    view = window.show_view(view_key)
    read, shown = [], []
    monkeypatch.setattr(dlg, reader, lambda parent, path: read.append(path) or "sheet")
    monkeypatch.setattr(dlg, "ImportDialog", lambda ctx, sheet, parent: ("dialog", sheet))
    monkeypatch.setattr(view, "_run", lambda dialog: shown.append(dialog) or True)

    assert getattr(view, method)() is False  # the file chooser was cancelled
    assert read == [] and shown == []

    chosen = tmp_path / "list.csv"
    chosen.write_text("a,b\n", encoding="utf-8")
    dialogs.open_files.append(chosen)
    assert getattr(view, method)() is True
    assert read == [chosen] and shown == [("dialog", "sheet")]

    def unreadable(parent, path):
        raise WorkAborted("Reading the spreadsheet")

    monkeypatch.setattr(dlg, reader, unreadable)
    dialogs.open_files.append(chosen)
    assert getattr(view, method)() is False  # told why already; no preview
    assert len(shown) == 1
