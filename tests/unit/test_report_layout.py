"""The shared report layout: page furniture, metadata, tables, text safety, atomic output.

Each test renders a small PDF into ``tmp_path`` and reads it back with pypdf.
"""

from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path

import pypdf
import pytest
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

import dvcoord
from dvcoord.reports import layout as L

WHEN = datetime(2025, 3, 14, 9, 5)


def _options(**kwargs: object) -> L.ReportOptions:
    base: dict[str, object] = {
        "marking": "OFFICIAL-SENSITIVE",
        "officer": "Jo Patel",
        "partnership": "Safer Anytown CSP",
        "generated_at": WHEN,
    }
    base.update(kwargs)
    return L.ReportOptions(**base)  # type: ignore[arg-type]


def _build(path: Path, story: list[Flowable], **kwargs: object) -> pypdf.PdfReader:
    options = kwargs.pop("options", None) or _options()
    doc = L.ReportDocument(
        path, title=str(kwargs.pop("title", "Test report")), options=options, **kwargs
    )  # type: ignore[arg-type]
    assert doc.build(story) == path.resolve()
    return pypdf.PdfReader(path)


def _texts(reader: pypdf.PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def _rows(n: int) -> list[list[str]]:
    return [
        [f"{i}.1", f"Action number {i} for the partnership", "Police", "Mar 2025", "RAGB"[i % 4]]
        for i in range(n)
    ]


HEADER = ["Reference", "Action text", "Lead agency", "Target date", "RAG"]
WIDTHS = [20 * mm, 0.6, 0.4, 24 * mm, 12 * mm]


@pytest.fixture(scope="module")
def long_doc(tmp_path_factory: pytest.TempPathFactory) -> tuple[pypdf.PdfReader, list[str]]:
    """A 600-row table over many pages, built once for several tests."""
    path = tmp_path_factory.mktemp("long") / "long.pdf"
    reader = _build(
        path, [L.heading("Actions", 1), L.data_table(HEADER, _rows(600), WIDTHS, rag_column=4)]
    )
    return reader, _texts(reader)


# --------------------------------------------------------------------------- page furniture
def test_marking_at_top_and_bottom_of_every_page(long_doc) -> None:
    reader, texts = long_doc
    assert len(texts) > 5
    for text in texts:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        assert lines[0] == "OFFICIAL-SENSITIVE"
        assert lines[-1] == "OFFICIAL-SENSITIVE"
        assert text.count("OFFICIAL-SENSITIVE") == 2


def test_page_n_of_m_on_every_page(long_doc) -> None:
    reader, texts = long_doc
    n = len(texts)
    for i, text in enumerate(texts, start=1):
        assert f"Page {i} of {n}" in text
    assert "Generated 14/03/2025 09:05 by Jo Patel" in texts[0]
    assert "Generated 14/03/2025 09:05 by Jo Patel" in texts[-1]


def test_header_row_repeats_on_every_page(long_doc) -> None:
    reader, texts = long_doc
    for text in texts:
        for label in HEADER:
            assert label in text
    body = "".join(texts)
    assert "Action number 0 for" in body and "Action number 599 for" in body


def test_headings_become_bookmarks(long_doc) -> None:
    reader, _ = long_doc
    assert [item["/Title"] for item in reader.outline] == ["Actions"]


def test_no_marking_printed_when_none(tmp_path: Path) -> None:
    reader = _build(tmp_path / "none.pdf", [L.para("Hello")], options=_options(marking="none"))
    text = _texts(reader)[0]
    assert "OFFICIAL" not in text
    assert "Page 1 of 1" in text
    assert "OFFICIAL" not in (reader.metadata.get("/Keywords") or "")


def test_metadata(tmp_path: Path) -> None:
    reader = _build(
        tmp_path / "meta.pdf",
        [L.para("Hello")],
        title="Action plan progress",
        subtitle="Board update",
        period="2024/25 Q2",
    )
    meta = reader.metadata
    assert meta.title == "Action plan progress"
    assert meta.creator == f"dvcoord {dvcoord.__version__}"
    assert meta.author == "Jo Patel, Safer Anytown CSP"
    assert meta.subject == "Board update \u2013 2024/25 Q2"
    assert "OFFICIAL-SENSITIVE" in meta["/Keywords"]


def test_title_block(tmp_path: Path) -> None:
    reader = _build(
        tmp_path / "t.pdf",
        [L.para("Body")],
        title="Action plan",
        period="2024/25",
        plan_version="3.1",
        options=_options(redact=True),
    )
    text = _texts(reader)[0]
    for expected in (
        "Safer Anytown CSP",
        "Action plan",
        "Period: 2024/25",
        "Plan version 3.1",
        "Case references have been left out of this report.",
    ):
        assert expected in text


def test_page_sizes(tmp_path: Path) -> None:
    wide = _build(tmp_path / "l.pdf", [L.para("x")], landscape=True)
    box = wide.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(landscape(A4), abs=0.1)
    tall = _build(tmp_path / "p.pdf", [L.para("x")])
    box = tall.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=0.1)


# --------------------------------------------------------------------------- text and tables
def test_text_outside_latin_1_survives(tmp_path: Path) -> None:
    sample = "\u201cSmart quotes\u201d, \u2018single\u2019, \u00a312,450 \u2013 \u0141\u00f3d\u017a \u2713 \u2717 \u2022 caf\u00e9"
    reader = _build(
        tmp_path / "u.pdf",
        [
            L.heading(sample, 2),
            L.para(sample),
            L.data_table(["Note"], [[sample]], [1.0]),
        ],
    )
    assert _texts(reader)[0].count(sample) == 3


def test_user_text_is_never_markup(tmp_path: Path) -> None:
    nasty = "<b>not bold</b> & R&D <font size=40>x</font> &amp; <br/>"
    reader = _build(
        tmp_path / "m.pdf",
        [
            L.para(nasty),
            L.data_table(["Progress"], [[nasty]], [1.0]),
            L.key_values([("Note", nasty)]),
        ],
        title="Board & <i>partners</i>",
    )
    text = _texts(reader)[0]
    assert text.count(nasty) == 3
    assert "Board & <i>partners</i>" in text


def test_20000_character_cell(tmp_path: Path) -> None:
    note = ("Partners met and reviewed the referral pathway. " * 420)[:20000]
    unbroken = "x" * 20000
    reader = _build(
        tmp_path / "big.pdf",
        [
            L.data_table(
                ["Ref", "Progress", "RAG"],
                [["1", "short", "G"], ["2", note, "A"], ["3", unbroken, "R"], ["4", "after", "B"]],
                [15 * mm, 1.0, 12 * mm],
                rag_column=2,
            )
        ],
    )
    body = "".join(_texts(reader))
    assert body.count("x") == 20000
    assert body.replace("\n", " ").count("reviewed the referral") == note.count(
        "reviewed the referral"
    )
    assert "after" in body
    assert len(reader.pages) < 20


def test_long_cell_text_keeps_rag_letter_on_every_page(tmp_path: Path) -> None:
    note = "Update from the housing lead on the sanctuary scheme. " * 600
    reader = _build(
        tmp_path / "rag.pdf",
        [
            L.data_table(
                ["Ref", "Progress", "RAG"],
                [["1", note, "Amber"]],
                [15 * mm, 1.0, 12 * mm],
                rag_column=2,
            )
        ],
    )
    for text in _texts(reader):
        assert "\nA\n" in text or text.rstrip().endswith("A") or " A\n" in text


def test_columns_always_fit_the_frame() -> None:
    doc = L.ReportDocument("unused.pdf", title="t")
    table = L.data_table(["a", "b"], [["1", "2"]], [400 * mm, 300 * mm])
    width, _ = table.wrap(doc.frame_width, doc.frame_height)
    assert width == pytest.approx(doc.frame_width)
    shares = L.data_table(["a", "b", "c"], [["1", "2", "3"]], [30 * mm, 0.5, 0.5])
    width, _ = shares.wrap(doc.frame_width, doc.frame_height)
    assert width == pytest.approx(doc.frame_width)


def test_table_rows_must_match_header() -> None:
    with pytest.raises(ValueError, match="Row 2 has 1 cells"):
        L.data_table(["a", "b"], [["1", "2"], ["3"]], [0.5, 0.5])
    with pytest.raises(ValueError, match="column widths"):
        L.data_table(["a", "b"], [["1", "2"]], [1.0])


def test_span_rows_cell_text_and_totals(tmp_path: Path) -> None:
    reader = _build(
        tmp_path / "span.pdf",
        [
            L.para("Victims are safe.", label="Key objective", keep_with_next=True),
            L.data_table(
                ["Ref", "Progress", "RAG"],
                [
                    L.span_row("Aim 1: One point of contact"),
                    ["1.1", L.cell_text("Helpline opened.", label="12/09/2024 \u2013 Police"), "G"],
                    ["1.2", L.cell_text("No progress reported yet.", muted=True), None],
                    L.span_row("No actions under this aim yet.", kind="note"),
                ],
                [15 * mm, 1.0, 12 * mm],
                rag_column=2,
            ),
            L.data_table(
                ["Theme", "Total"],
                [["A", 1], ["All themes", 1]],
                [1.0, 20 * mm],
                right_align=[1],
                total_row=True,
            ),
        ],
    )
    text = _texts(reader)[0]
    for expected in (
        "Key objective: Victims are safe.",
        "Aim 1: One point of contact",
        "12/09/2024 \u2013 Police\nHelpline opened.",
        "No progress reported yet.",
        "No actions under this aim yet.",
        "All themes",
    ):
        assert expected in text


def test_rag_letters_and_key(tmp_path: Path) -> None:
    assert [L.rag_letter(v) for v in ("r", "Amber", " GREEN ", "b", None, "", "\u2013")] == [
        "R",
        "A",
        "G",
        "B",
        "",
        "",
        "",
    ]
    assert L.rag_letter("x?") == "X?"
    reader = _build(
        tmp_path / "key.pdf",
        [
            L.rag_key_table(
                [
                    ("R", "Red", "No significant progress"),
                    ("A", "Amber", "Progress underway"),
                    ("G", "Green", "Completed or advanced progress"),
                ]
            )
        ],
    )
    text = _texts(reader)[0]
    assert "Red\nNo significant progress" in text and "Completed or advanced progress" in text


def test_charts_and_empty_notes(tmp_path: Path) -> None:
    bars = L.bar_chart(
        ["Support in the Community", "Housing"], {"Red": [1, 2], "Amber": [3, 0], "Green": [4, 5]}
    )
    ring = L.donut({"Red": 2, "Amber": 3, "Green": 0})
    empty = L.bar_chart(["Q1"], {"Red": [0]})
    reader = _build(tmp_path / "c.pdf", [bars, ring, empty, L.no_data()], landscape=True)
    text = "".join(_texts(reader))
    assert "Support in the" in text and "Amber: 3 (60%)" in text
    assert "No figures to chart for this period." in text
    assert "Nothing to report for this period." in text
    with pytest.raises(ValueError, match="has 1 values for 2 categories"):
        L.bar_chart(["a", "b"], {"Red": [1]})


def test_sections_as_tables(tmp_path: Path) -> None:
    story = L.sections_as_tables(
        [L.TableSection("Housing", _rows(3), intro="Safe homes."), ("Perpetrators", [])],
        HEADER,
        WIDTHS,
        rag_column=4,
    )
    text = _texts(_build(tmp_path / "s.pdf", story))[0]
    assert "Housing" in text and "Safe homes." in text
    assert "Perpetrators" in text and "Nothing recorded in this section." in text


# --------------------------------------------------------------------------- options
def test_marking_normalised() -> None:
    assert L.Marking.parse("official-sensitive") is L.Marking.OFFICIAL_SENSITIVE
    assert L.Marking.parse(" Official Sensitive ") is L.Marking.OFFICIAL_SENSITIVE
    assert L.Marking.parse("official") is L.Marking.OFFICIAL
    for nothing in ("NONE", "none", "", None):
        assert L.Marking.parse(nothing) is L.Marking.NONE
    assert L.Marking.NONE.label == ""
    assert L.ReportOptions(marking="official_sensitive").marking == "OFFICIAL-SENSITIVE"
    assert L.ReportOptions().marking.label == "OFFICIAL"
    with pytest.raises(ValueError, match="Unknown protective marking 'SECRET'"):
        L.Marking.parse("SECRET")
    with pytest.raises(ValueError):
        L.ReportOptions(marking="TOP SECRET")


def test_redaction_helpers() -> None:
    on, off = L.ReportOptions(redact=True), L.ReportOptions()
    text = "Referred MARAC-2024-117 (case ref: 4471); action DV4 due 2024/25, COVID-19 delays."
    assert L.redact_text(text, off) == text
    redacted = L.redact_text(text, on)
    assert "MARAC-2024-117" not in redacted and "4471" not in redacted
    assert "DV4" in redacted and "2024/25" in redacted and "COVID-19" in redacted
    assert L.case_ref("MARAC-2024-117", on) == "Withheld"
    assert L.case_ref("MARAC-2024-117", off) == "MARAC-2024-117"


# --------------------------------------------------------------------------- atomic output
class _Boom(Flowable):
    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        return 10, 10

    def draw(self) -> None:
        raise RuntimeError("boom")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_failure_mid_build_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    story = [L.data_table(HEADER, _rows(120), WIDTHS), _Boom()]
    with pytest.raises(RuntimeError, match="boom"):
        L.ReportDocument(target, title="t", options=_options()).build(story)
    assert _leftovers(tmp_path) == []
    target.write_bytes(b"old report")
    with pytest.raises(RuntimeError):
        L.ReportDocument(target, title="t", options=_options()).build([_Boom()])
    assert target.read_bytes() == b"old report"
    assert _leftovers(tmp_path) == ["report.pdf"]


def test_layout_error_becomes_report_error(tmp_path: Path) -> None:
    target = tmp_path / "huge.pdf"
    story = [L.data_table(["Cell"], [[Spacer(10, 5000)]], [1.0])]
    with pytest.raises(L.ReportError, match="too large to fit on a page"):
        L.ReportDocument(target, title="t", options=_options()).build(story)
    assert _leftovers(tmp_path) == []


def test_read_only_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):  # running as root: simulate the refusal

            def refuse(*args: object, **kwargs: object) -> None:
                raise PermissionError(errno.EACCES, "Permission denied")

            monkeypatch.setattr(L.tempfile, "mkstemp", refuse)
        with pytest.raises(L.ReportError) as caught:
            L.ReportDocument(folder / "r.pdf", title="t", options=_options()).build([])
        assert str(caught.value).startswith(f"Cannot write to {folder}: the folder is read-only")
        assert _leftovers(folder) == []
    finally:
        folder.chmod(0o755)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(L.ReportError, match="the folder does not exist"):
        L.ReportDocument(tmp_path / "nope" / "r.pdf", title="t").build([])


def test_target_open_in_viewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "board.pdf"
    target.write_bytes(b"previous")

    def locked(src: str, dst: str) -> None:
        raise PermissionError(errno.EACCES, "The process cannot access the file")

    monkeypatch.setattr(L.os, "replace", locked)
    with pytest.raises(L.ReportError) as caught:
        L.ReportDocument(target, title="t", options=_options()).build([L.para("x")])
    assert str(caught.value) == (
        f"Cannot write to {target}: the file may be open in a PDF viewer; close it and try again."
    )
    assert target.read_bytes() == b"previous"
    assert _leftovers(tmp_path) == ["board.pdf"]


def test_report_error_is_a_user_error() -> None:
    from dvcoord.errors import DvcoordError

    assert issubclass(L.ReportError, DvcoordError)


# --------------------------------------------------------------------------- fast paths
def _placed_text(path: Path) -> list[tuple[str, float, float, str, float]]:
    """Every piece of text on page 1 with where it is drawn, its font and size."""
    out: list[tuple[str, float, float, str, float]] = []

    def visit(text, cm, tm, font, size) -> None:  # noqa: ANN001
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            out.append((text.strip(), round(x, 2), round(y, 2), font["/BaseFont"], size))

    pypdf.PdfReader(path).pages[0].extract_text(visitor_text=visit)
    return out


def _mixed_table() -> Flowable:
    rows = [
        ["1.1", "Short", 12, L.cell_text("Done", label="01/02/2025 (Jo)"), "Red"],
        ["1.2", "Text long enough to wrap over two or three lines of its column", 7, "x & y", "G"],
        ["1.3", "  spaced   out  ", 0, L.cell_text("No update", muted=True), ""],
        ["Total", "", 19, "", ""],
    ]
    return L.data_table(
        ["Ref", "Text", "Days late", "Update", "RAG"],
        rows,
        [14 * mm, 0.5, 18 * mm, 0.5, 12 * mm],
        rag_column=4,
        right_align=(2,),
        total_row=True,
    )


def test_plain_cells_are_drawn_where_paragraphs_would_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = _mixed_table()
    assert any(isinstance(v, L._PlainCell) for row in table._cellvalues for v in row)
    _build(tmp_path / "plain.pdf", [table])
    monkeypatch.setattr(L, "_plain_cell", lambda *args: None)
    _build(tmp_path / "paragraphs.pdf", [_mixed_table()])
    plain = _placed_text(tmp_path / "plain.pdf")
    assert len(plain) > 20  # furniture, header and every cell
    assert plain == _placed_text(tmp_path / "paragraphs.pdf")
    assert ("spaced out", 89.04) in [(t, x) for t, x, *_ in plain]


def test_plain_cells_become_paragraphs_in_a_narrow_frame() -> None:
    table = _mixed_table()
    table.wrap(120, 1000)  # far narrower than any page
    limits = [w - 2 * L._CELL_PAD for w in table._colWidths]
    for row in table._cellvalues:
        for c, value in enumerate(row):
            if isinstance(value, L._PlainCell):
                assert value.dv_width <= limits[c]
    assert not isinstance(table._cellvalues[0][2], L._PlainCell)  # "Days late" no longer fits


@pytest.mark.parametrize("style", ["cell", "cell-right-bold-muted-more", "span_note", "cell_head"])
def test_cell_paragraphs_match_reportlabs_parser(style: str) -> None:
    """Cell paragraphs built without the markup parser carry exactly what it would make."""
    from reportlab.platypus import Paragraph

    st = L._styles()[style]
    texts = [
        "Plain words",
        "  leading and trailing  ",
        "many   inner\tspaces",
        "line one\nline two\n  indented three",
        "caf\u00e9 \u2013 \u2018quoted\u2019 \u3000wide\u2002space",
        "R&D <b>not bold</b>",
        "x",
    ]
    for text in texts:
        for label in ("", "12/10/2026 (A. Officer)"):
            fast = L._cell_paragraph(text, st, label)
            markup = L._markup(text)
            if label:
                markup = f"<b>{L._markup(label)}</b><br/>{markup}"
            parsed = Paragraph(markup, st)
            assert [f.__dict__ for f in fast.frags] == [f.__dict__ for f in parsed.frags]
            assert fast.text == parsed.text
            assert fast.wrap(60, 500) == parsed.wrap(60, 500)
            assert repr(fast.blPara) == repr(parsed.blPara)


def test_collector_thresholds_raised_while_building_then_restored(tmp_path: Path) -> None:
    import gc

    before = gc.get_threshold()
    seen: list[tuple[int, ...]] = []
    with L.on_each_page(lambda page: seen.append(gc.get_threshold())):
        _build(tmp_path / "gc.pdf", [L.data_table(HEADER, _rows(120), WIDTHS, rag_column=4)])
    assert seen and all(t[0] >= L._GC_YOUNG for t in seen)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    with L.fewer_collections():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with L.fewer_collections():
            assert gc.get_threshold()[0] >= L._GC_YOUNG
            assert gc.get_freeze_count() == frozen
        assert gc.get_threshold()[0] >= L._GC_YOUNG
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), L.fewer_collections():
        raise RuntimeError("boom")
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
