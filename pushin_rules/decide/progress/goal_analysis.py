"""One goal: `analyse_goal` runs the district's array code over one goal and returns a
`GoalAnalysis` (with its `Phase`s) for the one-goal pages and the progress graph."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from pushin_rules.decide.progress.phases import PHASE_FIELDS, _phase_frame
from pushin_rules.decide.progress.prepare import _goal_frame, _points_frame, _run
from pushin_rules.decide.progress.settings import (
    ProgressSettings,
    _trend_method,
    default_settings,
)
from pushin_rules.decide.progress.summary_frame import _summary_frame
from pushin_rules.models import Goal, ProgressPoint


@dataclass(frozen=True)
class Phase:
    """One run of scores in the same setting, with its OLS line (score per week)."""

    number: int
    setting: str  # "push_in", "pull_out" or "" (not recorded)
    start: dt.date
    end: dt.date
    points: int
    slope: float  # NaN with a note below two dated scores
    intercept: float  # the line's value at the goal's baseline date
    note: str = ""


@dataclass(frozen=True)
class GoalAnalysis:
    """Everything `goal_summary` says about one goal, plus its phases, for the one-goal pages."""

    goal_id: str
    direction: str
    trend: str
    points: int
    weeks: float
    baseline: float
    baseline_date: dt.date | None
    target: float
    target_date: dt.date
    needed_roi: float
    trend_roi: float
    trend_intercept: float
    slope_se: float
    four_point: str
    four_point_detail: str
    trend_rule: str
    trend_detail: str
    decision: str
    projected_at_target: float
    likelihood: float
    likelihood_text: str
    last_setting: str
    phases: tuple[Phase, ...]
    push_in_points: int
    push_in_roi: float  # OLS slope of the push-in scores alone (NaN below two dates)
    pull_out_points: int
    pull_out_roi: float
    # Progress decisions 2.0: the verdict's series, its sentences, the measure's range and the
    # setting comparison (see `goal_summary`'s columns of the same names).
    measure: str = ""
    ols_roi: float = math.nan
    level: float = math.nan
    judged_phase: bool = False  # the verdict rests on the newest phase, not every score
    judged_start: dt.date | None = None
    judged_points: int = 0
    judged_baseline: float = math.nan
    judged_needed_roi: float = math.nan
    judged_roi: float = math.nan
    judged_intercept: float = math.nan  # the judged trend's value on judged_start
    judged_slope_se: float = math.nan
    decision_detail: str = ""
    reliability: str = ""
    measure_low: float = -math.inf
    measure_high: float = math.inf
    push_in_median: float = math.nan
    pull_out_median: float = math.nan
    setting_level_diff: float = math.nan
    setting_nap: float = math.nan
    setting_nap_low: float = math.nan
    setting_nap_high: float = math.nan
    compare_detail: str = ""
    carry_over_gap: bool = False

    def clamp(self, value: float) -> float:
        """A value kept inside the measure's possible range (NaN stays NaN)."""
        if math.isnan(value):
            return value
        return min(max(value, self.measure_low), self.measure_high)

    def judged_aim_at(self, when: dt.date) -> float:
        """The aimline of the series the verdict rests on (the newest phase's own aimline from
        its first scores to the target, or the goal's aimline)."""
        if not self.judged_phase or self.judged_start is None:
            return self.aim_at(when)
        if when >= self.target_date:
            return self.target
        return self.judged_baseline + self.judged_needed_roi * (when - self.judged_start).days / 7

    def judged_trend_at(self, when: dt.date) -> float:
        """The trend of the series the verdict rests on, on a date (NaN without one)."""
        if self.judged_start is None:
            return math.nan
        return self.judged_intercept + self.judged_roi * (when - self.judged_start).days / 7

    def _weeks_since_baseline(self, when: dt.date) -> float:
        if self.baseline_date is None:
            return math.nan
        return (when - self.baseline_date).days / 7.0

    def aim_at(self, when: dt.date) -> float:
        """The aimline's value on a date (the target from the target date on)."""
        x = self._weeks_since_baseline(when)
        if when >= self.target_date:
            return self.target
        return self.baseline + self.needed_roi * x

    def trend_at(self, when: dt.date) -> float:
        """The trend line's value on a date (NaN when there is no trend)."""
        return self.trend_intercept + self.trend_roi * self._weeks_since_baseline(when)


def _date_or_none(value: object) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def analyse_goal(
    goal: Goal,
    points: Sequence[ProgressPoint],
    settings: ProgressSettings | None = None,
    trend: str | None = None,
    today: dt.date | None = None,
) -> GoalAnalysis:
    """The analysis of one goal, through the same array code as `goal_summary`.

    Points of other goals are ignored; points need not be sorted.
    """
    settings = settings or default_settings()
    method = _trend_method(trend, settings)
    goals = _goal_frame(goal)
    progress = _points_frame([p for p in points if p.goal_id == goal.goal_id])
    prepared, core = _run(goals, progress, settings, method, today)
    row = _summary_frame(goals, prepared, core, settings, method).iloc[0]
    phases = _phase_frame(prepared, core)
    return GoalAnalysis(
        goal_id=goal.goal_id,
        direction=goal.direction.value,
        trend=str(row["trend"]),
        points=int(row["points"]),
        weeks=float(row["weeks"]),
        baseline=float(row["baseline"]),
        baseline_date=_date_or_none(row["baseline_date"]),
        target=float(row["target"]),
        target_date=goal.target_date,
        needed_roi=float(row["needed_roi"]),
        trend_roi=float(row["trend_roi"]),
        trend_intercept=float(row["trend_intercept"]),
        slope_se=float(row["slope_se"]),
        four_point=str(row["four_point"]),
        four_point_detail=str(row["four_point_detail"]),
        trend_rule=str(row["trend_rule"]),
        trend_detail=str(row["trend_detail"]),
        decision=str(row["decision"]),
        projected_at_target=float(row["projected_at_target"]),
        likelihood=float(row["likelihood"]),
        likelihood_text=str(row["likelihood_text"]),
        last_setting=str(row["last_setting"]),
        push_in_points=int(row["push_in_points"]),
        push_in_roi=float(row["push_in_roi"]),
        pull_out_points=int(row["pull_out_points"]),
        pull_out_roi=float(row["pull_out_roi"]),
        measure=goal.measure,
        ols_roi=float(row["ols_roi"]),
        level=float(row["level"]),
        judged_phase=str(row["judged_on"]).startswith("newest phase"),
        judged_start=_date_or_none(row["judged_start"]),
        judged_points=int(row["judged_points"]),
        judged_baseline=float(row["judged_baseline"]),
        judged_needed_roi=float(row["judged_needed_roi"]),
        judged_roi=float(row["judged_roi"]),
        judged_intercept=float(row["judged_intercept"]),
        judged_slope_se=float(row["judged_slope_se"]),
        decision_detail=str(row["decision_detail"]),
        reliability=str(row["reliability"]),
        measure_low=float(row["measure_low"]),
        measure_high=float(row["measure_high"]) if pd.notna(row["measure_high"]) else math.inf,
        push_in_median=float(row["push_in_median"]),
        pull_out_median=float(row["pull_out_median"]),
        setting_level_diff=float(row["setting_level_diff"]),
        setting_nap=float(row["setting_nap"]),
        setting_nap_low=float(row["setting_nap_low"]),
        setting_nap_high=float(row["setting_nap_high"]),
        compare_detail=str(row["compare_detail"]),
        carry_over_gap=bool(row["carry_over_gap"]),
        phases=tuple(
            Phase(
                number=int(number),
                setting=str(setting),
                start=pd.Timestamp(start).date(),
                end=pd.Timestamp(end).date(),
                points=int(count),
                slope=float(slope),
                intercept=float(intercept),
                note=str(note),
            )
            for number, setting, start, end, count, slope, intercept, note in zip(
                *(phases[c].tolist() for c in PHASE_FIELDS), strict=True
            )
        ),
    )
