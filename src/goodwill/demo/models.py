"""Plain types of the demo: the run's spec, columnar batches of rows, and what comes back out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

from goodwill.errors import InvalidInput

#: The demo's "today": data ends just before it, so every run of a seed is identical.
DEFAULT_TODAY = date(2026, 11, 1)
#: The shop's history before "today" (in days): acquisitions spread over two years.
HISTORY_DAYS = 730
#: Customers per batch.  Part of the output format: each batch has its own seeded stream.
BATCH_SIZE = 2000
MAX_CUSTOMERS = 10_000_000
CURRENCIES = ("USD", "EUR")
#: ``source`` of every row the demo writes, and the first part of its idempotency keys.
SOURCE = "demo"


class DemoError(InvalidInput):
    code = "demo.invalid"


class WorkspaceNotEmpty(DemoError):
    code = "demo.workspace_not_empty"
    http_status = 409


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """What to generate.  The same spec always yields the same rows."""

    customers: int
    seed: int = 42
    currency: str = "USD"
    today: date = DEFAULT_TODAY

    def __post_init__(self) -> None:
        if isinstance(self.customers, bool) or not isinstance(self.customers, int):
            raise DemoError("--customers must be a whole number")
        if self.customers < 1:
            raise DemoError(f"--customers must be at least 1 (got {self.customers})")
        if self.customers > MAX_CUSTOMERS:
            raise DemoError(
                f"--customers must be at most {MAX_CUSTOMERS:,} (got {self.customers:,})"
            )
        if self.seed < 0 or self.seed >= 2**63:
            raise DemoError(f"--seed must be between 0 and 2**63-1 (got {self.seed})")
        if self.currency not in CURRENCIES:
            raise DemoError(
                f"--currency must be one of {', '.join(CURRENCIES)} (got {self.currency!r})"
            )

    @property
    def today_at(self) -> datetime:
        return datetime(self.today.year, self.today.month, self.today.day, tzinfo=UTC)

    @property
    def start64(self) -> np.datetime64:
        """The first instant of the history, as ``datetime64[s]``."""
        return np.datetime64(self.today, "s") - np.timedelta64(HISTORY_DAYS, "D")

    @property
    def batch_count(self) -> int:
        return -(-self.customers // BATCH_SIZE)


@dataclass(slots=True)
class Frame:
    """Rows for one table, column by column (lists or NumPy arrays of equal length).

    Columns named in ``refs`` hold batch-local row numbers of another frame of the same batch
    (``-1`` for none); the repository swaps them for database ids.  Frames named in
    :data:`REFERENCED` get ids allocated before they are written.  Times are ``datetime64[s]``
    arrays in UTC (``NaT`` for none).
    """

    table: str
    columns: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        for column in self.columns.values():
            return len(column)
        return 0


#: Frames whose rows other frames point at.
REFERENCED = ("persons", "accounts", "orders")


@dataclass(slots=True)
class Batch:
    index: int
    customers: int
    frames: list[Frame]

    def frame(self, table: str) -> Frame:
        for f in self.frames:
            if f.table == table:
                return f
        raise KeyError(table)


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    sku: str
    name: str
    category: str
    price_minor: int
    days_to_opinion: int
    popularity: float
    quality: float


@dataclass(slots=True)
class GenerateSummary:
    workspace: str
    customers: int
    seed: int
    currency: str
    today: date
    rows: dict[str, int] = field(default_factory=dict)
    interactions: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    seconds: float = 0.0

    def add(self, rows: dict[str, int], interactions: dict[str, int]) -> None:
        for k, v in rows.items():
            self.rows[k] = self.rows.get(k, 0) + v
        for k, v in interactions.items():
            self.interactions[k] = self.interactions.get(k, 0) + v


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: str  # YYYY-MM
    orders: int
    revenue_minor: int
    customers: int


@dataclass(frozen=True, slots=True)
class RankRow:
    name: str
    units: int
    revenue_minor: int


@dataclass(frozen=True, slots=True)
class AccountRow:
    name: str
    owner: str | None
    contacts: int
    orders: int
    revenue_minor: int


@dataclass(frozen=True, slots=True)
class ConsentRow:
    purpose: str
    channel: str
    granted: int
    withdrawn: int


@dataclass(slots=True)
class Overview:
    """What a workspace holds, at a glance (money in ``currency`` minor units)."""

    workspace: str
    people: int = 0
    buyers: int = 0
    repeat_buyers: int = 0
    orders: int = 0
    cancelled: int = 0
    returned: int = 0
    currency: str = ""
    revenue_minor: int = 0
    as_of: datetime | None = None
    months: list[MonthRow] = field(default_factory=list)
    top_products: list[RankRow] = field(default_factory=list)
    top_categories: list[RankRow] = field(default_factory=list)
    accounts: int = 0
    memberships: int = 0
    top_accounts: list[AccountRow] = field(default_factory=list)
    consent: list[ConsentRow] = field(default_factory=list)
    nps_scores: dict[int, int] = field(default_factory=dict)
    reviews: int = 0
    average_rating: float | None = None
    interactions: int = 0
    example_email: str | None = None

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_buyers / self.buyers if self.buyers else None

    @property
    def nps_answers(self) -> int:
        return sum(self.nps_scores.values())

    @property
    def nps(self) -> float | None:
        """Count-based NPS: % promoters (9-10) minus % detractors (0-6), -100..100."""
        total = self.nps_answers
        if not total:
            return None
        promoters = sum(n for s, n in self.nps_scores.items() if s >= 9)
        detractors = sum(n for s, n in self.nps_scores.items() if s <= 6)
        return 100.0 * (promoters - detractors) / total
