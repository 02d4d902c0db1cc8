"""Tipping points: for each need factor, the smallest rating change that changes the
recommendation (rescored through the same decision function), and their text."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pushin_rules.decide.engine.decision import _decide, _decide2
from pushin_rules.decide.engine.prepare import _Plan, _privacy, _pull_max
from pushin_rules.decide.engine.text import _join_columns, _text
from pushin_rules.decide.engine.vocabulary import RECOMMENDATIONS

if TYPE_CHECKING:
    from pushin_rules.decide.engine.scoring import _Scored


def _tipping(
    plan: _Plan,
    ratings: np.ndarray,
    weights: np.ndarray,
    pull: np.ndarray,
    push: np.ndarray,
    n_strong_pull: np.ndarray,
    n_strong_push: np.ndarray,
    full: np.ndarray,
    rec: np.ndarray,
    privacy_ok: np.ndarray,
    transition: np.ndarray,
    ev_pull: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rescore with each need factor set to each rating 0-3 (need x 4 passes over arrays,
    through the same decision function); per factor, keep the smallest rating change that
    changes the recommendation, downward and upward when both are equally small."""
    th = plan.th
    k, n = len(plan.need), len(rec)
    step = np.zeros((k, n), dtype=np.int8)
    down = np.full((k, n), -1, dtype=np.int8)
    up = np.full((k, n), -1, dtype=np.int8)
    can_split = full >= 2
    if plan.format >= 2:
        base_pull_max = _pull_max(ratings, plan.pulls)
        base_privacy = _privacy(ratings, plan, privacy_ok)
    for j in range(k):
        r = ratings[:, j]
        was_strong = r >= th.strong_rating
        if plan.format >= 2:
            others = np.delete(ratings, j, axis=1)
            other_pulls = np.delete(plan.pulls, j)
            other_max = (
                others[:, other_pulls].max(axis=1)
                if other_pulls.any()
                else np.zeros(n, dtype=np.int64)
            )
        new = np.empty((4, n), dtype=np.int8)
        for v in range(4):
            delta = weights[:, j] * (v - r)
            now_strong = v >= th.strong_rating
            if plan.pulls[j]:
                p, q = pull + delta, push
                s_pull = (n_strong_pull - was_strong + now_strong) > 0
                s_push = n_strong_push > 0
            else:
                p, q = pull, push + delta
                s_pull = n_strong_pull > 0
                s_push = (n_strong_push - was_strong + now_strong) > 0
            if plan.format >= 2:
                pull_max = np.maximum(other_max, v) if plan.pulls[j] else base_pull_max
                if j == plan.privacy_j:
                    privacy = privacy_ok & (v >= plan.privacy_rating)
                else:
                    privacy = base_privacy
                new[v] = _decide2(
                    np.round(p, 9),
                    np.round(q, 9),
                    pull_max,
                    s_pull,
                    s_push,
                    privacy,
                    full,
                    transition,
                    ev_pull,
                    th,
                ).rec
            else:
                new[v] = _decide(p, q, s_pull, s_push, can_split, th, with_rule=False)[0]
        # Smallest changed step per row, then which side(s) reach it (elementwise, no gathers).
        r8 = r.astype(np.int8)
        signed = [np.int8(v) - r8 for v in range(4)]  # to - from
        changed = [new[v] != rec for v in range(4)]
        smallest = np.full(n, 9, dtype=np.int8)
        for v in range(4):
            smallest = np.minimum(smallest, np.where(changed[v], np.abs(signed[v]), 9))
        for v in range(4):
            at = changed[v] & (np.abs(signed[v]) == smallest)
            if v < 3:
                np.copyto(down[j], new[v], where=at & (signed[v] < 0))
            if v > 0:
                np.copyto(up[j], new[v], where=at & (signed[v] > 0))
        step[j] = np.where(smallest == 9, 0, smallest)
    return step, down, up


def _tip_names(plan: _Plan) -> list[str]:
    """Text of every tipping piece of one factor, by `_tip_code`."""
    names = []
    for key in plan.need:
        for r in range(4):
            for d in range(4):
                for lo in range(-1, 3):
                    for hi in range(-1, 3):
                        parts = []
                        if lo >= 0:
                            parts.append(f"{key} {r}->{r - d}: {RECOMMENDATIONS[lo]}")
                        if hi >= 0:
                            parts.append(f"{key} {r}->{r + d}: {RECOMMENDATIONS[hi]}")
                        names.append(";".join(parts))
    return names


def _tip_code(
    j: np.ndarray, r: np.ndarray, d: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    return (((j * 4 + r) * 4 + d) * 4 + lo + 1) * 4 + hi + 1


def _tipping_text(s: _Scored) -> pd.api.extensions.ExtensionArray:
    k, n = s.tip_step.shape
    if k == 0 or n == 0:
        return _text(np.full(n, "", dtype=object))
    # Order: smallest change first, then factor order (one piece per factor).
    order_key = (
        np.where(s.tip_step > 0, s.tip_step.astype(np.int64) * k, 4 * k) + np.arange(k)[:, None]
    )
    ranked = np.sort(order_key.T, axis=1)  # (n, k)
    width = int((s.tip_step > 0).sum(axis=0).max())
    if width == 0:
        return _text(np.full(n, "", dtype=object))
    ranked = ranked[:, :width]
    j = ranked % k
    valid = ranked < 4 * k
    rows = np.arange(n)[:, None]
    code = _tip_code(
        j,
        s.ratings[rows, j],
        s.tip_step.T[rows, j].astype(np.int64),
        s.tip_down.T[rows, j].astype(np.int64),
        s.tip_up.T[rows, j].astype(np.int64),
    )
    return _join_columns(np.where(valid, code, -1), _tip_names(s.plan), ";")
