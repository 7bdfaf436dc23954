from __future__ import annotations

import numpy as np

from goodwill.demo.catalog import CATEGORIES, build_catalog
from goodwill.demo.lifecycle import financial_status, order_status
from goodwill.demo.timebase import acquisition_days, local_hours, to_datetime64


def test_catalogue_has_categories_with_their_time_to_opinion() -> None:
    catalog = build_catalog(42, "USD")
    assert 60 <= len(catalog) <= 200
    assert len({p.sku for p in catalog}) == len(catalog)
    days = {p.category: p.days_to_opinion for p in catalog}
    assert days["coffee"] == 7 and days["apparel"] == 14
    assert days["electronics"] == 30 and days["furniture"] == 45
    assert all(isinstance(p.price_minor, int) and p.price_minor > 0 for p in catalog)
    assert {p.category for p in catalog} == {c.name for c in CATEGORIES}


def test_catalogue_is_seeded_and_priced_per_currency() -> None:
    assert build_catalog(1, "USD") == build_catalog(1, "USD")
    usd = {p.sku: p.price_minor for p in build_catalog(1, "USD")}
    eur = {p.sku: p.price_minor for p in build_catalog(1, "EUR")}
    assert usd.keys() == eur.keys() and usd != eur


def test_order_status_is_the_latest_decisive_event() -> None:
    base = dict(cancelled=False, returned=False, fully_refunded=False, delivered=False,
                fulfilled=False, paid=False)  # fmt: skip
    assert order_status(**base) == "placed"
    assert order_status(**{**base, "paid": True}) == "paid"
    assert order_status(**{**base, "paid": True, "fulfilled": True}) == "fulfilled"
    delivered = {**base, "paid": True, "fulfilled": True, "delivered": True}
    assert order_status(**delivered) == "delivered"
    assert order_status(**{**delivered, "returned": True, "fully_refunded": True}) == "returned"
    assert order_status(**{**delivered, "fully_refunded": True}) == "refunded"
    assert order_status(**{**base, "paid": True, "cancelled": True}) == "cancelled"
    assert financial_status(paid=True, refunded=0, total=100, cancelled=False) == "paid"
    assert (
        financial_status(paid=True, refunded=40, total=100, cancelled=False) == "partially_refunded"
    )
    assert financial_status(paid=True, refunded=100, total=100, cancelled=True) == "refunded"
    assert financial_status(paid=False, refunded=0, total=100, cancelled=True) == "voided"
    assert financial_status(paid=False, refunded=0, total=100, cancelled=False) == "pending"


def test_time_helpers() -> None:
    start = np.datetime64("2024-11-01T00:00:00")
    stamps = to_datetime64(start, np.array([0.5, np.nan]))
    assert stamps[0] == np.datetime64("2024-11-01T12:00:00") and np.isnat(stamps[1])
    days = acquisition_days(start, np.linspace(0, 0.999, 200))
    assert (np.diff(days) >= 0).all() and days.min() >= 0 and days.max() < 730
    # A growing shop: more customers arrive in the second year than in the first.
    assert np.median(days) > 365
    hours = local_hours(np.random.default_rng(0).random(10_000))
    assert hours.min() >= 0 and hours.max() < 24
    assert ((hours >= 2) & (hours < 6)).mean() < 0.05
