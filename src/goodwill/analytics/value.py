"""Customer value: discounted expected purchases and one-call scoring of a customer base.

A forecast factorises as P(alive | x, t_x, T) × E[purchases in (T, T+t] | alive, x, T]; the second
factor depends on (x, T) only, and real bases have few distinct (x, T) pairs. Scoring evaluates
the costly hypergeometric part once per pair and P(alive) (a few vector logs) per customer.

Discounting follows lifetimes: month k (k = 1..months) contributes its expected purchases times
``(1 + discount_rate) ** -k``; ``periods_per_month`` converts months to the model's time unit
(30 for days, 4.345 for weeks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from goodwill.analytics.errors import AnalyticsError
from goodwill.analytics.inputs import FloatArray, customer_arrays, frame_columns, group_pairs
from goodwill.analytics.logspace import blockwise_map

if TYPE_CHECKING:
    from goodwill.analytics.gammagamma import GammaGamma
    from goodwill.analytics.purchase_model import PurchaseModel


def _horizon_table(
    model: PurchaseModel, ux: FloatArray, uT: FloatArray, times: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | alive] for every distinct pair (columns) and time (rows), in one
    vectorised call (one series loop for all horizons)."""
    return model._future_if_alive(model._p(), times[:, None], ux[None, :], uT[None, :])


def _discount_profile(
    model: PurchaseModel, ux: FloatArray, uT: FloatArray, months: int, rate: float, ppm: float
) -> FloatArray:
    """Σ_k (F(k·ppm) - F((k-1)·ppm)) / (1 + rate)^k per pair, F = future purchases if alive."""
    times = ppm * np.arange(0, months + 1, dtype=np.float64)
    table = _horizon_table(model, ux, uT, times)
    factors = (1.0 + rate) ** -np.arange(1, months + 1, dtype=np.float64)
    return np.asarray(np.einsum("k,kp->p", factors, np.diff(table, axis=0)), dtype=np.float64)


def discounted_purchases(
    model: PurchaseModel,
    frequency: Any,
    recency: Any,
    T: Any,
    *,
    months: int,
    discount_rate: float,
    periods_per_month: float,
) -> FloatArray:
    """Sum over months k = 1..months of E[purchases in month k] / (1 + discount_rate)^k."""
    if months < 1 or discount_rate <= -1:
        raise AnalyticsError("months must be >= 1 and discount_rate > -1")
    x, tx, t_end = customer_arrays(frequency, recency, T)
    ux, uT, inverse = group_pairs(x, t_end)
    profile = _discount_profile(model, ux, uT, months, discount_rate, periods_per_month)
    p = model._p()
    alive = blockwise_map(lambda *c: np.exp(model._log_p_alive(p, *c)), (x, tx, t_end))
    return np.asarray(alive * profile[inverse], dtype=np.float64)


def score(
    model: PurchaseModel,
    frame: Any,
    *,
    horizon: float,
    spend_model: GammaGamma | None = None,
    months: int = 12,
    discount_rate: float = 0.01,
    periods_per_month: float = 30.0,
) -> pl.DataFrame:
    """Score a summary frame: ``p_alive``, ``expected_purchases`` over ``horizon`` time units and,
    with a ``spend_model``, ``expected_value`` (per purchase) and ``clv`` (discounted, as in
    :meth:`GammaGamma.customer_lifetime_value`). Columns are appended to the frame's own.
    """
    cols = ("frequency", "recency", "T") + (("monetary_value",) if spend_model else ())
    arrays = frame_columns(frame, cols)
    x, tx, t_end = customer_arrays(arrays[0], arrays[1], arrays[2])
    p = model._p()
    alive = blockwise_map(lambda *c: np.exp(model._log_p_alive(p, *c)), (x, tx, t_end))
    ux, uT, inverse = group_pairs(x, t_end)
    future = _horizon_table(model, ux, uT, np.array([float(horizon)]))[0]
    out: dict[str, FloatArray] = {"p_alive": alive, "expected_purchases": alive * future[inverse]}
    if spend_model is not None:
        spend = spend_model.conditional_expected_average_value(x, arrays[3])
        profile = _discount_profile(model, ux, uT, months, discount_rate, periods_per_month)
        out["expected_value"] = spend
        out["clv"] = spend * alive * profile[inverse]
    base = frame if isinstance(frame, pl.DataFrame) else pl.DataFrame(arrays, schema=list(cols))
    return base.with_columns(**{k: pl.Series(k, v) for k, v in out.items()})
