"""SMS through a configurable HTTP provider.

``GOODWILL_SMS_URL`` names the provider endpoint, credentials included, for example
``https://user:token@sms.example/send``.  An optional ``from=`` query parameter sets the
sender (a number or an alphanumeric sender id; default: ``GOODWILL_SENDER_NAME``) and is not
passed on to the provider.  Each message is one ``POST`` with HTTP basic auth (when the URL
has credentials), an ``Idempotency-Key`` header, and the JSON body::

    {"to": "+3519...", "from": "...", "body": "...", "idempotency_key": "..."}

A ``2xx`` answer is sent; the provider's id is read from ``id``, ``message_id``, ``sid`` or
``messageId`` in a JSON answer when present.  Other statuses: :mod:`goodwill.channels.http`.
A provider with a different body shape needs a small adapter of its own; this one is the
generic contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import httpx

from goodwill.channels.base import ChannelConfigError, DeliveryResult, OutboundMessage
from goodwill.channels.http import classify_exception, classify_response, make_client
from goodwill.kit.clock import utcnow
from goodwill.messaging.vocabulary import ChannelKind

_SMS = ChannelKind.SMS
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True, slots=True)
class SmsEndpoint:
    url: str
    username: str | None = None
    password: str | None = None
    sender: str | None = None

    def describe(self) -> str:
        who = f", user {self.username}" if self.username else ""
        return f"sms {self.url}{who}"


def parse_sms_url(url: str) -> SmsEndpoint:
    """Split credentials and ``from`` out of ``GOODWILL_SMS_URL`` (password never echoed)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ChannelConfigError("GOODWILL_SMS_URL is invalid: bad port") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ChannelConfigError(
            "GOODWILL_SMS_URL is invalid: expected https://user:token@provider.example/send"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    sender = next((v for k, v in query if k == "from"), None)
    rest = [(k, v) for k, v in query if k != "from"]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = f"{host}:{port}" if port else host
    clean = urlunsplit((parts.scheme, netloc, parts.path, urlencode(rest), ""))
    return SmsEndpoint(
        url=clean,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        sender=sender or None,
    )


def _provider_id(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict):
        for key in ("id", "message_id", "sid", "messageId"):
            if data.get(key):
                return str(data[key])
    return None


class HttpSmsChannel:
    """POSTs one JSON message per SMS; ``transport`` lets tests use ``httpx.MockTransport``."""

    def __init__(
        self,
        endpoint: SmsEndpoint,
        *,
        default_sender: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._endpoint = endpoint
        self._sender = endpoint.sender or default_sender
        self._timeout = timeout
        self._transport = transport
        self._clock = clock
        self._client: httpx.Client | None = None

    @property
    def kind(self) -> ChannelKind:
        return _SMS

    def _http(self) -> httpx.Client:
        if self._client is None:
            auth = None
            if self._endpoint.username is not None:
                auth = httpx.BasicAuth(self._endpoint.username, self._endpoint.password or "")
            self._client = make_client(timeout=self._timeout, transport=self._transport, auth=auth)
        return self._client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def send(self, message: OutboundMessage) -> DeliveryResult:
        if message.channel != _SMS:
            raise ValueError(f"a {message.channel} message was given to the SMS channel")
        to = message.to.strip()
        if not _E164.match(to):
            return DeliveryResult.permanent(_SMS, f"{to!r} is not an E.164 phone number")
        body = message.text.strip()
        if not body:
            return DeliveryResult.permanent(_SMS, "the SMS body is empty")
        payload = {
            "to": to,
            "from": self._sender,
            "body": body,
            "idempotency_key": message.idempotency_key,
        }
        now = self._clock()
        try:
            response = self._http().post(
                self._endpoint.url,
                json=payload,
                headers={"Idempotency-Key": message.idempotency_key},
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return classify_exception(_SMS, exc, "SMS provider")
        failure = classify_response(_SMS, response, now=now, what="SMS provider")
        if failure is not None:
            return failure
        provider_id = _provider_id(response) or message.idempotency_key
        return DeliveryResult.sent(_SMS, provider_id, f"HTTP {response.status_code}")
