"""Reading tables from .xlsx/.csv/.docx and writing safe .xlsx/.csv (importers.tabular)."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pytest

from dvcoord.errors import DvcoordError
from dvcoord.importers.tabular import (
    HeaderMapping,
    SheetSpec,
    cell_text,
    match_headers,
    normalise_header,
    read_csv,
    read_docx,
    read_tables,
    read_xlsx,
    safe_cell,
    sheet_title,
    unsafe_cell,
    write_csv,
    write_xlsx,
)

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --------------------------------------------------------------------------- csv


def test_csv_windows_1252_with_pound_signs(tmp_path):
    path = tmp_path / "plan.csv"
    text = "Ref,Action,Funding source and cost\r\n1.1,Fund refuge £759,700 pledged,KCC £12,000\r\n"
    path.write_bytes(text.encode("cp1252"))
    found = read_csv(path)
    assert found.encoding == "Windows-1252"
    assert found.delimiter == ","
    rows = found.tables[0].rows
    # The unquoted commas split the cells: exactly as Excel would read this file.
    assert rows[1][1] == "Fund refuge £759"
    assert any("Windows-1252" in str(n) for n in found.notices)


def test_csv_utf8_bom_semicolon_and_quoted_newlines(tmp_path):
    path = tmp_path / "plan.csv"
    text = 'Ref;Action;Status\n1;"Two\nlines; here";Amber – £5\n2;Second;Green\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    found = read_tables(path)
    assert (found.encoding, found.delimiter) == ("UTF-8", ";")
    table = found.tables[0]
    assert table.rows[0] == ["Ref", "Action", "Status"]  # BOM gone from the first header
    assert table.rows[1] == ["1", "Two\nlines; here", "Amber – £5"]
    assert table.row_numbers == [1, 2, 3]


def test_csv_tab_separated_and_excel_sep_hint(tmp_path):
    tabbed = tmp_path / "t.csv"
    tabbed.write_text("Ref\tAction, with comma\tLead\n1\tDo it, now\tPolice\n", encoding="utf-8")
    assert read_csv(tabbed).delimiter == "\t"
    assert read_csv(tabbed).tables[0].rows[1] == ["1", "Do it, now", "Police"]
    hinted = tmp_path / "h.csv"
    hinted.write_text("sep=;\nA;B\n1;2\n", encoding="utf-8")
    found = read_csv(hinted)
    assert found.delimiter == ";"
    assert found.tables[0].rows == [["A", "B"], ["1", "2"]]
    assert found.tables[0].row_numbers == [2, 3]


def test_csv_utf16_from_excel_unicode_text(tmp_path):
    path = tmp_path / "u.txt"
    path.write_bytes("Ref\tAction\r\n1\tCafé £3\r\n".encode("utf-16"))
    found = read_tables(path)
    assert found.encoding == "UTF-16"
    assert found.tables[0].rows[1] == ["1", "Café £3"]


def test_csv_empty_and_binary_files_are_refused(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DvcoordError, match=r"'empty.csv' is empty"):
        read_tables(empty)
    blank = tmp_path / "blank.csv"
    blank.write_text("\n\n  \n", encoding="utf-8")
    with pytest.raises(DvcoordError, match=r"'blank.csv' is empty"):
        read_tables(blank)
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"abc\x00\x01\x02" * 10)
    with pytest.raises(DvcoordError, match=r"'bin.csv' is not a text"):
        read_tables(binary)


def test_unknown_and_old_formats_are_refused(tmp_path):
    for name, words in (
        ("plan.xls", "save it as .xlsx"),
        ("plan.doc", "save it as .docx"),
        ("plan.pdf", "choose a .docx, .xlsx or .csv"),
    ):
        path = tmp_path / name
        path.write_bytes(b"x")
        with pytest.raises(DvcoordError, match=re.escape(words)):
            read_tables(path)
    with pytest.raises(DvcoordError, match="does not exist"):
        read_tables(tmp_path / "missing.docx")


# --------------------------------------------------------------------------- safe cells


@pytest.mark.parametrize(
    "text",
    ["=SUM(A1:A9)", "+44 1732", "-2 quarters", "@risk", "\tindented", "\rcr", "=cmd|' /C calc'!A0"],
)
def test_formula_like_text_round_trips_through_csv_and_xlsx(tmp_path, text):
    assert safe_cell(text) == "'" + text
    assert unsafe_cell(safe_cell(text)) == text
    csv_path = tmp_path / "x.csv"
    write_csv(csv_path, ["Action"], [[text]])
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\n=" not in raw and b",=" not in raw
    assert read_csv(csv_path).tables[0].rows[1] == [text]

    xlsx_path = tmp_path / "x.xlsx"
    write_xlsx(xlsx_path, [SheetSpec("Plan", ["Action"], [[text]])])
    sheet = zipfile.ZipFile(xlsx_path).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet and b"<f " not in sheet
    assert read_xlsx(xlsx_path).tables[0].rows[1] == [text]
    # Opened normally (not data-only) openpyxl still sees text, not a formula.
    ws = openpyxl.load_workbook(xlsx_path).active
    assert ws["A2"].data_type == "s"
    assert ws["A2"].value == text


def test_safe_cell_leaves_numbers_and_plain_text_alone():
    assert safe_cell(-5) == -5
    assert safe_cell("Police") == "Police"
    assert safe_cell("") == ""
    assert unsafe_cell("'quoted") == "'quoted"


# --------------------------------------------------------------------------- xlsx


def test_write_xlsx_layout(tmp_path):
    path = tmp_path / "out.xlsx"
    rows = [["1.1", "Refuge", "G", date(2008, 3, 31)], ["1.2", "Long text " * 30, "R", None]]
    write_xlsx(
        path,
        [
            SheetSpec(
                "Support: in/the [Community]?",
                ["Ref", "Action", "RAG", "Due"],
                rows,
                fills={(0, 2): "00B050", (1, 2): "FF0000"},
            ),
            SheetSpec("Support: in/the [Community]?", ["Ref"], [["x"]]),
        ],
    )
    wb = openpyxl.load_workbook(path)
    first, second = wb.worksheets
    assert first.title == "Support in the Community"
    assert second.title == "Support in the Community (2)"
    assert first.freeze_panes == "A2"
    assert first.auto_filter.ref == "A1:D3"
    assert first["A1"].font.bold
    assert first["B2"].alignment.wrap_text
    assert first["C2"].fill.fgColor.rgb.endswith("00B050")
    assert first["C3"].fill.fgColor.rgb.endswith("FF0000")
    assert first["D2"].value == datetime(2008, 3, 31)
    assert first["D2"].number_format == "DD/MM/YYYY"
    assert first.column_dimensions["B"].width == 60
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_write_xlsx_strips_control_characters_and_cuts_huge_text(tmp_path):
    path = tmp_path / "x.xlsx"
    notices = write_xlsx(path, [SheetSpec("S", ["A"], [["bell\x07 here"], ["x" * 40000]])])
    rows = read_xlsx(path).tables[0].rows
    assert rows[1] == ["bell here"]
    assert len(rows[2][0]) == 32767
    assert notices and "cut short" in notices[0]


def _set_cached_values(path: Path, values: dict[str, str]) -> None:
    """Give formula cells a stored value, as Excel does when it saves."""
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, value in values.items():
        xml, n = re.subn(
            rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(?:</v>)?', rf"\1\2<v>{value}</v>", xml
        )
        assert n == 1, xml
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_xlsx_formulas_give_cached_values_and_missing_ones_are_reported(tmp_path):
    path = tmp_path / "f.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ref", "Cost", "Total"])
    ws.append(["1", 100, "=B2*2"])
    ws.append(["2", 50, "=B3*2"])
    wb.save(path)
    _set_cached_values(path, {"C2": "200"})
    found = read_xlsx(path)
    rows = found.tables[0].rows
    assert rows[1] == ["1", 100, 200]
    assert rows[2] == ["2", 50]  # no stored value: empty, and said so
    assert len(found.notices) == 1
    assert "C3" in str(found.notices[0]) and "no saved value" in str(found.notices[0])


def test_xlsx_merged_cells_appear_once(tmp_path):
    path = tmp_path / "m.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Theme", "Ref", "Action"])
    ws.append(["Housing", "4.1", "Refuge"])
    ws.append([None, "4.2", "Teenage rooms"])
    ws.append(["Title across", None, None])
    ws.merge_cells("A2:A3")
    ws.merge_cells("A4:C4")
    wb.save(path)
    table = read_xlsx(path).tables[0]
    assert table.rows[2][0] is None
    assert table.merged[(2, 0)] == (1, 0)
    assert table.rows[3] == ["Title across"]
    assert table.merged[(3, 1)] == (3, 0) and table.merged[(3, 2)] == (3, 0)


def test_xlsx_reads_every_sheet_with_dates_and_numbers(tmp_path):
    path = tmp_path / "s.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Housing"
    wb.active.append(["Ref", "Due", "Cost"])
    wb.active.append(["4.1", datetime(2008, 3, 31), 1200.0])
    other = wb.create_sheet("Perpetrators")
    other.append(["Ref"])
    other.sheet_state = "hidden"
    wb.save(path)
    found = read_tables(path)
    assert [t.sheet for t in found.tables] == ["Housing", "Perpetrators"]
    first = found.tables[0]
    assert [first.text(1, c) for c in range(3)] == ["4.1", "31/03/2008", "1200"]
    assert any("hidden" in str(n) for n in found.notices)


def test_damaged_and_encrypted_office_files(tmp_path):
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 100)
    with pytest.raises(DvcoordError, match=r"'corrupt.xlsx' is damaged"):
        read_tables(corrupt)
    renamed = tmp_path / "renamed.xlsx"
    renamed.write_text("Ref,Action\n", encoding="utf-8")
    with pytest.raises(DvcoordError, match=r"'renamed.xlsx' is not a valid Excel"):
        read_tables(renamed)
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(OLE_HEADER + b"\x00" * 500 + "EncryptionInfo".encode("utf-16-le"))
    with pytest.raises(DvcoordError, match=r"'locked.xlsx' is password-protected"):
        read_tables(encrypted)
    old = tmp_path / "old.docx"
    old.write_bytes(OLE_HEADER + b"\x00" * 2000)
    with pytest.raises(DvcoordError, match=r"'old.docx' is an old-format Word 97-2003"):
        read_tables(old)


# --------------------------------------------------------------------------- docx


def test_docx_tables_with_headings_between_and_merged_cells(tmp_path):
    document = docx.Document()
    document.add_paragraph("DOMESTIC ABUSE ACTION PLAN")
    document.add_heading("2. Support in the Community", level=2)
    table = document.add_table(rows=3, cols=3)
    for r, values in enumerate(
        [["Action", "Lead", "Target"], ["2.1 A", "Police", "March 2008"], ["2.2 B", "", "Ongoing"]]
    ):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    table.cell(1, 1).merge(table.cell(2, 1))  # lead shared by two rows
    document.add_paragraph("")
    document.add_paragraph("3. Support for Children")
    second = document.add_table(rows=2, cols=3)
    second.cell(0, 0).text = "Whole row"
    second.cell(0, 0).merge(second.cell(0, 2))
    second.cell(1, 0).text = "x\ty"
    path = tmp_path / "plan.docx"
    document.save(path)

    found = read_docx(path)
    first, other = found.tables
    assert [p.text for p in first.before] == [
        "DOMESTIC ABUSE ACTION PLAN",
        "2. Support in the Community",
    ]
    assert first.before[1].level == 2 and not first.before[0].is_heading
    assert first.rows[1] == ["2.1 A", "Police", "March 2008"]
    assert first.rows[2] == ["2.2 B", None, "Ongoing"]
    assert first.merged == {(2, 1): (1, 1)}
    assert [p.text for p in other.before] == ["3. Support for Children"]
    assert other.rows[0] == ["Whole row", None, None]  # a merge keeps the width
    assert other.merged[(0, 1)] == (0, 0) and other.merged[(0, 2)] == (0, 0)
    assert other.rows[1][0] == "x\ty"
    assert other.where(1) == "Table 2, row 2"


def test_docx_without_tables_gives_clear_message(tmp_path):
    document = docx.Document()
    document.add_paragraph("Our plan is in the paragraphs, not a table.")
    path = tmp_path / "prose.docx"
    document.save(path)
    with pytest.raises(DvcoordError, match=r"'prose.docx' has no tables"):
        read_tables(path)


def test_corrupt_docx(tmp_path):
    path = tmp_path / "broken.docx"
    good = tmp_path / "good.docx"
    docx.Document().save(good)
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DvcoordError, match=r"'broken.docx' is damaged or not a valid Word"):
        read_tables(path)
    zip_not_docx = tmp_path / "zip.docx"
    with zipfile.ZipFile(zip_not_docx, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(DvcoordError, match=r"'zip.docx' is damaged or not a valid Word"):
        read_tables(zip_not_docx)


# --------------------------------------------------------------------------- headers

PLAN_FIELDS = {
    "ref": ["ref", "reference", "no"],
    "action": ["action", "activity", "recommendation"],
    "lead": ["lead agency", "ownership", "lead", "lead agency and project leader"],
    "target": ["target date", "date", "milestones"],
    "outcomes": ["outcomes", "expected outcome"],
    "status": ["status", "progress to date", "progress"],
}


def test_match_headers_whatever_order_spelling_and_case():
    headers = [
        "PROGRESS TO DATE:",
        "Lead Agency & Project Leader",
        "Activity",
        "Target-Date",
        "Expected Outcomes",
        "Ref.",
    ]
    m = match_headers(headers, PLAN_FIELDS)
    assert m.columns == {"status": 0, "lead": 1, "action": 2, "target": 3, "outcomes": 4, "ref": 5}
    assert m.strength() == 6


def test_match_headers_prefers_the_better_field_for_a_column():
    m = match_headers(["Recommendation 4", "Progress to date", "Status", "Date"], PLAN_FIELDS)
    assert m.get("action") == 0  # the number is ignored
    assert m.get("status") == 2  # "Status" exactly; "Progress to date" is next best
    assert m.get("target") == 3
    assert m.field_of(1) is None and m.unmapped() == [1]


def test_header_mapping_can_be_changed_by_the_user():
    m = match_headers(["Ref", "Action", "Owner"], PLAN_FIELDS)
    assert "lead" not in m
    m.assign("lead", 2)
    assert m.get("lead") == 2 and m.text(["1", "x", "Police "], "lead") == "Police"
    m.assign("action", 2)  # a column holds one field
    assert m.get("action") == 2 and "lead" not in m
    m.assign("action", None)
    assert "action" not in m
    copy = m.copy()
    copy.assign("ref", None)
    assert m.get("ref") == 0
    assert isinstance(m, HeaderMapping)
    assert m.describe()[0] == ("Ref", "ref")


def test_normalise_header_and_cell_text():
    assert normalise_header("<b>Lead Agency / Ownership:</b>") == ("lead", "agency", "ownership")
    assert normalise_header("Recommendation 12") == ("recommendation",)
    assert cell_text(3.0) == "3" and cell_text(2.5) == "2.5"
    assert cell_text(datetime(2013, 7, 1)) == "01/07/2013"
    assert cell_text(None) == "" and cell_text("  x ") == "x"


def test_sheet_title_rules():
    used: set[str] = set()
    assert sheet_title("History", used) == "History (plan)"
    long = "A" * 40
    assert sheet_title(long, used) == "A" * 31
    assert sheet_title(long, used) == "A" * 27 + " (2)"
    assert sheet_title("", used) == "Sheet"
