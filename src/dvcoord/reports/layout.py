"""The shared A4 page layout that every dvcoord PDF report is built on.

A report is a function ``render_xxx(model, out_path, options) -> Path`` that turns a plain
report model (built by the services) into a list of flowables made with the helpers below
and hands them to :class:`ReportDocument`::

    from reportlab.lib.units import mm
    from dvcoord.reports import layout as L

    def render_action_plan(model, out_path, options: L.ReportOptions) -> Path:
        doc = L.ReportDocument(out_path, title="Domestic abuse action plan",
                               subtitle="Progress report", period="2024/25 Q2",
                               plan_version=model.version, landscape=True, options=options)
        story = [L.heading("RAG key", 2), L.rag_key_table(model.rag_key)]
        story += L.sections_as_tables(
            [L.TableSection(s.title, [[a.ref, a.text, a.lead, a.due, a.progress, a.rag]
                                      for a in s.actions]) for s in model.sections],
            header=["Ref", "Action", "Lead", "Target date", "Progress", "RAG"],
            col_widths=[14 * mm, 0.3, 0.15, 0.1, 0.45, 12 * mm], rag_column=5)
        return doc.build(story)

Public API
----------
Options and errors
    ``ReportOptions(marking="OFFICIAL", redact=False, officer="", partnership="",
    generated_at=None)`` - frozen; ``marking`` is normalised by ``Marking.parse``.
    ``Marking.parse(value) -> Marking`` - OFFICIAL / OFFICIAL-SENSITIVE / NONE, or ValueError.
    ``Marking.label -> str`` - the text printed on the page ("" for NONE).
    ``ReportError(message)`` - one UK-English sentence for the user (a ``DvcoordError``).
    ``case_ref(ref, options) -> str`` - the case reference, or "Withheld" when redacting.
    ``redact_text(text, options) -> str`` - free text with case-reference-like IDs
    withheld when redacting (a safety net; reports still leave out case-ref fields).
Document
    ``ReportDocument(out_path, *, title, subtitle="", period="", plan_version=None,
    landscape=False, options=None)``; ``.frame_width`` / ``.frame_height`` (points);
    ``.build(flowables) -> Path``.
Text
    ``heading(text, level=1)``, ``para(text, style="body"|"small"|"note", *, label="",
    keep_with_next=False)``,
    ``key_values(pairs, *, label_width=45 * mm)``, ``no_data(text=...)``,
    ``spacer(height_mm=4)``, ``page_break()``.
Tables
    ``data_table(header, rows, col_widths, *, rag_column=None, zebra=True,
    right_align=(), total_row=False) -> Table``;
    ``cell_text(text, *, label="", muted=False) -> CellText`` - a cell with a bold first
    line, or grey; ``span_row(text, kind="heading"|"note") -> SpanRow`` - a full-width
    row (an aim heading inside a theme's table);
    ``sections_as_tables(sections, header, col_widths, *, rag_column=None, zebra=True,
    level=2, empty_text=...) -> list[Flowable]``;
    ``rag_letter(value) -> str``, ``rag_cell(value) -> Paragraph``,
    ``rag_key_table(entries) -> Table``.
Charts
    ``bar_chart(categories, series, colours=None, *, width=None, height=70 * mm,
    value_labels=True) -> Flowable``;
    ``donut(values, colours=None, *, width=None, height=55 * mm, centre_label="total")
    -> Flowable``;
    ``line_chart(categories, series, colours=None, *, width=None, height=55 * mm,
    dashed=(), value_format=None) -> Flowable`` - one line per series, gaps for None.
Constants
    ``RAG_COLOURS`` (letter -> colour, "" for no status), ``RAG_NAMES``, ``PALETTE``,
    ``WITHHELD``.
Speed
    ``with fewer_collections(): ...`` - the cyclic garbage collector runs less often
    inside (every report kind's ``build`` is wrapped in it; ``ReportDocument.build`` too).
Progress
    ``with on_each_page(callback): ...`` - ``callback(page_number)`` is called as each
    page is finished by any build in this thread (a progress bar; raising from it stops
    the build, and the atomic write leaves no file behind: that is how Cancel works).

Every page
----------
A4 portrait, or landscape for wide tables.  The protective marking is printed bold and
centred in a grey band at the top and at the bottom of every page (nothing when the
marking is NONE).  Page 1 opens with a title block (partnership, title, subtitle, period,
plan version, and a note when case references have been left out); later pages carry a
small running header.  Every footer has "Generated dd/mm/yyyy HH:MM by <officer>" and
"Page N of M".  "M" is not known until the last page is laid out, so each page draws a PDF
form XObject named after its page number and the forms are filled in when the file is
saved: a single layout pass, and bookmarks still point at the right pages.  Headings
become PDF bookmarks.  PDF metadata: title, author (officer and partnership), subject
(subtitle and period), creator "dvcoord <version>", keywords including the marking,
language en-GB.

User text is never markup
-------------------------
Every ``str`` given to these helpers (cells, headings, paragraphs, titles) is escaped
(``&``, ``<``, ``>``), stripped of control characters, and its line breaks kept, so a
progress note that says ``<b>`` or ``R&D`` prints literally.  To format text yourself,
build your own ``Paragraph`` and pass it in as a flowable.

Tables
------
``data_table`` takes ``col_widths`` as a mix of *points* (numbers above 1, e.g.
``14 * mm``) and *shares* (numbers up to 1) of the frame width left over after the point
columns; the widths are settled when the table meets its frame, and if they add up to more
than the frame every column is scaled down, so a table always fits.  The header row is
repeated on every page, cells are ``Paragraph``s that wrap (short one-line text is drawn
by the table itself, looking the same: see below), rows are kept whole where possible
and the table splits between rows.

Very long cell text (a 20,000-character progress narrative) must not make a row taller
than the page, or ReportLab gives up with "too large on page".  So ``data_table`` cuts
any text longer than about 18 lines of its column (estimated cautiously from the column
width, at sentence ends where it can) into pieces, and spreads the record over
*continuation rows*: the first row holds the other cells and the first piece, the next
rows hold the following pieces.  The rows of one record share its zebra shade and RAG
colour and have no rule between them, so on paper they read as one row, and the table
can break between them like between any other rows (with the header repeated).  A
flowable passed as a cell is used as it is and so must fit on a page.  (ReportLab's own
``splitInRow`` was tried and rejected: it repeats the header mid-page and, on split
remainders, can loop emitting blank pages.)

Splitting a table costs time in proportion to the rows left after the split, so one
enormous table is slower than several small ones: give each section of a plan its own
table with ``sections_as_tables`` (which is also how a reader expects a plan to look).
ReportLab's long-table optimisation keeps even a single 1,000-row, six-column table to
well under two seconds.

A long report has tens of thousands of cells, so what each one costs matters more than
anything else (a 900-page milestones report went from about 9.5 s to 4.5 s with the
three measures below; nothing printed changed, pixel for pixel):

* a short one-line text cell that surely fits its column is handed to the table as a
  plain string (``_PlainCell``), drawn in the same font, leading, colour and alignment
  as the Paragraph it replaces, so it lands on the same baseline; it costs no markup
  parsing, no line breaking and no text object of its own.  If a table is ever laid out
  narrower than a portrait frame, such cells that no longer fit become Paragraphs again;
* other cell Paragraphs whose text has no ``&``, ``<`` or ``>`` get the fragments
  ReportLab's parser would make built directly (``_cell_paragraph``; a test compares
  them with the parser's);
* the cyclic garbage collector runs less often while a report is made
  (:func:`fewer_collections`), and page streams are compressed without the extra
  pure-Python ASCII85 pass.

RAG
---
``rag_cell`` prints the letter as well as the colour (colour is never the only signal):
Red #C0392B with white text, Amber #F39C12, Green #27AE60 and Blue #2E86C1 with near-black
text (the better WCAG contrast on those colours), grey with "–" for no status.  In
``data_table`` the column named by ``rag_column`` is converted automatically and the
whole cell is coloured.

Output
------
``build`` writes to a temporary file in the destination folder and moves it over the
chosen name with ``os.replace`` only when the whole document has been written, so a
failure never leaves a partial PDF under that name (an older file there is left as it
was).  A folder that is missing or read-only, a target that is read-only or held open by a
PDF viewer, a full disk or a layout that cannot be resolved raise :class:`ReportError`;
programming errors propagate unchanged, with the temporary file removed.  On POSIX the
file is created readable by its owner only.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import logging
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple, TypeAlias
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.pagesizes import landscape as _landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError, _ktAllow
from reportlab.platypus.flowables import HRFlowable, KeepTogether
from reportlab.platypus.paragraph import cleanBlockQuotedText

import dvcoord
from dvcoord.errors import DvcoordError
from dvcoord.reports import fonts

__all__ = [
    "PALETTE",
    "RAG_COLOURS",
    "RAG_NAMES",
    "WITHHELD",
    "CellText",
    "Marking",
    "ReportDocument",
    "ReportError",
    "ReportOptions",
    "SpanRow",
    "TableSection",
    "bar_chart",
    "case_ref",
    "cell_text",
    "data_table",
    "donut",
    "fewer_collections",
    "heading",
    "key_values",
    "line_chart",
    "no_data",
    "on_each_page",
    "page_break",
    "para",
    "rag_cell",
    "rag_key_table",
    "rag_letter",
    "redact_text",
    "sections_as_tables",
    "span_row",
    "spacer",
]

log = logging.getLogger(__name__)

Cell: TypeAlias = "str | int | float | Flowable | Sequence[Flowable] | None"
ColourLike: TypeAlias = "str | colors.Color"


# --------------------------------------------------------------------------- errors, options
class ReportError(DvcoordError):
    """A report could not be written; the message is one sentence for the user."""


class Marking(StrEnum):
    """Government Security Classifications marking printed on every page."""

    OFFICIAL = "OFFICIAL"
    OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"
    NONE = "NONE"

    @classmethod
    def parse(cls, value: str | None) -> Marking:
        """Normalise user or settings text: case, spaces, underscores and dashes are forgiven.

        ``"official-sensitive"``, ``"Official Sensitive"`` -> OFFICIAL-SENSITIVE;
        ``"NONE"``, ``""`` or ``None`` -> NONE (no marking printed).  Anything else raises
        ``ValueError``.
        """
        if isinstance(value, Marking):
            return value
        if value is None:
            return cls.NONE
        if not isinstance(value, str):
            raise ValueError(f"The protective marking must be text, not {type(value).__name__}.")
        key = re.sub(r"[\s_\-\u2010-\u2015]+", "-", value.strip()).upper()
        if key in ("", "NONE"):
            return cls.NONE
        try:
            return cls(key)
        except ValueError:
            raise ValueError(
                f"Unknown protective marking {value!r}: use OFFICIAL, OFFICIAL-SENSITIVE or NONE."
            ) from None

    @property
    def label(self) -> str:
        """The text printed in the page bands ("" when no marking is printed)."""
        return "" if self is Marking.NONE else self.value


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """Choices the user makes for one export.

    ``marking`` is normalised to a :class:`Marking` (ValueError for an unknown one);
    ``redact`` asks every report to leave out case references; ``generated_at`` defaults
    to the moment ``build`` runs.
    """

    marking: str = Marking.OFFICIAL
    redact: bool = False
    officer: str = ""
    partnership: str = ""
    generated_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "marking", Marking.parse(self.marking))
        object.__setattr__(self, "officer", (self.officer or "").strip())
        object.__setattr__(self, "partnership", (self.partnership or "").strip())


def case_ref(ref: str | None, options: ReportOptions) -> str:
    """A case reference as a report should print it: "Withheld" when redacting, "–" if none."""
    if options.redact:
        return "Withheld"
    return (ref or "").strip() or "\u2013"


#: Printed in place of a case reference found in free text when redacting.
WITHHELD = "[case ref withheld]"

# "case ref: X", "Case reference #X", "case no. X" (the label is kept, the reference goes).
_LABELLED_REF = re.compile(
    r"(?i)\b(case\s*(?:ref(?:erence)?|no\.?|number|id)s?\.?\s*[:#]?\s*)"
    r"([A-Za-z0-9][\w/.-]*\d[\w/-]*)"
)
# Agency-style IDs: capitals, then parts joined by - or /, ending in two or more digits:
# MARAC-2024-117, CR/2023/0042, IDVA-17.  Plain action refs (DV4, 2.1, I.3) and years
# (2013/14) do not match.
_CODED_REF = re.compile(r"\b[A-Z]{2,}[A-Z0-9]*(?:[-/][A-Z0-9]+)*[-/]\d{2,}\b")
_NOT_CASE_REFS = frozenset({"COVID-19", "SARS-COV-2"})


def redact_text(text: str, options: ReportOptions) -> str:
    """Free text with anything that looks like a case reference withheld, when redacting.

    A safety net for narrative fields (progress notes, summaries): it replaces labelled
    references ("case ref: 4471") and agency-style IDs (``MARAC-2024-117``,
    ``CR/2023/0042``) with :data:`WITHHELD`.  Reports must still leave case-reference
    *fields* out themselves (see :func:`case_ref`).  Returns ``text`` unchanged when
    ``options.redact`` is off.
    """
    if not options.redact or not text:
        return text
    text = _LABELLED_REF.sub(lambda m: m.group(1) + WITHHELD, text)
    return _CODED_REF.sub(
        lambda m: m.group(0) if m.group(0).upper() in _NOT_CASE_REFS else WITHHELD, text
    )


# --------------------------------------------------------------------------- look
INK = colors.HexColor("#1B1B1B")
MUTED = colors.HexColor("#56616B")
RULE = colors.HexColor("#C9CED4")
RULE_STRONG = colors.HexColor("#8A949E")
ACCENT = colors.HexColor("#1F3A5F")
ZEBRA = colors.HexColor("#F2F4F6")
BAND = colors.HexColor("#E4E7EB")
HEADING_TINT = colors.HexColor("#E3E9F1")

RAG_COLOURS: dict[str, colors.Color] = {
    "R": colors.HexColor("#C0392B"),
    "A": colors.HexColor("#F39C12"),
    "G": colors.HexColor("#27AE60"),
    "B": colors.HexColor("#2E86C1"),
    "": colors.HexColor("#D5D8DC"),
}
RAG_NAMES: dict[str, str] = {"R": "Red", "A": "Amber", "G": "Green", "B": "Blue", "": "No status"}
# White only where it has the better contrast (Red 5.4:1); the others read better in ink.
_RAG_TEXT: dict[str, colors.Color] = {"R": colors.white}

#: Default series colours for charts: restrained and distinguishable in colour-blindness.
PALETTE: tuple[str, ...] = (
    "#1F4E79",
    "#E69F00",
    "#009E73",
    "#56B4E9",
    "#CC79A7",
    "#7F7F7F",
    "#D55E00",
    "#0072B2",
)

_MARGIN_X = 16 * mm
_FRAME_TOP = 24 * mm  # from the top edge of the paper
_FRAME_BOTTOM = 24 * mm  # from the bottom edge
_BAND_EDGE = 7 * mm  # marking band's distance from the paper edge
_BAND_H = 6 * mm
_FURNITURE_SIZE = 7.5
_CELL_SIZE = 8.5  # table text, DejaVu Sans Condensed
_LEADING = 10.5  # table text's line spacing
_CELL_PAD = 4
_EM_PER_CHAR = 0.6  # cautious average advance per character, allowing for word wrap
_CHUNK_LINES = 18  # longest text row, in estimated lines (about 200 pt)

_PORTRAIT_FRAME_WIDTH = A4[0] - 2 * _MARGIN_X


#: Young-generation threshold of Python's cyclic garbage collector while a report is made.
_GC_YOUNG = 100_000
_gc_lock = threading.Lock()
_gc_depth = 0
_gc_saved: tuple[int, ...] = ()
_gc_froze = False


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often inside the block.

    Laying out a long report makes and drops millions of small objects (fragments, lines,
    cell styles) while keeping the whole story alive, and at the default thresholds the
    collector spends about a quarter of the time re-scanning them.  Raising the
    young-generation threshold keeps collection (so memory held in cycles is still
    freed) but far less often, and the objects alive when the block starts (the app, its
    database session, the report's model) are frozen (``gc.freeze``) so that the full
    passes that still happen do not walk them again and again.  Nesting and threads are
    allowed: thresholds and frozen objects are restored when the last block ends.  :meth:`ReportDocument.build` uses it, and so does
    every report kind's ``build`` (see :mod:`dvcoord.reports.registry`).
    """
    global _gc_depth, _gc_saved, _gc_froze
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(max(_GC_YOUNG, _gc_saved[0]), *_gc_saved[1:])
            _gc_froze = gc.get_freeze_count() == 0
            if _gc_froze:
                gc.freeze()
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0:
                if _gc_froze:
                    gc.unfreeze()
                gc.set_threshold(*_gc_saved)


def _ensure_fonts() -> None:
    try:
        fonts.register_fonts()
    except OSError as exc:
        raise ReportError(str(exc)) from exc


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    _ensure_fonts()
    f = fonts
    base = ParagraphStyle("dv-body", fontName=f.SANS, fontSize=9.5, leading=13, textColor=INK)
    s: dict[str, ParagraphStyle] = {
        "body": ParagraphStyle("dv-para", parent=base, spaceAfter=5),
        "small": ParagraphStyle(
            "dv-small", parent=base, fontSize=8, leading=10.5, textColor=MUTED, spaceAfter=4
        ),
        "note": ParagraphStyle(
            "dv-note",
            parent=base,
            fontName=f.SANS_ITALIC,
            fontSize=9,
            leading=12,
            textColor=MUTED,
            spaceAfter=5,
        ),
        "h1": ParagraphStyle(
            "dv-h1",
            parent=base,
            fontName=f.SANS_BOLD,
            fontSize=14,
            leading=18,
            textColor=ACCENT,
            spaceBefore=12,
            spaceAfter=6,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "dv-h2",
            parent=base,
            fontName=f.SANS_BOLD,
            fontSize=11.5,
            leading=15,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=5,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "dv-h3",
            parent=base,
            fontName=f.SANS_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "cell": ParagraphStyle(
            "dv-cell", fontName=f.CONDENSED, fontSize=_CELL_SIZE, leading=_LEADING, textColor=INK
        ),
        "cell_head": ParagraphStyle(
            "dv-cell-head",
            fontName=f.CONDENSED_BOLD,
            fontSize=_CELL_SIZE,
            leading=_LEADING,
            textColor=colors.white,
        ),
        "label": ParagraphStyle(
            "dv-label", parent=base, fontName=f.SANS_BOLD, fontSize=9, leading=12
        ),
        "value": ParagraphStyle("dv-value", parent=base, fontSize=9, leading=12),
        "title_org": ParagraphStyle(
            "dv-title-org",
            parent=base,
            fontName=f.SANS_BOLD,
            fontSize=10.5,
            leading=14,
            textColor=MUTED,
            spaceAfter=2,
        ),
        "title": ParagraphStyle(
            "dv-title",
            parent=base,
            fontName=f.SANS_BOLD,
            fontSize=20,
            leading=25,
            textColor=ACCENT,
            spaceAfter=3,
        ),
        "title_sub": ParagraphStyle(
            "dv-title-sub", parent=base, fontSize=12.5, leading=17, spaceAfter=3
        ),
        "title_meta": ParagraphStyle(
            "dv-title-meta", parent=base, fontSize=9.5, leading=13, textColor=MUTED
        ),
    }
    s["cell_head_right"] = ParagraphStyle(
        "dv-cell-head-right", parent=s["cell_head"], alignment=TA_RIGHT
    )
    # Cell text variants, keyed "cell[-right][-bold][-muted][-more]" (more: a paragraph
    # after the first in the same cell).
    for right in ("", "-right"):
        for bold in ("", "-bold"):
            for muted in ("", "-muted"):
                for more in ("", "-more"):
                    key = f"cell{right}{bold}{muted}{more}"
                    s[key] = ParagraphStyle(
                        f"dv-{key}",
                        parent=s["cell"],
                        alignment=TA_RIGHT if right else s["cell"].alignment,
                        fontName=f.CONDENSED_BOLD if bold else f.CONDENSED,
                        textColor=MUTED if muted else INK,
                        spaceBefore=4 if more else 0,
                    )
    s["span_heading"] = ParagraphStyle(
        "dv-span-heading", parent=s["cell"], fontName=f.CONDENSED_BOLD, textColor=ACCENT
    )
    s["span_note"] = ParagraphStyle(
        "dv-span-note", parent=s["cell"], fontName=f.SANS_ITALIC, fontSize=8, textColor=MUTED
    )
    for letter, colour in RAG_COLOURS.items():
        s[f"rag_{letter}"] = ParagraphStyle(
            f"dv-rag-{letter or 'none'}",
            fontName=f.CONDENSED_BOLD,
            fontSize=_CELL_SIZE,
            leading=10.5,
            alignment=TA_CENTER,
            textColor=_RAG_TEXT.get(letter, INK),
            backColor=colour,
        )
    return s


# --------------------------------------------------------------------------- text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _markup(text: str) -> str:
    """Plain user text -> safe Paragraph markup (escaped, line breaks kept)."""
    return escape(_clean(text)).replace("\n", "<br/>")


class _Heading(Paragraph):
    """A heading paragraph; the document turns it into a PDF bookmark."""

    def __init__(self, text: str, style: ParagraphStyle, level: int) -> None:
        super().__init__(_markup(text), style)
        self.dv_level = level
        self.dv_text = " ".join(_clean(text).split())


def heading(text: str, level: int = 1) -> Flowable:
    """A section heading (level 1, 2 or 3), kept with what follows and bookmarked."""
    if level not in (1, 2, 3):
        raise ValueError(f"Heading level must be 1, 2 or 3, not {level!r}.")
    return _Heading(text, _styles()[f"h{level}"], level)


def para(
    text: str,
    style: Literal["body", "small", "note"] = "body",
    *,
    label: str = "",
    keep_with_next: bool = False,
) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept).

    ``label`` is printed in bold before the text ("Key objective: …"); ``keep_with_next``
    keeps the paragraph on the same page as the flowable after it.
    """
    if style not in ("body", "small", "note"):
        raise ValueError(f"Unknown paragraph style {style!r}.")
    markup = _markup(text)
    label = " ".join(_clean(label).split())
    if label:
        if label[-1] not in ":.?!":
            label += ":"
        markup = f"<b>{_markup(label)}</b> {markup}"
    paragraph = Paragraph(markup, _styles()[style])
    if keep_with_next:
        paragraph.keepWithNext = True
    return paragraph


def spacer(height_mm: float = 4) -> Flowable:
    """Vertical space of the given height in millimetres."""
    return Spacer(1, height_mm * mm)


def page_break() -> Flowable:
    """Start a new page."""
    return PageBreak()


def no_data(text: str = "Nothing to report for this period.") -> Flowable:
    """A quiet boxed note used where a table or chart would be empty."""
    table = _FitTable(
        [[Paragraph(_markup(text), _styles()["note"])]], colWidths=[None], hAlign="LEFT"
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    table.dv_spec = (1.0,)
    table.spaceBefore, table.spaceAfter = 2, 8
    return table


# --------------------------------------------------------------------------- tables
def _resolve_widths(spec: Sequence[float], avail: float) -> list[float]:
    """Points (> 1) stay, shares (<= 1) divide what is left; scale down to fit ``avail``."""
    fixed = sum(w for w in spec if w > 1)
    left = avail - fixed if fixed < avail else avail
    widths = [float(w) if w > 1 else w * left for w in spec]
    total = sum(widths)
    if total > avail:
        widths = [w * avail / total for w in widths]
    return widths


class _FitTable(Table):
    """A Table whose column widths are settled against the frame it is laid out in."""

    dv_spec: tuple[float, ...] | None = None
    _dv_fitted_for: float | None = None

    def _dv_fit(self, avail_width: float) -> None:
        if self.dv_spec is not None and self._dv_fitted_for != avail_width:
            widths = _resolve_widths(self.dv_spec, avail_width)
            self._argW = self._colWidths = widths
            self._dv_fitted_for = avail_width
            _unplain_narrow_cells(self._cellvalues, widths)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self._dv_fit(availWidth)
        return super().wrap(availWidth, availHeight)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        self._dv_fit(availWidth)
        return super().split(availWidth, availHeight)


def _check_widths(col_widths: Sequence[float], ncols: int) -> tuple[float, ...]:
    if len(col_widths) != ncols:
        raise ValueError(f"{len(col_widths)} column widths given for {ncols} columns.")
    if any(isinstance(w, bool) or not isinstance(w, int | float) or w <= 0 for w in col_widths):
        raise ValueError("Column widths must be positive numbers (points, or shares up to 1).")
    return tuple(float(w) for w in col_widths)


def _chars_per_line(width: float) -> int:
    """A cautious guess at how many characters of cell text fit on one line."""
    return max(6, int((width - 2 * _CELL_PAD) / (_CELL_SIZE * _EM_PER_CHAR)))


def _break_at(text: str, limit: int) -> int:
    """Where to cut ``text`` at or before ``limit``: a sentence end, else a space."""
    window = text[:limit]
    lo = limit // 2
    best = max(window.rfind(mark, lo) for mark in (". ", "; ", "! ", "? "))
    if best >= lo:
        return best + 1
    space = window.rfind(" ", lo)
    return space if space >= lo else limit


def _chunk_text(text: str, per_line: int, max_lines: int = _CHUNK_LINES) -> list[str]:
    """Split text into pieces of at most ``max_lines`` estimated lines each."""
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for line in text.split("\n"):
        while True:
            need = max(1, math.ceil(len(line) / per_line))
            if used + need <= max_lines:
                current.append(line)
                used += need
                break
            room = max_lines - used
            if room >= 3 or not current:
                cut = _break_at(line, room * per_line)
                current.append(line[:cut].rstrip())
                line = line[cut:].lstrip()
            chunks.append("\n".join(current).strip("\n"))
            current, used = [], 0
    if current:
        chunks.append("\n".join(current).strip("\n"))
    return [c for c in chunks if c.strip()] or [""]


class _CellParagraph(Paragraph):
    """A Paragraph that remembers its last wrap, since tables wrap each cell repeatedly.

    ``Paragraph.wrap`` depends only on the width, and the remembered result is always
    that of the most recent wrap, so the line breaks drawn are the ones measured.
    """

    _dv_wrapped: tuple[float, tuple[float, float]] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        last = self._dv_wrapped
        if last is not None and last[0] == availWidth:
            return last[1]
        size = super().wrap(availWidth, availHeight)
        self._dv_wrapped = (availWidth, size)
        return size


@dataclass(frozen=True, slots=True)
class CellText:
    """Table cell text with an optional bold first line (``label``), or printed muted.

    Made by :func:`cell_text`; long text still continues over extra rows like plain text.
    """

    text: str
    label: str = ""
    muted: bool = False


def cell_text(text: str, *, label: str = "", muted: bool = False) -> CellText:
    """Cell text with a bold ``label`` line above it (e.g. the date and author of a
    progress update), or ``muted`` (grey) for placeholders such as "No update yet"."""
    return CellText(text or "", label or "", muted)


def _cell_style(right: bool, bold: bool, muted: bool, more: bool) -> ParagraphStyle:
    key = (
        "cell"
        + ("-right" if right else "")
        + ("-bold" if bold else "")
        + ("-muted" if muted else "")
        + ("-more" if more else "")
    )
    return _styles()[key]


#: Text that needs ReportLab's markup parser (entities); anything else is built directly.
_NEEDS_PARSER = re.compile(r"[&<>]")


@functools.cache
def _frag_templates(style: ParagraphStyle) -> tuple[Any, Any, Any] | None:
    """The fragments ReportLab's parser makes in ``style`` for plain text, a bold label
    and a line break, to be cloned by :func:`_cell_paragraph` (``None``: always parse)."""
    plain = Paragraph("x<br/>y", style).frags
    labelled = Paragraph("<b>x</b><br/>y", style).frags
    shapes_ok = (
        len(plain) == 3
        and len(labelled) == 3
        and [getattr(f, "text", None) for f in plain] == ["x", "", "y"]
        and [getattr(f, "text", None) for f in labelled] == ["x", "", "y"]
        and getattr(plain[1], "lineBreak", False)
        and plain[0].__dict__ == plain[2].__dict__ | {"text": "x"}
        and labelled[2].__dict__ == plain[2].__dict__
        and labelled[1].__dict__ == plain[1].__dict__
    )
    return (plain[0], labelled[0], plain[1]) if shapes_ok else None


def _clone_frag(template: Any, text: str) -> Any:
    """A copy of a parser fragment with its own lists (links, underlines) and ``text``."""
    frag = template.clone(text=text)
    for key, value in template.__dict__.items():
        if isinstance(value, list):
            setattr(frag, key, list(value))
    return frag


def _direct_frags(markup: str, style: ParagraphStyle) -> list[Any] | None:
    """The fragments the parser would make of ``markup`` (``[<b>label</b><br/>]line
    [<br/>line]...`` with no entities), made directly; ``None`` if unsure."""
    templates = _frag_templates(style)
    if templates is None:
        return None
    plain, bold, line_break = templates
    frags: list[Any] = []
    rest = markup
    if rest.startswith("<b>"):
        end = rest.find("</b>")
        label = rest[3:end]
        if end < 0 or not label.strip():
            return None
        frags.append(_clone_frag(bold, label))
        rest = rest[end + 4 :]
        if not rest:
            return frags
        if not rest.startswith("<br/>"):
            return None
        frags.append(_clone_frag(line_break, ""))
        rest = rest[5:]
    for i, line in enumerate(rest.split("<br/>")):
        if not line.strip() or "<" in line:
            return None
        if i:
            frags.append(_clone_frag(line_break, ""))
        frags.append(_clone_frag(plain, line))
    return frags


def _cell_paragraph(text: str, style: ParagraphStyle, label: str = "") -> _CellParagraph:
    """A cell Paragraph of plain ``text`` (line breaks kept) with an optional bold
    ``label`` line above it.

    Tables hold tens of thousands of these, and ReportLab's markup parser is a good part of
    their cost, so text without ``&``, ``<`` or ``>`` gets the fragments the parser would
    have made built directly (a test checks they are the same); other text is parsed.
    """
    markup = _markup(text)
    if label:
        head = f"<b>{_markup(label)}</b>"
        markup = f"{head}<br/>{markup}" if markup else head
    if _NEEDS_PARSER.search(text) or _NEEDS_PARSER.search(label):
        return _CellParagraph(markup, style)
    cleaned = cleanBlockQuotedText(markup)
    frags = _direct_frags(cleaned, style)
    if frags is None:
        return _CellParagraph(markup, style)
    return _CellParagraph(cleaned, style, frags=frags)


class _PlainCell(str):
    """Short one-line cell text that the table draws itself, without a Paragraph.

    Drawn by the table in the cell style's font, colour, leading and alignment (set by the
    table's style commands to those of the matching Paragraph style), it lands on the same
    baseline as a one-line Paragraph would, and costs a fraction: no markup parsing, no
    line breaking, no text object of its own.  ``dv_style`` is the Paragraph style it
    stands in for, used if the table is ever laid out narrower than the text was measured
    for (see :func:`_unplain_narrow_cells`).
    """

    dv_style: ParagraphStyle
    dv_width: float


#: Characters a Paragraph treats specially (no-break and zero-width spaces, soft hyphens,
#: line separators): text holding one always goes into a Paragraph.
_NOT_PLAIN = re.compile(r"[\xa0\xad\u200b-\u200d\u2028\u2029\u2060\ufeff]")
#: Room kept spare when deciding that text fits on one line, so rounding never matters.
_PLAIN_SLACK = 1.0


def _plain_cell(text: str, style: ParagraphStyle, width: float) -> _PlainCell | None:
    """``text`` as a :class:`_PlainCell` when it is one line that fits ``width`` (the
    column, padding included) in ``style``'s font; otherwise ``None``."""
    if "\n" in text or _NOT_PLAIN.search(text):
        return None
    line = " ".join(text.split())  # what Paragraph makes of the spaces in one line
    text_width = stringWidth(line, style.fontName, style.fontSize)
    if text_width > width - 2 * _CELL_PAD - _PLAIN_SLACK:
        return None
    cell = _PlainCell(line)
    cell.dv_style = style
    cell.dv_width = text_width
    return cell


def _unplain_narrow_cells(rows: list[list[Any]], widths: Sequence[float]) -> None:
    """Turn plain cells back into Paragraphs where a column became too narrow for them
    (only if a table is laid out narrower than a portrait page's frame)."""
    limits = [w - 2 * _CELL_PAD for w in widths]
    for row in rows:
        for c, value in enumerate(row):
            if isinstance(value, _PlainCell) and value.dv_width > limits[c]:
                row[c] = _cell_paragraph(value, value.dv_style)


def _text_cell(
    text: str,
    right: bool,
    *,
    bold: bool = False,
    muted: bool = False,
    label: str = "",
    width: float = 0.0,
) -> Flowable | list[Flowable] | str:
    if width and not label and not muted:
        plain = _plain_cell(text, _cell_style(right, bold, False, more=False), width)
        if plain is not None:
            return plain
    blocks = [b.strip("\n") for b in _BLANK_LINES.split(text) if b.strip()] or [""]
    first = _cell_style(right, bold, muted, more=False)
    if len(blocks) == 1:
        return _cell_paragraph(blocks[0], first, label)
    more = _cell_style(right, bold, muted, more=True)
    return [
        _cell_paragraph(b, first, label) if i == 0 else _cell_paragraph(b, more)
        for i, b in enumerate(blocks)
    ]


def _cell_parts(
    value: Cell, right: bool, per_line: int, *, bold: bool = False, width: float = 0.0
) -> list[Any]:
    """A cell's content, one entry per table row it needs (long text takes several).

    ``width``: the narrowest the column can be; short one-line text that fits it becomes
    a :class:`_PlainCell` (0: always Paragraphs)."""
    if value is None:
        return [""]
    if isinstance(value, Flowable):
        return [value]
    if isinstance(value, list | tuple):
        return [list(value)]
    label, muted = "", False
    if isinstance(value, CellText):
        label, muted, value = " ".join(_clean(value.label).split()), value.muted, value.text
    text = _clean(value if isinstance(value, str) else str(value))
    if not text.strip() and not label:
        return [""]
    if len(text) <= per_line * _CHUNK_LINES and text.count("\n") < _CHUNK_LINES:
        chunks = [text]
    else:
        chunks = _chunk_text(text, per_line, _CHUNK_LINES - (1 if label else 0))
    return [
        _text_cell(chunk, right, bold=bold, muted=muted, label=label if i == 0 else "", width=width)
        for i, chunk in enumerate(chunks)
    ]


def rag_letter(value: str | None) -> str:
    """Normalise a RAG status to "R", "A", "G", "B", or "" for none.

    Accepts letters or names in any case ("amber", "Green"); "", "-", "–", "none" and
    ``None`` mean no status.  Anything else is returned stripped and upper-cased, and a
    cell made from it is grey with that text printed, so nothing is silently lost.
    """
    text = (value or "").strip()
    key = text.lower()
    if key in ("", "-", "\u2013", "\u2014", "none", "n/a", "na", "no status"):
        return ""
    for letter, name in RAG_NAMES.items():
        if letter and key in (letter.lower(), name.lower()):
            return letter
    return text.upper()


class _RagCell(Paragraph):
    """A RAG status: the letter on its colour.  Tables colour the whole cell behind it."""

    def __init__(self, letter: str) -> None:
        st = _styles()
        known = letter in RAG_COLOURS
        style = st[f"rag_{letter}"] if known else st["rag_"]
        super().__init__(_markup(letter or "\u2013"), style)
        self.dv_letter = letter
        self.dv_background = RAG_COLOURS[letter] if known else RAG_COLOURS[""]


def rag_cell(value: str | None) -> Paragraph:
    """A lettered, coloured RAG cell for a table (see :func:`rag_letter` for inputs)."""
    return _RagCell(rag_letter(value))


# Font, leading and colour are those of the "cell" Paragraph style, for plain cells.
_TABLE_BASE: list[tuple[Any, ...]] = [
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("FONT", (0, 0), (-1, -1), fonts.CONDENSED, _CELL_SIZE, _LEADING),
    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
    ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PAD),
    ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PAD),
    ("TOPPADDING", (0, 0), (-1, -1), 3),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
]


@dataclass(frozen=True, slots=True)
class SpanRow:
    """A row across the whole table: a sub-heading (an aim) or a note.  See span_row."""

    text: str
    kind: Literal["heading", "note"] = "heading"


def span_row(text: str, kind: Literal["heading", "note"] = "heading") -> SpanRow:
    """A full-width row inside a :func:`data_table`: ``"heading"`` (bold, tinted, kept with
    the row after it, e.g. an aim within a theme) or ``"note"`` (quiet italic)."""
    if kind not in ("heading", "note"):
        raise ValueError(f"Unknown span row kind {kind!r}: use 'heading' or 'note'.")
    return SpanRow(text or "", kind)


Row: TypeAlias = "Sequence[Cell] | SpanRow"


def _body(
    rows: Sequence[Row],
    ncols: int,
    spec: Sequence[float],
    *,
    first_row: int,
    rag_column: int | None = None,
    right: frozenset[int] = frozenset(),
    zebra: bool = True,
    total_row: bool = False,
) -> tuple[list[list[Any]], list[tuple[Any, ...]]]:
    """Table rows and style commands for ``rows`` starting at table row ``first_row``.

    A record whose text is too long for one safe row is spread over continuation rows
    that share its background and have no rule or padding between them, so the table can
    break between them like between any other rows.
    """
    st = _styles()
    widths = _resolve_widths(spec, _PORTRAIT_FRAME_WIDTH)
    per_line = [_chars_per_line(w) for w in widths]
    full_line = _chars_per_line(sum(widths))
    data: list[list[Any]] = []
    # (first table row, last table row, kind) per record: "row", "total", "heading", "note"
    groups: list[tuple[int, int, str]] = []
    rag_cmds: list[tuple[Any, ...]] = []
    last_index = len(rows) - 1
    for r, row in enumerate(rows):
        top = first_row + len(data)
        if isinstance(row, SpanRow):
            style = st["span_heading"] if row.kind == "heading" else st["span_note"]
            for chunk in _chunk_text(_clean(row.text), full_line):
                data.append([_cell_paragraph(chunk, style)] + [""] * (ncols - 1))
            groups.append((top, first_row + len(data) - 1, row.kind))
            continue
        if len(row) != ncols:
            raise ValueError(f"Row {r + 1} has {len(row)} cells but the table has {ncols} columns.")
        is_total = total_row and r == last_index
        parts: list[list[Any]] = []
        rags: list[tuple[int, _RagCell]] = []
        for c, value in enumerate(row):
            if c == rag_column and (value is None or isinstance(value, str)):
                value = rag_cell(value)
            if isinstance(value, _RagCell):
                rags.append((c, value))
            parts.append(
                _cell_parts(value, c in right, per_line[c], bold=is_total, width=widths[c])
            )
        height = max(len(p) for p in parts)
        for c, rag in rags:  # the letter on every row of the record, not just the colour
            parts[c].extend(_RagCell(rag.dv_letter) for _ in range(height - 1))
        for i in range(height):
            data.append([p[i] if i < len(p) else "" for p in parts])
        bottom = top + height - 1
        groups.append((top, bottom, "total" if is_total else "row"))
        rag_cmds.extend(("BACKGROUND", (c, top), (c, bottom), rag.dv_background) for c, rag in rags)

    cmds: list[tuple[Any, ...]] = []
    shade = 0  # zebra parity of the next record; restarts after each span row
    k = 0
    while k < len(groups):
        top, bottom, kind = groups[k]
        if kind == "row" and top == bottom:
            # A run of one-row records: one command each for the rules and the zebra.
            end = k
            while (
                end + 1 < len(groups)
                and groups[end + 1][2] == "row"
                and groups[end + 1][0] == groups[end + 1][1]
            ):
                end += 1
            last = groups[end][1]
            cmds.append(("LINEBELOW", (0, top), (-1, last), 0.25, RULE))
            if zebra:
                cycle = [colors.white, ZEBRA] if shade == 0 else [ZEBRA, colors.white]
                cmds.append(("ROWBACKGROUNDS", (0, top), (-1, last), cycle))
            shade = (shade + end - k + 1) % 2
            k = end + 1
            continue
        cmds.append(("LINEBELOW", (0, bottom), (-1, bottom), 0.25, RULE))
        if bottom > top:  # continuation rows: no padding between them, so the text flows on
            cmds.append(("BOTTOMPADDING", (0, top), (-1, bottom - 1), 0))
            cmds.append(("TOPPADDING", (0, top + 1), (-1, bottom), 0))
        if kind == "row":
            if zebra:
                cmds.append(
                    ("BACKGROUND", (0, top), (-1, bottom), ZEBRA if shade else colors.white)
                )
            shade ^= 1
        elif kind == "total":
            cmds.append(
                ("FONT", (0, top), (-1, bottom), fonts.CONDENSED_BOLD, _CELL_SIZE, _LEADING)
            )
            cmds.append(("BACKGROUND", (0, top), (-1, bottom), BAND))
            cmds.append(("LINEABOVE", (0, top), (-1, top), 0.8, RULE_STRONG))
        else:
            cmds.extend(("SPAN", (0, i), (-1, i)) for i in range(top, bottom + 1))
            if kind == "heading":
                cmds.append(("BACKGROUND", (0, top), (-1, bottom), HEADING_TINT))
                if k + 1 < len(groups):  # never leave an aim heading alone at a page foot
                    cmds.append(("NOSPLIT", (0, bottom), (-1, groups[k + 1][0])))
            shade = 0
        k += 1
    return data, cmds + rag_cmds


def data_table(
    header: Sequence[str],
    rows: Sequence[Row],
    col_widths: Sequence[float],
    *,
    rag_column: int | None = None,
    zebra: bool = True,
    right_align: Iterable[int] = (),
    total_row: bool = False,
) -> Table:
    """A report table: repeated header row, wrapped cells, fixed widths that fit the frame.

    ``rows`` are lists of cells or :func:`span_row` rows.  Cells hold text (escaped and
    wrapped; very long text continues in extra rows), :func:`cell_text`, numbers (printed
    with ``str``), ``None`` (blank) or flowables (kept as they are, so they must fit on a
    page).  ``col_widths``: points (> 1) or shares (<= 1) of the width left after the
    point columns.  ``rag_column``: index of a column of RAG statuses, printed lettered
    and coloured.  ``right_align``: indexes of numeric columns.  ``zebra``: shade
    alternate records.  ``total_row``: the last row is a total (bold, ruled off).
    """
    st = _styles()
    ncols = len(header)
    if ncols == 0:
        raise ValueError("A table needs at least one column.")
    spec = _check_widths(col_widths, ncols)
    if rag_column is not None and not 0 <= rag_column < ncols:
        raise ValueError(f"rag_column {rag_column} is outside the {ncols} columns.")
    right = frozenset(right_align)
    widths = _resolve_widths(spec, _PORTRAIT_FRAME_WIDTH)
    head: list[Any] = []
    for c, h in enumerate(header):
        style = st["cell_head_right"] if c in right else st["cell_head"]
        text = _clean(str(h))
        head.append(_plain_cell(text, style, widths[c]) or _cell_paragraph(text, style))
    body, body_cmds = _body(
        rows,
        ncols,
        spec,
        first_row=1,
        rag_column=rag_column,
        right=right,
        zebra=zebra,
        total_row=total_row,
    )
    cmds: list[tuple[Any, ...]] = [
        *_TABLE_BASE,
        ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("FONT", (0, 0), (-1, 0), fonts.CONDENSED_BOLD, _CELL_SIZE, _LEADING),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        *(("ALIGN", (c, 0), (c, -1), "RIGHT") for c in sorted(right)),
    ]
    if rag_column is not None:
        cmds.append(("VALIGN", (rag_column, 1), (rag_column, -1), "MIDDLE"))
    cmds += [*body_cmds, ("BOX", (0, 0), (-1, -1), 0.5, RULE_STRONG)]
    table = _FitTable(
        [head, *body],
        colWidths=widths,
        repeatRows=1,
        splitByRow=1,
        hAlign="LEFT",
        style=TableStyle(cmds),
    )
    table.dv_spec = spec
    table.spaceBefore, table.spaceAfter = 2, 10
    return table


class TableSection(NamedTuple):
    """One section of a sectioned table: a heading, its rows and an optional intro line."""

    title: str
    rows: Sequence[Row]
    intro: str = ""


def sections_as_tables(
    sections: Iterable[TableSection | tuple[Any, ...]],
    header: Sequence[str],
    col_widths: Sequence[float],
    *,
    rag_column: int | None = None,
    zebra: bool = True,
    level: int = 2,
    empty_text: str = "Nothing recorded in this section.",
) -> list[Flowable]:
    """A heading and its own table per section (cheaper and clearer than one huge table).

    ``sections`` are ``TableSection(title, rows, intro="")`` or plain ``(title, rows)``
    tuples; a section without rows gets a "no data" note instead of an empty table.
    """
    out: list[Flowable] = []
    for section in sections:
        sec = TableSection(*section)
        out.append(heading(sec.title, level))
        if sec.intro:
            out.append(para(sec.intro, "small"))
        if sec.rows:
            out.append(data_table(header, sec.rows, col_widths, rag_column=rag_column, zebra=zebra))
        else:
            out.append(no_data(empty_text))
    return out


def rag_key_table(entries: Sequence[tuple[str, str, str]]) -> Table:
    """A plan's RAG key: rows of (letter, name, meaning), e.g. ("G", "Green", "Completed")."""
    st = _styles()
    if not entries:
        raise ValueError("A RAG key needs at least one entry.")
    data: list[list[Any]] = []
    cmds: list[tuple[Any, ...]] = [
        *_TABLE_BASE,
        ("VALIGN", (0, 0), (0, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("BOX", (0, 0), (-1, -1), 0.5, RULE_STRONG),
    ]
    for r, (letter, name, meaning) in enumerate(entries):
        chip = _RagCell(rag_letter(letter))
        cmds.append(("BACKGROUND", (0, r), (0, r), chip.dv_background))
        data.append(
            [chip, Paragraph(_markup(name), st["label"]), Paragraph(_markup(meaning), st["value"])]
        )
    widths = (10 * mm, 38 * mm, 112 * mm)
    table = _FitTable(data, colWidths=list(widths), hAlign="LEFT", style=TableStyle(cmds))
    table.dv_spec = widths
    table.spaceBefore, table.spaceAfter = 2, 10
    return table


def key_values(pairs: Sequence[tuple[str, Cell]], *, label_width: float = 45 * mm) -> Table:
    """A two-column block of labels and values (text, numbers or flowables)."""
    st = _styles()
    if not pairs:
        raise ValueError("key_values needs at least one pair.")
    spec = _check_widths([label_width, 1.0], 2)
    body, body_cmds = _body(
        [[Paragraph(_markup(label), st["label"]), value] for label, value in pairs],
        2,
        spec,
        first_row=0,
        zebra=False,
    )
    table = _FitTable(
        body,
        colWidths=_resolve_widths(spec, _PORTRAIT_FRAME_WIDTH),
        hAlign="LEFT",
        style=TableStyle(
            [
                *_TABLE_BASE,
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                *body_cmds,
            ]
        ),
    )
    table.dv_spec = spec
    table.spaceBefore, table.spaceAfter = 2, 8
    return table


# --------------------------------------------------------------------------- charts
class _Chart(Drawing):
    """A Drawing that shrinks to fit a narrower frame instead of overflowing it."""

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.renderScale = min(1.0, availWidth / self.width) if self.width else 1.0
        return super().wrap(availWidth, availHeight)

    def getSpaceBefore(self) -> float:  # noqa: N802 (ReportLab API)
        return 4

    def getSpaceAfter(self) -> float:  # noqa: N802 (ReportLab API)
        return 12


def _wrap_words(text: str, font: str, size: float, max_width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if current and stringWidth(trial, font, size) > max_width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines or [""]


def _colours_for(names: Sequence[str], colours: Any) -> list[colors.Color]:
    out: list[colors.Color] = []
    for i, name in enumerate(names):
        chosen: Any = None
        if isinstance(colours, Mapping):
            chosen = colours.get(name)
        elif colours:
            chosen = list(colours)[i % len(colours)]
        if chosen is None:
            letter = rag_letter(name)
            if name.strip().lower() in {n.lower() for n in RAG_NAMES.values()}:
                chosen = RAG_COLOURS[letter if letter in RAG_COLOURS else ""]
            else:
                chosen = PALETTE[i % len(PALETTE)]
        out.append(colors.toColor(chosen))
    return out


def _nice_step(span: float) -> int:
    raw = max(span / 5, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return max(1, int(m * magnitude))
    return max(1, int(10 * magnitude))


def _legend(x: float, y: float, pairs: list[tuple[colors.Color, str]], *, vertical: bool) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.boxAnchor = "nw" if vertical else "w"
    legend.colorNamePairs = pairs
    legend.fontName = fonts.SANS
    legend.fontSize = 7.5
    legend.fillColor = INK
    legend.dx = legend.dy = 7
    legend.strokeColor = None
    legend.strokeWidth = 0
    legend.swdx = 5
    if vertical:
        legend.columnMaximum = len(pairs)
        legend.deltay = 11
    else:
        legend.columnMaximum = 1
        legend.deltax = 14 + max(stringWidth(n, fonts.SANS, 7.5) for _, n in pairs)
        legend.autoXPadding = 14
    return legend


def bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[int]],
    colours: Sequence[ColourLike] | Mapping[str, ColourLike] | None = None,
    *,
    width: float | None = None,
    height: float = 70 * mm,
    value_labels: bool = True,
) -> Flowable:
    """A grouped vertical bar chart: one bar per series in each category, with a legend.

    ``colours``: a list (in series order) or a mapping from series name; by default series
    named Red/Amber/Green/Blue get the RAG colours and others the :data:`PALETTE`.
    ``width`` (points) defaults to 170 mm and the chart shrinks to fit a narrower frame.
    Values are printed above the bars so colour is not the only way to read them.
    """
    _ensure_fonts()
    cats = [str(c) for c in categories]
    names = list(series)
    values = [[int(v) for v in series[n]] for n in names]
    for name, vals in zip(names, values, strict=True):
        if len(vals) != len(cats):
            raise ValueError(f"Series {name!r} has {len(vals)} values for {len(cats)} categories.")
    if not cats or not names or not any(v for vals in values for v in vals):
        return no_data("No figures to chart for this period.")
    width = width or 170 * mm
    drawing = _Chart(width, height)
    label_size = 7.5
    leading = 9.0
    plot_x = 30.0
    plot_w = width - plot_x - 6
    slot = plot_w / len(cats)
    wrapped = [_wrap_words(c, fonts.SANS, label_size, slot - 6) for c in cats]
    angled = any(
        len(lines) > 3 or any(stringWidth(x, fonts.SANS, label_size) > slot - 2 for x in lines)
        for lines in wrapped
    )
    if angled:
        shown = [_fit_text(c, fonts.SANS, label_size, 42 * mm) for c in cats]
        widest = max(stringWidth(c, fonts.SANS, label_size) for c in shown)
        label_h = widest * math.sin(math.radians(35)) + 14
    else:
        shown = ["\n".join(lines) for lines in wrapped]
        label_h = 14 + leading * max(len(lines) for lines in wrapped)
    legend_h = 16 if len(names) > 1 else 0

    chart = VerticalBarChart()
    chart.x, chart.y = plot_x, legend_h + label_h
    chart.width, chart.height = plot_w, height - chart.y - 10
    chart.data = values
    chart.groupSpacing = max(4, slot * 0.25)
    chart.barSpacing = 1
    chart.bars.strokeColor = None
    for i, colour in enumerate(_colours_for(names, colours)):
        chart.bars[i].fillColor = colour
    ca = chart.categoryAxis
    ca.categoryNames = shown
    ca.strokeColor = RULE_STRONG
    ca.strokeWidth = 0.6
    ca.visibleTicks = False
    ca.labels.fontName = fonts.SANS
    ca.labels.fontSize = label_size
    ca.labels.leading = leading
    ca.labels.fillColor = INK
    if angled:
        ca.labels.angle = 35
        ca.labels.boxAnchor = "ne"
        ca.labels.dx, ca.labels.dy = 2, -4
    else:
        ca.labels.boxAnchor = "n"
        ca.labels.textAnchor = "middle"
        ca.labels.dy = -5
    low = min(0, min(min(v) for v in values))
    high = max(0, max(max(v) for v in values))
    step = _nice_step(high - low)
    va = chart.valueAxis
    va.valueMin = step * math.floor(low / step)
    va.valueMax = max(step, step * math.ceil(high * 1.08 / step))
    va.valueStep = step
    va.visibleAxis = False
    va.visibleTicks = False
    va.visibleGrid = True
    va.gridStrokeColor = RULE
    va.gridStrokeWidth = 0.4
    va.labels.fontName = fonts.SANS
    va.labels.fontSize = 7
    va.labels.fillColor = MUTED
    va.labelTextFormat = lambda v: f"{v:,.0f}"
    if value_labels:
        chart.barLabelFormat = "%d"
        chart.barLabels.fontName = fonts.CONDENSED
        chart.barLabels.fontSize = 7
        chart.barLabels.fillColor = INK
        chart.barLabels.nudge = 6
    drawing.add(chart)
    if legend_h:
        pairs = list(zip(_colours_for(names, colours), names, strict=True))
        drawing.add(_legend(plot_x, legend_h / 2, pairs, vertical=False))
    drawing.hAlign = "LEFT"
    return drawing


def donut(
    values: Mapping[str, int] | Sequence[tuple[str, int]],
    colours: Sequence[ColourLike] | Mapping[str, ColourLike] | None = None,
    *,
    width: float | None = None,
    height: float = 55 * mm,
    centre_label: str = "total",
) -> Flowable:
    """A doughnut chart with the total in the middle and a legend of "name: n (p%)".

    ``colours`` as for :func:`bar_chart`.  Zero values stay in the legend but draw no
    slice; when everything is zero a "no data" note is returned instead.
    """
    _ensure_fonts()
    items = [
        (str(k), int(v)) for k, v in (values.items() if isinstance(values, Mapping) else values)
    ]
    if any(v < 0 for _, v in items):
        raise ValueError("A doughnut chart cannot show negative values.")
    total = sum(v for _, v in items)
    if total <= 0:
        return no_data("No figures to chart for this period.")
    width = width or 170 * mm
    drawing = _Chart(width, height)
    names = [k for k, _ in items]
    palette = _colours_for(names, colours)
    size = height - 6
    pie = Pie()
    pie.x, pie.y = 3, 3
    pie.width = pie.height = size
    shown = [(i, v) for i, (_, v) in enumerate(items) if v > 0]
    pie.data = [v for _, v in shown]
    pie.labels = None
    pie.startAngle = 90
    pie.direction = "clockwise"
    pie.innerRadiusFraction = 0.56
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 1
    for j, (i, _) in enumerate(shown):
        pie.slices[j].fillColor = palette[i]
    drawing.add(pie)
    cx, cy = 3 + size / 2, 3 + size / 2
    drawing.add(
        String(
            cx,
            cy - 2,
            f"{total:,}",
            fontName=fonts.SANS_BOLD,
            fontSize=15,
            fillColor=INK,
            textAnchor="middle",
        )
    )
    if centre_label:
        drawing.add(
            String(
                cx,
                cy - 13,
                centre_label,
                fontName=fonts.SANS,
                fontSize=7.5,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
    pairs = [(palette[i], f"{name}: {v:,} ({v / total:.0%})") for i, (name, v) in enumerate(items)]
    drawing.add(_legend(size + 18, height - 8, pairs, vertical=True))
    drawing.hAlign = "LEFT"
    return drawing


def line_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    colours: Sequence[ColourLike] | Mapping[str, ColourLike] | None = None,
    *,
    width: float | None = None,
    height: float = 55 * mm,
    dashed: Iterable[str] = (),
    value_format: Callable[[float], str] | None = None,
) -> Flowable:
    """A line chart over ``categories`` (e.g. periods): one line per series, with a dot
    at each value and a gap where a value is ``None``; a legend when there are several
    series.  Series named in ``dashed`` (a target, a national figure) are drawn dashed
    and without dots.  ``value_format`` formats the value axis (default ``1,234``).
    ``colours`` as for :func:`bar_chart`; the chart shrinks to fit a narrower frame.
    """
    _ensure_fonts()
    cats = [str(c) for c in categories]
    names = list(series)
    values = [[None if v is None else float(v) for v in series[n]] for n in names]
    for name, vals in zip(names, values, strict=True):
        if len(vals) != len(cats):
            raise ValueError(f"Series {name!r} has {len(vals)} values for {len(cats)} categories.")
    known = [v for vals in values for v in vals if v is not None]
    if not cats or not known:
        return no_data("No figures to chart for this period.")
    fmt = value_format or (lambda v: f"{v:,.0f}")
    dashed_names = set(dashed)
    width = width or 170 * mm
    drawing = _Chart(width, height)
    palette = _colours_for(names, colours)
    label_size = 7
    legend_h = 14 if len(names) > 1 else 0
    low = min(0.0, min(known))
    high = max(known)
    ticks = max(2, int((height - legend_h - 24) / 24))  # about one grid line per 8 mm
    step = _nice_step((high - low) * 5 / ticks) if high - low >= ticks else 1
    top = max(step, step * math.ceil(high * 1.08 / step)) if high > 0 else step
    bottom = step * math.floor(low / step)
    axis_w = max(stringWidth(fmt(v), fonts.SANS, label_size) for v in (bottom, top)) + 6
    plot_x, plot_y = axis_w, legend_h + 18
    plot_w, plot_h = width - plot_x - 6, height - plot_y - 6
    span = top - bottom

    def y_of(v: float) -> float:
        return plot_y + (v - bottom) / span * plot_h

    tick = bottom
    while tick <= top + 1e-9:
        y = y_of(tick)
        drawing.add(Line(plot_x, y, plot_x + plot_w, y, strokeColor=RULE, strokeWidth=0.4))
        drawing.add(
            String(
                plot_x - 4,
                y - 2.5,
                fmt(tick),
                fontName=fonts.SANS,
                fontSize=label_size,
                fillColor=MUTED,
                textAnchor="end",
            )
        )
        tick += step
    slot = plot_w / len(cats)
    xs = [plot_x + slot * (i + 0.5) for i in range(len(cats))]
    widest = max(stringWidth(c, fonts.SANS, label_size) for c in cats) + 10
    every = max(1, math.ceil(widest / slot))
    for i, cat in enumerate(cats):
        if (len(cats) - 1 - i) % every == 0:  # the latest period is always labelled
            drawing.add(
                String(
                    xs[i],
                    plot_y - 10,
                    cat,
                    fontName=fonts.SANS,
                    fontSize=label_size,
                    fillColor=INK,
                    textAnchor="middle",
                )
            )
    drawing.add(
        Line(plot_x, plot_y, plot_x + plot_w, plot_y, strokeColor=RULE_STRONG, strokeWidth=0.6)
    )
    for name, vals, colour in zip(names, values, palette, strict=True):
        is_dashed = name in dashed_names
        run: list[float] = []
        for i, v in enumerate([*vals, None]):
            if v is not None:
                run += [xs[i], y_of(v)]
                continue
            if len(run) >= 4:
                drawing.add(
                    PolyLine(
                        run,
                        strokeColor=colour,
                        strokeWidth=1.0 if is_dashed else 1.6,
                        strokeDashArray=[3, 2] if is_dashed else None,
                    )
                )
            elif len(run) == 2 and is_dashed:
                drawing.add(
                    Line(
                        run[0] - slot * 0.3,
                        run[1],
                        run[0] + slot * 0.3,
                        run[1],
                        strokeColor=colour,
                        strokeWidth=1.0,
                        strokeDashArray=[3, 2],
                    )
                )
            run = []
        if not is_dashed:
            for x, v in zip(xs, vals, strict=True):
                if v is not None:
                    drawing.add(Circle(x, y_of(v), 1.9, fillColor=colour, strokeColor=None))
    if legend_h:
        drawing.add(
            _legend(plot_x, legend_h / 2, list(zip(palette, names, strict=True)), vertical=False)
        )
    drawing.hAlign = "LEFT"
    return drawing


# --------------------------------------------------------------------------- document
def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc) or type(exc).__name__
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text.rstrip(".")


def _fit_text(text: str, font: str, size: float, max_width: float) -> str:
    if stringWidth(text, font, size) <= max_width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > max_width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


class _Canvas(Canvas):
    """Canvas that fills in the "Page N of M" forms once M is known."""

    def __init__(self, *args: Any, dv_report: ReportDocument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._dv_report = dv_report

    def save(self) -> None:
        total = self.getPageNumber() - 1
        for page in range(1, total + 1):
            self.beginForm(_page_form(page))
            self._dv_report._draw_page_number(self, page, total)
            self.endForm()
        # Page streams are compressed but not also ASCII85-encoded (ReportLab's default):
        # the encoding only makes the file a quarter bigger for 7-bit transports, and in
        # pure Python it costs as much as compressing.  Read while the file is written.
        saved = rl_config.useA85
        rl_config.useA85 = 0
        try:
            super().save()
        finally:
            rl_config.useA85 = saved


def _page_form(page: int) -> str:
    return f"dvPageOf{page}"


class _KeepWithStart(KeepTogether):
    """``keepWithNext`` that needs only the *start* of what follows on the same page.

    ReportLab's own grouping moves a heading and the whole of a long table to a new page
    whenever the table does not fit in what is left of the current one.  Here the group
    stays put if the heading fits together with the first part the next flowable would
    split into (for a table: its header and at least one row).
    """

    def split(self, aW: float, aH: float) -> list[Flowable]:  # noqa: N803
        *lead, last = self._content
        canv = self.canv
        used = 0.0
        for flowable in lead:
            _, height = flowable.wrapOn(canv, aW, aH - used)
            used += height + flowable.getSpaceBefore() + flowable.getSpaceAfter()
        room = aH - used - last.getSpaceBefore()
        if lead and room > 0:
            _, height = last.wrapOn(canv, aW, room)
            if height <= room or last.splitOn(canv, aW, room):
                return list(self._content)
        return super().split(aW, aH)


class _DocTemplate(BaseDocTemplate):
    def __init__(self, target: IO[bytes], *, report: ReportDocument, **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self._report = report
        self._outline_level = -1
        self._outline_count = 0
        width, height = report.page_size
        frame = Frame(
            _MARGIN_X,
            _FRAME_BOTTOM,
            report.frame_width,
            report.frame_height,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id="body",
        )
        self.addPageTemplates(
            [
                PageTemplate(
                    id="page",
                    frames=[frame],
                    pagesize=(width, height),
                    onPage=report._draw_page_head,
                    onPageEnd=report._draw_page_foot,
                )
            ]
        )

    def handle_keepWithNext(self, flowables: list[Flowable]) -> None:  # noqa: N802
        """As ReportLab's, but grouping with :class:`_KeepWithStart`."""
        count = 0
        while (
            count < len(flowables)
            and flowables[count].getKeepWithNext()
            and _ktAllow(flowables[count])
        ):
            count += 1
        if count:
            if count < len(flowables) and _ktAllow(flowables[count]):
                count += 1
            group = _KeepWithStart(flowables[:count])
            for flowable in group._content[:-1]:
                flowable.__dict__["keepWithNext"] = 0
            del flowables[:count]
            flowables.insert(0, group)

    def afterFlowable(self, flowable: Flowable) -> None:  # noqa: N802 (ReportLab hook)
        if isinstance(flowable, _Heading):
            level = min(flowable.dv_level - 1, self._outline_level + 1)
            key = f"dv-h{self._outline_count}"
            self._outline_count += 1
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.dv_text, key, level=level, closed=level > 0)
            self._outline_level = level

    def afterPage(self) -> None:  # noqa: N802 (ReportLab hook)
        hook = _page_hook.get()
        if hook is not None:
            hook(self.page)


#: Called with each finished page's number by builds in this context (see on_each_page).
_page_hook: ContextVar[Callable[[int], None] | None] = ContextVar("dv_page_hook", default=None)


@contextlib.contextmanager
def on_each_page(callback: Callable[[int], None]) -> Iterator[None]:
    """Call ``callback(page_number)`` as each page of a report built inside the ``with``
    block (in this thread) is finished.  An exception raised by ``callback`` stops the
    build; the partial file is removed and an existing file of that name is untouched."""
    token = _page_hook.set(callback)
    try:
        yield
    finally:
        _page_hook.reset(token)


class ReportDocument:
    """One A4 report: page furniture, title block, metadata and atomic output.

    ``out_path``: the PDF to write.  ``title``: the report's name ("Action plan progress").
    ``subtitle``/``period``: shown under the title ("2024/25 Q2", "1 April 2024 – 31 March
    2025").  ``plan_version``: printed as "Plan version …" when given.  ``landscape``: A4
    landscape for wide tables.  ``options``: :class:`ReportOptions` (default: OFFICIAL).
    """

    def __init__(
        self,
        out_path: str | os.PathLike[str],
        *,
        title: str,
        subtitle: str = "",
        period: str = "",
        plan_version: str | None = None,
        landscape: bool = False,
        options: ReportOptions | None = None,
    ) -> None:
        if not title or not title.strip():
            raise ValueError("A report needs a title.")
        self.out_path = Path(out_path)
        self.title = " ".join(_clean(title).split())
        self.subtitle = subtitle.strip()
        self.period = period.strip()
        self.plan_version = str(plan_version).strip() if plan_version is not None else ""
        self.landscape = landscape
        self.options = options if options is not None else ReportOptions()
        self.page_size: tuple[float, float] = _landscape(A4) if landscape else A4
        self._generated: datetime = datetime.now()

    # ------------------------------------------------------------------ geometry
    @property
    def frame_width(self) -> float:
        """Width of the text frame in points (for callers working out column widths)."""
        return self.page_size[0] - 2 * _MARGIN_X

    @property
    def frame_height(self) -> float:
        """Height of the text frame in points."""
        return self.page_size[1] - _FRAME_TOP - _FRAME_BOTTOM

    @property
    def marking(self) -> Marking:
        return Marking.parse(self.options.marking)

    # ------------------------------------------------------------------ metadata
    def _author(self) -> str:
        parts = [self.options.officer, self.options.partnership]
        return ", ".join(p for p in parts if p) or "dvcoord"

    def _subject(self) -> str:
        return " \u2013 ".join(p for p in (self.subtitle, self.period) if p) or self.title

    def _keywords(self) -> str:
        words = [self.marking.label, "dvcoord", "domestic abuse", self.options.partnership]
        return ", ".join(w for w in words if w)

    def _generated_line(self) -> str:
        line = f"Generated {self._generated:%d/%m/%Y %H:%M}"
        return f"{line} by {self.options.officer}" if self.options.officer else line

    # ------------------------------------------------------------------ page furniture
    def _draw_band(self, canv: Canvas, y: float) -> None:
        label = self.marking.label
        if not label:
            return
        width = self.page_size[0]
        canv.setFillColor(BAND)
        canv.rect(_MARGIN_X, y, width - 2 * _MARGIN_X, _BAND_H, stroke=0, fill=1)
        canv.setFillColor(INK)
        canv.setFont(fonts.SANS_BOLD, 10)
        canv.drawCentredString(width / 2, y + (_BAND_H - 10 * 0.72) / 2, label)

    def _draw_page_head(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        width, height = self.page_size
        canv.saveState()
        self._draw_band(canv, height - _BAND_EDGE - _BAND_H)
        if doc.page > 1:
            y = height - _FRAME_TOP + 6 * mm
            canv.setFont(fonts.SANS, _FURNITURE_SIZE)
            canv.setFillColor(MUTED)
            right = self.period
            right_w = stringWidth(right, fonts.SANS, _FURNITURE_SIZE)
            left = " \u00b7 ".join(p for p in (self.options.partnership, self.title) if p)
            left = _fit_text(left, fonts.SANS, _FURNITURE_SIZE, self.frame_width - right_w - 12)
            canv.drawString(_MARGIN_X, y, left)
            if right:
                canv.drawRightString(width - _MARGIN_X, y, right)
            canv.setStrokeColor(RULE)
            canv.setLineWidth(0.5)
            canv.line(_MARGIN_X, y - 2.5 * mm, width - _MARGIN_X, y - 2.5 * mm)
        canv.restoreState()

    def _draw_page_foot(self, canv: Canvas, doc: BaseDocTemplate) -> None:
        width = self.page_size[0]
        canv.saveState()
        rule_y = _FRAME_BOTTOM - 3 * mm
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        canv.line(_MARGIN_X, rule_y, width - _MARGIN_X, rule_y)
        canv.setFont(fonts.SANS, _FURNITURE_SIZE)
        canv.setFillColor(MUTED)
        canv.drawString(_MARGIN_X, rule_y - 4 * mm, self._generated_line())
        canv.doForm(_page_form(doc.page))
        self._draw_band(canv, _BAND_EDGE)
        canv.restoreState()

    def _draw_page_number(self, canv: Canvas, page: int, total: int) -> None:
        canv.setFont(fonts.SANS, _FURNITURE_SIZE)
        canv.setFillColor(MUTED)
        canv.drawRightString(
            self.page_size[0] - _MARGIN_X, _FRAME_BOTTOM - 7 * mm, f"Page {page} of {total}"
        )

    def _title_block(self) -> list[Flowable]:
        st = _styles()
        block: list[Flowable] = []
        if self.options.partnership:
            block.append(Paragraph(_markup(self.options.partnership), st["title_org"]))
        block.append(Paragraph(_markup(self.title), st["title"]))
        if self.subtitle:
            block.append(Paragraph(_markup(self.subtitle), st["title_sub"]))
        meta = []
        if self.period:
            meta.append(f"Period: {self.period}")
        if self.plan_version:
            meta.append(f"Plan version {self.plan_version}")
        if meta:
            block.append(Paragraph(_markup("   \u00b7   ".join(meta)), st["title_meta"]))
        if self.options.redact:
            block.append(
                Paragraph(
                    _markup("Case references have been left out of this report."), st["title_meta"]
                )
            )
        block.append(
            HRFlowable(
                width="100%",
                thickness=1.2,
                color=ACCENT,
                spaceBefore=7,
                spaceAfter=10,
                hAlign="LEFT",
            )
        )
        return block

    # ------------------------------------------------------------------ output
    def _check_destination(self, target: Path) -> None:
        folder = target.parent
        if target.is_dir():
            raise ReportError(f"Cannot write to {target}: a folder with that name already exists.")
        if not folder.is_dir():
            raise ReportError(f"Cannot write to {folder}: the folder does not exist.")
        if target.exists():
            # Fails early on Windows when a PDF viewer holds the file open.
            try:
                with open(target, "r+b"):
                    pass
            except PermissionError as exc:
                raise ReportError(self._in_use_message(target)) from exc
            except OSError as exc:
                raise ReportError(f"Cannot write to {target}: {_reason(exc)}.") from exc

    @staticmethod
    def _in_use_message(target: Path) -> str:
        if target.exists() and not os.access(target, os.W_OK):
            return f"Cannot write to {target}: the file is read-only."
        return (
            f"Cannot write to {target}: the file may be open in a PDF viewer; "
            "close it and try again."
        )

    def _make_temp(self, target: Path) -> tuple[int, str]:
        folder = target.parent
        try:
            return tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".pdf.tmp", dir=folder)
        except OSError as exc:
            if isinstance(exc, PermissionError) or exc.errno in (
                errno.EROFS,
                errno.EACCES,
                errno.EPERM,
            ):
                raise ReportError(
                    f"Cannot write to {folder}: the folder is read-only or you do not have "
                    "permission to save there."
                ) from exc
            raise ReportError(f"Cannot write to {folder}: {_reason(exc)}.") from exc

    def _render(self, story: list[Flowable], fh: IO[bytes]) -> None:
        template = _DocTemplate(
            fh,
            report=self,
            pagesize=self.page_size,
            leftMargin=_MARGIN_X,
            rightMargin=_MARGIN_X,
            topMargin=_FRAME_TOP,
            bottomMargin=_FRAME_BOTTOM,
            title=self.title,
            author=self._author(),
            subject=self._subject(),
            creator=f"dvcoord {dvcoord.__version__}",
            keywords=self._keywords(),
            lang="en-GB",
            initialFontName=fonts.SANS,
        )

        def make_canvas(*args: Any, **kwargs: Any) -> _Canvas:
            return _Canvas(*args, dv_report=self, **kwargs)

        try:
            with fewer_collections():
                template.build(story, canvasmaker=make_canvas)
        except LayoutError as exc:
            log.warning("Report layout failed for %s: %s", self.out_path, exc)
            raise ReportError(
                f"Cannot lay out the report \u201c{self.title}\u201d: something in it is too "
                "large to fit on a page."
            ) from exc

    def build(self, flowables: Iterable[Flowable]) -> Path:
        """Lay out the title block and ``flowables``, then write the PDF atomically.

        Returns the absolute path written.  Raises :class:`ReportError` for problems the
        user can fix; anything else propagates.  Either way no partial file is left.
        """
        _ensure_fonts()
        self._generated = self.options.generated_at or datetime.now()
        target = Path(os.path.abspath(self.out_path.expanduser()))
        story = self._title_block() + list(flowables)
        self._check_destination(target)
        fd, tmp = self._make_temp(target)
        try:
            try:
                with os.fdopen(fd, "wb") as fh:
                    self._render(story, fh)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                raise ReportError(f"Cannot write to {target}: {_reason(exc)}.") from exc
            try:
                os.replace(tmp, target)
            except PermissionError as exc:
                raise ReportError(self._in_use_message(target)) from exc
            except OSError as exc:
                raise ReportError(f"Cannot write to {target}: {_reason(exc)}.") from exc
        except BaseException:
            _remove_quietly(tmp)
            raise
        return target
