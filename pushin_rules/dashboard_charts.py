"""Chart builders for the dashboard pages other than the progress graph (that is `charts.py`):
provider load against capacity, the trainer's decision map, LRE categories before and after.

Pure functions returning `alt.Chart`; their data is already aggregated (a row per provider, per
grid cell or per category), so no chart ships a district's raw rows to the browser.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

# One colour per delivery model, the same on every chart (colour-blind safe, readable on a
# projector); the words are always in the legend and tooltip too, never colour alone.
# Push-in and pull-out use the progress graph's colours (charts.SETTING_STYLE, Okabe-Ito).
MODEL_COLORS: dict[str, str] = {
    "Push-in": "#0072B2",
    "Hybrid": "#009E73",
    "Pull-out": "#E69F00",
}
SCENARIO_COLORS: dict[str, str] = {
    "Current models": "#9e9e9e",
    "Recommended models": "#2166ac",
}
LRE_ORDER: tuple[str, ...] = ("80% or more", "40-79%", "Less than 40%")

FONT_SIZE = 14
MAX_PROVIDERS = 25


def fit_width(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Stretch a chart to its column's width while keeping its own plot height.

    Streamlit's default for a stretched chart fits width and height together, which squeezes
    the plot when titles and legends are tall; "fit-x" sizes only the width.
    """
    return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def column_spec(chart: alt.TopLevelMixin) -> dict:
    """A chart as a Vega-Lite spec for a narrow column: stretched to the column's width
    (fit-x), with its legends stacked one under another instead of side by side, so nothing
    is cut off at the right edge. Render with `st.vega_lite_chart(spec, width="stretch")`."""
    spec = chart.to_dict()
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    legend = spec.setdefault("config", {}).setdefault("legend", {})
    # Vega's legend layout (not in Altair's schema, hence set on the dict).
    legend["layout"] = {
        "bottom": {"direction": "vertical", "anchor": "start"},
        "top": {"direction": "vertical", "anchor": "start"},
    }
    return spec


def _style(chart: alt.Chart) -> alt.Chart:
    styled = chart.configure_axis(
        labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, labelLimit=220
    ).configure_legend(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, orient="top")
    return fit_width(styled)


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
