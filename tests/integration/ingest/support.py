"""Helpers for import tests: run an import the way the CLI does (a transaction per batch) and
take snapshots of the record to compare runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from goodwill.db import tables as t
from goodwill.db.engine import unit_of_work
from goodwill.ingest.models import FileFormat, ImportKind, Reject, Summary
from goodwill.ingest.service import Importer
from goodwill.workspaces.service import get_or_create

DATA = Path(__file__).parents[2] / "data"
Run = Callable[..., tuple[Summary, list[Reject]]]


def run_import(
    engine: Engine,
    kind: str,
    fmt: str,
    path: Path,
    *,
    workspace: str = "default",
    batch_rows: int = 20_000,
    **options: Any,
) -> tuple[Summary, list[Reject]]:
    importer = Importer(ImportKind(kind), FileFormat(fmt), path, batch_rows=batch_rows, **options)
    with unit_of_work(engine) as conn:
        ws = get_or_create(conn, workspace)
        importer.start(conn, ws)
    rejects: list[Reject] = []
    for batch in importer.batches():
        with unit_of_work(engine) as conn:
            rejects.extend(importer.apply(conn, ws, batch))
    with unit_of_work(engine) as conn:
        summary = importer.finish(conn, ws)
    return summary, rejects


def snapshot(engine: Engine) -> dict[str, Any]:
    """The record as comparable values: no ids, no recording times."""
    with engine.connect() as conn:
        people: dict[int, set[tuple[str, str]]] = {}
        for pid, kind, value in conn.execute(
            select(t.identities.c.person_id, t.identities.c.kind, t.identities.c.value)
        ):
            people.setdefault(pid, set()).add((kind, value))
        who = {pid: tuple(sorted(ids)) for pid, ids in people.items()}
        persons = sorted(
            (who.get(p.id, ()), p.first_name, p.last_name, str(p.first_seen_at), str(p.tags))
            for p in conn.execute(select(t.persons))
        )
        oc = t.orders.c
        orders = sorted(
            tuple(str(v) for v in row[2:])
            for row in conn.execute(
                select(
                    oc.id, oc.person_id, oc.source, oc.external_id, oc.status, oc.currency,
                    oc.total_minor, oc.refunded_minor, oc.placed_at, oc.paid_at, oc.fulfilled_at,
                    oc.cancelled_at, oc.refunded_at, oc.returned_at, oc.content_hash,
                )
            )
        )  # fmt: skip
        lc = t.order_lines.c
        lines = sorted(
            (ext, n, sku, name, q, price, disc)
            for ext, n, sku, name, q, price, disc in conn.execute(
                select(oc.external_id, lc.line_no, lc.sku, lc.name, lc.quantity,
                       lc.unit_price_minor, lc.discount_minor).join(t.orders)
            )
        )  # fmt: skip
        ic = t.interactions.c
        interactions = sorted(
            (who.get(p, ()), kind, str(at), key)
            for p, kind, at, key in conn.execute(
                select(ic.person_id, ic.kind, ic.occurred_at, ic.idempotency_key)
            )
            if key.split(":")[1] != "consent"
        )
        cc = t.consent_events.c
        consent = sorted(
            (who.get(p, ()), purpose, channel, action, str(at))
            for p, purpose, channel, action, at in conn.execute(
                select(cc.person_id, cc.purpose, cc.channel, cc.action, cc.occurred_at)
            )
        )
        pc = t.products.c
        products = sorted(conn.execute(select(pc.sku, pc.name, pc.price_minor, pc.currency)).all())
        counts = {
            table.name: len(conn.execute(select(table.c.id)).all())
            for table in (
                t.persons, t.identities, t.orders, t.order_lines, t.products, t.interactions,
                t.consent_events, t.accounts, t.memberships, t.notes,
            )
        }  # fmt: skip
    return {
        "counts": counts,
        "persons": persons,
        "orders": orders,
        "lines": lines,
        "interactions": interactions,
        "consent": consent,
        "products": products,
    }
