"""File > Export report… (see :mod:`dvcoord.gui.export_report`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QKeySequence

from dvcoord.gui.icons import icon


def install(window: Any) -> QAction:
    action = QAction(icon("report"), "Export &report…", window)
    action.setObjectName("file.export_report")
    action.setShortcut(QKeySequence("Ctrl+Shift+E"))
    tip = "Write a PDF report: action plan, progress, milestones, returns and more"
    action.setStatusTip(tip)
    action.setToolTip(tip)
    action.triggered.connect(lambda _checked=False: _export(window))
    window.add_action("File", action, group="report", order=10)
    return action


def _export(window: Any) -> None:
    from dvcoord.gui.export_report import show_export_dialog

    # Start from the plan on screen, if the Action plans view is showing one.
    view = window.current_view() if hasattr(window, "current_view") else None
    plan_id = getattr(view, "plan_id", None)
    show_export_dialog(
        window.context, window, plan_id=plan_id if isinstance(plan_id, str) else None
    )
