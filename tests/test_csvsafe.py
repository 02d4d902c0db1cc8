"""CSV exports a spreadsheet opens safely: formula-looking text cells are defused, numbers are
left alone, and a file is replaced whole or not at all."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from pushin_rules.data import csvsafe
from pushin_rules.data.csvsafe import escape_cell, escape_formulas, to_csv_text, write_csv

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

    def broken(frame: pd.DataFrame) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(csvsafe, "to_csv_text", broken)
    with pytest.raises(OSError, match="disk full"):
        write_csv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["decisions.csv"]  # no temp file left
