"""Menu entries that areas add to the main window.

Any module in this package that defines ``install(window)`` is called once, at
start-up, after the standard menus exist.  It adds its actions with
:meth:`dvcoord.gui.main_window.MainWindow.add_action`::

    # src/dvcoord/gui/actions/merge.py
    from PySide6.QtGui import QAction
    from dvcoord.gui.icons import icon

    def install(window):
        action = QAction(icon("merge"), "&Merge a received file…", window)
        action.triggered.connect(lambda: _merge(window))
        window.add_action("File", action, group="exchange")

    def _merge(window):
        ctx = window.context            # ctx.db is the open database
        ...

Groups of the File menu, top to bottom: ``database`` (New, Open, Save a copy,
Recent files), ``exchange`` (Share a copy…, Merge a received file…), ``import``
(Import plan…), ``report`` (Export report…), ``backups``, ``settings``, ``quit``.
A module that fails is logged and skipped; the window still opens.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import Any

log = logging.getLogger(__name__)


def install_all(window: Any) -> dict[str, str]:
    """Call ``install(window)`` of every module here; returns the ones that failed."""
    failed: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        try:
            mod = importlib.import_module(f"{__name__}.{info.name}")
            install = getattr(mod, "install", None)
            if callable(install):
                install(window)
        except Exception as exc:  # noqa: BLE001 - one broken area must not stop the app
            log.exception("menu actions of %s could not be installed", info.name)
            failed[info.name] = type(exc).__name__
    return failed
