"""Seeded synthetic data for the CLV benchmarks (runs in the project venv).

* ``transactions.parquet``: ~10,000,000 dated transactions of 1,700,000 customers over two years
  (first purchases spread over year one, day resolution, skewed purchase counts, positive values).
* ``bgnbd.parquet`` / ``pareto.parquet``: per-customer summaries (frequency, recency, T in weeks on
  a day grid) simulated from BG/NBD and Pareto/NBD with CDNOW-like parameters, plus a Gamma-Gamma
  ``monetary_value``.
* ``spend.parquet``: repeat buyers' (frequency, monetary_value) for the Gamma-Gamma fit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from goodwill.analytics import simulate_bgnbd, simulate_gammagamma, simulate_paretonbd

START = dt.date(2023, 1, 1)
DAYS = 730
OBSERVATION_END = START + dt.timedelta(days=DAYS - 1)
BGNBD_TRUTH = {"r": 0.2426, "alpha": 4.4136, "a": 0.7929, "b": 2.4259}
PARETO_TRUTH = {"r": 0.5532, "alpha": 10.5763, "s": 0.6062, "beta": 11.6715}
SPEND_TRUTH = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def transactions(n_tx: int, n_customers: int, seed: int) -> pl.DataFrame:
    """Exactly ``n_tx`` transactions; every customer has at least one (their first)."""
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 365, n_customers)
    propensity = rng.gamma(0.5, 1.0, n_customers)
    extra = rng.choice(n_customers, size=n_tx - n_customers, p=propensity / propensity.sum())
    cust = np.concatenate([np.arange(n_customers), extra])
    span = DAYS - first[cust]
    day = np.where(
        np.arange(cust.shape[0]) < n_customers,
        first[cust],
        first[cust] + np.floor(rng.random(cust.shape[0]) * span).astype(np.int64),
    )
    ids = rng.permutation(n_customers).astype(np.int64) + 1_000_000
    order = np.argsort(day, kind="stable")  # exports come in time order
    dates = pl.Series(
        "date", (day[order] + (START - dt.date(1970, 1, 1)).days).astype(np.int32)
    ).cast(pl.Date)
    return pl.DataFrame(
        {
            "customer_id": ids[cust[order]],
            "date": dates,
            "value": np.round(rng.gamma(2.0, 25.0, n_tx) + 0.5, 2)[order],
        }
    )


def summaries(n_customers: int, seed: int) -> dict[str, pl.DataFrame]:
    """Model-simulated summaries at day resolution, T between half a year and two years."""
    rng = np.random.default_rng(seed)
    t_weeks = rng.integers(182, DAYS, n_customers) / 7
    bg = simulate_bgnbd(n_customers, t_weeks, seed=seed + 1, time_step=1 / 7, **BGNBD_TRUTH)
    pareto = simulate_paretonbd(
        n_customers, t_weeks, seed=seed + 2, time_step=1 / 7, **PARETO_TRUTH
    )
    spend = simulate_gammagamma(bg["frequency"], seed=seed + 3, **SPEND_TRUTH)
    bg = bg.with_columns(spend["monetary_value"])
    buyers = int(0.444 * n_customers)
    x = rng.poisson(2.0, buyers) + 1
    repeat = simulate_gammagamma(x, seed=seed + 4, **SPEND_TRUTH)
    return {"bgnbd": bg, "pareto": pareto, "spend": repeat}


def ensure(directory: Path, *, customers: int, transactions_n: int, seed: int) -> dict[str, Path]:
    """Write the data files once per (size, seed); return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    tag = f"{transactions_n}_{customers}_{seed}"
    paths = {
        "transactions": directory / f"transactions_{tag}.parquet",
        "bgnbd": directory / f"bgnbd_{tag}.parquet",
        "pareto": directory / f"pareto_{tag}.parquet",
        "spend": directory / f"spend_{tag}.parquet",
    }
    if not paths["transactions"].exists():
        transactions(transactions_n, int(transactions_n * 0.17), seed).write_parquet(
            paths["transactions"]
        )
    if not paths["spend"].exists():
        for name, frame in summaries(customers, seed).items():
            frame.write_parquet(paths[name])
    return paths
