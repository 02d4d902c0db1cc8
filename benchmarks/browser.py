"""Real-browser figures for `python -m pushin_rules bench`: Chromium (Playwright, Debian's
/usr/bin/chromium) against `streamlit run`, page-ready time measured in the browser.

Page-ready time: from the start of a navigation (the document's `performance.timeOrigin`) to
the moment Streamlit marks the app `[data-testid='stApp'][data-test-script-state=
'notRunning']` after a script run, read with a MutationObserver the page installs before any
of its own scripts run (so a run that starts and ends between two polls is not missed, and the
initial `notRunning` before the first run does not count). When a second run follows (the
router switching page), the last one that ends before the page stays quiet counts.

Nothing here imports streamlit or pushin_rules' pages: the app runs in child processes.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
EMPTY_SCRIPT = 'import streamlit as st\n\nst.title("x")\n'
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Installed in every document before its own scripts: records performance.now() (ms since the
# navigation started) each time a script run ends, from the attribute's own change records.
READY_WATCH = """
(() => {
  window.__pushinRuns = [];
  window.__pushinRan = false;
  const note = (value) => {
    if (value === null || value === undefined) return;
    if (value !== 'notRunning') { window.__pushinRan = true; return; }
    if (window.__pushinRan) { window.__pushinRuns.push(performance.now()); }
    window.__pushinRan = false;
  };
  const attach = (app) => {
    new MutationObserver((records) => {
      for (const record of records) note(record.oldValue);
      note(app.getAttribute('data-test-script-state'));
      // the last value noted twice (as current, then as the next record's old value) is
      // harmless: a notRunning after notRunning is not a run end.
    }).observe(app, {attributes: true, attributeOldValue: true,
                     attributeFilter: ['data-test-script-state']});
    note(app.getAttribute('data-test-script-state'));
  };
  const find = () => document.querySelector("[data-testid='stApp']");
  const start = () => {
    const app = find();
    if (app) { attach(app); return; }
    const outer = new MutationObserver(() => {
      const found = find();
      if (found) { outer.disconnect(); attach(found); }
    });
    outer.observe(document.documentElement || document, {childList: true, subtree: true});
  };
  if (document.documentElement) start();
  else document.addEventListener('readystatechange', start, {once: true});
})();
"""


@dataclass
class Served:
    url: str
    process: subprocess.Popen
    started: float  # time.perf_counter() when the process was started
    healthy: float  # ... when /_stcore/health first answered


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PUSHIN_DATABASE_URL", None)
    env.update(extra)
    return env


@contextlib.contextmanager
def serve(
    script: Path, env: Mapping[str, str], log: Path, timeout: float = 300.0
) -> Iterator[Served]:
    """`streamlit run script` from the source tree (its .streamlit/config.toml applies);
    yields once the health check answers; stops the process after."""
    port = free_port()
    argv = [sys.executable, "-m", "streamlit", "run", str(script)]
    argv += ["--server.headless", "true", "--server.port", str(port)]
    argv += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    out = log.open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=dict(env), cwd=str(ROOT), stdout=out, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{port}"
        while True:
            if process.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"streamlit exited before serving: {tail}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("streamlit did not answer its health check in time")
            time.sleep(0.1)
        yield Served(url, process, started, time.perf_counter())
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        out.close()


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))


def page_ready_ms(page: Any, url: str, timeout_s: float = 300.0, settle_ms: int = 400) -> float:
    """Navigate to `url`; milliseconds from the navigation's start until the script run that
    leaves the page quiet ended. Raises when the page shows an exception."""
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    page.wait_for_function(
        "window.__pushinRuns && window.__pushinRuns.length > 0", timeout=timeout_s * 1000
    )
    return settled(page, timeout_s, settle_ms)


def settled(page: Any, timeout_s: float = 300.0, settle_ms: int = 400) -> float:
    """After a run ended: wait until no new run started for `settle_ms`; the last run's end."""
    deadline = time.monotonic() + timeout_s
    seen = -1
    while time.monotonic() < deadline:
        page.wait_for_selector(IDLE, state="attached", timeout=timeout_s * 1000)
        runs = page.evaluate("window.__pushinRuns.length")
        if runs == seen:
            break
        seen = runs
        page.wait_for_timeout(settle_ms)
    if page.locator("[data-testid='stException']").count():
        text = page.locator("[data-testid='stException']").first.inner_text()[:300]
        raise RuntimeError(f"the page raised an exception: {text}")
    return float(page.evaluate("window.__pushinRuns[window.__pushinRuns.length - 1]"))


def new_page(browser: Any) -> Any:
    """A tab in a context of its own (a new Streamlit session), watching for run ends."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(READY_WATCH)
    return context.new_page()


def ready_in_new_tab(browser: Any, url: str) -> float:
    """page_ready_ms in a fresh tab and session, closed after."""
    page = new_page(browser)
    try:
        return page_ready_ms(page, url)
    finally:
        page.context.close()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmHWM for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def page_paths(pages: Sequence[str]) -> list[str]:
    """URL paths of app.py's pages: the default page at "/", the others by file stem."""
    return ["", *(Path(p).stem for p in pages[1:])]


def bench_empty(work: Path, runs: int) -> dict[str, Any]:
    """Page-ready times of an empty Streamlit page (`st.title("x")`), served and measured the
    same way as the app: the first navigation after start, then `runs` more."""
    from playwright.sync_api import sync_playwright

    script = work / "empty_page.py"
    script.write_text(EMPTY_SCRIPT, encoding="utf-8")
    with (
        serve(script, child_env(), work / "empty.log") as served,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        try:
            first = ready_in_new_tab(browser, served.url)
            times = [ready_in_new_tab(browser, served.url) for _ in range(max(runs, 3))]
        finally:
            browser.close()
    return {"first_ms": first, "ms": times}


def bench_app(data_dir: Path, pages: Sequence[str], runs: int, work: Path) -> dict[str, Any]:
    """The app serving the district stored in `data_dir` (SQLite, PUSHIN_DATA_DIR):

    - cold start: a fresh `streamlit run app.py`, the first page opened as soon as the health
      check answers (navigation to ready, and process start to ready);
    - each page: one navigation that fills its caches (reported), then `runs` timed ones,
      each a new browser tab (a new session), as a colleague opening the address would;
    - the server's peak memory (VmHWM) and CPU seconds after all of that.
    """
    from playwright.sync_api import sync_playwright

    env = child_env(PUSHIN_DATA_DIR=str(data_dir), PUSHIN_SEED="none")
    out: dict[str, Any] = {"pages": {}, "first": {}}
    with (
        serve(ROOT / "app.py", env, work / f"app-{data_dir.name}.log") as served,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        try:
            before = time.perf_counter()
            out["cold_ms"] = ready_in_new_tab(browser, served.url)
            out["cold_from_process_s"] = time.perf_counter() - served.started
            out["cold_health_s"] = served.healthy - served.started
            out["cold_wall_s"] = time.perf_counter() - before
            out["cold_cpu_s"] = cpu_seconds(served.process.pid)
            out["cold_rss_mb"] = peak_rss_mb(served.process.pid)
            for page_file, path in zip(pages, page_paths(pages), strict=True):
                url = f"{served.url}/{path}"
                out["first"][page_file] = ready_in_new_tab(browser, url)
                out["pages"][page_file] = [
                    ready_in_new_tab(browser, url) for _ in range(max(1, runs))
                ]
        finally:
            browser.close()
        out["rss_mb"] = peak_rss_mb(served.process.pid)
        out["cpu_s"] = cpu_seconds(served.process.pid)
    return out


def bench_cold(data_dir: Path, work: Path) -> dict[str, Any]:
    """The first page of a fresh `streamlit run app.py` whose data folder is empty: the app
    creates its database and seeds it from sample_data/ (PUSHIN_SEED left on)."""
    from playwright.sync_api import sync_playwright

    env = child_env(PUSHIN_DATA_DIR=str(data_dir))
    env.pop("PUSHIN_SEED", None)
    with (
        serve(ROOT / "app.py", env, work / "app-fresh.log") as served,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        try:
            cold_ms = ready_in_new_tab(browser, served.url)
        finally:
            browser.close()
        return {
            "cold_ms": cold_ms,
            "cold_cpu_s": cpu_seconds(served.process.pid),
            "rss_mb": peak_rss_mb(served.process.pid),
        }


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))
