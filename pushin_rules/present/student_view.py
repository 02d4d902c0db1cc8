"""One student's services, recommendations, goal views and LRE summary, as the Student and Meeting
pages show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.present.words import lre_label

if TYPE_CHECKING:
    from pushin_rules.decide.engine import FactorContribution, Recommendation
    from pushin_rules.decide.progress import GoalAnalysis
    from pushin_rules.decide.rules import RuleSet
    from pushin_rules.models import Goal


def reasons(rec: Recommendation) -> list[FactorContribution]:
    """The factor contributions that are reasons for this recommendation, strongest first."""
    return [c for c in rec.contributions if c.counts]


@dataclass(frozen=True)
class ReasonLine:
    """One reason as a page lists it: the sentence and its sources (shown as help)."""

    text: str
    sources: str


def reasons_by_side(rec: Recommendation) -> list[tuple[str, list[ReasonLine]]]:
    """The reasons grouped under the side they pull toward (a hybrid has reasons on both),
    pull-out first, then push-in, then school logistics; sides without a reason left out."""
    from pushin_rules.present.words import SIDE_LABELS, cap, source_list

    found = reasons(rec)
    out = []
    for side in ("pull_out", "push_in", "implementation"):
        lines = [
            ReasonLine(
                f"{cap(item.label)} (rated {item.rating}): {item.sentence}",
                source_list(item.sources),
            )
            for item in found
            if item.direction == side
        ]
        if lines:
            out.append((SIDE_LABELS[side], lines))
    return out


def student_services(district: District, student_id: str) -> pd.DataFrame:
    """The student's rows of the services frame, in the district's order."""
    return district.services[district.services["student_id"] == student_id]


def student_recommendations(
    district: District, rules: RuleSet, goals: pd.DataFrame | None, student_id: str
) -> list[Recommendation]:
    """The full recommendation (reasons, tipping points, evidence) for each of the student's
    services, through the same engine and progress evidence as the district batch."""
    from pushin_rules.decide.engine import progress_evidence, recommend

    services = student_services(district, student_id)
    if services.empty:
        return []
    evidence = progress_evidence(services, goals, rules)
    return [recommend(district.service(sid), rules, evidence) for sid in services["service_id"]]


@dataclass(frozen=True)
class GoalView:
    """One goal of a service with its scores and analysis, ready for the progress graph.

    `title` is short ("Goal 1: percent accuracy") so it fits a narrow chart; `description` is
    the goal's own text, empty in de-identified mode (free text may name the student).
    """

    goal: Goal
    points: list[Any]
    analysis: GoalAnalysis
    title: str
    description: str

    @property
    def verdict(self) -> str:
        """The goal's progress verdict for practitioners (Student page): the decision, what it
        rests on, likelihood, reliability and the setting comparison."""
        from pushin_rules.present.words import technical_progress

        return technical_progress(self.analysis)

    @property
    def family_verdict(self) -> str:
        """The same verdict in a family's words (Meeting page, take-home summary)."""
        from pushin_rules.present.words import family_progress

        return family_progress(self.analysis)


def goal_views(
    district: District, service_id: str, settings: Any = None, deidentified: bool = False
) -> list[GoalView]:
    """Each goal of a service with its scores and analysis."""
    from pushin_rules.decide.progress import analyse_goal

    out = []
    for number, goal in enumerate(district.goals_of(service_id), start=1):
        points = district.progress_of(goal.goal_id)
        analysis = analyse_goal(goal, points, settings)
        title = f"Goal {number}: {goal.measure or 'score'}"
        description = "" if deidentified else goal.description
        out.append(GoalView(goal, points, analysis, title, description))
    return out


def lre_summary(recs: pd.DataFrame, student_id: str) -> dict[str, Any] | None:
    """The student's LRE percentage and category today and if the recommendations are
    adopted, read from the district's recommendation frame (None without services)."""
    rows = recs[recs["student_id"] == student_id]
    if rows.empty:
        return None
    first = rows.iloc[0]

    def get(name: str) -> Any:
        return first[name] if name in rows.columns else None

    return {
        "now": get("lre_percent_now"),
        "now_category": lre_label(get("lre_category_now")),
        "adopted": get("lre_percent_inside"),
        "adopted_category": lre_label(get("lre_category")),
    }
