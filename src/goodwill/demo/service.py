"""Use cases of the demo: prepare a workspace, write batches, read the overview.

Services never commit: the CLI commits once for the preparation and once per batch, so a run of
a million customers keeps memory and transactions small.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from goodwill.demo.generator import batches, catalog_for, catalog_frame
from goodwill.demo.models import Batch, DemoSpec, Overview, WorkspaceNotEmpty
from goodwill.demo.overview_repository import OverviewRepository
from goodwill.demo.repository import DemoRepository
from goodwill.workspaces.service import Workspace


@dataclass(frozen=True, slots=True)
class Prepared:
    product_ids: list[int]
    replaced_rows: int


def prepare(conn: Connection, workspace: Workspace, spec: DemoSpec, *, replace: bool) -> Prepared:
    """Check (or clear, with ``replace``) the workspace, then write the catalogue."""
    repo = DemoRepository(conn, workspace)
    removed = 0
    if not repo.is_empty():
        if not replace:
            raise WorkspaceNotEmpty(
                f"workspace {workspace.name!r} already holds data; pass --replace to delete "
                "everything in it and generate the demo again, or choose another --workspace"
            )
        removed = repo.delete_all()
    product_ids = repo.insert_products(catalog_frame(catalog_for(spec), spec.currency))
    return Prepared(product_ids, removed)


def plan(spec: DemoSpec, prepared: Prepared) -> Iterator[Batch]:
    """The run's batches, generated lazily (pure: no database access)."""
    return batches(spec, prepared.product_ids)


def write_batch(
    conn: Connection, workspace: Workspace, batch: Batch
) -> tuple[dict[str, int], dict[str, int]]:
    """Write one batch; returns rows written per table and interactions per kind."""
    rows = DemoRepository(conn, workspace).write_batch(batch)
    kinds = Counter(str(k) for k in batch.frame("interactions").columns.get("kind", []))
    return rows, dict(kinds)


def finish(conn: Connection, workspace: Workspace, tables: list[str]) -> None:
    """After the last batch: refresh the planner's statistics on the tables written."""
    DemoRepository(conn, workspace).refresh_statistics(tables)


def _month_start(value: datetime, months_back: int) -> datetime:
    index = value.year * 12 + value.month - 1 - months_back
    return value.replace(
        year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0
    )


def overview(conn: Connection, workspace: Workspace) -> Overview:
    repo = OverviewRepository(conn, workspace)
    out = Overview(workspace=workspace.name, people=repo.people())
    counts = repo.order_counts()
    out.orders = sum(n for s, n in counts.items() if s != "cancelled")
    out.cancelled = counts.get("cancelled", 0)
    out.returned = counts.get("returned", 0)
    out.buyers, out.repeat_buyers = repo.buyers()
    out.accounts, out.memberships = repo.account_counts()
    out.top_accounts = repo.top_accounts()
    out.consent = repo.consent()
    out.nps_scores = repo.nps_scores()
    out.reviews, out.average_rating = repo.reviews()
    out.interactions = repo.interactions()
    out.example_email = repo.example_email()
    currency = repo.main_currency()
    out.as_of = repo.last_order_at()
    if currency is not None and out.as_of is not None:
        out.currency = currency
        out.revenue_minor = repo.revenue(currency)
        out.months = repo.months(currency, _month_start(out.as_of, 11))
        out.top_products = repo.top_products(currency)
        out.top_categories = repo.top_categories(currency)
    return out
