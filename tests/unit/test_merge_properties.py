"""Property tests: random edits, tombstones, restores and inserts on two copies of a small
database, then merges in both directions.

* Merging A into B and B into A leaves both with the same rows (bookkeeping included).
* Merging the same file again changes nothing.
* Sending the merged result back changes nothing either.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from exchange_data import build_pair, shared_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from dvcoord.exchange.merge import apply_merge, plan_merge
from dvcoord.exchange.share import share_copy
from dvcoord.store import Database
from dvcoord.store.base import utcnow
from dvcoord.store.schema.plans import Action, Agency, Milestone, Theme


@pytest.fixture(scope="module")
def pair_templates(tmp_path_factory):
    return build_pair(tmp_path_factory.mktemp("prop"))


OPS = (
    "edit",
    "tombstone",
    "restore",
    "insert_action",
    "insert_agency",
    "edit_agency",
    "insert_milestone",
    "edit_theme",
)
op_strategy = st.tuples(
    st.sampled_from(("A", "B")),
    st.sampled_from(OPS),
    st.integers(min_value=0, max_value=40),
    st.text(alphabet="abcdefghij ", min_size=0, max_size=8),
)


def apply_op(path: Path, op: str, n: int, word: str) -> None:
    db = Database.open(path, user=f"Officer {path.stem}", backup=False)
    try:
        with db.transaction() as s:
            actions = list(s.scalars(select(Action).order_by(Action.id)))
            action = actions[n % len(actions)]
            if op == "edit":
                action.text = f"text {word} {n}"
                action.rag = "RAG"[n % 3]
            elif op == "tombstone" and action.deleted_at is None:
                action.deleted_at = utcnow()
            elif op == "restore" and action.deleted_at is not None:
                action.deleted_at = None
            elif op == "insert_action":
                themes = list(s.scalars(select(Theme).order_by(Theme.id)))
                theme = themes[n % len(themes)]
                s.add(
                    Action(
                        plan_id=theme.plan_id,
                        theme_id=theme.id,
                        text=f"new {word}",
                        reference=f"N{n}",
                    )
                )
            elif op == "insert_agency":
                # one name per side: agencies of the same name are matched by name,
                # not copied, so the two sides would rightly differ (test_merge_matching)
                s.add(Agency(name=f"Agency {path.stem} {word} {n}"))
            elif op == "edit_agency":
                agencies = list(s.scalars(select(Agency).order_by(Agency.id)))
                agencies[n % len(agencies)].notes = f"note {word}"
            elif op == "insert_milestone":
                s.add(Milestone(action_id=action.id, text=f"milestone {word}", position=n))
            elif op == "edit_theme":
                themes = list(s.scalars(select(Theme).order_by(Theme.id)))
                themes[n % len(themes)].title = f"theme {word}"
    finally:
        db.close()


def merge_file(into: Path, received: Path):
    db = Database.open(into, user=f"Officer {into.stem}", backup=False)
    try:
        return apply_merge(db, plan_merge(db, received))
    finally:
        db.close()


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op_strategy, min_size=1, max_size=8))
def test_merging_both_ways_converges(pair_templates, ops):
    template_a, template_b = pair_templates
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        a = Path(shutil.copyfile(template_a, folder / "A.sqlite"))
        b = Path(shutil.copyfile(template_b, folder / "B.sqlite"))
        for side, op, n, word in ops:
            apply_op(a if side == "A" else b, op, n, word)
        from_a = share_copy(a, folder / "from-a.sqlite")
        from_b = share_copy(b, folder / "from-b.sqlite")

        merge_file(a, from_b)
        merge_file(b, from_a)
        rows_a = shared_rows(a)
        assert rows_a == shared_rows(b)

        again = merge_file(a, from_b)
        assert again.totals.writes == 0 and again.totals.conflicts == 0
        assert shared_rows(a) == rows_a

        back = merge_file(b, share_copy(a, folder / "from-a-2.sqlite"))
        assert back.totals.writes == 0 and back.totals.conflicts == 0
        assert shared_rows(b) == rows_a


@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op_strategy, min_size=1, max_size=6))
def test_one_way_then_back_converges(pair_templates, ops):
    """B takes A's file, then A takes B's merged file: both end the same."""
    template_a, template_b = pair_templates
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        a = Path(shutil.copyfile(template_a, folder / "A.sqlite"))
        b = Path(shutil.copyfile(template_b, folder / "B.sqlite"))
        for side, op, n, word in ops:
            apply_op(a if side == "A" else b, op, n, word)
        merge_file(b, share_copy(a, folder / "from-a.sqlite"))
        merge_file(a, share_copy(b, folder / "from-b.sqlite"))
        assert shared_rows(a) == shared_rows(b)
