"""Training: course levels and topics, courses, trainers, staff roles and what each role
needs, trainees (staff, not victims), sessions and who attended them.

Trainees are professionals, so their names are stored (an e-mail address is optional).
The training matrix (each trainee x required course: done, expiring, expired or missing)
is *derived* by :mod:`dvcoord.services.training` from attendance; nothing of it is stored.

Enumerations (delivery modes, attendance statuses) are stored as text; the service
validates them.  Every table carries the shared-row mixin, so copies of a database merge
row by row.  Default levels and topics are added by the service (``seed_default_lists``),
never by the migration.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dvcoord.store.base import Base, SharedMixin
from dvcoord.store.schema.plans import Agency

DELIVERY_MODES = ("classroom", "e-learning", "webinar")
ATTENDANCE_STATUSES = ("booked", "attended", "did not attend", "cancelled")
#: Statuses that hold a place on a session (cancelled frees it).
PLACE_STATUSES = ("booked", "attended", "did not attend")


class CourseLevel(SharedMixin, Base):
    """A level of training: 1 awareness, 2 risk identification (DASH), 3 MARAC and
    specialist practice.  An editable list."""

    __tablename__ = "training_level"

    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"CourseLevel({self.number}, {self.name!r})"


class Topic(SharedMixin, Base):
    """A topic of the partnership's training (twelve by default)."""

    __tablename__ = "training_topic"

    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"Topic({self.name!r})"


class Course(SharedMixin, Base):
    """A course a trainee can attend; ``refresher_months`` None = never goes stale."""

    __tablename__ = "training_course"

    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    topic_id: Mapped[str | None] = mapped_column(
        ForeignKey("training_topic.id"), default=None, index=True
    )
    level_id: Mapped[str] = mapped_column(ForeignKey("training_level.id"), index=True)
    provider: Mapped[str] = mapped_column(String(200), default="")
    duration_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    delivery: Mapped[str] = mapped_column(String(20), default="classroom")
    refresher_months: Mapped[int | None] = mapped_column(Integer, default=None)
    #: The first day the course was offered: no session or attendance can be earlier.
    offered_from: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    level: Mapped[CourseLevel] = relationship(lazy="joined")
    topic: Mapped[Topic | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"Course({self.code!r}, {self.title!r})"


class Trainer(SharedMixin, Base):
    """Someone authorised to deliver some courses, until a date."""

    __tablename__ = "training_trainer"

    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agency.id"), default=None, index=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    authorised_until: Mapped[date | None] = mapped_column(Date, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    agency: Mapped[Agency | None] = relationship(lazy="joined")


class TrainerCourse(SharedMixin, Base):
    """A course a trainer is authorised to deliver."""

    __tablename__ = "training_trainer_course"
    __table_args__ = (Index("ix_training_trainer_course_pair", "trainer_id", "course_id"),)

    trainer_id: Mapped[str] = mapped_column(ForeignKey("training_trainer.id"))
    course_id: Mapped[str] = mapped_column(ForeignKey("training_course.id"), index=True)


class StaffRole(SharedMixin, Base):
    """A staff group or role ("Housing options officer"); ``agency_id`` None = a role
    found in any agency of its sector."""

    __tablename__ = "training_role"

    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agency.id"), default=None, index=True)
    sector: Mapped[str] = mapped_column(String(40), default="other")
    notes: Mapped[str] = mapped_column(Text, default="")

    agency: Mapped[Agency | None] = relationship(lazy="joined")


class RoleRequirement(SharedMixin, Base):
    """A role needs a course, or any course of a level (exactly one of the two)."""

    __tablename__ = "training_requirement"

    role_id: Mapped[str] = mapped_column(ForeignKey("training_role.id"), index=True)
    course_id: Mapped[str | None] = mapped_column(
        ForeignKey("training_course.id"), default=None, index=True
    )
    level_id: Mapped[str | None] = mapped_column(
        ForeignKey("training_level.id"), default=None, index=True
    )


class Trainee(SharedMixin, Base):
    """A member of staff (never a victim) whose training is tracked."""

    __tablename__ = "training_trainee"
    __table_args__ = (Index("ix_training_trainee_agency_name", "agency_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    agency_id: Mapped[str] = mapped_column(ForeignKey("agency.id"))
    role_id: Mapped[str | None] = mapped_column(
        ForeignKey("training_role.id"), default=None, index=True
    )
    email: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    agency: Mapped[Agency] = relationship(lazy="joined")
    role: Mapped[StaffRole | None] = relationship(lazy="joined")


class TrainingSession(SharedMixin, Base):
    """One delivery of a course on a day."""

    __tablename__ = "training_session"
    __table_args__ = (Index("ix_training_session_course_date", "course_id", "session_date"),)

    course_id: Mapped[str] = mapped_column(ForeignKey("training_course.id"))
    session_date: Mapped[date] = mapped_column(Date, index=True)
    venue: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=20)
    notes: Mapped[str] = mapped_column(Text, default="")

    course: Mapped[Course] = relationship(lazy="joined")


class SessionTrainer(SharedMixin, Base):
    """A trainer delivering a session."""

    __tablename__ = "training_session_trainer"

    session_id: Mapped[str] = mapped_column(ForeignKey("training_session.id"), index=True)
    trainer_id: Mapped[str] = mapped_column(ForeignKey("training_trainer.id"), index=True)


class Attendance(SharedMixin, Base):
    """A trainee booked on a session, and what happened: attended, did not attend or
    cancelled.  ``completed_on`` is set when attended (the session date unless given)."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        Index("ix_training_attendance_session", "session_id", "trainee_id"),
        # covers the matrix's grouped scan of every trainee's completions
        Index(
            "ix_training_attendance_trainee",
            "trainee_id",
            "status",
            "session_id",
            "completed_on",
            "deleted_at",
        ),
    )

    session_id: Mapped[str] = mapped_column(ForeignKey("training_session.id"))
    trainee_id: Mapped[str] = mapped_column(ForeignKey("training_trainee.id"))
    status: Mapped[str] = mapped_column(String(20), default="booked")
    completed_on: Mapped[date | None] = mapped_column(Date, default=None)
    notes: Mapped[str] = mapped_column(Text, default="")

    session: Mapped[TrainingSession] = relationship(lazy="joined")
    trainee: Mapped[Trainee] = relationship(lazy="joined")
