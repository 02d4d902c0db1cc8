"""`python -m pushin_rules progress`: a row per goal, the issue's columns first; exit 2 on bad
input with nothing written. (Run in-process through `__main__.main`: a subprocess would only add
the cost of importing pandas.)
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pushin_rules.__main__ import main
from pushin_rules.data.contract import SERVICES
from pushin_rules.models import FACTORS

ISSUE_COLUMNS = [
    "goal_id",
    "service_id",
    "points",
    "baseline",
    "target",
    "needed_roi",
    "trend_roi",
    "four_point",
    "trend_rule",
    "decision",
    "projected_at_target",
    "likelihood",
]
RATINGS = ",".join("0" for _ in FACTORS)
# Six weekly pull-out scores 10, 12, 11, 14, 15, 16 for G1: baseline 11, needed
# (30 - 11) / 10 = 1.9 per week. Theil-Sen (the shipped default): the 15 pairwise slopes sorted
# are -1, 0.5, 1 (six times), 1.2, 1.25, 4/3, 5/3, 2, 2, 3; the median (8th) is 1; intercept
# median(y - x) = median(10, 11, 9, 11, 11, 11) = 11; projection 11 + 1 * 10 = 21. The aimline
# 11 + 1.9 x at x = 2..5 is above the last four scores. Both rules: change. G2 has no scores.
DISTRICT = {
    "students.csv": "student_id,name,grade,school_id\nS1,Ana Ruiz,3,A\n",
    "services.csv": (
        ",".join(SERVICES.column_names) + "\n"
        f"SV1,S1,speech_language,,60,30,1,pull_out,,{RATINGS}\n"
        f"SV2,S1,setss,,90,45,1,push_in,,{RATINGS}\n"
    ),
    "goals.csv": (
        "goal_id,service_id,description,measure,direction,target,target_date\n"
        "G1,SV1,Reads aloud,wcpm,increase,30,2025-11-10\n"
        "G2,SV2,Fewer prompts,prompts,decrease,1,2026-06-01\n"
    ),
    "progress.csv": "goal_id,date,score,setting\n"
    + "".join(
        f"G1,2025-09-{day:02d},{score},pull_out\n"
        for day, score in zip((1, 8, 15, 22, 29), (10, 12, 11, 14, 15), strict=True)
    )
    + "G1,2025-10-06,16,pull_out\n",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def read(path: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        table = {row["goal_id"]: row for row in reader}
        return list(reader.fieldnames or []), table


def test_one_row_per_goal_with_the_issue_columns(tmp_path: Path, capsys) -> None:
    data = write(tmp_path / "d", DISTRICT)
    out = tmp_path / "out" / "p.csv"
    assert main(["progress", "--data", str(data), "--out", str(out)]) == 0
    header, table = read(out)
    assert header[: len(ISSUE_COLUMNS)] == ISSUE_COLUMNS
    assert set(table) == {"G1", "G2"}
    g1 = table["G1"]
    assert g1["service_id"] == "SV1"
    assert int(g1["points"]) == 6
    assert float(g1["baseline"]) == 11
    assert float(g1["target"]) == 30
    assert float(g1["needed_roi"]) == pytest.approx(1.9)
    assert float(g1["trend_roi"]) == pytest.approx(1.0)
    assert float(g1["ols_roi"]) == pytest.approx(1.2)  # 21 / 17.5, shown beside it
    assert float(g1["projected_at_target"]) == pytest.approx(21)
    assert g1["four_point"] == g1["trend_rule"] == g1["decision"] == "change"
    assert g1["likelihood"] == "not enough data"  # 5 weeks of data < 6
    assert g1["baseline_date"] == "2025-09-01"
    assert g1["phases"] == "1"
    assert g1["carry_over_gap"] == "False"
    assert g1["reliability"].startswith(
        "fewer than 10 weekly scores (6): treat this as a first look"
    )
    g2 = table["G2"]
    assert g2["points"] == "0"
    assert g2["decision"] == "insufficient_data"
    assert g2["baseline"] == ""
    printed = capsys.readouterr().out
    assert "wrote 2 goals" in printed
    assert "change 1" in printed and "goal_met 0" in printed and "carry-over gaps 0" in printed


# The columns the CSV had before "Progress decisions 2.0", in order: all kept, new ones after.
BEFORE = [
    *ISSUE_COLUMNS,
    "direction",
    "measure",
    "weeks",
    "last_date",
    "baseline_date",
    "target_date",
    "weeks_to_target",
    "trend",
    "trend_intercept",
    "slope_se",
    "four_point_detail",
    "trend_detail",
    "likelihood_text",
    "last_score",
    "last_setting",
    "phases",
    "last_phase_roi",
    "previous_phase_setting",
    "previous_phase_roi",
    "push_in_points",
    "push_in_roi",
    "pull_out_points",
    "pull_out_roi",
]


def test_every_earlier_column_is_kept_and_new_ones_come_last(tmp_path: Path) -> None:
    data = write(tmp_path / "d", DISTRICT)
    out = tmp_path / "p.csv"
    assert main(["progress", "--data", str(data), "--out", str(out)]) == 0
    header, table = read(out)
    assert header[: len(BEFORE)] == BEFORE
    assert header[-1] == "carry_over_gap"
    assert {"decision_detail", "reliability", "setting_nap", "judged_on"} <= set(header)
    assert table["G1"]["decision_detail"].startswith("change: the four-point rule")
    assert table["G2"]["decision_detail"] == "no scores yet"


def test_text_a_spreadsheet_would_run_is_escaped(tmp_path: Path) -> None:
    files = dict(DISTRICT)
    files["goals.csv"] = files["goals.csv"].replace(",wcpm,", ",=1+1,")
    data = write(tmp_path / "d", files)
    out = tmp_path / "p.csv"
    assert main(["progress", "--data", str(data), "--out", str(out)]) == 0
    assert read(out)[1]["G1"]["measure"] == "'=1+1"


def test_trend_method_and_rules_file(tmp_path: Path) -> None:
    data = write(tmp_path / "d", DISTRICT)
    rules = tmp_path / "rules.toml"
    rules.write_text(
        "[progress]\nmin_points = 7\nmin_weeks = 3\nfour_point_window = 4\n"
        "parallel_tolerance = 0.15\nlikelihood_min_points = 4\nlikelihood_min_weeks = 4\n"
        'default_trend = "theil_sen"\n',
        encoding="utf-8",
    )
    out = tmp_path / "p.csv"
    assert main(["progress", "--data", str(data), "--rules", str(rules), "--out", str(out)]) == 0
    _, table = read(out)
    # Six scores < min_points 7: no rule fires; the rules file's trend method is used.
    assert table["G1"]["decision"] == "insufficient_data"
    assert table["G1"]["trend"] == "theil_sen"
    # 5 weeks >= likelihood_min_weeks 4: a number now.
    assert 0 <= float(table["G1"]["likelihood"]) <= 1
    assert main(["progress", "--data", str(data), "--trend", "tukey", "--out", str(out)]) == 0
    assert read(out)[1]["G1"]["trend"] == "tukey"


def test_bad_folder_exits_2_and_writes_nothing(tmp_path: Path, capsys) -> None:
    broken = dict(DISTRICT)
    broken["progress.csv"] = "goal_id,date,score,setting\nG1,not a date,10,pull_out\n"
    data = write(tmp_path / "d", broken)
    out = tmp_path / "p.csv"
    assert main(["progress", "--data", str(data), "--out", str(out)]) == 2
    assert "progress.csv" in capsys.readouterr().err
    assert not out.exists()
    assert list(tmp_path.glob("*.csv")) == []
    assert main(["progress", "--data", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert not out.exists()


def test_bad_rules_file_exits_2_and_keeps_the_old_output(tmp_path: Path, capsys) -> None:
    data = write(tmp_path / "d", DISTRICT)
    out = tmp_path / "p.csv"
    out.write_text("old\n", encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text("[progress]\nmin_points = 1\n", encoding="utf-8")
    assert main(["progress", "--data", str(data), "--rules", str(rules), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "progress.min_points" in err
    assert "progress.min_weeks: missing" in err
    assert out.read_text(encoding="utf-8") == "old\n"
