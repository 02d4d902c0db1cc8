"""Applying a mapping file (`mapping_file.py`) to uploaded exports: recognise each upload by
its header, read students and services row by row, translate values, and assemble the import
(`import_mapped`). Every public name of `mapping_file.py` stays importable from here."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

from pushin_rules.data.importers import assemble, frequency
from pushin_rules.data.importers.assemble import ImportResult, ServiceRecord, StudentRecord
from pushin_rules.data.importers.mapping_file import (
    MAPPINGS_DIR,
    MINUTES_PER,
    MODELS,
    NAME_STYLES,
    PARSERS,
    SERVICE_KEYS,
    SERVICES,
    STUDENT_KEYS,
    Field,
    MappingError,
    MappingFile,
    SourceFile,
    _fold,
    load_mapping,
    parse_mapping,
    shipped_mapping,
)
from pushin_rules.data.importers.report import Report
from pushin_rules.data.importers.text import Row, Table, header_of, read_table
from pushin_rules.errors import InputError
from pushin_rules.models import GRADES

__all__ = [
    "MAPPINGS_DIR",
    "MINUTES_PER",
    "MODELS",
    "NAME_STYLES",
    "PARSERS",
    "SERVICES",
    "SERVICE_KEYS",
    "STUDENT_KEYS",
    "Field",
    "MappingError",
    "MappingFile",
    "SourceFile",
    "import_mapped",
    "load_mapping",
    "number",
    "parse_date",
    "parse_mapping",
    "person_name",
    "read_services",
    "read_students",
    "recognise",
    "shipped_mapping",
    "translate",
]


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
