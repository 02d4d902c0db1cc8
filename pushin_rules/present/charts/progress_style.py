"""The progress graph's look: setting colours and shapes, line names and dashes (in
practitioner and family words), sizes for a projector, and the axis and legend builders."""

from __future__ import annotations

import datetime as dt

import altair as alt

# Okabe-Ito colours (readable with the common colour-vision deficiencies), each paired with a
# shape so setting never rests on colour alone.
SETTING_STYLE: dict[str, tuple[str, str, str]] = {
    # setting: (label, colour, shape)
    "push_in": ("Push-in (in class)", "#0072B2", "circle"),
    "pull_out": ("Pull-out (therapy room)", "#E69F00", "square"),
    "": ("Not recorded", "#7F7F7F", "triangle-up"),
}
SETTING_WORDS: dict[str, str] = {"push_in": "push-in", "pull_out": "pull-out", "": "not recorded"}
AIMLINE_COLOUR = "#000000"
TREND_COLOUR = "#D55E00"
AIMLINE_DASH = [10, 6]
AIMLINE_NAME = "Goal line (aimline)"
PHASE_AIMLINE_NAME = "Goal line from the newest phase"
PROJECTION_NAME = "Trend to the target date"
PROJECTION_DASH = [2, 4]
PHASE_AIMLINE_DASH = [6, 4]
# The same lines in family words (the Meeting page).
FAMILY_NAMES: dict[str, str] = {
    AIMLINE_NAME: "Goal line: where the scores should be",
    PHASE_AIMLINE_NAME: "Goal line since the support changed",
    PROJECTION_NAME: "Where this pace leads by the goal date",
}
FAMILY_TREND = "Pace so far"
PHASE_AIMLINE_COLOUR = "#555555"
# Each line's kind decides its look, whatever its (practitioner or family) name.
LINE_KINDS: dict[str, str] = {
    AIMLINE_NAME: "aim",
    PHASE_AIMLINE_NAME: "phase_aim",
    PROJECTION_NAME: "projection",
}
LINE_STYLE: dict[str, tuple[str, list[int]]] = {
    "aim": (AIMLINE_COLOUR, AIMLINE_DASH),
    "phase_aim": (PHASE_AIMLINE_COLOUR, PHASE_AIMLINE_DASH),
    "trend": (TREND_COLOUR, [1, 0]),
    "projection": (TREND_COLOUR, PROJECTION_DASH),
}
WORDINGS = ("technical", "family")

# Sizes for a projector at the back of a meeting room.
TITLE_SIZE = 20
SUBTITLE_SIZE = 15
AXIS_LABEL_SIZE = 14
AXIS_TITLE_SIZE = 16
LEGEND_SIZE = 14
NOTE_SIZE = 14
POINT_SIZE = 150
CHAR_WIDTH_EM = 0.5  # average width of a character of the default sans-serif, in ems
X_PADDING = 24  # the x scale's padding, in pixels
Y_PADDING = 34  # the y scale's padding: room for one row of phase-rate labels
ROW_HEIGHT = 18  # one more row of phase-rate labels
LABEL_DX = 6
LABEL_GAP = 8  # pixels kept free between two labels on a row


def _axis(title: str, **extra: object) -> alt.Axis:
    return alt.Axis(
        title=title,
        labelFontSize=AXIS_LABEL_SIZE,
        titleFontSize=AXIS_TITLE_SIZE,
        titleFontWeight="normal",
        **extra,
    )


def _legend(title: str, **extra: object) -> alt.Legend:
    style: dict[str, object] = {"symbolSize": POINT_SIZE, **extra}
    return alt.Legend(
        title=title,
        labelFontSize=LEGEND_SIZE,
        titleFontSize=LEGEND_SIZE,
        labelLimit=360,
        orient="bottom",
        direction="vertical",
        **style,
    )


def _line_legend() -> alt.Legend:
    return _legend("Lines", symbolType="stroke", symbolSize=1200, symbolStrokeWidth=3)


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _score_text(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"
