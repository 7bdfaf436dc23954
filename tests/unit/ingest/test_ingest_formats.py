"""Reading files into orders and customers (pure: no database)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from goodwill.ingest.errors import ImportFileError, InvalidMapping
from goodwill.ingest.formats import open_customers, open_orders
from goodwill.ingest.formats.fields import LINE_FIELDS, ORDER_FIELDS, parse_map_options
from goodwill.ingest.formats.line_items import ORDER_LEVEL
from goodwill.ingest.models import CustomerRecord, FileFormat, OrderGroup, OrderRecord, Reject

DATA = Path(__file__).parents[2] / "data"
SHOPIFY = DATA / "shopify" / "orders_export.csv"


def _orders(
    path: Path, fmt: FileFormat = FileFormat.SHOPIFY, **kw: object
) -> list[OrderGroup | Reject]:
    opened = open_orders(path, fmt, mapping=kw.pop("mapping", {}), source_name=None)  # type: ignore[arg-type]
    try:
        return list(opened.items())
    finally:
        opened.source.close()


def _parsed(
    path: Path, fmt: FileFormat = FileFormat.SHOPIFY, **kw: object
) -> dict[str, OrderRecord]:
    out = {}
    for item in _orders(path, fmt, **kw):
        assert isinstance(item, OrderGroup), item
        record = item.parse()
        assert isinstance(record, OrderRecord), record
        out[record.external_id] = record
    return out


def test_order_level_fields_cover_every_order_field() -> None:
    assert set(ORDER_LEVEL) == set(ORDER_FIELDS) - set(LINE_FIELDS) - {"order_id"}


def test_shopify_export_groups_rows_by_order_with_physical_line_numbers() -> None:
    groups = _orders(SHOPIFY)
    assert [g.external_id for g in groups if isinstance(g, OrderGroup)] == [
        "#1001", "#1002", "#1003", "#1004", "#1005", "#1006",
    ]  # fmt: skip
    lines = {g.external_id: [n for n, _ in g.rows] for g in groups if isinstance(g, OrderGroup)}
    # #1001's Notes hold a newline, so its second row starts on line 4; BOM and header are line 1
    assert lines["#1001"] == [2, 4]
    assert lines["#1002"] == [5]
    assert lines["#1006"] == [9, 11, 12]


def test_shopify_orders_are_parsed_to_money_times_identities_and_lifecycle() -> None:
    orders = _parsed(SHOPIFY)
    o = orders["#1001"]
    assert (o.email, o.phone, o.first_name, o.last_name) == (
        "ana.silva@example.com", "+15125550101", "Ana", "Silva",
    )  # fmt: skip
    assert (o.currency, o.subtotal_minor, o.shipping_minor, o.tax_minor, o.total_minor) == (
        "USD", 3300, 495, 264, 4059,
    )  # fmt: skip
    assert o.lifecycle.status == "fulfilled" and o.accepts_marketing is True
    assert [(li.key, li.quantity, li.unit_price_minor) for li in o.lines] == [
        ("SKU-MUG", 2, 1250), ("SKU-TEA", 1, 800),
    ]  # fmt: skip
    assert orders["#1002"].email == "ben@example.com"
    assert orders["#1002"].lines[0].key == "name:hand-made candle"
    assert orders["#1003"].lifecycle.status == "returned"
    assert orders["#1004"].lifecycle.status == "cancelled"
    assert orders["#1005"].phone == "+447700900123" and orders["#1005"].email is None
    assert orders["#1005"].lifecycle.status == "fulfilled" and orders["#1005"].refunded_minor == 500
    assert orders["#1006"].lines[0].discount_minor == 200


def test_the_content_hash_changes_with_the_content_only(tmp_path: Path) -> None:
    first = {g.external_id: g.content_hash for g in _orders(SHOPIFY) if isinstance(g, OrderGroup)}
    again = {g.external_id: g.content_hash for g in _orders(SHOPIFY) if isinstance(g, OrderGroup)}
    assert first == again
    rows = list(csv.reader(SHOPIFY.open(encoding="utf-8-sig", newline="")))
    assert rows[3][0] == "#1002"
    rows[3][rows[0].index("Financial Status")] = "paid"
    changed = tmp_path / "changed.csv"
    with changed.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    after = {g.external_id: g.content_hash for g in _orders(changed) if isinstance(g, OrderGroup)}
    assert [k for k in first if first[k] != after[k]] == ["#1002"]


def test_missing_required_columns_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("Name,Email,Total\n#1,a@b.co,1.00\n")
    with pytest.raises(ImportFileError) as err:
        open_orders(path, FileFormat.SHOPIFY, mapping={}, source_name=None)
    message = str(err.value)
    assert message.startswith("a shopify orders export needs columns Name, Email, Created at")
    assert "missing Created at, Currency, Lineitem quantity" in message
    assert "found Name, Email, Total" in message


def test_generic_csv_maps_columns_by_name_and_by_option() -> None:
    path = DATA / "csv" / "orders_other_shop.csv"
    mapping = parse_map_options([
        "Order Number=order_id", "Order Date=placed_at", "E-mail=email", "Mobile=phone",
        "Client=customer_id", "Item SKU=sku", "Item=product_name", "Qty=quantity",
        "Unit Price=unit_price",
    ])  # fmt: skip
    orders = _parsed(path, FileFormat.CSV, mapping=mapping)
    assert list(orders) == ["A-1", "A-2", "A-3"]
    a1 = orders["A-1"]
    assert a1.customer_ref == "csv:C-17" and a1.total_minor == 1250 + 2 * 800
    assert a1.lifecycle.status == "paid"
    assert orders["A-2"].lifecycle.status == "delivered" and orders["A-2"].phone == "+351912000111"
    assert orders["A-3"].lifecycle.status == "cancelled"


def test_generic_csv_without_the_required_fields_says_how_to_map_them() -> None:
    path = DATA / "csv" / "orders_other_shop.csv"
    with pytest.raises(
        ImportFileError, match=r"missing order_id, placed_at .*--map COLUMN=order_id"
    ):
        open_orders(path, FileFormat.CSV, mapping={}, source_name=None)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("Order Number", "write it as COLUMN=FIELD"),
        ("Order Number=order_number", "unknown field 'order_number'"),
        ("Nope=order_id", "no column 'Nope'"),
    ],
)
def test_bad_map_options_are_refused(option: str, message: str) -> None:
    with pytest.raises(InvalidMapping, match=message):
        mapping = parse_map_options([option])
        open_orders(DATA / "csv" / "orders_other_shop.csv", FileFormat.CSV, mapping=mapping,
                    source_name=None)  # fmt: skip


def test_cdnow_same_day_purchases_are_separate_orders_with_stable_ids(tmp_path: Path) -> None:
    path = tmp_path / "cdnow.txt"
    path.write_text(
        " 00004 0001 19970101  2   29.33\r\n 00004 0001 19970101  1   10.00\r\n"
        " 00005 0002 19970102  3   10.00\r\n"
    )
    orders = _parsed(path, FileFormat.CDNOW)
    assert list(orders) == ["00004-19970101-1", "00004-19970101-2", "00005-19970102-1"]
    o = orders["00005-19970102-1"]
    assert o.customer_ref == "cdnow:00005" and o.currency == "USD" and o.total_minor == 1000
    assert o.lines[0].quantity == 3 and o.lines[0].unit_price_minor == 333
    assert o.lifecycle.status == "paid"


def test_cdnow_master_layout_has_a_header_and_four_columns(tmp_path: Path) -> None:
    path = tmp_path / "master.txt"
    path.write_text(" customer_id  date number_of_cds  dollar_value\n 00001 19970101  1   11.77\n")
    orders = _parsed(path, FileFormat.CDNOW)
    assert list(orders) == ["00001-19970101-1"] and orders["00001-19970101-1"].total_minor == 1177


def test_shopify_customers_export() -> None:
    opened = open_customers(DATA / "shopify" / "customers_export.csv", FileFormat.SHOPIFY,
                            mapping={}, source_name=None)  # fmt: skip
    records = [r for r in opened.items() if isinstance(r, CustomerRecord)]
    opened.source.close()
    ana, ben, eva, grace = records
    assert (ana.email, ana.phone, ana.company, ana.tags) == (
        "ana.silva@example.com", "+15125550101", "Silva & Filhos", ["vip", "wholesale"],
    )  # fmt: skip
    assert ana.email_marketing is True and ana.sms_marketing is False
    assert ben.phone is None and ben.sms_marketing is None and ben.email_marketing is False
    assert eva.phone == "+351912345678" and eva.sms_marketing is True
    assert grace.note == "Met at the Leeds market" and grace.phone == "+447700900456"
