"""When customers buy and how much: a buy-till-you-die process and a gamma-gamma spend process.

* Purchase rates ``lambda ~ Gamma(R, 1/ALPHA)`` per day; after every repeat purchase a customer
  drops out for good with probability ``p ~ Beta(A, B)`` (the BG/NBD story of Fader, Hardie and
  Lee, 2005).  Satisfaction is tied to ``p`` through a shared latent, so happy customers stay.
* Order value ``z ~ Gamma(P, 1/nu)`` with ``nu ~ Gamma(Q, 1/GAMMA)`` per customer (Fader and
  Hardie's gamma-gamma model); baskets are then filled with real products to about that value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from goodwill.demo.catalog import CATEGORIES
from goodwill.demo.models import HISTORY_DAYS, CatalogProduct
from goodwill.demo.people import Population
from goodwill.demo.timebase import at_local_time, local_hours

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]

# Buy-till-you-die parameters (time unit: days).
R, ALPHA = 0.45, 80.0
A, B = 1.0, 2.5
MAX_RATE = 0.12
# Gamma-gamma spend parameters (currency major units).
P, Q, GAMMA = 4.5, 3.2, 38.0
#: Business-account orders are bigger (the office's coffee for the month).
ACCOUNT_ORDER_FACTOR = 2.6
MAX_LINES = 6


@dataclass(slots=True)
class Customers:
    """Per-customer traits of the purchase process."""

    rate: Floats
    dropout: Floats
    nu: Floats  # spend: the customer's mean order value is P / nu
    affinity: Floats  # (n, categories) preferences
    death: Floats  # when they stopped being a customer (inf while alive)


@dataclass(slots=True)
class Baskets:
    order: Ints  # per line: the order it belongs to
    line_no: Ints
    product: Ints  # index into the catalogue
    quantity: Ints
    unit_price: Ints
    discount: Ints


def customer_traits(rng: np.random.Generator, pop: Population) -> Customers:
    n = pop.n
    rate = np.minimum(rng.gamma(R, 1.0 / ALPHA, size=n), MAX_RATE)
    # Drop-out ~ Beta(A, B), made from the satisfaction latent so that the two are linked.
    u = _normal_cdf(-(0.85 * pop.satisfaction + 0.53 * rng.normal(size=n)))
    dropout = _beta_quantile(u, A, B)
    nu = rng.gamma(Q, 1.0 / GAMMA, size=n)
    weights = np.array([c.weight for c in CATEGORIES])
    affinity = rng.dirichlet(weights * 6.0, size=n)
    return Customers(rate, dropout, nu, affinity, np.full(n, np.inf))


def _normal_cdf(x: Floats) -> Floats:
    from scipy.special import ndtr

    return np.asarray(ndtr(x), dtype=np.float64)


def _beta_quantile(u: Floats, a: float, b: float) -> Floats:
    from scipy.special import betaincinv

    return np.asarray(betaincinv(a, b, np.clip(u, 1e-12, 1 - 1e-12)), dtype=np.float64)


def simulate_purchases(
    rng: np.random.Generator, pop: Population, cust: Customers
) -> tuple[Ints, Floats]:
    """Purchase times per customer (sorted by customer, then time); the first is acquisition."""
    buyers = np.flatnonzero(~pop.lead)
    who: list[Ints] = [buyers]
    when: list[Floats] = [pop.acq[buyers]]
    t = pop.acq.copy()
    alive = buyers
    while len(alive):
        t_next = t[alive] + rng.exponential(1.0 / cust.rate[alive])
        in_window = t_next < HISTORY_DAYS
        who.append(alive[in_window])
        when.append(t_next[in_window])
        t[alive] = t_next
        drops = rng.random(len(alive)) < cust.dropout[alive]
        died = alive[in_window & drops]
        cust.death[died] = t_next[in_window & drops]
        alive = alive[in_window & ~drops]
    person = np.concatenate(who)
    days = np.concatenate(when)
    # Repeat purchases happen at shopping hours of the customer's own day.
    repeat = np.ones(len(person), dtype=bool)
    repeat[: len(buyers)] = False
    hours = local_hours(rng.random(len(person)))
    days = np.where(
        repeat,
        np.maximum(at_local_time(days, pop.offset[person], hours), pop.acq[person] + 1e-3),
        days,
    )
    days = np.minimum(days, HISTORY_DAYS - 1e-4)
    order = np.lexsort((days, person))
    return person[order], days[order]


def order_values(
    rng: np.random.Generator, person: Ints, cust: Customers, business: Bools
) -> Floats:
    z = rng.gamma(P, 1.0 / cust.nu[person])
    return np.where(business, z * ACCOUNT_ORDER_FACTOR, z)


def fill_baskets(
    rng: np.random.Generator,
    person: Ints,
    target: Floats,
    cust: Customers,
    catalog: list[CatalogProduct],
) -> Baskets:
    """Lines per order: categories by the customer's taste and the order's size, products by
    popularity (consumables, bought by the bag) or by price (gear, clothes, furniture)."""
    m = len(person)
    n_lines = np.clip(1 + rng.poisson(0.15 + target / 140.0), 1, MAX_LINES)
    order = np.repeat(np.arange(m, dtype=np.int64), n_lines)
    share = (target / n_lines)[order]
    cat_names = [c.name for c in CATEGORIES]
    price = np.array([p.price_minor for p in catalog], dtype=np.float64) / 100.0
    cat_of = np.array([cat_names.index(p.category) for p in catalog], dtype=np.int64)
    median = np.array([np.median(price[cat_of == k]) for k in range(len(cat_names))])
    consumable = np.array([c.consumable for c in CATEGORIES])
    # Categories: taste times how well the category's prices fit this line's share of the order.
    fit = np.exp(-0.9 * np.abs(np.log(share[:, None] / median[None, :])))
    fit = np.where(consumable[None, :], np.maximum(fit, 0.35), fit)
    w = cust.affinity[person][order] * fit
    cum = np.cumsum(w, axis=1)
    u = rng.random(len(order)) * cum[:, -1]
    cat = np.minimum((cum < u[:, None]).sum(axis=1), len(cat_names) - 1)
    product = np.zeros(len(order), dtype=np.int64)
    quantity = np.ones(len(order), dtype=np.int64)
    noise = rng.normal(0.0, 0.45, size=len(order))
    u_pop = rng.random(len(order))
    u_qty = rng.random(len(order))
    for k in range(len(cat_names)):
        rows = np.flatnonzero(cat == k)
        if not len(rows):
            continue
        members = np.flatnonzero(cat_of == k)
        if consumable[k]:
            pop = np.array([catalog[i].popularity for i in members])
            cdf = np.cumsum(pop) / pop.sum()
            chosen = members[np.minimum(np.searchsorted(cdf, u_pop[rows]), len(members) - 1)]
            qty = np.rint(share[rows] / price[chosen] * (0.7 + 0.6 * u_qty[rows]))
            quantity[rows] = np.clip(qty, 1, 12).astype(np.int64)
        else:
            # The product whose price is nearest the line's budget (in log space, with taste).
            dist = np.abs(
                np.log(price[members])[None, :] - (np.log(share[rows]) + noise[rows])[:, None]
            )
            chosen = members[np.argmin(dist, axis=1)]
            quantity[rows] = np.where(u_qty[rows] < 0.07, 2, 1)
        product[rows] = chosen
    # One line per product per order.
    key = order * len(catalog) + product
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    order, product, quantity = order[keep], product[keep], quantity[keep]
    starts = np.r_[0, np.flatnonzero(np.diff(order)) + 1]
    line_no = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)])) + 1
    unit = np.array([p.price_minor for p in catalog], dtype=np.int64)[product]
    return Baskets(order, line_no.astype(np.int64), product, quantity, unit, np.zeros_like(unit))
