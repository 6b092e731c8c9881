"""Training figures on the synthetic county file (3,000 trainees, 40 courses, 30 roles,
4,000 sessions and 60,000 attendance rows at scale 1.0; added to the shared file by
:func:`training` below).

* ``training_matrix_ms``: :func:`services.training.training_matrix`, the whole matrix
  (every trainee x every course) from the database.
* ``training_matrix_view_ms``: what the Matrix tab does: the matrix computed, the Qt model
  filled and the visible part of the table painted (target: under 500 ms).
  ``..._cpu_ms`` is the same as processor time (a busy machine does not inflate it).
* ``training_matrix_filter_ms``: the model re-filtered by a status ("missing") over all
  3,000 rows.
* ``training_matrix_pdf_s``: the ``training-matrix`` PDF for every trainee (target:
  under 10 s), with ``training_matrix_pdf_pages`` and ``..._cpu_s`` (processor time).
* ``training_compliance_pdf_s``: the ``training-compliance`` PDF.
* ``training_dashboard_tiles_ms``: the three dashboard tiles.
* ``training_trainees`` / ``training_courses`` / ``training_attendance_rows``: the size of
  what was timed.

Run: ``python bench/run.py --only training`` (or ``python bench/bench_training.py``).
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from pathlib import Path

from synth import SynthContext, register_builder

TODAY = date(2026, 11, 23)
N_TRAINEES = 3000
N_COURSES = 40
N_ROLES = 30
N_ATTENDANCE = 60_000
PER_SESSION = 15


@register_builder
def training(conn, ctx: SynthContext) -> int:  # noqa: ANN001
    """Levels, topics, 40 courses, trainers, 30 roles with requirements, 3,000 trainees
    and 60,000 attendance rows over 4,000 sessions (times ``ctx.scale``)."""
    from dvcoord.services.training import DEFAULT_LEVELS, DEFAULT_TOPICS

    rng = ctx.rng
    agencies = ctx.ids.get("agency") or []
    levels = [ctx.shared(number=n, name=name, description=text) for n, name, text in DEFAULT_LEVELS]
    total = ctx.insert(conn, "training_level", levels)
    topics = [
        ctx.shared(position=i, name=name, description="") for i, name in enumerate(DEFAULT_TOPICS)
    ]
    total += ctx.insert(conn, "training_topic", topics)
    first_offered = TODAY - timedelta(days=6 * 365)
    courses = []
    for i in range(N_COURSES):  # a fixed 40: the matrix is 40 columns wide at any scale
        level = levels[0 if i < 12 else (1 if i < 32 else 2)]
        courses.append(
            ctx.shared(
                code=f"C{level['number']}-{i + 1:02d}",
                title=f"{ctx.words(2, 5).capitalize()} ({level['name']})",
                topic_id=topics[i % len(topics)]["id"],
                level_id=level["id"],
                provider="Synthetic training team",
                duration_minutes=rng.choice((60, 90, 180, 360)),
                delivery=rng.choice(("classroom", "e-learning", "webinar")),
                refresher_months=rng.choice((12, 24, 36, None)),
                offered_from=first_offered,
                active=True,
                notes="",
            )
        )
    total += ctx.insert(conn, "training_course", courses)
    trainers, links = [], []
    for i in range(40):
        trainer = ctx.shared(
            name=f"Trainer {i:02d}",
            agency_id=rng.choice(agencies) if agencies else None,
            email=f"trainer{i:02d}@example.net",
            authorised_until=TODAY + timedelta(days=rng.randint(-200, 900)),
            active=True,
            notes="",
        )
        trainers.append(trainer)
        for course in rng.sample(courses, 6):
            links.append(ctx.shared(trainer_id=trainer["id"], course_id=course["id"]))
    total += ctx.insert(conn, "training_trainer", trainers)
    total += ctx.insert(conn, "training_trainer_course", links)
    roles, requirements = [], []
    needs: dict[str, list[str]] = {}
    for i in range(N_ROLES):
        agency = agencies[i % len(agencies)] if agencies else None
        role = ctx.shared(
            name=f"Role {i:02d} {ctx.words(1, 2)}",
            agency_id=agency,
            sector=rng.choice(("police", "housing", "health", "education", "other")),
            notes="",
        )
        roles.append(role)
        chosen = rng.sample(courses, rng.randint(5, 9))
        needs[role["id"]] = [c["id"] for c in chosen]
        for course in chosen:
            requirements.append(
                ctx.shared(role_id=role["id"], course_id=course["id"], level_id=None)
            )
        if i % 5 == 0:
            requirements.append(
                ctx.shared(role_id=role["id"], course_id=None, level_id=levels[2]["id"])
            )
    total += ctx.insert(conn, "training_role", roles)
    total += ctx.insert(conn, "training_requirement", requirements)
    trainees = []
    for i in range(ctx.n(N_TRAINEES)):
        role = roles[i % len(roles)]
        trainees.append(
            ctx.shared(
                name=f"{ctx.words(1, 1).capitalize()} {ctx.words(1, 1).capitalize()} {i:04d}",
                agency_id=role["agency_id"] or (agencies[0] if agencies else None),
                role_id=role["id"],
                email=f"person{i:05d}@example.org",
                active=rng.random() > 0.03,
                notes="",
            )
        )
    total += ctx.insert(conn, "training_trainee", trainees)
    n_sessions = max(1, ctx.n(N_ATTENDANCE) // PER_SESSION)
    span = (TODAY - first_offered).days
    sessions, attendance = [], []
    course_sessions: dict[str, list[dict]] = {}
    for k in range(n_sessions):
        course = courses[k % len(courses)]
        on = first_offered + timedelta(days=rng.randint(0, span + 60))
        session = ctx.shared(
            course_id=course["id"], session_date=on, venue="Synthetic venue", capacity=30, notes=""
        )
        sessions.append(session)
        course_sessions.setdefault(course["id"], []).append(session)
    by_trainee_need = [(t, needs[t["role_id"]]) for t in trainees]
    filled: dict[str, int] = {}
    while len(attendance) < ctx.n(N_ATTENDANCE):
        trainee, wanted = by_trainee_need[rng.randrange(len(by_trainee_need))]
        course_id = rng.choice(wanted) if rng.random() < 0.9 else rng.choice(courses)["id"]
        pool = course_sessions.get(course_id)
        if not pool:
            continue
        session = rng.choice(pool)
        if filled.get(session["id"], 0) >= 30:
            continue
        filled[session["id"]] = filled.get(session["id"], 0) + 1
        future = session["session_date"] > TODAY
        status = (
            "booked" if future else rng.choice(("attended",) * 8 + ("did not attend", "cancelled"))
        )
        attendance.append(
            ctx.shared(
                session_id=session["id"],
                trainee_id=trainee["id"],
                status=status,
                completed_on=session["session_date"] if status == "attended" else None,
                notes="",
            )
        )
    total += ctx.insert(conn, "training_session", sessions)
    total += ctx.insert(conn, "training_attendance", attendance)
    return total


def run(ctx) -> list[tuple[str, float | int, str]]:  # noqa: ANN001
    from PySide6.QtWidgets import QApplication
    from sqlalchemy import func, select

    from dvcoord.gui.app import create_application
    from dvcoord.reports import registry
    from dvcoord.reports.registry import ReportRequest
    from dvcoord.services import training as svc
    from dvcoord.store import Database
    from dvcoord.store.schema.training import Attendance, Course, Trainee

    app = QApplication.instance() or create_application()
    db = Database.open(ctx.large_db(), user="Bench", readonly=True, backup=False)
    figures: list[tuple[str, float | int, str]] = []
    try:
        with db.session() as s:
            n_trainees = s.scalar(select(func.count()).select_from(Trainee))
            n_courses = s.scalar(select(func.count()).select_from(Course))
            n_attendance = s.scalar(select(func.count()).select_from(Attendance))

        def matrix() -> None:
            with db.session() as s:
                svc.training_matrix(s, TODAY)

        figures.append(("training_matrix_ms", round(ctx.time_ms(matrix), 1), "ms"))

        from dvcoord.gui.training_matrix import MatrixPanel

        panel = MatrixPanel(None)
        panel.resize(1400, 900)
        panel.show()
        app.processEvents()
        cpu: list[float] = []

        def view() -> None:
            start = time.process_time()
            with db.session() as s:
                found = svc.training_matrix(s, TODAY)
            panel.set_matrix(found)
            panel.table.viewport().repaint()
            app.processEvents()
            cpu.append((time.process_time() - start) * 1000)

        figures.append(("training_matrix_view_ms", round(ctx.time_ms(view), 1), "ms"))
        figures.append(("training_matrix_view_cpu_ms", round(sorted(cpu)[len(cpu) // 2], 1), "ms"))

        def by_status() -> None:
            panel.set_status_filter("missing")
            panel.set_status_filter(None)

        figures.append(("training_matrix_filter_ms", round(ctx.time_ms(by_status) / 2, 1), "ms"))
        panel.close()
        panel.deleteLater()
        app.processEvents()

        out = ctx.tmp / "training-matrix.pdf"
        start, cpu_start = time.perf_counter(), time.process_time()
        registry.get("training-matrix").build(db, ReportRequest(out=out, today=TODAY))
        figures.append(("training_matrix_pdf_s", round(time.perf_counter() - start, 2), "s"))
        figures.append(
            ("training_matrix_pdf_cpu_s", round(time.process_time() - cpu_start, 2), "s")
        )
        figures.append(("training_matrix_pdf_pages", registry.page_count(out), "pages"))
        start = time.perf_counter()
        registry.get("training-compliance").build(
            db, ReportRequest(out=ctx.tmp / "training-compliance.pdf", today=TODAY)
        )
        figures.append(("training_compliance_pdf_s", round(time.perf_counter() - start, 2), "s"))

        def tiles() -> None:
            with db.session() as s:
                svc.dashboard_tiles(s, TODAY)

        figures.append(("training_dashboard_tiles_ms", round(ctx.time_ms(tiles), 1), "ms"))
        figures += [
            ("training_trainees", n_trainees, "trainees"),
            ("training_courses", n_courses, "courses"),
            ("training_attendance_rows", n_attendance, "rows"),
        ]
    finally:
        db.close()
    return figures


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run as runner

    raise SystemExit(runner.main(["--only", "training", *sys.argv[1:]]))
