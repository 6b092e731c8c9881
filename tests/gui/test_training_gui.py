"""The Training view, its matrix model and its dialogs (pytest-qt, offscreen)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import csv
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from dvcoord.gui import training_dialogs as dlg
from dvcoord.gui import views as view_registry
from dvcoord.gui.training_matrix import MatrixModel
from dvcoord.gui.training_view import TrainingView
from dvcoord.gui.widgets import to_qdate
from dvcoord.services import training as T
from dvcoord.store.schema.plans import Agency
from dvcoord.store.schema.training import Attendance, Course, Trainee

TODAY = date.today()
DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture
def data(db):
    """Two agencies, the standard lists, two courses, a trainer, two roles, four trainees
    (two with the same name), a past session attended and a session to come."""
    ids = {}
    with db.transaction() as s:
        police = Agency(name="Kent Police", short_name="Police", sector="police")
        housing = Agency(name="District Housing", short_name="Housing", sector="housing")
        s.add_all([police, housing])
        s.flush()
        T.seed_default_lists(s)
        levels = {lvl.number: lvl.id for lvl in T.list_levels(s)}
        awr = T.create_course(
            s,
            code="AWR-1",
            title="Awareness",
            level_id=levels[1],
            refresher_months=36,
            offered_from=TODAY - timedelta(days=1500),
        )
        dash = T.create_course(
            s,
            code="DASH-2",
            title="DASH risk identification",
            level_id=levels[2],
            refresher_months=12,
            offered_from=TODAY - timedelta(days=1500),
        )
        trainer = T.create_trainer(s, name="Alex Trainer", course_ids=[awr.id, dash.id])
        response = T.create_role(
            s, name="Response officer", agency_id=police.id, course_ids=[awr.id, dash.id]
        )
        options = T.create_role(
            s, name="Housing options officer", agency_id=housing.id, course_ids=[awr.id]
        )
        people = {}
        for name, agency, role, email in (
            ("Sam Cole", police, response, "sam@example.org"),
            ("Lee Ray", police, response, ""),
            ("Jo Smith", police, response, "jo.p@example.org"),
            ("Jo Smith", housing, options, "jo.h@example.org"),
        ):
            people[f"{name}@{agency.short_name}"] = T.create_trainee(
                s, name=name, agency_id=agency.id, role_id=role.id, email=email
            ).trainee.id
        past = T.create_session(
            s,
            course_id=dash.id,
            session_date=TODAY - timedelta(days=340),  # due in 25 days: expiring
            trainer_ids=[trainer.id],
            venue="Police HQ",
        )
        T.record_attendance(s, past.id, [T.AttendanceEntry(people["Sam Cole@Police"], "attended")])
        coming = T.create_session(
            s, course_id=awr.id, session_date=TODAY + timedelta(days=20), capacity=2
        )
        ids.update(
            police=police.id,
            housing=housing.id,
            awr=awr.id,
            dash=dash.id,
            trainer=trainer.id,
            response=response.id,
            options=options.id,
            past=past.id,
            coming=coming.id,
            level1=levels[1],
            level2=levels[2],
            **people,
        )
    return ids


@pytest.fixture
def view(gui_app, db, data, qtbot, dialogs):
    from dvcoord.gui.context import AppContext
    from dvcoord.gui.settings import AppSettings

    widget = TrainingView(AppContext(db, AppSettings()))
    qtbot.addWidget(widget)
    return widget


def model_rows(model: MatrixModel) -> list[str]:
    return [model.headerData(r, Qt.Orientation.Vertical, DISPLAY) for r in range(model.rowCount())]


def cell_text(model: MatrixModel, trainee_id: str, key: str) -> str:
    return model.data(model.index_of(trainee_id, key), DISPLAY)


def spy(ctx) -> list[str]:
    seen: list[str] = []
    ctx.changed.connect(lambda area, _source: seen.append(area))
    return seen


def exec_saves(monkeypatch, cls, fill=None) -> None:  # noqa: ANN001
    """Make ``cls.exec`` fill the dialog (``fill(dialog)``) and press OK."""

    def run(self) -> int:
        if fill is not None:
            fill(self)
        return int(self.save())

    monkeypatch.setattr(cls, "exec", run)


# --------------------------------------------------------------------------- view
def test_view_is_registered_at_order_40():
    spec = view_registry.get("training")
    assert (spec.title, spec.order, spec.icon_name) == ("Training", 40, "training")


def test_window_shows_the_view(window, data):
    widget = window.show_view("training")
    assert isinstance(widget, TrainingView)
    assert "4 staff in post" in widget.summary_label.text()
    assert "1 refresher(s) due in 60 days" in widget.summary_label.text()


def test_matrix_grouped_by_agency_with_marks_dates_and_colours(view, data):
    model = view.panel.model
    assert model_rows(model) == [
        "District Housing",
        "Jo Smith ‡",
        "Kent Police",
        "Jo Smith ‡",
        "Lee Ray",
        "Sam Cole",
    ]
    assert model.group_rows() == [0, 2]
    assert view.panel.table.columnSpan(0, 0) == model.columnCount()
    heading = model.data(model.index(2, 0), DISPLAY)
    assert heading == "Kent Police – 3 staff, 16.7% of required courses up to date"
    headers = [
        model.headerData(c, Qt.Orientation.Horizontal, DISPLAY) for c in range(model.columnCount())
    ]
    assert headers == ["Agency", "Role", "L1\nAWR-1", "L2\nDASH-2"]
    sam = data["Sam Cole@Police"]
    done_on = TODAY - timedelta(days=340)
    index = model.index_of(sam, data["dash"])
    assert model.data(index, DISPLAY) == f"! {done_on:%d/%m/%Y}"
    assert model.data(index, Qt.ItemDataRole.BackgroundRole).color().name().upper() == "#FFE08A"
    assert "Expiring" in model.data(index, Qt.ItemDataRole.AccessibleTextRole)
    assert "refresher due" in model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert cell_text(model, sam, data["awr"]) == "–"
    assert "Missing" in model.data(
        model.index_of(sam, data["awr"]), Qt.ItemDataRole.AccessibleTextRole
    )
    assert cell_text(model, data["Jo Smith@Housing"], data["dash"]) == ""
    assert view.panel.summary.text() == "4 staff · 14.3% up to date"


def test_matrix_filters_and_grouping(view, data):
    panel = view.panel
    model = panel.model
    panel.agency_combo.setCurrentIndex(panel.agency_combo.findText("District Housing"))
    assert model_rows(model) == ["District Housing", "Jo Smith ‡"]
    assert panel.summary.text() == "1 of 4 staff · 0.0% up to date"
    panel.agency_combo.setCurrentIndex(0)
    panel.sector_combo.setCurrentIndex(panel.sector_combo.findData("police"))
    assert model.trainee_count() == 3
    panel.sector_combo.setCurrentIndex(0)
    panel.role_combo.setCurrentIndex(panel.role_combo.findText("Housing options officer"))
    assert model.trainee_count() == 1
    panel.role_combo.setCurrentIndex(0)
    panel.set_status_filter("expiring")
    assert [r for r in model_rows(model) if r != "Kent Police"] == ["Sam Cole"]
    panel.set_status_filter("missing")
    assert model.trainee_count() == 4
    panel.set_status_filter(None)
    panel.filter_bar.set_text("lee")
    assert model_rows(model) == ["Kent Police", "Lee Ray"]
    panel.filter_bar.set_text("")
    panel.group_combo.setCurrentIndex(panel.group_combo.findData("role"))
    assert model_rows(model)[0] == "Housing options officer"
    panel.group_combo.setCurrentIndex(panel.group_combo.findData("none"))
    assert model.group_rows() == []
    assert model_rows(model) == ["Jo Smith ‡", "Jo Smith ‡", "Lee Ray", "Sam Cole"]
    panel.level_combo.setCurrentIndex(panel.level_combo.findData(2))
    assert model.columnCount() == 3
    panel.by_level_check.setChecked(False)
    assert model.headerData(2, Qt.Orientation.Horizontal, DISPLAY) == "DASH-2"


def test_choosing_a_cell_shows_its_history_and_books_a_session(view, data, monkeypatch):
    seen = spy(view.ctx)
    sam = data["Sam Cole@Police"]
    assert view.panel.select_cell(sam, data["dash"])
    assert "Sam Cole (Response officer, Kent Police) – DASH-2" in view.cell_label.text()
    assert "Expiring" in view.cell_label.text()
    assert [r.venue for r in view.history_model.rows()] == ["Police HQ"]
    assert view.book_button.isEnabled()
    view.panel.select_cell(sam, data["awr"])  # missing: book on the AWR-1 session to come
    assert view.history_model.rows() == []
    dialog = dlg.BookSessionDialog(view.ctx, sam, data["awr"], view)
    assert [r.session_id for r in dialog.model.rows()] == [data["coming"]]
    assert dialog.table.current_row().session_id == data["coming"]
    exec_saves(monkeypatch, dlg.BookSessionDialog)
    assert view.book_cell()
    assert seen == ["training"]
    with view.ctx.db.session() as s:
        booked = T.session_attendance(s, [data["coming"]])[data["coming"]]
    assert [(a.name, a.status) for a in booked] == [("Sam Cole", "booked")]
    # the cell is still chosen after the refresh
    assert view.panel.current_cell()[0].trainee_id == sam


# --------------------------------------------------------------------------- editors
def test_course_dialog_refuses_a_duplicate_code_and_keeps_the_typing(view, data):
    dialog = dlg.CourseDialog(view.ctx, view)
    f = dialog.form
    assert f.levelCombo.count() == 3 and f.topicCombo.count() == 13
    f.codeEdit.setText("dash-2")
    f.titleEdit.setText("Another DASH course")
    f.refresherSpin.setValue(24)
    assert not dialog.save()
    assert "already used by the course 'DASH risk identification'" in dialog.error_text("code")
    assert f.titleEdit.text() == "Another DASH course"
    f.codeEdit.setText("DASH-2B")
    f.offeredFromCheck.setChecked(True)
    f.offeredFromDate.setDate(to_qdate(date(1985, 1, 1)))
    assert not dialog.save()
    assert "before 1990" in dialog.error_text("offered_from")
    f.offeredFromCheck.setChecked(False)
    assert dialog.save()
    view.refresh()
    codes = [r.code for r in view.courses_table.source_model.rows()]
    assert "DASH-2B" in codes
    with view.ctx.db.session() as s:
        course = s.scalar(select(Course).where(Course.code == "DASH-2B"))
        assert course.refresher_months == 24


def test_course_dialog_edits_and_no_refresher(view, data):
    dialog = dlg.CourseDialog(view.ctx, view, data["awr"])
    assert dialog.form.codeEdit.text() == "AWR-1"
    assert dialog.form.refresherSpin.value() == 36
    dialog.form.refresherSpin.setValue(0)  # shown as "No refresher"
    assert dialog.form.refresherSpin.text() == "No refresher"
    assert dialog.save()
    with view.ctx.db.session() as s:
        assert T.get_course(s, data["awr"]).refresher_months is None


def test_trainer_and_role_dialogs(view, data):
    dialog = dlg.TrainerDialog(view.ctx, view, data["trainer"])
    assert dlg.checked_ids(dialog.form.coursesList) == [data["awr"], data["dash"]]
    dialog.form.coursesList.item(0).setCheckState(Qt.CheckState.Unchecked)
    dialog.form.emailEdit.setText("no at sign")
    assert not dialog.save()
    assert "is not an e-mail address" in dialog.error_text("email")
    dialog.form.emailEdit.setText("alex@example.net")
    assert dialog.save()
    role = dlg.RoleDialog(view.ctx, view)
    role.form.nameEdit.setText("PCSO")
    role.form.agencyCombo.setCurrentIndex(role.form.agencyCombo.findText("Kent Police"))
    role.form.levelsList.item(1).setCheckState(Qt.CheckState.Checked)  # any level 2
    assert role.save()
    view.refresh()
    rows = {r.name: r for r in view.roles_table.source_model.rows()}
    assert rows["PCSO"].requirements == "any level 2" and rows["PCSO"].sector == "police"
    assert [t.courses for t in view.trainers_table.source_model.rows()] == ["DASH-2"]


def test_trainee_dialog_role_of_another_agency_and_same_name(view, data):
    dialog = dlg.TraineeDialog(view.ctx, view)
    f = dialog.form
    f.nameEdit.setText("Jo Smith")
    assert "There is already a trainee called Jo Smith" in dialog.check_name()
    f.agencyCombo.setCurrentIndex(f.agencyCombo.findText("Kent Police"))
    roles = [f.roleCombo.itemText(i) for i in range(f.roleCombo.count())]
    assert roles == ["(no role yet)", "Response officer"]  # only Kent Police's roles
    # a role of another agency (as a merge could leave it) is refused beside the field
    f.roleCombo.addItem("Housing options officer", data["options"])
    f.roleCombo.setCurrentIndex(f.roleCombo.count() - 1)
    assert not dialog.save()
    assert "a person can be in one agency only" in dialog.error_text("role_id")
    f.roleCombo.setCurrentIndex(1)
    assert dialog.save()
    view.refresh()
    names = [r.name for r in view.trainees_table.source_model.rows()]
    assert names.count("Jo Smith") == 3


def test_session_dialog(view, data):
    dialog = dlg.SessionDialog(view.ctx, view)
    f = dialog.form
    f.courseCombo.setCurrentIndex(f.courseCombo.findData(data["dash"]))
    assert [f.trainersList.item(i).text() for i in range(f.trainersList.count())] == [
        "Alex Trainer"
    ]
    f.sessionDate.setDate(to_qdate(TODAY - timedelta(days=2000)))
    assert not dialog.save()
    assert "before the course existed" in dialog.error_text("session_date")
    f.sessionDate.setDate(to_qdate(TODAY + timedelta(days=30)))
    f.trainersList.item(0).setCheckState(Qt.CheckState.Checked)
    f.venueEdit.setText("Council chamber")
    f.capacitySpin.setValue(8)
    assert dialog.save()
    with view.ctx.db.session() as s:
        row = next(r for r in T.list_sessions(s) if r.venue == "Council chamber")
    assert (row.capacity, row.trainers) == (8, "Alex Trainer")


def test_book_dialog_over_capacity_then_within(view, data):
    dialog = dlg.BookDialog(view.ctx, data["coming"], view)
    assert dialog.list.count() == 4
    # those who need AWR-1 (everyone: missing) are marked; by name
    assert dialog.list.item(0).text() == (
        "[needs it: missing] Jo Smith – Housing options officer, District Housing"
    )
    dialog.tick([data["Sam Cole@Police"], data["Lee Ray@Police"], data["Jo Smith@Police"]])
    assert dialog.update_places() == -1
    assert "1 too many" in dialog.form.placesLabel.text()
    assert not dialog.save()
    assert "has 2 places and 0 are taken, so 3 more cannot be added" in dialog.error_text(
        "trainees"
    )
    for i in range(dialog.list.count()):
        item = dialog.list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == data["Jo Smith@Police"]:
            item.setCheckState(Qt.CheckState.Unchecked)
    assert dialog.update_places() == 0
    assert dialog.save()
    with view.ctx.db.session() as s:
        assert len(T.session_attendance(s, [data["coming"]])[data["coming"]]) == 2


def test_attendance_checklist(view, data, db):
    with db.transaction() as s:
        T.book_trainees(s, data["past"], [data["Lee Ray@Police"]])
    dialog = dlg.AttendanceDialog(view.ctx, data["past"], view)
    assert dialog.table.rowCount() == 2
    assert dialog.form.allAttendedButton.isEnabled()
    dialog.mark_all_attended()
    # someone who was not booked came too
    dialog.add_combo.setCurrentIndex(dialog.add_combo.findText("Jo Smith (Kent Police)"))
    dialog._add_chosen(dialog.add_combo.currentIndex())
    assert dialog.table.rowCount() == 3
    assert dialog.form.capacityLabel.text() == "3 of 20 places taken"
    assert dialog.save()
    with db.session() as s:
        statuses = sorted(a.status for a in T.session_attendance(s, [data["past"]])[data["past"]])
    assert statuses == ["attended", "attended", "attended"]


def test_attendance_for_a_session_to_come_cannot_be_attended(view, data, db):
    with db.transaction() as s:
        T.book_trainees(s, data["coming"], [data["Lee Ray@Police"]])
    dialog = dlg.AttendanceDialog(view.ctx, data["coming"], view)
    assert not dialog.form.allAttendedButton.isEnabled()
    _tid, outcome, _when = dialog.rows[0]
    outcome.setCurrentIndex(outcome.findData("attended"))
    assert not dialog.save()
    assert "has not happened yet" in dialog.form.attendanceError.text()
    with db.session() as s:
        assert T.session_attendance(s, [data["coming"]])[data["coming"]][0].status == "booked"


def test_settings_dialog_changes_the_window(view, data):
    sam = data["Sam Cole@Police"]
    assert cell_text(view.panel.model, sam, data["dash"]).startswith("!")
    dialog = dlg.SettingsDialog(view.ctx, view)
    assert dialog.form.warningSpin.value() == 60
    dialog.form.warningSpin.setValue(10)
    assert dialog.save()
    view.refresh()
    assert cell_text(view.panel.model, sam, data["dash"]).startswith("✓")


def test_lists_dialog_seeds_and_refuses_a_level_in_use(view, data, dialogs):
    dialog = dlg.ListsDialog(view.ctx, view)
    assert len(dialog.levels.source_model.rows()) == 3
    assert dialog.levels.select_key(data["level1"])
    assert not dialog.delete_level()
    assert "1 course(s) are at level 1" in dialogs.last().text
    assert dialog.seed()  # nothing missing: nothing added
    assert len(dialog.topics.source_model.rows()) == 12


def test_delete_buttons_ask_first(view, data, db, dialogs):
    view.tabs.setCurrentIndex(5)
    assert view.trainees_table.select_key(data["Lee Ray@Police"])
    assert not view.delete_trainee()  # "Keep it" (no answer queued)
    dialogs.answer("Delete")
    assert view.delete_trainee()
    with db.session() as s:
        assert (
            s.scalar(select(func.count()).select_from(Trainee).where(Trainee.deleted_at.is_(None)))
            == 3
        )
    assert view.trainees_table.select_key(data["Sam Cole@Police"])
    dialogs.answer("Delete")
    assert not view.delete_trainee()  # has a training record
    assert "untick 'Still in post'" in dialogs.last().text


def test_leavers_are_hidden_unless_asked_for(view, data, db):
    with db.transaction() as s:
        T.update_trainee(s, data["Lee Ray@Police"], active=False)
    view.refresh()
    shown = [r.name for r in view.trainees_table.proxy.visible_rows()]
    assert "Lee Ray" not in shown
    view.show_left_check.setChecked(True)
    assert "Lee Ray" in [r.name for r in view.trainees_table.proxy.visible_rows()]
    assert "Lee Ray" not in model_rows(view.panel.model)


def test_sessions_tab_and_capacity_warnings(view, data, db):
    with db.transaction() as s:
        T.book_trainees(s, data["coming"], [data["Sam Cole@Police"], data["Lee Ray@Police"]])
    view.refresh()
    view.period_combo.setCurrentIndex(0)  # coming up
    assert [r.session_id for r in view.sessions_model.rows()] == [data["coming"]]
    assert "Full (2 places)." in view.warnings_label.text()
    view.sessions_table.select_key(data["coming"])
    assert view.attendance_button.isEnabled()
    assert not view.book_session_button.isEnabled()  # no places left
    view.period_combo.setCurrentIndex(4)
    assert len(view.sessions_model.rows()) == 2


def test_import_dialog_previews_and_imports(view, data, db, tmp_path):
    path = tmp_path / "list.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(
            [
                ["Delegate", "Agency", "Course", "Date", "Outcome"],
                [
                    "New Starter",
                    "Kent Police",
                    "AWR-1",
                    (TODAY - timedelta(days=5)).strftime("%d/%m/%Y"),
                    "attended",
                ],
                ["Odd Date", "Kent Police", "AWR-1", "31/02/2026", "attended"],
            ]
        )
    sheets = dlg.read_file_in_worker(view, path)
    dialog = dlg.ImportDialog(view.ctx, sheets, view)
    assert [r.action for r in dialog.plan.rows] == ["add", "error"]
    ok = dialog.form.buttonBox.button(dialog.form.buttonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.form.skipErrorsCheck.setChecked(True)
    assert ok.isEnabled()
    assert dialog.run_import()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Attendance)) == 2
    # a column re-read as "not imported" makes every row an error
    dialog2 = dlg.ImportDialog(view.ctx, dlg.read_file_in_worker(view, path), view)
    name_combo = dialog2.combos[2]  # "Course"
    name_combo.setCurrentIndex(0)
    assert all(r.action in ("error", "skip") for r in dialog2.plan.rows)
    # a field moved to another column leaves its old column showing "not imported"
    dialog3 = dlg.ImportDialog(view.ctx, dlg.read_file_in_worker(view, path), view)
    course, outcome = dialog3.combos[2], dialog3.combos[4]
    field = course.currentData()
    assert field is not None
    outcome.setCurrentIndex(outcome.findData(field))
    assert outcome.currentData() == field
    assert course.currentIndex() == 0 and course.currentData() is None


def test_export_writes_the_workbook(view, data, dialogs, tmp_path):
    out = tmp_path / "matrix.xlsx"
    dialogs.save_files.append(out)
    assert view.export_file() == out
    wb = load_workbook(out)
    assert wb["Matrix"].max_row == 5
    assert "written to" in dialogs.last().text


def test_read_only_database_disables_editing(gui_app, db, data, qtbot, dialogs, tmp_path):
    from dvcoord.gui.context import AppContext
    from dvcoord.gui.settings import AppSettings
    from dvcoord.store import Database

    path = db.path
    db.close()
    readonly = Database.open(path, readonly=True, backup=False)
    try:
        widget = TrainingView(AppContext(readonly, AppSettings()))
        qtbot.addWidget(widget)
        assert not widget.plan_button.isEnabled()
        assert not widget.add_trainee_button.isEnabled()
        assert not widget.import_button.isEnabled()
        assert widget.export_button.isEnabled()
    finally:
        readonly.close()


def test_current_record_names_the_selected_session_for_history(view, data):
    view.refresh()
    view.tabs.setCurrentWidget(view.sessions_table.parentWidget())
    assert view.sessions_table.select_key(data["coming"])
    assert view.current_record() == ("training_session", data["coming"])
    view.tabs.setCurrentIndex(0)
    assert view.current_record() is None
