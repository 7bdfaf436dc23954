"""Enrolment states and intents to and from JSON-ready dicts (for the enrolment table and outbox).

The shapes are stable and versioned by ``"format": 1``; instants are ISO 8601 with offset.
Payloads are passed through as given (they came from JSON in the first place).  A round trip
``state_from_dict(state_to_dict(s)) == s`` holds, which a property test checks.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from goodwill.consent.models import Purpose
from goodwill.journeys.intents import INTENT_TYPES, Intent
from goodwill.journeys.models import EnrolmentState, EnrolmentStatus, Event, Happened, StepRecord
from goodwill.messaging.vocabulary import ChannelKind, Priority

FORMAT = 1


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _req_dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def state_to_dict(state: EnrolmentState) -> dict[str, Any]:
    trigger = state.trigger
    return {
        "format": FORMAT,
        "enrolment_id": state.enrolment_id,
        "journey_key": state.journey_key,
        "journey_version": state.journey_version,
        "person_id": state.person_id,
        "status": state.status.value,
        "step_id": state.step_id,
        "entered_at": _iso(state.entered_at),
        "clock": _iso(state.clock),
        "trigger": {
            "kind": trigger.kind,
            "occurred_at": _iso(trigger.occurred_at),
            "payload": dict(trigger.payload),
            "id": trigger.id,
        },
        "wait_until": _iso(state.wait_until),
        "wake_at": _iso(state.wake_at),
        "visits": dict(state.visits),
        "seen": dict(state.seen),
        "history": [
            [_iso(r.at), r.step_id, r.occurrence, r.what.value, r.note, _iso(r.until)]
            for r in state.history
        ],
        "ended_at": _iso(state.ended_at),
        "end_reason": state.end_reason,
        "goal": state.goal,
    }


def state_from_dict(data: dict[str, Any]) -> EnrolmentState:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown enrolment state format {data.get('format')!r}")
    trig = data["trigger"]
    return EnrolmentState(
        enrolment_id=data["enrolment_id"],
        journey_key=data["journey_key"],
        journey_version=int(data["journey_version"]),
        person_id=data["person_id"],
        status=EnrolmentStatus(data["status"]),
        step_id=data["step_id"],
        entered_at=_req_dt(data["entered_at"]),
        clock=_req_dt(data["clock"]),
        trigger=Event(trig["kind"], _req_dt(trig["occurred_at"]), trig["payload"], trig["id"]),
        wait_until=_dt(data["wait_until"]),
        wake_at=_dt(data["wake_at"]),
        visits=dict(data["visits"]),
        seen=dict(data["seen"]),
        history=[
            StepRecord(_req_dt(at), step, occ, Happened(what), note, _dt(until))
            for at, step, occ, what, note, until in data["history"]
        ],
        ended_at=_dt(data["ended_at"]),
        end_reason=data["end_reason"],
        goal=data["goal"],
    )


_FIELD_NAMES: dict[type[Intent], tuple[str, ...]] = {}


def _field_names(cls: type[Intent]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def intent_to_dict(intent: Intent) -> dict[str, Any]:
    """``{"kind": "send_message", ...fields}`` with enums as their names and instants in ISO."""
    out: dict[str, Any] = {"kind": intent.kind}
    for name in _field_names(type(intent)):
        value = getattr(intent, name)
        if isinstance(value, Priority):
            value = value.label
        elif isinstance(value, ChannelKind | Purpose):
            value = value.value
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, dict):
            value = dict(value)
        out[name] = value
    return out


def intent_from_dict(data: dict[str, Any]) -> Intent:
    cls = INTENT_TYPES[data["kind"]]
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name == "priority":
            value = Priority[str(value).upper()]
        elif f.name == "channel":
            value = ChannelKind(value)
        elif f.name == "purpose":
            value = Purpose(value)
        elif f.name in ("not_before", "due_at"):
            value = datetime.fromisoformat(value)
        elif f.name in ("add", "remove"):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)
