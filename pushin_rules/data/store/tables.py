"""The tables (SQLAlchemy): one per district frame, the decision records, the team's rating
versions and probes, the audit log and the store's own settings."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from pushin_rules.data.contract import FILES, Column
from pushin_rules.data.district import ALL_FRAME_NAMES
from pushin_rules.models import FACTORS

# --------------------------------------------------------------------------- tables

_KIND_TYPES: dict[str, type[sa.types.TypeEngine[Any]]] = {
    "int": sa.Integer,
    "float": sa.Double,
    "date": sa.Date,
}
KEYS: dict[str, tuple[str, ...]] = {
    "schools": ("school_id",),
    "students": ("student_id",),
    "providers": ("provider_id",),
    "services": ("service_id",),
    "goals": ("goal_id",),
    "progress": ("goal_id", "date"),
    "service_log": ("service_id", "date", "setting"),
}
SPECS: dict[str, tuple[Column, ...]] = {
    spec.name.removesuffix(".csv"): spec.columns for spec in FILES
}

metadata = sa.MetaData()


def _district_table(name: str) -> sa.Table:
    # Built from the CSV contract, so a contract column without a migration step fails the
    # schema test instead of silently going unstored.
    columns = []
    for column in SPECS[name]:
        kind = sa.SmallInteger if column.name in FACTORS else _KIND_TYPES.get(column.kind, sa.Text)
        columns.append(sa.Column(column.name, kind, nullable=False))
    if name in ("progress", "service_log"):
        columns.insert(0, sa.Column("id", sa.Integer, primary_key=True, autoincrement=True))
    if name == "services":
        columns.append(sa.Column("rated", sa.Boolean, nullable=False))
    columns.append(sa.Column("pos", sa.Integer, nullable=False))
    return sa.Table(name, metadata, *columns)


TABLES: dict[str, sa.Table] = {name: _district_table(name) for name in ALL_FRAME_NAMES}
store_meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("student_id", sa.Text, nullable=False),
    sa.Column("service_id", sa.Text, nullable=False),
    sa.Column("recommendation", sa.Text, nullable=False),
    sa.Column("rec_push_in_minutes", sa.Integer, nullable=False),
    sa.Column("rec_pull_out_minutes", sa.Integer, nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
    sa.Column("decision", sa.Text, nullable=False),
    sa.Column("decided_model", sa.Text, nullable=False),
    sa.Column("decided_push_in_minutes", sa.Integer, nullable=False),
    sa.Column("decided_pull_out_minutes", sa.Integer, nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("attendees", sa.Text, nullable=False),
    sa.Column("meeting_date", sa.Date, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("rules_name", sa.Text, nullable=False),
    sa.Column("rules_version", sa.Text, nullable=False),
    sa.Column("rules_hash", sa.Text, nullable=False),
    sa.Column("supersedes", sa.Integer, nullable=True),
    # The rating version the recommendation was computed from (None before versions existed).
    sa.Column("rating_version_id", sa.Integer, nullable=True),
)
rating_versions = sa.Table(
    "rating_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service_id", sa.Text, nullable=False),
    *(sa.Column(name, sa.SmallInteger, nullable=False) for name in FACTORS),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("meeting_date", sa.Date, nullable=True),
    sa.Column("decision_id", sa.Integer, nullable=True),
    sa.Column("note", sa.Text, nullable=False),
)
probes = sa.Table(
    "probes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("goal_id", sa.Text, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("score", sa.Double, nullable=False),
    sa.Column("setting", sa.Text, nullable=False),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("corrects", sa.Integer, nullable=True),
)
audit = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("details", sa.Text, nullable=False),
)
ALL_TABLES: dict[str, sa.Table] = {
    **TABLES,
    "store_meta": store_meta,
    "decisions": decisions,
    "audit_log": audit,
    "rating_versions": rating_versions,
    "probes": probes,
}
