"""``dvcoord share`` and ``dvcoord merge``: sending and receiving database files.

    dvcoord share --db PATH -o OUT [--encrypt] [--passphrase-file F] [--include-addresses]
    dvcoord merge --db PATH INCOMING [--passphrase-file F] [--dry-run] [--allow-unrelated]

``share`` writes a consistent copy (optionally an encrypted ``.dvcx`` bundle); a
passphrase comes from ``--passphrase-file`` (one trailing newline ignored) or is typed
at a prompt, never from the command line.  The full addresses of Sanctuary Scheme cases
are left out of the copy (and the number left out is printed) unless
``--include-addresses`` is given.  ``merge`` checks the received file, prints
the preview (new, changed, deleted, conflicts per kind of record, problems summarised by
kind, and what the merge would do on the last lines; see
:mod:`dvcoord.exchange.wording`) and, unless
``--dry-run``, applies it (conflicts settled by the rule: the later change wins) and
prints the report.  A file that was started separately from this database (not a copy
of it; see :mod:`dvcoord.exchange.matching`) is said so in the preview, and merged only
after the officer types "yes" at the prompt or gives ``--allow-unrelated``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SEND_SEPARATELY = "Send the passphrase another way — by phone or text, never in the same e-mail."


def _out(text: str = "") -> None:
    print(text, flush=True)


def cmd_share(args: argparse.Namespace) -> int:
    from dvcoord.exchange import bundle
    from dvcoord.exchange.share import make_shared_copy

    encrypt = bool(args.encrypt or args.passphrase_file)
    passphrase = None
    if encrypt:
        passphrase = bundle.obtain_passphrase(
            args.passphrase_file, confirm=True, for_encryption=True
        )
    result = make_shared_copy(
        Path(args.db),
        Path(args.output),
        encrypt=encrypt,
        passphrase=passphrase,
        include_addresses=bool(args.include_addresses),
    )
    out = result.path
    if encrypt:
        _out(f"Encrypted copy written to {out}")
    else:
        _out(f"Copy written to {out}")
    for line in result.address_lines():
        _out(line)
    if encrypt:
        _out(SEND_SEPARATELY)
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from dvcoord.exchange import bundle, wording
    from dvcoord.exchange.merge import apply_merge, plan_merge
    from dvcoord.store import Database

    incoming = Path(args.incoming)
    passphrase = None
    if bundle.is_bundle(incoming):
        passphrase = bundle.obtain_passphrase(args.passphrase_file)
    db = Database.open(
        Path(args.db),
        user=getattr(args, "officer", None),
        readonly=args.dry_run,
        backup=False,
    )
    try:
        preview = plan_merge(db, incoming, passphrase)
        try:
            for line in wording.preview_lines(preview):
                _out(line)
            if args.dry_run:
                _out("Dry run: nothing was changed.")
                return 0
            if preview.unrelated and not args.allow_unrelated and not _merge_unrelated():
                _out("Stopped: nothing was changed.")
                return 1
            report = apply_merge(db, preview)
        finally:
            preview.close()
        _out("")
        for line in wording.report_lines(report):
            _out(line)
    finally:
        db.close()
    return 0


def _merge_unrelated() -> bool:
    """Ask at the terminal whether to merge a separately started file; without a
    terminal, refuse with the way to go on."""
    from dvcoord.errors import DvcoordError

    if sys.stdin is None or not sys.stdin.isatty():
        raise DvcoordError(
            "The received file was started separately from your database, so it was not "
            "merged: check the preview above, then run the command again with "
            "--allow-unrelated to merge it (nothing was changed)."
        )
    try:
        answer = input("Merge it anyway, adding its records beside yours? Type yes to merge: ")
    except EOFError:
        return False
    return answer.strip().casefold() in ("y", "yes")


def register(subparsers) -> None:  # noqa: ANN001
    p = subparsers.add_parser(
        "share",
        help="write a copy of a database to send to someone (optionally encrypted)",
        description="Write a consistent copy of a database to send by e-mail. With "
        "--encrypt it is sealed with a passphrase (read from --passphrase-file, or typed).",
    )
    p.add_argument("--db", required=True, metavar="PATH", help="the database to share")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="the copy to write")
    p.add_argument(
        "--encrypt",
        action="store_true",
        help="seal the copy with a passphrase (an encrypted .dvcx bundle)",
    )
    p.add_argument(
        "--passphrase-file",
        metavar="F",
        help="read the passphrase from this file (implies --encrypt)",
    )
    p.add_argument(
        "--include-addresses",
        action="store_true",
        help="keep the full addresses of Sanctuary Scheme cases in the copy (left out "
        "unless you ask: a copy sent by e-mail should not carry victims' addresses)",
    )
    p.set_defaults(func=cmd_share)

    p = subparsers.add_parser(
        "merge",
        help="check a received database file and merge it into yours",
        description="Check a received file (a database or an encrypted .dvcx bundle), "
        "show what merging it would do, and merge it (a backup is taken first). "
        "Conflicts are settled by the rule: the later change wins.",
    )
    p.add_argument("--db", required=True, metavar="PATH", help="your database")
    p.add_argument("incoming", metavar="INCOMING", help="the file you received")
    p.add_argument(
        "--passphrase-file",
        metavar="F",
        help="read the passphrase of an encrypted file from this file",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="only show what would be merged; change nothing"
    )
    p.add_argument(
        "--allow-unrelated",
        action="store_true",
        help="merge a file that was started separately from your database (not a copy of "
        "it) without asking; its agencies and other lists are still matched by name",
    )
    p.set_defaults(func=cmd_merge)
