"""The audit log: who did what and when, one row per change."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pushin_rules.data.store.connection import _utc
from pushin_rules.data.store.tables import audit
from pushin_rules.models import LOCAL_USER


class AuditPart:
    """Writing and reading the audit log."""

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
