"""Reading the district back: the store's settings (district version, source) and every
district table as a frame with the dtypes documented in district.py (bulk CSV paths)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pushin_rules.data.district import empty_frame
from pushin_rules.data.store.tables import KEYS, TABLES, store_meta
from pushin_rules.errors import DistrictError, Problem


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
