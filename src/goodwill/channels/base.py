"""The channel contract: one outbound message in, one classified delivery result out.

Every adapter implements :class:`Channel`.  ``send`` never raises for delivery problems; it
returns a :class:`DeliveryResult` whose status tells the dispatcher what to do:

=================  ==========================================================================
``sent``           accepted by the provider; ``provider_id`` is its id (the email Message-ID)
``batched``        written to a batch a vendor picks up later (postal); ``provider_id`` is
                   the batch file path
``transient``      try again later (see :func:`goodwill.channels.retry.next_attempt`);
                   ``retry_after`` carries a provider hint in seconds when one was given
``permanent``      will never succeed as is (bad address, rejected content): park it
``not_configured`` the channel has no settings; suppressed with a reason saying what to set
=================  ==========================================================================

Resending the same message (same ``idempotency_key``) must be safe: adapters pass the key to
providers that support it and derive ids from it (the email Message-ID) so receivers can dedupe.
Adapters are synchronous and not safe for concurrent use from several threads; give each worker
thread its own registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from goodwill.errors import GoodwillError
from goodwill.messaging.vocabulary import DIRECT_CHANNELS, ChannelKind, Purpose


class ChannelConfigError(GoodwillError):
    """A channel setting that cannot be used (e.g. a malformed ``GOODWILL_SMTP_URL``)."""

    code = "channels.config_invalid"
    http_status = 500


class DeliveryStatus(StrEnum):
    SENT = "sent"
    BATCHED = "batched"
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundMessage:
    """Everything a channel needs, already rendered and already past the guardrails.

    ``to`` is the address on the channel: an email address, an E.164 phone number, or the
    webhook URL; for postal mail it is unused and ``address_lines`` hold the address.
    ``subject``/``text``/``html`` carry the rendered parts (SMS and postal use ``text``).
    ``payload`` is extra JSON for the webhook body.  ``purpose`` is required on the channels
    that reach the person (email, SMS, postal) and optional on webhooks and tasks.
    """

    idempotency_key: str
    workspace_id: str
    person_id: str
    channel: ChannelKind
    purpose: Purpose | None = None
    to: str = ""
    to_name: str = ""
    subject: str = ""
    text: str = ""
    html: str | None = None
    address_lines: tuple[str, ...] = ()
    template: str = ""
    payload: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.idempotency_key.strip():
            raise ValueError("an outbound message needs an idempotency key")
        if self.purpose is None and self.channel in DIRECT_CHANNELS:
            raise ValueError(f"a {self.channel} message needs a purpose (consent is per purpose)")


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """The classified outcome of one attempt.  ``reason`` is a sentence for people;
    ``code`` is the provider's status (SMTP reply code or HTTP status) when there was one."""

    status: DeliveryStatus
    channel: ChannelKind
    reason: str = ""
    provider_id: str | None = None
    code: int | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """Handed off successfully (sent or batched)."""
        return self.status in (DeliveryStatus.SENT, DeliveryStatus.BATCHED)

    @property
    def retryable(self) -> bool:
        return self.status is DeliveryStatus.TRANSIENT

    @classmethod
    def sent(cls, channel: ChannelKind, provider_id: str, reason: str = "") -> DeliveryResult:
        return cls(DeliveryStatus.SENT, channel, reason or "accepted", provider_id)

    @classmethod
    def batched(cls, channel: ChannelKind, path: str, reason: str = "") -> DeliveryResult:
        return cls(DeliveryStatus.BATCHED, channel, reason or f"added to batch {path}", path)

    @classmethod
    def transient(
        cls,
        channel: ChannelKind,
        reason: str,
        *,
        code: int | None = None,
        retry_after: float | None = None,
    ) -> DeliveryResult:
        return cls(DeliveryStatus.TRANSIENT, channel, reason, None, code, retry_after)

    @classmethod
    def permanent(
        cls, channel: ChannelKind, reason: str, *, code: int | None = None
    ) -> DeliveryResult:
        return cls(DeliveryStatus.PERMANENT, channel, reason, None, code)

    @classmethod
    def not_configured(cls, channel: ChannelKind, reason: str) -> DeliveryResult:
        return cls(DeliveryStatus.NOT_CONFIGURED, channel, reason)


@runtime_checkable
class Channel(Protocol):
    """A delivery adapter.  ``kind`` says which channel it serves."""

    @property
    def kind(self) -> ChannelKind: ...

    def send(self, message: OutboundMessage) -> DeliveryResult:
        """Deliver one message; never raises for delivery problems (see module docstring)."""
        ...

    def close(self) -> None:
        """Release connections or files; the adapter may be used again afterwards."""
        ...


class NotConfiguredChannel:
    """Stands in for a channel whose settings are missing: every send is suppressed with
    ``reason`` (e.g. "email channel not configured: set GOODWILL_SMTP_URL")."""

    def __init__(self, kind: ChannelKind, reason: str) -> None:
        self._kind = kind
        self.reason = reason

    @property
    def kind(self) -> ChannelKind:
        return self._kind

    def send(self, message: OutboundMessage) -> DeliveryResult:
        return DeliveryResult.not_configured(self._kind, self.reason)

    def close(self) -> None:
        return None
