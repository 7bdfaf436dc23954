"""The demo written to a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, Table, func, select

from goodwill.cli.demo import run_generation
from goodwill.db.tables import metadata
from goodwill.demo import service
from goodwill.demo.models import DemoSpec, WorkspaceNotEmpty
from goodwill.workspaces.service import get_existing, get_or_create

pytestmark = pytest.mark.integration

SPEC = DemoSpec(200, seed=7)
#: Columns that point at rows of these tables are compared by rank, not by raw id.
_ID_TABLES = ("persons", "accounts", "orders", "products")


def _business_tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if "workspace_id" in t.c]


def _dump(engine: Engine, workspace: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the workspace, with ids replaced by their rank, so two runs compare."""
    with engine.connect() as conn:
        ws = get_existing(conn, workspace)
        rank: dict[str, dict[int, int]] = {}
        for name in _ID_TABLES:
            t = metadata.tables[name]
            ids = conn.execute(select(t.c.id).where(t.c.workspace_id == ws.id).order_by(t.c.id))
            rank[name] = {int(r[0]): i for i, r in enumerate(ids)}
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table in _business_tables():
            rows = conn.execute(select(table).where(table.c.workspace_id == ws.id)).mappings()
            canonical = []
            for row in rows:
                values = []
                for col in table.c:
                    value = row[col.name]
                    if col.name in ("id", "workspace_id"):
                        continue
                    targets = [fk.column.table.name for fk in col.foreign_keys]
                    if value is not None and targets and targets[0] in rank:
                        value = rank[targets[0]][value]
                    if isinstance(value, dict) and "product_id" in value:  # review payloads
                        value = {**value, "product_id": rank["products"][value["product_id"]]}
                    values.append(repr(value))
                canonical.append(tuple(values))
            out[table.name] = sorted(canonical)
    return out


def test_generation_writes_every_kind_and_counts_match(engine: Engine) -> None:
    summary = run_generation(engine, "default", SPEC)
    dump = _dump(engine, "default")
    for name, n in summary.rows.items():
        assert len(dump[name]) == n, name
    assert summary.rows["persons"] == 200
    for name in ("orders", "order_lines", "interactions", "consent_events", "identities"):
        assert summary.rows[name] > 200, name
    assert sum(summary.interactions.values()) == summary.rows["interactions"]
    # This database holds one workspace: every business row must carry it.
    with engine.connect() as conn:
        ws = get_existing(conn, "default")
        for table in _business_tables():
            total = conn.execute(select(func.count()).select_from(table)).scalar_one()
            other = conn.execute(
                select(func.count()).where(table.c.workspace_id != ws.id)
            ).scalar_one()
            assert other == 0 and total == len(dump[table.name]), table.name


def test_same_seed_gives_the_same_database_content(engine: Engine) -> None:
    run_generation(engine, "one", SPEC)
    run_generation(engine, "two", SPEC)
    assert _dump(engine, "one") == _dump(engine, "two")
    run_generation(engine, "three", DemoSpec(200, seed=8))
    assert _dump(engine, "three")["persons"] != _dump(engine, "one")["persons"]


def test_non_empty_workspace_is_refused_unless_replaced(engine: Engine) -> None:
    first = run_generation(engine, "default", SPEC)
    with pytest.raises(WorkspaceNotEmpty, match="--replace"):
        run_generation(engine, "default", SPEC)
    other = run_generation(engine, "other", DemoSpec(50, seed=1))
    again = run_generation(engine, "default", SPEC, replace=True)
    assert again.replaced == sum(first.rows.values())
    counts = {t: len(rows) for t, rows in _dump(engine, "default").items()}
    assert counts["persons"] == 200 and counts["orders"] == first.rows["orders"]
    # The other workspace was not touched.
    assert len(_dump(engine, "other")["persons"]) == other.rows["persons"] == 50


def test_overview_reads_the_workspace(engine: Engine) -> None:
    summary = run_generation(engine, "default", SPEC)
    run_generation(engine, "noise", DemoSpec(100, seed=99))
    with engine.connect() as conn:
        ov = service.overview(conn, get_existing(conn, "default"))
    assert ov.people == 200
    assert ov.orders + ov.cancelled == summary.rows["orders"]
    assert 0 < ov.buyers <= 200 and 0 < ov.repeat_buyers < ov.buyers
    assert ov.currency == "USD" and ov.revenue_minor > 0
    assert 1 <= len(ov.months) <= 12
    assert ov.months == sorted(ov.months, key=lambda m: m.month)
    assert sum(m.orders for m in ov.months) <= ov.orders
    assert ov.top_products and ov.top_categories
    assert ov.accounts == summary.rows["accounts"]
    assert ov.nps_answers == summary.interactions.get("nps.answered", 0)
    assert ov.reviews == summary.interactions.get("review.submitted", 0)
    assert ov.interactions == summary.rows["interactions"]
    assert ov.example_email and "@" in ov.example_email
    marketing = {(c.purpose, c.channel): c for c in ov.consent}
    assert marketing[("marketing", "email")].granted > 0
    assert marketing[("transactional", "email")].granted >= ov.buyers


def test_empty_workspace_overview(engine: Engine) -> None:
    with engine.begin() as conn:
        ws = get_or_create(conn, "empty")
        ov = service.overview(conn, ws)
    assert ov.people == 0 and ov.orders == 0 and ov.months == [] and ov.nps is None
