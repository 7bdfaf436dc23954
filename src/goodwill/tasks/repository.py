"""All queries on tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from goodwill.db import tables as t
from goodwill.workspaces.service import Workspace


class TaskRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    def insert(self, values: dict[str, Any]) -> int | None:
        """Insert a task; with an idempotency key already used, return None (nothing written)."""
        key = values.get("idempotency_key")
        if key is not None:
            found = self.conn.execute(
                select(t.tasks.c.id).where(
                    t.tasks.c.workspace_id == self.ws, t.tasks.c.idempotency_key == key
                )
            ).first()
            if found is not None:
                return None
        result = self.conn.execute(insert(t.tasks).values(workspace_id=self.ws, **values))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def list(self, *, status: str | None, assignee: str | None, limit: int) -> list[Any]:
        c, p = t.tasks.c, t.persons.c
        query = (
            select(t.tasks, p.first_name, p.last_name)
            .join_from(t.tasks, t.persons, c.person_id == p.id, isouter=True)
            .where(c.workspace_id == self.ws)
            .order_by(c.due_at.is_(None), c.due_at, c.id)
            .limit(limit)
        )
        if status:
            query = query.where(c.status == status)
        if assignee:
            query = query.where(c.assignee == assignee)
        return list(self.conn.execute(query))

    def get(self, task_id: int) -> Any | None:
        return self.conn.execute(
            select(t.tasks).where(t.tasks.c.workspace_id == self.ws, t.tasks.c.id == task_id)
        ).first()

    def set_status(self, task_id: int, status: str, completed_at: datetime | None) -> None:
        self.conn.execute(
            update(t.tasks)
            .where(t.tasks.c.workspace_id == self.ws, t.tasks.c.id == task_id)
            .values(status=status, completed_at=completed_at)
        )
