"""What HTTP-based adapters (webhook, SMS) share: one client, one classification.

Classification of one POST:

* ``2xx``: sent;
* ``408``, ``425``, ``429`` and every ``5xx``: transient (``Retry-After`` in seconds or as an
  HTTP date becomes ``retry_after``);
* other ``4xx`` and ``3xx`` (redirects are not followed: a moved endpoint is a settings problem
  and following it could leak the signature elsewhere): permanent;
* timeouts, refused or reset connections, DNS failures: transient;
* a URL httpx cannot use: permanent.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx

import goodwill
from goodwill.channels.base import DeliveryResult
from goodwill.kit.clock import as_utc
from goodwill.messaging.vocabulary import ChannelKind

_TRANSIENT_4XX = frozenset({408, 425, 429})
USER_AGENT = f"Goodwill/{goodwill.__version__}"


def make_client(
    *,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
    auth: httpx.Auth | None = None,
) -> httpx.Client:
    """A pooled client: short connect timeout, overall ``timeout``, no redirects."""
    return httpx.Client(
        auth=auth,
        timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
        follow_redirects=False,
        transport=transport,
        headers={"User-Agent": USER_AGENT},
    )


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now`` (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (as_utc(when) - as_utc(now)).total_seconds())


def classify_response(
    channel: ChannelKind, response: httpx.Response, *, now: datetime, what: str
) -> DeliveryResult | None:
    """None for ``2xx`` (the caller builds the sent result); otherwise the failure."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    snippet = " ".join(response.text[:200].split()) if response.content else ""
    detail = f"{what} answered HTTP {status}" + (f": {snippet}" if snippet else "")
    if status in _TRANSIENT_4XX or status >= 500:
        hint = retry_after_seconds(response.headers.get("Retry-After"), now)
        return DeliveryResult.transient(channel, detail, code=status, retry_after=hint)
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        return DeliveryResult.permanent(
            channel, f"{what} redirected to {location}; update the URL", code=status
        )
    return DeliveryResult.permanent(channel, detail, code=status)


def classify_exception(
    channel: ChannelKind, exc: httpx.HTTPError | httpx.InvalidURL, what: str
) -> DeliveryResult:
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return DeliveryResult.permanent(channel, f"{what} URL cannot be used: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        return DeliveryResult.transient(channel, f"{what} timed out: {type(exc).__name__}")
    return DeliveryResult.transient(channel, f"cannot reach {what}: {exc}")
