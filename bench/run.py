"""dvcoord's benchmarks: ``python bench/run.py [--quick] [--only NAME ...]``.

Prints one line per figure, ``name value unit``, for example::

    open_large_db_ms 41.3 ms

Every module ``bench/bench_*.py`` with a ``run(ctx) -> list[(name, value, unit)]``
function is found and run in name order; an area adds its figures by adding a file and
nothing else.  ``ctx`` (:class:`Context`) gives each module the shared synthetic
county-scale database (``ctx.large_db()``, built once by :func:`synth.build_large_db`,
which areas extend with :func:`synth.register_builder`), a demo database
(``ctx.demo_db()``), a scratch folder, and helpers for timing and subprocesses.

Everything runs under a temporary ``DVCOORD_HOME`` (nothing touches the real profile)
and with ``QT_QPA_PLATFORM=offscreen``.  ``--quick`` builds the large file at a tenth of
the scale and repeats each timing fewer times: for checking the scripts, not for figures.
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SRC = REPO / "src"

Figure = tuple[str, float | int, str]


@dataclass
class Context:
    """What every benchmark module is given."""

    quick: bool
    scale: float
    repeat: int
    tmp: Path
    home: Path
    python: str = sys.executable
    _large: Path | None = None
    large_db_seconds: float = 0.0
    _demo: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- databases
    def large_db(self) -> Path:
        """The synthetic county-scale database (built on first use, then shared).

        Treat it as read-only; copy it (``dvcoord.store.backups.copy_database``) to
        change it.
        """
        if self._large is None:
            from synth import build_large_db

            start = time.perf_counter()
            self._large = build_large_db(self.tmp / "large.sqlite", scale=self.scale)
            self.large_db_seconds = time.perf_counter() - start
        return self._large

    def demo_db(self) -> Path:
        """The demo database, as ``dvcoord demo PATH`` writes it."""
        if self._demo is None:
            from dvcoord.demo import build_demo

            self._demo = build_demo(self.tmp / "demo.sqlite")
        return self._demo

    # ----------------------------------------------------------------- timing
    def time_ms(
        self, fn: Callable[[], Any], *, repeat: int | None = None, setup: Callable[[], Any] = None
    ) -> float:
        """Median wall time of ``fn()`` in milliseconds (``setup()`` untimed before each)."""
        times = []
        for _ in range(repeat or self.repeat):
            if setup is not None:
                setup()
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    # ----------------------------------------------------------------- subprocesses
    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        # An installed dvcoord has its bytecode compiled (pip does it at install time);
        # with PYTHONDONTWRITEBYTECODE set, every changed module of this checkout would
        # be compiled again in every timed process.  The untimed warm-up runs write it.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["DVCOORD_HOME"] = str(self.home)
        env["QT_QPA_PLATFORM"] = "offscreen"
        env["PYTHONPATH"] = os.pathsep.join(
            [str(SRC), str(BENCH)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        )
        env.update(extra)
        return env

    def spawn_until(self, code: str, args: Sequence[str] = (), marker: str = "shown") -> float:
        """Milliseconds from starting ``python -c code`` to its printing ``marker``.

        The process is then left to finish (untimed); it is killed if it hangs.
        Raises RuntimeError with its error output if it never prints the marker.
        """
        return self.spawn_marks(code, args, (marker,))[marker]

    def spawn_marks(
        self, code: str, args: Sequence[str] = (), markers: Sequence[str] = ("shown",)
    ) -> dict[str, float]:
        """Milliseconds from starting ``python -c code`` to its printing each of
        ``markers`` (a line each, in that order)."""
        start = time.perf_counter()
        proc = subprocess.Popen(
            [self.python, "-c", code, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env(),
        )
        seen: dict[str, float] = {}
        assert proc.stdout is not None
        for line in proc.stdout:
            mark = line.strip()
            if mark in markers and mark not in seen:
                seen[mark] = (time.perf_counter() - start) * 1000
                if len(seen) == len(markers):
                    break
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        missing = [m for m in markers if m not in seen]
        if missing:
            raise RuntimeError(f"the process never printed {missing[0]!r}: {err.strip()[-2000:]}")
        return seen


def discover(only: Sequence[str] = ()) -> list[Any]:
    modules = []
    for path in sorted(BENCH.glob("bench_*.py")):
        name = path.stem
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        module = importlib.import_module(name)
        if callable(getattr(module, "run", None)):
            modules.append(module)
    return modules


def format_value(value: float | int) -> str:
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return str(int(value))
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small scale, fewer repeats")
    parser.add_argument("--only", nargs="*", default=(), help="run only these modules")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep the files")
    args = parser.parse_args(argv)

    sys.path[:0] = [str(SRC), str(BENCH)]
    tmp_ctx = tempfile.TemporaryDirectory(prefix="dvcoord-bench-") if not args.keep else None
    tmp = Path(args.keep or tmp_ctx.name)  # type: ignore[union-attr]
    tmp.mkdir(parents=True, exist_ok=True)
    home = tmp / "home"
    os.environ["DVCOORD_HOME"] = str(home)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    ctx = Context(
        quick=args.quick,
        scale=0.1 if args.quick else 1.0,
        repeat=3 if args.quick else 7,
        tmp=tmp,
        home=home,
    )
    failed = 0
    try:
        for module in discover(args.only):
            try:
                figures = module.run(ctx)
            except Exception:  # noqa: BLE001 - one area's failure must not hide the rest
                failed += 1
                print(f"# {module.__name__} failed:", file=sys.stderr)
                traceback.print_exc()
                continue
            for name, value, unit in figures:
                print(f"{name} {format_value(value)} {unit}", flush=True)
    finally:
        if tmp_ctx is not None:
            tmp_ctx.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
