"""The synthetic district generator: determinism, the contract, realism and the vignette stories."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pushin_rules.data import synth
from pushin_rules.data.contract import FILES
from pushin_rules.data.loader import load_district
from pushin_rules.errors import InputError
from pushin_rules.models import FACTORS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
FILE_NAMES = [spec.name for spec in FILES]


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FILE_NAMES}


@pytest.fixture(scope="module")
def sample() -> dict[str, pd.DataFrame]:
    return synth.generate(60, 1)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory):
    """A 5,000-student district as the loader reads it back."""
    folder = tmp_path_factory.mktemp("large")
    synth.write(synth.generate(5_000, 11), folder)
    return load_district(folder)


def _slope(points: pd.DataFrame) -> float:
    """OLS score change per week."""
    weeks = (points["date"] - points["date"].iloc[0]).dt.days.to_numpy() / 7
    return float(np.polyfit(weeks, points["score"].to_numpy(dtype=float), 1)[0])


def _slopes(points: pd.DataFrame, keys: list[str]) -> pd.Series:
    """OLS score change per week for every group of `keys` at once."""
    frame = points.assign(x=points["date"].astype("int64") / (7 * 86_400e9), y=points["score"])
    frame = frame.assign(xx=frame["x"] ** 2, xy=frame["x"] * frame["y"])
    sums = frame.groupby(keys)[["x", "y", "xx", "xy"]].sum()
    n = frame.groupby(keys).size()
    return (n * sums["xy"] - sums["x"] * sums["y"]) / (n * sums["xx"] - sums["x"] ** 2)


# ------------------------------------------------------------------------ determinism


def test_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    synth.write(synth.generate(60, 7), tmp_path / "one")
    synth.write(synth.generate(60, 7), tmp_path / "two")
    assert _bytes(tmp_path / "one") == _bytes(tmp_path / "two")


def test_a_different_seed_gives_a_different_district(tmp_path: Path) -> None:
    synth.write(synth.generate(60, 1), tmp_path / "one")
    synth.write(synth.generate(60, 2), tmp_path / "two")
    one, two = _bytes(tmp_path / "one"), _bytes(tmp_path / "two")
    for name in ("students.csv", "services.csv", "goals.csv", "progress.csv"):
        assert one[name] != two[name], name


def test_bundled_sample_is_exactly_what_the_generator_makes(tmp_path: Path) -> None:
    synth.write(synth.generate(60, 1), tmp_path)
    fresh = _bytes(tmp_path)
    for name in FILE_NAMES:
        assert (SAMPLE / name).read_bytes() == fresh[name], (
            f"sample_data/{name} is stale: run "
            "`python -m pushin_rules synth --students 60 --seed 1 --out sample_data`"
        )


def test_files_are_plain_csv_with_fixed_formatting() -> None:
    for name in FILE_NAMES:
        data = (SAMPLE / name).read_bytes()
        assert b"\r" not in data and data.endswith(b"\n"), name
        header = data.split(b"\n", 1)[0].decode()
        assert tuple(header.split(",")) == next(s for s in FILES if s.name == name).column_names
    text = pd.read_csv(SAMPLE / "progress.csv", dtype=str, keep_default_na=False)
    assert text["date"].str.fullmatch(r"20\d\d-\d\d-\d\d").all()
    assert text["score"].str.fullmatch(r"\d+\.\d").all()
    assert set(text["setting"]) == {"push_in", "pull_out", ""}


# --------------------------------------------------------------------------- contract


def test_the_loader_accepts_the_sample_and_a_large_district(large) -> None:
    district = load_district(SAMPLE)
    assert district.notes == ()
    assert len(district.students) == 60
    assert len(large.students) == 5_000 and large.notes == ()


def test_frames_follow_the_contract_column_order(sample: dict[str, pd.DataFrame]) -> None:
    assert list(sample) == FILE_NAMES
    for spec in FILES:
        assert tuple(sample[spec.name].columns) == spec.column_names


@pytest.mark.parametrize("students", [1, 3, 9])
def test_tiny_districts_are_valid_and_have_no_vignettes(tmp_path: Path, students: int) -> None:
    synth.write(synth.generate(students, 5), tmp_path)
    district = load_district(tmp_path)
    assert len(district.students) == students
    names = {v.name for v in synth.VIGNETTES}
    assert not names & set(district.students["name"])


def test_impossible_sizes_and_seeds_are_input_errors() -> None:
    with pytest.raises(InputError):
        synth.generate(0, 1)
    with pytest.raises(InputError):
        synth.generate(10, -1)


# ---------------------------------------------------------------------------- realism


def test_sample_has_the_size_of_a_small_district(sample: dict[str, pd.DataFrame]) -> None:
    schools, providers = sample["schools.csv"], sample["providers.csv"]
    services, goals = sample["services.csv"], sample["goals.csv"]
    assert len(schools) == 3
    assert schools["minutes_per_day"].between(365, 380).all()
    assert (schools["days_per_week"] == 5).all()
    assert providers["role"].value_counts().to_dict() == {
        "slp": 2,
        "ot": 2,
        "special_educator": 2,
        "pt": 1,
        "counselor": 1,
    }
    assert 90 <= len(services) <= 130
    assert 120 <= len(goals) <= 190
    counts = services["service"].value_counts()
    assert counts.index[0] == "speech_language"
    assert counts.idxmin() == "physical_therapy"
    slp = providers[providers["role"] == "slp"]["weekly_capacity_minutes"]
    assert slp.between(1500, 1800).all()


def test_large_district_keeps_caseloads_realistic(large) -> None:
    services = large.services.merge(large.providers, on="provider_id")
    per_provider = services.groupby(["role", "provider_id"]).size()
    assert per_provider["slp"].max() <= synth.CASELOAD["slp"]
    assert per_provider["ot"].max() <= synth.CASELOAD["ot"]
    assert per_provider["special_educator"].max() <= 30  # New York's SETSS limit
    # about 120 students with IEPs per school in a large district
    assert 40 <= len(large.schools) <= 100
    assert large.students["name"].is_unique
    managers = set(large.providers.loc[large.providers["role"] == "special_educator", "name"])
    assert set(large.students["case_manager"]) <= managers
    # a student's SETSS teacher is their case manager
    setss = services[services["service"] == "setss"].merge(large.students, on="student_id")
    assert (setss["name_x"] == setss["case_manager"]).all()


def test_names_stay_unique_beyond_the_first_and_last_name_pairs() -> None:
    pairs = len(synth.STUDENT_FIRST) * len(synth.LAST)
    names = synth.generate(pairs + 500, 4)["students.csv"]["name"]
    assert names.is_unique
    assert names.str.fullmatch(r"[A-Z][a-z]+( [A-Z]\.){0,2} [A-Z][a-z]+").all()


def test_ids_names_and_classrooms_look_like_a_district(sample: dict[str, pd.DataFrame]) -> None:
    students = sample["students.csv"]
    assert students["student_id"].str.fullmatch(r"S\d{4}").all()
    assert sample["services.csv"]["service_id"].str.fullmatch(r"SV\d{5}").all()
    assert sample["goals.csv"]["goal_id"].str.fullmatch(r"G\d{5}").all()
    assert sample["providers.csv"]["provider_id"].str.fullmatch(r"P\d{2}").all()
    assert sample["schools.csv"]["school_id"].str.fullmatch(r"SCH\d").all()
    assert students["name"].is_unique
    assert students["classroom"].str.fullmatch(r"(K|\d{1,2})-\d{3}").all()
    assert (students["classroom"].str.split("-").str[0] == students["grade"]).all()


def test_minutes_split_into_whole_sessions(large) -> None:
    services = large.services
    minutes, session = services["minutes_per_week"], services["session_minutes"]
    push_in, model = services["current_push_in_minutes"], services["current_model"]
    assert (minutes % session == 0).all()
    hybrid = model == "hybrid"
    assert hybrid.mean() > 0.1
    assert (push_in[hybrid] % session[hybrid] == 0).all()
    assert (push_in[hybrid] >= session[hybrid]).all()
    assert (minutes[hybrid] - push_in[hybrid] >= session[hybrid]).all()
    assert (push_in[model == "push_in"] == minutes[model == "push_in"]).all()
    assert (push_in[model == "pull_out"] == 0).all()
    shares = model.value_counts(normalize=True)
    assert set(shares.index) == {"push_in", "pull_out", "hybrid", ""}
    assert 0.01 < shares[""] < 0.1  # a few new services with no model yet


def test_dosage_and_group_sizes_follow_practice(large) -> None:
    services = large.services
    speech = services[services["service"] == "speech_language"]
    assert speech["session_minutes"].between(20, 30).all()
    assert (speech["minutes_per_week"] // speech["session_minutes"]).between(1, 3).all()
    mild = speech[speech["minutes_per_week"] == 30]
    assert (mild["session_minutes"] == 30).all()
    setss = services["service"] == "setss"
    assert services.loc[setss, "group_size"].between(1, 8).all()
    assert services.loc[~setss, "group_size"].between(1, 5).all()


def test_ratings_follow_what_the_service_works_on(large) -> None:
    services = large.services
    mean = services.groupby("service")[list(FACTORS)].mean()
    assert mean.loc["counseling", "social_goals"] > 2
    assert mean.loc["setss", "curriculum_link"] > mean.loc["physical_therapy", "curriculum_link"]
    assert mean.loc["physical_therapy", "specialized_setting"] > 2
    # implementation ratings belong to the school: they differ between schools
    by_school = services.merge(large.students, on="student_id").groupby("school_id")
    assert by_school["collaboration_limit"].mean().std() > 0.3
    assert services[list(FACTORS)].isin([0, 1, 2, 3]).all().all()


def test_progress_runs_twenty_school_weeks_from_september(large) -> None:
    progress, goals = large.progress, large.goals
    assert progress["date"].min() >= pd.Timestamp("2026-09-14")
    assert progress["date"].max() <= pd.Timestamp("2027-02-12")
    assert (progress["date"].dt.day_of_week < 5).all()
    recess = progress["date"].between("2026-12-19", "2027-01-03")
    assert not recess.any()
    points = progress.groupby("goal_id").size()
    assert points.median() >= 15 and points.max() <= 20
    assert (points < 6).mean() > 0.01  # new services: baseline probes only
    assert (goals["target_date"].dt.month == 6).all()
    assert (progress["setting"] == "").mean() > 0.02


def test_goals_progress_well_stall_or_outpace() -> None:
    from pushin_rules.decide.progress import goal_summary

    decisions = goal_summary(load_district(SAMPLE))["decision"].value_counts()
    for decision in ("change", "continue", "raise_goal", "insufficient_data"):
        assert decisions.get(decision, 0) >= 5, decisions.to_dict()


def test_decrease_goals_have_targets_below_their_start(large) -> None:
    goals, progress = large.goals, large.progress
    decrease = goals[goals["direction"] == "decrease"]
    assert len(decrease) > 0.03 * len(goals)
    assert {"prompts needed", "off-task incidents"} <= set(decrease["measure"])
    first = progress.groupby("goal_id").head(3).groupby("goal_id")["score"].median()
    assert (decrease["target"].to_numpy() < first[decrease["goal_id"]].to_numpy()).mean() > 0.95


def test_some_goals_change_delivery_model_mid_year(large) -> None:
    services, progress = large.services, large.progress
    single = services[services["current_model"].isin(["push_in", "pull_out"])]
    goals = large.goals[large.goals["service_id"].isin(single["service_id"])]
    points = progress[progress["goal_id"].isin(goals["goal_id"]) & (progress["setting"] != "")]
    new_run = points["setting"] != points.groupby("goal_id")["setting"].shift()
    runs = new_run.groupby(points["goal_id"]).sum()
    switched = runs[runs == 2].index  # one run in each setting: one change of model
    assert 0.05 < len(switched) / len(goals) < 0.25
    # the two phases climb at visibly different rates (relative to the rate the goal needs)
    phases = points[points["goal_id"].isin(switched)]
    phases = phases.assign(phase=new_run[phases.index].groupby(phases["goal_id"]).cumsum())
    slopes = _slopes(phases, ["goal_id", "phase"]).unstack()
    first = phases.groupby("goal_id").head(3).groupby("goal_id")["score"].median()
    own = goals.set_index("goal_id").loc[switched]
    span = (own["target_date"] - phases.groupby("goal_id")["date"].min()).dt.days / 7
    needed = ((own["target"] - first) / span).abs()
    difference = ((slopes[2] - slopes[1]).abs() / needed).median()
    assert difference > 0.5


# -------------------------------------------------------------------------- vignettes


def _vignette_rows(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    count = len(synth.VIGNETTES)
    students = frames["students.csv"].head(count)
    services = frames["services.csv"]
    services = services[services["student_id"].isin(students["student_id"])]
    goals = frames["goals.csv"][frames["goals.csv"]["service_id"].isin(services["service_id"])]
    progress = frames["progress.csv"]
    progress = progress[progress["goal_id"].isin(goals["goal_id"])]
    return {"students": students, "services": services, "goals": goals, "progress": progress}


def test_vignette_students_come_first_with_their_services(sample) -> None:
    rows = _vignette_rows(sample)
    assert list(rows["students"]["name"]) == [v.name for v in synth.VIGNETTES]
    assert list(rows["students"]["student_id"]) == ["S0001", "S0002", "S0003", "S0004", "S0005"]
    expected = [s for v in synth.VIGNETTES for s in v.services]
    assert len(rows["services"]) == len(expected)
    for (_, row), spec in zip(rows["services"].iterrows(), expected, strict=True):
        assert row["service"] == spec.service
        assert row["current_model"] == spec.current_model
        assert row["minutes_per_week"] == spec.minutes_per_week
        assert {k: int(row[k]) for k in FACTORS} == spec.ratings


def test_vignettes_are_the_same_whatever_the_seed_or_size() -> None:
    one = _vignette_rows(synth.generate(60, 1))
    other = _vignette_rows(synth.generate(300, 99))
    for key in ("students", "goals", "progress"):
        left = one[key].drop(columns=["case_manager"], errors="ignore").reset_index(drop=True)
        right = other[key].drop(columns=["case_manager"], errors="ignore").reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right)
    columns = [c for c in one["services"].columns if c != "provider_id"]
    pd.testing.assert_frame_equal(
        one["services"][columns].reset_index(drop=True),
        other["services"][columns].reset_index(drop=True),
    )


def _vignette(key: str) -> synth.Vignette:
    return next(v for v in synth.VIGNETTES if v.key == key)


def test_vignettes_carry_the_ratings_that_define_them() -> None:
    a = _vignette("a").services
    assert {s.service: s.current_model for s in a} == {
        "setss": "push_in",
        "speech_language": "pull_out",
    }
    speech = next(s for s in a if s.service == "speech_language")
    assert speech.ratings["distraction_sensitivity"] == 3
    assert speech.ratings["specialized_setting"] == 3

    (ot,) = _vignette("b").services
    assert ot.service == "occupational_therapy" and ot.current_model == "pull_out"
    assert ot.ratings["curriculum_link"] == 3 and ot.ratings["generalization"] == 3

    (counseling,) = _vignette("c").services
    assert counseling.current_model == "pull_out"
    assert counseling.ratings["removal_distress"] == 3 and counseling.ratings["social_goals"] == 3

    for service in _vignette("d").services:
        assert service.ratings["intensity"] == 3
        assert service.ratings["generalization"] == 3 and service.ratings["curriculum_link"] == 3

    (mild,) = _vignette("e").services
    pulling = ("intensity", "distraction_sensitivity", "specialized_setting")
    assert all(mild.ratings[k] <= 1 for k in pulling)
    assert _vignette("a").name.split()[0] != "Charlie"


def test_vignette_progress_tells_their_stories(sample) -> None:
    rows = _vignette_rows(sample)
    services, goals, progress = rows["services"], rows["goals"], rows["progress"]
    owner = services.set_index("service_id")["student_id"]
    by_student = goals.assign(student_id=goals["service_id"].map(owner))

    def points(student_id: str, measure: str | None = None) -> pd.DataFrame:
        mine = by_student[by_student["student_id"] == student_id]
        if measure:
            mine = mine[mine["measure"] == measure]
        return progress[progress["goal_id"] == mine["goal_id"].iloc[0]]

    # (b) flat in the OT room, rising once the OT works in the writing lesson
    handwriting = points("S0002")
    pulled = handwriting[handwriting["setting"] == "pull_out"]
    pushed = handwriting[handwriting["setting"] == "push_in"]
    assert len(pulled) >= 6 and len(pushed) >= 6
    assert abs(_slope(pulled)) < 0.6 and _slope(pushed) > 2
    assert pulled["date"].max() < pushed["date"].min()
    # (c) no progress while pulled out, on either goal (one of them a decrease goal)
    strategy = points("S0003", "percent of opportunities")
    incidents = points("S0003", "incidents needing adult help")
    assert _slope(strategy) < 0.5 and _slope(incidents) > -0.15
    assert set(strategy["setting"]) == {"pull_out"}
    # (d) hybrid points alternate between the two settings
    reading = points("S0004", "words correct per minute")
    assert set(reading["setting"]) == {"push_in", "pull_out"}
    # (e) well ahead of the rate the goal needs
    vocabulary = points("S0005")
    goal = by_student[by_student["student_id"] == "S0005"].iloc[0]
    weeks = (goal["target_date"] - vocabulary["date"].iloc[0]).days / 7
    needed = (goal["target"] - vocabulary["score"].iloc[:3].median()) / weeks
    assert _slope(vocabulary) > 1.5 * needed


# -------------------------------------------------------------------------------- CLI


def test_command_line_writes_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "district"
    result = subprocess.run(
        [sys.executable, "-m", "pushin_rules", "synth", "--students", "25", "--seed", "3",
         "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "25 students" in result.stdout
    synth.write(synth.generate(25, 3), tmp_path / "direct")
    assert _bytes(out) == _bytes(tmp_path / "direct")
    assert len(load_district(out).students) == 25


def test_command_line_refuses_zero_students_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pushin_rules.__main__ import main

    status = main(["synth", "--students", "0", "--out", str(tmp_path / "none")])
    assert status == 2
    assert "--students" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()
