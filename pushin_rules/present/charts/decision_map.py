"""The Trainer's decision map: the recommendation over a grid of two factors' ratings."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pushin_rules.present.charts.style import (
    FONT_SIZE,
    MODEL_COLORS,
    _style,
)


def decision_map_chart(grid: pd.DataFrame, x_title: str, y_title: str) -> alt.Chart:
    """Heatmap of the recommendation over two factors' ratings (0-3 each).

    `grid` is `views.decision_map(...)`: x, y (ratings), recommendation (label), split (text),
    current (True on the cell of the case's own ratings).
    """
    base = alt.Chart(grid).encode(
        x=alt.X("x:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("y:O", title=y_title, sort="descending"),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "recommendation:N",
            title="Recommendation",
            scale=alt.Scale(domain=list(MODEL_COLORS), range=list(MODEL_COLORS.values())),
        ),
        tooltip=[
            alt.Tooltip("x:O", title=x_title),
            alt.Tooltip("y:O", title=y_title),
            alt.Tooltip("recommendation:N", title="Recommendation"),
            alt.Tooltip("split:N", title="Minutes"),
        ],
    )
    text = base.mark_text(fontSize=FONT_SIZE, fontWeight="bold").encode(
        text="short:N",
        color=alt.condition(
            alt.datum.recommendation == "Push-in", alt.value("white"), alt.value("black")
        ),
    )
    marker = (
        base.transform_filter(alt.datum.current)
        .mark_rect(fill=None, stroke="black", strokeWidth=4)
        .encode()
    )
    return _style(alt.layer(cells, text, marker).properties(height=320))
