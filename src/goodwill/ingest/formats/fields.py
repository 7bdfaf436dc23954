"""Goodwill's import field names, and how a file's columns map onto them.

Generic CSV/Parquet files name their columns after these fields (case and spaces do not matter:
``Order ID`` is ``order_id``), or map them with ``--map COLUMN=FIELD``.  The Shopify formats are
the same fields under Shopify's column names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from goodwill.ingest.errors import ImportFileError, InvalidMapping

#: Order fields; one row per line item, rows of one order consecutive.  Order-level fields may be
#: given on the order's first row only, or repeated (then they must agree).
ORDER_FIELDS: dict[str, str] = {
    "order_id": "the order's id in the source (required, on every row)",
    "placed_at": "when the order was placed (required): 2026-09-03 10:15:00 -0400 or ISO 8601",
    "currency": "ISO 4217 code (required)",
    "email": "customer email",
    "phone": "customer phone (E.164, or national with country)",
    "customer_id": "customer id in the source, stored as the identity <source>:<id>",
    "first_name": "customer first name",
    "last_name": "customer last name",
    "name": "customer full name (split into first and last when those are absent)",
    "country": "ISO country code, used to read phone numbers written without +",
    "accepts_marketing": "yes/no: email marketing consent",
    "financial_status": "Shopify words: pending, authorized, partially_paid, paid, "
    "partially_refunded, refunded, voided",
    "fulfillment_status": "Shopify words: fulfilled, unfulfilled, partial, restocked",
    "status": "placed, paid, fulfilled, delivered, cancelled, refunded or returned",
    "paid_at": "when it was paid",
    "fulfilled_at": "when it was shipped",
    "delivered_at": "when it was delivered",
    "cancelled_at": "when it was cancelled",
    "refunded_at": "when it was refunded",
    "returned_at": "when it came back",
    "subtotal": "amount before discount, shipping and tax (default: sum of the lines)",
    "discount": "order discount amount",
    "shipping": "shipping amount",
    "tax": "tax amount",
    "total": "amount paid (default: subtotal - discount + shipping + tax)",
    "refunded_amount": "amount refunded",
    "billing_phone": "a phone from the address, used only when it is a valid number",
    "sku": "line item SKU (blank: the product is keyed by its name)",
    "product_name": "line item product name",
    "quantity": "line item quantity (whole, not negative)",
    "unit_price": "line item unit price",
    "line_discount": "line item discount amount",
}
ORDER_REQUIRED = ("order_id", "placed_at", "currency")
LINE_FIELDS = ("sku", "product_name", "quantity", "unit_price", "line_discount")

CUSTOMER_FIELDS: dict[str, str] = {
    "email": "email address",
    "phone": "phone number",
    "customer_id": "id in the source, stored as the identity <source>:<id>",
    "first_name": "first name",
    "last_name": "last name",
    "name": "full name (split when first/last are absent)",
    "company": "company: an account, with this person as a member (role user)",
    "country": "ISO country code, used to read phone numbers written without +",
    "tags": "comma-separated tags",
    "note": "a note about the person",
    "accepts_email_marketing": "yes/no: email marketing consent",
    "accepts_sms_marketing": "yes/no: SMS marketing consent",
    "created_at": "when they became a customer",
}

SHOPIFY_ORDER_COLUMNS: dict[str, str] = {
    "Name": "order_id",
    "Created at": "placed_at",
    "Currency": "currency",
    "Email": "email",
    "Phone": "phone",
    "Billing Name": "name",
    "Billing Country": "country",
    "Billing Phone": "billing_phone",
    "Accepts Marketing": "accepts_marketing",
    "Financial Status": "financial_status",
    "Fulfillment Status": "fulfillment_status",
    "Paid at": "paid_at",
    "Fulfilled at": "fulfilled_at",
    "Cancelled at": "cancelled_at",
    "Subtotal": "subtotal",
    "Discount Amount": "discount",
    "Shipping": "shipping",
    "Taxes": "tax",
    "Total": "total",
    "Refunded Amount": "refunded_amount",
    "Lineitem sku": "sku",
    "Lineitem name": "product_name",
    "Lineitem quantity": "quantity",
    "Lineitem price": "unit_price",
    "Lineitem discount": "line_discount",
}
SHOPIFY_ORDER_REQUIRED = (
    "Name",
    "Email",
    "Created at",
    "Currency",
    "Total",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
)

SHOPIFY_CUSTOMER_COLUMNS: dict[str, str] = {
    "Customer ID": "customer_id",
    "First Name": "first_name",
    "Last Name": "last_name",
    "Email": "email",
    "Accepts Email Marketing": "accepts_email_marketing",
    "Accepts Marketing": "accepts_email_marketing",  # older exports
    "Company": "company",
    "Country Code": "country",
    "Phone": "phone",
    "Accepts SMS Marketing": "accepts_sms_marketing",
    "Tags": "tags",
    "Note": "note",
}
SHOPIFY_CUSTOMER_REQUIRED = ("First Name", "Last Name", "Email", "Phone")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each field is in a row, and the column name to quote in the rejects file."""

    index: dict[str, int]
    column: dict[str, str]
    width: int

    def has(self, name: str) -> bool:
        return name in self.index


def _norm(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _found(header: Sequence[str]) -> str:
    shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
    return shown or "no columns"


def shopify_layout(
    header: Sequence[str], columns: Mapping[str, str], required: Sequence[str], what: str
) -> Layout:
    """The Shopify columns present; raise naming the missing ones if any is required."""
    position = {name.strip().lower(): i for i, name in reversed(list(enumerate(header)))}
    missing = [c for c in required if c.lower() not in position]
    if missing:
        raise ImportFileError(
            f"{what} needs columns {', '.join(required)}; missing {', '.join(missing)}; "
            f"found {_found(header)}"
        )
    index: dict[str, int] = {}
    column: dict[str, str] = {}
    for col, fld in columns.items():
        i = position.get(col.lower())
        if i is not None and fld not in index:
            index[fld] = i
            column[fld] = header[i]
    return Layout(index, column, len(header))


def parse_map_options(options: Sequence[str]) -> dict[str, str]:
    """``["Order Number=order_id", ...]`` -> ``{"Order Number": "order_id"}``."""
    out: dict[str, str] = {}
    for opt in options:
        col, sep, fld = opt.partition("=")
        if not sep or not col.strip() or not fld.strip():
            raise InvalidMapping(f"--map {opt!r}: write it as COLUMN=FIELD")
        out[col.strip()] = fld.strip().lower()
    return out


def generic_layout(
    header: Sequence[str],
    fields: Mapping[str, str],
    required: Sequence[str],
    mapping: Mapping[str, str],
    what: str,
) -> Layout:
    """Columns named like fields map themselves; ``mapping`` (column -> field) adds or overrides."""
    index: dict[str, int] = {}
    column: dict[str, str] = {}
    for i, name in enumerate(header):
        fld = _norm(name)
        if fld in fields and fld not in index:
            index[fld], column[fld] = i, name
    by_name = {name.strip().lower(): i for i, name in reversed(list(enumerate(header)))}
    for col, fld in mapping.items():
        if fld not in fields:
            raise InvalidMapping(
                f"--map {col}={fld}: unknown field {fld!r}; fields are {', '.join(fields)}"
            )
        at = by_name.get(col.lower())
        if at is None:
            raise InvalidMapping(f"--map {col}={fld}: no column {col!r}; found {_found(header)}")
        for other, j in list(index.items()):
            if j == at and other != fld:
                del index[other], column[other]
        index[fld], column[fld] = at, header[at]
    missing = [f for f in required if f not in index]
    if missing:
        raise ImportFileError(
            f"{what} needs fields {', '.join(required)}; missing {', '.join(missing)} "
            f"(name a column after it or use --map COLUMN={missing[0]}); found {_found(header)}"
        )
    return Layout(index, column, len(header))
