"""RFM: recency, frequency and monetary value scored 1-5, and the named segments built on them.

Why: RFM is the segmentation every merchant already knows.  It needs no model, it is easy to
explain to a shop owner ("bought recently, buys often"), and its named segments map directly to
actions (thank champions, win back the at-risk).

Scoring (:func:`quintile_score`).  Each dimension is scored by where a customer stands in the
base: ``score = 1 + floor(5 * share of customers strictly worse)``, so the bottom fifth scores 1
and the top fifth 5.  This is robust in the ways naive quantile cuts are not:

* ties always get the same score (two customers with 3 orders never differ), and a tie sits at
  the bottom of its span - so one-time buyers, often most of a base, all get F = 1 and the
  segments "new" and "promising" stay reachable;
* fewer than 5 distinct values simply use fewer scores (a base where everyone bought once is all
  F = 1) instead of failing;
* the lowest value always scores 1; 5 needs at least 80% of the base strictly below.
* recency is scored so that more recent (fewer days) is better.

Segments (:data:`DEFAULT_RFM_SEGMENTS`).  The widely used R x F segment map (the one popularised
by the RFM tutorials and tools that score on a 5 x 5 R/F grid), with "lost" carved out of the
hibernating corner.  First matching rule wins; the table covers all 25 R/F cells:

=================== ======= ======= ===============================================
segment             R       F       reading
=================== ======= ======= ===============================================
lost                1       1       longest gone, bought least
hibernating         1-2     1-2     gone a while, bought little
at_risk             1-2     3-4     used to buy often, gone a while
cant_lose           1-2     5       best buyers, gone a while
about_to_sleep      3       1-2     fading, bought little
needs_attention     3       3       middling on both
loyal               3-4     4-5     buy often, fairly recently
promising           4       1       recent first purchase
new                 5       1       very recent first purchase
potential_loyalists 4-5     2-3     recent, starting to repeat
champions           5       4-5     most recent and most frequent
=================== ======= ======= ===============================================

M does not decide the default segment (as in the common map); it is reported and can be used by
custom rules (:class:`RfmSegmentRule` takes an optional M range).  Scores are relative to the base
they are computed on: score the whole base at once, not one customer at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from goodwill.analytics.metrics.errors import MetricsError
from goodwill.analytics.metrics.frames import (
    AsOf,
    age_in_days,
    numeric_column,
    reject_nulls,
    require_columns,
    to_polars,
)

Score = tuple[int, int]
"""An inclusive score range, e.g. ``(1, 2)``."""


@dataclass(frozen=True)
class RfmSegmentRule:
    """A named segment: customers whose R, F and M scores all fall in the inclusive ranges."""

    name: str
    r: Score
    f: Score
    m: Score = (1, 5)

    def __post_init__(self) -> None:
        for label, (low, high) in (("r", self.r), ("f", self.f), ("m", self.m)):
            if not 1 <= low <= high <= 5:
                raise MetricsError(
                    f"RFM segment {self.name!r}: {label} range {low}-{high} must lie within 1-5"
                )

    def matches(self) -> pl.Expr:
        """Polars condition over ``r_score``, ``f_score``, ``m_score``."""
        return (
            pl.col("r_score").is_between(*self.r)
            & pl.col("f_score").is_between(*self.f)
            & pl.col("m_score").is_between(*self.m)
        )


DEFAULT_RFM_SEGMENTS: tuple[RfmSegmentRule, ...] = (
    RfmSegmentRule("lost", r=(1, 1), f=(1, 1)),
    RfmSegmentRule("hibernating", r=(1, 2), f=(1, 2)),
    RfmSegmentRule("at_risk", r=(1, 2), f=(3, 4)),
    RfmSegmentRule("cant_lose", r=(1, 2), f=(5, 5)),
    RfmSegmentRule("about_to_sleep", r=(3, 3), f=(1, 2)),
    RfmSegmentRule("needs_attention", r=(3, 3), f=(3, 3)),
    RfmSegmentRule("loyal", r=(3, 4), f=(4, 5)),
    RfmSegmentRule("promising", r=(4, 4), f=(1, 1)),
    RfmSegmentRule("new", r=(5, 5), f=(1, 1)),
    RfmSegmentRule("potential_loyalists", r=(4, 5), f=(2, 3)),
    RfmSegmentRule("champions", r=(5, 5), f=(4, 5)),
)
"""The default rule table (first match wins); see the module docstring."""

UNMATCHED_SEGMENT = "other"
"""Segment given when custom rules leave a score combination uncovered."""


def quintile_score(values: pl.Expr, *, higher_is_better: bool = True) -> pl.Expr:
    """Score 1-5 by the share of non-null values strictly worse than each value.

    Ties share a score (the lowest of their span); see the module docstring for why.
    """
    strictly_worse = values.rank("min", descending=not higher_is_better) - 1
    share = strictly_worse.cast(pl.Float64) / values.count().cast(pl.Float64)
    return (1 + (5 * share).floor()).clip(1, 5).cast(pl.Int8)


def rfm_summary(
    transactions: Any,
    *,
    as_of: AsOf | None = None,
    id_col: str = "person_id",
    time_col: str = "ordered_at",
    amount_col: str = "amount",
    order_col: str | None = None,
) -> pl.DataFrame:
    """Per-customer recency, frequency and monetary value from purchase rows.

    Input ``transactions``: one row per order (or per order line if ``order_col`` is given, in
    which case orders are counted by distinct ``order_col``), with ``id_col``, ``time_col``
    (date or datetime) and ``amount_col`` (numeric, the order's value in one currency; refunds
    may be negative rows).  Rows after ``as_of`` are ignored (see :mod:`.frames` for the time
    conventions).

    Output: ``id_col``, ``recency_days`` (days from the last purchase to ``as_of``, float),
    ``frequency`` (number of orders, int), ``monetary`` (total amount, float), one row per
    customer, sorted by ``id_col``.
    """
    what = "RFM transactions"
    df = to_polars(transactions, what=what)
    columns = [id_col, time_col, amount_col] + ([order_col] if order_col else [])
    require_columns(df, columns, what=what)
    reject_nulls(df, [id_col, amount_col], what=what)
    amount = numeric_column(df, amount_col, what=what)
    aged, _ = age_in_days(df, time_col, as_of, out="_age_days", what=what)
    frequency = pl.col(order_col).n_unique() if order_col else pl.len()
    return (
        aged.group_by(id_col)
        .agg(
            pl.col("_age_days").min().alias("recency_days"),
            frequency.cast(pl.Int64).alias("frequency"),
            amount.sum().alias("monetary"),
        )
        .sort(id_col)
    )


def score_rfm(
    summary: Any,
    *,
    segments: Sequence[RfmSegmentRule] = DEFAULT_RFM_SEGMENTS,
) -> pl.DataFrame:
    """Score a per-customer summary 1-5 on R, F and M and name each customer's segment.

    Input ``summary``: one row per customer with numeric ``recency_days`` (lower is better),
    ``frequency`` and ``monetary`` (higher is better), no nulls; any other columns (the id) pass
    through unchanged and in order.

    Output: the input plus ``r_score``, ``f_score``, ``m_score`` (Int8, 1-5), ``rfm`` (string
    such as ``"545"``) and ``segment`` (the first matching rule's name, or ``"other"``).
    """
    what = "RFM summary"
    df = to_polars(summary, what=what)
    require_columns(df, ["recency_days", "frequency", "monetary"], what=what)
    reject_nulls(df, ["recency_days", "frequency", "monetary"], what=what)
    recency = numeric_column(df, "recency_days", what=what)
    frequency = numeric_column(df, "frequency", what=what)
    monetary = numeric_column(df, "monetary", what=what)
    scored = df.with_columns(
        quintile_score(recency, higher_is_better=False).alias("r_score"),
        quintile_score(frequency).alias("f_score"),
        quintile_score(monetary).alias("m_score"),
    )
    return scored.with_columns(
        pl.concat_str(
            pl.col("r_score").cast(pl.String),
            pl.col("f_score").cast(pl.String),
            pl.col("m_score").cast(pl.String),
        ).alias("rfm"),
        _segment_expr(segments).alias("segment"),
    )


def rfm(
    transactions: Any,
    *,
    as_of: AsOf | None = None,
    id_col: str = "person_id",
    time_col: str = "ordered_at",
    amount_col: str = "amount",
    order_col: str | None = None,
    segments: Sequence[RfmSegmentRule] = DEFAULT_RFM_SEGMENTS,
) -> pl.DataFrame:
    """:func:`rfm_summary` then :func:`score_rfm`: purchase rows in, scored customers out."""
    summary = rfm_summary(
        transactions,
        as_of=as_of,
        id_col=id_col,
        time_col=time_col,
        amount_col=amount_col,
        order_col=order_col,
    )
    return score_rfm(summary, segments=segments)


def _segment_expr(segments: Sequence[RfmSegmentRule]) -> pl.Expr:
    expr = pl.lit(UNMATCHED_SEGMENT, dtype=pl.String)
    for rule in reversed(segments):
        expr = pl.when(rule.matches()).then(pl.lit(rule.name, dtype=pl.String)).otherwise(expr)
    return expr
