"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader, Hardie & Lee 2005 derivation note).

While alive a customer buys at rate lambda ~ Gamma(r, alpha); their lifetime is exponential with
rate mu ~ Gamma(s, beta), independent of lambda. Per customer

    L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^-(r+x) (β+T)^-s + s · I(t_x, T) ]

where I is the death-in-(t_x, T] integral computed in :mod:`goodwill.analytics.hypergeometric`
(log space, both α >= β and α < β, any x). The two terms are combined with ``logaddexp``.

The integral's parameter derivatives have no closed form, so the gradient uses forward
differences of log G on the *distinct* (x, t_x) and (x, T) pairs only (a few thousand rows even
for a million customers) and the analytic chain rule per customer row.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from goodwill.analytics.fitting import Objective
from goodwill.analytics.hypergeometric import log_tail_integral
from goodwill.analytics.inputs import Customers, FloatArray, distinct_counts, group_pairs
from goodwill.analytics.logspace import blockwise_sums, sigmoid_from, softplus
from goodwill.analytics.purchase_model import PurchaseModel, rate_start

_H = 1e-6  # log-parameter step for the derivatives of log G (forward differences)


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
        # one table of distinct (x, y) for y in {t_x, T}; rows index into it twice
        px, py, inv = group_pairs(np.concatenate([x, x]), np.concatenate([tx, T]))
        i_tx, i_t = inv[: x.shape[0]], inv[x.shape[0] :]

        def table(theta: FloatArray) -> FloatArray:
            r, alpha, s, beta = np.exp(theta)
            return log_tail_integral(r, alpha, s, beta, px, py)

        ux, wx = distinct_counts(x, w)
        rows_in = (x, T, w, i_tx.astype(np.float64), i_t.astype(np.float64))

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            r, alpha, s, beta = np.exp(theta)
            g0 = table(theta)
            dg = []
            for k in range(4):
                e = np.zeros(4)
                e[k] = _H
                dg.append((table(theta + e) - g0) / _H)  # d/d log(param), forward difference
            log_s = float(np.log(s))

            def rows(
                x: FloatArray, T: FloatArray, w: FloatArray, jx: FloatArray, jt: FloatArray
            ) -> FloatArray:
                i_a, i_b = jx.astype(np.int64), jt.astype(np.int64)
                la, lb = np.log(alpha + T), np.log(beta + T)
                g_tx = g0[i_a]
                gap = np.minimum(g0[i_b] - g_tx, 0.0)
                open_ = gap < 0.0  # t_x < T: there was time to die unobserved
                with np.errstate(divide="ignore"):
                    death = log_s + g_tx + np.log(-np.expm1(gap))
                alive = -(r + x) * la - s * lb
                d = death - alive
                sp = softplus(d)
                q = sigmoid_from(d, sp)
                wq = w * q
                w1 = w - wq
                rho = np.where(open_, 1.0 / np.expm1(-np.where(open_, gap, -1.0)), 0.0)
                up, down = wq * (1.0 + rho), wq * rho
                return np.array(
                    [
                        float(w @ (alive + sp)),
                        float(w1 @ la),
                        float(w1 @ ((r + x) / (alpha + T))),
                        float(w1 @ lb),
                        float(w1 @ (1.0 / (beta + T))),
                        float(wq.sum()),
                        *(float(up @ d_k[i_a]) - float(down @ d_k[i_b]) for d_k in dg),
                    ]
                )

            sm = blockwise_sums(rows, rows_in)
            head = float(wx @ (gammaln(r + ux) - gammaln(r)))
            ll = head + n * (r * np.log(alpha) + s * np.log(beta)) + sm[0]
            grad = np.array(
                [
                    (float(wx @ (digamma(r + ux) - digamma(r))) + n * np.log(alpha) - sm[1]) * r
                    + sm[6],
                    (n * r / alpha - sm[2]) * alpha + sm[7],
                    (n * np.log(beta) - sm[3]) * s + sm[5] + sm[8],
                    (n * s / beta - s * sm[4]) * beta + sm[9],
                ]
            )
            return -float(ll) / n, -grad / n

        return objective

    def _log_p_alive(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, s, beta = p
        x, tx, T = np.broadcast_arrays(x, tx, T)
        alive, death = _log_death_term(r, alpha, s, beta, x, tx, T)
        return -softplus(death - alive)

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
