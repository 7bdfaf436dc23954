"""A client on the public pages over the test database (SQLite, and PostgreSQL when set), with
helpers that sign links the way the dispatcher does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests import builders as b

from goodwill.config import Settings
from goodwill.db import tables as t
from goodwill.deliveries.links import FeedbackClaim, FeedbackKind, make_feedback_token
from goodwill.messaging.links import UnsubscribeClaim, make_unsubscribe_token
from goodwill.web import create_app
from goodwill.workspaces.service import Workspace, get_or_create

SIGNING_KEY = "signing-key-for-web-tests"
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    client: TestClient
    engine: Engine
    ws: Workspace
    clock: Clock = field(default_factory=Clock)

    def person(self, *, consent: bool = True, **over: Any) -> int:
        with self.engine.begin() as conn:
            pid = b.person(conn, self.ws, **over)
            if consent:
                b.consent(conn, self.ws, pid, occurred_at=NOW - timedelta(days=30))
        return pid

    def unsubscribe_token(
        self, person_id: int | str, purpose: str = "marketing", channel: str = "email", **over: Any
    ) -> str:
        ws = str(over.pop("workspace_id", self.ws.id))
        claim = UnsubscribeClaim(ws, str(person_id), purpose, channel)
        return make_unsubscribe_token(over.pop("key", SIGNING_KEY), claim)

    def feedback_token(
        self,
        kind: FeedbackKind,
        person_id: int | str,
        subject: dict[str, Any] | None = None,
        *,
        expires_at: datetime = NOW + timedelta(days=30),
        workspace_id: int | None = None,
        key: str = SIGNING_KEY,
    ) -> str:
        claim = FeedbackClaim(
            kind,
            str(self.ws.id if workspace_id is None else workspace_id),
            str(person_id),
            subject if subject is not None else {"order": "1001"},
            expires_at,
        )
        return make_feedback_token(key, claim)

    def interactions(self, kind: str) -> list[Any]:
        i = t.interactions.c
        with self.engine.connect() as conn:
            return list(conn.execute(select(t.interactions).where(i.kind == kind).order_by(i.id)))

    def consent_rows(self, person_id: int) -> list[Any]:
        c = t.consent_events.c
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(t.consent_events).where(c.person_id == person_id).order_by(c.id)
                )
            )


@pytest.fixture
def site(engine: Engine) -> Iterator[Site]:
    with engine.begin() as conn:
        ws = get_or_create(conn, "shop")
    clock = Clock()
    settings = Settings(
        database_url="sqlite:///unused.db",
        signing_key=SIGNING_KEY,
        sender_name="Casa Verde",
        public_url="https://goodwill.casaverde.example",
    )
    app = create_app(settings, engine=engine, clock=clock)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield Site(client, engine, ws, clock)
