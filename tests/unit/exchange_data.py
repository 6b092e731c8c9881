"""Small dvcoord databases with rows in every action-plan table, for the exchange tests.

Imported by the exchange tests (pytest puts this folder on ``sys.path``).
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

from dvcoord.store import Database
from dvcoord.store.schema.plans import (
    Action,
    ActionAgency,
    Agency,
    Aim,
    Milestone,
    Plan,
    PlanChange,
    ProgressUpdate,
    Theme,
)


def populate(db: Database, *, actions: int = 6, prefix: str = "") -> None:
    """A plan with two themes, an aim, ``actions`` actions with agencies, updates and
    milestones; about 30 KB on disk with the defaults."""
    with db.transaction() as s:
        police = Agency(name=f"{prefix}Kent Police", short_name="KP", sector="police")
        housing = Agency(name=f"{prefix}District Housing", sector="housing")
        s.add_all([police, housing])
        plan = Plan(
            title=f"{prefix}Domestic Abuse Action Plan 2026/27",
            partnership="Test CSP",
            plan_from_fy=2026,
            plan_to_fy=2026,
        )
        s.add(plan)
        s.flush()
        s.add(
            PlanChange(
                plan_id=plan.id,
                version="1.0",
                changed_on=date(2026, 4, 1),
                editor="Co-ordinator",
                summary="First version",
            )
        )
        themes = [
            Theme(
                plan_id=plan.id,
                position=i,
                code=f"T{i}",
                title=f"{prefix}Theme {i}",
                key_objective="Keep people safe",
            )
            for i in range(2)
        ]
        s.add_all(themes)
        s.flush()
        aim = Aim(theme_id=themes[0].id, reference="1", text="Point of contact for victims")
        s.add(aim)
        s.flush()
        for i in range(actions):
            theme = themes[i % 2]
            action = Action(
                plan_id=plan.id,
                theme_id=theme.id,
                aim_id=aim.id if i % 2 == 0 else None,
                position=i,
                reference=f"{i // 2 + 1}.{i % 2 + 1}",
                text=f"{prefix}Action number {i}: provide a service " + "x" * 200,
                target_text="March 2027",
                target_kind="month",
                target_start=date(2027, 3, 1),
                target_end=date(2027, 3, 31),
                outcomes="Fewer repeat incidents",
                status="in progress",
                rag="A",
                cost_pence=1000 * i,
            )
            s.add(action)
            s.flush()
            s.add(ActionAgency(action_id=action.id, agency_id=police.id, role="lead"))
            s.add(
                ActionAgency(action_id=action.id, agency_id=housing.id, role="support", position=1)
            )
            s.add(
                ProgressUpdate(
                    action_id=action.id,
                    update_date=date(2026, 6, 30),
                    author="Partner",
                    agency_id=police.id,
                    text="Progress this quarter " + "y" * 150,
                    rag="A",
                )
            )
            s.add(
                Milestone(
                    action_id=action.id,
                    position=0,
                    text="First step",
                    due_text="Jun 2026",
                    due_kind="month",
                    due_start=date(2026, 6, 1),
                    due_end=date(2026, 6, 30),
                )
            )


def make_db(
    path: Path,
    *,
    user: str = "Officer A",
    name: str | None = None,
    actions: int = 6,
    prefix: str = "",
) -> Path:
    db = Database.create(path, user=user, display_name=name or path.stem, partnership="Test CSP")
    try:
        if actions:
            populate(db, actions=actions, prefix=prefix)
    finally:
        db.close()
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def shared_rows(path: Path) -> dict[str, list[tuple]]:
    """Every row (with bookkeeping) of every shared table, in id order."""
    from dvcoord.exchange.merge import merged_tables

    conn = sqlite3.connect(path)
    try:
        return {
            t.name: conn.execute(f'SELECT * FROM "{t.name}" ORDER BY id').fetchall()
            for t in merged_tables()
        }
    finally:
        conn.close()


def execute(path: Path, *statements: str, params: tuple = ()) -> None:
    """Run raw SQL on a file (to craft hostile files)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for sql in statements:
            if params:
                conn.execute(sql, params)
            else:
                conn.execute(sql)
    finally:
        conn.close()


# --------------------------------------------------------------------------- hostile files
def build_templates(folder: Path) -> dict[str, Path]:
    """A sender's shared copy, the same copy with 512-byte pages (~30 KB, for the
    mutation tests), a receiver that has already merged the copy once, and a fresh
    receiver.  Built once per test module (with its own DVCOORD_HOME)."""
    import os
    import shutil

    from dvcoord.exchange.merge import apply_merge, plan_merge
    from dvcoord.exchange.share import share_copy

    old = os.environ.get("DVCOORD_HOME")
    os.environ["DVCOORD_HOME"] = str(folder / "home")
    try:
        sender = make_db(folder / "sender.sqlite", user="Officer A", name="County team")
        incoming = share_copy(sender, folder / "incoming.sqlite")
        small = folder / "small.sqlite"
        shutil.copyfile(incoming, small)
        execute(small, "PRAGMA page_size=512", "VACUUM")
        receiver = make_db(
            folder / "receiver.sqlite", user="Officer B", name="District", actions=2, prefix="Mine "
        )
        db = Database.open(receiver, user="Officer B", backup=False)
        try:
            apply_merge(db, plan_merge(db, incoming))
        finally:
            db.close()
        fresh = make_db(
            folder / "fresh.sqlite", user="Officer B", name="District", actions=2, prefix="Mine "
        )
        return {"incoming": incoming, "small": small, "receiver": receiver, "fresh": fresh}
    finally:
        if old is None:
            os.environ.pop("DVCOORD_HOME", None)
        else:
            os.environ["DVCOORD_HOME"] = old


def attempt(user_db: Path, received: Path, passphrase: str | None = None):
    """Merge ``received`` into ``user_db``: ("refused", message) or ("merged", report).

    Anything but a DvcoordError escapes (and fails the test); the received file must
    not change; a refusal must leave the user's database byte for byte as it was and
    be one plain sentence.
    """
    from dvcoord.errors import DvcoordError
    from dvcoord.exchange.merge import apply_merge, plan_merge

    user_before = sha256(user_db)
    received_before = sha256(received) if received.is_file() else None
    db = Database.open(user_db, user="Officer B", backup=False)
    try:
        try:
            preview = plan_merge(db, received, passphrase)
        except DvcoordError as exc:
            outcome = ("refused", str(exc))
        else:
            outcome = ("merged", apply_merge(db, preview))
    finally:
        db.close()
    if received_before is not None:
        assert sha256(received) == received_before, "the received file was changed"
    if outcome[0] == "refused":
        message = outcome[1]
        assert sha256(user_db) == user_before, "a refused file changed the user's database"
        assert message and "\n" not in message and "Traceback" not in message
        assert "unexpected problem" not in message, message
    return outcome


def refused(user_db: Path, received: Path, passphrase: str | None = None) -> str:
    outcome = attempt(user_db, received, passphrase)
    assert outcome[0] == "refused", "the hostile file was merged"
    return outcome[1]


def build_pair(folder: Path) -> tuple[Path, Path]:
    """Two databases with the same rows: "District" (B) took "County" (A)'s shared copy
    in its first merge.  Built with its own DVCOORD_HOME (for module-scoped fixtures)."""
    import os

    from dvcoord.exchange.merge import apply_merge, plan_merge
    from dvcoord.exchange.share import share_copy

    old = os.environ.get("DVCOORD_HOME")
    os.environ["DVCOORD_HOME"] = str(folder / "home")
    try:
        a = make_db(folder / "a.sqlite", user="Officer A", name="County")
        b = folder / "b.sqlite"
        Database.create(b, user="Officer B", display_name="District").close()
        copy = share_copy(a, folder / "a-copy.sqlite")
        db = Database.open(b, user="Officer B", backup=False)
        try:
            apply_merge(db, plan_merge(db, copy))
        finally:
            db.close()
        return a, b
    finally:
        if old is None:
            os.environ.pop("DVCOORD_HOME", None)
        else:
            os.environ["DVCOORD_HOME"] = old
