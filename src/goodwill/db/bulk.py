"""Bulk paths for imports and generators: id allocation and fast inserts.

PostgreSQL gets ``COPY ... FROM STDIN`` (psycopg 3); SQLite gets one ``executemany`` over the raw
driver cursor.  Both run inside the caller's transaction.  Values are normalised here so both paths
store exactly what SQLAlchemy itself would store (UTC timestamps, JSON text, 0/1 booleans), and the
rows read back identically through the table definitions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, DateTime, Table, func, select, text


def _is_json(table: Table, name: str) -> bool:
    return isinstance(table.c[name].type, JSON)


_PLAIN = (int, str, float)


def _sqlite_value(value: Any, *, as_json: bool, as_bool: bool) -> Any:
    if value is None or (type(value) in _PLAIN and not as_bool and not as_json):
        return value
    if as_json:
        return json.dumps(value, separators=(",", ":"), default=str)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if as_bool:
        return 1 if value else 0
    return value


def _pg_value(value: Any, *, as_json: bool) -> Any:
    if value is None:
        return None
    if as_json:
        return json.dumps(value, separators=(",", ":"), default=str)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def allocate_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """Reserve ``count`` primary keys for ``table`` inside the current transaction.

    On SQLite the transaction holds the write lock (BEGIN IMMEDIATE), so ``max(id)+1..`` is safe.
    On PostgreSQL the values come from the column's sequence, so concurrent writers never collide.
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": count},
        )
        return [int(r[0]) for r in rows]
    start = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + count))


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert tuples (in ``columns`` order) as fast as the database allows; returns the row count."""
    json_cols = [_is_json(table, c) for c in columns]
    bool_cols = [isinstance(table.c[c].type, Boolean) for c in columns]
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    count = 0
    if conn.dialect.name == "postgresql":
        col_sql = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({col_sql}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(
                    [_pg_value(v, as_json=j) for v, j in zip(row, json_cols, strict=True)]
                )
                count += 1
        return count
    placeholders = ", ".join("?" for _ in columns)
    col_sql = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table.name}" ({col_sql}) VALUES ({placeholders})'
    needs_conversion = (
        any(json_cols)
        or any(bool_cols)
        or any(isinstance(table.c[c].type, DateTime) for c in columns)
    )
    cur = raw.cursor()
    try:
        if needs_conversion:
            converted = (
                [
                    _sqlite_value(v, as_json=j, as_bool=b)
                    for v, j, b in zip(row, json_cols, bool_cols, strict=True)
                ]
                for row in rows
            )
            batch: list[list[Any]] = []
            for item in converted:
                batch.append(item)
                if len(batch) >= 10_000:
                    cur.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
                count += len(batch)
        else:
            data = list(rows)
            cur.executemany(sql, data)
            count = len(data)
    finally:
        cur.close()
    return count


def update_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    key: str = "id",
) -> int:
    """``UPDATE table SET columns... WHERE key = ?`` for each row (values in ``columns`` order,
    then the key), through the driver's executemany; returns the row count."""
    json_cols = [_is_json(table, c) for c in columns]
    bool_cols = [isinstance(table.c[c].type, Boolean) for c in columns]
    raw: Any = conn.connection.dbapi_connection
    assert raw is not None
    postgres = conn.dialect.name == "postgresql"
    mark = "%s" if postgres else "?"
    sets = ", ".join(f'"{c}" = {mark}' for c in columns)
    sql = f'UPDATE "{table.name}" SET {sets} WHERE "{key}" = {mark}'
    data = []
    for row in rows:
        *values, ident = row
        if postgres:
            converted = [_pg_value(v, as_json=j) for v, j in zip(values, json_cols, strict=True)]
        else:
            converted = [
                _sqlite_value(v, as_json=j, as_bool=b)
                for v, j, b in zip(values, json_cols, bool_cols, strict=True)
            ]
        data.append([*converted, ident])
    if not data:
        return 0
    cur = raw.cursor()
    try:
        cur.executemany(sql, data)
    finally:
        cur.close()
    return len(data)


def analyze(conn: Connection, tables: Iterable[str]) -> None:
    """PostgreSQL: ``ANALYZE`` the named tables in one statement, so the planner sees what a
    bulk write has just added (stale row estimates turn key lookups into scans).  SQLite plans
    these lookups without statistics: nothing to do there."""
    names = list(tables)
    if conn.dialect.name == "postgresql" and names:
        conn.exec_driver_sql("ANALYZE " + ", ".join(f'"{name}"' for name in names))
