"""The `[factors.*]`, `[terms.*]` and `[[sources]]` tables: what the team rates, what each
rating means, where it pulls and why."""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from pushin_rules.decide.rules.vocabulary import (
    AGE_BANDS,
    BECAUSE_FIELDS,
    RATINGS,
    SERVICE_FAMILIES,
    SETTINGS,
    _Strict,
)


def _levels(value: Mapping[Any, Any], name: str) -> dict[int, str]:
    """A table of sentences per rating 1, 2 and 3 (TOML keys are text)."""
    keys = {str(k) for k in value}
    wanted = {"1", "2", "3"}
    if keys != wanted:
        raise ValueError(f"{name}: needs exactly one sentence for each rating 1, 2 and 3")
    out = {}
    for key, text in value.items():
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{name}: the sentence for rating {key} must be a non-empty text")
        out[int(key)] = text
    return out


class Term(_Strict):
    label: str = Field(min_length=1)
    definition: str = Field(min_length=1)


class Source(_Strict):
    title: str = Field(min_length=1)
    about: str = ""


class Factor(_Strict):
    """One factor: what the team rates, what each rating means, where it pulls, and why."""

    key: str
    label: str = Field(min_length=1)
    question: str = Field(min_length=1)
    meanings: dict[int, str]
    direction: Literal["pull_out", "push_in", "implementation"]
    weight: float = Field(ge=0)
    sources: tuple[str, ...] = Field(min_length=1, strict=False)
    # Need factors: said when the factor is rated above 0. One text (rule sets 1.x) or one
    # per rating 1, 2 and 3, so a rating of 1 is never described as a strong need.
    because: str | dict[int, str] = ""
    # Per service family (speech_language, counseling, ...) and per age band (secondary):
    # rating -> sentence, where the wording differs from `because`.
    because_by_service: dict[str, dict[int, str]] = Field(default_factory=dict)
    because_by_age: dict[str, dict[int, str]] = Field(default_factory=dict)
    notes: dict[str, str] = Field(default_factory=dict)  # implementation: setting -> note

    @field_validator("because", mode="before")
    @classmethod
    def _because(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return _levels(value, "because")
        return value

    @field_validator("because_by_service", "because_by_age", mode="before")
    @classmethod
    def _because_tables(cls, value: Any, info: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError("must be a table of tables (one sentence per rating 1, 2, 3)")
        allowed = SERVICE_FAMILIES if info.field_name == "because_by_service" else AGE_BANDS
        out = {}
        for key, levels in value.items():
            if key not in allowed:
                raise ValueError(f"unknown key {key!r} (use {', '.join(allowed)})")
            if not isinstance(levels, Mapping):
                raise ValueError(f"{key}: must be a table with one sentence per rating 1, 2, 3")
            out[key] = _levels(levels, key)
        return out

    def sentence(self, rating: int, service: str = "", age: str = "") -> str:
        """The `because` sentence for a rating (above 0), for a service family and age band,
        with placeholders left for the engine to fill."""
        for table, key in ((self.because_by_service, service), (self.because_by_age, age)):
            if key in table and rating in table[key]:
                return table[key][rating]
        if isinstance(self.because, dict):
            return self.because.get(rating, self.meanings.get(rating, ""))
        return self.because

    @field_validator("meanings", mode="before")
    @classmethod
    def _meanings(cls, value: Any) -> dict[int, str]:
        if not isinstance(value, Mapping):
            raise ValueError("must be a table with one entry per rating 0, 1, 2 and 3")
        keys = {str(k) for k in value}
        wanted = {str(r) for r in RATINGS}
        if keys != wanted:
            missing, extra = sorted(wanted - keys), sorted(keys - wanted)
            parts = []
            if missing:
                parts.append("missing rating " + ", ".join(missing))
            if extra:
                parts.append("unknown rating " + ", ".join(extra))
            raise ValueError("; ".join(parts) + " (ratings are 0, 1, 2 and 3)")
        out = {}
        for key, text in value.items():
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"the meaning of rating {key} must be a non-empty text")
            out[int(key)] = text
        return out

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number (for example 1.0)")
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return float(value)

    @model_validator(mode="after")
    def _by_direction(self) -> Factor:
        if self.direction == "implementation":
            if self.weight != 0:
                raise ValueError(
                    "weight: an implementation factor must have weight 0; staffing, "
                    "collaboration and space may not change a placement "
                    "(IDEA, 34 CFR 300.116 commentary)"
                )
            if not self.notes:
                raise ValueError(
                    "notes: an implementation factor needs notes.push_in and/or "
                    "notes.pull_out (what the school must arrange)"
                )
            unknown = sorted(set(self.notes) - set(SETTINGS))
            if unknown:
                raise ValueError(
                    f"notes: unknown setting {', '.join(unknown)} (use push_in or pull_out)"
                )
            if self.because or self.because_by_service or self.because_by_age:
                raise ValueError("because: only need factors have a `because` sentence")
        else:
            if isinstance(self.because, str) and not self.because.strip():
                raise ValueError(
                    "because: missing (the sentence said when this factor is rated above 0)"
                )
            texts = [self.because] if isinstance(self.because, str) else [*self.because.values()]
            for table in (self.because_by_service, self.because_by_age):
                for levels in table.values():
                    texts.extend(levels.values())
            for text in texts:
                try:
                    used = {f for _, f, _, _ in string.Formatter().parse(text) if f}
                except ValueError as error:
                    raise ValueError(f"because: {error}") from None
                unknown = sorted(used - BECAUSE_FIELDS)
                if unknown:
                    raise ValueError(
                        "because: unknown placeholder "
                        + ", ".join("{" + u + "}" for u in unknown)
                        + "; a factor sentence may use {group_size} and {place}"
                    )
            if self.notes:
                raise ValueError("notes: only implementation factors have feasibility notes")
        return self

    @property
    def is_need(self) -> bool:
        return self.direction != "implementation"
