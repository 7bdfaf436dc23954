"""Retention cohorts: of the customers acquired in a month, what share bought again k months later.

Why: the cohort triangle is how an owner sees whether newer customers stick better than older
ones, without any model.  It is computed from purchase rows only.

Conventions:

* a customer's cohort is the calendar month (or ISO week, Monday start) of their first purchase
  up to ``as_of``;
* cell ``(cohort, k)`` is the share of that cohort who made at least one purchase in the k-th
  period after the acquisition period; ``k = 0`` is the acquisition period itself and is 1.0 by
  definition (everyone bought then), so a second purchase in the first month does not show up
  until ``k >= 1``.  Each customer counts at most once per cell, however many orders they placed;
* cells run from ``k = 0`` to the period containing ``as_of``.  That last period may still be in
  progress, so its share can rise as the period completes; cells after ``as_of`` are not
  observed and are absent from the tidy frame (``null`` in the wide matrix), while observed
  periods without any purchase are ``0.0``;
* periods are counted in calendar steps: a customer acquired on 31 January who buys on
  1 February is active in ``k = 1``.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from goodwill.analytics.metrics.errors import MetricsError
from goodwill.analytics.metrics.frames import (
    AsOf,
    Period,
    age_in_days,
    reject_nulls,
    require_columns,
    to_polars,
    utc_datetime_column,
)

COHORT_COLUMNS: tuple[str, ...] = ("cohort", "period", "cohort_size", "active", "retention")
"""Columns of :func:`retention_cohorts`' tidy frame."""


def _period_index(day: pl.Expr, every: Period) -> pl.Expr:
    """Whole calendar periods since an epoch, so differences count calendar steps."""
    if every == "month":
        return day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64) - 1
    return day.dt.truncate("1w").cast(pl.Int64) // 7  # Date as days since 1970-01-01


def retention_cohorts(
    transactions: Any,
    *,
    as_of: AsOf | None = None,
    every: Period = "month",
    id_col: str = "person_id",
    time_col: str = "ordered_at",
) -> pl.DataFrame:
    """Tidy retention table: one row per observed (cohort, period) cell.

    Input ``transactions``: purchase rows with ``id_col`` and ``time_col`` (date or datetime);
    other columns are ignored, rows after ``as_of`` are left out (see :mod:`.frames`).

    Output (:data:`COHORT_COLUMNS`): ``cohort`` (Date, first day of the acquisition month or
    week), ``period`` (Int64, k >= 0), ``cohort_size`` (Int64, customers acquired in the
    cohort), ``active`` (Int64, of those, how many bought in period k) and ``retention``
    (Float64, ``active / cohort_size``, 1.0 at k = 0), sorted by cohort then period.
    """
    what = "retention transactions"
    if every not in ("month", "week"):
        raise MetricsError(f"retention cohorts: every must be 'month' or 'week', got {every!r}")
    df = to_polars(transactions, what=what)
    require_columns(df, [id_col, time_col], what=what)
    reject_nulls(df, [id_col], what=what)
    aged, resolved = age_in_days(df, time_col, as_of, out="_age_days", what=what)
    if aged.height == 0:
        return _empty()
    truncate = "1mo" if every == "month" else "1w"
    day = utc_datetime_column(aged, time_col, what=what).cast(pl.Date)
    activity = (
        aged.select(
            pl.col(id_col),
            day.dt.truncate(truncate).alias("_start"),
            _period_index(day, every).alias("_index"),
        )
        .unique([id_col, "_index"])
        .with_columns(
            pl.col("_start").min().over(id_col).alias("cohort"),
            pl.col("_index").min().over(id_col).alias("_cohort_index"),
        )
        .with_columns((pl.col("_index") - pl.col("_cohort_index")).alias("period"))
    )
    last_index = pl.DataFrame({"d": [resolved]}).select(
        _period_index(pl.col("d").cast(pl.Date), every)
    )
    cells = (
        activity.group_by("cohort", "_cohort_index")
        .agg(pl.col(id_col).n_unique().cast(pl.Int64).alias("cohort_size"))
        .with_columns(
            pl.int_ranges(0, last_index.item() - pl.col("_cohort_index") + 1).alias("period")
        )
        .explode("period")
        .drop("_cohort_index")
    )
    active = activity.group_by("cohort", "period").agg(
        pl.col(id_col).n_unique().cast(pl.Int64).alias("active")
    )
    return (
        cells.join(active, on=["cohort", "period"], how="left")
        .with_columns(pl.col("active").fill_null(0))
        .with_columns(
            pl.col("period").cast(pl.Int64),
            (pl.col("active") / pl.col("cohort_size")).alias("retention"),
        )
        .select(COHORT_COLUMNS)
        .sort("cohort", "period")
    )


def retention_matrix(cohorts: Any, *, value: str = "retention") -> pl.DataFrame:
    """Pivot :func:`retention_cohorts`' tidy frame into the familiar triangle.

    Output: ``cohort``, ``cohort_size``, then one column per period named ``period_0``,
    ``period_1``, ... holding ``value`` (``"retention"`` or ``"active"``); unobserved cells
    are null.  One row per cohort, oldest first.
    """
    what = "retention cohorts"
    df = to_polars(cohorts, what=what)
    require_columns(df, COHORT_COLUMNS, what=what)
    if value not in ("retention", "active"):
        raise MetricsError(
            f"retention matrix: value must be 'retention' or 'active', not {value!r}"
        )
    if df.height == 0:
        return pl.DataFrame(schema={"cohort": pl.Date, "cohort_size": pl.Int64})
    periods = range(int(df.get_column("period").max()) + 1)  # type: ignore[arg-type]
    wide = df.with_columns(("period_" + pl.col("period").cast(pl.String)).alias("_column")).pivot(
        on="_column", index=["cohort", "cohort_size"], values=value
    )
    missing = [f"period_{k}" for k in periods if f"period_{k}" not in wide.columns]
    wide = wide.with_columns(pl.lit(None, dtype=df.schema[value]).alias(c) for c in missing)
    return wide.select("cohort", "cohort_size", *(f"period_{k}" for k in periods)).sort("cohort")


def _empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "cohort": pl.Date,
            "period": pl.Int64,
            "cohort_size": pl.Int64,
            "active": pl.Int64,
            "retention": pl.Float64,
        }
    )
