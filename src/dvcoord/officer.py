"""Who is recorded as doing the work: the audit trail's ``updated_by`` and the name in
every report's footer.

The window keeps the officer's name in the INI settings file (File > Settings, stored by
:class:`dvcoord.gui.settings.AppSettings` under the QSettings key ``officer/name``).  The
command line must not import Qt, so it reads that file here with :mod:`configparser` and
undoes QSettings' INI escaping itself.

Precedence (:func:`resolve_officer`): the ``--officer`` option, then the environment
variable ``DVCOORD_OFFICER``, then the name saved in Settings, then the operating-system
login name (which is what a council laptop calls its user: "jsmith01", "Administrator").
"""

from __future__ import annotations

import configparser
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dvcoord.errors import DvcoordError

log = logging.getLogger(__name__)

#: Environment variable that names the officer for command-line work.
OFFICER_ENV = "DVCOORD_OFFICER"
#: The QSettings key ``officer/name``: INI section and key.
SETTINGS_SECTION = "officer"
SETTINGS_KEY = "name"

#: Where the name came from (:attr:`Officer.source`).
FROM_OPTION = "option"
FROM_ENVIRONMENT = "environment"
FROM_SETTINGS = "settings"
FROM_LOGIN = "login"


@dataclass(frozen=True)
class Officer:
    """The name to record and where it came from."""

    name: str
    source: str

    @property
    def is_login_name(self) -> bool:
        """True when nobody gave a name and the login name stands in for it."""
        return self.source == FROM_LOGIN


# --------------------------------------------------------------------------- INI reading
_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    '"': '"',
    "?": "?",
    "'": "'",
    "\\": "\\",
}
_HEX = "0123456789abcdefABCDEF"


def _chop_trailing_spaces(text: list[str], limit: int) -> None:
    while len(text) > limit and text[-1] in (" ", "\t"):
        text.pop()


def unescape_ini_value(raw: str) -> str | list[str]:
    """A value as QSettings wrote it to an INI file, read back as QSettings does
    (``QSettingsPrivate::iniUnescapedStringList`` and ``stringToVariant``).

    Quotes, backslash escapes (``\\n``, ``\\"``, ``\\x20ac``, octal), and ``@@`` for a
    leading ``@`` are undone; an unquoted comma makes a list.  ``@Variant(...)`` and other
    ``@Type(...)`` values (not text) come back as "".
    """
    out: list[str] = []
    items: list[str] = []
    is_list = False
    in_quotes = False
    quoted = False
    chop_limit = 0
    i, n = 0, len(raw)

    def skip_spaces(pos: int) -> int:
        while pos < n and raw[pos] in (" ", "\t"):
            pos += 1
        return pos

    i = skip_spaces(i)
    while i < n:
        ch = raw[i]
        if ch == "\\":
            i += 1
            if i >= n:
                break
            ch = raw[i]
            i += 1
            if ch in _ESCAPES:
                out.append(_ESCAPES[ch])
            elif ch == "x" and i < n and raw[i] in _HEX:
                j = i
                while j < n and raw[j] in _HEX:
                    j += 1
                out.append(chr(int(raw[i:j], 16) & 0xFFFF))
                i = j
            elif ch in "01234567":
                j = i
                while j < n and raw[j] in "01234567":
                    j += 1
                out.append(chr(int(ch + raw[i:j], 8) & 0xFFFF))
                i = j
            # any other escaped character is skipped, as Qt does
            chop_limit = len(out)
        elif ch == '"':
            i += 1
            quoted = True
            in_quotes = not in_quotes
            if not in_quotes:
                i = skip_spaces(i)
        elif ch == "," and not in_quotes:
            if not quoted:
                _chop_trailing_spaces(out, chop_limit)
            is_list = True
            items.append("".join(out))
            out, quoted, chop_limit = [], False, 0
            i = skip_spaces(i + 1)
        else:
            j = i + 1
            while j < n and raw[j] not in '\\",':
                j += 1
            out.extend(raw[i:j])
            i = j
    if not quoted:
        _chop_trailing_spaces(out, chop_limit)
    if is_list:
        items.append("".join(out))
        return [_from_variant_text(item) for item in items]
    return _from_variant_text("".join(out))


def _from_variant_text(text: str) -> str:
    if text.startswith("@@"):
        return text[1:]
    if text.startswith("@String(") and text.endswith(")"):
        return text[len("@String(") : -1]
    if text.startswith("@"):  # @Invalid(), @ByteArray(...), @Variant(...): not a name
        return ""
    return text


def saved_officer_name(settings_path: Path | None = None) -> str:
    """The officer's name saved in the window's Settings, or "" (no file, no name, or a
    file that cannot be read: the command line carries on with the next choice)."""
    if settings_path is None:
        from dvcoord import paths

        settings_path = paths.settings_path()
    path = Path(settings_path)
    if not path.is_file():
        return ""
    parser = configparser.ConfigParser(
        interpolation=None, strict=False, delimiters=("=",), comment_prefixes=(";",)
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    try:
        with path.open(encoding="utf-8-sig") as fh:
            parser.read_file(fh)
        raw = parser.get(SETTINGS_SECTION, SETTINGS_KEY, fallback="")
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        log.info("settings file %s not read for the officer's name: %s", path.name, exc)
        return ""
    value = unescape_ini_value(raw)
    if isinstance(value, list):
        value = ", ".join(value)
    return " ".join(value.split())


# --------------------------------------------------------------------------- choosing
def _check(name: str, where: str) -> str:
    from dvcoord.services.settings import MAX_OFFICER

    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise DvcoordError(f'{where}: give your name, for example --officer "Sam Patel".')
    if len(cleaned) > MAX_OFFICER:
        raise DvcoordError(f"{where}: keep the name to {MAX_OFFICER} characters or fewer.")
    return cleaned


def resolve_officer(
    given: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    settings_path: Path | None = None,
) -> Officer:
    """The officer for this command: ``given`` (the ``--officer`` option), else
    ``DVCOORD_OFFICER``, else the name saved in Settings, else the login name.

    An empty or over-long ``--officer`` is refused (:class:`DvcoordError`); so is an
    over-long ``DVCOORD_OFFICER``.  An empty ``DVCOORD_OFFICER`` counts as not set.
    """
    if given is not None:
        return Officer(_check(given, "--officer"), FROM_OPTION)
    env = os.environ if environ is None else environ
    from_env = env.get(OFFICER_ENV, "")
    if from_env.strip():
        return Officer(_check(from_env, OFFICER_ENV), FROM_ENVIRONMENT)
    saved = saved_officer_name(settings_path)
    if saved:
        return Officer(saved, FROM_SETTINGS)
    from dvcoord.users import default_user

    return Officer(default_user(), FROM_LOGIN)
