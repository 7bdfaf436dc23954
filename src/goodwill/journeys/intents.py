"""Intents: what a journey step wants done, as plain data for the outbox.

The engine decides; it does not act.  Each intent is written to the outbox in the same
transaction as the enrolment state, and the dispatcher acts on it later, checking consent,
quiet hours and contact budgets *at send time* (the engine deliberately knows nothing of them,
so a consent withdrawn between decision and send is always honoured).

``idempotency_key`` is ``"{enrolment_id}:{step_id}:{occurrence}"``: the same step occurrence of
the same enrolment always yields the same key, so the outbox can refuse a duplicate after a
retried transaction or an overlapping scheduler.  ``not_before`` is the logical instant the step
ran; the dispatcher must not act before it (it may act later, and may drop stale intents).

Intents are values: treat them as read-only.  They are plain slots dataclasses rather than
frozen ones because a frozen dataclass costs four times as much to build, and the engine builds
millions (see ``benchmarks/bench_engine.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from goodwill.consent.models import Purpose
from goodwill.messaging.vocabulary import ChannelKind, Priority

#: Placed in ``variables[link_variable]`` of review/NPS requests; the dispatcher replaces it with
#: a signed, expiring link for the person (the engine has no keys and must stay pure).
SIGNED_LINK: Final = "{{signed_link}}"


def idempotency_key(enrolment_id: str, step_id: str, occurrence: int) -> str:
    return f"{enrolment_id}:{step_id}:{occurrence}"


@dataclass(slots=True, kw_only=True)
class Intent:
    """Fields every intent carries: who, which journey step, when, how important."""

    idempotency_key: str
    enrolment_id: str
    person_id: str
    journey_key: str
    journey_version: int
    step_id: str
    occurrence: int
    not_before: datetime
    priority: Priority
    trigger_event_id: str | None = None

    @property
    def kind(self) -> str:
        return _KINDS[type(self)]


@dataclass(slots=True, kw_only=True)
class SendMessage(Intent):
    """Send ``template`` on ``channel`` for ``purpose`` (the consent purpose checked at send)."""

    channel: ChannelKind
    template: str
    purpose: Purpose
    variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class RequestReview(Intent):
    """A review invitation: a message whose ``variables[link_variable]`` is :data:`SIGNED_LINK`.

    ``subject`` says what is being reviewed (e.g. ``{"order_id": "1001"}``) so the dispatcher can
    sign a link for it.
    """

    channel: ChannelKind
    template: str
    purpose: Purpose = Purpose.REVIEWS
    link_variable: str = "review_url"
    subject: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class RequestNps(Intent):
    """An NPS survey invitation; same link contract as :class:`RequestReview`."""

    channel: ChannelKind
    template: str
    purpose: Purpose = Purpose.REVIEWS
    link_variable: str = "nps_url"
    subject: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class CreateTask(Intent):
    """A human follow-up.  ``assignee`` is ``None`` when the rule found nobody (team queue).

    ``template``, when set, names a message template the dispatcher renders into the task body
    (with the person's personalisation context); ``body`` is the literal text otherwise.
    """

    title: str
    body: str
    assignee: str | None
    assignee_rule: str
    due_at: datetime
    template: str | None = None


@dataclass(slots=True, kw_only=True)
class Tag(Intent):
    """Add and remove tags on the person."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(slots=True, kw_only=True)
class CallWebhook(Intent):
    """POST ``payload`` (JSON) to ``url`` (a merchant system; not a message to the person)."""

    url: str
    payload: Mapping[str, Any] = field(default_factory=dict)


_KINDS: dict[type[Intent], str] = {
    SendMessage: "send_message",
    RequestReview: "request_review",
    RequestNps: "request_nps",
    CreateTask: "create_task",
    Tag: "tag",
    CallWebhook: "webhook",
}
INTENT_TYPES: Final = {name: cls for cls, name in _KINDS.items()}
