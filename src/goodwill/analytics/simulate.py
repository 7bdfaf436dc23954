"""Seeded simulators drawing customer summaries from each model's own story.

Used to test that fits recover their parameters, to benchmark on realistic synthetic bases, and
to show users what a model implies. Every simulator is vectorised (no loop over customers) and
fully determined by ``seed``.

Continuous-time simulators take ``T`` (scalar or one per customer, in any time unit) and an
optional ``time_step``: recency is then rounded down to that grid (e.g. ``1/7`` for day-resolution
data measured in weeks), as real summaries are. Output is a Polars frame with ``frequency``,
``recency``, ``T``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from goodwill.analytics.errors import AnalyticsError
from goodwill.analytics.inputs import FloatArray


def _horizons(n_customers: int, T: Any, time_step: float | None) -> FloatArray:
    if n_customers < 1:
        raise AnalyticsError("n_customers must be >= 1")
    t_end = np.broadcast_to(np.asarray(T, dtype=np.float64), (n_customers,)).copy()
    if time_step is not None:
        if not time_step > 0:
            raise AnalyticsError("time_step must be positive")
        t_end = np.floor(t_end / time_step + 1e-9) * time_step
    if not np.all(np.isfinite(t_end)) or np.any(t_end <= 0):
        raise AnalyticsError("T must be positive and finite (at least one time_step)")
    return t_end


def _summary(
    x: FloatArray,
    window: FloatArray,
    n_events: FloatArray,
    T: FloatArray,
    time_step: float | None,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Recency = the x-th of n_events uniform arrival times on [0, window]: window · Beta(x, n-x+1).

    With ``time_step`` the times are observed on a grid, as summaries of dated transactions are:
    the first purchase falls at a uniform offset inside its step, the last one is reported as
    the start of its step, and T is a whole number of steps (rounded down by the caller).
    Same-step repeat purchases are not merged (rare at realistic daily rates).
    """
    rep = x > 0
    recency = np.zeros(x.shape[0])
    recency[rep] = window[rep] * rng.beta(x[rep], n_events[rep] - x[rep] + 1)
    if time_step is not None:
        offset = rng.uniform(0.0, time_step, x.shape[0])
        recency = np.where(rep, np.floor((offset + recency) / time_step) * time_step, 0.0)
        recency = np.minimum(recency, T)
    return pl.DataFrame({"frequency": x.astype(np.int64), "recency": recency, "T": T})


def simulate_bgnbd(
    n_customers: int,
    T: Any,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    seed: int = 0,
    time_step: float | None = None,
) -> pl.DataFrame:
    """BG/NBD: Poisson(λ) purchases, λ ~ Gamma(r, rate α); after each repeat purchase the
    customer drops out with probability p ~ Beta(a, b)."""
    return _geometric_dropout(n_customers, T, r, alpha, a, b, seed, time_step, at_first=False)


def simulate_mbgnbd(
    n_customers: int,
    T: Any,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    seed: int = 0,
    time_step: float | None = None,
) -> pl.DataFrame:
    """MBG/NBD: as BG/NBD, but the dropout coin is also tossed right after the first purchase."""
    return _geometric_dropout(n_customers, T, r, alpha, a, b, seed, time_step, at_first=True)


def _geometric_dropout(
    n: int,
    T: Any,
    r: float,
    alpha: float,
    a: float,
    b: float,
    seed: int,
    time_step: float | None,
    *,
    at_first: bool,
) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    t_end = _horizons(n, T, time_step)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    # repeat purchases made before dropping out (geometric counts failures before success)
    budget = rng.geometric(np.maximum(p, 1e-300)).astype(np.float64) - (1.0 if at_first else 0.0)
    n_events = rng.poisson(lam * t_end).astype(np.float64)
    x = np.minimum(n_events, budget)
    return _summary(x, t_end, n_events, t_end, time_step, rng)


def simulate_paretonbd(
    n_customers: int,
    T: Any,
    *,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    seed: int = 0,
    time_step: float | None = None,
) -> pl.DataFrame:
    """Pareto/NBD: Poisson(λ) purchases while alive, λ ~ Gamma(r, α); exponential lifetime with
    rate μ ~ Gamma(s, β)."""
    rng = np.random.default_rng(seed)
    t_end = _horizons(n_customers, T, time_step)
    lam = rng.gamma(r, 1.0 / alpha, n_customers)
    mu = rng.gamma(s, 1.0 / beta, n_customers)
    window = np.minimum(rng.exponential(1.0 / np.maximum(mu, 1e-300)), t_end)
    x = rng.poisson(lam * window).astype(np.float64)
    return _summary(x, window, x, t_end, time_step, rng)


def simulate_bgbb(
    n_customers: int,
    n_periods: int,
    *,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
    seed: int = 0,
) -> pl.DataFrame:
    """BG/BB: transact at each opportunity with p ~ Beta(α, β) while alive; die before each
    opportunity with θ ~ Beta(γ, δ). Returns frequency, recency (last opportunity with a
    transaction, 0 if none) and n_periods. Memory is n_customers × n_periods booleans, in chunks."""
    rng = np.random.default_rng(seed)
    if n_periods < 1:
        raise AnalyticsError("n_periods must be >= 1")
    p = rng.beta(alpha, beta, n_customers)
    theta = rng.beta(gamma, delta, n_customers)
    alive_for = np.minimum(rng.geometric(np.maximum(theta, 1e-300)) - 1, n_periods)
    x = np.empty(n_customers, dtype=np.int64)
    tx = np.empty(n_customers, dtype=np.int64)
    chunk = max(1, 4_000_000 // n_periods)
    steps = np.arange(n_periods)
    for lo in range(0, n_customers, chunk):
        hi = min(lo + chunk, n_customers)
        buys = (steps[None, :] < alive_for[lo:hi, None]) & (
            rng.random((hi - lo, n_periods)) < p[lo:hi, None]
        )
        x[lo:hi] = buys.sum(axis=1)
        last = n_periods - np.argmax(buys[:, ::-1], axis=1)
        tx[lo:hi] = np.where(x[lo:hi] > 0, last, 0)
    return pl.DataFrame(
        {"frequency": x, "recency": tx, "n_periods": np.full(n_customers, n_periods)}
    )


def simulate_gammagamma(
    frequency: Any, *, p: float, q: float, gamma: float, seed: int = 0
) -> pl.DataFrame:
    """Gamma-Gamma: per-customer scale ν ~ Gamma(q, rate γ); each of the x repeat transactions is
    Gamma(p, rate ν), so their mean is Gamma(p x, rate x ν). ``monetary_value`` is 0 when x = 0."""
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, dtype=np.float64)
    nu = np.asarray(rng.gamma(q, 1.0 / gamma, x.shape[0]), dtype=np.float64)
    rep = x > 0
    m = np.zeros(x.shape[0])
    m[rep] = rng.gamma(p * x[rep], 1.0 / (x[rep] * nu[rep]))
    return pl.DataFrame({"frequency": x.astype(np.int64), "monetary_value": m})
