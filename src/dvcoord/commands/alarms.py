"""Panic-alarm stock on the command line.

    dvcoord alarms-export --db PATH -o FILE.xlsx [--with-case-references]
    dvcoord alarms-import FILE --db PATH [--dry-run] [--skip-errors]

The import shows how the columns were read, what would be added or skipped and every
row with an error; without ``--dry-run`` it takes a backup and writes the rows in one
transaction (refusing a file with errors unless ``--skip-errors``).
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
    from dvcoord.importers.alarms import export_inventory

    out = Path(args.output)
    if out.is_dir():
        out = out / "alarm-inventory.xlsx"
    db = _open(args.db)
    try:
        with db.session() as s:
            n = export_inventory(s, out, include_case_references=args.with_case_references)
    finally:
        db.close()
    _out(f"{n} alarm(s) written to {out}")
    if args.with_case_references:
        _out("The file holds case references: handle it as OFFICIAL-SENSITIVE.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from dvcoord.importers.alarms import import_inventory_file

    db = _open(args.db, getattr(args, "officer", None))
    try:
        plan, summary = import_inventory_file(
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
        f"{len(plan.to_add)} alarm(s) to add ({plan.loans} on loan), "
        f"{len(plan.skipped)} already in the database, {len(plan.errors)} with errors."
    )
    if plan.new_types:
        _out("New alarm types: " + ", ".join(plan.new_types))
    if plan.new_agencies:
        _out("New agencies: " + ", ".join(plan.new_agencies))
    for row in plan.rows:
        for message in row.errors:
            _out(f"  ERROR {row.where} ({row.asset_tag or 'no tag'}): {message}")
        if row.action == "add":
            for message in row.warnings:
                _out(f"  check {row.where} ({row.asset_tag}): {message}")
    if summary is not None:
        _out(f"Imported {summary.added} alarm(s) and {summary.loans} open loan(s).")
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
    _out("Nothing to import.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("alarms-export", help="write the panic-alarm inventory to .xlsx")
    p.add_argument("--db", required=True, metavar="PATH", help="the database to export from")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    p.add_argument(
        "--with-case-references",
        action="store_true",
        help="include the case references of open loans (OFFICIAL-SENSITIVE)",
    )
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("alarms-import", help="import a panic-alarm stock spreadsheet (.xlsx/.csv)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--db", required=True, metavar="PATH", help="the database to import into")
    p.add_argument("--dry-run", action="store_true", help="show what would be imported only")
    p.add_argument(
        "--skip-errors", action="store_true", help="import the rows without errors, skip the rest"
    )
    p.set_defaults(func=cmd_import)
