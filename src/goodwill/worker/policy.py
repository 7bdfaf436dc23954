"""The workspace guardrail policy from settings.

==============================  ==========================================================
``GOODWILL_WEEKLY_BUDGET``      non-urgent messages per person per 7 days; ``0``: no
                                workspace budget (a person's own ``max_per_week`` still
                                applies); default 3
``GOODWILL_QUIET_HOURS``        local quiet hours, e.g. ``21:00-08:00`` (default), or ``off``
``GOODWILL_DEFAULT_TIMEZONE``   for people without a timezone; default ``UTC``
==============================  ==========================================================
"""

from __future__ import annotations

from goodwill.config import InvalidSettings, Settings
from goodwill.messaging.guardrails import GuardrailPolicy
from goodwill.messaging.quiet_hours import QuietHours


def policy_from_settings(settings: Settings) -> GuardrailPolicy:
    try:
        quiet = QuietHours.parse(settings.quiet_hours)
    except ValueError as exc:
        raise InvalidSettings(f"GOODWILL_QUIET_HOURS: {exc}") from None
    try:
        return GuardrailPolicy(
            weekly_budget=settings.weekly_budget or None,
            quiet_hours=quiet,
            default_timezone=settings.default_timezone,
        )
    except ValueError as exc:
        raise InvalidSettings(f"GOODWILL_DEFAULT_TIMEZONE: {exc}") from None
