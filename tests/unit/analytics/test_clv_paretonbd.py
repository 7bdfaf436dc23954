"""Pareto/NBD: published CDNOW estimates, the stable hypergeometric, gradients, P(alive)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import hyp2f1

from goodwill.analytics import ParetoNBD
from goodwill.analytics.hypergeometric import log_hyp2f1_one, log_tail_integral
from goodwill.analytics.inputs import compress


@pytest.fixture(scope="module")
def fitted(cdnow_summary):
    return ParetoNBD().fit_summary(cdnow_summary)


def test_reproduces_published_cdnow_estimates(fitted):
    expected = {"r": 0.5532, "alpha": 10.5763, "s": 0.6062, "beta": 11.6715}
    for name, value in expected.items():
        assert fitted.params[name] == pytest.approx(value, rel=1e-3), name
    assert fitted.log_likelihood == pytest.approx(-9594.98, abs=0.01)
    assert fitted.diagnostics.converged and not fitted.diagnostics.warnings


def test_p_alive_point_value(fitted):
    assert fitted.p_alive(26, 30.86, 31)[0] == pytest.approx(0.9979, abs=5e-5)


def test_continued_fraction_matches_scipy_where_scipy_is_reliable():
    b = np.array([0.5, 3, 10, 1.2, 50, 0.3])
    c = np.array([2, 4.5, 11, 1.3, 52, 5])
    z = np.array([0.1, 0.5, 0.9, 0.99, 0.999, 0.9999])
    assert np.allclose(np.exp(log_hyp2f1_one(b, c, z)), hyp2f1(1, b, c, z), rtol=1e-12)


@pytest.mark.parametrize(
    ("r", "alpha", "s", "beta", "x", "y"),
    [
        (0.55, 10.58, 0.61, 11.67, 2, 5.0),
        (0.55, 1.0, 0.61, 100.0, 0, 0.0),  # alpha << beta
        (0.55, 100.0, 0.61, 1.0, 3, 1.0),  # alpha >> beta
        (2.0, 3.0, 0.5, 4.0, 40, 10.0),
    ],
)
def test_tail_integral_matches_quadrature(r, alpha, s, beta, x, y):
    direct = quad(
        lambda t: (alpha + t) ** -(r + x) * (beta + t) ** -(s + 1),
        y,
        np.inf,
        epsabs=0,
        epsrel=1e-12,
    )[0]
    got = np.exp(log_tail_integral(r, alpha, s, beta, np.array([float(x)]), np.array([y])))[0]
    assert got == pytest.approx(direct, rel=1e-9)


def test_tail_integral_is_finite_for_huge_x():
    x = np.array([0.0, 100.0, 10_000.0, 1e6])
    for alpha, beta in ((10.0, 11.0), (11.0, 10.0), (0.01, 1000.0), (1000.0, 0.01)):
        assert np.all(np.isfinite(log_tail_integral(0.5, alpha, 0.6, beta, x, np.full(4, 3.0))))


def test_gradient_matches_finite_differences(cdnow_summary):
    cols = tuple(cdnow_summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    objective = ParetoNBD()._objective(compress(cols, np.ones(len(cdnow_summary))))
    for theta in (np.log([0.3, 5.0, 0.9, 2.0]), np.log([0.5, 20.0, 0.6, 3.0])):
        _, grad = objective(theta)
        h = 1e-6
        numeric = [
            (objective(theta + e)[0] - objective(theta - e)[0]) / (2 * h) for e in np.eye(4) * h
        ]
        assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_likelihood_sums_and_predictions(fitted, cdnow_summary):
    assert fitted.customer_log_likelihood(cdnow_summary).sum() == pytest.approx(
        fitted.log_likelihood
    )
    e = fitted.expected_purchases(np.array([0.0, 1.0, 10.0, 52.0]))
    assert e[0] == 0 and np.all(np.diff(e) > 0)
    assert e[2] == pytest.approx(0.42780, abs=1e-4)  # lifetimes at its (same) estimates


def test_bgnbd_hypergeometric_agrees_across_its_two_methods():
    from goodwill.analytics.hypergeometric import hyp2f1_series, hyp2f1_stable

    rng = np.random.default_rng(0)
    a = rng.uniform(-1.5, 3.0, 40)
    b = rng.uniform(-0.9, 2.0, 40)
    c = rng.uniform(0.3, 60.0, 40)
    z = rng.choice([0.5, 0.9, 0.96, 0.99, 0.995], 40)
    assert np.allclose(hyp2f1_stable(a, b, c, z), hyp2f1_series(a, b, c, z), rtol=1e-9)
    # the case SciPy gets wrong (inf) on its own
    assert np.isfinite(hyp2f1_stable(-0.5, -0.5, 99.0, 0.909))
