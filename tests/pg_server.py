"""A throwaway PostgreSQL cluster for the tests: install Debian's server if absent, start, stop.

Used by `tests/conftest.py` (session fixture) and runnable as a script from `.ci/run`:
`python tests/pg_server.py install` installs the server packages when they are missing, and
`python tests/pg_server.py check` starts and stops a cluster once.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# PostgreSQL refuses to run as root; this is the account Debian's package creates.
OS_USER = "postgres"
DB_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing and could not be installed."""


class PostgresStartFailed(RuntimeError):
    """The binaries are there but the cluster would not start: always a test failure."""


def find_bin_dir() -> Path | None:
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin)."""
    candidates = []
    for path in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        major = Path(path).parent.parent.name
        if major.isdigit():
            candidates.append((int(major), Path(path).parent))
    if candidates:
        return max(candidates)[1]
    # Other layouts (a developer's Homebrew or distribution build) put initdb on PATH.
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def ensure_installed() -> Path:
    """Return the bin directory, installing Debian's `postgresql` package first if needed."""
    found = find_bin_dir()
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise PostgresUnavailable(
            "PostgreSQL server binaries are missing and cannot be installed here "
            "(needs root and apt-get): run `apt-get install -y postgresql`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "--no-install-recommends", "postgresql"]
    # A fresh machine often has no package lists yet: retry once after an update.
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run([apt, "update"], env=env, capture_output=True)
        result = subprocess.run(install, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise PostgresUnavailable(
                "apt-get install postgresql failed:\n" + result.stderr[-2000:]
            )
    found = find_bin_dir()
    if not found:
        raise PostgresUnavailable("postgresql was installed but initdb was not found")
    return found


def _ensure_os_user() -> str | None:
    """The account to run the server as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                OS_USER,
            ],
            check=True,
            capture_output=True,
        )
    return OS_USER


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgServer:
    """One running cluster in a temporary directory, listening on 127.0.0.1:port."""

    bin_dir: Path
    root: Path
    port: int = 0
    os_user: str | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.root / "server.log"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{DB_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.os_user:
            command = ["runuser", "-u", self.os_user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, cwd=self.root)

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.os_user:
            shutil.chown(self.root, self.os_user, self.os_user)
        initdb = self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            DB_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        if initdb.returncode != 0:
            raise PostgresStartFailed("initdb failed:\n" + initdb.stdout + initdb.stderr)
        # Durability settings are off: the cluster is deleted after the run, and a test kills
        # clients, never the server. Sockets go in our directory, not /var/run/postgresql.
        options = (
            f"-c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        last = ""
        for _attempt in range(3):
            self.port = _free_port()
            started = self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                f"{options} -p {self.port}",
                "start",
            )
            if started.returncode == 0:
                return
            # Another process may have taken the port between probe and bind: try another.
            last = started.stdout + started.stderr + self._log_tail()
        raise PostgresStartFailed("PostgreSQL did not start:\n" + last)

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text()[-2000:]
        return ""

    def stop(self) -> None:
        if self.data_dir.exists():
            # immediate: the data is thrown away, so no checkpoint is worth waiting for.
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    """Install if needed, then start a fresh cluster in a new temporary directory."""
    bin_dir = ensure_installed()
    os_user = _ensure_os_user()
    root = Path(tempfile.mkdtemp(prefix="pushin-pg-"))
    server = PgServer(bin_dir=bin_dir, root=root, os_user=os_user)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "install":
        print(f"PostgreSQL server binaries: {ensure_installed()}")
        return 0
    if command == "check":
        began = time.perf_counter()
        server = start_server()
        try:
            print(f"started {server.url()} in {time.perf_counter() - began:.1f} s")
        finally:
            server.stop()
        return 0
    print(f"usage: {argv[0]} [install|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
