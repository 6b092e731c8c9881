"""Plans in and out of Word, Excel and CSV on the command line.

    dvcoord import-plan FILE --db PATH [--plan-title TITLE] [--into REF_OR_TITLE]
                        [--agencies suggested|new|text] [--dry-run]
    dvcoord export-plan --db PATH --plan REF_OR_TITLE -o FILE.xlsx|FILE.csv [--single-sheet]

``import-plan`` reads the file, prints what it found (themes, actions, milestones, agency
words it could not match, warnings with where they are), and unless ``--dry-run`` writes
it in one transaction after a backup, then prints what was created. A database that does
not exist yet is created. ``--agencies`` says what to do with agency words that match no
known agency: ``suggested`` (default) creates an agency for a lead cell that is just a
name and keeps the rest as text; ``new`` creates them all; ``text`` creates none (the
words are kept in each action's lead text either way).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dvcoord.errors import DvcoordError

KIND_NAMES = {"docx": "Word document", "xlsx": "Excel workbook", "csv": "CSV file"}


def _out(text: str = "") -> None:
    print(text, flush=True)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe(parsed, policy: str = "suggested") -> list[str]:  # noqa: ANN001
    """The preview as text lines (also used by the tests)."""
    from dvcoord.importers.plan_import import FIELD_LABELS

    kind = KIND_NAMES.get(parsed.kind, parsed.kind)
    lines = [
        f"Read {parsed.source.name} ({kind}): {_plural(len(parsed.themes), 'theme')}, "
        f"{_plural(parsed.aim_count, 'aim')}, {_plural(parsed.action_count, 'action')}, "
        f"{_plural(parsed.milestone_count, 'milestone')}.",
        f"Plan title found: {parsed.title}"
        + (" (from the workbook's properties)" if parsed.title_source == "properties" else ""),
    ]
    if parsed.partnership:
        lines.append(f"Partnership found: {parsed.partnership}")
    from dvcoord.importers.plan_export import period_text

    for label, first, last in (
        ("Plan period", parsed.plan_from_fy, parsed.plan_to_fy),
        ("Strategy period", parsed.strategy_from_fy, parsed.strategy_to_fy),
    ):
        if first is not None or last is not None:
            lines.append(f"{label} found: {period_text(first, last)}")
    if parsed.changes:
        lines.append(f"Change history: {_plural(len(parsed.changes), 'row')}")
    lines.append("Columns read as:")
    for layout in parsed.layouts:
        cols = ", ".join(
            f"{header or f'(column {i + 1})'} → {FIELD_LABELS.get(name, name) if name else '—'}"
            for i, (header, name) in enumerate(layout.mapping.describe())
            if header or name
        )
        lines.append(
            f"  {cols}  [{', '.join(layout.tables[:3])}{' …' if len(layout.tables) > 3 else ''}]"
        )
    lines.append("Themes:")
    for theme in parsed.themes:
        lines.append(f"  {theme.label} ({_plural(len(theme.actions), 'action')})")
    if parsed.unmatched:
        lines.append(f"Agency words not matched to a known agency ({len(parsed.unmatched)}):")
        for entry in parsed.unmatched.values():
            what = entry.suggestion if policy == "suggested" else policy
            verb = "create a new agency" if what == "new" else "keep as text"
            lines.append(f"  {entry.text} — {_plural(entry.count, 'action')} — will {verb}")
    if parsed.warnings:
        lines.append(f"Warnings ({len(parsed.warnings)}):")
        lines.extend(f"  {w}" for w in parsed.warnings)
    return lines


def cmd_import_plan(args: argparse.Namespace) -> int:
    from dvcoord.importers.plan_import import default_agency_map, parse_plan, write_plan
    from dvcoord.services.plan_reports import resolve_plan
    from dvcoord.store import Database

    source = Path(args.file).expanduser()
    db_path = Path(args.db).expanduser()
    officer = getattr(args, "officer", None)
    if args.plan_title is not None and not args.plan_title.strip():
        raise DvcoordError(
            "The plan title given with --plan-title is blank; give the new plan a title, "
            "or leave --plan-title out to use the title found in the file."
        )
    if args.dry_run:
        db = (
            Database.open(db_path, user=officer, readonly=True, backup=False)
            if db_path.exists()
            else None
        )
    elif db_path.exists():
        db = Database.open(db_path, user=officer)
    else:
        if db_path.is_dir():
            raise DvcoordError(f"'{db_path}' is a folder, not a database file.")
        parse_plan(source, db=None)  # a file that cannot be read must not leave a new database
        db = Database.create(db_path, user=officer)
        _out(f"Created a new database at {db_path}")
    try:
        parsed = parse_plan(source, db=db)
        into = None
        if args.into:
            if db is None:
                raise DvcoordError(f"There is no database at '{db_path}' to merge into.")
            with db.session() as s:
                plan = resolve_plan(s, args.into)
                into, into_title = plan.id, plan.title
            _out(f"Merging into the plan '{into_title}'.")
        for line in describe(parsed, args.agencies):
            _out(line)
        if into is None and db is not None:
            from dvcoord.services.plan_lookup import same_title_notice

            with db.session() as s:
                twin = same_title_notice(
                    s,
                    args.plan_title or parsed.title or "Imported plan",
                    advice="give it another title with --plan-title, or merge with --into",
                )
            if twin:
                _out(f"Warning: {twin}")
        if args.dry_run:
            _out("Dry run: nothing was written.")
            return 0
        assert db is not None
        summary = write_plan(
            db,
            parsed,
            plan_title=args.plan_title,
            into_plan_id=into,
            agency_map=default_agency_map(parsed, args.agencies),
        )
    finally:
        if db is not None:
            db.close()
    _out("")
    for line in summary.lines():
        _out(line)
    extra = summary.warnings[len(parsed.warnings) :]
    for w in extra:
        _out(f"Warning: {w}")
    return 0


def cmd_export_plan(args: argparse.Namespace) -> int:
    from dvcoord.commands.report import open_for_report
    from dvcoord.importers.plan_export import export_plan
    from dvcoord.services.plan_reports import resolve_plan

    out = Path(args.output).expanduser()
    db = open_for_report(Path(args.db).expanduser(), getattr(args, "officer", None))
    try:
        with db.session() as s:
            plan_id = resolve_plan(s, args.plan).id
        summary = export_plan(db, plan_id, out, single_sheet=args.single_sheet)
    finally:
        db.close()
    where = (
        f"{_plural(len(summary.sheets), 'sheet')}" if out.suffix.lower() == ".xlsx" else "one table"
    )
    _out(
        f"Exported '{summary.plan_title}': {_plural(summary.actions, 'action')} in "
        f"{_plural(summary.themes, 'theme')} to {out} ({where})."
    )
    for notice in summary.notices:
        _out(f"Warning: {notice}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import-plan",
        help="import an action plan from a Word (.docx), Excel (.xlsx) or CSV file",
        description="Read an action plan from the tables of a .docx, the sheets of a .xlsx "
        "or a .csv, show what was found, and write it as a new plan (or merge it into one) "
        "in one transaction after a backup.",
    )
    p.add_argument("file", metavar="FILE", help="the .docx, .xlsx or .csv to read")
    p.add_argument(
        "--db", required=True, metavar="PATH", help="the database (created if it does not exist)"
    )
    p.add_argument(
        "--plan-title",
        metavar="TITLE",
        help="title of the new plan (default: the title found in the file)",
    )
    p.add_argument(
        "--into",
        metavar="REF_OR_TITLE",
        help="merge into this existing plan (id, title or the start of either) instead of "
        "creating one",
    )
    p.add_argument(
        "--agencies",
        choices=("suggested", "new", "text"),
        default="suggested",
        help="agency words matching no known agency: create agencies for plain names "
        "(suggested), for all (new), or keep them as text only (text)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="show what would be imported and write nothing"
    )
    p.set_defaults(func=cmd_import_plan)

    p = subparsers.add_parser(
        "export-plan",
        help="export an action plan to a spreadsheet (.xlsx or .csv)",
        description="Write a plan to .xlsx (one sheet per theme, or one sheet) or .csv, in a "
        "form that imports back with import-plan.",
    )
    p.add_argument("--db", required=True, metavar="PATH", help="the database holding the plan")
    p.add_argument(
        "--plan",
        metavar="REF_OR_TITLE",
        help="plan id (or its first characters), exact title or the start of its title (may "
        "be left out when the database holds one plan)",
    )
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the .xlsx or .csv to write"
    )
    p.add_argument(
        "--single-sheet",
        action="store_true",
        help="one sheet with a Theme column instead of one sheet per theme",
    )
    p.set_defaults(func=cmd_export_plan)
