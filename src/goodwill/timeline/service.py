"""Appending to the timeline.  Idempotent: a key seen before writes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from goodwill.kit.clock import utcnow
from goodwill.timeline.repository import TimelineRepository
from goodwill.workspaces.service import Workspace


def append(
    conn: Connection,
    workspace: Workspace,
    *,
    person_id: int,
    kind: str,
    occurred_at: datetime,
    key: str,
    channel: str = "",
    actor: str = "",
    source: str = "goodwill",
    payload: dict[str, Any] | None = None,
    account_id: int | None = None,
    order_id: int | None = None,
) -> int | None:
    """Append one interaction; returns its id, or None when ``key`` was already recorded."""
    repo = TimelineRepository(conn, workspace)
    if repo.key_exists(key):
        return None
    return repo.insert(
        {
            "person_id": person_id,
            "occurred_at": occurred_at,
            "kind": kind,
            "channel": channel,
            "actor": actor,
            "source": source,
            "payload": payload or {},
            "idempotency_key": key,
            "account_id": account_id,
            "order_id": order_id,
            "recorded_at": utcnow(),
        }
    )
