"""What the Student and Meeting pages show for one service is what `recommend` writes for it:
the same model, minutes and split pattern, for every student of the sample district (grades
K-12, so secondary students' weighing is included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pushin_rules.data.loader import load_district
from pushin_rules.decide.progress import goal_summary
from pushin_rules.decide.recommend import recommend_district
from pushin_rules.decide.rules import load_rules
from pushin_rules.present.student_view import student_recommendations

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


@pytest.fixture(scope="module")
def district():
    return load_district(SAMPLE)


def test_the_student_page_agrees_with_the_batch_for_every_service(district) -> None:
    rules = load_rules()
    goals = goal_summary(district, rules.progress_settings())
    batch = recommend_district(district, rules).set_index("service_id")
    grades = set(district.students["grade"].astype(str))
    assert grades & {"6", "7", "8", "9", "10", "11", "12"}, "sample needs secondary students"
    seen = 0
    for student_id in district.students["student_id"]:
        for rec in student_recommendations(district, rules, goals, student_id):
            row = batch.loc[rec.service_id]
            assert rec.recommendation.value == row["recommendation"], rec.service_id
            assert rec.push_in_minutes == row["push_in_minutes"], rec.service_id
            assert rec.pull_out_minutes == row["pull_out_minutes"], rec.service_id
            seen += 1
    assert seen == len(batch)
