"""All queries of the delivery ledger: its read side, and requeueing a message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

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

    # -- requeue (the one write of this context: a human decision to try a message again) ------
    def requeue_candidates(
        self,
        *,
        keys: Sequence[str],
        statuses: Sequence[str],
        person_id: int | None,
        limit: int,
    ) -> list[Any]:
        """Outbox rows in one of ``statuses`` (and with one of ``keys``, for this person, when
        given), oldest first."""
        o = t.outbox.c
        query = (
            select(o.id, o.idempotency_key, o.person_id, o.channel, o.status, o.last_reason)
            .where(o.workspace_id == self.ws, o.status.in_(list(statuses)))
            .order_by(o.id)
            .limit(limit)
        )
        if keys:
            query = query.where(o.idempotency_key.in_(list(keys)))
        if person_id is not None:
            query = query.where(o.person_id == person_id)
        return list(self.conn.execute(query))

    def keys_present(self, keys: Sequence[str]) -> dict[str, str]:
        """Each known key's current outbox status."""
        o = t.outbox.c
        rows = self.conn.execute(
            select(o.idempotency_key, o.status).where(
                o.workspace_id == self.ws, o.idempotency_key.in_(list(keys))
            )
        )
        return {r.idempotency_key: r.status for r in rows}

    def requeue(self, row: Any, *, now: datetime, reason: str) -> bool:
        """Back to ``pending`` now, attempts from zero, lease cleared, if the row is still in the
        status it was read with (a worker or another requeue may have moved it); the ledger
        entry ``requeued`` in the same transaction."""
        o = t.outbox.c
        moved = self.conn.execute(
            update(t.outbox)
            .where(o.id == row.id, o.workspace_id == self.ws, o.status == row.status)
            .values(
                status="pending",
                available_at=now,
                attempts=0,
                locked_by=None,
                locked_until=None,
                last_reason=reason[:500],
                updated_at=now,
            )
        ).rowcount
        if moved != 1:
            return False
        self.conn.execute(
            insert(t.deliveries).values(
                workspace_id=self.ws,
                outbox_id=row.id,
                person_id=row.person_id,
                idempotency_key=row.idempotency_key,
                channel=row.channel,
                status="requeued",
                reason=reason[:500],
                attempt=0,
                occurred_at=now,
            )
        )
        return True


class FeedbackRepository:
    """The reads behind answers that come back through links (:mod:`goodwill.deliveries.feedback`):
    a link names its workspace by id, so this one is not constructed with a workspace."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def workspace(self, workspace_id: int) -> Workspace | None:
        w = t.workspaces.c
        row = self.conn.execute(select(w.id, w.name).where(w.id == workspace_id)).first()
        return None if row is None else Workspace(int(row[0]), str(row[1]))

    def lock_person(self, workspace: Workspace, person_id: int) -> None:
        """Serialise answers for one person (PostgreSQL row lock; SQLite writers already queue)."""
        p = t.persons.c
        self.conn.execute(
            select(p.id).where(p.workspace_id == workspace.id, p.id == person_id).with_for_update()
        ).first()

    def payload_by_key(self, workspace: Workspace, key: str) -> dict[str, Any] | None:
        i = t.interactions.c
        row = self.conn.execute(
            select(i.payload).where(i.workspace_id == workspace.id, i.idempotency_key == key)
        ).first()
        return None if row is None else dict(row[0] or {})

    def product_by_sku(self, workspace: Workspace, sku: str) -> tuple[int, str] | None:
        p = t.products.c
        row = self.conn.execute(
            select(p.id, p.name).where(p.workspace_id == workspace.id, p.sku == sku)
        ).first()
        return None if row is None else (int(row[0]), str(row[1]))
