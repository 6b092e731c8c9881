"""Performance indicators in and out of spreadsheets.

Export: :func:`export_indicators` writes three sheets to .xlsx: *Indicators* (the
definitions), *Values* (every period's figure, computed ones included and marked) and
*Targets*.  Numbers are written as numbers (51.2 for 51.2%, pounds for money).

Import of values (and targets), in three steps so a screen can show a preview before
anything is written:

1. :func:`read_values` reads a .xlsx or .csv file: every table whose header names an
   indicator (by name or reference), best first those that also name a period and a
   value, a target or a national figure; the caller may change the guess for the main
   table with ``sheet.mapping.assign(field, column)``.  An *Indicators* sheet (as the export writes
   it) describes indicators the database does not have yet.
2. :func:`plan_import` checks every row: each becomes "add", "update", "same" (already in
   the database with that figure), "skip" (a computed indicator's figure) or "error"
   (with reasons: unknown indicator, a period of the wrong cadence or not yet started,
   text in a number column, a percentage over 100, the same period twice, ...).
3. :func:`apply_import` writes the plan in the caller's transaction, refusing a plan with
   errors unless ``skip_errors``.

:func:`import_values_file` runs the three for the command line, taking a backup first.
Cell contents are never logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
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
from dvcoord.services import indicators as svc
from dvcoord.services.agencies import find_agency
from dvcoord.store.schema.indicators import Indicator, IndicatorTarget, IndicatorValue

log = logging.getLogger(__name__)

__all__ = [
    "FIELDS",
    "ImportPlan",
    "ImportSummary",
    "PlannedRow",
    "ValuesFile",
    "apply_import",
    "export_indicators",
    "import_values_file",
    "plan_import",
    "read_values",
]

#: field -> (label shown to the user, header names it goes by, best first).
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "code": ("Reference", ("ref", "reference", "indicator ref", "code", "pi", "pi ref", "ni")),
    "indicator": (
        "Indicator",
        ("indicator", "indicator name", "performance indicator", "measure", "kpi", "name"),
    ),
    "period": (
        "Period",
        ("period", "reporting period", "quarter", "month", "financial year", "year", "date"),
    ),
    "value": (
        "Value",
        ("value", "figure", "actual", "achieved", "result", "outturn", "performance"),
    ),
    "note": ("Note", ("note", "notes", "comment", "comments", "commentary")),
    "target": ("Target", ("target", "local target", "target value")),
    "national": (
        "National figure",
        ("national", "national figure", "national average", "england average", "national rate"),
    ),
}
#: Columns of the "Indicators" sheet (as :func:`export_indicators` writes it).
DEFINITION_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("ref", "reference", "code"),
    "name": ("indicator", "name"),
    "description": ("description",),
    "unit": ("unit",),
    "direction": ("better when", "direction"),
    "period": ("reported", "period", "frequency"),
    "data_source": ("data source", "source"),
    "owner": ("owner agency", "owner"),
    "computed": ("computed",),
    "active": ("active",),
}
_UNIT_WORDS = {
    "count": "count",
    "number": "count",
    "percentage": "percentage",
    "percent": "percentage",
    "%": "percentage",
    "percentage (%)": "percentage",
    "money": "money",
    "money (£)": "money",
    "£": "money",
    "pounds": "money",
    "days": "days",
}
_DIRECTION_WORDS = {
    "higher": "higher",
    "higher is better": "higher",
    "up": "higher",
    "lower": "lower",
    "lower is better": "lower",
    "down": "lower",
}
_PERIOD_WORDS = {
    "month": "month",
    "monthly": "month",
    "quarter": "quarter",
    "quarterly": "quarter",
    "financial year": "financial year",
    "year": "financial year",
    "yearly": "financial year",
    "annual": "financial year",
    "annually": "financial year",
    "yearly (financial year)": "financial year",
}
_MAX_HEADER_SCAN = 10
NOT_IMPORTED = "not imported"


# --------------------------------------------------------------------------- export
def _number(hundredths: int | None) -> int | float | None:
    if hundredths is None:
        return None
    return hundredths // 100 if hundredths % 100 == 0 else hundredths / 100


def export_indicators(session: Session, path: Path | str, *, today: date | None = None) -> int:
    """Write the indicators, their values and targets to ``path`` (.xlsx); the number
    of indicators written.  Computed indicators' figures of the last three years are
    written too, marked as computed."""
    today = today or date.today()
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise DvcoordError(f"'{path.name}' must be an .xlsx file name.")
    indicators = list(
        session.scalars(
            select(Indicator)
            .where(Indicator.deleted_at.is_(None))
            .order_by(Indicator.code, Indicator.name)
        )
    )
    definitions = []
    values: list[list[Any]] = []
    targets: list[list[Any]] = []
    for ind in indicators:
        owner = ind.owner_agency.name if ind.owner_agency is not None else ""
        definitions.append(
            [
                ind.code,
                ind.name,
                ind.description,
                svc.UNIT_LABELS[ind.unit],
                svc.DIRECTION_LABELS[ind.direction],
                svc.PERIOD_LABELS[ind.period],
                ind.data_source,
                owner,
                "Yes" if ind.computed_key else "No",
                "Yes" if ind.active else "No",
            ]
        )
        if ind.computed_key:
            last = svc.last_complete_period(ind.period, today)
            n = {"month": 36, "quarter": 12, "financial year": 3}[ind.period]
            for point in svc.series(session, ind.id, svc.recent_periods(last, n), today):
                if point.value is not None:
                    values.append(
                        [
                            ind.code,
                            ind.name,
                            point.period.key,
                            _number(point.value),
                            svc.UNIT_LABELS[ind.unit],
                            "Computed by dvcoord",
                        ]
                    )
        else:
            for v in session.scalars(
                select(IndicatorValue)
                .where(IndicatorValue.indicator_id == ind.id, IndicatorValue.deleted_at.is_(None))
                .order_by(IndicatorValue.period_start)
            ):
                values.append(
                    [
                        ind.code,
                        ind.name,
                        v.period_key,
                        _number(v.value_hundredths),
                        svc.UNIT_LABELS[ind.unit],
                        v.note,
                    ]
                )
        for t in session.scalars(
            select(IndicatorTarget)
            .where(IndicatorTarget.indicator_id == ind.id, IndicatorTarget.deleted_at.is_(None))
            .order_by(IndicatorTarget.period_start, IndicatorTarget.period_end)
        ):
            targets.append(
                [
                    ind.code,
                    ind.name,
                    t.period_key,
                    _number(t.target_hundredths),
                    _number(t.national_hundredths),
                    t.note,
                ]
            )
    write_xlsx(
        path,
        [
            SheetSpec(
                "Indicators",
                [
                    "Ref",
                    "Indicator",
                    "Description",
                    "Unit",
                    "Better when",
                    "Reported",
                    "Data source",
                    "Owner agency",
                    "Computed",
                    "Active",
                ],
                definitions,
            ),
            SheetSpec("Values", ["Ref", "Indicator", "Period", "Value", "Unit", "Note"], values),
            SheetSpec(
                "Targets", ["Ref", "Indicator", "Period", "Target", "National", "Note"], targets
            ),
        ],
    )
    log.info(
        "exported %d indicator(s), %d value(s), %d target(s) to %s",
        len(definitions),
        len(values),
        len(targets),
        path.name,
    )
    return len(definitions)


# --------------------------------------------------------------------------- reading
@dataclass
class DataTable:
    """A table of figures found in the file, its header row and the column guess."""

    table: Table
    header_row: int
    mapping: HeaderMapping

    @property
    def data_rows(self) -> range:
        return range(self.header_row + 1, len(self.table.rows))


@dataclass
class ValuesFile:
    path: Path
    #: The tables of figures; the first is the main one (the preview's mapping).
    tables: list[DataTable]
    notices: list[str] = field(default_factory=list)
    #: From an "Indicators" sheet: name or reference (lower case) -> definition.
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def mapping(self) -> HeaderMapping:
        return self.tables[0].mapping

    @property
    def table(self) -> Table:
        return self.tables[0].table

    def describe_mapping(self) -> list[tuple[str, str]]:
        """``(column header, field label or "not imported")`` of the main table."""
        return [
            (header, FIELDS[name][0] if name else NOT_IMPORTED)
            for header, name in self.mapping.describe()
            if header
        ]


def _usable(mapping: HeaderMapping) -> bool:
    return (
        ("indicator" in mapping or "code" in mapping)
        and "period" in mapping
        and any(f in mapping for f in ("value", "target", "national"))
    )


def read_values(path: Path | str) -> ValuesFile:
    """Read a spreadsheet of indicator figures and guess its columns (nothing written)."""
    path = Path(path)
    found = read_tables(path)
    if found.kind == "docx":
        raise DvcoordError(
            f"'{path.name}' is a Word document; save the figures as .xlsx or .csv and try again."
        )
    synonyms = {name: spec[1] for name, spec in FIELDS.items()}
    tables: list[tuple[int, DataTable]] = []
    definitions: dict[str, dict[str, Any]] = {}
    notices = [str(n) for n in found.notices]
    for table in found.tables:
        if table.sheet.lower() == "indicators" or _looks_like_definitions(table):
            definitions.update(_definitions(table, notices))
            continue
        best: tuple[int, int, HeaderMapping] | None = None
        for r in range(min(_MAX_HEADER_SCAN, len(table.rows))):
            mapping = match_headers(table.rows[r], synonyms)
            if "indicator" not in mapping and "code" not in mapping:
                continue
            if not any(f in mapping for f in ("period", "value", "target", "national")):
                continue
            score = mapping.strength()
            if best is None or score > best[0]:
                best = (score, r, mapping)
        if best is not None:
            score, row, mapping = best
            rank = (1000 if _usable(mapping) else 0) + (100 if "value" in mapping else 0)
            tables.append((rank + score, DataTable(table, row, mapping)))
    if not tables:
        raise DvcoordError(
            f"No table of figures was found in '{path.name}': it needs columns headed "
            "'Indicator' (or 'Ref'), 'Period' and 'Value' (or 'Target')."
        )
    tables.sort(key=lambda t: -t[0])
    return ValuesFile(path, [t for _, t in tables], notices, definitions)


def _looks_like_definitions(table: Table) -> bool:
    """A sheet of indicator definitions: name, unit and cadence or direction, no figures."""
    if not table.rows:
        return False
    m = match_headers(table.rows[0], DEFINITION_FIELDS, minimum=0.8)
    figures = match_headers(
        table.rows[0], {f: FIELDS[f][1] for f in ("value", "target", "national")}, minimum=0.8
    )
    return (
        "name" in m and "unit" in m and ("direction" in m or "period" in m) and not figures.columns
    )


def _definitions(table: Table, notices: list[str]) -> dict[str, dict[str, Any]]:
    if not table.rows:
        return {}
    m = match_headers(table.rows[0], DEFINITION_FIELDS, minimum=0.6)
    if "name" not in m:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for r in range(1, len(table.rows)):
        row = table.rows[r]
        name = " ".join(m.text(row, "name").split())
        if not name:
            continue
        computed_key = None
        if m.text(row, "computed").lower() in ("yes", "y", "true", "1"):
            computed_key = next(
                (k for k, c in svc.COMPUTED.items() if c.name.lower() == name.lower()), None
            )
            if computed_key is None:
                notices.append(
                    f"{table.where(r)}: '{name}' is computed by another dvcoord, and this one "
                    "cannot compute it; it is not added."
                )
                continue
        unit = _UNIT_WORDS.get(m.text(row, "unit").lower())
        direction = _DIRECTION_WORDS.get(m.text(row, "direction").lower() or "higher")
        period = _PERIOD_WORDS.get(m.text(row, "period").lower())
        if unit is None or direction is None or period is None:
            notices.append(
                f"{table.where(r)}: the definition of '{name}' could not be read (unit, "
                "better when or reported); it is not added."
            )
            continue
        spec = {
            "code": m.text(row, "code"),
            "name": name,
            "description": m.text(row, "description"),
            "unit": unit,
            "direction": direction,
            "period": period,
            "data_source": m.text(row, "data_source"),
            "owner": m.text(row, "owner"),
            "active": m.text(row, "active").lower() not in ("no", "n", "false", "0"),
            "computed_key": computed_key,
        }
        found[name.lower()] = spec
        if spec["code"]:
            found.setdefault(spec["code"].lower(), spec)
    return found


# --------------------------------------------------------------------------- planning
@dataclass
class PlannedRow:
    where: str
    indicator: str  # as shown: "PI 1 Sanction detection rate"
    period: str
    action: str  # "add", "update", "same", "skip" or "error"
    indicator_key: str = ""  # id of an existing indicator, or "new:<name lower>"
    period_key: str = ""
    value: int | None = None
    note: str = ""
    target: int | None = None
    national: int | None = None
    #: "new", "changed", "same", "computed" or "" (nothing of that kind on the row).
    value_state: str = ""
    target_state: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def writes_value(self) -> bool:
        return self.action != "error" and self.value_state in ("new", "changed")

    @property
    def writes_target(self) -> bool:
        return self.action != "error" and self.target_state in ("new", "changed")


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    new_indicators: list[dict[str, Any]]
    mapping: list[tuple[str, str]]
    notices: list[str] = field(default_factory=list)

    @property
    def writes(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.writes_value or r.writes_target]

    @property
    def added(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "add"]

    @property
    def updated(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "update"]

    @property
    def unchanged(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action in ("same", "skip")]

    @property
    def errors(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "error"]

    @property
    def targets(self) -> int:
        return sum(1 for r in self.rows if r.writes_target)


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    targets: int
    unchanged: int
    errors: int
    new_indicators: tuple[str, ...]


@dataclass
class _Known:
    id: str
    label: str
    unit: str
    period: str
    computed: bool


def _known_indicators(session: Session) -> dict[str, _Known]:
    found: dict[str, _Known] = {}
    for ind in session.scalars(select(Indicator).where(Indicator.deleted_at.is_(None))):
        known = _Known(
            ind.id,
            f"{ind.code} {ind.name}".strip(),
            ind.unit,
            ind.period,
            bool(ind.computed_key),
        )
        found.setdefault(ind.name.lower(), known)
        if ind.code:
            found.setdefault(ind.code.lower(), known)
    return found


def _existing_values(session: Session) -> dict[tuple[str, str], tuple[int, str]]:
    return {
        (iid, key): (v, note)
        for iid, key, v, note in session.execute(
            select(
                IndicatorValue.indicator_id,
                IndicatorValue.period_key,
                IndicatorValue.value_hundredths,
                IndicatorValue.note,
            ).where(IndicatorValue.deleted_at.is_(None))
        )
    }


def _existing_targets(session: Session) -> dict[tuple[str, str], tuple[int | None, int | None]]:
    return {
        (iid, key): (t, n)
        for iid, key, t, n in session.execute(
            select(
                IndicatorTarget.indicator_id,
                IndicatorTarget.period_key,
                IndicatorTarget.target_hundredths,
                IndicatorTarget.national_hundredths,
            ).where(IndicatorTarget.deleted_at.is_(None))
        )
    }


def _number_cell(raw: Any, unit: str, label: str, fld: str, errors: list[str]) -> int | None:
    if raw is None or cell_text(raw) == "":
        return None
    try:
        return svc.parse_number(raw, unit, field=fld, label=label)
    except ValidationError as exc:
        errors.append(str(exc))
        return None


def plan_import(session: Session, sheet: ValuesFile, *, today: date | None = None) -> ImportPlan:
    """Check every row of every table of figures (nothing is written)."""
    today = today or date.today()
    if not _usable(sheet.mapping):
        raise ValidationError(
            "Choose the columns that hold the indicator (or its reference), the period and "
            "the value or target.",
            field="mapping",
        )
    known = _known_indicators(session)
    values = _existing_values(session)
    targets = _existing_targets(session)
    new: dict[str, dict[str, Any]] = {}
    seen_values: dict[tuple[str, str], str] = {}
    seen_targets: dict[tuple[str, str], str] = {}
    planned: list[PlannedRow] = []
    for data in sheet.tables:
        if not _usable(data.mapping):
            continue
        m = data.mapping
        table = data.table
        for r in data.data_rows:
            if table.is_blank_row(r):
                continue
            row = table.rows[r]
            where = table.where(r)
            errors: list[str] = []
            warnings: list[str] = []
            code = " ".join(m.text(row, "code").split())
            name = " ".join(m.text(row, "indicator").split())
            shown = f"{code} {name}".strip()
            found = known.get(code.lower()) if code else None
            found = found or (known.get(name.lower()) if name else None)
            spec = None
            if found is None:
                spec = sheet.definitions.get(name.lower()) or sheet.definitions.get(code.lower())
            if found is None and spec is None:
                errors.append(
                    f"There is no indicator called '{shown or '(blank)'}' in this database; "
                    "add it first, or include an 'Indicators' sheet that describes it."
                )
            if found is not None:
                key, unit, cadence, computed = found.id, found.unit, found.period, found.computed
                shown = found.label
            elif spec is not None:
                key, unit, cadence, computed = (
                    f"new:{spec['name'].lower()}",
                    spec["unit"],
                    spec["period"],
                    bool(spec.get("computed_key")),
                )
                new.setdefault(spec["name"].lower(), spec)
                shown = f"{spec['code']} {spec['name']}".strip()
            else:
                key, unit, cadence, computed = "", "count", None, False
            raw_period = m.value(row, "period")
            has_value = "value" in m and cell_text(m.value(row, "value")) != ""
            has_target = any(
                f in m and cell_text(m.value(row, f)) != "" for f in ("target", "national")
            )
            if not has_value and not has_target:
                errors.append("There is no value, target or national figure on this row.")
            period: svc.Period | None = None
            if cadence is not None:
                try:
                    period = svc.parse_period(raw_period, cadence, allow_longer=not has_value)
                except ValidationError as exc:
                    errors.append(str(exc))
            planned_row = PlannedRow(
                where=where,
                indicator=shown,
                period=period.label if period else cell_text(raw_period),
                action="add",
                indicator_key=key,
                period_key=period.key if period else "",
                note=m.text(row, "note"),
            )
            if has_value:
                raw = m.value(row, "value")
                value = _number_cell(raw, unit, "The value", "value", errors)
                if unit == "percentage" and isinstance(raw, float) and 0 < raw < 1:
                    warnings.append(
                        f"The value {raw} is read as {raw}%; if it is a fraction (0.512 for "
                        "51.2%), type it as a percentage."
                    )
                planned_row.value = value
                if computed:
                    planned_row.value_state = "computed"
                    planned_row.value = None
                    warnings.append(
                        "This indicator is computed by dvcoord, so its figure is not imported."
                    )
                elif period is not None and period.start > today:
                    errors.append(f"{period.label} has not started yet.")
                elif period is not None and key:
                    if (key, period.key) in seen_values:
                        errors.append(
                            f"{period.label} of this indicator is also on "
                            f"{seen_values[(key, period.key)]}."
                        )
                    else:
                        seen_values[(key, period.key)] = where
                    current = values.get((key, period.key))
                    if current is None:
                        planned_row.value_state = "new"
                    elif value is not None and current == (value, planned_row.note):
                        planned_row.value_state = "same"
                    else:
                        planned_row.value_state = "changed"
                        warnings.append(
                            f"Replaces {svc.format_number(current[0], unit)} in the database."
                        )
            if has_target:
                planned_row.target = _number_cell(
                    m.value(row, "target"), unit, "The target", "target", errors
                )
                planned_row.national = _number_cell(
                    m.value(row, "national"), unit, "The national figure", "national", errors
                )
                if period is not None and key:
                    if (key, period.key) in seen_targets:
                        errors.append(
                            f"The target for {period.label} is also on "
                            f"{seen_targets[(key, period.key)]}."
                        )
                    else:
                        seen_targets[(key, period.key)] = where
                    current_t = targets.get((key, period.key))
                    wanted = (planned_row.target, planned_row.national)
                    if current_t is None:
                        planned_row.target_state = "new"
                    else:
                        planned_row.target_state = "same" if current_t == wanted else "changed"
            states = {planned_row.value_state, planned_row.target_state}
            if errors:
                action = "error"
            elif "new" in states:
                action = "add"
            elif "changed" in states:
                action = "update"
            elif "computed" in states:
                action = "skip"
            else:
                action = "same"
            planned_row.action = action
            planned_row.errors = errors
            planned_row.warnings = warnings
            planned.append(planned_row)
    used_new = {r.indicator_key for r in planned if r.indicator_key.startswith("new:")}
    return ImportPlan(
        rows=planned,
        new_indicators=[s for k, s in new.items() if f"new:{k}" in used_new],
        mapping=sheet.describe_mapping(),
        notices=list(sheet.notices),
    )


# --------------------------------------------------------------------------- applying
def apply_import(
    session: Session, plan: ImportPlan, *, skip_errors: bool = False, today: date | None = None
) -> ImportSummary:
    """Write the planned rows (one transaction: the caller's)."""
    today = today or date.today()
    if plan.errors and not skip_errors:
        raise DvcoordError(
            f"{len(plan.errors)} row(s) have errors; correct them, or import only the rows "
            "without errors."
        )
    ids: dict[str, str] = {}
    created = []
    for spec in plan.new_indicators:
        owner = find_agency(session, spec["owner"]) if spec.get("owner") else None
        try:
            ind = svc.create_indicator(
                session,
                code=spec["code"],
                name=spec["name"],
                description=spec["description"],
                unit=spec["unit"],
                direction=spec["direction"],
                period=spec["period"],
                data_source=spec["data_source"],
                owner_agency_id=owner.id if owner is not None else None,
                active=spec["active"],
                computed_key=spec.get("computed_key"),
            )
        except ValidationError as exc:
            raise DvcoordError(f"The indicator '{spec['name']}' cannot be added: {exc}") from None
        ids[f"new:{spec['name'].lower()}"] = ind.id
        created.append(spec["name"])
    added = updated = n_targets = 0
    for row in plan.rows:
        if not (row.writes_value or row.writes_target):
            continue
        indicator_id = ids.get(row.indicator_key, row.indicator_key)
        try:
            if row.writes_value and row.value is not None:
                value = Decimal(row.value) / 100
                svc.set_value(session, indicator_id, row.period_key, value, row.note, today=today)
                if row.value_state == "new":
                    added += 1
                else:
                    updated += 1
            if row.writes_target:
                svc.set_target(
                    session,
                    indicator_id,
                    row.period_key,
                    None if row.target is None else Decimal(row.target) / 100,
                    None if row.national is None else Decimal(row.national) / 100,
                )
                n_targets += 1
        except ValidationError as exc:
            raise DvcoordError(f"{row.where}: {exc}") from None
    log.info("imported %d value(s), updated %d, %d target(s)", added, updated, n_targets)
    return ImportSummary(
        added=added,
        updated=updated,
        targets=n_targets,
        unchanged=len(plan.unchanged),
        errors=len(plan.errors),
        new_indicators=tuple(created),
    )


def import_values_file(
    db,  # noqa: ANN001 - dvcoord.store.Database
    path: Path | str,
    *,
    dry_run: bool = False,
    skip_errors: bool = False,
    today: date | None = None,
) -> tuple[ImportPlan, ImportSummary | None]:
    """Read, plan and (unless ``dry_run``) apply an import, backing up the database first."""
    sheet = read_values(path)
    with db.session() as s:
        plan = plan_import(s, sheet, today=today)
    if dry_run or not plan.writes:
        return plan, None
    if plan.errors and not skip_errors:
        return plan, None
    from dvcoord.store import backups

    backups.take_backup(db.path, reason="before-import")
    with db.transaction() as s:
        summary = apply_import(s, plan, skip_errors=skip_errors, today=today)
    return plan, summary
