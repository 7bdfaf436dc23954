"""Engagement: recent, meaningful touches raise the score; old or trivial ones barely do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goodwill.analytics.metrics import (
    DEFAULT_ENGAGEMENT_WEIGHTS,
    ENGAGEMENT_COLUMNS,
    MetricsError,
    engagement_scores,
    scale_engagement,
)

AS_OF = datetime(2024, 6, 30, 12, 0)


def _touches(rows: Sequence[tuple[int, float, str]]) -> pl.DataFrame:
    """Rows of (person, days before AS_OF, kind)."""
    return pl.DataFrame(
        [(person, AS_OF - timedelta(days=age), kind) for person, age, kind in rows],
        schema=["person_id", "occurred_at", "kind"],
        orient="row",
    )


def _raw(rows: Sequence[tuple[int, float, str]], **kwargs: object) -> dict[int, float]:
    scores = engagement_scores(_touches(rows), as_of=AS_OF, **kwargs)  # type: ignore[arg-type]
    return dict(zip(scores["person_id"], scores["engagement_raw"], strict=True))


def test_a_touch_counts_half_after_one_half_life() -> None:
    raw = _raw([(1, 0, "message.replied"), (2, 30, "message.replied"), (3, 60, "message.replied")])
    assert raw == pytest.approx({1: 2.0, 2: 1.0, 3: 0.5})


def test_half_life_can_be_changed() -> None:
    assert _raw([(1, 7, "message.replied")], half_life_days=7)[1] == pytest.approx(1.0)


def test_a_review_outweighs_an_opened_email() -> None:
    raw = _raw([(1, 0, "review.submitted"), (2, 0, "message.opened")])
    assert raw[1] == DEFAULT_ENGAGEMENT_WEIGHTS["review.submitted"]
    assert raw[1] > raw[2] > 0


def test_purchases_and_our_own_sends_do_not_count_but_the_person_is_listed() -> None:
    scores = engagement_scores(
        _touches([(1, 0, "order.placed"), (1, 0, "message.sent"), (2, 0, "web.visit")]),
        as_of=AS_OF,
    )
    assert scores.columns == ["person_id", *ENGAGEMENT_COLUMNS]
    first = scores.row(0, named=True)
    assert first == {
        "person_id": 1,
        "interactions": 0,
        "days_since_last": None,
        "engagement_raw": 0.0,
        "engagement": 0.0,
    }


def test_weights_can_be_overridden_and_unknown_kinds_given_a_default() -> None:
    rows = [(1, 0, "webinar.attended"), (2, 0, "review.submitted")]
    assert _raw(rows)[1] == 0.0
    assert _raw(rows, default_weight=1.0)[1] == 1.0
    assert _raw(rows, weights={"webinar.attended": 4.0}) == {1: 4.0, 2: 0.0}


def test_touches_after_as_of_are_ignored_and_days_since_last_is_reported() -> None:
    scores = engagement_scores(
        _touches([(1, -5, "message.replied"), (1, 3, "message.clicked")]), as_of=AS_OF
    )
    assert scores["interactions"].to_list() == [1]
    assert scores["days_since_last"].to_list() == [pytest.approx(3.0)]


def test_people_without_touches_can_be_listed_with_zero() -> None:
    scores = engagement_scores(_touches([(1, 0, "web.visit")]), as_of=AS_OF, people=[1, 2])
    assert scores["person_id"].to_list() == [1, 2]
    assert scores["engagement"].to_list()[1] == 0.0


def test_date_columns_and_a_date_as_of_work_in_whole_days() -> None:
    touches = pl.DataFrame(
        {"person_id": [1], "occurred_at": [date(2024, 6, 1)], "kind": ["message.replied"]}
    )
    scores = engagement_scores(touches, as_of=date(2024, 7, 1))
    assert scores["engagement_raw"].item() == pytest.approx(1.0)


def test_scale_is_zero_for_nothing_and_full_at_saturation() -> None:
    raw = pl.DataFrame({"raw": [0.0, 3.0, 20.0, 500.0]})
    scaled = raw.select(scale_engagement(pl.col("raw"))).to_series().to_list()
    assert scaled[0] == 0.0 and scaled[2] == pytest.approx(100.0) and scaled[3] == 100.0
    assert 0 < scaled[1] < 100


kinds = st.sampled_from([*DEFAULT_ENGAGEMENT_WEIGHTS, "order.placed"])
touch = st.tuples(st.floats(min_value=0, max_value=720), kinds)


@settings(max_examples=60)
@given(st.lists(touch, min_size=1, max_size=20), touch)
def test_one_more_touch_never_lowers_the_score(
    history: list[tuple[float, str]], extra: tuple[float, str]
) -> None:
    before = _raw([(1, age, kind) for age, kind in history])[1]
    after = _raw([(1, age, kind) for age, kind in [*history, extra]])[1]
    assert after >= before - 1e-12


@given(st.floats(min_value=0, max_value=700), st.floats(min_value=0.001, max_value=50), kinds)
def test_an_older_touch_never_scores_higher(age: float, gap: float, kind: str) -> None:
    raw = _raw([(1, age, kind), (2, age + gap, kind)])
    assert raw[2] <= raw[1]


@settings(max_examples=30)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_row_order_does_not_matter(seed: int) -> None:
    touches = _touches([(i % 5, float(i * 3 % 40), "message.clicked") for i in range(25)])
    expected = engagement_scores(touches, as_of=AS_OF)
    shuffled = touches.sample(fraction=1.0, shuffle=True, seed=seed)
    result = engagement_scores(shuffled, as_of=AS_OF)
    assert result.drop("engagement_raw", "engagement").equals(
        expected.drop("engagement_raw", "engagement")
    )
    assert result["engagement_raw"].to_list() == pytest.approx(expected["engagement_raw"].to_list())


def test_pandas_interactions_are_accepted() -> None:
    touches = _touches([(1, 2, "web.visit")])
    assert engagement_scores(touches.to_pandas(), as_of=AS_OF).equals(
        engagement_scores(touches, as_of=AS_OF)
    )


@pytest.mark.parametrize("half_life", [0, -3, float("inf"), float("nan")])
def test_half_life_must_be_a_positive_number(half_life: float) -> None:
    with pytest.raises(MetricsError, match="half_life_days"):
        engagement_scores(_touches([(1, 0, "web.visit")]), half_life_days=half_life)


def test_negative_weights_are_rejected() -> None:
    with pytest.raises(MetricsError, match=r"'web\.visit'"):
        engagement_scores(_touches([(1, 0, "web.visit")]), weights={"web.visit": -1.0})


def test_missing_kind_column_is_named() -> None:
    with pytest.raises(MetricsError, match="'kind'"):
        engagement_scores(_touches([(1, 0, "web.visit")]).drop("kind"))


def test_touches_without_a_kind_are_rejected() -> None:
    touches = _touches([(1, 0, "web.visit")]).with_columns(
        pl.lit(None, dtype=pl.String).alias("kind")
    )
    with pytest.raises(MetricsError, match="1 empty value"):
        engagement_scores(touches)


def test_text_times_are_rejected() -> None:
    touches = _touches([(1, 0, "web.visit")]).with_columns(pl.col("occurred_at").cast(pl.String))
    with pytest.raises(MetricsError, match="dates or datetimes"):
        engagement_scores(touches)
