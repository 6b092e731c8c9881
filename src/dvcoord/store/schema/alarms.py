"""Panic alarms: alarm types, the devices, loans to people at risk and each device's log.

A loan records the requesting *agency* and a *case reference* (the agency's own
pseudonymous id, e.g. ``WK-MARAC-2025-031``), never a name or an address.  Statuses,
log kinds and return conditions are stored as text (see the ``*_VALUES`` tuples);
:mod:`dvcoord.services.alarms` validates them and enforces the allowed transitions.

An alarm's asset tag is unique among live (not tombstoned) rows; the partial unique index
backs up the service's own check.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dvcoord.store.base import Base, SharedMixin
from dvcoord.store.schema.plans import Agency

ALARM_STATUSES = (
    "available",
    "issued",
    "awaiting return",
    "in repair",
    "faulty",
    "lost",
    "retired",
)
#: Statuses counted as "out of service" in the stock counts.
OUT_OF_SERVICE_STATUSES = ("in repair", "faulty", "lost")
LOG_KINDS = ("test", "battery change", "SIM change", "repair", "status change", "review")
TEST_RESULTS = ("pass", "fail")
RETURN_CONDITIONS = ("good", "damaged", "faulty", "not returned")
END_REASONS = (
    "no longer needed",
    "risk reduced",
    "moved out of area",
    "replaced by another alarm",
    "device faulty",
    "device lost",
    "other",
)


class AlarmType(SharedMixin, Base):
    """A kind of device: fixed home alarm, pendant, mobile handset with SIM, ..."""

    __tablename__ = "alarm_type"

    name: Mapped[str] = mapped_column(String(200))
    supplier: Mapped[str] = mapped_column(String(200), default="")
    monitoring_centre: Mapped[str] = mapped_column(String(200), default="")
    #: Days between routine tests (0 = not tested routinely).
    test_interval_days: Mapped[int] = mapped_column(Integer, default=90)
    #: Months a battery lasts (None = mains powered / not applicable).
    battery_life_months: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Whether devices of this type carry a SIM card / phone number.
    has_sim: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"AlarmType({self.name!r})"


class Alarm(SharedMixin, Base):
    """One device in the stock."""

    __tablename__ = "alarm"
    __table_args__ = (
        Index(
            "uq_alarm_asset_tag_live",
            "asset_tag",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("ix_alarm_status", "status"),
    )

    asset_tag: Mapped[str] = mapped_column(String(60))
    serial_number: Mapped[str] = mapped_column(String(100), default="")
    type_id: Mapped[str] = mapped_column(ForeignKey("alarm_type.id"), index=True)
    sim_number: Mapped[str] = mapped_column(String(40), default="")
    purchase_date: Mapped[date | None] = mapped_column(Date, default=None)
    warranty_end: Mapped[date | None] = mapped_column(Date, default=None)
    owner_agency_id: Mapped[str | None] = mapped_column(
        ForeignKey("agency.id"), default=None, index=True
    )
    storage_location: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="available")
    notes: Mapped[str] = mapped_column(Text, default="")

    alarm_type: Mapped[AlarmType] = relationship(lazy="joined")
    owner_agency: Mapped[Agency | None] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"Alarm({self.asset_tag!r}, {self.status!r})"


class Loan(SharedMixin, Base):
    """An alarm lent for a case.  Open while ``ended_date`` is empty."""

    __tablename__ = "alarm_loan"
    __table_args__ = (
        Index("ix_alarm_loan_alarm_issued", "alarm_id", "issued_date"),
        Index("ix_alarm_loan_open_review", "ended_date", "review_date"),
        Index("ix_alarm_loan_issued", "issued_date"),
    )

    alarm_id: Mapped[str] = mapped_column(ForeignKey("alarm.id"))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agency.id"), default=None, index=True)
    officer: Mapped[str] = mapped_column(String(200), default="")
    case_reference: Mapped[str] = mapped_column(String(60))
    marac: Mapped[bool] = mapped_column(Boolean, default=False)
    police_marker: Mapped[bool] = mapped_column(Boolean, default=False)
    police_marker_date: Mapped[date | None] = mapped_column(Date, default=None)
    issued_date: Mapped[date] = mapped_column(Date)
    installed_date: Mapped[date | None] = mapped_column(Date, default=None)
    review_date: Mapped[date] = mapped_column(Date)
    #: The day the device came back (empty if it never did, e.g. lost).
    returned_date: Mapped[date | None] = mapped_column(Date, default=None)
    #: The day the loan ended (returned, or reported lost); empty while open.
    ended_date: Mapped[date | None] = mapped_column(Date, default=None)
    return_condition: Mapped[str] = mapped_column(String(20), default="")
    end_reason: Mapped[str] = mapped_column(String(60), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    alarm: Mapped[Alarm] = relationship(lazy="joined")
    agency: Mapped[Agency | None] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.ended_date is None


class DeviceLogEntry(SharedMixin, Base):
    """A test, battery change, SIM change, repair, status change or review of a device."""

    __tablename__ = "alarm_log"
    __table_args__ = (Index("ix_alarm_log_alarm_kind_date", "alarm_id", "kind", "entry_date"),)

    alarm_id: Mapped[str] = mapped_column(ForeignKey("alarm.id"))
    loan_id: Mapped[str | None] = mapped_column(
        ForeignKey("alarm_loan.id"), default=None, index=True
    )
    entry_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    #: For tests: "pass" or "fail"; empty otherwise.
    result: Mapped[str] = mapped_column(String(10), default="")
    by_whom: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    cost_pence: Mapped[int | None] = mapped_column(Integer, default=None)

    alarm: Mapped[Alarm] = relationship()
