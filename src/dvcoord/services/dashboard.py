"""Dashboard tiles, gathered from every area.

Any module of :mod:`dvcoord.services` may define
``dashboard_tiles(session, today) -> list[Tile]``; :func:`collect` calls them all, so an
area adds its tiles without touching this module or the GUI.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tile:
    key: str  # unique, e.g. "plans.overdue_milestones"
    area: str  # "Action plans", "Milestones", "Training", "Panic alarms", ...
    title: str  # "Overdue milestones"
    value: str  # the big figure, already formatted ("12", "87.5%")
    detail: str = ""  # one line under it
    severity: str = "info"  # "info", "ok", "warning", "alert"
    view: str = ""  # key of the GUI view a click opens
    order: int = 50
    lines: tuple[str, ...] = field(default_factory=tuple)  # a short list, e.g. top 5


def collect(session: Session, today: date) -> list[Tile]:
    import dvcoord.services as pkg

    tiles: list[Tile] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name == "dashboard":
            continue
        mod = importlib.import_module(f"dvcoord.services.{info.name}")
        provider = getattr(mod, "dashboard_tiles", None)
        if provider is None:
            continue
        tiles.extend(provider(session, today))
    return sorted(tiles, key=lambda t: (t.order, t.key))
