"""Icons from ``resources/icons/<name>.svg`` (one cached :class:`QIcon` per name)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from dvcoord import paths

_cache: dict[str, QIcon] = {}


def icon_path(name: str):
    return paths.resource("icons", f"{name}.svg")


def icon(name: str) -> QIcon:
    """The icon called ``name``; an empty icon (never an error) if there is none."""
    found = _cache.get(name)
    if found is None:
        file = icon_path(name) if name else None
        found = QIcon(str(file)) if file is not None and file.is_file() else QIcon()
        _cache[name] = found
    return found


def app_icon() -> QIcon:
    return icon("dvcoord")
