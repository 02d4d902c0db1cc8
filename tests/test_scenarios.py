"""Scenario cases as data (`tests/scenarios/*.toml`), run against the shipped rules.

Each file holds `[[case]]` entries a special educator can read and extend:

- `name` (unique), `situation` (one sentence), `source` (a title from rules.toml [[sources]]);
- `service`, `minutes_per_week`, `session_minutes`, optional `current_model`, `grade` (K,
  1-12; grades 6-12 are weighed as secondary school), `natural_setting` (where the skill
  lives: pe, playground, lunchroom, hallway, bathroom, community) and `group_size`;
- `ratings`: factor = rating 0-3 (factors not listed are 0);
- optional `progress`: what the progress analytics would report for the service's goal
  (`decision`, `last_setting`, `four_point_detail`, `trend_detail`, `points`,
  `carry_over_gap`);
- optional `group`: every case of a group must get the same recommendation and split (same
  needs, different staffing);
- `[case.expect]`: `recommendation`, `top_reasons` (the first reasons, strongest first) and
  optionally `push_in_minutes`, `pull_out_minutes`, `confidence`, `rule`, `feasibility_notes`
  (the implementation factors that must produce a note, in rules-file order), `split_pattern`
  (weekly or alternating_weeks), `says` (phrases the explanation must contain) and
  `never_says` (phrases it must not contain).
- optional `changed` (one line): why an expectation differs from what rule set 1.0.0 gave.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pushin_rules.decide.engine import Recommendation, progress_evidence, recommend, service_frame
from pushin_rules.decide.rules import RuleSet, load_rules
from pushin_rules.models import FACTORS, Service

FOLDER = Path(__file__).parent / "scenarios"
CASE_KEYS = {
    "name",
    "situation",
    "source",
    "service",
    "minutes_per_week",
    "session_minutes",
    "current_model",
    "ratings",
    "progress",
    "group",
    "expect",
    "grade",
    "natural_setting",
    "group_size",
    "changed",
}
EXPECT_KEYS = {
    "recommendation",
    "top_reasons",
    "push_in_minutes",
    "pull_out_minutes",
    "confidence",
    "rule",
    "feasibility_notes",
    "split_pattern",
    "says",
    "never_says",
}


def _load_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(FOLDER.glob("*.toml")):
        with path.open("rb") as handle:
            for case in tomllib.load(handle).get("case", []):
                cases.append({**case, "_file": path.name})
    return cases


CASES = _load_cases()
RULES = load_rules()


def _answer(case: dict[str, Any], rules: RuleSet) -> Recommendation:
    service = Service(
        service_id=case["name"],
        student_id="student",
        service=case["service"],
        minutes_per_week=case["minutes_per_week"],
        session_minutes=case["session_minutes"],
        current_model=case.get("current_model"),
        grade=case.get("grade"),
        natural_setting=case.get("natural_setting", ""),
        group_size=case.get("group_size", 1),
        **case["ratings"],
    )
    evidence = None
    if "progress" in case:
        goal = {
            "goal_id": "G1",
            "service_id": case["name"],
            "points": 10,
            "last_setting": "",
            "four_point_detail": "",
            "trend_detail": "",
            **case["progress"],
        }
        evidence = progress_evidence(service_frame(service), pd.DataFrame([goal]), rules)
    return recommend(service, rules, evidence)


def test_the_scenario_folder_covers_the_issue() -> None:
    names = {case["name"] for case in CASES}
    assert len(names) == len(CASES), "case names must be unique"
    for wanted in (
        "speech_sounds_in_a_quiet_room",
        "same_student_classroom_support",
        "handwriting_coached_in_the_writing_lesson",
        "fine_motor_strengthening_with_equipment",
        "conflict_resolution_in_the_natural_setting",
        "student_who_resists_leaving_class",
        "sensory_room_session",
        "high_needs_on_both_sides",
        "mild_need_nothing_pulling_out",
        # Rules 2.0 (issue #12) and progress evidence (issue #13 item 5):
        "three_slight_reasons_do_not_add_up",
        "every_pull_out_need_maxed_and_resists_leaving",
        "grief_counseling_in_private",
        "toileting_routine_needs_privacy",
        "toilet_transfers_in_the_bathroom_routine",
        "structured_literacy_block_in_grade_9",
        "gross_motor_goals_in_pe",
        "articulation_in_a_group_of_five",
        "once_a_week_ot_alternates",
        "goal_met_in_the_therapy_room_plans_the_move_to_class",
        "failing_in_the_therapy_room_names_the_levers",
        "carry_over_gap_moves_toward_class",
    ):
        assert wanted in names
    groups = {case.get("group") for case in CASES} - {None}
    assert len(groups) >= 3


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_scenario(case: dict[str, Any]) -> None:
    assert set(case) - {"_file"} <= CASE_KEYS, f"{case['_file']}: unknown keys"
    assert set(case["expect"]) <= EXPECT_KEYS, f"{case['_file']}: unknown expectations"
    assert set(case["ratings"]) <= set(FACTORS)
    assert case["situation"].strip()
    assert case["source"] in {s.title for s in RULES.sources}

    answer = _answer(case, RULES)
    expect = case["expect"]
    assert answer.recommendation.value == expect["recommendation"], answer.explanation()
    top = expect["top_reasons"]
    assert answer.reasons[: len(top)] == top, answer.reasons
    for key in ("push_in_minutes", "pull_out_minutes"):
        if key in expect:
            assert getattr(answer.split, key) == expect[key], answer.split
    for key in ("confidence", "rule"):
        if key in expect:
            assert getattr(answer, key) == expect[key]
    if "feasibility_notes" in expect:
        assert answer.feasibility_factors == expect["feasibility_notes"]
    if "split_pattern" in expect:
        assert answer.split_pattern == expect["split_pattern"]
    text = answer.explanation()
    for phrase in expect.get("says", []):
        assert phrase in text, (phrase, text)
    for phrase in expect.get("never_says", []):
        assert phrase not in text, (phrase, text)

    # The explanation a team would hear: the deciding rule, the reason for each factor that
    # counted, the data when there are data, and nothing left as a template.
    assert (
        answer.split.push_in_minutes + answer.split.pull_out_minutes == (case["minutes_per_week"])
    )
    counted = [c for c in answer.contributions if c.counts]
    age = "secondary" if case.get("grade", "K") not in ("K", "1", "2", "3", "4", "5") else ""
    place = RULES.place(case.get("natural_setting", ""))
    for contribution in counted:
        factor = RULES.factor(contribution.key)
        wanted = factor.sentence(contribution.rating, case["service"], age)
        wanted = wanted.format(place=place, group_size=case.get("group_size", 1))
        assert contribution.sentence.startswith(wanted)
        assert contribution.sources
    if answer.split.pull_out_minutes:
        assert any(c.direction == "pull_out" for c in counted) or answer.progress_used
    text = answer.explanation()
    assert "{" not in text and "}" not in text
    assert answer.rule_sentence in text
    if "progress" in case and case["progress"].get("four_point_detail"):
        assert any(case["progress"]["four_point_detail"] in s for s in answer.progress_evidence)
    else:
        assert answer.progress_evidence


def test_invariance_groups_share_recommendation_and_split() -> None:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in CASES:
        if "group" in case:
            groups[case["group"]].append(case)
    for name, members in groups.items():
        assert len(members) >= 2, name
        answers = [_answer(case, RULES) for case in members]
        outcomes = {
            (a.recommendation, a.split.push_in_minutes, a.split.pull_out_minutes, a.score)
            for a in answers
        }
        assert len(outcomes) == 1, (name, outcomes)
        needs = {
            tuple(
                sorted(
                    (k, v)
                    for k, v in case["ratings"].items()
                    if k in RULES.keys and RULES.factor(k).is_need
                )
            )
            for case in members
        }
        assert len(needs) == 1, f"group {name} must hold the same needs"
