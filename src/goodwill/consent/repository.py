"""All queries on the consent ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from goodwill.db import tables as t
from goodwill.workspaces.service import Workspace


class ConsentRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    def events(self, person_id: int) -> list[Any]:
        c = t.consent_events.c
        return list(
            self.conn.execute(
                select(t.consent_events)
                .where(c.workspace_id == self.ws, c.person_id == person_id)
                .order_by(c.occurred_at, c.id)
            )
        )

    def insert(self, values: dict[str, Any]) -> int:
        result = self.conn.execute(insert(t.consent_events).values(workspace_id=self.ws, **values))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])
