"""All of dvcoord's tables.

Each module in this package defines the models of one area.  Importing this package
imports every module in it, so ``Base.metadata`` is complete whatever the caller needs
(migrations, the untrusted-file gate, merging).  A new area adds a module here and an
Alembic revision; nothing else needs to list it.
"""

from __future__ import annotations

import importlib
import pkgutil

from dvcoord.store.base import Base

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    importlib.import_module(f"{__name__}.{_info.name}")

metadata = Base.metadata

__all__ = ["Base", "metadata"]
