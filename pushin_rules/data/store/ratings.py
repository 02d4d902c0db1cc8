"""Rating versions: each save of a service's 11 ratings is a new version with who and when; the
latest one is the service's current ratings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

from pushin_rules.data.store.connection import _utc
from pushin_rules.data.store.entries import EntryError, _day, _require_service
from pushin_rules.data.store.read_frames import _bump_version
from pushin_rules.data.store.tables import rating_versions
from pushin_rules.models import FACTORS, LOCAL_USER


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


class RatingsPart:
    """Saving and reading rating versions."""

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
