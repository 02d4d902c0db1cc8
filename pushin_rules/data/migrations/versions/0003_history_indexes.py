"""Indexes for decision history: read per student and per service.

Revision 0003 = schema version 3 of the hand-written runner that came before Alembic. Frozen:
written out as it was when it shipped, never imported from the tables in `store.py`.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy.engine import Connection

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    _v3_history_indexes(op.get_bind())


def _v3_history_indexes(conn: Connection) -> None:
    """History is read per student and per service: index both."""
    for column in ("student_id", "service_id"):
        conn.exec_driver_sql(f"CREATE INDEX ix_decisions_{column} ON decisions ({column}, id)")
    conn.exec_driver_sql("CREATE INDEX ix_audit_log_at ON audit_log (at)")
