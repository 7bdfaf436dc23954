"""Customer value: discounted expected purchases and one-call scoring of a customer base.

A forecast factorises as P(alive | x, t_x, T) × E[purchases in (T, T+t] | alive, x, T]; the second
factor depends on (x, T) only, and real bases have few distinct (x, T) pairs. Scoring evaluates
the costly hypergeometric part once per pair and P(alive) (a few vector logs) per customer.

Discounting follows lifetimes: month k (k = 1..months) contributes its expected purchases times
``(1 + discount_rate) ** -k``; ``periods_per_month`` converts months to the model's time unit
(30 for days, 4.345 for weeks).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from goodwill.analytics.errors import AnalyticsError
from goodwill.analytics.inputs import (
    FloatArray,
    customer_arrays,
    frame_columns,
    group_pairs,
)
from goodwill.analytics.threads import both

if TYPE_CHECKING:
    from goodwill.analytics.gammagamma import GammaGamma
    from goodwill.analytics.purchase_model import PurchaseModel


def _horizon_table(
    model: PurchaseModel, ux: FloatArray, uT: FloatArray, times: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | alive] for every distinct pair (columns) and time (rows), in one
    vectorised call (one series loop for all horizons)."""
    return model._future_if_alive(model._p(), times[:, None], ux[None, :], uT[None, :])


def _check_discounting(months: int, rate: float) -> None:
    if months < 1 or rate <= -1:
        raise AnalyticsError("months must be >= 1 and discount_rate > -1")


def _discounted(cumulative: FloatArray, rate: float) -> FloatArray:
    """Σ_k (F_k - F_(k-1)) / (1 + rate)^k per column, from the cumulative F_1..F_months in rows
    (F_0 = 0: no purchases in no time)."""
    factors = (1.0 + rate) ** -np.arange(1, cumulative.shape[0] + 1, dtype=np.float64)
    return np.asarray(factors @ np.diff(cumulative, axis=0, prepend=0.0), dtype=np.float64)


def _monthly_times(months: int, ppm: float) -> FloatArray:
    return ppm * np.arange(1, months + 1, dtype=np.float64)


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
    _check_discounting(months, discount_rate)
    x, tx, t_end = customer_arrays(frequency, recency, T)
    ux, uT, inverse = group_pairs(x, t_end)
    table = _horizon_table(model, ux, uT, _monthly_times(months, periods_per_month))
    profile = _discounted(table, discount_rate)
    alive = model._p_alive(model._p(), x, tx, t_end)  # the same P(alive) as ``score``
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

    Work is split over two threads: the distinct (x, T) pairs are found while P(alive) and spend
    are computed per customer; the forecast series (every horizon in one loop) run on two halves
    of the pairs; the per-customer products on two halves of the rows.
    """
    if spend_model is not None:
        _check_discounting(months, discount_rate)
    cols = ("frequency", "recency", "T") + (("monetary_value",) if spend_model else ())
    arrays = frame_columns(frame, cols)
    x, tx, t_end = customer_arrays(arrays[0], arrays[1], arrays[2])
    p = model._p()
    times = np.array([float(horizon)])
    if spend_model is not None:
        times = np.concatenate([times, _monthly_times(months, periods_per_month)])

    def per_customer() -> tuple[FloatArray, FloatArray | None]:
        alive = model._p_alive(p, x, tx, t_end)
        spend = None if spend_model is None else spend_model._expected_spend(x, arrays[3])
        return alive, spend

    (ux, uT, inverse), (alive, spend) = both(partial(group_pairs, x, t_end), per_customer)
    # interleaved halves: the pairs are ordered by x, and small x need the most series terms
    table = np.empty((times.shape[0], ux.shape[0]))
    even, odd = slice(0, None, 2), slice(1, None, 2)
    table[:, even], table[:, odd] = both(
        partial(_horizon_table, model, ux[even], uT[even], times),
        partial(_horizon_table, model, ux[odd], uT[odd], times),
    )
    per_pair = [table[0]]
    if spend is not None:
        per_pair.append(_discounted(table[1:], discount_rate))  # discounted flows
    outputs = np.empty((len(per_pair), x.shape[0]))

    def finish(rows: slice) -> None:
        pair = inverse[rows]
        for k, values in enumerate(per_pair):
            target = outputs[k, rows]
            np.take(values, pair, out=target)
            target *= alive[rows]
            if k == 1 and spend is not None:
                target *= spend[rows]

    mid = x.shape[0] // 2
    both(partial(finish, slice(0, mid)), partial(finish, slice(mid, None)))
    out: dict[str, FloatArray] = {"p_alive": alive, "expected_purchases": outputs[0]}
    if spend is not None:
        out["expected_value"] = spend
        out["clv"] = outputs[1]
    base = frame if isinstance(frame, pl.DataFrame) else pl.DataFrame(arrays, schema=list(cols))
    return base.with_columns(**{k: pl.Series(k, v) for k, v in out.items()})
