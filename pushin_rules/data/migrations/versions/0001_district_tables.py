"""District tables, one per CSV file, plus a key/value table for counters.

Revision 0001 = schema version 1 of the hand-written runner that came before Alembic. Frozen:
written out as it was when it shipped, never imported from the tables in `store.py`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision = "0001"
down_revision = None


def upgrade() -> None:
    _v1_district(op.get_bind())


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
