"""Customer lists, generic CSV and Parquet, and one person across several sources."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select
from tests.integration.ingest.support import DATA, Run, snapshot

from goodwill.db import tables as t
from goodwill.ingest.formats.fields import parse_map_options

pytestmark = pytest.mark.integration
CUSTOMERS = DATA / "shopify" / "customers_export.csv"
ORDERS = DATA / "shopify" / "orders_export.csv"
OTHER_SHOP = DATA / "csv" / "orders_other_shop.csv"
MAPPING = parse_map_options(
    [
        "Order Number=order_id", "Order Date=placed_at", "E-mail=email", "Mobile=phone",
        "Client=customer_id", "Item SKU=sku", "Item=product_name", "Qty=quantity",
        "Unit Price=unit_price",
    ]
)  # fmt: skip


def test_shopify_customers_become_people_accounts_consent_tags_and_notes(
    engine: Engine, run: Run
) -> None:
    summary, rejects = run("customers", "shopify", CUSTOMERS)
    assert rejects == []
    c = summary.counts
    assert c["people"].created == 4 and c["identities"].created == 4 + 3
    assert (c["accounts"].created, c["memberships"].created) == (2, 3)
    assert c["notes"].created == 2
    with engine.connect() as conn:
        accounts = {a.external_key: a.name for a in conn.execute(select(t.accounts))}
        assert accounts == {
            "company:silva & filhos": "Silva & Filhos",
            "company:lee studio": "Lee Studio",
        }
        roles = conn.execute(select(t.memberships.c.role)).scalars().all()
        assert set(roles) == {"user"}
        consent = sorted((e.channel, e.action) for e in conn.execute(select(t.consent_events)))
        # email: Ana yes, Ben no, Eva yes, Grace no; SMS only for people with a phone
        assert consent == sorted(
            [("email", "grant"), ("email", "withdraw"), ("email", "grant"), ("email", "withdraw"),
             ("sms", "withdraw"), ("sms", "grant"), ("sms", "grant")]
        )  # fmt: skip
        tags = {p.first_name: p.tags for p in conn.execute(select(t.persons))}
        assert tags["Ana"] == ["vip", "wholesale"]
    before = snapshot(engine)
    again, _ = run("customers", "shopify", CUSTOMERS)
    assert snapshot(engine) == before
    assert again.counts["people"].unchanged == 4 and again.counts["consent_events"].created == 0


def test_the_same_email_from_two_sources_is_one_person(engine: Engine, run: Run) -> None:
    run("customers", "shopify", CUSTOMERS)
    run("orders", "shopify", ORDERS)
    run("orders", "csv", OTHER_SHOP, mapping=MAPPING)
    with engine.connect() as conn:
        ana = conn.execute(
            select(t.identities.c.person_id).where(t.identities.c.value == "ana.silva@example.com")
        ).scalar_one()
        mine = conn.execute(
            select(t.identities.c.kind, t.identities.c.value).where(t.identities.c.person_id == ana)
        ).all()
        assert set(mine) == {
            ("email", "ana.silva@example.com"), ("phone", "+15125550101"), ("external", "csv:C-17"),
        }  # fmt: skip
        sources = conn.execute(
            select(t.orders.c.source, t.orders.c.external_id).where(t.orders.c.person_id == ana)
        ).all()
        assert sorted(sources) == [("csv", "A-1"), ("shopify", "#1001"), ("shopify", "#1003")]


def test_generic_csv_and_the_same_data_as_parquet_give_the_same_record(
    engine: Engine, run: Run, tmp_path: Path
) -> None:
    summary, rejects = run("orders", "csv", OTHER_SHOP, mapping=MAPPING, source_name="othershop")
    assert rejects == [] and summary.counts["orders"].created == 3
    via_csv = snapshot(engine)
    with engine.connect() as conn:
        keys = conn.execute(select(t.interactions.c.idempotency_key)).scalars().all()
        assert "othershop:order:A-3:cancelled" in keys
        refs = conn.execute(select(t.identities.c.value).where(t.identities.c.kind == "external"))
        assert set(refs.scalars()) == {"othershop:C-17", "othershop:C-18"}
    table = pacsv.read_csv(
        OTHER_SHOP,
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=False,
                                             column_types={"Unit Price": "string"}),
    )  # fmt: skip
    parquet = tmp_path / "orders.parquet"
    pq.write_table(table, parquet)
    again, rejects = run("orders", "csv", parquet, mapping=MAPPING, source_name="othershop")
    assert rejects == [] and again.counts["orders"].created == 0
    assert snapshot(engine)["counts"] == via_csv["counts"]


def test_generic_customers_csv(engine: Engine, run: Run) -> None:
    summary, rejects = run("customers", "csv", DATA / "csv" / "customers.csv")
    assert rejects == [] and summary.counts["people"].created == 2
    with engine.connect() as conn:
        rows = conn.execute(select(t.persons.c.first_name, t.persons.c.first_seen_at)).all()
        assert {r.first_name for r in rows} == {"Ana", "Inês"}
        assert all(r.first_seen_at is not None for r in rows)
