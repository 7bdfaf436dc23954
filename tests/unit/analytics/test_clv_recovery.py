"""Each model recovers its own parameters from 1,000,000 simulated customers (within 2%), and
its closed-form E[X(t)] matches the simulated mean. Seeded, so deterministic.

Continuous-time bases are simulated at day resolution in weeks (``time_step=1/7``), like real
summaries; that is also what lets the fits compress a million customers to ~350k rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from goodwill.analytics import (
    BGBB,
    BGNBD,
    MBGNBD,
    GammaGamma,
    ParetoNBD,
    simulate_bgbb,
    simulate_bgnbd,
    simulate_gammagamma,
    simulate_mbgnbd,
    simulate_paretonbd,
)

N = 1_000_000
T_WEEKS = np.random.default_rng(11).integers(26 * 7, 104 * 7, N) / 7

CASES = [
    (BGNBD, simulate_bgnbd, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}),
    (MBGNBD, simulate_mbgnbd, {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}),
    (ParetoNBD, simulate_paretonbd, {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 11.7}),
]


def _assert_close(fitted: dict[str, float], truth: dict[str, float]) -> None:
    for name, value in truth.items():
        assert fitted[name] == pytest.approx(value, rel=0.02), (name, fitted[name], value)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "simulate", "truth"), CASES, ids=["bgnbd", "mbgnbd", "paretonbd"]
)
def test_continuous_models_recover_their_parameters(model, simulate, truth):
    data = simulate(N, T_WEEKS, seed=7, time_step=1 / 7, **truth)
    fitted = model().fit_summary(data)
    _assert_close(fitted.params, truth)
    assert fitted.diagnostics.converged
    assert fitted.diagnostics.n_rows < N / 2


@pytest.mark.slow
def test_bgbb_recovers_its_parameters():
    truth = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78}
    data = simulate_bgbb(N, 10, seed=3, **truth)
    fitted = BGBB().fit_summary(data)
    _assert_close(fitted.params, truth)
    assert fitted.diagnostics.n_rows <= 66  # (n+1)(n+2)/2 distinct rows at most


@pytest.mark.slow
def test_gammagamma_recovers_its_parameters():
    truth = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    x = np.random.default_rng(5).poisson(3, N) + 1
    fitted = GammaGamma().fit_summary(simulate_gammagamma(x, seed=4, **truth))
    _assert_close(fitted.params, truth)


@pytest.mark.parametrize(
    ("model", "simulate", "truth"), CASES, ids=["bgnbd", "mbgnbd", "paretonbd"]
)
def test_expected_purchases_formula_matches_simulation(model, simulate, truth):
    t = 52.0
    data = simulate(200_000, t, seed=9, **truth)
    mean = data["frequency"].mean()
    sem = data["frequency"].std() / np.sqrt(data.height)
    assert model.from_params(**truth).expected_purchases(t) == pytest.approx(mean, abs=4 * sem)


def test_bgbb_expected_purchases_formula_matches_simulation():
    truth = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.78}
    data = simulate_bgbb(200_000, 8, seed=1, **truth)
    sem = data["frequency"].std() / np.sqrt(data.height)
    assert BGBB.from_params(**truth).expected_purchases(8) == pytest.approx(
        data["frequency"].mean(), abs=4 * sem
    )


def test_simulators_are_seeded_and_valid():
    a = simulate_paretonbd(1000, 30.0, seed=1, r=0.5, alpha=5, s=0.5, beta=5, time_step=1 / 7)
    b = simulate_paretonbd(1000, 30.0, seed=1, r=0.5, alpha=5, s=0.5, beta=5, time_step=1 / 7)
    assert a.equals(b)
    assert (a["recency"] <= a["T"]).all() and (a.filter(a["frequency"] == 0)["recency"] == 0).all()
