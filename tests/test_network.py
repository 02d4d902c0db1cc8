"""Safe defaults: nothing leaves the machine.

The shipped config keeps usage statistics off, listens on 127.0.0.1 only and keeps XSRF
protection on. The command line and the app run under a guard (a sitecustomize module first on
PYTHONPATH) that logs and refuses every connection and name lookup beyond loopback; the log
must stay empty. In the browser, every request the page makes must go to the local server.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import pytest
from appserver import (
    ARTIFACTS,
    ROOT,
    chromium_available,
    launch_chromium,
    make_guard,
    streamlit_server,
    wait_idle,
)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def test_config_has_safe_defaults() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    # CORS protection stays on too (turning it off would also turn XSRF protection off)
    assert config["server"].get("enableCORS", True) is True
    assert config["client"]["showErrorDetails"] in ("none", False)


def test_secrets_are_not_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".streamlit/secrets.toml" in ignored
    tracked = subprocess.run(
        ["git", "ls-files", ".streamlit"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert ".streamlit/secrets.toml" not in tracked


def _python(args: list[str], env: dict[str, str], timeout: float = 120):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_guard_catches_an_outside_call(tmp_path: Path) -> None:
    """The guard is live: an outside connect and lookup are logged and refused, loopback works."""
    guard = make_guard(tmp_path / "guard")
    code = (
        "import socket, urllib.request\n"
        "server = socket.create_server(('127.0.0.1', 0))\n"
        "socket.create_connection(server.getsockname(), timeout=2).close()\n"
        "for call in (lambda: socket.socket().connect(('203.0.113.9', 80)),\n"
        "             lambda: socket.create_connection(('203.0.113.9', 443), timeout=1),\n"
        "             lambda: urllib.request.urlopen('http://example.invalid/', timeout=1)):\n"
        "    try:\n"
        "        call()\n"
        "    except OSError as error:\n"
        "        print('refused:', error)\n"
    )
    run = _python(["-c", code], guard.env())
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("refused:") == 3, run.stdout
    kinds = [(entry["kind"], entry["target"]) for entry in guard.entries()]
    assert kinds == [
        ("connect", "('203.0.113.9', 80)"),
        ("getaddrinfo", "'203.0.113.9'"),
        ("getaddrinfo", "'example.invalid'"),
    ]


def test_command_line_makes_no_outside_calls(tmp_path: Path) -> None:
    guard = make_guard(tmp_path / "guard")
    env = guard.env()
    district = tmp_path / "district"
    cli = ["-m", "pushin_rules"]
    runs = [
        [*cli, "synth", "--students", "12", "--seed", "3", "--out", str(district)],
        [*cli, "recommend", "--data", str(district), "--out", str(tmp_path / "r.csv")],
        [*cli, "progress", "--data", str(district), "--out", str(tmp_path / "p.csv")],
    ]
    for args in runs:
        run = _python(args, env)
        assert run.returncode == 0, f"{args}: {run.stderr}"
        assert "Traceback" not in run.stderr
    assert (tmp_path / "r.csv").stat().st_size > 0 and (tmp_path / "p.csv").stat().st_size > 0
    assert guard.entries() == [], guard.report()


@pytest.mark.browser
@pytest.mark.skipif(not chromium_available(), reason="needs Debian's chromium")
def test_app_makes_no_outside_calls(tmp_path: Path) -> None:
    """Every page, visited through the sidebar: no outside socket on the server, no request
    from the page to anywhere but the local server."""
    from playwright.sync_api import sync_playwright

    guard = make_guard(tmp_path / "guard")
    requests: list[str] = []
    visited: list[str] = []
    with (
        streamlit_server(tmp_path / "data", env=guard.env()) as server,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda request: requests.append(request.url))
            page.on("websocket", lambda socket: requests.append(socket.url))
            page.goto(server.url, wait_until="domcontentloaded")
            wait_idle(page)
            links = page.locator('[data-testid="stSidebarNavLink"]')
            count = links.count()
            assert count >= 6, "every page is listed in the sidebar"
            labels = [links.nth(i).inner_text().strip() for i in range(count)]
            for index, label in enumerate(labels):
                links.nth(index).click()
                wait_idle(page)
                visited.append(label)
                errors = page.locator('[data-testid="stException"]')
                assert errors.count() == 0, f"{label}: {errors.first.inner_text()[:500]}"
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "network-last-page.png"), full_page=True)
        finally:
            browser.close()
        assert "Traceback" not in server.output(), server.output()[-3000:]

    assert len(visited) >= 6
    outside = []
    for url in requests:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about"):
            continue
        if parsed.hostname not in LOCAL_HOSTS:
            outside.append(url)
    problems = []
    if outside:
        problems.append(f"the page asked outside addresses: {sorted(set(outside))}")
    if guard.entries():
        problems.append(f"the server made outside calls:\n{guard.report()}")
    assert not problems, "\n".join(problems)


def cross_origin_websocket(url: str) -> bytes:
    """What a web site the teacher has open can send to the local server: a websocket
    upgrade from another origin. Returns the start of the server's reply."""
    host = url.removeprefix("http://")
    request = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: streamlit\r\n"
        "Origin: https://some-website.example\r\n\r\n"
    )
    address, port = host.split(":")
    with socket.create_connection((address, int(port)), timeout=30) as conn:
        conn.sendall(request.encode())
        return conn.recv(200)


@pytest.mark.xfail(
    strict=True,
    reason="Streamlit checks a cross-origin websocket against the machine's internal and "
    "external IP: it connects a UDP socket to 8.8.8.8 and asks checkip.amazonaws.com. Any web "
    "page a teacher opens can trigger it against 127.0.0.1:8501. Remove this mark once the "
    "app pre-fills streamlit.net_util's IP caches before the server accepts connections.",
)
def test_a_cross_origin_websocket_makes_no_outside_call(tmp_path: Path) -> None:
    guard = make_guard(tmp_path / "guard")
    with streamlit_server(tmp_path / "data", env=guard.env()) as server:
        reply = cross_origin_websocket(server.url)
    assert reply.startswith(b"HTTP/1.1 403"), reply  # refused, as it should be
    assert guard.entries() == [], guard.report()


def test_once_the_app_has_loaded_a_cross_origin_websocket_makes_no_outside_call(
    tmp_path: Path,
) -> None:
    """The app settles this machine's addresses when its first page loads, so from then on
    a web site probing the local server cannot make Streamlit look them up outside."""
    from playwright.sync_api import sync_playwright

    guard = make_guard(tmp_path / "guard")
    with streamlit_server(tmp_path / "data", env=guard.env()) as server:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_page()
                page.goto(server.url, wait_until="domcontentloaded")
                page.get_by_text("De-identified display").wait_for(timeout=60_000)
            finally:
                browser.close()
        reply = cross_origin_websocket(server.url)
    assert reply.startswith(b"HTTP/1.1 403"), reply
    assert guard.entries() == [], guard.report()
