"""Text columns built from arrow arrays: names of codes and codes joined per row, without
a Python loop over rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str" dtype


def _text(values: np.ndarray | pa.Array) -> pd.api.extensions.ExtensionArray:
    """A pandas str column straight from arrow (no per-row conversion)."""
    if not isinstance(values, pa.Array | pa.ChunkedArray):
        values = pa.array(values, type=pa.string())
    return pd.array(values, dtype=_STR)


def _named(codes: np.ndarray, names: Sequence[str]) -> pd.api.extensions.ExtensionArray:
    return _text(pa.array(list(names), type=pa.string()).take(pa.array(codes)))


def _join_codes(
    codes: np.ndarray, names: Sequence[str], sep: str = ";"
) -> pd.api.extensions.ExtensionArray:
    """Per row, the names of the codes (-1: nothing) joined with `sep`, all rows at once.

    Rows are factorized on their codes, so Python builds each distinct text once.
    """
    n, width = codes.shape
    base = len(names) + 1
    if width == 0 or n == 0:
        return _text(np.full(n, "", dtype=object))
    if width * np.log2(base) > 62:  # too many places for one integer key
        return _join_columns(codes, names, sep)
    key = (codes + 1).astype(np.int64) @ (base ** np.arange(width, dtype=np.int64))
    row_code, uniques = pd.factorize(key)
    texts = []
    for value in uniques.tolist():
        parts = []
        while value:
            value, digit = divmod(value, base)
            if digit:
                parts.append(names[digit - 1])
        texts.append(sep.join(parts))
    return _text(pa.array(texts, type=pa.string()).take(pa.array(row_code)))


def _join_columns(
    codes: np.ndarray, names: Sequence[str], sep: str
) -> pd.api.extensions.ExtensionArray:
    n = codes.shape[0]
    used = np.flatnonzero((codes >= 0).any(axis=0))
    if used.size == 0:
        return _text(np.full(n, "", dtype=object))
    # Every piece carries its separator in front and "nothing" is the empty string, so no
    # nulls reach the join (pyarrow drops all-null rows under null_handling="skip").
    dictionary = pa.array(["", *(sep + name for name in names)], type=pa.string())
    columns = [dictionary.take(pa.array(codes[:, c] + 1)) for c in used]
    joined = pc.binary_join_element_wise(*columns, "") if len(columns) > 1 else columns[0]
    return _text(pc.utf8_slice_codeunits(joined, len(sep)))
