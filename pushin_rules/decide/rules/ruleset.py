"""The validated rule set (`RuleSet`): lookups the engine reads, the what-if copy with
changed weights (`with_weights`) and the canonical hash that names a rule set."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping

from pydantic import Field

from pushin_rules.decide.progress import ProgressSettings
from pushin_rules.decide.rules.factor import Factor, Source, Term
from pushin_rules.decide.rules.tables import (
    DEFAULT_PLACES,
    Dose,
    Privacy,
    Secondary,
    StaffingRules,
    Thresholds,
    Wording,
)
from pushin_rules.decide.rules.vocabulary import MODIFIED_SUFFIX, _message, _Strict
from pushin_rules.errors import RulesError


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
