"""Small WHERE-clause helpers the repositories share."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def in_workspace_unindexed(column: Any, workspace_id: Any) -> ColumnElement[bool]:
    """``column = workspace_id`` written so it cannot use an index (``workspace_id + 0``).

    Without statistics SQLite's planner prefers the single-column ``workspace_id`` index over the
    selective one (``person_id``, ``order_id``...) and scans the whole workspace for every
    lookup: queries that filter by such a key use this form for the workspace condition.
    PostgreSQL plans them the same way.
    """
    condition: ColumnElement[bool] = (column + 0) == workspace_id
    return condition


#: Values per ``IN (...)`` list on SQLite (under its bound-variable limit: 999 before 3.32) and
#: per ``= ANY(array)`` parameter on PostgreSQL (a whole batch's keys travel as one array).
SQLITE_IN: Final = 2000 if sqlite3.sqlite_version_info >= (3, 32) else 900
PG_ARRAY: Final = 50_000


def among(conn: Connection, column: Any, values: Sequence[Any]) -> Iterator[ColumnElement[bool]]:
    """``column IN values`` as the few conditions the database takes best, one query each:
    ``column = ANY(:array)`` on PostgreSQL (one parameter, bound and planned once, instead of
    thousands), ``IN (...)`` lists under the variable limit on SQLite.  Nothing for no values."""
    postgres = conn.dialect.name == "postgresql"
    size = PG_ARRAY if postgres else SQLITE_IN
    for start in range(0, len(values), size):
        part = list(values[start : start + size])
        if postgres:
            yield column == any_(bindparam(None, part, type_=ARRAY(column.type)))
        else:
            yield column.in_(part)
