"""Folder of CSV files -> a typed District, or one DistrictError listing every problem.

Validation runs column by column over arrays (a district can have 100,000 services); each
problem names the file, the row as a spreadsheet shows it (the header is row 1), the column,
the bad value and what was expected.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pushin_rules.data.contract import (
    FILES,
    GOALS,
    OPTIONAL_COLUMNS,
    PROGRESS,
    PROVIDERS,
    SERVICE_LOG,
    SERVICES,
    Column,
    FileSpec,
)
from pushin_rules.data.district import District, empty_frame
from pushin_rules.errors import DistrictError, Problem
from pushin_rules.models import (
    DEFAULT_DAYS_PER_WEEK,
    DEFAULT_MINUTES_PER_DAY,
    FACTORS,
    NEED_FACTORS,
)

# ASCII digits only: `\d` would also admit other scripts' digits, which pandas cannot convert.
_INT_TEXT = r"^[+-]?[0-9]+(?:\.0*)?$"  # spreadsheets often export whole numbers as "3.0"
# YYYY-MM-DD, optionally followed by the time of day a spreadsheet adds to a date cell (and a
# UTC offset); the date is taken as written.
_DATE_TEXT = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)


def load_district(path: str | os.PathLike[str]) -> District:
    """Read and validate a district folder. Raises DistrictError with every problem found."""
    folder = Path(path)
    if not folder.is_dir():
        raise DistrictError(
            [
                Problem(
                    str(folder),
                    None,
                    None,
                    None,
                    "no such folder (a district is a folder of CSV files)",
                )
            ]
        )
    texts: dict[str, bytes] = {}
    for spec in FILES:
        file = folder / spec.name
        if file.is_file():
            texts[spec.name] = file.read_bytes()
    return parse_district(texts, source=str(folder))


def parse_district(files: Mapping[str, bytes | str], source: str = "") -> District:
    """Validate a district given as {file name: content}; used for folders and uploads alike."""
    problems: list[Problem] = []
    notes: list[str] = []
    frames: dict[str, pd.DataFrame] = {}
    unknown = sorted(set(files) - {spec.name for spec in FILES})
    for name in unknown:
        notes.append(f"{name}: not part of a district; ignored")
    for spec in FILES:
        content = files.get(spec.name)
        if content is None:
            if spec.required:
                problems.append(Problem(spec.name, None, None, None, "file is missing (required)"))
            continue
        frame = _read(spec, content, problems, notes)
        if frame is not None:
            frames[spec.name] = frame

    # Optional files that are absent are built from what refers to them.
    if "schools.csv" not in frames:
        frames["schools.csv"] = _schools_from_students(frames.get("students.csv"))
        if "schools.csv" not in files:
            notes.append(
                "schools.csv: absent; every school uses "
                f"{DEFAULT_MINUTES_PER_DAY} minutes x {DEFAULT_DAYS_PER_WEEK} days a week"
            )
    providers_given = "providers.csv" in files
    for spec, name in (
        (PROVIDERS, "providers.csv"),
        (GOALS, "goals.csv"),
        (PROGRESS, "progress.csv"),
        (SERVICE_LOG, "service_log.csv"),
    ):
        if name not in frames:
            frames[name] = _empty_raw(spec)

    # Cross-checks run even when cells were bad, so one pass reports everything; rows whose
    # own cells failed are left out of the service arithmetic to avoid knock-on complaints.
    unreadable = {spec.name for spec in FILES if spec.name in files and spec.name not in frames}
    _check_keys_and_references(frames, problems, providers_given, unreadable)
    if "services.csv" in frames:
        bad_rows = {p.row for p in problems if p.file == SERVICES.name}
        _check_services(frames["services.csv"], problems, bad_rows)
        _check_need_ratings(frames["services.csv"], problems, bad_rows)
    _check_service_log(frames["service_log.csv"], problems)
    if problems:
        raise DistrictError(problems, source)

    services = frames["services.csv"]
    services = _derive_current_push_in(services)
    services = _mark_rated(services)
    if not providers_given:
        frames["providers.csv"] = _providers_from_services(services)
        if (services["provider_id"] != "").any():
            notes.append("providers.csv: absent; providers listed without names or capacity")
    derived = tuple(name for name in ("schools.csv", "providers.csv") if name not in files)
    progress = frames["progress.csv"].sort_values(["goal_id", "date"], kind="stable")
    service_log = frames["service_log.csv"].sort_values(
        ["service_id", "date", "setting"], kind="stable"
    )
    return District(
        schools=frames["schools.csv"].reset_index(drop=True),
        students=frames["students.csv"].reset_index(drop=True),
        providers=frames["providers.csv"].reset_index(drop=True),
        services=services.reset_index(drop=True),
        goals=frames["goals.csv"].reset_index(drop=True),
        progress=progress.reset_index(drop=True),
        service_log=service_log.reset_index(drop=True),
        source=source,
        notes=tuple(notes),
        derived=derived,
    )


def _read(
    spec: FileSpec, content: bytes | str, problems: list[Problem], notes: list[str]
) -> pd.DataFrame | None:
    if isinstance(content, bytes | bytearray | memoryview):
        try:
            text = bytes(content).decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(
                Problem(
                    spec.name,
                    None,
                    None,
                    None,
                    f"is not UTF-8 text (byte {error.start}); save it as 'CSV UTF-8' and try again",
                )
            )
            return None
    elif isinstance(content, str):
        text = content
    else:
        problems.append(Problem(spec.name, None, None, None, "is not the content of a file"))
        return None
    text = text.lstrip("\ufeff")  # byte-order marks, even one saved twice
    if "\x00" in text:
        problems.append(
            Problem(spec.name, None, None, None, "contains NUL bytes; is it really a CSV file?")
        )
        return None
    if not text.strip():
        problems.append(
            Problem(spec.name, None, None, None, "is empty; it needs at least a header row")
        )
        return None
    try:
        # The header is read as a row: pandas would rename a repeated name ("name.1") and
        # quietly turn the first column into an index when every row has one cell too many.
        # This way a row longer than the header is an error, and a shorter one has empty cells.
        grid = pd.read_csv(
            io.StringIO(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=True,
            engine="c",
        )
    except (pd.errors.ParserError, csv.Error, ValueError, OverflowError) as error:
        problems.append(
            Problem(spec.name, None, None, None, f"cannot be read as CSV ({_first_line(error)})")
        )
        return None

    header = [str(c).strip() for c in grid.iloc[0]]
    raw = grid.iloc[1:].reset_index(drop=True)
    named = [c for c in header if c]  # spreadsheets export empty trailing columns unnamed
    seen: set[str] = set()
    repeated = False
    for name in named:
        if name in seen:
            problems.append(
                Problem(spec.name, 1, _shown(name), None, "column appears twice in the header")
            )
            repeated = True
        seen.add(name)
    if repeated:
        return None
    raw.columns = header
    optional = OPTIONAL_COLUMNS.get(spec.name, ())
    known = spec.column_names + tuple(c.name for c in optional)
    ignored = [c for c in named if c not in known]
    if ignored:
        notes.append(
            f"{spec.name}: extra column{'s' if len(ignored) > 1 else ''} ignored: "
            + ", ".join(_shown(c if len(c) <= 40 else c[:37] + "...") for c in ignored)
        )
    missing_required = [c.name for c in spec.columns if c.required and c.name not in header]
    for name in missing_required:
        problems.append(
            Problem(spec.name, 1, name, None, "required column is missing from the header")
        )
    if missing_required:
        return None

    rows = np.arange(len(raw)) + 2  # the header is spreadsheet row 1
    out: dict[str, pd.Series] = {}
    # Optional columns join the frame only when the file has them (an older file's frame keeps
    # exactly the contract's columns).
    present = tuple(c for c in optional if c.name in raw.columns)
    for column in (*spec.columns, *present):
        if column.name in raw.columns:
            values = raw[column.name].astype(str).str.strip()
        else:
            values = pd.Series([""] * len(raw), dtype=object)
        out[column.name] = _convert(
            spec.name, column, values.reset_index(drop=True), rows, problems
        )
    return pd.DataFrame(out)


def _shown(name: str) -> str:
    """A header name as written, but with control characters as escapes: messages go to a
    terminal, where an escape sequence in a crafted file could otherwise act."""
    return name if name.isprintable() else repr(name)[1:-1]


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _report(
    problems: list[Problem],
    file: str,
    column: Column,
    rows: np.ndarray,
    values: pd.Series,
    bad: np.ndarray,
    expected: str | None = None,
) -> None:
    for index in np.flatnonzero(bad):
        problems.append(
            Problem(
                file,
                int(rows[index]),
                column.name,
                str(values.iat[index]),
                expected or column.expected(),
            )
        )


def _convert(
    file: str, column: Column, values: pd.Series, rows: np.ndarray, problems: list[Problem]
) -> pd.Series:
    empty = (values == "").to_numpy()
    if column.required:
        for index in np.flatnonzero(empty):
            problems.append(
                Problem(
                    file,
                    int(rows[index]),
                    column.name,
                    None,
                    f"a value is required ({column.expected()})",
                )
            )

    if column.kind in ("id", "text"):
        if column.kind == "id":
            too_long = (values.str.len() > 64).to_numpy()
            _report(
                problems,
                file,
                column,
                rows,
                values,
                too_long,
                "an identifier of at most 64 characters",
            )
        return values.where(~empty, column.default if column.default is not None else "").astype(
            object
        )

    if column.kind == "choice":
        normal = values.str.lower()
        if column.name == "grade":
            normal = values.str.upper().str.lstrip("0").replace("", "0")
            normal = normal.where(~empty, "")
        bad = ~empty & ~normal.isin(column.choices).to_numpy()
        _report(problems, file, column, rows, values, bad)
        filled = normal.where(~empty, column.default if column.default is not None else "")
        return filled.astype(object)

    if column.kind == "int":
        shaped = values.str.fullmatch(_INT_TEXT).to_numpy(dtype=bool)
        numbers = _numbers(values, shaped & ~empty)
        shaped = shaped & ~np.isnan(numbers)
        bad_shape = ~empty & ~shaped
        in_range = np.ones(len(values), dtype=bool)
        if column.low is not None:
            in_range &= ~(numbers < column.low)
        if column.high is not None:
            in_range &= ~(numbers > column.high)
        _report(problems, file, column, rows, values, bad_shape | (~empty & shaped & ~in_range))
        default = -1 if column.default is None else column.default
        filled = np.where(
            empty | bad_shape | ~in_range, default, np.nan_to_num(numbers, nan=default)
        )
        dtype = "int8" if column.name in FACTORS else "int64"
        return pd.Series(filled.astype(dtype))

    if column.kind == "float":
        numbers = _numbers(values, ~empty)
        bad = ~empty & ~np.isfinite(numbers)
        _report(problems, file, column, rows, values, bad)
        return pd.Series(numbers, dtype="float64")

    # date
    # Fast path: plain YYYY-MM-DD cells (nearly all of them) parse in one vectorised call; only
    # the rest go through the slower pattern that also accepts a time of day.
    plain = values.str.len().to_numpy() == 10
    dates = pd.to_datetime(values.where(plain & ~empty, None), format="%Y-%m-%d", errors="coerce")
    retry = ~empty & dates.isna().to_numpy()
    if retry.any():
        day = values[retry].str.extract(_DATE_TEXT, expand=False).astype(object)
        day = day.where(day.notna(), None)
        again = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce").reindex(values.index)
        dates = dates.where(~retry, again)
    plausible = dates.dt.year.between(1990, 2100).fillna(False).to_numpy(dtype=bool)
    bad = ~empty & ~plausible
    _report(problems, file, column, rows, values, bad)
    # Out-of-range years were reported; blank them before the nanosecond cast would overflow.
    dates = dates.where(plausible)
    return pd.Series(dates.astype("datetime64[ns]"))


def _numbers(values: pd.Series, usable: np.ndarray) -> np.ndarray:
    """The cells as float64, NaN where not `usable` or not a number: what
    `pd.to_numeric(values.where(usable, None), errors="coerce")` gives. Arrow parses the
    whole column in one call (a tenth of pandas' time on a progress file); a column holding a
    cell Arrow refuses goes through pandas, so odd cells read exactly as before."""
    try:
        text = pa.array(values, from_pandas=True)
        if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
            raise TypeError(text.type)
        masked = pc.if_else(pa.array(usable, type=pa.bool_()), text, pa.scalar(None, text.type))
        return np.asarray(pc.cast(masked, pa.float64()).to_numpy(zero_copy_only=False), float)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return pd.to_numeric(values.where(usable, None), errors="coerce").to_numpy(dtype=float)


def _empty_raw(spec: FileSpec) -> pd.DataFrame:
    return empty_frame(spec.name.removesuffix(".csv"))


def _schools_from_students(students: pd.DataFrame | None) -> pd.DataFrame:
    ids = [] if students is None else sorted(set(students["school_id"]) - {""})
    frame = empty_frame("schools")
    if not ids:
        return frame
    return pd.DataFrame(
        {
            "school_id": pd.Series(ids, dtype=object),
            "name": pd.Series(ids, dtype=object),
            "minutes_per_day": np.full(len(ids), DEFAULT_MINUTES_PER_DAY, dtype="int64"),
            "days_per_week": np.full(len(ids), DEFAULT_DAYS_PER_WEEK, dtype="int64"),
        }
    )


_ROLE_OF_SERVICE = {
    "speech_language": "slp",
    "occupational_therapy": "ot",
    "physical_therapy": "pt",
    "counseling": "counselor",
    "setss": "special_educator",
}


def _providers_from_services(services: pd.DataFrame) -> pd.DataFrame:
    named = services[services["provider_id"] != ""].drop_duplicates("provider_id")
    if named.empty:
        return empty_frame("providers")
    # Explicit object Series: pandas 3 would infer its own "str" dtype from a bare array.
    ids = named["provider_id"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "provider_id": pd.Series(ids, dtype=object),
            "name": pd.Series(ids.copy(), dtype=object),
            "role": pd.Series(
                named["service"].map(_ROLE_OF_SERVICE).to_numpy(dtype=object), dtype=object
            ),
            "weekly_capacity_minutes": np.zeros(len(named), dtype="int64"),
        }
    )


def _check_keys_and_references(
    frames: dict[str, pd.DataFrame],
    problems: list[Problem],
    providers_given: bool,
    unreadable: set[str],
) -> None:
    for spec in FILES:
        if spec.name not in frames:
            continue
        frame = frames[spec.name]
        if spec.key:
            dup = (
                frame[spec.key].duplicated(keep="first").to_numpy()
                & (frame[spec.key] != "").to_numpy()
            )
            for index in np.flatnonzero(dup):
                problems.append(
                    Problem(
                        spec.name,
                        int(index) + 2,
                        spec.key,
                        str(frame[spec.key].iat[index]),
                        f"a {spec.key} not used by an earlier row (this one is a duplicate)",
                    )
                )
    points = frames.get("progress.csv", pd.DataFrame(columns=["goal_id", "date"]))
    dup_points = (
        points.duplicated(["goal_id", "date"], keep="first") & points["date"].notna()
    ).to_numpy()
    for index in np.flatnonzero(dup_points):
        problems.append(
            Problem(
                "progress.csv",
                int(index) + 2,
                "date",
                str(points["date"].iat[index].date()),
                "one score per goal per date (this goal already has a score on this date)",
            )
        )
    for spec in FILES:
        for column, other in spec.references:
            if other == "providers.csv" and not providers_given:
                continue
            if spec.name not in frames or other not in frames or other in unreadable:
                continue
            target = {s.name: s for s in FILES}[other]
            known = set(frames[other][target.key])
            values = frames[spec.name][column]
            dangling = (~values.isin(known) & (values != "")).to_numpy()
            for index in np.flatnonzero(dangling):
                problems.append(
                    Problem(
                        spec.name,
                        int(index) + 2,
                        column,
                        str(values.iat[index]),
                        f"a {target.key} listed in {other}",
                    )
                )


def _check_services(services: pd.DataFrame, problems: list[Problem], bad_rows: set) -> None:
    minutes = services["minutes_per_week"].to_numpy()
    session = services["session_minutes"].to_numpy()
    push_in = services["current_push_in_minutes"].to_numpy()
    model = services["current_model"].to_numpy(dtype=object)
    rows = np.arange(len(services)) + 2

    clean = ~np.isin(rows, list(bad_rows))

    def add(mask: np.ndarray, column: str, values: np.ndarray, expected: str) -> None:
        for index in np.flatnonzero(mask & clean):
            problems.append(
                Problem(SERVICES.name, int(rows[index]), column, str(values[index]), expected)
            )

    add(session > minutes, "session_minutes", session, "no more than minutes_per_week")
    stated = push_in >= 0
    add(
        stated & (push_in > minutes),
        "current_push_in_minutes",
        push_in,
        "no more than minutes_per_week",
    )
    add(
        (model == "hybrid") & ~stated,
        "current_push_in_minutes",
        np.full(len(model), ""),
        "the minutes delivered in class today (a hybrid service needs its split)",
    )
    add(
        (model == "hybrid") & stated & ((push_in <= 0) | (push_in >= minutes)),
        "current_push_in_minutes",
        push_in,
        "a split with minutes in both settings, since current_model is hybrid",
    )
    add(
        (model == "push_in") & stated & (push_in != minutes),
        "current_push_in_minutes",
        push_in,
        "equal to minutes_per_week (current_model is push_in), or empty",
    )
    add(
        (model == "pull_out") & stated & (push_in != 0),
        "current_push_in_minutes",
        push_in,
        "0 (current_model is pull_out), or empty",
    )


def _derive_current_push_in(services: pd.DataFrame) -> pd.DataFrame:
    services = services.copy()
    push_in = services["current_push_in_minutes"].to_numpy()
    derived = np.where(
        services["current_model"].to_numpy(dtype=object) == "push_in",
        services["minutes_per_week"].to_numpy(),
        0,
    )
    services["current_push_in_minutes"] = np.where(push_in >= 0, push_in, derived).astype("int64")
    return services


def _check_service_log(log: pd.DataFrame, problems: list[Problem]) -> None:
    """One row per service, date and setting; a missed session says why, a delivered one not."""
    if log.empty:
        return
    rows = np.arange(len(log)) + 2
    dup = (
        log.duplicated(["service_id", "date", "setting"], keep="first")
        & log["date"].notna()
        & (log["setting"] != "")
    ).to_numpy()
    for index in np.flatnonzero(dup):
        problems.append(
            Problem(
                SERVICE_LOG.name,
                int(rows[index]),
                "date",
                str(log["date"].iat[index].date()),
                "one row per service, date and setting (this service already has a row for "
                "this date and setting)",
            )
        )
    status = log["status"].to_numpy(dtype=object)
    reason = log["reason"].to_numpy(dtype=object)
    reasons = next(c for c in SERVICE_LOG.columns if c.name == "reason").choices
    for index in np.flatnonzero((status == "missed") & (reason == "")):
        problems.append(
            Problem(
                SERVICE_LOG.name,
                int(rows[index]),
                "reason",
                None,
                "a reason is required when status is missed (one of " + ", ".join(reasons) + ")",
            )
        )
    for index in np.flatnonzero((status == "delivered") & (reason != "")):
        problems.append(
            Problem(
                SERVICE_LOG.name,
                int(rows[index]),
                "reason",
                str(reason[index]),
                "empty (a reason is given only when status is missed)",
            )
        )


def _check_need_ratings(services: pd.DataFrame, problems: list[Problem], bad_rows: set) -> None:
    """Every need rating, or none (a service not rated yet): a half-rated row is an error
    naming each empty rating."""
    if services.empty:
        return
    empty = services[list(NEED_FACTORS)].to_numpy() < 0  # the converter's mark for empty
    some = empty.any(axis=1) & ~empty.all(axis=1)
    rows = np.arange(len(services)) + 2
    for index in np.flatnonzero(some):
        if int(rows[index]) in bad_rows:
            continue  # a bad rating there was reported already
        for position in np.flatnonzero(empty[index]):
            problems.append(
                Problem(
                    SERVICES.name,
                    int(rows[index]),
                    NEED_FACTORS[position],
                    None,
                    "a rating from 0 to 3, since other need ratings of this service are filled "
                    "in (leave every need rating empty for a service not rated yet)",
                )
            )


def _mark_rated(services: pd.DataFrame) -> pd.DataFrame:
    """rated = the file gave the need ratings; a service not rated yet has them as 0."""
    services = services.copy()
    need = services[list(NEED_FACTORS)]
    services["rated"] = ~(need < 0).all(axis=1).to_numpy() if len(services) else []
    services["rated"] = services["rated"].astype(bool)
    for name in NEED_FACTORS:
        services[name] = services[name].clip(lower=0).astype("int8")
    return services
