"""Panic-alarm stock to and from spreadsheets: export, import preview, errors, round trip."""

from __future__ import annotations

import csv
from dataclasses import asdict
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from dvcoord.errors import DvcoordError
from dvcoord.importers import alarms as X
from dvcoord.services import alarms as A
from dvcoord.store import Database
from dvcoord.store.schema.alarms import Alarm, Loan
from dvcoord.store.schema.plans import Agency

TODAY = date(2026, 11, 23)
COMPARED = (
    "asset_tag",
    "serial_number",
    "type_name",
    "sim_number",
    "status",
    "owner_agency",
    "storage_location",
    "purchase_date",
    "warranty_end",
    "last_test",
    "next_test_due",
    "battery_due",
    "loan_agency_name",
    "case_reference",
    "issued_date",
    "review_date",
    "notes",
)


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def count(db, model):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def empty(tmp_path):
    database = Database.create(tmp_path / "empty.sqlite", user="Importer")
    yield database
    database.close()


def test_round_trip_of_the_demo_stock(demo_db, empty, tmp_path):
    out = tmp_path / "stock.xlsx"
    with demo_db.session() as s:
        assert X.export_inventory(s, out, include_case_references=True) == 50
        before = [{k: asdict(r)[k] for k in COMPARED} for r in A.inventory(s)]
        types_before = {
            t.name: (t.test_interval_days, t.battery_life_months, t.has_sim, t.supplier)
            for t in A.alarm_types(s)
        }
    plan, summary = X.import_inventory_file(empty, out, today=TODAY)
    assert plan.errors == []
    assert summary is not None and summary.added == 50
    assert summary.loans == sum(1 for r in before if r["case_reference"])
    with empty.session() as s:
        after = [{k: asdict(r)[k] for k in COMPARED} for r in A.inventory(s)]
        types_after = {
            t.name: (t.test_interval_days, t.battery_life_months, t.has_sim, t.supplier)
            for t in A.alarm_types(s)
        }
    assert types_after == types_before  # read from the "Alarm types" sheet
    assert after == before


def test_export_leaves_out_case_references_by_default(demo_db, tmp_path):
    out = tmp_path / "stock.xlsx"
    with demo_db.session() as s:
        X.export_inventory(s, out)
        refs = {r.case_reference for r in A.inventory(s) if r.case_reference}
    assert refs
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Inventory", "Alarm types"]
    cells = {str(c) for row in wb["Inventory"].iter_rows(values_only=True) for c in row}
    assert "Case reference" not in cells
    assert not refs & cells
    wb.close()


def test_export_needs_xlsx_name(demo_db, tmp_path):
    with demo_db.session() as s, pytest.raises(DvcoordError, match=r"\.xlsx"):
        X.export_inventory(s, tmp_path / "stock.csv")


def test_import_without_case_references_reports_issued_rows(demo_db, empty, tmp_path):
    out = tmp_path / "stock.xlsx"
    with demo_db.session() as s:
        X.export_inventory(s, out)
    plan, summary = X.import_inventory_file(empty, out, today=TODAY)
    assert summary is None
    assert plan.errors and all("needs its case reference" in r.errors[0] for r in plan.errors)
    assert count(empty, Alarm) == 0  # a plan with errors writes nothing
    plan, summary = X.import_inventory_file(empty, out, skip_errors=True, today=TODAY)
    assert summary.added == len(plan.to_add) == 50 - len(plan.errors)
    assert count(empty, Loan) == 0


def test_messy_csv_preview_and_errors(db, tmp_path):
    with db.transaction() as s:
        pendant = A.create_alarm_type(s, name="Pendant", test_interval_days=90)
        A.create_alarm(s, asset_tag="OLD-1", type_id=pendant.id, serial_number="SER-9", today=TODAY)
        s.add(Agency(name="Kent Police", short_name="KP"))
    path = write_csv(
        tmp_path / "stock.csv",
        [
            ["West Kent panic alarms"],
            [],
            [
                "Asset No.",
                "Serial",
                "Device type",
                "SIM",
                "Current status",
                "Date purchased",
                "Case ref",
                "On loan to",
                "Date issued",
            ],
            ["A-1", "S-1", "pendant", "", "In stock", "01/02/2024", "", "", ""],
            [
                "A-2",
                "S-2",
                "Mobile",
                "07700 900111",
                "on loan",
                "2024-03-05",
                "MARAC-2025-001",
                "KP",
                "05/11/2026",
            ],
            ["A-3", "S-3", "Pendant", "07700 900222", "available"],  # SIM on a pendant
            ["A-1", "S-4", "Pendant"],  # duplicate tag in the file
            ["A-5", "SER-9", "Pendant"],  # serial already in the database
            ["A-6", "S-6", "Pendant", "", "borrowed"],  # unknown status
            ["A-7", "S-7", "Pendant", "", "", "31/02/2024"],  # impossible date
            ["A-8", "S-8", "Pendant", "", "issued"],  # issued without a loan
            ["OLD-1", "S-9", "Pendant"],  # already in the database
            ["A-10", "S-10", ""],  # no type
            ["A-11", "S-11", "Pendant", "", "issued", "", "Jane Smith", "Oasis"],  # no date
            ["A-12", "S-12", "Pendant", "", "", "", "", "", "01/12/2026"],  # future date
            [],
        ],
    )
    sheet = X.read_inventory(path)
    assert sheet.header_row == 2
    fields = dict(sheet.mapping.describe())
    assert fields["Asset No."] == "asset_tag" and fields["Device type"] == "type"
    assert fields["On loan to"] == "loan_agency"
    with db.session() as s:
        plan = X.plan_import(s, sheet, today=TODAY)
    by_tag = {}
    for row in plan.rows:
        by_tag.setdefault(row.asset_tag, []).append(row)
    assert [r.action for r in by_tag["A-1"]] == ["add", "error"]
    assert "also on" in by_tag["A-1"][1].errors[0] and "row 4" in by_tag["A-1"][1].errors[0]
    assert by_tag["A-2"][0].action == "add"
    assert "no SIM card" in by_tag["A-3"][0].errors[0]
    assert "serial number 'SER-9'" in by_tag["A-5"][0].errors[0]
    assert "not a status" in by_tag["A-6"][0].errors[0]
    assert "31/02/2024" in by_tag["A-7"][0].errors[0]
    assert (
        "needs its case reference, agency it is issued to, issue date" in by_tag["A-8"][0].errors[0]
    )
    assert by_tag["OLD-1"][0].action == "skip"
    assert "type is empty" in by_tag["A-10"][0].errors[0]
    assert by_tag["A-11"][0].errors == ["An alarm that is issued needs its issue date."]
    assert "in the future" in by_tag["A-12"][0].errors[0]
    assert any("name" in w for w in by_tag["A-11"][0].warnings)
    assert plan.new_types == ["Mobile"]
    assert plan.new_agencies == ["Oasis"]
    assert [r.where for r in plan.errors][0] == "stock.csv, row 6"
    with db.transaction() as s, pytest.raises(DvcoordError, match="have errors"):
        X.apply_import(s, plan, today=TODAY)
    assert count(db, Alarm) == 1
    with db.transaction() as s:
        summary = X.apply_import(s, plan, skip_errors=True, today=TODAY)
    assert (summary.added, summary.loans, summary.skipped) == (2, 1, 1)
    assert summary.new_types == ("Mobile",) and summary.new_agencies == ()
    with db.session() as s:
        rows = {r.asset_tag: r for r in A.inventory(s)}
        mobile = next(t for t in A.alarm_types(s) if t.name == "Mobile")
    assert mobile.has_sim  # a row gave it a SIM number
    assert rows["A-2"].status == "issued" and rows["A-2"].loan_agency == "KP"
    assert rows["A-2"].case_reference == "MARAC-2025-001"
    assert rows["A-2"].issued_date == date(2026, 11, 5)
    assert rows["A-2"].review_date == date(2027, 2, 5)  # issue + 3 months
    assert rows["A-1"].purchase_date == date(2024, 2, 1)


def test_mapping_can_be_changed_before_planning(db, tmp_path):
    path = write_csv(
        tmp_path / "stock.csv",
        [
            ["Tag", "Kind", "Where"],
            ["B-1", "Pendant", "Safe"],
        ],
    )
    sheet = X.read_inventory(path)
    assert sheet.mapping.get("type") is None
    sheet.mapping.assign("type", 1)
    sheet.mapping.assign("storage_location", 2)
    with db.session() as s:
        plan = X.plan_import(s, sheet, today=TODAY)
    assert [r.action for r in plan.rows] == ["add"]
    assert plan.rows[0].values["storage_location"] == "Safe"
    assert ("Kind", "Type") in plan.mapping


def test_dry_run_writes_nothing(db, tmp_path):
    path = write_csv(tmp_path / "stock.csv", [["Asset tag", "Type"], ["C-1", "Pendant"]])
    plan, summary = X.import_inventory_file(db, path, dry_run=True, today=TODAY)
    assert summary is None and len(plan.to_add) == 1
    assert count(db, Alarm) == 0


def test_file_without_asset_tags_is_refused(db, tmp_path):
    path = write_csv(tmp_path / "stock.csv", [["Name", "Address"], ["x", "y"]])
    with pytest.raises(DvcoordError, match="Asset tag"):
        X.read_inventory(path)


def test_formula_like_text_survives_the_round_trip(db, empty, tmp_path):
    with db.transaction() as s:
        t = A.create_alarm_type(s, name="Pendant")
        A.create_alarm(s, asset_tag="=1+1", type_id=t.id, notes="@SUM(A1)", today=TODAY)
    out = tmp_path / "stock.xlsx"
    with db.session() as s:
        X.export_inventory(s, out)
    wb = load_workbook(out)
    cell = wb["Inventory"]["A2"]
    assert cell.value == "=1+1" and cell.data_type == "s"
    X.import_inventory_file(empty, out, today=TODAY)
    with empty.session() as s:
        row = A.inventory(s)[0]
    assert (row.asset_tag, row.notes) == ("=1+1", "@SUM(A1)")


def test_xlsx_with_real_dates_and_booleans(db, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "Asset tag",
            "Type",
            "Purchase date",
            "Status",
            "Case reference",
            "Issued to",
            "Issued",
            "MARAC",
        ]
    )
    ws.append(
        [
            "D-1",
            "Pendant",
            date(2025, 5, 1),
            "Issued",
            "MARAC-2026-044",
            "Kent Police",
            date(2026, 10, 1),
            True,
        ]
    )
    path = tmp_path / "stock.xlsx"
    wb.save(path)
    plan, summary = X.import_inventory_file(db, path, today=TODAY)
    assert summary.loans == 1
    with db.session() as s:
        loan = s.scalars(select(Loan)).one()
    assert loan.marac and loan.review_date == date(2027, 1, 1)
    assert loan.issued_date == date(2026, 10, 1)
