"""Relationship health 0-100: one number that shows its working.

Why: owners need a single "how is this relationship doing" number to sort and act on, but a
score nobody can explain is not trusted.  Health is a weighted mean of five components, each
reported with its 0-1 value and its contribution in health points, plus a one-line reason:
``"health 72: likely active (P(alive) 0.91), top 17% value, promoter (9), engaged recently,
3 categories"``.

Components, their input columns and how each becomes a 0-1 value:

============ ============== ========================================================= =======
component    input column   value                                                     weight
============ ============== ========================================================= =======
p_alive      ``p_alive``    the model's probability the customer is still active      0.30
clv          ``clv``        percentile of expected CLV within the scored base         0.20
                            (mid-rank: ties share a value; one person alone is 0.5)
nps          ``nps_answer`` the person's latest 0-10 answer via :data:`NPS_ANSWER_VALUE`  0.15
                            (detractors 0-6 map to 0-0.4, passives 0.6/0.7, promoters
                            0.9/1.0: the gap at 6/7 follows the NPS classes)
engagement   ``engagement`` engagement 0-100 (:mod:`.engagement`) / 100                  0.20
depth        ``depth``      depth 0-100 (:mod:`.depth`) / 100                            0.15
============ ============== ========================================================= =======

The weights (:class:`HealthWeights`) favour "still here" and "worth a lot" over sentiment, and
can be overridden.  ``health = 100 * sum(w * value) / sum(w)`` over the components that are
present (column given and value non-null and not NaN): a missing component is left out and the
others re-weighted, never treated as zero, and it is listed in ``missing``.  A person with no
weighted component has ``health = None`` and says so.  Contributions sum to ``health``; a
component weighted 0 still shows its value (contribution 0) but is left out of the explanation.

Input ranges are checked (p_alive 0-1, nps_answer whole 0-10, engagement and depth 0-100,
finite CLV); a value out of range is an error naming the column and the count, never clipped.
An optional ``categories`` column (from :func:`.person_depth`) lets the explanation say
"3 categories" instead of "depth 45" for people who bought in at least one category.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields
from typing import Any

import polars as pl

from goodwill.analytics.metrics.errors import MetricsError
from goodwill.analytics.metrics.frames import reject_nulls, require_columns, to_polars

HEALTH_COMPONENTS: tuple[str, ...] = ("p_alive", "clv", "nps", "engagement", "depth")
"""Component names, in output order; ``<name>_value`` and ``<name>_contribution`` columns."""

INPUT_COLUMNS: dict[str, str] = {
    "p_alive": "p_alive",
    "clv": "clv",
    "nps": "nps_answer",
    "engagement": "engagement",
    "depth": "depth",
}
"""Input column read for each component."""

NPS_ANSWER_VALUE: tuple[float, ...] = (0.0, 0.07, 0.13, 0.2, 0.27, 0.33, 0.4, 0.6, 0.7, 0.9, 1.0)
"""0-1 value of an NPS answer 0..10 (index = answer)."""


@dataclass(frozen=True)
class HealthWeights:
    """Relative weight of each component (need not sum to 1; only ratios matter)."""

    p_alive: float = 0.30
    clv: float = 0.20
    nps: float = 0.15
    engagement: float = 0.20
    depth: float = 0.15

    def __post_init__(self) -> None:
        for field in fields(self):
            weight = getattr(self, field.name)
            if not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0):
                raise MetricsError(f"health weights: {field.name} must be >= 0, got {weight!r}")
        if sum(astuple(self)) <= 0:
            raise MetricsError("health weights: at least one weight must be positive")


def relationship_health(
    people: Any,
    *,
    weights: HealthWeights | None = None,
    id_col: str = "person_id",
) -> pl.DataFrame:
    """Health 0-100 per person with each component's value, contribution and a reason.

    Input ``people``: one row per person with ``id_col`` and any of the component input columns
    (see the module docstring; absent columns count as missing for everyone) and optionally
    ``categories``.  Other columns pass through.

    Output: the input, then ``health`` (Float64 0-100, null only when no weighted component is
    present),
    ``<component>_value`` (0-1) and ``<component>_contribution`` (health points, null when
    missing) for each of :data:`HEALTH_COMPONENTS`, ``missing`` (list of component names) and
    ``explanation`` (string), in input order.
    """
    what = "health inputs"
    weights = weights or HealthWeights()
    df = to_polars(people, what=what)
    require_columns(df, [id_col], what=what)
    reject_nulls(df, [id_col], what=what)
    duplicates = df.height - df.get_column(id_col).n_unique()
    if duplicates:
        raise MetricsError(
            f"{what}: {duplicates} duplicate {id_col!r} value(s); give one row per person"
        )
    values = {name: _component_value(df, name, what) for name in HEALTH_COMPONENTS}
    df = df.with_columns(expr.alias(f"{name}_value") for name, expr in values.items())
    weight_of = dict(zip(HEALTH_COMPONENTS, astuple(weights), strict=True))
    present = {name: pl.col(f"{name}_value").is_not_null() for name in HEALTH_COMPONENTS}
    total = pl.sum_horizontal(
        pl.when(present[n]).then(weight_of[n]).otherwise(0.0) for n in HEALTH_COMPONENTS
    )
    contributions = {
        name: pl.when(present[name] & (total > 0)).then(
            100 * weight_of[name] * pl.col(f"{name}_value") / total
        )
        for name in HEALTH_COMPONENTS
    }
    df = df.with_columns(expr.alias(f"{name}_contribution") for name, expr in contributions.items())
    health = pl.when(total > 0).then(
        pl.sum_horizontal(
            pl.col(f"{name}_contribution").fill_null(0.0) for name in HEALTH_COMPONENTS
        )
    )
    missing = pl.concat_list(
        pl.when(~present[name]).then(pl.lit(name)) for name in HEALTH_COMPONENTS
    ).list.drop_nulls()
    df = df.with_columns(health.alias("health"), missing.alias("missing"))
    ordered = [c for name in HEALTH_COMPONENTS for c in (f"{name}_value", f"{name}_contribution")]
    keep = [c for c in df.columns if c not in {"health", *ordered, "missing"}]
    return df.with_columns(_explanation(df, weight_of).alias("explanation")).select(
        *keep, "health", *ordered, "missing", "explanation"
    )


def _component_value(df: pl.DataFrame, name: str, what: str) -> pl.Expr:
    """0-1 value of one component (null when missing), after checking its input range."""
    column = INPUT_COLUMNS[name]
    if column not in df.columns:
        return pl.lit(None, dtype=pl.Float64)
    dtype = df.schema[column]
    if not (dtype.is_numeric() or dtype == pl.Null):
        raise MetricsError(f"{what}: column {column!r} must be numeric, not {dtype}")
    raw = df.get_column(column).cast(pl.Float64).fill_nan(None)
    low, high = {"p_alive": (0, 1), "nps": (0, 10), "clv": (-math.inf, math.inf)}.get(
        name, (0, 100)
    )
    wrong = raw.is_infinite() | (raw < low) | (raw > high)
    if name == "nps":
        wrong = wrong | (raw != raw.floor())
    bad = int(wrong.sum())
    if bad:
        expected = {"clv": "a finite amount", "nps": "a whole number 0-10"}.get(
            name, f"{low}-{high}"
        )
        raise MetricsError(f"{what}: {bad} value(s) in {column!r} are not {expected}")
    value = pl.col(column).cast(pl.Float64).fill_nan(None)
    if name == "p_alive":
        return value
    if name == "nps":
        return value.cast(pl.Int64).replace_strict(
            dict(enumerate(NPS_ANSWER_VALUE)), return_dtype=pl.Float64
        )
    if name == "clv":
        return (value.rank("average") - 0.5) / value.count()
    return value / 100


def _hundredths(value: pl.Expr) -> pl.Expr:
    """``0.905`` -> ``"0.91"``: two decimals without Python-level formatting."""
    cents = (value * 100).round(0).cast(pl.Int64)
    return pl.concat_str(
        (cents // 100).cast(pl.String), pl.lit("."), (cents % 100).cast(pl.String).str.zfill(2)
    )


def _explanation(df: pl.DataFrame, weight_of: dict[str, float]) -> pl.Expr:
    """Vectorised one-line reason; zero-weight components are not mentioned."""
    p_alive = pl.col("p_alive_value")
    p_alive_text = pl.concat_str(
        pl.when(p_alive >= 0.8).then(pl.lit("likely active"))
        .when(p_alive >= 0.5).then(pl.lit("possibly active"))
        .when(p_alive >= 0.2).then(pl.lit("at risk of lapsing"))
        .otherwise(pl.lit("probably lapsed")),
        pl.lit(" (P(alive) "), _hundredths(p_alive), pl.lit(")"),
    )  # fmt: skip
    pct = pl.col("clv_value")
    clv_text = (
        pl.when(pct >= 0.5)
        .then(pl.format("top {}% value", ((1 - pct) * 100).ceil().clip(1, 100).cast(pl.Int64)))
        .otherwise(pl.format("bottom {}% value", (pct * 100).ceil().clip(1, 100).cast(pl.Int64)))
    )
    answer = (
        pl.col("nps_answer").cast(pl.Int64)
        if "nps_answer" in df.columns
        else pl.lit(None, pl.Int64)
    )
    nps_class = (
        pl.when(answer >= 9).then(pl.lit("promoter")).when(answer >= 7).then(pl.lit("passive"))
    )
    nps_text = pl.format("{} ({})", nps_class.otherwise(pl.lit("detractor")), answer)
    engagement = pl.col("engagement_value")
    engagement_text = (
        pl.when(engagement >= 0.6).then(pl.lit("engaged recently"))
        .when(engagement >= 0.25).then(pl.lit("somewhat engaged"))
        .when(engagement > 0).then(pl.lit("little recent engagement"))
        .otherwise(pl.lit("no recent engagement"))
    )  # fmt: skip
    depth_text = pl.format("depth {}", (pl.col("depth_value") * 100).round(0).cast(pl.Int64))
    if "categories" in df.columns:
        categories = pl.col("categories").cast(pl.Int64)
        in_words = pl.format(
            "{} categor{}",
            categories,
            pl.when(categories == 1).then(pl.lit("y")).otherwise(pl.lit("ies")),
        )
        depth_text = pl.when(categories > 0).then(in_words).otherwise(depth_text)
    texts = {
        "p_alive": p_alive_text,
        "clv": clv_text,
        "nps": nps_text,
        "engagement": engagement_text,
        "depth": depth_text,
    }
    reasons = pl.concat_str(
        [
            pl.when(pl.col(f"{n}_contribution").is_not_null()).then(texts[n])
            for n in HEALTH_COMPONENTS
            if weight_of[n] > 0
        ],
        separator=", ",
        ignore_nulls=True,
    )
    missing_text = pl.col("missing").list.join(", ")
    has_missing = pl.col("missing").list.len() > 0
    known = pl.concat_str(
        pl.lit("health "),
        pl.col("health").round(0).cast(pl.Int64).cast(pl.String),
        pl.lit(": "),
        reasons,
        pl.when(has_missing)
        .then(pl.concat_str(pl.lit("; missing: "), missing_text))
        .otherwise(pl.lit("")),
    )
    unknown = pl.concat_str(
        pl.lit("health unknown: nothing to score (missing: "), missing_text, pl.lit(")")
    )
    return pl.when(pl.col("health").is_not_null()).then(known).otherwise(unknown)
