"""What every dashboard chart shares: colours per model, font sizes, width fitting, and the
spec a narrow column needs. The charts themselves each have their file in this folder.

Pure functions returning `alt.Chart`; their data is already aggregated (a row per provider, per
grid cell or per category), so no chart ships a district's raw rows to the browser.
"""

from __future__ import annotations

import altair as alt

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
