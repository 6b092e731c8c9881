"""``dvcoord report KIND --db PATH -o OUT.pdf ...`` as a user (or a script) runs it.

The PDFs are read back with pypdf; the database is opened read-only and left exactly as
it was; every error is one sentence and exit code 1, never a traceback.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from dvcoord.services import plans as ps
from dvcoord.store import Database

pytestmark = pytest.mark.slow  # each run is a fresh Python process

_WORD = re.compile(r"\w+")


@pytest.fixture
def run(run):
    """``dvcoord report ARGS`` (the shared runner of tests/e2e/conftest.py)."""
    return lambda *args, **kw: run("report", *args, **kw)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _text(pdf: Path) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(str(pdf)).pages]


def _flat(pdf: Path) -> str:
    return " ".join(" ".join(_text(pdf)).split())


def test_every_kind_on_the_demo_prints_the_file_and_its_pages(run, demo_path, tmp_path):
    before = _digest(demo_path)
    for kind, extra in (
        ("action-plan", ["--plan", "Sevenoaks"]),
        ("progress", ["--plan", "Sevenoaks", "--from", "01/07/2026"]),
        ("milestones", []),
        ("agency-return", ["--plan", "Sevenoaks", "--agency", "Kent Police"]),
    ):
        out = tmp_path / f"{kind}.pdf"
        result = run(kind, "--db", demo_path, "-o", out, *extra)
        assert result.returncode == 0, result.stderr
        pages = len(PdfReader(str(out)).pages)
        assert result.stdout.strip() == f"{out} ({pages} page{'s' if pages != 1 else ''})"
        texts = _text(out)
        assert all(
            t.lstrip().startswith("OFFICIAL") and t.rstrip().endswith("OFFICIAL") for t in texts
        ), kind
    assert _digest(demo_path) == before  # reports never write
    assert not list(demo_path.parent.glob("*.tmp"))


def test_the_full_plan_holds_every_word_of_the_reference_plan(run, demo_path, tmp_path):
    db = Database.open(demo_path, readonly=True, backup=False)
    try:
        with db.session() as s:
            plan = next(p for p in ps.list_plans(s) if p.title == "Domestic Abuse Action Plan")
            rows = ps.action_rows(s, plan.id)
    finally:
        db.close()
    out = tmp_path / "sevenoaks.pdf"
    result = run(
        "action-plan", "--db", demo_path, "-o", out, "--plan", "domestic abuse action plan"
    )
    assert result.returncode == 0, result.stderr
    found = Counter(w for t in _text(out) for w in _WORD.findall(t))
    expected: Counter[str] = Counter()
    for a in rows:
        expected.update(_WORD.findall(f"{a.reference} {a.text} {a.outcomes} {a.target_text}"))
    assert not expected - found
    flat = _flat(out)
    assert all(a.reference in flat for a in rows)
    assert "Sevenoaks District Community Safety Partnership" in flat


def test_marking_dates_and_redaction_options(run, demo_path, tmp_path):
    out = tmp_path / "m.pdf"
    result = run(
        "milestones",
        "--db",
        demo_path,
        "-o",
        out,
        "--marking",
        "none",
        "--from",
        "01/10/2026",
        "--to",
        "31/12/2026",
    )
    assert result.returncode == 0, result.stderr
    flat = _flat(out)
    assert "OFFICIAL" not in flat
    assert "2026/27 Q3 (01/10/2026 \u2013 31/12/2026)" in flat
    result = run(
        "milestones",
        "--db",
        demo_path,
        "-o",
        out,
        "--marking",
        "official-sensitive",
        "--from",
        "2026-04-01",
        "--to",
        "2027-03-31",
        "--redact",
    )
    assert result.returncode == 0, result.stderr
    flat = _flat(out)
    assert "OFFICIAL-SENSITIVE" in flat
    assert "Financial year 2026/27" in flat
    assert "Case references have been left out of this report." in flat


def test_help_gives_both_date_forms_and_the_plan_id_prefix(run):
    result = run("--help")
    assert result.returncode == 0
    # argparse wraps help at the terminal's width, breaking words after a hyphen
    flat = re.sub(r"(?<=\w)- (?=\w)", "-", " ".join(result.stdout.split()))
    assert "Dates are dd/mm/yyyy (or yyyy-mm-dd)." in flat
    assert "end of the period: dd/mm/yyyy (or yyyy-mm-dd)" in flat
    assert "plan id (or its first characters)" in flat


def test_list_shows_the_kinds_by_area(run):
    result = run("--list")
    assert result.returncode == 0
    assert "Action plans:" in result.stdout
    for kind in ("action-plan", "progress", "milestones", "agency-return"):
        assert re.search(rf"^\s+{kind}\s", result.stdout, re.M)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-kind"], "There is no report kind 'no-such-kind'. Choose one of:"),
        (
            ["action-plan", "--plan", "Nothing like it"],
            "There is no plan \u2018Nothing like it\u2019",
        ),
        (
            ["milestones", "--from", "31/02/2026"],
            "--from: '31/02/2026' is not a real date: February 2026 has 28 days.\n",
        ),
        (
            ["milestones", "--to", "2026-13-01"],
            "--to: '2026-13-01' is not a real date: there is no month 13.\n",
        ),
        (
            ["milestones", "--from", "March 2026"],
            "--from: 'March 2026' is not a date in the form dd/mm/yyyy (or yyyy-mm-dd), for "
            "example 31/03/2024.\n",
        ),
        (["milestones", "--marking", "SECRET"], "--marking: 'SECRET' is not a protective marking"),
        (["agency-return"], "Choose the agency whose return you want"),
        (
            ["sanctuary-cases", "--show-locations", "--marking", "NONE"],
            "must be marked OFFICIAL-SENSITIVE",
        ),
    ],
)
def test_bad_input_is_one_sentence_and_exit_1(run, demo_path, tmp_path, args, message):
    out = tmp_path / "x.pdf"
    result = run(*args[:1], "--db", demo_path, "-o", out, *args[1:])
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stderr.startswith("dvcoord: ") and result.stderr.count("\n") == 1
    assert not out.exists()


def test_missing_database_and_missing_folder(run, demo_path, tmp_path):
    result = run("milestones", "--db", tmp_path / "nope.sqlite", "-o", tmp_path / "x.pdf")
    assert result.returncode == 1 and "There is no database at" in result.stderr
    result = run("milestones", "--db", demo_path, "-o", tmp_path / "no" / "x.pdf")
    assert result.returncode == 1 and "the folder does not exist" in result.stderr
