"""The set of channels a worker sends through, built from settings.

A channel whose setting is missing is present as a :class:`NotConfiguredChannel`, so sending
through it yields ``not_configured`` with a reason naming the variable to set, instead of an
exception deep in a worker.  A setting that is present but malformed fails fast here with a
:class:`ChannelConfigError`.

==========  ==============================================  =================================
channel     setting                                          when missing
==========  ==============================================  =================================
email       ``GOODWILL_SMTP_URL`` (+ sender, public URL,     not configured
            signing key)
sms         ``GOODWILL_SMS_URL``                             not configured
webhook     ``GOODWILL_WEBHOOK_SECRET`` (URL per message)    always configured
postal      ``postal_dir`` argument (proposed setting        not configured
            ``GOODWILL_POSTAL_DIR``)
task        none: tasks are rows the dispatcher writes       (not in the registry; see
                                                             :func:`goodwill.channels.task.plan_task`)
==========  ==============================================  =================================
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import httpx

from goodwill.channels.base import Channel, DeliveryResult, NotConfiguredChannel, OutboundMessage
from goodwill.channels.email import SmtpEmailChannel
from goodwill.channels.email_message import EmailIdentity
from goodwill.channels.postal import PostalBatchChannel
from goodwill.channels.sms import HttpSmsChannel, parse_sms_url
from goodwill.channels.smtp_url import parse_smtp_url
from goodwill.channels.webhook import WebhookChannel
from goodwill.config import Settings
from goodwill.kit.clock import utcnow
from goodwill.messaging.vocabulary import ChannelKind


class ChannelRegistry:
    """Routes a message to the adapter for its channel."""

    def __init__(self, channels: Mapping[ChannelKind, Channel]) -> None:
        self._channels = dict(channels)

    def get(self, kind: ChannelKind | str) -> Channel:
        kind = ChannelKind(kind)
        if kind is ChannelKind.TASK:
            raise ValueError("tasks are written by the dispatcher; use channels.task.plan_task")
        try:
            return self._channels[kind]
        except KeyError:
            return NotConfiguredChannel(kind, f"{kind} channel not configured")

    def send(self, message: OutboundMessage) -> DeliveryResult:
        return self.get(message.channel).send(message)

    def status(self) -> dict[str, str]:
        """``{"email": "configured" | "<reason>"}`` for a doctor/status command."""
        out: dict[str, str] = {}
        for kind in (ChannelKind.EMAIL, ChannelKind.SMS, ChannelKind.WEBHOOK, ChannelKind.POSTAL):
            channel = self.get(kind)
            out[str(kind)] = (
                channel.reason if isinstance(channel, NotConfiguredChannel) else "configured"
            )
        return out

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()


def build_registry(
    settings: Settings,
    *,
    postal_dir: Path | None = None,
    http_transport: httpx.BaseTransport | None = None,
    ssl_context: ssl.SSLContext | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> ChannelRegistry:
    """Adapters for every channel; missing settings give not-configured stand-ins."""
    channels: dict[ChannelKind, Channel] = {}
    if settings.smtp_url:
        identity = EmailIdentity(
            sender_email=settings.sender_email,
            sender_name=settings.sender_name,
            public_url=settings.public_url,
            signing_key=settings.signing_key,
        )
        channels[ChannelKind.EMAIL] = SmtpEmailChannel(
            parse_smtp_url(settings.smtp_url), identity, clock=clock, ssl_context=ssl_context
        )
    else:
        channels[ChannelKind.EMAIL] = NotConfiguredChannel(
            ChannelKind.EMAIL, "email channel not configured: set GOODWILL_SMTP_URL"
        )
    if settings.sms_url:
        channels[ChannelKind.SMS] = HttpSmsChannel(
            parse_sms_url(settings.sms_url),
            default_sender=settings.sender_name,
            transport=http_transport,
            clock=clock,
        )
    else:
        channels[ChannelKind.SMS] = NotConfiguredChannel(
            ChannelKind.SMS, "sms channel not configured: set GOODWILL_SMS_URL"
        )
    channels[ChannelKind.WEBHOOK] = WebhookChannel(
        settings.webhook_secret, transport=http_transport, clock=clock
    )
    if postal_dir is not None:
        channels[ChannelKind.POSTAL] = PostalBatchChannel(postal_dir, clock=clock)
    else:
        channels[ChannelKind.POSTAL] = NotConfiguredChannel(
            ChannelKind.POSTAL, "postal channel not configured: set a postal batch directory"
        )
    return ChannelRegistry(channels)
