"""The officer's own settings: one INI file at :func:`dvcoord.paths.settings_path`.

Never the Windows registry: the :class:`QSettings` here is always constructed on that
file in INI format.  Nothing else in dvcoord touches QSettings keys; areas that need to
remember something (a table's column widths, the last folder used for an export) use
:meth:`AppSettings.view_state` / :meth:`AppSettings.last_folder` and friends.

Per-database settings (partnership name, protective marking) are not kept here: they
live in the database's ``meta`` table so that they travel with the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from dvcoord import paths

MAX_RECENT = 8

_OFFICER = "officer/name"
_RECENT = "files/recent"
_LAST_FOLDER = "files/last_folder/"
_GEOMETRY = "window/geometry"
_STATE = "window/state"
_LAST_VIEW = "window/last_view"
_VIEW_STATE = "views/"


class AppSettings:
    """Typed access to the INI settings file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.settings_path()
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    # ------------------------------------------------------------------ officer
    def officer_name(self) -> str:
        return str(self._qs.value(_OFFICER, "") or "")

    def set_officer_name(self, name: str) -> None:
        self._qs.setValue(_OFFICER, name)

    def officer_or_login(self) -> str:
        """The officer's name, else the operating-system login name."""
        from dvcoord.users import default_user

        return self.officer_name() or default_user()

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[Path]:
        """Most recent first, at most :data:`MAX_RECENT`; includes files now missing."""
        raw = self._qs.value(_RECENT, "")
        try:
            items = json.loads(raw) if raw else []
        except (TypeError, ValueError):
            items = []
        if not isinstance(items, list):
            return []
        return [Path(p) for p in items if isinstance(p, str) and p][:MAX_RECENT]

    def _store_recent(self, files: list[Path]) -> None:
        unique: list[str] = []
        for f in files:
            text = str(f)
            if text not in unique:
                unique.append(text)
        self._qs.setValue(_RECENT, json.dumps(unique[:MAX_RECENT]))

    def add_recent_file(self, path: Path) -> None:
        path = Path(path).resolve()
        self._store_recent([path, *[p for p in self.recent_files() if p != path]])

    def remove_recent_file(self, path: Path) -> None:
        path = Path(path)
        self._store_recent([p for p in self.recent_files() if p != path])

    def remove_missing_recent_files(self) -> int:
        files = self.recent_files()
        kept = [p for p in files if p.is_file()]
        self._store_recent(kept)
        return len(files) - len(kept)

    def clear_recent_files(self) -> None:
        self._store_recent([])

    # ------------------------------------------------------------------ folders
    def last_folder(self, purpose: str = "database") -> Path | None:
        """The folder last used for ``purpose`` (``database``, ``report``, ``export``...)."""
        value = str(self._qs.value(_LAST_FOLDER + purpose, "") or "")
        if value and Path(value).is_dir():
            return Path(value)
        return None

    def set_last_folder(self, folder: Path, purpose: str = "database") -> None:
        self._qs.setValue(_LAST_FOLDER + purpose, str(folder))

    # ------------------------------------------------------------------ window
    def window_geometry(self) -> QByteArray | None:
        value = self._qs.value(_GEOMETRY)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_geometry(self, data: QByteArray) -> None:
        self._qs.setValue(_GEOMETRY, data)

    def window_state(self) -> QByteArray | None:
        value = self._qs.value(_STATE)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_state(self, data: QByteArray) -> None:
        self._qs.setValue(_STATE, data)

    def last_view(self) -> str:
        return str(self._qs.value(_LAST_VIEW, "") or "")

    def set_last_view(self, key: str) -> None:
        self._qs.setValue(_LAST_VIEW, key)

    # ------------------------------------------------------------------ views
    def view_state(self, view: str, name: str) -> QByteArray | None:
        """Opaque state a view saved (for example ``QHeaderView.saveState()``)."""
        value = self._qs.value(f"{_VIEW_STATE}{view}/{name}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_view_state(self, view: str, name: str, data: QByteArray) -> None:
        self._qs.setValue(f"{_VIEW_STATE}{view}/{name}", data)

    def view_value(self, view: str, name: str, default: str = "") -> str:
        """A short text a view remembers (a chosen filter, a sort column...)."""
        return str(self._qs.value(f"{_VIEW_STATE}{view}/{name}", default) or default)

    def set_view_value(self, view: str, name: str, value: str) -> None:
        self._qs.setValue(f"{_VIEW_STATE}{view}/{name}", value)

    # ------------------------------------------------------------------ file
    def sync(self) -> None:
        """Write pending changes to disk now (Qt also does so on its own)."""
        self._qs.sync()

    def status_ok(self) -> bool:
        return self._qs.status() == QSettings.Status.NoError
