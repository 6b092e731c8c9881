"""The Training view: the matrix, sessions, and the editors for courses, trainers, roles
and requirements, and trainees.

The Matrix tab shows the service's one-shot matrix (:mod:`dvcoord.gui.training_matrix`);
choosing a cell shows that trainee's record for the course below it, with "Book on a
session…".  The Sessions tab plans sessions, books trainees, records attendance from a
checklist and lists capacity warnings.  Every edit goes through a dialog of
:mod:`dvcoord.gui.training_dialogs`, is saved by the services in one transaction, and is
announced with ``ctx.notify_changed("training", ...)``.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dvcoord.errors import DvcoordError
from dvcoord.gui import training_dialogs as dlg
from dvcoord.gui.context import AppContext
from dvcoord.gui.import_preview import choose_and_preview
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.training_matrix import MatrixPanel
from dvcoord.gui.widgets import (
    DataTable,
    FilterBar,
    choose_save_file,
    inform,
    show_error,
    stretch_column,
)
from dvcoord.gui.workers import WorkAborted, run_in_worker
from dvcoord.services import training as svc
from dvcoord.services.dates import (
    financial_year_of,
    format_date,
    fy_range,
    quarter_of,
    quarter_range,
)

log = logging.getLogger(__name__)

_RED = "#B3261E"
_AMBER = "#8A5A00"
SEVERITY_COLOURS = {"alert": _RED, "warning": _AMBER, "info": "#1D4E89"}
OUTCOME_LABELS = dict(dlg.OUTCOMES)


def _periods(today: date) -> list[tuple[str, tuple[date | None, date | None]]]:
    fy = financial_year_of(today)
    return [
        ("Coming up", (today, None)),
        ("This quarter", quarter_range(*quarter_of(today))),
        ("This financial year", fy_range(fy)),
        ("Last financial year", fy_range(fy - 1)),
        ("Every session", (None, None)),
    ]


class TrainingView(QWidget):
    """Matrix, sessions and the training editors."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("trainingView")
        self.today = date.today()
        self.matrix: svc.Matrix | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 14, 18, 12)
        top = QHBoxLayout()
        title = QLabel("Training", self)
        title.setObjectName("pageTitle")
        top.addWidget(title)
        top.addSpacing(16)
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("trainingSummary")
        self.summary_label.setAccessibleName("Training summary")
        top.addWidget(self.summary_label, 1)
        self.import_button = self._button(
            "Import…", "Import a staff or attendance list", self.import_file, top
        )
        self.export_button = self._button(
            "Export…", "Write the matrix and the records to .xlsx", self.export_file, top
        )
        self.settings_button = self._button(
            "Settings…", "The warning window before a refresher is due", self.edit_settings, top
        )
        outer.addLayout(top)
        self.banner = QLabel(self)
        self.banner.setObjectName("trainingBanner")
        self.banner.setProperty("role", "error")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Problems to look at")
        outer.addWidget(self.banner)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("trainingTabs")
        outer.addWidget(self.tabs, 1)
        self._build_matrix()
        self._build_sessions()
        self._build_courses()
        self._build_trainers()
        self._build_roles()
        self._build_trainees()
        self.refresh()

    # ------------------------------------------------------------------ building
    def _button(self, text: str, tip: str, slot, layout) -> QPushButton:  # noqa: ANN001
        button = QPushButton(text, self)
        button.setObjectName("button_" + "".join(ch for ch in text.lower() if ch.isalpha()))
        button.setToolTip(tip)
        button.setAccessibleName(text.rstrip("…"))
        button.clicked.connect(lambda _checked=False: slot())
        layout.addWidget(button)
        return button

    def _page(self, title: str) -> tuple[QWidget, QVBoxLayout]:
        page = QWidget(self.tabs)
        layout = QVBoxLayout(page)
        self.tabs.addTab(page, title)
        return page, layout

    def _build_matrix(self) -> None:
        page, layout = self._page("&Matrix")
        splitter = QSplitter(Qt.Orientation.Vertical, page)
        self.panel = MatrixPanel(splitter)
        detail = QGroupBox("Selected cell", splitter)
        detail.setObjectName("cellDetail")
        box = QVBoxLayout(detail)
        row = QHBoxLayout()
        self.cell_label = QLabel(
            "Choose a cell to see the trainee's record for that course.", detail
        )
        self.cell_label.setObjectName("cellLabel")
        self.cell_label.setWordWrap(True)
        self.cell_label.setAccessibleName("The selected trainee and course")
        row.addWidget(self.cell_label, 1)
        self.book_button = self._button(
            "Book on a session…",
            "Book this trainee on a session of the course",
            self.book_cell,
            row,
        )
        box.addLayout(row)
        self.history_model = RowTableModel(
            [
                Column("Session", lambda r: r.session_date, width=11),
                Column("Course", lambda r: r.course, width=40),
                Column("Venue", lambda r: r.venue, width=22),
                Column("Outcome", lambda r: OUTCOME_LABELS.get(r.status, r.status), width=14),
                Column("Completed", lambda r: r.completed_on, width=11),
                Column("Refresher due", lambda r: r.due, width=12),
            ],
            row_key=lambda r: r.attendance_id,
        )
        self.history = DataTable(
            self.history_model, detail, accessible_name="Record for the course"
        )
        self.history.setObjectName("cellHistory")
        stretch_column(self.history, 1)
        box.addWidget(self.history)
        splitter.addWidget(self.panel)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter)
        self.cell: tuple[str, str] | None = None
        self.panel.cell_selected.connect(self.show_cell)
        self.panel.cell_activated.connect(lambda tid, key: self.book_cell())
        self.book_button.setEnabled(False)

    def _build_sessions(self) -> None:
        page, layout = self._page("&Sessions")
        top = QHBoxLayout()
        caption = QLabel("Sho&w:", page)
        self.period_combo = QComboBox(page)
        self.period_combo.setObjectName("sessionPeriod")
        self.period_combo.setAccessibleName("Show sessions of")
        caption.setBuddy(self.period_combo)
        for label, span in _periods(self.today):
            self.period_combo.addItem(label, span)
        self.period_combo.setCurrentIndex(2)
        self.period_combo.currentIndexChanged.connect(lambda _i: self.load_sessions())
        top.addWidget(caption)
        top.addWidget(self.period_combo)
        top.addStretch(1)
        self.plan_button = self._button(
            "Plan a session…", "Plan a session of a course", self.plan_session, top
        )
        self.edit_session_button = self._button(
            "Edit…", "Change the session", self.edit_session, top
        )
        self.book_session_button = self._button(
            "Book trainees…", "Book trainees on the session", self.book_trainees, top
        )
        self.attendance_button = self._button(
            "Record attendance…",
            "Who attended, did not attend or cancelled",
            self.record_attendance,
            top,
        )
        self.delete_session_button = self._button(
            "Delete", "Delete a session entered by mistake", self.delete_session, top
        )
        layout.addLayout(top)
        self.warnings_label = QLabel(page)
        self.warnings_label.setObjectName("capacityWarnings")
        self.warnings_label.setAccessibleName("Capacity warnings")
        self.warnings_label.setTextFormat(Qt.TextFormat.RichText)
        self.warnings_label.setWordWrap(True)
        layout.addWidget(self.warnings_label)
        self.sessions_model = RowTableModel(
            [
                Column("Date", lambda r: r.session_date, width=11),
                Column("Course", lambda r: r.course_label, width=36),
                Column("Level", lambda r: r.level_number, width=6),
                Column("Venue", lambda r: r.venue, width=24),
                Column("Trainers", lambda r: r.trainers, width=20),
                Column("Places", lambda r: r.capacity, width=7),
                Column("Booked", lambda r: r.booked, width=7),
                Column("Attended", lambda r: r.attended, width=8),
                Column("Did not attend", lambda r: r.did_not_attend, width=8),
                Column("Cancelled", lambda r: r.cancelled, width=8),
                Column(
                    "Places left",
                    lambda r: r.places_left,
                    width=8,
                    foreground=lambda r: _RED if r.places_left < 0 else None,
                ),
            ],
            row_key=lambda r: r.session_id,
        )
        self.sessions_table = DataTable(
            self.sessions_model, page, accessible_name="Training sessions", sort_column=0
        )
        self.sessions_table.setObjectName("sessionsTable")
        stretch_column(self.sessions_table, 1)
        self.sessions_table.rows_selected.connect(lambda _r: self._update_buttons())
        self.sessions_table.row_activated.connect(lambda _r: self.record_attendance())
        layout.addWidget(self.sessions_table, 1)

    def _list_page(
        self,
        title: str,
        name: str,
        columns: list[Column],
        key,  # noqa: ANN001
        buttons: list[tuple[str, str, Any]],
        *,
        filter_placeholder: str = "",
    ) -> tuple[DataTable, QHBoxLayout, dict[str, QPushButton]]:
        page, layout = self._page(title)
        top = QHBoxLayout()
        model = RowTableModel(columns, row_key=key)
        table = DataTable(model, page, accessible_name=title.replace("&", ""), sort_column=0)
        table.setObjectName(name)
        if filter_placeholder:
            bar = FilterBar(
                page, placeholder=filter_placeholder, accessible_name=filter_placeholder
            )
            bar.connect_proxy(table.proxy)
            top.addWidget(bar, 1)
            table.filter_bar = bar  # type: ignore[attr-defined]
        else:
            top.addStretch(1)
        made = {text: self._button(text, tip, slot, top) for text, tip, slot in buttons}
        layout.addLayout(top)
        layout.addWidget(table, 1)
        table.rows_selected.connect(lambda _r: self._update_buttons())
        return table, top, made

    def _build_courses(self) -> None:
        self.courses_table, top, b = self._list_page(
            "&Courses",
            "coursesTable",
            [
                Column("Code", lambda r: r.code, width=9),
                Column("Title", lambda r: r.title, width=40),
                Column("Level", lambda r: r.level_number, width=6, tooltip=lambda r: r.level_name),
                Column("Topic", lambda r: r.topic, width=28),
                Column("Delivery", lambda r: r.delivery.capitalize(), width=10),
                Column(
                    "Duration",
                    lambda r: svc.format_duration(r.duration_minutes),
                    width=9,
                    sort_key=lambda r: r.duration_minutes,
                ),
                Column(
                    "Refresher",
                    lambda r: f"{r.refresher_months} months" if r.refresher_months else "None",
                    sort_key=lambda r: r.refresher_months or 0,
                    width=10,
                ),
                Column("First offered", lambda r: r.offered_from, width=11),
                Column("Offered now", lambda r: r.active, width=8),
                Column("Sessions", lambda r: r.sessions, width=8),
                Column("Trainers", lambda r: r.trainers, width=8),
            ],
            lambda r: r.course_id,
            [
                ("Add course…", "Add a course", self.add_course),
                ("Edit course…", "Change the course", self.edit_course),
                ("Delete course", "Delete a course entered by mistake", self.delete_course),
                ("Levels and topics…", "The course levels and topics", self.edit_lists),
            ],
            filter_placeholder="Find a course…",
        )
        self.add_course_button = b["Add course…"]
        self.edit_course_button = b["Edit course…"]
        self.delete_course_button = b["Delete course"]
        self.lists_button = b["Levels and topics…"]
        stretch_column(self.courses_table, 1)
        self.courses_table.row_activated.connect(lambda _r: self.edit_course())

    def _build_trainers(self) -> None:
        self.trainers_table, _top, b = self._list_page(
            "T&rainers",
            "trainersTable",
            [
                Column("Name", lambda r: r.name, width=22),
                Column("Agency", lambda r: r.agency, width=28),
                Column("E-mail", lambda r: r.email, width=26),
                Column(
                    "Authorised until",
                    lambda r: r.authorised_until,
                    width=12,
                    foreground=lambda r: (
                        _RED if r.authorised_until and r.authorised_until < self.today else None
                    ),
                    tooltip=lambda r: (
                        "Authorisation has ended"
                        if r.authorised_until and r.authorised_until < self.today
                        else None
                    ),
                ),
                Column("Active", lambda r: r.active, width=7),
                Column("Authorised for", lambda r: r.courses, width=40),
            ],
            lambda r: r.trainer_id,
            [
                ("Add trainer…", "Add a trainer", self.add_trainer),
                ("Edit trainer…", "Change the trainer", self.edit_trainer),
                ("Delete trainer", "Delete a trainer entered by mistake", self.delete_trainer),
            ],
            filter_placeholder="Find a trainer…",
        )
        self.add_trainer_button = b["Add trainer…"]
        self.edit_trainer_button = b["Edit trainer…"]
        self.delete_trainer_button = b["Delete trainer"]
        stretch_column(self.trainers_table, 5)
        self.trainers_table.row_activated.connect(lambda _r: self.edit_trainer())

    def _build_roles(self) -> None:
        self.roles_table, _top, b = self._list_page(
            "R&oles and requirements",
            "rolesTable",
            [
                Column("Role", lambda r: r.name, width=30),
                Column("Agency", lambda r: r.agency or "Any agency", width=30),
                Column("Sector", lambda r: r.sector.capitalize(), width=18),
                Column("Staff", lambda r: r.trainees, width=6),
                Column("Needs", lambda r: r.requirements or "Nothing yet", width=40),
            ],
            lambda r: r.role_id,
            [
                ("Add role…", "Add a staff role", self.add_role),
                ("Edit role…", "Change the role and what it needs", self.edit_role),
                ("Delete role", "Delete a role nobody holds", self.delete_role),
            ],
            filter_placeholder="Find a role…",
        )
        self.add_role_button = b["Add role…"]
        self.edit_role_button = b["Edit role…"]
        self.delete_role_button = b["Delete role"]
        stretch_column(self.roles_table, 4)
        self.roles_table.row_activated.connect(lambda _r: self.edit_role())

    def _build_trainees(self) -> None:
        self.trainees_table, top, b = self._list_page(
            "Trai&nees",
            "traineesTable",
            [
                Column(
                    "Name",
                    lambda r: r.name,
                    text=lambda r: f"{r.name} \u2021" if r.same_name else r.name,
                    tooltip=lambda r: (
                        f"{r.same_name} other trainee(s) have the same name"
                        if r.same_name
                        else None
                    ),
                    width=24,
                ),
                Column("Agency", lambda r: r.agency, width=30),
                Column("Sector", lambda r: r.sector.capitalize(), width=16),
                Column("Role", lambda r: r.role, width=26),
                Column("E-mail", lambda r: r.email, width=28),
                Column("In post", lambda r: r.active, width=7),
            ],
            lambda r: r.trainee_id,
            [
                ("Add trainee…", "Add a member of staff", self.add_trainee),
                ("Edit trainee…", "Change the trainee", self.edit_trainee),
                ("Delete trainee", "Delete a trainee entered by mistake", self.delete_trainee),
            ],
            filter_placeholder="Find a trainee…",
        )
        self.show_left_check = QCheckBox("Show staff who have &left", self)
        self.show_left_check.setObjectName("showLeavers")
        self.show_left_check.setAccessibleName("Show staff who have left")
        top.insertWidget(1, self.show_left_check)
        self.show_left_check.toggled.connect(self._apply_leavers)
        self._apply_leavers(False)
        self.add_trainee_button = b["Add trainee…"]
        self.edit_trainee_button = b["Edit trainee…"]
        self.delete_trainee_button = b["Delete trainee"]
        stretch_column(self.trainees_table, 3)
        self.trainees_table.row_activated.connect(lambda _r: self.edit_trainee())

    # ------------------------------------------------------------------ data
    def refresh(self) -> None:
        self.today = date.today()
        with self.ctx.db.session() as s:
            self.matrix = svc.training_matrix(s, self.today)
            courses = svc.list_courses(s)
            trainers = svc.list_trainers(s)
            roles = svc.list_roles(s)
            trainees = svc.list_trainees(s)
            problems = svc.trainee_problems(s)
            levels = svc.list_levels(s)
        self.panel.set_matrix(self.matrix)
        self.courses_table.source_model.set_rows(courses)
        self.trainers_table.source_model.set_rows(trainers)
        self.roles_table.source_model.set_rows(roles)
        self.trainees_table.source_model.set_rows(trainees)
        self.load_sessions()
        overall = svc.compliance_overall(self.matrix)
        due = svc.expiring_list(self.matrix)
        if overall.trainees:
            self.summary_label.setText(
                f"{overall.trainees} staff in post \u00b7 "
                + (
                    f"{overall.percent:.1f}% of required courses up to date"
                    if overall.percent is not None
                    else "nothing required yet"
                )
                + f" \u00b7 {len(due)} refresher(s) due in {self.matrix.warning_days} days"
            )
        else:
            self.summary_label.setText(
                "No trainees yet: add courses, roles and staff, or import a list."
            )
        notes = list(problems)
        if not levels:
            notes.insert(
                0,
                "There are no course levels yet: use Courses > Levels and topics… to add the standard ones.",
            )
        self.banner.setText("\n".join(notes))
        self.banner.setVisible(bool(notes))
        self.show_cell(*(self.cell or ("", "")))
        self._update_buttons()

    def set_database(self, db) -> None:  # noqa: ANN001
        self.cell = None
        self.refresh()

    def load_sessions(self) -> None:
        date_from, date_to = self.period_combo.currentData() or (None, None)
        if self.period_combo.currentIndex() == 0:
            date_from = self.today
        with self.ctx.db.session() as s:
            rows = svc.list_sessions(s, date_from, date_to)
            warnings = svc.capacity_warnings(s, self.today)
        self.sessions_model.set_rows(rows)
        if warnings:
            lines = [
                f"<span style='color:{SEVERITY_COLOURS[w.severity]}'>"
                f"{format_date(w.session_date)} {w.course.split(' ')[0]}: {w.message}</span>"
                for w in warnings[:8]
            ]
            more = f" and {len(warnings) - 8} more" if len(warnings) > 8 else ""
            self.warnings_label.setText("Capacity: " + " &nbsp;\u00b7&nbsp; ".join(lines) + more)
        else:
            self.warnings_label.setText("No capacity warnings.")
        self._update_buttons()

    def _apply_leavers(self, show: bool) -> None:
        self.trainees_table.proxy.set_predicate("in post", None if show else (lambda r: r.active))

    def open_with(self, tab: str | None = None, **_: Any) -> None:
        tabs = {"matrix": 0, "sessions": 1, "courses": 2, "trainers": 3, "roles": 4, "trainees": 5}
        if tab in tabs:
            self.tabs.setCurrentIndex(tabs[tab])

    def focus_filter(self) -> None:
        index = self.tabs.currentIndex()
        if index == 0:
            self.panel.focus_filter()
            return
        table = {
            2: self.courses_table,
            3: self.trainers_table,
            4: self.roles_table,
            5: self.trainees_table,
        }.get(index)
        if table is not None:
            table.filter_bar.focus()
        else:
            self.tabs.setCurrentIndex(0)
            self.panel.focus_filter()

    def _update_buttons(self) -> None:
        writable = not self.ctx.db.readonly
        session_row = self.selected_session()
        for button in (
            self.import_button,
            self.settings_button,
            self.plan_button,
            self.add_course_button,
            self.lists_button,
            self.add_trainer_button,
            self.add_role_button,
            self.add_trainee_button,
        ):
            button.setEnabled(writable)
        for button in (
            self.edit_session_button,
            self.book_session_button,
            self.attendance_button,
            self.delete_session_button,
        ):
            button.setEnabled(writable and session_row is not None)
        if session_row is not None:
            self.book_session_button.setEnabled(writable and session_row.places_left > 0)
        for table, buttons in (
            (self.courses_table, (self.edit_course_button, self.delete_course_button)),
            (self.trainers_table, (self.edit_trainer_button, self.delete_trainer_button)),
            (self.roles_table, (self.edit_role_button, self.delete_role_button)),
            (self.trainees_table, (self.edit_trainee_button, self.delete_trainee_button)),
        ):
            chosen = table.current_row() is not None and bool(table.selected_rows())
            for button in buttons:
                button.setEnabled(writable and chosen)
        self.book_button.setEnabled(writable and self.cell is not None)

    # ------------------------------------------------------------------ matrix cell
    def show_cell(self, trainee_id: str, key: str) -> None:
        if not trainee_id:
            self.cell = None
            self.cell_label.setText("Choose a cell to see the trainee's record for that course.")
            self.history_model.set_rows([])
            self.book_button.setEnabled(False)
            return
        try:
            with self.ctx.db.session() as s:
                found = svc.cell_history(s, trainee_id, key, self.today)
        except DvcoordError:  # the trainee or course has gone (another view, a merge)
            self.show_cell("", "")
            return
        self.cell = (trainee_id, key)
        status = (
            f"{svc.STATUS_LABELS[found.cell.status]}: {found.cell.describe(self.today)}"
            if found.cell is not None
            else "Not required for this role, and never done."
        )
        self.cell_label.setText(
            f"{found.trainee.name} ({found.trainee.role or 'no role'}, {found.trainee.agency}) "
            f"\u2013 {found.column.label}. {status}"
        )
        self.history_model.set_rows(found.records)
        self.book_button.setEnabled(not self.ctx.db.readonly)

    def book_cell(self) -> bool:
        if self.cell is None:
            return False
        return self._run(dlg.BookSessionDialog(self.ctx, *self.cell, self))

    # ------------------------------------------------------------------ actions
    def _run(self, dialog) -> bool:  # noqa: ANN001
        try:
            done = bool(dialog.exec())
        finally:
            dialog.deleteLater()
        if done:
            self.refresh()
        return done

    def _delete(self, what: str, fn, row_id: str) -> bool:  # noqa: ANN001
        if not dlg.confirm_delete(self, what):
            return False
        try:
            with self.ctx.db.transaction() as s:
                fn(s, row_id)
        except DvcoordError as exc:
            show_error(self, exc, title="Delete")
            return False
        self.ctx.notify_changed(dlg.AREA, self)
        self.refresh()
        return True

    def selected_session(self) -> svc.SessionRow | None:
        rows = self.sessions_table.selected_rows()
        return rows[0] if rows else None

    def current_record(self) -> tuple[str, str] | None:
        """The session chosen on the Sessions tab, for Edit > History: (table, id)."""
        if self.tabs.currentWidget() is not self.sessions_table.parentWidget():
            return None
        row = self.selected_session()
        return ("training_session", row.session_id) if row is not None else None

    def plan_session(self) -> bool:
        dialog = dlg.SessionDialog(self.ctx, self)
        done = self._run(dialog)
        if done and dialog.result_value:
            self.sessions_table.select_key(dialog.result_value)
        return done

    def edit_session(self) -> bool:
        row = self.selected_session()
        return row is not None and self._run(
            dlg.SessionDialog(self.ctx, self, session_id=row.session_id)
        )

    def book_trainees(self) -> bool:
        row = self.selected_session()
        return row is not None and self._run(dlg.BookDialog(self.ctx, row.session_id, self))

    def record_attendance(self) -> bool:
        row = self.selected_session()
        return row is not None and self._run(dlg.AttendanceDialog(self.ctx, row.session_id, self))

    def delete_session(self) -> bool:
        row = self.selected_session()
        return row is not None and self._delete(
            f"the session of {row.code} on {format_date(row.session_date)}",
            svc.delete_session,
            row.session_id,
        )

    def add_course(self) -> bool:
        return self._run(dlg.CourseDialog(self.ctx, self))

    def edit_course(self) -> bool:
        row = self.courses_table.current_row()
        return row is not None and self._run(dlg.CourseDialog(self.ctx, self, row.course_id))

    def delete_course(self) -> bool:
        row = self.courses_table.current_row()
        return row is not None and self._delete(
            f"the course {row.code}", svc.delete_course, row.course_id
        )

    def edit_lists(self) -> bool:
        dialog = dlg.ListsDialog(self.ctx, self)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()
        self.refresh()
        return True

    def add_trainer(self) -> bool:
        return self._run(dlg.TrainerDialog(self.ctx, self))

    def edit_trainer(self) -> bool:
        row = self.trainers_table.current_row()
        return row is not None and self._run(dlg.TrainerDialog(self.ctx, self, row.trainer_id))

    def delete_trainer(self) -> bool:
        row = self.trainers_table.current_row()
        return row is not None and self._delete(row.name, svc.delete_trainer, row.trainer_id)

    def add_role(self) -> bool:
        return self._run(dlg.RoleDialog(self.ctx, self))

    def edit_role(self) -> bool:
        row = self.roles_table.current_row()
        return row is not None and self._run(dlg.RoleDialog(self.ctx, self, row.role_id))

    def delete_role(self) -> bool:
        row = self.roles_table.current_row()
        return row is not None and self._delete(
            f"the role '{row.name}'", svc.delete_role, row.role_id
        )

    def add_trainee(self) -> bool:
        dialog = dlg.TraineeDialog(self.ctx, self)
        done = self._run(dialog)
        if done and dialog.result_value:
            self.trainees_table.select_key(dialog.result_value)
        return done

    def edit_trainee(self) -> bool:
        row = self.trainees_table.current_row()
        return row is not None and self._run(dlg.TraineeDialog(self.ctx, self, row.trainee_id))

    def delete_trainee(self) -> bool:
        row = self.trainees_table.current_row()
        return row is not None and self._delete(row.name, svc.delete_trainee, row.trainee_id)

    def edit_settings(self) -> bool:
        return self._run(dlg.SettingsDialog(self.ctx, self))

    def import_file(self) -> bool:
        dialog = choose_and_preview(
            self,
            "Import trainees and attendance",
            dlg.read_file_in_worker,
            lambda sheets: dlg.ImportDialog(self.ctx, sheets, self),
        )
        return dialog is not None and self._run(dialog)

    def export_file(self) -> Path | None:
        path = choose_save_file(
            self,
            "Export the training matrix",
            suggested="training-matrix.xlsx",
            file_filter="Excel workbooks (*.xlsx)",
            suffix=".xlsx",
            purpose="export",
            settings=self.ctx.settings,
        )
        if path is None:
            return None
        db, today = self.ctx.db, self.today

        def job(_progress, _cancel) -> int:  # noqa: ANN001
            from dvcoord.importers.training import export_training

            with db.session() as s:
                return export_training(s, path, today=today)

        try:
            n = run_in_worker(self, "Exporting the training matrix", job, cancellable=False)
        except WorkAborted:
            return None
        self.ctx.show_message(f"The training matrix of {n} staff was written to {path.name}.")
        inform(
            self,
            f"The training matrix of {n} staff was written to {path}.",
            title="Export the training matrix",
        )
        return path
