"""Email channel against a real SMTP server (aiosmtpd on 127.0.0.1, random port)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.tls_kit import make_cert

from goodwill.channels.base import DeliveryStatus, OutboundMessage
from goodwill.channels.email import SmtpEmailChannel
from goodwill.channels.email_message import EmailIdentity, build_email, message_id_for
from goodwill.channels.smtp_url import parse_smtp_url
from goodwill.messaging.links import verify_unsubscribe_token
from goodwill.messaging.vocabulary import ChannelKind, Purpose

KEY = "signing-key-for-tests"
IDENTITY = EmailIdentity(
    sender_email="hello@casaverde.example",
    sender_name="Casa Verde",
    public_url="https://goodwill.casaverde.example",
    signing_key=KEY,
)
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)

# --- a real SMTP server ----------------------------------------------------------------------
# Recipients steer its answers: nobody@ -> 550 at RCPT, busy@ -> 451 at RCPT, closing@ -> 421 at
# RCPT, spam@ -> 554 at DATA.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    peer: Any

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Sink:
    received: list[Received] = field(default_factory=list)
    ehlos: int = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.ehlos += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy@"):
            return "451 4.3.0 Mailbox busy, try later"
        if address.startswith("closing@"):
            return "421 4.3.2 Shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if any(r.startswith("spam@") for r in envelope.rcpt_tos):
            return "554 5.7.1 Message rejected as spam"
        self.received.append(
            Received(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, session.peer
            )
        )
        return "250 2.0.0 Queued"


def authenticator(user: str, password: str) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == user
            and data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def smtp_server(sink: Sink, port: int | None = None, **kwargs: Any) -> Iterator[int]:
    port = port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


# --- tests -----------------------------------------------------------------------------------


def email(
    key: str = "journey:welcome:p1:step1",
    to: str = "ana@example.org",
    purpose: Purpose = Purpose.MARKETING,
    html: str | None = "<p>Olá Ana</p>",
) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        workspace_id="ws1",
        person_id="p1",
        channel=ChannelKind.EMAIL,
        purpose=purpose,
        to=to,
        to_name="Ana Silva",
        subject="Thank you, Ana",
        text="Olá Ana,\n\nThank you for your order.\n",
        html=html,
        template="thank_you_first_order",
    )


def channel(port: int, **kwargs: object) -> SmtpEmailChannel:
    return SmtpEmailChannel(
        parse_smtp_url(f"smtp://127.0.0.1:{port}?timeout=5"),
        IDENTITY,
        clock=lambda: NOW,
        helo_name="test.local",
        **kwargs,  # type: ignore[arg-type]
    )


def test_mime_structure_and_headers_arrive_intact() -> None:
    sink = Sink()
    with smtp_server(sink) as port, channel(port) as ch:
        result = ch.send(email())
    assert result.status is DeliveryStatus.SENT
    [got] = sink.received
    assert got.mail_from == "hello@casaverde.example"
    assert got.rcpt_tos == ["ana@example.org"]
    msg = got.message
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and "Olá Ana" in plain.get_content()
    assert html is not None and "<p>Olá Ana</p>" in html.get_content()
    assert msg["From"] == "Casa Verde <hello@casaverde.example>"
    assert msg["To"] == "Ana Silva <ana@example.org>"
    assert msg["Subject"] == "Thank you, Ana"
    assert msg["Date"] == "Tue, 03 Mar 2026 10:00:00 +0000"
    assert msg["Message-ID"] == result.provider_id
    assert b"\r\n" in got.data


def test_message_id_is_deterministic_from_the_idempotency_key() -> None:
    sink = Sink()
    with smtp_server(sink) as port, channel(port) as ch:
        first = ch.send(email(key="k-1"))
        again = ch.send(email(key="k-1"))
        other = ch.send(email(key="k-2"))
    assert first.provider_id == again.provider_id == message_id_for("k-1", "casaverde.example")
    assert other.provider_id != first.provider_id
    assert first.provider_id is not None
    assert first.provider_id.startswith("<") and first.provider_id.endswith("@casaverde.example>")
    assert len(first.provider_id.split("@")[0]) == 33  # "<" + 32 hex chars
    assert [r.message["Message-ID"] for r in sink.received] == [
        first.provider_id,
        first.provider_id,
        other.provider_id,
    ]


def parsed(message: OutboundMessage) -> EmailMessage:
    data = build_email(message, IDENTITY, date=NOW).data
    result = message_from_bytes(data, policy=policy.default)
    assert isinstance(result, EmailMessage)
    return result


def test_one_click_unsubscribe_headers_for_marketing_only() -> None:
    data = build_email(email(), IDENTITY, date=NOW).data
    assert b"=?utf-8?" not in data.split(b"List-Unsubscribe:")[1].split(b"MIME-Version")[0]
    marketing = parsed(email())
    header = marketing["List-Unsubscribe"]
    assert marketing["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (part.strip().strip("<>") for part in header.split(","))
    assert https.startswith("https://goodwill.casaverde.example/u/")
    claim = verify_unsubscribe_token(KEY, https.rsplit("/", 1)[1])
    assert (claim.workspace_id, claim.person_id, claim.purpose, claim.channel) == (
        "ws1",
        "p1",
        "marketing",
        "email",
    )
    assert mailto.startswith("mailto:hello@casaverde.example?subject=unsubscribe%20")
    receipt = parsed(email(purpose=Purpose.TRANSACTIONAL))
    assert receipt["List-Unsubscribe"] is None and receipt["List-Unsubscribe-Post"] is None


def test_text_only_message_is_single_part() -> None:
    mime = parsed(email(html=None))
    assert mime.get_content_type() == "text/plain"
    assert not mime.is_multipart()


def test_one_connection_serves_many_messages() -> None:
    sink = Sink()
    with smtp_server(sink) as port, channel(port) as ch:
        results = [ch.send(email(key=f"k-{i}")) for i in range(25)]
    assert all(r.status is DeliveryStatus.SENT for r in results)
    assert len(sink.received) == 25
    assert sink.ehlos == 1
    assert len({r.peer for r in sink.received}) == 1


def test_reconnects_after_max_messages_per_connection() -> None:
    sink = Sink()
    with smtp_server(sink) as port, channel(port, max_messages_per_connection=10) as ch:
        for i in range(25):
            assert ch.send(email(key=f"k-{i}")).ok
    assert len({r.peer for r in sink.received}) == 3


def test_reconnects_when_the_server_dropped_an_idle_connection() -> None:
    sink = Sink()
    port = free_port()
    with channel(port) as ch:
        with smtp_server(sink, port=port):
            assert ch.send(email(key="before")).ok
        with smtp_server(sink, port=port):  # the old connection is dead now
            result = ch.send(email(key="after"))
    assert result.status is DeliveryStatus.SENT
    assert [r.message["Message-ID"] for r in sink.received][-1] == result.provider_id


def test_connection_refused_is_transient() -> None:
    with channel(free_port()) as ch:
        result = ch.send(email())
    assert result.status is DeliveryStatus.TRANSIENT
    assert "cannot reach SMTP server 127.0.0.1" in result.reason


@pytest.mark.parametrize(
    ("to", "status", "code"),
    [
        ("nobody@example.org", DeliveryStatus.PERMANENT, 550),
        ("busy@example.org", DeliveryStatus.TRANSIENT, 451),
        ("spam@example.org", DeliveryStatus.PERMANENT, 554),
        ("closing@example.org", DeliveryStatus.TRANSIENT, 421),
    ],
)
def test_smtp_reply_codes_are_classified(to: str, status: DeliveryStatus, code: int) -> None:
    sink = Sink()
    with smtp_server(sink) as port, channel(port) as ch:
        result = ch.send(email(to=to))
        assert (result.status, result.code) == (status, code)
        assert str(code) in result.reason
        # the connection stays usable (or is reopened) for the next message
        assert ch.send(email(key="next")).status is DeliveryStatus.SENT


def test_unusable_address_is_permanent_without_contacting_the_server() -> None:
    with channel(free_port()) as ch:
        for bad in ("not-an-address", "ana@", "@example.org", "a b@example.org"):
            assert ch.send(email(to=bad)).status is DeliveryStatus.PERMANENT


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_url_encoded_credentials() -> None:
    sink = Sink()
    check = authenticator("mailer@casaverde.example", "p@ss:w/rd")
    with smtp_server(sink, authenticator=check, auth_required=True, auth_require_tls=False) as port:
        url = f"smtp://mailer%40casaverde.example:p%40ss%3Aw%2Frd@127.0.0.1:{port}"
        with SmtpEmailChannel(parse_smtp_url(url), IDENTITY, helo_name="t") as ch:
            assert ch.send(email()).status is DeliveryStatus.SENT
        wrong = f"smtp://mailer%40casaverde.example:nope@127.0.0.1:{port}"
        with SmtpEmailChannel(parse_smtp_url(wrong), IDENTITY, helo_name="t") as ch:
            result = ch.send(email())
    assert result.status is DeliveryStatus.TRANSIENT
    assert "check the user and password in GOODWILL_SMTP_URL" in result.reason
    assert "nope" not in result.reason
    assert len(sink.received) == 1


def test_starttls_with_a_trusted_certificate(tmp_path: Path) -> None:
    cert = make_cert(tmp_path)
    if cert is None:
        pytest.skip("openssl is not installed")
    sink = Sink()
    with smtp_server(sink, tls_context=cert.server_context(), require_starttls=True) as port:
        url = f"smtp://127.0.0.1:{port}?starttls=true"
        with SmtpEmailChannel(
            parse_smtp_url(url), IDENTITY, ssl_context=cert.client_context(), helo_name="t"
        ) as ch:
            assert ch.send(email()).status is DeliveryStatus.SENT
        plain = f"smtp://127.0.0.1:{port}?starttls=false"
        with SmtpEmailChannel(parse_smtp_url(plain), IDENTITY, helo_name="t") as ch:
            refused = ch.send(email(key="plain"))
    assert refused.status is DeliveryStatus.TRANSIENT and refused.code == 530
    assert "check GOODWILL_SMTP_URL" in refused.reason
    assert len(sink.received) == 1


def test_implicit_tls_smtps(tmp_path: Path) -> None:
    cert = make_cert(tmp_path)
    if cert is None:
        pytest.skip("openssl is not installed")
    sink = Sink()
    with smtp_server(sink, ssl_context=cert.server_context()) as port:
        url = f"smtps://127.0.0.1:{port}"
        with SmtpEmailChannel(
            parse_smtp_url(url), IDENTITY, ssl_context=cert.client_context(), helo_name="t"
        ) as ch:
            assert ch.send(email()).status is DeliveryStatus.SENT
        # an untrusted certificate is a TLS failure: transient, the operator must fix it
        with SmtpEmailChannel(parse_smtp_url(url), IDENTITY, helo_name="t") as ch:
            untrusted = ch.send(email(key="untrusted"))
    assert untrusted.status is DeliveryStatus.TRANSIENT
    assert len(sink.received) == 1


def test_wrong_channel_is_a_wiring_error() -> None:
    sms = OutboundMessage(
        idempotency_key="k",
        workspace_id="ws1",
        person_id="p1",
        channel=ChannelKind.SMS,
        purpose=Purpose.MARKETING,
        to="+351912345678",
        text="hi",
    )
    with channel(free_port()) as ch, pytest.raises(ValueError, match="sms message"):
        ch.send(sms)


def test_non_ascii_names_and_subjects_round_trip_and_headers_stay_short() -> None:
    identity = EmailIdentity("ola@casaverde.example", "Casa Verde Ção", "https://g.example", KEY)
    subject = "Obrigada pela sua primeira encomenda, Conceição! " * 3
    message = OutboundMessage(
        idempotency_key="k",
        workspace_id="w",
        person_id="p",
        channel=ChannelKind.EMAIL,
        purpose=Purpose.TRANSACTIONAL,
        to="ana@example.org",
        to_name='Ana "Nita" Conceição',
        subject=subject + "\r\nBcc: victim@example.org",
        text="Olá\n.starts with a dot\n" + "palavra " * 200,
        html="<p>Olá</p>",
    )
    data = build_email(message, identity, date=NOW).data
    assert data.isascii()
    header_block = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in header_block.split(b"\r\n"))
    assert b"\r\nBcc:" not in header_block
    parsed_message = message_from_bytes(data, policy=policy.default)
    assert parsed_message["Subject"] == " ".join((subject + " Bcc: victim@example.org").split())
    assert parsed_message["To"].addresses[0].display_name == 'Ana "Nita" Conceição'
    assert parsed_message["From"].addresses[0].display_name == "Casa Verde Ção"
    plain = parsed_message.get_body(("plain",))
    assert plain is not None
    assert plain.get_content().replace("\r\n", "\n") == message.text


def test_long_ascii_subject_folds_at_spaces() -> None:
    subject = "A thank you note " * 10
    data = build_email(
        OutboundMessage(
            idempotency_key="k", workspace_id="w", person_id="p", channel=ChannelKind.EMAIL,
            purpose=Purpose.TRANSACTIONAL, to="a@example.org", subject=subject, text="hi",
        ),
        IDENTITY,
        date=NOW,
    ).data  # fmt: skip
    header_block = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in header_block.split(b"\r\n"))
    assert message_from_bytes(data, policy=policy.default)["Subject"] == subject.strip()


def test_internationalised_recipient_uses_smtputf8() -> None:
    sink = Sink()
    with smtp_server(sink) as port, channel(port) as ch:
        result = ch.send(email(to="joão@exemplo.pt"))
    assert result.status is DeliveryStatus.SENT
    assert sink.received[0].rcpt_tos == ["joão@exemplo.pt"]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=120), st.text(max_size=60))
def test_any_subject_and_name_survive_the_round_trip(subject: str, name: str) -> None:
    message = OutboundMessage(
        idempotency_key="k", workspace_id="w", person_id="p", channel=ChannelKind.EMAIL,
        purpose=Purpose.MARKETING, to="a@example.org", to_name=name, subject=subject,
        text="body",
    )  # fmt: skip
    data = build_email(message, IDENTITY, date=NOW).data
    header_block = data.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in header_block.split(b"\r\n"))
    assert all(line[:1] in b" \t" or b":" in line for line in header_block.split(b"\r\n"))
    back = message_from_bytes(data, policy=policy.default)
    assert back["Subject"] == " ".join(subject.split())
    assert back["To"].addresses[0].addr_spec == "a@example.org"
    expected = " ".join(name.split())
    if expected.isascii():
        assert back["To"].addresses[0].display_name == expected
    else:
        # Python's structured-header parser adds a space between adjacent encoded words, which
        # RFC 2047 (6.2) says to ignore (the stdlib's own output fails the same way); decode
        # the raw phrase the RFC way instead.
        raw = message_from_bytes(data, policy=policy.compat32)["To"]
        phrase = str(raw).rsplit(" <", 1)[0]
        assert str(make_header(decode_header(phrase))) == expected
