"""Probes: dated goal scores entered on a page, append-only; a correction is a new probe that
points to the one it corrects."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pushin_rules.data.store.connection import _utc
from pushin_rules.data.store.entries import PROGRESS_SPEC, EntryError, _check_entry, _day
from pushin_rules.data.store.read_frames import _bump_version
from pushin_rules.data.store.tables import TABLES, probes
from pushin_rules.models import LOCAL_USER


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


class ProbesPart:
    """Adding, correcting and reading probes."""

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
