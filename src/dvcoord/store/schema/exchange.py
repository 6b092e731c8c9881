"""Sharing files: the local log of merges (never merged itself).

Each row records one merge of a received file into this database: who merged, when,
from which database (its id and display name) and which file (its name only), how many
rows were added, changed or marked deleted, and two *marks* that later merges with the
same database use to tell which rows changed on each side since (see
:mod:`dvcoord.exchange.merge`):

* ``peer_mark``  – the newest ``updated_at`` of any shared row in the received file;
* ``local_mark`` – the newest ``updated_at`` of any shared row here right after the merge.

A shared copy (:mod:`dvcoord.exchange.share`) carries this log, so the receiver can see
what the sender last took from it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dvcoord.store.base import Base, UTCDateTime, utcnow


class MergeLog(Base):
    """One merge of a received file into this database.  Local: never merged."""

    __tablename__ = "merge_log"
    __local__ = True
    __table_args__ = (Index("ix_merge_log_peer", "peer_id", "merged_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[str] = mapped_column(String(200), default="")
    #: The database the rows came from: its id and display name, and the file's name.
    peer_id: Mapped[str] = mapped_column(String(36))
    peer_name: Mapped[str] = mapped_column(String(300), default="")
    file_name: Mapped[str] = mapped_column(String(300), default="")
    peer_revision: Mapped[str] = mapped_column(String(60), default="")
    peer_mark: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    local_mark: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    rows_deleted: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[int] = mapped_column(Integer, default=0)
    #: JSON object: table name -> {"new", "changed", "deleted", "conflicts", "left_out"},
    #: and "_copy_lineage": the merged file's copy points (see exchange.merge).
    details: Mapped[str] = mapped_column(Text, default="{}")
    backup_file: Mapped[str] = mapped_column(Text, default="")
