"""Builders for journey tests: definitions from YAML, people, events, instants, runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from goodwill.journeys import (
    Advance,
    CompiledJourney,
    EnrolmentState,
    Event,
    Intent,
    PersonContext,
    PriorEnrolment,
    Refusal,
    advance,
    compile_journey,
    enrol,
    load_definition,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday

BASE = """
key: {key}
name: Test journey
version: {version}
priority: relationship
"""


def journey(body: str, *, key: str = "test-journey", version: int = 1) -> CompiledJourney:
    """Compile ``body`` (YAML for trigger/steps/...) under a standard header."""
    return compile_journey(load_definition(BASE.format(key=key, version=version) + body))


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours, minutes=minutes)


def person(person_id: str = "p1", **fields: Any) -> PersonContext:
    fields.setdefault("timezone", "UTC")
    return PersonContext(person_id=person_id, **fields)


_ids = iter(range(10_000, 10**9))


def event(kind: str, when: datetime, ident: int | str | None = None, /, **payload: Any) -> Event:
    return Event(kind, when, payload, next(_ids) if ident is None else ident)


def start(
    j: CompiledJourney,
    trigger: Event,
    who: PersonContext | None = None,
    *,
    enrolment_id: str = "e1",
    prior: Sequence[PriorEnrolment] = (),
) -> EnrolmentState:
    result = enrol(
        j, who or person(), trigger, trigger.occurred_at, prior, enrolment_id=enrolment_id
    )
    assert not isinstance(result, Refusal), result
    return result


def run(
    j: CompiledJourney,
    state: EnrolmentState,
    checkpoints: Iterable[datetime],
    events: Iterable[Event] = (),
    who: PersonContext | None = None,
) -> tuple[EnrolmentState, list[Intent], list[Advance]]:
    """Advance at each checkpoint, giving each event in the first call whose ``now`` covers it."""
    remaining = sorted(events, key=lambda e: e.occurred_at)
    intents: list[Intent] = []
    results: list[Advance] = []
    last: datetime | None = None
    for now in checkpoints:
        due = [
            e for e in remaining if e.occurred_at <= now and (last is None or e.occurred_at > last)
        ]
        result = advance(j, state, now, due, who or person(state.person_id))
        state = result.state
        intents.extend(result.intents)
        results.append(result)
        last = now
    return state, intents, results


def notes(state: EnrolmentState) -> list[str]:
    return [record.note for record in state.history]
