"""Mapping files: a small TOML file saying which column of another system's export holds which
contract column, so a district imports any IEP system's spreadsheet without code.

A mapping names its source files (each recognised by columns its header must hold), then a
`[students]` and an optional `[services]` section whose keys are contract columns and whose
values are source columns, and `[values.<name>]` tables that translate values (service names,
grade codes, locations). See `pushin_rules/content/mappings/` for the shipped examples and
README "Importing from your IEP system" for the format. Parsing that a table cannot express
(SEIS's frequency text) is named by `parse = "seis_frequency"` and lives in code.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pushin_rules.data.importers import assemble, frequency
from pushin_rules.data.importers.assemble import ImportResult, ServiceRecord, StudentRecord
from pushin_rules.data.importers.report import Report
from pushin_rules.data.importers.text import Row, Table, header_of, read_table
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


# ------------------------------------------------------------------------------- reading


def recognise(mapping: MappingFile, uploads: Mapping[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """{source file key: (file name, bytes)} for each upload whose header a source file's
    header columns match (first match wins; a file is used once)."""
    found: dict[str, tuple[str, bytes]] = {}
    for key, source in mapping.files.items():
        for name, data in uploads.items():
            if any(name == used for used, _ in found.values()):
                continue
            if header_of(data, source.header) is not None:
                found[key] = (name, data)
                break
    return found


def read_students(
    mapping: MappingFile,
    table: Table,
    report: Report,
    one_row_per: str,
    left_out: dict[str, int] | None = None,
) -> list[StudentRecord]:
    """Students from a roster table; rows that cannot be used are reported (and the ids of
    students left out are added to `left_out`, id -> row, so their services say why)."""
    fields = mapping.students
    records = []
    for row in table.rows:
        student_id = _value(row, table, fields["student_id"])
        if not student_id:
            if one_row_per == "student":
                report.skip(table.file, row.number, "no_id", "the row has no student id")
            continue
        grade_text = _value(row, table, fields["grade"])
        grade = translate(mapping, fields["grade"], grade_text)
        if grade not in GRADES:
            report.skip(
                table.file,
                row.number,
                "unreadable_value",
                f"student {student_id}: grade {grade_text!r} is not K or 1-12; "
                "the student and their services are left out",
            )
            if left_out is not None:
                left_out.setdefault(student_id, row.number)
            continue
        records.append(
            StudentRecord(
                student_id=student_id,
                name=_student_name(row, table, fields) or student_id,
                grade=grade,
                school=_value(row, table, fields.get("school")),
                case_manager=_value(row, table, fields.get("case_manager")),
                classroom=_value(row, table, fields.get("classroom")),
                file=table.file,
                row=row.number,
            )
        )
    return records


def read_services(mapping: MappingFile, table: Table, report: Report) -> list[ServiceRecord]:
    """Services from a one-row-per-service table; rows that cannot be used are reported."""
    fields = mapping.services
    records = []
    for row in table.rows:
        student_id = _value(row, table, fields["student_id"])
        label = _value(row, table, fields["service"])
        if not student_id:
            report.skip(table.file, row.number, "no_id", f"{label or 'a service'} has no student")
            continue
        service = translate(mapping, fields["service"], label)
        if service not in SERVICES:
            report.skip(
                table.file,
                row.number,
                "unknown_service",
                f"service {label!r} is not in the mapping's [values.{fields['service'].values}]",
            )
            continue
        try:
            weekly, session = _minutes(row, table, fields)
            start = _date(row, table, fields.get("start_date"), mapping.date_format)
            end = _date(row, table, fields.get("end_date"), mapping.date_format)
            group = _int(row, table, fields.get("group_size"), "group size")
        except ValueError as error:
            what = "unreadable_frequency" if "minutes" in str(error) else "unreadable_value"
            report.skip(table.file, row.number, what, f"{label}: {error}")
            continue
        setting = _value(row, table, fields.get("current_model"))
        model = translate(mapping, fields.get("current_model"), setting)
        records.append(
            ServiceRecord(
                student_id=student_id,
                service=service,
                label=label,
                minutes_per_week=weekly,
                session_minutes=session,
                current_model=model if model in MODELS else "",
                setting=_fold(setting),
                start=start,
                end=end,
                file=table.file,
                row=row.number,
                group_size=group,
                service_id=_value(row, table, fields.get("service_id")),
            )
        )
    return records


def translate(mapping: MappingFile, field: Field | None, value: str) -> str:
    """A source value through the field's [values] table (unmatched values pass as written)."""
    if field is None or not field.values:
        return value
    return mapping.values[field.values].get(_fold(value), value)


def import_mapped(
    mapping: MappingFile,
    uploads: Mapping[str, bytes],
    today: dt.date,
) -> ImportResult:
    """Import the files a mapping describes. Raises InputError naming what is missing."""
    found = recognise(mapping, uploads)
    report = Report()
    roster_key = next((k for k in mapping.students_from if k in found), None)
    if roster_key is None:
        wanted = " or ".join(
            f"{mapping.files[k].label} ({', '.join(mapping.files[k].header)})"
            for k in mapping.students_from
        )
        raise InputError(
            f"{mapping.path}: none of the files ({', '.join(uploads) or 'none given'}) has the "
            f"header of {wanted}"
        )
    tables: dict[str, Table] = {}
    for key, (name, data) in found.items():
        table = read_table(data, name, mapping.files[key].header)
        for number, why in table.unreadable:
            report.skip(name, number, "unreadable_row", why)
        tables[key] = table
    roster = mapping.files[roster_key]
    left_out: dict[str, int] = {}
    student_rows = read_students(mapping, tables[roster_key], report, roster.one_row_per, left_out)
    students = assemble.keep_students(student_rows, report, roster.one_row_per != "student")
    services: list[ServiceRecord] = []
    if mapping.services:
        service_key = next((k for k in mapping.services_from if k in found), None)
        if service_key is None:
            raise InputError(
                f"{mapping.path}: no file has the header of "
                + " or ".join(mapping.files[k].label for k in mapping.services_from)
            )
        rows = read_services(mapping, tables[service_key], report)
        services = assemble.choose_services(
            rows, students, today, report, found[roster_key][0], left_out
        )
    result = assemble.build(students, services, report, ", ".join(n for n, _ in found.values()))
    assemble.nothing_usable(result, [n for n, _ in found.values()])
    return result


# ------------------------------------------------------------------------------- cells


def _column(table: Table, field: Field) -> str | None:
    return next((c for c in field.columns if table.has(c)), None)


def _value(row: Row, table: Table, field: Field | None) -> str:
    if field is None:
        return ""
    column = _column(table, field)
    value = row.get(column) if column else ""
    return person_name(value) if field.names == "last_first" else value


def person_name(text: str) -> str:
    """'Alvarez, Ana' -> 'Ana Alvarez'; a name without a comma is kept as written."""
    if "," not in text:
        return " ".join(text.split())
    last, _, first = text.partition(",")
    return " ".join(f"{first.strip()} {last.strip()}".split())


def _student_name(row: Row, table: Table, fields: Mapping[str, Field]) -> str:
    """Display name 'First Last', the preferred name in place of the first when given."""
    if "name" in fields:
        return _value(row, table, fields["name"])
    first = _value(row, table, fields.get("preferred_name")) or _value(
        row, table, fields["first_name"]
    )
    return " ".join(f"{first} {_value(row, table, fields['last_name'])}".split())


def _minutes(row: Row, table: Table, fields: Mapping[str, Field]) -> tuple[int, int]:
    field = fields["minutes"]
    text = _value(row, table, field)
    if field.parse == "seis_frequency":
        try:
            parsed = frequency.parse_frequency(text)
        except frequency.FrequencyError as error:
            raise ValueError(f"minutes: {error}") from None
        return parsed.minutes_per_week, parsed.session_minutes
    amount = number(text)
    if amount is None or amount <= 0:
        raise ValueError(f"minutes {text!r} is not a number of minutes")
    weekly = round(amount / MINUTES_PER[field.per])
    if weekly < 1:
        raise ValueError(f"minutes {text!r} a {field.per} is less than one minute a week")
    session = _int(row, table, fields.get("session_minutes"), "session minutes")
    return weekly, min(session or weekly, 24 * 60)


def _int(row: Row, table: Table, field: Field | None, what: str) -> int | None:
    text = _value(row, table, field)
    if not text:
        return None
    value = number(text)
    if value is None or value < 1 or value != int(value):
        raise ValueError(f"{what} {text!r} is not a whole number")
    return int(value)


def number(text: str) -> float | None:
    """'1,080' and ' 60 ' -> a number; anything else None."""
    cleaned = text.replace(",", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        return None


def _date(row: Row, table: Table, field: Field | None, fmt: str) -> dt.date | None:
    text = _value(row, table, field)
    if not text:
        return None
    return parse_date(text, fmt)


@functools.lru_cache(maxsize=8192)  # an export repeats the same few dates on many rows
def parse_date(text: str, fmt: str) -> dt.date:
    """A date in the export's format; a time of day after it is ignored."""
    head = text.strip().split(" ")[0]
    try:
        return dt.datetime.strptime(head, fmt).date()
    except ValueError:
        shown = fmt.replace("%m", "MM").replace("%d", "DD").replace("%Y", "YYYY")
        raise ValueError(f"date {text!r} is not written {shown}") from None
