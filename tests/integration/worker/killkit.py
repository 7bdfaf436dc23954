"""The kill test harness: fill an outbox, run `goodwill worker` against a real SMTP server,
SIGKILL it at random moments while it sends, restart it until the outbox drains, then count
what arrived by Message-ID and check the ledger agrees.

Used by ``test_worker_kill.py`` (one run per database in ``make test``) and runnable on its own
for repeated runs, which is how the figures in ``docs/adr/0030-exactly-once-email.md`` were
measured::

    .venv/bin/python -m tests.integration.worker.killkit --runs 20 --kills 25 \\
        [--db postgresql://postgres@127.0.0.1:5432/test] [--messages 3000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, create_engine, func, insert, select, text
from tests.integration.worker.outbox_kit import NOW, free_port, message_intent
from tests.tls_kit import SelfSignedCert

from goodwill.channels.email_message import message_id_for
from goodwill.db import tables as t
from goodwill.db.engine import make_engine
from goodwill.db.migrate import upgrade
from goodwill.journeys.serialization import intent_to_dict
from goodwill.workspaces.service import get_or_create

DOMAIN = "casaverde.example"
RECORDER = Path(__file__).with_name("smtp_recorder.py")


@dataclass
class KillRun:
    backend: str
    seed: int
    messages: int
    kills: int = 0
    kills_while_sending: int = 0
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    ledger_problems: list[str] = field(default_factory=list)
    lost_keys: list[str] = field(default_factory=list)
    lost_detail: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.ledger_problems)


def fill(engine: Engine, n: int) -> list[str]:
    """``n`` people with an email address and marketing consent, one email each in the outbox."""
    with engine.begin() as conn:
        ws = get_or_create(conn, "default")
        people = [
            {
                "workspace_id": ws.id,
                "first_name": f"Kim{i}",
                "last_name": "Test",
                "timezone": "Europe/Lisbon",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(n)
        ]
        ids = [
            int(r[0])
            for r in conn.execute(
                insert(t.persons).returning(t.persons.c.id, sort_by_parameter_order=True), people
            )
        ]
        conn.execute(
            insert(t.identities),
            [
                {
                    "workspace_id": ws.id,
                    "person_id": pid,
                    "kind": "email",
                    "value": f"kim{pid}@example.org",
                    "source": "killtest",
                    "created_at": NOW,
                }
                for pid in ids
            ],
        )
        conn.execute(
            insert(t.consent_events),
            [
                {
                    "workspace_id": ws.id,
                    "person_id": pid,
                    "purpose": "marketing",
                    "channel": "email",
                    "action": "grant",
                    "lawful_basis": "consent",
                    "source": "killtest",
                    "evidence": {},
                    "occurred_at": NOW,
                    "recorded_at": NOW,
                }
                for pid in ids
            ],
        )
        intents = [message_intent(pid, key=f"kill:{pid}:thanks:1") for pid in ids]
        conn.execute(
            insert(t.outbox),
            [
                {
                    "workspace_id": ws.id,
                    "person_id": int(i.person_id),
                    "idempotency_key": i.idempotency_key,
                    "action": i.kind,
                    "channel": "email",
                    "purpose": "marketing",
                    "priority": int(i.priority),
                    "payload": intent_to_dict(i),
                    "status": "pending",
                    "available_at": NOW,
                    "attempts": 0,
                    "last_reason": "",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for i in intents
            ],
        )
    return [i.idempotency_key for i in intents]


def _goodwill() -> list[str]:
    script = Path(sys.executable).with_name("goodwill")
    return [str(script)] if script.exists() else [sys.executable, "-c", _RUN]


def _worker_command(*, traced: bool) -> list[str]:
    base = _goodwill()
    if traced:
        base = [sys.executable, str(Path(__file__).with_name("traced_worker.py"))]
    return [*base, "worker", "--batch", "20", "--poll", "0.2", "--lease", "2", "--quiet"]


_RUN = "from goodwill.cli.app import main; main()"


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text(encoding="ascii").splitlines() if line]


def _wait(condition: Callable[[], bool], timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def _start_recorder(
    port: int, out: Path, *, stock: bool, tls: SelfSignedCert | None = None
) -> subprocess.Popen[str]:
    command = [sys.executable, str(RECORDER), str(port), str(out), *(["--stock"] if stock else [])]
    if tls is not None:
        command += ["--tls", str(tls.cert), str(tls.key)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError("the SMTP recorder did not start")
    return proc


def _worker_env(db_url: str, port: int, *, tls: SelfSignedCert | None = None) -> dict[str, str]:
    """The environment of a worker subprocess sending to the recorder on ``port``."""
    starttls = "&starttls=true" if tls is not None else ""
    return {
        **os.environ,
        **({"SSL_CERT_FILE": str(tls.cert)} if tls is not None else {}),
        "GOODWILL_DATABASE_URL": db_url,
        "GOODWILL_SMTP_URL": f"smtp://127.0.0.1:{port}?timeout=10{starttls}",
        "GOODWILL_SENDER_EMAIL": f"hello@{DOMAIN}",
        "GOODWILL_SENDER_NAME": "Casa Verde",
        "GOODWILL_SIGNING_KEY": "kill-test-signing-key",
        "GOODWILL_QUIET_HOURS": "off",
        "GOODWILL_WEEKLY_BUDGET": "0",
    }


def run(
    db_url: str,
    workdir: Path,
    *,
    messages: int,
    kills: int,
    seed: int,
    max_seconds: float = 240,
    stock_server: bool = False,
    traced: bool = False,
) -> KillRun:
    """One kill test on a migrated, empty database at ``db_url``."""
    started = time.monotonic()
    backend = "postgres" if db_url.startswith("postgresql") else "sqlite"
    report = KillRun(backend, seed, messages)
    engine = make_engine(db_url)
    keys = fill(engine, messages)
    engine.dispose()
    reader = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    port = free_port()
    received_file = workdir / "received.txt"
    recorder = _start_recorder(port, received_file, stock=stock_server)
    env = {
        **_worker_env(db_url, port),
        "GOODWILL_KILLTEST_TRACE": str(workdir / "trace.log"),
    }
    rng = random.Random(seed)
    log: IO[str] = open(workdir / "worker.log", "a", encoding="utf-8")  # noqa: SIM115

    def pending() -> int:
        with reader.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(t.outbox.c.status == "pending")
                ).scalar_one()
            )

    worker: subprocess.Popen[bytes] | None = None
    try:
        while time.monotonic() - started < max_seconds:
            worker = subprocess.Popen(
                _worker_command(traced=traced), env=env, stdout=log, stderr=log
            )
            if report.kills < kills and pending() > 0:
                before = len(_lines(received_file))
                sending = _wait(
                    lambda w=worker, n=before: (
                        len(_lines(received_file)) > n  # type: ignore[misc]
                        or w.poll() is not None
                    ),
                    30,
                )
                time.sleep(rng.uniform(0.0, 0.6))
                if worker.poll() is None:
                    worker.send_signal(signal.SIGKILL)
                    worker.wait()
                    report.kills += 1
                    report.kills_while_sending += int(sending and pending() > 0)
                    continue
            _wait(lambda w=worker: pending() == 0 or w.poll() is not None, max_seconds)  # type: ignore[misc]
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
            break
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
        time.sleep(0.3)  # a dot written just before a kill is still on its way
        recorder.send_signal(signal.SIGTERM)
        recorder.wait(timeout=30)
        log.close()
    _verify(reader, keys, _lines(received_file), report)
    if report.lost_keys:
        _explain(reader, report, workdir / "trace.log")
    reader.dispose()
    report.seconds = round(time.monotonic() - started, 1)
    return report


def die_in_window(
    db_url: str,
    workdir: Path,
    *,
    messages: int = 60,
    group: int = 20,
    die_after: int = 2,
    custodian: bool = True,
    tls: SelfSignedCert | None = None,
) -> KillRun:
    """A worker that kills itself right after its ``die_after``-th group commit, before the
    dots (``dying_worker.py``); then a normal worker drains the rest.  With the custodian the
    group still arrives, once; without it the group is lost (the window of ADR 0030)."""
    started = time.monotonic()
    backend = "postgres" if db_url.startswith("postgresql") else "sqlite"
    report = KillRun(backend, die_after, messages)
    engine = make_engine(db_url)
    keys = fill(engine, messages)
    engine.dispose()
    reader = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    port = free_port()
    received_file = workdir / "received.txt"
    recorder = _start_recorder(port, received_file, stock=False, tls=tls)
    env = {**_worker_env(db_url, port, tls=tls), "GOODWILL_DIE_AFTER_COMMIT": str(die_after)}
    options = [
        "worker", "--once", "--batch", str(group), "--email-group", str(group), "--lease", "4",
        "--quiet", "--custodian" if custodian else "--no-custodian",
    ]  # fmt: skip
    with open(workdir / "worker.log", "a", encoding="utf-8") as log:
        dying = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("dying_worker.py")), *options],
            env=env, stdout=log, stderr=log, timeout=120, check=False,
        )  # fmt: skip
        report.kills = int(dying.returncode == -signal.SIGKILL)
        committed = die_after * group

        def settled() -> bool:
            return len(_lines(received_file)) >= committed

        # the custodian (if any) finishes the last group's dots after the worker died; every
        # row the dead worker claimed was committed, so none waits for its lease
        _wait(settled, 10 if custodian else 1.0)
        subprocess.run(
            [*_goodwill(), *options[:-1]], env=env, stdout=log, stderr=log, timeout=120, check=False
        )
        time.sleep(0.3)
    recorder.send_signal(signal.SIGTERM)
    recorder.wait(timeout=30)
    _verify(reader, keys, _lines(received_file), report)
    reader.dispose()
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _verify(reader: Engine, keys: list[str], received: list[str], report: KillRun) -> None:
    expected = {message_id_for(key, DOMAIN): key for key in keys}
    counts = Counter(received)
    report.received = len(received)
    lost = sorted(key for mid, key in expected.items() if mid not in counts)
    report.lost, report.lost_keys = len(lost), lost[:10]
    report.duplicated = sum(n - 1 for mid, n in counts.items() if n > 1)
    report.unexpected = sum(1 for mid in counts if mid not in expected)
    problems = report.ledger_problems
    o, d, i = t.outbox.c, t.deliveries.c, t.interactions.c
    with reader.connect() as conn:
        for status, n in conn.execute(select(o.status, func.count()).group_by(o.status)):
            if status != "sent":
                problems.append(f"{n} outbox rows are {status}")
        wrong_id = [
            r.idempotency_key
            for r in conn.execute(select(o.idempotency_key, o.message_id))
            if message_id_for(r.idempotency_key, DOMAIN) != r.message_id
        ]
        if wrong_id:
            problems.append(f"{len(wrong_id)} outbox rows with a wrong Message-ID")
        sent_entries = Counter(
            r.message_id for r in conn.execute(select(d.message_id).where(d.status == "sent"))
        )
        if sent_entries != Counter(expected.keys()):
            problems.append(
                f"ledger: {sum(sent_entries.values())} sent entries for {len(expected)} messages"
            )
        timeline = conn.execute(
            select(func.count(), func.count(i.idempotency_key.distinct())).where(
                i.kind == "message.sent"
            )
        ).one()
        if tuple(timeline) != (len(keys), len(keys)):
            problems.append(f"timeline: {tuple(timeline)} message.sent for {len(keys)} messages")


def _explain(reader: Engine, report: KillRun, trace: Path) -> None:
    """For lost messages: their row, ledger and (traced runs) commit-point trace."""
    o, d = t.outbox.c, t.deliveries.c
    lines = _lines(trace)
    with reader.connect() as conn:
        for key in report.lost_keys:
            row = conn.execute(
                select(o.id, o.status, o.attempts, o.locked_by).where(o.idempotency_key == key)
            ).one()
            entries = [
                f"{e.status}@{e.attempt}"
                for e in conn.execute(select(d.status, d.attempt).where(d.outbox_id == row.id))
            ]
            mid = message_id_for(key, DOMAIN)
            steps = [line.split()[:2] for line in lines if line.endswith(mid)]
            report.lost_detail.append(
                f"{key}: row {row.status} attempts={row.attempts} by {row.locked_by}; "
                f"ledger {entries}; trace {steps or 'off'}"
            )


def _fresh_database(url: str | None, workdir: Path) -> str:
    if url is None:
        db = f"sqlite:///{workdir / 'kill.db'}"
        engine = make_engine(db)
    else:
        admin = create_engine(
            url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "goodwill_killtest" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "goodwill_killtest"'))
        admin.dispose()
        db = url.rsplit("/", 1)[0] + "/goodwill_killtest"
        engine = make_engine(db)
    upgrade(engine)
    engine.dispose()
    return db


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Repeated kill tests of `goodwill worker`.")
    parser.add_argument("--db", help="PostgreSQL admin URL (default: a SQLite file)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--traced", action="store_true", help="trace each commit point")
    parser.add_argument("--keep", help="keep each run's database and logs under this directory")
    parser.add_argument(
        "--stock-server",
        action="store_true",
        help="stock aiosmtpd (drops a dot that arrives with the FIN)",
    )
    args = parser.parse_args(argv)
    totals: Counter[str] = Counter()
    for n in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            if args.keep:
                workdir = Path(args.keep) / f"run-{args.seed + n}"
                workdir.mkdir(parents=True, exist_ok=True)
            db = _fresh_database(args.db, workdir)
            report = run(
                db,
                workdir,
                messages=args.messages,
                kills=args.kills,
                seed=args.seed + n,
                stock_server=args.stock_server,
                traced=args.traced,
            )
        row: dict[str, Any] = {**asdict(report), "ok": report.ok}
        print(json.dumps(row), flush=True)
        for name in (
            "kills",
            "kills_while_sending",
            "received",
            "lost",
            "duplicated",
            "unexpected",
        ):
            totals[name] += int(row[name])
        totals["messages"] += args.messages
        totals["runs"] += 1
        totals["failed_runs"] += int(not report.ok)
    print(json.dumps({"totals": dict(totals)}), flush=True)
    return 0 if totals["failed_runs"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
