"""The service log: session rows merged into the stored log by (service_id, date, setting)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from pushin_rules.data.store.entries import EntryError, _day
from pushin_rules.data.store.read_frames import _bump_version, _conform, _read_frame
from pushin_rules.data.store.tables import TABLES
from pushin_rules.data.store.write_frames import TableCounts, _diff, _insert, _next_pos, _update
from pushin_rules.errors import Problem


class ServiceLogPart:
    """Merging session rows into the service log."""

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
