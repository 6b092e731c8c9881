"""Foundation figures: the large file (build, open, backup, check) and start-up time.

* ``open_large_db_ms``: ``Database.open`` of the 200,000-row file in a fresh process
  (imports excluded), with every check it makes, without the on-open backup: the file
  as dvcoord last left it.  ``open_large_db_full_check_ms``: the same for a file dvcoord
  cannot vouch for (copied in, changed elsewhere, after a crash), which runs SQLite's
  ``quick_check`` over every page.  ``open_with_backup_ms``: opening with the on-open
  backup taken.  ``open_large_db_in_window_ms``: File > Open of that file in a running
  window until the Dashboard over it is rebuilt and painted (the on-open backup runs
  in the background meanwhile).
* ``startup_bare_qt_ms``: spawn to "shown" for a bare PySide6 ``QMainWindow``;
  ``startup_dvcoord_demo_ms``: the same for ``dvcoord --db demo.sqlite`` through the
  real entry point (``dvcoord.cli.main``), with ``MainWindow.show`` wrapped so the
  process prints once the window is shown (navigation, menus, "Opening demo.sqlite…"
  painted); ``startup_ratio`` = dvcoord / bare.  ``startup_dvcoord_usable_ms``: spawn
  until the database is open and the landing view (the Dashboard, every area's tiles)
  is built and painted, i.e. the window can be used; ``startup_usable_ratio`` the same
  over bare.
"""

from __future__ import annotations

import shutil
import statistics
import sys
from pathlib import Path

from synth import count_rows

OPEN_IN_FRESH_PROCESS = r"""
import sys, time
from pathlib import Path
from dvcoord.store import Database, verified
path = Path(sys.argv[1])
if sys.argv[2] == "full":
    verified.forget(path)
start = time.perf_counter()
db = Database.open(path, user="Bench", backup=False)
elapsed = (time.perf_counter() - start) * 1000
db.close()
print(f"{elapsed:.3f}")
"""

BARE_QT = r"""
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1200, 800)
window.setWindowTitle("bare")
window.show()
app.processEvents()
print("shown", flush=True)
"""

DVCOORD_GUI = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from dvcoord.gui import main_window

_show = main_window.MainWindow.show
_attach = main_window.MainWindow.attach_database

def show(self):
    _show(self)
    QApplication.processEvents()
    print("shown", flush=True)

def attach_then_quit(self, db):
    _attach(self, db)
    QApplication.processEvents()
    print("usable", flush=True)
    QTimer.singleShot(0, QApplication.quit)

main_window.MainWindow.show = show
main_window.MainWindow.attach_database = attach_then_quit
from dvcoord.cli import main
sys.exit(main(["--db", sys.argv[1]]))
"""


OPEN_IN_WINDOW = r"""
import sys, time
from pathlib import Path
from dvcoord.gui.app import create_application
from dvcoord.gui.main_window import MainWindow
from dvcoord.gui.settings import AppSettings
from dvcoord.store import Database
app = create_application()
window = MainWindow(Database.open(Path(sys.argv[1]), backup=False), AppSettings())
window.show()
app.processEvents()
start = time.perf_counter()
assert window.open_database(Path(sys.argv[2]))
app.processEvents()
print(f"{(time.perf_counter() - start) * 1000:.3f}")
window.open_backup_thread.join(60)
"""


def _median_printed_ms(ctx, code: str, *args: str) -> float:
    """Median over ``ctx.repeat`` fresh processes of the milliseconds ``code`` prints
    last (each process times itself, so start-up and imports are left out)."""
    import subprocess

    times = []
    for _ in range(ctx.repeat):
        out = subprocess.run(
            [ctx.python, "-c", code, *args],
            capture_output=True,
            text=True,
            env=ctx.env(),
            check=True,
        ).stdout
        times.append(float(out.strip().splitlines()[-1]))
    return statistics.median(times)


def _open_in_window(ctx, demo: Path, large: Path) -> float:
    """File > Open of the large file in a running window, until the view shown (the
    Dashboard, over every area) is rebuilt and painted: when the window can be used."""
    return _median_printed_ms(ctx, OPEN_IN_WINDOW, str(demo), str(large))


def _open_in_fresh_process(ctx, path: Path, mode: str) -> float:
    return _median_printed_ms(ctx, OPEN_IN_FRESH_PROCESS, str(path), mode)


def large_file_figures(ctx) -> list[tuple[str, float | int, str]]:
    from dvcoord.services.check import check_database
    from dvcoord.store import Database, backups

    path = ctx.large_db()
    figures: list[tuple[str, float | int, str]] = [
        ("create_large_db_s", ctx.large_db_seconds, "s"),
        ("large_db_rows", count_rows(path), "count"),
        ("large_db_size_mb", path.stat().st_size / 1e6, "MB"),
    ]
    Database.open(path, backup=False).close()  # dvcoord now vouches for it
    figures.append(("open_large_db_ms", _open_in_fresh_process(ctx, path, "known"), "ms"))
    figures.append(("open_large_db_full_check_ms", _open_in_fresh_process(ctx, path, "full"), "ms"))
    figures.append(("open_large_db_in_window_ms", _open_in_window(ctx, ctx.demo_db(), path), "ms"))
    Database.open(path, backup=False).close()

    def no_backups() -> None:
        shutil.rmtree(backups.folder_for(path), ignore_errors=True)

    figures.append(
        (
            "open_with_backup_ms",
            ctx.time_ms(lambda: Database.open(path).close(), setup=no_backups),
            "ms",
        )
    )
    out = ctx.tmp / "backup-out"
    out.mkdir(exist_ok=True)
    figures.append(
        (
            "backup_large_db_ms",
            ctx.time_ms(lambda: backups.take_backup(path, dest=out / "copy.sqlite")),
            "ms",
        )
    )
    reports = []
    figures.append(
        (
            "check_large_db_ms",
            ctx.time_ms(lambda: reports.append(check_database(path)), repeat=min(ctx.repeat, 3)),
            "ms",
        )
    )
    if not reports[-1].sound:
        raise RuntimeError(f"the large database is not sound: {reports[-1].problems}")
    no_backups()
    return figures


def startup_figures(ctx) -> list[tuple[str, float | int, str]]:
    demo = ctx.demo_db()
    marks = ("shown", "usable")
    ctx.spawn_until(BARE_QT)  # warm the file cache for both, untimed
    ctx.spawn_marks(DVCOORD_GUI, [str(demo)], marks)
    bare, shown, usable = [], [], []
    for _ in range(ctx.repeat):
        bare.append(ctx.spawn_until(BARE_QT))
        seen = ctx.spawn_marks(DVCOORD_GUI, [str(demo)], marks)
        shown.append(seen["shown"])
        usable.append(seen["usable"])
    bare_ms = statistics.median(bare)
    shown_ms, usable_ms = statistics.median(shown), statistics.median(usable)
    return [
        ("startup_bare_qt_ms", bare_ms, "ms"),
        ("startup_dvcoord_demo_ms", shown_ms, "ms"),
        ("startup_ratio", shown_ms / bare_ms, "x"),
        ("startup_dvcoord_usable_ms", usable_ms, "ms"),
        ("startup_usable_ratio", usable_ms / bare_ms, "x"),
    ]


def run(ctx) -> list[tuple[str, float | int, str]]:
    figures = large_file_figures(ctx)
    try:
        figures += startup_figures(ctx)
    except RuntimeError as exc:
        print(f"# start-up figures unavailable: {exc}", file=sys.stderr)
        raise
    return figures
