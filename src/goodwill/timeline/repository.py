"""All queries on the timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from goodwill.db import tables as t
from goodwill.workspaces.service import Workspace


class TimelineRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    def key_exists(self, key: str) -> bool:
        c = t.interactions.c
        return (
            self.conn.execute(
                select(c.id).where(c.workspace_id == self.ws, c.idempotency_key == key)
            ).first()
            is not None
        )

    def insert(self, values: dict[str, Any]) -> int:
        result = self.conn.execute(insert(t.interactions).values(workspace_id=self.ws, **values))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])
