"""Sharing figures: merging two copies of the large file with 10% of rows changed on each
side, and sharing it (plain and encrypted).

Two copies of the synthetic county-scale database are made: "county" (A) and
"district" (B, given its own database id).  On each side 10% of the rows of every shared
table are changed (a word added to a text column; one in ten of those is marked
deleted instead), chosen independently, so about 1% are changed on both sides.  The
district then shares its file and the county merges it: the untrusted-file gate, the
preview and the merge itself, in a fresh process.

* ``merge_10pct_s``: wall time of ``plan_merge`` + ``apply_merge`` (gate, comparison,
  backup, one transaction); ``merge_gate_and_preview_s`` and ``merge_apply_s`` split it.
* ``merge_rows_per_s``: shared rows compared (both files) per second of the whole merge.
* ``merge_rows_written``: rows the merge wrote (new, changed, deleted, conflicts taken).
* ``merge_peak_mb``: peak resident memory of the merging process (``VmHWM``; the
  interpreter and imports included).  Targets: under 10 s and under 500 MB.
* ``share_copy_s`` / ``share_encrypted_s``: ``share_copy`` of the large file, plain and
  sealed into a ``.dvcx`` bundle (scrypt's default cost included).
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import time
from pathlib import Path

MERGE_IN_FRESH_PROCESS = r"""
import json, resource, sys, time
from pathlib import Path

def peak_mb():
    # VmHWM is this program's own peak; ru_maxrss would also count the parent's memory
    # at the fork (it survives exec on Linux).
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

from dvcoord.store import Database
from dvcoord.exchange.merge import apply_merge, plan_merge
db = Database.open(Path(sys.argv[1]), user="Bench", backup=False)
start = time.perf_counter()
preview = plan_merge(db, Path(sys.argv[2]))
planned = time.perf_counter()
report = apply_merge(db, preview)
done = time.perf_counter()
db.close()
t = report.totals
print(json.dumps({
    "plan_s": planned - start, "apply_s": done - planned,
    "written": t.new + t.changed + t.deleted + t.conflicts,
    "conflicts": t.conflicts,
    "maxrss_mb": peak_mb(),
}))
"""


def _shared_tables() -> list:
    from dvcoord.exchange.merge import merged_tables

    return merged_tables()


def _text_column(table) -> str | None:  # noqa: ANN001
    from sqlalchemy import String, Text

    skip = {"id", "updated_by", "origin"}
    for col in table.columns:
        if col.name in skip or col.foreign_keys or col.primary_key:
            continue
        if isinstance(col.type, Text | String):
            return col.name
    return None


def change_tenth(path: Path, *, seed: int, who: str, origin: str) -> int:
    """Change 10% of the rows of every shared table (raw SQL, stamped as the hook would)."""
    from dvcoord.store.base import utcnow

    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    changed = 0
    try:
        conn.execute("BEGIN")
        for table in _shared_tables():
            ids = [r[0] for r in conn.execute(f'SELECT id FROM "{table.name}"')]
            if not ids:
                continue
            picked = rng.sample(ids, max(1, len(ids) // 10))
            column = _text_column(table)
            for n, row_id in enumerate(picked):
                stamp = utcnow().replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
                if n % 10 == 9:
                    conn.execute(
                        f'UPDATE "{table.name}" SET deleted_at = ?, updated_at = ?, '
                        "updated_by = ?, origin = ? WHERE id = ?",
                        (stamp, stamp, who, origin, row_id),
                    )
                elif column:
                    conn.execute(
                        f'UPDATE "{table.name}" SET "{column}" = "{column}" || ?, '
                        "updated_at = ?, updated_by = ?, origin = ? WHERE id = ?",
                        (f" ({who})", stamp, who, origin, row_id),
                    )
                else:
                    conn.execute(
                        f'UPDATE "{table.name}" SET updated_at = ?, updated_by = ?, '
                        "origin = ? WHERE id = ?",
                        (stamp, who, origin, row_id),
                    )
                changed += 1
        conn.execute("COMMIT")
    finally:
        conn.close()
    return changed


def _database_id(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()[0]
    finally:
        conn.close()


def _shared_row_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return sum(
            conn.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0] for t in _shared_tables()
        )
    finally:
        conn.close()


def run(ctx) -> list[tuple[str, float | int, str]]:  # noqa: ANN001
    from dvcoord.exchange.share import share_copy
    from dvcoord.store.backups import copy_database
    from dvcoord.store.base import uuid7

    large = ctx.large_db()
    county = copy_database(large, ctx.tmp / "county.sqlite")
    district = copy_database(large, ctx.tmp / "district.sqlite")
    district_id = uuid7()
    conn = sqlite3.connect(district)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'database_id'", (district_id,))
    conn.execute("UPDATE meta SET value = 'District' WHERE key = 'display_name'")
    conn.commit()
    conn.close()
    change_tenth(county, seed=1, who="County officer", origin=_database_id(county))
    change_tenth(district, seed=2, who="District officer", origin=district_id)

    start = time.perf_counter()
    received = share_copy(district, ctx.tmp / "from-district.sqlite")
    share_s = time.perf_counter() - start
    start = time.perf_counter()
    share_copy(
        district, ctx.tmp / "from-district.dvcx", encrypt=True, passphrase="bench passphrase words"
    )
    share_enc_s = time.perf_counter() - start

    compared = _shared_row_count(county) + _shared_row_count(received)
    out = subprocess.run(
        [ctx.python, "-c", MERGE_IN_FRESH_PROCESS, str(county), str(received)],
        capture_output=True,
        text=True,
        env=ctx.env(),
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    total = result["plan_s"] + result["apply_s"]
    return [
        ("merge_10pct_s", total, "s"),
        ("merge_gate_and_preview_s", result["plan_s"], "s"),
        ("merge_apply_s", result["apply_s"], "s"),
        ("merge_rows_per_s", compared / total, "rows/s"),
        ("merge_rows_written", int(result["written"]), "rows"),
        ("merge_conflicts", int(result["conflicts"]), "rows"),
        ("merge_peak_mb", result["maxrss_mb"], "MB"),
        ("share_copy_s", share_s, "s"),
        ("share_encrypted_s", share_enc_s, "s"),
    ]
