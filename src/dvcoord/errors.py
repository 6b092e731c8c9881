"""Errors that carry a message meant for the user.

Anything raised as a :class:`DvcoordError` is shown as-is: one clear UK-English sentence,
no traceback.  Everything else is a bug, logged with its traceback.
"""

from __future__ import annotations


class DvcoordError(Exception):
    """A problem the user can understand and act on."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotADvcoordFile(DvcoordError):
    """The file is not a dvcoord database (or not a database at all)."""


class NewerVersionError(DvcoordError):
    """The file was written by a newer dvcoord than this one."""


class DamagedFileError(DvcoordError):
    """SQLite reports the file as damaged."""


class FileInUseError(DvcoordError):
    """Another program holds a lock on the file."""


class ValidationError(DvcoordError):
    """User input breaks a rule of the domain.

    ``field`` names the offending field so a form can show the message beside it.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
