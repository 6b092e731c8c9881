"""Panic-alarm PDF reports on the demo data, read back with pypdf."""

from __future__ import annotations

from datetime import date

import pytest
from pypdf import PdfReader

from dvcoord.reports import registry
from dvcoord.reports.registry import ReportRequest
from dvcoord.services import alarms as A

TODAY = date(2026, 11, 23)
KINDS = ("alarms-stock", "alarms-loans", "alarms-due", "alarms-activity")


def pages_text(path):
    return [page.extract_text() for page in PdfReader(path).pages]


def build(db, kind, out, **kw):
    request = ReportRequest(out=out, today=TODAY, **kw)
    return registry.get(kind).build(db, request)


def test_kinds_are_registered():
    found = registry.kinds()
    for name in KINDS:
        assert found[name].area == "Panic alarms"
    assert found["alarms-loans"].shows_case_data
    assert not found["alarms-stock"].shows_case_data
    assert found["alarms-activity"].uses_period


@pytest.mark.parametrize("kind", KINDS)
def test_marking_on_every_page(demo_db, tmp_path, kind):
    written = build(demo_db, kind, tmp_path / f"{kind}.pdf")
    pages = pages_text(written)
    assert pages
    expected = "OFFICIAL-SENSITIVE" if kind == "alarms-loans" else "OFFICIAL"
    for n, text in enumerate(pages, start=1):
        assert text.count(expected) >= 2, (kind, n)  # top and bottom band
        assert f"Page {n} of {len(pages)}" in text
    if kind != "alarms-loans":
        assert "OFFICIAL-SENSITIVE" not in "".join(pages)


def test_marking_can_be_chosen(demo_db, tmp_path):
    written = build(demo_db, "alarms-loans", tmp_path / "l.pdf", marking="OFFICIAL")
    assert "OFFICIAL-SENSITIVE" not in "".join(pages_text(written))


def test_loans_report_case_references_only_without_redaction(demo_db, tmp_path):
    with demo_db.session() as s:
        loans = A.open_loans(s, TODAY)
    refs = {r.case_reference for r in loans}
    assert len(refs) > 10
    text = "".join(pages_text(build(demo_db, "alarms-loans", tmp_path / "open.pdf")))
    flat = text.replace("\n", "")
    assert all(ref in flat for ref in refs)
    assert f"{len(loans)} open loans" in text
    redacted = "".join(
        pages_text(build(demo_db, "alarms-loans", tmp_path / "red.pdf", redact=True))
    ).replace("\n", "")
    assert not [ref for ref in refs if ref in redacted]
    assert redacted.count("Case reference") == 1  # only in "Case references have been left out"
    assert "left out" in redacted
    for r in loans:  # the rest of the loan is still there
        assert r.asset_tag in redacted


@pytest.mark.parametrize("kind", ["alarms-stock", "alarms-due", "alarms-activity"])
def test_other_alarm_reports_never_print_case_references(demo_db, tmp_path, kind):
    with demo_db.session() as s:
        refs = {r.case_reference for r in A.open_loans(s, TODAY)}
    text = "".join(pages_text(build(demo_db, kind, tmp_path / "r.pdf"))).replace("\n", "")
    assert not [ref for ref in refs if ref in text]


def test_due_report_lists_what_is_due(demo_db, tmp_path):
    with demo_db.session() as s:
        overdue = A.loans_past_review(s, TODAY)
        tests = A.tests_due(s, TODAY, 14)
        warranties = A.warranties_ending(s, TODAY, 60)
    assert overdue and tests and warranties
    text = "".join(pages_text(build(demo_db, "alarms-due", tmp_path / "due.pdf")))
    assert f"Loans past review ({len(overdue)})" in text
    assert f"Devices due a test ({len(tests)})" in text
    for row in overdue + tests + warranties:
        assert row.asset_tag in text


def test_stock_report_counts_and_low_stock(demo_db, tmp_path):
    with demo_db.session() as s:
        counts = A.stock_counts(s)
    with demo_db.transaction() as s:
        A.set_low_stock_threshold(s, counts.available + 1)
    text = "".join(pages_text(build(demo_db, "alarms-stock", tmp_path / "stock.pdf")))
    assert (
        f"Available now\n{counts.available}" in text or f"Available now {counts.available}" in text
    )
    assert "Low stock: only" in text
    assert "WK-PA-001" in text and "WK-PA-050" in text


def test_activity_report_for_a_period(demo_db, tmp_path):
    text = "".join(
        pages_text(
            build(
                demo_db,
                "alarms-activity",
                tmp_path / "act.pdf",
                date_from=date(2025, 4, 1),
                date_to=date(2026, 3, 31),
            )
        )
    )
    with demo_db.session() as s:
        rows = A.activity_by_agency(s, date(2025, 4, 1), date(2026, 3, 31))
    issued = sum(r.issued for r in rows)
    assert "Financial year 2025/26" in text
    assert f"{issued} alarm loans issued" in text
    assert "All agencies" in text
    for r in rows:
        assert r.agency in text.replace("\n", " ")


def test_activity_report_with_no_loans(db, tmp_path):
    text = "".join(pages_text(build(db, "alarms-activity", tmp_path / "a.pdf")))
    assert "Financial year 2026/27" in text
    assert "No alarm loans in this period." in text
    text = "".join(pages_text(build(db, "alarms-loans", tmp_path / "l.pdf")))
    assert "No alarm is on loan." in text
