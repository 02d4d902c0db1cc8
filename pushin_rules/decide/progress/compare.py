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
from pushin_rules.decide.progress.trend import _PULL_OUT, _PUSH_IN

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


def _medians_by_key(score: np.ndarray, key: np.ndarray, size: int) -> np.ndarray:
    """Median score per key 0..size-1 (NaN for a key without scores)."""
    order = np.lexsort((score, key))
    k, s = key[order], score[order]
    n = np.bincount(k, minlength=size)
    first = np.cumsum(n) - n
    out = np.full(size, np.nan)
    has = n > 0
    lo = first[has] + (n[has] - 1) // 2
    hi = first[has] + n[has] // 2
    out[has] = (s[lo] + s[hi]) / 2.0
    return out


def _compare(
    group: np.ndarray,
    score: np.ndarray,
    setting: np.ndarray,
    day: np.ndarray,
    sign: np.ndarray,
    groups: int,
    settings: ProgressSettings,
) -> _Comparison:
    """The setting comparison of every group; `group`, `score`, `setting`, `day` per score."""
    slots = 3
    medians = _medians_by_key(score, group * slots + setting, groups * slots).reshape(-1, slots)
    push_median, pull_median = medians[:, _PUSH_IN], medians[:, _PULL_OUT]
    counts = np.bincount(group * slots + setting, minlength=groups * slots).reshape(-1, slots)
    n_push = counts[:, _PUSH_IN].astype(float)
    n_pull = counts[:, _PULL_OUT].astype(float)

    # Mid-ranks of the "better-is-higher" score within each group, over both settings' scores.
    used = (setting == _PUSH_IN) | (setting == _PULL_OUT)
    g, v, pull = group[used], (sign[group] * score)[used], setting[used] == _PULL_OUT
    order = np.lexsort((v, g))
    g, v, pull = g[order], v[order], pull[order]
    nap = np.full(groups, np.nan)
    if len(g):
        position = np.arange(len(g))
        group_first = np.concatenate(([True], g[1:] != g[:-1]))
        within = position - np.maximum.accumulate(np.where(group_first, position, 0)) + 1
        block_first = group_first | np.concatenate(([True], v[1:] != v[:-1]))
        block = np.cumsum(block_first) - 1
        block_low = within[block_first]
        block_size = np.bincount(block)
        midrank = (block_low + block_low + block_size - 1) / 2.0
        rank_sum = np.bincount(g[pull], midrank[block][pull], minlength=groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = rank_sum - n_pull * (n_pull + 1) / 2.0
            nap = np.where((n_pull > 0) & (n_push > 0), u / (n_pull * n_push), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        q1 = nap / (2.0 - nap)
        q2 = 2.0 * nap**2 / (1.0 + nap)
        variance = (
            nap * (1 - nap) + (n_pull - 1) * (q1 - nap**2) + (n_push - 1) * (q2 - nap**2)
        ) / (n_pull * n_push)
        se = np.sqrt(np.clip(variance, 0.0, None))
    comparable = (n_push >= settings.compare_min_points) & (n_pull >= settings.compare_min_points)
    nap = np.where(comparable, nap, np.nan)
    low = np.clip(nap - _Z95 * se, 0.0, 1.0)
    high = np.clip(nap + _Z95 * se, 0.0, 1.0)

    # Push-in scores not all older than the pull-out scores: same weeks, or class came later.
    last_push = np.full(groups, -np.inf)
    first_pull = np.full(groups, np.inf)
    np.maximum.at(last_push, group[setting == _PUSH_IN], day[setting == _PUSH_IN])
    np.minimum.at(first_pull, group[setting == _PULL_OUT], day[setting == _PULL_OUT])
    concurrent = last_push > first_pull
    with np.errstate(invalid="ignore"):
        gap = (
            comparable
            & concurrent
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
