"""The ``dvcoord`` command: the GUI by default, sub-commands for headless work.

    dvcoord                      open the GUI on the default database
    dvcoord --db PATH            open the GUI on PATH
    dvcoord --demo               open the GUI on a fresh demo database
    dvcoord --version
    dvcoord demo PATH            write a demo database
    dvcoord check PATH           integrity, schema revision, row counts (exit 1 on problems)
    dvcoord backup PATH [-o OUT] / backups PATH / restore BACKUP --db PATH
    dvcoord [--officer NAME] COMMAND ...   who is recorded against changes and on reports
                                 (else $DVCOORD_OFFICER, the name in Settings, the login)

More sub-commands come from the modules of :mod:`dvcoord.commands`, each of which
defines ``register(subparsers)``.  Every error is one sentence on stderr and a non-zero
exit code, never a traceback (the traceback goes to the log file).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import shutil
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import dvcoord
from dvcoord import logs, paths
from dvcoord.errors import DvcoordError

log = logging.getLogger("dvcoord.cli")


def _out(text: str = "") -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- commands
def cmd_demo(args: argparse.Namespace) -> int:
    from dvcoord.demo import build_demo
    from dvcoord.store import backups

    path = Path(args.path)
    kept = None
    if path.exists():
        if not args.force:
            raise DvcoordError(
                f"'{path}' already exists; choose another name, or add --force to replace it "
                "(a backup of it is taken first)."
            )
        if path.is_dir():
            raise DvcoordError(f"'{path}' is a folder; choose a file name.")
        try:
            kept = backups.take_backup(path, reason="before-demo")
        except Exception:  # noqa: BLE001 - not a database we can back up: keep a plain copy
            kept = path.with_name(path.name + ".replaced")
            shutil.copy2(path, kept)
    path = build_demo(path, overwrite=True)
    _out(f"Demo database written to {path}")
    if kept is not None:
        _out(f"The file it replaced is kept as {kept}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from dvcoord.services.check import check_database

    report = check_database(Path(args.path))
    _out(report.render())
    return 0 if report.sound else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from dvcoord.store import backups, fileguard, migrate

    path = Path(args.path)
    fileguard.inspect_file(path, known_revisions=migrate.known_revisions())
    dest = backups.take_backup(
        path, reason="manual", dest=Path(args.output) if args.output else None
    )
    _out(f"Backup written to {dest}")
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    from dvcoord.store import backups, fileguard, migrate

    path = Path(args.path)
    fileguard.inspect_file(path, known_revisions=migrate.known_revisions(), quick_check=False)
    found = backups.list_backups(path)
    if not found:
        _out(f"No backups of {path} yet.")
        return 0
    _out(f"{len(found)} backup(s) of {path}, newest first:")
    for b in found:
        _out(f"  {b.label:<40} {b.size / 1024:>9.0f} KB  {b.path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from dvcoord.store import backups

    safety = backups.restore_backup(Path(args.backup), Path(args.db))
    _out(f"Restored {args.backup} into {args.db}.")
    if safety != Path(args.db):
        _out(f"The file as it was before is kept as {safety}")
    return 0


# --------------------------------------------------------------------------- parser
#: Sub-commands that record who did the work (the audit trail's ``updated_by``) or print
#: it (report footers, document properties): they take ``--officer NAME``.
OFFICER_COMMANDS = frozenset(
    {
        "import-plan",
        "export-plan",
        "report",
        "merge",
        "alarms-import",
        "indicators-import",
        "training-import",
    }
)
OFFICER_HELP = (
    "your name, recorded against the changes and printed on reports (default: "
    "$DVCOORD_OFFICER, else the name saved in the window's Settings, else your login name)"
)


def _discover_commands() -> list:
    import dvcoord.commands as pkg

    mods = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        mod = importlib.import_module(f"dvcoord.commands.{info.name}")
        if hasattr(mod, "register"):
            mods.append(mod)
    return mods


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The ``dvcoord`` parser; ``commands=False`` leaves out the sub-commands (the GUI
    path: importing every command module would only delay the window)."""
    parser = argparse.ArgumentParser(
        prog="dvcoord",
        description="dvcoord: offline co-ordination of a district's domestic-abuse "
        "partnership. With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"dvcoord {dvcoord.__version__}")
    parser.add_argument("--db", dest="gui_db", metavar="PATH", help="open the window on this file")
    parser.add_argument(
        "--demo", action="store_true", help="open the window on a fresh demo database"
    )
    parser.add_argument("--officer", metavar="NAME", default=None, help=OFFICER_HELP)
    if not commands:
        parser.set_defaults(command=None)
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", help="write a demo database to PATH")
    p.add_argument("path", metavar="PATH")
    p.add_argument(
        "--force", action="store_true", help="replace an existing file (it is backed up first)"
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("check", help="check a database: integrity, schema, row counts")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("backup", help="take a backup of a database now")
    p.add_argument("path", metavar="PATH")
    p.add_argument("-o", "--output", metavar="OUT", help="write the backup here")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("backups", help="list the backups of a database")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(func=cmd_backups)

    p = sub.add_parser("restore", help="restore a backup over a database")
    p.add_argument("backup", metavar="BACKUP")
    p.add_argument(
        "--db", required=True, metavar="PATH", help="the database to put the backup in place of"
    )
    p.set_defaults(func=cmd_restore)

    for mod in _discover_commands():
        mod.register(sub)
    for name, command_parser in sub.choices.items():
        if name in OFFICER_COMMANDS:
            # SUPPRESS: without the option here, the one given before the command stands.
            command_parser.add_argument(
                "--officer", metavar="NAME", default=argparse.SUPPRESS, help=OFFICER_HELP
            )
    return parser


def _settle_officer(args: argparse.Namespace) -> None:
    """Replace ``args.officer`` by the name to record: --officer, DVCOORD_OFFICER, the
    name saved in the window's Settings, else the login name (:mod:`dvcoord.officer`)."""
    from dvcoord.officer import resolve_officer

    if args.command is None:
        if args.officer is not None:
            raise DvcoordError(
                "--officer names you for the sub-commands; in the window, set your name in "
                "File > Settings."
            )
        return
    if args.command in OFFICER_COMMANDS:
        args.officer = resolve_officer(args.officer).name


def _run_gui(args: argparse.Namespace) -> int:
    from dvcoord.gui.app import run_gui

    return run_gui(db_path=Path(args.gui_db) if args.gui_db else None, demo=args.demo)


def describe_os_error(exc: OSError) -> str:
    """One sentence for a file error, naming what the user chose, not our temp files."""
    reason = (exc.strerror or str(exc)).rstrip(".")
    name = getattr(exc, "filename", None)
    if not name:
        return f"{reason}."
    path = Path(str(name))
    if path.name.startswith("."):  # a temporary file dvcoord writes beside the target
        return f"Cannot write in the folder '{path.parent}': {reason.lower()}."
    return f"{reason}: '{path}'."


_GUI_FLAGS = {"--demo"}
_GUI_OPTIONS = {"--db"}


def _only_gui_options(argv: list[str]) -> bool:
    """True for ``dvcoord``, ``dvcoord --db PATH`` and ``dvcoord --demo`` (the window)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _GUI_FLAGS or arg.startswith("--db="):
            i += 1
        elif arg in _GUI_OPTIONS and i + 1 < len(argv):
            i += 2
        else:
            return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    logs.setup()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(commands=not _only_gui_options(argv))
    args = parser.parse_args(argv)
    try:
        _settle_officer(args)
        if args.command is None:
            return _run_gui(args)
        return int(args.func(args) or 0)
    except DvcoordError as exc:
        print(f"dvcoord: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("dvcoord: stopped.", file=sys.stderr)
        return 130
    except sqlite3.Error as exc:
        log.exception("database error")
        print(f"dvcoord: the database reported a problem: {exc}.", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader of our output went away (e.g. ``| head``): not an error worth a log.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:
        log.exception("file error")
        print(f"dvcoord: {describe_os_error(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        log.exception("unexpected error")
        print(
            f"dvcoord: unexpected error ({type(exc).__name__}); details are in {paths.log_path()}.",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
