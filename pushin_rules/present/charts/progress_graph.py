"""Altair chart builders: pure functions from small, already-analysed data to a chart.

One function per chart. Nothing here computes a decision; the numbers come from the analysis
modules (`decide/progress/` for the progress graph). Fonts and colours are set on the marks, axes
and legends themselves (not with `configure_*`), so a page can still compose the charts and a
Streamlit theme does not shrink them on a projector.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Sequence

import altair as alt
import pandas as pd

from pushin_rules.decide.progress import TREND_LABELS, GoalAnalysis
from pushin_rules.models import Goal, GoalDirection, ProgressPoint
from pushin_rules.present.words import cap, family_progress, progress_label

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


def _clipped(
    first: dt.date, first_value: float, last: dt.date, last_value: float, low: float, high: float
) -> list[tuple[dt.date, float]]:
    """The part of the straight segment inside low..high (the measure's possible range): a
    line that would run past 100% or below zero ends where it meets the bound."""
    span = (last - first).days
    if span <= 0 or first_value == last_value:
        inside = low <= first_value <= high
        return [(first, first_value), (last, last_value)] if inside else []
    # Parameter t in 0..1 along the segment where the value stays inside the range.
    t_low, t_high = 0.0, 1.0
    for bound, above in ((low, False), (high, True)):
        if bound in (math.inf, -math.inf):
            continue
        t = (bound - first_value) / (last_value - first_value)
        rising = last_value > first_value
        # Inside means value >= low (or <= high); which side of t that is depends on the slope.
        if rising != above:
            t_low = max(t_low, t)
        else:
            t_high = min(t_high, t)
    if t_low > t_high:
        return []

    def at(t: float) -> tuple[dt.date, float]:
        day = first + dt.timedelta(days=round(t * span))
        return day, min(max(first_value + t * (last_value - first_value), low), high)

    return [at(t_low), at(t_high)]


def _line_frame(analysis: GoalAnalysis, wording: str = "technical") -> pd.DataFrame:
    """Aimline, trend over the data the verdict rests on, and the trend projected on to the
    target date; after a change of setting judged on the newest phase, that phase's own
    aimline and trend. Every line stays inside the measure's possible range."""
    rows: list[dict[str, object]] = []
    start = analysis.baseline_date
    method = TREND_LABELS.get(analysis.trend, analysis.trend)
    phase = analysis.judged_phase and analysis.judged_start is not None
    trend_name = f"Trend of the newest phase ({method})" if phase else f"Trend ({method})"
    family = wording == "family"
    low, high = analysis.measure_low, analysis.measure_high

    def add(series: str, days: Sequence[dt.date], values: Sequence[float]) -> None:
        kind = LINE_KINDS.get(series, "trend")
        if family:
            series = FAMILY_NAMES.get(series, FAMILY_TREND)
        for day, value in _clipped(days[0], values[0], days[1], values[1], low, high):
            rows.append(
                {
                    "date": pd.Timestamp(day),
                    "day": _long_date(day),
                    "score": round(float(value), 2),
                    "line": series,
                    "kind": kind,
                }
            )

    if start is not None and pd.notna(analysis.baseline):
        end = max(analysis.target_date, start)
        add(AIMLINE_NAME, [start, end], [analysis.baseline, analysis.aim_at(end)])
    if phase and pd.notna(analysis.judged_baseline):
        begin = analysis.judged_start
        end = max(analysis.target_date, begin)
        add(
            PHASE_AIMLINE_NAME,
            [begin, end],
            [analysis.judged_baseline, analysis.judged_aim_at(end)],
        )
    if start is not None and pd.notna(analysis.judged_roi) and analysis.phases:
        first = analysis.judged_start if phase else start
        last = analysis.phases[-1].end
        add(
            trend_name,
            [first, last],
            [analysis.judged_trend_at(first), analysis.judged_trend_at(last)],
        )
        # Projecting a trend the rules do not trust yet would mislead.
        if analysis.target_date > last and analysis.decision != "insufficient_data":
            add(
                PROJECTION_NAME,
                [last, analysis.target_date],
                [analysis.judged_trend_at(last), analysis.judged_trend_at(analysis.target_date)],
            )
    return pd.DataFrame(rows, columns=["date", "day", "score", "line", "kind"])


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


def _label_rows(
    labels: pd.DataFrame, first: dt.date, last: dt.date, width: int, bold: bool
) -> list[int]:
    """A row (0 = nearest the plot's edge) for each label so that no two labels on a row
    overlap: each label goes on the first row whose previous label ends before it starts.
    Positions are estimated from the x scale (dates over the plot width, less the scale
    padding) and the labels' width in characters (bold text is about a tenth wider)."""
    span = max((last - first).days, 1)
    usable = max(width - 2 * X_PADDING, 1)
    per_char = NOTE_SIZE * CHAR_WIDTH_EM * (1.1 if bold else 1.0)
    ends: list[float] = []
    rows = []
    for when, text in zip(labels["date"], labels["label"], strict=True):
        left = X_PADDING + (pd.Timestamp(when).date() - first).days / span * usable + LABEL_DX
        right = left + len(str(text)) * per_char + LABEL_GAP
        for row, end in enumerate(ends):
            if end <= left:
                ends[row] = right
                rows.append(row)
                break
        else:
            ends.append(right)
            rows.append(len(ends) - 1)
    return rows


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


def _subtitle(analysis: GoalAnalysis, by_setting: bool, wording: str = "technical") -> list[str]:
    """The verdict over the graph: the practitioner's sentence (decision and what it rests
    on, likelihood, reliability, setting comparison) or the family's (`words.family_progress`),
    both from the one verdict."""
    if analysis.points == 0:
        return ["No scores yet."]
    if wording == "family":
        return [family_progress(analysis)]
    if analysis.decision == "insufficient_data" and not analysis.judged_phase:
        lines = [f"Not enough data for the decision rules yet: {analysis.four_point_detail}."]
        if pd.notna(analysis.trend_roi):
            lines.append(f"Trend so far {analysis.trend_roi:+.2f} per week.")
    else:
        detail = analysis.decision_detail or progress_label(analysis.decision)
        lines = [f"{cap(detail)}."]
        tail = f"Likelihood of meeting the goal: {analysis.likelihood_text}."
        if analysis.reliability:
            tail += f" {cap(analysis.reliability)}."
        lines.append(tail)
    if analysis.compare_detail:
        lines.append(f"{cap(analysis.compare_detail)}.")
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


def progress_chart(
    goal: Goal,
    points: Sequence[ProgressPoint],
    analysis: GoalAnalysis,
    *,
    title: str | None = None,
    deidentified_title: str | None = None,
    width: int = 760,
    height: int = 380,
    wording: str = "technical",
) -> alt.LayerChart:
    """The progress-monitoring graph of one goal.

    Dated scores coloured and shaped by setting, joined only within a phase (one line per
    setting when settings alternate score by score, see `alternating`); the aimline
    dashed; the trend solid (dotted where projected to the target date); the target marked at
    the target date; a labelled vertical line at each change of setting. `deidentified_title`,
    when given, replaces the title (for a projector or training display), so no description
    that might name the student is drawn. `wording` is "technical" (the Student page: rule
    names, aimline) or "family" (the Meeting page: the same verdict in a family's words).
    Lines and projections stay inside the measure's possible range (percent 0-100, counts
    0 and up), and phase-rate labels are stacked so none overlaps another.
    """
    if wording not in WORDINGS:
        raise ValueError(f"unknown wording {wording!r}; expected one of {', '.join(WORDINGS)}")
    by_setting = alternating(analysis)
    scores = _point_frame(goal, points, analysis)
    lines = _line_frame(analysis, wording)
    rates = _phase_rates(analysis)
    changes = _phase_changes(analysis)
    dates = [*scores["date"], *lines["date"], pd.Timestamp(goal.target_date)]
    first, last = min(dates).date(), max(dates).date()
    rates = rates.assign(row=_label_rows(rates, first, last, width, bold=False))
    changes = changes.assign(row=_label_rows(changes, first, last, width, bold=True))
    label_rows = 1
    if not by_setting:
        label_rows = max([1, *(int(t["row"].max()) + 1 for t in (rates, changes) if len(t))])

    measure = goal.measure or "score"
    lower = " (lower is better)" if goal.direction is GoalDirection.decrease else ""
    if deidentified_title is not None:
        heading = deidentified_title
    else:
        heading = title or f"Goal {goal.goal_id}: {goal.description or measure}"

    x_axis = _axis("Date", format="%-d %b", labelAngle=0, tickCount="month")
    y_axis = _axis(f"{measure}{lower}")
    x = alt.X("date:T", axis=x_axis, scale=alt.Scale(padding=X_PADDING))
    y_padding = Y_PADDING + ROW_HEIGHT * (label_rows - 1)
    y = alt.Y("score:Q", axis=y_axis, scale=alt.Scale(zero=False, nice=True, padding=y_padding))

    # Later layers draw on top: the lines first, then the scores, then the target.
    layers = [
        *_line_layers(lines, x, y),
        *([] if by_setting else _phase_change_layers(changes, x)),
        *([] if by_setting else _phase_rate_layers(rates, x, height)),
        *_score_layers(scores, x, y, by_setting),
        *_target_layers(goal, x, y),
    ]
    chart = alt.layer(*layers).properties(
        width=width,
        height=height,
        title=alt.TitleParams(
            heading,
            subtitle=_wrap(_subtitle(analysis, by_setting, wording), width),
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
