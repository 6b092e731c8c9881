"""The PyInstaller bundle: its size, and start-up time frozen against the venv.

Runs only when a bundle has been built (``python packaging/build.py`` leaves it in
``dist/dvcoord``), or when ``DVCOORD_BENCH_BUILD_BUNDLE=1`` asks for a fresh one (built
into the bench's scratch folder, about a minute); otherwise it prints one skip line.

* ``bundle_size_mb``: every file of ``dist/dvcoord`` (MB = 10^6 bytes; target < 120
  on Linux), with the ten largest parts on stderr.
* ``startup_frozen_ms`` / ``startup_venv_ms``: spawn to "usable" (the database open
  and the first view painted, the longer of the two start-up marks) for
  ``dvcoord --db demo.sqlite`` with ``DVCOORD_QUIT_AFTER_SHOWN=1``, offscreen, from the
  bundle and from this Python (``python -m dvcoord``); median of alternating runs after
  one untimed warm-up each.  ``startup_frozen_ratio`` = frozen / venv (target <= 1.5).
  ``startup_frozen_cpu_ms`` / ``startup_venv_cpu_ms``: the CPU time (user + system) of
  the same runs, start to exit; steadier than wall time on a busy machine.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

try:
    import resource
except ImportError:  # Windows: wall time only
    resource = None

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DIST = REPO / "dist"
BUILD_ENV = "DVCOORD_BENCH_BUILD_BUNDLE"


def _note(text: str) -> None:
    print(f"# bench_packaging: {text}", file=sys.stderr, flush=True)


def _build_script():
    spec = importlib.util.spec_from_file_location(
        "_packaging_build", REPO / "packaging" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _children_cpu() -> float:
    if resource is None:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_to_shown(cmd: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall ms from start to ``usable`` (the database open in the window), CPU ms of
    the whole run) for ``cmd``."""
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    elapsed = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip() == "usable":
            elapsed = (time.perf_counter() - start) * 1000
            break
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if elapsed is None or proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} never showed its window: {err.strip()[-2000:]}")
    return elapsed, (_children_cpu() - cpu) * 1000


def run(ctx) -> list[tuple[str, float | int, str]]:
    build = _build_script()
    exe = build.executable(DIST / "dvcoord", "dvcoord")
    if os.environ.get(BUILD_ENV):
        _note("building a fresh bundle (about a minute)")
        bundle = build.build(ctx.tmp / "dist", ctx.tmp / "build", quiet=True)
        folder, exe = bundle.folder, bundle.gui
    elif exe.is_file():
        folder = exe.parent
        _note(f"using the bundle in {folder} (built {time.ctime(exe.stat().st_mtime)})")
    else:
        print(
            f"# bench_packaging skipped: no bundle in {DIST / 'dvcoord'}; run "
            f"python packaging/build.py first, or set {BUILD_ENV}=1",
            flush=True,
        )
        return []

    size = build.bundle_size(folder)
    _note(f"largest parts of {folder}:")
    for name, part in build.largest_parts(folder, 10):
        _note(f"  {part / 1e6:6.1f} MB  {name}")

    demo = ctx.tmp / "startup-demo.sqlite"
    shutil.copyfile(ctx.demo_db(), demo)
    env = ctx.env(DVCOORD_QUIT_AFTER_SHOWN="1")
    frozen_cmd = [str(exe), "--db", str(demo)]
    venv_cmd = [ctx.python, "-m", "dvcoord", "--db", str(demo)]
    time_to_shown(frozen_cmd, env, ctx.tmp)  # warm the file cache for both, untimed
    time_to_shown(venv_cmd, env, ctx.tmp)
    frozen, venv = [], []
    for _ in range(ctx.repeat):
        frozen.append(time_to_shown(frozen_cmd, env, ctx.tmp))
        venv.append(time_to_shown(venv_cmd, env, ctx.tmp))
    frozen_ms, venv_ms = (statistics.median(t[0] for t in runs) for runs in (frozen, venv))
    frozen_cpu, venv_cpu = (statistics.median(t[1] for t in runs) for runs in (frozen, venv))
    figures = [
        ("bundle_size_mb", size / 1e6, "MB"),
        ("startup_frozen_ms", frozen_ms, "ms"),
        ("startup_venv_ms", venv_ms, "ms"),
        ("startup_frozen_ratio", frozen_ms / venv_ms, "x"),
    ]
    if resource is not None:
        figures += [
            ("startup_frozen_cpu_ms", frozen_cpu, "ms"),
            ("startup_venv_cpu_ms", venv_cpu, "ms"),
        ]
    return figures
