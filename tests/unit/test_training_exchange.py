"""Training records to and from spreadsheets: export, round trip, import preview, every
kind of bad row, and nothing written when a file is refused."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from dvcoord.errors import DvcoordError
from dvcoord.importers import training as X
from dvcoord.services import training as T
from dvcoord.store import Database
from dvcoord.store.schema.training import Attendance, Trainee, TrainingSession

TODAY = date(2026, 11, 23)


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def count(db, model) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))


def plan_for(db, path):
    sheets = X.read_training_file(path)
    with db.session() as s:
        return sheets, X.plan_import(s, sheets, today=TODAY)


@pytest.fixture
def empty(tmp_path):
    database = Database.create(tmp_path / "empty.sqlite", user="Importer")
    yield database
    database.close()


@pytest.fixture(scope="module")
def exported(demo_template, tmp_path_factory):
    """The demo's workbook, written once."""
    out = tmp_path_factory.mktemp("training-xlsx") / "training.xlsx"
    db = Database.open(demo_template, user="Test Officer", readonly=True, backup=False)
    try:
        with db.session() as s:
            n = X.export_training(s, out, today=TODAY)
            matrix = T.training_matrix(s, TODAY)
            trainees = sorted(
                (t.name, t.agency, t.role, t.email, t.active) for t in T.list_trainees(s)
            )
            attendance = sorted(
                (a.name, a.agency, r.code, r.session_date, a.status, a.completed_on)
                for r in T.list_sessions(s)
                for a in T.session_attendance(s, [r.session_id]).get(r.session_id, [])
            )
    finally:
        db.close()
    return out, n, matrix, trainees, attendance


def test_export_writes_the_matrix_coloured_and_the_records(exported):
    out, n, matrix, trainees, attendance = exported
    assert n == len(matrix.rows)
    wb = load_workbook(out)
    assert wb.sheetnames == [
        "Matrix",
        "Compliance",
        "Trainees",
        "Attendance",
        "Courses",
        "Roles",
        "Key",
    ]
    ws = wb["Matrix"]
    header = [c.value for c in ws[1]]
    assert header[:5] == ["Name", "Agency", "Sector", "Role", "E-mail"]
    assert ws.max_row == n + 1
    texts = {}
    for row in ws.iter_rows(min_row=2):
        for cell in row[5:]:
            if cell.value:
                texts.setdefault(cell.value[0], cell)
    for mark, colour in (("✓", "C8E6C9"), ("!", "FFE08A"), ("✗", "F19C94"), ("–", "F9D6D2")):
        assert mark in texts, mark
        assert texts[mark].fill.fgColor.rgb.endswith(colour)
    assert wb["Trainees"].max_row == len(trainees) + 1
    assert wb["Attendance"].max_row == len(attendance) + 1
    assert wb["Courses"].max_row == 15
    compliance = [r for r in wb["Compliance"].iter_rows(min_row=2, values_only=True)]
    assert compliance[0][0] == T.compliance_by_agency(matrix)[0].name


def test_round_trip_into_an_empty_database(exported, empty):
    out, _, matrix, trainees, attendance = exported
    _, plan, summary = X.import_training_file(empty, out, today=TODAY)
    assert plan.errors == []
    assert summary is not None and summary.trainees == len(trainees)
    assert len(summary.new_courses) == 14
    with empty.session() as s:
        after_trainees = sorted(
            (t.name, t.agency, t.role, t.email, t.active) for t in T.list_trainees(s)
        )
        after_attendance = sorted(
            (a.name, a.agency, r.code, r.session_date, a.status, a.completed_on)
            for r in T.list_sessions(s)
            for a in T.session_attendance(s, [r.session_id]).get(r.session_id, [])
        )
        again = T.training_matrix(s, TODAY)
    assert after_trainees == trainees
    assert after_attendance == attendance
    assert T.compliance_overall(again) == T.compliance_overall(matrix)
    assert [c.code for c in again.columns] == [c.code for c in matrix.columns]
    # importing the same file again changes nothing
    _, plan, summary = X.import_training_file(empty, out, today=TODAY)
    assert summary is None
    assert plan.to_write == [] and plan.errors == []
    assert len(plan.skipped) == len(plan.rows)


@pytest.fixture
def setup(db):
    with db.transaction() as s:
        from dvcoord.store.schema.plans import Agency

        police = Agency(name="Kent Police", short_name="Police", sector="police")
        s.add(police)
        s.flush()
        T.seed_default_lists(s)
        level2 = T.list_levels(s)[1].id
        dash = T.create_course(
            s,
            code="DASH-2",
            title="DASH risk identification",
            level_id=level2,
            refresher_months=12,
            offered_from=date(2025, 1, 1),
            today=TODAY,
        )
        role = T.create_role(s, name="Response officer", agency_id=police.id, course_ids=[dash.id])
        jo = T.create_trainee(
            s, name="Jo Bloggs", agency_id=police.id, role_id=role.id, email="jo@example.org"
        ).trainee
        T.create_trainee(s, name="Sam Cole", agency_id=police.id, role_id=role.id)
        T.create_trainee(s, name="Sam Cole", agency_id=police.id, role_id=role.id)
        full = T.create_session(
            s, course_id=dash.id, session_date=date(2026, 12, 2), capacity=1, today=TODAY
        )
        T.book_trainees(s, full.id, [jo.id], today=TODAY)
        booked = T.create_session(
            s, course_id=dash.id, session_date=date(2026, 10, 6), capacity=10, today=TODAY
        )
        T.book_trainees(s, booked.id, [jo.id], today=TODAY)
    return db


def test_attendance_list_with_every_kind_of_bad_row(setup, tmp_path):
    path = write_csv(
        tmp_path / "partner.csv",
        [
            [
                "Delegate",
                "Organisation",
                "Job title",
                "Email",
                "Course",
                "Training date",
                "Attended",
            ],
            ["Jo Bloggs", "Kent Police", "", "jo@example.org", "DASH-2", "06/10/2026", "yes"],
            [
                "Ann New",
                "Kent Police",
                "Response officer",
                "",
                "dash risk identification",
                "2026-06-17",
                "attended",
            ],
            ["Odd Date", "Kent Police", "", "", "DASH-2", "31/02/2026", "yes"],
            ["Early Bird", "Kent Police", "", "", "DASH-2", "01/12/2024", "yes"],
            ["Future Fan", "Kent Police", "", "", "DASH-2", "14/12/2026", "attended"],
            [
                "Jo Elsewhere",
                "District Housing",
                "",
                "JO@example.org",
                "DASH-2",
                "06/10/2026",
                "yes",
            ],
            ["No Course", "Kent Police", "", "", "Juggling", "13/04/2026", "yes"],
            ["Sam Cole", "Kent Police", "", "", "DASH-2", "06/10/2026", "yes"],
            ["Ann New", "Kent Police", "", "", "DASH-2", "2026-06-17", "attended"],
            ["Late Comer", "Kent Police", "", "", "DASH-2", "02/12/2026", "booked"],
            ["Who Knows", "Kent Police", "", "", "DASH-2", "06/10/2026", "maybe"],
            ["Dee Nay", "Kent Police", "", "", "DASH-2", "06/10/2026", "DNA"],
        ],
    )
    sheets, plan = plan_for(setup, path)
    assert dict((h, f) for _, h, f in plan.mapping) == {
        "Delegate": "Trainee's name",
        "Organisation": "Agency",
        "Job title": "Role",
        "Email": "E-mail",
        "Course": "Course",
        "Training date": "Session date",
        "Attended": "Outcome",
    }
    by_name = {r.label.split(" – ")[0]: r for r in plan.rows if r.kind == "attendance"}
    assert by_name["Jo Bloggs"].action == "update"  # booked -> attended
    assert by_name["Dee Nay"].action == "add"
    expected_errors = {
        "Odd Date": "February 2026 has 28 days",
        "Early Bird": "would be before the course existed",
        "Future Fan": "has not happened yet",
        "Jo Elsewhere": "a person can be in one agency only",
        "No Course": "There is no course 'Juggling'",
        "Sam Cole": "2 trainees are called Sam Cole at Kent Police; add an e-mail column",
        "Late Comer": "has 1 places and they are all taken",
        "Who Knows": "'maybe' is not an outcome",
    }
    for name, words in expected_errors.items():
        row = by_name[name]
        assert row.action == "error", name
        assert any(words in e for e in row.errors), (name, row.errors)
    ann = [r for r in plan.rows if r.label.startswith("Ann New")]
    assert [r.action for r in ann] == ["add", "error"]
    assert "already listed for this session" in ann[1].errors[0]
    assert plan.new_trainees == 2  # Ann New and Dee Nay
    assert plan.new_sessions == 1  # 17/06/2026
    assert "New agencies" not in plan.summary()
    # refused as a whole: nothing written
    before = (count(setup, Trainee), count(setup, Attendance), count(setup, TrainingSession))
    with pytest.raises(DvcoordError, match="9 row.s. have errors"), setup.transaction() as s:
        X.apply_import(s, plan, sheets, today=TODAY)
    assert (
        count(setup, Trainee),
        count(setup, Attendance),
        count(setup, TrainingSession),
    ) == before
    # the good rows only
    with setup.transaction() as s:
        summary = X.apply_import(s, plan, sheets, skip_errors=True, today=TODAY)
    assert (summary.trainees, summary.attendance, summary.updated, summary.sessions) == (2, 2, 1, 1)
    with setup.session() as s:
        jo = s.scalar(select(Trainee).where(Trainee.email == "jo@example.org"))
        matrix = T.training_matrix(s, TODAY)
        assert matrix.cell(jo.id, matrix.columns[-1].key).completed == date(2026, 10, 6)
        statuses = sorted(a.status for rows in T.session_attendance(s).values() for a in rows)
    assert statuses == ["attended", "attended", "booked", "did not attend"]


def test_trainee_list(setup, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Staff list from the housing team"])
    ws.append([])
    ws.append(["Full name", "Employer", "Role", "E-mail address", "Still in post"])
    ws.append(["Pat Home", "District Housing", "Housing options officer", "pat@example.org", "Yes"])
    ws.append(["Lee Left", "District Housing", "Housing options officer", "", "No"])
    ws.append(["Jo Bloggs", "Kent Police", "", "jo@example.org", "Yes"])
    ws.append(["Bad Mail", "District Housing", "", "not-an-address", ""])
    ws.append(["Maybe", "District Housing", "", "", "perhaps"])
    path = tmp_path / "staff.xlsx"
    wb.save(path)
    sheets, plan = plan_for(setup, path)
    assert sheets.attendance is None and sheets.trainees_header == 2
    actions = {r.label: r.action for r in plan.rows}
    assert actions == {
        "Pat Home": "add",
        "Lee Left": "add",
        "Jo Bloggs": "skip",
        "Bad Mail": "error",
        "Maybe": "error",
    }
    assert plan.new_agencies == ["District Housing"]
    assert plan.new_roles == ["Housing options officer"]
    with setup.transaction() as s:
        X.apply_import(s, plan, sheets, skip_errors=True, today=TODAY)
    with setup.session() as s:
        rows = {t.name: t for t in T.list_trainees(s)}
    assert rows["Pat Home"].role == "Housing options officer" and rows["Pat Home"].active
    assert not rows["Lee Left"].active


def test_files_that_cannot_be_read(tmp_path, setup):
    no_names = write_csv(tmp_path / "x.csv", [["Colour", "Size"], ["red", "2"]])
    with pytest.raises(DvcoordError, match="No list of trainees was found"):
        X.read_training_file(no_names)
    with pytest.raises(DvcoordError, match="must be an .xlsx"), setup.session() as s:
        X.export_training(s, tmp_path / "out.csv", today=TODAY)
    word = tmp_path / "list.docx"
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Name", "Agency"
    document.save(word)
    with pytest.raises(DvcoordError, match="is a Word document"):
        X.read_training_file(word)


def test_courses_sheet_without_a_level_is_an_error(empty, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Attendance"
    ws.append(["Name", "Agency", "Course", "Session date"])
    ws.append(["Ann New", "Kent Police", "NEW-1", "01/06/2026"])
    courses = wb.create_sheet("Courses")
    courses.append(["Code", "Title", "Level"])
    courses.append(["NEW-1", "A new course", ""])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    _, plan = plan_for(empty, path)
    assert plan.errors and "has no level number" in plan.errors[0].errors[0]
