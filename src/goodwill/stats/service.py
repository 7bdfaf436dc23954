"""Counting records per kind (merged-away people are not counted as people)."""

from __future__ import annotations

from sqlalchemy import Connection

from goodwill.stats.repository import COUNTED, StatsRepository
from goodwill.workspaces.service import Workspace


def count_records(conn: Connection, workspace: Workspace) -> dict[str, int]:
    repo = StatsRepository(conn, workspace)
    return {kind: repo.count(table) for kind, table in COUNTED.items()}
