"""Training records on the command line.

    dvcoord training-export --db PATH -o FILE.xlsx
    dvcoord training-import FILE --db PATH [--dry-run] [--skip-errors]

The export writes the matrix (marked, dated and coloured), compliance by agency, and the
trainees, attendance, courses and roles behind them.  The import reads a list of staff or
an attendance list (.xlsx or .csv, columns in any order under recognisable headings),
shows how the columns were read, what would be added, updated or skipped and every row
with an error; without ``--dry-run`` it takes a backup and writes everything in one
transaction (refusing a file with errors unless ``--skip-errors``).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from dvcoord.errors import DvcoordError


def _out(text: str = "") -> None:
    print(text, flush=True)


def _open(path: str, user: str | None = None):  # noqa: ANN202
    from dvcoord.store import Database

    db_path = Path(path)
    if not db_path.exists():
        raise DvcoordError(f"There is no database at '{db_path}'.")
    if db_path.is_dir():
        raise DvcoordError(f"'{db_path}' is a folder, not a database file.")
    return Database.open(db_path, user=user)


def cmd_export(args: argparse.Namespace) -> int:
    from dvcoord.importers.training import export_training

    out = Path(args.output)
    if out.is_dir():
        out = out / "training-matrix.xlsx"
    db = _open(args.db)
    try:
        with db.session() as s:
            n = export_training(s, out, today=date.today())
    finally:
        db.close()
    _out(f"The training matrix of {n} member(s) of staff was written to {out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from dvcoord.importers.training import import_training_file

    db = _open(args.db, getattr(args, "officer", None))
    try:
        _sheets, plan, summary = import_training_file(
            db, Path(args.file), dry_run=args.dry_run, skip_errors=args.skip_errors
        )
    finally:
        db.close()
    _out(f"Columns read from {Path(args.file).name}:")
    for table, header, label in plan.mapping:
        _out(f"  {table}: {header:<28} -> {label}")
    for notice in plan.notices:
        _out(f"Note: {notice}")
    _out(plan.summary())
    for row in plan.rows:
        for message in row.errors:
            _out(f"  ERROR {row.where} ({row.label or 'no name'}): {message}")
        if row.action in ("add", "update"):
            for message in row.warnings:
                _out(f"  check {row.where} ({row.label}): {message}")
    if summary is not None:
        _out(
            f"Imported {summary.trainees} new trainee(s), {summary.attendance} attendance "
            f"record(s) ({summary.updated} booking(s) updated) and {summary.sessions} new "
            "session(s)."
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
    _out("Nothing to import: everything in the file is already recorded.")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "training-export",
        help="write the training matrix and records to .xlsx",
        description="Write the training matrix, compliance and the records behind them to "
        "an Excel workbook.",
    )
    p.add_argument("--db", required=True, metavar="PATH", help="the database to export from")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "training-import",
        help="import a list of staff or an attendance list (.xlsx/.csv)",
        description="Import trainees and attendance from a spreadsheet. Dates are dd/mm/yyyy "
        "(or yyyy-mm-dd).",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--db", required=True, metavar="PATH", help="the database to import into")
    p.add_argument("--dry-run", action="store_true", help="show what would be imported only")
    p.add_argument(
        "--skip-errors", action="store_true", help="import the rows without errors, skip the rest"
    )
    p.set_defaults(func=cmd_import)
