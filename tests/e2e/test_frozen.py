"""The frozen app: build the PyInstaller bundle, then use it as a council laptop would.

One test, on purpose: the build takes a minute or two, and CI runs the suite with
``pytest -n 2``, where xdist may send two tests of one module to different workers (and
so build twice).  Each step's failure message names the step.

What is checked, with an environment as empty as ``env -i`` (only ``HOME``, plus
``QT_QPA_PLATFORM=offscreen`` for the window; no ``DVCOORD_HOME``, no ``PATH``, no
Python anywhere in it):

* the bundle holds every form, icon, font and migration, and none of the parts the
  spec leaves out (QtNetwork, Qt Quick/QML, WebEngine, TLS, Tk);
* ``--version``, ``demo``, ``check``, ``report --list`` (report kinds and sub-commands
  are found by ``pkgutil`` inside the frozen archive), ``report action-plan`` read back
  with pypdf (marking on every page, every action reference present);
* the commands that need the bundled native code: an encrypted ``share`` and a
  ``merge --dry-run`` of it (cryptography), ``import-plan`` of a Word file (python-docx,
  lxml), ``export-plan`` to .xlsx and its import back (openpyxl), ``backup``;
* the window opens offscreen on the demo and on a file from the first schema revision
  (upgraded on open: the migrations are found and run from the bundle), prints
  ``shown`` then ``usable`` and exits 0 (``DVCOORD_QUIT_AFTER_SHOWN``);
* nothing is written next to the executable, in the working folder except what was
  asked for, or (traced with strace, when it is installed) anywhere outside ``HOME``
  but the system temporary folder, where nothing is left behind; no internet socket is
  ever created.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip(
    "PyInstaller",
    reason="PyInstaller is not installed (it comes with pip install -e '.[test]')",
)

from pypdf import PdfReader  # noqa: E402

import dvcoord  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.frozen]

REPO = Path(__file__).resolve().parents[2]
LINUX = sys.platform.startswith("linux")


def _usable_strace() -> str | None:
    """strace, if it is installed and allowed to trace here (containers may forbid it)."""
    found = shutil.which("strace") if LINUX else None
    if found is None:
        return None
    probe = subprocess.run(
        [found, "-f", "-qq", "-o", os.devnull, "--", sys.executable, "-c", "pass"],
        capture_output=True,
        timeout=60,
    )
    return found if probe.returncode == 0 else None


STRACE = _usable_strace()
TRACED = "socket,connect,open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate"
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")


def _load_build_script():
    spec = importlib.util.spec_from_file_location(
        "_packaging_build", REPO / "packaging" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    build = _load_build_script()
    root = tmp_path_factory.mktemp("frozen")
    try:
        return build.build(root / "dist", root / "work", quiet=True)
    except RuntimeError as exc:
        pytest.fail(f"building the bundle failed: {exc}")


# --------------------------------------------------------------------------- running it
class Runner:
    """Runs the bundle's executable with an almost empty environment, traced if possible."""

    def __init__(self, exe: Path, home: Path, cwd: Path, trace_dir: Path) -> None:
        self.exe, self.home, self.cwd, self.trace_dir = exe, home, cwd, trace_dir
        self.traces: list[tuple[str, Path]] = []

    def env(self, gui: bool) -> dict[str, str]:
        env = {"HOME": str(self.home)}
        if sys.platform == "win32":  # Windows cannot start a program without these
            env.update({k: os.environ[k] for k in ("SYSTEMROOT", "WINDIR") if k in os.environ})
        if gui:
            env["QT_QPA_PLATFORM"] = "offscreen"
            env["DVCOORD_QUIT_AFTER_SHOWN"] = "1"
        return env

    def __call__(self, step: str, *args: str, gui: bool = False) -> subprocess.CompletedProcess:
        cmd = [str(self.exe), *map(str, args)]
        if STRACE:
            trace = self.trace_dir / f"{len(self.traces):02d}.trace"
            self.traces.append((step, trace))
            cmd = [STRACE, "-f", "-qq", "-y", "-e", f"trace={TRACED}", "-e", "signal=none"]
            cmd += ["-o", str(trace), "--", str(self.exe), *map(str, args)]
        done = subprocess.run(
            cmd,
            cwd=self.cwd,
            env=self.env(gui),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
        )
        output = done.stdout + done.stderr
        assert "Traceback" not in output, f"{step}: {output}"
        assert done.returncode == 0, f"{step}: exit {done.returncode}\n{output}"
        return done


def _paths_in(line: str, cwd: Path) -> list[Path]:
    """Absolute paths a traced call wrote to (``-y`` shows where descriptors point)."""
    call = line.split("(", 1)[0].split()[-1]
    if call in ("open", "openat", "creat"):
        if call != "creat" and not any(flag in line for flag in WRITE_FLAGS):
            return []
        result = re.search(r"= \d+<([^>]*)>\s*$", line)
        return [Path(result.group(1))] if result else []
    if call.endswith("at"):  # (dirfd<folder>, "name") pairs
        pairs = re.findall(r'(?:AT_FDCWD|\d+)<([^>]*)>, "([^"]*)"', line)
        paths = [Path(folder) / name for folder, name in pairs]
    else:
        paths = [cwd / name for name in re.findall(r'"([^"]*)"', line)]
    if call.startswith(("link", "symlink")):
        paths = paths[-1:]  # only the new name is written (the rest is what it points to)
    return paths


def _audit(traces, allowed: list[Path], temp: list[Path], cwd: Path):
    """(internet sockets, writes outside ``allowed`` and ``temp``, paths written in
    ``temp``, writes seen) in the traces."""
    sockets, outside, in_temp, seen = [], [], [], 0
    for step, trace in traces:
        for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
            if re.search(r"\bsocket\(AF_INET6?\b", line) or re.search(
                r"\bconnect\(.*sa_family=AF_INET6?\b", line
            ):
                sockets.append(f"{step}: {line}")
                continue
            if "socket(" in line or "connect(" in line or re.search(r"= -1 \w+", line):
                continue  # local sockets (name service, X11), and calls that failed
            for path in _paths_in(line, cwd):
                seen += 1
                if any(path == a or a in path.parents for a in allowed):
                    continue
                if any(t in path.parents for t in temp):
                    in_temp.append(path)
                else:
                    outside.append(f"{step}: {path}")
    return sockets, outside, in_temp, seen


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def _old_database(path: Path, revision: str) -> Path:
    """A file as the first released dvcoord left it (migrations run up to ``revision``)."""
    from alembic import command
    from sqlalchemy import text

    from dvcoord.store import migrate
    from dvcoord.store.engine import APPLICATION_ID, make_engine
    from dvcoord.store.schema import core

    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.close()
    engine = make_engine(path, pooled=False)
    try:
        with engine.begin() as c:
            command.upgrade(migrate.alembic_config(c), revision)
            c.execute(
                text("INSERT INTO meta (key, value) VALUES (:k, :v)"),
                [
                    {"k": core.META_APPLICATION, "v": "dvcoord"},
                    {"k": core.META_DATABASE_ID, "v": "01900000-0000-7000-8000-0000000000bb"},
                    {"k": core.META_DISPLAY_NAME, "v": "A file from the first release"},
                    {"k": core.META_SCHEMA_REVISION, "v": revision},
                ],
            )
    finally:
        engine.dispose()
    return path


def _revision(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        conn.close()


# --------------------------------------------------------------------------- the test
def test_frozen_bundle_runs_offline_from_an_empty_environment(bundle, tmp_path):
    from dvcoord.cli import build_parser
    from dvcoord.reports import registry
    from dvcoord.services import plans as ps
    from dvcoord.store import Database, migrate

    internal = bundle.folder / "_internal"
    data = internal / "dvcoord" / "_data"

    # 1. What is inside: forms, icons, fonts, migrations; not the parts left out.
    assert sorted(p.name for p in (data / "ui").glob("*.ui")) == sorted(
        p.name for p in (REPO / "ui").glob("*.ui")
    ), "contents: ui forms"
    for sub in ("icons", "fonts", "demo"):
        expected = {p.name for p in (REPO / "resources" / sub).iterdir() if p.is_file()}
        found = {p.name for p in (data / "resources" / sub).iterdir()}
        assert expected <= found, f"contents: resources/{sub} lacks {expected - found}"
    migrations = internal / "dvcoord" / "store" / "migrations"
    source = REPO / "src" / "dvcoord" / "store" / "migrations"
    assert {p.name for p in (migrations / "versions").glob("*.py")} == {
        p.name for p in (source / "versions").glob("*.py")
    }, "contents: migrations/versions"
    assert (migrations / "env.py").is_file() and (migrations / "script.py.mako").is_file()
    names = [p.relative_to(bundle.folder).as_posix() for p in bundle.folder.rglob("*")]
    unwanted = re.compile(
        r"Qt6?(Network|Qml|Quick|WebEngine|Multimedia|Pdf|Sql|Test|Designer)"
        r"|/plugins/(tls|networkinformation|platformthemes|sqldrivers|generic)/"
        r"|(^|/)_ssl\.|libssl|_tkinter|(^|/)tcl|(^|/)tk\d"
    )
    assert not [n for n in names if unwanted.search(n)], "contents: parts the spec leaves out"
    assert not [n for n in names if "__pycache__" in n], "contents: byte-code caches"

    home, work, traces = tmp_path / "home", tmp_path / "work", tmp_path / "traces"
    for folder in (home, work, traces):
        folder.mkdir()
    before = _snapshot(bundle.folder)
    run = Runner(bundle.cli, home, work, traces)

    # 2. The command line.
    assert run("--version", "--version").stdout.strip() == f"dvcoord {dvcoord.__version__}"
    helped = run("--help", "--help").stdout
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands = list(commands.choices)  # the sub-commands the venv finds
    missing = [c for c in commands if c not in helped]
    assert not missing, f"--help: sub-commands not found in the bundle: {missing}"
    assert "demo" in commands and "report" in commands

    run("demo", "demo", "demo.sqlite")
    demo = work / "demo.sqlite"
    assert demo.is_file()
    checked = run("check", "check", "demo.sqlite").stdout
    assert "Result: sound." in checked, f"check: {checked}"

    listed = run("report --list", "report", "--list").stdout
    kinds = set(registry.kinds())
    assert {line.split()[0] for line in listed.splitlines() if line.startswith("  ")} == kinds

    db = Database.open(demo, readonly=True, backup=False)
    try:
        with db.session() as s:
            plan = next(p for p in ps.list_plans(s) if p.title.startswith("Sevenoaks"))
            references = [a.reference for a in ps.action_rows(s, plan.id)]
    finally:
        db.close()
    assert references
    reported = run(
        "report action-plan",
        "report",
        "action-plan",
        "--db",
        "demo.sqlite",
        "--plan",
        plan.title,
        "-o",
        "plan.pdf",
    ).stdout
    pdf = work / "plan.pdf"
    pages = [p.extract_text() or "" for p in PdfReader(str(pdf)).pages]
    assert reported.strip() == f"{pdf} ({len(pages)} page{'s' if len(pages) != 1 else ''})"
    assert all(t.lstrip().startswith("OFFICIAL") for t in pages), "report: marking on every page"
    flat = " ".join(" ".join(pages).split())
    assert [r for r in references if r not in flat] == [], "report: action references"

    # 3. The commands that lean on the bundled native code: cryptography (encrypted
    # share, then merge), lxml and python-docx (Word import), openpyxl (spreadsheets).
    (work / "pw.txt").write_text("correct horse battery staple\n", encoding="utf-8")
    shared = run(
        "share --encrypt",
        *("share", "--db", "demo.sqlite", "-o", "demo.dvcx", "--encrypt"),
        *("--passphrase-file", "pw.txt"),
    ).stdout
    assert "Encrypted copy written to" in shared
    merged = run(
        "merge --dry-run",
        *("merge", "--db", "demo.sqlite", "demo.dvcx", "--passphrase-file", "pw.txt"),
        "--dry-run",
    ).stdout
    assert "Dry run: nothing was changed." in merged or "Nothing to merge" in merged, merged
    sys.path.insert(0, str(REPO / "tests" / "unit"))
    import plan_fixtures as pf

    pf.build_docx(pf.SEVENOAKS, work / "sevenoaks.docx")
    imported = run(
        "import-plan .docx",
        *("import-plan", "sevenoaks.docx", "--db", "plans.sqlite", "--plan-title", "Word"),
    ).stdout
    assert "Actions created: 22" in imported, imported
    exported = run(
        "export-plan .xlsx",
        *("export-plan", "--db", "plans.sqlite", "--plan", "Word", "-o", "plan.xlsx"),
    ).stdout
    assert "22 actions in 6 themes" in exported, exported
    again = run(
        "import-plan .xlsx",
        *("import-plan", "plan.xlsx", "--db", "plans.sqlite", "--plan-title", "Sheet"),
    ).stdout
    assert "Actions created: 22" in again, again
    backed_up = run("backup", "backup", "demo.sqlite").stdout
    assert backed_up.startswith("Backup written to ") and str(home) in backed_up

    # 4. The window, offscreen: on the demo, and on a file from the first revision.
    shown = run("window on the demo", "--db", "demo.sqlite", gui=True).stdout
    assert shown.splitlines()[-2:] == ["shown", "usable"], f"window: {shown}"
    chain = migrate._chain()
    first = next(rev for rev, down in chain.items() if down is None)
    old = _old_database(work / "old.sqlite", first)
    assert _revision(old) != migrate.head_revision()
    shown = run("window on an old file", "--db", "old.sqlite", gui=True).stdout
    assert shown.splitlines()[-2:] == ["shown", "usable"], f"window on an old file: {shown}"
    assert _revision(old) == migrate.head_revision(), "the bundle did not run its migrations"

    # 5. Where it wrote.
    assert _snapshot(bundle.folder) == before, "the bundle wrote into its own folder"
    assert {p.name for p in work.iterdir()} == {
        *("demo.sqlite", "plan.pdf", "old.sqlite", "pw.txt", "demo.dvcx"),
        *("sevenoaks.docx", "plans.sqlite", "plan.xlsx"),
    }, "the working folder holds more than what was asked for"
    assert any(home.rglob("dvcoord.log")), "no log under HOME"
    assert any(home.rglob("dvcoord.ini")), "no settings under HOME"
    if not STRACE:
        warnings.warn(
            "strace is not installed (or may not trace here): the bundle's sockets and "
            "writes outside HOME were not traced (everything else was checked)",
            stacklevel=1,
        )
        return
    # Transient files may go to the system's temporary folder (an encrypted share's
    # plain copy, openpyxl's sheets; on Windows %TEMP% is in the user's profile), as
    # long as none of them outlives the command that made it.
    allowed = [home.resolve(), work.resolve(), Path("/dev")]
    temp = [Path(t) for t in ("/tmp", "/var/tmp", "/usr/tmp")]  # with TMPDIR unset
    sockets, outside, in_temp, seen = _audit(run.traces, allowed, temp, work.resolve())
    assert seen > 10, "the trace saw none of the writes it must have seen (log, databases)"
    assert sockets == [], "the bundle created an internet socket"
    assert outside == [], "the bundle wrote outside HOME"
    assert [p for p in in_temp if p.exists()] == [], "the bundle left files in the temp folder"
