"""All queries of the import context, scoped to one workspace.

Lookups take a batch of keys and run chunked ``IN`` queries (under SQLite's variable limit).
Inserts are the bulk path: ``COPY`` on PostgreSQL, one ``executemany`` on SQLite, with values the
service has already put in storage form (timestamps via :meth:`IngestRepository.ts`, JSON as
text), so no per-value conversion happens on the hot path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from goodwill.db import tables as t
from goodwill.db.bulk import allocate_ids, analyze, copy_ts, sqlite_insert_values, sqlite_ts
from goodwill.db.where import among, in_workspace_unindexed
from goodwill.ingest.models import ImportKind
from goodwill.kit.clock import as_utc
from goodwill.workspaces.service import Workspace

_PLAIN = re.compile(r"[ -!#-\[\]-~]*")  # printable ASCII without " and \


def json_string(value: str) -> str:
    """A JSON string literal (fast path for plain ASCII, as order numbers are)."""
    if _PLAIN.fullmatch(value):
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)


#: The tables each kind of import looks up and writes (their statistics are refreshed).
_WRITTEN = {
    ImportKind.ORDERS: (
        t.persons, t.identities, t.orders, t.order_lines, t.products, t.interactions,
        t.consent_events,
    ),
    ImportKind.CUSTOMERS: (
        t.persons, t.identities, t.accounts, t.memberships, t.notes, t.consent_events,
    ),
}  # fmt: skip


class IngestRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id
        self.postgres = conn.dialect.name == "postgresql"

    # -- storage form --------------------------------------------------------------------------
    def ts(self, value: datetime) -> str:
        """An aware datetime as the store keeps it: UTC, in SQLAlchemy's SQLite text format
        (``2026-09-03 14:15:00.000000``), or ISO with offset for PostgreSQL."""
        return copy_ts(value) if self.postgres else str(sqlite_ts(value))

    @staticmethod
    def json(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def tune_for_bulk(self) -> None:
        """Per-connection settings for bulk writing, safe because imports are idempotent.

        SQLite: a 64 MB page cache (index pages of a large record stay in memory).  PostgreSQL:
        ``synchronous_commit = off`` for this transaction only; a crash can lose the last
        committed batches, which re-running the import writes again.
        """
        if self.postgres:
            self.conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        else:
            self.conn.exec_driver_sql("PRAGMA cache_size = -65536")

    def refresh_statistics(self, kind: ImportKind) -> None:
        """PostgreSQL: ``ANALYZE`` the tables an import writes.  On tables that grew within the
        import the planner's stale estimates turn key lookups into workspace scans (quadratic);
        the service calls this as the tables double in size.  SQLite needs no statistics here
        (see :func:`goodwill.db.where.in_workspace_unindexed`)."""
        analyze(self.conn, (table.name for table in _WRITTEN[kind]))

    # -- lookups -------------------------------------------------------------------------------
    def identities(self, kind: str, values: Sequence[str]) -> dict[str, tuple[int, int]]:
        """value -> (identity id, person id) for the identities of ``kind`` that exist."""
        c = t.identities.c
        out: dict[str, tuple[int, int]] = {}
        for among_ in among(self.conn, c.value, values):
            rows = self.conn.execute(
                select(c.value, c.id, c.person_id).where(
                    c.workspace_id == self.ws, c.kind == kind, among_
                )
            )
            out.update((v, (int(i), int(p))) for v, i, p in rows)
        return out

    def persons(
        self, ids: Sequence[int]
    ) -> dict[int, tuple[str | None, str | None, datetime | None]]:
        """id -> (first name, last name, first seen) for live (not merged-away) persons."""
        c = t.persons.c
        out: dict[int, tuple[str | None, str | None, datetime | None]] = {}
        for among_ in among(self.conn, c.id, ids):
            rows = self.conn.execute(
                select(c.id, c.first_name, c.last_name, c.first_seen_at).where(
                    c.workspace_id == self.ws, among_
                )
            )
            for pid, first, last, seen in rows:
                out[int(pid)] = (first, last, None if seen is None else as_utc(seen))
        return out

    def orders(self, source: str, external_ids: Sequence[str]) -> dict[str, tuple[int, int, str]]:
        """external id -> (order id, person id, content hash)."""
        c = t.orders.c
        out: dict[str, tuple[int, int, str]] = {}
        for among_ in among(self.conn, c.external_id, external_ids):
            rows = self.conn.execute(
                select(c.external_id, c.id, c.person_id, c.content_hash).where(
                    c.workspace_id == self.ws, c.source == source, among_
                )
            )
            out.update((e, (int(i), int(p), h)) for e, i, p, h in rows)
        return out

    def count_order_interactions(self, order_ids: Sequence[int]) -> int:
        """How many interactions these orders have.  Orders imported together have consecutive
        ids, so the ids are queried as ranges (``BETWEEN``) when they form few runs."""
        c = t.interactions.c
        ids = sorted(order_ids)
        runs: list[tuple[int, int]] = []
        for i in ids:
            if runs and i == runs[-1][1] + 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
        total = 0
        if len(runs) * 8 <= len(ids):
            for lo, hi in runs:
                total += int(
                    self.conn.execute(
                        select(func.count()).where(
                            in_workspace_unindexed(c.workspace_id, self.ws),
                            c.order_id.between(lo, hi),
                        )
                    ).scalar_one()
                )
            return total
        for among_ in among(self.conn, c.order_id, ids):
            total += int(
                self.conn.execute(
                    select(func.count()).where(
                        in_workspace_unindexed(c.workspace_id, self.ws),
                        among_,
                    )
                ).scalar_one()
            )
        return total

    def products(self, keys: Sequence[str]) -> dict[str, tuple[int, str, int | None, str | None]]:
        """sku -> (id, name, price_minor, currency)."""
        c = t.products.c
        out: dict[str, tuple[int, str, int | None, str | None]] = {}
        for among_ in among(self.conn, c.sku, keys):
            rows = self.conn.execute(
                select(c.sku, c.id, c.name, c.price_minor, c.currency).where(
                    c.workspace_id == self.ws, among_
                )
            )
            out.update((s, (int(i), n, p, cur)) for s, i, n, p, cur in rows)
        return out

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        c = t.interactions.c
        out: set[str] = set()
        for among_ in among(self.conn, c.idempotency_key, keys):
            rows = self.conn.execute(
                select(c.idempotency_key).where(c.workspace_id == self.ws, among_)
            )
            out.update(r[0] for r in rows)
        return out

    def consent_events(
        self, person_ids: Sequence[int], purpose: str, channel: str
    ) -> Iterator[tuple[int, str, datetime, int]]:
        """(person id, action, occurred at, id) of every event for (purpose, channel)."""
        c = t.consent_events.c
        for among_ in among(self.conn, c.person_id, person_ids):
            rows = self.conn.execute(
                select(c.person_id, c.action, c.occurred_at, c.id).where(
                    in_workspace_unindexed(c.workspace_id, self.ws),
                    among_,
                    c.purpose == purpose,
                    c.channel == channel,
                )
            )
            for pid, action, at, eid in rows:
                yield int(pid), action, as_utc(at), int(eid)

    def accounts(self, keys: Sequence[str]) -> dict[str, int]:
        c = t.accounts.c
        out: dict[str, int] = {}
        for among_ in among(self.conn, c.external_key, keys):
            rows = self.conn.execute(
                select(c.external_key, c.id).where(c.workspace_id == self.ws, among_)
            )
            out.update((k, int(i)) for k, i in rows)
        return out

    def memberships(self, person_ids: Sequence[int], role: str) -> set[tuple[int, int]]:
        """(account id, person id) pairs with ``role`` for these persons."""
        c = t.memberships.c
        out: set[tuple[int, int]] = set()
        for among_ in among(self.conn, c.person_id, person_ids):
            rows = self.conn.execute(
                select(c.account_id, c.person_id).where(
                    in_workspace_unindexed(c.workspace_id, self.ws),
                    among_,
                    c.role == role,
                )
            )
            out.update((int(a), int(p)) for a, p in rows)
        return out

    def notes(self, person_ids: Sequence[int], author: str) -> set[tuple[int, str]]:
        c = t.notes.c
        out: set[tuple[int, str]] = set()
        for among_ in among(self.conn, c.person_id, person_ids):
            rows = self.conn.execute(
                select(c.person_id, c.body).where(
                    in_workspace_unindexed(c.workspace_id, self.ws),
                    among_,
                    c.author == author,
                )
            )
            out.update((int(p), b) for p, b in rows)
        return out

    def person_tags(self, ids: Sequence[int]) -> dict[int, list[str]]:
        c = t.persons.c
        out: dict[int, list[str]] = {}
        for among_ in among(self.conn, c.id, ids):
            rows = self.conn.execute(select(c.id, c.tags).where(c.workspace_id == self.ws, among_))
            out.update((int(i), list(tags or [])) for i, tags in rows)
        return out

    # -- writes --------------------------------------------------------------------------------
    def allocate(self, table: Table, count: int) -> list[int]:
        return allocate_ids(self.conn, table, count)

    def insert(self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        """Insert rows already in storage form (see the module docstring)."""
        if not rows:
            return 0
        raw: Any = self.conn.connection.dbapi_connection
        cols = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as cp:
                for row in rows:
                    cp.write_row(row)
            return len(rows)
        sqlite_insert_values(raw, table.name, columns, rows)
        return len(rows)

    def update_rows(
        self, table: Table, columns: Sequence[str], rows: Iterable[dict[str, Any]]
    ) -> None:
        """``UPDATE table SET columns WHERE id = row["id"]`` for each row (one executemany)."""
        data = [{f"v_{k}": v for k, v in row.items()} for row in rows]
        if not data:
            return
        stmt = (
            update(table)
            .where(and_(table.c.workspace_id == self.ws, table.c.id == bindparam("v_id")))
            .values({c: bindparam(f"v_{c}") for c in columns})
        )
        self.conn.execute(stmt, data)

    def delete_lines(self, order_ids: Sequence[int]) -> None:
        c = t.order_lines.c
        for among_ in among(self.conn, c.order_id, order_ids):
            self.conn.execute(
                delete(t.order_lines).where(in_workspace_unindexed(c.workspace_id, self.ws), among_)
            )

    # -- import runs ---------------------------------------------------------------------------
    def start_run(self, kind: str, fmt: str, file_name: str, sha256: str, at: datetime) -> int:
        result = self.conn.execute(
            insert(t.import_runs).values(
                workspace_id=self.ws,
                kind=kind,
                format=fmt,
                file_name=file_name[:500],
                file_sha256=sha256,
                rejected=0,
                started_at=at,
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def finish_run(self, run_id: int, summary: dict[str, Any], rejected: int, at: datetime) -> None:
        c = t.import_runs.c
        self.conn.execute(
            update(t.import_runs)
            .where(c.workspace_id == self.ws, c.id == run_id)
            .values(summary=summary, rejected=rejected, finished_at=at)
        )
