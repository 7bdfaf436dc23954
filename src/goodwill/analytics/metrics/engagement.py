"""Engagement: how much, and how recently, a person engages with us outside of buying.

Why: purchases show value, but replies, reviews, visits and answers show a relationship that is
alive between orders (and warn early when it fades).  The score is a recency-weighted count:

    engagement_raw = sum over interactions of  weight(kind) * 0.5 ** (age_days / half_life_days)

so an interaction counts fully today, half after one half-life (default 30 days), a quarter
after two.  Kind weights (:data:`DEFAULT_ENGAGEMENT_WEIGHTS`, keyed by the timeline's kind
names) say how much effort and intent a touch shows:

====================== ====== ==========================================================
kind                   weight why
====================== ====== ==========================================================
review.submitted       3.0    public effort on our behalf
referral.made          3.0    puts their name on us
message.replied        2.0    a two-way conversation
nps.answered           2.0    took time to tell us how we do
meeting                2.0    time given
call                   1.5    time given, often shorter
support.ticket         1.0    engaged, though not always happily
message.clicked        1.0    acted on what we sent
web.visit              0.5    came by on their own
message.opened         0.25   weak signal: privacy proxies (e.g. Apple Mail) open mail
====================== ====== ==========================================================

Any other kind (orders, our own sends, bounces, notes, consent changes, tasks...) weighs
``default_weight``, 0 unless overridden: purchases are measured elsewhere, and our own actions
are not the person's engagement.  Pass ``weights`` to change or add kinds.

Scaling: ``engagement = 100 * min(1, log(1 + raw) / log(1 + saturation))``.  An absolute log
scale (not a percentile) keeps a person's score comparable across snapshots and bases, and the
log gives the first touches the most weight.  With the default ``saturation = 20`` (about a reply
and a click every week, sustained) a person scores 100; one review today scores about 46; one
opened email today about 7; nothing scores 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import polars as pl

from goodwill.analytics.metrics.errors import MetricsError
from goodwill.analytics.metrics.frames import (
    AsOf,
    age_in_days,
    reject_nulls,
    require_columns,
    to_polars,
)

DEFAULT_ENGAGEMENT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "review.submitted": 3.0,
        "referral.made": 3.0,
        "message.replied": 2.0,
        "nps.answered": 2.0,
        "meeting": 2.0,
        "call": 1.5,
        "support.ticket": 1.0,
        "message.clicked": 1.0,
        "web.visit": 0.5,
        "message.opened": 0.25,
    }
)
"""Weight per interaction kind; see the module docstring for the reasons."""

ENGAGEMENT_COLUMNS: tuple[str, ...] = (
    "interactions",
    "days_since_last",
    "engagement_raw",
    "engagement",
)
"""Columns of :func:`engagement_scores` after the id column."""


def scale_engagement(raw: pl.Expr, *, saturation: float = 20.0) -> pl.Expr:
    """Map a raw engagement (>= 0) to 0-100 on the log scale described in the module docstring."""
    _check_positive(saturation, "saturation")
    return (100 * raw.log1p() / math.log1p(saturation)).clip(0.0, 100.0)


def engagement_scores(
    interactions: Any,
    *,
    as_of: AsOf | None = None,
    half_life_days: float = 30.0,
    weights: Mapping[str, float] = DEFAULT_ENGAGEMENT_WEIGHTS,
    default_weight: float = 0.0,
    saturation: float = 20.0,
    people: Any = None,
    id_col: str = "person_id",
    time_col: str = "occurred_at",
    kind_col: str = "kind",
) -> pl.DataFrame:
    """Recency-weighted engagement per person, raw and scaled 0-100.

    Input ``interactions``: timeline rows with ``id_col``, ``time_col`` (date or datetime) and
    ``kind_col`` (string); rows after ``as_of`` are ignored (see :mod:`.frames`).  ``people``
    (optional: a frame with ``id_col``, or a sequence of ids) fixes who is scored: exactly these
    people, with zeros for those without interactions.

    Output, one row per person (everyone in ``interactions``, or exactly ``people``; a person
    whose only rows weigh 0, e.g. orders, scores 0), sorted by id: ``id_col``; ``interactions`` (Int64, how many
    interactions with a positive weight counted); ``days_since_last`` (Float64, days since the
    latest of those, null if none); ``engagement_raw`` (Float64, the decayed weighted sum) and
    ``engagement`` (Float64, 0-100, see :func:`scale_engagement`).
    """
    what = "engagement interactions"
    _check_positive(half_life_days, "half_life_days")
    _check_weights(weights, default_weight)
    df = to_polars(interactions, what=what)
    require_columns(df, [id_col, time_col, kind_col], what=what)
    reject_nulls(df, [id_col, kind_col], what=what)
    aged, _ = age_in_days(df, time_col, as_of, out="_age", what=what)
    weight = (
        pl.col(kind_col)
        .cast(pl.String)
        .replace_strict(dict(weights), default=default_weight, return_dtype=pl.Float64)
    )
    counted = aged.with_columns(weight.alias("_weight")).filter(pl.col("_weight") > 0)
    decay = (0.5 ** (pl.col("_age") / half_life_days)).alias("_decay")
    scores = counted.group_by(id_col).agg(
        pl.len().cast(pl.Int64).alias("interactions"),
        pl.col("_age").min().alias("days_since_last"),
        (pl.col("_weight") * decay).sum().alias("engagement_raw"),
    )
    if people is None:
        ids = df.select(id_col).unique()
    else:
        ids = _people_ids(people, id_col, df.schema[id_col])
    scores = ids.join(scores, on=id_col, how="left").with_columns(
        pl.col("interactions").fill_null(0),
        pl.col("engagement_raw").fill_null(0.0),
    )
    return scores.with_columns(
        scale_engagement(pl.col("engagement_raw"), saturation=saturation).alias("engagement")
    ).sort(id_col)


def _people_ids(people: Any, id_col: str, dtype: pl.DataType) -> pl.DataFrame:
    if isinstance(people, list | tuple | set | frozenset | pl.Series):
        frame = pl.DataFrame({id_col: pl.Series(list(people), strict=False)})
    else:
        frame = to_polars(people, what="engagement people")
    require_columns(frame, [id_col], what="engagement people")
    reject_nulls(frame, [id_col], what="engagement people")
    ids = frame.select(id_col).unique()
    return ids if dtype == pl.Null else ids.with_columns(pl.col(id_col).cast(dtype))


def _check_positive(value: float, name: str) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise MetricsError(f"engagement: {name} must be a positive number, got {value!r}")


def _check_weights(weights: Mapping[str, float], default_weight: float) -> None:
    for kind, weight in {**weights, "(default_weight)": default_weight}.items():
        if not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0):
            raise MetricsError(f"engagement: weight for {kind!r} must be >= 0, got {weight!r}")
