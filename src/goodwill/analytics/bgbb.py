"""BG/BB, the discrete-time model (Fader, Hardie & Shang 2010, "Customer-base analysis in a
discrete-time noncontractual setting").

For settings with fixed transaction opportunities (yearly donations, event attendance): while
alive, a customer transacts at each opportunity with probability p ~ Beta(alpha, beta) and dies
between opportunities with probability theta ~ Beta(gamma, delta). Inputs per customer:
``frequency`` x (transactions in the n opportunities), ``recency`` t_x (opportunity of the last
one, 0 if none) and ``n_periods`` n. Likelihood:

    L = B(α+x, β+n-x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
        + Σ_{i=0}^{n-t_x-1} B(α+x, β+t_x-x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ)

computed as a log-sum-exp over the terms with an analytic (digamma) gradient. Data of this kind
compress to at most (n+1)(n+2)/2 distinct rows per n, so fits are instant at any base size.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy.special import betaln, digamma, gammaln, logsumexp

from goodwill.analytics.errors import AnalyticsError
from goodwill.analytics.fitting import maximize_likelihood
from goodwill.analytics.inputs import (
    FloatArray,
    as_float_array,
    compress,
    frame_columns,
    weight_array,
)
from goodwill.analytics.model import FittedModel, broadcast_float


def _discrete_arrays(
    frequency: Any, recency: Any, n_periods: Any
) -> tuple[FloatArray, FloatArray, FloatArray]:
    x = as_float_array(frequency, name="frequency")
    tx = as_float_array(recency, name="recency")
    n = as_float_array(n_periods, name="n_periods")
    try:
        x, tx, n = (np.ascontiguousarray(a) for a in np.broadcast_arrays(x, tx, n))
    except ValueError as exc:
        raise AnalyticsError(f"frequency, recency and n_periods lengths differ: {exc}") from exc
    whole = all(np.all(a == np.floor(a)) for a in (x, tx, n))
    if (
        not whole
        or np.any(x < 0)
        or np.any(x > tx)
        or np.any(tx > n)
        or np.any((x == 0) & (tx > 0))
    ):
        raise AnalyticsError(
            "BG/BB needs whole numbers with 0 <= frequency <= recency <= n_periods "
            "(recency 0 when frequency is 0)"
        )
    return x, tx, n


def _terms(
    p: tuple[float, ...], x: FloatArray, tx: FloatArray, n: FloatArray
) -> tuple[FloatArray, ...]:
    """Per row and term j: (log term, m_j, e_j, k_j); invalid sum terms are -inf."""
    a, b, g, d = p
    width = int(np.max(n - tx)) if n.size else 0
    i = np.arange(width)[None, :]
    m = np.concatenate([(n - x)[:, None], tx[:, None] - x[:, None] + i], axis=1)
    k = np.concatenate([n[:, None], tx[:, None] + i], axis=1)
    e = np.concatenate([np.zeros((x.shape[0], 1)), np.ones((x.shape[0], width))], axis=1)
    valid = np.concatenate([np.ones((x.shape[0], 1), bool), i < (n - tx)[:, None]], axis=1)
    xx = x[:, None]
    log_t = betaln(a + xx, b + m) - betaln(a, b) + betaln(g + e, d + k) - betaln(g, d)
    return np.where(valid, log_t, -np.inf), m, e, k


class BGBB(FittedModel):
    """Beta-geometric/beta-Bernoulli model; parameters ``alpha, beta, gamma, delta``."""

    param_names = ("alpha", "beta", "gamma", "delta")

    def fit(self, frequency: Any, recency: Any, n_periods: Any, weights: Any = None) -> Self:
        """Maximum-likelihood fit on (x, t_x, n) rows, optionally weighted (as in donations.csv)."""
        x, tx, n = _discrete_arrays(frequency, recency, n_periods)
        data = compress((x, tx, n), weight_array(weights, x.shape[0]))
        x, tx, n = data.columns
        w = data.weights
        total = data.n_customers
        if float(w[x > 0].sum()) == 0:
            raise AnalyticsError(
                "BG/BB: nobody transacted after the first opportunity; nothing to fit"
            )

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            a, b, g, d = np.exp(theta)
            log_t, m, e, k = _terms((a, b, g, d), x, tx, n)
            ll = logsumexp(log_t, axis=1)
            share = np.exp(log_t - ll[:, None]) * w[:, None]
            xx = x[:, None]
            da = digamma(a + xx) - digamma(a + b + xx + m) - digamma(a) + digamma(a + b)
            db = digamma(b + m) - digamma(a + b + xx + m) - digamma(b) + digamma(a + b)
            dg = digamma(g + e) - digamma(g + d + e + k) - digamma(g) + digamma(g + d)
            dd = digamma(d + k) - digamma(g + d + e + k) - digamma(d) + digamma(g + d)
            grad = np.array(
                [float(np.sum(share * np.where(share > 0, v, 0.0))) for v in (da, db, dg, dd)]
            ) * np.array([a, b, g, d])
            return -float(w @ ll) / total, -grad / total

        result = maximize_likelihood(
            objective,
            np.zeros(4),
            self.param_names,
            n_customers=total,
            n_rows=int(x.shape[0]),
            model_warnings=[] if total >= 200 else [f"only {total:.0f} customers"],
        )
        self._set_result(result)
        return self

    def fit_summary(
        self, frame: Any, *, n_periods_col: str = "n_periods", weights_col: str | None = None
    ) -> Self:
        """Fit on a frame with ``frequency, recency`` and ``n_periods_col`` (+ weights)."""
        cols = ("frequency", "recency", n_periods_col) + ((weights_col,) if weights_col else ())
        arrays = frame_columns(frame, cols)
        return self.fit(arrays[0], arrays[1], arrays[2], arrays[3] if weights_col else None)

    def customer_log_likelihood(self, frequency: Any, recency: Any, n_periods: Any) -> FloatArray:
        """Each customer's log-likelihood under the current parameters."""
        x, tx, n = _discrete_arrays(frequency, recency, n_periods)
        return np.asarray(logsumexp(_terms(self._p(), x, tx, n)[0], axis=1), dtype=np.float64)

    def p_alive(
        self, frequency: Any, recency: Any, n_periods: Any, *, periods_ahead: int = 0
    ) -> FloatArray:
        """P(alive after opportunity n + periods_ahead | x, t_x, n); 0 -> alive through n."""
        x, tx, n = _discrete_arrays(frequency, recency, n_periods)
        a, b, g, d = self._p()
        log_t = _terms((a, b, g, d), x, tx, n)[0]
        alive = (
            betaln(a + x, b + n - x)
            - betaln(a, b)
            + betaln(g, d + n + periods_ahead)
            - betaln(g, d)
        )
        return np.asarray(np.exp(alive - logsumexp(log_t, axis=1)), dtype=np.float64)

    def expected_purchases(self, n: Any) -> FloatArray:
        """E[X(n)]: expected transactions of a new customer in their first n opportunities."""
        periods = broadcast_float(n, "n")
        a, b, g, d = self._p()
        return np.asarray(a / (a + b) * _survival_sum(g, d, periods), dtype=np.float64)

    def conditional_expected_purchases(
        self, n_future: Any, frequency: Any, recency: Any, n_periods: Any
    ) -> FloatArray:
        """E[transactions in opportunities n+1 .. n+n_future | x, t_x, n]."""
        x, tx, n = _discrete_arrays(frequency, recency, n_periods)
        future = broadcast_float(n_future, "n_future")
        a, b, g, d = self._p()
        log_l = logsumexp(_terms((a, b, g, d), x, tx, n)[0], axis=1)
        log_p = betaln(a + x + 1, b + n - x) - betaln(a, b) + betaln(g, d + n) - betaln(g, d)
        # alive through n with p posterior: expected transactions over the next opportunities
        return np.asarray(np.exp(log_p - log_l) * _survival_sum(g, d + n, future), dtype=np.float64)


def _survival_sum(g: float, d: Any, periods: FloatArray) -> FloatArray:
    """Σ_{j=1..periods} E[(1-θ)^j] for θ ~ Beta(g, d) = d/(g-1) [1 - Γ(g+d)Γ(1+d+t)/(Γ(1+d)Γ(g+d+t))].

    The γ -> 1 limit (a harmonic-type sum) is reached by stepping γ just off 1.
    """
    g = g if abs(g - 1.0) > 1e-7 else 1.0 + 1e-7
    log_ratio = (
        gammaln(g + d) - gammaln(1 + d) + gammaln(1 + d + periods) - gammaln(g + d + periods)
    )
    return np.asarray(d / (g - 1.0) * -np.expm1(log_ratio), dtype=np.float64)
