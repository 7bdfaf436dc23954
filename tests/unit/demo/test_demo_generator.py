"""The generator is pure and deterministic, and every row it makes is well formed."""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pytest
from tests.unit.demo.demo_kit import column, frames_equal, generate

from goodwill.db.tables import metadata
from goodwill.demo.models import BATCH_SIZE, REFERENCED, Batch, DemoError, DemoSpec
from goodwill.kit.identity import normalize_email, normalize_phone


def test_same_seed_same_rows_and_other_seeds_differ() -> None:
    spec = DemoSpec(BATCH_SIZE + 300, seed=7)
    first, again = generate(spec), generate(spec)
    assert frames_equal(first, again)
    other = generate(DemoSpec(BATCH_SIZE + 300, seed=8))
    assert not frames_equal(first, other)
    assert column(first, "persons", "first_name") != column(other, "persons", "first_name")


def test_a_batch_does_not_depend_on_the_batches_after_it() -> None:
    """Batch streams are independent: growing the run keeps the earlier customers."""
    small = generate(DemoSpec(BATCH_SIZE, seed=5))
    big = generate(DemoSpec(BATCH_SIZE * 2, seed=5))
    assert column(small, "persons", "last_name") == column(big[:1], "persons", "last_name")


def test_the_anchor_date_moves_the_history() -> None:
    spec = DemoSpec(200, seed=1, today=date(2025, 6, 1))
    placed = np.concatenate([b.frame("orders").columns["placed_at"] for b in generate(spec)])
    assert placed.max() < np.datetime64("2025-06-01")
    assert placed.min() >= np.datetime64("2023-06-02")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customers": 0}, "at least 1"),
        ({"customers": -5}, "at least 1"),
        ({"customers": 10**9}, "at most"),
        ({"customers": 10, "currency": "GBP"}, "USD, EUR"),
        ({"customers": 10, "seed": -1}, "--seed"),
    ],
)
def test_bad_specs_are_clear_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DemoError, match=message):
        DemoSpec(**kwargs)  # type: ignore[arg-type]


def test_frames_match_the_schema_and_references_resolve(shop: list[Batch]) -> None:
    for batch in shop:
        sizes = {f.table: len(f) for f in batch.frames}
        for frame in batch.frames:
            table = metadata.tables[frame.table]
            assert set(frame.columns) <= set(table.c.keys()), frame.table
            required = {
                c.name for c in table.c if not c.nullable and c.name not in ("id", "workspace_id")
            }
            assert required <= set(frame.columns), (frame.table, required - set(frame.columns))
            for name, target in frame.refs.items():
                assert target in REFERENCED
                refs = np.asarray(frame.columns[name])
                assert refs.min(initial=0) >= -1
                assert refs.max(initial=-1) < sizes[target], (frame.table, name)
                if not table.c[name].nullable:
                    assert (refs >= 0).all(), (frame.table, name)


def test_idempotency_keys_are_unique_across_the_run(shop: list[Batch]) -> None:
    keys = column(shop, "interactions", "idempotency_key")
    assert len(keys) == len(set(keys))
    assert all(k.startswith("demo:") and k.count(":") >= 3 for k in keys[:1000])
    task_keys = column(shop, "tasks", "idempotency_key")
    assert len(task_keys) == len(set(task_keys))


def test_identities_are_normalised_and_unique(shop: list[Batch]) -> None:
    kinds = column(shop, "identities", "kind")
    values = column(shop, "identities", "value")
    pairs = list(zip(kinds, values, strict=True))
    assert len(pairs) == len(set(pairs))
    emails = [v for k, v in pairs if k == "email"]
    phones = [v for k, v in pairs if k == "phone"]
    assert len(emails) == len(column(shop, "persons", "first_name"))
    assert all(normalize_email(e) == e for e in emails)
    assert all(
        e.split("@")[1].endswith(("example.com", "example.net", "example.org")) for e in emails
    )
    assert 0.25 < len(phones) / len(emails) < 0.5
    assert all(normalize_phone(p) == p for p in phones)


def test_people_have_a_realistic_mix_of_timezones_and_locales(shop: list[Batch]) -> None:
    zones = Counter(column(shop, "persons", "timezone"))
    assert {"America/New_York", "Europe/Lisbon", "Europe/Berlin", "Asia/Tokyo"} <= set(zones)
    assert zones.most_common(1)[0][0] == "America/New_York"
    assert len(Counter(column(shop, "persons", "locale"))) >= 8


def test_every_business_frame_is_written_per_batch(shop: list[Batch]) -> None:
    tables = {f.table for f in shop[0].frames}
    assert tables == {
        "persons", "accounts", "identities", "orders", "order_lines", "memberships",
        "person_links", "preferences", "facts", "important_dates", "consent_events", "notes",
        "tasks", "interactions",
    }  # fmt: skip
    assert sum(b.customers for b in shop) == len(column(shop, "persons", "first_name"))
