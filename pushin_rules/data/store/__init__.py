"""Storage: the district data, append-only decision records and the audit log in one database.

SQLite (a file in a data folder) by default, PostgreSQL for a district; the same schema and the
same code on both, chosen by one setting (`database_url`). Schema revisions (Alembic) live in
`migrations/versions/`, one file per change.

One module per part: `connection` (URL, engine, transactions), `tables`, `read_frames` and
`write_frames` (district rows in bulk), `district_io` (import and load), `decisions`,
`ratings`, `probes`, `service_log` (the team's work, with `entries` for their checks) and
`audit`. `Store` joins the parts; import everything from here.
"""

from __future__ import annotations

from pushin_rules.data.store.audit import AuditPart
from pushin_rules.data.store.connection import (
    BUSY_TIMEOUT_SECONDS,
    DB_FILE_NAME,
    DEFAULT_SEED_DIR,
    REPO_DIR,
    SEED_ACTOR,
    StoreConnection,
    database_url,
    normalize_url,
)
from pushin_rules.data.store.decisions import (
    DecisionError,
    DecisionInput,
    DecisionRecord,
    DecisionsPart,
)
from pushin_rules.data.store.district_io import (
    PG_IMPORT_LOCK,
    DistrictPart,
    ImportMode,
    ImportResult,
)
from pushin_rules.data.store.entries import PROGRESS_SPEC, EntryError, replace_row
from pushin_rules.data.store.probes import ProbesPart
from pushin_rules.data.store.ratings import RatingsPart, RatingVersion
from pushin_rules.data.store.read_frames import READ_BATCH_ROWS
from pushin_rules.data.store.service_log import ServiceLogPart
from pushin_rules.data.store.tables import (
    ALL_TABLES,
    KEYS,
    SPECS,
    TABLES,
    audit,
    decisions,
    metadata,
    probes,
    rating_versions,
    store_meta,
)
from pushin_rules.data.store.write_frames import CHUNK_ROWS, TableCounts
from pushin_rules.models import LOCAL_USER

__all__ = [
    "ALL_TABLES",
    "BUSY_TIMEOUT_SECONDS",
    "CHUNK_ROWS",
    "DB_FILE_NAME",
    "DEFAULT_SEED_DIR",
    "KEYS",
    "LOCAL_USER",
    "PG_IMPORT_LOCK",
    "PROGRESS_SPEC",
    "READ_BATCH_ROWS",
    "REPO_DIR",
    "SEED_ACTOR",
    "SPECS",
    "TABLES",
    "DecisionError",
    "DecisionInput",
    "DecisionRecord",
    "EntryError",
    "ImportMode",
    "ImportResult",
    "RatingVersion",
    "Store",
    "TableCounts",
    "audit",
    "database_url",
    "decisions",
    "metadata",
    "normalize_url",
    "probes",
    "rating_versions",
    "replace_row",
    "store_meta",
]


class Store(
    DistrictPart, DecisionsPart, RatingsPart, ProbesPart, ServiceLogPart, AuditPart, StoreConnection
):
    """One database: district frames, decision records, audit log."""
