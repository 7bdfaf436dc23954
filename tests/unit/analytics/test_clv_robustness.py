"""Property tests: forecasts are finite and sane for any valid customer and broad parameters.

lifetimes overflows to NaN/inf for large frequencies (e.g. x in the thousands); these models work
in log space and must stay finite for x up to 10,000 and any 0 <= t_x <= T.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from goodwill.analytics import BGBB, BGNBD, MBGNBD, ParetoNBD

positive = st.floats(0.02, 50.0)
scale = st.floats(0.05, 500.0)


@st.composite
def customers(draw):
    T = draw(st.floats(0.0, 400.0))
    x = draw(st.integers(0, 10_000))
    share = draw(st.floats(0.0, 1.0))
    tx = 0.0 if x == 0 else T * share
    if x > 0 and tx == 0.0:
        x = 0
    return float(x), tx, T


@st.composite
def models(draw):
    kind = draw(st.sampled_from(["bg", "mbg", "pareto"]))
    if kind == "pareto":
        return ParetoNBD.from_params(
            r=draw(positive), alpha=draw(scale), s=draw(positive), beta=draw(scale)
        )
    cls = BGNBD if kind == "bg" else MBGNBD
    return cls.from_params(r=draw(positive), alpha=draw(scale), a=draw(positive), b=draw(positive))


@settings(max_examples=300, deadline=None)
@given(models(), st.lists(customers(), min_size=1, max_size=5), st.floats(0.0, 520.0))
def test_forecasts_are_finite_and_in_range(model, rows, horizon):
    x, tx, T = (np.array(c) for c in zip(*rows, strict=True))
    p = model.p_alive(x, tx, T)
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    e = model.conditional_expected_purchases(horizon, x, tx, T)
    assert np.all(np.isfinite(e)) and np.all(e >= -1e-9)
    assert np.all(np.isfinite(model.expected_purchases(horizon)))
    assert np.all(np.isfinite(model.median_time_to_next_purchase(x, tx, T)))
    assert np.all(np.isfinite(model.customer_log_likelihood(x, tx, T)))


@settings(max_examples=100, deadline=None)
@given(models(), customers())
def test_forecasts_grow_with_the_horizon(model, row):
    x, tx, T = row
    e = model.conditional_expected_purchases(np.array([1.0, 10.0, 100.0]), x, tx, T)
    assert np.all(np.diff(e) >= -1e-9 * (1 + e[:-1]))


def test_extreme_frequencies_at_cdnow_estimates():
    bg = BGNBD.from_params(r=0.2426, alpha=4.4136, a=0.7929, b=2.4259)
    pareto = ParetoNBD.from_params(r=0.5532, alpha=10.5763, s=0.6062, beta=11.6715)
    x = np.array([0, 1, 100, 1000, 10_000, 100_000], dtype=float)
    tx = np.where(x > 0, 31.0, 0.0)  # last purchase at T: very much alive
    for model in (bg, pareto):
        assert np.all(np.isfinite(model.p_alive(x, tx, 31.0)))
        e = model.conditional_expected_purchases(52, x, tx, 31.0)
        assert np.all(np.isfinite(e)) and e[-1] > e[-2] > e[1]


@settings(max_examples=100, deadline=None)
@given(
    st.floats(0.05, 20),
    st.floats(0.05, 20),
    st.floats(0.05, 20),
    st.floats(0.05, 20),
    st.integers(1, 60),
    st.data(),
)
def test_bgbb_forecasts_are_finite(alpha, beta, gamma, delta, n, data):
    tx = data.draw(st.integers(0, n))
    x = 0 if tx == 0 else data.draw(st.integers(1, tx))
    model = BGBB.from_params(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    p = model.p_alive(x, tx, n)
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1 + 1e-12))
    assert np.all(np.isfinite(model.conditional_expected_purchases(10, x, tx, n)))
    assert np.all(np.isfinite(model.expected_purchases(n)))
