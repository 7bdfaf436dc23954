"""The common interface of the continuous-time buy-till-you-die models (BG/NBD, MBG/NBD, Pareto/NBD).

Units: ``recency``, ``T`` and every horizon ``t`` are in the same time unit as the summary
(weeks for ``summarize(..., period="W")``). ``frequency`` counts repeat purchases.

Subclasses implement four vectorised pieces on natural-scale parameters: the per-customer
log-likelihood, an objective on compressed data (mean negative log-likelihood and gradient in
log-parameter space), log P(alive), and expected purchases. Everything user-facing lives here.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import Any, Self

import numpy as np

from goodwill.analytics.errors import AnalyticsError
from goodwill.analytics.fitting import Objective, maximize_likelihood
from goodwill.analytics.inputs import (
    Customers,
    FloatArray,
    compress,
    customer_arrays,
    frame_columns,
    subsample,
    weight_array,
)
from goodwill.analytics.logspace import blockwise_map
from goodwill.analytics.model import FittedModel, broadcast_float

_FEW_REPEATERS = 20


class PurchaseModel(FittedModel):
    """Fit on ``(frequency, recency, T)``; predict P(alive) and purchases. Parameters in
    ``params`` use the papers' names; ``r`` and ``alpha`` are the gamma purchase-rate shape and
    scale (rate parameter, in 1/time units) in all three models."""

    def fit(self, frequency: Any, recency: Any = None, T: Any = None, weights: Any = None) -> Self:
        """Maximum-likelihood fit; returns ``self``.

        ``weights`` counts how many customers each row stands for (rows of identical customers
        can be passed once). Identical rows are also merged internally. Raises
        :class:`AnalyticsError` when nobody made a repeat purchase (the purchase rate and the
        dropout process are then not identified); small or weak data fit with warnings in
        ``diagnostics.warnings`` and wide ``standard_errors`` instead.
        """
        x, tx, t_end = customer_arrays(frequency, recency, T)
        w = weight_array(weights, x.shape[0])
        data = compress((x, tx, t_end), w)
        repeaters = float(data.weights[data.columns[0] > 0].sum())
        if repeaters == 0:
            raise AnalyticsError(
                f"{type(self).__name__}: no customer made a repeat purchase, so purchase and "
                "dropout rates cannot be estimated; collect a longer history first"
            )
        warnings = []
        if repeaters < _FEW_REPEATERS:
            warnings.append(f"only {repeaters:.0f} repeat buyers: parameters are poorly determined")
        objective = self._objective(data)
        warm = subsample(data)
        result = maximize_likelihood(
            objective,
            self._start(data),
            self.param_names,
            n_customers=data.n_customers,
            n_rows=data.n_rows,
            model_warnings=warnings,
            warm_objective=None if warm is None else self._objective(warm),
        )
        self._set_result(result)
        return self

    def fit_summary(self, frame: Any, *, weights_col: str | None = None) -> Self:
        """Fit on a summary frame with columns ``frequency, recency, T`` (see :func:`summarize`)."""
        cols = ("frequency", "recency", "T") + ((weights_col,) if weights_col else ())
        arrays = frame_columns(frame, cols)
        return self.fit(arrays[0], arrays[1], arrays[2], arrays[3] if weights_col else None)

    def customer_log_likelihood(
        self, frequency: Any, recency: Any = None, T: Any = None
    ) -> FloatArray:
        """Each customer's log-likelihood under the current parameters."""
        x, tx, t_end = customer_arrays(frequency, recency, T)
        return self._loglik(self._p(), x, tx, t_end)

    def p_alive(self, frequency: Any, recency: Any = None, T: Any = None) -> FloatArray:
        """Probability that each customer is still active at ``T``; in [0, 1], never NaN."""
        x, tx, t_end = customer_arrays(frequency, recency, T)
        return self._p_alive(self._p(), x, tx, t_end)

    def expected_purchases(self, t: Any) -> FloatArray:
        """E[X(t)]: expected repeat purchases of a new customer in their first ``t`` units."""
        return self._expected(self._p(), broadcast_float(t, "t"))

    def conditional_expected_purchases(
        self, t: Any, frequency: Any, recency: Any = None, T: Any = None
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` units after ``T``."""
        x, tx, t_end = customer_arrays(frequency, recency, T)
        horizon = broadcast_float(t, "t")
        alive = self._p_alive(self._p(), x, tx, t_end)
        return alive * self._future_if_alive(self._p(), horizon, x, t_end)

    def expected_time_to_next_purchase(
        self, frequency: Any, recency: Any = None, T: Any = None
    ) -> FloatArray:
        """Mean waiting time from ``T`` to the next purchase *if the customer is alive*.

        Given alive, the purchase rate is Gamma(r + x, alpha + T) and the wait is exponential,
        so the mean is ``(alpha + T) / (r + x - 1)``. It is infinite (returned as ``inf``)
        when ``r + x <= 1``: heavy-tailed waits; use :meth:`median_time_to_next_purchase`, which
        is always finite. Weight by :meth:`p_alive` for an unconditional view.
        """
        x, _, t_end = customer_arrays(frequency, recency, T)
        r, alpha = self.params["r"], self.params["alpha"]
        shape = r + x
        with np.errstate(divide="ignore"):
            return np.where(shape > 1, (alpha + t_end) / np.maximum(shape - 1, 1e-300), math.inf)

    def median_time_to_next_purchase(
        self, frequency: Any, recency: Any = None, T: Any = None
    ) -> FloatArray:
        """Median waiting time from ``T`` to the next purchase if alive (always finite):
        ``(alpha + T) * (2**(1/(r+x)) - 1)``."""
        x, _, t_end = customer_arrays(frequency, recency, T)
        r, alpha = self.params["r"], self.params["alpha"]
        return (alpha + t_end) * np.expm1(math.log(2.0) / (r + x))

    # -- pieces each model supplies -------------------------------------------------------
    @abstractmethod
    def _objective(self, data: Customers) -> Objective: ...

    @abstractmethod
    def _start(self, data: Customers) -> FloatArray: ...

    @abstractmethod
    def _loglik(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray: ...

    @abstractmethod
    def _log_p_alive(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray: ...

    def _p_alive(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        """P(alive) per customer: ``exp`` of :meth:`_log_p_alive` over cache-sized blocks
        (models with a cheaper direct form override this)."""
        return blockwise_map(lambda *c: np.exp(self._log_p_alive(p, *c)), (x, tx, T))

    @abstractmethod
    def _expected(self, p: tuple[float, ...], t: FloatArray) -> FloatArray: ...

    @abstractmethod
    def _future_if_alive(
        self, p: tuple[float, ...], t: FloatArray, x: FloatArray, T: FloatArray
    ) -> FloatArray:
        """E[purchases in (T, T+t] | alive at T, x, T] (depends on x and T only)."""


def rate_start(data: Customers) -> tuple[float, float]:
    """Starting (r, alpha) for the gamma purchase rate: r = 1 and alpha matching the mean rate."""
    x, _, t_end = data.columns
    w = data.weights
    mean_x = float(np.average(x, weights=w))
    mean_t = float(np.average(t_end, weights=w))
    return 1.0, max(mean_t, 1e-6) / max(mean_x, 1e-3)
