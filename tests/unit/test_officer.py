"""Who is recorded: --officer, DVCOORD_OFFICER, the name saved in Settings, the login name.

The INI file here is written by hand as QSettings writes it; tests/gui/test_officer_gui.py
checks the same reader against files QSettings itself wrote.
"""

from __future__ import annotations

import sys

import pytest

from dvcoord import officer as off
from dvcoord import paths
from dvcoord.errors import DvcoordError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Sam Patel", "Sam Patel"),
        ('"Siân O\'Brien, DA Co-ordinator"', "Siân O'Brien, DA Co-ordinator"),
        ('" \\"quoted\\" "', ' "quoted" '),
        ('"back\\\\slash; semi=colon"', "back\\slash; semi=colon"),
        ("a\\tb", "a\tb"),
        ("x\\x1y", "x\x01y"),
        ("caf\\xe9", "café"),
        ("\\101\\102", "AB"),
        ("@@String", "@String"),
        ("@String(Jo)", "Jo"),
        ("@ByteArray(\\0\\x1)", ""),
        ("@Invalid()", ""),
        ("  trailing   ", "trailing"),
        ("a, b", ["a", "b"]),
        ('"a, b", c', ["a, b", "c"]),
    ],
)
def test_ini_values_are_unescaped_as_qsettings_does(raw, expected):
    assert off.unescape_ini_value(raw) == expected


def _ini(path, body: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def test_saved_name_is_read_from_the_settings_file(tmp_path):
    ini = _ini(
        tmp_path / "dvcoord.ini",
        '[files]\nrecent="[\\"C:\\\\\\\\Users\\\\\\\\x.sqlite\\"]"\n\n'
        '[officer]\nname="Siân   O\'Brien, DA Co-ordinator"\n\n'
        "[window]\ngeometry=@ByteArray(\\x1\\xd9\\xd0\\xcb\\0\\x3\\0\\0)\nlast_view=plans\n",
    )
    assert off.saved_officer_name(ini) == "Siân O'Brien, DA Co-ordinator"


@pytest.mark.parametrize(
    "body",
    [
        "",  # empty file
        "[window]\nlast_view=plans\n",  # no officer section
        "[officer]\nname=\n",  # saved empty
        "name=orphan key before any section\n",  # not an INI file dvcoord wrote
        "[officer]\nname=@ByteArray(abc)\n",  # not text
    ],
)
def test_no_usable_saved_name_reads_as_empty(tmp_path, body):
    assert off.saved_officer_name(_ini(tmp_path / "dvcoord.ini", body)) == ""


def test_unreadable_settings_file_reads_as_empty(tmp_path):
    bad = tmp_path / "dvcoord.ini"
    bad.write_bytes(b"[officer]\nname=\xff\xfe bad bytes\n")
    assert off.saved_officer_name(bad) == ""
    assert off.saved_officer_name(tmp_path / "missing.ini") == ""
    assert off.saved_officer_name(tmp_path) == ""  # a folder


def test_precedence_option_environment_settings_login(tmp_path, monkeypatch):
    monkeypatch.setattr("dvcoord.users.default_user", lambda: "jsmith01")
    ini = _ini(tmp_path / "dvcoord.ini", "[officer]\nname=Saved Name\n")
    env = {off.OFFICER_ENV: "  Env   Name "}

    assert off.resolve_officer(" Opt  Name ", environ=env, settings_path=ini) == off.Officer(
        "Opt Name", off.FROM_OPTION
    )
    assert off.resolve_officer(None, environ=env, settings_path=ini) == off.Officer(
        "Env Name", off.FROM_ENVIRONMENT
    )
    assert off.resolve_officer(None, environ={}, settings_path=ini) == off.Officer(
        "Saved Name", off.FROM_SETTINGS
    )
    blank_env = {off.OFFICER_ENV: "   "}  # set but empty: as if not set
    assert off.resolve_officer(None, environ=blank_env, settings_path=ini).name == "Saved Name"
    found = off.resolve_officer(None, environ={}, settings_path=tmp_path / "none.ini")
    assert found == off.Officer("jsmith01", off.FROM_LOGIN) and found.is_login_name


def test_default_settings_file_is_the_one_the_window_uses(monkeypatch):
    monkeypatch.delenv(off.OFFICER_ENV, raising=False)
    _ini(paths.settings_path(), "[officer]\nname=From Settings\n")
    assert off.resolve_officer().name == "From Settings"
    monkeypatch.setenv(off.OFFICER_ENV, "From Environment")
    assert off.resolve_officer() == off.Officer("From Environment", off.FROM_ENVIRONMENT)


def test_bad_names_are_refused_with_one_sentence(tmp_path):
    with pytest.raises(DvcoordError, match="^--officer: give your name"):
        off.resolve_officer("   ", environ={}, settings_path=tmp_path / "x.ini")
    with pytest.raises(DvcoordError, match="^--officer: keep the name to 200 characters"):
        off.resolve_officer("x" * 201, environ={}, settings_path=tmp_path / "x.ini")
    with pytest.raises(DvcoordError, match=f"^{off.OFFICER_ENV}: keep the name"):
        off.resolve_officer(None, environ={off.OFFICER_ENV: "y" * 300})


def test_the_officer_module_does_not_load_qt():
    import subprocess

    code = (
        "import sys, dvcoord.officer as o; o.resolve_officer(environ={}); "
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _sub_parsers(parser):
    import argparse

    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


def test_officer_option_is_on_every_command_that_writes_or_reports():
    from dvcoord import cli

    parser = cli.build_parser()
    commands = _sub_parsers(parser)
    assert set(commands) >= cli.OFFICER_COMMANDS  # no stale names
    for name, sub in commands.items():
        has = any("--officer" in a.option_strings for a in sub._actions)
        assert has == (name in cli.OFFICER_COMMANDS), name


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["report", "milestones"], None),
        (["--officer", "Before", "report", "milestones"], "Before"),
        (["report", "milestones", "--officer", "After"], "After"),
        (["--officer", "Before", "report", "milestones", "--officer", "After"], "After"),
        (["--officer", "Ignored", "check", "x.sqlite"], "Ignored"),
    ],
)
def test_officer_given_before_or_after_the_command(argv, expected):
    from dvcoord import cli

    assert cli.build_parser().parse_args(argv).officer == expected


def test_settled_officer_follows_the_precedence(tmp_path, monkeypatch):
    from dvcoord import cli

    monkeypatch.setattr("dvcoord.users.default_user", lambda: "jsmith01")
    monkeypatch.delenv(off.OFFICER_ENV, raising=False)
    args = cli.build_parser().parse_args(["import-plan", "f.xlsx", "--db", "x.sqlite"])
    cli._settle_officer(args)
    assert args.officer == "jsmith01"
    monkeypatch.setenv(off.OFFICER_ENV, "Env Name")
    args = cli.build_parser().parse_args(["merge", "--db", "x.sqlite", "in.sqlite"])
    cli._settle_officer(args)
    assert args.officer == "Env Name"
    args = cli.build_parser().parse_args(["check", "x.sqlite"])
    cli._settle_officer(args)
    assert args.officer is None  # not a command that records anyone
