"""Output: the frames written as CSV files, byte for byte the same for the same frames."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from pushin_rules.data.contract import FILES

# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

FLOAT_FORMAT = "%.1f"
DATE_FORMAT = "%Y-%m-%d"
CHUNK_ROWS = 1_000_000  # bounds the memory the byte assembly needs


def write(frames: dict[str, pd.DataFrame], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write each frame as `out_dir/<file name>`; the same frames always give the same bytes.

    UTF-8, "\n" line endings, no index, floats with one decimal, dates YYYY-MM-DD, empty
    cells for missing values. Each file is written under a temporary name and moved into
    place, so a reader never sees half a file. Returns the paths written, in contract order.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in FILES:
        if spec.name not in frames:
            continue
        frame = frames[spec.name]
        missing = [c for c in spec.column_names if c not in frame.columns]
        if missing:
            raise ValueError(f"{spec.name} lacks columns {missing}")
        target = folder / spec.name
        tmp = folder / f".{spec.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(tmp, "wb") as handle:
                for chunk in _csv_chunks(frame[list(spec.column_names)]):
                    handle.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        written.append(target)
    return written


def _csv_chunks(frame: pd.DataFrame) -> Iterator[bytes]:
    """The frame as CSV bytes, built with array operations rather than row by row.

    pandas' writer formats every cell in Python and needs about 25 s for the 4.4 million
    progress rows of a 100,000-student district; here each column's distinct values are
    formatted once and the rows are assembled as a byte matrix.
    """
    yield (",".join(_quote(c) for c in frame.columns) + "\n").encode()
    columns = [_column_bytes(frame[c]) for c in frame.columns]
    for first in range(0, len(frame), CHUNK_ROWS):
        parts = [column[first : first + CHUNK_ROWS] for column in columns]
        rows = len(parts[0])
        widths = [max(part.dtype.itemsize, 1) for part in parts]
        matrix = np.zeros((rows, sum(widths) + len(parts)), dtype=np.uint8)
        at = 0
        for part, width in zip(parts, widths, strict=True):
            if part.dtype.itemsize:
                matrix[:, at : at + width] = part.view(np.uint8).reshape(rows, width)
            matrix[:, at + width] = ord(",")
            at += width + 1
        matrix[:, -1] = ord("\n")
        # Fixed-width byte strings are padded with NUL; dropping the NULs leaves the CSV.
        yield matrix[matrix != 0].tobytes()


def _column_bytes(column: pd.Series) -> np.ndarray:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        text = pd.Series([value.strftime(DATE_FORMAT) for value in uniques], dtype=object)
    elif pd.api.types.is_float_dtype(column.dtype):
        text = pd.Series([FLOAT_FORMAT % value for value in uniques], dtype=object)
    elif pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        text = pd.Series([str(int(value)) for value in uniques], dtype=object)
    else:
        text = pd.Series(np.asarray(uniques, dtype=object)).astype(str)
        quote = text.str.contains(r'[,"\r\n]', regex=True).to_numpy(dtype=bool)
        if quote.any():
            text = text.where(~quote, '"' + text.str.replace('"', '""', regex=False) + '"')
    unicode = text.to_numpy(dtype=str)
    try:
        table = unicode.astype(bytes)  # a C-level cast, for the usual all-ASCII column
    except UnicodeEncodeError:
        table = np.array([value.encode() for value in unicode], dtype=bytes)
    # Code -1 (a missing value) picks the empty string appended last.
    return np.append(table, np.array([b""], dtype=table.dtype))[codes]


def _quote(text: str) -> str:
    if any(mark in text for mark in (",", '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text
