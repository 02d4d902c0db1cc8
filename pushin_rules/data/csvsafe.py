"""CSV output that a spreadsheet opens safely, written all at once or not at all.

Columnar: each column is formatted once as an Arrow string array (numbers the way pandas
writes them, text formula-escaped and quoted where RFC 4180 needs it), the columns are
joined row by row in Arrow, and the joined buffer is written as is. The bytes are those of
`escape_formulas(frame).to_csv(index=False, lineterminator="\\r\\n")`, at a fraction of its
time; frames this path does not cover fall back to that pandas call.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pushin_rules.errors import InputError

# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = "[" + "".join(re.escape(p) for p in FORMULA_PREFIXES) + "]"
# RFC 4180 (and Python's csv writer with "\r\n" line ends): a cell holding a comma, a quote,
# a CR or an LF is quoted, its quotes doubled.
_NEEDS_QUOTES = '[,"\r\n]'
LINE_END = "\r\n"
# Rows formatted per batch: bounds the memory of the formatted text.
BATCH_ROWS = 65_536


def escape_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would run as a formula with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell made safe; numbers are left as numbers.

    Vectorised: an export can hold millions of cells, and only the few that start with a
    formula character are rewritten."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        # pandas 3 gives text its own string dtype; older frames hold it as object.
        if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
            continue
        text = series.map(lambda v: isinstance(v, str)) if series.dtype == object else None
        try:
            risky = np.array(series.str.match(_FORMULA_START).fillna(False), dtype=bool)
        except AttributeError:  # an object column holding no text at all
            continue
        if text is not None:
            risky &= text.to_numpy(dtype=bool)
        if risky.any():
            escaped = series.astype(object).copy()
            escaped[risky] = "'" + series[risky].astype(str)
            out[column] = escaped
    return out


def pandas_csv_text(frame: pd.DataFrame) -> str:
    """The reference writer: pandas' `to_csv` of the escaped frame (row by row in Python)."""
    # RFC 4180 line ends: the csv writer then quotes any cell holding a CR or LF, which
    # with bare "\n" it would not do for a lone CR, and a spreadsheet would start a new row
    # there (whose first cell could be a formula).
    return escape_formulas(frame).to_csv(index=False, lineterminator=LINE_END)


def csv_chunks(frame: pd.DataFrame) -> Iterator[bytes]:
    """The formula-safe CSV of `frame` (UTF-8, header first, CRLF line ends) in pieces."""
    if not _columnar(frame):
        yield pandas_csv_text(frame).encode("utf-8")
        return
    yield (",".join(_quote_text(str(c)) for c in frame.columns) + LINE_END).encode("utf-8")
    for begin in range(0, len(frame), BATCH_ROWS):
        part = frame.iloc[begin : begin + BATCH_ROWS]
        cells = [_cells(part.iloc[:, i]) for i in range(len(part.columns))]
        rows = pc.binary_join_element_wise(*cells, ",")
        rows = pc.binary_join_element_wise(rows, "", LINE_END)
        yield _buffer_bytes(rows)


def to_csv_text(frame: pd.DataFrame) -> str:
    """The formula-safe CSV of `frame` as text (for downloads and zip members)."""
    return b"".join(csv_chunks(frame)).decode("utf-8")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a formula-safe CSV atomically: readers see the old file or the whole new one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            _write_chunks(frame, handle)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_output(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """write_csv for a command's --out: a path that cannot be written (a folder, no
    permission, a full disk) is the user's to fix, so it becomes a message, not a traceback."""
    try:
        write_csv(frame, path)
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror or error}") from None


# --------------------------------------------------------------------------- columnar path


def _write_chunks(frame: pd.DataFrame, handle: BinaryIO) -> None:
    for chunk in csv_chunks(frame):
        handle.write(chunk)


def _columnar(frame: pd.DataFrame) -> bool:
    """Whether the Arrow path writes exactly what pandas would. A one-column frame does not
    (Python's csv writer quotes a row that is one empty cell), nor do duplicate column names
    or dtypes without a rule below (dates, categories, complex...)."""
    if len(frame.columns) < 2 or not frame.columns.is_unique or len(frame) == 0:
        return False
    return all(_kind(frame[c]) is not None for c in frame.columns)


def _kind(series: pd.Series) -> str | None:
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        return "object"
    if pd.api.types.is_string_dtype(dtype):
        return "text"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if isinstance(dtype, np.dtype) and dtype == np.float64:
        return "float"
    return None


def _cells(series: pd.Series) -> pa.Array:
    """One column as CSV cells: text escaped and quoted, numbers as pandas writes them,
    missing values as empty cells."""
    kind = _kind(series)
    if kind == "int":
        return pc.fill_null(pc.cast(pa.array(series, from_pandas=True), pa.string()), "")
    if kind == "bool":
        flags = pa.array(series, from_pandas=True, type=pa.bool_())
        return pc.fill_null(pc.if_else(flags, "True", "False"), "")
    if kind == "float":
        return _float_cells(series.to_numpy())
    if kind == "text":
        text = pc.cast(pa.array(series, from_pandas=True), pa.string())
        return _quote(_escape(pc.fill_null(text, "")))
    return _object_cells(series)


def _escape(text: pa.Array) -> pa.Array:
    risky = pc.match_substring_regex(text, "^" + _FORMULA_START)
    return pc.if_else(risky, pc.binary_join_element_wise("'", text, ""), text)


def _quote(text: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(text, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)


def _quote_text(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if re.search(_NEEDS_QUOTES, cell) else cell


def _float_cells(values: np.ndarray) -> pa.Array:
    """float64 as pandas writes it (numpy's str: shortest round-trip digits, "1.0" not "1",
    "10000000000.0" not "1e+10", "1e-05" below 1e-4 and "1e+16" from 1e16); NaN as an empty
    cell. Arrow prints the same digits; where its notation differs from numpy's (an exponent,
    infinities) the value is printed by numpy, one by one: rare in this product's outputs."""
    missing = np.isnan(values)
    cells = pc.cast(pa.array(values), pa.string())
    size = np.abs(values)
    exponent = np.asarray(pc.match_substring(cells, "e").to_numpy(zero_copy_only=False))
    plain = ((size >= 1e-4) & (size < 1e16) | (values == 0)) & ~exponent
    whole = np.asarray(pc.match_substring(cells, ".").to_numpy(zero_copy_only=False)) == 0
    cells = pc.if_else(pa.array(plain & whole), pc.binary_join_element_wise(cells, ".0", ""), cells)
    odd = ~plain & ~missing
    if odd.any():
        cells = pc.replace_with_mask(
            cells, pa.array(odd), pa.array([str(v) for v in values[odd]], type=pa.string())
        )
    if missing.any():
        cells = pc.if_else(pa.array(missing), "", cells)
    return cells


def _object_cells(series: pd.Series) -> pa.Array:
    """An object column (text, or text mixed with numbers): each value as Python's csv
    writer prints it, text escaped; missing values (None, NaN, NA) empty."""
    values = series.to_numpy()
    missing = pd.isna(values)
    out = []
    for value, absent in zip(values, missing, strict=True):
        if absent:
            out.append("")
        elif isinstance(value, str):
            out.append("'" + value if value.startswith(FORMULA_PREFIXES) else value)
        else:
            out.append(str(value))
    return _quote(pa.array(out, type=pa.string()))


def _buffer_bytes(rows: pa.Array) -> bytes:
    """The text of a string array without nulls, its values back to back."""
    rows = pc.cast(rows, pa.large_string())
    if isinstance(rows, pa.ChunkedArray):
        rows = rows.combine_chunks()
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    first, last = int(offsets[rows.offset]), int(offsets[rows.offset + len(rows)])
    return rows.buffers()[2][first:last].to_pybytes()
