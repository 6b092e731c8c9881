"""Indicators to and from spreadsheets: export, the round trip into an empty database,
the import preview (add / change / same / skip / error) and bad input."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from dvcoord.errors import DvcoordError
from dvcoord.importers import indicators as X
from dvcoord.services import indicators as I
from dvcoord.store import Database
from dvcoord.store.schema.indicators import IndicatorTarget, IndicatorValue

TODAY = date(2026, 11, 23)


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))


@pytest.fixture
def empty(tmp_path):
    database = Database.create(tmp_path / "empty.sqlite", user="Importer")
    yield database
    database.close()


@pytest.fixture
def two(db):
    """A quarterly percentage and a monthly count, with one value each."""
    with db.transaction() as s:
        sdr = I.create_indicator(
            s,
            code="PI 1",
            name="Sanction detection rate",
            unit="percentage",
            direction="higher",
            period="quarter",
        )
        calls = I.create_indicator(
            s, name="Helpline calls", unit="count", direction="higher", period="month"
        )
        I.set_value(s, sdr.id, "2026/27 Q1", "44.5", today=TODAY)
        I.set_value(s, calls.id, "2026-09", "120", today=TODAY)
    return {"sdr": sdr.id, "calls": calls.id}


def snapshot(db):
    with db.session() as s:
        out = {}
        for row in I.indicator_rows(s, TODAY):
            grid = I.value_grid(s, row.id, TODAY)
            out[row.name] = (
                row.code,
                row.unit,
                row.direction,
                row.period,
                row.data_source,
                row.computed_key,
                sorted(
                    (g.period.key, g.value, g.note, g.target, g.national)
                    for g in grid
                    if g.has_value_row or g.has_target_row
                ),
            )
        return out


def test_export_writes_three_sheets(demo_db, tmp_path):
    out = tmp_path / "ind.xlsx"
    with demo_db.session() as s:
        n = X.export_indicators(s, out, today=TODAY)
    assert n == 16
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Indicators", "Values", "Targets"]
    values = list(wb["Values"].iter_rows(values_only=True))
    assert values[0] == ("Ref", "Indicator", "Period", "Value", "Unit", "Note")
    sdr = [r for r in values if r[0] == "PI 1"]
    assert sdr[-1][2:4] == ("2026/27 Q2", 51.2)
    assert any(r[5] == "Computed by dvcoord" for r in values)
    targets = list(wb["Targets"].iter_rows(values_only=True))
    assert (
        "PI 1",
        "Sanction detection rate for domestic abuse crimes",
        "2026/27",
        40,
        35.6,
        "",
    ) in [tuple(x if x is not None else "" for x in r) for r in targets]
    with pytest.raises(DvcoordError, match="must be an .xlsx"), demo_db.session() as s:
        X.export_indicators(s, tmp_path / "ind.csv")


def test_round_trip_into_an_empty_database(demo_db, empty, tmp_path):
    out = tmp_path / "ind.xlsx"
    with demo_db.session() as s:
        X.export_indicators(s, out, today=TODAY)
    plan, summary = X.import_values_file(empty, out, today=TODAY)
    assert summary is not None and not plan.errors
    assert len(summary.new_indicators) == 16
    mine, theirs = snapshot(empty), snapshot(demo_db)
    assert mine.keys() == theirs.keys()
    for name in mine:
        if mine[name][5]:  # computed: the definition and targets, not figures
            assert mine[name][:6] == theirs[name][:6]
        else:
            assert mine[name] == theirs[name], name
    # a second import changes nothing
    again, nothing = X.import_values_file(empty, out, today=TODAY)
    assert nothing is None and not again.writes and not again.errors


def test_preview_of_new_changed_same_and_bad_rows(db, two, tmp_path):
    path = write_csv(
        tmp_path / "figures.csv",
        [
            ["Ref", "Indicator", "Period", "Value", "Notes", "Target"],
            ["PI 1", "", "2026/27 Q1", "44.5", "", ""],  # same
            ["PI 1", "", "Q2 2026/27", "51.2", "from police", "40"],  # new + target
            ["", "Helpline calls", "Sep 2026", "125", "", ""],  # changed
            ["", "Helpline calls", "2026-10", "ten", "", ""],  # text
            ["PI 1", "", "2026-08", "45", "", ""],  # month for a quarterly indicator
            ["PI 1", "", "2027/28 Q1", "40", "", ""],  # not started
            ["PI 1", "", "2025/26 Q4", "140", "", ""],  # over 100
            ["PI 9", "Unknown measure", "2026/27 Q1", "3", "", ""],  # unknown
            ["", "Helpline calls", "2026-07", "88", "", ""],  # new
            ["", "Helpline calls", "July 2026", "89", "", ""],  # the same month again
            ["PI 1", "", "2026/27", "", "", "42"],  # a target for the year
            ["", "Helpline calls", "2026-06", "", "", ""],  # nothing
        ],
    )
    sheet = X.read_values(path)
    assert dict(sheet.describe_mapping())["Notes"] == "Note"
    with db.session() as s:
        plan = X.plan_import(s, sheet, today=TODAY)
    actions = [r.action for r in plan.rows]
    assert actions == [
        "same",
        "add",
        "update",
        "error",
        "error",
        "error",
        "error",
        "error",
        "add",
        "error",
        "add",
        "error",
    ]
    errors = {r.where.split("row ")[1]: " ".join(r.errors) for r in plan.errors}
    assert "is not a number" in errors["5"]
    assert "reported quarterly" in errors["6"]
    assert "has not started yet" in errors["7"]
    assert "cannot be over 100" in errors["8"]
    assert "no indicator called 'PI 9 Unknown measure'" in errors["9"]
    assert "also on" in errors["11"]
    assert "no value, target or national figure" in errors["13"]
    assert "Replaces 120" in plan.rows[2].warnings[0]
    assert plan.targets == 2
    # nothing is written while there are errors, unless asked
    with pytest.raises(DvcoordError, match="7 row"), db.transaction() as s:
        X.apply_import(s, plan, today=TODAY)
    assert count(db, IndicatorValue) == 2
    with db.transaction() as s:
        summary = X.apply_import(s, plan, skip_errors=True, today=TODAY)
    assert (summary.added, summary.updated, summary.targets) == (2, 1, 2)
    with db.session() as s:
        grid = {g.period.key: g for g in I.value_grid(s, two["sdr"], TODAY)}
    assert grid["2026/27 Q2"].value == 5120 and grid["2026/27 Q2"].note == "from police"
    assert grid["2026/27 Q2"].target == 4000 and grid["2026/27"].target == 4200
    assert count(db, IndicatorTarget) == 2


def test_dry_run_and_files_with_errors_write_nothing(db, two, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [["Indicator", "Period", "Value"], ["Helpline calls", "2026-10", "12.5"]],
    )
    plan, summary = X.import_values_file(db, path, today=TODAY)
    assert summary is None and "whole number" in plan.errors[0].errors[0]
    good = write_csv(
        tmp_path / "good.csv",
        [["Indicator", "Period", "Value"], ["Helpline calls", "2026-10", "12"]],
    )
    plan, summary = X.import_values_file(db, good, dry_run=True, today=TODAY)
    assert summary is None and len(plan.added) == 1
    assert count(db, IndicatorValue) == 2


def test_a_spreadsheet_fraction_for_a_percentage_is_flagged(db, two, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Quarter", "Actual"])
    ws.append(["PI 1", "2026/27 Q2", 0.512])
    wb.save(tmp_path / "f.xlsx")
    with db.session() as s:
        plan = X.plan_import(s, X.read_values(tmp_path / "f.xlsx"), today=TODAY)
    (row,) = plan.rows
    assert row.action == "add" and row.value == 51
    assert "fraction" in row.warnings[0]


def test_computed_figures_are_not_imported_but_their_targets_are(db, tmp_path):
    with db.transaction() as s:
        ind = I.create_indicator(s, computed_key="alarms.issued")
    path = write_csv(
        tmp_path / "c.csv",
        [
            ["Indicator", "Period", "Value", "Target"],
            [ind.name, "2026/27 Q1", "12", ""],
            [ind.name, "2026/27", "", "80"],
        ],
    )
    with db.session() as s:
        plan = X.plan_import(s, X.read_values(path), today=TODAY)
    assert [r.action for r in plan.rows] == ["skip", "add"]
    assert "computed by dvcoord" in plan.rows[0].warnings[0]
    with db.transaction() as s:
        X.apply_import(s, plan, today=TODAY)
    assert count(db, IndicatorValue) == 0 and count(db, IndicatorTarget) == 1


def test_a_file_without_a_table_of_figures_is_refused(tmp_path):
    path = write_csv(tmp_path / "x.csv", [["Name", "Address"], ["a", "b"]])
    with pytest.raises(DvcoordError, match="No table of figures"):
        X.read_values(path)
