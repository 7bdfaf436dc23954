"""State every fitted model shares: parameters, likelihood, uncertainty, diagnostics, summary.

A model is either *fitted* (:meth:`fit` ran: everything is available) or *given* (built with
:meth:`from_params` to score customers with known parameters: likelihood and standard errors are
then unavailable and raise :class:`NotFittedError`).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Self

import numpy as np
import polars as pl

from goodwill.analytics.errors import AnalyticsError, NotFittedError
from goodwill.analytics.fitting import FitDiagnostics, FitResult
from goodwill.analytics.inputs import FloatArray


class FittedModel:
    """Base for all models; subclasses set ``param_names`` in the literature's order."""

    param_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._params: dict[str, float] | None = None
        self._result: FitResult | None = None

    @classmethod
    def from_params(cls, **params: float) -> Self:
        """A model with known parameters (e.g. stored from an earlier fit), ready to predict."""
        model = cls()
        missing = [n for n in cls.param_names if n not in params]
        extra = [n for n in params if n not in cls.param_names]
        if missing or extra:
            raise AnalyticsError(
                f"{cls.__name__} takes parameters {', '.join(cls.param_names)}; "
                f"missing {missing or 'none'}, unknown {extra or 'none'}"
            )
        for name, value in params.items():
            if not (math.isfinite(value) and value > 0):
                raise AnalyticsError(
                    f"parameter {name} must be a positive finite number, got {value}"
                )
        model._params = {n: float(params[n]) for n in cls.param_names}
        return model

    def _set_result(self, result: FitResult) -> None:
        self._result = result
        self._params = dict(result.params)

    def _fitted(self) -> FitResult:
        if self._result is None:
            raise NotFittedError(
                f"{type(self).__name__} has no fit: call .fit(...) first"
                + (" (it was built from parameters)" if self._params else "")
            )
        return self._result

    @property
    def params(self) -> dict[str, float]:
        """Estimates under the literature's names, natural scale."""
        if self._params is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted: call .fit(...) first")
        return dict(self._params)

    def _p(self) -> tuple[float, ...]:
        params = self.params
        return tuple(params[n] for n in self.param_names)

    @property
    def log_likelihood(self) -> float:
        """Maximised log-likelihood summed over customers (as reported in the papers)."""
        return self._fitted().log_likelihood

    @property
    def standard_errors(self) -> dict[str, float]:
        """Asymptotic standard errors from the Hessian; ``inf`` where it is singular."""
        return dict(self._fitted().standard_errors)

    @property
    def covariance(self) -> FloatArray:
        """Asymptotic covariance of the estimates (natural scale, ``param_names`` order)."""
        return self._fitted().covariance.copy()

    @property
    def diagnostics(self) -> FitDiagnostics:
        """Convergence and identifiability report; read ``diagnostics.warnings`` first."""
        return self._fitted().diagnostics

    def summary(self) -> pl.DataFrame:
        """One row per parameter: estimate, standard error and a 95% Wald interval."""
        params = self.params
        se = self._result.standard_errors if self._result else {n: math.inf for n in params}
        names = list(self.param_names)
        est = np.array([params[n] for n in names])
        err = np.array([se[n] for n in names])
        with np.errstate(invalid="ignore", over="ignore"):
            # log-scale interval: stays positive and matches how the fit was done
            factor = np.exp(1.959964 * np.where(est > 0, err / est, np.inf))
        return pl.DataFrame(
            {
                "param": names,
                "estimate": est,
                "std_error": err,
                "lower_95": est / factor,
                "upper_95": est * factor,
            }
        )

    def __repr__(self) -> str:
        if self._params is None:
            return f"{type(self).__name__}(not fitted)"
        inner = ", ".join(f"{k}={v:.4g}" for k, v in self._params.items())
        tail = f", log_likelihood={self._result.log_likelihood:.2f}" if self._result else ""
        return f"{type(self).__name__}({inner}{tail})"


def broadcast_float(values: Any, name: str) -> FloatArray:
    """Float array view of a time argument (scalar or array), finite and >= 0."""
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise AnalyticsError(f"{name} must be finite and >= 0")
    return arr
