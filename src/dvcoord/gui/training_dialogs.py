"""The training dialogs: courses, levels and topics, trainers, roles and requirements,
trainees, sessions, attendance checklists, booking, settings and the import preview.

Every form comes from ``ui/training_*.ui`` through :func:`~dvcoord.gui.uiload.load_ui`.
Each editing dialog checks and saves through :mod:`dvcoord.services.training` in one
transaction; a :class:`~dvcoord.errors.ValidationError` is shown beside its field and the
dialog stays open with everything typed, so nothing is lost.  A saved change is announced
with ``ctx.notify_changed("training", ...)`` so other views (the dashboard) refresh.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QHeaderView,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.gui.context import AppContext
from dvcoord.gui.forms import (
    FormDialog,
    agencies,
    fill_combo,
    optional_date,
    optional_value,
    set_date,
)
from dvcoord.gui.import_preview import ImportPreviewDialog, MappingGroup, read_in_worker
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import (
    DataTable,
    confirm,
    from_qdate,
    show_error,
    stretch_column,
)
from dvcoord.services import training as svc
from dvcoord.services.dates import format_date

log = logging.getLogger(__name__)

AREA = "training"
OUTCOMES = [
    ("booked", "Booked"),
    ("attended", "Attended"),
    ("did not attend", "Did not attend"),
    ("cancelled", "Cancelled"),
]


# --------------------------------------------------------------------------- helpers
def fill_checklist(widget: QListWidget, items: list[tuple[str, str]], checked: set[str]) -> None:
    """Checkable rows ``(id, label)``; ``checked`` ids ticked."""
    widget.clear()
    for value, label in items:
        item = QListWidgetItem(label, widget)
        item.setData(Qt.ItemDataRole.UserRole, value)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if value in checked else Qt.CheckState.Unchecked)


def checked_ids(widget: QListWidget) -> list[str]:
    return [
        widget.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(widget.count())
        if widget.item(i).checkState() == Qt.CheckState.Checked
    ]


class TrainingForm(FormDialog):
    """A form dialog of the training area (changes are announced as "training")."""

    AREA = AREA


def _levels(ctx: AppContext) -> list[tuple[str, str]]:
    with ctx.db.session() as s:
        return [(lvl.id, f"Level {lvl.number} \u2013 {lvl.name}") for lvl in svc.list_levels(s)]


# --------------------------------------------------------------------------- courses
class CourseDialog(TrainingForm):
    FORM = "training_course"
    FIELDS = {
        "code": "codeEdit",
        "course": "codeEdit",
        "title": "titleEdit",
        "level_id": "levelCombo",
        "topic_id": "topicCombo",
        "delivery": "deliveryCombo",
        "provider": "providerEdit",
        "duration_minutes": "durationSpin",
        "refresher_months": "refresherSpin",
        "offered_from": "offeredFromDate",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, course_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.course_id = course_id
        self.setWindowTitle("Change a course" if course_id else "Add a course")
        f = self.form
        with ctx.db.session() as s:
            topics = [(t.id, t.name) for t in svc.list_topics(s)]
            course = svc.get_course(s, course_id) if course_id else None
            current = (
                {
                    name: getattr(course, name)
                    for name in (
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
                    )
                }
                if course is not None
                else {}
            )
        fill_combo(f.levelCombo, _levels(ctx), current.get("level_id"))
        fill_combo(f.topicCombo, [(None, "(no topic)"), *topics], current.get("topic_id"))
        fill_combo(
            f.deliveryCombo,
            [(d, d.capitalize()) for d in svc.DELIVERY_MODES],
            current.get("delivery", "classroom"),
        )
        f.codeEdit.setText(current.get("code", ""))
        f.titleEdit.setText(current.get("title", ""))
        f.providerEdit.setText(current.get("provider", ""))
        f.durationSpin.setValue(current.get("duration_minutes") or 0)
        f.refresherSpin.setValue(current.get("refresher_months") or 0)
        optional_date(f.offeredFromCheck, f.offeredFromDate, current.get("offered_from"))
        f.activeCheck.setChecked(current.get("active", True))
        f.notesEdit.setPlainText(current.get("notes", ""))
        f.codeEdit.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            code=f.codeEdit.text(),
            title=f.titleEdit.text(),
            level_id=f.levelCombo.currentData(),
            topic_id=f.topicCombo.currentData(),
            delivery=f.deliveryCombo.currentData(),
            provider=f.providerEdit.text(),
            duration_minutes=f.durationSpin.value() or None,
            refresher_months=f.refresherSpin.value() or None,
            offered_from=optional_value(f.offeredFromCheck, f.offeredFromDate),
            active=f.activeCheck.isChecked(),
            notes=f.notesEdit.toPlainText(),
        )
        if self.course_id:
            return svc.update_course(session, self.course_id, **values).id
        return svc.create_course(session, **values).id


class LevelDialog(TrainingForm):
    FORM = "training_level"
    FIELDS = {"number": "numberSpin", "name": "nameEdit", "level": "nameEdit"}

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, level_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.level_id = level_id
        self.setWindowTitle("Change a level" if level_id else "Add a level")
        if level_id:
            with ctx.db.session() as s:
                level = next(lvl for lvl in svc.list_levels(s) if lvl.id == level_id)
                self.form.numberSpin.setValue(level.number)
                self.form.nameEdit.setText(level.name)
                self.form.descriptionEdit.setPlainText(level.description)
        else:
            with ctx.db.session() as s:
                used = [lvl.number for lvl in svc.list_levels(s)]
            self.form.numberSpin.setValue(min(9, max(used, default=0) + 1))
        self.form.nameEdit.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            number=f.numberSpin.value(),
            name=f.nameEdit.text(),
            description=f.descriptionEdit.toPlainText(),
        )
        if self.level_id:
            return svc.update_level(session, self.level_id, **values).id
        return svc.create_level(session, **values).id


class TopicDialog(TrainingForm):
    FORM = "training_topic"
    FIELDS = {"name": "nameEdit", "topic": "nameEdit"}

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, topic_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.topic_id = topic_id
        self.setWindowTitle("Change a topic" if topic_id else "Add a topic")
        if topic_id:
            with ctx.db.session() as s:
                topic = next(t for t in svc.list_topics(s) if t.id == topic_id)
                self.form.nameEdit.setText(topic.name)
                self.form.descriptionEdit.setPlainText(topic.description)
        self.form.nameEdit.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        values = dict(
            name=self.form.nameEdit.text(), description=self.form.descriptionEdit.toPlainText()
        )
        if self.topic_id:
            return svc.update_topic(session, self.topic_id, **values).id
        return svc.create_topic(session, **values).id


class ListsDialog(QDialog):
    """Course levels and topics: add, change, delete, or add the standard lists."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("trainingListsDialog")
        self.form = f = load_ui("training_lists", self)
        f.layout().setContentsMargins(14, 12, 14, 10)
        self.resize(640, 620)
        self.levels = DataTable(
            RowTableModel(
                [
                    Column("Level", lambda lvl: lvl.number, width=6),
                    Column("Name", lambda lvl: lvl.name, width=30),
                    Column("Description", lambda lvl: lvl.description, width=40),
                ],
                row_key=lambda lvl: lvl.id,
            ),
            f.levelsHost,
            accessible_name="Course levels",
        )
        self.topics = DataTable(
            RowTableModel([Column("Topic", lambda t: t.name, width=50)], row_key=lambda t: t.id),
            f.topicsHost,
            accessible_name="Topics",
        )
        for host, table in ((f.levelsHost, self.levels), (f.topicsHost, self.topics)):
            layout = QVBoxLayout(host)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(table)
        f.addLevelButton.clicked.connect(lambda: self._edit(LevelDialog(ctx, self)))
        f.editLevelButton.clicked.connect(self.edit_level)
        f.deleteLevelButton.clicked.connect(self.delete_level)
        f.addTopicButton.clicked.connect(lambda: self._edit(TopicDialog(ctx, self)))
        f.editTopicButton.clicked.connect(self.edit_topic)
        f.deleteTopicButton.clicked.connect(self.delete_topic)
        f.seedButton.clicked.connect(self.seed)
        self.levels.row_activated.connect(lambda _r: self.edit_level())
        self.topics.row_activated.connect(lambda _r: self.edit_topic())
        f.buttonBox.rejected.connect(self.accept)
        f.buttonBox.accepted.connect(self.accept)
        self.reload()

    def reload(self) -> None:
        with self.ctx.db.session() as s:
            self.levels.source_model.set_rows(svc.list_levels(s))
            self.topics.source_model.set_rows(svc.list_topics(s))
        writable = not self.ctx.db.readonly
        for button in (
            self.form.addLevelButton,
            self.form.editLevelButton,
            self.form.deleteLevelButton,
            self.form.addTopicButton,
            self.form.editTopicButton,
            self.form.deleteTopicButton,
            self.form.seedButton,
        ):
            button.setEnabled(writable)

    def _edit(self, dialog: QDialog) -> bool:
        try:
            done = bool(dialog.exec())
        finally:
            dialog.deleteLater()
        if done:
            self.reload()
        return done

    def edit_level(self) -> bool:
        row = self.levels.current_row()
        return row is not None and self._edit(LevelDialog(self.ctx, self, row.id))

    def edit_topic(self) -> bool:
        row = self.topics.current_row()
        return row is not None and self._edit(TopicDialog(self.ctx, self, row.id))

    def _write(self, fn, *args) -> bool:  # noqa: ANN001, ANN002
        try:
            with self.ctx.db.transaction() as s:
                fn(s, *args)
        except DvcoordError as exc:
            show_error(self, exc, title=self.windowTitle())
            return False
        self.ctx.notify_changed(AREA, self.parent())
        self.reload()
        return True

    def delete_level(self) -> bool:
        row = self.levels.current_row()
        return row is not None and self._write(svc.delete_level, row.id)

    def delete_topic(self) -> bool:
        row = self.topics.current_row()
        return row is not None and self._write(svc.delete_topic, row.id)

    def seed(self) -> bool:
        return self._write(svc.seed_default_lists)


# --------------------------------------------------------------------------- trainers
class TrainerDialog(TrainingForm):
    FORM = "training_trainer"
    FIELDS = {
        "name": "nameEdit",
        "agency_id": "agencyCombo",
        "email": "emailEdit",
        "authorised_until": "authorisedUntilDate",
        "courses": "coursesList",
        "trainer": "nameEdit",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, trainer_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.trainer_id = trainer_id
        self.setWindowTitle("Change a trainer" if trainer_id else "Add a trainer")
        f = self.form
        with ctx.db.session() as s:
            courses = svc.list_courses(s)
            row = next((t for t in svc.list_trainers(s) if t.trainer_id == trainer_id), None)
            agency_id = None
            notes = ""
            if trainer_id:
                trainer = svc.get_trainer(s, trainer_id)
                agency_id, notes = trainer.agency_id, trainer.notes
        authorised = set(row.course_ids) if row else set()
        fill_combo(f.agencyCombo, [(None, "(none)"), *agencies(ctx)], agency_id)
        fill_checklist(
            f.coursesList,
            [
                (c.course_id, f"{c.code} \u2013 {c.title}")
                for c in courses
                if c.active or c.course_id in authorised
            ],
            authorised,
        )
        f.nameEdit.setText(row.name if row else "")
        f.emailEdit.setText(row.email if row else "")
        optional_date(
            f.authorisedUntilCheck, f.authorisedUntilDate, row.authorised_until if row else None
        )
        f.activeCheck.setChecked(row.active if row else True)
        f.notesEdit.setPlainText(notes)
        self.setMinimumWidth(600)
        f.coursesList.setMinimumHeight(220)
        f.notesEdit.setMaximumHeight(90)
        f.nameEdit.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            name=f.nameEdit.text(),
            agency_id=f.agencyCombo.currentData(),
            email=f.emailEdit.text(),
            authorised_until=optional_value(f.authorisedUntilCheck, f.authorisedUntilDate),
            active=f.activeCheck.isChecked(),
            notes=f.notesEdit.toPlainText(),
            course_ids=checked_ids(f.coursesList),
        )
        if self.trainer_id:
            return svc.update_trainer(session, self.trainer_id, **values).id
        return svc.create_trainer(session, **values).id


# --------------------------------------------------------------------------- roles
class RoleDialog(TrainingForm):
    FORM = "training_role"
    FIELDS = {
        "name": "nameEdit",
        "role": "nameEdit",
        "agency_id": "agencyCombo",
        "sector": "sectorCombo",
        "requirements": "levelsList",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, role_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.role_id = role_id
        self.setWindowTitle("Change a staff role" if role_id else "Add a staff role")
        f = self.form
        with ctx.db.session() as s:
            courses = svc.list_courses(s)
            levels = svc.list_levels(s)
            row = next((r for r in svc.list_roles(s) if r.role_id == role_id), None)
            notes = svc.get_role(s, role_id).notes if role_id else ""
        fill_combo(
            f.agencyCombo,
            [(None, "Any agency (a role found in several)"), *agencies(ctx)],
            row.agency_id if row else None,
        )
        fill_combo(
            f.sectorCombo,
            [("", "The agency's sector"), *[(x, x.capitalize()) for x in svc.SECTORS]],
            row.sector if row else "",
        )
        needed = set(row.course_ids) if row else set()
        fill_checklist(
            f.coursesList,
            [
                (c.course_id, f"{c.code} \u2013 {c.title} (level {c.level_number})")
                for c in courses
                if c.active
            ],
            needed,
        )
        fill_checklist(
            f.levelsList,
            [(lvl.id, f"Level {lvl.number} \u2013 {lvl.name}") for lvl in levels],
            set(row.level_ids) if row else set(),
        )
        f.nameEdit.setText(row.name if row else "")
        f.notesEdit.setPlainText(notes)
        self.setMinimumWidth(640)
        f.coursesList.setMinimumHeight(220)
        f.levelsList.setMaximumHeight(f.levelsList.sizeHintForRow(0) * 4 + 8)
        f.notesEdit.setMaximumHeight(90)
        f.nameEdit.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            name=f.nameEdit.text(),
            agency_id=f.agencyCombo.currentData(),
            sector=f.sectorCombo.currentData(),
            notes=f.notesEdit.toPlainText(),
            course_ids=checked_ids(f.coursesList),
            level_ids=checked_ids(f.levelsList),
        )
        if self.role_id:
            return svc.update_role(session, self.role_id, **values).id
        return svc.create_role(session, **values).id


# --------------------------------------------------------------------------- trainees
class TraineeDialog(TrainingForm):
    FORM = "training_trainee"
    FIELDS = {
        "name": "nameEdit",
        "trainee": "nameEdit",
        "agency_id": "agencyCombo",
        "role_id": "roleCombo",
        "email": "emailEdit",
    }

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, trainee_id: str | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.trainee_id = trainee_id
        self.setWindowTitle("Change a trainee" if trainee_id else "Add a trainee")
        f = self.form
        with ctx.db.session() as s:
            self.roles = svc.list_roles(s)
            row = next((t for t in svc.list_trainees(s) if t.trainee_id == trainee_id), None)
            notes = svc.get_trainee(s, trainee_id).notes if trainee_id else ""
        fill_combo(
            f.agencyCombo,
            [(None, "Choose the agency…"), *agencies(ctx)],
            row.agency_id if row else None,
        )
        f.nameEdit.setText(row.name if row else "")
        f.emailEdit.setText(row.email if row else "")
        f.activeCheck.setChecked(row.active if row else True)
        f.notesEdit.setPlainText(notes)
        self._fill_roles(row.role_id if row else None)
        f.agencyCombo.currentIndexChanged.connect(
            lambda _i: self._fill_roles(f.roleCombo.currentData())
        )
        f.nameEdit.editingFinished.connect(self.check_name)
        self.check_name()
        f.nameEdit.setFocus()

    def _fill_roles(self, current: str | None) -> None:
        agency_id = self.form.agencyCombo.currentData()
        items = [(None, "(no role yet)")] + [
            (r.role_id, r.name + ("" if r.agency_id else " (any agency)"))
            for r in self.roles
            if r.agency_id is None or r.agency_id == agency_id
        ]
        fill_combo(self.form.roleCombo, items, current)

    def check_name(self) -> str:
        """Say (without refusing) when another trainee has the same name."""
        with self.ctx.db.session() as s:
            found = svc.same_name_warning(s, self.form.nameEdit.text(), self.trainee_id)
        label = self.form.nameHelp
        label.setText(found.message if found else "")
        label.setVisible(found is not None)
        return label.text()

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            name=f.nameEdit.text(),
            agency_id=f.agencyCombo.currentData(),
            role_id=f.roleCombo.currentData(),
            email=f.emailEdit.text(),
            active=f.activeCheck.isChecked(),
            notes=f.notesEdit.toPlainText(),
        )
        if self.trainee_id:
            result = svc.update_trainee(session, self.trainee_id, **values)
        else:
            result = svc.create_trainee(session, **values)
        if result.warnings:
            self.ctx.show_message(result.warnings[0].message)
        return result.trainee.id


# --------------------------------------------------------------------------- sessions
class SessionDialog(TrainingForm):
    FORM = "training_session"
    FIELDS = {
        "course_id": "courseCombo",
        "session_date": "sessionDate",
        "venue": "venueEdit",
        "capacity": "capacitySpin",
        "trainers": "trainersList",
        "session": "courseCombo",
    }

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        session_id: str | None = None,
        course_id: str | None = None,
    ) -> None:
        super().__init__(ctx, parent)
        self.session_id = session_id
        self.setWindowTitle("Change a session" if session_id else "Plan a session")
        f = self.form
        with ctx.db.session() as s:
            courses = svc.list_courses(s)
            self.chosen: set[str] = set()
            current: dict[str, Any] = {}
            if session_id:
                row = svc.get_session(s, session_id)
                current = dict(
                    course=row.course_id,
                    on=row.session_date,
                    venue=row.venue,
                    capacity=row.capacity,
                    notes=row.notes,
                )
                self.chosen = set(svc.session_trainer_ids(s, session_id))
        fill_combo(
            f.courseCombo,
            [
                (c.course_id, f"{c.code} \u2013 {c.title}")
                for c in courses
                if c.active or c.course_id == current.get("course")
            ],
            current.get("course", course_id),
        )
        set_date(f.sessionDate, current.get("on"))
        f.venueEdit.setText(current.get("venue", ""))
        f.capacitySpin.setValue(current.get("capacity", 20))
        f.notesEdit.setPlainText(current.get("notes", ""))
        f.notesEdit.setMaximumHeight(90)
        self._filled = False
        self._fill_trainers()
        f.courseCombo.currentIndexChanged.connect(lambda _i: self._fill_trainers())
        f.sessionDate.dateChanged.connect(lambda _d: self._fill_trainers())
        f.courseCombo.setFocus()

    def _fill_trainers(self) -> None:
        f = self.form
        ticked = set(checked_ids(f.trainersList)) if self._filled else self.chosen
        self._filled = True
        course_id = f.courseCombo.currentData()
        on = from_qdate(f.sessionDate.date()) or date.today()
        with self.ctx.db.session() as s:
            able = svc.trainers_for_course(s, course_id, on) if course_id else []
        fill_checklist(f.trainersList, [(t.trainer_id, t.name) for t in able], ticked)

    def apply(self, session):  # noqa: ANN001, ANN201
        f = self.form
        values = dict(
            course_id=f.courseCombo.currentData() or "",
            session_date=from_qdate(f.sessionDate.date()),
            venue=f.venueEdit.text(),
            capacity=f.capacitySpin.value(),
            notes=f.notesEdit.toPlainText(),
            trainer_ids=checked_ids(f.trainersList),
        )
        if self.session_id:
            return svc.update_session(session, self.session_id, **values).id
        return svc.create_session(session, **values).id


def session_summary(ctx: AppContext, session_id: str) -> tuple[str, svc.SessionRow]:
    with ctx.db.session() as s:
        row = next(r for r in svc.list_sessions(s) if r.session_id == session_id)
    text = (
        f"{row.course_label} on {format_date(row.session_date)}"
        + (f" at {row.venue}" if row.venue else "")
        + (f"; trainer(s): {row.trainers}" if row.trainers else "")
        + f". {row.capacity} places."
    )
    return text, row


class AttendanceDialog(TrainingForm):
    """A checklist of who was on the session and what happened to each."""

    FORM = "training_attendance"
    TITLE = "Record attendance"
    FIELDS: dict[str, str] = {}

    def __init__(self, ctx: AppContext, session_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.session_id = session_id
        self.resize(760, 560)
        f = self.form
        text, self.row = session_summary(ctx, session_id)
        f.summaryLabel.setText(text)
        self.past = self.row.session_date <= date.today()
        with ctx.db.session() as s:
            people = svc.session_attendance(s, [session_id]).get(session_id, [])
            self.trainees = [t for t in svc.list_trainees(s) if t.active]
        self.table = QTableWidget(0, 4, f.tableHost)
        self.table.setObjectName("attendanceTable")
        self.table.setAccessibleName("Who was booked and what happened")
        self.table.setHorizontalHeaderLabels(["Name", "Agency", "Outcome", "Completed"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(f.tableHost)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        self.rows: list[tuple[str, QComboBox, QDateEdit]] = []
        for person in people:
            self.add_row(
                person.trainee_id, person.name, person.agency, person.status, person.completed_on
            )
        on_session = {p.trainee_id for p in people}
        self.add_combo = QComboBox(f.tableHost)
        self.add_combo.setObjectName("addTraineeCombo")
        self.add_combo.setAccessibleName("Add a trainee who was not booked")
        fill_combo(
            self.add_combo,
            [(None, "Add someone who was not booked…")]
            + [
                (t.trainee_id, f"{t.name} ({t.agency})")
                for t in self.trainees
                if t.trainee_id not in on_session
            ],
        )
        self.add_combo.activated.connect(self._add_chosen)
        layout.addWidget(self.add_combo)
        f.allAttendedButton.clicked.connect(self.mark_all_attended)
        f.allAttendedButton.setEnabled(self.past)
        self.update_places()

    def add_row(
        self,
        trainee_id: str,
        name: str,
        agency: str,
        status: str,
        completed: date | None = None,
    ) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for c, text in enumerate((name, agency)):
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.table.setItem(r, c, item)
        outcome = QComboBox(self.table)
        outcome.setAccessibleName(f"What happened for {name}")
        fill_combo(outcome, OUTCOMES, status)
        when = QDateEdit(self.table)
        when.setAccessibleName(f"Date {name} completed the course")
        set_date(when, completed or self.row.session_date)
        when.setEnabled(status == "attended")
        outcome.currentIndexChanged.connect(
            lambda _i, o=outcome, w=when: self._outcome_changed(o, w)
        )
        self.table.setCellWidget(r, 2, outcome)
        self.table.setCellWidget(r, 3, when)
        self.rows.append((trainee_id, outcome, when))

    def _outcome_changed(self, outcome: QComboBox, when: QDateEdit) -> None:
        when.setEnabled(outcome.currentData() == "attended")
        self.update_places()

    def _add_chosen(self, _index: int) -> None:
        trainee_id = self.add_combo.currentData()
        if not trainee_id:
            return
        person = next(t for t in self.trainees if t.trainee_id == trainee_id)
        self.add_row(trainee_id, person.name, person.agency, "attended" if self.past else "booked")
        self.add_combo.removeItem(self.add_combo.currentIndex())
        self.add_combo.setCurrentIndex(0)
        self.update_places()

    def mark_all_attended(self) -> None:
        for _tid, outcome, _when in self.rows:
            if outcome.currentData() == "booked":
                outcome.setCurrentIndex(outcome.findData("attended"))

    def update_places(self) -> int:
        taken = sum(1 for _t, o, _w in self.rows if o.currentData() in svc.PLACE_STATUSES)
        left = self.row.capacity - taken
        text = f"{taken} of {self.row.capacity} places taken"
        if left < 0:
            text += f": {-left} over capacity. Raise the session's capacity or cancel some places."
        elif left == 0:
            text += ": the session is full."
        self.form.capacityLabel.setText(text)
        self.form.capacityLabel.setProperty("role", "error" if left < 0 else "")
        self.form.capacityLabel.style().unpolish(self.form.capacityLabel)
        self.form.capacityLabel.style().polish(self.form.capacityLabel)
        return left

    def entries(self) -> list[svc.AttendanceEntry]:
        out = []
        for trainee_id, outcome, when in self.rows:
            status = outcome.currentData()
            out.append(
                svc.AttendanceEntry(
                    trainee_id, status, from_qdate(when.date()) if status == "attended" else None
                )
            )
        return out

    def show_problem(self, exc: ValidationError) -> None:
        label = self.form.attendanceError
        label.setText(str(exc))
        label.setVisible(True)

    def clear_errors(self) -> None:
        self.form.attendanceError.setText("")
        self.form.attendanceError.setVisible(False)

    def apply(self, session):  # noqa: ANN001, ANN201
        return svc.record_attendance(session, self.session_id, self.entries())


class BookDialog(TrainingForm):
    """Book several trainees on one session (ticked from a filterable list)."""

    FORM = "training_book"
    TITLE = "Book trainees on a session"
    FIELDS = {"trainees": "traineesList"}

    def __init__(self, ctx: AppContext, session_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.session_id = session_id
        self.resize(620, 600)
        f = self.form
        text, self.row = session_summary(ctx, session_id)
        f.summaryLabel.setText(text)
        with ctx.db.session() as s:
            on = {
                a.trainee_id
                for a in svc.session_attendance(s, [session_id]).get(session_id, [])
                if a.status in svc.PLACE_STATUSES
            }
            people = [
                t for t in svc.list_trainees(s, include_inactive=False) if t.trainee_id not in on
            ]
            need = svc.who_needs(s, self.row.course_id)
        # those who need the course (missing, expired, expiring) first
        order = {svc.MISSING: 0, svc.EXPIRED: 1, svc.EXPIRING: 2}
        people.sort(key=lambda t: (order.get(need.get(t.trainee_id, ""), 3), t.name.casefold()))
        self.list = QListWidget(f.listHost)
        self.list.setObjectName("traineesList")
        self.list.setAccessibleName("Trainees who can be booked")
        fill_checklist(
            self.list,
            [
                (
                    t.trainee_id,
                    (
                        f"[needs it: {svc.STATUS_LABELS[need[t.trainee_id]].lower()}] "
                        if t.trainee_id in need
                        else ""
                    )
                    + f"{t.name} \u2013 {t.role or 'no role'}, {t.agency}",
                )
                for t in people
            ],
            set(),
        )
        layout = QVBoxLayout(f.listHost)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        f.filterEdit.textChanged.connect(self._filter)
        self.list.itemChanged.connect(lambda _i: self.update_places())
        self.update_places()
        f.filterEdit.setFocus()

    def _widgets_for(self, field):  # noqa: ANN001, ANN202
        if field == "trainees":
            return self.form.traineesError, self.list
        return super()._widgets_for(field)

    def _filter(self, text: str) -> None:
        words = text.casefold().split()
        for i in range(self.list.count()):
            item = self.list.item(i)
            hay = item.text().casefold()
            item.setHidden(not all(w in hay for w in words))

    def tick(self, trainee_ids: list[str]) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in trainee_ids:
                item.setCheckState(Qt.CheckState.Checked)

    def update_places(self) -> int:
        chosen = len(checked_ids(self.list))
        left = self.row.places_left - chosen
        text = f"{self.row.places_left} of {self.row.capacity} places free; {chosen} ticked"
        if left < 0:
            text += f" \u2013 {-left} too many for the places left."
        self.form.placesLabel.setText(text)
        return left

    def apply(self, session):  # noqa: ANN001, ANN201
        booked, already = svc.book_trainees(session, self.session_id, checked_ids(self.list))
        if already:
            self.ctx.show_message(f"Already booked: {', '.join(already)}.")
        return booked


class BookSessionDialog(TrainingForm):
    """From a matrix cell: choose a session of that course (or level) for one trainee."""

    FORM = "training_book_session"
    TITLE = "Book on a session"
    FIELDS: dict[str, str] = {}

    def __init__(
        self, ctx: AppContext, trainee_id: str, column_key: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, parent)
        self.trainee_id = trainee_id
        self.resize(760, 420)
        f = self.form
        with ctx.db.session() as s:
            history = svc.cell_history(s, trainee_id, column_key)
            rows = svc.sessions_for_booking(s, column_key)
        f.summaryLabel.setText(
            f"{history.trainee.name} ({history.trainee.agency}) \u2013 {history.column.label}"
        )
        self.model = RowTableModel(
            [
                Column("Date", lambda r: r.session_date, width=11),
                Column("Course", lambda r: r.course_label, width=40),
                Column("Venue", lambda r: r.venue, width=24),
                Column("Places left", lambda r: r.places_left, width=10),
            ],
            row_key=lambda r: r.session_id,
        )
        self.model.set_rows(rows)
        self.table = DataTable(self.model, f.sessionsHost, accessible_name="Sessions to come")
        stretch_column(self.table, 1)
        layout = QVBoxLayout(f.sessionsHost)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        free = [r for r in rows if r.places_left > 0]
        if free:
            self.table.select_key(free[0].session_id)
            f.sessionsNote.setText("Choose a session with places left, then OK.")
        else:
            f.sessionsNote.setText(
                "No session of this course with places left is planned: plan one on the "
                "Sessions tab."
            )
        f.sessionsNote.setVisible(True)
        self.table.row_activated.connect(lambda _r: self.save())

    def apply(self, session):  # noqa: ANN001, ANN201
        chosen = self.table.current_row()
        if chosen is None:
            raise ValidationError("Choose a session to book.", field="session")
        booked, already = svc.book_trainees(session, chosen.session_id, [self.trainee_id])
        if already:
            raise ValidationError("Already booked on that session.", field="session")
        return chosen.session_id


# --------------------------------------------------------------------------- settings
class SettingsDialog(TrainingForm):
    FORM = "training_settings"
    TITLE = "Training settings"
    FIELDS = {"warning_days": "warningSpin"}

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        with ctx.db.session() as s:
            self.form.warningSpin.setValue(svc.warning_days(s))
        self.form.warningSpin.setFocus()

    def apply(self, session):  # noqa: ANN001, ANN201
        return svc.set_warning_days(session, self.form.warningSpin.value())


# --------------------------------------------------------------------------- import
class ImportDialog(ImportPreviewDialog):
    """Preview a staff or attendance list: choose what each column holds, see every row's
    fate (added, updated, already recorded, error), then import after a backup."""

    OBJECT_NAME = "trainingImportDialog"
    FORM = "training_import"
    SIZE = (980, 700)
    TABLE_COLUMN = True
    ACTIONS = {
        "add": "Added",
        "update": "Updated",
        "skip": "Left as it is",
        "error": "Not imported",
    }
    ERROR_TITLE = "Import trainees and attendance"
    PROGRESS_TITLE = "Importing trainees and attendance"

    def __init__(self, ctx: AppContext, sheets, parent: QWidget | None = None) -> None:  # noqa: ANN001
        from dvcoord.importers import training as importer

        super().__init__(ctx, sheets, importer, parent)

    def file_text(self) -> str:
        sheets = self.source
        tables = [t.name for t in (sheets.attendance, sheets.trainees) if t is not None]
        return f"File: {sheets.path.name} ({', '.join(tables)})"

    def mapping_groups(self) -> list[MappingGroup]:
        sheets, importer = self.source, self.importer
        groups: list[MappingGroup] = []
        for table, mapping, names in (
            (sheets.attendance, sheets.attendance_mapping, list(importer.FIELDS)),
            (sheets.trainees, sheets.trainees_mapping, list(importer.TRAINEE_FIELDS)),
        ):
            if table is not None and mapping is not None:
                groups.append((table.name, mapping, [(k, importer.FIELDS[k][0]) for k in names]))
        return groups

    def row_columns(self) -> list[Column]:
        return [Column("What", lambda r: r.label, width=34)]

    def summary_text(self, plan) -> str:  # noqa: ANN001
        return plan.summary()

    def writes(self, plan):  # noqa: ANN001, ANN201
        return plan.to_write

    def apply(self, session, plan, skip_errors: bool):  # noqa: ANN001, ANN201
        return self.importer.apply_import(session, plan, self.source, skip_errors=skip_errors)

    def done_message(self, summary) -> str:  # noqa: ANN001
        return (
            f"Imported {summary.trainees} new trainee(s) and "
            f"{summary.attendance + summary.updated} attendance record(s)."
        )


def read_file_in_worker(parent: QWidget, path: Path):  # noqa: ANN201
    """Read a staff or attendance list off the UI thread (raises WorkAborted on failure)."""
    from dvcoord.importers import training as importer

    return read_in_worker(parent, lambda: importer.read_training_file(path))


def confirm_delete(parent: QWidget, what: str) -> bool:
    return confirm(
        parent,
        f"Delete {what}?",
        title="Delete",
        informative="It was entered by mistake and has no records; this cannot be undone "
        "from here (the audit trail keeps it).",
        yes="Delete",
        no="Keep it",
        danger=True,
    )
