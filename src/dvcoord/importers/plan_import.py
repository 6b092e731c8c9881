"""Bring an existing action plan in from Word (.docx), Excel (.xlsx) or CSV.

Two steps, so that nothing is written before the user has seen it:

1. :func:`parse_plan` reads the file into a :class:`ParsedPlan` (themes, aims, actions,
   milestones, change history, agency words not matched to known agencies, warnings with
   where they come from). Nothing touches a database.
2. :func:`write_plan` writes a ParsedPlan into a new plan, or merges it into an existing
   one, in ONE transaction after taking a backup, and returns an :class:`ImportSummary`.

How real plans are read (see ``tests/data/plans/`` for three real ones):

* Word: every table of the body, in order. The paragraphs between tables name the theme
  ("2. Support in the Community"); the paragraphs before the first table may hold the
  plan's title. A table with no header row whose columns fit the previous table's is
  read with that table's columns (Word often splits a table at a page break).
* Excel: each sheet is a theme, unless a column holds the theme; CSV: one table. A
  workbook's document properties give the plan's title when no cell does (File > Info >
  Title in Excel); one written by :mod:`.plan_export` also gives the partnership and
  the plan and strategy periods.
* Columns are recognised by their header words (:data:`PLAN_FIELDS`); the user may change
  the guess for each distinct header layout (:attr:`ParsedPlan.layouts`).
* "2.1 Development of ..." is split into reference and text; "Recommendation 4" in the
  header of the action column is the reference of the action below it.
* A row with no reference, no lead and no target that follows an action with a
  reference continues that action (its text is joined to it); repeated header rows are
  skipped; ``<p>``, ``<ul>``, ``<li>`` and similar markup is stripped.
* The status or progress text becomes a dated progress update (dated by a date written at
  its start, else the import date); a RAG word in it (Red, Amber, Green, Blue) becomes
  the RAG.
* Target dates are read by :mod:`dvcoord.services.dates`; a target cell naming several
  dated items becomes separate milestones; what cannot be read is kept as written and
  reported, never dropped.
* Lead agency cells are split into known agencies (by name, short name or an alias
  remembered from an earlier import) where the words match; the rest is reported for the
  user to map (existing agency, new agency, or keep as text). ``lead_text`` always keeps
  the words as written.

Only counts and file names are logged, never cell contents.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.importers.tabular import (
    HeaderMapping,
    Notice,
    Paragraph,
    Table,
    TabularFile,
    cell_text,
    match_headers,
    normalise_header,
    read_tables,
)
from dvcoord.services.dates import (
    DateKind,
    TargetDate,
    find_dated_items,
    format_date,
    parse_target_date,
    parse_uk_date,
)

log = logging.getLogger(__name__)

__all__ = [
    "ALIASES_META_KEY",
    "FIELD_LABELS",
    "PLAN_FIELDS",
    "AgencyChoice",
    "AgencyMatcher",
    "ColumnLayout",
    "ImportSummary",
    "KnownAgency",
    "Mention",
    "ParsedAction",
    "ParsedAim",
    "ParsedChange",
    "ParsedMilestone",
    "ParsedPlan",
    "ParsedTheme",
    "UnmatchedAgency",
    "clean_cell",
    "find_rag",
    "known_agencies",
    "parse_plan",
    "parse_tables",
    "split_reference",
    "write_plan",
]

#: Where the agency words a user mapped by hand are remembered (JSON: words -> agency id).
ALIASES_META_KEY = "plan_import_agency_aliases"

#: Plan fields and the header names they go by, best first.
PLAN_FIELDS: dict[str, list[str]] = {
    "ref": ["ref", "reference", "ref no", "no", "number", "action no", "action ref", "id"],
    "action": [
        "action",
        "actions",
        "activity",
        "activities",
        "recommendation",
        "task",
        "action required",
        "what we will do",
        "key action",
        "key actions",
    ],
    "lead": [
        "lead agency",
        "lead",
        "ownership",
        "lead agency and project leader",
        "lead agencies",
        "owner",
        "lead officer",
        "lead partner",
        "responsible agency",
        "responsibility",
        "accountable",
        "who",
    ],
    "support": [
        "supporting agencies",
        "supporting agency",
        "partners",
        "key partners",
        "supporting partners",
        "support agencies",
        "other agencies",
        "partner agencies",
    ],
    "target": [
        "target date",
        "target",
        "date",
        "deadline",
        "timescale",
        "timescales",
        "by when",
        "completion date",
        "due date",
        "target completion date",
    ],
    "milestones": ["milestones", "milestone", "key milestones"],
    "outcomes": [
        "outcomes",
        "outcome",
        "expected outcome",
        "expected outcomes",
        "intended outcome",
        "success criteria",
        "desired outcome",
    ],
    "progress": [
        "progress to date",
        "progress",
        "progress update",
        "update",
        "updates",
        "current position",
        "progress notes",
        "comments",
        "commentary",
    ],
    "status": ["status", "current status"],
    "rag": ["rag", "rag status", "rag rating", "rating"],
    "progress_date": [
        "progress date",
        "update date",
        "date of update",
        "last updated",
        "date updated",
        "updated on",
    ],
    "baseline": ["baseline data", "baseline"],
    "measure": [
        "performance measure",
        "performance measures",
        "measure",
        "measures",
        "performance indicator",
        "indicator",
        "kpi",
        "how will we measure",
    ],
    "outputs": ["outputs", "output"],
    "funding": [
        "funding source and cost",
        "funding source",
        "funding",
        "resources",
        "cost and funding",
        "resource implications",
    ],
    "cost": ["cost", "costs", "budget", "estimated cost", "cost £"],
    "aim": [
        "aim",
        "objective",
        "aims",
        "objectives",
        "strategic aim",
        "key objective",
        "strategic objective",
    ],
    "theme": ["theme", "strand", "section", "priority area", "workstream", "theme strand"],
}

#: How each field is named to the user (wizard combo boxes, CLI summary).
FIELD_LABELS: dict[str, str] = {
    "ref": "Reference",
    "action": "Action",
    "lead": "Lead agency",
    "support": "Supporting agencies",
    "target": "Target date",
    "milestones": "Milestones",
    "outcomes": "Outcomes",
    "progress": "Progress to date",
    "status": "Status",
    "rag": "RAG",
    "progress_date": "Progress date",
    "baseline": "Baseline data",
    "measure": "Performance measure",
    "outputs": "Outputs",
    "funding": "Funding source and cost",
    "cost": "Cost (£)",
    "aim": "Aim / objective",
    "theme": "Theme",
}

_CHANGE_FIELDS = {
    "version": ["version", "version no", "issue"],
    "date": ["date", "date of change"],
    "editor": ["editor", "author", "changed by", "by"],
    "summary": ["summary of change", "summary", "change", "description of change", "changes"],
}
_META_LABELS = {
    "title": ["document title", "title", "plan title", "name of plan"],
    "owner": ["owner", "owners", "owner(s)", "plan owner"],
    "status": ["current status", "status", "document status"],
    "editor": ["editor"],
    "file": ["file ref", "file reference"],
    "version": ["version", "current version"],
}

_ACTION_STATUS_WORDS = {
    "not started": "not started",
    "not yet started": "not started",
    "in progress": "in progress",
    "underway": "in progress",
    "under way": "in progress",
    "complete": "complete",
    "completed": "complete",
    "done": "complete",
    "ongoing": "ongoing",
    "on going": "ongoing",
    "on-going": "ongoing",
    "deferred": "deferred",
    "on hold": "deferred",
    "dropped": "dropped",
    "cancelled": "dropped",
    "withdrawn": "dropped",
}

MAX_REFERENCE = 60
MAX_DATE_TEXT = 500
MAX_TEXT = 10_000
MAX_PROGRESS = 20_000
MAX_TITLE = 500


# =========================================================================== model


@dataclass
class Mention:
    """One agency named in a lead or supporting-agency cell."""

    text: str
    role: str = "lead"
    #: The id of the known agency the words matched, or None.
    agency_id: str | None = None

    @property
    def key(self) -> str:
        return agency_key(self.text)


@dataclass
class ParsedMilestone:
    text: str
    due: TargetDate
    where: str = ""


@dataclass
class ParsedAction:
    reference: str = ""
    text: str = ""
    lead_text: str = ""
    support_text: str = ""
    target: TargetDate = field(default_factory=lambda: TargetDate("", DateKind.EMPTY))
    outcomes: str = ""
    baseline: str = ""
    performance_measure: str = ""
    outputs: str = ""
    funding_source: str = ""
    cost_pence: int | None = None
    #: The progress or status text, as written (markup stripped).
    progress: str = ""
    #: The date of that progress text: written at its start, given in a column, or None
    #: (then the import date is used).
    progress_date: date | None = None
    progress_date_from: str = ""
    rag: str = ""
    status: str = ""
    milestones: list[ParsedMilestone] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    #: Where it came from: "Table 3, row 4".
    where: str = ""
    #: Warnings about this action (also in ParsedPlan.warnings).
    flags: list[str] = field(default_factory=list)
    aim: ParsedAim | None = None

    @property
    def label(self) -> str:
        words = " ".join(self.text.split())
        short = words if len(words) <= 60 else words[:59].rstrip() + "…"
        return f"{self.reference} {short}".strip()

    @property
    def status_value(self) -> str:
        """The action status to store (one of the schema's ACTION_STATUSES)."""
        if self.status:
            return self.status
        if self.rag == "B":
            return "complete"
        if self.target.kind is DateKind.ONGOING and self.progress:
            return "ongoing"
        return "in progress" if self.progress else "not started"


@dataclass
class ParsedAim:
    reference: str = ""
    text: str = ""
    where: str = ""

    @property
    def label(self) -> str:
        return f"{self.reference} {self.text}".strip()


@dataclass
class ParsedTheme:
    title: str
    code: str = ""
    key_objective: str = ""
    aims: list[ParsedAim] = field(default_factory=list)
    actions: list[ParsedAction] = field(default_factory=list)
    where: str = ""

    @property
    def label(self) -> str:
        return f"{self.code}. {self.title}" if self.code else self.title


@dataclass
class ParsedChange:
    version: str = ""
    changed_on: date | None = None
    editor: str = ""
    summary: str = ""
    where: str = ""


@dataclass
class UnmatchedAgency:
    """Agency words that matched no known agency: the user maps them."""

    text: str
    count: int = 0
    #: References (or labels) of the actions naming it.
    actions: list[str] = field(default_factory=list)
    #: "new" (looks like an agency's name: a whole cell of a few words) or "text".
    suggestion: str = "text"

    @property
    def key(self) -> str:
        return agency_key(self.text)


@dataclass
class ColumnLayout:
    """One distinct header row and the fields its columns were read as."""

    key: str
    mapping: HeaderMapping
    tables: list[str] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return self.mapping.headers


@dataclass
class ParsedPlan:
    source: Path
    kind: str
    title: str = ""
    partnership: str = ""
    owner: str = ""
    status: str = ""
    version: str = ""
    #: Financial years (first year of each) from an exported workbook's properties.
    plan_from_fy: int | None = None
    plan_to_fy: int | None = None
    strategy_from_fy: int | None = None
    strategy_to_fy: int | None = None
    #: Where the title came from: "file" (a cell or paragraph), "properties" (the
    #: workbook's document properties) or "file name".
    title_source: str = ""
    themes: list[ParsedTheme] = field(default_factory=list)
    changes: list[ParsedChange] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    unmatched: dict[str, UnmatchedAgency] = field(default_factory=dict)
    layouts: list[ColumnLayout] = field(default_factory=list)
    #: RAG key lines found in the document ("Green = Completed /advanced progress").
    rag_key: list[dict[str, str]] = field(default_factory=list)
    skipped_header_rows: int = 0
    today: date = field(default_factory=date.today)

    @property
    def actions(self) -> list[ParsedAction]:
        return [a for t in self.themes for a in t.actions]

    @property
    def action_count(self) -> int:
        return sum(len(t.actions) for t in self.themes)

    @property
    def milestone_count(self) -> int:
        return sum(len(a.milestones) for a in self.actions)

    @property
    def aim_count(self) -> int:
        return sum(len(t.aims) for t in self.themes)

    @property
    def rags_used(self) -> set[str]:
        return {a.rag for a in self.actions if a.rag}

    def warn(self, message: str, where: str = "", action: ParsedAction | None = None) -> None:
        self.warnings.append(Notice(message, where))
        if action is not None:
            action.flags.append(message)


# =========================================================================== text helpers

_LI_RE = re.compile(r"<li\b[^>]*>\s*", re.IGNORECASE)
_BREAK_RE = re.compile(r"</(?:p|li|ul|ol|div|tr|h[1-6])\s*>|<br\s*/?>", re.IGNORECASE)
_SUP_RE = re.compile(r"\s*<(sup|sub)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(
    r"</?(?:p|ul|ol|li|br|div|span|b|i|u|em|strong|font|sup|sub|a|table|tbody|thead|tr|td|th"
    r"|h[1-6]|o:p|col|colgroup|blockquote|center|small|big|s|strike)\b[^>]{0,500}>",
    re.IGNORECASE,
)
_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});", re.IGNORECASE)
_MANY_BLANK_RE = re.compile(r"\n{3,}")


_NEEDS_CLEANING_RE = re.compile(r"[<&\r\n\xa0]")


def clean_cell(value: Any) -> str:
    """A cell's text with converter markup (``<p>``, ``<ul>``, ``<li>``, ...) stripped.

    List items become "• " lines; line breaks are kept; surrounding space is trimmed.
    """
    text = cell_text(value)
    if not text:
        return ""
    if not _NEEDS_CLEANING_RE.search(text):
        return text
    marked_up = False
    if "<" in text:
        before = text
        text = _LI_RE.sub("\n• ", text)
        text = _BREAK_RE.sub("\n", text)
        text = _SUP_RE.sub(lambda m: m.group(2), text)
        text = _TAG_RE.sub("", text)
        marked_up = text != before
    if "&" in text and _ENTITY_RE.search(text):
        text = html.unescape(text)
        if "<" in text:  # markup that was escaped twice: "&lt;sup>1</sup>"
            text = _SUP_RE.sub(lambda m: m.group(2), text)
            text = _TAG_RE.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(line.strip() if not line.strip() else line for line in lines)
    # Blank lines left where tags were ("</li> <li>") are not the writer's.
    text = re.sub(r"\n\s*\n", "\n", text) if marked_up else _MANY_BLANK_RE.sub("\n\n", text)
    text = text.strip()
    # "• " left on its own line by an empty <li>
    return "\n".join(ln for ln in text.split("\n") if ln.strip() != "•").strip()


_REF_RE = re.compile(
    r"""^\s*(?P<ref>
        (?i:recommendation|rec\.?|action|objective|aim|priority)\s+(?i:no\.?\s*)?\d{1,3}[a-z]?
      | [IVX]{1,4}\.\d{1,3}(?:\.\d{1,3})*[a-z]?
      | \d{1,3}(?:\.\d{1,3})+[a-z]?
      | [A-Z]{1,5}\d{1,3}(?:\.\d{1,3})*[a-z]?
      | \d{1,3}[a-z]?(?=[.):]\s)
      | [IVX]{1,4}(?=[.)]\s)
    )[.):]?(?:\s+|$)(?P<rest>.*)\Z""",
    re.VERBOSE | re.DOTALL,
)


def split_reference(text: str) -> tuple[str, str]:
    """``"2.1 Development of ..."`` -> ``("2.1", "Development of ...")``.

    Recognises 2.1, 6.2a, I.3, DV4, R6, "1." and "Recommendation 6"; anything else gives
    ``("", text)``.
    """
    text = text.strip()
    m = _REF_RE.match(text)
    if not m:
        return "", text
    ref = " ".join(m.group("ref").split())
    if len(ref) > MAX_REFERENCE:
        return "", text
    return ref, m.group("rest").strip()


_RAG_WORDS = {"red": "R", "amber": "A", "green": "G", "blue": "B"}
_RAG_WORD = r"(?P<w>red|amber|green|blue)"
_RAG_WHOLE_RE = re.compile(rf"^\W*{_RAG_WORD}\W*$", re.IGNORECASE)
_RAG_LABELLED_RE = re.compile(
    rf"\b(?:rag|rating|status)\s*(?:is|[:=\-–])\s*{_RAG_WORD}\b", re.IGNORECASE
)
_RAG_TRAILING_RE = re.compile(rf"(?:^|[\s.;:(\-–])\s*{_RAG_WORD}\s*\)?\s*\.?\s*$", re.IGNORECASE)
_RAG_LEADING_RE = re.compile(rf"^\s*{_RAG_WORD}\s*(?:[-–:/]|\n)", re.IGNORECASE)


def find_rag(text: str, *, column: str = "status") -> str:
    """The RAG letter written in a cell ("" if none).

    A RAG column accepts a letter (R/A/G/B) or a word; a status column a RAG word that is
    the whole cell, a line of its own, the last word, the first word before a dash, or
    "RAG: Amber"; a progress narrative only a whole-cell or own-line word.
    """
    t = text.strip()
    if not t:
        return ""
    if column == "rag":
        letter = t[:1].upper()
        if len(t) == 1 and letter in "RAGB":
            return letter
        m = re.match(rf"^\s*([RAGB])\b|^\W*{_RAG_WORD}", t, re.IGNORECASE)
        if m:
            return (m.group(1) or "").upper() or _RAG_WORDS[m.group("w").lower()]
        return ""
    m = _RAG_WHOLE_RE.match(t)
    if m:
        return _RAG_WORDS[m.group("w").lower()]
    for line in reversed(t.split("\n")):
        m = _RAG_WHOLE_RE.match(line)
        if m and line.strip():
            return _RAG_WORDS[m.group("w").lower()]
    m = _RAG_LABELLED_RE.search(t)
    if m:
        return _RAG_WORDS[m.group("w").lower()]
    if column == "status":
        for regex in (_RAG_TRAILING_RE, _RAG_LEADING_RE):
            m = regex.search(t)
            if m:
                return _RAG_WORDS[m.group("w").lower()]
    return ""


def _status_word(text: str) -> str:
    return _ACTION_STATUS_WORDS.get(" ".join(text.lower().strip(" .").split()), "")


_LEADING_DATE_RE = re.compile(
    r"^\s*(?:(?:update[sd]?|progress)\s*(?:on|at|as\s+at)?\s*[:\-–]?\s*)?\(?"
    r"(?P<d>\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?,?\s+\d{4}"
    r"|[A-Za-z]{3,9}\.?\s+\d{4})\)?\s*(?:[:\-–—]|\n)",
    re.IGNORECASE,
)


def _leading_date(text: str, today: date) -> date | None:
    """A date written at the start of a progress text ("12/03/2013: ...", "March 2013 -")."""
    m = _LEADING_DATE_RE.match(text)
    if not m:
        return None
    td = parse_target_date(m.group("d"))
    if td.kind is DateKind.DAY and td.start is not None:
        found = td.start
    elif td.kind is DateKind.MONTH and td.end is not None:
        found = min(td.end, today)
        if td.start is not None and td.start > today:
            return None
    else:
        return None
    return found if found <= today else None


_MONEY_RE = re.compile(
    r"£\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?!\d)\s*(k|m)?\b", re.IGNORECASE
)


def _money_pence(text: str) -> int | None:
    """The one amount of money in ``text`` as pence (None if none or several)."""
    found = _MONEY_RE.findall(text)
    if len(found) != 1:
        return None
    pounds, pence, scale = found[0]
    value = int(pounds.replace(",", "")) * 100 + int((pence or "0").ljust(2, "0"))
    if scale:
        value *= 1000 if scale.lower() == "k" else 1_000_000
    return value


def _cost_cell(value: Any) -> int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value * 100)
    text = cell_text(value)
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d{1,2})?", text.replace(",", "")):
        return round(float(text.replace(",", "")) * 100)
    return _money_pence(text if "£" in text else "£" + text)


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


# =========================================================================== agencies


def agency_key(text: str) -> str:
    """Words of an agency name compared loosely: case, "&"/"and", punctuation, "the"."""
    raw = text.lower().replace("&", " and ").replace("\u2019", "'").replace("'s", "s")
    words = re.findall(r"[a-z0-9]+", raw)
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class KnownAgency:
    id: str
    name: str
    short_name: str = ""


_SEGMENT_BREAK_RE = re.compile(r"[/,;\n|+]")
_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)?|&")
_SUPPORT_LEAD_IN = re.compile(
    r"^(?:working\s+with|in\s+partnership\s+with|supported\s+by|support\s+from|with|via"
    r"|through(?:\s+\S+){0,4}?\s+with)\b",
    re.IGNORECASE,
)
_PIECE_SPLIT_RE = re.compile(
    r"\s*(?:/|;|,|\n|\+|\|)\s*"
    r"|\s+(?=(?:working\s+with|in\s+partnership\s+with|supported\s+by|support\s+from)\b)"
    r"|(?<!working)(?<!partnership)\s+(?=with\b)"
    r"|\s+(?=(?:through|via)\b)",
    re.IGNORECASE,
)
_LEAD_IN_ONLY_RE = re.compile(
    r"^(?:working\s+with|in\s+partnership\s+with|supported\s+by|support\s+from|with|through"
    r"|via|and|&)$",
    re.IGNORECASE,
)
#: Pieces that say how, not who: "through bi-monthly meetings".
_MEANS_PIECE_RE = re.compile(r"^(?:through|via|by\s+means\s+of|using)\b", re.IGNORECASE)
_FILLER_PIECE_RE = re.compile(
    r"^(?:and|with|through|via|by|the|all|agencies|partners|others?|etc\.?|tbc|n/?a|-+|•)$",
    re.IGNORECASE,
)
_TRIM_WORDS_RE = re.compile(
    r"^(?:and|&|with|working\s+with|in\s+partnership\s+with|supported\s+by|support\s+from"
    r"|through|via|by)\s+|\s+(?:and|&|with)$",
    re.IGNORECASE,
)


class AgencyMatcher:
    """Finds known agencies in the words of a lead cell."""

    def __init__(
        self, agencies: Iterable[KnownAgency] = (), aliases: Mapping[str, str] | None = None
    ) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._ids = set()
        for agency in agencies:
            self._ids.add(agency.id)
            for name in (agency.name, agency.short_name):
                self._add(name, agency.id)
        for words, agency_id in (aliases or {}).items():
            if agency_id in self._ids:
                self._add(words, agency_id)
        for options in self._by_first.values():
            options.sort(key=lambda item: -len(item[0]))

    def _add(self, name: str, agency_id: str) -> None:
        tokens = tuple(agency_key(name).split())
        if tokens:
            self._by_first.setdefault(tokens[0], []).append((tokens, agency_id))

    @property
    def empty(self) -> bool:
        return not self._by_first

    def split(self, text: str, default_role: str = "lead") -> list[Mention]:
        """The agencies named in ``text``: known ones with their id, others as words."""
        text = text.strip()
        if not text:
            return []
        tokens = []  # (normalised word, start, end, segment)
        segment, last_end = 0, 0
        for m in _TOKEN_RE.finditer(text):
            # A name never runs across "/", ",", ";" or a new line.
            if _SEGMENT_BREAK_RE.search(text, last_end, m.start()):
                segment += 1
            last_end = m.end()
            word = m.group(0)
            if word == "&":
                tokens.append(("and", m.start(), m.end(), segment))
                continue
            key = agency_key(word)
            for part in key.split():
                tokens.append((part, m.start(), m.end(), segment))
        matches: list[tuple[int, int, str]] = []  # char start, char end, id
        i = 0
        while i < len(tokens):
            found = None
            for name_tokens, agency_id in self._by_first.get(tokens[i][0], ()):
                n = len(name_tokens)
                window = tokens[i : i + n]
                if tuple(t[0] for t in window) == name_tokens and window[0][3] == window[-1][3]:
                    found = (n, agency_id)
                    break
            if found:
                n, agency_id = found
                matches.append((tokens[i][1], tokens[i + n - 1][2], agency_id))
                i += n
            else:
                i += 1
        mentions: list[Mention] = []
        role = default_role
        cursor = 0
        for start, end, agency_id in matches + [(len(text), len(text), "")]:
            gap = text[cursor:start]
            for piece, piece_role in self._pieces(gap, role):
                mentions.append(Mention(piece, piece_role))
                role = piece_role
            if re.search(r"\b(?:with|supported\s+by|support\s+from)\s*$", gap, re.IGNORECASE):
                role = "support"
            if agency_id:
                mentions.append(Mention(text[start:end], role, agency_id))
            cursor = end
        # One agency named twice: keep the first mention.
        seen: set[str] = set()
        unique = []
        for mention in mentions:
            key = mention.agency_id or mention.key
            if key and key not in seen:
                seen.add(key)
                unique.append(mention)
        return unique

    @staticmethod
    def _pieces(gap: str, role: str) -> list[tuple[str, str]]:
        found = []
        for raw in _PIECE_SPLIT_RE.split(gap):
            if raw is None:
                continue
            piece = raw.strip(" \t-–—:.()•")
            if not piece:
                continue
            piece_role = role
            if _MEANS_PIECE_RE.match(piece) and not re.search(r"\bwith\b", piece, re.IGNORECASE):
                continue
            if _SUPPORT_LEAD_IN.match(piece):
                piece_role = "support"
                role = "support"
            if _LEAD_IN_ONLY_RE.match(piece):  # "working with" before a known agency
                continue
            previous = None
            while previous != piece:
                previous = piece
                piece = _TRIM_WORDS_RE.sub("", piece).strip(" \t-–—:.()•")
            if not piece or _FILLER_PIECE_RE.match(piece) or _letters(piece) < 2:
                continue
            found.append((piece, piece_role))
        return found


def known_agencies(db: Any) -> tuple[list[KnownAgency], dict[str, str]]:
    """Live agencies of a database and the aliases remembered from earlier imports."""
    from sqlalchemy import select

    from dvcoord.store.schema.core import Meta
    from dvcoord.store.schema.plans import Agency

    with db.session() as s:
        rows = s.execute(
            select(Agency.id, Agency.name, Agency.short_name).where(Agency.deleted_at.is_(None))
        ).all()
        # Read from the file, not the Database's settings cache: an import just now may
        # have added aliases.
        raw = s.get(Meta, ALIASES_META_KEY)
    try:
        aliases = json.loads(raw.value if raw is not None and raw.value else "{}")
        if not isinstance(aliases, dict):
            aliases = {}
    except ValueError:
        aliases = {}
    return [KnownAgency(r[0], r[1], r[2] or "") for r in rows], {
        str(k): str(v) for k, v in aliases.items()
    }


# =========================================================================== parsing


_PLAN_VOCAB = frozenset(
    w for names in PLAN_FIELDS.values() for n in names for w in normalise_header(n)
)
_CHANGE_VOCAB = frozenset(
    w for names in _CHANGE_FIELDS.values() for n in names for w in normalise_header(n)
)


def _vocab_cells(cells: Sequence[str], vocab: frozenset[str]) -> int:
    """How many cells are short and made only of header words (a cheap header test)."""
    n = 0
    for cell in cells:
        if cell and len(cell) <= 80:
            words = normalise_header(cell)
            if words and all(w in vocab for w in words):
                n += 1
    return n


def _header_guess(cells: Sequence[str]) -> HeaderMapping | None:
    """The header mapping of ``cells`` if they form a header row, else None."""
    filled = sum(1 for c in cells if c)
    if _vocab_cells(cells, _PLAN_VOCAB) < (1 if filled == 1 else 2):
        return None
    guess = match_headers(cells, PLAN_FIELDS)
    if _is_header(guess) and not _looks_like_data(guess, list(cells)):
        return guess
    return None


def _layout_key(headers: Sequence[Any]) -> str:
    return "|".join(" ".join(normalise_header(h)) for h in headers)


def _is_header(mapping: HeaderMapping) -> bool:
    strong = mapping.strength(0.75)
    if strong >= 2:
        return True
    # A one-column header such as "Action" on a narrow table.
    return (
        strong == 1
        and len([h for h in mapping.headers if h]) == 1
        and ("action" in mapping.columns)
    )


_THEME_NUMBER_RE = re.compile(
    r"^\s*(?P<code>\d{1,2}|[IVX]{1,4}|[A-Z])[.)]\s+(?P<title>\S.*)$", re.DOTALL
)
_HEADING_ROW_RE = re.compile(r"^\s*(?:\d{1,2}|[IVX]{1,4}|[A-Z])[.)]\s+[A-Z\u2018'\"(]")
_KEY_LINE_RE = re.compile(
    r"^\W*(?P<w>red|amber|green|blue)\W*\s*(?:=|:|-|–)\s*(?P<meaning>\S.*)$", re.IGNORECASE
)


def _theme_from_text(text: str) -> tuple[str, str]:
    """``"2. Support in the Community"`` -> ``("2", "Support in the Community")``."""
    text = " ".join(clean_cell(text).replace("**", "").split())
    m = _THEME_NUMBER_RE.match(text)
    if m:
        return m.group("code"), m.group("title").strip()
    return "", text


def _is_theme_paragraph(p: Paragraph) -> bool:
    text = " ".join(clean_cell(p.text).split())
    if _letters(text) < 3 or len(text) > 150:
        return False
    if _KEY_LINE_RE.match(text) or text.lower().rstrip(":") in ("key", "notes", "note"):
        return False
    if p.is_heading:
        return True
    if _THEME_NUMBER_RE.match(text):
        return True
    return len(text) <= 80 and not text.endswith((".", ";", ",")) and text[:1].isupper()


@dataclass
class _Context:
    plan: ParsedPlan
    today: date
    matcher: AgencyMatcher
    overrides: Mapping[str, HeaderMapping] | HeaderMapping | None
    theme: ParsedTheme | None = None
    theme_pending: tuple[str, str, str] | None = None  # (code, title, where)
    theme_from_outside: bool = False
    aim: ParsedAim | None = None
    action: ParsedAction | None = None
    mapping: HeaderMapping | None = None
    layout: ColumnLayout | None = None
    width: int = 0
    pending_ref: str = ""
    header_texts: dict[int, str] = field(default_factory=dict)
    refs: dict[str, int] = field(default_factory=dict)
    dated_progress: int = 0
    import_dated_progress: int = 0


def parse_plan(
    path: Path | str,
    mapping: Mapping[str, HeaderMapping] | HeaderMapping | None = None,
    *,
    db: Any = None,
    agencies: Iterable[KnownAgency] | None = None,
    aliases: Mapping[str, str] | None = None,
    today: date | None = None,
) -> ParsedPlan:
    """Read a plan from ``path`` without writing anything.

    ``mapping`` overrides the guessed columns: a ``{layout key: HeaderMapping}`` dict (keys
    from :attr:`ParsedPlan.layouts`) or one HeaderMapping for every table. Known agencies
    come from ``db`` (with remembered aliases) or from ``agencies``/``aliases``.
    Raises :class:`DvcoordError` if the file cannot be read or holds no actions.
    """
    found = read_tables(path)
    if db is not None and agencies is None:
        agencies, stored = known_agencies(db)
        aliases = {**stored, **(aliases or {})}
    return parse_tables(found, mapping, agencies=agencies or (), aliases=aliases, today=today)


def parse_tables(
    found: TabularFile,
    mapping: Mapping[str, HeaderMapping] | HeaderMapping | None = None,
    *,
    agencies: Iterable[KnownAgency] = (),
    aliases: Mapping[str, str] | None = None,
    today: date | None = None,
) -> ParsedPlan:
    """As :func:`parse_plan`, from tables already read by :func:`tabular.read_tables`."""
    today = today or date.today()
    plan = ParsedPlan(source=found.path, kind=found.kind, today=today)
    plan.warnings.extend(found.notices)
    ctx = _Context(
        plan=plan, today=today, matcher=AgencyMatcher(agencies, aliases), overrides=mapping
    )
    title_lines: list[str] = []
    for table in found.tables:
        ctx.pending_ref = ""
        before = [p for p in table.before if clean_cell(p.text)]
        if found.kind == "docx" and before:
            _paragraphs_before(ctx, before, title_lines, first=table.index == 1)
        if found.kind == "xlsx":
            ctx.mapping = None
            ctx.layout = None
            ctx.action = None
            ctx.aim = None
            sheet = table.sheet.strip()
            if re.fullmatch(r"(?i)sheet\s*\d*", sheet):
                ctx.theme_pending = None
                ctx.theme_from_outside = False
            else:
                code, title = _theme_from_text(sheet)
                ctx.theme_pending = (code, title, table.name)
                ctx.theme = None
                ctx.theme_from_outside = True
        _parse_table(ctx, table)
    after = [p for p in found.after if clean_cell(p.text)]
    _paragraphs_after(ctx, after)
    if not plan.title and title_lines:
        plan.title = _pick_title(title_lines)
    if plan.title:
        plan.title_source = "file"
    _from_properties(plan, found.properties)
    if not plan.title:
        plan.title = found.path.stem.replace("_", " ").strip() or "Imported plan"
        plan.title_source = "file name"
    plan.title = plan.title[:MAX_TITLE]
    _finish(ctx)
    if plan.action_count == 0:
        raise DvcoordError(
            f"No actions were found in '{found.path.name}': no table has a column headed "
            "Action, Activity or Recommendation (or one the import could recognise). Check "
            "that the plan is in a table with a header row."
        )
    log.info(
        "parsed plan %s: %d theme(s), %d action(s), %d milestone(s), %d warning(s)",
        found.path.name,
        len(plan.themes),
        plan.action_count,
        plan.milestone_count,
        len(plan.warnings),
    )
    return plan


def _from_properties(plan: ParsedPlan, properties: Mapping[str, str]) -> None:
    """Title, partnership and periods from a workbook's document properties, where the
    cells gave none: an exported plan's own properties first, then Excel's Title."""
    from dvcoord.importers import plan_export as px

    if not properties:
        return
    title = " ".join((properties.get(px.PROP_TITLE) or properties.get("title") or "").split())
    if not plan.title and title:
        plan.title = title
        plan.title_source = "properties"
    partnership = " ".join((properties.get(px.PROP_PARTNERSHIP) or "").split())
    if not plan.partnership and partnership:
        plan.partnership = partnership[:300]
    for key, first, last in (
        (px.PROP_PLAN_PERIOD, "plan_from_fy", "plan_to_fy"),
        (px.PROP_STRATEGY_PERIOD, "strategy_from_fy", "strategy_to_fy"),
    ):
        text = properties.get(key, "")
        if not text:
            continue
        years = px.parse_period(text)
        if years is None:
            plan.warn(f"the period '{_short(text)}' in the file's properties was not read")
            continue
        setattr(plan, first, years[0])
        setattr(plan, last, years[1])


def _pick_title(lines: list[str]) -> str:
    for line in lines:
        if re.search(r"\bplan\b", line, re.IGNORECASE):
            return line
    return lines[0]


def _paragraphs_before(
    ctx: _Context, before: list[Paragraph], title_lines: list[str], first: bool
) -> None:
    plan = ctx.plan
    themeish = [p for p in before if _is_theme_paragraph(p)]
    chosen = themeish[-1] if themeish else None
    for p in before:
        text = " ".join(clean_cell(p.text).replace("**", "").split())
        if p is chosen:
            continue
        if first and p in themeish:
            title_lines.append(text)
            if re.search(r"\bpartnership\b", text, re.IGNORECASE) and not plan.partnership:
                plan.partnership = text[:300]
            continue
        if _KEY_LINE_RE.match(text):
            _key_line(plan, text)
            continue
        if _letters(text) >= 3:
            plan.warn(f"text between tables was not imported: '{_short(text, 80)}'", "Paragraph")
    if chosen is not None:
        code, title = _theme_from_text(chosen.text)
        ctx.theme_pending = (code, title, "Heading")
        ctx.theme_from_outside = True
        ctx.theme = None
        ctx.aim = None
        ctx.action = None


def _paragraphs_after(ctx: _Context, after: list[Paragraph]) -> None:
    for p in after:
        text = " ".join(clean_cell(p.text).replace("**", "").split())
        if _KEY_LINE_RE.match(text):
            _key_line(ctx.plan, text)
        elif text.lower().rstrip(":") in ("key", "rag key", "rag status key"):
            continue
        elif _letters(text) >= 3:
            ctx.plan.warn(
                f"text after the last table was not imported: '{_short(text, 80)}'", "Paragraph"
            )


def _key_line(plan: ParsedPlan, text: str) -> None:
    m = _KEY_LINE_RE.match(text)
    if not m:
        return
    word = m.group("w").lower()
    letter = _RAG_WORDS[word]
    if any(e["letter"] == letter for e in plan.rag_key):
        return
    plan.rag_key.append(
        {"letter": letter, "name": word.capitalize(), "meaning": m.group("meaning").strip()[:500]}
    )


def _current_theme(ctx: _Context, where: str) -> ParsedTheme:
    if ctx.theme is not None:
        return ctx.theme
    if ctx.theme_pending is not None:
        code, title, source = ctx.theme_pending
        ctx.theme_pending = None
    else:
        code, title, source = "", _default_theme_title(ctx), where
    title = title[:MAX_TITLE] or "Actions"
    for existing in ctx.plan.themes:  # the same heading again (e.g. a sheet continued)
        if existing.title == title and existing.code == code:
            ctx.theme = existing
            return existing
    theme = ParsedTheme(title=title, code=code[:40], where=source)
    ctx.plan.themes.append(theme)
    ctx.theme = theme
    ctx.aim = None
    return theme


def _default_theme_title(ctx: _Context) -> str:
    if ctx.mapping is not None and "action" in ctx.mapping:
        header = " ".join(normalise_header(ctx.mapping.headers[ctx.mapping.get("action")]))
        if header.startswith("recommendation"):
            return "Recommendations"
    return "Actions"


def _override_for(ctx: _Context, key: str) -> HeaderMapping | None:
    if ctx.overrides is None:
        return None
    if isinstance(ctx.overrides, HeaderMapping):
        return ctx.overrides
    return ctx.overrides.get(key)


def _use_header(ctx: _Context, table: Table, r: int, row: list[Any]) -> None:
    headers = [clean_cell(v) for v in row]
    key = _layout_key(headers)
    guessed = match_headers(headers, PLAN_FIELDS)
    _fallback_action_column(guessed, table, r)
    override = _override_for(ctx, key)
    mapping = override.copy() if override is not None else guessed
    if override is not None:
        mapping.headers = guessed.headers
    layout = next((lay for lay in ctx.plan.layouts if lay.key == key), None)
    if layout is None:
        layout = ColumnLayout(key=key, mapping=mapping.copy())
        ctx.plan.layouts.append(layout)
        _warn_unmapped(ctx, table, r, mapping)
    if table.name not in layout.tables:
        layout.tables.append(table.name)
    ctx.mapping, ctx.layout = mapping, layout
    ctx.width = len(headers)
    ctx.header_texts = {i: h for i, h in enumerate(headers) if h}
    ctx.pending_ref = ""
    ctx.action = None
    col = mapping.get("action")
    if col is not None and col < len(headers):
        ref, rest = split_reference(headers[col])
        if ref and not rest:
            ctx.pending_ref = ref


def _fallback_action_column(mapping: HeaderMapping, table: Table, header_row: int) -> None:
    """No "Action" column: the leftmost column with no heading but with text is it."""
    if "action" in mapping or mapping.strength(0.75) < 2:
        return
    used = set(mapping.columns.values())
    for col in range(table.width):
        if col in used or (col < len(mapping.headers) and mapping.headers[col]):
            continue
        if any(
            table.text(r, col) for r in range(header_row + 1, min(len(table.rows), header_row + 30))
        ):
            while len(mapping.headers) <= col:
                mapping.headers.append("")
            mapping.columns["action"] = col
            mapping.scores["action"] = 0.5
            return


def _warn_unmapped(ctx: _Context, table: Table, r: int, mapping: HeaderMapping) -> None:
    end = r + 1
    while end < len(table.rows) and _header_guess([clean_cell(v) for v in table.rows[end]]) is None:
        end += 1
    for col, header in enumerate(mapping.headers):
        if mapping.field_of(col) is not None:
            continue
        filled = sum(1 for rr in range(r + 1, end) if table.text(rr, col))
        if header and _letters(header) >= 3 and len(header) <= 60:
            if filled:
                ctx.plan.warn(
                    f"the column '{header}' was not recognised; its {filled} cell(s) were not "
                    "imported (choose a field for it in the column mapping).",
                    table.where(r),
                )
        elif header:
            ctx.plan.warn(
                f"the heading of column {col + 1} holds text that is not a column name "
                f"('{_short(header, 50)}'); it was not imported.",
                table.where(r),
            )
        elif filled:
            ctx.plan.warn(
                f"column {col + 1} has no heading; its {filled} cell(s) were not imported "
                "(choose a field for it in the column mapping).",
                table.where(r),
            )
    if "action" in mapping.columns and mapping.scores.get("action", 1) < 0.75:
        col = mapping.get("action")
        ctx.plan.warn(
            f"column {col + 1} has no heading; it was read as the action.", table.where(r)
        )


def _headerless_table(ctx: _Context, table: Table) -> bool:
    """Read a table with no header row with the previous table's columns, if they fit."""
    if ctx.mapping is None or table.width > ctx.width:
        return False
    ctx.plan.warn(
        f"no header row; read with the columns of the table before "
        f"({', '.join(h for h in ctx.mapping.headers if h)}).",
        table.name,
    )
    if ctx.layout is not None and table.name not in ctx.layout.tables:
        ctx.layout.tables.append(table.name)
    return True


def _parse_table(ctx: _Context, table: Table) -> None:
    plan = ctx.plan
    mode = "none"  # "plan", "changes", "meta"
    change_map: HeaderMapping | None = None
    meta_rows = 0
    skipped: list[int] = []
    continued = False
    if ctx.mapping is not None and table.rows:
        first = _header_guess([clean_cell(v) for v in table.rows[0]])
        if first is None and _headerless_table(ctx, table):
            mode = "plan"
            continued = True
    if not continued and ctx.plan.kind != "xlsx":
        ctx.mapping = None
    for r, row in enumerate(table.rows):
        if table.is_blank_row(r):
            continue
        cleaned = [clean_cell(v) for v in row]
        if _header_guess(cleaned) is not None:
            if (
                ctx.mapping is not None
                and _layout_key(cleaned) == _layout_key(ctx.mapping.headers)
                and mode == "plan"
            ):
                plan.skipped_header_rows += 1
                ctx.action = None if ctx.pending_ref else ctx.action
                # Same headers again: a repeated header row (maybe with a new reference).
                col = ctx.mapping.get("action")
                if col is not None and col < len(cleaned):
                    ref, rest = split_reference(cleaned[col])
                    if ref and not rest:
                        ctx.pending_ref = ref
                        ctx.action = None
                continue
            _use_header(ctx, table, r, row)
            mode = "plan"
            continue
        if mode != "plan" and _vocab_cells(cleaned, _CHANGE_VOCAB) >= 3:
            changes = match_headers(cleaned, _CHANGE_FIELDS)
            if changes.strength(0.75) >= 3:
                change_map = changes
                mode = "changes"
                continue
        if mode == "changes" and change_map is not None:
            _change_row(plan, change_map, cleaned, table.where(r))
            continue
        if mode != "plan" and _meta_row(plan, cleaned):
            meta_rows += 1
            continue
        if mode == "plan" and ctx.mapping is not None:
            _data_row(ctx, table, r, row, cleaned)
            continue
        if (
            len([c for c in cleaned if c]) == 1
            and _letters(" ".join(cleaned))
            and len(" ".join(cleaned)) <= 40
            and mode in ("meta", "none")
        ):
            # "Change History": a caption inside a version-control table.
            continue
        skipped.append(table.row_numbers[r])
    if skipped:
        rows = ", ".join(str(n) for n in skipped[:10]) + (" …" if len(skipped) > 10 else "")
        plan.warn(
            f"{len(skipped)} row(s) before any recognisable header row were not imported "
            f"(rows {rows}).",
            table.name,
        )
    # A version-control table: the heading before it named it, not a theme.
    if (mode in ("changes", "none") or (mode != "plan" and meta_rows)) and (
        ctx.theme_pending is not None and ctx.theme is None
    ):
        ctx.theme_pending = None
        ctx.theme_from_outside = False


def _looks_like_data(guess: HeaderMapping, cells: list[str]) -> bool:
    """A data row whose words happen to match headers has long cells; headers are short."""
    return sum(1 for c in cells if len(c) > 60) > len(cells) // 2


def _meta_row(plan: ParsedPlan, cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    if len(filled) < 2:
        return False
    label = " ".join(normalise_header(filled[0].rstrip(":")))
    value = " ".join(filled[1:]).strip()
    for name, options in _META_LABELS.items():
        if label in {" ".join(normalise_header(o)) for o in options}:
            if name == "title" and not plan.title:
                plan.title = value
            elif name == "owner" and not plan.owner:
                plan.owner = value[:200]
            elif name == "status" and not plan.status:
                plan.status = value.lower()
            elif name == "version" and not plan.version:
                plan.version = value[:40]
            return True
    return False


def _change_row(plan: ParsedPlan, mapping: HeaderMapping, cells: list[str], where: str) -> None:
    summary = mapping.text(cells, "summary")
    version = mapping.text(cells, "version")
    if not summary and not version:
        return
    raw_date = mapping.text(cells, "date")
    changed_on = None
    if raw_date:
        try:
            changed_on = parse_uk_date(raw_date)
        except ValueError:
            td = parse_target_date(raw_date)
            changed_on = td.start if td.kind is DateKind.DAY else None
            if changed_on is None:
                plan.warn(
                    f"could not read the date '{raw_date}' of a change-history row; "
                    "it is imported without a date.",
                    where,
                )
    plan.changes.append(
        ParsedChange(
            version=version[:40],
            changed_on=changed_on,
            editor=mapping.text(cells, "editor")[:200],
            summary=summary or f"Version {version}",
            where=where,
        )
    )
    if version:
        plan.version = version[:40]


def _strip_header_echo(text: str, header: str) -> str:
    """Drop the column's heading repeated at the start of a cell by a converter.

    "Progress to date  KCC HR ..." under "Progress to date" gives "KCC HR ...". Only a
    heading of several words, or one word set apart (two spaces, a colon, a new line),
    counts, so that "Status update given in March" keeps its first word.
    """
    if header and text.lower().startswith(header.lower()) and len(text) > len(header):
        rest = text[len(header) :]
        several = len(header.split()) > 1
        if (
            (several and rest[:1] in (" ", "\n", ":", "\t"))
            or rest[:2] in ("  ", ": ", " \n")
            or rest[:1] in ("\n", ":")
        ):
            return rest.lstrip(" :\n\t")
    return text


def _data_row(ctx: _Context, table: Table, r: int, row: list[Any], cleaned: list[str]) -> None:
    plan = ctx.plan
    mapping = ctx.mapping
    assert mapping is not None
    where = table.where(r)

    def raw(name: str) -> Any:
        col = mapping.get(name)
        if col is None:
            return None
        if (r, col) in table.merged and name not in ("action", "ref"):
            src_r, src_c = table.merged[(r, col)]
            if (r, mapping.get("action")) not in table.merged:
                return table.rows[src_r][src_c] if src_c < len(table.rows[src_r]) else None
            return None
        return row[col] if col < len(row) else None

    def text(name: str) -> str:
        col = mapping.get(name)
        if col is None:
            return ""
        if (r, col) in table.merged:
            value = clean_cell(raw(name))
        else:
            value = cleaned[col] if col < len(cleaned) else ""
        if value and col is not None and name in ("progress", "status"):
            value = _strip_header_echo(value, ctx.header_texts.get(col, ""))
        return value

    action_text = text("action")
    ref = text("ref")
    if not ref and action_text:
        ref, action_text = split_reference(action_text)
    elif ref:
        ref = ref.strip().rstrip(".")
        inner_ref, rest = split_reference(action_text)
        if inner_ref and inner_ref.lower() == ref.lower():
            action_text = rest
    lead = text("lead")
    support = text("support")
    target_text = text("target")
    milestone_text = text("milestones")

    # A theme column, or a heading row inside the table.
    theme_value = text("theme")
    if theme_value:
        code, title = _theme_from_text(theme_value)
        if ctx.theme is None or (ctx.theme.title, ctx.theme.code) != (title[:MAX_TITLE], code):
            ctx.theme = None
            ctx.theme_pending = (code, title, where)
            ctx.action = None
            ctx.aim = None
    filled = [c for c in cleaned if c]
    if len(filled) == 1 and _is_heading_row(table, r, filled[0], mapping):
        code, title = _theme_from_text(filled[0])
        if ctx.theme_from_outside or "theme" in mapping:
            aim_ref, aim_text = split_reference(filled[0])
            theme = _current_theme(ctx, where)
            ctx.aim = ParsedAim(reference=aim_ref, text=aim_text or filled[0], where=where)
            theme.aims.append(ctx.aim)
        else:
            ctx.theme = None
            ctx.theme_pending = (code, title, where)
            ctx.aim = None
        ctx.action = None
        return

    aim_value = text("aim")
    if aim_value:
        aim_ref, aim_rest = split_reference(aim_value)
        theme = _current_theme(ctx, where)
        if ctx.aim is None or ctx.aim.text != aim_rest or ctx.aim.reference != aim_ref:
            existing = next(
                (a for a in theme.aims if (a.reference, a.text) == (aim_ref, aim_rest)), None
            )
            if existing is None:
                existing = ParsedAim(reference=aim_ref, text=aim_rest, where=where)
                theme.aims.append(existing)
            ctx.aim = existing

    previous = ctx.action
    is_continuation = (
        previous is not None
        and not ref
        and not lead
        and not target_text
        and (not action_text or bool(previous.reference))
        and not (ctx.pending_ref and not previous)
    )
    if (r, mapping.get("action")) in table.merged and previous is not None and not ref:
        is_continuation = True
    if is_continuation and previous is not None:
        _continue_action(ctx, previous, action_text, text, raw, where)
        return
    if not action_text and not ref:
        # Text in other columns only, with no action before it.
        others = [t for t in filled if t]
        if others:
            plan.warn("a row with no action text and no action before it was not imported.", where)
        return
    if not ref and ctx.pending_ref:
        ref = ctx.pending_ref
        inner, rest = split_reference(action_text)
        if inner and inner.lower() == ref.lower():
            action_text = rest
    ctx.pending_ref = ""
    action = ParsedAction(reference=ref, text=action_text, where=where, aim=ctx.aim)
    theme = _current_theme(ctx, where)
    theme.actions.append(action)
    ctx.action = action
    action.lead_text = lead
    action.support_text = support
    if lead:
        action.mentions.extend(ctx.matcher.split(lead, "lead"))
    if support:
        for mention in ctx.matcher.split(support, "support"):
            mention.role = "support"
            action.mentions.append(mention)
    action.outcomes = text("outcomes")
    action.baseline = text("baseline")
    action.performance_measure = text("measure")
    action.outputs = text("outputs")
    action.funding_source = text("funding")
    cost_raw = raw("cost")
    if cell_text(cost_raw):
        action.cost_pence = _cost_cell(cost_raw)
        if action.cost_pence is None:
            plan.warn(
                f"{action.label}: could not read the cost '{cell_text(cost_raw)}'; "
                "it is added to the funding text.",
                where,
                action,
            )
            action.funding_source = "\n".join(
                x for x in (action.funding_source, f"Cost: {cell_text(cost_raw)}") if x
            )
    elif action.funding_source and "£" in action.funding_source:
        action.cost_pence = _money_pence(action.funding_source)
    _set_target(ctx, action, raw("target"), target_text, milestone_text, where)
    _add_progress(ctx, action, text, raw, where)


def _is_heading_row(table: Table, r: int, text: str, mapping: HeaderMapping) -> bool:
    """A row holding one short heading ("2. Support in the Community") across the table."""
    if len(text) > 120 or "\n" in text:
        return False
    width = max(table.width, 1)
    merged_across = sum(1 for c in range(width) if (r, c) in table.merged) >= max(1, width // 2)
    if merged_across:
        return _letters(text) >= 3
    if text.rstrip().endswith((":", ";", ",", ".")):
        return False
    return (
        bool(_HEADING_ROW_RE.match(text))
        and len(text) <= 80
        and not re.match(r"^\s*\d{1,3}\.\d", text)
    )


def _continue_action(
    ctx: _Context,
    action: ParsedAction,
    action_text: str,
    text: Callable[[str], str],
    raw: Callable[[str], Any],
    where: str,
) -> None:
    def join(old: str, new: str) -> str:
        if not new:
            return old
        return f"{old}\n{new}" if old else new

    action.text = join(action.text, action_text)
    for name, attr in (
        ("outcomes", "outcomes"),
        ("baseline", "baseline"),
        ("measure", "performance_measure"),
        ("outputs", "outputs"),
        ("funding", "funding_source"),
    ):
        setattr(action, attr, join(getattr(action, attr), text(name)))
    support = text("support")
    if support:
        action.support_text = join(action.support_text, support)
        for mention in ctx.matcher.split(support, "support"):
            mention.role = "support"
            action.mentions.append(mention)
    milestone_text = text("milestones")
    if milestone_text:
        action.milestones.extend(_milestones_from_lines(ctx, action, milestone_text, where))
    _add_progress(ctx, action, text, raw, where, continuing=True)


def _set_target(
    ctx: _Context,
    action: ParsedAction,
    raw_target: Any,
    target_text: str,
    milestone_text: str,
    where: str,
) -> None:
    plan = ctx.plan
    source = target_text
    if not target_text and milestone_text and (ctx.mapping is None or "target" not in ctx.mapping):
        source = milestone_text
    if len(source) > MAX_DATE_TEXT:
        plan.warn(
            f"{action.label}: the target date text is longer than {MAX_DATE_TEXT} "
            "characters; the rest is added to the outcomes.",
            where,
            action,
        )
        action.outcomes = "\n".join(
            x for x in (action.outcomes, f"Target (continued): {source}") if x
        )
        source = source[:MAX_DATE_TEXT]
    if isinstance(raw_target, date) and source == cell_text(raw_target):
        action.target = parse_target_date(raw_target)
    else:
        action.target = parse_target_date(source, today=ctx.today)
    if action.target.kind is DateKind.UNREADABLE:
        plan.warn(
            f"{action.label}: could not read the target date '{_short(source, 60)}' "
            f"({action.target.note.rstrip('.')}); it is kept as written.",
            where,
            action,
        )
    if milestone_text:
        action.milestones.extend(_milestones_from_lines(ctx, action, milestone_text, where))
    elif source:
        # "Tender process established – Jul 2008 Contract awarded – Sept 2008": one
        # milestone per dated item.
        items = find_dated_items(source)
        dated = [i for i in items if i[1].kind is not DateKind.EMPTY]
        if len(dated) >= 2:
            action.milestones.extend(_milestones(ctx, action, items, where))


def _milestones_from_lines(
    ctx: _Context, action: ParsedAction, text: str, where: str
) -> list[ParsedMilestone]:
    found: list[ParsedMilestone] = []
    for line in text.split("\n"):
        line = line.strip().lstrip("•*-–· \t").strip()
        if not line:
            continue
        found.extend(_milestones(ctx, action, find_dated_items(line), where))
    return found


def _milestones(
    ctx: _Context, action: ParsedAction, items: list[tuple[str, TargetDate]], where: str
) -> list[ParsedMilestone]:
    found = []
    for label, due in items:
        if not label and due.kind is DateKind.EMPTY:
            continue
        text = label or due.text.strip()
        if due.kind is DateKind.UNREADABLE:
            ctx.plan.warn(
                f"{action.label}: could not read the due date '{_short(due.text, 40)}' of the "
                f"milestone '{_short(text, 40)}'; it is kept as written.",
                where,
                action,
            )
        found.append(ParsedMilestone(text=text[:MAX_TEXT], due=due, where=where))
    return found


def _add_progress(
    ctx: _Context,
    action: ParsedAction,
    text: Callable[[str], str],
    raw: Callable[[str], Any],
    where: str,
    continuing: bool = False,
) -> None:
    parts = []
    progress = text("progress")
    status = text("status")
    rag_cell = text("rag")
    rag = find_rag(rag_cell, column="rag") if rag_cell else ""
    if rag_cell and not rag:
        word = _status_word(rag_cell)
        if word:
            action.status = action.status or word
        else:
            parts.append(rag_cell)
    if progress:
        rag = rag or find_rag(progress, column="progress")
        parts.append(progress)
    if status:
        word = _status_word(status)
        found = find_rag(status, column="status")
        if word and not found:
            action.status = word
        elif found and _RAG_WHOLE_RE.match(status):
            rag = rag or found
        else:
            rag = rag or found
            parts.append(status)
    if rag:
        action.rag = rag  # the latest row's RAG wins
    if parts:
        joined = "\n".join(parts)
        action.progress = f"{action.progress}\n{joined}" if action.progress else joined
    if not continuing:
        date_raw = raw("progress_date")
        given = None
        if isinstance(date_raw, date):
            given = date_raw if not hasattr(date_raw, "date") else date_raw.date()
        elif cell_text(date_raw):
            try:
                given = parse_uk_date(cell_text(date_raw))
            except ValueError:
                ctx.plan.warn(
                    f"{action.label}: could not read the progress date "
                    f"'{cell_text(date_raw)}'; the import date is used.",
                    where,
                    action,
                )
        if given is not None:
            action.progress_date, action.progress_date_from = given, "column"


def _finish(ctx: _Context) -> None:
    plan = ctx.plan
    seen: dict[str, ParsedAction] = {}
    for theme in plan.themes:
        for action in theme.actions:
            if len(action.progress) > MAX_PROGRESS:
                plan.warn(
                    f"{action.label}: the progress text is longer than {MAX_PROGRESS:,} "
                    "characters and was cut short.",
                    action.where,
                    action,
                )
                action.progress = action.progress[: MAX_PROGRESS - 1] + "…"
            for attr in (
                "text",
                "outcomes",
                "baseline",
                "performance_measure",
                "outputs",
                "funding_source",
                "lead_text",
            ):
                value = getattr(action, attr)
                if len(value) > MAX_TEXT:
                    plan.warn(
                        f"{action.label}: the {attr.replace('_', ' ')} is longer than "
                        f"{MAX_TEXT:,} characters and was cut short.",
                        action.where,
                        action,
                    )
                    setattr(action, attr, value[: MAX_TEXT - 1] + "…")
            if len(action.reference) > MAX_REFERENCE:
                plan.warn(
                    f"the reference '{_short(action.reference, 30)}' is longer than "
                    f"{MAX_REFERENCE} characters; it is kept at the start of the text.",
                    action.where,
                    action,
                )
                action.text = f"{action.reference} {action.text}".strip()[:MAX_TEXT]
                action.reference = ""
            if action.cost_pence is not None and action.cost_pence < 0:
                plan.warn(
                    f"{action.label}: a negative cost was left out (the funding text is kept).",
                    action.where,
                    action,
                )
                action.cost_pence = None
            if not action.text.strip():
                action.text = f"(no action text in {plan.source.name})"
                plan.warn(
                    f"action {action.reference or '?'} has no text in the file.",
                    action.where,
                    action,
                )
            if action.progress and action.progress_date is None:
                found = _leading_date(action.progress, plan.today)
                if found is not None:
                    action.progress_date, action.progress_date_from = found, "text"
            if action.progress:
                if action.progress_date is None:
                    ctx.import_dated_progress += 1
                else:
                    ctx.dated_progress += 1
            key = action.reference.lower()
            if key:
                if key in seen:
                    n = 2
                    while f"{key} ({n})" in seen:
                        n += 1
                    new_ref = f"{action.reference} ({n})"[:MAX_REFERENCE]
                    plan.warn(
                        f"the reference {action.reference} is used twice; the second "
                        f"is imported as {new_ref}.",
                        action.where,
                        action,
                    )
                    action.reference = new_ref
                    key = new_ref.lower()
                seen[key] = action
            for mention in action.mentions:
                if mention.agency_id:
                    continue
                # A cell that is only this name suggests it is an agency's name.
                whole = mention.key in (
                    agency_key(action.lead_text),
                    agency_key(action.support_text),
                )
                plain_name = whole and len(mention.text.split()) <= 6 and len(mention.text) <= 80
                entry = plan.unmatched.get(mention.key)
                if entry is None:
                    entry = UnmatchedAgency(text=mention.text)
                    plan.unmatched[mention.key] = entry
                if plain_name:
                    entry.suggestion = "new"
                entry.count += 1
                label = action.reference or _short(action.text, 30)
                if label not in entry.actions:
                    entry.actions.append(label)
    if ctx.import_dated_progress:
        plan.warn(
            f"the progress text of {ctx.import_dated_progress} action(s) is imported as a "
            f"progress update dated {format_date(plan.today)} (the import date), as it gives "
            "no date of its own."
            + (
                f" {ctx.dated_progress} other(s) took the date written with them."
                if ctx.dated_progress
                else ""
            )
        )
    if plan.skipped_header_rows:
        plan.warnings.append(
            Notice(f"{plan.skipped_header_rows} repeated header row(s) were skipped.")
        )
    if plan.status and plan.status not in ("draft", "approved", "archived"):
        plan.status = "draft" if "draft" in plan.status else ""


# =========================================================================== writing


@dataclass
class AgencyChoice:
    """What to do with agency words that matched no known agency."""

    #: "existing" (link ``agency_id``), "new" (create ``name``) or "text" (keep as text).
    action: str = "text"
    agency_id: str | None = None
    name: str = ""
    sector: str = "other"
    #: Remember the words as an alias of the agency for later imports.
    remember: bool = True


@dataclass
class ImportSummary:
    plan_id: str
    plan_title: str
    created_plan: bool
    themes_created: int = 0
    aims_created: int = 0
    actions_created: int = 0
    actions_updated: int = 0
    actions_unchanged: int = 0
    milestones_created: int = 0
    updates_created: int = 0
    changes_created: int = 0
    agencies_created: list[str] = field(default_factory=list)
    agency_links: int = 0
    kept_as_text: list[str] = field(default_factory=list)
    backup: Path | None = None
    warnings: list[Notice] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "Created" if self.created_plan else "Merged into"
        out = [
            f"{verb} plan '{self.plan_title}'.",
            f"Themes created: {self.themes_created}",
            f"Aims created: {self.aims_created}",
            f"Actions created: {self.actions_created}",
        ]
        if not self.created_plan:
            out.append(
                f"Actions updated: {self.actions_updated} (unchanged: {self.actions_unchanged})"
            )
        out += [
            f"Milestones created: {self.milestones_created}",
            f"Progress updates created: {self.updates_created}",
            f"Agencies created: {len(self.agencies_created)}"
            + (f" ({', '.join(self.agencies_created)})" if self.agencies_created else ""),
            f"Agency links: {self.agency_links}",
        ]
        if self.kept_as_text:
            out.append(f"Agency words kept as text only: {len(self.kept_as_text)}")
        if self.backup:
            out.append(f"Backup taken first: {self.backup}")
        return out


def default_agency_map(parsed: ParsedPlan, policy: str = "suggested") -> dict[str, AgencyChoice]:
    """A choice for every unmatched agency: "suggested", "new" or "text" for all."""
    result = {}
    for key, entry in parsed.unmatched.items():
        action = entry.suggestion if policy == "suggested" else policy
        result[key] = AgencyChoice(action=action, name=entry.text[:300])
    return result


BLANK_TITLE = (
    "The plan title is blank; give the new plan a title, or leave the title out to use "
    "the one found in the file."
)


def write_plan(
    db: Any,
    parsed: ParsedPlan,
    plan_title: str | None = None,
    into_plan_id: str | None = None,
    agency_map: Mapping[str, AgencyChoice] | None = None,
    *,
    progress: Callable[[int, int], bool | None] | None = None,
) -> ImportSummary:
    """Write ``parsed`` to ``db`` in one transaction, after a backup.

    A new plan is created (titled ``plan_title`` or the title found in the file), or, with
    ``into_plan_id``, the file is merged into that plan: themes are matched by title,
    actions by reference (else by text); matched actions get the file's non-empty values
    and a progress update when the file's progress differs from the latest one; new
    milestones are added. ``agency_map`` says what to do with each unmatched agency's
    words (default: keep as text). ``progress(done, total)`` may return False to cancel
    (nothing is written then). Raises DvcoordError (nothing written) on any problem.
    """
    from dvcoord.store import backups

    if parsed.action_count == 0:
        raise DvcoordError("There is nothing to import: no actions were read.")
    if plan_title is not None and not plan_title.strip():
        raise DvcoordError(BLANK_TITLE)
    agency_map = dict(agency_map or {})
    backup = backups.take_backup(Path(db.path), "before-import")
    log.info(
        "importing %s into %s (backup %s)", parsed.source.name, Path(db.path).name, backup.name
    )
    current = ""
    try:
        with db.transaction() as s:
            summary = _write(s, parsed, plan_title, into_plan_id, agency_map, progress, db)
            summary.backup = backup
    except _Cancelled:
        raise DvcoordError("The import was cancelled; nothing was written.") from None
    except ValidationError as exc:
        current = getattr(exc, "where", "") or ""
        raise DvcoordError(
            f"Nothing was imported from '{parsed.source.name}'"
            + (f" ({current})" if current else "")
            + f": {exc.message}"
        ) from None
    summary.warnings = list(parsed.warnings) + summary.warnings
    log.info(
        "imported %s: %d action(s) created, %d updated",
        parsed.source.name,
        summary.actions_created,
        summary.actions_updated,
    )
    return summary


class _Cancelled(Exception):
    pass


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _write(
    s: Any,
    parsed: ParsedPlan,
    plan_title: str | None,
    into_plan_id: str | None,
    agency_map: dict[str, AgencyChoice],
    progress: Callable[[int, int], bool | None] | None,
    db: Any,
) -> ImportSummary:
    from sqlalchemy import select

    from dvcoord.services import agencies as agency_service
    from dvcoord.services import milestones as milestone_service
    from dvcoord.services import plans as plan_service
    from dvcoord.store.schema.core import Meta
    from dvcoord.store.schema.plans import Action, Aim, Milestone, Theme

    total = parsed.action_count

    created_plan = into_plan_id is None
    if created_plan:
        title = (plan_title or parsed.title or "Imported plan").strip()[:MAX_TITLE]
        plan = plan_service.create_plan(
            s,
            title=title,
            partnership=(parsed.partnership or getattr(db, "partnership", "") or "")[:300],
            owner=parsed.owner[:200],
            status=parsed.status if parsed.status in ("draft", "approved", "archived") else "draft",
            version_label=(parsed.version or "1.0")[:40],
            plan_from_fy=parsed.plan_from_fy,
            plan_to_fy=parsed.plan_to_fy,
            strategy_from_fy=parsed.strategy_from_fy,
            strategy_to_fy=parsed.strategy_to_fy,
            marking=getattr(db, "default_marking", "OFFICIAL") or "OFFICIAL",
            description=f"Imported from {parsed.source.name} on {format_date(parsed.today)}.",
        )
    else:
        plan = plan_service.get_plan(s, into_plan_id)
        if plan_title and plan_title.strip() and plan_title.strip() != plan.title:
            plan_service.update_plan(s, plan.id, title=plan_title.strip()[:MAX_TITLE])
    summary = ImportSummary(plan_id=plan.id, plan_title=plan.title, created_plan=created_plan)
    if created_plan:
        from dvcoord.services.plan_lookup import same_title_notice

        twin = same_title_notice(s, plan.title, done=True, exclude=plan.id)
        if twin:
            summary.warnings.append(Notice(twin))
    _ensure_rag_letters(s, plan, parsed, plan_service)
    for change in parsed.changes:
        _with_where(
            change.where,
            plan_service.add_plan_change,
            s,
            plan.id,
            summary=change.summary[:MAX_TEXT],
            version=change.version,
            changed_on=change.changed_on,
            editor=change.editor,
        )
        summary.changes_created += 1

    # Agencies for the unmatched words.
    resolved: dict[str, str | None] = {}
    aliases: dict[str, str] = {}
    for key, entry in parsed.unmatched.items():
        choice = agency_map.get(key) or AgencyChoice("text")
        if choice.action == "existing" and choice.agency_id:
            resolved[key] = choice.agency_id
            if choice.remember:
                aliases[key] = choice.agency_id
        elif choice.action == "new":
            name = (choice.name or entry.text).strip()[:300]
            existing = agency_service.find_agency(s, name)
            if existing is None:
                existing = agency_service.create_agency(
                    s, name=name, sector=choice.sector or "other"
                )
                summary.agencies_created.append(existing.name)
            resolved[key] = existing.id
            if choice.remember and agency_key(name) != key:
                aliases[key] = existing.id
        else:
            resolved[key] = None
            summary.kept_as_text.append(entry.text)
    _check_agencies_live(s, parsed, resolved)

    themes_by_key: dict[tuple[str, str], Any] = {}
    existing_actions: dict[str, Any] = {}
    existing_by_text: dict[str, Any] = {}
    if not created_plan:
        for theme in s.scalars(
            select(Theme).where(Theme.plan_id == plan.id, Theme.deleted_at.is_(None))
        ):
            themes_by_key[("t", _norm(theme.title))] = theme
            if theme.code:
                themes_by_key.setdefault(("c", _norm(theme.code)), theme)
        for action in s.scalars(
            select(Action).where(Action.plan_id == plan.id, Action.deleted_at.is_(None))
        ):
            if action.reference.strip():
                existing_actions[action.reference.strip().lower()] = action
            existing_by_text.setdefault(_norm(action.text), action)

    done = 0
    next_position: dict[tuple[str, str | None], int] = {}
    for ptheme in parsed.themes:
        if not ptheme.actions and not ptheme.aims:
            continue
        theme = themes_by_key.get(("t", _norm(ptheme.title)))
        if theme is None and ptheme.code:
            theme = themes_by_key.get(("c", _norm(ptheme.code)))
        if theme is None:
            theme = _with_where(
                ptheme.where,
                plan_service.create_theme,
                s,
                plan.id,
                title=ptheme.title,
                code=ptheme.code,
                key_objective=ptheme.key_objective[:MAX_TEXT],
            )
            themes_by_key[("t", _norm(ptheme.title))] = theme
            summary.themes_created += 1
        aims: dict[int, Any] = {}
        existing_aims = {
            (a.reference.strip().lower(), _norm(a.text)): a
            for a in s.scalars(
                select(Aim).where(Aim.theme_id == theme.id, Aim.deleted_at.is_(None))
            )
        }
        for paim in ptheme.aims:
            aim = existing_aims.get((paim.reference.lower(), _norm(paim.text)))
            if aim is None:
                aim = _with_where(
                    paim.where,
                    plan_service.create_aim,
                    s,
                    theme.id,
                    reference=paim.reference,
                    text=paim.text[:MAX_TEXT],
                )
                existing_aims[(paim.reference.lower(), _norm(paim.text))] = aim
                summary.aims_created += 1
            aims[id(paim)] = aim
        for paction in ptheme.actions:
            lead_ids: list[str] = []
            support_ids: list[str] = []
            for mention in paction.mentions:
                agency_id = mention.agency_id or resolved.get(mention.key)
                if not agency_id or agency_id in lead_ids or agency_id in support_ids:
                    continue
                (support_ids if mention.role == "support" else lead_ids).append(agency_id)
            kept = [
                m.text
                for m in paction.mentions
                if m.role == "support"
                and not (m.agency_id or resolved.get(m.key))
                and m.key not in agency_key(paction.lead_text)
            ]
            if kept:
                # Supporting agencies kept as words: lead_text is where words are kept.
                lead_text = "\n".join(
                    x for x in (paction.lead_text, f"Supporting: {', '.join(kept)}") if x
                )
                paction = replace(paction, lead_text=lead_text)
            aim = aims.get(id(paction.aim)) if paction.aim is not None else None
            match = None
            if not created_plan:
                if paction.reference:
                    match = existing_actions.get(paction.reference.lower())
                else:
                    match = existing_by_text.get(_norm(paction.text))
            if match is None:
                group = (theme.id, aim.id if aim is not None else None)
                if group not in next_position:
                    next_position[group] = _live_count(s, Action, theme.id, group[1])
                action = _new_action(
                    s,
                    plan,
                    theme,
                    aim,
                    paction,
                    lead_ids,
                    support_ids,
                    next_position[group],
                    parsed.today,
                    summary,
                )
                next_position[group] += 1
                if paction.reference:
                    existing_actions[paction.reference.lower()] = action
                existing_by_text.setdefault(_norm(paction.text), action)
                done += 1
                if progress is not None and progress(done, total) is False:
                    raise _Cancelled()
                continue
            else:
                action = match
                changed = _merge_action(s, plan_service, action, paction, lead_ids, support_ids)
                if changed:
                    summary.actions_updated += 1
                else:
                    summary.actions_unchanged += 1
                milestones_before = {
                    (_norm(m.text), _norm(m.due_text))
                    for m in s.scalars(
                        select(Milestone).where(
                            Milestone.action_id == action.id, Milestone.deleted_at.is_(None)
                        )
                    )
                }
                latest = plan_service.progress_to_date(s, action.id)
            summary.agency_links += len(lead_ids) + len(support_ids)
            if paction.progress or paction.rag:
                same = (
                    latest is not None
                    and _norm(latest.text) == _norm(paction.progress)
                    and (latest.rag == paction.rag)
                )
                if not same:
                    _with_where(
                        paction.where,
                        plan_service.add_progress_update,
                        s,
                        action.id,
                        update_date=paction.progress_date or parsed.today,
                        text=paction.progress,
                        rag=paction.rag,
                        status=paction.status_value if (created_plan or paction.status) else None,
                    )
                    summary.updates_created += 1
            position = len(milestones_before)
            for pm in paction.milestones:
                key = (_norm(pm.text), _norm(pm.due.text))
                if key in milestones_before:
                    continue
                milestones_before.add(key)
                _create_milestone(
                    s, milestone_service, Milestone, action, pm, position, parsed.today, summary
                )
                position += 1
                summary.milestones_created += 1
            done += 1
            if progress is not None and progress(done, total) is False:
                raise _Cancelled()
    if aliases:
        raw = s.get(Meta, ALIASES_META_KEY)
        try:
            stored = json.loads(raw.value) if raw is not None and raw.value else {}
        except ValueError:
            stored = {}
        stored.update(aliases)
        s.merge(Meta(key=ALIASES_META_KEY, value=json.dumps(stored, ensure_ascii=False)))
    s.flush()
    summary.plan_title = plan.title
    return summary


def _with_where(where: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        if where and not getattr(exc, "where", ""):
            exc.where = where  # type: ignore[attr-defined]
        raise


def _ensure_rag_letters(s: Any, plan: Any, parsed: ParsedPlan, plan_service: Any) -> None:
    """Give the plan a key that holds every RAG letter the file uses (e.g. Blue)."""
    letters = set(plan_service.rag_letters(plan, s))
    found = {e["letter"]: e for e in parsed.rag_key}
    missing = parsed.rags_used - letters
    if not missing and not (found and not plan.rag_key):
        return
    entries = [
        {
            "letter": e.letter,
            "name": e.name,
            "meaning": found.get(e.letter, {}).get("meaning", e.meaning),
            "colour": e.colour,
        }
        for e in plan_service.rag_key_for(plan, s)
    ]
    for letter in sorted(missing):
        if letter in found:
            entries.append(dict(found[letter]))
        elif letter == "B":
            entries.append(dict(plan_service.BLUE_ENTRY))
    plan_service.set_rag_key(s, plan.id, entries)


def _action_input(plan_service: Any, paction: ParsedAction) -> Any:
    return plan_service.ActionInput(
        text=paction.text,
        reference=paction.reference,
        lead_text=paction.lead_text,
        target_text=paction.target.text,
        outcomes=paction.outcomes,
        baseline=paction.baseline,
        performance_measure=paction.performance_measure,
        outputs=paction.outputs,
        funding_source=paction.funding_source,
        cost_pence=paction.cost_pence,
        status=paction.status_value,
        rag="",
    )


def _check_agencies_live(s: Any, parsed: ParsedPlan, resolved: dict[str, str | None]) -> None:
    """Every agency the import links to still exists (one may have been deleted since
    the file was read, or a mapping may name one that never did)."""
    from sqlalchemy import select

    from dvcoord.store.schema.plans import Agency

    wanted: dict[str, str] = {}
    for action in parsed.actions:
        for mention in action.mentions:
            agency_id = mention.agency_id or resolved.get(mention.key)
            if agency_id:
                wanted.setdefault(agency_id, mention.text)
    if not wanted:
        return
    live: set[str] = set()
    ids = list(wanted)
    for i in range(0, len(ids), 500):
        live.update(
            s.scalars(
                select(Agency.id).where(
                    Agency.id.in_(ids[i : i + 500]), Agency.deleted_at.is_(None)
                )
            )
        )
    missing = [words for agency_id, words in wanted.items() if agency_id not in live]
    if missing:
        raise ValidationError(
            f"the agency chosen for '{_short(missing[0], 50)}' no longer exists (it may have "
            "been deleted); choose another and import again.",
            field="agency",
        )


def _live_count(s: Any, model: Any, theme_id: str, aim_id: str | None) -> int:
    from sqlalchemy import func, select

    where = [model.theme_id == theme_id, model.deleted_at.is_(None)]
    where.append(model.aim_id.is_(None) if aim_id is None else model.aim_id == aim_id)
    return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _new_action(
    s: Any,
    plan: Any,
    theme: Any,
    aim: Any,
    paction: ParsedAction,
    lead_ids: list[str],
    support_ids: list[str],
    position: int,
    today: date,
    summary: ImportSummary,
) -> Any:
    """Add one action with its agency links, progress update and milestones.

    A plan of a thousand actions must import in a couple of seconds, so the rows are
    added together and flushed once, rather than through one service call (a query, a
    flush and a reordering of every sibling) per row. The rules the services apply to
    each row hold already: :func:`parse_tables` keeps every text within its limit, reads
    every target and due date, gives every reference once, chooses the status from the
    schema's list and the RAG from the letters :func:`_ensure_rag_letters` put in the
    plan's key; what is checked here is what depends on the database.
    """
    from dvcoord.store.schema.plans import (
        ACTION_STATUSES,
        Action,
        ActionAgency,
        Milestone,
        ProgressUpdate,
    )

    status = paction.status_value
    if status not in ACTION_STATUSES:  # pragma: no cover - status_value only gives these
        raise ValidationError(f"The status '{status}' is not one of the plan's statuses.")
    target = paction.target.to_storage()
    action = Action(
        plan_id=plan.id,
        theme_id=theme.id,
        aim_id=aim.id if aim is not None else None,
        position=position,
        reference=paction.reference,
        text=paction.text,
        lead_text=paction.lead_text,
        target_text=target.text,
        target_kind=target.kind,
        target_start=target.start,
        target_end=target.end,
        outcomes=paction.outcomes,
        baseline=paction.baseline,
        performance_measure=paction.performance_measure,
        outputs=paction.outputs,
        funding_source=paction.funding_source,
        cost_pence=paction.cost_pence,
        status=status,
        rag=paction.rag,
    )
    s.add(action)
    for role, ids in (("lead", lead_ids), ("support", support_ids)):
        for i, agency_id in enumerate(ids):
            action.agency_links.append(ActionAgency(agency_id=agency_id, role=role, position=i))
    summary.agency_links += len(lead_ids) + len(support_ids)
    if paction.progress or paction.rag:
        action.updates.append(
            ProgressUpdate(
                update_date=paction.progress_date or today,
                author=str(s.info.get("user", "") or ""),
                text=paction.progress,
                rag=paction.rag,
            )
        )
        summary.updates_created += 1
    start = None
    if plan.plan_from_fy is not None:
        start = date(plan.plan_from_fy, 4, 1)
    for i, pm in enumerate(paction.milestones):
        due = pm.due.to_storage()
        text = (pm.text.strip() or due.text)[:MAX_TEXT]
        if start is not None and due.end is not None and due.end < start:
            summary.warnings.append(
                Notice(
                    f"the milestone '{_short(text, 40)}' is due before the plan starts "
                    f"({format_date(start)}); it is imported as written.",
                    pm.where,
                )
            )
        action.milestones.append(
            Milestone(
                position=i,
                text=text,
                due_text=due.text,
                due_kind=due.kind,
                due_start=due.start,
                due_end=due.end,
                status="open",
            )
        )
        summary.milestones_created += 1
    summary.actions_created += 1
    return action


def _merge_action(
    s: Any,
    plan_service: Any,
    action: Any,
    paction: ParsedAction,
    lead_ids: list[str],
    support_ids: list[str],
) -> bool:
    given: dict[str, Any] = {}
    incoming = _action_input(plan_service, paction)
    for name in (
        "text",
        "lead_text",
        "target_text",
        "outcomes",
        "baseline",
        "performance_measure",
        "outputs",
        "funding_source",
    ):
        value = getattr(incoming, name)
        if value and value.strip() != (getattr(action, name) or "").strip():
            given[name] = value
    if paction.cost_pence is not None and paction.cost_pence != action.cost_pence:
        given["cost_pence"] = paction.cost_pence
    if paction.status and paction.status != action.status:
        given["status"] = paction.status
    changed = False
    if given:
        _with_where(paction.where, plan_service.update_action, s, action.id, **given)
        changed = True
    links = plan_service.agency_links(s, action.id)
    linked = {link.agency_id for link in links}
    for agency_id in lead_ids:
        if agency_id not in linked:
            plan_service.add_action_agency(s, action.id, agency_id, "lead")
            linked.add(agency_id)
            changed = True
    for agency_id in support_ids:
        if agency_id not in linked:
            plan_service.add_action_agency(s, action.id, agency_id, "support")
            linked.add(agency_id)
            changed = True
    return changed


def _create_milestone(
    s: Any,
    milestone_service: Any,
    milestone_model: Any,
    action: Any,
    pm: ParsedMilestone,
    position: int,
    today: date,
    summary: ImportSummary,
) -> Any:
    stored = pm.due.to_storage()
    text = (pm.text.strip() or stored.text or "Milestone")[:MAX_TEXT]
    try:
        with s.begin_nested():
            return milestone_service.create_milestone(
                s,
                action.id,
                text=text,
                due_text=stored.text[:MAX_DATE_TEXT],
                position=position,
                today=today,
            )
    except ValidationError as exc:
        # e.g. due before the plan's first year: what the file says is kept, and said so.
        summary.warnings.append(
            Notice(
                f"the milestone '{_short(text, 40)}' is imported as written, although "
                f"{exc.message[:1].lower()}{exc.message[1:]}",
                pm.where,
            )
        )
    row = milestone_model(
        action_id=action.id,
        position=position,
        text=text[:MAX_TEXT],
        due_text=stored.text[:MAX_DATE_TEXT],
        due_kind=stored.kind,
        due_start=stored.start,
        due_end=stored.end,
        status="open",
    )
    s.add(row)
    return row
