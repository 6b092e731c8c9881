"""Start-up shows the window first, then opens the database into it.

The window (navigation, menus, "Opening …") must appear without importing the store
(SQLAlchemy and every table), the services or the heavy widgets; they load while the
window is already on screen.  The figure this protects is ``startup_ratio`` in
``bench/bench_foundation.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from dvcoord.gui.settings import AppSettings

HEAVY = ("sqlalchemy", "alembic", "dvcoord.store", "dvcoord.services", "dvcoord.gui.widgets")

SHOW_WAITING_WINDOW = r"""
import json, sys
from dvcoord import cli
from dvcoord.gui import app as gui_app
cli.logs.setup()
args = cli.build_parser(commands=not cli._only_gui_options(["--db", "x.sqlite"])).parse_args(
    ["--db", "x.sqlite"]
)
qapp = gui_app.create_application()
gui_app.install_error_handlers()
from dvcoord.gui.main_window import MainWindow
window = MainWindow(None, gui_app.AppSettings())
window.show_opening("Opening x.sqlite…")
window.show()
qapp.processEvents()
heavy = sorted({m.split(".")[0] if m.startswith(("sqlalchemy", "alembic")) else m
                for m in sys.modules if m.startswith(HEAVY)})
print(json.dumps({"heavy": heavy, "nav": window.nav.count(), "title": window.windowTitle(),
                  "waiting": window.waiting_label.text()}))
"""


def test_waiting_window_is_shown_without_importing_the_store(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DVCOORD_HOME=str(tmp_path / "home"))
    code = f"HEAVY = {HEAVY!r}\n" + SHOW_WAITING_WINDOW
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["heavy"] == [], f"imported before the window was shown: {seen['heavy']}"
    assert seen["nav"] >= 6  # every area is listed at once
    assert seen["title"] == "dvcoord"
    assert seen["waiting"] == "Opening x.sqlite…"


def test_waiting_window_is_inert_until_the_database_is_attached(gui_app, db, dialogs):
    from dvcoord.gui.main_window import MainWindow

    window = MainWindow(None, AppSettings())
    try:
        window.show_opening("Opening test.sqlite…")
        assert window.context.db is None
        assert not window.nav.isEnabled() and not window.menuBar().isEnabled()
        assert window.stack.currentWidget() is window.waiting_page
        assert window.current_view_key() is None  # no view is built without a database
        for name in ("file.open", "file.save_copy", "file.backups", "file.settings", "edit.find"):
            assert not window.action(name).isEnabled(), name
        assert window.action("file.quit").isEnabled()
        assert window.path_label.text() == "" and window.officer_label.text() == ""
        assert not window.waiting_bar.isHidden()  # busy while opening…
        window.show_opening("No database is open.")
        assert window.waiting_bar.isHidden()  # …but not while a choice is awaited

        window.attach_database(db)

        assert window.db is db
        assert window.nav.isEnabled() and window.menuBar().isEnabled()
        assert window.current_view_key() == window.landing_view_key()
        assert window.stack.currentWidget() is window.current_view()
        for name in ("file.open", "file.save_copy", "file.backups", "file.settings"):
            assert window.action(name).isEnabled(), name
        # Undo/Redo follow the undo stack, not the waiting state: still nothing to undo.
        assert not window.action("edit.undo").isEnabled()
        assert window.windowTitle() == "test — dvcoord"
        assert window.path_label.text() == str(db.path)
    finally:
        window.close()
        window.deleteLater()


def test_a_failed_first_open_asks_with_the_window_as_parent(gui_app, tmp_path, dialogs):
    from dvcoord.gui.app import open_startup_database
    from dvcoord.gui.main_window import MainWindow

    window = MainWindow(None, AppSettings())
    told: list[str] = []
    try:
        bad = tmp_path / "noise.sqlite"
        bad.write_bytes(os.urandom(4096))
        result = open_startup_database(
            bad, False, AppSettings(), parent=window, on_attempt=told.append
        )
        assert result is None  # no answer queued: Quit
        assert told == ["Opening noise.sqlite…", "No database is open."]
        assert dialogs.last().title == "dvcoord cannot open the database"
        assert bad.read_bytes()  # untouched
    finally:
        window.close()
        window.deleteLater()
