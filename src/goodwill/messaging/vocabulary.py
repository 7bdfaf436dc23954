"""The words the delivery edge shares: channels and priority classes.

Purposes come from the consent context (:class:`goodwill.consent.models.Purpose`) so that a
message's purpose and a consent grant are compared as the same value.  Channels here are the
*delivery* channels: ``email``, ``sms`` and ``postal`` reach the person and match the consent
ledger's channel names; ``webhook`` and ``task`` are internal (a merchant system, a staff member)
and never reach the person directly.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from goodwill.consent.models import Purpose

__all__ = ["DIRECT_CHANNELS", "ChannelKind", "Priority", "Purpose"]


class ChannelKind(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    POSTAL = "postal"
    WEBHOOK = "webhook"
    TASK = "task"


#: Channels that put something in front of the person; guardrails apply to these.
DIRECT_CHANNELS = frozenset({ChannelKind.EMAIL, ChannelKind.SMS, ChannelKind.POSTAL})


class Priority(IntEnum):
    """Priority classes; a higher value wins a contested contact slot.

    ``transactional`` is never budget-limited; the others share the person's contact budget and
    a lower class yields to a higher one that is waiting.
    """

    PROMOTION = 0
    REVIEW_NPS = 1
    RELATIONSHIP = 2
    TRANSACTIONAL = 3

    @property
    def label(self) -> str:
        return self.name.lower()
