"""SQLite multi-row inserts: every row once, in order, in statements of a few fixed sizes."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from goodwill.db.bulk import sqlite_chunks, sqlite_insert_values


@given(
    rows=st.integers(min_value=0, max_value=3000),
    width=st.integers(min_value=1, max_value=40),
    most=st.one_of(st.none(), st.integers(min_value=1, max_value=700)),
)
def test_chunks_cover_every_row_once_in_statements_of_few_sizes(
    rows: int, width: int, most: int | None
) -> None:
    conn = sqlite3.connect(":memory:")
    data = [tuple(range(i * width, (i + 1) * width)) for i in range(rows)]
    flat: list[int] = []
    sizes: set[int] = set()
    for params, marks in sqlite_chunks(conn, data, width, most=most):
        n = marks.count("(")
        assert len(params) == n * width
        assert n * width <= conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        flat.extend(params)
        sizes.add(n)
    assert flat == [v for row in data for v in row]
    assert len(sizes) <= 6


def test_insert_values_round_trips() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b, c)")
    rows = [(i, f"x{i}", None if i % 3 else 1.5) for i in range(1234)]
    sqlite_insert_values(conn, "t", ("a", "b", "c"), rows)
    assert conn.execute("SELECT a, b, c FROM t ORDER BY rowid").fetchall() == rows
