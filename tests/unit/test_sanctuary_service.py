"""Sanctuary Scheme services: cases, the checklist, stages, measures, stock, follow-ups,
location rules (postcode district only, addresses off by default) and the queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from dvcoord.errors import ValidationError
from dvcoord.services import sanctuary as S
from dvcoord.store import Database
from dvcoord.store.schema.core import AuditEntry
from dvcoord.store.schema.plans import Agency
from dvcoord.store.schema.sanctuary import (
    HardwareItem,
    MeasureFitted,
    SanctuaryCase,
)

TODAY = date(2026, 11, 23)
D = TODAY - timedelta(days=60)  # referral date used by most tests


def day(n: int) -> date:
    return D + timedelta(days=n)


@pytest.fixture
def base(db):
    """Two agencies, the catalogue, a contractor; ids by name."""
    with db.transaction() as s:
        police = Agency(name="Kent Police", short_name="Police")
        housing = Agency(name="District Council Housing", short_name="Housing")
        s.add_all([police, housing])
        s.flush()
        S.ensure_catalogue(s)
        items = {i.kind: i.id for i in S.catalogue(s)}
        firm = S.create_contractor(s, name="Demo Locks Ltd", trade="locksmith")
        return {"police": police.id, "housing": housing.id, "firm": firm.id, **items}


def new_case(s, base, ref="SDC-SS-2026-001", **kw):
    values = dict(
        reference=ref,
        agency_id=base["police"],
        referral_date=D,
        tenure="private rented",
        risk_level="high",
        today=TODAY,
    )
    values.update(kw)
    return S.create_case(s, **values).case


def ready_for_works(s, base, ref="SDC-SS-2026-001", **kw):
    """A case assessed and approved with the whole checklist done."""
    case = new_case(
        s,
        base,
        ref,
        consent=True,
        consent_on=day(1),
        permission="given",
        permission_requested_on=day(1),
        permission_on=day(3),
        survey_on=day(2),
        survey_officer="PC 1187",
        perpetrator_gone=True,
        perpetrator_gone_on=day(0),
        **kw,
    )
    S.move_stage(s, case.id, "assessed", day(4), today=TODAY)
    S.move_stage(s, case.id, "approved", day(5), today=TODAY)
    return case


def installed_case(s, base, ref="SDC-SS-2026-001", cost=15000):
    case = ready_for_works(s, base, ref)
    S.move_stage(s, case.id, "works ordered", day(6), today=TODAY)
    S.record_measure(
        s,
        case_id=case.id,
        item_id=base["reinforced door"],
        quantity=1,
        unit_cost_pence=cost,
        fitted_on=day(10),
        contractor_id=base["firm"],
        today=TODAY,
    )
    S.move_stage(s, case.id, "installed", day(10), today=TODAY)
    return case


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


# --------------------------------------------------------------------------- location
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("TN13", "TN13"),
        (" tn13 ", "TN13"),
        ("tn 13", "TN13"),
        ("br8", "BR8"),
        ("EC1A", "EC1A"),
        ("w1", "W1"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_postcode_districts_are_normalised(typed, stored):
    assert S.normalise_district(typed) == stored


@pytest.mark.parametrize(
    ("typed", "district"),
    [("TN13 1AA", "TN13"), ("tn131aa", "TN13"), ("TN1 1AA", "TN1"), ("TN13 1", "TN13")],
)
def test_a_full_postcode_is_refused_asking_for_the_district(typed, district):
    with pytest.raises(ValidationError) as err:
        S.normalise_district(typed)
    assert err.value.field == "postcode_district"
    message = str(err.value)
    assert f'"{district}"' in message and "district" in message and "full postcode" in message


@pytest.mark.parametrize("typed", ["XYZ", "Q1", "13TN", "Sevenoaks", "TN13A1", "1234"])
def test_something_that_is_not_a_district_is_refused(typed):
    with pytest.raises(ValidationError, match="not a postcode district"):
        S.normalise_district(typed)


def test_a_case_with_a_full_postcode_is_refused_and_nothing_is_written(db, base):
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        new_case(s, base, postcode_district="TN13 1AA")
    assert err.value.field == "postcode_district"
    assert count(db, SanctuaryCase) == 0


@pytest.mark.parametrize(
    "text",
    [
        "Lives at 12 Acacia Avenue now",
        "3a High St, back door weak",
        "Post to TN13 1AA please",
        "flat 2 on the first floor",
        "14, Station Road",
    ],
)
def test_an_address_in_the_notes_is_warned_about(db, base, text):
    with db.transaction() as s:
        result = S.create_case(
            s,
            reference="SDC-SS-2026-009",
            agency_id=base["police"],
            referral_date=D,
            notes=text,
            today=TODAY,
        )
    assert [w.field for w in result.warnings] == ["notes"]
    assert "district" in result.warnings[0].message
    with db.session() as s:  # warned, not refused: nothing lost
        assert s.get(SanctuaryCase, result.case.id).notes == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "Survey booked for 12/09, officer to call",
        "Spent £12 on extra screws",
        "Risk reviewed at MARAC on 3 March",
        "Two window locks to the rear",
        "",
    ],
)
def test_ordinary_notes_are_not_taken_for_addresses(text):
    assert S.address_warnings(text) == []


def test_a_name_as_case_reference_is_warned_about(db, base):
    with db.transaction() as s:
        result = S.create_case(
            s, reference="Jane Smith", agency_id=base["police"], referral_date=D, today=TODAY
        )
    assert any(w.field == "reference" and "name" in w.message for w in result.warnings)


def test_addresses_are_off_by_default_and_refused(db, base):
    with db.session() as s:
        assert S.address_enabled(s) is False
    with pytest.raises(ValidationError, match="switched off") as err, db.transaction() as s:
        new_case(s, base, address="12 Acacia Avenue, Sevenoaks")
    assert err.value.field == "address"
    assert count(db, SanctuaryCase) == 0


def test_addresses_when_enabled_and_cleared_when_switched_off(db, base):
    with db.transaction() as s:
        S.set_address_enabled(s, True)
        case = new_case(s, base, address="12 Acacia Avenue")
    with db.session() as s:
        assert s.get(SanctuaryCase, case.id).address == "12 Acacia Avenue"
    with pytest.raises(ValidationError, match="1 case has a full address"), db.transaction() as s:
        S.set_address_enabled(s, False)
    with db.session() as s:
        assert S.address_enabled(s)  # refused: nothing changed
    with db.transaction() as s:
        assert S.set_address_enabled(s, False, clear=True) == 1
    with db.session() as s:
        assert not S.address_enabled(s)
        assert s.get(SanctuaryCase, case.id).address == ""


# --------------------------------------------------------------------------- cases
def test_case_needs_reference_agency_and_date(db, base):
    cases = [
        ({"reference": "  "}, "reference"),
        ({"agency_id": None}, "agency"),
        ({"referral_date": None}, "referral_date"),
        ({"referral_date": TODAY + timedelta(days=1)}, "referral_date"),
        ({"risk_level": "very high"}, "risk"),
        ({"tenure": "caravan"}, "tenure"),
        ({"reference": "X" * 61}, "reference"),
    ]
    for changes, field in cases:
        with pytest.raises(ValidationError) as err, db.transaction() as s:
            new_case(s, base, **changes)
        assert err.value.field == field, changes
    assert count(db, SanctuaryCase) == 0


def test_case_reference_is_unique_ignoring_case(db, base):
    with db.transaction() as s:
        new_case(s, base, "SDC-SS-2026-001")
    with pytest.raises(ValidationError, match="already a case"), db.transaction() as s:
        new_case(s, base, "sdc-ss-2026-001")


def test_ticks_need_their_dates_and_dates_their_ticks(db, base):
    for changes, field in [
        ({"consent": True}, "consent_on"),
        ({"consent_on": day(1)}, "consent_on"),
        ({"perpetrator_gone": True}, "perpetrator_gone_on"),
        ({"permission": "given"}, "permission_on"),
        ({"permission_on": day(2)}, "permission"),
        ({"permission": "requested", "permission_on": day(2)}, "permission_on"),
        (
            {"permission": "given", "permission_requested_on": day(5), "permission_on": day(2)},
            "permission_on",
        ),
        ({"survey_officer": "PC 1"}, "survey_on"),
        ({"survey_on": TODAY + timedelta(days=2)}, "survey_on"),
        ({"tenure": "owner-occupier", "permission": "requested"}, "permission"),
    ]:
        with pytest.raises(ValidationError) as err, db.transaction() as s:
            new_case(s, base, **changes)
        assert err.value.field == field, changes


def test_update_keeps_what_was_not_changed(db, base):
    with db.transaction() as s:
        case = new_case(s, base, referring_officer="IDVA 3", postcode_district="TN13")
    with db.transaction() as s:
        S.update_case(s, case.id, marac=True, today=TODAY)
    with db.session() as s:
        row = s.get(SanctuaryCase, case.id)
        assert (row.marac, row.referring_officer, row.postcode_district) == (True, "IDVA 3", "TN13")


def test_referral_date_cannot_move_after_a_later_stage(db, base):
    with db.transaction() as s:
        case = new_case(s, base)
        S.move_stage(s, case.id, "assessed", day(2), today=TODAY)
    with pytest.raises(ValidationError, match="later stages") as err, db.transaction() as s:
        S.update_case(s, case.id, referral_date=day(3), today=TODAY)
    assert err.value.field == "referral_date"


def test_delete_case_only_without_measures(db, base):
    with db.transaction() as s:
        plain = new_case(s, base, "SDC-SS-2026-001")
        fitted = installed_case(s, base, "SDC-SS-2026-002")
    with pytest.raises(ValidationError, match="measures fitted"), db.transaction() as s:
        S.delete_case(s, fitted.id)
    with db.transaction() as s:
        S.delete_case(s, plain.id)
    with db.session() as s:
        assert s.get(SanctuaryCase, plain.id).deleted_at is not None
        assert [r.reference for r in S.case_rows(s, TODAY)] == ["SDC-SS-2026-002"]


# --------------------------------------------------------------------------- checklist
def test_ordering_works_without_the_checklist_is_refused_naming_what_is_missing(db, base):
    with db.transaction() as s:
        case = new_case(s, base)
        S.move_stage(s, case.id, "assessed", day(1), today=TODAY)
        S.move_stage(s, case.id, "approved", day(2), today=TODAY)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        S.move_stage(s, case.id, "works ordered", day(3), today=TODAY)
    message = str(err.value)
    for words in (
        "consent",
        "landlord's permission",
        "crime-prevention survey",
        "perpetrator no longer lives there",
    ):
        assert words in message
    with db.session() as s:
        assert s.get(SanctuaryCase, case.id).stage == "approved"
    # Each item done in turn: the message shrinks to what is still missing.
    with db.transaction() as s:
        S.update_case(s, case.id, consent=True, consent_on=day(1), survey_on=day(2), today=TODAY)
    with pytest.raises(ValidationError) as err, db.transaction() as s:
        S.move_stage(s, case.id, "works ordered", day(3), today=TODAY)
    assert "consent" not in str(err.value) and "survey" not in str(err.value)
    assert "landlord's permission" in str(err.value) and "perpetrator" in str(err.value)


def test_permission_refused_blocks_works_and_says_so(db, base):
    with db.transaction() as s:
        case = ready_for_works(s, base)
        S.update_case(s, case.id, permission="refused", permission_on=day(3), today=TODAY)
    expected = r"landlord's permission \(refused\)"
    with pytest.raises(ValidationError, match=expected), db.transaction() as s:
        S.move_stage(s, case.id, "works ordered", day(6), today=TODAY)
    with db.session() as s:
        items = {i.key: i for i in S.checklist(S.get_case(s, case.id))}
    assert not items["permission"].done and "Refused" in items["permission"].detail


@pytest.mark.parametrize("tenure", ["council", "housing association", "private rented"])
def test_rented_homes_need_permission(db, base, tenure):
    with db.transaction() as s:
        case = new_case(s, base, tenure=tenure)
        assert "the landlord's permission" in S.missing_for_works(case)


@pytest.mark.parametrize("tenure", ["owner-occupier", "other"])
def test_other_homes_need_no_permission(db, base, tenure):
    with db.transaction() as s:
        case = new_case(
            s,
            base,
            tenure=tenure,
            consent=True,
            consent_on=day(1),
            survey_on=day(1),
            perpetrator_gone=True,
            perpetrator_gone_on=day(0),
        )
        assert S.missing_for_works(case) == []
        items = {i.key: i for i in S.checklist(case)}
        assert items["permission"].done and "Not needed" in items["permission"].detail
        S.move_stage(s, case.id, "assessed", day(2), today=TODAY)
        S.move_stage(s, case.id, "approved", day(3), today=TODAY)
        S.move_stage(s, case.id, "works ordered", day(4), today=TODAY)
        assert case.stage == "works ordered" and case.works_ordered_on == day(4)


def test_checklist_words_and_recommended_items(db, base):
    with db.transaction() as s:
        case = new_case(s, base, marker_placed=True, marker_on=day(2))
        items = S.checklist(case)
    assert [i.key for i in items] == [
        "consent",
        "permission",
        "survey",
        "perpetrator",
        "marker",
        "fire",
    ]
    assert [i.required for i in items] == [True, True, True, True, False, False]
    assert items[0].detail == "Not recorded yet" and not items[0].done
    assert items[4].done and items[4].detail == f"Placed {day(2):%d/%m/%Y}"
    assert items[5].detail == "Not yet"


# --------------------------------------------------------------------------- stages
def test_allowed_moves_follow_the_transitions():
    assert [s for s, _ in S.allowed_moves("referred")] == ["assessed", "declined", "withdrawn"]
    assert [s for s, _ in S.allowed_moves("approved")] == ["works ordered", "withdrawn"]
    assert S.allowed_moves("closed") == [] and S.allowed_moves("declined") == []
    assert dict(S.allowed_moves("works ordered"))["installed"] == "Mark installed"


def test_installing_before_approval_is_refused(db, base):
    with db.transaction() as s:
        case = new_case(s, base)
        S.move_stage(s, case.id, "assessed", day(1), today=TODAY)
    expected = "only be installed after the case is approved"
    with pytest.raises(ValidationError, match=expected), db.transaction() as s:
        S.move_stage(s, case.id, "installed", day(2), today=TODAY)
    with pytest.raises(ValidationError, match="approved first"), db.transaction() as s:
        S.move_stage(s, case.id, "works ordered", day(2), today=TODAY)


def test_measures_before_works_are_ordered_are_refused(db, base):
    with db.transaction() as s:
        case = ready_for_works(s, base)  # approved, works not ordered
    expected = "approved and works are ordered"
    with pytest.raises(ValidationError, match=expected) as err, db.transaction() as s:
        S.record_measure(
            s, case_id=case.id, item_id=base["door chain"], fitted_on=day(6), today=TODAY
        )
    assert err.value.field == "case"
    assert count(db, MeasureFitted) == 0


def test_installed_needs_a_measure_and_dates_in_order(db, base):
    with db.transaction() as s:
        case = ready_for_works(s, base)
        S.move_stage(s, case.id, "works ordered", day(6), today=TODAY)
    with pytest.raises(ValidationError, match="Record the measures"), db.transaction() as s:
        S.move_stage(s, case.id, "installed", day(8), today=TODAY)
    expected = "before the case became"
    with pytest.raises(ValidationError, match=expected) as err, db.transaction() as s:
        S.move_stage(s, case.id, "installed", day(5), today=TODAY)
    assert err.value.field == "stage_date"
    with pytest.raises(ValidationError, match="future"), db.transaction() as s:
        S.move_stage(s, case.id, "installed", TODAY + timedelta(days=1), today=TODAY)
    with pytest.raises(ValidationError, match="before works were ordered"), db.transaction() as s:
        S.record_measure(
            s, case_id=case.id, item_id=base["door chain"], fitted_on=day(5), today=TODAY
        )


def test_follow_up_done_needs_a_visit_and_closing_an_outcome(db, base):
    with db.transaction() as s:
        case = installed_case(s, base)
    with pytest.raises(ValidationError, match="Record the follow-up visit"), db.transaction() as s:
        S.move_stage(s, case.id, "follow-up done", day(20), today=TODAY)
    with db.transaction() as s:
        S.record_follow_up(
            s,
            case_id=case.id,
            visit_on=day(30),
            by_whom="Co-ordinator",
            outcome="All measures in place",
            today=TODAY,
        )
        S.move_stage(s, case.id, "follow-up done", day(30), today=TODAY)
    with pytest.raises(ValidationError, match="outcome") as err, db.transaction() as s:
        S.move_stage(s, case.id, "closed", day(31), today=TODAY)
    assert err.value.field == "outcome"
    with db.transaction() as s:
        S.move_stage(s, case.id, "closed", day(31), outcome="remained in home", today=TODAY)
    with db.session() as s:
        row = s.get(SanctuaryCase, case.id)
        assert (row.stage, row.closed_on, row.outcome) == ("closed", day(31), "remained in home")
    with pytest.raises(ValidationError, match="has ended"), db.transaction() as s:
        S.move_stage(s, case.id, "withdrawn", day(32), today=TODAY)


def test_declined_with_a_reason_and_revert(db, base):
    with db.transaction() as s:
        case = new_case(s, base)
        S.move_stage(s, case.id, "assessed", day(1), today=TODAY)
        result = S.move_stage(
            s, case.id, "declined", day(2), reason="Moving to 4 Elm Road instead", today=TODAY
        )
    assert [w.field for w in result.warnings] == ["reason"]
    with db.transaction() as s:
        S.revert_stage(s, case.id)
    with db.session() as s:
        row = s.get(SanctuaryCase, case.id)
        assert (row.stage, row.declined_on, row.end_reason) == ("assessed", None, "")
        assert row.assessed_on == day(1)
    with db.transaction() as s:
        S.revert_stage(s, case.id)
    with pytest.raises(ValidationError, match="nothing to undo"), db.transaction() as s:
        S.revert_stage(s, case.id)


def test_a_stage_change_is_audited(db, base):
    with db.transaction() as s:
        case = new_case(s, base)
        S.move_stage(s, case.id, "assessed", day(1), today=TODAY)
    with db.session() as s:
        actions = [
            a.action
            for a in s.scalars(
                select(AuditEntry).where(AuditEntry.row_id == case.id).order_by(AuditEntry.id)
            )
        ]
    assert actions == ["insert", "update"]


# --------------------------------------------------------------------------- measures & stock
def test_costs_are_never_negative(db, base):
    with db.transaction() as s:
        case = ready_for_works(s, base)
        S.move_stage(s, case.id, "works ordered", day(6), today=TODAY)
    with pytest.raises(ValidationError, match="cannot be negative"), db.transaction() as s:
        S.record_measure(
            s,
            case_id=case.id,
            item_id=base["door chain"],
            unit_cost_pence=-100,
            fitted_on=day(7),
            today=TODAY,
        )
    with pytest.raises(ValidationError, match="cannot be negative"):
        S.parse_cost("-12.50")
    with pytest.raises(ValidationError, match="cannot be negative"), db.transaction() as s:
        S.record_delivery(
            s, item_id=base["door chain"], quantity=2, on=day(1), unit_cost_pence=-1, today=TODAY
        )
    with pytest.raises(ValidationError, match="cannot be negative"), db.transaction() as s:
        S.create_item(s, kind="other", name="Padlock", usual_cost_pence=-5)
    assert S.parse_cost("£1,234.5") == 123450 and S.parse_cost("") is None
    with pytest.raises(ValidationError, match="not an amount"):
        S.parse_cost("twelve")
    assert count(db, MeasureFitted) == 0


def test_fitting_more_than_in_stock_is_refused(db, base):
    chain = base["door chain"]
    with db.transaction() as s:
        case = ready_for_works(s, base)
        S.move_stage(s, case.id, "works ordered", day(6), today=TODAY)
        S.record_delivery(s, item_id=chain, quantity=3, on=day(1), today=TODAY)
    expected = r"Only 3 × Door chain in stock"
    with pytest.raises(ValidationError, match=expected) as err, db.transaction() as s:
        S.record_measure(
            s,
            case_id=case.id,
            item_id=chain,
            quantity=4,
            fitted_on=day(7),
            from_stock=True,
            today=TODAY,
        )
    assert err.value.field == "quantity"
    with db.transaction() as s:
        m = S.record_measure(
            s,
            case_id=case.id,
            item_id=chain,
            quantity=2,
            unit_cost_pence=1250,
            fitted_on=day(7),
            from_stock=True,
            today=TODAY,
        )
        # Not from stock: no limit, and the store is untouched.
        S.record_measure(
            s, case_id=case.id, item_id=chain, quantity=5, fitted_on=day(7), today=TODAY
        )
    with db.session() as s:
        assert S.stock_balance(s, chain) == 1
    with db.transaction() as s:  # 2 + the 1 left may be fitted instead of 2
        S.update_measure(s, m.id, quantity=3, today=TODAY)
    with db.session() as s:
        assert S.stock_balance(s, chain) == 0
    with pytest.raises(ValidationError, match="Only 3 × Door chain"), db.transaction() as s:
        S.update_measure(s, m.id, quantity=4, today=TODAY)
    with db.transaction() as s:  # not from stock after all: the 3 go back
        S.update_measure(s, m.id, from_stock=False, today=TODAY)
    with db.session() as s:
        assert S.stock_balance(s, chain) == 3
    with db.transaction() as s:
        S.update_measure(s, m.id, from_stock=True, quantity=1, today=TODAY)
        assert S.stock_balance(s, chain) == 2
        S.delete_measure(s, m.id)
        assert S.stock_balance(s, chain) == 3


def test_stock_counts_deliveries_and_reorders(db, base):
    lock = base["window lock"]
    with db.transaction() as s:
        S.set_stock_level(s, lock, reorder_level=5, supplier="Demo Hardware Ltd")
        S.record_delivery(
            s,
            item_id=lock,
            quantity=12,
            on=day(1),
            unit_cost_pence=850,
            supplier="Demo Hardware Ltd",
            today=TODAY,
        )
        S.record_stock_count(s, item_id=lock, counted=4, on=day(2), today=TODAY)
    with db.session() as s:
        row = next(r for r in S.stock_rows(s, TODAY) if r.item_id == lock)
        assert (row.in_store, row.reorder_level, row.supplier) == (4, 5, "Demo Hardware Ltd")
        assert row.to_reorder and row.status == "Reorder now"
        assert row.last_delivery == day(1)
        assert [r.item_id for r in S.reorder_rows(s, TODAY)] == [lock]
        kinds = [m.kind for m in S.movements(s, lock)]
        assert sorted(kinds) == ["adjustment", "delivery"]
    with pytest.raises(ValidationError, match="nothing to adjust"), db.transaction() as s:
        S.record_stock_count(s, item_id=lock, counted=4, on=day(3), today=TODAY)
    for bad, field in [(0, "quantity"), ("many", "quantity"), (-3, "quantity")]:
        with pytest.raises(ValidationError) as err, db.transaction() as s:
            S.record_delivery(s, item_id=lock, quantity=bad, on=day(1), today=TODAY)
        assert err.value.field == field
    with pytest.raises(ValidationError, match="0 to 10000"), db.transaction() as s:
        S.set_stock_level(s, lock, reorder_level=-1)


def test_catalogue_ids_are_the_same_in_every_database(tmp_path, db, base):
    other = Database.create(tmp_path / "other.sqlite", user="B")
    try:
        with other.transaction() as s:
            assert S.ensure_catalogue(s) == len(S.ITEM_KINDS)
            assert S.ensure_catalogue(s) == 0
            ids_there = {i.kind: i.id for i in S.catalogue(s)}
    finally:
        other.close()
    assert ids_there == {k: base[k] for k in S.ITEM_KINDS}
    with db.transaction() as s:  # a deleted catalogue item stays deleted
        s.get(HardwareItem, base["other"]).deleted_at = s.get(
            HardwareItem, base["other"]
        ).created_at
        s.flush()
        assert S.ensure_catalogue(s) == 0
        assert "other" not in {i.kind for i in S.catalogue(s)}


def test_items_and_contractors_are_validated(db, base):
    with db.transaction() as s:
        S.create_item(
            s, kind="additional lock", name="Mortice lock (5 lever)", usual_cost_pence=4500
        )
    for call, field in [
        (lambda s: S.create_item(s, kind="rocket", name="X"), "kind"),
        (lambda s: S.create_item(s, kind="other", name=""), "name"),
        (lambda s: S.create_item(s, kind="other", name="mortice lock (5 LEVER)"), "name"),
        (lambda s: S.create_contractor(s, name="demo locks ltd"), "name"),
        (lambda s: S.create_contractor(s, name="New firm", phone="call me"), "phone"),
        (lambda s: S.create_contractor(s, name="New firm", email="nobody"), "email"),
    ]:
        with pytest.raises(ValidationError) as err, db.transaction() as s:
            call(s)
        assert err.value.field == field
    with db.transaction() as s:
        S.update_contractor(s, base["firm"], phone="01732 000000", active=False)
        assert S.contractors(s) == []
        assert [c.name for c in S.contractors(s, include_inactive=True)] == ["Demo Locks Ltd"]


def test_contractor_rows_total_their_measures(db, base):
    with db.transaction() as s:
        installed_case(s, base, "SDC-SS-2026-001", cost=20000)
        installed_case(s, base, "SDC-SS-2026-002", cost=30000)
        rows = S.contractor_rows(s)
    assert [(r.name, r.measures, r.spend_pence, r.last_fitted) for r in rows] == [
        ("Demo Locks Ltd", 2, 50000, day(10))
    ]


# --------------------------------------------------------------------------- follow-ups
def test_follow_up_visits_rules_and_due_list(db, base):
    with db.transaction() as s:
        waiting = ready_for_works(s, base, "SDC-SS-2026-001")
        case = installed_case(s, base, "SDC-SS-2026-002")
    with pytest.raises(ValidationError, match="after installation"), db.transaction() as s:
        S.record_follow_up(s, case_id=waiting.id, visit_on=day(20), outcome="x", today=TODAY)
    with pytest.raises(ValidationError, match="before the installation"), db.transaction() as s:
        S.record_follow_up(s, case_id=case.id, visit_on=day(9), outcome="x", today=TODAY)
    with pytest.raises(ValidationError, match="what the visit found"), db.transaction() as s:
        S.record_follow_up(s, case_id=case.id, visit_on=day(20), outcome=" ", today=TODAY)
    with db.session() as s:
        due = S.follow_ups_due(s, TODAY)
    assert [(d.reference, d.due, d.days_overdue) for d in due] == [
        ("SDC-SS-2026-002", day(10 + 42), (TODAY - day(52)).days)
    ]
    with db.transaction() as s:
        visit, warnings = S.record_follow_up(
            s,
            case_id=case.id,
            visit_on=day(40),
            by_whom="Co-ordinator",
            outcome="Rear window lock needed",
            further_work=True,
            today=TODAY,
        )
        assert warnings == ()
        S.set_follow_up_days(s, 30)
    with db.session() as s:
        assert S.follow_ups_due(s, TODAY) == []  # 30 days after the last visit: day 70
        assert S.follow_ups_due(s, TODAY, within_days=10)[0].due == day(70)
        assert [v.id for v in S.follow_ups(s, case.id)] == [visit.id]
    with pytest.raises(ValidationError, match="1 to 365"), db.transaction() as s:
        S.set_follow_up_days(s, 0)


# --------------------------------------------------------------------------- queries
def test_case_rows_filters(db, base):
    with db.transaction() as s:
        a = new_case(
            s,
            base,
            "SDC-SS-2026-001",
            risk_level="high",
            tenure="council",
            referral_date=date(2025, 6, 1),
            postcode_district="TN13",
        )
        b = new_case(
            s,
            base,
            "SDC-SS-2026-002",
            risk_level="medium",
            tenure="owner-occupier",
            agency_id=base["housing"],
            referral_date=date(2026, 5, 1),
        )
        c = installed_case(s, base, "KP-2026-003")

    def refs(**kw) -> list[str]:
        with db.session() as s:
            return [r.reference for r in S.case_rows(s, TODAY, **kw)]

    assert refs() == ["SDC-SS-2026-001", "SDC-SS-2026-002", "KP-2026-003"]
    assert refs(stages=["installed"]) == ["KP-2026-003"]
    assert refs(stages=["referred"], risk="medium") == ["SDC-SS-2026-002"]
    assert refs(tenure="council") == ["SDC-SS-2026-001"]
    assert refs(agency_id=base["housing"]) == ["SDC-SS-2026-002"]
    assert refs(fy=2025) == ["SDC-SS-2026-001"]
    assert refs(fy=2026) == ["SDC-SS-2026-002", "KP-2026-003"]
    assert refs(search="kp 003") == ["KP-2026-003"]
    with db.session() as s:
        rows = {r.case_id: r for r in S.case_rows(s, TODAY)}
    assert rows[a.id].missing and "the landlord's permission" in rows[a.id].missing
    assert "the landlord's permission" not in rows[b.id].missing
    assert rows[a.id].agency == "Police" and rows[b.id].agency_name == "District Council Housing"
    assert rows[c.id].measures == 1 and rows[c.id].spend_pence == 15000
    assert rows[c.id].waiting_days == 10 and rows[c.id].missing == ()
    assert rows[c.id].follow_up_due == day(52)
    assert rows[a.id].waiting_days == (TODAY - date(2025, 6, 1)).days
    assert rows[a.id].postcode_district == "TN13"


def test_waiting_longest_oldest_referral_first(db, base):
    with db.transaction() as s:
        new_case(s, base, "SDC-SS-2026-001", referral_date=day(5))
        new_case(s, base, "SDC-SS-2026-002", referral_date=day(1))
        installed_case(s, base, "SDC-SS-2026-003")
        declined = new_case(s, base, "SDC-SS-2026-004", referral_date=day(0))
        S.move_stage(s, declined.id, "declined", day(2), today=TODAY)
        rows = S.waiting_longest(s, TODAY, limit=5)
    assert [(r.reference, r.waiting_days) for r in rows] == [
        ("SDC-SS-2026-002", 59),
        ("SDC-SS-2026-001", 55),
    ]


def _fit(s, base, case_id, on, pence, qty=1, kind="door viewer"):
    return S.record_measure(
        s,
        case_id=case_id,
        item_id=base[kind],
        quantity=qty,
        unit_cost_pence=pence,
        fitted_on=on,
        today=TODAY,
    )


def test_spend_by_financial_year_and_quarter(db, base):
    with db.transaction() as s:
        case = new_case(
            s,
            base,
            "SDC-SS-2024-001",
            referral_date=date(2024, 3, 1),
            tenure="other",
            consent=True,
            consent_on=date(2024, 3, 1),
            survey_on=date(2024, 3, 2),
            perpetrator_gone=True,
            perpetrator_gone_on=date(2024, 3, 1),
        )
        for stage, on in [
            ("assessed", date(2024, 3, 3)),
            ("approved", date(2024, 3, 4)),
            ("works ordered", date(2024, 3, 5)),
        ]:
            S.move_stage(s, case.id, stage, on, today=TODAY)
        _fit(s, base, case.id, date(2024, 3, 31), 1000)  # 2023/24 Q4
        _fit(s, base, case.id, date(2024, 4, 1), 2000, qty=2)  # 2024/25 Q1
        _fit(s, base, case.id, date(2024, 6, 30), 300)  # Q1 again: another month
        _fit(s, base, case.id, date(2024, 9, 30), 500, kind="smoke alarm")  # Q2
        _fit(s, base, case.id, date(2025, 1, 2), 700)  # 2024/25 Q4
        _fit(s, base, case.id, date(2025, 4, 1), 900)  # 2025/26 Q1
        S.record_delivery(
            s,
            item_id=base["smoke alarm"],
            quantity=10,
            on=date(2024, 5, 1),
            unit_cost_pence=1500,
            today=TODAY,
        )
        summary = S.spend_summary(s, 2024, 2024)
        wide = S.spend_summary(s, 2023, 2025)
    q = summary.quarters
    assert sorted(q) == [(2024, 1), (2024, 2), (2024, 3), (2024, 4)]
    assert q[(2024, 1)] == S.SpendCell(2, 3, 1, 4300)
    assert q[(2024, 2)] == S.SpendCell(1, 1, 1, 500)
    assert q[(2024, 3)] == S.SpendCell()
    assert q[(2024, 4)].spend_pence == 700
    assert summary.years[2024] == S.SpendCell(4, 5, 1, 5500)
    assert summary.stock_bought == {2024: 15000}
    assert [(r.item, r.quantity, r.spend_pence) for r in summary.items] == [
        ("Door viewer", 4, 5000),
        ("Smoke alarm", 1, 500),
    ]
    assert {y: c.spend_pence for y, c in wide.years.items()} == {2023: 1000, 2024: 5500, 2025: 900}
    assert wide.total.spend_pence == 7400 and wide.total.cases == 3  # one case, three years
    with db.session() as s:
        assert S.spend_years(s, date(2026, 5, 1)) == (2023, 2026)
        assert S.spend_years(s, date(2031, 5, 1)) == (2027, 2031)
    with pytest.raises(ValidationError), db.session() as s:
        S.spend_summary(s, 2025, 2024)


def test_referral_to_installation_times(db, base):
    with db.transaction() as s:
        for n, lag in enumerate((10, 30, 20), start=1):
            case = ready_for_works(s, base, f"SDC-SS-2026-00{n}")
            S.move_stage(s, case.id, "works ordered", day(6), today=TODAY)
            _fit(s, base, case.id, day(lag), 100)
            S.move_stage(s, case.id, "installed", day(lag), today=TODAY)
        times = S.installation_times(s, day(0), TODAY)
        none = S.installation_times(s, date(2020, 4, 1), date(2021, 3, 31))
    assert [r.days for r in times.rows] == [30, 20, 10]
    assert times.median == 20 and times.longest.reference == "SDC-SS-2026-002"
    assert dict(times.bands) == {
        "Up to 2 weeks": 1,
        "2 to 4 weeks": 1,
        "4 to 8 weeks": 1,
        "8 to 13 weeks": 0,
        "13 to 26 weeks": 0,
        "Over 26 weeks": 0,
    }
    assert none.rows == [] and none.median is None and none.longest is None


def test_dashboard_tiles(db, base):
    with db.session() as s:
        assert S.dashboard_tiles(s, TODAY) == []  # nothing recorded: no tiles
    with db.transaction() as s:
        new_case(s, base, "SDC-SS-2026-001", referral_date=day(-40))
        installed_case(s, base, "SDC-SS-2026-002", cost=12345)
        S.set_stock_level(s, base["smoke alarm"], reorder_level=3)
        S.record_delivery(s, item_id=base["smoke alarm"], quantity=2, on=day(1), today=TODAY)
    with db.session() as s:
        tiles = {t.key: t for t in S.dashboard_tiles(s, TODAY)}
    assert list(tiles) == [
        "sanctuary.open_by_stage",
        "sanctuary.waiting_longest",
        "sanctuary.follow_ups_due",
        "sanctuary.stock_to_reorder",
        "sanctuary.spend_this_year",
    ]
    assert tiles["sanctuary.open_by_stage"].value == "2"
    assert tiles["sanctuary.open_by_stage"].lines == ("Referred: 1", "Installed: 1")
    assert tiles["sanctuary.waiting_longest"].value == "100 days"
    assert tiles["sanctuary.waiting_longest"].severity == "warning"
    assert tiles["sanctuary.follow_ups_due"].value == "1"
    assert tiles["sanctuary.stock_to_reorder"].lines == ("Smoke alarm: 2 in store",)
    assert tiles["sanctuary.spend_this_year"].value == "£123.45"
    assert all(t.view == "sanctuary" for t in tiles.values())
