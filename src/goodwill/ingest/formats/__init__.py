"""File formats: which reader, which columns, and how rows become orders or customers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from goodwill.ingest.errors import ImportFileError, InvalidMapping
from goodwill.ingest.formats import fields
from goodwill.ingest.formats.cdnow import CdnowOrders, check_layout
from goodwill.ingest.formats.customers import CustomerRows
from goodwill.ingest.formats.line_items import LineItemOrders
from goodwill.ingest.models import CustomerRecord, FileFormat, OrderGroup, Reject
from goodwill.ingest.reader import RecordSource, open_source


@dataclass
class OrdersFile:
    source: RecordSource
    source_name: str
    assembler: LineItemOrders | CdnowOrders

    def items(self) -> Iterator[OrderGroup | Reject]:
        return self.assembler.groups(self.source.records())


@dataclass
class CustomersFile:
    source: RecordSource
    source_name: str
    rows: CustomerRows

    def items(self) -> Iterator[CustomerRecord | Reject]:
        return self.rows.records(self.source.records())


def _check_map(fmt: FileFormat, mapping: Mapping[str, str]) -> None:
    if mapping and fmt is not FileFormat.CSV:
        raise InvalidMapping(f"--map applies to --format csv only (this is --format {fmt})")


def open_orders(
    path: Path, fmt: FileFormat, *, mapping: Mapping[str, str], source_name: str | None
) -> OrdersFile:
    _check_map(fmt, mapping)
    if fmt is FileFormat.CDNOW:
        source = open_source(path, kind="whitespace")
        try:
            check_layout(path)
        except ImportFileError:
            source.close()
            raise
        return OrdersFile(source, "cdnow", CdnowOrders())
    name = (source_name or fmt.value).strip().lower()
    if not name or ":" in name:
        raise InvalidMapping(f"--source {source_name!r}: use a short name without ':'")
    src = open_source(path, kind="csv" if fmt is FileFormat.SHOPIFY else "csv-any")
    try:
        if fmt is FileFormat.SHOPIFY:
            layout = fields.shopify_layout(
                src.header,
                fields.SHOPIFY_ORDER_COLUMNS,
                fields.SHOPIFY_ORDER_REQUIRED,
                "a shopify orders export",
            )
        else:
            layout = fields.generic_layout(
                src.header, fields.ORDER_FIELDS, fields.ORDER_REQUIRED, mapping, "a csv orders file"
            )
    except (ImportFileError, InvalidMapping):
        src.close()
        raise
    return OrdersFile(src, name, LineItemOrders(layout, source=name))


def open_customers(
    path: Path, fmt: FileFormat, *, mapping: Mapping[str, str], source_name: str | None
) -> CustomersFile:
    _check_map(fmt, mapping)
    if fmt is FileFormat.CDNOW:
        raise ImportFileError("cdnow files hold orders: use `goodwill import orders`")
    name = (source_name or fmt.value).strip().lower()
    if not name or ":" in name:
        raise InvalidMapping(f"--source {source_name!r}: use a short name without ':'")
    src = open_source(path, kind="csv" if fmt is FileFormat.SHOPIFY else "csv-any")
    try:
        if fmt is FileFormat.SHOPIFY:
            layout = fields.shopify_layout(
                src.header,
                fields.SHOPIFY_CUSTOMER_COLUMNS,
                fields.SHOPIFY_CUSTOMER_REQUIRED,
                "a shopify customers export",
            )
        else:
            layout = fields.generic_layout(
                src.header, fields.CUSTOMER_FIELDS, (), mapping, "a csv customers file"
            )
            if not any(layout.has(f) for f in ("email", "phone", "customer_id")):
                raise ImportFileError(
                    "a csv customers file needs an email, phone or customer_id column "
                    f"(or --map COLUMN=email); found {', '.join(src.header[:12])}"
                )
    except (ImportFileError, InvalidMapping):
        src.close()
        raise
    return CustomersFile(src, name, CustomerRows(layout, source=name))
