"""All queries on the outbox and the delivery ledger made by the dispatcher.

Every transition of an outbox row is a conditional update: it applies only while the row is
still ``pending`` and leased by this worker (``locked_by = :me``), and reports whether it did.
A ``False`` means another worker took the row over after our lease expired: the caller must not
act on it (and, for email, must abandon the SMTP transaction; see :mod:`goodwill.worker.commit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from goodwill.db import tables as t
from goodwill.db.engine import is_postgres
from goodwill.worker.models import ClaimedRow, LedgerStatus, OutboxStatus
from goodwill.workspaces.service import Workspace

REASON_MAX = 500
_PENDING = OutboxStatus.PENDING.value


def clip(reason: str) -> str:
    """Reasons are sentences for people; the column holds 500 characters."""
    text = " ".join(reason.split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


class OutboxRepository:
    """The dispatcher's queries for one workspace."""

    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    # -- claiming ------------------------------------------------------------------------------

    def claim(
        self, worker_id: str, *, now: datetime, limit: int, lease: timedelta
    ) -> list[ClaimedRow]:
        """Lease up to ``limit`` due rows (oldest first).  On PostgreSQL rows another worker is
        claiming right now are skipped (``FOR UPDATE SKIP LOCKED``); on SQLite the write lock
        taken at ``BEGIN IMMEDIATE`` serialises claims."""
        o = t.outbox.c
        query = (
            select(
                o.id,
                o.person_id,
                o.idempotency_key,
                o.action,
                o.channel,
                o.purpose,
                o.priority,
                o.payload,
                o.attempts,
                o.available_at,
            )
            .where(
                o.status == _PENDING,
                o.available_at <= now,
                or_(o.locked_until.is_(None), o.locked_until < now),
                o.workspace_id == self.ws,
            )
            .order_by(o.available_at, o.id)
            .limit(limit)
        )
        if is_postgres(self.conn):
            query = query.with_for_update(skip_locked=True)
        rows = [
            ClaimedRow(
                id=int(r.id),
                person_id=int(r.person_id),
                idempotency_key=r.idempotency_key,
                action=r.action,
                channel=r.channel,
                purpose=r.purpose,
                priority=int(r.priority),
                payload=dict(r.payload or {}),
                attempts=int(r.attempts),
                available_at=r.available_at,
            )
            for r in self.conn.execute(query)
        ]
        if rows:
            self.conn.execute(
                update(t.outbox)
                .where(o.id.in_([r.id for r in rows]))
                .values(locked_by=worker_id, locked_until=now + lease)
            )
        return rows

    def release(self, worker_id: str, row_ids: Sequence[int] | None = None) -> int:
        """Give back leases (all of this worker's, or the given rows) without acting on them."""
        o = t.outbox.c
        query = update(t.outbox).where(
            o.workspace_id == self.ws, o.locked_by == worker_id, o.status == _PENDING
        )
        if row_ids is not None:
            query = query.where(o.id.in_(list(row_ids)))
        return int(self.conn.execute(query.values(locked_by=None, locked_until=None)).rowcount)

    # -- transitions (each: WHERE status = 'pending' AND locked_by = :me) ---------------------

    def _mine(self, row_id: int, worker_id: str, status: str = _PENDING) -> Any:
        o = t.outbox.c
        return (
            update(t.outbox)
            .where(o.id == row_id, and_(o.locked_by == worker_id, o.status == status))
            .execution_options(synchronize_session=False)
        )

    def mark_sent(
        self, row_id: int, worker_id: str, *, message_id: str | None, reason: str, now: datetime
    ) -> bool:
        """The commit point of a send: ``True`` if this worker still owned the row."""
        result = self.conn.execute(
            self._mine(row_id, worker_id).values(
                status=OutboxStatus.SENT.value,
                message_id=message_id,
                attempts=t.outbox.c.attempts + 1,
                locked_until=None,
                last_reason=clip(reason),
                updated_at=now,
            )
        )
        return bool(result.rowcount == 1)

    def finish(
        self, row_id: int, worker_id: str, status: OutboxStatus, *, reason: str, now: datetime
    ) -> bool:
        """A final state other than sent (done, suppressed, failed, parked)."""
        attempts = t.outbox.c.attempts + (0 if status is OutboxStatus.SUPPRESSED else 1)
        result = self.conn.execute(
            self._mine(row_id, worker_id).values(
                status=status.value,
                attempts=attempts,
                locked_until=None,
                last_reason=clip(reason),
                updated_at=now,
            )
        )
        return bool(result.rowcount == 1)

    def reschedule(
        self,
        row_id: int,
        worker_id: str,
        *,
        available_at: datetime,
        reason: str,
        now: datetime,
        failed_attempt: bool,
        from_status: OutboxStatus = OutboxStatus.PENDING,
    ) -> bool:
        """Back to ``pending`` at ``available_at`` with the lease released: a deferral
        (``failed_attempt=False``) or a retry after a failed attempt.  ``from_status=SENT``
        reverts a row whose send was committed but then rejected by the server."""
        attempts = t.outbox.c.attempts + (1 if failed_attempt else 0)
        if from_status is OutboxStatus.SENT:
            attempts = t.outbox.c.attempts  # the commit already counted this attempt
        result = self.conn.execute(
            self._mine(row_id, worker_id, from_status.value).values(
                status=_PENDING,
                available_at=available_at,
                attempts=attempts,
                locked_by=None,
                locked_until=None,
                message_id=None,
                last_reason=clip(reason),
                updated_at=now,
            )
        )
        return bool(result.rowcount == 1)

    def park_after_commit(self, row_id: int, worker_id: str, *, reason: str, now: datetime) -> bool:
        """A committed send the server then refused for good (5xx after the final dot)."""
        result = self.conn.execute(
            self._mine(row_id, worker_id, OutboxStatus.SENT.value).values(
                status=OutboxStatus.PARKED.value, last_reason=clip(reason), updated_at=now
            )
        )
        return bool(result.rowcount == 1)

    # -- the ledger ----------------------------------------------------------------------------

    def record(
        self,
        row: ClaimedRow,
        status: LedgerStatus,
        *,
        reason: str,
        at: datetime,
        attempt: int | None = None,
        message_id: str | None = None,
    ) -> None:
        self.conn.execute(
            insert(t.deliveries).values(
                workspace_id=self.ws,
                outbox_id=row.id,
                person_id=row.person_id,
                idempotency_key=row.idempotency_key,
                channel=row.channel,
                status=status.value,
                reason=clip(reason),
                message_id=message_id,
                attempt=row.attempt if attempt is None else attempt,
                occurred_at=at,
            )
        )

    # -- the person's tags (a ``tag`` intent) --------------------------------------------------

    def person_tags(self, person_id: int) -> list[str] | None:
        """The person's tags, or ``None`` if there is no such person."""
        p = t.persons.c
        found = self.conn.execute(
            select(p.tags).where(p.id == person_id, p.workspace_id == self.ws)
        ).first()
        if found is None:
            return None
        return [str(x) for x in (found.tags or [])]

    def set_tags(self, person_id: int, tags: list[str], now: datetime) -> None:
        p = t.persons.c
        self.conn.execute(
            update(t.persons)
            .where(p.id == person_id, p.workspace_id == self.ws)
            .values(tags=tags, updated_at=now)
        )

    def status_of(self, row_id: int) -> tuple[str, str | None] | None:
        """``(status, locked_by)`` of a row (for tests and diagnostics)."""
        o = t.outbox.c
        found = self.conn.execute(
            select(o.status, o.locked_by).where(o.id == row_id, o.workspace_id == self.ws)
        ).first()
        return None if found is None else (found.status, found.locked_by)
