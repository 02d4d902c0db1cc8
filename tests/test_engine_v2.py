"""Rule set 2.0.0, rule by rule, on services small enough to check by hand.

Weights: intensity 1.5, distraction_sensitivity 1, specialized_setting 1.25, every push-in
factor 1; secondary (grades 6-12) removal_distress 0.5; intensity x 0.8 / 0.65 / 0.5 for
groups of 3 / 4 / 5+. Comparable sides: the smaller has more than half the larger's points.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pushin_rules.data.loader import load_district, parse_district
from pushin_rules.decide.engine import (
    EVIDENCE_COLUMNS,
    NOT_RATED,
    SCORE_COLUMNS,
    progress_evidence,
    recommend,
    score_frame,
    service_frame,
)
from pushin_rules.decide.recommend import RECOMMEND_COLUMNS, csv_frame, recommend_district
from pushin_rules.decide.rules import (
    RuleSet,
    load_rules,
    load_rules_version,
    shipped_rules_path,
)
from pushin_rules.errors import DistrictError, RulesError
from pushin_rules.models import FACTORS, Service

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def make(
    service_id: str = "S1",
    minutes: int = 60,
    session: int = 30,
    service: str = "setss",
    **fields: object,
) -> Service:
    return Service(
        service_id=service_id,
        student_id="ST1",
        service=service,
        minutes_per_week=minutes,
        session_minutes=session,
        **fields,
    )


def frame(*services: Service) -> pd.DataFrame:
    return pd.concat([service_frame(s) for s in services], ignore_index=True)


# ----------------------------------------------------------------------- versions


def test_the_shipped_rules_are_2_0_0_and_1_0_0_is_kept(rules: RuleSet) -> None:
    assert (rules.version, rules.format) == ("2.0.0", 2)
    old = load_rules_version("1.0.0")
    assert (old.version, old.format) == ("1.0.0", 1)
    assert old.file_hash != rules.file_hash
    assert load_rules_version("2.0.0").file_hash == rules.file_hash
    assert load_rules_version("1.0.0+modified").version == "1.0.0"
    with pytest.raises(RulesError, match=r"1\.0\.0, 2\.0\.0"):
        load_rules_version("0.9")
    answer = recommend(make(intensity=3), rules)
    assert (answer.rules_version, answer.rules_hash) == ("2.0.0", rules.file_hash)
    assert rules.file_hash[:12] in answer.explanation()


# ----------------------------------------------------------------------- the decision


def test_slight_reasons_never_add_up_to_removal(rules: RuleSet) -> None:
    # 1.5 + 1 + 1.25 = 3.75 points, each rating saying "fits in class": 1.0.0 pulled out.
    service = make(intensity=1, distraction_sensitivity=1, specialized_setting=1)
    assert recommend(service, load_rules_version("1.0.0")).recommendation.value == "pull_out"
    answer = recommend(service, rules)
    assert answer.recommendation.value == "push_in"
    assert (answer.rule, answer.pull_out_minutes, answer.confidence) == (
        "presumption",
        0,
        "clear",
    )
    assert answer.reasons == ["lre_presumption"]
    assert "slight" in answer.rule_sentence and "300.114" in answer.rule_sentence
    # The tipping point names the one change that would matter: a moderate rating.
    assert ("intensity", 2) in [(t.factor, t.to_rating) for t in answer.tipping_points]


def test_strong_comparable_sides_split_following_the_balance(rules: RuleSet) -> None:
    # 6.5 against 5: comparable; 6.5 / 11.5 of 4 sessions = 2.26 -> 2 out.
    answer = recommend(
        make(minutes=120, intensity=3, distraction_sensitivity=2, generalization=3, social_goals=2),
        rules,
    )
    assert (answer.recommendation.value, answer.rule) == ("hybrid", "both_strong")
    assert (answer.pull_out_minutes, answer.push_in_minutes) == (60, 60)
    assert answer.split_pattern == "weekly"


def test_a_one_sided_case_follows_the_balance_even_with_a_strong_rating_against(
    rules: RuleSet,
) -> None:
    # 11.25 against 3: 1.0.0 split 90/30 because both sides had a 3; 2.0.0 follows the balance.
    service = make(
        minutes=120,
        intensity=3,
        distraction_sensitivity=3,
        specialized_setting=3,
        removal_distress=3,
    )
    assert recommend(service, load_rules_version("1.0.0")).pull_out_minutes == 90
    answer = recommend(service, rules)
    assert (answer.recommendation.value, answer.rule, answer.pull_out_minutes) == (
        "pull_out",
        "balance",
        120,
    )
    assert answer.confidence == "leaning"  # 11.25 of 14.25 points = 79%, below clear_share 80%
    assert "clearly outweigh" in answer.rule_sentence


def test_raising_a_push_in_factor_no_longer_adds_pull_out_minutes(rules: RuleSet) -> None:
    # The finding: curriculum_link 2 -> 3 added pull-out minutes under 1.0.0.
    base = dict(
        minutes=90, intensity=3, generalization=2, missed_core_instruction=2, removal_distress=2
    )
    base["curriculum_link"] = 2
    old = load_rules_version("1.0.0")
    before, after = (
        recommend(make(**base), old),
        recommend(make(**{**base, "curriculum_link": 3}), old),
    )
    assert after.pull_out_minutes > before.pull_out_minutes  # the 1.0.0 inconsistency
    before, after = (
        recommend(make(**base), rules),
        recommend(make(**{**base, "curriculum_link": 3}), rules),
    )
    assert after.pull_out_minutes <= before.pull_out_minutes


def test_a_close_call_keeps_leftover_minutes_in_class(rules: RuleSet) -> None:
    answer = recommend(make(minutes=100, intensity=2, social_goals=2, curriculum_link=1), rules)
    assert (answer.recommendation.value, answer.rule, answer.confidence) == (
        "hybrid",
        "close_call",
        "close_call",
    )
    assert (answer.pull_out_minutes, answer.push_in_minutes) == (30, 70)
    assert answer.split.remainder_minutes == 10


# ----------------------------------------------------------------------- privacy


@pytest.mark.parametrize(
    ("service", "natural_setting"),
    [("counseling", ""), ("physical_therapy", "bathroom"), ("occupational_therapy", "bathroom")],
)
def test_privacy_critical_work_gets_no_in_class_minutes(
    rules: RuleSet, service: str, natural_setting: str
) -> None:
    answer = recommend(
        make(
            service=service,
            natural_setting=natural_setting,
            specialized_setting=3,
            removal_distress=3,
            social_goals=3,
            generalization=3,
        ),
        rules,
    )
    assert (answer.recommendation.value, answer.rule, answer.push_in_minutes) == (
        "pull_out",
        "privacy",
        0,
    )
    assert answer.reasons[0] == "specialized_setting"
    assert not {"removal_distress", "social_goals"} & set(answer.reasons)
    assert "privacy" in answer.rule_sentence


def test_equipment_is_not_privacy(rules: RuleSet) -> None:
    # A sensory room for OT in class time is weighed like any other reason: 3.75 against 6.
    answer = recommend(
        make(
            service="occupational_therapy",
            specialized_setting=3,
            social_goals=3,
            generalization=3,
        ),
        rules,
    )
    assert (answer.recommendation.value, answer.rule) == ("hybrid", "both_strong")


def test_counseling_and_pt_have_their_own_sentences(rules: RuleSet) -> None:
    counseling = recommend(make(service="counseling", intensity=2, specialized_setting=3), rules)
    text = counseling.explanation()
    assert "personal matters" in text
    assert "speech sounds" not in text and "practice turns" not in text
    pt = recommend(make(service="physical_therapy", intensity=3, specialized_setting=2), rules)
    text = pt.explanation()
    assert "repetitions" in text and "mats" in text
    assert "speech sounds" not in text and "practice turns" not in text
    speech = recommend(make(service="speech_language", specialized_setting=3, intensity=3), rules)
    assert "speech sounds" in speech.explanation()


def test_no_sentence_contradicts_its_rating(rules: RuleSet) -> None:
    strong_words = (
        "a lot",
        "high dose",
        "cannot",
        "depends on",
        "mainly",
        "every time",
        "strongly",
    )
    families = [
        "speech_language",
        "occupational_therapy",
        "physical_therapy",
        "counseling",
        "setss",
    ]
    for factor in rules.need_factors:
        for family in families:
            for age in ("elementary", "secondary"):
                low = factor.sentence(1, family, age)
                assert not any(w in low.lower() for w in strong_words), (factor.key, family, low)
                assert len({factor.sentence(r, family, age) for r in (1, 2, 3)}) == 3


# ----------------------------------------------------------------------- age and setting


def test_secondary_school_weighs_leaving_class_both_ways(rules: RuleSet) -> None:
    needs = dict(minutes=90, intensity=2, removal_distress=3, curriculum_link=3)
    # Elementary: 3 against 6: in class. Grade 9: 3 against 1.5 + 3 = 4.5: a split.
    young = recommend(make(**needs, grade="3"), rules)
    teen = recommend(make(**needs, grade="9"), rules)
    assert young.recommendation.value == "push_in"
    assert teen.recommendation.value == "hybrid" and teen.push_in_points == 4.5
    sentence = next(c.sentence for c in teen.contributions if c.key == "removal_distress")
    assert "visible too" in sentence
    # The grade can also come with the call (the pages know the student).
    assert recommend(make(**needs), rules, grade="9").recommendation.value == "hybrid"
    missed = recommend(make(missed_core_instruction=3, grade="10"), rules)
    assert "core class" in missed.contributions[0].sentence


def test_the_natural_setting_is_where_push_in_happens(rules: RuleSet) -> None:
    transfers = recommend(
        make(
            service="physical_therapy",
            natural_setting="bathroom",
            generalization=3,
            specialized_setting=1,
        ),
        rules,
    )
    assert transfers.recommendation.value == "push_in"
    assert "bathroom routine" in transfers.headline
    assert "classroom" not in transfers.headline
    recess = recommend(
        make(service="physical_therapy", natural_setting="playground", generalization=2), rules
    )
    assert "on the playground" in recess.contributions[0].sentence


# ----------------------------------------------------------------------- dose


def test_group_size_weakens_the_intensity_argument(rules: RuleSet) -> None:
    # 4.5 against 2 alone: pull-out. In a group of 5: 2.25 against 2, comparable: a split.
    alone = recommend(make(intensity=3, generalization=2), rules)
    group = recommend(make(intensity=3, generalization=2, group_size=5), rules)
    assert alone.recommendation.value == "pull_out"
    assert group.recommendation.value == "hybrid" and group.pull_out_points == 2.25
    sentence = next(c.sentence for c in group.contributions if c.key == "intensity")
    assert "group of 5" in sentence and "50%" in sentence
    assert "group of" not in next(c.sentence for c in alone.contributions if c.key == "intensity")


def test_a_once_a_week_split_alternates_weeks(rules: RuleSet) -> None:
    answer = recommend(make(minutes=30, intensity=3, generalization=3), rules)
    assert answer.recommendation.value == "hybrid"
    assert answer.split_pattern == "alternating_weeks" == answer.split.pattern
    # Weekly average over the two-week cycle; one session of each per two weeks.
    assert (answer.pull_out_minutes, answer.push_in_minutes) == (15, 15)
    assert (answer.split.pull_out_sessions, answer.split.push_in_sessions) == (1, 1)
    assert "alternating weeks" in answer.headline and "a month" in answer.headline
    scored = score_frame(frame(make(minutes=30, intensity=3, generalization=3)), rules)
    assert scored.at[0, "split_pattern"] == "alternating_weeks"
    # A district that does not alternate: the session goes where the balance points.
    fixed = rules.model_copy(
        update={"thresholds": rules.thresholds.model_copy(update={"alternate_weeks": False})}
    )
    single = recommend(make(minutes=30, intensity=3, generalization=3), fixed)
    assert (single.rule, single.recommendation.value) == ("single_session", "pull_out")


# ----------------------------------------------------------------------- not rated


def test_a_service_nobody_rated_gets_no_recommendation(rules: RuleSet) -> None:
    services = frame(make("A", intensity=3), make("B"), make("C", curriculum_link=2))
    plain = score_frame(services, rules)
    services["rated"] = [True, False, True]
    scored = score_frame(services, rules)
    assert tuple(scored.columns) == SCORE_COLUMNS
    assert scored["recommendation"].tolist() == ["pull_out", NOT_RATED, "push_in"]
    for column in ("push_in_minutes", "pull_out_minutes", "score", "push_in_sessions"):
        assert math.isnan(scored.at[1, column])
    assert scored.at[1, "reasons"] == "" and scored.at[1, "tipping_points"] == ""
    # No sentence about what the ratings or the evidence decide: nothing is decided yet.
    assert scored.at[1, "progress_note"] == ""
    assert scored.at[0, "progress_note"] == plain.at[0, "progress_note"] != ""
    assert pd.isna(scored.at[1, "confidence"])
    rated = [0, 2]
    for column in ("recommendation", "reasons", "confidence", "tipping_points"):
        assert scored[column].iloc[rated].tolist() == plain[column].iloc[rated].tolist()
    assert scored["pull_out_minutes"].iloc[rated].tolist() == [60.0, 0.0]
    single = recommend(make("B", rated=False), rules)
    assert not single.rated and single.reasons == [] and single.headline.startswith("Not rated")


def test_recommend_district_with_unrated_services(rules: RuleSet) -> None:
    district = load_district(ROOT / "sample_data")
    services = district.services.copy()
    services["rated"] = True
    services.loc[0, "rated"] = False
    unrated = services.at[0, "service_id"]
    changed = type(district)(**{**district.frames(), "services": services})
    recs = recommend_district(changed, rules).set_index("service_id")
    assert recs.at[unrated, "recommendation"] == NOT_RATED
    assert math.isnan(recs.at[unrated, "pull_out_minutes"])
    assert (recs.drop(unrated)["recommendation"] != NOT_RATED).all()
    out = csv_frame(recs.reset_index())
    assert tuple(out.columns) == RECOMMEND_COLUMNS


# ----------------------------------------------------------------------- progress evidence


def summary(*goals: dict) -> pd.DataFrame:
    defaults = {
        "points": 12,
        "last_setting": "",
        "four_point_detail": "median of the last 3 scores 82 vs target 80",
        "trend_detail": "trend +1.60 per week vs +1.00 needed",
    }
    return pd.DataFrame([{**defaults, **g} for g in goals])


CLEAR_PULL_OUT = dict(minutes=90, intensity=3, specialized_setting=2, generalization=1)


@pytest.mark.parametrize("decision", ["goal_met", "raise_goal"])
def test_a_goal_met_in_pull_out_moves_a_session_into_class(rules: RuleSet, decision: str) -> None:
    service = make("SP", current_model="pull_out", **CLEAR_PULL_OUT)
    goals = summary({"goal_id": "G1", "service_id": "SP", "decision": decision})
    evidence = progress_evidence(service_frame(service), goals, rules)
    assert tuple(evidence.columns) == EVIDENCE_COLUMNS
    assert bool(evidence.at[0, "evidence_transition"])
    assert evidence.at[0, "evidence_points"] == 0.0
    before = recommend(service, rules)
    after = recommend(service, rules, evidence)
    assert before.pull_out_minutes == 90
    assert (after.recommendation.value, after.rule) == ("hybrid", "transition")
    assert (after.pull_out_minutes, after.push_in_minutes) == (60, 30)
    assert after.reasons[0] == "progress_evidence" and after.progress_used
    note = " ".join(after.progress_evidence)
    assert "re-rate intensity" in note and "Goal G1: median of the last 3 scores" in note


def test_a_once_a_week_goal_met_is_only_a_prompt(rules: RuleSet) -> None:
    service = make("SP", minutes=30, current_model="pull_out", intensity=3, specialized_setting=2)
    goals = summary({"goal_id": "G1", "service_id": "SP", "decision": "goal_met"})
    after = recommend(service, rules, progress_evidence(service_frame(service), goals, rules))
    assert after.recommendation.value == "pull_out" and not after.progress_used
    assert "re-rate" in " ".join(after.progress_evidence)


def test_failing_in_pull_out_names_the_levers_instead_of_more_removal(rules: RuleSet) -> None:
    service = make("SP", current_model="pull_out", **CLEAR_PULL_OUT)
    goals = summary(
        {
            "goal_id": "G1",
            "service_id": "SP",
            "decision": "change",
            "last_setting": "pull_out",
            "four_point_detail": "last 4 scores all below the aimline",
        }
    )
    evidence = progress_evidence(service_frame(service), goals, rules)
    assert evidence.at[0, "evidence_points"] == 0.0
    assert not evidence.at[0, "evidence_transition"]
    note = evidence.at[0, "evidence_note"]
    for lever in ("how often", "how long", "group size", "method"):
        assert lever in note
    assert "not the lever" in note
    # A hybrid failing in pull-out does not move toward more removal either.
    mixed = make("SP", minutes=90, intensity=2, generalization=2, current_model="hybrid")
    base = recommend(mixed, rules)
    moved = recommend(mixed, rules, progress_evidence(service_frame(mixed), goals, rules))
    assert moved.pull_out_minutes == base.pull_out_minutes


def test_failing_in_class_adds_intensity_as_before(rules: RuleSet) -> None:
    service = make("CH", minutes=90, intensity=1, generalization=1, curriculum_link=3)
    goals = summary(
        {"goal_id": "G1", "service_id": "CH", "decision": "change", "last_setting": "push_in"}
    )
    evidence = progress_evidence(service_frame(service), goals, rules)
    assert evidence.at[0, "evidence_points"] == 2.0
    answer = recommend(service, rules, evidence)
    # 1.5 + 2 = 3.5 against 4: comparable; 3.5 / 7.5 of 3 sessions = 1.4 -> 1 out.
    assert (answer.recommendation.value, answer.pull_out_minutes) == ("hybrid", 30)
    assert "progress_evidence" in answer.reasons


def test_a_carry_over_gap_points_toward_class(rules: RuleSet) -> None:
    service = make("HY", minutes=90, intensity=2, distraction_sensitivity=1, generalization=1)
    goals = summary(
        {
            "goal_id": "G1",
            "service_id": "HY",
            "decision": "change",
            "last_setting": "push_in",
            "carry_over_gap": True,
        }
    )
    evidence = progress_evidence(service_frame(service), goals, rules)
    assert evidence.at[0, "evidence_points"] == -2.0
    assert "carry-over gap" in evidence.at[0, "evidence_note"]
    before, after = recommend(service, rules), recommend(service, rules, evidence)
    # 4 against 1 (pull-out), then 4 against 3: a split with more time in class.
    assert before.pull_out_minutes == 90
    assert after.recommendation.value == "hybrid" and after.pull_out_minutes == 60


@pytest.mark.parametrize("decision", ["review", "insufficient_data", "continue"])
def test_unclear_or_steady_data_move_nothing(rules: RuleSet, decision: str) -> None:
    service = make("SP", current_model="pull_out", **CLEAR_PULL_OUT)
    goals = summary({"goal_id": "G1", "service_id": "SP", "decision": decision})
    evidence = progress_evidence(service_frame(service), goals, rules)
    assert evidence.at[0, "evidence_points"] == 0.0 and not evidence.at[0, "evidence_transition"]
    assert recommend(service, rules, evidence).pull_out_minutes == 90


def test_a_failing_goal_blocks_the_transition_of_a_met_one(rules: RuleSet) -> None:
    service = make("SP", current_model="pull_out", **CLEAR_PULL_OUT)
    goals = summary(
        {"goal_id": "G1", "service_id": "SP", "decision": "goal_met"},
        {"goal_id": "G2", "service_id": "SP", "decision": "change"},
    )
    evidence = progress_evidence(service_frame(service), goals, rules)
    assert evidence.at[0, "progress_decision"] == "change"
    assert not evidence.at[0, "evidence_transition"] and evidence.at[0, "evidence_points"] == 0
    assert len(evidence.at[0, "evidence_note"].split("\n")) == 2


def test_an_old_goal_summary_without_the_new_columns_still_works(rules: RuleSet) -> None:
    services = frame(make("A", current_model="push_in"), make("B", current_model="pull_out"))
    old = pd.DataFrame(
        {
            "goal_id": ["G1", "G2"],
            "service_id": ["A", "B"],
            "decision": ["change", "raise_goal"],
            "points": [10, 10],
            "last_setting": ["", ""],
            "four_point_detail": ["x", "y"],
            "trend_detail": ["x", "y"],
        }
    )
    evidence = progress_evidence(services, old, rules).set_index("service_id")
    assert evidence["evidence_points"].to_dict() == {"A": 2.0, "B": 0.0}
    assert evidence["evidence_transition"].to_dict() == {"A": False, "B": True}


# ----------------------------------------------------------------------- data contract


def test_services_csv_natural_setting_is_read_and_validated(tmp_path: Path) -> None:
    files = {
        "students.csv": "student_id,name,grade,school_id\nA,Ana,7,SCH\n",
        "services.csv": (
            "service_id,student_id,service,minutes_per_week,session_minutes,"
            + ",".join(FACTORS)
            + ",natural_setting\n"
            + "S1,A,physical_therapy,60,30,0,0,0,3,0,0,0,0,0,0,0,bathroom\n"
            + "S2,A,setss,60,30,0,0,0,0,0,0,0,0,0,0,0,\n"
            + "S3,A,setss,60,30,0,0,0,0,0,0,0,0,0,0,0,gym\n"
        ),
    }
    with pytest.raises(DistrictError) as caught:
        parse_district(files)
    problems = caught.value.problems
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("services.csv", 4, "natural_setting", "gym")
    ]
    assert "bathroom" in problems[0].expected
    files["services.csv"] = files["services.csv"].replace("gym", "PE")
    district = parse_district(files)
    assert district.services["natural_setting"].tolist() == ["bathroom", "", "pe"]
    assert district.service("S1").natural_setting == "bathroom"
    recs = recommend_district(district).set_index("service_id")
    assert recs.at["S1", "recommendation"] == "push_in"
    # Push-in minutes in the bathroom routine count inside the regular environment.
    assert recs.at["S1", "lre_percent_inside"] == 100.0


def test_the_rules_file_documents_format_2(rules: RuleSet) -> None:
    text = shipped_rules_path().read_text(encoding="utf-8")
    assert 'version = "2.0.0"' in text and "format = 2" in text
    assert np.isclose(rules.thresholds.comparable_ratio, 0.5)


# ----------------------------------------------------------------------- what-if: two rule sets


def test_compare_rule_sets_shows_what_changed_for_one_service(rules: RuleSet) -> None:
    from pushin_rules.present.scenarios import compare_rule_sets

    # The case: private trauma counseling rated privacy 3 and distress 3.
    counseling = make(
        service="counseling", specialized_setting=3, removal_distress=3, social_goals=1
    )
    result = compare_rule_sets(counseling, load_rules_version("1.0.0"), rules)
    assert result.before.recommendation.value == "hybrid"
    assert result.after.recommendation.value == "pull_out" and result.after.rule == "privacy"
    assert result.changed
    table = result.table
    assert list(table.columns)[-1] == "Changed"
    assert table.at["Recommendation", "Changed"] == "changed"
    assert table.loc["Rules"].iloc[0].startswith(f"{rules.name} 1.0.0")
    assert "2.0.0" in table.loc["Rules"].iloc[1]
    assert any("format 1 → 2" in line for line in result.rule_changes)
    # Same rule set twice: nothing changed.
    same = compare_rule_sets(counseling, rules, rules)
    assert not same.changed and (same.table["Changed"] == "").all()
