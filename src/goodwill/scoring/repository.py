"""All queries of the scoring context: frames out of the store, snapshots back in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, and_, delete, desc, func, insert, select

from goodwill.db import tables as t
from goodwill.db.bulk import allocate_ids, insert_rows
from goodwill.workspaces.service import Workspace

_CHUNK = 50_000


def _naive(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _frame(
    rows: Iterable[Sequence[Any]], schema: dict[str, Any], time_cols: Sequence[str] = ()
) -> pl.DataFrame:
    names = list(schema)
    time_idx = [names.index(c) for c in time_cols]
    parts: list[pl.DataFrame] = []
    batch: list[list[Any]] = []
    for row in rows:
        item = list(row)
        for i in time_idx:
            item[i] = _naive(item[i])
        batch.append(item)
        if len(batch) >= _CHUNK:
            parts.append(pl.DataFrame(batch, schema=schema, orient="row"))
            batch = []
    parts.append(pl.DataFrame(batch, schema=schema, orient="row"))
    return pl.concat(parts) if len(parts) > 1 else parts[0]


class ScoringRepository:
    def __init__(self, conn: Connection, workspace: Workspace) -> None:
        self.conn = conn
        self.ws = workspace.id

    def currencies(self) -> list[tuple[str, int]]:
        o = t.orders.c
        rows = self.conn.execute(
            select(o.currency, func.count())
            .where(o.workspace_id == self.ws)
            .group_by(o.currency)
            .order_by(desc(func.count()))
        )
        return [(r[0], int(r[1])) for r in rows]

    def transactions(self, currency: str, as_of: datetime) -> pl.DataFrame:
        """One row per order that was not cancelled: person, time, net value in minor units."""
        o = t.orders.c
        rows = self.conn.execute(
            select(o.person_id, o.placed_at, o.total_minor - o.refunded_minor)
            .where(
                o.workspace_id == self.ws,
                o.currency == currency,
                o.status != "cancelled",
                o.placed_at <= as_of,
            )
            .execution_options(yield_per=_CHUNK)
        )
        return _frame(
            rows,
            {"person_id": pl.Int64, "ordered_at": pl.Datetime("us"), "amount_minor": pl.Int64},
            ["ordered_at"],
        )

    def interactions(self, since: datetime, as_of: datetime) -> pl.DataFrame:
        i = t.interactions.c
        rows = self.conn.execute(
            select(i.person_id, i.kind, i.channel, i.occurred_at)
            .where(i.workspace_id == self.ws, i.occurred_at >= since, i.occurred_at <= as_of)
            .execution_options(yield_per=_CHUNK)
        )
        return _frame(
            rows,
            {
                "person_id": pl.Int64,
                "kind": pl.Utf8,
                "channel": pl.Utf8,
                "occurred_at": pl.Datetime("us"),
            },
            ["occurred_at"],
        )

    def nps_answers(self, as_of: datetime) -> pl.DataFrame:
        i = t.interactions.c
        rows = self.conn.execute(
            select(i.person_id, i.occurred_at, i.payload)
            .where(i.workspace_id == self.ws, i.kind == "nps.answered", i.occurred_at <= as_of)
            .execution_options(yield_per=_CHUNK)
        )
        out = []
        for person_id, at, payload in rows:
            score = (payload or {}).get("score")
            if isinstance(score, int) and 0 <= score <= 10:
                out.append((person_id, _naive(at), score))
        return pl.DataFrame(
            out,
            schema={"person_id": pl.Int64, "answered_at": pl.Datetime("us"), "score": pl.Int64},
            orient="row",
        )

    def purchases(self, as_of: datetime) -> pl.DataFrame:
        """Order lines with product and category, for relationship depth."""
        o, ln, p = t.orders.c, t.order_lines.c, t.products.c
        rows = self.conn.execute(
            select(o.person_id, func.coalesce(ln.product_id, 0), func.coalesce(p.category, ""))
            .select_from(
                t.order_lines.join(t.orders, ln.order_id == o.id).outerjoin(
                    t.products, ln.product_id == p.id
                )
            )
            .where(and_(o.workspace_id == self.ws, o.status != "cancelled", o.placed_at <= as_of))
            .execution_options(yield_per=_CHUNK)
        )
        return _frame(rows, {"person_id": pl.Int64, "product_id": pl.Int64, "category": pl.Utf8})

    # -- writing snapshots -----------------------------------------------------------------------
    def replace_run(self, as_of: date, values: dict[str, Any]) -> int:
        """A run per workspace and day: scoring twice on one day replaces that day's snapshot."""
        old = self.conn.execute(
            select(t.score_runs.c.id).where(
                t.score_runs.c.workspace_id == self.ws, t.score_runs.c.as_of == as_of
            )
        ).first()
        if old is not None:
            self.conn.execute(delete(t.score_snapshots).where(t.score_snapshots.c.run_id == old[0]))
            self.conn.execute(delete(t.score_runs).where(t.score_runs.c.id == old[0]))
        result = self.conn.execute(
            insert(t.score_runs).values(workspace_id=self.ws, as_of=as_of, **values)
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def insert_snapshots(self, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> int:
        ids = allocate_ids(self.conn, t.score_snapshots, len(rows))
        full_cols = ["id", "workspace_id", *columns]
        return insert_rows(
            self.conn,
            t.score_snapshots,
            full_cols,
            ((i, self.ws, *r) for i, r in zip(ids, rows, strict=True)),
        )

    # -- reading snapshots -----------------------------------------------------------------------
    def latest_snapshot(self, person_id: int) -> Any | None:
        s = t.score_snapshots.c
        return self.conn.execute(
            select(t.score_snapshots)
            .where(s.workspace_id == self.ws, s.person_id == person_id)
            .order_by(s.as_of.desc())
            .limit(1)
        ).first()

    def person_history(self, person_id: int, limit: int = 12) -> list[Any]:
        s = t.score_snapshots.c
        return list(
            self.conn.execute(
                select(s.as_of, s.health, s.p_alive, s.clv_minor)
                .where(s.workspace_id == self.ws, s.person_id == person_id)
                .order_by(s.as_of.desc())
                .limit(limit)
            )
        )

    def latest_run(self) -> Any | None:
        r = t.score_runs.c
        return self.conn.execute(
            select(t.score_runs).where(r.workspace_id == self.ws).order_by(r.as_of.desc()).limit(1)
        ).first()

    def runs(self) -> list[Any]:
        r = t.score_runs.c
        return list(
            self.conn.execute(
                select(r.as_of, r.customers, r.capital_minor, r.health_weighted_capital_minor)
                .where(r.workspace_id == self.ws)
                .order_by(r.as_of)
            )
        )

    def snapshot_frame(self, run_id: int) -> pl.DataFrame:
        s, p = t.score_snapshots.c, t.persons.c
        rows = self.conn.execute(
            select(
                s.person_id,
                p.first_name,
                p.last_name,
                s.p_alive,
                s.clv_minor,
                s.clv_percentile,
                s.health,
                s.segment,
                s.frequency,
                s.recency_days,
                s.age_days,
                s.nps_last,
                s.explanation,
            )
            .join_from(t.score_snapshots, t.persons, s.person_id == p.id)
            .where(s.workspace_id == self.ws, s.run_id == run_id)
            .execution_options(yield_per=_CHUNK)
        )
        return _frame(
            rows,
            {
                "person_id": pl.Int64,
                "first_name": pl.Utf8,
                "last_name": pl.Utf8,
                "p_alive": pl.Float64,
                "clv_minor": pl.Int64,
                "clv_percentile": pl.Float64,
                "health": pl.Float64,
                "segment": pl.Utf8,
                "frequency": pl.Int64,
                "recency_days": pl.Float64,
                "age_days": pl.Float64,
                "nps_last": pl.Int64,
                "explanation": pl.Utf8,
            },
        )

    def previous_health(self, before: date) -> pl.DataFrame:
        """Each person's health in the latest run before ``before`` (for "slipping away")."""
        r = t.score_runs.c
        prev = self.conn.execute(
            select(r.id)
            .where(r.workspace_id == self.ws, r.as_of < before)
            .order_by(r.as_of.desc())
            .limit(1)
        ).first()
        if prev is None:
            return pl.DataFrame(schema={"person_id": pl.Int64, "previous_health": pl.Float64})
        s = t.score_snapshots.c
        rows = self.conn.execute(select(s.person_id, s.health).where(s.run_id == prev[0]))
        return _frame(rows, {"person_id": pl.Int64, "previous_health": pl.Float64})
