"""One line of the delivery ledger as people read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A message (latest entry) or one attempt of it (``--history``).

    ``status`` is the ledger status, or ``pending`` for a message not tried yet;
    ``outbox_status`` is where the message stands now; ``attempts`` counts attempts so far."""

    idempotency_key: str
    person_id: int
    action: str
    channel: str
    status: str
    reason: str
    attempt: int
    attempts: int
    message_id: str | None
    outbox_status: str
    template: str | None
    journey: str | None
    created_at: datetime
    occurred_at: datetime | None
    available_at: datetime | None
