"""Writing an imported plan (one transaction, backup first), merging, exporting and
importing the export back (importers.plan_import.write_plan, importers.plan_export)."""

from __future__ import annotations

import zipfile
from datetime import date

import openpyxl
import plan_fixtures as pf
import pytest
from sqlalchemy import func, select

from dvcoord.errors import DvcoordError
from dvcoord.importers.plan_export import export_plan
from dvcoord.importers.plan_import import (
    AgencyChoice,
    default_agency_map,
    known_agencies,
    parse_plan,
    write_plan,
)
from dvcoord.importers.tabular import read_csv
from dvcoord.services import agencies as agency_service
from dvcoord.services import plans as plan_service
from dvcoord.store import backups
from dvcoord.store.schema.plans import Action, Agency, Milestone, Plan, ProgressUpdate, Theme

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def sevenoaks_docx(tmp_path_factory):
    return pf.build_docx(pf.SEVENOAKS, tmp_path_factory.mktemp("so") / "sevenoaks.docx")


def _count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def snapshot(db, plan_id: str) -> list[tuple]:
    """Everything the round trip must keep, action by action, in plan order."""
    out = []
    with db.session() as s:
        tree = plan_service.plan_tree(s, plan_id)  # the order the plan is shown in
        for node in tree.themes:
            theme = s.get(Theme, node.id)
            actions = [s.get(Action, row.id) for row in node.all_actions()]
            for a in actions:
                latest = plan_service.progress_to_date(s, a.id)
                links = plan_service.agency_links(s, a.id)
                milestones = s.scalars(
                    select(Milestone)
                    .where(Milestone.action_id == a.id)
                    .order_by(Milestone.position)
                ).all()
                out.append(
                    (
                        theme.code,
                        theme.title,
                        a.reference,
                        a.text,
                        a.lead_text,
                        a.target_text,
                        a.target_kind,
                        a.outcomes,
                        a.funding_source,
                        a.cost_pence,
                        a.status,
                        a.rag,
                        latest.text if latest else "",
                        latest.update_date if latest else None,
                        tuple((m.text, m.due_text, m.due_end) for m in milestones),
                        tuple(sorted((link.role, link.agency.name) for link in links)),
                    )
                )
    return out


def test_write_sevenoaks_creates_everything_after_a_backup(db, sevenoaks_docx):
    parsed = parse_plan(sevenoaks_docx, db=db, today=TODAY)
    summary = write_plan(db, parsed, agency_map=default_agency_map(parsed))
    assert summary.created_plan and summary.plan_title == "DOMESTIC ABUSE ACTION PLAN"
    assert (summary.themes_created, summary.actions_created) == (6, 22)
    assert (summary.milestones_created, summary.updates_created) == (2, 22)
    assert "Building Bridges" in summary.agencies_created
    assert "housing providers" in summary.kept_as_text
    assert [b.reason for b in backups.list_backups(db.path)][:1] == ["before-import"]
    assert summary.backup is not None and summary.backup.exists()
    with db.session() as s:
        plan = s.get(Plan, summary.plan_id)
        assert plan.partnership == "SEVENOAKS DISTRICT COMMUNITY SAFETY PARTNERSHIP"
        assert "sevenoaks.docx" in plan.description
        a45 = s.scalars(select(Action).where(Action.reference == "4.3")).one()
        assert a45.lead_text.startswith("SDC/ With housing providers/T&M")
        assert a45.lead_text == "SDC/ With housing providers/T&M and Tunbridge Wells"
        assert plan_service.agency_links(s, a45.id) == []  # all kept as words
        bb = s.scalars(select(Agency).where(Agency.name == "Building Bridges")).one()
        n = s.scalar(
            select(func.count()).select_from(Action).where(Action.lead_text == "Building Bridges")
        )
        assert len(agency_service.agency_usage(s)) >= 1
        assert n == 3 and bb.sector == "other"
        update = s.scalars(select(ProgressUpdate)).first()
        assert update.update_date == TODAY
    lines = summary.lines()
    assert lines[0] == "Created plan 'DOMESTIC ABUSE ACTION PLAN'."
    assert "Actions created: 22" in lines


def test_kent_writes_change_history_rag_key_and_blue(db, tmp_path):
    path = pf.build_docx(pf.KENT_TRACKER, tmp_path / "tracker.docx")
    parsed = parse_plan(path, db=db, today=TODAY)
    parsed.actions[0].rag = "B"  # a plan that adds Blue for complete
    summary = write_plan(db, parsed, plan_title="Select committee tracker")
    with db.session() as s:
        plan = s.get(Plan, summary.plan_id)
        assert plan.title == "Select committee tracker" and plan.owner == "KCC"
        assert plan.version_label == "V4"
        changes = plan_service.plan_changes(s, plan.id)
        assert [c.version for c in sorted(changes, key=lambda c: c.changed_on)] == [
            "V1",
            "V2",
            "V3",
            "V4",
        ]
        letters = plan_service.rag_letters(plan, s)
        assert set(letters) == {"G", "A", "R", "B"}
        key = {e.letter: e.meaning for e in plan_service.rag_key_for(plan, s)}
        assert key["G"] == "Completed /advanced progress"
        first = s.scalars(
            select(Action).where(Action.plan_id == plan.id).order_by(Action.position)
        ).first()
        assert first.rag == "B" and first.status == "complete"


def test_agency_choices_existing_new_and_remembered_alias(db, sevenoaks_docx):
    with db.transaction() as s:
        police = agency_service.create_agency(
            s, name="West Kent Housing Association", short_name="WKHA", sector="housing"
        )
        police_id = police.id
    parsed = parse_plan(sevenoaks_docx, db=db, today=TODAY)
    choices = {
        "sdc": AgencyChoice("new", name="Sevenoaks District Council", sector="council"),
        "housing providers": AgencyChoice("existing", agency_id=police_id),
    }
    summary = write_plan(db, parsed, agency_map=choices)
    assert summary.agencies_created == ["Sevenoaks District Council"]
    with db.session() as s:
        sdc = agency_service.find_agency(s, "Sevenoaks District Council")
        assert sdc.sector == "council"
        a43 = s.scalars(select(Action).where(Action.reference == "4.3")).one()
        roles = {(link.role, link.agency.name) for link in plan_service.agency_links(s, a43.id)}
        assert roles == {
            ("lead", "Sevenoaks District Council"),
            ("support", "West Kent Housing Association"),
        }
    assert known_agencies(db)[1]["housing providers"] == police_id
    # The next import of the same words finds both agencies without asking.
    again = parse_plan(sevenoaks_docx, db=db, today=TODAY)
    assert "sdc" not in again.unmatched and "housing providers" not in again.unmatched


def test_a_failed_import_writes_nothing(db, sevenoaks_docx):
    parsed = parse_plan(sevenoaks_docx, db=db, today=TODAY)
    bad = {"building bridges": AgencyChoice("existing", agency_id="no-such-agency")}
    before = (_count(db, Plan), _count(db, Action), _count(db, Agency))
    with pytest.raises(DvcoordError, match="Nothing was imported from 'sevenoaks.docx'"):
        write_plan(db, parsed, agency_map=bad)
    assert (_count(db, Plan), _count(db, Action), _count(db, Agency)) == before
    with pytest.raises(DvcoordError, match="cancelled; nothing was written"):
        write_plan(db, parsed, progress=lambda done, total: done < 5)
    assert (_count(db, Plan), _count(db, Action)) == before[:2]


def test_merge_into_existing_plan_adds_only_what_changed(db, tmp_path, sevenoaks_docx):
    parsed = parse_plan(sevenoaks_docx, db=db, today=TODAY)
    first = write_plan(db, parsed)
    again = parse_plan(sevenoaks_docx, db=db, today=TODAY)
    same = write_plan(db, again, into_plan_id=first.plan_id)
    assert (same.actions_created, same.actions_updated, same.updates_created) == (0, 0, 0)
    assert same.actions_unchanged == 22 and same.milestones_created == 0
    # A partner sends the sheet back with new progress, a RAG and a new action.
    path = tmp_path / "returned.xlsx"
    export_plan(db, first.plan_id, path, single_sheet=True)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[1]]
    row = 2 + next(
        i
        for i, r in enumerate(ws.iter_rows(min_row=2, values_only=True))
        if r[header.index("Ref")] == "2.3"
    )
    ws.cell(row, header.index("Progress to date") + 1, "Programme now runs in Swanley too.")
    ws.cell(row, header.index("RAG") + 1, "G")
    ws.cell(row, header.index("Progress date") + 1).value = None  # dated on import
    ws.append(
        [
            "2. Support in the Community",
            "2.8",
            "Recruit an IDVA",
            "Building Bridges",
            "Qtr 2 2027/28",
        ]
    )
    wb.save(path)
    returned = parse_plan(path, db=db, today=date(2027, 1, 5))
    merged = write_plan(db, returned, into_plan_id=first.plan_id)
    assert (merged.actions_created, merged.updates_created) == (1, 1)
    with db.session() as s:
        a23 = s.scalars(
            select(Action).where(Action.plan_id == first.plan_id, Action.reference == "2.3")
        ).one()
        assert a23.rag == "G"
        history = plan_service.progress_history(s, a23.id)
        assert [u.update_date for u in history] == [date(2027, 1, 5), TODAY]
        new = s.scalars(select(Action).where(Action.reference == "2.8")).one()
        theme = s.get(Theme, new.theme_id)
        assert theme.title == "Support in the Community"


@pytest.mark.parametrize(("suffix", "single"), [(".xlsx", False), (".xlsx", True), (".csv", True)])
def test_round_trip_export_then_import(db, tmp_path, sevenoaks_docx, suffix, single):
    parsed = parse_plan(sevenoaks_docx, db=db, today=TODAY)
    original = write_plan(db, parsed, agency_map=default_agency_map(parsed))
    with db.transaction() as s:  # give it the rest: an aim, a RAG, milestones, cost, Blue
        a21 = s.scalars(select(Action).where(Action.reference == "2.1")).one()
        aim = plan_service.create_aim(s, a21.theme_id, reference="1", text="Point of contact")
        plan_service.move_action(s, a21.id, aim_id=aim.id)
        plan_service.add_progress_update(
            s, a21.id, update_date=date(2026, 12, 1), text="=SUM(A1) is not a formula", rag="A"
        )
        plan_service.update_action(
            s, a21.id, cost_pence=123_456, funding_source="-£1,234.56 from the CSP"
        )
    path = tmp_path / f"plan{suffix}"
    export = export_plan(db, original.plan_id, path, single_sheet=single)
    assert export.actions == 22
    parsed_back = parse_plan(path, db=db, today=TODAY)
    assert not parsed_back.unmatched or all(
        e.suggestion == "text" for e in parsed_back.unmatched.values()
    )
    back = write_plan(
        db, parsed_back, plan_title="Round trip", agency_map=default_agency_map(parsed_back, "text")
    )
    got, want = snapshot(db, back.plan_id), snapshot(db, original.plan_id)
    assert len(got) == len(want) == 22
    for g, w in zip(got, want, strict=True):
        assert [(i, x) for i, x in enumerate(g) if x != w[i]] == [], w[2]
    with db.session() as s:
        aims = s.scalars(
            select(Action.aim_id).where(Action.plan_id == back.plan_id, Action.reference == "2.1")
        ).one()
        assert aims is not None


def test_export_xlsx_layout_and_formula_safety(db, tmp_path, sevenoaks_docx):
    parsed = parse_plan(sevenoaks_docx, db=db, today=TODAY)
    parsed.actions[0].text = '=HYPERLINK("http://x","click")'
    parsed.actions[0].rag = "R"
    parsed.actions[1].rag = "G"
    summary = write_plan(db, parsed)
    path = tmp_path / "plan.xlsx"
    export = export_plan(db, summary.plan_id, path)
    assert export.sheets[1] == "Support in the Community"
    assert len(export.sheets) == 6
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Theme", "Ref", "Action"]
    assert "Baseline data" not in header  # no action uses it
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    rag = header.index("RAG") + 1
    assert ws.cell(2, rag).value == "R"
    assert ws.cell(2, rag).fill.fgColor.rgb.endswith("C62828")
    assert ws.cell(3, rag).fill.fgColor.rgb.endswith("2E7D32")
    assert ws.cell(2, 3).data_type == "s"
    assert ws.cell(2, 3).value.startswith("=HYPERLINK")
    assert ws.cell(2, 3).alignment.wrap_text
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet
    back = parse_plan(path, db=db, today=TODAY)
    assert back.actions[0].text == '=HYPERLINK("http://x","click")'
    csv_path = tmp_path / "plan.csv"
    export_plan(db, summary.plan_id, csv_path)
    rows = read_csv(csv_path).tables[0].rows
    assert rows[1][2] == '=HYPERLINK("http://x","click")'
    assert b"'=HYPERLINK" in csv_path.read_bytes()


def test_export_refuses_other_extensions(db, tmp_path, sevenoaks_docx):
    summary = write_plan(db, parse_plan(sevenoaks_docx, db=db, today=TODAY))
    with pytest.raises(DvcoordError, match="ending in .xlsx"):
        export_plan(db, summary.plan_id, tmp_path / "plan.pdf")


def test_a_second_plan_of_the_same_title_is_written_with_a_warning(db, sevenoaks_docx):
    parsed = parse_plan(sevenoaks_docx, db=db)
    first = write_plan(db, parsed, plan_title="DA plan")
    assert not [w for w in first.warnings if "already exists" in str(w)]
    second = write_plan(db, parsed, plan_title="  da PLAN ")
    [twin] = [str(w) for w in second.warnings if "already exists" in str(w)]
    assert twin.startswith("A plan called \u2018DA plan\u2019 already exists (")
    assert "22 actions" in twin and twin.endswith(
        "it was added as a separate plan with the same title."
    )
    assert second.plan_id != first.plan_id and _count(db, Plan) == 2


@pytest.mark.parametrize("title", ["", "   "])
def test_a_blank_plan_title_is_refused_and_nothing_written(db, sevenoaks_docx, title):
    parsed = parse_plan(sevenoaks_docx, db=db)
    with pytest.raises(DvcoordError, match=r"^The plan title is blank; .*\.$"):
        write_plan(db, parsed, plan_title=title)
    assert _count(db, Plan) == 0
