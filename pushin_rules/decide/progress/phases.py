"""Phases (consecutive scores in the same setting) as a frame: `phase_summary`, one row per
phase with its own OLS line, columns `PHASE_COLUMNS`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.decide.progress.decisions import _Core
from pushin_rules.decide.progress.prepare import _dates, _points_frame, _Prepared, _run
from pushin_rules.decide.progress.settings import ProgressSettings, default_settings
from pushin_rules.decide.progress.trend import _SETTINGS
from pushin_rules.models import GoalDirection, ProgressPoint

PHASE_COLUMNS: tuple[str, ...] = (
    "goal_id",
    "phase",
    "setting",
    "start",
    "end",
    "points",
    "weeks",
    "slope",
    "attained_roi",
    "intercept",
    "needed_roi",
    "share_of_needed",
    "note",
)
# The phase columns that make a `Phase`, in its field order.
PHASE_FIELDS = ("phase", "setting", "start", "end", "points", "slope", "intercept", "note")


def phase_summary(
    data: District | pd.DataFrame | Sequence[ProgressPoint],
    goal_id: str | None = None,
    *,
    settings: ProgressSettings | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """One row per phase (consecutive scores in the same setting), columns `PHASE_COLUMNS`.

    `data` is a District, a progress frame (goal_id, date, score, setting) or a list of
    ProgressPoint; `goal_id` keeps one goal (None: every goal). `slope` is the phase's OLS line in
    score per week and `attained_roi` the same number under the name teams use; `intercept` is
    the line's value at the goal's first score. `needed_roi` and `share_of_needed`
    (attained / needed) come only from a District, which has the goals' targets.
    """
    settings = settings or default_settings()
    if isinstance(data, District):
        goals, progress = data.goals, data.progress
    else:
        progress = data if isinstance(data, pd.DataFrame) else _points_frame(list(data))
        ids = pd.unique(progress["goal_id"])
        goals = pd.DataFrame(
            {
                "goal_id": ids,
                "direction": GoalDirection.increase.value,
                "target": np.nan,
                "target_date": pd.NaT,
            }
        )
    if goal_id is not None:
        goals = goals[goals["goal_id"] == goal_id]
        progress = progress[progress["goal_id"] == goal_id]
    goals = goals.reset_index(drop=True)
    prepared, core = _run(goals, progress, settings, "ols", today)
    return _phase_frame(prepared, core)


def _phase_frame(prepared: _Prepared, core: _Core) -> pd.DataFrame:
    group = core.phase_group
    first_phase = np.cumsum(core.phases) - core.phases  # every group has at least one phase
    number = np.arange(len(group)) - np.repeat(first_phase, core.phases)
    needed = core.needed_roi[group]
    slope = core.phase_slope
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(np.isfinite(needed) & (needed != 0), slope / needed, np.nan)
    notes = np.where(
        core.phase_counts < 2,
        "one score in this phase: no slope",
        np.where(np.isfinite(slope), "", "all scores on one date: no slope"),
    )
    return pd.DataFrame(
        {
            "goal_id": prepared.goal_ids[group],
            "phase": number + 1,
            "setting": np.array(_SETTINGS, dtype=object)[core.phase_setting],
            "start": _dates(core.phase_first_day),
            "end": _dates(core.phase_last_day),
            "points": core.phase_counts.astype(np.int64),
            "weeks": (core.phase_last_day - core.phase_first_day) / 7.0,
            "slope": slope,
            "attained_roi": slope,
            "intercept": core.phase_intercept,
            "needed_roi": needed,
            "share_of_needed": share,
            "note": notes.astype(object),
        },
        columns=list(PHASE_COLUMNS),
    )
