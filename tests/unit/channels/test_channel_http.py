"""Webhook and SMS adapters over httpx.MockTransport: signatures, bodies, classification."""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from goodwill.channels.base import DeliveryStatus, OutboundMessage
from goodwill.channels.http import retry_after_seconds
from goodwill.channels.sms import HttpSmsChannel, parse_sms_url
from goodwill.channels.webhook import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    WebhookChannel,
    sign_webhook,
    verify_webhook_signature,
)
from goodwill.errors import GoodwillError
from goodwill.messaging.vocabulary import ChannelKind, Purpose

SECRET = "whsec-test-0123456789"
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def hook(
    key: str = "journey:review:p1:1", to: str = "https://crm.example/hooks/goodwill"
) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key=key,
        workspace_id="ws1",
        person_id="p1",
        channel=ChannelKind.WEBHOOK,
        purpose=Purpose.REVIEWS,
        to=to,
        subject="How are you finding your linen throw?",
        text="Hi Ana",
        template="review_request",
        payload={"order": "#1042", "total_minor": 4599},
    )


def sms(
    to: str = "+351912345678", text: str = "Hi Ana, your honest review? https://r.example"
) -> OutboundMessage:
    return OutboundMessage(
        idempotency_key="journey:review:p1:sms",
        workspace_id="ws1",
        person_id="p1",
        channel=ChannelKind.SMS,
        purpose=Purpose.REVIEWS,
        to=to,
        text=text,
    )


def recorder(response: httpx.Response | Handler) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return response(request) if callable(response) else response

    return seen, httpx.MockTransport(handle)


def test_webhook_posts_signed_canonical_json() -> None:
    seen, transport = recorder(httpx.Response(202, headers={"X-Request-Id": "req-9"}))
    channel = WebhookChannel(SECRET, transport=transport, clock=lambda: NOW)
    result = channel.send(hook())
    assert result.status is DeliveryStatus.SENT and result.provider_id == "req-9"
    [request] = seen
    assert request.method == "POST" and str(request.url) == "https://crm.example/hooks/goodwill"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers[IDEMPOTENCY_HEADER] == "journey:review:p1:1"
    body = request.content
    document = json.loads(body)
    assert document == {
        "id": "journey:review:p1:1",
        "type": "goodwill.message",
        "template": "review_request",
        "workspace_id": "ws1",
        "person_id": "p1",
        "purpose": "reviews",
        "sent_at": "2026-03-03T10:00:00Z",
        "subject": "How are you finding your linen throw?",
        "text": "Hi Ana",
        "data": {"order": "#1042", "total_minor": 4599},
    }
    header = request.headers[SIGNATURE_HEADER]
    assert header.startswith(f"t={int(NOW.timestamp())},v1=")
    assert verify_webhook_signature(SECRET, body, header, now=NOW)


def test_signature_verification_rejects_tampering_replay_and_wrong_secret() -> None:
    body = b'{"id":"k"}'
    header = sign_webhook(SECRET, body, int(NOW.timestamp()))
    assert verify_webhook_signature(SECRET, body, header, now=NOW + timedelta(minutes=4))
    assert not verify_webhook_signature(SECRET, body + b" ", header, now=NOW)
    assert not verify_webhook_signature("other-secret-xyz", body, header, now=NOW)
    assert not verify_webhook_signature(SECRET, body, header, now=NOW + timedelta(minutes=6))
    assert not verify_webhook_signature(SECRET, body, "v1=abc", now=NOW)
    assert not verify_webhook_signature(SECRET, body, "garbage", now=NOW)
    # rotation: a header carrying signatures under old and new secret verifies with either
    rotated = (
        header + "," + sign_webhook("new-secret-abcdef", body, int(NOW.timestamp())).split(",")[1]
    )
    assert verify_webhook_signature("new-secret-abcdef", body, rotated, now=NOW)
    assert verify_webhook_signature(["x-secret-000000", SECRET], body, header, now=NOW)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, DeliveryStatus.SENT),
        (204, DeliveryStatus.SENT),
        (301, DeliveryStatus.PERMANENT),
        (400, DeliveryStatus.PERMANENT),
        (401, DeliveryStatus.PERMANENT),
        (404, DeliveryStatus.PERMANENT),
        (408, DeliveryStatus.TRANSIENT),
        (410, DeliveryStatus.PERMANENT),
        (422, DeliveryStatus.PERMANENT),
        (429, DeliveryStatus.TRANSIENT),
        (500, DeliveryStatus.TRANSIENT),
        (502, DeliveryStatus.TRANSIENT),
        (503, DeliveryStatus.TRANSIENT),
    ],
)
def test_http_status_classification(status: int, expected: DeliveryStatus) -> None:
    headers = {"Location": "https://elsewhere.example"} if status == 301 else {}
    for channel, message in (
        (
            WebhookChannel(SECRET, transport=recorder(httpx.Response(status, headers=headers))[1]),
            hook(),
        ),
        (
            HttpSmsChannel(
                parse_sms_url("https://sms.example/send"),
                default_sender="Casa Verde",
                transport=recorder(httpx.Response(status, headers=headers))[1],
            ),
            sms(),
        ),
    ):
        result = channel.send(message)
        assert result.status is expected
        if expected is not DeliveryStatus.SENT:
            assert result.code == status


def test_retry_after_is_passed_on() -> None:
    _, transport = recorder(httpx.Response(429, headers={"Retry-After": "120"}, text="slow down"))
    result = WebhookChannel(SECRET, transport=transport).send(hook())
    assert result.status is DeliveryStatus.TRANSIENT and result.retry_after == 120
    assert "HTTP 429: slow down" in result.reason
    date = "Tue, 03 Mar 2026 10:05:00 GMT"
    assert retry_after_seconds(date, NOW) == 300
    assert retry_after_seconds("soon", NOW) is None


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed"),
    ],
)
def test_network_failures_are_transient(error: Exception) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    result = WebhookChannel(SECRET, transport=httpx.MockTransport(fail)).send(hook())
    assert result.status is DeliveryStatus.TRANSIENT


def test_unusable_webhook_url_is_permanent() -> None:
    _, transport = recorder(httpx.Response(200))
    channel = WebhookChannel(SECRET, transport=transport)
    assert channel.send(hook(to="ftp://crm.example/x")).status is DeliveryStatus.PERMANENT
    assert channel.send(hook(to="not a url")).status is DeliveryStatus.PERMANENT


def test_sms_posts_json_with_basic_auth_and_idempotency_key() -> None:
    seen, transport = recorder(httpx.Response(201, json={"sid": "SM123"}))
    endpoint = parse_sms_url(
        "https://acct%40x:tok%2Fen@sms.example/v1/send?region=eu&from=CasaVerde"
    )
    assert endpoint.url == "https://sms.example/v1/send?region=eu"
    channel = HttpSmsChannel(endpoint, default_sender="Ignored", transport=transport)
    result = channel.send(sms())
    assert result.status is DeliveryStatus.SENT and result.provider_id == "SM123"
    [request] = seen
    assert str(request.url) == "https://sms.example/v1/send?region=eu"
    assert request.headers["Authorization"] == "Basic " + b64encode(b"acct@x:tok/en").decode()
    assert request.headers["Idempotency-Key"] == "journey:review:p1:sms"
    assert json.loads(request.content) == {
        "to": "+351912345678",
        "from": "CasaVerde",
        "body": "Hi Ana, your honest review? https://r.example",
        "idempotency_key": "journey:review:p1:sms",
    }
    channel.close()


def test_sms_defaults_and_validation() -> None:
    seen, transport = recorder(httpx.Response(200, text="ok"))
    channel = HttpSmsChannel(
        parse_sms_url("https://sms.example/send"), default_sender="Casa Verde", transport=transport
    )
    assert channel.send(sms()).provider_id == "journey:review:p1:sms"
    assert json.loads(seen[0].content)["from"] == "Casa Verde"
    assert "Authorization" not in seen[0].headers
    assert channel.send(sms(to="0912345678")).status is DeliveryStatus.PERMANENT
    assert channel.send(sms(text="   ")).status is DeliveryStatus.PERMANENT
    assert len(seen) == 1


@pytest.mark.parametrize(
    "url", ["sms.example/send", "ftp://sms.example", "https://:80/x", "https://h:bad/x"]
)
def test_malformed_sms_url(url: str) -> None:
    with pytest.raises(GoodwillError, match="GOODWILL_SMS_URL is invalid"):
        parse_sms_url(url)


def test_webhook_without_purpose_and_direct_channels_require_one() -> None:
    seen, transport = recorder(httpx.Response(200))
    message = OutboundMessage(
        idempotency_key="k", workspace_id="w", person_id="p", channel=ChannelKind.WEBHOOK,
        to="https://crm.example/h", payload={"tag": "vip"},
    )  # fmt: skip
    assert WebhookChannel(SECRET, transport=transport).send(message).ok
    assert json.loads(seen[0].content)["purpose"] is None
    with pytest.raises(ValueError, match="needs a purpose"):
        OutboundMessage(
            idempotency_key="k", workspace_id="w", person_id="p", channel=ChannelKind.SMS
        )
