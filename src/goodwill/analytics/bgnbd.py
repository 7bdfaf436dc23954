"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

While active, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase they drop out with probability p ~ Beta(a, b). Per customer, with x repeat purchases,
last at t_x, observed for T:

    L = B(a, b+x)/B(a, b) * Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

evaluated as a ``logaddexp`` of the two terms so it never overflows for large x. The gradient is
analytic (digamma terms on the distinct x values only). Forecasts use the Euler transform
2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1-r-x) 2F1(a+b-1-r, a-1; a+b+x-1; z), which cancels the
huge factor ((α+T)/(α+T+t))^(r+x) analytically and leaves a hypergeometric whose upper
parameters do not grow with x: finite for x = 10,000 and beyond.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from goodwill.analytics.fitting import Objective
from goodwill.analytics.inputs import Customers, FloatArray
from goodwill.analytics.purchase_model import PurchaseModel, rate_start


def nudge_from_one(a: float) -> float:
    """Formulas with 1/(a-1) have a removable singularity at a = 1; step just off it."""
    return a if abs(a - 1.0) > 1e-7 else 1.0 + 1e-7


def nudge_from_poles(c: FloatArray) -> FloatArray:
    """Keep a hypergeometric lower parameter off 0, -1, -2, ... (removable in our products)."""
    near = (c <= 0) & (np.abs(c - np.round(c)) < 1e-9)
    return np.where(near, c + 1e-9, c)


def future_purchases(
    r: float,
    alpha: float,
    a: float,
    b: float,
    t: FloatArray,
    x: FloatArray,
    T: FloatArray,
    shift: float,
) -> FloatArray:
    """Expected purchases in (T, T+t] for a customer alive at T with x repeats.

    ``shift`` is 1 for BG/NBD (beta posterior Beta(a, b+x)) and 0 for MBG/NBD (Beta(a, b+x+1)):
    E = (a+b+x-shift)/(a-1) * [1 - (1-z)^(a-1) 2F1(a+b-shift-r, a-1; a+b+x-shift; z)],
    z = t/(α+T+t).
    """
    a = nudge_from_one(a)
    t, x, T = np.broadcast_arrays(t, x, T)
    c = nudge_from_poles(a + b + x - shift)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_one_minus_z = np.log(alpha + T) - np.log(alpha + T + t)
        z = t / (alpha + T + t)
        hyp = hyp2f1(a + b - shift - r, a - 1.0, c, z)
        bracket = -np.expm1((a - 1.0) * log_one_minus_z + np.log(hyp))
        out = c / (a - 1.0) * bracket
    return np.asarray(np.where(t > 0, out, 0.0), dtype=np.float64)


class BGNBD(PurchaseModel):
    """Beta-geometric/NBD model; parameters ``r, alpha, a, b``."""

    param_names = ("r", "alpha", "a", "b")

    def _start(self, data: Customers) -> FloatArray:
        r, alpha = rate_start(data)
        return np.log(np.array([r, alpha, 1.0, 2.0], dtype=np.float64))

    def _loglik(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = p
        rep = x > 0
        with np.errstate(divide="ignore"):
            a3 = -(r + x) * np.log(alpha + T)
            a4 = np.where(
                rep,
                np.log(a) - np.log(np.where(rep, b + x - 1, 1.0)) - (r + x) * np.log(alpha + tx),
                -np.inf,
            )
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
        return np.asarray(head + np.logaddexp(a3, a4), dtype=np.float64)

    def _objective(self, data: Customers) -> Objective:
        x, tx, T = data.columns
        w = data.weights
        n = float(w.sum())
        ux, ix = np.unique(x, return_inverse=True)
        rep = x > 0
        x_m1 = np.where(rep, x - 1, 0.0)
        log_t = (T, tx)

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            r, alpha, a, b = np.exp(theta)
            lg = (gammaln(r + ux) - gammaln(r) + gammaln(a + b) - gammaln(a + b + ux))[ix]
            lg += (gammaln(b + ux) - gammaln(b))[ix]
            la = np.log(alpha + log_t[0])
            lb = np.log(alpha + log_t[1])
            a3 = -(r + x) * la
            bx = np.where(rep, b + x_m1, 1.0)
            with np.errstate(divide="ignore"):
                a4 = np.where(rep, np.log(a) - np.log(bx) - (r + x) * lb, -np.inf)
            m = np.logaddexp(a3, a4)
            ll = lg + r * np.log(alpha) + m
            q = np.exp(a4 - m)  # weight of the "dropped out after t_x" term
            wq = w * q
            dr = (digamma(r + ux) - digamma(r))[ix] + np.log(alpha) - la - q * (lb - la)
            dalpha = r / alpha - (r + x) * ((1 - q) / (alpha + T) + q / (alpha + tx))
            dab = (digamma(a + b) - digamma(a + b + ux))[ix]
            da_sum = float(w @ dab) + float(wq.sum()) / a
            db_sum = float(w @ (dab + (digamma(b + ux) - digamma(b))[ix])) - float(wq @ (1.0 / bx))
            grad = np.array([float(w @ dr) * r, float(w @ dalpha) * alpha, da_sum * a, db_sum * b])
            return -float(w @ ll) / n, -grad / n

        return objective

    def _log_p_alive(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = p
        rep = x > 0
        with np.errstate(divide="ignore"):
            d = np.where(
                rep,
                np.log(a)
                - np.log(np.where(rep, b + x - 1, 1.0))
                + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)),
                -np.inf,
            )
        return np.asarray(-np.logaddexp(0.0, d), dtype=np.float64)

    def _expected(self, p: tuple[float, ...], t: FloatArray) -> FloatArray:
        r, alpha, a, b = p
        return future_purchases(r, alpha, a, b, t, np.zeros(1), np.zeros(1), 1.0).reshape(
            np.shape(t)
        )

    def _future_if_alive(
        self, p: tuple[float, ...], t: FloatArray, x: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = p
        return future_purchases(r, alpha, a, b, t, x, T, 1.0)
