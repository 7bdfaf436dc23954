"""Compiled steps: what each step type does to an enrolment, with everything pre-resolved.

A node is built once per definition version (:mod:`goodwill.journeys.compiled`) with its
successors resolved to step ids, its conditions and field lookups compiled, its enums converted;
the engine then calls it millions of times without touching pydantic.

Two kinds of node:

* a :class:`WaitNode` is *armed* when the enrolment enters it (its deadline is computed from the
  logical clock and the person's timezone) and is left when the deadline passes or, for an event
  wait, when a matching event arrives;
* an immediate node (condition, split, and the actions of :mod:`goodwill.journeys.actions`) runs
  at the logical clock, appends at most one intent, records why in the history, and returns the
  id of the next step (or ``end``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import time, timedelta
from typing import Any

from goodwill.journeys.conditions import Condition
from goodwill.journeys.fields import MISSING, Scope, as_number
from goodwill.journeys.intents import Intent
from goodwill.journeys.models import EnrolmentState, Happened, PersonContext, StepRecord
from goodwill.journeys.timing import (
    LONGEST_WAIT,
    format_duration,
    format_local,
    next_local_time,
    person_zone,
)

# enum members hoisted: attribute access on an Enum class goes through a descriptor (hot path)
_WAITING, _BRANCHED, _SPLIT = Happened.WAITING, Happened.BRANCHED, Happened.SPLIT
#: A field-driven wait longer than this is a data error, not a plan (and would overflow dates).
_LONGEST = LONGEST_WAIT
_UNIT = {"weeks": timedelta(weeks=1), "days": timedelta(days=1), "hours": timedelta(hours=1)}
_UNIT["minutes"] = timedelta(minutes=1)
Values = Callable[[Scope], dict[str, Any]]
Text = Callable[[Scope], str]


def unit_interval(text: str) -> float:
    """A stable pseudo-random number in [0, 1) from ``text`` (BLAKE2b, first 8 bytes)."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def scope_of(s: EnrolmentState, ctx: PersonContext) -> Scope:
    return Scope(ctx, trigger=s.trigger.payload, seen=s.seen, visits=s.visits)


def record(s: EnrolmentState, what: Happened, note: str, until: Any = None) -> None:
    step = s.step_id
    s.history.append(
        StepRecord(s.clock, step, s.visits.get(step, 0) if step else 0, what, note, until)
    )


class Node:
    __slots__ = ("id",)

    def __init__(self, step_id: str):
        self.id = step_id

    def run(self, s: EnrolmentState, ctx: PersonContext, out: list[Intent]) -> str:
        raise NotImplementedError


class DurationFromField:
    """``duration: {field: trigger.days_to_opinion, unit: days, default: 14d, max: 60d}``."""

    __slots__ = ("default", "get", "high", "low", "path", "unit")

    def __init__(
        self,
        path: str,
        get: Callable[[Scope], Any],
        unit: str,
        default: timedelta,
        low: timedelta | None,
        high: timedelta | None,
    ):
        self.path, self.get, self.unit, self.default = path, get, unit, default
        self.low, self.high = low, high

    def resolve(self, scope: Scope) -> tuple[timedelta, str]:
        value = self.get(scope)
        amount = as_number(value)
        wanted = None
        if amount is not None and 0 <= amount <= _LONGEST / _UNIT[self.unit]:  # also false for NaN
            wanted = timedelta(**{self.unit: amount})
        if wanted is None:
            shown = "missing" if value is MISSING else repr(value)
            return self.default, f"{self.path} {shown}; default {format_duration(self.default)}"
        said = f"{self.path} = {amount:g}"
        if self.low is not None and wanted < self.low:
            return self.low, f"{said}, raised to the minimum {format_duration(self.low)}"
        if self.high is not None and wanted > self.high:
            return self.high, f"{said}, capped at {format_duration(self.high)}"
        return wanted, said


class WaitNode(Node):
    __slots__ = (
        "at",
        "duration",
        "fallback_zone",
        "next",
        "on_timeout",
        "timeout",
        "until_event",
        "where",
    )

    def __init__(
        self,
        step_id: str,
        *,
        next_id: str,
        fallback_zone: str,
        duration: timedelta | DurationFromField | None = None,
        at: time | None = None,
        until_event: str | None = None,
        where: Condition | None = None,
        timeout: timedelta | None = None,
        on_timeout: str | None = None,
    ):
        super().__init__(step_id)
        self.next = next_id
        self.on_timeout = on_timeout or next_id
        self.duration, self.at, self.fallback_zone = duration, at, fallback_zone
        self.until_event, self.where, self.timeout = until_event, where, timeout

    def arm(self, s: EnrolmentState, ctx: PersonContext) -> None:
        """Enter the wait at the logical clock: compute and record its deadline."""
        tz, zone_name = person_zone(ctx.timezone, self.fallback_zone)
        if self.timeout is not None:
            deadline = s.clock + self.timeout
            note = f"waiting for {self.until_event} until {format_local(deadline, tz, zone_name)}"
        else:
            why = ""
            deadline = s.clock
            if isinstance(self.duration, DurationFromField):
                amount, why = self.duration.resolve(scope_of(s, ctx))
                deadline += amount
                why = f" ({why})"
            elif self.duration is not None:
                deadline += self.duration
            if self.at is not None:
                deadline = next_local_time(deadline, self.at, tz)
            note = f"waiting until {format_local(deadline, tz, zone_name)}{why}"
        s.wait_until = deadline
        record(s, _WAITING, note, deadline)

    def matches(self, payload: Mapping[str, Any], s: EnrolmentState, ctx: PersonContext) -> bool:
        if self.where is None:
            return True
        scope = Scope(ctx, payload=payload, trigger=s.trigger.payload, seen=s.seen, visits=s.visits)
        return self.where.evaluate(scope)


class ConditionNode(Node):
    __slots__ = ("branches", "otherwise")

    def __init__(self, step_id: str, branches: list[tuple[str, Condition, str]], otherwise: str):
        super().__init__(step_id)
        self.branches = branches
        self.otherwise = otherwise

    def run(self, s: EnrolmentState, ctx: PersonContext, out: list[Intent]) -> str:
        scope = scope_of(s, ctx)
        said = []
        for name, when, target in self.branches:
            ok, why = when.explain(scope)
            if ok:
                record(s, _BRANCHED, f"condition '{name}' true: {why} → {target}")
                return target
            said.append(f"condition '{name}' false: {why}")
        record(s, _BRANCHED, "; ".join(said) + f" → otherwise {self.otherwise}")
        return self.otherwise


class SplitNode(Node):
    __slots__ = ("branches", "total")

    def __init__(self, step_id: str, branches: list[tuple[str, float, str]]):
        super().__init__(step_id)
        self.branches = branches
        self.total = sum(weight for _, weight, _ in branches)

    def run(self, s: EnrolmentState, ctx: PersonContext, out: list[Intent]) -> str:
        occurrence = s.visits[self.id]
        point = unit_interval(f"{s.enrolment_id}:{self.id}:{occurrence}") * self.total
        name, weight, target = self.branches[-1]
        for candidate in self.branches:
            point -= candidate[1]
            if point < 0:
                name, weight, target = candidate
                break
        record(s, _SPLIT, f"split: '{name}' (weight {weight:g} of {self.total:g}) → {target}")
        return target
