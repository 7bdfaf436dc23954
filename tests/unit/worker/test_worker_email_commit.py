"""The email channel's commit hook: the final dot is written only after the hook says yes."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from tests.integration.worker.outbox_kit import free_port

from goodwill.channels.base import DeliveryStatus, OutboundMessage
from goodwill.channels.email import SmtpEmailChannel
from goodwill.channels.email_message import EmailIdentity, message_id_for
from goodwill.channels.smtp_url import parse_smtp_url
from goodwill.messaging.vocabulary import ChannelKind, Purpose

IDENTITY = EmailIdentity(
    sender_email="hello@casaverde.example",
    sender_name="Casa Verde",
    public_url="https://goodwill.casaverde.example",
    signing_key="signing-key-for-tests",
)


class Sink:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if any(r.startswith("spam@") for r in envelope.rcpt_tos):
            return "554 5.7.1 Rejected"
        self.received.append(envelope.original_content)
        return "250 2.0.0 Queued"


@pytest.fixture
def sink_port() -> Any:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def channel(port: int) -> SmtpEmailChannel:
    return SmtpEmailChannel(
        parse_smtp_url(f"smtp://127.0.0.1:{port}?timeout=5"),
        IDENTITY,
        clock=lambda: datetime(2026, 3, 3, 10, tzinfo=UTC),
        helo_name="test.local",
    )


def email(
    key: str = "k-1", to: str = "ana@example.org", text: str = "Hello\n.\nBye\n"
) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        workspace_id="1",
        person_id="7",
        channel=ChannelKind.EMAIL,
        purpose=Purpose.MARKETING,
        to=to,
        subject="Hi",
        text=text,
    )


def test_the_hook_sees_the_message_id_and_the_server_gets_the_message_once(
    sink_port: Any,
) -> None:
    sink, port = sink_port
    calls: list[str] = []

    def commit(message_id: str) -> bool:
        assert sink.received == []  # the server does not have it before the commit
        calls.append(message_id)
        return True

    with channel(port) as ch:
        result = ch.send(email(), commit=commit)
        assert ch.last_committed
    assert result.status is DeliveryStatus.SENT
    assert calls == [message_id_for("k-1", "casaverde.example")] == [result.provider_id]
    [data] = sink.received
    assert b"Hello\r\n=2E\r\nBye" in data  # a line holding a lone dot never ends DATA early


def test_a_declining_hook_leaves_nothing_at_the_server(sink_port: Any) -> None:
    sink, port = sink_port
    with channel(port) as ch:
        declined = ch.send(email(key="k-2"), commit=lambda _mid: False)
        assert not ch.last_committed
        after = ch.send(email(key="k-3"), commit=lambda _mid: True)  # the channel recovers
    assert declined.status is DeliveryStatus.TRANSIENT
    assert "declined" in declined.reason
    assert after.status is DeliveryStatus.SENT
    assert len(sink.received) == 1 and b"k-3" not in sink.received[0]


def test_a_failing_hook_leaves_nothing_at_the_server_and_raises(sink_port: Any) -> None:
    sink, port = sink_port

    def broken(_mid: str) -> bool:
        raise RuntimeError("database is gone")

    with channel(port) as ch, pytest.raises(RuntimeError, match="database is gone"):
        ch.send(email(), commit=broken)
    assert sink.received == []


def test_the_hook_is_not_called_when_the_recipient_is_refused(sink_port: Any) -> None:
    _sink, port = sink_port
    calls: list[str] = []
    with channel(port) as ch:
        result = ch.send(email(to="nobody@example.org"), commit=lambda m: calls.append(m) or True)
    assert result.status is DeliveryStatus.PERMANENT and calls == []


def test_a_rejection_after_the_dot_is_reported_as_committed(sink_port: Any) -> None:
    sink, port = sink_port
    with channel(port) as ch:
        result = ch.send(email(to="spam@example.org"), commit=lambda _mid: True)
        assert ch.last_committed
    assert result.status is DeliveryStatus.PERMANENT and "554" in result.reason
    assert sink.received == []


def test_a_connection_that_dies_before_the_dot_is_never_retried_after_the_commit(
    sink_port: Any,
) -> None:
    sink, port = sink_port
    calls: list[str] = []
    with channel(port) as ch:

        def commit(message_id: str) -> bool:
            calls.append(message_id)
            assert ch._conn is not None and ch._conn.sock is not None
            ch._conn.sock.shutdown(socket.SHUT_RDWR)  # the connection breaks after the commit
            return True

        result = ch.send(email(), commit=commit)
    assert result.status is DeliveryStatus.TRANSIENT
    assert len(calls) == 1 and sink.received == []
