"""What each content file may hold: one pydantic model per TOML table, checked on load.

The models are also the types the rest of the code uses (`synth.Vignette` is `Vignette`), so
a vignette read from the file is the object the generator, the trainer and the tests handle.
Field aliases are the TOML's singular table names (`[[vignette.service]]`, `[[focus.goal]]`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pushin_rules.models import FACTORS, NEED_FACTORS, DeliveryModel, GoalDirection, ServiceType

Rating = Annotated[int, Field(ge=0, le=3)]
Text = Annotated[str, Field(min_length=1)]


class _Content(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=True, validate_by_name=True
    )


# --------------------------------------------------------------------------- vignettes


class Phase(_Content):
    """From `from_week` on, scores change by `per_week` a week in `setting`."""

    from_week: int = Field(ge=0, lt=20)
    setting: Literal["push_in", "pull_out", "alternate"]
    per_week: float


class VignetteGoal(_Content):
    description: Text
    measure: Text
    direction: GoalDirection
    baseline: float  # the level in week 0
    target: float
    # (first week, setting, change per week): the path the scores follow. Setting "alternate"
    # means a hybrid service whose points alternate push_in / pull_out week by week.
    phases: tuple[tuple[int, str, float], ...] = Field(min_length=1)
    noise: float = Field(ge=0)  # standard deviation of the week-to-week scatter
    missed_weeks: tuple[int, ...] = ()

    @field_validator("phases", mode="before")
    @classmethod
    def _phases(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        phases = [Phase.model_validate(p) if isinstance(p, dict) else p for p in value]
        out = [(p.from_week, p.setting, p.per_week) if isinstance(p, Phase) else p for p in phases]
        starts = [p[0] for p in out]
        if starts and (starts[0] != 0 or starts != sorted(set(starts))):
            raise ValueError("phases must start at week 0 and go forward in time")
        return out


class VignetteService(_Content):
    service: ServiceType
    minutes_per_week: int = Field(gt=0)
    session_minutes: int = Field(gt=0)
    group_size: int = Field(ge=1)
    current_model: DeliveryModel
    current_push_in_minutes: int = Field(ge=0)
    # What the current rule set recommends, or a deliberate discussion case with its reason.
    expect: DeliveryModel
    discussion: bool = False
    reason: str = ""
    ratings: dict[str, int]  # all 11 factors, 0-3 (left out in the file: 0)
    goals: tuple[VignetteGoal, ...] = Field(alias="goal", min_length=1)

    @field_validator("ratings", mode="before")
    @classmethod
    def _ratings(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        unknown = sorted(set(value) - set(FACTORS))
        if unknown:
            raise ValueError(f"unknown factors {unknown}; the factors are {', '.join(FACTORS)}")
        for key, rating in value.items():
            if type(rating) is not int or not 0 <= rating <= 3:
                raise ValueError(f"{key} is rated {rating!r}; a rating is a whole number 0-3")
        return {key: int(value.get(key, 0)) for key in FACTORS}

    @model_validator(mode="after")
    def _consistent(self) -> VignetteService:
        if self.current_push_in_minutes > self.minutes_per_week:
            raise ValueError("current_push_in_minutes is more than minutes_per_week")
        if self.discussion and not self.reason.strip():
            raise ValueError("reason: a discussion case says why in one line")
        if self.reason and not self.discussion:
            raise ValueError("reason: only a discussion case (discussion = true) has a reason")
        return self


class Vignette(_Content):
    key: Annotated[str, Field(pattern=r"^[a-z]$")]  # the case letter: "Case A"
    name: Text
    grade: Text
    classroom: Text
    situation: Text
    services: tuple[VignetteService, ...] = Field(alias="service", min_length=1)

    @model_validator(mode="after")
    def _one_of_each(self) -> Vignette:
        kinds = [s.service for s in self.services]
        if len(set(kinds)) != len(kinds):
            raise ValueError("service: each service type appears once per vignette")
        return self


class VignettesFile(_Content):
    vignettes: tuple[Vignette, ...] = Field(alias="vignette", min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> VignettesFile:
        keys = [v.key for v in self.vignettes]
        if len(set(keys)) != len(keys):
            raise ValueError("vignette: two vignettes share a key")
        return self


# --------------------------------------------------------------------------- situations


class Focus(_Content):
    """What a service works on: it sets the need ratings, group sizes and goal wording."""

    service: ServiceType
    name: Text
    weight: float = Field(gt=0)
    # Mean rating of each need factor, in the order of models.NEED_FACTORS.
    needs: tuple[float, float, float, float, float, float, float, float]
    group: tuple[int, int]
    goals: tuple[tuple[str, str], ...] = Field(alias="goal", min_length=1)  # (description, measure)

    @field_validator("needs", mode="before")
    @classmethod
    def _needs(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        unknown = sorted(set(value) - set(NEED_FACTORS))
        missing = [key for key in NEED_FACTORS if key not in value]
        if unknown or missing:
            raise ValueError(
                f"give a mean rating for each need factor ({', '.join(NEED_FACTORS)})"
                + (f"; unknown {unknown}" if unknown else "")
                + (f"; missing {missing}" if missing else "")
            )
        for key in NEED_FACTORS:
            rating = value[key]
            if isinstance(rating, bool) or not isinstance(rating, int | float):
                raise ValueError(f"{key}: {rating!r} is not a number")
            if not 0 <= rating <= 3:
                raise ValueError(f"{key}: {rating!r} is outside the rating scale 0-3")
        return tuple(float(value[key]) for key in NEED_FACTORS)

    @field_validator("group")
    @classmethod
    def _group(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1]:
            raise ValueError("group is [smallest, largest], at least 1")
        return value

    @field_validator("goals", mode="before")
    @classmethod
    def _goals(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return value
        return [
            (_Goal.model_validate(g).description, _Goal.model_validate(g).measure)
            if isinstance(g, dict)
            else g
            for g in value
        ]


class _Goal(_Content):
    description: Text
    measure: Text


class SituationsFile(_Content):
    foci: tuple[Focus, ...] = Field(alias="focus", min_length=1)


# --------------------------------------------------------------------------- arrangements


class Arrangement(_Content):
    """One way of organising support, for the side-by-side comparison."""

    key: Text
    name: Text
    what_it_is: Text
    offers: tuple[Text, ...] = Field(min_length=1)
    costs: tuple[Text, ...] = Field(min_length=1)
    fits_when: Text
    sources: tuple[str, ...] = Field(min_length=1)  # titles (the file gives [sources] keys)


class Note(_Content):
    note: Text
    sources: tuple[str, ...] = Field(min_length=1)


class ArrangementsFile(_Content):
    sources: dict[str, Text] = Field(min_length=1)
    arrangements: tuple[Arrangement, ...] = Field(alias="arrangement", min_length=1)
    hybrid: Note
    staffing: Note

    @model_validator(mode="before")
    @classmethod
    def _cite(cls, data: Any) -> Any:
        """Each `sources` list names keys of [sources]; they become the titles."""
        if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
            return data
        titles = data["sources"]
        data = dict(data)
        cited = [(f"arrangement[{i + 1}]", a) for i, a in enumerate(data.get("arrangement", []))]
        cited += [(name, data.get(name)) for name in ("hybrid", "staffing")]
        for where, table in cited:
            if not isinstance(table, dict) or not isinstance(table.get("sources"), list):
                continue
            unknown = [k for k in table["sources"] if k not in titles]
            if unknown:
                raise ValueError(
                    f"{where}.sources: {unknown} not in [sources] (the keys are "
                    f"{', '.join(titles)})"
                )
        return {
            **data,
            "arrangement": [_titled(a, titles) for a in data.get("arrangement", [])],
            **{n: _titled(data.get(n), titles) for n in ("hybrid", "staffing") if n in data},
        }


def _titled(table: Any, titles: dict[str, str]) -> Any:
    if not isinstance(table, dict) or not isinstance(table.get("sources"), list):
        return table
    return {**table, "sources": [titles[k] for k in table["sources"]]}


# --------------------------------------------------------------------------- quiz


class Question(_Content):
    case: Text  # a vignette key
    service: ServiceType  # which of its services


class QuizFile(_Content):
    questions: tuple[Question, ...] = Field(alias="question", min_length=1)
