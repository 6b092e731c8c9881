"""Dialogs of the plan views.

Each form dialog is given a ``submit(values)`` function by the view; pressing OK calls
it (the view pushes an undoable command), and a
:class:`~dvcoord.errors.ValidationError` is shown beside its field with the dialog left
open and what was typed kept.  Dialogs are shown through :func:`run`, the one place
tests replace to answer them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dvcoord.errors import DvcoordError
from dvcoord.gui.formatting import QT_DATE_FORMAT, to_qdate
from dvcoord.gui.plans.common import (
    FormBinder,
    TargetPreview,
    error_label,
    fill_fy_combo,
    fill_rag_combo,
    rag_icon,
    show_field_error,
    today,
)
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import DataTable, FilterBar, stretch_column
from dvcoord.services import dates
from dvcoord.services import plans as plan_service
from dvcoord.services.settings import MARKING_LABELS
from dvcoord.store.schema.plans import (
    ACTION_STATUSES,
    MILESTONE_STATUSES,
    PLAN_STATUSES,
    SECTORS,
)

log = logging.getLogger(__name__)


def run(dialog: QDialog) -> bool:
    """Show ``dialog`` modally; True if it was accepted.  (Tests replace this.)"""
    return dialog.exec() == QDialog.DialogCode.Accepted


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- base
class FormDialog(QDialog):
    """A dialog over a ``ui/<form>.ui`` form whose OK calls ``submit(values)``."""

    form_name = ""
    #: field name -> object name of its widget in the form
    fields: dict[str, str] = {}

    def __init__(
        self, parent: QWidget | None, submit: Callable[[dict[str, Any]], Any] | None
    ) -> None:
        super().__init__(parent)
        self.submit = submit
        self.result_value: Any = None
        host = QWidget(self)
        self.form = load_ui(self.form_name, host)
        self.setWindowTitle(self.form.windowTitle())
        layout = QVBoxLayout(self)
        self.general_error = error_label(self, "Problem")
        layout.addWidget(host)
        layout.addWidget(self.general_error)
        self.binder = FormBinder(self)
        self.binder.auto_commit = False
        for name, widget_name in self.fields.items():
            widget = self.form.findChild(QWidget, widget_name)
            label = self.form.findChild(QLabel, f"{name}Error")
            if label is not None:
                label.setProperty("role", "error")
                label.setVisible(False)
            self.binder.add(name, widget, label)
        self.buttons: QDialogButtonBox = self.form.findChild(QDialogButtonBox, "buttonBox")
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)

    def widget(self, name: str) -> Any:
        """A widget of the form by its object name."""
        return self.form.findChild(QWidget, name)

    def values(self) -> dict[str, Any]:
        return self.binder.values()

    def field_for(self, service_field: str | None) -> str | None:
        """The form field that shows a message about ``service_field``."""
        return service_field if service_field in self.fields else None

    def show_problem(self, exc: DvcoordError) -> None:
        self.binder.clear_errors()
        self.general_error.setVisible(False)
        field = self.field_for(getattr(exc, "field", None))
        if field is not None and self.binder.show_error(field, str(exc)):
            self.binder.focus(field)
        else:
            self.general_error.setText(str(exc))
            self.general_error.setVisible(True)

    def try_accept(self) -> bool:
        """Submit the values; close if they were accepted, else show why at the field."""
        try:
            self.result_value = self.submit(self.values()) if self.submit else self.values()
        except DvcoordError as exc:
            self.show_problem(exc)
            return False
        self.accept()
        return True


# --------------------------------------------------------------------------- plan properties
class PlanPropertiesDialog(FormDialog):
    """Title, partnership, owner, status, version, marking, periods, description and the
    plan's RAG key (optionally with Blue = complete)."""

    form_name = "plan_properties"
    fields = {
        "title": "titleEdit",
        "partnership": "partnershipEdit",
        "owner": "ownerEdit",
        "status": "statusCombo",
        "version_label": "versionEdit",
        "marking": "markingCombo",
        "strategy_from_fy": "strategyFromCombo",
        "strategy_to_fy": "strategyToCombo",
        "plan_from_fy": "planFromCombo",
        "plan_to_fy": "planToCombo",
        "description": "descriptionEdit",
    }

    def __init__(
        self,
        parent: QWidget | None,
        submit: Callable[[dict[str, Any]], Any] | None,
        *,
        values: dict[str, Any],
        rag_key: Sequence[plan_service.RagKeyEntry],
        own_key: bool,
        new: bool = False,
    ) -> None:
        super().__init__(parent, submit)
        self.setObjectName("planPropertiesDialog")
        self.setWindowTitle("New plan" if new else "Plan properties")
        self.resize(660, 640)
        f = self.widget
        for status in PLAN_STATUSES:
            f("statusCombo").addItem(capitalised(status), status)
        for code in plan_service.MARKINGS:
            f("markingCombo").addItem(MARKING_LABELS.get(code, code), code)
        this_year = dates.financial_year_of(today())
        years = [v for k, v in values.items() if k.endswith("_fy") and v]
        first = min([this_year - 20, *years])
        last = max([this_year + 10, *years])
        for name in ("strategyFromCombo", "strategyToCombo", "planFromCombo", "planToCombo"):
            fill_fy_combo(f(name), first, last)
        self.binder.load(values)
        rag_error = self.form.findChild(QLabel, "rag_keyError")
        rag_error.setProperty("role", "error")
        rag_error.setVisible(False)
        self.rag_error = rag_error
        f("ragKeyHelp").setProperty("role", "help")
        self.table: QTableWidget = f("ragTable")
        self.table.setColumnCount(4)
        self.table.setHorizontalHeaderLabels(["Letter", "Name", "Meaning", "Colour"])
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 60)
        self.table.setColumnWidth(1, 110)
        self.table.setColumnWidth(3, 90)
        self.table.setMinimumHeight(150)
        self.table.setMaximumHeight(220)
        self.own_check: QCheckBox = f("ownKeyCheck")
        self.blue_check: QCheckBox = f("blueCheck")
        self._set_key(rag_key)
        self.own_check.setChecked(own_key)
        self.blue_check.setChecked(any(e.letter == "B" for e in rag_key))
        self.own_check.toggled.connect(self._own_toggled)
        self.blue_check.toggled.connect(self._blue_toggled)
        self.table.itemChanged.connect(self._item_changed)
        self._own_toggled(own_key)
        f("titleEdit").setFocus()

    # ------------------------------------------------------------------ RAG key table
    def _set_key(self, entries: Sequence[Any]) -> None:
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(0)
            for e in entries:
                self._add_row(e.letter, e.name, e.meaning, e.colour)
        finally:
            self.table.blockSignals(False)

    def _add_row(self, letter: str, name: str, meaning: str, colour: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        first = QTableWidgetItem(rag_icon(letter, colour), letter)
        first.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        self.table.setItem(row, 0, first)
        self.table.setItem(row, 1, QTableWidgetItem(name))
        self.table.setItem(row, 2, QTableWidgetItem(meaning))
        self.table.setItem(row, 3, QTableWidgetItem(colour))

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == 3:
            colour = item.text().strip()
            letter = self.table.item(item.row(), 0).text()
            if QColor(colour).isValid():
                self.table.blockSignals(True)
                self.table.item(item.row(), 0).setIcon(rag_icon(letter, colour))
                self.table.blockSignals(False)

    def _own_toggled(self, own: bool) -> None:
        self.table.setEnabled(own)
        self.blue_check.setEnabled(own)

    def _blue_toggled(self, on: bool) -> None:
        rows = [self.table.item(r, 0).text() for r in range(self.table.rowCount())]
        if on and "B" not in rows:
            self.table.blockSignals(True)
            b = plan_service.BLUE_ENTRY
            self._add_row("B", b["name"], b["meaning"], plan_service.DEFAULT_COLOURS["B"])
            self.table.blockSignals(False)
        elif not on and "B" in rows:
            self.table.removeRow(rows.index("B"))

    def rag_key(self) -> list[dict[str, str]] | None:
        if not self.own_check.isChecked():
            return None
        out = []
        for r in range(self.table.rowCount()):
            cells = [self.table.item(r, c) for c in range(4)]
            letter, name, meaning, colour = (c.text() if c else "" for c in cells)
            out.append({"letter": letter, "name": name, "meaning": meaning, "colour": colour})
        return out

    def values(self) -> dict[str, Any]:
        values = super().values()
        values["rag_key"] = self.rag_key()
        return values

    def show_problem(self, exc: DvcoordError) -> None:
        self.rag_error.setVisible(False)
        if getattr(exc, "field", None) == "rag_key":
            self.binder.clear_errors()
            self.general_error.setVisible(False)
            show_field_error(self.rag_error, self.table, str(exc))
            self.widget("tabs").setCurrentIndex(1)
            return
        super().show_problem(exc)
        field = self.field_for(getattr(exc, "field", None))
        if field is not None:
            self.widget("tabs").setCurrentIndex(0)


# --------------------------------------------------------------------------- change history
@dataclass(frozen=True)
class ChangeLine:
    id: str
    version: str
    changed_on: date
    editor: str
    summary: str


class ChangeHistoryDialog(QDialog):
    """The plan's change history (version, date, editor, summary) and a row to add one."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        load: Callable[[], list[ChangeLine]],
        add: Callable[[dict[str, Any]], Any],
        editor_name: str,
        version: str,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("changeHistoryDialog")
        self.setWindowTitle("Change history")
        self.resize(760, 480)
        self._load, self._add = load, add
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Each row records a version of the plan: when it changed, who changed it and "
            "what changed. Add a row when the plan is revised or approved.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.model = RowTableModel(
            [
                Column("Version", lambda c: c.version, width=8),
                Column("Date", lambda c: c.changed_on, width=11),
                Column("Editor", lambda c: c.editor, width=18),
                Column("Summary of change", lambda c: c.summary, width=50),
            ],
            row_key=lambda c: c.id,
        )
        self.table = DataTable(self.model, self, accessible_name="Change history", sort_column=1)
        stretch_column(self.table, 3)
        layout.addWidget(self.table, 1)

        box = QWidget(self)
        form = QFormLayout(box)
        self.binder = FormBinder(self)
        self.binder.auto_commit = False
        self.version_edit = QLineEdit(version, box)
        self.version_edit.setAccessibleName("Version")
        self.date_edit = QDateEdit(box)
        self.date_edit.setAccessibleName("Date of the change")
        self.editor_edit = QLineEdit(editor_name, box)
        self.editor_edit.setAccessibleName("Editor")
        self.summary_edit = QLineEdit(box)
        self.summary_edit.setAccessibleName("Summary of change")
        self.summary_edit.setPlaceholderText("for example Approved by the CSP board")
        for name, label, widget in (
            ("version", "&Version:", self.version_edit),
            ("changed_on", "&Date:", self.date_edit),
            ("editor", "&Editor:", self.editor_edit),
            ("summary", "&Summary:", self.summary_edit),
        ):
            err = error_label(box, f"Problem with the {label.strip('&:').lower()}")
            self.binder.add(name, widget, err)
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(widget)
            column.addWidget(err)
            caption = QLabel(label, box)
            caption.setBuddy(widget)
            form.addRow(caption, column)
        self.binder.set_value("changed_on", today())
        layout.addWidget(box)
        self.general_error = error_label(self, "Problem")
        layout.addWidget(self.general_error)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add to history", self)
        self.add_button.setAccessibleName("Add this row to the change history")
        self.add_button.clicked.connect(self.add_row)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(self._load())

    def add_row(self) -> bool:
        self.binder.clear_errors()
        self.general_error.setVisible(False)
        try:
            self._add(self.binder.values())
        except DvcoordError as exc:
            field = getattr(exc, "field", None)
            if not (field and self.binder.show_error(field, str(exc))):
                self.general_error.setText(str(exc))
                self.general_error.setVisible(True)
            return False
        self.summary_edit.clear()
        self.reload()
        return True


# --------------------------------------------------------------------------- copy forward
class CopyForwardDialog(FormDialog):
    form_name = "copy_forward"
    fields = {
        "title": "titleEdit",
        "plan_from_fy": "planFromCombo",
        "plan_to_fy": "planToCombo",
        "archive_previous": "archiveCheck",
    }

    def __init__(
        self,
        parent: QWidget | None,
        submit: Callable[[dict[str, Any]], Any] | None,
        *,
        plan_title: str,
        plan_from_fy: int | None,
        plan_to_fy: int | None,
        open_actions: int,
        closed_actions: int,
    ) -> None:
        super().__init__(parent, submit)
        self.setObjectName("copyForwardDialog")
        self.resize(580, 320)
        this_year = dates.financial_year_of(today())
        start = (plan_from_fy + 1) if plan_from_fy is not None else this_year
        span = (
            (plan_to_fy - plan_from_fy)
            if plan_from_fy is not None and plan_to_fy is not None
            else 0
        )
        for name in ("planFromCombo", "planToCombo"):
            fill_fy_combo(self.widget(name), min(start, this_year) - 5, max(start, this_year) + 10)
        self.binder.load(
            {
                "title": plan_service.bump_title(plan_title, 1, plan_from_fy),
                "plan_from_fy": start,
                "plan_to_fy": start + max(span, 0),
                "archive_previous": False,
            }
        )
        carried = f"{open_actions} open action{'s' if open_actions != 1 else ''}"
        self.widget("introLabel").setText(
            f"A new plan is started from '{plan_title}': the same themes and aims, and the "
            f"{carried} with their agencies, open milestones and latest progress update. "
            f"The {closed_actions} complete or dropped action"
            f"{'s stay' if closed_actions != 1 else ' stays'} in this plan only. This plan "
            "is kept as it is, and both plans get a change-history row."
        )

    def values(self) -> dict[str, Any]:
        values = super().values()
        values["archive_previous"] = bool(values.get("archive_previous"))
        return values


# --------------------------------------------------------------------------- agencies
@dataclass(frozen=True)
class AgencyChoice:
    id: str
    name: str
    short_name: str
    sector: str
    active: bool


class AgencyPickerDialog(QDialog):
    """Choose an action's lead and supporting agencies: a searchable list with a Lead
    and a Support box on each agency (an agency is one or the other)."""

    LEAD, SUPPORT = 2, 3

    def __init__(
        self,
        parent: QWidget | None,
        agencies: Sequence[AgencyChoice],
        lead_ids: Sequence[str],
        support_ids: Sequence[str],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("agencyPickerDialog")
        self.setWindowTitle("Lead and supporting agencies")
        self.resize(620, 560)
        self._initial = (list(lead_ids), list(support_ids))
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Tick Lead or Support for each agency working on this action. Type to find "
            "an agency by name, short name or sector.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.search = FilterBar(self, placeholder="Find an agency…", accessible_name="Find agency")
        layout.addWidget(self.search)
        self.only_chosen = QCheckBox("Show only the agencies chosen", self)
        layout.addWidget(self.only_chosen)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("agencyList")
        self.tree.setAccessibleName("Agencies")
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Agency", "Sector", "Lead", "Support"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.tree, 1)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Agencies chosen")
        layout.addWidget(self.summary)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.items: dict[str, QTreeWidgetItem] = {}
        chosen = set(lead_ids) | set(support_ids)
        for agency in agencies:
            if not agency.active and agency.id not in chosen:
                continue
            label = agency.name + (f" ({agency.short_name})" if agency.short_name else "")
            if not agency.active:
                label += " — inactive"
            item = QTreeWidgetItem([label, capitalised(agency.sector), "", ""])
            item.setData(0, Qt.ItemDataRole.UserRole, agency.id)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
            )
            item.setCheckState(
                self.LEAD,
                Qt.CheckState.Checked if agency.id in lead_ids else Qt.CheckState.Unchecked,
            )
            item.setCheckState(
                self.SUPPORT,
                Qt.CheckState.Checked if agency.id in support_ids else Qt.CheckState.Unchecked,
            )
            item.setData(self.LEAD, Qt.ItemDataRole.AccessibleTextRole, f"{agency.name} leads")
            item.setData(
                self.SUPPORT, Qt.ItemDataRole.AccessibleTextRole, f"{agency.name} supports"
            )
            item.setData(
                1, Qt.ItemDataRole.UserRole, f"{agency.name} {agency.short_name} {agency.sector}"
            )
            self.tree.addTopLevelItem(item)
            self.items[agency.id] = item
        self._order = {aid: n for n, aid in enumerate(self.items)}
        self.tree.itemChanged.connect(self._changed)
        self.search.changed.connect(lambda _t: self._filter())
        self.only_chosen.toggled.connect(lambda _on: self._filter())
        self._filter()
        self._update_summary()

    def set_role(self, agency_id: str, role: str | None) -> None:
        """Make an agency lead, support, or neither (``None``)."""
        item = self.items[agency_id]
        item.setCheckState(
            self.LEAD, Qt.CheckState.Checked if role == "lead" else Qt.CheckState.Unchecked
        )
        item.setCheckState(
            self.SUPPORT, Qt.CheckState.Checked if role == "support" else Qt.CheckState.Unchecked
        )

    def _changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column not in (self.LEAD, self.SUPPORT):
            return
        other = self.SUPPORT if column == self.LEAD else self.LEAD
        if (
            item.checkState(column) == Qt.CheckState.Checked
            and item.checkState(other) == Qt.CheckState.Checked
        ):
            self.tree.blockSignals(True)
            item.setCheckState(other, Qt.CheckState.Unchecked)
            self.tree.blockSignals(False)
        self._update_summary()
        if self.only_chosen.isChecked():
            self._filter()

    def _filter(self) -> None:
        words = self.search.text().casefold().split()
        only = self.only_chosen.isChecked()
        shown = 0
        for item in self.items.values():
            hay = str(item.data(1, Qt.ItemDataRole.UserRole)).casefold()
            visible = all(w in hay for w in words)
            if only:
                visible = visible and self._role(item) is not None
            item.setHidden(not visible)
            shown += visible
        self.search.count_label.setText(f"{shown} of {len(self.items)}")

    def _role(self, item: QTreeWidgetItem) -> str | None:
        if item.checkState(self.LEAD) == Qt.CheckState.Checked:
            return "lead"
        if item.checkState(self.SUPPORT) == Qt.CheckState.Checked:
            return "support"
        return None

    def chosen(self) -> tuple[list[str], list[str]]:
        """(lead ids, support ids): those chosen before keep their order, new ones follow."""
        result: dict[str, list[str]] = {"lead": [], "support": []}
        before = {aid: n for n, aid in enumerate(self._initial[0] + self._initial[1])}
        ranked = sorted(
            self.items.items(),
            key=lambda kv: (kv[0] not in before, before.get(kv[0], self._order[kv[0]])),
        )
        for agency_id, item in ranked:
            role = self._role(item)
            if role is not None:
                result[role].append(agency_id)
        return result["lead"], result["support"]

    def _update_summary(self) -> None:
        lead, support = self.chosen()

        def names(ids: list[str]) -> str:
            return "; ".join(self.items[i].text(0).split(" (")[0] for i in ids) or "none"

        self.summary.setText(f"Lead: {names(lead)}.   Supporting: {names(support)}.")


class AgencyDialog(FormDialog):
    form_name = "agency"
    fields = {
        "name": "nameEdit",
        "short_name": "shortNameEdit",
        "sector": "sectorCombo",
        "active": "activeCheck",
        "notes": "notesEdit",
    }

    def __init__(
        self,
        parent: QWidget | None,
        submit: Callable[[dict[str, Any]], Any] | None,
        *,
        values: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent, submit)
        self.setObjectName("agencyDialog")
        self.setWindowTitle("Edit agency" if values else "New agency")
        for sector in SECTORS:
            self.widget("sectorCombo").addItem(capitalised(sector), sector)
        self.binder.load(
            values or {"name": "", "short_name": "", "sector": "other", "active": True, "notes": ""}
        )
        self.widget("nameEdit").setFocus()


@dataclass(frozen=True)
class AgencyLine:
    id: str
    name: str
    short_name: str
    sector: str
    active: bool
    lead_actions: int
    support_actions: int
    plans: int


class AgenciesDialog(QDialog):
    """The agencies manager: every agency with how many actions it leads and supports;
    add, edit, delete (refused with the service's message while it still leads actions,
    unless the user deletes it anyway)."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        load: Callable[[], list[AgencyLine]],
        add: Callable[[QWidget], bool],
        edit: Callable[[QWidget, AgencyLine], bool],
        delete: Callable[[QWidget, AgencyLine], bool],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("agenciesDialog")
        self.setWindowTitle("Agencies")
        self.resize(820, 560)
        self._load = load
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Partner agencies are shared by every plan. An agency that no longer exists "
            "can be made inactive (kept on its actions, not offered for new ones) or deleted.",
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.filter = FilterBar(self, placeholder="Filter agencies…", accessible_name="Filter")
        layout.addWidget(self.filter)
        self.model = RowTableModel(
            [
                Column("Agency", lambda a: a.name, width=34),
                Column("Short name", lambda a: a.short_name, width=10),
                Column("Sector", lambda a: capitalised(a.sector), width=18),
                Column("Active", lambda a: a.active, width=6),
                Column("Leads", lambda a: a.lead_actions, width=6, searchable=False),
                Column("Supports", lambda a: a.support_actions, width=8, searchable=False),
                Column("Plans", lambda a: a.plans, width=6, searchable=False),
            ],
            row_key=lambda a: a.id,
        )
        self.table = DataTable(self.model, self, accessible_name="Agencies", sort_column=0)
        stretch_column(self.table, 0)
        self.filter.connect_proxy(self.table.proxy)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("&Add…", self)
        self.edit_button = QPushButton("&Edit…", self)
        self.delete_button = QPushButton("&Delete…", self)
        for button, name in (
            (self.add_button, "Add an agency"),
            (self.edit_button, "Edit the chosen agency"),
            (self.delete_button, "Delete the chosen agency"),
        ):
            button.setAccessibleName(name)
            buttons.addWidget(button)
        buttons.addStretch(1)
        close = QPushButton("Close", self)
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(lambda: add(self) and self.reload())
        self.edit_button.clicked.connect(self._edit)
        self.delete_button.clicked.connect(self._delete)
        self.table.row_activated.connect(lambda _row: self._edit())
        self._edit_fn, self._delete_fn = edit, delete
        self.table.rows_selected.connect(lambda _rows: self._update_buttons())
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(self._load())
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.table.current_row() is not None
        self.edit_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    def _edit(self) -> None:
        row = self.table.current_row()
        if row is not None and self._edit_fn(self, row):
            self.reload()

    def _delete(self) -> None:
        row = self.table.current_row()
        if row is not None and self._delete_fn(self, row):
            self.reload()


# --------------------------------------------------------------------------- milestones
class MilestoneDialog(FormDialog):
    form_name = "milestone"
    fields = {
        "text": "textEdit",
        "due_text": "dueEdit",
        "status": "statusCombo",
        "completed_on": "completedEdit",
    }

    def __init__(
        self,
        parent: QWidget | None,
        submit: Callable[[dict[str, Any]], Any] | None,
        *,
        values: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent, submit)
        self.setObjectName("milestoneDialog")
        self.setWindowTitle("Edit milestone" if values else "New milestone")
        self.resize(560, 360)
        for status in MILESTONE_STATUSES:
            self.widget("statusCombo").addItem(capitalised(status), status)
        old = self.widget("duePreview")
        self.preview = TargetPreview(self.form)
        self.preview.setObjectName("duePreview")
        old.parentWidget().layout().replaceWidget(old, self.preview)
        old.deleteLater()
        due_edit: QLineEdit = self.widget("dueEdit")
        due_edit.textChanged.connect(self.preview.show_for)
        self.binder.load(
            values or {"text": "", "due_text": "", "status": "open", "completed_on": today()}
        )
        self.preview.show_for(due_edit.text())
        self.widget("statusCombo").currentIndexChanged.connect(lambda _i: self._status_changed())
        self._status_changed()
        self.widget("textEdit").setFocus()

    def _status_changed(self) -> None:
        complete = self.binder.value("status") == "complete"
        self.widget("completedEdit").setEnabled(complete)

    def values(self) -> dict[str, Any]:
        values = super().values()
        if values["status"] != "complete":
            values["completed_on"] = None
        return values


class CompleteDialog(QDialog):
    """Mark milestones complete on a date (today unless changed)."""

    def __init__(self, parent: QWidget | None, what: str) -> None:
        super().__init__(parent)
        self.setObjectName("completeDialog")
        self.setWindowTitle("Mark complete")
        layout = QVBoxLayout(self)
        label = QLabel(what, self)
        label.setWordWrap(True)
        layout.addWidget(label)
        form = QFormLayout()
        self.date_edit = QDateEdit(self)
        self.date_edit.setDisplayFormat(QT_DATE_FORMAT)
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDate(to_qdate(today()))
        self.date_edit.setAccessibleName("Completed on")
        form.addRow("&Completed on:", self.date_edit)
        layout.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def completed_on(self) -> date:
        d = self.date_edit.date()
        return date(d.year(), d.month(), d.day())


# --------------------------------------------------------------------------- progress
class UpdateDialog(FormDialog):
    form_name = "progress_update"
    fields = {
        "update_date": "dateEdit",
        "author": "authorEdit",
        "agency": "agencyCombo",
        "rag": "ragCombo",
        "status": "statusCombo",
        "text": "textEdit",
    }

    def __init__(
        self,
        parent: QWidget | None,
        submit: Callable[[dict[str, Any]], Any] | None,
        *,
        action_label: str,
        agencies: Sequence[AgencyChoice],
        rag_key: Sequence[plan_service.RagKeyEntry],
        author: str,
        agency_id: str | None,
        rag: str,
        status: str,
    ) -> None:
        super().__init__(parent, submit)
        self.setObjectName("updateDialog")
        self.setWindowTitle(f"Progress update: {action_label}")
        self.resize(600, 480)
        combo: QComboBox = self.widget("agencyCombo")
        combo.addItem("—", None)
        for agency in agencies:
            if agency.active or agency.id == agency_id:
                combo.addItem(agency.name, agency.id)
        fill_rag_combo(self.widget("ragCombo"), rag_key)
        status_combo: QComboBox = self.widget("statusCombo")
        status_combo.addItem(f"Leave as it is ({status})", None)
        for value in ACTION_STATUSES:
            status_combo.addItem(capitalised(value), value)
        self.binder.load(
            {
                "update_date": today(),
                "author": author,
                "agency": agency_id,
                "rag": rag,
                "status": None,
                "text": "",
            }
        )
        self.widget("textEdit").setFocus()

    def update_input(self) -> plan_service.UpdateInput:
        v = self.values()
        return plan_service.UpdateInput(
            update_date=v["update_date"],
            text=v["text"],
            author=v["author"],
            agency_id=v["agency"],
            rag=v["rag"] or "",
            status=v["status"],
        )


# --------------------------------------------------------------------------- move to
class MoveToDialog(QDialog):
    """Where to move an action (a theme, or an aim under one) or an aim (a theme)."""

    def __init__(
        self,
        parent: QWidget | None,
        what: str,
        choices: Sequence[tuple[str, str | None, str]],
        current: tuple[str, str | None],
    ) -> None:
        super().__init__(parent)
        self.setObjectName("moveToDialog")
        self.setWindowTitle("Move to")
        self.resize(560, 160)
        layout = QVBoxLayout(self)
        label = QLabel(f"Move {what} to:", self)
        label.setWordWrap(True)
        layout.addWidget(label)
        self.combo = QComboBox(self)
        self.combo.setAccessibleName("Destination")
        for theme_id, aim_id, text in choices:
            self.combo.addItem(text, (theme_id, aim_id))
        pos = next((i for i in range(self.combo.count()) if self.combo.itemData(i) == current), 0)
        self.combo.setCurrentIndex(pos)
        layout.addWidget(self.combo)
        self.error = error_label(self, "Problem")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def destination(self) -> tuple[str, str | None]:
        return self.combo.currentData()


__all__ = [
    "AgenciesDialog",
    "AgencyChoice",
    "AgencyDialog",
    "AgencyLine",
    "AgencyPickerDialog",
    "ChangeHistoryDialog",
    "ChangeLine",
    "CompleteDialog",
    "CopyForwardDialog",
    "MilestoneDialog",
    "MoveToDialog",
    "PlanPropertiesDialog",
    "UpdateDialog",
    "run",
]
