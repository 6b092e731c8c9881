"""Small plain-Python pieces shared by the area services (alarms, training, sanctuary).

No Qt and no SQLAlchemy here; date arithmetic lives in :mod:`dvcoord.services.dates`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FieldWarning"]


@dataclass(frozen=True)
class FieldWarning:
    """Something the officer should check; saving was not refused."""

    field: str
    message: str
