"""The situations of issue 13 as data (tests/progress_cases/*.toml): a goal, its scores, the
hand computation written out, and the summary columns a practitioner expects. Each case runs
through `goal_summary` (the district batch) and `analyse_goal` (one goal), which must agree.
A domain expert adds a case by adding a file."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from pushin_rules.data.district import District
from pushin_rules.decide.progress import analyse_goal, default_settings, goal_summary
from pushin_rules.models import Goal, ProgressPoint

CASES = sorted((Path(__file__).parent / "progress_cases").glob("*.toml"))


def load(path: Path) -> dict:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    assert {"name", "situation", "hand", "goal", "scores", "expect"} <= set(case), path.name
    return case


def scores(case: dict) -> list[tuple[dt.date, float, str]]:
    table = case["scores"]
    start = dt.date.fromisoformat(table["start"])
    values = table["values"]
    settings = table.get("settings", [table.get("setting", "")] * len(values))
    assert len(settings) == len(values)
    step = dt.timedelta(days=table.get("every_days", 7))
    return [
        (start + k * step, float(v), s)
        for k, (v, s) in enumerate(zip(values, settings, strict=True))
    ]


def district(case: dict) -> District:
    goal, rows = case["goal"], scores(case)
    goals = pd.DataFrame(
        {
            "goal_id": ["G"],
            "service_id": ["SV1"],
            "description": [case["name"]],
            "measure": [goal["measure"]],
            "direction": [goal["direction"]],
            "target": [float(goal["target"])],
            "target_date": pd.to_datetime([goal["target_date"]]),
        }
    )
    progress = pd.DataFrame(
        {
            "goal_id": "G",
            "date": pd.to_datetime([d for d, _, _ in rows]),
            "score": [s for _, s, _ in rows],
            "setting": pd.Series([t for _, _, t in rows], dtype=object),
        }
    )
    return District(**{**District.empty().frames(), "goals": goals, "progress": progress})


def check(row: pd.Series | dict, expect: dict, where: str) -> None:
    for column, wanted in expect.items():
        if column.endswith("_ends"):
            assert str(row[column.removesuffix("_ends")]).endswith(wanted), f"{where}: {column}"
            continue
        got = row[column]
        if isinstance(wanted, bool):
            assert bool(got) is wanted, f"{where}: {column}"
        elif isinstance(wanted, float | int) and not isinstance(wanted, bool):
            assert float(got) == pytest.approx(wanted, abs=1e-6), f"{where}: {column}"
        else:
            assert got == wanted, f"{where}: {column}"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = load(path)
    data = district(case)
    row = goal_summary(data).iloc[0]
    check(row, case["expect"], path.stem)
    if "expect_ols" in case:
        check(goal_summary(data, trend="ols").iloc[0], case["expect_ols"], path.stem + " (ols)")
    # One goal through `analyse_goal` says the same.
    goal = case["goal"]
    model = Goal(
        goal_id="G",
        service_id="SV1",
        measure=goal["measure"],
        direction=goal["direction"],
        target=goal["target"],
        target_date=dt.date.fromisoformat(goal["target_date"]),
    )
    points = [
        ProgressPoint(goal_id="G", date=d, score=s, setting=t or None) for d, s, t in scores(case)
    ]
    single = analyse_goal(model, points)
    for column in ("decision", "decision_detail", "reliability", "carry_over_gap", "four_point"):
        assert getattr(single, column) == row[column], column
    for column in ("projected_at_target", "likelihood", "setting_nap", "judged_roi"):
        a, b = float(getattr(single, column)), float(row[column])
        assert (math.isnan(a) and math.isnan(b)) or a == b, column


def test_every_decision_of_the_issue_has_a_case() -> None:
    decisions = {load(p)["expect"].get("decision") for p in CASES}
    assert {"goal_met", "review", "continue", "raise_goal", "insufficient_data"} <= decisions
    assert any(load(p)["expect"].get("carry_over_gap") is True for p in CASES)


def test_theil_sen_of_the_sick_day_case_from_its_definition() -> None:
    # The sick-day case's Theil-Sen slope, computed here from the definition (median of the
    # pairwise slopes), independently of the array code.
    case = load(Path(__file__).parent / "progress_cases" / "sick_day_outlier.toml")
    values = case["scores"]["values"]
    slopes = sorted(
        (values[j] - values[i]) / (j - i)
        for i in range(len(values))
        for j in range(i + 1, len(values))
    )
    middle = len(slopes) // 2
    median = (slopes[middle - 1] + slopes[middle]) / 2
    assert 1.9 * 0.85 <= median <= 1.9 * 1.15  # parallel to the needed 1.9 a week
    row = goal_summary(district(case)).iloc[0]
    assert row["trend_roi"] == pytest.approx(median)
    assert default_settings().default_trend == "theil_sen"
