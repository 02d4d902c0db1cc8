"""LRE arithmetic: DOMAIN.md's worked example, the category cut-offs, and per-student
figures now and as recommended."""

from __future__ import annotations

import numpy as np
import pytest

from pushin_rules.data.district import District
from pushin_rules.data.loader import parse_district
from pushin_rules.decide.lre import STUDENT_LRE_COLUMNS, lre_category, percent_inside, student_lre
from pushin_rules.decide.rules import RuleSet, load_rules
from pushin_rules.models import FACTORS

RATINGS = ",".join(FACTORS)
ZEROS = ",".join("0" for _ in FACTORS)


def district(services: list[str], schools: str | None = None) -> District:
    """A district from service rows `id,student,service,minutes,session,model,push_in`."""
    files = {
        "students.csv": "student_id,name,grade,school_id,classroom\n"
        "A,Ana,3,SCH1,3-1\nB,Ben,3,SCH1,3-1\nC,Cal,5,SCH2,5-2\n",
        "services.csv": "service_id,student_id,service,minutes_per_week,session_minutes,"
        f"current_model,current_push_in_minutes,{RATINGS}\n"
        + "".join(f"{row},{ZEROS}\n" for row in services),
    }
    if schools is not None:
        files["schools.csv"] = schools
    return parse_district(files, source="test")


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


def test_domain_worked_example(rules: RuleSet) -> None:
    percent = percent_inside(1745, 180)
    assert round(percent, 1) == 89.7
    assert lre_category(percent, rules) == "80_or_more"


@pytest.mark.parametrize(
    ("percent", "category"),
    [
        (100.0, "80_or_more"),
        (80.0, "80_or_more"),
        (79.99, "40_to_79"),  # compared before rounding
        (40.0, "40_to_79"),
        (39.9, "under_40"),
        (0.0, "under_40"),
    ],
)
def test_categories_follow_the_cut_offs(rules: RuleSet, percent: float, category: str) -> None:
    assert lre_category(percent, rules) == category


def test_cut_offs_come_from_the_rules(rules: RuleSet) -> None:
    th = rules.thresholds.model_copy(update={"lre_80_cutoff": 90.0})
    stricter = rules.model_copy(update={"thresholds": th})
    assert lre_category(85.0, stricter) == "40_to_79"


def test_arrays_and_caps() -> None:
    values = percent_inside(np.array([1000, 1000, 1000]), np.array([0, 250, 5000]))
    assert values.tolist() == [100.0, 75.0, 0.0]
    assert lre_category(values).tolist() == ["80_or_more", "40_to_79", "under_40"]


def test_student_lre_now_and_recommended(rules: RuleSet) -> None:
    # School week 365 x 5 = 1825 (default). A: 120 outside now (pull-out speech 60 + setss
    # hybrid 60 of 90); B: a new service (no current model) is not delivered yet.
    d = district(
        [
            "S1,A,speech_language,60,30,pull_out,",
            "S2,A,setss,90,30,hybrid,30",
            "S3,B,counseling,30,30,,",
        ]
    )
    lre = student_lre(d, {"S1": 30, "S2": 0, "S3": 30}, rules).set_index("student_id")
    assert tuple(lre.reset_index().columns) == STUDENT_LRE_COLUMNS
    assert lre.at["A", "week_minutes"] == 1825
    assert lre.at["A", "outside_minutes_now"] == 120
    assert lre.at["A", "outside_minutes_recommended"] == 30
    assert lre.at["A", "percent_inside_now"] == pytest.approx(100 * 1705 / 1825)
    assert lre.at["B", "outside_minutes_now"] == 0
    assert lre.at["B", "outside_minutes_recommended"] == 30
    # A student with no services is inside the whole week.
    assert lre.at["C", "percent_inside_recommended"] == 100.0
    assert set(lre["category_now"]) == {"80_or_more"}


def test_school_week_comes_from_the_school(rules: RuleSet) -> None:
    schools = "school_id,name,minutes_per_day,days_per_week\nSCH1,One,349,5\nSCH2,Two,380,5\n"
    d = district(["S1,A,setss,180,45,pull_out,"], schools=schools)
    lre = student_lre(d, None, rules).set_index("student_id")
    assert lre.at["A", "week_minutes"] == 1745
    assert round(lre.at["A", "percent_inside_now"], 1) == 89.7
    assert lre.at["A", "outside_minutes_recommended"] == 180  # None: as now
    assert lre.at["C", "week_minutes"] == 1900


def test_heavy_pull_out_drops_the_category(rules: RuleSet) -> None:
    schools = "school_id,name,minutes_per_day,days_per_week\nSCH1,One,100,5\nSCH2,Two,380,5\n"
    d = district(["S1,A,setss,300,60,pull_out,", "S2,B,setss,120,60,push_in,"], schools=schools)
    lre = student_lre(d, {"S1": 300, "S2": 120}, rules).set_index("student_id")
    assert lre.at["A", "category_now"] == "40_to_79"  # 200 of 500 inside
    assert lre.at["B", "category_now"] == "80_or_more"
    assert lre.at["B", "category_recommended"] == "40_to_79"  # 380 of 500
