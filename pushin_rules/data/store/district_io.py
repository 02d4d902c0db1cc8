"""The district in and out: import (replace or merge, all rows or none) and load back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

import numpy as np
import sqlalchemy as sa
from pydantic import BaseModel

from pushin_rules.data.district import ALL_FRAME_NAMES, District
from pushin_rules.data.store.probes import _current_probes, _with_probes
from pushin_rules.data.store.ratings import (
    _latest_ratings,
    _version_imported_ratings,
    _with_latest_ratings,
)
from pushin_rules.data.store.read_frames import (
    _bump_version,
    _conform,
    _district_is_empty,
    _district_version,
    _meta,
    _read_frame,
    _set_meta,
)
from pushin_rules.data.store.tables import TABLES
from pushin_rules.data.store.write_frames import TableCounts, _diff, _insert, _next_pos, _update
from pushin_rules.errors import DistrictError, Problem

PG_IMPORT_LOCK = 0x5055_5349

ImportMode = Literal["replace", "merge"]


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


def _db_message(error: Exception) -> str:
    cause = getattr(error, "orig", None) or error
    detail = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return (
        "the database refused the rows (a duplicate key, or a reference to a record that "
        f"does not exist): {detail}"
    )


class DistrictPart:
    """Importing and loading the district."""

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
