"""The connection: which database (URL), the engine with its SQLite/PostgreSQL setup, and the
transactions every other part of the store writes and reads in."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from pushin_rules.data import migrations

REPO_DIR = Path(__file__).resolve().parents[3]
DEFAULT_SEED_DIR = REPO_DIR / "sample_data"
DB_FILE_NAME = "pushin.db"
SEED_ACTOR = "system (first run, sample data)"

# SQLite: how long a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_SECONDS = 60


# --------------------------------------------------------------------------- settings


def database_url(secrets: Mapping[str, Any] | None = None) -> str:
    """The database to use: env PUSHIN_DATABASE_URL, else secrets["database_url"], else a
    SQLite file `pushin.db` in PUSHIN_DATA_DIR (default ./data, created here)."""
    env = os.environ.get("PUSHIN_DATABASE_URL", "").strip()
    if env:
        return env
    if secrets is not None:
        try:
            value = secrets.get("database_url")
        except (KeyError, FileNotFoundError):  # st.secrets raises when no secrets file exists
            value = None
        if value and str(value).strip():
            return str(value).strip()
    data_dir = Path(os.environ.get("PUSHIN_DATA_DIR", "").strip() or "data").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / DB_FILE_NAME}"


def normalize_url(url: str) -> str:
    """Send plain `postgresql://` and `postgres://` URLs to psycopg 3 (the driver installed)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# --------------------------------------------------------------------------- engine


def _create_engine(url: str) -> Engine:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pre_ping: a district server restarts overnight; the app must not show an error.
        return sa.create_engine(parsed, pool_pre_ping=True)

    database = parsed.database or ""
    memory = database in ("", ":memory:") or "mode=memory" in str(parsed.query)
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False}
    }
    if memory:
        kwargs["poolclass"] = StaticPool  # one connection, or each would see its own database
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); the sqlite3 module's own transaction handling
        # would start them too late and never for DDL.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        # FULL: a committed decision survives a power cut, not only an app crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("pushin_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; we only ever store UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class StoreConnection:
    """One database: the engine, its transactions and its schema version."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = _create_engine(self.url)
        self.dialect = self.engine.dialect.name

    def __repr__(self) -> str:
        shown = sa.make_url(self.url).render_as_string(hide_password=True)
        return f"Store({shown!r})"

    @classmethod
    def open(
        cls,
        url: str | None = None,
        seed_dir: str | os.PathLike[str] | None = DEFAULT_SEED_DIR,
        *,
        secrets: Mapping[str, Any] | None = None,
    ) -> Self:
        """Connect, create or upgrade the schema, and seed from `seed_dir` when empty."""
        store = cls(url or database_url(secrets))
        store.upgrade()
        if seed_dir is not None and Path(seed_dir).is_dir() and store._district_is_empty():
            from pushin_rules.data.loader import (
                load_district,  # the loader is only needed on first run
            )

            district = load_district(seed_dir)
            store._import(district, mode="replace", actor=SEED_ACTOR, only_if_empty=True)
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- transactions

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction. SQLite: BEGIN IMMEDIATE, so writers queue on the busy timeout
        instead of failing when a read lock cannot be upgraded."""
        with self.engine.connect() as conn:
            conn.execution_options(pushin_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read transaction with one snapshot for all its statements."""
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # ----------------------------------------------------------------- schema

    def upgrade(self, target: int | None = None) -> list[int]:
        """Apply missing schema revisions (see migrations/); return the versions applied."""
        applied = migrations.upgrade(self._write, target)
        if applied and max(applied) >= 2:  # the audit table exists from version 2
            with self._write() as conn:
                self._audit(
                    conn,
                    "system",
                    "schema_upgrade",
                    f"schema upgraded to version {max(applied)} (steps {applied})",
                )
        return applied

    def schema_version(self) -> int:
        with self._read() as conn:
            return migrations.current_version(conn)
