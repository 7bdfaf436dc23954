"""A definition compiled for the engine: step lookup by id, resolved successors, fast exits.

Compile once per (journey key, version) and keep the result for as long as the process lives;
:class:`CompiledJourney` is immutable and safe to share between threads.  ``fingerprint`` is the
SHA-256 of the definition's canonical JSON: the journeys service stores it with the version and
refuses to publish different content under a version number that already exists, which is what
makes "an enrolment finishes on the version it started on" true in practice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from goodwill.journeys.actions import (
    ActionNode,
    AskNode,
    SendNode,
    TagNode,
    TaskNode,
    WebhookNode,
)
from goodwill.journeys.conditions import Condition
from goodwill.journeys.definition import (
    ConditionStep,
    CreateTaskStep,
    FieldDuration,
    JourneyDefinition,
    ReEntry,
    RequestNpsStep,
    RequestReviewStep,
    SendMessageStep,
    SplitStep,
    Step,
    TagStep,
    Trigger,
    WaitStep,
    WebhookStep,
)
from goodwill.journeys.fields import Scope, compile_path
from goodwill.journeys.intents import RequestNps, RequestReview
from goodwill.journeys.interpolation import compile_text, compile_values
from goodwill.journeys.nodes import (
    ConditionNode,
    DurationFromField,
    Node,
    SplitNode,
    WaitNode,
)
from goodwill.journeys.validation import default_next
from goodwill.messaging.vocabulary import ChannelKind, Priority

#: Staff or the API take a person out of a journey by recording this event with
#: ``{"journey": key}`` (all enrolments of that journey) or ``{"enrolment_id": id}``.
REMOVE_EVENT: Final = "journey.removed"


@dataclass(frozen=True, slots=True)
class ExitMatcher:
    """One goal or exit rule, ready to test against an event."""

    kind: str
    is_goal: bool
    where: Condition | None
    journey_key: str = ""

    def matches(self, payload: Mapping[str, Any], enrolment_id: str, scope: Scope) -> bool:
        if self.kind == REMOVE_EVENT:
            return payload.get("journey") == self.journey_key or (
                str(payload.get("enrolment_id", "")) == enrolment_id
            )
        return self.where is None or self.where.evaluate(scope)

    def label(self) -> str:
        return f"{'goal' if self.is_goal else 'exit'} {self.kind}"


@dataclass(frozen=True, slots=True)
class CompiledJourney:
    definition: JourneyDefinition
    key: str
    version: int
    priority: Priority
    timezone: str
    start: str
    steps: Mapping[str, Node]
    exits: Mapping[str, tuple[ExitMatcher, ...]]
    tracked: frozenset[str]
    fingerprint: str

    @property
    def trigger(self) -> Trigger:
        return self.definition.trigger

    @property
    def re_entry(self) -> ReEntry:
        return self.definition.re_entry

    @property
    def holdout(self) -> float:
        return self.definition.holdout

    @property
    def max_trigger_age(self) -> timedelta:
        return self.definition.max_trigger_age


def fingerprint(definition: JourneyDefinition) -> str:
    canonical = json.dumps(
        definition.model_dump(mode="json"), sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def compile_journey(definition: JourneyDefinition) -> CompiledJourney:
    """Compile a *validated* definition (use :func:`goodwill.journeys.loader.parse_definition`)."""
    nexts = default_next(definition.steps)
    nodes = {step.id: _node(step, nexts[step.id], definition) for step in definition.steps}
    exits: dict[str, list[ExitMatcher]] = {}
    for is_goal, rules in ((True, definition.goals), (False, definition.exits)):
        for rule in rules:
            exits.setdefault(rule.event, []).append(ExitMatcher(rule.event, is_goal, rule.where))
    exits.setdefault(REMOVE_EVENT, []).append(
        ExitMatcher(REMOVE_EVENT, False, None, definition.key)
    )
    return CompiledJourney(
        definition=definition,
        key=definition.key,
        version=definition.version,
        priority=definition.priority,
        timezone=definition.timezone,
        start=definition.steps[0].id,
        steps=nodes,
        exits={kind: tuple(rules) for kind, rules in exits.items()},
        tracked=frozenset(_tracked_kinds(definition)),
        fingerprint=fingerprint(definition),
    )


def _node(step: Step, fallthrough: str, definition: JourneyDefinition) -> Node:
    if isinstance(step, WaitStep):
        duration: timedelta | DurationFromField | None = None
        if isinstance(step.duration, FieldDuration):
            spec = step.duration
            getter = compile_path(spec.field, event_scope=False)
            duration = DurationFromField(
                spec.field, getter, spec.unit, spec.default, spec.min, spec.max
            )
        else:
            duration = step.duration
        return WaitNode(
            step.id,
            next_id=step.next or fallthrough,
            fallback_zone=definition.timezone,
            duration=duration,
            at=step.at,
            until_event=step.until_event,
            where=step.where,
            timeout=step.timeout,
            on_timeout=step.on_timeout,
        )
    if isinstance(step, ConditionStep):
        branches = [(b.name, b.when, b.next) for b in step.branches]
        return ConditionNode(step.id, branches, step.otherwise or fallthrough)
    if isinstance(step, SplitStep):
        return SplitNode(step.id, [(b.name, b.weight, b.next) for b in step.branches])
    return _action(step, fallthrough, definition)


def _action(step: Step, fallthrough: str, definition: JourneyDefinition) -> ActionNode:
    common: dict[str, Any] = {
        "next_id": getattr(step, "next", None) or fallthrough,
        "journey_key": definition.key,
        "version": definition.version,
        "priority": definition.priority,
    }
    if isinstance(step, SendMessageStep):
        return SendNode(step.id, **common).configure(
            ChannelKind(step.channel), step.template, step.purpose, compile_values(step.vars)
        )
    if isinstance(step, RequestReviewStep | RequestNpsStep):
        intent = RequestReview if isinstance(step, RequestReviewStep) else RequestNps
        return AskNode(step.id, **common).configure(
            intent,
            ChannelKind(step.channel),
            step.template,
            compile_values(step.vars),
            compile_values(step.subject),
        )
    if isinstance(step, CreateTaskStep):
        a = step.assignee
        return TaskNode(step.id, **common).configure(
            compile_text(step.title),
            compile_text(step.body),
            step.template,
            a.rule,
            a.person,
            a.fallback,
            step.due_in,
        )
    if isinstance(step, TagStep):
        return TagNode(step.id, **common).configure(tuple(step.add), tuple(step.remove))
    if isinstance(step, WebhookStep):
        return WebhookNode(step.id, **common).configure(step.url, compile_values(step.payload))
    raise TypeError(f"no compiler for step type {type(step).__name__}")  # pragma: no cover


def _tracked_kinds(definition: JourneyDefinition) -> Iterator[str]:
    """Event kinds whose counts a condition reads (``events.KIND``); only these are counted."""
    conditions: list[Condition | None] = [r.where for r in [*definition.goals, *definition.exits]]
    refs: list[str] = []
    for step in definition.steps:
        if isinstance(step, ConditionStep):
            conditions.extend(b.when for b in step.branches)
        if isinstance(step, WaitStep):
            conditions.append(step.where)
            if isinstance(step.duration, FieldDuration):
                refs.append(step.duration.field)
        for values in (getattr(step, "vars", None), getattr(step, "subject", None)):
            refs.extend(
                v[1:] for v in (values or {}).values() if isinstance(v, str) and v[:1] == "$"
            )
    for condition in conditions:
        if condition is not None:
            for compare in condition.fields():
                refs.append(compare.path)
                refs.extend([compare.value.path] if hasattr(compare.value, "path") else [])
    for path in refs:
        if path.startswith("events."):
            yield path.removeprefix("events.")
