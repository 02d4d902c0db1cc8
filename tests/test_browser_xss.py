"""Student-entered text is shown literally: a name, a goal description and a decision
rationale holding a script, an image with an onerror handler and Markdown run nothing and
render no markup in a real browser; the text appears as written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from appserver import ARTIFACTS, chromium_available, launch_chromium, streamlit_server, wait_idle

from pushin_rules.data import synth
from pushin_rules.data.loader import load_district
from pushin_rules.data.store import DB_FILE_NAME, DecisionInput, Store
from pushin_rules.decide.progress import goal_summary
from pushin_rules.decide.rules import load_rules
from pushin_rules.present import meeting_form, student_view

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium"),
]

ATTACK = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
SHOWN = "<script>window.__pwned=1</script>"  # what the page must show, as text
BOLD = "**bold**"


def hostile_district(folder: Path) -> None:
    """A small synthetic district whose every name, goal description and rationale attacks."""
    frames = synth.generate(4, 7)
    students = frames["students.csv"]
    students["name"] = students["name"] + " " + ATTACK + " " + BOLD
    goals = frames["goals.csv"]
    goals["description"] = "Goal " + ATTACK + " " + BOLD
    synth.write(frames, folder)


def seed_store(data_dir: Path, folder: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(f"sqlite:///{data_dir / DB_FILE_NAME}", seed_dir=folder)
    try:
        district = store.load_district()
        assert ATTACK in district.students["name"].iloc[0]
        rules = load_rules(None)
        summary = goal_summary(district, rules.progress)
        for student_id in district.students["student_id"]:
            for rec in student_view.student_recommendations(district, rules, summary, student_id):
                fields = meeting_form.decision_fields(
                    rec,
                    decision="overridden",
                    attendees=["Parent " + ATTACK],
                    meeting_date=dt.date(2026, 10, 1),
                    recorded_by="local user",
                    model="push_in" if rec.recommendation.value != "push_in" else "pull_out",
                    rationale="Because " + ATTACK + " " + BOLD,
                )
                store.record_decision(DecisionInput.build(**fields))
    finally:
        store.close()


def test_student_text_is_shown_literally_and_runs_nothing(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    folder = tmp_path / "district"
    hostile_district(folder)
    assert ATTACK in load_district(folder).students["name"].iloc[0]
    data_dir = tmp_path / "data"
    seed_store(data_dir, folder)

    dialogs: list[str] = []
    with (
        streamlit_server(data_dir, extra_env={"PUSHIN_SEED": "none"}) as server,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            ARTIFACTS.mkdir(exist_ok=True)
            for path, name in (("", "caseload"), ("student", "student"), ("meeting", "meeting")):
                page.goto(f"{server.url}/{path}", wait_until="domcontentloaded")
                wait_idle(page)
                main = page.locator('[data-testid="stMain"]')
                expected = []
                if name in ("student", "meeting"):
                    # the goal description, and on the meeting page the name in the heading
                    expected += [SHOWN, BOLD]
                if name == "student":  # the recorded decision, with its rationale
                    expected.append("Because " + SHOWN)
                for words in expected:  # shown literally (waits for the page to draw it)
                    expect(main).to_contain_text(words, timeout=30_000)
                page.wait_for_timeout(500)  # let images fail to load and handlers fire
                page.screenshot(path=str(ARTIFACTS / f"xss-{name}.png"), full_page=True)
                assert page.evaluate("typeof window.__pwned") == "undefined", name
                # no element from student text became markup
                assert main.locator("img[src='x']").count() == 0, name
                assert main.locator("script:text('__pwned')").count() == 0, name
                assert main.locator("strong:text-is('bold')").count() == 0, name
                assert main.locator('[data-testid="stException"]').count() == 0, name
        finally:
            browser.close()
    assert dialogs == []
