"""A district in bulk: one pandas frame per CSV file, validated and typed.

Frame dtypes after loading (every id and text column is a Python str, never NaN):

- schools:   school_id, name, minutes_per_day (int64), days_per_week (int64)
- students:  student_id, name, grade ("K", "1".."12"), school_id, classroom, case_manager
- providers: provider_id, name, role, weekly_capacity_minutes (int64)
- services:  service_id, student_id, service, provider_id ("" when none), minutes_per_week,
             session_minutes, group_size (int64), current_model ("" for a new service),
             current_push_in_minutes (int64, derived from current_model when the file left it
             empty), then one int8 column per factor in `models.FACTORS`, then rated (bool:
             False for a service whose need ratings are all empty in the file, its need
             ratings then 0; in the store, a service with no rating version)
- goals:     goal_id, service_id, description, measure, direction, target (float64),
             target_date (datetime64[ns])
- progress:  goal_id, date (datetime64[ns]), score (float64), setting ("push_in", "pull_out"
             or ""), sorted by goal_id then date
- service_log: service_id, date (datetime64[ns]), setting ("push_in" or "pull_out"),
             minutes (int64), status ("delivered" or "missed"), reason ("" when delivered),
             sorted by service_id then date then setting (empty when the file is absent)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pushin_rules.data.contract import FILES
from pushin_rules.models import (
    DEFAULT_DAYS_PER_WEEK,
    DEFAULT_MINUTES_PER_DAY,
    FACTORS,
    Goal,
    ProgressPoint,
    Provider,
    School,
    Service,
    Student,
)

FRAME_NAMES: tuple[str, ...] = ("schools", "students", "providers", "services", "goals", "progress")
# Frames that came later and are optional in every District (a default empty frame), so code
# that builds a District from the first six keeps working.
EXTRA_FRAME_NAMES: tuple[str, ...] = ("service_log",)
ALL_FRAME_NAMES: tuple[str, ...] = FRAME_NAMES + EXTRA_FRAME_NAMES


def empty_frame(name: str) -> pd.DataFrame:
    """A frame with the contract's columns and dtypes and no rows."""
    spec = {s.name.removesuffix(".csv"): s for s in FILES}[name]
    frame = pd.DataFrame({c.name: pd.Series(dtype=_dtype(c.kind, c.name)) for c in spec.columns})
    if name == "services":
        # Not a CSV column: False when the file left every need rating empty (ratings then 0).
        frame["rated"] = pd.Series(dtype=bool)
    return frame


def _dtype(kind: str, name: str) -> str:
    if name in FACTORS:
        return "int8"
    return {"int": "int64", "float": "float64", "date": "datetime64[ns]"}.get(kind, "object")


@dataclass(frozen=True)
class District:
    schools: pd.DataFrame
    students: pd.DataFrame
    providers: pd.DataFrame
    services: pd.DataFrame
    goals: pd.DataFrame
    progress: pd.DataFrame
    service_log: pd.DataFrame = field(default_factory=lambda: empty_frame("service_log"))
    source: str = ""
    notes: tuple[str, ...] = field(default=())
    # Optional files that were absent and rebuilt from references (schools.csv with the
    # default week, providers.csv without names or capacity): a merge must not write these
    # stand-ins over real stored rows.
    derived: tuple[str, ...] = field(default=())

    @classmethod
    def empty(cls, source: str = "empty district") -> District:
        return cls(**{name: empty_frame(name) for name in ALL_FRAME_NAMES}, source=source)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in ALL_FRAME_NAMES}

    @property
    def fingerprint(self) -> str:
        """A short hash of the content, so caches key on the data rather than on a path."""
        digest = hashlib.sha256()
        for name in ALL_FRAME_NAMES:
            frame = getattr(self, name)
            if name in EXTRA_FRAME_NAMES and frame.empty:
                continue  # a district without the newer files keeps its fingerprint
            digest.update(name.encode())
            digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
        return digest.hexdigest()[:16]

    def school_week_minutes(self) -> pd.Series:
        """Bell-to-bell minutes per week for each student, indexed by student_id."""
        week = self.schools.set_index("school_id")
        minutes = (week["minutes_per_day"] * week["days_per_week"]).astype("int64")
        per_student = self.students["school_id"].map(minutes)
        default = DEFAULT_MINUTES_PER_DAY * DEFAULT_DAYS_PER_WEEK
        return pd.Series(
            per_student.fillna(default).astype("int64").to_numpy(),
            index=self.students["student_id"].to_numpy(),
            name="week_minutes",
        )

    # Single records, for the pages that show one student or one scenario.
    def student(self, student_id: str) -> Student:
        return Student(**_one(self.students, "student_id", student_id))

    def school(self, school_id: str) -> School:
        return School(**_one(self.schools, "school_id", school_id))

    def provider(self, provider_id: str) -> Provider:
        return Provider(**_one(self.providers, "provider_id", provider_id))

    def service(self, service_id: str) -> Service:
        row = _one(self.services, "service_id", service_id)
        row["current_model"] = row["current_model"] or None
        if row.get("grade") is None:
            # The student's grade decides how removal is weighed in secondary school (rule set
            # 2.x), so a single service carries it as the batch pipeline does.
            grades = self.students.loc[self.students["student_id"] == row["student_id"], "grade"]
            if len(grades):
                row["grade"] = str(grades.iloc[0])
        if "rated" not in Service.model_fields:
            row.pop("rated", None)
        return Service(**row)

    def goals_of(self, service_id: str) -> list[Goal]:
        rows = self.goals[self.goals["service_id"] == service_id]
        return [
            Goal(**{**r, "target_date": r["target_date"].date()}) for r in rows.to_dict("records")
        ]

    def progress_of(self, goal_id: str) -> list[ProgressPoint]:
        rows = self.progress[self.progress["goal_id"] == goal_id]
        return [
            ProgressPoint(
                goal_id=r["goal_id"],
                date=r["date"].date(),
                score=r["score"],
                setting=r["setting"] or None,
            )
            for r in rows.to_dict("records")
        ]


def _one(frame: pd.DataFrame, key: str, value: str) -> dict:
    rows = frame[frame[key] == value]
    if rows.empty:
        raise KeyError(f"no {key} {value!r}")
    record = rows.iloc[0].to_dict()
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in record.items()}
