"""The hand-written schema runner the store used before Alembic, kept verbatim as a test fixture.

Tests run it to build the databases earlier releases made (its `schema_version` table, versions
1-3) and check that the Alembic migrations recognise and stamp them without touching their data.
Never imported by the product.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# Any fixed number: PostgreSQL advisory lock that serialises schema changes between processes.
PG_SCHEMA_LOCK = 0x5055_5348  # "PUSH"

FACTOR_COLUMNS_V1 = (
    "intensity",
    "distraction_sensitivity",
    "specialized_setting",
    "generalization",
    "social_goals",
    "curriculum_link",
    "missed_core_instruction",
    "removal_distress",
    "staffing_limit",
    "collaboration_limit",
    "classroom_crowding",
)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


class SchemaTooNew(RuntimeError):
    """The database was written by a newer release; this one must not touch it."""


def _text(name: str, **kw: object) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=False, server_default="", **kw)


def _v1_district(conn: Connection) -> None:
    """District tables, one per CSV file, plus a key/value table for counters."""
    meta = sa.MetaData()
    # `pos` keeps the order rows had in the imported files, so the app lists them as the
    # district wrote them (and "S10" does not sort before "S2").
    sa.Table(
        "store_meta",
        meta,
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    sa.Table(
        "schools",
        meta,
        sa.Column("school_id", sa.Text, primary_key=True),
        _text("name"),
        sa.Column("minutes_per_day", sa.Integer, nullable=False),
        sa.Column("days_per_week", sa.Integer, nullable=False),
        sa.Column("pos", sa.Integer, nullable=False),
    )
    # No foreign key to schools: schools.csv is optional in the CSV contract.
    sa.Table(
        "students",
        meta,
        sa.Column("student_id", sa.Text, primary_key=True),
        _text("name"),
        _text("grade"),
        _text("school_id"),
        _text("classroom"),
        _text("case_manager"),
        sa.Column("pos", sa.Integer, nullable=False),
    )
    sa.Table(
        "providers",
        meta,
        sa.Column("provider_id", sa.Text, primary_key=True),
        _text("name"),
        _text("role"),
        sa.Column("weekly_capacity_minutes", sa.Integer, nullable=False),
        sa.Column("pos", sa.Integer, nullable=False),
    )
    # provider_id has no foreign key either: providers.csv is optional and "" means none.
    sa.Table(
        "services",
        meta,
        sa.Column("service_id", sa.Text, primary_key=True),
        sa.Column(
            "student_id",
            sa.Text,
            sa.ForeignKey("students.student_id"),
            nullable=False,
            index=True,
        ),
        _text("service"),
        _text("provider_id"),
        sa.Column("minutes_per_week", sa.Integer, nullable=False),
        sa.Column("session_minutes", sa.Integer, nullable=False),
        sa.Column("group_size", sa.Integer, nullable=False),
        _text("current_model"),
        sa.Column("current_push_in_minutes", sa.Integer, nullable=False),
        *(sa.Column(name, sa.SmallInteger, nullable=False) for name in FACTOR_COLUMNS_V1),
        sa.Column("pos", sa.Integer, nullable=False),
    )
    sa.Table(
        "goals",
        meta,
        sa.Column("goal_id", sa.Text, primary_key=True),
        sa.Column(
            "service_id",
            sa.Text,
            sa.ForeignKey("services.service_id"),
            nullable=False,
            index=True,
        ),
        _text("description"),
        _text("measure"),
        _text("direction"),
        sa.Column("target", sa.Double, nullable=False),
        sa.Column("target_date", sa.Date, nullable=False),
        sa.Column("pos", sa.Integer, nullable=False),
    )
    # One score per goal per date (the loader enforces it too); merges match on that key.
    # The surrogate id keeps the primary key simple for both databases.
    sa.Table(
        "progress",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("goal_id", sa.Text, sa.ForeignKey("goals.goal_id"), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("score", sa.Double, nullable=False),
        _text("setting"),
        sa.Column("pos", sa.Integer, nullable=False),
        sa.Index("ux_progress_goal_date", "goal_id", "date", unique=True),
    )
    meta.create_all(conn)


def _v2_decisions_and_audit(conn: Connection) -> None:
    """Append-only decision records and audit log, guarded by triggers in the database."""
    meta = sa.MetaData()
    models = "('push_in', 'pull_out', 'hybrid')"
    # No foreign keys to students/services: a replace-import may drop a service, and its
    # decisions must survive that.
    sa.Table(
        "decisions",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("student_id", sa.Text, nullable=False),
        sa.Column("service_id", sa.Text, nullable=False),
        sa.Column("recommendation", sa.Text, nullable=False),
        sa.Column("rec_push_in_minutes", sa.Integer, nullable=False),
        sa.Column("rec_pull_out_minutes", sa.Integer, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),  # JSON
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("decided_model", sa.Text, nullable=False),
        sa.Column("decided_push_in_minutes", sa.Integer, nullable=False),
        sa.Column("decided_pull_out_minutes", sa.Integer, nullable=False),
        sa.Column("rationale", sa.Text, nullable=False),
        sa.Column("attendees", sa.Text, nullable=False),  # JSON list of names
        sa.Column("meeting_date", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("rules_name", sa.Text, nullable=False),
        sa.Column("rules_version", sa.Text, nullable=False),
        sa.Column("rules_hash", sa.Text, nullable=False),
        # Unique: a record is corrected at most once, so history is a chain, never a fork.
        sa.Column("supersedes", sa.Integer, sa.ForeignKey("decisions.id"), unique=True),
        sa.CheckConstraint(f"recommendation IN {models}", name="ck_decisions_recommendation"),
        sa.CheckConstraint(f"decided_model IN {models}", name="ck_decisions_model"),
        sa.CheckConstraint("decision IN ('adopted', 'overridden')", name="ck_decisions_decision"),
        sa.CheckConstraint(
            "rec_push_in_minutes >= 0 AND rec_pull_out_minutes >= 0 "
            "AND decided_push_in_minutes >= 0 AND decided_pull_out_minutes >= 0",
            name="ck_decisions_minutes",
        ),
        sa.CheckConstraint(
            "decision <> 'overridden' OR length(trim(rationale)) > 0",
            name="ck_decisions_rationale",
        ),
    )
    sa.Table(
        "audit_log",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
    )
    meta.create_all(conn)
    for table in ("decisions", "audit_log"):
        _append_only(conn, table)


def _append_only(conn: Connection, table: str) -> None:
    """Make the database itself refuse UPDATE and DELETE (and TRUNCATE) on `table`."""
    message = f"{table} is append-only: records are never changed or deleted"
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE OR REPLACE FUNCTION pushin_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            # %% : the driver formats the statement, so a literal % is doubled.
            "RAISE EXCEPTION '%% is append-only: records are never changed or deleted "
            "(%% refused)', TG_TABLE_NAME, TG_OP; END $$"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION pushin_refuse_change()"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION pushin_refuse_change()"
        )
    else:
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def _v3_history_indexes(conn: Connection) -> None:
    """History is read per student and per service: index both."""
    for column in ("student_id", "service_id"):
        conn.exec_driver_sql(f"CREATE INDEX ix_decisions_{column} ON decisions ({column}, id)")
    conn.exec_driver_sql("CREATE INDEX ix_audit_log_at ON audit_log (at)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "district tables", _v1_district),
    Migration(2, "decision records and audit log (append-only)", _v2_decisions_and_audit),
    Migration(3, "indexes for decision history", _v3_history_indexes),
)
LATEST = MIGRATIONS[-1].version

_VERSION_TABLE = sa.table(
    "schema_version",
    sa.column("version", sa.Integer),
    sa.column("description", sa.Text),
    sa.column("applied_at", sa.DateTime(timezone=True)),
)


def _lock(conn: Connection) -> None:
    """Serialise schema changes between processes (SQLite: BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_SCHEMA_LOCK})


def current_version(conn: Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    found = conn.execute(sa.select(sa.func.max(_VERSION_TABLE.c.version))).scalar()
    return int(found or 0)


def upgrade(
    begin: Callable[[], AbstractContextManager[Connection]], target: int | None = None
) -> list[int]:
    """Apply every missing step up to `target` (default: all); return the versions applied.

    `begin()` must return a context manager yielding a Connection inside a write transaction
    (the store's `_write`). Each step runs in its own transaction with its version row, so a
    crash between steps leaves a database at a known version; re-running is a no-op.
    """
    target = LATEST if target is None else target
    applied: list[int] = []
    with begin() as conn:
        _lock(conn)
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            "version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
            "applied_at TIMESTAMP WITH TIME ZONE NOT NULL)"
        )
        version = current_version(conn)
    if version > LATEST:
        raise SchemaTooNew(
            f"This database has schema version {version}, written by a newer release; this "
            f"release knows versions up to {LATEST}. Update the app before opening it."
        )
    for step in MIGRATIONS:
        if step.version > target:
            break
        if step.version <= version:
            continue  # already there: no write transaction for an up-to-date database
        with begin() as conn:
            _lock(conn)
            # Re-read under the lock: another process may have applied it meanwhile.
            if current_version(conn) >= step.version:
                continue
            step.apply(conn)
            conn.execute(
                sa.insert(_VERSION_TABLE).values(
                    version=step.version,
                    description=step.description,
                    applied_at=dt.datetime.now(dt.UTC),
                )
            )
            applied.append(step.version)
    return applied
