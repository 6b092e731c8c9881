"""Build the dvcoord bundle on this machine: ``python packaging/build.py``.

    python packaging/build.py [--dist DIR] [--work DIR]

Cleans ``build/``, runs PyInstaller on ``packaging/dvcoord.spec`` (which also writes
the Windows version resource, ``build/version_info.txt``, from the package version),
checks that the result starts (``--version``), then prints the bundle's size and its
ten largest parts.  The result is ``dist/dvcoord/``: copy that whole folder to the
laptops.  Run it with the Python of a virtual environment where
``pip install ".[package]"`` has been done (dvcoord's dependencies and PyInstaller).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PACKAGING = Path(__file__).resolve().parent
REPO = PACKAGING.parent
SPEC = PACKAGING / "dvcoord.spec"
WINDOWS = sys.platform == "win32"


@dataclass(frozen=True)
class Bundle:
    folder: Path  # dist/dvcoord
    gui: Path  # the executable that opens the window
    cli: Path  # the executable for the command line (the same one except on Windows)
    seconds: float

    @property
    def size(self) -> int:
        return bundle_size(self.folder)


def executable(folder: Path, name: str) -> Path:
    return folder / (f"{name}.exe" if WINDOWS else name)


def build(
    dist: Path = REPO / "dist",
    work: Path = REPO / "build",
    *,
    quiet: bool = False,
) -> Bundle:
    """Build the bundle into ``dist`` (work files in ``work``, emptied first).

    Raises ``RuntimeError`` with PyInstaller's output if the build fails.
    """
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise RuntimeError(
            'PyInstaller is not installed in this Python; run pip install ".[package]" first.'
        ) from None
    dist, work = Path(dist).resolve(), Path(work).resolve()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--noconfirm",
        "--clean",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--log-level",
        "WARN",
    ]
    start = time.perf_counter()
    done = subprocess.run(
        cmd,
        cwd=REPO,
        capture_output=quiet,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        output = ((done.stdout or "") + (done.stderr or ""))[-6000:] if quiet else ""
        raise RuntimeError(f"PyInstaller failed (exit {done.returncode}).\n{output}")
    folder = dist / "dvcoord"
    gui = executable(folder, "dvcoord")
    cli = executable(folder, "dvcoord-cli") if WINDOWS else gui
    bundle = Bundle(folder=folder, gui=gui, cli=cli, seconds=seconds)
    check_starts(bundle)
    return bundle


def check_starts(bundle: Bundle) -> str:
    """Run ``--version`` with the bundle's CLI executable; return what it printed."""
    done = subprocess.run(
        [str(bundle.cli), "--version"], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0 or not done.stdout.startswith("dvcoord "):
        raise RuntimeError(
            f"the bundle was built but does not start: exit {done.returncode}\n"
            f"{done.stdout}{done.stderr}"
        )
    return done.stdout.strip()


def bundle_size(path: Path) -> int:
    """Bytes in every file under ``path`` (symbolic links not followed or counted)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def largest_parts(folder: Path, count: int = 10) -> list[tuple[str, int]]:
    """The ``count`` largest files under ``folder``: (path relative to it, bytes)."""
    folder = Path(folder)
    files = [
        (f.relative_to(folder).as_posix(), f.stat().st_size)
        for f in folder.rglob("*")
        if f.is_file() and not f.is_symlink()
    ]
    return sorted(files, key=lambda item: (-item[1], item[0]))[:count]


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def describe(bundle: Bundle, count: int = 10) -> str:
    lines = [f"Bundle: {bundle.folder}  ({mb(bundle.size)}, built in {bundle.seconds:.0f} s)"]
    lines.append(f"Largest {count} parts:")
    for name, size in largest_parts(bundle.folder, count):
        lines.append(f"  {mb(size):>9}  {name}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist", help="default: dist/")
    parser.add_argument("--work", type=Path, default=REPO / "build", help="default: build/")
    args = parser.parse_args(argv)
    try:
        bundle = build(args.dist, args.work)
    except RuntimeError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    print(describe(bundle))
    version_file = Path(args.work).resolve() / "version_info.txt"
    if version_file.exists():
        print(f"Windows version resource: {version_file}")
    if WINDOWS:
        print(f"Window: {bundle.gui.name}; command line: {bundle.cli.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
