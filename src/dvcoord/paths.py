"""The one place that knows where dvcoord's files live.

User files (database, settings, logs, backups) go under the per-user directories that
``appdirs`` chooses for the platform (on Windows: ``%LOCALAPPDATA%\\dvcoord``), so the app
never writes next to its executable or into the registry.  Setting the environment
variable ``DVCOORD_HOME`` puts all of them under one folder instead (used by the tests and
by IT for a portable install).

Read-only application files (``ui/`` forms, ``resources/``, Alembic migrations) are found
the same way from a source checkout, an installed wheel and a PyInstaller bundle:

* PyInstaller bundle: ``sys._MEIPASS/dvcoord/_data/{ui,resources}``
* installed wheel:    ``site-packages/dvcoord/_data/{ui,resources}`` (hatch force-include)
* source checkout / editable install: ``<repo>/ui`` and ``<repo>/resources``
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import appdirs

APP = "dvcoord"
DEFAULT_DB_NAME = "dvcoord.sqlite"

_PACKAGE_DIR = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- user files
def _home_override() -> Path | None:
    value = os.environ.get("DVCOORD_HOME")
    return Path(value) if value else None


def _user_dir(kind: str) -> Path:
    home = _home_override()
    if home is not None:
        path = home / kind
    elif kind == "data":
        path = Path(appdirs.user_data_dir(APP, appauthor=False))
    elif kind == "config":
        path = Path(appdirs.user_config_dir(APP, appauthor=False))
    elif kind == "logs":
        path = Path(appdirs.user_log_dir(APP, appauthor=False))
    elif kind == "backups":
        path = Path(appdirs.user_data_dir(APP, appauthor=False)) / "backups"
    else:  # pragma: no cover - programming error
        raise ValueError(kind)
    return path


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Where databases live by default."""
    return _ensure(_user_dir("data"))


def config_dir() -> Path:
    """Where the INI settings file lives (never the Windows registry)."""
    return _ensure(_user_dir("config"))


def log_dir() -> Path:
    return _ensure(_user_dir("logs"))


def backup_dir() -> Path:
    return _ensure(_user_dir("backups"))


def default_db_path() -> Path:
    return data_dir() / DEFAULT_DB_NAME


def demo_db_path() -> Path:
    return data_dir() / "dvcoord-demo.sqlite"


def settings_path() -> Path:
    return config_dir() / "dvcoord.ini"


def log_path() -> Path:
    return log_dir() / "dvcoord.log"


# --------------------------------------------------------------------------- app files
def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def _candidates(name: str) -> list[Path]:
    found: list[Path] = []
    if is_frozen():
        found.append(Path(sys._MEIPASS) / "dvcoord" / "_data" / name)  # type: ignore[attr-defined]
    found.append(_PACKAGE_DIR / "_data" / name)  # installed wheel
    found.append(_PACKAGE_DIR.parent.parent / name)  # source checkout: <repo>/src/dvcoord
    return found


def _find(name: str) -> Path:
    for candidate in _candidates(name):
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(c) for c in _candidates(name))
    raise FileNotFoundError(f"dvcoord cannot find its '{name}' folder (looked in: {tried})")


def ui_dir() -> Path:
    """Folder of Qt Designer ``.ui`` forms."""
    return _find("ui")


def resources_dir() -> Path:
    """Folder of icons, stylesheet, fonts, help pages and demo data."""
    return _find("resources")


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def migrations_dir() -> Path:
    """Alembic script directory (``env.py`` and ``versions/``), shipped as package data."""
    if is_frozen():
        bundled = Path(sys._MEIPASS) / "dvcoord" / "store" / "migrations"  # type: ignore[attr-defined]
        if bundled.is_dir():
            return bundled
    return _PACKAGE_DIR / "store" / "migrations"
