"""The demo Sanctuary Scheme: every stage, districts only, made-up references, no addresses."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from dvcoord.services import sanctuary as S
from dvcoord.store.schema.sanctuary import FollowUpVisit, SanctuaryCase

TODAY = date(2026, 11, 23)  # the demo_template's "today"


def test_every_stage_is_there(demo_db):
    with demo_db.session() as s:
        counts = S.stage_counts(s)
    assert all(counts[stage] >= 1 for stage in S.STAGES), counts
    assert sum(counts.values()) >= 40


def test_cases_are_minimal_and_fictional(demo_db):
    with demo_db.session() as s:
        cases = list(s.scalars(select(SanctuaryCase)))
        visits = list(s.scalars(select(FollowUpVisit)))
        assert not S.address_enabled(s)
    assert all(re.fullmatch(r"SDC-SS-20\d\d-\d{3}", c.reference) for c in cases)
    assert {c.postcode_district for c in cases} <= {"TN13", "TN14", "TN15", "TN16", "TN8", "BR8"}
    assert all(c.address == "" for c in cases)
    for c in cases:
        assert S.address_warnings(c.notes) == [] and S.address_warnings(c.end_reason) == []
    for v in visits:
        assert S.address_warnings(v.outcome) == []


def test_a_year_and_a_half_with_the_lists_filled(demo_db):
    with demo_db.session() as s:
        rows = S.case_rows(s, TODAY)
        first = min(r.referral_date for r in rows)
        assert 500 <= (TODAY - first).days <= 560
        assert S.follow_ups_due(s, TODAY)
        assert S.reorder_rows(s, TODAY)
        assert S.waiting_longest(s, TODAY)
        assert any(r.missing for r in rows)  # someone is waiting on the checklist
        years = S.spend_years(s, TODAY)
        summary = S.spend_summary(s, *years)
        assert summary.total.spend_pence > 1_000_000  # over £10,000 on measures
        times = S.installation_times(s, date(2025, 4, 1), TODAY)
        assert len(times.rows) >= 20 and times.median is not None
        assert len(S.contractor_rows(s)) == 3
        outcomes = {r.outcome for r in rows if r.stage == "closed"}
        assert "remained in home" in outcomes
