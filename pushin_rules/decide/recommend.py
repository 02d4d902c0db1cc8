"""A whole district's recommendations (progress evidence, scores, LRE) and the
`python -m pushin_rules recommend --data DIR [--rules FILE] --out FILE.csv` command."""

from __future__ import annotations

import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.decide.engine import progress_evidence, score_frame
from pushin_rules.decide.lre import student_lre
from pushin_rules.decide.progress import goal_summary
from pushin_rules.decide.rules import RuleSet, load_rules

# The columns first, in its order; then the extras the pages and storage read.
CSV_COLUMNS: tuple[str, ...] = (
    "service_id",
    "student_id",
    "service",
    "recommendation",
    "push_in_minutes",
    "pull_out_minutes",
    "confidence",
    "score",
    "reasons",
    "feasibility_notes",
    "progress_decision",
    "lre_percent_inside",
    "lre_category",
)
EXTRA_COLUMNS: tuple[str, ...] = (
    "provider_id",
    "minutes_per_week",
    "session_minutes",
    "current_model",
    "current_push_in_minutes",
    "push_in_sessions",
    "pull_out_sessions",
    "pull_out_points",
    "push_in_points",
    "margin",
    "rule",
    "tipping_points",
    "progress_used",
    "progress_note",
    "lre_percent_now",
    "lre_category_now",
    "rules_name",
    "rules_version",
    "rules_hash",
    # Added with rules 2.0 (new columns only ever go at the end):
    # `weekly`: push_in/pull_out minutes are whole sessions every week; `alternating_weeks`:
    # one session a week alternates settings, and the minutes are the weekly average over the
    # two-week cycle (the pull-out half rounded down to a whole minute).
    "split_pattern",
)
RECOMMEND_COLUMNS: tuple[str, ...] = CSV_COLUMNS + EXTRA_COLUMNS


def district_evidence(district: District, rules: RuleSet, trend: str | None = None) -> pd.DataFrame:
    """Per-service progress evidence (`engine.progress_evidence`) from the district's goals."""
    if district.goals.empty:
        return progress_evidence(district.services, None, rules)
    summary = goal_summary(district, rules.progress, trend)
    return progress_evidence(district.services, summary, rules)


def with_grade(district: District) -> pd.DataFrame:
    """The services frame with each student's grade (students.csv) as a `grade` column, which
    the engine reads to weigh grades 6-12 as secondary school."""
    services = district.services
    if "grade" in services.columns or district.students.empty:
        return services
    grades = district.students.set_index("student_id")["grade"]
    grades = grades[~grades.index.duplicated()]
    out = services.copy()
    out["grade"] = services["student_id"].map(grades).fillna("").astype(str).to_numpy()
    return out


def recommend_district(
    district: District, rules: RuleSet | None = None, trend: str | None = None
) -> pd.DataFrame:
    """One row per service (in `district.services` order), columns `RECOMMEND_COLUMNS`.

    `lre_percent_inside` / `lre_category`: the student's week if every recommendation for
    that student is adopted; `lre_percent_now` / `lre_category_now`: as delivered today.
    Percentages are unrounded here (the CSV rounds them to one decimal).
    """
    rules = rules or load_rules()
    services = with_grade(district)
    evidence = district_evidence(district, rules, trend)
    scored = score_frame(services, rules, evidence)
    pull_out = pd.Series(
        scored["pull_out_minutes"].to_numpy(), index=scored["service_id"].to_numpy(dtype=object)
    )
    lre = student_lre(district, pull_out, rules).set_index("student_id")
    student = services["student_id"]
    out = scored.copy()
    for column in (
        "student_id",
        "service",
        "provider_id",
        "minutes_per_week",
        "session_minutes",
        "current_model",
        "current_push_in_minutes",
    ):
        out[column] = services[column].to_numpy()
    out["lre_percent_inside"] = student.map(lre["percent_inside_recommended"]).to_numpy()
    out["lre_category"] = student.map(lre["category_recommended"]).to_numpy()
    out["lre_percent_now"] = student.map(lre["percent_inside_now"]).to_numpy()
    out["lre_category_now"] = student.map(lre["category_now"]).to_numpy()
    out["rules_name"] = rules.name
    out["rules_version"] = rules.version
    out["rules_hash"] = rules.file_hash
    return out[list(RECOMMEND_COLUMNS)]


def csv_frame(recs: pd.DataFrame) -> pd.DataFrame:
    """The frame as written to CSV: percentages to one decimal, points to three, the
    progress note on one line."""
    out = recs.copy()
    for column in ("lre_percent_inside", "lre_percent_now"):
        out[column] = out[column].astype(float).round(1)
    for column in ("score", "margin", "pull_out_points", "push_in_points"):
        out[column] = out[column].astype(float).round(3)
    out["progress_note"] = out["progress_note"].str.replace("\n", " ", regex=False)
    return out


__all__ = [
    "CSV_COLUMNS",
    "EXTRA_COLUMNS",
    "RECOMMEND_COLUMNS",
    "csv_frame",
    "district_evidence",
    "recommend_district",
    "with_grade",
]
