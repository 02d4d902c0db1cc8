"""The loader's column-at-once number parsing (Arrow, with pandas for columns Arrow refuses)
reads every cell as `pd.to_numeric(errors="coerce")` did: same numbers, same NaN, so the
same cells are reported as problems."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pushin_rules.data.loader import _numbers

CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(
        [
            "",
            "3",
            "3.0",
            "+4",
            "-0",
            ".5",
            "5.",
            "1e9",
            "1E-3",
            "inf",
            "-Infinity",
            "nan",
            "NaN",
            "1e400",
            "1e-400",
            "abc",
            "1,5",
            "0x10",
            "1_000",
            "٣",
            "3 4",
            "--1",
            "e5",
        ]
    ),
    st.text(alphabet="0123456789.+-eE", max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(CELLS, min_size=1, max_size=20), data=st.data())
def test_numbers_read_as_pandas_reads_them(cells: list[str], data: st.DataObject) -> None:
    usable = np.array(data.draw(st.lists(st.booleans(), min_size=len(cells), max_size=len(cells))))
    for dtype in ("str", object):
        values = pd.Series(cells, dtype=dtype)
        expected = pd.to_numeric(values.where(usable, None), errors="coerce").to_numpy(dtype=float)
        np.testing.assert_array_equal(_numbers(values, usable), expected)
