"""Small WHERE-clause helpers the repositories share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement


def in_workspace_unindexed(column: Any, workspace_id: Any) -> ColumnElement[bool]:
    """``column = workspace_id`` written so it cannot use an index (``workspace_id + 0``).

    Without statistics SQLite's planner prefers the single-column ``workspace_id`` index over the
    selective one (``person_id``, ``order_id``...) and scans the whole workspace for every
    lookup: queries that filter by such a key use this form for the workspace condition.
    PostgreSQL plans them the same way.
    """
    condition: ColumnElement[bool] = (column + 0) == workspace_id
    return condition
