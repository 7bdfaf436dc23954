"""Cutting the stream of orders (or customers) into batches of whole records.

A batch closes once it holds ``rows`` rows and only between two orders, so an order whose rows
straddle the boundary goes whole into the next batch.  Within a batch an order id seen twice with
the same rows is a harmless duplicate (dropped); with different rows the later occurrence is
rejected (rows of one order must be consecutive).  Memory is one batch (plus one read ahead when
:func:`prefetch` runs the reading and grouping in a background thread).
"""

from __future__ import annotations

import gc
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import TypeVar

from goodwill.ingest.models import Batch, CustomerRecord, OrderGroup, Reject

T = TypeVar("T")
DEFAULT_ROWS = 20_000


def order_batches(
    items: Iterator[OrderGroup | Reject],
    position: Callable[[], int],
    *,
    rows: int = DEFAULT_ROWS,
    key_column: str = "order_id",
) -> Iterator[Batch]:
    batch = Batch()
    seen: dict[str, OrderGroup] = {}
    last_reject = -1
    for item in items:
        if isinstance(item, Reject):
            batch.rejects.append(item)
            if item.line != last_reject:
                batch.rows += 1
                last_reject = item.line
        else:
            batch.rows += len(item.rows)
            prior = seen.get(item.external_id)
            if prior is None:
                seen[item.external_id] = item
                batch.orders.append(item)
            elif prior.content_hash != item.content_hash:
                reason = (
                    f"order {item.external_id} appears again with different rows (first at line "
                    f"{prior.line}); rows of one order must be consecutive"
                )
                batch.rejects.extend(
                    Reject(line, key_column, item.external_id, reason) for line, _row in item.rows
                )
        if batch.rows >= rows:
            batch.position = position()
            yield batch
            batch, seen = Batch(), {}
    batch.position = position()
    if batch.rows or batch.rejects:
        yield batch


def customer_batches(
    items: Iterator[CustomerRecord | Reject],
    position: Callable[[], int],
    *,
    rows: int = DEFAULT_ROWS,
) -> Iterator[Batch]:
    batch = Batch()
    last_reject = -1
    for item in items:
        if isinstance(item, Reject):
            batch.rejects.append(item)
            if item.line != last_reject:
                batch.rows += 1
                last_reject = item.line
        else:
            batch.customers.append(item)
            batch.rows += 1
        if batch.rows >= rows:
            batch.position = position()
            yield batch
            batch = Batch()
    batch.position = position()
    if batch.rows or batch.rejects:
        yield batch


def validate(batches: Iterator[Batch]) -> Iterator[tuple[Batch, list[Reject]]]:
    """Every reject of every batch, parsing every order (the first pass of ``--strict``)."""
    for batch in batches:
        rejects = list(batch.rejects)
        for group in batch.orders:
            parsed = group.parse()
            if isinstance(parsed, list):
                rejects.extend(parsed)
        yield batch, rejects


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around a bulk load.

    A batch is millions of short-lived, acyclic objects (freed by reference counting); the cyclic
    collector would otherwise walk the live batch again and again (a third of the run time).  The
    objects alive before the import are frozen out of its view, so the :func:`gc.collect` that
    callers run between batches only looks at what the import made.
    """
    if not gc.isenabled():
        yield
        return
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


_DONE = object()


def prefetch(source: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """Produce ``source`` in a background thread, at most ``depth`` items ahead.

    Reading, grouping and hashing a batch then overlaps with the database work on the previous
    one.  An exception in the producer is raised here, in the consumer.
    """
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    worker = threading.Thread(target=produce, name="goodwill-import-reader", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)
