"""Progress monitoring: baseline, aimline, trend, the four-point and trend-line rules, projection,
likelihood of meeting the goal and phases, for one goal or a whole district at once.

The arithmetic is written once, over arrays (`_analyse`); `goal_summary` runs it over a whole
district and `analyse_goal` over one goal, so the two can never disagree. Every threshold comes
from the `[progress]` table of the rules file (`ProgressSettings`).

Definitions (DOMAIN.md, "Progress monitoring"); x is measured in weeks (days / 7) from the date
of the goal's first score:

- baseline: the median of the first three scores by date (fewer scores: their median); the
  baseline date is the date of the first score. (Using the first score's date rather than the
  median of the first three dates keeps the aimline anchored where monitoring began.)
- aimline: the straight line from (baseline date, baseline) to (target date, target). After the
  target date the aim is the target itself; with a target date on or before the baseline date the
  aim is the target throughout.
- needed_roi: (target - baseline) / weeks from the baseline date to the target date; NaN when
  the target date is not after the baseline date.
- trend: ordinary least squares (`ols`), Tukey's tri-split (`tukey`: thirds by position, with an
  extra point in the middle third when n % 3 == 1 and in each outer third when n % 3 == 2; the
  line runs through (median week, median score) of the first and of the last third), or
  Theil-Sen (`theil_sen`: median of the pairwise slopes over pairs with different dates,
  intercept the median of score - slope * week). `trend_roi` is the trend's slope (the attained
  rate of improvement, score per week); `trend_intercept` its value at the baseline date.
- enough data: at least `min_points` scores spread over at least `min_weeks` weeks; otherwise
  both rules say `insufficient_data` (baseline, needed rate and trend are still reported).
- four-point rule: the last `four_point_window` scores compared with the aimline. All on the
  off-track side (below it for an increase goal, above it for a decrease goal) -> `change`;
  all on the ahead side -> `raise_goal`; otherwise (mixed, or a score exactly on the line) ->
  `continue`.
- trend-line rule (decides; `decision` == `trend_rule`): with r = needed_roi and b = trend_roi,
  both multiplied by -1 for a decrease goal so that "more" always means "better", the trend is
  parallel when |b - r| <= parallel_tolerance * r -> `continue`; flatter (b below the band) ->
  `change`; steeper -> `raise_goal`. When the target was already reached at baseline (r <= 0) or
  the target date is not after the baseline date, no slope can be compared: the rule asks
  whether the trend at the later of the target date and the last score reaches the target
  (`raise_goal`) or not (`change`).
- projected_at_target: the trend's value at the target date (reported whenever there is a
  trend, also under `insufficient_data`; the graph draws the projection only when rules fire).
- likelihood: P(true level at the target date reaches the target) under a normal approximation,
  centred on the projection, with the OLS standard error of the fitted line at the target date,
  se = s * sqrt(1/n + (x_target - mean x)^2 / Sxx), s^2 = residual sum of squares / (n - 2).
  (The OLS standard error is used for every trend method.) Below `likelihood_min_points` scores
  or `likelihood_min_weeks` weeks (and always below 3 scores) it is NaN and the text says
  "not enough data".
- phases: consecutive runs of the same setting. A score with no setting recorded joins the
  phase it falls in (leading scores without a setting join the first recorded setting; a goal
  with no setting at all is one phase with setting ""). Each phase gets an OLS slope (its
  attained rate per week), which needs two scores on different dates (else NaN with a note).
- rate by setting (`push_in_roi`, `pull_out_roi`): the OLS slope of the scores taken in that
  setting over the whole period. It is the comparison that survives a hybrid service whose
  scores alternate settings week by week (every phase one score, no phase slope).

Vocabulary of `four_point`, `trend_rule` and `decision`: `change`, `continue`, `raise_goal`,
`insufficient_data` (most urgent first, `DECISIONS`). The same words are used for increase and
decrease goals; the `*_detail` sentences say which side of the aimline the scores fell.

Figures (100,000 goals x 20 scores = 2,000,000 scores through `goal_summary`, one core of the
2-core development machine): OLS 0.7 s of CPU (0.8-0.9 s wall when the machine was otherwise
idle), Tukey about the same, Theil-Sen about 1.1-1.3 s (190 pairwise slopes per goal, in blocks).
About half is the array core; the sentences (`*_detail`) and the frame take the rest.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pushin_rules.data.district import District
from pushin_rules.errors import RulesError
from pushin_rules.models import DeliveryModel, Goal, GoalDirection, ProgressPoint

TRENDS: tuple[str, ...] = ("ols", "tukey", "theil_sen")
TREND_LABELS: dict[str, str] = {
    "ols": "least squares",
    "tukey": "Tukey tri-split",
    "theil_sen": "Theil-Sen",
}
# Most urgent first: a service's progress_decision is the first of these among its goals.
DECISIONS: tuple[str, ...] = ("change", "continue", "raise_goal", "insufficient_data")
NOT_ENOUGH_DATA = "not enough data"

# Setting codes used in the arrays: 0 not recorded, 1 push-in, 2 pull-out.
_SETTINGS: tuple[str, ...] = ("", DeliveryModel.push_in.value, DeliveryModel.pull_out.value)
_PUSH_IN, _PULL_OUT = 1, 2
_CHANGE, _CONTINUE, _RAISE, _INSUFFICIENT = range(4)
# How the trend-line rule was reached, for its sentence.
_RULE_NONE, _RULE_SLOPE, _RULE_MET, _RULE_NO_TIME = range(4)


# --------------------------------------------------------------------------- settings


class ProgressSettings(BaseModel):
    """The `[progress]` table of a rules file, validated."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    min_points: int = Field(ge=2, description="fewer scores: insufficient_data")
    min_weeks: float = Field(ge=0, description="scores spread over fewer weeks: insufficient_data")
    four_point_window: int = Field(ge=2, description="latest scores the four-point rule reads")
    parallel_tolerance: float = Field(ge=0, lt=1, description="relative band for 'parallel'")
    likelihood_min_points: int = Field(ge=3, description="fewer scores: 'not enough data'")
    likelihood_min_weeks: float = Field(ge=0, description="fewer weeks: 'not enough data'")
    default_trend: Literal["ols", "tukey", "theil_sen"]

    @model_validator(mode="after")
    def _window_fits(self) -> ProgressSettings:
        if self.four_point_window > self.min_points:
            raise ValueError(
                f"four_point_window ({self.four_point_window}) cannot exceed min_points "
                f"({self.min_points}): the four-point rule must have its scores whenever "
                "the rules fire"
            )
        return self

    @classmethod
    def from_table(
        cls, table: Mapping[str, Any], source: str = "the rules file"
    ) -> ProgressSettings:
        """Validate a `[progress]` table; a bad one raises RulesError naming each bad key."""
        if not isinstance(table, Mapping):
            raise RulesError(f"{source}: [progress] must be a table of settings")
        try:
            return cls.model_validate(dict(table))
        except ValidationError as error:
            lines = [f"{source}: the [progress] table has problems:"]
            for problem in error.errors():
                key = ".".join(str(part) for part in problem["loc"]) or "(table)"
                if problem["type"] == "missing":
                    lines.append(f"  - progress.{key}: missing; add it to [progress]")
                elif problem["type"] == "extra_forbidden":
                    lines.append(f"  - progress.{key}: unknown setting")
                elif key == "(table)":
                    lines.append(f"  - {problem['msg'].removeprefix('Value error, ')}")
                else:
                    lines.append(
                        f"  - progress.{key}: {problem['input']!r} is not valid; "
                        f"{problem['msg'].lower()}"
                    )
            raise RulesError("\n".join(lines)) from None

    @classmethod
    def from_file(cls, path: str | Path) -> ProgressSettings:
        """The `[progress]` table of a rules file (TOML)."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RulesError(f"rules file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as error:
            raise RulesError(f"rules file {path} cannot be read: {error}") from None
        except tomllib.TOMLDecodeError as error:
            raise RulesError(f"rules file {path} is not valid TOML: {error}") from None
        if "progress" not in data:
            raise RulesError(f"rules file {path} has no [progress] table")
        return cls.from_table(data["progress"], source=f"rules file {path}")


@lru_cache(maxsize=1)
def default_settings() -> ProgressSettings:
    """The `[progress]` table of the rules file shipped with the package."""
    text = resources.files("pushin_rules.decide").joinpath("rules.toml").read_text(encoding="utf-8")
    return ProgressSettings.from_table(tomllib.loads(text)["progress"], source="rules.toml")


def _trend_method(trend: str | None, settings: ProgressSettings) -> str:
    method = trend or settings.default_trend
    if method not in TRENDS:
        raise ValueError(f"unknown trend method {method!r}; expected one of {', '.join(TRENDS)}")
    return method


# --------------------------------------------------------------------------- array core


def _median_rows(values: np.ndarray) -> np.ndarray:
    """Row medians of a (rows, k) matrix; NaN entries are ignored (an all-NaN row gives NaN)."""
    ordered = np.sort(values, axis=1)  # NaN sorts last
    valid = np.count_nonzero(~np.isnan(values), axis=1)
    low = np.clip((valid - 1) // 2, 0, None)
    high = np.clip(valid // 2, 0, values.shape[1] - 1)
    lo = np.take_along_axis(ordered, low[:, None], axis=1)[:, 0]
    hi = np.take_along_axis(ordered, high[:, None], axis=1)[:, 0]
    return np.where(valid > 0, (lo + hi) / 2.0, np.nan)


def _by_size(counts: np.ndarray, smallest: int) -> Iterable[tuple[int, np.ndarray]]:
    """Groups bucketed by their number of scores, so each bucket is a plain (rows, n) matrix."""
    for size in np.unique(counts):
        if size >= smallest:
            yield int(size), np.flatnonzero(counts == size)


# Pairwise slopes grow as n^2: keep each Theil-Sen block near this many pairs.
_PAIR_BLOCK = 2_000_000


def _robust_trend(
    method: str, x: np.ndarray, y: np.ndarray, starts: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Tukey tri-split or Theil-Sen slope and intercept per group (NaN below 2 scores)."""
    slope = np.full(len(starts), np.nan)
    intercept = np.full(len(starts), np.nan)
    for size, rows in _by_size(counts, 2):
        index = starts[rows, None] + np.arange(size)
        if method == "tukey":
            third = size // 3 + 1 if size % 3 == 2 else size // 3
            xl = np.median(x[index[:, :third]], axis=1)
            yl = np.median(y[index[:, :third]], axis=1)
            xr = np.median(x[index[:, -third:]], axis=1)
            yr = np.median(y[index[:, -third:]], axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                b = np.where(xr > xl, (yr - yl) / (xr - xl), np.nan)
            slope[rows] = b
            intercept[rows] = yl - b * xl
            continue
        first, second = np.triu_indices(size, 1)
        block = max(1, _PAIR_BLOCK // len(first))
        for lo in range(0, len(rows), block):
            part = rows[lo : lo + block]
            xs, ys = x[index[lo : lo + block]], y[index[lo : lo + block]]
            dx = xs[:, second] - xs[:, first]
            with np.errstate(divide="ignore", invalid="ignore"):
                pair = np.where(dx != 0, (ys[:, second] - ys[:, first]) / dx, np.nan)
            b = _median_rows(pair)
            slope[part] = b
            intercept[part] = _median_rows(ys - b[:, None] * xs)
    return slope, intercept


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    erf = np.frompyfunc(math.erf, 1, 1)
    return 0.5 * (1.0 + erf(z / math.sqrt(2.0)).astype(float))


@dataclass(frozen=True)
class _Core:
    """Per-group results (one group = one goal with at least one score) and per-phase results."""

    counts: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    weeks: np.ndarray
    baseline: np.ndarray
    weeks_to_target: np.ndarray
    needed_roi: np.ndarray
    slope: np.ndarray
    intercept: np.ndarray
    slope_se: np.ndarray
    projected: np.ndarray
    likelihood: np.ndarray
    four_point: np.ndarray
    window_off: np.ndarray
    window_ahead: np.ndarray
    trend_rule: np.ndarray
    rule_case: np.ndarray
    last_score: np.ndarray
    last_setting: np.ndarray
    phases: np.ndarray
    last_phase: np.ndarray
    setting_slope: np.ndarray  # (groups, len(_SETTINGS)): OLS slope of each setting's scores
    setting_points: np.ndarray  # (groups, len(_SETTINGS)): how many scores in each setting
    # phases
    phase_group: np.ndarray
    phase_setting: np.ndarray
    phase_first_day: np.ndarray
    phase_last_day: np.ndarray
    phase_counts: np.ndarray
    phase_slope: np.ndarray
    phase_intercept: np.ndarray


def _ols_by_key(x: np.ndarray, y: np.ndarray, key: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
    """OLS of y on x within each key 0..size-1: slope, intercept, mean x, Sxx, residual SS, n.

    Keys need not be contiguous; a key with no rows, or all rows on one x, has a NaN slope.
    """
    n = np.bincount(key, minlength=size).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = np.bincount(key, x, minlength=size) / n
        ybar = np.bincount(key, y, minlength=size) / n
        dx = x - xbar[key]
        dy = y - ybar[key]
        sxx = np.bincount(key, dx * dx, minlength=size)
        sxy = np.bincount(key, dx * dy, minlength=size)
        syy = np.bincount(key, dy * dy, minlength=size)
        slope = np.where(sxx > 0, sxy / sxx, np.nan)
    intercept = ybar - slope * xbar
    rss = np.clip(syy - np.where(sxx > 0, slope * sxy, 0.0), 0.0, None)
    return slope, intercept, xbar, sxx, rss, n


def _analyse(
    day: np.ndarray,
    score: np.ndarray,
    setting: np.ndarray,
    starts: np.ndarray,
    sign: np.ndarray,
    target: np.ndarray,
    target_day: np.ndarray,
    settings: ProgressSettings,
    method: str,
) -> _Core:
    """The whole computation over contiguous groups of scores sorted by date within a group.

    day: float days since 1970 per score; score: float; setting: int codes into `_SETTINGS`;
    starts: first index of each group (every group non-empty); sign: +1 increase, -1 decrease,
    target and target_day per group.
    """
    total = len(score)
    counts = np.diff(np.append(starts, total))
    ends = starts + counts - 1
    group = np.repeat(np.arange(len(starts)), counts)
    first_day = day[starts]
    x = (day - first_day[group]) / 7.0
    weeks = x[ends]

    # Baseline: median of the first three scores (of one or two, when that is all there is).
    first3 = np.stack([score[np.minimum(starts + k, ends)] for k in range(3)], axis=1)
    first3[counts < 2, 1] = np.nan
    first3[counts < 3, 2] = np.nan
    baseline = _median_rows(first3)

    weeks_to_target = (target_day - first_day) / 7.0
    has_time = weeks_to_target > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(has_time, (target - baseline) / weeks_to_target, np.nan)

    slope, intercept, xbar, sxx, rss, _ = _ols_by_key(x, score, group, len(starts))
    if method != "ols":
        slope, intercept = _robust_trend(method, x, score, starts, counts)

    projected = intercept + slope * weeks_to_target

    # Likelihood of meeting the target: normal approximation with the OLS standard error.
    n = counts.astype(float)
    can_guess = (
        (counts >= max(3, settings.likelihood_min_points))
        & (weeks >= settings.likelihood_min_weeks)
        & (sxx > 0)
        & np.isfinite(projected)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        resid_var = np.where(counts > 2, rss / (n - 2), np.nan)
        slope_se = np.where((sxx > 0) & (counts > 2), np.sqrt(resid_var / sxx), np.nan)
        se = np.sqrt(resid_var * (1.0 / n + (weeks_to_target - xbar) ** 2 / sxx))
        margin = sign * (projected - target)
        # A perfect fit (se 0) is certain either way, or even when the projection is on target.
        exact = np.where(margin > 0, np.inf, np.where(margin < 0, -np.inf, 0.0))
        z = np.where(se > 0, margin / se, exact)
    likelihood = np.full(len(starts), np.nan)
    if can_guess.any():
        likelihood[can_guess] = _normal_cdf(z[can_guess])

    enough = (counts >= settings.min_points) & (weeks >= settings.min_weeks) & np.isfinite(slope)

    # Four-point rule: the last `window` scores against the aimline (the target after its date).
    window = settings.four_point_window
    window_off = np.zeros(len(starts), dtype=np.int64)
    window_ahead = np.zeros(len(starts), dtype=np.int64)
    for k in range(window):
        at = np.maximum(ends - window + 1 + k, starts)
        xk = x[at]
        with np.errstate(invalid="ignore"):
            aim = np.where(xk >= weeks_to_target, target, baseline + needed * xk)
        side = sign * (score[at] - aim)
        window_off += side < 0
        window_ahead += side > 0
    four_point = np.where(
        window_off == window, _CHANGE, np.where(window_ahead == window, _RAISE, _CONTINUE)
    )
    four_point = np.where(enough, four_point, _INSUFFICIENT)

    # Trend-line rule.
    wanted = sign * needed
    got = sign * slope
    band = settings.parallel_tolerance * wanted
    by_slope = np.where(
        got < wanted - band, _CHANGE, np.where(got > wanted + band, _RAISE, _CONTINUE)
    )
    at_end = np.maximum(weeks_to_target, weeks)
    reached = sign * (intercept + slope * at_end - target) >= 0
    by_level = np.where(reached, _RAISE, _CHANGE)
    slope_case = has_time & (wanted > 0)
    rule_case = np.where(slope_case, _RULE_SLOPE, np.where(has_time, _RULE_MET, _RULE_NO_TIME))
    rule_case = np.where(enough, rule_case, _RULE_NONE)
    trend_rule = np.where(slope_case, by_slope, by_level)
    trend_rule = np.where(enough, trend_rule, _INSUFFICIENT)

    # Phases: runs of the same recorded setting; a score without one joins its phase.
    position = np.arange(total)
    recorded = setting > 0
    seen = np.maximum.accumulate(np.where(recorded, position, -1))
    ahead = np.minimum.accumulate(np.where(recorded, position, total)[::-1])[::-1]
    start_of = starts[group]
    end_of = ends[group]
    source = np.where(seen >= start_of, seen, np.where(ahead <= end_of, ahead, -1))
    effective = np.where(source >= 0, setting[np.maximum(source, 0)], 0)
    new_phase = np.ones(total, dtype=bool)
    new_phase[1:] = (group[1:] != group[:-1]) | (effective[1:] != effective[:-1])
    phase_starts = np.flatnonzero(new_phase)
    phase_counts = np.diff(np.append(phase_starts, total))
    phase_ends = phase_starts + phase_counts - 1
    phase_of = np.cumsum(new_phase) - 1
    phase_slope, phase_intercept, *_ = _ols_by_key(x, score, phase_of, len(phase_starts))
    phase_group = group[phase_starts]

    # Rate by setting over the whole period (scores recorded in that setting only): the
    # comparison that still works when a hybrid service alternates settings week by week.
    slots = len(_SETTINGS)
    setting_slope, *_, setting_n = _ols_by_key(
        x, score, group * slots + setting, len(starts) * slots
    )

    return _Core(
        counts=counts,
        first_day=first_day,
        last_day=day[ends],
        weeks=weeks,
        baseline=baseline,
        weeks_to_target=weeks_to_target,
        needed_roi=needed,
        slope=slope,
        intercept=intercept,
        slope_se=slope_se,
        projected=projected,
        likelihood=likelihood,
        four_point=four_point,
        window_off=window_off,
        window_ahead=window_ahead,
        trend_rule=trend_rule,
        rule_case=rule_case,
        last_score=score[ends],
        last_setting=effective[ends],
        phases=np.bincount(phase_group, minlength=len(starts)),
        last_phase=phase_of[ends],
        setting_slope=setting_slope.reshape(-1, slots),
        setting_points=setting_n.reshape(-1, slots).astype(np.int64),
        phase_group=phase_group,
        phase_setting=effective[phase_starts],
        phase_first_day=day[phase_starts],
        phase_last_day=day[phase_ends],
        phase_counts=phase_counts,
        phase_slope=phase_slope,
        phase_intercept=phase_intercept,
    )


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


# --------------------------------------------------------------------------- sentences


def _signed(value: float) -> str:
    return f"{value:+.2f}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _too_little(points: int, weeks: float, settings: ProgressSettings) -> str:
    if points == 0:
        return "no scores yet"
    return (
        f"{_plural(points, 'score')} over {weeks:.1f} weeks; the rules need "
        f"{settings.min_points} scores over {settings.min_weeks:g} weeks"
    )


def _four_point_sentences(
    decision: np.ndarray,
    off: np.ndarray,
    ahead: np.ndarray,
    decrease: np.ndarray,
    points: np.ndarray,
    weeks: np.ndarray,
    settings: ProgressSettings,
) -> list[str]:
    window = settings.four_point_window
    out = []
    for rule, n_off, n_ahead, down, n, w in zip(
        decision.tolist(),
        off.tolist(),
        ahead.tolist(),
        decrease.tolist(),
        points.tolist(),
        weeks.tolist(),
        strict=True,
    ):
        if rule == _INSUFFICIENT:
            out.append(_too_little(n, w, settings))
            continue
        below, above = (n_ahead, n_off) if down else (n_off, n_ahead)
        if rule == _CHANGE:
            side = "above the aimline (lower is better)" if down else "below the aimline"
            out.append(f"last {window} scores all {side}: off track")
        elif rule == _RAISE:
            side = "below the aimline (lower is better)" if down else "above the aimline"
            out.append(f"last {window} scores all {side}: ahead of schedule")
        else:
            on = window - n_off - n_ahead
            text = f"last {window} scores: {below} below, {above} above the aimline"
            out.append(text + (f", {on} on it" if on else ""))
    return out


def _trend_sentences(
    case: np.ndarray,
    decision: np.ndarray,
    slope: np.ndarray,
    needed: np.ndarray,
    points: np.ndarray,
    weeks: np.ndarray,
    settings: ProgressSettings,
) -> list[str]:
    tolerance = f"{settings.parallel_tolerance:.0%}"
    verdicts = {
        _CHANGE: "flatter than the aimline",
        _CONTINUE: f"parallel to the aimline (within {tolerance})",
        _RAISE: "steeper than the aimline",
    }
    out = []
    for how, rule, b, r, n, w in zip(
        case.tolist(),
        decision.tolist(),
        slope.tolist(),
        needed.tolist(),
        points.tolist(),
        weeks.tolist(),
        strict=True,
    ):
        if how == _RULE_NONE:
            text = _too_little(n, w, settings)
            if math.isfinite(b):
                text = f"trend {_signed(b)} per week so far; {text}"
            out.append(text)
        elif how == _RULE_SLOPE:
            out.append(f"trend {_signed(b)} per week vs {_signed(r)} needed: {verdicts[rule]}")
        elif how == _RULE_MET:
            keeps = "keeps it reached" if rule == _RAISE else "falls short of it"
            out.append(
                f"target already reached at baseline; trend {_signed(b)} per week "
                f"{keeps} at the target date"
            )
        else:
            reaches = "reaches" if rule == _RAISE else "does not reach"
            out.append(
                f"target date is not after the first score; trend {_signed(b)} per week "
                f"{reaches} the target"
            )
    return out


def _likelihood_text(values: np.ndarray) -> list[str]:
    out = []
    for p in values.tolist():
        if not math.isfinite(p):
            out.append(NOT_ENOUGH_DATA)
        elif p > 0.99:
            out.append(">99%")
        elif p < 0.01:
            out.append("<1%")
        else:
            out.append(f"{p:.0%}")
    return out


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


def _summary_frame(
    goals: pd.DataFrame,
    prepared: _Prepared,
    core: _Core,
    settings: ProgressSettings,
    method: str,
) -> pd.DataFrame:
    size, rows = len(goals), prepared.goal_row
    decrease = goals["direction"].to_numpy() == GoalDirection.decrease.value

    def per_goal(values: np.ndarray) -> np.ndarray:
        return _scatter(size, rows, values.astype(float), np.nan)

    points = _scatter(size, rows, core.counts.astype(np.int64), 0)
    weeks = per_goal(core.weeks)
    target = goals["target"].to_numpy(dtype=float)
    # Goals with no scores: the rules cannot fire; the aimline has no start.
    four_point = _scatter(size, rows, core.four_point, _INSUFFICIENT)
    trend_rule = _scatter(size, rows, core.trend_rule, _INSUFFICIENT)
    rule_case = _scatter(size, rows, core.rule_case, _RULE_NONE)
    slope = per_goal(core.slope)
    needed = per_goal(core.needed_roi)
    likelihood = per_goal(core.likelihood)
    decisions = np.array(DECISIONS, dtype=object)

    phase_roi = core.phase_slope
    last_phase = core.last_phase
    has_previous = core.phases >= 2
    previous = np.maximum(last_phase - 1, 0)
    settings_text = np.array(_SETTINGS, dtype=object)
    previous_setting = np.where(has_previous, settings_text[core.phase_setting[previous]], "")

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
            "last_date": _dates(per_goal(core.last_day)),
            "baseline": per_goal(core.baseline),
            "baseline_date": _dates(per_goal(core.first_day)),
            "target": target,
            "target_date": _dates(_days(goals["target_date"])),
            "weeks_to_target": per_goal(core.weeks_to_target),
            "needed_roi": needed,
            "trend": np.full(size, method, dtype=object),
            "trend_roi": slope,
            "trend_intercept": per_goal(core.intercept),
            "slope_se": per_goal(core.slope_se),
            "four_point": decisions[four_point],
            "four_point_detail": _four_point_sentences(
                four_point,
                _scatter(size, rows, core.window_off, 0),
                _scatter(size, rows, core.window_ahead, 0),
                decrease,
                points,
                weeks,
                settings,
            ),
            "trend_rule": decisions[trend_rule],
            "trend_detail": _trend_sentences(
                rule_case, trend_rule, slope, needed, points, weeks, settings
            ),
            "decision": decisions[trend_rule],
            "projected_at_target": per_goal(core.projected),
            "likelihood": likelihood,
            "likelihood_text": _likelihood_text(likelihood),
            "last_score": per_goal(core.last_score),
            "last_setting": _scatter(size, rows, settings_text[core.last_setting], ""),
            "phases": _scatter(size, rows, core.phases.astype(np.int64), 0),
            "last_phase_roi": per_goal(phase_roi[last_phase]),
            "previous_phase_setting": _scatter(size, rows, previous_setting, ""),
            "previous_phase_roi": per_goal(np.where(has_previous, phase_roi[previous], np.nan)),
            "push_in_points": _scatter(size, rows, core.setting_points[:, _PUSH_IN], 0),
            "push_in_roi": per_goal(core.setting_slope[:, _PUSH_IN]),
            "pull_out_points": _scatter(size, rows, core.setting_points[:, _PULL_OUT], 0),
            "pull_out_roi": per_goal(core.setting_slope[:, _PULL_OUT]),
        }
    )


def service_progress(summary: pd.DataFrame) -> pd.DataFrame:
    """Per service (index service_id): the most urgent decision among its goals, and counts.

    Columns: progress_decision, goals, then one count column per decision (`change`,
    `continue`, `raise_goal`, `insufficient_data`). Services with no goals are absent; a caller
    shows them as `no_data`.
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
