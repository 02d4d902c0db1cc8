"""Students per LRE category before and after a scenario (e.g. a school adopting every
recommendation).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from pushin_rules.present.charts.style import (
    LRE_ORDER,
    _style,
)


def lre_change_chart(change: pd.DataFrame) -> alt.Chart:
    """Students per federal LRE category now and if the recommendations are adopted.

    `change` is `views.lre_category_change(...)`: category, scenario, students.
    """
    scenarios = ["Now", "If adopted"]
    return _style(
        alt.Chart(change)
        .mark_bar()
        .encode(
            x=alt.X(
                "category:N",
                sort=list(LRE_ORDER),
                title="Time inside the regular class",
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("scenario:N", sort=scenarios),
            y=alt.Y("students:Q", title="Students"),
            color=alt.Color(
                "scenario:N",
                title=None,
                sort=scenarios,
                scale=alt.Scale(domain=scenarios, range=["#9e9e9e", "#2166ac"]),
            ),
            tooltip=[
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("scenario:N", title="When"),
                alt.Tooltip("students:Q", title="Students"),
            ],
        )
        .properties(height=260)
    )
