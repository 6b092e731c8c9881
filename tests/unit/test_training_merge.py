"""Training records travel with a shared database file: every training table is merged
row by row, and what two copies did separately comes together (a person entered twice,
at two agencies, is then pointed out)."""

from __future__ import annotations

from datetime import date

from dvcoord.exchange.merge import apply_merge, merged_tables, plan_merge
from dvcoord.exchange.share import share_copy
from dvcoord.services import training as T
from dvcoord.store import Database
from dvcoord.store.schema.plans import Agency
from dvcoord.store.schema.training import Trainee

TODAY = date(2026, 11, 23)
TABLES = {
    "training_level",
    "training_topic",
    "training_course",
    "training_trainer",
    "training_trainer_course",
    "training_role",
    "training_requirement",
    "training_trainee",
    "training_session",
    "training_session_trainer",
    "training_attendance",
}


def merge(into: Database, source: Database, tmp_path, name: str):
    copy = share_copy(source.path, tmp_path / f"{name}.sqlite")
    return apply_merge(into, plan_merge(into, copy))


def matrix_text(db) -> dict[str, list[str]]:
    with db.session() as s:
        m = T.training_matrix(s, TODAY)
    return {
        f"{row.name}@{row.agency}": [c.text if c else "" for c in m.cells[r]]
        for r, row in enumerate(m.rows)
    }


def test_every_training_table_is_merged():
    assert {t.name for t in merged_tables()} >= TABLES


def test_two_copies_come_together(tmp_path):
    a = Database.create(tmp_path / "a.sqlite", user="Officer A")
    b = Database.create(tmp_path / "b.sqlite", user="Officer B")
    try:
        with a.transaction() as s:
            police = Agency(name="Kent Police", sector="police")
            housing = Agency(name="District Housing", sector="housing")
            s.add_all([police, housing])
            s.flush()
            T.seed_default_lists(s)
            level = T.list_levels(s)[1].id
            dash = T.create_course(
                s, code="DASH-2", title="DASH", level_id=level, refresher_months=12, today=TODAY
            )
            role = T.create_role(
                s, name="Response officer", agency_id=police.id, course_ids=[dash.id]
            )
            sam = T.create_trainee(
                s, name="Sam Cole", agency_id=police.id, role_id=role.id, email="sam@example.org"
            ).trainee
            held = T.create_session(
                s, course_id=dash.id, session_date=date(2026, 3, 1), today=TODAY
            )
            ids = {"housing": housing.id, "dash": dash.id, "role": role.id, "held": held.id}
            sam_id = sam.id
        report = merge(b, a, tmp_path, "first")
        assert report.counts["training_course"].new == 1
        assert matrix_text(b) == matrix_text(a)
        # separately: A records Sam's attendance; B adds Lee, and Sam again at another agency
        with a.transaction() as s:
            T.record_attendance(
                s, ids["held"], [T.AttendanceEntry(sam_id, "attended")], today=TODAY
            )
        with b.transaction() as s:
            T.create_trainee(s, name="Lee Ray", agency_id=ids["housing"])
            # the same person entered again at another agency (the rules refuse it, so it
            # is written as an older copy without those rules could have)
            s.add(Trainee(name="Sam Cole", agency_id=ids["housing"], email="sam@example.org"))
        merge(a, b, tmp_path, "second")
        merge(b, a, tmp_path, "third")
        assert matrix_text(a) == matrix_text(b)
        cells = matrix_text(b)
        assert cells["Sam Cole@Kent Police"][-1] == "✓ 01/03/2026"
        assert "Lee Ray@District Housing" in cells
        with b.session() as s:
            problems = T.trainee_problems(s)
        assert problems and problems[0].startswith("sam@example.org belongs to trainees at 2")
    finally:
        a.close()
        b.close()
