"""States of an outbox row and of a delivery ledger entry, and what a dispatcher pass returns.

An outbox row (one per intent, written by the scheduler as ``pending``) moves like this::

    pending ──claim (lease: locked_by, locked_until)──▶ pending, leased
       ▲                                                  │
       │ deferred (budget, quiet hours): available_at = until, lease released
       │ transient failure: available_at = now + backoff, attempts + 1, lease released
       │ rejected after the commit point (4xx after the final dot), lease released
       └──────────────────────────────────────────────────┤
                                                          ├─▶ sent        handed to the provider
                                                          ├─▶ done        task created / tags applied
                                                          ├─▶ suppressed  guardrails said no (terminal)
                                                          ├─▶ failed      cannot be composed as is
                                                          └─▶ parked      provider refused for good,
                                                                          or retries exhausted

``pending`` is the only state a worker acts on; every transition out of it is a conditional
update (``WHERE status = 'pending' AND locked_by = :me``), so two workers racing on an expired
lease can never both record an outcome (and, for email, never both deliver: see
:mod:`goodwill.worker.commit`).  There is no separate "sending" state: the lease is the
in-flight marker, and a worker that dies mid-send leaves the row ``pending`` for the next lease.

``failed`` means the message could not be built from the record (a template variable missing
for this person, an unknown template, an unreadable payload): fixing the data and requeueing
is a human decision, so the row is not retried.  ``parked`` means the channel refused it (a
permanent SMTP/HTTP rejection) or it failed ``max_attempts`` times.

Ledger entries (``deliveries``, append-only, one per attempt/outcome, each with a reason)::

    queued      handed to a batch a vendor picks up later (postal)
    sent        accepted by the provider (email 250 after the final dot, HTTP 2xx), or an
                internal action done (task created, tags applied)
    failed      this attempt failed (the reason says whether and when it is retried), or the
                message could not be composed
    suppressed  not sent, and never will be (consent, preference, address, channel not set up)
    deferred    not now: budget or quiet hours; ``available_at`` moved to the next slot
    parked      given up: permanent rejection or retries exhausted
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DONE = "done"
    SUPPRESSED = "suppressed"
    FAILED = "failed"
    PARKED = "parked"


class LedgerStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    DEFERRED = "deferred"
    PARKED = "parked"


#: Ledger statuses that count as a contact with the person (for the budget).
CONTACT_STATUSES = (LedgerStatus.SENT, LedgerStatus.QUEUED)


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """One outbox row leased by this worker."""

    id: int
    person_id: int
    idempotency_key: str
    action: str
    channel: str
    purpose: str
    priority: int
    payload: dict[str, Any]
    attempts: int
    available_at: datetime

    @property
    def attempt(self) -> int:
        """The number of the attempt being made now (1-based)."""
        return self.attempts + 1


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one row: the ledger status and reason written for it."""

    key: str
    status: LedgerStatus
    reason: str
    message_id: str | None = None


@dataclass
class DispatchStats:
    """Counts of one or more dispatcher passes, by ledger status (``lost_race``: rows another
    worker took over after our lease expired; nothing was recorded or sent for them)."""

    claimed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    lost_race: int = 0

    def count(self, status: LedgerStatus) -> None:
        self.by_status[status.value] = self.by_status.get(status.value, 0) + 1

    def add(self, other: DispatchStats) -> None:
        self.claimed += other.claimed
        self.lost_race += other.lost_race
        for name, n in other.by_status.items():
            self.by_status[name] = self.by_status.get(name, 0) + n

    @property
    def handled(self) -> int:
        return sum(self.by_status.values()) + self.lost_race
