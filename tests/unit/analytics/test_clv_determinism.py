"""Same data, same numbers: fits are reproducible, and forecasts stay finite at the edges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from goodwill.analytics import BGNBD, ParetoNBD
from goodwill.analytics.bgnbd import future_purchases

DATA = Path(__file__).parents[2] / "data" / "cdnow" / "cdnow_customers_summary.csv"


@pytest.mark.parametrize("model", [BGNBD, ParetoNBD])
def test_fitting_twice_gives_identical_estimates_and_errors(model: type) -> None:
    df = pl.read_csv(DATA)
    first = model().fit(df["frequency"], df["recency"], df["T"])
    second = model().fit(df["frequency"], df["recency"], df["T"])
    assert first.params == second.params
    assert first.standard_errors == second.standard_errors


def test_expected_purchases_stay_finite_without_dropout_heterogeneity() -> None:
    """Huge a and b (every customer drops out with the same probability) used to overflow 2F1."""
    x = np.array([0.0, 1.0, 2.0, 5.0, 50.0])
    T = np.array([100.0, 100.0, 200.0, 300.0, 300.0])
    out = future_purchases(0.07, 19.1, 1.64e6, 2.09e6, np.asarray(30.0), x, T, 1.0)
    assert np.isfinite(out).all() and (out >= 0).all()
    # the limit is a geometric drop-out with p = a / (a + b): at most 1/p purchases ahead
    assert out.max() <= (1.64e6 + 2.09e6) / 1.64e6
