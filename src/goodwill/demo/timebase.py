"""Time in the generator: float days since the start of the shop's history, turned into UTC
timestamps at the end.  Acquisitions follow a growing business with a holiday peak; events land
at plausible local hours of the customer's timezone."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from goodwill.demo.models import HISTORY_DAYS

Floats = NDArray[np.float64]

#: Yearly growth of new-customer acquisition.
GROWTH_PER_YEAR = 1.9
#: Relative shopping activity per local hour (0..23): quiet nights, lunch and evening peaks.
HOUR_WEIGHTS = np.array(
    [
        2,
        1,
        0.6,
        0.4,
        0.3,
        0.5,
        1.2,
        2.5,
        3.5,
        4,
        4.2,
        4.5,
        5.5,
        5.5,
        4.6,
        4.2,
        4.2,
        4.5,
        5,
        6,
        6.5,
        6,
        4.5,
        3,
    ],
    dtype=np.float64,
)
_HOUR_CDF = np.cumsum(HOUR_WEIGHTS) / HOUR_WEIGHTS.sum()
#: Office hours (9-17 local) for staff and business actions.
OFFICE_HOURS = (9.0, 17.5)


def to_datetime64(start64: np.datetime64, days: Floats) -> NDArray[np.datetime64]:
    """Days since ``start64`` (NaN for none) as UTC ``datetime64[s]`` (NaT for none)."""
    seconds = np.round(np.nan_to_num(days, nan=0.0) * 86400.0).astype(np.int64)
    out = start64 + seconds.astype("timedelta64[s]")
    out[np.isnan(days)] = np.datetime64("NaT")
    return out


@lru_cache(maxsize=8)
def _acquisition_cdf(start_ordinal: int) -> tuple[Floats, Floats]:
    """Cumulative share of customers acquired by each day of the history."""
    start = np.datetime64("0001-01-01") + np.timedelta64(start_ordinal - 1, "D")
    days = np.arange(HISTORY_DAYS, dtype=np.float64)
    dates = start + days.astype("timedelta64[D]")
    doy = (dates - dates.astype("datetime64[Y]")).astype(np.int64).astype(np.float64)
    growth = GROWTH_PER_YEAR ** (days / 365.0)
    # Black Friday to Christmas brings many first orders; January is quiet.
    season = (
        1.0
        + 0.9 * np.exp(-(((doy - 340.0) / 14.0) ** 2))
        + 0.25 * np.exp(-(((doy - 45.0) / 6.0) ** 2))
        - 0.15 * np.exp(-(((doy - 20.0) / 12.0) ** 2))
    )
    weight = growth * season
    cdf = np.concatenate([[0.0], np.cumsum(weight)])
    cdf /= cdf[-1]
    grid = np.arange(HISTORY_DAYS + 1, dtype=np.float64)
    return cdf, grid


def acquisition_days(start64: np.datetime64, quantiles: Floats) -> Floats:
    """Acquisition day for each quantile in [0, 1): customers numbered in time order."""
    ordinal = int(start64.astype("datetime64[D]").astype(np.int64)) + 719163
    cdf, grid = _acquisition_cdf(ordinal)
    return np.interp(quantiles, cdf, grid)


def local_hours(u: Floats) -> Floats:
    """A local hour of day (fractional) for uniforms ``u`` following :data:`HOUR_WEIGHTS`."""
    hour = np.searchsorted(_HOUR_CDF, u, side="right").astype(np.float64)
    prev = np.where(hour > 0, _HOUR_CDF[np.maximum(hour.astype(np.int64) - 1, 0)], 0.0)
    span = _HOUR_CDF[np.minimum(hour.astype(np.int64), 23)] - prev
    frac = np.clip((u - prev) / np.where(span > 0, span, 1.0), 0.0, 0.999)
    return np.minimum(hour, 23.0) + frac


def at_local_time(days: Floats, offset_hours: Floats, hours: Floats) -> Floats:
    """The same local calendar day as ``days`` (UTC), at local ``hours``, expressed in UTC days."""
    local_day = np.floor(days + offset_hours / 24.0)
    return local_day + (hours - offset_hours) / 24.0


def office_time(rng: np.random.Generator, days: Floats, offset_hours: Floats) -> Floats:
    hours = rng.uniform(OFFICE_HOURS[0], OFFICE_HOURS[1], size=len(days))
    return at_local_time(days, offset_hours, hours)
