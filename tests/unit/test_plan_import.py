"""Importing plans from real-shaped Word, Excel and CSV files (importers.plan_import)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import docx
import openpyxl
import plan_fixtures as pf
import pytest

from dvcoord.errors import DvcoordError
from dvcoord.importers.plan_import import (
    AgencyChoice,
    AgencyMatcher,
    KnownAgency,
    clean_cell,
    default_agency_map,
    find_rag,
    parse_plan,
    split_reference,
)
from dvcoord.importers.tabular import HeaderMapping, read_tables
from dvcoord.services.dates import DateKind

TODAY = date(2026, 11, 23)


def flat(text: str) -> str:
    return " ".join(text.split())


# =========================================================================== Sevenoaks (Word)


@pytest.fixture(scope="module")
def sevenoaks_docx(tmp_path_factory) -> Path:
    return pf.build_docx(pf.SEVENOAKS, tmp_path_factory.mktemp("so") / "sevenoaks.docx")


def test_sevenoaks_docx_every_action_arrives(sevenoaks_docx):
    plan = parse_plan(sevenoaks_docx, today=TODAY)
    expected = pf.expected_sevenoaks()
    got = plan.actions
    assert [a.reference for a in got] == [e["ref"] for e in expected]
    assert len(got) == 22
    for action, want in zip(got, expected, strict=True):
        assert flat(action.text) == flat(want["text"]), want["ref"]
        assert action.lead_text == want["lead"], want["ref"]
        assert action.target.text == want["target"], want["ref"]
        assert flat(action.outcomes) == flat(want["outcomes"]), want["ref"]
        assert flat(action.progress) == flat(want["status"]), want["ref"]
        assert "<p>" not in action.text + action.lead_text + action.progress
    assert [(t.code, t.title) for t in plan.themes] == [
        ("I", "Short Terms Actions – All actions achievable within six months"),
        ("2", "Support in the Community"),
        ("3", "Support for Children"),
        ("4", "Safe & Supportive Housing"),
        ("5", "Perpetrators"),
        ("6", "Education & Prevention"),
    ]
    assert [len(t.actions) for t in plan.themes] == [3, 7, 2, 4, 2, 4]
    assert plan.title == "DOMESTIC ABUSE ACTION PLAN"
    assert plan.partnership == "SEVENOAKS DISTRICT COMMUNITY SAFETY PARTNERSHIP"


def test_sevenoaks_targets_milestones_and_warnings(sevenoaks_docx):
    plan = parse_plan(sevenoaks_docx, today=TODAY)
    by_ref = {a.reference: a for a in plan.actions}
    assert by_ref["2.1"].target.kind is DateKind.MONTH
    assert by_ref["2.1"].target.end == date(2008, 3, 31)
    assert by_ref["4.1"].target.kind is DateKind.CONDITIONAL
    assert by_ref["5.1"].target.kind is DateKind.ONGOING  # "On going"
    # "Manual available from May 2007 Training Delivered September 2007": two milestones
    ms = by_ref["2.5"].milestones
    assert [(m.text, m.due.text, m.due.end) for m in ms] == [
        ("Manual available", "from May 2007", date(2007, 5, 31)),
        ("Training Delivered", "September 2007", date(2007, 9, 30)),
    ]
    assert by_ref["2.5"].target.end == date(2007, 9, 30)
    # 2.6 and 4.3/4.4 are tables with no header row (split at a page break)
    split = [str(w) for w in plan.warnings if "no header row" in str(w)]
    assert len(split) == 2 and all("Action, Lead Agency" in w for w in split)
    assert any("import date" in str(w) and "22 action(s)" in str(w) for w in plan.warnings)
    assert by_ref["4.3"].mentions[0].text == "SDC"
    assert [(m.text, m.role) for m in by_ref["4.3"].mentions] == [
        ("SDC", "lead"),
        ("housing providers", "support"),
        ("T&M and Tunbridge Wells", "support"),
    ]
    # "SDC through bi-monthly meetings with T&M and Tunbridge Wells"
    assert [(m.text, m.role) for m in by_ref["4.4"].mentions] == [
        ("SDC", "lead"),
        ("T&M and Tunbridge Wells", "support"),
    ]
    assert plan.unmatched["building bridges"].count == 3
    assert plan.unmatched["building bridges"].suggestion == "new"
    assert plan.unmatched["housing providers"].suggestion == "text"


# =========================================================================== Kent tracker


def _kent_source_cells() -> list[str]:
    """Every cell of the tracker's recommendation tables that must arrive somewhere."""
    cells = []
    for table in pf.table_rows(pf.KENT_TRACKER)[2:]:  # after the version control
        garbage_first_column = len(table[0]) == 4
        for row in table:
            if "Progress to date" in row and "Status" in row:
                continue  # a header row
            for c, cell in enumerate(row):
                if garbage_first_column and c == 0:
                    continue
                text = flat(clean_cell(cell))
                text = re.sub(r"^(Progress to date|Status|Recommendation \d+)\s+", "", text)
                if text:
                    cells.append(text)
    return cells


def _check_kent(plan) -> None:
    refs = [a.reference for a in plan.actions]
    assert refs == [""] + [f"Recommendation {n}" for n in range(2, 15)]
    assert [a.rag for a in plan.actions] == ["A"] * 10 + [""] + ["A"] * 3
    everything = flat(" ".join(a.text + " " + a.progress for a in plan.actions))
    for cell in _kent_source_cells():
        assert cell in everything, cell[:80]
    by_ref = {a.reference: a for a in plan.actions}
    rec2 = by_ref["Recommendation 2"]
    assert rec2.text.startswith("That to mitigate the loss")
    assert "• ensure that there is a system for flagging" in rec2.text
    assert "Give urgent consideration to a process" in rec2.text  # from the split table
    assert "<ul>" not in rec2.text and "</li>" not in rec2.text
    rec5 = by_ref["Recommendation 5"]
    assert rec5.progress.startswith("KCC HR Organisational Development")  # no header echo
    assert rec5.text.rstrip().endswith("Domestic Abuse Strategy Executive Group.1")
    assert by_ref["Recommendation 8"].text.startswith("That in implementing")
    assert by_ref["Recommendation 14"].rag == "A"  # the RAG is on the continuation row
    assert plan.title == "Select Committee Domestic Abuse Action Plan"
    assert plan.owner == "KCC" and plan.status == "draft" and plan.version == "V4"
    assert [(c.version, c.changed_on, c.editor) for c in plan.changes] == [
        ("V1", date(2012, 12, 17), "AG"),
        ("V2", date(2013, 2, 4), "AG"),
        ("V3", date(2013, 3, 7), "AG"),
        ("V4", date(2013, 3, 14), "AG"),
    ]
    assert plan.changes[2].summary == "Additions following 1st meeting of Task and Finish Group"
    assert len(plan.themes) == 1


def test_kent_tracker_docx(tmp_path):
    path = pf.build_docx(pf.KENT_TRACKER, tmp_path / "tracker.docx")
    plan = parse_plan(path, today=TODAY)
    _check_kent(plan)
    assert [e["letter"] for e in plan.rag_key] == ["G", "A", "R"]
    assert plan.rag_key[0]["meaning"] == "Completed /advanced progress"
    text = "\n".join(str(w) for w in plan.warnings)
    assert "One or more Members could undertake these roles" in text  # footnote not lost
    assert "column 1 has no heading; it was read as the action" in text
    assert "not a column name" in text  # the stray text in Recommendation 11's header


def test_kent_tracker_xlsx_with_repeated_headers(tmp_path):
    plan = parse_plan(pf.build_kent_xlsx(tmp_path / "tracker.xlsx"), today=TODAY)
    _check_kent(plan)
    assert plan.themes[0].title == "Tracker"
    assert plan.skipped_header_rows == 8
    assert any("repeated header row" in str(w) for w in plan.warnings)


# =========================================================================== Sevenoaks (Excel, CSV)


def test_sevenoaks_xlsx_one_sheet_per_theme(tmp_path):
    plan = parse_plan(pf.build_sevenoaks_xlsx(tmp_path / "so.xlsx"), today=TODAY)
    assert [t.title for t in plan.themes] == list(pf.SEVENOAKS_SHEETS.values())
    expected = pf.expected_sevenoaks()
    assert [(a.reference, a.lead_text, a.target.text) for a in plan.actions] == [
        (e["ref"], e["lead"], e["target"]) for e in expected
    ]
    assert [flat(a.progress) for a in plan.actions] == [flat(e["status"]) for e in expected]


def test_sevenoaks_csv_windows_1252_with_pound_signs(tmp_path):
    path = pf.build_sevenoaks_csv(tmp_path / "so.csv")
    raw = path.read_bytes()
    assert b"\xa3" in raw and b"\x96" in raw  # £ and – in Windows-1252
    plan = parse_plan(path, today=TODAY)
    expected = pf.expected_sevenoaks()
    assert [(a.reference, flat(a.text), a.lead_text, a.target.text) for a in plan.actions] == [
        (e["ref"], flat(e["text"]), e["lead"], e["target"]) for e in expected
    ]
    by_ref = {a.reference: a for a in plan.actions}
    assert by_ref["2.2"].funding_source == "Funding bids: £2,500 a year"
    assert by_ref["2.2"].cost_pence == 250_000
    assert by_ref["2.7"].cost_pence == 1_200_000
    assert by_ref["4.1"].cost_pence == 15_000_000  # £150k
    assert [t.code for t in plan.themes] == ["I", "2", "3", "4", "5", "6"]
    assert any("Windows-1252" in str(w) for w in plan.warnings)


def test_csv_tab_separated_utf8(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(
        "Ref\tActivity\tOwnership\tDate\tProgress\n"
        "DV4\tRun the Freedom Programme\tBuilding Bridges\tQtr 2 2013/14\tGreen - running\n",
        encoding="utf-8",
    )
    plan = parse_plan(path, today=TODAY)
    (action,) = plan.actions
    assert (action.reference, action.text, action.lead_text) == (
        "DV4",
        "Run the Freedom Programme",
        "Building Bridges",
    )
    assert action.target.kind is DateKind.QUARTER
    assert action.progress == "Green - running"
    assert action.rag == "" or action.rag == "G"


# =========================================================================== shapes and errors


def _docx_with_table(path: Path, rows: list[list[str]], before: list[str] = ()) -> docx.Document:
    document = docx.Document()
    for text in before:
        document.add_paragraph(text)
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    return document


def test_merged_cells(tmp_path):
    rows = [
        ["Ref", "Action", "Lead Agency", "Target date", "Status"],
        ["2. Support in the Community", "", "", "", ""],
        ["2.1", "Refuge places", "Kent Police", "March 2008", "Amber"],
        ["2.2", "Helpline", "", "Apr 2008", "Green"],
        ["", "continued in a second row", "", "", "more progress"],
    ]
    document = _docx_with_table(tmp_path / "m.docx", rows)
    table = document.tables[0]
    table.cell(1, 0).merge(table.cell(1, 4))  # heading across the table
    table.cell(2, 2).merge(table.cell(3, 2))  # one lead for 2.1 and 2.2
    table.cell(3, 1).merge(table.cell(4, 1))  # 2.2's text runs over two rows
    path = tmp_path / "m.docx"
    document.save(path)
    plan = parse_plan(path, today=TODAY)
    assert [(t.code, t.title) for t in plan.themes] == [("2", "Support in the Community")]
    a1, a2 = plan.actions
    assert (a1.reference, a1.lead_text, a1.rag) == ("2.1", "Kent Police", "A")
    assert (a2.reference, a2.lead_text, a2.rag) == ("2.2", "Kent Police", "G")
    assert "continued in a second row" in a2.text
    assert a2.progress == "Green\nmore progress" or "more progress" in a2.progress


def test_document_without_tables(tmp_path):
    path = tmp_path / "summary.docx"
    pf.build_docx(pf.KENT_SUMMARY, path)  # the real strategy summary: prose and bullets
    with pytest.raises(DvcoordError, match=r"'summary.docx' has no tables"):
        parse_plan(path)


def test_tables_without_actions(tmp_path):
    path = tmp_path / "contacts.docx"
    _docx_with_table(path, [["Name", "Telephone"], ["Refuge", "01732 000000"]]).save(path)
    with pytest.raises(DvcoordError, match=r"No actions were found in 'contacts.docx'"):
        parse_plan(path)


def test_password_protected_and_corrupt_docx(tmp_path):
    locked = tmp_path / "locked.docx"
    locked.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000 + "EncryptionInfo".encode("utf-16-le")
    )
    with pytest.raises(DvcoordError, match=r"'locked.docx' is password-protected"):
        parse_plan(locked)
    good = tmp_path / "good.docx"
    _docx_with_table(good, [["Action"], ["x"]]).save(good)
    broken = tmp_path / "broken.docx"
    broken.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(DvcoordError, match=r"'broken.docx' is damaged"):
        parse_plan(broken)


def test_unreadable_dates_are_kept_and_flagged(tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text(
        "Ref,Action,Target date,Milestones\n"
        "1.1,Typo in the year,Oct 208,\n"
        '1.2,Tender,March 2009,"Tender process established – Jul 2008 Contract awarded – Sept 2008'
        ' Service in place – Oct 2008"\n'
        '1.3,Bad milestone,Ongoing,"Helpline available – 31/02/2008"\n',
        encoding="utf-8",
    )
    plan = parse_plan(path, today=TODAY)
    a1, a2, a3 = plan.actions
    assert a1.target.text == "Oct 208" and a1.target.kind is DateKind.UNREADABLE
    assert a1.flags and "Oct 208" in a1.flags[0]
    assert any(w.where == "dates.csv, row 2" and "Oct 208" in w.message for w in plan.warnings)
    assert [(m.text, m.due.text, m.due.end) for m in a2.milestones] == [
        ("Tender process established", "Jul 2008", date(2008, 7, 31)),
        ("Contract awarded", "Sept 2008", date(2008, 9, 30)),
        ("Service in place", "Oct 2008", date(2008, 10, 31)),
    ]
    assert a2.target.text == "March 2009"  # the target column, not the milestones
    assert a3.milestones[0].due.kind is DateKind.UNREADABLE
    assert any("Helpline available" in w.message for w in plan.warnings)


def test_progress_dates_duplicate_references_and_statuses(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(
        "Ref,Action,Progress to date,RAG,Status\n"
        "1.1,First,12/03/2013: panel met,Red,\n"
        "1.1,Second,no date here,B,Complete\n"
        "1.3,Third,,,\n",
        encoding="utf-8",
    )
    plan = parse_plan(path, today=TODAY)
    a1, a2, a3 = plan.actions
    assert (a1.progress_date, a1.progress_date_from, a1.rag) == (date(2013, 3, 12), "text", "R")
    assert a2.progress_date is None and a2.rag == "B" and a2.status_value == "complete"
    assert a2.reference == "1.1 (2)"
    assert any("used twice" in w.message for w in plan.warnings)
    assert a3.status_value == "not started"
    assert any(
        "1 action(s)" in w.message and "1 other(s) took the date" in w.message
        for w in plan.warnings
    )


def test_column_mapping_can_be_changed(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(
        "Ref,Task,Organisation,Expected Outcomes\n1,Do it,Kent Police,Safer\n", encoding="utf-8"
    )
    plan = parse_plan(path, today=TODAY)
    (layout,) = plan.layouts
    assert layout.mapping.get("lead") is None  # "Organisation" is not a known heading
    assert any("'Organisation' was not recognised" in w.message for w in plan.warnings)
    mapping = layout.mapping.copy()
    mapping.assign("lead", 2)
    mapping.assign("outcomes", None)
    again = parse_plan(path, {layout.key: mapping}, today=TODAY)
    (action,) = again.actions
    assert action.lead_text == "Kent Police" and action.outcomes == ""
    single = parse_plan(path, mapping, today=TODAY)  # one mapping for every table
    assert single.actions[0].lead_text == "Kent Police"


def test_xlsx_formulas_theme_column_and_aims(tmp_path):
    path = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Theme", "Objective", "Action", "Lead", "Cost", "Target date"])
    ws.append(["Housing", "1. Safe homes", "4.1 Sanctuary scheme", "SDC", "=2*600", "Mar 2009"])
    ws.append([None, "1. Safe homes", "4.2 Refuge", "SDC", 300, "2008/09"])
    ws.append(["Children", "2. Support", "5.1 Play therapy", "", None, "Qtr 1 2009/10"])
    wb.save(path)
    plan = parse_plan(path, today=TODAY)
    assert any("no saved value" in w.message for w in plan.warnings)  # =2*600 uncalculated
    assert [t.title for t in plan.themes] == ["Housing", "Children"]
    housing = plan.themes[0]
    assert [(a.reference, a.text) for a in housing.aims] == [("1", "Safe homes")]
    assert all(a.aim is housing.aims[0] for a in housing.actions)
    assert housing.actions[1].cost_pence == 30_000
    assert housing.actions[1].target.kind is DateKind.FINANCIAL_YEAR


# =========================================================================== helpers


@pytest.mark.parametrize(
    ("text", "ref", "rest"),
    [
        (
            "2.1 Development of a holistic support service",
            "2.1",
            "Development of a holistic support service",
        ),
        ("I.3 Web links", "I.3", "Web links"),
        ("DV4 Run it", "DV4", "Run it"),
        ("R6: Members welcome", "R6", "Members welcome"),
        ("6.2a Awareness", "6.2a", "Awareness"),
        ("1. Provision of point of contact", "1", "Provision of point of contact"),
        ("Recommendation 8  That in implementing", "Recommendation 8", "That in implementing"),
        ("10 refuge places a year", "", "10 refuge places a year"),
        ("CAF 2 co-ordinators", "", "CAF 2 co-ordinators"),
        ("Support the development", "", "Support the development"),
    ],
)
def test_split_reference(text, ref, rest):
    assert split_reference(text) == (ref, rest)


@pytest.mark.parametrize(
    ("text", "column", "letter"),
    [
        ("Amber", "status", "A"),
        ("Work is underway to address this recommendation.  Amber", "status", "A"),
        ("Green - completed in June", "status", "G"),
        ("RAG: Red. No funding yet", "progress", "R"),
        ("The Green Lane refuge opened", "progress", ""),
        ("Blue", "rag", "B"),
        ("a", "rag", "A"),
        ("Amber/Green", "rag", "A"),
        ("No progress", "rag", ""),
    ],
)
def test_find_rag(text, column, letter):
    assert find_rag(text, column=column) == letter


def test_clean_cell_strips_converter_markup():
    assert clean_cell("<p>4.3 Investigate</p>") == "4.3 Investigate"
    assert clean_cell("<ul> <li>one;</li> <li>two</li> </ul>") == "• one;\n• two"
    assert clean_cell("1 <sup>st</sup> meeting &amp; more") == "1st meeting & more"
    assert clean_cell('see <a href="www.x.org">www.x.org</a>') == "see www.x.org"
    assert clean_cell("<sup>&</sup>lt;sup>1</sup> note") == "1 note"
    assert clean_cell("a < b and c > d") == "a < b and c > d"


def test_agency_words_split_into_known_agencies():
    known = [
        KnownAgency("p", "Kent Police", "Police"),
        KnownAgency("s", "Service Provider"),
        KnownAgency("d", "Sevenoaks District Council", "SDC"),
        KnownAgency("t", "Tonbridge & Malling Borough Council", "T&M"),
    ]
    matcher = AgencyMatcher(known, aliases={"da manager": "p", "gone": "nobody"})
    found = matcher.split("Police DA Manager Service Provider")
    assert [(m.text, m.agency_id) for m in found] == [("Police", "p"), ("Service Provider", "s")]
    found = matcher.split("SDC/ With housing providers/T&M and Tunbridge Wells")
    assert [(m.text, m.role, m.agency_id) for m in found] == [
        ("SDC", "lead", "d"),
        ("housing providers", "support", None),
        ("T&M", "support", "t"),
        ("Tunbridge Wells", "support", None),
    ]
    assert matcher.split("the sevenoaks district council")[0].agency_id == "d"
    both = AgencyMatcher([KnownAgency("c", "CABx"), KnownAgency("k", "County Co-ordinator")])
    found = both.split("Community Legal Service/ CABx working with County Co-ordinator")
    assert [(m.text, m.role, m.agency_id) for m in found] == [
        ("Community Legal Service", "lead", None),
        ("CABx", "lead", "c"),
        ("County Co-ordinator", "support", "k"),
    ]
    assert AgencyMatcher().split("Kent & Medway DV Strategy Group")[0].agency_id is None


def test_default_agency_map_policies(sevenoaks_docx):
    plan = parse_plan(sevenoaks_docx, today=TODAY)
    suggested = default_agency_map(plan)
    assert suggested["building bridges"].action == "new"
    assert suggested["county co ordinator"].action == "text"
    assert {c.action for c in default_agency_map(plan, "text").values()} == {"text"}
    assert isinstance(suggested["sdc"], AgencyChoice)


def test_read_tables_and_parse_agree_on_row_numbers(sevenoaks_docx):
    found = read_tables(sevenoaks_docx)
    assert len(found.tables) == 8
    plan = parse_plan(sevenoaks_docx, today=TODAY)
    assert plan.actions[0].where == "Table 1, row 2"
    assert isinstance(plan.layouts[0].mapping, HeaderMapping)


# =========================================================================== a 10 MB workbook


def _big_xlsx(path: Path, rows: int, text_bytes: int) -> Path:
    """A workbook of about ``rows * text_bytes`` bytes, written straight as XML (fast)."""
    import base64
    import os
    import zipfile

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = []
    header = ["Ref", "Action", "Lead Agency", "Target date", "Progress to date", "Status"]

    def row_xml(n: int, cells: list[str]) -> str:
        inner = "".join(
            f'<c r="{"ABCDEF"[i]}{n}" t="inlineStr"><is><t>{v}</t></is></c>'
            for i, v in enumerate(cells)
        )
        return f'<row r="{n}">{inner}</row>'

    parts.append(row_xml(1, header))
    noise = base64.b64encode(os.urandom(rows * text_bytes * 3 // 4)).decode("ascii")
    for n in range(rows):
        chunk = noise[n * text_bytes : (n + 1) * text_bytes]
        parts.append(
            row_xml(
                n + 2,
                [
                    f"{n // 100 + 1}.{n % 100 + 1}",
                    f"Action number {n}",
                    "Kent Police",
                    "Qtr 2 2013/14",
                    chunk,
                    "Amber",
                ],
            )
        )
    sheet = f'<worksheet xmlns="{main}"><sheetData>' + "".join(parts) + "</sheetData></worksheet>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="Housing" '
            'sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" Type="{rel}/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>',
        )
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


@pytest.mark.slow
def test_ten_megabyte_workbook(tmp_path):
    path = _big_xlsx(tmp_path / "big.xlsx", rows=4000, text_bytes=2560)
    assert path.stat().st_size > 10_000_000
    plan = parse_plan(path, today=TODAY)
    assert plan.action_count == 4000
    assert plan.themes[0].title == "Housing"
    last = plan.actions[-1]
    assert (last.reference, last.text, last.rag) == ("40.100", "Action number 3999", "A")
    assert len(last.progress) == 2560 and "Amber" not in last.progress
    assert last.target.kind is DateKind.QUARTER
