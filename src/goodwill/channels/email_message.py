"""Building the MIME message: pure, so headers and structure are tested without a server.

* ``multipart/alternative`` with a ``text/plain`` part and, when there is HTML, a ``text/html``
  part (text only: a single ``text/plain`` message), UTF-8, CRLF line endings.
* ``Message-ID`` derived from the idempotency key and the sender's domain
  (``<sha256(key)[:32]@domain>``): a resend after a crash carries the same id, so receiving
  systems and our own bounce matching can dedupe.
* For any purpose but ``transactional``: ``List-Unsubscribe`` with the signed one-click HTTPS
  link and a ``mailto:`` fallback, plus ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
  (RFC 8058).  The web endpoint ``/u/<token>`` must accept that POST and withdraw consent for
  the (purpose, email) pair named in the token.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

from goodwill.channels.base import OutboundMessage
from goodwill.messaging.links import UnsubscribeClaim, make_unsubscribe_token, unsubscribe_url
from goodwill.messaging.vocabulary import ChannelKind, Purpose


class InvalidRecipient(ValueError):
    """The message cannot be addressed as given (a permanent failure, not a bug)."""


@dataclass(frozen=True, slots=True)
class EmailIdentity:
    """Who sends, and how unsubscribe links are made."""

    sender_email: str
    sender_name: str
    public_url: str
    signing_key: str
    unsubscribe_mailto: str | None = None  # defaults to the sender address

    @property
    def domain(self) -> str:
        return self.sender_email.rpartition("@")[2].strip().lower() or "goodwill.invalid"


def message_id_for(idempotency_key: str, domain: str) -> str:
    """Deterministic Message-ID for a message key (same key, same id)."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def unsubscribe_headers(message: OutboundMessage, identity: EmailIdentity) -> dict[str, str]:
    """RFC 8058 headers, or nothing for transactional mail."""
    if message.purpose in (None, Purpose.TRANSACTIONAL):
        return {}
    claim = UnsubscribeClaim(
        message.workspace_id, message.person_id, str(message.purpose), str(ChannelKind.EMAIL)
    )
    token = make_unsubscribe_token(identity.signing_key, claim)
    https = unsubscribe_url(identity.public_url, token)
    mailbox = identity.unsubscribe_mailto or identity.sender_email
    mailto = f"mailto:{mailbox}?subject={quote('unsubscribe ' + token)}"
    return {
        "List-Unsubscribe": f"<{https}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _address(name: str, addr: str) -> Address:
    addr = addr.strip()
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or " " in addr or "." not in domain:
        raise InvalidRecipient(f"{addr!r} is not an email address")
    try:
        return Address(display_name=" ".join(name.split()), username=local, domain=domain)
    except (ValueError, IndexError) as exc:
        raise InvalidRecipient(f"{addr!r} is not an email address: {exc}") from None


def build_email(
    message: OutboundMessage, identity: EmailIdentity, *, date: datetime
) -> tuple[EmailMessage, str]:
    """The MIME message and its Message-ID.  Raises :class:`InvalidRecipient` for an address
    that cannot be used and ``ValueError`` for a message without a text body."""
    if not message.text.strip():
        raise ValueError("an email needs a text body (templates always render one)")
    needs_utf8 = not message.to.isascii()
    mime = EmailMessage(policy=email_policy.SMTPUTF8 if needs_utf8 else email_policy.SMTP)
    message_id = message_id_for(message.idempotency_key, identity.domain)
    mime["From"] = Address(display_name=identity.sender_name, addr_spec=identity.sender_email)
    mime["To"] = _address(message.to_name, message.to)
    mime["Subject"] = " ".join(message.subject.split())
    mime["Date"] = format_datetime(date)
    mime["Message-ID"] = message_id
    for name, value in unsubscribe_headers(message, identity).items():
        mime[name] = value
    mime.set_content(message.text, charset="utf-8")
    if message.html:
        mime.add_alternative(message.html, subtype="html", charset="utf-8")
    return mime, message_id
