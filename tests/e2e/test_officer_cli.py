"""``--officer NAME`` / DVCOORD_OFFICER / the name saved in Settings, as a user runs the
commands; and a plan exported to .xlsx comes back into a fresh database with its title."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

pytestmark = pytest.mark.slow  # each command is a fresh Python process


def footer_names(pdf: Path) -> set[str]:
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    return {line.split(" by ", 1)[1] for line in text.splitlines() if "Generated" in line}


def audit_users(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {row[0] for row in conn.execute("SELECT DISTINCT user FROM audit_log")}
    finally:
        conn.close()


def test_report_footer_names_option_then_environment_then_settings(
    run, demo_path, tmp_path, dvcoord_home
):
    pdf = tmp_path / "m.pdf"
    report = ("report", "milestones", "--db", demo_path, "-o", pdf)

    done = run(*report, "--officer", "Sam Patel", env={"DVCOORD_OFFICER": "Env Officer"})
    assert done.returncode == 0, done.stderr
    assert footer_names(pdf) == {"Sam Patel"}

    # before the command works the same; the environment is used when no option is given
    done = run("--officer", "Jo Bloggs", *report)
    assert done.returncode == 0, done.stderr
    assert footer_names(pdf) == {"Jo Bloggs"}
    done = run(*report, env={"DVCOORD_OFFICER": "Env Officer"})
    assert done.returncode == 0, done.stderr
    assert footer_names(pdf) == {"Env Officer"}

    # the name the window's Settings saved (QSettings INI: quoted because of the comma)
    ini = dvcoord_home / "config" / "dvcoord.ini"
    ini.parent.mkdir(parents=True, exist_ok=True)
    ini.write_text('[officer]\nname="Siân O\'Brien, DA Co-ordinator"\n', encoding="utf-8")
    done = run(*report)
    assert done.returncode == 0, done.stderr
    assert footer_names(pdf) == {"Siân O'Brien, DA Co-ordinator"}


def test_plan_round_trip_keeps_title_and_records_the_officer(run, demo_path, tmp_path):
    out = tmp_path / "for partners.xlsx"
    done = run(
        "export-plan", "--db", demo_path, "--plan", "Sevenoaks", "-o", out, "--officer", "Sam P"
    )
    assert done.returncode == 0, done.stderr
    title = done.stdout.split("'")[1]
    assert title.startswith("Sevenoaks")
    props = openpyxl.load_workbook(out, read_only=True).properties
    assert (props.title, props.creator) == (title, "Sam P")

    fresh = tmp_path / "fresh.sqlite"
    done = run("--officer", "Jo Bloggs", "import-plan", out, "--db", fresh)
    assert done.returncode == 0, done.stderr
    assert f"Plan title found: {title} (from the workbook's properties)" in done.stdout
    conn = sqlite3.connect(fresh)
    try:
        titles = [r[0] for r in conn.execute("SELECT title FROM plan")]
    finally:
        conn.close()
    assert titles == [title]
    assert audit_users(fresh) == {"Jo Bloggs"}


def test_officer_mistakes_are_one_sentence(run, demo_path, tmp_path):
    empty = run(
        "report", "milestones", "--db", demo_path, "-o", tmp_path / "x.pdf", "--officer", ""
    )
    assert empty.returncode == 1
    assert empty.stderr.strip() == (
        'dvcoord: --officer: give your name, for example --officer "Sam Patel".'
    )
    assert not (tmp_path / "x.pdf").exists()
    window = run("--officer", "Sam Patel")
    assert window.returncode == 1
    assert len(window.stderr.strip().splitlines()) == 1
    assert "File > Settings" in window.stderr
