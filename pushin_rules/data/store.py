"""Storage: the district data, append-only decision records and the audit log in one database.

SQLite (a file in a data folder) by default, PostgreSQL for a district; the same schema and the
same code on both, chosen by one setting (`database_url`). Schema revisions (Alembic) live in
`migrations/versions/`, one file per change.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from pushin_rules.data import migrations
from pushin_rules.data.contract import FILES, Column
from pushin_rules.data.district import ALL_FRAME_NAMES, District, empty_frame
from pushin_rules.errors import DistrictError, InputError, Problem
from pushin_rules.models import FACTORS, DeliveryModel
from pushin_rules.present.access import LOCAL_USER

REPO_DIR = Path(__file__).resolve().parents[2]
DEFAULT_SEED_DIR = REPO_DIR / "sample_data"
DB_FILE_NAME = "pushin.db"
SEED_ACTOR = "system (first run, sample data)"

# SQLite: how long a writer waits for another writer's transaction before giving up.
BUSY_TIMEOUT_SECONDS = 60
# Rows per executemany: large enough to be fast, small enough to report progress.
CHUNK_ROWS = 5_000
PG_IMPORT_LOCK = 0x5055_5349

ImportMode = Literal["replace", "merge"]


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


# --------------------------------------------------------------------------- models


class DecisionError(InputError):
    """A decision the store will not record; the message says why in plain words."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))

    @classmethod
    def from_validation(cls, error: ValidationError) -> DecisionError:
        problems = []
        for item in error.errors():
            field = ".".join(str(p) for p in item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            # Our own checks already speak in sentences; pydantic's need the field named.
            if item["type"] in _OWN_ERRORS or not field:
                problems.append(message)
            else:
                problems.append(f"{_FIELD_WORDS.get(field, field)}: {message}.")
        return cls(problems)


_OWN_ERRORS = {"decision_rule"}
_FIELD_WORDS = {
    "student_id": "Student",
    "service_id": "Service",
    "recommendation": "Recommendation",
    "decided_model": "The team's model",
    "meeting_date": "Meeting date",
    "rules_name": "Rule set name",
    "rules_version": "Rule set version",
    "rules_hash": "Rule set file hash",
    "recorded_by": "Recorded by",
}


def _rule(message: str) -> PydanticCustomError:
    return PydanticCustomError("decision_rule", message)


def _check_split(model: DeliveryModel, push_in: int, pull_out: int, who: str) -> None:
    if model is DeliveryModel.push_in and (pull_out != 0 or push_in <= 0):
        raise _rule(f"{who} is push-in, so all minutes are in the classroom (none pulled out).")
    if model is DeliveryModel.pull_out and (push_in != 0 or pull_out <= 0):
        raise _rule(f"{who} is pull-out, so all minutes are outside the classroom.")
    if model is DeliveryModel.hybrid and (push_in <= 0 or pull_out <= 0):
        raise _rule(f"{who} is hybrid, so it needs minutes both in class and pulled out.")


class DecisionInput(BaseModel):
    """What the team decided for one service at one meeting; the store adds id and time."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    student_id: str = Field(min_length=1)
    service_id: str = Field(min_length=1)
    recommendation: DeliveryModel
    rec_push_in_minutes: int = Field(ge=0)
    rec_pull_out_minutes: int = Field(ge=0)
    explanation: dict[str, Any] = Field(default_factory=dict)
    decision: Literal["adopted", "overridden"]
    # For an adopted decision these may be left out: they are the recommendation's.
    decided_model: DeliveryModel | None = None
    decided_push_in_minutes: int | None = Field(default=None, ge=0)
    decided_pull_out_minutes: int | None = Field(default=None, ge=0)
    rationale: str = ""
    attendees: list[str]
    meeting_date: dt.date
    recorded_by: str = Field(default=LOCAL_USER, min_length=1)
    rules_name: str = Field(min_length=1)
    rules_version: str = Field(min_length=1)
    rules_hash: str = Field(min_length=1)
    supersedes: int | None = Field(default=None, gt=0)

    @classmethod
    def build(cls, **fields: Any) -> DecisionInput:
        """Like the constructor, but a problem raises DecisionError with plain sentences."""
        try:
            return cls(**fields)
        except ValidationError as error:
            raise DecisionError.from_validation(error) from None

    @field_validator("explanation", mode="before")
    @classmethod
    def _explanation(cls, value: Any) -> Any:
        # Accept the engine's pydantic Recommendation itself, as its JSON form.
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise _rule(
                "The explanation must be plain data (text, numbers, lists); "
                "pass the recommendation's model_dump(mode='json')."
            ) from None
        return value

    @field_validator("attendees", mode="before")
    @classmethod
    def _attendees(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        names = [str(v).strip() for v in (value or []) if str(v).strip()]
        if not names:
            raise _rule("List at least one person who attended the meeting.")
        return names

    @model_validator(mode="after")
    def _decision_rules(self) -> DecisionInput:
        recommended = (self.recommendation, self.rec_push_in_minutes, self.rec_pull_out_minutes)
        if self.decision == "adopted":
            if self.decided_model is None:
                self.decided_model = self.recommendation
            if self.decided_push_in_minutes is None:
                self.decided_push_in_minutes = self.rec_push_in_minutes
            if self.decided_pull_out_minutes is None:
                self.decided_pull_out_minutes = self.rec_pull_out_minutes
            decided = (
                self.decided_model,
                self.decided_push_in_minutes,
                self.decided_pull_out_minutes,
            )
            if decided != recommended:
                raise _rule(
                    "An adopted decision keeps the recommended model and minutes; "
                    "to change them, record the decision as overridden with a rationale."
                )
        else:
            if not self.rationale.strip():
                raise _rule(
                    "A rationale is required when the team overrides the recommendation: "
                    "write in a sentence or two why the team chose differently."
                )
            if (
                self.decided_model is None
                or self.decided_push_in_minutes is None
                or self.decided_pull_out_minutes is None
            ):
                raise _rule(
                    "An overridden decision needs the team's model and its minutes in class "
                    "and pulled out."
                )
            decided = (
                self.decided_model,
                self.decided_push_in_minutes,
                self.decided_pull_out_minutes,
            )
            if decided == recommended:
                raise _rule(
                    "The team's decision is the same as the recommendation; record it as adopted."
                )
        _check_split(
            self.decided_model,
            self.decided_push_in_minutes,
            self.decided_pull_out_minutes,
            "The team's decision",
        )
        return self


class DecisionRecord(BaseModel):
    """A stored decision, as read back; `superseded_by` is the correction that replaced it."""

    model_config = ConfigDict(frozen=True)

    id: int
    student_id: str
    service_id: str
    recommendation: DeliveryModel
    rec_push_in_minutes: int
    rec_pull_out_minutes: int
    explanation: dict[str, Any]
    decision: Literal["adopted", "overridden"]
    decided_model: DeliveryModel
    decided_push_in_minutes: int
    decided_pull_out_minutes: int
    rationale: str
    attendees: list[str]
    meeting_date: dt.date
    recorded_at: dt.datetime  # UTC, timezone-aware
    recorded_by: str
    rules_name: str
    rules_version: str
    rules_hash: str
    supersedes: int | None
    superseded_by: int | None
    rating_version_id: int | None = None  # the ratings the recommendation was made from

    @property
    def is_current(self) -> bool:
        return self.superseded_by is None


class TableCounts(BaseModel):
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


class ImportResult(BaseModel):
    """What one import did, table by table."""

    mode: ImportMode
    actor: str
    at: dt.datetime
    source: str
    district_version: str
    counts: dict[str, TableCounts]

    def summary(self) -> str:
        """One line per table that changed, in plain words."""
        lines = []
        for name, c in self.counts.items():
            parts = [
                f"{n} {word}"
                for n, word in (
                    (c.inserted, "added"),
                    (c.updated, "changed"),
                    (c.removed, "removed"),
                )
                if n
            ]
            if parts:
                lines.append(f"{name}: " + ", ".join(parts))
        return "\n".join(lines) if lines else "No changes: the data was already up to date."


# --------------------------------------------------------------------------- store


class Store:
    """One database: district frames, decision records, audit log."""

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
    ) -> Store:
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

    def __enter__(self) -> Store:
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

    # ----------------------------------------------------------------- district

    def _district_is_empty(self) -> bool:
        with self._read() as conn:
            return _district_is_empty(conn)

    def district_version(self) -> str:
        """Changes on every import (and differs between databases): a cache key."""
        with self._read() as conn:
            return _district_version(conn)

    def load_district(self) -> District:
        """The district as frames with the dtypes documented in district.py."""
        with self._read() as conn:
            frames = {name: _read_frame(conn, name) for name in ALL_FRAME_NAMES}
            source = _meta(conn, "district_source") or ""
            # The team's work: the latest rating version of each service, the current probes.
            frames["services"] = _with_latest_ratings(frames["services"], _latest_ratings(conn))
            frames["progress"] = _with_probes(
                frames["progress"], _current_probes(conn), frames["goals"]
            )
        if all(frame.empty for frame in frames.values()):
            return District.empty(source="database (no district imported yet)")
        return District(**frames, source=source)

    def import_district(
        self,
        district: District,
        *,
        mode: ImportMode,
        actor: str,
        on_progress: Callable[[str, int, int], None] | None = None,
    ) -> ImportResult:
        """Replace or merge the stored district in one transaction: all rows or none.

        replace: every district row is deleted, then the new ones inserted.
        merge:   rows are matched on their key (progress on goal_id + date); changed rows are
                 updated, new ones inserted, rows absent from `district` are kept.
        on_progress(table, rows_written, rows_in_table) is called after each chunk.
        """
        result = self._import(district, mode=mode, actor=actor, on_progress=on_progress)
        assert result is not None
        return result

    def _import(
        self,
        district: District,
        *,
        mode: ImportMode,
        actor: str,
        on_progress: Callable[[str, int, int], None] | None = None,
        only_if_empty: bool = False,
    ) -> ImportResult | None:
        if mode not in ("replace", "merge"):
            raise ValueError(f"mode must be 'replace' or 'merge', not {mode!r}")
        if not actor.strip():
            raise ValueError("actor: who is importing must be named")
        new = {name: _conform(name, getattr(district, name)) for name in ALL_FRAME_NAMES}
        at = dt.datetime.now(dt.UTC)
        try:
            with self._write() as conn:
                if self.dialect == "postgresql":
                    # Imports are rare and large: one at a time keeps the counts truthful.
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_IMPORT_LOCK})
                if only_if_empty and not _district_is_empty(conn):
                    return None
                counts = {}
                if mode == "replace":
                    for name in reversed(ALL_FRAME_NAMES):  # children first: foreign keys
                        old = _read_frame(conn, name)
                        counts[name] = _diff(name, old, new[name])[0]
                        conn.execute(sa.delete(TABLES[name]))
                    for name in ALL_FRAME_NAMES:
                        _insert(conn, name, new[name], 0, on_progress)
                else:
                    stand_ins = {f"{name}.csv" for name in ALL_FRAME_NAMES} & set(district.derived)
                    for name in ALL_FRAME_NAMES:
                        old = _read_frame(conn, name)
                        counts[name], fresh, changed = _diff(name, old, new[name])
                        counts[name].removed = 0
                        if f"{name}.csv" in stand_ins:
                            # Rebuilt from references because the file was absent: add the
                            # ones we lack, never overwrite stored names, weeks or capacity.
                            counts[name].unchanged += counts[name].updated
                            counts[name].updated = 0
                            changed = np.zeros_like(changed)
                        _update(conn, name, new[name][changed])
                        start = _next_pos(conn, name)
                        _insert(conn, name, new[name][fresh], start, on_progress)
                counts = {name: counts[name] for name in ALL_FRAME_NAMES}
                _version_imported_ratings(conn, new["services"], actor, at, district.source)
                version = _bump_version(conn)
                source = district.source or "an import"
                _set_meta(conn, "district_source", source)
                result = ImportResult(
                    mode=mode,
                    actor=actor,
                    at=at,
                    source=source,
                    district_version=version,
                    counts=counts,
                )
                details = f"{mode} import from {source}: " + (result.summary().replace("\n", "; "))
                self._audit(conn, actor, f"import_{mode}", details, at)
        except (sa.exc.IntegrityError, self.engine.dialect.loaded_dbapi.IntegrityError) as error:
            # The district broke a rule the database keeps (a duplicate key, a reference to
            # a missing record); the transaction rolled back, so nothing changed.
            raise DistrictError(
                [Problem("district", None, None, None, _db_message(error))],
                district.source,
            ) from error
        return result

    # ----------------------------------------------------------------- decisions

    def record_decision(self, decision: DecisionInput | Mapping[str, Any]) -> int:
        """Append one decision record (with its audit entry); return its id."""
        if not isinstance(decision, DecisionInput):
            decision = DecisionInput.build(**decision)
        row = decision.model_dump(mode="python")
        row["recommendation"] = decision.recommendation.value
        row["decided_model"] = decision.decided_model.value  # type: ignore[union-attr]
        row["explanation"] = json.dumps(decision.explanation, ensure_ascii=False)
        row["attendees"] = json.dumps(decision.attendees, ensure_ascii=False)
        row["recorded_at"] = dt.datetime.now(dt.UTC)
        try:
            with self._write() as conn:
                self._check_decision(conn, decision)
                row["rating_version_id"] = _latest_version_id(conn, decision.service_id)
                new_id = int(
                    conn.execute(sa.insert(decisions).values(**row)).inserted_primary_key[0]
                )
                details = (
                    f"decision {new_id}: student {decision.student_id}, service "
                    f"{decision.service_id}, {decision.decision} "
                    f"{decision.decided_model.value} "  # type: ignore[union-attr]
                    f"{decision.decided_push_in_minutes} in class / "
                    f"{decision.decided_pull_out_minutes} pulled out; rules "
                    f"{decision.rules_name} {decision.rules_version}"
                )
                if decision.supersedes:
                    details += f"; corrects decision {decision.supersedes}"
                self._audit(
                    conn, decision.recorded_by, "record_decision", details, row["recorded_at"]
                )
        except sa.exc.IntegrityError as error:
            if decision.supersedes and "supersedes" in str(error.orig).lower() + str(error):
                raise DecisionError([_already_corrected(decision.supersedes, None)]) from None
            raise
        return new_id

    def _check_decision(self, conn: Connection, decision: DecisionInput) -> None:
        services = TABLES["services"]
        found = conn.execute(
            sa.select(services.c.student_id, services.c.minutes_per_week).where(
                services.c.service_id == decision.service_id
            )
        ).first()
        problems = []
        if found is not None:
            if found.student_id != decision.student_id:
                problems.append(
                    f"Service {decision.service_id} belongs to student {found.student_id}, "
                    f"not {decision.student_id}."
                )
            total = decision.decided_push_in_minutes + decision.decided_pull_out_minutes  # type: ignore[operator]
            if total != found.minutes_per_week:
                problems.append(
                    f"The decided minutes ({decision.decided_push_in_minutes} in class + "
                    f"{decision.decided_pull_out_minutes} pulled out = {total}) must add up to "
                    f"the service's {found.minutes_per_week} minutes a week."
                )
        if decision.supersedes is not None:
            earlier = conn.execute(
                sa.select(decisions.c.service_id).where(decisions.c.id == decision.supersedes)
            ).first()
            if earlier is None:
                problems.append(
                    f"Decision {decision.supersedes} does not exist, so it cannot be corrected."
                )
            elif earlier.service_id != decision.service_id:
                problems.append(
                    f"Decision {decision.supersedes} is for service {earlier.service_id}; a "
                    f"correction must be for the same service ({decision.service_id})."
                )
            else:
                later = conn.execute(
                    sa.select(decisions.c.id).where(decisions.c.supersedes == decision.supersedes)
                ).scalar()
                if later is not None:
                    problems.append(_already_corrected(decision.supersedes, later))
        if problems:
            raise DecisionError(problems)

    def decisions_for_student(self, student_id: str) -> list[DecisionRecord]:
        """Every decision for the student, newest first (corrected ones included)."""
        return self._decisions(decisions.c.student_id == student_id)

    def decisions_for_service(self, service_id: str) -> list[DecisionRecord]:
        return self._decisions(decisions.c.service_id == service_id)

    def all_decisions(self, limit: int | None = None) -> list[DecisionRecord]:
        return self._decisions(None, limit)

    def decision(self, decision_id: int) -> DecisionRecord:
        found = self._decisions(decisions.c.id == decision_id)
        if not found:
            raise KeyError(f"no decision {decision_id}")
        return found[0]

    def _decisions(
        self, where: sa.ColumnElement[bool] | None, limit: int | None = None
    ) -> list[DecisionRecord]:
        later = decisions.alias("later")
        query = sa.select(decisions, later.c.id.label("superseded_by")).outerjoin(
            later, later.c.supersedes == decisions.c.id
        )
        if where is not None:
            query = query.where(where)
        # Ids grow with every insert: "newest first" without trusting clocks to be distinct.
        query = query.order_by(decisions.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [_decision_record(row) for row in rows]

    # ----------------------------------------------------------------- the team's work
    # Ratings and probes are append-only versions with who and when; the district's current
    # values are the latest ones. The service log is district data, merged row by row. Every
    # write is one transaction with its audit entry, and bumps the district version (caches).

    def save_rating_version(
        self,
        service_id: str,
        ratings: Mapping[str, int],
        *,
        actor: str,
        note: str = "",
        meeting_date: dt.date | None = None,
        decision_id: int | None = None,
    ) -> int:
        """Append a version of one service's 11 ratings; return its id."""
        values = _check_ratings(ratings)
        at = dt.datetime.now(dt.UTC)
        with self._write() as conn:
            _require_service(conn, service_id)
            new_id = int(
                conn.execute(
                    sa.insert(rating_versions).values(
                        service_id=service_id,
                        **values,
                        recorded_by=actor.strip() or LOCAL_USER,
                        recorded_at=at,
                        source="worksheet",
                        meeting_date=meeting_date,
                        decision_id=decision_id,
                        note=note.strip(),
                    )
                ).inserted_primary_key[0]
            )
            shown = ", ".join(f"{k} {v}" for k, v in values.items())
            details = f"rating version {new_id}: service {service_id}: {shown}"
            if note.strip():
                details += f"; note: {note.strip()}"
            self._audit(conn, actor, "save_ratings", details, at)
            _bump_version(conn)
        return new_id

    def rating_versions(self, service_id: str) -> list[RatingVersion]:
        """Every version of one service's ratings, newest first."""
        query = (
            sa.select(rating_versions)
            .where(rating_versions.c.service_id == service_id)
            .order_by(rating_versions.c.id.desc())
        )
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [_rating_version(row) for row in rows]

    def rating_version(self, version_id: int) -> RatingVersion:
        with self._read() as conn:
            row = (
                conn.execute(sa.select(rating_versions).where(rating_versions.c.id == version_id))
                .mappings()
                .first()
            )
        if row is None:
            raise KeyError(f"no rating version {version_id}")
        return _rating_version(row)

    def add_probe(
        self,
        goal_id: str,
        date: dt.date | str,
        score: float | str,
        setting: str = "",
        *,
        actor: str,
        note: str = "",
    ) -> int:
        """Append a dated score for a goal (validated like progress.csv); return its id."""
        point = _check_entry(
            "the probe",
            PROGRESS_SPEC,
            {"goal_id": goal_id, "date": date, "score": score, "setting": setting},
        )
        at = dt.datetime.now(dt.UTC)
        with self._write() as conn:
            self._check_probe(conn, point, replacing=None)
            new_id = self._insert_probe(conn, point, actor, at, note, None)
            self._audit(
                conn,
                actor,
                "add_probe",
                f"probe {new_id}: goal {point['goal_id']}, {point['date']}, score "
                f"{point['score']:g}, setting {point['setting'] or 'not recorded'}",
                at,
            )
            _bump_version(conn)
        return new_id

    def correct_probe(
        self,
        probe_id: int,
        *,
        date: dt.date | str,
        score: float | str,
        setting: str = "",
        actor: str,
        note: str = "",
    ) -> int:
        """Append the corrected probe, pointing to the one it corrects; return its id. The old
        one stays in the history (and the audit log says what changed)."""
        at = dt.datetime.now(dt.UTC)
        with self._write() as conn:
            old = conn.execute(sa.select(probes).where(probes.c.id == probe_id)).mappings().first()
            if old is None:
                raise EntryError([f"There is no probe {probe_id} to correct."])
            later = conn.execute(
                sa.select(probes.c.id).where(probes.c.corrects == probe_id)
            ).scalar()
            if later is not None:
                raise EntryError(
                    [f"Probe {probe_id} was already corrected by probe {later}; correct that one."]
                )
            point = _check_entry(
                "the probe",
                PROGRESS_SPEC,
                {"goal_id": old["goal_id"], "date": date, "score": score, "setting": setting},
            )
            self._check_probe(conn, point, replacing=old)
            new_id = self._insert_probe(conn, point, actor, at, note, probe_id)
            self._audit(
                conn,
                actor,
                "correct_probe",
                f"probe {probe_id} corrected by probe {new_id}: goal {old['goal_id']}, "
                f"{_day(old['date'])} score {old['score']:g} setting "
                f"{old['setting'] or 'not recorded'} -> {point['date']} score "
                f"{point['score']:g} setting {point['setting'] or 'not recorded'}"
                + (f"; note: {note.strip()}" if note.strip() else ""),
                at,
            )
            _bump_version(conn)
        return new_id

    def probes(self, goal_id: str) -> pd.DataFrame:
        """Every probe entered for a goal (corrected ones too), newest first: id, date, score,
        setting, recorded_by, recorded_at, note, corrects, corrected_by."""
        later = probes.alias("later")
        query = (
            sa.select(probes, later.c.id.label("corrected_by"))
            .outerjoin(later, later.c.corrects == probes.c.id)
            .where(probes.c.goal_id == goal_id)
            .order_by(probes.c.id.desc())
        )
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        columns = [
            "id", "goal_id", "date", "score", "setting", "recorded_by", "recorded_at", "note",
            "corrects", "corrected_by",
        ]  # fmt: skip
        frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
        if not frame.empty:
            frame["date"] = pd.to_datetime(frame["date"].map(_day))
            frame["recorded_at"] = frame["recorded_at"].map(_utc)
        return frame

    def add_service_log(
        self, rows: Sequence[Mapping[str, Any]] | pd.DataFrame, *, actor: str
    ) -> TableCounts:
        """Merge session rows into the service log by (service_id, date, setting), validated
        like service_log.csv; all rows or none."""
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        frame = frame.astype(object).where(frame.notna(), "")
        if "date" in frame:
            frame["date"] = frame["date"].map(_day)
        return self.import_service_log(frame.to_csv(index=False), actor=actor)

    def import_service_log(self, content: bytes | str, *, actor: str) -> TableCounts:
        """Merge a service_log.csv (its bytes or text) into the stored log; all rows or none."""
        from pushin_rules.data.contract import SERVICE_LOG
        from pushin_rules.data.loader import _check_service_log, _read

        problems: list[Problem] = []
        parsed = _read(SERVICE_LOG, content, problems, [])
        if parsed is not None and not problems:
            _check_service_log(parsed, problems)
        if parsed is not None and not problems:
            services = TABLES["services"]
            with self._read() as conn:
                known = set(
                    conn.execute(
                        sa.select(services.c.service_id).where(
                            services.c.service_id.in_(sorted(set(parsed["service_id"])))
                        )
                    ).scalars()
                )
            for index, sid in enumerate(parsed["service_id"]):
                if sid not in known:
                    problems.append(
                        Problem(
                            SERVICE_LOG.name,
                            index + 2,
                            "service_id",
                            str(sid),
                            "a service_id listed in services.csv",
                        )
                    )
        if problems or parsed is None:
            raise EntryError([str(p) for p in problems])
        new = _conform("service_log", parsed)
        at = dt.datetime.now(dt.UTC)
        with self._write() as conn:
            old = _read_frame(conn, "service_log")
            counts, fresh, changed = _diff("service_log", old, new)
            counts.removed = 0
            _update(conn, "service_log", new[changed])
            _insert(conn, "service_log", new[fresh], _next_pos(conn, "service_log"), None)
            self._audit(
                conn,
                actor,
                "add_service_log",
                f"service log: {counts.inserted} added, {counts.updated} changed ("
                + "; ".join(
                    f"{r.service_id} {r.date:%Y-%m-%d} {r.setting} {r.minutes} {r.status}"
                    + (f" {r.reason}" if r.reason else "")
                    for r in new.head(20).itertuples()
                )
                + ("; ..." if len(new) > 20 else "")
                + ")",
                at,
            )
            _bump_version(conn)
        return counts

    def _insert_probe(
        self,
        conn: Connection,
        point: Mapping[str, Any],
        actor: str,
        at: dt.datetime,
        note: str,
        corrects: int | None,
    ) -> int:
        return int(
            conn.execute(
                sa.insert(probes).values(
                    goal_id=point["goal_id"],
                    date=dt.date.fromisoformat(point["date"]),
                    score=float(point["score"]),
                    setting=point["setting"],
                    recorded_by=actor.strip() or LOCAL_USER,
                    recorded_at=at,
                    note=note.strip(),
                    corrects=corrects,
                )
            ).inserted_primary_key[0]
        )

    def _check_probe(
        self, conn: Connection, point: Mapping[str, Any], replacing: Mapping[str, Any] | None
    ) -> None:
        goals = TABLES["goals"]
        found = conn.execute(
            sa.select(goals.c.goal_id).where(goals.c.goal_id == point["goal_id"])
        ).first()
        if found is None:
            raise EntryError([f"There is no goal {point['goal_id']!r} in the district."])
        day = dt.date.fromisoformat(point["date"])
        if replacing is not None and _day(replacing["date"]) == point["date"]:
            return  # the corrected probe keeps its date
        taken = conn.execute(
            sa.select(sa.literal(1))
            .select_from(TABLES["progress"])
            .where(TABLES["progress"].c.goal_id == point["goal_id"])
            .where(TABLES["progress"].c.date == day)
        ).first()
        current = _current_probes(conn)
        taken = (
            taken
            or (
                (current["goal_id"] == point["goal_id"]) & (current["date"] == pd.Timestamp(day))
            ).any()
        )
        if taken:
            raise EntryError(
                [
                    f"the probe, column date: {point['date']!r} is not valid; expected one score "
                    "per goal per date (this goal already has a score on this date; correct "
                    "that one instead)"
                ]
            )

    # ----------------------------------------------------------------- audit

    def _audit(
        self,
        conn: Connection,
        actor: str,
        action: str,
        details: str,
        at: dt.datetime | None = None,
    ) -> None:
        conn.execute(
            sa.insert(audit).values(
                at=at or dt.datetime.now(dt.UTC),
                actor=actor.strip() or LOCAL_USER,
                action=action,
                details=details,
            )
        )

    def audit_log(self, limit: int = 200) -> pd.DataFrame:
        """Newest first: when (UTC), who, action, details."""
        query = (
            sa.select(audit.c.at, audit.c.actor, audit.c.action, audit.c.details)
            .order_by(audit.c.id.desc())
            .limit(limit)
        )
        with self._read() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame(
            {
                "when": pd.Series([_utc(r.at) for r in rows], dtype="datetime64[ns, UTC]"),
                "who": pd.Series([r.actor for r in rows], dtype=object),
                "action": pd.Series([r.action for r in rows], dtype=object),
                "details": pd.Series([r.details for r in rows], dtype=object),
            }
        )


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


# --------------------------------------------------------------------------- helpers


def _db_message(error: Exception) -> str:
    cause = getattr(error, "orig", None) or error
    detail = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return (
        "the database refused the rows (a duplicate key, or a reference to a record that "
        f"does not exist): {detail}"
    )


def _already_corrected(earlier: int, later: int | None) -> str:
    by = f" by decision {later}" if later else ""
    target = f"decision {later}" if later else "the latest record"
    return f"Decision {earlier} was already corrected{by}; correct {target} instead."


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; we only ever store UTC.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _decision_record(row: Mapping[str, Any]) -> DecisionRecord:
    data = dict(row)
    data["explanation"] = json.loads(data["explanation"])
    data["attendees"] = json.loads(data["attendees"])
    data["recorded_at"] = _utc(data["recorded_at"])
    return DecisionRecord(**data)


def _meta(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.select(store_meta.c.value).where(store_meta.c.key == key)).scalar()


def _set_meta(conn: Connection, key: str, value: str) -> None:
    updated = conn.execute(
        sa.update(store_meta).where(store_meta.c.key == key).values(value=value)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(store_meta).values(key=key, value=value))


def _district_version(conn: Connection) -> str:
    counter = _meta(conn, "district_version") or "0"
    database_id = _meta(conn, "database_id") or "new"
    return f"{database_id}-{counter}"


def _bump_version(conn: Connection) -> str:
    if _meta(conn, "database_id") is None:
        # Distinguishes two databases at the same counter (a fresh file after a reset).
        _set_meta(conn, "database_id", uuid.uuid4().hex[:12])
    _set_meta(conn, "district_version", str(int(_meta(conn, "district_version") or 0) + 1))
    return _district_version(conn)


def _district_is_empty(conn: Connection) -> bool:
    for table in TABLES.values():
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            return False
    return True


def _dtypes(name: str) -> dict[str, Any]:
    return dict(empty_frame(name).dtypes)


def _conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's contract columns with the documented dtypes; keys unique."""
    dtypes = _dtypes(name)
    if name == "services" and "rated" not in frame.columns:
        frame = frame.assign(rated=True)  # a frame built before services had the flag
    missing = [c for c in dtypes if c not in frame.columns]
    if missing:
        raise DistrictError(
            [Problem(f"{name}.csv", None, c, None, "column is missing") for c in missing]
        )
    out = frame.loc[:, list(dtypes)].reset_index(drop=True)
    try:
        out = out.astype(dtypes)
    except (TypeError, ValueError) as error:
        raise DistrictError(
            [Problem(f"{name}.csv", None, None, None, f"values of the wrong type ({error})")]
        ) from error
    dup = out.duplicated(list(KEYS[name]), keep="first").to_numpy()
    problems = [
        Problem(
            f"{name}.csv",
            int(index) + 2,
            "/".join(KEYS[name]),
            " / ".join(str(out.at[int(index), k]) for k in KEYS[name]),
            "a key not used by an earlier row (this one is a duplicate)",
        )
        for index in np.flatnonzero(dup)
    ]
    if problems:
        raise DistrictError(problems)
    return out


# Bulk paths talk to the driver directly (same connection, same transaction): SQLAlchemy's
# per-row parameter handling costs more than the database itself for 200,000 progress rows.
# Table and column names come from our own schema, never from input.


def _driver(conn: Connection) -> Any:
    return conn.connection.driver_connection


def _read_frame(conn: Connection, name: str) -> pd.DataFrame:
    """A stored table as a frame with `_dtypes`, rows in `pos` order. The database writes
    the rows as one CSV text (PostgreSQL: COPY TO; SQLite: quote() and group_concat in
    batches), and Arrow's CSV reader turns it into columns: no Python tuple per row."""
    dtypes = _dtypes(name)
    columns = [*dtypes, "pos"]
    if conn.dialect.name == "postgresql":
        text, quote = _pg_csv(conn, name, columns), '"'
    else:
        text, quote = _sqlite_csv(conn, name, columns), "'"
    if not text:
        return empty_frame(name)
    types = {c: _arrow_type(str(d)) for c, d in dtypes.items()} | {"pos": pa.int64()}
    table = pa_csv.read_csv(
        pa.BufferReader(text),
        read_options=pa_csv.ReadOptions(column_names=columns, use_threads=False),
        parse_options=pa_csv.ParseOptions(quote_char=quote, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=types, null_values=[], strings_can_be_null=False
        ),
    )
    order = np.argsort(table.column("pos").to_numpy(), kind="stable")
    data: dict[str, Any] = {}
    for column, dtype in dtypes.items():
        values = table.column(column).to_numpy(zero_copy_only=False)[order]
        if str(dtype).startswith("datetime64"):
            data[column] = pd.Series(values.astype(dtype))
        else:
            data[column] = pd.Series(values, dtype=dtype)
    frame = pd.DataFrame(data)
    if name == "progress" and not _in_order(table.take(order), ("goal_id", "date")):
        # Sorted here, not in SQL: the database's collation may order text differently.
        # (Rows come back in pos order, which an import of a loaded district already has.)
        frame = frame.sort_values(["goal_id", "date"], kind="stable").reset_index(drop=True)
    if name == "service_log":
        frame = frame.sort_values(["service_id", "date", "setting"], kind="stable")
        frame = frame.reset_index(drop=True)
    return frame


def _in_order(table: pa.Table, keys: Sequence[str]) -> bool:
    """Whether the rows are sorted by `keys` (text by code point, as pandas sorts it)."""
    if table.num_rows < 2:
        return True
    later = table.slice(1)
    earlier = table.slice(0, table.num_rows - 1)
    ahead = pa.array(np.zeros(table.num_rows - 1, dtype=bool))  # decided: strictly after
    for key in keys:
        a, b = later.column(key), earlier.column(key)
        if pc.any(pc.and_(pc.invert(ahead), pc.less(a, b))).as_py():
            return False
        ahead = pc.or_(ahead, pc.greater(a, b))
    return True


def _arrow_type(dtype: str) -> pa.DataType:
    if dtype.startswith("datetime64"):
        return pa.date32()
    return {"int64": pa.int64(), "int8": pa.int8(), "float64": pa.float64()}.get(
        dtype, pa.large_string()
    )


# Rows per SQLite batch of the bulk read: one text of this many rows lives at a time.
READ_BATCH_ROWS = 200_000


def _sqlite_csv(conn: Connection, name: str, columns: Sequence[str]) -> bytes:
    """The table as CSV text written by SQLite itself: each value as an SQL literal (text in
    single quotes with quotes doubled, numbers with every digit), rows in rowid batches."""
    line = " || ',' || ".join(f"quote({c})" for c in columns)
    statement = (
        "SELECT group_concat(line, char(10)), max(r), count(*) FROM "  # noqa: S608
        f"(SELECT rowid AS r, {line} AS line FROM {name} WHERE rowid > ? ORDER BY rowid LIMIT ?)"
    )
    cursor = _driver(conn).cursor()
    parts: list[bytes] = []
    try:
        last = -(2**63)
        while True:
            text, last, count = cursor.execute(statement, (last, READ_BATCH_ROWS)).fetchone()
            if not count:
                break
            parts.append(text.encode("utf-8"))
            if count < READ_BATCH_ROWS:
                break
    finally:
        cursor.close()
    return b"\n".join(parts)


def _pg_csv(conn: Connection, name: str, columns: Sequence[str]) -> bytes:
    """The table as CSV text from PostgreSQL's COPY TO, in the import's transaction."""
    cursor = _driver(conn).cursor()
    try:
        statement = f"COPY (SELECT {', '.join(columns)} FROM {name}) TO STDOUT (FORMAT csv)"  # noqa: S608
        with cursor.copy(statement) as copy:
            return b"".join(bytes(block) for block in copy)
    finally:
        cursor.close()


def _tuples(
    conn: Connection, name: str, frame: pd.DataFrame, start_pos: int | None, lazy: bool = False
) -> Any:
    """Rows as tuples of plain Python values in `_dtypes` order (then pos, when given): a
    list, or with `lazy` an iterator that makes each tuple when it is asked for."""
    sqlite = conn.dialect.name == "sqlite"
    columns: list[list[Any]] = []
    for column, dtype in _dtypes(name).items():
        series = frame[column]
        if str(dtype).startswith("datetime64"):
            # SQLite stores dates as ISO text (as SQLAlchemy's Date does); psycopg adapts dates.
            columns.append(
                series.dt.strftime("%Y-%m-%d").tolist() if sqlite else list(series.dt.date)
            )
        else:
            columns.append(series.tolist())
    if start_pos is not None:
        columns.append(list(range(start_pos, start_pos + len(frame))))
    rows = zip(*columns, strict=True)
    return rows if lazy else list(rows)


def _chunks(rows: list) -> Iterator[tuple[int, list]]:
    for begin in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[begin : begin + CHUNK_ROWS]
        yield begin + len(chunk), chunk


def _insert(
    conn: Connection,
    name: str,
    frame: pd.DataFrame,
    start_pos: int,
    on_progress: Callable[[str, int, int], None] | None,
) -> None:
    """Append the frame's rows (pos from `start_pos`) in the caller's transaction.

    PostgreSQL: one COPY FROM of CSV text that Arrow writes per batch of rows. SQLite: one
    executemany per batch, the row tuples made lazily from whole columns."""
    if frame.empty:
        return
    columns = [*_dtypes(name), "pos"]
    total = len(frame)
    cursor = _driver(conn).cursor()
    try:
        if conn.dialect.name == "postgresql":
            statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
            with cursor.copy(statement) as copy:
                for begin in range(0, total, CHUNK_ROWS):
                    part = frame.iloc[begin : begin + CHUNK_ROWS]
                    copy.write(_csv_rows(name, part, start_pos + begin))
                    if on_progress is not None:
                        on_progress(name, begin + len(part), total)
        else:
            marks = ", ".join("?" * len(columns))
            statement = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            rows = iter(_tuples(conn, name, frame, start_pos, lazy=True))
            done = 0
            while done < total:
                chunk = list(itertools.islice(rows, CHUNK_ROWS))
                cursor.executemany(statement, chunk)
                done += len(chunk)
                if on_progress is not None:
                    on_progress(name, done, total)
    finally:
        cursor.close()


def _csv_rows(name: str, frame: pd.DataFrame, start_pos: int) -> bytes:
    """Rows in `_dtypes` order then pos, as CSV text for COPY FROM (no header): text always
    quoted (so an empty text is not NULL), dates ISO, floats with every digit."""
    arrays = []
    for column, dtype in _dtypes(name).items():
        series = frame[column]
        if str(dtype).startswith("datetime64"):
            arrays.append(pa.array(series.to_numpy().astype("datetime64[D]"), type=pa.date32()))
        elif str(dtype) == "object":
            arrays.append(pa.array(series.to_numpy(), type=pa.large_string()))
        else:
            arrays.append(pa.array(series.to_numpy()))
    arrays.append(pa.array(np.arange(start_pos, start_pos + len(frame), dtype=np.int64)))
    table = pa.Table.from_arrays(arrays, names=[*_dtypes(name), "pos"])
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue().to_pybytes()


def _update(conn: Connection, name: str, frame: pd.DataFrame) -> None:
    """Overwrite the non-key columns of rows whose key exists (merge imports)."""
    if frame.empty:
        return
    keys = list(KEYS[name])
    values = [c for c in _dtypes(name) if c not in keys]
    rows = _tuples(conn, name, frame, None)
    order = list(_dtypes(name))
    cursor = _driver(conn).cursor()
    try:
        if conn.dialect.name == "postgresql":
            # COPY into a scratch table, then one UPDATE ... FROM: row-by-row UPDATEs over
            # the network take minutes for a whole district.
            scratch = f"pushin_merge_{name}"
            cursor.execute(
                f"CREATE TEMP TABLE {scratch} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join(order)} FROM {name} WITH NO DATA"
            )
            with cursor.copy(f"COPY {scratch} ({', '.join(order)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"UPDATE {name} AS t SET "  # noqa: S608
                + ", ".join(f"{c} = m.{c}" for c in values)
                + f" FROM {scratch} AS m WHERE "
                + " AND ".join(f"t.{k} = m.{k}" for k in keys)
            )
        else:
            statement = (
                f"UPDATE {name} SET "  # noqa: S608
                + ", ".join(f"{c} = ?" for c in values)
                + " WHERE "
                + " AND ".join(f"{k} = ?" for k in keys)
            )
            positions = [order.index(c) for c in (*values, *keys)]
            for _done, chunk in _chunks(rows):
                cursor.executemany(statement, [tuple(r[i] for i in positions) for r in chunk])
    finally:
        cursor.close()


def _next_pos(conn: Connection, name: str) -> int:
    table = TABLES[name]
    found = conn.execute(sa.select(sa.func.max(table.c.pos))).scalar()
    return 0 if found is None else int(found) + 1


def _diff(
    name: str, old: pd.DataFrame, new: pd.DataFrame
) -> tuple[TableCounts, np.ndarray, np.ndarray]:
    """Counts, plus masks over `new`: rows with a new key, rows whose key exists but changed."""
    keys = list(KEYS[name])
    old_index = pd.MultiIndex.from_frame(old[keys]) if len(old) else None
    new_index = pd.MultiIndex.from_frame(new[keys])
    present = np.zeros(len(new), dtype=bool) if old_index is None else new_index.isin(old_index)
    changed = np.zeros(len(new), dtype=bool)
    if present.any():
        values = [c for c in new.columns if c not in keys]
        mine = new.loc[present].set_index(keys)[values]
        theirs = old.set_index(keys).loc[mine.index, values]
        differs = (mine.to_numpy() != theirs.to_numpy()).any(axis=1) if values else False
        changed[np.flatnonzero(present)] = differs
    removed = 0 if old_index is None else int((~old_index.isin(new_index)).sum())
    counts = TableCounts(
        inserted=int((~present).sum()),
        updated=int(changed.sum()),
        removed=removed,
        unchanged=int((present & ~changed).sum()),
    )
    return counts, ~present, changed


# --------------------------------------------------------------------------- the team's work


class EntryError(InputError):
    """An entry from a page the store will not keep; each problem is a plain sentence naming
    the field, in the importer's words."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


class RatingVersion(BaseModel):
    """One saved version of a service's ratings."""

    model_config = ConfigDict(frozen=True)

    id: int
    service_id: str
    ratings: dict[str, int]
    recorded_by: str
    recorded_at: dt.datetime
    source: str  # worksheet, import, schema upgrade
    meeting_date: dt.date | None
    decision_id: int | None
    note: str


def _rating_version(row: Mapping[str, Any]) -> RatingVersion:
    data = dict(row)
    ratings = {key: int(data.pop(key)) for key in FACTORS}
    data["recorded_at"] = _utc(data["recorded_at"])
    if data.get("meeting_date") is not None:
        data["meeting_date"] = dt.date.fromisoformat(_day(data["meeting_date"]))
    return RatingVersion(ratings=ratings, **data)


def _check_ratings(ratings: Mapping[str, Any]) -> dict[str, int]:
    problems = []
    unknown = sorted(set(ratings) - set(FACTORS))
    if unknown:
        problems.append("Unknown factors: " + ", ".join(unknown) + ".")
    values = {}
    for key in FACTORS:
        value = ratings.get(key)
        try:
            number = int(value)  # type: ignore[arg-type]
            ok = number == value and 0 <= number <= 3
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(f"{key}: {value!r} is not valid; expected a whole number from 0 to 3.")
        else:
            values[key] = number
    if problems:
        raise EntryError(problems)
    return values


def _require_service(conn: Connection, service_id: str) -> None:
    services = TABLES["services"]
    found = conn.execute(
        sa.select(services.c.service_id).where(services.c.service_id == service_id)
    ).first()
    if found is None:
        raise EntryError([f"There is no service {service_id!r} in the district."])


def _day(value: Any) -> str:
    """A date cell as YYYY-MM-DD (SQLite gives text, PostgreSQL and pages give dates)."""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


PROGRESS_SPEC = next(spec for spec in FILES if spec.name == "progress.csv")


def _check_entry(what: str, spec: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """One row checked cell by cell by the importer's converters: the same rules and words."""
    from pushin_rules.data.loader import _convert

    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for column in spec.columns:
        raw = values.get(column.name, "")
        text = "" if raw is None else _day(raw) if column.kind == "date" else str(raw).strip()
        if column.kind == "float" and isinstance(raw, float | int):
            text = repr(float(raw))
        converted = _convert(what, column, pd.Series([text], dtype=object), np.array([0]), problems)
        out[column.name] = converted.iat[0]
    if problems:
        raise EntryError([str(replace_row(p)) for p in problems])
    out["date"] = pd.Timestamp(out["date"]).strftime("%Y-%m-%d")
    out["score"] = float(out["score"])
    return out


def replace_row(problem: Problem) -> Problem:
    """A form has no rows: the problem names the field only."""
    return Problem(problem.file, None, problem.column, problem.value, problem.expected)


def _latest_version_id(conn: Connection, service_id: str) -> int | None:
    found = conn.execute(
        sa.select(sa.func.max(rating_versions.c.id)).where(
            rating_versions.c.service_id == service_id
        )
    ).scalar()
    return None if found is None else int(found)


def _latest_ratings(conn: Connection) -> pd.DataFrame:
    """The latest rating version of every service that has one: service_id, id, factors."""
    latest = sa.select(sa.func.max(rating_versions.c.id)).group_by(rating_versions.c.service_id)
    query = sa.select(
        rating_versions.c.service_id,
        rating_versions.c.id,
        *(rating_versions.c[k] for k in FACTORS),
    ).where(rating_versions.c.id.in_(latest))
    rows = conn.execute(query).all()
    return pd.DataFrame(rows, columns=["service_id", "id", *FACTORS])


def _with_latest_ratings(services: pd.DataFrame, latest: pd.DataFrame) -> pd.DataFrame:
    """Ratings from each service's latest version; rated = the service has a version."""
    services = services.copy()
    where = pd.Index(latest["service_id"]).get_indexer(services["service_id"])
    has = where >= 0
    for key in FACTORS:
        values = services[key].to_numpy().copy()
        values[has] = latest[key].to_numpy()[where[has]]
        services[key] = values.astype("int8")
    services["rated"] = has
    return services


def _current_probes(conn: Connection) -> pd.DataFrame:
    """Probes that no later probe corrects: goal_id, date, score, setting."""
    later = probes.alias("later")
    query = (
        sa.select(probes.c.goal_id, probes.c.date, probes.c.score, probes.c.setting)
        .outerjoin(later, later.c.corrects == probes.c.id)
        .where(later.c.id.is_(None))
        .order_by(probes.c.id)
    )
    rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["goal_id", "date", "score", "setting"])
    frame["date"] = pd.to_datetime(frame["date"].map(_day)).astype("datetime64[ns]")
    frame["score"] = frame["score"].astype("float64")
    frame["goal_id"] = frame["goal_id"].astype(object)
    frame["setting"] = frame["setting"].astype(object)
    return frame


def _with_probes(
    progress: pd.DataFrame, current: pd.DataFrame, goals: pd.DataFrame
) -> pd.DataFrame:
    """The imported scores with the team's probes added (a probe wins on its goal and date);
    probes of goals no longer in the district are left out."""
    current = current[current["goal_id"].isin(goals["goal_id"])]
    if current.empty:
        return progress
    keys = pd.MultiIndex.from_frame(current[["goal_id", "date"]])
    clash = pd.MultiIndex.from_frame(progress[["goal_id", "date"]]).isin(keys)
    merged = pd.concat([progress.loc[~clash], current[list(progress.columns)]], ignore_index=True)
    merged = merged.astype(dict(progress.dtypes))
    return merged.sort_values(["goal_id", "date"], kind="stable").reset_index(drop=True)


def _version_imported_ratings(
    conn: Connection, services: pd.DataFrame, actor: str, at: dt.datetime, source: str
) -> None:
    """A new rating version for each imported, rated service whose ratings differ from its
    latest version (or that has none): the file's ratings become current, and the history
    says they came from an import. A service the file leaves unrated keeps its versions."""
    rated = services[services["rated"].to_numpy(dtype=bool)]
    if rated.empty:
        return
    latest = _latest_ratings(conn).set_index("service_id")
    mine = rated.set_index("service_id")[list(FACTORS)].astype("int64")
    known = mine.index.isin(latest.index)
    differs = np.ones(len(mine), dtype=bool)
    if known.any():
        theirs = latest.loc[mine.index[known], list(FACTORS)].astype("int64").to_numpy()
        differs[known] = (mine.to_numpy()[known] != theirs).any(axis=1)
    fresh = mine[differs]
    if fresh.empty:
        return
    note = f"imported from {source}" if source else "imported"
    conn.execute(
        sa.insert(rating_versions),
        [
            {
                "service_id": sid,
                **{k: int(v) for k, v in zip(FACTORS, values, strict=True)},
                "recorded_by": actor,
                "recorded_at": at,
                "source": "import",
                "meeting_date": None,
                "decision_id": None,
                "note": note,
            }
            for sid, values in zip(fresh.index, fresh.to_numpy().tolist(), strict=True)
        ],
    )
