"""The performance reports (indicators against targets, the BVPI 225 return) on the demo
data, read back with pypdf; and the line chart of the shared layout."""

from __future__ import annotations

from datetime import date

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Drawing

from dvcoord.reports import layout as L
from dvcoord.reports import registry
from dvcoord.reports.registry import ReportRequest
from dvcoord.services import bvpi225 as B
from dvcoord.services import indicators as I

TODAY = date(2026, 11, 23)  # the demo database's "today"


def pages_text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def flat(path) -> str:
    return " ".join(" ".join(pages_text(path)).split())


def build(db, kind, out, **kw):
    return registry.get(kind).build(db, ReportRequest(out=out, today=TODAY, **kw))


def test_kinds_are_registered():
    found = registry.kinds()
    for name in ("indicators", "bvpi225"):
        assert found[name].area == "Performance"
        assert found[name].uses_period
        assert not found[name].shows_case_data


@pytest.mark.parametrize("kind", ["indicators", "bvpi225"])
def test_marking_and_page_numbers_on_every_page(demo_db, tmp_path, kind):
    pages = pages_text(build(demo_db, kind, tmp_path / f"{kind}.pdf"))
    assert pages
    for n, text in enumerate(pages, start=1):
        assert text.count("OFFICIAL") >= 2, n
        assert f"Page {n} of {len(pages)}" in text


def test_indicators_report_shows_figures_targets_status_and_trends(demo_db, tmp_path):
    text = flat(build(demo_db, "indicators", tmp_path / "ind.pdf"))
    assert "Performance indicators" in text and "2026/27 to 23/11/2026" in text
    assert "Sanction detection rate for domestic abuse crimes" in text
    # 51.2% achieved against a 40% target and a 35.6% national figure
    assert "2026/27 Q2 51.2% 40.0% 35.6%" in text
    assert "Referrals to MARAC" in text and "37.5" in text  # 150 a year shared out
    for word in ("Met", "Not met", "No target"):
        assert word in text
    assert "Trends" in text and "Computed by dvcoord" in text
    # a yearly indicator in a mid-year report shows the last complete year
    assert "Perpetrator programme completions" in text and "2025/26" in text
    with demo_db.session() as s:
        rows = I.indicator_rows(s, TODAY, include_inactive=False)
    for row in rows:
        assert row.name[:30] in text


def test_indicators_report_for_a_quarter(demo_db, tmp_path):
    text = flat(
        build(
            demo_db,
            "indicators",
            tmp_path / "q1.pdf",
            date_from=date(2026, 4, 1),
            date_to=date(2026, 6, 30),
        )
    )
    assert "Period: 2026/27 Q1" in text
    assert "2026/27 Q1" in text and "2026/27 Q2" not in text.split("Trends")[0]


def test_indicators_report_on_an_empty_database(db, tmp_path):
    text = flat(build(db, "indicators", tmp_path / "none.pdf"))
    assert "No active indicator is recorded" in text


def test_bvpi225_return(demo_db, tmp_path):
    text = flat(build(demo_db, "bvpi225", tmp_path / "bvpi.pdf"))
    with demo_db.session() as s:
        view = B.assessment_view(s, 2026, TODAY)
    assert "BVPI 225 self-assessment" in text and "Financial year 2026/27" in text
    assert f"Score {view.score} (questions answered yes: {view.yes_count} of 11" in text
    for q in B.QUESTIONS:
        assert q.title in text
    assert "one refuge place for every 10,000 people" in text
    assert "Evidence dated" in text
    assert view.answers[6].data is not None
    assert view.answers[6].data.text[:40] in text  # dvcoord's records for question 7


def test_bvpi225_return_of_another_year_and_of_a_year_not_assessed(demo_db, tmp_path):
    last = flat(build(demo_db, "bvpi225", tmp_path / "last.pdf", date_to=date(2026, 2, 1)))
    assert "Financial year 2025/26" in last and "Score 72.7" in last
    blank = flat(build(demo_db, "bvpi225", tmp_path / "blank.pdf", date_to=date(2020, 6, 1)))
    assert "No self-assessment has been saved for 2020/21" in blank
    assert "Score 0.0" in blank


@pytest.mark.slow  # a subprocess
def test_cli_report_kinds(demo_path, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "cli.pdf"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dvcoord",
            "report",
            "bvpi225",
            "--db",
            str(demo_path),
            "-o",
            str(out),
            "--marking",
            "NONE",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "OFFICIAL" not in flat(out)


# --------------------------------------------------------------------------- line chart
def test_line_chart_draws_lines_with_gaps():
    chart = L.line_chart(
        ["Q1", "Q2", "Q3", "Q4"],
        {"Value": [1.0, None, 3.5, 4.0], "Target": [3.0, 3.0, 3.0, 3.0]},
        dashed=["Target"],
        value_format=lambda v: f"{v:.0f}%",
    )
    assert isinstance(chart, Drawing)
    strings = [s.text for s in chart.contents if hasattr(s, "text")]
    assert "Q4" in strings and any(s.endswith("%") for s in strings)


def test_line_chart_without_figures_is_a_note():
    assert not isinstance(L.line_chart(["Q1"], {"Value": [None]}), Drawing)
    with pytest.raises(ValueError, match="has 1 values for 2 categories"):
        L.line_chart(["Q1", "Q2"], {"Value": [1.0]})
