"""Model checking on a holdout period, and choosing a model by its holdout error.

The honest test of a buy-till-you-die model is to fit it on a calibration period and compare
its conditional forecasts with what customers actually did afterwards (Fader, Hardie & Lee 2005,
fig. 4 and table 2). Input: a frame from ``summarize(..., calibration_end=...)`` with
``frequency, recency, T, frequency_holdout, duration_holdout``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from goodwill.analytics.errors import AnalyticsError
from goodwill.analytics.inputs import frame_columns
from goodwill.analytics.purchase_model import PurchaseModel

_HOLDOUT_COLUMNS = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")


@dataclass(frozen=True)
class HoldoutCheck:
    """Predicted vs actual holdout purchases for one model.

    ``total_error_pct`` is (predicted - actual) / actual of the base's total repeat purchases;
    ``mae`` and ``rmse`` are per-customer errors; ``buckets`` compares mean actual and predicted
    holdout purchases by calibration frequency (0, 1, ..., ``max_bucket``+).
    """

    model: str
    n_customers: int
    actual_total: float
    predicted_total: float
    total_error_pct: float
    mae: float
    rmse: float
    buckets: pl.DataFrame

    def as_row(self) -> dict[str, Any]:
        """The scalar figures, for a comparison table."""
        return {
            "model": self.model,
            "n_customers": self.n_customers,
            "actual_total": self.actual_total,
            "predicted_total": self.predicted_total,
            "total_error_pct": self.total_error_pct,
            "mae": self.mae,
            "rmse": self.rmse,
        }


def holdout_check(model: PurchaseModel, frame: Any, *, max_bucket: int = 7) -> HoldoutCheck:
    """Compare ``model``'s conditional forecasts over each customer's holdout with the actuals."""
    x, tx, t_end, actual, duration = frame_columns(frame, _HOLDOUT_COLUMNS)
    predicted = model.conditional_expected_purchases(duration, x, tx, t_end)
    err = predicted - actual
    total_actual = float(actual.sum())
    total_pred = float(predicted.sum())
    bucket = np.minimum(x, max_bucket).astype(np.int64)
    buckets = (
        pl.DataFrame({"bucket": bucket, "actual": actual, "predicted": predicted})
        .group_by("bucket")
        .agg(
            pl.len().alias("customers"),
            pl.col("actual").mean().alias("actual_mean"),
            pl.col("predicted").mean().alias("predicted_mean"),
        )
        .sort("bucket")
        .with_columns(
            pl.when(pl.col("bucket") == max_bucket)
            .then(pl.lit(f"{max_bucket}+"))
            .otherwise(pl.col("bucket").cast(pl.String))
            .alias("frequency")
        )
        .select("frequency", "customers", "actual_mean", "predicted_mean")
    )
    return HoldoutCheck(
        model=type(model).__name__,
        n_customers=int(x.shape[0]),
        actual_total=total_actual,
        predicted_total=total_pred,
        total_error_pct=100.0 * (total_pred - total_actual) / total_actual
        if total_actual
        else math.inf,
        mae=float(np.mean(np.abs(err))),
        rmse=float(np.sqrt(np.mean(err**2))),
        buckets=buckets,
    )


def choose_best_model(
    frame: Any,
    candidates: Sequence[PurchaseModel] | None = None,
    *,
    metric: str = "rmse",
) -> tuple[PurchaseModel, pl.DataFrame]:
    """Fit each candidate on the calibration columns and rank them by holdout ``metric``.

    ``metric`` is ``"rmse"``, ``"mae"`` or ``"total"`` (absolute error of the total). Defaults
    to BG/NBD, MBG/NBD and Pareto/NBD. A candidate that cannot be fitted appears in the table
    with its error message instead of stopping the comparison. Returns the best fitted model and
    the table (best first).
    """
    from goodwill.analytics.bgnbd import BGNBD
    from goodwill.analytics.mbgnbd import MBGNBD
    from goodwill.analytics.paretonbd import ParetoNBD

    if metric not in ("rmse", "mae", "total"):
        raise AnalyticsError(f"metric must be 'rmse', 'mae' or 'total', got {metric!r}")
    models = list(candidates) if candidates is not None else [BGNBD(), MBGNBD(), ParetoNBD()]
    x, tx, t_end = frame_columns(frame, _HOLDOUT_COLUMNS)[:3]
    rows: list[dict[str, Any]] = []
    fitted: list[tuple[float, PurchaseModel]] = []
    for model in models:
        try:
            model.fit(x, tx, t_end)
            check = holdout_check(model, frame)
        except AnalyticsError as exc:
            rows.append({"model": type(model).__name__, "score": math.inf, "error": str(exc)})
            continue
        score = {"rmse": check.rmse, "mae": check.mae, "total": abs(check.total_error_pct)}[metric]
        rows.append(
            {
                **check.as_row(),
                "log_likelihood": model.log_likelihood,
                "score": score,
                "error": None,
            }
        )
        fitted.append((score, model))
    if not fitted:
        raise AnalyticsError(
            "no candidate model could be fitted: " + "; ".join(str(r["error"]) for r in rows)
        )
    table = pl.DataFrame(rows, infer_schema_length=None).sort("score")
    best = min(fitted, key=lambda pair: pair[0])[1]
    return best, table
