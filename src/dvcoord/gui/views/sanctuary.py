"""Registers the Sanctuary Scheme view (the widget lives in :mod:`dvcoord.gui.sanctuary_view`)."""

from __future__ import annotations

from dvcoord.gui.views import ViewSpec, register


def _make(ctx):  # noqa: ANN001, ANN202
    from dvcoord.gui.sanctuary_view import SanctuaryView

    return SanctuaryView(ctx)


register(
    ViewSpec(
        key="sanctuary",
        title="Sanctuary Scheme",
        order=60,
        icon_name="sanctuary",
        factory=_make,
        description="Sanctuary Scheme cases from referral to closure, hardware stock and "
        "contractors",
    )
)
