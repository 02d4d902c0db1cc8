"""The recommendation engine: push-in, pull-out or hybrid for each service, with its reasons,
feasibility notes and tipping points, written once over arrays (one service or a district).

Scoring (every number comes from the rule set, `rules.toml`):

- pull-out points = sum of weight x rating over the pull-out factors, plus progress evidence
  toward more intensity; push-in points likewise (plus evidence toward the classroom).
  Rule sets 2.x weigh per service: `[secondary]` weights for grades 6-12 (`grade` column),
  intensity scaled by `[dose]` for the service's `group_size`.
  `score` = pull-out points - push-in points (positive: toward pull-out); `margin` = |score|.
- The decision, `rule` naming the step that decided:
  - rule sets 2.x (`_decide2`, monotone in every rating): `presumption` (no pull-out factor
    rated `moderate_rating`+ and no evidence toward intensity), `privacy` (privacy-critical
    work), `balance` (one side has `comparable_ratio` or less of the other's points),
    `both_strong` / `close_call` (comparable sides: a hybrid), `transition` (progress data
    keep a session in class), `single_session` (one session and `alternate_weeks` off);
  - rule sets 1.x (`_decide`, kept so 1.0.0 decisions rescore as made): `presumption`,
    `both_strong`, `close_call` (|score| <= `close_call_margin`), `balance`, `single_session`.
- Hybrid split: sessions = minutes_per_week // session_minutes (whole sessions); pull-out
  sessions = the pull-out share of points x sessions, rounded by `split_rounding` and kept
  within 1..sessions-1; leftover minutes stay in class, so the minutes always add up. One
  session a week under 2.x alternates weeks (`split_pattern` = `alternating_weeks`; minutes
  are the weekly average over the two weeks, the pull-out half rounded down).
- `confidence`: 2.x: one-sided results `clear` at `clear_share` of all points, else
  `leaning`; hybrids `close_call` within `close_call_margin`, else `leaning`. 1.x: by margin.
- Implementation factors (staffing_limit, collaboration_limit, classroom_crowding) are never
  read by the scoring: they only produce feasibility notes.
- `reasons`: factor keys that drove the result, strongest first (a deciding privacy rating or
  planned transition first), plus `progress_evidence` and `lre_presumption` (listed last).
- `tipping_points`: for each need factor, the smallest change of its rating that changes the
  recommendation (both directions when equally small), found by rescoring through the same
  decision function; written `intensity 3->1: push_in` and joined with `;`.
- A `rated` column that is False (nobody rated the service) gives `not_rated` with empty
  minutes, points, confidence and reasons.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from pushin_rules.decide.rules import RuleSet, Thresholds
from pushin_rules.models import FACTORS, GRADES, DeliveryModel, Service

RECOMMENDATIONS: tuple[str, ...] = ("push_in", "pull_out", "hybrid")
PUSH_IN, PULL_OUT, HYBRID = 0, 1, 2
NOT_RATED = "not_rated"  # a service the team has not rated yet (frames only)
_REC_NAMES: tuple[str, ...] = (*RECOMMENDATIONS, NOT_RATED)
DECISION_RULES: tuple[str, ...] = (
    "presumption",
    "both_strong",
    "close_call",
    "balance",
    "single_session",
    "privacy",
    "transition",
)
_PRESUMPTION, _BOTH, _CLOSE, _BALANCE, _SINGLE, _PRIVACY, _TRANSITION = range(7)
CONFIDENCES: tuple[str, ...] = ("clear", "leaning", "close_call")
_CLEAR, _LEANING, _CLOSE_CALL = range(3)
SPLIT_PATTERNS: tuple[str, ...] = ("weekly", "alternating_weeks")
_WEEKLY, _ALTERNATING = range(2)
REASON_PROGRESS = "progress_evidence"
REASON_PRESUMPTION = "lre_presumption"
NO_DATA = "no_data"
NOT_RATED_HEADLINE = (
    "Not rated yet: the team has not rated this service's needs, so the rules recommend nothing."
)
# Goal decisions, most urgent first (the progress analytics' vocabulary).
GOAL_DECISIONS: tuple[str, ...] = (
    "change",
    "review",
    "continue",
    "raise_goal",
    "goal_met",
    "insufficient_data",
)

SCORE_COLUMNS: tuple[str, ...] = (
    "service_id",
    "recommendation",
    "push_in_minutes",
    "pull_out_minutes",
    "push_in_sessions",
    "pull_out_sessions",
    "pull_out_points",
    "push_in_points",
    "score",
    "margin",
    "confidence",
    "rule",
    "reasons",
    "feasibility_notes",
    "tipping_points",
    "progress_used",
    "progress_decision",
    "progress_note",
    "split_pattern",
)
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "service_id",
    "progress_decision",
    "evidence_points",
    "evidence_note",
    "evidence_transition",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("service_id", "minutes_per_week", "session_minutes", *FACTORS)

_EPS = 1e-9  # points are sums of decimal weights; compare them with a little slack


# ------------------------------------------------------------------------------ the rule set


@dataclass(frozen=True)
class _Plan:
    """The rule set as arrays, in the rule set's factor order."""

    need: tuple[str, ...]
    weight: np.ndarray  # per need factor
    pulls: np.ndarray  # bool per need factor: True pull-out, False push-in
    impl: tuple[str, ...]
    impl_push_note: np.ndarray  # bool per implementation factor
    impl_pull_note: np.ndarray
    th: Thresholds
    format: int
    secondary_weight: np.ndarray  # per need factor, for grades from `secondary.from_grade`
    secondary_from: int
    group_factor: np.ndarray  # intensity weight multiplier by group size - 1
    privacy_j: int  # column of specialized_setting (-1: none)
    privacy_rating: int
    privacy_services: tuple[str, ...]
    privacy_settings: tuple[str, ...]


def _plan(rules: RuleSet) -> _Plan:
    need = rules.need_factors
    impl = rules.implementation_factors
    keys = tuple(f.key for f in need)
    weight = np.array([f.weight for f in need], dtype=float)
    secondary = np.array([rules.secondary.weights.get(f.key, f.weight) for f in need])
    return _Plan(
        need=keys,
        weight=weight,
        pulls=np.array([f.direction == "pull_out" for f in need], dtype=bool),
        impl=tuple(f.key for f in impl),
        impl_push_note=np.array(["push_in" in f.notes for f in impl], dtype=bool),
        impl_pull_note=np.array(["pull_out" in f.notes for f in impl], dtype=bool),
        th=rules.thresholds,
        format=rules.format,
        secondary_weight=secondary.astype(float),
        secondary_from=rules.secondary.from_grade,
        group_factor=np.array(rules.dose.intensity_by_group_size, dtype=float),
        privacy_j=keys.index("specialized_setting") if "specialized_setting" in keys else -1,
        privacy_rating=rules.privacy.rating,
        privacy_services=rules.privacy.services,
        privacy_settings=rules.privacy.natural_settings,
    )


# ------------------------------------------------------------------------------ the decision


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
    total = pull + push
    share = np.divide(pull, total, out=np.full(n, 0.5), where=total > _EPS)
    raw = share * full
    if th.split_rounding == "down":
        k = np.floor(raw + _EPS)
    elif th.split_rounding == "up":
        k = np.ceil(raw - _EPS)
    else:  # nearest, a tie stays in class
        k = np.ceil(raw - 0.5 - _EPS)
    k = np.clip(k, 1, np.maximum(full - 1, 1)).astype(np.int64)
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


def _column(frame: pd.DataFrame, name: str, default: Any, dtype: Any) -> np.ndarray:
    if name not in frame.columns:
        return np.full(len(frame), default, dtype=dtype)
    values = frame[name]
    if dtype is object:
        return values.fillna(default).astype(str).to_numpy(dtype=object)
    return values.fillna(default).to_numpy(dtype=dtype)


def _is_secondary(grades: np.ndarray, from_grade: int) -> np.ndarray:
    """Grades from `from_grade` to 12 (grade text "K", "1".."12"; unknown: elementary)."""
    number = {g: (0 if g == "K" else int(g)) for g in GRADES}
    codes = pd.Series(grades, dtype=object).astype(str).str.upper().str.lstrip("0")
    values = codes.map(number).fillna(-1).to_numpy(dtype=np.int64)
    return values >= from_grade


def _weights(plan: _Plan, n: int, secondary: np.ndarray, group: np.ndarray) -> np.ndarray:
    """(n, need) the weight of each factor for each service: the rule set's weight, the
    secondary weight for grades 6-12, intensity scaled by the group's share of turns."""
    weights = np.broadcast_to(plan.weight, (n, len(plan.need))).copy()
    if plan.format < 2 or n == 0:
        return weights
    weights[secondary] = plan.secondary_weight
    if "intensity" in plan.need:
        j = plan.need.index("intensity")
        at = np.clip(group - 1, 0, len(plan.group_factor) - 1)
        weights[:, j] *= plan.group_factor[at]
    return weights


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
    per_week = np.maximum(1, np.round(minutes / session)).astype(np.int64)
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
        alternating = pattern == _ALTERNATING
        pull_minutes = np.select(
            [alternating, rec == HYBRID, rec == PULL_OUT], [session // 2, k * session, minutes], 0
        )
        pull_sessions = np.select(
            [alternating, rec == HYBRID, rec == PULL_OUT], [1, k, per_week], 0
        )
        push_sessions = np.select(
            [alternating, rec == HYBRID, rec == PUSH_IN], [1, full - k, per_week], 0
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
        total = pull + push
        share = np.divide(pull, total, out=np.full(n, 0.5), where=total > _EPS)
        raw = share * full
        if th.split_rounding == "down":
            k = np.floor(raw + _EPS)
        elif th.split_rounding == "up":
            k = np.ceil(raw - _EPS)
        else:  # nearest, a tie stays in class
            k = np.ceil(raw - 0.5 - _EPS)
        k = np.clip(k, 1, np.maximum(full - 1, 1)).astype(np.int64)
        pull_minutes = np.select([rec == HYBRID, rec == PULL_OUT], [k * session, minutes], 0)
        pull_sessions = np.select([rec == HYBRID, rec == PULL_OUT], [k, per_week], 0)
        push_sessions = np.select([rec == HYBRID, rec == PUSH_IN], [full - k, per_week], 0)
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


def _pull_max(ratings: np.ndarray, pulls: np.ndarray) -> np.ndarray:
    if not pulls.any():
        return np.zeros(len(ratings), dtype=np.int64)
    return ratings[:, pulls].max(axis=1)


def _privacy(ratings: np.ndarray, plan: _Plan, privacy_ok: np.ndarray) -> np.ndarray:
    if plan.privacy_j < 0:
        return np.zeros(len(ratings), dtype=bool)
    return privacy_ok & (ratings[:, plan.privacy_j] >= plan.privacy_rating)


def _matrix(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    if not keys:
        return np.zeros((len(frame), 0), dtype=np.int64)
    return np.column_stack([frame[k].to_numpy(dtype=np.int64) for k in keys])


def _align_evidence(
    ids: np.ndarray, evidence: pd.DataFrame | None, rules: RuleSet
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = len(ids)
    points = np.zeros(n)
    decision = np.full(n, NO_DATA, dtype=object)
    note = np.full(n, rules.wording.evidence_none, dtype=object)
    transition = np.zeros(n, dtype=bool)
    if evidence is None or evidence.empty:
        return points, decision, note, transition
    evidence = evidence.drop_duplicates("service_id", keep="first")
    at = pd.Index(evidence["service_id"].to_numpy(dtype=object)).get_indexer(ids)
    found = at >= 0
    rows = at[found]
    points[found] = evidence["evidence_points"].to_numpy(dtype=float)[rows]
    if "progress_decision" in evidence:
        decision[found] = evidence["progress_decision"].to_numpy(dtype=object)[rows]
    if "evidence_note" in evidence:
        note[found] = evidence["evidence_note"].to_numpy(dtype=object)[rows]
    if "evidence_transition" in evidence:
        transition[found] = evidence["evidence_transition"].fillna(False).to_numpy(bool)[rows]
    return points, decision, note, transition


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


# ------------------------------------------------------------------------------ progress evidence


def progress_evidence(
    services: pd.DataFrame, goal_summary: pd.DataFrame | None, rules: RuleSet
) -> pd.DataFrame:
    """Per service: the progress decision, signed evidence points, whether the data plan a
    transition toward class, and the sentences citing the data (one line per goal, joined
    with a newline). Columns `EVIDENCE_COLUMNS`.

    Rule sets 2.x (each goal's setting is its `last_setting`, or the service's current model
    when the scores carry no setting):
    - `change` in class (or setting unknown): `evidence_change_points` toward pull-out (more
      intensity); `change` in pull-out adds nothing: the sentence names the levers
      (frequency, session length, group size, method), since more removal is not one;
    - `goal_met` or `raise_goal` in pull-out: a transition (at least one whole session moves
      into class for services with 2+ sessions), unless another goal of the service is `change`;
    - `carry_over_gap` (therapy-room scores clearly above classroom scores):
      `evidence_carry_over_points` toward the classroom (and no intensity points);
    - `continue`, `review`, `insufficient_data` and no goals (`no_data`) add nothing.
    Rule sets 1.x: `change` adds pull-out points, `raise_goal` (or `goal_met`) in pull-out
    adds push-in points, as they did.
    Summaries without `carry_over_gap` read it as False.
    """
    wording = rules.wording
    n = len(services)
    decided = np.full(n, len(GOAL_DECISIONS), dtype=np.int64)  # past the end: no_data
    points = np.zeros(n)
    transition = np.zeros(n, dtype=bool)
    note = pa.array(np.full(n, wording.evidence_none, dtype=object), type=pa.string())
    if goal_summary is not None and not goal_summary.empty and n:
        service_at = pd.Index(services["service_id"]).get_indexer(goal_summary["service_id"])
        goals = goal_summary[service_at >= 0].reset_index(drop=True)
        service_at = service_at[service_at >= 0]
        if len(goals):
            decided, points, transition, note = _evidence(services, goals, service_at, rules, note)
    names = np.array([*GOAL_DECISIONS, NO_DATA], dtype=object)
    return pd.DataFrame(
        {
            "service_id": _text(services["service_id"].to_numpy(dtype=object)),
            "progress_decision": _named(decided, names),
            "evidence_points": points,
            "evidence_note": _text(note),
            "evidence_transition": transition,
        }
    )


def _evidence(
    services: pd.DataFrame,
    goals: pd.DataFrame,
    service_at: np.ndarray,
    rules: RuleSet,
    note: pa.Array,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pa.Array]:
    wording, th = rules.wording, rules.thresholds
    n = len(services)
    urgency = pd.Categorical(goals["decision"], categories=list(GOAL_DECISIONS)).codes
    if (urgency < 0).any():
        raise ValueError("goal decisions must be one of " + ", ".join(GOAL_DECISIONS))
    urgency = urgency.astype(np.int64)
    current = (
        services["current_model"].fillna("").to_numpy(dtype=object)[service_at]
        if "current_model" in services
        else np.full(len(goals), "", dtype=object)
    )
    last = (
        goals["last_setting"].fillna("").to_numpy(dtype=object)
        if "last_setting" in goals
        else np.full(len(goals), "", dtype=object)
    )
    setting = np.where(last == "", current, last)
    under_pull_out = setting == DeliveryModel.pull_out.value
    setting_code = np.where(
        setting == DeliveryModel.push_in.value, 0, np.where(under_pull_out, 1, 2)
    )
    phrases = pa.array([wording.setting_push_in, wording.setting_pull_out, wording.setting_unknown])
    blank = pd.Series([""] * len(goals))
    fields = {
        "goal_id": _arrow(goals["goal_id"]),
        "four_point_detail": _arrow(goals.get("four_point_detail", blank)),
        "trend_detail": _arrow(goals.get("trend_detail", blank)),
        "setting_phrase": phrases.take(pa.array(setting_code)),
        "points": _arrow(
            goals["points"].fillna(0).astype("int64").astype(str) if "points" in goals else blank
        ),
    }
    gap = (
        goals["carry_over_gap"].fillna(False).to_numpy(dtype=bool)
        if "carry_over_gap" in goals
        else np.zeros(len(goals), dtype=bool)
    )
    code = {d: GOAL_DECISIONS.index(d) for d in GOAL_DECISIONS}
    change = urgency == code["change"]
    ahead = (urgency == code["raise_goal"]) | (urgency == code["goal_met"])
    templates = [
        wording.evidence_change,  # 0
        wording.evidence_review,  # 1
        wording.evidence_continue,  # 2
        wording.evidence_raise_goal,  # 3
        wording.evidence_goal_met,  # 4
        wording.evidence_insufficient,  # 5
        wording.evidence_raise_goal_pull_out,  # 6: 1.x, ahead in pull-out
        wording.evidence_change_pull_out,  # 7: 2.x, failing in pull-out
        wording.evidence_transition,  # 8: 2.x, ahead in pull-out
        wording.evidence_carry_over,  # 9: 2.x, carry-over gap
    ]
    template = urgency.copy()
    decided = np.full(n, len(GOAL_DECISIONS), dtype=np.int64)
    np.minimum.at(decided, service_at, urgency)

    def any_of(mask: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[service_at[mask]] = True
        return out

    if rules.format >= 2:
        intensity = change & ~under_pull_out & ~gap
        moves = ahead & under_pull_out & ~gap
        template[change & under_pull_out] = 7
        template[moves] = 8
        template[gap] = 9
        has_gap = any_of(gap)
        points = np.where(
            has_gap,
            -th.evidence_carry_over_points,
            np.where(any_of(intensity), th.evidence_change_points, 0.0),
        )
        transition = any_of(moves) & ~any_of(change)
    else:
        raise_pull = ahead & under_pull_out
        template[raise_pull] = 6
        template[(urgency == code["goal_met"]) & ~under_pull_out] = code["raise_goal"]
        points = np.where(decided == code["change"], th.evidence_change_points, 0.0)
        points = np.where(
            ((decided == code["raise_goal"]) | (decided == code["goal_met"])) & any_of(raise_pull),
            -th.evidence_raise_goal_points,
            points,
        )
        transition = np.zeros(n, dtype=bool)
    sentence = pc.choose(pa.array(template), *(_fill(t, fields, len(goals)) for t in templates))
    joined = _join_by_group(service_at, sentence, n)
    note = pc.if_else(pa.array(decided < len(GOAL_DECISIONS)), joined, note)
    return decided, points, transition, note


def _arrow(values: pd.Series) -> pa.Array:
    """A text column as an arrow string array (missing values as "")."""
    array = pa.array(values.fillna("").astype(str), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.string())


def fill_template(template: str, fields: Mapping[str, Any]) -> np.ndarray:
    """`template.format(**row)` for every row at once (object array of str)."""
    size = len(next(iter(fields.values()))) if fields else 0
    arrays = {k: pa.array(np.asarray(v, dtype=object), type=pa.string()) for k, v in fields.items()}
    return _fill(template, arrays, size).to_numpy(zero_copy_only=False).astype(object)


def _fill(template: str, fields: Mapping[str, pa.Array], size: int) -> pa.Array:
    parts: list[Any] = []
    for literal, name, _spec, _ in string.Formatter().parse(template):
        if literal:
            parts.append(pa.scalar(literal))
        if name is not None:
            parts.append(fields[name])
    if not any(isinstance(p, pa.Array) for p in parts):
        text = "".join(p.as_py() for p in parts)
        return pa.array(np.full(size, text, dtype=object), type=pa.string())
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "")


def _join_by_group(group: np.ndarray, text: pa.Array, size: int) -> pa.Array:
    """Per group 0..size-1, its texts (in input order) joined with newlines; "" if none."""
    order = np.argsort(group, kind="stable")
    ordered = group[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(ordered)), 0))
    rank = np.arange(len(ordered)) - first
    blank = len(text)  # index of the empty string appended below
    plain = pa.concat_arrays([text, pa.array([""], type=pa.string())])
    prefixed = pa.concat_arrays(
        [pc.binary_join_element_wise("\n", text, ""), pa.array([""], type=pa.string())]
    )
    columns = []
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        at = np.full(size, blank, dtype=np.int64)
        mine = rank == k
        at[ordered[mine]] = order[mine]
        columns.append((prefixed if k else plain).take(pa.array(at)))
    if not columns:
        return pa.array(np.full(size, "", dtype=object), type=pa.string())
    return pc.binary_join_element_wise(*columns, "") if len(columns) > 1 else columns[0]


# ------------------------------------------------------------------------------ the frame


def score_frame(
    services: pd.DataFrame, rules: RuleSet, evidence: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Score every service (batch). One row per service in input order, `SCORE_COLUMNS`.

    `evidence` is `progress_evidence(...)` (or any frame with service_id and
    evidence_points, optionally progress_decision and evidence_note); None: ratings only.
    """
    return _frame(_evaluate(services, rules, evidence), rules)


def _frame(s: _Scored, rules: RuleSet) -> pd.DataFrame:
    reason_keys = [*s.plan.need, REASON_PROGRESS, REASON_PRESUMPTION]
    feasibility = np.where(s.feasible_note, np.arange(len(s.plan.impl))[None, :], -1)
    frame = pd.DataFrame(
        {
            "service_id": _text(s.ids),
            "recommendation": _named(s.rec, RECOMMENDATIONS),
            "push_in_minutes": s.minutes - s.pull_minutes,
            "pull_out_minutes": s.pull_minutes,
            "push_in_sessions": s.push_sessions.astype(np.int64),
            "pull_out_sessions": s.pull_sessions.astype(np.int64),
            "pull_out_points": s.pull,
            "push_in_points": s.push,
            "score": np.round(s.score, 9),
            "margin": np.round(np.abs(s.score), 9),
            "confidence": _named(s.confidence, CONFIDENCES),
            "rule": _named(s.rule, DECISION_RULES),
            "reasons": _join_codes(s.reason_order, reason_keys),
            # Keys in the rule set's order; -1 entries are skipped by the join.
            "feasibility_notes": _join_codes(feasibility, list(s.plan.impl)),
            "tipping_points": _tipping_text(s),
            "progress_used": (np.abs(s.evidence) > _EPS) | s.transition,
            "progress_decision": _text(s.progress_decision),
            "progress_note": _text(s.progress_note),
            "split_pattern": _named(s.pattern, SPLIT_PATTERNS),
        }
    )
    unrated = ~s.rated
    if unrated.any():
        # Not rated yet: no recommendation, no minutes, no reasons (the zeros in its rating
        # cells are not ratings). Numbers become float with NaN; texts become empty.
        frame["recommendation"] = frame["recommendation"].where(~unrated, NOT_RATED)
        for column in (
            "push_in_minutes",
            "pull_out_minutes",
            "push_in_sessions",
            "pull_out_sessions",
            "pull_out_points",
            "push_in_points",
            "score",
            "margin",
        ):
            frame[column] = frame[column].astype(float).where(~unrated)
        for column in ("confidence", "rule", "split_pattern"):
            frame[column] = frame[column].where(~unrated)
        for column in ("reasons", "feasibility_notes", "tipping_points"):
            frame[column] = frame[column].where(~unrated, "")
        frame["progress_used"] = frame["progress_used"] & ~unrated
    return frame


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype


def _text(values: np.ndarray | pa.Array) -> pd.api.extensions.ExtensionArray:
    """A pandas str column straight from arrow (no per-row conversion)."""
    if not isinstance(values, pa.Array | pa.ChunkedArray):
        values = pa.array(values, type=pa.string())
    return pd.array(values, dtype=_STR)


def _named(codes: np.ndarray, names: Sequence[str]) -> pd.api.extensions.ExtensionArray:
    return _text(pa.array(list(names), type=pa.string()).take(pa.array(codes)))


def _join_codes(
    codes: np.ndarray, names: Sequence[str], sep: str = ";"
) -> pd.api.extensions.ExtensionArray:
    """Per row, the names of the codes (-1: nothing) joined with `sep`, all rows at once.

    Rows are factorized on their codes, so Python builds each distinct text once.
    """
    n, width = codes.shape
    base = len(names) + 1
    if width == 0 or n == 0:
        return _text(np.full(n, "", dtype=object))
    if width * np.log2(base) > 62:  # too many places for one integer key
        return _join_columns(codes, names, sep)
    key = (codes + 1).astype(np.int64) @ (base ** np.arange(width, dtype=np.int64))
    row_code, uniques = pd.factorize(key)
    texts = []
    for value in uniques.tolist():
        parts = []
        while value:
            value, digit = divmod(value, base)
            if digit:
                parts.append(names[digit - 1])
        texts.append(sep.join(parts))
    return _text(pa.array(texts, type=pa.string()).take(pa.array(row_code)))


def _join_columns(
    codes: np.ndarray, names: Sequence[str], sep: str
) -> pd.api.extensions.ExtensionArray:
    n = codes.shape[0]
    used = np.flatnonzero((codes >= 0).any(axis=0))
    if used.size == 0:
        return _text(np.full(n, "", dtype=object))
    # Every piece carries its separator in front and "nothing" is the empty string, so no
    # nulls reach the join (pyarrow drops all-null rows under null_handling="skip").
    dictionary = pa.array(["", *(sep + name for name in names)], type=pa.string())
    columns = [dictionary.take(pa.array(codes[:, c] + 1)) for c in used]
    joined = pc.binary_join_element_wise(*columns, "") if len(columns) > 1 else columns[0]
    return _text(pc.utf8_slice_codeunits(joined, len(sep)))


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


# ------------------------------------------------------------------------------ one service


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class FactorContribution(_Out):
    """One factor in the explanation: how it was rated, what that means and what it did."""

    key: str
    label: str
    question: str
    rating: int
    meaning: str
    points: float
    direction: str  # pull_out, push_in or implementation
    counts: bool  # a reason for this recommendation
    sentence: str
    sources: list[str]


class Split(_Out):
    """Weekly minutes in whole sessions. For `alternating_weeks` (one session a week that
    alternates settings) the minutes are the weekly average over the two-week cycle (the
    pull-out half rounded down to a whole minute) and the sessions count one of each per
    two weeks."""

    push_in_minutes: int
    pull_out_minutes: int
    push_in_sessions: int
    pull_out_sessions: int
    session_minutes: int
    remainder_minutes: int  # minutes that are not a whole session (delivered in class)
    sentence: str
    pattern: str = "weekly"


class TippingPoint(_Out):
    factor: str
    label: str
    from_rating: int
    to_rating: int
    new_recommendation: DeliveryModel
    sentence: str


class Recommendation(_Out):
    """The recommendation for one service with its full explanation (JSON-serialisable)."""

    service_id: str
    student_id: str
    service: str
    minutes_per_week: int
    recommendation: DeliveryModel
    headline: str = ""  # "Pull-out: all 60 minutes a week in a separate room."
    split: Split
    rule: str
    rule_sentence: str
    score: float
    margin: float
    pull_out_points: float
    push_in_points: float
    confidence: str
    confidence_sentence: str
    reasons: list[str]
    contributions: list[FactorContribution]
    feasibility_intro: str = ""  # the guardrail sentence above the notes ("" when none)
    feasibility_notes: list[str]
    feasibility_factors: list[str]
    tipping_points: list[TippingPoint]
    progress_used: bool
    progress_decision: str
    progress_evidence: list[str]
    rules_name: str
    rules_version: str
    rules_hash: str
    # 2.x additions (defaults keep stored 1.x recommendations readable).
    split_pattern: str = "weekly"  # weekly or alternating_weeks
    rated: bool = True  # False: the team has not rated the service; nothing is recommended

    @property
    def push_in_minutes(self) -> int:
        return self.split.push_in_minutes

    @property
    def pull_out_minutes(self) -> int:
        return self.split.pull_out_minutes

    def explanation(self) -> str:
        """The explanation as plain text, for a meeting summary or a printout."""
        lines = [self.headline, self.rule_sentence]
        lines += [f"- {c.sentence}" for c in self.contributions if c.counts]
        lines += self.progress_evidence
        lines.append(self.confidence_sentence)
        if self.feasibility_notes:
            lines.append(self.feasibility_intro)
            lines += [f"- {note}" for note in self.feasibility_notes]
        lines += [t.sentence for t in self.tipping_points]
        lines.append(f"Rules: {self.rules_name} {self.rules_version} ({self.rules_hash[:12]})")
        return "\n".join(line for line in lines if line)


def service_frame(service: Service | Mapping[str, Any]) -> pd.DataFrame:
    """One service as a one-row frame with the district's services columns."""
    if not isinstance(service, Service):
        fields = Service.model_fields
        values = {k: v for k, v in dict(service).items() if k in fields}
        if values.get("current_model") == "":
            values["current_model"] = None
        service = Service(**values)
    row = service.model_dump(mode="json")
    row["current_model"] = row["current_model"] or ""
    row["current_push_in_minutes"] = service.current_push_in
    row["grade"] = row["grade"] or ""
    return pd.DataFrame([row])


def recommend(
    service: Service | Mapping[str, Any],
    rules: RuleSet,
    evidence: pd.DataFrame | None = None,
    grade: str | None = None,
) -> Recommendation:
    """The recommendation for one service, through the same array code as `score_frame`.

    `service` is a `Service` or a row of `District.services` as a mapping; `evidence` is a
    `progress_evidence` frame (only this service's row is read); `grade` (K, 1-12) is the
    student's grade when the service does not carry it (grades 6-12 are weighed as
    secondary school under rule sets 2.x).
    """
    frame = service_frame(service)
    if grade:
        frame["grade"] = str(grade)
    if evidence is not None and not evidence.empty:
        evidence = evidence[evidence["service_id"] == frame.at[0, "service_id"]]
    scored = _evaluate(frame, rules, evidence)
    return _explain(scored, 0, rules, frame.iloc[0])


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _points(value: float) -> str:
    return f"{value:g}"


def _factor_sentence(
    s: _Scored, i: int, j: int, rules: RuleSet, family: str, age: str, fill: dict[str, Any]
) -> str:
    """What a need factor's rating says for this service, level, family and age; intensity
    in a pull-out group also says how the group shares the practice turns."""
    key = s.plan.need[j]
    factor = rules.factor(key)
    rating = int(s.ratings[i, j])
    if rating == 0:
        return factor.meanings[0]
    text = factor.sentence(rating, family, age).format(**fill)
    base = float(s.plan.weight[j])
    if key == "intensity" and rules.format >= 2 and base > 0:
        share = float(s.weights[i, j]) / base
        if share < 1 - _EPS:
            note = rules.wording.dose_group.format(
                group_size=fill["group_size"], percent=round(100 * share)
            )
            text = f"{text} {note}"
    return text


def _explain(s: _Scored, i: int, rules: RuleSet, row: pd.Series) -> Recommendation:
    w, th = rules.wording, rules.thresholds
    rec = RECOMMENDATIONS[s.rec[i]]
    rule = s.rule[i]
    pull, push = float(s.pull[i]), float(s.push[i])
    numbers = {
        "pull_out_points": _points(pull),
        "push_in_points": _points(push),
        "min_pull_out_points": _points(th.min_pull_out_points),
    }
    if rule == _PRESUMPTION:
        template = w.rule_presumption_none if pull <= _EPS else w.rule_presumption_slight
    elif rule == _PRIVACY:
        template = w.rule_privacy
    elif rule == _TRANSITION:
        template = w.rule_transition
    elif rule == _BOTH:
        template = w.rule_both_strong
    elif rule == _CLOSE:
        template = w.rule_close_call if rules.format < 2 else w.rule_comparable
    elif rule == _SINGLE:
        template = w.rule_single_session
    else:
        template = w.rule_balance_pull_out if rec == "pull_out" else w.rule_balance_push_in
    family = str(s.family[i])
    rule_sentence = template.format(
        **numbers, recommendation=rules.label(rec), service=family.replace("_", " ")
    )

    minutes, session = int(s.minutes[i]), int(s.session[i])
    pull_minutes = int(s.pull_minutes[i])
    full = int(s.full_sessions[i])
    pattern = SPLIT_PATTERNS[int(s.pattern[i])]
    place = rules.place(str(s.natural[i])) if rules.format >= 2 else "in the classroom"
    remainder = minutes - full * session if rec == "hybrid" else 0
    words = {"minutes_per_week": minutes, "place": place}
    if pattern == "alternating_weeks":
        # A month of four weeks: two sessions in each setting.
        split_sentence = w.split_alternating.format(
            **words,
            session_minutes=session,
            month_sessions=4,
            month_push_in_minutes=2 * session,
            month_pull_out_minutes=2 * session,
        )
        if remainder:
            split_sentence += " " + w.split_remainder.format(remainder=remainder)
    elif rec == "hybrid":
        split_sentence = w.split_hybrid.format(
            **words,
            push_in_minutes=minutes - pull_minutes,
            pull_out_minutes=pull_minutes,
            push_in_sessions=int(s.push_sessions[i]),
            pull_out_sessions=int(s.pull_sessions[i]),
            sessions=full,
        )
        if remainder:
            split_sentence += " " + w.split_remainder.format(remainder=remainder)
    elif rec == "pull_out":
        split_sentence = w.split_pull_out.format(**words)
    else:
        split_sentence = w.split_push_in.format(**words)
    split = Split(
        push_in_minutes=minutes - pull_minutes,
        pull_out_minutes=pull_minutes,
        push_in_sessions=int(s.push_sessions[i]),
        pull_out_sessions=int(s.pull_sessions[i]),
        session_minutes=session,
        remainder_minutes=remainder,
        sentence=split_sentence,
        pattern=pattern,
    )
    age = "secondary" if bool(s.secondary[i]) else "elementary"
    fill = {"group_size": int(s.group[i]), "place": place}

    reason_keys = [*s.plan.need, REASON_PROGRESS, REASON_PRESUMPTION]
    order = [int(c) for c in s.reason_order[i] if c >= 0]
    counted = {reason_keys[c] for c in order}
    contributions = []
    for j, key in enumerate(s.plan.need):
        factor = rules.factor(key)
        rating = int(s.ratings[i, j])
        contributions.append(
            FactorContribution(
                key=key,
                label=factor.label,
                question=factor.question,
                rating=rating,
                meaning=factor.meanings[rating],
                points=float(round(s.weights[i, j] * rating, 9)),
                direction=factor.direction,
                counts=key in counted,
                sentence=_factor_sentence(s, i, j, rules, family, age, fill),
                sources=list(factor.sources),
            )
        )
    notes, note_keys = [], []
    for m, key in enumerate(s.plan.impl):
        factor = rules.factor(key)
        rating = int(s.impl_ratings[i, m])
        applies = bool(s.feasible_note[i, m])
        texts = [
            factor.notes[x]
            for x in ("push_in", "pull_out")
            if x in factor.notes and (rec == x or rec == "hybrid")
        ]
        if applies:
            note_keys.append(key)
            notes.extend(texts)
        contributions.append(
            FactorContribution(
                key=key,
                label=factor.label,
                question=factor.question,
                rating=rating,
                meaning=factor.meanings[rating],
                points=0.0,
                direction=factor.direction,
                counts=False,
                sentence=" ".join(texts) if applies else factor.meanings[rating],
                sources=list(factor.sources),
            )
        )
    # Strongest reasons first, as in `reasons`.
    by_key = {c.key: c for c in contributions}
    contributions = [by_key[reason_keys[c]] for c in order if reason_keys[c] in by_key] + [
        c for c in contributions if c.key not in counted
    ]

    tips = []
    for j, key in enumerate(s.plan.need):
        factor = rules.factor(key)
        r, d = int(s.ratings[i, j]), int(s.tip_step[j, i])
        for to, new in ((r - d, int(s.tip_down[j, i])), (r + d, int(s.tip_up[j, i]))):
            if d == 0 or new < 0:
                continue
            tips.append(
                TippingPoint(
                    factor=key,
                    label=factor.label,
                    from_rating=r,
                    to_rating=to,
                    new_recommendation=DeliveryModel(RECOMMENDATIONS[new]),
                    sentence=w.tipping_point.format(
                        label=factor.label,
                        factor=key,
                        from_rating=r,
                        to_rating=to,
                        new_recommendation=rules.label(RECOMMENDATIONS[new]),
                    ),
                )
            )
    tips.sort(key=lambda t: (abs(t.to_rating - t.from_rating), s.plan.need.index(t.factor)))

    confidence = CONFIDENCES[s.confidence[i]]
    note = str(s.progress_note[i])
    headline = f"{_capital(rules.label(rec))}: {split_sentence[:1].lower()}{split_sentence[1:]}"
    reason_list = [reason_keys[c] for c in order]
    if not bool(s.rated[i]):
        # Nothing is recommended for a service nobody has rated: its zeros are not ratings.
        headline = NOT_RATED_HEADLINE
        rule_sentence = NOT_RATED_HEADLINE
        reason_list, tips = [], []
        contributions = [c.model_copy(update={"counts": False}) for c in contributions]
    return Recommendation(
        service_id=str(s.ids[i]),
        student_id=str(row.get("student_id", "")),
        service=str(row.get("service", "")),
        minutes_per_week=minutes,
        recommendation=DeliveryModel(rec),
        headline=headline,
        split=split,
        rule=DECISION_RULES[rule],
        rule_sentence=rule_sentence,
        score=round(pull - push, 9),
        margin=round(abs(pull - push), 9),
        pull_out_points=pull,
        push_in_points=push,
        confidence=confidence,
        confidence_sentence=getattr(w, f"confidence_{confidence}"),
        reasons=reason_list,
        contributions=contributions,
        feasibility_intro=w.feasibility_intro if notes else "",
        feasibility_notes=notes,
        feasibility_factors=note_keys,
        tipping_points=tips,
        progress_used=bool(abs(s.evidence[i]) > _EPS or s.transition[i]),
        progress_decision=str(s.progress_decision[i]),
        progress_evidence=[line for line in note.split("\n") if line],
        rules_name=rules.name,
        rules_version=rules.version,
        rules_hash=rules.file_hash,
        split_pattern=pattern,
        rated=bool(s.rated[i]),
    )
