"""The Action plans view (its code is in :mod:`dvcoord.gui.plans.view`)."""

from __future__ import annotations

from dvcoord.gui.views import ViewSpec, register


def _make(ctx):  # noqa: ANN001, ANN202
    from dvcoord.gui.plans.view import PlansView

    return PlansView(ctx)


register(
    ViewSpec(
        key="plans",
        title="Action plans",
        order=20,
        icon_name="plans",
        factory=_make,
        description="Themes, aims and actions of each plan, with progress updates and RAG",
    )
)
