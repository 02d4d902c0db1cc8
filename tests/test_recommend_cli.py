"""`python -m pushin_rules recommend`: a row for every service, minutes that add up, reasons
for every pull-out minute; bad input exits 2 with a message, no traceback and no file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pushin_rules.__main__ import main
from pushin_rules.decide.recommend import CSV_COLUMNS, recommend_district
from pushin_rules.decide.rules import load_rules, shipped_rules_path
from pushin_rules.models import FACTORS, IMPLEMENTATION_FACTORS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
PULL_OUT_KEYS = {f.key for f in load_rules().need_factors if f.direction == "pull_out"}
LRE = {"80_or_more", "40_to_79", "under_40"}
PROGRESS = {
    "change",
    "continue",
    "raise_goal",
    "insufficient_data",
    "no_data",
    "goal_met",
    "review",
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pushin_rules", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def small_district(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "students.csv").write_text(
        "student_id,name,grade,school_id,classroom\nA,Ana,2,SCH1,2-1\nB,Ben,4,SCH1,4-1\n"
    )
    ratings = {
        "S1": dict(intensity=3, specialized_setting=2, distraction_sensitivity=2),
        "S2": dict(curriculum_link=3, generalization=2, classroom_crowding=3),
        "S3": dict(intensity=3, generalization=3, social_goals=2, staffing_limit=3),
        "S4": {},
    }
    rows = [
        ("S1", "A", "speech_language", 60, 30, "pull_out"),
        ("S2", "A", "occupational_therapy", 60, 30, "push_in"),
        ("S3", "B", "setss", 100, 30, "push_in"),
        ("S4", "B", "counseling", 30, 30, ""),
    ]
    lines = [
        "service_id,student_id,service,minutes_per_week,session_minutes,current_model,"
        + ",".join(FACTORS)
    ]
    for sid, student, service, minutes, session, model in rows:
        values = [str(ratings[sid].get(k, 0)) for k in FACTORS]
        lines.append(",".join([sid, student, service, str(minutes), str(session), model, *values]))
    (folder / "services.csv").write_text("\n".join(lines) + "\n")
    return folder


def check_output(out: Path, services: pd.DataFrame) -> pd.DataFrame:
    recs = pd.read_csv(out, dtype={"reasons": str, "feasibility_notes": str}, keep_default_na=False)
    assert tuple(recs.columns[: len(CSV_COLUMNS)]) == CSV_COLUMNS
    assert recs["service_id"].tolist() == services["service_id"].tolist()
    minutes = services["minutes_per_week"].to_numpy()
    assert (recs["push_in_minutes"] + recs["pull_out_minutes"] == minutes).all()
    for _, row in recs.iterrows():
        reasons = set(filter(None, row["reasons"].split(";")))
        if row["pull_out_minutes"] > 0:
            assert reasons & (PULL_OUT_KEYS | {"progress_evidence"}), row
        assert not reasons & set(IMPLEMENTATION_FACTORS)
    assert set(recs["recommendation"]) <= {"push_in", "pull_out", "hybrid"}
    assert set(recs["confidence"]) <= {"clear", "leaning", "close_call"}
    assert set(recs["lre_category"]) <= LRE
    assert set(recs["progress_decision"]) <= PROGRESS
    assert recs["lre_percent_inside"].between(0, 100).all()
    return recs


def test_recommend_writes_a_row_for_every_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process (the subprocess runs are below): the same `main` the module entry calls.
    data = small_district(tmp_path / "district")
    out = tmp_path / "out" / "recs.csv"
    assert main(["recommend", "--data", str(data), "--out", str(out)]) == 0
    assert "wrote 4 services" in capsys.readouterr().out
    services = pd.read_csv(data / "services.csv")
    recs = check_output(out, services).set_index("service_id")
    assert recs.loc["S1", "recommendation"] == "pull_out"
    assert recs.loc["S1", "reasons"].split(";")[0] == "intensity"
    assert recs.loc["S2", "recommendation"] == "push_in"
    assert recs.loc["S2", "feasibility_notes"] == "classroom_crowding"
    assert recs.loc["S3", "recommendation"] == "hybrid"
    # 100 minutes in 30-minute sessions: whole sessions split, the 10 over stay in class.
    assert recs.loc["S3", "pull_out_minutes"] % 30 == 0
    assert recs.loc["S4", ["recommendation", "reasons"]].tolist() == ["push_in", "lre_presumption"]
    assert set(recs["progress_decision"]) == {"no_data"}
    # Student A: 60 of a 1,825-minute week outside.
    assert recs.loc["S1", "lre_percent_inside"] == round(100 * 1765 / 1825, 1)
    assert recs.loc["S1", "rules_hash"] == load_rules().file_hash


def test_recommend_on_the_sample_district(tmp_path: Path) -> None:
    if not (SAMPLE / "services.csv").is_file():
        pytest.skip("sample_data not generated yet")
    out = tmp_path / "r.csv"
    result = run("recommend", "--data", str(SAMPLE), "--out", str(out))
    assert result.returncode == 0, result.stderr
    services = pd.read_csv(SAMPLE / "services.csv")
    recs = check_output(out, services)
    assert set(recs["recommendation"]) == {"push_in", "pull_out", "hybrid"}
    assert (recs["progress_decision"] != "no_data").any()


def test_implementation_ratings_change_no_recommendation_in_a_district(tmp_path: Path) -> None:
    from pushin_rules.data.loader import load_district

    source = SAMPLE if (SAMPLE / "services.csv").is_file() else small_district(tmp_path / "d")
    copy = tmp_path / "copy"
    shutil.copytree(source, copy)
    services = pd.read_csv(copy / "services.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(7)
    for key in IMPLEMENTATION_FACTORS:
        services[key] = rng.integers(0, 4, len(services)).astype(str)
    services.to_csv(copy / "services.csv", index=False)
    rules = load_rules()
    before = recommend_district(load_district(source), rules)
    after = recommend_district(load_district(copy), rules)
    same = [
        "recommendation",
        "push_in_minutes",
        "pull_out_minutes",
        "score",
        "reasons",
        "tipping_points",
        "lre_percent_inside",
        "lre_category",
    ]
    pd.testing.assert_frame_equal(before[same], after[same])


def test_a_bad_folder_exits_2_with_a_message_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    result = run("recommend", "--data", str(tmp_path / "missing"), "--out", str(out))
    assert result.returncode == 2
    assert "no such folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_bad_data_exits_2_with_the_loader_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_district(tmp_path / "district")
    text = (data / "services.csv").read_text().replace("S2,A,occupational_therapy,60", "S2,A,ot,60")
    (data / "services.csv").write_text(text)
    out = tmp_path / "r.csv"
    assert main(["recommend", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "services.csv" in err and "column service" in err
    assert not out.exists()


def test_a_broken_rules_file_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_district(tmp_path / "district")
    rules = tmp_path / "rules.toml"
    rules.write_text(shipped_rules_path().read_text().replace("weight = 1.5", 'weight = "lots"', 1))
    out = tmp_path / "r.csv"
    assert main(["recommend", "--data", str(data), "--rules", str(rules), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "factors.intensity.weight" in err and "'lots'" in err
    assert not out.exists()


def test_a_district_rules_file_is_used_and_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_district(tmp_path / "district")
    rules = tmp_path / "rules.toml"
    text = shipped_rules_path().read_text()
    rules.write_text(text.replace('version = "2.0.0"', 'version = "district-7"', 1))
    out = tmp_path / "r.csv"
    assert main(["recommend", "--data", str(data), "--rules", str(rules), "--out", str(out)]) == 0
    recs = pd.read_csv(out, keep_default_na=False)
    assert set(recs["rules_version"]) == {"district-7"}
    assert "wrote 4 services" in capsys.readouterr().out
