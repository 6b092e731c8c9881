"""Demo action plans: three real, public plans entered word for word, and a current
plan carried forward from one of them with clearly invented quarterly updates and
milestones around ``today``.

The real plans are read from structured JSON in ``resources/demo/`` (hand-transcribed
from the reference documents, markup removed, every word kept):

* ``sevenoaks-2007.json``: Sevenoaks District CSP Domestic Abuse Action Plan (2007):
  every action with its reference, text, lead agency as written, target date as written,
  outcomes, and its Status cell as a dated progress update;
* ``kent-tracker-2013.json``: Kent County Council's Select Committee Domestic Abuse
  Action Plan (V4, March 2013): recommendations as aims, their parts as actions, progress
  to date, status and RAG as given, the change history and the tracker's RAG key;
* ``kent-medway-strategy-2009.json``: the Kent and Medway strategy summary (2009): its
  aims and its selected projects as actions;
* ``agencies.json``: the partner agencies those plans name, with sectors.

Everything goes through the services, so the demo obeys the same rules as the GUI.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dvcoord.paths import resource
from dvcoord.services import agencies as ag
from dvcoord.services import dates
from dvcoord.services import milestones as ms
from dvcoord.services import plans as ps
from dvcoord.store import Database

ORDER = 10

SEVENOAKS = "sevenoaks-2007.json"
KENT_TRACKER = "kent-tracker-2013.json"
KENT_MEDWAY = "kent-medway-strategy-2009.json"
AGENCIES = "agencies.json"
DEMO_PLAN_SUFFIX = "(demonstration)"


def load(name: str) -> Any:
    """One of the demo data files in ``resources/demo/``."""
    with open(resource("demo", name), encoding="utf-8") as fh:
        return json.load(fh)


def populate(db: Database, today: date) -> None:
    with db.transaction() as s:
        s.info["audit_note"] = "demo data"
        agency_ids = _agencies(s)
        sevenoaks = _sevenoaks(s, agency_ids)
        _kent_tracker(s, agency_ids)
        _kent_medway(s, agency_ids)
        _current_plan(s, sevenoaks, agency_ids, today)


# --------------------------------------------------------------------------- agencies


def _agencies(s: Session) -> dict[str, str]:
    ids = {}
    for item in load(AGENCIES):
        existing = ag.find_agency(s, item["name"])
        if existing is None:
            existing = ag.create_agency(
                s,
                name=item["name"],
                short_name=item["short_name"],
                sector=item["sector"],
                notes=item.get("notes", ""),
            )
        ids[item["key"]] = existing.id
    return ids


def _notes(doc: dict[str, Any]) -> str:
    notes = doc.get("transcription_notes") or []
    if not notes:
        return ""
    return "Transcription notes:\n" + "\n".join(f"• {n}" for n in notes)


def _action(
    s: Session,
    theme_id: str,
    item: dict[str, Any],
    agency_ids: dict[str, str],
    *,
    aim_id: str | None = None,
    progress: str = "",
    progress_date: date,
    author: str,
    rag: str = "",
) -> Any:
    action = ps.create_action(
        s,
        theme_id,
        aim_id=aim_id,
        reference=item["reference"],
        text=item["text"],
        lead_text=item.get("lead_text", ""),
        target_text=item.get("target_text", ""),
        outcomes=item.get("outcomes", ""),
        baseline=item.get("baseline", ""),
        status=item.get("status", "in progress"),
        lead_agency_ids=[agency_ids[k] for k in item.get("lead", [])],
        support_agency_ids=[agency_ids[k] for k in item.get("support", [])],
    )
    if progress or rag:
        lead = item.get("lead") or []
        ps.add_progress_update(
            s,
            action.id,
            update_date=progress_date,
            text=progress,
            author=author,
            agency_id=agency_ids[lead[0]] if lead else None,
            rag=rag,
        )
    for m in item.get("milestones", []):
        ms.create_milestone(
            s,
            action.id,
            text=m["text"],
            due_text=m["due_text"],
            status=m.get("status", "open"),
            completed_on=date.fromisoformat(m["completed_on"]) if m.get("completed_on") else None,
        )
    return action


# --------------------------------------------------------------------------- Sevenoaks 2007


def _sevenoaks(s: Session, agency_ids: dict[str, str]) -> Any:
    doc = load(SEVENOAKS)
    plan = ps.create_plan(
        s,
        title=doc["title"],
        partnership=doc["partnership"],
        strategy_from_fy=doc["strategy_from_fy"],
        strategy_to_fy=doc["strategy_to_fy"],
        plan_from_fy=doc["plan_from_fy"],
        plan_to_fy=doc["plan_to_fy"],
        status=doc["status"],
        version_label=doc["version_label"],
        owner=doc["owner"],
        description=f"{doc['description']}\n\n{_notes(doc)}",
    )
    as_at = date.fromisoformat(doc["progress_as_at"])
    for theme_doc in doc["themes"]:
        theme = ps.create_theme(s, plan.id, code=theme_doc["code"], title=theme_doc["title"])
        for item in theme_doc["actions"]:
            _action(
                s,
                theme.id,
                item,
                agency_ids,
                progress=item.get("progress", ""),
                progress_date=as_at,
                author=doc["progress_author"],
                rag=item.get("rag", ""),
            )
    ps.add_plan_change(
        s,
        plan.id,
        version=doc["version_label"],
        changed_on=as_at,
        editor=doc["progress_author"],
        summary="Plan as published, with the status of each action (entered from the "
        "published document for the demonstration database).",
    )
    return plan


# --------------------------------------------------------------------------- Kent tracker


def _kent_tracker(s: Session, agency_ids: dict[str, str]) -> Any:
    doc = load(KENT_TRACKER)
    garbled = "\n\n".join(
        f"Recommendation {g['recommendation']} as it appears garbled in the tracker:\n{g['text']}"
        for g in doc["garbled"]
    )
    description = (
        f"Document Title: {doc['title']}\nEditor: {doc['editor']}\nOwner(s): {doc['owner']}\n"
        f"File Ref: {doc['file_ref']}\nCurrent Status: {doc['document_status']}\n\n"
        f"{_notes(doc)}\n\n{garbled}"
    )
    plan = ps.create_plan(
        s,
        title=doc["title"],
        partnership=doc["partnership"],
        strategy_from_fy=doc["strategy_from_fy"],
        strategy_to_fy=doc["strategy_to_fy"],
        plan_from_fy=doc["plan_from_fy"],
        plan_to_fy=doc["plan_to_fy"],
        status="draft",
        version_label=doc["version_label"],
        owner=doc["owner"],
        description=description,
    )
    ps.set_rag_key(s, plan.id, doc["rag_key"])
    for change in doc["changes"]:
        ps.add_plan_change(
            s,
            plan.id,
            version=change["version"],
            changed_on=dates.parse_uk_date(change["date"]),
            editor=change["editor"],
            summary=change["summary"],
        )
    theme = ps.create_theme(s, plan.id, code=doc["theme"]["code"], title=doc["theme"]["title"])
    as_at = date.fromisoformat(doc["progress_as_at"])
    for rec in doc["recommendations"]:
        aim = ps.create_aim(s, theme.id, reference=rec["reference"], text=rec["text"])
        progress = rec["progress"]
        if rec["status_text"]:
            progress = f"{progress}\n\nStatus: {rec['status_text']}"
        for part in rec["parts"]:
            _action(
                s,
                theme.id,
                part,
                agency_ids,
                aim_id=aim.id,
                progress=progress,
                progress_date=as_at,
                author=doc["progress_author"],
                rag=rec["rag"],
            )
    if doc["status"] != "draft":
        ps.update_plan(s, plan.id, status=doc["status"])
    return plan


# --------------------------------------------------------------------------- Kent & Medway


def _kent_medway(s: Session, agency_ids: dict[str, str]) -> Any:
    doc = load(KENT_MEDWAY)
    plan = ps.create_plan(
        s,
        title=doc["title"],
        partnership=doc["partnership"],
        strategy_from_fy=doc["strategy_from_fy"],
        strategy_to_fy=doc["strategy_to_fy"],
        plan_from_fy=doc["plan_from_fy"],
        plan_to_fy=doc["plan_to_fy"],
        status="approved",
        version_label=doc["version_label"],
        owner=doc["owner"],
        description=f"{doc['description']}\n\n{_notes(doc)}",
    )
    as_at = date.fromisoformat(doc["progress_as_at"])
    for theme_doc in doc["themes"]:
        theme = ps.create_theme(s, plan.id, code=theme_doc["code"], title=theme_doc["title"])
        for aim in theme_doc.get("aims", []):
            ps.create_aim(s, theme.id, reference=aim["reference"], text=aim["text"])
        for item in theme_doc["actions"]:
            _action(
                s,
                theme.id,
                item,
                agency_ids,
                progress=item.get("progress", ""),
                progress_date=as_at,
                author=doc["progress_author"],
            )
    if doc["status"] != "approved":
        ps.update_plan(s, plan.id, status=doc["status"])
    return plan


# --------------------------------------------------------------------------- current plan

#: Invented milestones for the carried-forward demonstration plan, by action reference.
DEMO_MILESTONES = {
    "I.2": "Panic alarm register checked against the West Kent stock",
    "I.3": "Every partner's web links checked and updated",
    "2.1": "Holistic support service specification agreed by the working group",
    "2.2": "Funding bid for a Play Therapist submitted",
    "2.3": "Freedom Programme started in Swanley",
    "2.5": "Training standard refresher sessions delivered",
    "2.6": "Legal advice protocol circulated to floating support providers",
    "3.1": "Contact centre premises checked against national standards",
    "3.2": "Tier 2 CAMHS post linked with the SSKY project in schools",
    "4.2": "Options for family units at a second West Kent refuge reported",
    "4.3": "Formal transfer agreement drafted with T&M and Tunbridge Wells",
    "4.4": "Move-on accommodation review completed",
    "6.1": "Safe Schools sessions delivered in district secondary schools",
    "6.2": "Awareness campaign on local radio and in the press",
    "6.3": "Leaflets and posters reprinted and distributed",
}

_UPDATE_TEXT = {
    "R": (
        "Demonstration update: no significant progress this quarter; {lead} has asked for "
        "the action to be discussed at the next working group."
    ),
    "A": (
        "Demonstration update: work is under way. {lead} reports progress against "
        "'{short}' and expects to report again next quarter."
    ),
    "G": (
        "Demonstration update: advanced progress. {lead} reports that '{short}' is largely "
        "in place; evidence to be shared with the working group."
    ),
    "B": "Demonstration update: complete. {lead} confirms '{short}' is done.",
}


def _month_text(d: date) -> str:
    return dates.TargetDate.in_month(d.year, d.month).text


def _current_plan(s: Session, old_plan: Any, agency_ids: dict[str, str], today: date) -> Any:
    """Copy the 2007 plan forward to a current plan and give it a year of invented
    updates and milestones around ``today``: some overdue, some due this quarter,
    some done."""
    rng = random.Random(2007)
    start_fy = dates.financial_year_of(today - timedelta(days=120))
    result = ps.copy_plan_forward(
        s,
        old_plan.id,
        title=f"Sevenoaks District Domestic Abuse Action Plan {dates.fy_label(start_fy)} "
        f"{DEMO_PLAN_SUFFIX}",
        plan_from_fy=start_fy,
        plan_to_fy=start_fy,
        today=today,
        archive_previous=True,
    )
    plan = result.plan
    ps.update_plan(
        s,
        plan.id,
        status="approved",
        description=(
            "DEMONSTRATION DATA. This plan was carried forward from the Sevenoaks 2007 plan "
            "to show a plan in use: its progress updates, RAG ratings and milestones are "
            "invented and are not real partnership information."
        ),
    )
    ps.set_rag_key(s, plan.id, [*ps.DEFAULT_RAG_KEY, ps.BLUE_ENTRY])
    plan_start = dates.fy_range(start_fy)[0]
    fy, q = dates.quarter_of(today)
    quarter_start, quarter_end = dates.quarter_range(fy, q)
    next_start, _ = dates.quarter_range(*dates.next_quarter(fy, q))
    update_days = []
    day = plan_start
    while True:
        qfy, qq = dates.quarter_of(day)
        end = dates.quarter_range(qfy, qq)[1]
        if end >= today:
            break
        update_days.append(end)
        day = end + timedelta(days=1)
    recent = today - timedelta(days=10)
    if recent > (update_days[-1] if update_days else plan_start):
        update_days.append(recent)

    rows = ps.action_rows(s, plan.id)
    for i, row in enumerate(rows):
        lead = row.lead_agencies.split("; ")[0] if row.lead_agencies else "The lead agency"
        short = row.text if len(row.text) <= 60 else row.text[:59].rstrip() + "…"
        rag = rng.choice("RAAAG")
        for n, day in enumerate(update_days):
            if n and rng.random() < 0.2:
                continue  # partners miss a quarter now and then
            rag = _next_rag(rng, rag)
            status = "complete" if rag == "B" else None
            ps.add_progress_update(
                s,
                row.id,
                update_date=day,
                text=_UPDATE_TEXT[rag].format(lead=lead, short=short),
                author=f"{lead} (demonstration)",
                agency_id=_first_lead(s, row.id),
                rag=rag,
                status=status,
            )
            if rag == "B":
                break
        name = DEMO_MILESTONES.get(row.reference)
        if not name:
            continue
        kind = i % 4
        if kind == 0:  # overdue
            due = today - timedelta(days=40 + rng.randrange(30))
            due = max(due, plan_start)
            m = ms.create_milestone(s, row.id, text=name, due_text=_month_text(due))
        elif kind == 1:  # done
            due = max(plan_start, today - timedelta(days=75))
            m = ms.create_milestone(s, row.id, text=name, due_text=_month_text(due))
            ms.complete_milestone(s, m.id, max(plan_start, due - timedelta(days=5)))
        elif kind == 2:  # due this quarter, still to come
            m = ms.create_milestone(s, row.id, text=name, due_text=_month_text(quarter_end))
        else:  # next quarter
            m = ms.create_milestone(s, row.id, text=name, due_text=_month_text(next_start))
        del m
    ps.add_plan_change(
        s,
        plan.id,
        version=plan.version_label,
        changed_on=today,
        editor="Demo Co-ordinator",
        summary="Demonstration updates and milestones added (invented for the demo).",
    )
    return plan


def _next_rag(rng: random.Random, rag: str) -> str:
    roll = rng.random()
    if rag == "R":
        return "A" if roll < 0.6 else "R"
    if rag == "A":
        return "G" if roll < 0.3 else ("R" if roll < 0.4 else "A")
    if rag == "G":
        return "B" if roll < 0.25 else "G"
    return rag


def _first_lead(s: Session, action_id: str) -> str | None:
    for link in ps.agency_links(s, action_id):
        if link.role == "lead":
            return link.agency_id
    return None
