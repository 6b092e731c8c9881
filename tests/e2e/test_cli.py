"""The command line, as a user runs it: ``python -m dvcoord ...`` in a subprocess.

Every error is one sentence and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import dvcoord

# About ten seconds in all: each command is a fresh Python process importing SQLAlchemy.
pytestmark = pytest.mark.slow


def partnership(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT value FROM meta WHERE key='partnership_name'").fetchone()[0]
    finally:
        conn.close()


def set_partnership(path: Path, value: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value=? WHERE key='partnership_name'", (value,))
    conn.commit()
    conn.close()


def test_version(run):
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"dvcoord {dvcoord.__version__}"


def test_demo_check_backup_backups_restore(run, tmp_path, dvcoord_home):
    db = tmp_path / "demo.sqlite"
    result = run("demo", db)
    assert result.returncode == 0, result.stderr
    assert str(db) in result.stdout and db.is_file()

    result = run("check", db)
    assert result.returncode == 0, result.stdout
    assert "Schema revision" in result.stdout
    assert "sound" in result.stdout
    assert "PROBLEMS" not in result.stdout

    original = partnership(db)
    result = run("backup", db)
    assert result.returncode == 0, result.stderr
    assert "Backup written to" in result.stdout
    in_folder = Path(result.stdout.strip().removeprefix("Backup written to "))
    assert in_folder.is_file() and str(dvcoord_home) in str(in_folder)

    out = tmp_path / "chosen.sqlite"
    result = run("backup", db, "-o", out)
    assert result.returncode == 0 and out.is_file()
    assert str(out) in result.stdout

    result = run("backups", db)
    assert result.returncode == 0
    assert "1 backup(s)" in result.stdout and in_folder.name in result.stdout

    set_partnership(db, "Changed after the backup")
    result = run("restore", out, "--db", db)
    assert result.returncode == 0, result.stderr
    assert partnership(db) == original
    assert "Restored" in result.stdout
    kept_line = [line for line in result.stdout.splitlines() if "kept as" in line]
    assert kept_line, result.stdout
    kept = Path(kept_line[0].split("kept as ", 1)[1].strip())
    assert kept.is_file() and "before-restore" in kept.name
    assert partnership(kept) == "Changed after the backup"

    result = run("check", db)
    assert result.returncode == 0


def test_check_on_random_bytes(run, tmp_path):
    noise = tmp_path / "noise.sqlite"
    noise.write_bytes(random.Random(3).randbytes(10_000))
    result = run("check", noise)
    assert result.returncode == 1
    problems = [line for line in result.stdout.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1
    assert "not a dvcoord database" in problems[0]
    assert noise.read_bytes() == random.Random(3).randbytes(10_000)


def test_check_on_a_damaged_file_speaks_plainly(run, demo_path, tmp_path, dvcoord_home):
    damaged = tmp_path / "damaged.sqlite"
    data = bytearray(demo_path.read_bytes())
    size = 4096
    middle = len(data) // size // 2
    for page in range(middle, middle + 40, 4):
        data[page * size : (page + 1) * size] = b"\xff" * size
    damaged.write_bytes(bytes(data))
    result = run("check", damaged)
    assert result.returncode == 1
    problems = [line[4:] for line in result.stdout.splitlines() if line.startswith("  - ")]
    assert problems and problems[0].startswith("The file is damaged (some of its pages")
    assert problems[0].endswith("restore a backup with `dvcoord restore`.")
    assert "malformed" not in result.stdout + result.stderr
    assert "malformed" in (dvcoord_home / "logs" / "dvcoord.log").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ("check", "{tmp}/missing.sqlite"),
        ("backup", "{tmp}/missing.sqlite"),
        ("backups", "{tmp}/missing.sqlite"),
        ("restore", "{tmp}/missing.sqlite", "--db", "{tmp}/x.sqlite"),
        ("backup", "{tmp}"),
        ("frobnicate",),
        ("check",),
    ],
)
def test_errors_are_one_line_and_non_zero(run, tmp_path, args):
    result = run(*(a.format(tmp=tmp_path) for a in args))
    assert result.returncode != 0
    output = (result.stderr or result.stdout).strip()
    assert output
    if args[0] in ("backup", "backups", "restore"):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stderr.startswith("dvcoord: ")
    assert not (tmp_path / "x.sqlite").exists()


def test_demo_never_replaces_a_file_without_force(run, tmp_path):
    target = tmp_path / "office.sqlite"
    assert run("demo", str(target)).returncode == 0
    before = target.read_bytes()
    refused = run("demo", str(target))
    assert refused.returncode == 1
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert target.read_bytes() == before
    forced = run("demo", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "is kept as" in forced.stdout and "before-demo" in forced.stdout
    assert target.read_bytes() != before


def test_output_cut_short_by_the_reader_is_not_an_error(run, tmp_path, dvcoord_home):
    db = tmp_path / "d.sqlite"
    assert run("demo", str(db)).returncode == 0
    env = {**os.environ, "DVCOORD_HOME": str(dvcoord_home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dvcoord", "check", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    proc.stdout.close()  # the reader goes away at once
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err
    assert "Broken pipe" not in err


def test_import_of_a_missing_file_leaves_no_new_database(tmp_path):
    from dvcoord.cli import main

    db = tmp_path / "new.sqlite"
    assert main(["import-plan", "--db", str(db), str(tmp_path / "nofile.docx")]) == 1
    assert not db.exists()


def test_write_errors_name_the_folder_not_a_temporary_file():
    from dvcoord.cli import describe_os_error

    err = FileNotFoundError(2, "No such file or directory", "/proc/.dvcoord-share-abc123")
    assert describe_os_error(err) == (
        "Cannot write in the folder '/proc': no such file or directory."
    )
    plain = PermissionError(13, "Permission denied", "/srv/plan.xlsx")
    assert describe_os_error(plain) == "Permission denied: '/srv/plan.xlsx'."


@pytest.mark.parametrize(
    ("argv", "gui_only"),
    [
        ([], True),
        (["--db", "x.sqlite"], True),
        (["--db=x.sqlite"], True),
        (["--demo"], True),
        (["--demo", "--db", "x.sqlite"], True),
        (["--db"], False),  # the full parser says what is missing
        (["--help"], False),
        (["--version"], False),
        (["check", "x.sqlite"], False),
        (["--db", "x.sqlite", "check"], False),
    ],
)
def test_only_the_window_options_skip_the_sub_commands(argv, gui_only):
    from dvcoord.cli import _only_gui_options

    assert _only_gui_options(argv) is gui_only


def test_help_still_lists_every_sub_command(run):
    out = run("--help")
    assert out.returncode == 0
    for command in ("demo", "check", "backup", "backups", "restore", "report", "merge"):
        assert f"    {command}" in out.stdout, command
