"""The worker loop: scheduler pass, then dispatcher passes until nothing is due; stop flag."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from tests import builders as b
from tests.integration.worker import outbox_kit as k

from goodwill.config import Settings
from goodwill.worker.loop import StopFlag, WorkerOptions, find_scheduler, run_worker
from goodwill.workspaces.service import get_or_create

pytestmark = pytest.mark.integration


def settings() -> Settings:
    return Settings(quiet_hours="off", weekly_budget=0, sender_email="hello@casaverde.example")


def seed(engine: Engine, n: int) -> None:
    with engine.begin() as conn:
        ws = get_or_create(conn, "default")
        for _ in range(n):
            pid = b.person(conn, ws)
            b.consent(conn, ws, pid)
            k.add_outbox(conn, ws, k.message_intent(pid))


def test_once_runs_the_scheduler_then_drains_in_batches(engine: Engine) -> None:
    seed(engine, 7)
    calls: list[tuple[str, datetime]] = []

    def scheduler(_engine: Engine, workspace: str, now: datetime) -> dict[str, int]:
        calls.append((workspace, now))
        return {"intents": 0}

    with k.smtp_sink() as (sink, port):
        report = run_worker(
            engine,
            settings(),
            WorkerOptions(workspaces=("default",), once=True, batch=3),
            registry=k.email_registry(port),
            scheduler=scheduler,
            clock=lambda: k.NOW,
        )
    assert [w for w, _ in calls] == ["default"]
    assert report.iterations == 1
    stats = report.dispatched["default"]
    assert stats.claimed == 7 and stats.by_status == {"sent": 7}
    assert len(sink.received) == 7
    assert report.as_dict()["dispatch"]["default"]["sent"] == 7


def test_a_failing_scheduler_pass_does_not_stop_a_long_running_worker(engine: Engine) -> None:
    seed(engine, 2)
    stop = StopFlag()
    iterations: list[int] = []

    def scheduler(_engine: Engine, _workspace: str, _now: datetime) -> Any:
        iterations.append(1)
        if len(iterations) >= 2:
            stop.set()
        raise RuntimeError("journeys table is being migrated")

    with k.smtp_sink() as (sink, port):
        report = run_worker(
            engine,
            settings(),
            WorkerOptions(workspaces=None, poll=0.0),
            stop=stop,
            registry=k.email_registry(port),
            scheduler=scheduler,
            clock=lambda: k.NOW,
        )
    assert len(sink.received) == 2
    assert report.scheduled["default"] == {
        "error": "RuntimeError: journeys table is being migrated"
    }


def test_once_surfaces_a_scheduler_failure(engine: Engine) -> None:
    seed(engine, 1)

    def scheduler(_engine: Engine, _workspace: str, _now: datetime) -> Any:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_worker(
            engine,
            settings(),
            WorkerOptions(workspaces=("default",), once=True),
            registry=k.email_registry(1),
            scheduler=scheduler,
        )


def test_the_journeys_scheduler_is_the_one_the_worker_runs(engine: Engine) -> None:
    scheduler = find_scheduler()
    assert scheduler is not None
    seed(engine, 0)
    report = run_worker(
        engine,
        settings(),
        WorkerOptions(workspaces=("default",), once=True),
        registry=k.email_registry(1),
        clock=lambda: k.NOW,
    )
    assert "default" in report.scheduled
