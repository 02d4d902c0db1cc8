"""CSV exports a spreadsheet opens safely: formula-looking text cells are defused, numbers are
left alone, and a file is replaced whole or not at all."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushin_rules.data import csvsafe
from pushin_rules.data.csvsafe import (
    escape_cell,
    escape_formulas,
    pandas_csv_text,
    to_csv_text,
    write_csv,
)

HOSTILE = ['=HYPERLINK("http://x","click")', "+1", "-2", "@SUM(A1:A2)", "\tTab", "\rCR"]


@pytest.mark.parametrize("cell", HOSTILE)
def test_formula_cells_get_a_quote(cell: str) -> None:
    assert escape_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["plain", "", " =not first", "a=b", "'=already", "3-2"])
def test_ordinary_text_is_unchanged(cell: str) -> None:
    assert escape_cell(cell) == cell


@pytest.mark.parametrize("value", [-2, 1.5, None, True])
def test_non_text_is_unchanged(value: object) -> None:
    assert escape_cell(value) is value


def test_escape_formulas_keeps_numbers_and_the_original() -> None:
    frame = pd.DataFrame({"text": pd.Series(HOSTILE, dtype=object), "minutes": [-2, 1, 2, 3, 4, 5]})
    safe = escape_formulas(frame)
    assert safe["text"].tolist() == ["'" + c for c in HOSTILE]
    assert safe["minutes"].tolist() == [-2, 1, 2, 3, 4, 5]
    assert frame["text"].tolist() == HOSTILE  # a copy: the caller's frame is untouched


def test_csv_text_reads_back_escaped() -> None:
    frame = pd.DataFrame({"text": pd.Series(HOSTILE[:5], dtype=object), "n": range(5)})
    rows = list(csv.DictReader(io.StringIO(to_csv_text(frame))))
    assert [r["text"] for r in rows] == ["'" + c for c in HOSTILE[:5]]
    assert [r["n"] for r in rows] == ["0", "1", "2", "3", "4"]


def test_text_columns_of_pandas_string_dtype_are_escaped() -> None:
    frame = pd.DataFrame({"text": ["=1+1", "ok"]})  # inferred dtype: str under pandas 3
    assert escape_formulas(frame)["text"].tolist() == ["'=1+1", "ok"]


def test_carriage_return_inside_a_cell_cannot_start_a_row() -> None:
    frame = pd.DataFrame({"text": pd.Series(["x\r=1+1", "ok"], dtype=object)})
    rows = list(csv.reader(io.StringIO(to_csv_text(frame), newline="")))
    assert rows == [["text"], ["x\r=1+1"], ["ok"]]


def test_write_csv_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "out" / "decisions.csv"
    write_csv(pd.DataFrame({"a": pd.Series(["=1"], dtype=object)}), target)
    assert target.read_bytes() == b"a\r\n'=1\r\n"
    write_csv(pd.DataFrame({"a": pd.Series(["second"], dtype=object)}), target)
    assert target.read_bytes() == b"a\r\nsecond\r\n"
    assert [p.name for p in target.parent.iterdir()] == ["decisions.csv"]


def test_write_csv_failure_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "decisions.csv"
    target.write_text("old\n")

    def broken(frame: pd.DataFrame) -> Iterator[bytes]:
        yield b"a\r\n"
        raise OSError("disk full")

    monkeypatch.setattr(csvsafe, "csv_chunks", broken)
    with pytest.raises(OSError, match="disk full"):
        write_csv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["decisions.csv"]  # no temp file left


# The columnar writer must write what pandas' csv writer writes, byte for byte: text with
# formula characters, commas, quotes, CR/LF and non-ASCII; numbers pandas prints in its own
# way (1.0, 1e-05, 1e+16, -0.0, inf); booleans; missing values of every kind.
TEXT = st.text(alphabet=st.sampled_from(list("ab=+-@\t\r\n,\"' é€0.")), max_size=8)
FLOATS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [1.0, -0.0, 1e-05, 1e-4, 9.99e-5, 1e16, 1e15, 1e10, 123456789012.5, 0.1, 2.5e-7, 1 / 3]
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            TEXT,
            st.none() | TEXT,
            st.integers(-(2**63), 2**63 - 1),
            FLOATS,
            st.booleans(),
            st.none() | TEXT | st.floats(allow_nan=True) | st.integers(-5, 5),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_columnar_writer_matches_pandas_byte_for_byte(rows: list[tuple]) -> None:
    text, maybe, whole, real, flag, mixed = zip(*rows, strict=True)
    frame = pd.DataFrame(
        {
            "text": pd.Series(text, dtype="str"),
            "maybe text": pd.Series(maybe, dtype="str"),
            "whole": pd.Series(whole, dtype="int64"),
            "real,quoted": pd.Series(real, dtype="float64"),
            "flag": pd.Series(flag, dtype=bool),
            "mixed": pd.Series(mixed, dtype=object),
            "nullable": pd.array([None if i % 2 else i for i in range(len(rows))], dtype="Int64"),
        }
    )
    assert to_csv_text(frame) == pandas_csv_text(frame)


def test_columnar_writer_spans_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvsafe, "BATCH_ROWS", 3)
    frame = pd.DataFrame({"id": [f"=S{i}" for i in range(10)], "score": np.arange(10) / 4})
    assert to_csv_text(frame) == pandas_csv_text(frame)
    assert to_csv_text(frame).count("\r\n") == 11


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"only": ["", "=x", None]}),  # one column: Python quotes an empty row
        pd.DataFrame({"a": ["x"], "when": pd.to_datetime(["2024-01-02"])}),  # dates: pandas
        pd.DataFrame({"a": pd.Series([], dtype="str"), "b": pd.Series([], dtype="int64")}),
    ],
)
def test_frames_outside_the_columnar_path_are_written_by_pandas(frame: pd.DataFrame) -> None:
    assert to_csv_text(frame) == pandas_csv_text(frame)
