"""The journey definition language: what an author writes, as pydantic models.

A definition is YAML or JSON (see ``playbooks/`` for complete examples)::

    key: review-request            # stable slug; enrolments and holdout hashing use it
    name: Review request after delivery
    version: 3                     # an int; a published version is immutable
    priority: review_nps           # transactional > relationship > review_nps > promotion
    trigger: {type: event, event: order.delivered}
    re_entry: {mode: once_per, period: 30d}
    holdout: 0.1                   # 10% of entrants get nothing (the control group)
    goals: [order.placed]          # reaching a goal ends the enrolment (counts as converted)
    exits: [{event: consent.withdrawn, where: "purpose == reviews"}]
    steps:
      - {id: settle, type: wait, duration: 14d, at: "10:00"}
      - {id: ask, type: request_review, channel: email, template: review_request}

Steps run in list order unless ``next`` (or a branch) says otherwise; ``end`` ends the journey.

**Versioning rule.**  A published ``(key, version)`` never changes.  An enrolment pins the version
it started on and finishes on it; a new version applies to new enrolments only (ADR 0020,
``docs/adr/0020-journey-versioning.md``).  Holdout and re-entry follow the key, not the version.
Parsing here checks shapes and types only; :mod:`goodwill.journeys.validation` checks the graph
(references, reachability, loops) and the review-gating rule.  Use
:func:`goodwill.journeys.loader.parse_definition`, which runs both and reports every problem.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from goodwill.journeys.scalars import (
    END,
    Duration,
    EventCondition,
    EventKind,
    LocalTime,
    PriorityClass,
    SignedDuration,
    Slug,
    StrictModel,
)
from goodwill.journeys.steps import (
    ACTION_TYPES,
    Assignee,
    Branch,
    ConditionStep,
    CreateTaskStep,
    FieldDuration,
    RequestNpsStep,
    RequestReviewStep,
    SendMessageStep,
    SplitBranch,
    SplitStep,
    Step,
    TagStep,
    WaitStep,
    WebhookStep,
)
from goodwill.kit.clock import is_valid_zone

__all__ = [
    "ACTION_TYPES",
    "END",
    "Assignee",
    "Branch",
    "ConditionStep",
    "CreateTaskStep",
    "DateTrigger",
    "EventTrigger",
    "ExitRule",
    "FieldDuration",
    "JourneyDefinition",
    "ManualTrigger",
    "ReEntry",
    "RequestNpsStep",
    "RequestReviewStep",
    "ScoreTrigger",
    "SegmentTrigger",
    "SendMessageStep",
    "SplitBranch",
    "SplitStep",
    "Step",
    "TagStep",
    "Trigger",
    "WaitStep",
    "WebhookStep",
]


# --- triggers -------------------------------------------------------------------------------


class EventTrigger(StrictModel):
    """An interaction of kind ``event`` (with an optional condition on its payload)."""

    type: Literal["event"]
    event: EventKind
    where: EventCondition | None = None


class ScoreTrigger(StrictModel):
    """A score snapshot *crossing* into ``when`` (true now, false on ``payload.previous``)."""

    type: Literal["score"]
    when: EventCondition
    event: EventKind = "score.updated"


class SegmentTrigger(StrictModel):
    """Entering a segment: a ``segment.entered`` event whose payload ``segment`` matches."""

    type: Literal["segment"]
    segment: Slug
    event: EventKind = "segment.entered"


class DateTrigger(StrictModel):
    """``offset`` from a yearly important date, at local time ``at`` in the person's timezone."""

    type: Literal["date"]
    date: Literal["birthday", "anniversary", "milestone"]
    label: str | None = None
    offset: SignedDuration = timedelta()
    at: LocalTime = time(9, 0)
    where: EventCondition | None = None

    @field_validator("offset")
    @classmethod
    def _whole_days(cls, value: timedelta) -> timedelta:
        if value % timedelta(days=1):
            raise ValueError("a date offset is a whole number of days, like -7d or 3d")
        return value


class ManualTrigger(StrictModel):
    """Started by staff or the API only (a ``journey.manual`` event naming this journey)."""

    type: Literal["manual"]


Trigger = Annotated[
    EventTrigger | ScoreTrigger | SegmentTrigger | DateTrigger | ManualTrigger,
    Field(discriminator="type"),
]
_TRIGGER_BY_KEY = (("when", "score"), ("segment", "segment"), ("date", "date"), ("event", "event"))


# --- the journey ----------------------------------------------------------------------------


class ExitRule(StrictModel):
    """An event that ends the enrolment at once, whatever step it is in."""

    event: EventKind
    where: EventCondition | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, raw: Any) -> Any:
        return {"event": raw} if isinstance(raw, str) else raw


class ReEntry(StrictModel):
    """May a person enter again: ``once_ever``, ``once_per`` a period, or ``every_time``.

    ``concurrent`` allows a new enrolment while an earlier one of the same journey is active.
    """

    mode: Literal["once_ever", "once_per", "every_time"]
    period: Duration | None = None
    concurrent: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, raw: Any) -> Any:
        return {"mode": raw} if isinstance(raw, str) else raw

    @model_validator(mode="after")
    def _period_with_once_per(self) -> ReEntry:
        if (self.mode == "once_per") != (self.period is not None):
            raise ValueError("period is required with once_per and only with once_per")
        return self


class JourneyDefinition(StrictModel):
    """One version of one journey, as written.  Immutable once published."""

    key: Slug
    name: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1)
    description: str = ""
    priority: PriorityClass
    trigger: Trigger
    steps: list[Step] = Field(min_length=1)
    goals: list[ExitRule] = Field(default_factory=list)
    exits: list[ExitRule] = Field(default_factory=list)
    re_entry: ReEntry = ReEntry(mode="once_ever")
    holdout: float = Field(0.0, ge=0.0, lt=1.0)
    max_trigger_age: Duration = timedelta(days=3)
    timezone: str = "UTC"

    @field_validator("trigger", mode="before")
    @classmethod
    def _infer_trigger_type(cls, raw: Any) -> Any:
        """``{event: order.delivered}`` is enough; ``type`` is inferred from the keys given."""
        if isinstance(raw, dict) and "type" not in raw:
            for key, kind in _TRIGGER_BY_KEY:
                if key in raw:
                    return {"type": kind, **raw}
            if raw == {} or set(raw) == {"manual"}:
                return {"type": "manual"}
        return raw

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not is_valid_zone(value):
            raise ValueError(f"{value!r} is not an IANA timezone (e.g. Europe/Lisbon)")
        return value
