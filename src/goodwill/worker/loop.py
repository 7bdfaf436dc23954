"""The worker loop: a scheduler pass, then dispatcher passes until nothing is due, then wait.

Each iteration, for each workspace it serves:

1. the journeys scheduler pass (:func:`goodwill.journeys.scheduler.run_pass`: new events into
   enrolments, due enrolments advanced, intents into the outbox), in its own transactions;
2. dispatcher passes of ``batch`` rows until a pass finds fewer than ``batch`` due rows.

``once`` stops after one iteration.  Otherwise the loop sleeps ``poll`` seconds and goes again
until :class:`StopFlag` is set (SIGTERM/SIGINT in ``goodwill worker``): the dispatcher finishes
the message in hand, gives back the leases of the rest of its batch, and the loop returns.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from goodwill.channels.email import SmtpEmailChannel
from goodwill.channels.registry import ChannelRegistry, build_registry
from goodwill.config import Settings
from goodwill.db.engine import unit_of_work
from goodwill.errors import GoodwillError
from goodwill.kit.clock import utcnow
from goodwill.messaging.vocabulary import ChannelKind
from goodwill.worker.custodian import Custodian
from goodwill.worker.dispatcher import DispatchConfig, Dispatcher
from goodwill.worker.models import DispatchStats
from goodwill.workspaces.repository import WorkspaceRepository
from goodwill.workspaces.service import Workspace, get_existing

log = logging.getLogger(__name__)
Scheduler = Callable[[Engine, str, datetime], Any]


class StopFlag:
    """Set from a signal handler; the loop and the dispatcher check it between messages."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        return self._event.wait(seconds)


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerOptions:
    workspaces: tuple[str, ...] | None  # None: every workspace in the database
    once: bool = False
    batch: int = 100
    poll: float = 5.0
    lease: timedelta = timedelta(seconds=60)
    async_commit: bool = False
    #: Emails sent together with one commit (see ``DispatchConfig.email_group``).
    email_group: int = 32
    #: Start the custodian that finishes a group's dots if this worker dies right after the
    #: group's commit (:mod:`goodwill.worker.custodian`).
    custodian: bool = True
    worker_id: str = field(default_factory=lambda: default_worker_id())


@dataclass
class WorkerReport:
    iterations: int = 0
    scheduled: dict[str, Any] = field(default_factory=dict)
    dispatched: dict[str, DispatchStats] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "scheduler": self.scheduled,
            "dispatch": {
                name: {"claimed": s.claimed, "lost_race": s.lost_race, **s.by_status}
                for name, s in self.dispatched.items()
            },
        }


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def find_scheduler() -> Scheduler | None:
    """The journeys scheduler pass, or ``None`` if this build has no journeys scheduler."""
    try:
        from goodwill.journeys.scheduler import run_pass
    except ImportError:  # pragma: no cover - present in every release build
        return None

    def scheduler(engine: Engine, workspace: str, now: datetime) -> Any:
        return run_pass(engine, workspace, now)

    return scheduler


def _workspaces(engine: Engine, names: tuple[str, ...] | None) -> list[Workspace]:
    with unit_of_work(engine) as conn:
        wanted = names if names is not None else tuple(WorkspaceRepository(conn).list_names())
        return [get_existing(conn, name) for name in wanted]


def _summary(stats: Any) -> Any:
    """A scheduler pass's figures as plain data (it returns dataclasses per workspace)."""
    if isinstance(stats, dict):
        return {k: _summary(v) for k, v in stats.items()}
    if hasattr(stats, "__dataclass_fields__"):
        return {k: getattr(stats, k) for k in stats.__dataclass_fields__}
    return stats


def run_worker(
    engine: Engine,
    settings: Settings,
    options: WorkerOptions,
    *,
    stop: StopFlag | None = None,
    registry: ChannelRegistry | None = None,
    scheduler: Scheduler | None = None,
    clock: Callable[[], datetime] = utcnow,
    on_pass: Callable[[str, DispatchStats], None] | None = None,
) -> WorkerReport:
    """Run until ``stop`` is set (or one iteration with ``options.once``)."""
    stop = stop or StopFlag()
    report = WorkerReport()
    scheduler = scheduler if scheduler is not None else find_scheduler()
    with ExitStack() as stack:
        channels = registry or build_registry(settings, postal_dir=settings.postal_dir)
        stack.callback(channels.close)
        email = channels.get(ChannelKind.EMAIL)
        if options.custodian and isinstance(email, SmtpEmailChannel):
            keeper = Custodian.start(
                engine.url.render_as_string(hide_password=False),
                options.worker_id,
                deadline=min(30.0, options.lease.total_seconds() / 2),
            )
            if keeper is not None:
                email.guard = keeper
                stack.callback(keeper.close)
        config = DispatchConfig.from_settings(
            settings,
            worker_id=options.worker_id,
            lease=options.lease,
            async_commit=options.async_commit,
            email_group=options.email_group,
        )
        dispatchers: dict[int, Dispatcher] = {}
        while not stop.is_set():
            report.iterations += 1
            for ws in _workspaces(engine, options.workspaces):
                if stop.is_set():
                    break
                if scheduler is not None:
                    report.scheduled[ws.name] = _schedule(
                        scheduler, engine, ws.name, clock(), keep_going=not options.once
                    )
                if ws.id not in dispatchers:
                    dispatchers[ws.id] = Dispatcher(engine, ws, channels, config)
                    stack.callback(dispatchers[ws.id].close)
                total = report.dispatched.setdefault(ws.name, DispatchStats())
                for stats in _drain(dispatchers[ws.id], options.batch, stop, clock):
                    total.add(stats)
                    if on_pass is not None:
                        on_pass(ws.name, stats)
            if options.once or stop.wait(options.poll):
                break
    return report


def _schedule(
    scheduler: Scheduler, engine: Engine, workspace: str, now: datetime, *, keep_going: bool
) -> Any:
    """One scheduler pass.  A long-running worker that hits an unexpected error there logs it
    and still dispatches what is already in the outbox (the pass is retried next iteration);
    ``--once`` lets it surface."""
    try:
        return _summary(scheduler(engine, workspace, now))
    except GoodwillError:
        raise
    except Exception as exc:
        if not keep_going:
            raise
        log.exception("scheduler pass for workspace %s failed", workspace)
        return {"error": f"{type(exc).__name__}: {exc}"}


def _drain(
    dispatcher: Dispatcher, batch: int, stop: StopFlag, clock: Callable[[], datetime]
) -> Iterator[DispatchStats]:
    while not stop.is_set():
        stats = dispatcher.run_pass(clock(), limit=batch, stop=stop.is_set)
        yield stats
        if stats.claimed < batch:
            return
