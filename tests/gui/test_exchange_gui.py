"""File > Share a copy…, File > Merge a received file… and the History dialog."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from exchange_data import make_db, sha256  # noqa: E402

from dvcoord.exchange import bundle  # noqa: E402
from dvcoord.exchange.merge import MINE, THEIRS  # noqa: E402
from dvcoord.exchange.share import share_copy  # noqa: E402
from dvcoord.gui import exchange_dialogs as X  # noqa: E402
from dvcoord.store import Database  # noqa: E402
from dvcoord.store.schema.plans import Action  # noqa: E402

PASSPHRASE = "purple tiger lamp river"
FAST = {"n": 2**10, "r": 8, "p": 1}


@pytest.fixture
def fast_scrypt(monkeypatch):
    monkeypatch.setattr(bundle, "SCRYPT_N", 2**10)
    import inspect

    sig = inspect.signature(bundle.seal)
    assert "n" in sig.parameters
    original = bundle.seal
    monkeypatch.setattr(bundle, "seal", lambda data, pw, **kw: original(data, pw, **FAST))


@pytest.fixture
def received(tmp_path) -> Path:
    """A colleague's database with a plan, shared as a plain copy."""
    source = make_db(tmp_path / "county.sqlite", user="County officer", name="County team")
    return share_copy(source, tmp_path / "from-county.sqlite")


@pytest.fixture
def captured(monkeypatch):
    """Record the preview and report dialogs instead of showing them modally."""
    seen: dict[str, list] = {"preview": [], "report": []}
    plan = {"accept": True, "choices": {}}

    def preview_exec(self):
        seen["preview"].append(self)
        for key, side in plan["choices"].items():
            self.set_choice(key, side)
        return QDialog.DialogCode.Accepted if plan["accept"] else QDialog.DialogCode.Rejected

    monkeypatch.setattr(X.MergePreviewDialog, "exec", preview_exec)
    monkeypatch.setattr(X.MergeReportDialog, "exec", lambda self: seen["report"].append(self) or 0)
    return seen, plan


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


# --------------------------------------------------------------------------- menus
def test_menu_entries(window):
    for name in ("exchange.share", "exchange.merge", "exchange.history"):
        assert window.action(name) is not None
    file_texts = [a.text() for a in window.menu("File").actions()]
    assert "S&hare a copy…" in file_texts and "&Merge a received file…" in file_texts
    assert "&History of the selected record…" in [a.text() for a in window.menu("Edit").actions()]


def test_history_needs_a_selected_record(window, dialogs):
    window.action("exchange.history").trigger()
    assert "Select a record first" in dialogs.last().text


# --------------------------------------------------------------------------- share
def test_share_dialog_checks_the_passphrase(window, qtbot, tmp_path, dialogs):
    dialog = X.ShareDialog(window.context, window)
    qtbot.addWidget(dialog)
    f = dialog.form
    assert f.encryptCheck.isChecked()
    assert "never in the same e-mail" in f.adviceLabel.text()
    assert not dialog.share()
    assert "Choose where" in f.errorLabel.text()
    f.outputEdit.setText(str(tmp_path / "copy.dvcx"))
    f.passphraseEdit.setText("short")
    assert "Too short" in f.strengthLabel.text()
    f.againEdit.setText("short")
    assert not dialog.share()
    assert "too short" in f.errorLabel.text()
    f.passphraseEdit.setText(PASSPHRASE)
    f.againEdit.setText(PASSPHRASE + "x")
    assert "differ" in f.strengthLabel.text()
    assert not dialog.share()
    assert "differ" in f.errorLabel.text()
    assert not (tmp_path / "copy.dvcx").exists()


def test_share_dialog_writes_an_encrypted_copy(window, qtbot, tmp_path, fast_scrypt):
    dialog = X.ShareDialog(window.context, window)
    qtbot.addWidget(dialog)
    f = dialog.form
    out = tmp_path / "copy.dvcx"
    f.outputEdit.setText(str(out))
    f.passphraseEdit.setText(PASSPHRASE)
    f.againEdit.setText(PASSPHRASE)
    assert "Strong" in f.strengthLabel.text()
    assert dialog.share()
    assert dialog.written == out and bundle.is_bundle(out)
    assert f.passphraseEdit.text() == "" and f.againEdit.text() == ""
    plain = tmp_path / "plain.sqlite"
    bundle.decrypt_file(out, plain, PASSPHRASE)
    assert plain.read_bytes().startswith(b"SQLite format 3\x00")


def test_share_dialog_plain_copy_and_file_chooser(window, qtbot, tmp_path, dialogs):
    dialog = X.ShareDialog(window.context, window)
    qtbot.addWidget(dialog)
    f = dialog.form
    dialogs.save_files.append(tmp_path / "chosen")
    assert dialog.choose_file() == tmp_path / "chosen.dvcx"
    f.encryptCheck.setChecked(False)
    assert f.outputEdit.text().endswith("chosen.sqlite")
    assert not f.passphraseEdit.isEnabled()
    assert "not be encrypted" in f.strengthLabel.text()
    assert dialog.share()
    assert (tmp_path / "chosen.sqlite").read_bytes().startswith(b"SQLite format 3\x00")


# --------------------------------------------------------------------------- merge
def test_merge_a_received_file(window, received, captured, dialogs):
    seen, _plan = captured
    db_path = window.context.db.path
    changed = []
    window.context.changed.connect(lambda area, source: changed.append(area))
    dialogs.open_files.append(received)
    window.action("exchange.merge").trigger()
    preview_dialog = seen["preview"][0]
    rows = {r[0]: r for r in preview_dialog.count_rows()}
    assert rows["Actions"][1] == "6" and rows["Agencies"][1] == "2"
    assert "County team" in preview_dialog.form.sourceLabel.text()
    assert not preview_dialog.form.tabs.isTabEnabled(1)  # no conflicts
    report_dialog = seen["report"][0]
    assert report_dialog.form.summaryLabel.text().startswith("Merged 'from-county.sqlite'")
    assert _count(db_path, "action") == 6
    assert changed == [""]


def test_merge_an_encrypted_file_asks_the_passphrase(
    window, tmp_path, received, captured, monkeypatch
):
    seen, _ = captured
    sealed = bundle.encrypt_file(received, tmp_path / "from-county.dvcx", PASSPHRASE, **FAST)
    asked = []
    monkeypatch.setattr(X, "ask_passphrase", lambda parent, name: asked.append(name) or PASSPHRASE)
    report = X.merge_received_file(window.context, window, sealed)
    assert asked == ["from-county.dvcx"]
    assert report is not None and report.totals.new > 20
    assert seen["preview"][0].preview.encrypted


def test_merge_with_the_wrong_passphrase(
    window, tmp_path, received, captured, monkeypatch, dialogs
):
    sealed = bundle.encrypt_file(received, tmp_path / "x.dvcx", PASSPHRASE, **FAST)
    before = sha256(window.context.db.path)
    monkeypatch.setattr(X, "ask_passphrase", lambda parent, name: "not it at all")
    assert X.merge_received_file(window.context, window, sealed) is None
    assert dialogs.last().text == bundle.WRONG_PASSPHRASE
    assert sha256(window.context.db.path) == before
    monkeypatch.setattr(X, "ask_passphrase", lambda parent, name: None)  # cancelled
    assert X.merge_received_file(window.context, window, sealed) is None


def test_a_hostile_file_is_refused_with_a_message(window, received, captured, dialogs):
    conn = sqlite3.connect(received)
    conn.execute("CREATE TRIGGER sneaky AFTER INSERT ON agency BEGIN DELETE FROM plan; END")
    conn.commit()
    conn.close()
    before = sha256(window.context.db.path)
    assert X.merge_received_file(window.context, window, received) is None
    assert "contains a trigger 'sneaky'" in dialogs.last().text
    assert sha256(window.context.db.path) == before
    assert captured[0]["preview"] == []


def test_cancelling_the_preview_changes_nothing(window, received, captured):
    seen, plan = captured
    plan["accept"] = False
    before = sha256(window.context.db.path)
    assert X.merge_received_file(window.context, window, received) is None
    assert sha256(window.context.db.path) == before
    preview = seen["preview"][0].preview
    assert not preview.is_open  # its checked copy was deleted


def test_conflicts_shown_side_by_side_and_chosen(window, tmp_path, received, captured):
    seen, plan = captured
    db = window.context.db
    assert X.merge_received_file(window.context, window, received) is not None
    source = tmp_path / "county.sqlite"
    with db.transaction() as s:
        mine = s.scalars(select(Action).where(Action.reference == "1.1")).one()
        mine.text = "Our wording"
        row_id = mine.id
    other = Database.open(source, user="County officer", backup=False)
    with other.transaction() as s:
        s.get(Action, row_id).text = "Their wording"
    other.close()
    again = share_copy(source, tmp_path / "again.sqlite")
    plan["choices"] = {("action", row_id): MINE}
    report = X.merge_received_file(window.context, window, again)
    dialog = seen["preview"][-1]
    assert dialog.form.tabs.isTabEnabled(1)
    assert dialog.preview.conflicts[0].rule == THEIRS
    table = dialog.form.versionsTable
    cells = {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
        for r in range(table.rowCount())
    }
    assert cells["Text (differs)"] == ("Our wording", "Their wording")
    assert "keep mine" in dialog.form.conflictList.item(0).text()
    assert report.choices[("action", row_id)] == MINE
    with db.session() as s:
        assert s.get(Action, row_id).text == "Our wording"


def test_choose_all_and_the_radio_buttons(window, tmp_path, received, captured):
    from dvcoord.exchange.merge import plan_merge

    db = window.context.db
    X.merge_received_file(window.context, window, received)
    source = tmp_path / "county.sqlite"
    with db.transaction() as s:
        for a in s.scalars(select(Action)):
            a.rag = "R"
    other = Database.open(source, backup=False)
    with other.transaction() as s:
        for a in s.scalars(select(Action)):
            a.rag = "G"
    other.close()
    preview = plan_merge(db, share_copy(source, tmp_path / "again.sqlite"))
    try:
        dialog = X.MergePreviewDialog(preview, window)
        assert len(preview.conflicts) == 6
        dialog.choose_all(MINE)
        assert set(dialog.choices().values()) == {MINE}
        dialog.form.conflictList.setCurrentRow(2)
        dialog.form.takeTheirsRadio.setChecked(True)
        assert dialog.choices()[preview.conflicts[2].key] == THEIRS
        assert list(dialog.choices().values()).count(MINE) == 5
        dialog.choose_all(THEIRS)
        assert dialog.form.takeTheirsRadio.isChecked()
    finally:
        preview.close()


def test_cancel_while_checking(window, received):
    """The worker's Cancel reaches the gate and the merge plan untouched."""
    from dvcoord.exchange.merge import plan_merge
    from dvcoord.gui.workers import Cancelled

    calls = []

    def progress(done, total, text):
        calls.append(text)
        if len(calls) == 3:
            raise Cancelled("cancelled")

    with pytest.raises(Cancelled):
        plan_merge(window.context.db, received, progress=progress)


# --------------------------------------------------------------------------- history
def test_history_dialog_lists_and_restores(window, qtbot, dialogs):
    from dvcoord.gui.history_dialog import HistoryDialog
    from dvcoord.store.schema.plans import Plan, Theme

    db = window.context.db
    with db.transaction() as s:
        plan = Plan(title="Plan")
        s.add(plan)
        s.flush()
        theme = Theme(plan_id=plan.id, title="Theme")
        s.add(theme)
        s.flush()
        action = Action(plan_id=plan.id, theme_id=theme.id, reference="3.1", text="First")
        s.add(action)
        s.flush()
        row_id = action.id
    with db.transaction() as s:
        s.get(Action, row_id).text = "Second"
    dialog = HistoryDialog(window.context, "action", row_id, window)
    qtbot.addWidget(dialog)
    f = dialog.form
    assert "action '3.1'" in dialog.windowTitle()
    assert f.versionsTable.rowCount() == 2
    assert f.versionsTable.item(0, 2).text() == "Changed"
    assert f.versionsTable.item(0, 3).text() == "Text"
    assert not f.restoreButton.isEnabled()  # the newest version is the record as it is
    f.versionsTable.selectRow(1)
    values = {
        f.valuesTable.item(r, 0).text(): f.valuesTable.item(r, 1).text()
        for r in range(f.valuesTable.rowCount())
    }
    assert values["Text (differs)"] == "First"
    assert f.restoreButton.isEnabled()
    dialogs.answer("Restore")
    assert dialog.restore_selected()
    with db.session() as s:
        assert s.get(Action, row_id).text == "First"
    assert f.versionsTable.rowCount() == 3


def test_history_from_a_views_current_record(window, monkeypatch):
    from dvcoord.gui import history_dialog

    opened = []
    monkeypatch.setattr(
        window,
        "current_view",
        lambda: type("V", (), {"current_record": lambda self: ("agency", "x")})(),
    )
    monkeypatch.setattr(
        history_dialog,
        "open_history",
        lambda ctx, table, row_id, parent: opened.append((table, row_id)),
    )
    window.action("exchange.history").trigger()
    assert opened == [("agency", "x")]


def test_merging_a_copy_of_this_database_says_when_it_was_made(window, tmp_path, captured, dialogs):
    seen, plan = captured
    plan["accept"] = False  # look at the preview only
    copy = share_copy(window.context.db.path, tmp_path / "my-copy.sqlite")
    from dvcoord.store import Database
    from dvcoord.store.schema.plans import Agency

    colleague = Database.open(copy, user="Colleague", backup=False)
    with colleague.transaction() as s:  # the colleague adds something to send back
        s.add(Agency(name="Housing Options"))
    colleague.close()
    dialogs.open_files.append(copy)
    window.action("exchange.merge").trigger()
    notes = seen["preview"][0].form.notesLabel.text()
    assert "It is a copy of this same database, made on " in notes
    assert "not been merged before" not in notes and "No earlier merge" not in notes
