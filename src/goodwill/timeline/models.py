"""Interaction kinds and the idempotency-key convention of the timeline.

Every touch is one row in ``interactions`` with a workspace-unique ``idempotency_key`` so that
replaying an import, a webhook or a worker step never writes it twice.  Keys read
``<source>:<subject>:<id>:<event>``, for example ``shopify:order:#1001:placed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    ORDER_PLACED = "order.placed"
    ORDER_PAID = "order.paid"
    ORDER_FULFILLED = "order.fulfilled"
    ORDER_DELIVERED = "order.delivered"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_REFUNDED = "order.refunded"
    ORDER_RETURNED = "order.returned"
    MESSAGE_SENT = "message.sent"
    MESSAGE_OPENED = "message.opened"
    MESSAGE_CLICKED = "message.clicked"
    MESSAGE_REPLIED = "message.replied"
    MESSAGE_BOUNCED = "message.bounced"
    CALL = "call"
    MEETING = "meeting"
    NOTE = "note.added"
    SUPPORT_TICKET = "support.ticket"
    REVIEW_SUBMITTED = "review.submitted"
    NPS_ANSWERED = "nps.answered"
    WEB_VISIT = "web.visit"
    CONSENT_GRANTED = "consent.granted"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    TASK_CREATED = "task.created"
    TASK_COMPLETED = "task.completed"
    REFERRAL_MADE = "referral.made"
    PERSON_MERGED = "person.merged"
    PERSON_UNMERGED = "person.unmerged"


PURCHASE_KINDS = frozenset({Kind.ORDER_PLACED})
#: Touches that count towards engagement (not purchases, not our own sends).
ENGAGEMENT_KINDS = frozenset(
    {
        Kind.MESSAGE_OPENED,
        Kind.MESSAGE_CLICKED,
        Kind.MESSAGE_REPLIED,
        Kind.CALL,
        Kind.MEETING,
        Kind.SUPPORT_TICKET,
        Kind.REVIEW_SUBMITTED,
        Kind.NPS_ANSWERED,
        Kind.WEB_VISIT,
    }
)


def idempotency_key(source: str, subject: str, ident: str | int, event: str) -> str:
    return f"{source}:{subject}:{ident}:{event}"


@dataclass(frozen=True, slots=True)
class Interaction:
    person_id: int
    occurred_at: datetime
    kind: str
    idempotency_key: str
    channel: str = ""
    actor: str = ""
    source: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    account_id: int | None = None
    order_id: int | None = None
    id: int | None = None
