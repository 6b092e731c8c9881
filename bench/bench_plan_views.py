"""The Action plans and Milestones views on the synthetic county file (offscreen Qt).

* ``plans_view_open_1000_ms``: build the Action plans view on a plan of 1,000 actions
  (added to a copy of the file, as in ``bench_plans``), show it and let it paint: from
  nothing to a usable tree with the plan page beside it (target: under 300 ms).
  ``plans_view_open_1000_first_ms`` is the first, cold, opening.
* ``..._cpu_ms``: the same as processor time of this process, which a busy machine
  does not inflate (the wall-clock figures are what a user waits).
* ``plans_view_select_action_ms``: choose an action in that tree (its editor filled:
  fields, agencies, milestones, updates).
* ``plans_view_select_linked_action_ms``: choose an action with five linked
  performance indicators (each with ten years of quarterly figures): the editor as
  above plus each indicator's latest figure, target and status.
* ``plans_view_save_field_ms``: save one field of an action through an undoable
  command, including the reload of the 1,000-action tree and the editor.
* ``plans_table_filter_keystroke_5000_ms`` (median) and ``..._max_ms``: filter-as-you-type
  in table mode over all 5,000 actions of every plan: the proxy's text filter for each
  keystroke of a phrase plus ``processEvents`` (target: under 50 ms a keystroke).
* ``plans_table_all_5000_ms``: switch the table to every plan's 5,000 actions.
* ``milestones_view_open_ms``: build and show the Milestones view (15,000+ milestones).

Run: ``python bench/run.py --only plan_views`` (or ``python bench/bench_plan_views.py``).
"""

from __future__ import annotations

import statistics
import time
from datetime import date

TODAY = date(2026, 11, 23)
PHRASE = "refuge outreach housing"


def _pump(app) -> None:  # noqa: ANN001
    app.processEvents()
    app.processEvents()


def _dispose(app, widget) -> None:  # noqa: ANN001
    """Close and really delete ``widget`` (deleteLater waits for an event loop)."""
    from PySide6.QtCore import QCoreApplication, QEvent

    widget.close()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    _pump(app)


def _link_indicators(db, action_id: str, n: int) -> None:  # noqa: ANN001
    from dvcoord.services import indicators as svc

    with db.transaction() as s:
        for i in range(n):
            ind = svc.create_indicator(
                s,
                code=f"BENCH {i}",
                name=f"Bench indicator {i}",
                unit="count",
                direction="higher",
                period="quarter",
            )
            for fy in range(2016, 2026):
                label = f"{fy}/{(fy + 1) % 100:02d}"
                svc.set_target(s, ind.id, label, "400")
                for q in range(1, 5):
                    svc.set_value(s, ind.id, f"{label} Q{q}", str(90 + q + i), today=TODAY)
            svc.link_action(s, ind.id, action_id)


def run(ctx) -> list[tuple[str, float, str]]:  # noqa: ANN001
    from bench_plans import _add_big_plan
    from PySide6.QtWidgets import QApplication

    from dvcoord.gui.app import create_application
    from dvcoord.gui.context import AppContext
    from dvcoord.gui.plans import common
    from dvcoord.gui.settings import AppSettings
    from dvcoord.store import Database
    from dvcoord.store.backups import copy_database

    app = QApplication.instance() or create_application()
    common.today = lambda: TODAY
    path = copy_database(ctx.large_db(), ctx.tmp / "plan-views.sqlite")
    big = _add_big_plan(path, 1000)
    db = Database.open(path, user="Bench", backup=False)
    settings = AppSettings()
    figures: list[tuple[str, float, str]] = []
    try:
        ctx_ = AppContext(db, settings)
        from dvcoord.gui.plans.milestones_view import MilestonesView
        from dvcoord.gui.plans.view import PlansView

        opens, opens_cpu = [], []
        view = None
        for _ in range(max(ctx.repeat, 3)):
            settings.set_view_value("plans", "plan", big)
            if view is not None:
                _dispose(app, view)
            start, cpu = time.perf_counter(), time.process_time()
            view = PlansView(ctx_)
            view.resize(1200, 800)
            view.show()
            _pump(app)
            opens.append((time.perf_counter() - start) * 1000)
            opens_cpu.append((time.process_time() - cpu) * 1000)
        assert view is not None and view.plan_id == big
        n_actions = len(view.tree_model.action_rows())
        figures.append(("plans_view_open_1000_first_ms", round(opens[0], 1), "ms"))
        figures.append(("plans_view_open_1000_ms", round(statistics.median(opens), 1), "ms"))
        figures.append(
            ("plans_view_open_1000_cpu_ms", round(statistics.median(opens_cpu), 1), "ms")
        )
        figures.append(("plans_view_open_actions", n_actions, "actions"))

        actions = view.tree_model.action_rows()

        picks = iter(range(1, 10_000))

        def select() -> None:
            view.select("action", actions[(next(picks) * 37) % len(actions)].id)
            _pump(app)

        figures.append(("plans_view_select_action_ms", round(ctx.time_ms(select), 1), "ms"))

        # an action with five linked indicators (ten years of quarterly figures each):
        # its editor also shows each one's latest figure, target and status
        linked, other = actions[250].id, actions[251].id
        _link_indicators(db, linked, 5)

        def select_linked() -> None:
            view.select("action", linked)
            _pump(app)

        def select_other() -> None:
            view.select("action", other)
            _pump(app)

        figures.append(
            (
                "plans_view_select_linked_action_ms",
                round(ctx.time_ms(select_linked, setup=select_other), 1),
                "ms",
            )
        )
        assert view.action_editor.indicators_tab.model.rowCount() == 5

        counter = iter(range(10_000))

        def save_field() -> None:
            editor = view.action_editor
            editor.binder.widget("outcomes").setPlainText(f"Bench outcome {next(counter)}")
            editor._committed("outcomes")
            _pump(app)

        view.select("action", actions[500].id)
        _pump(app)
        figures.append(("plans_view_save_field_ms", round(ctx.time_ms(save_field), 1), "ms"))

        view.set_table_mode(True)
        _pump(app)
        start = time.perf_counter()
        view.all_plans.setChecked(True)
        _pump(app)
        figures.append(
            ("plans_table_all_5000_ms", round((time.perf_counter() - start) * 1000, 1), "ms")
        )
        proxy = view.table.proxy
        total = view.table_model.rowCount()
        keystrokes: list[float] = []
        keystrokes_cpu: list[float] = []
        for _ in range(max(ctx.repeat // 2, 2)):
            for n in [*range(1, len(PHRASE) + 1), *range(len(PHRASE) - 1, -1, -1)]:
                start, cpu = time.perf_counter(), time.process_time()
                proxy.set_text(PHRASE[:n])
                _pump(app)
                keystrokes.append((time.perf_counter() - start) * 1000)
                keystrokes_cpu.append((time.process_time() - cpu) * 1000)
        figures.append(("plans_table_rows", total, "actions"))
        figures.append(
            (
                "plans_table_filter_keystroke_5000_ms",
                round(statistics.median(keystrokes), 2),
                "ms",
            )
        )
        figures.append(
            ("plans_table_filter_keystroke_5000_max_ms", round(max(keystrokes), 2), "ms")
        )
        figures.append(
            (
                "plans_table_filter_keystroke_5000_cpu_ms",
                round(statistics.median(keystrokes_cpu), 2),
                "ms",
            )
        )
        view.close()

        start = time.perf_counter()
        ms_view = MilestonesView(ctx_)
        ms_view.resize(1200, 800)
        ms_view.show()
        _pump(app)
        figures.append(
            ("milestones_view_open_ms", round((time.perf_counter() - start) * 1000, 1), "ms")
        )
        figures.append(("milestones_view_rows", ms_view.model.rowCount(), "milestones"))
        ms_view.close()
    finally:
        db.close()
    return figures


if __name__ == "__main__":
    import os
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent / "src"), str(here)]
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import run as runner

    raise SystemExit(runner.main(["--only", "plan_views", *sys.argv[1:]]))
