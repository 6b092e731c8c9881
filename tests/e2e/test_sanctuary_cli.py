"""The Sanctuary Scheme commands as a user runs them: export and the reports."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

pytestmark = pytest.mark.slow


def test_export_cases_and_spend(run, demo_path, tmp_path):
    out = tmp_path / "cases.xlsx"
    result = run("sanctuary-export", "--db", demo_path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "case(s) written" in result.stdout and "OFFICIAL-SENSITIVE" not in result.stdout
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Cases", "Measures fitted"]
    wb.close()
    result = run("sanctuary-export", "--db", demo_path, "-o", out, "--with-case-references")
    assert "OFFICIAL-SENSITIVE" in result.stdout
    spend = tmp_path / "spend.xlsx"
    result = run(
        "sanctuary-export",
        "--db",
        demo_path,
        "-o",
        spend,
        "--what",
        "spend",
        "--from",
        "01/04/2025",
        "--to",
        "31/03/2026",
    )
    assert result.returncode == 0, result.stderr
    assert "spend for 2025/26 written" in result.stdout
    result = run(
        "sanctuary-export", "--db", demo_path, "-o", spend, "--what", "spend", "--with-locations"
    )
    assert result.returncode == 1 and "no case references or locations" in result.stderr


def test_reports_and_show_locations(run, demo_path, tmp_path):
    pdf = tmp_path / "cases.pdf"
    result = run("report", "sanctuary-cases", "--db", demo_path, "-o", pdf, "--redact")
    assert result.returncode == 0, result.stderr
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "OFFICIAL-SENSITIVE" in text and "SDC-SS-" not in text and "TN13" not in text
    result = run("report", "sanctuary-cases", "--db", demo_path, "-o", pdf, "--show-locations")
    assert result.returncode == 0, result.stderr
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "SDC-SS-" in text and "District" in text
    result = run("report", "--list")
    for kind in ("sanctuary-cases", "sanctuary-spend", "sanctuary-times", "sanctuary-stock"):
        assert kind in result.stdout


def test_export_show_locations_with_the_old_name_kept(run, demo_path, tmp_path):
    shown = run("sanctuary-export", "--help")
    # argparse wraps help at the terminal's width, breaking words after a hyphen
    flat = re.sub(r"(?<=\w)- (?=\w)", "-", " ".join(shown.stdout.split()))
    assert "--show-locations" in flat and "--with-locations" not in flat
    assert "--db PATH the database to export from" in flat
    assert "dd/mm/yyyy (or yyyy-mm-dd)" in flat

    def headers(path) -> list[str]:
        wb = load_workbook(path, read_only=True)
        try:
            return [c.value for c in next(wb["Cases"].iter_rows(max_row=1))]
        finally:
            wb.close()

    plain, new, old = (tmp_path / f"{n}.xlsx" for n in ("plain", "new", "old"))
    assert run("sanctuary-export", "--db", demo_path, "-o", plain).returncode == 0
    result = run("sanctuary-export", "--db", demo_path, "-o", new, "--show-locations")
    assert result.returncode == 0, result.stderr
    result = run("sanctuary-export", "--db", demo_path, "-o", old, "--with-locations")
    assert result.returncode == 0, result.stderr
    assert headers(new) == headers(old) != headers(plain)
    assert len(headers(new)) > len(headers(plain))
    result = run(
        "sanctuary-export", "--db", demo_path, "-o", new, "--what", "spend", "--show-locations"
    )
    assert result.returncode == 1 and "--show-locations." in result.stderr
