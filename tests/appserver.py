"""Helpers for tests that run the real thing: `streamlit run app.py` in a subprocess, a network
guard for subprocesses, and Debian's Chromium through Playwright."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"

# Loaded by every Python process whose PYTHONPATH starts with the guard folder: each connect
# (and each name lookup) to an address outside loopback is written to the log and refused.
GUARD_SOURCE = textwrap.dedent(
    '''
    """Test network guard: log and refuse every connection beyond this machine."""
    import errno
    import ipaddress
    import json
    import os
    import socket
    import traceback

    _LOG = os.environ.get("PUSHIN_NET_GUARD_LOG", "")
    _LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


    def _local(host):
        if host is None:
            return True
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        host = str(host).strip("[]").split("%")[0].lower()
        if host in _LOCAL_NAMES or host == "":
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return address.is_loopback or address.is_unspecified


    def _refuse(kind, target):
        if _LOG:
            entry = {
                "pid": os.getpid(),
                "kind": kind,
                "target": repr(target),
                "stack": "".join(traceback.format_stack(limit=15)[:-2]),
            }
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\\n")
        raise OSError(errno.ENETUNREACH, f"network guard: {kind} to {target!r} refused")


    def _check(sock, address, kind):
        if getattr(sock, "family", None) == getattr(socket, "AF_UNIX", object()):
            return
        host = address[0] if isinstance(address, tuple) else address
        if not _local(host):
            _refuse(kind, address)


    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _sendto = socket.socket.sendto
    _getaddrinfo = socket.getaddrinfo
    _gethostbyname = socket.gethostbyname


    def connect(self, address):
        _check(self, address, "connect")
        return _connect(self, address)


    def connect_ex(self, address):
        _check(self, address, "connect_ex")
        return _connect_ex(self, address)


    def sendto(self, data, *args):
        _check(self, args[-1], "sendto")
        return _sendto(self, data, *args)


    def getaddrinfo(host, *args, **kwargs):
        if not _local(host):
            _refuse("getaddrinfo", host)
        return _getaddrinfo(host, *args, **kwargs)


    def gethostbyname(host):
        if not _local(host):
            _refuse("gethostbyname", host)
        return _gethostbyname(host)


    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.socket.sendto = sendto
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    '''
)


@dataclass
class Guard:
    """A folder to put first on PYTHONPATH, and the log it writes to."""

    folder: Path
    log: Path

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(self.folder), str(ROOT), env.get("PYTHONPATH", "")) if p
        )
        env["PUSHIN_NET_GUARD_LOG"] = str(self.log)
        return env

    def entries(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

    def report(self) -> str:
        return "\n\n".join(
            f"{e['kind']} {e['target']} (pid {e['pid']})\n{e['stack']}" for e in self.entries()
        )


def make_guard(folder: Path) -> Guard:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(GUARD_SOURCE, encoding="utf-8")
    return Guard(folder=folder, log=folder / "outside-calls.jsonl")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


@contextlib.contextmanager
def streamlit_server(
    data_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
    timeout: float = 90,
) -> Iterator[Server]:
    """`streamlit run app.py` from the repository (so .streamlit/config.toml applies) with the
    store in `data_dir`; yields once /_stcore/health answers, stops the process after."""
    port = free_port()
    run_env = dict(os.environ if env is None else env)
    run_env["PUSHIN_DATA_DIR"] = str(data_dir)
    run_env.pop("PUSHIN_DATABASE_URL", None)
    run_env.update(extra_env or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"streamlit-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                *args,
            ],
            cwd=ROOT,
            env=run_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    server = Server(url=url, process=process, log=log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{server.output()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:  # noqa: S310
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{server.output()}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def wait_idle(page, timeout: float = 60) -> None:
    """Until the script run is over and stays over for a moment."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 3:
        state = page.get_attribute('[data-testid="stApp"]', "data-test-script-state")
        quiet = quiet + 1 if state == "notRunning" else 0
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app is still {state!r} after {timeout} s")
        page.wait_for_timeout(200)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()
