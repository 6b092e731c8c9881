"""Build real-shaped plan files (.docx, .xlsx, .csv) from the reference plans in
``tests/data/plans/`` (text dumps of three real partnership documents).

In the dumps a line holding tabs is a table row, a blank line ends a table, and every
other line is a paragraph (``#`` marks a heading, ``**`` bold). The builders keep the
mess: ``<p>`` markup in cells, tables split at page breaks without a header row, a
leading column of stray text, repeated header rows, RAG words inside status cells.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import docx
import openpyxl

DATA = Path(__file__).resolve().parents[1] / "data" / "plans"
SEVENOAKS = DATA / "sevenoaks-action-plan-2007.txt"
KENT_TRACKER = DATA / "kent-select-committee-tracker-2013.txt"
KENT_SUMMARY = DATA / "kent-medway-strategy-summary-2009.txt"


def blocks(path: Path) -> list[tuple[str, object]]:
    """("p", text) and ("table", [[cell, ...], ...]) in document order."""
    found: list[tuple[str, object]] = []
    table: list[list[str]] | None = None
    for line in path.read_text(encoding="utf-8").split("\n"):
        if "\t" in line:
            if table is None:
                table = []
                found.append(("table", table))
            table.append(line.split("\t"))
            continue
        table = None
        if line.strip():
            found.append(("p", line.strip()))
    return found


def _add_runs(paragraph, text: str) -> None:
    for i, part in enumerate(re.split(r"\*\*", text)):
        if part:
            paragraph.add_run(part).bold = i % 2 == 1


def build_docx(source: Path, dest: Path) -> Path:
    document = docx.Document()
    previous = None
    for kind, value in blocks(source):
        if kind == "p":
            text = str(value)
            m = re.match(r"^(#+)\s*(.*)$", text)
            if m:
                document.add_heading(m.group(2).replace("**", ""), level=min(len(m.group(1)), 4))
            elif text.startswith("- "):
                _add_runs(document.add_paragraph(style="List Bullet"), text[2:])
            else:
                _add_runs(document.add_paragraph(), text)
        else:
            rows = value
            if previous == "table":
                document.add_paragraph("")  # Word keeps two tables apart with a paragraph
            width = max(len(r) for r in rows)
            table = document.add_table(rows=len(rows), cols=width)
            for r, cells in enumerate(rows):
                for c, cell in enumerate(cells):
                    if cell:
                        table.cell(r, c).text = cell
        previous = kind
    document.save(dest)
    return dest


def table_rows(source: Path) -> list[list[list[str]]]:
    return [value for kind, value in blocks(source) if kind == "table"]


def build_kent_xlsx(dest: Path) -> Path:
    """The select-committee tracker as a workbook: version control on one sheet, every
    recommendation table one after another on a second, with the header row repeated."""
    tables = table_rows(KENT_TRACKER)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Version control"
    for row in tables[0]:
        ws.append(row)
    tracker = wb.create_sheet("Tracker")
    for table in tables[1:]:
        for row in table:
            tracker.append(row)
        tracker.append([])
    wb.save(dest)
    return dest


SEVENOAKS_SHEETS = {
    "I": "Short Term Actions",
    "2": "Support in the Community",
    "3": "Support for Children",
    "4": "Safe & Supportive Housing",
    "5": "Perpetrators",
    "6": "Education & Prevention",
}


def sevenoaks_themes() -> list[tuple[str, str, list[list[str]]]]:
    """(code, heading as written, data rows) per theme of the Sevenoaks plan."""
    themes: list[tuple[str, str, list[list[str]]]] = []
    heading = ""
    for kind, value in blocks(SEVENOAKS):
        if kind == "p":
            heading = str(value)
            continue
        rows = [r for r in value if r[0] != "Action"]
        code = heading.split(".")[0].strip()
        if themes and themes[-1][1] == heading:
            themes[-1][2].extend(rows)
        else:
            themes.append((code, heading, rows))
    return themes


def build_sevenoaks_xlsx(dest: Path) -> Path:
    """One sheet per theme, the header row at the top of each."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for code, _heading, rows in sevenoaks_themes():
        ws = wb.create_sheet(SEVENOAKS_SHEETS[code])
        ws.append(["Action", "Lead Agency", "Target Date", "Outcomes", "Status"])
        for row in rows:
            ws.append(row)
    wb.save(dest)
    return dest


FUNDING = {
    "2.2": "Funding bids: £2,500 a year",
    "2.7": "SDC Housing capital £12,000",
    "4.1": "Supporting People bid £150k",
}


def build_sevenoaks_csv(dest: Path, delimiter: str = ",") -> Path:
    """One CSV with a Theme column and a funding column with £ signs, in Windows-1252."""
    with dest.open("w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(
            [
                "Theme",
                "Ref",
                "Action",
                "Lead Agency",
                "Target Date",
                "Outcomes",
                "Progress",
                "Funding source and cost",
            ]
        )
        for _code, heading, rows in sevenoaks_themes():
            for row in rows:
                first = re.sub(r"</?p>", "", row[0])
                ref, _, text = first.partition(" ")
                writer.writerow([heading, ref, text, *row[1:5], FUNDING.get(ref, "")])
    return dest


def expected_sevenoaks() -> list[dict[str, str]]:
    """Every action of the Sevenoaks plan as the reference text writes it."""
    found = []
    for code, heading, rows in sevenoaks_themes():
        for row in rows:
            cells = [re.sub(r"</?p>", "", c).strip() for c in row]
            ref, _, text = cells[0].partition(" ")
            found.append(
                {
                    "theme": heading,
                    "code": code,
                    "ref": ref,
                    "text": text,
                    "lead": cells[1],
                    "target": cells[2],
                    "outcomes": cells[3],
                    "status": cells[4],
                }
            )
    return found
