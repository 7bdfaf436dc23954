"""Log-space primitives for two-term likelihoods, faster than ``np.logaddexp`` on big arrays.

Every buy-till-you-die likelihood here is ``log(e^u + e^v)`` per customer. Written as
``u + softplus(v - u)`` it needs one exp and one log1p, handles ``v = -inf`` exactly (the
result is then ``u``, never NaN), and the derivative weight of the second term is
``sigmoid(v - u)``. Inputs must not be ``+inf``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from goodwill.analytics.inputs import FloatArray
from goodwill.analytics.threads import both


def softplus(d: FloatArray) -> FloatArray:
    """log(1 + e^d) for d in [-inf, inf), without overflow."""
    # clipping at -700 keeps exp out of the (very slow) subnormal range; the term is then < 1e-304
    return np.asarray(
        np.maximum(d, 0.0) + np.log1p(np.exp(np.maximum(-np.abs(d), -700.0))), dtype=np.float64
    )


def sigmoid_from(d: FloatArray, sp: FloatArray) -> FloatArray:
    """1 / (1 + e^-d) given ``sp = softplus(d)``; below 1e-304 it is returned as 0."""
    z = d - sp
    return np.asarray(np.where(z > -700.0, np.exp(np.maximum(z, -700.0)), 0.0), dtype=np.float64)


_BLOCK = 8192


def blockwise_sums(
    fn: Callable[..., FloatArray], arrays: Sequence[FloatArray], block: int = _BLOCK
) -> FloatArray:
    """Sum ``fn(*chunk)`` over row blocks of ``arrays``.

    Why: a likelihood pass is ~30 elementwise operations; on whole arrays of 10^5-10^6 rows each
    one allocates and streams megabytes through memory (and page-faults), while ~8k-row blocks
    stay in cache. Measured 3-7x faster on the 2-core target machine.
    """
    n = arrays[0].shape[0]
    n_blocks = -(-n // block)
    if n_blocks < 16:  # ~130k rows: below that a helper thread costs more than it saves
        return _sum_blocks(fn, arrays, 0, n, block)
    # two halves on two threads; the split (and so the rounding) does not depend on the thread
    # count, so one and two threads give bit-identical sums
    mid = (n_blocks // 2) * block
    first, second = both(
        partial(_sum_blocks, fn, arrays, 0, mid, block),
        partial(_sum_blocks, fn, arrays, mid, n, block),
    )
    return first + second


def _sum_blocks(
    fn: Callable[..., FloatArray], arrays: Sequence[FloatArray], lo: int, hi: int, block: int
) -> FloatArray:
    total: FloatArray | None = None
    for start in range(lo, max(hi, lo + 1), block):
        end = min(start + block, hi)
        part = fn(*(a[start:end] for a in arrays))
        total = part if total is None else total + part
    assert total is not None
    return total


def blockwise_map(
    fn: Callable[..., FloatArray], arrays: Sequence[FloatArray], block: int = 4 * _BLOCK
) -> FloatArray:
    """``fn`` applied to row blocks of ``arrays`` (elementwise functions only), concatenated.

    Same reason as :func:`blockwise_sums`: a dozen elementwise steps over a million rows run
    ~2x faster on cache-sized blocks than on whole arrays.
    """
    n = arrays[0].shape[0]
    if n <= block:
        return fn(*arrays)
    out = np.empty(n)
    for lo in range(0, n, block):
        out[lo : lo + block] = fn(*(a[lo : lo + block] for a in arrays))
    return out
