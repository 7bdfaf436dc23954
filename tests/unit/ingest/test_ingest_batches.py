"""Batches hold whole orders; duplicates inside a batch; reading ahead; counting ids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from goodwill.ingest.batches import order_batches, prefetch
from goodwill.ingest.models import OrderGroup, Reject
from goodwill.ingest.tally import IdSet


def _group(key: str, lines: list[int], digest: str = "h") -> OrderGroup:
    return OrderGroup(key, lines[0], digest, [(n, [key]) for n in lines], lambda g: [])


def test_an_order_straddling_the_batch_size_goes_whole_into_one_batch() -> None:
    items = [_group("#1", [2, 3]), _group("#2", [4, 5, 6]), _group("#3", [7])]
    batches = list(order_batches(iter(items), lambda: 0, rows=4))
    assert [[g.external_id for g in b.orders] for b in batches] == [["#1", "#2"], ["#3"]]
    assert [b.rows for b in batches] == [5, 1]


def test_rejects_count_once_per_row() -> None:
    items: list[OrderGroup | Reject] = [
        Reject(2, "a", "", "x"), Reject(2, "b", "", "y"), _group("#1", [3]),
    ]  # fmt: skip
    (batch,) = order_batches(iter(items), lambda: 0, rows=100)
    assert batch.rows == 2 and len(batch.rejects) == 2


def test_a_repeated_order_is_dropped_if_identical_and_rejected_if_different() -> None:
    items = [
        _group("#1", [2], "a"),
        _group("#2", [3]),
        _group("#1", [4], "a"),
        _group("#1", [5], "b"),
    ]
    (batch,) = order_batches(iter(items), lambda: 0, rows=100, key_column="Name")
    assert [g.external_id for g in batch.orders] == ["#1", "#2"]
    assert [(r.line, r.column, r.value) for r in batch.rejects] == [(5, "Name", "#1")]
    assert "appears again with different rows (first at line 2)" in batch.rejects[0].reason


def test_prefetch_yields_everything_in_order_and_raises_the_producers_error() -> None:
    assert list(prefetch(iter(range(100)), depth=2)) == list(range(100))

    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("broken file")

    got = []
    with pytest.raises(ValueError, match="broken file"):
        for item in prefetch(failing()):
            got.append(item)
    assert got == [1]


def test_prefetch_stops_its_thread_when_the_consumer_stops() -> None:
    def endless() -> Iterator[int]:
        n = 0
        while True:
            yield n
            n += 1

    stream = prefetch(endless())
    assert next(stream) == 0
    stream.close()  # must return promptly, not hang


def test_idset_counts_distinct_ids() -> None:
    ids = IdSet()
    for i in (1, 5, 5, 70_000, 3):
        ids.add(i)
    assert len(ids) == 4 and 5 in ids and 6 not in ids and 10**9 not in ids
