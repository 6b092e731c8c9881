"""Words for people in the merge preview and the merge report (no Qt).

Shared by ``dvcoord merge`` and File > Merge a received file…:

* :func:`table_label` and :func:`field_label` turn table and column names into UK-English
  labels (``bvpi225_assessment`` -> "BVPI 225 assessment", ``alarm_log`` -> "alarm log
  entry"/"alarm log entries", ``asset_tag`` -> "asset tag"); :func:`with_article` puts
  "a" or "an" before a label.
* :func:`summarise_problems` groups the problems of a merge by kind (one row each for
  hundreds of log entries that point at a left-out alarm): a sentence, a count, three
  examples and how many more.  The problems themselves are made by
  :mod:`dvcoord.exchange.merge`; their two sentence shapes are read back here, and any
  other sentence is grouped by its text with the quoted names and ids taken out.
* :func:`preview_lines` and :func:`report_lines` are the text of the preview and of the
  report, with what the merge will do (or did) on the last lines, where it is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

EXAMPLES = 3

#: table -> (singular, plural); any table not listed is worded from its name.
TABLE_LABELS: dict[str, tuple[str, str]] = {
    "action": ("action", "actions"),
    "action_agency": ("agency of an action", "agencies of actions"),
    "agency": ("agency", "agencies"),
    "aim": ("aim", "aims"),
    "alarm": ("alarm", "alarms"),
    "alarm_loan": ("alarm loan", "alarm loans"),
    "alarm_log": ("alarm log entry", "alarm log entries"),
    "alarm_type": ("alarm type", "alarm types"),
    "bvpi225_answer": ("BVPI 225 answer", "BVPI 225 answers"),
    "bvpi225_assessment": ("BVPI 225 assessment", "BVPI 225 assessments"),
    "indicator": ("indicator", "indicators"),
    "indicator_action": ("action linked to an indicator", "actions linked to indicators"),
    "indicator_target": ("indicator target", "indicator targets"),
    "indicator_value": ("indicator figure", "indicator figures"),
    "milestone": ("milestone", "milestones"),
    "plan": ("plan", "plans"),
    "plan_change": ("plan change", "plan changes"),
    "progress_update": ("progress update", "progress updates"),
    "sanctuary_case": ("Sanctuary Scheme case", "Sanctuary Scheme cases"),
    "sanctuary_contractor": ("Sanctuary Scheme contractor", "Sanctuary Scheme contractors"),
    "sanctuary_follow_up": (
        "Sanctuary Scheme follow-up visit",
        "Sanctuary Scheme follow-up visits",
    ),
    "sanctuary_item": ("Sanctuary Scheme hardware item", "Sanctuary Scheme hardware items"),
    "sanctuary_measure": ("fitted Sanctuary Scheme measure", "fitted Sanctuary Scheme measures"),
    "sanctuary_stock_level": ("Sanctuary Scheme stock level", "Sanctuary Scheme stock levels"),
    "sanctuary_stock_movement": (
        "Sanctuary Scheme stock movement",
        "Sanctuary Scheme stock movements",
    ),
    "theme": ("theme", "themes"),
    "training_attendance": ("training attendance", "training attendances"),
    "training_course": ("training course", "training courses"),
    "training_level": ("training level", "training levels"),
    "training_requirement": ("training requirement", "training requirements"),
    "training_role": ("staff role", "staff roles"),
    "training_session": ("training session", "training sessions"),
    "training_session_trainer": ("trainer of a session", "trainers of sessions"),
    "training_topic": ("training topic", "training topics"),
    "training_trainee": ("trainee", "trainees"),
    "training_trainer": ("trainer", "trainers"),
    "training_trainer_course": ("course a trainer delivers", "courses trainers deliver"),
}

#: column -> label, where the words of the name are not enough.
FIELD_LABELS: dict[str, str] = {
    "deleted_at": "marked deleted",
    "updated_at": "last changed",
    "updated_by": "changed by",
    "created_at": "created",
    "carried_from_id": "earlier action",
    "computed_key": "calculated figure",
    "period_key": "period",
    "target_hundredths": "target",
    "national_hundredths": "national figure",
    "value_hundredths": "value",
}

#: words written in capitals (or otherwise) wherever they appear in a name.
WORDS: dict[str, str] = {
    "rag": "RAG",
    "marac": "MARAC",
    "sim": "SIM",
    "dash": "DASH",
    "bvpi225": "BVPI 225",
    "fy": "financial year",
    "id": "id",
}


def _words(name: str) -> str:
    return " ".join(WORDS.get(w, w) for w in name.split("_") if w)


def table_label(table: str, *, plural: bool = False, count: int | None = None) -> str:
    """A table's records in words: ``table_label("alarm_log", count=2)`` -> "alarm log
    entries".  ``count`` chooses singular (1) or plural; lower case unless a word is a
    name ("BVPI 225", "Sanctuary Scheme")."""
    if count is not None:
        plural = count != 1
    known = TABLE_LABELS.get(table)
    if known:
        return known[1] if plural else known[0]
    words = _words(table)
    if not plural:
        return words
    if words.endswith("y") and not words.endswith(("ay", "ey", "oy")):
        return words[:-1] + "ies"
    return words + ("es" if words.endswith(("s", "x", "ch", "sh")) else "s")


def field_label(column: str) -> str:
    """A column in words, lower case apart from names: ``asset_tag`` -> "asset tag",
    ``alarm_id`` -> "alarm", ``cost_pence`` -> "cost", ``rag`` -> "RAG"."""
    if column in FIELD_LABELS:
        return FIELD_LABELS[column]
    name = column
    for suffix in ("_pence", "_hundredths", "_id"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return _words(name)


def sentence_case(text: str) -> str:
    """Capital first letter, the rest as written ("alarm log" -> "Alarm log")."""
    return text[:1].upper() + text[1:]


_AN_EXCEPTIONS = ("uni", "use", "usu", "eu", "one", "once")


def with_article(noun: str) -> str:
    """ "an alarm", "a BVPI 225 assessment", "a Sanctuary Scheme case", "a user"."""
    first = noun.split(" ", 1)[0]
    if first.isupper() and len(first) > 1:  # BVPI, MARAC, RAG, SIM: said as words
        an = first[0] in "AEIOU"
    else:
        low = noun.lower()
        an = low[:1] in "aeiou" and not low.startswith(_AN_EXCEPTIONS)
    return f"{'an' if an else 'a'} {noun}"


def and_list(items: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def number(n: int) -> str:
    return f"{n:,}"


# =========================================================================== row labels
_HEX_ID = re.compile(r"^[0-9a-f]{6,36}$")


def _split_label(table: str, label: str) -> str | None:
    """The part of a row label made by :func:`dvcoord.exchange.merge.row_label` after the
    table's words ("'WK-PA-001'" or an id), or None when ``label`` is not one."""
    title = table.replace("_", " ") + " "
    if not label.startswith(title):
        return None
    rest = label[len(title) :]
    if rest.startswith("'") and rest.endswith("'") and len(rest) >= 2:
        return rest
    if _HEX_ID.match(rest):
        return rest
    return None


def row_name(table: str, label: str, row_id: str = "") -> str:
    """A row label in words: "alarm 'WK-PA-001'" -> "alarm 'WK-PA-001'",
    "bvpi225 assessment '2024/25'" -> "BVPI 225 assessment '2024/25'".  A label that is
    only the start of an id (alike for every row made in the same second) becomes the
    end of the id, which differs between rows."""
    rest = _split_label(table, label)
    if rest is None:
        return label
    if not rest.startswith("'"):
        rest = f"(id …{row_id[-8:]})" if row_id else f"(id {rest}…)"
    return f"{table_label(table)} {rest}"


def _example(table: str, label: str, row_id: str) -> str:
    """A row as an example of a kind of problem: just its name or reference."""
    rest = _split_label(table, label)
    if rest is None:
        return label
    if rest.startswith("'"):
        return rest
    return f"id …{row_id[-8:]}" if row_id else f"id {rest}…"


# =========================================================================== problems
@dataclass
class ProblemKind:
    """Problems of one kind: a sentence (for the whole group), how many, some examples."""

    key: tuple
    table: str
    count: int = 0
    sentence: str = ""
    examples: list[str] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.count - len(self.examples)

    def example_text(self) -> str:
        """ "For example 'WK-PA-001', 'WK-PA-002', 'WK-PA-003' … and 47 more." """
        if not self.examples:
            return ""
        text = "For example " + ", ".join(self.examples)
        if self.more:
            text += f" … and {number(self.more)} more"
        return text + "."

    def line(self) -> str:
        return f"{number(self.count)} × {self.sentence}"


_OUTCOME = (
    r"the received row (?P<what>was left out"
    r"|was not taken; this database's version is kept)\.$"
)
_MISSING = re.compile(
    r"^(?P<label>.*) refers to an? (?P<parent>[a-z0-9 ]+) \((?P<col>\w+)\) that is in "
    r"neither database; " + _OUTCOME,
    re.S,
)
_UNIQUE = re.compile(
    r"^(?P<label>.*): this database already has an? (?P<table>[a-z0-9 ]+) with the same "
    r"(?P<cols>\w+(?:, \w+)*); " + _OUTCOME,
    re.S,
)
_QUOTED = re.compile(r"'[^']*'")
_IDS = re.compile(r"\b[0-9a-f]{8}(?:-?[0-9a-f]{4}){0,3}(?:-?[0-9a-f]{12})?\b")


def _outcome(what: str, n: int) -> str:
    if what == "was left out":
        return "so it was left out" if n == 1 else "so they were left out"
    if n == 1:
        return "so the received version was not taken and yours is kept"
    return "so the received versions were not taken and yours are kept"


def _kind_of(problem: Any) -> tuple[tuple, str, dict[str, str]]:
    """(key, label, parts) of one problem."""
    table = getattr(problem, "table", "")
    message = getattr(problem, "message", str(problem))
    explicit = getattr(problem, "kind", None)
    m = _MISSING.match(message)
    if m and _split_label(table, m["label"]) is not None:
        parts = {"shape": "missing", **m.groupdict()}
        key = (table, "missing", m["parent"], m["col"], m["what"])
        return (explicit or key), m["label"], parts
    m = _UNIQUE.match(message)
    if m and _split_label(table, m["label"]) is not None:
        parts = {"shape": "unique", **m.groupdict()}
        key = (table, "unique", m["cols"], m["what"])
        return (explicit or key), m["label"], parts
    general = _IDS.sub("…", _QUOTED.sub("'…'", message))
    return (explicit or (table, "other", general)), "", {"shape": "other", "text": general}


def _sentence(table: str, parts: dict[str, str], n: int) -> str:
    what = table_label(table, count=n)
    verb = {"missing": ("refers", "refer"), "unique": ("has", "have")}
    if parts["shape"] == "missing":
        parent_table = parts["parent"].replace(" ", "_")
        parent = table_label(parent_table)
        link = field_label(parts["col"])
        via = ""
        if link not in parent:
            via = f", as {'its' if n == 1 else 'their'} {link},"
        return sentence_case(
            f"{what} {verb['missing'][n != 1]}{via} to {with_article(parent)} that is "
            f"neither in this database nor added by this merge, {_outcome(parts['what'], n)}."
        )
    if parts["shape"] == "unique":
        cols = and_list([field_label(c) for c in parts["cols"].split(", ")])
        other = with_article(table_label(table))
        return sentence_case(
            f"{what} {verb['unique'][n != 1]} the same {cols} as {other} already in this "
            f"database, {_outcome(parts['what'], n)}."
        )
    return parts["text"]


def summarise_problems(problems: Iterable[Any], examples: int = EXAMPLES) -> list[ProblemKind]:
    """The problems grouped by kind, the largest group first (then in the order first
    seen), each with up to ``examples`` examples."""
    kinds: dict[Any, ProblemKind] = {}
    parts_of: dict[Any, dict[str, str]] = {}
    for p in problems:
        key, label, parts = _kind_of(p)
        kind = kinds.get(key)
        if kind is None:
            kind = kinds[key] = ProblemKind(key=key, table=getattr(p, "table", ""))
            parts_of[key] = parts
        kind.count += 1
        if len(kind.examples) < examples:
            if parts["shape"] == "other":
                kind.examples.append(getattr(p, "message", str(p)))
            else:
                kind.examples.append(_example(kind.table, label, getattr(p, "row_id", "")))
    for key, kind in kinds.items():
        kind.sentence = _sentence(kind.table, parts_of[key], kind.count)
    return sorted(kinds.values(), key=lambda k: -k.count)


def problems_heading(problems: Sequence[Any], kinds: Sequence[ProblemKind]) -> str:
    n, k = len(problems), len(kinds)
    rows = "1 received record" if n == 1 else f"{number(n)} received records"
    return (
        f"Problems: {rows} cannot be merged"
        + ("" if k == 1 else f", of {k} kinds")
        + " (each kind once, with examples):"
    )


def problem_lines(problems: Sequence[Any], examples: int = EXAMPLES) -> list[str]:
    if not problems:
        return []
    kinds = summarise_problems(problems, examples)
    out = [problems_heading(problems, kinds)]
    for kind in kinds:
        out.append(f"  {kind.line()}")
        if kind.examples:
            out.append(f"      {kind.example_text()}")
    return out


# =========================================================================== counts
def count_rows(counts: Iterable[Any]) -> list[Any]:
    return [c for c in counts if c.writes or c.conflicts or c.left_out or c.kept]


def _count_table(counts: Iterable[Any]) -> list[str]:
    rows = count_rows(counts)
    if not rows:
        return ["Nothing to merge: this database already has everything in the file."]
    names = [sentence_case(table_label(c.table, plural=True)) for c in rows]
    width = max(len("Records"), *map(len, names)) + 2
    heads = ("New", "Changed", "Deleted", "Conflicts", "Kept", "Left out")
    out = [f"{'Records':<{width}}" + "".join(f"{h:>{len(h) + 3}}" for h in heads)]
    for name, c in zip(names, rows, strict=True):
        values = (c.new, c.changed, c.deleted, c.conflicts, c.kept, c.left_out)
        out.append(
            f"{name:<{width}}"
            + "".join(f"{number(v):>{len(h) + 3}}" for h, v in zip(heads, values, strict=True))
        )
    return out


def totals_sentence(
    totals: Any, *, done: bool = False, see: str = "see Problems above", choosing: bool = False
) -> str:
    """What the merge will do (or did), in one sentence; ``see`` says where the problems
    are listed, ``choosing`` that the user picks the version of each conflict."""
    t = totals

    def n(value: int, one: str, many: str) -> str:
        return f"{number(value)} {one if value == 1 else many}"

    if done:
        text = (
            f"{n(t.new, 'record', 'records')} added, {number(t.changed)} changed and "
            f"{number(t.deleted)} marked deleted"
        )
    else:
        text = (
            f"Merging would add {n(t.new, 'record', 'records')}, change "
            f"{number(t.changed)} and mark {number(t.deleted)} deleted"
        )
    if t.conflicts:
        text += f"; {n(t.conflicts, 'conflict', 'conflicts')}" + (
            " settled"
            if done
            else " (the later change is kept"
            + (" unless you choose otherwise)" if choosing else ")")
        )
    if t.kept:
        text += f"; your version of {number(t.kept)} kept"
    if t.left_out:
        text += (
            f"; {n(t.left_out, 'received record', 'received records')} "
            f"{'was' if t.left_out == 1 and done else 'were' if done else 'would be'} left out "
            f"({see})"
        )
    return text + "."


# =========================================================================== preview
# The preview and the report start from the text :mod:`.merge` writes (so its sentences
# about the file, the matches and the conflicts are used as they are) and replace its
# per-table count table and its one-line-per-row problem list.  A part that cannot be
# found is left as it is.


def _find_problem_block(lines: list[str], problems: Sequence[Any]) -> int | None:
    n = len(problems)
    for i, line in enumerate(lines):
        if re.fullmatch(r"Problems \(\d[\d,]*\):", line) and all(
            x.startswith("  ") for x in lines[i + 1 : i + 1 + n]
        ):
            return i if len(lines) >= i + 1 + n else None
    return None


def _find_count_block(lines: list[str], rows: int) -> int | None:
    for i, line in enumerate(lines):
        if line.startswith("Table") and "New" in line and "Left out" in line:
            return i if len(lines) >= i + 1 + rows else None
    return None


def _relabel_conflicts(lines: list[str], conflicts: Sequence[Any]) -> list[str]:
    """Each conflict's line with the record and its fields in words."""
    out = list(lines)
    for c in conflicts:
        raw = f"  {c.label} [{c.row_id}]: " + (
            ", ".join(d.field for d in c.diffs) or "bookkeeping only"
        )
        words = f"  {row_name(c.table, c.label, c.row_id)}: " + (
            ", ".join(field_label(d.field) for d in c.diffs) or "bookkeeping only"
        )
        for i, line in enumerate(out):
            if line.startswith(raw):
                out[i] = words + line[len(raw) :]
                break
    return out


def _rework(lines: list[str], counts: Iterable[Any] | None, problems: Sequence[Any]) -> list[str]:
    lines = list(lines)
    if problems:
        at = _find_problem_block(lines, problems)
        if at is not None:
            lines[at : at + 1 + len(problems)] = ["", *problem_lines(problems)]
    if counts is not None:
        counts = list(counts)
        rows = len(count_rows(counts))
        at = _find_count_block(lines, rows) if rows else None
        if at is not None:
            lines[at : at + 1 + rows] = ["", *_count_table(counts)]
    for i in range(len(lines) - 1, 0, -1):  # a blank line before the list of conflicts
        if lines[i].startswith("Conflicts (") and lines[i - 1] != "":
            lines.insert(i, "")
    return lines


def preview_lines(preview: Any) -> list[str]:
    """The preview as text: where the file comes from and the warning first, the details
    (matches, counts, conflicts, problems by kind) next, and what the merge would do last."""
    lines = _rework(preview.summary_lines(), preview.counts.values(), preview.problems)
    lines = _relabel_conflicts(lines, preview.conflicts)
    if preview.has_changes:
        lines.append("")
        lines.append(totals_sentence(preview.totals))
        if preview.unrelated:
            lines.append(
                "Warning: this file was started separately from your database (see the "
                "top): its records would be added beside yours."
            )
    return lines


def report_lines(report: Any) -> list[str]:
    """The report as text: what the merge did first, then matches, conflicts, problems by
    kind, and where the backup is last."""
    lines = _rework(report.summary_lines(), None, report.problems)
    return _relabel_conflicts(lines, report.conflicts)
