"""Input frames: accepting Polars or pandas, checking columns, and measuring event ages.

Every metric takes plain data frames so it can run on data streamed out of the store, a CSV, or
a notebook.  This module holds the checks they all share, so each metric fails the same way on
the same mistake:

* :func:`to_polars` accepts a Polars ``DataFrame``/``LazyFrame`` or a pandas ``DataFrame``
  (converted through Arrow, which is cheap) and rejects anything else.
* :func:`require_columns` names every missing column at once.
* :func:`age_in_days` gives each event its age relative to an ``as_of`` moment.

Time conventions (shared by every metric that looks at dates):

* A time column may be ``Date`` or ``Datetime``; timezone-aware datetimes are converted to UTC,
  naive ones are taken to be UTC already (as in storage).
* ``as_of`` is the end of observation.  ``None`` means "the latest event in the data".
  A ``date`` means "that whole day": events on that day are included and are 0 days old, ages are
  whole days.  A ``datetime`` is an exact moment: ages are fractional days.
* Events after ``as_of`` are left out, so a metric can be recomputed for any past snapshot from
  the full history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

import polars as pl

from goodwill.analytics.metrics.errors import MetricsError

AsOf = date | datetime
"""The end of observation: a whole day (``date``) or an exact moment (``datetime``)."""

Period = Literal["month", "week"]
"""A calendar bucket: a month, or an ISO week starting on Monday."""

_DAY_US = 86_400_000_000


def to_polars(frame: Any, *, what: str) -> pl.DataFrame:
    """Return ``frame`` as a Polars ``DataFrame``; ``what`` names the input in error messages."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if type(frame).__module__.startswith("pandas") and type(frame).__name__ == "DataFrame":
        return pl.from_pandas(frame)
    raise MetricsError(f"{what}: expected a Polars or pandas DataFrame, got {type(frame).__name__}")


def require_columns(df: pl.DataFrame, columns: Sequence[str], *, what: str) -> None:
    """Raise naming every column of ``columns`` that ``df`` lacks."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = ", ".join(df.columns) or "none"
        raise MetricsError(
            f"{what}: missing column(s) {', '.join(repr(c) for c in missing)} (have: {have})"
        )


def reject_nulls(df: pl.DataFrame, columns: Sequence[str], *, what: str) -> None:
    """Raise if any of ``columns`` holds nulls, saying how many rows are affected."""
    for column in columns:
        nulls = df.get_column(column).null_count()
        if nulls:
            raise MetricsError(f"{what}: column {column!r} has {nulls} empty value(s)")


def numeric_column(df: pl.DataFrame, column: str, *, what: str) -> pl.Expr:
    """Return ``column`` as a Float64 expression, rejecting non-numeric and non-finite values."""
    dtype = df.schema[column]
    if not (dtype.is_numeric() or dtype == pl.Boolean):
        raise MetricsError(f"{what}: column {column!r} must be numeric, not {dtype}")
    values = df.get_column(column).cast(pl.Float64)
    bad = int((~values.is_finite()).sum())
    if bad:
        raise MetricsError(f"{what}: column {column!r} has {bad} non-finite value(s) (NaN or inf)")
    return pl.col(column).cast(pl.Float64)


def _naive_utc(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    return expr


def utc_datetime_column(df: pl.DataFrame, column: str, *, what: str) -> pl.Expr:
    """Return ``column`` as a naive-UTC ``Datetime`` (or ``Date``) expression; reject other types."""
    dtype = df.schema[column]
    if dtype == pl.Date:
        return pl.col(column)
    if isinstance(dtype, pl.Datetime):
        return _naive_utc(pl.col(column), dtype).cast(pl.Datetime("us"))
    raise MetricsError(f"{what}: column {column!r} must hold dates or datetimes, not {dtype}")


def _naive_utc_moment(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def age_in_days(
    df: pl.DataFrame,
    time_col: str,
    as_of: AsOf | None,
    *,
    out: str,
    what: str,
) -> tuple[pl.DataFrame, AsOf]:
    """Add ``out`` = age of each event in days at ``as_of``; drop events after ``as_of``.

    Returns the frame and the resolved ``as_of`` (the latest event when ``None`` was given; a
    ``date`` if the column holds dates, else a naive-UTC ``datetime``).  Null times are an error:
    an event without a time cannot be placed in a relationship's history.
    """
    require_columns(df, [time_col], what=what)
    reject_nulls(df, [time_col], what=what)
    moment = utc_datetime_column(df, time_col, what=what)
    is_date_column = df.schema[time_col] == pl.Date
    if as_of is None:
        latest = df.select(moment.max()).item()
        if latest is None:
            raise MetricsError(
                f"{what}: no events, so there is no latest date to measure from; pass as_of"
            )
        as_of = latest
    if isinstance(as_of, datetime) and not is_date_column:
        ref = _naive_utc_moment(as_of)
        age = (pl.lit(ref, dtype=pl.Datetime("us")) - moment).dt.total_microseconds() / _DAY_US
        resolved: AsOf = ref
    else:
        day = as_of.date() if isinstance(as_of, datetime) else as_of
        event_day = moment if is_date_column else moment.dt.date()
        age = (pl.lit(day, dtype=pl.Date) - event_day).dt.total_days().cast(pl.Float64)
        resolved = day
    aged = df.with_columns(age.cast(pl.Float64).alias(out)).filter(pl.col(out) >= 0)
    return aged, resolved
