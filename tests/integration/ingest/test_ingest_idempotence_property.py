"""Properties: importing a file twice equals importing it once; importing two overlapping
exports equals importing their union once."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select
from tests.integration.ingest.support import run_import, snapshot

from goodwill.consent.models import ConsentEvent, current_state
from goodwill.db import tables as t
from goodwill.db.tables import metadata

pytestmark = pytest.mark.integration
COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Created at",
    "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem sku", "Notes", "Phone",
]  # fmt: skip
T0 = datetime(2026, 9, 1, 12, tzinfo=UTC)
EMAILS = ["ana@example.com", "ANA@example.com", "ben@example.com", "carla@example.com", ""]
PHONES = ["", "+1 512 555 0101", "+44 7700 900123"]

line_st = st.tuples(
    st.integers(0, 4),  # quantity
    st.sampled_from(["SKU-A", "SKU-B", "", "SKU-C"]),
    st.integers(0, 5000),  # unit price in cents
)
order_st = st.fixed_dictionaries(
    {
        "email": st.sampled_from(EMAILS),
        "phone": st.sampled_from(PHONES),
        "financial": st.sampled_from(
            ["paid", "pending", "refunded", "voided", "partially_refunded"]
        ),
        "fulfilled": st.booleans(),
        "accepts": st.sampled_from(["yes", "no", ""]),
        "currency": st.sampled_from(["USD", "EUR"]),
        "notes": st.sampled_from(["", 'a "quoted", note\nover two lines']),
        "lines": st.lists(line_st, min_size=1, max_size=3),
    }
)


def _write(path: Path, orders: list[tuple[int, dict[str, Any]]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for n, o in orders:
            created = T0 + timedelta(hours=n)
            stamp = created.strftime("%Y-%m-%d %H:%M:%S +0000")
            total = sum(q * p for q, _s, p in o["lines"])
            money = f"{total // 100}.{total % 100:02d}"
            for i, (qty, sku, price) in enumerate(o["lines"]):
                item = [f"Item {sku or 'loose'}", f"{price // 100}.{price % 100:02d}", sku]
                if i == 0:
                    first = [
                        f"#{n}", o["email"], o["financial"], stamp if o["financial"] != "pending" else "",
                        "fulfilled" if o["fulfilled"] else "unfulfilled",
                        stamp if o["fulfilled"] else "", o["accepts"], o["currency"], money, "0.00",
                        "0.00", money, stamp, str(qty), *item, o["notes"], o["phone"],
                    ]  # fmt: skip
                    w.writerow(first)
                else:
                    w.writerow([f"#{n}", *[""] * 12, str(qty), *item, "", ""])
    return path


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))


def _consent_state(engine: Engine) -> dict[tuple[tuple[str, str], ...], Any]:
    with engine.connect() as conn:
        who: dict[int, set[tuple[str, str]]] = {}
        for pid, kind, value in conn.execute(
            select(t.identities.c.person_id, t.identities.c.kind, t.identities.c.value)
        ):
            who.setdefault(pid, set()).add((kind, value))
        events: dict[int, list[ConsentEvent]] = {}
        for e in conn.execute(select(t.consent_events)):
            events.setdefault(e.person_id, []).append(
                ConsentEvent(e.purpose, e.channel, e.action, e.occurred_at, e.source, id=e.id)
            )
    return {
        tuple(sorted(who[pid])): {k: (s.granted, s.since) for k, s in current_state(evs).items()}
        for pid, evs in events.items()
    }


def _record(engine: Engine) -> dict[str, Any]:
    snap = snapshot(engine)
    del snap["consent"], snap["counts"]
    snap["consent_state"] = _consent_state(engine)
    return snap


SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(orders=st.lists(order_st, min_size=1, max_size=8))
def test_importing_a_file_twice_equals_importing_it_once(
    engine: Engine, tmp_path: Path, orders: list[dict[str, Any]]
) -> None:
    _reset(engine)
    path = _write(tmp_path / "export.csv", list(enumerate(orders, start=1001)))
    run_import(engine, "orders", "shopify", path, batch_rows=3)
    once = snapshot(engine)
    summary, _ = run_import(engine, "orders", "shopify", path, batch_rows=3)
    assert snapshot(engine) == once
    assert summary.counts["orders"].created == summary.counts["orders"].updated == 0


@SETTINGS
@given(
    orders=st.lists(order_st, min_size=2, max_size=8),
    cut=st.floats(0, 1),
    overlap=st.integers(0, 3),
)
def test_overlapping_exports_give_the_record_of_their_union(
    engine: Engine, tmp_path: Path, orders: list[dict[str, Any]], cut: float, overlap: int
) -> None:
    numbered = list(enumerate(orders, start=1001))
    split = int(cut * len(numbered))
    first = _write(tmp_path / "a.csv", numbered[: min(len(numbered), split + overlap)])
    second = _write(tmp_path / "b.csv", numbered[split:])
    union = _write(tmp_path / "all.csv", numbered)
    _reset(engine)
    run_import(engine, "orders", "shopify", union)
    expected = _record(engine)
    _reset(engine)
    run_import(engine, "orders", "shopify", first, batch_rows=2)
    run_import(engine, "orders", "shopify", second, batch_rows=2)
    assert _record(engine) == expected
