"""Performance-indicator figures on the synthetic county file: 200 monthly indicators with
ten years of values each (24,000 values) and a target per financial year, plus the seven
computed indicators (added to the shared file by :func:`indicators` below).  The other
areas' builders (alarms, training, Sanctuary Scheme) are registered too where their bench
modules exist, so the computed indicators run over their data at full size.

* ``indicators_rows_ms``: :func:`services.indicators.indicator_rows`, what the
  Performance view loads: every indicator's latest value, target, status and trend
  (the computed ones worked out too).
* ``indicators_rows_typed_ms``: the same for the 200 typed-in indicators alone.
* ``indicators_computed_<key>_ms``: one computed indicator over 120 months.
* ``indicators_dashboard_ms``: the two dashboard tiles (off target, BVPI 225).
* ``indicators_grid_ms``: the editor's values grid of one indicator (120 months).
* ``indicators_save_grid_ms``: saving that grid (120 values, 10 targets), one
  transaction with its audit rows, committed.
* ``indicators_export_ms``: the .xlsx export of everything.
* ``indicators_report_s`` / ``indicators_report_pages``: the ``indicators`` PDF (a table
  and a trend chart per indicator).
* ``indicators_count`` / ``indicators_values``: the size of what was timed.

Run: ``python bench/run.py --only indicators``.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import time
from datetime import date

from synth import SynthContext, register_builder

TODAY = date(2026, 11, 23)
N_INDICATORS = 200
YEARS = 10

# The other areas' data, for the computed indicators (their builders register on import).
for _name in ("bench_alarms", "bench_training", "bench_sanctuary"):
    with contextlib.suppress(ImportError):
        importlib.import_module(_name)


@register_builder
def indicators(conn, ctx: SynthContext) -> int:  # noqa: ANN001
    """200 monthly indicators x 10 years of values, a target a year, the computed ones."""
    from dvcoord.services import indicators as svc

    rng = ctx.rng
    agencies = ctx.ids.get("agency") or []
    n = ctx.n(N_INDICATORS)
    last = svc.last_complete_period("month", TODAY)
    months = svc.recent_periods(last, YEARS * 12)
    years = sorted({m.fy for m in months})
    units = ("count", "percentage", "days", "money")
    rows, values, targets = [], [], []
    for i in range(n):
        unit = units[i % len(units)]
        ind = ctx.shared(
            code=f"SY {i + 1:03d}",
            name=f"Synthetic indicator {i + 1:03d} {ctx.words(2, 5)}",
            description=ctx.words(8, 20),
            unit=unit,
            direction="higher" if i % 3 else "lower",
            period="month",
            data_source="Synthetic source",
            owner_agency_id=rng.choice(agencies) if agencies else None,
            computed_key=None,
            active=True,
        )
        rows.append(ind)
        base = {"count": 80, "percentage": 45, "days": 30, "money": 250_000}[unit]
        for k, m in enumerate(months):
            wave = math.sin(k / 6) * 0.1 + rng.uniform(-0.08, 0.08)
            value = max(0, round(base * (1 + wave) * 100))
            if unit == "count":
                value = value // 100 * 100
            if unit == "percentage":
                value = min(value, 10_000)
            values.append(
                ctx.shared(
                    id=svc._value_id(ind["id"], m.key),
                    indicator_id=ind["id"],
                    period_key=m.key,
                    period_start=m.start,
                    period_end=m.end,
                    value_hundredths=value,
                    note="",
                )
            )
        for fy in years:
            p = svc.year_period(fy)
            targets.append(
                ctx.shared(
                    id=svc._target_id(ind["id"], p.key),
                    indicator_id=ind["id"],
                    period_key=p.key,
                    period_start=p.start,
                    period_end=p.end,
                    target_hundredths=base * 100 * (12 if unit in ("count", "money") else 1),
                    national_hundredths=None,
                    note="",
                )
            )
    for key, spec in svc.COMPUTED.items():
        rows.append(
            ctx.shared(
                id=svc.computed_id(key),
                code="",
                name=spec.name,
                description=spec.description,
                unit=spec.unit,
                direction=spec.direction,
                period="month",
                data_source=spec.data_source,
                owner_agency_id=None,
                computed_key=key,
                active=True,
            )
        )
    total = ctx.insert(conn, "indicator", rows)
    total += ctx.insert(conn, "indicator_value", values)
    total += ctx.insert(conn, "indicator_target", targets)
    return total


def run(ctx) -> list[tuple[str, float | int, str]]:  # noqa: ANN001
    from sqlalchemy import func, select

    from dvcoord.importers.indicators import export_indicators
    from dvcoord.reports import registry
    from dvcoord.services import indicators as svc
    from dvcoord.store import Database
    from dvcoord.store.backups import copy_database
    from dvcoord.store.schema.indicators import Indicator, IndicatorValue

    path = copy_database(ctx.large_db(), ctx.tmp / "indicators.sqlite")
    db = Database.open(path, user="Bench", backup=False)
    figures: list[tuple[str, float | int, str]] = []
    try:
        with db.session() as s:
            n_ind = s.scalar(select(func.count()).select_from(Indicator))
            n_val = s.scalar(select(func.count()).select_from(IndicatorValue))
            one = s.scalar(
                select(Indicator.id)
                .where(Indicator.computed_key.is_(None))
                .order_by(Indicator.code)
            )
            computed = dict(
                s.execute(
                    select(Indicator.computed_key, Indicator.id).where(
                        Indicator.computed_key.is_not(None)
                    )
                ).all()
            )

        def timed(name: str, fn, repeat: int | None = None) -> None:  # noqa: ANN001
            def once() -> None:
                with db.session() as s:
                    fn(s)

            figures.append((name, round(ctx.time_ms(once, repeat=repeat), 1), "ms"))

        timed("indicators_rows_ms", lambda s: svc.indicator_rows(s, TODAY))

        def typed(s) -> None:  # noqa: ANN001
            saved = dict(svc.COMPUTED)
            svc.COMPUTED.clear()  # computed rows then show "no data" at no cost
            try:
                svc.indicator_rows(s, TODAY)
            finally:
                svc.COMPUTED.update(saved)

        timed("indicators_rows_typed_ms", typed)
        months = svc.recent_periods(svc.last_complete_period("month", TODAY), 120)
        for key, indicator_id in sorted(computed.items()):
            timed(
                f"indicators_computed_{key.replace('.', '_')}_ms",
                lambda s, i=indicator_id: svc.series(s, i, months, TODAY),
                repeat=max(1, ctx.repeat // 2),
            )
        timed("indicators_dashboard_ms", lambda s: svc.dashboard_tiles(s, TODAY))
        timed("indicators_grid_ms", lambda s: svc.value_grid(s, one, TODAY))

        with db.session() as s:
            grid = svc.value_grid(s, one, TODAY)
            unit = s.get(Indicator, one).unit
        entries = [
            svc.PeriodEntry(
                g.period.key,
                svc.format_number(g.value, unit, with_unit=False) if g.value is not None else "",
                g.note,
                svc.format_number(g.target, unit, with_unit=False) if g.target is not None else "",
            )
            for g in grid
        ]

        def save() -> None:
            with db.transaction() as s:
                svc.save_periods(s, one, entries, today=TODAY)

        figures.append(("indicators_save_grid_ms", round(ctx.time_ms(save), 1), "ms"))

        out = ctx.tmp / "indicators.xlsx"

        def export() -> None:
            with db.session() as s:
                export_indicators(s, out, today=TODAY)

        figures.append(("indicators_export_ms", round(ctx.time_ms(export, repeat=1), 1), "ms"))

        pdf = ctx.tmp / "indicators.pdf"
        start = time.perf_counter()
        registry.get("indicators").build(db, registry.ReportRequest(out=pdf, today=TODAY))
        figures.append(("indicators_report_s", round(time.perf_counter() - start, 2), "s"))
        figures.append(("indicators_report_pages", registry.page_count(pdf), "pages"))
        figures += [
            ("indicators_count", n_ind, "indicators"),
            ("indicators_values", n_val, "values"),
        ]
    finally:
        db.close()
    return figures
