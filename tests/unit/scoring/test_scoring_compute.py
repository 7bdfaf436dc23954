"""Scoring a base from frames: sensible, labelled estimates for small and odd data; never NaN."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from goodwill.analytics import AnalyticsError
from goodwill.scoring.compute import score_base

AS_OF = datetime(2026, 6, 30)


def _tx(rows: list[tuple[int, int, float]]) -> pl.DataFrame:
    """(person, days before AS_OF, amount)."""
    return pl.DataFrame(
        [(p, AS_OF - timedelta(days=d), a) for p, d, a in rows],
        schema={"person_id": pl.Int64, "ordered_at": pl.Datetime("us"), "amount": pl.Float64},
        orient="row",
    )


EMPTY_I = pl.DataFrame(
    schema={
        "person_id": pl.Int64,
        "kind": pl.Utf8,
        "channel": pl.Utf8,
        "occurred_at": pl.Datetime("us"),
    }
)
EMPTY_A = pl.DataFrame(
    schema={"person_id": pl.Int64, "answered_at": pl.Datetime("us"), "score": pl.Int64}
)
EMPTY_P = pl.DataFrame(schema={"person_id": pl.Int64, "product_id": pl.Int64, "category": pl.Utf8})


def _shop(customers: int, seed: int, *, dropout: float = 0.3, rate: float = 1 / 40) -> pl.DataFrame:
    """Buy-till-you-die: purchases at a Poisson rate, dropping out after each purchase with a
    probability drawn per customer around ``dropout`` (heterogeneous, as in real bases)."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(customers):
        p_drop = float(rng.beta(2 * dropout / (1 - dropout), 2.0)) if dropout < 1 else 1.0
        first = int(rng.integers(30, 360))
        rows.append((p, first, float(rng.gamma(4, 10))))
        day = first
        while rng.random() > p_drop:
            day -= int(rng.exponential(1 / rate)) + 1
            if day < 0:
                break
            rows.append((p, day, float(rng.gamma(4, 10))))
    return _tx(rows)


def _finite(df: pl.DataFrame, *cols: str) -> bool:
    return all(np.isfinite(df[c].to_numpy()).all() for c in cols)


def test_a_shop_with_50_customers_gets_labelled_finite_estimates() -> None:
    result = score_base(_shop(50, 3, dropout=0.8), EMPTY_I, EMPTY_A, EMPTY_P, as_of=AS_OF)
    assert result.customers.height == 50
    assert _finite(result.customers, "p_alive", "expected_purchases", "clv", "health")
    assert result.model.status in {"fitted", "uncertain", "default model"}
    assert result.model.status != "fitted" or not result.model.warnings
    assert result.model.spend_model == "mean order value"  # fewer than 20 repeaters with spend
    assert any("repeat buyers" in w for w in result.model.warnings)


def test_nobody_repeats_uses_the_default_model_and_says_so() -> None:
    result = score_base(
        _tx([(p, 10 + p, 20.0) for p in range(30)]), EMPTY_I, EMPTY_A, EMPTY_P, as_of=AS_OF
    )
    assert result.model.status == "default model"
    assert any("repeat" in w for w in result.model.warnings)
    assert _finite(result.customers, "p_alive", "clv", "health")


def test_one_customer_is_scored_not_crashed() -> None:
    result = score_base(
        _tx([(1, 100, 30.0), (1, 20, 40.0)]), EMPTY_I, EMPTY_A, EMPTY_P, as_of=AS_OF
    )
    assert result.customers.height == 1 and _finite(result.customers, "p_alive", "clv", "health")


def test_zero_and_negative_values_are_not_purchases() -> None:
    tx = _tx([(1, 100, 30.0), (1, 50, 0.0), (2, 80, -5.0), (3, 60, 25.0)])
    result = score_base(tx, EMPTY_I, EMPTY_A, EMPTY_P, as_of=AS_OF)
    assert sorted(result.customers["person_id"].to_list()) == [1, 3]
    assert result.customers.filter(pl.col("person_id") == 1)["frequency"].item() == 0


def test_no_purchases_is_a_clear_error() -> None:
    with pytest.raises(AnalyticsError, match="no purchases"):
        score_base(_tx([(1, 10, 0.0)]), EMPTY_I, EMPTY_A, EMPTY_P, as_of=AS_OF)


def test_a_larger_base_fits_the_model_and_ranks_value() -> None:
    result = score_base(_shop(800, 11), EMPTY_I, EMPTY_A, EMPTY_P, as_of=AS_OF)
    assert result.model.status in {"fitted", "uncertain"}
    assert result.model.spend_model == "gamma-gamma"
    pct = result.customers["clv_percentile"]
    assert 0 < pct.min() <= pct.max() <= 100
    assert result.capital > result.health_weighted_capital > 0
