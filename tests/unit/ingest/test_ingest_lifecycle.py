"""Shopify statuses and timestamps -> Goodwill's order lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from goodwill.ingest.lifecycle import Stages, derive

T0 = datetime(2026, 9, 3, 14, 15, tzinfo=UTC)
H = timedelta(hours=1)


def test_paid_and_fulfilled_with_their_times() -> None:
    lc = derive(Stages(T0, paid_at=T0 + H, fulfilled_at=T0 + 24 * H, financial_status="paid",
                       fulfillment_status="fulfilled"))  # fmt: skip
    assert lc.status == "fulfilled"
    assert lc.events(T0) == [("placed", T0), ("paid", T0 + H), ("fulfilled", T0 + 24 * H)]
    assert not lc.approximate


@pytest.mark.parametrize("financial", ["pending", "authorized", "partially_paid"])
def test_not_yet_paid_orders_are_placed(financial: str) -> None:
    lc = derive(Stages(T0, financial_status=financial, fulfillment_status="unfulfilled"))
    assert lc.status == "placed" and lc.events(T0) == [("placed", T0)]


def test_voided_is_cancelled_at_the_cancellation_time() -> None:
    lc = derive(Stages(T0, cancelled_at=T0 + 3 * H, financial_status="voided"))
    assert lc.status == "cancelled" and lc.cancelled_at == T0 + 3 * H


def test_a_full_refund_without_a_time_uses_the_latest_known_time_and_says_so() -> None:
    lc = derive(Stages(T0, paid_at=T0 + H, financial_status="refunded", refunded_minor=2700,
                       total_minor=2700))  # fmt: skip
    assert lc.status == "refunded"
    assert lc.refunded_at == T0 + H and "refunded" in lc.approximate


def test_a_partial_refund_is_an_event_but_not_the_status() -> None:
    lc = derive(Stages(T0, paid_at=T0, fulfilled_at=T0 + H, financial_status="partially_refunded",
                       fulfillment_status="fulfilled", refunded_minor=500, total_minor=3950))  # fmt: skip
    assert lc.status == "fulfilled" and lc.refunded_at is not None


def test_restocked_after_a_refund_is_a_return() -> None:
    lc = derive(Stages(T0, paid_at=T0, financial_status="refunded", fulfillment_status="restocked"))
    assert lc.status == "returned" and {"refunded", "returned"} <= lc.approximate


def test_partial_fulfilment_is_not_fulfilled() -> None:
    lc = derive(Stages(T0, paid_at=T0, financial_status="paid", fulfillment_status="partial"))
    assert lc.status == "paid" and lc.fulfilled_at is None


def test_explicit_goodwill_statuses_imply_the_stages_before_them() -> None:
    lc = derive(Stages(T0, status="delivered"))
    assert lc.status == "delivered"
    assert [e for e, _ in lc.events(T0)] == ["placed", "paid", "fulfilled", "delivered"]
    assert derive(Stages(T0, delivered_at=T0 + 48 * H)).status == "delivered"


def test_a_refund_time_without_a_financial_status_is_a_full_refund_unless_partial() -> None:
    full = derive(Stages(T0, refunded_at=T0 + H, total_minor=1000))
    partial = derive(Stages(T0, refunded_at=T0 + H, refunded_minor=300, total_minor=1000))
    assert full.status == "refunded" and partial.status == "placed"
