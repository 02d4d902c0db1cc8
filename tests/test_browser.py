"""The app in a real browser (Debian's Chromium driven by Playwright) against `streamlit run`:
every page opens, a student can be picked, a rating change in what-if moves the
recommendation, a meeting decision appears in the student's history, the export dialog
downloads the summary, and de-identified mode leaves no student name in the page text.

Screenshots of every page at 1280x720 are written to test-artifacts/ (ignored by git).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from appserver import streamlit_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = {
    "Caseload": "caseload",
    "Student": "student",
    "What-if": "what_if",
    "Meeting": "meeting",
    "Trainer": "trainer",
    "Data": "data",
}
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TIMEOUT_MS = 90_000

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's Chromium is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("browser_db")) as running:
        yield running.url


@pytest.fixture(scope="module")
def tab(server: str) -> Iterator[object]:
    """One browser tab for the module: the tests run in order in one session, as a user
    would (the de-identified test comes last, since its switch stays on)."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = chromium.new_context(
            viewport={"width": 1280, "height": 720}, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(server)
        idle(page)
        yield page
        context.close()
        chromium.close()


@pytest.fixture(scope="module")
def names() -> list[str]:
    with (ROOT / "sample_data" / "students.csv").open(encoding="utf-8") as handle:
        return [row["name"] for row in csv.DictReader(handle)]


def idle(tab) -> None:
    """Wait until the script has finished its run (a short pause lets a rerun start first)."""
    tab.wait_for_timeout(300)
    tab.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    tab.wait_for_timeout(200)


def go(tab, title: str) -> None:
    """Open a page through the sidebar, keeping the session (and its switches)."""
    tab.locator("[data-testid='stSidebarNav'] a", has_text=title).first.click()
    idle(tab)
    expect = sync_api.expect
    expect(tab.locator("h1").first).to_have_text(title)


def shot(tab, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def no_errors(tab) -> None:
    assert tab.locator("[data-testid='stException']").count() == 0
    assert "Traceback" not in tab.locator("body").inner_text()


def pick(tab, label: str, option: str) -> None:
    box = tab.get_by_role("combobox", name=label).first
    box.click()
    box.fill(option)
    tab.get_by_role("option", name=option).first.click()
    idle(tab)


def test_every_page_opens_and_is_captured(tab) -> None:
    for title in PAGES:
        go(tab, title)
        no_errors(tab)
        shot(tab, PAGES[title])


def test_caseload_row_opens_the_student(tab) -> None:
    expect = sync_api.expect
    go(tab, "Caseload")
    grid = tab.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    # The grid is drawn on a canvas: click the selection box of the first row (rows and the
    # header are 35 px high).
    tab.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
    idle(tab)
    tab.get_by_role("button", name="Open student").click()
    idle(tab)
    expect(tab.locator("h1").first).to_have_text("Student")
    expect(tab.get_by_text("Recommended:").first).to_be_visible()


def test_a_failed_upload_changes_nothing(tab, tmp_path: Path) -> None:
    expect = sync_api.expect
    go(tab, "Data")
    before = tab.get_by_text("students,", exact=False).first.inner_text()
    bad = tmp_path / "students.csv"
    bad.write_text("student_id,name,grade,school_id\nS1,Ana,14,A\n", encoding="utf-8")
    tab.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(bad))
    idle(tab)
    tab.get_by_role("button", name="Check and load the uploaded files").click()
    idle(tab)
    expect(tab.get_by_text("Nothing was loaded").first).to_be_visible()
    assert tab.get_by_text("students,", exact=False).first.inner_text() == before
    shot(tab, "data-upload-refused")


def test_pick_a_student(tab, names: list[str]) -> None:
    go(tab, "Student")
    pick(tab, "Student", names[0])
    expect = sync_api.expect
    expect(tab.get_by_text("Speech-language therapy").first).to_be_visible()
    expect(tab.get_by_text("Recommended:").first).to_be_visible()
    no_errors(tab)


def test_what_if_rating_change_moves_the_recommendation(tab) -> None:
    expect = sync_api.expect
    go(tab, "What-if")
    tab.get_by_text("A blank service", exact=True).click()
    idle(tab)
    headline = tab.locator("h4").first
    expect(headline).to_contain_text("Push-in")
    slider = tab.get_by_role("slider", name="Intensity of instruction")
    slider.focus()
    for _ in range(3):
        tab.keyboard.press("ArrowRight")
    idle(tab)
    expect(headline).to_contain_text("Pull-out")
    expect(tab.get_by_text("Intensity of instruction: rated 0 → 3").first).to_be_visible()
    shot(tab, "what_if-changed")


def test_meeting_decision_appears_in_the_students_history(tab, names: list[str]) -> None:
    expect = sync_api.expect
    go(tab, "Meeting")
    pick(tab, "Student", names[1])
    tab.get_by_text("Meeting details for the record").click()
    tab.get_by_label("Who attended (one per line)").fill("Parent\nClassroom teacher")
    tab.keyboard.press("Tab")
    idle(tab)
    tab.get_by_role("button", name="Record decision").first.click()
    idle(tab)
    expect(tab.get_by_text("Recorded the decision").first).to_be_visible()
    go(tab, "Student")
    expect(tab.get_by_text("Attended: Parent, Classroom teacher.").first).to_be_visible()
    no_errors(tab)


def test_meeting_summary_downloads_from_the_dialog(tab, names: list[str]) -> None:
    expect = sync_api.expect
    go(tab, "Meeting")
    pick(tab, "Student", names[0])
    tab.get_by_role("button", name="Export meeting summary").click()
    dialog = tab.get_by_role("dialog")
    expect(dialog).to_be_visible()
    shot(tab, "meeting-export-dialog")
    with tab.expect_download() as markdown:
        dialog.get_by_role("button", name="Download Markdown").click()
    text = Path(markdown.value.path()).read_text(encoding="utf-8")
    assert text.startswith("# Meeting summary") and names[0] in text
    with tab.expect_download() as pdf:
        dialog.get_by_role("button", name="Download PDF").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    idle(tab)


def test_deidentified_mode_leaves_no_name_on_any_page(tab, names: list[str]) -> None:
    tab.get_by_text("De-identified display").click()
    idle(tab)
    for title in PAGES:
        go(tab, title)
        text = tab.locator("body").inner_text()
        found = [name for name in names if name in text]
        assert found == [], f"{title} shows {found}"
        shot(tab, f"{PAGES[title]}-deidentified")
