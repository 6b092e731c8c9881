"""``dvcoord share`` leaves Sanctuary Scheme addresses out unless ``--include-addresses``,
and says how many; ``dvcoord merge`` of such a copy keeps the receiver's addresses."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ADDRESSES = {"SDC-SS-2026-001": "12 Acacia Avenue", "SDC-SS-2026-002": "Flat 3, 4 Mill Lane"}


def _county(path: Path) -> Path:
    from dvcoord.services import sanctuary as S
    from dvcoord.store import Database
    from dvcoord.store.schema.plans import Agency

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
                    referral_date=date(2026, 10, 1),
                    postcode_district="TN13",
                    address=address,
                    today=date(2026, 11, 23),
                )
    finally:
        db.close()
    return path


def _addresses(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT reference, address FROM sanctuary_case"))
    finally:
        conn.close()


def test_share_leaves_addresses_out_unless_asked(run, tmp_path):
    county = _county(tmp_path / "county.sqlite")

    held = run("share", "--db", county, "-o", tmp_path / "held.sqlite")
    assert held.returncode == 0, held.stderr
    assert "2 full addresses of Sanctuary Scheme cases left out of the copy" in held.stdout
    assert set(_addresses(tmp_path / "held.sqlite").values()) == {""}
    assert b"Acacia" not in (tmp_path / "held.sqlite").read_bytes()

    sent = run("share", "--db", county, "-o", tmp_path / "sent.sqlite", "--include-addresses")
    assert sent.returncode == 0, sent.stderr
    assert "2 full addresses of Sanctuary Scheme cases included" in sent.stdout
    assert "Warning:" in sent.stdout
    assert _addresses(tmp_path / "sent.sqlite") == ADDRESSES

    # the copy without addresses merged back into the county changes nothing
    merged = run("merge", "--db", county, tmp_path / "held.sqlite")
    assert merged.returncode == 0, merged.stderr
    assert "0 changed" in merged.stdout
    assert _addresses(county) == ADDRESSES


def test_share_help_names_the_option(run):
    result = run("share", "--help")
    assert "--include-addresses" in result.stdout


def test_show_locations_on_a_report_without_locations_says_so(run, tmp_path):
    county = _county(tmp_path / "county.sqlite")
    stock = run(
        "report", "sanctuary-stock", "--db", county, "-o", tmp_path / "s.pdf", "--show-locations"
    )
    assert stock.returncode == 0, stock.stderr
    assert "prints no locations" in stock.stdout
    cases = run(
        "report", "sanctuary-cases", "--db", county, "-o", tmp_path / "c.pdf", "--show-locations"
    )
    assert cases.returncode == 0, cases.stderr
    assert "prints no locations" not in cases.stdout
