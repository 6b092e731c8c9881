"""The partnership's settings kept in a database's ``meta`` table, and the officer's name.

The rules for what a valid setting is live here so that the Settings dialog and any
command-line tool apply the same ones.  Every problem is a
:class:`~dvcoord.errors.ValidationError` whose ``field`` names the form field:
``display_name``, ``partnership``, ``marking`` or ``officer``.
"""

from __future__ import annotations

from dataclasses import dataclass

from dvcoord.errors import ValidationError
from dvcoord.store.database import MARKINGS, Database
from dvcoord.store.schema import core

MAX_DISPLAY_NAME = 120
MAX_PARTNERSHIP = 300
MAX_OFFICER = 200

#: How each protective marking is offered to the user.
MARKING_LABELS = {
    "OFFICIAL": "OFFICIAL",
    "OFFICIAL-SENSITIVE": "OFFICIAL-SENSITIVE",
    "NONE": "None (no marking printed)",
}


@dataclass(frozen=True)
class DatabaseSettings:
    display_name: str
    partnership: str
    marking: str


def read_settings(db: Database) -> DatabaseSettings:
    return DatabaseSettings(
        display_name=db.display_name,
        partnership=db.partnership,
        marking=db.default_marking,
    )


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def check_settings(settings: DatabaseSettings) -> list[ValidationError]:
    """Every problem with ``settings`` (an empty list when they can be saved)."""
    problems: list[ValidationError] = []
    name = _clean(settings.display_name)
    if not name:
        problems.append(
            ValidationError(
                "Give the database a name, for example 'Sevenoaks DA plan'.", field="display_name"
            )
        )
    elif len(name) > MAX_DISPLAY_NAME:
        problems.append(
            ValidationError(
                f"Keep the database name to {MAX_DISPLAY_NAME} characters or fewer.",
                field="display_name",
            )
        )
    partnership = _clean(settings.partnership)
    if not partnership:
        problems.append(
            ValidationError(
                "Enter the partnership's name; it is printed on every report.",
                field="partnership",
            )
        )
    elif len(partnership) > MAX_PARTNERSHIP:
        problems.append(
            ValidationError(
                f"Keep the partnership's name to {MAX_PARTNERSHIP} characters or fewer.",
                field="partnership",
            )
        )
    if settings.marking not in MARKINGS:
        problems.append(
            ValidationError("Choose OFFICIAL, OFFICIAL-SENSITIVE or no marking.", field="marking")
        )
    return problems


def save_settings(db: Database, settings: DatabaseSettings) -> DatabaseSettings:
    """Check and store ``settings`` in one transaction; returns what was stored."""
    problems = check_settings(settings)
    if problems:
        raise problems[0]
    cleaned = DatabaseSettings(
        display_name=_clean(settings.display_name),
        partnership=_clean(settings.partnership),
        marking=settings.marking,
    )
    db.set_metas(
        {
            core.META_DISPLAY_NAME: cleaned.display_name,
            core.META_PARTNERSHIP: cleaned.partnership,
            core.META_MARKING: cleaned.marking,
        }
    )
    return cleaned


def clean_officer_name(name: str) -> str:
    """The officer's name as it will be stamped on changes, or a ValidationError."""
    cleaned = _clean(name)
    if not cleaned:
        raise ValidationError(
            "Enter your name; it is recorded against every change you make.", field="officer"
        )
    if len(cleaned) > MAX_OFFICER:
        raise ValidationError(
            f"Keep your name to {MAX_OFFICER} characters or fewer.", field="officer"
        )
    return cleaned
