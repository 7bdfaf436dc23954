"""Relationship depth: more distinct ties means a deeper relationship, for people and accounts."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from goodwill.analytics.metrics import (
    ACCOUNT_DEPTH_COLUMNS,
    DEFAULT_DEPTH_WEIGHTS,
    DEPTH_DIMENSIONS,
    MetricsError,
    account_depth,
    person_depth,
)

PURCHASES = pl.DataFrame(
    {
        "person_id": [1, 1, 1, 1, 2, 3],
        "product_id": ["mug", "mug", "tea", "pot", "mug", None],
        "category": ["kitchen", "kitchen", "food", "kitchen", "kitchen", None],
        "channel": ["web", "web", "store", "web", "web", ""],
    }
)
INTERACTIONS = pl.DataFrame(
    {
        "person_id": [1, 1, 1, 1, 1, 4],
        "kind": [
            "message.replied",
            "review.submitted",
            "order.placed",
            "order.fulfilled",
            "message.sent",
            "web.visit",
        ],
        "channel": ["email", "web", "web", "web", "sms", "web"],
    }
)


def _row(frame: pl.DataFrame, person: int) -> dict[str, object]:
    return frame.filter(pl.col("person_id") == person).row(0, named=True)


def test_counts_distinct_categories_products_channels_and_touchpoint_kinds() -> None:
    depth = person_depth(PURCHASES, INTERACTIONS)
    assert depth.columns == ["person_id", *DEPTH_DIMENSIONS, "depth"]
    first = _row(depth, 1)
    # channels: web, store (purchases) + email (reply); the SMS was our own send.
    # kinds: reply, review, order placed; fulfilment is order lifecycle, the send is ours.
    assert {k: first[k] for k in DEPTH_DIMENSIONS} == {
        "categories": 2,
        "products": 3,
        "channels": 3,
        "touchpoint_kinds": 3,
    }


def test_everyone_in_either_input_is_listed_and_nothing_countable_scores_zero() -> None:
    depth = person_depth(PURCHASES, INTERACTIONS)
    assert depth["person_id"].to_list() == [1, 2, 3, 4]
    assert _row(depth, 3)["depth"] == 0.0
    assert _row(depth, 1)["depth"] > _row(depth, 2)["depth"] > 0  # type: ignore[operator]


def test_reaching_every_cap_scores_one_hundred() -> None:
    purchases = pl.DataFrame(
        {
            "person_id": [1] * 10,
            "product_id": [f"p{i}" for i in range(10)],
            "category": [f"c{i % 5}" for i in range(10)],
            "channel": ["web", "store", "phone"] * 3 + ["web"],
        }
    )
    kinds = ["message.replied", "review.submitted", "web.visit", "call", "nps.answered"]
    interactions = pl.DataFrame({"person_id": [1] * 5, "kind": kinds})
    assert person_depth(purchases, interactions)["depth"].item() == pytest.approx(100.0)


def test_purchases_alone_or_interactions_alone_are_enough() -> None:
    assert person_depth(PURCHASES)["touchpoint_kinds"].to_list() == [0, 0, 0]
    assert person_depth(interactions=INTERACTIONS)["products"].to_list() == [0, 0]


def test_weights_decide_what_counts() -> None:
    only_categories = {
        **DEFAULT_DEPTH_WEIGHTS,
        "products": 0.0,
        "channels": 0.0,
        "touchpoint_kinds": 0.0,
    }
    depth = person_depth(PURCHASES, weights=only_categories)
    assert _row(depth, 2)["depth"] == pytest.approx(100 * 0.3868528, rel=1e-6)  # log 2 / log 6


lines = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d", "e", "f"]), st.sampled_from(["x", "y", "z"])),
    min_size=1,
    max_size=15,
)


@settings(max_examples=60)
@given(lines, st.tuples(st.sampled_from(["g", "a"]), st.sampled_from(["w", "x"])))
def test_buying_something_more_never_makes_a_relationship_shallower(
    history: list[tuple[str, str]], extra: tuple[str, str]
) -> None:
    def depth_of(rows: list[tuple[str, str]]) -> float:
        purchases = pl.DataFrame(
            [(1, product, category) for product, category in rows],
            schema=["person_id", "product_id", "category"],
            orient="row",
        )
        value = person_depth(purchases)["depth"].item()
        assert 0.0 <= value <= 100.0
        return float(value)

    assert depth_of([*history, extra]) >= depth_of(history)


MEMBERS = pl.DataFrame(
    {
        "account_id": [10, 10, 10, 10, 11, 12],
        "person_id": [1, 2, 3, 9, 4, 5],
        "role": ["Decision Maker", "champion", "end-user", "influencer", "billing", "billing"],
        "active": [True, True, True, False, True, False],
    }
)
TOUCHES = pl.DataFrame(
    {
        "person_id": [1, 2, 3, 4],
        "occurred_at": [date(2024, 6, 1), date(2024, 6, 20), date(2024, 1, 5), date(2024, 6, 25)],
        "kind": ["message.replied", "meeting", "call", "message.sent"],
    }
)


def test_accounts_show_engaged_contacts_and_the_roles_we_cover() -> None:
    depth = account_depth(MEMBERS, TOUCHES, as_of=date(2024, 6, 30))
    assert depth.columns == ["account_id", *ACCOUNT_DEPTH_COLUMNS]
    first = depth.row(0, named=True)
    assert first["contacts"] == 3  # person 9 is no longer active
    assert first["engaged_contacts"] == 2  # person 3's call is older than 90 days
    assert first["roles_covered"] == 2  # "end-user" is not the standard "user" role
    assert first["roles_missing"] == ["influencer", "user", "billing"]


def test_our_own_messages_do_not_make_a_contact_engaged() -> None:
    depth = account_depth(MEMBERS, TOUCHES, as_of=date(2024, 6, 30))
    assert depth.row(1, named=True)["engaged_contacts"] == 0


def test_an_account_without_active_members_is_listed_with_zero_depth() -> None:
    depth = account_depth(MEMBERS, TOUCHES)
    assert depth.row(2, named=True) == {
        "account_id": 12,
        "contacts": 0,
        "engaged_contacts": 0,
        "roles_covered": 0,
        "roles_missing": ["decision_maker", "champion", "influencer", "user", "billing"],
        "account_depth": 0.0,
    }


def test_full_buying_group_all_engaged_scores_one_hundred() -> None:
    roles = ["decision_maker", "champion", "influencer", "user", "billing"]
    members = pl.DataFrame({"account_id": [1] * 5, "person_id": list(range(5)), "role": roles})
    touches = pl.DataFrame({"person_id": list(range(5)), "occurred_at": [date(2024, 6, 1)] * 5})
    assert account_depth(members, touches)["account_depth"].item() == pytest.approx(100.0)


def test_a_longer_window_never_lowers_account_depth() -> None:
    short = account_depth(MEMBERS, TOUCHES, as_of=date(2024, 6, 30), window_days=30)
    long = account_depth(MEMBERS, TOUCHES, as_of=date(2024, 6, 30), window_days=365)
    assert (long["account_depth"] >= short["account_depth"]).all()
    assert long.row(0, named=True)["engaged_contacts"] == 3


def test_pandas_inputs_are_accepted() -> None:
    assert person_depth(PURCHASES.to_pandas(), INTERACTIONS.to_pandas()).equals(
        person_depth(PURCHASES, INTERACTIONS)
    )


def test_no_input_at_all_is_rejected() -> None:
    with pytest.raises(MetricsError, match="give purchases, interactions or both"):
        person_depth()


def test_missing_category_column_is_named() -> None:
    with pytest.raises(MetricsError, match="'category'"):
        person_depth(PURCHASES.drop("category"))


def test_unknown_or_incomplete_weights_are_rejected() -> None:
    with pytest.raises(MetricsError, match="unknown: spend"):
        person_depth(PURCHASES, weights={**DEFAULT_DEPTH_WEIGHTS, "spend": 1.0})
    with pytest.raises(MetricsError, match="missing: products"):
        person_depth(PURCHASES, caps={"categories": 5, "channels": 3, "touchpoint_kinds": 5})


def test_all_zero_weights_are_rejected() -> None:
    with pytest.raises(MetricsError, match="at least one weight"):
        person_depth(PURCHASES, weights=dict.fromkeys(DEPTH_DIMENSIONS, 0.0))


def test_memberships_without_an_account_are_rejected() -> None:
    members = MEMBERS.with_columns(pl.lit(None, dtype=pl.Int64).alias("account_id"))
    with pytest.raises(MetricsError, match="6 empty value"):
        account_depth(members)


def test_non_positive_window_is_rejected() -> None:
    with pytest.raises(MetricsError, match="window_days"):
        account_depth(MEMBERS, TOUCHES, window_days=0)
