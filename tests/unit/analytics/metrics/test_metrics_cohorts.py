"""Retention cohorts: the triangle an owner reads month by month."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goodwill.analytics.metrics import (
    COHORT_COLUMNS,
    MetricsError,
    retention_cohorts,
    retention_matrix,
)


def _orders(rows: list[tuple[int, date]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["person_id", "ordered_at"], orient="row")


ORDERS = _orders(
    [
        (1, date(2024, 1, 5)),
        (1, date(2024, 1, 25)),  # second order in the acquisition month: still k = 0
        (1, date(2024, 3, 1)),
        (2, date(2024, 1, 31)),
        (2, date(2024, 2, 1)),  # the next calendar month, one day later: k = 1
        (2, date(2024, 2, 20)),  # two orders in one month count once
        (3, date(2024, 2, 10)),
        (4, date(2024, 3, 3)),
        (4, date(2024, 4, 3)),  # after as_of: ignored
    ]
)


def test_matrix_shows_share_of_each_cohort_buying_again_each_month() -> None:
    tidy = retention_cohorts(ORDERS, as_of=date(2024, 3, 31))
    assert tidy.columns == list(COHORT_COLUMNS)
    matrix = retention_matrix(tidy)
    assert matrix.columns == ["cohort", "cohort_size", "period_0", "period_1", "period_2"]
    assert matrix.rows() == [
        (date(2024, 1, 1), 2, 1.0, 0.5, 0.5),
        (date(2024, 2, 1), 1, 1.0, 0.0, None),  # observed, nobody came back: 0.0
        (date(2024, 3, 1), 1, 1.0, None, None),  # not observed yet: null
    ]


def test_matrix_can_show_counts_instead_of_shares() -> None:
    counts = retention_matrix(retention_cohorts(ORDERS, as_of=date(2024, 3, 31)), value="active")
    assert counts["period_1"].to_list() == [1, 0, None]


def test_as_of_defaults_to_the_last_order() -> None:
    tidy = retention_cohorts(ORDERS)
    assert tidy["cohort"].max() == date(2024, 3, 1)
    assert tidy.filter(pl.col("cohort") == date(2024, 3, 1))["retention"].to_list() == [1.0, 1.0]


def test_weekly_cohorts_start_on_monday() -> None:
    orders = _orders([(1, date(2024, 5, 1)), (1, date(2024, 5, 6)), (2, date(2024, 5, 5))])
    tidy = retention_cohorts(orders, every="week")
    assert tidy.rows() == [(date(2024, 4, 29), 0, 2, 2, 1.0), (date(2024, 4, 29), 1, 2, 1, 0.5)]


order_rows = st.lists(
    st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=400)),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60)
@given(order_rows, st.integers(min_value=0, max_value=2**32 - 1))
def test_cohort_invariants_hold_for_any_purchase_history(
    rows: list[tuple[int, int]], seed: int
) -> None:
    orders = _orders([(person, date(2023, 1, 1) + timedelta(days=d)) for person, d in rows])
    tidy = retention_cohorts(orders)
    assert (
        tidy.filter(pl.col("period") == 0)["retention"].to_list()
        == [1.0] * tidy["cohort"].n_unique()
    )
    assert tidy["retention"].is_between(0.0, 1.0).all()
    sizes = tidy.filter(pl.col("period") == 0)["cohort_size"].sum()
    assert sizes == orders["person_id"].n_unique()
    shuffled = orders.sample(fraction=1.0, shuffle=True, seed=seed)
    assert retention_cohorts(shuffled).equals(tidy)


def test_no_purchases_gives_an_empty_table() -> None:
    tidy = retention_cohorts(_orders([(1, date(2024, 5, 1))]), as_of=date(2024, 4, 1))
    assert tidy.height == 0 and tidy.columns == list(COHORT_COLUMNS)
    assert retention_matrix(tidy).columns == ["cohort", "cohort_size"]


def test_pandas_orders_are_accepted() -> None:
    assert retention_cohorts(ORDERS.to_pandas()).equals(retention_cohorts(ORDERS))


def test_missing_customer_column_is_named() -> None:
    with pytest.raises(MetricsError, match="'person_id'"):
        retention_cohorts(ORDERS.rename({"person_id": "customer"}))


def test_orders_without_a_customer_are_rejected() -> None:
    orders = ORDERS.with_columns(pl.lit(None, dtype=pl.Int64).alias("person_id"))
    with pytest.raises(MetricsError, match="9 empty value"):
        retention_cohorts(orders)


def test_text_dates_are_rejected() -> None:
    with pytest.raises(MetricsError, match="dates or datetimes"):
        retention_cohorts(ORDERS.with_columns(pl.col("ordered_at").cast(pl.String)))


def test_unknown_period_is_rejected() -> None:
    with pytest.raises(MetricsError, match="every must be"):
        retention_cohorts(ORDERS, every="quarter")  # type: ignore[arg-type]


def test_matrix_of_something_other_than_a_cohort_table_is_rejected() -> None:
    with pytest.raises(MetricsError, match="missing column"):
        retention_matrix(ORDERS)
    with pytest.raises(MetricsError, match="value must be"):
        retention_matrix(retention_cohorts(ORDERS), value="revenue")
