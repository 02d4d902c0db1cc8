"""Words the pages and documents use: labels for services, models, ratings and roles; how a split,
a confidence, a percentage and a progress decision are said.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pushin_rules.decide.engine import Recommendation

if TYPE_CHECKING:
    from pushin_rules.decide.progress import GoalAnalysis
    from pushin_rules.decide.rules import Factor, RuleSet
    from pushin_rules.models import Service


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
    "review": "Review: the signs disagree",
    "continue": "Continue: on track",
    "raise_goal": "Raise the goal: ahead",
    "goal_met": "Goal met",
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


def factor_label(key: str, rules: RuleSet | None = None) -> str:
    """A factor's label from the rule set when it has one, else its key in words."""
    meta = factor_meta(rules, key)
    text = getattr(meta, "label", None) if meta is not None else None
    return str(text) if text else key.replace("_", " ").capitalize()


def factor_meta(rules: RuleSet, key: str) -> Factor:
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


def rec_split_text(rec: Recommendation) -> str:
    """A recommendation's minutes as a parent reads them. One session a week that alternates
    settings (`split_pattern` alternating_weeks) carries weekly averages in its minutes; it is
    said as what happens: the whole session in class one week, out of class the next."""
    push_in, pull_out = _int(rec.split.push_in_minutes), _int(rec.split.pull_out_minutes)
    if getattr(rec, "split_pattern", "weekly") == "alternating_weeks" and push_in and pull_out:
        return (
            f"{2 * push_in} min in class one week, {2 * pull_out} min out of class the next "
            "(alternating weeks)"
        )
    return split_text(push_in, pull_out)


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


def headline(rec: Recommendation) -> str:
    """'Hybrid: 30 min in class + 30 min out of class'."""
    return f"{model_label(_value(rec.recommendation))}: " + rec_split_text(rec)


CONFIDENCE_LABELS: dict[str, str] = {
    "clear": "Clear",
    "leaning": "Leaning",
    "close_call": "Close call",
}


def current_text(service: Service) -> str:
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


def term_lines(rules: RuleSet | None = None) -> list[str]:
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
    "review": (
        "Unclear: the progress rules disagree (or the likelihood contradicts them), so the team "
        "should look at the scores together before changing anything."
    ),
    "continue": "Yes: progress is on track for the goal.",
    "raise_goal": "Yes: progress is ahead of the goal line; the goal could be raised.",
    "goal_met": "Yes: the goal is met; plan the next step (a new goal, or practice in class).",
    "insufficient_data": "Too early to tell: not enough scores yet.",
    "no_data": "No progress data for this service yet.",
}
# The same answers in words a family follows (no "goal line", no rule names).
FAMILY_WORKING: dict[str, str] = {
    "change": "Not yet: progress is slower than the goal needs, so the plan should change.",
    "review": "Not clear yet: the recent scores and the overall pace point different ways.",
    "continue": "Yes: progress is on pace to reach the goal.",
    "raise_goal": "Yes: progress is ahead of pace; the team may set a higher goal.",
    "goal_met": "Yes: the goal has been reached.",
    "insufficient_data": "Too early to tell: there are not enough scores yet.",
    "no_data": "No progress scores for this service yet.",
}


def model_working(decision: object) -> str:
    """The answer to "is today's model working?" from a service's progress decision (the
    most urgent among its goals)."""
    return WORKING.get(str(_value(decision) or "no_data"), progress_label(decision) + ".")


def family_working(decision: object) -> str:
    """`model_working` in family words, for the Meeting page and the take-home summary."""
    return FAMILY_WORKING.get(str(_value(decision) or "no_data"), progress_label(decision) + ".")


def _num(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _day(value: Any) -> str:
    return f"{value.day} {value:%B %Y}" if value is not None else ""


def _amount(value: float, measure: str) -> str:
    return f"{_num(value)} {measure}".strip() if measure else _num(value)


_PLACE = {"push_in": "in class", "pull_out": "out of class", "": ""}


def family_likelihood(analysis: GoalAnalysis) -> str:
    """The chance of reaching the goal, said so that it agrees with the verdict: no chance is
    given for a goal already met or too early to judge (it would say nothing the verdict does
    not), and the number is the one the verdict was checked against."""
    if analysis.decision in ("goal_met", "insufficient_data"):
        return ""
    p = float(getattr(analysis, "likelihood", math.nan))
    if math.isnan(p):
        return ""
    text = str(getattr(analysis, "likelihood_text", "") or f"{p:.0%}")
    if text.startswith(">"):
        text = "better than " + text[1:]
    elif text.startswith("<"):
        text = "less than " + text[1:]
    else:
        text = "about " + text
    return f"Chance of reaching the goal by {_day(analysis.target_date)}: {text}."


def family_progress(analysis: GoalAnalysis) -> str:
    """One verdict about a goal in words a family follows: no "aimline", "four-point rule",
    "ROI" or goal ids. Derived from the same verdict as the technical sentence
    (`technical_progress`), so the two never disagree."""
    measure = str(getattr(analysis, "measure", "") or "")
    decrease = getattr(analysis, "direction", "increase") == "decrease"
    goal = _amount(analysis.target, measure)
    by = _day(analysis.target_date)
    projected = float(getattr(analysis, "projected_at_target", math.nan))
    pace = (
        f" At this pace the score would be about {_amount(projected, measure)} by {by} "
        f"(the goal is {goal}{', lower is better' if decrease else ''})."
        if not math.isnan(projected)
        else ""
    )
    decision = analysis.decision
    if decision == "goal_met":
        sentence = (
            f"The goal has been reached: the recent scores are at or "
            f"{'below' if decrease else 'above'} the goal of {goal}."
        )
    elif decision == "change":
        sentence = "Progress is slower than the goal needs, so the plan should change." + pace
    elif decision == "continue":
        sentence = "Progress is on pace to reach the goal." + pace
    elif decision == "raise_goal":
        sentence = "Progress is ahead of pace; the team may set a higher goal." + pace
    elif decision == "review":
        four, trend = analysis.four_point, analysis.trend_rule
        if four != trend and "insufficient_data" not in (four, trend):
            recent = {
                "change": "the most recent scores are behind where they should be",
                "raise_goal": "the most recent scores are ahead of where they should be",
                "continue": "the most recent scores are mixed",
            }[four]
            overall = {
                "change": "the overall pace is too slow",
                "raise_goal": "the overall pace is faster than needed",
                "continue": "the overall pace is about right",
            }[trend]
            sentence = (
                f"The signs are mixed: {recent}, but {overall}. The team will look at the "
                "scores together before changing anything."
            )
        else:
            sentence = (
                "The signs are mixed: the pace and the chance of reaching the goal point "
                "different ways. The team will look at the scores together before changing "
                "anything." + pace
            )
    else:
        phase_start = getattr(analysis, "judged_start", None)
        if getattr(analysis, "judged_phase", False) and phase_start is not None:
            place = _PLACE.get(str(getattr(analysis, "last_setting", "")), "")
            count = int(getattr(analysis, "judged_points", 0))
            sentence = (
                f"Support changed on {_day(phase_start)}"
                f"{f' (now {place})' if place else ''}; with {count} "
                f"score{'' if count == 1 else 's'} since then it is too early to tell how the "
                "change is working."
            )
        elif int(getattr(analysis, "points", 0)) == 0:
            sentence = "There are no scores yet."
        else:
            sentence = "There are not enough scores yet to judge progress."
    chance = family_likelihood(analysis)
    if chance:
        sentence += " " + chance
    if getattr(analysis, "carry_over_gap", False):
        sentence += (
            " Scores out of class are clearly higher than scores in class: the skill needs "
            "more practice in class."
        )
    first_look = "treat this as a first look" in str(getattr(analysis, "reliability", ""))
    if first_look and decision != "insufficient_data":
        sentence += " These are early scores, so this is a first look."
    return sentence


def family_progress_lines(views: Iterable[Any]) -> list[str]:
    """One family sentence per goal of a service ("Goal 1: percent accuracy: The goal has been
    reached..."), for the take-home summary. `views` are `student_view.GoalView`s (anything
    with `.title` and `.analysis`); titles carry the goal's number and measure, never its id."""
    return [f"{view.title}: {family_progress(view.analysis)}" for view in views]


def plain_progress(analysis: GoalAnalysis) -> str:
    """One sentence a parent can follow about a goal's progress (the family wording; the
    Meeting page shows it under each graph)."""
    return family_progress(analysis)


def technical_progress(analysis: GoalAnalysis) -> str:
    """The verdict for practitioners (Student page): the decision with what it rests on, the
    likelihood, how reliable the numbers are, and the setting comparison when there is one."""
    detail = str(getattr(analysis, "decision_detail", "") or "")
    parts = [cap(detail) + "." if detail else progress_label(analysis.decision) + "."]
    likelihood = str(getattr(analysis, "likelihood_text", "") or "")
    if likelihood and "not enough" not in likelihood.lower():
        parts.append(f"Likelihood of meeting the goal by the target date: {likelihood}.")
    reliability = str(getattr(analysis, "reliability", "") or "")
    if reliability:
        parts.append(cap(reliability) + ".")
    compare = str(getattr(analysis, "compare_detail", "") or "")
    if compare:
        parts.append(cap(compare) + ".")
    return " ".join(parts)
