"""The demo's indicators (three years of figures and targets, marked as demo figures),
its action links and its completed BVPI 225 self-assessments."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from dvcoord.services import bvpi225 as B
from dvcoord.services import indicators as I
from dvcoord.store.schema.indicators import IndicatorValue

TODAY = date(2026, 11, 23)


def test_the_reference_plans_indicators_with_three_years_of_figures(demo_db):
    with demo_db.session() as s:
        rows = {r.name: r for r in I.indicator_rows(s, TODAY)}
        sdr = rows["Sanction detection rate for domestic abuse crimes"]
        assert (sdr.value_text, sdr.target_text, sdr.national_text) == ("51.2%", "40.0%", "35.6%")
        assert sdr.status == I.MET
        grid = I.value_grid(s, sdr.id, TODAY)
        quarters = [g for g in grid if g.period.kind == "quarter" and g.value is not None]
        assert quarters[-1].period.key == "2024/25 Q1"  # three financial years
        assert quarters[0].period.key == "2026/27 Q2"  # up to the last complete quarter
        assert len(quarters) == 10
        assert {g.note for g in quarters} == {"Demo figure (fictional)"}
        notes = set(s.scalars(select(IndicatorValue.note).distinct()))
        assert notes == {"Demo figure (fictional)"}
        assert s.scalar(select(func.count()).select_from(IndicatorValue)) > 80
        for key in I.COMPUTED:
            assert any(r.computed_key == key for r in rows.values()), key
        assert {r.unit for r in rows.values()} == set(I.UNITS)
        assert {r.period for r in rows.values()} == set(I.PERIODS)
        statuses = {r.status for r in rows.values()}
        assert {I.MET, I.NOT_MET, I.NO_TARGET} <= statuses
        assert sum(r.actions for r in rows.values()) >= 10
        linked = I.linked_actions(s, rows["Panic alarms issued"].id)
        assert [a.reference for a in linked] == ["I.2"]


def test_completed_bvpi225_assessments(demo_db):
    with demo_db.session() as s:
        now = B.assessment_view(s, 2026, TODAY)
        last = B.assessment_view(s, 2025, TODAY)
        assert B.assessed_years(s) == [(2026, 9), (2025, 8)]
    assert now.exists and now.answered == 11 and str(now.score) == "81.8"
    assert all(a.evidence for a in now.answers)
    assert str(last.score) == "72.7"
    assert now.answers[6].data is not None and now.answers[6].data.suggests == "yes"
