"""Step types of the journey language (``type:`` selects one).

Waits pause, conditions and splits branch, actions produce one intent each.  Every step may
name its successor with ``next`` (default: the following step; ``end`` ends the journey).
Shapes only; the graph and gating checks are in :mod:`goodwill.journeys.validation` and
:mod:`goodwill.journeys.gating`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)

from goodwill.consent.models import Purpose
from goodwill.journeys.fields import compile_path
from goodwill.journeys.interpolation import check_refs, check_template
from goodwill.journeys.scalars import (
    END,
    Duration,
    EventCondition,
    EventKind,
    LocalTime,
    Slug,
    StateCondition,
    StepRef,
    StrictModel,
    TemplateName,
    Vars,
)
from goodwill.journeys.timing import format_duration, parse_duration


class FieldDuration(StrictModel):
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


class _Step(StrictModel):
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


class Branch(StrictModel):
    name: str = Field(min_length=1)
    when: StateCondition
    next: StepRef


class ConditionStep(_Step):
    """The first branch whose ``when`` holds decides; ``otherwise`` defaults to the next step."""

    type: Literal["condition"]
    branches: list[Branch] = Field(min_length=1)
    otherwise: StepRef | None = None


class SplitBranch(StrictModel):
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


class Assignee(StrictModel):
    """Who gets a task: the account owner, the customer owner, or a named person.

    ``fallback`` applies when the rule finds nobody: ``account_owner``, ``customer_owner`` or a
    named person.  With no one found the task is created unassigned (the team's queue).
    """

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
    template: TemplateName | None = None
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
