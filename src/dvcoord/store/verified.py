"""Files known to be sound, so that opening one's own file is fast.

SQLite's ``quick_check`` reads every page: on a county-scale file (hundreds of MB, most
of it audit trail) it takes longer than the whole of the rest of opening.  dvcoord runs
it whenever it cannot vouch for a file, and skips it when the file is exactly as dvcoord
last left it: same size, same modification time to the nanosecond and the same SQLite
change counter (bytes 24-27 of the header, bumped by every committed transaction) as
when it was last checked sound or closed cleanly by dvcoord.

So a file that was copied in, received, restored, edited by another program, or left
behind by a crash (nothing is recorded until a clean close) is checked in full; a file
reopened after a normal session is not.  ``dvcoord check`` always checks in full.

The record is a small JSON file in the user data folder; losing it costs one full check.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

from dvcoord import paths

log = logging.getLogger(__name__)

FILE_NAME = "verified-files.json"
MAX_ENTRIES = 50


def _record_path() -> Path:
    return paths.data_dir() / FILE_NAME


def fingerprint(path: Path) -> dict[str, int] | None:
    """What identifies this exact state of the file, or None if it cannot be read."""
    try:
        st = os.stat(path)
        with open(path, "rb") as fh:
            header = fh.read(100)
    except OSError:
        return None
    if len(header) < 100:
        return None
    return {
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "change_counter": int.from_bytes(header[24:28], "big"),
    }


def _load() -> dict[str, dict[str, int]]:
    try:
        data = json.loads(_record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _key(path: Path) -> str:
    return os.path.normcase(str(Path(path).resolve()))


def is_known_sound(path: Path) -> bool:
    """True if ``path`` is exactly as dvcoord last found or left it sound."""
    if Path(str(path) + "-journal").exists():
        return False  # an unfinished transaction: recover and check in full
    current = fingerprint(path)
    return current is not None and _load().get(_key(path)) == current


def remember_sound(path: Path) -> None:
    """Record the file's present state as sound (after a full check or a clean close)."""
    current = fingerprint(path)
    if current is None:
        return
    data = _load()
    data.pop(_key(path), None)
    data[_key(path)] = current
    while len(data) > MAX_ENTRIES:
        data.pop(next(iter(data)))
    _save(data)


def forget(path: Path) -> None:
    data = _load()
    if data.pop(_key(path), None) is not None:
        _save(data)


def _save(data: dict[str, dict[str, int]]) -> None:
    tmp: Path | None = None
    try:
        target = _record_path()
        fd, name = tempfile.mkstemp(prefix=".verified-", suffix=".tmp", dir=target.parent)
        tmp = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, target)
    except OSError as exc:  # a cache: failing to write it only costs a full check later
        log.warning("could not record checked files: %s", exc.strerror or exc)
        if tmp is not None:
            tmp.unlink(missing_ok=True)
