"""The BVPI 225 self-assessment form: a financial year, the eleven questions with
yes / no, evidence and its date, the live score, and what dvcoord's own records say
beside questions 7 (Sanctuary scheme) and 11 (multi-agency training).

The form is ``ui/bvpi225_form.ui`` with one ``ui/bvpi225_question.ui`` per question.  It
saves through :func:`dvcoord.services.bvpi225.save_assessment` in one transaction; a
:class:`~dvcoord.errors.ValidationError` is shown beside its question and nothing typed
is lost.  Switching year (or leaving) with unsaved answers asks first.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QButtonGroup, QFrame, QLabel, QMessageBox, QWidget

from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.gui.context import AppContext
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import confirm, from_qdate, show_error, to_qdate
from dvcoord.services import bvpi225 as bv
from dvcoord.services.dates import financial_year_of, fy_label

log = logging.getLogger(__name__)

YEARS_BACK = 10
AGREE_STYLE = "color: #2E7D32;"
DISAGREE_STYLE = "color: #B3261E; font-weight: bold;"
UNKNOWN_STYLE = "color: #505A5F;"


def _set_error(label: QLabel, widget: QWidget | None, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))
    if widget is not None:
        widget.setProperty("invalid", bool(message))
        widget.setAccessibleDescription(message)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


class QuestionBlock(QFrame):
    """One question: the answer, its evidence and date, and dvcoord's data check."""

    def __init__(self, question: bv.Question, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self.setObjectName(f"question{question.number}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.form = f = load_ui("bvpi225_question", self)
        grid = f.layout()
        for column in range(3):  # the answers sit close together; the evidence takes the rest
            grid.setColumnStretch(column, 0)
        grid.setColumnStretch(3, 1)
        f.evidenceDate.setMaximumWidth(140)
        f.titleLabel.setText(f"<b>{question.number}. {question.title}</b>")
        f.questionLabel.setText(question.text)
        self.group = QButtonGroup(self)
        for button in (f.yesRadio, f.noRadio, f.unansweredRadio):
            button.setAccessibleName(f"Question {question.number}: {button.text()}")
            self.group.addButton(button)
        f.unansweredRadio.setChecked(True)
        f.evidenceEdit.setAccessibleName(f"Evidence for question {question.number}")
        f.evidenceDate.setDisplayFormat("dd/MM/yyyy")
        f.evidenceDate.setCalendarPopup(True)
        f.evidenceDate.setDate(to_qdate(date.today()))
        f.evidenceDate.setEnabled(False)
        f.evidenceDateCheck.toggled.connect(f.evidenceDate.setEnabled)
        for name in ("evidenceError", "evidenceDateError"):
            label = getattr(f, name)
            label.setProperty("role", "error")
            _set_error(label, None, "")
        f.dataLabel.setVisible(question.number in (7, 11))
        f.dataLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.data: bv.DataCheck | None = None

    # ------------------------------------------------------------------ values
    def answer(self) -> str:
        if self.form.yesRadio.isChecked():
            return "yes"
        if self.form.noRadio.isChecked():
            return "no"
        return ""

    def set_answer(self, answer: bv.AnswerView) -> None:
        f = self.form
        {"yes": f.yesRadio, "no": f.noRadio}.get(answer.answer, f.unansweredRadio).setChecked(True)
        f.evidenceEdit.setPlainText(answer.evidence)
        f.evidenceDateCheck.setChecked(answer.evidence_date is not None)
        f.evidenceDate.setDate(to_qdate(answer.evidence_date or date.today()))
        self.data = answer.data
        self.show_data()

    def value(self) -> bv.AnswerInput:
        f = self.form
        on = from_qdate(f.evidenceDate.date()) if f.evidenceDateCheck.isChecked() else None
        return bv.AnswerInput(self.question.number, self.answer(), f.evidenceEdit.toPlainText(), on)

    def show_data(self) -> None:
        """ "dvcoord's records say: …" beside the officer's answer, flagged when they differ."""
        label = self.form.dataLabel
        if self.data is None:
            label.setVisible(False)
            return
        label.setVisible(True)
        text = f"dvcoord's records say: {self.data.text}"
        answer = self.answer()
        if self.data.disagrees_with(answer):
            text += f" Your answer ({answer}) does not match: check the evidence."
            style = DISAGREE_STYLE
        elif self.data.suggests and answer:
            style = AGREE_STYLE
        else:
            style = UNKNOWN_STYLE
        label.setText(text)
        label.setStyleSheet(style)
        label.setAccessibleDescription(text)

    def show_problem(self, part: str, message: str) -> None:
        f = self.form
        if part == "evidence_date":
            _set_error(f.evidenceDateError, f.evidenceDate, message)
            f.evidenceDate.setFocus()
        else:
            _set_error(f.evidenceError, f.evidenceEdit, message)
            (f.evidenceEdit if part == "evidence" else f.yesRadio).setFocus()

    def clear_errors(self) -> None:
        _set_error(self.form.evidenceError, self.form.evidenceEdit, "")
        _set_error(self.form.evidenceDateError, self.form.evidenceDate, "")


class Bvpi225Form(QWidget):
    """The year's self-assessment, with a live score."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("bvpi225Form")
        self.form = f = load_ui("bvpi225_form", self)
        f.layout().setContentsMargins(8, 8, 8, 8)
        self.today = date.today()
        self.fy = financial_year_of(self.today)
        self._loading = False
        self._dirty = False
        f.introLabel.setText(
            "Answer each question yes only when the goal is fully met, with evidence. The "
            "score is the number of yes answers divided by 11, times 100, to one decimal "
            "place. For questions 7 and 11 dvcoord shows what its own records say."
        )
        f.introLabel.setProperty("role", "help")
        for name in ("officerError", "assessedError", "formError"):
            label = getattr(f, name)
            label.setProperty("role", "error")
            _set_error(label, None, "")
        f.warningsLabel.setProperty("role", "error")
        f.warningsLabel.hide()
        f.scoreLabel.setStyleSheet("font-size: 16pt; font-weight: bold;")
        f.assessedDate.setDisplayFormat("dd/MM/yyyy")
        f.assessedDate.setCalendarPopup(True)
        f.assessedDate.setEnabled(False)
        f.assessedCheck.toggled.connect(f.assessedDate.setEnabled)
        self.blocks: list[QuestionBlock] = []
        layout = f.questionsHost.layout()
        for q in bv.QUESTIONS:
            block = QuestionBlock(q, f.questionsHost)
            block.group.buttonToggled.connect(lambda _b, _on, blk=block: self._answer_changed(blk))
            block.form.evidenceEdit.textChanged.connect(self._edited)
            block.form.evidenceDateCheck.toggled.connect(self._edited)
            block.form.evidenceDate.dateChanged.connect(self._edited)
            layout.addWidget(block)
            self.blocks.append(block)
        layout.addStretch(1)
        for signal in (
            f.officerEdit.textChanged,
            f.notesEdit.textChanged,
            f.assessedCheck.toggled,
            f.assessedDate.dateChanged,
        ):
            signal.connect(self._edited)
        self._fill_years()
        f.fyCombo.currentIndexChanged.connect(self._year_chosen)
        f.saveButton.clicked.connect(lambda _c=False: self.save())
        f.revertButton.clicked.connect(lambda _c=False: self.load(self.fy))
        f.deleteButton.clicked.connect(lambda _c=False: self.delete())
        f.printButton.clicked.connect(lambda _c=False: self.print_return())
        self.load(self.fy)

    # ------------------------------------------------------------------ years
    def _fill_years(self, keep: int | None = None) -> None:
        combo = self.form.fyCombo
        with self.ctx.db.session() as s:
            assessed = dict(bv.assessed_years(s))
        current = financial_year_of(self.today)
        years = sorted(set(range(current - YEARS_BACK, current + 1)) | set(assessed), reverse=True)
        combo.blockSignals(True)
        combo.clear()
        for fy in years:
            label = fy_label(fy)
            if fy in assessed:
                label += f"   (score {bv.score_text(assessed[fy])})"
            combo.addItem(label, fy)
        combo.setCurrentIndex(max(0, combo.findData(keep if keep is not None else self.fy)))
        combo.blockSignals(False)

    def _year_chosen(self, _index: int = 0) -> None:
        fy = self.form.fyCombo.currentData()
        if fy is None or fy == self.fy:
            return
        if not self.can_leave():
            self.form.fyCombo.blockSignals(True)
            self.form.fyCombo.setCurrentIndex(self.form.fyCombo.findData(self.fy))
            self.form.fyCombo.blockSignals(False)
            return
        self.load(fy)

    # ------------------------------------------------------------------ loading
    def load(self, fy: int) -> None:
        f = self.form
        self.fy = fy
        self.today = date.today()
        with self.ctx.db.session() as s:
            view = bv.assessment_view(s, fy, self.today)
        self._loading = True
        try:
            f.officerEdit.setText(view.officer or (self.ctx.db.user if not view.exists else ""))
            f.assessedCheck.setChecked(view.assessed_on is not None or not view.exists)
            f.assessedDate.setDate(to_qdate(view.assessed_on or self.today))
            f.notesEdit.setPlainText(view.notes)
            for block, answer in zip(self.blocks, view.answers, strict=True):
                block.set_answer(answer)
                block.clear_errors()
        finally:
            self._loading = False
        self.exists = view.exists
        self._dirty = False
        self.clear_errors()
        f.warningsLabel.hide()
        f.deleteButton.setEnabled(view.exists and not self.ctx.db.readonly)
        f.saveButton.setEnabled(not self.ctx.db.readonly)
        self._update_score()

    def refresh(self) -> None:
        """Reload the data checks (other areas may have changed) without losing edits."""
        if self._dirty:
            with self.ctx.db.session() as s:
                for block in self.blocks:
                    assessed = (
                        from_qdate(self.form.assessedDate.date())
                        if self.form.assessedCheck.isChecked()
                        else None
                    )
                    block.data = bv.data_check(
                        s, block.question.number, self.fy, assessed_on=assessed, today=self.today
                    )
                    block.show_data()
            return
        self._fill_years(self.fy)
        self.load(self.fy)

    def set_database(self, db) -> None:  # noqa: ANN001
        self._dirty = False
        self.fy = financial_year_of(date.today())
        self._fill_years(self.fy)
        self.load(self.fy)

    def current_record(self) -> tuple[str, str] | None:
        """The year's assessment (table, id), once it has been saved."""
        if not getattr(self, "exists", False):
            return None
        with self.ctx.db.session() as s:
            row = bv.get_assessment(s, self.fy)
        return ("bvpi225_assessment", row.id) if row is not None else None

    # ------------------------------------------------------------------ state
    def _edited(self, *_: Any) -> None:
        if not self._loading:
            self._dirty = True

    def _answer_changed(self, block: QuestionBlock) -> None:
        block.show_data()
        self._edited()
        self._update_score()

    def yes_count(self) -> int:
        return sum(1 for b in self.blocks if b.answer() == "yes")

    def score_text(self) -> str:
        return bv.score_text(self.yes_count())

    def _update_score(self) -> None:
        yes = self.yes_count()
        answered = sum(1 for b in self.blocks if b.answer())
        text = f"Score {bv.score_text(yes)}"
        self.form.scoreLabel.setText(text)
        detail = f"{yes} of {len(self.blocks)} answered yes, {answered} answered"
        self.form.scoreLabel.setToolTip(detail)
        self.form.scoreLabel.setAccessibleDescription(f"{text}: {detail}")

    @property
    def dirty(self) -> bool:
        return self._dirty

    def can_leave(self) -> bool:
        if not self._dirty:
            return True
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("BVPI 225")
        box.setText(f"Save the changes to the {fy_label(self.fy)} self-assessment?")
        save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setEscapeButton(cancel)
        box.exec()
        clicked = box.clickedButton()
        if clicked is save:
            return self.save()
        if clicked is discard:
            self._dirty = False
            return True
        return False

    # ------------------------------------------------------------------ errors
    def clear_errors(self) -> None:
        f = self.form
        _set_error(f.officerError, f.officerEdit, "")
        _set_error(f.assessedError, f.assessedDate, "")
        _set_error(f.formError, None, "")
        for block in self.blocks:
            block.clear_errors()

    def show_problem(self, exc: ValidationError) -> None:
        f = self.form
        name = exc.field or ""
        if name.startswith("q") and "." in name:
            number, part = name[1:].split(".", 1)
            block = self.blocks[int(number) - 1]
            block.show_problem(part, str(exc))
            f.questionsScroll.ensureWidgetVisible(block)
            return
        if name == "officer":
            _set_error(f.officerError, f.officerEdit, str(exc))
        elif name == "assessed_on":
            _set_error(f.assessedError, f.assessedDate, str(exc))
        else:
            _set_error(f.formError, None, str(exc))

    def error_text(self, field: str) -> str:
        f = self.form
        if field.startswith("q"):
            number, part = field[1:].split(".", 1)
            blk = self.blocks[int(number) - 1].form
            label = blk.evidenceDateError if part == "evidence_date" else blk.evidenceError
        else:
            label = {"officer": f.officerError, "assessed_on": f.assessedError}.get(
                field, f.formError
            )
        return label.text() if label.isVisibleTo(self) else ""

    # ------------------------------------------------------------------ saving
    def save(self) -> bool:
        f = self.form
        self.clear_errors()
        assessed = from_qdate(f.assessedDate.date()) if f.assessedCheck.isChecked() else None
        try:
            with self.ctx.db.transaction() as s:
                result = bv.save_assessment(
                    s,
                    self.fy,
                    answers=[b.value() for b in self.blocks],
                    officer=f.officerEdit.text(),
                    assessed_on=assessed,
                    notes=f.notesEdit.toPlainText(),
                    today=date.today(),
                )
        except ValidationError as exc:
            self.show_problem(exc)
            return False
        except DvcoordError as exc:
            show_error(self, exc, title="BVPI 225")
            return False
        self._dirty = False
        self.exists = True
        f.deleteButton.setEnabled(not self.ctx.db.readonly)
        f.warningsLabel.setText("Check: " + " ".join(result.warnings) if result.warnings else "")
        f.warningsLabel.setVisible(bool(result.warnings))
        self._fill_years(self.fy)
        self.ctx.show_message(
            f"BVPI 225 self-assessment for {fy_label(self.fy)} saved: score {result.score}."
        )
        self.ctx.notify_changed("indicators", self)
        return True

    def delete(self) -> bool:
        if not self.exists:
            return False
        if not confirm(
            self,
            f"Delete the BVPI 225 self-assessment for {fy_label(self.fy)}?",
            title="BVPI 225",
            yes="Delete",
            no="Keep it",
            danger=True,
        ):
            return False
        with self.ctx.db.transaction() as s:
            bv.delete_assessment(s, self.fy)
        self._fill_years(self.fy)
        self.load(self.fy)
        self.ctx.notify_changed("indicators", self)
        return True

    def print_return(self) -> None:
        if self._dirty and not self.can_leave():
            return
        from dvcoord.gui.export_report import ExportReportDialog
        from dvcoord.services.dates import fy_range

        dialog = ExportReportDialog(self.ctx, self, kind="bvpi225")
        start, end = fy_range(self.fy)
        dialog.form.fromDate.setDate(to_qdate(start))  # the year shown, not this quarter
        dialog.form.toDate.setDate(
            to_qdate(min(end, date.today()) if start <= date.today() else end)
        )
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()
