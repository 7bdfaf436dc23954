"""The real CDNOW sample (Fader & Hardie; tests/data/cdnow/README.md): counts and idempotence."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from tests.integration.ingest.support import DATA, Run

from goodwill.db import tables as t

pytestmark = pytest.mark.integration
SAMPLE = DATA / "cdnow" / "CDNOW_sample.txt"


def _file_total() -> int:
    total = sum(
        Decimal(line.split()[4]) for line in SAMPLE.read_text().splitlines() if line.strip()
    )
    return int(total * 100)


def test_the_cdnow_sample_gives_2357_customers_and_6919_orders(engine: Engine, run: Run) -> None:
    summary, rejects = run("orders", "cdnow", SAMPLE)
    assert rejects == [] and summary.rows == 6919
    assert summary.counts["people"].created == 2357
    assert summary.counts["orders"].created == 6919
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.persons)).scalar_one() == 2357
        assert conn.execute(select(func.count()).select_from(t.orders)).scalar_one() == 6919
        assert conn.execute(select(func.sum(t.orders.c.total_minor))).scalar_one() == _file_total()
        identities = conn.execute(select(t.identities.c.value).limit(3)).scalars().all()
        assert all(v.startswith("cdnow:") for v in identities)
        assert (
            conn.execute(select(func.count()).select_from(t.interactions)).scalar_one() == 2 * 6919
        )
        # a customer's purchases on one day are separate orders with an occurrence suffix
        same_day = conn.execute(
            select(func.count()).where(t.orders.c.external_id.like("%-2"))
        ).scalar_one()
        assert same_day == 177
    again, _ = run("orders", "cdnow", SAMPLE)
    assert again.counts["orders"].unchanged == 6919 and again.counts["orders"].created == 0
    assert again.counts["people"].created == 0 and again.counts["interactions"].created == 0
