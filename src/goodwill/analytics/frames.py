"""Turning caller tables and time specifications into the shapes the analytics core works on.

The core accepts a Polars ``DataFrame`` or ``LazyFrame`` or a pandas ``DataFrame`` (converted
through Arrow; pandas is never imported here). Times may be ``Date``, ``Datetime`` (any time zone;
converted to UTC days) or plain numbers meaning *days* on any origin (handy for simulations).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl

from goodwill.analytics.errors import AnalyticsError

_EPOCH = dt.date(1970, 1, 1)
# 1970-01-05 was a Monday: calendar weeks (ISO, Monday first) start on day 4 + 7k since the epoch.
_MONDAY_OFFSET = 4.0


def to_lazy(table: Any) -> pl.LazyFrame:
    """Return ``table`` as a LazyFrame without copying Polars data.

    pandas frames are detected by module name so that pandas stays optional.
    """
    if isinstance(table, pl.LazyFrame):
        return table
    if isinstance(table, pl.DataFrame):
        return table.lazy()
    if type(table).__module__.split(".")[0] == "pandas" and hasattr(table, "columns"):
        try:
            return pl.from_pandas(table).lazy()
        except Exception as exc:  # pragma: no cover - depends on exotic pandas dtypes
            raise AnalyticsError(f"could not read the pandas DataFrame: {exc}") from exc
    raise AnalyticsError(
        f"expected a polars DataFrame/LazyFrame or a pandas DataFrame, got {type(table).__name__}"
    )


def require_columns(schema: pl.Schema, *names: str | None) -> None:
    """Raise one error listing every missing column and the columns that do exist."""
    missing = [n for n in names if n is not None and n not in schema]
    if missing:
        raise AnalyticsError(
            f"column(s) {', '.join(map(repr, missing))} not found; "
            f"available: {', '.join(schema.names())}"
        )


def period_days(spec: str | float | int, *, name: str) -> float:
    """Length in days of a period spec: ``"D"`` (1), ``"W"`` (7) or a positive number of days."""
    if isinstance(spec, str):
        key = spec.strip().upper()
        if key == "D":
            return 1.0
        if key == "W":
            return 7.0
        raise AnalyticsError(f"{name} must be 'D', 'W' or a positive number of days, got {spec!r}")
    value = float(spec)
    if not math.isfinite(value) or value <= 0:
        raise AnalyticsError(f"{name} must be a positive number of days, got {spec!r}")
    return value


def bucket_offset(spec: str | float | int, dtype: pl.DataType) -> float:
    """Origin of the resolution grid: calendar weeks start on Monday for date/datetime columns."""
    if isinstance(spec, str) and spec.strip().upper() == "W" and _is_temporal(dtype):
        return _MONDAY_OFFSET
    return 0.0


def _is_temporal(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.Date | pl.Datetime)


def day_expr(column: str, dtype: pl.DataType, source: pl.Expr | None = None) -> pl.Expr:
    """Days since 1970-01-01 (UTC) of ``source`` (default: the column itself).

    Integer-valued (Int32/Int64, no copy for Date) for date/datetime columns, Float64 for
    numeric ones, so that the common case needs no float temporaries on big tables.
    """
    col = pl.col(column) if source is None else source
    if isinstance(dtype, pl.Date):
        return col.cast(pl.Int32)
    if isinstance(dtype, pl.Datetime):
        return col.dt.epoch("ms") // 86_400_000
    if dtype.is_numeric():
        return col.cast(pl.Float64)
    raise AnalyticsError(
        f"time column {column!r} has type {dtype}; use Date, Datetime or a number of days "
        "(parse strings first, e.g. pl.col(...).str.to_date())"
    )


def bucket_expr(day: pl.Expr, dtype: pl.DataType, res: float, offset: float) -> pl.Expr:
    """Index of the resolution bucket holding ``day`` (days); plain days for daily buckets."""
    if _is_temporal(dtype) and res == 1.0 and offset == 0.0:
        return day.cast(pl.Int64)
    return ((day.cast(pl.Float64) - offset) / res).floor().cast(pl.Int64)


def to_day_number(value: Any, dtype: pl.DataType, *, name: str) -> float:
    """Convert a user-given instant (date, datetime, ISO string or number) to the day scale."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise AnalyticsError(f"{name} {value!r} is not an ISO date") from exc
    if isinstance(value, dt.datetime):
        if not _is_temporal(dtype):
            raise AnalyticsError(f"{name} is a date but the time column holds numbers of days")
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return float((value.date() - _EPOCH).days)
    if isinstance(value, dt.date):
        if not _is_temporal(dtype):
            raise AnalyticsError(f"{name} is a date but the time column holds numbers of days")
        return float((value - _EPOCH).days)
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp, without importing pandas
        return to_day_number(value.to_pydatetime(), dtype, name=name)
    if isinstance(value, int | float):
        if _is_temporal(dtype):
            raise AnalyticsError(f"{name} must be a date or datetime for a date/datetime column")
        if not math.isfinite(float(value)):
            raise AnalyticsError(f"{name} must be finite, got {value!r}")
        return float(value)
    raise AnalyticsError(f"{name} must be a date, datetime, ISO string or number, got {value!r}")
