"""Shared loaders for the CDNOW reference data (tests/data/cdnow, see its README for attribution)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest

CDNOW = Path(__file__).resolve().parents[2] / "data" / "cdnow"


def _load_sample() -> pl.DataFrame:
    rows = np.loadtxt(CDNOW / "CDNOW_sample.txt")
    dates = [dt.date(int(d) // 10000, int(d) // 100 % 100, int(d) % 100) for d in rows[:, 2]]
    return pl.DataFrame(
        {
            "customer": rows[:, 1].astype(np.int64),
            "date": dates,
            "cds": rows[:, 3],
            "dollars": rows[:, 4],
        }
    )


@pytest.fixture(scope="session")
def cdnow_transactions() -> pl.DataFrame:
    """6,919 transactions of the 2,357-customer CDNOW sample (sample id, date, cds, dollars)."""
    return _load_sample()


@pytest.fixture(scope="session")
def cdnow_summary() -> pl.DataFrame:
    """The papers' calibration summary: ID, frequency, recency, T (weeks)."""
    return pl.read_csv(CDNOW / "cdnow_customers_summary.csv")


@pytest.fixture(scope="session")
def cdnow_spend() -> pl.DataFrame:
    """Summary with mean repeat spend: ID, x, t_x, T, zbar."""
    return pl.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="session")
def donations() -> pl.DataFrame:
    """BG/BB example: frequency, recency, periods (6), weights (11,104 donors)."""
    return pl.read_csv(CDNOW / "donations.csv")
