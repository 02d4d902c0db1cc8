"""Altair chart builders: pure functions from small, already-analysed data to a chart.

One function per chart. Nothing here computes a decision; the numbers come from the analysis
modules (`decide/progress/` for the progress graph). Fonts and colours are set on the marks, axes
and legends themselves (not with `configure_*`), so a page can still compose the charts and a
Streamlit theme does not shrink them on a projector.

The progress graph is assembled here (`progress_chart`, with its title and subtitle); its look
is in `progress_style.py`, its data frames in `progress_frames.py`, its layers in
`progress_layers.py`. Every public name of those stays importable from this module.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import altair as alt
import pandas as pd

from pushin_rules.decide.progress import GoalAnalysis
from pushin_rules.models import Goal, GoalDirection, ProgressPoint
from pushin_rules.present.charts.progress_frames import (
    _label_rows,
    _line_frame,
    _phase_changes,
    _phase_rates,
    _point_frame,
    alternating,
)
from pushin_rules.present.charts.progress_layers import (
    _line_layers,
    _phase_change_layers,
    _phase_rate_layers,
    _score_layers,
    _target_layers,
)
from pushin_rules.present.charts.progress_style import (
    AIMLINE_COLOUR,
    AIMLINE_DASH,
    AIMLINE_NAME,
    AXIS_LABEL_SIZE,
    AXIS_TITLE_SIZE,
    CHAR_WIDTH_EM,
    FAMILY_NAMES,
    FAMILY_TREND,
    LABEL_DX,
    LABEL_GAP,
    LEGEND_SIZE,
    LINE_KINDS,
    LINE_STYLE,
    NOTE_SIZE,
    PHASE_AIMLINE_COLOUR,
    PHASE_AIMLINE_DASH,
    PHASE_AIMLINE_NAME,
    POINT_SIZE,
    PROJECTION_DASH,
    PROJECTION_NAME,
    ROW_HEIGHT,
    SETTING_STYLE,
    SETTING_WORDS,
    SUBTITLE_SIZE,
    TITLE_SIZE,
    TREND_COLOUR,
    WORDINGS,
    X_PADDING,
    Y_PADDING,
    _axis,
)
from pushin_rules.present.words import cap, family_progress, progress_label

__all__ = [
    "AIMLINE_COLOUR",
    "AIMLINE_DASH",
    "AIMLINE_NAME",
    "AXIS_LABEL_SIZE",
    "AXIS_TITLE_SIZE",
    "CHAR_WIDTH_EM",
    "FAMILY_NAMES",
    "FAMILY_TREND",
    "LABEL_DX",
    "LABEL_GAP",
    "LEGEND_SIZE",
    "LINE_KINDS",
    "LINE_STYLE",
    "NOTE_SIZE",
    "PHASE_AIMLINE_COLOUR",
    "PHASE_AIMLINE_DASH",
    "PHASE_AIMLINE_NAME",
    "POINT_SIZE",
    "PROJECTION_DASH",
    "PROJECTION_NAME",
    "ROW_HEIGHT",
    "SETTING_STYLE",
    "SETTING_WORDS",
    "SUBTITLE_SIZE",
    "TITLE_SIZE",
    "TREND_COLOUR",
    "WORDINGS",
    "X_PADDING",
    "Y_PADDING",
    "alternating",
    "chart_png",
    "progress_chart",
]


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
