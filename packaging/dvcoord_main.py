"""Entry script of the PyInstaller bundle (both ``dvcoord`` and ``dvcoord-cli``).

Kept apart from ``dvcoord/__main__.py`` so that the bundle's ``__main__`` is this file
and ``dvcoord`` itself is frozen as an ordinary package in the PYZ archive.
"""

from __future__ import annotations

import sys

from dvcoord.cli import main

if __name__ == "__main__":
    sys.exit(main())
