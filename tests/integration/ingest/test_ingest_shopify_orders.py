"""Importing a Shopify orders export: the record it builds, and re-imports that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, select
from tests.integration.ingest.support import DATA, Run, snapshot

from goodwill.db import tables as t
from goodwill.kit.clock import as_utc

pytestmark = pytest.mark.integration
EXPORT = DATA / "shopify" / "orders_export.csv"
LATER = DATA / "shopify" / "orders_export_later.csv"


def _person(conn: Connection, kind: str, value: str) -> int:
    return int(
        conn.execute(
            select(t.identities.c.person_id).where(
                t.identities.c.kind == kind, t.identities.c.value == value
            )
        ).scalar_one()
    )


def test_a_shopify_export_builds_people_orders_products_timeline_and_consent(
    engine: Engine, run: Run
) -> None:
    summary, rejects = run("orders", "shopify", EXPORT)
    assert rejects == [] and summary.rows == 9 and summary.rows_rejected == 0
    c = summary.counts
    assert (c["people"].created, c["identities"].created) == (5, 6)
    assert (c["orders"].created, c["order_lines"].created, c["products"].created) == (6, 9, 5)
    snap = snapshot(engine)
    assert snap["counts"]["persons"] == 5 and snap["counts"]["orders"] == 6

    with engine.connect() as conn:
        ana = _person(conn, "email", "ana.silva@example.com")
        assert _person(conn, "phone", "+15125550101") == ana  # one person, two identities
        person = conn.execute(select(t.persons).where(t.persons.c.id == ana)).one()
        assert (person.first_name, person.last_name) == ("Ana", "Silva")
        assert as_utc(person.first_seen_at) == datetime(2026, 9, 3, 14, 15, tzinfo=UTC)
        orders = {
            o.external_id: o
            for o in conn.execute(select(t.orders).order_by(t.orders.c.external_id))
        }
        assert {k: o.status for k, o in orders.items()} == {
            "#1001": "fulfilled", "#1002": "placed", "#1003": "returned", "#1004": "cancelled",
            "#1005": "fulfilled", "#1006": "paid",
        }  # fmt: skip
        assert orders["#1003"].person_id == ana and orders["#1001"].total_minor == 4059
        assert orders["#1005"].currency == "GBP" and orders["#1005"].refunded_minor == 500
        kinds = {
            (r.idempotency_key, r.kind)
            for r in conn.execute(
                select(t.interactions).where(t.interactions.c.order_id.is_not(None))
            )
        }
        assert ("shopify:order:#1001:placed", "order.placed") in kinds
        assert ("shopify:order:#1001:fulfilled", "order.fulfilled") in kinds
        assert ("shopify:order:#1004:cancelled", "order.cancelled") in kinds
        assert ("shopify:order:#1005:refunded", "order.refunded") in kinds
        assert not any(k.startswith("shopify:order:#1002:paid") for k, _ in kinds)
        products = {p.sku: p for p in conn.execute(select(t.products))}
        assert set(products) == {
            "SKU-MUG",
            "SKU-TEA",
            "SKU-SCARF",
            "SKU-SOAP",
            "name:hand-made candle",
        }
        assert products["name:hand-made candle"].name == "Hand-made  Candle"
        assert (products["SKU-SCARF"].price_minor, products["SKU-SCARF"].currency) == (1000, "GBP")
        events = conn.execute(
            select(t.consent_events).order_by(t.consent_events.c.occurred_at)
        ).all()
    # Ana (yes, twice: one event), Ben (no), Carla (yes), Dan (no); Farid has no email
    assert [(e.action, e.purpose, e.channel) for e in events] == [
        ("grant", "marketing", "email"), ("withdraw", "marketing", "email"),
        ("grant", "marketing", "email"), ("withdraw", "marketing", "email"),
    ]  # fmt: skip
    evidence = events[0].evidence
    assert evidence["file"] == "orders_export.csv" and len(evidence["sha256"]) == 64
    assert (evidence["line"], evidence["column"]) == (2, "Accepts Marketing")
    assert c["consent_events"].created == 4


def test_importing_the_same_export_again_changes_nothing(engine: Engine, run: Run) -> None:
    run("orders", "shopify", EXPORT)
    before = snapshot(engine)
    summary, rejects = run("orders", "shopify", EXPORT)
    assert rejects == [] and snapshot(engine) == before
    c = summary.counts
    assert c["orders"].unchanged == 6 and c["orders"].created == c["orders"].updated == 0
    assert c["order_lines"].unchanged == 9
    assert c["people"].unchanged == 5 and c["people"].created == c["people"].updated == 0
    assert c["interactions"].created == 0 and c["interactions"].unchanged > 0
    assert c["consent_events"].created == 0


def test_an_overlapping_later_export_updates_changed_orders_and_adds_new_ones(
    engine: Engine, run: Run
) -> None:
    run("orders", "shopify", EXPORT)
    summary, _ = run("orders", "shopify", LATER)
    c = summary.counts
    assert (c["orders"].created, c["orders"].updated, c["orders"].unchanged) == (1, 1, 1)
    with engine.connect() as conn:
        o = conn.execute(select(t.orders).where(t.orders.c.external_id == "#1002")).one()
        assert o.status == "fulfilled"
        keys = {
            k for (k,) in conn.execute(
                select(t.interactions.c.idempotency_key).where(t.interactions.c.order_id == o.id)
            )
        }  # fmt: skip
        # the changed order keeps its placed event and gains the newly reached stages
        assert keys == {
            "shopify:order:#1002:placed", "shopify:order:#1002:paid", "shopify:order:#1002:fulfilled",
        }  # fmt: skip
        ben = _person(conn, "email", "ben@example.com")
        ben_events = conn.execute(
            select(t.consent_events.c.action).where(t.consent_events.c.person_id == ben)
            .order_by(t.consent_events.c.id)
        ).scalars().all()  # fmt: skip
        # the later export says "yes" for the same checkout: the withdrawal stands
        assert ben_events == ["withdraw"]
        eva = _person(conn, "email", "eva@example.com")
        assert _person(conn, "phone", "+351912345678") == eva
        mug = conn.execute(select(t.products).where(t.products.c.sku == "SKU-MUG")).one()
        assert (mug.price_minor, mug.currency) == (1400, "EUR")  # its most recent line
    assert (
        c["interactions"].created == 2 + 2 + 1
    )  # #1002 paid+fulfilled, #1007 placed+paid, consent
    after = snapshot(engine)
    run("orders", "shopify", LATER)
    run("orders", "shopify", EXPORT)
    run("orders", "shopify", LATER)
    assert snapshot(engine)["counts"] == after["counts"]


def test_batches_smaller_than_an_order_still_keep_orders_whole(engine: Engine, run: Run) -> None:
    summary, _ = run("orders", "shopify", EXPORT, batch_rows=2)
    assert summary.counts["orders"].created == 6 and summary.counts["order_lines"].created == 9
    single = snapshot(engine)
    assert single["counts"]["order_lines"] == 9


def test_workspaces_are_separate_records(engine: Engine, run: Run) -> None:
    run("orders", "shopify", EXPORT)
    summary, _ = run("orders", "shopify", EXPORT, workspace="other-shop")
    assert summary.counts["people"].created == 5 and summary.counts["orders"].created == 6
    with engine.connect() as conn:
        assert len(conn.execute(select(t.orders.c.id)).all()) == 12
