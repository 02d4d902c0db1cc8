"""Provider minutes per week against capacity, under today's models and the recommended ones."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pushin_rules.present.charts.style import (
    MAX_PROVIDERS,
    SCENARIO_COLORS,
    _style,
)


def provider_load_chart(long: pd.DataFrame, max_providers: int = MAX_PROVIDERS) -> alt.Chart:
    """Grouped horizontal bars: each provider's weekly minutes under the current and the
    recommended models, with a black tick at the provider's weekly capacity.

    `long` is `views.provider_load_long(...)`: provider, scenario, minutes, capacity. Only the
    `max_providers` busiest providers (by their larger load against capacity) are drawn.
    """
    data = long.copy()
    if data.empty:
        data = pd.DataFrame({"provider": [], "scenario": [], "minutes": [], "capacity": []}).astype(
            {"minutes": float, "capacity": float}
        )
    peak = data.groupby("provider")["minutes"].max()
    capacity = data.groupby("provider")["capacity"].max()
    share = (peak / capacity.where(capacity > 0)).fillna(peak)
    keep = share.sort_values(ascending=False).index[:max_providers]
    data = data[data["provider"].isin(keep)]
    order = sorted(keep)
    height = max(90, 30 * len(order))
    base = alt.Chart(data)
    bars = base.mark_bar().encode(
        y=alt.Y("provider:N", sort=order, title=None),
        yOffset=alt.YOffset("scenario:N", sort=list(SCENARIO_COLORS)),
        x=alt.X("minutes:Q", title="Minutes a week"),
        color=alt.Color(
            "scenario:N",
            title=None,
            scale=alt.Scale(domain=list(SCENARIO_COLORS), range=list(SCENARIO_COLORS.values())),
        ),
        tooltip=[
            alt.Tooltip("provider:N", title="Provider"),
            alt.Tooltip("scenario:N", title="Under"),
            alt.Tooltip("minutes:Q", title="Minutes a week", format=",.0f"),
            alt.Tooltip("capacity:Q", title="Capacity", format=",.0f"),
        ],
    )
    caps = (
        base.transform_filter(alt.datum.capacity > 0)
        .transform_aggregate(capacity="max(capacity)", groupby=["provider"])
        .mark_tick(color="black", thickness=3, size=24)
        .encode(
            y=alt.Y("provider:N", sort=order),
            x=alt.X("capacity:Q"),
            tooltip=[
                alt.Tooltip("provider:N", title="Provider"),
                alt.Tooltip("capacity:Q", title="Weekly capacity", format=",.0f"),
            ],
        )
    )
    return _style(alt.layer(bars, caps).properties(height=height))
