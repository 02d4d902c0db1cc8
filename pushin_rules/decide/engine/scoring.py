"""Scoring: the points of each side per service, the decision, the split, the confidence,
the reasons and the tipping points, as arrays (`_Scored`) for the frame and the explanation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pushin_rules.decide.engine.decision import _decide, _decide2
from pushin_rules.decide.engine.prepare import (
    _align_evidence,
    _column,
    _is_secondary,
    _matrix,
    _Plan,
    _plan,
    _privacy,
    _pull_max,
    _weights,
)
from pushin_rules.decide.engine.reasons import _reason_order
from pushin_rules.decide.engine.split import _hybrid_sessions, _minutes_and_sessions, _pull_share
from pushin_rules.decide.engine.tipping import _tipping
from pushin_rules.decide.engine.vocabulary import (
    _ALTERNATING,
    _CLEAR,
    _CLOSE_CALL,
    _EPS,
    _LEANING,
    _PRESUMPTION,
    _PRIVACY,
    _SINGLE,
    _TRANSITION,
    _WEEKLY,
    HYBRID,
    PULL_OUT,
    PUSH_IN,
    REQUIRED_COLUMNS,
)
from pushin_rules.decide.rules import RuleSet


@dataclass
class _Scored:
    """Every array the frame and the explanation are built from (one row per service)."""

    plan: _Plan
    ids: np.ndarray
    minutes: np.ndarray
    session: np.ndarray
    ratings: np.ndarray  # (n, need) int
    impl_ratings: np.ndarray  # (n, impl) int
    weights: np.ndarray  # (n, need) the weight each factor had for this service
    evidence: np.ndarray  # signed points, + toward pull-out
    transition: np.ndarray  # progress data plan a move toward class
    progress_decision: np.ndarray
    progress_note: np.ndarray
    pull: np.ndarray  # total pull-out points (factors + evidence)
    push: np.ndarray
    rec: np.ndarray
    rule: np.ndarray
    confidence: np.ndarray
    pattern: np.ndarray
    full_sessions: np.ndarray
    pull_sessions: np.ndarray
    push_sessions: np.ndarray
    pull_minutes: np.ndarray
    reason_order: np.ndarray  # (n, need + 2) column codes, -1 past the last reason
    tip_step: np.ndarray  # (need, n) smallest rating change that flips the result; 0: none
    tip_down: np.ndarray  # (need, n) new recommendation if lowered by tip_step; -1: none
    tip_up: np.ndarray  # (need, n) new recommendation if raised by tip_step; -1: none
    feasible_note: np.ndarray  # (n, impl) the factor's note applies
    rated: np.ndarray  # bool: False for a service not rated yet
    family: np.ndarray  # service family per row ("" when unknown)
    natural: np.ndarray  # natural setting per row ("" = classroom)
    secondary: np.ndarray  # bool: weighed as secondary school
    group: np.ndarray  # group size

    @property
    def score(self) -> np.ndarray:
        return self.pull - self.push


def _evaluate(services: pd.DataFrame, rules: RuleSet, evidence: pd.DataFrame | None) -> _Scored:
    missing = [c for c in REQUIRED_COLUMNS if c not in services.columns]
    if missing:
        raise ValueError("services frame lacks columns: " + ", ".join(missing))
    plan = _plan(rules)
    th = plan.th
    n = len(services)
    ids = services["service_id"].to_numpy(dtype=object)
    minutes = services["minutes_per_week"].to_numpy(dtype=np.int64)
    session = services["session_minutes"].to_numpy(dtype=np.int64)
    ratings = _matrix(services, plan.need)
    impl_ratings = _matrix(services, plan.impl)
    rated = _column(services, "rated", True, bool)
    family = _column(services, "service", "", object)
    natural = _column(services, "natural_setting", "", object)
    grade = _column(services, "grade", "", object)
    group = np.maximum(_column(services, "group_size", 1, np.int64), 1)
    secondary = _is_secondary(grade, plan.secondary_from)
    ev_points, decision, note, transition = _align_evidence(ids, evidence, rules)

    weights = _weights(plan, n, secondary, group)
    contrib = ratings * weights  # (n, need)
    ev_pull = np.maximum(ev_points, 0.0)
    ev_push = np.maximum(-ev_points, 0.0)
    pull = np.round(contrib[:, plan.pulls].sum(axis=1) + ev_pull, 9)
    push = np.round(contrib[:, ~plan.pulls].sum(axis=1) + ev_push, 9)
    strong = ratings >= th.strong_rating
    n_strong_pull = strong[:, plan.pulls].sum(axis=1)
    n_strong_push = strong[:, ~plan.pulls].sum(axis=1)
    full = minutes // session
    pattern = np.full(n, _WEEKLY, dtype=np.int8)
    privacy_ok = np.isin(family, plan.privacy_services) | np.isin(natural, plan.privacy_settings)

    if plan.format >= 2:
        pull_max = _pull_max(ratings, plan.pulls)
        privacy = _privacy(ratings, plan, privacy_ok)
        d = _decide2(
            pull,
            push,
            pull_max,
            n_strong_pull > 0,
            n_strong_push > 0,
            privacy,
            full,
            transition,
            ev_pull,
            th,
        )
        rec, rule, k, pattern = d.rec, d.rule, d.out_sessions, d.pattern
        pull_minutes, pull_sessions, push_sessions = _minutes_and_sessions(
            rec, k, full, minutes, session, pattern == _ALTERNATING
        )
        margin = np.abs(pull - push)
        winner = np.maximum(d.share, 1 - d.share)
        confidence = np.where(
            rec == HYBRID,
            np.where(margin <= th.close_call_margin + _EPS, _CLOSE_CALL, _LEANING),
            np.where(winner >= th.clear_share - _EPS, _CLEAR, _LEANING),
        )
        confidence = np.where(rule == _SINGLE, _CLOSE_CALL, confidence)
        confidence = np.where(rule == _TRANSITION, _LEANING, confidence)
        confidence = np.where(
            (rule == _PRESUMPTION) | (rule == _PRIVACY) | (pull <= _EPS), _CLEAR, confidence
        ).astype(np.int8)
        transition_used = rule == _TRANSITION
    else:
        can_split = full >= 2
        rec, rule = _decide(pull, push, n_strong_pull > 0, n_strong_push > 0, can_split, th)
        # Hybrid split in whole sessions; leftover minutes stay in class.
        k = _hybrid_sessions(_pull_share(pull, push), full, th.split_rounding)
        pull_minutes, pull_sessions, push_sessions = _minutes_and_sessions(
            rec, k, full, minutes, session
        )
        margin = np.abs(pull - push)
        confidence = np.where(
            margin >= th.clear_margin - _EPS,
            _CLEAR,
            np.where(margin > th.close_call_margin + _EPS, _LEANING, _CLOSE_CALL),
        )
        confidence = np.where(pull <= _EPS, _CLEAR, confidence).astype(np.int8)
        transition_used = np.zeros(n, dtype=bool)

    reason_order = _reason_order(plan, ratings, contrib, ev_points, transition_used, rec, rule)
    tip_step, tip_down, tip_up = _tipping(
        plan,
        ratings,
        weights,
        pull,
        push,
        n_strong_pull,
        n_strong_push,
        full,
        rec,
        privacy_ok,
        transition,
        ev_pull,
    )
    uses_push = rec != PULL_OUT
    uses_pull = rec != PUSH_IN
    feasible_note = (impl_ratings >= th.feasibility_note_from) & (
        (plan.impl_push_note & uses_push[:, None]) | (plan.impl_pull_note & uses_pull[:, None])
    )
    return _Scored(
        plan=plan,
        ids=ids,
        minutes=minutes,
        session=session,
        ratings=ratings,
        impl_ratings=impl_ratings,
        weights=weights,
        evidence=ev_points,
        transition=transition_used,
        progress_decision=decision,
        progress_note=note,
        pull=pull,
        push=push,
        rec=rec,
        rule=rule,
        confidence=confidence,
        pattern=pattern,
        full_sessions=full,
        pull_sessions=pull_sessions,
        push_sessions=push_sessions,
        pull_minutes=pull_minutes.astype(np.int64),
        reason_order=reason_order,
        tip_step=tip_step,
        tip_down=tip_down,
        tip_up=tip_up,
        feasible_note=feasible_note,
        rated=rated,
        family=family,
        natural=natural,
        secondary=secondary,
        group=group,
    )
