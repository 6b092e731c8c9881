"""Who is at the keyboard, when the officer has not given their name in Settings.

Kept out of :mod:`dvcoord.store` so the window can ask before the store (SQLAlchemy)
has been imported.
"""

from __future__ import annotations

import getpass


def default_user() -> str:
    """The operating-system login name, or "" when there is none."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is not an error worth failing on
        return ""
