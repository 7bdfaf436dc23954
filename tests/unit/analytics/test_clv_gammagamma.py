"""Gamma-Gamma spend model on the CDNOW repeat buyers."""

from __future__ import annotations

import numpy as np
import pytest

from goodwill.analytics import BGNBD, AnalyticsError, GammaGamma


@pytest.fixture(scope="module")
def spend(cdnow_spend):
    return GammaGamma().fit(cdnow_spend["x"], cdnow_spend["zbar"])


def test_reproduces_published_estimates(spend):
    assert spend.params["p"] == pytest.approx(6.25, abs=0.01)
    assert spend.params["q"] == pytest.approx(3.74, abs=0.01)
    assert spend.params["gamma"] == pytest.approx(15.44, abs=0.01)
    assert spend.log_likelihood == pytest.approx(-4055.92, abs=0.01)
    assert spend.diagnostics.n_customers == 946
    assert spend.diagnostics.converged


def test_conditional_average_value_shrinks_towards_the_population_mean(spend):
    p, q, g = spend.params.values()
    population = p * g / (q - 1)
    v = spend.conditional_expected_average_value([0, 1, 10, 100], [0, 100, 100, 100])
    assert v[0] == pytest.approx(population)
    assert population < v[1] < v[2] < v[3] < 100 + 1


def test_clv_matches_a_direct_monthly_sum(spend, cdnow_spend):
    model = BGNBD().fit(cdnow_spend["x"], cdnow_spend["t_x"], cdnow_spend["T"])
    x, tx, T, m = (cdnow_spend[c].to_numpy()[:50] for c in ("x", "t_x", "T", "zbar"))
    clv = spend.customer_lifetime_value(model, x, tx, T, m, time=6, discount_rate=0.01, freq="W")
    factor = 4.345
    direct = np.zeros(50)
    for k in range(1, 7):
        step = model.conditional_expected_purchases(
            k * factor, x, tx, T
        ) - model.conditional_expected_purchases((k - 1) * factor, x, tx, T)
        direct += step / 1.01**k
    direct *= spend.conditional_expected_average_value(x, m)
    assert np.allclose(clv, direct, rtol=1e-10)
    assert np.all(np.isfinite(clv)) and np.all(clv >= 0)


def test_rejects_non_positive_spend_of_repeat_buyers():
    with pytest.raises(AnalyticsError, match="monetary_value <= 0"):
        GammaGamma().fit([1, 2, 3], [10.0, 0.0, 5.0])
    with pytest.raises(AnalyticsError, match="at least 2"):
        GammaGamma().fit([1, 0], [10.0, 0.0])


def test_analytic_gradient(cdnow_spend):
    x, m = cdnow_spend["x"].to_numpy(), cdnow_spend["zbar"].to_numpy()
    captured = {}

    import goodwill.analytics.gammagamma as gg

    original = gg.maximize_likelihood

    def spy(objective, *args, **kwargs):
        captured["f"] = objective
        return original(objective, *args, **kwargs)

    gg.maximize_likelihood = spy
    try:
        GammaGamma().fit(x, m)
    finally:
        gg.maximize_likelihood = original
    f = captured["f"]
    theta = np.log([5.0, 3.0, 12.0])
    _, grad = f(theta)
    h = 1e-6
    numeric = [(f(theta + e)[0] - f(theta - e)[0]) / (2 * h) for e in np.eye(3) * h]
    assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-8)
