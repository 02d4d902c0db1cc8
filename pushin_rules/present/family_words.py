"""Words for families: the Meeting page and the take-home summary in short sentences, without
the practitioners' terms (no aimline, no four-point rule, no rate of improvement, no goal ids).

Progress sentences come from `words` (the progress wording lives there); this module says the
rest: where a service happens, why, how sure the tool is, what the school will set up, what
the team decided and what happens next, and who to ask. Aim: a parent reads it at about a
grade 6-8 level (tests compute the Flesch-Kincaid grade of a generated summary).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SERVICES: dict[str, str] = {
    "speech_language": "Speech and language therapy",
    "occupational_therapy": "Occupational therapy (OT)",
    "physical_therapy": "Physical therapy (PT)",
    "counseling": "Counseling",
    "setss": "Extra help from a special-education teacher (SETSS)",
}

# Where the service happens, as a parent says it; the practitioners' word in brackets so the
# family can match it with what the team says aloud.
PLACES: dict[str, str] = {
    "push_in": "In class (push-in)",
    "pull_out": "In a small room (pull-out)",
    "hybrid": "Split between class and a small room (hybrid)",
}

DEFINITIONS: tuple[tuple[str, str], ...] = (
    ("In class (push-in)", "The helper works with your child in the classroom, during the lesson."),
    (
        "In a small room (pull-out)",
        "Your child leaves class for a while. The helper works with your child in a quiet room.",
    ),
    ("Split (hybrid)", "Some minutes each week are in class. The rest are in a small room."),
    (
        "Time with classmates",
        "The law says your child should learn with classmates as much as works for your "
        "child. Time out of class needs a good reason.",
    ),
)

# One short reason per need factor, said to the family ("your child").
REASONS: dict[str, str] = {
    "intensity": "Your child needs a lot of focused practice. A small room fits in more "
    "practice turns.",
    "distraction_sensitivity": "A busy class makes it hard for your child to focus on this. "
    "A quiet room helps.",
    "specialized_setting": "Some of this work needs special tools or privacy that a class "
    "does not have.",
    "generalization": "The goal is to use the skill in class. Practice in class helps the "
    "skill stick.",
    "social_goals": "The goal is about getting along with classmates. Classmates help your "
    "child practice.",
    "curriculum_link": "The goal is part of the class lesson. The helper can coach your child "
    "during that lesson.",
    "missed_core_instruction": "Leaving class at these times would mean missing key lessons.",
    "removal_distress": "Your child does not like leaving class. Help in class avoids that.",
}

SIDES: dict[str, str] = {
    "push_in": "Reasons for class",
    "pull_out": "Reasons for a small room",
}

# What the school will set up, by implementation factor (staffing never changes the
# suggestion; the family is told so).
SCHOOL_TASKS: dict[str, str] = {
    "staffing_limit": "The school will find times when the helper is free. Your child still "
    "gets every minute.",
    "collaboration_limit": "The teacher and the helper will plan together, so the teacher can "
    "keep using the same ideas.",
    "classroom_crowding": "The school will find a spot in the room where the helper can work.",
}
SCHOOL_TASKS_NOTE = (
    "Staff and rooms never decide where your child gets help. Your child's needs decide."
)

CONFIDENCE: dict[str, str] = {
    "clear": "The reasons point clearly one way.",
    "leaning": "The reasons lean one way, but not by much.",
    "close_call": "This is a close call. The team's view matters most here.",
}

INTRO = (
    "This page says where your child gets each service. It says what the team decided and "
    "what happens next. A computer tool made a suggestion. The team, with you, makes the "
    "choice."
)
NOT_DECIDED = "The team has not decided yet."
NEXT_NOT_DECIDED = "The team will decide together. You are part of that choice."
NEXT_DECIDED = (
    "The school will set up this plan. Staff will keep checking how your child is doing. "
    "If progress is slow, the team will meet to talk about a change."
)


def place(model: object) -> str:
    code = str(getattr(model, "value", model) or "")
    return PLACES.get(code, code.replace("_", " ").capitalize() or "Not decided")


def service_name(kind: object) -> str:
    code = str(getattr(kind, "value", kind) or "")
    return SERVICES.get(code, code.replace("_", " ").capitalize())


def minutes_words(push_in: object, pull_out: object, pattern: object = "weekly") -> str:
    """'30 minutes a week in class and 30 in a small room'. One session a week that
    alternates settings (`pattern` alternating_weeks; the minutes are weekly averages) is
    said as what happens: in class one week, in a small room the next."""
    inside, outside = _int(push_in), _int(pull_out)
    if pattern == "alternating_weeks" and inside and outside:
        return (
            f"{2 * inside} minutes in class one week and {2 * outside} minutes "
            "in a small room the next week"
        )
    if inside and outside:
        return f"{inside} minutes a week in class and {outside} in a small room"
    if outside:
        return f"all {outside} minutes a week in a small room"
    return f"all {inside} minutes a week in class"


def confidence(value: object, fallback: str = "") -> str:
    code = str(getattr(value, "value", value) or "")
    return CONFIDENCE.get(code, fallback)


def reasons(contributions: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(side heading, sentence) for each factor that is a reason for the suggestion, in the
    engine's order (strongest first); a factor without family words keeps its own sentence."""
    out = []
    for item in contributions:
        if not item.get("counts"):
            continue
        side = str(item.get("direction", ""))
        if side not in SIDES:
            continue
        text = REASONS.get(str(item.get("key", "")), str(item.get("sentence", "")))
        if text:
            out.append((SIDES[side], text))
    return out


def school_tasks(contributions: list[Mapping[str, Any]], notes: list[str]) -> list[str]:
    """What the school will set up, one short line per school factor behind the engine's
    feasibility notes (none when the engine gave no note)."""
    if not notes:
        return []
    tasks = []
    for item in contributions:
        key = str(item.get("key", ""))
        wanted = item.get("direction") == "implementation" and key in SCHOOL_TASKS
        if wanted and int(item.get("rating") or 0) >= 2 and SCHOOL_TASKS[key] not in tasks:
            tasks.append(SCHOOL_TASKS[key])
    return tasks or list(notes)


def contact(case_manager: str, deidentified: bool) -> str:
    """Who to ask, named unless the display is de-identified."""
    name = " ".join(str(case_manager or "").split())
    if name and not deidentified:
        return f"Ask {name}, your child's case manager."
    return "Ask your child's case manager."


def decided(decision: str, model: object, push_in: object, pull_out: object) -> str:
    """'The team chose: In class (push-in), all 60 minutes a week in class.'"""
    verb = "The team agreed with the suggestion" if decision == "adopted" else "The team chose"
    return f"{verb}: {place(model)}, {minutes_words(push_in, pull_out)}."


def lre(percent: object) -> str:
    try:
        value = float(percent)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if value != value:  # NaN
        return ""
    return f"Your child spends about {value:.0f}% of the school week in the regular class."


def lre_today(who: str, now: object, adopted: object) -> str:
    """'Today Student 7QKD spends about 90% of the school week in the regular class. If the
    team follows every suggestion below, it would be about 95%.'"""
    now_text, adopted_text = _percent(now), _percent(adopted)
    if not now_text:
        return ""
    sentence = f"Today {who} spends about {now_text} of the school week in the regular class."
    if adopted_text and adopted_text != now_text:
        sentence += (
            f" If the team follows every suggestion below, it would be about {adopted_text}."
        )
    elif adopted_text:
        sentence += " Following every suggestion below keeps it the same."
    return sentence


def _percent(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if number != number else f"{number:.0f}%"


def _int(value: object) -> int:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    return 0 if number != number else round(number)


# ------------------------------------------------------------------ readability


def syllables(word: str) -> int:
    """Syllables in an English word by the usual vowel-group count (good enough for a grade
    level: a silent final e is dropped, but not the e of a final "le", a syllable of its own)."""
    word = re.sub(r"[^a-z]", "", word.lower())
    if not word:
        return 0
    if len(word) <= 3:
        return 1
    trimmed = re.sub(r"(?:[^laeiouy]es|[^laeiouy]ed|[^laeiouy]e)$", "", word)
    trimmed = re.sub(r"^y", "", trimmed)
    return max(1, len(re.findall(r"[aeiouy]+", trimmed)))


def plain_text(markdown: str) -> str:
    """Markdown reduced to its sentences: no images, markup or escapes; list items and
    headings end as sentences."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", markdown)
    lines = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(#+|[-*]|\d+\.)\s+", "", line).strip()
        if not line or set(line) <= {"-", "*", "_"}:
            continue
        line = line.replace("\\", "").replace("**", "").replace("*", "")
        if not re.search(r"[.!?]$", line):
            line += "."
        lines.append(line)
    return "\n".join(lines)


def flesch_kincaid_grade(text: str) -> float:
    """Flesch-Kincaid grade level: 0.39 * words per sentence + 11.8 * syllables per word
    - 15.59 (Kincaid et al. 1975)."""
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if re.search(r"[A-Za-z]", s)]
    words = re.findall(r"[A-Za-z]+(?:['’-][A-Za-z]+)*", text)
    if not sentences or not words:
        return 0.0
    count = sum(syllables(part) for word in words for part in re.split(r"[-'’]", word))
    return 0.39 * len(words) / len(sentences) + 11.8 * count / len(words) - 15.59
