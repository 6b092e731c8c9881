"""Merging a database that was started separately: the preview says so, reference data
(agencies, training levels and topics, alarm types) is matched by name instead of copied,
plans of the same title are pointed out, and a second merge changes nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from exchange_data import execute, make_db, populate, shared_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dvcoord.exchange import matching
from dvcoord.exchange.history import row_history
from dvcoord.exchange.merge import apply_merge, plan_merge
from dvcoord.exchange.share import share_copy
from dvcoord.services import alarms as A
from dvcoord.services import training as T
from dvcoord.store import Database
from dvcoord.store.base import utcnow
from dvcoord.store.schema.plans import Agency, Plan
from dvcoord.store.schema.training import Course

UNRELATED = "This file was not made from your database or from a copy of it: "
TODAY = date(2026, 11, 23)
_n = iter(range(10_000))


def preview_of(into: Path, source: Path):
    copy = share_copy(source, into.parent / f"copy-{next(_n)}-{source.name}")
    db = Database.open(into, user="Officer B", backup=False)
    return db, plan_merge(db, copy)


def merge(into: Path, source: Path):
    db, preview = preview_of(into, source)
    try:
        return preview, apply_merge(db, preview)
    finally:
        db.close()


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def live_agencies(path: Path) -> dict[str, str]:
    return dict(query(path, "SELECT name, id FROM agency WHERE deleted_at IS NULL"))


def add(path: Path, *rows) -> None:
    db = Database.open(path, user="Officer", backup=False)
    try:
        with db.transaction() as s:
            s.add_all(rows)
    finally:
        db.close()


@pytest.fixture
def separate(tmp_path):
    """Two databases started separately, with agencies of the same names (written a
    little differently) and a plan of the same title and period."""
    a = make_db(tmp_path / "county.sqlite", user="Officer A", name="County team")
    b = tmp_path / "district.sqlite"
    db = Database.create(b, user="Officer B", display_name="District")
    try:
        populate(db, actions=2)
    finally:
        db.close()
    execute(b, "UPDATE agency SET name = 'KENT  police' WHERE name = 'Kent Police'")
    add(a, Agency(name="Women's Aid", sector="voluntary sector", notes="Helpline 0800 000"))
    add(b, Agency(name="Womens Aid", sector="voluntary sector"))
    add(a, Agency(name="Victim Support & Witness Service", sector="voluntary sector"))
    add(b, Agency(name="victim support and witness service", sector="voluntary sector"))
    add(a, Agency(name="Probation"))  # only in the county's file
    return a, b


# --------------------------------------------------------------------------- names
@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Women's Aid", "WOMENS AID"),
        ("Women’s  Aid", "women's aid"),
        ("Safe & Sound", "Safe and Sound"),
        ("Kent Police.", " kent police "),
        ("Health (A&E)", "health a and e"),
    ],
)
def test_names_compare_without_case_spacing_or_punctuation(left, right):
    assert matching.normalise_name(left) == matching.normalise_name(right)


def test_different_names_stay_different():
    assert matching.normalise_name("Kent Police") != matching.normalise_name("Kent Police HQ")
    assert matching.normalise_name("  ") == "" and matching.normalise_name(None) == ""


@given(st.text(max_size=40))
def test_normalising_is_idempotent_and_ignores_case_and_spacing(text):
    once = matching.normalise_name(text)
    assert matching.normalise_name(once) == once
    assert matching.normalise_name(f"  {text.upper()}  ") == matching.normalise_name(text.upper())


# --------------------------------------------------------------------------- unrelated files
def test_a_separately_started_file_is_said_so_and_agencies_are_matched(separate):
    a, b = separate
    mine_before = live_agencies(b)
    db, preview = preview_of(b, a)
    try:
        assert preview.unrelated and not preview.same_database
        lines = preview.summary_lines()
        assert lines[1].startswith(UNRELATED) and lines[1].count(".") == 1
        assert lines[2].startswith("4 agencies matched by name to yours")
        assert preview.counts["agency"].new == 1  # Probation only
        assert preview.plan_warning == (
            "1 plan has the same title as a plan you already have; it will be added as a "
            "separate plan."
        )
        report = apply_merge(db, preview)
    finally:
        db.close()
    assert report.counts["agency"].new == 1
    assert report.summary_lines()[1].startswith("4 agencies matched by name to yours")
    after = live_agencies(b)
    assert len(after) == len(mine_before) + 1
    assert {k: v for k, v in after.items() if k != "Probation"} == mine_before
    # every received action's agencies are this database's rows
    received_actions = [r[0] for r in query(a, "SELECT id FROM action")]
    marks = ",".join("?" * len(received_actions))
    links = query(
        b,
        f"SELECT g.name, aa.role FROM action_agency aa JOIN agency g ON g.id = aa.agency_id "
        f"WHERE aa.action_id IN ({marks})",
        tuple(received_actions),
    )
    assert len(links) == 12
    assert {name for name, role in links if role == "lead"} == {"KENT  police"}
    assert {name for name, _role in links} == {"KENT  police", "District Housing"}
    updates = query(
        b,
        f"SELECT DISTINCT agency_id FROM progress_update WHERE action_id IN ({marks})",
        tuple(received_actions),
    )
    assert updates == [(mine_before["KENT  police"],)]
    # the plan of the same title came in as a plan of its own
    titles = [r[0] for r in query(b, "SELECT title FROM plan WHERE deleted_at IS NULL")]
    assert len(titles) == 2 and len(set(titles)) == 1


def test_merging_the_same_file_again_changes_nothing(separate):
    a, b = separate
    merge(b, a)
    rows = shared_rows(b)
    audit = query(b, "SELECT count(*) FROM audit_log")
    preview, report = merge(b, a)
    assert not preview.unrelated  # the merge log now ties the two
    assert not preview.has_changes and report.totals.writes == 0
    assert shared_rows(b) == rows
    assert query(b, "SELECT count(*) FROM audit_log") == audit


def test_merging_both_ways_leaves_no_duplicate_names(separate):
    a, b = separate
    merge(b, a)
    merge(a, b)
    for path in (a, b):
        names = [matching.normalise_name(n) for n in live_agencies(path)]
        assert len(names) == len(set(names)) == 5
    # and back again: nothing more to do on either side
    assert not merge(b, a)[0].has_changes
    assert not merge(a, b)[0].has_changes


def test_received_details_are_kept_in_the_history_once(separate):
    a, b = separate
    merge(b, a)
    local_id = live_agencies(b)["Womens Aid"]
    assert query(b, "SELECT notes FROM agency WHERE id = ?", (local_id,)) == [("",)]
    db = Database.open(b, backup=False)
    try:
        versions = row_history(db, "agency", local_id)
    finally:
        db.close()
    kept = [v for v in versions if v.action == "merge-declined"]
    assert len(kept) == 1
    assert kept[0].description == "Received in a merge but not taken"
    assert kept[0].values["notes"] == "Helpline 0800 000"
    assert kept[0].values["name"] == "Women's Aid"
    merge(b, a)
    assert query(
        b,
        "SELECT count(*) FROM audit_log WHERE row_id = ? AND action = 'merge-declined'",
        (local_id,),
    ) == [(1,)]


def test_a_match_is_remembered_after_a_rename(separate):
    a, b = separate
    merge(b, a)
    execute(b, "UPDATE agency SET name = 'Kent Police (HQ)' WHERE name = 'KENT  police'")
    aliases = json.loads(query(b, "SELECT value FROM meta WHERE key = 'merge_aliases'")[0][0])
    assert len(aliases["agency"]) == 4
    preview, report = merge(b, a)
    assert report.counts["agency"].new == 0 and report.totals.writes == 0
    assert "Kent Police (HQ)" in {m.name for m in preview.matches["agency"]}


def test_a_deleted_agency_here_is_not_a_target(separate):
    a, b = separate
    execute(
        b,
        "UPDATE agency SET deleted_at = ? WHERE name = 'Womens Aid'",
        params=(utcnow().strftime("%Y-%m-%d %H:%M:%S.%f"),),
    )
    preview, report = merge(b, a)
    assert "Womens Aid" not in {m.name for m in preview.matches["agency"]}
    assert report.counts["agency"].new == 2  # Women's Aid and Probation


def test_two_plans_of_the_same_title_are_counted(separate):
    a, b = separate
    for path in (a, b):
        add(path, Plan(title="Training Plan", plan_from_fy=2026, plan_to_fy=2026))
    add(a, Plan(title="Training Plan", plan_from_fy=2027, plan_to_fy=2027))  # another period
    db, preview = preview_of(b, a)
    try:
        assert len(preview.same_title_plans) == 2
        assert preview.plan_warning == (
            "2 plans have the same title as plans you already have; they will be added as "
            "separate plans."
        )
        assert preview.plan_warning in preview.summary_lines()
    finally:
        preview.close()
        db.close()


# --------------------------------------------------------------------------- related files
def test_a_copy_shows_no_warning(separate, tmp_path):
    _a, b = separate
    copy = Path(shutil.copyfile(b, tmp_path / "copy.sqlite"))
    add(copy, Agency(name="Refuge"))
    preview, report = merge(b, copy)
    assert not preview.unrelated and preview.unrelated_message == ""
    assert not any(line.startswith(UNRELATED) for line in preview.summary_lines())
    assert report.counts["agency"].new == 1 and not preview.matches


def test_a_copy_given_its_own_id_is_still_related(separate, tmp_path):
    """A copy whose database id was changed still shares its rows' random ids."""
    from dvcoord.store.base import uuid7

    _a, b = separate
    copy = Path(shutil.copyfile(b, tmp_path / "renamed.sqlite"))
    execute(copy, f"UPDATE meta SET value = '{uuid7()}' WHERE key = 'database_id'")
    db, preview = preview_of(b, copy)
    try:
        assert not preview.unrelated
    finally:
        preview.close()
        db.close()


def test_a_file_merged_from_a_common_third_database_is_related(tmp_path):
    county = make_db(tmp_path / "county.sqlite", user="County", name="County")
    x = tmp_path / "x.sqlite"
    y = tmp_path / "y.sqlite"
    for path in (x, y):
        Database.create(path, user="Officer", display_name=path.stem).close()
        add(path, Agency(name=f"Own agency of {path.stem}"))
        merge(path, county)
    db, preview = preview_of(x, y)
    try:
        assert not preview.unrelated
    finally:
        preview.close()
        db.close()


def test_merging_into_an_empty_database_is_not_a_warning(tmp_path):
    a = make_db(tmp_path / "a.sqlite", user="Officer A")
    empty = tmp_path / "empty.sqlite"
    Database.create(empty, user="Officer B").close()
    preview, report = merge(empty, a)
    assert not preview.unrelated and report.counts["agency"].new == 2


# --------------------------------------------------------------------------- other lists
def test_training_levels_topics_and_alarm_types(tmp_path):
    paths = {}
    for side in ("a", "b"):
        path = tmp_path / f"{side}.sqlite"
        db = Database.create(path, user=f"Officer {side}")
        with db.transaction() as s:
            T.seed_default_lists(s)
            A.create_alarm_type(s, name="Pendant", supplier="Acme", test_interval_days=90)
            A.create_alarm_type(
                s, name="Mobile handset", has_sim=True, test_interval_days=30 if side == "a" else 60
            )
            if side == "a":
                level = T.list_levels(s)[1]
                T.create_course(s, code="DASH-2", title="DASH", level_id=level.id, today=TODAY)
        db.close()
        paths[side] = path
    levels_b = dict(query(paths["b"], "SELECT number, id FROM training_level"))
    preview, report = merge(paths["b"], paths["a"])
    assert preview.unrelated
    assert report.counts["training_level"].new == 0 and report.counts["training_topic"].new == 0
    assert len(preview.matches["training_level"]) == 3
    assert len(preview.matches["training_topic"]) == 12
    # a different test interval is another kind of device: not matched
    assert [m.name for m in preview.matches["alarm_type"]] == ["Pendant"]
    assert report.counts["alarm_type"].new == 1
    db = Database.open(paths["b"], backup=False)
    try:
        with db.session() as s:
            course = s.scalars(select(Course)).one()
            assert course.level_id == levels_b[2]
    finally:
        db.close()
    lines = preview.match_lines()
    assert "3 training levels matched by name to yours" in " ".join(lines)
    assert "1 alarm type matched by name to yours" in " ".join(lines)


# --------------------------------------------------------------------------- property
NAMES = ["Kent Police", "Women's Aid", "Victim Support", "Safe & Sound", "District Housing"]


def _variant(name: str, how: int) -> str:
    if how == 1:
        name = name.upper()
    elif how == 2:
        name = "  " + name.lower().replace(" ", "   ")
    elif how == 3:
        name = name.replace("&", "and").replace("'", "")
    return name


side = st.dictionaries(st.sampled_from(NAMES), st.integers(0, 3), max_size=len(NAMES))


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(left=side, right=side)
def test_agency_names_are_never_doubled(tmp_path_factory, left, right):
    folder = tmp_path_factory.mktemp("prop")
    paths = []
    for label, names in (("a", left), ("b", right)):
        path = folder / f"{label}.sqlite"
        Database.create(path, user=f"Officer {label}").close()
        if names:
            add(path, *(Agency(name=_variant(n, how)) for n, how in sorted(names.items())))
        paths.append(path)
    a, b = paths
    merge(b, a)
    merge(a, b)
    expected = set(left) | set(right)
    for path in (a, b):
        names = [matching.normalise_name(n) for n in live_agencies(path)]
        assert sorted(names) == sorted({matching.normalise_name(n) for n in expected})
    rows = shared_rows(b)
    again = merge(b, a)[1]
    assert again.totals.writes == 0 and shared_rows(b) == rows


def test_repointing_that_would_break_a_uniqueness_rule_leaves_the_copy_alone(tmp_path):
    from dvcoord.store.engine import raw_connect

    path = tmp_path / "copy.sqlite"
    execute(
        path,
        "CREATE TABLE agency (id TEXT PRIMARY KEY)",
        "CREATE TABLE link (id TEXT PRIMARY KEY, agency_id TEXT UNIQUE)",
        "INSERT INTO agency VALUES ('x'), ('y')",
        "INSERT INTO link VALUES ('1', 'x'), ('2', 'y')",
    )
    found = {"agency": [matching.NameMatch("agency", "x", "y", "Police", "name")]}
    refs = {"agency": [("link", "agency_id")]}
    assert not matching.repoint(path, found, refs, raw_connect)
    assert query(path, "SELECT id FROM agency ORDER BY id") == [("x",), ("y",)]
    assert query(path, "SELECT agency_id FROM link ORDER BY id") == [("x",), ("y",)]
    execute(path, "DELETE FROM link WHERE id = '2'")
    assert matching.repoint(path, found, refs, raw_connect)
    assert query(path, "SELECT id FROM agency") == [("y",)]
    assert query(path, "SELECT agency_id FROM link") == [("y",)]
