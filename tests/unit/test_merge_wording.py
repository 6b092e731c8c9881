"""Words of the merge preview: table and column labels, "a"/"an", and problems
summarised by kind (a count, three examples, "… and N more")."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from merge_problem_data import build  # noqa: E402

from dvcoord.exchange import wording as W  # noqa: E402
from dvcoord.exchange.merge import Problem, plan_merge  # noqa: E402
from dvcoord.store import Database  # noqa: E402
from dvcoord.store.base import shared_models  # noqa: E402


@pytest.mark.parametrize(
    ("table", "one", "many"),
    [
        ("bvpi225_assessment", "BVPI 225 assessment", "BVPI 225 assessments"),
        ("alarm_log", "alarm log entry", "alarm log entries"),
        ("agency", "agency", "agencies"),
        ("sanctuary_case", "Sanctuary Scheme case", "Sanctuary Scheme cases"),
        ("some_new_thing", "some new thing", "some new things"),
        ("safety_policy", "safety policy", "safety policies"),
    ],
)
def test_table_labels(table, one, many):
    assert W.table_label(table) == one
    assert W.table_label(table, plural=True) == many
    assert W.table_label(table, count=1) == one
    assert W.table_label(table, count=2) == many


def test_every_shared_table_has_words_without_underscores():
    for model in shared_models():
        for plural in (False, True):
            label = W.table_label(model.__tablename__, plural=plural)
            assert "_" not in label and "bvpi225" not in label.lower(), label


@pytest.mark.parametrize(
    ("column", "label"),
    [
        ("asset_tag", "asset tag"),
        ("alarm_id", "alarm"),
        ("cost_pence", "cost"),
        ("rag", "RAG"),
        ("sim_number", "SIM number"),
        ("deleted_at", "marked deleted"),
        ("strategy_from_fy", "strategy from financial year"),
    ],
)
def test_field_labels(column, label):
    assert W.field_label(column) == label


@pytest.mark.parametrize(
    ("noun", "phrase"),
    [
        ("alarm", "an alarm"),
        ("indicator target", "an indicator target"),
        ("BVPI 225 assessment", "a BVPI 225 assessment"),
        ("Sanctuary Scheme case", "a Sanctuary Scheme case"),
        ("unit", "a unit"),
        ("agency", "an agency"),
        ("plan", "a plan"),
    ],
)
def test_articles(noun, phrase):
    assert W.with_article(noun) == phrase


def _missing(n: int) -> Problem:
    row = f"0000000{n}-0000-7000-8000-0000000000{n:02d}"
    return Problem(
        "alarm_log",
        row,
        f"alarm log {row[:8]} refers to a alarm (alarm_id) that is in neither database; "
        "the received row was left out.",
    )


def _clash(tag: str) -> Problem:
    return Problem(
        "alarm",
        f"id-{tag}",
        f"alarm '{tag}': this database already has a alarm with the same asset_tag; "
        "the received row was not taken; this database's version is kept.",
    )


def test_problems_are_summarised_by_kind_with_three_examples():
    problems = [_missing(n) for n in range(1, 8)] + [_clash(t) for t in ("A-1", "A-2")]
    kinds = W.summarise_problems(problems)
    assert [k.count for k in kinds] == [7, 2]
    logs, alarms = kinds
    assert logs.sentence == (
        "Alarm log entries refer to an alarm that is neither in this database nor added by "
        "this merge, so they were left out."
    )
    assert logs.examples == ["id …00000001", "id …00000002", "id …00000003"]
    assert logs.more == 4
    assert logs.example_text().endswith("… and 4 more.")
    assert alarms.sentence == (
        "Alarms have the same asset tag as an alarm already in this database, so the "
        "received versions were not taken and yours are kept."
    )
    assert alarms.examples == ["'A-1'", "'A-2'"] and alarms.more == 0
    assert "more" not in alarms.example_text()
    lines = W.problem_lines(problems)
    assert lines[0].startswith("Problems: 9 received records cannot be merged, of 2 kinds")
    assert len(lines) == 1 + 2 * 2
    assert lines[1].startswith("  7 × Alarm log entries refer to an alarm")


def test_one_problem_is_worded_in_the_singular():
    (kind,) = W.summarise_problems([_missing(1)])
    assert kind.sentence.startswith("Alarm log entry refers to an alarm")
    assert kind.sentence.endswith("so it was left out.")
    assert kind.more == 0


def test_an_unknown_sentence_is_grouped_without_its_names_and_ids():
    problems = [
        Problem("plan", f"id{n}", f"plan 'Plan {n}' 0a1b2c3d could not be read.") for n in range(5)
    ]
    (kind,) = W.summarise_problems(problems)
    assert kind.count == 5 and kind.more == 2
    assert kind.sentence == "plan '…' … could not be read."
    assert kind.examples[0] == "plan 'Plan 0' 0a1b2c3d could not be read."


def test_preview_text_summarises_problems_and_ends_with_the_outcome(tmp_path):
    mine, theirs = build(tmp_path)
    db = Database.open(mine, user="District officer", readonly=True, backup=False)
    try:
        preview = plan_merge(db, theirs)
        try:
            lines = W.preview_lines(preview)
            assert len(preview.problems) == 12
        finally:
            preview.close()
    finally:
        db.close()
    text = "\n".join(lines)
    assert "Problems: 12 received records cannot be merged, of 2 kinds" in text
    assert "  7 × Alarm log entries refer to an alarm" in text
    assert "  5 × Alarms have the same asset tag as an alarm already in this database" in text
    assert "For example 'PA-001', 'PA-002', 'PA-003' … and 2 more." in text
    assert "a alarm" not in text and "asset_tag" not in text and "alarm_log" not in text
    assert len(lines) < 40
    assert lines[1].startswith("This file was not made from your database")
    assert lines[-2].startswith("Merging would add ")
    assert "12 received records would be left out" in lines[-2]
    assert lines[-1].startswith("Warning: this file was started separately")
    assert any(line.startswith("Alarm log entries ") for line in lines)  # the count table


def test_totals_sentence():
    from dvcoord.exchange.merge import TableCounts

    t = TableCounts("all", new=1, changed=2, deleted=0, conflicts=3, left_out=1)
    assert W.totals_sentence(t) == (
        "Merging would add 1 record, change 2 and mark 0 deleted; 3 conflicts (the later "
        "change is kept); 1 received record would be left out (see Problems above)."
    )
    assert "unless you choose otherwise" in W.totals_sentence(t, choosing=True)
    assert W.totals_sentence(t, done=True).startswith("1 record added, 2 changed")
