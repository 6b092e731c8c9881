"""The indicator commands as a user runs them: export, import (dry run, errors, for
real), and the two reports."""

from __future__ import annotations

import csv

import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow


def test_export_import_and_reports(run, demo_path, db, tmp_path):
    out = tmp_path / "indicators.xlsx"
    result = run("indicators-export", "--db", demo_path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "16 indicator(s) with their values and targets written" in result.stdout

    target = db.path
    db.close()
    result = run("indicators-import", out, "--db", target, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Period                         -> Period" in result.stdout
    assert "Dry run: nothing was written." in result.stdout
    assert "New indicators: " in result.stdout

    result = run("indicators-import", out, "--db", target)
    assert result.returncode == 0, result.stderr
    assert "Imported 95 new value(s)" in result.stdout

    bad = tmp_path / "bad.csv"
    with open(bad, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ["Ref", "Period", "Value"],
                ["PI 1", "2026/27 Q1", "140"],
                ["PI 2", "2026-05", "30"],
                ["PI 2", "2026/27 Q1", "31"],
            ]
        )
    result = run("indicators-import", bad, "--db", target)
    assert result.returncode == 1
    assert "cannot be over 100" in result.stdout and "reported quarterly" in result.stdout
    assert "Nothing was written" in result.stdout
    result = run("indicators-import", bad, "--db", target, "--skip-errors")
    assert result.returncode == 0 and "changed 1" in result.stdout

    texts = {}
    for kind in ("indicators", "bvpi225"):
        pdf = tmp_path / f"{kind}.pdf"
        result = run(
            "report",
            kind,
            "--db",
            demo_path,
            "-o",
            pdf,
            "--from",
            "01/04/2026",
            "--to",
            "30/09/2026",
        )
        assert result.returncode == 0, result.stderr
        texts[kind] = " ".join("".join(p.extract_text() for p in PdfReader(pdf).pages).split())
        assert "OFFICIAL" in texts[kind]
    assert "2026/27 to 30/09/2026" in texts["indicators"]
    assert "2026/27 Q2 51.2% 40.0% 35.6%" in texts["indicators"]
    assert "Financial year 2026/27" in texts["bvpi225"]


def test_missing_database_is_one_sentence(run, tmp_path):
    result = run("indicators-export", "--db", tmp_path / "none.sqlite", "-o", tmp_path / "x.xlsx")
    assert result.returncode != 0
    assert "There is no database at" in result.stderr + result.stdout
