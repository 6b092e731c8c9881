"""Sanctuary Scheme on the command line.

    dvcoord sanctuary-export --db PATH -o FILE.xlsx [--what cases|spend]
                             [--with-case-references] [--show-locations]
                             [--from DATE] [--to DATE]

``cases`` (the default) writes every case and every measure fitted; ``spend`` writes the
spend by financial year, quarter and item (``--from``/``--to`` choose the financial years;
default: up to five years ending with the current one).  Case references and locations
are left out unless asked for; full addresses are written only with ``--show-locations``
*and* when the database records addresses at all (``--with-locations``, the older name,
still works but is no longer shown in the help).  The database is opened read-only.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from dvcoord.errors import DvcoordError


def _out(text: str = "") -> None:
    print(text, flush=True)


def cmd_export(args: argparse.Namespace) -> int:
    from dvcoord.commands.report import open_for_report, parse_date_arg
    from dvcoord.importers.sanctuary import export_cases, export_spend
    from dvcoord.services import sanctuary as svc
    from dvcoord.services.dates import financial_year_of, fy_label

    if args.what == "cases" and (args.date_from or args.date_to):
        raise DvcoordError("--from and --to choose the years of a spend export (--what spend).")
    if args.what == "spend" and (args.with_case_references or args.with_locations):
        raise DvcoordError(
            "A spend export holds no case references or locations; leave out "
            "--with-case-references and --show-locations."
        )
    date_from = parse_date_arg(args.date_from, "--from") if args.date_from else None
    date_to = parse_date_arg(args.date_to, "--to") if args.date_to else None
    if date_from and date_to and date_from > date_to:
        raise DvcoordError("--from is after --to; swap the dates.")
    out = Path(args.output).expanduser()
    if out.is_dir():
        out = out / f"sanctuary-{args.what}.xlsx"
    db = open_for_report(Path(args.db).expanduser())
    try:
        with db.session() as s:
            if args.what == "spend":
                if date_from is None and date_to is None:
                    fy_from, fy_to = svc.spend_years(s, date.today())
                else:
                    fy_from = financial_year_of(date_from or date_to)  # type: ignore[arg-type]
                    fy_to = financial_year_of(date_to or date_from)  # type: ignore[arg-type]
                export_spend(s, out, fy_from, fy_to)
                span = fy_label(fy_from) + ("" if fy_to == fy_from else f" to {fy_label(fy_to)}")
                _out(f"Sanctuary Scheme spend for {span} written to {out}")
                return 0
            addresses = args.with_locations and svc.address_enabled(s)
            n = export_cases(
                s,
                out,
                with_case_references=args.with_case_references,
                with_locations=args.with_locations,
            )
    finally:
        db.close()
    _out(f"{n} case(s) written to {out}")
    if args.with_case_references or addresses:
        _out("The file holds case references or addresses: handle it as OFFICIAL-SENSITIVE.")
    elif args.with_locations:
        _out("The file holds postcode districts; addresses are switched off in this database.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sanctuary-export", help="write Sanctuary Scheme cases or spend to .xlsx")
    p.add_argument("--db", required=True, metavar="PATH", help="the database to export from")
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE.xlsx", help="the workbook to write"
    )
    p.add_argument(
        "--what",
        choices=("cases", "spend"),
        default="cases",
        help="cases (every case and measure) or spend (by year, quarter and item)",
    )
    p.add_argument(
        "--with-case-references",
        action="store_true",
        help="include case references (OFFICIAL-SENSITIVE)",
    )
    p.add_argument(
        "--show-locations",
        dest="with_locations",
        action="store_true",
        help="include postcode districts, and addresses where the database records them "
        "(as report --show-locations)",
    )
    # The older name, kept so that existing scripts still work; not shown in the help.
    p.add_argument(
        "--with-locations", dest="with_locations", action="store_true", help=argparse.SUPPRESS
    )
    p.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help="spend: first year, a date in it: dd/mm/yyyy (or yyyy-mm-dd)",
    )
    p.add_argument(
        "--to",
        dest="date_to",
        metavar="DATE",
        help="spend: last year, a date in it: dd/mm/yyyy (or yyyy-mm-dd)",
    )
    p.set_defaults(func=cmd_export)
