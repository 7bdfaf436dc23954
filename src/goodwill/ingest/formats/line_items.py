"""Orders written one row per line item (Shopify orders export, generic CSV/Parquet).

Rows of one order are consecutive and share ``order_id``; order-level fields are on the first row
and either blank or equal on the others (a different value rejects the order).  Grouping and
hashing are cheap and happen for every order; parsing happens only for orders that are new or
changed (see :class:`~goodwill.ingest.models.OrderGroup`).  An order with any bad row is rejected
whole: the bad cells are reported, and each other row of the order with "not imported".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import TypeVar

from goodwill.ingest import lifecycle, values
from goodwill.ingest.formats.fields import LINE_FIELDS, ORDER_FIELDS, Layout
from goodwill.ingest.models import LineItem, OrderGroup, OrderRecord, Reject
from goodwill.kit.identity import IdentityError, normalize_external_id
from goodwill.kit.money import minor_digits

#: Bump when parsing rules change, so that files imported before are parsed again.
HASH_VERSION = "1"
T = TypeVar("T")
_ORDER_LEVEL = tuple(f for f in ORDER_FIELDS if f not in LINE_FIELDS and f != "order_id")


def _getter(indices: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    if not indices:
        return lambda _row: ()
    if len(indices) == 1:
        i = indices[0]
        return lambda row: (row[i],)
    return itemgetter(*indices)


class LineItemOrders:
    """Turns records into :class:`OrderGroup` (or rejects) for one file layout."""

    def __init__(self, layout: Layout, *, source: str, marketing_column: str = "") -> None:
        self.layout = layout
        self.source = source
        self.key_index = layout.index["order_id"]
        self.order_fields = tuple(f for f in _ORDER_LEVEL if layout.has(f))
        self.line_fields = tuple(f for f in LINE_FIELDS if layout.has(f))
        self.order_values = _getter([layout.index[f] for f in self.order_fields])
        self.line_values = _getter([layout.index[f] for f in self.line_fields])
        self.blank = ("",) * len(self.order_fields)
        self.prefix = f"{HASH_VERSION}\x1f{source}\x1f{','.join(self.order_fields)}\x1f{','.join(self.line_fields)}\x1e"
        self.marketing_column = layout.column.get("accepts_marketing", marketing_column)

    # -- grouping ------------------------------------------------------------------------------
    def groups(self, records: Iterable[tuple[int, list[str]]]) -> Iterator[OrderGroup | Reject]:
        width, key_index = self.layout.width, self.key_index
        key_column = self.layout.column["order_id"]
        current: str | None = None
        rows: list[tuple[int, list[str]]] = []
        for line, row in records:
            if len(row) != width:
                if not any(cell.strip() for cell in row):
                    continue
                yield Reject(
                    line,
                    "",
                    "",
                    f"the row has {len(row)} fields, the header has {width}",
                )
                continue
            key = row[key_index].strip()
            if not key:
                if any(cell.strip() for cell in row):
                    yield Reject(line, key_column, "", f"{key_column} is empty")
                continue
            if key != current:
                if rows:
                    yield self._group(current or "", rows)
                current, rows = key, []
            rows.append((line, row))
        if rows:
            yield self._group(current or "", rows)

    def _group(self, key: str, rows: list[tuple[int, list[str]]]) -> OrderGroup:
        order_values, line_values = self.order_values, self.line_values
        parts = [self.prefix]
        for _line, row in rows:
            parts.append("\x1f".join(order_values(row)))
            parts.append("\x1f".join(line_values(row)))
        digest = hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()
        return OrderGroup(key, rows[0][0], digest, rows, self.parse)

    # -- parsing -------------------------------------------------------------------------------
    def parse(self, group: OrderGroup) -> OrderRecord | list[Reject]:
        errors: list[Reject] = []
        first_line, first = group.rows[0]
        fields = self.order_fields
        given = self.order_values(first)
        for line, row in group.rows[1:]:
            other = self.order_values(row)
            if other != self.blank and other != given:
                for name, a, b in zip(fields, given, other, strict=True):
                    if b and b != a:
                        col = self.layout.column[name]
                        errors.append(
                            Reject(
                                line,
                                col,
                                b,
                                f'order {group.external_id} has {col} "{a}" at line {first_line}',
                            )
                        )
        v = dict(zip(fields, (s.strip() for s in given), strict=True))
        record = self._order(group, v, first_line, errors)
        if errors or record is None:
            return self._rejected(group, errors)
        return record

    def _order(
        self, group: OrderGroup, v: dict[str, str], line: int, errors: list[Reject]
    ) -> OrderRecord | None:
        column = self.layout.column

        def cell(name: str, parse: Callable[[str], T]) -> T | None:
            raw = v.get(name, "")
            if not raw:
                return None
            try:
                return parse(raw)
            except values.FieldError as exc:
                errors.append(Reject(line, column[name], raw, exc.reason))
                return None

        def required(name: str, parse: Callable[[str], T]) -> T | None:
            if not v.get(name):
                errors.append(Reject(line, column[name], "", f"{column[name]} is empty"))
                return None
            return cell(name, parse)

        placed_at = required("placed_at", values.parse_timestamp)
        currency = required("currency", values.parse_currency)
        digits = minor_digits(currency or "USD")
        cur = currency or "USD"

        def money(name: str) -> int | None:
            return cell(name, lambda s: values.parse_minor(s, cur, digits))

        region = v.get("country") or None
        email = cell("email", values.parse_email)
        phone = cell("phone", lambda s: values.parse_phone(s, region))
        if phone is None and v.get("billing_phone"):
            phone = values.phone_or_none(v["billing_phone"], region)
        customer_ref = cell("customer_id", self._external)
        fin = cell("financial_status", _word(lifecycle.FINANCIAL, "a financial status"))
        ful = cell("fulfillment_status", _word(lifecycle.FULFILLMENT, "a fulfillment status"))
        status = cell("status", _word(lifecycle.STATUSES, "an order status"))
        stamps = {
            n: cell(n, values.parse_timestamp)
            for n in (
                "paid_at",
                "fulfilled_at",
                "delivered_at",
                "cancelled_at",
                "refunded_at",
                "returned_at",
            )
            if n in v
        }
        accepts = cell("accepts_marketing", values.parse_yes_no)
        discount, shipping = money("discount"), money("shipping")
        tax, subtotal, total = money("tax"), money("subtotal"), money("total")
        refunded = money("refunded_amount")
        lines = self._lines(group, cur, digits, errors)
        if errors or placed_at is None or currency is None:
            return None
        if subtotal is None:
            subtotal = sum(li.quantity * li.unit_price_minor - li.discount_minor for li in lines)
        if total is None:
            total = subtotal - (discount or 0) + (shipping or 0) + (tax or 0)
        first_name, last_name = v.get("first_name") or None, v.get("last_name") or None
        if first_name is None and last_name is None and v.get("name"):
            first_name, last_name = values.split_name(v["name"])
        stages = lifecycle.Stages(
            placed_at=placed_at,
            financial_status=(fin or ""),
            fulfillment_status=(ful or ""),
            status=(status or ""),
            refunded_minor=refunded or 0,
            total_minor=total,
            **stamps,
        )
        return OrderRecord(
            external_id=group.external_id,
            line=line,
            content_hash=group.content_hash,
            placed_at=placed_at,
            currency=currency,
            lifecycle=lifecycle.derive(stages),
            financial_status=fin,
            subtotal_minor=subtotal,
            discount_minor=discount or 0,
            shipping_minor=shipping or 0,
            tax_minor=tax or 0,
            total_minor=total,
            refunded_minor=refunded or 0,
            email=email,
            phone=phone,
            customer_ref=customer_ref,
            first_name=first_name,
            last_name=last_name,
            accepts_marketing=accepts,
            marketing_column=self.marketing_column,
            lines=lines,
        )

    def _lines(
        self, group: OrderGroup, currency: str, digits: int, errors: list[Reject]
    ) -> list[LineItem]:
        if not self.line_fields:
            return []
        column, names = self.layout.column, self.line_fields
        out: list[LineItem] = []
        for line, row in group.rows:
            v = dict(zip(names, (s.strip() for s in self.line_values(row)), strict=True))
            sku, name = v.get("sku", ""), v.get("product_name", "")
            if not sku and not name:
                col = column.get("product_name") or column["sku"]
                errors.append(Reject(line, col, "", f"{col} is empty"))
                continue
            try:
                qty_raw = v.get("quantity") or "1"
                quantity = values.parse_quantity(qty_raw)
            except values.FieldError as exc:
                errors.append(Reject(line, column["quantity"], qty_raw, exc.reason))
                continue
            amounts = []
            for fld in ("unit_price", "line_discount"):
                raw = v.get(fld, "")
                try:
                    amounts.append(values.parse_minor(raw, currency, digits) if raw else 0)
                except values.FieldError as exc:
                    errors.append(Reject(line, column[fld], raw, exc.reason))
            if len(amounts) == 2:
                key = values.product_key(sku, name)
                out.append(LineItem(key, sku or None, name or sku, quantity, *amounts))
        return out

    def _external(self, raw: str) -> str:
        try:
            return normalize_external_id(self.source, raw)
        except IdentityError as exc:
            raise values.FieldError(str(exc)) from None

    def _rejected(self, group: OrderGroup, errors: list[Reject]) -> list[Reject]:
        bad = {r.line for r in errors}
        first_bad = min(bad)
        note = f"not imported: order {group.external_id} has a bad row at line {first_bad}"
        siblings = [Reject(line, "", "", note) for line, _row in group.rows if line not in bad]
        return sorted([*errors, *siblings], key=lambda r: r.line)


def _word(allowed: tuple[str, ...], what: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        word = raw.strip().lower().replace(" ", "_")
        if word not in allowed:
            raise values.FieldError(f'"{raw}" is not {what} ({", ".join(allowed)})')
        return word

    return parse
