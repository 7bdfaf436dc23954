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
Parsing here checks shapes and types only; :mod:`goodwill.journeys.validation` checks the graph
(references, reachability, loops) and the review-gating rule.  Use
:func:`goodwill.journeys.loader.parse_definition`, which runs both and reports every problem.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)

from goodwill.consent.models import Purpose
from goodwill.journeys.conditions import Condition, compile_path, parse_condition
from goodwill.journeys.interpolation import check_refs, check_template
from goodwill.journeys.timing import (
    format_duration,
    format_local_time,
    parse_duration,
    parse_local_time,
)
from goodwill.kit.clock import is_valid_zone
from goodwill.messaging.vocabulary import Priority

END = "end"
_SLUG = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_EVENT_KIND = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"


def _priority(raw: Any) -> Priority:
    if isinstance(raw, Priority):
        return raw
    labels = {p.label: p for p in Priority}
    if isinstance(raw, str) and raw in labels:
        return labels[raw]
    raise ValueError(f"{raw!r} is not a priority class; use one of {', '.join(labels)}")


def _raw_condition(value: Condition) -> Any:
    return value.to_raw()


Duration = Annotated[timedelta, PlainValidator(parse_duration), PlainSerializer(format_duration)]
SignedDuration = Annotated[
    timedelta,
    PlainValidator(lambda raw: parse_duration(raw, signed=True)),
    PlainSerializer(format_duration),
]
LocalTime = Annotated[time, PlainValidator(parse_local_time), PlainSerializer(format_local_time)]
EventCondition = Annotated[
    Condition,
    PlainValidator(lambda raw: parse_condition(raw, event_scope=True)),
    PlainSerializer(_raw_condition),
]
StateCondition = Annotated[
    Condition,
    PlainValidator(lambda raw: parse_condition(raw, event_scope=False)),
    PlainSerializer(_raw_condition),
]
PriorityClass = Annotated[Priority, PlainValidator(_priority), PlainSerializer(lambda p: p.label)]
Slug = Annotated[str, Field(pattern=_SLUG)]
EventKind = Annotated[str, Field(pattern=_EVENT_KIND, max_length=48)]
StepRef = Annotated[str, Field(min_length=1)]
TemplateName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$")]


Vars = Annotated[dict[str, Any], Field(default_factory=dict)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- triggers -------------------------------------------------------------------------------


class EventTrigger(_Model):
    """An interaction of kind ``event`` (with an optional condition on its payload)."""

    type: Literal["event"]
    event: EventKind
    where: EventCondition | None = None


class ScoreTrigger(_Model):
    """A score snapshot *crossing* into ``when`` (true now, false on ``payload.previous``)."""

    type: Literal["score"]
    when: EventCondition
    event: EventKind = "score.updated"


class SegmentTrigger(_Model):
    """Entering a segment: a ``segment.entered`` event whose payload ``segment`` matches."""

    type: Literal["segment"]
    segment: Slug
    event: EventKind = "segment.entered"


class DateTrigger(_Model):
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


class ManualTrigger(_Model):
    """Started by staff or the API only (a ``journey.manual`` event naming this journey)."""

    type: Literal["manual"]


Trigger = Annotated[
    EventTrigger | ScoreTrigger | SegmentTrigger | DateTrigger | ManualTrigger,
    Field(discriminator="type"),
]
_TRIGGER_BY_KEY = (("when", "score"), ("segment", "segment"), ("date", "date"), ("event", "event"))


# --- steps ----------------------------------------------------------------------------------


class FieldDuration(_Model):
    """A duration read from a field (``trigger.days_to_opinion``), with a default and bounds."""

    field: str
    unit: Literal["weeks", "days", "hours", "minutes"] = "days"
    default: Duration
    min: Duration | None = None
    max: Duration | None = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        compile_path(value, event_scope=False)
        return value


def _duration_spec(raw: Any) -> timedelta | FieldDuration:
    if isinstance(raw, timedelta | FieldDuration):
        return raw
    if isinstance(raw, dict):
        try:
            return FieldDuration.model_validate(raw)
        except ValidationError as exc:
            said = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ValueError(said) from None
    return parse_duration(raw)


def _dump_duration(value: timedelta | FieldDuration) -> Any:
    return format_duration(value) if isinstance(value, timedelta) else value.model_dump()


DurationSpec = Annotated[
    timedelta | FieldDuration, PlainValidator(_duration_spec), PlainSerializer(_dump_duration)
]


class _Step(_Model):
    id: Slug
    note: str = ""

    @field_validator("id")
    @classmethod
    def _not_end(cls, value: str) -> str:
        if value == END:
            raise ValueError('"end" is reserved: it means "the journey ends here"')
        return value


class WaitStep(_Step):
    """Pause: for a duration, until a local time of day, or until an event (with a timeout)."""

    type: Literal["wait"]
    duration: DurationSpec | None = None
    at: LocalTime | None = None
    until_event: EventKind | None = None
    where: EventCondition | None = None
    timeout: Duration | None = None
    on_timeout: StepRef | None = None
    next: StepRef | None = None

    @model_validator(mode="after")
    def _one_kind_of_wait(self) -> WaitStep:
        if self.until_event is None:
            if self.duration is None and self.at is None:
                raise ValueError("a wait needs duration, at, or until_event")
            if self.where or self.timeout or self.on_timeout:
                raise ValueError("where, timeout and on_timeout belong to waits with until_event")
        else:
            if self.timeout is None:
                raise ValueError("until_event needs a timeout (a wait must always end)")
            if self.duration is not None or self.at is not None:
                raise ValueError("until_event waits use timeout, not duration or at")
        return self


class Branch(_Model):
    name: str = Field(min_length=1)
    when: StateCondition
    next: StepRef


class ConditionStep(_Step):
    """The first branch whose ``when`` holds decides; ``otherwise`` defaults to the next step."""

    type: Literal["condition"]
    branches: list[Branch] = Field(min_length=1)
    otherwise: StepRef | None = None


class SplitBranch(_Model):
    name: str = Field(min_length=1)
    weight: float = Field(gt=0)
    next: StepRef


class SplitStep(_Step):
    """Random split by weight, deterministic from (enrolment id, step id, occurrence)."""

    type: Literal["split"]
    branches: list[SplitBranch] = Field(min_length=2)


class SendMessageStep(_Step):
    type: Literal["send_message"]
    channel: Literal["email", "sms", "postal", "webhook"]
    template: TemplateName
    purpose: Purpose
    vars: Vars
    next: StepRef | None = None

    _refs = field_validator("vars")(check_refs)


class RequestReviewStep(_Step):
    """A review invitation with a signed link; never gated on satisfaction (see validation)."""

    type: Literal["request_review"]
    channel: Literal["email", "sms"] = "email"
    template: TemplateName
    subject: Vars
    vars: Vars
    next: StepRef | None = None

    _refs = field_validator("vars", "subject")(check_refs)


class RequestNpsStep(_Step):
    type: Literal["request_nps"]
    channel: Literal["email", "sms"] = "email"
    template: TemplateName
    subject: Vars
    vars: Vars
    next: StepRef | None = None

    _refs = field_validator("vars", "subject")(check_refs)


class Assignee(_Model):
    """Who gets a task: the account owner, the customer owner, or a named person."""

    rule: Literal["account_owner", "customer_owner", "person"]
    person: str | None = None
    fallback: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, raw: Any) -> Any:
        if isinstance(raw, str):
            if raw.startswith("person:"):
                return {"rule": "person", "person": raw.removeprefix("person:").strip()}
            return {"rule": raw}
        return raw

    @model_validator(mode="after")
    def _person_named(self) -> Assignee:
        if (self.rule == "person") != bool(self.person):
            raise ValueError('name the person only with rule "person" (e.g. "person:ana@shop.pt")')
        return self


class CreateTaskStep(_Step):
    type: Literal["create_task"]
    title: str = Field(min_length=1, max_length=300)
    body: str = ""
    assignee: Assignee
    due_in: Duration = timedelta(days=2)
    next: StepRef | None = None

    _texts = field_validator("title", "body")(check_template)


class TagStep(_Step):
    type: Literal["tag"]
    add: list[Slug] = Field(default_factory=list)
    remove: list[Slug] = Field(default_factory=list)
    next: StepRef | None = None

    @model_validator(mode="after")
    def _something(self) -> TagStep:
        if not self.add and not self.remove:
            raise ValueError("a tag step needs add or remove")
        return self


class WebhookStep(_Step):
    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://\S+$")
    payload: Vars
    next: StepRef | None = None

    _refs = field_validator("payload")(check_refs)


Step = Annotated[
    WaitStep
    | ConditionStep
    | SplitStep
    | SendMessageStep
    | RequestReviewStep
    | RequestNpsStep
    | CreateTaskStep
    | TagStep
    | WebhookStep,
    Field(discriminator="type"),
]
ACTION_TYPES = frozenset(
    {"send_message", "request_review", "request_nps", "create_task", "tag", "webhook"}
)


# --- the journey ----------------------------------------------------------------------------


class ExitRule(_Model):
    """An event that ends the enrolment at once, whatever step it is in."""

    event: EventKind
    where: EventCondition | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, raw: Any) -> Any:
        return {"event": raw} if isinstance(raw, str) else raw


class ReEntry(_Model):
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


class JourneyDefinition(_Model):
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
