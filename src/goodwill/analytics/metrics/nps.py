"""Net Promoter Score with an honest interval: overall, by any grouping, and over time.

Why: NPS is the loyalty number owners report, and it is usually computed on small samples (one
segment, one month).  A bare "NPS 40" from 5 answers misleads; this module always reports ``n``
and a confidence interval that stays wide when the sample is small, never NaN.

Definitions (as the field uses them):

* answers are integers 0-10 to "how likely are you to recommend us?"; promoters answer 9-10,
  passives 7-8, detractors 0-6;
* ``nps = 100 * (promoters - detractors) / n``, in -100..100;
* ``se`` is the standard error of that estimate from the multinomial variance of the per-answer
  scores +1 / 0 / -1: ``100 * sqrt((p + d - (p - d)^2) / n)`` with ``p``, ``d`` the promoter and
  detractor shares.  It is 0 when every answer falls in one class, so use the interval, not the
  SE, to judge small samples;
* the interval (default ``method="adjusted_wald"``) is the adjusted Wald interval that Rocks
  (2016, The American Statistician, "Interval estimation for the Net Promoter Score") found to
  cover best: add 3 to ``n`` and 3/4 to both the promoter and detractor counts, then
  ``centre +/- z * se`` on those adjusted shares, widened where needed to contain the observed
  score (with very few answers the adjusted centre can sit far from it), and clipped to
  [-100, 100].  With one answer the
  95% interval spans well over 100 points, as it should.  ``method="wald"`` gives the plain
  textbook interval ``nps +/- z * se`` instead.

Empty input is a result, not an error: ``n = 0``, zero counts and ``None`` for every statistic
(``nps``, shares, ``se``, ``ci_low``, ``ci_high``).  Empty answers (nulls) are skipped questions
and are left out; an answer outside 0..10 or with a fraction is an error that says how many
answers are wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl
from scipy.stats import norm

from goodwill.analytics.metrics.errors import MetricsError
from goodwill.analytics.metrics.frames import (
    Period,
    reject_nulls,
    require_columns,
    to_polars,
    utc_datetime_column,
)

IntervalMethod = Literal["adjusted_wald", "wald"]

NPS_COLUMNS: tuple[str, ...] = (
    "n",
    "promoters",
    "passives",
    "detractors",
    "pct_promoters",
    "pct_passives",
    "pct_detractors",
    "nps",
    "se",
    "ci_low",
    "ci_high",
)
"""Statistic columns of every NPS frame, after any grouping columns."""

_PERIOD_INTERVAL: dict[str, str] = {"month": "1mo", "week": "1w"}


@dataclass(frozen=True)
class NpsResult:
    """NPS of one set of answers.  With ``n == 0`` every statistic is ``None``.

    Percentages and ``nps``/``se``/``ci_*`` are in points (0-100, -100..100).
    """

    n: int
    promoters: int
    passives: int
    detractors: int
    pct_promoters: float | None
    pct_passives: float | None
    pct_detractors: float | None
    nps: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    confidence: float


def nps_class(answer: int) -> Literal["promoter", "passive", "detractor"]:
    """Classify one 0-10 answer; raises :class:`MetricsError` outside 0..10."""
    if not 0 <= answer <= 10:
        raise MetricsError(f"NPS answer {answer} is outside 0..10")
    if answer >= 9:
        return "promoter"
    return "passive" if answer >= 7 else "detractor"


def nps_from_counts(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    confidence: float = 0.95,
    method: IntervalMethod = "adjusted_wald",
) -> NpsResult:
    """NPS, SE and interval from class counts (e.g. counts reported by a survey tool)."""
    counts = {"promoters": promoters, "passives": passives, "detractors": detractors}
    for name, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise MetricsError(f"NPS count {name} must be a whole number >= 0, got {count!r}")
    frame = pl.DataFrame(
        {k: [v] for k, v in counts.items()}, schema=dict.fromkeys(counts, pl.Int64)
    )
    row = _with_statistics(frame, confidence=confidence, method=method).row(0, named=True)
    return NpsResult(confidence=confidence, **{c: row[c] for c in NPS_COLUMNS})


def nps(
    answers: Any,
    *,
    score_col: str = "score",
    confidence: float = 0.95,
    method: IntervalMethod = "adjusted_wald",
) -> NpsResult:
    """NPS of all answers.

    ``answers``: a frame with ``score_col`` (0-10), or a plain sequence / Series of answers.
    """
    df = _answers_frame(answers, score_col)
    counts = _class_counts(df, score_col, group=[])
    return nps_from_counts(
        counts["promoters"].item(),
        counts["passives"].item(),
        counts["detractors"].item(),
        confidence=confidence,
        method=method,
    )


def nps_by(
    answers: Any,
    by: str | Sequence[str],
    *,
    score_col: str = "score",
    confidence: float = 0.95,
    method: IntervalMethod = "adjusted_wald",
) -> pl.DataFrame:
    """NPS per group (a segment, a channel, a product...): one row per distinct ``by`` value.

    Output: the ``by`` columns then :data:`NPS_COLUMNS`, sorted by group.  A null group value is
    its own group.  Groups exist only if they have at least one non-empty answer.
    """
    group = [by] if isinstance(by, str) else list(by)
    df = _answers_frame(answers, score_col, extra=group)
    counts = _class_counts(df, score_col, group=group).sort(group, nulls_last=True)
    return _with_statistics(counts, confidence=confidence, method=method).select(
        *group, *NPS_COLUMNS
    )


def nps_over_time(
    answers: Any,
    *,
    time_col: str = "answered_at",
    every: Period = "month",
    by: str | Sequence[str] | None = None,
    score_col: str = "score",
    confidence: float = 0.95,
    method: IntervalMethod = "adjusted_wald",
) -> pl.DataFrame:
    """NPS per calendar month or ISO week (Monday start), optionally per group.

    ``time_col`` is a date or datetime (UTC, see :mod:`.frames`).  Output: ``period_start``
    (Date), the ``by`` columns, then :data:`NPS_COLUMNS`, sorted by group then period.  Every
    period from the first to the last answer is present for every group: a period without
    answers is a row with ``n = 0`` and ``None`` statistics, so a trend chart shows the gap.
    """
    if every not in _PERIOD_INTERVAL:
        raise MetricsError(f"NPS over time: every must be 'month' or 'week', got {every!r}")
    group = [] if by is None else [by] if isinstance(by, str) else list(by)
    df = _answers_frame(answers, score_col, extra=[*group, time_col])
    interval = _PERIOD_INTERVAL[every]
    reject_nulls(df, [time_col], what="NPS answers")
    df = df.with_columns(
        utc_datetime_column(df, time_col, what="NPS answers")
        .dt.truncate(interval)
        .cast(pl.Date)
        .alias("period_start")
    )
    counts = _class_counts(df, score_col, group=[*group, "period_start"])
    if df.height == 0:
        return _with_statistics(counts, confidence=confidence, method=method).select(
            "period_start", *group, *NPS_COLUMNS
        )
    bounds = df.select(
        pl.col("period_start").min().alias("lo"), pl.col("period_start").max().alias("hi")
    )
    periods = (
        pl.date_range(bounds["lo"].item(), bounds["hi"].item(), interval, eager=True)
        .alias("period_start")
        .to_frame()
    )
    grid = df.select(group).unique().join(periods, how="cross") if group else periods
    filled = grid.join(
        counts, on=[*group, "period_start"], how="left", nulls_equal=True
    ).with_columns(pl.col("promoters", "passives", "detractors").fill_null(0))
    return (
        _with_statistics(filled, confidence=confidence, method=method)
        .select("period_start", *group, *NPS_COLUMNS)
        .sort([*group, "period_start"], nulls_last=True)
    )


def latest_nps_answers(
    answers: Any,
    *,
    id_col: str = "person_id",
    time_col: str = "answered_at",
    score_col: str = "score",
) -> pl.DataFrame:
    """Each person's most recent answer: the NPS input of relationship health.

    Input: answers with ``id_col``, ``time_col`` (date or datetime) and ``score_col`` (0-10;
    skipped questions, i.e. nulls, are ignored).  Output, sorted by id: ``id_col``,
    ``nps_answer`` (Int64) and ``nps_answered_at``.  Two answers at the same moment keep the
    lower one, so a tie never flatters.
    """
    df = _answers_frame(answers, score_col, extra=[id_col, time_col])
    reject_nulls(df, [id_col, time_col], what="NPS answers")
    latest = pl.col(score_col).sort_by([time_col, score_col], descending=[False, True]).last()
    return (
        df.group_by(id_col)
        .agg(latest.alias("nps_answer"), pl.col(time_col).max().alias("nps_answered_at"))
        .sort(id_col)
    )


def _answers_frame(answers: Any, score_col: str, extra: Sequence[str] = ()) -> pl.DataFrame:
    """Frame of valid answers (nulls dropped) with ``score_col`` as Int64."""
    what = "NPS answers"
    if isinstance(answers, list | tuple | pl.Series) or type(answers).__name__ == "Series":
        df = pl.DataFrame({score_col: pl.Series(list(answers), strict=False)})
    else:
        df = to_polars(answers, what=what)
    require_columns(df, [score_col, *extra], what=what)
    dtype = df.schema[score_col]
    if dtype == pl.Null:
        return df.with_columns(pl.col(score_col).cast(pl.Int64)).clear()
    if not dtype.is_numeric():
        raise MetricsError(f"{what}: column {score_col!r} must hold numbers 0-10, not {dtype}")
    df = df.filter(pl.col(score_col).is_not_null())
    values = df.get_column(score_col).cast(pl.Float64)
    bad = int((values.is_nan() | (values < 0) | (values > 10) | (values != values.floor())).sum())
    if bad:
        raise MetricsError(
            f"{what}: {bad} answer(s) in {score_col!r} are not whole numbers from 0 to 10"
        )
    return df.with_columns(pl.col(score_col).cast(pl.Int64))


def _class_counts(df: pl.DataFrame, score_col: str, *, group: list[str]) -> pl.DataFrame:
    score = pl.col(score_col)
    aggregations = (
        (score >= 9).sum().cast(pl.Int64).alias("promoters"),
        score.is_between(7, 8).sum().cast(pl.Int64).alias("passives"),
        (score <= 6).sum().cast(pl.Int64).alias("detractors"),
    )
    if group:
        return df.group_by(group).agg(*aggregations)
    return df.select(*aggregations)


def _with_statistics(
    counts: pl.DataFrame, *, confidence: float, method: IntervalMethod
) -> pl.DataFrame:
    """Add the statistic columns to a frame of ``promoters``/``passives``/``detractors``."""
    if not 0 < confidence < 1:
        raise MetricsError(f"NPS: confidence must be between 0 and 1, got {confidence}")
    if method not in ("adjusted_wald", "wald"):
        raise MetricsError(f"NPS: method must be 'adjusted_wald' or 'wald', got {method!r}")
    z = float(norm.ppf(0.5 + confidence / 2))
    promoters = pl.col("promoters").cast(pl.Float64)
    detractors = pl.col("detractors").cast(pl.Float64)
    n = promoters + pl.col("passives").cast(pl.Float64) + detractors
    p, d = promoters / n, detractors / n
    se = (100 * ((p + d - (p - d) ** 2) / n).sqrt()).alias("se")
    if method == "adjusted_wald":
        n_adj = n + 3
        p_adj, d_adj = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
        centre = 100 * (p_adj - d_adj)
        half = z * 100 * ((p_adj + d_adj - (p_adj - d_adj) ** 2) / n_adj).sqrt()
    else:
        centre, half = 100 * (p - d), z * se
    has_answers = n > 0
    statistics = {
        "pct_promoters": 100 * p,
        "pct_passives": 100 * pl.col("passives").cast(pl.Float64) / n,
        "pct_detractors": 100 * d,
        "nps": 100 * (p - d),
        "se": se,
        # The adjusted interval is centred on shrunken shares, so with very few answers it can
        # miss the observed score itself (one detractor: [-98.5, 48.5] around -100): widen it to
        # hold the estimate.
        "ci_low": pl.min_horizontal(centre - half, 100 * (p - d)).clip(-100.0, 100.0),
        "ci_high": pl.max_horizontal(centre + half, 100 * (p - d)).clip(-100.0, 100.0),
    }
    return counts.with_columns(
        n.cast(pl.Int64).alias("n"),
        *(
            pl.when(has_answers).then(expr).otherwise(None).alias(k)
            for k, expr in statistics.items()
        ),
    )
