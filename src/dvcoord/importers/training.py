"""Training records in and out of spreadsheets.

Export: :func:`export_training` writes one workbook: the matrix (cells marked, dated and
coloured as on screen), compliance by agency, and the records behind them - trainees,
attendance, courses and roles with their requirements - in sheets this module reads back.

Import, in three steps so a screen can show a preview before anything is written (the
lists partners send are rarely laid out the same way twice):

1. :func:`read_training_file` reads a .xlsx or .csv file and finds its tables: an
   *attendance* list (a trainee, a course, a session date, optionally an outcome), a
   *trainee* list (names and agencies, no course), and - in a workbook written by the
   export - the courses and roles.  It guesses which column holds which field; the caller
   may change a guess with ``sheet.mapping.assign(field, column)``.
2. :func:`plan_import` checks every row against the rules and the database: each row is
   "add", "update" (a booking whose outcome the file gives), "skip" (already recorded) or
   "error" with the reasons, and lists the agencies, roles, courses and sessions that
   would be created.
3. :func:`apply_import` writes the plan in the caller's transaction through the services
   (so every rule is checked again); a plan with errors is refused unless
   ``skip_errors`` is set.

:func:`import_training_file` runs all three for the command line, after a backup.
Trainees are matched by e-mail address, else by name and agency.  Cell contents are
never logged.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
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
from dvcoord.services import agencies as ag
from dvcoord.services import training as svc
from dvcoord.services._plancommon import check_date
from dvcoord.services.dates import format_date
from dvcoord.store.schema.plans import SECTORS, Agency
from dvcoord.store.schema.training import (
    Attendance,
    Course,
    CourseLevel,
    StaffRole,
    Trainee,
    TrainingSession,
)

log = logging.getLogger(__name__)

__all__ = [
    "FIELDS",
    "ImportPlan",
    "ImportSummary",
    "PlannedRow",
    "TrainingSheets",
    "apply_import",
    "export_training",
    "import_training_file",
    "plan_import",
    "read_training_file",
]

#: field -> (label shown to the user, header names it goes by, best first).
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": (
        "Trainee's name",
        ("name", "trainee", "full name", "staff name", "delegate", "attendee", "participant"),
    ),
    "email": ("E-mail", ("e-mail", "email", "email address", "e-mail address")),
    "agency": (
        "Agency",
        ("agency", "organisation", "organization", "employer", "service", "team"),
    ),
    "role": ("Role", ("role", "job title", "job role", "post", "staff group", "position")),
    "active": ("In post", ("in post", "active", "current", "still in post")),
    "course": ("Course", ("course", "course code", "code", "training", "course title")),
    "session_date": (
        "Session date",
        ("session date", "date", "course date", "training date", "date attended", "held on"),
    ),
    "venue": ("Venue", ("venue", "location", "where")),
    "capacity": ("Places", ("places", "capacity", "spaces")),
    "status": ("Outcome", ("outcome", "status", "attendance", "attended")),
    "completed_on": (
        "Completed",
        ("completed", "completion date", "date completed", "completed on", "passed"),
    ),
}
TRAINEE_FIELDS = ("name", "email", "agency", "role", "active")
COURSE_SHEET: dict[str, tuple[str, ...]] = {
    "code": ("code", "course code"),
    "title": ("title", "course", "course title"),
    "level": ("level",),
    "level_name": ("level name",),
    "topic": ("topic",),
    "delivery": ("delivery", "delivered by", "mode"),
    "duration_minutes": ("duration minutes", "duration", "minutes"),
    "refresher_months": ("refresher months", "refresher", "refresher every months"),
    "offered_from": ("offered from", "first offered"),
    "provider": ("provider",),
    "active": ("offered now", "active"),
}
ROLE_SHEET: dict[str, tuple[str, ...]] = {
    "role": ("role", "staff role"),
    "agency": ("agency",),
    "sector": ("sector",),
    "requires": ("requires", "requirements", "needs"),
}
#: Words in an outcome column -> attendance status.
STATUS_WORDS = {
    "attended": "attended",
    "yes": "attended",
    "y": "attended",
    "present": "attended",
    "completed": "attended",
    "complete": "attended",
    "passed": "attended",
    "done": "attended",
    "did not attend": "did not attend",
    "dna": "did not attend",
    "no show": "did not attend",
    "no-show": "did not attend",
    "absent": "did not attend",
    "no": "did not attend",
    "n": "did not attend",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "withdrawn": "cancelled",
    "booked": "booked",
    "booking": "booked",
    "registered": "booked",
    "place booked": "booked",
}
_YES = {"yes", "y", "true", "1", "x", "\u2713"}
_NO = {"no", "n", "false", "0"}
_MAX_HEADER_SCAN = 10
_LEVEL_REQ = re.compile(r"(?i)^any\s+level\s+(\d+)$")


# --------------------------------------------------------------------------- export
def _status_fill(status: str) -> str:
    return svc.STATUS_COLOURS[status].lstrip("#").upper()


def export_training(session: Session, path: Path | str, *, today: date | None = None) -> int:
    """Write the matrix and the records behind it to ``path`` (.xlsx).  Returns the number
    of trainees in the matrix (staff in post)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise DvcoordError(f"'{path.name}' must be an .xlsx file name.")
    today = today or date.today()
    matrix = svc.training_matrix(session, today)
    used = matrix.used_columns(range(len(matrix.rows)))
    header = ["Name", "Agency", "Sector", "Role", "E-mail"] + [matrix.columns[c].code for c in used]
    rows: list[list[Any]] = []
    fills: dict[tuple[int, int], str] = {}
    for r, row in enumerate(matrix.rows):
        line: list[Any] = [row.name, row.agency, row.sector, row.role, row.email]
        for j, c in enumerate(used, start=5):
            cell = matrix.cells[r][c]
            line.append("" if cell is None else cell.text)
            if cell is not None and cell.status != svc.EXTRA:
                fills[(r, j)] = _status_fill(cell.status)
        rows.append(line)
    compliance = [
        [
            c.name,
            c.sector,
            c.trainees,
            c.required,
            c.done,
            c.expiring,
            c.expired,
            c.missing,
            c.percent,
        ]
        for c in svc.compliance_by_agency(matrix)
    ]
    trainees = [
        [t.name, t.agency, t.role, t.email, "Yes" if t.active else "No"]
        for t in svc.list_trainees(session)
    ]
    sessions = {r.session_id: r for r in svc.list_sessions(session)}
    emails = {t.trainee_id: t.email for t in svc.list_trainees(session)}
    attendance = []
    for sid, people in svc.session_attendance(session).items():
        s_row = sessions.get(sid)
        if s_row is None:
            continue
        for a in people:
            attendance.append(
                [
                    a.name,
                    emails.get(a.trainee_id, ""),
                    a.agency,
                    a.role,
                    s_row.code,
                    s_row.session_date,
                    s_row.venue,
                    s_row.capacity,
                    a.status,
                    a.completed_on,
                ]
            )
    attendance.sort(key=lambda r: (r[5], r[4], r[0].lower()))
    courses = [
        [
            c.code,
            c.title,
            c.level_number,
            c.level_name,
            c.topic,
            c.delivery,
            c.duration_minutes,
            c.refresher_months,
            c.offered_from,
            c.provider,
            "Yes" if c.active else "No",
        ]
        for c in svc.list_courses(session)
    ]
    roles = [[r.name, r.agency, r.sector, r.requirements] for r in svc.list_roles(session)]
    key = [[svc.MARKS[s], svc.STATUS_MEANINGS[s]] for s in svc.STATUS_MEANINGS]
    key_fills = {(i, 0): _status_fill(s) for i, s in enumerate(svc.STATUS_MEANINGS)}
    write_xlsx(
        path,
        [
            SheetSpec("Matrix", header, rows, fills=fills),
            SheetSpec(
                "Compliance",
                [
                    "Agency",
                    "Sector",
                    "Staff",
                    "Required",
                    "Done",
                    "Expiring",
                    "Expired",
                    "Missing",
                    "Compliant %",
                ],
                compliance,
            ),
            SheetSpec("Trainees", ["Name", "Agency", "Role", "E-mail", "In post"], trainees),
            SheetSpec(
                "Attendance",
                [
                    "Name",
                    "E-mail",
                    "Agency",
                    "Role",
                    "Course",
                    "Session date",
                    "Venue",
                    "Places",
                    "Outcome",
                    "Completed",
                ],
                attendance,
            ),
            SheetSpec(
                "Courses",
                [
                    "Code",
                    "Title",
                    "Level",
                    "Level name",
                    "Topic",
                    "Delivery",
                    "Duration (minutes)",
                    "Refresher (months)",
                    "Offered from",
                    "Provider",
                    "Offered now",
                ],
                courses,
            ),
            SheetSpec("Roles", ["Role", "Agency", "Sector", "Requires"], roles),
            SheetSpec(
                "Key",
                ["Mark", "Meaning"],
                key
                + [["", f"As at {format_date(today)}; warning window {matrix.warning_days} days."]],
                fills=key_fills,
            ),
        ],
    )
    log.info("exported the training matrix (%d trainee(s)) to %s", len(rows), path.name)
    return len(rows)


# --------------------------------------------------------------------------- reading
@dataclass
class TrainingSheets:
    """What was found in a file: the trainee and/or attendance table (with their column
    guesses), and the courses and roles of a workbook written by :func:`export_training`."""

    path: Path
    attendance: Table | None = None
    attendance_header: int = 0
    attendance_mapping: HeaderMapping | None = None
    trainees: Table | None = None
    trainees_header: int = 0
    trainees_mapping: HeaderMapping | None = None
    courses: list[dict[str, str]] = field(default_factory=list)
    roles: list[dict[str, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def mapping(self) -> HeaderMapping:
        """The mapping of the main table (attendance if there is one)."""
        found = self.attendance_mapping or self.trainees_mapping
        assert found is not None
        return found

    def describe_mapping(self) -> list[tuple[str, str, str]]:
        """``(table, column header, field label or "not imported")`` for a preview."""
        out = []
        for table, mapping in (
            (self.attendance, self.attendance_mapping),
            (self.trainees, self.trainees_mapping),
        ):
            if table is None or mapping is None:
                continue
            for header, name in mapping.describe():
                if header:
                    out.append((table.name, header, FIELDS[name][0] if name else "not imported"))
        return out


def _synonyms(names: tuple[str, ...] | None = None) -> dict[str, tuple[str, ...]]:
    return {k: v[1] for k, v in FIELDS.items() if names is None or k in names}


def _records(table: Table, spec: dict[str, tuple[str, ...]]) -> list[dict[str, str]]:
    m = match_headers(table.rows[0], spec, minimum=0.6)
    out = []
    for r in range(1, len(table.rows)):
        if table.is_blank_row(r):
            continue
        out.append({k: m.text(table.rows[r], k) for k in spec} | {"where": table.where(r)})
    return out


def read_training_file(path: Path | str) -> TrainingSheets:
    """Read a spreadsheet and guess its columns (nothing is written)."""
    path = Path(path)
    found = read_tables(path)
    if found.kind == "docx":
        raise DvcoordError(
            f"'{path.name}' is a Word document; save the list as .xlsx or .csv and try again."
        )
    sheets = TrainingSheets(path, notices=[str(n) for n in found.notices])
    best_att: tuple[int, int, Table, HeaderMapping] | None = None
    best_tr: tuple[int, int, Table, HeaderMapping] | None = None
    for table in found.tables:
        if table.sheet in ("Courses", "Roles", "Matrix", "Key", "Compliance") and table.rows:
            if table.sheet == "Courses":
                sheets.courses = _records(table, COURSE_SHEET)
            elif table.sheet == "Roles":
                sheets.roles = _records(table, ROLE_SHEET)
            continue
        for r in range(min(_MAX_HEADER_SCAN, len(table.rows))):
            mapping = match_headers(table.rows[r], _synonyms())
            if "name" not in mapping:
                continue
            score = mapping.strength()
            if "course" in mapping and "session_date" in mapping:
                if best_att is None or score > best_att[0]:
                    best_att = (score, r, table, mapping)
            elif "agency" in mapping:
                for name in (
                    "course",
                    "session_date",
                    "venue",
                    "capacity",
                    "status",
                    "completed_on",
                ):
                    mapping.assign(name, None)
                if best_tr is None or score > best_tr[0]:
                    best_tr = (score, r, table, mapping)
    if best_att is None and best_tr is None:
        raise DvcoordError(
            f"No list of trainees was found in '{path.name}': give the columns the headings "
            "'Name' and 'Agency' (a list of staff), or 'Name', 'Course' and 'Session date' "
            "(an attendance list), and try again."
        )
    if best_att is not None:
        _, sheets.attendance_header, sheets.attendance, sheets.attendance_mapping = best_att
    if best_tr is not None and (best_att is None or best_tr[2] is not best_att[2]):
        _, sheets.trainees_header, sheets.trainees, sheets.trainees_mapping = best_tr
    return sheets


# --------------------------------------------------------------------------- planning
@dataclass
class PlannedRow:
    where: str
    kind: str  # "trainee" or "attendance"
    label: str  # "Jo Bloggs" or "Jo Bloggs – DASH-2 on 12/03/2026"
    action: str  # "add", "update", "skip" or "error"
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: list[PlannedRow]
    new_agencies: list[str]
    new_roles: list[str]
    new_courses: list[str]
    new_levels: list[str]
    new_trainees: int
    new_sessions: int
    mapping: list[tuple[str, str, str]]
    notices: list[str] = field(default_factory=list)
    #: key -> what to create (used by :func:`apply_import`).
    agencies: dict[str, str] = field(default_factory=dict)
    roles: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    courses: dict[str, dict[str, str]] = field(default_factory=dict)
    trainees: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[tuple[str, date, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def to_write(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action in ("add", "update")]

    @property
    def errors(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "error"]

    @property
    def skipped(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == "skip"]

    def count(self, kind: str, action: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind and r.action == action)

    def summary(self) -> str:
        """One paragraph for a preview or the command line."""
        parts = []
        for kind, noun in (("trainee", "trainee"), ("attendance", "attendance record")):
            add, update = self.count(kind, "add"), self.count(kind, "update")
            skip, err = self.count(kind, "skip"), self.count(kind, "error")
            if add + update + skip + err:
                text = f"{add} {noun}(s) to add"
                if update:
                    text += f", {update} to update"
                text += f", {skip} already recorded, {err} with errors"
                parts.append(text)
        text = "; ".join(parts) + "."
        if self.new_trainees:
            text += f" {self.new_trainees} new trainee(s)."
        if self.new_sessions:
            text += f" {self.new_sessions} new session(s)."
        for label, names in (
            ("New agencies", self.new_agencies),
            ("New roles", self.new_roles),
            ("New courses", self.new_courses),
            ("New levels", self.new_levels),
        ):
            if names:
                text += f" {label}: {', '.join(names)}."
        return text


@dataclass(frozen=True)
class ImportSummary:
    trainees: int
    attendance: int
    updated: int
    sessions: int
    new_agencies: tuple[str, ...]
    new_roles: tuple[str, ...]
    new_courses: tuple[str, ...]


def _date(value: Any, label: str) -> date | None:
    """A cell as a date: an Excel date, dd/mm/yyyy or ISO yyyy-mm-dd (ValueError if not)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{label} '{text}' is not a real date.") from None
    try:
        return check_date(text, field="", label=label)
    except ValidationError as exc:
        raise ValueError(f"{label}: {exc}") from None


def _bool(value: Any, label: str, default: bool = True) -> bool:
    text = cell_text(value).lower()
    if not text:
        return default
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError(f"{label} should be Yes or No, not '{cell_text(value)}'.")


def _whole(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


class _Lookup:
    """What is in the database already, by the keys a spreadsheet uses."""

    def __init__(self, session: Session) -> None:
        self.agencies: dict[str, tuple[str, str, str]] = {}  # key -> (id, name, sector)
        for aid, name, short, sector in session.execute(
            select(Agency.id, Agency.name, Agency.short_name, Agency.sector).where(
                Agency.deleted_at.is_(None)
            )
        ):
            self.agencies.setdefault(name.lower(), (aid, name, sector))
            if short:
                self.agencies.setdefault(short.lower(), (aid, name, sector))
        self.roles: dict[tuple[str, str], tuple[str, str | None]] = {}  # (name, agency id|"")
        for rid, name, agency_id in session.execute(
            select(StaffRole.id, StaffRole.name, StaffRole.agency_id).where(
                StaffRole.deleted_at.is_(None)
            )
        ):
            self.roles[(name.lower(), agency_id or "")] = (rid, agency_id)
        self.courses: dict[str, tuple[str, str, date | None]] = {}  # code/title -> (id, code, from)
        for cid, code, title, offered in session.execute(
            select(Course.id, Course.code, Course.title, Course.offered_from).where(
                Course.deleted_at.is_(None)
            )
        ):
            self.courses.setdefault(code.lower(), (cid, code, offered))
            self.courses.setdefault(title.lower(), (cid, code, offered))
        self.levels = {
            n: lid
            for lid, n in session.execute(
                select(CourseLevel.id, CourseLevel.number).where(CourseLevel.deleted_at.is_(None))
            )
        }
        self.trainees_by_email: dict[str, tuple[str, str, str, bool]] = {}
        self.trainees_by_name: dict[tuple[str, str], list[tuple[str, bool]]] = defaultdict(list)
        for tid, name, agency_id, email, active in session.execute(
            select(
                Trainee.id, Trainee.name, Trainee.agency_id, Trainee.email, Trainee.active
            ).where(Trainee.deleted_at.is_(None))
        ):
            if email:
                self.trainees_by_email[email.lower()] = (tid, name, agency_id, bool(active))
            self.trainees_by_name[(name.lower(), agency_id)].append((tid, bool(active)))
        self.sessions: dict[tuple[str, date], list[tuple[str, str, int]]] = defaultdict(list)
        for sid, cid, on, venue, capacity in session.execute(
            select(
                TrainingSession.id,
                TrainingSession.course_id,
                TrainingSession.session_date,
                TrainingSession.venue,
                TrainingSession.capacity,
            ).where(TrainingSession.deleted_at.is_(None))
        ):
            self.sessions[(cid, on)].append((sid, venue, capacity))
        self.attendance: dict[tuple[str, str], str] = {}
        self.taken: Counter[str] = Counter()
        for sid, tid, status in session.execute(
            select(Attendance.session_id, Attendance.trainee_id, Attendance.status).where(
                Attendance.deleted_at.is_(None)
            )
        ):
            self.attendance[(sid, tid)] = status
            if status in svc.PLACE_STATUSES:
                self.taken[sid] += 1


def _agency_key(plan: ImportPlan, look: _Lookup, name: str) -> tuple[str, str]:
    """(key for the agency, its sector); an unknown one is listed to be created."""
    found = look.agencies.get(name.lower())
    if found is not None:
        return found[0], found[2]
    key = f"new:{name.lower()}"
    plan.agencies.setdefault(key, name)
    return key, "other"


def _role_key(
    plan: ImportPlan, look: _Lookup, name: str, agency_key: str, sector: str
) -> str | None:
    """The role's id, or a key for a new role at the agency (listed to be created)."""
    if not name:
        return None
    found = look.roles.get((name.lower(), agency_key)) or look.roles.get((name.lower(), ""))
    if found is not None:
        return found[0]
    spec = plan.roles.setdefault(
        (name.lower(), agency_key),
        {
            "key": f"new:{name.lower()}@{agency_key}",
            "name": name,
            "agency": agency_key,
            "sector": sector,
        },
    )
    return spec["key"]


def _plan_courses(plan: ImportPlan, look: _Lookup, sheets: TrainingSheets) -> None:
    """Courses listed on a Courses sheet and missing from the database (made on import)."""
    for spec in sheets.courses:
        code = " ".join(spec.get("code", "").split())
        if not code or code.lower() in look.courses:
            continue
        plan.courses[code.lower()] = spec


def plan_import(
    session: Session, sheets: TrainingSheets, *, today: date | None = None
) -> ImportPlan:
    """Check every row against the rules and the database (nothing is written)."""
    today = today or date.today()
    look = _Lookup(session)
    plan = ImportPlan([], [], [], [], [], 0, 0, sheets.describe_mapping(), list(sheets.notices))
    _plan_courses(plan, look, sheets)
    new_levels = {
        int(n)
        for spec in plan.courses.values()
        if (n := _whole(spec.get("level", ""))) is not None and n not in look.levels
    }
    plan.new_levels = [f"Level {n}" for n in sorted(new_levels)]
    file_people: dict[str, tuple[str, str]] = {}  # trainee key -> (agency key, where)

    names_known = {name for name, _ in look.trainees_by_name}

    def trainee_key(
        row: list[Any], m: HeaderMapping, where: str, errors: list[str], warnings: list[str]
    ) -> str | None:
        name = " ".join(m.text(row, "name").split())
        if not name:
            errors.append("The trainee's name is empty.")
            return None
        if len(name) > 120:
            errors.append("The trainee's name is longer than 120 characters.")
            return None
        email = "".join(m.text(row, "email").split())
        if email:
            try:
                email = svc.check_email(email)
            except ValidationError as exc:
                errors.append(str(exc))
                return None
        agency_name = " ".join(m.text(row, "agency").split())
        agency_key = sector = None
        if agency_name:
            agency_key, sector = _agency_key(plan, look, agency_name)
        if email and email.lower() in look.trainees_by_email:
            tid, known_name, known_agency, active = look.trainees_by_email[email.lower()]
            if agency_key and agency_key != known_agency:
                errors.append(
                    f"{email} is the e-mail address of {known_name} at another agency: a person "
                    "can be in one agency only."
                )
                return None
            return tid
        if not agency_key:
            errors.append("The agency is empty.")
            return None
        if not email:
            same = look.trainees_by_name.get((name.lower(), agency_key), [])
            if len(same) > 1:
                errors.append(
                    f"{len(same)} trainees are called {name} at {agency_name}; add an e-mail "
                    "column to say which."
                )
                return None
            if same:
                return same[0][0]
        key = f"new:{email.lower()}" if email else f"new:{name.lower()}@{agency_key}"
        if key in plan.trainees:
            first_agency, first_where = file_people[key]
            if first_agency != agency_key:
                errors.append(f"The same person is listed at another agency on {first_where}.")
                return None
            return key
        role_key = _role_key(
            plan, look, " ".join(m.text(row, "role").split()), agency_key, sector or "other"
        )
        try:
            active = _bool(m.value(row, "active"), "In post")
        except ValueError as exc:
            errors.append(str(exc))
            active = True
        if name.lower() in names_known:
            warnings.append(f"Another trainee is called {name}; both are kept.")
        names_known.add(name.lower())
        plan.trainees[key] = {
            "name": name,
            "email": email,
            "agency": agency_key,
            "role": role_key,
            "active": active,
        }
        file_people[key] = (agency_key, where)
        return key

    # ---- the trainee list
    if sheets.trainees is not None and sheets.trainees_mapping is not None:
        table, m = sheets.trainees, sheets.trainees_mapping
        for r in range(sheets.trainees_header + 1, len(table.rows)):
            if table.is_blank_row(r):
                continue
            row, where = table.rows[r], table.where(r)
            errors: list[str] = []
            warnings: list[str] = []
            before = set(plan.trainees)
            key = trainee_key(row, m, where, errors, warnings)
            name = " ".join(m.text(row, "name").split())
            if errors:
                action = "error"
            elif key is not None and key not in before and key.startswith("new:"):
                action = "add"
            else:
                action, warnings = "skip", ["Already in the database (or earlier in the file)."]
            plan.rows.append(
                PlannedRow(where, "trainee", name, action, {"key": key}, errors, warnings)
            )

    # ---- the attendance list
    if sheets.attendance is not None and sheets.attendance_mapping is not None:
        table, m = sheets.attendance, sheets.attendance_mapping
        seen: dict[tuple[str, str], str] = {}
        planned_taken: Counter[str] = Counter()
        for r in range(sheets.attendance_header + 1, len(table.rows)):
            if table.is_blank_row(r):
                continue
            row, where = table.rows[r], table.where(r)
            errors = []
            warnings = []
            values: dict[str, Any] = {}
            name = " ".join(m.text(row, "name").split())
            tkey = trainee_key(row, m, where, errors, warnings)
            course_text = " ".join(m.text(row, "course").split())
            course_key = offered = None
            code = course_text
            if not course_text:
                errors.append("The course is empty.")
            elif course_text.lower() in look.courses:
                course_key, code, offered = look.courses[course_text.lower()]
            elif course_text.lower() in plan.courses:
                spec = plan.courses[course_text.lower()]
                course_key = f"new:{course_text.lower()}"
                try:
                    offered = _date(spec.get("offered_from"), "Offered from")
                except ValueError:
                    offered = None
                if _whole(spec.get("level", "")) is None:
                    errors.append(
                        f"The course {course_text} on the Courses sheet ({spec.get('where')}) has "
                        "no level number, so it cannot be added."
                    )
            else:
                errors.append(
                    f"There is no course '{course_text}' in the database; add it under Training > "
                    "Courses first, then import again."
                )
            on = None
            try:
                on = _date(m.value(row, "session_date"), "The session date")
                completed = _date(m.value(row, "completed_on"), "The completion date")
            except ValueError as exc:
                errors.append(str(exc))
                completed = None
            if on is None and not any("session date" in e for e in errors):
                errors.append("The session date is empty.")
            raw = " ".join(m.text(row, "status").lower().split())
            status = STATUS_WORDS.get(raw) if raw else "attended"
            if status is None:
                errors.append(
                    f"'{m.text(row, 'status')}' is not an outcome dvcoord knows; use attended, "
                    "did not attend, cancelled or booked."
                )
                status = "attended"
            label = f"{name} \u2013 {code}" + (f" on {format_date(on)}" if on else "")
            if on is not None:
                if on.year < svc.MIN_YEAR:
                    errors.append(f"The session date {format_date(on)} is before {svc.MIN_YEAR}.")
                if offered is not None and on < offered:
                    errors.append(
                        f"{code} was first offered on {format_date(offered)}; a session on "
                        f"{format_date(on)} would be before the course existed."
                    )
                if status in ("attended", "did not attend") and on > today:
                    errors.append(
                        f"The session on {format_date(on)} has not happened yet, so the trainee "
                        f"cannot be marked {status}."
                    )
                if status == "attended" and on <= today:
                    completed = completed or on
                    if completed < on:
                        errors.append(
                            f"The completion date {format_date(completed)} is before the session "
                            f"on {format_date(on)}."
                        )
                    elif completed > today:
                        errors.append(
                            f"The completion date {format_date(completed)} is in the future."
                        )
                elif completed is not None and status != "attended":
                    errors.append(f"The outcome is {status}, so there is no completion date.")
                    completed = None
            venue = " ".join(m.text(row, "venue").split())[:200]
            capacity = _whole(m.text(row, "capacity")) or 0
            action = "add"
            session_key: Any = None
            if course_key and on is not None and not errors:
                existing = look.sessions.get((course_key, on), [])
                if len(existing) > 1 and venue:
                    existing = [e for e in existing if e[1].lower() == venue.lower()] or existing
                if len(existing) > 1:
                    errors.append(
                        f"There are {len(existing)} sessions of {code} on {format_date(on)}; add a "
                        "Venue column to say which."
                    )
                elif existing:
                    session_key, _, places = existing[0]
                    values["capacity"] = places
                else:
                    session_key = (course_key, on, venue.lower())
                    spec = plan.sessions.setdefault(
                        session_key,
                        {
                            "course": course_key,
                            "date": on,
                            "venue": venue,
                            "capacity": 0,
                            "rows": 0,
                        },
                    )
                    spec["capacity"] = max(spec["capacity"], capacity)
            if session_key is not None and tkey is not None and not errors:
                pair = (str(session_key), tkey)
                if pair in seen:
                    errors.append(f"{name} is already listed for this session on {seen[pair]}.")
                else:
                    seen[pair] = where
                    current = (
                        look.attendance.get((session_key, tkey))
                        if isinstance(session_key, str)
                        else None
                    )
                    if current == status:
                        action = "skip"
                        warnings = ["Already recorded."]
                    elif current not in (None, "booked"):
                        errors.append(
                            f"{name} is already recorded as {current} for this session; the file "
                            f"says {status}."
                        )
                    elif current == "booked":
                        action = "update"
                    places = values.get("capacity")
                    if (
                        not errors
                        and action == "add"
                        and status in svc.PLACE_STATUSES
                        and isinstance(session_key, str)
                        and places is not None
                    ):
                        planned_taken[session_key] += 1
                        if look.taken[session_key] + planned_taken[session_key] > places:
                            errors.append(
                                f"The session of {code} on {format_date(on)} has {places} places "
                                f"and they are all taken; raise its capacity first."
                            )
                            planned_taken[session_key] -= 1
            if errors:
                action = "error"
            elif not isinstance(session_key, str) and session_key is not None and action == "add":
                plan.sessions[session_key]["rows"] += 1
            values.update(
                trainee=tkey, session=session_key, status=status, completed=completed, code=code
            )
            plan.rows.append(
                PlannedRow(where, "attendance", label, action, values, errors, warnings)
            )

    used_sessions = {
        r.values["session"] for r in plan.rows if r.kind == "attendance" and r.action == "add"
    }
    plan.sessions = {k: v for k, v in plan.sessions.items() if k in used_sessions}
    used_trainees = {
        r.values.get("key") for r in plan.rows if r.kind == "trainee" and r.action == "add"
    } | {r.values.get("trainee") for r in plan.to_write if r.kind == "attendance"}
    plan.trainees = {k: v for k, v in plan.trainees.items() if k in used_trainees}
    used_roles = {t["role"] for t in plan.trainees.values()}
    plan.roles = {k: v for k, v in plan.roles.items() if v["key"] in used_roles}
    used_agencies = {t["agency"] for t in plan.trainees.values()}
    plan.agencies = {k: v for k, v in plan.agencies.items() if k in used_agencies}
    plan.new_agencies = sorted(plan.agencies.values(), key=str.lower)
    plan.new_roles = sorted({v["name"] for v in plan.roles.values()}, key=str.lower)
    used_courses = {k[0] for k in plan.sessions}
    plan.courses = {k: v for k, v in plan.courses.items() if f"new:{k}" in used_courses}
    plan.new_courses = sorted((v.get("code", "") for v in plan.courses.values()), key=str.lower)
    plan.new_levels = [
        lvl
        for lvl in plan.new_levels
        if any(f"Level {_whole(v.get('level', ''))}" == lvl for v in plan.courses.values())
    ]
    plan.new_trainees = len(plan.trainees)
    plan.new_sessions = len(plan.sessions)
    return plan


# --------------------------------------------------------------------------- applying
def _requires(
    text: str, courses: dict[str, str], levels: dict[int, str]
) -> tuple[list[str], list[str]]:
    """Course and level ids from "AWR-1, DASH-2, any level 3" (as the Roles sheet says)."""
    course_ids, level_ids = [], []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        level = _LEVEL_REQ.match(part)
        if level and int(level.group(1)) in levels:
            level_ids.append(levels[int(level.group(1))])
        elif part.lower() in courses:
            course_ids.append(courses[part.lower()])
    return course_ids, level_ids


def apply_import(
    session: Session,
    plan: ImportPlan,
    sheets: TrainingSheets,
    *,
    skip_errors: bool = False,
    today: date | None = None,
) -> ImportSummary:
    """Write the rows planned as "add" or "update" (in the caller's transaction)."""
    today = today or date.today()
    if plan.errors and not skip_errors:
        raise DvcoordError(
            f"{len(plan.errors)} row(s) have errors; correct them, or import only the rows "
            "without errors."
        )
    ids: dict[str, str] = {}

    def wrap(where: str, fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            raise DvcoordError(f"{where}: {exc}") from None

    for key, name in plan.agencies.items():
        sector = next(
            (
                spec["sector"]
                for spec in sheets.roles
                if spec.get("agency", "").lower() == name.lower() and spec.get("sector") in SECTORS
            ),
            "other",
        )
        ids[key] = wrap(name, ag.create_agency, session, name=name, sector=sector).id
    # levels and topics for new courses
    levels = {lvl.number: lvl.id for lvl in svc.list_levels(session)}
    topics = {t.name.lower(): t.id for t in svc.list_topics(session)}
    for spec in plan.courses.values():
        number = _whole(spec.get("level", ""))
        if number is not None and number not in levels:
            levels[number] = wrap(
                spec.get("where", ""),
                svc.create_level,
                session,
                number=number,
                name=spec.get("level_name") or f"Level {number}",
            ).id
        topic = " ".join(spec.get("topic", "").split())
        if topic and topic.lower() not in topics:
            topics[topic.lower()] = wrap(
                spec.get("where", ""), svc.create_topic, session, name=topic
            ).id
    for key, spec in plan.courses.items():
        course = wrap(
            spec.get("where", ""),
            svc.create_course,
            session,
            code=spec.get("code", ""),
            title=spec.get("title") or spec.get("code", ""),
            level_id=levels.get(_whole(spec.get("level", "")) or -1),
            topic_id=topics.get(spec.get("topic", "").strip().lower()),
            delivery=spec.get("delivery") or "classroom",
            duration_minutes=spec.get("duration_minutes") or None,
            refresher_months=spec.get("refresher_months") or None,
            offered_from=_date(spec.get("offered_from"), "Offered from"),
            provider=spec.get("provider", ""),
            active=_bool(spec.get("active"), "Offered now"),
            today=today,
        )
        ids[f"new:{key}"] = course.id
    course_ids = {c.code.lower(): c.course_id for c in svc.list_courses(session)}
    role_specs = {
        (spec.get("role", "").lower(), spec.get("agency", "").lower()): spec
        for spec in sheets.roles
    }
    for spec in plan.roles.values():
        agency_id = ids.get(spec["agency"], spec["agency"])
        agency_name = session.get(Agency, agency_id).name
        sheet = role_specs.get((spec["name"].lower(), agency_name.lower()), {})
        need_courses, need_levels = _requires(sheet.get("requires", ""), course_ids, levels)
        ids[spec["key"]] = wrap(
            spec["name"],
            svc.create_role,
            session,
            name=spec["name"],
            agency_id=agency_id,
            sector=sheet.get("sector") if sheet.get("sector") in SECTORS else spec["sector"],
            course_ids=need_courses,
            level_ids=need_levels,
        ).id
    leavers = []
    for key, spec in plan.trainees.items():
        trainee = wrap(
            spec["name"],
            svc.create_trainee,
            session,
            name=spec["name"],
            agency_id=ids.get(spec["agency"], spec["agency"]),
            role_id=ids.get(spec["role"], spec["role"]) if spec["role"] else None,
            email=spec["email"],
        ).trainee
        ids[key] = trainee.id
        if not spec["active"]:
            leavers.append(trainee.id)
    for key, spec in plan.sessions.items():
        ids[str(key)] = wrap(
            f"{format_date(spec['date'])}",
            svc.create_session,
            session,
            course_id=ids.get(spec["course"], spec["course"]),
            session_date=spec["date"],
            venue=spec["venue"],
            capacity=min(svc.MAX_CAPACITY, max(spec["capacity"], spec["rows"], 1)),
            today=today,
        ).id
    by_session: dict[str, list[tuple[str, svc.AttendanceEntry]]] = defaultdict(list)
    added = updated = 0
    for row in plan.to_write:
        if row.kind != "attendance":
            continue
        v = row.values
        sid = v["session"] if isinstance(v["session"], str) else ids[str(v["session"])]
        tid = ids.get(v["trainee"], v["trainee"])
        by_session[sid].append((row.where, svc.AttendanceEntry(tid, v["status"], v["completed"])))
        added += row.action == "add"
        updated += row.action == "update"
    for sid, entries in by_session.items():
        wrap(
            entries[0][0],
            svc.record_attendance,
            session,
            sid,
            [e for _, e in entries],
            today=today,
        )
    for tid in leavers:
        svc.update_trainee(session, tid, active=False)
    return ImportSummary(
        trainees=len(plan.trainees),
        attendance=added,
        updated=updated,
        sessions=len(plan.sessions),
        new_agencies=tuple(plan.new_agencies),
        new_roles=tuple(plan.new_roles),
        new_courses=tuple(plan.new_courses),
    )


def import_training_file(
    db,  # noqa: ANN001 - dvcoord.store.Database
    path: Path | str,
    *,
    dry_run: bool = False,
    skip_errors: bool = False,
    today: date | None = None,
) -> tuple[TrainingSheets, ImportPlan, ImportSummary | None]:
    """Read, plan and (unless ``dry_run``) apply an import, backing up the database first."""
    sheets = read_training_file(path)
    with db.session() as s:
        plan = plan_import(s, sheets, today=today)
    if dry_run or not plan.to_write or (plan.errors and not skip_errors):
        return sheets, plan, None
    from dvcoord.store import backups

    backups.take_backup(db.path, reason="before-import")
    with db.transaction() as s:
        summary = apply_import(s, plan, sheets, skip_errors=skip_errors, today=today)
    log.info(
        "imported %d trainee(s) and %d attendance record(s) from %s",
        summary.trainees,
        summary.attendance + summary.updated,
        Path(path).name,
    )
    return sheets, plan, summary
