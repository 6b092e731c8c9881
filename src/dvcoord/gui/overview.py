"""Overview: what the open database is, where it lives and what it holds."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from dvcoord.gui.context import AppContext
from dvcoord.gui.tablemodel import Column, RowTableModel
from dvcoord.gui.widgets import (
    DataTable,
    format_date,
    format_datetime,
    format_size,
    stretch_column,
)
from dvcoord.services.overview import summarise
from dvcoord.services.settings import MARKING_LABELS
from dvcoord.store import backups


class OverviewPage(QScrollArea):
    """The database at a glance, with the three things a co-ordinator does first."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("overviewPage")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget(self)
        inner.setObjectName("overviewInner")
        outer = QVBoxLayout(inner)
        outer.setContentsMargins(28, 24, 28, 24)
        outer.setSpacing(14)

        self.title = QLabel(inner)
        self.title.setObjectName("pageTitle")
        self.title.setAccessibleName("Database name")
        self.subtitle = QLabel(inner)
        self.subtitle.setObjectName("pageSubtitle")
        self.subtitle.setAccessibleName("Partnership")
        self.subtitle.setWordWrap(True)
        intro = QLabel(
            "dvcoord keeps this partnership's action plans, milestones, training records, "
            "panic alarms and Sanctuary Scheme installations in the one file below, on "
            "this computer. Move between areas with the list on the left or Ctrl+1 to "
            "Ctrl+9.",
            inner,
        )
        intro.setObjectName("pageIntro")
        intro.setWordWrap(True)
        outer.addWidget(self.title)
        outer.addWidget(self.subtitle)
        outer.addWidget(intro)

        facts = QFrame(inner)
        facts.setObjectName("factsPanel")
        form = QFormLayout(facts)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(16)
        self.fields: dict[str, QLabel] = {}
        for key, label in (
            ("path", "File"),
            ("partnership", "Partnership"),
            ("marking", "Default marking"),
            ("created", "Created"),
            ("size", "Size"),
            ("changes", "Changes recorded"),
            ("backup", "Last backup"),
            ("officer", "Officer"),
        ):
            value = QLabel(facts)
            value.setObjectName(f"fact_{key}")
            value.setAccessibleName(label)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{label}:", value)
            self.fields[key] = value
        outer.addWidget(facts)

        buttons = QHBoxLayout()
        for name, text, tip in (
            ("file.settings", "Settings…", "Partnership name, protective marking and your name"),
            ("file.backups", "Backups…", "Take a backup now or restore one"),
            ("file.open", "Open another database…", "Open another dvcoord file"),
        ):
            button = QPushButton(text, inner)
            button.setObjectName(f"button_{name.split('.')[1]}")
            button.setAccessibleName(text.rstrip("…"))
            button.setToolTip(tip)
            button.clicked.connect(lambda _c=False, n=name: self._trigger(n))
            buttons.addWidget(button)
        buttons.addStretch(1)
        outer.addLayout(buttons)

        heading = QLabel("What the database holds", inner)
        heading.setObjectName("sectionHeading")
        outer.addWidget(heading)
        self.model = RowTableModel(
            [
                Column("Kind of record", lambda c: c.label, width=30),
                Column("Number", lambda c: c.live, width=10),
            ],
            row_key=lambda c: c.table,
        )
        self.table = DataTable(
            self.model, inner, accessible_name="Records in the database", sort_column=0
        )
        self.table.setMaximumWidth(560)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        stretch_column(self.table, 0)
        outer.addWidget(self.table)
        outer.addStretch(1)
        self.setWidget(inner)
        self.refresh()

    def _trigger(self, name: str) -> None:
        window = self.ctx.window
        action = window.action(name) if window is not None and hasattr(window, "action") else None
        if action is not None:
            action.trigger()

    def refresh(self) -> None:
        db = self.ctx.db
        summary = summarise(db)
        self.title.setText(summary.display_name)
        self.subtitle.setText(
            summary.partnership
            or "No partnership name yet: add it in Settings so that it is printed on reports."
        )
        created = format_date(summary.created_at) if summary.created_at else "not recorded"
        if summary.created_with:
            created += f" (dvcoord {summary.created_with})"
        try:
            found = backups.list_backups(db.path)
        except OSError:
            found = []
        f = self.fields
        f["path"].setText(str(summary.path) + ("  (read-only)" if db.readonly else ""))
        f["partnership"].setText(summary.partnership or "not set")
        f["marking"].setText(MARKING_LABELS.get(summary.marking, summary.marking))
        f["created"].setText(created)
        f["size"].setText(format_size(summary.size_bytes))
        f["changes"].setText(f"{summary.changes_recorded:,}")
        f["backup"].setText(
            f"{format_datetime(found[0].taken_at)} ({len(found)} kept)" if found else "none yet"
        )
        f["officer"].setText(db.user or "not set")
        self.model.set_rows(summary.counts)
        rows = self.model.rowCount()
        height = self.table.horizontalHeader().sizeHint().height() + 4
        height += rows * self.table.verticalHeader().defaultSectionSize()
        self.table.setFixedHeight(height)

    def set_database(self, db) -> None:  # noqa: ANN001
        self.refresh()
