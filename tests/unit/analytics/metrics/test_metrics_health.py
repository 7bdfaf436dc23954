"""Relationship health: a 0-100 score that shows its components and never hides missing data."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodwill.analytics.metrics import (
    HEALTH_COMPONENTS,
    HealthWeights,
    MetricsError,
    latest_nps_answers,
    relationship_health,
)

CONTRIBUTIONS = [f"{name}_contribution" for name in HEALTH_COMPONENTS]

PEOPLE = pl.DataFrame(
    {
        "person_id": [1, 2, 3, 4, 5],
        "p_alive": [0.91, 0.30, None, 0.05, float("nan")],
        "clv": [500.0, 20.0, 100.0, None, None],
        "nps_answer": [9, 3, None, 7, None],
        "engagement": [72.0, 10.0, 0.0, None, None],
        "depth": [45.0, None, 20.0, None, None],
        "categories": [3, None, 1, None, None],
    }
)


def _person(frame: pl.DataFrame, person: int) -> dict[str, object]:
    return frame.filter(pl.col("person_id") == person).row(0, named=True)


def test_health_is_the_weighted_mean_of_its_components_and_explains_itself() -> None:
    first = _person(relationship_health(PEOPLE), 1)
    # clv percentile: highest of three -> (3 - 0.5) / 3; promoter 9 -> 0.9
    values = {"p_alive": 0.91, "clv": 2.5 / 3, "nps": 0.9, "engagement": 0.72, "depth": 0.45}
    weights = {"p_alive": 0.30, "clv": 0.20, "nps": 0.15, "engagement": 0.20, "depth": 0.15}
    assert first["health"] == pytest.approx(100 * sum(values[k] * weights[k] for k in values))
    assert first["missing"] == []
    assert first["explanation"] == (
        "health 79: likely active (P(alive) 0.91), top 17% value, promoter (9), "
        "engaged recently, 3 categories"
    )


def test_contributions_add_up_to_health() -> None:
    scored = relationship_health(PEOPLE).filter(pl.col("health").is_not_null())
    totals = scored.select(pl.sum_horizontal(pl.col(CONTRIBUTIONS).fill_null(0.0)))
    assert totals.to_series().to_list() == pytest.approx(scored["health"].to_list())


def test_missing_components_are_reweighted_and_named_not_counted_as_zero() -> None:
    fourth = _person(relationship_health(PEOPLE), 4)
    expected = 100 * (0.30 * 0.05 + 0.15 * 0.6) / (0.30 + 0.15)
    assert fourth["health"] == pytest.approx(expected)
    assert fourth["missing"] == ["clv", "engagement", "depth"]
    assert fourth["clv_contribution"] is None
    assert str(fourth["explanation"]).endswith("; missing: clv, engagement, depth")


def test_a_person_with_nothing_known_has_no_health_and_says_why() -> None:
    fifth = _person(relationship_health(PEOPLE), 5)  # NaN P(alive) counts as missing
    assert fifth["health"] is None
    assert fifth["missing"] == list(HEALTH_COMPONENTS)
    assert fifth["explanation"] == (
        "health unknown: nothing to score (missing: p_alive, clv, nps, engagement, depth)"
    )


def test_absent_columns_are_missing_for_everyone() -> None:
    scored = relationship_health(pl.DataFrame({"person_id": [1, 2], "p_alive": [0.8, 0.4]}))
    assert scored["health"].to_list() == pytest.approx([80.0, 40.0])
    assert scored["missing"].to_list()[0] == ["clv", "nps", "engagement", "depth"]


def test_depth_is_described_in_categories_when_the_person_bought_any() -> None:
    frame = pl.DataFrame({"person_id": [1, 2], "depth": [30.0, 12.0], "categories": [2, 0]})
    assert relationship_health(frame)["explanation"].to_list() == [
        "health 30: 2 categories; missing: p_alive, clv, nps, engagement",
        "health 12: depth 12; missing: p_alive, clv, nps, engagement",
    ]


def test_a_detractor_six_scores_well_below_a_passive_seven() -> None:
    scored = relationship_health(pl.DataFrame({"person_id": [1, 2], "nps_answer": [6, 7]}))
    assert scored["health"].to_list() == pytest.approx([40.0, 60.0])
    assert scored["explanation"].to_list() == [
        "health 40: detractor (6); missing: p_alive, clv, engagement, depth",
        "health 60: passive (7); missing: p_alive, clv, engagement, depth",
    ]


def test_equal_clv_gets_equal_value_and_the_base_decides_the_percentile() -> None:
    scored = relationship_health(
        pl.DataFrame({"person_id": [1, 2, 3, 4], "clv": [10.0, 10.0, 0.0, 99.0]})
    )
    assert scored["clv_value"].to_list() == pytest.approx([0.5, 0.5, 0.125, 0.875])
    assert scored["explanation"].to_list()[3].startswith("health 88: top 13% value")


def test_weights_can_be_overridden_and_weightless_components_stay_visible() -> None:
    weights = HealthWeights(p_alive=1.0, clv=0.0, nps=0.0, engagement=0.0, depth=0.0)
    first = _person(relationship_health(PEOPLE, weights=weights), 1)
    assert first["health"] == pytest.approx(91.0)
    assert first["nps_value"] == pytest.approx(0.9) and first["nps_contribution"] == 0.0
    assert first["explanation"] == "health 91: likely active (P(alive) 0.91)"


unit = st.one_of(st.none(), st.floats(min_value=0, max_value=1))
percent = st.one_of(st.none(), st.floats(min_value=0, max_value=100))
answer = st.one_of(st.none(), st.integers(min_value=0, max_value=10))


@given(st.lists(st.tuples(unit, percent, answer, percent, percent), min_size=1, max_size=25))
def test_health_is_always_within_0_100_or_explicitly_unknown(
    rows: list[tuple[float | None, float | None, int | None, float | None, float | None]],
) -> None:
    frame = pl.DataFrame(
        [(i, *row) for i, row in enumerate(rows)],
        schema={
            "person_id": pl.Int64,
            "p_alive": pl.Float64,
            "clv": pl.Float64,
            "nps_answer": pl.Int64,
            "engagement": pl.Float64,
            "depth": pl.Float64,
        },
        orient="row",
    )
    scored = relationship_health(frame)
    for row in scored.iter_rows(named=True):
        if row["health"] is None:
            assert row["missing"] == list(HEALTH_COMPONENTS)
        else:
            assert 0.0 <= row["health"] <= 100.0 + 1e-9
            assert not row["explanation"].startswith("health unknown")


@given(st.floats(min_value=0, max_value=1), st.floats(min_value=0, max_value=1), percent, answer)
def test_a_higher_p_alive_never_lowers_health(
    low: float, high: float, engagement: float | None, nps_answer: int | None
) -> None:
    low, high = sorted((low, high))
    frame = pl.DataFrame(
        {
            "person_id": [1, 2],
            "p_alive": [low, high],
            "engagement": [engagement, engagement],
            "nps_answer": [nps_answer, nps_answer],
        },
        schema_overrides={"engagement": pl.Float64, "nps_answer": pl.Int64},
    )
    health = relationship_health(frame)["health"].to_list()
    assert health[1] >= health[0] - 1e-9


def test_row_order_does_not_change_anyones_health() -> None:
    expected = relationship_health(PEOPLE).sort("person_id")
    shuffled = relationship_health(PEOPLE.sample(fraction=1.0, shuffle=True, seed=7))
    assert shuffled.sort("person_id").equals(expected)


def test_pandas_input_is_accepted() -> None:
    people = PEOPLE.drop("p_alive").head(4)  # pandas has no null floats distinct from NaN
    assert relationship_health(people.to_pandas())["health"].to_list() == pytest.approx(
        relationship_health(people)["health"].to_list()
    )


def test_latest_answer_per_person_feeds_health() -> None:
    answers = pl.DataFrame(
        {
            "person_id": [1, 1, 2, 2, 3],
            "answered_at": [
                date(2024, 1, 1),
                date(2024, 5, 1),
                date(2024, 3, 1),
                date(2024, 3, 1),
                date(2024, 2, 1),
            ],
            "score": [3, 10, 9, 6, None],
        }
    )
    latest = latest_nps_answers(answers)
    assert latest.rows() == [
        (1, 10, date(2024, 5, 1)),
        (2, 6, date(2024, 3, 1)),
    ]  # tie keeps the lower


@pytest.mark.parametrize(
    ("column", "bad", "message"),
    [
        ("p_alive", 1.2, "are not 0-1"),
        ("nps_answer", 7.5, "are not a whole number 0-10"),
        ("nps_answer", 11.0, "are not a whole number 0-10"),
        ("engagement", 150.0, "are not 0-100"),
        ("depth", -1.0, "are not 0-100"),
        ("clv", float("inf"), "are not a finite amount"),
    ],
)
def test_out_of_range_inputs_are_rejected_with_their_count(
    column: str, bad: float, message: str
) -> None:
    frame = pl.DataFrame({"person_id": [1, 2, 3], column: [bad, bad, 0.0]})
    with pytest.raises(MetricsError, match=f"2 value\\(s\\) in '{column}' {message}"):
        relationship_health(frame)


def test_text_components_are_rejected() -> None:
    with pytest.raises(MetricsError, match="must be numeric"):
        relationship_health(pl.DataFrame({"person_id": [1], "p_alive": ["high"]}))


def test_duplicate_people_are_rejected() -> None:
    with pytest.raises(MetricsError, match="1 duplicate"):
        relationship_health(pl.DataFrame({"person_id": [1, 1], "p_alive": [0.2, 0.3]}))


def test_invalid_weights_are_rejected() -> None:
    with pytest.raises(MetricsError, match="clv must be >= 0"):
        HealthWeights(clv=-0.1)
    with pytest.raises(MetricsError, match="at least one weight"):
        HealthWeights(0, 0, 0, 0, 0)
