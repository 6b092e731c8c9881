"""Sanctuary Scheme rows merged between two copies of a database: the catalogue seeded on
both sides is one set of rows, and stock fitted on both sides adds up on both sides."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count
from pathlib import Path

from sqlalchemy import func, select

from dvcoord.exchange.merge import apply_merge, plan_merge
from dvcoord.exchange.share import share_copy
from dvcoord.services import sanctuary as S
from dvcoord.store import Database
from dvcoord.store.schema.plans import Agency
from dvcoord.store.schema.sanctuary import HardwareItem, MeasureFitted, StockLevel

TODAY = date(2026, 11, 23)
D = TODAY - timedelta(days=30)
_n = count()


def merge(into: Path, source: Path, user: str):
    copy = share_copy(source, into.parent / f"copy-{next(_n)}-{source.name}")
    db = Database.open(into, user=user, backup=False)
    try:
        return apply_merge(db, plan_merge(db, copy))
    finally:
        db.close()


def with_db(path: Path, user: str):
    return Database.open(path, user=user, backup=False)


def open_case(s, agency_id: str, ref: str) -> str:
    case = S.create_case(
        s,
        reference=ref,
        agency_id=agency_id,
        referral_date=D,
        tenure="owner-occupier",
        consent=True,
        consent_on=D,
        survey_on=D,
        perpetrator_gone=True,
        perpetrator_gone_on=D,
        today=TODAY,
    ).case
    for stage, n in (("assessed", 1), ("approved", 2), ("works ordered", 3)):
        S.move_stage(s, case.id, stage, D + timedelta(days=n), today=TODAY)
    return case.id


def fit(path: Path, user: str, case_id: str, item_id: str, qty: int) -> str:
    db = with_db(path, user)
    try:
        with db.transaction() as s:
            return S.record_measure(
                s,
                case_id=case_id,
                item_id=item_id,
                quantity=qty,
                unit_cost_pence=1450,
                fitted_on=D + timedelta(days=5),
                from_stock=True,
                today=TODAY,
            ).id
    finally:
        db.close()


def balance(path: Path, item_id: str) -> int:
    db = with_db(path, "Reader")
    try:
        with db.session() as s:
            return S.stock_balance(s, item_id)
    finally:
        db.close()


def test_stock_fitted_in_two_offices_adds_up_after_merging_both_ways(tmp_path):
    a_path, b_path = tmp_path / "county.sqlite", tmp_path / "district.sqlite"
    a = Database.create(a_path, user="Officer A", display_name="County")
    with a.transaction() as s:
        agency = Agency(name="Kent Police")
        s.add(agency)
        s.flush()
        S.ensure_catalogue(s)
        chain = next(i.id for i in S.catalogue(s) if i.kind == "door chain")
        S.set_stock_level(s, chain, reorder_level=4, supplier="Demo Hardware")
        S.record_delivery(s, item_id=chain, quantity=10, on=D, today=TODAY)
        case_a = open_case(s, agency.id, "SDC-SS-2026-001")
        case_b = open_case(s, agency.id, "SDC-SS-2026-002")
    a.close()
    b = Database.create(b_path, user="Officer B", display_name="District")
    with b.transaction() as s:  # the district seeds its own catalogue before first contact
        S.ensure_catalogue(s)
        S.set_stock_level(s, chain, reorder_level=4, supplier="Demo Hardware")
    b.close()
    merge(b_path, a_path, "Officer B")
    assert balance(b_path, chain) == 10

    fit(a_path, "Officer A", case_a, chain, 2)  # each office fits from the same stock
    fit(b_path, "Officer B", case_b, chain, 3)
    fit(b_path, "Officer B", case_a, chain, 1)
    assert (balance(a_path, chain), balance(b_path, chain)) == (8, 6)

    merge(a_path, b_path, "Officer A")
    merge(b_path, a_path, "Officer B")
    assert balance(a_path, chain) == balance(b_path, chain) == 10 - 2 - 3 - 1
    for path in (a_path, b_path):
        db = with_db(path, "Reader")
        try:
            with db.session() as s:
                kinds = s.scalar(
                    select(func.count())
                    .select_from(HardwareItem)
                    .where(HardwareItem.deleted_at.is_(None))
                )
                assert kinds == len(S.ITEM_KINDS)  # one catalogue, not two
                assert s.scalar(select(func.count()).select_from(StockLevel)) == 1
                assert s.scalar(select(func.count()).select_from(MeasureFitted)) == 3
                row = next(r for r in S.stock_rows(s, TODAY) if r.item_id == chain)
                assert (row.in_store, row.to_reorder) == (4, True)
        finally:
            db.close()


def test_a_measure_removed_in_one_office_returns_its_stock_in_both(tmp_path):
    a_path, b_path = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    a = Database.create(a_path, user="Officer A")
    with a.transaction() as s:
        agency = Agency(name="Kent Police")
        s.add(agency)
        s.flush()
        S.ensure_catalogue(s)
        viewer = next(i.id for i in S.catalogue(s) if i.kind == "door viewer")
        S.record_delivery(s, item_id=viewer, quantity=5, on=D, today=TODAY)
        case_id = open_case(s, agency.id, "SDC-SS-2026-001")
    a.close()
    measure = fit(a_path, "Officer A", case_id, viewer, 2)
    Database.create(b_path, user="Officer B").close()
    merge(b_path, a_path, "Officer B")
    assert balance(b_path, viewer) == 3
    b = with_db(b_path, "Officer B")
    try:
        with b.transaction() as s:
            S.delete_measure(s, measure)
    finally:
        b.close()
    merge(a_path, b_path, "Officer A")
    assert balance(a_path, viewer) == balance(b_path, viewer) == 5
