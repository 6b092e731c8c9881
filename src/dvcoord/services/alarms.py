"""Panic alarms: the stock, loans to people at risk, the device log and what is due.

Every write function takes a :class:`~sqlalchemy.orm.Session` inside the caller's
transaction (``with db.transaction() as s: issue_alarm(s, ...)``), validates everything
before it changes anything, and raises :class:`~dvcoord.errors.ValidationError` with the
offending ``field`` and one UK-English sentence.  The audit hook records every change, so
one call is one audited unit of work and a refused call leaves nothing behind.

Status life cycle (``TRANSITIONS``)::

    available -> issued -> awaiting return -> available
    available / faulty / in repair / lost -> ... -> retired (for good)

An issued alarm cannot be issued again; a retired alarm cannot come back.  Loans record
the requesting agency and a *case reference* only; a reference that looks like a name, an
address, a phone number or an e-mail address is allowed but comes back as a
:class:`~dvcoord.services.common.FieldWarning` (data minimisation) so the screen can ask
the officer to check it.

Queries return plain dataclasses and use one or two SQL statements each, whatever the
size of the stock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from dvcoord.errors import ValidationError
from dvcoord.services.common import FieldWarning, case_reference_warnings
from dvcoord.services.dates import add_months, format_date, uk_date
from dvcoord.store.base import utcnow
from dvcoord.store.schema.alarms import (
    ALARM_STATUSES,
    END_REASONS,
    LOG_KINDS,
    OUT_OF_SERVICE_STATUSES,
    RETURN_CONDITIONS,
    TEST_RESULTS,
    Alarm,
    AlarmType,
    DeviceLogEntry,
    Loan,
)
from dvcoord.store.schema.core import Meta
from dvcoord.store.schema.plans import Agency

__all__ = [
    "ALARM_STATUSES",
    "DEFAULT_LOW_STOCK_THRESHOLD",
    "END_REASONS",
    "LOG_KINDS",
    "META_LOW_STOCK",
    "RETURN_CONDITIONS",
    "TRANSITIONS",
    "ActivityRow",
    "DeviceHistory",
    "DueBattery",
    "DueTest",
    "HistoryEvent",
    "InventoryRow",
    "IssueResult",
    "LoanRow",
    "StockCounts",
    "WarrantyRow",
    "activity_by_agency",
    "add_log_entry",
    "STATUS_ACTIONS",
    "alarm_types",
    "apply_status_action",
    "parse_pounds",
    "status_actions",
    "back_in_service",
    "batteries_due",
    "create_alarm",
    "create_alarm_type",
    "dashboard_tiles",
    "default_review_date",
    "delete_alarm",
    "device_history",
    "extend_review",
    "free_alarms",
    "get_alarm",
    "get_alarm_type",
    "open_loan",
    "inventory",
    "issue_alarm",
    "loans_past_review",
    "low_stock_threshold",
    "low_stock_warning",
    "mark_awaiting_return",
    "mark_faulty",
    "mark_found",
    "mark_lost",
    "open_loans",
    "retire_alarm",
    "return_alarm",
    "send_to_repair",
    "set_low_stock_threshold",
    "stock_counts",
    "tests_due",
    "update_alarm",
    "update_alarm_type",
    "update_loan",
    "warranties_ending",
]

META_LOW_STOCK = "alarms.low_stock_threshold"
DEFAULT_LOW_STOCK_THRESHOLD = 5
DEFAULT_REVIEW_MONTHS = 3

#: Allowed status changes.  "issued" is reached only by :func:`issue_alarm` (and back
#: from "awaiting return" by :func:`extend_review`); leaving a loan goes through
#: :func:`return_alarm` or :func:`mark_lost`.
TRANSITIONS: dict[str, frozenset[str]] = {
    "available": frozenset({"issued", "in repair", "faulty", "lost", "retired"}),
    "issued": frozenset({"awaiting return", "available", "faulty", "lost"}),
    "awaiting return": frozenset({"issued", "available", "faulty", "lost"}),
    "in repair": frozenset({"available", "faulty", "lost", "retired"}),
    "faulty": frozenset({"in repair", "available", "lost", "retired"}),
    "lost": frozenset({"available", "retired"}),
    "retired": frozenset(),
}
ON_LOAN_STATUSES = ("issued", "awaiting return")
#: Devices that are kept tested and charged (with someone or on the shelf).
IN_SERVICE_STATUSES = ("available", "issued", "awaiting return")

_MAX_CASE_REF = 60


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class IssueResult:
    loan: Loan
    warnings: tuple[FieldWarning, ...] = ()


@dataclass(frozen=True)
class StockCounts:
    available: int = 0
    issued: int = 0  # issued or awaiting return
    out_of_service: int = 0  # in repair, faulty or lost
    retired: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def in_stock(self) -> int:
        """Every device not retired."""
        return self.available + self.issued + self.out_of_service


@dataclass(frozen=True)
class InventoryRow:
    alarm_id: str
    asset_tag: str
    serial_number: str
    type_name: str
    sim_number: str
    status: str
    owner_agency: str
    storage_location: str
    purchase_date: date | None
    warranty_end: date | None
    last_test: date | None
    next_test_due: date | None
    battery_due: date | None
    loan_id: str | None
    loan_agency: str  # short name where there is one (for screens)
    case_reference: str
    issued_date: date | None
    review_date: date | None
    notes: str = ""
    loan_agency_name: str = ""  # full name


@dataclass(frozen=True)
class LoanRow:
    loan_id: str
    alarm_id: str
    asset_tag: str
    type_name: str
    status: str
    agency: str
    officer: str
    case_reference: str
    marac: bool
    police_marker: bool
    issued_date: date
    installed_date: date | None
    review_date: date
    days_past_review: int


@dataclass(frozen=True)
class DueTest:
    alarm_id: str
    asset_tag: str
    type_name: str
    status: str
    last_test: date | None
    due: date
    days_overdue: int


@dataclass(frozen=True)
class DueBattery:
    alarm_id: str
    asset_tag: str
    type_name: str
    status: str
    last_change: date | None
    due: date
    days_overdue: int


@dataclass(frozen=True)
class WarrantyRow:
    alarm_id: str
    asset_tag: str
    type_name: str
    status: str
    warranty_end: date
    days_left: int


@dataclass(frozen=True)
class HistoryEvent:
    on: date
    kind: str  # "purchased", "issued", "returned", "lost", a log kind, ...
    text: str
    case_reference: str = ""  # kept apart so screens and reports can leave it out
    by_whom: str = ""
    result: str = ""


@dataclass(frozen=True)
class DeviceHistory:
    alarm: Alarm
    loans: list[Loan]
    log: list[DeviceLogEntry]
    events: list[HistoryEvent]
    next_test_due: date | None
    battery_due: date | None


@dataclass(frozen=True)
class ActivityRow:
    agency: str
    issued: int
    returned: int
    ended_lost: int
    marac: int
    average_days: float | None  # of loans ended in the period
    open_at_end: int


# --------------------------------------------------------------------------- dates
def default_review_date(issued: date) -> date:
    """A loan is reviewed three months after issue unless the officer says otherwise."""
    return add_months(issued, DEFAULT_REVIEW_MONTHS)


def _next_test(last_test: date | None, fallback: date | None, interval: int) -> date | None:
    if interval <= 0:
        return None
    start = last_test or fallback
    return start + timedelta(days=interval) if start else None


def _battery_due(last_change: date | None, fallback: date | None, months: int | None):
    if not months:
        return None
    start = last_change or fallback
    return add_months(start, months) if start else None


# --------------------------------------------------------------------------- helpers
def _text(value: str | None, limit: int, field_name: str, label: str) -> str:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise ValidationError(f"{label} must be {limit} characters or fewer.", field=field_name)
    return text


def _check_not_future(value: date | None, today: date, field_name: str, label: str) -> None:
    if value is not None and value > today:
        raise ValidationError(
            f"{label} ({format_date(value)}) cannot be in the future.", field=field_name
        )


def _live(model):  # noqa: ANN001, ANN202
    return model.deleted_at.is_(None)


def get_alarm(session: Session, alarm_id: str) -> Alarm:
    alarm = session.get(Alarm, alarm_id)
    if alarm is None or alarm.deleted_at is not None:
        raise ValidationError("That alarm is no longer in the database.", field="alarm")
    return alarm


def get_alarm_type(session: Session, type_id: str | None) -> AlarmType:
    found = session.get(AlarmType, type_id) if type_id else None
    if found is None or found.deleted_at is not None:
        raise ValidationError("Choose the type of alarm.", field="type")
    return found


def _get_agency(session: Session, agency_id: str | None, field_name: str) -> Agency | None:
    if not agency_id:
        return None
    found = session.get(Agency, agency_id)
    if found is None or found.deleted_at is not None:
        raise ValidationError("That agency is no longer in the database.", field=field_name)
    return found


def open_loan(session: Session, alarm_id: str) -> Loan | None:
    return session.scalars(
        select(Loan)
        .where(Loan.alarm_id == alarm_id, Loan.ended_date.is_(None), _live(Loan))
        .order_by(Loan.issued_date.desc())
        .limit(1)
    ).first()


def _require_transition(alarm: Alarm, new_status: str) -> None:
    current = alarm.status
    if new_status not in ALARM_STATUSES:
        raise ValidationError(f"'{new_status}' is not an alarm status.", field="status")
    if current == "retired":
        raise ValidationError(
            f"Alarm {alarm.asset_tag} is retired; a retired alarm cannot come back into use.",
            field="status",
        )
    if new_status not in TRANSITIONS.get(current, frozenset()):
        raise ValidationError(
            f"Alarm {alarm.asset_tag} is {current}; it cannot be marked {new_status} from there.",
            field="status",
        )


def _log(
    session: Session,
    alarm: Alarm,
    on: date,
    kind: str,
    details: str,
    *,
    by_whom: str = "",
    result: str = "",
    loan: Loan | None = None,
    cost_pence: int | None = None,
) -> DeviceLogEntry:
    entry = DeviceLogEntry(
        alarm_id=alarm.id,
        loan_id=loan.id if loan is not None else None,
        entry_date=on,
        kind=kind,
        result=result,
        by_whom=by_whom,
        details=details,
        cost_pence=cost_pence,
    )
    session.add(entry)
    return entry


def _flush(session: Session, note: str) -> None:
    """Flush with an audit note describing the operation."""
    previous = session.info.get("audit_note", "")
    session.info["audit_note"] = note
    try:
        session.flush()
    finally:
        session.info["audit_note"] = previous


# --------------------------------------------------------------------------- case refs
def _clean_case_reference(reference: str | None) -> str:
    text = " ".join((reference or "").split())
    if not text:
        raise ValidationError(
            "Enter the agency's case reference (not a name or an address).",
            field="case_reference",
        )
    if len(text) > _MAX_CASE_REF:
        raise ValidationError(
            f"A case reference must be {_MAX_CASE_REF} characters or fewer.",
            field="case_reference",
        )
    return text


# --------------------------------------------------------------------------- settings
def low_stock_threshold(session: Session) -> int:
    """Warn when fewer alarms than this are available (meta ``alarms.low_stock_threshold``)."""
    row = session.get(Meta, META_LOW_STOCK)
    try:
        value = int(row.value) if row is not None else DEFAULT_LOW_STOCK_THRESHOLD
    except ValueError:
        return DEFAULT_LOW_STOCK_THRESHOLD
    return value if value >= 0 else DEFAULT_LOW_STOCK_THRESHOLD


def set_low_stock_threshold(session: Session, value: int | str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if not 0 <= number <= 10_000:
        raise ValidationError(
            "The low-stock warning level must be a whole number from 0 to 10000.",
            field="low_stock_threshold",
        )
    session.merge(Meta(key=META_LOW_STOCK, value=str(number)))
    session.flush()
    return number


def low_stock_warning(counts: StockCounts, threshold: int) -> str | None:
    """The warning to show when available stock is under the threshold, else None."""
    if counts.available < threshold:
        noun = "alarm is" if counts.available == 1 else "alarms are"
        return f"Low stock: only {counts.available} {noun} available (warning level {threshold})."
    return None


# --------------------------------------------------------------------------- types
def alarm_types(session: Session) -> list[AlarmType]:
    return list(session.scalars(select(AlarmType).where(_live(AlarmType)).order_by(AlarmType.name)))


def _type_values(
    session: Session,
    name: str,
    test_interval_days: int | str,
    battery_life_months: int | str | None,
    exclude_id: str | None,
) -> tuple[str, int, int | None]:
    name = _text(name, 200, "name", "The type's name")
    if not name:
        raise ValidationError("Enter a name for the alarm type.", field="name")
    clash = session.scalar(
        select(AlarmType.id).where(
            func.lower(AlarmType.name) == name.lower(),
            _live(AlarmType),
            AlarmType.id != (exclude_id or ""),
        )
    )
    if clash:
        raise ValidationError(f"There is already an alarm type called '{name}'.", field="name")
    try:
        interval = int(str(test_interval_days).strip())
    except ValueError:
        interval = -1
    if not 0 <= interval <= 3650:
        raise ValidationError(
            "The test interval must be a number of days from 0 (not tested) to 3650.",
            field="test_interval_days",
        )
    battery: int | None
    if battery_life_months in (None, ""):
        battery = None
    else:
        try:
            battery = int(str(battery_life_months).strip())
        except ValueError:
            battery = -1
        if not 1 <= battery <= 240:
            raise ValidationError(
                "Battery life must be a number of months from 1 to 240, or empty for "
                "mains-powered devices.",
                field="battery_life_months",
            )
    return name, interval, battery


def create_alarm_type(
    session: Session,
    *,
    name: str,
    supplier: str = "",
    monitoring_centre: str = "",
    test_interval_days: int | str = 90,
    battery_life_months: int | str | None = None,
    has_sim: bool = False,
    notes: str = "",
) -> AlarmType:
    name, interval, battery = _type_values(
        session, name, test_interval_days, battery_life_months, None
    )
    row = AlarmType(
        name=name,
        supplier=_text(supplier, 200, "supplier", "Supplier"),
        monitoring_centre=_text(monitoring_centre, 200, "monitoring_centre", "Monitoring centre"),
        test_interval_days=interval,
        battery_life_months=battery,
        has_sim=bool(has_sim),
        notes=(notes or "").strip(),
    )
    session.add(row)
    _flush(session, "alarm type added")
    return row


def update_alarm_type(session: Session, type_id: str, **changes: object) -> AlarmType:
    row = get_alarm_type(session, type_id)
    allowed = {
        "name",
        "supplier",
        "monitoring_centre",
        "test_interval_days",
        "battery_life_months",
        "has_sim",
        "notes",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown alarm type fields: {sorted(unknown)}")
    name, interval, battery = _type_values(
        session,
        str(changes.get("name", row.name)),
        changes.get("test_interval_days", row.test_interval_days),  # type: ignore[arg-type]
        changes.get("battery_life_months", row.battery_life_months),  # type: ignore[arg-type]
        row.id,
    )
    has_sim = bool(changes.get("has_sim", row.has_sim))
    if row.has_sim and not has_sim:
        with_sim = session.scalar(
            select(func.count())
            .select_from(Alarm)
            .where(Alarm.type_id == row.id, Alarm.sim_number != "", _live(Alarm))
        )
        if with_sim:
            raise ValidationError(
                f"{with_sim} alarm(s) of this type have a SIM number; clear them first.",
                field="has_sim",
            )
    row.name, row.test_interval_days, row.battery_life_months = name, interval, battery
    row.has_sim = has_sim
    if "supplier" in changes:
        row.supplier = _text(str(changes["supplier"]), 200, "supplier", "Supplier")
    if "monitoring_centre" in changes:
        row.monitoring_centre = _text(
            str(changes["monitoring_centre"]), 200, "monitoring_centre", "Monitoring centre"
        )
    if "notes" in changes:
        row.notes = str(changes["notes"] or "").strip()
    _flush(session, "alarm type changed")
    return row


# --------------------------------------------------------------------------- alarms
_SIM_RE = re.compile(r"^\+?[\d ]{10,16}$")


def _clean_tag(value: str | None) -> str:
    tag = " ".join((value or "").split())
    if not tag:
        raise ValidationError("Enter the alarm's asset tag.", field="asset_tag")
    if len(tag) > 60:
        raise ValidationError("An asset tag must be 60 characters or fewer.", field="asset_tag")
    return tag


def _check_unique(session: Session, tag: str, serial: str, exclude_id: str | None) -> None:
    others = and_(_live(Alarm), Alarm.id != (exclude_id or ""))
    clash = session.scalar(
        select(Alarm.asset_tag).where(others, func.lower(Alarm.asset_tag) == tag.lower())
    )
    if clash:
        raise ValidationError(
            f"Another alarm already has the asset tag '{clash}'.", field="asset_tag"
        )
    if serial:
        clash = session.scalar(
            select(Alarm.asset_tag).where(others, func.lower(Alarm.serial_number) == serial.lower())
        )
        if clash:
            raise ValidationError(
                f"Alarm {clash} already has the serial number '{serial}'.",
                field="serial_number",
            )


def _clean_sim(value: str | None, alarm_type: AlarmType) -> str:
    sim = " ".join((value or "").split())
    if not sim:
        return ""
    if not alarm_type.has_sim:
        raise ValidationError(
            f"Alarms of type '{alarm_type.name}' have no SIM card; leave the SIM number empty.",
            field="sim_number",
        )
    if not _SIM_RE.match(sim) or not 10 <= sum(ch.isdigit() for ch in sim) <= 13:
        raise ValidationError(
            f"'{sim}' is not a phone number; enter it as, for example, 07700 900123.",
            field="sim_number",
        )
    return sim


def _alarm_dates(purchase: date | None, warranty: date | None, today: date) -> None:
    _check_not_future(purchase, today, "purchase_date", "The purchase date")
    if purchase and warranty and warranty < purchase:
        raise ValidationError(
            "The warranty cannot end before the alarm was bought.", field="warranty_end"
        )


def create_alarm(
    session: Session,
    *,
    asset_tag: str,
    type_id: str,
    serial_number: str = "",
    sim_number: str = "",
    purchase_date: date | None = None,
    warranty_end: date | None = None,
    owner_agency_id: str | None = None,
    storage_location: str = "",
    status: str = "available",
    notes: str = "",
    today: date | None = None,
) -> Alarm:
    """Add a device to the stock (status available unless said otherwise; never issued)."""
    today = today or date.today()
    tag = _clean_tag(asset_tag)
    serial = _text(serial_number, 100, "serial_number", "The serial number")
    alarm_type = get_alarm_type(session, type_id)
    _get_agency(session, owner_agency_id, "owner_agency")
    if status not in ALARM_STATUSES:
        raise ValidationError(f"'{status}' is not an alarm status.", field="status")
    if status in ON_LOAN_STATUSES:
        raise ValidationError(
            "A new alarm cannot start as issued; add it, then issue it to a case.",
            field="status",
        )
    _alarm_dates(purchase_date, warranty_end, today)
    _check_unique(session, tag, serial, None)
    alarm = Alarm(
        asset_tag=tag,
        serial_number=serial,
        type_id=alarm_type.id,
        sim_number=_clean_sim(sim_number, alarm_type),
        purchase_date=purchase_date,
        warranty_end=warranty_end,
        owner_agency_id=owner_agency_id or None,
        storage_location=_text(storage_location, 200, "storage_location", "Storage location"),
        status=status,
        notes=(notes or "").strip(),
    )
    session.add(alarm)
    _flush(session, "alarm added")
    return alarm


def update_alarm(session: Session, alarm_id: str, *, today: date | None = None, **changes):  # noqa: ANN003, ANN201
    """Change an alarm's details (not its status: use the status operations)."""
    today = today or date.today()
    alarm = get_alarm(session, alarm_id)
    allowed = {
        "asset_tag",
        "serial_number",
        "type_id",
        "sim_number",
        "purchase_date",
        "warranty_end",
        "owner_agency_id",
        "storage_location",
        "notes",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown alarm fields: {sorted(unknown)}")
    tag = _clean_tag(changes.get("asset_tag", alarm.asset_tag))
    serial = _text(
        changes.get("serial_number", alarm.serial_number), 100, "serial_number", "The serial number"
    )
    alarm_type = get_alarm_type(session, changes.get("type_id", alarm.type_id))
    owner = changes.get("owner_agency_id", alarm.owner_agency_id) or None
    _get_agency(session, owner, "owner_agency")
    purchase = changes.get("purchase_date", alarm.purchase_date)
    warranty = changes.get("warranty_end", alarm.warranty_end)
    _alarm_dates(purchase, warranty, today)
    sim = _clean_sim(changes.get("sim_number", alarm.sim_number), alarm_type)
    _check_unique(session, tag, serial, alarm.id)
    alarm.asset_tag, alarm.serial_number, alarm.type_id = tag, serial, alarm_type.id
    alarm.sim_number, alarm.purchase_date, alarm.warranty_end = sim, purchase, warranty
    alarm.owner_agency_id = owner
    if "storage_location" in changes:
        alarm.storage_location = _text(
            changes["storage_location"], 200, "storage_location", "Storage location"
        )
    if "notes" in changes:
        alarm.notes = (changes["notes"] or "").strip()
    _flush(session, "alarm changed")
    return alarm


def delete_alarm(session: Session, alarm_id: str) -> None:
    """Remove an alarm entered by mistake (a tombstone).  Devices with loans are retired."""
    alarm = get_alarm(session, alarm_id)
    loans = session.scalar(
        select(func.count()).select_from(Loan).where(Loan.alarm_id == alarm.id, _live(Loan))
    )
    if loans:
        raise ValidationError(
            f"Alarm {alarm.asset_tag} has been lent out, so its history must be kept; "
            "retire it instead of deleting it.",
            field="alarm",
        )
    alarm.deleted_at = utcnow()
    _flush(session, "alarm deleted")


# --------------------------------------------------------------------------- loans
def issue_alarm(
    session: Session,
    *,
    alarm_id: str,
    case_reference: str,
    agency_id: str | None,
    issued_date: date,
    review_date: date | None = None,
    officer: str = "",
    marac: bool = False,
    installed_date: date | None = None,
    police_marker: bool = False,
    police_marker_date: date | None = None,
    notes: str = "",
    today: date | None = None,
) -> IssueResult:
    """Lend an available alarm for a case.  Returns the loan and any data-minimisation warnings."""
    today = today or date.today()
    alarm = get_alarm(session, alarm_id)
    if alarm.status != "available":
        if alarm.status in ON_LOAN_STATUSES:
            message = f"Alarm {alarm.asset_tag} is already {alarm.status}; return it first."
        else:
            message = f"Alarm {alarm.asset_tag} is {alarm.status}, not available; choose another."
        raise ValidationError(message, field="alarm")
    reference = _clean_case_reference(case_reference)
    if not agency_id:
        raise ValidationError("Choose the agency that asked for the alarm.", field="agency")
    _get_agency(session, agency_id, "agency")
    if issued_date is None:
        raise ValidationError("Enter the date the alarm was issued.", field="issued_date")
    _check_not_future(issued_date, today, "issued_date", "The issue date")
    last_end = session.scalar(
        select(func.max(Loan.ended_date)).where(Loan.alarm_id == alarm.id, _live(Loan))
    )
    if last_end is not None and issued_date < last_end:
        raise ValidationError(
            f"Alarm {alarm.asset_tag} was on another loan until {format_date(last_end)}; "
            "the issue date cannot be earlier.",
            field="issued_date",
        )
    review = review_date or default_review_date(issued_date)
    if review < today:
        raise ValidationError(
            f"The review date {format_date(review)} is in the past; choose a date from today on.",
            field="review_date",
        )
    if review <= issued_date:
        raise ValidationError("The review date must be after the issue date.", field="review_date")
    if installed_date is not None:
        if installed_date < issued_date:
            raise ValidationError(
                "The alarm cannot be installed before it was issued.", field="installed_date"
            )
        _check_not_future(installed_date, today, "installed_date", "The installation date")
    marker_date = _marker_date(police_marker, police_marker_date, today)
    loan = Loan(
        alarm_id=alarm.id,
        agency_id=agency_id,
        officer=_text(officer, 200, "officer", "The officer's name"),
        case_reference=reference,
        marac=bool(marac),
        police_marker=bool(police_marker),
        police_marker_date=marker_date,
        issued_date=issued_date,
        installed_date=installed_date,
        review_date=review,
        notes=(notes or "").strip(),
    )
    session.add(loan)
    alarm.status = "issued"
    _flush(session, "alarm issued")
    return IssueResult(loan, tuple(case_reference_warnings(reference)))


def _marker_date(marker: bool, on: date | None, today: date) -> date | None:
    if not marker:
        if on is not None:
            raise ValidationError(
                "Tick 'police address marker placed' to record its date.",
                field="police_marker_date",
            )
        return None
    _check_not_future(on, today, "police_marker_date", "The marker date")
    return on


def _loan_for(session: Session, alarm: Alarm) -> Loan:
    loan = open_loan(session, alarm.id)
    if loan is None or alarm.status not in ON_LOAN_STATUSES:
        raise ValidationError(f"Alarm {alarm.asset_tag} is not on loan.", field="alarm")
    return loan


def update_loan(
    session: Session,
    loan_id: str,
    *,
    today: date | None = None,
    **changes,  # noqa: ANN003
) -> Loan:
    """Record details that come later: installation, police marker, officer, MARAC, notes."""
    today = today or date.today()
    allowed = {
        "officer",
        "marac",
        "installed_date",
        "police_marker",
        "police_marker_date",
        "notes",
        "case_reference",
        "agency_id",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown loan fields: {sorted(unknown)}")
    loan = session.get(Loan, loan_id)
    if loan is None or loan.deleted_at is not None:
        raise ValidationError("That loan is no longer in the database.", field="loan")
    installed = changes.get("installed_date", loan.installed_date)
    if installed is not None:
        if installed < loan.issued_date:
            raise ValidationError(
                "The alarm cannot be installed before it was issued.", field="installed_date"
            )
        _check_not_future(installed, today, "installed_date", "The installation date")
    marker = bool(changes.get("police_marker", loan.police_marker))
    marker_on = changes.get("police_marker_date", loan.police_marker_date if marker else None)
    marker_date = _marker_date(marker, marker_on, today)
    if "case_reference" in changes:
        loan.case_reference = _clean_case_reference(changes["case_reference"])
    if "agency_id" in changes:
        if not changes["agency_id"]:
            raise ValidationError("Choose the agency that asked for the alarm.", field="agency")
        _get_agency(session, changes["agency_id"], "agency")
        loan.agency_id = changes["agency_id"]
    if "officer" in changes:
        loan.officer = _text(changes["officer"], 200, "officer", "The officer's name")
    if "marac" in changes:
        loan.marac = bool(changes["marac"])
    if "notes" in changes:
        loan.notes = (changes["notes"] or "").strip()
    loan.installed_date = installed
    loan.police_marker, loan.police_marker_date = marker, marker_date
    _flush(session, "loan changed")
    return loan


def extend_review(
    session: Session,
    *,
    alarm_id: str,
    new_review_date: date,
    by_whom: str = "",
    reason: str = "",
    today: date | None = None,
) -> Loan:
    """Move an open loan's review date later (and keep it going if a return was asked for)."""
    today = today or date.today()
    alarm = get_alarm(session, alarm_id)
    loan = _loan_for(session, alarm)
    if new_review_date is None:
        raise ValidationError("Enter the new review date.", field="review_date")
    if new_review_date < today:
        raise ValidationError(
            f"The new review date {format_date(new_review_date)} is in the past; choose a "
            "date from today on.",
            field="review_date",
        )
    if new_review_date <= loan.review_date:
        raise ValidationError(
            f"The new review date must be later than the current one "
            f"({format_date(loan.review_date)}).",
            field="review_date",
        )
    old = loan.review_date
    loan.review_date = new_review_date
    details = f"Review moved from {format_date(old)} to {format_date(new_review_date)}."
    if reason.strip():
        details += " " + reason.strip()
    if alarm.status == "awaiting return":
        alarm.status = "issued"
        details += " Return no longer expected; loan continues."
    _log(session, alarm, today, "review", details, by_whom=by_whom, loan=loan)
    _flush(session, "loan review extended")
    return loan


def mark_awaiting_return(
    session: Session,
    *,
    alarm_id: str,
    on: date | None = None,
    reason: str = "",
    by_whom: str = "",
    today: date | None = None,
) -> Loan:
    """The loan is ending: the alarm is due back from the person or the agency."""
    today = today or date.today()
    on = on or today
    alarm = get_alarm(session, alarm_id)
    loan = _loan_for(session, alarm)
    _require_transition(alarm, "awaiting return")
    if reason and reason not in END_REASONS:
        raise ValidationError(f"'{reason}' is not a reason for ending a loan.", field="end_reason")
    _check_not_future(on, today, "date", "The date")
    if on < loan.issued_date:
        raise ValidationError("The date cannot be before the alarm was issued.", field="date")
    alarm.status = "awaiting return"
    if reason:
        loan.end_reason = reason
    _log(
        session,
        alarm,
        on,
        "status change",
        "Loan ending: alarm awaiting return.",
        by_whom=by_whom,
        loan=loan,
    )
    _flush(session, "alarm awaiting return")
    return loan


def return_alarm(
    session: Session,
    *,
    alarm_id: str,
    returned_date: date,
    condition: str = "good",
    reason: str = "no longer needed",
    by_whom: str = "",
    notes: str = "",
    storage_location: str | None = None,
    today: date | None = None,
) -> Loan:
    """The alarm is back: end the loan; good -> available, damaged or faulty -> faulty."""
    today = today or date.today()
    alarm = get_alarm(session, alarm_id)
    loan = _loan_for(session, alarm)
    if returned_date is None:
        raise ValidationError("Enter the date the alarm came back.", field="returned_date")
    if returned_date < loan.issued_date:
        raise ValidationError(
            f"The return date cannot be before the issue date ({format_date(loan.issued_date)}).",
            field="returned_date",
        )
    _check_not_future(returned_date, today, "returned_date", "The return date")
    if condition not in RETURN_CONDITIONS or condition == "not returned":
        raise ValidationError(
            "Choose the condition the alarm came back in: good, damaged or faulty.",
            field="condition",
        )
    if reason not in END_REASONS:
        raise ValidationError(f"'{reason}' is not a reason for ending a loan.", field="end_reason")
    new_status = "available" if condition == "good" else "faulty"
    _require_transition(alarm, new_status)
    loan.returned_date = returned_date
    loan.ended_date = returned_date
    loan.return_condition = condition
    loan.end_reason = reason
    if notes.strip():
        loan.notes = (loan.notes + "\n" if loan.notes else "") + notes.strip()
    alarm.status = new_status
    if storage_location is not None:
        alarm.storage_location = _text(
            storage_location, 200, "storage_location", "Storage location"
        )
    text = f"Returned in {condition} condition ({reason})."
    if new_status == "faulty":
        text += " Marked faulty."
    _log(session, alarm, returned_date, "status change", text, by_whom=by_whom, loan=loan)
    _flush(session, "alarm returned")
    return loan


def mark_lost(
    session: Session,
    *,
    alarm_id: str,
    on: date | None = None,
    by_whom: str = "",
    details: str = "",
    today: date | None = None,
) -> Alarm:
    """The alarm is lost (with a person or from the store); an open loan ends with it."""
    today = today or date.today()
    on = on or today
    alarm = get_alarm(session, alarm_id)
    _require_transition(alarm, "lost")
    _check_not_future(on, today, "date", "The date")
    loan = open_loan(session, alarm.id)
    if loan is not None:
        if on < loan.issued_date:
            raise ValidationError("The date cannot be before the alarm was issued.", field="date")
        loan.ended_date = on
        loan.return_condition = "not returned"
        loan.end_reason = "device lost"
    alarm.status = "lost"
    text = "Reported lost." + (f" {details.strip()}" if details.strip() else "")
    _log(session, alarm, on, "status change", text, by_whom=by_whom, loan=loan)
    _flush(session, "alarm lost")
    return alarm


def _simple_status(
    session: Session,
    alarm_id: str,
    new_status: str,
    on: date | None,
    text: str,
    *,
    by_whom: str,
    details: str,
    today: date | None,
    kind: str = "status change",
    cost_pence: int | None = None,
) -> Alarm:
    today = today or date.today()
    on = on or today
    alarm = get_alarm(session, alarm_id)
    if alarm.status in ON_LOAN_STATUSES and new_status != alarm.status:
        raise ValidationError(
            f"Alarm {alarm.asset_tag} is on loan; record its return first.", field="status"
        )
    _require_transition(alarm, new_status)
    _check_not_future(on, today, "date", "The date")
    if cost_pence is not None and cost_pence < 0:
        raise ValidationError("A cost cannot be negative.", field="cost")
    alarm.status = new_status
    _log(
        session,
        alarm,
        on,
        kind,
        text + (f" {details.strip()}" if details.strip() else ""),
        by_whom=by_whom,
        cost_pence=cost_pence,
    )
    _flush(session, f"alarm {new_status}")
    return alarm


def mark_faulty(
    session: Session,
    *,
    alarm_id: str,
    on: date | None = None,
    by_whom: str = "",
    details: str = "",
    today: date | None = None,
) -> Alarm:
    """Take a device that is not on loan out of service as faulty."""
    return _simple_status(
        session,
        alarm_id,
        "faulty",
        on,
        "Marked faulty.",
        by_whom=by_whom,
        details=details,
        today=today,
    )


def send_to_repair(
    session: Session,
    *,
    alarm_id: str,
    on: date | None = None,
    by_whom: str = "",
    details: str = "",
    cost_pence: int | None = None,
    today: date | None = None,
) -> Alarm:
    return _simple_status(
        session,
        alarm_id,
        "in repair",
        on,
        "Sent for repair.",
        by_whom=by_whom,
        details=details,
        today=today,
        kind="repair",
        cost_pence=cost_pence,
    )


def back_in_service(
    session: Session,
    *,
    alarm_id: str,
    on: date | None = None,
    by_whom: str = "",
    details: str = "",
    cost_pence: int | None = None,
    today: date | None = None,
) -> Alarm:
    """Back from repair (or cleared of a fault): available again."""
    alarm = get_alarm(session, alarm_id)
    if alarm.status not in ("in repair", "faulty"):
        raise ValidationError(
            f"Alarm {alarm.asset_tag} is {alarm.status}; only a faulty alarm or one in "
            "repair can be put back into service.",
            field="status",
        )
    kind = "repair" if alarm.status == "in repair" else "status change"
    text = "Repaired; back in service." if kind == "repair" else "Back in service."
    return _simple_status(
        session,
        alarm_id,
        "available",
        on,
        text,
        by_whom=by_whom,
        details=details,
        today=today,
        kind=kind,
        cost_pence=cost_pence,
    )


def mark_found(
    session: Session,
    *,
    alarm_id: str,
    on: date | None = None,
    by_whom: str = "",
    details: str = "",
    today: date | None = None,
) -> Alarm:
    alarm = get_alarm(session, alarm_id)
    if alarm.status != "lost":
        raise ValidationError(f"Alarm {alarm.asset_tag} is not lost.", field="status")
    return _simple_status(
        session,
        alarm_id,
        "available",
        on,
        "Found; back in stock.",
        by_whom=by_whom,
        details=details,
        today=today,
    )


def retire_alarm(
    session: Session,
    *,
    alarm_id: str,
    on: date | None = None,
    by_whom: str = "",
    details: str = "",
    today: date | None = None,
) -> Alarm:
    """Take a device out of the stock for good."""
    return _simple_status(
        session, alarm_id, "retired", on, "Retired.", by_whom=by_whom, details=details, today=today
    )


#: Status changes offered by the screens: key -> (label, status it leads to).
STATUS_ACTIONS: dict[str, tuple[str, str]] = {
    "mark_awaiting_return": ("Loan ending: awaiting return", "awaiting return"),
    "mark_faulty": ("Mark faulty", "faulty"),
    "send_to_repair": ("Send for repair", "in repair"),
    "back_in_service": ("Back in service", "available"),
    "mark_found": ("Found: back in stock", "available"),
    "mark_lost": ("Mark lost", "lost"),
    "retire_alarm": ("Retire", "retired"),
}
_ACTION_FROM: dict[str, tuple[str, ...]] = {
    "mark_awaiting_return": ("issued",),
    "mark_faulty": ("available", "in repair"),
    "send_to_repair": ("available", "faulty"),
    "back_in_service": ("in repair", "faulty"),
    "mark_found": ("lost",),
    "mark_lost": ("available", "issued", "awaiting return", "in repair", "faulty"),
    "retire_alarm": ("available", "in repair", "faulty", "lost"),
}


def status_actions(status: str) -> list[tuple[str, str]]:
    """``(key, label)`` of the status changes allowed from ``status``, for a chooser."""
    return [
        (key, label) for key, (label, _) in STATUS_ACTIONS.items() if status in _ACTION_FROM[key]
    ]


def apply_status_action(
    session: Session,
    action: str,
    *,
    alarm_id: str,
    on: date | None = None,
    by_whom: str = "",
    details: str = "",
    cost_pence: int | None = None,
    today: date | None = None,
) -> Alarm:
    """Run the status change ``action`` (a key of :data:`STATUS_ACTIONS`)."""
    if action not in STATUS_ACTIONS:
        raise ValidationError("Choose what has happened to the alarm.", field="action")
    alarm = get_alarm(session, alarm_id)
    if alarm.status not in _ACTION_FROM[action]:
        raise ValidationError(
            f"Alarm {alarm.asset_tag} is {alarm.status}; "
            f"'{STATUS_ACTIONS[action][0]}' is not possible from there.",
            field="action",
        )
    if cost_pence is not None and action not in ("send_to_repair", "back_in_service"):
        raise ValidationError("A cost can only be recorded for a repair.", field="cost")
    if action == "mark_awaiting_return":
        mark_awaiting_return(session, alarm_id=alarm_id, on=on, by_whom=by_whom, today=today)
        return alarm
    if action == "mark_lost":
        return mark_lost(
            session, alarm_id=alarm_id, on=on, by_whom=by_whom, details=details, today=today
        )
    fn = {
        "mark_faulty": mark_faulty,
        "send_to_repair": send_to_repair,
        "back_in_service": back_in_service,
        "mark_found": mark_found,
        "retire_alarm": retire_alarm,
    }[action]
    kwargs: dict = {
        "alarm_id": alarm_id,
        "on": on,
        "by_whom": by_whom,
        "details": details,
        "today": today,
    }
    if action in ("send_to_repair", "back_in_service"):
        kwargs["cost_pence"] = cost_pence
    return fn(session, **kwargs)


def parse_pounds(text: str, field_name: str = "cost") -> int | None:
    """ "24.50", "£1,200" -> pence; "" -> None.  Money is kept as integer pence."""
    raw = (text or "").strip().replace("£", "").replace(",", "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d{1,7}(\.\d{1,2})?", raw):
        raise ValidationError(
            f"'{text.strip()}' is not an amount of money; enter it as, for example, 24.50.",
            field=field_name,
        )
    pounds, _, pence = raw.partition(".")
    return int(pounds) * 100 + int((pence + "00")[:2])


# --------------------------------------------------------------------------- device log
def add_log_entry(
    session: Session,
    *,
    alarm_id: str,
    kind: str,
    entry_date: date,
    result: str = "",
    by_whom: str = "",
    details: str = "",
    cost_pence: int | None = None,
    new_sim_number: str = "",
    today: date | None = None,
) -> DeviceLogEntry:
    """Record a test, battery change, SIM change or repair note.

    A failed test of an available alarm marks it faulty; a SIM change sets the alarm's SIM
    number to ``new_sim_number``.
    """
    today = today or date.today()
    alarm = get_alarm(session, alarm_id)
    if kind not in ("test", "battery change", "SIM change", "repair"):
        raise ValidationError(
            "Choose what was done: test, battery change, SIM change or repair.", field="kind"
        )
    if entry_date is None:
        raise ValidationError("Enter the date.", field="entry_date")
    _check_not_future(entry_date, today, "entry_date", "The date")
    if alarm.status == "retired":
        raise ValidationError(
            f"Alarm {alarm.asset_tag} is retired; nothing more can be logged for it.",
            field="alarm",
        )
    if cost_pence is not None and cost_pence < 0:
        raise ValidationError("A cost cannot be negative.", field="cost")
    result = (result or "").strip().lower()
    if kind == "test":
        if result not in TEST_RESULTS:
            raise ValidationError("Record whether the test passed or failed.", field="result")
    elif result:
        raise ValidationError("Only a test has a pass or fail result.", field="result")
    loan = open_loan(session, alarm.id) if alarm.status in ON_LOAN_STATUSES else None
    text = (details or "").strip()
    if kind == "SIM change":
        alarm_type = get_alarm_type(session, alarm.type_id)
        sim = _clean_sim(new_sim_number, alarm_type)
        if not sim:
            raise ValidationError("Enter the new SIM's phone number.", field="sim_number")
        old = alarm.sim_number
        alarm.sim_number = sim
        text = (f"SIM changed from {old or 'none'} to {sim}. " + text).strip()
    entry = _log(
        session,
        alarm,
        entry_date,
        kind,
        text,
        by_whom=_text(by_whom, 200, "by_whom", "By whom"),
        result=result,
        loan=loan,
        cost_pence=cost_pence,
    )
    if kind == "test" and result == "fail" and alarm.status == "available":
        alarm.status = "faulty"
        _log(
            session,
            alarm,
            entry_date,
            "status change",
            "Failed a test: marked faulty.",
            by_whom=by_whom,
        )
    _flush(session, f"alarm {kind} logged")
    return entry


# --------------------------------------------------------------------------- queries
def _log_dates_subquery():  # noqa: ANN202
    """Per alarm: the last passed test and the last battery change (one grouped scan)."""
    return (
        select(
            DeviceLogEntry.alarm_id.label("alarm_id"),
            func.max(
                case(
                    (
                        and_(DeviceLogEntry.kind == "test", DeviceLogEntry.result == "pass"),
                        DeviceLogEntry.entry_date,
                    )
                )
            ).label("last_test"),
            func.max(
                case((DeviceLogEntry.kind == "battery change", DeviceLogEntry.entry_date))
            ).label("last_battery"),
        )
        .where(_live(DeviceLogEntry), DeviceLogEntry.kind.in_(("test", "battery change")))
        .group_by(DeviceLogEntry.alarm_id)
        .subquery("logdates")
    )


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value)[:10])


def stock_counts(session: Session) -> StockCounts:
    rows = session.execute(
        select(Alarm.status, func.count()).where(_live(Alarm)).group_by(Alarm.status)
    ).all()
    by_status = {status: 0 for status in ALARM_STATUSES}
    for status, n in rows:
        by_status[status] = by_status.get(status, 0) + n
    return StockCounts(
        available=by_status["available"],
        issued=sum(by_status[s] for s in ON_LOAN_STATUSES),
        out_of_service=sum(by_status[s] for s in OUT_OF_SERVICE_STATUSES),
        retired=by_status["retired"],
        by_status=by_status,
    )


_STATUS_FILTERS = {
    "available": ("available",),
    "on loan": ON_LOAN_STATUSES,
    "out of service": OUT_OF_SERVICE_STATUSES,
    "retired": ("retired",),
    "in stock": ("available", *ON_LOAN_STATUSES, *OUT_OF_SERVICE_STATUSES),
}


def inventory(
    session: Session,
    *,
    statuses: Iterable[str] | str | None = None,
    search: str = "",
    type_id: str | None = None,
) -> list[InventoryRow]:
    """The stock, one row per alarm, with its open loan, last test and due dates.

    ``statuses``: status names, or a group ("available", "on loan", "out of service",
    "retired", "in stock"); None = every status.  ``search`` matches asset tag or serial
    number (case-insensitive, anywhere in the text).
    """
    logdates = _log_dates_subquery()
    owner = aliased(Agency)
    loan_agency = aliased(Agency)
    stmt = (
        select(
            Alarm.id,
            Alarm.asset_tag,
            Alarm.serial_number,
            AlarmType.name,
            Alarm.sim_number,
            Alarm.status,
            owner.name,
            Alarm.storage_location,
            Alarm.purchase_date,
            Alarm.warranty_end,
            Alarm.created_at,
            Alarm.notes,
            AlarmType.test_interval_days,
            AlarmType.battery_life_months,
            Loan.id,
            loan_agency.name,
            loan_agency.short_name,
            Loan.case_reference,
            Loan.issued_date,
            Loan.review_date,
            logdates.c.last_test,
            logdates.c.last_battery,
        )
        .join(AlarmType, AlarmType.id == Alarm.type_id)
        .outerjoin(owner, owner.id == Alarm.owner_agency_id)
        .outerjoin(Loan, and_(Loan.alarm_id == Alarm.id, Loan.ended_date.is_(None), _live(Loan)))
        .outerjoin(loan_agency, loan_agency.id == Loan.agency_id)
        .outerjoin(logdates, logdates.c.alarm_id == Alarm.id)
        .where(_live(Alarm))
        .order_by(Alarm.asset_tag, Loan.issued_date.desc())
    )
    if statuses is not None:
        wanted: set[str] = set()
        for s in [statuses] if isinstance(statuses, str) else statuses:
            wanted.update(_STATUS_FILTERS.get(s, (s,)))
        stmt = stmt.where(Alarm.status.in_(sorted(wanted)))
    if type_id:
        stmt = stmt.where(Alarm.type_id == type_id)
    needle = (search or "").strip().lower()
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        stmt = stmt.where(
            or_(
                func.lower(Alarm.asset_tag).like(like, escape="\\"),
                func.lower(Alarm.serial_number).like(like, escape="\\"),
            )
        )
    out: list[InventoryRow] = []
    seen: set[str] = set()
    for row in session.execute(stmt):
        (
            aid,
            tag,
            serial,
            type_name,
            sim,
            status,
            owner_name,
            location,
            bought,
            warranty,
            created,
            notes,
            interval,
            battery_months,
            loan_id,
            loan_name,
            loan_short,
            ref,
            issued,
            review,
            last_test,
            last_battery,
        ) = row
        if aid in seen:  # two open loans after a merge: show the alarm once (newest loan)
            continue
        seen.add(aid)
        last_test = _as_date(last_test)
        last_battery = _as_date(last_battery)
        in_service = status in IN_SERVICE_STATUSES
        fallback = bought or uk_date(created)
        out.append(
            InventoryRow(
                alarm_id=aid,
                asset_tag=tag,
                serial_number=serial,
                type_name=type_name,
                sim_number=sim,
                status=status,
                owner_agency=owner_name or "",
                storage_location=location,
                purchase_date=bought,
                warranty_end=warranty,
                last_test=last_test,
                next_test_due=_next_test(last_test, fallback, interval) if in_service else None,
                battery_due=_battery_due(last_battery, fallback, battery_months)
                if in_service
                else None,
                loan_id=loan_id,
                loan_agency=(loan_short or loan_name or "") if loan_id else "",
                case_reference=ref or "",
                issued_date=issued,
                review_date=review,
                notes=notes,
                loan_agency_name=(loan_name or "") if loan_id else "",
            )
        )
    return out


def free_alarms(session: Session) -> list[tuple[str, str]]:
    """``(alarm id, "WK-012 – Pendant")`` for every available alarm, by asset tag."""
    rows = session.execute(
        select(Alarm.id, Alarm.asset_tag, AlarmType.name)
        .join(AlarmType, AlarmType.id == Alarm.type_id)
        .where(_live(Alarm), Alarm.status == "available")
        .order_by(Alarm.asset_tag)
    ).all()
    return [(i, f"{tag} \u2013 {name}") for i, tag, name in rows]


def _loan_rows(session: Session, today: date, *where) -> list[LoanRow]:  # noqa: ANN002
    stmt = (
        select(
            Loan.id,
            Loan.alarm_id,
            Alarm.asset_tag,
            AlarmType.name,
            Alarm.status,
            Agency.name,
            Agency.short_name,
            Loan.officer,
            Loan.case_reference,
            Loan.marac,
            Loan.police_marker,
            Loan.issued_date,
            Loan.installed_date,
            Loan.review_date,
        )
        .join(Alarm, Alarm.id == Loan.alarm_id)
        .join(AlarmType, AlarmType.id == Alarm.type_id)
        .outerjoin(Agency, Agency.id == Loan.agency_id)
        .where(_live(Loan), _live(Alarm), Loan.ended_date.is_(None), *where)
        .order_by(Loan.review_date, Alarm.asset_tag)
    )
    return [
        LoanRow(
            loan_id=lid,
            alarm_id=aid,
            asset_tag=tag,
            type_name=type_name,
            status=status,
            agency=short or agency or "",
            officer=officer,
            case_reference=ref,
            marac=bool(marac),
            police_marker=bool(marker),
            issued_date=issued,
            installed_date=installed,
            review_date=review,
            days_past_review=max(0, (today - review).days),
        )
        for (
            lid,
            aid,
            tag,
            type_name,
            status,
            agency,
            short,
            officer,
            ref,
            marac,
            marker,
            issued,
            installed,
            review,
        ) in session.execute(stmt)
    ]


def open_loans(session: Session, today: date) -> list[LoanRow]:
    """Every loan not yet ended, soonest review first."""
    return _loan_rows(session, today)


def loans_past_review(session: Session, today: date, within_days: int = 0) -> list[LoanRow]:
    """Open loans whose review date is before ``today`` (or within ``within_days`` of it)."""
    limit = today + timedelta(days=within_days) if within_days > 0 else today - timedelta(days=1)
    return _loan_rows(session, today, Loan.review_date <= limit)


def _service_rows(session: Session, extra_cols, *where):  # noqa: ANN001, ANN002, ANN202
    logdates = _log_dates_subquery()
    stmt = (
        select(
            Alarm.id,
            Alarm.asset_tag,
            Alarm.status,
            Alarm.purchase_date,
            Alarm.created_at,
            AlarmType.name,
            *extra_cols,
            logdates.c.last_test,
            logdates.c.last_battery,
        )
        .join(AlarmType, AlarmType.id == Alarm.type_id)
        .outerjoin(logdates, logdates.c.alarm_id == Alarm.id)
        .where(_live(Alarm), Alarm.status.in_(IN_SERVICE_STATUSES), *where)
    )
    return session.execute(stmt).all()


def tests_due(session: Session, today: date, within_days: int = 0) -> list[DueTest]:
    """Devices in service whose next test (last passed test + interval) is due by then.

    A device never tested counts from its purchase date (or the day it was added).
    """
    limit = today + timedelta(days=max(0, within_days))
    out = []
    for aid, tag, status, bought, created, type_name, interval, last_test, _ in _service_rows(
        session, [AlarmType.test_interval_days], AlarmType.test_interval_days > 0
    ):
        last_test = _as_date(last_test)
        due = _next_test(last_test, bought or uk_date(created), interval)
        if due is not None and due <= limit:
            out.append(
                DueTest(aid, tag, type_name, status, last_test, due, max(0, (today - due).days))
            )
    out.sort(key=lambda r: (r.due, r.asset_tag))
    return out


def batteries_due(session: Session, today: date, within_days: int = 0) -> list[DueBattery]:
    """Devices in service whose battery (last change, or purchase, + battery life) is due."""
    limit = today + timedelta(days=max(0, within_days))
    out = []
    for aid, tag, status, bought, created, type_name, months, _, last in _service_rows(
        session, [AlarmType.battery_life_months], AlarmType.battery_life_months > 0
    ):
        last = _as_date(last)
        due = _battery_due(last, bought or uk_date(created), months)
        if due is not None and due <= limit:
            out.append(
                DueBattery(aid, tag, type_name, status, last, due, max(0, (today - due).days))
            )
    out.sort(key=lambda r: (r.due, r.asset_tag))
    return out


def warranties_ending(session: Session, today: date, within_days: int = 60) -> list[WarrantyRow]:
    """Alarms still in stock whose warranty ends between today and ``within_days`` ahead."""
    rows = session.execute(
        select(Alarm.id, Alarm.asset_tag, AlarmType.name, Alarm.status, Alarm.warranty_end)
        .join(AlarmType, AlarmType.id == Alarm.type_id)
        .where(
            _live(Alarm),
            Alarm.status.notin_(("retired", "lost")),
            Alarm.warranty_end.is_not(None),
            Alarm.warranty_end >= today,
            Alarm.warranty_end <= today + timedelta(days=max(0, within_days)),
        )
        .order_by(Alarm.warranty_end, Alarm.asset_tag)
    ).all()
    return [WarrantyRow(i, tag, t, s, end, (end - today).days) for i, tag, t, s, end in rows]


def device_history(session: Session, alarm_id: str) -> DeviceHistory:
    """Everything that happened to one device, oldest first (three queries)."""
    alarm = get_alarm(session, alarm_id)
    loans = list(
        session.scalars(
            select(Loan).where(Loan.alarm_id == alarm.id, _live(Loan)).order_by(Loan.issued_date)
        )
    )
    log = list(
        session.scalars(
            select(DeviceLogEntry)
            .where(DeviceLogEntry.alarm_id == alarm.id, _live(DeviceLogEntry))
            .order_by(DeviceLogEntry.entry_date, DeviceLogEntry.created_at)
        )
    )
    events: list[HistoryEvent] = []
    if alarm.purchase_date:
        events.append(HistoryEvent(alarm.purchase_date, "purchased", "Bought."))
    for loan in loans:
        agency = loan.agency.name if loan.agency is not None else "no agency recorded"
        text = f"Issued to {agency}"
        if loan.officer:
            text += f" (officer {loan.officer})"
        text += f"; review {format_date(loan.review_date)}."
        if loan.marac:
            text += " MARAC case."
        events.append(HistoryEvent(loan.issued_date, "issued", text, loan.case_reference))
        if loan.installed_date:
            events.append(
                HistoryEvent(
                    loan.installed_date,
                    "installed",
                    "Installed / handed over.",
                    loan.case_reference,
                )
            )
    refs = {loan.id: loan.case_reference for loan in loans}
    for entry in log:
        text = entry.details or entry.kind.capitalize()
        if entry.kind == "test":
            outcome = {"pass": "passed", "fail": "failed"}.get(entry.result, entry.result)
            text = f"Test {outcome}." + (f" {entry.details}" if entry.details else "")
        if entry.cost_pence:
            text += f" Cost £{entry.cost_pence / 100:,.2f}."
        events.append(
            HistoryEvent(
                entry.entry_date,
                entry.kind,
                text,
                refs.get(entry.loan_id or "", ""),
                entry.by_whom,
                entry.result,
            )
        )
    # Same day: purchase, then issue and installation, then the log in the order written.
    order = {"purchased": 0, "issued": 1, "installed": 2}
    events.sort(key=lambda e: (e.on, order.get(e.kind, 5)))
    fallback = alarm.purchase_date or uk_date(alarm.created_at)
    last_test = max(
        (e.entry_date for e in log if e.kind == "test" and e.result == "pass"), default=None
    )
    last_battery = max((e.entry_date for e in log if e.kind == "battery change"), default=None)
    in_service = alarm.status in IN_SERVICE_STATUSES
    return DeviceHistory(
        alarm=alarm,
        loans=loans,
        log=log,
        events=events,
        next_test_due=_next_test(last_test, fallback, alarm.alarm_type.test_interval_days)
        if in_service
        else None,
        battery_due=_battery_due(last_battery, fallback, alarm.alarm_type.battery_life_months)
        if in_service
        else None,
    )


def activity_by_agency(session: Session, date_from: date, date_to: date) -> list[ActivityRow]:
    """Per requesting agency: loans issued and ended in the period, MARAC loans issued,
    average length of the loans that ended, loans still open at the end.  One query."""
    if date_to < date_from:
        raise ValidationError("The period must end after it starts.", field="date_to")
    issued_in = and_(Loan.issued_date >= date_from, Loan.issued_date <= date_to)
    ended_in = and_(Loan.ended_date >= date_from, Loan.ended_date <= date_to)
    returned_in = and_(ended_in, Loan.returned_date.is_not(None))
    open_at_end = and_(
        Loan.issued_date <= date_to, or_(Loan.ended_date.is_(None), Loan.ended_date > date_to)
    )
    length = func.julianday(Loan.ended_date) - func.julianday(Loan.issued_date)
    name = func.coalesce(Agency.name, "(no agency recorded)")
    stmt = (
        select(
            name,
            func.sum(case((issued_in, 1), else_=0)),
            func.sum(case((returned_in, 1), else_=0)),
            func.sum(case((and_(ended_in, Loan.returned_date.is_(None)), 1), else_=0)),
            func.sum(case((and_(issued_in, Loan.marac.is_(True)), 1), else_=0)),
            func.avg(case((ended_in, length))),
            func.sum(case((open_at_end, 1), else_=0)),
        )
        .select_from(Loan)
        .outerjoin(Agency, Agency.id == Loan.agency_id)
        .where(_live(Loan), or_(issued_in, ended_in, open_at_end))
        .group_by(name)
        .order_by(name)
    )
    return [
        ActivityRow(
            agency,
            int(i or 0),
            int(r or 0),
            int(lost or 0),
            int(m or 0),
            round(float(avg), 1) if avg is not None else None,
            int(o or 0),
        )
        for agency, i, r, lost, m, avg, o in session.execute(stmt)
    ]


# --------------------------------------------------------------------------- dashboard
def dashboard_tiles(session: Session, today: date) -> list:
    from dvcoord.services.dashboard import Tile

    counts = stock_counts(session)
    if counts.in_stock == 0 and counts.retired == 0:
        return []
    threshold = low_stock_threshold(session)
    warning = low_stock_warning(counts, threshold)
    tiles = [
        Tile(
            key="alarms.available",
            area="Panic alarms",
            title="Alarms available",
            value=str(counts.available),
            detail=warning or f"{counts.issued} on loan, {counts.out_of_service} out of service",
            severity="warning" if warning else "ok",
            view="alarms",
            order=50,
        )
    ]
    overdue = loans_past_review(session, today)
    tiles.append(
        Tile(
            key="alarms.loans_past_review",
            area="Panic alarms",
            title="Alarm loans past review",
            value=str(len(overdue)),
            detail="Open loans whose review date has passed" if overdue else "None overdue",
            severity="alert" if overdue else "ok",
            view="alarms",
            order=51,
            lines=tuple(
                f"{r.asset_tag} \u2013 {r.agency or 'no agency'}, review "
                f"{format_date(r.review_date)}"
                for r in sorted(overdue, key=lambda r: -r.days_past_review)[:5]
            ),
        )
    )
    tests = tests_due(session, today)
    tiles.append(
        Tile(
            key="alarms.tests_due",
            area="Panic alarms",
            title="Alarms due a test",
            value=str(len(tests)),
            detail="Devices in service past their test date" if tests else "All tested",
            severity="warning" if tests else "ok",
            view="alarms",
            order=52,
            lines=tuple(f"{r.asset_tag} \u2013 due {format_date(r.due)}" for r in tests[:5]),
        )
    )
    batteries = batteries_due(session, today)
    warranties = warranties_ending(session, today)
    tiles.append(
        Tile(
            key="alarms.batteries_due",
            area="Panic alarms",
            title="Alarm batteries due",
            value=str(len(batteries)),
            detail=f"{len(warranties)} warrant{'y' if len(warranties) == 1 else 'ies'} "
            "ending within 60 days",
            severity="warning" if batteries else "ok",
            view="alarms",
            order=53,
            lines=tuple(f"{r.asset_tag} \u2013 due {format_date(r.due)}" for r in batteries[:5]),
        )
    )
    return tiles
