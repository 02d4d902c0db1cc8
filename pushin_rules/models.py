"""The data model: one pydantic class per record kind and the enumerations they share.

Bulk data (a district) moves as pandas frames (see `district.py`); these models describe a
single record, and are what the app builds for one student, one scenario or one decision.
"""

from __future__ import annotations

import datetime as dt
from enum import IntEnum, StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Who acts when the app runs without sign-in (one person on their own computer).
LOCAL_USER = "local user"


class ServiceType(StrEnum):
    speech_language = "speech_language"
    occupational_therapy = "occupational_therapy"
    physical_therapy = "physical_therapy"
    counseling = "counseling"
    setss = "setss"


class DeliveryModel(StrEnum):
    push_in = "push_in"
    pull_out = "pull_out"
    hybrid = "hybrid"


class GoalDirection(StrEnum):
    increase = "increase"
    decrease = "decrease"


class ProviderRole(StrEnum):
    slp = "slp"
    ot = "ot"
    pt = "pt"
    counselor = "counselor"
    special_educator = "special_educator"


class Rating(IntEnum):
    """The 0-3 scale every factor is rated on (0 none / no concern, 3 high / severe)."""

    none = 0
    low = 1
    moderate = 2
    high = 3


GRADES: tuple[str, ...] = ("K", *(str(g) for g in range(1, 13)))

NEED_FACTORS: tuple[str, ...] = (
    "intensity",
    "distraction_sensitivity",
    "specialized_setting",
    "generalization",
    "social_goals",
    "curriculum_link",
    "missed_core_instruction",
    "removal_distress",
)
IMPLEMENTATION_FACTORS: tuple[str, ...] = (
    "staffing_limit",
    "collaboration_limit",
    "classroom_crowding",
)
FACTORS: tuple[str, ...] = NEED_FACTORS + IMPLEMENTATION_FACTORS

# Where the skill of a service lives (services.csv `natural_setting`; empty = classroom).
# "Push-in" for such a service means working in that setting, with classmates around; LRE
# counts those minutes inside the regular environment.
NATURAL_SETTINGS: tuple[str, ...] = (
    "classroom",
    "pe",
    "playground",
    "lunchroom",
    "hallway",
    "bathroom",
    "community",
)
SECONDARY_FROM_GRADE = 6  # grades 6-12 are weighed as secondary school (rules.toml [secondary])

DEFAULT_MINUTES_PER_DAY = 365
DEFAULT_DAYS_PER_WEEK = 5


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class School(_Record):
    school_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    minutes_per_day: int = Field(default=DEFAULT_MINUTES_PER_DAY, gt=0, le=24 * 60)
    days_per_week: int = Field(default=DEFAULT_DAYS_PER_WEEK, ge=1, le=7)

    @property
    def minutes_per_week(self) -> int:
        return self.minutes_per_day * self.days_per_week


class Student(_Record):
    student_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    grade: str
    school_id: str = Field(min_length=1)
    classroom: str = ""
    case_manager: str = ""

    @field_validator("grade")
    @classmethod
    def _grade(cls, value: str) -> str:
        value = value.upper()
        if value not in GRADES:
            raise ValueError("grade must be K or 1-12")
        return value


class Provider(_Record):
    provider_id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    role: ProviderRole
    weekly_capacity_minutes: int = Field(ge=0, le=7 * 24 * 60)


class Service(_Record):
    """One IEP service mandate with the team's factor ratings."""

    service_id: str = Field(min_length=1)
    student_id: str = Field(min_length=1)
    service: ServiceType
    provider_id: str = ""
    minutes_per_week: int = Field(gt=0, le=7 * 24 * 60)
    session_minutes: int = Field(gt=0, le=24 * 60)
    group_size: int = Field(default=1, ge=1, le=50)
    current_model: DeliveryModel | None = None
    current_push_in_minutes: int | None = Field(default=None, ge=0)
    # Where the skill lives ("" = classroom); see NATURAL_SETTINGS.
    natural_setting: str = ""
    # The student's grade (K, 1-12) when known: grades 6-12 are weighed as secondary school.
    # Not a services.csv column: the district pipeline takes it from students.csv.
    grade: str | None = None
    # False when the team has not rated any need yet (every rating cell empty): the engine
    # then recommends nothing (`not_rated`) instead of reading the zeros as ratings.
    rated: bool = True

    intensity: Rating = Rating.none
    distraction_sensitivity: Rating = Rating.none
    specialized_setting: Rating = Rating.none
    generalization: Rating = Rating.none
    social_goals: Rating = Rating.none
    curriculum_link: Rating = Rating.none
    missed_core_instruction: Rating = Rating.none
    removal_distress: Rating = Rating.none
    staffing_limit: Rating = Rating.none
    collaboration_limit: Rating = Rating.none
    classroom_crowding: Rating = Rating.none

    @field_validator("natural_setting")
    @classmethod
    def _natural_setting(cls, value: str) -> str:
        value = value.lower()
        if value and value not in NATURAL_SETTINGS:
            raise ValueError(
                "natural_setting must be empty or one of " + ", ".join(NATURAL_SETTINGS)
            )
        return value

    @field_validator("grade")
    @classmethod
    def _service_grade(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.upper().lstrip("0") or "0"
        if value not in GRADES:
            raise ValueError("grade must be K or 1-12")
        return value

    @model_validator(mode="after")
    def _minutes_fit(self) -> Service:
        if self.session_minutes > self.minutes_per_week:
            raise ValueError("session_minutes cannot exceed minutes_per_week")
        if (
            self.current_push_in_minutes is not None
            and self.current_push_in_minutes > self.minutes_per_week
        ):
            raise ValueError("current_push_in_minutes cannot exceed minutes_per_week")
        return self

    @property
    def sessions_per_week(self) -> int:
        return max(1, round(self.minutes_per_week / self.session_minutes))

    @property
    def ratings(self) -> dict[str, int]:
        return {key: int(getattr(self, key)) for key in FACTORS}

    @property
    def current_push_in(self) -> int:
        """Minutes delivered in class today (derived from the model when not stated)."""
        if self.current_push_in_minutes is not None:
            return self.current_push_in_minutes
        if self.current_model is DeliveryModel.push_in:
            return self.minutes_per_week
        return 0


class Goal(_Record):
    goal_id: str = Field(min_length=1)
    service_id: str = Field(min_length=1)
    description: str = ""
    measure: str = ""
    direction: GoalDirection = GoalDirection.increase
    target: float
    target_date: dt.date


class ProgressPoint(_Record):
    goal_id: str = Field(min_length=1)
    date: dt.date
    score: float
    setting: DeliveryModel | None = None

    @field_validator("setting")
    @classmethod
    def _setting(cls, value: DeliveryModel | None) -> DeliveryModel | None:
        if value is DeliveryModel.hybrid:
            raise ValueError("a progress point is collected either push_in or pull_out")
        return value
