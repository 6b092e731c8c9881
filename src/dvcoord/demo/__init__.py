"""The demo database: real public plans and clearly fictional case data.

Each module in this package that defines ``populate(db)`` adds one area's demo data;
they run in the order of their ``ORDER`` number.  The file is built under a temporary
name and renamed into place, so a failure leaves nothing half-made.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import tempfile
from datetime import date
from pathlib import Path

from dvcoord.errors import DvcoordError
from dvcoord.store import Database

DEMO_PARTNERSHIP = "Sevenoaks District Community Safety Partnership"


def _populators():
    mods = []
    for info in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "populate"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def build_demo(
    path: Path,
    *,
    user: str = "Demo Co-ordinator",
    today: date | None = None,
    overwrite: bool = True,
) -> Path:
    """Write a complete demo database to ``path``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise DvcoordError(f"'{path}' already exists; choose another name.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DvcoordError(f"The folder '{folder}' does not exist.")
    fd, tmp_name = tempfile.mkstemp(prefix=".dvcoord-demo-", suffix=".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        db = Database.create(
            tmp,
            user=user,
            display_name="Demo database",
            partnership=DEMO_PARTNERSHIP,
            marking="OFFICIAL",
        )
        try:
            for mod in _populators():
                mod.populate(db, today=today or date.today())
        finally:
            db.close()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
