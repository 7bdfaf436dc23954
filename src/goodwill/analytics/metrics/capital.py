"""Relationship capital: what the customer base is worth, and how much of that is in good health.

Why: revenue reports the past; the base's expected future value is the asset a relationship
business builds.  Two figures, per snapshot and over time:

* ``capital`` - the sum of each customer's expected discounted CLV (from the CLV model: pass its
  discounted expected value, in one currency);
* ``health_weighted_capital`` - the sum of ``clv * health / 100``: value weighted by how healthy
  the relationship holding it is.  Its ratio to ``capital`` (``health_weighted_share``) says how
  secure the value is; a falling share with flat capital is an early warning.

Missing data is counted, not hidden: rows without a CLV (null or NaN) are left out of both sums
and counted in ``without_clv``; rows with a CLV but no health count fully in ``capital``, add
nothing to ``health_weighted_capital`` (no evidence, no credit) and are counted in
``without_health``.  CLV must be >= 0 and health 0-100; anything else is an error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from goodwill.analytics.metrics.errors import MetricsError
from goodwill.analytics.metrics.frames import reject_nulls, require_columns, to_polars

CAPITAL_COLUMNS: tuple[str, ...] = (
    "customers",
    "capital",
    "health_weighted_capital",
    "health_weighted_share",
    "without_clv",
    "without_health",
)
"""Figures of one snapshot, as fields of :class:`RelationshipCapital` and frame columns."""


@dataclass(frozen=True)
class RelationshipCapital:
    """Relationship capital of one snapshot (amounts in the CLV's currency)."""

    as_of: date | datetime | None
    customers: int
    capital: float
    health_weighted_capital: float
    health_weighted_share: float | None
    without_clv: int
    without_health: int


def relationship_capital(
    snapshot: Any,
    *,
    as_of: date | datetime | None = None,
    clv_col: str = "clv",
    health_col: str = "health",
) -> RelationshipCapital:
    """Capital and health-weighted capital of one snapshot of the base.

    Input ``snapshot``: one row per customer with ``clv_col`` (expected discounted CLV) and
    ``health_col`` (0-100, e.g. from :func:`.relationship_health`).  ``as_of`` is only carried
    into the result as a label.  ``customers`` counts the rows with a CLV.
    """
    df = _checked(snapshot, [clv_col, health_col], clv_col, health_col)
    row = df.select(_figures(clv_col, health_col)).row(0, named=True)
    return RelationshipCapital(as_of=as_of, **row)


def relationship_capital_over_time(
    snapshots: Any,
    *,
    date_col: str = "as_of",
    clv_col: str = "clv",
    health_col: str = "health",
) -> pl.DataFrame:
    """Relationship capital per dated snapshot, with the change since the previous one.

    Input ``snapshots``: rows of (``date_col``, customer, ``clv_col``, ``health_col``), e.g. the
    stored scoring snapshots stacked together.  Output, one row per ``date_col`` value, oldest
    first: ``date_col``, :data:`CAPITAL_COLUMNS`, then ``capital_change`` and
    ``health_weighted_change`` (difference from the previous snapshot; null for the first).
    """
    df = _checked(snapshots, [date_col, clv_col, health_col], clv_col, health_col)
    reject_nulls(df, [date_col], what="capital snapshots")
    per_snapshot = df.group_by(date_col).agg(_figures(clv_col, health_col)).sort(date_col)
    return per_snapshot.with_columns(
        pl.col("capital").diff().alias("capital_change"),
        pl.col("health_weighted_capital").diff().alias("health_weighted_change"),
    )


def _checked(data: Any, columns: list[str], clv_col: str, health_col: str) -> pl.DataFrame:
    what = "capital snapshots"
    df = to_polars(data, what=what)
    require_columns(df, columns, what=what)
    for column, low, high, expected in (
        (clv_col, 0.0, math.inf, "a CLV >= 0"),
        (health_col, 0.0, 100.0, "a health 0-100"),
    ):
        dtype = df.schema[column]
        if not (dtype.is_numeric() or dtype == pl.Null):
            raise MetricsError(f"{what}: column {column!r} must be numeric, not {dtype}")
        values = df.get_column(column).cast(pl.Float64).fill_nan(None)
        bad = int((values.is_infinite() | (values < low) | (values > high)).sum())
        if bad:
            raise MetricsError(f"{what}: {bad} value(s) in {column!r} are not {expected}")
    return df.with_columns(pl.col(clv_col, health_col).cast(pl.Float64).fill_nan(None))


def _figures(clv_col: str, health_col: str) -> list[pl.Expr]:
    clv, health = pl.col(clv_col), pl.col(health_col)
    capital = clv.sum()
    weighted = (clv * health / 100).sum()
    return [
        clv.count().cast(pl.Int64).alias("customers"),
        capital.alias("capital"),
        weighted.alias("health_weighted_capital"),
        pl.when(capital > 0).then(weighted / capital).alias("health_weighted_share"),
        clv.null_count().cast(pl.Int64).alias("without_clv"),
        (clv.is_not_null() & health.is_null()).sum().cast(pl.Int64).alias("without_health"),
    ]
