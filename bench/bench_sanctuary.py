"""Sanctuary Scheme figures on the synthetic county file (5,000 cases, 20,000 measures, the
stock movements of the measures fitted from stock, follow-up visits; added to the shared
file by :func:`sanctuary` below, at ``ctx.scale``).

* ``sanctuary_cases_all_ms``: :func:`services.sanctuary.case_rows` for every case (what
  the Cases tab loads with "Every stage").
* ``sanctuary_cases_filtered_ms``: the same with filters (open stages, high risk, one
  referring agency, a financial year) – target under 200 ms.
* ``sanctuary_waiting_ms``, ``sanctuary_follow_ups_due_ms``, ``sanctuary_stock_rows_ms``,
  ``sanctuary_times_year_ms``, ``sanctuary_dashboard_ms``: the other lists and tiles.
* ``sanctuary_spend_5y_query_ms``: :func:`services.sanctuary.spend_summary` over five
  financial years; ``sanctuary_spend_report_5y_s``: the whole ``sanctuary-spend`` PDF for
  five years (target under 3 s).
* ``sanctuary_fit_from_stock_ms``: recording one measure fitted from stock, committed.
* ``sanctuary_cases`` / ``sanctuary_measures``: the size of what was timed.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from synth import SynthContext, register_builder

TODAY = date(2026, 11, 23)
FIRST = date(2021, 4, 1)
_NS = uuid.UUID("5b0c6f0e-8d3a-4c39-9f43-5a2f7de1c0a8")  # as services.sanctuary
_KINDS = (
    ("reinforced door", 54_000, False),
    ("door chain", 1_450, True),
    ("door viewer", 1_950, True),
    ("additional lock", 6_800, True),
    ("window lock", 1_150, True),
    ("safe-room solid-core door", 72_000, False),
    ("fire-safe letterbox", 7_400, True),
    ("security light", 5_900, False),
    ("smoke alarm", 1_800, True),
    ("other", 2_500, False),
)
_TENURES = ("council", "housing association", "private rented", "owner-occupier", "other")
_DISTRICTS = ("TN13", "TN14", "TN15", "TN16", "TN8", "BR8", "ME14", "DA4")


@register_builder
def sanctuary(conn, ctx: SynthContext) -> int:  # noqa: ANN001, C901
    """5,000 cases with about 20,000 measures (times ``ctx.scale``)."""
    rng = ctx.rng
    agencies = ctx.ids.get("agency") or [None]
    items = []
    for kind, cost, _stocked in _KINDS:
        items.append(
            ctx.shared(
                id=str(uuid.uuid5(_NS, f"item:{kind}")),
                kind=kind,
                name=kind[0].upper() + kind[1:],
                usual_cost_pence=cost,
                active=True,
                notes="",
            )
        )
    total = ctx.insert(conn, "sanctuary_item", items)
    levels = [
        ctx.shared(
            id=str(uuid.uuid5(_NS, f"stock-level:{item['id']}")),
            item_id=item["id"],
            reorder_level=rng.randint(3, 15),
            supplier="Synthetic Hardware Ltd",
            notes="",
        )
        for item, (_, _, stocked) in zip(items, _KINDS, strict=True)
        if stocked
    ]
    total += ctx.insert(conn, "sanctuary_stock_level", levels)
    firms = [
        ctx.shared(
            name=f"Synthetic Contractor {n}",
            trade="locksmith",
            phone="",
            email="",
            active=True,
            notes="",
        )
        for n in range(1, 9)
    ]
    total += ctx.insert(conn, "sanctuary_contractor", firms)
    n_cases = ctx.n(5_000)
    per_case = 20_000 / 5_000
    span = (TODAY - FIRST).days - 3
    cases, measures, moves, visits = [], [], [], []
    for i in range(n_cases):
        referral = FIRST + timedelta(days=int(span * i / n_cases) + rng.randint(0, 2))
        referral = min(referral, TODAY - timedelta(days=1))
        age = (TODAY - referral).days
        dates: dict[str, date | None] = dict.fromkeys(
            (
                "assessed_on",
                "approved_on",
                "works_ordered_on",
                "installed_on",
                "follow_up_on",
                "closed_on",
                "declined_on",
                "withdrawn_on",
            )
        )
        t = referral
        stage = "referred"
        ending = rng.random()
        for column, name, gap in (
            ("assessed_on", "assessed", (2, 10)),
            ("approved_on", "approved", (3, 14)),
            ("works_ordered_on", "works ordered", (3, 30)),
            ("installed_on", "installed", (7, 60)),
            ("follow_up_on", "follow-up done", (25, 55)),
            ("closed_on", "closed", (5, 30)),
        ):
            t = t + timedelta(days=rng.randint(*gap))
            if t > TODAY:
                break
            if ending < 0.06 and name == "approved":
                dates["declined_on"], stage = t, "declined"
                break
            if ending > 0.95 and name == "installed":
                dates["withdrawn_on"], stage = t, "withdrawn"
                break
            dates[column], stage = t, name
        case = ctx.shared(
            reference=f"SY-SS-{referral.year}-{i:05d}",
            agency_id=rng.choice(agencies),
            referring_officer=f"IDVA {rng.randint(1, 40)}",
            referral_date=referral,
            risk_level=rng.choice(("standard", "medium", "high", "high")),
            marac=rng.random() < 0.5,
            tenure=(tenure := rng.choice(_TENURES)),
            landlord="Synthetic Homes" if tenure != "owner-occupier" else "",
            permission="given" if tenure in _TENURES[:3] and age > 20 else "",
            permission_requested_on=None,
            permission_on=referral + timedelta(days=5)
            if tenure in _TENURES[:3] and age > 20
            else None,
            consent=True,
            consent_on=referral,
            perpetrator_gone=True,
            perpetrator_gone_on=referral,
            survey_on=referral + timedelta(days=3) if age > 10 else None,
            survey_officer="PC 1000" if age > 10 else "",
            marker_placed=False,
            marker_on=None,
            fire_check=False,
            fire_check_on=None,
            stage=stage,
            **dates,
            outcome="remained in home" if stage == "closed" else "",
            end_reason="",
            postcode_district=rng.choice(_DISTRICTS),
            address="",
            notes="",
        )
        cases.append(case)
        ordered = dates["works_ordered_on"]
        if ordered is None:
            continue
        end = dates["installed_on"] or min(TODAY, ordered + timedelta(days=20))
        for _ in range(max(1, round(rng.gauss(per_case * 1.12, 1.2)))):
            item = rng.randrange(len(_KINDS))
            kind, cost, stocked = _KINDS[item]
            qty = rng.randint(1, 4) if kind == "window lock" else 1
            fitted = ordered + timedelta(days=rng.randint(0, max(0, (end - ordered).days)))
            from_stock = stocked and rng.random() < 0.7
            measure = ctx.shared(
                case_id=case["id"],
                item_id=items[item]["id"],
                quantity=qty,
                contractor_id=rng.choice(firms)["id"],
                unit_cost_pence=cost + rng.randint(-200, 400),
                fitted_on=fitted,
                from_stock=from_stock,
                notes="",
            )
            measures.append(measure)
            if from_stock:
                moves.append(
                    ctx.shared(
                        item_id=items[item]["id"],
                        kind="fitted",
                        quantity=-qty,
                        moved_on=fitted,
                        measure_id=measure["id"],
                        supplier="",
                        unit_cost_pence=None,
                        notes="",
                    )
                )
        if dates["follow_up_on"] is not None:
            visits.append(
                ctx.shared(
                    case_id=case["id"],
                    visit_on=dates["follow_up_on"],
                    by_whom="Co-ordinator",
                    outcome="All measures in place",
                    further_work=False,
                    notes="",
                )
            )
    # Deliveries: enough every quarter to cover what was fitted from stock.
    fitted_by_item: dict[str, int] = {}
    for m in moves:
        fitted_by_item[m["item_id"]] = fitted_by_item.get(m["item_id"], 0) - m["quantity"]
    for item_id, qty in fitted_by_item.items():
        quarters = 23
        for q in range(quarters):
            moves.append(
                ctx.shared(
                    item_id=item_id,
                    kind="delivery",
                    quantity=qty // quarters + (qty % quarters if q == 0 else 0) + 2,
                    moved_on=FIRST + timedelta(days=91 * q),
                    measure_id=None,
                    supplier="Synthetic Hardware Ltd",
                    unit_cost_pence=900,
                    notes="",
                )
            )
    total += ctx.insert(conn, "sanctuary_case", cases)
    total += ctx.insert(conn, "sanctuary_measure", measures)
    total += ctx.insert(conn, "sanctuary_stock_movement", moves)
    total += ctx.insert(conn, "sanctuary_follow_up", visits)
    return total


def run(ctx) -> list[tuple[str, float | int, str]]:  # noqa: ANN001
    import time

    from sqlalchemy import func, select

    from dvcoord.reports import registry
    from dvcoord.reports.registry import ReportRequest
    from dvcoord.services import sanctuary as svc
    from dvcoord.store import Database
    from dvcoord.store.backups import copy_database
    from dvcoord.store.schema.sanctuary import MeasureFitted, SanctuaryCase

    path = copy_database(ctx.large_db(), ctx.tmp / "sanctuary.sqlite")
    db = Database.open(path, user="Bench", backup=False)
    figures: list[tuple[str, float | int, str]] = []
    try:
        with db.session() as s:
            n_cases = s.scalar(select(func.count()).select_from(SanctuaryCase))
            n_measures = s.scalar(select(func.count()).select_from(MeasureFitted))
            agency = s.scalar(
                select(SanctuaryCase.agency_id)
                .where(SanctuaryCase.agency_id.is_not(None))
                .group_by(SanctuaryCase.agency_id)
                .order_by(func.count().desc())
                .limit(1)
            )
            open_case = s.scalar(
                select(SanctuaryCase.id)
                .where(SanctuaryCase.stage == "works ordered")
                .order_by(SanctuaryCase.referral_date.desc())
                .limit(1)
            )
            chain = next(i.id for i in svc.catalogue(s) if i.kind == "door chain")

        def timed(name: str, fn) -> None:  # noqa: ANN001
            def once() -> None:
                with db.session() as s:
                    fn(s)

            figures.append((name, round(ctx.time_ms(once), 1), "ms"))

        timed("sanctuary_cases_all_ms", lambda s: svc.case_rows(s, TODAY))
        timed(
            "sanctuary_cases_filtered_ms",
            lambda s: svc.case_rows(
                s, TODAY, stages=svc.OPEN_STAGES, risk="high", agency_id=agency, fy=2026
            ),
        )
        timed("sanctuary_cases_open_ms", lambda s: svc.case_rows(s, TODAY, stages=svc.OPEN_STAGES))
        timed("sanctuary_waiting_ms", lambda s: svc.waiting_longest(s, TODAY, 10))
        timed("sanctuary_follow_ups_due_ms", lambda s: svc.follow_ups_due(s, TODAY))
        timed("sanctuary_stock_rows_ms", lambda s: svc.stock_rows(s, TODAY))
        timed(
            "sanctuary_times_year_ms",
            lambda s: svc.installation_times(s, date(2025, 4, 1), date(2026, 3, 31)),
        )
        timed("sanctuary_dashboard_ms", lambda s: svc.dashboard_tiles(s, TODAY))
        timed("sanctuary_spend_5y_query_ms", lambda s: svc.spend_summary(s, 2021, 2025))

        kind = registry.get("sanctuary-spend")
        out = ctx.tmp / "sanctuary-spend.pdf"
        seconds = []
        for _ in range(min(ctx.repeat, 3)):
            start = time.perf_counter()
            kind.build(
                db,
                ReportRequest(
                    out=out, today=TODAY, date_from=date(2021, 4, 1), date_to=date(2026, 3, 31)
                ),
            )
            seconds.append(time.perf_counter() - start)
        figures.append(
            ("sanctuary_spend_report_5y_s", round(sorted(seconds)[len(seconds) // 2], 2), "s")
        )
        figures.append(("sanctuary_spend_report_pages", registry.page_count(out), "pages"))

        def fit_one() -> None:
            with db.transaction() as s:
                svc.record_measure(
                    s,
                    case_id=open_case,
                    item_id=chain,
                    quantity=1,
                    unit_cost_pence=1450,
                    fitted_on=TODAY,
                    from_stock=True,
                    today=TODAY,
                )

        if open_case is not None:
            figures.append(("sanctuary_fit_from_stock_ms", round(ctx.time_ms(fit_one), 1), "ms"))
        figures += [
            ("sanctuary_cases", n_cases, "cases"),
            ("sanctuary_measures", n_measures, "measures"),
        ]
    finally:
        db.close()
    return figures
