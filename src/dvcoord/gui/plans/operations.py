"""What the Action plans view does through dialogs: plans (new, properties, change
history, copy forward, archive, delete), agencies (picker and manager), an action's
milestones and progress updates, its linked performance indicators.

:class:`PlanOperations` is a mixin of :class:`~dvcoord.gui.plans.view.PlansView`; every
operation is an undoable command (:mod:`.commands`) whose refusal is shown in the
dialog, at its field.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from dvcoord.errors import DvcoordError, ValidationError
from dvcoord.gui.plans import commands as cmd
from dvcoord.gui.plans import common
from dvcoord.gui.plans import dialogs as dlg
from dvcoord.gui.plans.indicator_links import IndicatorPickerDialog
from dvcoord.gui.plans.tree import one_line
from dvcoord.gui.widgets import confirm, inform, show_error
from dvcoord.services import agencies as agency_service
from dvcoord.services import indicators as indicator_service
from dvcoord.services import milestones as milestone_service
from dvcoord.services import plan_lookup
from dvcoord.services import plans as plan_service

if TYPE_CHECKING:
    from dvcoord.gui.context import AppContext

log = logging.getLogger(__name__)


class PlanOperations:
    """Plans, agencies, milestones and progress updates (see the module notes).

    It relies on the view for: ``ctx``, ``plan_id``, ``readonly``, ``agencies``,
    ``tree_model``, ``action_editor``, ``_push``, ``_after``, ``_load_plans``,
    ``reload``, ``show_plan``, ``_may_leave_editor``, ``_shown`` and ``_show_action``.
    """

    ctx: AppContext
    plan_id: str | None
    agencies: list[dlg.AgencyChoice]

    # ================================================================== plans
    def _plan_values(self) -> tuple[dict[str, Any], list[plan_service.RagKeyEntry], bool]:
        """The current plan's editable fields, its RAG key and whether the key is its own."""
        with self.ctx.db.session() as s:
            header = plan_lookup.plan_header(s, self.plan_id)
        values = {
            f: getattr(header, f)
            for f in (
                "title",
                "partnership",
                "owner",
                "status",
                "version_label",
                "marking",
                "strategy_from_fy",
                "strategy_to_fy",
                "plan_from_fy",
                "plan_to_fy",
                "description",
            )
        }
        return values, list(header.rag_key), header.own_rag_key

    def new_plan(self) -> str | None:
        if self.readonly or not self._may_leave_editor():
            return None
        fy = plan_service.dates.financial_year_of(common.today())
        db = self.ctx.db
        with db.session() as s:
            key = plan_service.database_rag_key(s)
        values = {
            "title": "",
            "partnership": db.partnership,
            "owner": db.user,
            "status": "draft",
            "version_label": "1.0",
            "marking": db.default_marking
            if db.default_marking in plan_service.MARKINGS
            else "OFFICIAL",
            "strategy_from_fy": None,
            "strategy_to_fy": None,
            "plan_from_fy": fy,
            "plan_to_fy": fy,
            "description": "",
        }
        created: dict[str, str] = {}

        def submit(v: dict[str, Any]) -> str:
            v = dict(v)
            rag_key = v.pop("rag_key", None)

            def create(s):
                plan = plan_service.create_plan(s, **v)
                if rag_key:
                    plan_service.set_rag_key(s, plan.id, rag_key)
                return plan

            command = cmd.add_command(
                self.ctx,
                f"New plan '{one_line(v.get('title', ''), 40)}'",
                "plan",
                create,
                after=None,  # the plan is shown once the dialog closes
            )
            new_id = self._push(command)
            created["id"] = new_id
            command.after = self._after_plan(lambda p: None if p == "undo" else new_id)
            return new_id

        dialog = dlg.PlanPropertiesDialog(
            self, submit, values=values, rag_key=key, own_key=False, new=True
        )
        try:
            if not dlg.run(dialog):
                return None
        finally:
            dialog.deleteLater()
        self.show_plan(created["id"])
        self.ctx.show_message("Plan created. Add its first theme with Add theme.")
        return created["id"]

    def _after_plan(self, plan_for: Callable[[str], str | None]):
        def after(command: cmd.ServiceCommand, phase: str) -> None:
            wanted = plan_for(phase)
            self._load_plans(wanted or self.plan_id)
            self.reload(keep_dirty=True)

        return after

    def plan_properties(self) -> bool:
        if self.plan_id is None:
            return False
        values, key, own = self._plan_values()
        plan_id = self.plan_id
        old_key = [e.__dict__ for e in key] if own else None

        def submit(v: dict[str, Any]) -> bool:
            new = {k: x for k, x in v.items() if k != "rag_key" and values.get(k) != x}
            old = {k: values[k] for k in new}
            new_key = v.get("rag_key")
            if (new_key or None) != old_key and not (
                new_key and old_key and [dict(e) for e in new_key] == [dict(e) for e in old_key]
            ):
                new["rag_key"], old["rag_key"] = new_key, old_key
            if not new:
                return False
            command = cmd.edit_command(
                self.ctx,
                "Edit plan properties",
                "plan",
                plan_id,
                new,
                old,
                after=self._after_plan(lambda _p: plan_id),
            )
            self._push(command)
            return True

        dialog = dlg.PlanPropertiesDialog(
            self, None if self.readonly else submit, values=values, rag_key=key, own_key=own
        )
        if self.readonly:
            dialog.buttons.button(dialog.buttons.StandardButton.Ok).setEnabled(False)
        try:
            return dlg.run(dialog) and bool(dialog.result_value)
        finally:
            dialog.deleteLater()

    def change_history(self) -> None:
        if self.plan_id is None:
            return
        plan_id = self.plan_id

        def load() -> list[dlg.ChangeLine]:
            with self.ctx.db.session() as s:
                return [
                    dlg.ChangeLine(c.id, c.version, c.changed_on, c.editor, c.summary)
                    for c in plan_service.plan_changes(s, plan_id)
                ]

        def add(v: dict[str, Any]) -> str:
            command = cmd.add_command(
                self.ctx,
                "Add a change-history row",
                "plan_change",
                lambda s: plan_service.add_plan_change(s, plan_id, **v),
                after=self._after_plan(lambda _p: plan_id),
            )
            return self._push(command)

        values, _key, _own = self._plan_values()
        dialog = dlg.ChangeHistoryDialog(
            self, load=load, add=add, editor_name=self.ctx.db.user, version=values["version_label"]
        )
        dialog.add_button.setEnabled(not self.readonly)
        try:
            dlg.run(dialog)
        finally:
            dialog.deleteLater()

    def copy_forward(self) -> str | None:
        if self.plan_id is None or self.readonly:
            return None
        plan_id = self.plan_id
        values, _key, _own = self._plan_values()
        rows = self.tree_model.action_rows()
        open_n = sum(1 for r in rows if r.is_open)
        outcome: dict[str, cmd.CopyOutcome] = {}

        def submit(v: dict[str, Any]) -> cmd.CopyOutcome:
            options = {
                "title": v["title"],
                "plan_from_fy": v["plan_from_fy"],
                "plan_to_fy": v["plan_to_fy"],
                "archive_previous": v["archive_previous"],
                "today": common.today(),
            }
            if options["plan_from_fy"] is None:
                raise ValidationError("Choose the new plan's first year.", field="plan_from_fy")

            def plan_for(phase: str) -> str | None:
                got = outcome.get("x")
                return plan_id if phase == "undo" or got is None else got.plan_id

            command = cmd.copy_forward_command(
                self.ctx,
                "Copy plan forward",
                plan_id,
                options,
                after=None,
            )
            result = self._push(command)
            outcome["x"] = result
            command.after = self._after_plan(plan_for)
            return result

        dialog = dlg.CopyForwardDialog(
            self,
            submit,
            plan_title=values["title"],
            plan_from_fy=values["plan_from_fy"],
            plan_to_fy=values["plan_to_fy"],
            open_actions=open_n,
            closed_actions=len(rows) - open_n,
        )
        try:
            if not dlg.run(dialog):
                return None
        finally:
            dialog.deleteLater()
        result = outcome["x"]
        self.show_plan(result.plan_id)
        self.ctx.show_message(
            f"'{result.title}' started with {result.actions_carried} actions and "
            f"{result.milestones_carried} open milestones carried over."
        )
        return result.plan_id

    def toggle_archive(self) -> None:
        if self.plan_id is None or self.readonly:
            return
        values, _key, _own = self._plan_values()
        old = values["status"]
        new = "approved" if old == "archived" else "archived"
        plan_id = self.plan_id
        command = cmd.edit_command(
            self.ctx,
            "Archive plan" if new == "archived" else "Bring plan back from the archive",
            "plan",
            plan_id,
            {"status": new},
            {"status": old},
            after=self._after_plan(lambda _p: plan_id),
        )
        try:
            self._push(command)
        except DvcoordError as exc:
            show_error(self, exc, title="Archive")

    def delete_plan(self) -> bool:
        if self.plan_id is None or self.readonly:
            return False
        values, _key, _own = self._plan_values()
        n = len(self.tree_model.action_rows())
        if not confirm(
            self,
            f"Delete the plan '{values['title']}' with its {n} action{'s' if n != 1 else ''}?",
            yes="Delete plan",
            danger=True,
            title="Delete plan",
            informative="Its themes, aims, actions, milestones and updates are deleted with "
            "it. Edit > Undo (Ctrl+Z) brings them all back.",
        ):
            return False
        plan_id = self.plan_id
        command = cmd.delete_command(
            self.ctx,
            f"Delete plan '{one_line(values['title'], 40)}'",
            "plan",
            plan_id,
            after=self._after_plan(lambda p: plan_id if p == "undo" else None),
        )
        try:
            self._push(command)
        except DvcoordError as exc:
            show_error(self, exc, title="Delete plan")
            return False
        self.plan_id = None
        self._load_plans(None)
        self.reload()
        return True

    # ================================================================== agencies
    def pick_agencies(
        self, lead: Sequence[str], support: Sequence[str]
    ) -> tuple[list[str], list[str]] | None:
        dialog = dlg.AgencyPickerDialog(self, self.agencies, lead, support)
        try:
            if not dlg.run(dialog):
                return None
            return dialog.chosen()
        finally:
            dialog.deleteLater()

    def manage_agencies(self) -> None:
        def load() -> list[dlg.AgencyLine]:
            with self.ctx.db.session() as s:
                return [
                    dlg.AgencyLine(
                        u.agency_id,
                        u.name,
                        u.short_name,
                        u.sector,
                        u.active,
                        u.lead_actions,
                        u.support_actions,
                        u.plans,
                    )
                    for u in agency_service.agency_usage(s)
                ]

        dialog = dlg.AgenciesDialog(
            self, load=load, add=self.add_agency, edit=self.edit_agency, delete=self.delete_agency
        )
        for button in (dialog.add_button, dialog.edit_button, dialog.delete_button):
            button.setVisible(not self.readonly)
        try:
            dlg.run(dialog)
        finally:
            dialog.deleteLater()

    def add_agency(self, parent: QWidget) -> bool:
        def submit(v: dict[str, Any]) -> str:
            command = cmd.add_command(
                self.ctx,
                f"Add agency {one_line(v.get('name', ''), 40)}",
                "agency",
                lambda s: agency_service.create_agency(s, **v),
                after=self._after(scope="agencies"),
            )
            return self._push(command)

        dialog = dlg.AgencyDialog(parent, submit)
        try:
            return dlg.run(dialog)
        finally:
            dialog.deleteLater()

    def edit_agency(self, parent: QWidget, line: dlg.AgencyLine) -> bool:
        with self.ctx.db.session() as s:
            agency = s.get(agency_service.Agency, line.id)
            values = agency_service.AgencyInput.from_row(agency).__dict__.copy()

        def submit(v: dict[str, Any]) -> bool:
            new = {k: x for k, x in v.items() if values.get(k) != x}
            if not new:
                return False
            command = cmd.edit_command(
                self.ctx,
                f"Edit agency {one_line(line.name, 40)}",
                "agency",
                line.id,
                new,
                {k: values[k] for k in new},
                after=self._after(scope="agencies"),
            )
            self._push(command)
            return True

        dialog = dlg.AgencyDialog(parent, submit, values=values)
        try:
            return dlg.run(dialog)
        finally:
            dialog.deleteLater()

    def delete_agency(self, parent: QWidget, line: dlg.AgencyLine) -> bool:
        def attempt(force: bool) -> None:
            command = cmd.delete_command(
                self.ctx,
                f"Delete agency {one_line(line.name, 40)}",
                "agency",
                line.id,
                delete_options={"force": True} if force else None,
                after=self._after(scope="agencies"),
            )
            self._push(command)

        try:
            attempt(False)
        except ValidationError as exc:
            if "still leads" not in str(exc):
                show_error(parent, exc, title="Delete agency")
                return False
            if not confirm(
                parent,
                str(exc),
                yes="Delete anyway",
                danger=True,
                title="Delete agency",
                informative="If you delete it anyway, it is taken off those actions (their "
                "lead as written is kept). Edit > Undo puts it back on them.",
            ):
                return False
            try:
                attempt(True)
            except DvcoordError as again:
                show_error(parent, again, title="Delete agency")
                return False
        except DvcoordError as exc:
            show_error(parent, exc, title="Delete agency")
            return False
        return True

    # ================================================================== milestones
    def add_milestone(self, action_id: str | None) -> str | None:
        if action_id is None or self.readonly:
            return None

        def submit(v: dict[str, Any]) -> str:
            command = cmd.add_command(
                self.ctx,
                "Add milestone",
                "milestone",
                lambda s: milestone_service.create_milestone(
                    s, action_id, today=common.today(), **v
                ),
                after=self._after(scope="action", action_id=action_id),
            )
            return self._push(command)

        dialog = dlg.MilestoneDialog(self, submit)
        try:
            return dialog.result_value if dlg.run(dialog) else None
        finally:
            dialog.deleteLater()

    def edit_milestone(self, line: Any) -> bool:
        old = {
            "text": line.text,
            "due_text": line.due_text,
            "status": line.status,
            "completed_on": line.completed_on,
        }
        action_id = self.action_editor.row_id

        def submit(v: dict[str, Any]) -> bool:
            new = {k: x for k, x in v.items() if old.get(k) != x}
            if not new:
                return False
            command = cmd.edit_command(
                self.ctx,
                "Edit milestone",
                "milestone",
                line.id,
                new,
                {k: old[k] for k in new},
                after=self._after(scope="action", action_id=action_id),
            )
            self._push(command)
            return True

        dialog = dlg.MilestoneDialog(self, submit, values=old)
        try:
            return dlg.run(dialog)
        finally:
            dialog.deleteLater()

    def complete_milestones(self, lines: Sequence[Any]) -> bool:
        action_id = self.action_editor.row_id
        return complete_milestones(
            self.ctx,
            self,
            lines,
            after=self._after(scope="action", action_id=action_id),
            source=self,
        )

    def delete_milestone(self, line: Any) -> None:
        action_id = self.action_editor.row_id
        command = cmd.delete_command(
            self.ctx,
            "Delete milestone",
            "milestone",
            line.id,
            after=self._after(scope="action", action_id=action_id),
        )
        try:
            self._push(command)
        except DvcoordError as exc:
            show_error(self, exc, title="Delete milestone")

    # ================================================================== progress updates
    def add_update(self, action_id: str | None) -> str | None:
        data = self.action_editor.data
        if action_id is None or data is None or self.readonly:
            return None
        label = data.values.get("reference") or one_line(data.values.get("text", ""), 40)

        def submit(v: dict[str, Any]) -> str:
            command = cmd.add_update_command(
                self.ctx,
                f"Add progress update to {label}",
                action_id,
                dialog.update_input(),
                after=self._after(scope="action", action_id=action_id),
            )
            return self._push(command)

        dialog = dlg.UpdateDialog(
            self,
            submit,
            action_label=label,
            agencies=self.agencies,
            rag_key=data.rag_key,
            author=self.ctx.db.user,
            agency_id=data.lead_ids[0] if data.lead_ids else None,
            rag=data.values.get("rag") or "",
            status=data.values.get("status") or "",
        )
        try:
            return dialog.result_value if dlg.run(dialog) else None
        finally:
            dialog.deleteLater()

    def delete_update(self, line: Any, action_id: str) -> None:
        command = cmd.delete_update_command(
            self.ctx,
            "Delete progress update",
            line.id,
            action_id,
            after=self._after(scope="action", action_id=action_id),
        )
        try:
            self._push(command)
        except DvcoordError as exc:
            show_error(self, exc, title="Delete update")

    # ================================================================== linked indicators
    def open_indicator(self, indicator_id: str) -> None:
        """Show the indicator in the Performance view."""
        self.ctx.open_view("indicators", indicator_id=indicator_id)

    def _after_links(self, action_id: str):
        """After linking or unlinking: show the action's indicators again if it is the
        action shown (nothing else in this view shows them)."""

        def after(command: cmd.ServiceCommand, phase: str) -> None:
            if self._shown == ("action", action_id):
                self._show_action(action_id, keep_dirty=True)

        return after

    def _action_label(self, action_id: str) -> str:
        data = self.action_editor.data
        if data is not None and data.id == action_id:
            ref = data.values.get("reference") or ""
            return ref or one_line(data.values.get("text", ""), 40)
        return "the action"

    def link_indicators(self, action_id: str | None) -> int:
        """Choose indicators and link them to the action (one undoable command); how many
        were linked."""
        if action_id is None or self.readonly:
            return 0
        with self.ctx.db.session() as s:
            choices = indicator_service.indicator_choices(s)
            linked = {i.id for i in indicator_service.indicators_for_action(s, action_id)}
        choices = [c for c in choices if c.id not in linked]
        label = self._action_label(action_id)
        if not choices:
            inform(
                self,
                "Every indicator is linked to this action already."
                if linked
                else "There are no performance indicators yet.",
                title="Link indicators",
                informative="Indicators are added in the Performance view.",
            )
            return 0
        dialog = IndicatorPickerDialog(self, f"action {label}", choices)
        try:
            if not dlg.run(dialog):
                return 0
            chosen = dialog.chosen()
        finally:
            dialog.deleteLater()
        if not chosen:
            return 0
        names = {c.id: c.display_name for c in choices}
        what = (
            f"indicator {one_line(names[chosen[0]], 40)}"
            if len(chosen) == 1
            else f"{len(chosen)} indicators"
        )
        command = cmd.indicator_links_command(
            self.ctx,
            f"Link {what} to action {label}",
            action_id,
            chosen,
            link=True,
            after=self._after_links(action_id),
        )
        try:
            done = self._push(command)
        except DvcoordError as exc:
            show_error(self, exc, title="Link indicators")
            return 0
        self.ctx.show_message(f"Linked {what} to action {label}.")
        return done

    def unlink_indicator(self, action_id: str, row: Any) -> bool:
        """Remove the link between the action and one indicator (undoable)."""
        if self.readonly:
            return False
        label = self._action_label(action_id)
        what = one_line(row.display_name, 40)
        command = cmd.indicator_links_command(
            self.ctx,
            f"Unlink indicator {what} from action {label}",
            action_id,
            [row.id],
            link=False,
            after=self._after_links(action_id),
        )
        try:
            done = self._push(command)
        except DvcoordError as exc:
            show_error(self, exc, title="Unlink indicator")
            return False
        self.ctx.show_message(
            f"Indicator {what} unlinked from action {label}. Edit > Undo links it again."
        )
        return bool(done)


def complete_milestones(
    ctx: AppContext,
    parent: QWidget,
    lines: Sequence[Any],
    *,
    after: Callable[[cmd.ServiceCommand, str], None] | None,
    source: QWidget | None = None,
) -> bool:
    """Ask for the completion date (today by default) and mark ``lines`` complete, as one
    undoable step.  ``lines`` have ``id``, ``text``, ``status`` and ``completed_on``."""
    lines = [m for m in lines if m.status != "complete"]
    if not lines:
        return False
    what = (
        f"Mark '{one_line(lines[0].text, 80)}' complete."
        if len(lines) == 1
        else f"Mark {len(lines)} milestones complete."
    )
    dialog = dlg.CompleteDialog(parent, what)
    try:
        if not dlg.run(dialog):
            return False
        when = dialog.completed_on()
    finally:
        dialog.deleteLater()
    stack = ctx.undo_stack
    many = len(lines) > 1
    if many:
        stack.beginMacro(f"Mark {len(lines)} milestones complete")
    done = 0
    try:
        for line in lines:
            command = cmd.edit_command(
                ctx,
                f"Mark milestone '{one_line(line.text, 30)}' complete",
                "milestone",
                line.id,
                {"status": "complete", "completed_on": when},
                {"status": line.status, "completed_on": line.completed_on},
                after=after,
                source=source,
            )
            try:
                cmd.push(ctx, command)
            except DvcoordError as exc:
                show_error(parent, exc, title="Mark complete")
                break
            done += 1
    finally:
        if many:
            stack.endMacro()
    if done:
        ctx.show_message(
            f"{done} milestone{'s' if done != 1 else ''} marked complete. Edit > Undo takes "
            "it back."
        )
    return done == len(lines)
