"""The rule set as data: load, validate and hash a rules file (`rules.toml`).

Every factor, weight, threshold and sentence the engine uses comes from here; a broken file
raises RulesError naming each bad key and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import string
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pushin_rules.decide.progress import ProgressSettings
from pushin_rules.errors import RulesError
from pushin_rules.models import FACTORS, IMPLEMENTATION_FACTORS, NATURAL_SETTINGS, ServiceType

RATINGS: tuple[int, ...] = (0, 1, 2, 3)
DIRECTIONS: tuple[str, ...] = ("pull_out", "push_in", "implementation")
SETTINGS: tuple[str, ...] = ("push_in", "pull_out")
MODIFIED_SUFFIX = "+modified"
SERVICE_FAMILIES: tuple[str, ...] = tuple(s.value for s in ServiceType)
AGE_BANDS: tuple[str, ...] = ("elementary", "secondary")
# Placeholders a factor's `because` sentence may use (filled per service by the engine).
BECAUSE_FIELDS: set[str] = {"group_size", "place"}
# Shipped rule sets by version: decisions recorded under an older version keep showing the
# rules that produced them (`load_rules_version`).
SHIPPED_VERSIONS: dict[str, str] = {"1.0.0": "rules_1_0_0.toml", "2.0.0": "rules.toml"}

# Placeholders each wording template may use (the engine fills exactly these).
_POINTS = {"pull_out_points", "push_in_points", "min_pull_out_points"}
_EVIDENCE = {"goal_id", "four_point_detail", "trend_detail", "setting_phrase", "points"}
_SPLIT = {"place", "minutes_per_week"}
WORDING_FIELDS: dict[str, set[str]] = {
    "rule_presumption_none": _POINTS,
    "rule_presumption_slight": _POINTS,
    "rule_both_strong": _POINTS,
    "rule_close_call": _POINTS,
    "rule_balance_pull_out": _POINTS,
    "rule_balance_push_in": _POINTS,
    "rule_single_session": _POINTS | {"recommendation"},
    "split_push_in": _SPLIT,
    "split_pull_out": _SPLIT,
    "split_hybrid": _SPLIT
    | {
        "push_in_minutes",
        "pull_out_minutes",
        "push_in_sessions",
        "pull_out_sessions",
        "sessions",
    },
    "split_alternating": _SPLIT
    | {"session_minutes", "month_sessions", "month_push_in_minutes", "month_pull_out_minutes"},
    "split_remainder": {"remainder"},
    "confidence_clear": set(),
    "confidence_leaning": set(),
    "confidence_close_call": set(),
    "tipping_point": {"label", "factor", "from_rating", "to_rating", "new_recommendation"},
    "no_tipping_point": set(),
    "evidence_change": _EVIDENCE,
    "evidence_raise_goal_pull_out": _EVIDENCE,
    "evidence_raise_goal": _EVIDENCE,
    "evidence_continue": _EVIDENCE,
    "evidence_insufficient": _EVIDENCE,
    "evidence_none": set(),
    "rule_privacy": _POINTS | {"service"},
    "rule_transition": _POINTS,
    "rule_comparable": _POINTS,
    "evidence_change_pull_out": _EVIDENCE,
    "evidence_transition": _EVIDENCE,
    "evidence_goal_met": _EVIDENCE,
    "evidence_carry_over": _EVIDENCE,
    "evidence_review": _EVIDENCE,
    "dose_group": {"group_size", "percent"},
    "setting_push_in": set(),
    "setting_pull_out": set(),
    "setting_unknown": set(),
    "feasibility_intro": set(),
    "reason_progress_evidence": set(),
    "reason_lre_presumption": set(),
    "sentence_lre_presumption": set(),
}


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


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


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


class Thresholds(_Strict):
    """Every number the recommendation uses (see the comments in rules.toml)."""

    min_pull_out_points: float = Field(ge=0)
    strong_rating: int = Field(ge=1, le=3)
    hybrid_when_both_strong: bool
    close_call_margin: float = Field(ge=0)
    clear_margin: float = Field(ge=0)
    split_rounding: Literal["nearest", "down", "up"]
    feasibility_note_from: int = Field(ge=1, le=3)
    evidence_change_points: float = Field(ge=0)
    evidence_raise_goal_points: float = Field(ge=0)
    lre_80_cutoff: float = Field(ge=0, le=100)
    lre_40_cutoff: float = Field(ge=0, le=100)
    # Rule sets 2.x (defaults keep a 1.x file loadable; 1.x ignores them):
    # a pull-out reason counts only when some pull-out factor is rated this high (a rating
    # of 1 means "fits in class"), or progress evidence calls for more intensity.
    moderate_rating: int = Field(default=2, ge=1, le=3)
    # The sides are comparable (a hybrid) when the smaller has more than this share of the
    # larger; otherwise the larger side takes every minute.
    comparable_ratio: float = Field(default=0.5, gt=0, lt=1)
    # One-sided results are `clear` when the winning side has at least this share of all
    # points, otherwise `leaning`.
    clear_share: float = Field(default=0.8, gt=0.5, le=1)
    # A service with one whole session a week that calls for a split alternates settings
    # week by week (false: the session goes where the balance points).
    alternate_weeks: bool = True
    # A carry-over gap (therapy-room scores clearly above classroom scores) adds these
    # push-in points.
    evidence_carry_over_points: float = Field(default=2.0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.clear_margin < self.close_call_margin:
            raise ValueError(
                f"clear_margin ({self.clear_margin:g}) cannot be below close_call_margin "
                f"({self.close_call_margin:g})"
            )
        if self.lre_40_cutoff >= self.lre_80_cutoff:
            raise ValueError(
                f"lre_40_cutoff ({self.lre_40_cutoff:g}) must be below lre_80_cutoff "
                f"({self.lre_80_cutoff:g})"
            )
        return self


class StaffingRules(_Strict):
    push_in_students_together: int = Field(ge=1, le=50)
    pull_out_divide_by_group_size: bool
    near_capacity_share: float = Field(gt=0, le=2)


class Wording(_Strict):
    """Sentence templates of the explanation; placeholders are checked on load."""

    rule_presumption_none: str
    rule_presumption_slight: str
    rule_both_strong: str
    rule_close_call: str
    rule_balance_pull_out: str
    rule_balance_push_in: str
    rule_single_session: str
    split_push_in: str
    split_pull_out: str
    split_hybrid: str
    split_remainder: str
    split_alternating: str = (
        "Alternating weeks: one week the {session_minutes}-minute session is {place}, the "
        "next week in a separate room (about {month_push_in_minutes} minutes a month {place} "
        "and {month_pull_out_minutes} in a separate room)."
    )
    confidence_clear: str
    confidence_leaning: str
    confidence_close_call: str
    tipping_point: str
    no_tipping_point: str
    evidence_change: str
    evidence_raise_goal_pull_out: str
    evidence_raise_goal: str
    evidence_continue: str
    evidence_insufficient: str
    evidence_none: str
    rule_privacy: str = (
        "This work needs privacy the classroom cannot give, so all minutes are in a private room."
    )
    rule_transition: str = (
        "Progress data show the skill is growing in the separate room, so at least one "
        "session moves into class for carry-over."
    )
    rule_comparable: str = (
        "The reasons on each side are comparable ({pull_out_points} points for a separate "
        "room, {push_in_points} for the classroom), so the minutes are split."
    )
    evidence_change_pull_out: str = (
        "Goal {goal_id}: {four_point_detail}; {trend_detail}. More time out of class is not "
        "the lever: look at how often sessions happen, how long they are, the group size and "
        "the method."
    )
    evidence_transition: str = (
        "Goal {goal_id}: {four_point_detail}; {trend_detail}. Plan the move toward class: at "
        "least one session in class, and re-rate intensity and using the skill in class."
    )
    evidence_goal_met: str = (
        "Goal {goal_id}: {four_point_detail}; {trend_detail}. The goal is met; the data do "
        "not call for a change of setting."
    )
    evidence_carry_over: str = (
        "Goal {goal_id}: scores in the separate room are clearly above scores in class (a "
        "carry-over gap), so the rules add weight toward more practice in class."
    )
    dose_group: str = (
        "In a group of {group_size}, each student gets only a share of the practice turns, so "
        "this counts at {percent}% of its weight."
    )
    evidence_review: str = (
        "Goal {goal_id}: {four_point_detail}; {trend_detail}. The data are not clear enough "
        "to move the recommendation yet; the team reviews them."
    )
    setting_push_in: str
    setting_pull_out: str
    setting_unknown: str
    feasibility_intro: str
    reason_progress_evidence: str
    reason_lre_presumption: str
    sentence_lre_presumption: str

    @model_validator(mode="after")
    def _placeholders(self) -> Wording:
        for name, allowed in WORDING_FIELDS.items():
            text = getattr(self, name)
            try:
                used = {field for _, field, _, _ in string.Formatter().parse(text) if field}
            except ValueError as error:
                raise ValueError(
                    f"{name}: {error} (write a literal brace as {{{{ or }}}})"
                ) from None
            unknown = sorted(used - allowed)
            if unknown:
                known = ", ".join("{" + f + "}" for f in sorted(allowed)) or "none"
                raise ValueError(
                    f"{name}: unknown placeholder {', '.join('{' + u + '}' for u in unknown)}"
                    f"; this sentence may use {known}"
                )
        return self


class Privacy(_Strict):
    """Work that needs privacy at any age: at the highest `specialized_setting` rating these
    services / natural settings get no in-class minutes."""

    rating: int = Field(default=3, ge=1, le=3)
    services: tuple[str, ...] = Field(default=(), strict=False)
    natural_settings: tuple[str, ...] = Field(default=(), strict=False)

    @model_validator(mode="after")
    def _known(self) -> Privacy:
        bad = [s for s in self.services if s not in SERVICE_FAMILIES]
        bad += [s for s in self.natural_settings if s not in NATURAL_SETTINGS]
        if bad:
            raise ValueError(f"unknown service or setting {', '.join(map(repr, bad))}")
        return self


class Secondary(_Strict):
    """How secondary school (grades `from_grade`-12) is weighed: factor weights that differ."""

    from_grade: int = Field(default=6, ge=1, le=12)
    weights: dict[str, float] = Field(default_factory=dict)

    @field_validator("weights", mode="before")
    @classmethod
    def _weights(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError("must be a table factor = weight")
        out = {}
        for key, weight in value.items():
            if key not in FACTORS:
                raise ValueError(f"unknown factor {key!r}")
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
                raise ValueError(f"{key}: {weight!r} must be a number, 0 or more")
            out[key] = float(weight)
        return out


class Dose(_Strict):
    """Group size and intensity: a pull-out group shares the provider's practice turns."""

    # intensity's weight is multiplied by entry [group_size - 1]; the last entry applies to
    # larger groups. Non-increasing, so a bigger group never strengthens the argument.
    intensity_by_group_size: tuple[float, ...] = Field(default=(1.0,), min_length=1, strict=False)

    @model_validator(mode="after")
    def _non_increasing(self) -> Dose:
        values = self.intensity_by_group_size
        if any(v < 0 or v > 1 for v in values):
            raise ValueError("intensity_by_group_size: each entry must be between 0 and 1")
        if any(b > a for a, b in itertools.pairwise(values)):
            raise ValueError("intensity_by_group_size: entries must not increase")
        return self


DEFAULT_PLACES: dict[str, str] = {
    "classroom": "in the classroom",
    "pe": "in PE class",
    "playground": "on the playground",
    "lunchroom": "in the lunchroom",
    "hallway": "in the hallways and on the stairs",
    "bathroom": "in the student's own bathroom routine",
    "community": "in the community",
}


class RuleSet(_Strict):
    """A validated rule set. `file_hash` is the sha256 of the file's bytes (or, after
    `with_weights`, of the rule set's canonical JSON), so a saved decision names its rules."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    file_hash: str
    source: str
    terms: dict[str, Term]
    sources: tuple[Source, ...]
    factors: tuple[Factor, ...]
    thresholds: Thresholds
    staffing: StaffingRules
    wording: Wording
    progress: ProgressSettings  # the [progress] table, validated by the progress analytics
    # 1: the 1.x decision (score margin); 2: the 2.x decision (comparable sides, privacy,
    # age, dose, alternating weeks). `[rule_set] format`, 1 when absent.
    format: int = 1
    places: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PLACES))
    privacy: Privacy = Field(default_factory=Privacy)
    secondary: Secondary = Field(default_factory=Secondary)
    dose: Dose = Field(default_factory=Dose)

    # -- lookups -------------------------------------------------------------------------
    def factor(self, key: str) -> Factor:
        for factor in self.factors:
            if factor.key == key:
                return factor
        raise KeyError(f"no factor {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.factors)

    @property
    def need_factors(self) -> tuple[Factor, ...]:
        return tuple(f for f in self.factors if f.is_need)

    @property
    def implementation_factors(self) -> tuple[Factor, ...]:
        return tuple(f for f in self.factors if not f.is_need)

    @property
    def weights(self) -> dict[str, float]:
        return {f.key: f.weight for f in self.factors}

    def place(self, natural_setting: str) -> str:
        """Where push-in minutes happen, in words ("in the classroom", "in PE class")."""
        return self.places.get(natural_setting or "classroom", self.places.get("classroom", ""))

    def label(self, setting: str) -> str:
        """The plain name of push_in / pull_out / hybrid ("push-in")."""
        return self.terms[setting].label

    def progress_settings(self) -> ProgressSettings:
        """The `[progress]` table (same as `.progress`)."""
        return self.progress

    # -- what-if -------------------------------------------------------------------------
    def with_weights(self, weights: Mapping[str, float]) -> RuleSet:
        """A copy with some weights changed, marked as modified (version and hash)."""
        by_key = {f.key: f for f in self.factors}
        problems = []
        for key, weight in weights.items():
            if key not in by_key:
                problems.append(f"factors.{key}: unknown factor")
            elif isinstance(weight, bool) or not isinstance(weight, int | float):
                problems.append(f"factors.{key}.weight: {weight!r} is not a number")
            elif not math.isfinite(weight) or weight < 0:
                problems.append(f"factors.{key}.weight: {weight!r} must be 0 or more")
            elif not by_key[key].is_need and weight != 0:
                problems.append(
                    f"factors.{key}.weight: an implementation factor must have weight 0 "
                    "(IDEA, 34 CFR 300.116 commentary)"
                )
        if problems:
            raise RulesError(_message("the weights", problems))
        factors = tuple(
            f.model_copy(update={"weight": float(weights[f.key])}) if f.key in weights else f
            for f in self.factors
        )
        version = self.version
        if not version.endswith(MODIFIED_SUFFIX):
            version += MODIFIED_SUFFIX
        changed = self.model_copy(update={"factors": factors, "version": version})
        return changed.model_copy(update={"file_hash": changed.canonical_hash()})

    def canonical_hash(self) -> str:
        """sha256 of the rule set's content as canonical JSON (hash and source excluded)."""
        data = self.model_dump(mode="json", exclude={"file_hash", "source"})
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------- loading

_REQUIRED = (
    "rule_set",
    "terms",
    "sources",
    "thresholds",
    "staffing",
    "wording",
    "factors",
    "progress",
)
_OPTIONAL = ("places", "privacy", "secondary", "dose")
_TOP_LEVEL = _REQUIRED + _OPTIONAL


def shipped_rules_path() -> Path:
    return Path(str(resources.files("pushin_rules.decide").joinpath("rules.toml")))


def load_rules_version(version: str) -> RuleSet:
    """A rule set shipped with the package, by version ("1.0.0", "2.0.0"), so a decision
    recorded under an older version can show, and rescore with, the rules that produced it."""
    name = SHIPPED_VERSIONS.get(version.removesuffix(MODIFIED_SUFFIX))
    if name is None:
        raise RulesError(f"no shipped rule set {version!r}; shipped: {', '.join(SHIPPED_VERSIONS)}")
    return _shipped_file(name)


@lru_cache(maxsize=4)
def _shipped_file(name: str) -> RuleSet:
    path = Path(str(resources.files("pushin_rules.decide").joinpath(name)))
    return _load(path, source=f"{name} (shipped)")


def load_rules(path: str | os.PathLike[str] | None = None) -> RuleSet:
    """Load and validate a rules file (None: the one shipped with the package)."""
    if path is None:
        return _shipped()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _shipped() -> RuleSet:
    return _load(shipped_rules_path(), source="rules.toml (shipped)")


def _load(path: Path, source: str | None = None) -> RuleSet:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise RulesError(f"rules file {path} does not exist") from None
    except IsADirectoryError:
        raise RulesError(f"rules file {path} is a folder, not a TOML file") from None
    except OSError as error:
        raise RulesError(f"rules file {path} cannot be read: {error.strerror}") from None
    return parse_rules(content, source=source or f"rules file {path}")


def parse_rules(content: bytes | str, source: str = "rules file") -> RuleSet:
    """Validate a rules file given as bytes or text (a file, an upload)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RulesError(f"{source} is not UTF-8 text") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source} is not valid TOML: {error}") from None
    problems: list[str] = []
    rules = _build(table, hashlib.sha256(data).hexdigest(), source, problems)
    if problems or rules is None:
        raise RulesError(_message(source, problems))
    return rules


def _message(source: str, problems: list[str]) -> str:
    count = len(problems)
    head = f"{source} has {count} problem{'s' if count != 1 else ''}:"
    return "\n".join([head, *(f"  - {p}" for p in problems)])


def _build(
    table: dict[str, Any], file_hash: str, source: str, problems: list[str]
) -> RuleSet | None:
    for key in table:
        if key not in _TOP_LEVEL:
            problems.append(f"[{key}]: unknown table (the tables are {', '.join(_TOP_LEVEL)})")
    for key in _REQUIRED:
        if key not in table:
            problems.append(f"[{key}]: missing table")

    head = _section(table, "rule_set", problems)
    name = _text(head, "rule_set", "name", problems)
    version = _text(head, "rule_set", "version", problems)
    description = head.get("description", "")
    rule_format = head.get("format", 1)
    if isinstance(rule_format, bool) or rule_format not in (1, 2):
        problems.append(f"rule_set.format: {rule_format!r} is not valid; use 1 or 2")
        rule_format = 1
    for extra in sorted(set(head) - {"name", "version", "description", "format"}):
        problems.append(f"rule_set.{extra}: unknown key")

    terms: dict[str, Term] = {}
    raw_terms = _section(table, "terms", problems)
    for setting in ("push_in", "pull_out", "hybrid"):
        if setting not in raw_terms:
            problems.append(f"terms.{setting}: missing (label and definition)")
            continue
        term = _validate(Term, raw_terms[setting], f"terms.{setting}", problems)
        if term is not None:
            terms[setting] = term
    for extra in sorted(set(raw_terms) - {"push_in", "pull_out", "hybrid"}):
        problems.append(f"terms.{extra}: unknown term (push_in, pull_out, hybrid)")

    sources: list[Source] = []
    raw_sources = table.get("sources", [])
    if not isinstance(raw_sources, list):
        problems.append("sources: must be a list of [[sources]] entries with a title")
        raw_sources = []
    for i, entry in enumerate(raw_sources):
        source_entry = _validate(Source, entry, f"sources[{i}]", problems)
        if source_entry is not None:
            sources.append(source_entry)
    titles = {s.title for s in sources}

    factors = (
        _factors(_section(table, "factors", problems), titles, problems)
        if "factors" in table
        else []
    )
    # A missing table was reported above; its keys are not listed one by one.
    thresholds, staffing, wording = (
        _validate(model, _section(table, key, problems), key, problems) if key in table else None
        for model, key in (
            (Thresholds, "thresholds"),
            (StaffingRules, "staffing"),
            (Wording, "wording"),
        )
    )
    extras: dict[str, Any] = {}
    if "places" in table:
        places = _section(table, "places", problems)
        for key, value in places.items():
            if key not in NATURAL_SETTINGS:
                problems.append(f"places.{key}: unknown setting ({', '.join(NATURAL_SETTINGS)})")
            elif not isinstance(value, str) or not value.strip():
                problems.append(f"places.{key}: must be a non-empty text")
        extras["places"] = {**DEFAULT_PLACES, **places}
    for model, key in ((Privacy, "privacy"), (Secondary, "secondary"), (Dose, "dose")):
        if key in table:
            extras[key] = _validate(model, _section(table, key, problems), key, problems)
    progress = None
    if "progress" in table:
        try:
            progress = ProgressSettings.from_table(table["progress"], source="[progress]")
        except RulesError as error:
            # Its message is a heading and "  - key: problem" lines; keep the lines.
            lines = str(error).splitlines()
            items = [line.strip().removeprefix("- ") for line in lines[1:]]
            problems.extend(items or lines)

    if problems:
        return None
    assert thresholds is not None and staffing is not None and wording is not None
    assert progress is not None
    return RuleSet(
        name=name,
        version=version,
        description=str(description),
        file_hash=file_hash,
        source=source,
        terms=terms,
        sources=tuple(sources),
        factors=tuple(factors),
        thresholds=thresholds,
        staffing=staffing,
        wording=wording,
        progress=progress,
        format=int(rule_format),
        **extras,
    )


def _factors(raw: dict[str, Any], titles: set[str], problems: list[str]) -> list[Factor]:
    factors: list[Factor] = []
    for key in raw:
        if key not in FACTORS:
            problems.append(
                f"factors.{key}: unknown factor; the factors are the rating columns of "
                f"services.csv: {', '.join(FACTORS)}"
            )
    for key in FACTORS:
        if key not in raw:
            problems.append(f"factors.{key}: missing factor (add a [factors.{key}] table)")
    for key, body in raw.items():
        if key not in FACTORS:
            continue
        if not isinstance(body, Mapping):
            problems.append(f"factors.{key}: must be a table")
            continue
        factor = _validate(Factor, {**body, "key": key}, f"factors.{key}", problems)
        if factor is None:
            continue
        wanted = "implementation" if key in IMPLEMENTATION_FACTORS else "a need direction"
        if (key in IMPLEMENTATION_FACTORS) != (factor.direction == "implementation"):
            problems.append(
                f"factors.{key}.direction: {factor.direction!r} is not valid for this factor; "
                f"expected {wanted if wanted == 'implementation' else 'pull_out or push_in'}"
            )
        for title in factor.sources:
            if title not in titles:
                problems.append(
                    f"factors.{key}.sources: {title!r} is not a title listed in [[sources]]"
                )
        factors.append(factor)
    return factors


def _section(table: Mapping[str, Any], key: str, problems: list[str]) -> dict[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, Mapping):
        problems.append(f"[{key}]: must be a table")
        return {}
    return dict(value)


def _text(table: Mapping[str, Any], section: str, key: str, problems: list[str]) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{section}.{key}: missing or empty (a text)")
        return ""
    return value


def _validate(model: type[BaseModel], raw: Any, prefix: str, problems: list[str]) -> Any:
    """Validate one table; each pydantic error becomes "prefix.key: what is wrong"."""
    if not isinstance(raw, Mapping):
        problems.append(f"{prefix}: must be a table")
        return None
    try:
        return model.model_validate(dict(raw))
    except ValidationError as error:
        for item in error.errors():
            loc = ".".join(str(part) for part in item["loc"])
            where = f"{prefix}.{loc}" if loc else prefix
            kind, msg = item["type"], item["msg"].removeprefix("Value error, ")
            if kind == "missing":
                problems.append(f"{where}: missing")
            elif kind == "extra_forbidden":
                problems.append(f"{where}: unknown key")
            elif not loc:
                # A whole-table check names its key at the start of the message.
                problems.append(
                    f"{prefix}.{msg}" if ":" in msg.split(" ")[0] else f"{prefix}: {msg}"
                )
            elif isinstance(item.get("input"), Mapping | list | tuple):
                problems.append(f"{where}: {msg}")
            else:
                problems.append(f"{where}: {item.get('input')!r} is not valid; {msg}")
        return None
