"""Action plans: agencies, plans, change history, themes, aims, actions, lead and
supporting agencies, progress updates and milestones.

Enumerated values are stored as their text (see the ``*_VALUES`` tuples) so the file
stays readable and merges need no lookup tables; services validate them.
Target and due dates keep the words as written (``*_text``) beside what they were read
as (``*_kind``, ``*_start``, ``*_end``; see :mod:`dvcoord.services.dates`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dvcoord.store.base import Base, SharedMixin

SECTORS = (
    "police",
    "housing",
    "children's social care",
    "adult social care",
    "health",
    "probation",
    "education",
    "voluntary sector",
    "council",
    "courts",
    "other",
)
PLAN_STATUSES = ("draft", "approved", "archived")
ACTION_STATUSES = ("not started", "in progress", "complete", "ongoing", "deferred", "dropped")
MILESTONE_STATUSES = ("open", "complete", "dropped")
AGENCY_ROLES = ("lead", "support")
RAG_VALUES = ("R", "A", "G", "B")


class Agency(SharedMixin, Base):
    """A partner agency; shared by every plan (and by training, alarms, sanctuary)."""

    __tablename__ = "agency"

    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(60), default="")
    sector: Mapped[str] = mapped_column(String(40), default="other")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"Agency({self.name!r})"


class Plan(SharedMixin, Base):
    __tablename__ = "plan"

    title: Mapped[str] = mapped_column(String(500))
    partnership: Mapped[str] = mapped_column(String(300), default="")
    #: Financial years by their starting calendar year (2013 = 2013/14).
    strategy_from_fy: Mapped[int | None] = mapped_column(Integer, default=None)
    strategy_to_fy: Mapped[int | None] = mapped_column(Integer, default=None)
    plan_from_fy: Mapped[int | None] = mapped_column(Integer, default=None)
    plan_to_fy: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    version_label: Mapped[str] = mapped_column(String(40), default="1.0")
    #: JSON list of {"letter", "name", "meaning", "colour"}; empty = the database's key.
    rag_key: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    marking: Mapped[str] = mapped_column(String(30), default="OFFICIAL")
    description: Mapped[str] = mapped_column(Text, default="")
    #: The plan this one was copied forward from, if any.
    predecessor_id: Mapped[str | None] = mapped_column(
        ForeignKey("plan.id", ondelete="SET NULL"), default=None
    )

    themes: Mapped[list[Theme]] = relationship(
        back_populates="plan", order_by="Theme.position", lazy="selectin"
    )
    changes: Mapped[list[PlanChange]] = relationship(
        back_populates="plan", order_by="PlanChange.changed_on", lazy="selectin"
    )


class PlanChange(SharedMixin, Base):
    """A row of the plan's change history: version, date, editor, summary."""

    __tablename__ = "plan_change"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plan.id"), index=True)
    version: Mapped[str] = mapped_column(String(40), default="")
    changed_on: Mapped[date] = mapped_column(Date)
    editor: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[Plan] = relationship(back_populates="changes")


class Theme(SharedMixin, Base):
    """A theme, strand or section of a plan."""

    __tablename__ = "theme"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plan.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(500))
    key_objective: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[Plan] = relationship(back_populates="themes")
    aims: Mapped[list[Aim]] = relationship(
        back_populates="theme", order_by="Aim.position", lazy="selectin"
    )


class Aim(SharedMixin, Base):
    """Optional level under a theme: an aim, objective or a committee's recommendation."""

    __tablename__ = "aim"

    theme_id: Mapped[str] = mapped_column(ForeignKey("theme.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    reference: Mapped[str] = mapped_column(String(60), default="")
    text: Mapped[str] = mapped_column(Text, default="")

    theme: Mapped[Theme] = relationship(back_populates="aims")


class Action(SharedMixin, Base):
    __tablename__ = "action"
    __table_args__ = (Index("ix_action_plan_position", "plan_id", "theme_id", "position"),)

    plan_id: Mapped[str] = mapped_column(ForeignKey("plan.id"))
    theme_id: Mapped[str] = mapped_column(ForeignKey("theme.id"), index=True)
    aim_id: Mapped[str | None] = mapped_column(ForeignKey("aim.id"), default=None, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    reference: Mapped[str] = mapped_column(String(60), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    #: Lead / supporting agencies exactly as written in the source (kept when the
    #: words could not all be matched to known agencies).
    lead_text: Mapped[str] = mapped_column(Text, default="")
    target_text: Mapped[str] = mapped_column(Text, default="")
    target_kind: Mapped[str] = mapped_column(String(20), default="empty")
    target_start: Mapped[date | None] = mapped_column(Date, default=None)
    target_end: Mapped[date | None] = mapped_column(Date, default=None)
    outcomes: Mapped[str] = mapped_column(Text, default="")
    baseline: Mapped[str] = mapped_column(Text, default="")
    performance_measure: Mapped[str] = mapped_column(Text, default="")
    outputs: Mapped[str] = mapped_column(Text, default="")
    funding_source: Mapped[str] = mapped_column(Text, default="")
    cost_pence: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(20), default="not started")
    #: Current RAG letter ("" = not rated); kept in step with the latest update.
    rag: Mapped[str] = mapped_column(String(1), default="")
    #: The action of the previous year's plan this one was carried over from.
    carried_from_id: Mapped[str | None] = mapped_column(
        ForeignKey("action.id", ondelete="SET NULL"), default=None
    )

    agency_links: Mapped[list[ActionAgency]] = relationship(
        back_populates="action", order_by="ActionAgency.position", lazy="selectin"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="action", order_by="Milestone.position", lazy="select"
    )
    updates: Mapped[list[ProgressUpdate]] = relationship(
        back_populates="action",
        order_by="(ProgressUpdate.update_date, ProgressUpdate.created_at)",
        lazy="select",
    )


class ActionAgency(SharedMixin, Base):
    """An agency leading or supporting an action (many to many, with role)."""

    __tablename__ = "action_agency"

    action_id: Mapped[str] = mapped_column(ForeignKey("action.id"), index=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agency.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="lead")
    position: Mapped[int] = mapped_column(Integer, default=0)

    action: Mapped[Action] = relationship(back_populates="agency_links")
    agency: Mapped[Agency] = relationship(lazy="joined")


class ProgressUpdate(SharedMixin, Base):
    """A dated progress update from a partner, with the RAG at that date."""

    __tablename__ = "progress_update"
    __table_args__ = (Index("ix_progress_update_action_date", "action_id", "update_date"),)

    action_id: Mapped[str] = mapped_column(ForeignKey("action.id"))
    update_date: Mapped[date] = mapped_column(Date)
    author: Mapped[str] = mapped_column(String(200), default="")
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agency.id"), default=None)
    text: Mapped[str] = mapped_column(Text, default="")
    rag: Mapped[str] = mapped_column(String(1), default="")

    action: Mapped[Action] = relationship(back_populates="updates")


class Milestone(SharedMixin, Base):
    __tablename__ = "milestone"
    __table_args__ = (Index("ix_milestone_due", "due_end", "status"),)

    action_id: Mapped[str] = mapped_column(ForeignKey("action.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    due_text: Mapped[str] = mapped_column(Text, default="")
    due_kind: Mapped[str] = mapped_column(String(20), default="empty")
    due_start: Mapped[date | None] = mapped_column(Date, default=None)
    due_end: Mapped[date | None] = mapped_column(Date, default=None)
    completed_on: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[str] = mapped_column(String(20), default="open")

    action: Mapped[Action] = relationship(back_populates="milestones")
