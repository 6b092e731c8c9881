"""Training reports: the matrix, compliance by sector and agency, sessions delivered.

Kinds (``dvcoord report KIND``):

* ``training-matrix`` - landscape; one table per agency (split by level when an agency
  needs more courses than fit across the page), header row repeated on every page, each
  cell coloured *and* marked (✓ done, ! expiring, ✗ expired, – missing) with the
  completion date.  ``--agency NAME`` limits it to one agency.
* ``training-compliance`` - compliance by sector and by agency (with charts), by course,
  the refreshers due within the warning window and those already expired.
* ``training-sessions`` - the sessions held in a period (default: this financial year)
  with who attended, did not attend or cancelled; attendance by course and by agency,
  and the sessions still to come in the period.

Trainees are staff, so their names are printed; no report holds case data.  Every model
comes from :mod:`dvcoord.services.training` and is drawn on :mod:`dvcoord.reports.layout`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, TableStyle
from sqlalchemy import func, or_, select

from dvcoord.reports import fonts
from dvcoord.reports import layout as L
from dvcoord.reports._plan_common import options_for, today_of
from dvcoord.reports.registry import ReportKind, ReportRequest, register
from dvcoord.services import training as svc
from dvcoord.services.dates import financial_year_of, format_date, fy_label, fy_range
from dvcoord.store.schema.plans import Agency

if TYPE_CHECKING:
    from dvcoord.store import Database

AREA = "Training"
#: Course columns per table in landscape: each holds "✓ 12/03/2024" on one line.
MATRIX_COLUMNS_PER_TABLE = 9
_CELL_WIDTH = 21.5 * mm
_FILLS = {status: colors.HexColor(colour) for status, colour in svc.STATUS_COLOURS.items()}
_CELL_SIZE = 8.5  # as layout's table cells
_CELL_LEADING = 10.5


class _MarkCell(Flowable):
    """One matrix cell: a mark and a date on one line, drawn directly.

    A matrix of 3,000 trainees has tens of thousands of these; as Paragraphs each would
    be parsed as markup and line-broken, which is most of the time a big matrix takes.
    The text is fixed and short ("✓ 12/03/2024" is under 19 mm), so it never wraps.
    """

    def __init__(self, text: str, muted: bool = False) -> None:
        super().__init__()
        self.text = text
        self.muted = muted

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        return availWidth, _CELL_LEADING

    def draw(self) -> None:
        canv = self.canv
        canv.setFont(fonts.CONDENSED, _CELL_SIZE)
        canv.setFillColor(L.MUTED if self.muted else L.INK)
        canv.drawString(0, _CELL_LEADING - _CELL_SIZE, self.text)


def _d(value: date | None) -> str:
    return format_date(value) if value else "\u2013"


def _pc(value: float | None) -> str:
    return f"{value:.1f}%" if value is not None else "\u2013"


def _agency_id(db: Database, agency: str | None) -> str | None:
    """``--agency`` as an id, a name or a short name (case-insensitive)."""
    if not agency:
        return None
    key = agency.strip().lower()
    with db.session() as s:
        found = s.scalar(
            select(Agency.id).where(
                Agency.deleted_at.is_(None),
                or_(
                    Agency.id == agency.strip(),
                    func.lower(Agency.name) == key,
                    func.lower(Agency.short_name) == key,
                ),
            )
        )
    if found is None:
        raise L.ReportError(f"There is no agency called '{agency}'.")
    return found


def key_table() -> Any:
    """What the marks and colours mean (colour is never the only signal)."""
    statuses = (svc.DONE, svc.EXPIRING, svc.EXPIRED, svc.MISSING, svc.EXTRA)
    table = L.data_table(
        ["Mark", "Meaning"],
        [
            ["(\u2713)" if s == svc.EXTRA else svc.MARKS[s], svc.STATUS_MEANINGS[s]]
            for s in statuses
        ],
        [16 * mm, 1.0],
        zebra=False,
    )
    table.setStyle(
        TableStyle(
            [("BACKGROUND", (0, r), (0, r), _FILLS[s]) for r, s in enumerate(statuses, start=1)]
        )
    )
    return table


def _summary_pairs(overall: svc.ComplianceRow, warning: int) -> list[tuple[str, str]]:
    return [
        ("Staff in the matrix", f"{overall.trainees:,}"),
        (
            "Fully trained",
            f"{overall.compliant_trainees:,} of {overall.trainees:,} "
            "(every required course done or expiring)",
        ),
        (
            "Required courses",
            f"{overall.required:,}: {overall.done:,} done, {overall.expiring:,} expiring, "
            f"{overall.expired:,} expired, {overall.missing:,} missing",
        ),
        ("Compliance", _pc(overall.percent)),
        ("Warning window", f"{warning} days before a refresher is due"),
    ]


# --------------------------------------------------------------------------- matrix
@dataclass(frozen=True)
class MatrixModel:
    matrix: svc.Matrix
    agency: str  # "" = every agency


def build_matrix_model(db: Database, today: date, agency: str | None = None) -> MatrixModel:
    agency_id = _agency_id(db, agency)
    with db.session() as s:
        matrix = svc.training_matrix(s, today, agency_id=agency_id)
    name = matrix.rows[0].agency if agency_id and matrix.rows else (agency or "")
    return MatrixModel(matrix, name if agency_id else "")


def _chunks(columns: list[int], matrix: svc.Matrix, size: int) -> list[list[int]]:
    """Split column indexes into tables of at most ``size``, keeping each level whole
    where it fits."""
    by_level: dict[int, list[int]] = defaultdict(list)
    for c in columns:
        by_level[matrix.columns[c].level_number].append(c)
    out: list[list[int]] = []
    current: list[int] = []
    for number in sorted(by_level):
        group = by_level[number]
        if current and len(current) + len(group) > size:
            out.append(current)
            current = []
        while len(group) > size:
            out.append(group[:size])
            group = group[size:]
        current += group
    if current:
        out.append(current)
    return out


def _levels_of(matrix: svc.Matrix, cols: list[int]) -> str:
    numbers = sorted({matrix.columns[c].level_number for c in cols})
    if len(numbers) == 1:
        return f"level {numbers[0]}"
    return "levels " + ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"


def _matrix_table(matrix: svc.Matrix, rows: list[int], cols: list[int], frame: float) -> Any:
    header = ["Name", "Role", *(matrix.columns[c].code for c in cols)]
    data: list[list[Any]] = []
    fills: list[tuple[Any, ...]] = []
    for i, r in enumerate(rows, start=1):
        row = matrix.rows[r]
        name = f"{row.name} \u2021" if row.same_name else row.name
        line: list[Any] = [name, row.role or "\u2013"]
        for j, c in enumerate(cols, start=2):
            cell = matrix.cells[r][c]
            if cell is None:
                line.append("")
            elif cell.status == svc.EXTRA:  # grey, uncoloured: done but not required
                line.append(_MarkCell(f"{cell.mark} {_d(cell.completed)}", muted=True))
            else:
                line.append(_MarkCell(cell.text))
                fills.append(("BACKGROUND", (j, i), (j, i), _FILLS[cell.status]))
        data.append(line)
    # Names (120 characters at most) and roles (200) never need continuation rows, so
    # table row i + 1 is trainee i and the fills land on their own cells.
    room = frame - _CELL_WIDTH * len(cols)  # name and role share it, up to a point
    widths = [min(55 * mm, 0.55 * room), min(45 * mm, 0.45 * room)]
    table = L.data_table(header, data, [*widths, *([_CELL_WIDTH] * len(cols))])
    table.setStyle(TableStyle(fills))
    return table


def render_matrix(model: MatrixModel, out: Path | str, options: L.ReportOptions) -> Path:
    m = model.matrix
    doc = L.ReportDocument(
        out,
        title="Training matrix",
        subtitle=model.agency or "Required training of every member of staff, by agency",
        period=f"As at {format_date(m.today)}",
        landscape=True,
        options=options,
    )
    overall = svc.compliance_overall(m)
    story: list[Any] = [
        L.key_values(_summary_pairs(overall, m.warning_days), label_width=45 * mm),
        L.heading("Key", 2),
        key_table(),
    ]
    if not m.rows:
        story.append(L.no_data("There are no trainees in post to show."))
        return doc.build(story)
    used = m.used_columns(range(len(m.rows)), required_only=True)
    story.append(L.heading("Courses", 2))
    story.append(
        L.data_table(
            ["Code", "Course", "Level", "Topic", "Refresher"],
            [
                [
                    col.code,
                    col.title,
                    str(col.level_number),
                    col.topic or "\u2013",
                    f"every {col.refresher_months} months"
                    if col.refresher_months
                    else ("\u2013" if col.kind == "level" else "none"),
                ]
                for col in (m.columns[c] for c in used)
            ],
            [22 * mm, 0.6, 14 * mm, 0.4, 30 * mm],
        )
    )
    if any(row.same_name for row in m.rows):
        story.append(
            L.para("\u2021 another member of staff has the same name; both are listed.", "small")
        )
    by_agency: dict[str, list[int]] = defaultdict(list)
    for r, row in enumerate(m.rows):
        by_agency[row.agency].append(r)
    compliance = {c.name: c for c in svc.compliance_by_agency(m)}
    for agency in sorted(by_agency, key=str.lower):
        rows = by_agency[agency]
        c = compliance[agency]
        story.append(L.heading(agency, 1))
        story.append(
            L.para(
                f"{c.sector.capitalize()} \u00b7 {c.trainees:,} staff \u00b7 "
                f"{_pc(c.percent)} of required courses up to date "
                f"({c.compliant:,} of {c.required:,}) \u00b7 {c.expiring:,} expiring, "
                f"{c.expired:,} expired, {c.missing:,} missing",
                "small",
            )
        )
        cols = m.used_columns(rows, required_only=True)
        if not cols:
            story.append(L.no_data("No course is required of these roles yet."))
            continue
        parts = _chunks(cols, m, MATRIX_COLUMNS_PER_TABLE)
        for part in parts:
            if len(parts) > 1:
                story.append(L.heading(f"{agency}: {_levels_of(m, part)} courses", 3))
            story.append(_matrix_table(m, rows, part, doc.frame_width))
    return doc.build(story)


def build_matrix(db: Database, request: ReportRequest) -> Path:
    model = build_matrix_model(db, today_of(request), request.agency)
    return render_matrix(model, request.out, options_for(db, request, MATRIX))


# --------------------------------------------------------------------------- compliance
@dataclass(frozen=True)
class ComplianceModel:
    today: date
    warning_days: int
    overall: svc.ComplianceRow
    sectors: list[svc.ComplianceRow]
    agencies: list[svc.ComplianceRow]
    courses: list[svc.ComplianceRow]
    due: list[svc.ExpiringRow]
    expired: list[svc.ExpiringRow]
    short_names: dict[str, str]  # agency name -> short name, for chart labels


def build_compliance_model(db: Database, today: date) -> ComplianceModel:
    with db.session() as s:
        m = svc.training_matrix(s, today)
    everything = svc.expiring_list(m, include_expired=True)
    return ComplianceModel(
        today,
        m.warning_days,
        svc.compliance_overall(m),
        svc.compliance_by_sector(m),
        svc.compliance_by_agency(m),
        svc.compliance_by_column(m),
        [e for e in everything if e.days_left >= 0],
        sorted(
            (e for e in everything if e.days_left < 0),
            key=lambda e: (e.agency.lower(), e.name.lower(), e.code),
        ),
        {row.agency: row.agency_short for row in m.rows},
    )


def _compliance_rows(rows: list[svc.ComplianceRow], total: svc.ComplianceRow | None) -> list:
    out = [
        [
            r.name.capitalize() if r.name == r.sector else r.name,
            f"{r.trainees:,}",
            f"{r.required:,}",
            f"{r.done:,}",
            f"{r.expiring:,}",
            f"{r.expired:,}",
            f"{r.missing:,}",
            _pc(r.percent),
        ]
        for r in rows
    ]
    if total is not None:
        out.append(
            [
                "All",
                f"{total.trainees:,}",
                f"{total.required:,}",
                f"{total.done:,}",
                f"{total.expiring:,}",
                f"{total.expired:,}",
                f"{total.missing:,}",
                _pc(total.percent),
            ]
        )
    return out


_COMPLIANCE_WIDTHS = [1.0, 15 * mm, 18 * mm, 15 * mm, 17 * mm, 16 * mm, 16 * mm, 20 * mm]


def render_compliance(model: ComplianceModel, out: Path | str, options: L.ReportOptions) -> Path:
    doc = L.ReportDocument(
        out,
        title="Training compliance",
        subtitle="By sector and agency, with refreshers due",
        period=f"As at {format_date(model.today)}",
        options=options,
    )
    story: list[Any] = [
        L.key_values(_summary_pairs(model.overall, model.warning_days), label_width=42 * mm),
        L.para(
            "Compliance is the share of required courses that are done or expiring (still "
            "valid). A role needs the courses, or any course of the levels, set for it.",
            "small",
        ),
    ]
    if not model.overall.trainees:
        story.append(L.no_data("There are no trainees in post yet."))
        return doc.build(story)
    header = ["", "Staff", "Required", "Done", "Expiring", "Expired", "Missing", "Compliant"]
    story.append(L.heading("By sector", 1))
    story.append(
        L.data_table(
            ["Sector", *header[1:]],
            _compliance_rows(model.sectors, model.overall),
            _COMPLIANCE_WIDTHS,
            right_align=range(1, 8),
            total_row=True,
        )
    )
    charted = [r for r in model.sectors if r.percent is not None]
    story.append(
        L.bar_chart(
            [r.name.capitalize() for r in charted],
            {"% compliant": [round(r.percent or 0) for r in charted]},
            ["#1F4E79"],
            height=62 * mm,
        )
    )
    story.append(L.heading("By agency (lowest first)", 1))
    story.append(
        L.data_table(
            ["Agency", *header[1:]],
            _compliance_rows(model.agencies, None),
            _COMPLIANCE_WIDTHS,
            right_align=range(1, 8),
        )
    )
    charted = [r for r in model.agencies if r.percent is not None]
    story.append(
        L.bar_chart(
            [model.short_names.get(r.name) or r.name for r in charted],
            {"% compliant": [round(r.percent or 0) for r in charted]},
            ["#1F4E79"],
            height=75 * mm,
        )
    )
    story.append(L.heading("By course", 1))
    story.append(
        L.data_table(
            ["Course", "Needed by", "Done", "Expiring", "Expired", "Missing", "Compliant"],
            [
                [
                    r.name,
                    f"{r.required:,}",
                    f"{r.done:,}",
                    f"{r.expiring:,}",
                    f"{r.expired:,}",
                    f"{r.missing:,}",
                    _pc(r.percent),
                ]
                for r in model.courses
            ],
            [1.0, 18 * mm, 15 * mm, 17 * mm, 16 * mm, 16 * mm, 20 * mm],
            right_align=range(1, 7),
        )
    )
    story.append(L.heading(f"Refreshers due in the next {model.warning_days} days", 1))
    if model.due:
        story += _due_by_agency(model.due)
    else:
        story.append(L.no_data(f"No refresher is due in the next {model.warning_days} days."))
    story.append(L.heading("Expired, by agency and course", 1))
    if model.expired:
        story.append(
            L.para(
                "How many required courses are past their refresher date; the training "
                "matrix names the staff concerned.",
                "small",
            )
        )
        story += _expired_summary(model.expired)
    else:
        story.append(L.no_data("No required course has expired."))
    return doc.build(story)


def _expired_summary(rows: list[svc.ExpiringRow]) -> list[Any]:
    groups: dict[str, dict[str, list[svc.ExpiringRow]]] = defaultdict(lambda: defaultdict(list))
    for e in rows:
        groups[e.agency][e.course].append(e)
    return L.sections_as_tables(
        [
            L.TableSection(
                f"{agency} ({sum(len(v) for v in courses.values())})",
                [
                    [
                        course,
                        f"{len(items):,}",
                        _d(min(e.due for e in items if e.due)),
                        f"{max(-e.days_left for e in items):,}",
                    ]
                    for course, items in sorted(courses.items())
                ],
            )
            for agency, courses in sorted(groups.items(), key=lambda x: x[0].lower())
        ],
        ["Course", "Expired", "Longest overdue since", "Most days over"],
        [1.0, 18 * mm, 32 * mm, 26 * mm],
        level=3,
    )


def _due_by_agency(rows: list[svc.ExpiringRow]) -> list[Any]:
    """One table per agency (a county's list can run to thousands of rows, and one table
    per section keeps the layout linear)."""
    groups: dict[str, list[svc.ExpiringRow]] = defaultdict(list)
    for e in rows:
        groups[e.agency].append(e)
    return L.sections_as_tables(
        [
            L.TableSection(
                f"{agency} ({len(items)})",
                [
                    [
                        e.name,
                        e.role or "\u2013",
                        e.course,
                        _d(e.completed),
                        _d(e.due),
                        f"{e.days_left:,}",
                    ]
                    for e in items
                ],
            )
            for agency, items in sorted(groups.items(), key=lambda x: x[0].lower())
        ],
        ["Trainee", "Role", "Course", "Completed", "Due", "Days left"],
        [0.24, 0.24, 0.52, 20 * mm, 20 * mm, 15 * mm],
        level=3,
    )


def build_compliance(db: Database, request: ReportRequest) -> Path:
    model = build_compliance_model(db, today_of(request))
    return render_compliance(model, request.out, options_for(db, request, COMPLIANCE))


# --------------------------------------------------------------------------- sessions
@dataclass(frozen=True)
class SessionsModel:
    date_from: date
    date_to: date
    today: date
    period: str
    held: list[svc.SessionRow]
    planned: list[svc.SessionRow]
    attendance: dict[str, list[svc.AttendanceRow]]
    sectors: dict[str, str]  # agency name -> sector


def build_sessions_model(
    db: Database, date_from: date | None, date_to: date | None, today: date
) -> SessionsModel:
    if date_from is None and date_to is None:
        fy = financial_year_of(today)
        date_from, date_to = fy_range(fy)
        period = f"Financial year {fy_label(fy)}"
    else:
        date_from = date_from or fy_range(financial_year_of(date_to))[0]  # type: ignore[arg-type]
        date_to = date_to or fy_range(financial_year_of(date_from))[1]
        if (date_from, date_to) == fy_range(financial_year_of(date_from)):
            period = f"Financial year {fy_label(financial_year_of(date_from))}"
        else:
            period = f"{format_date(date_from)} to {format_date(date_to)}"
    with db.session() as s:
        rows = svc.list_sessions(s, date_from, date_to)
        held = [r for r in rows if r.session_date <= today]
        attendance = svc.session_attendance(s, [r.session_id for r in held])
        sectors = dict(
            s.execute(select(Agency.name, Agency.sector).where(Agency.deleted_at.is_(None))).all()
        )
    return SessionsModel(
        date_from,
        date_to,
        today,
        period,
        held,
        [r for r in rows if r.session_date > today],
        attendance,
        sectors,
    )


_STATUS_TEXT = {
    "attended": "Attended",
    "did not attend": "Did not attend",
    "cancelled": "Cancelled",
    "booked": "Booked (outcome not recorded)",
}


def render_sessions(model: SessionsModel, out: Path | str, options: L.ReportOptions) -> Path:
    doc = L.ReportDocument(
        out,
        title="Training sessions delivered",
        subtitle="Sessions held, with attendance",
        period=model.period,
        options=options,
    )
    held = model.held
    attended = sum(r.attended for r in held)
    missed = sum(r.did_not_attend for r in held)
    rate = f"{100 * attended / (attended + missed):.1f}%" if attended + missed else "\u2013"
    by_agency: Counter[str] = Counter()
    for rows in model.attendance.values():
        by_agency.update(a.agency for a in rows if a.status == "attended")
    sectors = sorted({model.sectors.get(a, "other") for a in by_agency})
    story: list[Any] = [
        L.key_values(
            [
                ("Period", f"{format_date(model.date_from)} to {format_date(model.date_to)}"),
                ("Sessions held", f"{len(held):,}"),
                ("Places offered", f"{sum(r.capacity for r in held):,}"),
                ("Attended", f"{attended:,} (attendance rate {rate} of those expected)"),
                ("Did not attend", f"{missed:,}"),
                ("Cancelled places", f"{sum(r.cancelled for r in held):,}"),
                ("Agencies trained", f"{len(by_agency):,}"),
                ("Sectors trained", ", ".join(sectors) if sectors else "none"),
                ("Sessions still to come", f"{len(model.planned):,} in the period"),
            ],
            label_width=45 * mm,
        )
    ]
    if not held:
        story.append(L.no_data("No training session was held in this period."))
    else:
        courses: dict[str, list[svc.SessionRow]] = defaultdict(list)
        for r in held:
            courses[r.course_label].append(r)
        story.append(L.heading("By course", 1))
        story.append(
            L.data_table(
                ["Course", "Sessions", "Attended", "Did not attend", "Cancelled"],
                [
                    [
                        label,
                        f"{len(rs):,}",
                        f"{sum(r.attended for r in rs):,}",
                        f"{sum(r.did_not_attend for r in rs):,}",
                        f"{sum(r.cancelled for r in rs):,}",
                    ]
                    for label, rs in sorted(courses.items())
                ],
                [1.0, 18 * mm, 18 * mm, 24 * mm, 18 * mm],
                right_align=(1, 2, 3, 4),
            )
        )
        story.append(L.heading("Attendance by agency", 1))
        story.append(
            L.data_table(
                ["Agency", "Sector", "Attended"],
                [
                    [agency, model.sectors.get(agency, "other").capitalize(), f"{n:,}"]
                    for agency, n in sorted(by_agency.items(), key=lambda x: (-x[1], x[0]))
                ],
                [0.65, 0.35, 20 * mm],
                right_align=(2,),
            )
        )
        story.append(L.heading("Sessions and who attended", 1))
        sections = []
        for r in held:
            people = model.attendance.get(r.session_id, [])
            intro = (
                f"{r.venue or 'Venue not recorded'} \u00b7 trainer(s): {r.trainers or 'not recorded'}"
                f" \u00b7 {r.capacity} places, {r.attended} attended, {r.did_not_attend} did not "
                f"attend, {r.cancelled} cancelled"
            )
            sections.append(
                L.TableSection(
                    f"{format_date(r.session_date)} \u00b7 {r.course_label}",
                    [
                        [
                            a.name,
                            a.agency,
                            a.role or "\u2013",
                            _STATUS_TEXT.get(a.status, a.status),
                            _d(a.completed_on) if a.status == "attended" else "",
                        ]
                        for a in people
                    ],
                    intro,
                )
            )
        story += L.sections_as_tables(
            sections,
            ["Name", "Agency", "Role", "Outcome", "Completed"],
            [0.27, 0.33, 0.25, 0.15, 22 * mm],
            empty_text="Nobody was recorded for this session.",
        )
    if model.planned:
        story.append(L.heading("Still to come in the period", 1))
        story.append(
            L.data_table(
                ["Date", "Course", "Venue", "Places", "Booked"],
                [
                    [_d(r.session_date), r.course_label, r.venue, f"{r.capacity}", f"{r.booked}"]
                    for r in model.planned
                ],
                [22 * mm, 0.6, 0.4, 16 * mm, 16 * mm],
                right_align=(3, 4),
            )
        )
    return doc.build(story)


def build_sessions(db: Database, request: ReportRequest) -> Path:
    model = build_sessions_model(db, request.date_from, request.date_to, today_of(request))
    return render_sessions(model, request.out, options_for(db, request, SESSIONS))


# --------------------------------------------------------------------------- kinds
MATRIX = register(
    ReportKind(
        name="training-matrix",
        title="Training: the matrix (who needs what, done, expiring, missing)",
        area=AREA,
        build=build_matrix,
        description="Every member of staff against the courses their role needs, one table "
        "per agency: done (✓), expiring (!), expired (✗) or missing (–), with dates.",
    )
)
COMPLIANCE = register(
    ReportKind(
        name="training-compliance",
        title="Training: compliance by sector and agency",
        area=AREA,
        build=build_compliance,
        description="Compliance by sector, agency and course, with charts; refreshers due "
        "in the warning window and those expired.",
    )
)
SESSIONS = register(
    ReportKind(
        name="training-sessions",
        title="Training: sessions delivered, with attendance",
        area=AREA,
        build=build_sessions,
        uses_period=True,
        description="Sessions held in a period (default: this financial year), who attended, "
        "attendance by course and agency, sessions still to come.",
    )
)
