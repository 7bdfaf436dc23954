"""Errors raised by the analytics core.

Every problem a caller can fix (bad input table, a model that cannot be estimated from the data
given, a prediction asked before fitting) is an :class:`AnalyticsError` with a stable ``code``,
so the API, CLI and notebooks show one clear message instead of a traceback or a silent NaN.
"""

from __future__ import annotations

from goodwill.errors import GoodwillError


class AnalyticsError(GoodwillError):
    """Input or state that the analytics core cannot work with; the message says what to fix."""

    code = "analytics.invalid_input"
    http_status = 422


class NotFittedError(AnalyticsError):
    """A model was asked for parameters or predictions before :meth:`fit` was called."""

    code = "analytics.not_fitted"
