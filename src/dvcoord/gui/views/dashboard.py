"""The dashboard, the landing page (its code is in :mod:`dvcoord.gui.dashboard`)."""

from __future__ import annotations

from dvcoord.gui.views import ViewSpec, register


def _make(ctx):  # noqa: ANN001, ANN202
    from dvcoord.gui.dashboard import DashboardView

    return DashboardView(ctx)


register(
    ViewSpec(
        key="dashboard",
        title="Dashboard",
        order=10,
        icon_name="dashboard",
        factory=_make,
        description="What needs attention across every area: red actions, overdue "
        "milestones, alarms and more",
    )
)
