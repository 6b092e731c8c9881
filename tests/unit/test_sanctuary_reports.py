"""Sanctuary Scheme PDF reports on the demo data, read back with pypdf: markings, case
references withheld when redacting, and no location printed unless asked for."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from dvcoord.reports import registry
from dvcoord.reports.registry import ReportRequest
from dvcoord.services import sanctuary as S
from dvcoord.store.schema.sanctuary import SanctuaryCase

TODAY = date(2026, 11, 23)
KINDS = ("sanctuary-cases", "sanctuary-spend", "sanctuary-times", "sanctuary-stock")
DISTRICT = re.compile(r"\b(?:TN1[3-6]|TN8|BR8)\b")


def text_of(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def pages_text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def build(db, kind, out, **kw):
    return registry.get(kind).build(db, ReportRequest(out=out, today=TODAY, **kw))


def flat(text: str) -> str:
    return text.replace("\n", " ")


def test_kinds_are_registered():
    found = registry.kinds()
    for name in KINDS:
        assert found[name].area == "Sanctuary Scheme"
    assert found["sanctuary-cases"].shows_case_data and found["sanctuary-times"].shows_case_data
    assert not found["sanctuary-spend"].shows_case_data
    assert not found["sanctuary-stock"].shows_case_data
    assert found["sanctuary-spend"].uses_period and found["sanctuary-times"].uses_period


@pytest.mark.parametrize("kind", KINDS)
def test_marking_on_every_page_and_no_locations(demo_db, tmp_path, kind):
    pages = pages_text(build(demo_db, kind, tmp_path / f"{kind}.pdf"))
    expected = "OFFICIAL-SENSITIVE" if registry.get(kind).shows_case_data else "OFFICIAL"
    for n, text in enumerate(pages, start=1):
        assert text.count(expected) >= 2, (kind, n)
        assert f"Page {n} of {len(pages)}" in text
    whole = "".join(pages)
    if expected == "OFFICIAL":
        assert "OFFICIAL-SENSITIVE" not in whole
    assert not DISTRICT.search(whole), kind


def test_cases_report_lists_every_open_case_by_stage(demo_db, tmp_path):
    with demo_db.session() as s:
        rows = S.open_cases(s, TODAY)
    text = flat(text_of(build(demo_db, "sanctuary-cases", tmp_path / "c.pdf")))
    assert rows
    for r in rows:
        assert r.reference in text
    for stage in S.OPEN_STAGES:
        n = sum(1 for r in rows if r.stage == stage)
        assert f"{S.STAGE_LABELS[stage]} ({n})" in text
    assert "Missing: the landlord's permission (refused)" in text
    assert "Locations are left out of this report" in text


def test_cases_report_withholds_references_when_redacted(demo_db, tmp_path):
    with demo_db.session() as s:
        refs = {r.reference for r in S.case_rows(s, TODAY)}
    text = flat(text_of(build(demo_db, "sanctuary-cases", tmp_path / "r.pdf", redact=True)))
    assert not [ref for ref in refs if ref in text]
    assert "SDC-SS" not in text and "left out" in text
    assert "Kent Police" in text or "IDVA" in text  # the rest of each case is still there


def test_times_report_withholds_references_when_redacted(demo_db, tmp_path):
    with demo_db.session() as s:
        times = S.installation_times(s, date(2026, 4, 1), date(2027, 3, 31))
    text = flat(text_of(build(demo_db, "sanctuary-times", tmp_path / "t.pdf")))
    assert times.longest.reference in text
    assert f"{times.longest.days} days" in text
    assert f"{round(times.median)} days" in text
    redacted = flat(text_of(build(demo_db, "sanctuary-times", tmp_path / "tr.pdf", redact=True)))
    assert "SDC-SS" not in redacted
    assert f"{times.longest.days} days" in redacted


def test_locations_only_when_asked(demo_db, tmp_path):
    with demo_db.session() as s:
        districts = {r.postcode_district for r in S.open_cases(s, TODAY)}
    plain = text_of(build(demo_db, "sanctuary-cases", tmp_path / "plain.pdf"))
    assert not DISTRICT.search(plain)
    shown = flat(
        text_of(build(demo_db, "sanctuary-cases", tmp_path / "loc.pdf", show_locations=True))
    )
    assert districts and all(d in shown for d in districts)
    assert "Locations are left out" not in shown


def test_addresses_only_when_enabled_and_asked(demo_db, tmp_path):
    with demo_db.transaction() as s:
        case = s.scalars(
            select(SanctuaryCase).where(SanctuaryCase.stage == "approved").limit(1)
        ).one()
        S.set_address_enabled(s, True)
        S.update_case(s, case.id, address="12 Acacia Avenue, Sevenoaks", today=TODAY)
    plain = text_of(build(demo_db, "sanctuary-cases", tmp_path / "a.pdf"))
    assert "Acacia" not in plain and "Address" not in plain
    shown = flat(
        text_of(build(demo_db, "sanctuary-cases", tmp_path / "b.pdf", show_locations=True))
    )
    assert "12 Acacia Avenue, Sevenoaks" in shown
    for kind in ("sanctuary-times", "sanctuary-spend", "sanctuary-stock"):
        assert "Acacia" not in text_of(
            build(demo_db, kind, tmp_path / f"{kind}.pdf", show_locations=True)
        )
    # An address that arrived while addresses are switched off here (say, in a merge) is
    # never printed, even when locations are asked for.
    with demo_db.transaction() as s:
        s.execute(update(SanctuaryCase).where(SanctuaryCase.id == case.id).values(address=""))
        S.set_address_enabled(s, False)
        s.execute(
            update(SanctuaryCase).where(SanctuaryCase.id == case.id).values(address="9 Oak Lane")
        )
    off = text_of(build(demo_db, "sanctuary-cases", tmp_path / "c.pdf", show_locations=True))
    assert "Oak Lane" not in off


def test_spend_report_figures(demo_db, tmp_path):
    with demo_db.session() as s:
        years = S.spend_years(s, TODAY)
        summary = S.spend_summary(s, *years)
    text = flat(text_of(build(demo_db, "sanctuary-spend", tmp_path / "s.pdf")))
    assert "Financial years 2025/26 to 2026/27" in text
    assert S.format_pounds(summary.total.spend_pence) in text
    for y in range(years[0], years[1] + 1):
        assert S.format_pounds(summary.years[y].spend_pence) in text
        for q in (1, 2, 3, 4):
            assert S.format_pounds(summary.quarters[(y, q)].spend_pence) in text
    assert "Reinforced door" in text and "Average unit cost" in text
    one = flat(
        text_of(
            build(
                demo_db,
                "sanctuary-spend",
                tmp_path / "one.pdf",
                date_from=date(2025, 4, 1),
                date_to=date(2026, 3, 31),
            )
        )
    )
    assert "Financial year 2025/26" in one and "2026/27" not in one


def test_stock_report_names_what_to_reorder(demo_db, tmp_path):
    with demo_db.session() as s:
        reorder = S.reorder_rows(s, TODAY)
    text = flat(text_of(build(demo_db, "sanctuary-stock", tmp_path / "st.pdf")))
    assert reorder and f"To reorder ({len(reorder)})" in text
    for r in reorder:
        assert r.name in text
    assert "Reorder now" in text


def test_reports_on_an_empty_database(db, tmp_path):
    for kind in KINDS:
        text = text_of(build(db, kind, tmp_path / f"{kind}.pdf"))
        assert "Page 1 of 1" in text, kind
    assert "There are no open Sanctuary Scheme cases" in text_of(tmp_path / "sanctuary-cases.pdf")


@pytest.mark.parametrize(
    ("kw", "refused"),
    [
        ({"show_locations": True, "marking": "NONE"}, "must be marked OFFICIAL-SENSITIVE"),
        ({"show_locations": True, "marking": "OFFICIAL"}, "must be marked OFFICIAL-SENSITIVE"),
        ({"marking": "NONE"}, "must carry a protective marking"),
        ({"show_locations": True}, None),  # the kind's default: OFFICIAL-SENSITIVE
        ({"marking": "OFFICIAL"}, None),
        ({"marking": "NONE", "redact": True}, None),  # nothing identifying printed
    ],
)
def test_marking_too_low_for_what_is_printed_is_refused(demo_db, tmp_path, kw, refused):
    from dvcoord.errors import ValidationError

    out = tmp_path / "cases.pdf"
    if refused is None:
        assert build(demo_db, "sanctuary-cases", out, **kw).is_file()
        return
    with pytest.raises(ValidationError) as info:
        build(demo_db, "sanctuary-cases", out, **kw)
    assert refused in str(info.value) and info.value.field == "marking"
    assert not out.exists()  # refused before anything is written
