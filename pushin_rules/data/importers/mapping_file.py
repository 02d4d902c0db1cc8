"""Mapping files: a small TOML file saying which column of another system's export holds which
contract column, so a district imports any IEP system's spreadsheet without code.

A mapping names its source files (each recognised by columns its header must hold), then a
`[students]` and an optional `[services]` section whose keys are contract columns and whose
values are source columns, and `[values.<name>]` tables that translate values (service names,
grade codes, locations). See `pushin_rules/content/mappings/` for the shipped examples and
README "Importing from your IEP system" for the format. Parsing that a table cannot express
(SEIS's frequency text) is named by `parse = "seis_frequency"` and lives in code.

This module holds the mapping file itself: its model (`MappingFile`, `SourceFile`, `Field`),
reading and checking it (`load_mapping`, `parse_mapping`, `shipped_mapping`). Applying it to
uploaded files is in `mapping.py`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pushin_rules.data.importers import frequency
from pushin_rules.errors import InputError
from pushin_rules.models import GRADES, DeliveryModel, ServiceType

MAPPINGS_DIR = Path(__file__).resolve().parent.parent.parent / "content" / "mappings"

# How a minutes column may be expressed: minutes per this period, converted to a week with
# the school calendar of `frequency` (5 days a week, 4 weeks a month, 36 weeks a year).
MINUTES_PER = {
    "week": frequency.PERIOD_WEEKS["weekly"],
    "day": frequency.PERIOD_WEEKS["daily"],
    "month": frequency.PERIOD_WEEKS["monthly"],
    "year": frequency.PERIOD_WEEKS["yearly"],
}
PARSERS = ("seis_frequency",)
NAME_STYLES = ("as_written", "last_first")
MODELS = tuple(m.value for m in DeliveryModel if m is not DeliveryModel.hybrid)
SERVICES = tuple(s.value for s in ServiceType)


class MappingError(InputError):
    """A mapping file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Field:
    """Where one contract value comes from."""

    columns: tuple[str, ...]  # alternatives: the first the file has is used
    values: str = ""  # name of a [values.*] table
    names: str = "as_written"  # "last_first": "Alvarez, Ana" -> "Ana Alvarez"
    per: str = ""  # minutes: the period the column counts
    parse: str = ""  # minutes: a named parser


@dataclass(frozen=True)
class SourceFile:
    key: str
    label: str
    header: tuple[str, ...]
    one_row_per: str  # "student", "service" or "goal"


@dataclass(frozen=True)
class MappingFile:
    path: str
    name: str
    date_format: str
    files: dict[str, SourceFile]
    students_from: tuple[str, ...]
    students: dict[str, Field]
    services_from: tuple[str, ...]
    services: dict[str, Field]
    values: dict[str, dict[str, str]]  # table -> folded source value -> contract value


STUDENT_KEYS = {"student_id", "name", "first_name", "last_name", "preferred_name", "grade"}
STUDENT_KEYS |= {"school", "case_manager", "classroom"}
SERVICE_KEYS = {"student_id", "service", "minutes", "session_minutes", "current_model"}
SERVICE_KEYS |= {"start_date", "end_date", "group_size", "service_id"}


def load_mapping(path: str | Path) -> MappingFile:
    """Read and check a mapping file; a broken one raises MappingError naming the key."""
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise MappingError(f"{file}: cannot read the mapping file ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MappingError(f"{file}: not a valid TOML file: {error}") from None
    return parse_mapping(raw, str(file))


def shipped_mapping(name: str) -> MappingFile:
    """One of the mappings shipped in pushin_rules/content/mappings (name without .toml)."""
    return load_mapping(MAPPINGS_DIR / f"{name}.toml")


def parse_mapping(raw: Mapping[str, Any], where: str) -> MappingFile:
    def fail(key: str, message: str) -> MappingError:
        return MappingError(f"{where}: {key}: {message}")

    head = _table(raw, "mapping", where)
    if not isinstance(head.get("date_format", ""), str) or not isinstance(
        head.get("name", ""), str
    ):
        raise fail("mapping", "name and date_format must be text")
    files: dict[str, SourceFile] = {}
    for key, spec in _table(raw, "files", where).items():
        if not isinstance(spec, dict):
            raise fail(f"files.{key}", "must be a table")
        header = spec.get("header")
        if not _strings(header) or not header:
            raise fail(f"files.{key}.header", "must be a list of the column names it must hold")
        one_row_per = spec.get("one_row_per", "student")
        if one_row_per not in ("student", "service", "goal"):
            raise fail(f"files.{key}.one_row_per", "must be student, service or goal")
        files[key] = SourceFile(key, str(spec.get("label", key)), tuple(header), one_row_per)
    values: dict[str, dict[str, str]] = {}
    tables = raw.get("values", {})
    if not isinstance(tables, dict):
        raise fail("values", "must be tables: [values.<name>]")
    for name, table in tables.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise fail(f"values.{name}", "must be a table of source value = contract value")
        values[name] = {_fold(k): v for k, v in table.items()}

    def section(name: str, allowed: set[str], required: set[str]):
        spec = raw.get(name)
        if spec is None:
            return (), {}
        if not isinstance(spec, dict):
            raise fail(name, "must be a table")
        sources = spec.get("file")
        sources = [sources] if isinstance(sources, str) else sources
        if not _strings(sources) or not sources or any(s not in files for s in sources):
            raise fail(f"{name}.file", f"must name one of the [files] ({', '.join(files)})")
        fields: dict[str, Field] = {}
        for key, value in spec.items():
            if key == "file":
                continue
            if key not in allowed:
                raise fail(f"{name}.{key}", f"unknown key; expected {', '.join(sorted(allowed))}")
            fields[key] = _field(value, f"{name}.{key}", values, fail)
        missing = required - set(fields)
        if missing:
            raise fail(name, f"lacks {', '.join(sorted(missing))}")
        return tuple(sources), fields

    students_from, students = section("students", STUDENT_KEYS, {"student_id", "grade"})
    if not students:
        raise fail("students", "is required (where the roster comes from)")
    if "name" not in students and not {"first_name", "last_name"} <= set(students):
        raise fail("students", "needs name, or first_name and last_name")
    services_from, services = section(
        "services", SERVICE_KEYS, {"student_id", "service", "minutes"}
    )
    for key, table in (("grade", GRADES), ("service", SERVICES), ("current_model", MODELS)):
        field = {**students, **services}.get(key)
        if field is not None and field.values:
            bad = sorted({v for v in values[field.values].values() if v not in table})
            if bad:
                raise fail(f"values.{field.values}", f"{bad} not one of {', '.join(table)}")
    minutes = services.get("minutes")
    if minutes is not None and not (minutes.per or minutes.parse):
        raise fail("services.minutes", f"needs per ({', '.join(MINUTES_PER)}) or parse")
    return MappingFile(
        path=where,
        name=str(head.get("name", Path(where).stem)),
        date_format=str(head.get("date_format", "%Y-%m-%d")),
        files=files,
        students_from=students_from,
        students=students,
        services_from=services_from,
        services=services,
        values=values,
    )


def _field(value: Any, key: str, values: dict, fail) -> Field:
    if isinstance(value, str):
        return Field((value,))
    if not isinstance(value, dict):
        raise fail(key, "must be a column name or a table with column = ...")
    columns = value.get("column")
    columns = [columns] if isinstance(columns, str) else columns
    if not _strings(columns) or not columns:
        raise fail(f"{key}.column", "must be a column name or a list of alternatives")
    unknown = set(value) - {"column", "values", "names", "per", "parse"}
    if unknown:
        raise fail(key, f"unknown keys {sorted(unknown)}")
    table = value.get("values", "")
    if table and table not in values:
        raise fail(f"{key}.values", f"no [values.{table}] table")
    names = value.get("names", "as_written")
    if names not in NAME_STYLES:
        raise fail(f"{key}.names", f"must be one of {', '.join(NAME_STYLES)}")
    per = value.get("per", "")
    if per and per not in MINUTES_PER:
        raise fail(f"{key}.per", f"must be one of {', '.join(MINUTES_PER)}")
    parse = value.get("parse", "")
    if parse and parse not in PARSERS:
        raise fail(f"{key}.parse", f"must be one of {', '.join(PARSERS)}")
    return Field(tuple(columns), table, names, per, parse)


def _table(raw: Mapping[str, Any], key: str, where: str) -> dict:
    value = raw.get(key)
    if not isinstance(value, dict):
        raise MappingError(f"{where}: [{key}] is missing or not a table")
    return value


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _fold(text: str) -> str:
    return " ".join(str(text).split()).casefold()
