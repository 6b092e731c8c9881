"""PDF report figures: the full action plan of 1,000 actions with their updates, against
the way it is done today (the same plan as a Word table turned into a PDF by LibreOffice).

* ``report_action_plan_1000_s``: ``dvcoord report action-plan`` in-process for a plan of
  1,000 actions (8 themes, aims, 2 agencies, 3 milestones and 5 dated updates each)
  added to a copy of the synthetic county file: reading the model and writing the PDF
  (target: under 5 s).  ``report_action_plan_1000_model_s`` is the reading part alone,
  ``report_action_plan_1000_pages`` the pages written.
* ``report_progress_1000_s``, ``report_agency_return_s`` and
  ``report_milestones_all_plans_s``: the other kinds on the same file (the progress
  summary of the 1,000-action plan, and the milestones of all 50 plans, about 900
  pages; both with ``_cpu_s`` and ``_pages`` figures too).
* ``docx_build_1000_s``: writing the same plan (same columns, latest update) as a
  landscape .docx with python-docx - not timed against dvcoord, just for scale.
* ``docx_to_pdf_libreoffice_1000_s``: ``libreoffice --headless --convert-to pdf`` of that
  file (median of warm runs: LibreOffice's profile is made by an untimed first run).
* ``libreoffice_vs_dvcoord_ratio``: LibreOffice conversion time / dvcoord time (how many
  times faster dvcoord is, without even counting the Word file's making).
* ``*_cpu_s`` / ``libreoffice_vs_dvcoord_cpu_ratio``: the same in CPU seconds (this
  process and its children), steadier than wall time on a busy shared machine.

LibreOffice is not a dvcoord dependency: if ``libreoffice``/``soffice`` is missing the
benchmark tries ``apt-get install libreoffice-writer-nogui`` (root on Debian/Ubuntu only)
and otherwise prints a message and skips the comparison.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

TODAY = date(2026, 11, 23)
LO_PACKAGE = "libreoffice-writer-nogui"


def _say(text: str) -> None:
    print(f"# bench_reports: {text}", file=sys.stderr, flush=True)


def _big_plan_file(ctx) -> tuple[Path, str]:  # noqa: ANN001
    """A copy of the large file with one 1,000-action plan added (made once)."""
    if "reports_big" not in ctx.extra:
        from bench_plans import _add_big_plan  # the action-plan area's 1,000-action plan

        from dvcoord.store.backups import copy_database

        path = copy_database(ctx.large_db(), ctx.tmp / "reports-big.sqlite")
        plan_id = _add_big_plan(path, actions=1000)
        ctx.extra["reports_big"] = (path, plan_id)
    return ctx.extra["reports_big"]


def _timed_s(fn, repeat: int) -> float:  # noqa: ANN001
    return _timed(fn, repeat)[0]


def _timed(fn, repeat: int) -> tuple[float, float]:  # noqa: ANN001
    """Median wall seconds and median CPU seconds (this process and its children) of
    ``fn()``: on a shared, busy machine the CPU time is the steadier figure."""
    walls, cpus = [], []
    for _ in range(repeat):
        cpu0 = _cpu()
        start = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu0)
    return statistics.median(walls), statistics.median(cpus)


def _cpu() -> float:
    used = time.process_time()
    try:
        import resource

        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        used += child.ru_utime + child.ru_stime
    except ImportError:  # Windows: children are not counted
        pass
    return used


# --------------------------------------------------------------------------- the Word way
def write_docx(model, out: Path) -> Path:  # noqa: ANN001
    """The plan as co-ordinators keep it today: a landscape Word document with a table
    per theme (Ref, Action, Lead, Target date, Outcomes, Progress, RAG)."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    from dvcoord.services.plan_reports import agencies_cell

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(16))
    style = document.styles["Normal"]
    style.font.name = "DejaVu Sans Condensed"
    style.font.size = Pt(8.5)
    section.header.paragraphs[0].text = "OFFICIAL"
    section.footer.paragraphs[0].text = "OFFICIAL"
    document.add_heading(model.plan.title, 0)
    document.add_paragraph(
        f"{model.plan.partnership} \u00b7 {model.plan.plan_period} \u00b7 "
        f"version {model.plan.version}"
    )
    header = [
        "Ref",
        "Action",
        "Lead / support agencies",
        "Target date",
        "Outcomes",
        "Progress to date",
        "RAG",
    ]
    for theme in model.themes:
        document.add_heading(theme.heading, 1)
        actions = theme.all_actions
        table = document.add_table(rows=1 + len(actions), cols=len(header))
        table.style = "Table Grid"
        rows = table.rows
        for c, text in enumerate(header):
            rows[0].cells[c].text = text
        for r, a in enumerate(actions, start=1):
            progress = ""
            if a.latest_update_date:
                progress = f"{a.latest_update_date:%d/%m/%Y}: {a.latest_update_text}"
            values = [
                a.reference,
                a.text,
                agencies_cell(a),
                a.target_text,
                a.outcomes,
                progress,
                a.rag,
            ]
            cells = rows[r].cells
            for c, text in enumerate(values):
                cells[c].text = text or ""
    document.save(str(out))
    return out


def _libreoffice(ctx) -> str | None:  # noqa: ANN001
    found = shutil.which("libreoffice") or shutil.which("soffice")
    if found:
        return found
    if os.name != "posix" or not shutil.which("apt-get") or os.geteuid() != 0:
        _say(
            f"LibreOffice is not installed and cannot be installed here; install "
            f"{LO_PACKAGE} to compare with the Word route. Comparison skipped."
        )
        return None
    _say(f"installing {LO_PACKAGE} for the comparison (benchmark only)...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", LO_PACKAGE],
    ):
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        if result.returncode != 0:
            _say(
                f"could not install {LO_PACKAGE} ({result.stderr.strip()[-300:]}); "
                "comparison skipped."
            )
            return None
    return shutil.which("libreoffice") or shutil.which("soffice")


def _convert(lo: str, src: Path, outdir: Path, profile: Path) -> Path:
    result = subprocess.run(
        [
            lo,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    out = outdir / (src.stem + ".pdf")
    if result.returncode != 0 or not out.is_file():
        raise RuntimeError(f"LibreOffice failed: {result.stderr.strip()[-500:]}")
    return out


# --------------------------------------------------------------------------- run
def run(ctx) -> list[tuple[str, float, str]]:  # noqa: ANN001
    from dvcoord.reports import registry
    from dvcoord.reports.registry import ReportRequest
    from dvcoord.services import plan_reports as pr
    from dvcoord.store import Database

    figures: list[tuple[str, float, str]] = []
    path, plan_id = _big_plan_file(ctx)
    repeat = 2 if ctx.quick else 3
    out = ctx.tmp / "report-action-plan-1000.pdf"
    db = Database.open(path, user="Bench", readonly=True, backup=False)
    try:
        kinds = registry.kinds()

        def build(kind: str, **kw) -> Path:
            request = ReportRequest(out=ctx.tmp / f"report-{kind}.pdf", today=TODAY, **kw)
            return kinds[kind].build(db, request)

        def full_plan() -> Path:
            return kinds["action-plan"].build(db, ReportRequest(out=out, plan=plan_id, today=TODAY))

        seconds, cpu_seconds = _timed(full_plan, repeat)
        with db.session() as s:
            model_s = _timed_s(lambda: pr.build_action_plan_model(s, plan_id, today=TODAY), repeat)
            model = pr.build_action_plan_model(s, plan_id, today=TODAY)
        figures += [
            ("report_action_plan_1000_s", seconds, "s"),
            ("report_action_plan_1000_cpu_s", cpu_seconds, "s"),
            ("report_action_plan_1000_model_s", model_s, "s"),
            ("report_action_plan_1000_pages", registry.page_count(out), "pages"),
        ]
        lead = model.actions[0].lead_agencies.split(";")[0]
        progress_s, progress_cpu = _timed(lambda: build("progress", plan=plan_id), repeat)
        milestones_s, milestones_cpu = _timed(lambda: build("milestones"), repeat)
        figures += [
            ("report_progress_1000_s", progress_s, "s"),
            ("report_progress_1000_cpu_s", progress_cpu, "s"),
            (
                "report_progress_1000_pages",
                registry.page_count(ctx.tmp / "report-progress.pdf"),
                "pages",
            ),
            (
                "report_agency_return_s",
                _timed_s(lambda: build("agency-return", agency=lead), repeat),
                "s",
            ),
            ("report_milestones_all_plans_s", milestones_s, "s"),
            ("report_milestones_all_plans_cpu_s", milestones_cpu, "s"),
            (
                "report_milestones_all_plans_pages",
                registry.page_count(ctx.tmp / "report-milestones.pdf"),
                "pages",
            ),
        ]
    finally:
        db.close()

    docx_path = ctx.tmp / "action-plan-1000.docx"
    start = time.perf_counter()
    write_docx(model, docx_path)
    figures.append(("docx_build_1000_s", time.perf_counter() - start, "s"))

    lo = _libreoffice(ctx)
    if lo is None:
        return figures
    profile = ctx.tmp / "lo-profile"
    outdir = ctx.tmp / "lo-out"
    outdir.mkdir(exist_ok=True)
    tiny = ctx.tmp / "warm-up.docx"
    import docx

    docx.Document().save(str(tiny))
    _convert(lo, tiny, outdir, profile)  # untimed: LibreOffice makes its profile
    lo_seconds, lo_cpu = _timed(
        lambda: _convert(lo, docx_path, outdir, profile), 1 if ctx.quick else 2
    )
    figures += [
        ("docx_to_pdf_libreoffice_1000_s", lo_seconds, "s"),
        ("docx_to_pdf_libreoffice_1000_cpu_s", lo_cpu, "s"),
        ("libreoffice_vs_dvcoord_ratio", lo_seconds / seconds, "x"),
        ("libreoffice_vs_dvcoord_cpu_ratio", lo_cpu / cpu_seconds, "x"),
    ]
    return figures
