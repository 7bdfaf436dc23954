"""Reading the delivery ledger: one entry per message (its latest status), or every attempt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from goodwill.deliveries.models import LedgerEntry
from goodwill.deliveries.repository import DeliveriesRepository
from goodwill.errors import InvalidInput
from goodwill.kit.clock import as_utc
from goodwill.workspaces.service import Workspace

STATUSES = ("pending", "queued", "sent", "failed", "suppressed", "deferred", "parked")


def _entry(r: Any) -> LedgerEntry:
    payload = r.payload or {}
    return LedgerEntry(
        idempotency_key=r.idempotency_key,
        person_id=int(r.person_id),
        action=r.action,
        channel=r.channel,
        status=r.status or "pending",
        reason=r.reason or "",
        attempt=int(r.attempt or 0),
        attempts=int(r.attempts),
        message_id=r.message_id or r.outbox_message_id,
        outbox_status=r.outbox_status,
        template=payload.get("template"),
        journey=payload.get("journey_key"),
        created_at=as_utc(r.created_at),
        occurred_at=None if r.occurred_at is None else as_utc(r.occurred_at),
        available_at=None if r.available_at is None else as_utc(r.available_at),
    )


def list_deliveries(
    conn: Connection,
    workspace: Workspace,
    *,
    person_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    history: bool = False,
) -> list[LedgerEntry]:
    """Newest first.  ``status`` filters on the latest status (or, with ``history``, on each
    entry); ``pending`` means not tried yet."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            f"unknown delivery status {status!r}; use one of {', '.join(STATUSES)}",
            code="deliveries.invalid_status",
        )
    repo = DeliveriesRepository(conn, workspace)
    if history:
        rows = repo.history(person_id=person_id, status=status, limit=limit)
    else:
        rows = repo.latest(person_id=person_id, status=status, limit=limit)
    return [_entry(r) for r in rows]
