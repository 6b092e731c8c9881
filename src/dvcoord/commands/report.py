"""PDF reports on the command line.

    dvcoord report KIND --db PATH -o OUT.pdf [--plan REF_OR_TITLE]
                   [--marking OFFICIAL|OFFICIAL-SENSITIVE|NONE] [--redact]
                   [--from DATE] [--to DATE] [--agency NAME] [--show-locations]
    dvcoord report --list

KIND is any registered report kind (``action-plan``, ``progress``, ``milestones``,
``agency-return``, and those other areas register).  Dates are ``dd/mm/yyyy`` (or ISO
``yyyy-mm-dd``).  The database is opened read-only (reports never write), unless it was
made by an older dvcoord and must first be upgraded.  Prints the file written and its
page count.  The GUI's Export report dialog calls the same ``build`` and so writes the
same file.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date
from pathlib import Path

from dvcoord.errors import DvcoordError

log = logging.getLogger(__name__)

MARKING_CHOICES = ("OFFICIAL", "OFFICIAL-SENSITIVE", "NONE")


def _out(text: str = "") -> None:
    print(text, flush=True)


def parse_date_arg(text: str, option: str) -> date:
    """A date typed on the command line: dd/mm/yyyy, or ISO yyyy-mm-dd."""
    from dvcoord.services.dates import parse_date_entry

    try:
        return parse_date_entry(text)
    except ValueError as exc:
        raise DvcoordError(f"{option}: {exc}") from None


def open_for_report(path: Path, user: str | None = None):  # noqa: ANN201 - Database, lazily
    """Open a database read-only; one made by an older dvcoord is upgraded first (with a
    backup), because it cannot be read without that.  ``user``: the officer named on the
    output (None: the login name)."""
    from dvcoord.store import Database, fileguard, migrate

    if not path.exists():
        raise DvcoordError(f"There is no database at '{path}'.")
    if path.is_dir():
        raise DvcoordError(f"'{path}' is a folder, not a database file.")
    facts = fileguard.inspect_file(path, known_revisions=migrate.known_revisions())
    if facts.revision != migrate.head_revision():
        log.info("report: %s needs an upgrade before it can be read", path.name)
        _out(f"Upgrading {path.name} to this version of dvcoord first (a backup is kept).")
        return Database.open(path, user=user)
    return Database.open(path, user=user, readonly=True, backup=False)


def cmd_report(args: argparse.Namespace) -> int:
    from dvcoord.reports import layout, registry

    if args.list:
        found = registry.kinds()
        by_area: dict[str, list[registry.ReportKind]] = {}
        for kind in found.values():
            by_area.setdefault(kind.area, []).append(kind)
        for area in sorted(by_area):
            _out(f"{area}:")
            for kind in sorted(by_area[area], key=lambda k: k.name):
                _out(f"  {kind.name:<22} {kind.title}")
        return 0
    if not args.kind:
        raise DvcoordError(
            "Name the report to make, for example: dvcoord report action-plan "
            "--db plan.sqlite -o plan.pdf (dvcoord report --list shows them all)."
        )
    if not args.db:
        raise DvcoordError("Give the database to report on with --db PATH.")
    if not args.output:
        raise DvcoordError("Give the PDF to write with -o OUT.pdf.")
    kind = registry.get(args.kind)
    marking = None
    if args.marking is not None:
        try:
            marking = layout.Marking.parse(args.marking).value
        except ValueError:
            raise DvcoordError(
                f"--marking: '{args.marking}' is not a protective marking; use "
                + ", ".join(MARKING_CHOICES)
                + "."
            ) from None
    date_from = parse_date_arg(args.date_from, "--from") if args.date_from else None
    date_to = parse_date_arg(args.date_to, "--to") if args.date_to else None
    if date_from and date_to and date_from > date_to:
        raise DvcoordError("--from is after --to; swap the dates.")
    out = Path(args.output).expanduser()
    officer = getattr(args, "officer", None)
    db = open_for_report(Path(args.db).expanduser(), officer)
    try:
        request = registry.ReportRequest(
            out=out,
            marking=marking,
            redact=bool(args.redact),
            plan=args.plan,
            date_from=date_from,
            date_to=date_to,
            agency=args.agency,
            show_locations=bool(args.show_locations),
            officer=officer or "",
        )
        written = kind.build(db, request)
    finally:
        db.close()
    if args.show_locations and not kind.shows_locations:
        _out(f"The {kind.name} report prints no locations; --show-locations made no difference.")
    pages = registry.page_count(written)
    log.info("report %s written to %s (%d pages)", kind.name, Path(written).name, pages)
    _out(f"{written} ({pages} page{'s' if pages != 1 else ''})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="write a PDF report (dvcoord report --list shows the kinds)",
        description="Write a PDF report from a database. Dates are dd/mm/yyyy (or yyyy-mm-dd).",
    )
    p.add_argument(
        "kind",
        nargs="?",
        metavar="KIND",
        help="report kind, e.g. action-plan, progress, milestones, agency-return",
    )
    p.add_argument("--db", metavar="PATH", help="the database to report on")
    p.add_argument("-o", "--output", metavar="OUT.pdf", help="the PDF file to write")
    p.add_argument(
        "--plan",
        metavar="REF_OR_TITLE",
        help="plan id (or its first characters), exact title or the start of its title",
    )
    p.add_argument(
        "--marking",
        metavar="|".join(MARKING_CHOICES),
        help="protective marking on every page (default: the plan's or database's)",
    )
    p.add_argument("--redact", action="store_true", help="leave out case references")
    p.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help="start of the period, or 'changed since' for progress: dd/mm/yyyy (or yyyy-mm-dd)",
    )
    p.add_argument(
        "--to",
        dest="date_to",
        metavar="DATE",
        help="end of the period: dd/mm/yyyy (or yyyy-mm-dd)",
    )
    p.add_argument("--agency", metavar="NAME", help="agency name (for agency-return)")
    p.add_argument(
        "--show-locations",
        action="store_true",
        help="print locations (sanctuary-cases: postcode districts, and addresses where "
        "the database records them); left out unless asked for",
    )
    p.add_argument("--list", action="store_true", help="list the report kinds and stop")
    p.set_defaults(func=cmd_report)
