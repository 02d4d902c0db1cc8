"""Progress analytics against arithmetic done by hand (written out in each test)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushin_rules.data.district import District
from pushin_rules.decide.progress import (
    DECISIONS,
    PHASE_COLUMNS,
    SUMMARY_COLUMNS,
    ProgressSettings,
    analyse_goal,
    default_settings,
    goal_summary,
    phase_summary,
    service_progress,
)
from pushin_rules.errors import RulesError
from pushin_rules.models import Goal, ProgressPoint

START = dt.date(2025, 9, 1)  # a Monday
# The hand computations below are least squares unless a test names another method (the
# shipped default is Theil-Sen; its own hand-computed tests are further down).
SHIPPED = default_settings()
RULES = ProgressSettings.from_table({**SHIPPED.model_dump(), "default_trend": "ols"})


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def make_district(goals: list[dict], points: list[tuple]) -> District:
    """goals: dicts with goal_id, target, target_date and optionally service_id, direction;
    points: (goal_id, date, score, setting)."""
    goal_frame = pd.DataFrame(
        {
            "goal_id": [g["goal_id"] for g in goals],
            "service_id": [g.get("service_id", "SV1") for g in goals],
            "description": "",
            "measure": [g.get("measure", "wcpm") for g in goals],
            "direction": [g.get("direction", "increase") for g in goals],
            "target": [float(g["target"]) for g in goals],
            "target_date": pd.to_datetime([g["target_date"] for g in goals]),
        }
    )
    progress = pd.DataFrame(
        {
            "goal_id": pd.Series([p[0] for p in points], dtype=object),
            "date": pd.to_datetime(pd.Series([p[1] for p in points], dtype=object)),
            "score": pd.Series([float(p[2]) for p in points], dtype=float),
            "setting": pd.Series([p[3] if len(p) > 3 else "" for p in points], dtype=object),
        }
    )
    empty = District.empty()
    return District(**{**empty.frames(), "goals": goal_frame, "progress": progress})


def weekly(goal_id: str, scores: list[float], setting: str = "", step: int = 7) -> list[tuple]:
    return [(goal_id, day(step * i), s, setting) for i, s in enumerate(scores)]


def one(goal: dict, points: list[tuple], **kwargs: object) -> pd.Series:
    kwargs.setdefault("settings", RULES)
    frame = goal_summary(make_district([goal], points), **kwargs)
    assert len(frame) == 1
    return frame.iloc[0]


# ----------------------------------------------------------------- baseline and needed rate


def test_baseline_is_median_of_first_three_scores() -> None:
    # Scores 7, 5, 8 (then more): median of the first three is 7 (DOMAIN.md's example).
    row = one({"goal_id": "G", "target": 20, "target_date": day(70)}, weekly("G", [7, 5, 8, 30]))
    assert row["baseline"] == 7
    assert row["baseline_date"] == pd.Timestamp(START)


def test_baseline_uses_date_order_not_file_order() -> None:
    # File order 8, 7, 5 but dates put 5 first, 7 second, 8 third... and 30 last: still 7.
    points = [("G", day(14), 8), ("G", day(7), 7), ("G", day(0), 5), ("G", day(21), 30)]
    row = one({"goal_id": "G", "target": 20, "target_date": day(70)}, points)
    assert row["baseline"] == 7
    assert row["baseline_date"] == pd.Timestamp(day(0))


def test_baseline_ties_and_short_series() -> None:
    goal = {"goal_id": "G", "target": 20, "target_date": day(70)}
    # 5, 5, 8 -> sorted 5, 5, 8 -> median 5.
    assert one(goal, weekly("G", [5, 8, 5]))["baseline"] == 5
    # Two scores: the median of two is their mean, (4 + 9) / 2 = 6.5.
    assert one(goal, weekly("G", [4, 9]))["baseline"] == 6.5
    # One score: itself.
    assert one(goal, weekly("G", [4]))["baseline"] == 4


def test_needed_roi() -> None:
    # Baseline median(10, 12, 11) = 11 on day 0; target 30 on day 70 = 10 weeks later.
    # Needed ROI = (30 - 11) / 10 = 1.9 per week.
    row = one(
        {"goal_id": "G", "target": 30, "target_date": day(70)},
        weekly("G", [10, 12, 11, 14, 15, 16]),
    )
    assert row["needed_roi"] == pytest.approx(1.9)
    assert row["weeks_to_target"] == pytest.approx(10)


# ----------------------------------------------------------------- trend and rules

# Six weekly scores used below: x = 0..5 weeks, y = 10, 12, 11, 14, 15, 16.
#   mean x = 2.5, mean y = 78 / 6 = 13
#   dx = -2.5 -1.5 -0.5 0.5 1.5 2.5 ; dy = -3 -1 -2 1 2 3
#   Sxy = 7.5 + 1.5 + 1 + 0.5 + 3 + 7.5 = 21 ; Sxx = 2 * (6.25 + 2.25 + 0.25) = 17.5
#   slope = 21 / 17.5 = 1.2 per week ; intercept = 13 - 1.2 * 2.5 = 10
SIX = [10, 12, 11, 14, 15, 16]


def test_ols_slope_and_flatter_trend_means_change() -> None:
    row = one({"goal_id": "G", "target": 30, "target_date": day(70)}, weekly("G", SIX))
    assert row["trend_roi"] == pytest.approx(1.2)
    assert row["trend_intercept"] == pytest.approx(10.0)
    assert row["points"] == 6
    assert row["weeks"] == pytest.approx(5)
    # Needed 1.9; parallel band 1.9 +/- 15% = 1.615 .. 2.185; 1.2 < 1.615 -> flatter -> change.
    assert row["trend_rule"] == "change"
    assert row["decision"] == "change"
    assert row["trend_detail"] == "trend +1.20 per week vs +1.90 needed: flatter than the aimline"
    # Aimline 11 + 1.9 x at x = 2..5: 14.8, 16.7, 18.6, 20.5; scores 11, 14, 15, 16 all below.
    assert row["four_point"] == "change"
    assert row["four_point_detail"] == "last 4 scores all below the aimline: off track"
    # Projection at week 10: 10 + 1.2 * 10 = 22.
    assert row["projected_at_target"] == pytest.approx(22)
    # 5 weeks of data < likelihood_min_weeks (6): no number.
    assert math.isnan(row["likelihood"])
    assert row["likelihood_text"] == "not enough data"


def test_parallel_trend_continues_and_likelihood_by_hand() -> None:
    # Same scores; target 23 on day 70: needed (23 - 11) / 10 = 1.2 = the trend -> continue.
    # The four-point rule disagrees (aimline 13.4, 14.6, 15.8, 17 at x = 2..5, scores below):
    # the verdict is review, with both rules stated (issue 13: no "on track" beside "last 4
    # scores all below the aimline").
    rules = ProgressSettings.from_table({**RULES.model_dump(), "likelihood_min_weeks": 5})
    row = one(
        {"goal_id": "G", "target": 23, "target_date": day(70)}, weekly("G", SIX), settings=rules
    )
    assert row["trend_rule"] == "continue"
    assert row["four_point"] == "change"
    assert row["decision"] == "review"
    assert row["decision_detail"] == (
        "review: the four-point rule says change (last 4 scores all below the aimline: "
        "off track) but the trend rule says continue (trend +1.20 per week vs +1.20 needed: "
        "parallel to the aimline (within 15%))"
    )
    # Likelihood: Syy = 9+1+4+1+4+9 = 28; RSS = Syy - slope * Sxy = 28 - 1.2 * 21 = 2.8;
    # s^2 = 2.8 / (6 - 2) = 0.7; se at x0 = 10: sqrt(0.7 * (1/6 + (10 - 2.5)^2 / 17.5))
    # = sqrt(0.7 * 3.380952) = 1.538397; z = (22 - 23) / 1.538397 = -0.650027;
    # P = Phi(-0.650027) = 0.2578.
    se = math.sqrt(0.7 * (1 / 6 + 7.5**2 / 17.5))
    z = (22 - 23) / se
    expected = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    assert expected == pytest.approx(0.2578, abs=1e-4)
    assert row["likelihood"] == pytest.approx(expected)
    assert row["likelihood_text"] == "26%"
    # Slope standard error: sqrt(s^2 / Sxx) = sqrt(0.7 / 17.5) = 0.2.
    assert row["slope_se"] == pytest.approx(0.2)


def test_steeper_trend_raises_goal() -> None:
    # Needed (16 - 11) / 10 = 0.5; band 0.425 .. 0.575; trend 1.2 is steeper -> raise_goal.
    # Aimline 11 + 0.5 x at x = 2..5: 12, 12.5, 13, 13.5; scores 11, 14, 15, 16: mixed.
    row = one({"goal_id": "G", "target": 16, "target_date": day(70)}, weekly("G", SIX))
    assert row["trend_rule"] == "raise_goal"
    assert row["four_point"] == "continue"
    assert row["four_point_detail"] == "last 4 scores: 1 below, 3 above the aimline"


def test_four_point_all_above_raises_goal_and_score_on_line_is_mixed() -> None:
    goal = {"goal_id": "G", "target": 21, "target_date": day(70)}
    # Baseline median(10, 10, 10) = 10; needed (21 - 10) / 10 = 1.1 per week.
    # Aimline at x = 3..6: 13.3, 14.4, 15.5, 16.6; scores 14, 15, 16, 17 all above.
    row = one(goal, weekly("G", [10, 10, 10, 14, 15, 16, 17]))
    assert row["four_point"] == "raise_goal"
    assert row["four_point_detail"] == "last 4 scores all above the aimline: ahead of schedule"
    # Aimline at x = 3 is 13.3: a score of exactly 13.3 is on the line -> mixed -> continue.
    row = one(goal, weekly("G", [10, 10, 10, 13.3, 15, 16, 17]))
    assert row["four_point"] == "continue"
    assert row["four_point_detail"] == "last 4 scores: 0 below, 3 above the aimline, 1 on it"


def test_decrease_goal_ahead_is_raise_goal() -> None:
    # Prompts per session, lower is better. Scores 12, 14, 9, 8, 7, 6 weekly.
    # Baseline median(12, 14, 9) = 12; target 2 at week 10: needed (2 - 12) / 10 = -1.0.
    # OLS: sum(dx * y) = -2.5*12 - 1.5*14 - 0.5*9 + 0.5*8 + 1.5*7 + 2.5*6 = -26;
    # slope = -26 / 17.5 = -1.485714: falling faster than -1.0 (band -0.85 .. -1.15) -> steeper.
    # Aimline 12 - x at x = 2..5: 10, 9, 8, 7; scores 9, 8, 7, 6 all below = ahead.
    goal = {"goal_id": "G", "target": 2, "target_date": day(70), "direction": "decrease"}
    row = one(goal, weekly("G", [12, 14, 9, 8, 7, 6]))
    assert row["needed_roi"] == pytest.approx(-1.0)
    assert row["trend_roi"] == pytest.approx(-26 / 17.5)
    assert row["trend_rule"] == "raise_goal"
    assert row["four_point"] == "raise_goal"
    assert row["four_point_detail"] == (
        "last 4 scores all below the aimline (lower is better): ahead of schedule"
    )
    assert row["trend_detail"] == "trend -1.49 per week vs -1.00 needed: steeper than the aimline"


def test_decrease_goal_off_track_is_change() -> None:
    # Scores 12, 14, 11, 11, 11, 12: baseline median(12, 14, 11) = 12; needed -1.0.
    # Aimline at x = 2..5: 10, 9, 8, 7; scores 11, 11, 11, 12 all above = off track -> change.
    # sum(dx * y) = -30 - 21 - 5.5 + 5.5 + 16.5 + 30 = -4.5; slope = -4.5 / 17.5 = -0.257:
    # not falling fast enough (needs -0.85 or steeper to count as parallel) -> change.
    goal = {"goal_id": "G", "target": 2, "target_date": day(70), "direction": "decrease"}
    row = one(goal, weekly("G", [12, 14, 11, 11, 11, 12]))
    assert row["trend_roi"] == pytest.approx(-4.5 / 17.5)
    assert row["four_point"] == "change"
    assert row["four_point_detail"] == (
        "last 4 scores all above the aimline (lower is better): off track"
    )
    assert row["trend_rule"] == "change"
    # Projection: intercept = mean y - slope * 2.5 = 71/6 + 0.642857 = 12.476190;
    # at week 10: 12.476190 - 0.257143 * 10 = 9.904762, far above the target 2.
    slope = -4.5 / 17.5
    assert row["projected_at_target"] == pytest.approx(71 / 6 - slope * 2.5 + slope * 10)
    assert row["projected_at_target"] == pytest.approx(9.904762)


def test_uneven_dates() -> None:
    # Scores on days 0, 3, 10, 14, 24, 31 (not weekly): 5, 6, 8, 8, 11, 12.
    # In days: sum x = 82, sum y = 50, sum xy = 0+18+80+112+264+372 = 846,
    # sum x^2 = 0+9+100+196+576+961 = 1842.
    # Sxy = 846 - 82*50/6 = 162.6667 ; Sxx = 1842 - 82^2/6 = 721.3333
    # slope = 162.6667 / 721.3333 = 0.225508 per day = 1.578558 per week.
    days = [0, 3, 10, 14, 24, 31]
    points = [("G", day(d), s) for d, s in zip(days, [5, 6, 8, 8, 11, 12], strict=True)]
    row = one({"goal_id": "G", "target": 30, "target_date": day(98)}, points)
    sxy = 846 - 82 * 50 / 6
    sxx = 1842 - 82**2 / 6
    assert row["trend_roi"] == pytest.approx(7 * sxy / sxx)
    assert row["trend_roi"] == pytest.approx(1.578558, abs=1e-6)
    assert row["weeks"] == pytest.approx(31 / 7)
    # Baseline median(5, 6, 8) = 6; needed (30 - 6) / 14 weeks = 1.714286 per week.
    assert row["needed_roi"] == pytest.approx(24 / 14)
    # 1.5786 within 1.714 +/- 15% (1.457 .. 1.971) -> continue.
    assert row["trend_rule"] == "continue"


def test_fewer_than_min_points_is_insufficient_but_still_reported() -> None:
    goal = {"goal_id": "G", "target": 30, "target_date": day(70)}
    row = one(goal, weekly("G", [10, 12, 11, 14, 15]))  # 5 scores < 6
    assert row["four_point"] == "insufficient_data"
    assert row["trend_rule"] == "insufficient_data"
    assert row["decision"] == "insufficient_data"
    assert row["baseline"] == 11
    assert row["needed_roi"] == pytest.approx(1.9)
    assert np.isfinite(row["trend_roi"])
    assert row["four_point_detail"] == (
        "5 scores over 4.0 weeks; the rules need 6 scores over 3 weeks"
    )
    assert row["trend_detail"].startswith("trend +")


def test_too_short_a_span_is_insufficient() -> None:
    # Six scores twice a week: days 0, 3, 7, 10, 14, 17 -> 17 / 7 = 2.43 weeks < 3.
    points = [("G", day(d), 10 + i) for i, d in enumerate([0, 3, 7, 10, 14, 17])]
    row = one({"goal_id": "G", "target": 30, "target_date": day(70)}, points)
    assert row["decision"] == "insufficient_data"
    assert "over 2.4 weeks" in row["four_point_detail"]


def test_thresholds_come_from_the_settings() -> None:
    # With min_points 5 and a 4-score window, five scores are enough.
    rules = ProgressSettings.from_table({**RULES.model_dump(), "min_points": 5})
    row = one(
        {"goal_id": "G", "target": 30, "target_date": day(70)},
        weekly("G", [10, 12, 11, 14, 15]),
        settings=rules,
    )
    assert row["decision"] == "change"


def test_goal_without_scores_is_a_row() -> None:
    district = make_district(
        [
            {"goal_id": "G1", "target": 30, "target_date": day(70)},
            {"goal_id": "G2", "target": 30, "target_date": day(70)},
        ],
        weekly("G2", SIX),
    )
    frame = goal_summary(district).set_index("goal_id")
    assert list(frame.index) == ["G1", "G2"]
    assert frame.loc["G1", "points"] == 0
    assert frame.loc["G1", "decision"] == "insufficient_data"
    assert frame.loc["G1", "four_point_detail"] == "no scores yet"
    assert math.isnan(frame.loc["G1", "baseline"])
    assert frame.loc["G1", "likelihood_text"] == "not enough data"
    assert frame.loc["G2", "decision"] == "change"
    assert set(SUMMARY_COLUMNS) <= set(frame.reset_index().columns)


def test_target_already_reached_at_baseline() -> None:
    # Baseline 11 already above the target 10: no slope to compare. The trend (+1.2 per week)
    # is 22 at the target date, which keeps the target reached -> raise_goal.
    row = one({"goal_id": "G", "target": 10, "target_date": day(70)}, weekly("G", SIX))
    assert row["needed_roi"] == pytest.approx(-0.1)
    assert row["trend_rule"] == "raise_goal"
    assert row["trend_detail"].startswith("target already reached at baseline")
    # Falling scores from an already-met baseline: at week 10 the trend is below 10 -> change.
    row = one({"goal_id": "G", "target": 10, "target_date": day(70)}, weekly("G", SIX[::-1]))
    assert row["trend_rule"] == "change"


def test_target_date_before_monitoring_began() -> None:
    # The target date is before the first score: no needed rate; the rule compares the trend
    # at the last score (10 + 1.2 * 5 = 16) with the target 15 -> reached -> raise_goal.
    row = one({"goal_id": "G", "target": 15, "target_date": day(-7)}, weekly("G", SIX))
    assert math.isnan(row["needed_roi"])
    assert row["trend_rule"] == "raise_goal"
    assert row["trend_detail"].startswith("target date is not after the first score")
    row = one({"goal_id": "G", "target": 17, "target_date": day(-7)}, weekly("G", SIX))
    assert row["trend_rule"] == "change"


def test_today_ignores_later_scores() -> None:
    goal = {"goal_id": "G", "target": 30, "target_date": day(70)}
    row = one(goal, weekly("G", [*SIX, 40, 50]), today=day(35))
    assert row["points"] == 6
    assert row["trend_roi"] == pytest.approx(1.2)


def test_unsorted_frame_and_unknown_goals() -> None:
    goal = {"goal_id": "G", "target": 30, "target_date": day(70)}
    points = weekly("G", SIX)
    shuffled = [points[i] for i in (3, 0, 5, 1, 4, 2)] + [("ZZ", day(0), 99.0, "")]
    sorted_row = one(goal, points)
    shuffled_row = one(goal, shuffled)
    for column in ("baseline", "trend_roi", "trend_intercept", "decision", "four_point"):
        assert sorted_row[column] == shuffled_row[column]


# ----------------------------------------------------------------- other trend methods


def test_tukey_tri_split_by_hand() -> None:
    # Nine weekly scores: 2, 4, 3 | 5, 9, 6 | 8, 7, 10.
    # First third: median week 1, median score 3. Last third: median week 7, median score 8.
    # Slope = (8 - 3) / (7 - 1) = 5/6 per week; line through (1, 3): intercept 3 - 5/6 = 13/6.
    scores = [2, 4, 3, 5, 9, 6, 8, 7, 10]
    row = one(
        {"goal_id": "G", "target": 20, "target_date": day(70)},
        weekly("G", scores),
        trend="tukey",
    )
    assert row["trend"] == "tukey"
    assert row["trend_roi"] == pytest.approx(5 / 6)
    assert row["trend_intercept"] == pytest.approx(13 / 6)


def test_tukey_thirds_when_n_is_not_a_multiple_of_three() -> None:
    goal = {"goal_id": "G", "target": 20, "target_date": day(70)}
    # n = 8 (8 % 3 == 2): outer thirds get 3 each: weeks 0-2 and 5-7.
    # Scores 1, 2, 3, 0, 0, 6, 7, 8: medians (1, 2) and (6, 7); slope (7 - 2) / (6 - 1) = 1.
    row = one(goal, weekly("G", [1, 2, 3, 0, 0, 6, 7, 8]), trend="tukey")
    assert row["trend_roi"] == pytest.approx(1.0)
    # n = 7 (7 % 3 == 1): the middle third takes the extra point: thirds of 2, 3, 2.
    # Scores 1, 3, 0, 0, 0, 6, 10: medians (0.5, 2) and (5.5, 8); slope 6 / 5 = 1.2.
    row = one(goal, weekly("G", [1, 3, 0, 0, 0, 6, 10]), trend="tukey")
    assert row["trend_roi"] == pytest.approx(1.2)


def test_theil_sen_resists_an_outlier() -> None:
    # y = 2x + 1 for weeks 0..6, except week 3 reads 50 instead of 7.
    # Of the 21 pairwise slopes, 15 avoid week 3 and equal 2; 3 are large positive and 3 large
    # negative, so the median (the 11th) is 2. Intercept: median(y - 2x) = median of
    # 1, 1, 1, 43, 1, 1, 1 = 1.
    scores = [2 * x + 1 for x in range(7)]
    scores[3] = 50
    goal = {"goal_id": "G", "target": 30, "target_date": day(70)}
    row = one(goal, weekly("G", scores), trend="theil_sen")
    assert row["trend_roi"] == pytest.approx(2.0)
    assert row["trend_intercept"] == pytest.approx(1.0)
    # Least squares is dragged by the outlier: sum(dx * y) = 56 (clean) + 0 * 43 = 56 over
    # Sxx = 28 gives 2 too, so move the outlier to week 6 to see OLS pulled.
    scores = [2 * x + 1 for x in range(7)]
    scores[6] = 50
    ols = one(goal, weekly("G", scores))["trend_roi"]
    sen = one(goal, weekly("G", scores), trend="theil_sen")["trend_roi"]
    # OLS: sum(dx * y) = 56 + 3 * (50 - 13) = 167; slope = 167 / 28 = 5.964.
    assert ols == pytest.approx(167 / 28)
    assert sen == pytest.approx(2.0)


def test_theil_sen_skips_pairs_on_the_same_date() -> None:
    # Two scores on day 0 (1 and 3), then 5 on week 1 and 7 on week 2.
    # Pairs with different dates: (0,1): 4, 2; (0,2): 3, 2; (1,2): 2 -> median of
    # 2, 2, 2, 3, 4 = 2.
    points = [("G", day(0), 1), ("G", day(0), 3), ("G", day(7), 5), ("G", day(14), 7)]
    row = one({"goal_id": "G", "target": 30, "target_date": day(70)}, points, trend="theil_sen")
    assert row["trend_roi"] == pytest.approx(2.0)


def test_unknown_trend_method() -> None:
    with pytest.raises(ValueError, match="unknown trend method"):
        one({"goal_id": "G", "target": 30, "target_date": day(70)}, weekly("G", SIX), trend="x")


# ----------------------------------------------------------------- phases


def test_phases_with_a_change_of_setting() -> None:
    # Pull-out weeks 0-2: 10, 11, 12 (slope 1); push-in weeks 3-5: 15, 17, 19 (slope 2).
    points = weekly("G", [10, 11, 12], "pull_out") + [
        ("G", day(7 * (3 + i)), s, "push_in") for i, s in enumerate([15, 17, 19])
    ]
    district = make_district([{"goal_id": "G", "target": 40, "target_date": day(70)}], points)
    phases = phase_summary(district, "G")
    assert list(phases.columns) == list(PHASE_COLUMNS)
    assert list(phases["setting"]) == ["pull_out", "push_in"]
    assert list(phases["phase"]) == [1, 2]
    assert list(phases["points"]) == [3, 3]
    assert phases["slope"].tolist() == pytest.approx([1.0, 2.0])
    assert phases["attained_roi"].tolist() == pytest.approx([1.0, 2.0])
    assert list(phases["start"]) == [pd.Timestamp(day(0)), pd.Timestamp(day(21))]
    assert list(phases["end"]) == [pd.Timestamp(day(14)), pd.Timestamp(day(35))]
    # Needed: baseline median(10, 11, 12) = 11, (40 - 11) / 10 = 2.9; shares 1/2.9 and 2/2.9.
    assert phases["share_of_needed"].tolist() == pytest.approx([1 / 2.9, 2 / 2.9])
    row = goal_summary(district).iloc[0]
    assert row["phases"] == 2
    assert row["last_setting"] == "push_in"
    assert row["last_phase_roi"] == pytest.approx(2.0)
    assert row["previous_phase_setting"] == "pull_out"
    assert row["previous_phase_roi"] == pytest.approx(1.0)


def test_missing_settings_join_their_phase() -> None:
    # "", pull_out, "", pull_out, push_in, "", push_in: the leading empty joins the first
    # recorded setting; the others join the phase they fall in -> two phases of 4 and 3.
    settings_ = ["", "pull_out", "", "pull_out", "push_in", "", "push_in"]
    points = [("G", day(7 * i), 10 + i, s) for i, s in enumerate(settings_)]
    phases = phase_summary(pd.DataFrame(points, columns=["goal_id", "date", "score", "setting"]))
    assert list(phases["setting"]) == ["pull_out", "push_in"]
    assert list(phases["points"]) == [4, 3]
    assert phases["slope"].tolist() == pytest.approx([1.0, 1.0])
    assert phases["needed_roi"].isna().all()  # no goal, no needed rate


def test_no_settings_at_all_is_one_phase() -> None:
    points = [ProgressPoint(goal_id="G", date=day(7 * i), score=i) for i in range(6)]
    phases = phase_summary(points)
    assert list(phases["setting"]) == [""]
    assert list(phases["points"]) == [6]


def test_single_phase_matches_the_whole_trend() -> None:
    district = make_district(
        [{"goal_id": "G", "target": 30, "target_date": day(70)}], weekly("G", SIX, "push_in")
    )
    row = goal_summary(district, RULES).iloc[0]
    assert row["phases"] == 1
    assert row["last_phase_roi"] == pytest.approx(row["trend_roi"])
    assert row["previous_phase_setting"] == ""
    assert math.isnan(row["previous_phase_roi"])


def test_phase_with_one_score_has_no_slope() -> None:
    points = [*weekly("G", [10, 11, 12], "pull_out"), ("G", day(21), 20, "push_in")]
    phases = phase_summary(pd.DataFrame(points, columns=["goal_id", "date", "score", "setting"]))
    assert math.isnan(phases["slope"].iloc[1])
    assert phases["note"].iloc[1] == "one score in this phase: no slope"
    assert phases["note"].iloc[0] == ""


def test_rate_by_setting_when_settings_alternate() -> None:
    # A hybrid service: push-in on weeks 0, 2, 4 (10, 12, 14 -> slope 2 / 2 weeks = 1.0);
    # pull-out on weeks 1, 3, 5 (11, 14, 17 -> slope 3 / 2 weeks = 1.5).
    # Every phase holds one score, so no phase has a slope; the setting rates still compare.
    points = [
        ("G", day(7 * i), s, "push_in" if i % 2 == 0 else "pull_out")
        for i, s in enumerate([10, 11, 12, 14, 14, 17])
    ]
    district = make_district([{"goal_id": "G", "target": 30, "target_date": day(70)}], points)
    row = goal_summary(district).iloc[0]
    assert row["phases"] == 6
    assert math.isnan(row["last_phase_roi"])
    assert row["push_in_points"] == 3
    assert row["push_in_roi"] == pytest.approx(1.0)
    assert row["pull_out_points"] == 3
    assert row["pull_out_roi"] == pytest.approx(1.5)
    phases = phase_summary(district)
    assert (phases["note"] == "one score in this phase: no slope").all()


def test_phase_summary_of_every_goal() -> None:
    points = weekly("A", [1, 2, 3], "push_in") + weekly("B", [5, 4], "pull_out")
    district = make_district(
        [
            {"goal_id": "A", "target": 9, "target_date": day(70)},
            {"goal_id": "B", "target": 9, "target_date": day(70)},
            {"goal_id": "C", "target": 9, "target_date": day(70)},
        ],
        points,
    )
    phases = phase_summary(district)
    assert list(phases["goal_id"]) == ["A", "B"]
    assert list(phases["phase"]) == [1, 1]
    assert phases["slope"].tolist() == pytest.approx([1.0, -1.0])


# ----------------------------------------------------------------- services


def test_service_progress_takes_the_most_urgent_decision() -> None:
    summary = pd.DataFrame(
        {
            "service_id": ["S1", "S1", "S2", "S2", "S3", "S3", "S4", "S5", "S5", "S6", "S6"],
            "decision": [
                "continue",
                "raise_goal",
                "insufficient_data",
                "change",
                "raise_goal",
                "insufficient_data",
                "insufficient_data",
                "review",
                "continue",
                "goal_met",
                "insufficient_data",
            ],
        }
    )
    out = service_progress(summary)
    assert out.index.name == "service_id"
    # Most urgent first: change, review, continue, raise_goal, goal_met, insufficient_data.
    assert out["progress_decision"].to_dict() == {
        "S1": "continue",
        "S2": "change",
        "S3": "raise_goal",
        "S4": "insufficient_data",
        "S5": "review",
        "S6": "goal_met",
    }
    assert out.loc["S2", "goals"] == 2
    assert out.loc["S2", "change"] == 1
    assert out.loc["S2", "insufficient_data"] == 1
    assert out.loc["S1", "change"] == 0
    assert list(out.columns) == ["progress_decision", "goals", *DECISIONS]
    assert service_progress(summary.iloc[0:0]).empty


def test_service_progress_from_a_summary() -> None:
    district = make_district(
        [
            {"goal_id": "G1", "service_id": "SV1", "target": 30, "target_date": day(70)},
            {"goal_id": "G2", "service_id": "SV1", "target": 16, "target_date": day(70)},
            {"goal_id": "G3", "service_id": "SV2", "target": 16, "target_date": day(70)},
        ],
        weekly("G1", SIX) + weekly("G2", SIX),
    )
    out = service_progress(goal_summary(district, RULES))
    # G1 change; G2 review (trend 1.2 steeper than the needed 0.5, four-point mixed: the rules
    # disagree) -> SV1 change; G3 has no scores -> SV2 insufficient_data.
    assert out.loc["SV1", "review"] == 1
    assert out["progress_decision"].to_dict() == {"SV1": "change", "SV2": "insufficient_data"}


# ----------------------------------------------------------------- settings


def test_default_settings_read_the_rules_file() -> None:
    import tomllib
    from importlib import resources

    text = resources.files("pushin_rules.decide").joinpath("rules.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)["progress"]
    assert ProgressSettings.from_table(table) == SHIPPED
    assert set(SHIPPED.model_dump()) == set(table)
    assert SHIPPED.default_trend == "theil_sen"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min_points": 1}, "progress.min_points: 1 is not valid"),
        ({"min_points": "6"}, "progress.min_points: '6' is not valid"),
        ({"parallel_tolerance": 1.5}, "progress.parallel_tolerance"),
        ({"default_trend": "loess"}, "progress.default_trend: 'loess'"),
        ({"four_point_window": 7}, "four_point_window (7) cannot exceed min_points (6)"),
        ({"likelihood_min_points": 2}, "progress.likelihood_min_points"),
        ({"min_weeks": -1}, "progress.min_weeks"),
        ({"surprise": 1}, "progress.surprise: unknown setting"),
    ],
)
def test_bad_progress_table(change: dict, message: str) -> None:
    with pytest.raises(RulesError) as caught:
        ProgressSettings.from_table({**RULES.model_dump(), **change})
    assert message in str(caught.value)


def test_missing_key_and_not_a_table() -> None:
    table = RULES.model_dump()
    del table["min_weeks"]
    with pytest.raises(RulesError, match=r"progress\.min_weeks: missing"):
        ProgressSettings.from_table(table)
    with pytest.raises(RulesError, match="must be a table"):
        ProgressSettings.from_table(["min_points"])  # type: ignore[arg-type]


def test_settings_from_file(tmp_path) -> None:
    good = tmp_path / "rules.toml"
    good.write_text(
        "[progress]\nmin_points = 8\nmin_weeks = 4\nfour_point_window = 4\n"
        "parallel_tolerance = 0.1\nlikelihood_min_points = 4\nlikelihood_min_weeks = 6\n"
        'default_trend = "tukey"\n',
        encoding="utf-8",
    )
    rules = ProgressSettings.from_file(good)
    assert rules.min_points == 8
    assert rules.default_trend == "tukey"
    broken = tmp_path / "broken.toml"
    broken.write_text("[progress\n", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid TOML"):
        ProgressSettings.from_file(broken)
    none = tmp_path / "none.toml"
    none.write_text("[other]\na = 1\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"no \[progress\] table"):
        ProgressSettings.from_file(none)
    with pytest.raises(RulesError, match="does not exist"):
        ProgressSettings.from_file(tmp_path / "missing.toml")


# ----------------------------------------------------------------- one goal == the district


def test_analyse_goal_matches_summary_and_aimline_helpers() -> None:
    goal = Goal(goal_id="G", service_id="SV1", target=30, target_date=day(70))
    points = [
        ProgressPoint(goal_id="G", date=day(7 * i), score=s, setting="pull_out")
        for i, s in enumerate(SIX)
    ]
    analysis = analyse_goal(goal, points, RULES)
    assert analysis.baseline == 11
    assert analysis.trend_roi == pytest.approx(1.2)
    assert analysis.decision == "change"
    assert analysis.aim_at(day(35)) == pytest.approx(11 + 1.9 * 5)
    assert analysis.aim_at(day(100)) == 30
    assert analysis.trend_at(day(70)) == pytest.approx(22)
    assert [p.setting for p in analysis.phases] == ["pull_out"]
    empty = analyse_goal(goal, [])
    assert empty.points == 0
    assert empty.decision == "insufficient_data"
    assert empty.phases == ()


_score = st.floats(min_value=-50, max_value=150, allow_nan=False, width=32)
_goal_strategy = st.fixed_dictionaries(
    {
        "direction": st.sampled_from(["increase", "decrease"]),
        "target": _score,
        "target_offset": st.integers(-30, 300),
        "points": st.lists(
            st.tuples(st.integers(0, 200), _score, st.sampled_from(["", "push_in", "pull_out"])),
            max_size=14,
        ),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    goals=st.lists(_goal_strategy, min_size=1, max_size=5),
    trend=st.sampled_from(["ols", "tukey", "theil_sen"]),
)
def test_single_goal_equals_batch(goals: list[dict], trend: str) -> None:
    goal_rows, points, models = [], [], []
    for i, g in enumerate(goals):
        gid = f"G{i}"
        goal_rows.append(
            {
                "goal_id": gid,
                "target": g["target"],
                "target_date": day(g["target_offset"]),
                "direction": g["direction"],
            }
        )
        own = [
            ProgressPoint(goal_id=gid, date=day(d), score=s, setting=setting or None)
            for d, s, setting in g["points"]
        ]
        points += [
            (gid, p.date, p.score, setting)
            for p, (_, _, setting) in zip(own, g["points"], strict=True)
        ]
        models.append(
            (
                Goal(
                    goal_id=gid,
                    service_id="SV1",
                    measure="wcpm",
                    direction=g["direction"],
                    target=g["target"],
                    target_date=day(g["target_offset"]),
                ),
                own,
            )
        )
    # The district frame is sorted by goal then date, as the loader delivers it.
    points.sort(key=lambda p: (p[0], p[1]))
    batch = goal_summary(make_district(goal_rows, points), trend=trend).set_index("goal_id")
    for goal, own in models:
        single = analyse_goal(goal, own, trend=trend)
        row = batch.loc[goal.goal_id]
        for field in (
            "points",
            "weeks",
            "baseline",
            "needed_roi",
            "trend_roi",
            "trend_intercept",
            "slope_se",
            "projected_at_target",
            "likelihood",
            "push_in_points",
            "push_in_roi",
            "pull_out_points",
            "pull_out_roi",
            "judged_roi",
            "judged_points",
            "setting_nap",
            "level",
        ):
            expected = float(row[field])
            got = float(getattr(single, field))
            assert (math.isnan(expected) and math.isnan(got)) or expected == got, field
        for field in ("four_point", "trend_rule", "decision", "likelihood_text", "last_setting"):
            assert row[field] == getattr(single, field), field
        for field in (
            "four_point_detail",
            "trend_detail",
            "decision_detail",
            "reliability",
            "compare_detail",
            "carry_over_gap",
        ):
            assert row[field] == getattr(single, field), field
        # One verdict: never "on track" beside rules or a likelihood that say otherwise, never
        # "change" for a goal whose latest scores are at its target.
        settings_ = default_settings()
        if row["decision"] in ("continue", "raise_goal", "change"):
            assert row["four_point"] == row["trend_rule"] == row["decision"]
        likelihood = row["likelihood"]
        if row["decision"] in ("continue", "raise_goal") and not math.isnan(likelihood):
            assert likelihood >= settings_.on_track_min_likelihood
        if row["decision"] == "change" and not math.isnan(likelihood):
            assert likelihood <= settings_.off_track_max_likelihood
        sign = -1 if goal.direction.value == "decrease" else 1
        if row["decision"] == "change":
            assert sign * (row["level"] - row["target"]) < 0


# ----------------------------------------------------------------- Progress decisions 2.0


def test_on_track_rules_with_an_unlikely_projection_are_a_review() -> None:
    # x = 0..7, y = 12, 12, 9, 15, 18, 18, 20, 17 (least squares); target 25 at week 10.
    #   mean x 3.5, Sxx 42; sum(dx * y) = -42 - 30 - 13.5 - 7.5 + 9 + 27 + 50 + 59.5 = 52.5
    #   slope 52.5 / 42 = 1.25; intercept 121 / 8 - 1.25 * 3.5 = 10.75; projection 23.25.
    # Baseline median(12, 12, 9) = 12; needed (25 - 12) / 10 = 1.3; band 1.105 .. 1.495:
    #   parallel -> the trend rule says continue.
    # Aimline 12 + 1.3 x at x = 4..7: 17.2, 18.5, 19.8, 21.1; scores 18, 18, 20, 17: mixed ->
    #   the four-point rule says continue too.
    # Likelihood: Syy = 100.875; RSS = 100.875 - 1.25 * 52.5 = 35.25; s^2 = 35.25 / 6;
    #   se at x = 10: sqrt(s^2 * (1/8 + 6.5^2 / 42)) = 2.5777; z = (23.25 - 25) / 2.5777;
    #   P = Phi(-0.6789) = 0.2486 < on_track_min_likelihood 0.35: "on track" would contradict
    #   it -> review, both stated.
    row = one(
        {"goal_id": "G", "target": 25, "target_date": day(70)},
        weekly("G", [12, 12, 9, 15, 18, 18, 20, 17]),
    )
    se = math.sqrt(35.25 / 6 * (1 / 8 + 6.5**2 / 42))
    expected = 0.5 * (1 + math.erf((23.25 - 25) / se / math.sqrt(2)))
    assert expected == pytest.approx(0.2486, abs=1e-4)
    assert row["likelihood"] == pytest.approx(expected)
    assert row["four_point"] == row["trend_rule"] == "continue"
    assert row["decision"] == "review"
    assert row["decision_detail"] == (
        "review: the trend rule says continue (trend +1.25 per week vs +1.30 needed: parallel "
        "to the aimline (within 15%)) but the projection reaches only 23.2 against the target "
        "25 (likelihood 25%)"
    )


def test_goal_met_needs_enough_scores_and_reads_the_direction() -> None:
    # A decrease goal (prompts, target 3): the last three 3, 2, 4 have median 3: met.
    goal = {"goal_id": "G", "target": 3, "target_date": day(70), "direction": "decrease"}
    row = one(goal, weekly("G", [9, 8, 8, 6, 3, 2, 4]))
    assert row["level"] == 3
    assert row["decision"] == "goal_met"
    # 4 is not at or below 3.
    assert one(goal, weekly("G", [9, 8, 8, 6, 3, 4, 4]))["decision"] != "goal_met"
    # Five scores at the target are still too few for any verdict (min_points 6).
    assert one(goal, weekly("G", [3, 3, 3, 3, 3]))["decision"] == "insufficient_data"


def nap_district(pull: list[float], push: list[float], order: str, **goal: object):
    """Scores of two settings, alternating week by week (order "mixed"), or one setting after
    the other ("push_first" / "pull_first")."""
    if order == "mixed":
        rows = [
            (s, "push_in" if i % 2 == 0 else "pull_out")
            for i, s in enumerate(x for pair in zip(push, pull, strict=True) for x in pair)
        ]
    elif order == "push_first":
        rows = [(s, "push_in") for s in push] + [(s, "pull_out") for s in pull]
    else:
        rows = [(s, "pull_out") for s in pull] + [(s, "push_in") for s in push]
    points = [("G", day(7 * i), s, setting) for i, (s, setting) in enumerate(rows)]
    return make_district([{"goal_id": "G", "target": 30, "target_date": day(140), **goal}], points)


def test_nap_with_overlap_and_ties_by_hand() -> None:
    # Pull-out 5, 7, 9 against push-in 4, 6, 7 (alternating weeks), three each compared.
    # Pairs won by pull-out: 5 beats 4 (1); 7 beats 4 and 6 and ties 7 (2.5); 9 beats all (3).
    # NAP = 6.5 / 9 = 0.7222. Hanley-McNeil: Q1 = A / (2 - A), Q2 = 2A^2 / (1 + A),
    # var = (A(1 - A) + 2(Q1 - A^2) + 2(Q2 - A^2)) / 9.
    rules = ProgressSettings.from_table({**RULES.model_dump(), "compare_min_points": 3})
    row = goal_summary(nap_district([5, 7, 9], [4, 6, 7], "mixed"), rules).iloc[0]
    a = 6.5 / 9
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = math.sqrt((a * (1 - a) + 2 * (q1 - a * a) + 2 * (q2 - a * a)) / 9)
    assert row["setting_nap"] == pytest.approx(a)
    assert row["setting_nap_low"] == pytest.approx(max(0.0, a - 1.959964 * se), abs=1e-6)
    assert row["setting_nap_high"] == pytest.approx(min(1.0, a + 1.959964 * se), abs=1e-6)
    # Medians 7 (pull-out) and 6 (push-in): level difference 1.
    assert row["setting_level_diff"] == 1
    # 0.72 < carry_over_nap 0.75 and its interval reaches below 0.5: no carry-over gap.
    assert not row["carry_over_gap"]
    # With the default compare_min_points (4), three scores a setting are not compared.
    default = goal_summary(nap_district([5, 7, 9], [4, 6, 7], "mixed"), RULES).iloc[0]
    assert math.isnan(default["setting_nap"])
    assert default["compare_detail"] == (
        "too few scores to compare the settings (3 pull-out, 3 push-in; 4 each needed)"
    )


def test_nap_reads_the_goal_direction_and_time_order() -> None:
    # Decrease goal: pull-out 3, 2, 1, 2 against push-in 5, 6, 4, 5: every pull-out score is
    # lower, i.e. better -> NAP 1, interval 1-1; same weeks -> a carry-over gap.
    decrease = {"direction": "decrease", "target": 1}
    row = goal_summary(nap_district([3, 2, 1, 2], [5, 6, 4, 5], "mixed", **decrease)).iloc[0]
    assert row["setting_nap"] == 1
    assert row["setting_level_diff"] == 2 - 5
    assert row["carry_over_gap"]
    # Increase goal, push-in first then pull-out higher: growth over time may explain it ->
    # NAP 1 but no carry-over gap. Pull-out first and higher, then lower in class: a gap.
    later = goal_summary(nap_district([20, 21, 22, 23], [10, 11, 12, 13], "push_first")).iloc[0]
    assert later["setting_nap"] == 1 and not later["carry_over_gap"]
    earlier = goal_summary(nap_district([20, 21, 22, 23], [10, 11, 12, 13], "pull_first")).iloc[0]
    assert earlier["setting_nap"] == 1 and earlier["carry_over_gap"]


def test_measure_range_from_the_settings() -> None:
    assert SHIPPED.measure_range("percent accuracy") == (0.0, 100.0)
    assert SHIPPED.measure_range("Percent of trials") == (0.0, 100.0)
    assert SHIPPED.measure_range("words correct per minute") == (0.0, math.inf)
    assert SHIPPED.measure_range("") == (0.0, math.inf)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"level_window": 7}, "level_window (7) cannot exceed min_points (6)"),
        ({"on_track_min_likelihood": 0.8}, "on_track_min_likelihood cannot exceed"),
        ({"carry_over_nap": 0.5}, "progress.carry_over_nap"),
        ({"measure_ranges": [{"contains": "percent", "low": 100.0, "high": 0.0}]}, "low must"),
        ({"measure_ranges": [{"contains": "percent"}]}, "progress.measure_ranges.0.low: missing"),
    ],
)
def test_bad_new_progress_keys(change: dict, message: str) -> None:
    with pytest.raises(RulesError) as caught:
        ProgressSettings.from_table({**SHIPPED.model_dump(), **change})
    assert message in str(caught.value)


def test_a_rules_file_written_before_the_new_keys_still_loads() -> None:
    old = {
        key: SHIPPED.model_dump()[key]
        for key in (
            "min_points",
            "min_weeks",
            "four_point_window",
            "parallel_tolerance",
            "likelihood_min_points",
            "likelihood_min_weeks",
        )
    }
    rules = ProgressSettings.from_table({**old, "default_trend": "ols"})
    assert rules.level_window == 3
    assert rules.measure_range("percent accuracy") == (0.0, 100.0)
