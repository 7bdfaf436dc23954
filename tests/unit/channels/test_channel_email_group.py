"""``SmtpEmailChannel.send_group``: several messages on several kept-open connections, one
commit hook call before their final dots; against a real SMTP server (aiosmtpd), with and
without PIPELINING advertised."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from tests.unit.channels.test_channel_email import IDENTITY, Sink, channel, smtp_server

from goodwill.channels.base import DeliveryStatus, OutboundMessage
from goodwill.channels.email import SmtpEmailChannel, _Session
from goodwill.channels.email_message import message_id_for
from goodwill.messaging.vocabulary import ChannelKind, Purpose


class PipeliningSink(Sink):
    """The same server, advertising PIPELINING (aiosmtpd reads commands in order anyway)."""

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        responses = await super().handle_EHLO(server, session, envelope, hostname, responses)
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture(params=[True, False], ids=["pipelining", "no-pipelining"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[Sink, int]]:
    sink = PipeliningSink() if request.param else Sink()
    with smtp_server(sink) as port:
        yield sink, port


def message(to: str, key: str) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        workspace_id="1",
        person_id="7",
        channel=ChannelKind.EMAIL,
        purpose=Purpose.MARKETING,
        to=to,
        to_name="Ana Silva",
        subject="Thank you",
        text="Hi Ana,\n.\nA line with a leading dot above.\n",
        html="<p>Hi Ana</p>",
    )


class Hook:
    def __init__(self, answer: Any = True) -> None:
        self.calls: list[list[tuple[int, str]]] = []
        self.answer = answer

    def __call__(self, items: list[tuple[int, str]]) -> list[bool]:
        self.calls.append(items)
        if callable(self.answer):
            return [bool(self.answer(i)) for i, _mid in items]
        return [bool(self.answer)] * len(items)


def received_ids(sink: Sink) -> list[str]:
    return sorted(str(r.message["Message-ID"]) for r in sink.received)


def mid(key: str) -> str:
    return message_id_for(key, IDENTITY.domain)


def test_each_failure_touches_only_its_own_message(server: tuple[Sink, int]) -> None:
    sink, port = server
    recipients = [
        "ana@example.org",
        "nobody@example.org",  # 550 at RCPT
        "bo@example.org",
        "busy@example.org",  # 451 at RCPT
        "not an address",  # never reaches the server
        "spam@example.org",  # 554 after the dot
        "cy@example.org",
    ]
    messages = [message(to, f"k{i}") for i, to in enumerate(recipients)]
    hook = Hook()
    with channel(port) as ch:
        results = ch.send_group(messages, commit=hook)
    statuses = [r.status for r in results]
    assert statuses == [
        DeliveryStatus.SENT,
        DeliveryStatus.PERMANENT,
        DeliveryStatus.SENT,
        DeliveryStatus.TRANSIENT,
        DeliveryStatus.PERMANENT,
        DeliveryStatus.PERMANENT,
        DeliveryStatus.SENT,
    ]
    assert (results[1].code, results[3].code, results[5].code) == (550, 451, 554)
    assert "RCPT" in results[1].reason and "DATA" in results[5].reason
    # One hook call, for exactly the messages whose content the server holds.
    assert hook.calls == [[(i, mid(f"k{i}")) for i in (0, 2, 5, 6)]]
    assert received_ids(sink) == sorted(mid(f"k{i}") for i in (0, 2, 6))
    assert [r.provider_id for r in results if r.ok] == [mid("k0"), mid("k2"), mid("k6")]
    # Dot-stuffing: the line holding a single dot arrived intact.
    body = sink.received[0].message.get_body(("plain",))
    assert body is not None and "\n.\r\nA line" in body.get_content()


def test_declined_messages_are_abandoned_without_the_dot(server: tuple[Sink, int]) -> None:
    sink, port = server
    messages = [message(f"p{i}@example.org", f"d{i}") for i in range(6)]
    hook = Hook(answer=lambda i: i % 2 == 0)
    with channel(port) as ch:
        results = ch.send_group(messages, commit=hook)
        again = ch.send_group(messages[1:2], commit=Hook())  # the pool recovers
    assert received_ids(sink) == sorted([mid("d0"), mid("d2"), mid("d4"), mid("d1")])
    assert [r.ok for r in results] == [True, False, True, False, True, False]
    assert "declined" in results[1].reason
    assert again[0].ok


def test_a_failing_hook_sends_nothing_and_raises(server: tuple[Sink, int]) -> None:
    sink, port = server
    messages = [message(f"p{i}@example.org", f"f{i}") for i in range(4)]

    def boom(items: list[tuple[int, str]]) -> list[bool]:
        raise RuntimeError("database went away")

    with channel(port) as ch:
        with pytest.raises(RuntimeError, match="database went away"):
            ch.send_group(messages, commit=boom)
        assert sink.received == []
        results = ch.send_group(messages, commit=Hook())
    assert all(r.ok for r in results)
    assert received_ids(sink) == sorted(mid(f"f{i}") for i in range(4))


def test_no_hook_call_when_nothing_reached_the_content(server: tuple[Sink, int]) -> None:
    _sink, port = server
    hook = Hook()
    with channel(port) as ch:
        results = ch.send_group(
            [message("nobody@example.org", "n1"), message("busy@example.org", "n2")], commit=hook
        )
    assert hook.calls == []
    assert [r.status for r in results] == [DeliveryStatus.PERMANENT, DeliveryStatus.TRANSIENT]


def test_connections_are_kept_and_reused_across_groups(server: tuple[Sink, int]) -> None:
    sink, port = server
    with channel(port) as ch:
        for g in range(3):
            group = [message(f"p{i}@example.org", f"r{g}:{i}") for i in range(4)]
            assert all(r.ok for r in ch.send_group(group, commit=Hook()))
    assert sink.ehlos == 4  # one EHLO per connection, four connections for three groups
    assert len(sink.received) == 12


def test_a_dropped_idle_connection_is_replaced_before_the_commit(server: tuple[Sink, int]) -> None:
    sink, port = server
    with channel(port) as ch:
        assert all(r.ok for r in ch.send_group([message("a@example.org", "i0")], commit=Hook()))
        session = ch._pool[0]
        assert session is not None
        session.sock.shutdown(socket.SHUT_RDWR)  # as if the server had closed it while idle
        hook = Hook()
        results = ch.send_group([message("a@example.org", "i1")], commit=hook)
    assert results[0].ok and len(hook.calls) == 1
    assert received_ids(sink) == sorted([mid("i0"), mid("i1")])


def test_an_unreachable_server_is_tried_once_per_group() -> None:
    from tests.unit.channels.test_channel_email import free_port

    with channel(free_port()) as ch:
        opened: list[int] = []
        real = ch._open

        def counting() -> Any:
            opened.append(1)
            return real()

        ch._open = counting  # type: ignore[method-assign]
        results = ch.send_group(
            [message(f"p{i}@example.org", f"u{i}") for i in range(5)], commit=Hook()
        )
    assert len(opened) == 1
    assert all(r.status is DeliveryStatus.TRANSIENT and r.code is None for r in results)


def test_reconnects_after_max_messages_per_connection(server: tuple[Sink, int]) -> None:
    sink, port = server
    with SmtpEmailChannel(
        channel(port).config, IDENTITY, helo_name="test.local", max_messages_per_connection=2
    ) as ch:
        for g in range(3):
            assert ch.send_group([message("a@example.org", f"m{g}")], commit=Hook())[0].ok
    assert sink.ehlos == 2 and len(sink.received) == 3


# --- the reply reader ---------------------------------------------------------------------------


class _FakeSmtp:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.does_esmtp = True

    def has_extn(self, name: str) -> bool:
        return name == "pipelining"


@pytest.mark.parametrize("chunk", [1, 3, 7, 1000])
def test_replies_are_read_whole_however_they_arrive(chunk: int) -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        session = _Session(_FakeSmtp(ours), 0)  # type: ignore[arg-type]
        wire = b"250-first\r\n250-second\r\n250 last\r\n354 go ahead\r\n550 5.1.1 no\r\n"
        for start in range(0, len(wire), chunk):
            theirs.sendall(wire[start : start + chunk])
        assert session.reply() == (250, b"first\nsecond\nlast")
        assert session.reply() == (354, b"go ahead")
        assert session.reply() == (550, b"5.1.1 no")
        theirs.close()
        with pytest.raises(Exception, match="closed"):
            session.reply()
