"""CSV output that a spreadsheet opens safely, written all at once or not at all."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from pushin_rules.errors import InputError

# A spreadsheet runs a cell starting with these as a formula (CSV injection).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = "[" + "".join(re.escape(p) for p in FORMULA_PREFIXES) + "]"


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


def to_csv_text(frame: pd.DataFrame) -> str:
    # RFC 4180 line ends: the csv writer then quotes any cell holding a CR or LF, which
    # with bare "\n" it would not do for a lone CR, and a spreadsheet would start a new row
    # there (whose first cell could be a formula).
    return escape_formulas(frame).to_csv(index=False, lineterminator="\r\n")


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a formula-safe CSV atomically: readers see the old file or the whole new one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(to_csv_text(frame))
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
