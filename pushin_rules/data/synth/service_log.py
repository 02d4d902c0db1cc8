"""The service log: every session of the monitored weeks, delivered or missed and why."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pushin_rules.data.synth.constants import (
    FIRST_MONDAY,
    HYBRID,
    NO_MODEL,
    PULL_OUT,
    PUSH_IN,
    SETTING_TEXT,
)
from pushin_rules.data.synth.goals_progress import _week_starts

# --------------------------------------------------------------------------------------------
# Service log: every session of the monitored weeks, delivered or missed and why
# --------------------------------------------------------------------------------------------

SERVICE_LOG_STREAM = 15  # second entropy word of the log's own random stream
STATUS_TEXT = np.array(["delivered", "missed"], dtype=object)
REASON_TEXT = np.array(
    [
        "",
        "school_closed",
        "provider_absent",
        "student_absent",
        "schedule_conflict",
        "student_refused",
        "other",
    ],
    dtype=object,
)
# Chances per session (per provider or student day for absences). Assemblies, tests and
# field trips cancel in-class sessions far more often than therapy-room ones.
PROVIDER_ABSENT_DAY = 0.02
STUDENT_ABSENT_DAY = 0.04
CONFLICT_CHANCE = {PUSH_IN: 0.10, PULL_OUT: 0.02}
REFUSED_CHANCE = 0.01
OTHER_CHANCE = 0.005


def _service_log(
    rng: np.random.Generator, services: dict[str, np.ndarray], service_ids: np.ndarray
) -> pd.DataFrame:
    """One row per service, session day and setting over the 20 monitored weeks.

    Services with a model and a provider are logged; new or unstaffed ones are not. Sessions
    fall on fixed weekdays; Thanksgiving week's Thursday and Friday are closed (school_closed).
    """
    week_offset, school_days = _week_starts()
    model = services["model"]
    minutes = services["minutes"].astype(np.int64)
    sessions = np.maximum(1, np.rint(minutes / services["session_minutes"])).astype(np.int64)
    logged = np.flatnonzero((model != NO_MODEL) & (services["provider"] >= 0))
    count = sessions[logged]
    # One entry per (service, session of the week), then repeated over the weeks.
    service = np.repeat(logged, count)
    first = np.repeat(np.cumsum(count) - count, count)
    k = np.arange(len(service)) - first
    per = np.repeat(count, count)
    base = minutes[service] // per
    session_minutes = base + (k < minutes[service] - base * per)
    push_sessions = np.clip(
        np.rint(np.maximum(services["push_in"][service], 0) / minutes[service] * per),
        1,
        np.maximum(per - 1, 1),
    )
    weekday = (k + service) % 5  # services spread over the week

    weeks = len(week_offset)
    service = np.tile(service, weeks)
    k = np.tile(k, weeks)
    session_minutes = np.tile(session_minutes, weeks)
    push_sessions = np.tile(push_sessions, weeks)
    weekday = np.tile(weekday, weeks)
    week = np.repeat(np.arange(weeks), len(first))

    # The week's model: the previous one before a mid-year change; a hybrid splits sessions.
    week_model = np.where(
        (services["change_week"][service] >= 0) & (week < services["change_week"][service]),
        services["previous"][service],
        model[service],
    )
    setting = np.where(
        week_model == HYBRID, np.where(k < push_sessions, PUSH_IN, PULL_OUT), week_model
    ).astype(np.int8)

    n = len(service)
    provider = services["provider"][service]
    owner = services["owner"][service]
    day_index = week * 5 + weekday
    provider_away = rng.random((int(services["provider"].max()) + 1, weeks * 5)) < (
        PROVIDER_ABSENT_DAY
    )
    student_away = rng.random((int(services["owner"].max()) + 1, weeks * 5)) < STUDENT_ABSENT_DAY
    conflict = rng.random(n) < np.where(
        setting == PUSH_IN, CONFLICT_CHANCE[PUSH_IN], CONFLICT_CHANCE[PULL_OUT]
    )
    refused = rng.random(n) < REFUSED_CHANCE
    other = rng.random(n) < OTHER_CHANCE
    closed = weekday >= school_days[week]
    reason = np.select(
        [
            closed,
            provider_away[provider, day_index],
            student_away[owner, day_index],
            conflict,
            refused,
            other,
        ],
        [1, 2, 3, 4, 5, 6],
        0,
    ).astype(np.int8)

    # More than five sessions a week put two on one day: one row per day and setting.
    day = week_offset[week] + weekday
    key = (service.astype(np.int64) * 1_000 + day) * 2 + setting
    order = np.lexsort((k, key))
    key, keep = np.unique(key[order], return_index=True)
    totals = np.add.reduceat(session_minutes[order], keep)
    pick = order[keep]
    return pd.DataFrame(
        {
            "service_id": _take(service_ids, service[pick]),
            "date": (np.datetime64(FIRST_MONDAY, "D") + day[pick]).astype("datetime64[ns]"),
            "setting": _take(SETTING_TEXT, setting[pick]),
            "minutes": totals.astype("int64"),
            "status": _take(STATUS_TEXT, (reason[pick] > 0).astype(np.int64)),
            "reason": _take(REASON_TEXT, reason[pick]),
        }
    )


def _take(values: np.ndarray, codes: np.ndarray) -> pd.Series:
    return pd.Series(values, dtype="str").take(codes).reset_index(drop=True)
