"""The engine's names: recommendations, decision rules, confidences, split patterns,
reason keys, goal decisions and the columns of its frames (with the integer codes the
arrays carry)."""

from __future__ import annotations

from pushin_rules.models import FACTORS

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
