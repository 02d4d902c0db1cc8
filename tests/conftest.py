"""Shared fixtures: a throwaway PostgreSQL server for the whole session, and `db_url`, which runs
a test once against SQLite and once against PostgreSQL (each time on a fresh, empty database).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from pg_server import PgServer, PostgresUnavailable, start_server

from pushin_rules.data.store import Store


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    """A cluster on 127.0.0.1 in a temporary directory, installed from Debian when absent."""
    try:
        server = start_server()
    except PostgresUnavailable as error:
        # In CI the PostgreSQL half of the suite is the point: never pass without it.
        if in_ci():
            pytest.fail(f"PostgreSQL is required when CI is set: {error}", pytrace=False)
        pytest.skip(f"PostgreSQL not installed and could not be installed: {error}")
    try:
        yield server
    finally:
        server.stop()


TEST_DATABASE = "pushin_test"


def _admin(server: PgServer, database: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(server.url(database).replace("+psycopg", ""), autocommit=True)


@pytest.fixture(scope="session")
def postgres_database(postgres_server: PgServer) -> str:
    """One database for the session; each test gets its own schema in it (far cheaper than
    a database per test)."""
    with _admin(postgres_server) as conn:
        conn.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
    return postgres_server.url(TEST_DATABASE)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """URL of a new empty database: a SQLite file, or a fresh schema on the session server
    (selected by search_path, as a district that keeps the app in its own schema would)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/pushin.db"
        return
    url: str = request.getfixturevalue("postgres_database")
    server: PgServer = request.getfixturevalue("postgres_server")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with _admin(server, TEST_DATABASE) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{url}?options=-csearch_path%3D{schema}"
    with _admin(server, TEST_DATABASE) as conn:
        # A test that failed mid-transaction may still hold locks: don't hang on them, the
        # whole cluster is deleted at the end anyway.
        conn.execute("SET lock_timeout = '5s'")
        with contextlib.suppress(psycopg.errors.LockNotAvailable):
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An opened store (current schema, not seeded) on each database."""
    opened = Store.open(db_url, seed_dir=None)
    try:
        yield opened
    finally:
        opened.close()
