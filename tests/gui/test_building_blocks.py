"""Table model, filter proxy, filter bar, data table, workers, form loading, formatting."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QProgressDialog, QPushButton, QWidget

from dvcoord.errors import DvcoordError
from dvcoord.gui.formatting import (
    display_text,
    format_date,
    format_datetime,
    format_pence,
    format_size,
    rag_colours,
)
from dvcoord.gui.tablemodel import (
    ROW_ROLE,
    Column,
    FilterProxy,
    RowTableModel,
    natural_key,
    rag_column,
)
from dvcoord.gui.widgets import DataTable, FilterBar, confirm


@dataclass(frozen=True)
class Row:
    id: str
    ref: str
    text: str
    due: date | None
    cost: int
    rag: str | None


ROWS = [
    Row("a", "2.10", "Refuge places review", date(2024, 3, 31), 1200, "G"),
    Row("b", "2.9", "Housing options training", None, 50, "R"),
    Row("c", "10.1", "MARAC referrals audit", date(2023, 7, 1), 0, "A"),
    Row("d", "1.1", "Sanctuary scheme leaflet", date(2025, 1, 15), 300, None),
]


def make_model(rows=ROWS) -> RowTableModel:  # noqa: ANN001
    return RowTableModel(
        [
            Column("Ref", lambda r: r.ref),
            Column("Action", lambda r: r.text),
            Column("Due", lambda r: r.due),
            Column("Cost", lambda r: r.cost),
            rag_column("RAG", lambda r: r.rag),
        ],
        rows,
        row_key=lambda r: r.id,
    )


def column(model: RowTableModel, c: int) -> list[str]:
    return [model.text(r, c) for r in range(model.rowCount())]


# --------------------------------------------------------------------------- formatting
def test_formatting_is_uk():
    assert format_date(date(2024, 4, 1)) == "01/04/2024"
    assert format_date(None) == ""
    when = datetime(2024, 4, 1, 9, 5, tzinfo=UTC)
    assert format_datetime(when)[:10] == when.astimezone().strftime("%d/%m/%Y")
    assert display_text(True) == "Yes" and display_text(None) == ""
    assert display_text(12345) == "12,345"
    assert format_size(2048) == "2.0 KB" and format_size(10) == "10 bytes"
    assert format_pence(123450) == "£1,234.50" and format_pence(-5) == "-£0.05"


def test_rag_colours_show_letter_and_contrast():
    red = rag_colours("r")
    assert red.letter == "R" and red.name == "Red"
    assert red.foreground.name() == "#ffffff"
    assert rag_colours("A").foreground.name() == "#000000"
    custom = rag_colours("G", colour="#CCFFCC", name="On track")
    assert custom.background.name() == "#ccffcc" and custom.foreground.name() == "#000000"
    assert custom.name == "On track"
    assert rag_colours("") is None and rag_colours(None) is None


# --------------------------------------------------------------------------- model
def test_model_shows_values_uk_style_and_aligns_numbers(qapp):
    model = make_model()
    assert model.rowCount() == 4 and model.columnCount() == 5
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Due"
    assert column(model, 2) == ["31/03/2024", "", "01/07/2023", "15/01/2025"]
    cost = model.index(0, 3)
    assert model.data(cost, Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert model.data(model.index(0, 1), ROW_ROLE) is ROWS[0]
    rag = model.index(1, 4)
    assert model.data(rag) == "R"  # the letter, not only a colour
    assert model.data(rag, Qt.ItemDataRole.BackgroundRole).color().name() == "#b3261e"
    assert model.data(rag, Qt.ItemDataRole.ToolTipRole) == "Red"
    assert model.data(model.index(3, 4)) == ""
    assert model.data(model.index(3, 4), Qt.ItemDataRole.BackgroundRole) is None


def test_sorting_is_natural_with_blanks_last_both_ways(qapp):
    model = make_model()
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert column(model, 0) == ["1.1", "2.9", "2.10", "10.1"]
    model.sort(2, Qt.SortOrder.AscendingOrder)
    assert column(model, 2)[-1] == "" and column(model, 2)[0] == "01/07/2023"
    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert column(model, 2) == ["15/01/2025", "31/03/2024", "01/07/2023", ""]
    model.sort(4, Qt.SortOrder.AscendingOrder)
    assert column(model, 4) == ["R", "A", "G", ""]
    assert natural_key("Action 2.10") > natural_key("action 2.9")
    # new rows keep the chosen order
    model.set_rows([*ROWS, Row("e", "3", "x", None, 1, "B")])
    assert column(model, 4) == ["R", "A", "G", "B", ""]


def test_set_rows_with_same_keys_updates_in_place(qapp, qtbot):
    model = make_model()
    changed = [
        r if r.id != "b" else Row("b", "2.9", "Housing options training (done)", None, 50, "G")
        for r in ROWS
    ]
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.dataChanged):
        model.set_rows(changed)
    assert "Housing options training (done)" in column(model, 1)
    with qtbot.waitSignal(model.modelReset):
        model.set_rows(changed[:2])
    assert model.rowCount() == 2
    assert model.update_row(Row("a", "2.10", "Renamed", None, 0, None))
    assert model.row(model.row_for_key("a")).text == "Renamed"
    assert not model.update_row(Row("zz", "", "", None, 0, None))


def test_sort_keeps_persistent_indexes(qapp):
    from PySide6.QtCore import QPersistentModelIndex

    model = make_model()
    keep = QPersistentModelIndex(model.index(2, 1))  # MARAC referrals audit
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert keep.isValid() and model.text(keep.row(), 1) == "MARAC referrals audit"
    assert keep.row() == 0


# --------------------------------------------------------------------------- proxy
def test_filter_text_across_chosen_columns_and_predicates(qapp):
    model = make_model()
    proxy = FilterProxy(model, columns=[1])
    proxy.set_text("REFUGE review")
    assert [r.id for r in proxy.visible_rows()] == ["a"]
    proxy.set_text("2.9")  # the Ref column is not searched
    assert proxy.rowCount() == 0
    proxy.set_filter_columns([0, 1])
    assert [r.id for r in proxy.visible_rows()] == ["b"]
    proxy.set_text("")
    proxy.set_predicate("costly", lambda r: r.cost >= 300)
    assert {r.id for r in proxy.visible_rows()} == {"a", "d"}
    proxy.set_text("leaflet")
    assert [r.id for r in proxy.visible_rows()] == ["d"]
    assert proxy.is_filtering()
    proxy.set_predicate("costly", None)
    proxy.set_text("")
    assert proxy.rowCount() == 4 and not proxy.is_filtering()


def test_proxy_sort_is_done_by_the_model(qapp):
    model = make_model()
    proxy = FilterProxy(model)
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    assert [proxy.row(i).ref for i in range(proxy.rowCount())] == ["1.1", "2.9", "2.10", "10.1"]
    assert model.sort_column == 0


# --------------------------------------------------------------------------- widgets
def test_filter_bar_filters_and_counts(qapp, qtbot):
    model = make_model()
    proxy = FilterProxy(model)
    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.connect_proxy(proxy)
    assert bar.edit.placeholderText() == "Filter…"
    assert bar.edit.isClearButtonEnabled()
    assert bar.edit.accessibleName() == "Filter"
    assert bar.count_label.text() == "4"
    with qtbot.waitSignal(bar.changed) as seen:
        qtbot.keyClicks(bar.edit, "marac")
    assert seen.args == ["marac"]
    assert proxy.rowCount() == 1 and bar.count_label.text() == "1 of 4"
    qtbot.keyClick(bar, Qt.Key.Key_Escape)
    assert bar.text() == "" and proxy.rowCount() == 4


def test_data_table_keeps_selection_across_refreshes(qapp, qtbot):
    model = make_model()
    table = DataTable(model, accessible_name="Actions", sort_column=0)
    qtbot.addWidget(table)
    assert table.accessibleName() == "Actions"
    assert table.proxy.row(0).ref == "1.1"  # sorted by the chosen column
    assert table.select_key("c")
    assert [r.id for r in table.selected_rows()] == ["c"]
    model.set_rows([r for r in ROWS if r.id != "a"])  # a reset: selection restored by key
    assert [r.id for r in table.selected_rows()] == ["c"]
    assert table.current_row().id == "c"
    activated = []
    table.row_activated.connect(activated.append)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert [r.id for r in activated] == ["c"]


def test_confirm_is_true_only_for_yes(qapp, dialogs):
    dialogs.answer("Delete")
    assert confirm(None, "Delete it?", yes="Delete", danger=True)
    assert not confirm(None, "Delete it?", yes="Delete", danger=True)  # no answer: not yes
    dialogs.answer("Cancel")
    assert not confirm(None, "Delete it?", yes="Delete")


# --------------------------------------------------------------------------- workers
def test_run_in_worker_returns_the_result_off_the_ui_thread(qapp):
    from dvcoord.gui.workers import run_in_worker

    ui_thread = threading.get_ident()
    seen = {}

    def job(progress, cancel, a, b=0):  # noqa: ANN001
        seen["thread"] = threading.get_ident()
        for i in range(3):
            progress(i, 3, f"Step {i}")
        return a + b

    assert run_in_worker(None, "Adding", job, 2, b=3) == 5
    assert seen["thread"] != ui_thread


def test_a_quick_job_leaves_no_busy_box_to_pop_up_later(qapp, qtbot):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QDialog

    from dvcoord.gui.workers import SHOW_AFTER_MS, run_in_worker

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    seen: list[int] = []

    def quick_job_then_a_dialog() -> None:  # as File > New does: a job, then Settings
        assert run_in_worker(parent, "Quick job", lambda _p, _c: 42, cancellable=False) == 42
        nxt = QDialog(parent)

        def look() -> None:
            seen.append(
                sum(
                    1
                    for w in QApplication.topLevelWidgets()
                    if isinstance(w, QProgressDialog) and w.isVisible()
                )
            )
            nxt.reject()

        QTimer.singleShot(SHOW_AFTER_MS + 300, look)
        nxt.exec()  # its loop runs past the show-after delay

    QTimer.singleShot(0, quick_job_then_a_dialog)
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert seen == [0]


def test_run_in_worker_reports_a_user_error_plainly(qapp, dialogs):
    from dvcoord.gui.workers import WorkAborted, WorkFailed, run_in_worker

    def job(progress, cancel):  # noqa: ANN001
        raise DvcoordError("The disk is full: could not write 'x.pdf'.")

    with pytest.raises(WorkFailed) as info:
        run_in_worker(None, "Exporting", job)
    assert isinstance(info.value, WorkAborted)
    assert isinstance(info.value.error, DvcoordError)
    assert dialogs.last().text == "The disk is full: could not write 'x.pdf'."


def test_run_in_worker_reports_a_fault_and_logs_it(qapp, dialogs, log_file):
    from dvcoord.gui.workers import WorkFailed, run_in_worker

    def job(progress, cancel):  # noqa: ANN001
        return {}["missing"]

    with pytest.raises(WorkFailed):
        run_in_worker(None, "Merging", job)
    assert dialogs.last().text.startswith("Merging did not finish")
    assert "KeyError" in log_file()


def test_run_in_worker_cancel(qapp, qtbot):
    from PySide6.QtCore import QTimer

    from dvcoord.gui.workers import Cancelled, run_in_worker

    started = threading.Event()

    def job(progress, cancel):  # noqa: ANN001
        started.set()
        while True:
            progress(1, None)  # raises Cancelled once Cancel is pressed
            cancel.wait(0.01)

    parent = QWidget()
    qtbot.addWidget(parent)
    elsewhere = QLineEdit()
    qtbot.addWidget(elsewhere)

    def press_cancel() -> None:
        dialog = parent.findChild(QProgressDialog)
        if started.is_set() and dialog is not None:
            assert dialog.windowTitle() == "Long job"
            qtbot.keyClicks(elsewhere, "typed during the job")
            assert elsewhere.text() == ""  # input goes nowhere but the progress dialog
            dialog.findChild(QPushButton).click()  # the dialog's Cancel button
        else:
            QTimer.singleShot(5, press_cancel)

    QTimer.singleShot(0, press_cancel)
    with pytest.raises(Cancelled):
        run_in_worker(parent, "Long job", job)
    qtbot.keyClicks(elsewhere, "after")
    assert elsewhere.text() == "after"


# --------------------------------------------------------------------------- forms
def test_load_ui_finds_forms_and_reports_a_missing_one(qapp):
    from PySide6.QtWidgets import QDialog

    from dvcoord.gui.uiload import FormNotFound, load_ui

    dialog = QDialog()
    form = load_ui("backups", dialog)
    assert dialog.windowTitle() == "Backups"
    assert form.parent() is dialog and dialog.layout() is not None
    assert form.backupNowButton.text() == "&Back up now"
    with pytest.raises(FormNotFound):
        load_ui("no-such-form")


def test_icons_exist_for_every_view_and_action(qapp):
    from dvcoord import paths
    from dvcoord.gui import views
    from dvcoord.gui.icons import icon

    names = [
        "dvcoord",
        "dashboard",
        "plans",
        "milestones",
        "training",
        "alarms",
        "sanctuary",
        "indicators",
        "open",
        "save",
        "backup",
        "report",
        "share",
        "merge",
        "import",
    ]
    names += [s.icon_name for s in views.all_views()]
    for name in names:
        assert not icon(name).isNull(), name
        assert not icon(name).pixmap(24, 24).isNull(), name
    assert icon("no-such-icon").isNull()
    ico = paths.resource("icons", "dvcoord.ico")
    assert ico.is_file() and ico.read_bytes()[:4] == b"\x00\x00\x01\x00"
