"""The `[progress]` table of a rules file (`ProgressSettings`), the decision vocabulary, and the
possible range of a measure (so no line or projection runs past what a score can be)."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pushin_rules.errors import RulesError

TRENDS: tuple[str, ...] = ("ols", "tukey", "theil_sen")
TREND_LABELS: dict[str, str] = {
    "ols": "least squares",
    "tukey": "Tukey tri-split",
    "theil_sen": "Theil-Sen",
}
# Most urgent first: a service's progress_decision is the first of these among its goals.
# `review` (the rules disagree: the team looks) ranks right after `change`; `goal_met` after
# `raise_goal`; `insufficient_data` last, so any goal with a verdict speaks for its service.
DECISIONS: tuple[str, ...] = (
    "change",
    "review",
    "continue",
    "raise_goal",
    "goal_met",
    "insufficient_data",
)
NOT_ENOUGH_DATA = "not enough data"


class MeasureRange(BaseModel):
    """Scores of a measure whose name contains `contains` (case-insensitive) lie in low..high."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    contains: str = Field(min_length=1)
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> MeasureRange:
        if not self.low < self.high:
            raise ValueError(f"measure range {self.contains!r}: low must be below high")
        return self


class ProgressSettings(BaseModel):
    """The `[progress]` table of a rules file, validated.

    The keys added by "Progress decisions 2.0" have defaults (the shipped values), so a rules
    file written before them still loads.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    min_points: int = Field(ge=2, description="fewer scores: insufficient_data")
    min_weeks: float = Field(ge=0, description="scores spread over fewer weeks: insufficient_data")
    four_point_window: int = Field(ge=2, description="latest scores the four-point rule reads")
    parallel_tolerance: float = Field(ge=0, lt=1, description="relative band for 'parallel'")
    likelihood_min_points: int = Field(ge=3, description="fewer scores: 'not enough data'")
    likelihood_min_weeks: float = Field(ge=0, description="fewer weeks: 'not enough data'")
    default_trend: Literal["ols", "tukey", "theil_sen"]
    level_window: int = Field(
        default=3, ge=1, description="goal_met: median of this many latest scores at the target"
    )
    first_look_points: int = Field(
        default=10, ge=0, description="fewer scores: 'treat this as a first look'"
    )
    on_track_min_likelihood: float = Field(
        default=0.35, ge=0, le=1, description="continue/raise_goal below this likelihood: review"
    )
    off_track_max_likelihood: float = Field(
        default=0.65, ge=0, le=1, description="change above this likelihood: review"
    )
    compare_min_points: int = Field(
        default=4, ge=2, description="scores each setting needs before settings are compared"
    )
    carry_over_nap: float = Field(
        default=0.75, gt=0.5, le=1, description="pull-out NAP at or above this: carry-over gap"
    )
    measure_floor: float = Field(
        default=0.0, description="lowest possible score of a measure no range names"
    )
    measure_ranges: tuple[MeasureRange, ...] = (
        MeasureRange(contains="percent", low=0.0, high=100.0),
    )

    @field_validator("measure_ranges", mode="before")
    @classmethod
    def _as_tuple(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @model_validator(mode="after")
    def _window_fits(self) -> ProgressSettings:
        if self.four_point_window > self.min_points:
            raise ValueError(
                f"four_point_window ({self.four_point_window}) cannot exceed min_points "
                f"({self.min_points}): the four-point rule must have its scores whenever "
                "the rules fire"
            )
        if self.level_window > self.min_points:
            raise ValueError(
                f"level_window ({self.level_window}) cannot exceed min_points ({self.min_points})"
            )
        if self.on_track_min_likelihood > self.off_track_max_likelihood:
            raise ValueError(
                "on_track_min_likelihood cannot exceed off_track_max_likelihood: a likelihood "
                "would then contradict every verdict"
            )
        return self

    def measure_range(self, measure: str) -> tuple[float, float]:
        """The possible scores of a measure: the first range whose word the name contains,
        else (measure_floor, infinity)."""
        name = (measure or "").lower()
        for item in self.measure_ranges:
            if item.contains.lower() in name:
                return item.low, item.high
        return self.measure_floor, math.inf

    @classmethod
    def from_table(
        cls, table: Mapping[str, Any], source: str = "the rules file"
    ) -> ProgressSettings:
        """Validate a `[progress]` table; a bad one raises RulesError naming each bad key."""
        if not isinstance(table, Mapping):
            raise RulesError(f"{source}: [progress] must be a table of settings")
        try:
            return cls.model_validate(dict(table))
        except ValidationError as error:
            lines = [f"{source}: the [progress] table has problems:"]
            for problem in error.errors():
                key = ".".join(str(part) for part in problem["loc"]) or "(table)"
                if problem["type"] == "missing":
                    lines.append(f"  - progress.{key}: missing; add it to [progress]")
                elif problem["type"] == "extra_forbidden":
                    lines.append(f"  - progress.{key}: unknown setting")
                elif key == "(table)":
                    lines.append(f"  - {problem['msg'].removeprefix('Value error, ')}")
                else:
                    lines.append(
                        f"  - progress.{key}: {problem['input']!r} is not valid; "
                        f"{problem['msg'].lower()}"
                    )
            raise RulesError("\n".join(lines)) from None

    @classmethod
    def from_file(cls, path: str | Path) -> ProgressSettings:
        """The `[progress]` table of a rules file (TOML)."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RulesError(f"rules file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as error:
            raise RulesError(f"rules file {path} cannot be read: {error}") from None
        except tomllib.TOMLDecodeError as error:
            raise RulesError(f"rules file {path} is not valid TOML: {error}") from None
        if "progress" not in data:
            raise RulesError(f"rules file {path} has no [progress] table")
        return cls.from_table(data["progress"], source=f"rules file {path}")


@lru_cache(maxsize=1)
def default_settings() -> ProgressSettings:
    """The `[progress]` table of the rules file shipped with the package."""
    text = resources.files("pushin_rules.decide").joinpath("rules.toml").read_text(encoding="utf-8")
    return ProgressSettings.from_table(tomllib.loads(text)["progress"], source="rules.toml")


def _trend_method(trend: str | None, settings: ProgressSettings) -> str:
    method = trend or settings.default_trend
    if method not in TRENDS:
        raise ValueError(f"unknown trend method {method!r}; expected one of {', '.join(TRENDS)}")
    return method
