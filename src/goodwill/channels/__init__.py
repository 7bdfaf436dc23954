"""Channel adapters: the only code that talks SMTP or HTTP to the outside world.

Start at :mod:`goodwill.channels.base` (the contract) and :func:`build_registry`."""

from goodwill.channels.base import (
    Channel,
    ChannelConfigError,
    DeliveryResult,
    DeliveryStatus,
    NotConfiguredChannel,
    OutboundMessage,
)
from goodwill.channels.registry import ChannelRegistry, build_registry
from goodwill.channels.retry import DEFAULT_RETRY, RetryPlan, RetryPolicy, next_attempt

__all__ = [
    "DEFAULT_RETRY",
    "Channel",
    "ChannelConfigError",
    "ChannelRegistry",
    "DeliveryResult",
    "DeliveryStatus",
    "NotConfiguredChannel",
    "OutboundMessage",
    "RetryPlan",
    "RetryPolicy",
    "build_registry",
    "next_attempt",
]
