"""The progress graph's data, one small frame per thing drawn: the scores with their phase,
the aimline, trend and projection (kept inside the measure's range), the phase changes and
phase rates, and the rows that keep their labels from overlapping."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import pandas as pd

from pushin_rules.decide.progress import TREND_LABELS, GoalAnalysis
from pushin_rules.models import Goal, ProgressPoint
from pushin_rules.present.charts.progress_style import (
    AIMLINE_NAME,
    CHAR_WIDTH_EM,
    FAMILY_NAMES,
    FAMILY_TREND,
    LABEL_DX,
    LABEL_GAP,
    LINE_KINDS,
    NOTE_SIZE,
    PHASE_AIMLINE_NAME,
    PROJECTION_NAME,
    SETTING_STYLE,
    SETTING_WORDS,
    X_PADDING,
    _long_date,
)


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
