"""Sanctuary Scheme addresses in shared copies: left out unless asked for, counted, and
never erased by merging a copy whose addresses were left out."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dvcoord.exchange import withheld
from dvcoord.exchange.gate import check_incoming
from dvcoord.exchange.merge import apply_merge, plan_merge
from dvcoord.exchange.share import make_shared_copy, share_copy
from dvcoord.services import sanctuary as S
from dvcoord.store import Database
from dvcoord.store.schema.plans import Agency
from dvcoord.store.schema.sanctuary import SanctuaryCase

TODAY = date(2026, 11, 23)
D = TODAY - timedelta(days=30)
ADDRESSES = {
    f"SDC-SS-2026-{n:03d}": f"{n} Acacia Avenue, Sevenoaks" for n in range(1, 9)
}  # eight cases: enough that a coin-toss tie-break would lose some of them


def make_county(path: Path) -> Path:
    db = Database.create(path, user="Officer A", display_name="County")
    try:
        with db.transaction() as s:
            S.set_address_enabled(s, True)
            agency = Agency(name="Kent Police")
            s.add(agency)
            s.flush()
            for ref, address in ADDRESSES.items():
                S.create_case(
                    s,
                    reference=ref,
                    agency_id=agency.id,
                    referral_date=D,
                    postcode_district="TN13",
                    address=address,
                    today=TODAY,
                )
    finally:
        db.close()
    return path


def addresses(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT reference, address FROM sanctuary_case"))
    finally:
        conn.close()


def meta(path: Path, key: str) -> str | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def merge(into: Path, copy: Path, user: str = "Officer B"):
    db = Database.open(into, user=user, backup=False)
    try:
        preview = plan_merge(db, copy)
        counts = preview.counts["sanctuary_case"]
        return counts, apply_merge(db, preview)
    finally:
        db.close()


def edit(path: Path, ref: str, user: str, **changes) -> None:
    db = Database.open(path, user=user, backup=False)
    try:
        with db.transaction() as s:
            case = s.scalars(select(SanctuaryCase).where(SanctuaryCase.reference == ref)).one()
            S.update_case(s, case.id, today=TODAY, **changes)
    finally:
        db.close()


@pytest.fixture
def county(tmp_path):
    return make_county(tmp_path / "county.sqlite")


@pytest.fixture
def district(tmp_path, county):
    """A district that holds the county's cases with their addresses (it was sent them
    deliberately), both databases in step."""
    path = tmp_path / "district.sqlite"
    db = Database.create(path, user="Officer B", display_name="District")
    with db.transaction() as s:
        S.set_address_enabled(s, True)
    db.close()
    merge(path, share_copy(county, tmp_path / "first.sqlite", include_addresses=True))
    assert addresses(path) == ADDRESSES
    return path


def test_addresses_are_left_out_by_default_and_counted(county, tmp_path):
    result = make_shared_copy(county, tmp_path / "copy.sqlite")
    assert result.addresses_withheld == len(ADDRESSES)
    assert result.addresses_included == 0
    assert set(addresses(result.path).values()) == {""}
    assert meta(result.path, withheld.META_WITHHELD) == "yes"
    data = result.path.read_bytes()
    assert b"Acacia Avenue" not in data  # not in free pages either
    conn = sqlite3.connect(result.path)
    assert conn.execute("SELECT DISTINCT postcode_district FROM sanctuary_case").fetchall() == [
        ("TN13",)
    ]
    conn.close()
    assert addresses(county) == ADDRESSES  # the database itself is untouched
    with check_incoming(result.path) as checked:  # still a sound dvcoord file
        assert checked.row_counts["sanctuary_case"] == len(ADDRESSES)


def test_addresses_travel_only_when_asked_for(county, tmp_path):
    result = make_shared_copy(county, tmp_path / "copy.sqlite", include_addresses=True)
    assert (result.addresses_withheld, result.addresses_included) == (0, len(ADDRESSES))
    assert addresses(result.path) == ADDRESSES
    assert meta(result.path, withheld.META_WITHHELD) is None


def test_encrypted_copy_leaves_addresses_out_too(county, tmp_path):
    from dvcoord.exchange import bundle

    result = make_shared_copy(
        county,
        tmp_path / "copy.dvcx",
        encrypt=True,
        passphrase="seven blue herons",
        scrypt_params={"n": 2**10, "r": 8, "p": 1},
    )
    assert result.addresses_withheld == len(ADDRESSES)
    plain = tmp_path / "plain.sqlite"
    bundle.decrypt_file(result.path, plain, "seven blue herons")
    assert set(addresses(plain).values()) == {""}


def test_a_database_without_addresses_withholds_none(tmp_path):
    path = tmp_path / "plain.sqlite"
    Database.create(path, user="Officer A").close()
    result = make_shared_copy(path, tmp_path / "copy.sqlite")
    assert result.addresses_withheld == 0
    assert withheld.addresses_in(path) == 0


def test_merging_a_withheld_copy_keeps_the_receivers_addresses(county, district, tmp_path):
    edit(county, "SDC-SS-2026-001", "Officer A", notes="Survey booked")
    copy = share_copy(county, tmp_path / "update.sqlite")
    counts, report = merge(district, copy)
    # only the edited case changes; the others differ only by the withheld address
    assert (counts.changed, counts.conflicts, counts.unchanged) == (1, 0, len(ADDRESSES) - 1)
    assert addresses(district) == ADDRESSES
    db = Database.open(district, user="Reader", backup=False)
    with db.session() as s:
        case = s.scalars(
            select(SanctuaryCase).where(SanctuaryCase.reference == "SDC-SS-2026-001")
        ).one()
        assert case.notes == "Survey booked"
    db.close()


def test_a_case_edited_on_both_sides_keeps_the_address(county, district, tmp_path):
    edit(district, "SDC-SS-2026-002", "Officer B", address="Flat 2, 9 New Road")
    edit(county, "SDC-SS-2026-002", "Officer A", notes="Later change at the county")
    counts, _report = merge(district, share_copy(county, tmp_path / "update.sqlite"))
    assert counts.conflicts == 1
    assert addresses(district)["SDC-SS-2026-002"] == "Flat 2, 9 New Road"


def test_a_withheld_copy_sent_back_with_addresses_does_not_erase_them(county, tmp_path):
    """The county sends without addresses; the district (which never had them) merges
    and later sends its copy back with addresses included: the county keeps every one."""
    district = tmp_path / "district2.sqlite"
    Database.create(district, user="Officer B", display_name="District").close()
    merge(district, share_copy(county, tmp_path / "out.sqlite"))
    assert set(addresses(district).values()) == {""}
    back = share_copy(district, tmp_path / "back.sqlite", include_addresses=True)
    counts, _report = merge(county, back, user="Officer A")
    assert counts.changed == counts.conflicts == 0
    assert addresses(county) == ADDRESSES


def test_a_district_without_addresses_edits_a_case_and_sends_it_back(county, tmp_path):
    """The district records no addresses; it edits a case it received without one and
    sends its copy back "with addresses": its blank address is not a clear."""
    district = tmp_path / "district4.sqlite"
    Database.create(district, user="Officer B", display_name="District").close()
    merge(district, share_copy(county, tmp_path / "out.sqlite"))
    edit(district, "SDC-SS-2026-004", "Officer B", notes="Follow-up booked by the district")
    back = make_shared_copy(district, tmp_path / "back.sqlite", include_addresses=True)
    assert back.addresses_included == 0
    assert meta(back.path, withheld.META_WITHHELD) == "yes"  # it records none
    counts, _report = merge(county, back.path, user="Officer A")
    assert counts.changed == 1
    assert addresses(county) == ADDRESSES


def test_the_address_switch_is_read_from_the_services_meta_key():
    assert withheld.META_ADDRESS_ENABLED == S.META_ADDRESS_ENABLED


def test_a_deliberate_clear_travels_in_a_copy_with_addresses(county, district, tmp_path):
    edit(county, "SDC-SS-2026-003", "Officer A", address="")
    merge(district, share_copy(county, tmp_path / "sent.sqlite", include_addresses=True))
    expected = dict(ADDRESSES, **{"SDC-SS-2026-003": ""})
    assert addresses(district) == expected


def test_a_clear_travels_in_the_copy_with_addresses_not_the_one_without(county, district, tmp_path):
    """The copy that carried the clear left addresses out, so the district kept its
    address; the county's next copy with addresses included carries its clear."""
    edit(county, "SDC-SS-2026-003", "Officer A", address="")
    merge(district, share_copy(county, tmp_path / "held.sqlite"))
    assert addresses(district) == ADDRESSES
    merge(district, share_copy(county, tmp_path / "sent.sqlite", include_addresses=True))
    assert addresses(district) == dict(ADDRESSES, **{"SDC-SS-2026-003": ""})
    # and the district's copy sent back does not bring the cleared address back
    counts, _report = merge(
        county, share_copy(district, tmp_path / "back.sqlite", include_addresses=True), "A"
    )
    assert addresses(county)["SDC-SS-2026-003"] == ""


def test_addresses_sent_after_a_copy_without_them_all_arrive(county, tmp_path):
    district = tmp_path / "district3.sqlite"
    db = Database.create(district, user="Officer B", display_name="District")
    with db.transaction() as s:
        S.set_address_enabled(s, True)
    db.close()
    merge(district, share_copy(county, tmp_path / "held.sqlite"))
    assert set(addresses(district).values()) == {""}
    counts, _report = merge(
        district, share_copy(county, tmp_path / "sent.sqlite", include_addresses=True)
    )
    assert counts.changed == len(ADDRESSES) and counts.conflicts == 0
    assert addresses(district) == ADDRESSES
    # the two databases now hold the same rows: nothing to merge either way
    counts, _report = merge(
        county, share_copy(district, tmp_path / "back.sqlite", include_addresses=True), "A"
    )
    assert counts.changed == counts.new == counts.conflicts == 0


def test_same_version_winner_names_the_sides_as_merge_does():
    from dvcoord.exchange import merge as M

    assert (withheld.MINE, withheld.THEIRS) == (M.MINE, M.THEIRS)
    pos = {"id": 0, "updated_at": 1, "origin": 2, "deleted_at": 3, "address": 4, "notes": 5}
    blank = ("r1", "2026-01-01", "X", None, "", "n")
    full = ("r1", "2026-01-01", "X", None, "1 High St", "n")
    win = withheld.same_version_winner
    assert win("sanctuary_case", blank, full, pos, "A", "B") == M.THEIRS  # made elsewhere
    assert win("sanctuary_case", full, blank, pos, "A", "B") == M.MINE
    assert win("sanctuary_case", blank, full, pos, "X", "B") == M.MINE  # made here: kept
    assert win("sanctuary_case", full, blank, pos, "A", "X") == M.THEIRS  # made there
    other = ("r1", "2026-01-01", "X", None, "", "other notes")
    assert win("sanctuary_case", other, full, pos, "A", "B") is None  # more than the address
    newer = ("r1", "2026-02-01", "X", None, "", "n")
    assert win("sanctuary_case", newer, full, pos, "A", "B") is None  # not the same version
    assert win("alarm", blank, full, pos, "A", "B") is None


def test_a_receiver_gets_no_address_from_a_withheld_copy(county, tmp_path):
    fresh = tmp_path / "fresh.sqlite"
    Database.create(fresh, user="Officer C").close()
    counts, _report = merge(fresh, share_copy(county, tmp_path / "c.sqlite"))
    assert counts.new == len(ADDRESSES)
    assert set(addresses(fresh).values()) == {""}


def test_a_database_with_addresses_off_does_not_take_received_ones(tmp_path):
    county = make_county(tmp_path / "county.sqlite")
    # A colleague's copy of the same database, where full addresses are switched off
    # (switching off clears them): then the county sends a copy WITH addresses.
    partner = tmp_path / "partner.sqlite"
    share_copy(county, partner)
    db = Database.open(partner, user="Officer B", backup=False)
    with db.transaction() as s:
        S.set_address_enabled(s, False, clear=True)
    db.close()
    sent = make_shared_copy(county, tmp_path / "with.sqlite", include_addresses=True)
    assert sent.addresses_included == len(ADDRESSES)

    db = Database.open(partner, user="Officer B", backup=False)
    try:
        preview = plan_merge(db, sent.path)
        assert preview.addresses_not_taken == len(ADDRESSES)
        assert any(
            "8 full addresses of Sanctuary Scheme cases in the file will not be taken" in line
            for line in preview.summary_lines()
        )
        apply_merge(db, preview)
    finally:
        db.close()
    assert set(addresses(partner).values()) == {""}
    assert withheld.addresses_in(partner) == 0
    assert set(addresses(county).values()) == set(ADDRESSES.values())  # sender untouched
