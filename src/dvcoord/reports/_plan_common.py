"""Pieces shared by the action-plan reports (action plan, progress, milestones, agency
return): how a request becomes report options, and the cells every one of them prints."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from dvcoord.reports import layout as L
from dvcoord.reports.registry import ReportKind, ReportRequest
from dvcoord.services.dates import format_date
from dvcoord.services.plan_reports import ActionRow, MilestoneRow

if TYPE_CHECKING:
    from dvcoord.store import Database

AREA = "Action plans"
#: Kinds of due date whose words already say when (a day or a month).
_PLAIN_KINDS = ("day", "month")


def options_for(
    db: Database,
    request: ReportRequest,
    kind: ReportKind,
    default_marking: str | None = None,
    partnership: str = "",
) -> L.ReportOptions:
    """Report options from a request: the marking asked for, else ``default_marking`` (the
    plan's own), else the kind's default (the database's, or OFFICIAL-SENSITIVE for kinds
    that can show case data)."""
    marking = request.marking or default_marking or kind.default_marking(db)
    try:
        parsed = L.Marking.parse(marking)
    except ValueError as exc:
        raise L.ReportError(str(exc)) from None
    return L.ReportOptions(
        marking=parsed,
        redact=request.redact,
        officer=request.officer or db.user,
        partnership=partnership or db.partnership,
    )


def today_of(request: ReportRequest) -> date:
    return request.today or date.today()


def free(text: str, options: L.ReportOptions) -> str:
    """Free text as a report prints it (case references withheld when redacting)."""
    return L.redact_text(text or "", options)


def target_cell(action: ActionRow) -> str:
    """The target date as written (an undated target's words kept)."""
    return (action.target_text or "").strip() or format_date(action.target_end)


def byline(action: ActionRow) -> str:
    """ "12/10/2026 (A. Officer)": the date of the latest update and who wrote it."""
    when = format_date(action.latest_update_date)
    who = (action.latest_update_author or "").strip()
    return f"{when} ({who})" if who else when


def progress_cell(
    action: ActionRow, options: L.ReportOptions, *, empty: str = "No progress reported yet."
) -> Any:
    """Progress to date: the latest update's date (and author) in bold, then its words."""
    if action.latest_update_date is None:
        return L.cell_text(empty, muted=True)
    words = free(action.latest_update_text, options) or "(RAG given, no text)"
    return L.cell_text(words, label=free(byline(action), options))


def milestone_due_cell(m: MilestoneRow) -> str:
    """When a milestone is due, as written, with the date it was read as if that differs."""
    written = (m.due_text or "").strip()
    if m.due_end is None:
        return written or "No date"
    if not written:
        return format_date(m.due_end)
    if m.due_kind in _PLAIN_KINDS:  # "March 2027", "31/03/2027": the words say it
        return written
    return f"{written}\n(by {format_date(m.due_end)})"
