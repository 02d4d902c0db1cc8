"""From the rows an importer read to a district folder in the CSV contract.

Shared by the SEIS importer and mapping files: which row of a service is current, which
students and services are kept, stable school ids, and writing the folder whole (students.csv,
schools.csv, services.csv with every rating empty, i.e. not rated yet, and import_report.csv).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pushin_rules.data.contract import SCHOOLS, SERVICES, STUDENTS
from pushin_rules.data.csvsafe import to_csv_text
from pushin_rules.data.importers import frequency
from pushin_rules.data.importers.report import REPORT_FILE, Report
from pushin_rules.errors import InputError
from pushin_rules.models import DEFAULT_DAYS_PER_WEEK, DEFAULT_MINUTES_PER_DAY

NO_SCHOOL = "School not given"


@dataclass(frozen=True)
class StudentRecord:
    student_id: str
    name: str
    grade: str
    school: str  # the school's name as the export writes it
    case_manager: str
    classroom: str
    file: str
    row: int


@dataclass(frozen=True)
class ServiceRecord:
    """One source row of a service, already parsed."""

    student_id: str
    service: str  # contract service family
    label: str  # the source's own name of the service, for the report
    minutes_per_week: int
    session_minutes: int
    current_model: str  # "push_in", "pull_out" or "" (not stated clearly)
    setting: str  # the source's location text, normalised: rows of one service share it
    start: dt.date | None
    end: dt.date | None
    file: str
    row: int
    group_size: int | None = None
    service_id: str = ""
    yearly_total: float | None = None  # the export's own yearly total, when it states one
    push_in_minutes: int | None = None  # a hybrid's minutes in class

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def content(self) -> tuple:
        return (
            self.minutes_per_week,
            self.session_minutes,
            self.current_model,
            self.start,
            self.end,
            self.group_size,
        )


@dataclass(frozen=True)
class ImportResult:
    """A district in the contract's files, plus the report of what was left out."""

    students: pd.DataFrame
    schools: pd.DataFrame
    services: pd.DataFrame
    report: pd.DataFrame
    source: str

    @property
    def usable(self) -> bool:
        return len(self.students) > 0 or len(self.services) > 0

    def files(self) -> dict[str, bytes]:
        """The contract files as bytes, ready for `loader.parse_district`."""
        return {
            STUDENTS.name: to_csv_text(self.students).encode(),
            SCHOOLS.name: to_csv_text(self.schools).encode(),
            SERVICES.name: to_csv_text(self.services).encode(),
        }

    def summary(self) -> str:
        skipped = int((self.report["outcome"] == "skipped").sum()) if len(self.report) else 0
        flagged = len(self.report) - skipped
        return (
            f"{_count(len(self.students), 'student')} at {_count(len(self.schools), 'school')}, "
            f"{_count(len(self.services), 'service')}; "
            f"{_count(skipped, 'source row')} not used, "
            f"{flagged:,} imported with a note (see {REPORT_FILE})"
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def keep_students(records: Iterable[StudentRecord], report: Report, repeats_expected: bool) -> dict:
    """The first row of each student id; a later row is a duplicate (reported), except in a
    report with one row per goal, where identical repeats are expected."""
    kept: dict[str, StudentRecord] = {}
    for record in records:
        first = kept.get(record.student_id)
        if first is None:
            kept[record.student_id] = record
            continue
        same = (first.name, first.grade, first.school) == (record.name, record.grade, record.school)
        if repeats_expected and same:
            continue
        report.skip(
            record.file,
            record.row,
            "duplicate",
            f"student {record.student_id} is already on row {first.row}; the first row is used",
        )
    return kept


def choose_services(
    records: Iterable[ServiceRecord],
    students: dict[str, StudentRecord],
    today: dt.date,
    report: Report,
    roster_file: str,
    left_out: Mapping[str, int] | None = None,
) -> list[ServiceRecord]:
    """One row per service: the row whose dates cover today, else the latest start.

    A service is one student's service family. When rows in different settings cover today
    (speech twice a week in the therapy room and once in class), each is kept as a service of
    its own. Rows left out are reported: a student missing from the roster, a duplicate, an
    older row of the same service, or a service whose latest row has ended.
    """
    groups: dict[tuple[str, str], list[ServiceRecord]] = {}
    left_out = left_out or {}
    for record in records:
        if record.student_id in left_out:
            if (record.file, record.row) == (roster_file, left_out[record.student_id]):
                continue  # the row itself is already reported for the student
            report.skip(
                record.file,
                record.row,
                "missing_student",
                f"student {record.student_id} was left out ({roster_file} row "
                f"{left_out[record.student_id]}), so their service is too",
            )
            continue
        if record.student_id not in students:
            report.skip(
                record.file,
                record.row,
                "missing_student",
                f"student {record.student_id} is not in {roster_file}; the service is left out",
            )
            continue
        groups.setdefault((record.student_id, record.service), []).append(record)
    chosen: list[ServiceRecord] = []
    for rows in groups.values():
        covering = [r for r in rows if r.covers(today)]
        if covering:
            current = {}
            for r in covering:  # the latest start in each setting
                best = current.get(r.setting)
                if best is None or _later(r, best):
                    current[r.setting] = r
            kept = list(current.values())
        else:
            latest = max(rows, key=_start_key)
            if latest.end is not None and latest.end < today:
                for r in rows:
                    report.skip(
                        r.file,
                        r.row,
                        "ended",
                        f"{r.label} for student {r.student_id} ended {r.end:%m/%d/%Y} "
                        "and no later row continues it",
                    )
                continue
            kept = [latest]
        for record in kept:
            check_yearly_total(record, report)
        merged = _as_hybrid(kept, report)
        chosen.extend([merged] if merged is not None else kept)
        for r in rows:
            if any(r is k for k in kept):
                continue
            twin = next(
                (k for k in kept if (k.setting, k.content()) == (r.setting, r.content())), None
            )
            if twin is not None:
                why = f"same {r.label} row as row {twin.row}; counted once"
                report.skip(r.file, r.row, "duplicate", why)
            else:
                rows_kept = " and ".join(str(k.row) for k in kept)
                why = (
                    f"{r.label} for student {r.student_id}: the current row is {rows_kept} "
                    "(its dates cover today, or it starts latest)"
                )
                report.skip(r.file, r.row, "superseded", why)
    chosen.sort(key=lambda r: (r.file, r.row))
    return chosen


def check_yearly_total(record: ServiceRecord, report: Report) -> None:
    """Compare the stated yearly total with the weekly minutes over the span's school weeks
    (tolerance frequency.YEARLY_TOLERANCE); a disagreement is imported and reported."""
    total = record.yearly_total
    if total is None or record.start is None or record.end is None:
        return
    days = (record.end - record.start).days + 1
    if frequency.yearly_total_agrees(record.minutes_per_week, days, total):
        return
    expected = record.minutes_per_week * frequency.school_weeks(days)
    report.flag(
        record.file,
        record.row,
        "yearly_total",
        f"{record.label} (student {record.student_id}): the frequency gives "
        f"{record.minutes_per_week} min a week, about {expected:,.0f} min over the "
        f"{frequency.school_weeks(days):.0f} school weeks of {record.start:%m/%d/%Y}-"
        f"{record.end:%m/%d/%Y}, but Total Minutes says {total:,.0f} (more than "
        f"{frequency.YEARLY_TOLERANCE:.0%} apart); imported from the frequency, please check",
    )


def _as_hybrid(kept: list[ServiceRecord], report: Report) -> ServiceRecord | None:
    """Two current rows of one service, one in class and one outside it, are one hybrid
    service: a split of its weekly minutes (reported, so the team can check the reading)."""
    models = sorted(r.current_model for r in kept)
    if len(kept) != 2 or models != ["pull_out", "push_in"]:
        return None
    inside = next(r for r in kept if r.current_model == "push_in")
    outside = next(r for r in kept if r.current_model == "pull_out")
    first = min(kept, key=lambda r: r.row)
    total = inside.minutes_per_week + outside.minutes_per_week
    report.flag(
        first.file,
        first.row,
        "hybrid",
        f"{first.label} for student {first.student_id}: rows {inside.row} (in class, "
        f"{inside.minutes_per_week} min a week) and {outside.row} (outside it, "
        f"{outside.minutes_per_week} min) are imported as one hybrid service of {total} min",
    )
    return dataclasses.replace(
        first,
        minutes_per_week=total,
        session_minutes=min(inside.session_minutes, outside.session_minutes),
        current_model="hybrid",
        push_in_minutes=inside.minutes_per_week,
        yearly_total=None,
        group_size=inside.group_size if inside.group_size == outside.group_size else None,
    )


def _start_key(record: ServiceRecord) -> tuple:
    return (record.start or dt.date.min, -record.row)  # a tie: the first row


def _later(a: ServiceRecord, b: ServiceRecord) -> bool:
    return _start_key(a) > _start_key(b)


def school_ids(names: Iterable[str]) -> dict[str, str]:
    """A stable id per school name: its words in capitals joined by '-' (at most 40
    characters), so the same export always gives the same ids; a clash gets -2, -3."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(set(names), key=lambda n: (n.casefold(), n)):
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        base = "-".join(re.findall(r"[A-Za-z0-9]+", plain.upper()))[:40].strip("-") or "SCHOOL"
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate)
        ids[name] = candidate
    return ids


def build(
    students: dict[str, StudentRecord],
    services: list[ServiceRecord],
    report: Report,
    source: str,
) -> ImportResult:
    """The contract frames: students, schools (from the students' school names) and
    services with every need and implementation rating empty (not rated yet)."""
    names = [s.school or NO_SCHOOL for s in students.values()]
    ids = school_ids(names)
    schools = pd.DataFrame(
        {
            "school_id": [ids[n] for n in sorted(ids, key=ids.get)],
            "name": sorted(ids, key=ids.get),
            "minutes_per_day": DEFAULT_MINUTES_PER_DAY,
            "days_per_week": DEFAULT_DAYS_PER_WEEK,
        },
        columns=list(SCHOOLS.column_names),
    )
    student_frame = pd.DataFrame(
        [
            {
                "student_id": s.student_id,
                "name": s.name,
                "grade": s.grade,
                "school_id": ids[s.school or NO_SCHOOL],
                "classroom": s.classroom,
                "case_manager": s.case_manager,
            }
            for s in students.values()
        ],
        columns=list(STUDENTS.column_names),
        dtype=object,
    )
    rows = []
    used: set[str] = set()
    for record in services:
        service_id = record.service_id or f"{record.student_id}-{record.service}"
        base, n = service_id, 1
        while service_id in used:
            n += 1
            service_id = f"{base}-{n}"
        used.add(service_id)
        row = dict.fromkeys(SERVICES.column_names, "")
        row.update(
            service_id=service_id,
            student_id=record.student_id,
            service=record.service,
            minutes_per_week=str(record.minutes_per_week),
            session_minutes=str(record.session_minutes),
            group_size="" if record.group_size is None else str(record.group_size),
            current_model=record.current_model,
            current_push_in_minutes=""
            if record.push_in_minutes is None
            else str(record.push_in_minutes),
        )
        rows.append(row)
    service_frame = pd.DataFrame(rows, columns=list(SERVICES.column_names), dtype=object)
    return ImportResult(student_frame, schools, service_frame, report.frame(), source)


def nothing_usable(result: ImportResult, files: Iterable[str]) -> None:
    """Raise the usual input error when an import found nothing to use."""
    if result.usable:
        return
    listed = ", ".join(files)
    lines = [f"Nothing usable was found in {listed}; nothing was written."]
    for file, row, what, why, _outcome in itertools.islice(
        result.report.itertuples(index=False), 20
    ):
        where = f"{file}, row {row}" if pd.notna(row) else file
        lines.append(f"  - {where}: {what}: {why}")
    raise InputError("\n".join(lines))


def write_result(result: ImportResult, out: str | os.PathLike[str]) -> list[Path]:
    """Write the district folder whole: the files are written in a fresh folder beside
    `out` and moved in only when every one is written, so a failure leaves `out` as it was."""
    target = Path(out)
    try:
        if target.exists() and not target.is_dir():
            raise InputError(f"cannot write {target}: it is a file, not a folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            texts = {
                **{name: content.decode() for name, content in result.files().items()},
                REPORT_FILE: to_csv_text(result.report),
            }
            for name, text in texts.items():
                with open(staging / name, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
            target.mkdir(exist_ok=True)
            written = []
            for name in texts:
                os.replace(staging / name, target / name)
                written.append(target / name)
            return written
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as error:
        raise InputError(f"cannot write {target}: {error.strerror or error}") from None
