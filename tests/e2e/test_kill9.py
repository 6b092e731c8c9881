"""``kill -9`` in the middle of a long write loop, many times over, on the same file.

After every kill ``dvcoord check`` passes and every row the child reported committed
is there; nothing it did not commit is.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from dvcoord.services.check import check_database
from dvcoord.store import Database
from dvcoord.store.schema.plans import Agency

pytestmark = [
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9"),
    pytest.mark.slow,  # about ten seconds: sixteen child processes importing SQLAlchemy
]

WRITER = r"""
import sys
from pathlib import Path
from dvcoord.store import Database
from dvcoord.store.schema.plans import Agency

run = sys.argv[2]
db = Database.open(Path(sys.argv[1]), user="Writer", backup=False)
n = 0
while True:
    with db.transaction() as s:
        s.add(Agency(name=f"{run}-{n}", notes="n" * 6000))
    n += 1
    print(n, flush=True)
"""

HALF_DONE = r"""
import sys
from pathlib import Path
from dvcoord.store import Database
from dvcoord.store.schema.plans import Agency

db = Database.open(Path(sys.argv[1]), user="Writer", backup=False)
with db.transaction() as s:
    s.connection().exec_driver_sql("PRAGMA cache_size=2")
    for i in range(400):
        s.add(Agency(name=f"uncommitted-{i}", notes="u" * 3000))
        if i % 50 == 0:
            s.flush()
    s.flush()
    print("in transaction", flush=True)
    sys.stdin.readline()
"""


def spawn(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )


def kill(proc: subprocess.Popen[str]) -> str:
    """``kill -9`` the child and return everything it printed."""
    os.kill(proc.pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    return out


def names_in(path: Path) -> list[str]:
    with Database.open(path, backup=False, readonly=True) as db, db.session() as s:
        return list(s.scalars(select(Agency.name)))


def cli_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dvcoord", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_kill_9_during_a_write_loop(tmp_path):
    path = tmp_path / "crash.sqlite"
    Database.create(path, user="Setup").close()
    rnd = random.Random(9)
    committed: set[str] = set()
    runs = 15
    for run in range(runs):
        proc = spawn(WRITER, str(path), f"r{run}")
        target = rnd.randint(1, 25)
        seen = 0
        while seen < target:
            line = proc.stdout.readline()
            assert line.endswith("\n"), proc.stderr.read()
            seen = int(line)
        rest = kill(proc)
        # Only complete lines count: a line cut by the kill was never fully reported.
        lines = [seen] + [int(x) for x in rest.split("\n")[:-1] if x.strip()]
        reported = max(lines)
        committed |= {f"r{run}-{n}" for n in range(reported)}

        if run in (0, runs - 1):
            result = cli_check(path)
            assert result.returncode == 0, result.stdout + result.stderr
            assert "sound" in result.stdout
        else:
            report = check_database(path)
            assert report.sound, report.problems
        present = names_in(path)
        assert committed <= set(present), sorted(committed - set(present))[:5]
        this_run = [n for n in present if n.startswith(f"r{run}-")]
        # at most the one row committed between its commit and its print
        assert reported <= len(this_run) <= reported + 1
        committed |= set(this_run)
    assert len(names_in(path)) >= runs


def test_kill_9_inside_a_transaction_loses_only_that_transaction(tmp_path):
    path = tmp_path / "half.sqlite"
    with Database.create(path, user="Setup") as db, db.transaction() as s:
        s.add(Agency(name="committed before"))
    proc = spawn(HALF_DONE, str(path))
    line = proc.stdout.readline()
    assert line.strip() == "in transaction", proc.stderr.read()
    kill(proc)
    assert path.with_name(path.name + "-journal").exists()  # a hot journal was left
    result = cli_check(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not path.with_name(path.name + "-journal").exists()
    assert names_in(path) == ["committed before"]
    with Database.open(path, user="After") as db, db.transaction() as s:
        s.add(Agency(name="after the crash"))
    assert sorted(names_in(path)) == ["after the crash", "committed before"]
