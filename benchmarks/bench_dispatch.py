"""Dispatch throughput: N emails already in the outbox, sent into a fast local SMTP sink.

    .venv/bin/python benchmarks/bench_dispatch.py                         # 100,000, SQLite
    .venv/bin/python benchmarks/bench_dispatch.py --db postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/bench_dispatch.py --messages 1000000 --workers 2   # a million

Each message goes the whole way the worker takes it: claim (lease), send-time facts for the
batch (consent, preferences, history, addresses...), guardrails, template rendering with a
signed unsubscribe link, MIME build, then group commit (``--group``, default 32): the group's
emails transmitted on as many kept-open connections (MAIL/RCPT/DATA in one write when the sink
advertises PIPELINING, which it does unless ``--no-pipelining``), one transaction for their rows,
ledger entries and timeline interactions committed before their final dots, then the dots and
the replies.  The scheduler is not run.

The database is created fresh (SQLite: a file under --dir; PostgreSQL: the database
``goodwill_bench_dispatch`` on the server of --db, dropped and recreated) and filled with one
person, email identity, marketing consent and outbox row per message; filling is not timed.
For each worker count in --workers the outbox is reset and drained by that many processes
(each the real ``run_worker`` loop with ``--once``), started together; the figure is messages
divided by the wall time from start until the last process is done; CPU per message is the
workers' ``getrusage`` (user + system) and the sink's ``/proc`` figures over N.  The sink
(benchmarks/smtp_sink.py, one process) counts Message-IDs; every run checks that all N arrived
exactly once and every row is ``sent``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, func, select, text, update

from goodwill.db import tables as t
from goodwill.db.bulk import allocate_ids, insert_rows
from goodwill.db.engine import make_engine
from goodwill.db.migrate import upgrade
from goodwill.journeys.intents import SendMessage
from goodwill.journeys.serialization import intent_to_dict
from goodwill.messaging.vocabulary import ChannelKind, Priority, Purpose
from goodwill.workspaces.service import get_or_create

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
SINK = Path(__file__).with_name("smtp_sink.py")
CHUNK = 50_000


def fresh_database(args: argparse.Namespace) -> str:
    if not args.db:
        path = Path(args.dir) / "bench_dispatch.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        admin_url = args.db.replace("postgresql://", "postgresql+psycopg://", 1)
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "goodwill_bench_dispatch" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "goodwill_bench_dispatch"'))
        admin.dispose()
        url = args.db.rsplit("/", 1)[0] + "/goodwill_bench_dispatch"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def fill(url: str, n: int) -> None:
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        ws = get_or_create(conn, "default")
    for first in range(0, n, CHUNK):
        count = min(CHUNK, n - first)
        with engine.begin() as conn:
            ids = allocate_ids(conn, t.persons, count)
            insert_rows(
                conn,
                t.persons,
                [
                    "id",
                    "workspace_id",
                    "first_name",
                    "last_name",
                    "timezone",
                    "created_at",
                    "updated_at",
                ],
                ((pid, ws.id, "Ana", "Silva", "Europe/Lisbon", NOW, NOW) for pid in ids),
            )
            insert_rows(
                conn,
                t.identities,
                ["workspace_id", "person_id", "kind", "value", "source", "created_at"],
                ((ws.id, pid, "email", f"c{pid}@example.org", "bench", NOW) for pid in ids),
            )
            insert_rows(
                conn,
                t.consent_events,
                [
                    "workspace_id",
                    "person_id",
                    "purpose",
                    "channel",
                    "action",
                    "lawful_basis",
                    "source",
                    "evidence",
                    "occurred_at",
                    "recorded_at",
                ],
                (
                    (ws.id, pid, "marketing", "email", "grant", "consent", "bench", {}, NOW, NOW)
                    for pid in ids
                ),
            )
            insert_rows(
                conn,
                t.outbox,
                [
                    "workspace_id",
                    "person_id",
                    "idempotency_key",
                    "action",
                    "channel",
                    "purpose",
                    "priority",
                    "payload",
                    "status",
                    "available_at",
                    "attempts",
                    "last_reason",
                    "created_at",
                    "updated_at",
                ],
                (_outbox_row(ws.id, pid) for pid in ids),
            )
    engine.dispose()
    print(f"filled {n:,} messages in {time.perf_counter() - started:.1f}s", flush=True)


def _outbox_row(ws_id: int, pid: int) -> tuple[Any, ...]:
    key = f"bench:{pid}:thanks:1"
    intent = SendMessage(
        idempotency_key=key,
        enrolment_id=str(pid),
        person_id=str(pid),
        journey_key="thank-you-first-order",
        journey_version=1,
        step_id="thank",
        occurrence=1,
        not_before=NOW,
        priority=Priority.RELATIONSHIP,
        channel=ChannelKind.EMAIL,
        template="thank_you_first_order",
        purpose=Purpose.MARKETING,
    )
    return (
        ws_id,
        pid,
        key,
        "send_message",
        "email",
        "marketing",
        int(Priority.RELATIONSHIP),
        intent_to_dict(intent),
        "pending",
        NOW,
        0,
        "",
        NOW,
        NOW,
    )


def reset(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(delete(t.deliveries))
        conn.execute(delete(t.interactions).where(t.interactions.c.kind == "message.sent"))
        conn.execute(
            update(t.outbox).values(
                status="pending", attempts=0, locked_by=None, locked_until=None, message_id=None
            )
        )
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def worker_process(
    url: str,
    port: int,
    batch: int,
    group: int,
    async_commit: bool,
    ready: Any,
    start: Any,
    results: Any,
) -> None:
    from goodwill.config import Settings
    from goodwill.worker.loop import WorkerOptions, run_worker

    settings = Settings(
        database_url=url,
        smtp_url=f"smtp://127.0.0.1:{port}",
        sender_email="hello@casaverde.example",
        sender_name="Casa Verde",
        quiet_hours="off",
        weekly_budget=0,
    )
    engine = make_engine(settings.database_url)
    options = WorkerOptions(
        workspaces=("default",),
        once=True,
        batch=batch,
        async_commit=async_commit,
        email_group=group,
        lease=timedelta(minutes=5),
    )
    ready.set()
    start.wait()
    began = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    report = run_worker(engine, settings, options, scheduler=lambda *_args: None)
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stats = report.dispatched.get("default")
    results.put(
        {
            "pid": os.getpid(),
            "seconds": time.perf_counter() - began,
            "cpu": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
            "by_status": {} if stats is None else stats.by_status,
            "lost_race": 0 if stats is None else stats.lost_race,
        }
    )
    engine.dispose()


def start_sink(port: int, *, pipelining: bool) -> subprocess.Popen[str]:
    command = [sys.executable, str(SINK), str(port), *([] if pipelining else ["--no-pipelining"])]
    sink = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None
    assert sink.stdout.readline().strip() == "ready"
    return sink


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sink_counts(sink: subprocess.Popen[str]) -> dict[str, int]:
    import signal

    assert sink.stdout is not None
    sink.send_signal(signal.SIGUSR1)
    line = sink.stdout.readline()
    counts: dict[str, int] = json.loads(line)
    return counts


def peer(n: int, port: int) -> dict[str, Any]:
    """The floor: the same number of emails, MIME built by the same code, sent over one kept
    connection with ``smtplib.sendmail``: no database, no guardrails, no rendering, no ledger."""
    import smtplib

    from goodwill.channels.base import OutboundMessage
    from goodwill.channels.email_message import EmailIdentity, build_email

    identity = EmailIdentity("hello@casaverde.example", "Casa Verde", "http://x", "signing-key")
    conn = smtplib.SMTP("127.0.0.1", port)
    began = time.perf_counter()
    for i in range(n):
        message = OutboundMessage(
            idempotency_key=f"peer:{i}",
            workspace_id="1",
            person_id=str(i),
            channel=ChannelKind.EMAIL,
            purpose=Purpose.MARKETING,
            to=f"c{i}@example.org",
            subject="Thank you for your first order, Ana",
            text="Hi Ana,\n\nThank you for your first order.\n",
        )
        built = build_email(message, identity, date=NOW)
        conn.sendmail(identity.sender_email, [message.to], built.data)
    seconds = time.perf_counter() - began
    conn.quit()
    return {
        "peer": "smtplib.sendmail, prebuilt MIME, no database",
        "messages": n,
        "messages_per_s": round(n / seconds),
    }


def run_config(
    url: str, n: int, workers: int, args: argparse.Namespace, port: int, sink: subprocess.Popen[str]
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    results = ctx.Queue()
    readies = [ctx.Event() for _ in range(workers)]
    procs = [
        ctx.Process(
            target=worker_process,
            args=(
                url,
                port,
                args.batch,
                args.group,
                args.async_commit,
                readies[i],
                start,
                results,
            ),
        )
        for i in range(workers)
    ]
    for proc in procs:
        proc.start()
    for ready in readies:
        ready.wait(120)
    time.sleep(0.5)
    sink_cpu0 = process_cpu(sink.pid)
    began = time.perf_counter()
    start.set()
    per_worker = [results.get(timeout=3600) for _ in procs]
    wall = time.perf_counter() - began
    sink_cpu = process_cpu(sink.pid) - sink_cpu0
    for proc in procs:
        proc.join()
    counts = sink_counts(sink)
    engine = make_engine(url)
    with engine.connect() as conn:
        pending = conn.execute(select(func.count()).where(t.outbox.c.status != "sent")).scalar_one()
    engine.dispose()
    sent = sum(w["by_status"].get("sent", 0) for w in per_worker)
    ok = counts["unique"] == n and counts["duplicates"] == 0 and pending == 0 and sent == n
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "workers": workers,
        "messages": n,
        "seconds": round(wall, 2),
        "messages_per_s": round(n / wall),
        "group": args.group,
        "pipelining": not args.no_pipelining,
        "worker_cpu_s": round(sum(w["cpu"] for w in per_worker), 1),
        "worker_cpu_us_per_message": round(sum(w["cpu"] for w in per_worker) / n * 1e6),
        "sink_cpu_us_per_message": round(sink_cpu / n * 1e6),
        "lost_races": sum(w["lost_race"] for w in per_worker),
        "sink": counts,
        "all_sent_once": ok,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--db", help="PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where the SQLite file goes")
    parser.add_argument("--workers", default="1,2,3", help="worker process counts to try")
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument(
        "--group", type=int, default=32, help="emails per group commit (1: one at a time)"
    )
    parser.add_argument(
        "--no-pipelining", action="store_true", help="the sink does not advertise PIPELINING"
    )
    parser.add_argument(
        "--async-commit", action="store_true", help="PostgreSQL synchronous_commit=off"
    )
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    url = fresh_database(args)
    fill(url, args.messages)
    port = args.port or _free_port()
    sink = start_sink(port, pipelining=not args.no_pipelining)
    rows = []
    try:
        floor = peer(min(args.messages, 20_000), port)
        sink_counts(sink)  # reset the sink's counters
        print(json.dumps(floor), flush=True)
        for i, workers in enumerate(int(w) for w in args.workers.split(",")):
            if i:
                reset(url)
            row = run_config(url, args.messages, workers, args, port, sink)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        sink.terminate()
        sink.wait()
    best = max(rows, key=lambda r: r["messages_per_s"])
    print(
        f"best: {best['messages_per_s']:,} messages/s with {best['workers']} worker(s); "
        f"peer {floor['messages_per_s']:,}/s; best/peer = "
        f"{best['messages_per_s'] / floor['messages_per_s']:.2f}"
    )
    return 0 if all(r["all_sent_once"] for r in rows) else 1


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


if __name__ == "__main__":
    sys.exit(main())
