"""Two-way parallelism for the numeric kernels: NumPy releases the GIL inside its loops, so two
Python threads working on different arrays (or halves of one) use two cores.

The helper is one thread per process, started on first use (starting a thread per call cost
~0.5 ms, and fits call this once per likelihood evaluation). A call made on the helper thread
itself runs inline, so nested calls cannot deadlock; a forked child starts its own. Set ``GOODWILL_ANALYTICS_THREADS=1`` to run everything on the calling thread,
``=2`` to always use the helper thread (by default it is skipped while the machine is busy).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")


def thread_count() -> int:
    """Threads to use: 2 when the process may run on two or more cores and the machine has a
    core to spare (1-minute load average below the core count), else 1.

    On a busy machine a helper thread mostly waits for a core, and the two halves of the work
    then finish one after the other plus the hand-over: measured on 2 shared cores at load ~6,
    scoring a million customers took 0.07 s on one thread and 0.07-0.12 s on two. Results do
    not depend on this choice (the work is split the same way either way).
    """
    setting = os.environ.get("GOODWILL_ANALYTICS_THREADS", "").strip()
    if setting.isdigit() and int(setting) >= 1:
        return min(2, int(setting))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    if cores < 2:
        return 1
    try:
        busy = os.getloadavg()[0] >= cores
    except OSError:  # pragma: no cover - load average unavailable
        busy = False
    return 1 if busy else 2


_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None  # (pid that started it, the pool)
_on_helper = threading.local()


def _mark_helper() -> None:
    _on_helper.flag = True


def _helper() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None or _pool[0] != os.getpid():  # none yet, or inherited through fork
            pool = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="goodwill-analytics", initializer=_mark_helper
            )
            _pool = (os.getpid(), pool)
        return _pool[1]


def both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """``(first(), second())``, with ``first`` on the helper thread while ``second`` runs here."""
    if thread_count() < 2 or getattr(_on_helper, "flag", False):
        return first(), second()
    pending = _helper().submit(first)
    try:
        other = second()
    except BaseException:
        wait([pending])  # never leave ``first`` running behind the caller's back
        raise
    return pending.result(), other
