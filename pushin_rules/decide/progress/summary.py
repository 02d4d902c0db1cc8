"""The progress analytics as frames: `goal_summary` (a district, one row per goal),
`analyse_goal` (one goal, same array code), `service_progress`, `phase_summary`, and the CSV
shape of the summary."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.decide.progress.decisions import _analyse, _Core
from pushin_rules.decide.progress.sentences import (
    _compare_sentences,
    _decision_sentences,
    _four_point_sentences,
    _likelihood_text,
    _phase_prefixes,
    _reliability_sentences,
    _trend_sentences,
    _with_prefix,
)
from pushin_rules.decide.progress.settings import (
    DECISIONS,
    NOT_ENOUGH_DATA,
    ProgressSettings,
    _trend_method,
    default_settings,
)
from pushin_rules.decide.progress.trend import (
    _INSUFFICIENT,
    _PULL_OUT,
    _PUSH_IN,
    _RULE_NONE,
    _SETTINGS,
)
from pushin_rules.models import Goal, GoalDirection, ProgressPoint

# --------------------------------------------------------------------------- frames -> arrays


_NS_PER_DAY = 86_400 * 10**9
_EMPTY_INT = np.zeros(0, dtype=np.int64)


def _days(values: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 as floats (NaN for a missing date)."""
    stamps = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
    days = (stamps.astype(np.int64) // _NS_PER_DAY).astype(float)
    days[np.isnat(stamps)] = np.nan
    return days


def _setting_codes(values: pd.Series) -> np.ndarray:
    codes = np.zeros(len(values), dtype=np.int8)
    for code, name in enumerate(_SETTINGS):
        if code:
            codes[(values == name).to_numpy(dtype=bool, na_value=False)] = code
    return codes


@dataclass(frozen=True)
class _Prepared:
    """Scores grouped by goal: the arrays for `_analyse` and where each group's goal sits."""

    day: np.ndarray
    score: np.ndarray
    setting: np.ndarray
    starts: np.ndarray
    goal_row: np.ndarray  # row in the goals frame of each group
    goal_ids: np.ndarray  # goal_id of each group


def _prepare(goals: pd.DataFrame, progress: pd.DataFrame, today: dt.date | None) -> _Prepared:
    if today is not None and len(progress):
        progress = progress[progress["date"] <= pd.Timestamp(today)]
    codes, uniques = pd.factorize(progress["goal_id"], sort=False)
    day = _days(progress["date"])
    score = progress["score"].to_numpy(dtype=float)
    if "setting" in progress:
        setting = _setting_codes(progress["setting"])
    else:
        setting = np.zeros(len(score), dtype=np.int8)
    # The contract sorts progress by goal then date; sort (stably) only when a caller did not.
    step = np.diff(codes)
    if (step < 0).any() or ((step == 0) & (np.diff(day) < 0)).any():
        order = np.lexsort((day, codes))
        codes, day, score, setting = codes[order], day[order], score[order], setting[order]
        step = np.diff(codes)
    goal_row = pd.Index(goals["goal_id"]).get_indexer(uniques)
    if (goal_row < 0).any():  # scores for a goal the goals frame does not have: ignored
        keep = goal_row[codes] >= 0
        codes, day, score, setting = codes[keep], day[keep], score[keep], setting[keep]
        remap = np.cumsum(goal_row >= 0) - 1
        uniques, goal_row = uniques[goal_row >= 0], goal_row[goal_row >= 0]
        codes = remap[codes]
        step = np.diff(codes)
    starts = np.flatnonzero(np.concatenate(([True], step != 0))) if len(codes) else _EMPTY_INT
    return _Prepared(
        day=day,
        score=score,
        setting=setting,
        starts=starts,
        goal_row=goal_row,
        goal_ids=np.asarray(uniques, dtype=object),
    )


def _run(
    goals: pd.DataFrame,
    progress: pd.DataFrame,
    settings: ProgressSettings,
    method: str,
    today: dt.date | None,
) -> tuple[_Prepared, _Core]:
    prepared = _prepare(goals, progress, today)
    rows = prepared.goal_row
    sign = np.where(goals["direction"].to_numpy()[rows] == GoalDirection.decrease.value, -1.0, 1.0)
    core = _analyse(
        prepared.day,
        prepared.score,
        prepared.setting,
        prepared.starts,
        sign,
        goals["target"].to_numpy(dtype=float)[rows],
        _days(goals["target_date"])[rows],
        settings,
        method,
    )
    return prepared, core


# --------------------------------------------------------------------------- public API

SUMMARY_COLUMNS: tuple[str, ...] = (
    "goal_id",
    "service_id",
    "direction",
    "measure",
    "points",
    "weeks",
    "last_date",
    "baseline",
    "baseline_date",
    "target",
    "target_date",
    "weeks_to_target",
    "needed_roi",
    "trend",
    "trend_roi",
    "trend_intercept",
    "slope_se",
    "four_point",
    "four_point_detail",
    "trend_rule",
    "trend_detail",
    "decision",
    "projected_at_target",
    "likelihood",
    "likelihood_text",
    "last_score",
    "last_setting",
    "phases",
    "last_phase_roi",
    "previous_phase_setting",
    "previous_phase_roi",
    "push_in_points",
    "push_in_roi",
    "pull_out_points",
    "pull_out_roi",
    # Progress decisions 2.0 (new columns go at the end; nothing above is renamed).
    "ols_roi",
    "level",
    "judged_on",
    "judged_start",
    "judged_points",
    "judged_baseline",
    "judged_needed_roi",
    "judged_roi",
    "judged_intercept",
    "judged_slope_se",
    "decision_detail",
    "reliability",
    "measure_low",
    "measure_high",
    "push_in_median",
    "pull_out_median",
    "setting_level_diff",
    "setting_nap",
    "setting_nap_low",
    "setting_nap_high",
    "compare_detail",
    "carry_over_gap",
)


def _scatter(size: int, rows: np.ndarray, values: np.ndarray, fill: Any) -> np.ndarray:
    """Per-group values placed at their goals' rows; goals without scores get `fill`."""
    values = np.asarray(values)
    out = np.full(size, fill, dtype=values.dtype)
    out[rows] = values
    return out


def _dates(days: np.ndarray) -> np.ndarray:
    """Float days since 1970 (NaN for none) -> datetime64[ns] (NaT for none)."""
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    known = np.isfinite(days)
    out[known] = (days[known].astype(np.int64) * _NS_PER_DAY).astype("datetime64[ns]")
    return out


def goal_summary(
    district: District,
    settings: ProgressSettings | None = None,
    trend: str | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """One row per goal of the district (goals with no scores included), columns `SUMMARY_COLUMNS`.

    `trend` is "ols", "tukey" or "theil_sen" (None: the settings' default_trend). `today`, when
    given, ignores scores dated after it (the picture as it stood that day).
    """
    settings = settings or default_settings()
    method = _trend_method(trend, settings)
    goals = district.goals.reset_index(drop=True)
    prepared, core = _run(goals, district.progress, settings, method, today)
    return _summary_frame(goals, prepared, core, settings, method)


def _measure_ranges(goals: pd.DataFrame, settings: ProgressSettings) -> np.ndarray:
    """(goals, 2): the lowest and highest possible score of each goal's measure."""
    measures = goals["measure"] if "measure" in goals else pd.Series("", index=goals.index)
    names = measures.fillna("").astype(str)
    unique = pd.unique(names)
    table = {name: settings.measure_range(name) for name in unique}
    return np.array([table[name] for name in names], dtype=float).reshape(-1, 2)


def _summary_frame(
    goals: pd.DataFrame,
    prepared: _Prepared,
    core: _Core,
    settings: ProgressSettings,
    method: str,
) -> pd.DataFrame:
    size, rows = len(goals), prepared.goal_row
    decrease = goals["direction"].to_numpy() == GoalDirection.decrease.value
    whole, judged, compare = core.whole, core.judged, core.compare

    def per_goal(values: np.ndarray) -> np.ndarray:
        return _scatter(size, rows, values.astype(float), np.nan)

    points = _scatter(size, rows, whole.counts.astype(np.int64), 0)
    weeks = per_goal(whole.weeks)
    target = goals["target"].to_numpy(dtype=float)
    # The rules' columns describe the series the verdict rests on (the newest phase after a
    # change of setting, else every score). Goals with no scores: the rules cannot fire.
    four_point = _scatter(size, rows, judged.four_point, _INSUFFICIENT)
    trend_rule = _scatter(size, rows, judged.trend_rule, _INSUFFICIENT)
    rule_case = _scatter(size, rows, judged.rule_case, _RULE_NONE)
    decision = _scatter(size, rows, core.decision, _INSUFFICIENT)
    why = _scatter(size, rows, core.why, 0)
    judged_points = _scatter(size, rows, judged.counts.astype(np.int64), 0)
    judged_weeks = per_goal(judged.weeks)
    judged_slope = per_goal(judged.slope)
    judged_needed = per_goal(judged.needed_roi)
    likelihood = per_goal(judged.likelihood)
    likelihood_text = _likelihood_text(likelihood)
    decisions = np.array(DECISIONS, dtype=object)
    ranges = _measure_ranges(goals, settings)
    projected = np.clip(per_goal(judged.projected), ranges[:, 0], ranges[:, 1])

    phase_roi = core.phase_slope
    last_phase = core.last_phase
    has_previous = core.phases >= 2
    previous = np.maximum(last_phase - 1, 0)
    settings_text = np.array(_SETTINGS, dtype=object)
    previous_setting = np.where(has_previous, settings_text[core.phase_setting[previous]], "")
    phased = _scatter(size, rows, core.phased, False)
    judged_start = _dates(per_goal(judged.first_day))
    start_text = pd.Series(judged_start).dt.strftime("%Y-%m-%d").fillna("").tolist()
    newest_setting = _scatter(size, rows, settings_text[core.phase_setting[last_phase]], "")
    prefixes = _phase_prefixes(phased, newest_setting, start_text)
    four_point_detail = _with_prefix(
        _four_point_sentences(
            four_point,
            _scatter(size, rows, judged.window_off, 0),
            _scatter(size, rows, judged.window_ahead, 0),
            decrease,
            judged_points,
            judged_weeks,
            settings,
        ),
        prefixes,
    )
    trend_detail = _with_prefix(
        _trend_sentences(
            rule_case,
            trend_rule,
            judged_slope,
            judged_needed,
            judged_points,
            judged_weeks,
            settings,
        ),
        prefixes,
    )
    push_points = _scatter(size, rows, core.setting_points[:, _PUSH_IN], 0)
    pull_points = _scatter(size, rows, core.setting_points[:, _PULL_OUT], 0)
    push_median = per_goal(compare.push_in_median)
    pull_median = per_goal(compare.pull_out_median)
    nap, nap_low, nap_high = (
        per_goal(compare.nap),
        per_goal(compare.nap_low),
        per_goal(compare.nap_high),
    )
    gap = _scatter(size, rows, compare.carry_over_gap, False)
    judged_se = per_goal(judged.slope_se)

    return pd.DataFrame(
        {
            "goal_id": goals["goal_id"].to_numpy(dtype=object),
            "service_id": goals["service_id"].to_numpy(dtype=object),
            "direction": goals["direction"].to_numpy(dtype=object),
            "measure": goals["measure"].to_numpy(dtype=object)
            if "measure" in goals
            else np.full(size, "", dtype=object),
            "points": points,
            "weeks": weeks,
            "last_date": _dates(per_goal(whole.last_day)),
            "baseline": per_goal(whole.baseline),
            "baseline_date": _dates(per_goal(whole.first_day)),
            "target": target,
            "target_date": _dates(_days(goals["target_date"])),
            "weeks_to_target": per_goal(whole.weeks_to_target),
            "needed_roi": per_goal(whole.needed_roi),
            "trend": np.full(size, method, dtype=object),
            "trend_roi": per_goal(whole.slope),
            "trend_intercept": per_goal(whole.intercept),
            "slope_se": per_goal(whole.slope_se),
            "four_point": decisions[four_point],
            "four_point_detail": four_point_detail,
            "trend_rule": decisions[trend_rule],
            "trend_detail": trend_detail,
            "decision": decisions[decision],
            "projected_at_target": projected,
            "likelihood": likelihood,
            "likelihood_text": likelihood_text,
            "last_score": per_goal(core.last_score),
            "last_setting": _scatter(size, rows, settings_text[core.last_setting], ""),
            "phases": _scatter(size, rows, core.phases.astype(np.int64), 0),
            "last_phase_roi": per_goal(phase_roi[last_phase]),
            "previous_phase_setting": _scatter(size, rows, previous_setting, ""),
            "previous_phase_roi": per_goal(np.where(has_previous, phase_roi[previous], np.nan)),
            "push_in_points": push_points,
            "push_in_roi": per_goal(core.setting_slope[:, _PUSH_IN]),
            "pull_out_points": pull_points,
            "pull_out_roi": per_goal(core.setting_slope[:, _PULL_OUT]),
            "ols_roi": per_goal(whole.ols_slope),
            "level": per_goal(whole.level),
            "judged_on": np.where(
                phased,
                np.char.add("newest phase: ", newest_setting.astype(str)),
                np.where(points > 0, "all scores", ""),
            ).astype(object),
            "judged_start": judged_start,
            "judged_points": judged_points,
            "judged_baseline": per_goal(judged.baseline),
            "judged_needed_roi": judged_needed,
            "judged_roi": judged_slope,
            "judged_intercept": per_goal(judged.intercept),
            "judged_slope_se": judged_se,
            "decision_detail": _decision_sentences(
                why,
                decision,
                four_point,
                trend_rule,
                four_point_detail,
                trend_detail,
                per_goal(whole.level),
                target,
                projected,
                likelihood_text,
                newest_setting,
                start_text,
                judged_points,
                judged_weeks,
                judged_slope,
                judged_needed,
                gap,
                settings,
            ),
            "reliability": _reliability_sentences(
                judged_points, judged_weeks, judged_slope, judged_se, settings
            ),
            "measure_low": ranges[:, 0],
            "measure_high": np.where(np.isinf(ranges[:, 1]), np.nan, ranges[:, 1]),
            "push_in_median": push_median,
            "pull_out_median": pull_median,
            "setting_level_diff": pull_median - push_median,
            "setting_nap": nap,
            "setting_nap_low": nap_low,
            "setting_nap_high": nap_high,
            "compare_detail": _compare_sentences(
                push_points,
                pull_points,
                push_median,
                pull_median,
                nap,
                nap_low,
                nap_high,
                gap,
                settings,
            ),
            "carry_over_gap": gap.astype(bool),
        }
    )


def service_progress(summary: pd.DataFrame) -> pd.DataFrame:
    """Per service (index service_id): the most urgent decision among its goals, and counts.

    Columns: progress_decision, goals, then one count column per decision (`DECISIONS`, most
    urgent first). Services with no goals are absent; a caller shows them as `no_data`.
    """
    rank = pd.Categorical(summary["decision"], categories=list(DECISIONS)).codes
    if (rank < 0).any():
        raise ValueError("decision values must be one of " + ", ".join(DECISIONS))
    service, ids = pd.factorize(summary["service_id"], sort=True)
    kinds = len(DECISIONS)
    counts = np.bincount(service * kinds + rank, minlength=len(ids) * kinds).reshape(-1, kinds)
    # The first decision (most urgent) with a goal behind it.
    urgent = np.argmax(counts > 0, axis=1)
    out = pd.DataFrame(
        {
            "progress_decision": np.array(DECISIONS, dtype=object)[urgent],
            "goals": counts.sum(axis=1),
            **{decision: counts[:, k] for k, decision in enumerate(DECISIONS)},
        },
        index=pd.Index(np.asarray(ids, dtype=object), name="service_id"),
    )
    return out.astype({c: "int64" for c in ("goals", *DECISIONS)})


PHASE_COLUMNS: tuple[str, ...] = (
    "goal_id",
    "phase",
    "setting",
    "start",
    "end",
    "points",
    "weeks",
    "slope",
    "attained_roi",
    "intercept",
    "needed_roi",
    "share_of_needed",
    "note",
)
# The phase columns that make a `Phase`, in its field order.
PHASE_FIELDS = ("phase", "setting", "start", "end", "points", "slope", "intercept", "note")


def phase_summary(
    data: District | pd.DataFrame | Sequence[ProgressPoint],
    goal_id: str | None = None,
    *,
    settings: ProgressSettings | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """One row per phase (consecutive scores in the same setting), columns `PHASE_COLUMNS`.

    `data` is a District, a progress frame (goal_id, date, score, setting) or a list of
    ProgressPoint; `goal_id` keeps one goal (None: every goal). `slope` is the phase's OLS line in
    score per week and `attained_roi` the same number under the name teams use; `intercept` is
    the line's value at the goal's first score. `needed_roi` and `share_of_needed`
    (attained / needed) come only from a District, which has the goals' targets.
    """
    settings = settings or default_settings()
    if isinstance(data, District):
        goals, progress = data.goals, data.progress
    else:
        progress = data if isinstance(data, pd.DataFrame) else _points_frame(list(data))
        ids = pd.unique(progress["goal_id"])
        goals = pd.DataFrame(
            {
                "goal_id": ids,
                "direction": GoalDirection.increase.value,
                "target": np.nan,
                "target_date": pd.NaT,
            }
        )
    if goal_id is not None:
        goals = goals[goals["goal_id"] == goal_id]
        progress = progress[progress["goal_id"] == goal_id]
    goals = goals.reset_index(drop=True)
    prepared, core = _run(goals, progress, settings, "ols", today)
    return _phase_frame(prepared, core)


def _phase_frame(prepared: _Prepared, core: _Core) -> pd.DataFrame:
    group = core.phase_group
    first_phase = np.cumsum(core.phases) - core.phases  # every group has at least one phase
    number = np.arange(len(group)) - np.repeat(first_phase, core.phases)
    needed = core.needed_roi[group]
    slope = core.phase_slope
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(np.isfinite(needed) & (needed != 0), slope / needed, np.nan)
    notes = np.where(
        core.phase_counts < 2,
        "one score in this phase: no slope",
        np.where(np.isfinite(slope), "", "all scores on one date: no slope"),
    )
    return pd.DataFrame(
        {
            "goal_id": prepared.goal_ids[group],
            "phase": number + 1,
            "setting": np.array(_SETTINGS, dtype=object)[core.phase_setting],
            "start": _dates(core.phase_first_day),
            "end": _dates(core.phase_last_day),
            "points": core.phase_counts.astype(np.int64),
            "weeks": (core.phase_last_day - core.phase_first_day) / 7.0,
            "slope": slope,
            "attained_roi": slope,
            "intercept": core.phase_intercept,
            "needed_roi": needed,
            "share_of_needed": share,
            "note": notes.astype(object),
        },
        columns=list(PHASE_COLUMNS),
    )


# --------------------------------------------------------------------------- one goal


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


def _points_frame(points: list[ProgressPoint]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "goal_id": pd.Series([p.goal_id for p in points], dtype=object),
            "date": pd.to_datetime(pd.Series([p.date for p in points], dtype=object)),
            "score": pd.Series([p.score for p in points], dtype=float),
            "setting": pd.Series(
                [p.setting.value if p.setting else "" for p in points], dtype=object
            ),
        }
    )


def _goal_frame(goal: Goal) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "goal_id": [goal.goal_id],
            "service_id": [goal.service_id],
            "description": [goal.description],
            "measure": [goal.measure],
            "direction": [goal.direction.value],
            "target": [float(goal.target)],
            "target_date": pd.to_datetime([goal.target_date]),
        }
    )


def _date_or_none(value: Any) -> dt.date | None:
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


# --------------------------------------------------------------------------- command line

# The columns first, in this order; the rest of the summary follows.
CSV_COLUMNS: tuple[str, ...] = (
    "goal_id",
    "service_id",
    "points",
    "baseline",
    "target",
    "needed_roi",
    "trend_roi",
    "four_point",
    "trend_rule",
    "decision",
    "projected_at_target",
    "likelihood",
)
_CSV_DECIMALS = 4


def summary_csv_frame(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as written to CSV: issue columns first, rounded numbers, ISO dates, and
    "not enough data" in `likelihood` where there is no number."""
    rest = [c for c in summary.columns if c not in CSV_COLUMNS]
    out = summary[[*CSV_COLUMNS, *rest]].copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            out[column] = series.dt.strftime("%Y-%m-%d").fillna("")
        elif pd.api.types.is_float_dtype(series):
            out[column] = series.round(_CSV_DECIMALS)
    likelihood = out["likelihood"].astype(object)
    out["likelihood"] = likelihood.where(out["likelihood"].notna(), NOT_ENOUGH_DATA)
    return out
