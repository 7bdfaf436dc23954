"""Validated model inputs: per-customer arrays, and their compression to sufficient statistics.

Every model in this package sees customers only through ``(x, t_x, T)`` (or ``(x, zbar)`` for
spend), so customers with identical rows are interchangeable. :class:`Customers` keeps the unique
rows and a ``weights`` column counting how many customers each stands for; fitting on it gives
exactly the same likelihood as on the raw rows, usually on far fewer rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from goodwill.analytics.errors import AnalyticsError
from goodwill.analytics.frames import to_lazy

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def as_float_array(values: Any, *, name: str) -> FloatArray:
    """A 1-D float64 array from a list, array or Series; raises on non-finite entries."""
    if isinstance(values, pl.Series) or hasattr(values, "to_numpy"):
        values = values.to_numpy()
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalyticsError(f"{name} must be numeric: {exc}") from exc
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise AnalyticsError(f"{name} must be one-dimensional, got shape {arr.shape}")
    bad = int(np.count_nonzero(~np.isfinite(arr)))
    if bad:
        raise AnalyticsError(f"{name} has {bad} missing or non-finite value(s)")
    return arr


def frame_columns(frame: Any, columns: tuple[str, ...]) -> list[FloatArray]:
    """Columns of a summary frame (Polars or pandas) as float arrays, with a clear missing error."""
    lf = to_lazy(frame)
    names = lf.collect_schema().names()
    missing = [c for c in columns if c not in names]
    if missing:
        raise AnalyticsError(
            f"summary frame lacks column(s) {', '.join(missing)}; available: {', '.join(names)}"
        )
    df = lf.select(columns).collect()
    return [as_float_array(df[c], name=c) for c in columns]


def is_frame(value: Any) -> bool:
    """True for Polars/pandas frames (pandas detected by module name, never imported)."""
    if isinstance(value, pl.DataFrame | pl.LazyFrame):
        return True
    return type(value).__module__.split(".")[0] == "pandas" and hasattr(value, "columns")


def customer_arrays(
    frequency: Any, recency: Any, T: Any
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate ``(x, t_x, T)``: broadcastable, finite, ``x`` whole and >= 0, ``0 <= t_x <= T``.

    A summary frame may be passed as ``frequency`` with ``recency`` and ``T`` left ``None``.
    ``x == 0`` requires ``t_x == 0`` (no repeat purchase, so no time of last repeat purchase).
    """
    if is_frame(frequency) and recency is None and T is None:
        frequency, recency, T = frame_columns(frequency, ("frequency", "recency", "T"))
    if recency is None or T is None:
        raise AnalyticsError("pass frequency, recency and T (or one summary frame)")
    x = as_float_array(frequency, name="frequency")
    tx = as_float_array(recency, name="recency")
    t_end = as_float_array(T, name="T")
    try:
        x, tx, t_end = np.broadcast_arrays(x, tx, t_end)
    except ValueError as exc:
        raise AnalyticsError(f"frequency, recency and T have incompatible lengths: {exc}") from exc
    problems = []
    n = x.shape[0]
    if n and (float(x.min()) < 0 or np.any(x != np.floor(x))):
        problems.append("frequency must be whole numbers >= 0")
    if n and float(tx.min()) < 0:
        problems.append("recency must be >= 0")
    # one subtraction and a max first; the tolerant count only when some t_x exceeds T at all
    above = n > 0 and float(np.max(tx - t_end)) > 0
    if above and np.any(tx > t_end * (1 + 1e-12) + 1e-12):
        problems.append(f"recency exceeds T for {int(np.count_nonzero(tx > t_end))} customer(s)")
    if np.any((x == 0) & (tx > 0)):
        problems.append("recency must be 0 when frequency is 0")
    if n and float(t_end.min()) < 0:
        problems.append("T must be >= 0")
    if problems:
        raise AnalyticsError("invalid customer summary: " + "; ".join(problems))
    return (
        np.ascontiguousarray(x),
        np.ascontiguousarray(np.minimum(tx, t_end) if above else tx),
        np.ascontiguousarray(t_end),
    )


def weight_array(weights: Any, n: int) -> FloatArray:
    """Per-row customer counts (default 1); must be finite and >= 0 with a positive total."""
    if weights is None:
        return np.ones(n)
    w = np.broadcast_to(as_float_array(weights, name="weights"), (n,)).astype(np.float64)
    if np.any(w < 0):
        raise AnalyticsError("weights must be >= 0")
    if not w.sum() > 0:
        raise AnalyticsError("weights must sum to a positive number")
    return w


@dataclass(frozen=True)
class Customers:
    """Unique customer rows with weights; ``columns`` are same-length float arrays."""

    columns: tuple[FloatArray, ...]
    weights: FloatArray

    @property
    def n_rows(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_customers(self) -> float:
        return float(self.weights.sum())


def compress(columns: tuple[FloatArray, ...], weights: FloatArray) -> Customers:
    """Merge identical rows, adding their weights (exact for these likelihoods).

    Uses a Polars group-by (multi-threaded hashing) and keeps the raw rows when fewer than
    ~10% of them are duplicates, where compressing would cost more than it saves.
    """
    keep = weights > 0
    if not np.all(keep):
        columns = tuple(c[keep] for c in columns)
        weights = weights[keep]
    n = weights.shape[0]
    if n < 64:
        return Customers(columns, weights)
    packed = _compress_on_grids(columns, weights)
    if packed is not None:
        return packed
    names = [f"c{i}" for i in range(len(columns))]
    df = pl.DataFrame({**dict(zip(names, columns, strict=True)), "w": weights})
    # sorted: a hash group-by returns groups in a different order each run, and the fit must give
    # the same numbers for the same data (likelihood sums are order-sensitive in the last bits)
    grouped = df.group_by(names).agg(pl.col("w").sum()).sort(names)
    if grouped.height > 0.9 * n:
        return Customers(columns, weights)
    return Customers(
        tuple(grouped[c].to_numpy().astype(np.float64) for c in names),
        grouped["w"].to_numpy().astype(np.float64),
    )


def _compress_on_grids(columns: tuple[FloatArray, ...], weights: FloatArray) -> Customers | None:
    """:func:`compress` when every column is on a grid (:func:`grid_codes`): rows become one
    packed integer key, and a sort of those keys finds the distinct rows, in the same order as
    sorting the rows themselves (first column, then the next...). ``None`` when a column is not
    on a grid or the packed key would not fit in 63 bits."""
    n = weights.shape[0]
    grids = []
    size = 1
    for column in columns:
        grid = grid_codes(column)
        if grid is None:
            return None
        grids.append(grid)
        size *= grid[1].shape[0]
        if size >= 1 << 62:
            return None
    key = np.zeros(n, dtype=np.int64)
    for code, values in grids:
        key *= values.shape[0]
        key += code
    ones = bool(np.all(weights == 1.0))
    if ones:
        key = pl.Series(key).sort(multithreaded=False).to_numpy()  # ~3x faster than NumPy's
        head = np.empty(n, dtype=bool)
        head[0] = True
        np.not_equal(key[1:], key[:-1], out=head[1:])
        starts = np.flatnonzero(head)
        if starts.shape[0] > 0.9 * n:
            return Customers(columns, weights)
        uniq = key[starts]
        totals = np.diff(starts, append=n).astype(np.float64)
    else:
        uniq, inverse = np.unique(key, return_inverse=True)
        if uniq.shape[0] > 0.9 * n:
            return Customers(columns, weights)
        totals = np.bincount(inverse.ravel(), weights=weights, minlength=uniq.shape[0]).astype(
            np.float64
        )
    out = []
    for _, values in reversed(grids):
        out.append(values[uniq % values.shape[0]])
        uniq = uniq // values.shape[0]
    return Customers(tuple(np.ascontiguousarray(c) for c in reversed(out)), totals)


def group_pairs(x: FloatArray, t: FloatArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Distinct ``(x, t)`` pairs and, per row, the index of its pair (``x`` whole, >= 0).

    Forecast terms that depend on ``(x, T)`` only are evaluated once per pair. Summaries put
    ``t`` on a grid (whole days in some unit), so ``t`` usually maps exactly to a small integer
    code and the pairs are found by direct addressing in a table of ``x`` by code (a few O(n)
    passes, no hashing or sorting; pairs come out ordered by ``x``, then ``t``). Otherwise the
    pairs are found by hashing a packed float key (Polars ``unique`` and a left join), where
    distinct ``t`` closer than ~1e-12 relative may share a pair (far below data precision) and
    each pair keeps the exact values of one of its rows.
    """
    if x.shape[0] == 0:
        return x, t, np.zeros(0, dtype=np.int64)
    direct = _direct_pairs(x, t)
    return direct if direct is not None else _hashed_pairs(x, t)


_DIRECT_SLOTS = 1 << 22  # largest direct-addressed table (bool + int64 per slot: ~36 MB)


def grid_codes(t: FloatArray) -> tuple[IntArray, FloatArray] | None:
    """Per row a code in ``0..len(values)-1`` with ``values[code] == t`` exactly, equal codes
    exactly for equal ``t``; ``None`` when ``t`` is not on a grid of at most ~4M points.

    The grid step is the smallest gap between distinct values in a strided sample of ~4,000 rows
    (then, if that fails, among all distinct values); every row's code is then checked, so a
    wrong guess only costs the fallback, never a wrong grouping.
    """
    t_min, t_max = float(np.min(t)), float(np.max(t))
    if not (np.isfinite(t_min) and np.isfinite(t_max)):
        return None
    if t_max == t_min:
        return np.zeros(t.shape[0], dtype=np.int64), np.array([t_min])
    sample = np.unique(t[:: max(1, t.shape[0] // 4096)])
    for attempt in range(2):
        uniq = sample if attempt == 0 else np.sort(pl.Series(t).unique().to_numpy())
        if uniq.shape[0] < 2:
            continue
        step = float(np.min(np.diff(uniq)))
        span = (t_max - t_min) / step
        if not span < _DIRECT_SLOTS:
            return None
        n_codes = int(span) + 2
        code = np.rint((t - t_min) * (1.0 / step)).astype(np.int64)
        if int(code.max()) >= n_codes:
            continue
        values = np.full(n_codes, np.nan)
        values[code] = t
        if np.array_equal(values[code], t):  # each code holds one value of t
            return code, values
    return None


def _direct_pairs(x: FloatArray, t: FloatArray) -> tuple[FloatArray, FloatArray, IntArray] | None:
    """Pairs by direct addressing when ``t`` is on a grid and the (x, code) table is small."""
    x_max = float(np.max(x))
    if not (float(np.min(x)) >= 0 and x_max < _DIRECT_SLOTS):
        return None
    grid = grid_codes(t)
    if grid is None:
        return None
    code, values = grid
    width = values.shape[0]
    xi = x.astype(np.int64)
    if not np.array_equal(xi, x):
        return None
    x_values = None
    if (int(x_max) + 1) * width > _DIRECT_SLOTS:  # rank x densely to shrink the table
        seen = np.zeros(int(x_max) + 1, dtype=bool)
        seen[xi] = True
        x_values = np.flatnonzero(seen)
        if x_values.shape[0] * width > _DIRECT_SLOTS:
            return None
        rank = np.cumsum(seen, dtype=np.int64) - 1
        xi = rank[xi]
    key = xi * width
    key += code
    occupied = np.zeros(key.max() + 1, dtype=bool)
    occupied[key] = True
    keys = np.flatnonzero(occupied)
    del occupied
    slot = np.empty(int(keys[-1]) + 1, dtype=np.int64)
    slot[keys] = np.arange(keys.shape[0], dtype=np.int64)
    inverse = slot[key]
    ux = keys // width
    ut = values[keys - ux * width]
    if x_values is not None:
        ux = x_values[ux]
    return ux.astype(np.float64), ut, inverse


def _hashed_pairs(x: FloatArray, t: FloatArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Pairs by hashing a packed float key (any ``t``; ~40 ms per million rows)."""
    t_min = float(np.min(t))
    span = float(np.max(t)) - t_min + 1.0
    frame = pl.DataFrame({"k": x * span + (t - t_min), "x": x, "t": t})
    uniq = frame.unique(subset="k", keep="any").with_row_index("i")
    inverse = (
        frame.select("k")
        .join(uniq.select("k", "i"), on="k", how="left", maintain_order="left")["i"]
        .to_numpy()
        .astype(np.int64)
    )
    return uniq["x"].to_numpy(), uniq["t"].to_numpy(), inverse


def subsample(data: Customers, target: int = 40_000, seed: int = 0) -> Customers | None:
    """A seeded random ~``target``-customer thinning of ``data`` (binomial on the weights), or
    ``None`` when ``data`` is small enough to fit directly. Used only for starting values."""
    if data.n_rows <= 4 * target:
        return None
    rng = np.random.default_rng(seed)
    share = min(1.0, target / data.n_customers)
    whole = np.floor(data.weights)
    thinned = rng.binomial(whole.astype(np.int64), share).astype(np.float64)
    thinned += (data.weights - whole) * share
    keep = thinned > 0
    if not np.any(keep):
        return None
    return Customers(tuple(c[keep] for c in data.columns), thinned[keep])


def distinct_counts(x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Distinct values of a count column and the total weight of each (O(n) via ``bincount``
    for whole numbers below 2^24, a sort otherwise)."""
    if x.size and float(x.max()) < 2**24 and np.all(x == np.floor(x)) and float(x.min()) >= 0:
        totals = np.bincount(x.astype(np.int64), weights=w).astype(np.float64)
        present = np.flatnonzero(totals > 0)
        return present.astype(np.float64), totals[present]
    ux, ix = np.unique(x, return_inverse=True)
    return ux, np.bincount(ix, weights=w, minlength=ux.shape[0]).astype(np.float64)
