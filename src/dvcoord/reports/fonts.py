"""DejaVu fonts for the PDF reports.

ReportLab's built-in PDF fonts (Helvetica and friends) only cover Latin-1, so a "£" is
fine but "–", "‘’", "“”", "•", "ł" or "✓" would print as black boxes.  The reports use
DejaVu Sans instead, shipped in ``resources/fonts`` (see ``LICENSE-DejaVu.txt`` there)
and embedded, subsetted, in every PDF.

Font names to use in styles::

    SANS, SANS_BOLD, SANS_ITALIC, SANS_BOLD_ITALIC   # DejaVu Sans (body text)
    CONDENSED, CONDENSED_BOLD                        # DejaVu Sans Condensed (table cells)

``register_fonts()`` registers them with ReportLab once per process (it is cheap to call
again) and sets up the families so that ``<b>`` and ``<i>`` in Paragraph markup pick the
right face.  It raises ``FileNotFoundError`` with a readable message if a font file is
missing from the installation; :mod:`dvcoord.reports.layout` turns that into a
``ReportError`` for the user.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from dvcoord import paths

SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
SANS_ITALIC = "DejaVuSans-Oblique"
SANS_BOLD_ITALIC = "DejaVuSans-BoldOblique"
CONDENSED = "DejaVuSansCondensed"
CONDENSED_BOLD = "DejaVuSansCondensed-Bold"

#: ReportLab font name -> file name in ``resources/fonts``.
FONT_FILES: dict[str, str] = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    SANS_ITALIC: "DejaVuSans-Oblique.ttf",
    SANS_BOLD_ITALIC: "DejaVuSans-BoldOblique.ttf",
    CONDENSED: "DejaVuSansCondensed.ttf",
    CONDENSED_BOLD: "DejaVuSansCondensed-Bold.ttf",
}

_lock = threading.Lock()
_registered = False


def fonts_dir() -> Path:
    """The folder holding the bundled TTF files (``resources/fonts``)."""
    return paths.resources_dir() / "fonts"


def register_fonts() -> None:
    """Register the DejaVu faces and families with ReportLab (idempotent, thread-safe)."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        folder = fonts_dir()
        missing = [name for name in FONT_FILES.values() if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"The report fonts are missing from {folder} ({', '.join(missing)}); "
                "reinstall dvcoord."
            )
        for font_name, file_name in FONT_FILES.items():
            pdfmetrics.registerFont(TTFont(font_name, str(folder / file_name)))
        pdfmetrics.registerFontFamily(
            SANS, normal=SANS, bold=SANS_BOLD, italic=SANS_ITALIC, boldItalic=SANS_BOLD_ITALIC
        )
        # The condensed family has no oblique faces here: <i> falls back to upright.
        pdfmetrics.registerFontFamily(
            CONDENSED,
            normal=CONDENSED,
            bold=CONDENSED_BOLD,
            italic=CONDENSED,
            boldItalic=CONDENSED_BOLD,
        )
        _registered = True
