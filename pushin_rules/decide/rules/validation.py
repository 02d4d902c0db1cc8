"""Validation of a parsed rules file, table by table: each problem becomes one line
"table.key: what is wrong"; the rule set is built only when there are none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pushin_rules.decide.progress import ProgressSettings
from pushin_rules.decide.rules.factor import Factor, Source, Term
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
from pushin_rules.errors import RulesError
from pushin_rules.models import FACTORS, IMPLEMENTATION_FACTORS, NATURAL_SETTINGS

_M = TypeVar("_M", bound=BaseModel)

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


def _validate(model: type[_M], raw: object, prefix: str, problems: list[str]) -> _M | None:
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
