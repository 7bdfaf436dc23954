"""Writing one batch of new and changed orders: products, orders, lines and timeline events.

* Products are keyed by SKU (``name:<normalised name>`` when blank).  A new product takes the name,
  unit price and currency of its most recently placed line in the batch; the run remembers the
  most recent line per product and :func:`finish_products` brings existing products up to it at
  the end (so a re-import of the same file changes nothing).
* A changed order (its content hash differs) has its fields updated and its lines replaced; only
  lifecycle events it had not reached before become new interactions.
* Interactions: ``order.placed``, ``order.paid``, ``order.fulfilled``, ``order.delivered``,
  ``order.cancelled``, ``order.refunded``, ``order.returned``, keyed
  ``<source>:order:<external id>:<event>`` (see :mod:`goodwill.timeline.models`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goodwill.db import tables as t
from goodwill.ingest.models import OrderRecord
from goodwill.ingest.repository import IngestRepository
from goodwill.ingest.tally import RunTally
from goodwill.timeline.models import idempotency_key

ORDER_COLUMNS = (
    "id", "workspace_id", "person_id", "source", "external_id", "status", "financial_status",
    "currency", "subtotal_minor", "discount_minor", "shipping_minor", "tax_minor", "total_minor",
    "refunded_minor", "placed_at", "paid_at", "fulfilled_at", "delivered_at", "cancelled_at",
    "refunded_at", "returned_at", "content_hash", "updated_at",
)  # fmt: skip
LINE_COLUMNS = (
    "workspace_id", "order_id", "line_no", "product_id", "sku", "name", "quantity",
    "unit_price_minor", "discount_minor",
)  # fmt: skip
INTERACTION_COLUMNS = (
    "workspace_id", "person_id", "order_id", "occurred_at", "kind", "channel", "actor",
    "payload", "source", "idempotency_key", "recorded_at",
)  # fmt: skip
_STAGES = ("paid", "fulfilled", "delivered", "cancelled", "refunded", "returned")


@dataclass(slots=True)
class ProductSeen:
    placed_at: datetime
    name: str
    price_minor: int
    currency: str


class OrderWriter:
    def __init__(
        self,
        repo: IngestRepository,
        tally: RunTally,
        source: str,
        products_seen: dict[str, ProductSeen],
        now: datetime,
    ) -> None:
        self.repo = repo
        self.tally = tally
        self.source = source
        self.products_seen = products_seen
        self.now = now
        self.now_text = repo.ts(now)

    def write(
        self,
        new: list[tuple[OrderRecord, int]],
        changed: list[tuple[OrderRecord, int, int]],
    ) -> None:
        """``new``: (order, person id); ``changed``: (order, person id, order id)."""
        product_ids = self._products([o for o, _p in new] + [o for o, _p, _i in changed])
        ids = self.repo.allocate(t.orders, len(new))
        self.repo.insert(
            t.orders,
            ORDER_COLUMNS,
            [self._order_row(o, p, i) for (o, p), i in zip(new, ids, strict=True)],
        )
        counts = self.tally.counts
        counts["orders"].created += len(new)
        if changed:
            self.repo.update_rows(
                t.orders, ORDER_COLUMNS[2:], [self._order_update(o, p, i) for o, p, i in changed]
            )
            self.repo.delete_lines([i for _o, _p, i in changed])
            counts["orders"].updated += len(changed)
        created = [(o, p, i) for (o, p), i in zip(new, ids, strict=True)]
        everything = created + changed
        lines = [
            (self.repo.ws, oid, n, product_ids[li.key], li.sku, li.name[:500], li.quantity,
             li.unit_price_minor, li.discount_minor)
            for o, _p, oid in everything
            for n, li in enumerate(o.lines, start=1)
        ]  # fmt: skip
        self.repo.insert(t.order_lines, LINE_COLUMNS, lines)
        counts["order_lines"].created += sum(len(o.lines) for o, _p in new)
        counts["order_lines"].updated += sum(len(o.lines) for o, _p, _i in changed)
        self._interactions(created, changed)

    # -- products ------------------------------------------------------------------------------
    def _products(self, orders: list[OrderRecord]) -> dict[str, int]:
        latest: dict[str, ProductSeen] = {}
        for o in orders:
            for li in o.lines:
                seen = latest.get(li.key)
                if seen is None or o.placed_at >= seen.placed_at:
                    latest[li.key] = ProductSeen(
                        o.placed_at, li.name, li.unit_price_minor, o.currency
                    )
        stored = self.repo.products(sorted(latest))
        ids = {k: v[0] for k, v in stored.items()}
        missing = [k for k in latest if k not in stored]
        new_ids = self.repo.allocate(t.products, len(missing))
        rows = []
        for key, pid in zip(missing, new_ids, strict=True):
            p = latest[key]
            rows.append((pid, self.repo.ws, key, p.name[:500], p.price_minor, p.currency, 14))
            ids[key] = pid
        self.repo.insert(
            t.products,
            ("id", "workspace_id", "sku", "name", "price_minor", "currency", "days_to_opinion"),
            rows,
        )
        self.tally.created_ids("products", new_ids)
        self.tally.seen_ids("products", [v[0] for v in stored.values()])
        for key, p in latest.items():
            seen = self.products_seen.get(key)
            if seen is None or p.placed_at >= seen.placed_at:
                self.products_seen[key] = p
        return ids

    # -- orders --------------------------------------------------------------------------------
    def _order_row(self, o: OrderRecord, person_id: int, order_id: int) -> tuple[Any, ...]:
        ts, lc = self.repo.ts, o.lifecycle
        return (
            order_id, self.repo.ws, person_id, self.source, o.external_id, lc.status,
            o.financial_status, o.currency, o.subtotal_minor, o.discount_minor, o.shipping_minor,
            o.tax_minor, o.total_minor, o.refunded_minor, ts(o.placed_at),
            None if lc.paid_at is None else ts(lc.paid_at),
            None if lc.fulfilled_at is None else ts(lc.fulfilled_at),
            None if lc.delivered_at is None else ts(lc.delivered_at),
            None if lc.cancelled_at is None else ts(lc.cancelled_at),
            None if lc.refunded_at is None else ts(lc.refunded_at),
            None if lc.returned_at is None else ts(lc.returned_at),
            o.content_hash, self.now_text,
        )  # fmt: skip

    def _order_update(self, o: OrderRecord, person_id: int, order_id: int) -> dict[str, Any]:
        lc = o.lifecycle
        return {
            "id": order_id, "person_id": person_id, "source": self.source,
            "external_id": o.external_id, "status": lc.status,
            "financial_status": o.financial_status, "currency": o.currency,
            "subtotal_minor": o.subtotal_minor, "discount_minor": o.discount_minor,
            "shipping_minor": o.shipping_minor, "tax_minor": o.tax_minor,
            "total_minor": o.total_minor, "refunded_minor": o.refunded_minor,
            "placed_at": o.placed_at, "paid_at": lc.paid_at, "fulfilled_at": lc.fulfilled_at,
            "delivered_at": lc.delivered_at, "cancelled_at": lc.cancelled_at,
            "refunded_at": lc.refunded_at, "returned_at": lc.returned_at,
            "content_hash": o.content_hash, "updated_at": self.now,
        }  # fmt: skip

    # -- timeline ------------------------------------------------------------------------------
    def _interactions(
        self, new: list[tuple[OrderRecord, int, int]], changed: list[tuple[OrderRecord, int, int]]
    ) -> None:
        fresh = self._event_rows(new)
        rest = self._event_rows(changed)
        if rest:
            existing = self.repo.existing_keys([r[9] for r in rest])
            self.tally.counts["interactions"].unchanged += len(existing)
            rest = [r for r in rest if r[9] not in existing]
        self.repo.insert(t.interactions, INTERACTION_COLUMNS, fresh + rest)
        self.tally.counts["interactions"].created += len(fresh) + len(rest)

    def _event_rows(self, orders: list[tuple[OrderRecord, int, int]]) -> list[tuple[Any, ...]]:
        ws, src, ts, now, dump = (
            self.repo.ws,
            self.source,
            self.repo.ts,
            self.now_text,
            self.repo.json,
        )
        rows: list[tuple[Any, ...]] = []
        for o, person_id, order_id in orders:
            lc, ext = o.lifecycle, o.external_id
            placed = dump(
                {"order": ext, "total_minor": o.total_minor, "currency": o.currency,
                 "lines": len(o.lines)}
            )  # fmt: skip
            rows.append(
                (ws, person_id, order_id, ts(o.placed_at), "order.placed", "", "", placed, src,
                 idempotency_key(src, "order", ext, "placed"), now)
            )  # fmt: skip
            for stage in _STAGES:
                at: datetime | None = getattr(lc, f"{stage}_at")
                if at is None:
                    continue
                payload: dict[str, Any] = {"order": ext}
                if stage == "refunded":
                    payload["refunded_minor"] = o.refunded_minor
                if stage in lc.approximate:
                    payload["time_known"] = False
                rows.append(
                    (ws, person_id, order_id, ts(at), f"order.{stage}", "", "", dump(payload),
                     src, idempotency_key(src, "order", ext, stage), now)
                )  # fmt: skip
        return rows


def finish_products(
    repo: IngestRepository, tally: RunTally, seen: dict[str, ProductSeen], now: datetime
) -> None:
    """Bring each product the run saw up to its most recently placed line (name, price)."""
    keys = sorted(seen)
    stored = repo.products(keys)
    updates: list[dict[str, Any]] = []
    for key in keys:
        if key not in stored:
            continue
        pid, name, price, currency = stored[key]
        p = seen[key]
        if (name, price, currency) != (p.name[:500], p.price_minor, p.currency):
            updates.append(
                {
                    "id": pid,
                    "name": p.name[:500],
                    "price_minor": p.price_minor,
                    "currency": p.currency,
                }
            )
    repo.update_rows(t.products, ("name", "price_minor", "currency"), updates)
    tally.changed_ids("products", [int(u["id"]) for u in updates])
