"""The reasons: per service, which factors (and progress evidence, the LRE presumption)
drove the result, strongest first, as column codes."""

from __future__ import annotations

import numpy as np

from pushin_rules.decide.engine.prepare import _Plan
from pushin_rules.decide.engine.vocabulary import _EPS, _PRESUMPTION, _PRIVACY, PULL_OUT, PUSH_IN


def _reason_order(
    plan: _Plan,
    ratings: np.ndarray,
    contrib: np.ndarray,
    ev_points: np.ndarray,
    transition: np.ndarray,
    rec: np.ndarray,
    rule: np.ndarray,
) -> np.ndarray:
    """Per row, the reason columns strongest first (columns: need factors, progress
    evidence, presumption); -1 fills the places after the last reason."""
    uses_pull = (rec != PUSH_IN)[:, None]
    uses_push = (rec != PULL_OUT)[:, None]
    side_used = np.where(plan.pulls[None, :], uses_pull, uses_push)
    if plan.format >= 2:
        # Privacy decides alone on the pull-out side; the presumption keeps slight pull-out
        # reasons out of the list (they are not why anything happened).
        side_used = side_used & ~((rule == _PRIVACY)[:, None] & ~plan.pulls[None, :])
    counts = side_used & (ratings > 0) & (contrib > _EPS)
    strength = np.where(counts, contrib, -1.0)
    ev_counts = ((ev_points > _EPS) & uses_pull[:, 0]) | ((ev_points < -_EPS) & uses_push[:, 0])
    ev_strength = np.where(ev_counts, np.abs(ev_points), -1.0)
    # A planned transition is the reason the session moved: it comes first.
    ev_strength = np.where(transition, np.inf, ev_strength)
    if plan.format >= 2 and plan.privacy_j >= 0:
        strength[:, plan.privacy_j] = np.where(
            rule == _PRIVACY, np.inf, strength[:, plan.privacy_j]
        )
    presumption_strength = np.where(rule == _PRESUMPTION, 0.0, -1.0)  # after every factor
    strength = np.column_stack([strength, ev_strength, presumption_strength])
    order = np.argsort(-strength, axis=1, kind="stable")
    ranked = np.take_along_axis(strength, order, axis=1)
    return np.where(ranked >= 0, order, -1)
