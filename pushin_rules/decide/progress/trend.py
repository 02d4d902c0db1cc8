"""The arithmetic of one series of scores per group, over arrays: baseline, aimline, trend
(OLS, Tukey, Theil-Sen), slope standard error, projection, likelihood, the four-point and
trend-line rules, and the level of the latest scores. A group is a goal's whole series or the
newest phase of it (`decisions.py` decides which series the verdict rests on)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from pushin_rules.decide.progress.settings import DECISIONS, ProgressSettings
from pushin_rules.models import DeliveryModel

# Setting codes used in the arrays: 0 not recorded, 1 push-in, 2 pull-out.
_SETTINGS: tuple[str, ...] = ("", DeliveryModel.push_in.value, DeliveryModel.pull_out.value)
_PUSH_IN, _PULL_OUT = 1, 2
# Decision codes are positions in DECISIONS (most urgent first).
_CHANGE = DECISIONS.index("change")
_REVIEW = DECISIONS.index("review")
_CONTINUE = DECISIONS.index("continue")
_RAISE = DECISIONS.index("raise_goal")
_MET = DECISIONS.index("goal_met")
_INSUFFICIENT = DECISIONS.index("insufficient_data")
# How the trend-line rule was reached, for its sentence.
_RULE_NONE, _RULE_SLOPE, _RULE_MET, _RULE_NO_TIME = range(4)


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


@dataclass(frozen=True)
class _Fit:
    """Per-group results of one series of scores (x in weeks from the series' first score)."""

    counts: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    weeks: np.ndarray
    baseline: np.ndarray
    weeks_to_target: np.ndarray
    needed_roi: np.ndarray
    slope: np.ndarray
    intercept: np.ndarray
    ols_slope: np.ndarray
    slope_se: np.ndarray
    projected: np.ndarray
    likelihood: np.ndarray
    enough: np.ndarray
    four_point: np.ndarray
    window_off: np.ndarray
    window_ahead: np.ndarray
    trend_rule: np.ndarray
    rule_case: np.ndarray
    level: np.ndarray  # median of the latest `level_window` scores
    met: np.ndarray  # the level is at or past the target


def _fit(
    day: np.ndarray,
    score: np.ndarray,
    starts: np.ndarray,
    sign: np.ndarray,
    target: np.ndarray,
    target_day: np.ndarray,
    settings: ProgressSettings,
    method: str,
) -> _Fit:
    """The rules over contiguous groups of scores sorted by date within a group.

    day: float days since 1970 per score; score: float; starts: first index of each group
    (every group non-empty); sign: +1 increase, -1 decrease; target and target_day per group.
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

    # Level: median of the latest `level_window` scores (fewer when that is all there is).
    latest = np.stack(
        [score[np.maximum(ends - k, starts)] for k in range(settings.level_window)], axis=1
    )
    for k in range(1, settings.level_window):
        latest[counts <= k, k] = np.nan
    level = _median_rows(latest)

    weeks_to_target = (target_day - first_day) / 7.0
    has_time = weeks_to_target > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(has_time, (target - baseline) / weeks_to_target, np.nan)

    slope, intercept, xbar, sxx, rss, _ = _ols_by_key(x, score, group, len(starts))
    ols_slope = slope
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

    return _Fit(
        counts=counts,
        first_day=first_day,
        last_day=day[ends],
        weeks=weeks,
        baseline=baseline,
        weeks_to_target=weeks_to_target,
        needed_roi=needed,
        slope=slope,
        intercept=intercept,
        ols_slope=ols_slope,
        slope_se=slope_se,
        projected=projected,
        likelihood=likelihood,
        enough=enough,
        four_point=four_point,
        window_off=window_off,
        window_ahead=window_ahead,
        trend_rule=trend_rule,
        rule_case=rule_case,
        level=level,
        met=sign * (level - target) >= 0,
    )
