"""Training: courses at levels and topics, trainers, staff roles and what they need,
trainees, sessions, attendance, and the training matrix derived from them.

Every write function takes a :class:`~sqlalchemy.orm.Session` inside the caller's
transaction (``with db.transaction() as s: create_course(s, ...)``), validates everything
before it changes anything and raises :class:`~dvcoord.errors.ValidationError` with the
offending ``field`` and one UK-English sentence, so a refused call leaves nothing behind.

The matrix
----------
Not stored: :func:`training_matrix` derives it with one query for the trainees and one
grouped query for every trainee's latest completion of every course, whatever the size
of the partnership.  A trainee's *requirements* come from their role: a course, or any
course of a level.  Each required cell is

* **done** (``✓``) - completed, and the refresher (if the course has one) is not due
  within the warning window;
* **expiring** (``!``) - the refresher is due within the warning window (default 60 days,
  setting ``training.warning_days`` in the database's meta table), the due day included;
* **expired** (``✗``) - the refresher was due before today;
* **missing** (``–``) - never completed.

A course the trainee completed but does not need is shown as **extra**.  The refresher
is due ``refresher_months`` after the completion date (31/01 + 1 month = 28/02); a course
without a refresher never goes stale.  Compliance is (done + expiring) / required.

Bad input the rules refuse: a session or attendance before the course was first offered
(it did not exist), a session over its capacity, a trainee whose role or e-mail address
belongs to another agency (one person, two agencies), a refresher interval of 0 or
negative, impossible or implausible dates.  Two trainees may share a name: that is
allowed, and comes back as a :class:`FieldWarning` and as ``MatrixRow.same_name``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import String, and_, case, func, select, type_coerce
from sqlalchemy.orm import Session

from dvcoord.errors import ValidationError
from dvcoord.services._plancommon import check_date, set_fields
from dvcoord.services.common import FieldWarning
from dvcoord.services.dates import (
    add_months,
    format_date,
    quarter_label,
    quarter_of,
    quarter_range,
)
from dvcoord.store.base import utcnow
from dvcoord.store.schema.core import Meta
from dvcoord.store.schema.plans import SECTORS, Agency
from dvcoord.store.schema.training import (
    ATTENDANCE_STATUSES,
    DELIVERY_MODES,
    PLACE_STATUSES,
    Attendance,
    Course,
    CourseLevel,
    RoleRequirement,
    SessionTrainer,
    StaffRole,
    Topic,
    Trainee,
    Trainer,
    TrainerCourse,
    TrainingSession,
)

__all__ = [
    "ATTENDANCE_STATUSES",
    "DEFAULT_LEVELS",
    "DEFAULT_TOPICS",
    "DEFAULT_WARNING_DAYS",
    "DELIVERY_MODES",
    "MARKS",
    "META_WARNING_DAYS",
    "SECTORS",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "STATUS_MEANINGS",
    "AttendanceEntry",
    "AttendanceRow",
    "CapacityWarning",
    "Cell",
    "CellHistory",
    "ComplianceRow",
    "CourseRow",
    "ExpiringRow",
    "HistoryRecord",
    "Matrix",
    "MatrixColumn",
    "MatrixRow",
    "RoleRow",
    "SessionRow",
    "TraineeResult",
    "TraineeRow",
    "TrainerRow",
    "book_trainees",
    "capacity_warnings",
    "check_email",
    "cell_history",
    "cell_status",
    "compliance_by_agency",
    "compliance_by_column",
    "compliance_by_sector",
    "compliance_overall",
    "create_course",
    "create_level",
    "create_role",
    "create_session",
    "create_topic",
    "create_trainee",
    "create_trainer",
    "dashboard_tiles",
    "delete_course",
    "delete_level",
    "delete_role",
    "delete_session",
    "delete_topic",
    "delete_trainee",
    "delete_trainer",
    "expiring",
    "expiring_list",
    "format_duration",
    "list_courses",
    "list_levels",
    "list_roles",
    "list_sessions",
    "list_topics",
    "list_trainees",
    "list_trainers",
    "record_attendance",
    "remove_attendance",
    "requirements_of",
    "same_name_groups",
    "same_name_warning",
    "seed_default_lists",
    "session_attendance",
    "sessions_for_booking",
    "set_requirements",
    "set_trainer_courses",
    "set_warning_days",
    "trainee_problems",
    "training_matrix",
    "update_course",
    "update_level",
    "update_role",
    "update_session",
    "update_topic",
    "update_trainee",
    "update_trainer",
    "warning_days",
    "who_needs",
    "get_course",
    "get_role",
    "get_session",
    "get_trainee",
    "get_trainer",
    "session_trainer_ids",
    "trainers_for_course",
    "PLACE_STATUSES",
]

META_WARNING_DAYS = "training.warning_days"
DEFAULT_WARNING_DAYS = 60
MAX_WARNING_DAYS = 365

#: The three levels of the DOMAIN: (number, name, description).
DEFAULT_LEVELS = (
    (1, "Awareness", "Basic awareness of domestic abuse for every front-line worker."),
    (
        2,
        "Risk identification (DASH)",
        "Identifying risk with the DASH checklist, referring to MARAC and specialist services.",
    ),
    (
        3,
        "MARAC and specialist practice",
        "For MARAC representatives, IDVAs and specialist practitioners.",
    ),
)
#: The twelve topics of one county's training manual (DOMAIN.md "Training matrix").
DEFAULT_TOPICS = (
    "Overview and dynamics of domestic abuse",
    "Adult victims",
    "Children and young people",
    "Perpetrators",
    "Substance misuse",
    "Specialised needs",
    "Civil and criminal law",
    "Multi-agency roles",
    "Domestic abuse in the workplace",
    "What health professionals need to know",
    "The role of education",
    "Housing and benefits",
)

DONE, EXPIRING, EXPIRED, MISSING, EXTRA = "done", "expiring", "expired", "missing", "extra"
REQUIRED_STATUSES = (DONE, EXPIRING, EXPIRED, MISSING)
#: The mark printed with each status (colour is never the only signal).
MARKS = {DONE: "\u2713", EXPIRING: "!", EXPIRED: "\u2717", MISSING: "\u2013", EXTRA: "\u2713"}
#: Cell colours shared by the screen, the PDF and the spreadsheet (light tints, so the
#: mark and the date stay readable in black on every one of them).
STATUS_COLOURS = {
    DONE: "#C8E6C9",
    EXPIRING: "#FFE08A",
    EXPIRED: "#F19C94",
    MISSING: "#F9D6D2",
    EXTRA: "#FFFFFF",
}
#: What each status means, for keys printed beside a matrix.
STATUS_MEANINGS = {
    DONE: "Done: completed, refresher not due within the warning window",
    EXPIRING: "Expiring: the refresher is due within the warning window",
    EXPIRED: "Expired: the refresher date has passed",
    MISSING: "Missing: required but never completed",
    EXTRA: "Completed, but not required for the role (grey, not coloured)",
}
STATUS_LABELS = {
    DONE: "Done",
    EXPIRING: "Expiring",
    EXPIRED: "Expired",
    MISSING: "Missing",
    EXTRA: "Done (not required)",
}

MIN_YEAR = 1990
MAX_YEARS_AHEAD = 3
MAX_CAPACITY = 500
MAX_REFRESHER = 120
_EMAIL_RE = re.compile(r"^[^\s@,;<>]+@[^\s@,;<>]+\.[A-Za-z]{2,}$")
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/&+\-]*$")


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class TraineeResult:
    trainee: Trainee
    warnings: tuple[FieldWarning, ...] = ()


@dataclass(frozen=True)
class CourseRow:
    course_id: str
    code: str
    title: str
    level_id: str
    level_number: int
    level_name: str
    topic: str
    provider: str
    duration_minutes: int | None
    delivery: str
    refresher_months: int | None
    offered_from: date | None
    active: bool
    sessions: int
    trainers: int


@dataclass(frozen=True)
class TrainerRow:
    trainer_id: str
    name: str
    agency: str
    email: str
    authorised_until: date | None
    active: bool
    course_ids: tuple[str, ...]
    courses: str  # codes, comma separated


@dataclass(frozen=True)
class RoleRow:
    role_id: str
    name: str
    agency_id: str | None
    agency: str
    sector: str
    trainees: int
    course_ids: tuple[str, ...]
    level_ids: tuple[str, ...]
    requirements: str  # "L2 (any), AWR-1, DASH-2"


@dataclass(frozen=True)
class TraineeRow:
    trainee_id: str
    name: str
    agency_id: str
    agency: str
    sector: str
    role_id: str | None
    role: str
    email: str
    active: bool
    same_name: int  # how many other live trainees share the name


@dataclass(frozen=True)
class SessionRow:
    session_id: str
    session_date: date
    course_id: str
    code: str
    title: str
    level_number: int
    venue: str
    capacity: int
    trainers: str
    booked: int
    attended: int
    did_not_attend: int
    cancelled: int

    @property
    def taken(self) -> int:
        return self.booked + self.attended + self.did_not_attend

    @property
    def places_left(self) -> int:
        return self.capacity - self.taken

    @property
    def course_label(self) -> str:
        return f"{self.code} \u2013 {self.title}"


@dataclass(frozen=True)
class AttendanceRow:
    attendance_id: str
    session_id: str
    trainee_id: str
    name: str
    agency: str
    role: str
    status: str
    completed_on: date | None


@dataclass(frozen=True)
class AttendanceEntry:
    """One line of an attendance checklist: who, and what happened."""

    trainee_id: str
    status: str
    completed_on: date | None = None


@dataclass(frozen=True)
class CapacityWarning:
    session_id: str
    session_date: date
    course: str
    message: str
    severity: str  # "alert", "warning" or "info"


@dataclass(frozen=True)
class MatrixColumn:
    key: str  # a course id, or "level:<level id>" for "any course of this level"
    kind: str  # "course" or "level"
    code: str
    title: str
    level_id: str
    level_number: int
    level_name: str
    topic: str = ""
    refresher_months: int | None = None

    @property
    def label(self) -> str:
        return f"{self.code} \u2013 {self.title}"


@dataclass(frozen=True)
class MatrixRow:
    trainee_id: str
    name: str
    agency_id: str
    agency: str
    agency_short: str
    sector: str
    role_id: str | None
    role: str
    email: str
    active: bool
    same_name: bool


class Cell:
    """One trainee x column of the matrix (``None`` in the grid: not required, not done)."""

    __slots__ = ("completed", "due", "required", "status")

    def __init__(self, status: str, completed: date | None, due: date | None, required: bool):
        self.status = status
        self.completed = completed
        self.due = due
        self.required = required

    @property
    def mark(self) -> str:
        return MARKS[self.status]

    @property
    def text(self) -> str:
        """``"✓ 12/03/2024"``: the mark and the completion date (or just the mark)."""
        when = format_date(self.completed) if self.completed else ""
        if self.status == EXTRA:
            return f"({self.mark} {when})"
        return f"{self.mark} {when}".strip()

    def describe(self, today: date) -> str:
        """A sentence for tooltips and screen readers."""
        if self.status == MISSING:
            return "Required; never completed."
        text = f"Completed {format_date(self.completed)}"
        if self.due is None:
            text += "; no refresher needed"
        elif self.status == EXPIRED:
            text += f"; refresher was due {format_date(self.due)}"
            text += f" ({(today - self.due).days} days ago)"
        else:
            days = (self.due - today).days
            text += f"; refresher due {format_date(self.due)}"
            text += " (today)" if days == 0 else f" (in {days} days)"
        if self.status == EXTRA:
            text += "; not required for this role"
        return text + "."

    def __repr__(self) -> str:
        return f"Cell({self.status!r}, {self.completed}, {self.due}, {self.required})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cell) and (
            self.status,
            self.completed,
            self.due,
            self.required,
        ) == (other.status, other.completed, other.due, other.required)

    __hash__ = None  # type: ignore[assignment]


@dataclass
class Matrix:
    """Trainees x columns; ``cells[r][c]`` is a :class:`Cell` or None."""

    today: date
    warning_days: int
    columns: list[MatrixColumn]
    rows: list[MatrixRow]
    cells: list[list[Cell | None]]

    def column_index(self, key: str) -> int:
        for i, col in enumerate(self.columns):
            if col.key == key:
                return i
        raise KeyError(key)

    def row_index(self, trainee_id: str) -> int:
        for i, row in enumerate(self.rows):
            if row.trainee_id == trainee_id:
                return i
        raise KeyError(trainee_id)

    def cell(self, trainee_id: str, key: str) -> Cell | None:
        return self.cells[self.row_index(trainee_id)][self.column_index(key)]

    def row_counts(self, r: int) -> Counter[str]:
        """How many of row ``r``'s required cells have each status."""
        return Counter(c.status for c in self.cells[r] if c is not None and c.required)

    def used_columns(self, rows: Iterable[int], *, required_only: bool = False) -> list[int]:
        """Columns in which any of ``rows`` has a required cell (or, unless
        ``required_only``, any record at all)."""
        used: set[int] = set()
        for r in rows:
            used.update(
                i
                for i, c in enumerate(self.cells[r])
                if c is not None and (c.required or not required_only)
            )
        return sorted(used)


@dataclass(frozen=True)
class ComplianceRow:
    name: str
    sector: str
    trainees: int
    required: int
    done: int
    expiring: int
    expired: int
    missing: int
    compliant_trainees: int  # every required course done or expiring

    @property
    def compliant(self) -> int:
        return self.done + self.expiring

    @property
    def percent(self) -> float | None:
        """Compliance to one decimal place; None when nothing is required."""
        if not self.required:
            return None
        return round(100 * self.compliant / self.required, 1)


@dataclass(frozen=True)
class ExpiringRow:
    trainee_id: str
    name: str
    agency: str
    role: str
    column_key: str
    code: str
    course: str  # "CODE – title"
    completed: date | None
    due: date | None
    days_left: int
    status: str


@dataclass(frozen=True)
class HistoryRecord:
    attendance_id: str
    session_id: str
    session_date: date
    course: str
    venue: str
    status: str
    completed_on: date | None
    due: date | None


@dataclass(frozen=True)
class CellHistory:
    trainee: MatrixRow
    column: MatrixColumn
    cell: Cell | None
    records: list[HistoryRecord]
    course_ids: tuple[str, ...]  # the courses that count for this column


# --------------------------------------------------------------------------- helpers
def _live(model):  # noqa: ANN001, ANN202
    return model.deleted_at.is_(None)


def _text(value: Any, limit: int, field_name: str, label: str, *, required: bool = False) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationError(f"Enter {label}.", field=field_name)
    if len(text) > limit:
        raise ValidationError(
            f"{label[0].upper()}{label[1:]} must be {limit} characters or fewer.", field=field_name
        )
    return text


def _notes(value: Any) -> str:
    text = str(value or "").strip()
    if len(text) > 10_000:
        raise ValidationError("Notes must be 10,000 characters or fewer.", field="notes")
    return text


def _whole(value: Any, field_name: str, message: str, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ValidationError(message, field=field_name)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(message, field=field_name) from None
    if not low <= number <= high:
        raise ValidationError(message, field=field_name)
    return number


def _optional_whole(value: Any, field_name: str, message: str, low: int, high: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _whole(value, field_name, message, low, high)


def _plausible(  # noqa: ANN202
    value: Any,
    field_name: str,
    label: str,
    today: date,
    *,
    required: bool = False,
    years_ahead: int = MAX_YEARS_AHEAD,
):
    """A real date (date or dd/mm/yyyy text) from 1990 to ``years_ahead`` years ahead."""
    found = check_date(value, field=field_name, label=label, required=required)
    if found is None:
        if required:
            raise ValidationError(f"{label} is needed.", field=field_name)
        return None
    if found.year < MIN_YEAR:
        raise ValidationError(
            f"{label} {format_date(found)} is before {MIN_YEAR}; check the year.", field=field_name
        )
    latest = add_months(today, 12 * years_ahead)
    if found > latest:
        raise ValidationError(
            f"{label} {format_date(found)} is more than {years_ahead} years ahead; check the year.",
            field=field_name,
        )
    return found


def check_email(value: Any) -> str:
    """An e-mail address without spaces, or "" (ValidationError on field ``email``)."""
    text = "".join(str(value or "").split())
    if not text:
        return ""
    if len(text) > 200 or not _EMAIL_RE.match(text):
        raise ValidationError(
            f"'{text}' is not an e-mail address; leave it empty or enter one like "
            "name@example.org.",
            field="email",
        )
    return text


def _get(session: Session, model: type, row_id: str | None, what: str, field_name: str):  # noqa: ANN202
    found = session.get(model, row_id) if row_id else None
    if found is None or found.deleted_at is not None:
        raise ValidationError(f"That {what} is no longer in the database.", field=field_name)
    return found


def _agency(session: Session, agency_id: str | None, field_name: str = "agency") -> Agency:
    if not agency_id:
        raise ValidationError("Choose the agency.", field=field_name)
    return _get(session, Agency, agency_id, "agency", field_name)


def _flush(session: Session, note: str) -> None:
    previous = session.info.get("audit_note", "")
    session.info["audit_note"] = note
    try:
        session.flush()
    finally:
        session.info["audit_note"] = previous


def _unknown(changes: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"unknown {what} fields: {sorted(unknown)}")


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value  # type: ignore[return-value]
    return date.fromisoformat(str(value)[:10])


def format_duration(minutes: int | None) -> str:
    """``90`` -> ``"1 h 30 min"``; None -> ``""``."""
    if not minutes:
        return ""
    hours, mins = divmod(int(minutes), 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


# --------------------------------------------------------------------------- settings
def warning_days(session: Session) -> int:
    """Days before a refresher is due that a cell turns "expiring" (default 60)."""
    row = session.get(Meta, META_WARNING_DAYS)
    try:
        value = int(row.value) if row is not None else DEFAULT_WARNING_DAYS
    except ValueError:
        return DEFAULT_WARNING_DAYS
    return value if 0 <= value <= MAX_WARNING_DAYS else DEFAULT_WARNING_DAYS


def set_warning_days(session: Session, value: int | str) -> int:
    number = _whole(
        value,
        "warning_days",
        f"The warning window must be a whole number of days from 0 to {MAX_WARNING_DAYS}.",
        0,
        MAX_WARNING_DAYS,
    )
    session.merge(Meta(key=META_WARNING_DAYS, value=str(number)))
    session.flush()
    return number


# --------------------------------------------------------------------------- levels, topics
def list_levels(session: Session) -> list[CourseLevel]:
    return list(
        session.scalars(select(CourseLevel).where(_live(CourseLevel)).order_by(CourseLevel.number))
    )


def list_topics(session: Session) -> list[Topic]:
    return list(
        session.scalars(
            select(Topic).where(_live(Topic)).order_by(Topic.position, func.lower(Topic.name))
        )
    )


def _level_values(
    session: Session, number: Any, name: Any, description: Any, exclude_id: str | None
) -> tuple[int, str, str]:
    num = _whole(number, "number", "A level's number must be a whole number from 1 to 9.", 1, 9)
    text = _text(name, 200, "name", "the level's name", required=True)
    others = and_(_live(CourseLevel), CourseLevel.id != (exclude_id or ""))
    clash = session.scalar(select(CourseLevel.name).where(others, CourseLevel.number == num))
    if clash:
        raise ValidationError(f"Level {num} already exists ({clash}).", field="number")
    clash = session.scalar(
        select(CourseLevel.number).where(others, func.lower(CourseLevel.name) == text.lower())
    )
    if clash is not None:
        raise ValidationError(f"Level {clash} is already called '{text}'.", field="name")
    return num, text, _notes(description)


def create_level(session: Session, *, number: int | str, name: str, description: str = ""):  # noqa: ANN201
    num, text, desc = _level_values(session, number, name, description, None)
    level = CourseLevel(number=num, name=text, description=desc)
    session.add(level)
    _flush(session, "training level added")
    return level


def update_level(session: Session, level_id: str, **changes: Any) -> CourseLevel:
    _unknown(changes, {"number", "name", "description"}, "level")
    level = _get(session, CourseLevel, level_id, "level", "level")
    num, text, desc = _level_values(
        session,
        changes.get("number", level.number),
        changes.get("name", level.name),
        changes.get("description", level.description),
        level.id,
    )
    set_fields(level, {"number": num, "name": text, "description": desc})
    _flush(session, "training level changed")
    return level


def delete_level(session: Session, level_id: str) -> None:
    level = _get(session, CourseLevel, level_id, "level", "level")
    used = session.scalar(select(func.count()).where(Course.level_id == level.id, _live(Course)))
    if used:
        raise ValidationError(
            f"{used} course(s) are at level {level.number}; move them to another level first.",
            field="level",
        )
    when = utcnow()
    for req in session.scalars(
        select(RoleRequirement).where(RoleRequirement.level_id == level.id, _live(RoleRequirement))
    ):
        req.deleted_at = when
    level.deleted_at = when
    _flush(session, "training level deleted")


def _topic_values(session: Session, name: Any, exclude_id: str | None) -> str:
    text = _text(name, 200, "name", "the topic", required=True)
    clash = session.scalar(
        select(Topic.id).where(
            _live(Topic), func.lower(Topic.name) == text.lower(), Topic.id != (exclude_id or "")
        )
    )
    if clash:
        raise ValidationError(f"There is already a topic called '{text}'.", field="name")
    return text


def create_topic(session: Session, *, name: str, description: str = "") -> Topic:
    text = _topic_values(session, name, None)
    last = session.scalar(select(func.max(Topic.position)).where(_live(Topic)))
    topic = Topic(name=text, description=_notes(description), position=(last or 0) + 1)
    session.add(topic)
    _flush(session, "training topic added")
    return topic


def update_topic(session: Session, topic_id: str, **changes: Any) -> Topic:
    _unknown(changes, {"name", "description", "position"}, "topic")
    topic = _get(session, Topic, topic_id, "topic", "topic")
    values: dict[str, Any] = {
        "name": _topic_values(session, changes.get("name", topic.name), topic.id)
    }
    if "description" in changes:
        values["description"] = _notes(changes["description"])
    if "position" in changes:
        values["position"] = _whole(
            changes["position"], "position", "A position is a whole number.", 0, 10_000
        )
    set_fields(topic, values)
    _flush(session, "training topic changed")
    return topic


def delete_topic(session: Session, topic_id: str) -> None:
    topic = _get(session, Topic, topic_id, "topic", "topic")
    used = session.scalar(select(func.count()).where(Course.topic_id == topic.id, _live(Course)))
    if used:
        raise ValidationError(
            f"{used} course(s) are on the topic '{topic.name}'; give them another topic first.",
            field="topic",
        )
    topic.deleted_at = utcnow()
    _flush(session, "training topic deleted")


def seed_default_lists(session: Session) -> tuple[int, int]:
    """Add the three standard levels and the twelve topics that are missing (by number
    and by name).  Returns (levels added, topics added)."""
    numbers = {lvl.number for lvl in list_levels(session)}
    names = {t.name.lower() for t in list_topics(session)}
    levels = topics = 0
    for number, name, description in DEFAULT_LEVELS:
        if number not in numbers:
            create_level(session, number=number, name=name, description=description)
            levels += 1
    for name in DEFAULT_TOPICS:
        if name.lower() not in names:
            create_topic(session, name=name)
            topics += 1
    return levels, topics


# --------------------------------------------------------------------------- courses
_COURSE_FIELDS = {
    "code",
    "title",
    "level_id",
    "topic_id",
    "provider",
    "duration_minutes",
    "delivery",
    "refresher_months",
    "offered_from",
    "active",
    "notes",
}


def _course_values(
    session: Session, values: dict[str, Any], exclude_id: str | None, today: date
) -> dict[str, Any]:
    code = _text(values.get("code"), 20, "code", "a short code for the course", required=True)
    if not _CODE_RE.match(code):
        raise ValidationError(
            "A course code uses letters, digits and - . / & + only, for example DASH-2.",
            field="code",
        )
    title = _text(values.get("title"), 300, "title", "the course's title", required=True)
    level = (
        _get(session, CourseLevel, values.get("level_id"), "level", "level_id")
        if values.get("level_id")
        else None
    )
    if level is None:
        raise ValidationError("Choose the course's level.", field="level_id")
    topic_id = values.get("topic_id") or None
    if topic_id:
        _get(session, Topic, topic_id, "topic", "topic_id")
    delivery = str(values.get("delivery") or "").strip().lower()
    if delivery not in DELIVERY_MODES:
        raise ValidationError(
            f"Delivery must be one of {', '.join(DELIVERY_MODES)}, not '{delivery}'.",
            field="delivery",
        )
    refresher = _optional_whole(
        values.get("refresher_months"),
        "refresher_months",
        f"A refresher interval must be a whole number of months from 1 to {MAX_REFRESHER}, "
        "or empty when the course needs no refresher.",
        1,
        MAX_REFRESHER,
    )
    duration = _optional_whole(
        values.get("duration_minutes"),
        "duration_minutes",
        "The duration must be a whole number of minutes from 1 to 10,080 (a week), or empty.",
        1,
        10_080,
    )
    offered = _plausible(
        values.get("offered_from"), "offered_from", "The first-offered date", today
    )
    clash = session.scalar(
        select(Course.title).where(
            _live(Course), func.lower(Course.code) == code.lower(), Course.id != (exclude_id or "")
        )
    )
    if clash:
        raise ValidationError(
            f"The code '{code}' is already used by the course '{clash}'.", field="code"
        )
    if exclude_id and offered is not None:
        first = session.scalar(
            select(func.min(TrainingSession.session_date)).where(
                TrainingSession.course_id == exclude_id, _live(TrainingSession)
            )
        )
        if first is not None and _as_date(first) < offered:
            raise ValidationError(
                f"A session of this course was held on {format_date(_as_date(first))}, so it "
                f"cannot have been first offered on {format_date(offered)}.",
                field="offered_from",
            )
    return {
        "code": code,
        "title": title,
        "level_id": level.id,
        "topic_id": topic_id,
        "provider": _text(values.get("provider"), 200, "provider", "the provider"),
        "duration_minutes": duration,
        "delivery": delivery,
        "refresher_months": refresher,
        "offered_from": offered,
        "active": bool(values.get("active", True)),
        "notes": _notes(values.get("notes")),
    }


def create_course(session: Session, *, today: date | None = None, **values: Any) -> Course:
    """Add a course: ``code``, ``title``, ``level_id`` and optionally ``topic_id``,
    ``provider``, ``duration_minutes``, ``delivery`` (default classroom),
    ``refresher_months`` (None: never stale), ``offered_from``, ``active``, ``notes``."""
    _unknown(values, _COURSE_FIELDS, "course")
    full = {"delivery": "classroom", "active": True, **values}
    course = Course(**_course_values(session, full, None, today or date.today()))
    session.add(course)
    _flush(session, "course added")
    return course


def update_course(
    session: Session, course_id: str, *, today: date | None = None, **changes: Any
) -> Course:
    _unknown(changes, _COURSE_FIELDS, "course")
    course = _get(session, Course, course_id, "course", "course")
    current = {name: getattr(course, name) for name in _COURSE_FIELDS}
    current.update(changes)
    set_fields(course, _course_values(session, current, course.id, today or date.today()))
    _flush(session, "course changed")
    return course


def delete_course(session: Session, course_id: str) -> None:
    """Remove a course entered by mistake; one with sessions must be made inactive."""
    course = _get(session, Course, course_id, "course", "course")
    held = session.scalar(
        select(func.count()).where(TrainingSession.course_id == course.id, _live(TrainingSession))
    )
    if held:
        raise ValidationError(
            f"The course {course.code} has {held} session(s) on record, so it must be kept; "
            "untick 'Offered now' to withdraw it instead.",
            field="course",
        )
    when = utcnow()
    for model in (RoleRequirement, TrainerCourse):
        for row in session.scalars(select(model).where(model.course_id == course.id, _live(model))):
            row.deleted_at = when
    course.deleted_at = when
    _flush(session, "course deleted")


def get_course(session: Session, course_id: str) -> Course:
    return _get(session, Course, course_id, "course", "course")


def list_courses(session: Session, *, include_inactive: bool = True) -> list[CourseRow]:
    """Every course by level and code, with how many sessions and trainers it has."""
    sessions = (
        select(TrainingSession.course_id.label("cid"), func.count().label("n"))
        .where(_live(TrainingSession))
        .group_by(TrainingSession.course_id)
        .subquery()
    )
    trainers = (
        select(TrainerCourse.course_id.label("cid"), func.count().label("n"))
        .join(Trainer, Trainer.id == TrainerCourse.trainer_id)
        .where(_live(TrainerCourse), _live(Trainer))
        .group_by(TrainerCourse.course_id)
        .subquery()
    )
    stmt = (
        select(
            Course.id,
            Course.code,
            Course.title,
            CourseLevel.id,
            CourseLevel.number,
            CourseLevel.name,
            Topic.name,
            Course.provider,
            Course.duration_minutes,
            Course.delivery,
            Course.refresher_months,
            Course.offered_from,
            Course.active,
            sessions.c.n,
            trainers.c.n,
        )
        .join(CourseLevel, CourseLevel.id == Course.level_id)
        .outerjoin(Topic, and_(Topic.id == Course.topic_id, _live(Topic)))
        .outerjoin(sessions, sessions.c.cid == Course.id)
        .outerjoin(trainers, trainers.c.cid == Course.id)
        .where(_live(Course))
        .order_by(CourseLevel.number, func.lower(Course.code))
    )
    if not include_inactive:
        stmt = stmt.where(Course.active.is_(True))
    return [
        CourseRow(
            cid,
            code,
            title,
            lid,
            num,
            lname,
            topic or "",
            provider,
            dur,
            delivery,
            refresher,
            offered,
            bool(active),
            int(ns or 0),
            int(nt or 0),
        )
        for (
            cid,
            code,
            title,
            lid,
            num,
            lname,
            topic,
            provider,
            dur,
            delivery,
            refresher,
            offered,
            active,
            ns,
            nt,
        ) in session.execute(stmt)
    ]


# --------------------------------------------------------------------------- trainers
_TRAINER_FIELDS = {"name", "agency_id", "email", "authorised_until", "active", "notes"}


def _trainer_values(session: Session, values: dict[str, Any], today: date) -> dict[str, Any]:
    agency_id = values.get("agency_id") or None
    if agency_id:
        _agency(session, agency_id)
    return {
        "name": _text(values.get("name"), 200, "name", "the trainer's name", required=True),
        "agency_id": agency_id,
        "email": check_email(values.get("email")),
        "authorised_until": _plausible(
            values.get("authorised_until"),
            "authorised_until",
            "The authorisation end",
            today,
            years_ahead=10,
        ),
        "active": bool(values.get("active", True)),
        "notes": _notes(values.get("notes")),
    }


def create_trainer(
    session: Session,
    *,
    course_ids: Iterable[str] = (),
    today: date | None = None,
    **values: Any,
) -> Trainer:
    """Add a trainer (``name``, ``agency_id``, ``email``, ``authorised_until``, ``active``,
    ``notes``) authorised to deliver ``course_ids``."""
    _unknown(values, _TRAINER_FIELDS, "trainer")
    trainer = Trainer(**_trainer_values(session, values, today or date.today()))
    session.add(trainer)
    session.flush()
    set_trainer_courses(session, trainer.id, course_ids)
    _flush(session, "trainer added")
    return trainer


def update_trainer(
    session: Session,
    trainer_id: str,
    *,
    course_ids: Iterable[str] | None = None,
    today: date | None = None,
    **changes: Any,
) -> Trainer:
    _unknown(changes, _TRAINER_FIELDS, "trainer")
    trainer = _get(session, Trainer, trainer_id, "trainer", "trainer")
    current = {name: getattr(trainer, name) for name in _TRAINER_FIELDS}
    current.update(changes)
    set_fields(trainer, _trainer_values(session, current, today or date.today()))
    if course_ids is not None:
        set_trainer_courses(session, trainer.id, course_ids)
    _flush(session, "trainer changed")
    return trainer


def set_trainer_courses(session: Session, trainer_id: str, course_ids: Iterable[str]) -> None:
    """Make ``course_ids`` exactly the courses the trainer is authorised to deliver."""
    trainer = _get(session, Trainer, trainer_id, "trainer", "trainer")
    wanted = list(dict.fromkeys(c for c in course_ids if c))
    for cid in wanted:
        _get(session, Course, cid, "course", "courses")
    links = list(
        session.scalars(
            select(TrainerCourse).where(
                TrainerCourse.trainer_id == trainer.id, _live(TrainerCourse)
            )
        )
    )
    have = {link.course_id for link in links}
    when = utcnow()
    for link in links:
        if link.course_id not in wanted:
            link.deleted_at = when
    for cid in wanted:
        if cid not in have:
            session.add(TrainerCourse(trainer_id=trainer.id, course_id=cid))
    session.flush()


def delete_trainer(session: Session, trainer_id: str) -> None:
    trainer = _get(session, Trainer, trainer_id, "trainer", "trainer")
    delivered = session.scalar(
        select(func.count())
        .select_from(SessionTrainer)
        .join(TrainingSession, TrainingSession.id == SessionTrainer.session_id)
        .where(
            SessionTrainer.trainer_id == trainer.id,
            _live(SessionTrainer),
            _live(TrainingSession),
        )
    )
    if delivered:
        raise ValidationError(
            f"{trainer.name} delivered {delivered} session(s) on record, so they must be kept; "
            "untick 'Active' instead.",
            field="trainer",
        )
    when = utcnow()
    for link in session.scalars(
        select(TrainerCourse).where(TrainerCourse.trainer_id == trainer.id, _live(TrainerCourse))
    ):
        link.deleted_at = when
    trainer.deleted_at = when
    _flush(session, "trainer deleted")


def get_trainer(session: Session, trainer_id: str) -> Trainer:
    return _get(session, Trainer, trainer_id, "trainer", "trainer")


def list_trainers(session: Session) -> list[TrainerRow]:
    links: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for tid, cid, code in session.execute(
        select(TrainerCourse.trainer_id, Course.id, Course.code)
        .join(Course, Course.id == TrainerCourse.course_id)
        .where(_live(TrainerCourse), _live(Course))
        .order_by(Course.code)
    ):
        links[tid].append((cid, code))
    rows = session.execute(
        select(
            Trainer.id,
            Trainer.name,
            Agency.name,
            Trainer.email,
            Trainer.authorised_until,
            Trainer.active,
        )
        .outerjoin(Agency, Agency.id == Trainer.agency_id)
        .where(_live(Trainer))
        .order_by(func.lower(Trainer.name))
    )
    return [
        TrainerRow(
            tid,
            name,
            agency or "",
            email,
            until,
            bool(active),
            tuple(c for c, _ in links.get(tid, [])),
            ", ".join(code for _, code in links.get(tid, [])),
        )
        for tid, name, agency, email, until, active in rows
    ]


def trainers_for_course(session: Session, course_id: str, on: date) -> list[TrainerRow]:
    """Active trainers authorised to deliver ``course_id`` on ``on``."""
    return [
        t
        for t in list_trainers(session)
        if t.active
        and course_id in t.course_ids
        and (t.authorised_until is None or t.authorised_until >= on)
    ]


# --------------------------------------------------------------------------- roles
def _role_values(
    session: Session, values: dict[str, Any], exclude_id: str | None
) -> dict[str, Any]:
    name = _text(values.get("name"), 200, "name", "the role's name", required=True)
    agency_id = values.get("agency_id") or None
    agency = _agency(session, agency_id) if agency_id else None
    sector = str(values.get("sector") or "").strip()
    if not sector:
        sector = agency.sector if agency is not None else ""
    if sector not in SECTORS:
        raise ValidationError(f"Choose the role's sector ({', '.join(SECTORS)}).", field="sector")
    clash = session.scalar(
        select(StaffRole.id).where(
            _live(StaffRole),
            func.lower(StaffRole.name) == name.lower(),
            StaffRole.agency_id.is_(None)
            if agency_id is None
            else StaffRole.agency_id == agency_id,
            StaffRole.id != (exclude_id or ""),
        )
    )
    if clash:
        where = f"at {agency.name}" if agency is not None else "shared by every agency"
        raise ValidationError(f"There is already a role '{name}' {where}.", field="name")
    return {
        "name": name,
        "agency_id": agency_id,
        "sector": sector,
        "notes": _notes(values.get("notes")),
    }


def create_role(
    session: Session,
    *,
    course_ids: Iterable[str] = (),
    level_ids: Iterable[str] = (),
    **values: Any,
) -> StaffRole:
    """Add a staff role (``name``, ``agency_id`` or None for any agency, ``sector``
    (default: the agency's), ``notes``) needing ``course_ids`` and ``level_ids``."""
    _unknown(values, {"name", "agency_id", "sector", "notes"}, "role")
    role = StaffRole(**_role_values(session, values, None))
    session.add(role)
    session.flush()
    set_requirements(session, role.id, course_ids=course_ids, level_ids=level_ids)
    _flush(session, "staff role added")
    return role


def update_role(
    session: Session,
    role_id: str,
    *,
    course_ids: Iterable[str] | None = None,
    level_ids: Iterable[str] | None = None,
    **changes: Any,
) -> StaffRole:
    _unknown(changes, {"name", "agency_id", "sector", "notes"}, "role")
    role = _get(session, StaffRole, role_id, "role", "role")
    current = {
        "name": role.name,
        "agency_id": role.agency_id,
        "sector": role.sector,
        "notes": role.notes,
    }
    current.update(changes)
    values = _role_values(session, current, role.id)
    if values["agency_id"] and values["agency_id"] != role.agency_id:
        elsewhere = session.scalar(
            select(func.count()).where(
                Trainee.role_id == role.id,
                _live(Trainee),
                Trainee.agency_id != values["agency_id"],
            )
        )
        if elsewhere:
            raise ValidationError(
                f"{elsewhere} trainee(s) at other agencies hold the role '{role.name}'; a role "
                "can belong to one agency only when all its trainees are there.",
                field="agency_id",
            )
    set_fields(role, values)
    if course_ids is not None or level_ids is not None:
        current_courses, current_levels = requirements_of(session, role.id)
        set_requirements(
            session,
            role.id,
            course_ids=current_courses if course_ids is None else course_ids,
            level_ids=current_levels if level_ids is None else level_ids,
        )
    _flush(session, "staff role changed")
    return role


def requirements_of(session: Session, role_id: str) -> tuple[list[str], list[str]]:
    """(course ids, level ids) the role needs."""
    rows = session.execute(
        select(RoleRequirement.course_id, RoleRequirement.level_id).where(
            RoleRequirement.role_id == role_id, _live(RoleRequirement)
        )
    ).all()
    return [c for c, _ in rows if c], [lvl for _, lvl in rows if lvl]


def set_requirements(
    session: Session,
    role_id: str,
    *,
    course_ids: Iterable[str] = (),
    level_ids: Iterable[str] = (),
) -> None:
    """Make these exactly the role's requirements (courses, and "any course of" levels)."""
    role = _get(session, StaffRole, role_id, "role", "role")
    courses = list(dict.fromkeys(c for c in course_ids if c))
    levels = list(dict.fromkeys(lvl for lvl in level_ids if lvl))
    for cid in courses:
        course = _get(session, Course, cid, "course", "requirements")
        if not course.active:
            raise ValidationError(
                f"The course {course.code} is no longer offered, so a role cannot require it.",
                field="requirements",
            )
    for lid in levels:
        _get(session, CourseLevel, lid, "level", "requirements")
    existing = list(
        session.scalars(
            select(RoleRequirement).where(
                RoleRequirement.role_id == role.id, _live(RoleRequirement)
            )
        )
    )
    when = utcnow()
    kept: set[tuple[str | None, str | None]] = set()
    for req in existing:
        pair = (req.course_id, req.level_id)
        wanted = (req.course_id in courses) if req.course_id else (req.level_id in levels)
        if not wanted or pair in kept:
            req.deleted_at = when
        else:
            kept.add(pair)
    for cid in courses:
        if (cid, None) not in kept:
            session.add(RoleRequirement(role_id=role.id, course_id=cid, level_id=None))
    for lid in levels:
        if (None, lid) not in kept:
            session.add(RoleRequirement(role_id=role.id, course_id=None, level_id=lid))
    session.flush()


def delete_role(session: Session, role_id: str) -> None:
    role = _get(session, StaffRole, role_id, "role", "role")
    held = session.scalar(select(func.count()).where(Trainee.role_id == role.id, _live(Trainee)))
    if held:
        raise ValidationError(
            f"{held} trainee(s) hold the role '{role.name}'; give them another role first.",
            field="role",
        )
    when = utcnow()
    for req in session.scalars(
        select(RoleRequirement).where(RoleRequirement.role_id == role.id, _live(RoleRequirement))
    ):
        req.deleted_at = when
    role.deleted_at = when
    _flush(session, "staff role deleted")


def get_role(session: Session, role_id: str) -> StaffRole:
    return _get(session, StaffRole, role_id, "role", "role")


def list_roles(session: Session) -> list[RoleRow]:
    reqs: dict[str, list[tuple[str | None, str | None, str]]] = defaultdict(list)
    for rid, cid, lid, code, number in session.execute(
        select(
            RoleRequirement.role_id,
            RoleRequirement.course_id,
            RoleRequirement.level_id,
            Course.code,
            CourseLevel.number,
        )
        .outerjoin(Course, and_(Course.id == RoleRequirement.course_id, _live(Course)))
        .outerjoin(
            CourseLevel, and_(CourseLevel.id == RoleRequirement.level_id, _live(CourseLevel))
        )
        .where(_live(RoleRequirement))
    ):
        if cid and code:
            reqs[rid].append((cid, None, code))
        elif lid and number is not None:
            reqs[rid].append((None, lid, f"any level {number}"))
    counts = dict(
        session.execute(
            select(Trainee.role_id, func.count())
            .where(_live(Trainee), Trainee.role_id.is_not(None))
            .group_by(Trainee.role_id)
        ).all()
    )
    out = []
    for rid, name, agency_id, agency, sector in session.execute(
        select(StaffRole.id, StaffRole.name, StaffRole.agency_id, Agency.name, StaffRole.sector)
        .outerjoin(Agency, Agency.id == StaffRole.agency_id)
        .where(_live(StaffRole))
        .order_by(func.lower(func.coalesce(Agency.name, "")), func.lower(StaffRole.name))
    ):
        items = sorted(reqs.get(rid, []), key=lambda x: (x[0] is None, x[2].lower()))
        out.append(
            RoleRow(
                rid,
                name,
                agency_id,
                agency or "",
                sector,
                int(counts.get(rid, 0)),
                tuple(c for c, _, _ in items if c),
                tuple(lvl for _, lvl, _ in items if lvl),
                ", ".join(label for _, _, label in items),
            )
        )
    return out


# --------------------------------------------------------------------------- trainees
_TRAINEE_FIELDS = {"name", "agency_id", "role_id", "email", "active", "notes"}


def _trainee_values(
    session: Session, values: dict[str, Any], exclude_id: str | None
) -> tuple[dict[str, Any], list[FieldWarning]]:
    name = _text(values.get("name"), 120, "name", "the trainee's name", required=True)
    agency = _agency(session, values.get("agency_id"), "agency_id")
    role_id = values.get("role_id") or None
    if role_id:
        role = _get(session, StaffRole, role_id, "role", "role_id")
        if role.agency_id and role.agency_id != agency.id:
            owner = role.agency.name if role.agency is not None else "another agency"
            raise ValidationError(
                f"The role '{role.name}' belongs to {owner}, but the trainee is at "
                f"{agency.name}; a person can be in one agency only. Choose a role of "
                f"{agency.name} or one shared by every agency.",
                field="role_id",
            )
    email = check_email(values.get("email"))
    if email:
        clash = session.execute(
            select(Trainee.name, Agency.name, Trainee.agency_id)
            .join(Agency, Agency.id == Trainee.agency_id)
            .where(
                _live(Trainee),
                func.lower(Trainee.email) == email.lower(),
                Trainee.id != (exclude_id or ""),
            )
        ).first()
        if clash is not None:
            other, other_agency, other_agency_id = clash
            if other_agency_id != agency.id:
                message = (
                    f"{email} is the e-mail address of {other} at {other_agency}: a person can "
                    "be in one agency only. If they have moved, change that trainee's agency "
                    "instead, so their training record moves with them."
                )
            else:
                message = f"{email} is already the e-mail address of {other} at {other_agency}."
            raise ValidationError(message, field="email")
    found = same_name_warning(session, name, exclude_id)
    warnings = [found] if found is not None else []
    return (
        {
            "name": name,
            "agency_id": agency.id,
            "role_id": role_id,
            "email": email,
            "active": bool(values.get("active", True)),
            "notes": _notes(values.get("notes")),
        },
        warnings,
    )


def same_name_warning(
    session: Session, name: str, exclude_id: str | None = None
) -> FieldWarning | None:
    """A warning when other live trainees already have this name (allowed, but shown)."""
    name = " ".join(str(name or "").split())
    if not name:
        return None
    same = session.execute(
        select(Agency.name, StaffRole.name)
        .select_from(Trainee)
        .join(Agency, Agency.id == Trainee.agency_id)
        .outerjoin(StaffRole, StaffRole.id == Trainee.role_id)
        .where(
            _live(Trainee),
            func.lower(Trainee.name) == name.lower(),
            Trainee.id != (exclude_id or ""),
        )
        .limit(4)
    ).all()
    if not same:
        return None
    where = "; ".join(
        f"at {agency_name}" + (f" as {role_name}" if role_name else "")
        for agency_name, role_name in same[:3]
    )
    return FieldWarning(
        "name",
        f"There is already a trainee called {name} {where}. Both are kept; an e-mail "
        "address helps to tell them apart.",
    )


def create_trainee(session: Session, **values: Any) -> TraineeResult:
    """Add a member of staff: ``name``, ``agency_id``, ``role_id``, ``email``, ``active``,
    ``notes``.  A name shared with another trainee is allowed and comes back as a warning."""
    _unknown(values, _TRAINEE_FIELDS, "trainee")
    data, warnings = _trainee_values(session, values, None)
    trainee = Trainee(**data)
    session.add(trainee)
    _flush(session, "trainee added")
    return TraineeResult(trainee, tuple(warnings))


def update_trainee(session: Session, trainee_id: str, **changes: Any) -> TraineeResult:
    _unknown(changes, _TRAINEE_FIELDS, "trainee")
    trainee = _get(session, Trainee, trainee_id, "trainee", "trainee")
    current = {name: getattr(trainee, name) for name in _TRAINEE_FIELDS}
    current.update(changes)
    data, warnings = _trainee_values(session, current, trainee.id)
    set_fields(trainee, data)
    _flush(session, "trainee changed")
    return TraineeResult(trainee, tuple(warnings))


def delete_trainee(session: Session, trainee_id: str) -> None:
    """Remove a trainee entered by mistake; one with training records is made inactive."""
    trainee = _get(session, Trainee, trainee_id, "trainee", "trainee")
    records = session.scalar(
        select(func.count()).where(Attendance.trainee_id == trainee.id, _live(Attendance))
    )
    if records:
        raise ValidationError(
            f"{trainee.name} has {records} training record(s); untick 'Still in post' "
            "instead, so the records are kept.",
            field="trainee",
        )
    trainee.deleted_at = utcnow()
    _flush(session, "trainee deleted")


def get_trainee(session: Session, trainee_id: str) -> Trainee:
    return _get(session, Trainee, trainee_id, "trainee", "trainee")


def list_trainees(session: Session, *, include_inactive: bool = True) -> list[TraineeRow]:
    stmt = (
        select(
            Trainee.id,
            Trainee.name,
            Trainee.agency_id,
            Agency.name,
            Agency.sector,
            Trainee.role_id,
            StaffRole.name,
            StaffRole.sector,
            Trainee.email,
            Trainee.active,
        )
        .join(Agency, Agency.id == Trainee.agency_id)
        .outerjoin(StaffRole, and_(StaffRole.id == Trainee.role_id, _live(StaffRole)))
        .where(_live(Trainee))
        .order_by(func.lower(Trainee.name), func.lower(Agency.name))
    )
    rows = session.execute(stmt).all()
    names = Counter(r[1].lower() for r in rows)
    return [
        TraineeRow(
            tid,
            name,
            aid,
            agency,
            role_sector or sector,
            rid,
            role or "",
            email,
            bool(active),
            names[name.lower()] - 1,
        )
        for tid, name, aid, agency, sector, rid, role, role_sector, email, active in rows
        if include_inactive or active
    ]


def same_name_groups(session: Session) -> list[list[TraineeRow]]:
    """Live trainees who share a name (allowed, but worth a look), by name."""
    groups: dict[str, list[TraineeRow]] = defaultdict(list)
    for row in list_trainees(session):
        if row.same_name:
            groups[row.name.lower()].append(row)
    return [groups[k] for k in sorted(groups)]


def trainee_problems(session: Session) -> list[str]:
    """Records that break the one-person-one-agency rule (they can arrive by merging
    copies of the database): one e-mail at two agencies, a role of another agency."""
    problems = []
    rows = session.execute(
        select(Trainee.email, Trainee.name, Agency.name)
        .join(Agency, Agency.id == Trainee.agency_id)
        .where(_live(Trainee), Trainee.email != "")
        .order_by(func.lower(Trainee.email))
    ).all()
    by_email: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for email, name, agency in rows:
        by_email[email.lower()].append((name, agency))
    for email, people in sorted(by_email.items()):
        agencies = sorted({a for _, a in people})
        if len(agencies) > 1:
            problems.append(
                f"{email} belongs to trainees at {len(agencies)} agencies "
                f"({', '.join(agencies)}); keep one of them and move the training records."
            )
    for name, role, agency in session.execute(
        select(Trainee.name, StaffRole.name, Agency.name)
        .join(StaffRole, StaffRole.id == Trainee.role_id)
        .join(Agency, Agency.id == Trainee.agency_id)
        .where(
            _live(Trainee),
            StaffRole.agency_id.is_not(None),
            StaffRole.agency_id != Trainee.agency_id,
        )
    ):
        problems.append(
            f"{name} is at {agency} but holds the role '{role}' of another agency; change "
            "their role or agency."
        )
    return problems


# --------------------------------------------------------------------------- sessions
def _places_taken(session: Session, session_id: str) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Attendance.session_id == session_id,
                _live(Attendance),
                Attendance.status.in_(PLACE_STATUSES),
            )
        )
        or 0
    )


def _check_trainers(
    session: Session, trainer_ids: Sequence[str], course: Course, on: date
) -> list[str]:
    ids = list(dict.fromkeys(t for t in trainer_ids if t))
    authorised = {
        tid
        for (tid,) in session.execute(
            select(TrainerCourse.trainer_id).where(
                TrainerCourse.course_id == course.id, _live(TrainerCourse)
            )
        )
    }
    for tid in ids:
        trainer = _get(session, Trainer, tid, "trainer", "trainers")
        if tid not in authorised:
            raise ValidationError(
                f"{trainer.name} is not authorised to deliver {course.code}; add the course "
                "to their authorisations first.",
                field="trainers",
            )
        if trainer.authorised_until is not None and trainer.authorised_until < on:
            raise ValidationError(
                f"{trainer.name}'s authorisation ended on {format_date(trainer.authorised_until)}, "
                f"before the session on {format_date(on)}.",
                field="trainers",
            )
    return ids


def _session_date(value: Any, course: Course, today: date) -> date:
    on = _plausible(value, "session_date", "The session date", today, required=True)
    if course.offered_from is not None and on < course.offered_from:
        raise ValidationError(
            f"The course {course.code} was first offered on {format_date(course.offered_from)}; "
            f"a session on {format_date(on)} would be before the course existed.",
            field="session_date",
        )
    return on


def _capacity(value: Any) -> int:
    return _whole(
        value,
        "capacity",
        f"The capacity must be a whole number of places from 1 to {MAX_CAPACITY}.",
        1,
        MAX_CAPACITY,
    )


def _set_session_trainers(session: Session, session_id: str, trainer_ids: list[str]) -> None:
    links = list(
        session.scalars(
            select(SessionTrainer).where(
                SessionTrainer.session_id == session_id, _live(SessionTrainer)
            )
        )
    )
    have = {link.trainer_id for link in links}
    when = utcnow()
    for link in links:
        if link.trainer_id not in trainer_ids:
            link.deleted_at = when
    for tid in trainer_ids:
        if tid not in have:
            session.add(SessionTrainer(session_id=session_id, trainer_id=tid))


def create_session(
    session: Session,
    *,
    course_id: str,
    session_date: date | str,
    venue: str = "",
    capacity: int | str = 20,
    trainer_ids: Sequence[str] = (),
    notes: str = "",
    today: date | None = None,
) -> TrainingSession:
    """Plan (or record) a session of a course, delivered by authorised trainers."""
    today = today or date.today()
    course = _get(session, Course, course_id, "course", "course_id")
    if not course.active:
        raise ValidationError(
            f"The course {course.code} is no longer offered; tick 'Offered now' on the course "
            "to plan a session of it.",
            field="course_id",
        )
    on = _session_date(session_date, course, today)
    trainers = _check_trainers(session, trainer_ids, course, on)
    row = TrainingSession(
        course_id=course.id,
        session_date=on,
        venue=_text(venue, 200, "venue", "the venue"),
        capacity=_capacity(capacity),
        notes=_notes(notes),
    )
    session.add(row)
    session.flush()
    _set_session_trainers(session, row.id, trainers)
    _flush(session, "training session added")
    return row


def get_session(session: Session, session_id: str) -> TrainingSession:
    return _get(session, TrainingSession, session_id, "session", "session")


def session_trainer_ids(session: Session, session_id: str) -> list[str]:
    return [
        tid
        for (tid,) in session.execute(
            select(SessionTrainer.trainer_id).where(
                SessionTrainer.session_id == session_id, _live(SessionTrainer)
            )
        )
    ]


def update_session(
    session: Session,
    session_id: str,
    *,
    today: date | None = None,
    trainer_ids: Sequence[str] | None = None,
    **changes: Any,
) -> TrainingSession:
    """Change a session's course, date, venue, capacity, trainers or notes."""
    _unknown(changes, {"course_id", "session_date", "venue", "capacity", "notes"}, "session")
    today = today or date.today()
    row = get_session(session, session_id)
    course = _get(session, Course, changes.get("course_id", row.course_id), "course", "course_id")
    on = _session_date(changes.get("session_date", row.session_date), course, today)
    capacity = _capacity(changes.get("capacity", row.capacity))
    taken = _places_taken(session, row.id)
    if capacity < taken:
        raise ValidationError(
            f"{taken} places on this session are taken; the capacity cannot be less than that. "
            "Cancel some bookings first.",
            field="capacity",
        )
    outcomes = session.execute(
        select(
            func.count(),
            func.min(Attendance.completed_on),
        ).where(
            Attendance.session_id == row.id,
            _live(Attendance),
            Attendance.status.in_(("attended", "did not attend")),
        )
    ).one()
    if outcomes[0] and on > today:
        raise ValidationError(
            f"Attendance of {outcomes[0]} trainee(s) is recorded, so the session cannot move "
            f"to {format_date(on)}, which is still to come.",
            field="session_date",
        )
    first_done = _as_date(outcomes[1])
    if first_done is not None and first_done < on:
        raise ValidationError(
            f"A trainee completed this session on {format_date(first_done)}, so it cannot "
            f"have been held on {format_date(on)}.",
            field="session_date",
        )
    if course.id != row.course_id and outcomes[0]:
        raise ValidationError(
            "Attendance is recorded for this session, so its course cannot change.",
            field="course_id",
        )
    ids = session_trainer_ids(session, row.id) if trainer_ids is None else list(trainer_ids)
    trainers = _check_trainers(session, ids, course, on)
    values = {
        "course_id": course.id,
        "session_date": on,
        "capacity": capacity,
        "venue": _text(changes.get("venue", row.venue), 200, "venue", "the venue"),
        "notes": _notes(changes.get("notes", row.notes)),
    }
    set_fields(row, values)
    _set_session_trainers(session, row.id, trainers)
    _flush(session, "training session changed")
    return row


def delete_session(session: Session, session_id: str) -> None:
    """Remove a session; refused once anyone has attended or not attended it."""
    row = get_session(session, session_id)
    rows = list(
        session.scalars(
            select(Attendance).where(Attendance.session_id == row.id, _live(Attendance))
        )
    )
    outcomes = [a for a in rows if a.status in ("attended", "did not attend")]
    if outcomes:
        raise ValidationError(
            f"Attendance of {len(outcomes)} trainee(s) is recorded for this session, so it "
            "must be kept.",
            field="session",
        )
    booked = [a for a in rows if a.status == "booked"]
    if booked:
        raise ValidationError(
            f"{len(booked)} trainee(s) are booked on this session; cancel their places first "
            "(Record attendance…, then Cancelled).",
            field="session",
        )
    when = utcnow()
    for item in rows:
        item.deleted_at = when
    for link in session.scalars(
        select(SessionTrainer).where(SessionTrainer.session_id == row.id, _live(SessionTrainer))
    ):
        link.deleted_at = when
    row.deleted_at = when
    _flush(session, "training session deleted")


def _full_message(row: TrainingSession, taken: int, adding: int) -> str:
    room = max(0, row.capacity - taken)
    return (
        f"The session of {row.course.code} on {format_date(row.session_date)} has "
        f"{row.capacity} places and {taken} are taken, so {adding} more cannot be added"
        + (f" (at most {room})" if room else "")
        + ". Raise its capacity or choose another session."
    )


def book_trainees(
    session: Session,
    session_id: str,
    trainee_ids: Iterable[str],
    *,
    today: date | None = None,
) -> tuple[int, list[str]]:
    """Book trainees on a session.  Returns (how many were booked, names of those who
    already had a place).  Refused as a whole if the session would be over capacity."""
    today = today or date.today()
    row = get_session(session, session_id)
    ids = list(dict.fromkeys(t for t in trainee_ids if t))
    if not ids:
        raise ValidationError("Choose at least one trainee to book.", field="trainees")
    existing = {
        a.trainee_id: a
        for a in session.scalars(
            select(Attendance).where(Attendance.session_id == row.id, _live(Attendance))
        )
    }
    already, to_book = [], []
    for tid in ids:
        trainee = _get(session, Trainee, tid, "trainee", "trainees")
        if not trainee.active:
            raise ValidationError(
                f"{trainee.name} is no longer in post, so cannot be booked.", field="trainees"
            )
        current = existing.get(tid)
        if current is not None and current.status in PLACE_STATUSES:
            already.append(trainee.name)
        else:
            to_book.append((trainee, current))
    taken = _places_taken(session, row.id)
    if taken + len(to_book) > row.capacity:
        raise ValidationError(_full_message(row, taken, len(to_book)), field="trainees")
    for trainee, current in to_book:
        if current is not None:  # cancelled before: booked again
            current.status, current.completed_on = "booked", None
        else:
            session.add(Attendance(session_id=row.id, trainee_id=trainee.id, status="booked"))
    _flush(session, "trainees booked")
    return len(to_book), already


def record_attendance(
    session: Session,
    session_id: str,
    entries: Iterable[AttendanceEntry],
    *,
    today: date | None = None,
) -> int:
    """Record what happened for each trainee (a checklist): booked, attended, did not
    attend or cancelled, with the completion date when attended (default: the session
    date).  Trainees not yet on the session are added.  Returns the rows changed."""
    today = today or date.today()
    row = get_session(session, session_id)
    on = row.session_date
    course = row.course
    existing = {
        a.trainee_id: a
        for a in session.scalars(
            select(Attendance).where(Attendance.session_id == row.id, _live(Attendance))
        )
    }
    planned: list[tuple[Trainee, str, date | None]] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.trainee_id in seen:
            continue
        seen.add(entry.trainee_id)
        trainee = _get(session, Trainee, entry.trainee_id, "trainee", "attendance")
        status = (entry.status or "").strip().lower()
        if status not in ATTENDANCE_STATUSES:
            raise ValidationError(
                f"'{entry.status}' is not an attendance status; use "
                + ", ".join(ATTENDANCE_STATUSES)
                + ".",
                field="attendance",
            )
        completed = entry.completed_on
        if status in ("attended", "did not attend") and on > today:
            raise ValidationError(
                f"The session on {format_date(on)} has not happened yet, so {trainee.name} "
                "cannot be marked as "
                f"{status}.",
                field="attendance",
            )
        if status == "attended":
            completed = completed or on
            if completed < on:
                raise ValidationError(
                    f"{trainee.name}'s completion date {format_date(completed)} is before the "
                    f"session on {format_date(on)}.",
                    field="attendance",
                )
            if completed > today:
                raise ValidationError(
                    f"{trainee.name}'s completion date {format_date(completed)} is in the future.",
                    field="attendance",
                )
            if course.offered_from is not None and completed < course.offered_from:
                raise ValidationError(
                    f"{course.code} was first offered on {format_date(course.offered_from)}; "
                    f"{trainee.name} cannot have completed it before it existed.",
                    field="attendance",
                )
        elif completed is not None:
            raise ValidationError(
                f"{trainee.name} is marked {status}, so there is no completion date.",
                field="attendance",
            )
        current = existing.get(trainee.id)
        if current is None and status != "cancelled" and not trainee.active:
            raise ValidationError(
                f"{trainee.name} is no longer in post, so cannot be added to the session.",
                field="attendance",
            )
        planned.append((trainee, status, completed))
    statuses = {tid: a.status for tid, a in existing.items()}
    statuses.update({t.id: status for t, status, _ in planned})
    taken = sum(1 for s in statuses.values() if s in PLACE_STATUSES)
    if taken > row.capacity:
        before = sum(1 for a in existing.values() if a.status in PLACE_STATUSES)
        raise ValidationError(_full_message(row, before, taken - before), field="attendance")
    changed = 0
    for trainee, status, completed in planned:
        current = existing.get(trainee.id)
        if current is None:
            session.add(
                Attendance(
                    session_id=row.id, trainee_id=trainee.id, status=status, completed_on=completed
                )
            )
            changed += 1
        elif (current.status, current.completed_on) != (status, completed):
            current.status, current.completed_on = status, completed
            changed += 1
    _flush(session, "attendance recorded")
    return changed


def remove_attendance(session: Session, attendance_id: str) -> None:
    """Take a line off a session that was entered by mistake (its record is tombstoned)."""
    row = _get(session, Attendance, attendance_id, "attendance record", "attendance")
    row.deleted_at = utcnow()
    _flush(session, "attendance removed")


def _session_rows(session: Session, *where: Any) -> list[SessionRow]:
    counts = (
        select(
            Attendance.session_id.label("sid"),
            func.sum(case((Attendance.status == "booked", 1), else_=0)).label("booked"),
            func.sum(case((Attendance.status == "attended", 1), else_=0)).label("attended"),
            func.sum(case((Attendance.status == "did not attend", 1), else_=0)).label("dna"),
            func.sum(case((Attendance.status == "cancelled", 1), else_=0)).label("cancelled"),
        )
        .where(_live(Attendance))
        .group_by(Attendance.session_id)
        .subquery()
    )
    stmt = (
        select(
            TrainingSession.id,
            TrainingSession.session_date,
            Course.id,
            Course.code,
            Course.title,
            CourseLevel.number,
            TrainingSession.venue,
            TrainingSession.capacity,
            counts.c.booked,
            counts.c.attended,
            counts.c.dna,
            counts.c.cancelled,
        )
        .join(Course, Course.id == TrainingSession.course_id)
        .join(CourseLevel, CourseLevel.id == Course.level_id)
        .outerjoin(counts, counts.c.sid == TrainingSession.id)
        .where(_live(TrainingSession), *where)
        .order_by(TrainingSession.session_date, Course.code)
    )
    rows = session.execute(stmt).all()
    names: dict[str, list[str]] = defaultdict(list)
    if rows:
        trainer_stmt = (
            select(SessionTrainer.session_id, Trainer.name)
            .join(Trainer, Trainer.id == SessionTrainer.trainer_id)
            .join(TrainingSession, TrainingSession.id == SessionTrainer.session_id)
            .where(_live(SessionTrainer), _live(TrainingSession), *where)
            .order_by(Trainer.name)
        )
        for sid, name in session.execute(trainer_stmt):
            names[sid].append(name)
    return [
        SessionRow(
            sid,
            on,
            cid,
            code,
            title,
            level,
            venue,
            capacity,
            ", ".join(names.get(sid, [])),
            int(b or 0),
            int(a or 0),
            int(d or 0),
            int(c or 0),
        )
        for sid, on, cid, code, title, level, venue, capacity, b, a, d, c in rows
    ]


def list_sessions(
    session: Session, date_from: date | None = None, date_to: date | None = None
) -> list[SessionRow]:
    """Sessions in a period (either end open), earliest first, with attendance counts."""
    if date_from and date_to and date_to < date_from:
        raise ValidationError("The period must end after it starts.", field="date_to")
    where = []
    if date_from:
        where.append(TrainingSession.session_date >= date_from)
    if date_to:
        where.append(TrainingSession.session_date <= date_to)
    return _session_rows(session, *where)


def session_attendance(
    session: Session, session_ids: Sequence[str] | None = None
) -> dict[str, list[AttendanceRow]]:
    """Attendance of each session (``None``: every session), by trainee name."""
    stmt = (
        select(
            Attendance.id,
            Attendance.session_id,
            Trainee.id,
            Trainee.name,
            Agency.name,
            StaffRole.name,
            Attendance.status,
            Attendance.completed_on,
        )
        .join(Trainee, Trainee.id == Attendance.trainee_id)
        .join(Agency, Agency.id == Trainee.agency_id)
        .outerjoin(StaffRole, StaffRole.id == Trainee.role_id)
        .where(_live(Attendance), _live(Trainee))
        .order_by(func.lower(Trainee.name))
    )
    if session_ids is not None:
        if not session_ids:
            return {}
        stmt = stmt.where(Attendance.session_id.in_(list(session_ids)))
    out: dict[str, list[AttendanceRow]] = defaultdict(list)
    for aid, sid, tid, name, agency, role, status, completed in session.execute(stmt):
        out[sid].append(AttendanceRow(aid, sid, tid, name, agency, role or "", status, completed))
    return dict(out)


def capacity_warnings(
    session: Session, today: date, rows: Sequence[SessionRow] | None = None
) -> list[CapacityWarning]:
    """Sessions over capacity, full or nearly full, under-booked with two weeks to go,
    and past sessions whose bookings have no outcome yet."""
    rows = list_sessions(session) if rows is None else rows
    out = []
    for r in rows:
        label = r.course_label
        if r.taken > r.capacity:
            out.append(
                CapacityWarning(
                    r.session_id,
                    r.session_date,
                    label,
                    f"Over capacity: {r.taken} places taken of {r.capacity}.",
                    "alert",
                )
            )
        elif r.session_date >= today:
            if r.taken == r.capacity:
                out.append(
                    CapacityWarning(
                        r.session_id, r.session_date, label, f"Full ({r.capacity} places).", "info"
                    )
                )
            elif r.taken >= 0.9 * r.capacity:
                out.append(
                    CapacityWarning(
                        r.session_id,
                        r.session_date,
                        label,
                        f"Nearly full: {r.places_left} of {r.capacity} places left.",
                        "info",
                    )
                )
            elif (r.session_date - today).days <= 14 and r.taken < r.capacity / 2:
                out.append(
                    CapacityWarning(
                        r.session_id,
                        r.session_date,
                        label,
                        f"Under-booked: {r.taken} of {r.capacity} places taken, "
                        f"{(r.session_date - today).days} days to go.",
                        "warning",
                    )
                )
        elif r.booked:
            out.append(
                CapacityWarning(
                    r.session_id,
                    r.session_date,
                    label,
                    f"{r.booked} booking(s) still to be marked attended or not.",
                    "warning",
                )
            )
    order = {"alert": 0, "warning": 1, "info": 2}
    out.sort(key=lambda w: (order[w.severity], w.session_date))
    return out


# --------------------------------------------------------------------------- matrix
def cell_status(
    completed: date | None,
    refresher_months: int | None,
    today: date,
    warning: int,
    required: bool = True,
) -> Cell | None:
    """The cell for a trainee's latest completion of a course (see the module notes)."""
    if completed is None:
        return Cell(MISSING, None, None, True) if required else None
    due = add_months(completed, refresher_months) if refresher_months else None
    if not required:
        return Cell(EXTRA, completed, due, False)
    if due is None:
        return Cell(DONE, completed, None, True)
    days_left = (due - today).days
    if days_left < 0:
        return Cell(EXPIRED, completed, due, True)
    if days_left <= warning:
        return Cell(EXPIRING, completed, due, True)
    return Cell(DONE, completed, due, True)


def _best(candidates: list[tuple[date, int | None]]) -> tuple[date, int | None] | None:
    """The completion that stays valid longest (never stale beats any refresher date;
    between equals, the later completion)."""

    def validity(item: tuple[date, int | None]) -> tuple[int, date, date]:
        completed, months = item
        if not months:
            return (1, date.max, completed)
        return (0, add_months(completed, months), completed)

    return max(candidates, key=validity, default=None)


def _latest_completions(
    session: Session, today: date, trainee_ids: Sequence[str] | None = None
) -> dict[str, dict[str, date]]:
    """trainee id -> course id -> latest completion on or before ``today`` (one grouped
    scan of the attendance, over the covering index ``ix_training_attendance_trainee``)."""
    done_on = func.coalesce(Attendance.completed_on, TrainingSession.session_date)
    stmt = (
        # dates come back as ISO text and are read once per distinct day (much faster
        # than a conversion per row)
        select(
            Attendance.trainee_id, TrainingSession.course_id, type_coerce(func.max(done_on), String)
        )
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(
            Attendance.status == "attended",
            _live(Attendance),
            _live(TrainingSession),
            done_on <= today,
        )
        .group_by(Attendance.trainee_id, TrainingSession.course_id)
    )
    if trainee_ids is not None:
        stmt = stmt.where(Attendance.trainee_id.in_(list(trainee_ids)))
    days: dict[str, date] = {}
    out: dict[str, dict[str, date]] = defaultdict(dict)
    for tid, cid, text in session.connection().execute(stmt):
        day = days.get(text)
        if day is None:
            day = days[text] = date.fromisoformat(text[:10])
        out[tid][cid] = day
    return out


def _columns(session: Session) -> tuple[list[MatrixColumn], dict[str, list[str]]]:
    """Course columns (active courses) and, first in each level, an "any course of this
    level" column for levels some role requires; plus each role's column keys."""
    courses = session.execute(
        select(
            Course.id,
            Course.code,
            Course.title,
            Course.refresher_months,
            CourseLevel.id,
            CourseLevel.number,
            CourseLevel.name,
            Topic.name,
        )
        .join(CourseLevel, CourseLevel.id == Course.level_id)
        .outerjoin(Topic, and_(Topic.id == Course.topic_id, _live(Topic)))
        .where(_live(Course), Course.active.is_(True), _live(CourseLevel))
        .order_by(CourseLevel.number, func.lower(Course.code))
    ).all()
    role_keys: dict[str, list[str]] = defaultdict(list)
    levels: dict[str, tuple[int, str]] = {}
    active_ids = {c[0] for c in courses}
    for rid, cid, lid, number, name in session.execute(
        select(
            RoleRequirement.role_id,
            RoleRequirement.course_id,
            RoleRequirement.level_id,
            CourseLevel.number,
            CourseLevel.name,
        )
        .join(StaffRole, StaffRole.id == RoleRequirement.role_id)
        .outerjoin(
            CourseLevel, and_(CourseLevel.id == RoleRequirement.level_id, _live(CourseLevel))
        )
        .where(_live(RoleRequirement), _live(StaffRole))
    ):
        if cid:
            if cid in active_ids:
                role_keys[rid].append(cid)
        elif lid and number is not None:
            role_keys[rid].append(f"level:{lid}")
            levels[lid] = (number, name)
    columns: list[MatrixColumn] = []
    pending = sorted(levels, key=lambda lid: levels[lid][0])
    for cid, code, title, refresher, lid, number, lname, topic in courses:
        while pending and levels[pending[0]][0] <= number:
            first = pending.pop(0)
            columns.append(_level_column(first, *levels[first]))
        columns.append(
            MatrixColumn(cid, "course", code, title, lid, number, lname, topic or "", refresher)
        )
    for lid in pending:
        columns.append(_level_column(lid, *levels[lid]))
    valid = {c.key for c in columns}
    return columns, {rid: [k for k in keys if k in valid] for rid, keys in role_keys.items()}


def _level_column(level_id: str, number: int, name: str) -> MatrixColumn:
    return MatrixColumn(
        f"level:{level_id}",
        "level",
        f"L{number}",
        f"Any level {number} course ({name})",
        level_id,
        number,
        name,
    )


def training_matrix(
    session: Session,
    today: date | None = None,
    *,
    agency_id: str | None = None,
    sector: str | None = None,
    role_id: str | None = None,
    include_inactive: bool = False,
    trainee_id: str | None = None,
    warning: int | None = None,
) -> Matrix:
    """The whole matrix in four small queries and one grouped scan of the attendance.

    Rows: live trainees (in post unless ``include_inactive``), by agency then name,
    optionally limited to one agency, sector, role or trainee.  Columns: every course offered now,
    by level and code, with "any course of level N" columns where a role needs a level.
    """
    today = today or date.today()
    warn = warning_days(session) if warning is None else warning
    columns, role_keys = _columns(session)
    stmt = (
        select(
            Trainee.id,
            Trainee.name,
            Trainee.agency_id,
            Agency.name,
            Agency.short_name,
            Agency.sector,
            Trainee.role_id,
            StaffRole.name,
            StaffRole.sector,
            Trainee.email,
            Trainee.active,
        )
        .join(Agency, Agency.id == Trainee.agency_id)
        .outerjoin(StaffRole, and_(StaffRole.id == Trainee.role_id, _live(StaffRole)))
        .where(_live(Trainee))
        .order_by(func.lower(Agency.name), func.lower(Trainee.name), Trainee.id)
    )
    everyone = session.connection().execute(stmt).all()
    names = Counter(r[1].lower() for r in everyone)
    rows: list[MatrixRow] = []
    for tid, name, aid, agency, short, a_sector, rid, role, r_sector, email, active in everyone:
        row_sector = r_sector or a_sector
        if not (include_inactive or active):
            continue
        if agency_id and aid != agency_id:
            continue
        if sector and row_sector != sector:
            continue
        if role_id and rid != role_id:
            continue
        if trainee_id and tid != trainee_id:
            continue
        rows.append(
            MatrixRow(
                tid,
                name,
                aid,
                agency,
                short or agency,
                row_sector,
                rid if role else None,
                role or "",
                email,
                bool(active),
                names[name.lower()] > 1,
            )
        )
    filtered = bool(agency_id or sector or role_id or trainee_id)
    latest = _latest_completions(
        session, today, [r.trainee_id for r in rows] if filtered and len(rows) <= 900 else None
    )
    index = {col.key: i for i, col in enumerate(columns)}
    months_of = {col.key: col.refresher_months for col in columns if col.kind == "course"}
    level_courses: dict[str, list[str]] = defaultdict(list)
    for col in columns:
        if col.kind == "course":
            level_courses[col.level_id].append(col.key)
    # Cells are immutable, and many trainees share a completion day: compute each
    # (day, refresher, required) once.
    memo: dict[tuple[date | None, int | None, bool], Cell | None] = {}

    def status(completed: date | None, months: int | None, required: bool) -> Cell | None:
        key = (completed, months, required)
        found = memo.get(key, memo)
        if found is memo:
            found = memo[key] = cell_status(completed, months, today, warn, required)
        return found  # type: ignore[return-value]

    ncols = len(columns)
    empty: dict[str, date] = {}
    cells: list[list[Cell | None]] = []
    for row in rows:
        grid: list[Cell | None] = [None] * ncols
        done = latest.get(row.trainee_id, empty)
        required = role_keys.get(row.role_id or "", ())
        for cid, completed in done.items():
            i = index.get(cid)
            if i is not None:
                grid[i] = status(completed, months_of[cid], False)
        for key in required:
            if key.startswith("level:"):
                found = [
                    (done[cid], months_of[cid])
                    for cid in level_courses.get(key[6:], ())
                    if cid in done
                ]
                best = _best(found)
                grid[index[key]] = (
                    status(best[0], best[1], True) if best else status(None, None, True)
                )
            else:
                grid[index[key]] = status(done.get(key), months_of[key], True)
        cells.append(grid)
    return Matrix(today, warn, columns, rows, cells)


# --------------------------------------------------------------------------- compliance
def matrix_keys(matrix: Matrix) -> set[str]:
    return {col.key for col in matrix.columns}


def _compliance(matrix: Matrix, key) -> list[ComplianceRow]:  # noqa: ANN001
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r, row in enumerate(matrix.rows):
        groups[key(row)].append(r)
    out = []
    for (name, sector), members in groups.items():
        counts: Counter[str] = Counter()
        compliant = 0
        for r in members:
            c = matrix.row_counts(r)
            counts.update(c)
            if not c[EXPIRED] and not c[MISSING]:
                compliant += 1
        out.append(
            ComplianceRow(
                name,
                sector,
                len(members),
                sum(counts[s] for s in REQUIRED_STATUSES),
                counts[DONE],
                counts[EXPIRING],
                counts[EXPIRED],
                counts[MISSING],
                compliant,
            )
        )
    return out


def _lowest_first(rows: list[ComplianceRow]) -> list[ComplianceRow]:
    return sorted(
        rows,
        key=lambda c: (
            c.percent is None,
            c.percent if c.percent is not None else 0,
            c.name.lower(),
        ),
    )


def compliance_by_agency(matrix: Matrix) -> list[ComplianceRow]:
    """Compliance of each agency's trainees, lowest first (agencies needing nothing last)."""
    return _lowest_first(_compliance(matrix, lambda row: (row.agency, row.sector)))


def compliance_by_sector(matrix: Matrix) -> list[ComplianceRow]:
    rows = _compliance(matrix, lambda row: (row.sector, row.sector))
    return sorted(rows, key=lambda c: c.name)


def compliance_overall(matrix: Matrix) -> ComplianceRow:
    found = _compliance(matrix, lambda row: ("All trainees", ""))
    return found[0] if found else ComplianceRow("All trainees", "", 0, 0, 0, 0, 0, 0, 0)


def compliance_by_column(matrix: Matrix) -> list[ComplianceRow]:
    """For each course (or level) column: how many need it and how many are up to date."""
    out = []
    for c, col in enumerate(matrix.columns):
        counts: Counter[str] = Counter()
        for grid in matrix.cells:
            cell = grid[c]
            if cell is not None and cell.required:
                counts[cell.status] += 1
        required = sum(counts.values())
        if not required:
            continue
        out.append(
            ComplianceRow(
                col.label,
                f"Level {col.level_number}",
                required,
                required,
                counts[DONE],
                counts[EXPIRING],
                counts[EXPIRED],
                counts[MISSING],
                counts[DONE] + counts[EXPIRING],
            )
        )
    return out


def expiring_list(
    matrix: Matrix, within_days: int | None = None, *, include_expired: bool = False
) -> list[ExpiringRow]:
    """Required courses whose refresher is due within ``within_days`` (default: the
    matrix's warning window), soonest first; with ``include_expired``, the overdue too."""
    limit = matrix.warning_days if within_days is None else within_days
    out = []
    for r, row in enumerate(matrix.rows):
        for c, cell in enumerate(matrix.cells[r]):
            if cell is None or not cell.required or cell.due is None:
                continue
            days = (cell.due - matrix.today).days
            if days < 0 and not include_expired:
                continue
            if days > limit:
                continue
            col = matrix.columns[c]
            out.append(
                ExpiringRow(
                    row.trainee_id,
                    row.name,
                    row.agency,
                    row.role,
                    col.key,
                    col.code,
                    col.label,
                    cell.completed,
                    cell.due,
                    days,
                    cell.status,
                )
            )
    out.sort(key=lambda e: (e.due, e.agency.lower(), e.name.lower()))
    return out


def expiring(
    session: Session, today: date | None = None, within_days: int | None = None
) -> list[ExpiringRow]:
    """Refreshers due within ``within_days`` (default: the warning window) from today."""
    return expiring_list(training_matrix(session, today), within_days)


# --------------------------------------------------------------------------- history
def _column_for(session: Session, key: str) -> tuple[MatrixColumn, list[str]]:
    if key.startswith("level:"):
        level = _get(session, CourseLevel, key[6:], "level", "column")
        ids = [
            cid
            for (cid,) in session.execute(
                select(Course.id).where(Course.level_id == level.id, _live(Course))
            )
        ]
        return _level_column(level.id, level.number, level.name), ids
    course = _get(session, Course, key, "course", "column")
    return (
        MatrixColumn(
            course.id,
            "course",
            course.code,
            course.title,
            course.level_id,
            course.level.number,
            course.level.name,
            course.topic.name if course.topic is not None else "",
            course.refresher_months,
        ),
        [course.id],
    )


def cell_history(
    session: Session, trainee_id: str, column_key: str, today: date | None = None
) -> CellHistory:
    """Every session record of one trainee for one column (a course, or a level's
    courses), newest first, with the cell as the matrix shows it."""
    today = today or date.today()
    trainee = _get(session, Trainee, trainee_id, "trainee", "trainee")
    column, course_ids = _column_for(session, column_key)
    matrix = training_matrix(session, today, include_inactive=True, trainee_id=trainee.id)
    row = matrix.rows[0]
    cell = matrix.cell(trainee.id, column_key) if column_key in matrix_keys(matrix) else None
    records = []
    if course_ids:
        for aid, sid, on, code, title, venue, status, completed, months in session.execute(
            select(
                Attendance.id,
                TrainingSession.id,
                TrainingSession.session_date,
                Course.code,
                Course.title,
                TrainingSession.venue,
                Attendance.status,
                Attendance.completed_on,
                Course.refresher_months,
            )
            .join(TrainingSession, TrainingSession.id == Attendance.session_id)
            .join(Course, Course.id == TrainingSession.course_id)
            .where(
                Attendance.trainee_id == trainee.id,
                TrainingSession.course_id.in_(course_ids),
                _live(Attendance),
                _live(TrainingSession),
            )
            .order_by(TrainingSession.session_date.desc())
        ):
            due = add_months(completed, months) if completed and months else None
            records.append(
                HistoryRecord(aid, sid, on, f"{code} \u2013 {title}", venue, status, completed, due)
            )
    return CellHistory(row, column, cell, records, tuple(course_ids))


def who_needs(session: Session, course_id: str, today: date | None = None) -> dict[str, str]:
    """Trainees in post for whom ``course_id`` (or any course of its level, where their
    role asks for the level) is missing, expired or expiring: trainee id -> that status."""
    course = _get(session, Course, course_id, "course", "course")
    matrix = training_matrix(session, today)
    keys = {course.id, f"level:{course.level_id}"}
    columns = [i for i, col in enumerate(matrix.columns) if col.key in keys]
    rank = {MISSING: 0, EXPIRED: 1, EXPIRING: 2}
    out: dict[str, str] = {}
    for r, row in enumerate(matrix.rows):
        found = [
            cell.status
            for i in columns
            if (cell := matrix.cells[r][i]) is not None and cell.required and cell.status in rank
        ]
        if found:
            out[row.trainee_id] = min(found, key=rank.__getitem__)
    return out


def sessions_for_booking(
    session: Session, column_key: str, today: date | None = None
) -> list[SessionRow]:
    """Sessions from today on of the column's course (or of any course of its level)."""
    today = today or date.today()
    _, course_ids = _column_for(session, column_key)
    if not course_ids:
        return []
    return _session_rows(
        session,
        TrainingSession.session_date >= today,
        TrainingSession.course_id.in_(course_ids),
    )


# --------------------------------------------------------------------------- dashboard
def dashboard_tiles(session: Session, today: date) -> list:
    from dvcoord.services.dashboard import Tile

    has_trainees = session.scalar(select(func.count()).where(_live(Trainee)))
    has_sessions = session.scalar(select(func.count()).where(_live(TrainingSession)))
    if not has_trainees and not has_sessions:
        return []
    matrix = training_matrix(session, today)
    overall = compliance_overall(matrix)
    agencies = [c for c in compliance_by_agency(matrix) if c.percent is not None]
    tiles = []
    if overall.percent is not None:
        lowest = agencies[0].percent if agencies else overall.percent
        tiles.append(
            Tile(
                key="training.compliance",
                area="Training",
                title="Training compliance",
                value=f"{overall.percent:.1f}%",
                detail=f"{overall.compliant_trainees} of {overall.trainees} staff fully "
                "trained; lowest agencies first",
                severity="ok" if lowest >= 90 else ("warning" if lowest >= 70 else "alert"),
                view="training",
                order=40,
                lines=tuple(f"{c.name} \u2013 {c.percent:.1f}%" for c in agencies[:5]),
            )
        )
    due = expiring_list(matrix)
    tiles.append(
        Tile(
            key="training.expiring",
            area="Training",
            title=f"Refreshers due in {matrix.warning_days} days",
            value=str(len(due)),
            detail=(
                f"{sum(1 for e in due if e.days_left <= 14)} within two weeks"
                if due
                else "No refresher due soon"
            ),
            severity="warning" if due else "ok",
            view="training",
            order=41,
            lines=tuple(
                f"{e.name} ({e.agency}) \u2013 {e.code} due {format_date(e.due)}" for e in due[:5]
            ),
        )
    )
    fy, q = quarter_of(today)
    start, end = quarter_range(fy, q)
    rows = list_sessions(session, start, end)
    held = [r for r in rows if r.session_date < today]
    coming = [r for r in rows if r.session_date >= today]
    tiles.append(
        Tile(
            key="training.sessions_quarter",
            area="Training",
            title=f"Training sessions {quarter_label(fy, q)}",
            value=str(len(rows)),
            detail=f"{len(held)} held ({sum(r.attended for r in held)} attended), "
            f"{len(coming)} to come",
            severity="info",
            view="training",
            order=42,
            lines=tuple(
                f"{format_date(r.session_date)} {r.code} \u2013 {r.taken}/{r.capacity} places"
                for r in coming[:5]
            ),
        )
    )
    return tiles
