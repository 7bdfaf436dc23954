"""MBG/NBD, the modified BG/NBD (Batislam, Denizel & Filiztekin 2007).

Like BG/NBD, but a customer may also drop out right after the *first* purchase, so customers
with no repeat purchase are not assumed alive (BG/NBD's P(alive | x = 0) = 1 is its best-known
flaw). Per customer:

    L = B(a, b+x+1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + B(a+1, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

Forecasts: given alive, p ~ Beta(a, b+x+1) and the BG/NBD machinery applies with the beta
parameter shifted by one (``future_purchases(..., shift=0)``); a new customer is alive after the
first purchase with probability b/(a+b), so E[X(t)] = b/(a-1) [1 - (α/(α+t))^r
2F1(r, b+1; a+b; t/(α+t))] (as in lifetimes).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, gammaln

from goodwill.analytics.bgnbd import (
    beta_geometric_objective,
    beta_geometric_p_alive,
    future_purchases,
)
from goodwill.analytics.fitting import Objective
from goodwill.analytics.inputs import Customers, FloatArray
from goodwill.analytics.logspace import softplus
from goodwill.analytics.purchase_model import PurchaseModel, rate_start


class MBGNBD(PurchaseModel):
    """Modified beta-geometric/NBD model; parameters ``r, alpha, a, b``."""

    param_names = ("r", "alpha", "a", "b")

    def _start(self, data: Customers) -> FloatArray:
        r, alpha = rate_start(data)
        return np.log(np.array([r, alpha, 1.0, 2.0], dtype=np.float64))

    def _loglik(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = p
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x + 1) - betaln(a, b)
        a3 = -(r + x) * np.log(alpha + T)
        a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
        return np.asarray(head + np.logaddexp(a3, a4), dtype=np.float64)

    def _objective(self, data: Customers) -> Objective:
        return beta_geometric_objective(data, shift=0)

    def _log_p_alive(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = p
        with np.errstate(divide="ignore"):
            d = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
        return -softplus(d)

    def _p_alive(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = p
        return beta_geometric_p_alive(r, alpha, a, b, x, tx, T, shift=0)

    def _expected(self, p: tuple[float, ...], t: FloatArray) -> FloatArray:
        r, alpha, a, b = p
        alive = b / (a + b)
        future = future_purchases(r, alpha, a, b, t, np.zeros(1), np.zeros(1), 0.0)
        return np.asarray(alive * future, dtype=np.float64).reshape(np.shape(t))

    def _future_if_alive(
        self, p: tuple[float, ...], t: FloatArray, x: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = p
        return future_purchases(r, alpha, a, b, t, x, T, 0.0)
