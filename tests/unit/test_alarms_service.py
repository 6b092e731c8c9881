"""Panic alarms: every rule of the stock, loans and device log (services, no Qt)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from dvcoord.errors import ValidationError
from dvcoord.services import alarms as A
from dvcoord.services.common import case_reference_warnings
from dvcoord.services.dates import add_months
from dvcoord.store import Database
from dvcoord.store.backups import copy_database
from dvcoord.store.schema.alarms import Alarm, DeviceLogEntry, Loan
from dvcoord.store.schema.core import AuditEntry
from dvcoord.store.schema.plans import Agency

TODAY = date(2026, 11, 23)


def _build_stock(db) -> dict[str, str]:
    """Two agencies, three types, three alarms."""
    with db.transaction() as s:
        police = Agency(name="Kent Police", short_name="Police", sector="police")
        idva = Agency(name="Oasis IDVA Service", short_name="IDVA", sector="voluntary sector")
        s.add_all([police, idva])
        s.flush()
        pendant = A.create_alarm_type(
            s, name="Pendant", test_interval_days=90, battery_life_months=24
        )
        mobile = A.create_alarm_type(
            s, name="Mobile handset", test_interval_days=30, battery_life_months=12, has_sim=True
        )
        fixed = A.create_alarm_type(s, name="Fixed home alarm", test_interval_days=180)
        a1 = A.create_alarm(
            s,
            asset_tag="WK-001",
            type_id=pendant.id,
            serial_number="PN-1001",
            purchase_date=date(2025, 1, 10),
            warranty_end=date(2027, 1, 10),
            today=TODAY,
        )
        a2 = A.create_alarm(
            s,
            asset_tag="WK-002",
            type_id=mobile.id,
            serial_number="MH-2002",
            sim_number="07700 900123",
            purchase_date=date(2025, 6, 1),
            today=TODAY,
        )
        a3 = A.create_alarm(
            s,
            asset_tag="WK-003",
            type_id=fixed.id,
            serial_number="FX-3003",
            purchase_date=date(2024, 3, 1),
            owner_agency_id=police.id,
            today=TODAY,
        )
        return {
            "police": police.id,
            "idva": idva.id,
            "pendant": pendant.id,
            "mobile": mobile.id,
            "fixed": fixed.id,
            "a1": a1.id,
            "a2": a2.id,
            "a3": a3.id,
        }


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """An empty database and one with the stock, made once; each test gets a copy
    (opening a copy is several times faster than creating a database)."""
    folder = tmp_path_factory.mktemp("alarm-templates")
    empty = Database.create(folder / "empty.sqlite", user="Test Officer", partnership="Test CSP")
    empty.close()
    stocked_path = copy_database(folder / "empty.sqlite", folder / "stock.sqlite")
    stocked = Database.open(stocked_path, user="Test Officer", backup=False)
    ids = _build_stock(stocked)
    stocked.close()
    return folder / "empty.sqlite", stocked_path, ids


@pytest.fixture
def db(request, templates, tmp_path):
    """This module's own ``db``: a copy of the empty template, or of the stocked one when
    the test also asks for ``stock``."""
    source = templates[1] if "stock" in request.fixturenames else templates[0]
    database = Database.open(
        copy_database(source, tmp_path / "test.sqlite"), user="Test Officer", backup=False
    )
    yield database
    database.close()


@pytest.fixture
def stock(templates):
    return templates[2]


def issue(db, ids, alarm="a1", **kw):
    args = dict(
        alarm_id=ids[alarm],
        case_reference="WK-MARAC-2026-031",
        agency_id=ids["idva"],
        issued_date=TODAY - timedelta(days=10),
        today=TODAY,
    )
    args.update(kw)
    with db.transaction() as s:
        return A.issue_alarm(s, **args)


def status_of(db, alarm_id):
    with db.session() as s:
        return s.get(Alarm, alarm_id).status


# --------------------------------------------------------------------------- stock
def test_create_alarm_rejects_duplicate_tag_and_serial_case_insensitively(db, stock):
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.create_alarm(s, asset_tag=" wk-001 ", type_id=stock["pendant"], today=TODAY)
    assert exc.value.field == "asset_tag"
    assert "WK-001" in str(exc.value)
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.create_alarm(
            s, asset_tag="WK-099", type_id=stock["pendant"], serial_number="pn-1001", today=TODAY
        )
    assert exc.value.field == "serial_number"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Alarm)) == 3


def test_asset_tag_can_be_reused_after_the_alarm_is_deleted(db, stock):
    with db.transaction() as s:
        A.delete_alarm(s, stock["a3"])
    with db.transaction() as s:
        again = A.create_alarm(s, asset_tag="WK-003", type_id=stock["fixed"], today=TODAY)
        assert again.id != stock["a3"]


def test_partial_unique_index_backs_up_the_service(db, stock):
    import sqlalchemy.exc

    with pytest.raises(sqlalchemy.exc.IntegrityError), db.transaction() as s:
        s.add(Alarm(asset_tag="WK-001", type_id=stock["pendant"]))
        s.flush()


def test_update_alarm_checks_uniqueness_against_others_only(db, stock):
    with db.transaction() as s:
        A.update_alarm(s, stock["a1"], asset_tag="WK-001", notes="Spare strap", today=TODAY)
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.update_alarm(s, stock["a1"], serial_number="MH-2002", today=TODAY)
    assert exc.value.field == "serial_number"


def test_alarm_field_rules(db, stock):
    cases = [
        (dict(asset_tag="  "), "asset_tag"),
        (dict(asset_tag="X" * 61), "asset_tag"),
        (dict(asset_tag="N1", type_id=""), "type"),
        (dict(asset_tag="N1", sim_number="07700 900999"), "sim_number"),  # pendant: no SIM
        (dict(asset_tag="N1", purchase_date=TODAY + timedelta(days=1)), "purchase_date"),
        (
            dict(asset_tag="N1", purchase_date=date(2025, 1, 1), warranty_end=date(2024, 1, 1)),
            "warranty_end",
        ),
        (dict(asset_tag="N1", status="issued"), "status"),
        (dict(asset_tag="N1", status="borrowed"), "status"),
    ]
    for kwargs, fld in cases:
        kwargs.setdefault("type_id", stock["pendant"])
        with db.transaction() as s, pytest.raises(ValidationError) as exc:
            A.create_alarm(s, today=TODAY, **kwargs)
        assert exc.value.field == fld, kwargs
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.create_alarm(s, asset_tag="N2", type_id=stock["mobile"], sim_number="12ab", today=TODAY)
    assert exc.value.field == "sim_number"


def test_alarm_type_rules(db, stock):
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.create_alarm_type(s, name="pendant")
    assert exc.value.field == "name"
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.create_alarm_type(s, name="Watch", test_interval_days="weekly")
    assert exc.value.field == "test_interval_days"
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.create_alarm_type(s, name="Watch", battery_life_months=0)
    assert exc.value.field == "battery_life_months"
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.update_alarm_type(s, stock["mobile"], has_sim=False)
    assert exc.value.field == "has_sim"
    with db.transaction() as s:
        A.update_alarm_type(s, stock["pendant"], test_interval_days=60, supplier="Acme")
    with db.session() as s:
        assert [t.name for t in A.alarm_types(s)] == [
            "Fixed home alarm",
            "Mobile handset",
            "Pendant",
        ]


def test_delete_refused_once_lent(db, stock):
    issue(db, stock)
    with db.transaction() as s, pytest.raises(ValidationError, match="retire it"):
        A.delete_alarm(s, stock["a1"])


# --------------------------------------------------------------------------- issuing
def test_issue_sets_status_default_review_and_is_audited(db, stock):
    result = issue(
        db, stock, issued_date=date(2026, 11, 30) - timedelta(days=30), officer="IDVA J", marac=True
    )
    assert result.warnings == ()
    assert result.loan.review_date == date(2027, 1, 31)  # 31/10 + 3 months, clamped
    assert status_of(db, stock["a1"]) == "issued"
    with db.session() as s:
        notes = set(
            s.scalars(
                select(AuditEntry.note).where(AuditEntry.row_id.in_([stock["a1"], result.loan.id]))
            )
        )
    assert "alarm issued" in notes


def test_default_review_clamps_month_end():
    assert A.default_review_date(date(2026, 11, 30)) == date(2027, 2, 28)
    assert A.default_review_date(date(2027, 11, 30)) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), -12) == date(2025, 12, 15)


def test_an_issued_alarm_cannot_be_issued_again(db, stock):
    issue(db, stock)
    with pytest.raises(ValidationError) as exc:
        issue(db, stock, case_reference="MARAC-2026-999")
    assert exc.value.field == "alarm"
    assert "already issued" in str(exc.value)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Loan)) == 1


@pytest.mark.parametrize(
    "status_op", ["mark_faulty", "send_to_repair", "mark_lost", "retire_alarm"]
)
def test_only_available_alarms_can_be_issued(db, stock, status_op):
    with db.transaction() as s:
        getattr(A, status_op)(s, alarm_id=stock["a1"], today=TODAY)
    with pytest.raises(ValidationError, match="not available") as exc:
        issue(db, stock)
    assert exc.value.field == "alarm"


def test_issue_field_rules(db, stock):
    bad = [
        (dict(case_reference="  "), "case_reference"),
        (dict(case_reference="X" * 61), "case_reference"),
        (dict(agency_id=None), "agency"),
        (dict(issued_date=TODAY + timedelta(days=1)), "issued_date"),
        (dict(review_date=TODAY - timedelta(days=1)), "review_date"),
        (dict(issued_date=date(2026, 1, 5)), "review_date"),  # default review long past
        (dict(issued_date=TODAY, review_date=TODAY), "review_date"),
        (dict(installed_date=TODAY - timedelta(days=20)), "installed_date"),
        (dict(police_marker_date=TODAY), "police_marker_date"),
        (
            dict(police_marker=True, police_marker_date=TODAY + timedelta(days=3)),
            "police_marker_date",
        ),
    ]
    for kwargs, fld in bad:
        with pytest.raises(ValidationError) as exc:
            issue(db, stock, **kwargs)
        assert exc.value.field == fld, kwargs
    assert status_of(db, stock["a1"]) == "available"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Loan)) == 0


def test_issue_date_cannot_overlap_the_previous_loan(db, stock):
    issue(db, stock, issued_date=date(2026, 9, 1), review_date=date(2026, 12, 1))
    with db.transaction() as s:
        A.return_alarm(s, alarm_id=stock["a1"], returned_date=date(2026, 11, 1), today=TODAY)
    with pytest.raises(ValidationError, match="01/11/2026") as exc:
        issue(db, stock, issued_date=date(2026, 10, 20))
    assert exc.value.field == "issued_date"


def test_case_reference_warning_is_returned_but_loan_saved(db, stock):
    result = issue(db, stock, case_reference="Jane Smith")
    assert [w.field for w in result.warnings] == ["case_reference"]
    assert "name" in result.warnings[0].message
    assert status_of(db, stock["a1"]) == "issued"


@pytest.mark.parametrize(
    "ref",
    [
        "MARAC-2024-117",
        "WK-MARAC-2025-031",
        "IDVA/23/0456",
        "CIN 123456",
        "SC-2024-88",
        "Op Bluebell 24",
        "DA24-0012",
        "KP/2025/1177",
        "2025-031",
        "TN-IDVA-17",
    ],
)
def test_real_case_references_pass(ref):
    assert case_reference_warnings(ref) == []


@pytest.mark.parametrize(
    ("ref", "word"),
    [
        ("Jane Smith", "name"),
        ("Mary-Ann O'Brien", "name"),
        ("Mrs Smith", "name"),
        ("Dr. Jones 2", "name"),
        ("smith", "may be a name"),
        ("JANE", "may be a name"),
        ("TN13 1AA", "postcode"),
        ("MARAC me14 2ll", "postcode"),
        ("12 Acacia Avenue", "address"),
        ("3a High St", "address"),
        ("Flat 2, Rose Court", "address"),
        ("07700 900123", "phone number"),
        ("+44 7700 900123", "phone number"),
        ("jane@example.org", "e-mail"),
    ],
)
def test_case_references_that_look_like_personal_data_warn(ref, word):
    warnings = case_reference_warnings(ref)
    assert warnings, ref
    assert all(w.field == "case_reference" for w in warnings)
    assert any(word in w.message for w in warnings), (ref, warnings)


def test_empty_reference_has_no_warning_but_is_refused_at_issue():
    assert case_reference_warnings("") == []


# --------------------------------------------------------------------------- life cycle
def test_full_life_cycle(db, stock):
    issue(db, stock, issued_date=date(2026, 8, 1), review_date=date(2026, 11, 30))
    with db.transaction() as s:
        A.mark_awaiting_return(s, alarm_id=stock["a1"], reason="risk reduced", today=TODAY)
    assert status_of(db, stock["a1"]) == "awaiting return"
    with db.transaction() as s:
        loan = A.return_alarm(
            s,
            alarm_id=stock["a1"],
            returned_date=TODAY,
            condition="good",
            reason="risk reduced",
            storage_location="Council offices",
            today=TODAY,
        )
        assert loan.ended_date == TODAY and loan.returned_date == TODAY
    assert status_of(db, stock["a1"]) == "available"
    with db.transaction() as s:
        A.send_to_repair(
            s, alarm_id=stock["a1"], details="Cracked case", cost_pence=2500, today=TODAY
        )
        A.back_in_service(s, alarm_id=stock["a1"], today=TODAY)
        A.retire_alarm(s, alarm_id=stock["a1"], today=TODAY)
    assert status_of(db, stock["a1"]) == "retired"
    with db.session() as s:
        history = A.device_history(s, stock["a1"])
    kinds = [e.kind for e in history.events]
    assert kinds == [
        "purchased",
        "issued",
        "status change",
        "status change",
        "repair",
        "repair",
        "status change",
    ]
    texts = [e.text for e in history.events]
    assert texts[3] == "Returned in good condition (risk reduced)."
    assert history.events[3].case_reference == "WK-MARAC-2026-031"  # linked to its loan
    assert texts[-1] == "Retired."
    assert any("£25.00" in e.text for e in history.events)
    assert history.next_test_due is None  # retired: nothing due


def test_retired_cannot_come_back(db, stock):
    with db.transaction() as s:
        A.retire_alarm(s, alarm_id=stock["a1"], today=TODAY)
    for op in (A.mark_found, A.back_in_service, A.mark_faulty, A.send_to_repair, A.mark_lost):
        with db.transaction() as s, pytest.raises(ValidationError) as exc:
            op(s, alarm_id=stock["a1"], today=TODAY)
        assert exc.value.field == "status"
    with db.transaction() as s, pytest.raises(ValidationError, match="retired"):
        A.add_log_entry(
            s, alarm_id=stock["a1"], kind="test", result="pass", entry_date=TODAY, today=TODAY
        )
    with db.transaction() as s, pytest.raises(ValidationError, match="retired"):
        A.retire_alarm(s, alarm_id=stock["a1"], today=TODAY)


def test_issued_alarm_cannot_be_marked_faulty_or_retired_without_a_return(db, stock):
    issue(db, stock)
    for op in (A.mark_faulty, A.retire_alarm, A.send_to_repair):
        with db.transaction() as s, pytest.raises(ValidationError, match="on loan"):
            op(s, alarm_id=stock["a1"], today=TODAY)
    assert status_of(db, stock["a1"]) == "issued"


def test_return_rules(db, stock):
    issued = TODAY - timedelta(days=10)
    issue(db, stock, issued_date=issued)
    bad = [
        (dict(returned_date=issued - timedelta(days=1)), "returned_date"),
        (dict(returned_date=TODAY + timedelta(days=1)), "returned_date"),
        (dict(returned_date=TODAY, condition="not returned"), "condition"),
        (dict(returned_date=TODAY, condition="shiny"), "condition"),
        (dict(returned_date=TODAY, reason="bored"), "end_reason"),
    ]
    for kwargs, fld in bad:
        with db.transaction() as s, pytest.raises(ValidationError) as exc:
            A.return_alarm(s, alarm_id=stock["a1"], today=TODAY, **kwargs)
        assert exc.value.field == fld, kwargs
    assert status_of(db, stock["a1"]) == "issued"
    with db.transaction() as s:
        A.return_alarm(
            s, alarm_id=stock["a1"], returned_date=TODAY, condition="damaged", today=TODAY
        )
    assert status_of(db, stock["a1"]) == "faulty"
    with db.transaction() as s, pytest.raises(ValidationError, match="not on loan"):
        A.return_alarm(s, alarm_id=stock["a1"], returned_date=TODAY, today=TODAY)


def test_extend_review_rules_and_awaiting_return_resumes(db, stock):
    issue(db, stock, issued_date=date(2026, 8, 1), review_date=date(2026, 11, 30))
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.extend_review(
            s, alarm_id=stock["a1"], new_review_date=TODAY - timedelta(days=1), today=TODAY
        )
    assert exc.value.field == "review_date"
    with db.transaction() as s, pytest.raises(ValidationError, match="later than"):
        A.extend_review(s, alarm_id=stock["a1"], new_review_date=date(2026, 11, 25), today=TODAY)
    with db.transaction() as s:
        A.mark_awaiting_return(s, alarm_id=stock["a1"], today=TODAY)
        loan = A.extend_review(
            s,
            alarm_id=stock["a1"],
            new_review_date=date(2027, 2, 28),
            reason="Perpetrator released",
            today=TODAY,
        )
        assert loan.review_date == date(2027, 2, 28)
    assert status_of(db, stock["a1"]) == "issued"
    with db.transaction() as s, pytest.raises(ValidationError, match="not on loan"):
        A.extend_review(s, alarm_id=stock["a2"], new_review_date=date(2027, 3, 1), today=TODAY)


def test_mark_lost_ends_the_open_loan(db, stock):
    issue(db, stock, issued_date=TODAY - timedelta(days=40))
    with db.transaction() as s:
        A.mark_lost(s, alarm_id=stock["a1"], on=TODAY - timedelta(days=2), today=TODAY)
    with db.session() as s:
        loan = s.scalars(select(Loan)).one()
        assert loan.ended_date == TODAY - timedelta(days=2)
        assert loan.returned_date is None
        assert loan.return_condition == "not returned" and loan.end_reason == "device lost"
        assert A.open_loans(s, TODAY) == []
    with db.transaction() as s:
        A.mark_found(s, alarm_id=stock["a1"], today=TODAY)
    assert status_of(db, stock["a1"]) == "available"
    with db.transaction() as s, pytest.raises(ValidationError, match="not lost"):
        A.mark_found(s, alarm_id=stock["a1"], today=TODAY)


def test_transition_table_is_consistent():
    assert A.TRANSITIONS["retired"] == frozenset()
    for source, targets in A.TRANSITIONS.items():
        assert source in A.ALARM_STATUSES
        assert targets <= set(A.ALARM_STATUSES)
    assert "issued" not in A.TRANSITIONS["issued"]


def test_update_loan_records_installation_and_marker(db, stock):
    loan_id = issue(db, stock).loan.id
    with db.transaction() as s:
        A.update_loan(
            s,
            loan_id,
            installed_date=TODAY,
            police_marker=True,
            police_marker_date=TODAY - timedelta(days=1),
            today=TODAY,
        )
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.update_loan(s, loan_id, installed_date=TODAY - timedelta(days=30), today=TODAY)
    assert exc.value.field == "installed_date"
    with db.transaction() as s:
        loan = A.update_loan(s, loan_id, police_marker=False, today=TODAY)
        assert loan.police_marker_date is None


# --------------------------------------------------------------------------- device log
def test_log_rules_and_failed_test_marks_faulty(db, stock):
    bad = [
        (dict(kind="polish"), "kind"),
        (dict(kind="test", result=""), "result"),
        (dict(kind="battery change", result="pass"), "result"),
        (dict(kind="test", result="pass", entry_date=TODAY + timedelta(days=1)), "entry_date"),
        (dict(kind="repair", cost_pence=-1), "cost"),
    ]
    for kwargs, fld in bad:
        kwargs.setdefault("entry_date", TODAY)
        with db.transaction() as s, pytest.raises(ValidationError) as exc:
            A.add_log_entry(s, alarm_id=stock["a1"], today=TODAY, **kwargs)
        assert exc.value.field == fld, kwargs
    with db.transaction() as s:
        A.add_log_entry(
            s,
            alarm_id=stock["a1"],
            kind="test",
            result="FAIL",
            entry_date=TODAY,
            by_whom="Co-ordinator",
            today=TODAY,
        )
    assert status_of(db, stock["a1"]) == "faulty"


def test_sim_change_updates_number_only_for_sim_types(db, stock):
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.add_log_entry(
            s,
            alarm_id=stock["a1"],
            kind="SIM change",
            entry_date=TODAY,
            new_sim_number="07700 900456",
            today=TODAY,
        )
    assert exc.value.field == "sim_number"
    with db.transaction() as s, pytest.raises(ValidationError, match="new SIM"):
        A.add_log_entry(s, alarm_id=stock["a2"], kind="SIM change", entry_date=TODAY, today=TODAY)
    with db.transaction() as s:
        entry = A.add_log_entry(
            s,
            alarm_id=stock["a2"],
            kind="SIM change",
            entry_date=TODAY,
            new_sim_number="07700 900456",
            today=TODAY,
        )
        assert "07700 900123" in entry.details and "07700 900456" in entry.details
    with db.session() as s:
        assert s.get(Alarm, stock["a2"]).sim_number == "07700 900456"


def test_log_entry_during_loan_is_linked_to_it(db, stock):
    loan_id = issue(db, stock).loan.id
    with db.transaction() as s:
        entry = A.add_log_entry(
            s, alarm_id=stock["a1"], kind="test", result="pass", entry_date=TODAY, today=TODAY
        )
        assert entry.loan_id == loan_id
    assert status_of(db, stock["a1"]) == "issued"


# --------------------------------------------------------------------------- queries
def test_next_test_and_battery_due(db, stock):
    with db.transaction() as s:
        A.add_log_entry(
            s,
            alarm_id=stock["a1"],
            kind="test",
            result="pass",
            entry_date=date(2026, 10, 1),
            today=TODAY,
        )
        A.add_log_entry(
            s,
            alarm_id=stock["a1"],
            kind="test",
            result="fail",
            entry_date=date(2026, 11, 1),
            today=TODAY,
        )  # -> faulty
        A.back_in_service(s, alarm_id=stock["a1"], today=TODAY)
        A.add_log_entry(
            s, alarm_id=stock["a2"], kind="battery change", entry_date=date(2026, 1, 5), today=TODAY
        )
        A.add_log_entry(
            s,
            alarm_id=stock["a2"],
            kind="test",
            result="pass",
            entry_date=date(2026, 11, 20),
            today=TODAY,
        )
    with db.session() as s:
        rows = {r.asset_tag: r for r in A.inventory(s)}
        due = {r.asset_tag: r for r in A.tests_due(s, TODAY)}
        batteries = {r.asset_tag: r for r in A.batteries_due(s, TODAY, within_days=60)}
    # WK-001: last *passed* test 01/10/2026 + 90 days
    assert rows["WK-001"].last_test == date(2026, 10, 1)
    assert rows["WK-001"].next_test_due == date(2026, 12, 30)
    assert rows["WK-002"].next_test_due == date(2026, 12, 20)
    # WK-003 (fixed alarm) was never tested: due 180 days after purchase, long ago
    assert set(due) == {"WK-003"}
    assert due["WK-003"].due == date(2024, 8, 28)
    assert due["WK-003"].days_overdue == (TODAY - date(2024, 8, 28)).days
    # Batteries: WK-002 changed 05/01/2026 + 12 months = 05/01/2027 (within 60 days);
    # WK-001 bought 10/01/2025 + 24 months = 10/01/2027; WK-003 is mains powered.
    assert set(batteries) == {"WK-001", "WK-002"}
    assert batteries["WK-002"].last_change == date(2026, 1, 5)
    with db.session() as s:
        assert [r.asset_tag for r in A.batteries_due(s, TODAY)] == []


def test_due_lists_leave_out_devices_not_in_service(db, stock):
    with db.transaction() as s:
        A.mark_lost(s, alarm_id=stock["a3"], today=TODAY)
    with db.session() as s:
        assert [r.asset_tag for r in A.tests_due(s, TODAY)] == ["WK-001", "WK-002"]
        assert A.inventory(s, statuses="out of service")[0].next_test_due is None


def test_loans_past_review(db, stock):
    issue(db, stock, "a1", issued_date=date(2026, 8, 1), review_date=date(2026, 11, 30))
    issue(
        db,
        stock,
        "a2",
        issued_date=date(2026, 11, 1),
        review_date=date(2027, 2, 1),
        agency_id=stock["police"],
    )
    with db.session() as s:
        assert A.loans_past_review(s, TODAY) == []
        later = A.loans_past_review(s, date(2026, 12, 5))
        assert [r.asset_tag for r in later] == ["WK-001"]
        assert later[0].days_past_review == 5
        assert later[0].agency == "IDVA"
        soon = A.loans_past_review(s, TODAY, within_days=10)
        assert [r.asset_tag for r in soon] == ["WK-001"]
        assert [r.asset_tag for r in A.open_loans(s, TODAY)] == ["WK-001", "WK-002"]


def test_warranties_ending(db, stock):
    with db.session() as s:
        assert [r.asset_tag for r in A.warranties_ending(s, TODAY, 60)] == ["WK-001"]
        assert A.warranties_ending(s, TODAY, 30) == []
        assert A.warranties_ending(s, TODAY, 60)[0].days_left == 48


def test_inventory_filters_search_and_counts(db, stock):
    issue(db, stock, "a2")
    with db.transaction() as s:
        A.mark_faulty(s, alarm_id=stock["a3"], today=TODAY)
    with db.session() as s:
        assert [r.asset_tag for r in A.inventory(s)] == ["WK-001", "WK-002", "WK-003"]
        assert [r.asset_tag for r in A.inventory(s, statuses="available")] == ["WK-001"]
        on_loan = A.inventory(s, statuses=["on loan"])
        assert [r.asset_tag for r in on_loan] == ["WK-002"]
        assert on_loan[0].case_reference == "WK-MARAC-2026-031"
        assert on_loan[0].loan_agency == "IDVA"
        assert [r.asset_tag for r in A.inventory(s, statuses=["faulty", "lost"])] == ["WK-003"]
        assert [r.asset_tag for r in A.inventory(s, search="mh-20")] == ["WK-002"]
        assert [r.asset_tag for r in A.inventory(s, search="wk-00")] == [
            "WK-001",
            "WK-002",
            "WK-003",
        ]
        assert A.inventory(s, search="%") == []
        assert [r.asset_tag for r in A.inventory(s, type_id=stock["pendant"])] == ["WK-001"]
        counts = A.stock_counts(s)
    assert (counts.available, counts.issued, counts.out_of_service, counts.retired) == (1, 1, 1, 0)
    assert counts.in_stock == 3
    assert counts.by_status["faulty"] == 1


def test_free_alarms_lists_only_available(db, stock):
    issue(db, stock, "a1")
    with db.session() as s:
        free = A.free_alarms(s)
    assert [label.split(" ")[0] for _, label in free] == ["WK-002", "WK-003"]


def test_low_stock_threshold_setting(db, stock):
    with db.session() as s:
        assert A.low_stock_threshold(s) == 5
        counts = A.stock_counts(s)
    assert "only 3 alarms are available" in A.low_stock_warning(counts, 5)
    assert A.low_stock_warning(counts, 3) is None
    with db.transaction() as s:
        assert A.set_low_stock_threshold(s, "2") == 2
    with db.session() as s:
        assert A.low_stock_threshold(s) == 2
    for bad in ("-1", "many", 10_001):
        with db.transaction() as s, pytest.raises(ValidationError) as exc:
            A.set_low_stock_threshold(s, bad)
        assert exc.value.field == "low_stock_threshold"


def test_activity_by_agency(db, stock):
    issue(db, stock, "a1", issued_date=date(2026, 4, 10), review_date=date(2026, 12, 1), marac=True)
    with db.transaction() as s:
        A.return_alarm(s, alarm_id=stock["a1"], returned_date=date(2026, 6, 9), today=TODAY)
    issue(
        db,
        stock,
        "a1",
        issued_date=date(2026, 7, 1),
        review_date=date(2026, 12, 1),
        agency_id=stock["police"],
    )
    with db.transaction() as s:
        A.return_alarm(s, alarm_id=stock["a1"], returned_date=date(2026, 7, 31), today=TODAY)
    issue(db, stock, "a2", issued_date=date(2026, 9, 1), review_date=date(2026, 12, 1))
    issue(
        db,
        stock,
        "a3",
        issued_date=date(2026, 9, 1),
        review_date=date(2026, 12, 1),
        agency_id=stock["police"],
    )
    with db.transaction() as s:
        A.mark_lost(s, alarm_id=stock["a3"], on=date(2026, 10, 1), today=TODAY)
    with db.session() as s:
        rows = {r.agency: r for r in A.activity_by_agency(s, date(2026, 4, 1), date(2027, 3, 31))}
        assert set(rows) == {"Kent Police", "Oasis IDVA Service"}
        idva, police = rows["Oasis IDVA Service"], rows["Kent Police"]
        assert (idva.issued, idva.returned, idva.ended_lost, idva.marac) == (2, 1, 0, 1)
        assert idva.average_days == 60.0 and idva.open_at_end == 1
        assert (police.issued, police.returned, police.ended_lost) == (2, 1, 1)
        assert police.average_days == 30.0  # (30 + 30) / 2
        assert police.open_at_end == 0
        with pytest.raises(ValidationError):
            A.activity_by_agency(s, date(2027, 1, 1), date(2026, 1, 1))


def test_history_keeps_case_reference_apart(db, stock):
    issue(db, stock, case_reference="MARAC-2026-007")
    with db.session() as s:
        history = A.device_history(s, stock["a1"])
    issued = [e for e in history.events if e.kind == "issued"]
    assert issued[0].case_reference == "MARAC-2026-007"
    assert all("MARAC-2026-007" not in e.text for e in history.events)


def test_dashboard_tiles(db, stock):
    with db.session() as s:
        tiles = {t.key: t for t in A.dashboard_tiles(s, TODAY)}
    assert tiles["alarms.available"].value == "3"
    assert tiles["alarms.available"].severity == "warning"  # 3 < 5
    assert tiles["alarms.tests_due"].value == "3"  # none of the three tested yet
    assert tiles["alarms.tests_due"].lines[0] == "WK-003 \u2013 due 28/08/2024"
    assert tiles["alarms.loans_past_review"].severity == "ok"
    issue(db, stock, "a1", issued_date=date(2026, 8, 1), review_date=date(2026, 11, 30))
    with db.session() as s:
        tiles = {t.key: t for t in A.dashboard_tiles(s, date(2026, 12, 10))}
    assert tiles["alarms.loans_past_review"].value == "1"
    assert tiles["alarms.loans_past_review"].severity == "alert"
    assert "WK-MARAC" not in " ".join(tiles["alarms.loans_past_review"].lines)


def test_dashboard_tiles_empty_database(db):
    with db.session() as s:
        assert A.dashboard_tiles(s, TODAY) == []


def test_refused_operation_leaves_no_audit_rows(db, stock):
    with db.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(ValidationError):
        issue(db, stock, review_date=TODAY - timedelta(days=1))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert s.scalar(select(func.count()).select_from(DeviceLogEntry)) == 0


def test_audit_trail_of_a_return(db, stock):
    loan_id = issue(db, stock).loan.id
    with db.transaction() as s:
        A.return_alarm(s, alarm_id=stock["a1"], returned_date=TODAY, today=TODAY)
    with db.session() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.row_id == loan_id)))
    assert [r.action for r in rows] == ["insert", "update"]
    assert json.loads(rows[-1].after)["ended_date"] == TODAY.isoformat()
    assert rows[-1].note == "alarm returned"


# --------------------------------------------------------------------------- status actions
def test_status_actions_follow_the_transitions():
    offered = {status: [k for k, _ in A.status_actions(status)] for status in A.ALARM_STATUSES}
    assert offered["available"] == ["mark_faulty", "send_to_repair", "mark_lost", "retire_alarm"]
    assert offered["issued"] == ["mark_awaiting_return", "mark_lost"]
    assert offered["awaiting return"] == ["mark_lost"]
    assert offered["lost"] == ["mark_found", "retire_alarm"]
    assert offered["retired"] == []
    for status, keys in offered.items():
        for key in keys:  # every offer is a transition the rules allow
            assert A.STATUS_ACTIONS[key][1] in A.TRANSITIONS[status], (status, key)


def test_apply_status_action(db, stock):
    with db.transaction() as s:
        A.apply_status_action(
            s, "send_to_repair", alarm_id=stock["a1"], cost_pence=1250, details="Strap", today=TODAY
        )
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.apply_status_action(s, "mark_found", alarm_id=stock["a1"], today=TODAY)
    assert exc.value.field == "action" and "not possible" in str(exc.value)
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.apply_status_action(s, "retire_alarm", alarm_id=stock["a1"], cost_pence=5, today=TODAY)
    assert exc.value.field == "cost"
    with db.transaction() as s, pytest.raises(ValidationError) as exc:
        A.apply_status_action(s, "", alarm_id=stock["a1"], today=TODAY)
    assert exc.value.field == "action"
    with db.transaction() as s:
        A.apply_status_action(s, "back_in_service", alarm_id=stock["a1"], today=TODAY)
    issue(db, stock, "a1")
    with db.transaction() as s:
        A.apply_status_action(s, "mark_awaiting_return", alarm_id=stock["a1"], today=TODAY)
    assert status_of(db, stock["a1"]) == "awaiting return"
    with db.session() as s:
        costs = [e.cost_pence for e in A.device_history(s, stock["a1"]).log if e.cost_pence]
    assert costs == [1250]


@pytest.mark.parametrize(
    ("text", "pence"),
    [("", None), ("24.50", 2450), ("£1,200", 120000), (" 7.5 ", 750), ("0", 0), ("£0.05", 5)],
)
def test_parse_pounds(text, pence):
    assert A.parse_pounds(text) == pence


@pytest.mark.parametrize("text", ["twelve", "-3", "1.234", "£-2", "1e3"])
def test_parse_pounds_refuses(text):
    with pytest.raises(ValidationError) as exc:
        A.parse_pounds(text)
    assert exc.value.field == "cost"
