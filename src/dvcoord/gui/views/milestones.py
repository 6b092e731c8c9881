"""The Milestones view (its code is in :mod:`dvcoord.gui.plans.milestones_view`)."""

from __future__ import annotations

from dvcoord.gui.views import ViewSpec, register


def _make(ctx):  # noqa: ANN001, ANN202
    from dvcoord.gui.plans.milestones_view import MilestonesView

    return MilestonesView(ctx)


register(
    ViewSpec(
        key="milestones",
        title="Milestones",
        order=30,
        icon_name="milestones",
        factory=_make,
        description="Every milestone of every plan: overdue, due this quarter, done",
    )
)
