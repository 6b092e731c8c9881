"""Registers the Panic alarms view (the widget lives in :mod:`dvcoord.gui.alarms_view`)."""

from __future__ import annotations

from dvcoord.gui.views import ViewSpec, register


def _make(ctx):  # noqa: ANN001, ANN202
    from dvcoord.gui.alarms_view import AlarmsView

    return AlarmsView(ctx)


register(
    ViewSpec(
        key="alarms",
        title="Panic alarms",
        order=50,
        icon_name="alarms",
        factory=_make,
        description="The panic-alarm stock: what is free, what is on loan, what is overdue",
    )
)
