"""Provider load: push-in time is spent classroom by classroom (with shared visits), pull-out
groups divide the minutes; figures now and as recommended, against capacity."""

from __future__ import annotations

import pytest

from pushin_rules.data.district import District
from pushin_rules.data.loader import parse_district
from pushin_rules.decide.rules import RuleSet, load_rules
from pushin_rules.decide.staffing import PROVIDER_LOAD_COLUMNS, UNASSIGNED, provider_load
from pushin_rules.models import FACTORS

ZEROS = ",".join("0" for _ in FACTORS)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def district() -> District:
    students = (
        "student_id,name,grade,school_id,classroom\n"
        "A,Ana,3,SCH1,3-1\nB,Ben,3,SCH1,3-1\nC,Cal,3,SCH1,3-1\nD,Dee,3,SCH1,3-1\n"
        "E,Eve,4,SCH1,4-2\nF,Fay,4,SCH1,\nG,Gus,3,SCH2,3-1\n"
    )
    providers = (
        "provider_id,name,role,weekly_capacity_minutes\n"
        "P1,Pat,special_educator,300\nP2,Oli,ot,100\nP3,Cas,counselor,0\n"
    )
    rows = [
        "S1,A,setss,P1,60,30,1,push_in",
        "S2,B,setss,P1,60,30,1,push_in",
        "S3,C,setss,P1,60,30,1,push_in",
        "S4,D,setss,P1,60,30,1,push_in",
        "S5,E,setss,P1,60,30,2,pull_out",
        "S6,F,occupational_therapy,P2,60,30,1,push_in",
        "S7,G,setss,P1,60,30,1,push_in",
        "S8,A,occupational_therapy,P2,90,30,1,",
        "S9,B,counseling,,30,30,1,pull_out",
    ]
    services = (
        "service_id,student_id,service,provider_id,minutes_per_week,session_minutes,group_size,"
        f"current_model,{','.join(FACTORS)}\n" + "".join(f"{r},{ZEROS}\n" for r in rows)
    )
    return parse_district(
        {"students.csv": students, "providers.csv": providers, "services.csv": services}
    )


RECOMMENDED_PUSH_IN = {
    "S1": 30,
    "S2": 30,
    "S3": 30,
    "S4": 30,  # hybrids in the same classroom
    "S5": 60,  # pull-out group of two moves into class
    "S6": 60,
    "S7": 60,
    "S8": 0,  # a new OT service, pulled out
    "S9": 0,
}


def test_provider_minutes_now_and_recommended(district: District, rules: RuleSet) -> None:
    load = provider_load(district, RECOMMENDED_PUSH_IN, rules).set_index("provider_id")
    assert tuple(load.reset_index().columns) == PROVIDER_LOAD_COLUMNS
    p1 = load.loc["P1"]
    # Now: four students of one classroom share visits, three at a time: max(60, 240/3) = 80;
    # the student in the other school is a visit of their own (60); the pull-out group of
    # two needs 60 / 2 = 30.
    assert (p1["push_in_minutes_now"], p1["pull_out_minutes_now"]) == (140.0, 30.0)
    assert p1["provider_minutes_now"] == 170.0
    # Recommended: max(30, 120/3) = 40 in 3-1, 60 in 4-2, 60 in the other school; four
    # individual pull-outs of 30.
    assert (p1["push_in_minutes_recommended"], p1["pull_out_minutes_recommended"]) == (
        160.0,
        120.0,
    )
    assert p1["change_minutes"] == 110.0
    assert p1["status_now"] == "ok" and p1["status_recommended"] == "near_capacity"
    assert (p1["services"], p1["students"]) == (6, 6)

    p2 = load.loc["P2"]
    # A student without a classroom is a visit of their own; the new service adds nothing now.
    assert p2["provider_minutes_now"] == 60.0
    assert p2["provider_minutes_recommended"] == 150.0
    assert p2["status_recommended"] == "over_capacity"
    assert p2["load_share_recommended"] == pytest.approx(1.5)

    p3 = load.loc["P3"]
    assert p3["provider_minutes_recommended"] == 0.0 and p3["status_now"] == "ok"

    unassigned = load.loc[""]
    assert unassigned["name"] == UNASSIGNED
    assert unassigned["pull_out_minutes_now"] == 30.0
    assert unassigned["status_now"] == "no_capacity"


def test_without_recommendations_the_figures_stay(district: District, rules: RuleSet) -> None:
    load = provider_load(district, None, rules)
    assert (load["provider_minutes_now"] == load["provider_minutes_recommended"]).all()


def test_sharing_and_group_rules_come_from_the_rules_file(
    district: District, rules: RuleSet
) -> None:
    solo = rules.staffing.model_copy(
        update={"push_in_students_together": 1, "pull_out_divide_by_group_size": False}
    )
    custom = rules.model_copy(update={"staffing": solo})
    p1 = provider_load(district, None, custom).set_index("provider_id").loc["P1"]
    # No shared visits: 5 x 60 in class; the group's 60 minutes are all provider minutes.
    assert (p1["push_in_minutes_now"], p1["pull_out_minutes_now"]) == (300.0, 60.0)
    assert p1["status_now"] == "over_capacity"


def test_empty_district(rules: RuleSet) -> None:
    load = provider_load(District.empty(), {}, rules)
    assert load.empty and tuple(load.columns) == PROVIDER_LOAD_COLUMNS
