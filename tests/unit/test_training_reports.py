"""Training PDF reports on the demo data, read back with pypdf."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pypdf import PdfReader

from dvcoord.reports import layout as L
from dvcoord.reports import registry
from dvcoord.reports import training as R
from dvcoord.reports.registry import ReportRequest
from dvcoord.services import training as T
from dvcoord.store import Database

TODAY = date(2026, 11, 23)
KINDS = ("training-matrix", "training-compliance", "training-sessions")
DATE = re.compile(r"\d{2}/\d{2}/\d{4}")


def pages_text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def build(db, kind, out, **kw):
    return registry.get(kind).build(db, ReportRequest(out=out, today=TODAY, **kw))


@pytest.fixture(scope="module")
def demo_reports(demo_template, tmp_path_factory):
    """Each kind built once on the demo (read-only) and its pages' text."""
    folder = tmp_path_factory.mktemp("training-reports")
    db = Database.open(demo_template, user="Test Officer", readonly=True, backup=False)
    try:
        with db.session() as s:
            matrix = T.training_matrix(s, TODAY)
        out = {}
        for kind in KINDS:
            path = build(db, kind, folder / f"{kind}.pdf")
            out[kind] = (path, pages_text(path))
    finally:
        db.close()
    return out, matrix


def test_kinds_are_registered():
    found = registry.kinds()
    for name in KINDS:
        assert found[name].area == "Training"
        assert not found[name].shows_case_data
    assert found["training-sessions"].uses_period
    assert not found["training-matrix"].uses_period


@pytest.mark.parametrize("kind", KINDS)
def test_marking_and_page_numbers_on_every_page(demo_reports, kind):
    reports, _ = demo_reports
    path, pages = reports[kind]
    assert len(pages) == registry.page_count(path) > 1
    for n, text in enumerate(pages, start=1):
        assert text.count("OFFICIAL") >= 2, (kind, n)  # top and bottom band
        assert f"Page {n} of {len(pages)}" in text
    assert "OFFICIAL-SENSITIVE" not in "".join(pages)


def test_matrix_headers_repeat_and_cells_are_marked_with_dates(demo_reports):
    reports, matrix = demo_reports
    _, pages = reports["training-matrix"]
    text = "\n".join(pages)
    for mark in ("✓", "!", "✗", "–"):
        assert mark in text
    # a page that continues an agency's table still starts with the table's header
    for n, page in enumerate(pages[1:], start=2):
        cells = re.findall(r"[✓!✗] \d{2}/\d{2}/\d{4}", page)
        if cells:
            assert "Name" in page and "Role" in page, n
    # every trainee in post, and each agency heading
    flat = text.replace("\n", " ")
    for row in matrix.rows:
        assert row.name in flat
        assert row.agency in flat
    # the dates in the cells are the completions
    sample = next(
        (r, c) for r, row in enumerate(matrix.cells) for c in row if c and c.status == "expired"
    )
    assert f"✗ {sample[1].completed:%d/%m/%Y}" in flat
    assert "Key" in text and "Missing: required but never completed" in text
    assert "‡ another member of staff has the same name" in flat


def test_matrix_for_one_agency(demo_db, tmp_path):
    with demo_db.session() as s:
        matrix = T.training_matrix(s, TODAY)
    police = [r for r in matrix.rows if r.agency == "Kent Police"]
    others = [r for r in matrix.rows if r.agency != "Kent Police"]
    text = " ".join(
        pages_text(build(demo_db, "training-matrix", tmp_path / "p.pdf", agency="kent police"))
    ).replace("\n", " ")
    assert all(r.name in text for r in police)
    assert not [r.name for r in others if r.name not in {p.name for p in police} and r.name in text]
    with pytest.raises(L.ReportError, match="no agency called 'Nowhere'"):
        build(demo_db, "training-matrix", tmp_path / "x.pdf", agency="Nowhere")


def test_compliance_report(demo_reports):
    reports, matrix = demo_reports
    text = " ".join(reports["training-compliance"][1]).replace("\n", " ")
    overall = T.compliance_overall(matrix)
    assert f"{overall.percent:.1f}%" in text
    for heading in ("By sector", "By agency (lowest first)", "By course", "Expired"):
        assert heading in text
    assert "Refreshers due in the next 60 days" in text
    for row in T.expiring_list(matrix)[:5]:
        assert row.name in text
    for agency in T.compliance_by_agency(matrix):
        assert agency.name in text


def test_sessions_report(demo_reports, demo_db, tmp_path):
    reports, _ = demo_reports
    text = " ".join(reports["training-sessions"][1]).replace("\n", " ")
    assert "Financial year 2026/27" in text
    with demo_db.session() as s:
        held = [r for r in T.list_sessions(s, date(2026, 4, 1), TODAY)]
        attendance = T.session_attendance(s, [r.session_id for r in held])
    assert f"Sessions held {len(held)}" in text
    first = held[0]
    assert f"{first.session_date:%d/%m/%Y} · {first.code}" in text
    for person in attendance[first.session_id]:
        assert person.name in text
    assert "Still to come in the period" in text
    one_month = " ".join(
        pages_text(
            build(
                demo_db,
                "training-sessions",
                tmp_path / "m.pdf",
                date_from=date(2026, 6, 1),
                date_to=date(2026, 6, 30),
            )
        )
    ).replace("\n", " ")
    assert "01/06/2026 to 30/06/2026" in one_month
    dates = {
        date(int(y), int(m), int(d))
        for d, m, y in re.findall(r"(\d{2})/(\d{2})/(\d{4}) ·", one_month)
    }
    assert dates and all(date(2026, 6, 1) <= d <= date(2026, 6, 30) for d in dates)


def test_reports_on_an_empty_database(db, tmp_path):
    for kind, words in (
        ("training-matrix", "There are no trainees in post to show."),
        ("training-compliance", "There are no trainees in post yet."),
        ("training-sessions", "No training session was held in this period."),
    ):
        text = " ".join(pages_text(build(db, kind, tmp_path / f"{kind}.pdf")))
        assert words in text.replace("\n", " ")


def test_marking_can_be_left_off(demo_db, tmp_path):
    text = "".join(
        pages_text(build(demo_db, "training-compliance", tmp_path / "n.pdf", marking="NONE"))
    )
    assert "OFFICIAL" not in text


def test_matrix_tables_split_by_level_when_too_wide(monkeypatch, demo_db, tmp_path):
    monkeypatch.setattr(R, "MATRIX_COLUMNS_PER_TABLE", 2)
    text = " ".join(
        pages_text(build(demo_db, "training-matrix", tmp_path / "w.pdf", agency="IDVA Service"))
    )
    assert "Kent and Medway IDVA Service: level 2 courses" in text
    assert "Kent and Medway IDVA Service: level 3 courses" in text
    assert DATE.search(text)
