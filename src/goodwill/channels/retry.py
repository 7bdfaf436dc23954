"""Retry with exponential backoff, deterministic jitter and a ceiling: pure arithmetic.

Attempt ``n`` (1-based, the one that just failed) waits ``base * factor**(n-1)`` capped at
``cap``, shortened by up to ``jitter`` of itself.  The jitter is derived from the message's
idempotency key and the attempt number, so a batch that failed together does not retry together
(no thundering herd) yet the same message always gets the same schedule (reproducible in tests
and in ``goodwill journeys explain``).  After ``max_attempts`` failures the message is parked.
A provider's own hint (SMTP has none; HTTP ``Retry-After``) is honoured as a lower bound.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=6)
    jitter: float = 0.25
    max_attempts: int = 8
    max_retry_after: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("retry policy needs max_attempts >= 1, factor >= 1, 0 <= jitter < 1")
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("retry policy needs 0 < base <= cap")


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """Either ``park`` (stop retrying) or wait ``delay`` before the next attempt."""

    park: bool
    delay: timedelta | None
    reason: str


def _unit(key: str, attempt: int) -> float:
    digest = hashlib.sha256(f"{key}\x1f{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def next_attempt(
    attempt: int,
    key: str,
    *,
    policy: RetryPolicy = DEFAULT_RETRY,
    retry_after: float | None = None,
) -> RetryPlan:
    """What to do after failed attempt number ``attempt`` of the message with ``key``."""
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    if attempt >= policy.max_attempts:
        return RetryPlan(True, None, f"parked: gave up after {attempt} attempts")
    raw = policy.base.total_seconds() * policy.factor ** (attempt - 1)
    seconds = min(raw, policy.cap.total_seconds())
    seconds *= 1 - policy.jitter * _unit(key, attempt)
    if retry_after is not None and retry_after > 0:
        seconds = max(seconds, min(retry_after, policy.max_retry_after.total_seconds()))
    delay = timedelta(seconds=round(seconds, 3))
    return RetryPlan(
        False, delay, f"retry {attempt + 1} of {policy.max_attempts} in {_human(delay)}"
    )


def _human(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h"
