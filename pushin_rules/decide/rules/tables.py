"""The numeric and wording tables of a rule set: `[thresholds]`, `[staffing]`,
`[wording]`, `[privacy]`, `[secondary]`, `[dose]` and the default `[places]`."""

from __future__ import annotations

import itertools
import string
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from pushin_rules.decide.rules.vocabulary import SERVICE_FAMILIES, WORDING_FIELDS, _Strict
from pushin_rules.models import FACTORS, NATURAL_SETTINGS


class Thresholds(_Strict):
    """Every number the recommendation uses (see the comments in rules.toml)."""

    min_pull_out_points: float = Field(ge=0)
    strong_rating: int = Field(ge=1, le=3)
    hybrid_when_both_strong: bool
    close_call_margin: float = Field(ge=0)
    clear_margin: float = Field(ge=0)
    split_rounding: Literal["nearest", "down", "up"]
    feasibility_note_from: int = Field(ge=1, le=3)
    evidence_change_points: float = Field(ge=0)
    evidence_raise_goal_points: float = Field(ge=0)
    lre_80_cutoff: float = Field(ge=0, le=100)
    lre_40_cutoff: float = Field(ge=0, le=100)
    # Rule sets 2.x (defaults keep a 1.x file loadable; 1.x ignores them):
    # a pull-out reason counts only when some pull-out factor is rated this high (a rating
    # of 1 means "fits in class"), or progress evidence calls for more intensity.
    moderate_rating: int = Field(default=2, ge=1, le=3)
    # The sides are comparable (a hybrid) when the smaller has more than this share of the
    # larger; otherwise the larger side takes every minute.
    comparable_ratio: float = Field(default=0.5, gt=0, lt=1)
    # One-sided results are `clear` when the winning side has at least this share of all
    # points, otherwise `leaning`.
    clear_share: float = Field(default=0.8, gt=0.5, le=1)
    # A service with one whole session a week that calls for a split alternates settings
    # week by week (false: the session goes where the balance points).
    alternate_weeks: bool = True
    # A carry-over gap (therapy-room scores clearly above classroom scores) adds these
    # push-in points.
    evidence_carry_over_points: float = Field(default=2.0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.clear_margin < self.close_call_margin:
            raise ValueError(
                f"clear_margin ({self.clear_margin:g}) cannot be below close_call_margin "
                f"({self.close_call_margin:g})"
            )
        if self.lre_40_cutoff >= self.lre_80_cutoff:
            raise ValueError(
                f"lre_40_cutoff ({self.lre_40_cutoff:g}) must be below lre_80_cutoff "
                f"({self.lre_80_cutoff:g})"
            )
        return self


class StaffingRules(_Strict):
    push_in_students_together: int = Field(ge=1, le=50)
    pull_out_divide_by_group_size: bool
    near_capacity_share: float = Field(gt=0, le=2)


class Wording(_Strict):
    """Sentence templates of the explanation; placeholders are checked on load."""

    rule_presumption_none: str
    rule_presumption_slight: str
    rule_both_strong: str
    rule_close_call: str
    rule_balance_pull_out: str
    rule_balance_push_in: str
    rule_single_session: str
    split_push_in: str
    split_pull_out: str
    split_hybrid: str
    split_remainder: str
    split_alternating: str = (
        "Alternating weeks: one week the {session_minutes}-minute session is {place}, the "
        "next week in a separate room (about {month_push_in_minutes} minutes a month {place} "
        "and {month_pull_out_minutes} in a separate room)."
    )
    confidence_clear: str
    confidence_leaning: str
    confidence_close_call: str
    tipping_point: str
    no_tipping_point: str
    evidence_change: str
    evidence_raise_goal_pull_out: str
    evidence_raise_goal: str
    evidence_continue: str
    evidence_insufficient: str
    evidence_none: str
    rule_privacy: str = (
        "This work needs privacy the classroom cannot give, so all minutes are in a private room."
    )
    rule_transition: str = (
        "Progress data show the skill is growing in the separate room, so at least one "
        "session moves into class for carry-over."
    )
    rule_comparable: str = (
        "The reasons on each side are comparable ({pull_out_points} points for a separate "
        "room, {push_in_points} for the classroom), so the minutes are split."
    )
    evidence_change_pull_out: str = (
        "Goal {goal_id}: {four_point_detail}; {trend_detail}. More time out of class is not "
        "the lever: look at how often sessions happen, how long they are, the group size and "
        "the method."
    )
    evidence_transition: str = (
        "Goal {goal_id}: {four_point_detail}; {trend_detail}. Plan the move toward class: at "
        "least one session in class, and re-rate intensity and using the skill in class."
    )
    evidence_goal_met: str = (
        "Goal {goal_id}: {four_point_detail}; {trend_detail}. The goal is met; the data do "
        "not call for a change of setting."
    )
    evidence_carry_over: str = (
        "Goal {goal_id}: scores in the separate room are clearly above scores in class (a "
        "carry-over gap), so the rules add weight toward more practice in class."
    )
    dose_group: str = (
        "In a group of {group_size}, each student gets only a share of the practice turns, so "
        "this counts at {percent}% of its weight."
    )
    evidence_review: str = (
        "Goal {goal_id}: {four_point_detail}; {trend_detail}. The data are not clear enough "
        "to move the recommendation yet; the team reviews them."
    )
    setting_push_in: str
    setting_pull_out: str
    setting_unknown: str
    feasibility_intro: str
    reason_progress_evidence: str
    reason_lre_presumption: str
    sentence_lre_presumption: str

    @model_validator(mode="after")
    def _placeholders(self) -> Wording:
        for name, allowed in WORDING_FIELDS.items():
            text = getattr(self, name)
            try:
                used = {field for _, field, _, _ in string.Formatter().parse(text) if field}
            except ValueError as error:
                raise ValueError(
                    f"{name}: {error} (write a literal brace as {{{{ or }}}})"
                ) from None
            unknown = sorted(used - allowed)
            if unknown:
                known = ", ".join("{" + f + "}" for f in sorted(allowed)) or "none"
                raise ValueError(
                    f"{name}: unknown placeholder {', '.join('{' + u + '}' for u in unknown)}"
                    f"; this sentence may use {known}"
                )
        return self


class Privacy(_Strict):
    """Work that needs privacy at any age: at the highest `specialized_setting` rating these
    services / natural settings get no in-class minutes."""

    rating: int = Field(default=3, ge=1, le=3)
    services: tuple[str, ...] = Field(default=(), strict=False)
    natural_settings: tuple[str, ...] = Field(default=(), strict=False)

    @model_validator(mode="after")
    def _known(self) -> Privacy:
        bad = [s for s in self.services if s not in SERVICE_FAMILIES]
        bad += [s for s in self.natural_settings if s not in NATURAL_SETTINGS]
        if bad:
            raise ValueError(f"unknown service or setting {', '.join(map(repr, bad))}")
        return self


class Secondary(_Strict):
    """How secondary school (grades `from_grade`-12) is weighed: factor weights that differ."""

    from_grade: int = Field(default=6, ge=1, le=12)
    weights: dict[str, float] = Field(default_factory=dict)

    @field_validator("weights", mode="before")
    @classmethod
    def _weights(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError("must be a table factor = weight")
        out = {}
        for key, weight in value.items():
            if key not in FACTORS:
                raise ValueError(f"unknown factor {key!r}")
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise ValueError(f"{key}: {weight!r} must be a number, 0 or more")
            out[key] = float(weight)
        return out


class Dose(_Strict):
    """Group size and intensity: a pull-out group shares the provider's practice turns."""

    # intensity's weight is multiplied by entry [group_size - 1]; the last entry applies to
    # larger groups. Non-increasing, so a bigger group never strengthens the argument.
    intensity_by_group_size: tuple[float, ...] = Field(default=(1.0,), min_length=1, strict=False)

    @model_validator(mode="after")
    def _non_increasing(self) -> Dose:
        values = self.intensity_by_group_size
        if any(v < 0 or v > 1 for v in values):
            raise ValueError("intensity_by_group_size: each entry must be between 0 and 1")
        if any(b > a for a, b in itertools.pairwise(values)):
            raise ValueError("intensity_by_group_size: entries must not increase")
        return self


DEFAULT_PLACES: dict[str, str] = {
    "classroom": "in the classroom",
    "pe": "in PE class",
    "playground": "on the playground",
    "lunchroom": "in the lunchroom",
    "hallway": "in the hallways and on the stairs",
    "bathroom": "in the student's own bathroom routine",
    "community": "in the community",
}
