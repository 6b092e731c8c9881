"""``dvcoord import-plan`` and ``dvcoord export-plan`` as a user runs them."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
import plan_fixtures as pf  # noqa: E402

pytestmark = pytest.mark.slow  # each command is a fresh Python process


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_import_dry_run_import_export_and_back(run, tmp_path):
    source = pf.build_docx(pf.SEVENOAKS, tmp_path / "sevenoaks.docx")
    db = tmp_path / "plans.sqlite"

    dry = run("import-plan", source, "--db", db, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "6 themes, 0 aims, 22 actions, 2 milestones" in dry.stdout
    assert "Building Bridges — 3 actions — will create a new agency" in dry.stdout
    assert "Table 3: no header row" in dry.stdout
    assert "Dry run: nothing was written." in dry.stdout
    assert not db.exists()

    done = run("import-plan", source, "--db", db, "--plan-title", "Sevenoaks DA plan 2007")
    assert done.returncode == 0, done.stderr
    assert "Created a new database" in done.stdout
    assert "Created plan 'Sevenoaks DA plan 2007'." in done.stdout
    assert "Actions created: 22" in done.stdout and "Milestones created: 2" in done.stdout
    assert "Agencies created: 10" in done.stdout
    assert "Backup taken first:" in done.stdout
    assert count(db, "action") == 22

    out = tmp_path / "plan.xlsx"
    exported = run("export-plan", "--db", db, "--plan", "Sevenoaks DA", "-o", out)
    assert exported.returncode == 0, exported.stderr
    assert "22 actions in 6 themes" in exported.stdout and "(6 sheets)" in exported.stdout
    out_csv = tmp_path / "plan.csv"
    assert run("export-plan", "--db", db, "-o", out_csv, "--single-sheet").returncode == 0
    assert out_csv.read_bytes().startswith(b"\xef\xbb\xbf")

    back = run("import-plan", out, "--db", db, "--plan-title", "Round trip")
    assert back.returncode == 0, back.stderr
    assert "Actions created: 22" in back.stdout and "Agencies created: 0" in back.stdout
    assert count(db, "action") == 44 and count(db, "plan") == 2

    merged = run("import-plan", out_csv, "--db", db, "--into", "Round trip")
    assert merged.returncode == 0, merged.stderr
    assert "Merged into plan 'Round trip'." in merged.stdout
    assert "Actions updated: 0 (unchanged: 22)" in merged.stdout
    assert count(db, "action") == 44


def test_bad_files_give_one_clear_sentence(run, tmp_path):
    db = tmp_path / "plans.sqlite"
    prose = pf.build_docx(pf.KENT_SUMMARY, tmp_path / "summary.docx")
    result = run("import-plan", prose, "--db", db)
    assert result.returncode == 1
    assert "'summary.docx' has no tables" in result.stderr
    assert not db.exists()  # nothing written: not even a new, empty database
    from dvcoord.store import Database

    Database.create(db, user="Test").close()

    locked = tmp_path / "locked.docx"
    locked.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "EncryptionInfo".encode("utf-16-le")
    )
    result = run("import-plan", locked, "--db", db, "--dry-run")
    assert result.returncode == 1 and "password-protected" in result.stderr

    result = run("export-plan", "--db", db, "--plan", "Nothing", "-o", tmp_path / "x.xlsx")
    assert result.returncode == 1 and "no action plans" in result.stderr


def test_same_title_is_warned_and_the_plans_told_apart(run, tmp_path):
    source = pf.build_docx(pf.SEVENOAKS, tmp_path / "sevenoaks.docx")
    db = tmp_path / "plans.sqlite"

    blank = run("import-plan", source, "--db", db, "--plan-title", "  ")
    assert blank.returncode == 1 and not db.exists()
    assert "The plan title given with --plan-title is blank;" in blank.stderr
    assert blank.stderr.strip().endswith("the title found in the file.")

    first = run("import-plan", source, "--db", db, "--plan-title", "DA plan")
    assert first.returncode == 0, first.stderr
    assert "already exists" not in first.stdout
    second = run("import-plan", source, "--db", db, "--plan-title", "DA plan")
    assert second.returncode == 0, second.stderr
    assert (
        "Warning: A plan called \u2018DA plan\u2019 already exists (" in second.stdout
        and "the import will add it as a separate plan with the same title \u2014 give it "
        "another title with --plan-title, or merge with --into."
        in second.stdout
    )
    assert "it was added as a separate plan with the same title." in second.stdout
    assert count(db, "plan") == 2

    out = tmp_path / "plan.csv"
    ambiguous = run("export-plan", "--db", db, "--plan", "DA plan", "-o", out)
    assert ambiguous.returncode == 1
    assert "2 plans are called \u2018DA plan\u2019; choose one with --plan and its id:" in (
        ambiguous.stderr
    )
    assert ambiguous.stderr.count("22 actions, created ") == 2
    shorts = re.findall(r"id ([0-9a-f-]+) \(", ambiguous.stderr)
    assert len(shorts) == 2 and ambiguous.stderr.count(" at ") == 2  # same day: the time too
    short = shorts[1]
    assert 8 <= len(short) < 36
    chosen = run("export-plan", "--db", db, "--plan", short, "-o", out)
    assert chosen.returncode == 0, chosen.stderr
