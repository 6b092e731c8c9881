"""Tables in and out of office files: .xlsx, .csv and .docx tables; safe .xlsx/.csv writing.

Reading gives a :class:`TabularFile` of :class:`Table` objects whatever the format:

>>> found = read_tables(Path("plan.docx"))       # or .xlsx / .xlsm / .csv / .tsv / .txt
>>> for table in found.tables:
...     mapping = match_headers(table.rows[0], {"action": ["action", "activity"]})

* ``.xlsx``: openpyxl read-only with ``data_only=True``, so a formula gives the value Excel
  last calculated; a formula with no stored value is reported (it reads as empty).
  Merged ranges keep their value in the top-left cell only (see :attr:`Table.merged`).
* ``.csv``: UTF-8 (with or without BOM) or UTF-16 with BOM, else Windows-1252; comma, tab
  or semicolon, sniffed from the first lines (an Excel ``sep=`` line is honoured).
* ``.docx``: every table of the document body, in order, with the paragraphs between
  tables (:attr:`Table.before`; headings carry their level). Merged cells appear once.

Writing: :func:`write_xlsx` (header row, wrapped text, widths, frozen header, filters,
per-cell fill colours) and :func:`write_csv` (UTF-8 with BOM so Excel shows "£"), both
atomic (temporary file, then rename) and both safe against formula injection
(:func:`safe_cell`): text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
is never run by Excel as a formula.

Everything that cannot be read raises :class:`~dvcoord.errors.DvcoordError` naming the
file and the problem; what was read only in part comes back as :class:`Notice` s.
No Qt here; cell contents are never logged.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from dvcoord.errors import DvcoordError

log = logging.getLogger(__name__)

__all__ = [
    "CSV_EXTENSIONS",
    "DOCX_EXTENSIONS",
    "FORMULA_PREFIXES",
    "READABLE_EXTENSIONS",
    "XLSX_EXTENSIONS",
    "HeaderMapping",
    "Notice",
    "Paragraph",
    "SheetSpec",
    "Table",
    "TabularFile",
    "cell_text",
    "match_headers",
    "normalise_header",
    "read_csv",
    "read_docx",
    "read_tables",
    "read_xlsx",
    "safe_cell",
    "sheet_title",
    "unsafe_cell",
    "write_csv",
    "write_xlsx",
]

XLSX_EXTENSIONS = (".xlsx", ".xlsm")
CSV_EXTENSIONS = (".csv", ".tsv", ".txt")
DOCX_EXTENSIONS = (".docx", ".docm")
READABLE_EXTENSIONS = XLSX_EXTENSIONS + CSV_EXTENSIONS + DOCX_EXTENSIONS

#: First characters that make Excel (and LibreOffice) treat a typed cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTION_MARK = "EncryptionInfo".encode("utf-16-le")
EXCEL_MAX_CELL = 32_767
#: Core document properties of a workbook that :func:`write_xlsx` and :func:`read_xlsx`
#: carry (any other name is a custom property).
CORE_PROPERTIES = ("title", "subject", "creator", "description", "keywords", "category")
#: Longest property text read back (a property is a label, not a document).
MAX_PROPERTY = 2_000
_ILLEGAL_XML_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# =========================================================================== results


@dataclass(frozen=True, slots=True)
class Notice:
    """Something read only in part, or read with a guess, to show in a preview.

    ``where`` says where in the file ("Table 2, row 5", "Sheet 'Housing', cell C4").
    """

    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of a Word document outside its tables."""

    text: str
    style: str = ""
    #: Heading level (1 = "Heading 1" or outline level 1); 0 for body text.
    level: int = 0

    @property
    def is_heading(self) -> bool:
        return self.level > 0


@dataclass
class Table:
    """One table: a sheet, a CSV file or a table of a Word document."""

    #: "Sheet 'Housing'", "Table 3" or the CSV's file name: used in messages.
    name: str
    #: Cell values: ``str`` for Word and CSV; from .xlsx also numbers, dates and booleans.
    #: ``None`` for an empty cell. Rows may differ in length.
    rows: list[list[Any]] = field(default_factory=list)
    #: The row number the user sees for each row (spreadsheet row, CSV record, or row of
    #: the Word table, counting from 1).
    row_numbers: list[int] = field(default_factory=list)
    #: Cells covered by a merged cell: ``(row index, column) -> (row index, column)`` of
    #: the cell that holds the value (indexes into :attr:`rows`). Covered cells are empty.
    merged: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    #: Word: the paragraphs between the previous table (or the start) and this one.
    before: list[Paragraph] = field(default_factory=list)
    #: Position of the table in its file, from 1.
    index: int = 1
    #: Sheet title (xlsx) or "" for other formats.
    sheet: str = ""

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def text(self, r: int, c: int) -> str:
        """The cell's text ("" for an empty or missing cell); see :func:`cell_text`."""
        row = self.rows[r]
        return cell_text(row[c]) if c < len(row) else ""

    def where(self, r: int) -> str:
        """Where row ``r`` is, for messages: ``"Table 2, row 5"``."""
        return f"{self.name}, row {self.row_numbers[r]}"

    def is_blank_row(self, r: int) -> bool:
        return all(cell_text(v) == "" for v in self.rows[r])


@dataclass
class TabularFile:
    """Everything read from one file."""

    path: Path
    #: "xlsx", "csv" or "docx".
    kind: str
    tables: list[Table] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    #: Word: paragraphs after the last table.
    after: list[Paragraph] = field(default_factory=list)
    #: CSV: the encoding and delimiter used.
    encoding: str = ""
    delimiter: str = ""
    #: .xlsx: the workbook's document properties that hold text (File > Info in Excel):
    #: the core ones by their names in :data:`CORE_PROPERTIES`, custom ones by their own.
    properties: dict[str, str] = field(default_factory=dict)


def cell_text(value: Any) -> str:
    """A cell value as text: dates as dd/mm/yyyy, whole numbers without ".0", stripped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d} {value:%H:%M}"
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value).strip()


# =========================================================================== reading


def _display(path: Path) -> str:
    return path.name


def _check_file(path: Path) -> bytes:
    """The first bytes of ``path``, after checking that it exists and is not empty."""
    name = _display(path)
    if not path.exists():
        raise DvcoordError(f"'{path}' does not exist.")
    if path.is_dir():
        raise DvcoordError(f"'{path}' is a folder, not a file.")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except PermissionError:
        raise DvcoordError(
            f"'{name}' cannot be read: permission denied (is it open in another program?)."
        ) from None
    except OSError as exc:
        raise DvcoordError(f"'{name}' cannot be read: {exc.strerror or exc}.") from None
    if not head:
        raise DvcoordError(f"'{name}' is empty (0 bytes).")
    return head


def _ole_message(path: Path, what: str, old_format: str) -> str:
    """Message for an OLE compound file given where an Office Open XML file was expected."""
    name = _display(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(4 * 1024 * 1024)
    except OSError:
        data = b""
    if _ENCRYPTION_MARK in data:
        return (
            f"'{name}' is password-protected (encrypted), so it cannot be read. "
            f"Open it in {what}, remove the password, save it and try again."
        )
    return (
        f"'{name}' is an old-format {old_format} file, not a {path.suffix.lower() or 'modern'} "
        f"file. Open it in {what}, save it as {'.docx' if what == 'Word' else '.xlsx'} and try "
        "again."
    )


def read_tables(path: Path | str) -> TabularFile:
    """Read every table in a .xlsx, .csv or .docx file (chosen by the file's extension)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext in XLSX_EXTENSIONS:
        return read_xlsx(path)
    if ext in DOCX_EXTENSIONS:
        return read_docx(path)
    if ext in CSV_EXTENSIONS:
        return read_csv(path)
    if ext in (".xls",):
        raise DvcoordError(
            f"'{path.name}' is an old Excel 97-2003 workbook; open it in Excel, save it as "
            ".xlsx and try again."
        )
    if ext in (".doc", ".rtf", ".odt"):
        raise DvcoordError(
            f"'{path.name}' is not a .docx document; open it in Word, save it as .docx "
            "and try again."
        )
    raise DvcoordError(
        f"'{path.name}' is not a file dvcoord can read tables from; choose a .docx, .xlsx "
        "or .csv file."
    )


# --------------------------------------------------------------------------- xlsx

_XML_CELL_RE = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_XML_REF_RE = re.compile(rb'\br="([A-Z]{1,3}[0-9]+)"')
_XML_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")
_XML_VALUE_RE = re.compile(rb"<(?:\w+:)?v>[^<]")
_XML_MERGE_RE = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]{1,3}[0-9]+):([A-Z]{1,3}[0-9]+)"'
)


def _uncached_formulas(xml: bytes) -> list[str]:
    """References of cells that hold a formula but no stored (cached) value."""
    if not _XML_FORMULA_RE.search(xml):
        return []
    found = []
    for m in _XML_CELL_RE.finditer(xml):
        body = m.group(2)
        if body and _XML_FORMULA_RE.search(body) and not _XML_VALUE_RE.search(body):
            ref = _XML_REF_RE.search(m.group(1))
            found.append(ref.group(1).decode("ascii") if ref else "?")
    return found


def _split_ref(ref: str) -> tuple[int, int]:
    """Split a cell reference: ``"C12"`` -> ``(12, 3)`` (row, column)."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    col, row = coordinate_from_string(ref)
    return row, column_index_from_string(col)


def read_xlsx(path: Path | str) -> TabularFile:
    """Every sheet of a workbook as a table (hidden sheets too, with a notice)."""
    path = Path(path)
    name = _display(path)
    head = _check_file(path)
    if head.startswith(_OLE_MAGIC):
        raise DvcoordError(_ole_message(path, "Excel", "Excel 97-2003 (.xls)"))
    if not head.startswith(_ZIP_MAGIC):
        raise DvcoordError(
            f"'{name}' is not a valid Excel workbook (.xlsx): it may be damaged or a "
            "different kind of file renamed."
        )
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError) as exc:
        log.info("cannot open workbook %s: %s", name, type(exc).__name__)
        raise DvcoordError(
            f"'{name}' is damaged or not a valid Excel workbook, so it cannot be read."
        ) from None
    except Exception as exc:  # openpyxl raises many kinds on malformed XML
        log.info("cannot open workbook %s: %s", name, type(exc).__name__)
        raise DvcoordError(
            f"'{name}' is damaged or not a valid Excel workbook, so it cannot be read."
        ) from None
    result = TabularFile(path=path, kind="xlsx", properties=_xlsx_properties(wb))
    try:
        for index, ws in enumerate(wb.worksheets, start=1):
            if not hasattr(ws, "iter_rows"):  # chart sheets
                continue
            label = f"Sheet '{ws.title}'"
            state = getattr(ws, "sheet_state", "visible")
            table = Table(name=label, index=index, sheet=ws.title)
            xml = b""
            sheet_path = getattr(ws, "_worksheet_path", None)
            if sheet_path:
                try:
                    xml = wb._archive.read(sheet_path)
                except (KeyError, OSError, zipfile.BadZipFile):
                    xml = b""
            try:
                ws.reset_dimensions()
                rows = []
                numbers = []
                for number, values in enumerate(
                    ws.iter_rows(min_row=1, min_col=1, values_only=True), start=1
                ):
                    row = list(values)
                    while row and (row[-1] is None or row[-1] == ""):
                        row.pop()
                    rows.append(row)
                    numbers.append(number)
            except Exception as exc:  # malformed sheet XML
                log.info("cannot read sheet %d of %s: %s", index, name, type(exc).__name__)
                raise DvcoordError(
                    f"'{name}' is damaged: the sheet '{ws.title}' cannot be read."
                ) from None
            while rows and not rows[-1]:
                rows.pop()
                numbers.pop()
            table.rows, table.row_numbers = rows, numbers
            if xml:
                _apply_xlsx_merges(table, xml)
                missing = _uncached_formulas(xml)
                if missing:
                    shown = ", ".join(missing[:8]) + (" …" if len(missing) > 8 else "")
                    result.notices.append(
                        Notice(
                            f"{len(missing)} formula cell(s) have no saved value and read as "
                            f"empty ({shown}); open the file in Excel and save it to store the "
                            "values.",
                            label,
                        )
                    )
            if state != "visible" and rows:
                result.notices.append(
                    Notice("this sheet is hidden in Excel; it was read too.", label)
                )
            result.tables.append(table)
    finally:
        wb.close()
    if not result.tables:
        raise DvcoordError(f"'{name}' has no worksheets with cells to read.")
    return result


def _xlsx_properties(wb: Any) -> dict[str, str]:
    """The text document properties of an open workbook (never fails: a damaged
    properties part only means no properties)."""
    found: dict[str, str] = {}
    try:
        core = wb.properties
        for name in CORE_PROPERTIES:
            value = getattr(core, name, None)
            if isinstance(value, str) and value.strip():
                found[name] = _ILLEGAL_XML_RE.sub("", value).strip()[:MAX_PROPERTY]
        for prop in getattr(wb, "custom_doc_props", None) or ():
            value = getattr(prop, "value", None)
            name = getattr(prop, "name", None)
            if isinstance(name, str) and isinstance(value, str) and name not in found:
                found[name] = _ILLEGAL_XML_RE.sub("", value).strip()[:MAX_PROPERTY]
    except Exception as exc:  # noqa: BLE001 - properties are a nicety; the cells matter
        log.info("document properties not read: %s", type(exc).__name__)
    return found


def _apply_xlsx_merges(table: Table, xml: bytes) -> None:
    if b"mergeCell" not in xml:
        return
    for m in _XML_MERGE_RE.finditer(xml):
        r1, c1 = _split_ref(m.group(1).decode("ascii"))
        r2, c2 = _split_ref(m.group(2).decode("ascii"))
        # Row numbers are 1..n in order, so a row number is its index + 1.
        top, left = r1 - 1, c1 - 1
        for r in range(r1 - 1, min(r2, len(table.rows))):
            for c in range(c1 - 1, c2):
                if (r, c) == (top, left):
                    continue
                row = table.rows[r]
                if c < len(row):
                    row[c] = None
                table.merged[(r, c)] = (top, left)


# --------------------------------------------------------------------------- csv

_SNIFF_CANDIDATES = (",", "\t", ";")


def _decode(data: bytes, name: str) -> tuple[str, str, list[Notice]]:
    notices: list[Notice] = []
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16"), "UTF-16", notices
        except UnicodeDecodeError:
            raise DvcoordError(f"'{name}' is not a readable text file (broken UTF-16).") from None
    if b"\x00" in data[:8192]:
        raise DvcoordError(
            f"'{name}' is not a text (CSV) file: it contains binary data. If it is a "
            "spreadsheet, save it as .xlsx or .csv."
        )
    try:
        return data.decode("utf-8-sig"), "UTF-8", notices
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        notices.append(
            Notice(
                "some characters could not be read and are shown as \ufffd; save the file "
                "as 'CSV UTF-8' and import it again to keep them.",
                name,
            )
        )
    return text, "Windows-1252", notices


def _sniff(sample: str) -> str:
    lines = sample.splitlines()[:50]
    best, best_score = ",", (-1, 0)
    for delim in _SNIFF_CANDIDATES:
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delim) if any(r)]
        except csv.Error:
            continue
        if not widths or max(widths) < 2:
            continue
        common = max(set(widths), key=widths.count)
        score = (widths.count(common) if common > 1 else 0, common)
        if score > best_score:
            best, best_score = delim, score
    return best


def unsafe_cell(text: str) -> str:
    """Undo :func:`safe_cell` on a CSV value: ``'=SUM`` -> ``=SUM``."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


def read_csv(path: Path | str) -> TabularFile:
    """A CSV (or tab-separated) file as one table."""
    path = Path(path)
    name = _display(path)
    _check_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DvcoordError(f"'{name}' cannot be read: {exc.strerror or exc}.") from None
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        raise DvcoordError(
            f"'{name}' is not a CSV text file (it looks like a Word or Excel file); use the "
            "file's real extension (.docx or .xlsx) or save it as CSV."
        )
    text, encoding, notices = _decode(data, name)
    if not text.strip():
        raise DvcoordError(f"'{name}' is empty: it holds no rows.")
    delimiter = ""
    first_line, _, rest = text.partition("\n")
    hint = first_line.strip().lower()
    if hint.startswith("sep=") and len(hint) in (5, 6):
        delimiter = first_line.strip()[4:5] or ","
        delimiter = "\t" if hint[4:] == "\\t" else delimiter
        text = rest
        skipped = 1
    else:
        skipped = 0
    if not delimiter:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff(text[:65536])
    result = TabularFile(path=path, kind="csv", encoding=encoding, delimiter=delimiter)
    result.notices.extend(notices)
    if encoding == "Windows-1252":
        result.notices.append(Notice("read as Windows-1252 text (it is not UTF-8).", name))
    table = Table(name=name, index=1)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, row in enumerate(reader, start=1 + skipped):
            cells: list[Any] = [unsafe_cell(v) for v in row]
            while cells and cells[-1] == "":
                cells.pop()
            table.rows.append(cells)
            table.row_numbers.append(number)
    except csv.Error as exc:
        raise DvcoordError(f"'{name}' is not a well-formed CSV file ({exc}).") from None
    while table.rows and not table.rows[-1]:
        table.rows.pop()
        table.row_numbers.pop()
    if not table.rows:
        raise DvcoordError(f"'{name}' is empty: it holds no rows.")
    result.tables.append(table)
    return result


# --------------------------------------------------------------------------- docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_RE = re.compile(r"^(?:heading|überschrift|titre)\s*(\d)$", re.IGNORECASE)


def _w(tag: str) -> str:
    return _W + tag


def _wval(el: Any, path: str) -> str | None:
    """The w:val attribute of the first element at ``path`` (w:-prefixed names)."""
    node = el
    for part in path.split("/"):
        if node is None:
            return None
        node = node.find(_w(part))
    if node is None:
        return None
    return node.get(_w("val"))


def _paragraph_text(p: Any) -> str:
    parts = []
    for node in p.iter(_w("t"), _w("tab"), _w("br"), _w("cr"), _w("noBreakHyphen")):
        tag = node.tag
        if tag == _w("t"):
            parts.append(node.text or "")
        elif tag == _w("tab"):
            # A w:tab in pPr/tabs is a tab stop definition, not text.
            if node.getparent() is not None and node.getparent().tag == _w("r"):
                parts.append("\t")
        elif tag == _w("noBreakHyphen"):
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _cell_text(tc: Any) -> str:
    paragraphs = [_paragraph_text(p) for p in tc.iter(_w("p"))]
    return "\n".join(paragraphs).strip()


def _row_cells(tr: Any) -> Iterable[Any]:
    for child in tr.iterchildren():
        if child.tag == _w("tc"):
            yield child
        elif child.tag == _w("sdt"):  # a content control wrapping cells
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from content.iterchildren(_w("tc"))


def _read_docx_table(tbl: Any, index: int) -> Table:
    table = Table(name=f"Table {index}", index=index)
    #: grid column -> the cell that started a vertical merge there.
    origin: dict[int, tuple[int, int]] = {}
    for tr in tbl.iterchildren(_w("tr")):
        r = len(table.rows)
        row: list[Any] = []
        before = _wval(tr, "trPr/gridBefore")
        if before and before.isdigit():
            row.extend([None] * min(int(before), 64))
        for tc in _row_cells(tr):
            c = len(row)
            span_text = _wval(tc, "tcPr/gridSpan")
            span = int(span_text) if span_text and span_text.isdigit() else 1
            span = max(1, min(span, 64))
            vmerge = tc.find(_w("tcPr") + "/" + _w("vMerge"))
            continues = vmerge is not None and vmerge.get(_w("val"), "continue") == "continue"
            if continues and c in origin:
                source = origin[c]
                row.append(None)
                table.merged[(r, c)] = source
            else:
                source = (r, c)
                row.append(_cell_text(tc))
                if vmerge is not None:
                    origin[c] = source
                else:
                    origin.pop(c, None)
            for extra in range(1, span):
                row.append(None)
                table.merged[(r, c + extra)] = source
                origin.pop(c + extra, None)
        # Trailing empty cells go, except those covered by a merge (a heading row spanning
        # the table keeps its width, so it can be told from a one-cell row).
        while (
            row and (row[-1] is None or row[-1] == "") and (r, len(row) - 1) not in (table.merged)
        ):
            row.pop()
        table.rows.append(row)
        table.row_numbers.append(r + 1)
    return table


def _paragraph(p: Any, styles: Mapping[str, tuple[str, int]]) -> Paragraph:
    text = _paragraph_text(p).strip()
    style_id = _wval(p, "pPr/pStyle") or ""
    style, level = styles.get(style_id, (style_id, 0))
    outline = _wval(p, "pPr/outlineLvl")
    if not level and outline and outline.isdigit() and int(outline) < 9:
        level = int(outline) + 1
    return Paragraph(text=text, style=style, level=level)


def _style_levels(document: Any) -> dict[str, tuple[str, int]]:
    """style id -> (style name, heading level) for paragraph styles."""
    found: dict[str, tuple[str, int]] = {}
    try:
        styles = document.styles.element
    except Exception:  # noqa: BLE001 - a document without a styles part
        return found
    for st in styles.iterchildren(_w("style")):
        style_id = st.get(_w("styleId")) or ""
        name = _wval(st, "name") or style_id
        level = 0
        m = _HEADING_RE.match(name.strip())
        if m:
            level = int(m.group(1))
        elif name.strip().lower() == "title":
            level = 1
        else:
            outline = _wval(st, "pPr/outlineLvl")
            if outline and outline.isdigit() and int(outline) < 9:
                level = int(outline) + 1
        found[style_id] = (name, level)
    return found


def _body_blocks(body: Any) -> Iterable[Any]:
    for child in body.iterchildren():
        if child.tag == _w("sdt"):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _body_blocks(content)
        elif child.tag in (_w("p"), _w("tbl")):
            yield child


def read_docx(path: Path | str) -> TabularFile:
    """Every table of a Word document's body, with the paragraphs between them."""
    path = Path(path)
    name = _display(path)
    head = _check_file(path)
    if head.startswith(_OLE_MAGIC):
        raise DvcoordError(_ole_message(path, "Word", "Word 97-2003 (.doc)"))
    if not head.startswith(_ZIP_MAGIC):
        raise DvcoordError(
            f"'{name}' is not a valid Word document (.docx): it may be damaged or a different "
            "kind of file renamed."
        )
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        log.info("cannot open document %s: %s", name, type(exc).__name__)
        raise DvcoordError(
            f"'{name}' is damaged or not a valid Word document, so it cannot be read."
        ) from None
    except Exception as exc:  # lxml and python-docx raise many kinds on malformed parts
        log.info("cannot open document %s: %s", name, type(exc).__name__)
        raise DvcoordError(
            f"'{name}' is damaged or not a valid Word document, so it cannot be read."
        ) from None
    styles = _style_levels(document)
    result = TabularFile(path=path, kind="docx")
    pending: list[Paragraph] = []
    for block in _body_blocks(document.element.body):
        if block.tag == _w("p"):
            para = _paragraph(block, styles)
            if para.text:
                pending.append(para)
        else:
            table = _read_docx_table(block, len(result.tables) + 1)
            table.before = pending
            pending = []
            result.tables.append(table)
    result.after = pending
    if not result.tables:
        raise DvcoordError(
            f"'{name}' has no tables: dvcoord reads a plan from the tables of a Word document. "
            "Put the plan in a table (one row per action) and try again."
        )
    return result


# =========================================================================== headers

_STOPWORDS = frozenset({"and", "the", "of", "to", "for", "a", "an", "in", "by", "s"})
_MARKUP_RE = re.compile(r"<[^>]{0,200}>")
_NOT_WORD_RE = re.compile(r"[^0-9a-z]+")
_REFLIKE_RE = re.compile(r"^(?:\d+[a-z]?|[ivx]+|[a-z]?\d+(?:\.\d+)*[a-z]?)$")


def normalise_header(text: Any) -> tuple[str, ...]:
    """Header words for matching: lower case, no punctuation or numbers, crude singular.

    ``"Lead Agency / Ownership:"`` -> ``("lead", "agency", "ownership")``.
    """
    value = cell_text(text)
    if len(value) > 200:
        return _normalise_words(value)
    return _normalise_cached(value)


@functools.lru_cache(maxsize=4096)
def _normalise_cached(value: str) -> tuple[str, ...]:
    return _normalise_words(value)


def _normalise_words(value: str) -> tuple[str, ...]:
    raw = _MARKUP_RE.sub(" ", value).lower().replace("&", " and ")
    raw = raw.replace("\u2019", "'").replace("'s ", " ")
    words = []
    for word in _NOT_WORD_RE.sub(" ", raw).split():
        if word in _STOPWORDS or _REFLIKE_RE.match(word) and any(ch.isdigit() for ch in word):
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return tuple(words)


def _score(header: tuple[str, ...], synonym: tuple[str, ...]) -> float:
    if not header or not synonym:
        return 0.0
    if header == synonym:
        return 1.0
    hs, ss = set(header), set(synonym)
    if hs == ss:
        return 0.95
    if ss <= hs:
        return 0.9 * len(ss) / len(hs)
    if hs <= ss:
        return 0.8 * len(hs) / len(ss)
    common = hs & ss
    if common:
        return 0.5 * len(common) / len(hs | ss)
    return 0.0


@dataclass
class HeaderMapping:
    """Which column holds which field; the user may change it (:meth:`assign`)."""

    headers: list[str]
    #: field -> column index.
    columns: dict[str, int] = field(default_factory=dict)
    #: field -> how sure the guess was (1.0 = the header is a known name; 0 = set by hand).
    scores: dict[str, float] = field(default_factory=dict)

    def get(self, name: str) -> int | None:
        return self.columns.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.columns

    def field_of(self, column: int) -> str | None:
        for name, col in self.columns.items():
            if col == column:
                return name
        return None

    def assign(self, name: str, column: int | None) -> None:
        """Put ``name`` in ``column`` (None: not imported); a column holds one field."""
        self.columns.pop(name, None)
        self.scores.pop(name, None)
        if column is None:
            return
        if column < 0 or column >= max(len(self.headers), column + 1):
            raise ValueError(f"no column {column}")
        other = self.field_of(column)
        if other is not None:
            self.columns.pop(other)
            self.scores.pop(other, None)
        self.columns[name] = column
        self.scores[name] = 0.0

    def unmapped(self) -> list[int]:
        """Columns with a header that no field uses."""
        used = set(self.columns.values())
        return [i for i, h in enumerate(self.headers) if i not in used and cell_text(h)]

    def value(self, row: Sequence[Any], name: str) -> Any:
        col = self.columns.get(name)
        if col is None or col >= len(row):
            return None
        return row[col]

    def text(self, row: Sequence[Any], name: str) -> str:
        return cell_text(self.value(row, name))

    def strength(self, minimum: float = 0.75) -> int:
        """How many fields were recognised with at least ``minimum`` confidence."""
        return sum(1 for s in self.scores.values() if s >= minimum)

    def copy(self) -> HeaderMapping:
        return HeaderMapping(list(self.headers), dict(self.columns), dict(self.scores))

    def describe(self) -> list[tuple[str, str]]:
        """``(header as written, field or "")`` for every column, for a preview."""
        return [(cell_text(h), self.field_of(i) or "") for i, h in enumerate(self.headers)]


def match_headers(
    headers: Sequence[Any],
    synonyms: Mapping[str, Sequence[str]],
    *,
    minimum: float = 0.4,
) -> HeaderMapping:
    """Recognise columns by their header words, whatever the order, case or punctuation.

    ``synonyms`` maps a field to the header names it goes by (``{"lead": ["lead agency",
    "ownership", "lead"]}``). Each column gets at most one field and each field one column:
    the best-scoring pairs are taken first, so "Progress to date" goes to a field named
    "progress to date" rather than to one named "date".
    """
    words = [normalise_header(h) for h in headers]
    syn_words = {name: [normalise_header(s) for s in names] for name, names in synonyms.items()}
    order = {name: i for i, name in enumerate(synonyms)}
    pairs = []
    for col, header in enumerate(words):
        if not header:
            continue
        for name, options in syn_words.items():
            # Ties go to the synonym listed first (so order synonyms best first).
            best, rank = max(
                ((_score(header, opt), -i) for i, opt in enumerate(options)), default=(0.0, 0)
            )
            if best >= minimum:
                pairs.append((-best, -rank, col, order[name], name))
    pairs.sort()
    mapping = HeaderMapping(headers=[cell_text(h) for h in headers])
    used_cols: set[int] = set()
    for neg, _, col, _, name in pairs:
        if name in mapping.columns or col in used_cols:
            continue
        mapping.columns[name] = col
        mapping.scores[name] = -neg
        used_cols.add(col)
    return mapping


# =========================================================================== writing


def safe_cell(value: Any) -> Any:
    """A value fit for a CSV cell that Excel will not run as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
    apostrophe (Excel's own "this is text" mark; :func:`read_csv` removes it again).
    Numbers, dates and other values are returned unchanged.
    """
    if isinstance(value, str) and value and value[0] in FORMULA_PREFIXES:
        return "'" + value
    return value


def sheet_title(name: str, used: set[str] | None = None) -> str:
    """A valid, unique Excel sheet title (≤ 31 characters, none of ``[]:*?/\\``)."""
    title = re.sub(r"[\[\]:*?/\\]", " ", cell_text(name))
    title = " ".join(title.split()).strip("'") or "Sheet"
    if title.lower() == "history":
        title = "History (plan)"
    title = title[:31].rstrip()
    used = used if used is not None else set()
    candidate, n = title, 2
    while candidate.lower() in {u.lower() for u in used}:
        suffix = f" ({n})"
        candidate = title[: 31 - len(suffix)].rstrip() + suffix
        n += 1
    used.add(candidate)
    return candidate


@dataclass
class SheetSpec:
    """One worksheet to write: a header row and rows of values."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    #: Column widths in characters; None: from the content (8 to 60).
    widths: Sequence[float] | None = None
    #: ``(row index into rows, column) -> "RRGGBB"`` fill colours, e.g. RAG cells.
    fills: Mapping[tuple[int, int], str] = field(default_factory=dict)
    wrap: bool = True
    freeze_header: bool = True
    auto_filter: bool = True


def _auto_widths(spec: SheetSpec) -> list[float]:
    width = max([len(spec.header)] + [len(r) for r in spec.rows[:500]])
    found = [8.0] * width
    for i, h in enumerate(spec.header):
        found[i] = max(found[i], min(len(str(h)) + 2, 60))
    for row in spec.rows[:500]:
        for i, v in enumerate(row):
            text = cell_text(v)
            longest = max((len(line) for line in text.splitlines()), default=0)
            found[i] = max(found[i], min(longest + 2, 60))
    return found


def _atomic_target(path: Path) -> Path:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DvcoordError(f"The folder '{folder}' does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix + ".tmp", dir=folder)
    os.close(fd)
    return Path(tmp)


def _replace(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except PermissionError:
        tmp.unlink(missing_ok=True)
        raise DvcoordError(
            f"'{path.name}' cannot be replaced: it is probably open in Excel or another "
            "program. Close it and try again."
        ) from None
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DvcoordError(f"Could not write '{path.name}': {exc.strerror or exc}.") from None


def _xlsx_value(value: Any, notices: list[str], where: str) -> tuple[Any, bool]:
    """(value to store, force as text)."""
    if value is None:
        return None, False
    if isinstance(value, datetime):
        return value.replace(tzinfo=None), False
    if isinstance(value, (date, int, float)) and not isinstance(value, bool):
        return value, False
    if isinstance(value, bool):
        return ("Yes" if value else "No"), True
    text = _ILLEGAL_XML_RE.sub("", str(value))
    if len(text) > EXCEL_MAX_CELL:
        notices.append(
            f"{where}: text longer than Excel's {EXCEL_MAX_CELL:,} characters was cut short."
        )
        text = text[: EXCEL_MAX_CELL - 1] + "…"
    return text, True


def write_xlsx(
    path: Path | str,
    sheets: Sequence[SheetSpec],
    *,
    properties: Mapping[str, str] | None = None,
) -> list[str]:
    """Write ``sheets`` to one workbook, atomically. Returns notices (e.g. text cut short).

    Every text cell is stored as text (never a formula, whatever its first character);
    dates get the dd/mm/yyyy format.  ``properties`` become document properties: the
    names in :data:`CORE_PROPERTIES` the workbook's own (``creator`` is also "last
    modified by"), any other name a custom text property; empty values are left out.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    path = Path(path)
    if not sheets:
        raise ValueError("write_xlsx needs at least one sheet")
    notices: list[str] = []
    wb = Workbook(write_only=True)
    _set_properties(wb, properties or {})
    header_font = Font(bold=True)
    header_fill = PatternFill(fill_type="solid", fgColor="D9D9D9")
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fills: dict[str, PatternFill] = {}
    used: set[str] = set()
    for spec in sheets:
        wrap = Alignment(wrap_text=spec.wrap, vertical="top")
        ws = wb.create_sheet(sheet_title(spec.title, used))
        widths = list(spec.widths) if spec.widths else _auto_widths(spec)
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        if spec.freeze_header:
            ws.freeze_panes = "A2"
        ncols = max([len(spec.header)] + [len(r) for r in spec.rows])
        if spec.auto_filter and ncols:
            ws.auto_filter.ref = f"A1:{get_column_letter(ncols)}{len(spec.rows) + 1}"
        header_cells = []
        for text in spec.header:
            cell = WriteOnlyCell(ws, value=None)
            value, _ = _xlsx_value(text, notices, f"{ws.title}!header")
            cell.value = value
            cell.data_type = "s"
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = wrap
            cell.border = border
            header_cells.append(cell)
        ws.append(header_cells)
        for r, row in enumerate(spec.rows):
            out = []
            for c, raw in enumerate(row):
                value, as_text = _xlsx_value(raw, notices, f"{ws.title}!row {r + 2}")
                cell = WriteOnlyCell(ws)
                if as_text:
                    cell.value = value
                    cell.data_type = "s"  # never "f", whatever the first character
                    if value and value[0] in FORMULA_PREFIXES:
                        cell.quotePrefix = True
                else:
                    cell.value = value
                    if isinstance(value, (date, datetime)):
                        cell.number_format = "DD/MM/YYYY"
                cell.alignment = wrap
                cell.border = border
                colour = spec.fills.get((r, c))
                if colour:
                    fill = fills.get(colour)
                    if fill is None:
                        fill = fills[colour] = PatternFill(fill_type="solid", fgColor=colour)
                    cell.fill = fill
                out.append(cell)
            ws.append(out)
    tmp = _atomic_target(path)
    try:
        wb.save(tmp)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DvcoordError(f"Could not write '{path.name}': {exc.strerror or exc}.") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _replace(tmp, path)
    log.info("wrote workbook %s (%d sheet(s))", path.name, len(sheets))
    return notices


def _set_properties(wb: Any, properties: Mapping[str, str]) -> None:
    from openpyxl.packaging.custom import StringProperty

    for name, raw in properties.items():
        value = _ILLEGAL_XML_RE.sub("", str(raw or "")).strip()
        if not value:
            continue
        if name in CORE_PROPERTIES:
            setattr(wb.properties, name, value)
            if name == "creator":
                wb.properties.lastModifiedBy = value
        else:
            wb.custom_doc_props.append(StringProperty(name=name, value=value))


def write_csv(path: Path | str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    """Write a CSV that Excel opens correctly: UTF-8 with BOM, CRLF, formula-safe cells."""
    path = Path(path)
    tmp = _atomic_target(path)
    try:
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            # Every cell quoted: a tab or semicolon inside a cell can never be taken for
            # a separator by a reader that sniffs the delimiter.
            writer = csv.writer(fh, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
            writer.writerow([safe_cell(cell_text(h)) for h in header])
            count = 0
            for row in rows:
                writer.writerow([safe_cell(_csv_value(v)) for v in row])
                count += 1
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DvcoordError(f"Could not write '{path.name}': {exc.strerror or exc}.") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _replace(tmp, path)
    log.info("wrote CSV %s (%d row(s))", path.name, count)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (date, datetime, bool, float)):
        return cell_text(value)
    if isinstance(value, int):
        return value
    return str(value)
