"""Words the pages and documents use: labels for services, models, ratings and roles; how a split,
a confidence, a percentage and a progress decision are said.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

SERVICE_LABELS: dict[str, str] = {
    "speech_language": "Speech-language therapy",
    "occupational_therapy": "Occupational therapy",
    "physical_therapy": "Physical therapy",
    "counseling": "Counseling",
    "setss": "SETSS (special-education teacher support)",
}
MODEL_LABELS: dict[str, str] = {
    "push_in": "Push-in",
    "pull_out": "Pull-out",
    "hybrid": "Hybrid",
    "": "Not set",
}
MODELS: tuple[str, ...] = ("push_in", "hybrid", "pull_out")
PROGRESS_LABELS: dict[str, str] = {
    "change": "Change: not on track",
    "continue": "Continue: on track",
    "raise_goal": "Raise the goal: ahead",
    "insufficient_data": "Too few scores yet",
    "no_data": "No goals with scores",
    "": "No goals with scores",
}
ROLE_LABELS: dict[str, str] = {
    "slp": "Speech-language pathologist",
    "ot": "Occupational therapist",
    "pt": "Physical therapist",
    "counselor": "Counselor",
    "special_educator": "Special educator",
}
LRE_LABELS: dict[str, str] = {
    "80_or_more": "80% or more",
    "40_to_79": "40-79%",
    "under_40": "Less than 40%",
}
RATING_LABELS: dict[int, str] = {0: "0 none", 1: "1 low", 2: "2 moderate", 3: "3 high"}

# Short definitions shown wherever the word appears (the rules file's [terms] win when present).
TERMS: dict[str, str] = {
    "push_in": (
        "Push-in: the provider works with the student inside the general-education classroom, "
        "during the lesson."
    ),
    "pull_out": (
        "Pull-out: the student leaves the classroom for a therapy room or resource room for the "
        "session."
    ),
    "hybrid": (
        "Hybrid: the weekly minutes are split, part in the classroom and part in the therapy room."
    ),
    "lre": (
        "LRE (least restrictive environment): the share of the school week the student spends "
        "inside the regular class; federal reports group it as 80% or more, 40-79%, or less "
        "than 40%."
    ),
}


def label(mapping: Mapping[Any, str], value: object) -> str:
    """The plain-words label of a coded value; unknown codes are made readable, not hidden."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        value = ""
    if value in mapping:
        return mapping[value]
    return str(value).replace("_", " ").capitalize()


def model_label(value: object) -> str:
    return label(MODEL_LABELS, value)


def service_label(value: object) -> str:
    return label(SERVICE_LABELS, value)


def progress_label(value: object) -> str:
    return label(PROGRESS_LABELS, value)


def lre_label(value: object) -> str:
    """'80% or more' for the code '80_or_more'; empty stays empty."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return ""
    return label(LRE_LABELS, value)


def factor_label(key: str, rules: Any = None) -> str:
    """A factor's label from the rule set when it has one, else its key in words."""
    meta = factor_meta(rules, key)
    text = getattr(meta, "label", None) if meta is not None else None
    return str(text) if text else key.replace("_", " ").capitalize()


def factor_meta(rules: Any, key: str) -> Any:
    """The rule set's description of one factor (None when the rule set has none)."""
    if rules is None:
        return None
    factors = getattr(rules, "factors", None)
    if factors is None:
        return None
    if isinstance(factors, Mapping):
        return factors.get(key)
    for item in factors:
        if getattr(item, "key", None) == key:
            return item
    return None


def split_text(push_in: float, pull_out: float) -> str:
    """'30 min in class + 30 min in the therapy room', in the words a parent reads."""
    push_in, pull_out = _int(push_in), _int(pull_out)
    if push_in and pull_out:
        return f"{push_in} min in class + {pull_out} min out of class"
    if push_in:
        return f"{push_in} min a week in class"
    if pull_out:
        return f"{pull_out} min a week out of class"
    return "no minutes"


def _int(value: object) -> int:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    return 0 if math.isnan(number) else round(number)


def confidence_text(value: object) -> str:
    """Confidence as words whether the engine gives a label or a number from 0 to 1."""
    if isinstance(value, str):
        return value.replace("_", " ")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if math.isnan(number):
        return ""
    return f"{number:.0%}" if number <= 1 else f"{number:.0f}"


def _value(value: object) -> object:
    """An enum member's value, anything else unchanged."""
    return getattr(value, "value", value)


def source_list(sources: Iterable[str]) -> str:
    """Source titles as one line: 'Sources: A; B'."""
    titles = [str(s) for s in sources if str(s).strip()]
    return ("Source: " if len(titles) == 1 else "Sources: ") + "; ".join(titles) if titles else ""


def headline(rec: Any) -> str:
    """'Hybrid: 30 min in class + 30 min out of class'."""
    return f"{model_label(_value(rec.recommendation))}: " + split_text(
        rec.split.push_in_minutes, rec.split.pull_out_minutes
    )


CONFIDENCE_LABELS: dict[str, str] = {
    "clear": "Clear",
    "leaning": "Leaning",
    "close_call": "Close call",
}


def current_text(service: Any) -> str:
    """What a service is today, in words: 'Hybrid (30 min in class + 30 min out of class)'."""
    if service.current_model is None:
        return "Not set (a new service)"
    push_in = service.current_push_in
    return (
        f"{model_label(_value(service.current_model))} "
        f"({split_text(push_in, service.minutes_per_week - push_in)})"
    )


def confidence_label(value: object) -> str:
    return label(CONFIDENCE_LABELS, value)


_SOURCE_NUMBERS = {
    "000": "Push-In Support vs Inclusion Classroom in Education",
    "001": "Push-in vs. Pull-out Services",
    "002": 'Why "Pushing In" Benefits All Learners',
    "003": "What is Push-in vs Pull-out Therapy?",
}


def cite_titles(text: str) -> str:
    """Replace '(source 003)' shorthand in a vignette's situation with the source's title."""
    import re

    def title(match: re.Match[str]) -> str:
        found = _SOURCE_NUMBERS.get(match.group(1))
        return f"({found})" if found else match.group(0)

    return re.sub(r"\(source (\d{3})\)", title, text)


SIDE_LABELS: dict[str, str] = {
    "pull_out": "Toward a separate room",
    "push_in": "Toward the classroom",
    "implementation": "School logistics (never changes the recommendation)",
}


def cap(text: str) -> str:
    """First letter upper case ('intensity of instruction' -> 'Intensity of instruction')."""
    return text[:1].upper() + text[1:] if text else text


def term_lines(rules: Any = None) -> list[str]:
    """'Push-in: ...' definitions, the rule set's words where it has them, and LRE."""
    lines = []
    terms = getattr(rules, "terms", None) or {}
    for key in ("push_in", "pull_out", "hybrid"):
        term = terms.get(key) if isinstance(terms, Mapping) else None
        if term is not None:
            lines.append(f"{cap(term.label)}: {term.definition}")
        else:
            lines.append(TERMS[key])
    lines.append(TERMS["lre"])
    return lines


def percent_change(before: object, after: object) -> str | None:
    """'+2.1 points' between two percentages; None when there is no change to show."""
    try:
        difference = float(after) - float(before)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(difference) or abs(difference) < 0.05:
        return None
    return f"{difference:+.1f} points"


def percent_text(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(number) else f"{number:.1f}%"


WORKING: dict[str, str] = {
    "change": "Not yet: scores are below the goal line, so the plan should change.",
    "continue": "Yes: progress is on track for the goal.",
    "raise_goal": "Yes: progress is ahead of the goal line; the goal could be raised.",
    "insufficient_data": "Too early to tell: not enough scores yet.",
    "no_data": "No progress data for this service yet.",
}


def model_working(decision: object) -> str:
    """The answer to "is today's model working?" from a service's progress decision (the
    most urgent among its goals)."""
    return WORKING.get(str(_value(decision) or "no_data"), progress_label(decision) + ".")


def plain_progress(analysis: Any) -> str:
    """One sentence a parent can follow about a goal's progress."""
    words = {
        "change": "Progress is slower than the goal needs, so the plan should change.",
        "continue": "Progress is on track for the goal.",
        "raise_goal": "Progress is ahead of the goal; the team may raise it.",
        "insufficient_data": "There are not enough scores yet to judge progress.",
    }
    sentence = words.get(analysis.decision, progress_label(analysis.decision) + ".")
    likelihood = str(getattr(analysis, "likelihood_text", "") or "")
    if likelihood and "not enough" not in likelihood.lower():
        sentence += f" Likelihood of meeting the goal by the target date: {likelihood}."
    return sentence
