"""Report kinds: the names the CLI (``dvcoord report KIND``) and the GUI's Export report
dialog offer.  Each report module registers its kinds with :func:`register`; every module
of :mod:`dvcoord.reports` is imported by :func:`kinds`, so a new area adds a module and
nothing else.

A kind's ``build(db, request)`` builds the plain report model through the services and
renders it with :mod:`dvcoord.reports.layout`, writing ``request.out`` atomically.  The
GUI and the CLI call the same ``build``, so they produce identical files.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dvcoord.store import Database


@dataclass
class ReportRequest:
    out: Path
    marking: str | None = None  # None: the kind's default (or the database's)
    redact: bool = False  # leave out case references
    plan: str | None = None  # plan reference or title
    date_from: date | None = None
    date_to: date | None = None
    agency: str | None = None
    officer: str = ""
    show_locations: bool = False  # sanctuary: print locations only when asked
    today: date | None = None  # "as at" date for overdue/due lists (None: today)
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportKind:
    name: str  # CLI name, e.g. "action-plan"
    title: str  # shown in the GUI
    area: str  # "Action plans", "Training", ...
    build: Callable[[Database, ReportRequest], Path]
    needs_plan: bool = False
    #: Can be limited to one plan (``needs_plan`` implies it).
    uses_plan: bool = False
    uses_period: bool = False
    #: With ``uses_period``: False when only the start is used ("changed since").
    uses_period_end: bool = True
    uses_agency: bool = False
    #: Can show case data: defaults to OFFICIAL-SENSITIVE.
    shows_case_data: bool = False
    #: Can print locations (postcode districts, full addresses) when asked with
    #: ``ReportRequest.show_locations``; the GUI offers the switch only for these kinds.
    shows_locations: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        # Making a long report allocates millions of small objects: run the cyclic garbage
        # collector less often throughout (model, tables and PDF), not just in the layout.
        build = self.build

        @functools.wraps(build)
        def build_with_fewer_collections(db: Database, request: ReportRequest) -> Path:
            from dvcoord.reports.layout import fewer_collections

            self.check_marking(db, request)
            with fewer_collections():
                return build(db, request)

        object.__setattr__(self, "build", build_with_fewer_collections)

    def default_marking(self, db: Database) -> str:
        return "OFFICIAL-SENSITIVE" if self.shows_case_data else db.default_marking

    def check_marking(self, db: Database, request: ReportRequest) -> None:
        """Refuse a marking too low for what the report will print, before anything is
        written: districts or addresses need OFFICIAL-SENSITIVE; case references need a
        marking (not NONE) unless they are withheld."""
        from dvcoord.errors import ValidationError

        marking = request.marking or self.default_marking(db)
        if self.shows_locations and request.show_locations and marking != "OFFICIAL-SENSITIVE":
            raise ValidationError(
                "A report that prints districts or addresses must be marked "
                "OFFICIAL-SENSITIVE: choose that marking, or leave the locations out.",
                field="marking",
            )
        if self.shows_case_data and not request.redact and marking == "NONE":
            raise ValidationError(
                "A report that shows case references must carry a protective marking: "
                "choose OFFICIAL-SENSITIVE or OFFICIAL, or leave the references out.",
                field="marking",
            )


_REGISTRY: dict[str, ReportKind] = {}
_loaded = False


def register(kind: ReportKind) -> ReportKind:
    if kind.name in _REGISTRY and _REGISTRY[kind.name] is not kind:
        raise ValueError(f"report kind {kind.name!r} registered twice")
    _REGISTRY[kind.name] = kind
    return kind


def kinds() -> dict[str, ReportKind]:
    """Every registered report kind, by name (imports every report module once)."""
    global _loaded
    if not _loaded:
        import dvcoord.reports as pkg

        for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
            importlib.import_module(f"dvcoord.reports.{info.name}")
        _loaded = True
    return dict(_REGISTRY)


def get(name: str) -> ReportKind:
    from dvcoord.errors import DvcoordError

    found = kinds()
    if name not in found:
        raise DvcoordError(
            f"There is no report kind '{name}'. Choose one of: {', '.join(sorted(found))}."
        )
    return found[name]


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def page_count(path: Path) -> int:
    """Pages in a PDF written by the reports (ReportLab writes every page object as plain
    text, so counting them needs no PDF library)."""
    return len(_PAGE_OBJECT.findall(Path(path).read_bytes()))
