"""Comparing a goal's push-in and pull-out scores: a single-case effect size (NAP, with its
interval) and the level difference, and the carry-over gap they can show.

- NAP (non-overlap of all pairs, Parker & Vannest 2009) of pull-out over push-in: over every
  (pull-out score, push-in score) pair of the goal, the share in which the pull-out score is
  better (higher for an increase goal, lower for a decrease goal), a tie counting one half.
  0.5 means no difference; 1 means every pull-out score beats every push-in score. Computed from
  mid-ranks (Mann-Whitney U / (n_pull * n_push)), so it costs a sort, not n^2 pairs.
- interval: NAP +/- 1.96 standard errors, the Hanley-McNeil (1982) standard error of an area
  under the curve, clipped to 0..1.
- level difference: median pull-out score minus median push-in score (in the measure's units).
- carry-over gap: each setting has at least `compare_min_points` scores, the pull-out NAP is at
  least `carry_over_nap` with its interval above 0.5, and the push-in scores are not all older
  than the pull-out scores (a later pull-out phase that scores higher may only be growth over
  time; a therapy room that runs ahead of class in the same weeks, or a skill that drops on
  moving to class, is the gap). The answer to a carry-over gap is more classroom practice
  (DOMAIN.md), which the engine reads from the summary's `carry_over_gap`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pushin_rules.decide.progress.settings import ProgressSettings
from pushin_rules.decide.progress.trend import _PULL_OUT, _PUSH_IN, _median_rows

_Z95 = 1.959963984540054


@dataclass(frozen=True)
class _Comparison:
    push_in_median: np.ndarray
    pull_out_median: np.ndarray
    level_diff: np.ndarray  # pull-out median - push-in median
    nap: np.ndarray  # pull-out over push-in, in the "better" direction; NaN when not comparable
    nap_low: np.ndarray
    nap_high: np.ndarray
    comparable: np.ndarray
    carry_over_gap: np.ndarray


def _compare(
    score: np.ndarray,
    setting: np.ndarray,
    day: np.ndarray,
    starts: np.ndarray,
    counts: np.ndarray,
    sign: np.ndarray,
    settings: ProgressSettings,
) -> _Comparison:
    """The setting comparison of every group (contiguous scores from `starts`, `counts` long).

    Only goals with at least `compare_min_points` scores in each setting are compared (their
    medians, NAP and interval; NaN for the others). Goals are taken in buckets of equal size,
    each a (goals, scores) matrix sorted row by row, so no sort ever spans the district.
    """
    groups = len(starts)
    nan = np.full(groups, np.nan)
    push_median, pull_median, nap, low, high = (nan.copy() for _ in range(5))
    gap = np.zeros(groups, dtype=bool)
    slots = 3
    group = np.repeat(np.arange(groups), counts)
    per = np.bincount(group * slots + setting, minlength=groups * slots).reshape(-1, slots)
    n_push = per[:, _PUSH_IN].astype(float)
    n_pull = per[:, _PULL_OUT].astype(float)
    comparable = (per[:, _PUSH_IN] >= settings.compare_min_points) & (
        per[:, _PULL_OUT] >= settings.compare_min_points
    )
    for size in np.unique(counts[comparable]):
        rows = np.flatnonzero(comparable & (counts == size))
        index = starts[rows, None] + np.arange(size)
        values, codes, days = score[index], setting[index], day[index]
        push, pull = codes == _PUSH_IN, codes == _PULL_OUT
        push_median[rows] = _median_rows(np.where(push, values, np.nan))
        pull_median[rows] = _median_rows(np.where(pull, values, np.nan))
        # Mid-ranks of the "better is higher" value among the row's push-in and pull-out
        # scores (unrecorded ones sort last and are not counted).
        better = np.where(push | pull, sign[rows, None] * values, np.inf)
        order = np.argsort(better, axis=1)
        ranked = np.take_along_axis(better, order, axis=1)
        pulled = np.take_along_axis(pull, order, axis=1)
        position = np.broadcast_to(np.arange(size), ranked.shape)
        run_start = np.ones(ranked.shape, dtype=bool)
        run_start[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
        run_end = np.ones(ranked.shape, dtype=bool)
        run_end[:, :-1] = run_start[:, 1:]
        first = np.maximum.accumulate(np.where(run_start, position, 0), axis=1)
        last = np.minimum.accumulate(np.where(run_end, position, size)[:, ::-1], axis=1)[:, ::-1]
        midrank = (first + last) / 2.0 + 1.0
        rank_sum = np.where(pulled, midrank, 0.0).sum(axis=1)
        a, b = n_pull[rows], n_push[rows]
        nap[rows] = (rank_sum - a * (a + 1) / 2.0) / (a * b)
        last_push = np.where(push, days, -np.inf).max(axis=1)
        first_pull = np.where(pull, days, np.inf).min(axis=1)
        gap[rows] = last_push > first_pull  # concurrent; the rest of the test follows
    with np.errstate(divide="ignore", invalid="ignore"):
        q1 = nap / (2.0 - nap)
        q2 = 2.0 * nap**2 / (1.0 + nap)
        variance = (
            nap * (1 - nap) + (n_pull - 1) * (q1 - nap**2) + (n_push - 1) * (q2 - nap**2)
        ) / (n_pull * n_push)
        se = np.sqrt(np.clip(variance, 0.0, None))
        low = np.clip(nap - _Z95 * se, 0.0, 1.0)
        high = np.clip(nap + _Z95 * se, 0.0, 1.0)
        gap &= (
            comparable
            & (nap >= settings.carry_over_nap)
            & (low > 0.5)
            & (sign * (pull_median - push_median) > 0)
        )
    return _Comparison(
        push_in_median=push_median,
        pull_out_median=pull_median,
        level_diff=pull_median - push_median,
        nap=nap,
        nap_low=low,
        nap_high=high,
        comparable=comparable,
        carry_over_gap=gap,
    )
