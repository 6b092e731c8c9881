"""The training commands as a user runs them: export, import (dry run, errors, skip),
and the three report kinds."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

pytestmark = pytest.mark.slow


def test_export_then_import_into_a_new_database(run, demo_path, db, tmp_path):
    out = tmp_path / "training.xlsx"
    result = run("training-export", "--db", demo_path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "member(s) of staff was written to" in result.stdout
    assert "Matrix" in load_workbook(out, read_only=True).sheetnames
    target = db.path
    db.close()
    result = run("training-import", out, "--db", target, "--dry-run")
    assert result.returncode == 0, result.stdout
    assert "Sheet 'Attendance': Session date" in result.stdout
    assert "Another trainee is called" in result.stdout  # the shared name, shown
    assert "Dry run: nothing was written." in result.stdout
    result = run("training-import", out, "--db", target)
    assert result.returncode == 0, result.stdout
    assert "Imported 150 new trainee(s)" in result.stdout
    result = run("training-import", out, "--db", target)
    assert "Nothing to import" in result.stdout


def test_import_with_errors(run, demo_path, tmp_path):
    bad = tmp_path / "list.csv"
    with open(bad, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ["Name", "Agency", "Course", "Date", "Outcome"],
                ["New Starter", "Kent Police", "AWR-1", "02/11/2026", "attended"],
                ["Odd Date", "Kent Police", "AWR-1", "31/02/2026", "attended"],
            ]
        )
    result = run("training-import", bad, "--db", demo_path)
    assert result.returncode == 1
    assert "ERROR list.csv, row 3 (Odd Date" in result.stdout
    assert "February 2026 has 28 days" in result.stdout
    assert "Nothing was written" in result.stdout
    result = run("training-import", bad, "--db", demo_path, "--skip-errors")
    assert result.returncode == 0, result.stdout
    assert "Imported 1 new trainee(s), 1 attendance record(s)" in result.stdout
    missing = run("training-import", tmp_path / "nope.csv", "--db", demo_path)
    assert missing.returncode != 0 and "does not exist" in missing.stderr + missing.stdout


@pytest.mark.parametrize("kind", ["training-matrix", "training-compliance", "training-sessions"])
def test_report_kinds(run, demo_path, tmp_path, kind):
    out = tmp_path / f"{kind}.pdf"
    result = run("report", kind, "--db", demo_path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert out.is_file() and "pages)" in result.stdout
    assert len(PdfReader(out).pages) >= 2


def test_report_list_names_the_training_kinds(run):
    result = run("report", "--list")
    assert "Training:" in result.stdout
    for kind in ("training-matrix", "training-compliance", "training-sessions"):
        assert kind in result.stdout
