"""Fixtures shared by every test.

* Each test gets its own user directories (``DVCOORD_HOME``), so nothing touches the
  real profile.
* The whole run is offline: any attempt to open an internet socket fails the test that
  made it (see ``test_offline.py`` for the proof that the guard works).
* ``db``: a fresh empty database; ``demo_db``: a private copy of the demo database
  (built once per run).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _netguard import NETWORK_ATTEMPTS, install_network_guard  # noqa: E402

install_network_guard()


@pytest.fixture(autouse=True)
def _no_network_attempts():
    before = len(NETWORK_ATTEMPTS)
    yield
    new = NETWORK_ATTEMPTS[before:]
    if new:
        del NETWORK_ATTEMPTS[before:]
        pytest.fail(f"the test tried to use the network: {new}")


@pytest.fixture(autouse=True)
def dvcoord_home(tmp_path_factory, monkeypatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DVCOORD_HOME", str(home))
    return home


@pytest.fixture
def db(tmp_path):
    from dvcoord.store import Database

    database = Database.create(
        tmp_path / "test.sqlite", user="Test Officer", partnership="Test CSP"
    )
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    from datetime import date

    from dvcoord.demo import build_demo

    folder = tmp_path_factory.mktemp("demo")
    old = os.environ.get("DVCOORD_HOME")
    os.environ["DVCOORD_HOME"] = str(folder / "home")
    try:
        return build_demo(folder / "demo.sqlite", today=date(2026, 11, 23))
    finally:
        if old is None:
            os.environ.pop("DVCOORD_HOME", None)
        else:
            os.environ["DVCOORD_HOME"] = old


@pytest.fixture
def demo_path(demo_template, tmp_path) -> Path:
    from dvcoord.store.backups import copy_database

    return copy_database(demo_template, tmp_path / "demo.sqlite")


@pytest.fixture
def demo_db(demo_path):
    from dvcoord.store import Database

    database = Database.open(demo_path, user="Test Officer", backup=False)
    yield database
    database.close()
