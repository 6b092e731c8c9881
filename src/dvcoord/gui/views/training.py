"""Registers the Training view (the widget lives in :mod:`dvcoord.gui.training_view`)."""

from __future__ import annotations

from dvcoord.gui.views import ViewSpec, register


def _make(ctx):  # noqa: ANN001, ANN202
    from dvcoord.gui.training_view import TrainingView

    return TrainingView(ctx)


register(
    ViewSpec(
        key="training",
        title="Training",
        order=40,
        icon_name="training",
        factory=_make,
        description="The training matrix: who needs which course, who is up to date, "
        "sessions and attendance",
    )
)
