"""Progress in words: one verdict, said for practitioners (Student page) and for a family
(Meeting page, take-home summary), that never contradicts its likelihood or its rules."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from pushin_rules.data.loader import load_district
from pushin_rules.decide.progress import DECISIONS, analyse_goal, default_settings, goal_summary
from pushin_rules.models import Goal, ProgressPoint
from pushin_rules.present import student_view, words

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
JARGON = ("aimline", "four-point", "four point", "roi", "theil", "least squares", "_")
CASES = Path(__file__).parent / "progress_cases"


@pytest.fixture(scope="module")
def district():
    return load_district(SAMPLE)


def test_every_decision_has_labels_and_answers() -> None:
    for decision in DECISIONS:
        assert decision in words.PROGRESS_LABELS
        assert decision in words.WORKING
        assert decision in words.FAMILY_WORKING
    assert words.progress_label("goal_met") == "Goal met"
    assert words.model_working("review").startswith("Unclear")
    assert words.family_working("goal_met") == "Yes: the goal has been reached."
    assert words.family_working("") == "No progress scores for this service yet."


def test_sample_verdicts_never_contradict_their_rules_or_likelihood(district) -> None:
    settings = default_settings()
    summary = goal_summary(district)
    on_track = summary[summary["decision"].isin(["continue", "raise_goal"])]
    # "On track" never sits beside rules that say otherwise or an unlikely projection.
    assert (on_track["four_point"] == on_track["decision"]).all()
    assert (on_track["trend_rule"] == on_track["decision"]).all()
    known = on_track["likelihood"].dropna()
    assert (known >= settings.on_track_min_likelihood).all()
    change = summary[summary["decision"] == "change"]
    assert (change["four_point"] == "change").all() and (change["trend_rule"] == "change").all()
    assert (change["likelihood"].dropna() <= settings.off_track_max_likelihood).all()
    # goal_met is never change; every verdict sentence starts with its decision.
    for row in summary.itertuples():
        assert row.decision_detail, row.goal_id
        if row.decision in ("change", "review", "continue", "raise_goal"):
            assert row.decision_detail.startswith(row.decision.replace("_", " ")), row.goal_id
    # Projections stay inside the measure's range.
    percent = summary["measure"].str.contains("percent")
    assert summary.loc[percent, "projected_at_target"].dropna().between(0, 100).all()
    assert (summary["projected_at_target"].dropna() >= 0).all()


def test_family_sentences_have_no_jargon_and_agree_with_the_verdict(district) -> None:
    seen = set()
    for service_id in district.services["service_id"]:
        for view in student_view.goal_views(district, service_id):
            analysis = view.analysis
            family = view.family_verdict
            lowered = family.lower()
            for word in JARGON:
                assert word not in lowered, (word, family)
            assert analysis.goal_id not in family
            assert words.plain_progress(analysis) == family
            decision = analysis.decision
            seen.add(decision)
            if decision == "continue":
                assert family.startswith("Progress is on pace")
            elif decision == "change":
                assert family.startswith("Progress is slower")
            elif decision == "goal_met":
                assert family.startswith("The goal has been reached")
                assert "Chance" not in family
            elif decision == "review":
                assert family.startswith("The signs are mixed")
            # The technical verdict of the same goal starts with the same decision.
            if decision != "insufficient_data":
                assert view.verdict.lower().startswith(decision.replace("_", " ")), view.verdict
    assert {"change", "continue", "goal_met", "review"} <= seen


def goal(**changes: object) -> Goal:
    fields = {
        "goal_id": "G-7",
        "service_id": "SV1",
        "measure": "percent accuracy",
        "target": 80,
        "target_date": dt.date(2026, 1, 19),
    }
    return Goal(**{**fields, **changes})


def points(values: list[float], settings: list[str | None] | None = None) -> list[ProgressPoint]:
    settings = settings or [None] * len(values)
    return [
        ProgressPoint(
            goal_id="G-7", date=dt.date(2025, 9, 1) + dt.timedelta(days=7 * i), score=v, setting=s
        )
        for i, (v, s) in enumerate(zip(values, settings, strict=True))
    ]


def test_family_review_names_both_signs() -> None:
    # The rules_disagree case: recent scores above the line, pace too slow.
    the_goal = goal(measure="words correct per minute", target=40)
    analysis = analyse_goal(the_goal, points([20, 20, 20, 30, 30, 30.5, 30, 30.5, 30.5, 30]))
    assert analysis.decision == "review"
    assert words.family_progress(analysis).startswith(
        "The signs are mixed: the most recent scores are ahead of where they should be, but "
        "the overall pace is too slow. The team will look at the scores together"
    )


def test_family_too_early_after_a_change_blames_nothing() -> None:
    values = [20, 21, 20, 22, 21, 22, 23, 22, 23, 23, 26, 28, 30]
    settings = ["pull_out"] * 10 + ["push_in"] * 3
    analysis = analyse_goal(
        goal(target=46, target_date=dt.date(2026, 3, 30)), points(values, settings)
    )
    assert analysis.decision == "insufficient_data"
    assert words.family_progress(analysis) == (
        "Support changed on 10 November 2025 (now in class); with 3 scores since then it is "
        "too early to tell how the change is working."
    )


def test_family_carry_over_gap_and_first_look() -> None:
    values = [70, 50, 72, 51, 71, 50, 74, 52, 73, 51, 75, 53]
    settings = ["pull_out", "push_in"] * 6
    analysis = analyse_goal(
        goal(target=85, target_date=dt.date(2026, 2, 16)), points(values, settings)
    )
    assert analysis.carry_over_gap
    text = words.family_progress(analysis)
    assert text.endswith(
        "Scores out of class are clearly higher than scores in class: the skill needs more "
        "practice in class."
    )
    early = analyse_goal(
        goal(target=95, target_date=dt.date(2026, 3, 30)), points([30, 36, 42, 48, 54, 60])
    )
    assert words.family_progress(early).endswith("These are early scores, so this is a first look.")
    # Better than 99%, never "about >99%".
    assert "about >" not in words.family_progress(early)
    assert math.isnan(early.likelihood) or "Chance" in words.family_progress(early)


def test_family_lines_for_a_service_name_goals_by_number(district) -> None:
    for service_id in district.services["service_id"][:20]:
        views = student_view.goal_views(district, service_id)
        lines = words.family_progress_lines(views)
        assert len(lines) == len(views)
        for number, (line, view) in enumerate(zip(lines, views, strict=True), start=1):
            assert line.startswith(f"Goal {number}: ")
            assert view.goal.goal_id not in line
            assert line.endswith(view.family_verdict)
