"""Undoable edits of action plans: every change made in the plan views is one
:class:`ServiceCommand` on the window's shared :class:`~PySide6.QtGui.QUndoStack`.

A command's three steps each call the services in one transaction:

* ``do`` - the first time (the user's edit).  It runs *before* the command is pushed,
  so a :class:`~dvcoord.errors.ValidationError` reaches the form (shown at the field)
  and nothing is saved or pushed;
* ``undo`` - puts things back: an edit restores the previous values, an add tombstones
  what it added, a delete restores it, a move moves it back;
* ``redo`` - does it again after an undo (an add restores the same row, so later
  commands that name it still work).

If an undo or redo is refused (say, the reference was taken meanwhile by a merged
file), the user is told why, nothing changes, and the command leaves the stack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand
from sqlalchemy.orm import Session

from dvcoord.errors import DvcoordError
from dvcoord.services import agencies as agency_service
from dvcoord.services import indicators as indicator_service
from dvcoord.services import milestones as milestone_service
from dvcoord.services import plans as plan_service

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from dvcoord.gui.context import AppContext

log = logging.getLogger(__name__)

Step = Callable[[Session], Any]
After = Callable[["ServiceCommand", str], None]
_MISSING = object()


class ServiceCommand(QUndoCommand):
    """One edit: ``do``/``undo``/``redo`` functions of a session (see module notes).

    ``after(command, phase)`` runs after each step (phase ``"do"``, ``"undo"`` or
    ``"redo"``) so the view that made the edit can show it; the other views hear of it
    through ``ctx.notify_changed(area, source)``.
    """

    def __init__(
        self,
        ctx: AppContext,
        text: str,
        *,
        do: Step,
        undo: Step,
        redo: Step | None = None,
        after: After | None = None,
        source: QWidget | None = None,
        area: str = "plans",
    ) -> None:
        super().__init__(text)
        self.ctx = ctx
        self._do, self._undo, self._redo = do, undo, redo or do
        self.after = after
        self.source = source
        self.area = area
        self.result: Any = None
        self.failed: str = ""
        self._skip_redo = False

    # ------------------------------------------------------------------ running
    def _run(self, step: Step) -> Any:
        with self.ctx.db.transaction() as session:
            return step(session)

    def execute(self) -> Any:
        """Make the change now; raises (and saves nothing) if the services refuse it."""
        self.result = self._run(self._do)
        self._finish("do")
        return self.result

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._guarded(self._redo, "redo")

    def undo(self) -> None:
        self._guarded(self._undo, "undo")

    def _guarded(self, step: Step, phase: str) -> None:
        try:
            self._run(step)
        except DvcoordError as exc:
            self._refused(phase, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - shown plainly, logged with traceback
            log.error("%s of '%s' failed", phase, self.text(), exc_info=exc)
            self._refused(phase, "", exc)
            return
        self._finish(phase)

    def _refused(self, phase: str, message: str, exc: BaseException | None = None) -> None:
        from dvcoord.gui.widgets import show_error

        self.failed = message or type(exc).__name__
        self.setObsolete(True)
        verb = "undone" if phase == "undo" else "done again"
        parent = self.ctx.window
        if exc is not None:
            show_error(parent, exc, title="Undo", doing=f"undoing '{self.text()}'")
        else:
            show_error(parent, f"'{self.text()}' could not be {verb}: {message}", title="Undo")
        self._finish(phase)

    def _finish(self, phase: str) -> None:
        if self.after is not None:
            self.after(self, phase)
        self.ctx.notify_changed(self.area, self.source)


def push(ctx: AppContext, command: ServiceCommand) -> Any:
    """Run ``command`` now and, if the services accepted it, put it on the undo stack.

    A :class:`~dvcoord.errors.ValidationError` (or any refusal) propagates to the
    caller with nothing saved and nothing pushed.
    """
    result = command.execute()
    command._skip_redo = True
    ctx.undo_stack.push(command)
    return result


# --------------------------------------------------------------------------- edits
def apply_edit(session: Session, kind: str, row_id: str, values: dict[str, Any]) -> None:
    """Write ``values`` to one plan row through its service.

    Besides the input fields, a plan accepts ``rag_key`` (its own key, or None for the
    database's) and an action ``agencies`` (lead ids, support ids).
    """
    values = dict(values)
    if kind == "plan":
        rag_key = values.pop("rag_key", _MISSING)
        if values:
            plan_service.update_plan(session, row_id, **values)
        if rag_key is not _MISSING:
            plan_service.set_rag_key(session, row_id, rag_key)
    elif kind == "action":
        chosen = values.pop("agencies", _MISSING)
        if values:
            plan_service.update_action(session, row_id, **values)
        if chosen is not _MISSING:
            lead, support = chosen
            plan_service.set_action_agencies(session, row_id, list(lead), list(support))
    elif kind == "theme":
        plan_service.update_theme(session, row_id, **values)
    elif kind == "aim":
        plan_service.update_aim(session, row_id, **values)
    elif kind == "milestone":
        milestone_service.update_milestone(session, row_id, **values)
    elif kind == "agency":
        agency_service.update_agency(session, row_id, **values)
    elif kind == "plan_change":
        plan_service.update_plan_change(session, row_id, **values)
    elif kind == "progress_update":
        plan_service.update_progress_update(session, row_id, **values)
    else:
        raise ValueError(f"no edit for {kind}")


def edit_command(
    ctx: AppContext,
    text: str,
    kind: str,
    row_id: str,
    new: dict[str, Any],
    old: dict[str, Any],
    **options: Any,
) -> ServiceCommand:
    """Change fields of one row; undo writes the previous values back."""
    return ServiceCommand(
        ctx,
        text,
        do=lambda s: apply_edit(s, kind, row_id, new),
        undo=lambda s: apply_edit(s, kind, row_id, old),
        **options,
    )


def add_command(
    ctx: AppContext, text: str, kind: str, create: Callable[[Session], Any], **options: Any
) -> ServiceCommand:
    """Add a row (``create(session)`` returns it); undo tombstones it, redo restores it.

    ``command.result`` is the new row's id.
    """
    state: dict[str, str] = {}

    def do(session: Session) -> str:
        row = create(session)
        state["id"] = row.id
        return row.id

    def undo(session: Session) -> None:
        extra = {"force": True} if kind == "agency" else {}
        plan_service.tombstone(session, kind, state["id"], **extra)

    return ServiceCommand(
        ctx,
        text,
        do=do,
        undo=undo,
        redo=lambda s: plan_service.restore(s, kind, state["id"]),
        **options,
    )


def delete_command(
    ctx: AppContext, text: str, kind: str, row_id: str, *, delete_options=None, **options: Any
) -> ServiceCommand:
    """Tombstone a row with everything under it; undo restores exactly that."""
    extra = dict(delete_options or {})
    return ServiceCommand(
        ctx,
        text,
        do=lambda s: plan_service.tombstone(s, kind, row_id, **extra),
        undo=lambda s: plan_service.restore(s, kind, row_id),
        **options,
    )


# --------------------------------------------------------------------------- moves
@dataclass(frozen=True)
class Placement:
    """Where a theme, aim, action or milestone sits: its parent and index (0 = first).

    ``theme_id`` is the parent of an aim or action, ``aim_id`` that of an action (None
    = directly under the theme); themes and milestones only use ``index``.
    """

    index: int
    theme_id: str | None = None
    aim_id: str | None = None


def apply_move(session: Session, kind: str, row_id: str, where: Placement) -> None:
    if kind == "action":
        plan_service.move_action(
            session, row_id, theme_id=where.theme_id, aim_id=where.aim_id, to_index=where.index
        )
    elif kind == "aim":
        plan_service.move_aim(session, row_id, theme_id=where.theme_id, to_index=where.index)
    else:
        plan_service.reorder(session, kind, row_id, where.index)


def move_command(
    ctx: AppContext,
    text: str,
    kind: str,
    row_id: str,
    to: Placement,
    back: Placement,
    **options: Any,
) -> ServiceCommand:
    """Move a row (to another place among its siblings, or another parent); undo moves
    it back to where it was."""
    return ServiceCommand(
        ctx,
        text,
        do=lambda s: apply_move(s, kind, row_id, to),
        undo=lambda s: apply_move(s, kind, row_id, back),
        **options,
    )


# --------------------------------------------------------------------------- updates
def add_update_command(
    ctx: AppContext,
    text: str,
    action_id: str,
    data: plan_service.UpdateInput,
    **options: Any,
) -> ServiceCommand:
    """Add a progress update (the action's RAG follows it); undo tombstones the update
    and puts back the RAG and status the action had before."""
    state: dict[str, Any] = {}

    def do(session: Session) -> str:
        action = plan_service.get_action(session, action_id)
        state["rag"], state["status"] = action.rag, action.status
        row = plan_service.add_progress_update(session, action_id, data)
        state["id"] = row.id
        return row.id

    def undo(session: Session) -> None:
        plan_service.tombstone_progress_update(session, state["id"])
        plan_service.update_action(session, action_id, rag=state["rag"], status=state["status"])

    def redo(session: Session) -> None:
        plan_service.restore_progress_update(session, state["id"])
        if data.status:
            plan_service.update_action(session, action_id, status=data.status)

    return ServiceCommand(ctx, text, do=do, undo=undo, redo=redo, **options)


def delete_update_command(
    ctx: AppContext, text: str, update_id: str, action_id: str, **options: Any
) -> ServiceCommand:
    """Tombstone a progress update (the RAG falls back to the latest remaining one);
    undo restores it and the RAG the action had."""
    state: dict[str, Any] = {}

    def do(session: Session) -> None:
        state["rag"] = plan_service.get_action(session, action_id).rag
        plan_service.tombstone_progress_update(session, update_id)

    def undo(session: Session) -> None:
        plan_service.restore_progress_update(session, update_id)
        if plan_service.get_action(session, action_id).rag != state["rag"]:
            plan_service.update_action(session, action_id, rag=state["rag"])

    return ServiceCommand(
        ctx,
        text,
        do=do,
        undo=undo,
        redo=lambda s: plan_service.tombstone_progress_update(s, update_id),
        **options,
    )


# --------------------------------------------------------------------------- indicators
def indicator_links_command(
    ctx: AppContext,
    text: str,
    action_id: str,
    indicator_ids: list[str],
    *,
    link: bool,
    **options: Any,
) -> ServiceCommand:
    """Link performance indicators to an action (``link``) or unlink them; undo does the
    opposite for exactly the links this command changed.  Other views hear of it as a
    change of "indicators"."""
    state: dict[str, list[str]] = {"changed": []}

    def apply(session: Session, ids: list[str], on: bool) -> list[str]:
        fn = indicator_service.link_action if on else indicator_service.unlink_action
        return [i for i in ids if fn(session, i, action_id)]

    def do(session: Session) -> int:
        state["changed"] = apply(session, indicator_ids, link)
        return len(state["changed"])

    options.setdefault("area", "indicators")
    return ServiceCommand(
        ctx,
        text,
        do=do,
        undo=lambda s: apply(s, state["changed"], not link),
        redo=lambda s: apply(s, state["changed"], link),
        **options,
    )


# --------------------------------------------------------------------------- copy forward
@dataclass(frozen=True)
class CopyOutcome:
    plan_id: str
    title: str
    actions_carried: int
    milestones_carried: int
    actions_left: int


def copy_forward_command(
    ctx: AppContext, text: str, plan_id: str, options: dict[str, Any], **extra: Any
) -> ServiceCommand:
    """Copy a plan forward into next year's; undo deletes the new plan, the history row
    added to the old one, and puts back the old plan's status."""
    state: dict[str, Any] = {}

    def do(session: Session) -> CopyOutcome:
        old = plan_service.get_plan(session, plan_id)
        state["status"] = old.status
        before = {c.id for c in plan_service.plan_changes(session, plan_id)}
        result = plan_service.copy_plan_forward(session, plan_id, **options)
        state["new"] = result.plan.id
        state["changes"] = [
            c.id for c in plan_service.plan_changes(session, plan_id) if c.id not in before
        ]
        return CopyOutcome(
            result.plan.id,
            result.plan.title,
            result.actions_carried,
            result.milestones_carried,
            result.actions_left,
        )

    def undo(session: Session) -> None:
        plan_service.tombstone_plan(session, state["new"])
        for change_id in state["changes"]:
            plan_service.tombstone_plan_change(session, change_id)
        if plan_service.get_plan(session, plan_id).status != state["status"]:
            plan_service.update_plan(session, plan_id, status=state["status"])

    def redo(session: Session) -> None:
        plan_service.restore_plan(session, state["new"])
        for change_id in state["changes"]:
            plan_service.restore_plan_change(session, change_id)
        if options.get("archive_previous"):
            plan_service.update_plan(session, plan_id, status="archived")

    return ServiceCommand(ctx, text, do=do, undo=undo, redo=redo, **extra)
