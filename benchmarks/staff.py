"""Several staff at once: `python -m pushin_rules bench --staff [--quick]`.

How a district serves its staff: more app processes behind its proxy, one database. This
starts a throwaway PostgreSQL cluster (as tests/pg_server.py does for the tests), imports a
synthetic district into it, starts two `streamlit run app.py` processes on it, and drives
concurrent Chromium tabs (half on each process) through the meeting journey:

1. open the Meeting page (navigation to page ready);
2. pick a student (the picker's run: action to page ready);
3. write who attended (a token unique to this tab) and record the decision (action to the
   page ready with "Recorded the decision" shown).

Then every recorded decision is looked for on the Student page of *both* processes (its
"Attended: ..." line), and the database is asked for them too. Page-ready times are measured
in the browser as in benchmarks/browser.py; p50/p95 over every step of every tab.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    READY_WATCH,
    ROOT,
    child_env,
    cpu_seconds,
    peak_rss_mb,
    serve,
)

TIMEOUT_MS = 300_000
SETTLE_MS = 400


def _pg_server_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "pushin_pg_server", ROOT / "tests" / "pg_server.py"
    )
    if spec is None or spec.loader is None:
        raise RuntimeError("tests/pg_server.py not found (run from the source tree)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share 0.5 = median, 0.95 = p95)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return float(ordered[rank - 1])


async def _settled(page: Any) -> float:
    """Wait until the page's runs have ended and no new one started for SETTLE_MS; the end
    of the last run in ms since the document's navigation started."""
    seen = -1
    while True:
        await page.wait_for_function(
            "window.__pushinRuns && window.__pushinRuns.length > 0", timeout=TIMEOUT_MS
        )
        await page.wait_for_selector(IDLE, state="attached", timeout=TIMEOUT_MS)
        runs = await page.evaluate("window.__pushinRuns.length")
        if runs == seen:
            break
        seen = runs
        await page.wait_for_timeout(SETTLE_MS)
    if await page.locator("[data-testid='stException']").count():
        text = await page.locator("[data-testid='stException']").first.inner_text()
        raise RuntimeError(f"the page raised an exception: {text[:300]}")
    return float(await page.evaluate("window.__pushinRuns[window.__pushinRuns.length - 1]"))


async def _act(page: Any, action: Any, shows: str | None = None) -> float:
    """Run a browser action that triggers a script run; ms from the action to page ready
    (with `shows`: ready once that text is on the page, e.g. after a fragment's own run
    asked for a run of the whole app)."""
    runs = await page.evaluate("window.__pushinRuns.length")
    start = await page.evaluate("performance.now()")
    await action()
    await page.wait_for_function(f"window.__pushinRuns.length > {runs}", timeout=TIMEOUT_MS)
    if shows is not None:
        await page.get_by_text(shows).first.wait_for(timeout=TIMEOUT_MS)
    return await _settled(page) - start


async def _pick(page: Any, name: str) -> float:
    """Choose the student by name; ms from the choice to page ready (0 when the picker
    already shows that student: choosing it again starts no run)."""
    box = page.get_by_role("combobox", name="Student").first
    if await box.input_value() == name:
        return 0.0

    async def choose() -> None:
        await box.click()
        await box.fill(name)
        await page.get_by_role("option", name=name, exact=True).first.click()

    return await _act(page, choose)


async def _journey(browser: Any, url: str, name: str, token: str) -> dict[str, float]:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    await context.add_init_script(READY_WATCH)
    page = await context.new_page()
    try:
        await page.goto(f"{url}/meeting", wait_until="commit", timeout=TIMEOUT_MS)
        opened = await _settled(page)
        picked = await _pick(page, name)
        await page.get_by_text("Meeting details for the record").first.click()
        attendees = page.get_by_label("Who attended (one per line)")

        async def write() -> None:
            await attendees.fill(token)
            await page.keyboard.press("Tab")

        await _act(page, write)

        async def record() -> None:
            await page.get_by_role("button", name="Record decision").first.click()

        recorded = await _act(page, record, shows="Recorded the decision")
        return {"open": opened, "pick": picked, "record": recorded}
    finally:
        await context.close()


async def _sees(browser: Any, url: str, name: str, token: str) -> bool:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    await context.add_init_script(READY_WATCH)
    page = await context.new_page()
    try:
        await page.goto(f"{url}/student", wait_until="commit", timeout=TIMEOUT_MS)
        await _settled(page)
        await _pick(page, name)
        return await page.get_by_text(f"Attended: {token}", exact=False).count() > 0
    finally:
        await context.close()


async def _drive(urls: Sequence[str], names: Sequence[str], tabs: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    run = uuid.uuid4().hex[:6]
    tokens = [f"Staff{i} bench {run}" for i in range(tabs)]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_ARGS)
        )
        try:
            start = time.perf_counter()
            journeys = await asyncio.gather(
                *(_journey(browser, urls[i % len(urls)], names[i], tokens[i]) for i in range(tabs)),
                return_exceptions=True,
            )
            journey_s = time.perf_counter() - start
            done = [i for i, j in enumerate(journeys) if isinstance(j, dict)]
            # One process at a time, its looks concurrent: as many tabs as the journeys had.
            checks = []
            for url in urls:
                checks += await asyncio.gather(
                    *(_sees(browser, url, names[i], tokens[i]) for i in done),
                    return_exceptions=True,
                )
        finally:
            await browser.close()
    # Per (process, tab): True seen, False not on the page, or the error that stopped the look.
    seen = dict(zip(((u, i) for u in urls for i in done), checks, strict=True))
    return {
        "journeys": journeys,
        "journey_s": journey_s,
        "tokens": tokens,
        "seen": seen,
        "errors": [repr(j) for j in journeys if not isinstance(j, dict)]
        + [repr(c) for c in checks if isinstance(c, BaseException)],
    }


def unique_names(district: Any, count: int) -> list[str]:
    """Names of students with services whose name no other student has (the picker finds
    them by name)."""
    students = district.students
    with_services = set(district.services["student_id"])
    counts = students["name"].value_counts()
    names = [
        name
        for sid, name in zip(students["student_id"], students["name"], strict=True)
        if sid in with_services and counts[name] == 1
    ]
    if len(names) < count:
        raise RuntimeError(f"only {len(names)} students with a unique name and services")
    return names[:count]


def bench_staff(students: int, tabs: int, processes: int, work: Path, seed: int) -> dict[str, Any]:
    """The whole multi-staff run; returns figures (ms) and the visibility check."""
    from pushin_rules.data import synth
    from pushin_rules.data.loader import load_district
    from pushin_rules.data.store import Store

    pg = _pg_server_module().start_server()
    try:
        folder = work / "district_staff"
        synth.write(synth.generate(students, seed), folder)
        district = load_district(folder)
        names = unique_names(district, tabs)
        url = pg.url("postgres")
        start = time.perf_counter()
        with Store.open(url, seed_dir=None) as store:
            store.import_district(district, mode="replace", actor="bench")
        import_s = time.perf_counter() - start
        env = child_env(PUSHIN_DATABASE_URL=url, PUSHIN_SEED="none")
        with contextlib.ExitStack() as stack:
            served = [
                stack.enter_context(serve(ROOT / "app.py", env, work / f"staff-app-{n}.log"))
                for n in range(processes)
            ]
            urls = [s.url for s in served]
            # Warm each process (district load + recommendations) before the clock starts:
            # the cold start has its own figure.
            asyncio.run(_warm(urls))
            driven = asyncio.run(_drive(urls, names, tabs))
            rss = [peak_rss_mb(s.process.pid) for s in served]
            cpu = [cpu_seconds(s.process.pid) for s in served]
        with Store.open(url, seed_dir=None) as store:
            stored = store.all_decisions()
        stored_attendees = {" ".join(record.attendees) for record in stored}
    finally:
        pg.stop()
    journeys = [j for j in driven["journeys"] if isinstance(j, dict)]
    steps = {step: [j[step] for j in journeys] for step in ("open", "pick", "record")}
    every = [v for values in steps.values() for v in values]
    recorded = [i for i, j in enumerate(driven["journeys"]) if isinstance(j, dict)]
    return {
        "students": students,
        "tabs": tabs,
        "processes": processes,
        "import_s": import_s,
        "completed": len(journeys),
        "p50_ms": percentile(every, 0.5) if every else None,
        "p95_ms": percentile(every, 0.95) if every else None,
        "steps": {k: (percentile(v, 0.5), percentile(v, 0.95)) for k, v in steps.items() if v},
        "journey_s": driven["journey_s"],
        "visible_in_all": all(v is True for v in driven["seen"].values()) and len(recorded) == tabs,
        "seen": sum(v is True for v in driven["seen"].values()),
        "not_seen": sum(v is False for v in driven["seen"].values()),
        "check_errors": sum(isinstance(v, BaseException) for v in driven["seen"].values()),
        "checks": len(driven["seen"]),
        "in_database": sum(driven["tokens"][i] in stored_attendees for i in recorded),
        "rss_mb": rss,
        "cpu_s": cpu,
        "errors": driven["errors"],
    }


async def _warm(urls: Sequence[str]) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_ARGS)
        )
        try:
            for url in urls:
                context = await browser.new_context()
                context.set_default_timeout(TIMEOUT_MS)
                await context.add_init_script(READY_WATCH)
                page = await context.new_page()
                await page.goto(f"{url}/meeting", wait_until="commit", timeout=TIMEOUT_MS)
                await _settled(page)
                await context.close()
        finally:
            await browser.close()


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))
