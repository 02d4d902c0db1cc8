"""The split: a hybrid's minutes in whole sessions. Sessions = minutes_per_week //
session_minutes; pull-out sessions = the pull-out share of points x sessions, rounded by
`split_rounding` and kept within 1..sessions-1; leftover minutes stay in class. One session
a week under 2.x alternates weeks (its pull-out minutes are half a session, rounded down)."""

from __future__ import annotations

import numpy as np

from pushin_rules.decide.engine.vocabulary import _EPS, HYBRID, PULL_OUT, PUSH_IN


def _pull_share(pull: np.ndarray, push: np.ndarray) -> np.ndarray:
    """Pull-out points / all points per row (0.5 when there are no points)."""
    total = pull + push
    return np.divide(pull, total, out=np.full(len(pull), 0.5), where=total > _EPS)


def _hybrid_sessions(share: np.ndarray, full: np.ndarray, rounding: str) -> np.ndarray:
    """A hybrid's weekly pull-out sessions: share x whole sessions, rounded by `rounding`
    (down, up, nearest: a tie stays in class), kept within 1..sessions-1."""
    raw = share * full
    if rounding == "down":
        k = np.floor(raw + _EPS)
    elif rounding == "up":
        k = np.ceil(raw - _EPS)
    else:  # nearest, a tie stays in class
        k = np.ceil(raw - 0.5 - _EPS)
    return np.clip(k, 1, np.maximum(full - 1, 1)).astype(np.int64)


def _minutes_and_sessions(
    rec: np.ndarray,
    k: np.ndarray,
    full: np.ndarray,
    minutes: np.ndarray,
    session: np.ndarray,
    alternating: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weekly pull-out minutes, pull-out sessions and push-in sessions per row (`k`: a
    hybrid's pull-out sessions; `alternating`: rows that alternate weeks, 2.x only)."""
    per_week = np.maximum(1, np.round(minutes / session)).astype(np.int64)
    if alternating is None:
        pull_minutes = np.select([rec == HYBRID, rec == PULL_OUT], [k * session, minutes], 0)
        pull_sessions = np.select([rec == HYBRID, rec == PULL_OUT], [k, per_week], 0)
        push_sessions = np.select([rec == HYBRID, rec == PUSH_IN], [full - k, per_week], 0)
        return pull_minutes, pull_sessions, push_sessions
    pull_minutes = np.select(
        [alternating, rec == HYBRID, rec == PULL_OUT], [session // 2, k * session, minutes], 0
    )
    pull_sessions = np.select([alternating, rec == HYBRID, rec == PULL_OUT], [1, k, per_week], 0)
    push_sessions = np.select(
        [alternating, rec == HYBRID, rec == PUSH_IN], [1, full - k, per_week], 0
    )
    return pull_minutes, pull_sessions, push_sessions
