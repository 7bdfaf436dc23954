"""summarize(): Fader-Hardie conventions, CDNOW reproduction, holdout split and bad input."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goodwill.analytics import AnalyticsError, summarize

CAL_END = dt.date(1997, 9, 30)
OBS_END = dt.date(1998, 6, 30)


def test_reproduces_the_cdnow_calibration_summary(cdnow_transactions, cdnow_spend):
    s = summarize(
        cdnow_transactions,
        "customer",
        "date",
        "dollars",
        period="W",
        calibration_end=CAL_END,
        observation_end=OBS_END,
    )
    assert s.height == 2357
    assert (s["frequency"].to_numpy() == cdnow_spend["x"].to_numpy()).all()
    assert np.allclose(s["recency"].to_numpy(), cdnow_spend["t_x"].to_numpy(), atol=0.005)
    assert np.allclose(s["T"].to_numpy(), cdnow_spend["T"].to_numpy(), atol=0.005)
    assert np.allclose(s["monetary_value"].to_numpy(), cdnow_spend["zbar"].to_numpy(), atol=0.0051)
    assert (s["duration_holdout"] == 39.0).all()
    assert s["frequency_holdout"].sum() > 0


def test_calibration_only_matches_the_plain_summary_file(cdnow_transactions, cdnow_summary):
    cal = cdnow_transactions.filter(pl.col("date") <= CAL_END)
    s = summarize(cal, "customer", "date", period="W", observation_end=CAL_END)
    assert s.columns == ["customer", "frequency", "recency", "T"]
    assert (s["frequency"].to_numpy() == cdnow_summary["frequency"].to_numpy()).all()
    assert np.allclose(s["recency"].to_numpy(), cdnow_summary["recency"].to_numpy(), atol=0.005)


def _tx(rows):
    return pl.DataFrame(rows, schema=["c", "d", "v"], orient="row")


def test_same_day_purchases_merge_and_first_purchase_is_excluded_from_spend():
    t = _tx(
        [
            ("a", dt.date(2024, 1, 1), 100.0),
            ("a", dt.date(2024, 1, 1), 50.0),  # same day: merged with the first occasion
            ("a", dt.date(2024, 1, 8), 10.0),
            ("a", dt.date(2024, 1, 8), 10.0),  # exact duplicate: merges (values add)
            ("a", dt.date(2024, 1, 15), 30.0),
            ("b", dt.date(2024, 1, 10), 5.0),
        ]
    )
    s = summarize(t, "c", "d", "v", observation_end=dt.date(2024, 1, 31))
    a, b = s.row(0, named=True), s.row(1, named=True)
    assert (a["frequency"], a["recency"], a["T"], a["monetary_value"]) == (2, 14.0, 30.0, 25.0)
    assert (b["frequency"], b["recency"], b["T"], b["monetary_value"]) == (0, 0.0, 21.0, 0.0)


def test_weekly_resolution_reproduces_calendar_week_buckets():
    t = _tx(
        [
            ("a", dt.date(2024, 1, 1), 1.0),
            ("a", dt.date(2024, 1, 3), 1.0),
            ("a", dt.date(2024, 1, 9), 1.0),
        ]
    )
    s = summarize(
        t, "c", "d", "v", period="W", resolution="W", observation_end=dt.date(2024, 1, 21)
    )
    assert s.row(0, named=True)["frequency"] == 1
    assert s.row(0, named=True)["T"] == 2.0


def test_accepts_pandas_lazy_datetime_and_numeric_times():
    pdf = pd.DataFrame(
        {
            "c": [1, 1, 2],
            "d": pd.to_datetime(["2024-01-01 10:00", "2024-01-05 23:00", "2024-01-02 00:00"]),
            "v": [1.0, 2.0, 3.0],
        }
    )
    s1 = summarize(pdf, "c", "d", "v")
    s2 = summarize(pl.from_pandas(pdf).lazy(), "c", "d", "v")
    assert s1.equals(s2)
    assert s1["recency"].to_list() == [4.0, 0.0]
    num = pl.DataFrame({"c": [1, 1], "d": [0.2, 3.7], "v": [1.0, 1.0]})
    s3 = summarize(num, "c", "d", "v", observation_end=10.0)
    assert s3.row(0, named=True)["recency"] == 3.0
    assert s3.row(0, named=True)["T"] == 10.0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "empty"),
        ([(None, dt.date(2024, 1, 1), 1.0)], "null 'c'"),
        (
            [("a", None, 1.0)],
            "null 'd'",
        ),
        ([("a", dt.date(2024, 1, 1), -5.0)], "negative"),
        ([("a", dt.date(2024, 1, 1), float("nan"))], "non-finite"),
    ],
)
def test_bad_rows_raise_with_counts(rows, message):
    t = pl.DataFrame(rows, schema={"c": pl.String, "d": pl.Date, "v": pl.Float64}, orient="row")
    with pytest.raises(AnalyticsError, match=message):
        summarize(t, "c", "d", "v")


def test_transactions_after_observation_end_are_rejected_or_dropped_on_request():
    t = _tx(
        [
            ("a", dt.date(2024, 1, 1), 1.0),
            ("a", dt.date(2024, 3, 1), 1.0),
            ("b", dt.date(2024, 3, 2), 1.0),
        ]
    )
    with pytest.raises(AnalyticsError, match="2 transaction"):
        summarize(t, "c", "d", "v", observation_end=dt.date(2024, 2, 1))
    s = summarize(t, "c", "d", "v", observation_end=dt.date(2024, 2, 1), after_end="drop")
    assert s["c"].to_list() == ["a"]


def test_missing_columns_and_bad_specs():
    t = _tx([("a", dt.date(2024, 1, 1), 1.0)])
    with pytest.raises(AnalyticsError, match="not found"):
        summarize(t, "customer", "d")
    with pytest.raises(AnalyticsError, match="period"):
        summarize(t, "c", "d", period="month")
    with pytest.raises(AnalyticsError, match="calibration_end"):
        summarize(
            t, "c", "d", calibration_end=dt.date(2025, 1, 1), observation_end=dt.date(2024, 6, 1)
        )


def test_one_customer_and_nobody_repeating_are_fine():
    t = _tx([("a", dt.date(2024, 1, 1), 1.0), ("b", dt.date(2024, 1, 2), 2.0)])
    s = summarize(t, "c", "d", "v")
    assert s["frequency"].to_list() == [0, 0]
    assert s["T"].to_list() == [1.0, 0.0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 60), st.floats(0, 100)), min_size=1, max_size=40
    )
)
def test_matches_a_naive_reference(rows):
    t = pl.DataFrame(rows, schema=["c", "d", "v"], orient="row")
    s = summarize(t, "c", "d", "v", observation_end=60.0)
    for row in s.iter_rows(named=True):
        days: dict[int, float] = {}
        for c, d, v in rows:
            if c == row["c"]:
                days[d] = days.get(d, 0.0) + v
        ordered = sorted(days)
        assert row["frequency"] == len(ordered) - 1
        assert row["recency"] == ordered[-1] - ordered[0]
        assert row["T"] == 60 - ordered[0]
        rest = [days[d] for d in ordered[1:]]
        assert row["monetary_value"] == pytest.approx(sum(rest) / len(rest) if rest else 0.0)


def test_id_range_partitions_give_the_same_summary(monkeypatch):
    import goodwill.analytics.summary as summary_module

    rng = np.random.default_rng(4)
    ids = rng.choice(np.arange(10_000, 90_000, 7), 300)
    t = pl.DataFrame(
        {
            "c": rng.choice(ids, 3000),
            "d": rng.integers(0, 400, 3000).astype(float),
            "v": rng.gamma(2, 10, 3000),
        }
    )
    kwargs = {"observation_end": 400.0, "calibration_end": 250.0}
    whole = summarize(t, "c", "d", "v", **kwargs)
    monkeypatch.setattr(summary_module, "_PART_ROWS", 97)
    parts = summarize(t, "c", "d", "v", **kwargs)
    assert parts.equals(whole)
    assert parts["c"].is_sorted()
