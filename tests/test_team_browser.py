"""The team's work in a real browser (Chromium through Playwright, against `streamlit run`): a
new, not-yet-rated service is rated from scratch in the worksheet, a probe is added to its
goal, and both are still there after the app is stopped and started again."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from appserver import streamlit_server

from pushin_rules.data.loader import load_district
from pushin_rules.data.store import Store
from pushin_rules.decide import fidelity
from pushin_rules.decide.rules import load_rules
from pushin_rules.models import FACTORS, NEED_FACTORS
from pushin_rules.present import words

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
TIMEOUT_MS = 90_000
STUDENT = "Theo Brennan"  # S0001 in the sample
NEW_SERVICE = "SVNEW"
NEW_GOAL = "GNEW"

sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's Chromium is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample district plus a new physical-therapy service for S0001, not rated yet, with
    one goal and no scores."""
    folder = tmp_path_factory.mktemp("team_browser_db")
    district = load_district(ROOT / "sample_data")
    new = {c: district.services[c].iloc[0] for c in district.services.columns}
    new.update(service_id=NEW_SERVICE, student_id="S0001", service="physical_therapy",
               provider_id="", minutes_per_week=75, session_minutes=25, group_size=1,
               current_model="", current_push_in_minutes=0, rated=False)  # fmt: skip
    new.update({k: 0 for k in FACTORS})
    services = pd.concat([district.services, pd.DataFrame([new])], ignore_index=True)
    services = services.astype(dict(district.services.dtypes))
    goal = pd.DataFrame(
        {
            "goal_id": [NEW_GOAL],
            "service_id": [NEW_SERVICE],
            "description": ["Climbs stairs with alternating feet"],
            "measure": ["steps"],
            "direction": ["increase"],
            "target": [12.0],
            "target_date": [pd.Timestamp("2027-06-18")],
        }
    )
    goals = pd.concat([district.goals, goal], ignore_index=True).astype(dict(district.goals.dtypes))
    with Store(f"sqlite:///{folder}/pushin.db") as store:
        store.upgrade()
        store.import_district(
            dataclasses.replace(district, services=services, goals=goals), mode="replace", actor="t"
        )
        assert store.rating_versions(NEW_SERVICE) == []
    return folder


def idle(tab) -> None:
    tab.wait_for_timeout(300)
    tab.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    tab.wait_for_timeout(200)


def open_student(url: str, playwright) -> tuple[object, object]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = chromium.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    idle(page)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Student").first.click()
    idle(page)
    box = page.get_by_role("combobox", name="Student").first
    box.click()
    box.fill(STUDENT)
    page.get_by_role("option", name=STUDENT).first.click()
    idle(page)
    return chromium, page


def new_service_card(page):
    """The bordered block of the new service (the innermost one naming its minutes)."""
    return (
        page.locator("[data-testid='stVerticalBlock']")
        .filter(has_text="Physical therapy · 75 min a week")
        .last
    )


def test_rate_a_new_service_add_a_probe_and_restart(data_dir: Path) -> None:
    expect = sync_api.expect
    rules = load_rules()
    with sync_api.sync_playwright() as playwright:
        with streamlit_server(data_dir) as server:
            chromium, page = open_student(server.url, playwright)
            card = new_service_card(page)
            sheet = card.locator("[data-testid='stExpander']", has_text="Rate this service")
            expect(sheet).to_be_visible()
            for key in ("intensity", "distraction_sensitivity", "specialized_setting"):
                label = words.factor_meta(rules, key).label
                group = sheet.locator("[data-testid='stRadio']", has_text=f"{label}:").first
                group.locator("label", has_text="3 ·").first.click()
                idle(page)
            expect(sheet.get_by_text("With these ratings: Pull-out").first).to_be_visible()
            sheet.get_by_label("Note for this version (optional)").fill("first rating")
            sheet.get_by_role("button", name="Save ratings").click()
            idle(page)
            expect(page.get_by_text("Saved the ratings").first).to_be_visible()
            card = new_service_card(page)
            expect(card.get_by_text("Recommended: Pull-out").first).to_be_visible()

            card.get_by_text("Add a probe").first.click()
            probe = card.locator("[data-testid='stForm']").first
            probe.get_by_label("Score").fill("4")
            probe.get_by_role("button", name="Add probe").click()
            idle(page)
            expect(page.get_by_text("Added the probe").first).to_be_visible()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "team-work-rated.png"), full_page=True)
            chromium.close()

        # A new server process on the same database: everything is still there.
        with streamlit_server(data_dir) as server:
            chromium, page = open_student(server.url, playwright)
            card = new_service_card(page)
            expect(card.get_by_text("Recommended: Pull-out").first).to_be_visible()
            expect(card.get_by_text("Rating history (1 version)").first).to_be_visible()
            assert card.get_by_text("Rate this service").count() == 0

            # The case manager's view: services under 80% fidelity and make-up minutes owed,
            # as decide/fidelity.py computes them from the stored service log.
            with Store(f"sqlite:///{data_dir}/pushin.db") as store:
                stored = store.load_district()
            table = fidelity.fidelity_table(stored.services, stored.service_log)
            logged = table[table["fidelity_percent"].notna()]
            under = int((logged["fidelity_percent"] < fidelity.WATCH_FIDELITY_PERCENT).sum())
            owed = int(logged["makeup_owed_minutes"].sum())
            assert under > 0 and owed > 0, "the sample's service log has missed sessions"
            page.locator("[data-testid='stSidebarNav'] a", has_text="Caseload").first.click()
            idle(page)
            for label, value in (("Under 80% fidelity", under), ("Make-up minutes owed", owed)):
                metric = page.locator("[data-testid='stMetric']", has_text=label).first
                expect(metric.locator("[data-testid='stMetricValue']")).to_have_text(f"{value:,}")
            chromium.close()

    with Store(f"sqlite:///{data_dir}/pushin.db") as store:
        [version] = store.rating_versions(NEW_SERVICE)
        assert version.note == "first rating" and version.source == "worksheet"
        assert [version.ratings[k] for k in NEED_FACTORS[:3]] == [3, 3, 3]
        probes = store.probes(NEW_GOAL)
        assert probes["score"].tolist() == [4.0]
        assert probes["date"].dt.date.tolist() == [dt.date.today()]
        assert bool(np.all(store.load_district().services["rated"]))
