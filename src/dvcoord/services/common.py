"""Small plain-Python pieces shared by the area services (alarms, training, sanctuary):
:class:`FieldWarning` and the check that a case reference holds no personal data.

No Qt and no SQLAlchemy here; date arithmetic lives in :mod:`dvcoord.services.dates`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FieldWarning", "case_reference_warnings"]


@dataclass(frozen=True)
class FieldWarning:
    """Something the officer should check; saving was not refused."""

    field: str
    message: str


# --------------------------------------------------------------------------- case references
_TITLES = r"(?:mr|mrs|ms|miss|mx|dr|master|mstr|sir|dame|lady|lord)"
_TITLE_RE = re.compile(rf"(?i)(?<![A-Za-z]){_TITLES}\.?\s+[A-Za-z]")
_CAPITALISED_WORD = re.compile(r"^[A-Z][a-z]+(?:[-'’][A-Za-z][a-z]+)*$")
_POSTCODE_RE = re.compile(r"(?i)(?<![A-Za-z0-9])[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}(?![A-Za-z0-9])")
_STREET_WORDS = (
    "road|rd|street|st|avenue|ave|lane|ln|close|cl|drive|dr|way|court|ct|crescent|cres|"
    "place|pl|gardens|gdns|grove|gr|terrace|tce|hill|park|square|sq|row|walk|mews|rise|"
    "view|parade|green|vale|meadow|meadows|estate|house|cottages|cottage|farm|wharf|"
    "quay|gate|yard|field|fields|end|hall|lodge|manor|chase|boulevard|broadway"
)
_HOUSE_RE = re.compile(
    rf"(?i)(?<![A-Za-z0-9\-/])\d{{1,4}}[a-z]?,?\s+(?:[A-Za-z'’\-]+\s+){{0,3}}(?:{_STREET_WORDS})\b"
)
_FLAT_RE = re.compile(r"(?i)\b(?:flat|apartment|apt|unit)\s*\d")
_PHONE_RE = re.compile(r"(?<!\d)(?:\+44\s?|0)(?:\d[\s-]?){9,10}(?!\d)")
_EMAIL_RE = re.compile(r"[^\s@]+@[^\s@]+\.[A-Za-z]{2,}")
_CASE_REF_HINT = "Use the agency's case reference, for example MARAC-2024-117."


def case_reference_warnings(reference: str | None) -> list[FieldWarning]:
    """Why a case reference might hold personal data (empty list: looks like a reference).

    Heuristics, chosen so that real references (``MARAC-2024-117``, ``WK-MARAC-2025-031``,
    ``IDVA/23/0456``, ``CIN 123456``) pass and these are caught:

    * a title followed by a word ("Mrs Smith", "Dr. Jones") -> a name;
    * two or more capitalised words and no digit ("Jane Smith", "Mary-Ann O'Brien");
    * no digit at all (a single word like "Smith" or "JANE") -> may be a name;
    * a UK postcode ("TN13 1AA", "me14 2ll") -> an address;
    * a house number followed by a street word ("12 Acacia Avenue", "3a High St"), or
      "Flat 2" -> an address;
    * a UK phone number ("07700 900123") or an e-mail address -> contact details.
    """
    text = " ".join((reference or "").split())
    if not text:
        return []
    fld = "case_reference"
    found: list[FieldWarning] = []
    if _EMAIL_RE.search(text):
        found.append(FieldWarning(fld, "This looks like an e-mail address. " + _CASE_REF_HINT))
    if _PHONE_RE.search(text):
        found.append(FieldWarning(fld, "This looks like a phone number. " + _CASE_REF_HINT))
    if _POSTCODE_RE.search(text):
        found.append(FieldWarning(fld, "This looks like it contains a postcode. " + _CASE_REF_HINT))
    elif _HOUSE_RE.search(text) or _FLAT_RE.search(text):
        found.append(FieldWarning(fld, "This looks like an address. " + _CASE_REF_HINT))
    if not found:
        words = [w for w in re.split(r"[\s,]+", text) if w]
        has_digit = any(ch.isdigit() for ch in text)
        capitalised = [w for w in words if _CAPITALISED_WORD.match(w)]
        if _TITLE_RE.search(text) or (not has_digit and len(capitalised) >= 2):
            found.append(FieldWarning(fld, "This looks like a person's name. " + _CASE_REF_HINT))
        elif not has_digit:
            found.append(
                FieldWarning(
                    fld,
                    "Case references usually carry a number; this may be a name. " + _CASE_REF_HINT,
                )
            )
    return found
