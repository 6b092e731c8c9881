"""The merge preview's Problems tab summarises by kind (count, three examples, "… and N
more"), the counts table names records in words and fits its headers, the outcome is
the last line above the buttons; the Share dialog wraps its text; menu texts end in one
ellipsis."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from merge_problem_data import build  # noqa: E402

from dvcoord.exchange.merge import plan_merge  # noqa: E402
from dvcoord.gui import exchange_dialogs as X  # noqa: E402
from dvcoord.store import Database  # noqa: E402


@pytest.fixture
def preview_dialog(gui_app, qtbot, tmp_path):
    mine, theirs = build(tmp_path)
    db = Database.open(mine, user="District officer", backup=False)
    preview = plan_merge(db, theirs)
    dialog = X.MergePreviewDialog(preview)
    qtbot.addWidget(dialog)
    yield dialog
    preview.close()
    db.close()


def test_problems_tab_summarises_by_kind(preview_dialog):
    f = preview_dialog.form
    assert f.tabs.tabText(2) == "&Problems (12)"
    assert f.problemsIntro.text().startswith(
        "Problems: 12 received records cannot be merged, of 2 kinds"
    )
    rows = preview_dialog.problem_rows()
    assert [(sentence.split(" refer")[0].split(" have")[0], n) for sentence, n, _ in rows] == [
        ("Alarm log entries", "7"),
        ("Alarms", "5"),
    ]
    logs, alarms = rows
    assert logs[0].startswith("Alarm log entries refer to an alarm that is neither")
    assert len(logs[2]) == 4 and logs[2][3] == "… and 4 more"
    assert alarms[0] == (
        "Alarms have the same asset tag as an alarm already in this database, so they "
        "were left out."
    )
    assert alarms[2] == ["'PA-001'", "'PA-002'", "'PA-003'", "… and 2 more"]
    assert f.problemTree.topLevelItemCount() == 2


def test_outcome_is_above_the_buttons(preview_dialog):
    f = preview_dialog.form
    text = f.outcomeLabel.text()
    assert not f.outcomeLabel.isHidden()
    assert text.startswith("Merging would add ")
    assert "12 received records would be left out (see the Problems tab)" in text
    assert "started separately" in text
    layout = preview_dialog.form.layout()
    order = [layout.itemAt(i).widget() for i in range(layout.count())]
    assert order.index(f.outcomeLabel) > order.index(f.tabs)
    assert order.index(f.outcomeLabel) < order.index(f.buttonBox)


def test_counts_table_in_words_and_headers_not_cut(preview_dialog, gui_app):
    preview_dialog.show()
    gui_app.processEvents()
    table = preview_dialog.form.countsTable
    names = [row[0] for row in preview_dialog.count_rows()]
    assert "Alarm log entries" in names and "Alarms" in names
    assert not any("_" in n for n in names)
    header = table.horizontalHeader()
    for col in range(1, table.columnCount()):
        text = table.horizontalHeaderItem(col).text()
        # the hint is the header text with the style's padding and sort indicator
        assert header.sectionSize(col) >= header.sectionSizeHint(col), text
    assert table.horizontalHeaderItem(3).text() == "Marked deleted"


def test_labels_in_words():
    assert X.table_title("bvpi225_assessment") == "BVPI 225 assessment"
    assert X.table_title("alarm_log", plural=True) == "Alarm log entries"
    assert X.field_label("asset_tag") == "Asset tag"
    assert X.field_label("rag") == "RAG"


def test_share_dialog_wraps_and_names_the_menu_entry_once(window, qtbot):
    dialog = X.ShareDialog(window.context, window)
    qtbot.addWidget(dialog)
    f = dialog.form
    f.encryptCheck.setChecked(False)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert f.strengthLabel.wordWrap()
    assert "can read it." in f.strengthLabel.text()
    # the label fits inside the dialog (nothing cut at the right edge)
    right = f.strengthLabel.mapTo(dialog, f.strengthLabel.rect().topRight()).x()
    assert right <= dialog.width()
    assert f.strengthLabel.heightForWidth(f.strengthLabel.width()) <= f.strengthLabel.height()
    intro = f.introLabel.text()
    assert "File > Merge a received file… in dvcoord" in intro
    assert "…." not in intro
    for label in dialog.findChildren(QLabel):
        assert "…." not in label.text(), label.objectName()


def test_menu_texts_have_one_ellipsis_and_no_full_stop(window):
    merge = window.action("exchange.merge").text()
    assert merge == "&Merge a received file…"
    for menu in ("File", "Edit"):
        for action in window.menu(menu).actions():
            text = action.text()
            assert "…." not in text and "..." not in text, text
            assert text.count("…") <= 1 and not text.endswith("."), text
