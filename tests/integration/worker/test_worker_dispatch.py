"""The dispatcher against a real database and a real SMTP server: every outcome lands in the
outbox state, the ledger and (for sends) the timeline, with a reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from tests import builders as b
from tests.integration.worker import outbox_kit as k

from goodwill.channels.email_message import message_id_for
from goodwill.channels.registry import ChannelRegistry
from goodwill.db import tables as t
from goodwill.deliveries.links import verify_feedback_token
from goodwill.messaging.guardrails import GuardrailPolicy
from goodwill.messaging.quiet_hours import QuietHours
from goodwill.messaging.vocabulary import ChannelKind, Priority, Purpose
from goodwill.worker.dispatcher import Dispatcher
from goodwill.worker.models import DispatchStats
from goodwill.workspaces.service import Workspace, get_or_create

pytestmark = pytest.mark.integration
DOMAIN = "casaverde.example"


@pytest.fixture
def ws(engine: Engine) -> Workspace:
    with engine.begin() as conn:
        return get_or_create(conn, "default")


def run(engine: Engine, ws: Workspace, registry: ChannelRegistry, **config: Any) -> DispatchStats:
    now = config.pop("now", k.NOW)
    with Dispatcher(engine, ws, registry, k.config(**config)) as dispatcher:
        return dispatcher.run_pass(now)


def customer(engine: Engine, ws: Workspace, *, consent: bool = True, **over: Any) -> int:
    with engine.begin() as conn:
        pid = b.person(conn, ws, **over)
        if consent:
            b.consent(conn, ws, pid)
        return pid


def add(engine: Engine, ws: Workspace, intent: Any, **over: Any) -> int:
    with engine.begin() as conn:
        return k.add_outbox(conn, ws, intent, **over)


def state(engine: Engine, row_id: int) -> tuple[Any, list[Any]]:
    with engine.connect() as conn:
        return k.outbox_row(conn, row_id), k.ledger(conn, row_id)


def timeline(engine: Engine, person_id: int) -> list[Any]:
    i = t.interactions.c
    with engine.connect() as conn:
        return list(
            conn.execute(select(t.interactions).where(i.person_id == person_id).order_by(i.id))
        )


def test_a_consented_email_is_sent_once_and_recorded_everywhere(
    engine: Engine, ws: Workspace
) -> None:
    pid = customer(engine, ws, first_name="ana", last_name="SILVA", email="ana@example.org")
    with engine.begin() as conn:
        order = b.order(conn, ws, pid, external_id="1001")
        conn.execute(
            t.order_lines.insert().values(
                workspace_id=ws.id,
                order_id=order,
                line_no=1,
                name="Kenya AA",
                quantity=1,
                unit_price_minor=1500,
            )
        )
    row_id = add(engine, ws, k.message_intent(pid, key="e1:thanks:1"))
    with k.smtp_sink() as (sink, port):
        stats = run(engine, ws, k.email_registry(port))
    assert stats.by_status == {"sent": 1}
    [mail] = sink.received
    expected_id = message_id_for("e1:thanks:1", DOMAIN)
    assert mail["Message-ID"] == expected_id
    assert mail["To"] == "Ana Silva <ana@example.org>"  # the name as greetings show it
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert text.startswith("Hi Ana,")
    assert "We hope you enjoy the Kenya AA." in text
    assert "/u/" in text  # signed unsubscribe link for a marketing message
    row, entries = state(engine, row_id)
    assert (row.status, row.message_id, row.attempts, row.locked_until) == (
        "sent",
        expected_id,
        1,
        None,
    )
    assert [(e.status, e.message_id, e.attempt) for e in entries] == [("sent", expected_id, 1)]
    assert "marketing email consent granted" in entries[0].reason
    [sent] = [x for x in timeline(engine, pid) if x.kind == "message.sent"]
    assert sent.idempotency_key == "outbox:e1:thanks:1:sent"
    assert sent.payload["message_id"] == expected_id
    assert sent.payload["template"] == "thank_you_first_order"
    assert sent.payload["journey"] == "test-journey"
    with k.smtp_sink() as (sink, port):  # nothing is due any more: a second pass sends nothing
        again = run(engine, ws, k.email_registry(port))
    assert again.claimed == 0 and sink.received == []


def test_consent_is_checked_at_send_time_not_at_scheduling_time(
    engine: Engine, ws: Workspace
) -> None:
    pid = customer(engine, ws)
    row_id = add(engine, ws, k.message_intent(pid))
    with engine.begin() as conn:  # withdrawn after the message was scheduled
        b.consent(conn, ws, pid, action="withdraw", occurred_at=k.NOW - timedelta(hours=1))
    with k.smtp_sink() as (sink, port):
        stats = run(engine, ws, k.email_registry(port))
    assert stats.by_status == {"suppressed": 1}
    assert sink.received == []
    row, [entry] = state(engine, row_id)
    assert row.status == "suppressed"
    assert entry.status == "suppressed"
    assert entry.reason.startswith("suppressed: marketing email consent withdrawn")


def test_suppressed_without_consent_or_address(engine: Engine, ws: Workspace) -> None:
    no_consent = customer(engine, ws, consent=False)
    with engine.begin() as conn:
        no_email = b.person(conn, ws, phone="+351912345678", email="")
        b.consent(conn, ws, no_email)
    first = add(engine, ws, k.message_intent(no_consent))
    second = add(engine, ws, k.message_intent(no_email))
    with k.smtp_sink() as (sink, port):
        run(engine, ws, k.email_registry(port))
    assert sink.received == []
    assert state(engine, first)[1][0].reason == (
        "suppressed: no consent on record for marketing email"
    )
    assert state(engine, second)[1][0].reason == "suppressed: no email address on record"


def test_missing_channel_setting_suppresses_with_the_setting_to_set(
    engine: Engine, ws: Workspace
) -> None:
    from goodwill.channels.registry import build_registry
    from goodwill.config import Settings

    pid = customer(engine, ws)
    row_id = add(engine, ws, k.message_intent(pid))
    registry = build_registry(Settings(smtp_url=None))
    stats = run(engine, ws, registry)
    assert stats.by_status == {"suppressed": 1}
    row, [entry] = state(engine, row_id)
    assert row.status == "suppressed"
    assert entry.reason == "suppressed: email channel not configured: set GOODWILL_SMTP_URL"


def test_a_missing_template_variable_stops_the_message(engine: Engine, ws: Workspace) -> None:
    pid = customer(engine, ws)
    no_years = add(engine, ws, k.message_intent(pid, template="anniversary"))
    with_years = add(
        engine, ws, k.message_intent(pid, template="anniversary", variables={"years": 3})
    )
    with k.smtp_sink() as (sink, port):
        run(engine, ws, k.email_registry(port))
    row, [entry] = state(engine, no_years)
    assert (row.status, entry.status) == ("failed", "failed")
    assert "template 'anniversary'" in entry.reason and "'milestone'" in entry.reason
    assert "part 'subject'" in entry.reason
    [mail] = sink.received
    assert "third year with us" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert state(engine, with_years)[0].status == "sent"
    assert all("{{" not in m.as_string() for m in sink.received)


def test_one_bad_address_neither_stalls_nor_resends_the_batch(
    engine: Engine, ws: Workspace
) -> None:
    good = [customer(engine, ws, email=f"good{i}@example.org") for i in range(3)]
    bad = customer(engine, ws, email="nobody@example.org")
    rows = [add(engine, ws, k.message_intent(pid)) for pid in [good[0], bad, good[1], good[2]]]
    with k.smtp_sink() as (sink, port):
        stats = run(engine, ws, k.email_registry(port))
        again = run(engine, ws, k.email_registry(port), now=k.NOW + timedelta(days=1))
    assert stats.by_status == {"sent": 3, "parked": 1}
    assert again.claimed == 0
    assert len(sink.received) == 3
    row, [entry] = state(engine, rows[1])
    assert (row.status, entry.status) == ("parked", "parked")
    assert "550" in entry.reason and "RCPT" in entry.reason


def test_a_temporary_failure_is_retried_with_backoff_then_parked(
    engine: Engine, ws: Workspace
) -> None:
    from goodwill.channels.retry import RetryPolicy

    pid = customer(engine, ws, email="busy@example.org")
    row_id = add(engine, ws, k.message_intent(pid))
    retry = RetryPolicy(base=timedelta(minutes=1), max_attempts=3, jitter=0.0)
    now = k.NOW
    with k.smtp_sink() as (_sink, port):
        for _ in range(3):
            run(engine, ws, k.email_registry(port), retry=retry, now=now)
            row, entries = state(engine, row_id)
            now = row.available_at.replace(tzinfo=now.tzinfo) + timedelta(seconds=1)
    row, entries = state(engine, row_id)
    assert [(e.status, e.attempt) for e in entries] == [("failed", 1), ("failed", 2), ("parked", 3)]
    assert "451" in entries[0].reason and "retry 2 of 3 in 60s" in entries[0].reason
    assert "retry 3 of 3 in 2 min" in entries[1].reason
    assert "gave up after 3 attempts" in entries[2].reason
    assert (row.status, row.attempts) == ("parked", 3)


def test_rejected_after_the_final_dot_is_reverted(engine: Engine, ws: Workspace) -> None:
    spam = customer(engine, ws, email="spam@example.org")
    later = customer(engine, ws, email="later@example.org")
    spam_row = add(engine, ws, k.message_intent(spam))
    later_row = add(engine, ws, k.message_intent(later))
    with k.smtp_sink() as (sink, port):
        run(engine, ws, k.email_registry(port))
    assert sink.received == []
    row, entries = state(engine, spam_row)
    assert row.status == "parked"
    assert [e.status for e in entries] == ["sent", "parked"]
    assert "554" in entries[1].reason
    row, entries = state(engine, later_row)
    assert (row.status, row.attempts, row.locked_by, row.message_id) == ("pending", 1, None, None)
    assert [e.status for e in entries] == ["sent", "failed"]
    assert "451" in entries[1].reason and "retry 2 of 8" in entries[1].reason


def test_quiet_hours_defer_to_the_persons_morning(engine: Engine, ws: Workspace) -> None:
    pid = customer(engine, ws, timezone="Asia/Tokyo")  # 10:00 UTC is 19:00 in Tokyo
    row_id = add(engine, ws, k.message_intent(pid))
    policy = GuardrailPolicy(weekly_budget=None, quiet_hours=QuietHours.parse("18:00-08:00"))
    with k.smtp_sink() as (sink, port):
        stats = run(engine, ws, k.email_registry(port), policy=policy)
    assert stats.by_status == {"deferred": 1} and sink.received == []
    row, [entry] = state(engine, row_id)
    assert row.status == "pending" and row.locked_by is None
    assert row.available_at.replace(tzinfo=None) == (k.NOW + timedelta(hours=13)).replace(
        tzinfo=None
    )
    assert entry.reason.startswith("deferred: quiet hours 18:00-08:00 Asia/Tokyo")


def test_budget_defers_the_lower_priority_message(engine: Engine, ws: Workspace) -> None:
    pid = customer(engine, ws)
    with engine.begin() as conn:
        b.consent(conn, ws, pid, purpose="reviews")
    promo = add(engine, ws, k.message_intent(pid, priority=Priority.PROMOTION))
    touch = add(engine, ws, k.message_intent(pid, priority=Priority.RELATIONSHIP))
    policy = GuardrailPolicy(weekly_budget=1, quiet_hours=QuietHours.parse("off"))
    with k.smtp_sink() as (sink, port):
        stats = run(engine, ws, k.email_registry(port), policy=policy)
    assert stats.by_status == {"sent": 1, "deferred": 1}
    assert len(sink.received) == 1
    assert state(engine, touch)[0].status == "sent"  # the higher priority went first
    row, [entry] = state(engine, promo)
    assert row.status == "pending"
    assert entry.reason.startswith("deferred: weekly budget of 1 reached")
    assert row.available_at.replace(tzinfo=None) >= (k.NOW + timedelta(days=7)).replace(tzinfo=None)


def test_review_request_carries_a_signed_expiring_link(engine: Engine, ws: Workspace) -> None:
    pid = customer(engine, ws, first_name="Rui")
    with engine.begin() as conn:
        b.consent(conn, ws, pid, purpose="reviews")
    row_id = add(engine, ws, k.review_intent(pid, order="1001"))
    with k.smtp_sink() as (sink, port):
        run(engine, ws, k.email_registry(port))
    assert state(engine, row_id)[0].status == "sent"
    text = sink.received[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "{{" not in text
    link = next(w for w in text.split() if "/r/" in w)
    assert link.startswith("https://goodwill.casaverde.example/r/")
    claim = verify_feedback_token(k.SIGNING_KEY, link.rsplit("/", 1)[1], now=k.NOW)
    assert (claim.kind, claim.workspace_id, claim.person_id) == ("review", str(ws.id), str(pid))
    assert dict(claim.subject) == {"order": "1001"}


def test_task_goes_to_the_account_owner_once(engine: Engine, ws: Workspace) -> None:
    pid = customer(engine, ws, owner="joao")
    with engine.begin() as conn:
        acct = b.account(conn, ws, "Acme Roasters", owner="maria")
        b.membership(conn, ws, acct, pid)
    row_id = add(engine, ws, k.task_intent(pid, key="e9:check-in:1"))
    stats = run(engine, ws, ChannelRegistry({}))
    assert stats.by_status == {"sent": 1}
    row, [entry] = state(engine, row_id)
    assert row.status == "done"
    assert "maria (owner of the customer's account)" in entry.reason
    with engine.connect() as conn:
        [task] = list(conn.execute(select(t.tasks)))
    assert (task.assignee, task.idempotency_key, task.person_id) == ("maria", "e9:check-in:1", pid)
    assert task.title == "30-day check-in on order 1001"
    assert "Acme Roasters" in task.body
    assert task.due_at.weekday() < 5


def test_tags_are_applied_to_the_person(engine: Engine, ws: Workspace) -> None:
    pid = customer(engine, ws, tags=["new", "coffee"])
    row_id = add(engine, ws, k.tag_intent(pid, add=("vip", "coffee"), remove=("new",)))
    run(engine, ws, ChannelRegistry({}))
    with engine.connect() as conn:
        tags = conn.execute(select(t.persons.c.tags).where(t.persons.c.id == pid)).scalar_one()
    assert tags == ["coffee", "vip"]
    assert state(engine, row_id)[0].status == "done"


def test_webhook_is_posted_with_the_idempotency_key(engine: Engine, ws: Workspace) -> None:
    import httpx

    from goodwill.channels.webhook import WebhookChannel

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    pid = customer(engine, ws)
    intent = k.webhook_intent(pid, "https://erp.example/hooks/goodwill", {"points": 50})
    row_id = add(engine, ws, intent)
    hook = WebhookChannel("webhook-secret-1", transport=httpx.MockTransport(handler))
    stats = run(engine, ws, ChannelRegistry({ChannelKind.WEBHOOK: hook}))
    assert stats.by_status == {"sent": 1}
    [request] = seen
    assert request.headers["Idempotency-Key"] == intent.idempotency_key
    assert b'"points":50' in request.content
    assert state(engine, row_id)[0].status == "sent"


def test_a_worker_whose_lease_was_taken_over_sends_nothing(engine: Engine, ws: Workspace) -> None:
    from goodwill.worker.facts import load_facts
    from goodwill.worker.repository import OutboxRepository

    pid = customer(engine, ws)
    row_id = add(engine, ws, k.message_intent(pid))
    with k.smtp_sink() as (sink, port):
        slow = Dispatcher(
            engine, ws, k.email_registry(port), k.config("slow", lease=timedelta(seconds=5))
        )
        with slow.conn.begin():
            rows = OutboxRepository(slow.conn, ws).claim(
                "slow", now=k.NOW, limit=10, lease=timedelta(seconds=5)
            )
        with slow.conn.begin():
            facts = load_facts(slow.conn, ws, rows, now=k.NOW, window=timedelta(days=7))
        # The lease runs out; another worker takes the row and sends it.
        later = k.NOW + timedelta(seconds=6)
        fast = run(engine, ws, k.email_registry(port), worker_id="fast", now=later)
        assert fast.by_status == {"sent": 1}
        # The slow worker wakes up and goes on with its stale batch.
        stale = slow.handle(rows, facts, k.NOW)
        slow.close()
    assert stale.lost_race == 1 and stale.by_status == {}
    assert len(sink.received) == 1
    row, entries = state(engine, row_id)
    assert (row.status, row.locked_by) == ("sent", "fast")
    assert [e.status for e in entries] == ["sent"]


def test_consent_withdrawn_during_the_send_stops_it(engine: Engine, ws: Workspace) -> None:
    pid = customer(engine, ws, email="ana@example.org")
    row_id = add(engine, ws, k.message_intent(pid))

    class Withdrawing(k.Sink):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            with engine.begin() as conn:  # the person unsubscribes while the message is in flight
                b.consent(conn, ws, pid, action="withdraw", occurred_at=k.NOW)
            return await super().handle_RCPT(server, session, envelope, address, options)

    with k.smtp_sink(Withdrawing()) as (sink, port):
        first = run(engine, ws, k.email_registry(port))
        second = run(engine, ws, k.email_registry(port))
    assert sink.received == []
    assert first.by_status == {} and second.by_status == {"suppressed": 1}
    row, entries = state(engine, row_id)
    assert row.status == "suppressed"
    assert entries[-1].reason.startswith("suppressed: marketing email consent withdrawn")


def test_stop_gives_back_the_rest_of_the_batch(engine: Engine, ws: Workspace) -> None:
    pid = customer(engine, ws)
    rows = [add(engine, ws, k.message_intent(pid)) for _ in range(3)]
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1

    with (
        k.smtp_sink() as (sink, port),
        Dispatcher(engine, ws, k.email_registry(port), k.config()) as d,
    ):
        stats = d.run_pass(k.NOW, stop=stop)
    assert stats.by_status == {"sent": 1} and len(sink.received) == 1
    states = [state(engine, r)[0] for r in rows]
    assert sorted((s.status, s.locked_by) for s in states) == [
        ("pending", None),
        ("pending", None),
        ("sent", "w1"),
    ]


def test_messages_for_a_merged_person_go_to_the_survivor(engine: Engine, ws: Workspace) -> None:
    winner = customer(engine, ws, first_name="Ana", email="ana@example.org")
    with engine.begin() as conn:
        loser = b.person(conn, ws, email="", phone="+351911111111", merged_into_id=winner)
    row_id = add(engine, ws, k.message_intent(loser))
    with k.smtp_sink() as (sink, port):
        run(engine, ws, k.email_registry(port))
    assert state(engine, row_id)[0].status == "sent"
    assert sink.received[0]["To"].endswith("<ana@example.org>")


def test_sms_without_a_provider_is_suppressed_and_transactional_needs_no_consent(
    engine: Engine, ws: Workspace
) -> None:
    pid = customer(engine, ws, consent=False)
    sms = add(engine, ws, k.message_intent(pid, channel=ChannelKind.SMS))
    receipt = add(
        engine,
        ws,
        k.message_intent(pid, purpose=Purpose.TRANSACTIONAL, priority=Priority.TRANSACTIONAL),
    )
    with k.smtp_sink() as (sink, port):
        run(engine, ws, k.email_registry(port))
    assert state(engine, sms)[1][0].reason == "suppressed: sms channel not configured"
    assert state(engine, receipt)[0].status == "sent"
    assert sink.received[0]["List-Unsubscribe"] is None


def test_an_unreachable_server_is_tried_once_per_pass(
    engine: Engine, ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goodwill.channels.email import SmtpEmailChannel

    rows = [add(engine, ws, k.message_intent(customer(engine, ws))) for _ in range(3)]
    opened: list[int] = []
    real_open = SmtpEmailChannel._open

    def counting_open(self: SmtpEmailChannel) -> Any:
        opened.append(1)
        return real_open(self)

    monkeypatch.setattr(SmtpEmailChannel, "_open", counting_open)
    stats = run(engine, ws, k.email_registry(k.free_port()))  # nothing listens there
    assert stats.by_status == {"failed": 3}
    assert len(opened) == 1
    for row_id in rows:
        row, [entry] = state(engine, row_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert entry.reason.startswith("cannot reach SMTP server 127.0.0.1")
        assert "retry 2 of 8" in entry.reason
