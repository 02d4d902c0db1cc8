"""Every page reads at a glance at 1280x720 and 1024x768 (a laptop on a projector): no
sideways scrolling of the page, and no metric or widget label cut short with an ellipsis.
Debian's Chromium through Playwright against `streamlit run`; a screenshot of every page at
both sizes goes to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from appserver import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, streamlit_server

pytestmark = pytest.mark.browser

PAGES = ("Caseload", "Student", "What-if", "Meeting", "Trainer", "Data")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TIMEOUT_MS = 90_000
VIEWPORTS = {"1280x720": (1280, 720), "1024x768": (1024, 768)}

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's Chromium is not installed", allow_module_level=True)

# Wider than the window: the page itself, or the main area Streamlit scrolls.
SIDEWAYS = """() => {
    const found = [];
    const boxes = [document.scrollingElement,
                   document.querySelector("[data-testid='stMain']"),
                   document.querySelector("[data-testid='stAppViewContainer']")];
    for (const el of boxes) {
        if (el && el.scrollWidth > el.clientWidth + 1) {
            found.push(`${el.getAttribute('data-testid') || 'page'}: ` +
                       `${el.scrollWidth} > ${el.clientWidth}`);
        }
    }
    return found;
}"""

# Labels drawn narrower than their text (Streamlit cuts them with an ellipsis).
CLIPPED = """() => {
    const found = [];
    const selector = "[data-testid='stMetricLabel'] *, [data-testid='stWidgetLabel'] p, " +
                     "[data-testid='stMetricValue'] *";
    for (const el of document.querySelectorAll(selector)) {
        if (el.offsetParent === null) continue;  // hidden (a closed tab or expander)
        if (el.scrollWidth > el.clientWidth + 1) found.push(el.textContent.trim());
    }
    return [...new Set(found)];
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("layout_db")) as running:
        yield running.url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def idle(tab) -> None:
    tab.wait_for_timeout(300)
    tab.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    tab.wait_for_timeout(500)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pages_fit_the_window_and_keep_their_labels_whole(
    server: str, browser, viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    problems: dict[str, list[str]] = {}
    try:
        tab.goto(server)
        idle(tab)
        for title in PAGES:
            tab.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
            idle(tab)
            sync_api.expect(tab.locator("h1").first).to_have_text(title)
            found = [f"sideways: {s}" for s in tab.evaluate(SIDEWAYS)]
            found += [f"clipped: {label}" for label in tab.evaluate(CLIPPED)]
            if found:
                problems[title] = found
            ARTIFACTS.mkdir(exist_ok=True)
            name = title.lower().replace("-", "_")
            tab.screenshot(path=str(ARTIFACTS / f"layout-{viewport}-{name}.png"))
    finally:
        context.close()
    assert problems == {}, problems
