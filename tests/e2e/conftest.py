"""The command-line runner every end-to-end test uses."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.fixture
def run(dvcoord_home):
    """``run(*args, stdin=None, env=None)``: ``python -m dvcoord ARGS`` in a fresh process
    with this test's DVCOORD_HOME, UTF-8 output and no officer name from the environment.

    Standard input is ``stdin`` (empty by default, so a prompt never waits); ``env`` adds
    or replaces variables.  Fails the test if anything printed a traceback.
    """
    base = {k: v for k, v in os.environ.items() if k != "DVCOORD_OFFICER"}
    base.update(DVCOORD_HOME=str(dvcoord_home), PYTHONIOENCODING="utf-8")

    def run(
        *args: object, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "dvcoord", *map(str, args)],
            capture_output=True,
            text=True,
            env={**base, **(env or {})},
            timeout=180,
            input=stdin if stdin is not None else "",
        )
        assert "Traceback" not in result.stdout + result.stderr, result.stderr
        return result

    return run
