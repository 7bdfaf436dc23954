"""Domain types of the import context (plain data, no I/O)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from goodwill.ingest.lifecycle import Lifecycle


class ImportKind(StrEnum):
    ORDERS = "orders"
    CUSTOMERS = "customers"


class FileFormat(StrEnum):
    SHOPIFY = "shopify"
    CDNOW = "cdnow"
    CSV = "csv"


#: The kinds of record the summary reports, in display order.
KINDS = (
    "people",
    "identities",
    "accounts",
    "memberships",
    "orders",
    "order_lines",
    "products",
    "interactions",
    "consent_events",
    "notes",
)


@dataclass(frozen=True, slots=True)
class Reject:
    """One reason a row was not imported.  ``line`` is the physical line where the record starts
    (the header is line 1); for Parquet it is the row number (first row 1)."""

    line: int
    column: str
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The file being imported, as the evidence of consent events and the import run names it."""

    path: str
    name: str
    sha256: str
    size: int
    modified_at: datetime


@dataclass(slots=True)
class LineItem:
    key: str  # the product key: SKU, or ``name:<normalised name>`` when the SKU is blank
    sku: str | None
    name: str
    quantity: int
    unit_price_minor: int
    discount_minor: int


@dataclass(slots=True)
class OrderRecord:
    """One order, parsed and validated: every value normalised, money in minor units, UTC times."""

    external_id: str
    line: int
    content_hash: str
    placed_at: datetime
    currency: str
    lifecycle: Lifecycle
    financial_status: str | None
    subtotal_minor: int
    discount_minor: int
    shipping_minor: int
    tax_minor: int
    total_minor: int
    refunded_minor: int
    email: str | None
    phone: str | None
    customer_ref: str | None  # an external identity such as ``cdnow:00042``
    first_name: str | None
    last_name: str | None
    accepts_marketing: bool | None
    marketing_column: str
    lines: list[LineItem]


@dataclass(slots=True)
class OrderGroup:
    """The raw rows of one order and the hash of what they say; parsed only when needed.

    An order whose stored ``content_hash`` equals :attr:`content_hash` is unchanged and is never
    parsed again, which is what makes re-importing a file cheap.
    """

    external_id: str
    line: int
    content_hash: str
    rows: list[tuple[int, Sequence[str]]]  # (line, the fields the format uses)
    parser: Callable[[OrderGroup], OrderRecord | list[Reject]]
    problems: list[Reject] = field(default_factory=list)  # rows that could not be read
    parsed: OrderRecord | list[Reject] | None = None  # the result of the first parse()

    def parse(self) -> OrderRecord | list[Reject]:
        """The parsed order or its rejects (parsed once: the result only depends on the rows,
        so a reader thread may parse ahead and the writer reuses it)."""
        if self.parsed is None:
            self.parsed = self.parser(self)
        return self.parsed


@dataclass(slots=True)
class CustomerRecord:
    line: int
    email: str | None
    phone: str | None
    external: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    tags: list[str]
    note: str | None
    email_marketing: bool | None
    sms_marketing: bool | None
    email_marketing_column: str
    sms_marketing_column: str
    created_at: datetime | None


@dataclass(slots=True)
class Batch:
    """A slice of the file: whole orders (or customers) only, with the rows rejected on reading."""

    orders: list[OrderGroup] = field(default_factory=list)
    customers: list[CustomerRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows: int = 0
    position: int = 0  # bytes (or rows for Parquet) read so far, for progress


@dataclass(slots=True)
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, other: Tally) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected


@dataclass(slots=True)
class Summary:
    kind: str
    format: str
    file: str
    workspace: str
    rows: int = 0
    rows_rejected: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time (stable on a shared machine)
    rejects_path: str | None = None
    counts: dict[str, Tally] = field(default_factory=lambda: {k: Tally() for k in KINDS})

    def merge(self, counts: dict[str, Tally], rows: int, rows_rejected: int) -> None:
        for kind, tally in counts.items():
            self.counts[kind].add(tally)
        self.rows += rows
        self.rows_rejected += rows_rejected

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "format": self.format,
            "file": self.file,
            "workspace": self.workspace,
            "rows": self.rows,
            "rows_rejected": self.rows_rejected,
            "seconds": round(self.seconds, 3),
            "cpu_seconds": round(self.cpu_seconds, 3),
            "rows_per_second": round(self.rows_per_second),
            "rejects_file": self.rejects_path,
            "counts": {
                kind: {
                    "created": t.created,
                    "updated": t.updated,
                    "unchanged": t.unchanged,
                    "rejected": t.rejected,
                }
                for kind, t in self.counts.items()
            },
        }
