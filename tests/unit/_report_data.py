"""Plans for the report tests, built through the plan services, and PDF reading helpers.

Imported by ``test_plan_reports.py`` (tests/unit is on ``sys.path`` under pytest).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dvcoord.services import agencies as ag
from dvcoord.services import milestones as ms
from dvcoord.services import plans as ps

TODAY = date(2026, 11, 23)  # 2026/27 Q3 (October to December)


@dataclass
class Built:
    plan_id: str
    title: str
    action_ids: list[str] = field(default_factory=list)
    agency_ids: dict[str, str] = field(default_factory=dict)


def make_plan(
    db,
    *,
    title: str = "Test DA action plan 2026/27",
    themes: int = 2,
    actions_per_theme: int = 3,
    with_aims: bool = True,
    progress: str | None = None,
    action_text: str | None = None,
) -> Built:
    """A small plan: agencies, themes (with key objectives), an aim per theme, actions
    with lead/support agencies, target dates as written, two dated updates each,
    milestones overdue / due / completed, and a change-history row."""
    with db.transaction() as s:
        police = ag.create_agency(s, name="Kent Police", short_name="KP", sector="police")
        housing = ag.create_agency(s, name="SDC Housing", sector="housing")
        refuge = ag.create_agency(s, name="West Kent Refuge", sector="voluntary sector")
        plan = ps.create_plan(
            s,
            title=title,
            partnership="Test CSP",
            plan_from_fy=2026,
            plan_to_fy=2026,
            strategy_from_fy=2025,
            strategy_to_fy=2027,
            status="approved",
            version_label="2.1",
            owner="Test Officer",
        )
        ps.add_plan_change(
            s,
            plan.id,
            version="2.1",
            changed_on=date(2026, 6, 1),
            editor="Test Officer",
            summary="Approved by the CSP board.",
        )
        built = Built(
            plan.id,
            title,
            agency_ids={"police": police.id, "housing": housing.id, "refuge": refuge.id},
        )
        rags = ["R", "A", "G"]
        n = 0
        for t in range(themes):
            theme = ps.create_theme(
                s,
                plan.id,
                title=f"Theme {t + 1} title",
                code=f"{t + 1}.",
                key_objective=f"Key objective for theme {t + 1}.",
            )
            aim = None
            if with_aims:
                aim = ps.create_aim(
                    s,
                    theme.id,
                    reference=f"Aim {t + 1}.A",
                    text=f"Provision of support number {t + 1}",
                )
            for i in range(actions_per_theme):
                n += 1
                under_aim = aim is not None and i >= actions_per_theme // 2
                text = action_text or (
                    f"Develop the holistic support service number {n} across the district, "
                    f"linked to the co-ordinator's work (phase {i + 1})"
                )
                action = ps.create_action(
                    s,
                    theme.id,
                    aim_id=aim.id if under_aim else None,
                    reference=f"{t + 1}.{i + 1}",
                    text=text,
                    target_text=[
                        "March 2027",
                        "Ongoing",
                        "Qtr 2 2026/27",
                        "Subject to external funding bid",
                    ][i % 4],
                    outcomes=f"Outcome {n}: improved safety for families",
                    status="in progress",
                    lead_agency_ids=[police.id if n % 2 else housing.id],
                    support_agency_ids=[refuge.id],
                    today=TODAY,
                )
                built.action_ids.append(action.id)
                ps.add_progress_update(
                    s,
                    action.id,
                    update_date=date(2026, 6, 30),
                    text=f"Older update {n}, superseded.",
                    author="A. Partner",
                    rag="A",
                )
                ps.add_progress_update(
                    s,
                    action.id,
                    update_date=date(2026, 9, 30),
                    text=progress
                    if progress is not None
                    else f"Latest update {n}: working "
                    "group meets quarterly and shares information.",
                    author="B. Partner",
                    rag=rags[n % 3],
                )
                if i == 0:
                    ms.create_milestone(
                        s,
                        action.id,
                        text=f"Overdue milestone {n}",
                        due_text="September 2026",
                        today=TODAY,
                    )
                    ms.create_milestone(
                        s,
                        action.id,
                        text=f"Due milestone {n}",
                        due_text="December 2026",
                        today=TODAY,
                    )
                    ms.create_milestone(
                        s,
                        action.id,
                        text=f"Completed milestone {n}",
                        due_text="October 2026",
                        status="complete",
                        completed_on=date(2026, 10, 15),
                        today=TODAY,
                    )
        return built


# --------------------------------------------------------------------------- reading PDFs
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Words as a report can be checked against: NFKC, hyphens and white space dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text))


_MARKINGS = ("OFFICIAL", "OFFICIAL-SENSITIVE")
_read_cache: dict[tuple[str, int, int], tuple[list[str], list[list[tuple[str, float, float]]]]] = {}


def _read(path: Path) -> tuple[list[str], list[list[tuple[str, float, float]]]]:
    """Each page's text, and where a marking is printed on it: (label, y, page height).

    One pypdf pass per file (cached by name, size and time), since extraction is the
    slow part of these tests."""
    from pypdf import PdfReader

    st = Path(path).stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _read_cache:
        texts, marks = [], []
        for page in PdfReader(str(path)).pages:
            height = float(page.mediabox.height)
            found: list[tuple[str, float, float]] = []

            def visit(text, cm, tm, font_dict, font_size, found=found, height=height):  # noqa: ANN001
                label = text.strip()
                if label in _MARKINGS:
                    found.append((label, cm[5] + tm[5] * cm[3], height))

            texts.append(page.extract_text(visitor_text=visit) or "")
            marks.append(found)
        _read_cache.clear()
        _read_cache[key] = (texts, marks)
    return _read_cache[key]


def pdf_pages(path: Path) -> list[str]:
    return list(_read(path)[0])


def pdf_words(path: Path) -> Counter[str]:
    return Counter(w for page in pdf_pages(path) for w in words(page))


def missing_words(expected: Counter[str], found: Counter[str]) -> Counter[str]:
    """Words (with multiplicity) expected but not found."""
    return expected - found


def marking_positions(path: Path, marking: str) -> list[tuple[bool, bool]]:
    """Per page: (marking printed within 25 mm of the top, within 25 mm of the bottom)."""
    edge = 25 * 72 / 25.4
    return [
        (
            any(m == marking and y > h - edge for m, y, h in page),
            any(m == marking and y < edge for m, y, h in page),
        )
        for page in _read(path)[1]
    ]


def make_big_theme(db, n: int, *, title: str = "Big plan") -> Built:
    """One theme of ``n`` actions written straight to the tables in one transaction
    (the services place each new action among its siblings, which is right for a user
    and too slow for building hundreds in a test)."""
    from dvcoord.store.schema.plans import Action, ActionAgency, ProgressUpdate

    with db.transaction() as s:
        police = ag.create_agency(s, name="Kent Police", sector="police")
        plan = ps.create_plan(s, title=title, partnership="Test CSP", plan_from_fy=2026)
        theme = ps.create_theme(
            s,
            plan.id,
            title="Safety and Support",
            code="1",
            key_objective="Everyone at risk gets help quickly.",
        )
        built = Built(plan.id, title, agency_ids={"police": police.id})
        for i in range(1, n + 1):
            action = Action(
                plan_id=plan.id,
                theme_id=theme.id,
                position=i,
                reference=f"1.{i}",
                text=f"Action number {i}: review referral pathways with partner agencies",
                target_text="March 2027",
                target_kind="month",
                target_start=date(2027, 3, 1),
                target_end=date(2027, 3, 31),
                outcomes="Faster, safer referrals",
                status="in progress",
                rag="RAG"[i % 3],
            )
            s.add(action)
            s.flush()
            s.add(ActionAgency(action_id=action.id, agency_id=police.id, role="lead"))
            s.add(
                ProgressUpdate(
                    action_id=action.id,
                    update_date=date(2026, 9, 30),
                    text=f"Update {i}: on track, next review in the new year.",
                    author="A. Partner",
                    rag="RAG"[i % 3],
                )
            )
            built.action_ids.append(action.id)
        return built
