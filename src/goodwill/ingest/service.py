"""Importing a file: the use case behind ``goodwill import orders|customers``.

The caller drives it batch by batch and commits after each (the CLI does, with
:func:`goodwill.db.engine.unit_of_work`), so a long import makes durable progress; nothing here
commits.  Because every step is idempotent (orders by (source, external id) and content hash,
people by identity, products by SKU, interactions by idempotency key, consent by derived state),
an interrupted import is finished by simply running it again.

::

    importer = Importer(ImportKind.ORDERS, FileFormat.SHOPIFY, path)
    with unit_of_work(engine) as conn: importer.start(conn, ws)
    for batch in importer.batches():
        with unit_of_work(engine) as conn: rejects = importer.apply(conn, ws, batch)
    with unit_of_work(engine) as conn: summary = importer.finish(conn, ws)
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from sqlalchemy import Connection

from goodwill.ingest import batches as batching
from goodwill.ingest.consent_writer import Statement, write_statements
from goodwill.ingest.customer_writer import CustomerWriter
from goodwill.ingest.formats import CustomersFile, OrdersFile, open_customers, open_orders
from goodwill.ingest.models import (
    Batch,
    CustomerRecord,
    FileFormat,
    ImportKind,
    OrderRecord,
    Reject,
    Summary,
)
from goodwill.ingest.order_writer import OrderWriter, ProductSeen, finish_products
from goodwill.ingest.reader import describe
from goodwill.ingest.repository import IngestRepository
from goodwill.ingest.resolution import Claim, Resolver
from goodwill.ingest.tally import RunTally
from goodwill.kit.clock import utcnow
from goodwill.workspaces.service import Workspace


def _order_claim(o: OrderRecord, fallback: int | None) -> Claim:
    ids = [
        (kind, value)
        for kind, value in (("external", o.customer_ref), ("email", o.email), ("phone", o.phone))
        if value
    ]
    return Claim(ids, o.first_name, o.last_name, o.placed_at, fallback)


def _customer_claim(c: CustomerRecord) -> Claim:
    ids = [
        (kind, value)
        for kind, value in (("external", c.external), ("email", c.email), ("phone", c.phone))
        if value
    ]
    return Claim(ids, c.first_name, c.last_name, c.created_at)


def rejected_rows(rejects: list[Reject]) -> int:
    return len({r.line for r in rejects})


class Importer:
    """One import run of one file.  Opening checks the file and its format (one clear error)."""

    def __init__(
        self,
        kind: ImportKind,
        fmt: FileFormat,
        path: Path,
        *,
        mapping: Mapping[str, str] | None = None,
        source_name: str | None = None,
        batch_rows: int = batching.DEFAULT_ROWS,
        read_ahead: bool | None = None,
    ) -> None:
        self.kind, self.format, self.path = kind, fmt, path
        self.mapping = dict(mapping or {})
        self.source_name = source_name
        self.batch_rows = batch_rows
        self.read_ahead = read_ahead  # None: decided by the database in start()
        self.file = describe(path)
        opened = self._open()
        self.source = opened.source_name
        self.size = opened.source.total
        opened.source.close()
        self.tally = RunTally()
        self.products_seen: dict[str, ProductSeen] = {}
        self.run_id: int | None = None
        self.summary = Summary(kind.value, fmt.value, str(path), "")
        self._started = self._cpu_started = 0.0
        self._written = 0  # rows this run has created so far
        self._analyze_at = 1
        # parse orders in the reader thread (read-ahead only) while the last batch was mostly
        # new or changed orders; a re-import of unchanged orders never parses them
        self._parse_ahead = False

    def _open(self) -> OrdersFile | CustomersFile:
        if self.kind is ImportKind.ORDERS:
            return open_orders(
                self.path, self.format, mapping=self.mapping, source_name=self.source_name
            )
        return open_customers(
            self.path, self.format, mapping=self.mapping, source_name=self.source_name
        )

    def _batches(self) -> Iterator[Batch]:
        opened = self._open()
        try:
            if isinstance(opened, OrdersFile):
                yield from batching.order_batches(
                    opened.items(),
                    lambda: opened.source.position,
                    rows=self.batch_rows,
                    key_column=opened.assembler.key_column,
                )
            else:
                yield from batching.customer_batches(
                    opened.items(), lambda: opened.source.position, rows=self.batch_rows
                )
        finally:
            opened.source.close()

    # -- the run -------------------------------------------------------------------------------
    def start(self, conn: Connection, ws: Workspace) -> None:
        self._started = time.perf_counter()
        self._cpu_started = time.process_time()
        self.summary.workspace = ws.name
        repo = IngestRepository(conn, ws)
        if self.read_ahead is None:
            # PostgreSQL works in its own process while we read the next batch; SQLite works in
            # ours, and a reader thread would only contend with it for the GIL.
            self.read_ahead = repo.postgres
        self.run_id = repo.start_run(
            self.kind.value, self.format.value, self.file.name, self.file.sha256, utcnow()
        )

    def validation_pass(self) -> Iterator[tuple[int, list[Reject]]]:
        """(position, rejects) per batch, parsing everything and writing nothing."""
        for batch, rejects in batching.validate(self._batches()):
            self.summary.rows += batch.rows
            self.summary.rows_rejected += rejected_rows(rejects)
            yield batch.position, rejects

    def _parsed_ahead(self, batches: Iterator[Batch]) -> Iterator[Batch]:
        for batch in batches:
            if self._parse_ahead:
                for group in batch.orders:
                    group.parse()
            yield batch

    def batches(self) -> Iterator[Batch]:
        """The file's batches (read ahead in a background thread on PostgreSQL, which also parses
        the orders of a first import there, while the database works on the previous batch),
        with the cyclic garbage collector paused (and run now and then; see
        :func:`batching.gc_paused`)."""
        source = self._batches()
        if self.read_ahead:
            source = batching.prefetch(self._parsed_ahead(source))
        with batching.gc_paused():
            for n, batch in enumerate(source):
                yield batch
                if n % 10 == 9:
                    gc.collect()

    def apply(self, conn: Connection, ws: Workspace, batch: Batch) -> list[Reject]:
        """Write one batch (inside the caller's transaction); returns its rejects."""
        repo = IngestRepository(conn, ws)
        repo.tune_for_bulk()
        if self._written >= self._analyze_at:
            # what this run wrote has doubled since the planner last looked: a fresh table grows
            # from nothing, and stale estimates would turn key lookups into scans
            repo.refresh_statistics(self.kind)
            self._analyze_at = 2 * self._written
        if self.kind is ImportKind.ORDERS:
            rejects = self._apply_orders(repo, batch)
        else:
            rejects = self._apply_customers(repo, batch)
        self._written = sum(t.created for t in self.tally.counts.values()) + len(
            self.tally.created["people"]
        )
        self.summary.rows += batch.rows
        self.summary.rows_rejected += rejected_rows(rejects)
        return rejects

    def finish(self, conn: Connection, ws: Workspace) -> Summary:
        repo = IngestRepository(conn, ws)
        if self.products_seen:
            finish_products(repo, self.tally, self.products_seen, utcnow())
        self.summary.counts = self.tally.totals()
        self.summary.seconds = time.perf_counter() - self._started
        self.summary.cpu_seconds = time.process_time() - self._cpu_started
        if self.run_id is not None:
            repo.finish_run(
                self.run_id, self.summary.as_dict(), self.summary.rows_rejected, utcnow()
            )
        return self.summary

    # -- orders --------------------------------------------------------------------------------
    def _apply_orders(self, repo: IngestRepository, batch: Batch) -> list[Reject]:
        counts, now = self.tally.counts, utcnow()
        rejects = list(batch.rejects)
        existing = repo.orders(self.source, [g.external_id for g in batch.orders])
        todo: list[tuple[OrderRecord, tuple[int, int, str] | None]] = []
        unchanged: list[int] = []
        for group in batch.orders:
            hit = existing.get(group.external_id)
            if hit is not None and hit[2] == group.content_hash:
                unchanged.append(hit[0])
                counts["order_lines"].unchanged += len(group.rows)
                self.tally.seen_ids("people", [hit[1]])
                continue
            parsed = group.parse()
            if isinstance(parsed, list):
                rejects.extend(parsed)
                counts["orders"].rejected += 1
                counts["order_lines"].rejected += len(group.rows)
                continue
            todo.append((parsed, hit))
        counts["orders"].unchanged += len(unchanged)
        self._parse_ahead = len(todo) > len(unchanged)
        counts["interactions"].unchanged += repo.count_order_interactions(unchanged)
        if not todo:
            return rejects
        resolver = Resolver(repo, self.tally, self.source, now)
        people = resolver.resolve([_order_claim(o, hit[1] if hit else None) for o, hit in todo])
        writer = OrderWriter(repo, self.tally, self.source, self.products_seen, now)
        writer.write(
            new=[(o, p) for (o, hit), p in zip(todo, people, strict=True) if hit is None],
            changed=[
                (o, p, hit[0]) for (o, hit), p in zip(todo, people, strict=True) if hit is not None
            ],
        )
        statements = [
            Statement(p, "marketing", "email", o.accepts_marketing, o.placed_at, o.line,
                      o.marketing_column)
            for (o, _hit), p in zip(todo, people, strict=True)
            if o.accepts_marketing is not None and o.email
        ]  # fmt: skip
        write_statements(
            repo,
            self.tally,
            statements,
            new_people=resolver.new_ids,
            file=self.file,
            source=self.source,
            now=now,
        )
        return rejects

    # -- customers -----------------------------------------------------------------------------
    def _apply_customers(self, repo: IngestRepository, batch: Batch) -> list[Reject]:
        now = utcnow()
        customers = batch.customers
        if not customers:
            return list(batch.rejects)
        resolver = Resolver(repo, self.tally, self.source, now)
        people = resolver.resolve([_customer_claim(c) for c in customers])
        pairs = list(zip(customers, people, strict=True))
        CustomerWriter(repo, self.tally, self.source, now).write(pairs)
        at = self.file.modified_at
        statements = []
        for c, p in pairs:
            if c.email_marketing is not None:
                statements.append(
                    Statement(p, "marketing", "email", c.email_marketing, at, c.line,
                              c.email_marketing_column)
                )  # fmt: skip
            if c.sms_marketing is not None:
                statements.append(
                    Statement(p, "marketing", "sms", c.sms_marketing, at, c.line,
                              c.sms_marketing_column)
                )  # fmt: skip
        write_statements(
            repo,
            self.tally,
            statements,
            new_people=resolver.new_ids,
            file=self.file,
            source=self.source,
            now=now,
        )
        self.tally.counts["people"].rejected += rejected_rows(batch.rejects)
        return list(batch.rejects)
