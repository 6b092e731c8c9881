"""Overview: what the open database is (its code is in :mod:`dvcoord.gui.overview`)."""

from __future__ import annotations

from dvcoord.gui.views import ViewSpec, register


def _make(ctx):  # noqa: ANN001, ANN202
    from dvcoord.gui.overview import OverviewPage

    return OverviewPage(ctx)


register(
    ViewSpec(
        key="overview",
        title="This database",
        order=90,
        icon_name="overview",
        factory=_make,
        description="The open database: its name, file, partnership and what it holds",
    )
)
