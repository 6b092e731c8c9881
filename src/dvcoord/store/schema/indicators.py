"""Performance indicators (definitions, targets, values, links to plan actions) and the
BVPI 225 self-assessment.

An indicator is reported per period of its cadence: a month (period key ``"2013-04"``),
a financial-year quarter (``"2013/14 Q2"``) or a financial year (``"2013/14"``).  Keys,
their parsing and every rule about them live in :mod:`dvcoord.services.indicators`;
``period_start``/``period_end`` are derived from the key there, so that reports can
pick the periods of a date range with an index.

Numbers are held exactly as **hundredths** in integer columns (``value_hundredths``):
51.2% is 5120, 17 referrals are 1700, 23.5 days are 2350, and money is pence
(£1,234.50 is 123450), so money stays in integer pence like everywhere in dvcoord.

A *computed* indicator (``computed_key`` set, e.g. ``"alarms.issued"``) has no stored
values: dvcoord works them out per period from its own records.  Its targets are stored
like any other's.

Design choice for merging two copies of a file row by row: values, targets, action
links, BVPI 225 assessments and answers, and computed indicators have **deterministic
ids** (UUIDv5 of what makes them unique: indicator and period, financial year and
question, ...).  Two offices that each type the 2013/14 Q2 figure of one indicator
write the *same* row, so a merge sees one row edited on both sides (newest wins, the
other version kept in the audit trail) instead of two rows that break a uniqueness rule.
Enumerations are stored as text (the ``*_VALUES`` tuples); the services validate them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dvcoord.store.base import Base, SharedMixin
from dvcoord.store.schema.plans import Agency

UNITS = ("count", "percentage", "money", "days")
DIRECTIONS = ("higher", "lower")
PERIODS = ("month", "quarter", "financial year")
ANSWERS = ("yes", "no")


class Indicator(SharedMixin, Base):
    """A figure the partnership tracks against targets."""

    __tablename__ = "indicator"
    __table_args__ = (
        Index(
            "uq_indicator_computed_live",
            "computed_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND computed_key IS NOT NULL"),
        ),
    )

    #: A short reference ("NI 32", "KPI 4"); may be empty.
    code: Mapped[str] = mapped_column(String(30), default="")
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(20), default="count")
    #: "higher" or "lower" is better.
    direction: Mapped[str] = mapped_column(String(10), default="higher")
    #: "month", "quarter" or "financial year".
    period: Mapped[str] = mapped_column(String(20), default="quarter")
    data_source: Mapped[str] = mapped_column(String(300), default="")
    owner_agency_id: Mapped[str | None] = mapped_column(
        ForeignKey("agency.id"), default=None, index=True
    )
    #: Key of the calculation for a computed indicator (None: values are typed in).
    computed_key: Mapped[str | None] = mapped_column(String(60), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    owner_agency: Mapped[Agency | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"Indicator({self.name!r})"


class IndicatorTarget(SharedMixin, Base):
    """The local target (and optionally the national figure) for one period."""

    __tablename__ = "indicator_target"
    __table_args__ = (
        Index(
            "uq_indicator_target_period_live",
            "indicator_id",
            "period_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    indicator_id: Mapped[str] = mapped_column(ForeignKey("indicator.id"))
    period_key: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    #: Hundredths (pence for money); None: no local target, only a national figure.
    target_hundredths: Mapped[int | None] = mapped_column(Integer, default=None)
    national_hundredths: Mapped[int | None] = mapped_column(Integer, default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class IndicatorValue(SharedMixin, Base):
    """What was achieved in one period."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        Index(
            "uq_indicator_value_period_live",
            "indicator_id",
            "period_key",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("ix_indicator_value_indicator_start", "indicator_id", "period_start"),
    )

    indicator_id: Mapped[str] = mapped_column(ForeignKey("indicator.id"))
    period_key: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    #: Hundredths (pence for money).
    value_hundredths: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")


class IndicatorAction(SharedMixin, Base):
    """An indicator that measures (part of) an action of a plan."""

    __tablename__ = "indicator_action"
    __table_args__ = (
        Index(
            "uq_indicator_action_pair_live",
            "indicator_id",
            "action_id",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    indicator_id: Mapped[str] = mapped_column(ForeignKey("indicator.id"))
    action_id: Mapped[str] = mapped_column(ForeignKey("action.id"), index=True)


class Bvpi225Assessment(SharedMixin, Base):
    """The council's BVPI 225 self-assessment for one financial year."""

    __tablename__ = "bvpi225_assessment"
    __table_args__ = (
        Index(
            "uq_bvpi225_assessment_year_live",
            "financial_year",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    #: Financial year by its starting calendar year (2013 = 2013/14).
    financial_year: Mapped[int] = mapped_column(Integer)
    officer: Mapped[str] = mapped_column(String(200), default="")
    assessed_on: Mapped[date | None] = mapped_column(Date, default=None)
    notes: Mapped[str] = mapped_column(Text, default="")


class Bvpi225Answer(SharedMixin, Base):
    """The answer to one of the eleven questions, with its evidence."""

    __tablename__ = "bvpi225_answer"
    __table_args__ = (
        Index(
            "uq_bvpi225_answer_question_live",
            "assessment_id",
            "question",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    assessment_id: Mapped[str] = mapped_column(ForeignKey("bvpi225_assessment.id"))
    #: 1 to 11.
    question: Mapped[int] = mapped_column(Integer)
    #: "yes", "no" or "" (not answered yet).
    answer: Mapped[str] = mapped_column(String(3), default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    evidence_date: Mapped[date | None] = mapped_column(Date, default=None)
