"""RFM scoring and segments: what a merchant sees in the segment column."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goodwill.analytics.metrics import (
    DEFAULT_RFM_SEGMENTS,
    MetricsError,
    RfmSegmentRule,
    quintile_score,
    rfm,
    rfm_summary,
    score_rfm,
)

AS_OF = date(2024, 6, 30)


def _scores(values: list[float], *, higher_is_better: bool = True) -> list[int]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.Float64})
    return (
        frame.select(quintile_score(pl.col("v"), higher_is_better=higher_is_better))
        .to_series()
        .to_list()
    )


def _summary(rows: list[tuple[int, float, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema=["person_id", "recency_days", "frequency", "monetary"], orient="row"
    )


def test_distinct_values_are_split_into_fifths() -> None:
    assert _scores([float(v) for v in range(10)]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_lower_is_better_reverses_the_order() -> None:
    assert _scores([float(v) for v in range(10)], higher_is_better=False) == [
        5, 5, 4, 4, 3, 3, 2, 2, 1, 1,
    ]  # fmt: skip


def test_one_time_buyers_all_score_one_even_when_they_are_the_majority() -> None:
    frequencies = [1.0] * 70 + [2.0] * 20 + [5.0] * 10
    scores = _scores(frequencies)
    assert set(scores[:70]) == {1}
    assert set(scores[70:90]) == {4}
    assert set(scores[90:]) == {5}


def test_a_base_with_no_spread_scores_everyone_alike() -> None:
    assert _scores([3.0] * 7) == [1] * 7
    assert _scores([42.0]) == [1]


@given(st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=60))
def test_scores_are_in_range_and_equal_values_share_a_score(values: list[int]) -> None:
    scores = _scores([float(v) for v in values])
    assert all(1 <= s <= 5 for s in scores)
    by_value: dict[int, set[int]] = {}
    for value, score in zip(values, scores, strict=True):
        by_value.setdefault(value, set()).add(score)
    assert all(len(s) == 1 for s in by_value.values())


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=60))
def test_a_better_value_never_gets_a_lower_score(values: list[float]) -> None:
    scores = _scores(values)
    for (v1, s1), (v2, s2) in itertools.combinations(zip(values, scores, strict=True), 2):
        if v1 < v2:
            assert s1 <= s2


def test_default_segments_cover_every_score_combination_and_every_name_is_reachable() -> None:
    cells = pl.DataFrame(
        list(itertools.product(range(1, 6), repeat=3)),
        schema=["r_score", "f_score", "m_score"],
        orient="row",
    )
    named = cells.with_columns(
        pl.coalesce(
            *[pl.when(rule.matches()).then(pl.lit(rule.name)) for rule in DEFAULT_RFM_SEGMENTS]
        ).alias("segment")
    )
    assert named["segment"].null_count() == 0
    assert set(named["segment"]) == {
        "champions", "loyal", "potential_loyalists", "new", "promising", "needs_attention",
        "about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost",
    }  # fmt: skip


def test_segments_follow_the_rule_table() -> None:
    # Ten customers so that each rank lands in a known fifth (two per fifth).
    summary = _summary(
        [
            (1, 1, 50, 900.0),  # R5 F5: champions
            (2, 2, 30, 800.0),  # R5 F4: champions
            (3, 3, 1, 10.0),  # R4 F1: promising
            (4, 4, 3, 15.0),  # R4 F2: potential_loyalists
            (5, 5, 25, 100.0),  # R3 F4: loyal
            (6, 6, 10, 120.0),  # R3 F3: needs_attention
            (7, 300, 40, 700.0),  # R2 F5: cant_lose
            (8, 310, 9, 90.0),  # R2 F3: at_risk
            (9, 400, 1, 5.0),  # R1 F1: lost
            (10, 410, 2, 6.0),  # R1 F2: hibernating
        ]
    )
    scored = score_rfm(summary)
    assert scored["segment"].to_list() == [
        "champions", "champions", "promising", "potential_loyalists", "loyal",
        "needs_attention", "cant_lose", "at_risk", "lost", "hibernating",
    ]  # fmt: skip
    assert scored.filter(pl.col("person_id") == 1)["rfm"].item() == "555"
    assert scored.filter(pl.col("person_id") == 9)["rfm"].item() == "111"


def test_custom_rules_can_use_monetary_and_uncovered_cells_are_other() -> None:
    rules = [RfmSegmentRule("big_spender", r=(1, 5), f=(1, 5), m=(5, 5))]
    summary = _summary([(i, float(i), 1, float(i)) for i in range(1, 11)])
    segments = score_rfm(summary, segments=rules)["segment"].to_list()
    assert segments == ["other"] * 8 + ["big_spender"] * 2


@settings(max_examples=50)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_scores_do_not_depend_on_row_order(seed: int) -> None:
    summary = _summary([(i, float(i % 7), i % 4 + 1, float(i % 5) * 10) for i in range(30)])
    shuffled = summary.sample(fraction=1.0, shuffle=True, seed=seed)
    expected = score_rfm(summary).sort("person_id")
    assert score_rfm(shuffled).sort("person_id").equals(expected)


def _orders() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "person_id": ["a", "a", "a", "b", "c"],
            "order_id": [1, 1, 2, 3, 4],
            "ordered_at": [
                date(2024, 6, 1),
                date(2024, 6, 1),
                date(2024, 6, 20),
                date(2024, 1, 10),
                date(2024, 7, 5),  # after as_of: ignored
            ],
            "amount": [10.0, 5.0, 20.0, 50.0, 99.0],
        }
    )


def test_summary_counts_orders_sums_spend_and_measures_days_since_last_purchase() -> None:
    summary = rfm_summary(_orders(), as_of=AS_OF, order_col="order_id")
    assert summary.to_dicts() == [
        {"person_id": "a", "recency_days": 10.0, "frequency": 2, "monetary": 35.0},
        {"person_id": "b", "recency_days": 172.0, "frequency": 1, "monetary": 50.0},
    ]


def test_without_an_order_column_each_row_is_an_order() -> None:
    summary = rfm_summary(_orders(), as_of=AS_OF)
    assert summary.filter(pl.col("person_id") == "a")["frequency"].item() == 3


def test_as_of_defaults_to_the_latest_purchase() -> None:
    summary = rfm_summary(_orders())
    assert summary.filter(pl.col("person_id") == "c")["recency_days"].item() == 0.0


def test_timezone_aware_times_are_measured_in_utc() -> None:
    plus2 = timezone(timedelta(hours=2))
    orders = pl.DataFrame(
        {
            "person_id": [1],
            "ordered_at": [datetime(2024, 6, 30, 1, 0, tzinfo=plus2)],  # 23:00 UTC the day before
            "amount": [1.0],
        }
    )
    as_of = datetime(2024, 6, 30, 11, 0, tzinfo=UTC)
    assert rfm_summary(orders, as_of=as_of)["recency_days"].item() == pytest.approx(0.5)


def test_pandas_input_gives_the_same_result() -> None:
    orders = _orders()
    from_pandas = rfm(orders.to_pandas(), as_of=AS_OF, order_col="order_id")
    assert from_pandas.equals(rfm(orders, as_of=AS_OF, order_col="order_id"))
    assert isinstance(orders.to_pandas(), pd.DataFrame)


def test_missing_columns_are_named() -> None:
    with pytest.raises(MetricsError, match="'amount'") as err:
        rfm_summary(_orders().drop("amount"))
    assert err.value.code == "analytics.invalid_input"


def test_empty_amounts_are_counted() -> None:
    orders = _orders().with_columns(
        pl.when(pl.col("order_id") == 1).then(None).otherwise(pl.col("amount")).alias("amount")
    )
    with pytest.raises(MetricsError, match="2 empty value"):
        rfm_summary(orders)


def test_text_amounts_are_rejected() -> None:
    with pytest.raises(MetricsError, match="must be numeric"):
        rfm_summary(_orders().with_columns(pl.col("amount").cast(pl.String)))


def test_text_dates_are_rejected() -> None:
    with pytest.raises(MetricsError, match="dates or datetimes"):
        rfm_summary(_orders().with_columns(pl.col("ordered_at").cast(pl.String)))


def test_non_finite_summary_values_are_rejected() -> None:
    summary = _summary([(1, 1.0, 1, float("nan")), (2, 2.0, 1, 3.0)])
    with pytest.raises(MetricsError, match="1 non-finite"):
        score_rfm(summary)


def test_rule_ranges_outside_one_to_five_are_rejected() -> None:
    with pytest.raises(MetricsError, match="within 1-5"):
        RfmSegmentRule("bad", r=(0, 5), f=(1, 5))


def test_non_frames_are_rejected() -> None:
    with pytest.raises(MetricsError, match="expected a Polars or pandas DataFrame"):
        score_rfm([{"recency_days": 1}])
