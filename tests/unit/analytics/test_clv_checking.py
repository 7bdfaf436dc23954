"""Holdout checks and model choice on the CDNOW calibration/holdout split."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from goodwill.analytics import (
    BGNBD,
    AnalyticsError,
    ParetoNBD,
    choose_best_model,
    holdout_check,
    summarize,
)


@pytest.fixture(scope="module")
def split(cdnow_transactions):
    return summarize(
        cdnow_transactions,
        "customer",
        "date",
        "dollars",
        period="W",
        calibration_end=dt.date(1997, 9, 30),
        observation_end=dt.date(1998, 6, 30),
    )


def test_holdout_check_reports_totals_errors_and_buckets(split):
    model = BGNBD().fit_summary(split)
    check = holdout_check(model, split)
    assert check.n_customers == 2357
    assert check.actual_total == split["frequency_holdout"].sum()
    assert 0.8 < check.predicted_total / check.actual_total < 1.1
    assert check.rmse >= check.mae > 0
    assert check.buckets["frequency"].to_list() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert check.buckets["customers"].sum() == 2357
    # forecasts rise with calibration frequency, as the actuals do
    assert check.buckets["predicted_mean"].is_sorted()


def test_choose_best_model_ranks_every_candidate(split):
    best, table = choose_best_model(split)
    assert table.height == 3
    assert set(table["model"]) == {"BGNBD", "MBGNBD", "ParetoNBD"}
    assert table["score"].is_sorted()
    assert type(best).__name__ == table["model"][0]


def test_choose_best_model_keeps_going_when_a_candidate_fails(split):
    nobody = split.with_columns(pl.lit(0).alias("frequency"), pl.lit(0.0).alias("recency"))
    with pytest.raises(AnalyticsError, match="no candidate"):
        choose_best_model(nobody, [BGNBD(), ParetoNBD()])
    with pytest.raises(AnalyticsError, match="metric"):
        choose_best_model(split, metric="r2")
