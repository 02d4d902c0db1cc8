"""LRE arithmetic: the share of a student's school week inside the regular class and its
federal reporting category (IDEA Part B, Indicator 5), now and if the recommendations are
adopted.

percent inside = (weekly bell-to-bell minutes - minutes of services outside the regular
class) / weekly bell-to-bell minutes x 100. Push-in minutes count as inside. Lunch, recess
and passing time count as inside: the data hold no segregated time other than pull-out
services. Categories are compared on the unrounded percentage (the cut-offs, 80 and 40, come
from the rules file).
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import pandas as pd

from pushin_rules.data.district import District
from pushin_rules.decide.rules import RuleSet, load_rules

LRE_CATEGORIES: tuple[str, ...] = ("80_or_more", "40_to_79", "under_40")

STUDENT_LRE_COLUMNS: tuple[str, ...] = (
    "student_id",
    "week_minutes",
    "outside_minutes_now",
    "percent_inside_now",
    "category_now",
    "outside_minutes_recommended",
    "percent_inside_recommended",
    "category_recommended",
)


@overload
def percent_inside(week_minutes: float, outside_minutes: float) -> float: ...
@overload
def percent_inside(week_minutes: Any, outside_minutes: Any) -> np.ndarray: ...
def percent_inside(week_minutes: Any, outside_minutes: Any) -> float | np.ndarray:
    """Percent of the week inside the regular class (scalars or arrays).

    Outside minutes beyond the week are capped at the week (0%): the data cannot describe
    more than a whole week outside.
    """
    week = np.asarray(week_minutes, dtype=float)
    outside = np.clip(np.asarray(outside_minutes, dtype=float), 0.0, week)
    percent = 100.0 * (week - outside) / week
    return float(percent) if percent.ndim == 0 else percent


@overload
def lre_category(percent: float, rules: RuleSet | None = None) -> str: ...
@overload
def lre_category(percent: Any, rules: RuleSet | None = None) -> np.ndarray: ...
def lre_category(percent: Any, rules: RuleSet | None = None) -> str | np.ndarray:
    """`80_or_more`, `40_to_79` or `under_40` (scalar or array of percentages)."""
    th = (rules or load_rules()).thresholds
    value = np.asarray(percent, dtype=float)
    codes = np.where(value >= th.lre_80_cutoff, 0, np.where(value >= th.lre_40_cutoff, 1, 2))
    if codes.ndim == 0:
        return LRE_CATEGORIES[int(codes)]
    return np.array(LRE_CATEGORIES, dtype=object)[codes]


def current_outside_minutes(services: pd.DataFrame) -> np.ndarray:
    """Minutes each service is delivered outside the class today. A service without a current
    model is not delivered yet, so it takes no time outside now."""
    minutes = services["minutes_per_week"].to_numpy(dtype=np.int64)
    push_in = services["current_push_in_minutes"].to_numpy(dtype=np.int64)
    delivered = services["current_model"].to_numpy(dtype=object) != ""
    return np.where(delivered, np.clip(minutes - push_in, 0, None), 0)


def student_lre(
    district: District,
    pull_out_minutes_by_service: pd.Series | None = None,
    rules: RuleSet | None = None,
) -> pd.DataFrame:
    """Per student (in `district.students` order, `STUDENT_LRE_COLUMNS`): the week, the
    minutes outside and the percentage and category now and as recommended.

    `pull_out_minutes_by_service` is indexed by service_id (the recommendation's pull-out
    minutes); services it does not list keep their current minutes outside. None: the
    recommended figures equal the current ones.
    """
    rules = rules or load_rules()
    week = district.school_week_minutes()
    students = district.students["student_id"].to_numpy(dtype=object)
    services = district.services
    now = current_outside_minutes(services)
    recommended = now.astype(float)
    if pull_out_minutes_by_service is not None and len(services):
        given = pd.Series(pull_out_minutes_by_service)
        given = given[~given.index.duplicated()]
        mapped = services["service_id"].map(given).to_numpy(dtype=float)
        recommended = np.where(np.isnan(mapped), now, mapped)
    student_at = pd.Index(students).get_indexer(services["student_id"].to_numpy(dtype=object))
    known = student_at >= 0
    size = len(students)
    outside_now = np.bincount(student_at[known], weights=now[known], minlength=size)
    outside_rec = np.bincount(student_at[known], weights=recommended[known], minlength=size)
    week_minutes = week.reindex(students).to_numpy(dtype=np.int64)
    percent_now = percent_inside(week_minutes, outside_now)
    percent_rec = percent_inside(week_minutes, outside_rec)
    return pd.DataFrame(
        {
            "student_id": students,
            "week_minutes": week_minutes,
            "outside_minutes_now": outside_now.astype(np.int64),
            "percent_inside_now": percent_now,
            "category_now": lre_category(percent_now, rules),
            "outside_minutes_recommended": np.round(outside_rec).astype(np.int64),
            "percent_inside_recommended": percent_rec,
            "category_recommended": lre_category(percent_rec, rules),
        }
    )
