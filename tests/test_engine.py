"""The engine, rule by rule, on services small enough to check by hand: rule set 1.0.0, kept so
decisions recorded under it rescore exactly as they were made (2.0.0: test_engine_v2.py).

1.0.0 weights: intensity 1.5, distraction_sensitivity 1, specialized_setting 1.25, every
push-in factor 1. Thresholds: min_pull_out_points 2, close_call_margin 1.5, clear_margin 4.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pushin_rules.decide.engine import (
    EVIDENCE_COLUMNS,
    SCORE_COLUMNS,
    Recommendation,
    progress_evidence,
    recommend,
    score_frame,
    service_frame,
)
from pushin_rules.decide.rules import RuleSet, load_rules_version
from pushin_rules.models import FACTORS, Service


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules_version("1.0.0")


def make(service_id: str = "S1", minutes: int = 60, session: int = 30, **ratings: int) -> Service:
    return Service(
        service_id=service_id,
        student_id="ST1",
        service="speech_language",
        minutes_per_week=minutes,
        session_minutes=session,
        **ratings,
    )


def frame(*services: Service) -> pd.DataFrame:
    return pd.concat([service_frame(s) for s in services], ignore_index=True)


def with_thresholds(rules: RuleSet, **changes) -> RuleSet:
    return rules.model_copy(update={"thresholds": rules.thresholds.model_copy(update=changes)})


# ----------------------------------------------------------------------- the decision


def test_nothing_pulling_out_is_push_in_by_presumption(rules: RuleSet) -> None:
    answer = recommend(make(curriculum_link=1), rules)
    assert answer.recommendation.value == "push_in"
    assert (answer.push_in_minutes, answer.pull_out_minutes) == (60, 0)
    assert answer.rule == "presumption"
    assert answer.confidence == "clear"
    assert answer.reasons == ["curriculum_link", "lre_presumption"]
    assert "34 CFR 300.114" in answer.rule_sentence


def test_a_slight_pull_out_reason_does_not_take_the_student_out(rules: RuleSet) -> None:
    answer = recommend(make(intensity=1), rules)
    assert answer.recommendation.value == "push_in"
    assert answer.rule == "presumption"
    assert "slight" in answer.rule_sentence and "1.5 points" in answer.rule_sentence
    assert answer.reasons == ["lre_presumption"]
    # The tipping point says what would change it: at 2 (3 points, nothing against) it
    # clearly outweighs the classroom.
    assert [(t.factor, t.to_rating, t.new_recommendation.value) for t in answer.tipping_points][
        :1
    ] == [("intensity", 2, "pull_out")]


def test_pull_out_when_pull_out_reasons_clearly_outweigh(rules: RuleSet) -> None:
    answer = recommend(make(intensity=3, specialized_setting=2, generalization=1), rules)
    # 4.5 + 2.5 = 7 against 1: a margin of 6.
    assert answer.recommendation.value == "pull_out"
    assert (answer.pull_out_points, answer.push_in_points, answer.score) == (7.0, 1.0, 6.0)
    assert answer.confidence == "clear"
    assert answer.reasons == ["intensity", "specialized_setting"]
    assert answer.split.pull_out_sessions == 2


def test_strong_reasons_on_both_sides_give_a_hybrid_following_the_balance(
    rules: RuleSet,
) -> None:
    # pull 4.5 + 2 = 6.5, push 3 + 2 = 5; 6.5 / 11.5 of 4 sessions = 2.26 -> 2 out.
    answer = recommend(
        make(minutes=120, intensity=3, distraction_sensitivity=2, generalization=3, social_goals=2),
        rules,
    )
    assert answer.recommendation.value == "hybrid"
    assert answer.rule == "both_strong"
    assert (answer.split.pull_out_sessions, answer.split.push_in_sessions) == (2, 2)
    assert (answer.pull_out_minutes, answer.push_in_minutes) == (60, 60)


def test_the_split_leans_with_the_points(rules: RuleSet) -> None:
    # pull 4.5 + 3 + 3.75 = 11.25 vs push 3: 0.79 of 4 sessions = 3.2 -> 3 out, 1 in.
    answer = recommend(
        make(
            minutes=120,
            intensity=3,
            distraction_sensitivity=3,
            specialized_setting=3,
            removal_distress=3,
        ),
        rules,
    )
    assert answer.recommendation.value == "hybrid"
    assert (answer.pull_out_minutes, answer.push_in_minutes) == (90, 30)
    assert answer.confidence == "clear"


def test_a_close_call_is_a_hybrid(rules: RuleSet) -> None:
    answer = recommend(make(intensity=2, generalization=2, social_goals=1), rules)
    assert answer.recommendation.value == "hybrid"
    assert answer.rule == "close_call"
    assert answer.confidence == "close_call"
    assert answer.score == 0.0


def test_leftover_minutes_stay_in_class_and_minutes_add_up(rules: RuleSet) -> None:
    # 100 min in 30-min sessions: 3 whole sessions and 10 minutes over.
    answer = recommend(make(minutes=100, intensity=2, social_goals=2, curriculum_link=1), rules)
    assert answer.recommendation.value == "hybrid"
    assert answer.split.remainder_minutes == 10
    assert (answer.pull_out_minutes, answer.push_in_minutes) == (30, 70)
    assert "10 minutes" in answer.split.sentence


def test_a_single_session_cannot_be_split(rules: RuleSet) -> None:
    strong_both = dict(intensity=3, distraction_sensitivity=2, generalization=3)
    answer = recommend(make(minutes=30, **strong_both), rules)
    assert answer.rule == "single_session"
    assert answer.recommendation.value == "pull_out"  # 6.5 against 3
    assert answer.pull_out_minutes == 30
    assert "only one full session" in answer.rule_sentence
    # 50 minutes in 30-minute sessions is still one whole session.
    assert recommend(make(minutes=50, **strong_both), rules).rule == "single_session"
    # A tie on a single session stays in class.
    tie = recommend(make(minutes=30, intensity=2, generalization=3), rules)
    assert (tie.rule, tie.recommendation.value) == ("single_session", "push_in")


@pytest.mark.parametrize(
    ("rounding", "expected_out"),
    [("nearest", 30), ("down", 30), ("up", 60)],
)
def test_split_rounding_comes_from_the_rules(
    rules: RuleSet, rounding: str, expected_out: int
) -> None:
    # pull 3 vs push 3 over 3 sessions: 1.5 sessions out.
    custom = with_thresholds(rules, split_rounding=rounding)
    answer = recommend(make(minutes=90, intensity=2, social_goals=2, curriculum_link=1), custom)
    assert answer.pull_out_minutes == expected_out


def test_thresholds_come_from_the_rules(rules: RuleSet) -> None:
    service = make(intensity=2, generalization=1)  # 3 vs 1
    assert recommend(service, rules).recommendation.value == "pull_out"
    wide = with_thresholds(rules, close_call_margin=2.5, clear_margin=5.0)
    assert recommend(service, wide).recommendation.value == "hybrid"
    strict = with_thresholds(rules, min_pull_out_points=3.5)
    assert recommend(service, strict).recommendation.value == "push_in"


def test_confidence_levels(rules: RuleSet) -> None:
    assert recommend(make(intensity=3, generalization=1), rules).confidence == "leaning"  # 3.5
    assert recommend(make(intensity=3, distraction_sensitivity=1), rules).confidence == "clear"


# ----------------------------------------------------------------------- explanation


def test_tipping_points_are_the_smallest_single_changes(rules: RuleSet) -> None:
    # pull 4.5 + 1 = 5.5 vs push 1: pull_out. Intensity 3 -> 2 gives 4 vs 1, still pull_out;
    # 3 -> 1 gives 2.5 vs 1, a close call: hybrid.
    answer = recommend(make(intensity=3, distraction_sensitivity=1, generalization=1), rules)
    assert answer.recommendation.value == "pull_out"
    by_factor = {t.factor: t for t in answer.tipping_points}
    assert (by_factor["intensity"].to_rating, by_factor["intensity"].new_recommendation.value) == (
        1,
        "hybrid",
    )
    assert by_factor["intensity"].sentence == (
        "If the rating for intensity of instruction were 1 instead of 3, this would become hybrid."
    )
    assert not {"staffing_limit", "collaboration_limit", "classroom_crowding"} & set(by_factor)
    steps = [abs(t.to_rating - t.from_rating) for t in answer.tipping_points]
    assert steps == sorted(steps)


def test_the_issue_example_tipping_point(rules: RuleSet) -> None:
    # Intensity alone decides: at 1 it is too slight and the service becomes push-in.
    answer = recommend(make(intensity=3, generalization=1, missed_core_instruction=1), rules)
    lowered = [t for t in answer.tipping_points if t.factor == "intensity"]
    assert [(t.to_rating, t.new_recommendation.value) for t in lowered] == [(2, "hybrid")]
    plain = recommend(make(intensity=3), rules)
    assert [
        (t.from_rating, t.to_rating, t.new_recommendation.value)
        for t in plain.tipping_points
        if t.factor == "intensity"
    ] == [(3, 1, "push_in")]
    assert (
        "If the rating for intensity of instruction were 1 instead of 3, this would become push-in."
        in [t.sentence for t in plain.tipping_points]
    )


def test_contributions_explain_every_factor(rules: RuleSet) -> None:
    answer = recommend(make(intensity=3, generalization=2, classroom_crowding=3), rules)
    by_key = {c.key: c for c in answer.contributions}
    assert set(by_key) == set(FACTORS)
    intensity = by_key["intensity"]
    assert (intensity.rating, intensity.points, intensity.direction) == (3, 4.5, "pull_out")
    assert intensity.sentence == rules.factor("intensity").because
    assert intensity.meaning == rules.factor("intensity").meanings[3]
    assert intensity.sources == list(rules.factor("intensity").sources)
    # 4.5 against 2: pull_out, so only intensity is a reason; reasons come first.
    assert answer.recommendation.value == "pull_out"
    assert [c.key for c in answer.contributions if c.counts] == ["intensity"]
    assert answer.contributions[0].key == "intensity"
    assert not by_key["generalization"].counts
    crowding = by_key["classroom_crowding"]
    assert crowding.points == 0 and not crowding.counts


def test_feasibility_notes_depend_on_the_setting_used(rules: RuleSet) -> None:
    needs = dict(intensity=3, specialized_setting=2)  # pull_out
    answer = recommend(make(**needs, classroom_crowding=3, staffing_limit=2), rules)
    assert answer.recommendation.value == "pull_out"
    assert answer.feasibility_factors == ["staffing_limit"]  # no classroom visit to crowd
    assert answer.feasibility_notes == [rules.factor("staffing_limit").notes["pull_out"]]
    in_class = recommend(make(curriculum_link=3, classroom_crowding=3, staffing_limit=1), rules)
    assert in_class.feasibility_factors == ["classroom_crowding"]  # staffing 1 is routine
    assert "Plan where in the room" in in_class.feasibility_notes[0]


def test_implementation_ratings_change_nothing_but_the_notes(rules: RuleSet) -> None:
    needs = dict(minutes=90, intensity=3, distraction_sensitivity=2, generalization=3)
    plain = score_frame(frame(make(**needs)), rules)
    strained = score_frame(
        frame(make(**needs, staffing_limit=3, collaboration_limit=3, classroom_crowding=3)), rules
    )
    same = [c for c in SCORE_COLUMNS if c != "feasibility_notes"]
    pd.testing.assert_frame_equal(plain[same], strained[same])
    assert strained.at[0, "feasibility_notes"] == (
        "staffing_limit;collaboration_limit;classroom_crowding"
    )


def test_recommendation_is_json_and_carries_the_rules(rules: RuleSet) -> None:
    answer = recommend(make(intensity=2, generalization=3, staffing_limit=3), rules)
    data = json.loads(json.dumps(answer.model_dump(mode="json")))
    assert data["recommendation"] == answer.recommendation.value
    assert data["rules_hash"] == rules.file_hash
    assert (data["rules_name"], data["rules_version"]) == (rules.name, rules.version)
    assert Recommendation.model_validate(data) == answer
    text = answer.explanation()
    assert answer.rule_sentence in text and rules.file_hash[:12] in text
    assert "{" not in text


def test_recommend_accepts_a_district_row(rules: RuleSet) -> None:
    row = service_frame(make(intensity=3, specialized_setting=2)).iloc[0].to_dict()
    row["current_model"] = ""
    row["provider_id"] = ""
    assert recommend(row, rules).recommendation.value == "pull_out"


# ----------------------------------------------------------------------- batch frame


def test_score_frame_columns_order_and_empty_input(rules: RuleSet) -> None:
    services = frame(make("A", intensity=3), make("B", curriculum_link=2), make("C"))
    scored = score_frame(services, rules)
    assert tuple(scored.columns) == SCORE_COLUMNS
    assert scored["service_id"].tolist() == ["A", "B", "C"]
    assert scored["recommendation"].tolist() == ["pull_out", "push_in", "push_in"]
    assert scored["reasons"].tolist() == [
        "intensity",
        "curriculum_link;lre_presumption",
        "lre_presumption",
    ]
    # Lowering intensity to 1 loses the reason; any push-in factor at 3 makes both sides strong.
    assert (
        scored["tipping_points"]
        .iloc[0]
        .startswith("intensity 3->1: push_in;generalization 0->3: hybrid;")
    )
    empty = score_frame(services.iloc[:0], rules)
    assert tuple(empty.columns) == SCORE_COLUMNS and empty.empty


def test_score_frame_rejects_a_frame_without_the_rating_columns(rules: RuleSet) -> None:
    services = frame(make()).drop(columns=["removal_distress"])
    with pytest.raises(ValueError, match="removal_distress"):
        score_frame(services, rules)


# ----------------------------------------------------------------------- progress evidence


def summary(*goals: dict) -> pd.DataFrame:
    defaults = {
        "points": 10,
        "last_setting": "",
        "four_point_detail": "last 4 scores all below the aimline: off track",
        "trend_detail": "trend +0.40 per week vs +1.10 needed: flatter than the aimline",
    }
    return pd.DataFrame([{**defaults, **g} for g in goals])


def test_progress_evidence_per_service(rules: RuleSet) -> None:
    services = frame(
        make("CH", intensity=1, curriculum_link=2),
        make("RP"),
        make("RI"),
        make("IN"),
        make("NO"),
    )
    services["current_model"] = ["push_in", "pull_out", "push_in", "push_in", "push_in"]
    goals = summary(
        {"goal_id": "G1", "service_id": "CH", "decision": "change", "last_setting": "push_in"},
        {"goal_id": "G2", "service_id": "CH", "decision": "continue"},
        {"goal_id": "G3", "service_id": "RP", "decision": "raise_goal"},  # current pull_out
        {"goal_id": "G4", "service_id": "RI", "decision": "raise_goal", "last_setting": "push_in"},
        {"goal_id": "G5", "service_id": "IN", "decision": "insufficient_data", "points": 3},
        {"goal_id": "G9", "service_id": "ELSEWHERE", "decision": "change"},
    )
    evidence = progress_evidence(services, goals, rules).set_index("service_id")
    assert tuple(evidence.reset_index().columns) == EVIDENCE_COLUMNS
    assert evidence["progress_decision"].to_dict() == {
        "CH": "change",
        "RP": "raise_goal",
        "RI": "raise_goal",
        "IN": "insufficient_data",
        "NO": "no_data",
    }
    assert evidence["evidence_points"].to_dict() == {
        "CH": 2.0,
        "RP": -2.0,
        "RI": 0.0,
        "IN": 0.0,
        "NO": 0.0,
    }
    ch = evidence.at["CH", "evidence_note"].split("\n")
    assert len(ch) == 2
    assert ch[0].startswith("Goal G1: last 4 scores all below the aimline")
    assert "in the classroom is not enough" in ch[0]
    assert "separate room" in evidence.at["RP", "evidence_note"]
    # each goal gets the sentence of its own decision: G2 is on track, G4 ahead in class
    assert ch[1].startswith("Goal G2:") and "Progress is on track" in ch[1]
    assert "is ahead of the goal line" in evidence.at["RI", "evidence_note"]
    assert "on track" not in evidence.at["RI", "evidence_note"]
    assert "not enough progress data" in evidence.at["IN", "evidence_note"]
    assert evidence.at["NO", "evidence_note"] == rules.wording.evidence_none


def test_progress_evidence_moves_the_recommendation_and_is_a_reason(rules: RuleSet) -> None:
    service = make("CH", minutes=90, intensity=1, generalization=1, curriculum_link=3)
    goals = summary(
        {"goal_id": "G1", "service_id": "CH", "decision": "change", "last_setting": "push_in"}
    )
    evidence = progress_evidence(service_frame(service), goals, rules)
    before = recommend(service, rules)
    after = recommend(service, rules, evidence)
    assert before.recommendation.value == "push_in"
    assert after.recommendation.value == "hybrid"
    assert "progress_evidence" in after.reasons
    assert after.progress_used and after.progress_decision == "change"
    assert any("last 4 scores all below the aimline" in s for s in after.progress_evidence)
    assert before.progress_evidence == [rules.wording.evidence_none]
    # Evidence only ever adds a reason: pull-out minutes still have one.
    assert after.pull_out_minutes > 0


def test_goal_outpaced_in_pull_out_moves_toward_class(rules: RuleSet) -> None:
    service = make("RP", intensity=2, distraction_sensitivity=1, generalization=2)
    goals = summary(
        {"goal_id": "G1", "service_id": "RP", "decision": "raise_goal", "last_setting": "pull_out"}
    )
    evidence = progress_evidence(service_frame(service), goals, rules)
    assert recommend(service, rules).recommendation.value == "pull_out"
    moved = recommend(service, rules, evidence)
    assert moved.recommendation.value == "hybrid"
    assert "progress_evidence" in moved.reasons


def test_score_frame_reads_evidence_by_service_id(rules: RuleSet) -> None:
    services = frame(make("A", intensity=1), make("B", intensity=1))
    evidence = pd.DataFrame(
        {
            "service_id": ["B"],
            "evidence_points": [2.0],
            "progress_decision": ["change"],
            "evidence_note": ["Goal G: off track."],
        }
    )
    scored = score_frame(services, rules, evidence)
    assert scored["recommendation"].tolist() == ["push_in", "pull_out"]
    assert scored["progress_used"].tolist() == [False, True]
    assert scored["progress_decision"].tolist() == ["no_data", "change"]
    assert scored.at[1, "reasons"] == "progress_evidence;intensity"
    assert np.isclose(scored.at[1, "pull_out_points"], 3.5)
