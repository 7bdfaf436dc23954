"""Signed JSON webhooks.

Each delivery is a ``POST`` of a JSON object to the URL in ``message.to`` with headers:

* ``X-Goodwill-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``;
  the receiver recomputes it with :func:`verify_webhook_signature` (several ``v1=`` entries may
  appear while a secret is being rotated);
* ``Idempotency-Key: <message key>``: the same on every retry, so the receiver can dedupe;
* ``Content-Type: application/json``.

Body::

    {"id": <idempotency key>, "type": "goodwill.message", "template": ..., "workspace_id": ...,
     "person_id": ..., "purpose": ..., "sent_at": <ISO 8601 UTC>, "subject": ..., "text": ...,
     "data": {<message.payload>}}

The secret is ``GOODWILL_WEBHOOK_SECRET``.  Status classification: see
:mod:`goodwill.channels.http`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx

from goodwill.channels.base import DeliveryResult, OutboundMessage
from goodwill.channels.http import classify_exception, classify_response, make_client
from goodwill.kit.clock import as_utc, utcnow
from goodwill.messaging.vocabulary import ChannelKind

SIGNATURE_HEADER = "X-Goodwill-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_WEBHOOK = ChannelKind.WEBHOOK


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign_webhook(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Goodwill-Signature`` header value for ``body`` sent at ``timestamp``."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify_webhook_signature(
    secret: str | Sequence[str],
    body: bytes,
    header: str,
    *,
    now: datetime | None = None,
    tolerance: timedelta = timedelta(minutes=5),
) -> bool:
    """True when ``header`` is a valid signature of the exact ``body`` bytes by (one of) the
    secret(s), made within ``tolerance`` of ``now`` (replay protection).  Constant-time."""
    secrets = [secret] if isinstance(secret, str) else list(secret)
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.strip())
    if timestamp is None or not candidates:
        return False
    current = as_utc(now or utcnow()).timestamp()
    if abs(current - timestamp) > tolerance.total_seconds():
        return False
    expected = [_mac(s, timestamp, body) for s in secrets]
    return any(hmac.compare_digest(e, c) for e in expected for c in candidates)


def webhook_body(message: OutboundMessage, sent_at: datetime) -> bytes:
    """The canonical JSON body (sorted keys, compact, UTF-8)."""
    document: dict[str, Any] = {
        "id": message.idempotency_key,
        "type": "goodwill.message",
        "template": message.template or None,
        "workspace_id": message.workspace_id,
        "person_id": message.person_id,
        "purpose": str(message.purpose) if message.purpose else None,
        "sent_at": as_utc(sent_at).isoformat().replace("+00:00", "Z"),
        "subject": message.subject or None,
        "text": message.text or None,
        "data": dict(message.payload),
    }
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


class WebhookChannel:
    """POSTs signed JSON; ``transport`` lets tests use ``httpx.MockTransport``."""

    def __init__(
        self,
        secret: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._secret = secret
        self._clock = clock
        self._timeout = timeout
        self._transport = transport
        self._client: httpx.Client | None = None

    @property
    def kind(self) -> ChannelKind:
        return _WEBHOOK

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = make_client(timeout=self._timeout, transport=self._transport)
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def send(self, message: OutboundMessage) -> DeliveryResult:
        if message.channel != _WEBHOOK:
            raise ValueError(f"a {message.channel} message was given to the webhook channel")
        url = message.to.strip()
        if not url.lower().startswith(("https://", "http://")):
            return DeliveryResult.permanent(_WEBHOOK, f"webhook URL {url!r} is not http(s)")
        now = self._clock()
        body = webhook_body(message, now)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_webhook(self._secret, body, int(as_utc(now).timestamp())),
            IDEMPOTENCY_HEADER: message.idempotency_key,
        }
        try:
            response = self._http().post(url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return classify_exception(_WEBHOOK, exc, "webhook endpoint")
        failure = classify_response(_WEBHOOK, response, now=now, what="webhook endpoint")
        if failure is not None:
            return failure
        provider_id = response.headers.get("X-Request-Id") or message.idempotency_key
        return DeliveryResult.sent(_WEBHOOK, provider_id, f"HTTP {response.status_code}")
