"""services.csv: every need rating empty = not rated yet (rated False, need ratings 0); some
empty = an error naming each empty one; an empty implementation rating = 0."""

from __future__ import annotations

import pytest

from pushin_rules.data.loader import parse_district
from pushin_rules.errors import DistrictError
from pushin_rules.models import FACTORS, IMPLEMENTATION_FACTORS, NEED_FACTORS

HEADER = "service_id,student_id,service,minutes_per_week,session_minutes," + ",".join(FACTORS)
STUDENTS = "student_id,name,grade,school_id\nA,Ana,2,SCH1\n"


def services(*ratings: str) -> dict[str, str]:
    rows = [f"S{i},A,setss,60,30,{r}" for i, r in enumerate(ratings, start=1)]
    return {"students.csv": STUDENTS, "services.csv": HEADER + "\n" + "\n".join(rows) + "\n"}


def test_all_need_ratings_empty_is_a_service_not_rated_yet() -> None:
    frame = parse_district(services(",,,,,,,,1,,", "3,2,1,0,0,0,0,1,0,0,0")).services
    assert frame["rated"].tolist() == [False, True]
    assert frame.loc[0, list(NEED_FACTORS)].tolist() == [0] * 8
    assert frame.loc[0, list(IMPLEMENTATION_FACTORS)].tolist() == [1, 0, 0]
    assert str(frame["rated"].dtype) == "bool"
    assert str(frame["intensity"].dtype) == "int8"


def test_rating_columns_may_be_left_out_of_the_header() -> None:
    files = {
        "students.csv": STUDENTS,
        "services.csv": "service_id,student_id,service,minutes_per_week,session_minutes\n"
        "S1,A,setss,60,30\n",
    }
    frame = parse_district(files).services
    assert frame["rated"].tolist() == [False]


def test_some_need_ratings_empty_names_each_empty_one() -> None:
    with pytest.raises(DistrictError) as caught:
        parse_district(services("3,,1,0,,0,0,1,0,0,0"))
    problems = [(p.file, p.row, p.column) for p in caught.value.problems]
    assert problems == [
        ("services.csv", 2, "distraction_sensitivity"),
        ("services.csv", 2, "social_goals"),
    ]
    assert "leave every need rating empty for a service not rated yet" in str(caught.value)


def test_a_bad_rating_is_reported_once_not_as_half_rated_too() -> None:
    with pytest.raises(DistrictError) as caught:
        parse_district(services("3,9,,,,,,,,,"))
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "distraction_sensitivity")]


def test_export_writes_an_unrated_service_as_the_file_had_it() -> None:
    from pushin_rules.present import exchange

    district = parse_district(services(",,,,,,,,1,,", "3,2,1,0,0,0,0,1,0,0,0"))
    frames = exchange.district_export_frames(district)
    files = {name: exchange.to_csv_text(frame) for name, frame in frames.items()}
    assert "rated" not in files["services.csv"].splitlines()[0].split(",")
    again = parse_district(files).services
    assert again["rated"].tolist() == [False, True]
    assert again.loc[1, "intensity"] == 3 and again.loc[0, "staffing_limit"] == 1
