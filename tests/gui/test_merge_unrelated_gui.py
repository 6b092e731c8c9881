"""File > Merge a received file… with a database that was started separately: the preview
says so at the top, a confirmation is asked before anything is written, agencies are
matched by name; a copy of this database is merged without either."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from exchange_data import make_db, populate, sha256  # noqa: E402

from dvcoord.exchange.share import share_copy  # noqa: E402
from dvcoord.gui import exchange_dialogs as X  # noqa: E402
from dvcoord.store import Database  # noqa: E402
from dvcoord.store.schema.plans import Agency  # noqa: E402

UNRELATED = "This file was not made from your database or from a copy of it: "


@pytest.fixture
def previews(monkeypatch):
    """Record the preview dialogs (accepted) and the report dialogs instead of showing them."""
    seen: list = []
    monkeypatch.setattr(
        X.MergePreviewDialog,
        "exec",
        lambda self: seen.append(self) or QDialog.DialogCode.Accepted,
    )
    monkeypatch.setattr(X.MergeReportDialog, "exec", lambda self: 0)
    return seen


@pytest.fixture
def mine(window):
    """The window's database with a plan and its agencies of its own."""
    populate(window.context.db, actions=2)
    return window.context.db


@pytest.fixture
def separate(tmp_path) -> Path:
    source = make_db(tmp_path / "county.sqlite", user="County officer", name="County team")
    return share_copy(source, tmp_path / "from-county.sqlite")


def _agency_names(db) -> list[str]:
    with db.session() as s:
        return sorted(a.name for a in s.query(Agency).filter(Agency.deleted_at.is_(None)))


def test_the_preview_warns_and_cancelling_the_question_changes_nothing(
    window, mine, separate, previews, dialogs
):
    before = sha256(mine.path)
    assert X.merge_received_file(window.context, window, separate) is None
    dialog = previews[0]
    assert not dialog.form.warningLabel.isHidden()
    assert dialog.form.warningLabel.text().startswith(UNRELATED)
    notes = dialog.form.notesLabel.text()
    assert "2 agencies matched by name to yours (District Housing, Kent Police)" in notes
    assert "1 plan has the same title as a plan you already have" in notes
    question = dialogs.last()
    assert question.text.startswith(UNRELATED)
    assert question.buttons == ["Merge anyway", "Cancel"]
    assert sha256(mine.path) == before  # nothing written without a yes


def test_confirmed_merge_matches_agencies(window, mine, separate, previews, dialogs):
    names = _agency_names(mine)
    dialogs.answer("Merge anyway")
    report = X.merge_received_file(window.context, window, separate)
    assert report is not None and report.counts["action"].new == 6
    assert report.counts["agency"].new == 0
    assert _agency_names(mine) == names
    # the same file again: related now, nothing asked, nothing to do
    shown = len(dialogs.shown)
    again = X.merge_received_file(window.context, window, separate)
    assert again is not None and again.totals.writes == 0
    assert len(dialogs.shown) == shown


def test_a_copy_of_this_database_has_no_warning(window, mine, tmp_path, previews, dialogs):
    copy = share_copy(mine.path, tmp_path / "copy.sqlite")
    colleague = Database.open(copy, user="Colleague", backup=False)
    with colleague.transaction() as s:
        s.add(Agency(name="Refuge"))
    colleague.close()
    report = X.merge_received_file(window.context, window, copy)
    assert report is not None and report.counts["agency"].new == 1
    assert previews[0].form.warningLabel.isHidden()
    assert "matched by name" not in previews[0].form.notesLabel.text()
    assert dialogs.shown == []
