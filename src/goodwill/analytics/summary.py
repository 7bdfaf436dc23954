"""Per-customer buy-till-you-die summaries (frequency, recency, T, spend) from a transaction table.

Conventions (Fader & Hardie; identical to ``lifetimes.utils.summary_data_from_transaction_data``
with ``freq="D", freq_multiplier=7`` when ``period="W"``):

* Transactions are merged per *resolution* bucket (default: the calendar day, UTC): several orders
  on one day are one purchase occasion whose value is their sum. Exact duplicate rows therefore
  merge too (their values add up); drop ingestion duplicates before summarising if that is wrong.
* ``frequency`` = number of purchase occasions after the first one (repeat purchases).
* ``recency`` (t_x) = time from the first to the last occasion, in ``period`` units.
* ``T`` = time from the first occasion to ``observation_end``, in ``period`` units.
* ``monetary_value`` = mean value of the repeat occasions only (0 when there are none), so the
  acquisition order does not bias the spend model.

``period`` is the unit of time for recency and T ("D", "W" or a number of days); ``resolution``
is the merge bucket. The CDNOW tables of the papers use daily merging in weekly units:
``summarize(..., period="W")``. lifetimes' ``freq="W"`` (calendar weeks, integer T) is
``period="W", resolution="W"``.

Transactions after ``observation_end`` are rejected (an :class:`AnalyticsError` says how many),
because a silent cut usually hides a wrong date or time zone; pass ``after_end="drop"`` to
exclude them on purpose. Null ids or times and negative or non-finite values are rejected
(net refunds first); zero values are kept (free orders are purchases), but
:class:`~goodwill.analytics.GammaGamma` refuses repeat buyers whose mean spend is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from goodwill.analytics.errors import AnalyticsError
from goodwill.analytics.frames import (
    bucket_expr,
    bucket_offset,
    day_expr,
    period_days,
    require_columns,
    to_day_number,
    to_lazy,
)
from goodwill.analytics.threads import both

_F = npt.NDArray[np.float64]
_I = npt.NDArray[np.int64]


def summarize(
    transactions: Any,
    customer_col: str,
    time_col: str,
    value_col: str | None = None,
    *,
    period: str | float = "D",
    resolution: str | float = "D",
    observation_end: Any = None,
    calibration_end: Any = None,
    after_end: Literal["raise", "drop"] = "raise",
) -> pl.DataFrame:
    """Summarise transactions to one row per customer, sorted by customer id.

    Returns columns ``customer_col, frequency, recency, T`` (+ ``monetary_value`` when
    ``value_col`` is given). With ``calibration_end`` the summary covers transactions up to and
    including that instant, and holdout columns are added for the customers first seen in the
    calibration period: ``frequency_holdout`` (purchase occasions after ``calibration_end`` up to
    ``observation_end``), ``monetary_value_holdout`` (their mean value, 0 when none) and
    ``duration_holdout`` (length of the holdout period in ``period`` units).

    ``observation_end`` defaults to the last transaction time. Runs as two vectorised passes
    (validate, then one sort of a packed 64-bit key) with no Python loop over rows.
    """
    lf = to_lazy(transactions)
    schema = lf.collect_schema()
    require_columns(schema, customer_col, time_col, value_col)
    time_dtype = schema[time_col]
    unit = period_days(period, name="period")
    res = period_days(resolution, name="resolution")
    offset = bucket_offset(resolution, time_dtype)
    day = day_expr(time_col, time_dtype)
    bucket = bucket_expr(day, time_dtype, res, offset)
    first_last = (
        bucket_expr(
            day_expr(time_col, time_dtype, pl.col(time_col).min()), time_dtype, res, offset
        ),
        bucket_expr(
            day_expr(time_col, time_dtype, pl.col(time_col).max()), time_dtype, res, offset
        ),
    )
    end_day = (
        None
        if observation_end is None
        else to_day_number(observation_end, time_dtype, name="observation_end")
    )
    cal_day = (
        None
        if calibration_end is None
        else to_day_number(calibration_end, time_dtype, name="calibration_end")
    )
    if after_end not in ("raise", "drop"):
        raise AnalyticsError(f"after_end must be 'raise' or 'drop', got {after_end!r}")

    if end_day is not None and after_end == "drop":
        lf = lf.filter(day <= end_day)
    stats = _validate(lf, customer_col, time_col, value_col, schema, day, first_last, end_day)
    end_bi = stats["bmax"] if end_day is None else float(np.floor((end_day - offset) / res))
    cal_bi = None if cal_day is None else float(np.floor((cal_day - offset) / res))
    if cal_bi is not None:
        if cal_bi >= end_bi:
            raise AnalyticsError("calibration_end must be before observation_end")
        if cal_bi < stats["bmin"]:
            raise AnalyticsError("calibration_end is before the first transaction")

    scale = res / unit
    if cal_bi is None:
        plain_days = isinstance(time_dtype, pl.Date) and res == 1.0 and offset == 0.0
        direct = _direct_summary(
            lf,
            customer_col,
            time_col,
            value_col,
            schema,
            bucket,
            stats,
            end_bi=end_bi,
            scale=scale,
            plain_days=plain_days,
        )
        if direct is not None:
            return direct
    parts = []
    for ids, first, n_periods, pb, pv in _sorted_periods(
        lf, customer_col, value_col, schema, bucket, stats
    ):
        if cal_bi is None:
            cols = _customer_columns(first, n_periods, pb, pv, end_bi, scale)
            parts.append(pl.DataFrame({customer_col: ids, **cols}))
        else:
            parts.append(
                _calibration_holdout(
                    ids, customer_col, first, n_periods, pb, pv, cal_bi, end_bi, scale
                )
            )
    out = pl.concat(parts, rechunk=False) if len(parts) > 1 else parts[0]  # no copy
    if value_col is None:
        out = out.drop(
            [c for c in ("monetary_value", "monetary_value_holdout") if c in out.columns]
        )
    return out


def _validate(
    lf: pl.LazyFrame,
    customer_col: str,
    time_col: str,
    value_col: str | None,
    schema: pl.Schema,
    day: pl.Expr,
    first_last: tuple[pl.Expr, pl.Expr],
    end_day: float | None,
) -> dict[str, Any]:
    """One pass of cheap checks; raises with counts so the caller can find the bad rows."""
    exprs: dict[str, pl.Expr] = {
        "n": pl.len(),
        "null_ids": pl.col(customer_col).null_count(),
        "null_times": pl.col(time_col).null_count(),
        "bmin": first_last[0],
        "bmax": first_last[1],
    }
    if schema[time_col].is_float():
        exprs["bad_times"] = (~pl.col(time_col).is_finite()).sum()
    if schema[customer_col].is_integer():
        exprs["cmin"] = pl.col(customer_col).cast(pl.Int64).min()
        exprs["cmax"] = pl.col(customer_col).cast(pl.Int64).max()
    if value_col is not None:
        if not schema[value_col].is_numeric():
            raise AnalyticsError(
                f"value column {value_col!r} must be numeric, got {schema[value_col]}"
            )
        v = pl.col(value_col).cast(pl.Float64)
        exprs["null_values"] = v.null_count()
        exprs["bad_values"] = (~v.is_finite()).sum()
        exprs["neg_values"] = (v < 0).sum()
    if end_day is not None:
        exprs["after_end"] = (day > end_day).sum()
    row = lf.select(**exprs).collect().row(0, named=True)
    if row["n"] == 0:
        raise AnalyticsError("no transactions to summarise (empty table)")
    problems = []
    for key, what in (
        ("null_ids", f"null {customer_col!r}"),
        ("null_times", f"null {time_col!r}"),
        ("bad_times", f"non-finite {time_col!r}"),
        ("null_values", f"null {value_col!r}"),
        ("bad_values", f"non-finite {value_col!r}"),
        ("neg_values", f"negative {value_col!r} (refunds must be netted before summarising)"),
    ):
        if row.get(key):
            problems.append(f"{row[key]} row(s) with {what}")
    if row.get("after_end"):
        problems.append(
            f"{row['after_end']} transaction(s) after observation_end "
            "(pass after_end='drop' to exclude them)"
        )
    if problems:
        raise AnalyticsError("cannot summarise transactions: " + "; ".join(problems))
    return row


_CHUNK_ROWS = 1 << 20  # rows per pass step of the direct path (bounds its temporaries)


def _direct_summary(
    lf: pl.LazyFrame,
    customer_col: str,
    time_col: str,
    value_col: str | None,
    schema: pl.Schema,
    bucket: pl.Expr,
    stats: dict[str, Any],
    *,
    end_bi: float,
    scale: float,
    plain_days: bool = False,
) -> pl.DataFrame | None:
    """The summary of integer customer ids in a compact range, without sorting the rows.

    Customers are addressed directly by ``id - min id``. First and last bucket come from
    ``np.minimum.at`` / ``np.maximum.at`` and the repeat spend from one ``np.add.at`` of the
    values outside each customer's first bucket, over row chunks. Only the number of distinct
    buckets per customer needs a sort: of one packed integer key per row (32 bits when it fits),
    without any payload. The sort runs on a helper thread while this one does the row passes.
    Returns ``None`` (use the sorted path) for other ids or id ranges much wider than the table.
    """
    if "cmin" not in stats:
        return None
    n = int(stats["n"])
    cmin, width = int(stats["cmin"]), int(stats["cmax"]) - int(stats["cmin"]) + 1
    if width > max(2 * n, 1 << 20) or width >= 1 << 31:
        return None
    bmin = int(stats["bmin"])
    span = int(stats["bmax"]) - bmin + 1
    shift = max(1, (span - 1).bit_length())
    if span >= 1 << 31 or (width << shift) >= 1 << 62:
        return None
    columns = [customer_col, *([value_col] if value_col else [])]
    frame = lf.select(*columns, time_col).collect()  # no copy for an eager input
    code = pl.col(customer_col).cast(pl.Int64) - cmin
    rel = bucket - bmin
    key_type = pl.UInt32 if (width << shift) <= 1 << 32 else pl.Int64

    def occasions() -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """Distinct buckets and the last bucket per customer, from sorted packed keys (in
        customer-id ranges of ~``_SORT_ROWS`` rows: bounded memory)."""
        counts = np.zeros(width, dtype=np.int32)
        last = np.full(width, -1, dtype=np.int32)
        n_ranges = max(1, -(-n // _SORT_ROWS))
        step = -(-width // n_ranges)
        packed = (code * (1 << shift) + rel).cast(key_type)
        for lo_c in range(0, width, step):
            picked = frame.lazy()
            if n_ranges > 1:
                picked = picked.filter(code.is_between(lo_c, lo_c + step - 1))
            keys = picked.select(k=packed).collect()["k"]
            keys.sort(multithreaded=False, in_place=True)  # no second buffer
            _count_occasions(keys.to_numpy(), shift, counts, last)
            del keys
        return counts, last

    # the narrowest bucket type: the random accesses into ``first`` stay in cache
    narrow = span <= np.iinfo(np.int16).max
    bucket_type = np.int16 if narrow else np.int32
    rel_narrow = rel.cast(pl.Int16 if narrow else pl.Int32)

    def chunk(lo: int) -> tuple[_I, npt.NDArray[Any]]:
        """Customer index and bucket of rows ``lo .. lo + _CHUNK_ROWS``."""
        part = frame.slice(lo, _CHUNK_ROWS)
        if plain_days and schema[customer_col] == pl.Int64:  # NumPy: no Polars cast chain
            c = part[customer_col].to_numpy() - cmin
            days = part[time_col].to_physical().to_numpy()
            return c, np.subtract(days, bmin, dtype=bucket_type, casting="unsafe")
        cols = part.select(c=code, b=rel_narrow)
        return cols["c"].to_numpy(), cols["b"].to_numpy()

    def rows() -> tuple[npt.NDArray[Any], _F]:
        """First bucket, and the summed value outside it, per customer (while the sort runs)."""
        first = np.full(width, np.iinfo(bucket_type).max, dtype=bucket_type)
        for lo in range(0, n, _CHUNK_ROWS):
            np.minimum.at(first, *chunk(lo))
        repeat = np.zeros(width)
        if value_col is not None:
            for lo in range(0, n, _CHUNK_ROWS):
                c, b = chunk(lo)
                later = b != first[c]
                value = frame[value_col].slice(lo, _CHUNK_ROWS).cast(pl.Float64).to_numpy()
                np.add.at(repeat, c, value * later)
        return first, repeat

    (counts, last), (first, repeat) = both(occasions, rows)
    present = np.flatnonzero(last >= 0)
    freq = counts[present].astype(np.int64)
    freq -= 1
    start = first[present].astype(np.float64)
    recency = last[present].astype(np.float64)
    recency -= start
    recency *= scale
    t_end = np.subtract(end_bi - bmin, start, out=start)
    t_end *= scale
    ids = pl.Series(customer_col, present + cmin).cast(schema[customer_col])
    out = pl.DataFrame({customer_col: ids, "frequency": freq, "recency": recency, "T": t_end})
    if value_col is not None:
        monetary = repeat[present]
        np.divide(monetary, freq, out=monetary, where=freq > 0)
        monetary[freq == 0] = 0.0
        out = out.with_columns(monetary_value=monetary)
    return out


def _count_occasions(
    keys: npt.NDArray[Any], shift: int, counts: npt.NDArray[np.int32], last: npt.NDArray[np.int32]
) -> None:
    """Add each customer's distinct buckets to ``counts`` and set ``last`` from sorted keys."""
    n = keys.shape[0]
    for lo in range(0, n, _CHUNK_ROWS):
        part = keys[lo : lo + _CHUNK_ROWS]
        start = np.empty(part.shape[0], dtype=bool)
        start[0] = lo == 0 or keys[lo] != keys[lo - 1]
        np.not_equal(part[1:], part[:-1], out=start[1:])
        starts = part[start]
        cust = (starts >> shift).astype(np.int64)  # ascending
        if cust.size:
            head = np.empty(cust.shape[0], dtype=bool)
            head[0] = True
            np.not_equal(cust[1:], cust[:-1], out=head[1:])
            heads = np.flatnonzero(head)
            counts[cust[heads]] += np.diff(heads, append=cust.shape[0]).astype(np.int32)
            tails = np.append(heads[1:], cust.shape[0]) - 1
            last[cust[tails]] = starts[tails] & ((1 << shift) - 1)


_SORT_ROWS = 16_000_000  # keys sorted at a time by the direct path (<= 64-128 MB of keys)
_PART_ROWS = 1_250_000  # rows sorted at a time: bounds peak memory on big tables


def _sorted_periods(
    lf: pl.LazyFrame,
    customer_col: str,
    value_col: str | None,
    schema: pl.Schema,
    bucket: pl.Expr,
    stats: dict[str, Any],
) -> Iterator[tuple[pl.Series, _I, _I, _I, _F]]:
    """Purchase occasions sorted by (customer, bucket) via one sort of a packed int64 key.

    Yields, per customer-id range (all of one customer's rows fall in one range, ranges in id
    order), the customer ids, the index of each customer's first occasion, the number of
    occasions per customer, and per occasion its bucket index and summed value. Integer ids are
    split into ranges of ~1.25M rows so that peak memory stays ~0.25 GB above the input whatever
    its size; other id types are ranked and sorted in one piece.
    """
    bmin = int(stats["bmin"])
    shift = max(1, int(stats["bmax"] - bmin).bit_length())
    value = pl.col(value_col).cast(pl.Float64) if value_col else pl.lit(0.0)
    rel = bucket - bmin
    fast = "cmin" in stats and (int(stats["cmax"]) - int(stats["cmin"])) < (1 << (62 - shift))
    if not fast:
        code = pl.col(customer_col).rank("dense").cast(pl.Int64) - 1
        ranked = (
            lf.select(k=code * (1 << shift) + rel, v=value, c=pl.col(customer_col))
            .sort("k")
            .collect()
        )
        yield _occasions(
            ranked,
            shift,
            bmin,
            value_col is not None,
            lambda pc, pidx, first: ranked["c"].gather(pidx[first]),
        )
        return
    cmin, cmax = int(stats["cmin"]), int(stats["cmax"])
    n_parts = max(1, -(-int(stats["n"]) // _PART_ROWS))
    width = (cmax - cmin) // n_parts + 1
    code = pl.col(customer_col).cast(pl.Int64) - cmin
    for part in range(n_parts):
        lo, hi = part * width, (part + 1) * width
        raw = pl.col(customer_col)  # bounds on the raw ids: no 10M-row temporary per range
        piece = lf.filter((raw >= cmin + lo) & (raw < cmin + hi)) if n_parts > 1 else lf
        frame = piece.select(k=code * (1 << shift) + rel, v=value).sort("k").collect()
        if frame.height == 0:
            continue

        def ids(pc: _I, pidx: _I, first: _I) -> pl.Series:
            return pl.Series(customer_col, pc[first] + cmin).cast(schema[customer_col])

        yield _occasions(frame, shift, bmin, value_col is not None, ids)
        del frame


def _occasions(
    frame: pl.DataFrame,
    shift: int,
    bmin: int,
    has_value: bool,
    ids: Callable[[_I, _I, _I], pl.Series],
) -> tuple[pl.Series, _I, _I, _I, _F]:
    """Merge same-bucket rows of a key-sorted frame into occasions; find customer boundaries."""
    k = frame["k"].to_numpy()
    new_period = np.empty(k.shape[0], dtype=bool)
    new_period[0] = True
    np.not_equal(k[1:], k[:-1], out=new_period[1:])
    pidx = np.flatnonzero(new_period)
    del new_period
    pv = np.add.reduceat(frame["v"].to_numpy(), pidx) if has_value else np.zeros(pidx.shape[0])
    pk = k[pidx]
    del k
    pc = pk >> shift
    pb = (pk & ((1 << shift) - 1)) + bmin
    del pk
    new_cust = np.empty(pc.shape[0], dtype=bool)
    new_cust[0] = True
    np.not_equal(pc[1:], pc[:-1], out=new_cust[1:])
    first = np.flatnonzero(new_cust)
    n_periods = np.diff(np.append(first, pc.shape[0]))
    return ids(pc, pidx, first), first, n_periods, pb, pv


def _customer_columns(
    first: _I, n_periods: _I, pb: _I, pv: _F, end_bi: float, scale: float
) -> dict[str, Any]:
    """frequency, recency, T and monetary_value from sorted occasions (all customers)."""
    last = first + n_periods - 1
    freq = n_periods - 1
    repeat_value = pv.copy()
    repeat_value[first] = 0.0
    total = np.add.reduceat(repeat_value, first)
    monetary = np.divide(total, freq, out=np.zeros(freq.shape[0]), where=freq > 0)
    return {
        "frequency": freq,
        "recency": (pb[last] - pb[first]).astype(np.float64) * scale,
        "T": (end_bi - pb[first]).astype(np.float64) * scale,
        "monetary_value": monetary,
    }


def _calibration_holdout(
    ids: pl.Series,
    customer_col: str,
    first: _I,
    n_periods: _I,
    pb: _I,
    pv: _F,
    cal_bi: float,
    end_bi: float,
    scale: float,
) -> pl.DataFrame:
    """Calibration summary plus holdout counts for customers first seen by ``calibration_end``.

    Occasions are sorted by time within a customer, so the calibration ones come first.
    Sums run over every customer (contiguous segments, exact ``reduceat``) before the customers
    first seen in the holdout are dropped.
    """
    in_cal = pb <= cal_bi
    n_cal = np.add.reduceat(in_cal.astype(np.int64), first)
    cal_value = np.where(in_cal, pv, 0.0)
    cal_value[first] = 0.0
    cal_total = np.add.reduceat(cal_value, first)
    hold_total = np.add.reduceat(np.where(in_cal, 0.0, pv), first)
    keep = n_cal > 0
    first, n_periods, n_cal = first[keep], n_periods[keep], n_cal[keep]
    cal_total, hold_total = cal_total[keep], hold_total[keep]
    freq = n_cal - 1
    n_hold = n_periods - n_cal
    return pl.DataFrame(
        {
            customer_col: ids.filter(pl.Series(keep)),
            "frequency": freq,
            "recency": (pb[first + n_cal - 1] - pb[first]).astype(np.float64) * scale,
            "T": (cal_bi - pb[first]).astype(np.float64) * scale,
            "monetary_value": np.divide(
                cal_total, freq, out=np.zeros(freq.shape[0]), where=freq > 0
            ),
            "frequency_holdout": n_hold,
            "monetary_value_holdout": np.divide(
                hold_total, n_hold, out=np.zeros(n_hold.shape[0]), where=n_hold > 0
            ),
            "duration_holdout": np.full(freq.shape[0], (end_bi - cal_bi) * scale),
        }
    )
