"""Panic-alarm stock in and out of spreadsheets.

Export: :func:`export_inventory` writes the inventory (and the alarm types) to .xlsx;
case references are left out unless asked for.

Import, in three steps so a screen can show a preview before anything is written:

1. :func:`read_inventory` reads a .xlsx or .csv file, finds the header row and guesses
   which column holds which field (:data:`FIELDS`); the caller may change the guess with
   ``sheet.mapping.assign(field, column)``.
2. :func:`plan_import` checks every row against the rules and the database: each row
   becomes "add", "skip" (asset tag already in the database) or "error" (with reasons),
   and lists the alarm types and agencies that would be created.
3. :func:`apply_import` writes the plan in the caller's transaction.  A plan with errors
   is refused unless ``skip_errors`` is set.

:func:`import_inventory_file` runs all three for the command line, taking a backup of
the database first.  Cell contents are never logged.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.importers.tabular import (
    HeaderMapping,
    SheetSpec,
    Table,
    cell_text,
    match_headers,
    read_tables,
    write_xlsx,
)
from dvcoord.services import alarms as svc
from dvcoord.services.common import case_reference_warnings
from dvcoord.services.dates import parse_uk_date
from dvcoord.store.schema.alarms import Alarm, DeviceLogEntry, Loan
from dvcoord.store.schema.plans import Agency

log = logging.getLogger(__name__)

__all__ = [
    "FIELDS",
    "ImportPlan",
    "ImportSummary",
    "InventorySheet",
    "PlannedRow",
    "apply_import",
    "export_inventory",
    "import_inventory_file",
    "plan_import",
    "read_inventory",
]

#: field -> (label shown to the user, header names it goes by, best first).
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "asset_tag": (
        "Asset tag",
        (
            "asset tag",
            "asset number",
            "asset no",
            "asset id",
            "alarm id",
            "alarm number",
            "device id",
            "tag",
        ),
    ),
    "serial_number": ("Serial number", ("serial number", "serial no", "serial", "s/n", "imei")),
    "type": ("Type", ("type", "alarm type", "device type", "model", "device")),
    "sim_number": (
        "SIM number",
        ("sim number", "sim", "sim no", "phone number", "mobile number", "telephone"),
    ),
    "status": ("Status", ("status", "current status", "state")),
    "purchase_date": (
        "Purchase date",
        ("purchase date", "date purchased", "purchased", "date bought", "bought", "acquired"),
    ),
    "warranty_end": (
        "Warranty end",
        ("warranty end", "warranty expiry", "warranty expires", "warranty until", "warranty"),
    ),
    "owner_agency": (
        "Owner agency",
        ("owner agency", "owning agency", "owned by", "owner", "budget holder"),
    ),
    "storage_location": (
        "Storage location",
        ("storage location", "location", "stored at", "kept at", "store"),
    ),
    "notes": ("Notes", ("notes", "comments", "remarks")),
    "last_test": (
        "Last test",
        ("last test", "last tested", "date last tested", "last test date", "test date"),
    ),
    "last_battery": (
        "Last battery change",
        ("last battery change", "battery changed", "battery replaced", "battery date"),
    ),
    "case_reference": (
        "Case reference",
        ("case reference", "case ref", "case number", "case id", "marac ref", "reference"),
    ),
    "loan_agency": (
        "Issued to",
        (
            "issued to",
            "on loan to",
            "requesting agency",
            "referring agency",
            "loan agency",
            "agency",
        ),
    ),
    "officer": ("Requesting officer", ("requesting officer", "officer", "key worker", "worker")),
    "issued_date": (
        "Issued",
        ("issued", "issued date", "issue date", "date issued", "loan date", "date out"),
    ),
    "review_date": ("Review date", ("review date", "review due", "review", "next review")),
    "marac": ("MARAC case", ("marac case", "marac")),
}

#: Columns of the optional "Alarm types" sheet (as :func:`export_inventory` writes it).
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("type", "alarm type", "name"),
    "supplier": ("supplier",),
    "monitoring_centre": ("monitoring centre", "monitoring center", "monitoring"),
    "test_interval_days": ("test interval days", "test interval", "test every days"),
    "battery_life_months": ("battery life months", "battery life", "battery months"),
    "has_sim": ("has sim", "sim card", "sim"),
}

#: Words in a spreadsheet's status column -> dvcoord's status.
STATUS_WORDS: dict[str, str] = {
    "available": "available",
    "in stock": "available",
    "free": "available",
    "spare": "available",
    "ready": "available",
    "issued": "issued",
    "on loan": "issued",
    "loaned": "issued",
    "out": "issued",
    "in use": "issued",
    "awaiting return": "awaiting return",
    "due back": "awaiting return",
    "to be returned": "awaiting return",
    "in repair": "in repair",
    "repair": "in repair",
    "with supplier": "in repair",
    "faulty": "faulty",
    "broken": "faulty",
    "fault": "faulty",
    "lost": "lost",
    "missing": "lost",
    "stolen": "lost",
    "retired": "retired",
    "disposed": "retired",
    "written off": "retired",
    "decommissioned": "retired",
}
_YES = {"yes", "y", "true", "1", "x", "✓"}
_NO = {"no", "n", "false", "0", ""}
_MAX_HEADER_SCAN = 10


# --------------------------------------------------------------------------- export
EXPORT_HEADER = [
    "Asset tag",
    "Serial number",
    "Type",
    "SIM number",
    "Status",
    "Purchase date",
    "Warranty end",
    "Owner agency",
    "Storage location",
    "Last test",
    "Next test due",
    "Last battery change",
    "Battery due",
    "Issued to",
    "Issued",
    "Review date",
    "Notes",
]


def export_inventory(
    session: Session,
    path: Path | str,
    *,
    include_case_references: bool = False,
) -> int:
    """Write the whole stock (every status) and the alarm types to ``path`` (.xlsx).

    Returns the number of alarms written.  Case references are a column only when
    ``include_case_references`` is set (the file then needs OFFICIAL-SENSITIVE handling).
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise DvcoordError(f"'{path.name}' must be an .xlsx file name.")
    rows = svc.inventory(session)
    batteries = _last_battery_changes(session)
    header = list(EXPORT_HEADER)
    if include_case_references:
        header.insert(header.index("Issued to"), "Case reference")
    data = []
    for r in rows:
        values: list[Any] = [
            r.asset_tag,
            r.serial_number,
            r.type_name,
            r.sim_number,
            r.status,
            r.purchase_date,
            r.warranty_end,
            r.owner_agency,
            r.storage_location,
            r.last_test,
            r.next_test_due,
            batteries.get(r.alarm_id),
            r.battery_due,
            r.loan_agency_name,
            r.issued_date,
            r.review_date,
            r.notes,
        ]
        if include_case_references:
            values.insert(header.index("Case reference"), r.case_reference)
        data.append(values)
    types = [
        [
            t.name,
            t.supplier,
            t.monitoring_centre,
            t.test_interval_days,
            t.battery_life_months,
            "Yes" if t.has_sim else "No",
            t.notes,
        ]
        for t in svc.alarm_types(session)
    ]
    write_xlsx(
        path,
        [
            SheetSpec("Inventory", header, data),
            SheetSpec(
                "Alarm types",
                [
                    "Type",
                    "Supplier",
                    "Monitoring centre",
                    "Test interval (days)",
                    "Battery life (months)",
                    "Has SIM",
                    "Notes",
                ],
                types,
            ),
        ],
    )
    log.info("exported %d alarm(s) to %s", len(data), path.name)
    return len(data)


def _last_battery_changes(session: Session) -> dict[str, date]:
    rows = session.execute(
        select(DeviceLogEntry.alarm_id, func.max(DeviceLogEntry.entry_date))
        .where(DeviceLogEntry.kind == "battery change", DeviceLogEntry.deleted_at.is_(None))
        .group_by(DeviceLogEntry.alarm_id)
    ).all()
    return {aid: _as_date(d) for aid, d in rows}


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --------------------------------------------------------------------------- reading
@dataclass
class InventorySheet:
    """The table found in a file, its header row and the column guess."""

    path: Path
    table: Table
    header_row: int  # index into table.rows
    mapping: HeaderMapping
    notices: list[str] = field(default_factory=list)
    #: From an "Alarm types" sheet, if the file has one: type name (lower case) ->
    #: keyword arguments for :func:`dvcoord.services.alarms.create_alarm_type`.
    type_specs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def data_rows(self) -> range:
        return range(self.header_row + 1, len(self.table.rows))

    def describe_mapping(self) -> list[tuple[str, str]]:
        """``(column header, field label or "not imported")`` for a preview."""
        return [
            (header, FIELDS[name][0] if name else "not imported")
            for header, name in self.mapping.describe()
            if header
        ]


def read_inventory(path: Path | str) -> InventorySheet:
    """Read a stock spreadsheet and guess its columns (nothing is written)."""
    path = Path(path)
    found = read_tables(path)
    if found.kind == "docx":
        raise DvcoordError(
            f"'{path.name}' is a Word document; save the stock list as .xlsx or .csv and try again."
        )
    synonyms = {name: spec[1] for name, spec in FIELDS.items()}
    best: tuple[int, int, Table, HeaderMapping] | None = None
    for table in found.tables:
        for r in range(min(_MAX_HEADER_SCAN, len(table.rows))):
            mapping = match_headers(table.rows[r], synonyms)
            if "asset_tag" not in mapping:
                continue
            score = mapping.strength()
            if best is None or score > best[0]:
                best = (score, r, table, mapping)
    if best is None:
        raise DvcoordError(
            f"No column for the asset tag was found in '{path.name}'; give the column of "
            "asset tags the heading 'Asset tag' and try again."
        )
    _, header_row, table, mapping = best
    notices = [str(n) for n in found.notices]
    specs: dict[str, dict[str, Any]] = {}
    for other in found.tables:
        if other is not table and other.rows:
            specs.update(_type_specs(other, notices))
    return InventorySheet(path, table, header_row, mapping, notices, specs)


def _type_specs(table: Table, notices: list[str]) -> dict[str, dict[str, Any]]:
    """Alarm types described on a sheet with "Type" and "Test interval" columns."""
    m = match_headers(table.rows[0], TYPE_FIELDS, minimum=0.6)
    if "name" not in m or "test_interval_days" not in m:
        return {}
    specs: dict[str, dict[str, Any]] = {}
    for r in range(1, len(table.rows)):
        row = table.rows[r]
        name = " ".join(m.text(row, "name").split())
        if not name:
            continue
        try:
            spec = {
                "name": name,
                "supplier": m.text(row, "supplier"),
                "monitoring_centre": m.text(row, "monitoring_centre"),
                "test_interval_days": int(m.text(row, "test_interval_days") or 90),
                "battery_life_months": int(m.text(row, "battery_life_months"))
                if m.text(row, "battery_life_months")
                else None,
                "has_sim": _parse_bool(m.value(row, "has_sim"), "Has SIM"),
            }
        except ValueError:
            notices.append(f"{table.where(r)}: the alarm type could not be read; defaults used.")
            continue
        specs[name.lower()] = spec
    return specs


# --------------------------------------------------------------------------- planning
@dataclass
class PlannedRow:
    where: str
    asset_tag: str
    action: str  # "add", "skip" or "error"
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    new_types: list[str]
    new_agencies: list[str]
    mapping: list[tuple[str, str]]
    notices: list[str] = field(default_factory=list)
    #: new type (lower case) -> whether some row gives it a SIM number.
    new_type_sim: dict[str, bool] = field(default_factory=dict)
    #: new type (lower case) -> its details from the file's "Alarm types" sheet.
    type_specs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def to_add(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "add"]

    @property
    def errors(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "error"]

    @property
    def skipped(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "skip"]

    @property
    def loans(self) -> int:
        return sum(1 for r in self.to_add if r.values.get("case_reference"))


@dataclass(frozen=True)
class ImportSummary:
    added: int
    loans: int
    skipped: int
    errors: int
    new_types: tuple[str, ...]
    new_agencies: tuple[str, ...]


def _parse_date(value: Any, label: str, today: date) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = cell_text(value)
        if not text:
            return None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                found = date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{label} '{text}' is not a real date.") from None
        else:
            try:
                found = parse_uk_date(text)
            except ValueError as exc:
                raise ValueError(f"{label}: {exc}") from None
    return found


def _parse_bool(value: Any, label: str) -> bool:
    text = cell_text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"{label} should be Yes or No, not '{cell_text(value)}'.")


def _limited(
    m: HeaderMapping, row: list[Any], name: str, limit: int, label: str, errors: list[str]
) -> str:
    value = " ".join(m.text(row, name).split())
    if len(value) > limit:
        errors.append(f"{label} is longer than {limit} characters.")
        return value[:limit]
    return value


def plan_import(
    session: Session, sheet: InventorySheet, *, today: date | None = None
) -> ImportPlan:
    """Check every row of ``sheet`` against the rules and the database (nothing written)."""
    today = today or date.today()
    m = sheet.mapping
    if "asset_tag" not in m:
        raise ValidationError("Choose the column that holds the asset tags.", field="asset_tag")
    types = {t.name.lower(): t for t in svc.alarm_types(session)}
    agencies: dict[str, str] = {}
    for agency_id, name, short in session.execute(
        select(Agency.id, Agency.name, Agency.short_name).where(Agency.deleted_at.is_(None))
    ):
        agencies.setdefault(name.lower(), agency_id)
        if short:
            agencies.setdefault(short.lower(), agency_id)
    existing_tags: set[str] = set()
    existing_serials: set[str] = set()
    for tag, serial in session.execute(
        select(Alarm.asset_tag, Alarm.serial_number).where(Alarm.deleted_at.is_(None))
    ):
        existing_tags.add(tag.lower())
        if serial:
            existing_serials.add(serial.lower())

    new_types: dict[str, str] = {}
    new_type_sim: dict[str, bool] = {}
    new_agencies: dict[str, str] = {}
    seen_tags: dict[str, str] = {}
    seen_serials: dict[str, str] = {}
    planned: list[PlannedRow] = []
    table = sheet.table
    for r in sheet.data_rows:
        if table.is_blank_row(r):
            continue
        row = table.rows[r]
        where = table.where(r)
        errors: list[str] = []
        warnings: list[str] = []
        values: dict[str, Any] = {}

        def text(name: str, limit: int, label: str) -> str:
            return _limited(m, row, name, limit, label, errors)  # noqa: B023

        tag = text("asset_tag", 60, "The asset tag")
        if not tag:
            errors.append("The asset tag is empty.")
        values["asset_tag"] = tag
        values["serial_number"] = text("serial_number", 100, "The serial number")
        values["storage_location"] = text("storage_location", 200, "The storage location")
        values["notes"] = m.text(row, "notes")
        values["officer"] = text("officer", 200, "The officer's name")

        for name, label in (
            ("purchase_date", "Purchase date"),
            ("warranty_end", "Warranty end"),
            ("last_test", "Last test"),
            ("last_battery", "Last battery change"),
            ("issued_date", "Issue date"),
            ("review_date", "Review date"),
        ):
            try:
                values[name] = _parse_date(m.value(row, name), label, today)
            except ValueError as exc:
                errors.append(str(exc))
                values[name] = None
            if (
                values[name] is not None
                and values[name] > today
                and name != "review_date"
                and name != "warranty_end"
            ):
                errors.append(f"{label} {values[name]:%d/%m/%Y} is in the future.")
        if (
            values["purchase_date"]
            and values["warranty_end"]
            and values["warranty_end"] < values["purchase_date"]
        ):
            errors.append("The warranty ends before the purchase date.")
        try:
            values["marac"] = _parse_bool(m.value(row, "marac"), "MARAC case")
        except ValueError as exc:
            errors.append(str(exc))
            values["marac"] = False

        # type (an unknown one is created)
        type_name = text("type", 200, "The type")
        sim = text("sim_number", 40, "The SIM number")
        values["sim_number"] = sim
        if not type_name:
            errors.append("The alarm type is empty.")
        elif type_name.lower() in types:
            alarm_type = types[type_name.lower()]
            values["type_id"] = alarm_type.id
            if sim and not alarm_type.has_sim:
                errors.append(f"Alarms of type '{alarm_type.name}' have no SIM card.")
        else:
            new_types.setdefault(type_name.lower(), type_name)
            values["type_key"] = type_name.lower()
            if sim:
                new_type_sim[type_name.lower()] = True
        if sim and (
            not re.fullmatch(r"\+?[\d ]{10,16}", sim)
            or not 10 <= sum(ch.isdigit() for ch in sim) <= 13
        ):
            errors.append(f"The SIM number '{sim}' is not a phone number.")

        # agencies (unknown ones are created)
        for name, label in (("owner_agency", "owner agency"), ("loan_agency", "agency")):
            agency_name = text(name, 300, f"The {label}")
            values[name] = agency_name
            if agency_name and agency_name.lower() not in agencies:
                new_agencies.setdefault(agency_name.lower(), agency_name)

        # status and loan
        raw_status = m.text(row, "status").lower().strip()
        ref = text("case_reference", 60, "The case reference")
        values["case_reference"] = ref
        if raw_status:
            status = STATUS_WORDS.get(" ".join(raw_status.split()))
            if status is None:
                errors.append(
                    f"'{m.text(row, 'status')}' is not a status dvcoord knows; use one of: "
                    + ", ".join(svc.ALARM_STATUSES)
                    + "."
                )
                status = "available"
        else:
            status = "issued" if ref else "available"
        values["status"] = status
        if status in svc.ON_LOAN_STATUSES:
            missing = [
                label
                for key, label in (
                    ("case_reference", "case reference"),
                    ("loan_agency", "agency it is issued to"),
                    ("issued_date", "issue date"),
                )
                if not values.get(key)
            ]
            if missing:
                errors.append(f"An alarm that is {status} needs its {', '.join(missing)}.")
            issued = values.get("issued_date")
            review = values.get("review_date")
            if issued and not review:
                values["review_date"] = svc.default_review_date(issued)
            elif issued and review and review <= issued:
                errors.append("The review date must be after the issue date.")
            warnings.extend(w.message for w in case_reference_warnings(ref))
        elif ref or values.get("issued_date"):
            warnings.append(
                f"The alarm is {status}, so the case reference and issue date are not imported."
            )
            values["case_reference"] = ""

        # uniqueness (database first, then earlier rows of the file)
        action = "add"
        if tag:
            if tag.lower() in existing_tags:
                action = "skip"
            elif tag.lower() in seen_tags:
                errors.append(f"The asset tag '{tag}' is also on {seen_tags[tag.lower()]}.")
            else:
                seen_tags[tag.lower()] = where
        serial = values["serial_number"]
        if serial and action == "add":
            if serial.lower() in existing_serials:
                errors.append(f"Another alarm in the database has the serial number '{serial}'.")
            elif serial.lower() in seen_serials:
                errors.append(
                    f"The serial number '{serial}' is also on {seen_serials[serial.lower()]}."
                )
            else:
                seen_serials[serial.lower()] = where
        if errors:
            action = "error"
        planned.append(
            PlannedRow(
                where=where,
                asset_tag=tag,
                action=action,
                values=values,
                errors=errors,
                warnings=[] if action == "skip" else warnings,
            )
        )
        if action == "skip":
            planned[-1].errors = []
            planned[-1].warnings = ["Already in the database: left as it is."]
    plan = ImportPlan(
        rows=planned,
        new_types=sorted(new_types.values(), key=str.lower),
        new_agencies=sorted(new_agencies.values(), key=str.lower),
        mapping=sheet.describe_mapping(),
        notices=list(sheet.notices),
        new_type_sim=new_type_sim,
        type_specs={k: v for k, v in sheet.type_specs.items() if k in new_types},
    )
    return plan


# --------------------------------------------------------------------------- applying
def apply_import(
    session: Session, plan: ImportPlan, *, skip_errors: bool = False, today: date | None = None
) -> ImportSummary:
    """Write the rows planned as "add" (one transaction: the caller's)."""
    today = today or date.today()
    if plan.errors and not skip_errors:
        raise DvcoordError(
            f"{len(plan.errors)} row(s) have errors; correct them, or import only the rows "
            "without errors."
        )
    rows = plan.to_add
    used_types = {r.values["type_key"] for r in rows if "type_key" in r.values}
    sims = plan.new_type_sim
    type_ids: dict[str, str] = {}
    created_types = []
    for name in plan.new_types:
        key = name.lower()
        if key not in used_types:
            continue
        spec = dict(plan.type_specs.get(key) or {"name": name})
        spec["has_sim"] = spec.get("has_sim", False) or sims.get(key, False)
        try:
            created = svc.create_alarm_type(session, **spec)
        except ValidationError as exc:
            raise DvcoordError(f"The alarm type '{name}' cannot be added: {exc}") from None
        type_ids[key] = created.id
        created_types.append(name)
    agencies: dict[str, str] = {}
    for agency_id, name, short in session.execute(
        select(Agency.id, Agency.name, Agency.short_name).where(Agency.deleted_at.is_(None))
    ):
        agencies.setdefault(name.lower(), agency_id)
        if short:
            agencies.setdefault(short.lower(), agency_id)
    used_agencies = {
        r.values[k].lower()
        for r in rows
        for k in ("owner_agency", "loan_agency")
        if r.values.get(k) and (k == "owner_agency" or r.values.get("case_reference"))
    }
    created_agencies = []
    for name in plan.new_agencies:
        if name.lower() in used_agencies and name.lower() not in agencies:
            agency = Agency(name=name)
            session.add(agency)
            session.flush()
            agencies[name.lower()] = agency.id
            created_agencies.append(name)

    loans = 0
    for row in rows:
        v = row.values
        type_id = v.get("type_id") or type_ids[v["type_key"]]
        on_loan = v["status"] in svc.ON_LOAN_STATUSES
        try:
            alarm = svc.create_alarm(
                session,
                asset_tag=v["asset_tag"],
                type_id=type_id,
                serial_number=v["serial_number"],
                sim_number=v["sim_number"],
                purchase_date=v["purchase_date"],
                warranty_end=v["warranty_end"],
                owner_agency_id=agencies.get(v["owner_agency"].lower())
                if v["owner_agency"]
                else None,
                storage_location=v["storage_location"],
                status="available" if on_loan else v["status"],
                notes=v["notes"],
                today=today,
            )
        except ValidationError as exc:
            raise DvcoordError(f"{row.where}: {exc}") from None
        if v["last_test"]:
            session.add(
                DeviceLogEntry(
                    alarm_id=alarm.id,
                    entry_date=v["last_test"],
                    kind="test",
                    result="pass",
                    details="Recorded by import.",
                )
            )
        if v["last_battery"]:
            session.add(
                DeviceLogEntry(
                    alarm_id=alarm.id,
                    entry_date=v["last_battery"],
                    kind="battery change",
                    details="Recorded by import.",
                )
            )
        if on_loan:
            session.add(
                Loan(
                    alarm_id=alarm.id,
                    agency_id=agencies[v["loan_agency"].lower()],
                    officer=v["officer"],
                    case_reference=v["case_reference"],
                    marac=v["marac"],
                    issued_date=v["issued_date"],
                    review_date=v["review_date"],
                )
            )
            alarm.status = v["status"]
            loans += 1
    previous = session.info.get("audit_note", "")
    session.info["audit_note"] = "alarm stock imported"
    try:
        session.flush()
    finally:
        session.info["audit_note"] = previous
    log.info("imported %d alarm(s), %d loan(s)", len(rows), loans)
    return ImportSummary(
        added=len(rows),
        loans=loans,
        skipped=len(plan.skipped),
        errors=len(plan.errors),
        new_types=tuple(created_types),
        new_agencies=tuple(created_agencies),
    )


def import_inventory_file(
    db,  # noqa: ANN001 - dvcoord.store.Database
    path: Path | str,
    *,
    dry_run: bool = False,
    skip_errors: bool = False,
    today: date | None = None,
) -> tuple[ImportPlan, ImportSummary | None]:
    """Read, plan and (unless ``dry_run``) apply an import, backing up the database first."""
    sheet = read_inventory(path)
    with db.session() as s:
        plan = plan_import(s, sheet, today=today)
    if dry_run or not plan.to_add:
        return plan, None
    if plan.errors and not skip_errors:
        return plan, None
    from dvcoord.store import backups

    backups.take_backup(db.path, reason="before-import")
    with db.transaction() as s:
        summary = apply_import(s, plan, skip_errors=skip_errors, today=today)
    return plan, summary
