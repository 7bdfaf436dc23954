"""The fast paths of scoring agree with the general ones they replace.

Distinct (x, T) pairs by direct addressing vs hashing, direct P(alive) vs exp(log P(alive)),
the scalar-parameter 2F1 series vs the general one, and two threads vs one.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.special import hyp2f1

from goodwill.analytics import BGNBD, MBGNBD, GammaGamma, ParetoNBD, score
from goodwill.analytics.hypergeometric import _series_scalar_ab, hyp2f1_series
from goodwill.analytics.inputs import _hashed_pairs, grid_codes, group_pairs
from goodwill.analytics.threads import both, thread_count


def _pair_set(ux, ut):
    return sorted(zip(ux.tolist(), ut.tolist(), strict=True))


def _check_pairs(x, t):
    ux, ut, inverse = group_pairs(x, t)
    # every row maps to a pair holding exactly its own values, and pairs are distinct
    assert np.array_equal(ux[inverse], x) and np.array_equal(ut[inverse], t)
    assert len(set(zip(ux.tolist(), ut.tolist(), strict=True))) == ux.shape[0]
    hx, ht, _ = _hashed_pairs(x, t)
    assert _pair_set(ux, ut) == _pair_set(hx, ht)
    return ux, ut, inverse


def test_pairs_on_a_day_grid_are_found_by_direct_addressing():
    rng = np.random.default_rng(0)
    t = rng.integers(26 * 7, 730, 50_000) / 7  # weeks on a day grid
    x = rng.poisson(1.5, t.shape[0]).astype(np.float64)
    assert grid_codes(t) is not None
    ux, ut, _ = _check_pairs(x, t)
    order = np.lexsort((ut, ux))
    assert np.array_equal(order, np.arange(ux.shape[0]))  # ordered by x, then t


def test_pairs_off_any_grid_fall_back_to_hashing():
    rng = np.random.default_rng(1)
    t = rng.uniform(0, 100, 20_000)
    x = rng.poisson(2.0, t.shape[0]).astype(np.float64)
    assert grid_codes(t) is None
    _check_pairs(x, t)


def test_pairs_with_a_rare_fine_step_and_huge_frequencies():
    # the strided sample sees only whole weeks; one customer sits half a week off that grid
    t = np.repeat(np.arange(10.0, 60.0), 200)
    t[777] += 0.5
    x = np.zeros(t.shape[0])
    x[::3] = 100_000.0  # (x_max + 1) * codes is too big for the table: x is ranked first
    x[1::7] = 3.0
    _check_pairs(x, t)
    _check_pairs(x[:1], t[:1])
    _check_pairs(np.zeros(5), np.full(5, 7.0))  # a single T value


def test_grid_codes_never_merge_distinct_values():
    t = np.array([0.0, 1.0, 2.0, 3.0, 2.0 + 1e-9] * 1000)
    found = grid_codes(t)
    if found is not None:
        code, values = found
        assert np.array_equal(values[code], t)


@pytest.mark.parametrize("cls", [BGNBD, MBGNBD])
@pytest.mark.parametrize(
    "params",
    [
        (0.2426, 4.4136, 0.7929, 2.4259),
        (0.02, 0.05, 0.02, 0.02),
        (50.0, 500.0, 50.0, 50.0),
        (2.0, 1.0, 3.0, 1.0),  # b = 1: BG/NBD's odds for x = 0 would divide by zero
        (60.0, 0.05, 0.5, 0.5),  # the x = 0 exponent overflows
    ],
)
def test_direct_p_alive_matches_the_log_space_form(cls, params):
    rng = np.random.default_rng(2)
    x = np.repeat([0.0, 1.0, 2.0, 10.0, 100.0, 1000.0, 10_000.0], 300)
    T = rng.uniform(0.0, 400.0, x.shape[0])
    tx = np.where(x > 0, T * rng.uniform(0.0, 1.0, x.shape[0]), 0.0)
    model = cls.from_params(r=params[0], alpha=params[1], a=params[2], b=params[3])
    direct = model._p_alive(model._p(), x, tx, T)
    reference = np.exp(model._log_p_alive(model._p(), x, tx, T))
    assert np.all(np.isfinite(direct)) and np.all((direct >= 0) & (direct <= 1))
    assert np.allclose(direct, reference, rtol=1e-10, atol=1e-300)
    if cls is BGNBD:
        assert np.all(direct[x == 0] == 1.0)


def test_scalar_parameter_series_matches_the_general_series_and_scipy():
    rng = np.random.default_rng(3)
    c = rng.uniform(0.3, 80.0, 5_000)
    z = rng.uniform(0.0, 0.95, 5_000)
    z[:50] = 0.0
    for a, b in [(1.2, -0.2), (-1.5, 0.7), (0.4, 2.5), (-2.0, -3.0)]:
        fast = _series_scalar_ab(a, b, c, z)
        general = hyp2f1_series(np.full_like(c, a), np.full_like(c, b), c, z)
        assert np.allclose(fast, general, rtol=1e-13)
        assert np.allclose(fast, hyp2f1(a, b, c, z), rtol=1e-9)
    assert _series_scalar_ab(0.5, 0.5, c.reshape(50, 100), z.reshape(50, 100)).shape == (50, 100)


@pytest.fixture(scope="module")
def base(cdnow_spend):
    frame = cdnow_spend.rename({"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    return pl.concat([frame] * 30)  # ~70k rows: every code path runs on more than one block


@pytest.mark.parametrize("model", [BGNBD, ParetoNBD])
def test_two_threads_give_the_same_scores_as_one(base, model, monkeypatch):
    fitted = (
        BGNBD.from_params(r=0.2426, alpha=4.4136, a=0.7929, b=2.4259)
        if model is BGNBD
        else ParetoNBD.from_params(r=0.5533, alpha=10.5802, s=0.6061, beta=11.6562)
    )
    spend = GammaGamma.from_params(p=6.25, q=3.74, gamma=15.44)
    kwargs = {"horizon": 39.0, "spend_model": spend, "periods_per_month": 4.345}
    monkeypatch.setenv("GOODWILL_ANALYTICS_THREADS", "2")
    two = score(fitted, base, **kwargs)
    monkeypatch.setenv("GOODWILL_ANALYTICS_THREADS", "1")
    assert thread_count() == 1
    one = score(fitted, base, **kwargs)
    assert two.equals(one)
    assert np.allclose(
        one["expected_purchases"],
        fitted.conditional_expected_purchases(39.0, base),
        rtol=1e-12,
    )


def test_both_runs_the_two_calls_and_raises_their_errors():
    assert both(lambda: 1, lambda: "b") == (1, "b")

    def fail() -> int:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        both(fail, lambda: 2)
    with pytest.raises(ValueError, match="boom"):
        both(lambda: 2, fail)


def test_both_reuses_one_helper_thread_and_nested_calls_run_inline(monkeypatch):
    import threading

    monkeypatch.setenv("GOODWILL_ANALYTICS_THREADS", "2")
    here = threading.get_ident()
    helpers = {both(threading.get_ident, lambda: None)[0] for _ in range(5)}
    assert len(helpers) == 1 and here not in helpers

    def nested() -> tuple[int, int]:  # on the helper thread: must not wait for itself
        return both(threading.get_ident, threading.get_ident)

    (inner_first, inner_second), _ = both(nested, lambda: None)
    assert inner_first == inner_second == helpers.pop()


def _polars_compress(columns, weights):
    frame = pl.DataFrame({**{f"c{i}": c for i, c in enumerate(columns)}, "w": weights})
    names = [f"c{i}" for i in range(len(columns))]
    grouped = frame.group_by(names).agg(pl.col("w").sum()).sort(names)
    return [grouped[n].to_numpy() for n in names], grouped["w"].to_numpy()


@pytest.mark.parametrize("unit_weights", [True, False])
def test_compression_on_grids_matches_a_group_by(unit_weights):
    from goodwill.analytics.inputs import _compress_on_grids

    rng = np.random.default_rng(5)
    n = 20_000
    T = rng.integers(30, 90, n) / 7
    x = rng.poisson(1.0, n).astype(np.float64)
    tx = np.where(x > 0, np.floor(T * 7 * rng.random(n)) / 7, 0.0)
    w = np.ones(n) if unit_weights else rng.integers(1, 4, n).astype(np.float64) / 2
    packed = _compress_on_grids((x, tx, T), w)
    assert packed is not None and packed.n_rows < n
    columns, weights = _polars_compress((x, tx, T), w)
    for got, expected in zip(packed.columns, columns, strict=True):
        assert np.array_equal(got, expected)
    assert np.allclose(packed.weights, weights, rtol=1e-15)
    off_grid = T + rng.random(n) * 1e-3
    assert _compress_on_grids((x, tx, off_grid), w) is None


def test_blockwise_sums_are_identical_on_one_or_two_threads(monkeypatch):
    from goodwill.analytics.logspace import blockwise_sums

    rng = np.random.default_rng(6)
    a = rng.random(100_003)

    def fn(v):
        return np.array([float(np.einsum("i->", v)), float(np.einsum("i,i->", v, v))])

    monkeypatch.setenv("GOODWILL_ANALYTICS_THREADS", "2")
    two = blockwise_sums(fn, (a,))
    monkeypatch.setenv("GOODWILL_ANALYTICS_THREADS", "1")
    one = blockwise_sums(fn, (a,))
    assert np.array_equal(one, two)
    assert np.allclose(one, [a.sum(), (a * a).sum()], rtol=1e-12)
    assert np.allclose(blockwise_sums(fn, (a[:10],)), [a[:10].sum(), (a[:10] ** 2).sum()])


def test_newton_warm_start_finds_the_optimum_or_declines():
    from goodwill.analytics.fitting import _lbfgsb, _newton_start

    target = np.array([0.3, -1.2, 2.0])
    scales = np.array([1.0, 4.0, 0.5])

    def convex(theta):  # smooth, strictly convex, minimum at ``target``
        d = theta - target
        return float(np.sum(scales * (np.cosh(d) - 1.0))), scales * np.sinh(d)

    lo, hi = np.full(3, -18.0), np.full(3, 18.0)
    found = _newton_start(convex, np.zeros(3), lo, hi)
    assert found is not None and np.allclose(found, target, atol=1e-7)
    assert np.allclose(found, _lbfgsb(convex, np.zeros(3), lo, hi).x, atol=1e-5)

    def saddle(theta):  # indefinite Hessian: Newton must hand over to L-BFGS-B
        return float(theta[0] ** 2 - theta[1] ** 2), np.array([2 * theta[0], -2 * theta[1]])

    assert _newton_start(saddle, np.array([1.0, 1.0]), lo[:2], hi[:2]) is None


def test_big_fits_with_warm_starts_match_fits_without(monkeypatch):
    import goodwill.analytics.fitting as fitting
    from goodwill.analytics import simulate_bgnbd

    sim = simulate_bgnbd(200_000, 52.0, seed=3, r=0.25, alpha=4.0, a=0.8, b=2.5)
    late = np.random.default_rng(4).random(sim.height)  # continuous T: rows do not compress
    sim = sim.with_columns(pl.col("T") + pl.Series(late))
    calls = []
    original = fitting._newton_start

    def spy(*args, **kwargs):
        found = original(*args, **kwargs)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(fitting, "_newton_start", spy)
    default_start = BGNBD().fit_summary(sim)  # Newton may decline far from the optimum
    assert len(calls) == 1 and default_start.diagnostics.converged
    near = np.log([0.3, 3.0, 1.0, 2.0])
    monkeypatch.setattr(BGNBD, "_start", lambda self, data: near)
    warm = BGNBD().fit_summary(sim)
    assert calls[1] is True  # from a start near the optimum the warm start is Newton's
    assert warm.diagnostics.converged
    monkeypatch.setattr(fitting, "_newton_start", lambda *a, **k: None)
    cold = BGNBD().fit_summary(sim)
    for name, value in warm.params.items():
        assert value == pytest.approx(cold.params[name], rel=1e-5)
        assert value == pytest.approx(default_start.params[name], rel=1e-5)


def test_thread_count_follows_the_setting_then_the_machine(monkeypatch):
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.delenv("GOODWILL_ANALYTICS_THREADS", raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.5, 0.5, 0.5))
    assert thread_count() == 2
    monkeypatch.setattr(os, "getloadavg", lambda: (6.0, 5.0, 4.0))
    assert thread_count() == 1  # busy: the helper thread would mostly wait for a core
    monkeypatch.setenv("GOODWILL_ANALYTICS_THREADS", "2")
    assert thread_count() == 2
    monkeypatch.setenv("GOODWILL_ANALYTICS_THREADS", "1")
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert thread_count() == 1
    monkeypatch.delenv("GOODWILL_ANALYTICS_THREADS")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert thread_count() == 1
