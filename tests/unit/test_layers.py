"""The one rule of dependencies: ``gui → services/reports/exchange/importers → store``.

Nothing outside ``src/dvcoord/gui/`` imports Qt (PySide6/shiboken6) or ``dvcoord.gui``,
and ``store`` imports nothing from the layers above it.  The scanner reads every module
with :mod:`ast`, so imports inside functions and ``importlib.import_module("...")`` calls
with a literal name count too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import dvcoord

PACKAGE = Path(dvcoord.__file__).resolve().parent
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "PySide2")
ABOVE_STORE = ("gui", "services", "reports", "exchange", "importers", "demo", "commands", "cli")


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imported_names(source: str, module: str = "dvcoord.x", is_package: bool = False) -> set[str]:
    """Every module name ``source`` imports, relative imports made absolute."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if (
                name in ("import_module", "__import__")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def is_under(name: str, roots: tuple[str, ...]) -> bool:
    return any(name == r or name.startswith(r + ".") for r in roots)


def modules_outside_gui() -> list[Path]:
    gui = PACKAGE / "gui"
    return sorted(p for p in PACKAGE.rglob("*.py") if gui not in p.parents)


def imports_of(path: Path) -> set[str]:
    return imported_names(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )


# --------------------------------------------------------------------------- the scanner
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import PySide6", {"PySide6"}),
        ("import PySide6.QtCore as qc", {"PySide6.QtCore"}),
        ("from PySide6.QtWidgets import QWidget", {"PySide6.QtWidgets"}),
        ("def f():\n    from shiboken6 import isValid", {"shiboken6"}),
        ("import importlib\nimportlib.import_module('PySide6.QtGui')", {"PySide6.QtGui"}),
        ("__import__('PySide6')", {"PySide6"}),
        ("from ..gui import app", {"dvcoord.gui"}),
        ("from . import fileguard", {"dvcoord.store"}),
    ],
)
def test_scanner_finds_imports(source, expected):
    found = imported_names(source, module="dvcoord.store.backups")
    assert expected <= found, found


def test_scanner_ignores_strings_and_comments():
    source = textwrap.dedent(
        '''
        """Unlike the GUI, this module never imports PySide6."""
        # import PySide6
        NAME = "PySide6"
        '''
    )
    assert not any(is_under(n, QT) for n in imported_names(source))


def test_scanner_resolves_package_relative_imports():
    assert "dvcoord.gui.views" in imported_names(
        "from .views import x", module="dvcoord.gui", is_package=True
    )


# --------------------------------------------------------------------------- the rules
def test_the_scan_covers_the_package():
    names = {module_name(p) for p in modules_outside_gui()}
    assert {"dvcoord.cli", "dvcoord.paths", "dvcoord.store.database"} <= names
    assert not any(n.startswith("dvcoord.gui") for n in names)


def test_nothing_outside_gui_imports_qt():
    offenders = {
        str(p.relative_to(PACKAGE)): sorted(n for n in imports_of(p) if is_under(n, QT))
        for p in modules_outside_gui()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_nothing_outside_gui_imports_the_gui():
    offenders = {}
    for p in modules_outside_gui():
        bad = sorted(n for n in imports_of(p) if is_under(n, ("dvcoord.gui",)))
        if bad and module_name(p) != "dvcoord.cli":
            offenders[str(p.relative_to(PACKAGE))] = bad
    assert offenders == {}


def test_cli_reaches_the_gui_only_when_opening_the_window():
    """cli.py starts the window, so it may name dvcoord.gui, but only inside a function."""
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    top_level = [
        node
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            is_under(n, ("dvcoord.gui",)) for n in imported_names(ast.unparse(node), "dvcoord.cli")
        )
    ]
    assert top_level == []


def test_store_imports_nothing_from_the_layers_above():
    above = tuple(f"dvcoord.{name}" for name in ABOVE_STORE)
    offenders = {}
    for p in sorted((PACKAGE / "store").rglob("*.py")):
        bad = sorted(n for n in imports_of(p) if is_under(n, above))
        if bad:
            offenders[str(p.relative_to(PACKAGE))] = bad
    assert offenders == {}


def test_importing_every_module_outside_gui_loads_no_qt():
    """The same rule at run time: third-party imports cannot smuggle Qt in either."""
    names = [
        module_name(p)
        for p in modules_outside_gui()
        if "migrations" not in p.parts and p.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "qt = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{QT!r})\n"
        "print(qt)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
