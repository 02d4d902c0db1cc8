"""Every service at once: `score_frame`, one row per service with `SCORE_COLUMNS`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pushin_rules.decide.engine.scoring import _evaluate, _Scored
from pushin_rules.decide.engine.text import _join_codes, _named, _text
from pushin_rules.decide.engine.tipping import _tipping_text
from pushin_rules.decide.engine.vocabulary import (
    _EPS,
    CONFIDENCES,
    DECISION_RULES,
    NOT_RATED,
    REASON_PRESUMPTION,
    REASON_PROGRESS,
    RECOMMENDATIONS,
    SPLIT_PATTERNS,
)
from pushin_rules.decide.rules import RuleSet


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
        # The progress note says what the evidence does to a recommendation; there is none.
        for column in ("reasons", "feasibility_notes", "tipping_points", "progress_note"):
            frame[column] = frame[column].where(~unrated, "")
        frame["progress_used"] = frame["progress_used"] & ~unrated
    return frame
