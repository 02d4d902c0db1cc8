"""The loader: a good folder becomes a typed district; a bad one gets every problem named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pushin_rules.data.contract import SERVICES
from pushin_rules.data.loader import load_district, parse_district
from pushin_rules.errors import DistrictError
from pushin_rules.models import FACTORS

RATING_HEADER = ",".join(FACTORS)
SERVICE_HEADER = ",".join(SERVICES.column_names)

GOOD = {
    "schools.csv": "school_id,name,minutes_per_day,days_per_week\nA,Alder Elementary,349,5\n",
    "students.csv": (
        "student_id,name,grade,school_id,classroom,case_manager\n"
        "S1,Ana Ruiz,3,A,3-201,Ms. Lee\n"
        "S2,Ben Ode,K,A,K-101,Ms. Lee\n"
    ),
    "providers.csv": (
        "provider_id,name,role,weekly_capacity_minutes\nP1,Dana Fox,slp,1500\nP2,Ira Moss,ot,1200\n"
    ),
    "services.csv": (
        f"{SERVICE_HEADER}\n"
        "SV1,S1,speech_language,P1,60,30,1,hybrid,30,3,2,3,1,0,0,1,0,2,1,0\n"
        "SV2,S2,occupational_therapy,P2,30,30,1,pull_out,,1,0,1,3,0,3,2,2,0,0,0\n"
        "SV3,S2,setss,,180,45,4,,,0,0,0,2,1,3,3,0,0,0,0\n"
    ),
    "goals.csv": (
        "goal_id,service_id,description,measure,direction,target,target_date\n"
        'G1,SV1,"Says /r/ in words, ""80%"" of the time",percent accuracy,increase,80,2027-06-15\n'
        "G2,SV2,Fewer prompts to start writing,prompts,decrease,1,2027-06-15\n"
    ),
    "progress.csv": (
        "goal_id,date,score,setting\n"
        "G1,2026-09-15,35,pull_out\n"
        "G1,2026-09-08,30,pull_out\n"
        "G2,2026-09-08,6,\n"
    ),
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_good_folder_gives_typed_frames(tmp_path: Path) -> None:
    district = load_district(write(tmp_path / "d", GOOD))

    assert list(district.students["student_id"]) == ["S1", "S2"]
    services = district.services.set_index("service_id")
    assert services.loc["SV1", "intensity"] == 3
    assert all(services[f].dtype == "int8" for f in FACTORS)
    # current_push_in_minutes: stated for the hybrid, derived for pull_out and a new service
    assert services["current_push_in_minutes"].to_dict() == {"SV1": 30, "SV2": 0, "SV3": 0}
    assert services.loc["SV3", "current_model"] == ""
    assert services.loc["SV3", "provider_id"] == ""
    # quotes and commas inside a quoted cell survive
    assert district.goals.loc[0, "description"] == 'Says /r/ in words, "80%" of the time'
    assert district.goals["target_date"].dtype == "datetime64[ns]"
    # progress is sorted by goal then date whatever the file order
    assert list(district.progress["score"]) == [30.0, 35.0, 6.0]
    assert district.progress.loc[2, "setting"] == ""
    # the school week comes from schools.csv: 349 x 5
    assert district.school_week_minutes().to_dict() == {"S1": 1745, "S2": 1745}
    assert district.derived == ()


def test_single_records_come_out_as_models(tmp_path: Path) -> None:
    district = load_district(write(tmp_path / "d", GOOD))
    service = district.service("SV1")
    assert service.current_model.value == "hybrid"
    assert service.sessions_per_week == 2
    assert service.ratings["specialized_setting"] == 3
    assert [g.goal_id for g in district.goals_of("SV2")] == ["G2"]
    assert [p.score for p in district.progress_of("G1")] == [30.0, 35.0]


def test_optional_files_may_be_absent(tmp_path: Path) -> None:
    files = {k: v for k, v in GOOD.items() if k in ("students.csv",)}
    files["services.csv"] = (
        f"{SERVICE_HEADER}\nSV1,S1,counseling,P9,30,30,3,push_in,,0,0,0,2,3,0,1,2,0,0,0\n"
    )
    district = load_district(write(tmp_path / "d", files))
    # default week: 365 minutes x 5 days
    assert district.school_week_minutes()["S1"] == 1825
    # without providers.csv the provider is listed, with its role from the service
    assert district.providers.to_dict("records") == [
        {"provider_id": "P9", "name": "P9", "role": "counselor", "weekly_capacity_minutes": 0}
    ]
    assert district.goals.empty and district.progress.empty
    assert any("schools.csv" in note for note in district.notes)
    assert district.derived == ("schools.csv", "providers.csv")


def test_extra_columns_are_reported_as_ignored(tmp_path: Path) -> None:
    files = dict(GOOD)
    files["students.csv"] = (
        GOOD["students.csv"]
        .replace("case_manager\n", "case_manager,date_of_birth\n")
        .replace("Ms. Lee\n", "Ms. Lee,2018-01-01\n")
    )
    district = load_district(write(tmp_path / "d", files))
    assert "students.csv: extra column ignored: date_of_birth" in district.notes
    assert "date_of_birth" not in district.students.columns


# Ten different mistakes, each stated as (file, row, column, a word of the expectation).
TEN_MISTAKES = [
    ("students.csv", 3, "grade", "one of K"),
    ("students.csv", 4, "school_id", "listed in schools.csv"),
    ("students.csv", 5, "student_id", "duplicate"),
    ("services.csv", 2, "intensity", "whole number from 0 to 3"),
    ("services.csv", 3, "service", "one of speech_language"),
    ("services.csv", 4, "student_id", "listed in students.csv"),
    ("services.csv", 5, "session_minutes", "no more than minutes_per_week"),
    ("services.csv", 6, "current_push_in_minutes", "hybrid"),
    ("goals.csv", 2, "target_date", "YYYY-MM-DD"),
    ("progress.csv", 3, "score", "a number"),
]


def ten_mistakes_folder(folder: Path) -> Path:
    return write(
        folder,
        {
            "schools.csv": "school_id,name\nA,Alder\n",
            "students.csv": (
                "student_id,name,grade,school_id,classroom,case_manager\n"
                "S1,Ana Ruiz,3,A,,\n"
                "S2,Ben Ode,13,A,,\n"  # grade 13
                "S3,Cal Park,2,ZZ,,\n"  # unknown school
                "S1,Ana Again,4,A,,\n"  # duplicate id
            ),
            "services.csv": (
                f"{SERVICE_HEADER}\n"
                "SV1,S1,speech_language,,60,30,1,pull_out,,7,0,0,0,0,0,0,0,0,0,0\n"
                "SV2,S1,music_therapy,,60,30,1,pull_out,,0,0,0,0,0,0,0,0,0,0,0\n"
                "SV3,S99,counseling,,30,30,1,push_in,,0,0,0,0,0,0,0,0,0,0,0\n"
                "SV4,S1,setss,,30,45,1,push_in,,0,0,0,0,0,0,0,0,0,0,0\n"
                "SV5,S1,setss,,90,45,1,hybrid,,0,0,0,0,0,0,0,0,0,0,0\n"
            ),
            "goals.csv": (
                "goal_id,service_id,description,measure,direction,target,target_date\n"
                "G1,SV1,x,y,increase,80,June 2027\n"
            ),
            "progress.csv": "goal_id,date,score,setting\nG1,2026-09-08,30,\nG1,2026-09-15,lots,\n",
        },
    )


def test_ten_mistakes_get_one_message_listing_all_ten(tmp_path: Path) -> None:
    with pytest.raises(DistrictError) as caught:
        load_district(ten_mistakes_folder(tmp_path / "bad"))
    problems = caught.value.problems
    found = {(p.file, p.row, p.column) for p in problems}
    for file, row, column, _ in TEN_MISTAKES:
        assert (file, row, column) in found, f"missing {file} row {row} column {column}"
    message = str(caught.value)
    assert "10 problems" in message
    for file, row, column, words in TEN_MISTAKES:
        line = next(
            line for line in message.splitlines() if f"{file}, row {row}, column {column}" in line
        )
        assert words in line, line
    assert "Traceback" not in message


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("students.csv", b"student_id,name,grade,school_id\nS1,J\xe9r\xf4me,3,A\n", "not UTF-8"),
        ("students.csv", b"", "is empty"),
        ("students.csv", b"student_id,name,name,school_id\nS1,a,b,A\n", "appears twice"),
        ("students.csv", b"student_id,name,school_id\nS1,Ana,A\n", "column grade"),
        ("students.csv", b'student_id,name,grade,school_id\nS1,"Ana,3,A\n', "cannot be read"),
    ],
)
def test_unreadable_files_are_named(name: str, content: bytes, expected: str) -> None:
    files: dict[str, bytes | str] = {k: v for k, v in GOOD.items() if k != name}
    files[name] = content
    with pytest.raises(DistrictError) as caught:
        parse_district(files)
    assert name in str(caught.value)
    assert expected in str(caught.value)


def test_missing_required_file_is_reported(tmp_path: Path) -> None:
    files = {k: v for k, v in GOOD.items() if k != "services.csv"}
    with pytest.raises(DistrictError, match=r"services.csv: file is missing"):
        load_district(write(tmp_path / "d", files))


def test_not_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DistrictError, match="no such folder"):
        load_district(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("cell", "ok"),
    [("3", True), ("3.0", True), (" 2 ", True), ("3.5", False), ("1e9", False), ("-1", False)],
)
def test_rating_cells(cell: str, ok: bool) -> None:
    files = dict(GOOD)
    files["services.csv"] = (
        f"{SERVICE_HEADER}\nSV1,S1,speech_language,P1,60,30,1,,,{cell},0,0,0,0,0,0,0,0,0,0\n"
    )
    files.pop("goals.csv")
    files.pop("progress.csv")
    if ok:
        district = parse_district(files)
        assert district.services.loc[0, "intensity"] == int(float(cell))
    else:
        with pytest.raises(DistrictError, match=r"services.csv, row 2, column intensity"):
            parse_district(files)


def test_duplicate_progress_date_is_reported() -> None:
    files = dict(GOOD)
    files["progress.csv"] = "goal_id,date,score,setting\nG1,2026-09-08,30,\nG1,2026-09-08,31,\n"
    with pytest.raises(DistrictError, match=r"progress.csv, row 3, column date"):
        parse_district(files)


def test_fingerprint_follows_content(tmp_path: Path) -> None:
    one = load_district(write(tmp_path / "a", GOOD))
    two = load_district(write(tmp_path / "b", GOOD))
    files = dict(GOOD)
    files["progress.csv"] = GOOD["progress.csv"].replace(",35,", ",36,")
    three = load_district(write(tmp_path / "c", files))
    assert one.fingerprint == two.fingerprint
    assert one.fingerprint != three.fingerprint


def test_empty_district_has_contract_columns() -> None:
    from pushin_rules.data.district import District

    empty = District.empty()
    # The contract's columns, then the loader's `rated` flag (not a CSV column).
    assert list(empty.services.columns) == [*SERVICES.column_names, "rated"]
    assert isinstance(empty.progress, pd.DataFrame) and empty.progress.empty


@pytest.mark.parametrize(
    ("cell", "day"),
    [
        ("2027-06-15", "2027-06-15"),
        ("2027-06-15 00:00:00", "2027-06-15"),  # a spreadsheet's date cell with its time
        ("2027-02- 4", "2027-02-04"),  # pandas' date reading takes this; it still does
        ("2024-02-29", "2024-02-29"),
        ("2027-02-30", None),  # no such day: Arrow alone would roll it into March
        ("2023-02-29", None),
        ("1989-12-31", None),
        ("9999-12-31", None),
        ("2027-6-15", None),
    ],
)
def test_date_cells(cell: str, day: str | None) -> None:
    files = dict(GOOD)
    files["goals.csv"] = (
        "goal_id,service_id,description,measure,direction,target,target_date\n"
        f"G1,SV1,Says /r/,percent accuracy,increase,80,{cell}\n"
        "G2,SV2,Fewer prompts,prompts,decrease,1,2027-06-15\n"
    )
    if day is not None:
        district = parse_district(files)
        assert district.goals.loc[0, "target_date"] == pd.Timestamp(day)
    else:
        with pytest.raises(DistrictError) as caught:
            parse_district(files)
        assert [str(p) for p in caught.value.problems] == [
            f"goals.csv, row 2, column target_date: '{cell}' is not valid; "
            "expected a date written YYYY-MM-DD"
        ]
