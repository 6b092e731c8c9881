"""Two separately started databases whose merge leaves received rows out for two
reasons: alarms with the asset tags of alarms already here (5), and the log entries of
those alarms (7).  Imported by the merge-summary tests (this folder is put on sys.path)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from exchange_data import make_db

from dvcoord.store import Database
from dvcoord.store.schema.alarms import Alarm, AlarmType, DeviceLogEntry

TAGS = [f"PA-{n:03d}" for n in range(1, 6)]


def _alarms(path: Path, user: str, logs: int) -> None:
    db = Database.open(path, user=user, backup=False)
    try:
        with db.transaction() as s:
            kind = AlarmType(name="Personal pendant alarm")
            s.add(kind)
            s.flush()
            alarms = [Alarm(asset_tag=tag, type_id=kind.id) for tag in TAGS]
            s.add_all(alarms)
            s.flush()
            for n in range(logs):
                s.add(
                    DeviceLogEntry(
                        alarm_id=alarms[n % len(alarms)].id,
                        entry_date=date(2026, 5, 1 + n),
                        kind="test",
                        result="pass",
                    )
                )
    finally:
        db.close()


def build(folder: Path) -> tuple[Path, Path]:
    """(this database, the received one): each started separately."""
    mine = make_db(folder / "district.sqlite", user="District officer", name="District", actions=2)
    theirs = make_db(folder / "county.sqlite", user="County officer", name="County", actions=2)
    _alarms(mine, "District officer", logs=0)
    _alarms(theirs, "County officer", logs=7)
    return mine, theirs
