"""The registry of the window's areas ("views").

An area adds ONE module to this package; nothing else lists it::

    # src/dvcoord/gui/views/training.py
    from dvcoord.gui.views import ViewSpec, register

    def _make(ctx):
        from dvcoord.gui.training_view import TrainingView  # heavy imports here, lazily
        return TrainingView(ctx)

    register(ViewSpec(key="training", title="Training", order=40,
                      icon_name="training", factory=_make))

Keep the module's top level light (imports of Qt widgets and services inside the
factory): every view module is imported at start-up to build the navigation, but a
view's widget is only built the first time the user opens it.

The widget the factory returns gets the :class:`~dvcoord.gui.context.AppContext`.  It
may implement any of these (the shell calls them when present):

``refresh()``
    reload from ``ctx.db`` (after another view changed data, a merge, a restore);
``set_database(db)``
    another database was opened (File > Open/New, a restore); drop anything cached
    from the old one.  Without it, ``refresh()`` is called instead;
``open_with(**kwargs)``
    ``ctx.open_view("plans", plan_id=...)`` switched here with these arguments;
``focus_filter()``
    Edit > Find (Ctrl+F); without it the shell focuses the view's first
    :class:`~dvcoord.gui.widgets.FilterBar`;
``can_leave() -> bool``
    asked before the database is closed or the window quits; return False (after
    asking the user) to keep unsaved edits.

Navigation order of the areas: overview 5, dashboard 10, plans 20, milestones 30,
training 40, alarms 50, sanctuary 60, indicators 70.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from dvcoord.gui.context import AppContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ViewSpec:
    """One area of the window: its key, name in the navigation, position and icon.

    ``icon_name`` names ``resources/icons/<icon_name>.svg``; ``factory(ctx)`` builds the
    widget; ``description`` is the navigation entry's tooltip.
    """

    key: str
    title: str
    order: int
    icon_name: str
    factory: Callable[[AppContext], QWidget]
    description: str = ""


_REGISTRY: dict[str, ViewSpec] = {}
_FAILED: dict[str, str] = {}
_discovered = False


def register(spec: ViewSpec) -> ViewSpec:
    """Add (or replace, for the same key) a view; call it at import of your module."""
    if not spec.key or not spec.key.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"view key {spec.key!r} must be a short word")
    old = _REGISTRY.get(spec.key)
    if old is not None and old.factory.__module__ != spec.factory.__module__:
        raise ValueError(f"view key {spec.key!r} is already registered by {old.factory.__module__}")
    _REGISTRY[spec.key] = spec
    return spec


def unregister(key: str) -> None:
    """Remove a view (used by tests)."""
    _REGISTRY.pop(key, None)


def discover() -> None:
    """Import every module of this package once, so each registers its views.

    A module that fails to import is logged and left out (the window still opens);
    :func:`failed_modules` lists them.
    """
    global _discovered
    if _discovered:
        return
    _discovered = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        name = f"{__name__}.{info.name}"
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - one broken area must not stop the app
            log.exception("view module %s could not be loaded", info.name)
            _FAILED[info.name] = type(exc).__name__


def all_views() -> list[ViewSpec]:
    """Every registered view, in navigation order."""
    discover()
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))


def get(key: str) -> ViewSpec | None:
    discover()
    return _REGISTRY.get(key)


def failed_modules() -> dict[str, str]:
    return dict(_FAILED)


def call_if_present(widget: Any, method: str, *args: Any, **kwargs: Any) -> bool:
    """Call ``widget.method(*args, **kwargs)`` if the view implements it."""
    fn = getattr(widget, method, None)
    if callable(fn):
        fn(*args, **kwargs)
        return True
    return False
