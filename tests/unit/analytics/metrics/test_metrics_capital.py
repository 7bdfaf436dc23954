"""Relationship capital: the base's expected value, and how much of it sits in healthy relationships."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodwill.analytics.metrics import (
    CAPITAL_COLUMNS,
    MetricsError,
    RelationshipCapital,
    relationship_capital,
    relationship_capital_over_time,
)

JAN, FEB, MAR = date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)

SNAPSHOTS = pl.DataFrame(
    {
        "as_of": [FEB, FEB, FEB, JAN, JAN, JAN],
        "person_id": [1, 2, 3, 1, 2, 3],
        "clv": [120.0, 40.0, float("nan"), 100.0, 50.0, None],
        "health": [90.0, 20.0, 10.0, 80.0, None, 50.0],
    }
)


def test_capital_sums_clv_and_weights_it_by_health() -> None:
    result = relationship_capital(SNAPSHOTS.filter(pl.col("as_of") == JAN), as_of=JAN)
    assert result == RelationshipCapital(
        as_of=JAN,
        customers=2,
        capital=150.0,
        health_weighted_capital=80.0,  # 100 x 0.8; person 2 has no health: no credit
        health_weighted_share=pytest.approx(80 / 150),  # type: ignore[arg-type]
        without_clv=1,
        without_health=1,
    )


def test_over_time_lists_each_snapshot_oldest_first_with_changes() -> None:
    table = relationship_capital_over_time(SNAPSHOTS)
    assert table.columns == ["as_of", *CAPITAL_COLUMNS, "capital_change", "health_weighted_change"]
    assert table["as_of"].to_list() == [JAN, FEB]
    assert table["capital"].to_list() == [150.0, 160.0]
    assert table["health_weighted_capital"].to_list() == pytest.approx([80.0, 116.0])
    assert table["capital_change"].to_list() == [None, 10.0]
    assert table["health_weighted_change"].to_list()[1] == pytest.approx(36.0)


def test_over_time_agrees_with_each_snapshot_alone() -> None:
    table = relationship_capital_over_time(SNAPSHOTS)
    for row in table.iter_rows(named=True):
        alone = relationship_capital(SNAPSHOTS.filter(pl.col("as_of") == row["as_of"]))
        assert alone.capital == row["capital"]
        assert alone.health_weighted_capital == pytest.approx(row["health_weighted_capital"])


def test_an_empty_base_is_worth_zero_with_no_share() -> None:
    result = relationship_capital(pl.DataFrame({"clv": [], "health": []}))
    assert (result.customers, result.capital, result.health_weighted_capital) == (0, 0.0, 0.0)
    assert result.health_weighted_share is None


clv = st.floats(min_value=0, max_value=1e6)
health = st.one_of(st.none(), st.floats(min_value=0, max_value=100))


@given(st.lists(st.tuples(clv, health), max_size=40))
def test_health_weighted_capital_never_exceeds_capital(
    rows: list[tuple[float, float | None]],
) -> None:
    frame = pl.DataFrame(rows, schema={"clv": pl.Float64, "health": pl.Float64}, orient="row")
    result = relationship_capital(frame)
    assert 0.0 <= result.health_weighted_capital <= result.capital * (1 + 1e-12) + 1e-9
    if result.health_weighted_share is not None:
        assert 0.0 <= result.health_weighted_share <= 1.0 + 1e-12


def test_perfect_health_keeps_all_capital() -> None:
    result = relationship_capital(pl.DataFrame({"clv": [10.0, 30.0], "health": [100.0, 100.0]}))
    assert result.health_weighted_capital == result.capital == 40.0
    assert result.health_weighted_share == 1.0


def test_pandas_snapshots_are_accepted() -> None:
    frame = pl.DataFrame({"as_of": [JAN, MAR], "clv": [10.0, 20.0], "health": [50.0, 40.0]})
    assert relationship_capital_over_time(frame.to_pandas()).equals(
        relationship_capital_over_time(frame)
    )


def test_negative_clv_is_rejected_with_its_count() -> None:
    with pytest.raises(MetricsError, match="1 value\\(s\\) in 'clv' are not a CLV >= 0"):
        relationship_capital(pl.DataFrame({"clv": [-5.0, 3.0], "health": [50.0, 50.0]}))


def test_health_outside_0_100_is_rejected() -> None:
    with pytest.raises(MetricsError, match="2 value\\(s\\) in 'health' are not a health 0-100"):
        relationship_capital(pl.DataFrame({"clv": [5.0, 3.0], "health": [101.0, -1.0]}))


def test_infinite_clv_is_rejected() -> None:
    with pytest.raises(MetricsError, match="'clv'"):
        relationship_capital(pl.DataFrame({"clv": [float("inf")], "health": [50.0]}))


def test_text_clv_is_rejected() -> None:
    with pytest.raises(MetricsError, match="must be numeric"):
        relationship_capital(pl.DataFrame({"clv": ["lots"], "health": [50.0]}))


def test_snapshots_without_a_date_are_rejected() -> None:
    with pytest.raises(MetricsError, match="'as_of' has 6 empty value"):
        relationship_capital_over_time(
            SNAPSHOTS.with_columns(pl.lit(None, dtype=pl.Date).alias("as_of"))
        )


def test_missing_health_column_is_named() -> None:
    with pytest.raises(MetricsError, match="'health'"):
        relationship_capital(pl.DataFrame({"clv": [1.0]}))
