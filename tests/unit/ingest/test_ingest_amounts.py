"""Amounts are remembered per currency while parsing: the same text means different minor units
in different currencies, and a bad amount is reported every time it appears."""

from __future__ import annotations

from pathlib import Path

from goodwill.ingest.formats import open_orders
from goodwill.ingest.models import FileFormat, OrderGroup, OrderRecord, Reject


def _parse(path: Path) -> list[OrderRecord | list[Reject]]:
    opened = open_orders(path, FileFormat.CSV, mapping={}, source_name=None)
    try:
        groups = [g for g in opened.items() if isinstance(g, OrderGroup)]
        return [g.parse() for g in groups]
    finally:
        opened.source.close()


def test_the_same_amount_text_in_two_currencies_and_a_repeated_bad_amount(
    tmp_path: Path,
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,placed_at,currency,sku,product_name,quantity,unit_price,line_discount\n"
        "A1,2026-01-01,USD,S1,Mug,1,12.5,0.50\n"
        "A2,2026-01-02,JPY,S1,Mug,1,12.5,0.50\n"
        "A3,2026-01-03,USD,S1,Mug,2,12.5,\n"
        "A4,2026-01-04,USD,S1,Mug,1,abc,0.50\n"
        "A5,2026-01-05,USD,S1,Mug,1,abc,0.50\n"
        "A6,2026-01-06,JPY,S1,Mug,1,1250,\n",
        encoding="utf-8",
    )
    a1, a2, a3, a4, a5, a6 = _parse(path)
    assert isinstance(a1, OrderRecord) and isinstance(a2, OrderRecord)
    assert isinstance(a3, OrderRecord) and isinstance(a6, OrderRecord)
    assert (a1.lines[0].unit_price_minor, a1.lines[0].discount_minor) == (1250, 50)
    # JPY has no minor digits: 12.5 rounds half-even to 12, 0.50 to 0
    assert (a2.lines[0].unit_price_minor, a2.lines[0].discount_minor) == (12, 0)
    assert (a3.lines[0].unit_price_minor, a3.lines[0].discount_minor) == (1250, 0)
    assert a6.lines[0].unit_price_minor == 1250
    for bad, line in ((a4, 5), (a5, 6)):
        assert isinstance(bad, list)
        assert [(r.line, r.column, r.value) for r in bad] == [(line, "unit_price", "abc")]
