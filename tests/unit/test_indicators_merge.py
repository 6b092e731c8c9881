"""Indicators and BVPI 225 answers merge row for row between two copies of a file: the
same period's figure, the same computed indicator or the same question typed in two
offices is one row (deterministic ids), never a uniqueness clash left out of a merge."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from dvcoord.exchange.merge import apply_merge, plan_merge
from dvcoord.exchange.share import share_copy
from dvcoord.services import bvpi225 as B
from dvcoord.services import indicators as I
from dvcoord.store import Database
from dvcoord.store.schema.indicators import Bvpi225Answer, Indicator, IndicatorValue

TODAY = date(2014, 5, 20)


def merge_into(into: Database, source: Path, tmp: Path):
    copy = share_copy(source, tmp / f"copy-of-{source.name}")
    preview = plan_merge(into, copy)
    return apply_merge(into, preview, {(c.table, c.row_id): "theirs" for c in preview.conflicts})


def live(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))


def test_the_same_figures_typed_in_two_offices_merge_into_one_row(tmp_path):
    a = Database.create(tmp_path / "a.sqlite", user="Office A")
    try:
        with a.transaction() as s:
            ind = I.create_indicator(
                s, name="MARAC referrals", unit="count", direction="higher", period="quarter"
            )
            ind_id = ind.id
        b_path = share_copy(a.path, tmp_path / "b.sqlite")
        b = Database.open(b_path, user="Office B", backup=False)
        try:
            with b.transaction() as s:  # both offices type Q1, and each adds the same extras
                I.set_value(s, ind_id, "2013/14 Q1", "36", today=TODAY)
                I.set_target(s, ind_id, "2013/14", "150")
                I.create_indicator(s, computed_key="alarms.issued")
                B.save_assessment(s, 2013, answers=[B.AnswerInput(3, "no")], today=TODAY)
        finally:
            b.close()
        with a.transaction() as s:
            I.set_value(s, ind_id, "2013/14 Q1", "38", today=TODAY)
            I.set_target(s, ind_id, "2013/14", "140")
            I.create_indicator(s, computed_key="alarms.issued")
            B.save_assessment(
                s, 2013, answers=[B.AnswerInput(3, "yes", "Post funded")], today=TODAY
            )
        report = merge_into(a, b_path, tmp_path)
        assert not report.problems  # nothing left out for breaking a uniqueness rule
        assert live(a, IndicatorValue) == 1
        assert live(a, Indicator) == 2
        assert live(a, Bvpi225Answer) == 1
        with a.session() as s:
            grid = {g.period.key: g for g in I.value_grid(s, ind_id, TODAY)}
            assert grid["2013/14 Q1"].value == 3600  # theirs, as chosen
            assert grid["2013/14"].target == 15000
            assert B.assessment_view(s, 2013, TODAY).answers[2].answer == "no"
    finally:
        a.close()
