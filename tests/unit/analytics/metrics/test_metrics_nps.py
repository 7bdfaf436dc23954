"""NPS: the number, its uncertainty, and its breakdowns as an owner would read them."""

from __future__ import annotations

import math
from datetime import date, datetime

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from goodwill.analytics.metrics import (
    NPS_COLUMNS,
    MetricsError,
    nps,
    nps_by,
    nps_class,
    nps_from_counts,
    nps_over_time,
)

counts = st.integers(min_value=0, max_value=400)


def test_nps_is_promoters_minus_detractors_with_the_multinomial_standard_error() -> None:
    result = nps([10, 9, 9, 10, 7, 8, 0, 3, 6])
    assert (result.n, result.promoters, result.passives, result.detractors) == (9, 4, 2, 3)
    assert result.nps == pytest.approx(100 * (4 - 3) / 9)
    p, d = 4 / 9, 3 / 9
    assert result.se == pytest.approx(100 * math.sqrt((p + d - (p - d) ** 2) / 9))
    assert result.pct_promoters == pytest.approx(100 * 4 / 9)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (0, "detractor"),
        (6, "detractor"),
        (7, "passive"),
        (8, "passive"),
        (9, "promoter"),
        (10, "promoter"),
    ],
)
def test_class_boundaries(answer: int, expected: str) -> None:
    assert nps_class(answer) == expected


def test_wald_interval_is_estimate_plus_minus_z_standard_errors() -> None:
    result = nps_from_counts(500, 300, 200, method="wald")
    assert result.nps == pytest.approx(30.0)
    assert result.ci_low == pytest.approx(30.0 - 1.959964 * result.se)  # type: ignore[operator]
    assert result.ci_high == pytest.approx(30.0 + 1.959964 * result.se)  # type: ignore[operator]


def test_large_samples_give_nearly_the_same_interval_either_way() -> None:
    adjusted = nps_from_counts(5000, 3000, 2000)
    wald = nps_from_counts(5000, 3000, 2000, method="wald")
    assert adjusted.ci_low == pytest.approx(wald.ci_low, abs=0.1)
    assert adjusted.ci_high == pytest.approx(wald.ci_high, abs=0.1)


def test_one_answer_gives_a_wide_interval_not_nan() -> None:
    result = nps([10])
    assert result.n == 1
    assert result.nps == 100.0
    assert result.ci_low is not None and result.ci_high is not None
    assert result.ci_high - result.ci_low > 100
    assert result.ci_high <= 100.0


def test_no_answers_is_a_clear_empty_result() -> None:
    result = nps([])
    assert result.n == 0
    assert (result.promoters, result.passives, result.detractors) == (0, 0, 0)
    assert result.nps is None and result.se is None
    assert result.ci_low is None and result.ci_high is None
    assert nps(pl.DataFrame({"score": [None, None]})).n == 0


def test_skipped_questions_are_left_out() -> None:
    answers = pl.DataFrame({"score": [10, None, 0]})
    assert nps(answers).n == 2


@given(counts, counts, counts)
@example(0, 0, 1)  # one detractor: the adjusted centre alone would sit at -25
@example(1, 0, 0)
def test_interval_is_within_bounds_and_contains_the_estimate(p: int, pa: int, d: int) -> None:
    result = nps_from_counts(p, pa, d)
    if p + pa + d == 0:
        assert result.nps is None
        return
    assert result.nps is not None and result.ci_low is not None and result.ci_high is not None
    assert -100 <= result.ci_low <= result.nps <= result.ci_high <= 100
    assert result.nps == pytest.approx(result.pct_promoters - result.pct_detractors)  # type: ignore[operator]


@given(
    st.integers(min_value=1, max_value=50),
    st.integers(min_value=0, max_value=50),
    st.integers(min_value=0, max_value=50),
)
def test_more_answers_with_the_same_mix_narrow_the_interval(p: int, pa: int, d: int) -> None:
    small, large = nps_from_counts(p, pa, d), nps_from_counts(10 * p, 10 * pa, 10 * d)
    assert large.ci_high - large.ci_low < small.ci_high - small.ci_low  # type: ignore[operator]


def test_higher_confidence_gives_a_wider_interval() -> None:
    narrow, wide = (
        nps_from_counts(40, 30, 30, confidence=0.8),
        nps_from_counts(40, 30, 30, confidence=0.99),
    )
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high  # type: ignore[operator]


@settings(max_examples=30)
@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=50), st.randoms())
def test_answer_order_does_not_matter(answers: list[int], rnd: object) -> None:
    shuffled = list(answers)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert nps(shuffled) == nps(answers)


def _answers() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "score": [10, 9, 3, 7, 8, 0],
            "segment": ["vip", "vip", "new", "new", "vip", None],
            "answered_at": [
                date(2024, 1, 3),
                date(2024, 1, 20),
                date(2024, 3, 1),
                date(2024, 3, 5),
                date(2024, 3, 9),
                date(2024, 3, 11),
            ],
        }
    )


def test_by_segment_matches_the_overall_figure_on_each_subset() -> None:
    table = nps_by(_answers(), "segment")
    assert table.columns == ["segment", *NPS_COLUMNS]
    assert table["segment"].to_list() == ["new", "vip", None]
    vip = table.filter(pl.col("segment") == "vip").row(0, named=True)
    expected = nps([10, 9, 8])
    assert vip["nps"] == pytest.approx(expected.nps)
    assert vip["ci_low"] == pytest.approx(expected.ci_low)


def test_over_time_lists_every_month_and_marks_empty_ones() -> None:
    table = nps_over_time(_answers())
    assert table["period_start"].to_list() == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert table["n"].to_list() == [2, 0, 4]
    february = table.row(1, named=True)
    assert february["nps"] is None and february["ci_low"] is None


def test_weeks_start_on_monday_and_groups_get_the_same_periods() -> None:
    answers = pl.DataFrame(
        {
            "score": [10, 0, 9],
            "channel": ["email", "sms", "email"],
            "answered_at": [
                datetime(2024, 5, 1, 9),
                datetime(2024, 5, 5, 23),
                datetime(2024, 5, 13),
            ],
        }
    )
    table = nps_over_time(answers, every="week", by="channel")
    assert table.height == 2 * 3  # two channels x weeks of 29 April, 6 May, 13 May
    email = table.filter(pl.col("channel") == "email")
    assert email["period_start"].to_list() == [
        date(2024, 4, 29),
        date(2024, 5, 6),
        date(2024, 5, 13),
    ]
    assert email["n"].to_list() == [1, 0, 1]


def test_pandas_answers_are_accepted() -> None:
    table = nps_by(_answers().to_pandas(), "segment")
    assert table.equals(nps_by(_answers(), "segment"))


def test_answers_above_ten_are_rejected_with_their_count() -> None:
    with pytest.raises(MetricsError, match="2 answer"):
        nps([10, 11, 12, 5])


def test_fractional_answers_are_rejected() -> None:
    with pytest.raises(MetricsError, match="1 answer"):
        nps(pl.DataFrame({"score": [7.5, 9.0]}))


def test_nan_answers_are_rejected() -> None:
    with pytest.raises(MetricsError, match="1 answer"):
        nps(pl.DataFrame({"score": [float("nan"), 9.0]}))


def test_negative_answers_are_rejected() -> None:
    with pytest.raises(MetricsError, match="not whole numbers from 0 to 10"):
        nps([-1, 5])


def test_text_answers_are_rejected() -> None:
    with pytest.raises(MetricsError, match="must hold numbers"):
        nps(pl.DataFrame({"score": ["ten"]}))


def test_missing_grouping_column_is_named() -> None:
    with pytest.raises(MetricsError, match="'region'"):
        nps_by(_answers(), "region")


def test_answers_without_a_date_cannot_be_placed_in_time() -> None:
    answers = _answers().with_columns(pl.lit(None, dtype=pl.Date).alias("answered_at"))
    with pytest.raises(MetricsError, match="6 empty value"):
        nps_over_time(answers)


def test_unknown_period_is_rejected() -> None:
    with pytest.raises(MetricsError, match="every must be"):
        nps_over_time(_answers(), every="day")  # type: ignore[arg-type]


def test_confidence_outside_zero_one_is_rejected() -> None:
    with pytest.raises(MetricsError, match="confidence"):
        nps([9], confidence=95)


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(MetricsError, match="detractors"):
        nps_from_counts(3, 2, -1)
