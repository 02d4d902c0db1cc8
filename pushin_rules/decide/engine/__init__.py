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

Where each step lives: `vocabulary` (names and codes), `prepare` (the rule set and the
services frame as arrays), `scoring` (points per side, split, confidence), `decision` (the
2.x and 1.x decisions), `split` (minutes in whole sessions, alternating weeks), `reasons`,
`tipping` (tipping points), `evidence` (`progress_evidence`), `batch` (`score_frame`),
`recommendation` (the `Recommendation` model), `explain` (its sentences), `one_service`
(`service_frame`, `recommend`), `text` (arrow text columns).
"""

from pushin_rules.decide.engine.batch import score_frame
from pushin_rules.decide.engine.evidence import fill_template, progress_evidence
from pushin_rules.decide.engine.one_service import recommend, service_frame
from pushin_rules.decide.engine.recommendation import (
    FactorContribution,
    Recommendation,
    Split,
    TippingPoint,
)
from pushin_rules.decide.engine.vocabulary import (
    CONFIDENCES,
    DECISION_RULES,
    EVIDENCE_COLUMNS,
    GOAL_DECISIONS,
    HYBRID,
    NO_DATA,
    NOT_RATED,
    NOT_RATED_HEADLINE,
    PULL_OUT,
    PUSH_IN,
    REASON_PRESUMPTION,
    REASON_PROGRESS,
    RECOMMENDATIONS,
    REQUIRED_COLUMNS,
    SCORE_COLUMNS,
    SPLIT_PATTERNS,
)

__all__ = [
    "CONFIDENCES",
    "DECISION_RULES",
    "EVIDENCE_COLUMNS",
    "GOAL_DECISIONS",
    "HYBRID",
    "NOT_RATED",
    "NOT_RATED_HEADLINE",
    "NO_DATA",
    "PULL_OUT",
    "PUSH_IN",
    "REASON_PRESUMPTION",
    "REASON_PROGRESS",
    "RECOMMENDATIONS",
    "REQUIRED_COLUMNS",
    "SCORE_COLUMNS",
    "SPLIT_PATTERNS",
    "FactorContribution",
    "Recommendation",
    "Split",
    "TippingPoint",
    "fill_template",
    "progress_evidence",
    "recommend",
    "score_frame",
    "service_frame",
]
