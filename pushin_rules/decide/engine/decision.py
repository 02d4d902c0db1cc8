"""The decision: recommendation and rule codes from the points of each side (rule sets
2.x: `_decide2`; rule sets 1.x: `_decide`, kept so 1.0.0 decisions rescore as made)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pushin_rules.decide.engine.split import _hybrid_sessions, _pull_share
from pushin_rules.decide.engine.vocabulary import (
    _ALTERNATING,
    _BALANCE,
    _BOTH,
    _CLOSE,
    _EPS,
    _PRESUMPTION,
    _PRIVACY,
    _SINGLE,
    _TRANSITION,
    _WEEKLY,
    HYBRID,
    PULL_OUT,
    PUSH_IN,
)
from pushin_rules.decide.rules import Thresholds


def _decide(
    pull: np.ndarray,
    push: np.ndarray,
    strong_pull: np.ndarray,
    strong_push: np.ndarray,
    can_split: np.ndarray,
    th: Thresholds,
    with_rule: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rule sets 1.x: recommendation (and rule) codes from the points.

    Kept unchanged so decisions recorded under 1.0.0 rescore as they were made.
    """
    score = pull - push
    # No pull-out reason at all is push-in whatever the thresholds say.
    presumption = pull < max(th.min_pull_out_points - _EPS, 2 * _EPS)
    wants_split = np.abs(score) <= th.close_call_margin + _EPS
    if th.hybrid_when_both_strong:
        both = strong_pull & strong_push
        wants_split |= both
    wants_split &= ~presumption
    rec = (score > _EPS).astype(np.int8)  # PULL_OUT (1) or PUSH_IN (0): the balance
    rec[wants_split & can_split] = HYBRID
    rec[presumption] = PUSH_IN
    if not with_rule:
        return rec, None
    rule = np.full(len(rec), _BALANCE, dtype=np.int8)
    if th.hybrid_when_both_strong:
        rule[wants_split & ~both] = _CLOSE
        rule[wants_split & both] = _BOTH
    else:
        rule[wants_split] = _CLOSE
    rule[wants_split & ~can_split] = _SINGLE
    rule[presumption] = _PRESUMPTION
    return rec, rule


@dataclass
class _Decision:
    """Rule sets 2.x: per row, the recommendation and how many whole sessions go out."""

    rec: np.ndarray  # PUSH_IN, PULL_OUT, HYBRID
    rule: np.ndarray
    out_sessions: np.ndarray  # weekly pull-out sessions (hybrid: 1..full-1)
    pattern: np.ndarray  # _WEEKLY or _ALTERNATING
    share: np.ndarray  # pull-out points / all points (0.5 when none)


def _decide2(
    pull: np.ndarray,
    push: np.ndarray,
    pull_max: np.ndarray,
    strong_pull: np.ndarray,
    strong_push: np.ndarray,
    privacy: np.ndarray,
    full: np.ndarray,
    transition: np.ndarray,
    ev_pull: np.ndarray,
    th: Thresholds,
) -> _Decision:
    """Rule sets 2.x: the one place the decision is made (the tipping points call it too).

    Every step is monotone: more pull-out points (or a higher pull-out rating) never give
    fewer pull-out sessions; more push-in points never give more.
    1. presumption: no pull-out factor rated `moderate_rating` or more and no progress
       evidence toward intensity (or fewer than `min_pull_out_points`) -> push_in.
    2. privacy: `specialized_setting` at the privacy rating for a privacy-critical service
       or setting -> pull_out (no in-class minutes).
    3. balance: one side has `comparable_ratio` or less of the other's points -> that side.
    4. comparable sides -> hybrid: pull-out sessions = share x whole sessions, rounded by
       `split_rounding`, kept within 1..sessions-1 (`both_strong` when both sides have a
       strong rating, otherwise `close_call`); one whole session alternates week by week
       (`alternate_weeks`) or goes where the balance points (`single_session`).
    5. transition: progress data plan a move toward class: at most sessions-1 out.
    """
    n = len(pull)
    presumption = ((pull_max < th.moderate_rating) & (ev_pull <= _EPS)) | (
        pull < max(th.min_pull_out_points - _EPS, 2 * _EPS)
    )
    r = th.comparable_ratio
    one_pull = push <= r * pull + _EPS
    one_push = (pull <= r * push + _EPS) & ~one_pull
    middle = ~one_pull & ~one_push
    share = _pull_share(pull, push)
    k = _hybrid_sessions(share, full, th.split_rounding)
    single = full < 2
    out = np.where(one_pull, full, np.where(one_push, 0, k)).astype(np.int64)
    rec = np.where(one_pull, PULL_OUT, np.where(one_push, PUSH_IN, HYBRID)).astype(np.int8)
    rule = np.where(middle, np.where(strong_pull & strong_push, _BOTH, _CLOSE), _BALANCE).astype(
        np.int8
    )
    pattern = np.full(n, _WEEKLY, dtype=np.int8)
    split_single = middle & single
    if th.alternate_weeks:
        pattern[split_single] = _ALTERNATING
        out[split_single] = 0
    else:
        to_pull = split_single & (pull > push + _EPS)
        rec[split_single] = np.where(to_pull[split_single], PULL_OUT, PUSH_IN)
        out[split_single] = np.where(to_pull[split_single], full[split_single], 0)
        rule[split_single] = _SINGLE
    # Progress data plan a transition toward class: at least one whole session in class.
    moves = transition & (full >= 2) & (out >= full) & (rec == PULL_OUT)
    out[moves] = full[moves] - 1
    rec[moves] = HYBRID
    rule[moves] = _TRANSITION
    # Privacy-critical work: no in-class minutes.
    privacy = privacy & ~presumption
    rec[privacy] = PULL_OUT
    out[privacy] = full[privacy]
    rule[privacy] = _PRIVACY
    pattern[privacy] = _WEEKLY
    rec[presumption] = PUSH_IN
    out[presumption] = 0
    rule[presumption] = _PRESUMPTION
    pattern[presumption] = _WEEKLY
    pattern[rec != HYBRID] = _WEEKLY
    return _Decision(rec=rec, rule=rule, out_sessions=out, pattern=pattern, share=share)
