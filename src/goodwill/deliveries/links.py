"""Signed, expiring links for review and NPS requests (``/r/<token>``, ``/nps/<token>``).

The journey engine puts the placeholder ``{{signed_link}}`` in a request's variables (it has no
keys); the dispatcher replaces it with a link made here.  A token is ``<payload>.<signature>``,
both base64url without padding.  The payload is the compact JSON list
``["v1", kind, workspace, person, subject, expires]`` where ``kind`` is ``review`` or ``nps``,
``subject`` says what is being rated (e.g. ``{"order": "1001"}``, keys sorted) and ``expires``
is a Unix time.  The signature is HMAC-SHA256 under ``GOODWILL_SIGNING_KEY`` over a
domain-separated form of the payload, so neither an unsubscribe token nor any other signed
value can be replayed as a feedback link.  The same message key always yields the same link
(the expiry is derived from the message's own time), so a resent message carries the same URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from goodwill.errors import InvalidInput

FeedbackKind = Literal["review", "nps"]
_VERSION = "v1"
_DOMAIN = b"goodwill.feedback.v1|"
PATHS: Final[dict[str, str]] = {"review": "r", "nps": "nps"}
#: How long a link works: reviews may come weeks later, an NPS answer is about "now".
LIFETIME: Final[dict[str, timedelta]] = {"review": timedelta(days=90), "nps": timedelta(days=30)}


class InvalidFeedbackLink(InvalidInput):
    """Forged, damaged or of an unknown format: nothing this Goodwill issued."""

    code = "deliveries.feedback_link_invalid"
    http_status = 400


class FeedbackLinkExpired(InvalidFeedbackLink):
    """A genuine link past its lifetime (checked after the signature, so only a link this
    Goodwill issued can say it expired)."""

    code = "deliveries.feedback_link_expired"
    http_status = 410


@dataclass(frozen=True, slots=True)
class FeedbackClaim:
    kind: FeedbackKind
    workspace_id: str
    person_id: str
    subject: Mapping[str, Any] = field(default_factory=dict)
    expires_at: datetime = datetime(1970, 1, 1, tzinfo=UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(signing_key: str, payload: str) -> str:
    mac = hmac.new(signing_key.encode("utf-8"), _DOMAIN + payload.encode("ascii"), hashlib.sha256)
    return _b64(mac.digest())


def make_feedback_token(signing_key: str, claim: FeedbackClaim) -> str:
    fields = [
        _VERSION,
        claim.kind,
        claim.workspace_id,
        claim.person_id,
        dict(sorted((str(k), v) for k, v in claim.subject.items())),
        int(claim.expires_at.timestamp()),
    ]
    raw = json.dumps(fields, separators=(",", ":"), ensure_ascii=False, default=str)
    payload = _b64(raw.encode("utf-8"))
    return f"{payload}.{_sign(signing_key, payload)}"


def verify_feedback_token(
    signing_key: str | Sequence[str], token: str, *, now: datetime
) -> FeedbackClaim:
    """The claim in ``token``; :class:`InvalidFeedbackLink` if it is forged, damaged or expired."""
    keys = [signing_key] if isinstance(signing_key, str) else list(signing_key)
    payload, dot, signature = token.strip().partition(".")
    if not dot or not payload or not signature or not token.isascii():
        raise InvalidFeedbackLink("this link is incomplete or damaged")
    if not any(hmac.compare_digest(_sign(key, payload), signature) for key in keys):
        raise InvalidFeedbackLink("this link was not issued by this Goodwill")
    try:
        fields = json.loads(_unb64(payload))
        version, kind, ws, person, subject, expires = fields
    except (ValueError, TypeError, UnicodeDecodeError):
        raise InvalidFeedbackLink("this link is damaged") from None
    if version != _VERSION or kind not in PATHS or not isinstance(subject, dict):
        raise InvalidFeedbackLink("this link has an unknown format")
    expires_at = datetime.fromtimestamp(int(expires), tz=UTC)
    if now >= expires_at:
        raise FeedbackLinkExpired(f"this link expired on {expires_at:%Y-%m-%d}")
    return FeedbackClaim(kind, str(ws), str(person), subject, expires_at)


def feedback_url(public_url: str, kind: FeedbackKind, token: str) -> str:
    return f"{public_url.rstrip('/')}/{PATHS[kind]}/{token}"


def feedback_link(
    public_url: str,
    signing_key: str,
    *,
    kind: FeedbackKind,
    workspace_id: str,
    person_id: str,
    subject: Mapping[str, Any],
    issued_at: datetime,
) -> str:
    """A link valid for :data:`LIFETIME` from ``issued_at``."""
    claim = FeedbackClaim(kind, workspace_id, person_id, subject, issued_at + LIFETIME[kind])
    return feedback_url(public_url, kind, make_feedback_token(signing_key, claim))
