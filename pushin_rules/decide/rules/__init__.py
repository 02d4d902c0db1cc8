"""The rule set as data: load, validate and hash a rules file (`rules.toml`).

Every factor, weight, threshold and sentence the engine uses comes from here; a broken file
raises RulesError naming each bad key and what is wrong with it.

Where each part lives: `vocabulary` (fixed names and the placeholders each sentence may
use), `factor` (the factor, term and source tables), `tables` (thresholds, staffing,
wording, privacy, secondary, dose, places), `ruleset` (`RuleSet`: lookups, `with_weights`,
the canonical hash), `loading` (shipped versions, files, uploads) and `validation` (table by
table checks). The shipped files `rules.toml` and `rules_1_0_0.toml` stay in
`pushin_rules/decide/`.
"""

from pushin_rules.decide.rules.factor import Factor, Source, Term
from pushin_rules.decide.rules.loading import (
    SHIPPED_VERSIONS,
    load_rules,
    load_rules_version,
    parse_rules,
    shipped_rules_path,
)
from pushin_rules.decide.rules.ruleset import RuleSet
from pushin_rules.decide.rules.tables import (
    DEFAULT_PLACES,
    Dose,
    Privacy,
    Secondary,
    StaffingRules,
    Thresholds,
    Wording,
)
from pushin_rules.decide.rules.vocabulary import (
    AGE_BANDS,
    BECAUSE_FIELDS,
    DIRECTIONS,
    MODIFIED_SUFFIX,
    RATINGS,
    SERVICE_FAMILIES,
    SETTINGS,
    WORDING_FIELDS,
)

__all__ = [
    "AGE_BANDS",
    "BECAUSE_FIELDS",
    "DEFAULT_PLACES",
    "DIRECTIONS",
    "MODIFIED_SUFFIX",
    "RATINGS",
    "SERVICE_FAMILIES",
    "SETTINGS",
    "SHIPPED_VERSIONS",
    "WORDING_FIELDS",
    "Dose",
    "Factor",
    "Privacy",
    "RuleSet",
    "Secondary",
    "Source",
    "StaffingRules",
    "Term",
    "Thresholds",
    "Wording",
    "load_rules",
    "load_rules_version",
    "parse_rules",
    "shipped_rules_path",
]
