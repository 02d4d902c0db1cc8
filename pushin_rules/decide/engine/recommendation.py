"""The recommendation for one service with its explanation, as a JSON-serialisable model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pushin_rules.models import DeliveryModel


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
