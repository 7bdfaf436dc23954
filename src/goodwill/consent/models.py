"""Consent purposes, channels and the pure derivation of the current state from the ledger."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Purpose(StrEnum):
    TRANSACTIONAL = "transactional"
    MARKETING = "marketing"
    REVIEWS = "reviews"
    REFERRALS = "referrals"
    PROFILING = "profiling"


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    POSTAL = "postal"
    PHONE = "phone"


class ConsentAction(StrEnum):
    GRANT = "grant"
    WITHDRAW = "withdraw"


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    purpose: str
    channel: str
    action: str
    occurred_at: datetime
    source: str
    evidence: dict[str, Any] = field(default_factory=dict)
    lawful_basis: str = "consent"
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ConsentState:
    """The current answer for one (purpose, channel): the last event decides."""

    purpose: str
    channel: str
    granted: bool
    since: datetime
    source: str
    evidence: dict[str, Any]


def current_state(events: Iterable[ConsentEvent]) -> dict[tuple[str, str], ConsentState]:
    """Fold the ledger: for each (purpose, channel) the latest event wins (ties: later id wins)."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.id or 0))
    state: dict[tuple[str, str], ConsentState] = {}
    for ev in ordered:
        state[(ev.purpose, ev.channel)] = ConsentState(
            purpose=ev.purpose,
            channel=ev.channel,
            granted=ev.action == ConsentAction.GRANT,
            since=ev.occurred_at,
            source=ev.source,
            evidence=ev.evidence,
        )
    return state
