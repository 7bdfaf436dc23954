"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader, Hardie & Lee 2005 derivation note).

While alive a customer buys at rate lambda ~ Gamma(r, alpha); their lifetime is exponential with
rate mu ~ Gamma(s, beta), independent of lambda. Per customer

    L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s + s · I(t_x, T) ]

where I is the death-in-(t_x, T] integral computed in :mod:`goodwill.analytics.hypergeometric`
(log space, both α >= β and α < β, any x). The two terms are combined with ``logaddexp``.

The integral's parameter derivatives have no closed form, so the gradient uses central
differences of log G on the *distinct* (x, t_x) and (x, T) pairs only (a few thousand rows even
for a million customers) and the analytic chain rule per customer row.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from goodwill.analytics.fitting import Objective
from goodwill.analytics.hypergeometric import log_tail_integral
from goodwill.analytics.inputs import Customers, FloatArray, group_pairs
from goodwill.analytics.purchase_model import PurchaseModel, rate_start

_H = 1e-5  # log-parameter step for the derivatives of log G


def _log_death_term(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, tx: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """(S, Q): log of the alive-at-T term and of s·I, without the common prefactor."""
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    g_tx = log_tail_integral(r, alpha, s, beta, x, tx)
    g_t = log_tail_integral(r, alpha, s, beta, x, T)
    with np.errstate(divide="ignore"):
        death = np.log(s) + g_tx + np.log(-np.expm1(np.minimum(g_t - g_tx, 0.0)))
    return np.asarray(alive, dtype=np.float64), np.asarray(death, dtype=np.float64)


class ParetoNBD(PurchaseModel):
    """Pareto/NBD model; parameters ``r, alpha, s, beta``."""

    param_names = ("r", "alpha", "s", "beta")

    def _start(self, data: Customers) -> FloatArray:
        r, alpha = rate_start(data)
        mean_t = float(np.average(data.columns[2], weights=data.weights))
        return np.log(np.array([r, alpha, 1.0, max(mean_t, 1e-6)], dtype=np.float64))

    def _loglik(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, s, beta = p
        alive, death = _log_death_term(r, alpha, s, beta, x, tx, T)
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        return np.asarray(head + np.logaddexp(alive, death), dtype=np.float64)

    def _objective(self, data: Customers) -> Objective:
        x, tx, T = data.columns
        w = data.weights
        n = float(w.sum())
        ux, ix = np.unique(x, return_inverse=True)
        # one table of distinct (x, y) for y in {t_x, T}; rows index into it twice
        px, py, inv = group_pairs(np.concatenate([x, x]), np.concatenate([tx, T]))
        i_tx, i_t = inv[: x.shape[0]], inv[x.shape[0] :]
        same = tx >= T  # no time to die unobserved: the death term is exactly zero

        def table(theta: FloatArray) -> FloatArray:
            r, alpha, s, beta = np.exp(theta)
            return log_tail_integral(r, alpha, s, beta, px, py)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            r, alpha, s, beta = np.exp(theta)
            g0 = table(theta)
            dg = []
            for k in range(4):
                e = np.zeros(4)
                e[k] = _H
                dg.append((table(theta + e) - table(theta - e)) / (2 * _H))  # d/d log(param)
            la, lb = np.log(alpha + T), np.log(beta + T)
            alive = -(r + x) * la - s * lb
            gap = np.minimum(g0[i_t] - g0[i_tx], 0.0)
            with np.errstate(divide="ignore"):
                death = np.where(same, -np.inf, np.log(s) + g0[i_tx] + np.log(-np.expm1(gap)))
            m = np.logaddexp(alive, death)
            head = (gammaln(r + ux) - gammaln(r))[ix]
            ll = head + r * np.log(alpha) + s * np.log(beta) + m
            q = np.exp(death - m)
            with np.errstate(over="ignore", divide="ignore"):
                rho = np.where(same, 0.0, 1.0 / np.expm1(-np.where(same, -1.0, gap)))
            wq = w * q
            # d(death)/d log(param) = [param is s] + dG(t_x) - rho (dG(T) - dG(t_x))
            d_death = [d[i_tx] - rho * (d[i_t] - d[i_tx]) for d in dg]
            grad = np.array(
                [
                    float(w @ ((digamma(r + ux) - digamma(r))[ix] + np.log(alpha) - (1 - q) * la))
                    * r
                    + float(wq @ d_death[0]),
                    float(w @ (r / alpha - (1 - q) * (r + x) / (alpha + T))) * alpha
                    + float(wq @ d_death[1]),
                    float(w @ (np.log(beta) - (1 - q) * lb)) * s
                    + float(wq.sum())
                    + float(wq @ d_death[2]),
                    float(w @ (s / beta - (1 - q) * s / (beta + T))) * beta
                    + float(wq @ d_death[3]),
                ]
            )
            return -float(w @ ll) / n, -grad / n

        return objective

    def _log_p_alive(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, s, beta = p
        x, tx, T = np.broadcast_arrays(x, tx, T)
        alive, death = _log_death_term(r, alpha, s, beta, x, tx, T)
        return np.asarray(-np.logaddexp(0.0, death - alive), dtype=np.float64)

    def _expected(self, p: tuple[float, ...], t: FloatArray) -> FloatArray:
        r, alpha, s, beta = p
        return _future(r, alpha, s, beta, t, np.zeros(1), np.zeros(1)).reshape(np.shape(t))

    def _future_if_alive(
        self, p: tuple[float, ...], t: FloatArray, x: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, s, beta = p
        return _future(r, alpha, s, beta, t, x, T)


def _future(
    r: float, alpha: float, s: float, beta: float, t: FloatArray, x: FloatArray, T: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | alive at T] = (r+x)/(α+T) · (β+T) · [1 - ((β+T)/(β+T+t))^(s-1)]/(s-1),
    with the s -> 1 limit (β+T) log(1 + t/(β+T)) taken smoothly."""
    t, x, T = np.broadcast_arrays(t, x, T)
    log_ratio = np.log1p(t / (beta + T))
    horizon = log_ratio if abs(s - 1.0) < 1e-08 else -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0)
    return np.asarray((r + x) / (alpha + T) * (beta + T) * horizon, dtype=np.float64)
