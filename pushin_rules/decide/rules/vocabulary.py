"""The rule set's fixed names: ratings, directions, settings, service families, age bands,
the placeholders each sentence may use, and the strict base of every table model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pushin_rules.models import ServiceType

RATINGS: tuple[int, ...] = (0, 1, 2, 3)
DIRECTIONS: tuple[str, ...] = ("pull_out", "push_in", "implementation")
SETTINGS: tuple[str, ...] = ("push_in", "pull_out")
MODIFIED_SUFFIX = "+modified"
SERVICE_FAMILIES: tuple[str, ...] = tuple(s.value for s in ServiceType)
AGE_BANDS: tuple[str, ...] = ("elementary", "secondary")
# Placeholders a factor's `because` sentence may use (filled per service by the engine).
BECAUSE_FIELDS: set[str] = {"group_size", "place"}

# Placeholders each wording template may use (the engine fills exactly these).
_POINTS = {"pull_out_points", "push_in_points", "min_pull_out_points"}
_EVIDENCE = {"goal_id", "four_point_detail", "trend_detail", "setting_phrase", "points"}
_SPLIT = {"place", "minutes_per_week"}
WORDING_FIELDS: dict[str, set[str]] = {
    "rule_presumption_none": _POINTS,
    "rule_presumption_slight": _POINTS,
    "rule_both_strong": _POINTS,
    "rule_close_call": _POINTS,
    "rule_balance_pull_out": _POINTS,
    "rule_balance_push_in": _POINTS,
    "rule_single_session": _POINTS | {"recommendation"},
    "split_push_in": _SPLIT,
    "split_pull_out": _SPLIT,
    "split_hybrid": _SPLIT
    | {
        "push_in_minutes",
        "pull_out_minutes",
        "push_in_sessions",
        "pull_out_sessions",
        "sessions",
    },
    "split_alternating": _SPLIT
    | {"session_minutes", "month_sessions", "month_push_in_minutes", "month_pull_out_minutes"},
    "split_remainder": {"remainder"},
    "confidence_clear": set(),
    "confidence_leaning": set(),
    "confidence_close_call": set(),
    "tipping_point": {"label", "factor", "from_rating", "to_rating", "new_recommendation"},
    "no_tipping_point": set(),
    "evidence_change": _EVIDENCE,
    "evidence_raise_goal_pull_out": _EVIDENCE,
    "evidence_raise_goal": _EVIDENCE,
    "evidence_continue": _EVIDENCE,
    "evidence_insufficient": _EVIDENCE,
    "evidence_none": set(),
    "rule_privacy": _POINTS | {"service"},
    "rule_transition": _POINTS,
    "rule_comparable": _POINTS,
    "evidence_change_pull_out": _EVIDENCE,
    "evidence_transition": _EVIDENCE,
    "evidence_goal_met": _EVIDENCE,
    "evidence_carry_over": _EVIDENCE,
    "evidence_review": _EVIDENCE,
    "dose_group": {"group_size", "percent"},
    "setting_push_in": set(),
    "setting_pull_out": set(),
    "setting_unknown": set(),
    "feasibility_intro": set(),
    "reason_progress_evidence": set(),
    "reason_lre_presumption": set(),
    "sentence_lre_presumption": set(),
}


class _Strict(BaseModel):
    """Base of every table model: frozen, no unknown keys, no silent type coercion."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def _message(source: str, problems: list[str]) -> str:
    """A RulesError message: a heading and one "  - table.key: problem" line each."""
    count = len(problems)
    head = f"{source} has {count} problem{'s' if count != 1 else ''}:"
    return "\n".join([head, *(f"  - {p}" for p in problems)])
