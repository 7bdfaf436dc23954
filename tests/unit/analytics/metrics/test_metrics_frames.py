"""The time and input conventions every metric shares."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from goodwill.analytics.metrics import MetricsError, engagement_scores, rfm_summary

TOUCHES = pl.DataFrame(
    {
        "person_id": [1, 1, 1],
        "occurred_at": [
            datetime(2024, 6, 30, 23, 59),
            datetime(2024, 7, 1, 0, 1),
            datetime(2024, 6, 29, 8),
        ],
        "kind": ["message.replied"] * 3,
    }
)


def test_a_date_as_of_includes_that_whole_day_at_age_zero_and_excludes_the_next() -> None:
    scores = engagement_scores(TOUCHES, as_of=date(2024, 6, 30), half_life_days=1)
    assert scores["interactions"].item() == 2
    assert scores["days_since_last"].item() == 0.0
    assert scores["engagement_raw"].item() == pytest.approx(2.0 + 1.0)  # today + yesterday


def test_a_datetime_as_of_is_an_exact_moment() -> None:
    scores = engagement_scores(TOUCHES, as_of=datetime(2024, 6, 30, 12, 0))
    assert scores["interactions"].item() == 1
    assert scores["days_since_last"].item() == pytest.approx(1 + 4 / 24)


def test_date_columns_with_a_datetime_as_of_compare_by_day() -> None:
    orders = pl.DataFrame(
        {
            "person_id": [1, 1],
            "ordered_at": [date(2024, 6, 30), date(2024, 7, 1)],
            "amount": [1.0, 2.0],
        }
    )
    summary = rfm_summary(orders, as_of=datetime(2024, 6, 30, 8, 0))
    assert summary.row(0) == (1, 0.0, 1, 1.0)


def test_lazy_frames_are_collected() -> None:
    assert engagement_scores(TOUCHES.lazy()).equals(engagement_scores(TOUCHES))


def test_no_events_before_as_of_is_not_an_error() -> None:
    scores = engagement_scores(TOUCHES, as_of=date(2020, 1, 1))
    assert scores["engagement"].to_list() == [0.0]


def test_an_empty_history_without_as_of_asks_for_one() -> None:
    with pytest.raises(MetricsError, match="no events"):
        engagement_scores(TOUCHES.clear())
