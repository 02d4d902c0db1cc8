"""The trainer: the three arrangements compared, the quiz's questions and scoring, and the
decision map. The content itself (vignettes, arrangements, quiz) is data in `pushin_rules/content/`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pushin_rules import content
from pushin_rules.content import Arrangement, Vignette
from pushin_rules.decide.rules import RuleSet
from pushin_rules.models import Service
from pushin_rules.present.words import model_label, split_text

# pushin_rules/content/arrangements.toml: the comparison, its notes and the sources cited.
_ARRANGED = content.arrangements()
SOURCES: dict[str, str] = _ARRANGED.sources
SOURCE_000 = SOURCES["000"]
SOURCE_001 = SOURCES["001"]
SOURCE_002 = SOURCES["002"]
SOURCE_003 = SOURCES["003"]
SOURCE_LRE = SOURCES["lre"]
SOURCE_STAFFING = SOURCES["staffing"]

ARRANGEMENTS: tuple[Arrangement, ...] = _ARRANGED.arrangements
HYBRID_NOTE = _ARRANGED.hybrid.note
HYBRID_SOURCES: tuple[str, ...] = _ARRANGED.hybrid.sources
STAFFING_NOTE = _ARRANGED.staffing.note

# pushin_rules/content/quiz.toml: the quiz's questions in order, as (vignette key, service index).
QUIZ: tuple[tuple[str, int], ...] = content.quiz()


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


def vignette_services(vignette: Vignette) -> list[Service]:
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


def vignette_title(vignette: Vignette, deidentified: bool = False) -> str:
    """'Case A (grade 2)': a trainer case is named by its letter, never by a person's name.

    The case records carry invented names, and the bundled sample district reuses them for
    its first students, so a name here would read as a district record. `deidentified` is
    kept for callers; the title is the same either way."""
    return f"Case {vignette.key.upper()} (grade {vignette.grade})"


def decision_map_axes(service: Service, rules: RuleSet, keys: list[str]) -> tuple[str, str]:
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


def decision_map(service: Service, rules: RuleSet, x_factor: str, y_factor: str) -> pd.DataFrame:
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
