"""The BVPI 225 self-assessment, "Actions against domestic violence", per financial year.

A council answered eleven yes/no questions; its score is ``a / 11 × 100`` to one decimal
place (``a`` = the "yes" answers), worked out with :class:`~decimal.Decimal` and rounded
half up: 0/11 → 0.0, 5/11 → 45.5, 11/11 → 100.0.  A "yes" needs the goal fully met, so
each answer carries its evidence and the date of that evidence; a "yes" without evidence
is saved but comes back as a warning.

Two questions can be checked against dvcoord's own records, and the form shows what
those records say beside the officer's answer (never instead of it):

* **7, Sanctuary scheme**: the Sanctuary Scheme cases with measures installed in the
  financial year (and referrals received);
* **11, multi-agency training**: training attended in the twelve months up to the
  assessment date (or the year end, or today) by staff of housing, social services
  (children's or adult social care), education, health and the police.  A trainee's
  sector is their role's, else their agency's.  Two of the five sectors are needed.

An assessment and its answers have deterministic ids (the year, the question), so two
copies of a file merge answer by answer.  Every write validates first and raises
:class:`~dvcoord.errors.ValidationError` with the offending ``field``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dvcoord.errors import ValidationError
from dvcoord.services.dates import financial_year_of, format_date, fy_label, fy_range
from dvcoord.store.base import utcnow
from dvcoord.store.schema.indicators import ANSWERS, Bvpi225Answer, Bvpi225Assessment

__all__ = [
    "BVPI_SECTORS",
    "QUESTIONS",
    "AnswerInput",
    "AnswerView",
    "AssessmentView",
    "DataCheck",
    "Question",
    "SaveResult",
    "assessed_years",
    "assessment_view",
    "data_check",
    "delete_assessment",
    "get_assessment",
    "save_assessment",
    "score",
    "score_text",
    "score_tiles",
    "training_window",
]

_NAMESPACE = uuid.UUID("c4a1f2d0-7b3e-4e8a-a5d1-0f6b2e9c7d35")
MAX_EVIDENCE = 10_000
MIN_FY = 1990
MAX_FY = 2099


@dataclass(frozen=True)
class Question:
    number: int
    title: str  # short, for tables
    text: str  # the question as asked


QUESTIONS: tuple[Question, ...] = (
    Question(
        1,
        "Directory of local services",
        "Does the council have a directory of the local services that help people affected "
        "by domestic violence, kept up to date and available to the public and to partner "
        "agencies?",
    ),
    Question(
        2,
        "Refuge places",
        "Is there at least one refuge place for every 10,000 people living in the council's "
        "area, provided or funded by the council or its partners?",
    ),
    Question(
        3,
        "Domestic violence co-ordinator",
        "Does the council employ, or contribute to the funding of, a domestic violence "
        "co-ordinator (or an equivalent post)?",
    ),
    Question(
        4,
        "Multi-agency strategy",
        "Has the council adopted a multi-agency strategy to tackle domestic violence, "
        "agreed with its partner agencies?",
    ),
    Question(
        5,
        "Multi-agency forum",
        "Does the council support a multi-agency domestic violence forum that meets at "
        "least four times a year?",
    ),
    Question(
        6,
        "Information-sharing protocol",
        "Has an information-sharing protocol on domestic violence been agreed between the "
        "council and its key statutory partners (police, health, probation, children's and "
        "adult services)?",
    ),
    Question(
        7,
        "Sanctuary scheme",
        "Does the council run a Sanctuary-type scheme, so that people at risk of domestic "
        "violence can choose to stay safely in their own homes, whatever the tenure?",
    ),
    Question(
        8,
        "Repeat homelessness reduced",
        "Has the council reduced, compared with the previous year, the number of repeat "
        "homelessness acceptances that are due to domestic violence?",
    ),
    Question(
        9,
        "Tenancy-agreement clause",
        "Do the council's tenancy agreements include a clause that makes domestic violence "
        "by the tenant grounds for eviction?",
    ),
    Question(
        10,
        "Education pack for schools",
        "Has the council funded, or contributed to, a domestic violence education pack or "
        "programme for the schools in its area?",
    ),
    Question(
        11,
        "Multi-agency training",
        "In the last twelve months, has the council run or supported multi-agency domestic "
        "violence training for front-line and managerial staff in at least two of: housing, "
        "social services, education, health and the police?",
    ),
)
N_QUESTIONS = len(QUESTIONS)
_BY_NUMBER = {q.number: q for q in QUESTIONS}

#: dvcoord's agency/role sectors -> the five sectors of question 11.
BVPI_SECTORS: dict[str, str] = {
    "housing": "housing",
    "children's social care": "social services",
    "adult social care": "social services",
    "education": "education",
    "health": "health",
    "police": "police",
}
SECTOR_ORDER = ("housing", "social services", "education", "health", "police")


# --------------------------------------------------------------------------- score
def score(yes: int) -> Decimal:
    """``yes / 11 × 100`` to one decimal place, rounded half up."""
    if isinstance(yes, bool) or not isinstance(yes, int) or not 0 <= yes <= N_QUESTIONS:
        raise ValueError(f"the number of yes answers is 0 to {N_QUESTIONS}, not {yes!r}")
    return (Decimal(yes) * 100 / N_QUESTIONS).quantize(Decimal("0.1"), ROUND_HALF_UP)


def score_text(yes: int) -> str:
    return str(score(yes))


# --------------------------------------------------------------------------- ids
def assessment_id(fy: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"assessment:{fy}"))


def answer_id(assessment: str, question: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"answer:{assessment}:{question}"))


# --------------------------------------------------------------------------- data checks
@dataclass(frozen=True)
class DataCheck:
    """What dvcoord's own records say about a question."""

    question: int
    #: "yes", "no", or "" when dvcoord holds no records of that kind.
    suggests: str
    text: str
    details: tuple[str, ...] = ()

    def disagrees_with(self, answer: str) -> bool:
        return bool(self.suggests and answer and answer != self.suggests)


def _module_present(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _check_sanctuary(session: Session, fy: int) -> DataCheck:
    if not _module_present("dvcoord.store.schema.sanctuary"):
        return DataCheck(7, "", "This dvcoord does not hold Sanctuary Scheme records.")
    from dvcoord.store.schema.sanctuary import SanctuaryCase

    start, end = fy_range(fy)
    live = SanctuaryCase.deleted_at.is_(None)
    installed = session.scalar(
        select(func.count()).where(live, SanctuaryCase.installed_on.between(start, end))
    )
    referred = session.scalar(
        select(func.count()).where(live, SanctuaryCase.referral_date.between(start, end))
    )
    installed, referred = int(installed or 0), int(referred or 0)
    year = fy_label(fy)
    if installed:
        return DataCheck(
            7,
            "yes",
            f"{_plural(installed, 'home')} had Sanctuary measures installed in {year} "
            f"({_plural(referred, 'referral')} received).",
        )
    if referred:
        return DataCheck(
            7,
            "no",
            f"No Sanctuary installation is recorded in {year}, though "
            f"{_plural(referred, 'referral was', 'referrals were')} received.",
        )
    return DataCheck(7, "no", f"No Sanctuary Scheme case is recorded in {year}.")


def training_window(fy: int, assessed_on: date | None, today: date) -> tuple[date, date]:
    """The twelve months question 11 looks at: up to the assessment date, else the end of
    the financial year (or today, if the year is not over)."""
    end = assessed_on or min(fy_range(fy)[1], today)
    try:
        start = end.replace(year=end.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        start = date(end.year - 1, 3, 1)
    return start, end


def _check_training(session: Session, fy: int, assessed_on: date | None, today: date) -> DataCheck:
    if not _module_present("dvcoord.store.schema.training"):
        return DataCheck(11, "", "This dvcoord does not hold training records.")
    from dvcoord.store.schema.plans import Agency
    from dvcoord.store.schema.training import Attendance, StaffRole, Trainee, TrainingSession

    start, end = training_window(fy, assessed_on, today)
    sector = func.coalesce(StaffRole.sector, Agency.sector)
    rows = session.execute(
        select(sector, Attendance.trainee_id, Attendance.session_id, Trainee.agency_id)
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .join(Trainee, Trainee.id == Attendance.trainee_id)
        .join(Agency, Agency.id == Trainee.agency_id)
        .outerjoin(StaffRole, (StaffRole.id == Trainee.role_id) & StaffRole.deleted_at.is_(None))
        .where(
            Attendance.deleted_at.is_(None),
            Attendance.status == "attended",
            TrainingSession.deleted_at.is_(None),
            Trainee.deleted_at.is_(None),
            TrainingSession.session_date.between(start, end),
        )
    ).all()
    people: dict[str, set[str]] = {}
    sessions: set[str] = set()
    agencies: set[str] = set()
    for sec, trainee, sess, agency in rows:
        bvpi = BVPI_SECTORS.get(sec or "")
        if bvpi is None:
            continue
        people.setdefault(bvpi, set()).add(trainee)
        sessions.add(sess)
        agencies.add(agency)
    window = f"the twelve months to {format_date(end)}"
    covered = [s for s in SECTOR_ORDER if s in people]
    details = tuple(
        f"{s.capitalize()}: {_plural(len(people[s]), 'person', 'people')}" for s in covered
    )
    if not covered:
        return DataCheck(
            11,
            "no",
            f"No training attended by staff of housing, social services, education, health "
            f"or the police is recorded in {window}.",
        )
    listing = ", ".join(f"{s} ({len(people[s]):,})" for s in covered)
    if len(covered) == 1:
        return DataCheck(
            11,
            "no",
            f"In {window}, training was attended only by staff from {listing}: 1 of the 5 "
            "sectors, and two are needed.",
            details,
        )
    return DataCheck(
        11,
        "yes",
        f"In {window}, {_plural(len(sessions), 'training session')} were attended by staff "
        f"of {_plural(len(agencies), 'agency', 'agencies')} from {listing}: "
        f"{len(covered)} of the 5 sectors. (Whether they were front-line and managerial "
        "staff is for you to judge.)",
        details,
    )


def data_check(
    session: Session, question: int, fy: int, *, assessed_on: date | None, today: date
) -> DataCheck | None:
    """What dvcoord's records say about question 7 or 11 (None for the others)."""
    if question == 7:
        return _check_sanctuary(session, fy)
    if question == 11:
        return _check_training(session, fy, assessed_on, today)
    return None


# --------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class AnswerView:
    question: Question
    answer: str  # "yes", "no" or ""
    evidence: str
    evidence_date: date | None
    data: DataCheck | None = None

    @property
    def answer_label(self) -> str:
        return {"yes": "Yes", "no": "No"}.get(self.answer, "Not answered")

    @property
    def disagrees(self) -> bool:
        return self.data is not None and self.data.disagrees_with(self.answer)


@dataclass(frozen=True)
class AssessmentView:
    financial_year: int
    exists: bool
    officer: str
    assessed_on: date | None
    notes: str
    answers: list[AnswerView]

    @property
    def label(self) -> str:
        return fy_label(self.financial_year)

    @property
    def yes_count(self) -> int:
        return sum(1 for a in self.answers if a.answer == "yes")

    @property
    def answered(self) -> int:
        return sum(1 for a in self.answers if a.answer)

    @property
    def score(self) -> Decimal:
        return score(self.yes_count)


def _get(session: Session, fy: int) -> Bvpi225Assessment | None:
    row = session.get(Bvpi225Assessment, assessment_id(fy))
    if row is not None and row.deleted_at is None:
        return row
    return session.scalars(
        select(Bvpi225Assessment).where(
            Bvpi225Assessment.financial_year == fy, Bvpi225Assessment.deleted_at.is_(None)
        )
    ).first()


def get_assessment(session: Session, fy: int) -> Bvpi225Assessment | None:
    """The year's live assessment, or None."""
    _check_fy(fy)
    return _get(session, fy)


def assessment_view(session: Session, fy: int, today: date) -> AssessmentView:
    """The year's assessment (blank answers when there is none yet) with the data checks."""
    _check_fy(fy)
    row = _get(session, fy)
    stored: dict[int, Bvpi225Answer] = {}
    if row is not None:
        for a in session.scalars(
            select(Bvpi225Answer).where(
                Bvpi225Answer.assessment_id == row.id, Bvpi225Answer.deleted_at.is_(None)
            )
        ):
            stored[a.question] = a
    assessed_on = row.assessed_on if row is not None else None
    answers = []
    for q in QUESTIONS:
        a = stored.get(q.number)
        answers.append(
            AnswerView(
                q,
                a.answer if a else "",
                a.evidence if a else "",
                a.evidence_date if a else None,
                data_check(session, q.number, fy, assessed_on=assessed_on, today=today),
            )
        )
    return AssessmentView(
        financial_year=fy,
        exists=row is not None,
        officer=row.officer if row is not None else "",
        assessed_on=assessed_on,
        notes=row.notes if row is not None else "",
        answers=answers,
    )


def assessed_years(session: Session) -> list[tuple[int, int]]:
    """``(financial year, yes answers)`` of every assessment, newest first."""
    yes = (
        select(func.count())
        .where(
            Bvpi225Answer.assessment_id == Bvpi225Assessment.id,
            Bvpi225Answer.deleted_at.is_(None),
            Bvpi225Answer.answer == "yes",
        )
        .scalar_subquery()
    )
    return [
        (int(fy), int(n))
        for fy, n in session.execute(
            select(Bvpi225Assessment.financial_year, yes)
            .where(Bvpi225Assessment.deleted_at.is_(None))
            .order_by(Bvpi225Assessment.financial_year.desc())
        )
    ]


# --------------------------------------------------------------------------- writing
@dataclass(frozen=True)
class AnswerInput:
    question: int
    answer: str = ""  # "yes", "no" or ""
    evidence: str = ""
    evidence_date: date | None = None


@dataclass(frozen=True)
class SaveResult:
    assessment: Bvpi225Assessment
    yes_count: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def score(self) -> Decimal:
        return score(self.yes_count)


def _check_fy(fy: int) -> None:
    if isinstance(fy, bool) or not isinstance(fy, int) or not MIN_FY <= fy <= MAX_FY:
        raise ValidationError(
            f"Choose a financial year between {fy_label(MIN_FY)} and {fy_label(MAX_FY)}.",
            field="financial_year",
        )


def _check_date(value: date | None, today: date, field_name: str, label: str) -> None:
    if value is not None and value > today:
        raise ValidationError(
            f"{label} ({format_date(value)}) cannot be in the future.", field=field_name
        )


def save_assessment(
    session: Session,
    fy: int,
    *,
    answers: Sequence[AnswerInput],
    officer: str = "",
    assessed_on: date | None = None,
    notes: str = "",
    today: date | None = None,
) -> SaveResult:
    """Create or replace the year's assessment and its answers (one unit of work).

    Fields in errors: ``financial_year``, ``officer``, ``assessed_on``, ``notes``,
    ``q<n>.answer``, ``q<n>.evidence``, ``q<n>.evidence_date``.
    """
    today = today or date.today()
    _check_fy(fy)
    officer = " ".join((officer or "").split())
    if len(officer) > 200:
        raise ValidationError(
            "The officer's name must be 200 characters or fewer.", field="officer"
        )
    _check_date(assessed_on, today, "assessed_on", "The assessment date")
    if assessed_on is not None and assessed_on < fy_range(fy)[0]:
        raise ValidationError(
            f"An assessment of {fy_label(fy)} cannot be dated before the year began "
            f"({format_date(fy_range(fy)[0])}).",
            field="assessed_on",
        )
    notes = (notes or "").strip()
    if len(notes) > MAX_EVIDENCE:
        raise ValidationError("The notes are too long.", field="notes")
    by_question: dict[int, AnswerInput] = {}
    for a in answers:
        if a.question not in _BY_NUMBER:
            raise ValidationError(
                f"BVPI 225 has questions 1 to {N_QUESTIONS}; there is no question {a.question}.",
                field="question",
            )
        if a.question in by_question:
            raise ValidationError(
                f"Question {a.question} is answered twice.", field=f"q{a.question}.answer"
            )
        answer = (a.answer or "").strip().lower()
        if answer not in ANSWERS and answer != "":
            raise ValidationError(
                f"Answer question {a.question} with yes or no, not '{a.answer}'.",
                field=f"q{a.question}.answer",
            )
        evidence = (a.evidence or "").strip()
        if len(evidence) > MAX_EVIDENCE:
            raise ValidationError(
                f"The evidence for question {a.question} is {len(evidence):,} characters long; "
                f"the limit is {MAX_EVIDENCE:,}.",
                field=f"q{a.question}.evidence",
            )
        _check_date(
            a.evidence_date,
            today,
            f"q{a.question}.evidence_date",
            f"The evidence date of question {a.question}",
        )
        by_question[a.question] = AnswerInput(a.question, answer, evidence, a.evidence_date)

    row = _get(session, fy)
    if row is None:
        row = session.get(Bvpi225Assessment, assessment_id(fy))
        if row is None:
            row = Bvpi225Assessment(id=assessment_id(fy), financial_year=fy)
            session.add(row)
        else:
            row.deleted_at = None
    for key, value in (("officer", officer), ("assessed_on", assessed_on), ("notes", notes)):
        if getattr(row, key) != value:
            setattr(row, key, value)
    session.flush()
    existing = {
        a.question: a
        for a in session.scalars(select(Bvpi225Answer).where(Bvpi225Answer.assessment_id == row.id))
    }
    warnings = []
    for q in QUESTIONS:
        given = by_question.get(q.number)
        current = existing.get(q.number)
        if given is None:
            continue
        values = {
            "answer": given.answer,
            "evidence": given.evidence,
            "evidence_date": given.evidence_date,
        }
        if current is None:
            session.add(
                Bvpi225Answer(
                    id=answer_id(row.id, q.number),
                    assessment_id=row.id,
                    question=q.number,
                    **values,
                )
            )
        else:
            for key, value in values.items():
                if getattr(current, key) != value:
                    setattr(current, key, value)
            if current.deleted_at is not None:
                current.deleted_at = None
        if given.answer == "yes" and not given.evidence:
            warnings.append(f"Question {q.number} is answered yes without any evidence.")
    previous = session.info.get("audit_note", "")
    session.info["audit_note"] = "BVPI 225 self-assessment saved"
    try:
        session.flush()
    finally:
        session.info["audit_note"] = previous
    yes = session.scalar(
        select(func.count()).where(
            Bvpi225Answer.assessment_id == row.id,
            Bvpi225Answer.deleted_at.is_(None),
            Bvpi225Answer.answer == "yes",
        )
    )
    return SaveResult(row, int(yes or 0), tuple(warnings))


def delete_assessment(session: Session, fy: int) -> bool:
    """Tombstone the year's assessment and its answers; False if there was none."""
    _check_fy(fy)
    row = _get(session, fy)
    if row is None:
        return False
    when = utcnow()
    for a in session.scalars(
        select(Bvpi225Answer).where(
            Bvpi225Answer.assessment_id == row.id, Bvpi225Answer.deleted_at.is_(None)
        )
    ):
        a.deleted_at = when
    row.deleted_at = when
    session.flush()
    return True


# --------------------------------------------------------------------------- dashboard
def score_tiles(session: Session, today: date, *, force: bool = False) -> list:
    """The BVPI 225 score of the current financial year (called by the indicators'
    dashboard tiles: shown once any indicator or any assessment exists)."""
    from dvcoord.services.dashboard import Tile

    years = assessed_years(session)
    if not years and not force:
        return []
    fy = financial_year_of(today)
    current = next((n for y, n in years if y == fy), None)
    earlier = next(((y, n) for y, n in years if y < fy), None)
    if current is not None:
        view = assessment_view(session, fy, today)
        flagged = [a for a in view.answers if a.disagrees]
        detail = f"{current} of {N_QUESTIONS} questions answered yes"
        if view.assessed_on:
            detail += f"; assessed {format_date(view.assessed_on)}"
        lines = [f"{fy_label(y)}: {score_text(n)}" for y, n in years if y < fy][:3]
        lines += [
            f"Question {a.question.number}: your answer is {a.answer_label.lower()}, "
            f"dvcoord's records suggest {a.data.suggests}"
            for a in flagged
            if a.data is not None
        ]
        return [
            Tile(
                key="indicators.bvpi225",
                area="Performance",
                title=f"BVPI 225 score {fy_label(fy)}",
                value=score_text(current),
                detail=detail,
                severity="warning" if flagged else "info",
                view="indicators",
                order=15,
                lines=tuple(lines),
            )
        ]
    detail = f"Not yet assessed for {fy_label(fy)}"
    if earlier is not None:
        detail += f"; {fy_label(earlier[0])} scored {score_text(earlier[1])}"
    return [
        Tile(
            key="indicators.bvpi225",
            area="Performance",
            title=f"BVPI 225 score {fy_label(fy)}",
            value="\u2013",
            detail=detail,
            severity="warning",
            view="indicators",
            order=15,
        )
    ]
