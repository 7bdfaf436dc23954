"""BG/BB on the donations example and MBG/NBD on CDNOW (figures cross-checked with lifetimes)."""

from __future__ import annotations

import numpy as np
import pytest

from goodwill.analytics import BGBB, MBGNBD, AnalyticsError
from goodwill.analytics.inputs import compress


@pytest.fixture(scope="module")
def bgbb(donations):
    return BGBB().fit_summary(donations, n_periods_col="periods", weights_col="weights")


def test_bgbb_reproduces_published_donation_estimates(bgbb):
    expected = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    for name, value in expected.items():
        assert bgbb.params[name] == pytest.approx(value, abs=1e-3), name
    assert bgbb.log_likelihood == pytest.approx(-33225.58, abs=0.01)
    assert bgbb.diagnostics.n_customers == 11104 and bgbb.diagnostics.converged


def test_bgbb_predictions_match_lifetimes(bgbb):
    x, tx, n = [0, 3, 6], [0, 6, 6], 6
    assert np.allclose(
        bgbb.conditional_expected_purchases(10, x, tx, n), [0.130218, 3.913420, 6.706378], atol=1e-5
    )
    assert np.allclose(bgbb.p_alive(x, tx, n), [0.116218, 1.0, 1.0], atol=1e-5)
    e = bgbb.expected_purchases(np.arange(0, 7))
    assert e[0] == 0 and np.all(np.diff(e) > 0)


def test_bgbb_likelihood_sum_and_input_checks(bgbb, donations):
    ll = bgbb.customer_log_likelihood(
        donations["frequency"], donations["recency"], donations["periods"]
    )
    assert float(ll @ donations["weights"].to_numpy()) == pytest.approx(bgbb.log_likelihood)
    with pytest.raises(AnalyticsError, match="frequency <= recency"):
        BGBB().fit([3], [2], [6])
    with pytest.raises(AnalyticsError, match="nobody"):
        BGBB().fit([0, 0], [0, 0], [6, 6])


@pytest.fixture(scope="module")
def mbg(cdnow_summary):
    return MBGNBD().fit_summary(cdnow_summary)


def test_mbgnbd_on_cdnow_matches_lifetimes(mbg):
    expected = {"r": 0.524838, "alpha": 6.182988, "a": 0.891356, "b": 1.614000}
    for name, value in expected.items():
        assert mbg.params[name] == pytest.approx(value, rel=1e-3), name
    assert mbg.log_likelihood == pytest.approx(-9582.13, abs=0.01)
    assert mbg.conditional_expected_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(
        1.26267, abs=1e-4
    )
    assert mbg.expected_purchases(39.0) == pytest.approx(1.18228, abs=1e-4)


def test_mbgnbd_does_not_assume_non_repeaters_alive(mbg):
    assert mbg.p_alive(0, 0, 38.86)[0] == pytest.approx(0.389716, abs=1e-5)


def test_mbgnbd_gradient(cdnow_summary):
    cols = tuple(cdnow_summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    objective = MBGNBD()._objective(compress(cols, np.ones(len(cdnow_summary))))
    theta = np.log([0.3, 5.0, 0.9, 2.0])
    _, grad = objective(theta)
    h = 1e-6
    numeric = [(objective(theta + e)[0] - objective(theta - e)[0]) / (2 * h) for e in np.eye(4) * h]
    assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-8)
