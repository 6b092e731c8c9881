"""The panic-alarm commands as a user runs them: export, import (dry run, errors), reports."""

from __future__ import annotations

import csv

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow


def test_export_import_and_reports(run, demo_path, db, tmp_path):
    out = tmp_path / "stock.xlsx"
    result = run("alarms-export", "--db", demo_path, "-o", out, "--with-case-references")
    assert result.returncode == 0, result.stderr
    assert "50 alarm(s) written" in result.stdout and "OFFICIAL-SENSITIVE" in result.stdout
    assert out.is_file()

    target = db.path
    db.close()
    result = run("alarms-import", out, "--db", target, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Asset tag" in result.stdout and "-> Asset tag" in result.stdout
    assert (
        "50 alarm(s) to add" in result.stdout and "Dry run: nothing was written." in result.stdout
    )

    result = run("alarms-import", out, "--db", target)
    assert result.returncode == 0, result.stderr
    assert "Imported 50 alarm(s)" in result.stdout
    result = run("alarms-import", out, "--db", target)  # again: everything is already there
    assert "0 alarm(s) to add" in result.stdout and "50 already in the database" in result.stdout

    pdf = tmp_path / "loans.pdf"
    result = run("report", "alarms-loans", "--db", target, "-o", pdf, "--redact")
    assert result.returncode == 0, result.stderr
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "OFFICIAL-SENSITIVE" in text and "MARAC-20" not in text

    result = run("report", "--list")
    for kind in ("alarms-stock", "alarms-loans", "alarms-due", "alarms-activity"):
        assert kind in result.stdout


def test_import_with_errors_writes_nothing(run, db, tmp_path):
    path = tmp_path / "bad.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [["Asset tag", "Type", "Status"], ["A-1", "Pendant", "on loan"], ["A-2", "Pendant", ""]]
        )
    target = db.path
    db.close()
    result = run("alarms-import", path, "--db", target)
    assert result.returncode == 1
    assert "ERROR bad.csv, row 2 (A-1): An alarm that is issued needs its case reference" in (
        result.stdout
    )
    assert "Nothing was written" in result.stdout
    result = run("alarms-import", path, "--db", target, "--skip-errors")
    assert result.returncode == 0
    assert "Imported 1 alarm(s)" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("alarms-export", "--db", "{tmp}/missing.sqlite", "-o", "{tmp}/x.xlsx"),
        ("alarms-import", "{tmp}/missing.csv", "--db", "{db}"),
        ("alarms-export", "--db", "{db}", "-o", "{tmp}/x.csv"),
    ],
)
def test_errors_are_one_line(run, db, tmp_path, args):
    target = db.path
    db.close()
    result = run(*(a.format(tmp=tmp_path, db=target) for a in args))
    assert result.returncode != 0
    assert result.stderr.startswith("dvcoord: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
