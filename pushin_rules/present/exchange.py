"""Data in and out through the Data page: problem lists, templates, district zips, and uploaded
files (zip members read safely).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence

import pandas as pd

from pushin_rules.data.contract import BY_NAME, FILES
from pushin_rules.data.csvsafe import to_csv_text
from pushin_rules.data.district import District
from pushin_rules.errors import DistrictError, Problem
from pushin_rules.models import FACTORS, NEED_FACTORS


def problems_frame(error: DistrictError | Sequence[Problem]) -> pd.DataFrame:
    """Every problem of a failed load as a table: file, row, column, value, what was expected."""
    problems = error.problems if isinstance(error, DistrictError) else list(error)
    return pd.DataFrame(
        {
            "file": pd.Series([p.file for p in problems], dtype=object),
            "row": pd.Series([p.row for p in problems], dtype="Int64"),
            "column": pd.Series([p.column or "" for p in problems], dtype=object),
            "value": pd.Series(
                ["" if p.value is None else p.value for p in problems], dtype=object
            ),
            "expected": pd.Series([p.expected for p in problems], dtype=object),
        }
    )


def district_counts(district: District) -> pd.DataFrame:
    """Rows per file of a district, for the Data page's summary."""
    return pd.DataFrame(
        {
            "file": [spec.name for spec in FILES],
            "rows": [len(getattr(district, spec.name.removesuffix(".csv"))) for spec in FILES],
        }
    )


TEMPLATE_EXAMPLES: dict[str, dict[str, str]] = {
    "schools.csv": {
        "school_id": "SCH1",
        "name": "Example Elementary",
        "minutes_per_day": "365",
        "days_per_week": "5",
    },
    "students.csv": {
        "student_id": "ST1",
        "name": "Example Student",
        "grade": "3",
        "school_id": "SCH1",
        "classroom": "3-201",
        "case_manager": "Case Manager",
    },
    "providers.csv": {
        "provider_id": "PR1",
        "name": "Example Provider",
        "role": "slp",
        "weekly_capacity_minutes": "1500",
    },
    "services.csv": {
        "service_id": "SV1",
        "student_id": "ST1",
        "service": "speech_language",
        "provider_id": "PR1",
        "minutes_per_week": "60",
        "session_minutes": "30",
        "group_size": "1",
        "current_model": "pull_out",
        "current_push_in_minutes": "",
        **{key: "0" for key in FACTORS},
    },
    "goals.csv": {
        "goal_id": "G1",
        "service_id": "SV1",
        "description": "Produces /r/ in words",
        "measure": "percent accuracy",
        "direction": "increase",
        "target": "80",
        "target_date": "2027-06-15",
    },
    "progress.csv": {"goal_id": "G1", "date": "2026-09-08", "score": "35", "setting": "pull_out"},
    "service_log.csv": {
        "service_id": "SV1",
        "date": "2026-09-08",
        "setting": "pull_out",
        "minutes": "30",
        "status": "delivered",
        "reason": "",
    },
}


def template_csv(name: str, example: bool = True) -> str:
    """The header of one contract file, with one example row to copy."""
    spec = BY_NAME[name]
    frame = pd.DataFrame(columns=list(spec.column_names))
    if example:
        row = TEMPLATE_EXAMPLES.get(name, {})
        frame = pd.DataFrame([{c: row.get(c, "") for c in spec.column_names}])
    return to_csv_text(frame)


def templates_zip() -> bytes:
    """Every contract file as a template, in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for spec in FILES:
            archive.writestr(spec.name, template_csv(spec.name))
    return buffer.getvalue()


def district_export_frames(
    district: District, labels: pd.Series | None = None
) -> dict[str, pd.DataFrame]:
    """The district as its CSV files; with `labels` (de-identified mode) the students' names
    are replaced by their labels, their ids (identifying too, under FERPA) by export-only ids
    that still link students.csv and services.csv, and the case manager column is left out."""
    frames: dict[str, pd.DataFrame] = {}
    stand_in_ids = pd.Series(
        [f"X{n:06d}" for n in range(1, len(district.students) + 1)],
        index=district.students["student_id"].astype(str).to_numpy(),
        dtype=object,
    )
    for spec in FILES:
        frame = getattr(district, spec.name.removesuffix(".csv")).copy()
        if spec.name == "services.csv" and "rated" in frame.columns:
            frame = _ratings_as_written(frame)
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].dt.strftime("%Y-%m-%d").fillna("")
            # Text as object dtype: csvsafe escapes formula-looking cells in object columns.
            if not pd.api.types.is_numeric_dtype(frame[column]):
                frame[column] = frame[column].astype(object)
        if spec.name == "students.csv" and labels is not None:
            ids = frame["student_id"].astype(str)
            frame["name"] = ids.map(labels).fillna("")
            frame["case_manager"] = ""
        if labels is not None and "student_id" in frame.columns:
            frame["student_id"] = frame["student_id"].astype(str).map(stand_in_ids)
        frames[spec.name] = frame
    return frames


def _ratings_as_written(services: pd.DataFrame) -> pd.DataFrame:
    """services.csv as a district writes it: a service not rated yet has its need ratings
    empty (not 0, which would read back as rated), and `rated` is not a CSV column."""
    unrated = ~services["rated"].to_numpy(dtype=bool)
    services = services.drop(columns="rated")
    if unrated.any():
        for name in NEED_FACTORS:
            column = services[name].astype(object)
            column[unrated] = ""
            services[name] = column
    return services


def district_zip(district: District, labels: pd.Series | None = None) -> bytes:
    """The district as a zip of its CSV files, spreadsheet-safe (see `district_export_frames`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in district_export_frames(district, labels).items():
            archive.writestr(name, to_csv_text(frame))
    return buffer.getvalue()


MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024


def uploaded_files(items: Iterable[tuple[str, bytes]]) -> tuple[dict[str, bytes], list[str]]:
    """Uploaded files as {contract file name: bytes}, and notes about what was set aside.

    A zip is opened and its CSV files taken by base name (folders inside are ignored); a
    name is matched case-insensitively; a file given twice keeps the last copy.
    """
    files: dict[str, bytes] = {}
    notes: list[str] = []
    known = {spec.name for spec in FILES}
    for name, content in items:
        base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        if base.lower().endswith(".zip"):
            _unzip(base, content, files, notes, known)
            continue
        _add(files, notes, base, content, known, "")
    return files, notes


# What a damaged or crafted zip can raise: a bad archive, an encrypted member (RuntimeError),
# an unknown compression method (NotImplementedError), corrupt compressed data.
_ZIP_ERRORS = (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError, ValueError)


def _unzip(
    base: str, content: bytes, files: dict[str, bytes], notes: list[str], known: set[str]
) -> None:
    """Take the district files out of an uploaded zip; anything unreadable becomes a note."""
    import zlib

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except _ZIP_ERRORS:
        notes.append(f"{base}: not a readable zip file; skipped")
        return
    with archive:
        for info in archive.infolist():
            inner = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or not inner.lower().endswith(".csv") or inner.startswith("._"):
                continue
            try:
                # Read at most the limit, whatever size the archive claims (zip bombs lie).
                with archive.open(info) as handle:
                    data = handle.read(MAX_ZIP_MEMBER_BYTES + 1)
            except (*_ZIP_ERRORS, zlib.error) as error:
                reason = "it is encrypted" if info.flag_bits & 0x1 else type(error).__name__
                notes.append(f"{base}: {inner} cannot be read ({reason}); skipped")
                continue
            if len(data) > MAX_ZIP_MEMBER_BYTES:
                notes.append(f"{base}: {inner} is too large; skipped")
                continue
            _add(files, notes, inner, data, known, base)


def _add(
    files: dict[str, bytes],
    notes: list[str],
    name: str,
    content: bytes,
    known: set[str],
    origin: str,
) -> None:
    lowered = name.lower()
    where = f"{origin}: " if origin else ""
    if lowered not in known:
        notes.append(f"{where}{name} is not one of the district files; ignored")
        return
    if lowered in files:
        notes.append(f"{where}{name} was given twice; the last copy is used")
    files[lowered] = content
