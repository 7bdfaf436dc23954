"""Enrolment states and intents to and from JSON-ready dicts (for the enrolment table and outbox).

The shapes are stable and versioned by ``"format": 1``; instants are ISO 8601 with offset.
Payloads are passed through as given (they came from JSON in the first place).  A round trip
``state_from_dict(state_to_dict(s)) == s`` holds, which a property test checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from goodwill.consent.models import Purpose
from goodwill.journeys.intents import INTENT_TYPES, Intent, SendMessage
from goodwill.journeys.models import EnrolmentState, EnrolmentStatus, Event, Happened, StepRecord
from goodwill.messaging.vocabulary import ChannelKind, Priority

FORMAT = 1


def _dt(value: str | None) -> datetime | None:
    return None if value is None else _fromiso(value)


_fromiso = datetime.fromisoformat
# enum values by member and members by value: a dict lookup instead of the Enum machinery
_HAPPENED = {h.value: h for h in Happened}
_STATUS = {s.value: s for s in EnrolmentStatus}

_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)
# The C encoder json.dumps builds on every call, built once (no circular-reference markers: the
# values written here are trees the engine built or JSON it read).
_C_ENCODE = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, str, encode_basestring_ascii, None, ":", ",", False, False, True)
)


def json_text(value: Any) -> str:
    """Compact JSON text (no spaces; unknown types as ``str``), as the bulk paths store JSON
    columns: the same text as ``json.dumps(value, separators=(",", ":"), default=str)``."""
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    if not value and type(value) is dict:
        return "{}"
    return "".join(_C_ENCODE(value, 0))


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def state_to_dict(state: EnrolmentState) -> dict[str, Any]:
    """The stored form of a state (:func:`state_json` writes the same text directly)."""
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
        "history": [[_iso(r[0]), r[1], r[2], r[3].value, r[4], _iso(r[5])] for r in state.history],
        "ended_at": _iso(state.ended_at),
        "end_reason": state.end_reason,
        "goal": state.goal,
    }


_quote = encode_basestring_ascii  # the C function json.dumps itself uses
_WHAT_JSON = {h: f'"{h.value}"' for h in Happened}
_STATUS_JSON = {st: f'"{st.value}"' for st in EnrolmentStatus}


def _scalar_json(value: Any) -> str:
    """JSON text of a str, int or None exactly as :data:`json_text` writes it."""
    kind = type(value)
    if kind is str:
        return _quote(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)
    return json_text(value)


def state_json(state: EnrolmentState) -> str:
    """``json_text(state_to_dict(state))``, written directly (the scheduler's hot path; a
    property test checks the two texts are identical)."""
    memo: dict[int, str] = {}

    def iso(value: datetime | None) -> str:
        if value is None:
            return "null"
        key = id(value)
        text = memo.get(key)
        if text is None:
            text = memo[key] = f'"{value.isoformat()}"'
        return text

    q, scalar, what = _quote, _scalar_json, _WHAT_JSON
    trigger = state.trigger
    history = ",".join(
        [
            f"[{iso(at)},{scalar(step)},"
            f"{occ if type(occ) is int else scalar(occ)},{what[happened]},{q(note)},"
            f"{iso(until)}]"
            for at, step, occ, happened, note, until in state.history
        ]
    )
    return (
        f'{{"format":{FORMAT},"enrolment_id":{scalar(state.enrolment_id)},'
        f'"journey_key":{scalar(state.journey_key)},'
        f'"journey_version":{scalar(state.journey_version)},'
        f'"person_id":{scalar(state.person_id)},"status":{_STATUS_JSON[state.status]},'
        f'"step_id":{scalar(state.step_id)},"entered_at":{iso(state.entered_at)},'
        f'"clock":{iso(state.clock)},"trigger":{{"kind":{scalar(trigger.kind)},'
        f'"occurred_at":{iso(trigger.occurred_at)},"payload":{json_text(dict(trigger.payload))},'
        f'"id":{scalar(trigger.id)}}},"wait_until":{iso(state.wait_until)},'
        f'"wake_at":{iso(state.wake_at)},"visits":{json_text(state.visits)},'
        f'"seen":{json_text(state.seen)},"history":[{history}],'
        f'"ended_at":{iso(state.ended_at)},"end_reason":{scalar(state.end_reason)},'
        f'"goal":{scalar(state.goal)}}}'
    )


def state_from_dict(data: dict[str, Any]) -> EnrolmentState:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown enrolment state format {data.get('format')!r}")
    trig = data["trigger"]
    fromiso, happened = _fromiso, _HAPPENED
    return EnrolmentState(
        enrolment_id=data["enrolment_id"],
        journey_key=data["journey_key"],
        journey_version=int(data["journey_version"]),
        person_id=data["person_id"],
        status=_STATUS.get(data["status"]) or EnrolmentStatus(data["status"]),
        step_id=data["step_id"],
        entered_at=fromiso(data["entered_at"]),
        clock=fromiso(data["clock"]),
        trigger=Event(trig["kind"], fromiso(trig["occurred_at"]), trig["payload"], trig["id"]),
        wait_until=_dt(data["wait_until"]),
        wake_at=_dt(data["wake_at"]),
        visits=dict(data["visits"]),
        seen=dict(data["seen"]),
        history=[
            StepRecord(
                fromiso(at),
                step,
                occ,
                happened.get(what) or Happened(what),
                note,
                None if until is None else fromiso(until),
            )
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


_PRIORITY_LABEL = {p: p.label for p in Priority}
_ENUM_VALUE: dict[Any, str] = {m: m.value for m in (*ChannelKind, *Purpose)}


def intent_json(intent: Intent) -> str:
    """``json_text(intent_to_dict(intent))``; a :class:`SendMessage` is written directly (the
    scheduler's hot path; a test checks the texts are identical)."""
    if type(intent) is not SendMessage:
        return json_text(intent_to_dict(intent))
    i: Any = intent
    scalar = _scalar_json
    variables = i.variables
    return (
        f'{{"kind":"send_message","idempotency_key":{scalar(i.idempotency_key)},'
        f'"enrolment_id":{scalar(i.enrolment_id)},"person_id":{scalar(i.person_id)},'
        f'"journey_key":{scalar(i.journey_key)},"journey_version":{scalar(i.journey_version)},'
        f'"step_id":{scalar(i.step_id)},"occurrence":{scalar(i.occurrence)},'
        f'"not_before":"{i.not_before.isoformat()}",'
        f'"priority":"{_PRIORITY_LABEL[i.priority]}",'
        f'"trigger_event_id":{scalar(i.trigger_event_id)},'
        f'"channel":{_quote(_ENUM_VALUE[i.channel])},"template":{scalar(i.template)},'
        f'"purpose":{_quote(_ENUM_VALUE[i.purpose])},'
        f'"variables":{json_text(dict(variables) if isinstance(variables, dict) else variables)}}}'
    )


def _priority(value: Any) -> Priority:
    return Priority[str(value).upper()]


#: How a stored field is read back (fields not listed are taken as stored).
_READ: dict[str, Callable[[Any], Any]] = {
    "priority": _priority,
    "channel": ChannelKind,
    "purpose": Purpose,
    "not_before": datetime.fromisoformat,
    "due_at": datetime.fromisoformat,
    "add": tuple,
    "remove": tuple,
}
#: Per intent kind, its class and field names (looked up once: the dispatcher reads one
#: intent per message).
_FIELDS: dict[str, tuple[type[Any], tuple[str, ...]]] = {}


def intent_from_dict(data: dict[str, Any]) -> Intent:
    kind = data["kind"]
    known = _FIELDS.get(kind)
    if known is None:
        cls = INTENT_TYPES[kind]
        known = _FIELDS[kind] = (cls, tuple(f.name for f in fields(cls)))
    cls, names = known
    values: dict[str, Any] = {}
    for name in names:
        if name in data:
            read = _READ.get(name)
            value = data[name]
            values[name] = value if read is None else read(value)
    return cls(**values)
