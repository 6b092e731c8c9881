"""Performance indicators on the command line.

    dvcoord indicators-export --db PATH -o FILE.xlsx
    dvcoord indicators-import FILE --db PATH [--dry-run] [--skip-errors]

The import shows how the columns were read, what would be added, changed or left as it
is, and every row with an error; without ``--dry-run`` it takes a backup and writes the
rows in one transaction (refusing a file with errors unless ``--skip-errors``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dvcoord.errors import DvcoordError


def _out(text: str = "") -> None:
    print(text, flush=True)


def _open(path: str, user: str | None = None):  # noqa: ANN202
    from dvcoord.store import Database

    db_path = Path(path)
    if not db_path.exists():
        raise DvcoordError(f"There is no database at '{db_path}'.")
    return Database.open(db_path, user=user)


def cmd_export(args: argparse.Namespace) -> int:
    from dvcoord.importers.indicators import export_indicators

    out = Path(args.output)
    if out.is_dir():
        out = out / "indicators.xlsx"
    db = _open(args.db)
    try:
        with db.session() as s:
            n = export_indicators(s, out)
    finally:
        db.close()
    _out(f"{n} indicator(s) with their values and targets written to {out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from dvcoord.importers.indicators import import_values_file

    db = _open(args.db, getattr(args, "officer", None))
    try:
        plan, summary = import_values_file(
            db, Path(args.file), dry_run=args.dry_run, skip_errors=args.skip_errors
        )
    finally:
        db.close()
    _out(f"Columns read from {Path(args.file).name}:")
    for header, label in plan.mapping:
        _out(f"  {header:<30} -> {label}")
    for notice in plan.notices:
        _out(f"Note: {notice}")
    _out(
        f"{len(plan.added)} row(s) to add, {len(plan.updated)} to change, "
        f"{len(plan.unchanged)} already in the database, {len(plan.errors)} with errors "
        f"({plan.targets} target(s))."
    )
    if plan.new_indicators:
        _out("New indicators: " + ", ".join(s["name"] for s in plan.new_indicators))
    for row in plan.rows:
        label = f"{row.where} ({row.indicator or 'no indicator'}, {row.period or 'no period'})"
        for message in row.errors:
            _out(f"  ERROR {label}: {message}")
        if row.action != "error":
            for message in row.warnings:
                _out(f"  check {label}: {message}")
    if summary is not None:
        _out(
            f"Imported {summary.added} new value(s), changed {summary.updated} and recorded "
            f"{summary.targets} target(s)."
        )
        return 0
    if args.dry_run:
        _out("Dry run: nothing was written.")
        return 1 if plan.errors else 0
    if plan.errors:
        _out(
            "Nothing was written. Correct the errors, or use --skip-errors to import the "
            "other rows."
        )
        return 1
    _out("Nothing to import: every figure is already in the database.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "indicators-export", help="write the performance indicators, values and targets to .xlsx"
    )
    p.add_argument("--db", required=True, metavar="PATH", help="the database to export from")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("indicators-import", help="import indicator values and targets (.xlsx/.csv)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--db", required=True, metavar="PATH", help="the database to import into")
    p.add_argument("--dry-run", action="store_true", help="show what would be imported only")
    p.add_argument(
        "--skip-errors", action="store_true", help="import the rows without errors, skip the rest"
    )
    p.set_defaults(func=cmd_import)
