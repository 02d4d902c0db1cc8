"""The district put together: `generate` runs the parts in order and shapes the frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pushin_rules.data.contract import FILES
from pushin_rules.data.synth.constants import (
    MAX_STUDENTS,
    MIN_STUDENTS_FOR_VIGNETTES,
    MODEL_TEXT,
    SERVICE_TYPES,
    SETTING_TEXT,
    VIGNETTES,
)
from pushin_rules.data.synth.goals_progress import _goals, _progress
from pushin_rules.data.synth.people import _assign_providers, _ids, _providers, _schools, _students
from pushin_rules.data.synth.service_log import SERVICE_LOG_STREAM, _service_log, _take
from pushin_rules.data.synth.services import _services
from pushin_rules.errors import InputError
from pushin_rules.models import FACTORS

# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def generate(students: int, seed: int) -> dict[str, pd.DataFrame]:
    """A synthetic district of `students` students, one frame per contract file.

    Keys are the file names ("schools.csv", ...), columns are in contract order. Dates are
    datetime64, ratings int8, `current_push_in_minutes` nullable Int64 (empty for a service
    with no model yet); empty text is "". The same arguments always give the same frames.
    """
    if not 1 <= students <= MAX_STUDENTS:
        raise InputError(f"--students must be from 1 to {MAX_STUDENTS:,} (got {students:,})")
    if seed < 0:
        raise InputError(f"--seed must be 0 or more (got {seed})")
    rng = np.random.default_rng(seed)
    vignettes = VIGNETTES if students >= MIN_STUDENTS_FOR_VIGNETTES else ()

    schools = _schools(rng, students)
    pupils = _students(rng, students, schools, vignettes)
    services = _services(rng, pupils, schools, vignettes)
    providers = _providers(rng, students, services)
    _assign_providers(rng, pupils, services, providers)
    goals = _goals(rng, pupils, services, vignettes)
    progress = _progress(rng, services, goals, vignettes)
    frames = _frames(schools, pupils, providers, services, goals, progress)
    # Its own random stream, so adding the log left the other files byte-identical.
    frames["service_log.csv"] = _service_log(
        np.random.default_rng(np.random.SeedSequence([seed, SERVICE_LOG_STREAM])),
        services,
        frames["services.csv"]["service_id"].to_numpy(dtype=object),
    )
    return frames


def _frames(
    schools: dict[str, np.ndarray],
    pupils: dict[str, np.ndarray],
    providers: dict[str, np.ndarray],
    services: dict[str, np.ndarray],
    goals: dict[str, np.ndarray],
    progress: dict[str, np.ndarray],
) -> dict[str, pd.DataFrame]:
    provider_ids = np.append(providers["provider_id"], "")  # index -1 reads as "no provider"
    provider_names = providers["name"]
    service_ids = _ids("SV", len(services["owner"]), 5)
    goal_ids = _ids("G", len(goals["service"]), 5)

    columns: dict[str, dict[str, object]] = {
        "schools.csv": {
            "school_id": schools["school_id"],
            "name": schools["name"],
            "minutes_per_day": schools["minutes_per_day"],
            "days_per_week": schools["days_per_week"],
        },
        "students.csv": {
            "student_id": pupils["student_id"],
            "name": pupils["name"],
            "grade": pupils["grade"],
            "school_id": schools["school_id"][pupils["school"]],
            "classroom": pupils["classroom"],
            "case_manager": provider_names[pupils["case_manager"]],
        },
        "providers.csv": {
            "provider_id": providers["provider_id"],
            "name": providers["name"],
            "role": providers["role"],
            "weekly_capacity_minutes": providers["weekly_capacity_minutes"],
        },
        "services.csv": {
            "service_id": service_ids,
            "student_id": pupils["student_id"][services["owner"]],
            "service": np.array(SERVICE_TYPES, dtype=object)[services["kind"]],
            "provider_id": provider_ids[services["provider"]],
            "minutes_per_week": services["minutes"].astype("int64"),
            "session_minutes": services["session_minutes"].astype("int64"),
            "group_size": services["group"].astype("int64"),
            "current_model": MODEL_TEXT[services["model"]],
            "current_push_in_minutes": pd.arrays.IntegerArray(
                np.maximum(services["push_in"], 0).astype("int64"), services["push_in"] < 0
            ),
            **{k: services["ratings"][:, i] for i, k in enumerate(FACTORS)},
        },
        "goals.csv": {
            "goal_id": goal_ids,
            "service_id": service_ids[goals["service"]],
            "description": goals["description"],
            "measure": goals["measure"],
            "direction": np.where(goals["increase"], "increase", "decrease").astype(object),
            "target": goals["target"],
            "target_date": goals["target_date"].astype("datetime64[ns]"),
        },
        "progress.csv": {
            # Taking from the few distinct values is far cheaper than building millions of
            # strings one by one.
            "goal_id": _take(goal_ids, progress["goal"]),
            "date": progress["date"].astype("datetime64[ns]"),
            "score": progress["score"],
            "setting": _take(SETTING_TEXT, progress["setting"]),
        },
    }
    frames = {}
    for spec in FILES:
        if spec.name in columns:  # service_log.csv is added by generate()
            frames[spec.name] = pd.DataFrame(columns[spec.name])[list(spec.column_names)]
    return frames
