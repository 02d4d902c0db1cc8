"""Folder of CSV files -> a typed District, or one DistrictError listing every problem.

Validation runs column by column over arrays (a district can have 100,000 services); each
problem names the file, the row as a spreadsheet shows it (the header is row 1), the column,
the bad value and what was expected.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

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
_PLAIN_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_FIRST_DAY = np.datetime64("1990-01-01", "D")
_LAST_DAY = np.datetime64("2100-12-31", "D")
_DATE_TEXT = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)

# A line whose quotes all open, close or double inside whole cells, no line break inside one.
_PLAIN_QUOTED = re.compile(
    rb'(?:[^",\r\n]*|"(?:[^"\r\n]|"")*")(?:,(?:[^",\r\n]*|"(?:[^"\r\n]|"")*"))*'
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
    kept: dict[str, dict[str, pa.Array]] = {}  # the big files' id and choice columns as Arrow
    unknown = sorted(set(files) - {spec.name for spec in FILES})
    for name in unknown:
        notes.append(f"{name}: not part of a district; ignored")
    for spec in FILES:
        content = files.get(spec.name)
        if content is None:
            if spec.required:
                problems.append(Problem(spec.name, None, None, None, "file is missing (required)"))
            continue
        frame, texts = _read_columns(spec, content, problems, notes)
        if frame is not None:
            frames[spec.name] = frame
            if spec.name in ("progress.csv", "service_log.csv"):
                kept[spec.name] = texts

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
    _check_keys_and_references(
        frames, problems, providers_given, unreadable, kept.get("progress.csv")
    )
    if "services.csv" in frames:
        bad_rows = {p.row for p in problems if p.file == SERVICES.name}
        _check_services(frames["services.csv"], problems, bad_rows)
        _check_need_ratings(frames["services.csv"], problems, bad_rows)
    _check_service_log(frames["service_log.csv"], problems, kept.get("service_log.csv"))
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
    progress = _sorted(frames["progress.csv"], ["goal_id", "date"], kept.get("progress.csv"))
    service_log = _sorted(
        frames["service_log.csv"],
        ["service_id", "date", "setting"],
        kept.get("service_log.csv"),
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
    """One file's content -> its typed frame, or None (with the problems) when unreadable."""
    return _read_columns(spec, content, problems, notes)[0]


def _read_columns(
    spec: FileSpec, content: bytes | str, problems: list[Problem], notes: list[str]
) -> tuple[pd.DataFrame | None, dict[str, pa.Array]]:
    """`_read`, also giving the id and choice columns as the Arrow text the frame's values
    came from (the duplicate checks and the final sort number them without Python strings)."""
    grid = _grid(spec, content, problems)
    if grid is None:
        return None, {}
    header, columns = grid
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
        return None, {}
    by_name = {name: columns[i] for i, name in enumerate(header) if name}
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
        return None, {}

    length = len(columns[0]) if columns else 0
    rows = np.arange(length) + 2  # the header is spreadsheet row 1
    out: dict[str, pd.Series] = {}
    texts: dict[str, pa.Array] = {}
    # Optional columns join the frame only when the file has them (an older file's frame keeps
    # exactly the contract's columns).
    present = tuple(c for c in optional if c.name in by_name)
    for column in (*spec.columns, *present):
        if column.name in by_name:
            values = pc.utf8_trim_whitespace(by_name[column.name])  # what str.strip() removes
        else:
            values = pa.repeat(pa.scalar("", pa.string()), length)
        out[column.name] = _convert_text(spec.name, column, values, rows, problems, texts)
    return pd.DataFrame(out), texts


def _grid(
    spec: FileSpec, content: bytes | str, problems: list[Problem]
) -> tuple[list[str], list[pa.Array]] | None:
    """The header (trimmed) and the data columns as untrimmed Arrow text, or None with a
    problem when the file cannot be read."""
    if isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
        try:
            text = data.decode("utf-8")
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
        data = None
    else:
        problems.append(Problem(spec.name, None, None, None, "is not the content of a file"))
        return None
    marks = len(text) - len(text := text.lstrip("\ufeff"))  # byte-order marks, even two
    if "\x00" in text:
        problems.append(
            Problem(spec.name, None, None, None, "contains NUL bytes; is it really a CSV file?")
        )
        return None
    if not text or text.isspace():
        problems.append(
            Problem(spec.name, None, None, None, "is empty; it needs at least a header row")
        )
        return None
    if data is None:
        data = text.encode("utf-8")
    elif marks:
        data = data[3 * marks :]
    del text
    table = _arrow_grid(data)
    if table is None:
        return _pandas_grid(spec, data, problems)
    columns = [table.column(i).combine_chunks() for i in range(table.num_columns)]
    header = [str(columns[i][0].as_py()).strip() for i in range(len(columns))]
    return header, [column.slice(1) for column in columns]


def _arrow_grid(data: bytes) -> pa.Table | None:
    """The file as a table of text, the header read as a row, by Arrow's CSV reader; None
    when the file is one Arrow might read differently from pandas' reader (which gives the
    messages people know), so that reader decides: a ragged row, a quote anywhere but around
    a whole cell, a single column (where a blank-looking line would count as a row)."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]  # (not split: that would copy the rest)
    width = first.count(b",") + 1
    if width < 2 or (b'"' in data and not _quotes_are_plain(data)):
        return None
    try:
        return pv.read_csv(
            pa.py_buffer(data),
            read_options=pv.ReadOptions(
                autogenerate_column_names=True, block_size=1 << 24, use_threads=False
            ),
            parse_options=pv.ParseOptions(newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None


def _quotes_are_plain(data: bytes) -> bool:
    """Every quote opens a cell, closes one or is doubled inside one (RFC 4180), with no
    line break inside a quoted cell: then both readers agree cell for cell."""
    for line in data.splitlines():
        if b'"' not in line:
            continue
        if _PLAIN_QUOTED.fullmatch(line) is None:
            return False
    return True


def _pandas_grid(
    spec: FileSpec, data: bytes, problems: list[Problem]
) -> tuple[list[str], list[pa.Array]] | None:
    try:
        # The header is read as a row: pandas would rename a repeated name ("name.1") and
        # quietly turn the first column into an index when every row has one cell too many.
        # This way a row longer than the header is an error, and a shorter one has empty cells.
        grid = pd.read_csv(
            io.StringIO(data.decode("utf-8")),
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
    columns = [
        pa.array(grid[name].iloc[1:].astype(str).to_numpy(dtype=object), type=pa.string())
        for name in grid.columns
    ]
    return header, columns


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
    values: pa.Array,
    bad: np.ndarray,
    expected: str | None = None,
) -> None:
    # Only the failing cells become Python strings.
    for index in np.flatnonzero(bad):
        problems.append(
            Problem(
                file,
                int(rows[index]),
                column.name,
                str(values[int(index)].as_py()),
                expected or column.expected(),
            )
        )


def _mask(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _objects(values: pa.Array) -> np.ndarray:
    """Arrow text -> an object array of Python strings, one string per distinct value (ids
    and choices repeat: a progress file names each goal dozens of times)."""
    if len(values) == 0:
        return np.empty(0, dtype=object)
    encoded = pc.dictionary_encode(values)
    words = np.empty(len(encoded.dictionary), dtype=object)
    words[:] = encoded.dictionary.to_pylist()
    return words[encoded.indices.to_numpy(zero_copy_only=False)]


def _convert(
    file: str, column: Column, values: pd.Series, rows: np.ndarray, problems: list[Problem]
) -> pd.Series:
    """One column of trimmed cells (text) -> its typed values, reporting each bad cell."""
    text = pa.array(values.astype(str).to_numpy(dtype=object), type=pa.string())
    return _convert_text(file, column, text, rows, problems)


def _convert_text(
    file: str,
    column: Column,
    values: pa.Array,
    rows: np.ndarray,
    problems: list[Problem],
    texts: dict[str, pa.Array] | None = None,
) -> pd.Series:
    lengths = pc.utf8_length(values)
    empty = _mask(pc.equal(lengths, 0))
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
    default = column.default if column.default is not None else ""

    if column.kind in ("id", "text"):
        if column.kind == "id":
            too_long = _mask(pc.greater(lengths, 64))
            _report(
                problems,
                file,
                column,
                rows,
                values,
                too_long,
                "an identifier of at most 64 characters",
            )
        if default != "" and empty.any():
            values = pc.if_else(pa.array(empty), pa.scalar(str(default)), values)
        if texts is not None and column.kind == "id":
            texts[column.name] = values
        return pd.Series(_objects(values), dtype=object)

    if column.kind == "choice":
        if column.name == "grade":
            normal = pc.utf8_ltrim(pc.utf8_upper(values), characters="0")
            normal = pc.if_else(pc.equal(normal, ""), "0", normal)
        else:
            normal = pc.utf8_lower(values)
        known = _mask(pc.is_in(normal, value_set=pa.array(column.choices, type=pa.string())))
        _report(problems, file, column, rows, values, ~empty & ~known)
        if empty.any():
            normal = pc.if_else(pa.array(empty), pa.scalar(str(default)), normal)
        if texts is not None:
            texts[column.name] = normal
        return pd.Series(_objects(normal), dtype=object)

    if column.kind == "int":
        shaped = _mask(pc.match_substring_regex(values, _INT_TEXT))
        numbers = _numbers_text(values, shaped & ~empty)
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
        numbers = _numbers_text(values, ~empty)
        bad = ~empty & ~np.isfinite(numbers)
        _report(problems, file, column, rows, values, bad)
        return pd.Series(numbers, dtype="float64")

    # date
    # Fast path: plain YYYY-MM-DD cells (nearly all of them) parse in one vectorised call,
    # kept only where the day of the month is the one written (Arrow would roll 02-30 into
    # March); the rest go through pandas with the pattern that also accepts a time of day.
    plain = pc.match_substring_regex(values, _PLAIN_DATE)
    parsed = pc.strptime(
        pc.if_else(plain, values, pa.scalar(None, pa.string())),
        format="%Y-%m-%d",
        unit="s",
        error_is_null=True,
    )
    day_text = pc.utf8_slice_codeunits(values, 8, 10)
    written_day = pc.cast(pc.if_else(plain, day_text, pa.scalar(None, pa.string())), pa.int64())
    exact = pc.fill_null(pc.equal(pc.day(parsed), written_day), False)
    seconds = parsed.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    days = (seconds // 86400).astype("datetime64[D]")
    # Years out of range go the slow way too (and are reported there), before the
    # nanosecond cast could overflow.
    ok = _mask(exact) & (days >= _FIRST_DAY) & (days <= _LAST_DAY)
    days = np.where(ok, days, np.datetime64("2000-01-01", "D"))
    dates = pd.Series(days.astype("datetime64[ns]")).where(ok)
    retry = ~empty & ~ok
    if retry.any():
        where = np.flatnonzero(retry)
        cells = pd.Series(values.take(pa.array(where)).to_pylist(), dtype=object)
        # As before: pandas' own reading of ten-character cells (it takes "2027-02- 4"),
        # then the pattern for the rest.
        ten = (cells.str.len() == 10).to_numpy(dtype=bool)
        again = pd.to_datetime(cells.where(ten, None), format="%Y-%m-%d", errors="coerce")
        again = pd.Series(_in_range(again).to_numpy(dtype="datetime64[ns]"))
        rest = again.isna().to_numpy()
        if rest.any():
            day = cells[rest].str.extract(_DATE_TEXT, expand=False).astype(object)
            day = day.where(day.notna(), None)
            found = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce")
            again[rest] = _in_range(found).to_numpy(dtype="datetime64[ns]")
        years = again.dt.year.between(1990, 2100).fillna(False).to_numpy(dtype=bool)
        dates.iloc[where[years]] = again[years].to_numpy(dtype="datetime64[ns]")
        ok = ok.copy()
        ok[where[years]] = True
        ok[where[~years]] = False
    plausible = ok & dates.dt.year.between(1990, 2100).fillna(False).to_numpy(dtype=bool)
    bad = ~empty & ~plausible
    _report(problems, file, column, rows, values, bad)
    return dates.where(plausible).astype("datetime64[ns]")


def _in_range(dates: pd.Series) -> pd.Series:
    """The dates with a plausible year; the rest (reported as bad) blanked before a
    nanosecond cast could overflow."""
    return dates.where(dates.dt.year.between(1990, 2100).fillna(False).to_numpy(dtype=bool))


def _numbers(values: pd.Series, usable: np.ndarray) -> np.ndarray:
    """The cells as float64, NaN where not `usable` or not a number: what
    `pd.to_numeric(values.where(usable, None), errors="coerce")` gives. Arrow parses the
    whole column in one call (a tenth of pandas' time on a progress file); a column holding a
    cell Arrow refuses goes through pandas, so odd cells read exactly as before."""
    try:
        text = pa.array(values, from_pandas=True)
        if not pa.types.is_string(text.type) and not pa.types.is_large_string(text.type):
            raise TypeError(text.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        return pd.to_numeric(values.where(usable, None), errors="coerce").to_numpy(dtype=float)
    return _numbers_text(text, usable)


def _numbers_text(text: pa.Array, usable: np.ndarray) -> np.ndarray:
    """`_numbers` over Arrow text."""
    try:
        masked = pc.if_else(pa.array(usable, type=pa.bool_()), text, pa.scalar(None, text.type))
        return np.asarray(pc.cast(masked, pa.float64()).to_numpy(zero_copy_only=False), float)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError):
        values = pd.Series(text.to_pylist(), dtype=object)
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


def _codes(
    frame: pd.DataFrame, name: str, texts: Mapping[str, pa.Array] | None, sort: bool = False
) -> np.ndarray:
    """Each cell's number among the column's distinct values (numbered in sorted order if
    asked), from the column's Arrow text when it is at hand."""
    values = frame[name]
    text = None if texts is None else texts.get(name)
    if text is not None and len(text) == len(values):
        encoded = pc.dictionary_encode(text)
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        if not sort:
            return codes
        # Arrow orders UTF-8 bytes, which is code point order, as Python compares strings.
        order = pc.sort_indices(encoded.dictionary).to_numpy(zero_copy_only=False)
        rank = np.empty(len(order), dtype="int64")
        rank[order] = np.arange(len(order))
        return rank[codes]
    if values.dtype.kind == "M":
        values = pd.Series(values.to_numpy().view("int64"))
    return pd.factorize(values, sort=sort)[0]


def _packed(
    frame: pd.DataFrame, by: list[str], texts: Mapping[str, pa.Array] | None, sort: bool
) -> np.ndarray:
    """One integer per row standing for its values in `by`: equal rows get equal numbers
    and, when `sort`, the numbers order the rows as the values do, column by column."""
    key = np.zeros(len(frame), dtype="int64")
    span = 1
    for name in by:
        codes = _codes(frame, name, texts, sort=sort).astype("int64")
        size = int(codes.max()) + 1 if len(codes) else 1
        if span * size >= 2**62:  # renumber the columns so far (keeps their order)
            key = pd.factorize(key, sort=True)[0].astype("int64")
            span = int(key.max()) + 1
        key = key * size + codes
        span *= size
    return key


def _sorted(
    frame: pd.DataFrame, by: list[str], texts: Mapping[str, pa.Array] | None = None
) -> pd.DataFrame:
    """`frame.sort_values(by, kind="stable")` for columns without missing values, sorting
    one integer per row instead of comparing strings row by row."""
    if len(frame) < 2:
        return frame
    return frame.take(np.argsort(_packed(frame, by, texts, sort=True), kind="stable"))


def _repeated(
    frame: pd.DataFrame, by: list[str], texts: Mapping[str, pa.Array] | None = None
) -> np.ndarray:
    """`frame.duplicated(by, keep="first")`, over one integer per row."""
    if len(frame) == 0:
        return np.zeros(0, dtype=bool)
    return pd.Series(_packed(frame, by, texts, sort=False)).duplicated().to_numpy()


def _check_keys_and_references(
    frames: dict[str, pd.DataFrame],
    problems: list[Problem],
    providers_given: bool,
    unreadable: set[str],
    progress_texts: Mapping[str, pa.Array] | None = None,
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
    dup_points = _repeated(points, ["goal_id", "date"], progress_texts)
    dup_points = dup_points & points["date"].notna().to_numpy()
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


def _check_service_log(
    log: pd.DataFrame, problems: list[Problem], texts: Mapping[str, pa.Array] | None = None
) -> None:
    """One row per service, date and setting; a missed session says why, a delivered one not."""
    if log.empty:
        return
    rows = np.arange(len(log)) + 2
    dup = (
        _repeated(log, ["service_id", "date", "setting"], texts)
        & log["date"].notna().to_numpy()
        & (log["setting"].to_numpy(dtype=object) != "")
    )
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
    if texts is not None and "status" in texts and "reason" in texts:
        missed = _mask(pc.equal(texts["status"], "missed"))
        delivered = _mask(pc.equal(texts["status"], "delivered"))
        no_reason = _mask(pc.equal(texts["reason"], ""))
    else:
        missed, delivered, no_reason = status == "missed", status == "delivered", reason == ""
    reasons = next(c for c in SERVICE_LOG.columns if c.name == "reason").choices
    for index in np.flatnonzero(missed & no_reason):
        problems.append(
            Problem(
                SERVICE_LOG.name,
                int(rows[index]),
                "reason",
                None,
                "a reason is required when status is missed (one of " + ", ".join(reasons) + ")",
            )
        )
    for index in np.flatnonzero(delivered & ~no_reason):
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
