"""Group commit in the dispatcher: several emails transmitted on several connections, one
transaction for their rows before their final dots.  Each outcome must be the one the message
would get on its own, on SQLite and PostgreSQL, with and without PIPELINING."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from tests import builders as b
from tests.integration.worker import outbox_kit as k

from goodwill.channels.email_message import message_id_for
from goodwill.db import tables as t
from goodwill.messaging.guardrails import GuardrailPolicy
from goodwill.messaging.quiet_hours import QuietHours
from goodwill.worker.dispatcher import Dispatcher
from goodwill.worker.models import DispatchStats
from goodwill.workspaces.service import Workspace, get_or_create

pytestmark = pytest.mark.integration
DOMAIN = "casaverde.example"


class PipeliningSink(k.Sink):
    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture
def ws(engine: Engine) -> Workspace:
    with engine.begin() as conn:
        return get_or_create(conn, "default")


def customer(engine: Engine, ws: Workspace, email: str) -> int:
    with engine.begin() as conn:
        pid = b.person(conn, ws, email=email)
        b.consent(conn, ws, pid)
        return pid


def add(engine: Engine, ws: Workspace, intent: Any) -> int:
    with engine.begin() as conn:
        return k.add_outbox(conn, ws, intent)


def run(engine: Engine, ws: Workspace, port: int, **config: Any) -> DispatchStats:
    now = config.pop("now", k.NOW)
    with Dispatcher(engine, ws, k.email_registry(port), k.config(**config)) as dispatcher:
        return dispatcher.run_pass(now)


def outcomes(engine: Engine, rows: list[int]) -> list[tuple[str, list[str]]]:
    with engine.connect() as conn:
        return [(k.outbox_row(conn, r).status, [e.status for e in k.ledger(conn, r)]) for r in rows]


MIXED = [
    "a@example.org",
    "nobody@example.org",
    "b@example.org",
    "busy@example.org",
    "spam@example.org",
    "c@example.org",
    "later@example.org",
    "d@example.org",
]


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "no-pipelining"])
@pytest.mark.parametrize("group", [1, 3, 32])
def test_every_message_gets_its_own_outcome_whatever_the_group(
    engine: Engine, ws: Workspace, group: int, pipelining: bool
) -> None:
    people = [customer(engine, ws, email) for email in MIXED]
    intents = [k.message_intent(pid) for pid in people]
    rows = [add(engine, ws, intent) for intent in intents]
    sink = PipeliningSink() if pipelining else k.Sink()
    with k.smtp_sink(sink) as (sink, port):
        stats = run(engine, ws, port, email_group=group)
    assert stats.by_status == {"sent": 4, "parked": 2, "failed": 2}
    assert outcomes(engine, rows) == [
        ("sent", ["sent"]),
        ("parked", ["parked"]),  # 550 at RCPT
        ("sent", ["sent"]),
        ("pending", ["failed"]),  # 451 at RCPT: retried later
        ("parked", ["sent", "parked"]),  # 554 after the dot: committed, then reverted
        ("sent", ["sent"]),
        ("pending", ["sent", "failed"]),  # 451 after the dot
        ("sent", ["sent"]),
    ]
    expected = sorted(message_id_for(intents[i].idempotency_key, DOMAIN) for i in (0, 2, 5, 7))
    assert sorted(sink.message_ids()) == expected
    with engine.connect() as conn:
        sent_events = conn.execute(
            select(func.count())
            .select_from(t.interactions)
            .where(t.interactions.c.kind == "message.sent")
        ).scalar_one()
        row = k.outbox_row(conn, rows[0])
        [entry] = k.ledger(conn, rows[0])
    assert sent_events == 6  # the four delivered and the two committed before a refusal
    assert row.message_id == message_id_for(intents[0].idempotency_key, DOMAIN)
    assert (row.attempts, row.locked_until, entry.attempt) == (1, None, 1)
    assert entry.message_id == row.message_id and entry.reason.startswith("sent to the SMTP")


def test_consent_withdrawn_in_flight_stops_only_that_message(engine: Engine, ws: Workspace) -> None:
    people = [customer(engine, ws, f"p{i}@example.org") for i in range(5)]
    rows = [add(engine, ws, k.message_intent(pid)) for pid in people]
    quitter = people[2]

    class Withdrawing(PipeliningSink):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address == "p2@example.org":
                with engine.begin() as conn:
                    b.consent(conn, ws, quitter, action="withdraw", occurred_at=k.NOW)
            return await super().handle_RCPT(server, session, envelope, address, options)

    with k.smtp_sink(Withdrawing()) as (sink, port):
        first = run(engine, ws, port)
        second = run(engine, ws, port)
    assert first.by_status == {"sent": 4} and second.by_status == {"suppressed": 1}
    assert len(sink.received) == 4
    assert "p2@example.org" not in {str(m["To"]) for m in sink.received}
    assert [s for s, _ in outcomes(engine, rows)] == ["sent", "sent", "suppressed", "sent", "sent"]


def test_a_failure_inside_the_group_commit_sends_none_of_the_group(
    engine: Engine, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goodwill.worker.repository import GroupRepository

    people = [customer(engine, ws, f"p{i}@example.org") for i in range(4)]
    rows = [add(engine, ws, k.message_intent(pid)) for pid in people]

    real = GroupRepository.write_sent

    def broken(self: GroupRepository, *args: Any, **kwargs: Any) -> Any:
        real(self, *args, **kwargs)  # every row written, then the transaction fails
        raise RuntimeError("disk full")

    with k.smtp_sink(PipeliningSink()) as (sink, port):
        with monkeypatch.context() as patch:
            patch.setattr(GroupRepository, "write_sent", broken)
            first = run(engine, ws, port)
        assert sink.received == []
        assert first.by_status == {"failed": 4}
        assert [s for s, _ in outcomes(engine, rows)] == ["pending"] * 4
        second = run(engine, ws, port, now=k.NOW + timedelta(hours=1))
    assert second.by_status == {"sent": 4}
    assert len(sink.received) == 4
    assert [s for s, _ in outcomes(engine, rows)] == ["sent"] * 4


def test_the_budget_sees_earlier_sends_to_the_same_person_in_the_batch(
    engine: Engine, ws: Workspace
) -> None:
    pid = customer(engine, ws, "ana@example.org")
    others = [customer(engine, ws, f"p{i}@example.org") for i in range(3)]
    rows = [add(engine, ws, k.message_intent(p)) for p in (pid, others[0], pid, others[1])]
    policy = GuardrailPolicy(weekly_budget=1, quiet_hours=QuietHours.parse("off"))
    with k.smtp_sink(PipeliningSink()) as (sink, port):
        stats = run(engine, ws, port, policy=policy)
    assert stats.by_status == {"sent": 3, "deferred": 1}
    assert [s for s, _ in outcomes(engine, rows)] == ["sent", "sent", "pending", "sent"]
    assert len(sink.received) == 3
