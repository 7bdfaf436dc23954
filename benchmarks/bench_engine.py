"""Micro benchmark: journey engine step evaluations per second on one core.

    .venv/bin/python benchmarks/bench_engine.py [--enrolments 200000] [--repeat 3]

Pushes N enrolments through a three-step journey (send a message, wait two days until 10:00 in
the person's timezone, send a follow-up) in the way the worker will: one ``advance`` when the
enrolment starts, one when its wait is due.  Only the engine is timed (no database, no
serialisation); ``enrol`` is timed separately.  A step evaluation is what ``Advance.steps_run``
counts: arming or ending a wait, a branch, an action.

The peer, measured in the same run, is a hand-written loop doing the same bookkeeping with
plain dicts and no engine (no history, no explanations, no intents objects): the ratio says
what the engine's generality and its audit trail cost on this machine.
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from goodwill.journeys import (
    EnrolmentState,
    Event,
    PersonContext,
    advance,
    enrol,
    load_journey,
)

JOURNEY = """
key: bench-three-steps
name: Three steps
version: 1
priority: relationship
trigger: {event: order.placed}
re_entry: every_time
exits: [order.cancelled]
steps:
  - {id: welcome, type: send_message, channel: email, template: thank_you_first_order, purpose: transactional}
  - {id: pause, type: wait, duration: 2d, at: "10:00"}
  - {id: follow-up, type: send_message, channel: email, template: review_request, purpose: reviews}
"""
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ZONES = ("Europe/Lisbon", "America/New_York", "Asia/Kolkata", "UTC")


def run_engine(n: int) -> tuple[float, float, float, int, int]:
    journey = load_journey(JOURNEY)
    people = [PersonContext(person_id=str(i), timezone=ZONES[i % 4]) for i in range(n)]
    triggers = [Event("order.placed", T0, {"order": f"#{i}"}, i) for i in range(n)]
    gc.collect()
    started = time.perf_counter()
    states: list[EnrolmentState] = []
    for i in range(n):
        result = enrol(journey, people[i], triggers[i], T0, (), enrolment_id=str(i))
        assert isinstance(result, EnrolmentState)
        states.append(result)
    enrol_seconds = time.perf_counter() - started

    steps = intents = 0
    later = T0 + timedelta(days=4)
    gc.collect()
    started = time.perf_counter()
    cpu_started = time.process_time()
    for i in range(n):
        first = advance(journey, states[i], T0, (), people[i])
        second = advance(journey, first.state, later, (), people[i])
        steps += first.steps_run + second.steps_run
        intents += len(first.intents) + len(second.intents)
    engine_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    return enrol_seconds, engine_seconds, cpu_seconds, steps, intents


def run_peer(n: int) -> float:
    """The same three steps, hand-coded: the floor any engine is measured against."""
    due = T0 + timedelta(days=2)
    later = T0 + timedelta(days=4)
    states: list[dict[str, Any]] = [
        {"id": str(i), "step": "welcome", "visits": {"welcome": 1}, "until": None} for i in range(n)
    ]
    gc.collect()
    started = time.perf_counter()
    out = []
    for state in states:
        s = {**state, "visits": dict(state["visits"])}
        out.append((f"{s['id']}:welcome:1", "thank_you_first_order", T0))
        s["step"], s["until"] = "pause", due
        s["visits"]["pause"] = 1
        s = {**s, "visits": dict(s["visits"])}
        if s["until"] <= later:
            s["step"] = "follow-up"
            s["visits"]["follow-up"] = 1
            out.append((f"{s['id']}:follow-up:1", "review_request", due))
            s["step"] = None
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enrolments", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.enrolments
    best: tuple[float, float, float, int, int] | None = None
    peer = float("inf")
    for _ in range(args.repeat):
        measured = run_engine(n)
        if best is None or measured[1] < best[1]:
            best = measured
        peer = min(peer, run_peer(n))
    assert best is not None
    enrol_s, engine_s, cpu_s, steps, intents = best
    print(
        f"python {platform.python_version()} on {platform.machine()} ({sys.platform}); best of {args.repeat}"
    )
    print(f"enrolments: {n:,}  step evaluations: {steps:,}  intents: {intents:,}")
    print(f"enrol:   {enrol_s:.2f} s  ({n / enrol_s:,.0f} enrolments/s)")
    print(f"advance: {engine_s:.2f} s  ({n / engine_s:,.0f} enrolments/s)")
    print(f"ENGINE STEP EVALUATIONS/S: {steps / engine_s:,.0f} (wall)  {steps / cpu_s:,.0f} (CPU)")
    print(
        f"peer (hand-coded loop, no audit trail): {peer:.2f} s; engine/peer = {engine_s / peer:.1f}x"
    )


if __name__ == "__main__":
    main()
