"""Scoring a base, discounted value, time to next purchase, and fits on very small data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from goodwill.analytics import (
    BGNBD,
    MBGNBD,
    AnalyticsError,
    GammaGamma,
    ParetoNBD,
    discounted_purchases,
    score,
)

BG = BGNBD.from_params(r=0.2426, alpha=4.4136, a=0.7929, b=2.4259)
GG = GammaGamma.from_params(p=6.25, q=3.74, gamma=15.44)


@pytest.fixture(scope="module")
def base(cdnow_spend):
    return cdnow_spend.rename({"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})


def test_score_matches_the_single_predictions(base):
    out = score(
        BG,
        base,
        horizon=39.0,
        spend_model=GG,
        months=12,
        discount_rate=0.01,
        periods_per_month=4.345,
    )
    assert out.columns[: base.width] == base.columns
    assert np.allclose(out["p_alive"], BG.p_alive(base))
    assert np.allclose(
        out["expected_purchases"], BG.conditional_expected_purchases(39.0, base), rtol=1e-12
    )
    clv = GG.customer_lifetime_value(
        BG, base["frequency"], base["recency"], base["T"], base["monetary_value"], time=12, freq="W"
    )
    assert np.allclose(out["clv"], clv, rtol=1e-12)
    assert out["clv"].is_finite().all() and (out["clv"] >= 0).all()


def test_score_accepts_pandas(base):
    out = score(BG, base.to_pandas(), horizon=10.0)
    assert isinstance(out, pl.DataFrame)
    assert {"p_alive", "expected_purchases"} <= set(out.columns)


def test_discounting_lowers_value_and_zero_rate_is_the_plain_forecast(base):
    x, tx, T = base["frequency"], base["recency"], base["T"]
    plain = discounted_purchases(BG, x, tx, T, months=6, discount_rate=0.0, periods_per_month=4.345)
    assert np.allclose(plain, BG.conditional_expected_purchases(6 * 4.345, x, tx, T), rtol=1e-10)
    discounted = discounted_purchases(
        BG, x, tx, T, months=6, discount_rate=0.05, periods_per_month=4.345
    )
    assert np.all(discounted <= plain + 1e-12)
    with pytest.raises(AnalyticsError):
        discounted_purchases(BG, x, tx, T, months=0, discount_rate=0.0, periods_per_month=1)


def test_time_to_next_purchase():
    mean = BG.expected_time_to_next_purchase([0, 1, 5], [0, 10, 30], [38, 38, 38])
    assert math.isinf(mean[0])  # r + x = 0.24: the mean wait is infinite
    assert mean[1] == pytest.approx((4.4136 + 38) / (0.2426 + 1 - 1))
    median = BG.median_time_to_next_purchase([0, 1, 5], [0, 10, 30], [38, 38, 38])
    assert np.all(np.isfinite(median)) and median[0] > median[1] > median[2]


def test_predictions_accept_a_summary_frame(base):
    assert np.allclose(BG.p_alive(base), BG.p_alive(base["frequency"], base["recency"], base["T"]))
    assert np.allclose(BG.p_alive(base.to_pandas()), BG.p_alive(base))


def test_from_params_validates():
    with pytest.raises(AnalyticsError, match="missing"):
        BGNBD.from_params(r=1, alpha=1, a=1)
    with pytest.raises(AnalyticsError, match="positive"):
        BGNBD.from_params(r=1, alpha=-1, a=1, b=1)


@pytest.mark.parametrize("model", [BGNBD, MBGNBD, ParetoNBD])
def test_fifty_customers_give_estimates_with_uncertainty(model, cdnow_summary):
    small = cdnow_summary.sample(50, seed=1)
    fitted = model().fit_summary(small)
    assert all(math.isfinite(v) and v > 0 for v in fitted.params.values())
    assert fitted.diagnostics.warnings  # at least "only 50 customers"
    assert fitted.summary().height == 4
    assert np.all(np.isfinite(fitted.p_alive(small)))


def test_degenerate_data_reports_infinite_errors_instead_of_raising():
    # two customers, one repeat purchase: the dropout process is not identified
    fitted = BGNBD().fit([1, 0], [5.0, 0.0], [10.0, 10.0])
    d = fitted.diagnostics
    assert not d.converged or not d.hessian_positive_definite or d.at_bounds
    assert d.warnings
    assert np.all(np.isfinite(fitted.p_alive([1, 0], [5.0, 0.0], [10.0, 10.0])))


def test_gammagamma_small_and_pandas_input():
    frame = pd.DataFrame(
        {"frequency": [1, 2, 3, 1, 5], "monetary_value": [10.0, 20.0, 15.0, 30.0, 12.0]}
    )
    fitted = GammaGamma().fit_summary(frame)
    assert any("repeat buyers" in w for w in fitted.diagnostics.warnings)
    assert np.all(np.isfinite(fitted.conditional_expected_average_value(frame)))
