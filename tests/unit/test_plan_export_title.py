"""An exported plan workbook carries the plan's title, partnership and periods (document
properties), and importing it into a fresh database gives the plan back its title."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from dvcoord.importers import plan_export as px
from dvcoord.importers.plan_import import default_agency_map, parse_plan, write_plan
from dvcoord.importers.tabular import SheetSpec, read_tables, write_xlsx
from dvcoord.services import plans as plan_service
from dvcoord.store import Database
from dvcoord.store.schema.plans import Plan

TODAY = date(2026, 11, 23)


def _plan(db, title_start: str) -> Plan:
    with db.session() as s:
        plan = next(p for p in plan_service.list_plans(s) if p.title.startswith(title_start))
        s.expunge(plan)
        return plan


@pytest.mark.parametrize(
    ("first", "last", "text"),
    [
        (2026, 2026, "2026/27"),
        (2025, 2027, "2025/26 to 2027/28"),
        (1999, 2000, "1999/00 to 2000/01"),
        (2025, None, "from 2025/26"),
        (None, 2027, "to 2027/28"),
        (None, None, ""),
    ],
)
def test_period_words_round_trip(first, last, text):
    assert px.period_text(first, last) == text
    if text:
        assert px.parse_period(text) == (first, last)


@pytest.mark.parametrize(
    "text", ["2026/28", "2027/28 to 2025/26", "from 2025/26 to 2026/27", "soon", "2026"]
)
def test_words_that_are_not_a_period(text):
    assert px.parse_period(text) is None


def test_export_then_import_into_a_fresh_database_keeps_title_partnership_periods(
    demo_db, tmp_path
):
    demo_db.user = "Sam Patel"  # as opened for the officer
    original = _plan(demo_db, "Sevenoaks")
    assert original.plan_from_fy is not None and original.strategy_from_fy is not None
    out = tmp_path / "for-partners.xlsx"  # a file name that says nothing of the plan
    px.export_plan(demo_db, original.id, out)

    props = openpyxl.load_workbook(out, read_only=True).properties
    assert props.title == original.title
    assert props.creator == props.lastModifiedBy == "Sam Patel"
    assert original.partnership in props.subject
    ws = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    assert next(ws.iter_rows(max_row=1, values_only=True))[0] == "Theme"  # still a table

    fresh = Database.create(tmp_path / "fresh.sqlite", user="Jo Bloggs")
    try:
        parsed = parse_plan(out, db=fresh, today=TODAY)
        assert parsed.title == original.title and parsed.title_source == "properties"
        summary = write_plan(fresh, parsed, agency_map=default_agency_map(parsed))
        with fresh.session() as s:
            back = s.get(Plan, summary.plan_id)
            got = (
                back.title,
                back.partnership,
                back.plan_from_fy,
                back.plan_to_fy,
                back.strategy_from_fy,
                back.strategy_to_fy,
            )
    finally:
        fresh.close()
    assert got == (
        original.title,
        original.partnership,
        original.plan_from_fy,
        original.plan_to_fy,
        original.strategy_from_fy,
        original.strategy_to_fy,
    )


def test_plan_title_given_still_wins(demo_db, db, tmp_path):
    original = _plan(demo_db, "Sevenoaks")
    out = tmp_path / "plan.xlsx"
    px.export_plan(demo_db, original.id, out, single_sheet=True)
    parsed = parse_plan(out, db=db, today=TODAY)
    summary = write_plan(
        db, parsed, plan_title="Chosen title", agency_map=default_agency_map(parsed)
    )
    assert summary.plan_title == "Chosen title"


def test_csv_stays_a_plain_table_titled_from_its_name(demo_db, db, tmp_path):
    original = _plan(demo_db, "Sevenoaks")
    out = tmp_path / "sevenoaks_plan.csv"
    px.export_plan(demo_db, original.id, out)
    assert out.read_text(encoding="utf-8-sig").startswith('"Theme","Ref","Action"')
    assert read_tables(out).properties == {}
    parsed = parse_plan(out, db=db, today=TODAY)
    assert (parsed.title, parsed.title_source) == ("sevenoaks plan", "file name")
    assert parsed.plan_from_fy is None


def _workbook(path, properties, first_rows=()):
    rows = [*first_rows]
    write_xlsx(
        path,
        [
            SheetSpec(
                title="Actions",
                header=["Ref", "Action", "Lead agency", "Target date"],
                rows=[*rows, ["1.1", "Run a DA awareness week", "Kent Police", "March 2027"]],
            )
        ],
        properties=properties,
    )
    return path


def test_excel_title_property_of_any_workbook_is_used(db, tmp_path):
    path = _workbook(tmp_path / "book1.xlsx", {"title": "Tonbridge DA Action Plan 2027/28"})
    parsed = parse_plan(path, db=db, today=TODAY)
    assert (parsed.title, parsed.title_source) == ("Tonbridge DA Action Plan 2027/28", "properties")
    assert parsed.partnership == "" and parsed.plan_from_fy is None


def test_dvcoord_properties_beat_excel_title_and_a_bad_period_is_a_warning(db, tmp_path):
    path = _workbook(
        tmp_path / "book1.xlsx",
        {
            "title": "Edited in Excel",
            px.PROP_TITLE: "Our plan",
            px.PROP_PARTNERSHIP: "West Kent CSP",
            px.PROP_PLAN_PERIOD: "sometime",
            px.PROP_STRATEGY_PERIOD: "2025/26 to 2027/28",
        },
    )
    parsed = parse_plan(path, db=db, today=TODAY)
    assert (parsed.title, parsed.partnership) == ("Our plan", "West Kent CSP")
    assert (parsed.strategy_from_fy, parsed.strategy_to_fy) == (2025, 2027)
    assert parsed.plan_from_fy is None
    assert any("'sometime'" in str(w) for w in parsed.warnings)


def test_a_title_written_in_the_cells_beats_the_properties(db, tmp_path):
    path = tmp_path / "book1.xlsx"
    write_xlsx(
        path,
        [
            SheetSpec(
                title="Actions",
                header=["Plan title", "Ashford DA Plan"],
                rows=[
                    [],
                    ["Ref", "Action", "Lead agency", "Target date"],
                    ["1.1", "Run a DA awareness week", "Kent Police", "March 2027"],
                ],
                freeze_header=False,
                auto_filter=False,
            )
        ],
        properties={px.PROP_TITLE: "From the properties"},
    )
    parsed = parse_plan(path, db=db, today=TODAY)
    assert (parsed.title, parsed.title_source) == ("Ashford DA Plan", "file")


def test_properties_are_cleaned_and_empty_ones_left_out(tmp_path):
    path = _workbook(
        tmp_path / "p.xlsx", {"title": " Plan\x01 A ", "subject": "", "x custom": "  "}
    )
    found = read_tables(path).properties
    assert found.get("title") == "Plan A"
    assert "subject" not in found and "x custom" not in found
    wb = openpyxl.load_workbook(path, read_only=True)
    assert [p.name for p in wb.custom_doc_props] == []
