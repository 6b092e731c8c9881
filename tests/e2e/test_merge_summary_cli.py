"""``dvcoord merge --dry-run`` summarises the problems by kind (a count, three examples,
"… and N more") in UK-English words, and ends with what the merge would do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from merge_problem_data import build  # noqa: E402

pytestmark = pytest.mark.slow


def _run(home: Path, *args) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DVCOORD_HOME": str(home), "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "dvcoord", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        input="",
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_dry_run_summarises_problems_by_kind(dvcoord_home, tmp_path):
    mine, theirs = build(tmp_path)
    dry = _run(dvcoord_home, "merge", "--db", mine, theirs, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    start = lines.index(next(x for x in lines if x.startswith("Problems: ")))
    assert lines[start] == (
        "Problems: 12 received records cannot be merged, of 2 kinds (each kind once, with "
        "examples):"
    )
    assert lines[start + 1] == (
        "  7 × Alarm log entries refer to an alarm that is neither in this database nor "
        "added by this merge, so they were left out."
    )
    assert lines[start + 2].startswith("      For example id …")
    assert lines[start + 2].endswith("… and 4 more.")
    assert lines[start + 3] == (
        "  5 × Alarms have the same asset tag as an alarm already in this database, so "
        "they were left out."
    )
    assert lines[start + 4] == "      For example 'PA-001', 'PA-002', 'PA-003' … and 2 more."
    # the key lines: the warning at the top, what would happen at the bottom
    assert lines[1].startswith("This file was not made from your database")
    assert lines[-3].startswith("Merging would add ")
    assert "12 received records would be left out (see Problems above)" in lines[-3]
    assert lines[-2].startswith("Warning: this file was started separately")
    assert lines[-1] == "Dry run: nothing was changed."
    assert "a alarm" not in dry.stdout and "asset_tag" not in dry.stdout
    assert any(x.startswith("Alarm log entries ") for x in lines)  # counts, in words


def test_the_merge_report_summarises_problems_too(dvcoord_home, tmp_path):
    mine, theirs = build(tmp_path)
    done = _run(dvcoord_home, "merge", "--db", mine, theirs, "--allow-unrelated")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Merged 'county.sqlite'" in out
    assert out.count("Problems: 12 received records cannot be merged") == 2  # preview, report
    assert out.count("For example 'PA-001', 'PA-002', 'PA-003' … and 2 more.") == 2
    assert out.splitlines()[-1].startswith("A backup of the database as it was before is at")
