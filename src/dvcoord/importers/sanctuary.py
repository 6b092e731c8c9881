"""Sanctuary Scheme cases and spend out to spreadsheets (.xlsx).

:func:`export_cases` writes every case (one row each, with its checklist, stage dates,
outcome, measures and spend) and every measure fitted; :func:`export_spend` writes the
spend by financial year and quarter, by year and by item.

Data minimisation, as in the reports:

* case references only when asked (``with_case_references``; the file then needs
  OFFICIAL-SENSITIVE handling) – without them the two sheets are linked by a row number
  that means nothing outside the file;
* locations only when asked (``with_locations``): the postcode district, and the full
  address only where the database records addresses at all (setting off: never);
* no notes or other free text of a case.

Files are written atomically and safe against formula injection
(:func:`~dvcoord.importers.tabular.write_xlsx`).  Cell contents are never logged.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dvcoord.errors import DvcoordError
from dvcoord.importers.tabular import SheetSpec, write_xlsx
from dvcoord.services import sanctuary as svc
from dvcoord.services.dates import fy_label
from dvcoord.store.schema.plans import Agency
from dvcoord.store.schema.sanctuary import (
    STAGE_DATE_COLUMNS,
    Contractor,
    HardwareItem,
    MeasureFitted,
    SanctuaryCase,
)

log = logging.getLogger(__name__)

__all__ = ["export_cases", "export_spend"]

PERMISSION_WORDS = {"": "", "requested": "Requested", "given": "Given", "refused": "Refused"}


def _xlsx(path: Path | str) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise DvcoordError(f"'{path.name}' must be an .xlsx file name.")
    return path


def _pounds(pence: int | None) -> float | None:
    return None if pence is None else round(pence / 100, 2)


def export_cases(
    session: Session,
    path: Path | str,
    *,
    today: date | None = None,
    with_case_references: bool = False,
    with_locations: bool = False,
) -> int:
    """Write every case and every measure fitted to ``path``; the number of cases."""
    path = _xlsx(path)
    today = today or date.today()
    rows = {r.case_id: r for r in svc.case_rows(session, today)}
    addresses = svc.case_addresses(session) if with_locations else {}
    show_address = with_locations and svc.address_enabled(session)
    cases = list(
        session.scalars(
            select(SanctuaryCase)
            .where(SanctuaryCase.deleted_at.is_(None))
            .order_by(SanctuaryCase.referral_date, SanctuaryCase.reference)
        )
    )
    agencies = dict(session.execute(select(Agency.id, Agency.name)).all())
    header: list[str] = ["Row"]
    if with_case_references:
        header.append("Case reference")
    header += [
        "Referring agency",
        "Referring officer",
        "Referral date",
        "Risk level",
        "MARAC",
        "Tenure",
        "Landlord",
        "Landlord's permission",
        "Permission requested",
        "Permission given or refused",
        "Consent recorded",
        "Consent date",
        "Perpetrator no longer lives there",
        "Confirmed on",
        "Police survey",
        "Survey officer",
        "Address marker placed",
        "Fire-safety check done",
        "Still missing before works",
        "Stage",
        *[svc.STAGE_LABELS[s] for s in svc.STAGES[1:]],
        "Outcome",
        "Days referral to installation",
        "Measures",
        "Spend (£)",
    ]
    if with_locations:
        header.append("Postcode district")
    if show_address:
        header.append("Address")
    number: dict[str, int] = {}
    data = []
    for n, c in enumerate(cases, start=1):
        number[c.id] = n
        row = rows.get(c.id)
        values: list[Any] = [n]
        if with_case_references:
            values.append(c.reference)
        values += [
            agencies.get(c.agency_id, ""),
            c.referring_officer,
            c.referral_date,
            c.risk_level.capitalize(),
            c.marac,
            c.tenure.capitalize(),
            c.landlord,
            PERMISSION_WORDS.get(c.permission, c.permission)
            or ("Not needed" if c.tenure not in svc.RENTED_TENURES else ""),
            c.permission_requested_on,
            c.permission_on,
            c.consent,
            c.consent_on,
            c.perpetrator_gone,
            c.perpetrator_gone_on,
            c.survey_on,
            c.survey_officer,
            c.marker_placed,
            c.fire_check,
            "; ".join(svc.missing_for_works(c)) if c.stage in svc.WAITING_STAGES[:3] else "",
            svc.STAGE_LABELS.get(c.stage, c.stage),
            *[getattr(c, STAGE_DATE_COLUMNS[s]) for s in svc.STAGES[1:]],
            c.outcome.capitalize(),
            (c.installed_on - c.referral_date).days if c.installed_on else None,
            row.measures if row else 0,
            _pounds(row.spend_pence if row else 0),
        ]
        if with_locations:
            values.append(c.postcode_district)
        if show_address:
            values.append(addresses.get(c.id, ""))
        data.append(values)
    measure_header = ["Case row"] + (["Case reference"] if with_case_references else [])
    measure_header += [
        "Item",
        "Kind",
        "Quantity",
        "Unit cost (£)",
        "Cost (£)",
        "Contractor",
        "Fitted on",
        "From stock",
    ]
    refs = {c.id: c.reference for c in cases}
    measure_rows = []
    for case_id, item, kind, qty, unit, contractor, fitted, from_stock in session.execute(
        select(
            MeasureFitted.case_id,
            HardwareItem.name,
            HardwareItem.kind,
            MeasureFitted.quantity,
            MeasureFitted.unit_cost_pence,
            Contractor.name,
            MeasureFitted.fitted_on,
            MeasureFitted.from_stock,
        )
        .join(HardwareItem, HardwareItem.id == MeasureFitted.item_id)
        .outerjoin(Contractor, Contractor.id == MeasureFitted.contractor_id)
        .where(MeasureFitted.deleted_at.is_(None))
        .order_by(MeasureFitted.fitted_on, MeasureFitted.created_at)
    ):
        if case_id not in number:
            continue
        values = [number[case_id]] + ([refs[case_id]] if with_case_references else [])
        values += [
            item,
            kind.capitalize(),
            qty,
            _pounds(unit),
            _pounds(qty * unit),
            contractor or "",
            fitted,
            bool(from_stock),
        ]
        measure_rows.append(values)
    write_xlsx(
        path,
        [
            SheetSpec("Cases", header, data),
            SheetSpec("Measures fitted", measure_header, measure_rows),
        ],
    )
    log.info(
        "sanctuary cases exported: %d cases, %d measures to %s",
        len(data),
        len(measure_rows),
        path.name,
    )
    return len(data)


def export_spend(session: Session, path: Path | str, fy_from: int, fy_to: int) -> int:
    """Write the spend of financial years ``fy_from``..``fy_to``; the number of years."""
    path = _xlsx(path)
    sm = svc.spend_summary(session, fy_from, fy_to)
    years = list(range(fy_from, fy_to + 1))
    by_year = [
        [
            fy_label(y),
            sm.years[y].measures,
            sm.years[y].items,
            sm.years[y].cases,
            _pounds(sm.years[y].spend_pence),
            _pounds(sm.stock_bought.get(y, 0)),
        ]
        for y in years
    ]
    by_quarter = [
        [
            fy_label(y),
            f"Q{q}",
            sm.quarters[(y, q)].measures,
            sm.quarters[(y, q)].items,
            sm.quarters[(y, q)].cases,
            _pounds(sm.quarters[(y, q)].spend_pence),
        ]
        for y in years
        for q in (1, 2, 3, 4)
    ]
    by_item = [
        [
            fy_label(r.fy),
            r.item,
            r.kind.capitalize(),
            r.measures,
            r.quantity,
            r.cases,
            _pounds(r.spend_pence),
        ]
        for r in sm.items
    ]
    write_xlsx(
        path,
        [
            SheetSpec(
                "By year",
                ["Financial year", "Measures", "Items", "Homes", "Spend (£)", "Stock bought (£)"],
                by_year,
            ),
            SheetSpec(
                "By quarter",
                ["Financial year", "Quarter", "Measures", "Items", "Homes", "Spend (£)"],
                by_quarter,
            ),
            SheetSpec(
                "By item",
                [
                    "Financial year",
                    "Item",
                    "Kind",
                    "Measures",
                    "Quantity",
                    "Homes",
                    "Spend (£)",
                ],
                by_item,
            ),
        ],
    )
    log.info("sanctuary spend exported: %d years to %s", len(years), path.name)
    return len(years)
