"""File > Import plan… (a wizard) and File > Export plan to spreadsheet….

The wizard walks through what :mod:`dvcoord.importers.plan_import` does, so that nothing
is written before the user has seen it:

1. the file (.docx, .xlsx, .csv), read off the UI thread;
2. the plan to create (its title) or to merge into;
3. the columns as they were recognised, one combo box per column, per distinct header
   row; a change is applied by reading the file again;
4. agency words that match no known agency: link to an existing agency, create a new
   one, or keep the words as text;
5. a preview tree of themes, aims, actions and milestones, with every warning;

then the import runs off the UI thread with a progress bar and Cancel, in one
transaction after a backup. Thin: every rule is in the importer and the services.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHeaderView,
    QLabel,
    QListWidget,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from dvcoord.errors import DvcoordError
from dvcoord.gui.context import AppContext
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import choose_open_file, choose_save_file, inform, show_error
from dvcoord.gui.workers import WorkAborted, run_in_worker

log = logging.getLogger(__name__)

TITLE = "Import plan"
EXPORT_TITLE = "Export plan to spreadsheet"
NOT_IMPORTED = "(not imported)"
PLAN_FILES = "Plans (*.docx *.xlsx *.xlsm *.csv *.tsv *.txt);;All files (*)"
KEEP_TEXT = "Keep as text only"
CREATE_NEW = "Create a new agency"


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


# =========================================================================== pages


class FilePage(QWizardPage):
    """Step 1: the file; "Next" reads it (off the UI thread) and guesses the columns."""

    def __init__(self, wizard: PlanImportWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Choose the plan's file")
        self.form = load_ui("plan_import_file", self)
        self.form.errorLabel.setStyleSheet("color: #b00020;")
        self.form.browseButton.clicked.connect(self.browse)
        self.form.fileEdit.textChanged.connect(lambda _t: self.completeChanged.emit())
        self.form.fileEdit.textChanged.connect(lambda _t: self.form.errorLabel.clear())

    def browse(self) -> None:
        path = choose_open_file(
            self,
            "Choose the plan to import",
            file_filter=PLAN_FILES,
            purpose="plan-import",
            settings=self.wiz.ctx.settings,
        )
        if path is not None:
            self.form.fileEdit.setText(str(path))

    def isComplete(self) -> bool:  # noqa: N802 - Qt's name
        return bool(self.form.fileEdit.text().strip())

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        path = Path(self.form.fileEdit.text().strip()).expanduser()
        try:
            self.wiz.read_file(path)
        except DvcoordError as exc:
            self.form.errorLabel.setText(str(exc))
            return False
        except WorkAborted as exc:
            error = getattr(exc, "error", None)
            self.form.errorLabel.setText(
                str(error) if isinstance(error, DvcoordError) else "The file could not be read."
            )
            return False
        return True


class TargetPage(QWizardPage):
    """Step 2: a new plan (and its title) or an existing plan to merge into."""

    def __init__(self, wizard: PlanImportWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Plan to create or merge into")
        self.form = f = load_ui("plan_import_target", self)
        f.errorLabel.setStyleSheet("color: #b00020;")
        f.newRadio.toggled.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        new = self.form.newRadio.isChecked()
        self.form.titleEdit.setEnabled(new)
        self.form.planCombo.setEnabled(not new)
        self.form.errorLabel.clear()

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        from dvcoord.services import plan_lookup

        parsed = self.wiz.parsed
        f = self.form
        assert parsed is not None
        f.foundLabel.setText(
            f"{parsed.source.name}: {len(parsed.themes)} theme(s), {parsed.action_count} "
            f"action(s), {parsed.milestone_count} milestone(s), {len(parsed.warnings)} "
            "warning(s)."
        )
        if not f.titleEdit.text().strip() or f.titleEdit.property("guessed"):
            f.titleEdit.setText(parsed.title)
            f.titleEdit.setProperty("guessed", True)
        current = f.planCombo.currentData()
        f.planCombo.clear()
        with self.wiz.ctx.db.session() as s:
            for plan in plan_lookup.plan_choices(s):  # plans of one title told apart
                f.planCombo.addItem(plan.label, plan.id)
        if current is not None:
            index = f.planCombo.findData(current)
            if index >= 0:
                f.planCombo.setCurrentIndex(index)
        f.mergeRadio.setEnabled(f.planCombo.count() > 0)
        if not f.planCombo.count():
            f.newRadio.setChecked(True)

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        f = self.form
        if f.newRadio.isChecked():
            title = f.titleEdit.text().strip()
            if not title:
                f.errorLabel.setText("Give the new plan a title.")
                return False
            self.wiz.plan_title, self.wiz.into_plan_id = title, None
        else:
            plan_id = f.planCombo.currentData()
            if not plan_id:
                f.errorLabel.setText("Choose the plan to merge into.")
                return False
            self.wiz.plan_title, self.wiz.into_plan_id = None, plan_id
        return True


class ColumnsPage(QWizardPage):
    """Step 3: what each column was read as; the user may change it."""

    def __init__(self, wizard: PlanImportWizard) -> None:
        super().__init__()
        from dvcoord.importers.plan_import import FIELD_LABELS, PLAN_FIELDS

        self.wiz = wizard
        self.setTitle("Columns")
        self.setSubTitle(
            "Each column of the file, by its heading, and what it was read as. Change a "
            "choice if the guess is wrong; a field can come from one column only."
        )
        self.choices = [(None, NOT_IMPORTED)] + [(k, FIELD_LABELS[k]) for k in PLAN_FIELDS]
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("columnsTable")
        self.table.setAccessibleName("Columns of the file and what they are read as")
        self.table.setHorizontalHeaderLabels(["Found in", "Column heading", "Read as"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        self.error.setAccessibleName("Problem with the columns")
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.error)
        #: (layout key, column index) of each combo box.
        self.combos: list[tuple[QComboBox, str, int]] = []
        self.dirty = False

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        parsed = self.wiz.parsed
        assert parsed is not None
        self.table.setRowCount(0)
        self.combos = []
        self.dirty = False
        self.error.clear()
        for layout in parsed.layouts:
            mapping = self.wiz.mappings.get(layout.key, layout.mapping)
            where = ", ".join(layout.tables[:3]) + (" …" if len(layout.tables) > 3 else "")
            for col, header in enumerate(mapping.headers):
                current = mapping.field_of(col)
                if not header and current is None:
                    continue
                row = self.table.rowCount()
                self.table.insertRow(row)
                for c, text in enumerate((where, _short(header, 60) or f"(column {col + 1})")):
                    item = QTableWidgetItem(text)
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                    item.setToolTip(header)
                    self.table.setItem(row, c, item)
                combo = QComboBox(self.table)
                combo.setAccessibleName(f"What the column {_short(header, 40)} holds")
                for key, label in self.choices:
                    combo.addItem(label, key)
                combo.setCurrentIndex(max(0, combo.findData(current)))
                combo.currentIndexChanged.connect(
                    lambda _i, cb=combo, k=layout.key, c=col: self._changed(cb, k, c)
                )
                self.table.setCellWidget(row, 2, combo)
                self.combos.append((combo, layout.key, col))

    def _changed(self, combo: QComboBox, key: str, column: int) -> None:
        parsed = self.wiz.parsed
        assert parsed is not None
        layout = next(lay for lay in parsed.layouts if lay.key == key)
        mapping = self.wiz.mappings.setdefault(key, layout.mapping.copy())
        field = combo.currentData()
        mapping.assign(field, column) if field else _unassign(mapping, column)
        for other, other_key, other_col in self.combos:
            if other is combo or other_key != key:
                continue
            want = mapping.field_of(other_col)
            if other.currentData() != want:
                other.blockSignals(True)
                other.setCurrentIndex(max(0, other.findData(want)))
                other.blockSignals(False)
        self.dirty = True
        self.error.clear()

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if not self.dirty:
            return True
        try:
            self.wiz.reparse()
        except DvcoordError as exc:
            self.error.setText(str(exc))
            return False
        except WorkAborted as exc:
            error = getattr(exc, "error", None)
            self.error.setText(str(error) if error else "The file could not be read again.")
            return False
        self.dirty = False
        return True


def _unassign(mapping: Any, column: int) -> None:
    name = mapping.field_of(column)
    if name is not None:
        mapping.assign(name, None)


class AgenciesPage(QWizardPage):
    """Step 4: agency words that match no known agency."""

    def __init__(self, wizard: PlanImportWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Agencies")
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("agenciesTable")
        self.table.setAccessibleName("Agency words in the file and what to do with them")
        self.table.setHorizontalHeaderLabels(["Words in the file", "Actions", "What to do"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table)
        self.combos: dict[str, QComboBox] = {}

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        from dvcoord.importers.plan_import import known_agencies

        parsed = self.wiz.parsed
        assert parsed is not None
        agencies, _aliases = known_agencies(self.wiz.ctx.db)
        agencies.sort(key=lambda a: a.name.lower())
        self.table.setRowCount(0)
        self.combos = {}
        if not parsed.unmatched:
            self.intro.setText(
                "Every agency named in the file matched a known agency (or none is named)."
            )
        else:
            self.intro.setText(
                f"{len(parsed.unmatched)} agency name(s) in the file match no agency in "
                "this database. Link each to an existing agency, create a new agency, or "
                "keep the words as text (every action keeps its lead agency as written "
                "either way). Links you choose are remembered for the next import."
            )
        previous = self.wiz.agency_choices
        for key, entry in parsed.unmatched.items():
            row = self.table.rowCount()
            self.table.insertRow(row)
            words = QTableWidgetItem(entry.text)
            words.setFlags(Qt.ItemFlag.ItemIsEnabled)
            refs = ", ".join(entry.actions[:6]) + (" …" if len(entry.actions) > 6 else "")
            words.setToolTip(f"Named by: {refs}")
            count = QTableWidgetItem(str(entry.count))
            count.setFlags(Qt.ItemFlag.ItemIsEnabled)
            count.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(row, 0, words)
            self.table.setItem(row, 1, count)
            combo = QComboBox(self.table)
            combo.setAccessibleName(f"What to do with {_short(entry.text, 40)}")
            combo.addItem(KEEP_TEXT, ("text", None))
            combo.addItem(CREATE_NEW, ("new", None))
            for agency in agencies:
                combo.addItem(f"Link to {agency.name}", ("existing", agency.id))
            chosen = previous.get(key)
            if chosen is not None:
                data = (chosen.action, chosen.agency_id if chosen.action == "existing" else None)
            else:
                data = ("new", None) if entry.suggestion == "new" else ("text", None)
            combo.setCurrentIndex(max(0, combo.findData(data)))
            self.table.setCellWidget(row, 2, combo)
            self.combos[key] = combo
        self.table.setVisible(bool(parsed.unmatched))

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        from dvcoord.importers.plan_import import AgencyChoice

        parsed = self.wiz.parsed
        assert parsed is not None
        choices = {}
        for key, combo in self.combos.items():
            action, agency_id = combo.currentData()
            choices[key] = AgencyChoice(
                action=action, agency_id=agency_id, name=parsed.unmatched[key].text[:300]
            )
        self.wiz.agency_choices = choices
        return True


class PreviewPage(QWizardPage):
    """Step 5: the themes, aims, actions and milestones that will be written, and every
    warning."""

    COLUMNS = ("Reference / theme", "Text", "Lead agency", "Target date", "RAG", "Warnings")

    def __init__(self, wizard: PlanImportWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Preview")
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("What will be imported")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("previewTree")
        self.tree.setAccessibleName("Themes, actions and milestones to be imported")
        self.tree.setHeaderLabels(list(self.COLUMNS))
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.warnings = QListWidget(self)
        self.warnings.setObjectName("warningsList")
        self.warnings.setAccessibleName("Warnings about the file")
        self.warnings.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.tree)
        holder = QWidget(split)
        inner = QVBoxLayout(holder)
        inner.setContentsMargins(0, 0, 0, 0)
        self.warnings_label = QLabel("Warnings", holder)
        inner.addWidget(self.warnings_label)
        inner.addWidget(self.warnings)
        split.addWidget(holder)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(split)
        self.setFinalPage(True)

    def initializePage(self) -> None:  # noqa: N802 - Qt's name
        from dvcoord.gui.formatting import rag_colours

        parsed = self.wiz.parsed
        assert parsed is not None
        self.tree.clear()
        self.warnings.clear()
        for theme in parsed.themes:
            top = QTreeWidgetItem([theme.label, "", "", "", "", ""])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            top.setFirstColumnSpanned(True)
            self.tree.addTopLevelItem(top)
            aim_items: dict[int, QTreeWidgetItem] = {}
            for aim in theme.aims:
                item = QTreeWidgetItem(top, [aim.reference or "Aim", aim.text, "", "", "", ""])
                aim_items[id(aim)] = item
            for action in theme.actions:
                parent = aim_items.get(id(action.aim), top) if action.aim else top
                target = action.target.text or ""
                if action.target.kind.value == "unreadable":
                    target = f"{target} (not read)"
                item = QTreeWidgetItem(
                    parent,
                    [
                        action.reference,
                        _short(action.text, 120),
                        _short(action.lead_text, 60),
                        _short(target, 40),
                        action.rag,
                        "; ".join(action.flags),
                    ],
                )
                item.setToolTip(1, action.text[:2000])
                if action.flags:
                    item.setToolTip(5, "\n".join(action.flags))
                shade = rag_colours(action.rag)
                if shade is not None:  # the letter is shown too: colour is not the only sign
                    item.setBackground(4, QBrush(shade.background))
                    item.setForeground(4, QBrush(shade.foreground))
                for m in action.milestones:
                    due = m.due.text or "no date"
                    if m.due.kind.value == "unreadable":
                        due = f"{due} (not read)"
                    QTreeWidgetItem(item, ["Milestone", m.text, "", due, "", ""])
            top.setExpanded(True)
        for w in parsed.warnings:
            self.warnings.addItem(str(w))
        for w in self.wiz.extra_notices:
            self.warnings.addItem(str(w))
        if not self.wiz.into_plan_id and self.wiz.plan_title:
            from dvcoord.services.plan_lookup import same_title_notice

            with self.wiz.ctx.db.session() as s:
                twin = same_title_notice(
                    s,
                    self.wiz.plan_title,
                    advice="go back to give it another title, or merge into the existing plan",
                )
            if twin:
                self.warnings.insertItem(0, twin)
        n = self.warnings.count()
        self.warnings_label.setText(f"Warnings ({n})" if n else "No warnings")
        if self.wiz.into_plan_id:
            target = "merged into the chosen plan (actions matched by reference)"
        else:
            target = f"written as the new plan '{self.wiz.plan_title}'"
        self.summary.setText(
            f"{len(parsed.themes)} theme(s), {parsed.aim_count} aim(s), "
            f"{parsed.action_count} action(s) and {parsed.milestone_count} milestone(s) will "
            f"be {target}. A backup is taken first, and everything is written together or "
            "not at all."
        )


# =========================================================================== wizard


class PlanImportWizard(QWizard):
    """File > Import plan…: see the module notes."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from dvcoord.importers.tabular import HeaderMapping

        self.ctx = ctx
        self.setObjectName("planImportWizard")
        self.setWindowTitle(TITLE)
        self.setAccessibleName(TITLE)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Import")
        self.resize(980, 700)
        self.found: Any = None
        self.parsed: Any = None
        self.mappings: dict[str, HeaderMapping] = {}
        self.agency_choices: dict[str, Any] = {}
        self.plan_title: str | None = None
        self.into_plan_id: str | None = None
        self.summary: Any = None
        self.extra_notices: list[str] = []
        self.file_page = FilePage(self)
        self.target_page = TargetPage(self)
        self.columns_page = ColumnsPage(self)
        self.agencies_page = AgenciesPage(self)
        self.preview_page = PreviewPage(self)
        for page in (
            self.file_page,
            self.target_page,
            self.columns_page,
            self.agencies_page,
            self.preview_page,
        ):
            self.addPage(page)

    # ------------------------------------------------------------------ reading
    def read_file(self, path: Path) -> None:
        """Read ``path`` and guess everything (off the UI thread)."""
        from dvcoord.importers.plan_import import known_agencies, parse_tables
        from dvcoord.importers.tabular import read_tables

        agencies, aliases = known_agencies(self.ctx.db)

        def job(progress, _cancel):  # noqa: ANN001, ANN202
            progress(0, None, f"Reading {path.name}")
            found = read_tables(path)
            progress(0, None, "Recognising the plan")
            return found, parse_tables(found, agencies=agencies, aliases=aliases)

        self.found, self.parsed = run_in_worker(
            self, "Reading the plan", job, cancellable=False, show_errors=False
        )
        self.mappings = {}
        self.agency_choices = {}
        log.info("import wizard: read %s (%d action(s))", path.name, self.parsed.action_count)

    def reparse(self) -> None:
        """Read the tables again with the columns as the user set them."""
        from dvcoord.importers.plan_import import known_agencies, parse_tables

        agencies, aliases = known_agencies(self.ctx.db)
        found, mappings = self.found, dict(self.mappings)
        parsed = run_in_worker(
            self,
            "Reading the plan again",
            lambda _p, _c: parse_tables(found, mappings, agencies=agencies, aliases=aliases),
            cancellable=False,
            show_errors=False,
        )
        self.parsed = parsed
        # Keep the mapping the user saw for layouts that are still there.
        for layout in parsed.layouts:
            if layout.key in mappings:
                layout.mapping = mappings[layout.key].copy()

    # ------------------------------------------------------------------ writing
    def accept(self) -> None:
        if not self.run_import():
            return
        super().accept()

    def run_import(self) -> bool:
        from dvcoord.importers.plan_import import write_plan

        parsed = self.parsed
        if parsed is None:
            return False
        db = self.ctx.db
        title, into, choices = self.plan_title, self.into_plan_id, dict(self.agency_choices)

        def job(progress, _cancel):  # noqa: ANN001, ANN202
            progress(0, None, "Taking a backup")
            return write_plan(
                db,
                parsed,
                plan_title=title,
                into_plan_id=into,
                agency_map=choices,
                progress=lambda done, total: progress(
                    done, total, f"Writing action {done} of {total}"
                ),
            )

        try:
            self.summary = run_in_worker(self, "Importing the plan", job)
        except WorkAborted:
            return False
        summary = self.summary
        self.ctx.notify_changed("", self)
        verb = "Imported" if summary.created_plan else "Merged"
        self.ctx.show_message(
            f"{verb} {summary.actions_created + summary.actions_updated} action(s) "
            f"into '{summary.plan_title}'."
        )
        inform(
            self,
            f"{verb} the plan from {parsed.source.name}.",
            title=TITLE,
            informative="\n".join(summary.lines()),
        )
        try:
            self.ctx.open_view("plans", plan_id=summary.plan_id)
        except Exception:  # noqa: BLE001 - showing the plan is a courtesy, the import is done
            log.exception("could not show the imported plan")
        return True


# =========================================================================== export


class PlanExportDialog(QDialog):
    """File > Export plan to spreadsheet…: choose the plan and the layout, then the file."""

    FORMATS = (
        ("Excel workbook, one sheet per theme (.xlsx)", ".xlsx", False),
        ("Excel workbook, one sheet (.xlsx)", ".xlsx", True),
        ("CSV, one table (.csv)", ".csv", True),
    )

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, plan_id: str | None = None
    ) -> None:
        super().__init__(parent)
        from dvcoord.services import plan_lookup

        self.ctx = ctx
        self.written: Path | None = None
        self.setObjectName("planExportDialog")
        self.form = f = load_ui("plan_export", self)
        self.setWindowTitle(EXPORT_TITLE)
        with ctx.db.session() as s:
            for plan in plan_lookup.plan_choices(s):  # plans of one title told apart
                f.planCombo.addItem(plan.label, plan.id)
        if plan_id is not None:
            f.planCombo.setCurrentIndex(max(0, f.planCombo.findData(plan_id)))
        for label, _suffix, _single in self.FORMATS:
            f.formatCombo.addItem(label)
        ok = f.buttonBox.button(f.buttonBox.StandardButton.Ok)
        ok.setText("&Export…")
        ok.setEnabled(f.planCombo.count() > 0)
        f.buttonBox.accepted.connect(self.export)
        f.buttonBox.rejected.connect(self.reject)

    def export(self, path: Path | None = None) -> bool:
        from dvcoord.importers.plan_export import export_plan

        f = self.form
        plan_id = f.planCombo.currentData()
        if not plan_id:
            return False
        _label, suffix, single = self.FORMATS[f.formatCombo.currentIndex()]
        if path is None:
            stem = re.sub(r"[^\w\- ]+", "", f.planCombo.currentText()).strip() or "plan"
            path = choose_save_file(
                self,
                EXPORT_TITLE,
                suggested=f"{stem[:80]}{suffix}",
                file_filter="Excel workbooks (*.xlsx)" if suffix == ".xlsx" else "CSV (*.csv)",
                suffix=suffix,
                purpose="plan-export",
                settings=self.ctx.settings,
            )
            if path is None:
                return False
        if path.suffix.lower() != suffix:
            path = path.with_suffix(suffix)
        db = self.ctx.db
        try:
            summary = run_in_worker(
                self,
                "Exporting the plan",
                lambda _p, _c: export_plan(db, plan_id, path, single_sheet=single),
                cancellable=False,
            )
        except WorkAborted:
            return False
        self.written = path
        self.ctx.show_message(f"Exported {summary.actions} action(s) to {path.name}.")
        extra = "\n".join(summary.notices)
        inform(
            self,
            f"Exported '{summary.plan_title}' to {path}.",
            title=EXPORT_TITLE,
            informative=extra,
        )
        self.accept()
        return True


def open_import_wizard(ctx: AppContext, parent: QWidget | None = None) -> PlanImportWizard:
    wizard = PlanImportWizard(ctx, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.open()
    return wizard


def open_export_dialog(ctx: AppContext, parent: QWidget | None = None) -> PlanExportDialog | None:
    dialog = PlanExportDialog(ctx, parent)
    if dialog.form.planCombo.count() == 0:
        show_error(
            parent,
            DvcoordError("This database holds no action plans to export yet."),
            title=EXPORT_TITLE,
        )
        dialog.deleteLater()
        return None
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
