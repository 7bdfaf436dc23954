"""Test support for the dispatcher: outbox rows written directly (no scheduler), an in-process
SMTP sink, and a registry built around it."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Connection, insert, select

from goodwill.channels.base import Channel
from goodwill.channels.email import SmtpEmailChannel
from goodwill.channels.email_message import EmailIdentity
from goodwill.channels.registry import ChannelRegistry
from goodwill.channels.smtp_url import parse_smtp_url
from goodwill.db import tables as t
from goodwill.journeys.intents import (
    CallWebhook,
    CreateTask,
    Intent,
    RequestNps,
    RequestReview,
    SendMessage,
    Tag,
)
from goodwill.journeys.serialization import intent_to_dict
from goodwill.messaging.guardrails import GuardrailPolicy
from goodwill.messaging.quiet_hours import QuietHours
from goodwill.messaging.vocabulary import ChannelKind, Priority, Purpose
from goodwill.worker.dispatcher import DispatchConfig
from goodwill.workspaces.service import Workspace

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday, 10:00 UTC
SIGNING_KEY = "signing-key-for-worker-tests"
IDENTITY = EmailIdentity(
    sender_email="hello@casaverde.example",
    sender_name="Casa Verde",
    public_url="https://goodwill.casaverde.example",
    signing_key=SIGNING_KEY,
)
NO_LIMITS = GuardrailPolicy(weekly_budget=None, quiet_hours=QuietHours.parse("off"))
_seq = itertools.count(1)


def config(worker_id: str = "w1", **over: Any) -> DispatchConfig:
    values: dict[str, Any] = {
        "worker_id": worker_id,
        "policy": NO_LIMITS,
        "brand": "Casa Verde",
        "public_url": IDENTITY.public_url,
        "signing_key": SIGNING_KEY,
    }
    values.update(over)
    return DispatchConfig(**values)


def _common(
    person_id: int, key: str | None, not_before: datetime, priority: Priority
) -> dict[str, Any]:
    n = next(_seq)
    return {
        "idempotency_key": key or f"e{n}:step:1",
        "enrolment_id": f"e{n}",
        "person_id": str(person_id),
        "journey_key": "test-journey",
        "journey_version": 1,
        "step_id": "step",
        "occurrence": 1,
        "not_before": not_before,
        "priority": priority,
    }


def message_intent(
    person_id: int,
    *,
    key: str | None = None,
    template: str = "thank_you_first_order",
    channel: ChannelKind = ChannelKind.EMAIL,
    purpose: Purpose = Purpose.MARKETING,
    priority: Priority = Priority.RELATIONSHIP,
    not_before: datetime = NOW,
    variables: dict[str, Any] | None = None,
) -> SendMessage:
    return SendMessage(
        **_common(person_id, key, not_before, priority),
        channel=channel,
        template=template,
        purpose=purpose,
        variables=variables or {},
    )


def review_intent(person_id: int, *, nps: bool = False, order: str = "1001", **over: Any) -> Intent:
    cls = RequestNps if nps else RequestReview
    link = "nps_url" if nps else "review_url"
    return cls(
        **_common(
            person_id, over.pop("key", None), over.pop("not_before", NOW), Priority.REVIEW_NPS
        ),
        channel=ChannelKind.EMAIL,
        template="nps_request" if nps else "review_request",
        subject={"order": order},
        link_variable=link,
        variables={link: "{{signed_link}}", "last_order_number": order},
        **over,
    )


def task_intent(person_id: int, **over: Any) -> CreateTask:
    return CreateTask(
        **_common(person_id, over.pop("key", None), NOW, Priority.RELATIONSHIP),
        title=over.pop("title", "30-day check-in on order 1001"),
        body="",
        assignee=over.pop("assignee", None),
        assignee_rule="account_owner",
        due_at=NOW + timedelta(days=3),
        template=over.pop("template", "post_order_checkin"),
    )


def tag_intent(person_id: int, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> Tag:
    return Tag(**_common(person_id, None, NOW, Priority.RELATIONSHIP), add=add, remove=remove)


def webhook_intent(person_id: int, url: str, payload: dict[str, Any]) -> CallWebhook:
    return CallWebhook(
        **_common(person_id, None, NOW, Priority.RELATIONSHIP), url=url, payload=payload
    )


def add_outbox(conn: Connection, ws: Workspace, intent: Intent, **over: Any) -> int:
    """One outbox row for ``intent``, the way the scheduler writes it."""
    channel = getattr(intent, "channel", None)
    if channel is None:
        channel = {"create_task": "task", "webhook": "webhook"}.get(intent.kind, "")
    purpose = getattr(intent, "purpose", "")
    values: dict[str, Any] = {
        "workspace_id": ws.id,
        "enrolment_id": None,
        "person_id": int(intent.person_id),
        "idempotency_key": intent.idempotency_key,
        "action": intent.kind,
        "channel": str(channel),
        "purpose": str(purpose),
        "priority": int(intent.priority),
        "payload": intent_to_dict(intent),
        "status": "pending",
        "available_at": intent.not_before,
        "attempts": 0,
        "last_reason": "",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(over)
    result = conn.execute(insert(t.outbox).values(**values))
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def outbox_row(conn: Connection, row_id: int) -> Any:
    return conn.execute(select(t.outbox).where(t.outbox.c.id == row_id)).one()


def ledger(conn: Connection, row_id: int) -> list[Any]:
    d = t.deliveries.c
    return list(conn.execute(select(t.deliveries).where(d.outbox_id == row_id).order_by(d.id)))


# --- an SMTP sink ------------------------------------------------------------------------------
# Recipients steer its answers: nobody@ -> 550 at RCPT, busy@ -> 451 at RCPT,
# spam@ -> 554 after the dot, later@ -> 451 after the dot.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Sink:
    received: list[EmailMessage] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy@"):
            return "451 4.3.0 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if any(r.startswith("spam@") for r in envelope.rcpt_tos):
            return "554 5.7.1 Message rejected as spam"
        if any(r.startswith("later@") for r in envelope.rcpt_tos):
            return "451 4.7.1 Greylisted, try again later"
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 2.0.0 Queued"

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.received]


@contextmanager
def smtp_sink(sink: Sink | None = None) -> Iterator[tuple[Sink, int]]:
    sink = sink or Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def email_channel(port: int) -> SmtpEmailChannel:
    return SmtpEmailChannel(
        parse_smtp_url(f"smtp://127.0.0.1:{port}?timeout=5"), IDENTITY, helo_name="test.local"
    )


def email_registry(port: int, extra: dict[ChannelKind, Channel] | None = None) -> ChannelRegistry:
    return ChannelRegistry({ChannelKind.EMAIL: email_channel(port), **(extra or {})})
