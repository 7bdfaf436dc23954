"""The CDNOW transaction log (Fader & Hardie), one purchase per line, whitespace separated.

Two layouts: ``CDNOW_master.txt`` (header line; customer_id date number_of_cds dollar_value) and
``CDNOW_sample.txt`` (no header; customer_id sample_id date cds dollars, the customer id being the
master id).  Each customer is a person with the identity ``cdnow:<customer_id>``; each line is an
order in USD, paid when placed, with one line "CDs" (quantity = number of CDs, unit price = the
average price per CD rounded to the cent; the order total is exact).  A customer's purchases on the
same day are separate orders: the external id is ``<customer_id>-<YYYYMMDD>-<n>``, ``n`` counting
that customer's lines of that day in file order, so re-importing the same file is idempotent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from goodwill.ingest import lifecycle, values
from goodwill.ingest.errors import ImportFileError
from goodwill.ingest.formats.line_items import HASH_VERSION
from goodwill.ingest.models import LineItem, OrderGroup, OrderRecord, Reject

SOURCE = "cdnow"
SKU = "cdnow-cd"
COLUMNS_4 = ("customer_id", "date", "number_of_cds", "dollar_value")
COLUMNS_5 = ("customer_id", "sample_id", "date", "number_of_cds", "dollar_value")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def check_layout(path: Path) -> None:
    """Refuse a file whose first data line is not a CDNOW purchase (one clear error)."""
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            fields = raw.decode("utf-8-sig", "replace").split()
            if not fields or (n == 1 and not fields[0][:1].isdigit()):
                continue
            if len(fields) in (4, 5) and all(_NUMBER.fullmatch(f) for f in fields):
                return
            shown = " ".join(fields)[:60]
            raise ImportFileError(
                f"{path.name} is not a CDNOW transaction log: line {n} ({shown!r}) should be 4 or "
                "5 whitespace-separated numbers (customer_id [sample_id] date cds value)"
            )
    raise ImportFileError(f"{path.name} is empty (no CDNOW purchases)")


class CdnowOrders:
    key_column = "customer_id"

    def __init__(self) -> None:
        self.columns: tuple[str, ...] | None = None
        self._seen: dict[tuple[str, str], int] = {}

    def groups(self, records: Iterable[tuple[int, list[str]]]) -> Iterator[OrderGroup | Reject]:
        for line, fields in records:
            if self.columns is None and len(fields) in (4, 5):
                self.columns = COLUMNS_4 if len(fields) == 4 else COLUMNS_5
            if self.columns is None or len(fields) != len(self.columns):
                expected = len(self.columns) if self.columns else "4 or 5"
                yield Reject(
                    line,
                    "",
                    " ".join(fields)[:200],
                    f"the line has {len(fields)} columns, expected {expected}",
                )
                continue
            customer, day = fields[0], fields[-3]
            n = self._seen.get((customer, day), 0) + 1
            self._seen[(customer, day)] = n
            key = f"{customer}-{day}-{n}"
            text = f"{HASH_VERSION}\x1fcdnow\x1f{customer}\x1f{day}\x1f{fields[-2]}\x1f{fields[-1]}"
            digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
            yield OrderGroup(key, line, digest, [(line, fields)], self.parse)

    def parse(self, group: OrderGroup) -> OrderRecord | list[Reject]:
        line, fields = group.rows[0]
        customer, day, cds_raw, value_raw = fields[0], fields[-3], fields[-2], fields[-1]
        errors: list[Reject] = []
        try:
            placed_at = values.parse_compact_date(day)
        except values.FieldError as exc:
            errors.append(Reject(line, "date", day, exc.reason))
        try:
            cds = values.parse_quantity(cds_raw)
        except values.FieldError as exc:
            errors.append(Reject(line, "number_of_cds", cds_raw, exc.reason))
        try:
            total = values.parse_minor(value_raw, "USD", 2)
        except values.FieldError as exc:
            errors.append(Reject(line, "dollar_value", value_raw, exc.reason))
        if errors:
            return errors
        unit = (2 * total + cds) // (2 * cds) if cds else total
        stages = lifecycle.Stages(placed_at=placed_at, paid_at=placed_at, status="paid")
        return OrderRecord(
            external_id=group.external_id,
            line=line,
            content_hash=group.content_hash,
            placed_at=placed_at,
            currency="USD",
            lifecycle=lifecycle.derive(stages),
            financial_status=None,
            subtotal_minor=total,
            discount_minor=0,
            shipping_minor=0,
            tax_minor=0,
            total_minor=total,
            refunded_minor=0,
            email=None,
            phone=None,
            customer_ref=f"{SOURCE}:{customer}",
            first_name=None,
            last_name=None,
            accepts_marketing=None,
            marketing_column="",
            lines=[LineItem(SKU, SKU, "CDs", cds, unit, 0)],
        )
