"""The shell's own dialogs: Settings, Backups and About."""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

import dvcoord
from dvcoord import paths
from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.gui.context import AppContext
from dvcoord.gui.icons import app_icon
from dvcoord.gui.officer import prepare_settings_name
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import DataTable, format_size, open_folder, show_error
from dvcoord.gui.workers import WorkAborted, run_in_worker
from dvcoord.services import settings as settings_service
from dvcoord.store import backups

if TYPE_CHECKING:
    from dvcoord.gui.main_window import MainWindow

log = logging.getLogger(__name__)


def _set_error(label: QLabel, field: QWidget, message: str) -> None:
    label.setText(message)
    label.setVisible(bool(message))
    field.setProperty("invalid", bool(message))
    field.setAccessibleDescription(message or field.property("_help") or "")
    field.style().unpolish(field)
    field.style().polish(field)


# --------------------------------------------------------------------------- settings
class SettingsDialog(QDialog):
    """Partnership name, default marking and database name (kept in the database's
    meta table) and the officer's name (kept in the INI settings)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("settingsDialog")
        self.form = f = load_ui("settings", self)
        self.setMinimumWidth(520)
        for code, label in settings_service.MARKING_LABELS.items():
            f.markingCombo.addItem(label, code)
        self._errors = {
            "display_name": (f.displayNameError, f.displayNameEdit),
            "partnership": (f.partnershipError, f.partnershipEdit),
            "marking": (f.markingError, f.markingCombo),
            "officer": (f.officerError, f.officerEdit),
        }
        for label, field in self._errors.values():
            label.setProperty("role", "error")
            field.setProperty("_help", field.accessibleDescription())
            _set_error(label, field, "")
        for name in ("markingHelp", "officerHelp"):
            getattr(f, name).setProperty("role", "help")
        db = ctx.db
        current = settings_service.read_settings(db)
        f.displayNameEdit.setText(current.display_name)
        f.partnershipEdit.setText(current.partnership)
        pos = f.markingCombo.findData(current.marking)
        f.markingCombo.setCurrentIndex(pos if pos >= 0 else 0)
        prepare_settings_name(f.officerEdit, f.officerHelp, ctx.settings)
        f.pathLabel.setText(str(db.path))
        if db.readonly:
            for w in (f.displayNameEdit, f.partnershipEdit, f.markingCombo):
                w.setEnabled(False)
            f.pathLabel.setText(f"{db.path} (open read-only: only your name can be changed)")
        f.buttonBox.accepted.connect(self.save)
        f.buttonBox.rejected.connect(self.reject)
        f.displayNameEdit.setFocus()

    def values(self) -> tuple[settings_service.DatabaseSettings, str]:
        f = self.form
        return (
            settings_service.DatabaseSettings(
                display_name=f.displayNameEdit.text(),
                partnership=f.partnershipEdit.text(),
                marking=f.markingCombo.currentData() or "",
            ),
            f.officerEdit.text(),
        )

    def error_text(self, field: str) -> str:
        return self._errors[field][0].text()

    def _show(self, problems: list[ValidationError]) -> None:
        for name, (label, field) in self._errors.items():
            message = next((str(p) for p in problems if p.field == name), "")
            _set_error(label, field, message)
        first = next((self._errors[p.field][1] for p in problems if p.field in self._errors), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def save(self) -> bool:
        """Check every field, save, close; on a problem show it beside its field."""
        db_settings, officer = self.values()
        problems = [] if self.ctx.db.readonly else settings_service.check_settings(db_settings)
        try:
            officer = settings_service.clean_officer_name(officer)
        except ValidationError as exc:
            problems.append(exc)
        self._show(problems)
        if problems:
            return False
        if not self.ctx.db.readonly:
            try:
                settings_service.save_settings(self.ctx.db, db_settings)
            except ValidationError as exc:
                self._show([exc])
                return False
            except DvcoordError as exc:
                show_error(self, exc, title="Settings")
                return False
        self.ctx.settings.set_officer_name(officer)
        self.ctx.settings.sync()
        self.ctx.db.user = officer
        log.info("settings saved")
        self.ctx.notify_changed("settings", self)
        self.accept()
        return True


# --------------------------------------------------------------------------- backups
REASONS = {
    "manual": "Taken by hand",
    "on-open": "When the file was opened",
    "before-upgrade": "Before an upgrade",
    "before-restore": "Before a restore",
    "before-merge": "Before a merge",
    "before-import": "Before an import",
    "scheduled": "Scheduled",
}


def reason_label(reason: str) -> str:
    return REASONS.get(reason, reason.replace("-", " ").capitalize())


class BackupsDialog(QDialog):
    """The backups of the open database: take one now, or restore one."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.setObjectName("backupsDialog")
        self.form = f = load_ui("backups", self)
        self.resize(680, 440)
        self.model = RowTableModel(
            [
                Column("Taken at", lambda b: b.taken_at, width=18),
                Column("Reason", lambda b: reason_label(b.reason), width=26),
                Column(
                    "Size",
                    lambda b: b.size,
                    text=lambda b: format_size(b.size),
                    width=10,
                    align=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                ),
            ],
            row_key=lambda b: str(b.path),
        )
        self.table = DataTable(
            self.model,
            f.tableHost,
            accessible_name="Backups of this database",
            sort_column=0,
            sort_order=Qt.SortOrder.DescendingOrder,
        )
        host = QVBoxLayout(f.tableHost)
        host.setContentsMargins(0, 0, 0, 0)
        host.addWidget(self.table)
        f.tableHost.setFocusProxy(self.table)
        f.introLabel.setText(
            "dvcoord backs the database up when it is opened (if it has changed), before "
            "an upgrade, a merge, an import or a restore, and whenever you choose. It keeps "
            "the ten newest and one a day for thirty days, in "
            f"{backups.folder_for(window.context.db.path)}."
        )
        f.backupNowButton.clicked.connect(self.back_up_now)
        f.restoreButton.clicked.connect(self.restore_selected)
        f.openFolderButton.clicked.connect(
            lambda: open_folder(backups.folder_for(self.window_.context.db.path))
        )
        f.buttonBox.rejected.connect(self.reject)
        f.buttonBox.accepted.connect(self.accept)
        self.table.rows_selected.connect(lambda rows: f.restoreButton.setEnabled(bool(rows)))
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(backups.list_backups(self.window_.context.db.path))
        self.form.restoreButton.setEnabled(bool(self.table.selected_rows()))

    def back_up_now(self) -> bool:
        path = self.window_.context.db.path
        try:
            dest = run_in_worker(
                self,
                "Backing up",
                lambda _p, _c: backups.take_backup(path, reason="manual"),
                cancellable=False,
            )
        except WorkAborted:
            return False
        self.reload()
        self.table.select_key(str(dest))
        self.window_.context.show_message("Backup taken.")
        return True

    def restore_selected(self) -> bool:
        chosen = self.table.current_row()
        if chosen is None:
            return False
        done = self.window_.restore_backup(chosen.path, chosen.taken_at, parent=self)
        self.reload()
        return done


# --------------------------------------------------------------------------- about
def about_html(ctx: AppContext) -> str:
    def row(label: str, value: object) -> str:
        return (
            f"<tr><td style='padding-right:12px'><b>{html.escape(label)}</b></td>"
            f"<td>{html.escape(str(value))}</td></tr>"
        )

    return (
        f"<h3>dvcoord {html.escape(dvcoord.__version__)}</h3>"
        "<p>Offline co-ordination of a district's domestic-abuse partnership: action "
        "plans, milestones, training, panic alarms, the Sanctuary Scheme and reports.</p>"
        "<table>"
        + row("Database", ctx.db.path)
        + row("Data folder", paths.data_dir())
        + row("Log folder", paths.log_dir())
        + row("Backup folder", paths.backup_dir())
        + row("Settings file", ctx.settings.path)
        + "</table>"
        "<p>dvcoord is free software under the MIT licence. It includes the DejaVu fonts "
        "(Bitstream Vera licence) and uses Qt for Python (LGPL), SQLAlchemy, Alembic and "
        "ReportLab.</p>"
    )


def show_about(ctx: AppContext, parent: QWidget | None) -> None:
    box = QMessageBox(parent)
    box.setWindowTitle("About dvcoord")
    box.setIconPixmap(app_icon().pixmap(64, 64))
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_html(ctx))
    box.setAccessibleName("About dvcoord")
    box.addButton(QMessageBox.StandardButton.Ok)
    box.exec()
