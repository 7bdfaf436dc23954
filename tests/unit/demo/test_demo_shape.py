"""The demo shop looks like a real business: heterogeneous buyers who drop out, orders whose
status follows their timestamps, consent respected at every send, loyalty that shows in NPS."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import numpy as np
from tests.unit.demo.demo_kit import column, generate, global_person

from goodwill.consent.models import ConsentEvent, current_state
from goodwill.demo import names
from goodwill.demo.lifecycle import order_status
from goodwill.demo.models import Batch, DemoSpec

TODAY = np.datetime64("2026-11-01T00:00:00")


def _orders(shop: list[Batch]) -> dict[str, Any]:
    cols = [
        "status", "financial_status", "subtotal_minor", "discount_minor", "shipping_minor",
        "tax_minor", "total_minor", "refunded_minor", "placed_at", "paid_at", "fulfilled_at",
        "delivered_at", "cancelled_at", "returned_at", "refunded_at",
    ]  # fmt: skip
    out: dict[str, Any] = {c: column(shop, "orders", c) for c in cols}
    out["person"] = global_person(shop, "orders")
    return out


def test_buyers_are_heterogeneous_many_never_repeat_some_repeat_often(shop: list[Batch]) -> None:
    o = _orders(shop)
    counted = np.array([s != "cancelled" for s in o["status"]])
    per_person = np.bincount(o["person"][counted])
    buyers = per_person[per_person > 0]
    once = (buyers == 1).mean()
    assert 0.4 < once < 0.75, once
    assert (buyers >= 5).mean() > 0.03
    assert buyers.max() >= 10
    people = len(column(shop, "persons", "first_name"))
    assert 0.85 < len(buyers) / people < 0.99  # newsletter leads and billing contacts never buy


def test_drop_out_is_visible(shop: list[Batch]) -> None:
    """Repeat buyers of the first year: many have gone quiet for half a year or more."""
    o = _orders(shop)
    placed = np.array(o["placed_at"], dtype="datetime64[s]")
    person = o["person"]
    first = np.full(person.max() + 1, TODAY)
    last = np.full(person.max() + 1, np.datetime64("1970-01-01T00:00:00"))
    np.minimum.at(first, person, placed)
    np.maximum.at(last, person, placed)
    count = np.bincount(person)
    early = (count >= 2) & (first < TODAY - np.timedelta64(365, "D"))
    quiet = last[early] < TODAY - np.timedelta64(180, "D")
    assert early.sum() > 100
    assert 0.2 < quiet.mean() < 0.9, quiet.mean()


def _has(value: datetime | None) -> bool:
    return value is not None


def test_status_follows_the_timestamps_and_money_adds_up(shop: list[Batch]) -> None:
    o = _orders(shop)
    stages = ["placed_at", "paid_at", "fulfilled_at", "delivered_at", "returned_at"]
    for i in range(len(o["status"])):
        t = {k: o[k][i] for k in (*stages, "cancelled_at", "refunded_at")}
        assert all(v is None or v < TODAY.astype(datetime) for v in t.values())
        chain = [t[k] for k in stages if t[k] is not None]
        assert chain == sorted(chain)
        if t["cancelled_at"] is not None:
            assert t["fulfilled_at"] is None and t["cancelled_at"] > t["placed_at"]
        refund, total = o["refunded_minor"][i], o["total_minor"][i]
        assert (refund > 0) == _has(t["refunded_at"])
        expected = order_status(
            cancelled=_has(t["cancelled_at"]),
            returned=_has(t["returned_at"]),
            fully_refunded=refund > 0 and refund >= total - o["shipping_minor"][i],
            delivered=_has(t["delivered_at"]),
            fulfilled=_has(t["fulfilled_at"]),
            paid=_has(t["paid_at"]),
        )
        assert o["status"][i] == expected
        assert o["financial_status"][i] in (
            "paid", "pending", "voided", "refunded", "partially_refunded",
        )  # fmt: skip
        net = o["subtotal_minor"][i] - o["discount_minor"][i]
        assert total == net + o["shipping_minor"][i] + o["tax_minor"][i]
    statuses = set(o["status"])
    assert {"delivered", "cancelled", "returned", "refunded", "fulfilled"} <= statuses


def test_lines_add_up_to_the_order(shop: list[Batch]) -> None:
    for batch in shop:
        orders, lines = batch.frame("orders").columns, batch.frame("order_lines").columns
        order = np.asarray(lines["order_id"])
        gross = np.asarray(lines["quantity"]) * np.asarray(lines["unit_price_minor"])
        subtotal = np.bincount(order, weights=gross, minlength=len(orders["status"]))
        assert np.array_equal(subtotal.astype(np.int64), np.asarray(orders["subtotal_minor"]))
        discount = np.bincount(order, weights=lines["discount_minor"], minlength=len(subtotal))
        assert np.array_equal(discount.astype(np.int64), np.asarray(orders["discount_minor"]))
        assert (np.asarray(lines["quantity"]) >= 1).all()


def test_every_order_event_is_on_the_timeline(shop: list[Batch]) -> None:
    kinds = column(shop, "interactions", "kind")
    o = _orders(shop)
    for stage in ("placed", "paid", "fulfilled", "delivered", "cancelled", "returned", "refunded"):
        happened = sum(v is not None for v in o[f"{stage}_at"])
        assert kinds.count(f"order.{stage}") == happened, stage


def _ledger(shop: list[Batch]) -> dict[tuple[int, str], list[ConsentEvent]]:
    person = global_person(shop, "consent_events")
    out: dict[tuple[int, str], list[ConsentEvent]] = defaultdict(list)
    cols = {c: column(shop, "consent_events", c) for c in ("purpose", "channel", "action", "source", "evidence", "occurred_at")}  # fmt: skip
    for i, p in enumerate(person.tolist()):
        assert cols["source"][i] and cols["evidence"][i]  # every event says where it came from
        event = ConsentEvent(
            cols["purpose"][i], cols["channel"][i], cols["action"][i],
            cols["occurred_at"][i].replace(tzinfo=UTC), cols["source"][i], cols["evidence"][i], id=i,
        )  # fmt: skip
        out[(p, cols["channel"][i])].append(event)
    return out


def test_marketing_goes_only_to_people_who_agreed_at_that_moment(shop: list[Batch]) -> None:
    ledger = _ledger(shop)
    person = global_person(shop, "interactions")
    kinds = column(shop, "interactions", "kind")
    payloads = column(shop, "interactions", "payload")
    channels = column(shop, "interactions", "channel")
    when = column(shop, "interactions", "occurred_at")
    checked = 0
    for i, kind in enumerate(kinds):
        if kind != "message.sent" or payloads[i].get("purpose") != "marketing":
            continue
        events = [
            e
            for e in ledger[(int(person[i]), channels[i])]
            if e.occurred_at <= when[i].replace(tzinfo=UTC)
        ]
        state = current_state(events).get(("marketing", channels[i]))
        assert state is not None and state.granted, (person[i], payloads[i])
        checked += 1
    assert checked > 10_000
    withdrawals = column(shop, "consent_events", "action").count("withdraw")
    assert withdrawals > 100


def test_nps_is_higher_among_loyal_customers(shop: list[Batch]) -> None:
    o = _orders(shop)
    orders_per_person = np.bincount(o["person"])
    person = global_person(shop, "interactions")
    kinds = column(shop, "interactions", "kind")
    payloads = column(shop, "interactions", "payload")
    scores = [(int(person[i]), p["score"]) for i, (k, p) in enumerate(zip(kinds, payloads, strict=True)) if k == "nps.answered"]  # fmt: skip
    assert len(scores) > 800 and all(0 <= s <= 10 for _, s in scores)
    loyal = [s for p, s in scores if orders_per_person[p] >= 4]
    once = [s for p, s in scores if orders_per_person[p] == 1]
    assert np.mean(loyal) > np.mean(once) + 0.5
    all_scores = np.array([s for _, s in scores])
    nps = 100 * ((all_scores >= 9).mean() - (all_scores <= 6).mean())
    assert 10 < nps < 60, nps


def test_reviews_rate_products_after_delivery(shop: list[Batch]) -> None:
    kinds = column(shop, "interactions", "kind")
    payloads = column(shop, "interactions", "payload")
    reviews = [p for k, p in zip(kinds, payloads, strict=True) if k == "review.submitted"]
    assert len(reviews) > 500
    ratings = np.array([r["rating"] for r in reviews])
    assert set(ratings.tolist()) == {1, 2, 3, 4, 5}
    assert 3.8 < ratings.mean() < 4.6
    assert all(r["product_id"] >= 1 and r["sku"] for r in reviews)


def test_accounts_have_contacts_with_roles_and_owners(shop: list[Batch]) -> None:
    for batch in shop:
        m = batch.frame("memberships").columns
        acc = batch.frame("accounts").columns
        per_account: dict[int, list[str]] = defaultdict(list)
        for a, role in zip(np.asarray(m["account_id"]).tolist(), m["role"], strict=True):
            per_account[a].append(role)
        assert len(per_account) == len(acc["name"])
        for roles in per_account.values():
            assert 1 <= len(roles) <= 7 and roles.count("decision_maker") <= 1
        assert set(acc["owner"]) <= set(names.ACCOUNT_TEAM)
    all_names = column(shop, "accounts", "name")
    assert len(all_names) == len(set(all_names)) > 30
    person = global_person(shop, "memberships")
    account = np.concatenate(
        [np.asarray(b.frame("memberships").columns["account_id"]) + 10_000 * b.index for b in shop]
    )
    in_two = {p for p in person.tolist() if len(set(account[person == p].tolist())) > 1}
    assert in_two, "someone should belong to two accounts"
    owners = [o for o in column(shop, "persons", "owner") if o]
    assert 0.01 < len(owners) / len(column(shop, "persons", "owner")) < 0.15


def test_people_records_are_rich(shop: list[Batch]) -> None:
    kinds = column(shop, "important_dates", "kind")
    years = column(shop, "important_dates", "year")
    birthdays = [y for k, y in zip(kinds, years, strict=True) if k == "birthday"]
    assert any(y is None for y in birthdays) and any(y is not None for y in birthdays)
    assert {"birthday", "anniversary", "milestone"} <= set(kinds)
    assert set(column(shop, "person_links", "kind")) == {"referred_by", "household", "knows"}
    facts = column(shop, "facts", "text")
    assert "prefers morning deliveries" in facts and len(facts) > 200
    assert set(column(shop, "facts", "noted_by")) <= set(names.STAFF)
    statuses = column(shop, "tasks", "status")
    done = [
        c
        for s, c in zip(statuses, column(shop, "tasks", "completed_at"), strict=True)
        if s == "done"
    ]
    assert "open" in statuses and done and all(c is not None for c in done)
    for kind in ("message.opened", "message.replied", "support.ticket", "web.visit", "referral.made", "note.added"):  # fmt: skip
        assert kind in set(column(shop, "interactions", "kind")), kind


def test_a_euro_shop_prices_in_euro_with_vat_included() -> None:
    shop = generate(DemoSpec(300, seed=3, currency="EUR"))
    o = _orders(shop)
    assert set(column(shop, "orders", "currency")) == {"EUR"}
    for i in range(len(o["status"])):
        net = o["subtotal_minor"][i] - o["discount_minor"][i]
        assert o["total_minor"][i] == net + o["shipping_minor"][i]
        assert o["tax_minor"][i] == round(net * 0.2 / 1.2)
