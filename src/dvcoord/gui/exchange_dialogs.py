"""File > Share a copy… and File > Merge a received file… (see :mod:`dvcoord.exchange`).

* :class:`ShareDialog` – where to write the copy, whether to encrypt it, the passphrase
  twice with a strength hint, and the advice to send the passphrase another way.  The
  full addresses of Sanctuary Scheme cases are left out unless the officer ticks
  "Include the full addresses" (off by default, with a warning); the dialog says how
  many the database holds and the status bar how many were left out.
* :func:`merge_received_file` – choose a file, ask its passphrase if it is encrypted,
  check it and work out the merge off the UI thread (progress and Cancel), show the
  :class:`MergePreviewDialog` (counts per kind of record, each conflict with both
  versions side by side and a choice, the problems summarised by kind with examples, and
  what merging would do above the buttons), merge, and show the :class:`MergeReportDialog`.
  A file started separately from this database (see :mod:`dvcoord.exchange.matching`)
  is said so at the top of the preview, and merged only after a confirmation.

The dialogs only gather choices and show results; every rule lives in
:mod:`dvcoord.exchange`.  Passphrases live in the password boxes and local variables
only, and the boxes are cleared once used.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QListWidgetItem,
    QTableWidgetItem,
    QTreeWidgetItem,
    QWidget,
)

from dvcoord.errors import DvcoordError
from dvcoord.exchange import bundle, wording
from dvcoord.exchange.merge import MINE, THEIRS, Conflict, MergePreview, MergeReport
from dvcoord.gui.context import AppContext
from dvcoord.gui.formatting import format_date, format_datetime, format_pence
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import choose_open_file, choose_save_file, confirm, show_error
from dvcoord.gui.workers import WorkAborted, run_in_worker

log = logging.getLogger(__name__)

SHARE_TITLE = "Share a copy"
MERGE_TITLE = "Merge a received file"
RECEIVED_FILTER = "dvcoord files (*.dvcx *.sqlite *.db);;All files (*)"
BOOKKEEPING = ("id", "created_at", "updated_at", "updated_by", "origin")


# =========================================================================== values
def field_label(name: str) -> str:
    """A column as a heading: ``asset_tag`` -> "Asset tag", ``rag`` -> "RAG"."""
    return wording.sentence_case(wording.field_label(name))


def show_value(name: str, value: Any) -> str:
    """A stored (JSON-able) value as the user reads it: dd/mm/yyyy dates, pounds, Yes/No."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name.endswith("_pence") and isinstance(value, int):
        return format_pence(value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if len(value) == 10:
                return format_date(date.fromisoformat(value))
            return format_datetime(datetime.fromisoformat(value))
        except ValueError:
            pass
    text = str(value)
    return text if len(text) <= 2000 else text[:2000] + "…"


def display_fields(values: dict[str, Any], differing: set[str]) -> list[str]:
    """Fields to show for a row: those that differ first, then the rest, leaving out
    bookkeeping and links to other records (ids mean nothing to people) unless they
    differ."""
    first = [k for k in values if k in differing]
    rest = [
        k for k in values if k not in differing and k not in BOOKKEEPING and not k.endswith("_id")
    ]
    return first + rest


def table_title(name: str, plural: bool = False) -> str:
    """A table as a heading: ``bvpi225_assessment`` -> "BVPI 225 assessment"."""
    return wording.sentence_case(wording.table_label(name, plural=plural))


# =========================================================================== share
class ShareDialog(QDialog):
    """Write a copy of the open database to send to someone, optionally encrypted."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.written: Path | None = None
        self.setObjectName("shareDialog")
        self.form = f = load_ui("share_copy", self)
        self.setWindowTitle(SHARE_TITLE)
        self.setMinimumWidth(540)
        f.errorLabel.setProperty("role", "error")
        f.errorLabel.setVisible(False)
        f.strengthLabel.setProperty("role", "help")
        ok = f.buttonBox.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Write the copy")
        f.browseButton.clicked.connect(self.choose_file)
        f.encryptCheck.toggled.connect(self._encrypt_toggled)
        f.addressesCheck.toggled.connect(self._addresses_toggled)
        f.passphraseEdit.textChanged.connect(self._update_strength)
        f.againEdit.textChanged.connect(self._update_strength)
        f.buttonBox.accepted.connect(self.share)
        f.buttonBox.rejected.connect(self.reject)
        self._encrypt_toggled(f.encryptCheck.isChecked())
        self._update_strength()
        self.result: Any = None  # the SharedCopy written
        self.addresses = _addresses_in(ctx.db.path)
        f.addressesCheck.setChecked(False)
        f.addressesCheck.setVisible(self.addresses > 0)
        f.addressesLabel.setVisible(self.addresses > 0)
        self._addresses_toggled(False)

    # ------------------------------------------------------------------ state
    def _addresses_toggled(self, on: bool) -> None:
        from dvcoord.exchange.share import ADDRESS_WARNING

        f = self.form
        n = self.addresses
        held = f"{n} full address{'es' if n != 1 else ''}"
        if on:
            text = f"Warning: {ADDRESS_WARNING}"
            if not f.encryptCheck.isChecked():
                text += " This copy is not encrypted."
        else:
            text = (
                f"This database holds {held} of Sanctuary Scheme cases. They are left out "
                "of the copy (postcode districts are kept), and the receiver keeps their own "
                "addresses when they merge it."
            )
        f.addressesLabel.setText(text)
        f.addressesLabel.setProperty("role", "error" if on else "help")
        f.addressesLabel.style().unpolish(f.addressesLabel)
        f.addressesLabel.style().polish(f.addressesLabel)

    def _suffix(self) -> str:
        return bundle.SUFFIX if self.form.encryptCheck.isChecked() else ".sqlite"

    def _encrypt_toggled(self, on: bool) -> None:
        f = self.form
        for w in (
            f.passphraseEdit,
            f.againEdit,
            f.passphraseLabel,
            f.againLabel,
            f.strengthLabel,
            f.adviceLabel,
        ):
            w.setEnabled(on)
        text = f.outputEdit.text().strip()
        if text:
            path = Path(text)
            if on and path.suffix.lower() != bundle.SUFFIX:
                f.outputEdit.setText(str(path.with_suffix(bundle.SUFFIX)))
            elif not on and path.suffix.lower() == bundle.SUFFIX:
                f.outputEdit.setText(str(path.with_suffix(".sqlite")))
        self._update_strength()
        if f.addressesCheck.isChecked():
            self._addresses_toggled(True)

    def _update_strength(self) -> None:
        f = self.form
        if not f.encryptCheck.isChecked():
            f.strengthLabel.setText(
                "The copy will not be encrypted: anyone who gets the file can read it."
            )
            return
        score, hint = bundle.passphrase_strength(f.passphraseEdit.text())
        text = f"Strength: {hint}" if score else hint
        again = f.againEdit.text()
        if again and again != f.passphraseEdit.text():
            text += " The two passphrases differ."
        f.strengthLabel.setText(text)

    def set_error(self, message: str) -> None:
        self.form.errorLabel.setText(message)
        self.form.errorLabel.setVisible(bool(message))

    def choose_file(self) -> Path | None:
        db = self.ctx.db
        suffix = self._suffix()
        path = choose_save_file(
            self,
            SHARE_TITLE,
            suggested=f"{db.path.stem} (copy){suffix}",
            file_filter=(
                "Encrypted dvcoord copies (*.dvcx)"
                if suffix == bundle.SUFFIX
                else "dvcoord databases (*.sqlite)"
            ),
            suffix=suffix,
            purpose="exchange",
            settings=self.ctx.settings,
        )
        if path is not None:
            self.form.outputEdit.setText(str(path))
        return path

    # ------------------------------------------------------------------ writing
    def share(self) -> bool:
        f = self.form
        text = f.outputEdit.text().strip()
        if not text:
            self.set_error("Choose where to write the copy.")
            f.outputEdit.setFocus()
            return False
        out = Path(text)
        encrypt = f.encryptCheck.isChecked()
        passphrase = None
        if encrypt:
            passphrase = f.passphraseEdit.text()
            if passphrase != f.againEdit.text():
                self.set_error("The two passphrases differ; type the same passphrase twice.")
                f.againEdit.setFocus()
                return False
            try:
                bundle.check_passphrase(passphrase, for_encryption=True)
            except DvcoordError as exc:
                self.set_error(str(exc))
                f.passphraseEdit.setFocus()
                return False
        self.set_error("")
        source = self.ctx.db.path
        include = f.addressesCheck.isChecked()
        try:
            result = run_in_worker(
                self,
                "Writing the copy",
                lambda _p, _c: _share(source, out, encrypt, passphrase, include),
                cancellable=False,
            )
        except WorkAborted:
            return False
        finally:
            passphrase = None
        f.passphraseEdit.clear()
        f.againEdit.clear()
        self.written = out
        self.result = result
        self.ctx.show_message(" ".join([f"Copy written to {out.name}.", *result.address_lines()]))
        log.info(
            "shared a copy (%s, %d address(es) left out, %d included)",
            "encrypted" if encrypt else "plain",
            result.addresses_withheld,
            result.addresses_included,
        )
        self.accept()
        return True


def _share(
    source: Path, out: Path, encrypt: bool, passphrase: str | None, include_addresses: bool
) -> Any:
    from dvcoord.exchange.share import make_shared_copy

    return make_shared_copy(
        source, out, encrypt=encrypt, passphrase=passphrase, include_addresses=include_addresses
    )


def _addresses_in(path: Path) -> int:
    """Full addresses of Sanctuary Scheme cases the open database holds."""
    from dvcoord.exchange.withheld import addresses_in

    try:
        return addresses_in(path)
    except Exception:  # noqa: BLE001 - a count for a label; the copy itself reports problems
        log.exception("could not count the addresses before sharing")
        return 0


def open_share_dialog(ctx: AppContext, parent: QWidget | None = None) -> ShareDialog:
    dialog = ShareDialog(ctx, parent)
    dialog.open()
    return dialog


# =========================================================================== merge preview
class MergePreviewDialog(QDialog):
    """What merging the received file would do; the user settles each conflict."""

    def __init__(self, preview: MergePreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = preview
        self._choices: dict[tuple[str, str], str] = {c.key: c.rule for c in preview.conflicts}
        self.setObjectName("mergePreviewDialog")
        self.form = f = load_ui("merge_preview", self)
        self.setWindowTitle(MERGE_TITLE)
        self.resize(920, 640)
        ok = f.buttonBox.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("&Merge")
        ok.setEnabled(preview.has_changes)
        f.buttonBox.accepted.connect(self.accept)
        f.buttonBox.rejected.connect(self.reject)

        source = f"From '{preview.peer_name}' – the file {preview.file_name}" + (
            " (encrypted)" if preview.encrypted else ""
        )
        f.sourceLabel.setText(source)
        f.warningLabel.setText(preview.unrelated_message)
        f.warningLabel.setVisible(preview.unrelated)
        if preview.unrelated:
            bold = QFont(f.warningLabel.font())
            bold.setBold(True)
            f.warningLabel.setFont(bold)
            ok.setText("&Merge…")
        notes = []
        if preview.upgraded:
            notes.append(
                f"It was made by an older dvcoord (schema {preview.peer_revision}); "
                "its copy was brought up to date for the merge."
            )
        notes.extend(preview.source_lines())  # own file / a copy made when / first merge
        if not preview.has_changes:
            notes.append("Nothing to merge: this database already has everything in the file.")
        # one paragraph of notes, then what was matched by name and same-title plans
        notes = ([" ".join(notes)] if notes else []) + preview.match_lines()
        if preview.plan_warning:
            notes.append(preview.plan_warning)
        f.notesLabel.setText("\n".join(notes))
        f.notesLabel.setVisible(bool(notes))

        self._fill_counts()
        self._fill_conflicts()
        self._fill_problems()
        f.tabs.setTabText(1, f"&Conflicts ({len(preview.conflicts)})")
        f.tabs.setTabText(2, f"&Problems ({wording.number(len(preview.problems))})")
        f.tabs.setTabEnabled(1, bool(preview.conflicts))
        f.tabs.setTabEnabled(2, bool(preview.problems))
        f.outcomeLabel.setText(self.outcome_text())
        f.outcomeLabel.setVisible(preview.has_changes)
        bold = QFont(f.outcomeLabel.font())
        bold.setBold(True)
        f.outcomeLabel.setFont(bold)

    def outcome_text(self) -> str:
        """What merging would do, on the line above the buttons."""
        p = self.preview
        text = wording.totals_sentence(p.totals, see="see the Problems tab", choosing=True)
        if p.unrelated:
            text += (
                " The file was started separately from your database (see the warning at "
                "the top): its records are added beside yours."
            )
        return text

    # ------------------------------------------------------------------ counts
    def _fill_counts(self) -> None:
        table = self.form.countsTable
        headers = [
            "Records",
            "New",
            "Changed",
            "Marked deleted",
            "Conflicts",
            "Yours kept",
            "Left out",
        ]
        rows = wording.count_rows(self.preview.counts.values())
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setRowCount(len(rows))
        for r, c in enumerate(rows):
            values = [
                table_title(c.table, plural=True),
                c.new,
                c.changed,
                c.deleted,
                c.conflicts,
                c.kept,
                c.left_out,
            ]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value if isinstance(value, str) else wording.number(value))
                if col:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(r, col, item)
        table.verticalHeader().setVisible(False)
        # every number column as wide as its header (and its widest number), the names
        # take the rest
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(headers)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(48)

    def count_rows(self) -> list[list[str]]:
        table = self.form.countsTable
        return [
            [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())
        ]

    # ------------------------------------------------------------------ conflicts
    def _fill_conflicts(self) -> None:
        f = self.form
        for c in self.preview.conflicts:
            item = QListWidgetItem(self._conflict_text(c))
            item.setData(Qt.ItemDataRole.UserRole, c.key)
            f.conflictList.addItem(item)
        f.conflictList.currentRowChanged.connect(self._show_conflict)
        f.keepMineRadio.toggled.connect(lambda on: on and self._choose(MINE))
        f.takeTheirsRadio.toggled.connect(lambda on: on and self._choose(THEIRS))
        f.allMineButton.clicked.connect(lambda: self.choose_all(MINE))
        f.allTheirsButton.clicked.connect(lambda: self.choose_all(THEIRS))
        if self.preview.conflicts:
            f.conflictList.setCurrentRow(0)
        else:
            for w in (f.keepMineRadio, f.takeTheirsRadio, f.allMineButton, f.allTheirsButton):
                w.setEnabled(False)

    def _conflict_text(self, c: Conflict) -> str:
        choice = self._choices.get(c.key, c.rule)
        side = "keep mine" if choice == MINE else "take theirs"
        fields = ", ".join(field_label(d.field) for d in c.diffs)
        return f"{wording.row_name(c.table, c.label, c.row_id)}: {fields} – {side}"

    def current_conflict(self) -> Conflict | None:
        row = self.form.conflictList.currentRow()
        if 0 <= row < len(self.preview.conflicts):
            return self.preview.conflicts[row]
        return None

    def _show_conflict(self, row: int) -> None:
        f = self.form
        table = f.versionsTable
        c = self.current_conflict()
        if c is None:
            table.setRowCount(0)
            return
        headers = ["Field", "This database", "Received"]
        differing = {d.field for d in c.diffs}
        fields = display_fields(c.mine, differing) + ["updated_by", "updated_at"]
        table.setColumnCount(3)
        table.setHorizontalHeaderLabels(headers)
        table.setRowCount(len(fields))
        bold = QFont()
        bold.setBold(True)
        for r, name in enumerate(fields):
            changed = name in differing
            label = field_label(name) + (" (differs)" if changed else "")
            cells = [
                label,
                show_value(name, c.mine.get(name)),
                show_value(name, c.theirs.get(name)),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if changed:
                    item.setFont(bold)
                table.setItem(r, col, item)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.resizeRowsToContents()
        later = "received version" if c.rule == THEIRS else "version here"
        f.keepMineRadio.setText("&Keep mine" + (" (the later change)" if c.rule == MINE else ""))
        f.takeTheirsRadio.setText(
            "&Take theirs" + (" (the later change)" if c.rule == THEIRS else "")
        )
        f.versionsTable.setAccessibleDescription(f"The {later} is the later change")
        choice = self._choices[c.key]
        radio = f.keepMineRadio if choice == MINE else f.takeTheirsRadio
        radio.blockSignals(True)
        radio.setChecked(True)
        radio.blockSignals(False)
        other = f.takeTheirsRadio if choice == MINE else f.keepMineRadio
        other.blockSignals(True)
        other.setChecked(False)
        other.blockSignals(False)

    def _choose(self, side: str) -> None:
        c = self.current_conflict()
        if c is None:
            return
        self.set_choice(c.key, side)

    def set_choice(self, key: tuple[str, str], side: str) -> None:
        if key not in self._choices or side not in (MINE, THEIRS):
            raise KeyError(key)
        self._choices[key] = side
        for row in range(self.form.conflictList.count()):
            item = self.form.conflictList.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                item.setText(self._conflict_text(self.preview.conflicts[row]))

    def choose_all(self, side: str) -> None:
        for key in self._choices:
            self.set_choice(key, side)
        self._show_conflict(self.form.conflictList.currentRow())

    def choices(self) -> dict[tuple[str, str], str]:
        return dict(self._choices)

    # ------------------------------------------------------------------ problems
    def _fill_problems(self) -> None:
        """One row per kind of problem (its sentence and how many records), with up to
        three examples and "… and N more" under it."""
        f = self.form
        problems = self.preview.problems
        self.problem_kinds = kinds = wording.summarise_problems(problems)
        tree = f.problemTree
        tree.clear()
        tree.setColumnCount(2)
        tree.setHeaderLabels(["Problem", "Records"])
        for kind in kinds:
            top = QTreeWidgetItem([kind.sentence, wording.number(kind.count)])
            top.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            top.setToolTip(0, kind.sentence)
            for example in kind.examples:
                top.addChild(QTreeWidgetItem([example, ""]))
            if kind.more:
                top.addChild(QTreeWidgetItem([f"… and {wording.number(kind.more)} more", ""]))
            tree.addTopLevelItem(top)
            top.setExpanded(True)
        header = tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        if problems:
            f.problemsIntro.setText(wording.problems_heading(problems, kinds))
        f.problemsIntro.setVisible(bool(problems))

    def problem_rows(self) -> list[tuple[str, str, list[str]]]:
        """(sentence, count, lines under it) of each row of the Problems tab."""
        tree = self.form.problemTree
        out = []
        for i in range(tree.topLevelItemCount()):
            top = tree.topLevelItem(i)
            below = [top.child(j).text(0) for j in range(top.childCount())]
            out.append((top.text(0), top.text(1), below))
        return out


class MergeReportDialog(QDialog):
    """What the merge did."""

    def __init__(self, report: MergeReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setObjectName("mergeReportDialog")
        self.form = f = load_ui("merge_report", self)
        self.setWindowTitle("Merge finished")
        self.resize(660, 420)
        lines = wording.report_lines(report)
        f.summaryLabel.setText(lines[0])
        f.detailsText.setPlainText("\n".join(lines[1:]) or "Nothing else to report.")
        f.buttonBox.accepted.connect(self.accept)


# =========================================================================== merge flow
def confirm_unrelated(parent: QWidget | None, preview: MergePreview) -> bool:
    """Ask before merging a file that was started separately; True: merge it."""
    return confirm(
        parent,
        preview.unrelated_message,
        title=MERGE_TITLE,
        yes="Merge anyway",
        no="Cancel",
        informative=(
            "Agencies and other lists with the same names are matched to yours; everything "
            "else, plans included, is added beside your records. A backup is taken first."
        ),
        danger=True,
    )


def ask_passphrase(parent: QWidget | None, file_name: str) -> str | None:
    """The passphrase of an encrypted file, typed by the user (None: cancelled)."""
    text, ok = QInputDialog.getText(
        parent,
        MERGE_TITLE,
        f"'{file_name}' is encrypted. Type the passphrase you were given (by phone or "
        "text, not in the e-mail):",
        QLineEdit.EchoMode.Password,
    )
    return text if ok else None


def _plan(db, path: Path, passphrase: str | None):  # noqa: ANN001
    from dvcoord.exchange.merge import plan_merge

    def job(progress, _cancel):  # noqa: ANN001
        return plan_merge(db, path, passphrase, progress=progress)

    return job


def merge_received_file(
    ctx: AppContext, parent: QWidget | None = None, path: Path | None = None
) -> MergeReport | None:
    """The whole File > Merge a received file… flow; the report, or None if it stopped."""
    from dvcoord.exchange.merge import apply_merge

    db = ctx.db
    if db.readonly:
        show_error(
            parent,
            DvcoordError("This database is open read-only, so nothing can be merged into it."),
            title=MERGE_TITLE,
        )
        return None
    if path is None:
        path = choose_open_file(
            parent,
            MERGE_TITLE,
            file_filter=RECEIVED_FILTER,
            purpose="exchange",
            settings=ctx.settings,
        )
        if path is None:
            return None
    passphrase = None
    if bundle.is_bundle(path):
        passphrase = ask_passphrase(parent, path.name)
        if passphrase is None:
            return None
    try:
        preview = run_in_worker(parent, "Checking the received file", _plan(db, path, passphrase))
    except WorkAborted:
        return None
    finally:
        passphrase = None
    try:
        dialog = MergePreviewDialog(preview, parent)
        if preview.has_changes:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            choices = dialog.choices()
        else:
            choices = {}
        if preview.unrelated and not confirm_unrelated(parent, preview):
            return None
        try:
            report = run_in_worker(
                parent,
                "Merging",
                lambda progress, _c: apply_merge(db, preview, choices, progress=progress),
            )
        except WorkAborted:
            return None
    finally:
        preview.close()
    ctx.notify_changed("", None)
    t = report.totals
    ctx.show_message(
        f"Merged {report.file_name}: {t.new} new, {t.changed} changed, "
        f"{t.deleted} marked deleted, {t.conflicts} conflict(s)."
    )
    MergeReportDialog(report, parent).exec()
    return report
