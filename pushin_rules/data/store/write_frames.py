"""Writing district rows: what changed between stored and new rows (by key), bulk inserts and
updates in chunks."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Connection

from pushin_rules.data.store.read_frames import _driver, _dtypes
from pushin_rules.data.store.tables import KEYS, TABLES

# Rows per executemany: large enough to be fast, small enough to report progress.
CHUNK_ROWS = 5_000


class TableCounts(BaseModel):
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


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
