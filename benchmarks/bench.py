"""Performance at district scale: `python -m pushin_rules bench [--quick] [--runs N]`.

Generates synthetic districts with the shipped generator (`synth.generate`) into a temporary
folder, then prints a Markdown table of median figures over `--runs` runs, with the machine's
core count:

- batch recommendation (reasons and tipping points included) of >= 100,000 services, in-process;
- progress analytics for 100,000 goals x 20 scores (2,000,000 scores), in-process;
- `python -m pushin_rules recommend` end to end on the 100,000-service folder, beside the time
  pandas alone takes to read the same files and write the same output (the floor for any CSV
  tool), and their ratio;
- server-side rerun time of every page at a 5,000-student district under AppTest, beside an
  empty Streamlit page in the same harness, and their ratio;
- peak memory (VmHWM) of a `streamlit run app.py` process serving the 5,000-student district
  after a headless browser opened every page.

Timings are printed, never asserted: CI machines are noisy. `--quick` uses small sizes for a
smoke run. Nothing here imports streamlit; the page and memory figures run the
app in child processes (`benchmarks/page_rerun.py`) and need the source tree (app.py, pages/).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent  # the source tree: app.py, pages/, benchmarks/
PACKAGE_DIR = ROOT / "pushin_rules"
SEED = 20240901

# Targets from the issue (2-core machine).
BATCH_TARGET_S = 1.0
PROGRESS_TARGET_S = 2.0
CLI_FLOOR_RATIO = 2.0  # issue 17 (round 2): <= 2x the pandas floor, time and peak memory
LOADER_READ_RATIO = 2.0  # the loader <= 2x pandas reading the same files
STORE_LOADER_RATIO = 2.0  # SQLite import / load back <= 2x the loader
COLD_START_TARGET_S = 5.0  # first page after a restart, 60,000 students
COLD_START_TARGET_MB = 1000.0
SAMPLE_EMPTY_RATIO = 2.0  # first page on the sample, fresh database, <= 2x an empty page
PAGE_EMPTY_RATIO = 3.0
PAGE_TARGET_MS = 250.0
MEMORY_TARGET_MB = 600.0


@dataclass(frozen=True)
class Sizes:
    services: int  # at least this many services for the batch and CLI figures
    goals: int  # progress analytics: goals x points scores
    points: int
    page_students: int  # the district the app serves for the page and memory figures
    browser: bool = True  # memory: a real server + Chromium (else the AppTest process's peak)
    students: int = 0  # the batch/CLI/store district: exactly this many students (0: by services)
    staff_tabs: int = 10  # several staff at once: concurrent Chromium tabs
    staff_students: int = 5_000


FULL = Sizes(services=100_000, goals=100_000, points=20, page_students=5_000, students=60_000)
QUICK = Sizes(
    services=2_000,
    goals=2_000,
    points=20,
    page_students=300,
    students=1_000,
    staff_tabs=2,
    staff_students=300,
)


@dataclass
class Figure:
    """One row of the table. `value` is in `unit` (s, ms or MB); None when not measured."""

    name: str
    value: float | None
    unit: str
    target: str
    met: bool | None
    extra: str = ""  # shown after the value, e.g. a ratio
    runs: list[float] = field(default_factory=list)
    cpu: float | None = None  # CPU seconds (user + sys) beside a wall time: less noisy

    def shown(self) -> str:
        if self.value is None:
            return "not measured"
        if self.unit == "s":
            text = f"{self.value:.3f} s"
        elif self.unit == "ms":
            text = f"{self.value:.1f} ms"
        elif self.unit == "MB":
            text = f"{self.value:.0f} MB"
        elif self.unit == "count":
            text = f"{self.value:.0f}"
        else:
            text = f"{self.value:.2f}{self.unit}"
        extra = "; ".join(
            part
            for part in (f"CPU {self.cpu:.2f} s" if self.cpu is not None else "", self.extra)
            if part
        )
        return f"{text} ({extra})" if extra else text


@dataclass
class Report:
    cores: int
    runs: int
    quick: bool
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [
            f"Cores: {self.cores} (os.cpu_count()); median of {self.runs} run(s)"
            + ("; --quick sizes (targets apply to the full run)" if self.quick else ""),
            "",
            "| figure | median | target | met? |",
            "| --- | --- | --- | --- |",
        ]
        for figure in self.figures:
            met = {True: "yes", False: "**no**", None: "n/a"}[figure.met]
            lines.append(f"| {figure.name} | {figure.shown()} | {figure.target} | {met} |")
        if self.notes:
            lines += ["", "Notes:"]
            lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines)


# --------------------------------------------------------------------------- helpers


def median_time(
    call: Callable[[], object],
    runs: int,
    budget: float = math.inf,
    cpu: list[float] | None = None,
) -> tuple[float, list[float]]:
    """Median wall time of up to `runs` calls, in seconds, and every time. Stops early (after
    at least one call) once the calls so far took more than `budget` seconds, so a figure
    far off its target cannot push the whole benchmark past its time limit. With `cpu`, the
    process CPU seconds (user + sys, all threads) of each call are appended to it: less
    sensitive than wall time to other work on the machine."""
    times: list[float] = []
    for _ in range(max(1, runs)):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(time.process_time() - start_cpu)
        if sum(times) > budget:
            break
    return statistics.median(times), times


def _children_cpu() -> float:
    """CPU seconds (user + sys) of the finished child processes so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PUSHIN_DATABASE_URL", None)
    env.update(extra)
    return env


def _run_child(argv: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        list(argv),
        env=env or _child_env(),
        cwd=str(cwd or ROOT),
        capture_output=True,
        text=True,
        check=False,
    )


# Runs a Python child (`-m module args` or `-c code args`) and, at its exit, writes its own
# peak resident memory (VmHWM) to stderr. ru_maxrss from wait4 would not do: Linux carries
# the parent's high-water mark into a forked child, and the bench itself holds a district.
_PEAK_WRAPPER = """
import atexit, runpy, sys
def _peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write("PUSHIN_VMHWM_KB " + line.split()[1] + "\\n")
atexit.register(_peak)
kind, target, *rest = sys.argv[1:]
sys.argv = [target, *rest]
if kind == "-m":
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    sys.argv[0] = "-c"
    exec(compile(target, "<child>", "exec"), {"__name__": "__main__"})
"""


def _measured_child(argv: Sequence[str], work: Path) -> dict[str, Any]:
    """Run a Python child process (`python -m ...` or `python -c ...`) to its end: wall and
    CPU seconds (user + sys) and its peak resident memory (VmHWM, MB), with its stdout and
    stderr."""
    argv = [argv[0], "-c", _PEAK_WRAPPER, *argv[1:]]
    out, err = work / "child.out", work / "child.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv), env=_child_env(), cwd=str(ROOT), stdout=stdout, stderr=stderr
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "returncode": process.returncode,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": _peak_kb(err.read_text(errors="replace")) * 1024 / 1e6,
        "stdout": out.read_text(errors="replace"),
        "stderr": err.read_text(errors="replace"),
    }


def _peak_kb(stderr: str) -> float:
    found = [line.split()[1] for line in stderr.splitlines() if line.startswith("PUSHIN_VMHWM_KB")]
    return float(found[-1]) if found else math.nan


def _fmt(count: int) -> str:
    return f"{count:,}"


# --------------------------------------------------------------------------- districts


def generate_district(
    min_services: int, out_dir: Path, seed: int = SEED, students: int = 0
) -> dict[str, int]:
    """Write a synthetic district with at least `min_services` services (or, with `students`,
    exactly that many students) to `out_dir`; return the row count of each file and the
    generation time (key "seconds")."""
    from pushin_rules.data import synth

    start = time.perf_counter()
    if students:
        frames = synth.generate(students, seed)
        synth.write(frames, out_dir)
        counts = {name.removesuffix(".csv"): len(frame) for name, frame in frames.items()}
        counts["seconds"] = time.perf_counter() - start  # type: ignore[assignment]
        return counts
    probe = synth.generate(2_000, seed)
    per_student = len(probe["services.csv"]) / len(probe["students.csv"])
    students = max(10, math.ceil(min_services / per_student * 1.02))
    while True:
        frames = synth.generate(students, seed)
        services = len(frames["services.csv"])
        if services >= min_services:
            break
        students = math.ceil(students * min_services / services * 1.01)
    synth.write(frames, out_dir)
    counts = {name.removesuffix(".csv"): len(frame) for name, frame in frames.items()}
    counts["seconds"] = time.perf_counter() - start  # type: ignore[assignment]
    return counts


def progress_frames(goals: int, points: int, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exactly `goals` goals with `points` weekly scores each (goals, progress frames with the
    loader's dtypes): one setting change half way, a fifth of the goals decrease goals."""
    rng = np.random.default_rng(seed)
    width = len(str(goals))
    ids = np.array([f"G{i:0{width}d}" for i in range(1, goals + 1)], dtype=object)
    start = np.datetime64("2024-09-02", "D") + rng.integers(0, 28, goals).astype("timedelta64[D]")
    decrease = rng.random(goals) < 0.2
    baseline = rng.uniform(10.0, 50.0, goals)
    slope = rng.normal(1.0, 0.8, goals)
    goal_frame = pd.DataFrame(
        {
            "goal_id": ids,
            "service_id": ids,
            "description": "",
            "measure": "percent correct",
            "direction": np.where(decrease, "decrease", "increase").astype(object),
            "target": np.where(decrease, baseline - 20.0, baseline + 30.0),
            "target_date": (start + np.timedelta64(36 * 7, "D")).astype("datetime64[ns]"),
        }
    )
    week = np.tile(np.arange(points), goals)
    sign = np.where(np.repeat(decrease, points), -1.0, 1.0)
    score = (
        np.repeat(baseline, points)
        + sign * np.repeat(slope, points) * week
        + rng.normal(0.0, 4.0, goals * points)
    )
    settings = np.array(["pull_out", "push_in"], dtype=object)
    progress = pd.DataFrame(
        {
            "goal_id": np.repeat(ids, points),
            "date": (np.repeat(start, points) + (week * 7).astype("timedelta64[D]")).astype(
                "datetime64[ns]"
            ),
            "score": score.round(1),
            "setting": settings[(week >= points // 2).astype(np.int8)],
        }
    )
    return goal_frame, progress


# --------------------------------------------------------------------------- in-process


def bench_batch(
    district: Any, runs: int, cpu: list[float] | None = None
) -> tuple[float, list[float], pd.DataFrame]:
    """Median time of the engine's batch recommendation (`score_frame`: scores, split,
    confidence, reasons, feasibility notes, tipping points) over every service, with the
    progress evidence computed beforehand: the progress analytics have their own figure."""
    from pushin_rules.decide.engine import progress_evidence, score_frame
    from pushin_rules.decide.progress import goal_summary
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    evidence = progress_evidence(district.services, goal_summary(district, rules.progress), rules)
    out: list[pd.DataFrame] = []
    median, times = median_time(
        lambda: out.append(score_frame(district.services, rules, evidence)),
        runs,
        budget=20.0,
        cpu=cpu,
    )
    return median, times, out[-1]


def bench_recommend_district(district: Any, runs: int) -> tuple[float, list[float]]:
    """Median time of `recommend_district` (progress summary of every goal, evidence, scores,
    LRE): what the app computes once per district and rule set, then caches."""
    from pushin_rules.decide.recommend import recommend_district
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    return median_time(lambda: recommend_district(district, rules), runs, budget=30.0)


def batch_breakdown(district: Any) -> dict[str, float]:
    """One timed call of each stage of `recommend_district` (seconds), to say where the
    batch time goes: goal_summary, progress_evidence, score_frame."""
    from pushin_rules.decide.engine import progress_evidence, score_frame
    from pushin_rules.decide.progress import goal_summary
    from pushin_rules.decide.rules import load_rules

    rules = load_rules()
    found: dict[str, Any] = {}

    def stage(name: str, call: Callable[[], object]) -> None:
        start = time.perf_counter()
        found[name] = call()
        found[name + "_s"] = time.perf_counter() - start

    stage("summary", lambda: goal_summary(district, rules.progress))
    stage("evidence", lambda: progress_evidence(district.services, found["summary"], rules))
    stage("scores", lambda: score_frame(district.services, rules, found["evidence"]))
    return {k.removesuffix("_s"): v for k, v in found.items() if k.endswith("_s")}


def bench_progress(
    goals: pd.DataFrame,
    progress: pd.DataFrame,
    runs: int,
    trend: str | None = None,
    budget: float = 15.0,
    cpu: list[float] | None = None,
) -> tuple[float, list[float]]:
    """Median time of `progress.goal_summary` over the frames, with the rules' default trend."""
    from pushin_rules.data.district import District
    from pushin_rules.decide import progress as progress_module

    district = dataclasses.replace(District.empty(), goals=goals, progress=progress)
    settings = progress_module.default_settings()
    return median_time(
        lambda: progress_module.goal_summary(district, settings, trend), runs, budget, cpu
    )


# --------------------------------------------------------------------------- command line

_FLOOR = """
import pickle, sys, time
from pathlib import Path
import pandas as pd
data, like, out = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
frames = [pd.read_csv(p) for p in sorted(data.glob("*.csv"))]
start = time.perf_counter()
with open(like, "rb") as handle:
    output = pickle.load(handle)
aside = time.perf_counter() - start
output.to_csv(out, index=False)
print(aside)
"""


def bench_cli(data_dir: Path, work: Path, runs: int, budget: float = 60.0) -> dict[str, Any]:
    """`python -m pushin_rules recommend` as a subprocess, and the pandas floor the same way.

    The floor process imports pandas, reads every CSV of the folder with `pd.read_csv`, and
    writes recommend's own output (rows, columns and values; loaded from a pickle, whose load
    time is subtracted) with `DataFrame.to_csv`.
    """
    out = work / "recommend_out.csv"
    argv = [sys.executable, "-m", "pushin_rules", "recommend", "--data", str(data_dir)]
    argv += ["--out", str(out)]
    times: list[float] = []
    cpu: list[float] = []
    rss: list[float] = []
    for _ in range(max(1, runs)):
        done = _measured_child(argv, work)
        if done["returncode"] != 0:
            raise RuntimeError(f"recommend failed ({done['returncode']}): {done['stderr'][-2000:]}")
        times.append(done["wall"])
        cpu.append(done["cpu"])
        rss.append(done["rss_mb"])
        if sum(times) > budget:
            break
    written = pd.read_csv(out, low_memory=False)
    like = work / "recommend_out.pkl"
    written.to_pickle(like)
    floor_out = work / "floor_out.csv"
    floor_times: list[float] = []
    floor_cpu: list[float] = []
    floor_rss: list[float] = []
    for _ in range(max(1, runs)):
        done = _measured_child(
            [sys.executable, "-c", _FLOOR, str(data_dir), str(like), str(floor_out)], work
        )
        if done["returncode"] != 0:
            raise RuntimeError(f"pandas floor failed: {done['stderr'][-2000:]}")
        aside = float(done["stdout"].strip().splitlines()[-1])
        floor_times.append(done["wall"] - aside)
        floor_cpu.append(done["cpu"] - aside)
        floor_rss.append(done["rss_mb"])
        if sum(floor_times) > budget:
            break
    return {
        "recommend": statistics.median(times),
        "recommend_runs": times,
        "floor": statistics.median(floor_times),
        "floor_runs": floor_times,
        "recommend_cpu": statistics.median(cpu),
        "floor_cpu": statistics.median(floor_cpu),
        "recommend_rss": max(rss),
        "floor_rss": max(floor_rss),
        "rows": len(written),
        "columns": len(written.columns),
        "recommend_bytes": out.stat().st_size,
        "floor_bytes": floor_out.stat().st_size,
        "input_bytes": sum(p.stat().st_size for p in data_dir.glob("*.csv")),
    }


# --------------------------------------------------------------------------- pages


def app_pages(root: Path = ROOT) -> list[str]:
    """The page files app.py routes to, in its order (read from its st.Page calls)."""
    import re

    text = (root / "app.py").read_text(encoding="utf-8")
    return re.findall(r"""st\.Page\(\s*["']([^"']+\.py)["']""", text)


def store_district(district_dir: Path, data_dir: Path) -> str:
    """Import the district folder into a SQLite store in `data_dir`; return a student_id."""
    from pushin_rules.data.loader import load_district
    from pushin_rules.data.store import Store, database_url

    district = load_district(district_dir)
    previous = os.environ.get("PUSHIN_DATA_DIR")
    os.environ["PUSHIN_DATA_DIR"] = str(data_dir)
    try:
        url = database_url(None)
    finally:
        if previous is None:
            os.environ.pop("PUSHIN_DATA_DIR", None)
        else:
            os.environ["PUSHIN_DATA_DIR"] = previous
    store = Store.open(url, seed_dir=None)
    try:
        store.import_district(district, mode="replace", actor="bench")
    finally:
        store.close()
    with_services = district.services["student_id"]
    if len(with_services):
        return str(with_services.iloc[0])
    return str(district.students["student_id"].iloc[0])


def bench_pages(district_dir: Path, data_dir: Path, runs: int) -> dict[str, Any]:
    """Run `benchmarks/page_rerun.py` in a child process against the stored district."""
    student_id = store_district(district_dir, data_dir)
    script = ROOT / "benchmarks" / "page_rerun.py"
    argv = [sys.executable, str(script), "--student", student_id, "--runs", str(runs)]
    done = _run_child(argv, env=_child_env(PUSHIN_DATA_DIR=str(data_dir), PUSHIN_SEED="none"))
    if done.returncode != 0:
        raise RuntimeError(f"page_rerun.py failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- memory


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set size) of a process, in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmHWM for process {pid}")


# --------------------------------------------------------------------------- the run


def run(sizes: Sizes, runs: int, say: Callable[[str], None] = print) -> Report:
    """Measure every figure; `say` gets progress lines. Returns the report (not printed)."""
    report = Report(cores=os.cpu_count() or 1, runs=runs, quick=sizes != FULL)
    work = Path(tempfile.mkdtemp(prefix="pushin_bench_"))
    before = os.getloadavg()[0]
    try:
        _run_all(sizes, runs, work, report, say)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = os.getloadavg()[0]
    report.notes.append(
        f"Load average (1 min) {before:.2f} at the start, {after:.2f} at the end, on "
        f"{report.cores} cores; other work on the machine inflates every figure."
    )
    return report


def _failed(report: Report, name: str, unit: str, target: str, error: BaseException) -> None:
    report.figures.append(Figure(name, None, unit, target, None))
    report.notes.append(f"{name}: not measured: {type(error).__name__}: {error}")


def _run_all(sizes: Sizes, runs: int, work: Path, report: Report, say: Callable) -> None:
    big = work / "district_big"
    say(f"generating a district of {_fmt(sizes.students)} students ...")
    counts = generate_district(sizes.services, big, students=sizes.students)
    report.notes.append(
        f"Batch/CLI district (synth.generate, seed {SEED}): {_fmt(counts['students'])} "
        f"students, {_fmt(counts['services'])} services, {_fmt(counts['goals'])} goals, "
        f"{_fmt(counts['progress'])} progress points; generated and written in "
        f"{counts['seconds']:.1f} s (not measured)."
    )
    services = counts["services"]

    # 1. batch recommendation, in-process
    name = (
        f"Batch recommendation of {_fmt(services)} services (scores, split, reasons, "
        "tipping points), in-process"
    )
    target = f"<= {BATCH_TARGET_S:g} s"
    try:
        from pushin_rules.data.loader import load_district

        say("loading it in-process ...")
        start = time.perf_counter()
        district = load_district(big)
        load_s = time.perf_counter() - start
        say("timing score_frame ...")
        cpu: list[float] = []
        median, times, recs = bench_batch(district, runs, cpu)
        report.figures.append(
            Figure(name, median, "s", target, median <= BATCH_TARGET_S, runs=times)
        )
        say("timing recommend_district ...")
        whole, whole_times = bench_recommend_district(district, runs)
        report.figures.append(
            Figure(
                f"`recommend_district` (progress summary + evidence + scores + LRE), "
                f"{_fmt(services)} services",
                whole,
                "s",
                "(reference: computed once per district and rule set, then cached)",
                None,
                runs=whole_times,
            )
        )
        try:
            parts = batch_breakdown(district)
            breakdown = "; one call of each stage: " + ", ".join(
                f"{name} {seconds:.3f} s" for name, seconds in parts.items()
            )
        except Exception as error:  # the stages are internal; the figure does not need them
            breakdown = f"; stage breakdown failed: {type(error).__name__}: {error}"
        wanted = [c for c in recs.columns if "reason" in c or "tipping" in c]
        report.notes.append(
            f"Batch: `score_frame` -> {_fmt(len(recs))} rows x {len(recs.columns)} "
            f"columns (reasons/tipping-point columns: {', '.join(wanted) or 'none found'}); "
            f"runs {_runs(times)} (CPU {_runs(cpu)}){breakdown} (goal_summary: the district's "
            f"{_fmt(counts['goals'])} goals, for the progress evidence); loading the folder "
            f"with `load_district` took {load_s:.2f} s (not part of the figure)."
        )
        del district, recs
    except Exception as error:
        _failed(report, name, "s", target, error)

    # 2. progress analytics, in-process
    points = sizes.goals * sizes.points
    name = f"Progress analytics, {_fmt(sizes.goals)} goals x {sizes.points} points, in-process"
    target = f"<= {PROGRESS_TARGET_S:g} s"
    try:
        say(f"building {_fmt(points)} progress points and timing goal_summary ...")
        goals, progress = progress_frames(sizes.goals, sizes.points)
        cpu = []
        median, times = bench_progress(goals, progress, runs, cpu=cpu)
        report.figures.append(
            Figure(name, median, "s", target, median <= PROGRESS_TARGET_S, runs=times)
        )
        from pushin_rules.decide.progress import TRENDS, default_settings

        default = default_settings().default_trend
        others = []
        for trend in TRENDS:
            if trend != default:
                other, _ = bench_progress(goals, progress, 1, trend)
                others.append(f"{trend} {other:.3f} s")
        report.notes.append(
            f"Progress: a frame of exactly {_fmt(sizes.goals)} goals x {sizes.points} points "
            f"({_fmt(points)} scores) built with numpy in the bench (the generator's goals have "
            f"a varying number of points); `goal_summary` with the default trend ({default}), "
            f"runs {_runs(times)} (CPU {_runs(cpu)}); other trends: {', '.join(others)}."
        )
        del goals, progress
    except Exception as error:
        _failed(report, name, "s", target, error)

    # 3. recommend end to end vs the pandas floor
    name = f"`python -m pushin_rules recommend`, {_fmt(services)} services, end to end"
    try:
        say("timing `python -m pushin_rules recommend` and the pandas floor ...")
        cli = bench_cli(big, work, runs)
        ratio = cli["recommend"] / cli["floor"]
        cpu_ratio = cli["recommend_cpu"] / cli["floor_cpu"]
        report.figures.append(
            Figure(
                name,
                cli["recommend"],
                "s",
                f"<= {CLI_FLOOR_RATIO:g}x the pandas floor",
                ratio <= CLI_FLOOR_RATIO,
                extra=f"{ratio:.2f}x the floor; CPU {cpu_ratio:.2f}x",
                runs=cli["recommend_runs"],
                cpu=cli["recommend_cpu"],
            )
        )
        report.figures.append(
            Figure(
                "pandas floor: read the same CSV files, write the same output",
                cli["floor"],
                "s",
                "(reference)",
                None,
                runs=cli["floor_runs"],
                cpu=cli["floor_cpu"],
            )
        )
        memory_ratio = cli["recommend_rss"] / cli["floor_rss"]
        report.figures.append(
            Figure(
                f"Peak memory of `recommend` (VmHWM), {_fmt(services)} services",
                cli["recommend_rss"],
                "MB",
                f"<= {CLI_FLOOR_RATIO:g}x the pandas floor's",
                memory_ratio <= CLI_FLOOR_RATIO,
                extra=f"{memory_ratio:.2f}x the floor's {cli['floor_rss']:.0f} MB",
            )
        )
        report.notes.append(
            f"CLI: input {cli['input_bytes'] / 1e6:.1f} MB in {len(list(big.glob('*.csv')))} "
            f"CSV files; output {_fmt(cli['rows'])} rows x {cli['columns']} columns "
            f"({cli['recommend_bytes'] / 1e6:.1f} MB; the floor wrote "
            f"{cli['floor_bytes'] / 1e6:.1f} MB). Both are timed as subprocesses, interpreter "
            f"start included; recommend runs {_runs(cli['recommend_runs'])}, floor runs "
            f"{_runs(cli['floor_runs'])}; median CPU (user + sys) recommend "
            f"{cli['recommend_cpu']:.2f} s, floor {cli['floor_cpu']:.2f} s "
            f"({cli['recommend_cpu'] / cli['floor_cpu']:.2f}x)."
        )
    except Exception as error:
        _failed(report, name, "s", f"<= {CLI_FLOOR_RATIO:g}x the pandas floor", error)

    store_dir = work / "store_big"
    _loader_and_store(big, store_dir, counts, report, say)
    shutil.rmtree(big, ignore_errors=True)
    empty = _browser_empty(work, runs, report, say) if sizes.browser else None
    if sizes.browser and (store_dir / "pushin.db").is_file():
        _browser_figures(store_dir, counts["students"], 1, work, report, say, empty, cold=True)
    shutil.rmtree(store_dir, ignore_errors=True)
    _pages_and_memory(sizes, runs, work, report, say, empty)
    if sizes.browser:
        _sample_first_page(work, report, say, empty)
        _staff_figures(sizes, work, report, say)


def _pages_and_memory(
    sizes: Sizes,
    runs: int,
    work: Path,
    report: Report,
    say: Callable,
    empty: dict[str, Any] | None = None,
):
    small = work / "district_pages"
    data_dir = work / "data"
    page_target = f"<= {PAGE_TARGET_MS:g} ms and <= {PAGE_EMPTY_RATIO:g}x empty"
    memory_name = f"App peak memory (VmHWM), {_fmt(sizes.page_students)} students"
    memory_target = f"<= {MEMORY_TARGET_MB:g} MB"
    if not (ROOT / "app.py").is_file():
        error = FileNotFoundError(f"{ROOT / 'app.py'} (run from the source tree)")
        _failed(report, "Page reruns", "ms", page_target, error)
        _failed(report, memory_name, "MB", memory_target, error)
        return
    from pushin_rules.data import synth

    frames = synth.generate(sizes.page_students, SEED)
    synth.write(frames, small)
    report.notes.append(
        f"App district: {_fmt(len(frames['students.csv']))} students, "
        f"{_fmt(len(frames['services.csv']))} services, {_fmt(len(frames['goals.csv']))} goals, "
        f"{_fmt(len(frames['progress.csv']))} progress points, in a SQLite store "
        "(PUSHIN_DATA_DIR)."
    )
    del frames

    pages: dict[str, Any] = {}
    try:
        say(f"timing page reruns at {_fmt(sizes.page_students)} students (AppTest) ...")
        pages = bench_pages(small, data_dir, runs)
        empty_ms = statistics.median(pages["empty"]) * 1000
        report.figures.append(
            Figure(
                "Empty Streamlit page rerun (AppTest, same harness)",
                empty_ms,
                "ms",
                "(reference)",
                None,
                runs=pages["empty"],
            )
        )
        if pages.get("chrome"):
            chrome_ms = statistics.median(pages["chrome"]) * 1000
            report.figures.append(
                Figure(
                    "app.py chrome (router, sidebar) around an empty page (AppTest)",
                    chrome_ms,
                    "ms",
                    "(reference)",
                    None,
                    extra=f"{chrome_ms / empty_ms:.1f}x empty" if empty_ms else "",
                    runs=pages["chrome"],
                )
            )
        for page in app_pages():
            name = f"Page rerun: {page}, {_fmt(sizes.page_students)} students"
            times = pages["pages"].get(page)
            if times is None:
                report.figures.append(Figure(name, None, "ms", page_target, None))
                continue
            ms = statistics.median(times) * 1000
            ratio = ms / empty_ms if empty_ms else math.inf
            met: bool | None = ms <= PAGE_TARGET_MS and ratio <= PAGE_EMPTY_RATIO
            extra = f"{ratio:.1f}x empty"
            harness_ms = pages.get("harness", {}).get(page)
            if harness_ms is not None:
                extra += f"; {harness_ms * 1000:.0f} ms of it AppTest compile + tree parse"
            if page in pages["errors"]:
                met, extra = None, extra + "; the page raised an exception, see notes"
            report.figures.append(Figure(name, ms, "ms", page_target, met, extra=extra, runs=times))
        first = ", ".join(f"{Path(p).stem} {s * 1000:.0f} ms" for p, s in pages["first"].items())
        report.notes.append(
            f"Pages: app.py cold start (store open, load, scoring, progress) "
            f"{pages['cold_start']:.2f} s; first run after switching to each page (not part "
            f"of the figures): {first}. Page figures are the median of reruns of an "
            "unchanged page, i.e. what every widget interaction costs the server before any "
            "fragment scoping; runs: "
            + ", ".join(f"{Path(p).stem} {_runs(t)}" for p, t in pages["pages"].items())
            + "."
        )
        if pages["errors"]:
            report.notes.append(
                f"Pages not measured or raising an exception under AppTest: {pages['errors']}"
            )
        report.notes.append(
            f"AppTest overhead: the empty page reruns in {empty_ms:.1f} ms, so the 3x-empty "
            f"target is {empty_ms * PAGE_EMPTY_RATIO:.1f} ms; app.py's own chrome (sign-in "
            "gate, sidebar reading the cached district) around an empty page is the second "
            "reference row. 'ms of it AppTest compile + tree parse' is time AppTest spends "
            "that a server rerun does not: it compiles app.py and the page anew on every run "
            "(a fresh ScriptCache per run; the server keeps its bytecode) and parses every "
            "message into its element tree (measured by wrapping those two calls)."
        )
    except Exception as error:
        _failed(report, "Page reruns", "ms", page_target, error)

    try:
        if not sizes.browser:
            raise RuntimeError("--quick skips the browser run")
        if not (data_dir / "pushin.db").is_file():
            raise RuntimeError("no stored district (the page step failed)")
        memory = _browser_figures(
            data_dir, sizes.page_students, min(runs, 2), work, report, say, empty, cold=False
        )
        report.figures.append(
            Figure(
                memory_name,
                memory["rss_mb"],
                "MB",
                memory_target,
                memory["rss_mb"] <= MEMORY_TARGET_MB,
            )
        )
        report.notes.append(
            "Memory: VmHWM of the `streamlit run app.py` process after headless Chromium opened "
            "every page (the first visit and the timed ones) and each finished running."
        )
    except Exception as error:
        if pages.get("rss_mb"):
            report.figures.append(
                Figure(
                    memory_name + " (AppTest process)",
                    pages["rss_mb"],
                    "MB",
                    memory_target,
                    pages["rss_mb"] <= MEMORY_TARGET_MB,
                )
            )
            report.notes.append(
                f"Memory: no browser run ({type(error).__name__}: {error}); the figure "
                "is the VmHWM of the AppTest process that ran every page."
            )
        else:
            _failed(report, memory_name, "MB", memory_target, error)


def _loader_and_store(
    folder: Path, store_dir: Path, counts: dict[str, Any], report: Report, say: Callable
) -> None:
    """The loader beside pandas reading the same files; a SQLite import of what it loaded and
    the load back, each beside the loader (in-process, one run each: they are long)."""
    import gc

    from pushin_rules.data.loader import load_district
    from pushin_rules.data.store import Store

    students = _fmt(counts["students"])
    files = sorted(folder.glob("*.csv"))
    name = f"Loader (`load_district`, every check), {students} students"
    target = f"<= {LOADER_READ_RATIO:g}x pandas reading the files"
    try:
        say("timing pandas reading the CSV files, then the loader ...")
        cpu: list[float] = []
        read_s, _ = median_time(lambda: [pd.read_csv(p) for p in files], 1, cpu=cpu)
        read_cpu = cpu[-1]
        gc.collect()
        found: list[Any] = []
        load_s, _ = median_time(lambda: found.append(load_district(folder)), 1, cpu=cpu)
        load_cpu = cpu[-1]
        ratio = load_s / read_s
        report.figures.append(
            Figure(
                name,
                load_s,
                "s",
                target,
                ratio <= LOADER_READ_RATIO,
                extra=f"{ratio:.2f}x pandas; CPU {load_cpu / read_cpu:.2f}x",
                cpu=load_cpu,
            )
        )
        report.figures.append(
            Figure(
                "pandas `read_csv` of the same files (default options)",
                read_s,
                "s",
                "(reference)",
                None,
                cpu=read_cpu,
            )
        )
    except Exception as error:
        _failed(report, name, "s", target, error)
        return
    frames_mb = sum(f.memory_usage(deep=True).sum() for f in found[-1].frames().values()) / 1e6
    store_target = f"<= {STORE_LOADER_RATIO:g}x the loader"
    import_name = f"Import into SQLite (replace, one transaction), {students} students"
    back_name = f"Load back from SQLite into frames, {students} students"
    try:
        say("timing the SQLite import and the load back ...")
        store_dir.mkdir(parents=True, exist_ok=True)
        store = Store.open(f"sqlite:///{store_dir / 'pushin.db'}", seed_dir=None)
        try:
            import_s, _ = median_time(
                lambda: store.import_district(found[-1], mode="replace", actor="bench"),
                1,
                cpu=cpu,
            )
            import_cpu = cpu[-1]
            found.clear()
            gc.collect()
            back_s, _ = median_time(store.load_district, 1, cpu=cpu)
            back_cpu = cpu[-1]
        finally:
            store.close()
        for label, wall, used in (
            (import_name, import_s, import_cpu),
            (back_name, back_s, back_cpu),
        ):
            ratio = wall / load_s
            report.figures.append(
                Figure(
                    label,
                    wall,
                    "s",
                    store_target,
                    ratio <= STORE_LOADER_RATIO,
                    extra=f"{ratio:.2f}x the loader; CPU {used / load_cpu:.2f}x",
                    cpu=used,
                )
            )
        report.notes.append(
            f"Loader and store: {len(files)} CSV files of "
            f"{sum(p.stat().st_size for p in files) / 1e6:.0f} MB; the loaded district's "
            f"frames hold {frames_mb:.0f} MB (pandas deep memory_usage, which counts a shared "
            "text object once per cell). The import writes to a SQLite file in WAL mode with "
            "synchronous=FULL, so its wall time includes the disk's fsync; the load back reads "
            "the same file."
        )
    except Exception as error:
        _failed(report, import_name, "s", store_target, error)


def _browser_empty(work: Path, runs: int, report: Report, say: Callable) -> dict[str, Any] | None:
    """An empty Streamlit page in Chromium: the reference row for every page-ready figure."""
    from benchmarks import browser

    name = "Empty Streamlit page, page ready in Chromium (navigation to notRunning)"
    try:
        say("timing an empty Streamlit page in Chromium ...")
        empty = browser.bench_empty(work, runs)
        median = browser.median(empty["ms"])
        report.figures.append(
            Figure(
                name,
                median,
                "ms",
                "(reference)",
                None,
                extra=f"first page after its server started {empty['first_ms']:.0f} ms",
                runs=[t / 1000 for t in empty["ms"]],
            )
        )
        return {"median_ms": median, "first_ms": empty["first_ms"]}
    except Exception as error:
        _failed(report, name, "ms", "(reference)", error)
        return None


def _browser_figures(
    data_dir: Path,
    students: int,
    runs: int,
    work: Path,
    report: Report,
    say: Callable,
    empty: dict[str, Any] | None,
    cold: bool,
) -> dict[str, Any]:
    """Every page of the app in Chromium against `streamlit run` on a stored district: the
    first page after the server started, then each page (a fill-the-caches visit, then
    `runs` timed visits, each a new session); the server's peak memory. Returns the run."""
    from benchmarks import browser

    who = f"{_fmt(students)} students"
    say(f"timing every page in Chromium at {who} ...")
    app = browser.bench_app(data_dir, app_pages(), runs, work)
    base = empty["median_ms"] if empty else None
    cold_name = f"App first page after a restart (Chromium), {who}"
    if cold:
        met = app["cold_ms"] / 1000 <= COLD_START_TARGET_S
        report.figures.append(
            Figure(
                cold_name,
                app["cold_ms"] / 1000,
                "s",
                f"<= {COLD_START_TARGET_S:g} s",
                met,
                extra=f"server process CPU {app['cold_cpu_s']:.1f} s by then",
            )
        )
        report.figures.append(
            Figure(
                f"App peak memory after that first page (VmHWM), {who}",
                app["cold_rss_mb"],
                "MB",
                f"<= {COLD_START_TARGET_MB:g} MB",
                app["cold_rss_mb"] <= COLD_START_TARGET_MB,
            )
        )
    for page in app_pages():
        times = app["pages"][page]
        median = browser.median(times)
        extra = f"{median / base:.1f}x empty" if base else "no empty-page reference"
        report.figures.append(
            Figure(
                f"Page ready in Chromium: {page}, {who}",
                median,
                "ms",
                "(beside an empty page)",
                None,
                extra=extra,
                runs=[t / 1000 for t in times],
            )
        )
    first = ", ".join(f"{Path(p).stem} {ms / 1000:.1f} s" for p, ms in app["first"].items())
    report.notes.append(
        f"Chromium at {who}: the first page after the server started was ready "
        f"{app['cold_ms'] / 1000:.1f} s after navigation ({app['cold_from_process_s']:.1f} s "
        f"after the process started; health check after {app['cold_health_s']:.1f} s); the "
        f"server had used {app['cold_cpu_s']:.1f} CPU s by then and {app['cpu_s']:.1f} CPU s "
        f"after every page; first visit of each page (fills its caches, not in the figures): "
        f"{first}; peak memory {app['rss_mb']:.0f} MB after every page."
    )
    return app


def _sample_first_page(
    work: Path, report: Report, say: Callable, empty: dict[str, Any] | None
) -> None:
    """The first page on the bundled sample with a fresh database (the app seeds it), beside
    an empty Streamlit page's first page after its server started."""
    from benchmarks import browser

    name = "App first page on the bundled sample, fresh database (Chromium)"
    target = f"<= {SAMPLE_EMPTY_RATIO:g}x an empty page's first page"
    try:
        say("timing the first page on the bundled sample, fresh database ...")
        fresh = work / "fresh_sample"
        fresh.mkdir(parents=True, exist_ok=True)
        cold = browser.bench_cold(fresh, work)
        value = cold["cold_ms"]
        base = empty["first_ms"] if empty else None
        ratio = value / base if base else math.inf
        report.figures.append(
            Figure(
                name,
                value,
                "ms",
                target,
                ratio <= SAMPLE_EMPTY_RATIO if base else None,
                extra=(f"{ratio:.1f}x the empty page's {base:.0f} ms" if base else "")
                + f"; server CPU {cold['cold_cpu_s']:.1f} s by then",
            )
        )
    except Exception as error:
        _failed(report, name, "ms", target, error)


def _staff_figures(sizes: Sizes, work: Path, report: Report, say: Callable) -> None:
    """Several staff at once (benchmarks/staff.py): two app processes on one PostgreSQL."""
    from benchmarks import staff

    who = (
        f"{sizes.staff_tabs} concurrent tabs, 2 app processes, one PostgreSQL, "
        f"{_fmt(sizes.staff_students)} students"
    )
    name = f"Several staff: page ready p50 ({who})"
    try:
        say(f"several staff at once: {who} ...")
        found = staff.bench_staff(sizes.staff_students, sizes.staff_tabs, 2, work, SEED)
        if found["p50_ms"] is None:
            raise RuntimeError(f"no journey completed: {found['errors'][:3]}")
        steps = "; ".join(
            f"{step} p50 {p50 / 1000:.1f} s / p95 {p95 / 1000:.1f} s"
            for step, (p50, p95) in found["steps"].items()
        )
        report.figures.append(Figure(name, found["p50_ms"], "ms", "(reported)", None, extra=steps))
        report.figures.append(
            Figure(
                f"Several staff: page ready p95 ({who})",
                found["p95_ms"],
                "ms",
                "(reported)",
                None,
            )
        )
        report.figures.append(
            Figure(
                "Several staff: decisions recorded by either process seen on both "
                "processes' Student pages",
                found["seen"],
                "count",
                f"all {2 * found['tabs']} ({found['tabs']} decisions x 2 processes)",
                found["visible_in_all"],
                extra=f"of {found['checks']} looks: {found['not_seen']} not on the page, "
                f"{found['check_errors']} stopped by an error; {found['in_database']} of "
                f"{found['completed']} recorded journeys found in the database",
            )
        )
        report.notes.append(
            f"Several staff: {found['completed']} of {found['tabs']} meeting journeys completed "
            f"(open the Meeting page, pick a student, write who attended, record the decision) "
            f"in {found['journey_s']:.1f} s, tabs alternating between the two processes; "
            f"page-ready times over every step of every journey; district imported into "
            f"PostgreSQL (COPY) in {found['import_s']:.1f} s; app processes' peak memory "
            f"{', '.join(f'{m:.0f} MB' for m in found['rss_mb'])}, CPU "
            f"{', '.join(f'{c:.1f} s' for c in found['cpu_s'])}"
            + (
                f"; {len(found['errors'])} errors, the first: {found['errors'][0][:300]}"
                if found["errors"]
                else ""
            )
            + "."
        )
    except Exception as error:
        _failed(report, name, "ms", "(reported)", error)
        report.figures.append(
            Figure(f"Several staff: page ready p95 ({who})", None, "ms", "(reported)", None)
        )
        report.figures.append(
            Figure(
                "Several staff: decisions recorded by either process seen on both "
                "processes' Student pages",
                None,
                "count",
                "all",
                None,
            )
        )


def _runs(times: Sequence[float]) -> str:
    return "/".join(f"{t:.3f}" for t in times) + " s"


def run_staff(sizes: Sizes, say: Callable[[str], None] = print) -> Report:
    """Only the several-staff figures (`bench --staff`)."""
    report = Report(cores=os.cpu_count() or 1, runs=1, quick=sizes != FULL)
    work = Path(tempfile.mkdtemp(prefix="pushin_bench_"))
    before = os.getloadavg()[0]
    try:
        _staff_figures(sizes, work, report, say)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.notes.append(
        f"Load average (1 min) {before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end."
    )
    return report


def command(args: Any) -> int:
    """`python -m pushin_rules bench [--quick] [--runs N] [--staff]`: print the table."""
    sizes = QUICK if getattr(args, "quick", False) else FULL
    runs = max(1, int(getattr(args, "runs", 3) or 3))
    start = time.perf_counter()

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    staff_only = bool(getattr(args, "staff", False))
    report = run_staff(sizes, say) if staff_only else run(sizes, runs, say=say)
    print(report.markdown())
    print(f"\nBenchmark wall time: {time.perf_counter() - start:.0f} s")
    flags = (" --quick" if sizes is QUICK else "") + f" --runs {runs}"
    flags += " --staff" if getattr(args, "staff", False) else ""
    print(f"Reproduce: python -m pushin_rules bench{flags}")
    return 0
