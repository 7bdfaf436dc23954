"""The delivery ledger: one entry per message (its latest status) or every attempt, and
requeueing messages a person decided to try again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from goodwill.deliveries.models import LedgerEntry
from goodwill.deliveries.repository import DeliveriesRepository
from goodwill.errors import InvalidInput, NotFound
from goodwill.kit.clock import as_utc
from goodwill.workspaces.service import Workspace

STATUSES = (
    "pending",
    "queued",
    "sent",
    "failed",
    "suppressed",
    "deferred",
    "parked",
    "requeued",
)
#: Outbox states a message may be requeued from: it was never handed to a provider, so sending
#: it now cannot make a second copy.  ``sent``/``done`` never; ``pending`` is already queued.
REQUEUEABLE = ("parked", "failed", "suppressed")


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


@dataclass(frozen=True, slots=True)
class Requeued:
    """One message put back in the outbox (or, with ``dry_run``, one that would be)."""

    idempotency_key: str
    person_id: int
    channel: str
    was: str
    last_reason: str


def requeue(
    conn: Connection,
    workspace: Workspace,
    *,
    keys: Sequence[str] = (),
    status: str | None = None,
    person_id: int | None = None,
    now: datetime,
    by: str,
    note: str = "",
    limit: int = 10_000,
    dry_run: bool = False,
) -> list[Requeued]:
    """Put parked, failed or suppressed messages back to ``pending``, due now, with their
    attempts counted from zero; every guardrail (consent, preferences, budget, quiet hours) is
    checked again when the worker picks them up, so a message suppressed for a withdrawn consent
    is suppressed again.  Each gets a ``requeued`` ledger entry saying who and why.

    Select by message keys, by ``status`` (one of :data:`REQUEUEABLE`), by person, or a mix;
    with neither keys nor a status nothing is selected (no accidental "requeue everything").
    A key that is unknown, or whose message was sent or is still pending, is an error naming
    it, and nothing is requeued."""
    if status is not None and status not in REQUEUEABLE:
        raise InvalidInput(
            f"cannot requeue messages that are {status!r}; "
            f"only {', '.join(REQUEUEABLE)} messages can be requeued",
            code="deliveries.not_requeueable",
        )
    if not keys and status is None:
        raise InvalidInput(
            "say which messages to requeue: their keys, or --status " + "|".join(REQUEUEABLE),
            code="deliveries.requeue_needs_selection",
        )
    repo = DeliveriesRepository(conn, workspace)
    if keys:
        known = repo.keys_present(keys)
        missing = [k for k in keys if k not in known]
        if missing:
            raise NotFound(
                f"no message with key {missing[0]!r} in workspace {workspace.name!r}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                code="deliveries.unknown_key",
            )
        wrong = [(k, known[k]) for k in keys if known[k] not in REQUEUEABLE]
        if wrong:
            key, was = wrong[0]
            raise InvalidInput(
                f"message {key!r} is {was}; only {', '.join(REQUEUEABLE)} messages can be "
                "requeued (a sent message is never sent again)",
                code="deliveries.not_requeueable",
            )
    rows = repo.requeue_candidates(
        keys=keys,
        statuses=[status] if status is not None else list(REQUEUEABLE),
        person_id=person_id,
        limit=limit,
    )
    done: list[Requeued] = []
    for row in rows:
        reason = f"requeued by {by} (was {row.status}: {row.last_reason or 'no reason given'})"
        if note:
            reason = f"{reason}; {note}"
        if dry_run or repo.requeue(row, now=now, reason=reason):
            done.append(
                Requeued(
                    idempotency_key=row.idempotency_key,
                    person_id=int(row.person_id),
                    channel=row.channel,
                    was=row.status,
                    last_reason=row.last_reason or "",
                )
            )
    return done
