"""Errors raised by the relationship metrics.

Every problem a caller can fix in their data (a missing column, an NPS answer of 11, a negative
half-life) is a :class:`MetricsError` with the stable code ``analytics.invalid_input``; the message
names the column and, where it helps, how many rows are wrong, so the CLI, API and web pages can
show it as is.
"""

from __future__ import annotations

from goodwill.errors import GoodwillError


class MetricsError(GoodwillError):
    """Input to a relationship metric is unusable; the message says what to fix."""

    code = "analytics.invalid_input"
    http_status = 422
