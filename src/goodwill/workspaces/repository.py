"""All queries on the workspaces table."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from goodwill.db.tables import workspaces
from goodwill.kit.clock import utcnow


class WorkspaceRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find_id(self, name: str) -> int | None:
        row = self.conn.execute(select(workspaces.c.id).where(workspaces.c.name == name)).first()
        return None if row is None else int(row[0])

    def create(self, name: str) -> int:
        result = self.conn.execute(insert(workspaces).values(name=name, created_at=utcnow()))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def list_names(self) -> list[str]:
        return [
            r[0] for r in self.conn.execute(select(workspaces.c.name).order_by(workspaces.c.name))
        ]
