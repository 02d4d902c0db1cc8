"""Sign-in and roles under AppTest's user simulation.

With an `[auth]` section in the secrets nobody reaches a page before signing in, a signed-in
account not on the `[access]` allowlist gets a polite refusal, a viewer reads but cannot record
a decision or load data, and an editor can. Without `[auth]` the app is one local user.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from appserver import ARTIFACTS, chromium_available, launch_chromium, streamlit_server, wait_idle
from streamlit.testing.v1 import AppTest

from pushin_rules.data.loader import load_district

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data"
PAGES = (
    "pages/caseload.py",
    "pages/student.py",
    "pages/what_if.py",
    "pages/meeting.py",
    "pages/trainer.py",
    "pages/data.py",
)
TIMEOUT = 90

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-string-for-the-test",
    "client_id": "pushin-test",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://idp.district.example/.well-known/openid-configuration",
}
ACCESS = {
    "editors": ["Casey.Editor@district.example"],
    "viewers": ["vic.viewer@district.example", "@viewers.district.example"],
}
EDITOR = {"is_logged_in": True, "email": "casey.editor@district.example", "name": "Casey Editor"}
VIEWER = {"is_logged_in": True, "email": "vic.viewer@district.example", "name": "Vic Viewer"}
DOMAIN_VIEWER = {"is_logged_in": True, "email": "pat@viewers.district.example", "name": "Pat"}
STRANGER = {"is_logged_in": True, "email": "sam@elsewhere.example", "name": "Sam Stranger"}
SIGNED_OUT = {"is_logged_in": False}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One store for the module, seeded from sample_data by the app on first open."""
    return str(tmp_path_factory.mktemp("auth_db"))


@pytest.fixture(scope="module")
def student_names() -> list[str]:
    return list(load_district(SAMPLE).students["name"])


@contextmanager
def environment(data_dir: str) -> Iterator[None]:
    keys = ("PUSHIN_DATA_DIR", "PUSHIN_SEED", "PUSHIN_DATABASE_URL")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["PUSHIN_DATA_DIR"] = data_dir
    os.environ.pop("PUSHIN_SEED", None)
    os.environ.pop("PUSHIN_DATABASE_URL", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def app(user: dict[str, Any] | None, *, auth: bool = True) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if auth:
        at.secrets["auth"] = dict(AUTH)
        at.secrets["access"] = {k: list(v) for k, v in ACCESS.items()}
    if user is not None:
        at.user = dict(user)
    return at


def run(at: AppTest, page_path: str | None = None) -> AppTest:
    if page_path is not None:
        at.switch_page(page_path)
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Everything the run put on screen, as text (element protos include labels, options,
    captions and table cells as written)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return "\n".join(out)


def buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def sidebar_text(at: AppTest) -> str:
    """The sidebar's captions and markdown, Markdown escapes removed."""
    shown = [str(c.value) for c in at.sidebar.caption] + [str(m.value) for m in at.sidebar.markdown]
    return re.sub(r"\\(.)", r"\1", " ".join(shown))


def shows_only_the_gate(at: AppTest, names: list[str]) -> None:
    assert [t.value for t in at.title] == ["Push-in / pull-out decision support"]
    assert not at.dataframe and not at.table and not at.selectbox and not at.tabs
    assert not at.sidebar.caption and not at.sidebar.toggle
    shown = texts(at)
    leaked = [name for name in names if name in shown]
    assert not leaked, f"names shown before sign-in: {leaked[:5]}"


# ------------------------------------------------------------------ the gate


def test_signed_out_sees_only_a_sign_in_button(data_dir: str, student_names: list[str]) -> None:
    with environment(data_dir):
        at = run(app(SIGNED_OUT))
        assert buttons(at) == ["Sign in"]
        assert "Sign in with your district account" in at.info[0].value
        shows_only_the_gate(at, student_names)


def test_signed_out_cannot_open_a_page_by_its_address(
    data_dir: str, student_names: list[str]
) -> None:
    with environment(data_dir):
        at = run(app(SIGNED_OUT))
        assert buttons(at) == ["Sign in"]
        shows_only_the_gate(at, student_names)
        # The router registers no page but the gate for this visitor: there is nothing to
        # switch to, by address or otherwise.
        for page_path in PAGES:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page_path)


def test_an_account_not_on_the_allowlist_is_refused_politely(
    data_dir: str, student_names: list[str]
) -> None:
    with environment(data_dir):
        at = run(app(STRANGER))
        assert buttons(at) == ["Sign out"]
        warning = at.warning[0].value
        assert "sam@elsewhere.example" in warning
        assert "ask your district administrator" in warning
        shows_only_the_gate(at, student_names)


def test_an_editor_address_the_identity_provider_did_not_verify_is_refused(
    data_dir: str, student_names: list[str]
) -> None:
    with environment(data_dir):
        at = run(app({**EDITOR, "email_verified": False}))
        assert buttons(at) == ["Sign out"]
        shows_only_the_gate(at, student_names)
        verified = run(app({**EDITOR, "email_verified": True}))
        assert "Sign out" in buttons(verified) and "Sign in" not in buttons(verified)


def test_an_account_not_on_the_allowlist_cannot_open_a_page(
    data_dir: str, student_names: list[str]
) -> None:
    with environment(data_dir):
        at = run(app(STRANGER))
        assert buttons(at) == ["Sign out"]
        shows_only_the_gate(at, student_names)
        # The router registers no page but the gate for this visitor: there is nothing to
        # switch to, by address or otherwise.
        for page_path in PAGES:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                at.switch_page(page_path)


def test_an_allowlist_without_the_user_also_refuses_when_access_is_missing(
    data_dir: str, student_names: list[str]
) -> None:
    """[auth] configured but no [access] section: nobody is let in."""
    with environment(data_dir):
        at = app(EDITOR)
        del at.secrets["access"]
        run(at)
        assert at.warning and buttons(at) == ["Sign out"]
        shows_only_the_gate(at, student_names)


# ------------------------------------------------------------------ roles


def test_viewer_reads_every_page_but_cannot_record_or_load(data_dir: str) -> None:
    with environment(data_dir):
        at = run(app(VIEWER))
        assert "Signed in as vic.viewer@district.example (viewer)" in sidebar_text(at)
        assert "Sign out" in buttons(at)
        for page_path in PAGES:
            run(at, page_path)
            title = at.title[0].value if at.title else ""
            assert title and title != "Push-in / pull-out decision support", page_path
            assert not any("Record" in label for label in buttons(at)), page_path

        run(at, "pages/meeting.py")
        assert at.title[0].value == "Meeting"
        assert any("cannot record" in c.value or "not record" in c.value for c in at.caption)

        run(at, "pages/data.py")
        assert at.title[0].value == "Data"
        assert any("not replace it" in i.value for i in at.info)
        assert not at.get("file_uploader")
        assert not any(label.startswith("Check and load") for label in buttons(at))
        assert not at.text_input  # no folder to load from either


def test_a_whole_domain_can_be_listed_as_viewers(data_dir: str) -> None:
    with environment(data_dir):
        at = run(app(DOMAIN_VIEWER))
        assert "(viewer)" in sidebar_text(at)


def test_editor_can_record_decisions_and_load_data(data_dir: str) -> None:
    with environment(data_dir):
        at = run(app(EDITOR))
        # the allowlist matches whatever the case of the address
        assert "Signed in as casey.editor@district.example (editor)" in sidebar_text(at)
        run(at, "pages/meeting.py")
        assert any(label == "Record decision" for label in buttons(at))
        run(at, "pages/data.py")
        assert at.get("file_uploader")
        assert "Check and load the uploaded files" in buttons(at)
        # on a shared deployment nobody may make the server read a folder of its own disk
        assert "Check and load the folder" not in buttons(at)


def test_without_auth_the_app_is_one_local_user(data_dir: str) -> None:
    with environment(data_dir):
        at = run(app(None, auth=False))
        assert "Single local user" in sidebar_text(at)
        assert "Sign in" not in buttons(at) and "Sign out" not in buttons(at)
        run(at, "pages/meeting.py")
        assert any(label == "Record decision" for label in buttons(at))


# ------------------------------------------------------------------ the real server

SECRETS = """
[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "a-long-random-string-for-the-test"
client_id = "pushin-test"
client_secret = "not-a-secret"
server_metadata_url = "https://idp.district.example/.well-known/openid-configuration"

[access]
editors = ["casey.editor@district.example"]
viewers = ["vic.viewer@district.example"]
"""


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")
def test_a_fresh_server_with_sign_in_shows_no_page_to_a_visitor(
    tmp_path: Path, student_names: list[str]
) -> None:
    """A visitor who opens a page's address straight after the server starts (before anyone
    has signed in) gets the sign-in screen, not the page."""
    from playwright.sync_api import sync_playwright

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    shown: dict[str, str] = {}
    with (
        streamlit_server(tmp_path / "data", args=("--secrets.files", str(secrets))) as server,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        try:
            for path in ("caseload", "data", ""):  # every page file alone: see below
                page = browser.new_page()
                page.goto(f"{server.url}/{path}", wait_until="domcontentloaded")
                wait_idle(page)
                shown[path] = page.inner_text("body")
                if path == "data":
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / "auth-fresh-server-data.png"))
                page.close()
        finally:
            browser.close()
    for path, text in shown.items():
        assert "Sign in with your district account" in text, (path, text[:300])
        assert "Load a district" not in text and "Caseload" not in text, (path, text[:300])
        leaked = [name for name in student_names if name in text]
        assert not leaked, (path, leaked[:3])


@pytest.mark.parametrize("page_path", PAGES)
@pytest.mark.parametrize("user", [SIGNED_OUT, STRANGER], ids=["signed-out", "not-listed"])
def test_each_page_file_run_on_its_own_keeps_the_gate(
    data_dir: str, student_names: list[str], page_path: str, user: dict[str, Any]
) -> None:
    """What Streamlit does on a fresh server when a page's address is asked for before the
    router has run: the page file alone. Its own header must stop the run."""
    with environment(data_dir):
        at = AppTest.from_file(str(ROOT / page_path), default_timeout=TIMEOUT)
        at.secrets["auth"] = dict(AUTH)
        at.secrets["access"] = {k: list(v) for k, v in ACCESS.items()}
        at.user = dict(user)
        run(at)
        assert buttons(at) == (["Sign in"] if user is SIGNED_OUT else ["Sign out"]), page_path
        shows_only_the_gate(at, student_names)
