"""200 received files damaged at random: truncated at random offsets, or with bits flipped
at random offsets, generated from a small valid dvcoord file (512-byte pages: about 30 KB
with the action-plan and alarm tables, a page or two more for each area's tables).

Each is refused with one plain sentence (the user's database unchanged byte for byte),
or merged correctly: the database stays sound and every row in it is either as it was
or exactly as the received file has it.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest
from exchange_data import attempt, build_templates, shared_rows

from dvcoord.exchange.merge import merged_tables
from dvcoord.store.schema import metadata

PER_SEED = 25
SEEDS = 8  # 200 files


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    return build_templates(tmp_path_factory.mktemp("mutations"))


def mutants(base: bytes, seed: int, count: int):
    rng = random.Random(seed)
    for i in range(count):
        if i % 3 == 0:
            yield "truncated", base[: rng.randrange(1, len(base))]
        else:
            data = bytearray(base)
            for _ in range(rng.choice((1, 1, 2, 4))):
                pos = rng.randrange(len(data))
                data[pos] ^= 1 << rng.randrange(8)
            yield "flipped", bytes(data)


def _key(table: str, row: tuple) -> str:
    cols = [c.name for c in metadata.tables[table].columns]
    return row[cols.index("id")]


def assert_merged_correctly(user_db: Path, received: Path, before: dict) -> None:
    conn = sqlite3.connect(user_db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    after = shared_rows(user_db)
    theirs = shared_rows(received)  # it passed the gate, so it is safe to read
    for table in (t.name for t in merged_tables()):
        old = {_key(table, r): r for r in before[table]}
        new = {_key(table, r): r for r in theirs[table]}
        for row in after[table]:
            key = _key(table, row)
            assert row == old.get(key) or row == new.get(key), (table, key)


@pytest.mark.parametrize("seed", range(SEEDS))
def test_mutated_files(templates, tmp_path, seed):
    base = templates["small"].read_bytes()
    assert 20_000 < len(base) < 250_000
    outcomes = []
    for n, (how, data) in enumerate(mutants(base, seed, PER_SEED)):
        received = tmp_path / f"mutant-{n}.sqlite"
        received.write_bytes(data)
        user_db = Path(shutil.copyfile(templates["receiver"], tmp_path / f"mine-{n}.sqlite"))
        before = shared_rows(user_db)
        kind, _ = attempt(user_db, received)
        outcomes.append(kind)
        if kind == "merged":
            assert how == "flipped", "a truncated file was merged"
            assert_merged_correctly(user_db, received, before)
    assert len(outcomes) == PER_SEED
    assert "refused" in outcomes  # the damage is real
