"""The de-identified display on a projector, in a real browser (Debian's Chromium through
Playwright) against `streamlit run`, at 1280x720 and 1024x768.

A case manager picks a student and starts typing a rationale with the student's name, then
switches the de-identified display on. From then on no real name of the sample district may
appear anywhere: not in the visible text, and not in any widget's value (inputs, text areas,
select boxes, aria-valuetext, title, aria-label, placeholder). Switching pseudonyms to
initials keeps the same student; a reload and a new tab stay de-identified (the address
carries ?deid=...); the private finder finds a student by the real name and shows only the
pseudonym; every page is opened and read.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from appserver import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, streamlit_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("Caseload", "Student", "What-if", "Meeting", "Trainer", "Data")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TIMEOUT_MS = 90_000
VIEWPORTS = {"1280x720": (1280, 720), "1024x768": (1024, 768)}

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's Chromium is not installed", allow_module_level=True)

# Everything a person could read on the page or a widget holds, including text the screen
# reader sees (the caseload grid is drawn on a canvas; its accessible table is in the DOM).
EVERYTHING_SHOWN = """() => {
    const out = [document.title, document.body.innerText, document.body.textContent];
    for (const el of document.querySelectorAll('input, textarea, select, option')) {
        out.push(el.value || '');
    }
    const attributes = ['aria-valuetext', 'title', 'aria-label', 'placeholder', 'alt',
                        'aria-description'];
    for (const el of document.querySelectorAll('*')) {
        for (const name of attributes) {
            const value = el.getAttribute(name);
            if (value) out.push(value);
        }
    }
    return out.join('\\n');
}"""


@pytest.fixture(scope="module")
def names() -> list[str]:
    with (ROOT / "sample_data" / "students.csv").open(encoding="utf-8") as handle:
        return [row["name"] for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("privacy_db")) as running:
        yield running.url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def expected_label(name: str) -> str:
    """The pseudonym the app shows for a sample student (no salt is configured in tests)."""
    import pandas as pd

    from pushin_rules.present import privacy

    with (ROOT / "sample_data" / "students.csv").open(encoding="utf-8") as handle:
        students = pd.DataFrame(list(csv.DictReader(handle)))
    labels = privacy.display_labels(students, privacy.PSEUDONYM)
    student_id = students.loc[students["name"] == name, "student_id"].iloc[0]
    return str(labels[student_id])


def idle(tab) -> None:
    tab.wait_for_timeout(300)
    tab.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    tab.wait_for_timeout(300)


def go(tab, title: str) -> None:
    tab.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    idle(tab)
    sync_api.expect(tab.locator("h1").first).to_have_text(title)


def leaks(tab, names: list[str]) -> list[str]:
    shown = tab.evaluate(EVERYTHING_SHOWN)
    return sorted({name for name in names if name in shown})


def shot(tab, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def pick(tab, option: str) -> None:
    box = tab.get_by_role("combobox", name="Student").first
    box.click()
    box.fill(option)
    tab.get_by_role("option", name=option).first.click()
    idle(tab)


def every_page_is_clean(tab, names: list[str], tag: str) -> None:
    for title in PAGES:
        go(tab, title)
        assert "deid=" in tab.url, f"{title}: the address lost the de-identified setting"
        found = leaks(tab, names)
        assert found == [], f"{title} ({tag}) shows or holds {found}"
        shot(tab, f"privacy-{tag}-{title.lower().replace('-', '_')}")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_deidentified_display_leaks_no_name_even_after_a_reload(
    server: str, browser, names: list[str], viewport: str
) -> None:
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    try:
        tab.goto(server)
        idle(tab)
        student = names[0]
        go(tab, "Meeting")
        pick(tab, student)
        sync_api.expect(tab.locator("h2", has_text=student).first).to_be_visible()
        # A rationale typed before the switch, naming the student.
        tab.get_by_text("Choose differently").first.click()
        idle(tab)
        box = tab.get_by_label("Why the team chose differently (required)").first
        box.fill(f"{student}'s family asked for more time in class.")
        box.press("Tab")
        idle(tab)

        assert student in leaks(tab, names)  # the detector sees a name when one is there

        tab.get_by_text("De-identified display").click()
        idle(tab)
        assert "deid=pseudonyms" in tab.url
        found = leaks(tab, names)
        assert found == [], f"Meeting right after the switch shows or holds {found}"
        assert "family asked for more time" in tab.evaluate(EVERYTHING_SHOWN)
        heading = tab.locator("h2").first.inner_text()
        assert heading.startswith("Student ")

        # Pseudonyms -> initials keeps the same student.
        tab.get_by_text("Initials", exact=True).click()
        idle(tab)
        initials = ".".join(part[0] for part in student.split()) + "."
        sync_api.expect(tab.locator("h2").first).to_have_text(initials)
        assert "deid=initials" in tab.url
        assert leaks(tab, names) == []
        tab.get_by_text("Pseudonyms", exact=True).click()
        idle(tab)
        sync_api.expect(tab.locator("h2").first).to_have_text(heading)

        every_page_is_clean(tab, names, f"{viewport}-on")

        # A reload starts a new session: it must stay de-identified, on every page.
        tab.reload()
        idle(tab)
        assert "deid=pseudonyms" in tab.url
        assert leaks(tab, names) == []
        every_page_is_clean(tab, names, f"{viewport}-reloaded")

        # A new tab opened on the same address too.
        other = context.new_page()
        other.set_default_timeout(TIMEOUT_MS)
        other.goto(tab.url)
        idle(other)
        assert leaks(other, names) == []
        other.close()

        # Staff find a student privately: the real name typed, only the pseudonym shown.
        go(tab, "Student")
        wanted = names[1]
        finder = tab.locator("input[aria-label='Find a student by name or id']").first
        assert finder.get_attribute("type") == "password"
        finder.fill(wanted.lower())
        finder.press("Enter")
        idle(tab)
        assert leaks(tab, names) == []
        assert finder.input_value() == ""
        shot(tab, f"privacy-{viewport}-found")
        box = tab.locator("[data-testid='stSelectbox']").first
        shown = box.text_content() + " " + box.get_by_role("combobox").first.input_value()
        assert expected_label(wanted) in shown, shown
    finally:
        context.close()


def test_the_operator_default_starts_deidentified(
    tmp_path: Path, browser, names: list[str]
) -> None:
    with streamlit_server(
        tmp_path / "db", extra_env={"PUSHIN_DEIDENTIFIED_DEFAULT": "1"}
    ) as running:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        try:
            tab.goto(running.url)
            idle(tab)
            go(tab, "Meeting")
            assert tab.locator("h2").first.inner_text().startswith("Student ")
            assert leaks(tab, names) == []
            assert "deid=pseudonyms" in tab.url
        finally:
            context.close()
