"""Properties of the engine over random journeys, people, events and schedules.

* the same inputs give the same outputs (determinism);
* advancing once, or in many small steps, gives the same intents and state (idempotent catch-up);
* no step runs twice for the same occurrence (idempotency keys are unique);
* waits are honoured: nothing is decided before a wait's deadline, nothing ahead of ``now``;
* every exit ends the enrolment: no intent after the first exit event, none in later calls;
* a state survives its JSON round trip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.journeys.journey_kit import T0, run, start

from goodwill.journeys import (
    CompiledJourney,
    EnrolmentState,
    EnrolmentStatus,
    Event,
    Happened,
    Intent,
    PersonContext,
    advance,
    compile_journey,
    intent_from_dict,
    intent_to_dict,
    parse_definition,
    state_from_dict,
    state_to_dict,
)
from goodwill.journeys.serialization import intent_json, json_text, state_json

EXIT_KINDS = ("order.placed", "consent.withdrawn")
KINDS = (*EXIT_KINDS, "message.opened", "message.replied", "web.visit")
ZONES = ("UTC", "Europe/Lisbon", "America/New_York", "Asia/Kolkata", "Pacific/Chatham")
CONDITIONS = (
    "events.message.opened >= 1",
    "scores.x > 0.5",
    "trigger.v >= 5",
    "visits.s0 == 1",
    "tags contains vip",
)


@st.composite
def step_specs(draw: st.DrawFn, index: int, count: int, after: str) -> dict[str, Any]:
    """Step ``index`` of ``count``: every step has an edge to the next, plus optional jumps ahead.

    ``after`` is what follows the last generated step (``end``, or the reminder loop).
    """
    sid = f"s{index}"
    following = f"s{index + 1}" if index + 1 < count else after
    ahead = st.sampled_from([f"s{k}" for k in range(index + 1, count)] + [after, "end"])
    kind = draw(
        st.sampled_from(["wait", "wait_at", "wait_event", "condition", "split", "send", "tag"])
    )
    if kind == "wait":
        return {"id": sid, "type": "wait", "duration": f"{draw(st.integers(1, 96))}h"}
    if kind == "wait_at":
        hour, minute = draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))
        spec = {"id": sid, "type": "wait", "at": f"{hour:02d}:{minute:02d}"}
        if draw(st.booleans()):
            spec["duration"] = f"{draw(st.integers(1, 5))}d"
        return spec
    if kind == "wait_event":
        return {
            "id": sid,
            "type": "wait",
            "until_event": "message.replied",
            "timeout": f"{draw(st.integers(1, 72))}h",
            "on_timeout": draw(ahead),
        }
    if kind == "condition":
        when = draw(st.sampled_from(CONDITIONS))
        return {
            "id": sid,
            "type": "condition",
            "branches": [{"name": "b", "when": when, "next": draw(ahead)}],
        }
    if kind == "split":
        branches = [
            {"name": "a", "weight": draw(st.integers(1, 5)), "next": following},
            {"name": "b", "weight": draw(st.integers(1, 5)), "next": draw(ahead)},
        ]
        return {"id": sid, "type": "split", "branches": branches}
    if kind == "send":
        return {
            "id": sid,
            "type": "send_message",
            "channel": "email",
            "template": f"t{index}",
            "purpose": "marketing",
        }
    return {"id": sid, "type": "tag", "add": [f"tag{index}"]}


@st.composite
def journeys(draw: st.DrawFn) -> CompiledJourney:
    count = draw(st.integers(1, 7))
    loop = draw(st.booleans())
    steps = [draw(step_specs(i, count, "loop-wait" if loop else "end")) for i in range(count)]
    if loop:  # a reminder loop: wait, act, come back while fewer than 3 visits
        steps += [
            {"id": "loop-wait", "type": "wait", "duration": f"{draw(st.integers(1, 48))}h"},
            {"id": "loop-act", "type": "send_message", "channel": "sms", "template": "again", "purpose": "marketing"},
            {"id": "loop-check", "type": "condition", "branches": [{"name": "more", "when": "visits.loop-act < 3", "next": "loop-wait"}]},
        ]  # fmt: skip
    exits = draw(st.lists(st.sampled_from(EXIT_KINDS), unique=True))
    definition = {
        "key": "prop",
        "name": "Property journey",
        "version": 1,
        "priority": "promotion",
        "trigger": {"event": "thing.happened"},
        "goals": exits[:1],
        "exits": exits[1:],
        "steps": steps,
    }
    return compile_journey(parse_definition(definition))


@dataclass(frozen=True)
class Scenario:
    journey: CompiledJourney
    person: PersonContext
    trigger: Event
    events: list[Event]
    checkpoints: list[datetime]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    j = draw(journeys())
    who = PersonContext(
        person_id="p",
        timezone=draw(st.sampled_from(ZONES)),
        scores={"x": draw(st.floats(0, 1))},
        tags=frozenset(draw(st.sets(st.sampled_from(["vip", "b2b"])))),
    )
    trigger = Event("thing.happened", T0, {"v": draw(st.integers(0, 9))}, 1)
    minutes = draw(st.lists(st.integers(1, 20 * 24 * 60), max_size=8))
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=len(minutes), max_size=len(minutes)))
    events = [
        Event(kind, T0 + timedelta(minutes=m), {}, 100 + i)
        for i, (kind, m) in enumerate(zip(kinds, minutes, strict=True))
    ]
    stops = sorted(set(draw(st.lists(st.integers(0, 30 * 24), max_size=12))))
    checkpoints = [T0 + timedelta(hours=h) for h in stops] + [T0 + timedelta(days=31)]
    return Scenario(j, who, trigger, events, checkpoints)


def single(sc: Scenario) -> tuple[EnrolmentState, tuple[Intent, ...]]:
    state = start(sc.journey, sc.trigger, sc.person)
    result = advance(sc.journey, state, sc.checkpoints[-1], sc.events, sc.person)
    return result.state, result.intents


SETTINGS = settings(max_examples=200, deadline=None)


@SETTINGS
@given(scenarios())
def test_same_inputs_same_outputs(sc: Scenario) -> None:
    assert single(sc) == single(sc)
    state = start(sc.journey, sc.trigger, sc.person)
    shuffled = list(reversed(sc.events))
    assert advance(sc.journey, state, sc.checkpoints[-1], shuffled, sc.person) == advance(
        sc.journey, state, sc.checkpoints[-1], sc.events, sc.person
    )


@SETTINGS
@given(scenarios())
def test_catching_up_in_one_call_equals_advancing_in_small_steps(sc: Scenario) -> None:
    state = start(sc.journey, sc.trigger, sc.person)
    stepwise, intents, results = run(sc.journey, state, sc.checkpoints, sc.events, sc.person)
    final, all_at_once = single(sc)
    assert tuple(intents) == all_at_once
    assert stepwise == final
    for now, result in zip(sc.checkpoints, results, strict=True):
        assert all(i.not_before <= now for i in result.intents)  # never ahead of time
        assert result.wake_at is None or result.wake_at > now


@SETTINGS
@given(scenarios())
def test_no_step_runs_twice_for_the_same_occurrence(sc: Scenario) -> None:
    state, intents = single(sc)
    keys = [i.idempotency_key for i in intents]
    assert len(keys) == len(set(keys))
    decided = [
        (r.step_id, r.occurrence)
        for r in state.history
        if r.what in (Happened.ACTED, Happened.BRANCHED, Happened.SPLIT)
    ]
    assert len(decided) == len(set(decided))
    for intent in intents:
        assert intent.idempotency_key == f"e1:{intent.step_id}:{intent.occurrence}"


@SETTINGS
@given(scenarios())
def test_waits_are_honoured(sc: Scenario) -> None:
    state, intents = single(sc)
    floor = state.entered_at
    armed: datetime | None = None
    for record in state.history:
        assert record.at >= floor  # the logical clock never goes back
        if record.what is Happened.WAITING:
            assert record.until is not None and record.until >= record.at
            armed = record.until
        elif record.what in (Happened.WAITED, Happened.TIMED_OUT):
            assert record.at == armed  # resumed exactly at the deadline
        elif record.what is Happened.EVENT:
            assert armed is not None and record.at <= armed
        floor = record.at
    acted = [r.at for r in state.history if r.what is Happened.ACTED]
    assert acted == [i.not_before for i in intents]


@SETTINGS
@given(scenarios())
def test_every_exit_ends_the_enrolment(sc: Scenario) -> None:
    state, intents = single(sc)
    exits = [e.occurred_at for e in sc.events if e.kind in sc.journey.exits]
    if exits:
        first_exit = min(exits)
        assert state.status in (EnrolmentStatus.EXITED, EnrolmentStatus.COMPLETED)
        assert state.ended_at is not None and state.ended_at <= first_exit
        assert all(i.not_before < first_exit for i in intents)
    if state.status is EnrolmentStatus.EXITED:
        assert state.wake_at is None and state.end_reason is not None
        assert all(i.not_before <= state.ended_at for i in intents)  # type: ignore[operator]
        later = [Event("message.replied", T0 + timedelta(days=40), {}, 999)]
        after = advance(sc.journey, state, T0 + timedelta(days=90), later, sc.person)
        assert after.intents == () and after.state is state
    if state.status is EnrolmentStatus.ACTIVE:
        assert state.wake_at is not None and state.wake_at > sc.checkpoints[-1]


@SETTINGS
@given(scenarios())
def test_states_survive_their_json_round_trip(sc: Scenario) -> None:
    state, _ = single(sc)
    assert state_from_dict(state_to_dict(state)) == state


@SETTINGS
@given(scenarios())
def test_the_direct_json_writers_match_the_dict_shapes(sc: Scenario) -> None:
    """The scheduler writes states and intents as JSON text directly; the text is exactly the
    compact JSON of the documented dict shapes, and reads back to the same values."""
    state, intents = single(sc)
    text = state_json(state)
    assert text == json_text(state_to_dict(state))
    assert state_from_dict(json.loads(text)) == state
    for intent in intents:
        assert intent_json(intent) == json_text(intent_to_dict(intent))
        assert intent_from_dict(json.loads(intent_json(intent))) == intent
