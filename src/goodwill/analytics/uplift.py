"""Did a journey help?  Treated vs holdout over a window after entry, with confidence intervals.

Input: enrolments (``person_id``, ``entered_at``, ``holdout`` bool) and purchases
(``person_id``, ``ordered_at``, ``amount``).  Only enrolments whose whole window has elapsed by
``as_of`` count (the rest are reported as ``pending``).  Per enrolment, over
(entered_at, entered_at + window]:

* **repeat-purchase rate**: bought at least once;
* **revenue per person**: total amount bought (zero for non-buyers);
* **retention**: still buying at the end, i.e. bought in the second half of the window.

Differences are treated minus holdout.  Proportions use Newcombe's hybrid score interval (method
10: Wilson intervals per group, combined), which behaves with small groups and rates near 0 or 1;
revenue uses Welch's t interval.  With an empty group the difference is reported as unknown
(None), never NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from goodwill.analytics.errors import AnalyticsError


@dataclass(frozen=True)
class UpliftMetric:
    name: str
    treated: float | None
    holdout: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class UpliftReport:
    window_days: int
    confidence: float
    treated: int
    holdout: int
    pending: int
    metrics: tuple[UpliftMetric, ...]


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def proportion_difference(
    k1: int, n1: int, k0: int, n0: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Difference p1 - p0 with Newcombe's hybrid score interval."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = _wilson(k1, n1, z)
    l0, u0 = _wilson(k0, n0, z)
    d = p1 - p0
    low = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return d, max(-1.0, low), min(1.0, high)


def mean_difference(
    x1: np.ndarray[Any, Any], x0: np.ndarray[Any, Any], confidence: float = 0.95
) -> tuple[float, float, float]:
    """Welch's t interval for mean(x1) - mean(x0); a zero-variance pair gives a point interval."""
    d = float(x1.mean() - x0.mean())
    v1 = float(x1.var(ddof=1)) / x1.size if x1.size > 1 else 0.0
    v0 = float(x0.var(ddof=1)) / x0.size if x0.size > 1 else 0.0
    se = math.sqrt(v1 + v0)
    if se == 0:
        return d, d, d
    dof_den = (v1 * v1 / (x1.size - 1) if x1.size > 1 else 0.0) + (
        v0 * v0 / (x0.size - 1) if x0.size > 1 else 0.0
    )
    dof = (v1 + v0) ** 2 / dof_den if dof_den > 0 else 1.0
    t = float(stats.t.ppf(0.5 + confidence / 2, dof))
    return d, d - t * se, d + t * se


def uplift(
    enrolments: pl.DataFrame,
    purchases: pl.DataFrame,
    *,
    window_days: int,
    as_of: datetime,
    confidence: float = 0.95,
) -> UpliftReport:
    if window_days < 1:
        raise AnalyticsError("the uplift window must be at least one day")
    if not 0 < confidence < 1:
        raise AnalyticsError("confidence must be between 0 and 1")
    window = timedelta(days=window_days)
    complete = enrolments.filter(pl.col("entered_at") + window <= as_of)
    pending = enrolments.height - complete.height
    joined = (
        complete.with_row_index("enrolment")
        .join(purchases, on="person_id", how="left")
        .with_columns(
            inside=(pl.col("ordered_at") > pl.col("entered_at"))
            & (pl.col("ordered_at") <= pl.col("entered_at") + window),
            late=pl.col("ordered_at") > pl.col("entered_at") + window / 2,
        )
        .group_by("enrolment", "holdout")
        .agg(
            bought=pl.col("inside").fill_null(False).any(),
            revenue=pl.when(pl.col("inside").fill_null(False))
            .then(pl.col("amount"))
            .otherwise(0.0)
            .sum(),
            retained=(pl.col("inside").fill_null(False) & pl.col("late").fill_null(False)).any(),
        )
    )
    treated = joined.filter(~pl.col("holdout"))
    control = joined.filter(pl.col("holdout"))
    metrics = (
        _proportion("repeat-purchase rate", treated["bought"], control["bought"], confidence),
        _mean("revenue per person", treated["revenue"], control["revenue"], confidence),
        _proportion("retention", treated["retained"], control["retained"], confidence),
    )
    return UpliftReport(window_days, confidence, treated.height, control.height, pending, metrics)


def _proportion(name: str, t: pl.Series, c: pl.Series, confidence: float) -> UpliftMetric:
    n1, n0 = t.len(), c.len()
    k1, k0 = int(t.sum()), int(c.sum())
    p1 = k1 / n1 if n1 else None
    p0 = k0 / n0 if n0 else None
    if not n1 or not n0:
        return UpliftMetric(name, p1, p0, None, None, None)
    d, low, high = proportion_difference(k1, n1, k0, n0, confidence)
    return UpliftMetric(name, p1, p0, d, low, high)


def _mean(name: str, t: pl.Series, c: pl.Series, confidence: float) -> UpliftMetric:
    x1 = t.cast(pl.Float64).to_numpy()
    x0 = c.cast(pl.Float64).to_numpy()
    m1 = float(x1.mean()) if x1.size else None
    m0 = float(x0.mean()) if x0.size else None
    if not x1.size or not x0.size:
        return UpliftMetric(name, m1, m0, None, None, None)
    d, low, high = mean_difference(x1, x0, confidence)
    return UpliftMetric(name, m1, m0, d, low, high)
