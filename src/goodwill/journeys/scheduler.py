"""The scheduler: turns new interactions, important dates and score changes into enrolments,
advances enrolments whose wait is over, and writes the engine's intents to the outbox.

    run_pass(engine, workspace=None, now=None) -> {workspace: PassStats}

Each batch is one transaction: enrolment states and their outbox rows are written together, so
an intent exists exactly when the state that produced it was saved (nothing is sent that is not
first written down; a crash rolls both back and the next pass redoes them with the same keys).
On PostgreSQL one scheduler runs per workspace at a time (advisory lock; other workers only
dispatch); on SQLite the write lock serialises passes.

Interactions are read in id order from a per-workspace cursor, so each is seen once.  Order
events are enriched with what journeys read (``order`` number, ``order_index`` among the
person's orders, the products' ``days_to_opinion``).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Engine

from goodwill.db.engine import unit_of_work
from goodwill.journeys.context import load_contexts
from goodwill.journeys.engine import advance
from goodwill.journeys.enrolment import due_date_events, enrol
from goodwill.journeys.intents import Intent
from goodwill.journeys.library import JourneyLibrary, load_library
from goodwill.journeys.models import (
    EnrolmentState,
    EnrolmentStatus,
    Event,
    PersonContext,
    PriorEnrolment,
)
from goodwill.journeys.repository import SQLITE_MANY_ROWS, JourneyRepository
from goodwill.journeys.scores import score_events
from goodwill.journeys.serialization import intent_json, state_from_dict, state_json
from goodwill.kit.clock import as_utc, utcnow
from goodwill.workspaces.repository import WorkspaceRepository
from goodwill.workspaces.service import Workspace, get_existing

BATCH = 10_000
FIRST_DATE_LOOKBACK = timedelta(days=1)


@dataclass
class PassStats:
    events: int = 0
    enrolled: int = 0
    holdout: int = 0
    advanced: int = 0
    steps_run: int = 0
    intents: int = 0
    skipped: bool = False

    def add(self, other: PassStats) -> None:
        for name in ("events", "enrolled", "holdout", "advanced", "steps_run", "intents"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


_NO_CHANNEL = {"create_task": "task", "webhook": "webhook"}


def outbox_row(intent: Intent, enrolment_id: int, now: datetime) -> tuple[Any, ...]:
    """The outbox row of an intent, in :data:`~goodwill.journeys.repository.OUTBOX_COLUMNS`
    order (the payload as JSON text)."""
    kind = intent.kind
    channel = getattr(intent, "channel", None)
    if channel is None:
        channel = _NO_CHANNEL.get(kind, "")
    purpose = getattr(intent, "purpose", "")
    return (
        enrolment_id,
        int(intent.person_id),
        intent.idempotency_key,
        kind,
        str(getattr(channel, "value", channel)),
        str(getattr(purpose, "value", purpose)),
        int(intent.priority),
        intent_json(intent),
        "pending",
        intent.not_before,
        0,
        "",
        now,
        now,
    )


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while batches are built.

    A batch allocates millions of small acyclic objects (states, history records, intents,
    rows) that stay alive until it is written; every collection would walk all of them again
    (measured: about a third of the CPU time of a pass).  They are freed by reference counting
    when the batch ends, and the collector is back on between batches, so memory stays bounded.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Batch:
    """What one transaction writes: enrolment inserts/updates and outbox rows."""

    def __init__(self, repo: JourneyRepository, lib: JourneyLibrary, now: datetime) -> None:
        self.repo, self.lib, self.now = repo, lib, now
        self.updates: list[tuple[Any, ...]] = []
        self.inserts: list[tuple[Any, ...]] = []
        self.outbox: list[tuple[Any, ...]] = []
        self.stats = PassStats()
        self.touched: set[int] = set()  # people whose enrolments this batch writes
        self._ids: list[int] = []
        self._used = 0

    def reserve(self, count: int, above: int = 0) -> int:
        """Reserve enrolment ids for up to ``count`` new enrolments in one query (unused ones
        are simply never written), all greater than ``above`` (the last id reserved by a batch
        not written yet: SQLite hands out ``max(id) + 1``...).  Returns the highest id."""
        if count > 0:
            ids = self.repo.new_enrolment_ids(count)
            if ids[0] <= above:
                ids = list(range(above + 1, above + 1 + count))
            self._ids, self._used = ids, 0
        return self._ids[-1] if self._ids else above

    def _next_id(self) -> int:
        # ``_read_inputs`` reserves one id per enrolment candidate (the same events x journeys
        # ``try_enrol`` walks), so the reserved block cannot run out.
        if self._used >= len(self._ids):
            raise RuntimeError("more enrolment candidates than reserved ids")
        ident = self._ids[self._used]
        self._used += 1
        return ident

    def _record(self, enrolment_id: int, intents: Iterable[Intent], steps: int) -> None:
        self.stats.steps_run += steps
        now, out = self.now, self.outbox
        for intent in intents:
            out.append(outbox_row(intent, enrolment_id, now))
            self.stats.intents += 1

    def advance_existing(self, row: Any, ctx: PersonContext, events: list[Event]) -> None:
        journey = self.lib.by_version.get((int(row.journey_id), int(row.version)))
        if journey is None:
            return
        state = state_from_dict(dict(row.state))
        result = advance(journey, state, self.now, events, ctx)
        self.stats.advanced += 1
        self.touched.add(int(row.person_id))
        ident = int(row.id)
        self._record(ident, result.intents, result.steps_run)
        new = result.state
        self.updates.append(
            (
                ident,
                new.status.value,
                state_json(new),
                new.wake_at,
                new.ended_at,
            )
        )

    def try_enrol(
        self,
        journey_id: int,
        ctx: PersonContext,
        event: Event,
        events: list[Event],
        prior: list[PriorEnrolment],
    ) -> None:
        journey = self.lib.enabled[journey_id]
        new_id = self._next_id()
        outcome = enrol(journey, ctx, event, self.now, prior, enrolment_id=str(new_id))
        if not isinstance(outcome, EnrolmentState):
            return
        intents: tuple[Intent, ...] = ()
        state = outcome
        steps = 0
        holdout = outcome.status is EnrolmentStatus.HOLDOUT
        if state.status is EnrolmentStatus.ACTIVE:
            result = advance(journey, state, self.now, events, ctx)
            state, intents, steps = result.state, result.intents, result.steps_run
        self.inserts.append(
            (
                new_id,
                journey_id,
                journey.version,
                int(ctx.person_id),
                state.status.value,
                holdout,
                str(event.id),
                state_json(state),
                state.wake_at,
                outcome.entered_at,
                state.ended_at,
            )
        )
        if len(events) > 1:  # only a later event of the same person can read it
            prior.append(
                PriorEnrolment(
                    enrolment_id=str(new_id),
                    journey_key=journey.key,
                    status=state.status,
                    entered_at=outcome.entered_at,
                    trigger_event_id=str(event.id),
                    journey_version=journey.version,
                )
            )
        self.touched.add(int(ctx.person_id))
        self.stats.enrolled += 1
        self.stats.holdout += holdout
        self._record(new_id, intents, steps)

    def flush(self, repo: JourneyRepository | None = None) -> None:
        # Another scheduler cannot have enrolled these (one scheduler per workspace holds the
        # lock), and priors already refuse a trigger seen before, so inserts cannot conflict.
        repo = repo or self.repo
        repo.insert_enrolments(self.inserts)
        repo.update_enrolments(self.updates)
        repo.insert_outbox(self.outbox)

    def overlay(self, rows: list[Any], people: Iterable[int]) -> list[Any]:
        """``rows`` (enrolments of ``people`` read from the store) as they will be once this
        batch is written: its updates applied, its new enrolments of those people added."""
        touched = self.touched.intersection(people)
        if not touched:
            return rows
        updates = {u[0]: u for u in self.updates}
        out: list[Any] = []
        for r in rows:
            u = updates.get(int(r.id))
            if u is not None:
                r = _Row(
                    r.id, r.journey_id, r.version, r.person_id, u[1], r.trigger_key,
                    r.entered_at, json.loads(u[2]),
                )  # fmt: skip
            out.append(r)
        for ins in self.inserts:
            if ins[3] in touched:
                out.append(
                    _Row(ins[0], ins[1], ins[2], ins[3], ins[4], ins[6], ins[9], json.loads(ins[7]))
                )
        return out


class _Row(NamedTuple):
    """An enrolment row as :meth:`JourneyRepository.enrolments_of` returns it."""

    id: int
    journey_id: int
    version: int
    person_id: int
    status: str
    trigger_key: str
    entered_at: datetime
    state: dict[str, Any]


def _priors(
    rows: Iterable[Any], lib: JourneyLibrary
) -> dict[tuple[int, int], list[PriorEnrolment]]:
    out: dict[tuple[int, int], list[PriorEnrolment]] = {}
    for r in rows:
        out.setdefault((int(r.person_id), int(r.journey_id)), []).append(
            PriorEnrolment(
                enrolment_id=str(r.id),
                journey_key=lib.key_of.get(int(r.journey_id), ""),
                status=EnrolmentStatus(r.status),
                entered_at=as_utc(r.entered_at),
                trigger_event_id=r.trigger_key,
                journey_version=int(r.version),
            )
        )
    return out


def _to_events(rows: list[Any], repo: JourneyRepository) -> dict[int, list[Event]]:
    order_ids = [
        int(r.order_id) for r in rows if r.order_id is not None and str(r.kind).startswith("order.")
    ]
    facts = repo.order_facts(order_ids) if order_ids else {}
    by_person: dict[int, list[Event]] = {}
    for r in rows:
        payload = r.payload  # a fresh dict per row (decoded from JSON): no copy needed
        if type(payload) is not dict:
            payload = dict(payload or {})
        if r.order_id is not None and int(r.order_id) in facts:
            number, index, days = facts[int(r.order_id)]
            payload.setdefault("order", number)
            payload.setdefault("order_index", index)
            if days is not None:
                payload.setdefault("days_to_opinion", days)
        by_person.setdefault(int(r.person_id), []).append(
            Event(str(r.kind), as_utc(r.occurred_at), payload, str(r.id))
        )
    return by_person


def _read_inputs(
    batch: _Batch,
    by_person: dict[int, list[Event]],
    pending: _Batch | None = None,
    above: int = 0,
    contexts: dict[int, PersonContext] | None = None,
) -> tuple[dict[int, PersonContext], list[Any], int]:
    """What a batch reads: the people's snapshots (unless the caller has them), their
    enrolments (as they will be once the ``pending`` batch is written), and enough reserved
    enrolment ids (all above ``above``)."""
    repo, lib = batch.repo, batch.lib
    people = list(by_person)
    if contexts is None:
        contexts = load_contexts(repo, people)
    journey_ids = sorted({jid for jid, _ in lib.by_version})
    rows = repo.enrolments_of(people, journey_ids) if journey_ids else []
    if pending is not None:
        rows = pending.overlay(rows, people)
    candidates = sum(
        len(lib.for_kind(event.kind))
        for pid, events in by_person.items()
        if pid in contexts
        for event in events
    )
    return contexts, rows, batch.reserve(candidates, above)


def _enrol_and_advance(
    batch: _Batch,
    by_person: dict[int, list[Event]],
    contexts: dict[int, PersonContext],
    rows: list[Any],
    *,
    advance_active: bool,
) -> None:
    """The engine's part of a batch (no database: what it reads was read before)."""
    lib = batch.lib
    priors = _priors(rows, lib)
    if advance_active:
        for r in rows:
            if r.status == "active":
                ctx = contexts.get(int(r.person_id))
                if ctx is not None:
                    batch.advance_existing(r, ctx, by_person.get(int(r.person_id), []))
    for pid, events in by_person.items():
        ctx = contexts.get(pid)
        if ctx is None:
            continue  # merged away or deleted
        for event in events:
            for journey_id in lib.for_kind(event.kind):
                batch.try_enrol(
                    journey_id, ctx, event, events, priors.setdefault((pid, journey_id), [])
                )


def _read_and_run(
    batch: _Batch,
    by_person: dict[int, list[Event]],
    *,
    advance_active: bool,
    contexts: dict[int, PersonContext] | None = None,
) -> None:
    contexts, rows, _ = _read_inputs(batch, by_person, contexts=contexts)
    _enrol_and_advance(batch, by_person, contexts, rows, advance_active=advance_active)


def _analyze_now(batches: int) -> bool:
    """In a burst of full batches, refresh PostgreSQL's planner statistics before batches 0, 1,
    2, 4, 8, 16...: the tables a pass grows are never more than twice what the planner thinks,
    for a logarithmic number of ANALYZEs."""
    return batches & (batches - 1) == 0


class _Skipped(Exception):
    """Another scheduler holds the workspace or has moved its cursor: stop this pass."""


class _Writer:
    """Writes computed batches in order, each in its own transaction with the cursor move.

    The write runs in a background thread while the next batch is read and computed: on
    PostgreSQL the server inserts (COPY, indexes, foreign keys) on one core while the engine runs
    on the other; on SQLite the many-row statements run with the interpreter lock released.
    With an SQLite older than 3.33 (no many-row path) it runs inline: executemany would take the
    lock back on every row.  Reads happen only between writes, never during one.  Each write
    takes the workspace lock and checks that the cursor is still where this pass found it, so an
    overlapping scheduler can never write the same events twice.
    """

    def __init__(self, engine: Engine, ws: Workspace, now: datetime, stats: PassStats) -> None:
        self.engine, self.ws, self.now, self.stats = engine, ws, now, stats
        threaded = engine.dialect.name == "postgresql" or SQLITE_MANY_ROWS
        self._pool = ThreadPoolExecutor(1, "journeys-writer") if threaded else None
        self._running: Future[None] | None = None

    def submit(self, batch: _Batch, start: int, end: int) -> None:
        self.wait()
        if self._pool is None:
            self._write(batch, start, end)
        else:
            self._running = self._pool.submit(self._write, batch, start, end)

    def wait(self) -> None:
        """Until the batch being written is committed (its error, if any, is raised here)."""
        running, self._running = self._running, None
        if running is not None:
            running.result()

    def close(self) -> None:
        """Wait for a write in flight; its error was or will be raised by :meth:`wait`."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _write(self, batch: _Batch, start: int, end: int) -> None:
        with unit_of_work(self.engine) as conn:
            repo = JourneyRepository(conn, self.ws)
            cursor = repo.cursor() if repo.lock_scheduler() else None
            if cursor is None or int(cursor.last_interaction_id) != start:
                raise _Skipped
            batch.flush(repo)
            repo.save_cursor(self.now, last_interaction_id=end)
        self.stats.add(batch.stats)


def _events_phase(
    engine: Engine, ws: Workspace, lib: JourneyLibrary, now: datetime, stats: PassStats
) -> None:
    """New interactions, in batches: batch N+1 is read and computed while batch N is written
    (see :class:`_Writer`); what N will write is overlaid on what N+1 reads."""
    with unit_of_work(engine) as conn:
        repo = JourneyRepository(conn, ws)
        if not repo.lock_scheduler():
            stats.skipped = True
            return
        cursor = repo.cursor()
        if cursor is None:
            # A new scheduler starts from now: old history must not trigger journeys.
            repo.save_cursor(
                now, last_interaction_id=repo.max_interaction_id(), last_score_run_id=0
            )
            return
        last = int(cursor.last_interaction_id)
    writer = _Writer(engine, ws, now, stats)
    # The collector stays paused for the whole burst: re-enabling it after each batch made it
    # walk the batch being written every time (acyclic objects; freed by reference counting).
    with _no_cyclic_gc():
        _pipeline(engine, ws, lib, now, stats, writer, last)


def _pipeline(
    engine: Engine,
    ws: Workspace,
    lib: JourneyLibrary,
    now: datetime,
    stats: PassStats,
    writer: _Writer,
    last: int,
) -> None:
    pending: tuple[_Batch, int, int] | None = None  # computed, not written yet
    high = 0  # the highest enrolment id reserved so far
    batches = 0
    try:
        while True:
            writer.wait()  # the store now holds everything before ``pending``
            with unit_of_work(engine) as conn:
                repo = JourneyRepository(conn, ws)
                rows = repo.interactions_after(last, BATCH)
                if rows:
                    if len(rows) == BATCH and _analyze_now(batches):
                        # what a pass reads but does not grow: once, at the start of a burst
                        grown = ("enrolments", "outbox")
                        read = ("interactions", "persons") if batches == 0 else ()
                        repo.refresh_statistics(*read, *grown)
                    batches += 1
                    batch = _Batch(repo, lib, now)
                    batch.stats.events = len(rows)
                    by_person = _to_events(rows, repo)
                    contexts, enrolments, high = _read_inputs(
                        batch, by_person, pending[0] if pending else None, high
                    )
            if pending is not None:
                writer.submit(*pending)
                pending = None
            if not rows:
                break
            _enrol_and_advance(batch, by_person, contexts, enrolments, advance_active=True)
            pending = (batch, last, int(rows[-1].id))
            last = pending[2]
        writer.wait()
    except _Skipped:
        stats.skipped = True
    finally:
        writer.close()


def _due_phase(
    engine: Engine, ws: Workspace, lib: JourneyLibrary, now: datetime, stats: PassStats
) -> None:
    after = 0
    batches = 0
    while True:
        with unit_of_work(engine) as conn:
            repo = JourneyRepository(conn, ws)
            if not repo.lock_scheduler():
                stats.skipped = True
                return
            rows = repo.due_enrolments(now, BATCH, after)
            if not rows:
                return
            if len(rows) == BATCH and _analyze_now(batches):
                grown = ("enrolments", "outbox")
                repo.refresh_statistics(*(("persons",) if batches == 0 else ()), *grown)
            batches += 1
            batch = _Batch(repo, lib, now)
            with _no_cyclic_gc():
                contexts = load_contexts(repo, [int(r.person_id) for r in rows])
                for r in rows:
                    ctx = contexts.get(int(r.person_id))
                    if ctx is not None:
                        batch.advance_existing(r, ctx, [])
                batch.flush()
            after = int(rows[-1].id)
            stats.add(batch.stats)


def _dates_phase(
    engine: Engine, ws: Workspace, lib: JourneyLibrary, now: datetime, stats: PassStats
) -> None:
    journeys = lib.date_journeys()
    with unit_of_work(engine) as conn:
        repo = JourneyRepository(conn, ws)
        cursor = repo.cursor()
        since = cursor.dates_scanned_until if cursor is not None else None
        start = as_utc(since) if since is not None else now - FIRST_DATE_LOOKBACK
        if not journeys or start >= now:
            if cursor is not None:
                repo.save_cursor(now, dates_scanned_until=now)
            return
        kinds = sorted({lib.enabled[j].trigger.date for j in journeys})  # type: ignore[union-attr]
        people = repo.persons_with_dates(kinds)
    for offset in range(0, len(people), BATCH):
        chunk = people[offset : offset + BATCH]
        with unit_of_work(engine) as conn:
            repo = JourneyRepository(conn, ws)
            if not repo.lock_scheduler():
                stats.skipped = True
                return
            contexts = load_contexts(repo, chunk)
            by_person: dict[int, list[Event]] = {}
            for pid, ctx in contexts.items():
                for jid in journeys:
                    by_person.setdefault(pid, []).extend(
                        due_date_events(lib.enabled[jid], ctx, start, now)
                    )
            by_person = {p: e for p, e in by_person.items() if e}
            if by_person:
                batch = _Batch(repo, lib, now)
                with _no_cyclic_gc():
                    _read_and_run(batch, by_person, advance_active=False, contexts=contexts)
                    batch.flush()
                stats.add(batch.stats)
    with unit_of_work(engine) as conn:
        JourneyRepository(conn, ws).save_cursor(now, dates_scanned_until=now)


def _scores_phase(
    engine: Engine, ws: Workspace, lib: JourneyLibrary, now: datetime, stats: PassStats
) -> None:
    with unit_of_work(engine) as conn:
        repo = JourneyRepository(conn, ws)
        cursor = repo.cursor()
        last_run = 0 if cursor is None else int(cursor.last_score_run_id)
        runs = score_events(repo, after_run=last_run, now=now) if lib.score_journeys() else None
        if runs is None:
            return
        run_id, events = runs
    for offset in range(0, len(events), BATCH):
        chunk = dict(list(events.items())[offset : offset + BATCH])
        with unit_of_work(engine) as conn:
            repo = JourneyRepository(conn, ws)
            if not repo.lock_scheduler():
                stats.skipped = True
                return
            batch = _Batch(repo, lib, now)
            with _no_cyclic_gc():
                _read_and_run(batch, chunk, advance_active=False)
                batch.flush()
            stats.add(batch.stats)
    with unit_of_work(engine) as conn:
        JourneyRepository(conn, ws).save_cursor(now, last_score_run_id=run_id)


def run_workspace(engine: Engine, ws: Workspace, now: datetime) -> PassStats:
    stats = PassStats()
    with unit_of_work(engine) as conn:
        lib = load_library(JourneyRepository(conn, ws))
    if lib.empty:
        return stats
    _events_phase(engine, ws, lib, now, stats)
    _scores_phase(engine, ws, lib, now, stats)
    _dates_phase(engine, ws, lib, now, stats)
    _due_phase(engine, ws, lib, now, stats)
    return stats


def run_pass(
    engine: Engine, workspace: str | None = None, now: datetime | None = None
) -> dict[str, PassStats]:
    """One scheduler pass over one workspace (or all of them)."""
    moment = as_utc(now) if now is not None else utcnow()
    with unit_of_work(engine) as conn:
        if workspace is not None:
            targets = [get_existing(conn, workspace)]
        else:
            repo = WorkspaceRepository(conn)
            targets = [get_existing(conn, name) for name in repo.list_names()]
    return {ws.name: run_workspace(engine, ws, moment.astimezone(UTC)) for ws in targets}
