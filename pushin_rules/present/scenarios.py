"""What-if scenarios: a service with changed ratings, minutes or weights, scored and compared; a
school adopting every recommendation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.present.caseload import _school_of, differs_from_current, provider_load
from pushin_rules.present.student_view import reasons
from pushin_rules.present.words import (
    LRE_LABELS,
    SIDE_LABELS,
    _value,
    cap,
    confidence_label,
    headline,
    lre_label,
    model_label,
    percent_text,
    rec_split_text,
)

if TYPE_CHECKING:
    from pushin_rules.decide.engine import Recommendation
    from pushin_rules.decide.rules import RuleSet
    from pushin_rules.models import Service


def service_with(base: Service, **changes: Any) -> Service:
    """A copy of a `models.Service` with some fields changed, validated again (a session
    longer than the week's minutes raises ValueError like any other bad service)."""
    from pushin_rules.models import Service

    data = base.model_dump()
    data.update(changes)
    minutes = int(data["minutes_per_week"])
    data["session_minutes"] = min(int(data["session_minutes"]), minutes)
    current = data.get("current_push_in_minutes")
    if current is not None:
        data["current_push_in_minutes"] = min(int(current), minutes)
    return Service(**data)


def blank_service() -> Service:
    """A new service with every rating at 0, to explore the rules from nothing."""
    from pushin_rules.models import Service

    return Service(
        service_id="new-service",
        student_id="new-student",
        service="speech_language",
        minutes_per_week=60,
        session_minutes=30,
    )


def changed_reasons(before: Recommendation, after: Recommendation) -> list[str]:
    """What changed between two recommendations of the same service, in sentences: the
    model and split, then each factor whose rating or role as a reason changed."""
    lines: list[str] = []
    if (before.recommendation, before.split.pull_out_minutes) != (
        after.recommendation,
        after.split.pull_out_minutes,
    ):
        lines.append(f"Recommendation: {headline(before)} → {headline(after)}.")
    old = {c.key: c for c in before.contributions}
    for c in after.contributions:
        was = old.get(c.key)
        if was is None:
            continue
        if was.rating != c.rating:
            note = ""
            if c.counts and not was.counts:
                note = "; now a reason"
            elif was.counts and not c.counts:
                note = "; no longer a reason"
            lines.append(f"{cap(c.label)}: rated {was.rating} → {c.rating}{note}.")
        elif was.counts != c.counts:
            state = "now a reason" if c.counts else "no longer a reason"
            lines.append(f"{cap(c.label)}: {state}.")
        elif abs(was.points - c.points) > 1e-9:
            lines.append(f"{cap(c.label)}: weight changed ({was.points:g} → {c.points:g} points).")
    if before.progress_used != after.progress_used:
        lines.append(
            "Progress data: " + ("now counted." if after.progress_used else "no longer counted.")
        )
    return lines


def provider_minutes(
    service: Service, push_in: int, pull_out: int, rules: RuleSet | None = None
) -> float:
    """Weekly provider minutes one service takes under a split: push-in minutes are spent in
    the student's own class; pull-out minutes are shared by the group."""
    divide = True
    if rules is not None and getattr(rules, "staffing", None) is not None:
        divide = bool(getattr(rules.staffing, "pull_out_divide_by_group_size", True))
    group = max(1, int(service.group_size)) if divide else 1
    return float(push_in) + float(pull_out) / group


def ratings_table(service: Service, rules: RuleSet) -> pd.DataFrame:
    """The service's ratings in words: factor, which way it pulls, rating, what it means."""
    rows = []
    for factor in rules.factors:
        rating = int(getattr(service, factor.key))
        rows.append(
            {
                "factor": cap(factor.label),
                "pulls": SIDE_LABELS.get(factor.direction, factor.direction),
                "rating": rating,
                "meaning": factor.meanings[rating],
            }
        )
    return pd.DataFrame(rows, columns=["factor", "pulls", "rating", "meaning"])


@dataclass(frozen=True)
class ScenarioResult:
    """One what-if scenario scored: the service as edited, its recommendation, and what that
    means for the student's week and the provider's."""

    name: str
    service: Service
    rec: Recommendation
    lre_percent: float
    lre_category: str
    provider_minutes: float


def lre_category_of(percent: float, rules: RuleSet | None = None) -> str:
    """The federal category of a percentage inside the regular class, in words."""
    from pushin_rules.decide.lre import lre_category

    if math.isnan(percent):
        return ""
    # An array of one: lre_category's scalar path does not return a plain str everywhere.
    return lre_label(str(lre_category(np.array([percent]), rules)[0]))


def score_scenario(
    name: str,
    service: Service,
    rules: RuleSet,
    *,
    evidence: pd.DataFrame | None = None,
    week_minutes: int = 365 * 5,
    other_outside_minutes: float = 0.0,
) -> ScenarioResult:
    """Score one scenario. The LRE percentage counts this service's pull-out minutes plus
    `other_outside_minutes` (the student's other services, as recommended) against the
    school week."""
    from pushin_rules.decide.engine import recommend

    rec = recommend(service, rules, evidence)
    from pushin_rules.decide.lre import percent_inside

    outside = other_outside_minutes + rec.split.pull_out_minutes
    percent = percent_inside(week_minutes, outside) if week_minutes else math.nan
    return ScenarioResult(
        name=name,
        service=service,
        rec=rec,
        lre_percent=percent,
        lre_category=lre_category_of(percent, rules),
        provider_minutes=provider_minutes(
            service, rec.split.push_in_minutes, rec.split.pull_out_minutes, rules
        ),
    )


def compare_scenarios(results: Sequence[ScenarioResult]) -> pd.DataFrame:
    """Scenarios side by side: one column per scenario, one row per thing that matters, and a
    last row listing what changed from the first scenario."""
    if not results:
        return pd.DataFrame()
    first = results[0]
    rows: dict[str, list[str]] = {
        "Recommendation": [],
        "Minutes a week": [],
        "Confidence": [],
        "Points (out of class / in class)": [],
        "Main reasons": [],
        "Time in regular class (LRE)": [],
        "Provider minutes a week": [],
        "Changed from the first": [],
    }
    for result in results:
        rec = result.rec
        rows["Recommendation"].append(model_label(_value(rec.recommendation)))
        rows["Minutes a week"].append(rec_split_text(rec))
        rows["Confidence"].append(confidence_label(rec.confidence))
        rows["Points (out of class / in class)"].append(
            f"{rec.pull_out_points:g} / {rec.push_in_points:g}"
        )
        rows["Main reasons"].append(", ".join(cap(c.label) for c in reasons(rec)[:3]) or "none")
        rows["Time in regular class (LRE)"].append(
            f"{percent_text(result.lre_percent)} ({result.lre_category})"
        )
        rows["Provider minutes a week"].append(f"{result.provider_minutes:,.0f}")
        changed = changed_reasons(first.rec, rec) if result is not first else []
        rows["Changed from the first"].append(
            "\n".join(changed) if changed else ("(the first)" if result is first else "nothing")
        )
    frame = pd.DataFrame(rows, index=[r.name for r in results]).T
    frame.index.name = ""
    return frame


def other_outside_minutes(recs: pd.DataFrame, student_id: str, service_id: str) -> float:
    """Minutes outside the regular class from the student's other services, as recommended."""
    rows = recs[(recs["student_id"] == student_id) & (recs["service_id"] != service_id)]
    return float(rows["pull_out_minutes"].sum()) if not rows.empty else 0.0


def week_minutes_of(district: District, student_id: str) -> int:
    week = district.school_week_minutes()
    return int(week.get(student_id, 365 * 5))


@dataclass(frozen=True)
class SchoolAdoption:
    """What adopting every recommendation at one school changes."""

    services: int
    services_changing: int
    students: int
    students_changing_category: int
    categories: pd.DataFrame  # category, scenario ("Now" / "If adopted"), students
    load: pd.DataFrame  # views.provider_load for the school's services
    minutes_now: float
    minutes_adopted: float


def school_adoption(
    recs: pd.DataFrame, district: District, school_id: str, rules: Any = None
) -> SchoolAdoption:
    """Adopt every recommendation at a school: LRE categories before and after (one row per
    student) and provider minutes under today's and the recommended models."""
    school = recs["student_id"].map(_school_of(district))
    rows = recs[school == school_id]
    per_student = rows.drop_duplicates("student_id")
    now = per_student.get("lre_category_now", pd.Series("", index=per_student.index))
    after = per_student.get("lre_category", pd.Series("", index=per_student.index))
    counts = []
    for scenario, values in (("Now", now), ("If adopted", after)):
        tally = values.fillna("").astype(str).value_counts()
        for code, words in LRE_LABELS.items():
            counts.append(
                {"category": words, "scenario": scenario, "students": int(tally.get(code, 0))}
            )
    load = provider_load(rows, district, rules, school_id)
    return SchoolAdoption(
        services=len(rows),
        services_changing=int(differs_from_current(rows).sum()) if not rows.empty else 0,
        students=len(per_student),
        students_changing_category=int((now.fillna("") != after.fillna("")).sum()),
        categories=pd.DataFrame(counts, columns=["category", "scenario", "students"]),
        load=load,
        minutes_now=float(load["current"].sum()) if not load.empty else 0.0,
        minutes_adopted=float(load["recommended"].sum()) if not load.empty else 0.0,
    )


def school_choices(district: District) -> list[tuple[str, str]]:
    """(school_id, name) of the schools that have students, by name."""
    used = set(district.students["school_id"])
    schools = district.schools[district.schools["school_id"].isin(used)]
    return sorted(zip(schools["school_id"], schools["name"], strict=True), key=lambda p: p[1])


# ------------------------------------------------------------------ rule sets side by side


@dataclass(frozen=True)
class RuleSetComparison:
    """One service scored under two rule sets (for example 1.0.0 and 2.0.0): the table the
    What-if page shows, both recommendations, and what differs between the rule sets."""

    table: pd.DataFrame  # rows: what matters; columns: one per rule set, then "Changed"
    before: Recommendation  # under rules_a
    after: Recommendation  # under rules_b
    changed: bool  # the recommendation or its minutes differ
    rule_changes: list[str]  # weights and thresholds that differ, in words


def compare_rule_sets(
    service: Service,
    rules_a: RuleSet,
    rules_b: RuleSet,
    *,
    evidence: pd.DataFrame | None = None,
    grade: str | None = None,
) -> RuleSetComparison:
    """Score one service under two rule sets and lay them side by side: recommendation,
    minutes, split pattern, confidence, the deciding rule's sentence, points, main reasons,
    the smallest changes that would tip it, and the rules' name, version and hash."""
    from pushin_rules.decide.engine import recommend

    recs = [recommend(service, rules, evidence, grade=grade) for rules in (rules_a, rules_b)]
    columns = [_rule_set_name(rules_a), _rule_set_name(rules_b)]
    if columns[0] == columns[1]:
        columns = [columns[0] + " (A)", columns[1] + " (B)"]
    rows: dict[str, list[str]] = {}
    for rec in recs:
        values = {
            "Recommendation": model_label(_value(rec.recommendation)),
            "Minutes a week": rec_split_text(rec),
            "Weeks": "alternating weeks"
            if getattr(rec, "split_pattern", "weekly") == "alternating_weeks"
            else "the same every week",
            "Confidence": confidence_label(rec.confidence),
            "Why": rec.rule_sentence,
            "Points (out of class / in class)": f"{rec.pull_out_points:g} / {rec.push_in_points:g}",
            "Main reasons": ", ".join(cap(c.label) for c in reasons(rec)[:3]) or "none",
            "What would change it": "; ".join(t.sentence for t in rec.tipping_points[:2])
            or "no single rating change",
            "Rules": f"{rec.rules_name} {rec.rules_version} ({rec.rules_hash[:12]})",
        }
        for key, value in values.items():
            rows.setdefault(key, []).append(value)
    table = pd.DataFrame(rows, index=columns).T
    table["Changed"] = np.where(table[columns[0]] != table[columns[1]], "changed", "")
    table.index.name = ""
    before, after = recs
    changed = (before.recommendation, before.split.pull_out_minutes) != (
        after.recommendation,
        after.split.pull_out_minutes,
    )
    return RuleSetComparison(
        table=table,
        before=before,
        after=after,
        changed=changed,
        rule_changes=rule_set_changes(rules_a, rules_b),
    )


def _rule_set_name(rules: RuleSet) -> str:
    return f"{rules.name} {rules.version}" if rules.name else str(rules.version)


def rule_set_changes(rules_a: RuleSet, rules_b: RuleSet) -> list[str]:
    """Factor weights and thresholds that differ between two rule sets, one line each."""
    lines = []
    for factor in rules_b.need_factors:
        try:
            old = rules_a.factor(factor.key).weight
        except KeyError:
            continue
        if abs(old - factor.weight) > 1e-9:
            lines.append(f"{cap(factor.label)}: weight {old:g} → {factor.weight:g}.")
    a = rules_a.thresholds.model_dump()
    b = rules_b.thresholds.model_dump()
    for key in b:
        if key in a and a[key] != b[key]:
            lines.append(f"Threshold {key}: {a[key]} → {b[key]}.")
    if getattr(rules_a, "format", 1) != getattr(rules_b, "format", 1):
        lines.append(
            f"Decision method: format {getattr(rules_a, 'format', 1)} → "
            f"{getattr(rules_b, 'format', 1)} (see the README, How the recommendation is made)."
        )
    return lines
