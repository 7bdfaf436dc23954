"""Money and life of an order: discounts, shipping, tax; then paid, fulfilled, delivered, and for
some cancelled, lost, returned or refunded.  Every timestamp after the demo's "today" is not
there yet, and the status is always the one the timestamps imply (:func:`order_status`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goodwill.demo.catalog import CATEGORIES
from goodwill.demo.models import HISTORY_DAYS, CatalogProduct
from goodwill.demo.purchases import Baskets

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

STAGES = ("placed", "paid", "fulfilled", "delivered", "cancelled", "returned", "refunded")
WELCOME_CODE, WELCOME_PCT = "WELCOME10", 0.10
CODES = (("SPRING15", 0.15), ("THANKYOU15", 0.15), ("BREW20", 0.20))
FREE_SHIPPING_MINOR = 6000
SHIPPING_MINOR = {"USD": 695, "EUR": 495}
US_SALES_TAX = 0.08
EU_VAT = 0.20
#: Who delivers, by the customer's locale.
CARRIERS = {
    "en-US": ("UPS", "USPS", "FedEx"),
    "en-CA": ("Canada Post", "UPS"),
    "en-GB": ("Royal Mail", "DPD"),
    "de-DE": ("DHL", "DPD"),
    "pt-PT": ("CTT", "DPD"),
    "fr-FR": ("La Poste", "DPD"),
    "es-ES": ("Correos", "SEUR"),
    "ja-JP": ("Yamato", "Japan Post"),
    "en-AU": ("Australia Post", "DHL"),
}


@dataclass(slots=True)
class Money:
    subtotal: Ints
    discount: Ints
    shipping: Ints
    tax: Ints
    total: Ints
    code: list[str | None]


@dataclass(slots=True)
class Life:
    """Stage times in days (NaN: not happened, or not yet), refunds and statuses."""

    times: dict[str, Floats]
    refunded: Ints
    financial: list[str]
    status: list[str]
    reason: list[str | None]


def price_orders(
    rng: np.random.Generator,
    baskets: Baskets,
    n_orders: int,
    first_order: Bools,
    taxed: Bools,
    currency: str,
) -> Money:
    """Discount codes on some orders (welcome codes on first orders), shipping, tax."""
    u = rng.random(n_orders)
    pct = np.zeros(n_orders)
    code: list[str | None] = [None] * n_orders
    which = rng.integers(0, len(CODES), size=n_orders)
    for i in np.flatnonzero(first_order & (u < 0.28)).tolist():
        pct[i], code[i] = WELCOME_PCT, WELCOME_CODE
    for i in np.flatnonzero(~first_order & (u < 0.11)).tolist():
        name, value = CODES[int(which[i])]
        pct[i], code[i] = value, name
    gross = baskets.unit_price * baskets.quantity
    baskets.discount[:] = np.rint(gross * pct[baskets.order]).astype(np.int64)
    subtotal = np.bincount(baskets.order, weights=gross, minlength=n_orders).astype(np.int64)
    discount = np.bincount(baskets.order, weights=baskets.discount, minlength=n_orders).astype(
        np.int64
    )
    net = subtotal - discount
    shipping = np.where(net >= FREE_SHIPPING_MINOR, 0, SHIPPING_MINOR[currency]).astype(np.int64)
    if currency == "EUR":  # prices include VAT: the tax is shown, not added
        tax = np.rint(net * EU_VAT / (1 + EU_VAT)).astype(np.int64)
        total = net + shipping
    else:
        tax = np.where(taxed, np.rint(net * US_SALES_TAX), 0).astype(np.int64)
        total = net + shipping + tax
    return Money(subtotal, discount, shipping, tax, total, code)


def order_status(
    *,
    cancelled: bool,
    returned: bool,
    fully_refunded: bool,
    delivered: bool,
    fulfilled: bool,
    paid: bool,
) -> str:
    """The status the timestamps imply (the latest decisive event wins)."""
    if cancelled:
        return "cancelled"
    if returned:
        return "returned"
    if fully_refunded:
        return "refunded"
    if delivered:
        return "delivered"
    if fulfilled:
        return "fulfilled"
    if paid:
        return "paid"
    return "placed"


def financial_status(*, paid: bool, refunded: int, total: int, cancelled: bool) -> str:
    if refunded > 0:
        return "refunded" if refunded >= total else "partially_refunded"
    if paid:
        return "paid"
    return "voided" if cancelled else "pending"


def live_orders(
    rng: np.random.Generator,
    placed: Floats,
    money: Money,
    baskets: Baskets,
    catalog: list[CatalogProduct],
    domestic: Bools,
) -> Life:
    m = len(placed)
    nan = np.full(m, np.nan)
    u = rng.random((m, 6))
    # Payment: most by card within minutes; a few by bank transfer, some of which never pay.
    transfer = u[:, 0] < 0.03
    never_paid = transfer & (u[:, 1] < 0.2)
    paid = placed + np.where(transfer, rng.uniform(0.5, 3.0, m), rng.uniform(0.0007, 0.004, m))
    paid = np.where(never_paid, nan, paid)
    cancelled = np.where(never_paid, placed + 7.0, nan)
    # Some change their mind before the parcel leaves.
    change_mind = ~never_paid & (u[:, 1] > 0.975)
    cancelled = np.where(change_mind, paid + rng.exponential(0.2, m), cancelled)
    refunded = np.where(change_mind, cancelled + rng.uniform(0.02, 0.4, m), nan)
    refund_amount = np.where(change_mind, money.total, 0)
    reason: list[str | None] = [None] * m
    for i in np.flatnonzero(never_paid).tolist():
        reason[i] = "payment not received"
    for i in np.flatnonzero(change_mind).tolist():
        reason[i] = "customer changed their mind"
    live = ~np.isnan(paid) & np.isnan(cancelled)
    fulfilled = np.where(live, paid + rng.uniform(0.15, 2.5, m), nan)
    transit = np.where(domestic, rng.uniform(1.2, 5.0, m), rng.uniform(4.0, 12.0, m))
    lost = live & (u[:, 2] < 0.006)
    delivered = np.where(live & ~lost, fulfilled + transit, nan)
    refunded = np.where(lost, fulfilled + 16.0 + rng.uniform(0, 3, m), refunded)
    refund_amount = np.where(lost, money.total, refund_amount)
    for i in np.flatnonzero(lost).tolist():
        reason[i] = "lost in transit"
    # Returns: clothes come back most often.
    cat_rate = np.array([c.return_rate for c in CATEGORIES])
    cat_names = [c.name for c in CATEGORIES]
    line_rate = cat_rate[[cat_names.index(catalog[p].category) for p in baskets.product.tolist()]]
    order_rate = np.zeros(m)
    np.maximum.at(order_rate, baskets.order, line_rate)
    delivered_ok = ~np.isnan(delivered)
    returns = delivered_ok & (u[:, 3] < order_rate)
    returned = np.where(returns, delivered + rng.uniform(3.0, 26.0, m), nan)
    refunded = np.where(returns, returned + rng.uniform(1.0, 6.0, m), refunded)
    refund_amount = np.where(returns, money.total - money.shipping, refund_amount)
    for i in np.flatnonzero(returns).tolist():
        reason[i] = str(
            rng.choice(["wrong size", "not as described", "arrived damaged", "no longer needed"])
        )
    # A damaged item now and then: part of the money back, the order stays delivered.
    partial = delivered_ok & ~returns & (u[:, 4] < 0.015)
    refunded = np.where(partial, delivered + rng.uniform(1.0, 9.0, m), refunded)
    refund_amount = np.where(partial, np.maximum(money.total // 4, 1), refund_amount)
    for i in np.flatnonzero(partial).tolist():
        reason[i] = "damaged item, partial refund"
    times = {
        "placed": placed.copy(),
        "paid": paid,
        "fulfilled": fulfilled,
        "delivered": delivered,
        "cancelled": cancelled,
        "returned": returned,
        "refunded": refunded,
    }
    for name, values in times.items():  # what lies after "today" has not happened yet
        values[values >= HISTORY_DAYS] = np.nan
        times[name] = values
    refund_amount = np.where(np.isnan(times["refunded"]), 0, refund_amount).astype(np.int64)
    financial: list[str] = []
    status: list[str] = []
    has = {k: ~np.isnan(v) for k, v in times.items()}
    for i in range(m):
        refund = int(refund_amount[i])
        total = int(money.total[i])
        financial.append(
            financial_status(
                paid=bool(has["paid"][i]),
                refunded=refund,
                total=total,
                cancelled=bool(has["cancelled"][i]),
            )
        )
        status.append(
            order_status(
                cancelled=bool(has["cancelled"][i]),
                returned=bool(has["returned"][i]),
                fully_refunded=refund > 0 and refund >= total - int(money.shipping[i]),
                delivered=bool(has["delivered"][i]),
                fulfilled=bool(has["fulfilled"][i]),
                paid=bool(has["paid"][i]),
            )
        )
        if not any(has[k][i] for k in ("cancelled", "returned", "refunded")):
            reason[i] = None
    return Life(times, refund_amount, financial, status, reason)
