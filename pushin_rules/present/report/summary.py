"""A service as the meeting summary shows it (`service_summary`, from an engine
recommendation), and the words and small helpers the Markdown and the PDF share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pushin_rules.present import family_words
from pushin_rules.present.words import SERVICE_LABELS

if TYPE_CHECKING:
    from pushin_rules.data.store import DecisionRecord

MODEL_WORDS: dict[str, str] = family_words.PLACES
DEFINITIONS: tuple[tuple[str, str], ...] = family_words.DEFINITIONS
INTRO = family_words.INTRO
SCHOOL_TASKS_NOTE = family_words.SCHOOL_TASKS_NOTE
TITLE = "Meeting summary: where your child gets help"
CLOSING = "You can ask the team to look at these choices again at any time."


def service_summary(
    recommendation: Mapping[str, Any],
    label: str | None = None,
    goals: Sequence[Mapping[str, str]] | None = None,
) -> dict:
    """The report's service dict from `engine.Recommendation.model_dump(mode="json")`.

    `goals`: [{"description": the goal's own text, "progress": a plain sentence}] for the
    family summary, which names goals by what they say (never by their ids)."""
    split = recommendation.get("split") or {}
    minutes = int(recommendation.get("minutes_per_week", 0))
    kind = str(recommendation.get("service", ""))
    reasons = [
        c["sentence"]
        for c in recommendation.get("contributions", [])
        if c.get("counts") and c.get("sentence")
    ]
    contributions = list(recommendation.get("contributions", []))
    notes = list(recommendation.get("feasibility_notes", []))
    return {
        "service_id": recommendation.get("service_id", ""),
        "label": label or f"{SERVICE_LABELS.get(kind, kind)}, {minutes} minutes a week",
        # The family wording (family_words): the service by its plain name, the reasons by
        # the side they pull, how sure the tool is, and what the school will set up.
        "family_title": f"{family_words.service_name(kind)}: {minutes} minutes a week",
        "family_reasons": family_words.reasons(contributions),
        "family_confidence": family_words.confidence(recommendation.get("confidence")),
        "school_tasks": family_words.school_tasks(contributions, notes),
        "goals": list(goals or []),
        "recommendation": _code(recommendation.get("recommendation")),
        "push_in_minutes": int(split.get("push_in_minutes", 0)),
        "pull_out_minutes": int(split.get("pull_out_minutes", 0)),
        "split_pattern": str(recommendation.get("split_pattern") or "weekly"),
        "confidence": recommendation.get("confidence_sentence")
        or recommendation.get("confidence", ""),
        "reasons": [recommendation.get("rule_sentence", ""), *reasons],
        "feasibility": list(recommendation.get("feasibility_notes", [])),
        "progress": " ".join(recommendation.get("progress_evidence", [])),
    }


def _code(value: object) -> str:
    # Enum members and their values alike ("DeliveryModel.push_in" must never reach a page).
    return str(getattr(value, "value", value) or "")


def _as_dict(record: DecisionRecord | Mapping[str, object]) -> dict:
    if hasattr(record, "model_dump"):
        return record.model_dump()
    return dict(record)


def model_words(model: object) -> str:
    code = _code(model)
    return MODEL_WORDS.get(code, code.replace("_", " ").capitalize() or "Not decided")


def split_words(model: object, push_in: int, pull_out: int) -> str:
    """'30 minutes a week in the classroom and 30 in a separate room'."""
    push_in, pull_out = int(push_in or 0), int(pull_out or 0)
    if push_in and pull_out:
        return f"{push_in} minutes a week in the classroom and {pull_out} in a separate room"
    if pull_out:
        return f"all {pull_out} minutes a week in a separate room"
    return f"all {push_in} minutes a week in the classroom"
