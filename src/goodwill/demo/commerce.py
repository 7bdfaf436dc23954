"""Orders, their lines and their timeline: from purchase times to rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from goodwill.demo.lifecycle import CARRIERS, Life, Money, live_orders, price_orders
from goodwill.demo.models import SOURCE, CatalogProduct, Frame
from goodwill.demo.people import Population
from goodwill.demo.purchases import (
    Baskets,
    Customers,
    fill_baskets,
    order_values,
    simulate_purchases,
)
from goodwill.demo.texts import WEB_REFERRERS
from goodwill.demo.timebase import to_datetime64
from goodwill.demo.touches import Timeline, key
from goodwill.timeline.models import Kind

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

#: Share of a business contact's orders placed on the account's behalf.
ACCOUNT_ORDER_SHARE = 0.8
_STAGE_KIND = {
    "placed": Kind.ORDER_PLACED,
    "paid": Kind.ORDER_PAID,
    "fulfilled": Kind.ORDER_FULFILLED,
    "delivered": Kind.ORDER_DELIVERED,
    "cancelled": Kind.ORDER_CANCELLED,
    "returned": Kind.ORDER_RETURNED,
    "refunded": Kind.ORDER_REFUNDED,
}


@dataclass(slots=True)
class OrderBook:
    """The batch's orders, for the steps that react to them (reviews, NPS, support)."""

    person: Ints
    placed: Floats
    seq: Ints  # 1 for a customer's first order
    account: Ints
    external: list[str]
    money: Money
    life: Life
    baskets: Baskets
    #: per customer
    orders: Ints
    revenue: Ints
    first_external: list[str | None]


def build_orders(
    rng: np.random.Generator,
    pop: Population,
    cust: Customers,
    catalog: list[CatalogProduct],
    currency: str,
    first_number: int,
) -> OrderBook:
    person, placed = simulate_purchases(rng, pop, cust)
    m = len(person)
    seq = np.ones(m, dtype=np.int64)
    if m:
        starts = np.r_[0, np.flatnonzero(np.diff(person)) + 1]
        seq = np.arange(m) - np.repeat(starts, np.diff(np.r_[starts, m])) + 1
    business = (pop.account[person] >= 0) & (rng.random(m) < ACCOUNT_ORDER_SHARE)
    account = np.where(business, pop.account[person], -1).astype(np.int64)
    target = order_values(rng, person, cust, business)
    baskets = fill_baskets(rng, person, target, cust, catalog)
    taxed = np.isin(np.asarray(pop.locale)[person], ("en-US",)) if m else np.zeros(0, bool)
    money = price_orders(rng, baskets, m, seq == 1, taxed, currency)
    life = live_orders(rng, placed, money, baskets, catalog, pop.domestic[person])
    external = [f"#{first_number + i}" for i in range(m)]
    counted = np.isnan(life.times["cancelled"])
    net = money.total - life.refunded
    orders = np.bincount(person[counted], minlength=pop.n).astype(np.int64)
    revenue = np.bincount(person[counted], weights=net[counted], minlength=pop.n).astype(np.int64)
    first_external: list[str | None] = [None] * pop.n
    for i in np.flatnonzero(seq == 1).tolist():
        first_external[int(person[i])] = external[i]
    return OrderBook(
        person,
        placed,
        seq,
        account,
        external,
        money,
        life,
        baskets,
        orders,
        revenue,
        first_external,
    )


def order_frames(
    book: OrderBook,
    catalog: list[CatalogProduct],
    product_ids: list[int],
    currency: str,
    start64: np.datetime64,
) -> tuple[Frame, Frame]:
    m = len(book.person)
    times = {k: to_datetime64(start64, v) for k, v in book.life.times.items()}
    stacked = np.vstack([np.nan_to_num(v, nan=-1.0) for v in book.life.times.values()])
    updated = to_datetime64(start64, stacked.max(axis=0)) if m else times["placed"]
    orders = Frame(
        "orders",
        {
            "person_id": book.person,
            "account_id": book.account,
            "source": [SOURCE] * m,
            "external_id": book.external,
            "status": book.life.status,
            "financial_status": book.life.financial,
            "currency": [currency] * m,
            "subtotal_minor": book.money.subtotal,
            "discount_minor": book.money.discount,
            "shipping_minor": book.money.shipping,
            "tax_minor": book.money.tax,
            "total_minor": book.money.total,
            "refunded_minor": book.life.refunded,
            **{f"{k}_at": v for k, v in times.items()},
            "content_hash": [""] * m,
            "updated_at": updated,
        },
        {"person_id": "persons", "account_id": "accounts"},
    )
    b = book.baskets
    ids = np.asarray(product_ids, dtype=np.int64)
    lines = Frame(
        "order_lines",
        {
            "order_id": b.order,
            "line_no": b.line_no,
            "product_id": ids[b.product],
            "sku": [catalog[p].sku for p in b.product.tolist()],
            "name": [catalog[p].name for p in b.product.tolist()],
            "quantity": b.quantity,
            "unit_price_minor": b.unit_price,
            "discount_minor": b.discount,
        },
        {"order_id": "orders"},
    )
    return orders, lines


def order_touches(
    rng: np.random.Generator,
    book: OrderBook,
    pop: Population,
    catalog: list[CatalogProduct],
    currency: str,
    tl: Timeline,
) -> None:
    """order.* interactions for each stage that happened, and the web visits before buying."""
    life, money = book.life, book.money
    n_items = np.bincount(book.baskets.order, minlength=len(book.person))
    carrier = rng.integers(0, 6, size=len(book.person))
    for stage, kind in _STAGE_KIND.items():
        rows = np.flatnonzero(~np.isnan(life.times[stage]))
        if not len(rows):
            continue
        payload: list[dict[str, Any] | None] = []
        for i in rows.tolist():
            p: dict[str, Any] = {"order": book.external[i]}
            if stage == "placed":
                p.update(total_minor=int(money.total[i]), currency=currency, items=int(n_items[i]))
                if money.code[i]:
                    p["discount_code"] = money.code[i]
            elif stage == "paid":
                p.update(amount_minor=int(money.total[i]), currency=currency)
            elif stage == "fulfilled":
                options = CARRIERS[pop.locale[int(book.person[i])]]
                p["carrier"] = options[int(carrier[i]) % len(options)]
            elif stage == "refunded":
                p.update(amount_minor=int(life.refunded[i]), currency=currency)
                p["reason"] = life.reason[i]
            elif stage in ("cancelled", "returned"):
                p["reason"] = life.reason[i]
            payload.append(p)
        tl.add(
            kind,
            book.person[rows],
            life.times[stage][rows],
            [key("order", book.external[i], stage) for i in rows.tolist()],
            payload=payload,
            channel="web" if stage == "placed" else "",
            account=book.account[rows],
            order=rows,
        )
    _web_visits(rng, book, pop, catalog, tl)


def _web_visits(
    rng: np.random.Generator,
    book: OrderBook,
    pop: Population,
    catalog: list[CatalogProduct],
    tl: Timeline,
) -> None:
    lines = book.baskets
    first_line = np.full(len(book.person), -1, dtype=np.int64)
    first_line[lines.order[::-1]] = np.arange(len(lines.order))[::-1]
    visits = rng.poisson(1.3, size=len(book.person))
    order = np.repeat(np.arange(len(book.person)), visits)
    when = book.placed[order] - rng.exponential(1.2, size=len(order)) - 0.004
    # Leads browse a little before (and after) signing up.
    leads = np.flatnonzero(pop.lead)
    lead_visits = rng.poisson(1.5, size=len(leads))
    lead_person = np.repeat(leads, lead_visits)
    lead_when = pop.acq[lead_person] + rng.normal(0.0, 6.0, size=len(lead_person))
    person = np.concatenate([book.person[order], lead_person])
    when = np.concatenate([when, lead_when])
    ref = rng.integers(0, len(WEB_REFERRERS), size=len(person))
    payload: list[dict[str, Any] | None] = []
    for j, o in enumerate(order.tolist()):
        product = catalog[int(lines.product[first_line[o]])] if first_line[o] >= 0 else None
        path = f"/products/{product.sku.lower()}" if product else "/"
        payload.append(_visit(path, WEB_REFERRERS[ref[j]]))
    for j in range(len(order), len(person)):
        payload.append(_visit("/", WEB_REFERRERS[ref[j]]))
    keys = [key("visit", f"{pop.number[p]}-{j}", "viewed") for j, p in enumerate(person.tolist())]
    tl.add(Kind.WEB_VISIT, person, when, keys, payload=payload, channel="web")


def _visit(path: str, referrer: str) -> dict[str, Any]:
    return {"path": path, "referrer": referrer} if referrer else {"path": path}
