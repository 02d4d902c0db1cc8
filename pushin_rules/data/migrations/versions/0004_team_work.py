"""The team's own work: rating versions and probes (append-only), the service log, a
service's `rated` flag, and the rating version each decision was made on (issue #15).

Frozen: written out as it was when it shipped, never imported from the tables in `store.py`.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0004"
down_revision = "0003"

FACTOR_COLUMNS = (
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


def _text(name: str, **kw: object) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=False, server_default="", **kw)


def upgrade() -> None:
    _v4_team_work(op.get_bind())


def _v4_team_work(conn: Connection) -> None:
    """The team's own work: rating versions and probes (append-only), the service log, a
    service's `rated` flag, and the rating version each decision was made on.

    Every service already stored was rated (the CSV contract required ratings until now), so
    each gets its ratings as version 1, recorded by the upgrade."""
    meta = sa.MetaData()
    settings = "('push_in', 'pull_out')"
    true = "TRUE" if conn.dialect.name == "postgresql" else "1"
    conn.exec_driver_sql(f"ALTER TABLE services ADD COLUMN rated BOOLEAN NOT NULL DEFAULT {true}")
    conn.exec_driver_sql("ALTER TABLE decisions ADD COLUMN rating_version_id INTEGER")
    # The existing table, named only so the foreign key below resolves (create_all skips it).
    sa.Table("services", meta, sa.Column("service_id", sa.Text, primary_key=True))
    # One row per service, date and setting (the merge key); district data like progress.
    sa.Table(
        "service_log",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.Text, sa.ForeignKey("services.service_id"), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("setting", sa.Text, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        _text("reason"),
        sa.Column("pos", sa.Integer, nullable=False),
        sa.Index("ux_service_log_key", "service_id", "date", "setting", unique=True),
        sa.CheckConstraint(f"setting IN {settings}", name="ck_service_log_setting"),
        sa.CheckConstraint("status IN ('delivered', 'missed')", name="ck_service_log_status"),
        sa.CheckConstraint("minutes > 0", name="ck_service_log_minutes"),
        sa.CheckConstraint("(status = 'missed') = (reason <> '')", name="ck_service_log_reason"),
    )
    # No foreign keys to services or goals: like decisions, the team's work survives a
    # replace-import that drops a service or a goal.
    sa.Table(
        "rating_versions",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.Text, nullable=False),
        *(sa.Column(name, sa.SmallInteger, nullable=False) for name in FACTOR_COLUMNS),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text, nullable=False),  # worksheet, import, schema upgrade
        sa.Column("meeting_date", sa.Date, nullable=True),
        sa.Column("decision_id", sa.Integer, nullable=True),
        _text("note"),
        sa.CheckConstraint(
            " AND ".join(f"{name} BETWEEN 0 AND 3" for name in FACTOR_COLUMNS),
            name="ck_rating_versions_range",
        ),
        sa.Index("ix_rating_versions_service", "service_id", "id"),
    )
    sa.Table(
        "probes",
        meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("goal_id", sa.Text, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("score", sa.Double, nullable=False),
        _text("setting"),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _text("note"),
        # A probe is corrected at most once: the history is a chain, never a fork.
        sa.Column("corrects", sa.Integer, sa.ForeignKey("probes.id"), unique=True),
        sa.CheckConstraint("setting IN ('', 'push_in', 'pull_out')", name="ck_probes_setting"),
        sa.Index("ix_probes_goal", "goal_id", "date"),
    )
    meta.create_all(conn)
    for table in ("rating_versions", "probes"):
        _append_only(conn, table)
    columns = ", ".join(FACTOR_COLUMNS)
    conn.execute(
        sa.text(
            f"INSERT INTO rating_versions (service_id, {columns}, recorded_by, recorded_at, "  # noqa: S608
            f"source, note) SELECT service_id, {columns}, 'system', :at, 'schema upgrade', "
            "'ratings stored before versions were kept' FROM services ORDER BY pos"
        ),
        {"at": dt.datetime.now(dt.UTC)},
    )


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
