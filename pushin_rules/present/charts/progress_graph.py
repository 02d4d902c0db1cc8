"""Altair chart builders: pure functions from small, already-analysed data to a chart.

One function per chart. Nothing here computes a decision; the numbers come from the analysis
modules (`progress.py` for the progress graph). Fonts and colours are set on the marks, axes
and legends themselves (not with `configure_*`), so a page can still compose the charts and a
Streamlit theme does not shrink them on a projector.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence

import altair as alt
import pandas as pd

from pushin_rules.decide.progress import TREND_LABELS, GoalAnalysis
from pushin_rules.models import Goal, GoalDirection, ProgressPoint

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
PROJECTION_NAME = "Trend projected to the target date"
PROJECTION_DASH = [2, 4]

# Sizes for a projector at the back of a meeting room.
TITLE_SIZE = 20
SUBTITLE_SIZE = 15
AXIS_LABEL_SIZE = 14
AXIS_TITLE_SIZE = 16
LEGEND_SIZE = 14
NOTE_SIZE = 14
POINT_SIZE = 150
CHAR_WIDTH_EM = 0.5  # average width of a character of the default sans-serif, in ems


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


def _point_frame(
    goal: Goal, points: Sequence[ProgressPoint], analysis: GoalAnalysis
) -> pd.DataFrame:
    """The goal's scores by date, each with its phase number (as the analysis counted them)."""
    own = sorted((p for p in points if p.goal_id == goal.goal_id), key=lambda p: p.date)
    phase_of = [phase.number for phase in analysis.phases for _ in range(phase.points)]
    rows = []
    # zip stops at the analysed scores: with `today` set, later scores are not drawn.
    for point, phase in zip(own, phase_of, strict=False):
        setting = point.setting.value if point.setting else ""
        label = SETTING_STYLE[setting][0]
        rows.append(
            {
                "date": pd.Timestamp(point.date),
                "day": _long_date(point.date),
                "score": float(point.score),
                "setting": label,
                "phase": phase,
            }
        )
    return pd.DataFrame(rows, columns=["date", "day", "score", "setting", "phase"])


def _line_frame(analysis: GoalAnalysis) -> pd.DataFrame:
    """Aimline, trend over the data, and the trend projected on to the target date."""
    rows: list[dict[str, object]] = []
    start = analysis.baseline_date
    trend_name = f"Trend ({TREND_LABELS.get(analysis.trend, analysis.trend)})"

    def add(series: str, days: Sequence[dt.date], values: Sequence[float]) -> None:
        for day, value in zip(days, values, strict=True):
            rows.append(
                {
                    "date": pd.Timestamp(day),
                    "day": _long_date(day),
                    "score": round(float(value), 2),
                    "line": series,
                }
            )

    if start is not None and pd.notna(analysis.baseline):
        end = max(analysis.target_date, start)
        add(AIMLINE_NAME, [start, end], [analysis.baseline, analysis.aim_at(end)])
    if start is not None and pd.notna(analysis.trend_roi) and analysis.phases:
        last = analysis.phases[-1].end
        add(trend_name, [start, last], [analysis.trend_at(start), analysis.trend_at(last)])
        # Projecting a trend the rules do not trust yet would mislead.
        if analysis.target_date > last and analysis.decision != "insufficient_data":
            add(
                PROJECTION_NAME,
                [last, analysis.target_date],
                [analysis.trend_at(last), analysis.trend_at(analysis.target_date)],
            )
    return pd.DataFrame(rows, columns=["date", "day", "score", "line"])


def _phase_changes(analysis: GoalAnalysis) -> pd.DataFrame:
    """One vertical line between the last score of a phase and the first of the next."""
    rows = []
    for before, after in zip(analysis.phases, analysis.phases[1:], strict=False):
        gap = after.start - before.end
        when = before.end + gap / 2 if gap.days > 0 else after.start
        rows.append(
            {
                "date": pd.Timestamp(when),
                "label": f"moved to {SETTING_WORDS[after.setting]}",
                "day": _long_date(after.start),
            }
        )
    return pd.DataFrame(rows, columns=["date", "label", "day"])


def alternating(analysis: GoalAnalysis) -> bool:
    """Settings that change score by score (a hybrid service), not a change of model.

    Three or more phases, at least half of them a single score: phase lines would be noise, so
    the graph draws one line per setting instead and compares the settings' rates.
    """
    phases = analysis.phases
    singles = sum(phase.points == 1 for phase in phases)
    return len(phases) >= 3 and 2 * singles >= len(phases)


def _phase_rates(analysis: GoalAnalysis) -> pd.DataFrame:
    """Each phase's attained rate, written at the foot of the phase (when there are phases)."""
    rows = [
        {
            "date": pd.Timestamp(phase.start),
            "label": f"{SETTING_WORDS[phase.setting]}: "
            + (f"{phase.slope:+.2f} per week" if pd.notna(phase.slope) else "no slope"),
        }
        for phase in analysis.phases
    ]
    return pd.DataFrame(rows if len(rows) > 1 else [], columns=["date", "label"])


def _setting_rates(analysis: GoalAnalysis) -> str:
    """The rate of each setting's scores, for settings that alternate."""
    parts = []
    for key, roi, n in (
        ("push_in", analysis.push_in_roi, analysis.push_in_points),
        ("pull_out", analysis.pull_out_roi, analysis.pull_out_points),
    ):
        if n:
            rate = f"{roi:+.2f} per week" if pd.notna(roi) else "no slope"
            parts.append(f"{SETTING_WORDS[key]} scores ({n}): {rate}")
    text = "; ".join(parts)
    return f"Settings alternate (hybrid), one line each. {text[:1].upper()}{text[1:]}."


def _wrap(lines: list[str], width: int) -> list[str]:
    """Subtitle lines wrapped to about the plot's width (Vega does not wrap titles)."""
    per_line = max(40, int(width / (SUBTITLE_SIZE * CHAR_WIDTH_EM)))
    return [part for line in lines for part in textwrap.wrap(line, per_line)]


def _subtitle(analysis: GoalAnalysis, by_setting: bool) -> list[str]:
    if analysis.points == 0:
        return ["No scores yet."]
    if analysis.decision == "insufficient_data":
        lines = [f"Not enough data for the decision rules yet: {analysis.four_point_detail}."]
        if pd.notna(analysis.trend_roi):
            lines.append(f"Trend so far {analysis.trend_roi:+.2f} per week.")
    else:
        decision = analysis.decision.replace("_", " ")
        detail = analysis.trend_detail
        lines = [
            f"Decision: {decision}. {detail[:1].upper()}{detail[1:]}.",
            f"Four-point rule: {analysis.four_point.replace('_', ' ')} "
            f"({analysis.four_point_detail}). Likelihood of meeting the goal: "
            f"{analysis.likelihood_text}.",
        ]
    if by_setting:
        lines.append(_setting_rates(analysis))
    return lines


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
    names = list(dict.fromkeys(lines["line"]))
    colours = [AIMLINE_COLOUR if n == AIMLINE_NAME else TREND_COLOUR for n in names]
    dashes = [
        AIMLINE_DASH if n == AIMLINE_NAME else PROJECTION_DASH if n == PROJECTION_NAME else [1, 0]
        for n in names
    ]
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
    """A vertical rule at each change of setting, labelled at the top."""
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
    label = (
        alt.Chart(changes)
        .mark_text(align="left", dx=6, fontSize=NOTE_SIZE, fontWeight="bold", color="#333333")
        .encode(x=x, y=alt.value(14), text="label:N")
    )
    return [rule, label]


def _phase_rate_layers(rates: pd.DataFrame, x: alt.X, height: int) -> list[alt.Chart]:
    """Each phase's rate at the foot of the plot, below the lowest score (see y padding)."""
    if rates.empty:
        return []
    return [
        alt.Chart(rates)
        .mark_text(align="left", dx=6, fontSize=NOTE_SIZE, color="#333333")
        .encode(x=x, y=alt.value(height - 12), text="label:N")
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


def progress_chart(
    goal: Goal,
    points: Sequence[ProgressPoint],
    analysis: GoalAnalysis,
    *,
    title: str | None = None,
    deidentified_title: str | None = None,
    width: int = 760,
    height: int = 380,
) -> alt.LayerChart:
    """The progress-monitoring graph of one goal.

    Dated scores coloured and shaped by setting, joined only within a phase (one line per
    setting when settings alternate score by score, see `alternating`); the aimline
    dashed; the trend solid (dotted where projected to the target date); the target marked at
    the target date; a labelled vertical line at each change of setting. `deidentified_title`,
    when given, replaces the title (for a projector or training display), so no description
    that might name the student is drawn.
    """
    by_setting = alternating(analysis)
    scores = _point_frame(goal, points, analysis)
    lines = _line_frame(analysis)

    measure = goal.measure or "score"
    lower = " (lower is better)" if goal.direction is GoalDirection.decrease else ""
    if deidentified_title is not None:
        heading = deidentified_title
    else:
        heading = title or f"Goal {goal.goal_id}: {goal.description or measure}"

    x_axis = _axis("Date", format="%-d %b", labelAngle=0, tickCount="month")
    y_axis = _axis(f"{measure}{lower}")
    x = alt.X("date:T", axis=x_axis, scale=alt.Scale(padding=24))
    y = alt.Y("score:Q", axis=y_axis, scale=alt.Scale(zero=False, nice=True, padding=34))

    # Later layers draw on top: the lines first, then the scores, then the target.
    layers = [
        *_line_layers(lines, x, y),
        *([] if by_setting else _phase_change_layers(_phase_changes(analysis), x)),
        *([] if by_setting else _phase_rate_layers(_phase_rates(analysis), x, height)),
        *_score_layers(scores, x, y, by_setting),
        *_target_layers(goal, x, y),
    ]
    chart = alt.layer(*layers).properties(
        width=width,
        height=height,
        title=alt.TitleParams(
            heading,
            subtitle=_wrap(_subtitle(analysis, by_setting), width),
            fontSize=TITLE_SIZE,
            subtitleFontSize=SUBTITLE_SIZE,
            anchor="start",
            subtitleColor="#333333",
        ),
    )
    return chart.resolve_scale(color="independent", shape="independent", strokeDash="independent")


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (rendered locally by vl-convert; nothing leaves the machine)."""
    import vl_convert

    return vl_convert.vegalite_to_png(chart.to_dict(), scale=scale)
