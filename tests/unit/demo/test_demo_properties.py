"""Whatever the seed and size, a generated shop keeps its invariants (tiny shops included)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.demo.demo_kit import column, generate

from goodwill.demo.lifecycle import order_status
from goodwill.demo.models import DemoSpec


@settings(max_examples=30, deadline=None)
@given(
    customers=st.integers(1, 120),
    seed=st.integers(0, 2**32),
    currency=st.sampled_from(["USD", "EUR"]),
)
def test_invariants_hold_for_any_seed(customers: int, seed: int, currency: str) -> None:
    shop = generate(DemoSpec(customers, seed=seed, currency=currency))
    assert len(column(shop, "persons", "first_name")) == customers
    keys = column(shop, "interactions", "idempotency_key")
    assert len(keys) == len(set(keys))
    emails = [v for k, v in zip(column(shop, "identities", "kind"), column(shop, "identities", "value"), strict=True) if k == "email"]  # fmt: skip
    assert len(emails) == len(set(emails)) == customers
    today = np.datetime64("2026-11-01T00:00:00")
    for batch in shop:
        o = batch.frame("orders").columns
        for i, status in enumerate(o["status"]):
            has = {k: not np.isnat(o[f"{k}_at"][i]) for k in ("paid", "fulfilled", "delivered", "cancelled", "returned", "refunded")}  # fmt: skip
            refund, total = int(o["refunded_minor"][i]), int(o["total_minor"][i])
            assert status == order_status(
                cancelled=has["cancelled"], returned=has["returned"],
                fully_refunded=refund > 0 and refund >= total - int(o["shipping_minor"][i]),
                delivered=has["delivered"], fulfilled=has["fulfilled"], paid=has["paid"],
            )  # fmt: skip
        occurred = batch.frame("interactions").columns.get("occurred_at")
        if occurred is not None and len(occurred):
            assert occurred.max() < today
