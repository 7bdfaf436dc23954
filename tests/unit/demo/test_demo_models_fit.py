"""The demo is faithful to the models it is meant to show: fitting BG/NBD to its orders gives
back roughly the parameters it was simulated with."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from tests.unit.demo.demo_kit import generate

from goodwill.analytics import BGNBD, GammaGamma, summarize
from goodwill.demo import purchases
from goodwill.demo.models import BATCH_SIZE, DemoSpec


@pytest.mark.slow
def test_bgnbd_recovers_the_simulated_parameters() -> None:
    shop = generate(DemoSpec(12_000, seed=11))
    frames = []
    for b in shop:
        o = b.frame("orders").columns
        frames.append(
            pl.DataFrame(
                {
                    "customer": np.asarray(o["person_id"]) + b.index * BATCH_SIZE,
                    "at": o["placed_at"].astype("datetime64[us]"),
                    "value": np.asarray(o["total_minor"]) / 100.0,
                    "status": o["status"],
                }
            )
        )
    orders = pl.concat(frames).filter(pl.col("status") != "cancelled")
    summary = summarize(orders, "customer", "at", "value", period="D", observation_end="2026-11-01")
    fit = BGNBD().fit_summary(summary).params
    assert fit["r"] == pytest.approx(purchases.R, rel=0.25)
    assert fit["alpha"] == pytest.approx(purchases.ALPHA, rel=0.3)
    assert fit["a"] == pytest.approx(purchases.A, rel=0.35)
    assert fit["b"] == pytest.approx(purchases.B, rel=0.35)
    # Spend: fitted on repeat buyers, the implied mean order value is in the shop's range.
    spend = GammaGamma().fit_summary(summary.filter(pl.col("frequency") > 0)).params
    mean_value = spend["p"] * spend["gamma"] / (spend["q"] - 1)
    assert 60 < mean_value < 140
