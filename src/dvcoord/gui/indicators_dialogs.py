"""The indicator editor (definition, values grid by period, linked actions) and the
spreadsheet import preview.

Forms come from ``ui/indicator_*.ui`` through :func:`~dvcoord.gui.uiload.load_ui`.  The
editor saves the definition, the whole values grid and the links in ONE transaction
through :mod:`dvcoord.services.indicators`; a
:class:`~dvcoord.errors.ValidationError` is shown beside its field, or at its cell of the
grid (``rows.<n>.<column>``), and the dialog stays open with everything typed.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLabel,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.gui.context import AppContext
from dvcoord.gui.forms import agencies, fill_combo, set_error
from dvcoord.gui.import_preview import ImportPreviewDialog, MappingGroup, read_in_worker
from dvcoord.gui.tablemodel import Column
from dvcoord.gui.uiload import load_ui
from dvcoord.gui.widgets import show_error
from dvcoord.services import indicators as svc
from dvcoord.services.plan_lookup import plan_choices

log = logging.getLogger(__name__)

#: status -> (background, text) colours; the word is always shown too.
STATUS_COLOURS = {
    svc.MET: ("#2E7D32", "#FFFFFF"),
    svc.NOT_MET: ("#B3261E", "#FFFFFF"),
    svc.NO_TARGET: ("#E7E9EB", "#0B0C0C"),
    svc.NO_DATA: ("#F3F2F1", "#505A5F"),
}
ERROR_FILL = "#FDECEA"
READ_ONLY_FILL = "#F3F2F1"
#: Columns of the values grid.
PERIOD, VALUE, NOTE, TARGET, NATIONAL, STATUS = range(6)
GRID_HEADERS = ("Period", "Figure", "Note", "Target", "National", "Status")
GRID_FIELDS = {
    "period": PERIOD,
    "value": VALUE,
    "note": NOTE,
    "target": TARGET,
    "national": NATIONAL,
}
TYPED_IN = ""


# --------------------------------------------------------------------------- editor
class IndicatorDialog(QDialog):
    """Add or edit an indicator: definition, values and targets by period, linked actions."""

    FIELDS = {
        "computed_key": ("computedCombo", "computedError"),
        "code": ("codeEdit", "codeError"),
        "name": ("nameEdit", "nameError"),
        "description": ("descriptionEdit", "descriptionError"),
        "unit": ("unitCombo", "unitError"),
        "direction": ("directionCombo", "directionError"),
        "period": ("periodCombo", "periodError"),
        "data_source": ("sourceEdit", "sourceError"),
        "owner_agency": ("ownerCombo", "ownerError"),
        "indicator": ("nameEdit", "nameError"),
    }

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        indicator_id: str | None = None,
        tab: str = "definition",
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.indicator_id = indicator_id
        self.today = today or date.today()
        self.result_value: str | None = None
        self.setObjectName("indicatorDialog")
        self.form = f = load_ui("indicator_edit", self)
        f.layout().setContentsMargins(14, 12, 14, 10)
        self.resize(860, 640)
        self.setWindowTitle("Add an indicator")
        for label in f.findChildren(QLabel):
            if label.objectName().endswith("Error"):
                label.setProperty("role", "error")
                set_error(label, None, "")
        f.valuesHelp.setProperty("role", "help")
        f.actionsHelp.setProperty("role", "help")
        fill_combo(
            f.computedCombo,
            [(TYPED_IN, "Typed in (figures entered here or imported)")]
            + [(c.key, f"Computed by dvcoord: {c.name}") for c in svc.computed_choices()],
        )
        fill_combo(f.unitCombo, list(svc.UNIT_LABELS.items()))
        fill_combo(f.directionCombo, list(svc.DIRECTION_LABELS.items()))
        fill_combo(f.periodCombo, list(svc.PERIOD_LABELS.items()), "quarter")
        fill_combo(f.ownerCombo, [(None, "(none)"), *agencies(ctx)])
        f.activeCheck.setChecked(True)
        self.grid = QTableWidget(0, len(GRID_HEADERS), f.valuesHost)
        self.grid.setObjectName("valuesGrid")
        self.grid.setAccessibleName("Figures and targets by period")
        self.grid.setHorizontalHeaderLabels(list(GRID_HEADERS))
        self.grid.verticalHeader().setVisible(False)
        self.grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.grid.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.grid.horizontalHeader()
        header.setSectionResizeMode(NOTE, QHeaderView.ResizeMode.Stretch)
        for col, width in ((PERIOD, 130), (VALUE, 90), (TARGET, 90), (NATIONAL, 90), (STATUS, 80)):
            self.grid.setColumnWidth(col, width)
        host = QVBoxLayout(f.valuesHost)
        host.setContentsMargins(0, 0, 0, 0)
        host.addWidget(self.grid)
        self.linked: set[str] = set()
        self.computed_key: str | None = None
        if indicator_id:
            self._load()
        else:
            f.computedCombo.currentIndexChanged.connect(self._computed_chosen)
        f.periodCombo.currentIndexChanged.connect(lambda _i: self._update_help())
        f.unitCombo.currentIndexChanged.connect(lambda _i: self._update_help())
        self._fill_plans()
        f.planCombo.currentIndexChanged.connect(lambda _i: self._fill_actions())
        f.actionFilterEdit.textChanged.connect(lambda _t: self._fill_actions())
        f.actionsList.itemChanged.connect(self._action_ticked)
        f.addPeriodButton.clicked.connect(lambda _c=False: self.add_period())
        f.addYearButton.clicked.connect(lambda _c=False: self.add_year())
        f.removeRowButton.clicked.connect(lambda _c=False: self.remove_rows())
        f.buttonBox.accepted.connect(self.save)
        f.buttonBox.rejected.connect(self.reject)
        self._fill_actions()
        self._update_help()
        pages = {"definition": f.definitionPage, "values": f.valuesPage, "actions": f.actionsPage}
        f.tabs.setCurrentWidget(pages.get(tab, f.definitionPage))
        if db_readonly := ctx.db.readonly:
            f.buttonBox.button(f.buttonBox.StandardButton.Ok).setEnabled(not db_readonly)
        (self.grid if tab == "values" else f.nameEdit).setFocus()

    # ------------------------------------------------------------------ loading
    def _load(self) -> None:
        f = self.form
        with self.ctx.db.session() as s:
            ind = svc.get_indicator(s, self.indicator_id)
            grid = svc.value_grid(s, ind.id, self.today)
            self.linked = {a.action_id for a in svc.linked_actions(s, ind.id)}
            values = {
                "code": ind.code,
                "name": ind.name,
                "description": ind.description,
                "unit": ind.unit,
                "direction": ind.direction,
                "period": ind.period,
                "data_source": ind.data_source,
                "owner": ind.owner_agency_id,
                "active": ind.active,
                "computed": ind.computed_key,
            }
        self.computed_key = values["computed"]
        self.setWindowTitle(f"Indicator: {values['name']}")
        pos = f.computedCombo.findData(self.computed_key or TYPED_IN)
        if pos < 0 and self.computed_key:
            f.computedCombo.addItem("Computed by a newer dvcoord", self.computed_key)
            pos = f.computedCombo.count() - 1
        f.computedCombo.setCurrentIndex(pos)
        f.computedCombo.setEnabled(False)
        f.codeEdit.setText(values["code"])
        f.nameEdit.setText(values["name"])
        f.descriptionEdit.setPlainText(values["description"])
        for combo, value in (
            (f.unitCombo, values["unit"]),
            (f.directionCombo, values["direction"]),
            (f.periodCombo, values["period"]),
            (f.ownerCombo, values["owner"]),
        ):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        f.sourceEdit.setText(values["data_source"])
        f.activeCheck.setChecked(values["active"])
        if self.computed_key:
            f.unitCombo.setEnabled(False)
            f.directionCombo.setEnabled(False)
        has_figures = any(r.has_value_row or r.has_target_row for r in grid)
        if has_figures:
            tip = "Fixed once figures or targets are recorded; add a new indicator instead."
            for combo in (f.unitCombo, f.periodCombo):
                combo.setEnabled(False)
                combo.setToolTip(tip)
        self.grid.setRowCount(0)
        for row in grid:
            self._append_row(row.period, row)

    def _computed_chosen(self, _index: int = 0) -> None:
        f = self.form
        key = f.computedCombo.currentData() or None
        self.computed_key = key
        spec = svc.COMPUTED.get(key or "")
        f.unitCombo.setEnabled(spec is None)
        f.directionCombo.setEnabled(spec is None)
        if spec is not None:
            f.nameEdit.setText(spec.name)
            f.descriptionEdit.setPlainText(spec.description)
            f.sourceEdit.setText(spec.data_source)
            f.unitCombo.setCurrentIndex(f.unitCombo.findData(spec.unit))
            f.directionCombo.setCurrentIndex(f.directionCombo.findData(spec.direction))
            f.periodCombo.setCurrentIndex(f.periodCombo.findData(spec.period))
        self._update_help()
        for r in range(self.grid.rowCount()):
            self._style_row(r)

    def cadence(self) -> str:
        return self.form.periodCombo.currentData() or "quarter"

    def unit(self) -> str:
        return self.form.unitCombo.currentData() or "count"

    def _update_help(self) -> None:
        cadence = self.cadence()
        examples = {"month": "2013-04", "quarter": "2013/14 Q2", "financial year": "2013/14"}
        text = (
            f"One row per period. Figures are for {svc.PERIOD_LABELS[cadence].lower()} periods "
            f"(for example {examples[cadence]}); a target may also be for a longer period "
            "(a financial year such as 2013/14), and then applies to each of its periods."
        )
        if self.computed_key:
            text += " dvcoord computes the figures of this indicator; type the targets only."
        unit = self.unit()
        text += {
            "percentage": " Type percentages as 51.2 (0 to 100).",
            "money": " Type money in pounds, for example 1,234.50.",
            "count": " Counts are whole numbers.",
            "days": " Days may have up to two decimal places.",
        }[unit]
        self.form.valuesHelp.setText(text)

    # ------------------------------------------------------------------ the grid
    def _item(self, text: str, editable: bool = True) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if editable:
            flags |= Qt.ItemFlag.ItemIsEditable
        item.setFlags(flags)
        return item

    def _append_row(
        self, period: svc.Period | None, row: svc.GridRow | None = None, *, at: int | None = None
    ) -> int:
        unit = self.unit()
        r = self.grid.rowCount() if at is None else at
        self.grid.insertRow(r)

        def num(value: int | None) -> str:
            return svc.format_number(value, unit, with_unit=False) if value is not None else ""

        period_item = self._item(period.key if period else "", editable=row is None)
        if period is not None:
            period_item.setToolTip(period.label)
        self.grid.setItem(r, PERIOD, period_item)
        self.grid.setItem(r, VALUE, self._item(num(row.value) if row else ""))
        self.grid.setItem(r, NOTE, self._item(row.note if row else ""))
        self.grid.setItem(r, TARGET, self._item(num(row.target) if row else ""))
        self.grid.setItem(r, NATIONAL, self._item(num(row.national) if row else ""))
        own = period is not None and period.kind == self.cadence()
        word = svc.STATUS_LABELS[row.status] if row is not None and own else ""
        if row is not None and not own:
            word = "Target row"
        status = self._item(word, editable=False)
        if row is not None and own:
            background, ink = STATUS_COLOURS[row.status]
            status.setBackground(QBrush(QColor(background)))
            status.setForeground(QBrush(QColor(ink)))
        elif row is not None:
            status.setToolTip(
                f"A target for the {period.kind} {period.label}: it applies to each of its periods"
            )
        if row is not None and own and row.resolved.source not in (None, period):
            status.setToolTip(
                f"Target {svc.format_number(row.resolved.target, unit)} from "
                f"{row.resolved.describe}"
            )
        self.grid.setItem(r, STATUS, status)
        self._style_row(r)
        return r

    def _row_period(self, r: int) -> svc.Period | None:
        item = self.grid.item(r, PERIOD)
        try:
            return svc.parse_period(item.text() if item else "")
        except ValidationError:
            return None

    def _style_row(self, r: int) -> None:
        """Figures can be typed only for a period of the indicator's own cadence, and
        never for a computed indicator; those cells are greyed and read-only."""
        period = self._row_period(r)
        longer = period is not None and period.kind != self.cadence()
        for col in (VALUE, NOTE):
            item = self.grid.item(r, col)
            if item is None:
                continue
            fixed = bool(self.computed_key) or longer
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if not fixed:
                flags |= Qt.ItemFlag.ItemIsEditable
            item.setFlags(flags)
            item.setBackground(QBrush(QColor(READ_ONLY_FILL)) if fixed else QBrush())
            if self.computed_key and col == VALUE:
                item.setToolTip("Computed by dvcoord")
            elif longer:
                item.setToolTip("A longer period holds a target only")

    def _periods_in_grid(self) -> list[svc.Period]:
        return [p for r in range(self.grid.rowCount()) if (p := self._row_period(r)) is not None]

    def add_period(self) -> int:
        """A new row for the period after the newest one of the indicator's cadence
        (or the current one), at the top; the cursor goes to its figure."""
        cadence = self.cadence()
        own = [p for p in self._periods_in_grid() if p.kind == cadence]
        if own:
            period = max(own).next()
            if period.start > self.today:
                period = svc.period_of(self.today, cadence)
                while period in own and period.start <= self.today:
                    period = period.prev()
        else:
            period = svc.last_complete_period(cadence, self.today)
        r = self._append_row(None, at=0)
        self.grid.item(r, PERIOD).setText(period.key)
        self._style_row(r)
        column = TARGET if self.computed_key else VALUE
        self.grid.setCurrentCell(r, column)
        return r

    def add_year(self) -> int:
        """A new row for a financial year's target (the next year without one)."""
        years = {p.fy for p in self._periods_in_grid() if p.kind == "financial year"}
        fy = svc.period_of(self.today, "financial year").fy
        while fy in years:
            fy += 1
        r = self._append_row(None, at=0)
        self.grid.item(r, PERIOD).setText(svc.year_period(fy).key)
        self._style_row(r)
        self.grid.setCurrentCell(r, TARGET)
        return r

    def remove_rows(self) -> int:
        rows = sorted({i.row() for i in self.grid.selectedIndexes()}, reverse=True)
        for r in rows:
            self.grid.removeRow(r)
        return len(rows)

    def entries(self) -> list[svc.PeriodEntry]:
        def text(r: int, c: int) -> str:
            item = self.grid.item(r, c)
            return item.text() if item is not None else ""

        out = []
        for r in range(self.grid.rowCount()):
            computed = bool(self.computed_key)
            out.append(
                svc.PeriodEntry(
                    period=text(r, PERIOD),
                    value="" if computed else text(r, VALUE),
                    note="" if computed else text(r, NOTE),
                    target=text(r, TARGET),
                    national=text(r, NATIONAL),
                )
            )
        return out

    # ------------------------------------------------------------------ actions
    def _fill_plans(self) -> None:
        f = self.form
        with self.ctx.db.session() as s:
            plans = plan_choices(s)
            linked_plans = {a.plan_id for a in svc.action_choices(s) if a.action_id in self.linked}
        choices: list[tuple[str | None, str]] = [(None, "Every plan")]
        choices += [(p.id, f"{p.label} ({p.status})") for p in plans]
        fill_combo(
            f.planCombo, choices, next(iter(linked_plans)) if len(linked_plans) == 1 else None
        )
        f.actionFilterEdit.setMinimumWidth(240)
        f.actionsTop.setStretch(1, 2)
        f.actionsTop.setStretch(2, 1)

    def _fill_actions(self) -> None:
        f = self.form
        with self.ctx.db.session() as s:
            actions = svc.action_choices(s, f.planCombo.currentData())
        words = f.actionFilterEdit.text().casefold().split()
        actions.sort(key=lambda a: a.action_id not in self.linked)  # the linked ones first
        f.actionsList.blockSignals(True)
        f.actionsList.clear()
        every_plan = f.planCombo.currentData() is None
        for a in actions:
            label = f"{a.label}   ({a.plan_title})" if every_plan else a.label
            if words and not all(w in label.casefold() for w in words):
                continue
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, a.action_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if a.action_id in self.linked else Qt.CheckState.Unchecked
            )
            f.actionsList.addItem(item)
        f.actionsList.blockSignals(False)
        self._update_linked_label()

    def _action_ticked(self, item: QListWidgetItem) -> None:
        action_id = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked:
            self.linked.add(action_id)
        else:
            self.linked.discard(action_id)
        self._update_linked_label()

    def _update_linked_label(self) -> None:
        n = len(self.linked)
        self.form.linkedLabel.setText(f"{n} action{'s' if n != 1 else ''} linked.")

    # ------------------------------------------------------------------ errors
    def clear_errors(self) -> None:
        for widget_name, label_name in self.FIELDS.values():
            set_error(getattr(self.form, label_name), getattr(self.form, widget_name), "")
        set_error(self.form.valuesError, None, "")
        set_error(self.form.actionsError, None, "")
        for r in range(self.grid.rowCount()):
            for c in range(len(GRID_HEADERS)):
                item = self.grid.item(r, c)
                if item is not None and item.data(Qt.ItemDataRole.UserRole) == "error":
                    item.setData(Qt.ItemDataRole.UserRole, None)
                    item.setBackground(QBrush())
                    item.setToolTip("")
            self._style_row(r)

    def show_problem(self, exc: ValidationError) -> None:
        f = self.form
        name = exc.field or ""
        if name.startswith("rows."):
            _, n, column = (name.split(".") + ["value"])[:3]
            r, c = int(n), GRID_FIELDS.get(column, VALUE)
            item = self.grid.item(r, c)
            if item is not None:
                item.setData(Qt.ItemDataRole.UserRole, "error")
                item.setBackground(QBrush(QColor(ERROR_FILL)))
                item.setToolTip(str(exc))
            period = self.grid.item(r, PERIOD)
            where = f"Row {r + 1}" + (f" ({period.text()})" if period and period.text() else "")
            set_error(f.valuesError, None, f"{where}, {GRID_HEADERS[c].lower()}: {exc}")
            f.tabs.setCurrentWidget(f.valuesPage)
            self.grid.setCurrentCell(r, c)
            self.grid.setFocus()
            return
        if name == "actions":
            set_error(f.actionsError, None, str(exc))
            f.tabs.setCurrentWidget(f.actionsPage)
            return
        if name in ("value", "target", "national", "period", "note"):
            set_error(f.valuesError, None, str(exc))
            f.tabs.setCurrentWidget(f.valuesPage)
            return
        spec = self.FIELDS.get(name)
        if spec is None:
            show_error(self, exc, title=self.windowTitle())
            return
        widget, label = getattr(f, spec[0]), getattr(f, spec[1])
        set_error(label, widget, str(exc))
        f.tabs.setCurrentWidget(f.definitionPage)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def error_text(self, field: str) -> str:
        if field == "values":
            label = self.form.valuesError
        elif field == "actions":
            label = self.form.actionsError
        else:
            label = getattr(self.form, self.FIELDS[field][1])
        return label.text() if label.isVisibleTo(self) else ""

    # ------------------------------------------------------------------ saving
    def definition(self) -> dict[str, Any]:
        f = self.form
        return {
            "code": f.codeEdit.text(),
            "name": f.nameEdit.text(),
            "description": f.descriptionEdit.toPlainText(),
            "unit": f.unitCombo.currentData(),
            "direction": f.directionCombo.currentData(),
            "period": f.periodCombo.currentData(),
            "data_source": f.sourceEdit.text(),
            "owner_agency_id": f.ownerCombo.currentData(),
            "active": f.activeCheck.isChecked(),
        }

    def save(self) -> bool:
        self.clear_errors()
        values = self.definition()
        entries = self.entries()
        try:
            with self.ctx.db.transaction() as s:
                if self.indicator_id is None:
                    ind = svc.create_indicator(s, computed_key=self.computed_key, **values)
                else:
                    if self.computed_key:
                        values.pop("unit")
                        values.pop("direction")
                    ind = svc.update_indicator(s, self.indicator_id, **values)
                svc.save_periods(s, ind.id, entries, today=self.today)
                svc.set_action_links(s, ind.id, sorted(self.linked))
                self.result_value = ind.id
        except ValidationError as exc:
            self.show_problem(exc)
            return False
        except DvcoordError as exc:
            show_error(self, exc, title=self.windowTitle())
            return False
        self.ctx.notify_changed("indicators", self.parent())
        self.accept()
        return True


# --------------------------------------------------------------------------- import
class ImportDialog(ImportPreviewDialog):
    """Preview a spreadsheet of figures: choose what each column holds, see what each row
    will do (add, change, already there, not imported), then import in one transaction
    after a backup."""

    OBJECT_NAME = "indicatorImportDialog"
    FORM = "indicator_import"
    ACTIONS = {
        "add": "Added",
        "update": "Changed",
        "same": "Already there",
        "skip": "Left out",
        "error": "Not imported",
    }
    ERROR_TITLE = "Import indicator values"
    PROGRESS_TITLE = "Importing indicator values"
    AREA = "indicators"

    def __init__(self, ctx: AppContext, sheet, parent: QWidget | None = None) -> None:  # noqa: ANN001
        from dvcoord.importers import indicators as importer

        super().__init__(ctx, sheet, importer, parent)

    def file_text(self) -> str:
        tables = ", ".join(t.table.name for t in self.source.tables)
        return f"File: {self.source.path.name} ({tables})"

    def mapping_groups(self) -> list[MappingGroup]:
        fields = [(k, v[0]) for k, v in self.importer.FIELDS.items()]
        return [("", self.source.mapping, fields)]

    def row_columns(self) -> list[Column]:
        return [
            Column("Indicator", lambda r: r.indicator, width=30),
            Column("Period", lambda r: r.period, width=12),
        ]

    def summary_text(self, plan) -> str:  # noqa: ANN001
        text = (
            f"{len(plan.added)} row(s) to add, {len(plan.updated)} to change, "
            f"{len(plan.unchanged)} already in the database or left out, "
            f"{len(plan.errors)} with errors ({plan.targets} target(s))."
        )
        if plan.new_indicators:
            text += " New indicators: " + ", ".join(s["name"] for s in plan.new_indicators) + "."
        return text

    def writes(self, plan):  # noqa: ANN001, ANN201
        return plan.writes

    def done_message(self, summary) -> str:  # noqa: ANN001
        return (
            f"Imported {summary.added} new figure(s), changed {summary.updated}, "
            f"{summary.targets} target(s)."
        )


def read_values_in_worker(parent: QWidget, path: Path):  # noqa: ANN201
    """Read a spreadsheet of figures off the UI thread (raises WorkAborted on failure)."""
    from dvcoord.importers import indicators as importer

    return read_in_worker(parent, lambda: importer.read_values(path))
