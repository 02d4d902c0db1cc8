"""Entries typed on a page (ratings, probes, sessions): the error they raise and the checks they
share with the importer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pushin_rules.data.contract import FILES
from pushin_rules.data.store.tables import TABLES
from pushin_rules.errors import InputError, Problem


class EntryError(InputError):
    """An entry from a page the store will not keep; each problem is a plain sentence naming
    the field, in the importer's words."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(self.problems))


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
