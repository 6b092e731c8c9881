"""Registers the Performance view (indicators and BVPI 225; the widget lives in
:mod:`dvcoord.gui.indicators_view`)."""

from __future__ import annotations

from dvcoord.gui.views import ViewSpec, register


def _make(ctx):  # noqa: ANN001, ANN202
    from dvcoord.gui.indicators_view import IndicatorsView

    return IndicatorsView(ctx)


register(
    ViewSpec(
        key="indicators",
        title="Performance",
        order=70,
        icon_name="indicators",
        factory=_make,
        description="Performance indicators against targets, and the BVPI 225 self-assessment",
    )
)
