"""Benchmark: N people enter a three-step journey and every step is due; the scheduler enrols
them, runs the engine and writes every intent to the outbox, on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/bench_journeys.py --people 100000 --db sqlite
    .venv/bin/python benchmarks/bench_journeys.py --people 100000 --db postgres

Prints enrolments/s, engine step evaluations/s (wall, including the database) and outbox rows/s,
and, because the machine is shared, the CPU time of this process (main thread and the
scheduler's writer thread) and, on PostgreSQL, of the server backends that served the pass, plus
the peak RSS of this process.  The dispatcher half (outbox -> SMTP) is measured by
benchmarks/bench_dispatch.py.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, text

from goodwill.db import tables as t
from goodwill.db.bulk import allocate_ids, insert_rows
from goodwill.db.engine import make_engine
from goodwill.db.migrate import upgrade
from goodwill.journeys import load_definition
from goodwill.journeys.scheduler import run_pass
from goodwill.journeys.service import publish, set_enabled
from goodwill.workspaces.service import get_or_create

JOURNEY = """
key: bench-three-steps
name: Three sends an hour apart
version: 1
priority: relationship
trigger: {event: order.placed}
re_entry: once_ever
steps:
  - {id: first, type: send_message, channel: email, template: thank_you_first_order, purpose: transactional}
  - {id: pause, type: wait, duration: 1h}
  - {id: second, type: send_message, channel: email, template: loyalty_invite, purpose: marketing}
  - {id: pause-again, type: wait, duration: 1h}
  - {id: third, type: send_message, channel: email, template: winback, purpose: marketing}
"""
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def database(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "goodwill_bench_journeys" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "goodwill_bench_journeys"'))
    admin.dispose()
    return "postgresql+psycopg://postgres@127.0.0.1:5432/goodwill_bench_journeys"


def setup(url: str, people: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        ws = get_or_create(conn, "bench")
        publish(conn, ws, load_definition(JOURNEY))
        set_enabled(conn, ws, "bench-three-steps", True)
    with engine.begin() as conn:
        ids = allocate_ids(conn, t.persons, people)
        insert_rows(
            conn,
            t.persons,
            ["id", "workspace_id", "first_name", "timezone", "created_at", "updated_at"],
            ((i, ws.id, f"P{i}", "Europe/Lisbon", T0, T0) for i in ids),
        )
        iids = allocate_ids(conn, t.interactions, people)
        insert_rows(
            conn,
            t.interactions,
            [
                "id",
                "workspace_id",
                "person_id",
                "occurred_at",
                "kind",
                "channel",
                "actor",
                "payload",
                "source",
                "idempotency_key",
                "recorded_at",
            ],
            (
                (
                    iid,
                    ws.id,
                    pid,
                    T0,
                    "order.placed",
                    "web",
                    "",
                    {"order": f"#{pid}", "order_index": 1},
                    "bench",
                    f"bench:{pid}",
                    T0,
                )
                for iid, pid in zip(iids, ids, strict=True)
            ),
        )
    engine.dispose()


def backend_pids(engine: Engine) -> set[int]:
    """PostgreSQL: the server processes behind this engine's connections (for their CPU time)."""
    pids: set[int] = set()
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _remember(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                pids.add(int(cur.fetchone()[0]))

    return pids


def cpu_seconds(pids: set[int]) -> float | None:
    """user + system CPU time of local processes (None if /proc does not show them)."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = database(args.db, Path(tmp))
        started = time.perf_counter()
        setup(url, args.people)
        print(
            f"setup: {args.people:,} people and order events in {time.perf_counter() - started:.1f} s"
        )
        engine = make_engine(url)
        pids = backend_pids(engine)
        started = time.perf_counter()
        cpu_started = time.process_time()
        stats = run_pass(engine, "bench", T0 + timedelta(hours=3))["bench"]
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        backend = cpu_seconds(pids) if pids else None
        with engine.connect() as conn:
            outbox = conn.execute(select(func.count()).select_from(t.outbox)).scalar_one()
        engine.dispose()
    print(
        f"db={args.db} people={args.people:,} enrolled={stats.enrolled:,} steps={stats.steps_run:,} outbox={outbox:,}"
    )
    print(f"scheduler pass: {elapsed:.1f} s")
    print(f"  enrolments/s:            {stats.enrolled / elapsed:,.0f}")
    print(
        f"  step evaluations/s:      {stats.steps_run / elapsed:,.0f}  (engine + database, wall clock)"
    )
    print(f"  outbox rows written/s:   {outbox / elapsed:,.0f}")
    print(
        f"  CPU time, this process:  {cpu:.1f} s (main + writer threads) = "
        f"{stats.steps_run / cpu:,.0f} step evaluations per CPU-second"
    )
    if backend is not None:
        print(f"  CPU time, PostgreSQL backends of the pass: {backend:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS of this process (setup included): {peak:,.0f} MiB")
    print(f"  load average (1, 5, 15 min) at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
