"""Two-way parallelism for the numeric kernels: NumPy releases the GIL inside its loops, so two
Python threads working on different arrays (or halves of one) use two cores.

Each call starts its own short-lived helper thread, so nested or concurrent calls cannot deadlock
on a shared pool. Set ``GOODWILL_ANALYTICS_THREADS=1`` to run everything on the calling thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")


def thread_count() -> int:
    """Threads to use: 2 when the process may run on two or more cores, else 1."""
    setting = os.environ.get("GOODWILL_ANALYTICS_THREADS", "").strip()
    if setting.isdigit() and int(setting) >= 1:
        return min(2, int(setting))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return 2 if cores >= 2 else 1


def both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """``(first(), second())``, with ``first`` on a helper thread while ``second`` runs here."""
    if thread_count() < 2:
        return first(), second()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(first)
        other = second()  # if this raises, leaving the block still waits for ``first``
        return pending.result(), other
