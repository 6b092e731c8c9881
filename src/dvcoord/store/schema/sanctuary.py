"""Sanctuary Scheme: cases, contractors, the hardware catalogue and its stock, the measures
fitted to each home and the follow-up visits.

A case records the referring *agency* and a *case reference* (the agency's own
pseudonymous id, e.g. ``SDC-SS-2025-014``), never a name.  Its location is the **postcode
district** only (``TN13``); the full ``address`` column stays empty unless the database's
setting ``sanctuary.address_enabled`` is on (see :mod:`dvcoord.services.sanctuary`), and
no report or export prints it unless asked to.  Enumerations are stored as text (see the
``*_VALUES`` tuples); the service validates them and the stage transitions.

Design choices (both for merging two copies of a file row by row):

* **Stage dates are columns of the case** (``assessed_on`` ... ``withdrawn_on``; the
  referral date is the first stage's).  A case's stage and the dates that got it there
  are one fact: in one row a merge takes them together (the newer version wins as a
  unit), so a merged file can never hold a stage without its date or a history that
  breaks the transition rules, and "referral to installation" or "waiting since" are
  plain column arithmetic with no GROUP BY over a history table.  Who moved a case and
  when is in the audit trail like every other change.
* **Stock on hand is derived from movement rows** (deliveries add, fittings from stock
  subtract, counts adjust), never kept as a balance.  Two offices that each fit from
  stock each add their own movement rows (new UUIDs); a merge brings both in and the sum
  is right on both sides.  A stored balance would be one row edited on both sides, and
  "newest wins" would silently lose one office's fittings.
* The catalogue items the service seeds and each item's :class:`StockLevel` get
  **deterministic ids** (UUIDv5 of the item kind / item id), so two databases seeded
  independently hold the *same* rows and merge without duplicates.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dvcoord.store.base import Base, SharedMixin
from dvcoord.store.schema.plans import Agency

#: Stages in the order a case normally goes through them.
MAIN_STAGES = (
    "referred",
    "assessed",
    "approved",
    "works ordered",
    "installed",
    "follow-up done",
    "closed",
)
#: Stages that end a case early.
END_STAGES = ("declined", "withdrawn")
STAGES = MAIN_STAGES + END_STAGES
#: Stages in which a case is still being worked on.
OPEN_STAGES = MAIN_STAGES[:-1]
RISK_LEVELS = ("standard", "medium", "high")
TENURES = ("council", "housing association", "private rented", "owner-occupier", "other")
#: Tenures where the landlord's permission is needed before works are ordered.
RENTED_TENURES = ("council", "housing association", "private rented")
PERMISSION_VALUES = ("", "requested", "given", "refused")
OUTCOMES = ("remained in home", "moved", "other")
ITEM_KINDS = (
    "reinforced door",
    "door chain",
    "door viewer",
    "additional lock",
    "window lock",
    "safe-room solid-core door",
    "fire-safe letterbox",
    "security light",
    "smoke alarm",
    "other",
)
MOVEMENT_KINDS = ("delivery", "fitted", "adjustment")

#: The stage column holding the date each stage was reached.
STAGE_DATE_COLUMNS = {
    "referred": "referral_date",
    "assessed": "assessed_on",
    "approved": "approved_on",
    "works ordered": "works_ordered_on",
    "installed": "installed_on",
    "follow-up done": "follow_up_on",
    "closed": "closed_on",
    "declined": "declined_on",
    "withdrawn": "withdrawn_on",
}


class SanctuaryCase(SharedMixin, Base):
    """One referral for a home, from referral to closure."""

    __tablename__ = "sanctuary_case"
    __table_args__ = (
        Index(
            "uq_sanctuary_case_reference_live",
            "reference",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index("ix_sanctuary_case_stage_referral", "stage", "referral_date"),
        Index("ix_sanctuary_case_referral", "referral_date"),
        Index("ix_sanctuary_case_installed", "installed_on"),
    )

    reference: Mapped[str] = mapped_column(String(60))
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agency.id"), default=None, index=True)
    referring_officer: Mapped[str] = mapped_column(String(200), default="")
    referral_date: Mapped[date] = mapped_column(Date)
    risk_level: Mapped[str] = mapped_column(String(20), default="standard")
    marac: Mapped[bool] = mapped_column(Boolean, default=False)
    tenure: Mapped[str] = mapped_column(String(30), default="other")
    landlord: Mapped[str] = mapped_column(String(200), default="")
    #: "", "requested", "given" or "refused".
    permission: Mapped[str] = mapped_column(String(20), default="")
    permission_requested_on: Mapped[date | None] = mapped_column(Date, default=None)
    #: The day permission was given or refused.
    permission_on: Mapped[date | None] = mapped_column(Date, default=None)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_on: Mapped[date | None] = mapped_column(Date, default=None)
    perpetrator_gone: Mapped[bool] = mapped_column(Boolean, default=False)
    perpetrator_gone_on: Mapped[date | None] = mapped_column(Date, default=None)
    survey_on: Mapped[date | None] = mapped_column(Date, default=None)
    survey_officer: Mapped[str] = mapped_column(String(200), default="")
    marker_placed: Mapped[bool] = mapped_column(Boolean, default=False)
    marker_on: Mapped[date | None] = mapped_column(Date, default=None)
    fire_check: Mapped[bool] = mapped_column(Boolean, default=False)
    fire_check_on: Mapped[date | None] = mapped_column(Date, default=None)
    stage: Mapped[str] = mapped_column(String(20), default="referred")
    assessed_on: Mapped[date | None] = mapped_column(Date, default=None)
    approved_on: Mapped[date | None] = mapped_column(Date, default=None)
    works_ordered_on: Mapped[date | None] = mapped_column(Date, default=None)
    installed_on: Mapped[date | None] = mapped_column(Date, default=None)
    follow_up_on: Mapped[date | None] = mapped_column(Date, default=None)
    closed_on: Mapped[date | None] = mapped_column(Date, default=None)
    declined_on: Mapped[date | None] = mapped_column(Date, default=None)
    withdrawn_on: Mapped[date | None] = mapped_column(Date, default=None)
    #: At closure: "remained in home", "moved" or "other".
    outcome: Mapped[str] = mapped_column(String(30), default="")
    #: Why a case was declined or withdrawn (free text, checked for addresses).
    end_reason: Mapped[str] = mapped_column(Text, default="")
    #: Outward code only, e.g. "TN13".
    postcode_district: Mapped[str] = mapped_column(String(4), default="")
    #: Full address: only written when the database's address setting is on.
    address: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    agency: Mapped[Agency | None] = relationship(lazy="joined")

    def stage_date(self, stage: str) -> date | None:
        return getattr(self, STAGE_DATE_COLUMNS[stage])

    def __repr__(self) -> str:  # no reference: repr may end up in a log
        return f"SanctuaryCase(stage={self.stage!r})"


class Contractor(SharedMixin, Base):
    """A firm that fits the measures."""

    __tablename__ = "sanctuary_contractor"

    name: Mapped[str] = mapped_column(String(200))
    trade: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"Contractor({self.name!r})"


class HardwareItem(SharedMixin, Base):
    """An entry of the hardware catalogue (one of :data:`ITEM_KINDS`, with a name)."""

    __tablename__ = "sanctuary_item"

    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    #: The usual price, to fill in a new measure (None: not known).
    usual_cost_pence: Mapped[int | None] = mapped_column(Integer, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    notes: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"HardwareItem({self.name!r})"


class StockLevel(SharedMixin, Base):
    """How an item is stocked: reorder level and supplier.  The quantity in store is the
    sum of the item's :class:`StockMovement` rows (see the module notes)."""

    __tablename__ = "sanctuary_stock_level"
    __table_args__ = (
        Index(
            "uq_sanctuary_stock_level_item_live",
            "item_id",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    item_id: Mapped[str] = mapped_column(ForeignKey("sanctuary_item.id"))
    reorder_level: Mapped[int] = mapped_column(Integer, default=0)
    supplier: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[HardwareItem] = relationship(lazy="joined")


class MeasureFitted(SharedMixin, Base):
    """Hardware fitted to a case's home: item, quantity, contractor, unit cost, date."""

    __tablename__ = "sanctuary_measure"
    __table_args__ = (
        Index("ix_sanctuary_measure_case", "case_id"),
        Index("ix_sanctuary_measure_fitted", "fitted_on"),
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("sanctuary_case.id"))
    item_id: Mapped[str] = mapped_column(ForeignKey("sanctuary_item.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    contractor_id: Mapped[str | None] = mapped_column(
        ForeignKey("sanctuary_contractor.id"), default=None, index=True
    )
    unit_cost_pence: Mapped[int] = mapped_column(Integer, default=0)
    fitted_on: Mapped[date] = mapped_column(Date)
    from_stock: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")

    item: Mapped[HardwareItem] = relationship(lazy="joined")
    contractor: Mapped[Contractor | None] = relationship(lazy="joined")

    @property
    def cost_pence(self) -> int:
        return self.quantity * self.unit_cost_pence


class StockMovement(SharedMixin, Base):
    """Hardware into or out of the store: a delivery (+), a fitting from stock (-, linked
    to its measure) or a count adjustment (+/-)."""

    __tablename__ = "sanctuary_stock_movement"
    __table_args__ = (Index("ix_sanctuary_stock_movement_item", "item_id", "moved_on"),)

    item_id: Mapped[str] = mapped_column(ForeignKey("sanctuary_item.id"))
    kind: Mapped[str] = mapped_column(String(20))
    #: Signed: deliveries positive, fittings negative.
    quantity: Mapped[int] = mapped_column(Integer)
    moved_on: Mapped[date] = mapped_column(Date)
    measure_id: Mapped[str | None] = mapped_column(
        ForeignKey("sanctuary_measure.id"), default=None, index=True
    )
    supplier: Mapped[str] = mapped_column(String(200), default="")
    #: For deliveries: the price paid per unit (None: not recorded).
    unit_cost_pence: Mapped[int | None] = mapped_column(Integer, default=None)
    notes: Mapped[str] = mapped_column(Text, default="")


class FollowUpVisit(SharedMixin, Base):
    """A visit after installation: are the measures working, is more needed?"""

    __tablename__ = "sanctuary_follow_up"
    __table_args__ = (Index("ix_sanctuary_follow_up_case", "case_id", "visit_on"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("sanctuary_case.id"))
    visit_on: Mapped[date] = mapped_column(Date)
    by_whom: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    further_work: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
