"""The scheduler on a real database: events enrol, waits are honoured, intents reach the outbox
once, exits end enrolments, and running enrolments keep their version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from tests import builders as b

from goodwill.db import tables as t
from goodwill.journeys import load_definition, load_playbook, scheduler
from goodwill.journeys.repository import JourneyRepository
from goodwill.journeys.scheduler import run_pass
from goodwill.journeys.service import explain, publish, set_enabled
from goodwill.workspaces.service import Workspace, get_or_create

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _enable(engine: Engine, name: str, **changes: Any) -> Workspace:
    with engine.begin() as conn:
        ws = get_or_create(conn, "shop")
        publish(conn, ws, load_playbook(name).model_copy(update={"holdout": 0.0, **changes}))
        set_enabled(conn, ws, name, True)
    return ws


def _order_event(
    engine: Engine, ws: Workspace, pid: int, kind: str, at: datetime, number: str, **over: Any
) -> int:
    with engine.begin() as conn:
        oid = over.pop("order_id", None) or b.order(conn, ws, pid, external_id=number, placed_at=at)
        b.interaction(
            conn, ws, pid, kind, occurred_at=at, order_id=oid, payload={"order": number}, **over
        )
    return oid


def _outbox(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.outbox).order_by(t.outbox.c.id)))


def _enrolments(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.enrolments).order_by(t.enrolments.c.id)))


def test_thank_you_waits_two_hours_then_writes_one_intent(engine: Engine) -> None:
    ws = _enable(engine, "thank-you-first-order")
    with engine.begin() as conn:
        pid = b.person(conn, ws, email="ana@example.com")
    _order_event(engine, ws, pid, "order.placed", NOW - timedelta(minutes=30), "#1001")
    run_pass(engine, "shop", NOW)
    [enrolment] = _enrolments(engine)
    assert enrolment.status == "active" and not _outbox(engine)
    run_pass(engine, "shop", NOW + timedelta(hours=3))
    run_pass(engine, "shop", NOW + timedelta(hours=4))  # again: nothing twice
    [row] = _outbox(engine)
    assert (
        row.action == "send_message" and row.channel == "email" and row.purpose == "transactional"
    )
    assert row.payload["template"] == "thank_you_first_order"
    assert row.payload["variables"]["last_order_number"] == "#1001"
    assert row.available_at.replace(tzinfo=UTC) == NOW - timedelta(minutes=30) + timedelta(hours=2)
    assert _enrolments(engine)[0].status == "completed"
    # a second order does not thank again
    _order_event(engine, ws, pid, "order.placed", NOW + timedelta(hours=5), "#1002")
    run_pass(engine, "shop", NOW + timedelta(hours=9))
    assert len(_outbox(engine)) == 1 and len(_enrolments(engine)) == 1


def test_history_before_enabling_never_triggers(engine: Engine) -> None:
    with engine.begin() as conn:
        ws = get_or_create(conn, "shop")
        pid = b.person(conn, ws)
    _order_event(engine, ws, pid, "order.placed", NOW - timedelta(minutes=5), "#1")
    _enable(engine, "thank-you-first-order")
    run_pass(engine, "shop", NOW + timedelta(hours=3))
    assert _enrolments(engine) == [] and _outbox(engine) == []


def test_review_request_waits_for_days_to_opinion_and_stops_when_reviewed(engine: Engine) -> None:
    ws = _enable(engine, "review-request")
    with engine.begin() as conn:
        pid = b.person(conn, ws, timezone="Europe/Lisbon")
    _order_event(engine, ws, pid, "order.delivered", NOW - timedelta(hours=1), "#7")
    run_pass(engine, "shop", NOW)
    run_pass(engine, "shop", NOW + timedelta(days=13))
    assert _outbox(engine) == []  # 14 days by default
    run_pass(engine, "shop", NOW + timedelta(days=15))
    [ask] = _outbox(engine)
    assert (
        ask.action == "request_review"
        and ask.payload["variables"]["review_url"] == "{{signed_link}}"
    )
    with engine.begin() as conn:
        b.interaction(
            conn,
            ws,
            pid,
            "review.submitted",
            occurred_at=NOW + timedelta(days=16),
            payload={"rating": 2},
        )
    run_pass(engine, "shop", NOW + timedelta(days=30))
    assert len(_outbox(engine)) == 1  # no reminder after the review
    [enrolment] = _enrolments(engine)
    assert enrolment.status == "exited"
    with engine.connect() as conn:
        lines = explain(conn, ws, str(pid), "review-request")
    text = "\n".join(lines)
    assert "waiting until" in text and "exited" in text and "request_review (email)" in text


def test_a_new_version_applies_to_new_enrolments_only(engine: Engine) -> None:
    ws = _enable(engine, "thank-you-first-order")
    with engine.begin() as conn:
        first = b.person(conn, ws)
        second = b.person(conn, ws)
    _order_event(engine, ws, first, "order.placed", NOW - timedelta(minutes=1), "#1")
    run_pass(engine, "shop", NOW)
    v2 = load_playbook("thank-you-first-order").model_copy(update={"version": 2, "holdout": 0.0})
    with engine.begin() as conn:
        publish(conn, ws, v2)
    _order_event(engine, ws, second, "order.placed", NOW + timedelta(minutes=5), "#2")
    run_pass(engine, "shop", NOW + timedelta(hours=3))
    versions = {e.person_id: e.version for e in _enrolments(engine)}
    assert versions == {first: 1, second: 2}
    assert len(_outbox(engine)) == 2


def test_enrolment_and_its_intents_are_written_together(engine: Engine, monkeypatch: Any) -> None:
    """A crash between saving the state and writing the outbox leaves neither behind, and the
    next pass redoes both exactly once."""
    ws = _enable(
        engine, "thank-you-first-order", steps=load_playbook("thank-you-first-order").steps[1:]
    )
    with engine.begin() as conn:
        pid = b.person(conn, ws)
    _order_event(engine, ws, pid, "order.placed", NOW - timedelta(minutes=1), "#9")

    def crash(self: Any, rows: Any) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(JourneyRepository, "insert_outbox", crash)
    with pytest.raises(RuntimeError):
        run_pass(engine, "shop", NOW)
    assert _enrolments(engine) == [] and _outbox(engine) == []
    monkeypatch.undo()
    run_pass(engine, "shop", NOW)
    run_pass(engine, "shop", NOW + timedelta(minutes=1))
    assert len(_enrolments(engine)) == 1 and len(_outbox(engine)) == 1


def test_many_enrolments_in_one_batch_get_distinct_ids(engine: Engine) -> None:
    ws = _enable(engine, "thank-you-first-order")
    with engine.begin() as conn:
        people = [b.person(conn, ws) for _ in range(300)]
        for i, pid in enumerate(people):
            oid = b.order(conn, ws, pid, external_id=f"#{i}", placed_at=NOW - timedelta(minutes=1))
            b.interaction(
                conn,
                ws,
                pid,
                "order.placed",
                occurred_at=NOW - timedelta(minutes=1),
                order_id=oid,
                payload={"order": f"#{i}"},
            )
    run_pass(engine, "shop", NOW + timedelta(hours=3))
    enrolments = _enrolments(engine)
    assert len(enrolments) == 300 and len({e.id for e in enrolments}) == 300
    assert len(_outbox(engine)) == 300


def test_second_order_is_recognised_from_the_store(engine: Engine) -> None:
    """order_index comes from the person's orders, so the loyalty invite fires on the second."""
    ws = _enable(engine, "loyalty-invite-second-order")
    with engine.begin() as conn:
        pid = b.person(conn, ws)
        b.order(conn, ws, pid, external_id="#old", placed_at=NOW - timedelta(days=40))
    _order_event(engine, ws, pid, "order.placed", NOW - timedelta(minutes=10), "#new")
    run_pass(engine, "shop", NOW)
    [enrolment] = _enrolments(engine)
    assert enrolment.state["trigger"]["payload"]["order_index"] == 2


def test_birthday_note_goes_out_at_nine_local_time(engine: Engine) -> None:
    ws = _enable(engine, "birthday-note")
    with engine.begin() as conn:
        pid = b.person(conn, ws, timezone="Asia/Tokyo")
        b.important_date(conn, ws, pid, kind="birthday", month=5, day=5)
    run_pass(engine, "shop", datetime(2026, 5, 4, 23, 0, tzinfo=UTC))  # 08:00 on the 5th in Tokyo
    assert _enrolments(engine) == []
    run_pass(engine, "shop", datetime(2026, 5, 5, 1, 0, tzinfo=UTC))  # 10:00 in Tokyo
    [enrolment] = _enrolments(engine)
    assert enrolment.entered_at.replace(tzinfo=UTC) == datetime(2026, 5, 5, 0, 0, tzinfo=UTC)
    run_pass(engine, "shop", datetime(2026, 5, 6, 1, 0, tzinfo=UTC))
    assert len(_enrolments(engine)) == 1  # once per year, not once per pass


def _score_run(engine: Engine, ws: Workspace, day: datetime, people: dict[int, float]) -> None:
    from sqlalchemy import insert

    with engine.begin() as conn:
        run = conn.execute(
            insert(t.score_runs).values(
                workspace_id=ws.id,
                as_of=day.date(),
                computed_at=day,
                currency="USD",
                customers=len(people),
                model="BG/NBD",
                capital_minor=0,
                health_weighted_capital_minor=0,
            )
        ).inserted_primary_key
        assert run is not None
        for pid, p_alive in people.items():
            conn.execute(
                insert(t.score_snapshots).values(
                    workspace_id=ws.id,
                    run_id=run[0],
                    person_id=pid,
                    as_of=day.date(),
                    frequency=5,
                    recency_days=100.0,
                    age_days=300.0,
                    p_alive=p_alive,
                    expected_purchases_90d=0.5,
                    clv_minor=90_000,
                    clv_percentile=95.0,
                    health=50.0,
                    engagement=10.0,
                    depth=20.0,
                    rfm="444",
                    segment="at_risk" if p_alive < 0.5 else "loyal",
                    explanation="",
                )
            )


def test_win_back_fires_when_p_alive_crosses_below_half(engine: Engine) -> None:
    ws = _enable(engine, "win-back-high-value")
    with engine.begin() as conn:
        slipping, steady = b.person(conn, ws, owner="maria"), b.person(conn, ws)
    _score_run(engine, ws, NOW - timedelta(days=1), {slipping: 0.8, steady: 0.9})
    run_pass(engine, "shop", NOW - timedelta(hours=20))
    assert _enrolments(engine) == []  # nobody below 0.5 yet
    _score_run(engine, ws, NOW, {slipping: 0.3, steady: 0.85})
    run_pass(engine, "shop", NOW + timedelta(minutes=5))
    [enrolment] = _enrolments(engine)
    assert enrolment.person_id == slipping
    [task] = _outbox(engine)
    assert task.action == "create_task" and task.payload["assignee"] == "maria"


ONCE = """
key: once-after-order
name: Once after an order
version: 1
priority: relationship
trigger: {event: order.placed}
re_entry: once_ever
exits: [order.cancelled]
steps:
  - {id: settle, type: wait, duration: 1h}
  - {id: thank, type: send_message, channel: email, template: thank_you_first_order, purpose: transactional}
"""


def _enable_once(engine: Engine) -> Workspace:
    with engine.begin() as conn:
        ws = get_or_create(conn, "shop")
        publish(conn, ws, load_definition(ONCE))
        set_enabled(conn, ws, "once-after-order", True)
    return ws


def test_a_batch_sees_what_the_batch_before_it_will_write(engine: Engine, monkeypatch: Any) -> None:
    """A batch is read while the one before it is still being written: the second order and
    the cancellation must see the enrolment the first order created one batch earlier."""
    monkeypatch.setattr(scheduler, "BATCH", 1)
    ws = _enable_once(engine)
    with engine.begin() as conn:
        ana, ben = b.person(conn, ws), b.person(conn, ws)
        for pid, kind, minutes, number in [
            (ana, "order.placed", 50, "#1"),
            (ana, "order.cancelled", 45, "#1"),
            (ana, "order.placed", 40, "#2"),
            (ben, "order.placed", 20, "#3"),
        ]:
            b.interaction(
                conn,
                ws,
                pid,
                kind,
                occurred_at=NOW - timedelta(minutes=minutes),
                payload={"order": number},
            )
    stats = run_pass(engine, "shop", NOW)["shop"]
    assert stats.events == 4 and stats.enrolled == 2 and stats.advanced == 1
    by_person = {e.person_id: e for e in _enrolments(engine)}
    assert len(_enrolments(engine)) == 2
    assert by_person[ana].status == "exited" and by_person[ben].status == "active"
    run_pass(engine, "shop", NOW + timedelta(hours=2))
    by_person = {e.person_id: e for e in _enrolments(engine)}
    assert len(by_person) == 2 and by_person[ben].status == "completed"
    assert [o.person_id for o in _outbox(engine)] == [ben]


def test_enrolment_ids_stay_distinct_across_batches_in_flight(
    engine: Engine, monkeypatch: Any
) -> None:
    monkeypatch.setattr(scheduler, "BATCH", 7)
    ws = _enable_once(engine)
    with engine.begin() as conn:
        people = [b.person(conn, ws) for _ in range(30)]
        for i, pid in enumerate(people):
            b.interaction(
                conn,
                ws,
                pid,
                "order.placed",
                occurred_at=NOW - timedelta(minutes=90),
                payload={"order": f"#{i}"},
            )
    stats = run_pass(engine, "shop", NOW)["shop"]
    enrolments = _enrolments(engine)
    assert stats.enrolled == 30 and len({e.id for e in enrolments}) == 30
    assert sorted(e.person_id for e in enrolments) == sorted(people)
    outbox = _outbox(engine)
    assert len(outbox) == 30 and {o.enrolment_id for o in outbox} == {e.id for e in enrolments}
    assert all(o.payload["enrolment_id"] == str(o.enrolment_id) for o in outbox)


def test_a_second_scheduler_that_moved_the_cursor_stops_this_pass(engine: Engine) -> None:
    """Each batch is written only if the cursor is still where this pass read it."""
    ws = _enable_once(engine)
    with engine.begin() as conn:
        pid = b.person(conn, ws)
        b.interaction(
            conn, ws, pid, "order.placed", occurred_at=NOW - timedelta(minutes=5), payload={}
        )
    original = scheduler._Writer._write

    def moved_meanwhile(self: Any, batch: Any, start: int, end: int) -> None:
        with engine.begin() as conn:
            JourneyRepository(conn, ws).save_cursor(NOW, last_interaction_id=end)
        original(self, batch, start, end)

    scheduler._Writer._write = moved_meanwhile  # type: ignore[method-assign]
    try:
        stats = run_pass(engine, "shop", NOW)["shop"]
    finally:
        scheduler._Writer._write = original  # type: ignore[method-assign]
    assert stats.skipped and stats.enrolled == 0
    assert _enrolments(engine) == [] and _outbox(engine) == []
