"""The progress graph's layers: scores, lines, phase changes, phase rates and the target,
each a list of Altair charts over one frame of `progress_frames`."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pushin_rules.models import Goal, GoalDirection
from pushin_rules.present.charts.progress_style import (
    AIMLINE_COLOUR,
    LABEL_DX,
    LINE_STYLE,
    NOTE_SIZE,
    POINT_SIZE,
    ROW_HEIGHT,
    SETTING_STYLE,
    _legend,
    _line_legend,
    _long_date,
    _score_text,
)


def _score_layers(scores: pd.DataFrame, x: alt.X, y: alt.Y, by_setting: bool) -> list[alt.Chart]:
    """The scores, coloured and shaped by setting, joined by a line only within a phase (or,
    when settings alternate, one line per setting in the setting's colour)."""
    used = [key for key, style in SETTING_STYLE.items() if style[0] in set(scores["setting"])]
    used = used or ["push_in", "pull_out"]
    labels = [SETTING_STYLE[k][0] for k in used]
    legend = _legend("Where the score was taken")
    # Colour and shape on the same field, domain and legend: Vega-Lite draws one legend.
    colours = alt.Scale(domain=labels, range=[SETTING_STYLE[k][1] for k in used])
    colour = alt.Color("setting:N", scale=colours, legend=legend)
    shape = alt.Shape(
        "setting:N",
        scale=alt.Scale(domain=labels, range=[SETTING_STYLE[k][2] for k in used]),
        legend=legend,
    )
    base = alt.Chart(scores)
    if by_setting:
        joined = base.mark_line(strokeWidth=2, opacity=0.6).encode(
            x=x, y=y, color=alt.Color("setting:N", scale=colours, legend=None), order="date:T"
        )
    else:
        joined = base.mark_line(color="#555555", strokeWidth=2, opacity=0.7).encode(
            x=x, y=y, detail="phase:N", order="date:T"
        )
    dots = base.mark_point(filled=True, size=POINT_SIZE, opacity=1, stroke="white").encode(
        x=x,
        y=y,
        color=colour,
        shape=shape,
        tooltip=[
            alt.Tooltip("day:N", title="Date"),
            alt.Tooltip("score:Q", title="Score"),
            alt.Tooltip("setting:N", title="Setting"),
            alt.Tooltip("phase:O", title="Phase"),
        ],
    )
    return [joined, dots]


def _line_layers(lines: pd.DataFrame, x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """Aimline (dashed), trend (solid) and projection (dotted), with one legend."""
    if lines.empty:
        return []
    kinds = dict(zip(lines["line"], lines["kind"], strict=True))
    names = list(kinds)
    colours = [LINE_STYLE[kinds[n]][0] for n in names]
    dashes = [LINE_STYLE[kinds[n]][1] for n in names]
    return [
        alt.Chart(lines)
        .mark_line(strokeWidth=3)
        .encode(
            x=x,
            y=y,
            detail="line:N",
            color=alt.Color(
                "line:N", scale=alt.Scale(domain=names, range=colours), legend=_line_legend()
            ),
            strokeDash=alt.StrokeDash(
                "line:N", scale=alt.Scale(domain=names, range=dashes), legend=_line_legend()
            ),
            tooltip=[
                alt.Tooltip("line:N", title="Line"),
                alt.Tooltip("day:N", title="Date"),
                alt.Tooltip("score:Q", title="Value"),
            ],
        )
    ]


def _phase_change_layers(changes: pd.DataFrame, x: alt.X) -> list[alt.Chart]:
    """A vertical rule at each change of setting, labelled at the top (on as many rows as it
    takes for no two labels to overlap, `changes["row"]`)."""
    if changes.empty:
        return []
    rule = (
        alt.Chart(changes)
        .mark_rule(color="#333333", strokeWidth=2)
        .encode(
            x=x,
            tooltip=[
                alt.Tooltip("label:N", title="Phase change"),
                alt.Tooltip("day:N", title="First score"),
            ],
        )
    )
    placed = changes.assign(y=14 + ROW_HEIGHT * changes["row"])
    label = (
        alt.Chart(placed)
        .mark_text(
            align="left", dx=LABEL_DX, fontSize=NOTE_SIZE, fontWeight="bold", color="#333333"
        )
        .encode(x=x, y=alt.Y("y:Q", scale=None), text="label:N")
    )
    return [rule, label]


def _phase_rate_layers(rates: pd.DataFrame, x: alt.X, height: int) -> list[alt.Chart]:
    """Each phase's rate at the foot of the plot, below the lowest score (see y padding), on
    as many rows as it takes for no two labels to overlap (`rates["row"]`)."""
    if rates.empty:
        return []
    placed = rates.assign(y=height - 12 - ROW_HEIGHT * rates["row"])
    return [
        alt.Chart(placed)
        .mark_text(align="left", dx=LABEL_DX, fontSize=NOTE_SIZE, color="#333333")
        .encode(x=x, y=alt.Y("y:Q", scale=None), text="label:N")
    ]


def _target_layers(goal: Goal, x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """The target: a large cross at (target date, target), labelled."""
    target = pd.DataFrame(
        {
            "date": [pd.Timestamp(goal.target_date)],
            "day": [_long_date(goal.target_date)],
            "score": [float(goal.target)],
            "label": [f"Target {_score_text(goal.target)} by {_long_date(goal.target_date)}"],
        }
    )
    base = alt.Chart(target).encode(x=x, y=y)
    mark = base.mark_point(
        shape="cross", size=420, filled=True, color=AIMLINE_COLOUR, opacity=1
    ).encode(
        tooltip=[alt.Tooltip("label:N", title="Goal"), alt.Tooltip("day:N", title="Target date")]
    )
    # The aimline arrives from below for an increase goal, from above for a decrease goal:
    # the label goes on the other side.
    dy = 20 if goal.direction is GoalDirection.decrease else -18
    label = base.mark_text(
        align="right", dx=-14, dy=dy, fontSize=NOTE_SIZE, fontWeight="bold", color=AIMLINE_COLOUR
    ).encode(text="label:N")
    return [mark, label]
