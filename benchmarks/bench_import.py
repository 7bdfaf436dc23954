"""Benchmark of `goodwill import orders --format shopify` (not a test).

    .venv/bin/python benchmarks/bench_import.py                      # 1M lines, SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_import.py --lines 100000 --backends sqlite

Generates a deterministic Shopify orders export (benchmarks/gen_shopify.py; cached in --workdir),
then, for each backend, in fresh databases and through the real command line (one process per
run, so peak RSS is that import's):

1. imports the first 250,000 lines (peak RSS at 250k),
2. imports all lines into another fresh database (rate and peak RSS at 1M: memory is flat if the
   two RSS figures are close),
3. imports all lines again (everything unchanged: the re-import rate).

PostgreSQL runs use a database created for the purpose (``--pg-database``, default
``goodwill_bench``, dropped and recreated) on the server of ``--pg-url``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOODWILL = ROOT / ".venv" / "bin" / "goodwill"


def generate(workdir: Path, lines: int, customers: int, seed: int) -> Path:
    path = workdir / f"shopify_orders_{lines}_{customers}_{seed}.csv"
    if not path.exists():
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from gen_shopify import write

        started = time.perf_counter()
        write(path, lines, customers, seed)
        print(f"generated {path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def fresh_sqlite(workdir: Path, name: str) -> str:
    path = workdir / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def fresh_postgres(admin_url: str, database: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


class BackendCpu:
    """CPU time of the PostgreSQL backends serving one database, read from ``/proc`` while they
    run (the server must be on this machine; otherwise the figure is None).  A background
    thread polls ``pg_stat_activity`` every 0.2 s and keeps each backend's last reading."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.seconds: dict[int, float] = {}
        self._base: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.readable = False

    def __enter__(self) -> BackendCpu:
        if self.url is not None:
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _poll(self) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(self.url or "")
        database = url.database
        admin = url.set(drivername="postgresql", database="postgres")
        tick = os.sysconf("SC_CLK_TCK")
        first = True
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
            while not self._stop.is_set():
                pids = [int(r[0]) for r in c.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]  # fmt: skip
                for pid in pids:
                    try:
                        with open(f"/proc/{pid}/stat") as fh:
                            fields = fh.read().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.readable = True
                    used = (int(fields[11]) + int(fields[12])) / tick
                    if first:  # backends already running: count from now on
                        self._base[pid] = used
                    self.seconds[pid] = used - self._base.get(pid, 0.0)
                first = False
                self._stop.wait(0.2)

    @property
    def total(self) -> float | None:
        return round(sum(self.seconds.values()), 1) if self.readable else None


def run_import(url: str, path: Path, batch_rows: int) -> dict[str, Any]:
    """One `goodwill import` process: its JSON summary, wall time, peak RSS and (PostgreSQL) the
    CPU time of the server backends that served it."""
    env = {**os.environ, "GOODWILL_DATABASE_URL": url}
    subprocess.run([str(GOODWILL), "init"], env=env, check=True, capture_output=True)
    argv = [str(GOODWILL), "import", "orders", str(path), "--format", "shopify", "--json",
            "--batch-rows", str(batch_rows)]  # fmt: skip
    started = time.perf_counter()
    with BackendCpu(url if url.startswith("postgresql") else None) as backend:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed: {err.decode()}")
    summary = json.loads(out)
    return {
        "rows": summary["rows"],
        "import_seconds": summary["seconds"],
        "import_cpu_seconds": summary["cpu_seconds"],
        "rows_per_cpu_second": round(summary["rows"] / max(summary["cpu_seconds"], 1e-9)),
        "rows_per_second": summary["rows_per_second"],
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "server_cpu_seconds": backend.total,
        "orders_created": summary["counts"]["orders"]["created"],
        "orders_unchanged": summary["counts"]["orders"]["unchanged"],
    }


def peer_csv_pass(path: Path) -> dict[str, float]:
    """The peer: Python's csv module reading the file and doing nothing else (the floor of any
    CSV importer written in Python), timed the same way."""
    import csv

    started, cpu = time.perf_counter(), time.process_time()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = sum(1 for _ in csv.reader(fh)) - 1
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"rows": rows, "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)}


def ceiling(url: str, lines: int, batch_rows: int, fk_triggers: bool = True) -> dict[str, float]:
    """The database alone: insert rows shaped like an import of ``lines`` Shopify lines
    (0.4 orders, 1 order line and 1.3 interactions per line, random customers) through the same
    bulk path, pre-built, with no parsing or lookups.  No importer can beat this figure.
    ``fk_triggers=False`` (PostgreSQL, superuser) skips the per-row foreign-key triggers with
    ``session_replication_role = replica``, to show what they cost; never do that in an import."""
    import random
    from datetime import UTC, datetime, timedelta

    from goodwill.db import tables as t
    from goodwill.db.engine import make_engine, unit_of_work
    from goodwill.db.migrate import upgrade
    from goodwill.ingest.order_writer import INTERACTION_COLUMNS, LINE_COLUMNS, ORDER_COLUMNS
    from goodwill.ingest.repository import IngestRepository
    from goodwill.workspaces.service import get_or_create

    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(1)
    customers = max(lines // 10, 1)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    with unit_of_work(engine) as conn:
        ws = get_or_create(conn, "default")
        repo = IngestRepository(conn, ws)
        now = repo.ts(t0)
        ids = repo.allocate(t.persons, customers)
        repo.insert(
            t.persons,
            ("id", "workspace_id", "first_seen_at", "created_at", "updated_at"),
            [(i, ws.id, now, now, now) for i in ids],
        )
    started, cpu = time.perf_counter(), time.process_time()
    done = 0
    backend = BackendCpu(url if url.startswith("postgresql") else None)
    backend.__enter__()
    while done < lines:
        with unit_of_work(engine) as conn:
            repo = IngestRepository(conn, ws)
            repo.tune_for_bulk()
            if not fk_triggers and repo.postgres:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            n = min(batch_rows, lines - done) * 2 // 5
            order_ids = repo.allocate(t.orders, n)
            orders, items, events = [], [], []
            for oid in order_ids:
                pid = rng.randrange(1, customers + 1)
                at = repo.ts(t0 + timedelta(minutes=oid))
                orders.append((oid, ws.id, pid, "shopify", f"#{oid}", "fulfilled", "paid", "USD",
                               1000, 0, 0, 0, 1000, 0, at, at, at, None, None, None, None,
                               "0" * 32, now))  # fmt: skip
                for k in (1, 2, 3) if oid % 2 else (1, 2):
                    items.append((ws.id, oid, k, None, f"SKU-{k}", "Mug", 1, 500, 0))
                for stage in ("placed", "paid", "fulfilled") if oid % 4 else ("placed", "paid"):
                    events.append((ws.id, pid, oid, at, f"order.{stage}", "", "",
                                   f'{{"order":"#{oid}"}}', "shopify",
                                   f"shopify:order:#{oid}:{stage}", now))  # fmt: skip
            repo.insert(t.orders, ORDER_COLUMNS, orders)
            repo.insert(t.order_lines, LINE_COLUMNS, items)
            repo.insert(t.interactions, INTERACTION_COLUMNS, events)
            done += len(items)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    backend.__exit__()
    engine.dispose()
    return {"lines": done, "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
            "server_cpu_seconds": backend.total, "lines_per_second": round(done / wall)}  # fmt: skip


def head(path: Path, lines: int) -> Path:
    """The first ``lines`` data lines (whole orders: the cut moves to the next order)."""
    out = path.with_name(f"{path.stem}_head{lines}.csv")
    if out.exists():
        return out
    import csv

    with (
        path.open(encoding="utf-8-sig", newline="") as src,
        out.open("w", encoding="utf-8-sig", newline="") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\n")
        header = next(reader)
        writer.writerow(header)
        n, last = 0, None
        for row in reader:
            if n >= lines and row[0] != last:
                break
            writer.writerow(row)
            n, last = n + 1, row[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--small", type=int, default=250_000, help="lines of the first run")
    parser.add_argument("--batch-rows", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/goodwill-bench"))
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--pg-database", default="goodwill_bench")
    parser.add_argument(
        "--ceiling", action="store_true", help="only measure the database alone (see ceiling())"
    )
    parser.add_argument(
        "--no-fk-triggers",
        action="store_true",
        help="with --ceiling on PostgreSQL: skip FK triggers",
    )
    args = parser.parse_args()
    if args.ceiling:
        args.workdir.mkdir(parents=True, exist_ok=True)
        for backend in args.backends.split(","):
            url = (
                fresh_sqlite(args.workdir, "bench_ceiling")
                if backend == "sqlite"
                else fresh_postgres(args.pg_url, args.pg_database)
            )
            figures = ceiling(url, args.lines, args.batch_rows, not args.no_fk_triggers)
            print(backend, json.dumps(figures), flush=True)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    full = generate(args.workdir, args.lines, args.customers, args.seed)
    small = head(full, args.small)
    peer = peer_csv_pass(full)
    print(f"peer: csv.reader over {peer['rows']:,} rows: wall {peer['wall_seconds']} s, "
          f"cpu {peer['cpu_seconds']} s", flush=True)  # fmt: skip
    results: dict[str, Any] = {"peer_csv_reader": peer}
    for backend in args.backends.split(","):

        def fresh(name: str, backend: str = backend) -> str:
            if backend == "sqlite":
                return fresh_sqlite(args.workdir, name)
            return fresh_postgres(args.pg_url, args.pg_database)

        runs = {}
        runs[f"first import, {args.small:,}"] = run_import(
            fresh("bench_small"), small, args.batch_rows
        )
        url = fresh("bench_full")
        runs[f"first import, {args.lines:,}"] = run_import(url, full, args.batch_rows)
        runs[f"re-import, {args.lines:,} (unchanged)"] = run_import(url, full, args.batch_rows)
        results[backend] = runs
        for name, r in runs.items():
            per_row = r["import_cpu_seconds"] / r["rows"]
            r["cpu_vs_peer"] = round(per_row / (peer["cpu_seconds"] / peer["rows"]), 1)
            print(f"{backend:9} {name:32} {r['rows']:>9,} rows  {r['rows_per_second']:>8,} rows/s  "
                  f"import {r['import_seconds']:7.1f} s  wall {r['wall_seconds']:7.1f} s  "
                  f"import cpu {r['import_cpu_seconds']:7.1f} s ({r['cpu_vs_peer']}x peer, "
                  f"{r['rows_per_cpu_second']:,} rows/cpu-s)  server cpu "
                  f"{r['server_cpu_seconds']} s  peak RSS {r['peak_rss_mb']:5} MB",
                  flush=True)  # fmt: skip
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
