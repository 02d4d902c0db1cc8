"""Smoke test of the benchmark: `python -m pushin_rules bench --quick --runs 1` prints every
figure with a number. Timings are printed, never asserted (machines are noisy)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import bench

ROOT = Path(__file__).resolve().parent.parent


# The smoke run drives Chromium, two app processes and a PostgreSQL server: on a loaded 2-core
# machine it can pass the suite's 300 s per-test limit, so it gets the subprocess's own limit.
@pytest.mark.timeout(1260)
def test_quick_bench_prints_every_figure() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PUSHIN_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "pushin_rules", "bench", "--quick", "--runs", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,  # a loaded 2-core machine: browsers, PostgreSQL, two app processes
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"^Cores: \d+", out, re.M), out
    rows = {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in out.splitlines()
        if line.startswith("| ") and not line.startswith("| figure") and "---" not in line
    }
    wanted = [
        "Batch recommendation of",
        "Progress analytics, 2,000 goals x 20 points",
        "`python -m pushin_rules recommend`",
        "pandas floor",
        "Empty Streamlit page rerun",
        *(f"Page rerun: {page}," for page in bench.app_pages(ROOT)),
        "App peak memory",
        "Loader (`load_district`",
        "Import into SQLite",
        "Load back from SQLite",
        "Peak memory of `recommend`",
        "Empty Streamlit page, page ready in Chromium",
        "App first page after a restart (Chromium)",
        *(f"Page ready in Chromium: {page}," for page in bench.app_pages(ROOT)),
        "App first page on the bundled sample",
    ]
    for start in wanted:
        found = [name for name in rows if name.startswith(start)]
        assert found, f"no row for {start!r} in:\n{out}"
        value = rows[found[0]]
        assert re.match(r"^\d[\d.,]* (s|ms|MB)\b", value), f"{found[0]}: {value!r}\n{out}"
    assert re.search(r"x the floor", out), out
    assert re.search(r"CPU \d+\.\d+ s", out), out  # CPU seconds beside wall seconds
    # Several staff: p50/p95 page-ready times and the visibility check (needs PostgreSQL; where
    # it cannot start the row says "not measured" and why, in the notes).
    staff = [name for name in rows if name.startswith("Several staff: page ready p")]
    assert len(staff) == 2, out
    assert any(name.startswith("Several staff: decisions recorded") for name in rows), out
    assert re.search(r"x empty", out), out
    assert "Reproduce: python -m pushin_rules bench" in out


def test_progress_frames_have_exact_shape_and_loader_dtypes() -> None:
    goals, progress = bench.progress_frames(50, 20, seed=3)
    assert len(goals) == 50 and goals["goal_id"].is_unique
    assert len(progress) == 50 * 20
    assert progress.groupby("goal_id").size().eq(20).all()
    assert progress["date"].dtype == np.dtype("datetime64[ns]")
    assert goals["target_date"].dtype == np.dtype("datetime64[ns]")
    assert set(progress["setting"]) == {"push_in", "pull_out"}
    # Sorted by goal then date, as the contract delivers it.
    assert progress.equals(progress.sort_values(["goal_id", "date"], kind="stable"))


def test_app_pages_reads_the_router() -> None:
    pages = bench.app_pages(ROOT)
    assert pages and all(page.startswith("pages/") for page in pages)


def test_report_marks_misses() -> None:
    report = bench.Report(cores=2, runs=1, quick=False)
    report.figures.append(bench.Figure("fast", 0.5, "s", "<= 1 s", True))
    report.figures.append(bench.Figure("slow", 300.0, "ms", "<= 250 ms", False, extra="4.0x"))
    report.figures.append(bench.Figure("missing", None, "MB", "<= 600 MB", None))
    report.figures.append(bench.Figure("timed", 2.0, "s", "<= 1 s", False, extra="2.0x", cpu=1.5))
    text = report.markdown()
    assert "| fast | 0.500 s | <= 1 s | yes |" in text
    assert "| slow | 300.0 ms (4.0x) | <= 250 ms | **no** |" in text
    assert "| missing | not measured | <= 600 MB | n/a |" in text
    assert "| timed | 2.000 s (CPU 1.50 s; 2.0x) | <= 1 s | **no** |" in text
