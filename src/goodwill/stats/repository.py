"""All counting queries."""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select

from goodwill.db import tables as t
from goodwill.workspaces.service import Workspace

COUNTED: dict[str, Table] = {
    "people": t.persons,
    "identities": t.identities,
    "accounts": t.accounts,
    "memberships": t.memberships,
    "relationships": t.person_links,
    "preferences": t.preferences,
    "facts": t.facts,
    "important_dates": t.important_dates,
    "consent_events": t.consent_events,
    "products": t.products,
    "orders": t.orders,
    "order_lines": t.order_lines,
    "interactions": t.interactions,
    "notes": t.notes,
    "tasks": t.tasks,
    "merges": t.merges,
}


class StatsRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    def count(self, table: Table) -> int:
        query = select(func.count()).select_from(table).where(table.c.workspace_id == self.ws)
        if table is t.persons:
            query = query.where(t.persons.c.merged_into_id.is_(None))
        return int(self.conn.execute(query).scalar_one())
