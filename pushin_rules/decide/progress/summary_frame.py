"""The district-wide summary frame: one row per goal, columns `SUMMARY_COLUMNS`, built from
the array code's results (`_summary_frame`, shared by `goal_summary` and `analyse_goal`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pushin_rules.decide.progress.decisions import _Core
from pushin_rules.decide.progress.prepare import _dates, _days, _Prepared, _scatter
from pushin_rules.decide.progress.sentences import (
    _compare_sentences,
    _decision_sentences,
    _four_point_sentences,
    _likelihood_text,
    _phase_prefixes,
    _reliability_sentences,
    _trend_sentences,
    _with_prefix,
)
from pushin_rules.decide.progress.settings import DECISIONS, ProgressSettings
from pushin_rules.decide.progress.trend import (
    _INSUFFICIENT,
    _PULL_OUT,
    _PUSH_IN,
    _RULE_NONE,
    _SETTINGS,
)
from pushin_rules.models import GoalDirection

SUMMARY_COLUMNS: tuple[str, ...] = (
    "goal_id",
    "service_id",
    "direction",
    "measure",
    "points",
    "weeks",
    "last_date",
    "baseline",
    "baseline_date",
    "target",
    "target_date",
    "weeks_to_target",
    "needed_roi",
    "trend",
    "trend_roi",
    "trend_intercept",
    "slope_se",
    "four_point",
    "four_point_detail",
    "trend_rule",
    "trend_detail",
    "decision",
    "projected_at_target",
    "likelihood",
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
    # Progress decisions 2.0 (new columns go at the end; nothing above is renamed).
    "ols_roi",
    "level",
    "judged_on",
    "judged_start",
    "judged_points",
    "judged_baseline",
    "judged_needed_roi",
    "judged_roi",
    "judged_intercept",
    "judged_slope_se",
    "decision_detail",
    "reliability",
    "measure_low",
    "measure_high",
    "push_in_median",
    "pull_out_median",
    "setting_level_diff",
    "setting_nap",
    "setting_nap_low",
    "setting_nap_high",
    "compare_detail",
    "carry_over_gap",
)


def _measure_ranges(goals: pd.DataFrame, settings: ProgressSettings) -> np.ndarray:
    """(goals, 2): the lowest and highest possible score of each goal's measure."""
    measures = goals["measure"] if "measure" in goals else pd.Series("", index=goals.index)
    names = measures.fillna("").astype(str)
    unique = pd.unique(names)
    table = {name: settings.measure_range(name) for name in unique}
    return np.array([table[name] for name in names], dtype=float).reshape(-1, 2)


def _summary_frame(
    goals: pd.DataFrame,
    prepared: _Prepared,
    core: _Core,
    settings: ProgressSettings,
    method: str,
) -> pd.DataFrame:
    size, rows = len(goals), prepared.goal_row
    decrease = goals["direction"].to_numpy() == GoalDirection.decrease.value
    whole, judged, compare = core.whole, core.judged, core.compare

    def per_goal(values: np.ndarray) -> np.ndarray:
        return _scatter(size, rows, values.astype(float), np.nan)

    points = _scatter(size, rows, whole.counts.astype(np.int64), 0)
    weeks = per_goal(whole.weeks)
    target = goals["target"].to_numpy(dtype=float)
    # The rules' columns describe the series the verdict rests on (the newest phase after a
    # change of setting, else every score). Goals with no scores: the rules cannot fire.
    four_point = _scatter(size, rows, judged.four_point, _INSUFFICIENT)
    trend_rule = _scatter(size, rows, judged.trend_rule, _INSUFFICIENT)
    rule_case = _scatter(size, rows, judged.rule_case, _RULE_NONE)
    decision = _scatter(size, rows, core.decision, _INSUFFICIENT)
    why = _scatter(size, rows, core.why, 0)
    judged_points = _scatter(size, rows, judged.counts.astype(np.int64), 0)
    judged_weeks = per_goal(judged.weeks)
    judged_slope = per_goal(judged.slope)
    judged_needed = per_goal(judged.needed_roi)
    likelihood = per_goal(judged.likelihood)
    likelihood_text = _likelihood_text(likelihood)
    decisions = np.array(DECISIONS, dtype=object)
    ranges = _measure_ranges(goals, settings)
    projected = np.clip(per_goal(judged.projected), ranges[:, 0], ranges[:, 1])

    phase_roi = core.phase_slope
    last_phase = core.last_phase
    has_previous = core.phases >= 2
    previous = np.maximum(last_phase - 1, 0)
    settings_text = np.array(_SETTINGS, dtype=object)
    previous_setting = np.where(has_previous, settings_text[core.phase_setting[previous]], "")
    phased = _scatter(size, rows, core.phased, False)
    judged_start = _dates(per_goal(judged.first_day))
    start_text = pd.Series(judged_start).dt.strftime("%Y-%m-%d").fillna("").tolist()
    newest_setting = _scatter(size, rows, settings_text[core.phase_setting[last_phase]], "")
    prefixes = _phase_prefixes(phased, newest_setting, start_text)
    four_point_detail = _with_prefix(
        _four_point_sentences(
            four_point,
            _scatter(size, rows, judged.window_off, 0),
            _scatter(size, rows, judged.window_ahead, 0),
            decrease,
            judged_points,
            judged_weeks,
            settings,
        ),
        prefixes,
    )
    trend_detail = _with_prefix(
        _trend_sentences(
            rule_case,
            trend_rule,
            judged_slope,
            judged_needed,
            judged_points,
            judged_weeks,
            settings,
        ),
        prefixes,
    )
    push_points = _scatter(size, rows, core.setting_points[:, _PUSH_IN], 0)
    pull_points = _scatter(size, rows, core.setting_points[:, _PULL_OUT], 0)
    push_median = per_goal(compare.push_in_median)
    pull_median = per_goal(compare.pull_out_median)
    nap, nap_low, nap_high = (
        per_goal(compare.nap),
        per_goal(compare.nap_low),
        per_goal(compare.nap_high),
    )
    gap = _scatter(size, rows, compare.carry_over_gap, False)
    judged_se = per_goal(judged.slope_se)

    return pd.DataFrame(
        {
            "goal_id": goals["goal_id"].to_numpy(dtype=object),
            "service_id": goals["service_id"].to_numpy(dtype=object),
            "direction": goals["direction"].to_numpy(dtype=object),
            "measure": goals["measure"].to_numpy(dtype=object)
            if "measure" in goals
            else np.full(size, "", dtype=object),
            "points": points,
            "weeks": weeks,
            "last_date": _dates(per_goal(whole.last_day)),
            "baseline": per_goal(whole.baseline),
            "baseline_date": _dates(per_goal(whole.first_day)),
            "target": target,
            "target_date": _dates(_days(goals["target_date"])),
            "weeks_to_target": per_goal(whole.weeks_to_target),
            "needed_roi": per_goal(whole.needed_roi),
            "trend": np.full(size, method, dtype=object),
            "trend_roi": per_goal(whole.slope),
            "trend_intercept": per_goal(whole.intercept),
            "slope_se": per_goal(whole.slope_se),
            "four_point": decisions[four_point],
            "four_point_detail": four_point_detail,
            "trend_rule": decisions[trend_rule],
            "trend_detail": trend_detail,
            "decision": decisions[decision],
            "projected_at_target": projected,
            "likelihood": likelihood,
            "likelihood_text": likelihood_text,
            "last_score": per_goal(core.last_score),
            "last_setting": _scatter(size, rows, settings_text[core.last_setting], ""),
            "phases": _scatter(size, rows, core.phases.astype(np.int64), 0),
            "last_phase_roi": per_goal(phase_roi[last_phase]),
            "previous_phase_setting": _scatter(size, rows, previous_setting, ""),
            "previous_phase_roi": per_goal(np.where(has_previous, phase_roi[previous], np.nan)),
            "push_in_points": push_points,
            "push_in_roi": per_goal(core.setting_slope[:, _PUSH_IN]),
            "pull_out_points": pull_points,
            "pull_out_roi": per_goal(core.setting_slope[:, _PULL_OUT]),
            "ols_roi": per_goal(whole.ols_slope),
            "level": per_goal(whole.level),
            "judged_on": np.where(
                phased,
                np.char.add("newest phase: ", newest_setting.astype(str)),
                np.where(points > 0, "all scores", ""),
            ).astype(object),
            "judged_start": judged_start,
            "judged_points": judged_points,
            "judged_baseline": per_goal(judged.baseline),
            "judged_needed_roi": judged_needed,
            "judged_roi": judged_slope,
            "judged_intercept": per_goal(judged.intercept),
            "judged_slope_se": judged_se,
            "decision_detail": _decision_sentences(
                why,
                decision,
                four_point,
                trend_rule,
                four_point_detail,
                trend_detail,
                per_goal(whole.level),
                target,
                projected,
                likelihood_text,
                newest_setting,
                start_text,
                judged_points,
                judged_weeks,
                judged_slope,
                judged_needed,
                gap,
                settings,
            ),
            "reliability": _reliability_sentences(
                judged_points, judged_weeks, judged_slope, judged_se, settings
            ),
            "measure_low": ranges[:, 0],
            "measure_high": np.where(np.isinf(ranges[:, 1]), np.nan, ranges[:, 1]),
            "push_in_median": push_median,
            "pull_out_median": pull_median,
            "setting_level_diff": pull_median - push_median,
            "setting_nap": nap,
            "setting_nap_low": nap_low,
            "setting_nap_high": nap_high,
            "compare_detail": _compare_sentences(
                push_points,
                pull_points,
                push_median,
                pull_median,
                nap,
                nap_low,
                nap_high,
                gap,
                settings,
            ),
            "carry_over_gap": gap.astype(bool),
        }
    )
