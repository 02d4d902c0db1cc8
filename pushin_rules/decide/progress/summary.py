"""The progress analytics over a district: `goal_summary` (one row per goal) and
`service_progress` (the most urgent verdict per service).

The rest of the analytics' frames live beside this module and stay importable from here:
`summary_frame.py` (the summary's columns), `goal_analysis.py` (`analyse_goal`, one goal),
`phases.py` (`phase_summary`), `csv_frame.py` (`summary_csv_frame`), `prepare.py` (frames to
arrays)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.decide.progress.csv_frame import CSV_COLUMNS, summary_csv_frame
from pushin_rules.decide.progress.goal_analysis import GoalAnalysis, Phase, analyse_goal
from pushin_rules.decide.progress.phases import PHASE_COLUMNS, PHASE_FIELDS, phase_summary
from pushin_rules.decide.progress.prepare import _run
from pushin_rules.decide.progress.settings import (
    DECISIONS,
    ProgressSettings,
    _trend_method,
    default_settings,
)
from pushin_rules.decide.progress.summary_frame import SUMMARY_COLUMNS, _summary_frame

__all__ = [
    "CSV_COLUMNS",
    "PHASE_COLUMNS",
    "PHASE_FIELDS",
    "SUMMARY_COLUMNS",
    "GoalAnalysis",
    "Phase",
    "analyse_goal",
    "goal_summary",
    "phase_summary",
    "service_progress",
    "summary_csv_frame",
]


def goal_summary(
    district: District,
    settings: ProgressSettings | None = None,
    trend: str | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """One row per goal of the district (goals with no scores included), columns `SUMMARY_COLUMNS`.

    `trend` is "ols", "tukey" or "theil_sen" (None: the settings' default_trend). `today`, when
    given, ignores scores dated after it (the picture as it stood that day).
    """
    settings = settings or default_settings()
    method = _trend_method(trend, settings)
    goals = district.goals.reset_index(drop=True)
    prepared, core = _run(goals, district.progress, settings, method, today)
    return _summary_frame(goals, prepared, core, settings, method)


def service_progress(summary: pd.DataFrame) -> pd.DataFrame:
    """Per service (index service_id): the most urgent decision among its goals, and counts.

    Columns: progress_decision, goals, then one count column per decision (`DECISIONS`, most
    urgent first). Services with no goals are absent; a caller shows them as `no_data`.
    """
    rank = pd.Categorical(summary["decision"], categories=list(DECISIONS)).codes
    if (rank < 0).any():
        raise ValueError("decision values must be one of " + ", ".join(DECISIONS))
    service, ids = pd.factorize(summary["service_id"], sort=True)
    kinds = len(DECISIONS)
    counts = np.bincount(service * kinds + rank, minlength=len(ids) * kinds).reshape(-1, kinds)
    # The first decision (most urgent) with a goal behind it.
    urgent = np.argmax(counts > 0, axis=1)
    out = pd.DataFrame(
        {
            "progress_decision": np.array(DECISIONS, dtype=object)[urgent],
            "goals": counts.sum(axis=1),
            **{decision: counts[:, k] for k, decision in enumerate(DECISIONS)},
        },
        index=pd.Index(np.asarray(ids, dtype=object), name="service_id"),
    )
    return out.astype({c: "int64" for c in ("goals", *DECISIONS)})
