"""Decision records and audit log, append-only: the database itself refuses UPDATE and DELETE.

Revision 0002 = schema version 2 of the hand-written runner that came before Alembic. Frozen:
written out as it was when it shipped, never imported from the tables in `store.py`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    _v2_decisions_and_audit(op.get_bind())


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
