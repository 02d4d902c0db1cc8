"""Schema migrations through Alembic, run by the store when it opens a database.

Each schema change is one revision file in `versions/`, numbered: `0001_district_tables.py`,
`0002_decisions_and_audit.py`, `0003_history_indexes.py`. The number is the schema version
(`Store.schema_version()`); the database records it in Alembic's `alembic_version` table.
There is no alembic.ini and no env.py: `upgrade()` below drives Alembic directly on the
store's connection, so a start-up needs nothing but the package.

To add a table (rating versions, probes, service log...):

1. Add `versions/0004_what_it_adds.py` (then 0005_..., one file per change) with
   `revision = "0004"`, `down_revision = "0003"` (the newest file's revision) and an
   `upgrade()` that uses `alembic.op` (`op.create_table(...)`, `op.add_column(...)`,
   `op.create_index(...)`; SQLite alters tables only through `op.batch_alter_table`, and a
   batch that has to rebuild a table drops its triggers: the append-only tables `decisions`
   and `audit_log` take added columns only, or the revision creates their guards again).
   Write the table out in full in the revision: never import it from `store/tables.py`, because a
   revision must create what it created when it shipped, whatever `store/tables.py` says later.
2. Add the same table to `store/tables.py`'s `metadata` and `ALL_TABLES` (what the store reads and
   writes); `test_schema_matches_the_tables_the_store_queries` checks both agree on SQLite and
   PostgreSQL (`pytest tests/test_store.py` runs both).
3. A revision that has shipped is never edited; a fix is another revision. No downgrades:
   a database only moves forward, and a database newer than the release is refused untouched.
4. The revisions must form one numbered line (checked on load and by test_store.py): when two
   branches both add 0004, the one merged second renumbers its file to 0005 with
   `down_revision = "0004"`.

Databases made before Alembic carry the hand-written runner's `schema_version` table (versions
1-3, the same steps as revisions 0001-0003). They are recognised and stamped at the matching
revision without touching their data; `schema_version` is left as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

# Any fixed number: PostgreSQL advisory lock that serialises schema changes between processes.
PG_SCHEMA_LOCK = 0x5055_5348  # "PUSH"

# The hand-written runner's last version: its databases are stamped, never migrated by it again.
LEGACY_TABLE = "schema_version"
LEGACY_LATEST = 3

_HERE = Path(__file__).resolve().parent


class SchemaTooNew(RuntimeError):
    """The database was written by a newer release; this one must not touch it."""


@functools.cache
def _script() -> ScriptDirectory:
    script = ScriptDirectory(str(_HERE))
    heads = script.get_heads()
    if len(heads) != 1:  # two files claiming the same down_revision
        raise RuntimeError(f"schema revisions must form one line; heads found: {sorted(heads)}")
    return script


@functools.cache
def revisions() -> tuple[str, ...]:
    """Every revision id, oldest first ("0001", "0002", ...)."""
    script = _script()
    ids = tuple(reversed([r.revision for r in script.walk_revisions("base", "heads")]))
    for number, rev in enumerate(ids, start=1):
        if rev != f"{number:04d}":
            raise RuntimeError(f"schema revision {rev!r} should be numbered {number:04d}")
    return ids


def latest() -> int:
    """The newest schema version this release knows."""
    return len(revisions())


def _lock(conn: Connection) -> None:
    """Serialise schema changes between processes (SQLite: BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_SCHEMA_LOCK})


def _legacy_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table(LEGACY_TABLE):
        return 0
    found = conn.exec_driver_sql(f"SELECT max(version) FROM {LEGACY_TABLE}").scalar()  # noqa: S608
    return int(found or 0)


def _too_new(found: str) -> SchemaTooNew:
    return SchemaTooNew(
        f"This database has schema version {found}, written by a newer release; this release "
        f"knows versions up to {latest()}. Update the app before opening it."
    )


def current_version(conn: Connection) -> int:
    """The database's schema version: its Alembic revision, else the pre-Alembic runner's
    version, else 0 (empty). Reads only."""
    heads = MigrationContext.configure(conn).get_current_heads()
    if not heads:
        legacy = _legacy_version(conn)
        if legacy > LEGACY_LATEST:
            raise _too_new(str(legacy))
        return legacy
    if len(heads) != 1 or heads[0] not in revisions():
        raise _too_new(", ".join(heads))
    return revisions().index(heads[0]) + 1


def _stamp_legacy(conn: Connection) -> None:
    """A database from the hand-written runner gets the Alembic revision of the same schema;
    only `alembic_version` is written."""
    context = MigrationContext.configure(conn)
    if context.get_current_heads():
        return
    legacy = current_version(conn)  # raises SchemaTooNew past the runner's last version
    if legacy:
        context.stamp(_script(), revisions()[legacy - 1])


def _run_to(conn: Connection, revision: str) -> None:
    """Apply the revisions up to `revision` inside the caller's transaction."""
    script = _script()

    def steps(heads: tuple[str, ...], _context: MigrationContext) -> list:
        return script._upgrade_revs(revision, heads)

    context = MigrationContext.configure(conn, opts={"script": script, "fn": steps})
    with Operations.context(context):
        context.run_migrations()


def upgrade(
    begin: Callable[[], AbstractContextManager[Connection]], target: int | None = None
) -> list[int]:
    """Apply every missing revision up to schema version `target` (default: the newest);
    return the versions applied.

    `begin()` must return a context manager yielding a Connection inside a write transaction
    (the store's `_write`). Each revision runs in its own transaction, under the advisory lock,
    with its `alembic_version` update, so a crash between revisions leaves a database at a
    known version; re-running is a no-op.
    """
    target = latest() if target is None else target
    with begin() as conn:
        _lock(conn)
        _stamp_legacy(conn)
        version = current_version(conn)
    applied: list[int] = []
    for number, revision in enumerate(revisions(), start=1):
        if number > target:
            break
        if number <= version:
            continue  # already there: no write transaction for an up-to-date database
        with begin() as conn:
            _lock(conn)
            # Re-read under the lock: another process may have applied it meanwhile.
            if current_version(conn) >= number:
                continue
            _run_to(conn, revision)
            applied.append(number)
    return applied


LATEST = latest()
