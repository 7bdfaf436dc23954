"""Recording consent changes and reading the current state.

The ledger is append-only.  A change that would not alter the current state for that purpose and
channel is not appended (so replays and re-imports add nothing), unless ``force`` is set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from goodwill.consent.models import (
    ConsentAction,
    ConsentChannel,
    ConsentEvent,
    ConsentState,
    Purpose,
    current_state,
)
from goodwill.consent.repository import ConsentRepository
from goodwill.errors import InvalidInput
from goodwill.kit.clock import as_utc, utcnow
from goodwill.timeline.models import Kind, idempotency_key
from goodwill.timeline.service import append
from goodwill.workspaces.service import Workspace


class InvalidConsent(InvalidInput):
    code = "consent.invalid"


def _check(purpose: str, channel: str, action: str) -> None:
    if purpose not in set(Purpose):
        raise InvalidConsent(f"unknown purpose {purpose!r}; use one of {', '.join(Purpose)}")
    if channel not in set(ConsentChannel):
        raise InvalidConsent(f"unknown channel {channel!r}; use one of {', '.join(ConsentChannel)}")
    if action not in set(ConsentAction):
        raise InvalidConsent(f"unknown action {action!r}; use grant or withdraw")


def consent_state(
    conn: Connection, workspace: Workspace, person_id: int
) -> dict[tuple[str, str], ConsentState]:
    rows = ConsentRepository(conn, workspace).events(person_id)
    return current_state(
        ConsentEvent(
            r.purpose,
            r.channel,
            r.action,
            as_utc(r.occurred_at),
            r.source,
            r.evidence or {},
            r.lawful_basis,
            r.id,
        )
        for r in rows
    )


def record_change(
    conn: Connection,
    workspace: Workspace,
    person_id: int,
    *,
    purpose: str,
    channel: str,
    action: str,
    source: str,
    evidence: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    lawful_basis: str = "consent",
    force: bool = False,
) -> int | None:
    """Append a grant or withdrawal; returns the ledger id, or None if the state was unchanged."""
    _check(purpose, channel, action)
    when = occurred_at or utcnow()
    current = consent_state(conn, workspace, person_id).get((purpose, channel))
    granted = action == ConsentAction.GRANT
    if (
        not force
        and current is not None
        and current.granted == granted
        and current.since <= as_utc(when)
    ):
        return None
    event_id = ConsentRepository(conn, workspace).insert(
        {
            "person_id": person_id,
            "purpose": purpose,
            "channel": channel,
            "action": action,
            "lawful_basis": lawful_basis,
            "source": source,
            "evidence": evidence or {},
            "occurred_at": when,
            "recorded_at": utcnow(),
        }
    )
    append(
        conn,
        workspace,
        person_id=person_id,
        kind=Kind.CONSENT_GRANTED if granted else Kind.CONSENT_WITHDRAWN,
        occurred_at=when,
        key=idempotency_key("goodwill", "consent", event_id, action),
        channel=channel,
        source=source,
        payload={"purpose": purpose, "channel": channel, "source": source},
    )
    return event_id
