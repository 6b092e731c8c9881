"""Developer tool: write a new Alembic revision by comparing the models with the head.

    python tools/new_migration.py "add training tables" --rev 0004_training \
        --tables course,trainer,session

Builds a scratch database at the current head (by running every migration from an
empty file), autogenerates the difference against ``dvcoord.store.schema``, and writes
``src/dvcoord/store/migrations/versions/<rev>.py``.  Read the result before committing.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from alembic import command  # noqa: E402

from dvcoord.store import migrate  # noqa: E402
from dvcoord.store.engine import APPLICATION_ID, make_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("message")
    parser.add_argument("--rev", required=True, help="revision id, e.g. 0004_training")
    parser.add_argument(
        "--tables", default="", help="comma-separated tables to include (others' are ignored)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scratch.sqlite"
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.close()
        engine = make_engine(path, pooled=False)
        with engine.begin() as c:
            command.upgrade(migrate.alembic_config(c), "head")
        with engine.begin() as c:
            cfg = migrate.alembic_config(c)
            if args.tables:
                cfg.attributes["only_tables"] = {t.strip() for t in args.tables.split(",")}
            command.revision(
                cfg,
                message=args.message,
                autogenerate=True,
                rev_id=args.rev,
            )
        engine.dispose()


if __name__ == "__main__":
    main()
