"""Frames to arrays and back: scores grouped by goal for the array code (`_prepare`, `_run`),
per-group values placed at their goals' rows (`_scatter`), day numbers as dates (`_dates`), and
one goal or a list of scores as the frames the district code reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pushin_rules.decide.progress.decisions import _analyse, _Core
from pushin_rules.decide.progress.settings import ProgressSettings
from pushin_rules.decide.progress.trend import _SETTINGS
from pushin_rules.models import Goal, GoalDirection, ProgressPoint

_NS_PER_DAY = 86_400 * 10**9
_EMPTY_INT = np.zeros(0, dtype=np.int64)


def _days(values: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 as floats (NaN for a missing date)."""
    stamps = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
    days = (stamps.astype(np.int64) // _NS_PER_DAY).astype(float)
    days[np.isnat(stamps)] = np.nan
    return days


def _setting_codes(values: pd.Series) -> np.ndarray:
    codes = np.zeros(len(values), dtype=np.int8)
    for code, name in enumerate(_SETTINGS):
        if code:
            codes[(values == name).to_numpy(dtype=bool, na_value=False)] = code
    return codes


@dataclass(frozen=True)
class _Prepared:
    """Scores grouped by goal: the arrays for `_analyse` and where each group's goal sits."""

    day: np.ndarray
    score: np.ndarray
    setting: np.ndarray
    starts: np.ndarray
    goal_row: np.ndarray  # row in the goals frame of each group
    goal_ids: np.ndarray  # goal_id of each group


def _prepare(goals: pd.DataFrame, progress: pd.DataFrame, today: dt.date | None) -> _Prepared:
    if today is not None and len(progress):
        progress = progress[progress["date"] <= pd.Timestamp(today)]
    codes, uniques = pd.factorize(progress["goal_id"], sort=False)
    day = _days(progress["date"])
    score = progress["score"].to_numpy(dtype=float)
    if "setting" in progress:
        setting = _setting_codes(progress["setting"])
    else:
        setting = np.zeros(len(score), dtype=np.int8)
    # The contract sorts progress by goal then date; sort (stably) only when a caller did not.
    step = np.diff(codes)
    if (step < 0).any() or ((step == 0) & (np.diff(day) < 0)).any():
        order = np.lexsort((day, codes))
        codes, day, score, setting = codes[order], day[order], score[order], setting[order]
        step = np.diff(codes)
    goal_row = pd.Index(goals["goal_id"]).get_indexer(uniques)
    if (goal_row < 0).any():  # scores for a goal the goals frame does not have: ignored
        keep = goal_row[codes] >= 0
        codes, day, score, setting = codes[keep], day[keep], score[keep], setting[keep]
        remap = np.cumsum(goal_row >= 0) - 1
        uniques, goal_row = uniques[goal_row >= 0], goal_row[goal_row >= 0]
        codes = remap[codes]
        step = np.diff(codes)
    starts = np.flatnonzero(np.concatenate(([True], step != 0))) if len(codes) else _EMPTY_INT
    return _Prepared(
        day=day,
        score=score,
        setting=setting,
        starts=starts,
        goal_row=goal_row,
        goal_ids=np.asarray(uniques, dtype=object),
    )


def _run(
    goals: pd.DataFrame,
    progress: pd.DataFrame,
    settings: ProgressSettings,
    method: str,
    today: dt.date | None,
) -> tuple[_Prepared, _Core]:
    prepared = _prepare(goals, progress, today)
    rows = prepared.goal_row
    sign = np.where(goals["direction"].to_numpy()[rows] == GoalDirection.decrease.value, -1.0, 1.0)
    core = _analyse(
        prepared.day,
        prepared.score,
        prepared.setting,
        prepared.starts,
        sign,
        goals["target"].to_numpy(dtype=float)[rows],
        _days(goals["target_date"])[rows],
        settings,
        method,
    )
    return prepared, core


def _scatter(size: int, rows: np.ndarray, values: np.ndarray, fill: object) -> np.ndarray:
    """Per-group values placed at their goals' rows; goals without scores get `fill`."""
    values = np.asarray(values)
    out = np.full(size, fill, dtype=values.dtype)
    out[rows] = values
    return out


def _dates(days: np.ndarray) -> np.ndarray:
    """Float days since 1970 (NaN for none) -> datetime64[ns] (NaT for none)."""
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    known = np.isfinite(days)
    out[known] = (days[known].astype(np.int64) * _NS_PER_DAY).astype("datetime64[ns]")
    return out


def _points_frame(points: list[ProgressPoint]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "goal_id": pd.Series([p.goal_id for p in points], dtype=object),
            "date": pd.to_datetime(pd.Series([p.date for p in points], dtype=object)),
            "score": pd.Series([p.score for p in points], dtype=float),
            "setting": pd.Series(
                [p.setting.value if p.setting else "" for p in points], dtype=object
            ),
        }
    )


def _goal_frame(goal: Goal) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "goal_id": [goal.goal_id],
            "service_id": [goal.service_id],
            "description": [goal.description],
            "measure": [goal.measure],
            "direction": [goal.direction.value],
            "target": [float(goal.target)],
            "target_date": pd.to_datetime([goal.target_date]),
        }
    )
