"""File > Share a copy…, File > Merge a received file… and Edit > History of the selected
record… (see :mod:`dvcoord.gui.exchange_dialogs` and :mod:`dvcoord.gui.history_dialog`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction

from dvcoord.gui.icons import icon


def install(window: Any) -> None:
    share = QAction(icon("share"), "S&hare a copy…", window)
    share.setObjectName("exchange.share")
    share.setStatusTip("Write a copy of this database to send by e-mail, optionally encrypted")
    share.triggered.connect(lambda: _share(window))
    window.add_action("File", share, group="exchange", order=10)

    merge = QAction(icon("merge"), "&Merge a received file…", window)
    merge.setObjectName("exchange.merge")
    merge.setStatusTip("Check a database file you received and merge it into this one")
    merge.triggered.connect(lambda: _merge(window))
    window.add_action("File", merge, group="exchange", order=20)

    history = QAction("&History of the selected record…", window)
    history.setObjectName("exchange.history")
    history.setShortcut("Ctrl+Shift+H")
    history.setStatusTip("Every version of the selected record, with who changed it and when")
    history.triggered.connect(lambda: _history(window))
    window.add_action("Edit", history, group="history", order=10)


def _share(window: Any) -> None:
    from dvcoord.gui.exchange_dialogs import open_share_dialog

    window._share_dialog = open_share_dialog(window.context, window)


def _merge(window: Any) -> None:
    from dvcoord.gui.exchange_dialogs import merge_received_file

    merge_received_file(window.context, window)


def _history(window: Any) -> None:
    from dvcoord.gui.history_dialog import open_history
    from dvcoord.gui.widgets import inform

    view = window.current_view()
    record = None
    getter = getattr(view, "current_record", None)
    if callable(getter):
        record = getter()
    if not record:
        inform(
            window,
            "Select a record first (an action, a milestone, an alarm…), then choose "
            "Edit > History of the selected record… to see every version of it.",
            title="History",
        )
        return
    table, row_id = record
    window._history_dialog = open_history(window.context, table, row_id, window)
