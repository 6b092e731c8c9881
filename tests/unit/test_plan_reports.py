"""Action-plan reports: the report models, and the PDFs read back with pypdf.

Every action of the reference plans in the demo database must appear in the full action
plan word for word; the marking is printed at the top and bottom of every page; the
header row repeats on every page of a long table; the RAG key is printed; bad input
still gives a report or one clear message, and never a half-written file.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from _report_data import (
    TODAY,
    make_big_theme,
    make_plan,
    marking_positions,
    missing_words,
    pdf_pages,
    pdf_words,
    words,
)

from dvcoord.errors import DvcoordError
from dvcoord.reports import layout as L
from dvcoord.reports import registry
from dvcoord.reports.registry import ReportRequest
from dvcoord.services import milestones as ms
from dvcoord.services import plan_reports as pr
from dvcoord.services import plans as ps

KINDS = ("action-plan", "progress", "milestones", "agency-return")


def _request(out: Path, **kw) -> ReportRequest:
    kw.setdefault("today", TODAY)
    return ReportRequest(out=out, **kw)


def _build(db, kind: str, out: Path, **kw) -> Path:
    return registry.get(kind).build(db, _request(out, **kw))


# --------------------------------------------------------------------------- registry
def test_the_four_kinds_are_registered_in_the_action_plans_area():
    found = registry.kinds()
    for name in KINDS:
        assert found[name].area == "Action plans"
        assert not found[name].shows_case_data
    assert found["action-plan"].needs_plan and found["progress"].needs_plan
    assert found["milestones"].uses_period and found["agency-return"].uses_agency


# --------------------------------------------------------------------------- resolving
def test_resolve_plan_by_id_exact_title_or_prefix(db):
    a = make_plan(db, title="Domestic Abuse Action Plan", themes=1, actions_per_theme=1)
    b = make_plan_in(db, "Domestic Abuse Action Plan 2026/27 (demonstration)")
    with db.session() as s:
        assert pr.resolve_plan(s, a.plan_id).id == a.plan_id
        assert pr.resolve_plan(s, "domestic abuse action plan").id == a.plan_id  # exact wins
        assert pr.resolve_plan(s, "  Domestic   Abuse Action Plan 2026").id == b
        with pytest.raises(DvcoordError) as err:
            pr.resolve_plan(s, "Dom")
        assert "matches 2 plans" in str(err.value)
        assert "Domestic Abuse Action Plan 2026/27 (demonstration)" in str(err.value)
        with pytest.raises(DvcoordError) as err:
            pr.resolve_plan(s, "Kent tracker")
        assert "There is no plan" in str(err.value) and "Choose one of" in str(err.value)
        with pytest.raises(DvcoordError) as err:
            pr.resolve_plan(s, None)
        assert "holds 2 plans" in str(err.value)


def test_resolve_plan_tells_plans_of_one_title_apart_and_takes_an_id_prefix(db):
    with db.transaction() as s:
        old = ps.create_plan(s, title="DA Plan", plan_from_fy=2026, status="approved")
        theme = ps.create_theme(s, old.id, title="Safety", code="1")
        ps.create_action(s, theme.id, reference="1.1", text="Helpline")
        new = ps.create_plan(s, title="DA plan", plan_from_fy=2026)
        old_id, new_id = old.id, new.id
    with db.session() as s:
        with pytest.raises(DvcoordError) as err:
            pr.resolve_plan(s, "da plan")
        message = str(err.value)
        assert message.startswith("2 plans are called \u2018da plan\u2019; choose one")
        assert "(2026/27, approved, 1 action, created " in message
        assert "(2026/27, draft, 0 actions, created " in message
        assert "\u2018DA Plan\u2019" not in message  # the shared title is not repeated
        # made the same day (and minute): the time tells them apart as well as the id
        assert len(re.findall(r"created \d\d/\d\d/\d{4} at \d\d:\d\d(:\d\d)?\)", message)) == 2
        shorts = re.findall(r"id ([0-9a-f-]+)", message)
        assert len(shorts) == 2 and all(8 <= len(x) < 36 for x in shorts)
        # the short ids shown are accepted by --plan
        assert [pr.resolve_plan(s, x).id for x in shorts] == [old_id, new_id]  # oldest first
        assert pr.resolve_plan(s, new_id[:13].upper()).id == new_id


def test_resolve_plan_refuses_an_id_prefix_two_plans_share(db):
    from dvcoord.store.schema.plans import Plan

    with db.transaction() as s:
        s.add(Plan(id="01a20713-aaaa-7000-8000-000000000001", title="One", partnership="P"))
        s.add(Plan(id="01a20713-abcd-7000-8000-000000000002", title="Two", partnership="P"))
    with db.session() as s:
        with pytest.raises(DvcoordError) as err:
            pr.resolve_plan(s, "01a20713")
        assert str(err.value) == (
            "\u201801a20713\u2019 is the start of the ids of 2 plans; give more of the id: "
            "\u2018One\u2019; \u2018Two\u2019."
        )
        assert pr.resolve_plan(s, "01a20713-ab").title == "Two"
        assert pr.resolve_plan(s, "01A20713-AA").title == "One"


def make_plan_in(db, title: str) -> str:
    with db.transaction() as s:
        return ps.create_plan(s, title=title, partnership="Test CSP").id


def test_resolve_plan_with_one_plan_needs_no_name_and_none_is_an_error(db):
    with db.session() as s, pytest.raises(DvcoordError, match="no action plans"):
        pr.resolve_plan(s, "anything")
    built = make_plan(db, themes=1, actions_per_theme=1)
    with db.session() as s:
        assert pr.resolve_plan(s, "").id == built.plan_id


def test_resolve_agency_by_name_short_name_or_prefix(db):
    built = make_plan(db, themes=1, actions_per_theme=1)
    with db.session() as s:
        assert pr.resolve_agency(s, "kent police").id == built.agency_ids["police"]
        assert pr.resolve_agency(s, "KP").id == built.agency_ids["police"]
        assert pr.resolve_agency(s, "West").id == built.agency_ids["refuge"]
        with pytest.raises(DvcoordError, match="There is no agency"):
            pr.resolve_agency(s, "Fire Service")
        with pytest.raises(DvcoordError, match="Name the agency"):
            pr.resolve_agency(s, " ")


# --------------------------------------------------------------------------- models
def test_action_plan_model_holds_themes_aims_and_the_latest_update(db):
    built = make_plan(db, themes=2, actions_per_theme=4)
    with db.session() as s:
        model = pr.build_action_plan_model(s, built.plan_id, today=TODAY)
    assert [t.heading for t in model.themes] == ["1. Theme 1 title", "2. Theme 2 title"]
    first = model.themes[0]
    assert [a.reference for a in first.actions] == ["1.1", "1.2"]
    assert first.aims[0].heading == "Aim 1.A Provision of support number 1"
    assert [a.reference for a in first.aims[0].actions] == ["1.3", "1.4"]
    assert len(model.actions) == 8
    a = first.actions[0]
    assert a.latest_update_date == date(2026, 9, 30)
    assert a.latest_update_text.startswith("Latest update 1")
    assert pr.agencies_cell(a) == "Kent Police\nSupport: West Kent Refuge"
    assert model.plan.plan_period == "2026/27"
    assert model.plan.strategy_period == "2025/26 \u2013 2027/28"
    assert [e.letter for e in model.plan.rag_key] == ["G", "A", "R"]
    assert model.changes[0].summary == "Approved by the CSP board."


def test_agencies_cell_prefers_the_words_as_written():
    row = _row(
        lead_text="SDC/ With housing providers",
        lead="SDC Housing",
        support="SDC Housing; West Kent Refuge",
    )
    assert (
        pr.agencies_cell(row)
        == "SDC/ With housing providers\nSupport: SDC Housing; West Kent Refuge"
    )
    row = _row(lead_text="SDC Housing with West Kent Refuge", lead="", support="West Kent Refuge")
    assert pr.agencies_cell(row) == "SDC Housing with West Kent Refuge"
    assert pr.agencies_cell(_row(lead_text="", lead="", support="Kent Police")) == (
        "Support: Kent Police"
    )


def _row(lead_text: str, lead: str, support: str) -> ps.ActionRow:
    fields = {f: None for f in ps.ActionRow.__dataclass_fields__}
    fields.update(lead_text=lead_text, lead_agencies=lead, support_agencies=support)
    return ps.ActionRow(**fields)


def test_progress_model_counts_reds_overdue_and_changes(db):
    built = make_plan(db, themes=2, actions_per_theme=3)
    with db.session() as s:
        model = pr.build_progress_model(s, built.plan_id, since=date(2026, 9, 1), today=TODAY)
    assert [c.title for c in model.rag_counts] == ["1. Theme 1 title", "2. Theme 2 title"]
    assert model.action_count == 6
    assert model.totals == {"G": 2, "A": 2, "R": 2}
    assert {a.reference for a in model.red_actions} == {"1.3", "2.3"}
    assert [m.text for m in model.overdue_milestones] == [
        "Overdue milestone 1",
        "Overdue milestone 4",
    ]
    # The plan was entered today, so "added" (or rated for the first time) is not news;
    # the 30/09 updates and the RAG changes they made are.
    assert len(model.changed) == 6
    by_ref = {c.action.reference: c.what for c in model.changed}
    assert all(w[0] == "Progress update of 30/09/2026" for w in by_ref.values())
    assert by_ref["1.1"] == ("Progress update of 30/09/2026",)  # stayed Amber
    assert by_ref["1.2"][1:] == ("RAG Amber \u2192 Green",)
    assert by_ref["1.3"][1:] == ("RAG Amber \u2192 Red",)


def test_progress_model_lists_edits_after_the_date(db):
    built = make_plan(db, themes=1, actions_per_theme=2)
    with db.transaction() as s:
        ps.update_action(s, built.action_ids[1], status="complete")
        ps.add_progress_update(
            s, built.action_ids[1], update_date=date(2026, 11, 20), text="Done.", rag="G"
        )
    with db.session() as s:
        model = pr.build_progress_model(s, built.plan_id, since=date(2026, 10, 1), today=TODAY)
    assert [c.action.reference for c in model.changed] == ["1.2"]
    what = model.changed[0].what
    assert "Progress update of 20/11/2026" in what
    assert any(w.startswith("Status in progress \u2192 complete") for w in what)
    assert any(w.startswith("RAG ") and w.endswith("\u2192 Green") for w in what)


def test_progress_model_refuses_a_future_since_date(db):
    built = make_plan(db, themes=1, actions_per_theme=1)
    with db.session() as s, pytest.raises(DvcoordError, match="after today"):
        pr.build_progress_model(s, built.plan_id, since=date(2027, 1, 1), today=TODAY)


def test_milestones_model_defaults_to_the_current_financial_quarter(db):
    built = make_plan(db, themes=2, actions_per_theme=2)
    with db.session() as s:
        model = pr.build_milestones_model(s, None, today=TODAY)
    assert (model.date_from, model.date_to) == (date(2026, 10, 1), date(2026, 12, 31))
    assert model.period == "2026/27 Q3 (01/10/2026 \u2013 31/12/2026)"
    assert [m.text for m in model.overdue] == ["Overdue milestone 1", "Overdue milestone 3"]
    assert [m.text for m in model.due] == ["Due milestone 1", "Due milestone 3"]
    assert [m.text for m in model.completed] == ["Completed milestone 1", "Completed milestone 3"]
    with db.session() as s:
        one = pr.build_milestones_model(
            s, built.plan_id, date_from=date(2026, 4, 1), date_to=date(2026, 9, 30), today=TODAY
        )
    assert one.period == "01/04/2026 \u2013 30/09/2026"
    assert [m.text for m in one.overdue] == ["Overdue milestone 1", "Overdue milestone 3"]
    assert one.due == () and one.completed == ()
    with db.session() as s, pytest.raises(DvcoordError, match="swap the dates"):
        pr.build_milestones_model(
            s, None, date_from=date(2026, 12, 1), date_to=date(2026, 1, 1), today=TODAY
        )


def test_period_label_names_a_whole_financial_year():
    assert pr.period_label(date(2026, 4, 1), date(2027, 3, 31)) == "Financial year 2026/27"
    assert pr.since_default(date(2026, 5, 1)) == date(2026, 1, 1)


def test_agency_return_model_holds_the_open_actions_the_agency_leads(db):
    built = make_plan(db, themes=2, actions_per_theme=3)
    with db.transaction() as s:
        ps.update_action(s, built.action_ids[0], status="complete")
    with db.session() as s:
        model = pr.build_agency_return_model(s, "Kent Police", today=TODAY)
    refs = [a.reference for p in model.plans for a in p.actions]
    assert refs == ["1.3", "2.2"]  # 1.1 is complete; odd-numbered actions are led by police
    assert model.agency.name == "Kent Police"
    block = model.plans[0]
    assert [m.text for m in block.open_milestones.get(built.action_ids[0], ())] == []
    with db.session() as s:
        refuge = pr.build_agency_return_model(s, "West Kent Refuge", today=TODAY)
    assert refuge.action_count == 0  # it only supports


# --------------------------------------------------------------------------- PDFs: demo
def _expected_words(rows) -> Counter[str]:
    expected: Counter[str] = Counter()
    for a in rows:
        for text in (
            a.reference,
            a.text,
            a.outcomes,
            a.target_text,
            a.lead_display,
            a.latest_update_text,
        ):
            expected.update(words(text or ""))
    return expected


@pytest.mark.slow  # several PDFs read back with pypdf
def test_every_word_of_every_reference_plan_is_in_its_action_plan(demo_db, tmp_path):
    with demo_db.session() as s:
        plans = ps.list_plans(s)
        rows_by_plan = {p.id: ps.action_rows(s, p.id) for p in plans}
    assert len(plans) >= 3
    for plan in plans:
        out = _build(demo_db, "action-plan", tmp_path / "plan.pdf", plan=plan.id)
        rows = rows_by_plan[plan.id]
        assert rows, plan.title
        found = pdf_words(out)
        # every reference and every word of the action, its outcomes, target, lead and
        # latest progress, as many times as the plan holds it
        assert not missing_words(_expected_words(rows), found), plan.title
        text = "\n".join(pdf_pages(out))
        flat = " ".join(text.split())
        for a in rows:
            assert a.reference in flat
        # the header repeats on every page that carries the plan's tables
        pages = pdf_pages(out)
        first = next(i for i, p in enumerate(pages) if "Lead / support" in p)
        assert all("Lead / support" in p and "Progress to date" in p for p in pages[first:])
        assert "RAG key" in text and "Progress underway" in text


@pytest.mark.slow  # several PDFs read back with pypdf
def test_every_kind_prints_the_marking_top_and_bottom_of_every_page(demo_db, tmp_path):
    with demo_db.session() as s:
        current = next(p for p in ps.list_plans(s) if p.status == "approved")
        lead = ps.action_rows(s, current.id)[0].lead_agencies.split(";")[0]
    for kind in KINDS:
        for marking in ("OFFICIAL-SENSITIVE",):
            out = _build(
                demo_db,
                kind,
                tmp_path / f"{kind}.pdf",
                plan=current.id,
                marking=marking,
                agency=lead,
            )
            marks = marking_positions(out, marking)
            assert marks and all(top and bottom for top, bottom in marks), (kind, marks)
            pages = pdf_pages(out)
            assert registry.page_count(out) == len(pages)
            assert all(f"Page {i + 1} of {len(pages)}" in p for i, p in enumerate(pages))
        out = _build(
            demo_db,
            kind,
            tmp_path / f"{kind}-none.pdf",
            plan=current.id,
            marking="NONE",
            agency=lead,
        )
        assert "OFFICIAL" not in "".join(pdf_pages(out))


def test_reports_that_show_rag_print_the_plans_key(demo_db, tmp_path):
    with demo_db.session() as s:
        current = next(p for p in ps.list_plans(s) if p.status == "approved")
        key = ps.rag_key_for(current, s)
        lead = ps.action_rows(s, current.id)[0].lead_agencies.split(";")[0]
    for kind in ("action-plan", "progress", "agency-return"):
        out = _build(demo_db, kind, tmp_path / f"{kind}.pdf", plan=current.id, agency=lead)
        text = " ".join(" ".join(pdf_pages(out)).split())
        assert "RAG key" in text, kind
        for entry in key:
            assert entry.name in text and " ".join(entry.meaning.split()) in text, kind


def test_progress_and_milestones_on_the_demo(demo_db, tmp_path):
    with demo_db.session() as s:
        current = next(p for p in ps.list_plans(s) if p.status == "approved")
        overdue = ms.overdue_milestones(s, TODAY, plan_id=current.id)
        reds = ps.action_rows(s, current.id, rag="R")
    out = _build(
        demo_db, "progress", tmp_path / "p.pdf", plan=current.title, date_from=date(2026, 7, 1)
    )
    text = " ".join(" ".join(pdf_pages(out)).split())
    assert f"Red actions ({len(reds)})" in text
    assert f"Overdue milestones ({len(overdue)})" in text
    for m in overdue:
        assert " ".join(m.text.split()) in text
    out = _build(demo_db, "milestones", tmp_path / "m.pdf")
    text = " ".join(" ".join(pdf_pages(out)).split())
    assert "2026/27 Q3 (01/10/2026 \u2013 31/12/2026)" in text
    assert "All action plans" in text


# --------------------------------------------------------------------------- bad input
def test_a_plan_with_no_actions_still_gives_a_report(db, tmp_path):
    from dvcoord.services import agencies as ag

    with db.transaction() as s:
        plan = ps.create_plan(s, title="Empty plan", partnership="Test CSP")
        ps.create_theme(s, plan.id, title="Support in the Community")
        ag.create_agency(s, name="West Kent Refuge")
    for kind in KINDS:
        out = _build(
            db, kind, tmp_path / f"{kind}.pdf", plan="Empty plan", agency="West Kent Refuge"
        )
        assert out.is_file() and registry.page_count(out) >= 1
    text = " ".join(pdf_pages(tmp_path / "action-plan.pdf"))
    assert "No actions in this theme yet." in text
    text = " ".join(" ".join(pdf_pages(tmp_path / "agency-return.pdf")).split())
    assert "does not lead any action" in text


@pytest.mark.slow  # several PDFs read back with pypdf
def test_twenty_thousand_characters_of_progress_print_in_full(db, tmp_path):
    sentence = "The working group met again and reviewed referrals from every partner agency. "
    long_text = (sentence * 300)[:20_000].rsplit(" ", 1)[0]
    built = make_plan(db, themes=1, actions_per_theme=2, progress=long_text)
    for kind in ("action-plan", "progress", "agency-return"):
        out = _build(
            db,
            kind,
            tmp_path / f"{kind}.pdf",
            plan=built.plan_id,
            agency="Kent Police",
            date_from=date(2026, 9, 1),
        )
        found = pdf_words(out)
        expected = Counter(words(long_text))
        if kind != "progress":  # progress prints only the red action's update
            expected = expected + expected if kind == "action-plan" else expected
        assert not missing_words(expected, found), kind
        assert registry.page_count(out) > 3


@pytest.mark.slow  # several PDFs read back with pypdf
def test_a_theme_of_three_hundred_actions_repeats_its_header(db, tmp_path):
    built = make_big_theme(db, 300)
    out = _build(db, "action-plan", tmp_path / "big.pdf", plan=built.plan_id)
    pages = pdf_pages(out)
    assert 20 <= len(pages) <= 150
    assert all("Progress to date" in p and "Lead / support" in p for p in pages[1:])
    assert len(pdf_pages(out)) == registry.page_count(out)
    flat = " ".join(" ".join(pages).split())
    assert all(f"1.{i}" in flat for i in range(1, 301))
    marks = marking_positions(out, "OFFICIAL")
    assert all(top and bottom for top, bottom in marks)


def test_characters_outside_latin_1_print(db, tmp_path):
    text = "Łódź – “Sanctuary” • ✓ €250 Ελληνικά Кириллица naïve café ‘Ōtautahi’ Zürich Ærø 数据"
    built = make_plan(db, themes=1, actions_per_theme=1, action_text=text, progress=text)
    out = _build(db, "action-plan", tmp_path / "u.pdf", plan=built.plan_id)
    found = pdf_words(out)
    expected = Counter(words(text)) + Counter(words(text))
    expected.pop("数据")  # DejaVu has no CJK glyphs: printed as a box, not lost silently
    assert not missing_words(expected, found)
    flat = " ".join(pdf_pages(out))
    assert "“Sanctuary”" in flat and "€250" in flat and "✓" in flat


def test_an_unwritable_folder_gives_one_clear_message(db, tmp_path, monkeypatch):
    built = make_plan(db, themes=1, actions_per_theme=1)
    with pytest.raises(DvcoordError, match="folder does not exist"):
        _build(db, "action-plan", tmp_path / "missing" / "plan.pdf", plan=built.plan_id)

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    # A folder the officer may not write to (simulated: the tests may run as root).
    monkeypatch.setattr(L.tempfile, "mkstemp", refused)
    with pytest.raises(DvcoordError, match="read-only or you do not have permission"):
        _build(db, "action-plan", tmp_path / "plan.pdf", plan=built.plan_id)
    assert list(tmp_path.glob("*.pdf*")) == []


def test_a_pdf_open_in_a_viewer_is_left_alone_with_a_clear_message(db, tmp_path, monkeypatch):
    built = make_plan(db, themes=1, actions_per_theme=1)
    target = tmp_path / "plan.pdf"
    target.write_bytes(b"%PDF-1.4 the board's copy")

    real_replace = os.replace

    def locked(src, dst):  # only the PDF is held open; everything else works
        if str(dst).endswith(".pdf"):
            raise PermissionError(13, "The process cannot access the file", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(L.os, "replace", locked)
    with pytest.raises(DvcoordError, match="open in a PDF viewer"):
        _build(db, "action-plan", target, plan=built.plan_id)
    assert target.read_bytes() == b"%PDF-1.4 the board's copy"
    assert [p.name for p in tmp_path.iterdir() if p.suffix in (".pdf", ".tmp")] == ["plan.pdf"]


def test_redact_withholds_case_references_in_free_text(db, tmp_path):
    built = make_plan(
        db,
        themes=1,
        actions_per_theme=1,
        progress="Discussed at MARAC (case MARAC-2024-117) and closed.",
    )
    plain = _build(db, "action-plan", tmp_path / "plain.pdf", plan=built.plan_id)
    assert "MARAC-2024-117" in " ".join(pdf_pages(plain))
    red = _build(db, "action-plan", tmp_path / "red.pdf", plan=built.plan_id, redact=True)
    text = " ".join(" ".join(pdf_pages(red)).split())
    assert "MARAC-2024-117" not in text
    assert "Case references have been left out" in text


def test_the_plans_own_marking_is_the_default(db, tmp_path):
    built = make_plan(db, themes=1, actions_per_theme=1)
    with db.transaction() as s:
        ps.update_plan(s, built.plan_id, marking="OFFICIAL-SENSITIVE")
    out = _build(db, "action-plan", tmp_path / "p.pdf", plan=built.plan_id)
    assert all(t and b for t, b in marking_positions(out, "OFFICIAL-SENSITIVE"))
    out = _build(db, "action-plan", tmp_path / "p.pdf", plan=built.plan_id, marking="OFFICIAL")
    assert all(t and b for t, b in marking_positions(out, "OFFICIAL"))


# --------------------------------------------------------------------------- export helpers
def test_export_helpers_name_files_and_list_quarters(db):
    from dvcoord.reports import export

    assert export.slug("Sevenoaks DA Plan 2026/27 (demonstration)") == (
        "sevenoaks-da-plan-2026-27-demonstration"
    )
    assert export.slug("Łódź – “Café” plan") == "lodz-cafe-plan"
    assert (
        export.default_file_name("action-plan", plan_title="Kent tracker", today=TODAY)
        == "action-plan-kent-tracker-2026-11-23.pdf"
    )
    assert export.default_file_name("milestones", today=TODAY) == "milestones-2026-11-23.pdf"
    choices = export.quarter_choices(TODAY, back=2, ahead=1)
    assert [c.label for c in choices] == [
        "2026/27 Q4 (Jan\u2013Mar 2027)",
        "2026/27 Q3 (Oct\u2013Dec 2026)",
        "2026/27 Q2 (Jul\u2013Sep 2026)",
        "2026/27 Q1 (Apr\u2013Jun 2026)",
    ]
    assert [c.current for c in choices] == [False, True, False, False]
    kinds = registry.kinds()
    assert export.default_marking(db, kinds["alarms-loans"]) == "OFFICIAL-SENSITIVE"
    assert export.default_marking(db, kinds["action-plan"], "OFFICIAL-SENSITIVE") == (
        "OFFICIAL-SENSITIVE"
    )
    assert export.default_marking(db, kinds["alarms-stock"], "NONE") == db.default_marking
    areas = [area for area, _ in export.kinds_by_area()]
    assert areas[0] == "Action plans" and len(areas) == len(set(areas))


def test_export_report_counts_pages_and_stops_when_asked(db, tmp_path):
    from dvcoord.reports import export

    built = make_plan(db, themes=2, actions_per_theme=3)
    pages: list[int] = []
    result = export.export_report(
        db,
        "action-plan",
        _request(tmp_path / "p.pdf", plan=built.plan_id),
        on_page=pages.append,
    )
    assert result.pages == len(pages) == len(pdf_pages(result.path))
    assert pages == list(range(1, result.pages + 1))

    class Stop(Exception):
        pass

    def stop(page: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        export.export_report(
            db, "action-plan", _request(tmp_path / "q.pdf", plan=built.plan_id), on_page=stop
        )
    assert not (tmp_path / "q.pdf").exists()
    assert not list(tmp_path.glob(".q.*"))


def test_a_plan_chosen_by_name_is_reported_even_when_archived(db):
    built = make_plan(db, themes=1, actions_per_theme=2)
    with db.transaction() as s:
        ps.update_plan(s, built.plan_id, status="archived")
    with db.session() as s:
        progress = pr.build_progress_model(s, built.plan_id, today=TODAY)
        one = pr.build_milestones_model(s, built.plan_id, today=TODAY)
        every = pr.build_milestones_model(s, None, today=TODAY)
    assert [m.text for m in progress.overdue_milestones] == ["Overdue milestone 1"]
    assert [m.text for m in one.overdue] == ["Overdue milestone 1"]
    assert [m.text for m in one.completed] == ["Completed milestone 1"]
    assert every.overdue == () and every.completed == ()  # "all plans" = current plans
