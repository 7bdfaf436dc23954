"""Several workers share one PostgreSQL outbox without ever sending a message twice.

Four threads, each with its own database connection and SMTP connection, drain 400 emails.
Leases are made absurdly short (20 ms) so workers keep taking over rows another worker is still
sending: the conditional commit before the final dot must let exactly one of them deliver.
On SQLite one worker is the documented setup (its write lock serialises claims), so this runs
on PostgreSQL only."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, insert, select
from tests.integration.worker import outbox_kit as k
from tests.integration.worker.killkit import fill

from goodwill.channels.email_message import message_id_for
from goodwill.db import tables as t
from goodwill.db.engine import is_postgres
from goodwill.journeys.serialization import intent_to_dict
from goodwill.kit.clock import utcnow
from goodwill.worker.dispatcher import Dispatcher
from goodwill.worker.models import DispatchStats
from goodwill.workspaces.service import get_or_create

pytestmark = pytest.mark.integration
MESSAGES = 400
WORKERS = 4


def test_workers_racing_on_expired_leases_deliver_each_message_once(engine: Engine) -> None:
    if not is_postgres(engine):
        pytest.skip("several workers need PostgreSQL (SKIP LOCKED); SQLite runs one worker")
    keys = fill(engine, MESSAGES)
    with engine.begin() as conn:
        ws = get_or_create(conn, "default")
    totals: list[DispatchStats] = []
    errors: list[BaseException] = []

    with k.smtp_sink() as (sink, port):

        def work(n: int) -> None:
            config = k.config(f"w{n}", lease=timedelta(milliseconds=20))
            try:
                with Dispatcher(engine, ws, k.email_registry(port), config) as dispatcher:
                    idle = 0
                    while idle < 3:
                        stats = dispatcher.run_pass(utcnow(), limit=10)
                        totals.append(stats)
                        idle = idle + 1 if stats.claimed == 0 else 0
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert errors == []
    received = Counter(str(m["Message-ID"]) for m in sink.received)
    expected = {message_id_for(key, "casaverde.example") for key in keys}
    assert set(received) == expected
    assert [mid for mid, n in received.items() if n > 1] == []
    sent = Counter(s for stats in totals for s, n in stats.by_status.items() for _ in range(n))
    assert sent["sent"] == MESSAGES
    with engine.connect() as conn:
        ledger = conn.execute(
            select(func.count()).where(t.deliveries.c.status == "sent")
        ).scalar_one()
        statuses = {
            r[0]: r[1]
            for r in conn.execute(
                select(t.outbox.c.status, func.count()).group_by(t.outbox.c.status)
            )
        }
    assert ledger == MESSAGES and statuses == {"sent": MESSAGES}
    print(f"\nlost races (a lease taken over mid-send): {sum(s.lost_race for s in totals)}")


def test_sqlite_claims_are_serialised_so_two_workers_never_share_a_row(engine: Engine) -> None:
    """The claim itself, on either database: two workers claiming at once get disjoint rows."""
    with engine.begin() as conn:
        ws = get_or_create(conn, "default")
        pid = conn.execute(
            insert(t.persons)
            .values(workspace_id=ws.id, created_at=k.NOW, updated_at=k.NOW)
            .returning(t.persons.c.id)
        ).scalar_one()
        for i in range(50):
            intent = k.message_intent(pid, key=f"c{i}")
            k.add_outbox(conn, ws, intent, payload=intent_to_dict(intent))
    from goodwill.worker.repository import OutboxRepository

    claimed: dict[str, list[int]] = {}

    def claim(name: str) -> None:
        with engine.begin() as conn:
            rows = OutboxRepository(conn, ws).claim(
                name, now=k.NOW, limit=30, lease=timedelta(minutes=1)
            )
        claimed[name] = [r.id for r in rows]

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = claimed["w0"], claimed["w1"]
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(set(first + second)) and len(first + second) == 50
