"""File > Import plan… and File > Export plan to spreadsheet… (see :mod:`dvcoord.gui.plans_io`)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction

from dvcoord.gui.icons import icon


def install(window: Any) -> None:
    importing = QAction(icon("import"), "&Import plan…", window)
    importing.setObjectName("importPlanAction")
    importing.setStatusTip("Bring a plan in from Word (.docx), Excel (.xlsx) or CSV")
    importing.triggered.connect(lambda: _import(window))
    window.add_action("File", importing, group="import", order=10)

    exporting = QAction(icon("save"), "&Export plan to spreadsheet…", window)
    exporting.setObjectName("exportPlanAction")
    exporting.setStatusTip("Write a plan to Excel (.xlsx) or CSV for partners to fill in")
    exporting.triggered.connect(lambda: _export(window))
    window.add_action("File", exporting, group="import", order=20)


def _import(window: Any) -> None:
    from dvcoord.gui.plans_io import open_import_wizard

    window._plan_import_wizard = open_import_wizard(window.context, window)


def _export(window: Any) -> None:
    from dvcoord.gui.plans_io import open_export_dialog

    window._plan_export_dialog = open_export_dialog(window.context, window)
