"""Child process of `python -m pushin_rules bench`: rerun every page of app.py under AppTest.

Expects PUSHIN_DATA_DIR to point at a stored district (the bench prepares it). Prints one line
of JSON: seconds per rerun of each page, of an empty page, the first run of each page and the
process's peak RSS.

    PUSHIN_DATA_DIR=/tmp/x PUSHIN_SEED=none python benchmarks/page_rerun.py --student S0001
    ... --profile /tmp/prof   # also one cProfile'd rerun per page: /tmp/prof/<page>.prof
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench import app_pages, median_time, peak_rss_mb  # noqa: E402

# Everything that drives Streamlit lives here, in the child process, never in pushin_rules.

# app.py's chrome (page config, sign-in gate, sidebar with the cached district and rule set)
# around an empty page: what every page pays before its own content. Mirrors app.py.
CHROME_SCRIPT = """
import streamlit as st
from pages import common

st.set_page_config(page_title="bench", layout="wide")
who = common.user()
if who is None:
    st.stop()
st.session_state["_access"] = who


def empty():
    st.title("x")


navigation = st.navigation([st.Page(empty, title="Empty", default=True)])
common.sidebar(who)
navigation.run()
"""


def page_reruns(
    root: Path,
    student_id: str,
    runs: int,
    page_budget: float = 8.0,
    profile_dir: Path | None = None,
) -> dict[str, Any]:
    """Rerun times of every page of root/app.py under AppTest, and of an empty page.

    Runs in the process that calls it (the child started by `bench_pages`), with
    PUSHIN_DATA_DIR already pointing at the stored district. Each page: switch to it and run
    once (warms its caches), then time up to `runs` further `.run()` calls (fewer once they
    took `page_budget` seconds). Returns seconds. With `profile_dir`, one more rerun of each
    page runs under cProfile and its stats are written to `profile_dir/<page>.prof`.
    """
    from streamlit.testing.v1 import AppTest

    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    os.chdir(root)
    result: dict[str, Any] = {"pages": {}, "first": {}, "errors": {}, "harness": {}}

    empty = AppTest.from_string("import streamlit as st\nst.title('x')\n", default_timeout=60)
    empty.run()
    result["empty"] = median_time(empty.run, max(runs, 5))[1]

    app = AppTest.from_file(str(root / "app.py"), default_timeout=300)
    app.session_state["student_id"] = student_id
    start = time.perf_counter()
    app.run()
    result["cold_start"] = time.perf_counter() - start
    for page in app_pages(root):
        if not (root / page).is_file():
            result["errors"][page] = "page file does not exist"
            continue
        app.switch_page(page)
        start = time.perf_counter()
        app.run()
        result["first"][page] = time.perf_counter() - start
        if app.exception:
            result["errors"][page] = str(app.exception[0].value)[:300]
        with _harness_clock() as harness:
            result["pages"][page] = median_time(app.run, runs, budget=page_budget)[1]
        result["harness"][page] = harness["seconds"] / max(1, len(result["pages"][page]))
        if profile_dir is not None:
            _profiled_run(app, profile_dir / f"{Path(page).stem}.prof")
    chrome = AppTest.from_string(CHROME_SCRIPT, default_timeout=300)
    chrome.run()  # the district and rule set are already cached in this process
    if chrome.exception:
        result["errors"]["chrome"] = str(chrome.exception[0].value)[:300]
    result["chrome"] = median_time(chrome.run, max(runs, 5))[1]
    result["rss_mb"] = peak_rss_mb(os.getpid())
    return result


@contextlib.contextmanager
def _harness_clock() -> Iterator[dict[str, float]]:
    """Seconds AppTest itself spends, beyond what a real server's rerun costs: it compiles
    the scripts anew on every run (a fresh ScriptCache per run; the server keeps one) and
    parses every message into its element tree. Measured by wrapping those two calls."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import local_script_runner

    spent = {"seconds": 0.0}
    compile_bytecode = ScriptCache.get_bytecode
    parse_tree = local_script_runner.parse_tree_from_messages

    def timed(call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                spent["seconds"] += time.perf_counter() - start

        return wrapper

    ScriptCache.get_bytecode = timed(compile_bytecode)  # type: ignore[method-assign]
    local_script_runner.parse_tree_from_messages = timed(parse_tree)
    try:
        yield spent
    finally:
        ScriptCache.get_bytecode = compile_bytecode  # type: ignore[method-assign]
        local_script_runner.parse_tree_from_messages = parse_tree


def _profiled_run(app: Any, out: Path) -> None:
    """One `app.run()` with cProfile enabled in the thread AppTest runs the script in."""
    import cProfile
    import threading

    profiler = cProfile.Profile()

    def start_in_thread(*_: object) -> None:
        sys.setprofile(None)
        profiler.enable()

    threading.setprofile(start_in_thread)
    try:
        app.run()
    finally:
        threading.setprofile(None)  # type: ignore[arg-type]
        profiler.disable()
    out.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(str(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", required=True, help="student_id to open on Student pages")
    parser.add_argument("--runs", type=int, default=3, help="timed reruns per page")
    parser.add_argument(
        "--profile", type=Path, default=None, help="write DIR/<page>.prof (cProfile, one rerun)"
    )
    args = parser.parse_args()
    print(json.dumps(page_reruns(ROOT, args.student, args.runs, profile_dir=args.profile)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
