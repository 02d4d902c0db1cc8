"""What the dashboard pages show, computed: tables, counts, comparisons and chart data.

Pages in `pages/` only lay out; every frame they display is built here from a District, the
recommendation frame (`recommend.recommend_district`) and the progress summary. Pure functions
over frames and models, no Streamlit, so the same numbers come out of a notebook or a test.
Student names never appear unless the caller passes the real names as `labels`; pages pass
`common.student_labels()`, which holds pseudonyms in de-identified mode.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .contract import BY_NAME, FILES
from .csvsafe import to_csv_text
from .district import District
from .errors import DistrictError, Problem
from .models import FACTORS

# --------------------------------------------------------------------------- words

SERVICE_LABELS: dict[str, str] = {
    "speech_language": "Speech-language therapy",
    "occupational_therapy": "Occupational therapy",
    "physical_therapy": "Physical therapy",
    "counseling": "Counseling",
    "setss": "SETSS (special-education teacher support)",
}
MODEL_LABELS: dict[str, str] = {
    "push_in": "Push-in",
    "pull_out": "Pull-out",
    "hybrid": "Hybrid",
    "": "Not set",
}
MODELS: tuple[str, ...] = ("push_in", "hybrid", "pull_out")
PROGRESS_LABELS: dict[str, str] = {
    "change": "Change: not on track",
    "continue": "Continue: on track",
    "raise_goal": "Raise the goal: ahead",
    "insufficient_data": "Too few scores yet",
    "no_data": "No goals with scores",
    "": "No goals with scores",
}
ROLE_LABELS: dict[str, str] = {
    "slp": "Speech-language pathologist",
    "ot": "Occupational therapist",
    "pt": "Physical therapist",
    "counselor": "Counselor",
    "special_educator": "Special educator",
}
LRE_LABELS: dict[str, str] = {
    "80_or_more": "80% or more",
    "40_to_79": "40-79%",
    "under_40": "Less than 40%",
}
RATING_LABELS: dict[int, str] = {0: "0 none", 1: "1 low", 2: "2 moderate", 3: "3 high"}

# Short definitions shown wherever the word appears (the rules file's [terms] win when present).
TERMS: dict[str, str] = {
    "push_in": (
        "Push-in: the provider works with the student inside the general-education classroom, "
        "during the lesson."
    ),
    "pull_out": (
        "Pull-out: the student leaves the classroom for a therapy room or resource room for the "
        "session."
    ),
    "hybrid": (
        "Hybrid: the weekly minutes are split, part in the classroom and part in the therapy room."
    ),
    "lre": (
        "LRE (least restrictive environment): the share of the school week the student spends "
        "inside the regular class; federal reports group it as 80% or more, 40-79%, or less "
        "than 40%."
    ),
}


def label(mapping: Mapping[Any, str], value: object) -> str:
    """The plain-words label of a coded value; unknown codes are made readable, not hidden."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        value = ""
    if value in mapping:
        return mapping[value]
    return str(value).replace("_", " ").capitalize()


def model_label(value: object) -> str:
    return label(MODEL_LABELS, value)


def service_label(value: object) -> str:
    return label(SERVICE_LABELS, value)


def progress_label(value: object) -> str:
    return label(PROGRESS_LABELS, value)


def lre_label(value: object) -> str:
    """'80% or more' for the code '80_or_more'; empty stays empty."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return ""
    return label(LRE_LABELS, value)


def factor_label(key: str, rules: Any = None) -> str:
    """A factor's label from the rule set when it has one, else its key in words."""
    meta = factor_meta(rules, key)
    text = getattr(meta, "label", None) if meta is not None else None
    return str(text) if text else key.replace("_", " ").capitalize()


def factor_meta(rules: Any, key: str) -> Any:
    """The rule set's description of one factor (None when the rule set has none)."""
    if rules is None:
        return None
    factors = getattr(rules, "factors", None)
    if factors is None:
        return None
    if isinstance(factors, Mapping):
        return factors.get(key)
    for item in factors:
        if getattr(item, "key", None) == key:
            return item
    return None


def split_text(push_in: float, pull_out: float) -> str:
    """'30 min in class + 30 min in the therapy room', in the words a parent reads."""
    push_in, pull_out = _int(push_in), _int(pull_out)
    if push_in and pull_out:
        return f"{push_in} min in class + {pull_out} min out of class"
    if push_in:
        return f"{push_in} min a week in class"
    if pull_out:
        return f"{pull_out} min a week out of class"
    return "no minutes"


def _int(value: object) -> int:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0
    return 0 if math.isnan(number) else round(number)


def confidence_text(value: object) -> str:
    """Confidence as words whether the engine gives a label or a number from 0 to 1."""
    if isinstance(value, str):
        return value.replace("_", " ")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if math.isnan(number):
        return ""
    return f"{number:.0%}" if number <= 1 else f"{number:.0f}"


# --------------------------------------------------------------------------- caseload

CASELOAD_COLUMNS: tuple[str, ...] = (
    "service_id",
    "student_id",
    "student",
    "school",
    "provider",
    "service",
    "recommendation",
    "split",
    "confidence",
    "current_model",
    "differs",
    "close_call",
    "progress",
    "lre_category",
)

CLOSE_CALL_CONFIDENCE = ("close_call", "low")


def close_calls(recs: pd.DataFrame) -> pd.Series:
    """True where the recommendation is a close call: the engine's flag when it gives one,
    otherwise low confidence."""
    if recs.empty:
        return pd.Series([], dtype=bool, index=recs.index)
    if "close_call" in recs:
        return recs["close_call"].fillna(False).astype(bool)
    confidence = recs.get("confidence")
    if confidence is None:
        return pd.Series(False, index=recs.index)
    if pd.api.types.is_numeric_dtype(confidence):
        return confidence.fillna(1.0) < 0.5
    words = confidence.astype(str).str.lower().to_numpy(dtype=object)
    return pd.Series(
        np.fromiter((w in CLOSE_CALL_CONFIDENCE for w in words), dtype=bool, count=len(words)),
        index=recs.index,
    )


def differs_from_current(recs: pd.DataFrame) -> pd.Series:
    """True where the recommended model is not the service's current one (new services with no
    current model count as different: the team has a choice to make)."""
    if recs.empty:
        return pd.Series([], dtype=bool, index=recs.index)
    current = recs.get("current_model", pd.Series("", index=recs.index)).fillna("").astype(str)
    return recs["recommendation"].astype(str) != current


def caseload_table(recs: pd.DataFrame, district: District, labels: pd.Series) -> pd.DataFrame:
    """One row per service, in the caseload page's words (columns `CASELOAD_COLUMNS`).

    `labels` maps student_id to the name shown (a pseudonym in de-identified mode).
    """
    if recs.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=_CASELOAD_DTYPES.get(c, object)) for c in CASELOAD_COLUMNS}
        )
    students = district.students.set_index("student_id")
    schools = district.schools.set_index("school_id")["name"]
    providers = district.providers.set_index("provider_id")["name"]
    services = district.services.set_index("service_id")
    student_ids = recs["student_id"].astype(str)
    school_ids = student_ids.map(students["school_id"]).fillna("")
    provider_ids = recs["service_id"].map(services["provider_id"]).fillna("")
    current = recs.get("current_model", pd.Series("", index=recs.index)).fillna("")
    table = pd.DataFrame(
        {
            "service_id": recs["service_id"].astype(str).to_numpy(),
            "student_id": student_ids.to_numpy(),
            "student": student_ids.map(labels).fillna(student_ids).to_numpy(),
            "school": school_ids.map(schools).fillna(school_ids).to_numpy(),
            "provider": provider_ids.map(providers)
            .where(provider_ids != "", "(none)")
            .fillna(provider_ids)
            .to_numpy(),
            "service": recs["service"].map(service_label).to_numpy(),
            "recommendation": recs["recommendation"].map(model_label).to_numpy(),
            "split": [
                split_text(a, b)
                for a, b in zip(recs["push_in_minutes"], recs["pull_out_minutes"], strict=True)
            ],
            "confidence": recs["confidence"].map(confidence_text).to_numpy()
            if "confidence" in recs
            else "",
            "current_model": current.map(model_label).to_numpy(),
            "differs": differs_from_current(recs).to_numpy(),
            "close_call": close_calls(recs).to_numpy(),
            "progress": recs.get("progress_decision", pd.Series("", index=recs.index))
            .fillna("")
            .map(progress_label)
            .to_numpy(),
            "lre_category": recs.get("lre_category", pd.Series("", index=recs.index))
            .map(lre_label)
            .to_numpy(),
        }
    )
    return table


_CASELOAD_DTYPES = {"differs": bool, "close_call": bool}


@dataclass(frozen=True)
class CaseloadCounts:
    services: int
    students: int
    differs: int
    change_goals: int
    close_calls: int


def caseload_counts(recs: pd.DataFrame, goals: pd.DataFrame | None = None) -> CaseloadCounts:
    """The numbers at the top of the caseload page."""
    if recs.empty:
        change = 0
    elif goals is not None and not goals.empty and "decision" in goals:
        known = set(recs["service_id"].tolist())
        kept = np.fromiter(
            (sid in known for sid in goals["service_id"].tolist()), dtype=bool, count=len(goals)
        )
        change = int((goals["decision"].to_numpy(dtype=object)[kept] == "change").sum())
    else:
        change = 0
    return CaseloadCounts(
        services=len(recs),
        students=int(recs["student_id"].nunique()) if not recs.empty else 0,
        differs=int(differs_from_current(recs).sum()),
        change_goals=change,
        close_calls=int(close_calls(recs).sum()),
    )


@dataclass(frozen=True)
class CaseloadFilter:
    schools: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    recommendations: tuple[str, ...] = ()
    only_differs: bool = False
    only_close_calls: bool = False
    only_change: bool = False
    text: str = ""


def filter_caseload(table: pd.DataFrame, how: CaseloadFilter) -> pd.DataFrame:
    """The rows the filters keep (an empty choice keeps everything)."""
    keep = pd.Series(True, index=table.index)
    for column, chosen in (
        ("school", how.schools),
        ("provider", how.providers),
        ("service", how.services),
        ("recommendation", how.recommendations),
    ):
        if chosen:
            keep &= table[column].isin(chosen)
    if how.only_differs:
        keep &= table["differs"]
    if how.only_close_calls:
        keep &= table["close_call"]
    if how.only_change:
        keep &= table["progress"] == PROGRESS_LABELS["change"]
    text = how.text.strip().lower()
    if text:
        keep &= table["student"].astype(str).str.lower().str.contains(text, regex=False)
    return table[keep]


def options(table: pd.DataFrame, column: str) -> list[str]:
    """The distinct values of a table column, sorted, for a filter widget."""
    if table.empty or column not in table:
        return []
    return sorted(str(v) for v in table[column].dropna().unique())


def student_choices(
    district: District, labels: pd.Series, with_services: bool = False
) -> list[str]:
    """Student ids ordered by the label shown, for a select box (`with_services`: only the
    students who have at least one service)."""
    ids = district.students["student_id"].to_numpy(dtype=object).astype(str)
    if with_services:
        # A set, not Series.isin / np.isin: both take slow paths on these string arrays.
        known = set(district.services["student_id"].tolist())
        ids = ids[np.fromiter((i in known for i in ids), dtype=bool, count=len(ids))]
    if not len(ids):
        return []
    shown = labels.reindex(ids).to_numpy(dtype=object)
    shown = np.where(pd.isna(shown), ids, shown).astype(str)
    order = np.lexsort((ids, np.char.lower(shown)))
    return ids[order].tolist()


def student_of_service(district: District, service_id: str) -> str | None:
    rows = district.services.loc[district.services["service_id"] == service_id, "student_id"]
    return None if rows.empty else str(rows.iloc[0])


# --------------------------------------------------------------------------- provider load

LOAD_SCENARIOS: dict[str, str] = {
    "current": "Current models",
    "recommended": "Recommended models",
}
LOAD_COLUMNS: tuple[str, ...] = (
    "provider_id",
    "provider",
    "role",
    "services",
    "current",
    "recommended",
    "capacity",
    "status",
)
STATUS_LABELS: dict[str, str] = {
    "ok": "Within capacity",
    "near_capacity": "Near capacity",
    "over_capacity": "Over capacity",
    "no_capacity": "No capacity recorded",
}


def school_district(district: District, school_id: str) -> District:
    """The part of a district at one school (its students and their services and goals)."""
    students = district.students[district.students["school_id"] == school_id]
    services = district.services[district.services["student_id"].isin(students["student_id"])]
    goals = district.goals[district.goals["service_id"].isin(services["service_id"])]
    return District(
        schools=district.schools[district.schools["school_id"] == school_id],
        students=students,
        providers=district.providers,
        services=services,
        goals=goals,
        progress=district.progress[district.progress["goal_id"].isin(goals["goal_id"])],
        source=district.source,
    )


def provider_load(
    recs: pd.DataFrame, district: District, rules: Any = None, school_id: str | None = None
) -> pd.DataFrame:
    """Per provider with services: provider minutes a week under today's models and under the
    recommended ones (`staffing.provider_load`), capacity and status, in the page's words.

    Columns `LOAD_COLUMNS`. `school_id` keeps the services of one school's students.
    """
    from .staffing import provider_load as staffing_load

    if school_id:
        district = school_district(district, school_id)
    if recs.empty or district.services.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in LOAD_COLUMNS})
    push_in = pd.Series(
        recs["push_in_minutes"].to_numpy(dtype=float),
        index=recs["service_id"].to_numpy(dtype=object),
    )
    load = staffing_load(district, push_in, rules)
    load = load[load["services"] > 0]
    out = pd.DataFrame(
        {
            "provider_id": load["provider_id"].to_numpy(dtype=object),
            "provider": load["name"].astype(str).to_numpy(dtype=object),
            "role": load["role"].map(lambda r: label(ROLE_LABELS, r) if r else "").to_numpy(),
            "services": load["services"].to_numpy(),
            "current": load["provider_minutes_now"].round(0).to_numpy(dtype=float),
            "recommended": load["provider_minutes_recommended"].round(0).to_numpy(dtype=float),
            "capacity": load["weekly_capacity_minutes"].to_numpy(dtype=float),
            "status": load["status_recommended"].map(lambda v: label(STATUS_LABELS, v)).to_numpy(),
        }
    )
    return out.sort_values("provider", kind="stable").reset_index(drop=True)


def provider_load_long(load: pd.DataFrame) -> pd.DataFrame:
    """The load table in long form for a grouped bar chart: provider, scenario, minutes,
    capacity (one row per provider and scenario)."""
    if load.empty:
        return pd.DataFrame(
            {
                "provider": pd.Series(dtype=object),
                "scenario": pd.Series(dtype=object),
                "minutes": pd.Series(dtype=float),
                "capacity": pd.Series(dtype=float),
            }
        )
    long = load.melt(
        id_vars=["provider", "capacity"],
        value_vars=list(LOAD_SCENARIOS),
        var_name="scenario",
        value_name="minutes",
    )
    long["scenario"] = long["scenario"].map(LOAD_SCENARIOS)
    return long[["provider", "scenario", "minutes", "capacity"]]


def _school_of(district: District) -> pd.Series:
    return district.students.set_index("student_id")["school_id"]


# --------------------------------------------------------------------------- data page


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


# --------------------------------------------------------------------------- history


DECISION_COLUMNS: tuple[str, ...] = (
    "meeting_date",
    "service",
    "proposed",
    "decision",
    "decided",
    "rationale",
    "attendees",
    "recorded_by",
    "rules",
    "status",
)


def decisions_table(
    decisions: pd.DataFrame | Sequence[Any], services: pd.DataFrame
) -> pd.DataFrame:
    """Recorded decisions in plain words, newest first (columns `DECISION_COLUMNS`): meeting
    date, service, what the rules proposed, what the team decided, why, who attended, who
    recorded it, with which rules, and whether a later correction replaced it."""
    frame = _as_frame(decisions)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in DECISION_COLUMNS})

    def col(name: str, default: object = "") -> pd.Series:
        values = frame.get(name)
        return values if values is not None else pd.Series(default, index=frame.index)

    kinds = services.set_index("service_id")["service"]
    proposed = [
        f"{model_label(_value(m))}: {split_text(a, b)}"
        for m, a, b in zip(
            col("recommendation"),
            col("rec_push_in_minutes", 0),
            col("rec_pull_out_minutes", 0),
            strict=True,
        )
    ]
    decided = [
        f"{model_label(_value(m))}: {split_text(a, b)}"
        for m, a, b in zip(
            col("decided_model"),
            col("decided_push_in_minutes", 0),
            col("decided_pull_out_minutes", 0),
            strict=True,
        )
    ]
    attendees = col("attendees").map(
        lambda v: ", ".join(str(x) for x in v) if isinstance(v, list | tuple) else str(v or "")
    )
    rules = [
        f"{n} {v}".strip() for n, v in zip(col("rules_name"), col("rules_version"), strict=True)
    ]
    superseded = col("superseded_by", None)
    status = [
        "Current" if s is None or (isinstance(s, float) and math.isnan(s)) else "Corrected later"
        for s in superseded
    ]
    service_ids = col("service_id").astype(str)
    out = pd.DataFrame(
        {
            "meeting_date": col("meeting_date").astype(str).to_numpy(),
            "service": service_ids.map(kinds).fillna(service_ids).map(service_label).to_numpy(),
            "proposed": proposed,
            "decision": col("decision").map(lambda d: str(d).capitalize()).to_numpy(),
            "decided": decided,
            "rationale": col("rationale").fillna("").astype(str).to_numpy(),
            "attendees": attendees.to_numpy(),
            "recorded_by": col("recorded_by").fillna("").astype(str).to_numpy(),
            "rules": rules,
            "status": status,
            "_order": pd.to_numeric(col("id", 0), errors="coerce").fillna(0).to_numpy(),
        }
    )
    out = out.sort_values(["meeting_date", "_order"], ascending=False, kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def history_heading(row: Mapping[str, Any]) -> str:
    """'2026-01-10 · Speech-language therapy · Adopted' for one row of `decisions_table`."""
    return " · ".join(str(row[k]) for k in ("meeting_date", "service", "decision") if row.get(k))


def history_body(row: Mapping[str, Any]) -> str:
    """What was proposed and decided, why, and who attended, for one recorded decision."""
    lines = [f"Rules proposed {row['proposed']}. Team decided {row['decided']}."]
    why = str(row.get("rationale", "")).strip()
    if why:
        lines.append(f"Why: {why}" + ("" if why.endswith((".", "!", "?")) else "."))
    if str(row.get("attendees", "")).strip():
        lines.append(f"Attended: {row['attendees']}.")
    return " ".join(lines)


def history_footer(row: Mapping[str, Any]) -> str:
    parts = [f"Recorded by {row['recorded_by']}", f"rules: {row['rules']}"]
    if row.get("status") and row["status"] != "Current":
        parts.append(str(row["status"]).lower())
    return " · ".join(parts)


def _value(value: object) -> object:
    """An enum member's value, anything else unchanged."""
    return getattr(value, "value", value)


def _as_frame(rows: pd.DataFrame | Sequence[Any]) -> pd.DataFrame:
    if isinstance(rows, pd.DataFrame):
        return rows
    records = []
    for row in rows:
        if isinstance(row, Mapping):
            records.append(dict(row))
        elif hasattr(row, "model_dump"):
            record = row.model_dump()
            if hasattr(row, "superseded_by"):
                record["superseded_by"] = row.superseded_by
            records.append(record)
        else:
            records.append({k: getattr(row, k) for k in row.__dataclass_fields__})
    return pd.DataFrame(records)


AUDIT_ACTIONS: dict[str, str] = {
    "import_replace": "Replaced the district",
    "import_merge": "Added to the district",
    "record_decision": "Recorded a decision",
}


def audit_table(log: pd.DataFrame) -> pd.DataFrame:
    """The store's audit log in plain words: when (UTC, to the minute), who, what, details."""
    if log.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("when", "who", "what", "details")}
        )
    when = pd.to_datetime(log["when"], utc=True).dt.strftime("%Y-%m-%d %H:%M UTC")
    return pd.DataFrame(
        {
            "when": when.to_numpy(),
            "who": log["who"].astype(str).to_numpy(),
            "what": log["action"].map(lambda a: label(AUDIT_ACTIONS, a)).to_numpy(),
            "details": log["details"].astype(str).to_numpy(),
        }
    )


# --------------------------------------------------------------------------- one recommendation


def source_list(sources: Iterable[str]) -> str:
    """Source titles as one line: 'Sources: A; B'."""
    titles = [str(s) for s in sources if str(s).strip()]
    return ("Source: " if len(titles) == 1 else "Sources: ") + "; ".join(titles) if titles else ""


def reasons(rec: Any) -> list[Any]:
    """The factor contributions that are reasons for this recommendation, strongest first."""
    return [c for c in rec.contributions if c.counts]


def headline(rec: Any) -> str:
    """'Hybrid: 30 min in class + 30 min out of class'."""
    return f"{model_label(_value(rec.recommendation))}: " + split_text(
        rec.split.push_in_minutes, rec.split.pull_out_minutes
    )


CONFIDENCE_LABELS: dict[str, str] = {
    "clear": "Clear",
    "leaning": "Leaning",
    "close_call": "Close call",
}


def current_text(service: Any) -> str:
    """What a service is today, in words: 'Hybrid (30 min in class + 30 min out of class)'."""
    if service.current_model is None:
        return "Not set (a new service)"
    push_in = service.current_push_in
    return (
        f"{model_label(_value(service.current_model))} "
        f"({split_text(push_in, service.minutes_per_week - push_in)})"
    )


def confidence_label(value: object) -> str:
    return label(CONFIDENCE_LABELS, value)


# --------------------------------------------------------------------------- what-if


def service_with(base: Any, **changes: Any) -> Any:
    """A copy of a `models.Service` with some fields changed, validated again (a session
    longer than the week's minutes raises ValueError like any other bad service)."""
    from .models import Service

    data = base.model_dump()
    data.update(changes)
    minutes = int(data["minutes_per_week"])
    data["session_minutes"] = min(int(data["session_minutes"]), minutes)
    current = data.get("current_push_in_minutes")
    if current is not None:
        data["current_push_in_minutes"] = min(int(current), minutes)
    return Service(**data)


def blank_service() -> Any:
    """A new service with every rating at 0, to explore the rules from nothing."""
    from .models import Service

    return Service(
        service_id="new-service",
        student_id="new-student",
        service="speech_language",
        minutes_per_week=60,
        session_minutes=30,
    )


def vignette_services(vignette: Any) -> list[Any]:
    """A trainer vignette's services as `models.Service` (ids built from the vignette key)."""
    from .models import Service

    out = []
    for index, item in enumerate(vignette.services, start=1):
        out.append(
            Service(
                service_id=f"case-{vignette.key}-{index}",
                student_id=f"case-{vignette.key}",
                service=item.service,
                minutes_per_week=item.minutes_per_week,
                session_minutes=item.session_minutes,
                group_size=item.group_size,
                current_model=item.current_model or None,
                current_push_in_minutes=item.current_push_in_minutes,
                **item.ratings,
            )
        )
    return out


_SOURCE_NUMBERS = {
    "000": "Push-In Support vs Inclusion Classroom in Education",
    "001": "Push-in vs. Pull-out Services",
    "002": 'Why "Pushing In" Benefits All Learners',
    "003": "What is Push-in vs Pull-out Therapy?",
}


def cite_titles(text: str) -> str:
    """Replace '(source 003)' shorthand in a vignette's situation with the source's title."""
    import re

    def title(match: re.Match[str]) -> str:
        found = _SOURCE_NUMBERS.get(match.group(1))
        return f"({found})" if found else match.group(0)

    return re.sub(r"\(source (\d{3})\)", title, text)


def vignette_title(vignette: Any, deidentified: bool) -> str:
    """'Case A: Theo Brennan, grade 2' (the name left out in de-identified mode)."""
    case = f"Case {vignette.key.upper()}"
    if deidentified:
        return f"{case}, grade {vignette.grade}"
    return f"{case}: {vignette.name}, grade {vignette.grade}"


def changed_reasons(before: Any, after: Any) -> list[str]:
    """What changed between two recommendations of the same service, in sentences: the
    model and split, then each factor whose rating or role as a reason changed."""
    lines: list[str] = []
    if (before.recommendation, before.split.pull_out_minutes) != (
        after.recommendation,
        after.split.pull_out_minutes,
    ):
        lines.append(f"Recommendation: {headline(before)} → {headline(after)}.")
    old = {c.key: c for c in before.contributions}
    for c in after.contributions:
        was = old.get(c.key)
        if was is None:
            continue
        if was.rating != c.rating:
            note = ""
            if c.counts and not was.counts:
                note = "; now a reason"
            elif was.counts and not c.counts:
                note = "; no longer a reason"
            lines.append(f"{cap(c.label)}: rated {was.rating} → {c.rating}{note}.")
        elif was.counts != c.counts:
            state = "now a reason" if c.counts else "no longer a reason"
            lines.append(f"{cap(c.label)}: {state}.")
        elif abs(was.points - c.points) > 1e-9:
            lines.append(f"{cap(c.label)}: weight changed ({was.points:g} → {c.points:g} points).")
    if before.progress_used != after.progress_used:
        lines.append(
            "Progress data: " + ("now counted." if after.progress_used else "no longer counted.")
        )
    return lines


def provider_minutes(service: Any, push_in: int, pull_out: int, rules: Any = None) -> float:
    """Weekly provider minutes one service takes under a split: push-in minutes are spent in
    the student's own class; pull-out minutes are shared by the group."""
    divide = True
    if rules is not None and getattr(rules, "staffing", None) is not None:
        divide = bool(getattr(rules.staffing, "pull_out_divide_by_group_size", True))
    group = max(1, int(service.group_size)) if divide else 1
    return float(push_in) + float(pull_out) / group


# --------------------------------------------------------------------------- trainer map

SHORT_MODEL: dict[str, str] = {"push_in": "IN", "hybrid": "SPLIT", "pull_out": "OUT"}


def decision_map(service: Any, rules: Any, x_factor: str, y_factor: str) -> pd.DataFrame:
    """The recommendation for every pair of ratings (0-3) of two factors, the service's other
    ratings held fixed: 16 services scored in one batch by the engine.

    Columns x, y (ratings), model (code), recommendation (label), split (text), short (cell
    text), current (True where the pair is the service's own ratings).
    """
    from .engine import score_frame, service_frame

    if x_factor == y_factor:
        raise ValueError("pick two different factors")
    base = service_frame(service)
    grid = base.loc[base.index.repeat(16)].reset_index(drop=True)
    xs = np.tile(np.arange(4), 4)
    ys = np.repeat(np.arange(4), 4)
    grid[x_factor] = xs
    grid[y_factor] = ys
    grid["service_id"] = [f"cell-{x}-{y}" for x, y in zip(xs, ys, strict=True)]
    scored = score_frame(grid, rules)
    own_x, own_y = int(getattr(service, x_factor)), int(getattr(service, y_factor))
    model = scored["recommendation"].astype(str)
    return pd.DataFrame(
        {
            "x": xs,
            "y": ys,
            "model": model.to_numpy(),
            "recommendation": model.map(model_label).to_numpy(),
            "split": [
                split_text(a, b)
                for a, b in zip(scored["push_in_minutes"], scored["pull_out_minutes"], strict=True)
            ],
            "short": model.map(SHORT_MODEL).to_numpy(),
            "current": (xs == own_x) & (ys == own_y),
        }
    )


# --------------------------------------------------------------------------- factor tables

SIDE_LABELS: dict[str, str] = {
    "pull_out": "Toward a separate room",
    "push_in": "Toward the classroom",
    "implementation": "School logistics (never changes the recommendation)",
}


def cap(text: str) -> str:
    """First letter upper case ('intensity of instruction' -> 'Intensity of instruction')."""
    return text[:1].upper() + text[1:] if text else text


def term_lines(rules: Any = None) -> list[str]:
    """'Push-in: ...' definitions, the rule set's words where it has them, and LRE."""
    lines = []
    terms = getattr(rules, "terms", None) or {}
    for key in ("push_in", "pull_out", "hybrid"):
        term = terms.get(key) if isinstance(terms, Mapping) else None
        if term is not None:
            lines.append(f"{cap(term.label)}: {term.definition}")
        else:
            lines.append(TERMS[key])
    lines.append(TERMS["lre"])
    return lines


def ratings_table(service: Any, rules: Any) -> pd.DataFrame:
    """The service's ratings in words: factor, which way it pulls, rating, what it means."""
    rows = []
    for factor in rules.factors:
        rating = int(getattr(service, factor.key))
        rows.append(
            {
                "factor": cap(factor.label),
                "pulls": SIDE_LABELS.get(factor.direction, factor.direction),
                "rating": rating,
                "meaning": factor.meanings[rating],
            }
        )
    return pd.DataFrame(rows, columns=["factor", "pulls", "rating", "meaning"])


# --------------------------------------------------------------------------- one student


def student_services(district: District, student_id: str) -> pd.DataFrame:
    """The student's rows of the services frame, in the district's order."""
    return district.services[district.services["student_id"] == student_id]


def student_recommendations(
    district: District, rules: Any, goals: pd.DataFrame | None, student_id: str
) -> list[Any]:
    """The full recommendation (reasons, tipping points, evidence) for each of the student's
    services, through the same engine and progress evidence as the district batch."""
    from .engine import progress_evidence, recommend

    services = student_services(district, student_id)
    if services.empty:
        return []
    evidence = progress_evidence(services, goals, rules)
    return [recommend(district.service(sid), rules, evidence) for sid in services["service_id"]]


@dataclass(frozen=True)
class GoalView:
    """One goal of a service with its scores and analysis, ready for the progress graph.

    `title` is short ("Goal 1: percent accuracy") so it fits a narrow chart; `description` is
    the goal's own text, empty in de-identified mode (free text may name the student).
    """

    goal: Any
    points: list[Any]
    analysis: Any
    title: str
    description: str


def goal_views(
    district: District, service_id: str, settings: Any = None, deidentified: bool = False
) -> list[GoalView]:
    """Each goal of a service with its scores and analysis."""
    from .progress import analyse_goal

    out = []
    for number, goal in enumerate(district.goals_of(service_id), start=1):
        points = district.progress_of(goal.goal_id)
        analysis = analyse_goal(goal, points, settings)
        title = f"Goal {number}: {goal.measure or 'score'}"
        description = "" if deidentified else goal.description
        out.append(GoalView(goal, points, analysis, title, description))
    return out


def lre_summary(recs: pd.DataFrame, student_id: str) -> dict[str, Any] | None:
    """The student's LRE percentage and category today and if the recommendations are
    adopted, read from the district's recommendation frame (None without services)."""
    rows = recs[recs["student_id"] == student_id]
    if rows.empty:
        return None
    first = rows.iloc[0]

    def get(name: str) -> Any:
        return first[name] if name in rows.columns else None

    return {
        "now": get("lre_percent_now"),
        "now_category": lre_label(get("lre_category_now")),
        "adopted": get("lre_percent_inside"),
        "adopted_category": lre_label(get("lre_category")),
    }


def percent_change(before: object, after: object) -> str | None:
    """'+2.1 points' between two percentages; None when there is no change to show."""
    try:
        difference = float(after) - float(before)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(difference) or abs(difference) < 0.05:
        return None
    return f"{difference:+.1f} points"


def percent_text(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(number) else f"{number:.1f}%"


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class ScenarioResult:
    """One what-if scenario scored: the service as edited, its recommendation, and what that
    means for the student's week and the provider's."""

    name: str
    service: Any
    rec: Any
    lre_percent: float
    lre_category: str
    provider_minutes: float


def lre_category_of(percent: float, rules: Any = None) -> str:
    """The federal category of a percentage inside the regular class, in words."""
    from .lre import lre_category

    if math.isnan(percent):
        return ""
    # An array of one: lre_category's scalar path does not return a plain str everywhere.
    return lre_label(str(lre_category(np.array([percent]), rules)[0]))


def score_scenario(
    name: str,
    service: Any,
    rules: Any,
    *,
    evidence: pd.DataFrame | None = None,
    week_minutes: int = 365 * 5,
    other_outside_minutes: float = 0.0,
) -> ScenarioResult:
    """Score one scenario. The LRE percentage counts this service's pull-out minutes plus
    `other_outside_minutes` (the student's other services, as recommended) against the
    school week."""
    from .engine import recommend

    rec = recommend(service, rules, evidence)
    from .lre import percent_inside

    outside = other_outside_minutes + rec.split.pull_out_minutes
    percent = percent_inside(week_minutes, outside) if week_minutes else math.nan
    return ScenarioResult(
        name=name,
        service=service,
        rec=rec,
        lre_percent=percent,
        lre_category=lre_category_of(percent, rules),
        provider_minutes=provider_minutes(
            service, rec.split.push_in_minutes, rec.split.pull_out_minutes, rules
        ),
    )


def compare_scenarios(results: Sequence[ScenarioResult]) -> pd.DataFrame:
    """Scenarios side by side: one column per scenario, one row per thing that matters, and a
    last row listing what changed from the first scenario."""
    if not results:
        return pd.DataFrame()
    first = results[0]
    rows: dict[str, list[str]] = {
        "Recommendation": [],
        "Minutes a week": [],
        "Confidence": [],
        "Points (out of class / in class)": [],
        "Main reasons": [],
        "Time in regular class (LRE)": [],
        "Provider minutes a week": [],
        "Changed from the first": [],
    }
    for result in results:
        rec = result.rec
        rows["Recommendation"].append(model_label(_value(rec.recommendation)))
        rows["Minutes a week"].append(
            split_text(rec.split.push_in_minutes, rec.split.pull_out_minutes)
        )
        rows["Confidence"].append(confidence_label(rec.confidence))
        rows["Points (out of class / in class)"].append(
            f"{rec.pull_out_points:g} / {rec.push_in_points:g}"
        )
        rows["Main reasons"].append(", ".join(cap(c.label) for c in reasons(rec)[:3]) or "none")
        rows["Time in regular class (LRE)"].append(
            f"{percent_text(result.lre_percent)} ({result.lre_category})"
        )
        rows["Provider minutes a week"].append(f"{result.provider_minutes:,.0f}")
        changed = changed_reasons(first.rec, rec) if result is not first else []
        rows["Changed from the first"].append(
            "\n".join(changed) if changed else ("(the first)" if result is first else "nothing")
        )
    frame = pd.DataFrame(rows, index=[r.name for r in results]).T
    frame.index.name = ""
    return frame


def other_outside_minutes(recs: pd.DataFrame, student_id: str, service_id: str) -> float:
    """Minutes outside the regular class from the student's other services, as recommended."""
    rows = recs[(recs["student_id"] == student_id) & (recs["service_id"] != service_id)]
    return float(rows["pull_out_minutes"].sum()) if not rows.empty else 0.0


def week_minutes_of(district: District, student_id: str) -> int:
    week = district.school_week_minutes()
    return int(week.get(student_id, 365 * 5))


# --------------------------------------------------------------------------- school what-if


@dataclass(frozen=True)
class SchoolAdoption:
    """What adopting every recommendation at one school changes."""

    services: int
    services_changing: int
    students: int
    students_changing_category: int
    categories: pd.DataFrame  # category, scenario ("Now" / "If adopted"), students
    load: pd.DataFrame  # views.provider_load for the school's services
    minutes_now: float
    minutes_adopted: float


def school_adoption(
    recs: pd.DataFrame, district: District, school_id: str, rules: Any = None
) -> SchoolAdoption:
    """Adopt every recommendation at a school: LRE categories before and after (one row per
    student) and provider minutes under today's and the recommended models."""
    school = recs["student_id"].map(_school_of(district))
    rows = recs[school == school_id]
    per_student = rows.drop_duplicates("student_id")
    now = per_student.get("lre_category_now", pd.Series("", index=per_student.index))
    after = per_student.get("lre_category", pd.Series("", index=per_student.index))
    counts = []
    for scenario, values in (("Now", now), ("If adopted", after)):
        tally = values.fillna("").astype(str).value_counts()
        for code, words in LRE_LABELS.items():
            counts.append(
                {"category": words, "scenario": scenario, "students": int(tally.get(code, 0))}
            )
    load = provider_load(rows, district, rules, school_id)
    return SchoolAdoption(
        services=len(rows),
        services_changing=int(differs_from_current(rows).sum()) if not rows.empty else 0,
        students=len(per_student),
        students_changing_category=int((now.fillna("") != after.fillna("")).sum()),
        categories=pd.DataFrame(counts, columns=["category", "scenario", "students"]),
        load=load,
        minutes_now=float(load["current"].sum()) if not load.empty else 0.0,
        minutes_adopted=float(load["recommended"].sum()) if not load.empty else 0.0,
    )


def school_choices(district: District) -> list[tuple[str, str]]:
    """(school_id, name) of the schools that have students, by name."""
    used = set(district.students["school_id"])
    schools = district.schools[district.schools["school_id"].isin(used)]
    return sorted(zip(schools["school_id"], schools["name"], strict=True), key=lambda p: p[1])


def redact(text: str, name: str, replacement: str) -> str:
    """Free text with a student's name (whole, and each part of two letters or more) replaced,
    for de-identified displays of rationales and descriptions."""
    import re

    parts = [name.strip()] + [p for p in re.split(r"\W+", name) if len(p) >= 2]
    for part in sorted(set(parts), key=len, reverse=True):
        if part:
            text = re.sub(rf"(?i)\b{re.escape(part)}\b", replacement, text)
    return text


# --------------------------------------------------------------------------- meeting


def parse_attendees(text: str) -> list[str]:
    """Names typed one per line (or separated by commas or semicolons), blanks dropped."""
    import re

    return [part.strip() for part in re.split(r"[\n;,]+", text or "") if part.strip()]


def override_models(recommended: object) -> list[str]:
    """The models a team can choose when it overrides: every model but the recommended one,
    except a hybrid, which the team may keep with a different split."""
    code = str(_value(recommended))
    return [m for m in MODELS if m != code or m == "hybrid"]


def decided_split(model: str, minutes: int, push_in: int | None = None) -> tuple[int, int]:
    """(minutes in class, minutes out of class) for a model the team chose; a hybrid needs
    its minutes in class, kept strictly between 0 and the week's minutes."""
    if model == "push_in":
        return minutes, 0
    if model == "pull_out":
        return 0, minutes
    inside = int(push_in if push_in is not None else minutes // 2)
    inside = min(max(inside, 1), minutes - 1)
    return inside, minutes - inside


def decision_fields(
    rec: Any,
    *,
    decision: str,
    attendees: list[str],
    meeting_date: Any,
    recorded_by: str,
    model: str | None = None,
    push_in: int | None = None,
    rationale: str = "",
    supersedes: int | None = None,
) -> dict[str, Any]:
    """The fields of `store.DecisionInput` for one service's decision at a meeting. An adopted
    decision takes the recommendation's model and split; an override the team's."""
    fields: dict[str, Any] = {
        "student_id": rec.student_id,
        "service_id": rec.service_id,
        "recommendation": _value(rec.recommendation),
        "rec_push_in_minutes": rec.split.push_in_minutes,
        "rec_pull_out_minutes": rec.split.pull_out_minutes,
        "explanation": rec.model_dump(mode="json"),
        "decision": decision,
        "rationale": rationale.strip(),
        "attendees": attendees,
        "meeting_date": meeting_date,
        "recorded_by": recorded_by,
        "rules_name": rec.rules_name,
        "rules_version": rec.rules_version,
        "rules_hash": rec.rules_hash,
        "supersedes": supersedes,
    }
    if decision == "overridden":
        chosen = model or _value(rec.recommendation)
        inside, outside = decided_split(str(chosen), rec.minutes_per_week, push_in)
        fields.update(
            decided_model=chosen,
            decided_push_in_minutes=inside,
            decided_pull_out_minutes=outside,
        )
    return fields


def latest_decisions(decisions: Sequence[Any]) -> dict[str, Any]:
    """The current (not corrected) decision per service_id, newest first wins."""
    out: dict[str, Any] = {}
    for record in decisions:
        if getattr(record, "superseded_by", None) is None and record.service_id not in out:
            out[record.service_id] = record
    return out


WORKING: dict[str, str] = {
    "change": "Not yet: scores are below the goal line, so the plan should change.",
    "continue": "Yes: progress is on track for the goal.",
    "raise_goal": "Yes: progress is ahead of the goal line; the goal could be raised.",
    "insufficient_data": "Too early to tell: not enough scores yet.",
    "no_data": "No progress data for this service yet.",
}


def model_working(decision: object) -> str:
    """The answer to "is today's model working?" from a service's progress decision (the
    most urgent among its goals)."""
    return WORKING.get(str(_value(decision) or "no_data"), progress_label(decision) + ".")


def plain_progress(analysis: Any) -> str:
    """One sentence a parent can follow about a goal's progress."""
    words = {
        "change": "Progress is slower than the goal needs, so the plan should change.",
        "continue": "Progress is on track for the goal.",
        "raise_goal": "Progress is ahead of the goal; the team may raise it.",
        "insufficient_data": "There are not enough scores yet to judge progress.",
    }
    sentence = words.get(analysis.decision, progress_label(analysis.decision) + ".")
    likelihood = str(getattr(analysis, "likelihood_text", "") or "")
    if likelihood and "not enough" not in likelihood.lower():
        sentence += f" Likelihood of meeting the goal by the target date: {likelihood}."
    return sentence


def deidentify_history(table: pd.DataFrame, name: str, shown_as: str) -> pd.DataFrame:
    """A decisions table for a de-identified display: the student's name scrubbed from the
    rationales, and attendee names (family members share the student's name) hidden."""
    if table.empty:
        return table
    out = table.copy()
    out["rationale"] = out["rationale"].map(lambda text: redact(str(text), name, shown_as))
    out["attendees"] = out["attendees"].map(
        lambda text: f"{len(parse_attendees(text))} people (names hidden)" if text else ""
    )
    return out


def meeting_student(
    district: District, recs: pd.DataFrame, student_id: str, shown_as: str
) -> dict[str, Any]:
    """The `report` module's student mapping for the meeting summary."""
    student = district.student(student_id)
    schools = district.schools.set_index("school_id")["name"]
    lre = lre_summary(recs, student_id) or {}
    return {
        "student_id": student.student_id,
        "name": student.name,
        "grade": student.grade,
        "school": str(schools.get(student.school_id, student.school_id)),
        "classroom": student.classroom,
        "pseudonym": shown_as,
        "lre_percent": lre.get("adopted"),
        "lre_category": lre.get("adopted_category", ""),
    }
