"""Progress summary for a board (A4 portrait).

RAG counts per theme (a table and a bar chart), the RAG key, every red action with its
latest update, the overdue milestones, and the actions changed since a chosen date
(``--from``; by default the start of the previous financial quarter).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from dvcoord.reports import fonts
from dvcoord.reports import layout as L
from dvcoord.reports._plan_common import (
    AREA,
    free,
    milestone_due_cell,
    options_for,
    progress_cell,
    target_cell,
    today_of,
)
from dvcoord.reports.registry import ReportKind, ReportRequest, register
from dvcoord.services.dates import format_date
from dvcoord.services.plan_reports import (
    ProgressModel,
    agencies_cell,
    build_progress_model,
    resolve_plan,
    theme_heading,
)

if TYPE_CHECKING:
    from dvcoord.store import Database

TITLE = "Action plan progress summary"
#: A list longer than this is split into one table per theme.
_SPLIT_OVER = 40
_DASH = "\u2013"


def _name(letter: str, model: ProgressModel) -> str:
    return model.plan.rag_name(letter)


def _counts(model: ProgressModel) -> list[Any]:
    letters = model.rag_letters
    header = ["Theme"] + [_name(x, model) for x in letters] + ["Total"]
    rows: list[list[Any]] = []
    for t in model.rag_counts:
        rows.append([t.title] + [t.counts.get(x, 0) for x in letters] + [t.total])
    totals = model.totals
    rows.append(["All themes"] + [totals.get(x, 0) for x in letters] + [sum(totals.values())])
    widths = [1.0] + [17 * mm] * len(letters) + [15 * mm]
    numeric = range(1, len(letters) + 2)
    out: list[Any] = [L.data_table(header, rows, widths, right_align=numeric, total_row=True)]
    if model.action_count:
        out.append(ThemeRagChart(model))
    return out


class ThemeRagChart(Flowable):
    """One horizontal bar per theme, split into its RAG counts (each segment lettered
    colour and count, so colour is never the only signal), with a legend."""

    LABEL_W = 58 * mm
    ROW_H = 8.5 * mm
    BAR_H = 5.2 * mm
    LEGEND_H = 9 * mm
    AXIS_H = 5 * mm

    def __init__(self, model: ProgressModel) -> None:
        super().__init__()
        self.model = model
        self.letters = model.rag_letters
        self.rows = list(model.rag_counts)
        self.width = 170 * mm
        self.height = len(self.rows) * self.ROW_H + self.AXIS_H + self.LEGEND_H

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        self.width = availWidth
        return self.width, self.height

    def getSpaceBefore(self) -> float:  # noqa: N802 (ReportLab API)
        return 6

    def getSpaceAfter(self) -> float:  # noqa: N802 (ReportLab API)
        return 10

    def _label_lines(self, text: str) -> list[str]:
        words, lines, line = text.split(), [], ""
        limit = self.LABEL_W - 4 * mm
        for w in words:
            trial = f"{line} {w}".strip()
            if line and stringWidth(trial, fonts.SANS, 7.5) > limit:
                lines.append(line)
                line = w
            else:
                line = trial
        lines.append(line)
        if len(lines) > 2:
            rest = " ".join(lines[1:])
            while rest and stringWidth(rest + "\u2026", fonts.SANS, 7.5) > limit:
                rest = rest[:-1]
            lines = [lines[0], rest.rstrip() + "\u2026"]
        return lines

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        plot_x = self.LABEL_W
        plot_w = self.width - plot_x - 4 * mm
        most = max((r.total for r in self.rows), default=0) or 1
        step = max(1, math.ceil(most / 6))
        top = self.height - 1
        # value grid and scale
        c.setLineWidth(0.4)
        c.setFont(fonts.SANS, 6.5)
        for v in range(0, most + step, step):
            x = plot_x + plot_w * v / (math.ceil(most / step) * step)
            c.setStrokeColor(L.RULE)
            c.line(x, self.LEGEND_H + self.AXIS_H, x, top)
            c.setFillColor(L.MUTED)
            c.drawCentredString(x, self.LEGEND_H + 1.5 * mm, str(v))
        scale = plot_w / (math.ceil(most / step) * step)
        for i, row in enumerate(self.rows):
            y_mid = top - (i + 0.5) * self.ROW_H
            lines = self._label_lines(row.title)
            c.setFillColor(L.INK)
            c.setFont(fonts.SANS, 7.5)
            first = y_mid + (len(lines) - 1) * 4.5 - 2.5
            for j, line in enumerate(lines):
                c.drawRightString(plot_x - 2.5 * mm, first - j * 9, line)
            x = plot_x
            for letter in self.letters:
                n = row.counts.get(letter, 0)
                if not n:
                    continue
                w = n * scale
                fill = L.RAG_COLOURS.get(letter, L.RAG_COLOURS[""])
                c.setFillColor(fill)
                c.setStrokeColor(colors.white)
                c.setLineWidth(0.8)
                c.rect(x, y_mid - self.BAR_H / 2, w, self.BAR_H, stroke=1, fill=1)
                label = f"{letter or _DASH} {n}"
                c.setFont(fonts.CONDENSED_BOLD, 7)
                if stringWidth(label, fonts.CONDENSED_BOLD, 7) > w - 2:
                    label = str(n)
                if stringWidth(label, fonts.CONDENSED_BOLD, 7) <= w - 2:
                    c.setFillColor(colors.white if letter == "R" else L.INK)
                    c.drawCentredString(x + w / 2, y_mid - 2.4, label)
                x += w
            c.setFillColor(L.MUTED)
            c.setFont(fonts.SANS, 7)
            c.drawString(x + 1.5 * mm, y_mid - 2.4, f"{row.total}")
        # legend
        x = plot_x
        c.setFont(fonts.SANS, 7.5)
        for letter in self.letters:
            c.setFillColor(L.RAG_COLOURS.get(letter, L.RAG_COLOURS[""]))
            c.rect(x, 1.2 * mm, 3.2 * mm, 3.2 * mm, stroke=0, fill=1)
            c.setFillColor(L.INK)
            name = f"{letter} {_name(letter, self.model)}" if letter else _name(letter, self.model)
            c.drawString(x + 4.5 * mm, 1.9 * mm, name)
            x += 4.5 * mm + stringWidth(name, fonts.SANS, 7.5) + 7 * mm
        c.restoreState()


def _by_theme(items: list[Any], theme_of: Any) -> list[tuple[str, list[Any]]]:
    """Items grouped by theme, in plan order (one table per theme reads better for a
    board, and many small tables lay out faster than one long one)."""
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(theme_of(item), []).append(item)
    return list(groups.items())


def _red(model: ProgressModel, options: L.ReportOptions) -> list[Any]:
    if not model.red_actions:
        return [L.no_data("No action is rated red.")]
    sections = [
        L.TableSection(
            theme,
            [
                [
                    a.reference,
                    free(a.text, options),
                    agencies_cell(a),
                    target_cell(a),
                    progress_cell(a, options),
                    a.rag,
                ]
                for a in actions
            ],
        )
        for theme, actions in _by_theme(list(model.red_actions), _theme_of)
    ]
    return L.sections_as_tables(
        sections,
        ["Ref", "Action", "Lead", "Target date", "Latest update", "RAG"],
        [12 * mm, 0.31, 0.2, 19 * mm, 0.49, 10 * mm],
        rag_column=5,
        level=3,
    )


def _theme_of(a: Any) -> str:
    return theme_heading(a.theme_code, a.theme_title)


def _overdue(model: ProgressModel, options: L.ReportOptions) -> list[Any]:
    if not model.overdue_milestones:
        return [L.no_data(f"No milestone was overdue on {format_date(model.today)}.")]

    def row(m: Any) -> list[Any]:
        return [
            m.action_reference,
            free(m.text, options),
            milestone_due_cell(m),
            m.days_overdue(model.today),
            m.lead,
        ]

    header = ["Ref", "Milestone", "Due", "Days late", "Lead"]
    widths = [12 * mm, 0.58, 26 * mm, 15 * mm, 0.42]
    milestones = list(model.overdue_milestones)
    if len(milestones) <= _SPLIT_OVER:
        return [L.data_table(header, [row(m) for m in milestones], widths, right_align=(3,))]
    out: list[Any] = []
    for theme, group in _by_theme(milestones, lambda m: m.theme_title):
        out.append(L.heading(theme or "Other actions", 3))
        out.append(L.data_table(header, [row(m) for m in group], widths, right_align=(3,)))
    return out


def _changed(model: ProgressModel, options: L.ReportOptions) -> list[Any]:
    if not model.changed:
        return [L.no_data(f"No action has changed since {format_date(model.since)}.")]
    sections = []
    for theme, changes in _by_theme(list(model.changed), lambda c: _theme_of(c.action)):
        rows = []
        for c in changes:
            a = c.action
            what = "\n".join(w[:1].upper() + w[1:] for w in c.what)
            rows.append(
                [a.reference, free(a.text, options), what, progress_cell(a, options), a.rag]
            )
        sections.append(L.TableSection(theme, rows))
    return L.sections_as_tables(
        sections,
        ["Ref", "Action", "What changed", "Latest update", "RAG"],
        [12 * mm, 0.3, 0.27, 0.43, 10 * mm],
        rag_column=4,
        level=3,
    )


def render_progress(model: ProgressModel, out_path: Path | str, options: L.ReportOptions) -> Path:
    """Write the progress summary for ``model`` to ``out_path`` (atomically)."""
    p = model.plan
    doc = L.ReportDocument(
        out_path,
        title=TITLE,
        subtitle=p.title,
        period=f"Position at {format_date(model.today)}",
        plan_version=p.version or None,
        options=options,
    )
    n_actions = sum(t.total for t in model.rag_counts)
    story: list[Any] = [
        L.para(
            f"The position of the plan's {n_actions:,} action{'s' if n_actions != 1 else ''} "
            f"on {format_date(model.today)}: {len(model.red_actions)} rated red, "
            f"{len(model.overdue_milestones)} overdue milestone"
            f"{'s' if len(model.overdue_milestones) != 1 else ''}, and "
            f"{len(model.changed)} action{'s' if len(model.changed) != 1 else ''} changed since "
            f"{format_date(model.since)}."
        ),
        L.heading("RAG status by theme", 1),
    ]
    story += _counts(model)
    story += [L.heading("RAG key", 2), L.rag_key_table(p.rag_key_tuples)]
    story += [L.heading(f"Red actions ({len(model.red_actions)})", 1)]
    story += _red(model, options)
    story += [L.heading(f"Overdue milestones ({len(model.overdue_milestones)})", 1)]
    story += _overdue(model, options)
    story += [L.heading(f"Changed since {format_date(model.since)} ({len(model.changed)})", 1)]
    story += _changed(model, options)
    return doc.build(story)


def build(db: Database, request: ReportRequest) -> Path:
    with db.session() as s:
        plan = resolve_plan(s, request.plan)
        model = build_progress_model(s, plan.id, since=request.date_from, today=today_of(request))
    options = options_for(db, request, KIND, model.plan.marking, model.plan.partnership)
    return render_progress(model, request.out, options)


KIND = register(
    ReportKind(
        name="progress",
        title="Progress summary for a board",
        area=AREA,
        build=build,
        needs_plan=True,
        uses_period=True,
        uses_period_end=False,
        description="RAG counts per theme with a chart, red actions, overdue milestones and "
        "the actions changed since a chosen date.",
    )
)
