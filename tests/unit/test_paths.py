"""Where files live: user directories (DVCOORD_HOME or appdirs) and the application's
own folders found alike from a source checkout, a PyInstaller bundle and a wheel."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dvcoord import paths

REPO = Path(__file__).resolve().parents[2]

USER_FILES = (
    paths.data_dir,
    paths.config_dir,
    paths.log_dir,
    paths.backup_dir,
    paths.default_db_path,
    paths.demo_db_path,
    paths.settings_path,
    paths.log_path,
)


# --------------------------------------------------------------------------- user files
def test_dvcoord_home_puts_every_user_file_under_it(tmp_path, monkeypatch):
    home = tmp_path / "portable"
    monkeypatch.setenv("DVCOORD_HOME", str(home))
    for fn in USER_FILES:
        assert home in fn().parents, fn.__name__
    dirs = {paths.data_dir(), paths.config_dir(), paths.log_dir(), paths.backup_dir()}
    assert len(dirs) == 4 and all(d.is_dir() for d in dirs)
    assert paths.default_db_path() == paths.data_dir() / "dvcoord.sqlite"


def test_without_dvcoord_home_dirs_come_from_appdirs(tmp_path, monkeypatch):
    monkeypatch.delenv("DVCOORD_HOME", raising=False)
    calls = []

    def fake(kind):
        def fn(appname=None, appauthor=None, *args, **kwargs):
            calls.append((kind, appname, appauthor))
            return str(tmp_path / kind / appname)

        return fn

    for kind in ("user_data_dir", "user_config_dir", "user_log_dir", "user_cache_dir"):
        monkeypatch.setattr(paths.appdirs, kind, fake(kind))

    assert paths.data_dir() == tmp_path / "user_data_dir" / "dvcoord"
    assert paths.config_dir() == tmp_path / "user_config_dir" / "dvcoord"
    assert paths.log_dir() == tmp_path / "user_log_dir" / "dvcoord"
    assert paths.backup_dir().parent == paths.data_dir()
    assert paths.default_db_path() == tmp_path / "user_data_dir" / "dvcoord" / "dvcoord.sqlite"
    assert paths.settings_path().parent == paths.config_dir()
    assert paths.log_path().parent == paths.log_dir()
    assert calls and all(app == "dvcoord" for _, app, _ in calls)
    assert all(author is False for _, _, author in calls)  # no "<author>\dvcoord" on Windows
    for fn in USER_FILES:
        assert tmp_path in fn().parents, fn.__name__


# --------------------------------------------------------------------------- app files
def test_source_checkout_finds_ui_and_resources():
    assert not paths.is_frozen()
    assert paths.ui_dir() == REPO / "ui"
    assert paths.resources_dir() == REPO / "resources"
    assert paths.resource("fonts") == REPO / "resources" / "fonts"
    assert (paths.migrations_dir() / "env.py").is_file()
    assert list((paths.migrations_dir() / "versions").glob("0001_*.py"))


def test_pyinstaller_bundle_finds_its_own_folders(tmp_path, monkeypatch):
    bundle = tmp_path / "_MEI12345"
    for sub in ("dvcoord/_data/ui", "dvcoord/_data/resources", "dvcoord/store/migrations"):
        (bundle / sub).mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert paths.is_frozen()
    assert paths.ui_dir() == bundle / "dvcoord" / "_data" / "ui"
    assert paths.resources_dir() == bundle / "dvcoord" / "_data" / "resources"
    assert paths.migrations_dir() == bundle / "dvcoord" / "store" / "migrations"


def test_missing_folder_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "_PACKAGE_DIR", tmp_path / "pkg" / "src" / "dvcoord")
    with pytest.raises(FileNotFoundError, match="cannot find its 'ui' folder"):
        paths.ui_dir()


# --------------------------------------------------------------------------- the wheel
@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("hatchling") is None,
    reason="hatchling (the build backend) is not installed, so the wheel cannot be built offline",
)
def test_installed_wheel_finds_its_own_folders(tmp_path):
    out = tmp_path / "wheel"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = out.glob("dvcoord-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert any(n.startswith("dvcoord/_data/ui/") for n in names)
    assert any(n.startswith("dvcoord/_data/resources/") for n in names)
    assert "dvcoord/store/migrations/env.py" in names
    assert "dvcoord/store/migrations/script.py.mako" in names
    versions = {Path(n).name for n in names if n.startswith("dvcoord/store/migrations/versions/")}
    shipped = {p.name for p in (REPO / "src/dvcoord/store/migrations/versions").glob("*.py")}
    assert shipped <= versions

    code = (
        "import dvcoord, dvcoord.paths as p\n"
        "from dvcoord.store import migrate\n"
        "print(dvcoord.__file__)\n"
        "print(p.ui_dir())\n"
        "print(p.resources_dir())\n"
        "print(p.migrations_dir())\n"
        "print(migrate.head_revision())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    package_file, ui, resources, migrations, head = result.stdout.splitlines()
    pkg = site / "dvcoord"
    assert Path(package_file) == pkg / "__init__.py"  # the wheel, not the checkout
    assert Path(ui) == pkg / "_data" / "ui"
    assert Path(resources) == pkg / "_data" / "resources"
    assert Path(migrations) == pkg / "store" / "migrations"
    from dvcoord.store import migrate

    assert head == migrate.head_revision()
