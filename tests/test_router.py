"""A page's address opened on a fresh server goes through the router: the page the visitor
asked for, with the sidebar (district, rules, de-identified switch), not a bare page file."""

from __future__ import annotations

from pathlib import Path

import pytest
from appserver import chromium_available, launch_chromium, streamlit_server, wait_idle

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed"),
]


def test_an_address_opened_first_on_a_fresh_server_gets_the_full_app(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with streamlit_server(tmp_path / "data") as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"{server.url}/student", wait_until="domcontentloaded")
            page.get_by_text("De-identified display").wait_for(timeout=60_000)
            wait_idle(page)
            text = page.inner_text("body")
        finally:
            browser.close()
    assert "For one student: what the rules recommend" in text  # the page asked for
    assert "De-identified display" in text and "Rules:" in text  # the app's chrome
    # not Streamlit's list of the files in pages/
    assert "common" not in text.split("Student")[0].lower()
