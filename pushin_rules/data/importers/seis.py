"""SEIS (California's Special Education Information System) exports -> a district folder.

SEIS has no public API; staff download reports as CSV. Two are read here: **Deliveries** (one
row per service and IEP span) for services.csv, and the roster, **IEP Dates** or else the
**Student Goals** report, for students.csv (through the shipped mapping file
`content/mappings/seis_roster.toml`). Files are recognised by their header row, whatever
their names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from pushin_rules.data.importers import assemble, frequency
from pushin_rules.data.importers.assemble import ImportResult, ServiceRecord
from pushin_rules.data.importers.mapping import (
    MappingFile,
    number,
    parse_date,
    read_students,
    shipped_mapping,
)
from pushin_rules.data.importers.report import Report
from pushin_rules.data.importers.text import Table, header_of, read_table
from pushin_rules.errors import InputError

DELIVERIES_COLUMNS: tuple[str, ...] = (
    "Name",
    "SEIS ID",
    "Service",
    "Delivery",
    "Start Date",
    "End Date",
    "Sessions / Frequency",
    "Location",
    "Total Minutes (min/year)",
    "Total Delivered",
    "Medi-Cal Billing Consent",
)
# Enough to recognise a Deliveries export (a district may hide the billing columns).
DELIVERIES_HEADER: tuple[str, ...] = (
    "SEIS ID",
    "Service",
    "Start Date",
    "End Date",
    "Sessions / Frequency",
)
IEP_DATES_COLUMNS: tuple[str, ...] = (
    "SEIS ID",
    "SSID",
    "Last Name",
    "First Name",
    "Student Middle Name",
    "Preferred Name",
    "Date of Birth",
    "District of Service",
    "District of SPED Accountability",
    "School of Attendance",
    "Grade Level",
    "Case Manager",
    "Disability 1",
    "Date of Next Annual Plan Review",
    "Date of Next Reevaluation",
    "Date of IEP (Meeting Date on Future IEP forms)",
    "Meeting Type",
)
DATE_FORMAT = "%m/%d/%Y"

# California special-education service codes (CALPADS / CASEMIS service descriptions) ->
# the contract's service families. Only the services whose delivery setting this product
# recommends are imported.
SERVICE_CODES: dict[str, str] = {
    "330": "setss",  # Specialized Academic Instruction
    "415": "speech_language",  # Language and Speech
    "450": "occupational_therapy",  # Occupational Therapy
    "460": "physical_therapy",  # Physical Therapy
    "510": "counseling",  # Individual Counseling
    "515": "counseling",  # Counseling and Guidance
}
# Other state codes a Deliveries export carries: known, but not a push-in / pull-out
# decision of this product; reported as such rather than as unknown.
OTHER_CODES: dict[str, str] = {
    "340": "Intensive Individual Services",
    "350": "Individual and Small Group Instruction",
    "425": "Adapted Physical Education",
    "435": "Health and Nursing: Specialized Physical Health Care",
    "436": "Health and Nursing: Other Services",
    "445": "Assistive Technology Services",
    "520": "Parent Counseling",
    "525": "Social Work Services",
    "530": "Psychological Services",
    "535": "Behavior Intervention Services",
    "540": "Day Treatment Services",
    "545": "Residential Treatment Services",
    "610": "Specialized Services for Low Incidence Disabilities",
    "710": "Specialized Deaf and Hard of Hearing Services",
    "715": "Interpreter Services",
    "720": "Audiological Services",
    "725": "Specialized Vision Services",
    "730": "Orientation and Mobility",
    "735": "Braille Transcription",
    "740": "Specialized Orthopedic Services",
    "745": "Reading Services",
    "750": "Note Taking Services",
    "755": "Transcription Services",
    "760": "Recreation Services",
    "820": "College Awareness Preparation",
    "830": "Vocational Assessment, Counseling, Guidance, and Career Assessment",
    "840": "Career Awareness",
    "850": "Work Experience Education",
    "855": "Job Coaching",
    "860": "Mentoring",
    "865": "Agency Linkages",
    "870": "Travel Training",
    "890": "Other Transition Services",
    "900": "Other Special Education/Related Services",
}

# Location words that say plainly where the minutes happen. Checked in order, pull-out first
# ("Separate Classroom" must not read as a classroom). SEIS's "Regular Classroom / Public Day
# School" names the school, not the room, so it (like "Other" or an empty cell) leaves the
# current model empty for the team to state.
PULL_OUT_LOCATIONS: tuple[str, ...] = (
    "separate class",
    "special education class",
    "special day class",
    "resource room",
    "resource specialist",
    "therapy room",
    "speech room",
    "provider's office",
    "providers office",
    "counseling office",
    "counselor's office",
    "pull-out",
    "pull out",
)
PUSH_IN_LOCATIONS: tuple[str, ...] = (
    "general education classroom",
    "general education class",
    "general ed classroom",
    "gen ed classroom",
    "regular classroom",
    "regular class",
    "push-in",
    "push in",
)
NOT_A_ROOM: tuple[str, ...] = ("public day school",)

# Which SEIS report a file is, by the columns its header holds.
KINDS: dict[str, tuple[str, ...]] = {
    "deliveries": DELIVERIES_HEADER,
    "iep_dates": ("SEIS ID", "Last Name", "First Name", "Grade Level", "School of Attendance"),
    "student_goals": ("SEIS ID", "Last Name", "First Name", "Grade", "IEP Date"),
}
KIND_LABELS: dict[str, str] = {
    "deliveries": "SEIS Deliveries",
    "iep_dates": "SEIS IEP Dates",
    "student_goals": "SEIS Student Goals",
}


def recognise(data: bytes) -> str | None:
    """Which SEIS report these bytes are ("deliveries", "iep_dates", "student_goals"), by
    their header row; None when it is none of them."""
    for kind, columns in KINDS.items():
        if header_of(data, columns) is not None:
            return kind
    return None


def recognise_files(uploads: Mapping[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """{kind: (file name, bytes)} for the uploaded files that are SEIS reports."""
    found: dict[str, tuple[str, bytes]] = {}
    for name, data in uploads.items():
        kind = recognise(data)
        if kind is not None and kind not in found:
            found[kind] = (name, data)
    return found


def model_from_location(location: str) -> str:
    """ "push_in", "pull_out", or "" when the location does not say plainly."""
    text = " ".join(location.split()).casefold()
    if not text or any(word in text for word in NOT_A_ROOM):
        return ""
    if any(word in text for word in PULL_OUT_LOCATIONS):
        return "pull_out"
    if any(word in text for word in PUSH_IN_LOCATIONS):
        return "push_in"
    return ""


def service_code(text: str) -> str:
    """The state code at the start of a Service cell ("415 - Language and Speech" -> "415")."""
    match = re.match(r"\s*([0-9]{3})\b", text)
    return match.group(1) if match else ""


def read_deliveries(table: Table, report: Report) -> list[ServiceRecord]:
    """Every Deliveries row that can be used; the others are reported with their reason."""
    records: list[ServiceRecord] = []
    file = table.file
    for row in table.rows:
        student_id = row.get("SEIS ID")
        label = " ".join(row.get("Service").split()) or "a service"
        if not student_id:
            # The row number finds it; the report names no student (it is shown on screen).
            report.skip(file, row.number, "no_id", f"{label}: the row has no SEIS ID")
            continue
        code = service_code(label)
        family = SERVICE_CODES.get(code)
        if family is None:
            if code in OTHER_CODES:
                report.skip(
                    file,
                    row.number,
                    "not_decided_here",
                    f"{label} (student {student_id}): this product recommends a setting only "
                    "for speech, OT, PT, counseling and specialized academic instruction",
                )
            else:
                report.skip(
                    file,
                    row.number,
                    "unknown_service",
                    f"{label!r} (student {student_id}) has no known state service code",
                )
            continue
        if "consult" in row.get("Delivery").casefold():
            report.skip(
                file,
                row.number,
                "consultation",
                f"{label} (student {student_id}) is delivered as {row.get('Delivery')!r}: "
                "work with the staff, not with the student, so no setting to decide",
            )
            continue
        text = row.get("Sessions / Frequency")
        try:
            parsed = frequency.parse_frequency(text)
        except frequency.FrequencyError as error:
            report.skip(
                file,
                row.number,
                "unreadable_frequency",
                f"{label} (student {student_id}), column Sessions / Frequency: {error}",
            )
            continue
        try:
            start = _date(row.get("Start Date"), "Start Date")
            end = _date(row.get("End Date"), "End Date")
        except ValueError as error:
            report.skip(
                file, row.number, "unreadable_value", f"{label} (student {student_id}): {error}"
            )
            continue
        location = row.get("Location")
        records.append(
            ServiceRecord(
                student_id=student_id,
                service=family,
                label=label,
                minutes_per_week=parsed.minutes_per_week,
                session_minutes=parsed.session_minutes,
                current_model=model_from_location(location),
                setting=" ".join(location.split()).casefold(),
                start=start,
                end=end,
                file=file,
                row=row.number,
                # "Individual" is one student; a group's size is not in the export.
                group_size=1 if row.get("Delivery").casefold() == "individual" else None,
                service_id=f"{student_id}-{code}",
                yearly_total=number(row.get("Total Minutes (min/year)")),
            )
        )
    return records


def _date(text: str, column: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return parse_date(text, DATE_FORMAT)
    except ValueError as error:
        raise ValueError(f"column {column}: {error}") from None


def roster_mapping() -> MappingFile:
    return shipped_mapping("seis_roster")


def import_seis(
    deliveries: tuple[str, bytes],
    roster: tuple[str, bytes],
    today: dt.date,
) -> ImportResult:
    """Import a Deliveries export and a roster export (IEP Dates or Student Goals), each
    given as (file name, bytes). Raises InputError when a file is not the report it should
    be, or when nothing usable is found."""
    deliveries_name, deliveries_data = deliveries
    roster_name, roster_data = roster
    mapping = roster_mapping()
    kind = recognise(roster_data)
    if kind not in ("iep_dates", "student_goals"):
        raise InputError(
            f"{roster_name}: row 1: not a SEIS IEP Dates or Student Goals export (its header "
            f"needs {', '.join(KINDS['iep_dates'])})"
        )
    report = Report(files=[roster_name, deliveries_name])
    roster_table = read_table(roster_data, roster_name, KINDS[kind])
    delivery_table = read_table(deliveries_data, deliveries_name, DELIVERIES_HEADER)
    for table in (roster_table, delivery_table):
        for number_, why in table.unreadable:
            report.skip(table.file, number_, "unreadable_row", why)
    one_row_per = mapping.files[kind].one_row_per
    left_out: dict[str, int] = {}
    student_rows = read_students(mapping, roster_table, report, one_row_per, left_out)
    students = assemble.keep_students(student_rows, report, one_row_per != "student")
    service_rows = read_deliveries(delivery_table, report)
    services = assemble.choose_services(
        service_rows, students, today, report, roster_name, left_out
    )
    result = assemble.build(students, services, report, f"{deliveries_name}, {roster_name}")
    assemble.nothing_usable(result, [deliveries_name, roster_name])
    return result
