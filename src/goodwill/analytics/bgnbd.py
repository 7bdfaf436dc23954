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
from scipy.special import betaln, digamma, gammaln

from goodwill.analytics.fitting import Objective
from goodwill.analytics.hypergeometric import hyp2f1_stable
from goodwill.analytics.inputs import Customers, FloatArray, distinct_counts
from goodwill.analytics.logspace import blockwise_map, blockwise_sums, sigmoid_from, softplus
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
        hyp = hyp2f1_stable(a + b - shift - r, a - 1.0, c, z)
        # hyp > 0 except in corners (a + b < 1 with x = 0); keep log precision where we can
        bracket = np.where(
            hyp > 0,
            -np.expm1((a - 1.0) * log_one_minus_z + np.log(np.abs(hyp))),
            1.0 - np.exp((a - 1.0) * log_one_minus_z) * hyp,
        )
        out = c / (a - 1.0) * bracket
        bad = ~np.isfinite(out) & (t > 0)
        if bad.any():
            # Large a and b (little heterogeneity in drop-out) overflow 2F1 above; Euler's
            # transformation gives the same product as (1-z)^(x+r) 2F1(x+r, b+x+1-shift; c; z),
            # whose parameters stay tame there.
            euler = hyp2f1_stable(x[bad] + r, b + x[bad] + 1.0 - shift, c[bad], z[bad])
            log_term = (x[bad] + r) * log_one_minus_z[bad] + np.log(np.abs(euler))
            out[bad] = c[bad] / (a - 1.0) * -np.expm1(log_term)
    return np.asarray(np.where(t > 0, out, 0.0), dtype=np.float64)


def beta_geometric_p_alive(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    *,
    shift: int,
) -> FloatArray:
    """P(alive) = 1 / (1 + a/(b+x-shift) · ((α+T)/(α+t_x))^(r+x)); BG/NBD (``shift=1``) has
    P(alive) = 1 when x = 0. The odds overflow to ``inf`` (P = 0) rather than NaN for huge x.

    Evaluated in place over cache-sized blocks: one log, one exp and a dozen cheap operations
    per customer.
    """

    def block(x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        u = np.add(T, alpha)
        v = np.add(tx, alpha)
        u /= v
        np.log(u, out=u)
        np.add(x, r, out=v)
        u *= v
        if shift:  # x = 0: exponent 0 and odds 0, with no inf * 0 on the way (branch-free)
            repeat = x > 0
            u *= repeat
            np.add(x, b, out=v)
            v -= repeat  # b + x - 1 for repeaters, b (> 0) otherwise
        else:
            np.add(x, b, out=v)
        np.exp(u, out=u)
        np.divide(a, v, out=v)
        u *= v
        if shift:
            u *= repeat
        u += 1.0
        np.divide(1.0, u, out=u)
        return u

    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return blockwise_map(block, (x, tx, T))


def beta_geometric_objective(data: Customers, *, shift: int) -> Objective:
    """Mean NLL and log-space gradient for BG/NBD (``shift=1``) and MBG/NBD (``shift=0``).

    Beta-function and digamma terms depend on x only and are summed with per-x customer counts;
    the per-row work is two logs, one softplus and a few products. Rows without the dropout
    term (BG/NBD non-repeaters) only depend on T.
    """
    x, tx, T = data.columns
    w = data.weights
    n = float(w.sum())
    k = 1 - shift
    ux, wx = distinct_counts(x, w)
    both = x > 0 if shift == 1 else np.ones(x.shape[0], dtype=bool)
    xr, txr, tr, wr = x[both], tx[both], T[both], w[both]
    xz, tz, wz = x[~both], T[~both], w[~both]

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        log_alpha = float(np.log(alpha))
        dg_ab = digamma(a + b) - digamma(a + b + ux + k)
        lgx = gammaln(r + ux) - gammaln(r) + gammaln(a + b) - gammaln(a + b + ux + k)
        lgx += gammaln(b + ux + k) - gammaln(b)
        ll = float(wx @ lgx) + n * r * log_alpha
        dr = float(wx @ (digamma(r + ux) - digamma(r))) + n * log_alpha
        dalpha = n * r / alpha
        da = float(wx @ dg_ab)
        db = float(wx @ (dg_ab + digamma(b + ux + k) - digamma(b)))
        if wz.size:
            laz = np.log(alpha + tz)
            ll -= float(np.einsum("i,i->", wz, (r + xz) * laz))
            dr -= float(np.einsum("i,i->", wz, laz))
            dalpha -= float(np.einsum("i,i->", wz, (r + xz) / (alpha + tz)))
        log_a = float(np.log(a))

        def rows(xr: FloatArray, txr: FloatArray, tr: FloatArray, wr: FloatArray) -> FloatArray:
            la = np.log(alpha + tr)
            lb = np.log(alpha + txr)
            bx = b + xr - shift
            rx = r + xr
            d = log_a - np.log(bx) - rx * (lb - la)
            sp = softplus(d)
            q = sigmoid_from(d, sp)
            wq = wr * q
            inv_t = 1.0 / (alpha + tr)
            return np.array(
                [
                    float(wr @ (sp - rx * la)),
                    float(wr @ la) + float(wq @ (lb - la)),
                    float((wr * rx) @ inv_t) - float((wq * rx) @ (inv_t - 1.0 / (alpha + txr))),
                    float(wq.sum()),
                    float(wq @ (1.0 / bx)),
                ]
            )

        sums = blockwise_sums(rows, (xr, txr, tr, wr))
        ll += sums[0]
        dr -= sums[1]
        dalpha -= sums[2]
        da += sums[3] / a
        db -= sums[4]
        grad = np.array([dr * r, dalpha * alpha, da * a, db * b])
        return -ll / n, -grad / n

    return objective


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
        return beta_geometric_objective(data, shift=1)

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
        return -softplus(d)

    def _p_alive(
        self, p: tuple[float, ...], x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = p
        return beta_geometric_p_alive(r, alpha, a, b, x, tx, T, shift=1)

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
