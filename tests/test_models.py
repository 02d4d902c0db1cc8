"""The single-record models: what a valid school, student, service, goal and point look like."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from pushin_rules.models import (
    FACTORS,
    IMPLEMENTATION_FACTORS,
    NEED_FACTORS,
    DeliveryModel,
    ProgressPoint,
    Rating,
    School,
    Service,
    Student,
)


def service(**changes: object) -> Service:
    base: dict[str, object] = {
        "service_id": "SV1",
        "student_id": "S1",
        "service": "speech_language",
        "minutes_per_week": 60,
        "session_minutes": 30,
    }
    return Service(**{**base, **changes})


def test_factor_lists_match_the_services_csv_contract() -> None:
    from pushin_rules.data.contract import SERVICES

    assert FACTORS == NEED_FACTORS + IMPLEMENTATION_FACTORS
    assert SERVICES.column_names[-len(FACTORS) :] == FACTORS


def test_ratings_are_0_to_3() -> None:
    assert [int(r) for r in Rating] == [0, 1, 2, 3]
    assert service(intensity=3).intensity is Rating.high
    with pytest.raises(ValidationError):
        service(intensity=4)
    with pytest.raises(ValidationError):
        service(removal_distress=-1)


def test_current_push_in_is_derived_from_the_model() -> None:
    assert service(current_model="push_in").current_push_in == 60
    assert service(current_model="pull_out").current_push_in == 0
    assert service(current_model="hybrid", current_push_in_minutes=30).current_push_in == 30
    assert service().current_model is None


def test_minutes_must_fit_the_week() -> None:
    with pytest.raises(ValidationError, match="session_minutes cannot exceed"):
        service(session_minutes=90)
    with pytest.raises(ValidationError, match="current_push_in_minutes cannot exceed"):
        service(current_push_in_minutes=61)


def test_sessions_per_week_rounds_to_whole_sessions() -> None:
    assert service(minutes_per_week=90, session_minutes=30).sessions_per_week == 3
    assert service(minutes_per_week=30, session_minutes=30).sessions_per_week == 1


def test_school_week_and_student_grade() -> None:
    school = School(school_id="A", name="Alder", minutes_per_day=349)
    assert school.minutes_per_week == 1745
    assert Student(student_id="S1", name="Ana", grade="k", school_id="A").grade == "K"
    with pytest.raises(ValidationError, match="grade must be K or 1-12"):
        Student(student_id="S1", name="Ana", grade="13", school_id="A")


def test_progress_point_is_taken_in_one_setting() -> None:
    point = ProgressPoint(goal_id="G1", date=dt.date(2026, 9, 8), score=3, setting="pull_out")
    assert point.setting is DeliveryModel.pull_out
    with pytest.raises(ValidationError, match="either push_in or pull_out"):
        ProgressPoint(goal_id="G1", date=dt.date(2026, 9, 8), score=3, setting="hybrid")
