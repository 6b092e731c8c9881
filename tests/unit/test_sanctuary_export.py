"""Sanctuary Scheme cases and spend to .xlsx: what is in the file and what is left out."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dvcoord.errors import DvcoordError
from dvcoord.importers import sanctuary as X
from dvcoord.services import sanctuary as S
from dvcoord.store.schema.sanctuary import SanctuaryCase

TODAY = date(2026, 11, 23)


def cells(path, sheet: str) -> list[tuple]:
    wb = load_workbook(path, read_only=True)
    try:
        return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def flat(rows) -> set[str]:
    return {str(c) for row in rows for c in row if c is not None}


def test_cases_export_leaves_out_references_and_locations_by_default(demo_db, tmp_path):
    out = tmp_path / "cases.xlsx"
    with demo_db.session() as s:
        n = X.export_cases(s, out, today=TODAY)
        cases = list(s.scalars(select(SanctuaryCase)))
    assert n == len(cases)
    rows = cells(out, "Cases")
    header, body = rows[0], rows[1:]
    assert len(body) == n and header[0] == "Row"
    assert "Case reference" not in header and "Postcode district" not in header
    values = flat(rows) | flat(cells(out, "Measures fitted"))
    assert not {c.reference for c in cases} & values
    assert not {"TN13", "TN14", "TN15", "TN16", "TN8", "BR8"} & values
    assert not any(c.notes and c.notes in values for c in cases)  # no free text at all
    spend = header.index("Spend (£)")
    with demo_db.session() as s:
        total = sum(r.spend_pence for r in S.case_rows(s, TODAY))
    assert round(sum(r[spend] for r in body) * 100) == total


def test_cases_export_with_references_and_locations(demo_db, tmp_path):
    with demo_db.transaction() as s:
        case = s.scalars(select(SanctuaryCase).limit(1)).one()
        S.set_address_enabled(s, True)
        S.update_case(s, case.id, address="12 Acacia Avenue", today=TODAY)
    out = tmp_path / "full.xlsx"
    with demo_db.session() as s:
        X.export_cases(s, out, today=TODAY, with_case_references=True, with_locations=True)
    rows = cells(out, "Cases")
    header = rows[0]
    assert {"Case reference", "Postcode district", "Address"} <= set(header)
    by_ref = {r[header.index("Case reference")]: r for r in rows[1:]}
    assert by_ref[case.reference][header.index("Address")] == "12 Acacia Avenue"
    assert by_ref[case.reference][header.index("Postcode district")] == case.postcode_district
    measures = cells(out, "Measures fitted")
    assert measures[0][:2] == ("Case row", "Case reference")
    # References only, without locations: no address column whatever the setting.
    out2 = tmp_path / "refs.xlsx"
    with demo_db.session() as s:
        X.export_cases(s, out2, today=TODAY, with_case_references=True)
    assert "12 Acacia Avenue" not in flat(cells(out2, "Cases"))
    assert "Address" not in cells(out2, "Cases")[0]


def test_locations_without_the_address_setting_give_districts_only(demo_db, tmp_path):
    out = tmp_path / "loc.xlsx"
    with demo_db.session() as s:
        X.export_cases(s, out, today=TODAY, with_locations=True)
    header = cells(out, "Cases")[0]
    assert "Postcode district" in header and "Address" not in header


def test_spend_export(demo_db, tmp_path):
    out = tmp_path / "spend.xlsx"
    with demo_db.session() as s:
        assert X.export_spend(s, out, 2025, 2026) == 2
        summary = S.spend_summary(s, 2025, 2026)
    years = cells(out, "By year")
    assert years[0][0] == "Financial year"
    assert [(r[0], round(r[4] * 100)) for r in years[1:]] == [
        ("2025/26", summary.years[2025].spend_pence),
        ("2026/27", summary.years[2026].spend_pence),
    ]
    quarters = cells(out, "By quarter")
    assert len(quarters) == 1 + 8 and quarters[1][:2] == ("2025/26", "Q1")
    items = cells(out, "By item")
    assert len(items) == 1 + len(summary.items)


def test_export_needs_an_xlsx_name(demo_db, tmp_path):
    with demo_db.session() as s, pytest.raises(DvcoordError, match=r"\.xlsx"):
        X.export_cases(s, tmp_path / "cases.csv")
