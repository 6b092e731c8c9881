"""Plan import and export figures.

* ``import_docx_1000_parse_ms``: reading a generated Word plan of 1,000 actions (10
  themes, headings between tables, lead agencies, fuzzy target dates, milestone cells,
  status text with RAG words) into a ParsedPlan: the wizard's preview.
* ``import_docx_1000_ms``: the whole import: parse, backup, and writing the plan,
  agencies, 1,000 actions, their progress updates and milestones in one transaction
  (target: under 3,000 ms).
* ``export_xlsx_1000_ms``: exporting that 1,000-action plan to .xlsx, one sheet per theme
  (target: under 2,000 ms). ``export_csv_1000_ms``: the same to .csv.
* ``import_docx_1000_kb`` / ``export_xlsx_1000_kb``: the sizes of those files.

Run: ``python bench/run.py --only import``.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

LEADS = [
    "Kent Police",
    "SDC Housing",
    "Building Bridges",
    "West Kent Refuge",
    "The Probation Service",
    "Children's Consortium/Domestic Abuse Working Group",
    "SDC/ With housing providers/T&M and Tunbridge Wells",
    "Police DA Manager Service Provider",
]
TARGETS = [
    "March 2008",
    "Sept 2008",
    "Ongoing",
    "On-going",
    "Qtr 2 2013/14",
    "Subject to external funding bid",
    "date to be determined",
    "Oct 208",
    "2013/14",
]
WORDS = [
    "refuge",
    "outreach",
    "housing",
    "police",
    "health",
    "training",
    "schools",
    "safety",
    "support",
    "children",
    "perpetrator",
    "programme",
    "awareness",
    "helpline",
    "sanctuary",
    "marac",
    "idva",
    "court",
]


def _cell(text: str) -> str:
    paras = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>'
        for line in text.split("\n")
    )
    return f"<w:tc><w:tcPr><w:tcW w:w='2000' w:type='dxa'/></w:tcPr>{paras}</w:tc>"


def _table(rows: list[list[str]]) -> str:
    body = "".join("<w:tr>" + "".join(_cell(c) for c in row) + "</w:tr>" for row in rows)
    return (
        f'<w:tbl xmlns:w="{W_NS}"><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>'
        f"<w:tblGrid>{'<w:gridCol/>' * len(rows[0])}</w:tblGrid>{body}</w:tbl>"
    )


def build_plan_docx(path: Path, actions: int = 1000, themes: int = 10, seed: int = 1) -> Path:
    """A Word plan shaped like the Sevenoaks one, with ``actions`` actions."""
    import docx
    from docx.oxml import parse_xml

    rng = random.Random(seed)
    document = docx.Document()
    document.add_paragraph("GENERATED DISTRICT COMMUNITY SAFETY PARTNERSHIP")
    document.add_paragraph("DOMESTIC ABUSE ACTION PLAN")
    body = document.element.body
    per_theme = actions // themes
    for t in range(1, themes + 1):
        document.add_heading(f"{t}. Theme number {t}", level=2)
        rows = [["Action", "Lead Agency", "Target Date", "Outcomes", "Status"]]
        for a in range(1, per_theme + 1):
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
            target = rng.choice(TARGETS)
            if a % 7 == 0:
                target = "Tender process established – Jul 2008 Contract awarded – Sept 2008"
            status = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 60)))
            status += rng.choice(["", "  Amber", "  Green", "  Red"])
            rows.append(
                [
                    f"{t}.{a} {text}",
                    rng.choice(LEADS),
                    target,
                    " ".join(rng.choice(WORDS) for _ in range(12)),
                    status,
                ]
            )
        body.append(parse_xml(_table(rows)))
        document.add_paragraph("")
    # python-docx keeps the section properties last; move them back to the end.
    sect = body.find(f"{{{W_NS}}}sectPr")
    if sect is not None:
        body.remove(sect)
        body.append(sect)
    document.save(path)
    return path


def run(ctx) -> list[tuple[str, float, str]]:  # noqa: ANN001
    from dvcoord.importers.plan_export import export_plan
    from dvcoord.importers.plan_import import default_agency_map, parse_plan, write_plan
    from dvcoord.store import Database

    source = build_plan_docx(ctx.tmp / "plan-1000.docx")
    figures: list[tuple[str, float, str]] = []
    figures.append(("import_docx_1000_parse_ms", ctx.time_ms(lambda: parse_plan(source)), "ms"))

    counter = iter(range(1000))
    made: list[str] = []

    def fresh() -> None:
        path = ctx.tmp / f"import-{next(counter)}.sqlite"
        made.append(str(Database.create(path, user="Bench").path))

    def do_import() -> None:
        db = Database.open(Path(made[-1]), user="Bench", backup=False)
        try:
            parsed = parse_plan(source, db=db)
            summary = write_plan(db, parsed, agency_map=default_agency_map(parsed))
            assert summary.actions_created == 1000, summary.actions_created
            ctx.extra["plan_id"] = summary.plan_id
        finally:
            db.close()

    def setup() -> None:
        for name in made:
            Path(name).unlink(missing_ok=True)
        made.clear()
        fresh()

    figures.append(("import_docx_1000_ms", ctx.time_ms(do_import, setup=setup), "ms"))
    db = Database.open(Path(made[-1]), user="Bench", backup=False)
    try:
        plan_id = ctx.extra["plan_id"]
        out = ctx.tmp / "export-1000.xlsx"
        figures.append(
            ("export_xlsx_1000_ms", ctx.time_ms(lambda: export_plan(db, plan_id, out)), "ms")
        )
        out_csv = ctx.tmp / "export-1000.csv"
        figures.append(
            ("export_csv_1000_ms", ctx.time_ms(lambda: export_plan(db, plan_id, out_csv)), "ms")
        )
    finally:
        db.close()
    figures.append(("import_docx_1000_kb", round(source.stat().st_size / 1024), "KB"))
    figures.append(("export_xlsx_1000_kb", round(out.stat().st_size / 1024), "KB"))
    return figures


if __name__ == "__main__":  # a quick look without run.py
    import sys
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        p = build_plan_docx(Path(tmp) / "p.docx")
        print(f"built {p.stat().st_size // 1024} KB in {time.perf_counter() - start:.2f}s")
