"""The journey engine: a pure function from (journey, enrolment, time, new events) to decisions.

    advance(journey, state, now, events, context) -> Advance(state, intents, wake_at, steps_run)

It imports no I/O, reads no clock and draws no randomness: the same inputs give the same
outputs, so every decision can be replayed and explained.  It does not check consent, quiet
hours or budgets; those are checked by the dispatcher at send time.

**Logical time.**  The enrolment carries a clock.  Steps run at the instant they logically
happen: a wait ending at 10:00 resumes at 10:00 even if ``advance`` is called at 10:07, and
actions that follow are stamped ``not_before=10:00``.  ``advance`` simulates from the state's clock
up to ``now``, interleaving wait deadlines and events in time order (an event at exactly a
deadline is seen first).  Hence *catching up is idempotent*: one call at 18:00 yields exactly the
intents and state that calls at 10:00, 12:00 and 18:00 would (given each event once, in the first
call whose ``now`` is at or after it).

**Events.**  Pass each interaction of the person once, in any order (they are sorted by time,
then id).  Ignored: events after ``now`` (pass them later), events before the enrolment started,
and the trigger event itself.  An event that arrives late (older than the state's clock) is
applied at the clock: history is never rewritten.  Any goal or exit event ends the enrolment at
once, whatever step it is in; nothing is decided after it.  ``journey.removed`` with
``{"journey": key}`` or ``{"enrolment_id": id}`` is a built-in exit ("remove from journey").

**Versioning.**  An enrolment is pinned to the (key, version) it started on and is advanced with
that version's compiled definition until it ends; publishing a new version changes nothing for
enrolments in flight, and applies to new enrolments only.  ``advance`` refuses a state pinned to
another version (:class:`~goodwill.journeys.errors.JourneyStateError`).  See
``docs/adr/0020-journey-versioning.md``.

**Idempotency.**  Intent keys are ``enrolment:step:occurrence``; occurrences count entries to
a step, so a step runs at most once per occurrence and a retried transaction re-derives the
same keys.  ``wake_at`` (also ``state.wake_at``) is when the scheduler must call again: the
current wait's deadline, or ``None`` once the enrolment has ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from goodwill.journeys.compiled import CompiledJourney
from goodwill.journeys.conditions import Scope
from goodwill.journeys.definition import END
from goodwill.journeys.errors import JourneyStateError
from goodwill.journeys.intents import Intent
from goodwill.journeys.models import (
    Advance,
    EnrolmentState,
    EnrolmentStatus,
    EventLike,
    Happened,
    PersonContext,
)
from goodwill.journeys.nodes import WaitNode, record

# enum members hoisted: attribute access on an Enum class goes through a descriptor (hot path)
_ACTIVE, _COMPLETED, _EXITED = (
    EnrolmentStatus.ACTIVE,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.EXITED,
)
_H_EVENT, _H_WAITED, _H_TIMED_OUT, _H_COMPLETED, _H_EXITED = (
    Happened.EVENT,
    Happened.WAITED,
    Happened.TIMED_OUT,
    Happened.COMPLETED,
    Happened.EXITED,
)
#: A definition is validated to have a wait in every loop; this guards against a bad compile.
_MAX_STEPS_PER_INSTANT = 10_000


def advance(
    journey: CompiledJourney,
    state: EnrolmentState,
    now: datetime,
    events: Iterable[EventLike] = (),
    context: PersonContext | None = None,
) -> Advance:
    """Move ``state`` forward to ``now``; return the new state and the intents decided.

    ``context`` is the person's snapshot (needed for timezones, conditions and task owners);
    without one, an empty context for ``state.person_id`` is used.  ``state`` is not modified.
    """
    if state.journey_key != journey.key or state.journey_version != journey.version:
        raise JourneyStateError(
            f"enrolment {state.enrolment_id} is pinned to {state.journey_key} "
            f"v{state.journey_version}; it cannot be advanced with {journey.key} v{journey.version}"
        )
    if state.status is not _ACTIVE:
        return Advance(state, (), None, 0)
    ctx = context if context is not None else PersonContext(person_id=state.person_id)
    s = state.copy()
    pending = _pending(events, s, now)
    intents: list[Intent] = []
    steps = journey.steps
    ran = 0
    instant_steps = 0
    i = 0
    while s.status is _ACTIVE:
        assert s.step_id is not None
        node = steps[s.step_id]
        if isinstance(node, WaitNode):
            instant_steps = 0
            if s.wait_until is None:
                node.arm(s, ctx)
                ran += 1
            deadline = s.wait_until
            assert deadline is not None
            if i < len(pending) and pending[i].occurred_at <= deadline:
                event = pending[i]
                i += 1
                if event.occurred_at > s.clock:
                    s.clock = event.occurred_at
                if _apply_event(journey, s, event, ctx):
                    break
                if event.kind == node.until_event and node.matches(event.payload, s, ctx):
                    record(s, _H_EVENT, f"{event.kind} arrived (event {event.id}) → {node.next}")
                    _go(s, node.next)
                    ran += 1
                continue
            if deadline <= now:
                s.clock = deadline
                if node.until_event is None:
                    record(s, _H_WAITED, f"wait over → {node.next}")
                    _go(s, node.next)
                else:
                    note = f"no {node.until_event} in time → {node.on_timeout}"
                    record(s, _H_TIMED_OUT, note)
                    _go(s, node.on_timeout)
                ran += 1
                continue
            break
        _go(s, node.run(s, ctx, intents))
        ran += 1
        instant_steps += 1
        if instant_steps > _MAX_STEPS_PER_INSTANT:
            raise JourneyStateError(
                f"journey {journey.key} v{journey.version} loops without a wait"
            )
    s.wake_at = s.wait_until if s.status is _ACTIVE else None
    return Advance(s, tuple(intents), s.wake_at, ran)


def _pending(events: Iterable[EventLike], s: EnrolmentState, now: datetime) -> list[EventLike]:
    trigger_id = None if s.trigger.id is None else str(s.trigger.id)  # ids may arrive as int or str
    start = s.entered_at
    chosen = [
        e
        for e in events
        if start <= e.occurred_at <= now and (trigger_id is None or str(e.id) != trigger_id)
    ]
    if len(chosen) > 1:
        chosen.sort(key=_order)
    return chosen


def _order(event: EventLike) -> tuple[datetime, int, int, str]:
    ident = event.id
    if isinstance(ident, int):
        return event.occurred_at, 0, ident, ""
    return event.occurred_at, 1, 0, "" if ident is None else ident


def _go(s: EnrolmentState, target: str) -> None:
    """Enter ``target`` (or finish at ``end``): one more occurrence of that step."""
    s.wait_until = None
    if target == END:
        s.status = _COMPLETED
        s.ended_at = s.clock
        s.end_reason = "completed"
        s.step_id = None
        record(s, _H_COMPLETED, "completed: reached the end")
        return
    s.step_id = target
    s.visits[target] = s.visits.get(target, 0) + 1


def _apply_event(
    journey: CompiledJourney, s: EnrolmentState, event: EventLike, ctx: PersonContext
) -> bool:
    """Apply goals/exits and counters; return True if the event ended the enrolment."""
    kind = event.kind
    rules = journey.exits.get(kind)
    if rules:
        payload = event.payload
        scope = Scope(ctx, payload=payload, trigger=s.trigger.payload, seen=s.seen, visits=s.visits)
        for rule in rules:
            if rule.matches(payload, s.enrolment_id, scope):
                label = rule.label()
                s.status = _EXITED
                s.ended_at = s.clock
                s.end_reason = label
                s.goal = kind if rule.is_goal else None
                s.wait_until = None
                record(s, _H_EXITED, f"exited: {label} (event {event.id})")
                return True
    if kind in journey.tracked:
        s.seen[kind] = s.seen.get(kind, 0) + 1
    return False
