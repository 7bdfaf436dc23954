"""All queries of the ledger's read side."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, select

from goodwill.db import tables as t
from goodwill.workspaces.service import Workspace


class DeliveriesRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    def latest(self, *, person_id: int | None, status: str | None, limit: int) -> list[Any]:
        """One row per message: the outbox row with its latest ledger entry (if any)."""
        o, d = t.outbox.c, t.deliveries.c
        last = (
            select(d.outbox_id, func.max(d.id).label("last_id"))
            .where(d.workspace_id == self.ws)
            .group_by(d.outbox_id)
        )
        if person_id is not None:
            last = last.where(d.person_id == person_id)
        last_q = last.subquery()
        entry = t.deliveries.alias("entry")
        e = entry.c
        query = (
            select(
                o.idempotency_key,
                o.person_id,
                o.action,
                o.channel,
                o.status.label("outbox_status"),
                o.attempts,
                o.available_at,
                o.created_at,
                o.payload,
                o.message_id.label("outbox_message_id"),
                e.status,
                e.reason,
                e.attempt,
                e.message_id,
                e.occurred_at,
            )
            .select_from(t.outbox)
            .outerjoin(last_q, last_q.c.outbox_id == o.id)
            .outerjoin(entry, and_(e.id == last_q.c.last_id))
            .where(o.workspace_id == self.ws)
            .order_by(func.coalesce(e.occurred_at, o.created_at).desc(), o.id.desc())
            .limit(limit)
        )
        if person_id is not None:
            query = query.where(o.person_id == person_id)
        if status == "pending":
            query = query.where(e.status.is_(None))
        elif status is not None:
            query = query.where(e.status == status)
        return list(self.conn.execute(query))

    def history(self, *, person_id: int | None, status: str | None, limit: int) -> list[Any]:
        """Every ledger entry, newest first, with its message's outbox row."""
        o, d = t.outbox.c, t.deliveries.c
        query = (
            select(
                d.idempotency_key,
                d.person_id,
                o.action,
                d.channel,
                o.status.label("outbox_status"),
                o.attempts,
                o.available_at,
                o.created_at,
                o.payload,
                o.message_id.label("outbox_message_id"),
                d.status,
                d.reason,
                d.attempt,
                d.message_id,
                d.occurred_at,
            )
            .join_from(t.deliveries, t.outbox, d.outbox_id == o.id)
            .where(d.workspace_id == self.ws)
            .order_by(d.occurred_at.desc(), d.id.desc())
            .limit(limit)
        )
        if person_id is not None:
            query = query.where(d.person_id == person_id)
        if status is not None:
            query = query.where(d.status == status)
        return list(self.conn.execute(query))
