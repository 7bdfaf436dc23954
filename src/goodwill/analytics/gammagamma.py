"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves").

Each transaction's value is Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers; it is fitted
on *repeat buyers only* from their number of repeat purchases x and mean repeat spend zbar
(``monetary_value`` of :func:`summarize`). Per customer

    log f = lnΓ(px+q) - lnΓ(px) - lnΓ(q) + q ln γ + (px-1) ln zbar + px ln x - (px+q) ln(γ + x zbar)

The model assumes spend is independent of purchase frequency; check that correlation before use.
Everything except ln(γ + x zbar) reduces to sums over distinct x, so a fit on 400k buyers costs a
handful of vector logs per iteration.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Self

import numpy as np
from scipy.special import digamma, gammaln

from goodwill.analytics.errors import AnalyticsError
from goodwill.analytics.fitting import Objective, maximize_likelihood
from goodwill.analytics.inputs import (
    FloatArray,
    as_float_array,
    distinct_counts,
    frame_columns,
    weight_array,
)
from goodwill.analytics.logspace import blockwise_sums
from goodwill.analytics.model import FittedModel
from goodwill.analytics.purchase_model import PurchaseModel

_FEW_BUYERS = 30
_MONTH_FACTORS = {"W": 4.345, "M": 1.0, "D": 30.0, "H": 30.0 * 24.0}


def _spend_arrays(frequency: Any, monetary_value: Any) -> tuple[FloatArray, FloatArray]:
    x = as_float_array(frequency, name="frequency")
    m = as_float_array(monetary_value, name="monetary_value")
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError as exc:
        raise AnalyticsError(f"frequency and monetary_value lengths differ: {exc}") from exc
    if np.any(x < 0) or np.any(m < 0):
        raise AnalyticsError("frequency and monetary_value must be >= 0")
    return np.ascontiguousarray(x), np.ascontiguousarray(m)


def _objective(x: FloatArray, m: FloatArray, w: FloatArray) -> Objective:
    """Mean NLL and log-space gradient; only ln(γ + x zbar) is evaluated per customer."""
    n = float(w.sum())
    ux, wx = distinct_counts(x, w)  # customers per distinct x
    # einsum, not BLAS: a threaded OpenBLAS dot on 10^5+ rows costs ms on a busy 2-core box
    log_m = np.log(m)
    s_xlogzx = float(np.einsum("i,i->", w, x * (log_m + np.log(x))))
    s_logz = float(np.einsum("i,i->", w, log_m))
    xm = x * m
    wxx = w * x

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, g = np.exp(theta)

        def rows(xm: FloatArray, w: FloatArray, wxx: FloatArray) -> FloatArray:
            log_gx = np.log(g + xm)
            inv = 1.0 / (g + xm)
            return np.array(
                [float(wxx @ log_gx), float(w @ log_gx), float(wxx @ inv), float(w @ inv)]
            )

        sx_log, s_log, sx_inv, s_inv = blockwise_sums(rows, (xm, w, wxx))
        px = p * ux
        lgx = gammaln(px + q) - gammaln(px) - gammaln(q)
        ll = float(wx @ lgx) + n * q * math.log(g) + p * s_xlogzx - s_logz - p * sx_log - q * s_log
        dgx = digamma(px + q)
        dp = float(wx @ (ux * (dgx - digamma(px)))) + s_xlogzx - sx_log
        dq = float(wx @ (dgx - digamma(q))) + n * math.log(g) - s_log
        dg = n * q / g - p * sx_inv - q * s_inv
        grad = np.array([dp * p, dq * q, dg * g])
        return -ll / n, -grad / n

    return objective


class GammaGamma(FittedModel):
    """Gamma-Gamma spend model; parameters ``p, q, gamma`` (as in the paper; lifetimes: p, q, v)."""

    param_names = ("p", "q", "gamma")

    def fit(self, frequency: Any, monetary_value: Any, weights: Any = None) -> Self:
        """Fit on repeat buyers. Rows with ``frequency == 0`` are ignored (their spend is not a
        repeat spend); repeat buyers must have ``monetary_value > 0``."""
        x, m = _spend_arrays(frequency, monetary_value)
        w = weight_array(weights, x.shape[0])
        buyers = (x > 0) & (w > 0)
        x, m, w = x[buyers], m[buyers], w[buyers]
        if np.any(m <= 0):
            raise AnalyticsError(
                f"{int(np.count_nonzero(m <= 0))} repeat buyer(s) have monetary_value <= 0; "
                "the Gamma-Gamma model needs positive spend (drop free orders or net refunds first)"
            )
        n = float(w.sum())
        if n < 2:
            raise AnalyticsError("Gamma-Gamma needs at least 2 repeat buyers to estimate spend")
        warnings = (
            [] if n >= _FEW_BUYERS else [f"only {n:.0f} repeat buyers: spend estimates are rough"]
        )
        warm = None
        if x.shape[0] > 160_000:
            pick = np.random.default_rng(0).random(x.shape[0]) < 40_000 / x.shape[0]
            warm = _objective(x[pick], m[pick], w[pick])
        mean_m = float(np.average(m, weights=w))
        result = maximize_likelihood(
            _objective(x, m, w),
            np.log(np.array([1.0, 2.0, mean_m])),
            self.param_names,
            n_customers=n,
            n_rows=int(x.shape[0]),
            model_warnings=warnings,
            warm_objective=warm,
        )
        if result.params["q"] <= 1:
            note = "q <= 1: the population mean spend is infinite; averages are unreliable"
            diagnostics = replace(result.diagnostics, warnings=(*result.diagnostics.warnings, note))
            result = replace(result, diagnostics=diagnostics)
        self._set_result(result)
        return self

    def fit_summary(self, frame: Any, *, weights_col: str | None = None) -> Self:
        """Fit on a summary frame with ``frequency`` and ``monetary_value`` columns."""
        cols = ("frequency", "monetary_value") + ((weights_col,) if weights_col else ())
        arrays = frame_columns(frame, cols)
        return self.fit(arrays[0], arrays[1], arrays[2] if weights_col else None)

    def conditional_expected_average_value(
        self, frequency: Any, monetary_value: Any = None
    ) -> FloatArray:
        """E[spend per transaction | x, zbar] = p (γ + x zbar) / (p x + q - 1).

        A weighted average of the population mean p γ/(q-1) and the customer's own mean, the
        weight on their own mean growing with x. Customers with x = 0 get the population mean.
        Requires q > 1 (otherwise the mean is infinite and ``inf`` is returned).
        """
        if monetary_value is None:
            frequency, monetary_value = frame_columns(frequency, ("frequency", "monetary_value"))
        x, m = _spend_arrays(frequency, monetary_value)
        return self._expected_spend(x, m)

    def _expected_spend(self, x: FloatArray, m: FloatArray) -> FloatArray:
        """:meth:`conditional_expected_average_value` on validated arrays (x whole, >= 0)."""
        if m.shape[0] and float(m.min()) < 0:
            raise AnalyticsError("monetary_value must be >= 0")
        p, q, g = self._p()
        if q > 1:  # the denominator p x + q - 1 is then positive for every x >= 0
            out = np.multiply(x, m)
            out += g
            out *= p
            denom = np.multiply(x, p)
            denom += q - 1
            out /= denom
            return out
        denom = p * x + q - 1
        with np.errstate(divide="ignore"):
            return np.where(denom > 0, p * (g + x * m) / np.where(denom > 0, denom, 1.0), math.inf)

    def customer_lifetime_value(
        self,
        transaction_model: PurchaseModel,
        frequency: Any,
        recency: Any,
        T: Any,
        monetary_value: Any,
        *,
        time: int = 12,
        discount_rate: float = 0.01,
        freq: str = "D",
    ) -> FloatArray:
        """Discounted expected spend over the next ``time`` months (lifetimes-compatible).

        Conventions follow ``lifetimes.GammaGammaFitter.customer_lifetime_value``: ``time`` is in
        months, ``discount_rate`` is per month (0.01 ≈ 12.7% a year), and ``freq`` is the unit of
        ``recency``/``T`` ("D" days, "W" weeks, "M" months, "H" hours; a month is 30 days or
        4.345 weeks). Month k's expected purchases are discounted by (1 + discount_rate)^k.
        """
        from goodwill.analytics.value import discounted_purchases

        if freq not in _MONTH_FACTORS:
            raise AnalyticsError(f"freq must be one of {', '.join(_MONTH_FACTORS)}, got {freq!r}")
        spend = self.conditional_expected_average_value(frequency, monetary_value)
        flows = discounted_purchases(
            transaction_model,
            frequency,
            recency,
            T,
            months=time,
            discount_rate=discount_rate,
            periods_per_month=_MONTH_FACTORS[freq],
        )
        return np.asarray(spend * flows, dtype=np.float64)

    clv = customer_lifetime_value
