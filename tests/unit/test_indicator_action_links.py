"""One indicator linked to or unlinked from one action (the Action plans view's "Linked
indicators"), and the linked indicators of an action with their latest figures."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from dvcoord.errors import ValidationError
from dvcoord.services import indicators as I
from dvcoord.services import plans as ps
from dvcoord.store.schema.core import AuditEntry
from dvcoord.store.schema.indicators import IndicatorAction

TODAY = date(2014, 5, 20)


@pytest.fixture
def setup(db):
    with db.transaction() as s:
        plan = ps.create_plan(s, title="DA plan 2013/14", plan_from_fy=2013, plan_to_fy=2013)
        theme = ps.create_theme(s, plan.id, title="Protection and justice", code="2")
        a1 = ps.create_action(s, theme.id, reference="2.1", text="Improve sanction detections")
        a2 = ps.create_action(s, theme.id, reference="2.2", text="SDVC at Maidstone")
        sdr = I.create_indicator(
            s,
            code="PI 3",
            name="Sanction detection rate",
            unit="percentage",
            direction="higher",
            period="quarter",
        )
        I.set_target(s, sdr.id, "2013/14", "40")
        I.set_value(s, sdr.id, "2013/14 Q3", "38", today=TODAY)
        I.set_value(s, sdr.id, "2013/14 Q4", "41.5", today=TODAY)
        marac = I.create_indicator(
            s, code="PI 2", name="Referrals to MARAC", unit="count", direction="higher",
            period="quarter", active=False,
        )  # fmt: skip
        return {"a1": a1.id, "a2": a2.id, "sdr": sdr.id, "marac": marac.id}


def test_link_and_unlink_one_action_keep_the_other_links(db, setup):
    with db.transaction() as s:
        assert I.link_action(s, setup["sdr"], setup["a1"]) is True
        assert I.link_action(s, setup["sdr"], setup["a2"]) is True
        assert I.link_action(s, setup["sdr"], setup["a1"]) is False  # already linked
    with db.session() as s:
        assert [a.reference for a in I.linked_actions(s, setup["sdr"])] == ["2.1", "2.2"]
    with db.transaction() as s:
        assert I.unlink_action(s, setup["sdr"], setup["a1"]) is True
        assert I.unlink_action(s, setup["sdr"], setup["a1"]) is False
    with db.session() as s:
        assert [a.reference for a in I.linked_actions(s, setup["sdr"])] == ["2.2"]
        assert I.indicators_for_action(s, setup["a1"]) == []
        # the link is a tombstone (shared copies learn of it), not a deleted row
        rows = s.scalars(
            select(IndicatorAction).where(IndicatorAction.action_id == setup["a1"])
        ).all()
        assert len(rows) == 1 and rows[0].deleted_at is not None
    with db.transaction() as s:  # linking again brings back the same row
        assert I.link_action(s, setup["sdr"], setup["a1"]) is True
    with db.session() as s:
        again = s.scalars(
            select(IndicatorAction).where(IndicatorAction.action_id == setup["a1"])
        ).all()
        assert [r.id for r in again] == [rows[0].id] and again[0].deleted_at is None
        audit = s.scalars(
            select(AuditEntry.action).where(AuditEntry.row_id == rows[0].id).order_by(AuditEntry.id)
        ).all()
        assert audit == ["insert", "tombstone", "restore"]


def test_refusals_change_nothing(db, setup):
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.link_action(s, setup["sdr"], "not-an-action")
    assert err.value.field == "action"
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        I.link_action(s, "not-an-indicator", setup["a1"])
    assert err.value.field == "indicator"
    with db.transaction() as s:
        ps.tombstone(s, "action", setup["a2"])
    with pytest.raises(ValidationError), db.transaction() as s:
        I.link_action(s, setup["sdr"], setup["a2"])
    with db.session() as s:
        assert s.scalars(select(IndicatorAction)).all() == []


def test_action_indicator_rows_give_the_latest_figure_and_status(db, setup):
    with db.transaction() as s:
        I.link_action(s, setup["sdr"], setup["a1"])
        I.link_action(s, setup["marac"], setup["a1"])
    with db.session() as s:
        rows = I.action_indicator_rows(s, setup["a1"], TODAY)
        assert I.action_indicator_rows(s, setup["a2"], TODAY) == []
    assert [r.code for r in rows] == ["PI 2", "PI 3"]
    marac, sdr = rows
    assert (marac.value, marac.status, marac.active) == (None, I.NO_DATA, False)
    assert sdr.latest_label == I.parse_period("2013/14 Q4").label
    assert (sdr.value_text, sdr.target_text, sdr.status) == ("41.5%", "40.0%", I.MET)
    assert sdr.actions == 1
    # a deleted indicator is no longer shown
    with db.transaction() as s:
        I.delete_indicator(s, setup["marac"])
    with db.session() as s:
        assert [r.code for r in I.action_indicator_rows(s, setup["a1"], TODAY)] == ["PI 3"]


def test_indicator_choices_active_first_those_without_a_reference_last(db, setup):
    with db.transaction() as s:
        I.create_indicator(
            s, name="Alarms issued", unit="count", direction="higher", period="quarter"
        )
    with db.session() as s:
        choices = I.indicator_choices(s)
    assert [(c.display_name, c.active) for c in choices] == [
        ("PI 3 Sanction detection rate", True),
        ("Alarms issued", True),
        ("PI 2 Referrals to MARAC", False),
    ]
