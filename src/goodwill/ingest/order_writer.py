"""Writing one batch of new and changed orders: products, orders, lines and timeline events.

* Products are keyed by SKU (``name:<normalised name>`` when blank).  A new product takes the name,
  unit price and currency of its most recently placed line in the batch; the run remembers the
  most recent line per product and :func:`finish_products` brings existing products up to it at
  the end (so a re-import of the same file changes nothing).
* A changed order (its content hash differs) has its fields updated and its lines replaced; only
  lifecycle events it had not reached before become new interactions.
* Interactions: ``order.placed``, ``order.paid``, ``order.fulfilled``, ``order.delivered``,
  ``order.cancelled``, ``order.refunded``, ``order.returned``, keyed
  ``<source>:order:<external id>:<event>`` (the convention of
  :func:`goodwill.timeline.models.idempotency_key`, spelled out here on the hot path).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from goodwill.db import tables as t
from goodwill.ingest.models import OrderRecord
from goodwill.ingest.repository import IngestRepository, json_string
from goodwill.ingest.tally import RunTally

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
_KINDS = {stage: f"order.{stage}" for stage in _STAGES}


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
        created = [(o, p, i, self._times(o)) for (o, p), i in zip(new, ids, strict=True)]
        self.repo.insert(t.orders, ORDER_COLUMNS, [self._order_row(*c) for c in created])
        counts = self.tally.counts
        counts["orders"].created += len(new)
        if changed:
            self.repo.update_rows(
                t.orders, ORDER_COLUMNS[2:], [self._order_update(o, p, i) for o, p, i in changed]
            )
            self.repo.delete_lines([i for _o, _p, i in changed])
            counts["orders"].updated += len(changed)
        updated = [(o, p, i, self._times(o)) for o, p, i in changed]
        everything = created + updated
        lines = [
            (self.repo.ws, oid, n, product_ids[li.key], li.sku, li.name[:500], li.quantity,
             li.unit_price_minor, li.discount_minor)
            for o, _p, oid, _t in everything
            for n, li in enumerate(o.lines, start=1)
        ]  # fmt: skip
        self.repo.insert(t.order_lines, LINE_COLUMNS, lines)
        counts["order_lines"].created += sum(len(o.lines) for o, _p in new)
        counts["order_lines"].updated += sum(len(o.lines) for o, _p, _i in changed)
        self._interactions(created, updated)

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
    def _times(self, o: OrderRecord) -> list[str | None]:
        """placed_at and the six stage times of ``o``, in storage form."""
        ts, lc = self.repo.ts, o.lifecycle
        return [
            ts(o.placed_at),
            *(
                None if at is None else ts(at)
                for at in (lc.paid_at, lc.fulfilled_at, lc.delivered_at, lc.cancelled_at,
                           lc.refunded_at, lc.returned_at)
            ),
        ]  # fmt: skip

    def _order_row(
        self, o: OrderRecord, person_id: int, order_id: int, times: list[str | None]
    ) -> tuple[Any, ...]:
        return (
            order_id, self.repo.ws, person_id, self.source, o.external_id, o.lifecycle.status,
            o.financial_status, o.currency, o.subtotal_minor, o.discount_minor, o.shipping_minor,
            o.tax_minor, o.total_minor, o.refunded_minor, *times, o.content_hash, self.now_text,
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
        self,
        new: list[tuple[OrderRecord, int, int, list[str | None]]],
        changed: list[tuple[OrderRecord, int, int, list[str | None]]],
    ) -> None:
        fresh = self._event_rows(new)
        rest = self._event_rows(changed)
        if rest:
            existing = self.repo.existing_keys([r[9] for r in rest])
            self.tally.counts["interactions"].unchanged += len(existing)
            rest = [r for r in rest if r[9] not in existing]
        self.repo.insert(t.interactions, INTERACTION_COLUMNS, fresh + rest)
        self.tally.counts["interactions"].created += len(fresh) + len(rest)

    def _event_rows(
        self, orders: list[tuple[OrderRecord, int, int, list[str | None]]]
    ) -> list[tuple[Any, ...]]:
        ws, src, now = self.repo.ws, self.source, self.now_text
        prefix = f"{src}:order:"
        rows: list[tuple[Any, ...]] = []
        for o, person_id, order_id, times in orders:
            ext, lc = o.external_id, o.lifecycle
            key = prefix + ext + ":"
            jext = json_string(ext)
            placed = (
                f'{{"order":{jext},"total_minor":{o.total_minor},"currency":"{o.currency}",'
                f'"lines":{len(o.lines)}}}'
            )
            rows.append(
                (ws, person_id, order_id, times[0], "order.placed", "", "", placed, src,
                 key + "placed", now)
            )  # fmt: skip
            plain = f'{{"order":{jext}}}'
            for stage, at in zip(_STAGES, times[1:], strict=True):
                if at is None:
                    continue
                payload = plain
                if stage == "refunded" or stage in lc.approximate:
                    extra: dict[str, Any] = {"order": ext}
                    if stage == "refunded":
                        extra["refunded_minor"] = o.refunded_minor
                    if stage in lc.approximate:
                        extra["time_known"] = False
                    payload = self.repo.json(extra)
                rows.append(
                    (ws, person_id, order_id, at, _KINDS[stage], "", "", payload, src,
                     key + stage, now)
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
