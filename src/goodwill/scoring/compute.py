"""Pure scoring of a customer base: from frames to per-customer scores and business figures.

No I/O: `scoring.service` loads the frames from the store and writes the results back.

Model choice, and how small or odd data is handled (never a crash, never a silent NaN):

* Purchases are orders that were not cancelled and kept a positive net value (a fully refunded
  order is not a purchase). Time is in days; the spend model sees values in major units.
* BG/NBD is fitted by maximum likelihood. If nobody has repeated yet, or the fit fails, a
  default BG/NBD (the CDNOW published parameters, in days) is used and every estimate is labelled
  ``default model``. If the fit has warnings (few customers, few repeaters, wide errors) the run is
  labelled ``uncertain`` and the warnings are kept with it.
* Gamma-Gamma predicts spend when at least 20 repeat buyers have positive spend and the fit gives
  q > 1; otherwise each customer's expected spend is the base's mean order value (labelled).
* CLV: discounted expected spend over the next 12 months at 1% a month (lifetimes' convention).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from goodwill.analytics import BGNBD, AnalyticsError, GammaGamma, discounted_purchases, summarize
from goodwill.analytics import score as score_customers
from goodwill.analytics.metrics import (
    engagement_scores,
    latest_nps_answers,
    nps,
    nps_over_time,
    person_depth,
    relationship_capital,
    relationship_health,
    retention_cohorts,
    retention_matrix,
    rfm,
)

HORIZON_DAYS = 90
CLV_MONTHS = 12
MONTHLY_DISCOUNT = 0.01
MIN_SPEND_REPEATERS = 20
#: BG/NBD on CDNOW (Fader, Hardie & Lee 2005), alpha converted from weeks to days.
DEFAULT_BGNBD = {"r": 0.2426, "alpha": 4.4136 * 7, "a": 0.7929, "b": 2.4259}


@dataclass
class ModelReport:
    name: str
    params: dict[str, float]
    status: str  # fitted | uncertain | default model
    warnings: list[str] = field(default_factory=list)
    log_likelihood: float | None = None
    #: None where the likelihood is flat (an infinite standard error: the data do not pin it down)
    standard_errors: dict[str, float | None] = field(default_factory=dict)
    spend_model: str = "gamma-gamma"
    spend_params: dict[str, float] = field(default_factory=dict)


@dataclass
class ScoringResult:
    customers: pl.DataFrame  # one row per customer: every snapshot column
    model: ModelReport
    business: dict[str, Any]
    capital: float
    health_weighted_capital: float


def _fit_purchase_model(summary: pl.DataFrame) -> tuple[BGNBD, ModelReport]:
    try:
        model = BGNBD().fit_summary(summary)
    except AnalyticsError as exc:
        fallback = BGNBD.from_params(**DEFAULT_BGNBD)
        return fallback, ModelReport("BG/NBD", dict(DEFAULT_BGNBD), "default model", [str(exc)])
    diag = model.diagnostics
    params = model.params
    usable = diag.converged or diag.gradient_norm < 1e-3
    if not usable or not all(np.isfinite(v) and v > 0 for v in params.values()):
        fallback = BGNBD.from_params(**DEFAULT_BGNBD)
        reason = f"the fit did not converge ({diag.message})"
        return fallback, ModelReport("BG/NBD", dict(DEFAULT_BGNBD), "default model", [reason])
    status = "uncertain" if diag.warnings else "fitted"
    report = ModelReport(
        "BG/NBD",
        params,
        status,
        list(diag.warnings),
        _finite_or_none(float(model.log_likelihood)),
        {k: _finite_or_none(float(v)) for k, v in model.standard_errors.items()},
    )
    return model, report


def _fit_spend_model(summary: pl.DataFrame, report: ModelReport) -> GammaGamma | None:
    repeaters = summary.filter((pl.col("frequency") > 0) & (pl.col("monetary_value") > 0))
    if repeaters.height < MIN_SPEND_REPEATERS:
        report.spend_model = "mean order value"
        report.warnings.append(
            f"only {repeaters.height} repeat buyers with spend: CLV uses the mean order value"
        )
        return None
    try:
        spend = GammaGamma().fit_summary(repeaters)
    except AnalyticsError as exc:
        report.spend_model = "mean order value"
        report.warnings.append(f"spend model not fitted ({exc}): CLV uses the mean order value")
        return None
    if spend.params["q"] <= 1 or not spend.diagnostics.converged:
        report.spend_model = "mean order value"
        report.warnings.append(
            "spend model unreliable (q <= 1 or no convergence): CLV uses the mean order value"
        )
        return None
    report.spend_params = spend.params
    return spend


_PREDICTIONS = ("p_alive", "expected_purchases", "clv")


def _all_finite(scored: pl.DataFrame) -> bool:
    return all(bool(np.isfinite(scored[c].to_numpy()).all()) for c in _PREDICTIONS)


def _model_scores(tx: pl.DataFrame, as_of: datetime) -> tuple[pl.DataFrame, ModelReport]:
    summary = summarize(tx, "person_id", "ordered_at", "amount", period="D", observation_end=as_of)
    model, report = _fit_purchase_model(summary)
    spend = _fit_spend_model(summary, report)
    scored = _predict(tx, summary, model, spend)
    if not _all_finite(scored) and report.status != "default model":
        # Never store a NaN score: a fit at the edge of the parameter space (e.g. no
        # heterogeneity in drop-out) can overflow; fall back to the default model and say so.
        model = BGNBD.from_params(**DEFAULT_BGNBD)
        report.warnings.append(
            "the fitted model gave non-finite predictions; using the default model"
        )
        report.status, report.params = "default model", dict(DEFAULT_BGNBD)
        scored = _predict(tx, summary, model, spend)
    if not _all_finite(scored):
        raise AnalyticsError("scores could not be computed as finite numbers for these data")
    return scored, report


def _predict(
    tx: pl.DataFrame, summary: pl.DataFrame, model: BGNBD, spend: GammaGamma | None
) -> pl.DataFrame:
    if spend is not None:
        scored = score_customers(
            model,
            summary,
            horizon=HORIZON_DAYS,
            spend_model=spend,
            months=CLV_MONTHS,
            discount_rate=MONTHLY_DISCOUNT,
            periods_per_month=30.0,
        )
    else:
        scored = score_customers(model, summary, horizon=HORIZON_DAYS)
        mean_value = _mean(tx["amount"])
        flows = discounted_purchases(
            model,
            summary["frequency"],
            summary["recency"],
            summary["T"],
            months=CLV_MONTHS,
            discount_rate=MONTHLY_DISCOUNT,
            periods_per_month=30.0,
        )
        scored = scored.with_columns(
            expected_value=pl.lit(mean_value), clv=pl.Series("clv", flows * mean_value)
        )
    return scored


def score_base(
    transactions: pl.DataFrame,
    interactions: pl.DataFrame,
    answers: pl.DataFrame,
    purchases: pl.DataFrame,
    *,
    as_of: datetime,
) -> ScoringResult:
    """Score every customer (a person with at least one purchase) as of ``as_of``.

    ``transactions``: person_id, ordered_at, amount (major units, > 0 kept).
    ``interactions``: person_id, kind, channel, occurred_at. ``answers``: person_id, answered_at,
    score. ``purchases``: person_id, product_id, category.
    """
    tx = transactions.filter(pl.col("amount") > 0)
    if tx.height == 0:
        raise AnalyticsError("no purchases to score yet: import orders first")
    scored, report = _model_scores(tx, as_of)
    people = scored.select("person_id")
    engagement = engagement_scores(interactions, as_of=as_of, people=people).select(
        "person_id", "engagement"
    )
    depth = _depth(purchases, interactions)
    latest = (
        latest_nps_answers(answers).select("person_id", "nps_answer") if answers.height else None
    )
    segments = rfm(tx, as_of=as_of).select("person_id", "rfm", "segment")
    base = (
        scored.join(engagement, on="person_id", how="left")
        .join(depth.select("person_id", "depth", "categories"), on="person_id", how="left")
        .join(segments, on="person_id", how="left")
        .with_columns(
            pl.col("engagement").fill_null(0.0),
            pl.col("depth").fill_null(0.0),
            pl.col("categories").fill_null(0),
        )
    )
    if latest is not None:
        base = base.join(latest, on="person_id", how="left")
    else:
        base = base.with_columns(nps_answer=pl.lit(None, dtype=pl.Int64))
    health = relationship_health(base)
    health = health.with_columns(
        clv_percentile=(pl.col("clv").rank("average") / pl.len() * 100.0).fill_null(0.0),
    )
    capital = relationship_capital(health.select("clv", "health").drop_nulls())
    business = _business_summary(tx, answers, health, as_of)
    return ScoringResult(
        health, report, business, float(capital.capital), float(capital.health_weighted_capital)
    )


def _depth(purchases: pl.DataFrame, interactions: pl.DataFrame) -> pl.DataFrame:
    if purchases.height == 0 and interactions.height == 0:
        return pl.DataFrame(
            schema={"person_id": pl.Int64, "depth": pl.Float64, "categories": pl.Int64}
        )
    return person_depth(
        purchases if purchases.height else None, interactions if interactions.height else None
    )


def _business_summary(
    tx: pl.DataFrame, answers: pl.DataFrame, health: pl.DataFrame, as_of: datetime
) -> dict[str, Any]:
    overall = nps(answers) if answers.height else None
    trend = nps_over_time(answers, every="month") if answers.height else pl.DataFrame()
    cohorts = retention_matrix(retention_cohorts(tx, as_of=as_of, every="month"))
    quantiles = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
    clv = health["clv"]
    return {
        "nps": None
        if overall is None
        else {
            "n": overall.n,
            "nps": overall.nps,
            "ci_low": overall.ci_low,
            "ci_high": overall.ci_high,
            "promoters": overall.promoters,
            "passives": overall.passives,
            "detractors": overall.detractors,
        },
        "nps_trend": [
            {"period": str(r["period_start"]), "n": r["n"], "nps": r["nps"]}
            for r in trend.tail(12).iter_rows(named=True)
        ]
        if trend.height
        else [],
        "segments": {
            r["segment"]: r["len"]
            for r in health.group_by("segment")
            .len()
            .sort("len", descending=True)
            .iter_rows(named=True)
        },
        "clv_quantiles": {str(q): float(clv.quantile(q) or 0.0) for q in quantiles},
        "clv_histogram": _histogram(clv.to_numpy()),
        "cohorts": [
            {
                k: (
                    None
                    if v is None
                    else (round(v, 4) if isinstance(v, float) else str(v) if k == "cohort" else v)
                )
                for k, v in r.items()
            }
            for r in cohorts.tail(18).iter_rows(named=True)
        ],
        "mean_p_alive": _mean(health["p_alive"]),
    }


def _histogram(values: np.ndarray[Any, Any], bins: int = 12) -> list[dict[str, float]]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    top = float(np.quantile(finite, 0.99)) or float(finite.max()) or 1.0
    edges = np.linspace(0.0, top, bins + 1)
    counts, _ = np.histogram(np.clip(finite, 0.0, top), bins=edges)
    return [
        {"low": float(edges[i]), "high": float(edges[i + 1]), "count": int(counts[i])}
        for i in range(bins)
    ]


def _finite_or_none(value: float) -> float | None:
    return value if np.isfinite(value) else None


def _mean(series: pl.Series) -> float:
    value = series.mean()
    return float(value) if isinstance(value, int | float) else 0.0
