"""Signed one-click unsubscribe links (RFC 8058).

A token names exactly what the person stops: one (workspace, person, purpose, channel).  It is
``<payload>.<signature>``, both base64url without padding; the payload is the compact JSON list
``["v1", workspace, person, purpose, channel]`` and the signature is HMAC-SHA256 under
``GOODWILL_SIGNING_KEY`` over a domain-separated form of the payload, so a token cannot be
replayed as any other kind of signed value.  Tokens do not expire: an unsubscribe link in a
years-old email must still work.  Rotating the signing key invalidates old links, so rotate
only with a grace period that verifies against both keys (``verify`` accepts several keys).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from goodwill.messaging.errors import InvalidUnsubscribeToken

_VERSION = "v1"
_DOMAIN = b"goodwill.unsubscribe.v1|"
#: Field values that compact JSON writes as themselves between quotes (no escapes).
_PLAIN_JSON = re.compile(r"[A-Za-z0-9_.:@+ -]*\Z")


@dataclass(frozen=True, slots=True)
class UnsubscribeClaim:
    """What a verified token allows: withdraw consent for this purpose on this channel."""

    workspace_id: str
    person_id: str
    purpose: str
    channel: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@lru_cache(maxsize=8)
def _keyed(signing_key: str) -> hmac.HMAC:
    """HMAC-SHA256 under the key with the domain prefix already absorbed (copied per token)."""
    return hmac.new(signing_key.encode("utf-8"), _DOMAIN, hashlib.sha256)


def _sign(signing_key: str, payload: str) -> str:
    mac = _keyed(signing_key).copy()
    mac.update(payload.encode("ascii"))
    return _b64(mac.digest())


def _payload_json(fields: list[str]) -> str:
    if all(_PLAIN_JSON.match(f) for f in fields):
        return '["' + '","'.join(fields) + '"]'
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=1024)
def make_unsubscribe_token(signing_key: str, claim: UnsubscribeClaim) -> str:
    """A URL-safe token for ``claim``; deterministic, so a resent message carries the same link.
    (Memoised: a message needs its token twice, for the footer link and for the
    ``List-Unsubscribe`` header.)"""
    fields = [_VERSION, claim.workspace_id, claim.person_id, claim.purpose, claim.channel]
    payload = _b64(_payload_json(fields).encode("utf-8"))
    return f"{payload}.{_sign(signing_key, payload)}"


def verify_unsubscribe_token(signing_key: str | Sequence[str], token: str) -> UnsubscribeClaim:
    """The claim inside ``token``, or :class:`InvalidUnsubscribeToken` if it was not signed by
    (one of) the key(s).  Comparison is constant-time."""
    keys = [signing_key] if isinstance(signing_key, str) else list(signing_key)
    payload, dot, signature = token.strip().partition(".")
    if not dot or not payload or not signature or not token.isascii():
        raise InvalidUnsubscribeToken("this unsubscribe link is incomplete or damaged")
    if not any(hmac.compare_digest(_sign(key, payload), signature) for key in keys):
        raise InvalidUnsubscribeToken("this unsubscribe link was not issued by this Goodwill")
    try:
        fields = json.loads(_unb64(payload))
    except (ValueError, UnicodeDecodeError):
        raise InvalidUnsubscribeToken("this unsubscribe link is damaged") from None
    if (
        not isinstance(fields, list)
        or len(fields) != 5
        or fields[0] != _VERSION
        or not all(isinstance(f, str) for f in fields)
    ):
        raise InvalidUnsubscribeToken("this unsubscribe link has an unknown format")
    return UnsubscribeClaim(
        workspace_id=fields[1], person_id=fields[2], purpose=fields[3], channel=fields[4]
    )


def unsubscribe_url(public_url: str, token: str) -> str:
    """The one-click URL (``GET`` shows a confirmation, ``POST`` unsubscribes at once)."""
    return f"{public_url.rstrip('/')}/u/{token}"


def unsubscribe_link(public_url: str, signing_key: str, claim: UnsubscribeClaim) -> str:
    """Shortcut used both by templates (footer link) and by the email ``List-Unsubscribe`` header,
    so the two always agree."""
    return unsubscribe_url(public_url, make_unsubscribe_token(signing_key, claim))
