"""Sanctuary Scheme: cases from referral to closure, the checklist that keeps works safe and
lawful, measures fitted, hardware stock, contractors, follow-ups and the figures the
council asks for.

Every write function takes a :class:`~sqlalchemy.orm.Session` inside the caller's
transaction (``with db.transaction() as s: move_stage(s, ...)``), validates everything
before it changes anything, and raises :class:`~dvcoord.errors.ValidationError` with the
offending ``field`` and one UK-English sentence, so a refused call leaves nothing behind.

Stages (:data:`TRANSITIONS`)::

    referred -> assessed -> approved -> works ordered -> installed -> follow-up done -> closed
    referred / assessed -> declined;   referred ... works ordered -> withdrawn
    installed -> closed (when no follow-up visit is possible)

Works cannot be ordered until the **checklist** is complete (:func:`checklist`): the
person's consent recorded, the landlord's permission where the home is rented (council,
housing association, private rented), the police crime-prevention survey done, and
confirmation that the perpetrator no longer lives there.  The refusal names what is
missing.  Measures are fitted only once works are ordered (so never before approval);
fitting from stock cannot take more than the store holds; costs are never negative.

**Data minimisation.**  A case holds the agency's *case reference* only, and its location
as a **postcode district** (``TN13``): a full postcode is refused with a message asking
for the district.  The full ``address`` column may only be written when the database's
setting ``sanctuary.address_enabled`` is on; switching it off clears what was recorded.
Free-text fields that look like they hold an address (a house number and a street word,
or a full postcode) come back as :class:`FieldWarning` s so the screen can ask the officer
to check; saving is not refused.

Queries return plain dataclasses and use one or two SQL statements each.
"""

from __future__ import annotations

import re
import statistics
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Integer, String, and_, case, cast, distinct, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from dvcoord.errors import ValidationError
from dvcoord.services.common import FieldWarning, case_reference_warnings
from dvcoord.services.dates import (
    financial_year_of,
    format_date,
    fy_label,
    fy_range,
    quarter_of,
)
from dvcoord.store.base import utcnow
from dvcoord.store.schema.core import Meta
from dvcoord.store.schema.plans import Agency
from dvcoord.store.schema.sanctuary import (
    END_STAGES,
    ITEM_KINDS,
    MAIN_STAGES,
    MOVEMENT_KINDS,
    OPEN_STAGES,
    OUTCOMES,
    PERMISSION_VALUES,
    RENTED_TENURES,
    RISK_LEVELS,
    STAGE_DATE_COLUMNS,
    STAGES,
    TENURES,
    Contractor,
    FollowUpVisit,
    HardwareItem,
    MeasureFitted,
    SanctuaryCase,
    StockLevel,
    StockMovement,
)

__all__ = [
    "END_STAGES",
    "ITEM_KINDS",
    "MAIN_STAGES",
    "META_ADDRESS_ENABLED",
    "META_FOLLOW_UP_DAYS",
    "MOVEMENT_KINDS",
    "OPEN_STAGES",
    "OUTCOMES",
    "PERMISSION_VALUES",
    "RENTED_TENURES",
    "RISK_LEVELS",
    "STAGES",
    "TENURES",
    "TRANSITIONS",
    "WAITING_STAGES",
    "CASE_FIELDS",
    "FITTING_STAGES",
    "MOVE_LABELS",
    "STAGE_LABELS",
    "TIME_BANDS",
    "VISIT_STAGES",
    "CaseResult",
    "CaseRow",
    "CheckItem",
    "ContractorRow",
    "FollowUpDue",
    "MeasureRow",
    "SpendCell",
    "SpendItemRow",
    "SpendSummary",
    "StockRow",
    "TimeRow",
    "TimesSummary",
    "address_enabled",
    "addresses_recorded",
    "address_warnings",
    "allowed_moves",
    "case_addresses",
    "case_rows",
    "catalogue",
    "checklist",
    "contractor_rows",
    "contractors",
    "create_case",
    "create_contractor",
    "create_item",
    "dashboard_tiles",
    "delete_case",
    "delete_follow_up",
    "delete_measure",
    "ensure_catalogue",
    "follow_up_days",
    "follow_ups",
    "follow_ups_due",
    "format_pounds",
    "get_case",
    "get_item",
    "installation_times",
    "open_cases",
    "spend_years",
    "stage_counts",
    "measures",
    "missing_for_works",
    "movements",
    "move_stage",
    "normalise_district",
    "parse_cost",
    "record_delivery",
    "record_follow_up",
    "record_measure",
    "record_stock_count",
    "reorder_rows",
    "revert_stage",
    "set_address_enabled",
    "set_follow_up_days",
    "set_stock_level",
    "spend_summary",
    "stock_balance",
    "stock_rows",
    "update_case",
    "update_contractor",
    "update_item",
    "update_measure",
    "waiting_longest",
]

META_ADDRESS_ENABLED = "sanctuary.address_enabled"
META_FOLLOW_UP_DAYS = "sanctuary.follow_up_days"
DEFAULT_FOLLOW_UP_DAYS = 42

#: Allowed stage changes (forward only; :func:`revert_stage` corrects a mistake).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "referred": ("assessed", "declined", "withdrawn"),
    "assessed": ("approved", "declined", "withdrawn"),
    "approved": ("works ordered", "withdrawn"),
    "works ordered": ("installed", "withdrawn"),
    "installed": ("follow-up done", "closed"),
    "follow-up done": ("closed",),
    "closed": (),
    "declined": (),
    "withdrawn": (),
}
#: Open stages before installation: the person is still waiting for the works.
WAITING_STAGES = ("referred", "assessed", "approved", "works ordered")
#: Stages in which measures may be fitted (works ordered, or further work after installation).
FITTING_STAGES = ("works ordered", "installed", "follow-up done")
#: Stages in which follow-up visits are recorded.
VISIT_STAGES = ("installed", "follow-up done", "closed")

_MAX_REF = 60
_MAX_QUANTITY = 999
_MAX_PENCE = 10_000_000  # £100,000 for one unit: anything more is a typing slip
_ITEM_NAMESPACE = uuid.UUID("5b0c6f0e-8d3a-4c39-9f43-5a2f7de1c0a8")

STAGE_LABELS = {
    "referred": "Referred",
    "assessed": "Assessed",
    "approved": "Approved",
    "works ordered": "Works ordered",
    "installed": "Installed",
    "follow-up done": "Follow-up done",
    "closed": "Closed",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
}
#: The verb a screen shows for each move.
MOVE_LABELS = {
    "assessed": "Mark assessed",
    "approved": "Approve",
    "works ordered": "Order works",
    "installed": "Mark installed",
    "follow-up done": "Follow-up done",
    "closed": "Close case",
    "declined": "Decline",
    "withdrawn": "Withdraw",
}


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class CaseResult:
    case: SanctuaryCase
    warnings: tuple[FieldWarning, ...] = ()


@dataclass(frozen=True)
class CheckItem:
    """One line of the checklist: what it is, whether it is done, and in words why."""

    key: str
    label: str
    done: bool
    detail: str
    required: bool = True  # needed before works can be ordered


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    reference: str
    agency: str  # short name where there is one
    agency_id: str | None
    officer: str
    referral_date: date
    risk_level: str
    marac: bool
    tenure: str
    stage: str
    stage_since: date
    days_at_stage: int
    #: Referral to installation for installed cases; referral to today for those waiting.
    waiting_days: int | None
    installed_on: date | None
    missing: tuple[str, ...]
    measures: int
    spend_pence: int
    postcode_district: str
    follow_up_due: date | None
    outcome: str
    agency_name: str = ""


@dataclass(frozen=True)
class MeasureRow:
    measure_id: str
    case_id: str
    item_id: str
    item: str
    kind: str
    quantity: int
    unit_cost_pence: int
    cost_pence: int
    contractor: str
    contractor_id: str | None
    fitted_on: date
    from_stock: bool
    notes: str


@dataclass(frozen=True)
class FollowUpDue:
    case_id: str
    reference: str
    agency: str
    installed_on: date
    last_visit: date | None
    due: date
    days_overdue: int


@dataclass(frozen=True)
class StockRow:
    item_id: str
    kind: str
    name: str
    in_store: int
    reorder_level: int
    supplier: str
    last_delivery: date | None
    fitted_last_year: int
    active: bool
    usual_cost_pence: int | None

    @property
    def to_reorder(self) -> bool:
        return self.in_store < 0 or (self.reorder_level > 0 and self.in_store <= self.reorder_level)

    @property
    def status(self) -> str:
        """In words (colour is never the only signal)."""
        if self.in_store < 0:
            return "Below zero: count the store"
        if self.to_reorder:
            return "Reorder now"
        if self.in_store > 0:
            return "In stock"
        return "None in store" if self.reorder_level else "Not kept in stock"


@dataclass(frozen=True)
class ContractorRow:
    contractor_id: str
    name: str
    trade: str
    phone: str
    email: str
    active: bool
    measures: int
    spend_pence: int
    last_fitted: date | None
    notes: str


@dataclass(frozen=True)
class SpendCell:
    measures: int = 0
    items: int = 0
    cases: int = 0
    spend_pence: int = 0


@dataclass(frozen=True)
class SpendItemRow:
    fy: int
    kind: str
    item: str
    measures: int
    quantity: int
    cases: int
    spend_pence: int


@dataclass(frozen=True)
class SpendSummary:
    fy_from: int
    fy_to: int
    #: (fy, quarter 1-4) -> totals; every quarter of the range is present.
    quarters: dict[tuple[int, int], SpendCell]
    #: fy -> totals for the year (cases counted once in the year).
    years: dict[int, SpendCell]
    items: list[SpendItemRow]
    #: fy -> pence paid for stock deliveries (recorded unit costs).
    stock_bought: dict[int, int]

    @property
    def total(self) -> SpendCell:
        cells = list(self.years.values())
        return SpendCell(
            sum(c.measures for c in cells),
            sum(c.items for c in cells),
            sum(c.cases for c in cells),
            sum(c.spend_pence for c in cells),
        )


@dataclass(frozen=True)
class TimeRow:
    case_id: str
    reference: str
    agency: str
    risk_level: str
    referral_date: date
    installed_on: date
    days: int


#: Bands of the referral-to-installation distribution: (label, first day, last day).
TIME_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("Up to 2 weeks", 0, 14),
    ("2 to 4 weeks", 15, 28),
    ("4 to 8 weeks", 29, 56),
    ("8 to 13 weeks", 57, 91),
    ("13 to 26 weeks", 92, 182),
    ("Over 26 weeks", 183, None),
)


@dataclass(frozen=True)
class TimesSummary:
    date_from: date
    date_to: date
    rows: list[TimeRow]  # longest first
    bands: list[tuple[str, int]] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(r.days for r in self.rows) if self.rows else None

    @property
    def longest(self) -> TimeRow | None:
        return self.rows[0] if self.rows else None

    @property
    def shortest(self) -> TimeRow | None:
        return self.rows[-1] if self.rows else None


# --------------------------------------------------------------------------- helpers
def _live(model):  # noqa: ANN001, ANN202
    return model.deleted_at.is_(None)


def _flush(session: Session, note: str) -> None:
    previous = session.info.get("audit_note", "")
    session.info["audit_note"] = note
    try:
        session.flush()
    finally:
        session.info["audit_note"] = previous


def _text(value: str | None, limit: int, field_name: str, label: str) -> str:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise ValidationError(f"{label} must be {limit} characters or fewer.", field=field_name)
    return text


def _long_text(value: str | None, limit: int, field_name: str, label: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise ValidationError(f"{label} must be {limit:,} characters or fewer.", field=field_name)
    return text


def _not_future(value: date | None, today: date, field_name: str, label: str) -> None:
    if value is not None and value > today:
        raise ValidationError(
            f"{label} ({format_date(value)}) cannot be in the future.", field=field_name
        )


def _whole(value: object, low: int, high: int, field_name: str, message: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(message, field=field_name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(message, field=field_name) from None
    if not low <= number <= high:
        raise ValidationError(message, field=field_name)
    return number


def _pence(value: object, field_name: str = "unit_cost") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("Enter the cost as an amount of money.", field=field_name)
    if value < 0:
        raise ValidationError("A cost cannot be negative.", field=field_name)
    if value > _MAX_PENCE:
        raise ValidationError(
            f"A unit cost over {format_pounds(_MAX_PENCE)} looks like a typing slip; check it.",
            field=field_name,
        )
    return value


def format_pounds(pence: int | None) -> str:
    """Integer pence as ``£1,234.50`` (empty for None)."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds, p = divmod(abs(int(pence)), 100)
    return f"{sign}£{pounds:,}.{p:02d}"


def parse_cost(text: str | None, field_name: str = "unit_cost") -> int | None:
    """ "24.50", "£1,200" -> pence; "" -> None; "-5" is refused as a negative cost."""
    raw = (text or "").strip().replace("£", "").replace(",", "").strip()
    if not raw:
        return None
    if raw.startswith("-") or raw.startswith("\u2212"):
        raise ValidationError("A cost cannot be negative.", field=field_name)
    if not re.fullmatch(r"\d{1,7}(\.\d{1,2})?", raw):
        raise ValidationError(
            f"'{(text or '').strip()}' is not an amount of money; enter it as, for example, 24.50.",
            field=field_name,
        )
    pounds, _, pence = raw.partition(".")
    return int(pounds) * 100 + int((pence + "00")[:2])


def _get_agency(session: Session, agency_id: str | None) -> Agency:
    found = session.get(Agency, agency_id) if agency_id else None
    if found is None or found.deleted_at is not None:
        raise ValidationError("Choose the agency that made the referral.", field="agency")
    return found


def get_case(session: Session, case_id: str) -> SanctuaryCase:
    found = session.get(SanctuaryCase, case_id) if case_id else None
    if found is None or found.deleted_at is not None:
        raise ValidationError("That case is no longer in the database.", field="case")
    return found


def get_item(session: Session, item_id: str | None) -> HardwareItem:
    found = session.get(HardwareItem, item_id) if item_id else None
    if found is None or found.deleted_at is not None:
        raise ValidationError("Choose the item from the catalogue.", field="item")
    return found


def _get_contractor(session: Session, contractor_id: str | None) -> Contractor | None:
    if not contractor_id:
        return None
    found = session.get(Contractor, contractor_id)
    if found is None or found.deleted_at is not None:
        raise ValidationError("That contractor is no longer in the database.", field="contractor")
    return found


def _meta(session: Session, key: str) -> str | None:
    row = session.get(Meta, key)
    return row.value if row is not None else None


# --------------------------------------------------------------------------- settings
def address_enabled(session: Session) -> bool:
    """Whether full addresses may be recorded (meta ``sanctuary.address_enabled``; off)."""
    return (_meta(session, META_ADDRESS_ENABLED) or "").strip().lower() in ("1", "yes", "true")


def addresses_recorded(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(SanctuaryCase)
            .where(_live(SanctuaryCase), SanctuaryCase.address != "")
        )
        or 0
    )


def case_addresses(session: Session) -> dict[str, str]:
    """Case id -> full address, for a report or export that was asked to show them.  Empty
    unless addresses are switched on for this database."""
    if not address_enabled(session):
        return {}
    return dict(
        session.execute(
            select(SanctuaryCase.id, SanctuaryCase.address).where(
                _live(SanctuaryCase), SanctuaryCase.address != ""
            )
        ).all()
    )


def set_address_enabled(session: Session, on: bool, *, clear: bool = False) -> int:
    """Switch full addresses on or off.  Switching off while addresses are recorded needs
    ``clear=True``, which empties them (a change like any other: it reaches another copy
    in a shared copy made with addresses included; a copy that leaves addresses out never
    clears one, see :mod:`dvcoord.exchange.withheld`).  Returns how many were cleared."""
    cleared = 0
    if not on:
        recorded = addresses_recorded(session)
        if recorded and not clear:
            raise ValidationError(
                f"{recorded} case{'s have' if recorded != 1 else ' has'} a full address "
                "recorded; clear them to switch addresses off.",
                field="address_enabled",
            )
        if recorded:
            for row in session.scalars(
                select(SanctuaryCase).where(_live(SanctuaryCase), SanctuaryCase.address != "")
            ):
                row.address = ""
                cleared += 1
    session.merge(Meta(key=META_ADDRESS_ENABLED, value="yes" if on else "no"))
    _flush(session, "sanctuary addresses switched " + ("on" if on else "off"))
    return cleared


def follow_up_days(session: Session) -> int:
    """Days after installation (or the last visit) when a follow-up visit is due."""
    raw = _meta(session, META_FOLLOW_UP_DAYS)
    try:
        value = int(raw) if raw is not None else DEFAULT_FOLLOW_UP_DAYS
    except ValueError:
        return DEFAULT_FOLLOW_UP_DAYS
    return value if 1 <= value <= 365 else DEFAULT_FOLLOW_UP_DAYS


def set_follow_up_days(session: Session, value: int | str) -> int:
    days = _whole(
        value,
        1,
        365,
        "follow_up_days",
        "The follow-up interval must be a whole number of days from 1 to 365.",
    )
    session.merge(Meta(key=META_FOLLOW_UP_DAYS, value=str(days)))
    session.flush()
    return days


# --------------------------------------------------------------------------- location
# A UK outward code (postcode district): A9, A99, AA9, AA99, A9A, AA9A, with the letters
# the Royal Mail allows in each position.
_OUTWARD = (
    r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
)
_DISTRICT_RE = re.compile(rf"^{_OUTWARD}$")
_SECTOR_RE = re.compile(rf"^{_OUTWARD}[0-9]$")
_FULL_RE = re.compile(rf"^{_OUTWARD}[0-9][ABD-HJLNP-UW-Z]{{2}}$")
_POSTCODE_IN_TEXT = re.compile(
    r"(?i)(?<![A-Za-z0-9])[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}(?![A-Za-z0-9])"
)
_STREET_WORDS = (
    "road|rd|street|st|avenue|ave|lane|ln|close|cl|drive|dr|way|court|ct|crescent|cres|"
    "place|pl|gardens|gdns|grove|terrace|tce|hill|park|square|sq|row|walk|mews|rise|"
    "view|parade|green|vale|meadow|meadows|estate|cottages|cottage|farm|wharf|"
    "quay|gate|yard|fields|hall|lodge|manor|chase|boulevard|broadway|crossway"
)
_HOUSE_RE = re.compile(
    rf"(?i)(?<![A-Za-z0-9\-/£.,])\d{{1,4}}[a-z]?,?\s+(?:[A-Za-z'’\-]+\s+){{0,3}}"
    rf"(?:{_STREET_WORDS})\b"
)
_FLAT_RE = re.compile(r"(?i)\b(?:flat|apartment|apt)\s*\d")


def normalise_district(value: str | None) -> str:
    """A postcode district as stored (``" tn13 "`` -> ``"TN13"``); empty stays empty.

    A full postcode (or a postcode sector) is refused: only the district is kept, so
    that the record cannot identify the home (data minimisation).
    """
    raw = "".join((value or "").split()).upper()
    if not raw:
        return ""
    shown = " ".join((value or "").split())
    if _DISTRICT_RE.match(raw):
        return raw
    if _FULL_RE.match(raw) or _SECTOR_RE.match(raw):
        example = raw[:-3] if _FULL_RE.match(raw) else raw[:-1]
        raise ValidationError(
            f"'{shown}' is more than the postcode district. Enter only the district, for "
            f'example "{example}": the full postcode is not needed and would identify the home.',
            field="postcode_district",
        )
    raise ValidationError(
        f"'{shown}' is not a postcode district. Enter the first part of the postcode "
        'only, for example "TN13".',
        field="postcode_district",
    )


def address_warnings(text: str | None, field_name: str = "notes") -> list[FieldWarning]:
    """Why free text might hold an address (empty list when it looks clean).

    Caught: a full postcode ("TN13 1AA"), a house number followed by a street word
    ("12 Acacia Avenue", "3a High St"), "Flat 2".  Money ("£12 ...") and dates are not
    taken for house numbers.
    """
    body = text or ""
    if not body.strip():
        return []
    hint = (
        "Record the postcode district only (for example TN13); the full address does not "
        "belong in this field."
    )
    if _POSTCODE_IN_TEXT.search(body):
        return [FieldWarning(field_name, "This looks like it contains a full postcode. " + hint)]
    if _HOUSE_RE.search(body) or _FLAT_RE.search(body):
        return [FieldWarning(field_name, "This looks like it contains an address. " + hint)]
    return []


# --------------------------------------------------------------------------- checklist
def _permission_needed(tenure: str) -> bool:
    return tenure in RENTED_TENURES


def _missing(
    tenure: str, permission: str, consent: bool, surveyed: object, perpetrator_gone: bool
) -> tuple[str, ...]:
    out = []
    if not consent:
        out.append("the person's consent")
    if _permission_needed(tenure) and permission != "given":
        out.append(
            "the landlord's permission (refused)"
            if permission == "refused"
            else "the landlord's permission"
        )
    if not surveyed:
        out.append("the police crime-prevention survey")
    if not perpetrator_gone:
        out.append("confirmation that the perpetrator no longer lives there")
    return tuple(out)


def missing_for_works(case_row: SanctuaryCase) -> list[str]:
    """What must still be recorded before works can be ordered, in words (empty: ready)."""
    return list(
        _missing(
            case_row.tenure,
            case_row.permission,
            case_row.consent,
            case_row.survey_on,
            case_row.perpetrator_gone,
        )
    )


def checklist(case_row: SanctuaryCase) -> list[CheckItem]:
    """The checklist in words, for the case editor and reports (ticks AND words)."""
    c = case_row
    items = [
        CheckItem(
            "consent",
            "Consent of the person recorded",
            c.consent,
            f"Recorded {format_date(c.consent_on)}" if c.consent else "Not recorded yet",
        )
    ]
    if _permission_needed(c.tenure):
        detail = {
            "given": f"Given {format_date(c.permission_on)}",
            "refused": f"Refused {format_date(c.permission_on)}: works cannot be ordered",
            "requested": "Requested"
            + (f" {format_date(c.permission_requested_on)}" if c.permission_requested_on else "")
            + ", awaiting the landlord's reply",
        }.get(c.permission, "Not asked for yet")
        if c.landlord:
            detail += f" ({c.landlord})"
        items.append(
            CheckItem("permission", "Landlord's permission", c.permission == "given", detail)
        )
    else:
        items.append(
            CheckItem(
                "permission",
                "Landlord's permission",
                True,
                f"Not needed ({c.tenure})",
            )
        )
    items.append(
        CheckItem(
            "survey",
            "Police crime-prevention survey",
            c.survey_on is not None,
            (
                f"Done {format_date(c.survey_on)}"
                + (f" by {c.survey_officer}" if c.survey_officer else "")
            )
            if c.survey_on
            else "Not done yet",
        )
    )
    items.append(
        CheckItem(
            "perpetrator",
            "Perpetrator no longer lives there",
            c.perpetrator_gone,
            (
                "Confirmed"
                + (f" {format_date(c.perpetrator_gone_on)}" if c.perpetrator_gone_on else "")
            )
            if c.perpetrator_gone
            else "Not confirmed yet",
        )
    )
    items.append(
        CheckItem(
            "marker",
            "Police address marker placed",
            c.marker_placed,
            (f"Placed {format_date(c.marker_on)}" if c.marker_on else "Placed")
            if c.marker_placed
            else "Not yet",
            required=False,
        )
    )
    items.append(
        CheckItem(
            "fire",
            "Fire-safety check done",
            c.fire_check,
            (f"Done {format_date(c.fire_check_on)}" if c.fire_check_on else "Done")
            if c.fire_check
            else "Not yet",
            required=False,
        )
    )
    return items


# --------------------------------------------------------------------------- cases
CASE_FIELDS = (
    "reference",
    "agency_id",
    "referring_officer",
    "referral_date",
    "risk_level",
    "marac",
    "tenure",
    "landlord",
    "permission",
    "permission_requested_on",
    "permission_on",
    "consent",
    "consent_on",
    "perpetrator_gone",
    "perpetrator_gone_on",
    "survey_on",
    "survey_officer",
    "marker_placed",
    "marker_on",
    "fire_check",
    "fire_check_on",
    "postcode_district",
    "address",
    "notes",
)
_DEFAULTS: dict[str, object] = {
    "reference": "",
    "agency_id": None,
    "referring_officer": "",
    "referral_date": None,
    "risk_level": "standard",
    "marac": False,
    "tenure": "other",
    "landlord": "",
    "permission": "",
    "permission_requested_on": None,
    "permission_on": None,
    "consent": False,
    "consent_on": None,
    "perpetrator_gone": False,
    "perpetrator_gone_on": None,
    "survey_on": None,
    "survey_officer": "",
    "marker_placed": False,
    "marker_on": None,
    "fire_check": False,
    "fire_check_on": None,
    "postcode_district": "",
    "address": "",
    "notes": "",
}


def _ticked_date(
    ticked: bool, on: date | None, today: date, field_name: str, tick_label: str, required: bool
) -> date | None:
    if not ticked:
        if on is not None:
            raise ValidationError(f"Tick '{tick_label}' to record its date.", field=field_name)
        return None
    if on is None and required:
        raise ValidationError(f"Enter the date for '{tick_label}'.", field=field_name)
    _not_future(on, today, field_name, "The date")
    return on


def _case_values(
    session: Session,
    values: dict[str, object],
    existing: SanctuaryCase | None,
    today: date,
) -> dict[str, object]:
    """Check every detail of a case; the cleaned values (nothing is changed here)."""
    v = dict(values)
    ref = " ".join(str(v["reference"] or "").split())
    if not ref:
        raise ValidationError(
            "Enter the referring agency's case reference (never a name or an address).",
            field="reference",
        )
    if len(ref) > _MAX_REF:
        raise ValidationError(
            f"A case reference must be {_MAX_REF} characters or fewer.", field="reference"
        )
    clash = session.scalar(
        select(SanctuaryCase.id).where(
            _live(SanctuaryCase),
            func.lower(SanctuaryCase.reference) == ref.lower(),
            SanctuaryCase.id != (existing.id if existing is not None else ""),
        )
    )
    if clash:
        raise ValidationError(f"There is already a case {ref}.", field="reference")
    v["reference"] = ref
    _get_agency(session, v["agency_id"])
    referral = v["referral_date"]
    if referral is None:
        raise ValidationError("Enter the date of the referral.", field="referral_date")
    _not_future(referral, today, "referral_date", "The referral date")
    if existing is not None:
        later = [
            d for s in STAGES[1:] if (d := existing.stage_date(s)) is not None and d < referral
        ]
        if later:
            raise ValidationError(
                "The referral date cannot be after the case's later stages "
                f"(the earliest is {format_date(min(later))}).",
                field="referral_date",
            )
    v["referring_officer"] = _text(
        v["referring_officer"], 200, "referring_officer", "The referring officer"
    )
    if v["risk_level"] not in RISK_LEVELS:
        raise ValidationError("Choose the risk level: standard, medium or high.", field="risk")
    if v["tenure"] not in TENURES:
        raise ValidationError(
            "Choose the tenure: council, housing association, private rented, "
            "owner-occupier or other.",
            field="tenure",
        )
    v["marac"] = bool(v["marac"])
    v["landlord"] = _text(v["landlord"], 200, "landlord", "The landlord's name")
    permission = v["permission"] or ""
    if permission not in PERMISSION_VALUES:
        raise ValidationError(
            "Choose whether permission was requested, given or refused.", field="permission"
        )
    v["permission"] = permission
    asked = v["permission_requested_on"]
    answered = v["permission_on"]
    if permission == "":
        if asked is not None or answered is not None:
            raise ValidationError(
                "Choose whether the landlord's permission was requested, given or refused "
                "before entering its dates.",
                field="permission",
            )
    else:
        _not_future(asked, today, "permission_requested_on", "The date permission was asked")
    if permission in ("given", "refused"):
        if answered is None:
            raise ValidationError(
                f"Enter the date the landlord's permission was {permission}.",
                field="permission_on",
            )
        _not_future(answered, today, "permission_on", "The date of the landlord's reply")
        if asked is not None and answered < asked:
            raise ValidationError(
                "The landlord cannot have replied before permission was asked for.",
                field="permission_on",
            )
    elif answered is not None:
        raise ValidationError(
            "Only permission that was given or refused has a reply date.", field="permission_on"
        )
    if permission and not _permission_needed(v["tenure"]) and v["tenure"] == "owner-occupier":
        raise ValidationError(
            "An owner-occupier needs no landlord's permission; leave permission empty.",
            field="permission",
        )
    v["consent"] = bool(v["consent"])
    v["consent_on"] = _ticked_date(
        v["consent"], v["consent_on"], today, "consent_on", "consent recorded", True
    )
    v["perpetrator_gone"] = bool(v["perpetrator_gone"])
    v["perpetrator_gone_on"] = _ticked_date(
        v["perpetrator_gone"],
        v["perpetrator_gone_on"],
        today,
        "perpetrator_gone_on",
        "perpetrator no longer lives there",
        True,
    )
    _not_future(v["survey_on"], today, "survey_on", "The survey date")
    v["survey_officer"] = _text(v["survey_officer"], 200, "survey_officer", "The survey officer")
    if v["survey_officer"] and v["survey_on"] is None:
        raise ValidationError(
            "Enter the date of the police survey as well as the officer.", field="survey_on"
        )
    v["marker_placed"] = bool(v["marker_placed"])
    v["marker_on"] = _ticked_date(
        v["marker_placed"], v["marker_on"], today, "marker_on", "address marker placed", False
    )
    v["fire_check"] = bool(v["fire_check"])
    v["fire_check_on"] = _ticked_date(
        v["fire_check"], v["fire_check_on"], today, "fire_check_on", "fire-safety check done", False
    )
    v["postcode_district"] = normalise_district(v["postcode_district"])
    address = _long_text(v["address"], 500, "address", "The address")
    old_address = existing.address if existing is not None else ""
    if address and address != old_address and not address_enabled(session):
        raise ValidationError(
            "Full addresses are switched off for this database: record the postcode district "
            "only (addresses can be switched on in the Sanctuary Scheme settings).",
            field="address",
        )
    v["address"] = address
    v["notes"] = _long_text(v["notes"], 20_000, "notes", "The notes")
    return v


def _case_warnings(values: dict[str, object]) -> tuple[FieldWarning, ...]:
    found = [
        FieldWarning("reference", w.message)
        for w in case_reference_warnings(str(values["reference"]))
    ]
    found += address_warnings(str(values["notes"]), "notes")
    found += address_warnings(str(values["landlord"]), "landlord")
    found += address_warnings(str(values["referring_officer"]), "referring_officer")
    return tuple(found)


def create_case(session: Session, *, today: date | None = None, **values: object) -> CaseResult:
    """Record a referral (stage "referred").  Returns the case and any warnings."""
    today = today or date.today()
    unknown = set(values) - set(CASE_FIELDS)
    if unknown:
        raise TypeError(f"unknown case fields: {sorted(unknown)}")
    merged = {**_DEFAULTS, **values}
    clean = _case_values(session, merged, None, today)
    row = SanctuaryCase(stage="referred", **clean)
    session.add(row)
    _flush(session, "sanctuary case referred")
    return CaseResult(row, _case_warnings(clean))


def update_case(
    session: Session, case_id: str, *, today: date | None = None, **changes: object
) -> CaseResult:
    """Change a case's details (not its stage: see :func:`move_stage`)."""
    today = today or date.today()
    row = get_case(session, case_id)
    unknown = set(changes) - set(CASE_FIELDS)
    if unknown:
        raise TypeError(f"unknown case fields: {sorted(unknown)}")
    current = {name: getattr(row, name) for name in CASE_FIELDS}
    clean = _case_values(session, {**current, **changes}, row, today)
    for name, value in clean.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    _flush(session, "sanctuary case changed")
    return CaseResult(row, _case_warnings(clean))


def delete_case(session: Session, case_id: str) -> None:
    """Remove a case entered by mistake (a tombstone).  A case with measures is kept."""
    row = get_case(session, case_id)
    fitted = session.scalar(
        select(func.count())
        .select_from(MeasureFitted)
        .where(MeasureFitted.case_id == row.id, _live(MeasureFitted))
    )
    if fitted:
        raise ValidationError(
            f"Case {row.reference} has measures fitted, so its record must be kept; "
            "withdraw or close it instead.",
            field="case",
        )
    now = utcnow()
    for visit in session.scalars(
        select(FollowUpVisit).where(FollowUpVisit.case_id == row.id, _live(FollowUpVisit))
    ):
        visit.deleted_at = now
    row.deleted_at = now
    _flush(session, "sanctuary case deleted")


# --------------------------------------------------------------------------- stages
def allowed_moves(stage: str) -> list[tuple[str, str]]:
    """``(new stage, verb)`` of the moves allowed from ``stage``, for stage buttons."""
    return [(s, MOVE_LABELS[s]) for s in TRANSITIONS.get(stage, ())]


def _current_stage_date(row: SanctuaryCase) -> date:
    return row.stage_date(row.stage) or row.referral_date


def move_stage(
    session: Session,
    case_id: str,
    new_stage: str,
    on: date | None,
    *,
    outcome: str = "",
    reason: str = "",
    today: date | None = None,
) -> CaseResult:
    """Move a case to ``new_stage`` on ``on``, if the rules allow it (see the module notes)."""
    today = today or date.today()
    row = get_case(session, case_id)
    current = row.stage
    if new_stage not in STAGES:
        raise ValidationError(f"'{new_stage}' is not a stage of a case.", field="stage")
    if new_stage not in TRANSITIONS.get(current, ()):
        hint = ""
        if new_stage == "installed" and current in ("referred", "assessed", "approved"):
            hint = " Works can only be installed after the case is approved and works are ordered."
        elif new_stage == "works ordered" and current in ("referred", "assessed"):
            hint = " The case must be approved first."
        elif current in ("closed", "declined", "withdrawn"):
            hint = " The case has ended."
        raise ValidationError(
            f"Case {row.reference} is {current}; it cannot be marked {new_stage} from there."
            + hint,
            field="stage",
        )
    if on is None:
        raise ValidationError("Enter the date.", field="stage_date")
    _not_future(on, today, "stage_date", "The date")
    since = _current_stage_date(row)
    if on < since:
        raise ValidationError(
            f"The date cannot be before the case became {current} ({format_date(since)}).",
            field="stage_date",
        )
    if new_stage == "works ordered":
        missing = missing_for_works(row)
        if missing:
            raise ValidationError(
                "Works cannot be ordered yet. Still missing: " + "; ".join(missing) + ".",
                field="stage",
            )
    if new_stage == "installed":
        fitted = session.scalar(
            select(func.count())
            .select_from(MeasureFitted)
            .where(
                MeasureFitted.case_id == row.id,
                _live(MeasureFitted),
                MeasureFitted.fitted_on <= on,
            )
        )
        if not fitted:
            raise ValidationError(
                "Record the measures fitted (on or before the installation date) before "
                "marking the case installed.",
                field="stage",
            )
    if new_stage == "follow-up done":
        visited = session.scalar(
            select(func.max(FollowUpVisit.visit_on)).where(
                FollowUpVisit.case_id == row.id, _live(FollowUpVisit)
            )
        )
        if visited is None or visited < (row.installed_on or since):
            raise ValidationError(
                "Record the follow-up visit before marking the follow-up done.", field="stage"
            )
        if on < visited:
            raise ValidationError(
                f"The follow-up cannot be done before the visit ({format_date(visited)}).",
                field="stage_date",
            )
    warnings: list[FieldWarning] = []
    if new_stage == "closed":
        if outcome not in OUTCOMES:
            raise ValidationError(
                "Choose the outcome: remained in home, moved or other.", field="outcome"
            )
        row.outcome = outcome
    elif outcome:
        raise ValidationError("Only a closed case has an outcome.", field="outcome")
    if new_stage in END_STAGES:
        text = _long_text(reason, 2_000, "reason", "The reason")
        row.end_reason = text
        warnings += address_warnings(text, "reason")
    elif reason.strip():
        raise ValidationError(
            "A reason is recorded only when a case is declined or withdrawn.", field="reason"
        )
    setattr(row, STAGE_DATE_COLUMNS[new_stage], on)
    row.stage = new_stage
    _flush(session, f"sanctuary case {new_stage}")
    return CaseResult(row, tuple(warnings))


def _previous_stage(row: SanctuaryCase) -> str | None:
    if row.stage == "referred":
        return None
    if row.stage in END_STAGES:
        reached = [s for s in MAIN_STAGES[:-1] if row.stage_date(s) is not None]
        return reached[-1] if reached else "referred"
    index = MAIN_STAGES.index(row.stage)
    for stage in reversed(MAIN_STAGES[:index]):
        if row.stage_date(stage) is not None:
            return stage
    return "referred"


def revert_stage(session: Session, case_id: str) -> CaseResult:
    """Undo the last stage change (a mistake): back to the stage before, its date cleared."""
    row = get_case(session, case_id)
    previous = _previous_stage(row)
    if previous is None:
        raise ValidationError(
            f"Case {row.reference} is at its first stage; there is nothing to undo.",
            field="stage",
        )
    left = row.stage
    setattr(row, STAGE_DATE_COLUMNS[left], None)
    if left == "closed":
        row.outcome = ""
    if left in END_STAGES:
        row.end_reason = ""
    row.stage = previous
    _flush(session, f"sanctuary case back to {previous}")
    return CaseResult(row)


# --------------------------------------------------------------------------- catalogue
def _item_id_for(kind: str) -> str:
    return str(uuid.uuid5(_ITEM_NAMESPACE, f"item:{kind}"))


def _stock_level_id_for(item_id: str) -> str:
    return str(uuid.uuid5(_ITEM_NAMESPACE, f"stock-level:{item_id}"))


def ensure_catalogue(session: Session) -> int:
    """Add the standard catalogue (one item per kind) where missing; the number added.

    The items have fixed ids, so two databases seeded apart hold the same rows and a merge
    joins them.  An item someone deleted is not brought back.
    """
    ids = {_item_id_for(k): k for k in ITEM_KINDS}
    present = set(session.scalars(select(HardwareItem.id).where(HardwareItem.id.in_(ids))))
    added = 0
    for item_id, kind in ids.items():
        if item_id in present:
            continue
        session.add(HardwareItem(id=item_id, kind=kind, name=kind[0].upper() + kind[1:]))
        added += 1
    if added:
        _flush(session, "sanctuary catalogue added")
    return added


def catalogue(session: Session, *, include_inactive: bool = False) -> list[HardwareItem]:
    where = [_live(HardwareItem)]
    if not include_inactive:
        where.append(HardwareItem.active.is_(True))
    kind_order = case({k: i for i, k in enumerate(ITEM_KINDS)}, value=HardwareItem.kind, else_=99)
    return list(
        session.scalars(select(HardwareItem).where(*where).order_by(kind_order, HardwareItem.name))
    )


def _item_values(
    session: Session, kind: str, name: str, usual_cost_pence: int | None, exclude: str | None
) -> tuple[str, str, int | None]:
    if kind not in ITEM_KINDS:
        raise ValidationError("Choose what kind of item it is.", field="kind")
    name = _text(name, 200, "name", "The item's name")
    if not name:
        raise ValidationError("Enter the item's name.", field="name")
    clash = session.scalar(
        select(HardwareItem.id).where(
            _live(HardwareItem),
            func.lower(HardwareItem.name) == name.lower(),
            HardwareItem.id != (exclude or ""),
        )
    )
    if clash:
        raise ValidationError(f"There is already an item called '{name}'.", field="name")
    cost = _pence(usual_cost_pence, "usual_cost") if usual_cost_pence is not None else None
    return kind, name, cost


def create_item(
    session: Session,
    *,
    kind: str,
    name: str,
    usual_cost_pence: int | None = None,
    notes: str = "",
) -> HardwareItem:
    kind, name, cost = _item_values(session, kind, name, usual_cost_pence, None)
    row = HardwareItem(kind=kind, name=name, usual_cost_pence=cost, notes=(notes or "").strip())
    session.add(row)
    _flush(session, "sanctuary item added")
    return row


def update_item(session: Session, item_id: str, **changes: object) -> HardwareItem:
    row = get_item(session, item_id)
    allowed = {"kind", "name", "usual_cost_pence", "active", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown item fields: {sorted(unknown)}")
    kind, name, cost = _item_values(
        session,
        str(changes.get("kind", row.kind)),
        str(changes.get("name", row.name)),
        changes.get("usual_cost_pence", row.usual_cost_pence),
        row.id,
    )
    row.kind, row.name, row.usual_cost_pence = kind, name, cost
    if "active" in changes:
        row.active = bool(changes["active"])
    if "notes" in changes:
        row.notes = str(changes["notes"] or "").strip()
    _flush(session, "sanctuary item changed")
    return row


# --------------------------------------------------------------------------- stock
def stock_balance(session: Session, item_id: str) -> int:
    """Quantity in store: the sum of the item's live movements."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                StockMovement.item_id == item_id, _live(StockMovement)
            )
        )
        or 0
    )


def set_stock_level(
    session: Session,
    item_id: str,
    *,
    reorder_level: int | str,
    supplier: str = "",
    notes: str = "",
) -> StockLevel:
    """Set an item's reorder level and supplier (one row per item, with a fixed id)."""
    item = get_item(session, item_id)
    level = _whole(
        reorder_level,
        0,
        10_000,
        "reorder_level",
        "The reorder level must be a whole number from 0 to 10000.",
    )
    row = session.get(StockLevel, _stock_level_id_for(item.id))
    if row is None:
        row = session.scalars(
            select(StockLevel).where(StockLevel.item_id == item.id, _live(StockLevel))
        ).first()
    if row is None:
        row = StockLevel(id=_stock_level_id_for(item.id), item_id=item.id)
        session.add(row)
    row.deleted_at = None
    row.reorder_level = level
    row.supplier = _text(supplier, 200, "supplier", "The supplier")
    row.notes = (notes or "").strip()
    _flush(session, "sanctuary stock level set")
    return row


def record_delivery(
    session: Session,
    *,
    item_id: str,
    quantity: int | str,
    on: date | None,
    supplier: str = "",
    unit_cost_pence: int | None = None,
    notes: str = "",
    today: date | None = None,
) -> StockMovement:
    """Hardware delivered into the store (adds to the quantity in store)."""
    today = today or date.today()
    item = get_item(session, item_id)
    number = _whole(
        quantity,
        1,
        _MAX_QUANTITY * 10,
        "quantity",
        f"Enter how many were delivered: a whole number from 1 to {_MAX_QUANTITY * 10:,}.",
    )
    if on is None:
        raise ValidationError("Enter the date of the delivery.", field="moved_on")
    _not_future(on, today, "moved_on", "The delivery date")
    cost = _pence(unit_cost_pence, "unit_cost") if unit_cost_pence is not None else None
    row = StockMovement(
        item_id=item.id,
        kind="delivery",
        quantity=number,
        moved_on=on,
        supplier=_text(supplier, 200, "supplier", "The supplier"),
        unit_cost_pence=cost,
        notes=(notes or "").strip(),
    )
    session.add(row)
    _flush(session, "sanctuary stock delivered")
    return row


def record_stock_count(
    session: Session,
    *,
    item_id: str,
    counted: int | str,
    on: date | None,
    notes: str = "",
    today: date | None = None,
) -> StockMovement:
    """A count of the store: an adjustment by the difference from the recorded quantity."""
    today = today or date.today()
    item = get_item(session, item_id)
    number = _whole(
        counted,
        0,
        100_000,
        "counted",
        "Enter how many are in the store: a whole number, 0 or more.",
    )
    if on is None:
        raise ValidationError("Enter the date of the count.", field="moved_on")
    _not_future(on, today, "moved_on", "The date of the count")
    change = number - stock_balance(session, item.id)
    if change == 0:
        raise ValidationError(
            f"The store already shows {number} {item.name}; there is nothing to adjust.",
            field="counted",
        )
    row = StockMovement(
        item_id=item.id,
        kind="adjustment",
        quantity=change,
        moved_on=on,
        notes=(notes or "").strip() or f"Stock count: {number}.",
    )
    session.add(row)
    _flush(session, "sanctuary stock counted")
    return row


def _movements_by_item(today: date):  # noqa: ANN202
    since = today - timedelta(days=365)
    return (
        select(
            StockMovement.item_id.label("item_id"),
            func.sum(StockMovement.quantity).label("balance"),
            func.max(case((StockMovement.kind == "delivery", StockMovement.moved_on))).label(
                "last_delivery"
            ),
            func.sum(
                case(
                    (
                        and_(StockMovement.kind == "fitted", StockMovement.moved_on >= since),
                        -StockMovement.quantity,
                    ),
                    else_=0,
                )
            ).label("fitted"),
        )
        .where(_live(StockMovement))
        .group_by(StockMovement.item_id)
        .subquery()
    )


def stock_rows(
    session: Session, today: date | None = None, *, include_inactive: bool = False
) -> list[StockRow]:
    """Every catalogue item with its quantity in store (derived), reorder level, supplier,
    last delivery and how many were fitted from stock in the year to ``today``.  One query."""
    moves = _movements_by_item(today or date.today())
    kind_order = case({k: i for i, k in enumerate(ITEM_KINDS)}, value=HardwareItem.kind, else_=99)
    where = [_live(HardwareItem)]
    if not include_inactive:
        where.append(or_(HardwareItem.active.is_(True), func.coalesce(moves.c.balance, 0) != 0))
    stmt = (
        select(
            HardwareItem.id,
            HardwareItem.kind,
            HardwareItem.name,
            func.coalesce(moves.c.balance, 0),
            func.coalesce(StockLevel.reorder_level, 0),
            func.coalesce(StockLevel.supplier, ""),
            moves.c.last_delivery,
            func.coalesce(moves.c.fitted, 0),
            HardwareItem.active,
            HardwareItem.usual_cost_pence,
        )
        .outerjoin(moves, moves.c.item_id == HardwareItem.id)
        .outerjoin(StockLevel, and_(StockLevel.item_id == HardwareItem.id, _live(StockLevel)))
        .where(*where)
        .order_by(kind_order, HardwareItem.name)
    )
    out = []
    for iid, kind, name, bal, level, supplier, last, fitted, active, cost in session.execute(stmt):
        if isinstance(last, str):
            last = date.fromisoformat(last)
        out.append(
            StockRow(
                iid,
                kind,
                name,
                int(bal),
                int(level),
                supplier,
                last,
                int(fitted),
                bool(active),
                cost,
            )
        )
    return out


def reorder_rows(session: Session, today: date | None = None) -> list[StockRow]:
    """Items at or below their reorder level (or below zero after a merge)."""
    return [r for r in stock_rows(session, today) if r.to_reorder]


def movements(session: Session, item_id: str) -> list[StockMovement]:
    return list(
        session.scalars(
            select(StockMovement)
            .where(StockMovement.item_id == item_id, _live(StockMovement))
            .order_by(StockMovement.moved_on.desc(), StockMovement.created_at.desc())
        )
    )


# --------------------------------------------------------------------------- contractors
def _contractor_values(
    session: Session, name: str, trade: str, phone: str, email: str, exclude: str | None
) -> tuple[str, str, str, str]:
    name = _text(name, 200, "name", "The contractor's name")
    if not name:
        raise ValidationError("Enter the contractor's name.", field="name")
    clash = session.scalar(
        select(Contractor.id).where(
            _live(Contractor),
            func.lower(Contractor.name) == name.lower(),
            Contractor.id != (exclude or ""),
        )
    )
    if clash:
        raise ValidationError(f"There is already a contractor called '{name}'.", field="name")
    phone = _text(phone, 40, "phone", "The phone number")
    if phone and not re.fullmatch(r"\+?[\d ()\-]{7,20}", phone):
        raise ValidationError(
            f"'{phone}' is not a phone number; enter it as, for example, 01732 000000.",
            field="phone",
        )
    email = _text(email, 200, "email", "The e-mail address")
    if email and not re.fullmatch(r"[^\s@]+@[^\s@]+\.[A-Za-z]{2,}", email):
        raise ValidationError(f"'{email}' is not an e-mail address.", field="email")
    return name, _text(trade, 100, "trade", "The trade"), phone, email


def create_contractor(
    session: Session,
    *,
    name: str,
    trade: str = "",
    phone: str = "",
    email: str = "",
    notes: str = "",
) -> Contractor:
    name, trade, phone, email = _contractor_values(session, name, trade, phone, email, None)
    row = Contractor(name=name, trade=trade, phone=phone, email=email, notes=(notes or "").strip())
    session.add(row)
    _flush(session, "sanctuary contractor added")
    return row


def update_contractor(session: Session, contractor_id: str, **changes: object) -> Contractor:
    row = _get_contractor(session, contractor_id)
    if row is None:
        raise ValidationError("Choose a contractor.", field="contractor")
    allowed = {"name", "trade", "phone", "email", "active", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown contractor fields: {sorted(unknown)}")
    name, trade, phone, email = _contractor_values(
        session,
        str(changes.get("name", row.name)),
        str(changes.get("trade", row.trade)),
        str(changes.get("phone", row.phone)),
        str(changes.get("email", row.email)),
        row.id,
    )
    row.name, row.trade, row.phone, row.email = name, trade, phone, email
    if "active" in changes:
        row.active = bool(changes["active"])
    if "notes" in changes:
        row.notes = str(changes["notes"] or "").strip()
    _flush(session, "sanctuary contractor changed")
    return row


def contractors(session: Session, *, include_inactive: bool = False) -> list[Contractor]:
    where = [_live(Contractor)]
    if not include_inactive:
        where.append(Contractor.active.is_(True))
    return list(session.scalars(select(Contractor).where(*where).order_by(Contractor.name)))


def contractor_rows(session: Session) -> list[ContractorRow]:
    """Every contractor with the measures they fitted and what they cost.  One query."""
    done = (
        select(
            MeasureFitted.contractor_id.label("cid"),
            func.count().label("n"),
            func.sum(MeasureFitted.quantity * MeasureFitted.unit_cost_pence).label("spend"),
            func.max(MeasureFitted.fitted_on).label("last"),
        )
        .where(_live(MeasureFitted), MeasureFitted.contractor_id.is_not(None))
        .group_by(MeasureFitted.contractor_id)
        .subquery()
    )
    stmt = (
        select(
            Contractor.id,
            Contractor.name,
            Contractor.trade,
            Contractor.phone,
            Contractor.email,
            Contractor.active,
            func.coalesce(done.c.n, 0),
            func.coalesce(done.c.spend, 0),
            done.c.last,
            Contractor.notes,
        )
        .outerjoin(done, done.c.cid == Contractor.id)
        .where(_live(Contractor))
        .order_by(Contractor.name)
    )
    out = []
    for cid, name, trade, phone, email, active, n, spend, last, notes in session.execute(stmt):
        if isinstance(last, str):
            last = date.fromisoformat(last)
        out.append(
            ContractorRow(
                cid, name, trade, phone, email, bool(active), int(n), int(spend), last, notes
            )
        )
    return out


# --------------------------------------------------------------------------- measures
def _measure_checks(
    session: Session,
    row: SanctuaryCase,
    fitted_on: date | None,
    today: date,
) -> date:
    if row.stage not in FITTING_STAGES:
        if row.stage in ("referred", "assessed", "approved"):
            message = (
                f"Case {row.reference} is {row.stage}: measures can only be fitted once the "
                "case is approved and works are ordered."
            )
        else:
            message = f"Case {row.reference} is {row.stage}; no more measures can be fitted."
        raise ValidationError(message, field="case")
    if fitted_on is None:
        raise ValidationError("Enter the date the measure was fitted.", field="fitted_on")
    _not_future(fitted_on, today, "fitted_on", "The date fitted")
    start = row.works_ordered_on or row.approved_on or row.referral_date
    if fitted_on < start:
        raise ValidationError(
            f"A measure cannot be fitted before works were ordered ({format_date(start)}).",
            field="fitted_on",
        )
    return fitted_on


def _check_stock(session: Session, item: HardwareItem, quantity: int, returning: int = 0) -> None:
    available = stock_balance(session, item.id) + returning
    if quantity > available:
        shown = max(available, 0)
        raise ValidationError(
            f"Only {shown} × {item.name} in stock, so {quantity} cannot be fitted from "
            "stock. Record a delivery first, or untick 'from stock'.",
            field="quantity",
        )


def record_measure(
    session: Session,
    *,
    case_id: str,
    item_id: str,
    quantity: int | str = 1,
    unit_cost_pence: int | None = 0,
    fitted_on: date | None,
    contractor_id: str | None = None,
    from_stock: bool = False,
    notes: str = "",
    today: date | None = None,
) -> MeasureFitted:
    """Record hardware fitted to a case's home; fitting from stock takes it from the store."""
    today = today or date.today()
    row = get_case(session, case_id)
    fitted_on = _measure_checks(session, row, fitted_on, today)
    item = get_item(session, item_id)
    number = _whole(
        quantity,
        1,
        _MAX_QUANTITY,
        "quantity",
        f"Enter how many were fitted: a whole number from 1 to {_MAX_QUANTITY}.",
    )
    cost = _pence(unit_cost_pence if unit_cost_pence is not None else 0)
    contractor = _get_contractor(session, contractor_id)
    if from_stock:
        _check_stock(session, item, number)
    measure = MeasureFitted(
        case_id=row.id,
        item_id=item.id,
        quantity=number,
        contractor_id=contractor.id if contractor is not None else None,
        unit_cost_pence=cost,
        fitted_on=fitted_on,
        from_stock=bool(from_stock),
        notes=(notes or "").strip(),
    )
    session.add(measure)
    session.flush()
    if from_stock:
        session.add(
            StockMovement(
                item_id=item.id,
                kind="fitted",
                quantity=-number,
                moved_on=fitted_on,
                measure_id=measure.id,
            )
        )
    _flush(session, "sanctuary measure fitted")
    return measure


def _stock_movement_of(session: Session, measure_id: str) -> StockMovement | None:
    return session.scalars(
        select(StockMovement).where(StockMovement.measure_id == measure_id, _live(StockMovement))
    ).first()


def _get_measure(session: Session, measure_id: str) -> MeasureFitted:
    found = session.get(MeasureFitted, measure_id) if measure_id else None
    if found is None or found.deleted_at is not None:
        raise ValidationError("That measure is no longer in the database.", field="measure")
    return found


def update_measure(
    session: Session, measure_id: str, *, today: date | None = None, **changes: object
) -> MeasureFitted:
    """Correct a measure; its stock movement follows (taken, changed or given back)."""
    today = today or date.today()
    measure = _get_measure(session, measure_id)
    allowed = {
        "item_id",
        "quantity",
        "unit_cost_pence",
        "fitted_on",
        "contractor_id",
        "from_stock",
        "notes",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown measure fields: {sorted(unknown)}")
    row = get_case(session, measure.case_id)
    fitted_on = changes.get("fitted_on", measure.fitted_on)
    if row.stage in FITTING_STAGES or "fitted_on" in changes:
        fitted_on = _measure_checks(session, row, fitted_on, today)
    item = get_item(session, str(changes.get("item_id", measure.item_id)))
    number = _whole(
        changes.get("quantity", measure.quantity),
        1,
        _MAX_QUANTITY,
        "quantity",
        f"Enter how many were fitted: a whole number from 1 to {_MAX_QUANTITY}.",
    )
    cost = _pence(changes.get("unit_cost_pence", measure.unit_cost_pence) or 0)
    contractor = _get_contractor(session, changes.get("contractor_id", measure.contractor_id))
    from_stock = bool(changes.get("from_stock", measure.from_stock))
    movement = _stock_movement_of(session, measure.id)
    if from_stock:
        returning = -movement.quantity if movement and movement.item_id == item.id else 0
        _check_stock(session, item, number, returning)
    measure.item_id, measure.quantity, measure.unit_cost_pence = item.id, number, cost
    measure.fitted_on = fitted_on
    measure.contractor_id = contractor.id if contractor is not None else None
    measure.from_stock = from_stock
    if "notes" in changes:
        measure.notes = str(changes["notes"] or "").strip()
    if from_stock:
        if movement is None:
            movement = StockMovement(kind="fitted", measure_id=measure.id)
            session.add(movement)
        movement.item_id, movement.quantity, movement.moved_on = item.id, -number, fitted_on
    elif movement is not None:
        movement.deleted_at = utcnow()
    _flush(session, "sanctuary measure changed")
    return measure


def delete_measure(session: Session, measure_id: str) -> None:
    """Remove a measure recorded by mistake; hardware it took from stock goes back."""
    measure = _get_measure(session, measure_id)
    now = utcnow()
    movement = _stock_movement_of(session, measure.id)
    if movement is not None:
        movement.deleted_at = now
    measure.deleted_at = now
    _flush(session, "sanctuary measure removed")


def measures(session: Session, case_id: str) -> list[MeasureRow]:
    stmt = (
        select(
            MeasureFitted.id,
            MeasureFitted.case_id,
            MeasureFitted.item_id,
            HardwareItem.name,
            HardwareItem.kind,
            MeasureFitted.quantity,
            MeasureFitted.unit_cost_pence,
            Contractor.name,
            MeasureFitted.contractor_id,
            MeasureFitted.fitted_on,
            MeasureFitted.from_stock,
            MeasureFitted.notes,
        )
        .join(HardwareItem, HardwareItem.id == MeasureFitted.item_id)
        .outerjoin(Contractor, Contractor.id == MeasureFitted.contractor_id)
        .where(MeasureFitted.case_id == case_id, _live(MeasureFitted))
        .order_by(MeasureFitted.fitted_on, MeasureFitted.created_at)
    )
    return [
        MeasureRow(mid, cid, iid, name, kind, q, unit, q * unit, con or "", conid, on, bool(fs), n)
        for mid, cid, iid, name, kind, q, unit, con, conid, on, fs, n in session.execute(stmt)
    ]


# --------------------------------------------------------------------------- follow-ups
def record_follow_up(
    session: Session,
    *,
    case_id: str,
    visit_on: date | None,
    by_whom: str = "",
    outcome: str = "",
    further_work: bool = False,
    notes: str = "",
    today: date | None = None,
) -> tuple[FollowUpVisit, tuple[FieldWarning, ...]]:
    """Record a visit after installation.  Returns the visit and any address warnings."""
    today = today or date.today()
    row = get_case(session, case_id)
    if row.stage not in VISIT_STAGES:
        raise ValidationError(
            f"Case {row.reference} is {row.stage}; follow-up visits are recorded after "
            "installation.",
            field="case",
        )
    if visit_on is None:
        raise ValidationError("Enter the date of the visit.", field="visit_on")
    _not_future(visit_on, today, "visit_on", "The visit date")
    if row.installed_on is not None and visit_on < row.installed_on:
        raise ValidationError(
            f"The visit cannot be before the installation ({format_date(row.installed_on)}).",
            field="visit_on",
        )
    found = _long_text(outcome, 2_000, "outcome", "The outcome")
    if not found:
        raise ValidationError(
            "Enter what the visit found, for example 'all measures in place'.", field="outcome"
        )
    text = _long_text(notes, 20_000, "notes", "The notes")
    visit = FollowUpVisit(
        case_id=row.id,
        visit_on=visit_on,
        by_whom=_text(by_whom, 200, "by_whom", "By whom"),
        outcome=found,
        further_work=bool(further_work),
        notes=text,
    )
    session.add(visit)
    _flush(session, "sanctuary follow-up recorded")
    warnings = tuple(address_warnings(found, "outcome") + address_warnings(text, "notes"))
    return visit, warnings


def delete_follow_up(session: Session, visit_id: str) -> None:
    visit = session.get(FollowUpVisit, visit_id) if visit_id else None
    if visit is None or visit.deleted_at is not None:
        raise ValidationError("That visit is no longer in the database.", field="visit")
    row = get_case(session, visit.case_id)
    if row.stage in ("follow-up done", "closed"):
        others = session.scalar(
            select(func.count())
            .select_from(FollowUpVisit)
            .where(
                FollowUpVisit.case_id == row.id,
                _live(FollowUpVisit),
                FollowUpVisit.id != visit.id,
            )
        )
        if not others:
            raise ValidationError(
                f"Case {row.reference} is {row.stage} on the strength of this visit; undo that "
                "stage first.",
                field="visit",
            )
    visit.deleted_at = utcnow()
    _flush(session, "sanctuary follow-up removed")


def follow_ups(session: Session, case_id: str) -> list[FollowUpVisit]:
    return list(
        session.scalars(
            select(FollowUpVisit)
            .where(FollowUpVisit.case_id == case_id, _live(FollowUpVisit))
            .order_by(FollowUpVisit.visit_on, FollowUpVisit.created_at)
        )
    )


# --------------------------------------------------------------------------- queries
#: The date the case reached its current stage, worked out in SQL (one date per row to
#: convert instead of nine).
_STAGE_SINCE = type_coerce(
    case(
        {s: getattr(SanctuaryCase, STAGE_DATE_COLUMNS[s]) for s in STAGES[1:]},
        value=SanctuaryCase.stage,
        else_=SanctuaryCase.referral_date,
    ),
    String,
)
_TEXT_DATE = String  # dates read as ISO text and parsed with date.fromisoformat (fast)


def _iso(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _case_query(where: list, order_by: list, limit: int | None = None):  # noqa: ANN001, ANN202
    totals = (
        select(
            MeasureFitted.case_id.label("case_id"),
            func.count().label("n"),
            func.sum(MeasureFitted.quantity * MeasureFitted.unit_cost_pence).label("spend"),
        )
        .where(_live(MeasureFitted))
        .group_by(MeasureFitted.case_id)
        .subquery()
    )
    visits = (
        select(
            FollowUpVisit.case_id.label("case_id"),
            func.max(FollowUpVisit.visit_on).label("last_visit"),
        )
        .where(_live(FollowUpVisit))
        .group_by(FollowUpVisit.case_id)
        .subquery()
    )
    stmt = (
        select(
            SanctuaryCase.id,
            SanctuaryCase.reference,
            SanctuaryCase.agency_id,
            Agency.name,
            Agency.short_name,
            SanctuaryCase.referring_officer,
            SanctuaryCase.risk_level,
            SanctuaryCase.marac,
            SanctuaryCase.tenure,
            SanctuaryCase.permission,
            SanctuaryCase.consent,
            SanctuaryCase.survey_on.is_not(None),
            SanctuaryCase.perpetrator_gone,
            SanctuaryCase.stage,
            SanctuaryCase.outcome,
            SanctuaryCase.postcode_district,
            func.coalesce(totals.c.n, 0),
            func.coalesce(totals.c.spend, 0),
            type_coerce(visits.c.last_visit, _TEXT_DATE),
            type_coerce(SanctuaryCase.referral_date, _TEXT_DATE),
            type_coerce(SanctuaryCase.installed_on, _TEXT_DATE),
            _STAGE_SINCE,
        )
        .outerjoin(Agency, Agency.id == SanctuaryCase.agency_id)
        .outerjoin(totals, totals.c.case_id == SanctuaryCase.id)
        .outerjoin(visits, visits.c.case_id == SanctuaryCase.id)
        .where(_live(SanctuaryCase), *where)
        .order_by(*order_by)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def _rows(session: Session, stmt, today: date) -> list[CaseRow]:  # noqa: ANN001
    interval = timedelta(days=follow_up_days(session))
    out = []
    for r in session.execute(stmt):
        (
            cid,
            ref,
            agency_id,
            agency_name,
            short,
            officer,
            risk,
            marac,
            tenure,
            permission,
            consent,
            survey_on,
            gone,
            stage,
            outcome,
            district,
            n,
            spend,
            last_visit,
        ) = r[:19]
        referral, installed, since = (_iso(x) for x in r[19:])
        since = since or referral
        if installed is not None:
            waiting: int | None = (installed - referral).days
        elif stage in WAITING_STAGES:
            waiting = (today - referral).days
        else:
            waiting = None
        due = None
        if stage == "installed" and installed is not None:
            visited = _iso(last_visit)
            due = max(installed, visited or installed) + interval
        out.append(
            CaseRow(
                case_id=cid,
                reference=ref,
                agency=short or agency_name or "",
                agency_id=agency_id,
                officer=officer,
                referral_date=referral,
                risk_level=risk,
                marac=bool(marac),
                tenure=tenure,
                stage=stage,
                stage_since=since,
                days_at_stage=max(0, (today - since).days),
                waiting_days=waiting,
                installed_on=installed,
                missing=_missing(tenure, permission, bool(consent), survey_on, bool(gone))
                if stage in WAITING_STAGES[:3]
                else (),
                measures=int(n),
                spend_pence=int(spend),
                postcode_district=district,
                follow_up_due=due,
                outcome=outcome,
                agency_name=agency_name or "",
            )
        )
    return out


def case_rows(
    session: Session,
    today: date,
    *,
    stages: tuple[str, ...] | list[str] | None = None,
    risk: str | None = None,
    tenure: str | None = None,
    agency_id: str | None = None,
    fy: int | None = None,
    search: str = "",
) -> list[CaseRow]:
    """Cases with their agency, stage, checklist gaps, measures and spend, filtered by
    stage, risk level, tenure, referring agency, financial year of referral and case
    reference; oldest referral first.  One query."""
    where = []
    if stages:
        where.append(SanctuaryCase.stage.in_(list(stages)))
    if risk:
        where.append(SanctuaryCase.risk_level == risk)
    if tenure:
        where.append(SanctuaryCase.tenure == tenure)
    if agency_id:
        where.append(SanctuaryCase.agency_id == agency_id)
    if fy is not None:
        first, last = fy_range(fy)
        where.append(SanctuaryCase.referral_date.between(first, last))
    for word in (search or "").split():
        where.append(func.instr(func.lower(SanctuaryCase.reference), word.lower()) > 0)
    stmt = _case_query(where, [SanctuaryCase.referral_date, SanctuaryCase.reference])
    return _rows(session, stmt, today)


def open_cases(session: Session, today: date) -> list[CaseRow]:
    return case_rows(session, today, stages=OPEN_STAGES)


def waiting_longest(session: Session, today: date, limit: int = 10) -> list[CaseRow]:
    """Cases still waiting for their works (referred to works ordered), longest first."""
    stmt = _case_query(
        [SanctuaryCase.stage.in_(WAITING_STAGES)],
        [SanctuaryCase.referral_date, SanctuaryCase.reference],
        limit,
    )
    return _rows(session, stmt, today)


def follow_ups_due(session: Session, today: date, within_days: int = 0) -> list[FollowUpDue]:
    """Installed cases whose follow-up visit is due by ``today`` (+ ``within_days``):
    the interval after installation, or after the last visit that found more to do."""
    interval = timedelta(days=follow_up_days(session))
    limit = today + timedelta(days=max(0, within_days))
    visits = (
        select(
            FollowUpVisit.case_id.label("case_id"),
            func.max(FollowUpVisit.visit_on).label("last_visit"),
        )
        .where(_live(FollowUpVisit))
        .group_by(FollowUpVisit.case_id)
        .subquery()
    )
    stmt = (
        select(
            SanctuaryCase.id,
            SanctuaryCase.reference,
            Agency.name,
            Agency.short_name,
            SanctuaryCase.installed_on,
            visits.c.last_visit,
        )
        .outerjoin(Agency, Agency.id == SanctuaryCase.agency_id)
        .outerjoin(visits, visits.c.case_id == SanctuaryCase.id)
        .where(
            _live(SanctuaryCase),
            SanctuaryCase.stage == "installed",
            SanctuaryCase.installed_on.is_not(None),
        )
    )
    out = []
    for cid, ref, name, short, installed, last in session.execute(stmt):
        last = _as_date(last)
        due = max(installed, last or installed) + interval
        if due <= limit:
            out.append(
                FollowUpDue(
                    cid, ref, short or name or "", installed, last, due, max(0, (today - due).days)
                )
            )
    out.sort(key=lambda r: (r.due, r.reference))
    return out


def _fy_quarter_columns(column):  # noqa: ANN001, ANN202
    year = cast(func.strftime("%Y", column), Integer)
    month = cast(func.strftime("%m", column), Integer)
    fy = year - case((month < 4, 1), else_=0)
    quarter = (month + 8) % 12 // 3 + 1
    return fy, quarter


def spend_summary(session: Session, fy_from: int, fy_to: int) -> SpendSummary:
    """Spend on measures fitted by financial year and quarter (with measures, items and
    cases), by item per year, cases per year and stock bought per year.  Four grouped
    queries, whatever the number of measures."""
    if fy_to < fy_from:
        raise ValidationError("The period must end after it starts.", field="fy_to")
    first, _ = fy_range(fy_from)
    _, last = fy_range(fy_to)
    in_range = and_(_live(MeasureFitted), MeasureFitted.fitted_on.between(first, last))
    fy, quarter = _fy_quarter_columns(MeasureFitted.fitted_on)
    spend = func.sum(MeasureFitted.quantity * MeasureFitted.unit_cost_pence)
    quarters = {(y, q): SpendCell() for y in range(fy_from, fy_to + 1) for q in (1, 2, 3, 4)}
    by_quarter = session.execute(
        select(
            fy.label("fy"),
            quarter.label("q"),
            func.count(),
            func.sum(MeasureFitted.quantity),
            func.count(distinct(MeasureFitted.case_id)),
            spend,
        )
        .where(in_range)
        .group_by("fy", "q")
    )
    for y, q, n, qty, cases, pence in by_quarter:
        quarters[(int(y), int(q))] = SpendCell(int(n), int(qty or 0), int(cases), int(pence or 0))
    items: list[SpendItemRow] = []
    item_rows = session.execute(
        select(
            fy.label("fy"),
            HardwareItem.kind,
            HardwareItem.name,
            func.count(),
            func.sum(MeasureFitted.quantity),
            func.count(distinct(MeasureFitted.case_id)),
            spend,
        )
        .join(HardwareItem, HardwareItem.id == MeasureFitted.item_id)
        .where(in_range)
        .group_by("fy", HardwareItem.id)
    )
    for y, kind, name, n, qty, cases, pence in item_rows:
        items.append(
            SpendItemRow(int(y), kind, name, int(n), int(qty or 0), int(cases), int(pence or 0))
        )
    year_cases = dict.fromkeys(range(fy_from, fy_to + 1), 0)
    for y, cases in session.execute(
        select(fy.label("fy"), func.count(distinct(MeasureFitted.case_id)))
        .where(in_range)
        .group_by("fy")
    ):
        year_cases[int(y)] = int(cases)
    kind_order = {k: i for i, k in enumerate(ITEM_KINDS)}
    items.sort(key=lambda r: (r.fy, kind_order.get(r.kind, 99), r.item.lower()))
    years = {}
    for y in range(fy_from, fy_to + 1):
        cells = [quarters[(y, q)] for q in (1, 2, 3, 4)]
        years[y] = SpendCell(
            sum(c.measures for c in cells),
            sum(c.items for c in cells),
            year_cases[y],
            sum(c.spend_pence for c in cells),
        )
    dfy, _ = _fy_quarter_columns(StockMovement.moved_on)
    bought = {
        int(y): int(p or 0)
        for y, p in session.execute(
            select(
                dfy.label("fy"), func.sum(StockMovement.quantity * StockMovement.unit_cost_pence)
            )
            .where(
                _live(StockMovement),
                StockMovement.kind == "delivery",
                StockMovement.moved_on.between(first, last),
            )
            .group_by("fy")
        )
    }
    return SpendSummary(fy_from, fy_to, quarters, years, items, bought)


def spend_years(session: Session, today: date, most: int = 5) -> tuple[int, int]:
    """The financial years a spend report covers by default: up to ``most`` years ending
    with the current one, starting no earlier than the first measure fitted."""
    current = financial_year_of(today)
    earliest = session.scalar(select(func.min(MeasureFitted.fitted_on)).where(_live(MeasureFitted)))
    start = current - most + 1
    if earliest is not None:
        start = max(start, min(financial_year_of(_as_date(earliest)), current))
    else:
        start = current
    return start, current


def installation_times(session: Session, date_from: date, date_to: date) -> TimesSummary:
    """Referral-to-installation times of the cases installed in the period, longest first,
    with the distribution over :data:`TIME_BANDS`.  One query."""
    if date_to < date_from:
        raise ValidationError("The period must end after it starts.", field="date_to")
    days = func.julianday(SanctuaryCase.installed_on) - func.julianday(SanctuaryCase.referral_date)
    stmt = (
        select(
            SanctuaryCase.id,
            SanctuaryCase.reference,
            Agency.name,
            Agency.short_name,
            SanctuaryCase.risk_level,
            SanctuaryCase.referral_date,
            SanctuaryCase.installed_on,
            days,
        )
        .outerjoin(Agency, Agency.id == SanctuaryCase.agency_id)
        .where(
            _live(SanctuaryCase),
            SanctuaryCase.installed_on.between(date_from, date_to),
        )
        .order_by(days.desc(), SanctuaryCase.reference)
    )
    rows = [
        TimeRow(cid, ref, short or name or "", risk, referral, installed, int(round(d)))
        for cid, ref, name, short, risk, referral, installed, d in session.execute(stmt)
    ]
    bands = []
    for label, low, high in TIME_BANDS:
        bands.append(
            (label, sum(1 for r in rows if r.days >= low and (high is None or r.days <= high)))
        )
    return TimesSummary(date_from, date_to, rows, bands)


def stage_counts(session: Session) -> dict[str, int]:
    """Live cases per stage (every stage present)."""
    counts = dict.fromkeys(STAGES, 0)
    for stage, n in session.execute(
        select(SanctuaryCase.stage, func.count())
        .where(_live(SanctuaryCase))
        .group_by(SanctuaryCase.stage)
    ):
        counts[stage] = int(n)
    return counts


# --------------------------------------------------------------------------- dashboard
def dashboard_tiles(session: Session, today: date) -> list:
    from dvcoord.services.dashboard import Tile

    counts = stage_counts(session)
    has_stock = session.scalar(select(func.count()).select_from(StockMovement).limit(1))
    if not sum(counts.values()) and not has_stock:
        return []
    area = "Sanctuary Scheme"
    open_total = sum(counts[s] for s in OPEN_STAGES)
    tiles = [
        Tile(
            key="sanctuary.open_by_stage",
            area=area,
            title="Open sanctuary cases",
            value=str(open_total),
            detail="By stage" if open_total else "No open cases",
            severity="info",
            view="sanctuary",
            order=60,
            lines=tuple(f"{STAGE_LABELS[s]}: {counts[s]}" for s in OPEN_STAGES if counts[s]),
        )
    ]
    waiting = waiting_longest(session, today, 5)
    longest = waiting[0].waiting_days if waiting else None
    tiles.append(
        Tile(
            key="sanctuary.waiting_longest",
            area=area,
            title="Waiting longest for works",
            value=f"{longest} days" if longest is not None else "\u2013",
            detail="Since referral, works not yet installed" if waiting else "Nobody waiting",
            severity="warning" if longest is not None and longest > 56 else "ok",
            view="sanctuary",
            order=61,
            lines=tuple(
                f"{r.reference} \u2013 {STAGE_LABELS[r.stage].lower()}, {r.waiting_days} days"
                for r in waiting
            ),
        )
    )
    due = follow_ups_due(session, today)
    tiles.append(
        Tile(
            key="sanctuary.follow_ups_due",
            area=area,
            title="Sanctuary follow-ups due",
            value=str(len(due)),
            detail="Installed homes due a follow-up visit" if due else "None due",
            severity="alert"
            if any(d.days_overdue > 14 for d in due)
            else ("warning" if due else "ok"),
            view="sanctuary",
            order=62,
            lines=tuple(f"{d.reference} \u2013 due {format_date(d.due)}" for d in due[:5]),
        )
    )
    reorder = reorder_rows(session, today)
    tiles.append(
        Tile(
            key="sanctuary.stock_to_reorder",
            area=area,
            title="Sanctuary stock to reorder",
            value=str(len(reorder)),
            detail="Items at or below their reorder level" if reorder else "Stock levels fine",
            severity="warning" if reorder else "ok",
            view="sanctuary",
            order=63,
            lines=tuple(f"{r.name}: {r.in_store} in store" for r in reorder[:5]),
        )
    )
    fy = financial_year_of(today)
    summary = spend_summary(session, fy, fy)
    year = summary.years[fy]
    _, q = quarter_of(today)
    tiles.append(
        Tile(
            key="sanctuary.spend_this_year",
            area=area,
            title=f"Sanctuary spend {fy_label(fy)}",
            value=format_pounds(year.spend_pence),
            detail=f"{year.measures} measure{'s' if year.measures != 1 else ''} in "
            f"{year.cases} home{'s' if year.cases != 1 else ''}",
            severity="info",
            view="sanctuary",
            order=64,
            lines=tuple(
                f"Q{n}: {format_pounds(summary.quarters[(fy, n)].spend_pence)}"
                for n in range(1, q + 1)
            ),
        )
    )
    return tiles
