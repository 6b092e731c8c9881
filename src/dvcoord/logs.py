"""Logging to a rotating file in the user log directory.

What is logged: what the app did (opened a file, took a backup, built a report) and
errors with tracebacks.  What is never logged: case references, names, addresses,
passphrases or any other row content; call sites log counts and file names only.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

from dvcoord import paths

_configured = False


def setup(level: int = logging.INFO, *, console: bool = False) -> None:
    global _configured
    if _configured:
        return
    root = logging.getLogger("dvcoord")
    root.setLevel(level)
    try:
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            paths.log_path(), maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.WARNING)
        root.addHandler(stream)
    _configured = True
