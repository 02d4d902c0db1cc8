"""The trainer's teaching content: the three arrangements compared in the product's own words,
and the quiz's scoring. Vignettes (the source documents' situations as data) live in `synth.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pushin_rules.present.words import model_label, split_text

SOURCE_000 = "Push-In Support vs Inclusion Classroom in Education"
SOURCE_001 = "Push-in vs. Pull-out Services"
SOURCE_002 = 'Why "Pushing In" Benefits All Learners'
SOURCE_003 = "What is Push-in vs Pull-out Therapy?"
SOURCE_LRE = "IDEA, 34 CFR 300.114 (least restrictive environment)"
SOURCE_STAFFING = "IDEA, 34 CFR 300.116 commentary (placement not based on staffing)"


@dataclass(frozen=True)
class Arrangement:
    """One way of organising support, for the side-by-side comparison."""

    key: str
    name: str
    what_it_is: str
    offers: tuple[str, ...]
    costs: tuple[str, ...]
    fits_when: str
    sources: tuple[str, ...]


ARRANGEMENTS: tuple[Arrangement, ...] = (
    Arrangement(
        key="inclusion",
        name="Inclusion classroom",
        what_it_is=(
            "A way of running the whole class: students with and without disabilities learn "
            "together all day, and the general and special educators plan and teach as a "
            "team. It describes the classroom, not one service."
        ),
        offers=(
            "Belonging: the student is a full member of the class all day.",
            "Grade-level lessons for everyone, adapted as they are planned.",
            "Two educators share responsibility for every student.",
        ),
        costs=(
            "Needs real co-planning time and skilled teamwork every week.",
            "Takes staff and training for the whole classroom, not one student.",
        ),
        fits_when=(
            "A school builds a classroom for mixed needs; individual services such as speech "
            "or OT are still delivered push-in or pull-out inside it."
        ),
        sources=(SOURCE_000,),
    ),
    Arrangement(
        key="push_in",
        name="Push-in",
        what_it_is=(
            "The provider comes into the general-education classroom and supports the student "
            "during the lesson. The classroom teacher leads; the specialist works alongside."
        ),
        offers=(
            "The skill is practised where it is used, so it carries over to real routines.",
            "No lost lesson time and no walk down the hall in front of classmates.",
            "The teacher sees the strategies and keeps using them between sessions.",
            "Classmates model language, behaviour and social moves in the moment.",
        ),
        costs=(
            "Less one-to-one focus; a busy room competes for attention.",
            "Depends on the specialist being free at the right lesson, room by room.",
            "A crowded room may have no space for a second adult.",
            "Works only when the two adults find time to plan together.",
        ),
        fits_when=(
            "The goal is tied to the lesson under way, is social, or must generalise, and the "
            "student can work amid the class."
        ),
        sources=(SOURCE_000, SOURCE_001, SOURCE_002, SOURCE_003),
    ),
    Arrangement(
        key="pull_out",
        name="Pull-out",
        what_it_is=(
            "The student leaves class for a therapy room, resource room or another quiet "
            "space, alone or in a small group, then returns."
        ),
        offers=(
            "A quiet, structured room for focused, explicit practice.",
            "A higher dose of targeted work in the same minutes.",
            "Special materials, equipment and privacy (for example articulation drills).",
            "A place to assess a skill without the class looking on.",
        ),
        costs=(
            "The student misses whatever the class is doing, often core lessons.",
            "Some students feel singled out and resist leaving, which wastes sessions.",
            "A skill learned in a quiet room may not show up in class without planned carry-over.",
            "Every pull-out minute counts against time in the regular class (LRE).",
        ),
        fits_when=(
            "The student needs intensive, explicit practice, a quiet room or special "
            "equipment, and progress stalls in class."
        ),
        sources=(SOURCE_001, SOURCE_002, SOURCE_003, SOURCE_LRE),
    ),
)

HYBRID_NOTE = (
    "Hybrid is not a vague middle: it splits a service's weekly minutes into whole sessions in "
    "class and whole sessions out of class, for example intensive drill in a quiet room and "
    "practice of the same skill during the lesson."
)
HYBRID_SOURCES: tuple[str, ...] = (SOURCE_001, SOURCE_003)

STAFFING_NOTE = (
    "Staffing, co-planning time and a crowded room make a plan harder to run, but the law does "
    "not allow them to decide where a service happens. The engine shows them as feasibility "
    "notes beside the recommendation, never inside it."
)


@dataclass(frozen=True)
class QuizResult:
    """How a trainee's pick compares with the engine's answer."""

    correct: bool
    close: bool  # one step away (push-in <-> hybrid or hybrid <-> pull-out)
    message: str


_ORDER = {"push_in": 0, "hybrid": 1, "pull_out": 2}
_WORDS = {"push_in": "push-in", "hybrid": "hybrid", "pull_out": "pull-out"}


def score_pick(pick: str, answer: str, close_call: bool = False) -> QuizResult:
    """Score a quiz pick against the engine's recommendation.

    A hybrid and a neighbouring model are one step apart; a close call is said out loud,
    since there the team's judgement matters more than the rules.
    """
    if pick not in _ORDER or answer not in _ORDER:
        raise ValueError("pick and answer must be push_in, hybrid or pull_out")
    if pick == answer:
        message = f"Same as the rules: {_WORDS[answer]}."
        if close_call:
            message += " It is a close call, so a team could reasonably weigh it differently."
        return QuizResult(True, False, message)
    near = abs(_ORDER[pick] - _ORDER[answer]) == 1
    if near:
        message = (
            f"Close: you picked {_WORDS[pick]}, the rules say {_WORDS[answer]}. "
            "Read the reasons below to see which side tipped it."
        )
    else:
        message = (
            f"The rules say {_WORDS[answer]}, the opposite end from your {_WORDS[pick]}. "
            "Read the reasons below."
        )
    return QuizResult(False, near, message)


@dataclass(frozen=True)
class QuizTally:
    asked: int = 0
    correct: int = 0
    close: int = 0

    def add(self, result: QuizResult) -> QuizTally:
        return QuizTally(
            self.asked + 1, self.correct + int(result.correct), self.close + int(result.close)
        )

    def text(self) -> str:
        if not self.asked:
            return "No answers yet."
        return (
            f"{self.correct} of {self.asked} the same as the rules"
            + (f", {self.close} one step away" if self.close else "")
            + "."
        )


def vignette_services(vignette: Any) -> list[Any]:
    """A trainer vignette's services as `models.Service` (ids built from the vignette key)."""
    from pushin_rules.models import Service

    out = []
    for index, item in enumerate(vignette.services, start=1):
        out.append(
            Service(
                service_id=f"case-{vignette.key}-{index}",
                student_id=f"case-{vignette.key}",
                service=item.service,
                minutes_per_week=item.minutes_per_week,
                session_minutes=item.session_minutes,
                group_size=item.group_size,
                current_model=item.current_model or None,
                current_push_in_minutes=item.current_push_in_minutes,
                **item.ratings,
            )
        )
    return out


def vignette_title(vignette: Any, deidentified: bool = False) -> str:
    """'Case A (grade 2)': a trainer case is named by its letter, never by a person's name.

    The case records carry invented names, and the bundled sample district reuses them for
    its first students, so a name here would read as a district record. `deidentified` is
    kept for callers; the title is the same either way."""
    return f"Case {vignette.key.upper()} (grade {vignette.grade})"


def decision_map_axes(service: Any, rules: Any, keys: list[str]) -> tuple[str, str]:
    """The two factors whose map shows the most different answers for this service (ties go
    to the order of `keys`), so the default map is not a single colour."""
    best: tuple[int, str, str] | None = None
    for i, x in enumerate(keys):
        for y in keys[i + 1 :]:
            shown = decision_map(service, rules, x, y)["model"].nunique()
            if best is None or shown > best[0]:
                best = (shown, x, y)
    if best is None:
        raise ValueError("need two factors")
    return best[1], best[2]


@dataclass(frozen=True)
class QuizProgress:
    """Where a trainee is in the quiz: question `index` (0-based) of `total`, and whether
    the quiz is over (after the last question; it never wraps to the first again)."""

    index: int
    total: int

    @property
    def finished(self) -> bool:
        return self.index >= self.total

    def heading(self, tally: QuizTally) -> str:
        if self.finished:
            return "Quiz finished. " + final_score(tally, self.total)
        return f"Question {self.index + 1} of {self.total}. " + tally.text()


def final_score(tally: QuizTally, total: int) -> str:
    """'You matched the rules on 5 of 7 questions (6 answered, 1 one step away).'"""
    extra = [f"{tally.asked} answered"] if tally.asked != total else []
    if tally.close:
        extra.append(f"{tally.close} one step away")
    return f"You matched the rules on {tally.correct} of {total} questions" + (
        f" ({', '.join(extra)})." if extra else "."
    )


SHORT_MODEL: dict[str, str] = {"push_in": "IN", "hybrid": "SPLIT", "pull_out": "OUT"}


def decision_map(service: Any, rules: Any, x_factor: str, y_factor: str) -> pd.DataFrame:
    """The recommendation for every pair of ratings (0-3) of two factors, the service's other
    ratings held fixed: 16 services scored in one batch by the engine.

    Columns x, y (ratings), model (code), recommendation (label), split (text), short (cell
    text), current (True where the pair is the service's own ratings).
    """
    from pushin_rules.decide.engine import score_frame, service_frame

    if x_factor == y_factor:
        raise ValueError("pick two different factors")
    base = service_frame(service)
    grid = base.loc[base.index.repeat(16)].reset_index(drop=True)
    xs = np.tile(np.arange(4), 4)
    ys = np.repeat(np.arange(4), 4)
    grid[x_factor] = xs
    grid[y_factor] = ys
    grid["service_id"] = [f"cell-{x}-{y}" for x, y in zip(xs, ys, strict=True)]
    scored = score_frame(grid, rules)
    own_x, own_y = int(getattr(service, x_factor)), int(getattr(service, y_factor))
    model = scored["recommendation"].astype(str)
    return pd.DataFrame(
        {
            "x": xs,
            "y": ys,
            "model": model.to_numpy(),
            "recommendation": model.map(model_label).to_numpy(),
            "split": [
                split_text(a, b)
                for a, b in zip(scored["push_in_minutes"], scored["pull_out_minutes"], strict=True)
            ],
            "short": model.map(SHORT_MODEL).to_numpy(),
            "current": (xs == own_x) & (ys == own_y),
        }
    )
