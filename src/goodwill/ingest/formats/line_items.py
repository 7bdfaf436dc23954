"""Orders written one row per line item (Shopify orders export, generic CSV/Parquet).

Rows of one order are consecutive and share ``order_id``; order-level fields are on the first row
and either blank or equal on the others (a different value rejects the order).  Grouping and
hashing are cheap and happen for every order; parsing happens only for orders that are new or
changed (see :class:`~goodwill.ingest.models.OrderGroup`).  An order with any bad row is rejected
whole: the bad cells are reported, and each other row of the order with "not imported".

Hot path: rows get one extra empty cell, so a field the file lacks reads as that blank cell and
every row yields all fields in a fixed order (one ``itemgetter`` call, tuple unpacking).  A group
keeps only those fields of each row (:data:`ORDER_LEVEL` then :data:`LINE_FIELDS`), not the
file's 79 columns, so a batch stays small.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from goodwill.ingest import lifecycle, values
from goodwill.ingest.formats.fields import LINE_FIELDS, ORDER_FIELDS, Layout
from goodwill.ingest.models import LineItem, OrderGroup, OrderRecord, Reject
from goodwill.kit.identity import IdentityError, normalize_external_id
from goodwill.kit.money import minor_digits

#: Bump when parsing rules change, so that files imported before are parsed again.
HASH_VERSION = "1"
#: Order-level fields in the order :meth:`LineItemOrders._order` unpacks them.
ORDER_LEVEL = (
    "placed_at", "currency", "email", "phone", "customer_id", "first_name", "last_name", "name",
    "country", "accepts_marketing", "financial_status", "fulfillment_status", "status",
    "paid_at", "fulfilled_at", "delivered_at", "cancelled_at", "refunded_at", "returned_at",
    "subtotal", "discount", "shipping", "tax", "total", "refunded_amount", "billing_phone",
)  # fmt: skip
_N_ORDER = len(ORDER_LEVEL)
_STAMPS = ("paid_at", "fulfilled_at", "delivered_at", "cancelled_at", "refunded_at", "returned_at")
_LINE_AMOUNTS = ("unit_price", "line_discount")
_AMOUNTS = ("subtotal", "discount", "shipping", "tax", "total", "refunded_amount")
_MINOR_CACHE = 65536  # distinct amounts remembered per currency


def _word(allowed: tuple[str, ...], what: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        word = raw.lower().replace(" ", "_")
        if word not in allowed:
            raise values.FieldError(f'"{raw}" is not {what} ({", ".join(allowed)})')
        return word

    return parse


_FINANCIAL = _word(lifecycle.FINANCIAL, "a financial status")
_FULFILLMENT = _word(lifecycle.FULFILLMENT, "a fulfillment status")
_STATUS = _word(lifecycle.STATUSES, "an order status")


class LineItemOrders:
    """Turns records into :class:`OrderGroup` (or rejects) for one file layout."""

    def __init__(self, layout: Layout, *, source: str) -> None:
        self.layout = layout
        self.source = source
        self.key_index = layout.index["order_id"]
        self.key_column = layout.column["order_id"]
        blank = layout.width  # the extra empty cell appended to every row
        self.order_values: Callable[[list[str]], tuple[str, ...]] = itemgetter(
            *(layout.index.get(f, blank) for f in ORDER_LEVEL)
        )
        self.line_values: Callable[[list[str]], tuple[str, ...]] = itemgetter(
            *(layout.index.get(f, blank) for f in LINE_FIELDS)
        )
        self.has_lines = any(layout.has(f) for f in LINE_FIELDS)
        self.blank = ("",) * len(ORDER_LEVEL)
        self.column = {f: layout.column.get(f, f) for f in ORDER_FIELDS}
        present = ",".join(f for f in ORDER_FIELDS if layout.has(f))
        self.prefix = f"{HASH_VERSION}\x1f{source}\x1f{present}"
        self._minor: dict[str, dict[str, int]] = {}

    # -- grouping ------------------------------------------------------------------------------
    def groups(self, records: Iterable[tuple[int, list[str]]]) -> Iterator[OrderGroup | Reject]:
        width, key_index = self.layout.width, self.key_index
        key_column = self.layout.column["order_id"]
        current: str | None = None
        rows: list[tuple[int, Sequence[str]]] = []
        problems: list[Reject] = []
        order_values, line_values = self.order_values, self.line_values
        for line, row in records:
            problem = None
            if len(row) != width:
                if not any(cell.strip() for cell in row):
                    continue
                reason = f"the row has {len(row)} fields, the header has {width}"
                problem = Reject(line, "", "", reason)
                row = (row + [""] * width)[:width]
            key = row[key_index].strip()
            if not key:
                if problem is not None:
                    yield problem
                elif any(cell.strip() for cell in row):
                    yield Reject(line, key_column, "", f"{key_column} is empty")
                continue
            row.append("")
            if key != current:
                if rows:
                    yield self._group(current or "", rows, problems)
                current, rows, problems = key, [], []
            rows.append((line, order_values(row) + line_values(row)))
            if problem is not None:
                problems.append(problem)
        if rows:
            yield self._group(current or "", rows, problems)

    def _group(
        self, key: str, rows: list[tuple[int, Sequence[str]]], problems: list[Reject]
    ) -> OrderGroup:
        blank, n = self.blank, _N_ORDER
        parts = [self.prefix]
        for _line, row in rows:
            given = row[:n]
            parts.append("" if given == blank else "\x1f".join(given))
            parts.append("\x1f".join(row[n:]))
        parts.extend(p.reason for p in problems)
        digest = hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()
        return OrderGroup(key, rows[0][0], digest, rows, self.parse, problems)

    # -- parsing -------------------------------------------------------------------------------
    def parse(self, group: OrderGroup) -> OrderRecord | list[Reject]:
        if group.problems:  # a row that could not be read: its cells mean nothing
            return self._rejected(group, list(group.problems))
        errors: list[Reject] = []
        first_line, first = group.rows[0]
        given = tuple(first[:_N_ORDER])
        for line, row in group.rows[1:]:
            other = tuple(row[:_N_ORDER])
            if other != self.blank and other != given:
                self._conflicts(group, given, other, line, errors)
        record = self._order(group, [s.strip() for s in given], first_line, errors)
        if errors or record is None:
            return self._rejected(group, errors)
        return record

    def _conflicts(
        self,
        group: OrderGroup,
        given: tuple[str, ...],
        other: tuple[str, ...],
        line: int,
        errors: list[Reject],
    ) -> None:
        first_line = group.rows[0][0]
        for name, a, b in zip(ORDER_LEVEL, given, other, strict=True):
            if b and b != a:
                col = self.column[name]
                reason = f'order {group.external_id} has {col} "{a}" at line {first_line}'
                errors.append(Reject(line, col, b, reason))

    def _cell(
        self,
        parse: Callable[..., Any],
        raw: str,
        name: str,
        line: int,
        errors: list[Reject],
        *args: Any,
    ) -> Any:
        try:
            return parse(raw, *args)
        except values.FieldError as exc:
            errors.append(Reject(line, self.column[name], raw, exc.reason))
            return None

    def _order(
        self, group: OrderGroup, given: list[str], line: int, errors: list[Reject]
    ) -> OrderRecord | None:
        (placed_raw, currency_raw, email_raw, phone_raw, customer_raw, first_name, last_name,
         full_name, country, accepts_raw, fin_raw, ful_raw, status_raw, *rest) = given  # fmt: skip
        stamp_raws, amount_raws, billing_phone = rest[:6], rest[6:12], rest[12]
        cell = self._cell
        placed_at: datetime | None = None
        currency: str | None = None
        for name, raw in (("placed_at", placed_raw), ("currency", currency_raw)):
            if not raw:
                errors.append(Reject(line, self.column[name], "", f"{self.column[name]} is empty"))
        if placed_raw:
            placed_at = cell(values.parse_timestamp, placed_raw, "placed_at", line, errors)
        if currency_raw:
            currency = cell(values.parse_currency, currency_raw, "currency", line, errors)
        cur = currency or "USD"
        digits = minor_digits(cur)
        region = country or None
        email = cell(values.parse_email, email_raw, "email", line, errors) if email_raw else None
        phone = (
            cell(values.parse_phone, phone_raw, "phone", line, errors, region)
            if phone_raw
            else None
        )
        if phone is None and billing_phone:
            phone = values.phone_or_none(billing_phone, region)
        customer_ref = (
            cell(self._external, customer_raw, "customer_id", line, errors)
            if customer_raw
            else None
        )
        fin = cell(_FINANCIAL, fin_raw, "financial_status", line, errors) if fin_raw else None
        ful = cell(_FULFILLMENT, ful_raw, "fulfillment_status", line, errors) if ful_raw else None
        status = cell(_STATUS, status_raw, "status", line, errors) if status_raw else None
        accepts = (
            cell(values.parse_yes_no, accepts_raw, "accepts_marketing", line, errors)
            if accepts_raw
            else None
        )
        stamps = [
            cell(values.parse_timestamp, raw, name, line, errors) if raw else None
            for name, raw in zip(_STAMPS, stamp_raws, strict=True)
        ]
        amounts = self._amounts(amount_raws, _AMOUNTS, cur, digits, line, errors)
        lines = self._lines(group, cur, digits, errors) if self.has_lines else []
        if errors or placed_at is None or currency is None:
            return None
        subtotal, discount, shipping, tax, total, refunded = amounts
        if subtotal is None:
            subtotal = sum(li.quantity * li.unit_price_minor - li.discount_minor for li in lines)
        if total is None:
            total = subtotal - (discount or 0) + (shipping or 0) + (tax or 0)
        first, last = first_name or None, last_name or None
        if first is None and last is None and full_name:
            first, last = values.split_name(full_name)
        paid_at, fulfilled_at, delivered_at, cancelled_at, refunded_at, returned_at = stamps
        stages = lifecycle.Stages(
            placed_at, paid_at, fulfilled_at, delivered_at, cancelled_at, refunded_at,
            returned_at, fin or "", ful or "", status or "", refunded or 0, total,
        )  # fmt: skip
        return OrderRecord(
            group.external_id, line, group.content_hash, placed_at, currency,
            lifecycle.derive(stages), fin, subtotal, discount or 0, shipping or 0, tax or 0, total,
            refunded or 0, email, phone, customer_ref, first, last, accepts,
            self.column["accepts_marketing"], lines,
        )  # fmt: skip

    def _lines(
        self, group: OrderGroup, currency: str, digits: int, errors: list[Reject]
    ) -> list[LineItem]:
        column = self.column
        out: list[LineItem] = []
        cache = self._minor_cache(currency)
        strip = str.strip
        for line, row in group.rows:
            sku, name, qty_raw, price_raw, discount_raw = map(strip, row[_N_ORDER:])
            if not sku and not name:
                col = column["product_name"] if self.layout.has("product_name") else column["sku"]
                errors.append(Reject(line, col, "", f"{col} is empty"))
                continue
            bad = len(errors)
            try:
                quantity = (
                    int(qty_raw) if qty_raw.isdigit() else values.parse_quantity(qty_raw or "1")
                )
            except (values.FieldError, ValueError) as exc:
                reason = exc.reason if isinstance(exc, values.FieldError) else "not a quantity"
                errors.append(Reject(line, column["quantity"], qty_raw, reason))
            price = cache.get(price_raw) if price_raw else None
            discount = cache.get(discount_raw) if discount_raw else None
            if (price is None and price_raw) or (discount is None and discount_raw):
                price, discount = self._amounts(
                    (price_raw, discount_raw), _LINE_AMOUNTS, currency, digits, line, errors
                )
            if len(errors) == bad:
                key = values.product_key(sku, name)
                out.append(
                    LineItem(key, sku or None, name or sku, quantity, price or 0, discount or 0)
                )
        return out

    def _amounts(
        self,
        raws: Sequence[str],
        names: Sequence[str],
        currency: str,
        digits: int,
        line: int,
        errors: list[Reject],
    ) -> list[int | None]:
        """Amounts in minor units (None when blank).  Parsed amounts are remembered per currency
        (:meth:`_minor_cache`), so the repeated prices and "0.00" of an export cost a dictionary
        lookup."""
        cache = self._minor_cache(currency)
        out: list[int | None] = [cache.get(raw) if raw else None for raw in raws]
        for i, raw in enumerate(raws):
            if not raw or out[i] is not None:
                continue
            try:
                value = values.parse_minor(raw, currency, digits)
            except values.FieldError as exc:
                errors.append(Reject(line, self.column[names[i]], raw, exc.reason))
                continue
            if len(cache) >= _MINOR_CACHE:
                cache.clear()
            cache[raw] = out[i] = value
        return out

    def _minor_cache(self, currency: str) -> dict[str, int]:
        """raw amount -> minor units, for one currency (bounded: cleared when full)."""
        cache = self._minor.get(currency)
        if cache is None:
            cache = self._minor[currency] = {}
        return cache

    def _external(self, raw: str) -> str:
        try:
            return normalize_external_id(self.source, raw)
        except IdentityError as exc:
            raise values.FieldError(str(exc)) from None

    def _rejected(self, group: OrderGroup, errors: list[Reject]) -> list[Reject]:
        bad = {r.line for r in errors}
        note = f"not imported: order {group.external_id} has a bad row at line {min(bad)}"
        siblings = [Reject(line, "", "", note) for line, _row in group.rows if line not in bad]
        return sorted([*errors, *siblings], key=lambda r: r.line)
